"""Deterministic generation of a fictional scenario: corpus, photos and ground truth.

`generate(config, out_dir)` writes:

- `posts.jsonl`: the corpus (formats.md section 1), media paths relative to it;
- `media/<person>/<post>.<ext>`: small real photos whose EXIF carries GPS, capture time
  (with or without OffsetTimeOriginal), device make / model / serial;
- `truth.csv`: person,kind,lat,lon plus unit, persona, valid_from, valid_to and
  `detectable` (0 when the person's leaked evidence cannot support the place: fewer than
  3 distinct rest days, or base weekdays, of precise evidence there);
- `scenario.json`: the configuration, for reproducibility.

The same configuration always gives the same files (one `random.Random` per person,
seeded from the scenario seed and the person's index).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from geoleak.extract.localtime import offset_text, timezone_at, zone
from geoleak.geometry import destination, haversine_m
from geoleak.scenario.model import (
    DEMO_REGION,
    PERSONA_FIELDS,
    REGIONS,
    Behaviour,
    PersonPlan,
    ScenarioConfig,
    UnitPlan,
)
from geoleak.types import LatLon

__all__ = ["GeneratedPost", "ScenarioSummary", "demo_config", "generate", "plan_scenario"]

DEVICES = (
    ("Apple", "iPhone 13", None),
    ("Apple", "iPhone 15 Pro", None),
    ("samsung", "SM-S911B", None),
    ("Google", "Pixel 7a", None),
    ("Xiaomi", "2201117TG", None),
    ("OnePlus", "CPH2449", None),
)
CAMERAS = (
    ("Canon", "Canon EOS R6", "0331{:06d}"),
    ("NIKON CORPORATION", "NIKON Z 6_2", "60{:05d}"),
)
HANDLE_FIRST = (
    "amber", "brook", "cedar", "dale", "ember", "fern", "glen", "heath", "iris", "juniper",
    "kit", "linden", "moss", "noor", "oak", "pike", "quill", "rowan", "sage", "tarn",
)  # fmt: skip
HANDLE_LAST = ("k", "m", "v", "r", "t", "s", "h", "l", "n", "w")
RANKS = ("pte", "lcpl", "cpl", "sgt", "lt", "capt", "spc", "ssgt")

TEXT_HOME = ("Home sweet home", "Quiet night in", "Sunday pancakes", "Movie night", "Finally home",
             "Garden looking good", "Cat won't let me sleep", "Rainy evening on the sofa")  # fmt: skip
TEXT_WORK = ("Long day at work", "Morning PT done", "Coffee before the briefing", "Lunch with the team",
             "Another day in the field", "Night shift again", "Vehicle checks all morning")  # fmt: skip
TEXT_OUT = ("Leg day", "Pub quiz with the crew", "Dinner out", "Weekend at mum and dad's",
            "Walk by the lake", "Match day!")  # fmt: skip
TEXT_TRIP = (
    "Holiday mode",
    "Beach day",
    "Hotel breakfast",
    "Exploring the old town",
    "Sunset views",
)
TEXT_PLAIN = ("Can't believe it's Monday", "Anyone watching the game?", "New phone who dis",
              "Happy birthday bro!", "Thinking about getting a dog", "This weather though")  # fmt: skip
VENUES = ("Heathmoor Fitness", "The Crooked Pike", "Northgate Cinema", "Lakeside Cafe")


@dataclass(frozen=True, slots=True)
class GeneratedPost:
    post: dict[str, Any]
    photo: dict[str, Any] | None  # EXIF to write, or None


@dataclass
class ScenarioSummary:
    out_dir: Path
    people: int
    posts: int
    photos: int
    photos_with_gps: int
    truth_rows: int
    units: list[dict[str, Any]]
    personas: dict[str, int] = field(default_factory=dict)  # persona tag -> people


def demo_config() -> ScenarioConfig:
    """The committed demo: one fictional unit of 10 (8 who leak, 2 who never do), ~80 photos."""
    return ScenarioConfig(
        people=10,
        seed=2020,
        units=1,
        silent_share=0.2,
        night_shift_share=0.1,
        mover_share=0.1,
        resharer_share=0.3,
        sparse_share=0.0,
        media_formats=("jpeg", "heic", "png", "webp"),
        activity=0.28,
        p_photo=0.06,
        p_geotag=0.4,
        demo=True,
    )


def _offset(rng: random.Random, origin: LatLon, low_m: float, high_m: float) -> LatLon:
    return destination(origin, rng.uniform(0, 360), rng.uniform(low_m, high_m))


def _disc(rng: random.Random, centre: LatLon, radius_m: float) -> LatLon:
    return destination(centre, rng.uniform(0, 360), radius_m * math.sqrt(rng.random()))


def _handle(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(RANKS)}_{rng.choice(HANDLE_FIRST)}{rng.choice(HANDLE_LAST)}{rng.randint(1, 99)}"
        if name not in used:
            used.add(name)
            return name


def plan_scenario(config: ScenarioConfig) -> list[UnitPlan]:
    """Units, bases, homes and behaviours: everything but the day-by-day posts."""
    rng = random.Random(f"plan-{config.seed}")
    n_units = config.units or max(1, round(config.people / 8))
    regions = [DEMO_REGION] if config.demo else list(REGIONS)
    if not config.demo:
        rng.shuffle(regions)
    units: list[UnitPlan] = []
    for u in range(n_units):
        region = regions[u % len(regions)]
        base = (
            _offset(rng, region.centre, 0, region.spread_deg * 111_000 / 2)
            if region.spread_deg
            else region.centre
        )
        radius = rng.uniform(200, 400)
        buildings = [_disc(rng, base, radius * 0.8) for _ in range(5)]
        town = _offset(rng, base, 5_000, 12_000)
        if region.name.startswith("Taveuni"):
            # Put the town on the other side of the antimeridian from the base.
            town = LatLon(base.lat + rng.uniform(-0.03, 0.03), 179.97 if base.lon < 0 else -179.97)
        units.append(UnitPlan(f"unit-{u + 1}", region, base, radius, buildings, town))

    used: set[str] = set()
    start, end = config.start, config.start + timedelta(days=config.days - 1)
    deck, evening_peak = _persona_deck(config)
    for index in range(config.people):
        unit = units[index % n_units]
        prng = random.Random(f"person-{config.seed}-{index}")
        silent = _pick(index, config.people, config.silent_share, 0)
        persona = "silent" if silent else "regular"
        behaviour = Behaviour(
            posts_per_day=prng.uniform(0.5, 1.3) * config.activity,
            p_photo=config.p_photo,
            p_photo_gps=prng.uniform(0.6, 0.9),
            p_geotag=config.p_geotag * prng.uniform(0.6, 1.2),
        )
        if silent:
            behaviour = replace(
                behaviour, silent=True, p_photo_gps=0.0, p_geotag=0.0, p_place=0.0, p_checkin_text=0.0,
                reshares_per_year=prng.choice((0.0, 2.0, 4.0)),
            )  # fmt: skip
        else:
            if _pick(index, config.people, config.night_shift_share, 1):
                behaviour = replace(behaviour, night_shift=True)
                persona = "night-shift"
            elif _pick(index, config.people, config.mover_share, 2):
                behaviour = replace(behaviour, move_day=prng.randint(120, 240))
                persona = "mover"
            elif _pick(index, config.people, config.sparse_share, 3):
                behaviour = replace(
                    behaviour, posts_per_day=0.25 * config.activity, p_photo_gps=0.3, p_geotag=0.06
                )
                persona = "sparse"
            elif index in deck:
                persona = deck[index]
                behaviour = _persona_behaviour(persona, behaviour, prng, config)
            if index in evening_peak and behaviour.posting_curve == "default":
                behaviour = replace(behaviour, posting_curve="evening-peak")
                persona += "+evening-peak"
            if _pick(index, config.people, config.resharer_share, 4):
                behaviour = replace(behaviour, reshares_per_year=prng.uniform(3, 8))
                persona += "+resharer"
        on_base = persona.startswith("on-base")
        if on_base:  # quarters inside the base
            home_a = _disc(prng, unit.base, unit.base_radius_m * 0.7)
        else:
            home_a = _home_near(prng, unit, 200, 4_000)
        homes = [(home_a, start, end)]
        second_home = None
        if behaviour.second_home_weekends:
            second_home = _offset(prng, home_a, 50_000, 150_000)
        cities = []
        for _ in range(2 if behaviour.business_trips_per_year else 0):
            hotel = _offset(prng, home_a, 150_000, 900_000)
            cities.append((hotel, _offset(prng, hotel, 500, 3_000)))
        if behaviour.move_day is not None:
            moved = start + timedelta(days=behaviour.move_day)
            home_b = _home_near(prng, unit, 1_500, 9_000)
            homes = [(home_a, start, moved - timedelta(days=1)), (home_b, moved, end)]
        frequent = [_offset(prng, unit.town, 500, 25_000) for _ in range(3)]
        if prng.random() < 0.15:
            make, model, pattern = prng.choice(CAMERAS)
            device: tuple[str, str, str | None] = (
                make,
                model,
                pattern.format(prng.randint(0, 99_999)),
            )
        else:
            device = prng.choice(DEVICES)
        fmt = config.media_formats[index % len(config.media_formats)]
        plan = PersonPlan(
            _handle(prng, used), unit.name, persona, behaviour, homes, frequent, device, fmt
        )
        plan.second_home, plan.business_cities, plan.lives_on_base = second_home, cities, on_base
        unit.members.append(plan)
    return units


def _persona_deck(config: ScenarioConfig) -> tuple[dict[int, str], set[int]]:
    """Which people get the personas of issue 11, and who posts on an evening-peak curve.

    Dealt from the people the other behaviours left regular, with their own random stream,
    so a scenario without these personas (the demo) draws exactly what it always drew.
    """
    wanted = {name: getattr(config, f) for f, name in PERSONA_FIELDS.items()}
    if not any(wanted.values()) and not config.evening_peak_share:
        return {}, set()
    rng = random.Random(f"personas-{config.seed}")
    n = config.people
    silent = [_pick(i, n, config.silent_share, 0) for i in range(n)]
    taken = [
        silent[i]
        or _pick(i, n, config.night_shift_share, 1)
        or _pick(i, n, config.mover_share, 2)
        or _pick(i, n, config.sparse_share, 3)
        for i in range(n)
    ]
    free = [i for i in range(n) if not taken[i]]
    rng.shuffle(free)
    deck: dict[int, str] = {}
    for name, share in wanted.items():
        count = max(1, round(n * share)) if share > 0 else 0
        for _ in range(count):
            if free:
                deck[free.pop()] = name
    curve_free = [
        i for i in range(n)
        if not silent[i] and not _pick(i, n, config.night_shift_share, 1)
        and deck.get(i) not in ("rotating-shift", "lunch-poster", "evening-poster")
    ]  # fmt: skip
    rng.shuffle(curve_free)
    peak_count = round(n * config.evening_peak_share)
    return deck, set(curve_free[:peak_count])


def _persona_behaviour(
    persona: str, behaviour: Behaviour, rng: random.Random, config: ScenarioConfig
) -> Behaviour:
    """The Behaviour of one persona of issue 11 (rng: the person's own plan stream)."""
    if persona == "rotating-shift":
        return replace(behaviour, rotating_shift=True)
    if persona == "home-office":
        return replace(behaviour, home_office=True)
    if persona == "lunch-poster":
        return replace(behaviour, posting_curve="lunch")
    if persona == "evening-poster":
        return replace(behaviour, posting_curve="evening-only")
    if persona == "second-home":
        return replace(behaviour, second_home_weekends=rng.uniform(0.4, 0.7))
    if persona == "business-traveller":
        return replace(behaviour, business_trips_per_year=rng.randint(12, 20))
    if persona == "resort-holiday":
        return replace(behaviour, resort_holidays=True, holidays=rng.randint(2, 3))
    if persona == "rare-geotag":
        # Heavy posters of whom 1-3 % of posts carry a location (geotag or photo GPS).
        located = rng.uniform(0.01, 0.03)
        geotag = located * rng.uniform(0.3, 0.7)
        return replace(
            behaviour,
            posts_per_day=rng.uniform(2.0, 6.0) * config.activity,
            p_geotag=geotag,
            p_photo_gps=min(1.0, (located - geotag) / max(config.p_photo, 0.01)),
        )
    return behaviour  # on-base: only the home differs


def _home_near(rng: random.Random, unit: UnitPlan, low_m: float, high_m: float) -> LatLon:
    """A home around the unit's town, at least 2.5 km outside the base."""
    while True:
        home = _offset(rng, unit.town, low_m, high_m)
        if haversine_m(home, unit.base) > unit.base_radius_m + 2_500:
            return home


def _pick(index: int, total: int, share: float, salt: int) -> bool:
    """Deterministically spread a share of people over the index range (stable across sizes)."""
    if share <= 0:
        return False
    count = max(1, round(total * share)) if share * total >= 0.5 else 0
    if count == 0:
        return False
    step = total / count
    offset = (salt * 0.37 % 1.0) * step
    return any(int(offset + k * step) == index for k in range(count))


# ---------------------------------------------------------------- day-by-day behaviour


@dataclass(frozen=True, slots=True)
class _Where:
    position: LatLon
    context: str  # home, work, out, trip, parents
    noise_m: float


def _rhythm_hour(rng: random.Random, night_shift: bool) -> float:
    """A local hour of posting: mostly lunchtime and evening, little before dawn."""
    if night_shift:
        # Awake from mid-afternoon to the early morning.
        return (rng.gauss(18.0, 3.5) if rng.random() < 0.6 else rng.gauss(1.5, 2.0)) % 24
    roll = rng.random()
    if roll < 0.08:
        return rng.uniform(0, 24)
    if roll < 0.40:
        return rng.gauss(12.5, 2.2) % 24
    return rng.gauss(20.5, 2.0) % 24


# Share of posts by local hour on an evening-peak curve with a night trough from about 01:30
# to 06:00: the shape of tweet volume by hour in Golder & Macy 2011, Science 333(6051):
# 1878-1881 (fig. 1, volume lowest 03:00-06:00, highest in the evening).
EVENING_PEAK_WEIGHTS = (
    2.2, 1.2, 0.35, 0.12, 0.1, 0.15, 0.45, 1.6, 2.8, 3.3, 3.5, 3.8,
    4.4, 4.2, 3.8, 3.8, 4.0, 4.5, 5.2, 6.0, 6.8, 7.0, 6.0, 4.1,
)  # fmt: skip
_HOURS = tuple(range(24))


def _post_hour(rng: random.Random, b: Behaviour, life: _Life, day: date) -> float:
    """The local hour of a post; the original rhythm for people without an issue-11 curve."""
    if b.rotating_shift:
        shift = life.shift_on(day)
        if shift == "late":
            return (rng.gauss(11.5, 1.5) if rng.random() < 0.5 else rng.gauss(23.0, 1.0)) % 24
        if shift == "night":
            return _rhythm_hour(rng, True)
        return _rhythm_hour(rng, False)
    if b.posting_curve == "lunch":
        spread = 0.5 if day.weekday() < 5 else 1.2
        return min(23.99, max(0.0, rng.gauss(12.4, spread)))
    if b.posting_curve == "evening-only":
        return rng.uniform(18.5, 23.9)
    if b.posting_curve == "evening-peak":
        return rng.choices(_HOURS, weights=EVENING_PEAK_WEIGHTS)[0] + rng.random() * 0.999
    return _rhythm_hour(rng, b.night_shift)


class _Life:
    """Where one person is at any local time of the scenario."""

    def __init__(
        self, plan: PersonPlan, unit: UnitPlan, config: ScenarioConfig, rng: random.Random
    ) -> None:
        self.plan, self.unit, self.rng = plan, unit, rng
        self.start, self.days = config.start, config.days
        b = plan.behaviour
        self.trips: list[tuple[date, date, LatLon, list[LatLon]]] = []
        for _ in range(b.holidays):
            first = config.start + timedelta(days=rng.randint(10, config.days - 20))
            length = rng.randint(6, 14)
            hotel = _offset(rng, plan.homes[0][0], 300_000, 2_500_000)
            sights = [_offset(rng, hotel, 300, 4_000) for _ in range(6)]
            self.trips.append((first, first + timedelta(days=length), hotel, sights))
        weekends = [config.start + timedelta(days=d) for d in range(config.days)
                    if (config.start + timedelta(days=d)).weekday() == 5]  # fmt: skip
        self.parents = set(rng.sample(weekends, min(b.parents_weekends, len(weekends))))
        self.leave = {
            config.start + timedelta(days=rng.randint(0, config.days - 1)) for _ in range(10)
        }
        # Personas of issue 11: drawn after everything above, only for those who have them.
        self.shift_phase = rng.randrange(10) if b.rotating_shift else 0
        self.second_weekends: set[date] = set()
        if b.second_home_weekends and plan.second_home is not None:
            self.second_weekends = {
                s for s in weekends if rng.random() < b.second_home_weekends
            } - self.parents
        self.business: dict[date, tuple[LatLon, LatLon]] = {}
        if b.business_trips_per_year and plan.business_cities:
            mondays = [w - timedelta(days=5) for w in weekends
                       if w - timedelta(days=5) >= config.start
                       and not any(self.trip_on(w - timedelta(days=5 - k)) for k in range(4))]  # fmt: skip
            count = min(len(mondays), round(b.business_trips_per_year * config.days / 365))
            for monday in rng.sample(mondays, count):
                city = rng.choice(plan.business_cities)
                for k in range(4):
                    self.business[monday + timedelta(days=k)] = city
        if b.resort_holidays:  # days by the pool and on the hotel's beach, not touring
            self.trips = [
                (first, last, hotel, [_offset(rng, hotel, 20, 250) for _ in range(4)])
                for first, last, hotel, _sights in self.trips
            ]

    def home_on(self, day: date) -> LatLon:
        for position, _first, last in self.plan.homes:
            if day <= last:
                return position
        return self.plan.homes[-1][0]

    def trip_on(self, day: date) -> tuple[LatLon, list[LatLon]] | None:
        for first, last, hotel, sights in self.trips:
            if first <= day <= last:
                return hotel, sights
        return None

    def on_duty(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and day not in self.leave
            and self.trip_on(day) is None
            and day not in self.business
        )

    def shift_on(self, day: date) -> str | None:
        """A rotating-shift worker's shift that starts on `day`: early, late, night or None.

        The common 2-2-2-4 pattern: two early (06-14), two late (14-22), two night shifts
        (22-06), four days off, weekends included.
        """
        if day in self.leave or self.trip_on(day) is not None:
            return None
        step = ((day - self.start).days + self.shift_phase) % 10
        return ("early", "early", "late", "late", "night", "night", None, None, None, None)[step]

    def _persona_where(self, day: date, hour: float, evening_day: date) -> _Where | None:
        """Where the personas of issue 11 are when that differs from everybody else."""
        rng, b, plan = self.rng, self.plan.behaviour, self.plan
        if self.business:
            night_of = evening_day if hour < 8 else day
            if night_of in self.business and night_of.weekday() < 3 and (hour >= 18 or hour < 8):
                return _Where(self.business[night_of][0], "trip", 15)
            if day in self.business and 8 <= hour < 17.5:
                return _Where(self.business[day][1], "work", 30)
        if b.rotating_shift:
            if self.shift_on(day) == "early" and 6 <= hour < 14:
                return _Where(rng.choice(self.unit.buildings), "work", 30)
            if self.shift_on(day) == "late" and 14 <= hour < 22:
                return _Where(rng.choice(self.unit.buildings), "work", 30)
            night_of = day - timedelta(days=1) if hour < 6 else day
            if self.shift_on(night_of) == "night" and (hour >= 22 or hour < 6):
                return _Where(rng.choice(self.unit.buildings), "work", 30)
        if b.home_office and self.on_duty(day) and 8 <= hour < 17:
            if 11.5 <= hour < 13.5 and rng.random() < 0.35:
                return _Where(plan.frequent[1], "out", 20)  # the cafe round the corner
            if rng.random() < 0.08:
                return _Where(plan.frequent[2], "out", 20)  # errands
            return _Where(self.home_on(day), "home", 12)
        if self.second_weekends and plan.second_home is not None:
            to_saturday = {4: 1, 5: 0, 6: -1}.get(day.weekday())
            there = (day.weekday() == 4 and hour >= 18) or day.weekday() == 5 or (
                day.weekday() == 6 and hour < 16)  # fmt: skip
            if (
                to_saturday is not None
                and there
                and day + timedelta(days=to_saturday) in self.second_weekends
            ):
                return _Where(plan.second_home, "parents", 15)
        return None

    def where(self, moment: datetime) -> _Where:
        """Where the person is at a local wall-clock time."""
        rng, b = self.rng, self.plan.behaviour
        hour = moment.hour + moment.minute / 60
        day = moment.date()
        evening_day = (moment - timedelta(hours=12)).date() if hour < 12 else day
        trip = self.trip_on(evening_day if hour < 8 else day)
        if trip is not None:
            hotel, sights = trip
            if hour >= 21 or hour < 9:
                return _Where(hotel, "trip", 12)
            return _Where(rng.choice(sights), "trip", 25)
        special = self._persona_where(day, hour, evening_day)
        if special is not None:
            return special
        if b.rotating_shift or b.home_office:
            pass  # off shift / after work: the rest of the week as below
        elif b.night_shift:
            shift_day = evening_day if hour < 7 else day
            if self.on_duty(shift_day) and (hour >= 21.5 or hour < 6.5):
                return _Where(rng.choice(self.unit.buildings), "work", 30)
        elif self.on_duty(day) and 7.5 <= hour < 17.0:
            return _Where(rng.choice(self.unit.buildings), "work", 30)
        saturday = day - timedelta(days=(day.weekday() - 5) % 7)
        if saturday in self.parents and (
            day == saturday or ((day - saturday).days == 1 and hour < 15)
        ):
            return _Where(self.plan.frequent[0], "parents", 15)
        outing_time = 18 <= hour < 22 or (day.weekday() >= 5 and 10 <= hour < 18)
        if outing_time and rng.random() < b.p_outing:
            return _Where(rng.choice(self.plan.frequent[1:]), "out", 20)
        return _Where(self.home_on(evening_day if hour < 7 else day), "home", 12)


def _text(rng: random.Random, context: str) -> str:
    pool = {
        "home": TEXT_HOME,
        "work": TEXT_WORK,
        "out": TEXT_OUT,
        "parents": TEXT_OUT,
        "trip": TEXT_TRIP,
    }
    if rng.random() < 0.3:
        return rng.choice(TEXT_PLAIN)
    return rng.choice(pool.get(context, TEXT_PLAIN))


def _utc(local: datetime, tz_name: str | None) -> datetime:
    tz = zone(tz_name) if tz_name else None
    if tz is None:
        return local.replace(tzinfo=timezone.utc)
    return local.replace(tzinfo=tz).astimezone(timezone.utc)


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _person_posts(
    plan: PersonPlan, unit: UnitPlan, config: ScenarioConfig, seed: str
) -> Iterator[GeneratedPost]:
    rng = random.Random(seed)
    life = _Life(plan, unit, config, rng)
    b = plan.behaviour
    home_tz = timezone_at(plan.homes[0][0])
    counter = 0
    reshare_days = {
        config.start + timedelta(days=rng.randint(0, config.days - 1))
        for _ in range(int(b.reshares_per_year * config.days / 365 + rng.random()))
    }
    for d in range(config.days):
        day = config.start + timedelta(days=d)
        trip = life.trip_on(day)
        rate = b.posts_per_day * (2.2 if trip else 1.0) * (1.3 if day.weekday() >= 5 else 1.0)
        n_posts = _poisson(rng, rate) + (1 if day in reshare_days else 0)
        for k in range(n_posts):
            counter += 1
            hour = _post_hour(rng, b, life, day)
            local = datetime.combine(day, time()) + timedelta(
                hours=hour, seconds=rng.randint(0, 59)
            )
            where = life.where(local)
            tz_name = timezone_at(where.position) or home_tz
            taken_utc = _utc(local, tz_name)
            post_id = f"{plan.handle}-{counter:04d}"
            reshare = day in reshare_days and k == n_posts - 1
            yield _make_post(rng, plan, post_id, local, taken_utc, tz_name, where, reshare)


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _make_post(
    rng: random.Random,
    plan: PersonPlan,
    post_id: str,
    local: datetime,
    taken_utc: datetime,
    tz_name: str | None,
    where: _Where,
    reshare: bool,
) -> GeneratedPost:
    b = plan.behaviour
    post: dict[str, Any] = {"id": post_id, "author": plan.handle}
    text = _text(rng, where.context)
    photo: dict[str, Any] | None = None
    created = taken_utc
    if reshare:
        stranger = LatLon(rng.uniform(-50, 60), rng.uniform(-179, 179))
        taken = local - timedelta(days=rng.randint(30, 900))
        make, model, _serial = rng.choice(DEVICES)  # somebody else's phone
        photo = {"position": stranger, "local": taken, "offset": None, "accuracy_m": 10.0, "reshare": True,
                 "device": (make, model, None)}  # fmt: skip
        text = rng.choice(
            ("Throwback! (photo: a friend)", "Reposting this beauty", "Wish I was here")
        )
    elif rng.random() < b.p_photo:
        photo = {
            "position": None,
            "local": local,
            "offset": None,
            "accuracy_m": None,
            "reshare": False,
        }
        if not b.silent and rng.random() < b.p_photo_gps:
            position = destination(
                where.position, rng.uniform(0, 360), abs(rng.gauss(0, where.noise_m))
            )
            accuracy = round(rng.uniform(4, 20), 1)
            roll = rng.random()
            if roll < b.p_null_island:
                position, accuracy = LatLon(0.0, 0.0), 0.0
            elif roll < b.p_null_island + b.p_low_accuracy:
                accuracy = round(rng.uniform(800, 3000), 0)
                position = destination(
                    where.position, rng.uniform(0, 360), accuracy * rng.uniform(0.3, 1.0)
                )
            photo["position"], photo["accuracy_m"] = position, accuracy
        if rng.random() < b.p_offset and tz_name:
            offset = offset_text(zone(tz_name) or timezone.utc, local)
            if offset is not None:
                photo["offset"] = offset
        if rng.random() < b.p_late:
            created = taken_utc + timedelta(hours=rng.uniform(1, 96))
    if not reshare and not b.silent and created == taken_utc:
        if rng.random() < b.p_geotag:
            position = destination(
                where.position, rng.uniform(0, 360), abs(rng.gauss(0, where.noise_m * 1.5))
            )
            post["lat"], post["lon"] = round(position.lat, 6), round(position.lon, 6)
        elif rng.random() < b.p_place and where.context != "trip":
            post["place"] = {"name": "Heathmoor" if plan.unit == "unit-1" else f"{plan.unit} town",
                             "lat": round(where.position.lat, 3), "lon": round(where.position.lon, 3)}  # fmt: skip
        elif rng.random() < b.p_checkin_text and where.context == "out":
            text = f"Checked in at {rng.choice(VENUES)}"
    post["created_at"] = _iso_z(created)
    post["text"] = text
    return GeneratedPost(post, photo)


# ---------------------------------------------------------------- photos


def _rational_dms(value: float) -> tuple[Any, Any, Any]:
    from PIL.TiffImagePlugin import IFDRational

    value = abs(value)
    degrees = int(value)
    minutes_f = (value - degrees) * 60
    minutes = int(minutes_f)
    seconds = round((minutes_f - minutes) * 60 * 10_000)
    if seconds >= 600_000:
        seconds -= 600_000
        minutes += 1
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10_000)


