"""Per-person inference against behaviours that fool naive 'biggest night cluster' methods."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from infer_helpers import seen, year_of_life

from geoleak.geometry import haversine_m
from geoleak.infer import LeakInference
from geoleak.infer.places import InferenceParams, analyse_person, decide
from geoleak.types import LatLon, PlaceKind

TROMSO_HOME = LatLon(69.6496, 18.9560)
TROMSO_BASE = LatLon(69.6810, 18.8350)


def fit_one(evidence):  # type: ignore[no-untyped-def]
    model = LeakInference().fit({evidence[0].person: evidence})
    return model.profiles_[0]


def test_home_and_base_at_high_latitude() -> None:
    profile = fit_one(year_of_life("a", TROMSO_HOME, TROMSO_BASE))
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    assert home is not None and haversine_m(home.position, TROMSO_HOME) < 30
    assert base is not None and haversine_m(base.position, TROMSO_BASE) < 150
    assert home.confidence > 0.9 and home.radius_m >= 25
    assert haversine_m(home.position, TROMSO_HOME) <= home.radius_m
    assert "distinct nights" in home.explanation and "weeks" in home.explanation
    assert home.evidence and len(set(home.evidence)) == len(home.evidence)


def test_two_week_holiday_with_many_photos_does_not_beat_a_year_at_home() -> None:
    evidence = year_of_life(
        "b", TROMSO_HOME, TROMSO_BASE, nights_per_week=1, weekend_days_per_week=1
    )
    hotel = LatLon(36.4, 25.43)  # Santorini
    rng = random.Random(3)
    for day in range(14):
        for hour in (7.5, 12, 19, 22, 23.5):
            local = datetime(2025, 7, 1) + timedelta(days=day, hours=hour)
            evidence.append(seen("b", hotel, local, utc_offset_h=3, rng=rng))
    home = fit_one(evidence).place(PlaceKind.HOME)
    assert home is not None and haversine_m(home.position, TROMSO_HOME) < 30


def test_night_shift_worker_home_is_where_they_spend_weekends() -> None:
    evidence = year_of_life("c", TROMSO_HOME, TROMSO_BASE, night_shift=True, workdays_per_week=4)
    profile = fit_one(evidence)
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    assert home is not None and haversine_m(home.position, TROMSO_HOME) < 30
    assert base is not None and haversine_m(base.position, TROMSO_BASE) < 200


def test_night_worker_seen_at_home_in_their_sleep_is_never_a_confident_swap() -> None:
    """The same night worker seen at home at 11-16 on weekdays, when night workers sleep: the
    hours say day worker, the places say night worker; whatever is given at the other's
    place is not given confidently (the waking hours alone made it a home at the workplace
    at 1.00 before a confidence had to hold without them too)."""
    evidence = year_of_life("c", TROMSO_HOME, TROMSO_BASE, night_shift=True, workdays_per_week=4,
                            night_worker_home_hours=(11.0, 16.0))  # fmt: skip
    profile = fit_one(evidence)
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    assert home is None or haversine_m(home.position, TROMSO_HOME) < 30 or home.confidence < 0.8
    assert base is None or haversine_m(base.position, TROMSO_BASE) < 200 or base.confidence < 0.8


def test_isolated_reshared_photos_are_ignored_and_said_so() -> None:
    evidence = year_of_life("d", TROMSO_HOME, None)
    rng = random.Random(9)
    for i in range(5):  # strangers' places, one photo each, posted at night
        stranger = LatLon(rng.uniform(-40, 60), rng.uniform(-170, 170))
        evidence.append(seen("d", stranger, datetime(2025, 3, 1 + i, 23, 0), rng=rng))
    home = fit_one(evidence).place(PlaceKind.HOME)
    assert home is not None and haversine_m(home.position, TROMSO_HOME) < 30
    assert "5 isolated points ignored" in home.explanation


def test_thin_evidence_abstains() -> None:
    evidence = [
        seen("e", TROMSO_HOME, datetime(2025, 1, 6, 22, 0)),
        seen("e", TROMSO_HOME, datetime(2025, 1, 7, 22, 0)),
    ]
    profile = fit_one(evidence)
    assert profile.places == ()
    assert any("abstained" in n for n in profile.notes)


def test_low_accuracy_fixes_do_not_make_a_home() -> None:
    evidence = [
        seen(
            "f",
            TROMSO_HOME,
            datetime(2025, 1, 6) + timedelta(days=3 * i, hours=23),
            accuracy_m=2500,
        )
        for i in range(30)
    ]
    assert fit_one(evidence).place(PlaceKind.HOME) is None


def test_a_person_who_moved_gets_both_homes_newest_first() -> None:
    old_home, new_home = LatLon(-43.53, 172.63), LatLon(-43.49, 172.55)  # Christchurch, NZ
    first = year_of_life("g", old_home, None, start=date(2025, 1, 6), weeks=22, seed=2)
    second = year_of_life("g", new_home, None, start=date(2025, 6, 16), weeks=26, seed=3)
    homes = [p for p in fit_one(first + second).places if p.kind == PlaceKind.HOME]
    assert len(homes) == 2
    assert (
        haversine_m(homes[0].position, new_home) < 30
        and haversine_m(homes[1].position, old_home) < 30
    )
    assert homes[0].first_seen > homes[1].last_seen - timedelta(days=14)


def test_home_straddling_the_antimeridian() -> None:
    home = LatLon(-16.80, 179.99995)
    evidence = year_of_life("h", home, None, seed=5)
    found = fit_one(evidence).place(PlaceKind.HOME)
    assert found is not None and haversine_m(found.position, home) < 30


def test_params_are_validated() -> None:
    with pytest.raises(ValueError, match="eps_m"):
        InferenceParams(eps_m=0)


def test_analysis_counts_exclusions_from_the_pipeline() -> None:
    analysis = analyse_person(
        "i", year_of_life("i", TROMSO_HOME, None), excluded={"null-island": 2}
    )
    homes = decide(analysis, InferenceParams()).homes
    assert "2 (0, 0) placeholders ignored" in homes[0].explanation
