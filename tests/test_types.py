"""The shared types travel between processes (shards, inference workers) by pickle."""

from __future__ import annotations

import dataclasses
import pickle
from collections import Counter
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    replaced,
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


# -- replaced: dataclasses.replace without its walk over the fields ---------------------


def _pairs() -> list[tuple[object, object]]:
    """Two instances of each class `replaced` is used on, every field's value different."""
    import numpy as np

    from geoleak.infer.places import Calendar, Candidate, Layout, PersonAnalysis
    from geoleak.infer.roles import RoleFit, Structure
    from geoleak.types import SharedSite

    later = WHEN + timedelta(days=3)
    place = SAMPLES[-1]
    assert isinstance(place, Place)

    def candidate(k: int) -> Candidate:
        cal = Calendar(*(np.arange(k, k + 3) for _ in fields(Calendar)))
        return Candidate([k], LatLon(k, -k), 1.0 + k, WHEN, later, 0.5 * k, cal,
                         {"dates": {k}}, {"dates": k})  # fmt: skip

    def fit(k: int) -> RoleFit:
        return RoleFit([Structure(home=k)], np.array([k]), np.array([0]), np.array([-1.0 * k]),
                       [bool(k)], np.array([0, k]), (k,), np.zeros((2, k)), np.full(8, k))  # fmt: skip

    def analysis(k: int) -> PersonAnalysis:
        return PersonAnalysis(f"p{k}", [], [candidate(k)], Counter({"x": k}), [k],
                              [candidate(k)], [candidate(k + 1)], [], [candidate(k + 2)],
                              fit(k), f"note {k}", Layout([k], [k], [k]))  # fmt: skip

    return [
        (candidate(1), candidate(2)),
        (analysis(1), analysis(2)),
        (fit(1), fit(2)),
        (
            place,
            dataclasses.replace(
                place,
                kind=PlaceKind.BASE,
                radius_m=3.0,
                confidence=0.5,
                evidence=("2",),
                days=4,
                first_seen=None,
                last_seen=WHEN,
                explanation="e",
                nights=1,
                workdays=2,
                site_id="S1",
                extra=MappingProxyType({}),
            ),
        ),
        (
            SharedSite("S1", AT, 5.0, ("a",), 3, 2),
            SharedSite("S2", LatLon(1, 2), 6.0, ("b",), 4, 5),
        ),
        *[(obj, obj) for obj in SAMPLES],
    ]


PAIRS = _pairs()


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_replaced_gives_what_dataclasses_replace_gives(data: st.DataObject) -> None:
    """Every field the same object as `dataclasses.replace` puts there, whatever fields are
    changed (none, some, all), for the classes the engines copy and the shared types."""
    obj, other = data.draw(st.sampled_from(PAIRS))
    names = [f.name for f in fields(obj)]  # type: ignore[arg-type]
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True))
    changes = {name: getattr(other, name) for name in chosen}
    mine = replaced(obj, **changes)
    theirs = dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    assert type(mine) is type(theirs)
    for name in names:
        assert getattr(mine, name) is getattr(theirs, name), name


def test_replaced_refuses_what_dataclasses_replace_refuses() -> None:
    with pytest.raises(TypeError):
        replaced(AT, height=1.0)
    with pytest.raises(TypeError):
        replaced((1, 2))  # not a dataclass

    @dataclasses.dataclass
    class Keyword:
        a: int
        b: int = dataclasses.field(default=0, kw_only=True)

    @dataclasses.dataclass
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    for cls in (Keyword, Derived):  # positional values would not do
        with pytest.raises(TypeError):
            replaced(cls(1), a=2)
    with pytest.raises(ValueError, match="latitude"):  # the constructor's checks, as replace
        replaced(AT, lat=95.0)
