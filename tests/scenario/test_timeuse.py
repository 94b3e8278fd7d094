"""The time-use scenario family: independent of the first generator, statistics as cited."""

from __future__ import annotations

import ast
import json
import random
from collections import Counter
from functools import lru_cache
from pathlib import Path

from geoleak.evaluate import load_truth
from geoleak.extract.media import read_media
from geoleak.geometry import haversine_m
from geoleak.scenario import timeuse
from geoleak.scenario.memory import scenario_evidence
from geoleak.scenario.timeuse import (
    AWAY_WEEKDAY,
    EVENING_HOURS,
    LUNCH_HOURS,
    POSTS_WEEKDAY,
    TimeUseConfig,
    TimeUsePerson,
    _Week,
    generate_timeuse,
    iter_timeuse,
)
from geoleak.types import LatLon

CONFIG = TimeUseConfig(people=50, seed=4, days=120, towns=7)


@lru_cache(maxsize=1)
def people() -> tuple[TimeUsePerson, ...]:
    return tuple(iter_timeuse(CONFIG))


def rows(person: TimeUsePerson, kind: str) -> list[dict[str, object]]:
    return [r for r in person.truth if r["kind"] == kind]


def pos(row: dict[str, object]) -> LatLon:
    return LatLon(float(str(row["lat"])), float(str(row["lon"])))


def test_shares_no_behaviour_code_with_the_first_generator() -> None:
    """Only the writers (the corpus/photo writer, post/summary records) come from
    geoleak.scenario.generator."""
    tree = ast.parse(Path(timeuse.__file__).read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("geoleak.scenario")
        for alias in node.names
    }
    assert imported == {
        ("geoleak.scenario.generator", name)
        for name in ("GeneratedPost", "ScenarioSummary", "write_posts", "write_truth")
    }


def test_population_has_every_behaviour_and_honest_truth() -> None:
    tags = Counter(t for p in people() for t in p.persona.split("+"))
    expected = {"not-employed", "day-worker", "hybrid-worker", "home-worker", "night-shift", "evening-shift",
                "rotating-12h-shift", "mover", "second-home", "silent", "lives-on-site",
                "lunch-poster", "evening-poster"}  # fmt: skip
    assert expected <= set(tags), tags
    for p in people():
        kinds = Counter(str(r["kind"]) for r in p.truth)
        if p.silent:
            assert kinds == {"none": 1}
            continue
        assert kinds["home"] == (2 if "mover" in p.persona else 1)
        assert (kinds["nobase"], kinds["base"]) == ((1, 0) if p.site is None else (0, 1))
        if p.work_mode in ("none", "home"):
            assert p.site is None
        if "lives-on-site" in p.persona:
            assert p.site is not None
            assert haversine_m(pos(rows(p, "home")[0]), p.site.centre) <= p.site.radius_m
        if p.second_home is not None:
            assert (
                39_000
                < haversine_m(pos(rows(p, "home")[0]), pos(rows(p, "second_home")[0]))
                < 201_000
            )


def test_day_workers_are_at_work_in_office_hours_and_home_at_night() -> None:
    at_work = at_home_night = workdays = nights = 0
    for p in people():
        if p.work_mode != "day":
            continue
        week = _Week(p, CONFIG, random.Random(1))
        for d, day in enumerate(week.dates):
            if day.weekday() < 5 and d not in week.holiday_days:
                workdays += 1
                at_work += week.at(d * 24 + 11).kind == "work"
            nights += 1
            at_home_night += week.at(d * 24 + 3).kind in ("home", "cabin", "trip")
    # ATUS: about 85-90 % of the employed work on an average weekday; few are out at 03:00.
    assert 0.75 <= at_work / workdays <= 0.95
    assert at_home_night / nights >= 0.95


