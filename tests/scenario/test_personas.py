"""The personas of issue 11: present when asked for, behaving as described, with honest truth."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.evaluate import evaluate, truth_rows
from geoleak.geometry import haversine_m
from geoleak.scenario import ScenarioConfig, plan_scenario
from geoleak.scenario.generator import PersonRecord, _persona_deck, _pick, iter_people
from geoleak.scenario.model import PERSONA_FIELDS, PERSONA_SHARES
from geoleak.types import LatLon, Place, PlaceKind, Profile

CONFIG = ScenarioConfig(people=40, seed=5, days=150, **PERSONA_SHARES)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def people() -> tuple[PersonRecord, ...]:
    return tuple(iter_people(CONFIG))


def of(persona: str) -> list[PersonRecord]:
    found = [r for r in people() if persona in r.plan.persona.split("+")]
    assert found, persona
    return found


def located(record: PersonRecord) -> list[tuple[LatLon, datetime]]:
    """(position, local time) of a person's own located posts and photos."""
    out = []
    for item in record.items:
        photo = item.photo
        if photo is not None and photo.get("position") is not None and not photo["reshare"]:
            out.append((photo["position"], photo["local"]))
        elif "lat" in item.post and photo is None:
            created = datetime.fromisoformat(item.post["created_at"].replace("Z", "+00:00"))
            out.append((LatLon(item.post["lat"], item.post["lon"]), created.replace(tzinfo=None)))
    return out


def hours(record: PersonRecord) -> list[float]:
    return [
        p["local"].hour + p["local"].minute / 60
        for p in (i.photo for i in record.items)
        if p and not p["reshare"]
    ]


def truth_of(record: PersonRecord, kind: str) -> list[dict[str, object]]:
    return [r for r in record.truth if r["kind"] == kind]


def position(row: dict[str, object]) -> LatLon:
    return LatLon(float(str(row["lat"])), float(str(row["lon"])))


def test_every_persona_is_present_and_written_in_the_truth() -> None:
    units = plan_scenario(CONFIG)
    tags = Counter(t for u in units for m in u.members for t in m.persona.split("+"))
    assert set(PERSONA_FIELDS.values()) | {"evening-peak", "mover", "night-shift", "silent"} <= set(
        tags
    )
    rows = [r for rec in people() for r in rec.truth]
    assert all(r["persona"] for r in rows)
    assert {str(r["kind"]) for r in rows} == {"home", "base", "none", "nobase", "second_home"}


def test_people_living_on_base_have_their_home_inside_the_base() -> None:
    for record in of("on-base"):
        home, base = position(truth_of(record, "home")[0]), position(truth_of(record, "base")[0])
        assert haversine_m(home, base) <= record.unit.base_radius_m
    for record in of("regular"):  # everybody else lives 2.5 km or more outside
        home = position(truth_of(record, "home")[0])
        assert haversine_m(home, record.unit.base) > record.unit.base_radius_m + 2_000


def test_home_office_workers_have_no_base_and_are_home_on_weekdays() -> None:
    for record in of("home-office"):
        assert truth_of(record, "base") == []
        assert len(truth_of(record, "nobase")) == 1
        home = position(truth_of(record, "home")[0])
        office_hours = [(p, t) for p, t in located(record) if t.weekday() < 5 and 9 <= t.hour < 16]
        assert office_hours
        assert all(
            haversine_m(p, record.unit.base) > record.unit.base_radius_m + 1_000
            for p, _ in office_hours
        )
        assert sum(haversine_m(p, home) < 150 for p, _ in office_hours) >= len(office_hours) / 3


def test_second_residence_is_50_to_150_km_away_and_visited_at_weekends() -> None:
    days_there = []
    for record in of("second-home"):
        home, cabin = (
            position(truth_of(record, "home")[0]),
            position(truth_of(record, "second_home")[0]),
        )
        assert 49_000 <= haversine_m(home, cabin) <= 151_000
        there = [t for p, t in located(record) if haversine_m(p, cabin) < 200]
        assert all(t.weekday() >= 4 for t in there)  # Friday evening to Sunday
        days_there.append(len({t.date() for t in there}))
    assert max(days_there) >= 3, days_there


def test_business_travellers_sleep_in_other_cities_on_weekdays() -> None:
    for record in of("business-traveller"):
        home = position(truth_of(record, "home")[0])
        away = [
            (p, t) for p, t in located(record) if haversine_m(p, home) > 140_000 and t.weekday() < 4
        ]
        hotels = {c[0] for c in record.plan.business_cities}
        assert away
        assert any(min(haversine_m(p, h) for h in hotels) < 200 for p, _ in away)


def test_rotating_shift_workers_are_at_work_by_day_and_by_night_weekends_included() -> None:
    records = of("rotating-shift")
    at_work = [
        t for rec in records for p, t in located(rec)
        if haversine_m(p, rec.unit.base) <= rec.unit.base_radius_m + 150
    ]  # fmt: skip
    assert any(t.hour >= 22 or t.hour < 6 for t in at_work)
    assert any(8 <= t.hour < 14 for t in at_work)
    assert any(t.weekday() >= 5 for t in at_work)


