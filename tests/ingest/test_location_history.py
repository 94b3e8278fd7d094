from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ingest_helpers import FIXTURES, by_id, read_all

from geoleak.ingest.common import RecordError
from geoleak.ingest.location_history import LocationHistoryReader, parse_latlng_text
from geoleak.types import EvidenceSource

REC = "Takeout/Location History (Timeline)/Records.json"
SEM = "Takeout/Location History (Timeline)/Semantic Location History/2023/2023_JANUARY.json"


def test_records_thinned_signed_and_accuracy_kept() -> None:
    posts, diag = read_all(FIXTURES / "google_location")
    found = by_id(posts)
    assert all(p.geotag_source is EvidenceSource.TRACK for p in posts)
    # #1 is 1 minute and a few metres after #0: thinned; #2 is 30 minutes later: kept
    assert f"{REC}#0" in found
    assert f"{REC}#1" not in found
    assert f"{REC}#2" in found
    assert found[f"{REC}#0"].geotag_accuracy_m == 12.0
    # timestampMs form
    assert found[f"{REC}#3"].created_at == datetime(2023, 1, 10, 9, 0, tzinfo=timezone.utc)
    # E7 written as an unsigned 32-bit integer: southern hemisphere restored
    assert found[f"{REC}#4"].geotag.lat == pytest.approx(-33.856)
    assert f"{REC}#6" not in found  # 0, 0: no fix
    (bad,) = [w for w in diag.warnings if "thinned" not in w]
    assert "locations[5]" in bad
    (thinned,) = [w for w in diag.warnings if "thinned" in w]
    assert "7 fixes thinned to 4 posts" in thinned


def test_semantic_visits_keep_google_labels() -> None:
    posts, _ = read_all(FIXTURES / "google_location")
    found = by_id(posts)
    home = found[f"{SEM}#0"]
    assert home.extra["semantic_type"] == "TYPE_HOME"
    assert home.place is not None
    assert home.place.name == "Home"
    assert home.place.centre is None
    assert found[f"{SEM}#1-start"].geotag.lat == pytest.approx(35.0527)
    assert found[f"{SEM}#1-end"].geotag.lon == pytest.approx(-79.006)
    work = found[f"{SEM}#2"]
    assert work.extra["semantic_type"] == "TYPE_WORK"
    assert work.created_at == datetime(2023, 1, 10, 12, 55, tzinfo=timezone.utc)


def test_android_timeline_export() -> None:
    posts, diag = read_all(FIXTURES / "google_timeline")
    found = by_id(posts)
    visit = found["Timeline.json#0"]
    assert (visit.geotag.lat, visit.geotag.lon) == (69.6492, 18.9553)
    assert visit.extra["semantic_type"] == "HOME"
    assert visit.created_at == datetime(2024, 3, 1, 21, 0, tzinfo=timezone.utc)
    assert found["Timeline.json#1-end"].geotag.lat == 69.6816
    # path: the second point is 10 m from the first and thinned
    assert "Timeline.json#2-0" in found
    assert "Timeline.json#2-1" not in found
    raw = [p for p in posts if p.extra.get("kind") == "raw"]
    assert len(raw) == 1
    assert raw[0].geotag_accuracy_m == 9.0
    assert any("'north, east'" in w for w in diag.warnings)


def test_ios_timeline_across_the_antimeridian() -> None:
    posts, diag = read_all(FIXTURES / "google_timeline_ios")
    found = by_id(posts)
    assert found["location-history.json#0"].geotag.lon == 179.95
    assert found["location-history.json#1-end"].geotag.lon == -179.97
    assert found["location-history.json#0"].extra["semantic_type"] == "Home"
    assert not diag.warnings


def test_malformed_records_skipped_and_truncation_reported() -> None:
    posts, diag = read_all(FIXTURES / "google_location_malformed")
    assert [p.id.rsplit("#", 1)[1] for p in posts] == ["0", "3"]
    text = "\n".join(diag.warnings)
    assert "locations[1]" in text
    assert "locations[2]" in text
    assert "not valid JSON" in text
    assert "rest of the file is skipped" in text


def test_thinning_parameters() -> None:
    from geoleak.diagnostics import Diagnostics

    reader = LocationHistoryReader(min_move_m=0.0, min_interval_s=0.0)
    posts = list(reader.read(FIXTURES / "google_location", Diagnostics()))
    assert sum(1 for p in posts if "Records.json" in p.id) == 5


@given(st.floats(-90, 90), st.floats(-180, 180))
def test_parse_latlng_text_round_trip(lat: float, lon: float) -> None:
    pos = parse_latlng_text(f"{lat:.7f}°, {lon:.7f}°")
    if pos is not None:
        assert pos.lat == pytest.approx(lat, abs=1e-6)
        assert pos.lon == pytest.approx(lon, abs=1e-6)
    pos = parse_latlng_text(f"geo:{lat:.7f},{lon:.7f}")
    if pos is not None:
        assert pos.lat == pytest.approx(lat, abs=1e-6)


@pytest.mark.parametrize("bad", ["", "52.5", "52.5°; 13.4°", "91°, 0°", None, 5])
def test_parse_latlng_text_rejects(bad: object) -> None:
    with pytest.raises(RecordError):
        parse_latlng_text(bad)


def test_truncated_large_file_keeps_the_records_before_the_break(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "Takeout" / "Location History"
    folder.mkdir(parents=True)
    records = [
        f'{{"latitudeE7": {350000000 + i * 10000}, "longitudeE7": -788784000, '
        f'"timestamp": "2023-01-{1 + i // 1440:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00Z"}}'
        for i in range(3000)
    ]
    text = '{"locations": [' + ",\n".join(records)
    (folder / "Records.json").write_text(text[: len(text) - 10])  # cut inside the last record
    posts, diag = read_all(tmp_path)
    assert len(posts) == 2999  # every complete record, also those in the last block
    assert any("rest of the file is skipped" in w for w in diag.warnings)
