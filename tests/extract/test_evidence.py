"""Post + media metadata -> evidence: which clock, which local time, which accuracy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from geoleak.extract.evidence import evidence_from_post, place_accuracy_m, timed
from geoleak.extract.localtime import localize_naive, timezone_at, to_local
from geoleak.types import EvidenceSource, LatLon, LocalTimeBasis, MediaMeta, NamedPlace, Post

TROMSO = LatLon(69.6496, 18.9560)
AUCKLAND = LatLon(-36.8485, 174.7633)
TAVEUNI_EAST = LatLon(-16.85, -179.97)


def test_timezones_at_high_latitude_southern_and_antimeridian_positions() -> None:
    assert timezone_at(TROMSO) == "Europe/Oslo"
    assert timezone_at(AUCKLAND) == "Pacific/Auckland"
    assert timezone_at(TAVEUNI_EAST) == "Pacific/Fiji"
    # A (lat, lon) swap would land in the sea or in another zone entirely.
    assert timezone_at(LatLon(18.9560, 69.6496)) != "Europe/Oslo"


def test_local_time_follows_dst_on_both_hemispheres() -> None:
    moment = datetime(2025, 1, 15, 12, 0, tzinfo=timezone.utc)
    assert to_local(moment, "Europe/Oslo") == datetime(2025, 1, 15, 13, 0)  # CET
    assert to_local(moment, "Pacific/Auckland") == datetime(2025, 1, 16, 1, 0)  # NZDT, +13
    july = datetime(2025, 7, 15, 12, 0, tzinfo=timezone.utc)
    assert to_local(july, "Europe/Oslo") == datetime(2025, 7, 15, 14, 0)  # CEST
    assert to_local(july, "Pacific/Auckland") == datetime(2025, 7, 16, 0, 0)  # NZST, +12
    assert localize_naive(datetime(2025, 7, 15, 14, 0), "Europe/Oslo") == july


def test_capture_time_with_offset_wins_over_posting_time() -> None:
    capture = datetime(2025, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=1)))
    posted = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)  # uploaded three days later
    utc, local, basis, tz = timed(TROMSO, capture_time=capture, posted_at=posted)
    assert utc == datetime(2025, 3, 1, 22, 30, tzinfo=timezone.utc)
    assert local == datetime(2025, 3, 1, 23, 30)
    assert basis == LocalTimeBasis.EXIF_OFFSET and tz == "Europe/Oslo"


def test_naive_capture_time_is_local_at_the_position() -> None:
    utc, local, basis, _ = timed(AUCKLAND, capture_time=datetime(2025, 1, 16, 1, 0), posted_at=None)
    assert local == datetime(2025, 1, 16, 1, 0) and basis == LocalTimeBasis.EXIF_NAIVE
    assert utc == datetime(2025, 1, 15, 12, 0, tzinfo=timezone.utc)


def test_posting_time_converted_with_the_zone_at_the_position() -> None:
    posted = datetime(2025, 7, 15, 12, 0, tzinfo=timezone.utc)
    _, local, basis, _ = timed(AUCKLAND, capture_time=None, posted_at=posted)
    assert local == datetime(2025, 7, 16, 0, 0) and basis == LocalTimeBasis.POSITION_TZ


def test_a_post_gives_exif_geotag_and_place_evidence() -> None:
    posted = datetime(2025, 7, 15, 12, 0, tzinfo=timezone.utc)
    post = Post(
        id="p1", author="a", created_at=posted, text="hi", geotag=TROMSO,
        place=NamedPlace("Tromsø", LatLon(69.65, 18.95), (18.8, 69.6, 19.1, 69.7)),
        media=("/m/a.jpg", "/m/nogps.jpg", "/m/missing.jpg"),
    )  # fmt: skip
    media = {
        "/m/a.jpg": MediaMeta(
            path="/m/a.jpg", position=AUCKLAND, accuracy_m=5.0, make="Apple", model="iPhone 15"
        ),
        "/m/nogps.jpg": MediaMeta(path="/m/nogps.jpg"),
    }
    found = evidence_from_post(post, media)
    assert [e.source for e in found] == [
        EvidenceSource.EXIF,
        EvidenceSource.GEOTAG,
        EvidenceSource.PLACE,
    ]
    exif, geotag, place = found
    assert exif.position == AUCKLAND and exif.accuracy_m == 5.0 and exif.device == "Apple iPhone 15"
    assert exif.media_path == "/m/a.jpg"
    assert geotag.accuracy_m == 50.0 and geotag.local_time == datetime(2025, 7, 15, 14, 0)
    assert place.weight < geotag.weight
    assert 3_000 < place.accuracy_m < 10_000


def test_null_island_geotag_gives_no_evidence() -> None:
    post = Post(id="p", author="a", geotag=LatLon(0.0, 0.0))
    assert evidence_from_post(post, {}) == []


def test_place_accuracy_from_bbox_and_default() -> None:
    assert place_accuracy_m(NamedPlace("x")) == 1000.0
    small = place_accuracy_m(NamedPlace("venue", bbox=(18.9500, 69.6490, 18.9510, 69.6495)))
    assert 25 <= small < 60
    assert place_accuracy_m(
        NamedPlace("wide", bbox=(179.0, -17.0, -179.0, -16.0))
    ) == pytest.approx(
        place_accuracy_m(NamedPlace("wide", bbox=(-1.0, -17.0, 1.0, -16.0))), rel=1e-6
    )
