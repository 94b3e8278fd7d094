"""Check-in data sets (Gowalla, Brightkite, Foursquare TSMC) and GeoLife trajectories."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

from ingest_helpers import FIXTURES, by_id, read_all

from geoleak.ingest.base import readers_for
from geoleak.ingest.checkins import detect_layout
from geoleak.types import EvidenceSource


def test_checkin_datasets() -> None:
    posts, diag = read_all(FIXTURES / "checkins")
    found = by_id(posts)
    g = found["loc-gowalla_totalCheckins.txt:3"]
    assert g.author == "1"
    assert (g.geotag.lat, g.geotag.lon) == (78.2232, 15.6267)
    assert g.extra["source"] == "gowalla"
    assert g.extra["venue_id"] == "145064"
    b = found["loc-brightkite_totalCheckins.txt:1"]
    assert b.extra["source"] == "brightkite"
    assert b.geotag.lon == -104.99251
    f = found["dataset_TSMC2014_NYC.txt:1"]
    assert f.author == "470"
    assert f.place.name == "Arts & Crafts Store"
    assert f.created_at == datetime(2012, 4, 3, 18, 0, 9, tzinfo=timezone.utc)
    assert f.extra["tz_offset_min"] == -240
    assert not diag.warnings


def test_checkins_malformed_lines() -> None:
    posts, diag = read_all(FIXTURES / "checkins_malformed")
    assert [p.id.rsplit(":", 1)[1] for p in posts] == ["1", "2", "3", "7"]
    text = "\n".join(diag.warnings)
    assert ":4:" in text
    assert ":5:" in text
    assert ":6: 3 tab-separated fields" in text


def test_gzipped_dataset(tmp_path: Path) -> None:
    src = (FIXTURES / "checkins" / "loc-gowalla_totalCheckins.txt").read_bytes()
    path = tmp_path / "loc-gowalla_totalCheckins.txt.gz"
    path.write_bytes(gzip.compress(src))
    assert detect_layout(path) == "snap"
    posts, _ = read_all(path)
    assert len(posts) == 3


def test_unrelated_text_not_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\nmilk\n")
    assert detect_layout(path) is None


def test_geolife_start_and_end_per_trajectory() -> None:
    # GeoLife has no photos of its own: the folder reader reads any media next to it
    assert [r.name for r in readers_for(FIXTURES / "geolife")] == ["geolife", "folder"]
    posts, diag = read_all(FIXTURES / "geolife")
    found = by_id(posts)
    start = found["geolife:000/20081023025304#start"]
    end = found["geolife:000/20081023025304#end"]
    assert start.author == "000"
    assert start.geotag_source is EvidenceSource.TRACK
    assert (start.geotag.lat, start.geotag.lon) == (39.984702, 116.318417)
    assert end.created_at == datetime(2008, 10, 23, 4, 29, 17, tzinfo=timezone.utc)
    # one-fix trajectory: start only
    assert "geolife:001/20081024000000#end" not in found
    assert not diag.warnings


def test_geolife_malformed() -> None:
    posts, diag = read_all(FIXTURES / "geolife_malformed")
    assert len(posts) == 2
    assert posts[1].geotag.lat == 40.008304
    assert len(diag.warnings) == 3
