"""Early-shift workers (at work from about 05:30-06:00 to 13:30-14:00; Eurofound EWCS 2015,
ch. 5: morning shifts of a two- or three-shift system) are seen at work only in the morning
and at home from the afternoon on. Until the early-shift type (`roles.EARLY_SHIFT`, issue 11,
earlyshift, seventh session) no person type had an early shift's hours, so mornings at a
place were read only as home and afternoons and evenings at home as an evening shift: one
who also works a weekend morning was read with home and workplace swapped (main before it:
3 of 10 right and 5 swapped over the whole shift, 0 of 10 right and 10 swapped seen only
before 09:00, most at >= 0.8), and the hour term (`roles.location_hour_terms`) without the
type lost three of the weekday-only workers' homes and bases (hourterm, sixth session). The
type has a mirror: an evening-shift worker seen at home in the morning and at work from the
afternoon to 23:00; it is told from an early shift by the hours within each part and the
waking hours, and the last test keeps it.
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
    seed: int,
    work_hours: tuple[float, float],
    weekend_work: bool = False,
    home_hours: tuple[float, float] = (14.0, 23.0),
) -> tuple[list[Evidence], LatLon, LatLon]:
    """30 weeks: at work on two weekdays a week within `work_hours`, at home on three
    weekdays within `home_hours` and on one weekend day (10-20); with `weekend_work`, also
    at work on the other weekend day (`work_hours`)."""
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
            when = monday + timedelta(days=day, hours=rng.uniform(*home_hours))
            out.append(seen(person, home, when, rng=rng))
        day = rng.choice((5, 6))
        if weekend_work:
            when = monday + timedelta(days=11 - day, hours=rng.uniform(*work_hours))
            out.append(seen(person, work, when, rng=rng, jitter_m=60))
        out.append(
            seen(person, home, monday + timedelta(days=day, hours=rng.uniform(10, 20)), rng=rng)
        )
    return out, home, work


def _right_of_ten(
    work_hours: tuple[float, float],
    weekend_work: bool,
    home_hours: tuple[float, float] = (14.0, 23.0),
) -> int:
    """People of ten (seeds 1-10, each fitted alone) with home and base both right; asserts
    that no home or base given is wrong."""
    right = 0
    for seed in range(1, 11):
        evidence, home, work = _early_worker(seed, work_hours, weekend_work, home_hours)
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
    return right


@pytest.mark.parametrize("work_hours", [(6.0, 13.5), (6.0, 9.0)])
def test_early_shift_workers_keep_their_home_and_base(work_hours: tuple[float, float]) -> None:
    # Seen at work over the whole shift (06-13:30) or only before 09:00: all ten homes and
    # bases right, and no place given wrong (the hour term without the early-shift type, at
    # w = 1/4: 7 of 10 over the whole shift, the other three abstentions).
    assert _right_of_ten(work_hours, weekend_work=False) == 10


@pytest.mark.parametrize("work_hours", [(6.0, 13.5), (6.0, 9.0)])
def test_early_shift_workers_at_work_on_a_weekend_morning_are_not_swapped(
    work_hours: tuple[float, float],
) -> None:
    # Five days of seven at work (one a weekend morning, as shift systems run): a weekday
    # worker's type takes the weekend mornings at the workplace for mornings at home, and
    # an evening shift then reads home and workplace swapped. Without the early-shift type:
    # 3 of 10 right and 5 swapped over the whole shift (bases 0.66-0.99), 0 of 10 right and
    # 10 swapped seen only before 09:00 (9 bases at >= 0.8); with it, 10 of 10 in both.
    assert _right_of_ten(work_hours, weekend_work=True) == 10


def test_evening_shift_workers_are_not_read_as_early_shifts_swapped() -> None:
    # The early shift's mirror: at home on weekday mornings and middays (08-14), at work from
    # 16:00 to 23:00. Before the early-shift type all ten right; with the type alone none,
    # all ten swapped (eight bases at >= 0.8), and with its waking hours five swapped (three)
    # and five abstentions; with the hour term nine right and one abstention, and no place
    # given wrong (asserted within).
    assert _right_of_ten((16.0, 23.0), weekend_work=False, home_hours=(8.0, 14.0)) >= 9