def photo_bytes(
    photo: dict[str, Any], plan: PersonPlan | None, fmt: str, colour_seed: int
) -> bytes:
    """A small image with the photo's EXIF (GPS, capture time, device), in `fmt`.

    The device is the photo's own `device` when it has one, else the plan's.
    """
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    rng = random.Random(colour_seed)
    image = Image.new("RGB", (48, 36), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for x in range(0, 48, 6):
        for y in range(36):
            image.putpixel((x, y), (y * 7 % 256, x * 5 % 256, 128))
    exif = Image.Exif()
    device = photo.get("device") or (plan.device if plan is not None else None)
    if device is None:
        raise ValueError("photo_bytes: a photo without a device needs a plan")
    make, model, serial = device
    exif[0x010F], exif[0x0110] = make, model
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003] = photo["local"].strftime("%Y:%m:%d %H:%M:%S")
    if photo.get("offset"):
        exif_ifd[0x9011] = photo["offset"]
    if serial:
        exif_ifd[0xA431] = serial
    position: LatLon | None = photo.get("position")
    if position is not None:
        gps = exif.get_ifd(0x8825)
        gps[0] = b"\x02\x03\x00\x00"
        gps[1] = "S" if position.lat < 0 else "N"
        gps[2] = _rational_dms(position.lat)
        gps[3] = "W" if position.lon < 0 else "E"
        gps[4] = _rational_dms(position.lon)
        if photo.get("accuracy_m"):
            gps[31] = IFDRational(round(photo["accuracy_m"] * 10), 10)
    out = io.BytesIO()
    pil_format = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF"}[fmt]
    if fmt == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
    image.save(out, pil_format, exif=exif.tobytes(), quality=70)
    return out.getvalue()


