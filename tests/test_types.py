"""The shared types travel between processes (shards, inference workers) by pickle."""

from __future__ import annotations

import pickle
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from geoleak.types import (
    Evidence,
    EvidenceSource,
    LatLon,
    LocalTimeBasis,
    MediaMeta,
    NamedPlace,
    Place,
    PlaceKind,
    Post,
    TrackPoint,
)

WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
AT = LatLon(78.22, -179.99)

SAMPLES = [
    AT,
    NamedPlace("Longyearbyen", AT, (15.0, 78.0, 16.0, 78.5)),
    Post(
        id="1",
        author="a",
        created_at=WHEN,
        text="hi",
        geotag=AT,
        place=NamedPlace("x"),
        media=("/m/a.jpg",),
        origin="c.jsonl:1",
        geotag_source=EvidenceSource.TRACK,
        geotag_accuracy_m=8.0,
        extra=MappingProxyType({"likes": [1, 2]}),
        posted_offset_h=-3.5,
    ),
    TrackPoint(AT, WHEN),
    MediaMeta(
        path="/m/a.jpg",
        position=AT,
        capture_time=WHEN.replace(tzinfo=None),
        track=(TrackPoint(AT), TrackPoint(AT, WHEN)),
        warnings=("w",),
        make="Apple",
    ),
    Evidence(
        post_id="1",
        person="a",
        position=AT,
        source=EvidenceSource.EXIF,
        accuracy_m=5.0,
        time_utc=WHEN,
        local_time=WHEN.replace(tzinfo=None),
        local_basis=LocalTimeBasis.EXIF_OFFSET,
        tz_name="Etc/GMT+3",
        posted_at=WHEN,
        media_path="/m/a.jpg",
        device="Apple",
        text="t",
        weight=0.5,
    ),
    Place(
        kind=PlaceKind.HOME,
        position=AT,
        radius_m=40.0,
        confidence=0.9,
        evidence=("1",),
        days=3,
        first_seen=WHEN,
        extra=MappingProxyType({"k": 1}),
    ),
]


@pytest.mark.parametrize("obj", SAMPLES, ids=lambda o: type(o).__name__)
def test_pickled_and_back_every_field_is_the_same(obj: object) -> None:
    back = pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(back) is type(obj)
    for f in fields(obj):  # type: ignore[arg-type]
        mine, theirs = getattr(back, f.name), getattr(obj, f.name)
        assert mine == theirs and type(mine) is type(theirs), f.name
    if hasattr(obj, "extra"):
        assert isinstance(back.extra, MappingProxyType)  # type: ignore[attr-defined]
