from __future__ import annotations

import json

import pytest
from ingest_helpers import FIXTURES, by_id, read_all

from geoleak.ingest.common import RecordError
from geoleak.ingest.snapchat import parse_snap_position
from geoleak.ingest.telegram import message_text
from geoleak.types import EvidenceSource


def test_snapchat_memories_history_and_home_work() -> None:
    posts, diag = read_all(FIXTURES / "snapchat")
    found = by_id(posts)
    assert {p.author for p in posts} == {"dave.fictional"}
    assert found["snapchat-memory:0"].geotag.lat == 35.0527
    assert found["snapchat-memory:1"].geotag is None  # 0, 0 means none
    assert found["snapchat-memory:2"].geotag.lat == 69.6492
    track = found["snapchat-location:0"]
    assert track.geotag_source is EvidenceSource.TRACK
    assert track.geotag_accuracy_m == 14.23
    assert found["snapchat-home"].extra["semantic_type"] == "HOME"
    assert found["snapchat-work"].geotag.lon == -79.006
    assert not diag.warnings


def test_snapchat_malformed() -> None:
    posts, diag = read_all(FIXTURES / "snapchat_malformed")
    assert [p.id for p in posts] == ["snapchat-memory:2"]
    text = "\n".join(diag.warnings)
    assert "'Latitude, Longitude: somewhere'" in text
    assert "'June first'" in text
    assert "location_history.json: not valid JSON" in text


@pytest.mark.parametrize(
    ("text", "lat", "lon", "acc"),
    [
        ("Latitude, Longitude: 35.0527, -78.8784", 35.0527, -78.8784, None),
        ("35.1 ± 14.23 meters, -78.9 ± 14.23 meters", 35.1, -78.9, 14.23),
        ("Latitude, Longitude: -16.8, 179.95", -16.8, 179.95, None),
    ],
)
def test_parse_snap_position(text: str, lat: float, lon: float, acc: float | None) -> None:
    pos, accuracy = parse_snap_position(text)
    assert pos is not None
    assert (pos.lat, pos.lon) == (lat, lon)
    assert accuracy == acc


def test_parse_snap_position_rejects() -> None:
    with pytest.raises(RecordError):
        parse_snap_position("Latitude, Longitude: 135.0, 10.0")


def test_telegram_full_export() -> None:
    posts, diag = read_all(FIXTURES / "telegram")
    found = by_id(posts)
    eve = "Eve Fictional (user5000000001)"
    gate = found["telegram:Frank Fictional:1"]
    assert gate.author == eve
    assert gate.text == "I'm at the gate"
    assert gate.geotag.lat == 35.1401
    # photo and image-sent-as-file are media (the file keeps its EXIF)
    assert found["telegram:Frank Fictional:2"].media[0].endswith("photo_1@01-06-2023_10-00-00.jpg")
    assert found["telegram:Frank Fictional:4"].media[0].endswith("IMG_2001.JPG")
    assert "telegram:Frank Fictional:3" not in found  # service message
    venue = found["telegram:Fictional Unit Chat:10"]
    assert venue.place is not None
    assert venue.place.name == "Fictional Diner"
    live = found["telegram:Fictional Unit Chat:11"]
    assert live.author == "Grace Fictional (user5000000004)"
    assert live.text == "checked in at Fictional Range"
    assert live.extra["live_location_s"] == 900
    assert live.geotag.lon == 179.95
    # date_unixtime (UTC), not the exporting computer's local `date`
    assert gate.created_at is not None
    assert gate.created_at.isoformat() == "2023-06-01T10:00:00+00:00"
    assert not diag.warnings


def test_telegram_single_chat_and_malformed() -> None:
    posts, _ = read_all(FIXTURES / "telegram_single")
    assert len(posts) == 1
    assert posts[0].geotag.lat == 78.2232
    posts, diag = read_all(FIXTURES / "telegram_malformed")
    assert [p.id for p in posts] == ["telegram:Broken:1", "telegram:Broken:4"]
    text = "\n".join(diag.warnings)
    assert "message without sender" in text
    assert "'up'" in text
    assert "not valid JSON" in text


def test_message_text_entities() -> None:
    assert (
        message_text([{"type": "plain", "text": "at "}, {"type": "bold", "text": "X"}, "!"])
        == "at X!"
    )
    assert message_text("") is None
    assert message_text(None) is None


def test_snapchat_history_as_pairs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "mydata" / "json"
    folder.mkdir(parents=True)
    history = {
        "Location History": [["2023/06/01 10:05:00 UTC", "-16.8 ± 9.5 meters, 179.95 ± 9.5 meters"]]
    }
    (folder / "location_history.json").write_text(json.dumps(history))
    posts, diag = read_all(tmp_path / "mydata")
    assert len(posts) == 1
    assert posts[0].geotag is not None
    assert posts[0].geotag.lon == 179.95
    assert posts[0].geotag_accuracy_m == 9.5
    assert not diag.warnings