_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic"}
_ISSUE11_SHARES = {*PERSONA_FIELDS, "evening_peak_share"}


# ---------------------------------------------------------------- truth


def _is_rest(local: datetime) -> date | None:
    """The rest day a local time belongs to (night keyed to its evening, or a weekend day)."""
    if local.hour >= 21 or local.hour < 7:
        return (local - timedelta(hours=12)).date()
    if local.weekday() >= 5:
        return local.date()
    return None


def _detectable_home(
    precise: list[tuple[LatLon, datetime]], home: LatLon, first: date, last: date
) -> bool:
    rest = {
        r for pos, local in precise
        if first <= local.date() <= last and haversine_m(pos, home) <= 150 and (r := _is_rest(local))
    }  # fmt: skip
    return len(rest) >= 3 and len({d.isocalendar()[:2] for d in rest}) >= 2


def _detectable_base(precise: list[tuple[LatLon, datetime]], base: LatLon, radius_m: float) -> bool:
    days = {local.date() for pos, local in precise
            if local.weekday() < 5 and haversine_m(pos, base) <= radius_m + 150}  # fmt: skip
    return len(days) >= 3


# ---------------------------------------------------------------- writing


@dataclass
class PersonRecord:
    """One generated person: their plan, unit, posts (with photos to write) and truth rows."""

    plan: PersonPlan
    unit: UnitPlan
    items: list[GeneratedPost]
    truth: list[dict[str, Any]]