def test_outside_work_the_share_away_follows_the_time_use_table() -> None:
    away = Counter[int]()
    total = Counter[int]()
    for p in people():
        if p.work_mode != "none":
            continue
        week = _Week(p, CONFIG, random.Random(2))
        for d, day in enumerate(week.dates):
            if day.weekday() >= 5 or d in week.holiday_days:
                continue
            for h in (3, 12, 20):
                slot = week.at(d * 24 + h)
                if slot.kind in ("home", "away"):
                    total[h] += 1
                    away[h] += slot.kind == "away"
    for h in (3, 12, 20):
        assert abs(away[h] / total[h] - AWAY_WEEKDAY[h]) < 0.1, (h, away[h] / total[h])


def test_posting_curve_has_an_evening_peak_and_a_night_trough() -> None:
    hours = Counter[int]()
    for p in people():
        if p.work_mode in ("night", "evening", "rotating"):
            continue
        for item in p.items:
            if item.photo is not None:
                hours[item.photo["local"].hour] += 1
    total = sum(hours.values())
    trough = sum(hours[h] for h in (2, 3, 4, 5)) / total
    evening = sum(hours[h] for h in (19, 20, 21)) / total
    assert trough < 0.04, trough
    assert evening > 0.15, evening
    assert max(POSTS_WEEKDAY) == POSTS_WEEKDAY[20]


def test_lunch_and_evening_posters_post_only_in_their_hours() -> None:
    """Lunch-only and evening-only posters (issue 11) post on the clock, shifted only for
    night and evening workers, and their truth rows are like everybody's."""
    seen = Counter[str]()
    for p in people():
        if p.posting == "curve" or p.silent:
            continue
        assert ("lunch-poster" in p.persona) == (p.posting == "lunch")
        assert ("evening-poster" in p.persona) == (p.posting == "evening")
        assert {str(r["kind"]) for r in p.truth} >= {"home"}
        if p.work_mode in ("night", "evening", "rotating"):
            continue
        low, high = LUNCH_HOURS if p.posting == "lunch" else EVENING_HOURS
        for item in p.items:
            if item.photo is not None:
                local = item.photo["local"]
                hour = local.hour + local.minute / 60 + local.second / 3600
                assert low <= hour < high, (p.persona, local)
                seen[p.posting] += 1
    assert seen["lunch"] > 0 and seen["evening"] > 0, seen


def test_located_shares_and_silent_people() -> None:
    shares = []
    for p in people():
        located = sum(
            1 for i in p.items if "lat" in i.post or (i.photo and i.photo["position"] is not None)
        )
        if p.silent:
            assert located == 0
        elif len(p.items) >= 100:
            shares.append(located / len(p.items))
    assert min(shares) < 0.04
    assert max(shares) > 0.12


def test_in_memory_evidence_matches_written_files(tmp_path: Path) -> None:
    small = TimeUseConfig(people=4, seed=2, days=40)
    summary = generate_timeuse(small, tmp_path)
    assert summary.people == 4
    assert (tmp_path / "truth.csv").is_file()
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
    assert len(exif) == len(on_disk)
    assert all(
        abs(a[0] - b[0]) < 1e-5 and abs(a[1] - b[1]) < 1e-5
        for a, b in zip(exif, on_disk, strict=True)
    )


def test_deterministic_and_seed_dependent(tmp_path: Path) -> None:
    small = TimeUseConfig(people=5, seed=3, days=30)
    generate_timeuse(small, tmp_path / "a")
    generate_timeuse(small, tmp_path / "b")
    for name in ("posts.jsonl", "truth.csv", "scenario.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    other = [
        p.items[0].post["created_at"]
        for p in iter_timeuse(TimeUseConfig(people=5, seed=4, days=30))
        if p.items
    ]
    mine = [p.items[0].post["created_at"] for p in iter_timeuse(small) if p.items]
    assert other != mine


