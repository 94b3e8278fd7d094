from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_fixtures import HOSTILE_NAME, HOSTILE_TEXT, SVALBARD

from geoleak.errors import UsageError
from geoleak.report.exports import (
    EVIDENCE_COLUMNS,
    to_csv,
    to_geojson,
    to_kml,
    write_exports,
)
from geoleak.types import Evidence, Profile

People = tuple[list[Profile], dict[str, list[Evidence]]]
KML = "{http://www.opengis.net/kml/2.2}"


def test_geojson_is_rfc7946_lon_lat(people: People) -> None:
    profiles, evidence = people
    doc = to_geojson(profiles, evidence)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    features = doc["features"]
    n_evidence = sum(len(v) for v in evidence.values())
    assert sum(f["properties"]["feature_type"] == "evidence" for f in features) == n_evidence
    assert sum(f["properties"]["feature_type"] == "place" for f in features) == sum(
        len(p.places) for p in profiles
    )
    ivalo_home = next(
        f
        for f in features
        if f["properties"]["feature_type"] == "place"
        and f["properties"]["person"] == "ivalo"
        and f["properties"]["kind"] == "home"
    )
    assert ivalo_home["geometry"]["coordinates"] == [SVALBARD.lon, SVALBARD.lat]
    for feature in features:
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        props = feature["properties"]
        if props["feature_type"] == "evidence":
            assert props["post_id"] and props["source"] and "local_time" in props
            assert [props["lon"], props["lat"]] == [lon, lat]
    json.dumps(doc)  # serialisable as is


def test_kml_parses_and_keeps_hostile_text_as_text(people: People) -> None:
    profiles, evidence = people
    root = ET.fromstring(to_kml(profiles, evidence).encode("utf-8"))
    marks = root.iter(f"{KML}Placemark")
    by_name = {m.findtext(f"{KML}name"): m for m in marks}
    ivalo = by_name["ivalo: home (70%)"]
    coords = ivalo.findtext(f"{KML}Point/{KML}coordinates")
    lon, lat, _alt = (float(v) for v in coords.split(","))  # type: ignore[union-attr]
    assert (round(lat, 4), round(lon, 4)) == (round(SVALBARD.lat, 4), round(SVALBARD.lon, 4))
    folders = [f.findtext(f"{KML}name") for f in root.iter(f"{KML}Folder")]
    assert HOSTILE_NAME in folders and "Shared sites" in folders
    descriptions = [m.findtext(f"{KML}description") or "" for m in root.iter(f"{KML}Placemark")]
    assert any(HOSTILE_TEXT in d for d in descriptions)  # round-trips exactly, escaped in the file


def test_csv_has_one_row_per_evidence_and_defuses_formulas() -> None:
    rows = [{"person": "=cmd|' /C calc'!A0", "post_id": "+1", "text": "@SUM(1)", "lat": -12.5}]
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows, EVIDENCE_COLUMNS))))
    assert parsed[0]["person"].startswith("'=")
    assert parsed[0]["post_id"] == "'+1" and parsed[0]["text"] == "'@SUM(1)"
    assert parsed[0]["lat"] == "-12.5"  # numbers stay numbers


def test_write_exports(people: People, tmp_path: Path) -> None:
    profiles, evidence = people
    paths = write_exports(profiles, evidence, tmp_path / "out")
    assert [p.name for p in paths] == [
        "geoleak.geojson",
        "geoleak.kml",
        "evidence.csv",
        "places.csv",
    ]
    with (tmp_path / "out" / "evidence.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(len(v) for v in evidence.values())
    assert {"post_id", "source", "local_time", "media_path"} <= set(rows[0])
    photo_rows = [r for r in rows if r["media_path"].endswith("ana-photo.jpg")]
    assert len(photo_rows) == 1 and photo_rows[0]["source"] == "exif"
    with (tmp_path / "out" / "places.csv").open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == sum(len(p.places) for p in profiles)
    only = write_exports(profiles, evidence, tmp_path / "only", formats=["geojson"])
    assert [p.name for p in only] == ["geoleak.geojson"]
    with pytest.raises(UsageError, match="shapefile"):
        write_exports(profiles, evidence, tmp_path / "bad", formats=["shapefile"])