def iter_people(config: ScenarioConfig) -> Iterator[PersonRecord]:
    """Every person of the scenario with their posts and truth, in a stable order."""
    for unit in plan_scenario(config):
        for plan in unit.members:
            items = list(_person_posts(plan, unit, config, f"posts-{config.seed}-{plan.handle}"))
            precise: list[tuple[LatLon, datetime]] = []
            for item in items:
                photo = item.photo
                pos = photo.get("position") if photo is not None else None
                if (
                    photo is not None
                    and pos is not None
                    and not photo["reshare"]
                    and not pos.is_null_island
                    and (photo["accuracy_m"] or 0) < 500
                ):
                    precise.append((pos, photo["local"]))
                if "lat" in item.post:
                    precise.append(
                        (LatLon(item.post["lat"], item.post["lon"]), _local_of(item.post))
                    )
            yield PersonRecord(plan, unit, items, _truth_for(plan, unit, precise))


def media_path(plan: PersonPlan, post_id: str) -> str:
    """Where a post's photo lives, relative to the corpus."""
    return f"media/{plan.handle}/{post_id}.{_EXT[plan.media_format]}"


TRUTH_FIELDS = [
    "person",
    "kind",
    "lat",
    "lon",
    "detectable",
    "unit",
    "persona",
    "valid_from",
    "valid_to",
]