def test_cli_model_timeuse(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from geoleak.cli import main

    ok = CliRunner().invoke(
        main,
        [
            "scenario",
            "--model",
            "timeuse",
            "--people",
            "3",
            "--days",
            "30",
            "-o",
            str(tmp_path / "a"),
        ],
    )
    assert ok.exit_code == 0, ok.output
    doc = json.loads((tmp_path / "a" / "scenario.json").read_text())
    assert doc["generator"] == "geoleak.scenario.timeuse"
    assert doc["config"]["people"] == 3
    bad = CliRunner().invoke(
        main, ["scenario", "--model", "timeuse", "--all-personas", "-o", str(tmp_path / "b")]
    )
    assert bad.exit_code == 2
    assert "--model units" in bad.output


def test_site_residents_live_on_or_next_to_a_site_and_work_nowhere() -> None:
    """`site_resident_share` puts some not-employed people's homes on a workplace site or
    next to it (family in quarters, neighbours), with "no base" as their truth; everybody
    else is planned as without them."""
    config = TimeUseConfig(people=60, seed=3, site_resident_share=0.5)
    plain = {p.handle: p for p in timeuse._plan(TimeUseConfig(people=60, seed=3))}
    residents = 0
    for p in timeuse._plan(config):
        if p.resident_of is None:
            assert "site-resident" not in p.persona
            assert p.homes == plain[p.handle].homes and p.site == plain[p.handle].site
            continue
        residents += 1
        assert p.work_mode == "none" and p.site is None and "site-resident" in p.persona
        home = p.homes[0][0]
        assert haversine_m(home, p.resident_of.centre) <= 1.5 * p.resident_of.radius_m + 1
    assert residents >= 5


def test_evening_venues_leave_everybody_else_and_the_truth_as_they_were() -> None:
    """`evening_venue_share` draws from streams of its own: people who do not go out are
    planned and live (post for post) as without it, and no truth position moves."""
    small = TimeUseConfig(people=24, seed=5, days=60)
    plain = {p.handle: p for p in iter_timeuse(small)}
    goers = 0
    for p in iter_timeuse(TimeUseConfig(people=24, seed=5, days=60, evening_venue_share=0.5)):
        before = plain[p.handle]
        assert p.homes == before.homes and p.site == before.site
        assert [{k: r[k] for k in ("kind", "lat", "lon")} for r in p.truth] == [
            {k: r[k] for k in ("kind", "lat", "lon")} for r in before.truth
        ]
        if p.venue is None:
            assert "evening-venue" not in p.persona
            assert [i.post for i in p.items] == [i.post for i in before.items]
        else:
            goers += 1
    assert goers >= 6


def test_evening_venues_are_shared_and_visited_on_some_evenings() -> None:
    """Venue-goers meet at a few shared places of their town on 4-15 % of evenings (more on
    Fridays and Saturdays), from the evening and now and then past midnight; a venue is
    never a home or a base of their truth."""
    config = TimeUseConfig(people=60, seed=6, days=140, evening_venue_share=0.4)
    goers = [p for p in iter_timeuse(config) if p.venue is not None]
    assert len(goers) >= 15
    by_venue = Counter((p.venue.lat, p.venue.lon) for p in goers if p.venue is not None)
    assert len(by_venue) <= 3 * config.towns and max(by_venue.values()) >= 3
    evenings = weekend_evenings = past_midnight = days = weekends = 0
    for p in goers:
        assert "evening-venue" in p.persona and p.venue is not None
        for r in p.truth:
            if r["kind"] in ("home", "base"):
                assert haversine_m(pos(r), p.venue) > 150
        week = _Week(p, config, random.Random(1))
        for d, day in enumerate(week.dates):
            hours = [h for h in range(24) if week.at(d * 24 + h).kind == "venue"]
            assert all(h >= 19 or h <= 2 for h in hours)
            late = any(week.at((d + 1) * 24 + h).kind == "venue" for h in (0, 1, 2))
            out = any(h >= 19 for h in hours)
            days += 1
            evenings += out
            past_midnight += out and late
            if day.weekday() in (4, 5):
                weekends += 1
                weekend_evenings += out
    assert 0.03 <= evenings / days <= 0.16
    assert weekend_evenings / weekends > 1.8 * (evenings - weekend_evenings) / (days - weekends)
    assert 0.1 * evenings <= past_midnight <= 0.5 * evenings
