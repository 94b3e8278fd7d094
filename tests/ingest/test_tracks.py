from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fit_writer import _semicircles, write_fit
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ingest_helpers import FIXTURES, by_id, read_all

from geoleak.diagnostics import Diagnostics
from geoleak.ingest.tracks import TracksReader
from geoleak.types import EvidenceSource, LatLon


def test_gpx_tcx_fit_start_and_end_points() -> None:
    posts, diag = read_all(FIXTURES / "tracks")
    found = by_id(posts)
    assert all(p.geotag_source is EvidenceSource.TRACK for p in posts)
    run_start, run_end = found["morning_run.gpx#start1"], found["morning_run.gpx#end1"]
    assert (run_start.geotag.lat, run_start.geotag.lon) == (35.0527, -78.8784)
    # the end is the last point of the last segment of the track
    assert (run_end.geotag.lat, run_end.geotag.lon) == (35.1401, -79.006)
    assert run_end.created_at == datetime(2023, 6, 12, 6, 10, tzinfo=timezone.utc)
    # a one-point track has a start only; a named waypoint is a post with its name
    assert "morning_run.gpx#start2" in found
    assert "morning_run.gpx#end2" not in found
    assert found["morning_run.gpx#waypoint1"].place.name == "Home"
    # TCX with leading whitespace, across the antimeridian, point without position skipped
    assert found["ride.tcx#start1"].geotag.lon == 179.95
    assert found["ride.tcx#end1"].geotag.lon == -179.97
    fit_start, fit_end = found["commute.fit#start1"], found["commute.fit#end1"]
    assert fit_start.geotag.lat == pytest.approx(35.1401, abs=1e-6)
    assert fit_end.geotag.lon == pytest.approx(-78.8784, abs=1e-6)
    assert fit_end.created_at == datetime(2023, 6, 16, 11, 40, tzinfo=timezone.utc)
    assert not diag.warnings


def test_strava_export_with_gzipped_activities() -> None:
    posts, _ = read_all(FIXTURES / "strava_export")
    assert [p.id for p in posts] == [
        "activities/9000000001.gpx.gz#start1",
        "activities/9000000001.gpx.gz#end1",
    ]
    assert posts[0].geotag.lat == 69.6492


def test_malformed_tracks() -> None:
    posts, diag = read_all(FIXTURES / "tracks_malformed")
    found = by_id(posts)
    # truncated GPX: the points before the break are read, the bad latitude skipped
    assert found["truncated.gpx#end1"].geotag.lat == 35.07
    text = "\n".join(diag.warnings)
    assert "garbage.fit: not a valid FIT file" in text
    assert "not_xml.gpx: not valid XML" in text
    assert "135.0" in text
    assert "the rest is skipped" in text


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9)), min_size=1, max_size=20)
)
# Under 1e-6 degrees as generated, 12 semicircles (1.0058e-6) as written: a fix, not (0, 0).
@example(points=[(9.9e-7, 0.0), (0.0, 1.0)])
def test_fit_round_trip(
    tmp_path_factory: pytest.TempPathFactory, points: list[tuple[float, float]]
) -> None:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    fixes = [(lat, lon, start + timedelta(minutes=i)) for i, (lat, lon) in enumerate(points)]
    folder = tmp_path_factory.mktemp("fit")
    (folder / "a.fit.gz").write_bytes(gzip.compress(write_fit(fixes)))
    posts = list(TracksReader().read(folder, Diagnostics()))
    # What the file holds (whole semicircles); the reader drops (0, 0) as a missing fix.
    held = [
        (_semicircles(lat) * 180 / 2**31, _semicircles(lon) * 180 / 2**31) for lat, lon in points
    ]
    good = [(lat, lon) for lat, lon in held if not LatLon(lat, lon).is_null_island]
    if not good:
        return
    assert posts[0].geotag.lat == pytest.approx(good[0][0], abs=1e-6)
    assert posts[-1].geotag.lon == pytest.approx(good[-1][1], abs=1e-6)


def test_track_file_alone() -> None:
    posts, _ = read_all(FIXTURES / "tracks" / "ride.tcx")
    assert len(posts) == 2
    assert posts[0].author == "tracks"


def test_photos_next_to_tracks_are_read_too(tmp_path: Path) -> None:
    (tmp_path / "activities").mkdir()
    (tmp_path / "activities" / "run.gpx").write_bytes(
        (FIXTURES / "tracks" / "morning_run.gpx").read_bytes()
    )
    (tmp_path / "media").mkdir()
    photo = FIXTURES / "takeout/Takeout/Google Photos/Photos from 2023/IMG_0001.jpg"
    (tmp_path / "media" / "summit.jpg").write_bytes(photo.read_bytes())
    posts, _ = read_all(tmp_path)
    assert {p.id for p in posts if p.media} == {"media/summit.jpg"}
    assert any(p.id.startswith("activities/run.gpx#") for p in posts)
    assert len({p.author for p in posts}) == 1  # the same person for both readers
