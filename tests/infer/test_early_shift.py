"""Early-shift workers (at work from about 05:30-06:00 to 13:30-14:00; Eurofound EWCS 2015,
ch. 5: morning shifts of a two- or three-shift system) are seen at work only in the morning
and at home from the afternoon on. No person type has an early shift's hours, so a reading of
each observation's hour within its part of the week against the day, part-time and evening
types' hour rows takes their mornings at work for mornings at home and their afternoons at
home for an evening shift: the hour term of `partners-hours` at w = 1/4 (issue 11, hourterm,
sixth session) lost three of these ten people's homes and bases (benchmarks/README.md). These
tests keep that failure case for any later reading of hours within a part of the week.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from geoleak.geometry import destination, haversine_m
from geoleak.infer import LeakInference
from geoleak.types import Evidence, LatLon, PlaceKind

from .infer_helpers import seen

START = date(2025, 1, 6)


def _early_worker(
    seed: int, work_hours: tuple[float, float]
) -> tuple[list[Evidence], LatLon, LatLon]:
    """30 weeks: at work on two weekdays a week within `work_hours`, at home on three
    weekday afternoons or evenings (14-23) and on one weekend day (10-20)."""
    rng = random.Random(seed)
    home = destination(LatLon(52.37, 4.89), 36.0 * seed, 20_000.0)
    work = destination(home, rng.uniform(0, 360), 6000.0)
    person = f"early{seed}"
    out = []
    for week in range(30):
        monday = datetime.combine(START + timedelta(weeks=week), datetime.min.time())
        for day in rng.sample(range(5), 2):
            when = monday + timedelta(days=day, hours=rng.uniform(*work_hours))
            out.append(seen(person, work, when, rng=rng, jitter_m=60))
        for day in rng.sample(range(5), 3):
            when = monday + timedelta(days=day, hours=rng.uniform(14.0, 23.0))
            out.append(seen(person, home, when, rng=rng))
        day = rng.choice((5, 6))
        out.append(
            seen(person, home, monday + timedelta(days=day, hours=rng.uniform(10, 20)), rng=rng)
        )
    return out, home, work


@pytest.mark.parametrize("work_hours", [(6.0, 13.5), (6.0, 9.0)])
def test_early_shift_workers_keep_their_home_and_base(work_hours: tuple[float, float]) -> None:
    # Seen at work over the whole shift (06-13:30) or only before 09:00: all ten homes and
    # bases right, and no place given wrong (the hour term at w = 1/4: 7 of 10 over the
    # whole shift, the other three abstentions).
    right = 0
    for seed in range(1, 11):
        evidence, home, work = _early_worker(seed, work_hours)
        (profile,) = LeakInference().fit({f"early{seed}": evidence}).profiles_
        places = {p.kind: p for p in profile.places if p.kind in (PlaceKind.HOME, PlaceKind.BASE)}
        home_right = (
            PlaceKind.HOME in places and haversine_m(places[PlaceKind.HOME].position, home) < 100
        )
        base_right = (
            PlaceKind.BASE in places and haversine_m(places[PlaceKind.BASE].position, work) < 500
        )
        for kind, ok in ((PlaceKind.HOME, home_right), (PlaceKind.BASE, base_right)):
            assert ok or kind not in places, (seed, kind, places[kind].confidence)
        right += home_right and base_right
    assert right == 10
