"""The role model against the failure modes of issue 11 (each failed with the score rules).

Each person is built from a weekly routine: at which places, on which weekdays and at which
local hours they post. Positions are in the Canterbury plains (NZ), 69 N (Norway) and on
both sides of the antimeridian so a (lat, lon) swap cannot pass.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from infer_helpers import seen

from geoleak.geometry import destination, haversine_m
from geoleak.infer import LeakInference, roles
from geoleak.infer.roles import (
    BINS,
    DAY,
    EARLY_SHIFT,
    EVENING,
    EVENING_SHIFT,
    LONG_DAY,
    NIGHT_SHIFT,
    NO_WORK,
    PART_TIME,
    PERSON_TYPES,
    ROTAS,
    WEEKNIGHT,
    WORK_HOURS,
    RoleFit,
    Structure,
    activity_log_bayes_factors,
    bin_of,
)
from geoleak.types import Evidence, LatLon, Place, PlaceKind, Profile

HOME = LatLon(-43.53, 172.63)
WORK = LatLon(-43.49, 172.55)  # 8 km away
START = date(2025, 1, 6)  # a Monday


def routine(
    person: str,
    place: LatLon,
    weekdays: Sequence[int],
    hours: tuple[float, float],
    *,
    weeks: int = 40,
    per_week: int = 2,
    first_week: int = 0,
    seed: int = 1,
    jitter_m: float = 15.0,
) -> list[Evidence]:
    """`per_week` posts a week at `place`, on random days of `weekdays`, between `hours`."""
    rng = random.Random(f"{person}-{seed}")
    out = []
    for week in range(first_week, first_week + weeks):
        monday = START + timedelta(weeks=week)
        for day in rng.sample(list(weekdays), min(per_week, len(weekdays))):
            hour = rng.uniform(*hours)
            local = datetime.combine(monday + timedelta(days=day), datetime.min.time()) + timedelta(
                hours=hour
            )
            out.append(seen(person, place, local, rng=rng, jitter_m=jitter_m))
    return out


def fit(evidence: list[Evidence], **params: object) -> Profile:
    return LeakInference(**params).fit({evidence[0].person: evidence}).profiles_[0]  # type: ignore[arg-type]


def near(place: Place | None, target: LatLon, metres: float) -> bool:
    return place is not None and haversine_m(place.position, target) <= metres


def tally(profile: Profile, right: int, wrong: int) -> tuple[int, int]:
    """`right` and `wrong` plus this profile's home (right within 100 m of HOME) and base
    (within 500 m of WORK); a place not given counts as neither."""
    for kind, target, metres in ((PlaceKind.HOME, HOME, 100), (PlaceKind.BASE, WORK, 500)):
        place = profile.place(kind)
        if place is not None:
            right += near(place, target, metres)
            wrong += not near(place, target, metres)
    return right, wrong


def test_nine_to_five_worker_posting_from_home_only_at_night() -> None:
    """Failure 1: home seen only in the evening and at night, work in the day, weekends too."""
    evidence = routine("a", HOME, range(7), (21.5, 23.9), per_week=3)
    evidence += routine("a", WORK, range(5), (9, 17), per_week=3, jitter_m=80)
    evidence += routine("a", WORK, (5, 6), (10, 16), per_week=1, jitter_m=80)
    profile = fit(evidence)
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    assert near(home, HOME, 50)
    assert home is not None
    assert home.confidence >= 0.9
    assert near(base, WORK, 300)
    assert "fits 'home'" in home.explanation
    assert "distinct nights" in home.explanation


def test_home_seen_only_at_night_keeps_the_home() -> None:
    """Failure 2: no weekend daytime at home at all (the weekend-daytime rule)."""
    park = destination(HOME, 200, 3_000)
    evidence = routine("b", HOME, range(7), (22.5, 23.9), per_week=2)
    evidence += routine("b", WORK, range(5), (10, 16), per_week=2, jitter_m=80)
    evidence += routine("b", park, (5, 6), (10, 18), per_week=1, seed=2)
    home = fit(evidence).place(PlaceKind.HOME)
    assert near(home, HOME, 50)


def test_small_night_shift_workplace_is_not_a_confident_home() -> None:
    """Failure 2, thin side: five nights at a night-shift workplace, a few days at home."""
    evidence = routine("c", WORK, range(5), (23.0, 23.9), weeks=5, per_week=1, jitter_m=60)
    evidence += routine("c", HOME, (5, 6), (11, 17), weeks=5, per_week=1, seed=2)
    evidence += routine("c", HOME, range(5), (12, 16), weeks=5, per_week=1, seed=3)
    home = fit(evidence).place(PlaceKind.HOME)
    assert home is None or near(home, HOME, 50) or home.confidence < 0.7


def test_living_on_base_gives_home_and_base_without_colleagues() -> None:
    """Failure 3: quarters inside the base; no one else in the corpus."""
    base = LatLon(69.45, 24.50)
    quarters = destination(base, 200, 300)
    evidence = routine("d", quarters, range(7), (21, 23.9), per_week=3)
    evidence += routine("d", quarters, (5, 6), (10, 18), per_week=1, seed=2)
    evidence += routine("d", base, range(5), (8.5, 16.5), per_week=3, seed=3, jitter_m=40)
    profile = fit(evidence)
    assert near(profile.place(PlaceKind.HOME), quarters, 50)
    assert near(profile.place(PlaceKind.BASE), base, 500)


def test_weekend_cabin_on_many_weekends_is_a_second_residence_not_the_home() -> None:
    """Failure 4: a cabin 66 km away, seen at weekends (day and night) more than the home."""
    cabin = destination(HOME, 300, 66_000)
    evidence = routine("e", HOME, range(5), (20.5, 23.9), per_week=2)
    evidence += routine("e", HOME, (5, 6), (10, 20), weeks=10, per_week=1, first_week=3, seed=4)
    evidence += routine("e", cabin, (5, 6), (10, 23.5), per_week=2, seed=2)
    evidence += routine("e", cabin, (4,), (22.2, 23.9), per_week=1, seed=3)  # Friday nights
    profile = fit(evidence)
    assert near(profile.place(PlaceKind.HOME), HOME, 50)
    second = [p for p in profile.places if p.extra.get("role") == "second-residence"]
    assert second
    assert near(second[0], cabin, 50)
    assert profile.place(PlaceKind.BASE) is None


def test_workplace_seen_on_a_few_weekdays_is_not_given_as_home_when_home_is_thin() -> None:
    """Thin evidence: five working-hours posts at work and two late-evening posts at home.

    The home is seen on too few days to be given, but it is a place the home role can take,
    so the workplace is not made the home (the old model gave it as home with 0.89).
    """
    for seed in (1, 2, 3):
        evidence = routine("t", WORK, range(5), (9.5, 16.5), weeks=5, per_week=1, seed=seed)
        evidence += routine(
            "t", HOME, range(5), (21.5, 23.5), weeks=2, per_week=1, first_week=1, seed=seed + 10
        )
        profile = fit(evidence)
        home = profile.place(PlaceKind.HOME)
        assert home is None or not near(home, WORK, 300), profile.places
        assert near(profile.place(PlaceKind.BASE), WORK, 300)


def test_home_worker_with_a_cafe_on_three_weekdays_has_no_base() -> None:
    """Failure 5: a café or errand place on a few weekdays is not a workplace."""
    cafe = destination(HOME, 40, 1_800)
    evidence = routine("f", HOME, range(7), (8, 23.5), per_week=4)
    evidence += routine("f", cafe, range(5), (10, 15), weeks=3, per_week=1, first_week=10, seed=2)
    profile = fit(evidence)
    assert near(profile.place(PlaceKind.HOME), HOME, 50)
    assert profile.place(PlaceKind.BASE) is None


def _rare_at_work(person: str, home: LatLon, work: LatLon, seed: int) -> list[Evidence]:
    """A day worker who geotags at home most weeks but at work on only two weekdays a year."""
    evidence = routine(person, home, range(7), (20, 23.5), per_week=2, seed=seed)
    evidence += routine(person, home, (5, 6), (10, 18), per_week=1, seed=seed + 1)
    evidence += routine(person, work, range(5), (9.5, 16), weeks=1, first_week=5, per_week=1,
                        seed=seed + 2, jitter_m=60)  # fmt: skip
    evidence += routine(person, work, range(5), (9.5, 16), weeks=1, first_week=30, per_week=1,
                        seed=seed + 3, jitter_m=60)  # fmt: skip
    return evidence


def test_colleagues_each_seen_at_work_on_two_weekdays_share_a_base() -> None:
    """Rare geotaggers at work: two weekdays each are too few on one's own, but two people
    seen there in working hours make a site (the old model needed three weekdays from some
    member before any site could form, so neither got a base)."""
    homes = [destination(WORK, 20, 6_000), destination(WORK, 160, 9_000), HOME]
    evidence = {
        f"w{k}": _rare_at_work(f"w{k}", home, WORK, seed=10 * k) for k, home in enumerate(homes)
    }
    profiles = LeakInference().fit(evidence).profiles_
    for profile, home in zip(profiles, homes, strict=True):
        assert near(profile.place(PlaceKind.HOME), home, 50)
        base = profile.place(PlaceKind.BASE)
        assert near(base, WORK, 500), profile.places
        assert base is not None
        assert base.site_id
    # Alone, the same two weekdays are not a base (a thin place needs others there).
    alone = fit(evidence["w0"])
    assert alone.place(PlaceKind.BASE) is None


def _staff(person: str, home: LatLon, seed: int) -> list[Evidence]:
    """A day worker at WORK, well seen at work and at home."""
    evidence = routine(person, home, range(7), (20, 23.5), per_week=2, seed=seed)
    evidence += routine(person, WORK, range(5), (9, 17), per_week=2, seed=seed + 1, jitter_m=60)
    return evidence


def test_a_neighbour_of_a_site_is_not_its_staff() -> None:
    """Someone with no workplace who lives 600 m from a site where three people work, seen at
    home and on weekday errands all over town, a few of them near the site: the site
    membership rule gave them the site as base at 0.8 (mobility family). Evidence the home
    explains does not count, and the site must hold more of their weekday evidence than
    their other places do in the day."""
    staff = {f"s{k}": _staff(f"s{k}", destination(WORK, 90 * k, 5_000 + 1_000 * k), 10 * k)
             for k in range(3)}  # fmt: skip
    neighbour_home = destination(WORK, 45, 600)
    rng = random.Random(7)
    errands = [destination(neighbour_home, rng.uniform(0, 360), rng.uniform(1_500, 6_000))
               for _ in range(6)]  # fmt: skip
    evidence = routine("n", neighbour_home, range(7), (8, 23), per_week=4, seed=1)
    for k, place in enumerate(errands):
        evidence += routine("n", place, range(5), (10, 17), weeks=8, per_week=1, seed=20 + k)
    evidence += routine("n", destination(WORK, 200, 250), range(5), (11, 15), weeks=3,
                        per_week=1, seed=40)  # fmt: skip
    profiles = {p.person: p for p in LeakInference().fit({**staff, "n": evidence}).profiles_}
    for name in staff:
        assert near(profiles[name].place(PlaceKind.BASE), WORK, 500)
    assert near(profiles["n"].place(PlaceKind.HOME), neighbour_home, 50)
    assert profiles["n"].place(PlaceKind.BASE) is None, profiles["n"].places


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_posts_at_a_home_too_thin_to_give_do_not_tie_a_person_to_a_nearby_site(
    seed: int,
) -> None:
    """A sparse poster seen on two weekday evenings at home, 450 m from a site where three
    people work, and once elsewhere: the home has too few days to be given, and the
    membership rule, which leaves out evidence at the person's given homes only, gave the
    site as base from the two posts at home (a night worker 7.8 km from her workplace got
    one at 0.795, mobility development 351). Her own fit reads the place as her home; that
    explains the posts whether or not the home is reported."""
    staff = {f"s{k}": _staff(f"s{k}", destination(WORK, 90 * k, 5_000 + 1_000 * k), 10 * k)
             for k in range(3)}  # fmt: skip
    rng = random.Random(seed)
    home = destination(WORK, rng.uniform(0, 360), 450)
    days = rng.sample(range(5, 40 * 7, 7), 2)  # two Saturdays' weeks: their Tuesday
    evidence = [
        seen("t", home, datetime.combine(START + timedelta(days=d - 4), datetime.min.time())
             + timedelta(hours=rng.uniform(18, 22)), rng=rng)
        for d in days
    ]  # fmt: skip
    away = destination(home, rng.uniform(0, 360), 2_500)
    evidence.append(seen("t", away, datetime.combine(START + timedelta(days=100),
                                                     datetime.min.time()) + timedelta(hours=20.5),
                         rng=rng))  # fmt: skip
    profiles = {p.person: p for p in LeakInference().fit({**staff, "t": evidence}).profiles_}
    for name in staff:
        assert near(profiles[name].place(PlaceKind.BASE), WORK, 500)
    assert profiles["t"].place(PlaceKind.HOME) is None  # two days: not given
    assert profiles["t"].place(PlaceKind.BASE) is None, profiles["t"].places


def test_mover_gets_the_newer_home_as_current_and_no_base() -> None:
    """Failure 6: the current home was labelled base; both homes, newest first, with dates."""
    new_home = destination(HOME, 120, 6_000)
    evidence = routine("g", HOME, range(7), (8, 23.5), weeks=20, per_week=3)
    evidence += routine(
        "g", new_home, range(7), (8, 23.5), weeks=22, per_week=3, first_week=20, seed=2
    )
    profile = fit(evidence)
    homes = [p for p in profile.places if p.kind == PlaceKind.HOME]
    assert len(homes) == 2
    assert near(homes[0], new_home, 50)
    assert near(homes[1], HOME, 50)
    assert "valid_from" in homes[0].extra
    assert "valid_to" in homes[1].extra
    assert profile.place(PlaceKind.BASE) is None


def test_a_move_late_in_the_period_gives_the_new_home() -> None:
    """Issue 11, failure 6, a move late in the period: the old home seen on one evening a week
    for 12 weeks, nothing for a month, then the new home on 3 evenings in 2 weeks. The new
    home has what any home needs to be given (3 days in 2 weeks), so the move is offered and
    read; with moves held to 28 days and 3 weeks at each home, only the old home was given."""
    new_home = destination(HOME, 120, 6_000)
    rng = random.Random(11)
    evenings = [START + timedelta(weeks=w, days=w % 5) for w in range(12)]
    evenings += [START + timedelta(weeks=16, days=1), START + timedelta(weeks=16, days=3),
                 START + timedelta(weeks=17, days=2)]  # fmt: skip
    evidence = [
        seen("l", HOME if k < 12 else new_home,
             datetime.combine(day, datetime.min.time()) + timedelta(hours=20.5), rng=rng)
        for k, day in enumerate(evenings)
    ]  # fmt: skip
    homes = [p for p in fit(evidence).places if p.kind == PlaceKind.HOME]
    assert len(homes) == 2, homes
    assert near(homes[0], new_home, 50) and "valid_from" in homes[0].extra
    assert near(homes[1], HOME, 50) and "valid_to" in homes[1].extra


def test_a_few_visits_while_the_old_home_goes_on_are_not_a_move() -> None:
    """A place seen on 3 days in the last months, while the home is still seen there every
    week, is a visit (a friend's flat), not a move: one home, no earlier one."""
    visited = destination(HOME, 200, 19_000)
    evidence = routine("v", HOME, range(7), (18, 23.5), weeks=40, per_week=1)
    # The home is still seen now and then to the end (fewer posts, not a move) ...
    evidence += routine("v", HOME, range(7), (18, 23.5), weeks=12, per_week=1, first_week=40)[1::5]
    # ... while a place 19 km away gets three evenings in those months.
    evidence += routine("v", visited, (1, 3, 5), (18, 22), weeks=12, per_week=1, first_week=40)[::5]
    profile = fit(evidence)
    homes = [p for p in profile.places if p.kind == PlaceKind.HOME]
    assert len(homes) == 1
    assert near(homes[0], HOME, 50)


def test_holiday_hotel_burst_is_travel_never_base() -> None:
    """Failure 7: two weeks of weekday daytime posts at a hotel far away."""
    hotel = LatLon(-16.80, 179.99)  # Fiji, next to the antimeridian
    evidence = routine("h", HOME, range(7), (8, 23.5), per_week=3)
    rng = random.Random(7)
    for day in range(14):
        for hour in (10.0, 13.5, 16.0, 22.5):
            local = datetime.combine(START + timedelta(weeks=20, days=day), datetime.min.time())
            evidence.append(
                seen("h", hotel, local + timedelta(hours=hour), utc_offset_h=12, rng=rng)
            )
    profile = fit(evidence)
    assert near(profile.place(PlaceKind.HOME), HOME, 50)
    assert profile.place(PlaceKind.BASE) is None
    travel = [p for p in profile.places if p.extra.get("role") == "travel"]
    assert travel
    assert near(travel[0], hotel, 100)


def test_night_worker_or_late_social_life_is_never_a_confident_swap() -> None:
    """Ambiguous: a place seen late on weeknights only (a night workplace or a pub) and a
    home seen in the day; whichever is given as home must not be given confidently wrong."""
    pub = destination(HOME, 10, 2_500)
    evidence = routine("i", pub, range(5), (22.2, 23.9), per_week=2)
    evidence += routine("i", HOME, range(7), (10, 17), per_week=2, seed=2)
    profile = fit(evidence)
    home = profile.place(PlaceKind.HOME)
    assert home is None or near(home, HOME, 50) or home.confidence < 0.7


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_night_worker_seen_at_work_at_night_is_never_a_confident_swap(seed: int) -> None:
    """A night-shift worker seen at work late on weeknights and at shift end, at home in the
    evening and on weekend afternoons: the same posts fit a day worker living at the workplace
    with the home as their workplace. The answer rests on how common night work is, so
    whatever is given at the wrong place must not be given confidently (it was, at 0.9)."""
    weeks = 14
    evidence = routine("n", WORK, range(5), (22.5, 23.9), weeks=weeks, per_week=1, jitter_m=60,
                       seed=seed)  # fmt: skip
    evidence += routine("n", WORK, range(5), (6.0, 7.0), weeks=weeks // 3, per_week=1,
                        jitter_m=60, seed=seed + 10)  # fmt: skip
    evidence += routine("n", HOME, range(5), (18.0, 21.0), weeks=weeks // 2, per_week=1,
                        seed=seed + 20)  # fmt: skip
    evidence += routine("n", HOME, (5, 6), (13.0, 18.0), weeks=weeks // 2, per_week=1,
                        seed=seed + 30)  # fmt: skip
    profile = fit(evidence)
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    assert home is None or near(home, HOME, 100) or home.confidence < 0.8
    assert base is None or near(base, WORK, 500) or base.confidence < 0.8


def _shift_end_night_worker(seed: int) -> list[Evidence]:
    """A thin night worker: at work on four nights (23:00-03:00) and six mornings as the
    shift ends (06:00-06:55), at home on three weekday evenings before the shift and one
    weekend afternoon."""
    evidence = routine("e", WORK, range(4), (23.0, 27.0), weeks=4, per_week=1, jitter_m=40,
                       seed=seed)  # fmt: skip
    evidence += routine("e", WORK, range(1, 5), (6.0, 6.9), weeks=6, per_week=1, jitter_m=40,
                        seed=seed + 10)  # fmt: skip
    evidence += routine("e", HOME, range(5), (18.0, 21.0), weeks=3, per_week=1, seed=seed + 20)
    evidence += routine("e", HOME, (5, 6), (13.0, 18.0), weeks=1, per_week=1, seed=seed + 30)
    return evidence


def test_night_worker_seen_at_work_as_the_shift_ends_is_not_housed_there() -> None:
    """Seen at the workplace at 06:00-06:55 on six mornings: a night shift ends then, so a
    night worker is still at work at 06:00 and at home by 08:00 (`roles.PERSON_HOURS_PARTS`).
    Read at the weekday morning's average (0.20 at work for a night worker, 0.80-0.92 at home
    for a day worker at 06-07) those mornings made the workplace the home of a day worker,
    given at 0.62-0.92 on all twelve seeds (five at 0.8 or more); now one seed gives it, at
    0.54, and the others abstain."""
    housed_at_work = []
    for seed in range(1, 13):
        home = fit(_shift_end_night_worker(seed)).place(PlaceKind.HOME)
        if near(home, WORK, 500):
            assert home is not None
            housed_at_work.append((seed, round(home.confidence, 2)))
    assert len(housed_at_work) <= 1, housed_at_work
    assert all(confidence < 0.6 for _, confidence in housed_at_work), housed_at_work


def _weekend_home_night_worker(seed: int) -> list[Evidence]:
    weeks = 30
    evidence = routine("w", WORK, range(5), (19.5, 23.9), weeks=weeks, per_week=1, jitter_m=40,
                       seed=seed)  # fmt: skip
    evidence += routine("w", WORK, range(5), (0.5, 3.0), weeks=weeks // 5, per_week=1,
                        jitter_m=40, seed=seed + 10)  # fmt: skip
    evidence += routine("w", HOME, (5, 6), (9.0, 23.5), weeks=weeks, per_week=1, seed=seed + 20)
    evidence += routine("w", HOME, range(5), (12.0, 17.0), weeks=weeks // 6, per_week=1,
                        seed=seed + 30)  # fmt: skip
    return evidence


def test_a_home_seen_mostly_at_weekends_is_not_a_second_residence_of_every_weekend() -> None:
    """A night worker seen at work on weekday evenings and nights only, and at home at
    weekends (day and night) and on a few weekday afternoons. Read as "home at the
    workplace, a second residence every weekend" the home would hold all of the person's
    weekends, which few second-home owners do (`roles.SECOND_RESIDENCE_SHARE_PRIOR`). That
    reading was given at 0.8 or more on 5 of these 12 seeds when the share was the counts'
    own (and at 0.87 to a night worker of the periodic-mobility family); one seed is still
    read, at 0.85, as a day worker living at the workplace with a weekend job at the home, a
    reading the second residence's share does not touch."""
    wrong = []
    for seed in range(1, 13):
        home = fit(_weekend_home_night_worker(seed)).place(PlaceKind.HOME)
        if not (home is None or near(home, HOME, 100) or home.confidence < 0.8):
            wrong.append(seed)
    assert len(wrong) <= 1, wrong


def _weekly_commuter(seed: int, evenings: int) -> tuple[list[Evidence], LatLon]:
    """At a cabin 66 km away every weekend (two posts on Saturday and Sunday, one on Friday
    night), and at the weekday home on `evenings` weekday evenings a week, 40 weeks."""
    cabin = destination(HOME, 300, 66_000)
    evidence = routine("k", HOME, range(5), (20.5, 23.9), per_week=evenings, seed=seed)
    evidence += routine("k", cabin, (5, 6), (10, 23.5), per_week=2, seed=seed + 1)
    evidence += routine("k", cabin, (4,), (22.2, 23.9), per_week=1, seed=seed + 2)
    return evidence, cabin


@pytest.mark.parametrize(("evenings", "right_at", "least_right"), [(1, 0.7, 3), (2, 0.9, 5)])
def test_weekly_commuter_at_a_cabin_every_weekend_keeps_the_weekday_home(
    evenings: int, right_at: float, least_right: int
) -> None:
    """Someone at a cabin every weekend who posts from the weekday home on one or two
    evenings a week, six seeds: the cabin is a second residence used on every weekend, which
    the prior of second-home use makes rare but not impossible
    (`roles.SECOND_RESIDENCE_SHARE_PRIOR`). With a second residence's share bounded at a
    half, one evening a week gave the cabin as home on five seeds (0.56-0.99) and the home
    on none, two evenings the home at 0.9 or more on two."""
    right, cabin_as_home = 0, 0
    for seed in range(1, 7):
        evidence, cabin = _weekly_commuter(10 * seed, evenings)
        home = fit(evidence).place(PlaceKind.HOME)
        right += near(home, HOME, 100) and home is not None and home.confidence >= right_at
        cabin_as_home += near(home, cabin, 100) and home is not None and home.confidence >= 0.8
    assert right >= least_right
    assert cabin_as_home <= 1


def test_second_residence_weekends_join_the_home_and_their_split_is_scored_apart() -> None:
    """A second residence's weekend days join the home's (one cell of the
    Dirichlet-multinomial), and each weekend part's split between them is returned for
    `second_split_loglik`; other parts and other assignments are left alone."""
    weekend = list(roles.WEEKEND_BINS)
    by_role = np.zeros((2, 4, roles.N_BINS))
    by_role[:, roles.SECOND, weekend] = (6, 3)
    by_role[:, roles.HOME, weekend] = (2, 1)
    by_role[:, roles.SECOND, roles.EVENING] = 1.0  # not a weekend part
    before = by_role.copy()
    days = roles._second_residence_days(by_role, np.array([True, False]))
    assert days[0].tolist() == [[6, 2], [3, 1]]
    assert (days[1] == 0).all()
    assert by_role[0, roles.HOME, weekend].tolist() == [8, 4]
    assert (by_role[0, roles.SECOND, weekend] == 0).all()
    assert by_role[0, roles.SECOND, roles.EVENING] == 1.0
    assert (by_role[1] == before[1]).all()


def test_second_residence_split_is_its_marginal_likelihood_under_the_share_prior() -> None:
    """The split's log-likelihood is the integral over the share s ~ Beta(a, b) of each
    part's Beta-binomial (concentration x home presence, as the Dirichlet-multinomial splits a
    cell); its cost for a place seen on every weekend grows far slower than the days, and is
    far below the bound at a half's that it replaces."""
    from scipy import integrate, stats
    from scipy.special import betaln

    a, b = roles.SECOND_RESIDENCE_SHARE_PRIOR
    alpha = 10.0
    home = np.array([0.62, 0.88])

    def reference(days: list[tuple[int, int]]) -> float:
        def integrand(s: float) -> float:
            log = stats.beta(a, b).logpdf(s)
            for (k, h), c in zip(days, alpha * home, strict=True):
                log += betaln(k + c * s, h + c * (1 - s)) - betaln(c * s, c * (1 - s))
            return float(np.exp(log))

        return math.log(integrate.quad(integrand, 0, 1, limit=200, points=[0.5, 0.9])[0])

    cases = [[(40, 0), (20, 0)], [(80, 0), (40, 0)], [(68, 0), (45, 6)], [(3, 9), (1, 4)]]
    got = roles.second_split_loglik(np.array(cases, dtype=float), home, alpha)
    for value, days in zip(got.tolist(), cases, strict=True):
        assert value == pytest.approx(reference(days), abs=1e-3)
    every_weekend, twice_as_many = got[0], got[1]
    assert 0 < every_weekend - twice_as_many < 1.0
    at_the_bound = sum(betaln(k + c / 2, c / 2) - betaln(c / 2, c / 2)
                       for (k, _), c in zip(cases[1], alpha * home, strict=True))  # fmt: skip
    assert twice_as_many > at_the_bound + 5.0


@pytest.mark.parametrize("seed", range(1, 7))
def test_night_worker_awake_in_the_afternoon_is_not_read_as_long_hours(seed: int) -> None:
    """The long-hours day worker's mirror: a night worker seen at work at shift start and end
    (22-23:30, 05-07) and at home in the afternoon and evening (16-21) and on weekend
    afternoons. Where they are seen fits a day worker living at the workplace whose working
    day runs into the evening as well (the code before the waking-hours evidence gave the
    home as base at 0.77-0.92 and the workplace as home for all six); the hours they are
    seen at all do not: a day worker is asleep at 05:00 and seldom up at 23:00, a night
    worker is awake then and asleep until the afternoon. Neither place may be given as the
    other confidently. A late day worker is up at 23:00 too (`CHRONOTYPE_SHIFTS_H`),
    so only the 05:00 posts and the afternoons argue for night work: over seeds 1-40, 9
    swaps at 0.50-0.70 and 30 abstentions (before the chronotypes: 3 at 0.54-0.64)."""
    evidence = routine("n", WORK, range(5), (22.0, 23.5), weeks=14, per_week=1, jitter_m=60,
                       seed=seed)  # fmt: skip
    evidence += routine("n", WORK, range(5), (5.0, 7.0), weeks=14, per_week=1, jitter_m=60,
                        seed=seed + 10)  # fmt: skip
    evidence += routine("n", HOME, range(5), (16.0, 21.0), weeks=14, per_week=1, seed=seed + 20)
    evidence += routine("n", HOME, (5, 6), (15.0, 21.0), weeks=7, per_week=1, seed=seed + 30)
    profile = fit(evidence)
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    assert home is None or near(home, HOME, 100) or home.confidence < 0.75
    assert base is None or near(base, WORK, 500) or base.confidence < 0.75


def test_waking_hours_evidence() -> None:
    """The hours a person is seen at all: nothing seen, nothing known; day types but the
    early shift share the day worker's waking hours; seen at 03:00 on weeknights argues for
    night work (and a little for an evening shift, whose sleep is later), seen at noon on
    weekdays (a night worker's sleep) against it, seen at 05:00 for an early shift and at
    23:00 against it, and many observations in one hour count little more than a few."""
    assert not activity_log_bayes_factors(None).any()
    assert not activity_log_bayes_factors(np.zeros((len(BINS), 24))).any()
    nights = np.zeros((len(BINS), 24))
    nights[WEEKNIGHT, 3] = 5
    nights[EVENING, 19] = 5
    factors = activity_log_bayes_factors(nights)
    assert not factors[[DAY, PART_TIME, LONG_DAY, NO_WORK]].any()
    assert factors[NIGHT_SHIFT] > 2.0
    assert 0.0 < factors[EVENING_SHIFT] < factors[NIGHT_SHIFT]
    lunches = np.zeros((len(BINS), 24))
    lunches[WORK_HOURS, 12] = 5
    lunches[WORK_HOURS, 13] = 5
    assert activity_log_bayes_factors(lunches)[NIGHT_SHIFT] < -2.0
    # At lunch an evening-shift worker is awake as a day worker is: (almost) no evidence.
    assert abs(activity_log_bayes_factors(lunches)[EVENING_SHIFT]) < 0.25
    twenty_times = activity_log_bayes_factors(lunches * 20)[NIGHT_SHIFT]
    assert abs(twenty_times) < 2 * abs(activity_log_bayes_factors(lunches)[NIGHT_SHIFT])
    early = np.zeros((len(BINS), 24))
    early[WEEKNIGHT, 5] = 5  # a weekday's 05:00 counts on the night before
    early[EVENING, 19] = 5
    late = np.zeros((len(BINS), 24))
    late[WEEKNIGHT, 23] = 5
    late[EVENING, 19] = 5
    assert activity_log_bayes_factors(early)[EARLY_SHIFT] > 0.5
    assert activity_log_bayes_factors(late)[EARLY_SHIFT] < -0.5


def test_evening_shift_sleep_and_long_commutes() -> None:
    """Seen on weekdays at 23:00-01:00 and in the afternoon: an evening-shift worker's hours
    more than a day worker's (the shift ends at ~23:00 and sleep follows it). A workplace
    60-100 km from the home is ~1/37 as likely as a nearer one (ONS 2011 commute distances),
    one within 60 km keeps the prior it had, and one beyond 100 km keeps
    `FAR_WORKPLACE_SHARE`."""
    from geoleak.infer.roles import (
        COMMUTE_BAND_LOG_PRIOR,
        FAR_WORKPLACE_SHARE,
        commute_band,
    )

    late = np.zeros((len(BINS), 24))
    late[WEEKNIGHT, [23, 0]] = 4
    late[WORK_HOURS, [14, 15, 16]] = 4
    assert activity_log_bayes_factors(late)[EVENING_SHIFT] > 1.0
    assert [commute_band(d) for d in (0.0, 59_000.0, 61_000.0, 99_000.0, 101_000.0)] == [
        0, 0, 1, 1, 2
    ]  # fmt: skip
    prior = np.exp(COMMUTE_BAND_LOG_PRIOR)
    assert prior[0] == pytest.approx(1 - FAR_WORKPLACE_SHARE)
    assert prior[2] == pytest.approx(FAR_WORKPLACE_SHARE)
    assert 0.02 < prior[1] / prior[0] < 0.04


def test_night_owl_day_workers_keep_home_and_base() -> None:
    """Day workers who post late by the clock (a late chronotype, or a place whose clock
    runs an hour or two ahead of the sun, as Spain's or Alaska's in summer): 20-60 posts
    over 300 days, half at home at 23:00, 00:00, 01:00, 02:00 or 07:00 on any day, half at
    work 10-17 on weekdays. Twitter's nightly lull is ~02-06 and late types go to bed late
    and still get up for work, so these are a day worker's hours. Read at the population's
    sleep times they took 5 of these 60 people for night workers, and gave no home."""
    missed = []
    for seed in range(60):
        rng = random.Random(f"owl-{seed}")
        evidence = []
        for _ in range(rng.randint(20, 60)):
            day = START + timedelta(days=rng.randrange(300))
            if rng.random() < 0.5:
                hour, place = rng.choice([23, 0, 1, 2, 7]), HOME
            else:
                while day.weekday() >= 5:
                    day += timedelta(days=1)
                hour, place = rng.randint(10, 17), WORK
            local = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=hour, minutes=rng.randrange(60)
            )
            evidence.append(seen("o", place, local, rng=rng, jitter_m=25))
        profile = fit(evidence)
        if not (near(profile.place(PlaceKind.HOME), HOME, 100)
                and near(profile.place(PlaceKind.BASE), WORK, 500)):  # fmt: skip
            missed.append(seed)
    assert missed == []


