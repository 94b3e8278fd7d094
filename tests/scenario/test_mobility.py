"""The mobility scenario family: trips and stays (EPR, TimeGeo), posts where people post."""

from __future__ import annotations

import ast
import json
import random
from collections import Counter
from functools import lru_cache
from pathlib import Path

from click.testing import CliRunner

from geoleak.cli import main as cli
from geoleak.evaluate import load_truth
from geoleak.extract.media import read_media
from geoleak.geometry import haversine_m
from geoleak.scenario import mobility
from geoleak.scenario.memory import scenario_evidence
from geoleak.scenario.mobility import (
    DAY,
    PANAMA,
    POST_WEIGHT,
    TRIP_START_WEEKDAY,
    MobilityConfig,
    _Life,
    _plan,
    _town_place,
    generate_mobility,
    iter_mobility,
)
from geoleak.scenario.timeuse import TimeUsePerson
from geoleak.types import LatLon

CONFIG = MobilityConfig(people=60, seed=5, days=120, towns=6, night_share=0.15,
                        panama_share=0.15, partner_share=0.2)  # fmt: skip


@lru_cache(maxsize=1)
def people() -> tuple[TimeUsePerson, ...]:
    return tuple(iter_mobility(CONFIG))


def rows(person: TimeUsePerson, kind: str) -> list[dict[str, object]]:
    return [r for r in person.truth if r["kind"] == kind]


def pos(row: dict[str, object]) -> LatLon:
    return LatLon(float(str(row["lat"])), float(str(row["lon"])))


def life(index: int, config: MobilityConfig = CONFIG) -> _Life:
    plan = _plan(config)[index]
    return _Life(plan, config, random.Random(f"test-{index}"))


def test_shares_no_behaviour_code_with_the_other_families() -> None:
    """From the first generator only the post record and summary; from the time-use family
    only the people record, the truth rows, the writers and small geometry helpers."""
    tree = ast.parse(Path(mobility.__file__).read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("geoleak.scenario")
        for alias in node.names
    }
    generator = {name for module, name in imported if module == "geoleak.scenario.generator"}
    timeuse = {name for module, name in imported if module == "geoleak.scenario.timeuse"}
    assert generator == {"GeneratedPost", "ScenarioSummary"}
    assert timeuse <= {"FIRST", "PHONES", "TimeUsePerson", "_Site", "_around", "_deal", "_truth",
                       "_utc", "strip_hidden", "write_family"}  # fmt: skip
    assert not timeuse & {"_Week", "_posts", "_post", "_fix", "AWAY_WEEKDAY", "POSTS_WEEKDAY"}


def test_population_and_truth() -> None:
    everyone = people()
    modes = Counter(p.work_mode for p in everyone)
    assert {"none", "day", "student", "night", "panama", "part"} <= set(modes)
    for person in everyone:
        if person.silent:
            assert [r["kind"] for r in person.truth] == ["none"]
            assert not any(it.photo and it.photo["position"] for it in person.items)
            assert not any("lat" in it.post or "place" in it.post for it in person.items)
            continue
        bases, nobase = rows(person, "base"), rows(person, "nobase")
        if person.work_mode == "none":
            assert nobase and not bases
        else:
            assert bases and not nobase and person.site is not None
            assert (person.site.kind == "campus") == (person.work_mode == "student")
            assert haversine_m(pos(bases[0]), person.site.centre) < 1
        assert len(rows(person, "home")) == (2 if "mover" in person.persona else 1)
        if "lives-on-site" in person.persona:
            assert person.site is not None
            home = person.homes[0][0]
            assert haversine_m(home, person.site.centre) <= person.site.radius_m
        for second in rows(person, "second_home"):
            assert haversine_m(pos(second), person.homes[0][0]) > 29_000


def test_day_commuters_work_in_office_hours_and_sleep_at_home() -> None:
    plans = _plan(CONFIG)
    index = next(i for i, p in enumerate(plans) if p.mode == "day" and p.partner is None
                 and p.person.second_home is None and not p.home_days)  # fmt: skip
    one = life(index)
    at_work = at_home_night = weekdays = 0
    for d in range(CONFIG.days):
        if one.dates[d].weekday() >= 5 or d in one.holiday_days:
            continue
        weekdays += 1
        at_work += one.at(d * DAY + 11 * 60).kind in ("work", "lunch")
        at_home_night += one.at(d * DAY + 3 * 60).kind == "home"
    assert at_work >= 0.8 * weekdays
    assert at_home_night >= 0.95 * weekdays


