"""A workplace chained to the home's own cluster: people living on a site (issue 11).

Home-scale clusters are chains of points within `eps_m` of each other, so the building a
person works in on a base, a hospital or a farm they live on, 150-200 m from their quarters,
can be chained to the home by the posts between (GPS scatter, a gate or a mess on the way)
and make one place with it. The days at work then count as days at home, the person reads as
working from home, and no base is given (time-use development corpora: two people living on
site seen at their building on 18 weekdays, missed). `places._split_work_spot_from_home`
gives the part of the home's cluster seen in working hours but never at night, farther than
`eps_m` from where the person sleeps, a row of its own; whether it is the workplace stays the
role model's question. People who live on the site and go to its shop or gym in the day, or
who work from home and call at a cafe round the corner, must not gain a base from it.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from infer_helpers import seen

from geoleak.geometry import destination, haversine_m
from geoleak.infer import LeakInference
from geoleak.infer.places import analyse_person
from geoleak.types import Evidence, LatLon, PlaceKind

QUARTERS = LatLon(59.91, 10.75)
MONDAY = date(2025, 3, 3)


def _at(day: date, hour: float) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def _resident(
    person: str, seed: int, works_there: bool, weeks: int = 30
) -> tuple[list[Evidence], LatLon]:
    """Someone living in quarters on a site, with a building 170 m away and a gate half-way
    between (seen on some evenings), posts scattered by 25 m. A worker is at the building on
    weekdays in working hours; a family member is at home then and calls at the building
    (the site's shop or gym) on some weekday mornings and afternoons and at weekends."""
    rng = random.Random(seed)
    bearing = rng.uniform(0, 360)
    building = destination(QUARTERS, bearing, 170)
    gate = destination(QUARTERS, bearing, 85)
    out: list[Evidence] = []

    def maybe(chance: float, where: LatLon, day: date, hours: tuple[float, float]) -> None:
        if rng.random() < chance:
            out.append(seen(person, where, _at(day, rng.uniform(*hours)), jitter_m=25, rng=rng))

    for week in range(weeks):
        for weekday in range(7):
            day = MONDAY + timedelta(weeks=week, days=weekday)
            maybe(0.5, QUARTERS, day, (20, 23.5))
            maybe(0.15, gate, day, (17.5, 19.5))
            if weekday >= 5:
                maybe(0.5, QUARTERS, day, (9, 18))
                maybe(0.0 if works_there else 0.2, building, day, (10, 16))
            elif works_there:
                maybe(0.35, building, day, (9.5, 16))
            else:
                maybe(0.35, QUARTERS, day, (9.5, 16))
                maybe(0.12, building, day, (10, 16))
    return out, building


def test_a_building_chained_to_the_quarters_is_a_place_of_its_own() -> None:
    params = LeakInference()._validated()
    for seed in range(1, 9):
        evidence, building = _resident(f"w{seed}", seed, works_there=True)
        analysis = analyse_person(f"w{seed}", evidence, params)
        home = max(analysis.home_candidates, key=lambda c: c.count("nights"))
        assert haversine_m(home.position, QUARTERS) < 60
        assert any(haversine_m(c.position, building) < 60 for c in analysis.home_candidates
                   + analysis.others)  # fmt: skip


def test_people_living_on_site_get_their_building_as_base() -> None:
    """Without the split, one place held quarters and building: 0 of 8 bases."""
    off_m: list[float] = []  # each base's distance from the person's building
    for seed in range(1, 9):
        evidence, building = _resident(f"w{seed}", seed, works_there=True)
        profile = LeakInference().fit({f"w{seed}": evidence}).profiles_[0]
        homes = [p for p in profile.places if p.kind == PlaceKind.HOME]
        assert homes and haversine_m(homes[0].position, QUARTERS) < 100
        off_m += [haversine_m(p.position, building) for p in profile.places
                  if p.kind == PlaceKind.BASE]  # fmt: skip
    assert len(off_m) >= 7
    assert max(off_m) < 100


def test_family_living_on_site_gain_no_base_from_its_shop() -> None:
    """A family member seen at the site's shop or gym 170 m away on some weekdays and weekends
    (never at night) also has a spot split from the home; it is no workplace."""
    params = LeakInference()._validated()
    for seed in range(1, 9):
        evidence, shop = _resident(f"f{seed}", seed, works_there=False)
        analysis = analyse_person(f"f{seed}", evidence, params)
        assert any(haversine_m(c.position, shop) < 60 for c in analysis.home_candidates
                   + analysis.others)  # fmt: skip
        profile = LeakInference().fit({f"f{seed}": evidence}).profiles_[0]
        homes = [p for p in profile.places if p.kind == PlaceKind.HOME]
        assert homes and haversine_m(homes[0].position, QUARTERS) < 100
        assert not [p for p in profile.places if p.kind == PlaceKind.BASE]