def test_waking_hours_of_a_late_chronotype() -> None:
    """Seen from 22:00 to 01:00 and in working hours: a late day worker, so the hours argue
    for day work over night work (they argued for night work at the population's bedtimes);
    seen at 03:00-04:00 as well, they still argue for night work."""
    late = np.zeros((len(BINS), 24))
    late[WEEKNIGHT, [22, 23, 0, 1]] = 4
    late[WORK_HOURS, [10, 12, 14, 16]] = 4
    assert activity_log_bayes_factors(late)[NIGHT_SHIFT] < 0.0
    small_hours = late.copy()
    small_hours[WEEKNIGHT, [3, 4]] = 4
    assert activity_log_bayes_factors(small_hours)[NIGHT_SHIFT] > 0.0


def _rotating(person: str, *, rate: float, seed: int, days: int = 280) -> list[Evidence]:
    """A 12-hour shift worker, four days on and four off, day (07-19) and night (19-07)
    blocks alternating; on a shift day seen at work (60 %) or at home before or after it."""
    rng = random.Random(f"{person}-{seed}")
    out = []
    for d in range(days):
        if rng.random() > rate:
            continue
        step, night_block = (d + seed) % 8, ((d + seed) // 8) % 2 == 1
        at_work = step < 4 and rng.random() < 0.6
        if step >= 4:
            place, hour = HOME, rng.uniform(9, 23.5)
        elif night_block:
            place, hour = (
                (WORK, rng.uniform(19.5, 30.5)) if at_work else (HOME, rng.uniform(14, 18.5))
            )
        else:
            place, hour = (
                (WORK, rng.uniform(8, 18.5)) if at_work else (HOME, rng.uniform(19.5, 23.5))
            )
        local = datetime.combine(START + timedelta(days=d), datetime.min.time()) + timedelta(
            hours=hour
        )
        out.append(seen(person, place, local, rng=rng, jitter_m=40 if place == WORK else 15))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("rate", [0.1, 0.2, 0.4])
def test_rotating_twelve_hour_worker_is_never_a_confident_swap(rate: float, seed: int) -> None:
    """Home and workplace of a rotating 12-hour worker are seen at every part of the week;
    home or base may be given at the other's place only without confidence, and with ~100
    located posts over the period both are right."""
    profile = fit(_rotating("r", rate=rate, seed=seed))
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    assert home is None or near(home, HOME, 100) or home.confidence < 0.8
    assert base is None or near(base, WORK, 500) or base.confidence < 0.8
    if rate >= 0.4:
        assert near(home, HOME, 100)
        assert near(base, WORK, 500)


def _rota_worker(person: str, pattern: str, *, rate: float, seed: int) -> list[Evidence]:
    """A shift worker on a rota (`pattern`: one cycle of days, 1 on, 0 off; 12-hour day
    shifts 07-19 and night shifts 19-07 alternating by block), seen on ~`rate` of days: on a
    shift day at work (60 %) or at home before or after the shift, on a day off at home or
    out (at one of several places, a third of the time)."""
    rng = random.Random(f"{person}-{pattern}-{seed}")
    outings = [destination(HOME, rng.uniform(0, 360), rng.uniform(1_500, 9_000)) for _ in range(6)]
    out, night = [], False
    for d in range(280):
        step = (d + seed) % len(pattern)
        if step == 0:
            night = not night
        if rng.random() > rate:
            continue
        if pattern[step] == "1" and rng.random() < 0.6:
            place, hour = WORK, rng.uniform(19.5, 30.5) if night else rng.uniform(8, 18.5)
        elif pattern[step] == "1":
            place, hour = HOME, rng.uniform(14, 18.5) if night else rng.uniform(19.5, 23.5)
        else:
            place = rng.choice(outings) if rng.random() < 1 / 3 else HOME
            hour = rng.uniform(9, 23.5)
        local = datetime.combine(START + timedelta(days=d), datetime.min.time()) + timedelta(
            hours=hour
        )
        out.append(seen(person, place, local, rng=rng, jitter_m=40 if place == WORK else 15))
    return out


@pytest.mark.parametrize("pattern", ["11110000", "11001110011000"])  # 4 on 4 off; 2-2-3
def test_rotating_workers_on_a_rota_get_their_base(pattern: str) -> None:
    """Thin rotating 12-hour workers (seen on ~1 day in 5, eight seeds): the days they are
    seen at work follow their rota, the days at home and out do not, which tells the
    workplace from the home and from a place visited. (Before the rota evidence, four on
    four off: 11 right and 4 wrong homes or bases; 2-2-3: 6 right, 4 wrong.)"""
    right = wrong = 0
    for seed in range(1, 9):
        profile = fit(_rota_worker("r", pattern, rate=0.2, seed=seed))
        right, wrong = tally(profile, right, wrong)
    assert wrong == 0
    assert right >= 15


def test_rota_bayes_factor_is_proper_and_bounded() -> None:
    """Over a day drawn at random the rota factor averages 1 (it is a likelihood ratio, so a
    place visited at random is not favoured on average); days on a rota give strong evidence,
    weekdays of a day worker evidence against, never below the irregular schedules' share."""
    import numpy as np

    from geoleak.infer.roles import ROTA_REGULAR_SHARE, ROTAS, rota_log_bayes_factor

    cycle = math.lcm(*(len(pattern) for pattern in ROTAS.values()))
    one_day = [math.exp(rota_log_bayes_factor([739_000 + d])) for d in range(cycle)]
    assert abs(float(np.mean(one_day)) - 1.0) < 1e-9
    four_on = [d for d in range(739_000, 739_200) if d % 8 < 4][::3]
    assert rota_log_bayes_factor(four_on) > 5.0
    weekdays = [d for d in range(739_000, 739_070) if (d + 6) % 7 < 5]
    assert math.log(1 - ROTA_REGULAR_SHARE) <= rota_log_bayes_factor(weekdays) < 0.0
    assert rota_log_bayes_factor([]) == 0.0
    assert rota_log_bayes_factor(four_on) == rota_log_bayes_factor(four_on + four_on[:5])


def _dupont_worker(seen_every: int) -> tuple[list[int], list[int]]:
    """A rotating worker on DuPont's day/night rota, seen at work on every `seen_every`-th
    day on: days (date ordinals) and the local hour of one point on each (13:00 on a day
    shift, 23:00 or 03:00 on a night shift, the small hours counted on the evening before)."""
    from geoleak.infer.roles import ROTAS

    pattern = ROTAS["DuPont, days and nights (12-hour)"]
    days, hours = [], []
    for k, d in enumerate(range(739_003, 739_003 + 112)):
        shift = pattern[(d - 739_003) % len(pattern)]
        if shift != "0" and k % seen_every == 0:
            days.append(d)
            hours.append(13 if shift == "D" else (23 if k % 2 else 3))
    return days, hours


def test_day_and_night_shifts_on_a_rota_add_evidence_for_a_rotating_worker() -> None:
    """A DuPont rotating worker's workplace gains from its days' shifts (day shifts on the
    rota's day blocks, night shifts on its night blocks); the same days with the shifts
    swapped block by block lose; a day worker whose workplace is also seen some evenings
    at 20:00 and a place seen on evenings at random gain nothing from their hours."""
    from geoleak.infer.roles import rota_log_bayes_factor

    days, hours = _dupont_worker(2)
    alone = rota_log_bayes_factor(days)
    with_shifts = rota_log_bayes_factor(days, hours)
    assert with_shifts > alone + 2.0
    swapped = [13 if h != 13 else 23 for h in hours]
    assert rota_log_bayes_factor(days, swapped) < alone
    rng = random.Random(7)
    weekdays = [d for d in range(739_000, 739_090) if (d + 6) % 7 < 5 and rng.random() < 0.7]
    work_days = weekdays + [d for d in weekdays if rng.random() < 0.3]  # late on some days
    work_hours = [rng.choice([10, 12, 15]) for _ in weekdays] + [20] * (
        len(work_days) - len(weekdays)
    )
    assert rota_log_bayes_factor(work_days, work_hours) <= rota_log_bayes_factor(work_days) + 1e-3
    for _ in range(20):
        evenings = sorted(rng.sample(range(739_000, 739_090), 12))
        at = [rng.choice([20, 21, 22, 23]) for _ in evenings]
        assert rota_log_bayes_factor(evenings, at) <= rota_log_bayes_factor(evenings) + 0.1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 1_679), min_size=1, max_size=7, unique=True),
    st.integers(700_000, 740_000),
    st.sampled_from([None, *(name for name, rota in ROTAS.items() if "D" in rota)]),
    st.booleans(),
)
def test_rota_shift_evidence_does_not_favour_shifts_drawn_without_a_rota(
    offsets: list[int], start: int, rota: str | None, laplace: bool
) -> None:
    """Shifts drawn without a rota (half days and half nights, or each day's shift by
    Laplace's rule from the days before) do not raise the rota factor on average: summed
    over every sequence of day and night shifts, weighted by its probability, the factor
    with shifts is at most the factor of the days alone (days anywhere, or on the on-days
    of a day/night rota, where the shifts weigh most)."""
    from itertools import product

    from geoleak.infer.roles import rota_log_bayes_factor

    if rota is None:
        days = [start + d for d in offsets]
    else:
        pattern = ROTAS[rota]
        days = [start + d for d in offsets if pattern[d % len(pattern)] != "0"]
    mean = 0.0
    for shifts in product((13, 23), repeat=len(days)):
        probability, seen = 1.0, {13: 0, 23: 0}
        for k, shift in enumerate(shifts):
            probability *= (seen[shift] + 1) / (k + 2) if laplace else 0.5
            seen[shift] += 1
        mean += probability * math.exp(rota_log_bayes_factor(days, list(shifts)))
    assert mean <= math.exp(rota_log_bayes_factor(days)) * (1 + 1e-9)