def write_truth(out: Path, truth_rows: Iterable[dict[str, Any]]) -> None:
    """`out/truth.csv` (docs/formats.md section 2), the same columns for every family."""
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TRUTH_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(truth_rows)


def write_posts(
    out: Path,
    corpus: TextIO,
    items: Iterable[GeneratedPost],
    plan: PersonPlan | None,
    media_format: str,
    media_rel: Callable[[str], str],
) -> tuple[int, int, int]:
    """Write one person's posts as corpus lines and their photos under `out` (the path
    `media_rel(post id)`); returns (posts, photos, photos with GPS). Shared by every
    scenario family, so their corpora are written the same way."""
    n_posts = n_photos = n_gps = 0
    for item in items:
        post = dict(item.post)
        if item.photo is not None:
            rel = media_rel(post["id"])
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(photo_bytes(item.photo, plan, media_format, hash_seed(post["id"])))
            post["media"] = [rel]
            n_photos += 1
            n_gps += item.photo.get("position") is not None
        corpus.write(json.dumps(post, ensure_ascii=False, separators=(",", ":")) + "\n")
        n_posts += 1
    return n_posts, n_photos, n_gps


def generate(
    config: ScenarioConfig,
    out_dir: str | Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> ScenarioSummary:
    """Write the scenario's corpus, photos and truth into `out_dir` (created if needed)."""
    out = Path(out_dir)
    (out / "media").mkdir(parents=True, exist_ok=True)
    n_posts = n_photos = n_gps = 0
    truth_rows: list[dict[str, Any]] = []
    units: dict[str, UnitPlan] = {}
    personas: Counter[str] = Counter()
    with (out / "posts.jsonl").open("w", encoding="utf-8", newline="\n") as corpus:
        for record in iter_people(config):
            plan = record.plan
            units.setdefault(record.unit.name, record.unit)
            personas.update(plan.persona.split("+"))
            posts, photos, gps = write_posts(
                out, corpus, record.items, plan, plan.media_format, partial(media_path, plan)
            )
            n_posts, n_photos, n_gps = n_posts + posts, n_photos + photos, n_gps + gps
            truth_rows.extend(record.truth)
            if progress is not None:
                progress(1)
    write_truth(out, truth_rows)
    unit_info = [
        {"unit": u.name, "region": u.region.name, "base_lat": round(u.base.lat, 6),
         "base_lon": round(u.base.lon, 6), "members": [m.handle for m in u.members]}
        for u in units.values()
    ]  # fmt: skip
    # Persona shares at 0 are left out, so scenarios without them (the demo) read as before.
    config_doc = {
        k: (str(v) if isinstance(v, date) else v)
        for k, v in asdict(config).items()
        if not (k.endswith("_share") and k in _ISSUE11_SHARES and v == 0)
    }
    (out / "scenario.json").write_text(
        json.dumps(
            {"generator": "geoleak.scenario", "config": config_doc, "units": unit_info}, indent=1
        )
        + "\n",
        encoding="utf-8",
    )
    (out / "README.md").write_text(_README.format(people=config.people, posts=n_posts, photos=n_photos,
                                                  gps=n_gps, seed=config.seed), encoding="utf-8")  # fmt: skip
    return ScenarioSummary(out, config.people, n_posts, n_photos, n_gps, len(truth_rows), unit_info,
                           dict(sorted(personas.items())))  # fmt: skip


_README = """# A fictional geoleak scenario

Everything here is invented: the people, their handles, their homes, the unit and its base.
Any resemblance to real people or installations is accidental. It was written by
`geoleak scenario` (seed {seed}); the same options rebuild it byte for byte
(the demo: `geoleak scenario --demo -o sample_media --force`).

- `posts.jsonl`: {posts} posts of {people} people (geoleak corpus format, formats.md section 1)
- `media/`: {photos} small photos, {gps} of them with EXIF GPS, capture time and device
- `truth.csv`: where each person really lives and serves (`detectable` = 0 where what they
  leaked cannot support the place); people with kind `none` never leak a location
- `scenario.json`: the configuration and the units

Try: `geoleak infer posts.jsonl -o profiles.json` then
`geoleak evaluate profiles.json --truth truth.csv`.
"""


def hash_seed(text: str) -> int:
    """A stable integer from a string (Python's hash() is salted per process)."""
    value = 2166136261
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def _local_of(post: dict[str, Any]) -> datetime:
    created = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
    tz = zone(timezone_at(LatLon(post["lat"], post["lon"])) or "UTC")
    return created.astimezone(tz).replace(tzinfo=None) if tz else created.replace(tzinfo=None)


def _truth_for(
    plan: PersonPlan, unit: UnitPlan, precise: list[tuple[LatLon, datetime]]
) -> list[dict[str, Any]]:
    base_row = {"unit": plan.unit, "persona": plan.persona}
    if plan.behaviour.silent:
        return [{"person": plan.handle, "kind": "none", "lat": "", "lon": "", "detectable": 1,
                 "valid_from": "", "valid_to": "", **base_row}]  # fmt: skip
    rows = []
    for position, first, last in plan.homes:
        rows.append({
            "person": plan.handle, "kind": "home", "lat": f"{position.lat:.6f}", "lon": f"{position.lon:.6f}",
            "detectable": int(_detectable_home(precise, position, first, last)),
            "valid_from": first.isoformat(), "valid_to": last.isoformat(), **base_row,
        })  # fmt: skip
    if plan.behaviour.home_office:  # works at home: no base at all
        rows.append({"person": plan.handle, "kind": "nobase", "lat": "", "lon": "", "detectable": 1,
                     "valid_from": "", "valid_to": "", **base_row})  # fmt: skip
    else:
        rows.append({
            "person": plan.handle, "kind": "base", "lat": f"{unit.base.lat:.6f}", "lon": f"{unit.base.lon:.6f}",
            "detectable": int(_detectable_base(precise, unit.base, unit.base_radius_m)),
            "valid_from": "", "valid_to": "", **base_row,
        })  # fmt: skip
    if plan.second_home is not None:  # not a home: a home given here is wrong
        rows.append({"person": plan.handle, "kind": "second_home", "lat": f"{plan.second_home.lat:.6f}",
                     "lon": f"{plan.second_home.lon:.6f}", "detectable": 1, "valid_from": "",
                     "valid_to": "", **base_row})  # fmt: skip
    return rows


def describe(summary: ScenarioSummary) -> list[str]:
    """Lines describing what was generated."""
    lines = [
        f"wrote {summary.posts} posts of {summary.people} fictional people, {summary.photos} photos "
        f"({summary.photos_with_gps} with EXIF GPS) and {summary.truth_rows} truth rows to {summary.out_dir}"
    ]
    for unit in summary.units:
        lines.append(f"  {unit['unit']}: base at {unit['base_lat']:.4f}, {unit['base_lon']:.4f} "
                     f"({unit['region']}), {len(unit['members'])} members")  # fmt: skip
    if summary.personas:
        lines.append("  personas: " + ", ".join(f"{k} {n}" for k, n in summary.personas.items()))
    return lines