def test_posting_curves() -> None:
    lunch = [h for r in of("lunch-poster") for h in hours(r)]
    evening = [h for r in of("evening-poster") for h in hours(r)]
    peak = [h for r in of("evening-peak") for h in hours(r)]
    assert lunch
    assert sum(10 <= h < 15 for h in lunch) / len(lunch) > 0.95
    assert evening
    assert min(evening) >= 18.5
    # Evening peak, and a trough of 4-5 hours (02:00-06:00) with under 2 % of the posts.
    assert sum(19 <= h < 23 for h in peak) / len(peak) > 0.25
    assert sum(2 <= h < 6 for h in peak) / len(peak) < 0.02


def test_rare_geotag_posters_locate_1_to_3_percent_of_their_posts() -> None:
    for record in of("rare-geotag"):
        own = [i for i in record.items if not (i.photo and i.photo["reshare"])]
        share = len(located(record)) / len(own)
        assert 0.003 <= share <= 0.05, share


def test_resort_holidays_stay_around_one_hotel() -> None:
    for record in of("resort-holiday"):
        home = position(truth_of(record, "home")[0])
        far = sorted((t, p) for p, t in located(record) if haversine_m(p, home) > 250_000)
        assert far  # a burst of holiday posts
        trips: list[list[LatLon]] = []
        for k, (t, p) in enumerate(far):  # a new trip after a gap of 3 days or 50 km
            if (
                k == 0
                or t - far[k - 1][0] > timedelta(days=3)
                or haversine_m(p, far[k - 1][1]) > 50_000
            ):
                trips.append([])
            trips[-1].append(p)
        for fixes in trips:  # by the pool and on the beach, not touring a region
            assert max(haversine_m(a, b) for a in fixes for b in fixes) < 800


def test_movers_truth_has_contiguous_ranges() -> None:
    for record in of("mover"):
        homes = truth_of(record, "home")
        assert len(homes) == 2
        first_end = datetime.fromisoformat(str(homes[0]["valid_to"]))
        second_start = datetime.fromisoformat(str(homes[1]["valid_from"]))
        assert second_start - first_end == timedelta(days=1)


def test_personas_are_deterministic_and_seed_dependent() -> None:
    small = ScenarioConfig(people=12, seed=9, days=40, **PERSONA_SHARES)  # type: ignore[arg-type]

    def dump(config: ScenarioConfig) -> str:
        return json.dumps(
            [[i.post for i in r.items] + r.truth for r in iter_people(config)], default=str
        )

    assert dump(small) == dump(small)
    assert dump(small) != dump(ScenarioConfig(people=12, seed=10, days=40, **PERSONA_SHARES))  # type: ignore[arg-type]


def test_evaluate_reads_the_generated_truth() -> None:
    """A perfect answer from the truth itself scores 1 everywhere and gives no false base."""
    rows = truth_rows(r for rec in people() for r in rec.truth)
    profiles = []
    for person in {r.person for r in rows}:
        places = tuple(
            Place(PlaceKind(r.kind), r.position, 20.0, 0.95, ("x",), 5)
            for r in rows
            if r.person == person and r.kind in ("home", "base") and r.position is not None
        )
        profiles.append(Profile(person, places))
    doc = evaluate(profiles, rows).to_json()
    assert doc["home"]["precision_100m"] == 1.0
    assert doc["base"]["precision_500m"] == 1.0
    assert doc["false_bases"] == 0
    assert doc["no_base_people"] >= 2
    assert doc["homes_at_second_home"] == 0
    assert doc["by_persona"]["home-office"]["base_given"] == 0


@settings(max_examples=60, deadline=None)
@given(
    people=st.integers(1, 120),
    shares=st.lists(st.floats(0, 0.3), min_size=len(PERSONA_FIELDS), max_size=len(PERSONA_FIELDS)),
    peak=st.floats(0, 1),
)
def test_persona_deck_never_takes_people_with_other_behaviours(
    people: int, shares: list[float], peak: float
) -> None:
    knobs = dict(zip(PERSONA_FIELDS, shares, strict=True))
    config = ScenarioConfig(people=people, seed=1, evening_peak_share=peak, **knobs)  # type: ignore[arg-type]
    deck, evening_peak = _persona_deck(config)
    for index in deck:
        assert not any(_pick(index, people, share, salt) for share, salt in (
            (config.silent_share, 0), (config.night_shift_share, 1), (config.mover_share, 2), (config.sparse_share, 3)))  # fmt: skip
    counts = Counter(deck.values())
    for field, name in PERSONA_FIELDS.items():
        assert counts[name] <= max(1, round(people * knobs[field])) * (knobs[field] > 0)
    assert all(
        0 <= i < people and not _pick(i, people, config.silent_share, 0) for i in evening_peak
    )
    assert len(evening_peak) <= round(people * peak)


def test_cli_knobs(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from geoleak.cli import main

    out = tmp_path / "s"
    args = [
        "scenario",
        "-o",
        str(out),
        "--people",
        "10",
        "--days",
        "35",
        "--all-personas",
        "--home-office-share",
        "0.3",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "scenario.json").read_text())["config"]
    assert config["home_office_share"] == 0.3
    assert config["on_base_share"] == PERSONA_SHARES["on_base_share"]
    rows = list(csv.DictReader((out / "truth.csv").open()))
    assert sum(r["kind"] == "nobase" for r in rows) == 3
    assert "personas: " in result.output