def test_robust_confidence_is_the_lowest_posterior_over_shift_work_priors() -> None:
    from geoleak.infer.roles import (
        PERSON_TYPES,
        ROBUST_LONG_HOURS_SHARES,
        RolePriors,
        robust_type_shifts,
        type_priors,
    )

    priors = RolePriors()
    shifts = robust_type_shifts(priors)
    # One per shift schedule made common, one per long-hours share.
    assert len(shifts) == 3 + len(ROBUST_LONG_HOURS_SHARES)
    for shift in shifts:
        assert len(shift) == len(PERSON_TYPES)
        # Every alternative is a distribution over types.
        base = type_priors(priors)
        total = sum(base[t] * math.exp(shift[t]) for t in range(len(PERSON_TYPES)))
        assert total == pytest.approx(1.0)
    # Where the person's posts decide, the alternatives hardly move the confidence.
    evidence = routine("a", HOME, range(7), (19, 23.5), per_week=3)
    evidence += routine("a", WORK, range(5), (9, 17), per_week=3, jitter_m=80, seed=2)
    profile = fit(evidence)
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    assert near(home, HOME, 100) and home is not None and home.confidence >= 0.95
    assert near(base, WORK, 500) and base is not None and base.confidence >= 0.95


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_home_resting_on_three_weekend_lunches_is_not_given_confidently(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lunch-time poster seen on three weekdays at one place and on three weekends at a
    cafe: the cafe is given as home at 0.90 by the plain posterior, which rests on three
    observations. The bagged posterior (`roles.BAG_DRAWS`) gives it at ~0.81 (0.72 with
    a bootstrap as large as the data, `BAG_BOOTSTRAP_SIZE` 1); a home seen on many nights
    keeps its confidence."""
    from geoleak.infer.roles import RoleFit

    cafe = destination(HOME, 45, 3_000)
    evidence = routine(f"l{seed}", WORK, range(5), (12.0, 13.8), weeks=3, per_week=1, seed=seed)
    evidence += routine(f"l{seed}", cafe, (5, 6), (12.0, 13.8), weeks=3, per_week=1,
                        seed=seed + 100)  # fmt: skip
    home = fit(evidence).place(PlaceKind.HOME)
    with monkeypatch.context() as patch:
        patch.setattr(RoleFit, "bagged_marginals", lambda *_, **__: None)
        plain = fit(evidence).place(PlaceKind.HOME)
    assert plain is not None and plain.confidence > 0.85
    assert home is None or home.confidence < min(0.85, plain.confidence - 0.05)
    nights = fit(routine(f"n{seed}", HOME, range(7), (21.0, 23.5), per_week=2, seed=seed))
    assert near(nights.place(PlaceKind.HOME), HOME, 100)
    assert nights.place(PlaceKind.HOME).confidence >= 0.95  # type: ignore[union-attr]


def test_bayesian_bootstrap_weights_are_reproducible_and_centred_on_the_counts() -> None:
    from geoleak.infer.roles import BAG_DRAWS, _bag_weights

    counts = np.array([[0.0, 1.0, 3.0, 0.0, 2.0, 1.0], [5.0, 0.0, 0.0, 1.0, 0.0, 0.0]])
    weights = _bag_weights(counts)
    assert weights.shape == (BAG_DRAWS, *counts.shape)
    assert np.array_equal(weights, _bag_weights(counts.copy()))  # same evidence
    assert not np.array_equal(weights, _bag_weights(counts[::-1].copy()))
    assert (weights[:, counts == 0] == 0).all() and (weights[:, counts > 0] > 0).all()
    # Each cell's draws are stratified quantiles of gamma(count): their mean is near the
    # count (the Bayesian bootstrap's expectation).
    assert np.allclose(weights.mean(axis=0), counts, atol=0.35 * np.sqrt(counts) + 1e-12)


def test_bootstrap_weights_vary_as_a_bootstrap_of_twice_the_data() -> None:
    """The reweightings are those of a bootstrap of `BAG_BOOTSTRAP_SIZE` (2) times the data:
    mean the count, variance count / 2 (a plain Bayesian bootstrap's is the count, which
    made the low confidence bands cautious)."""
    from geoleak.infer.roles import BAG_BOOTSTRAP_SIZE, _bag_weights

    assert BAG_BOOTSTRAP_SIZE == 2.0
    counts = np.array([[40.0, 60.0, 90.0]])
    weights = _bag_weights(counts)[:, 0, :]  # (draws, cells)
    assert np.allclose(weights.mean(axis=0), counts[0], rtol=0.02)
    # Eight stratum midpoints leave out the tails: their variance is ~0.8 of the gamma's.
    ratio = weights.var(axis=0) / (counts[0] / BAG_BOOTSTRAP_SIZE)
    assert ((ratio > 0.6) & (ratio < 1.05)).all()


def test_bagged_home_marginals_are_a_distribution() -> None:
    from geoleak.infer.places import InferenceParams, analyse_person
    from geoleak.infer.roles import BAG_DRAWS, robust_type_shifts

    evidence = routine("m", HOME, range(7), (20, 23), weeks=6, per_week=1)
    evidence += routine("m", WORK, range(5), (9, 17), weeks=6, per_week=1, seed=2)
    params = InferenceParams()
    analysis = analyse_person("m", evidence, params)
    fit_ = analysis.fit
    assert fit_ is not None and fit_.bag_index.size > 0
    home_of = np.array([s.home for s in fit_.structures])[fit_.structure_index]
    n_home = len(analysis.home_candidates)
    shifts = [None, *robust_type_shifts(params.priors)]
    bagged = fit_.bagged_marginals(home_of, n_home, None, shifts)
    assert bagged is not None and len(bagged) == len(shifts)
    assert fit_.bag_log_scores is not None  # scored with the fit (`roles_many`)
    assert fit_.bag_log_scores.shape == (BAG_DRAWS, fit_.bag_index.size)
    for marginals in bagged:
        assert marginals.shape == (n_home,)
        assert (marginals >= 0).all() and marginals.sum() <= 1 + 1e-9


def test_evening_only_poster_gets_the_home() -> None:
    evidence = routine("j", HOME, range(7), (18.5, 22.5), per_week=2)
    home = fit(evidence).place(PlaceKind.HOME)
    assert near(home, HOME, 50)
    assert home is not None
    assert home.confidence >= 0.9


def test_estimator_params_follow_scikit_learn() -> None:
    model = LeakInference(eps_m=80.0, shift_work_share=0.2)
    params = model.get_params()
    assert params["eps_m"] == 80.0
    assert params["shift_work_share"] == 0.2
    assert params["workers"] == 1
    assert model.set_params(min_confidence=0.6) is model
    assert model.min_confidence == 0.6
    assert repr(model) == "LeakInference(eps_m=80.0, min_confidence=0.6, shift_work_share=0.2)"
    clone = LeakInference(**model.get_params())
    assert clone.get_params() == model.get_params()


def test_estimator_validates_in_fit_not_in_init() -> None:
    import pytest

    model = LeakInference(eps_m=-1.0)  # stored as given
    with pytest.raises(ValueError, match="eps_m"):
        model.fit({})
    with pytest.raises(ValueError, match="no_workplace_share"):
        LeakInference(no_workplace_share=1.5).fit({})
    with pytest.raises(ValueError, match="invalid parameter"):
        LeakInference().set_params(epsilon=3)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))
def test_every_local_time_has_one_part_of_the_week_counted_on_a_nearby_day(
    moment: datetime,
) -> None:
    part, day = bin_of(moment)
    assert 0 <= part < len(BINS)
    assert (moment.date() - day).days in (0, 1)
    if (moment.date() - day).days == 1:
        assert moment.hour < 6
        assert BINS[part].endswith("night")
    if 9 <= moment.hour < 17 and moment.weekday() < 5:
        assert BINS[part] == "working hours"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
        min_size=1,
        max_size=40,
    )
)
def test_candidate_calendar_is_consistent(moments: list[datetime]) -> None:
    from geoleak.infer.places import _make_candidate

    evidence = [seen("p", HOME, m, rng=random.Random(k)) for k, m in enumerate(moments)]
    cand = _make_candidate(evidence, list(range(len(evidence))))
    local_days = {m.date() for m in moments}
    assert cand.dates == local_days
    assert cand.work_dates <= cand.duty_dates <= cand.dates
    assert all(d.weekday() < 5 for d in cand.duty_dates)
    assert all(len(days) <= len(moments) for days in cand.bin_days)
    assert cand.nights <= local_days | {d - timedelta(days=1) for d in local_days}
    assert sum(map(len, cand.bin_days)) >= len(cand.dates) - len(cand.nights)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(st.integers(0, 30), min_size=6, max_size=6), min_size=n, max_size=n),
            st.lists(st.integers(-1, 2), min_size=n, max_size=n),
        )
    )
)
def test_role_posterior_is_a_distribution(data: tuple[list[list[int]], list[int]]) -> None:
    import numpy as np

    from geoleak.infer.roles import RolePriors, fit_roles

    rows, groups = data
    counts = np.array([*rows, [0] * 6], dtype=float)
    loc_group = [*groups, -1]
    homes = list(range(min(2, len(rows))))
    works = sorted({g for g in groups if g >= 0})[:2]
    fit = fit_roles(
        counts, loc_group, homes, works, [1] if len(homes) > 1 else [], [], 0.0, 1.0, RolePriors()
    )
    post = fit.posterior()
    assert np.all(np.isfinite(fit.log_score))
    assert abs(float(post.sum()) - 1.0) < 1e-9
    assert np.all(post >= 0)


def test_unseen_home_prior_follows_when_the_person_is_seen() -> None:
    # Six observations, all in weekday working hours (a lunch-time poster), leave the home
    # unseen far more often than six at night: people are at home for ~1 in 5 working hours
    # but ~9 in 10 nights (ATUS), so the prior that the home is none of the places must say so.
    from geoleak.infer.roles import (
        N_BINS,
        WEEKNIGHT,
        WORK_HOURS,
        RolePriors,
        home_unseen_probability,
    )

    priors = RolePriors()
    lunch, night = [0.0] * N_BINS, [0.0] * N_BINS
    lunch[WORK_HOURS], night[WEEKNIGHT] = 6.0, 6.0
    at_lunch = home_unseen_probability(6, priors, 2, lunch)
    at_night = home_unseen_probability(6, priors, 2, night)
    overall = home_unseen_probability(6, priors, 2)
    assert at_night < overall < at_lunch
    assert at_lunch > 2 * at_night
    # More observations at the same times leave the home unseen less often, down to the floor.
    many = home_unseen_probability(60, priors, 2, [10.0 * x for x in lunch])
    assert priors.home_unseen <= many < at_lunch


def test_workplace_seen_as_the_working_day_ends_is_read_at_those_hours() -> None:
    """Day workers seen at work only at 17:00-18:00 (posting as they leave) and at weekends
    only at 20:00-21:00, at home or out (eight weeks, on ~45 % of days). At 17:00 day workers
    are still at work ~1 time in 5 (ATUS), not the ~1 in 20 of the whole weekday evening to
    22:00, so presence read at the person's own hours finds more of them and swaps fewer.
    (Before: 14 of 24 homes and bases right, 3 wrong; now 16 right, 1 wrong.)"""
    right = wrong = 0
    for seed in range(1, 13):
        rng = random.Random(seed)
        out = []
        for day in range(7 * 8):
            when = START + timedelta(days=day)
            if rng.random() > 0.45:
                continue
            if when.weekday() < 5:
                where, hour = WORK, 17
            else:
                home = rng.random() < 0.55
                where = (
                    HOME
                    if home
                    else destination(HOME, rng.uniform(0, 360), rng.uniform(1_500, 9_000))
                )
                hour = 20
            local = datetime.combine(when, datetime.min.time()) + timedelta(
                hours=hour, minutes=rng.randrange(60)
            )
            out.append(seen("k", where, local, rng=rng))
        profile = fit(out)
        right, wrong = tally(profile, right, wrong)
    assert wrong <= 1
    assert right >= 16


def _part_timer(person: str, *, seed: int, at_work: float = 0.2) -> list[Evidence]:
    """A part-time worker (three fixed weekdays, ~10:00-15:00) seen on ~40 % of days: on a
    work day at work now and then and otherwise at home in the evening; on the other
    weekdays at home or out in the day; evenings and weekends at home or out."""
    rng = random.Random(f"{person}-{seed}")
    work_days = sorted(rng.sample(range(5), 3))
    outings = [destination(HOME, rng.uniform(0, 360), rng.uniform(1_500, 9_000)) for _ in range(8)]
    out = []
    for d in range(280):
        when = START + timedelta(days=d)
        if rng.random() > 0.4:
            continue
        out_there = rng.random() < 0.35
        if when.weekday() in work_days and rng.random() < at_work:
            place, hour = WORK, rng.uniform(10, 15)
        elif when.weekday() < 5 and rng.random() < 0.5:
            place, hour = (rng.choice(outings) if out_there else HOME), rng.uniform(9, 17)
        else:
            place, hour = (rng.choice(outings) if out_there else HOME), rng.uniform(17, 23)
        local = datetime.combine(when, datetime.min.time()) + timedelta(hours=hour)
        out.append(seen(person, place, local, rng=rng, jitter_m=40 if place == WORK else 15))
    return out


def test_part_time_workers_seen_at_home_on_weekdays_get_their_base() -> None:
    """Part-time workers (BLS: ~17 % of the employed) are at home on two weekdays of five and
    for part of their work days, and seen at work on few days: a day worker's profile (at
    home ~20 % of 09-17) reads the home seen in working hours as "no workplace" and the
    workplace as a place visited. With the part-time type (`roles.PART_TIME`) more of them
    get their base, and nothing is given wrong. (Before, twenty seeds: 26 homes and bases
    right, none wrong; now 30.)"""
    right = wrong = 0
    for seed in range(1, 21):
        profile = fit(_part_timer("p", seed=seed, at_work=0.15))
        right, wrong = tally(profile, right, wrong)
    assert wrong == 0
    assert right >= 29


def test_a_client_hundreds_of_km_away_is_not_the_base() -> None:
    """A day worker seen at work on ~10 weekdays who also travels to one client 300-900 km
    away for two weekdays every four weeks (seen there on ~12 weekdays over nine months, too
    spread out to be one trip). Nobody commutes that far daily (mega-commuters, 50 miles or
    more, are ~0.6 % of US workers), so the workplace near home is the base. (Before: the
    client was the base for 9 of 12 seeds, at 0.98-0.99; now for none.)"""
    for seed in range(1, 13):
        rng = random.Random(seed)
        client = destination(HOME, rng.uniform(0, 360), rng.uniform(300_000, 900_000))
        evidence = routine("f", HOME, range(7), (18, 23), per_week=3, seed=seed)
        evidence += routine("f", WORK, range(5), (9, 17), per_week=1, seed=seed + 100)[::4]
        for week in range(2, 40, 4):
            monday = START + timedelta(weeks=week)
            for day in (1, 2):
                if rng.random() < 0.6:
                    local = datetime.combine(monday + timedelta(days=day), datetime.min.time())
                    evidence.append(seen("f", client, local + timedelta(hours=rng.uniform(10, 16)),
                                         rng=rng, jitter_m=60))  # fmt: skip
        base = fit(evidence).place(PlaceKind.BASE)
        assert base is None or near(base, WORK, 500), seed
        assert not near(base, client, 5_000)


def _posterior_one_by_one(
    fit_: RoleFit, boost: dict[int, float], shift: Sequence[float] | None
) -> np.ndarray:
    """The posterior as one 1-D array, the way `RoleFit.posteriors` computed it shift by
    shift before `posterior_rows`."""
    scores = fit_.log_score.copy()
    if boost and scores.size:
        scores += np.array([boost.get(s.work, 0.0) for s in fit_.structures])[fit_.structure_index]
    if scores.size == 0:
        return scores
    shifted = scores + np.asarray(shift)[fit_.person_type] if shift is not None else scores
    weights = np.exp(shifted - shifted.max())
    return np.asarray(weights / weights.sum())


@settings(max_examples=200, deadline=None)
@given(
    k=st.integers(0, 160),
    n_structures=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    boosted=st.booleans(),
    n_shifts=st.integers(1, 7),
)
def test_posterior_rows_equal_each_posterior_alone(
    k: int, n_structures: int, seed: int, boosted: bool, n_shifts: int
) -> None:
    """Each row of `RoleFit.posterior_rows` is bit for bit the posterior under that shift
    alone (a row summed along a 2-D array's axis differs in the last bits)."""
    rng = np.random.default_rng(seed)
    n_types = len(PERSON_TYPES)
    structures = [Structure(work=int(w)) for w in rng.integers(-1, 3, n_structures)]
    fit_ = RoleFit(
        structures=structures,
        person_type=rng.integers(0, n_types, k),
        structure_index=rng.integers(0, n_structures, k),
        log_score=rng.normal(-40.0, 15.0, k) * rng.choice([1.0, 0.01], k),
    )
    boost = {0: float(rng.normal()), 2: float(rng.normal())} if boosted else {}
    shifts: list[Sequence[float] | None] = [
        None if rng.random() < 0.3 else tuple(rng.normal(0.0, 1.0, n_types).tolist())
        for _ in range(n_shifts)
    ]
    rows = fit_.posterior_rows(boost, shifts)
    assert rows.shape == (n_shifts, k)
    listed = fit_.posteriors(boost, shifts)
    for row, alone, shift in zip(rows, listed, shifts, strict=True):
        expected = _posterior_one_by_one(fit_, boost, shift)
        assert row.tobytes() == expected.tobytes()
        assert alone.tobytes() == expected.tobytes()


def test_hour_rows_of_part_time_and_shift_types_average_to_their_part_rows() -> None:
    # The part-time, evening, night and rotating types' hour-by-hour rows add only a shape
    # within each part of the week: their hours average to the part's row of PRESENCE, each
    # row is a distribution over home / work / elsewhere, and a 24/7 rota is at work alike
    # at every hour of a part.
    from geoleak.infer import roles

    assert set(roles._WORK_BY_HOUR) == {roles.PART_TIME, EVENING_SHIFT, NIGHT_SHIFT,
                                        roles.ROTATING}  # fmt: skip
    assert sorted(h for hours in roles.PART_HOURS[:5] for h in hours) == sorted(
        [*range(24), *range(6, 22)]
    )
    for ptype in roles._WORK_BY_HOUR:
        table = roles._HOURLY_ARRAY[ptype]
        assert set(roles.HOURLY[ptype]) <= {(part, h) for part, hours in
                                            enumerate(roles.PART_HOURS) for h in hours}  # fmt: skip
        for part, hours in enumerate(roles.PART_HOURS):
            rows = table[part, list(hours)]
            assert np.abs(rows.mean(axis=0) - roles.PRESENCE[ptype][part]).max() < 1e-12
            assert (rows >= 0).all() and np.abs(rows.sum(axis=1) - 1).max() < 1e-12
            if ptype == roles.ROTATING:
                assert np.ptp(rows[:, 1]) == 0
    # The shapes the sources give: part-time workers at work later in the morning, an
    # evening shift at work at 16:00 and not at 10:00, a night shift leaving at 06-08.
    part_time = roles._HOURLY_ARRAY[roles.PART_TIME]
    assert part_time[roles.MORNING, 6, 1] < part_time[roles.MORNING, 8, 1]
    evening = roles._HOURLY_ARRAY[EVENING_SHIFT]
    assert evening[WORK_HOURS, 16, 1] > 0.6
    assert evening[WORK_HOURS, 10, 1] < 0.1
    night = roles._HOURLY_ARRAY[NIGHT_SHIFT]
    assert night[roles.MORNING, 6, 1] > night[roles.MORNING, 7, 1] > night[roles.MORNING, 8, 1]


def test_assignments_structures_are_shared_and_equal_new_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`_structure` gives `Structure(...)` of its arguments, one object for each (frozen:
    shared by the people's fits), and still a right one once no more are kept."""
    monkeypatch.setattr(roles, "_STRUCTURES", {})
    for home, work, second, nights in [(-1, -1, -1, False), (0, 1, -1, False), (2, 0, 1, True),
                                       (2, 0, 1, False), (0, -1, 3, False)]:  # fmt: skip
        made = roles._structure(home, work, second, nights=nights)
        assert made == roles.Structure(home=home, work=work, second=second, nights=nights)
        assert type(made) is roles.Structure
        assert roles._structure(home, work, second, nights=nights) is made
    assert roles._structure(2, 0, 1, nights=True) != roles._structure(2, 0, 1)
    monkeypatch.setattr(roles, "_STRUCTURES_KEPT", len(roles._STRUCTURES))
    late = roles._structure(7, 8, 9)
    assert late == roles.Structure(home=7, work=8, second=9)
    assert (7, 8, 9, False) not in roles._STRUCTURES
