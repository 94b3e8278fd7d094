"""A place slept at on some nights (a partner's home) is not a night worker's workplace: the
morning after, a guest is up and about elsewhere, a night worker sleeps."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from geoleak.geometry import destination, haversine_m
from geoleak.infer import LeakInference
from geoleak.infer.places import NIGHT_PLACE_MORNINGS, _night_places
from geoleak.types import Evidence, LatLon, PlaceKind

from .infer_helpers import seen, year_of_life

HOME = LatLon(59.91, 10.75)


def homes_of(seed: int) -> tuple[LatLon, LatLon]:
    """Each person's own home (people of one test live apart) and a partner's home 6 km off."""
    home = destination(HOME, 36.0 * seed, 20_000 * (seed > 0))
    return home, destination(home, 40.0, 6_000)


def _at(day: date, hour: float) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def partner_nights(person: str, seed: int, weeks: int = 30) -> list[Evidence]:
    """Someone with no workplace who spends two weeknights a week at a partner's home:
    arrives in the evening (19-21), leaves in the morning (07-09:30), and is out in the
    late morning after (cafes, shops); home on the other nights and at weekends."""
    rng = random.Random(seed)
    home, partner = homes_of(seed)
    places = [destination(home, rng.uniform(0, 360), rng.uniform(400, 3_000)) for _ in range(8)]
    nights = rng.sample(range(5), 2)
    out: list[Evidence] = []
    start = date(2025, 1, 6)

    def maybe(chance: float, place: LatLon, day: date, hours: tuple[float, float]) -> bool:
        """Seen at `place` at a time within `hours` of `day`, with probability `chance`."""
        if rng.random() >= chance:
            return False
        out.append(seen(person, place, _at(day, rng.uniform(*hours)), rng=rng))
        return True

    away = False
    for week in range(weeks):
        for weekday in range(7):
            day = start + timedelta(weeks=week, days=weekday)
            if away:  # the morning after a night at the partner's
                maybe(0.6, partner, day, (7, 9.5))
            else:
                maybe(0.3, home, day, (7, 9.5))
            away = weekday in nights and rng.random() < 0.85
            if away:  # arrives in the evening
                maybe(0.6, partner, day, (19, 21.9))
                maybe(0.3, partner, day, (22.5, 23.9))
            else:
                maybe(0.5, home, day, (19, 23.5))
            maybe(0.45, rng.choice(places), day, (10, 13.9))  # out in the late morning
            if weekday >= 5:
                maybe(0.6, home, day, (14, 18))
    return out


def test_a_partners_home_is_not_given_as_a_night_workplace() -> None:
    people = {f"p{seed}": partner_nights(f"p{seed}", seed) for seed in range(10)}
    profiles = LeakInference().fit(people).profiles_
    bases = [p for prof in profiles for p in prof.places if p.kind == PlaceKind.BASE]
    assert len(bases) <= 2, [round(b.confidence, 2) for b in bases]  # main: 10 at 0.99
    right = sum(
        any(p.kind == PlaceKind.HOME and haversine_m(p.position, homes_of(int(prof.person[1:]))[0])
            <= 100 for p in prof.places)
        for prof in profiles
    )  # fmt: skip
    assert right >= 9


@pytest.mark.parametrize("seed", [0, 3, 4, 6])  # (1 abstains on both, with and without)
def test_night_workers_keep_their_base_next_to_partners(seed: int) -> None:
    # Night workers seen at home in the afternoon and at work at 22:30-24:00, next to a
    # person who sleeps at a partner's: the same homes and bases as without places slept at
    # (seeds 0-7).
    base = destination(HOME, 200.0, 5_000)
    people = {
        "night": year_of_life("night", HOME, base, night_shift=True, workdays_per_week=3,
                              seed=seed),
        "guest": partner_nights("guest", seed + 1),
    }  # fmt: skip
    profiles = {p.person: p for p in LeakInference().fit(people).profiles_}
    night_bases = [p for p in profiles["night"].places if p.kind == PlaceKind.BASE]
    assert night_bases and haversine_m(night_bases[0].position, base) <= 500


def test_night_places_need_mornings_after_with_the_person_out() -> None:
    # Rows: 0 the home, 1 a partner's home, 2 a night workplace, 3 a workplace reached in the
    # morning from the home, 4 a cafe.
    day0 = date(2025, 3, 3).toordinal()
    row: list[int] = []
    local: list[int] = []
    hour: list[int] = []

    def point(r: int, day: int, h: int) -> None:
        row.append(r)
        local.append(day0 + day)
        hour.append(h)

    def night_places() -> list[int]:
        return _night_places(np.array(row), [0, 1, 2, 3], np.array(local), np.array(hour))

    for d in range(30):
        point(0, d, 21)
    for d in range(2, 30, 2):  # the night workplace: 23-05, then asleep; out in the evening
        point(2, d, 23)
        point(2, d + 1, 5)
        point(4, d + 1, 18)
    for d in range(2, 30, 3):  # a workplace at 08:00, left the home at 07:00; out at lunch
        point(0, d, 7)
        point(3, d, 8)
        point(4, d, 12)
    point(1, 0, 20)  # the partner's: the evening, the morning after, then out at 11
    point(1, 1, 8)
    point(4, 1, 11)
    assert night_places() == []  # one such morning
    point(1, 11, 23)
    point(4, 12, 10)
    assert NIGHT_PLACE_MORNINGS == 2
    assert night_places() == [1]
