"""Exports through the whole pipeline: a home and a base inferred from location history
and activity tracks of fictional people (generated here, read through a zip)."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from ingest_helpers import FIXTURES

from geoleak.geometry import haversine_m
from geoleak.pipeline import run
from geoleak.types import LatLon, PlaceKind

HOME, BASE = LatLon(78.2232, 15.6267), LatLon(78.2464, 15.4656)  # fictional, at 78° N
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _records(days: int) -> dict[str, object]:
    locations = []
    for hour in range(days * 24):
        when = START + timedelta(hours=hour)
        local_hour = (when.hour + 1) % 24  # UTC+1
        at_work = 8 <= local_hour < 17 and when.weekday() < 5
        pos = BASE if at_work else HOME
        locations.append({"latitudeE7": round(pos.lat * 1e7), "longitudeE7": round(pos.lon * 1e7),
                          "accuracy": 15, "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ")})  # fmt: skip
    return {"locations": locations}


def _gpx(day: int, start: LatLon, end: LatLon) -> str:
    t0 = START + timedelta(days=day, hours=5)
    return (
        '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        f'<trkpt lat="{start.lat}" lon="{start.lon}"><time>{t0:%Y-%m-%dT%H:%M:%SZ}</time></trkpt>'
        f'<trkpt lat="{(start.lat + end.lat) / 2}" lon="{(start.lon + end.lon) / 2}"></trkpt>'
        f'<trkpt lat="{end.lat}" lon="{end.lon}"><time>{t0 + timedelta(minutes=40):%Y-%m-%dT%H:%M:%SZ}</time></trkpt>'
        "</trkseg></trk></gpx>"
    )


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exports")
    with zipfile.ZipFile(root / "takeout-ola.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "Takeout/Location History (Timeline)/Records.json", json.dumps(_records(28))
        )
    strava = root / "strava-kari" / "activities"
    strava.mkdir(parents=True)
    for day in range(14):  # early runs from home, ending at home
        (strava / f"{day}.gpx").write_text(_gpx(day, HOME, HOME))
    return root


def test_home_and_base_from_location_history_in_a_zip(exports: Path) -> None:
    result = run([exports / "takeout-ola.zip"], workers=1)
    (profile,) = result.profiles
    assert profile.person == "takeout-ola"
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    assert home is not None
    assert haversine_m(home.position, HOME) < 50
    assert base is not None
    assert haversine_m(base.position, BASE) < 100
    assert result.stats.evidence_by_source["track"] > 0


def test_home_from_where_runs_start_and_end(exports: Path) -> None:
    result = run([exports / "strava-kari"], workers=1)
    (profile,) = result.profiles
    home = profile.place(PlaceKind.HOME)
    assert home is not None
    assert haversine_m(home.position, HOME) < 50


def test_positions_an_export_recorded_are_not_called_positions_in_its_media() -> None:
    """Facebook keeps its photos' EXIF position in the export's JSON (`exif_data`) while the
    photos it hands back carry no metadata: the summary says where the positions came from,
    not "EXIF GPS positions in media" beside "0 with a usable GPS position"."""
    from geoleak.diagnostics import Diagnostics
    from geoleak.pipeline import collect_evidence

    found = collect_evidence([FIXTURES / "facebook"], diag=Diagnostics(), workers=1)
    lines = found.stats.summary_lines()
    assert found.stats.media_located == 0
    evidence = next(line for line in lines if line.startswith("evidence:"))
    assert "3 EXIF GPS positions an export recorded for its photos" in evidence, lines