def test_night_workers_sleep_after_the_shift_and_panama_follows_its_rota() -> None:
    plans = _plan(CONFIG)
    night = life(next(i for i, p in enumerate(plans) if p.mode == "night"))
    shifts = [s for s in night.stays if s.kind == "work"]
    assert shifts
    for shift in shifts:
        assert 21 * 60 <= shift.begin % DAY <= 24 * 60  # starts in the evening
    assert any(s.kind == "asleep" for s in night.stays)
    panama_index = next(i for i, p in enumerate(plans) if p.mode == "panama")
    panama = life(panama_index)
    worked = {s.begin // DAY for s in panama.stays if s.kind == "work"}
    for d in worked:
        assert PANAMA[d % 14], d
    # day blocks and night blocks alternate every four weeks
    starts = {(s.begin // DAY // 28) % 2: s.begin % DAY for s in panama.stays if s.kind == "work"}
    assert starts[0] < 9 * 60 and starts[1] > 18 * 60


def test_tours_start_by_the_travel_survey_hours() -> None:
    counts: Counter[int] = Counter()
    config = MobilityConfig(people=40, seed=9, days=120)
    plans = _plan(config)
    for index, plan in enumerate(plans[:20]):
        one = _Life(plan, config, random.Random(index))
        for before, stay in zip(one.stays, one.stays[1:], strict=False):
            weekday = one.dates[min(stay.begin // DAY, config.days - 1)].weekday() < 5
            if stay.kind == "leisure" and before.kind == "home" and weekday:
                counts[stay.begin % DAY // 60] += 1
    total = sum(counts.values())
    assert total > 500
    share = {h: counts[h] / total for h in range(24)}
    expected = {h: w / sum(TRIP_START_WEEKDAY) for h, w in enumerate(TRIP_START_WEEKDAY)}
    assert sum(share[h] for h in range(0, 6)) < 0.03  # few tours start at night
    assert sum(share[h] for h in range(15, 19)) > 0.8 * sum(expected[h] for h in range(15, 19))


def test_exploration_slows_down_as_places_accumulate() -> None:
    """EPR: the number of distinct places grows sublinearly with the number of visits."""
    config = MobilityConfig(people=10, seed=2, days=365)
    one = _Life(_plan(config)[0], config, random.Random(3))
    visits, places = len(one.visits), len(one.places)
    assert visits > 200
    assert places < 0.6 * visits
    assert places > visits**0.4


def test_posts_over_represent_leisure_and_under_represent_work() -> None:
    """The share of posts made at work is below the share of waking time spent there."""
    config = MobilityConfig(people=30, seed=4, days=90)
    post_kinds: Counter[str] = Counter()
    time_kinds: Counter[str] = Counter()
    for plan in _plan(config)[:30]:
        if plan.mode != "day":
            continue
        person = plan.person
        one = _Life(plan, config, random.Random(f"mobility-life-{config.seed}-{person.handle}"))
        for minute in range(8 * 60, config.days * DAY, 97):  # waking-ish samples
            if 8 <= minute % DAY // 60 < 23:
                time_kinds[one.at(minute).kind] += 1
    assert POST_WEIGHT["work"] < POST_WEIGHT["home"] < POST_WEIGHT["leisure"]
    located_at: Counter[str] = Counter()
    for person in iter_mobility(config):
        if person.work_mode != "day" or person.site is None:
            continue
        for item in person.items:
            position = item.photo["position"] if item.photo else None
            if position is None and "lat" in item.post:
                position = LatLon(item.post["lat"], item.post["lon"])
            if position is None:
                continue
            near_work = haversine_m(position, person.site.centre) < person.site.radius_m + 100
            located_at["work" if near_work else "other"] += 1
        post_kinds.update(located_at)
        located_at.clear()
    work_time = time_kinds["work"] / sum(time_kinds.values())
    work_posts = post_kinds["work"] / sum(post_kinds.values())
    assert work_posts < 0.8 * work_time


def test_place_tags_are_town_boxes_around_the_centre() -> None:
    for plan in _plan(MobilityConfig(people=12, seed=1, towns=6)):
        place = _town_place(plan)
        west, south, east, north = place["bbox"]
        assert south < place["lat"] < north
        assert -180 <= west <= 180 and -180 <= east <= 180
        centre = LatLon(place["lat"], place["lon"])
        assert haversine_m(centre, plan.town_centre) < 1
    tagged = [it.post for p in people() for it in p.items if "place" in it.post]
    assert tagged and all("lat" not in post for post in tagged)


def test_in_memory_evidence_matches_written_files(tmp_path: Path) -> None:
    small = MobilityConfig(people=6, seed=2, days=40)
    summary = generate_mobility(small, tmp_path)
    assert summary.people == 6
    load_truth(tmp_path / "truth.csv")  # readable by evaluate
    posts = [json.loads(line) for line in (tmp_path / "posts.jsonl").read_text().splitlines()]
    photos = [read_media(tmp_path / m) for post in posts for m in post.get("media", [])]
    in_memory = {person: evidence for person, evidence, _ in scenario_evidence(small)}
    exif = sorted(
        (ev.position.lat, ev.position.lon)
        for evs in in_memory.values()
        for ev in evs
        if ev.source == "exif"
    )
    on_disk = sorted((m.position.lat, m.position.lon) for m in photos if m.position is not None)
    assert len(exif) == len(on_disk) > 0
    assert all(
        abs(a[0] - b[0]) < 1e-5 and abs(a[1] - b[1]) < 1e-5
        for a, b in zip(exif, on_disk, strict=True)
    )
    doc = json.loads((tmp_path / "scenario.json").read_text())
    assert doc["generator"] == "geoleak.scenario.mobility"


def test_deterministic_and_seed_dependent(tmp_path: Path) -> None:
    small = MobilityConfig(people=5, seed=3, days=30)
    generate_mobility(small, tmp_path / "a")
    generate_mobility(small, tmp_path / "b")
    for name in ("posts.jsonl", "truth.csv", "scenario.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    other = MobilityConfig(people=5, seed=4, days=30)
    assert [p.handle for p in iter_mobility(other)] != [p.handle for p in iter_mobility(small)]


def test_cli_model_mobility(tmp_path: Path) -> None:
    out = tmp_path / "mob"
    result = CliRunner().invoke(
        cli, ["scenario", "--model", "mobility", "--people", "6", "--days", "30", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "posts.jsonl").stat().st_size > 0
    assert "mobility" in (out / "README.md").read_text()
    refused = CliRunner().invoke(
        cli, ["scenario", "--model", "mobility", "--all-personas", "-o", str(tmp_path / "x")]
    )
    assert refused.exit_code != 0 and "--model units" in refused.output
