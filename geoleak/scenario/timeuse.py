"""A second, independent scenario family: people whose week follows time-use statistics.

`geoleak scenario --model timeuse` builds corpora from a behaviour model that shares no
code with `geoleak.scenario.generator` (only the photo writer and the corpus / truth file
formats): a different population, different places, a different clock for posting, a
different noise model. Inference developed against one family and measured on the other
cannot have been tuned to the quirks of either.

The model, with its sources (values read approximately from the published tables and
figures; the shapes matter more than the second decimal):

- **Population.** 65 % employed, the rest not employed (students, retired, carers, job
  seekers; the US employment-population ratio is about 60-63 %, BLS CPS 2015-2024), who
  have no workplace (truth `nobase`). Of the employed: about 16 % work non-day shifts (BLS,
  "Job flexibilities and work schedules 2017-2018", USDL-19-1691): evening, night, and
  12-hour shifts rotating four days on, four off, alternating days and nights; 10 % work
  entirely from home and 20 % are hybrid (two days a week at home; ATUS 2022: 34 % of
  employed persons did some or all of their work at home on days worked, BLS USDL-23-1364);
  4 % live on the site they work at (quarters, live-in staff). 10 % of people move house
  during a year (US Census CPS ASEC geographic mobility, 8-12 % a year since 2015); 8 % have
  a cabin or family house 40-200 km away used at weekends (Statistics Norway: about 40 % of
  households have access to a holiday home; far fewer use one on most weekends); 6 % of day
  workers travel on business. Everyone has one to three holidays of 5-15 days a year.
- **Where a person is, hour by hour.** Work blocks from schedules: day work starts around
  08:00 (ATUS: most employed persons start between 06:00 and 09:00) and lasts about 8.5 h;
  employed people work on about 85-90 % of weekdays and a third of weekend days (ATUS news
  releases 2015-2019; day workers here 12 % of weekend days). Outside work, each hour the
  person is at home or elsewhere with the probability of the hour (`AWAY_WEEKDAY`,
  `AWAY_WEEKEND`, after HETUS 2010 / ATUS charts of where people are by time of day: under 3 %
  away at night, 30-40 % away at weekend middays), staying where they were with probability
  0.6 so visits last more than an hour. Away means one of 8-20 personal places visited with
  Zipf weights k^-1.2 (Gonzalez, Hidalgo & Barabasi 2008, Nature 453:779; Song et al. 2010,
  Nature Physics 6:818: visit frequency of the k-th place ~ k^-zeta, zeta ~ 1.2).
- **When people post.** A posting curve by local hour for weekdays and weekends
  (`POSTS_WEEKDAY`, `POSTS_WEEKEND`): low from about 02:00 to 06:30, a lunchtime bump, an
  evening peak at 20:00-21:00 (after Noulas et al. 2011, "An empirical study of geographic
  user activity patterns in Foursquare", ICWSM; Grinberg et al. 2013, "Extracting diurnal
  patterns of real world activity from social media", ICWSM), shifted per person by a
  chronotype offset (sd 1 h; Roenneberg et al. 2007, Sleep Med Rev 11:429) and by the
  sleep shift of night workers. Posts per day are log-normal across people (median 0.8).
  5 % post only around lunch (11:30-14:00) and 5 % only in the evening (18:30-24:00), on
  the clock rather than their chronotype (meal and after-work posting: Golder & Macy 2011,
  Science 333:1878, show the lunchtime and evening peaks of posting); night and evening
  workers keep their shifted day (their lunch comes in the night).
- **What a post gives away.** The share of a person's posts that carry a location is drawn
  from three groups: 25 % keep location on (15-50 % of posts located), 50 % occasional
  (3-12 %), 25 % rare (0.5-3 %; Sloan & Morgan 2015, PLoS ONE 10(11):e0142209: under 1 %
  of tweets geotagged). A located post is a photo with EXIF GPS (65 %) or a platform geotag.
  Fix error: 75 % satellite fixes (Rayleigh, sigma 6 m outdoors, 12 m indoors), 22 % Wi-Fi
  fixes (sigma 30 m), 3 % cell fixes 500-2000 m off with that accuracy recorded (Zandbergen
  2009, Transactions in GIS 13(s1):5: median errors A-GPS 8 m, Wi-Fi 74 m, cellular 600 m;
  newer phones do better on Wi-Fi). 10 % of photos are posted 1-72 h after they were taken.
- **Evening venues** (optional, `evening_venue_share`, default 0). A share of people,
  employed or not, meet at one of a few shared venues of their town (a bar, a club, a
  friend's flat) on some evenings, from 19:00-21:00 to 22:00-23:00, 30 % of the time
  past midnight; Fridays and Saturdays three times as likely. Each goes on 4-15 % of
  evenings (one every one to four weeks). ATUS (BLS, American Time Use Survey 2023
  results, June 2024, table 1) has "socializing and communicating" on an average day for
  about a third of people, about 0.6 h a day (approximate); going out to the same bar or
  flat on a few evenings a month is a small part of that. A venue is never a home or a
  base: the truth is unchanged.
- **Truth.** Home rows (two, with valid_from / valid_to, for movers), the workplace site
  (or `nobase`), the cabin (`second_home`), or `none` for the 10 % who never post a
  location; `detectable` = 0 where the person's precise located posts put them there on
  fewer than 3 distinct days. The `persona` column names the behaviour.

Same formats as the first family (formats.md sections 1 and 2); the same configuration
always gives the same bytes.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

from geoleak.extract.localtime import offset_text, timezone_at, zone
from geoleak.geometry import destination, haversine_m
from geoleak.scenario.generator import GeneratedPost, ScenarioSummary, write_posts, write_truth
from geoleak.types import LatLon

__all__ = ["TimeUseConfig", "TimeUsePerson", "generate_timeuse", "iter_timeuse", "write_family"]

# Where people are outside work, by local hour: probability of being away from home
# (HETUS 2010 / ATUS "where people are" by time of day, approximate).
AWAY_WEEKDAY = (0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.10, 0.15, 0.20, 0.24, 0.27,
                0.30, 0.30, 0.29, 0.29, 0.30, 0.32, 0.30, 0.25, 0.20, 0.14, 0.08, 0.04)  # fmt: skip
AWAY_WEEKEND = (0.05, 0.03, 0.02, 0.01, 0.01, 0.01, 0.02, 0.05, 0.12, 0.25, 0.34, 0.40,
                0.42, 0.42, 0.42, 0.40, 0.38, 0.35, 0.32, 0.28, 0.22, 0.16, 0.10, 0.07)  # fmt: skip
# Posts by local hour (relative weights; Noulas et al. 2011, Grinberg et al. 2013).
POSTS_WEEKDAY = (1.6, 0.8, 0.4, 0.2, 0.15, 0.25, 0.8, 2.0, 3.0, 3.1, 3.2, 3.6,
                 4.6, 4.3, 3.6, 3.6, 3.9, 4.4, 5.0, 5.6, 6.0, 5.8, 4.6, 2.9)  # fmt: skip
POSTS_WEEKEND = (2.4, 1.6, 0.9, 0.5, 0.25, 0.2, 0.3, 0.7, 1.5, 2.6, 3.5, 4.2,
                 4.8, 4.9, 4.8, 4.7, 4.7, 4.8, 5.1, 5.4, 5.5, 5.2, 4.3, 3.2)  # fmt: skip
LUNCH_HOURS = (11.5, 14.0)  # local hours of lunch-only posters
EVENING_HOURS = (18.5, 24.0)  # local hours of evening-only posters
STAY = 0.6  # chance of staying where one was at the next hour (outside work)
ZIPF_EXPONENT = 1.2

# Town centres on both hemispheres, at 69 N, on the equator and across the antimeridian.
# Homes and workplaces are random points around them: all fictional.
TOWNS: tuple[tuple[str, LatLon], ...] = (
    ("Tromso (NO)", LatLon(69.6496, 18.9560)),
    ("Vanua Levu east (FJ, across the antimeridian)", LatLon(-16.45, 179.985)),
    ("Brisbane (AU, no DST)", LatLon(-27.4698, 153.0251)),
    ("Denver (US, MST/MDT)", LatLon(39.7392, -104.9903)),
    ("Santiago (CL, southern DST)", LatLon(-33.4489, -70.6693)),
    ("Sapporo (JP)", LatLon(43.0618, 141.3545)),
    ("Nairobi (KE, equator)", LatLon(-1.2921, 36.8219)),
)
WORKPLACE_KINDS = ("hospital", "plant", "office park", "garrison")
FIRST = ("ana", "ben", "chloe", "dev", "eli", "fay", "gus", "hana", "ivo", "jun", "kai", "lea",
         "milo", "nia", "omar", "pia", "raf", "sol", "tess", "uma", "vic", "wen", "yara", "zed")  # fmt: skip
PHONES = (("Apple", "iPhone 14"), ("samsung", "SM-A546B"), ("Google", "Pixel 8"),
          ("motorola", "moto g84 5G"), ("HUAWEI", "MAR-LX1A"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class TimeUseConfig:
    """What to generate. Shares are of everybody unless said otherwise."""

    people: int = 80
    seed: int = 1
    start: date = date(2025, 1, 1)
    days: int = 365
    towns: int = 4  # how many of TOWNS to use
    employed_share: float = 0.65
    shift_share: float = 0.16  # of the employed
    home_worker_share: float = 0.10  # of the employed
    hybrid_share: float = 0.20  # of the employed
    on_site_share: float = 0.04  # of the employed
    # Of the not employed: their home lies on a workplace site or next to it (family in
    # quarters, neighbours of a base or a hospital); they do not work there (truth: nobase).
    site_resident_share: float = 0.0
    # People (employed or not) who meet at one of a few shared evening venues of their town
    # on some evenings (see the module docstring); a venue is never a base.
    evening_venue_share: float = 0.0
    venues_per_town: int = 3
    business_traveller_share: float = 0.06  # of day workers
    mover_share: float = 0.10
    second_home_share: float = 0.08
    silent_share: float = 0.10
    lunch_poster_share: float = 0.05
    evening_poster_share: float = 0.05
    posts_per_day: float = 0.8  # median across people
    located_scale: float = 1.0  # multiplies every person's share of located posts
    media_formats: tuple[str, ...] = ("jpeg",)


@dataclass
class _Site:
    kind: str
    centre: LatLon
    radius_m: float
    buildings: list[LatLon]


@dataclass
class TimeUsePerson:
    """One person of the family: what they are, where they live and work, what they posted."""

    handle: str
    town: str
    persona: str
    homes: list[tuple[LatLon, date, date]]
    site: _Site | None
    work_mode: str  # none, day, evening, night, rotating, home, hybrid
    second_home: LatLon | None
    device: tuple[str, str, str | None]
    media_format: str
    silent: bool = False
    business: bool = False
    posting: str = "curve"  # curve, lunch, evening
    resident_of: _Site | None = None  # the site a not-employed person lives on or next to
    venue: LatLon | None = None  # the shared evening venue the person meets at
    items: list[GeneratedPost] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)


# ------------------------------------------------------------------------- planning


def _around(rng: random.Random, centre: LatLon, low_m: float, high_m: float) -> LatLon:
    # Uniform over the annulus area, not over the radius.
    r = math.sqrt(rng.uniform(low_m**2, high_m**2))
    return destination(centre, rng.uniform(0.0, 360.0), r)


def _deal(rng: random.Random, pool: list[int], share: float, total: int) -> set[int]:
    """`share` x `total` people drawn from `pool` (without replacement)."""
    count = min(len(pool), round(share * total))
    return set(rng.sample(pool, count))


def _venues(config: TimeUseConfig, towns: list[tuple[str, LatLon]]) -> dict[str, list[LatLon]]:
    """The shared evening venues of each town (none without `evening_venue_share`)."""
    if config.evening_venue_share <= 0:
        return {}
    vrng = random.Random(f"timeuse-venues-{config.seed}")
    return {
        name: [_around(vrng, centre, 200, 8_000) for _ in range(max(1, config.venues_per_town))]
        for name, centre in towns
    }


def _plan(config: TimeUseConfig) -> list[TimeUsePerson]:
    rng = random.Random(f"timeuse-plan-{config.seed}")
    towns = list(TOWNS)
    rng.shuffle(towns)
    towns = towns[: max(1, min(config.towns, len(towns)))]
    sites: dict[str, list[_Site]] = {}
    for name, centre in towns:
        sites[name] = []
        for kind in WORKPLACE_KINDS:
            site_centre = _around(rng, centre, 2_000, 15_000)
            radius = rng.uniform(120, 500) if kind != "garrison" else rng.uniform(400, 900)
            buildings = [_around(rng, site_centre, 0, radius * 0.8) for _ in range(4)]
            sites[name].append(_Site(kind, site_centre, radius, buildings))

    venues = _venues(config, towns)
    n = config.people
    everyone = list(range(n))
    silent = _deal(rng, everyone, config.silent_share, n)
    employed = _deal(rng, everyone, config.employed_share, n)
    workers = sorted(employed)
    shift = _deal(rng, workers, config.shift_share, len(workers))
    rest = [i for i in workers if i not in shift]
    home_work = _deal(rng, rest, config.home_worker_share, len(workers))
    rest = [i for i in rest if i not in home_work]
    hybrid = _deal(rng, rest, config.hybrid_share, len(workers))
    on_site_pool = [i for i in workers if i not in home_work]
    on_site = _deal(rng, on_site_pool, config.on_site_share, len(workers))
    day_workers = [i for i in rest if i not in hybrid]
    business = _deal(rng, day_workers, config.business_traveller_share, len(day_workers))
    movers = _deal(rng, [i for i in everyone if i not in on_site], config.mover_share, n)
    cabins = _deal(rng, everyone, config.second_home_share, n)
    speaking = [i for i in everyone if i not in silent]
    lunch_posters = _deal(rng, speaking, config.lunch_poster_share, n)
    evening_posters = _deal(
        rng, [i for i in speaking if i not in lunch_posters], config.evening_poster_share, n
    )

    start, end = config.start, config.start + timedelta(days=config.days - 1)
    people: list[TimeUsePerson] = []
    used: set[str] = set()
    shuffled_shift = sorted(shift)
    rng.shuffle(shuffled_shift)
    shift_modes = {i: ("night", "rotating", "evening", "rotating", "night")[k % 5]
                   for k, i in enumerate(shuffled_shift)}  # fmt: skip
    for i in range(n):
        prng = random.Random(f"timeuse-person-{config.seed}-{i}")
        town_name, centre = towns[i % len(towns)]
        mode = "none"
        if i in employed:
            mode = "day"
            if i in shift:
                mode = shift_modes[i]
            elif i in home_work:
                mode = "home"
            elif i in hybrid:
                mode = "hybrid"
        site = None
        if mode not in ("none", "home"):
            # Shift work happens where work runs round the clock.
            kinds: tuple[str, ...] = (
                ("hospital", "plant", "garrison")
                if mode in ("evening", "night", "rotating")
                else WORKPLACE_KINDS
            )
            if i in on_site:
                kinds = ("garrison", "hospital")
            site = prng.choice([s for s in sites[town_name] if s.kind in kinds])
        if site is not None and i in on_site:
            home = _around(prng, site.centre, 0, site.radius_m * 0.6)
        else:
            home = _around(prng, centre, 300, 12_000)
        resident = None
        if mode == "none" and config.site_resident_share > 0:
            # A stream of its own, so corpora without such people stay as they were.
            rrng = random.Random(f"timeuse-resident-{config.seed}-{i}")
            if rrng.random() < config.site_resident_share:
                resident = rrng.choice(sites[town_name])
                home = _around(rrng, resident.centre, 0, resident.radius_m * 1.5)
        venue = None
        if config.evening_venue_share > 0:
            # A stream of its own, so corpora without venue-goers stay as they were.
            vrng = random.Random(f"timeuse-venue-{config.seed}-{i}")
            if vrng.random() < config.evening_venue_share:
                venue = vrng.choice(venues[town_name])
        homes = [(home, start, end)]
        if i in movers:
            moved = start + timedelta(days=prng.randint(60, max(61, config.days - 60)))
            new_home = _around(prng, home, 2_000, 30_000)
            homes = [(home, start, moved - timedelta(days=1)), (new_home, moved, end)]
        second = _around(prng, home, 40_000, 200_000) if i in cabins else None
        tags = [{"none": "not-employed", "day": "day-worker", "evening": "evening-shift",
                 "night": "night-shift", "rotating": "rotating-12h-shift", "home": "home-worker",
                 "hybrid": "hybrid-worker"}[mode]]  # fmt: skip
        if i in on_site:
            tags.append("lives-on-site")
        if resident is not None:
            tags.append("site-resident")
        if venue is not None:
            tags.append("evening-venue")
        if i in business:
            tags.append("business-traveller")
        if i in movers:
            tags.append("mover")
        if second is not None:
            tags.append("second-home")
        posting = "curve"
        if i in lunch_posters:
            tags.append("lunch-poster")
            posting = "lunch"
        elif i in evening_posters:
            tags.append("evening-poster")
            posting = "evening"
        if i in silent:
            tags = ["silent", *tags]
        while True:
            handle = f"{prng.choice(FIRST)}.{prng.choice(FIRST)}{prng.randint(10, 999)}"
            if handle not in used:
                used.add(handle)
                break
        make, model = prng.choice(PHONES)
        people.append(
            TimeUsePerson(
                handle=handle,
                town=town_name,
                persona="+".join(tags),
                homes=homes,
                site=site,
                work_mode=mode,
                second_home=second,
                device=(make, model, None),
                media_format=config.media_formats[i % len(config.media_formats)],
                silent=i in silent,
                business=i in business,
                posting=posting,
                resident_of=resident,
                venue=venue,
            )
        )
    return people


# ------------------------------------------------------------------------- simulation


@dataclass(frozen=True, slots=True)
class _Slot:
    """Where a person is during one local hour."""

    position: LatLon
    kind: str  # home, work, away, trip, cabin, venue
    indoor: bool


def _zipf_weights(count: int) -> list[float]:
    return [(k + 1) ** -ZIPF_EXPONENT for k in range(count)]


def _rayleigh(rng: random.Random, sigma_m: float) -> float:
    return sigma_m * math.sqrt(-2.0 * math.log(1.0 - rng.random()))


class _Week:
    """The hour-by-hour life of one person over the whole period (local wall-clock hours)."""

    def __init__(self, person: TimeUsePerson, config: TimeUseConfig, rng: random.Random) -> None:
        self.person, self.config, self.rng = person, config, rng
        self.start, self.days = config.start, config.days
        home = person.homes[0][0]
        count = rng.randint(8, 20)
        anchors = [home] if person.site is None else [home, person.site.centre]
        self.places = [
            _around(rng, anchors[0], 300, 8_000)
            if len(anchors) == 1 or rng.random() < 0.7
            else _around(rng, anchors[1], 200, 3_000)
            for _ in range(count)
        ]
        self.place_weights = _zipf_weights(count)
        self.lunch_spot = _around(rng, person.site.centre, 150, 900) if person.site else None
        self.lunch_out = rng.random() < 0.25
        self.building = rng.randrange(len(person.site.buildings)) if person.site is not None else 0
        self.slots: list[_Slot | None] = [None] * (config.days * 24)
        self.dates = [config.start + timedelta(days=d) for d in range(config.days)]
        self._holidays()
        self._business()
        self._cabin_weekends()
        self._work()
        self._evenings()
        self._rest()

    # -- helpers
    def day(self, index: int) -> date:
        return self.dates[index]

    def home_on(self, day: date) -> LatLon:
        for position, _first, last in self.person.homes:
            if day <= last:
                return position
        return self.person.homes[-1][0]

    def _set(self, hour_index: int, slot: _Slot, overwrite: bool = False) -> None:
        if 0 <= hour_index < len(self.slots) and (overwrite or self.slots[hour_index] is None):
            self.slots[hour_index] = slot

    def _work_spot(self) -> LatLon:
        site = self.person.site
        assert site is not None
        if self.rng.random() < 0.2:
            return self.rng.choice(site.buildings)
        return site.buildings[self.building]

    # -- schedule layers, strongest first
    def _holidays(self) -> None:
        rng = self.rng
        trips = max(0, round(rng.randint(1, 3) * self.days / 365))
        self.holiday_days: set[int] = set()
        for _ in range(trips):
            length = rng.randint(5, 15)
            if self.days <= length + 2:
                break
            first = rng.randrange(0, self.days - length)
            hotel = _around(rng, self.person.homes[0][0], 200_000, 3_000_000)
            for d in range(first, first + length):
                self.holiday_days.add(d)
                sight = hotel
                for h in range(24):
                    if h >= 21 or h < 8 or rng.random() < 0.3:
                        self._set(d * 24 + h, _Slot(hotel, "trip", True))
                    else:
                        if h % 3 == 0 or sight == hotel:
                            sight = _around(rng, hotel, 200, 5_000)
                        self._set(d * 24 + h, _Slot(sight, "trip", False))

    def _business(self) -> None:
        rng = self.rng
        if not self.person.business:
            return
        cities = []
        for _ in range(3):
            hotel = _around(rng, self.person.homes[0][0], 150_000, 1_200_000)
            cities.append((hotel, _around(rng, hotel, 300, 3_000)))
        for d in range(self.days):
            day = self.day(d)
            if day.weekday() != 1 or rng.random() > 0.35:
                continue
            if any(k in self.holiday_days for k in range(d, d + 3)):
                continue
            hotel, office = rng.choice(cities)
            # Tuesday 07:00 to Thursday 19:00: client's office by day, hotel at night.
            for k in range(d * 24 + 7, (d + 2) * 24 + 19):
                h = k % 24
                slot = (
                    _Slot(office, "work-away", True) if 9 <= h < 18 else _Slot(hotel, "trip", True)
                )
                self._set(k, slot)

    def _cabin_weekends(self) -> None:
        rng = self.rng
        cabin = self.person.second_home
        if cabin is None:
            return
        share = rng.uniform(0.3, 0.6)
        for d in range(self.days):
            if self.day(d).weekday() != 4 or rng.random() > share:
                continue
            for k in range(d * 24 + 17, (d + 2) * 24 + 17):  # Friday 17:00 to Sunday 17:00
                spot = cabin if rng.random() < 0.8 else _around(rng, cabin, 300, 5_000)
                self._set(k, _Slot(spot, "cabin", spot == cabin))

    def _work(self) -> None:
        rng, mode = self.rng, self.person.work_mode
        if mode == "none":
            return
        phase = rng.randrange(8)
        home_days: dict[tuple[int, int], set[int]] = {}  # ISO week -> weekdays at home
        for d in range(self.days):
            if d in self.holiday_days:
                continue
            day = self.day(d)
            weekend = day.weekday() >= 5
            if mode == "rotating":
                step = (d + phase) % 8
                if step >= 4:
                    continue
                night_cycle = ((d + phase) // 8) % 2 == 1
                begin, length = (19.0, 12.0) if night_cycle else (7.0, 12.0)
            else:
                works = rng.random() < ({"day": 0.12, "hybrid": 0.1, "home": 0.15}.get(mode, 0.4)
                                        if weekend else 0.9)  # fmt: skip
                if not works:
                    continue
                if mode == "evening":
                    begin, length = rng.gauss(15.5, 0.6), 8.0
                elif mode == "night":
                    begin, length = rng.gauss(22.0, 0.8), max(7.0, rng.gauss(9.0, 1.0))
                else:
                    begin = min(11.0, max(5.5, rng.gauss(8.0, 0.9)))
                    length = max(4.0, rng.gauss(8.6, 0.7))
            at_home = mode == "home"
            if mode == "hybrid" and not weekend:
                iso = day.isocalendar()
                week = (iso[0], iso[1])
                if week not in home_days:
                    home_days[week] = set(rng.sample(range(5), 2))
                at_home = day.weekday() in home_days[week]
            first, last = d * 24 + int(begin), d * 24 + int(begin + length)
            for k in range(first, last + 1):
                if at_home:
                    self._set(k, _Slot(self.home_on(self.day(k // 24)), "work-home", True))
                elif (
                    self.lunch_out
                    and self.lunch_spot is not None
                    and k % 24 == 12
                    and mode in ("day", "hybrid")
                ):
                    self._set(k, _Slot(self.lunch_spot, "away", True))
                else:
                    self._set(k, _Slot(self._work_spot(), "work", True))

    def _evenings(self) -> None:
        """Evenings at the person's shared venue (a stream of its own: the rest of the life
        draws as without it, apart from the hours the venue fills)."""
        venue = self.person.venue
        if venue is None:
            return
        vrng = random.Random(f"timeuse-venue-life-{self.config.seed}-{self.person.handle}")
        share = vrng.uniform(0.04, 0.15)
        for d in range(self.days):
            if d in self.holiday_days:
                continue
            weekday = self.day(d).weekday()
            if vrng.random() >= share * (3.0 if weekday in (4, 5) else 1.0) / 1.6:
                continue
            begin = vrng.randint(19, 21)
            end = vrng.randint(22, 23) if vrng.random() >= 0.3 else vrng.randint(24, 26)
            for k in range(d * 24 + begin, d * 24 + end + 1):
                self._set(k, _Slot(venue, "venue", True))

    def _rest(self) -> None:
        """Every hour not yet filled: home or one of the person's places, by the hour's odds."""
        rng = self.rng
        previous: _Slot | None = None
        cumulative = list(itertools.accumulate(self.place_weights))
        for d, day in enumerate(self.dates):
            at_home = _Slot(self.home_on(day), "home", True)
            table = AWAY_WEEKEND if day.weekday() >= 5 else AWAY_WEEKDAY
            for h in range(24):
                k = d * 24 + h
                filled = self.slots[k]
                if filled is not None:
                    previous = filled
                    continue
                if (
                    previous is not None
                    and previous.kind in ("home", "away")
                    and rng.random() < STAY
                ):
                    slot = at_home if previous.kind == "home" else previous
                elif rng.random() < table[h]:
                    spot = rng.choices(self.places, cum_weights=cumulative)[0]
                    slot = _Slot(spot, "away", rng.random() < 0.6)
                else:
                    slot = at_home
                self.slots[k] = slot
                previous = slot

    def at(self, hour_index: int) -> _Slot:
        slot = self.slots[max(0, min(hour_index, len(self.slots) - 1))]
        assert slot is not None
        return slot


def _posting_offset(person: TimeUsePerson, week: _Week, day_index: int) -> float:
    """Hours the posting curve is shifted on a day (sleep shifted by night work)."""
    mode = person.work_mode
    if mode == "night":
        return 9.0
    if mode == "evening":
        return 3.0
    if mode == "rotating":
        slot = week.slots[day_index * 24 + 23]
        return 9.0 if slot is not None and slot.kind == "work" else 0.0
    return 0.0


def _posts(person: TimeUsePerson, config: TimeUseConfig) -> list[GeneratedPost]:
    rng = random.Random(f"timeuse-life-{config.seed}-{person.handle}")
    week = _Week(person, config, rng)
    rate = config.posts_per_day * math.exp(rng.gauss(0.0, 0.8))
    chronotype = rng.gauss(0.0, 1.0)
    group = rng.random()
    if person.silent:
        located = 0.0
    elif group < 0.25:
        located = rng.uniform(0.15, 0.5)
    elif group < 0.75:
        located = rng.uniform(0.03, 0.12)
    else:
        located = rng.uniform(0.005, 0.03)
    located = min(0.9, located * config.located_scale)
    items: list[GeneratedPost] = []
    counter = 0
    for d in range(config.days):
        day = week.day(d)
        weekend = day.weekday() >= 5
        trip = d in week.holiday_days
        n_posts = _poisson(rng, rate * (1.2 if weekend else 1.0) * (1.5 if trip else 1.0))
        curve = POSTS_WEEKEND if weekend or trip else POSTS_WEEKDAY
        offset = _posting_offset(person, week, d) + chronotype
        if person.posting != "curve":
            offset -= chronotype  # on the clock: meals and after work
        for _ in range(n_posts):
            if person.posting == "lunch":
                hour = rng.uniform(*LUNCH_HOURS) + offset
            elif person.posting == "evening":
                hour = rng.uniform(*EVENING_HOURS) + offset
            else:
                hour = rng.choices(range(24), weights=curve)[0] + rng.random() + offset
            index = d * 24 + math.floor(hour)
            if not 0 <= index < config.days * 24:
                continue
            # On-the-clock posters keep the drawn minute; the others a random one in the hour.
            second = (
                rng.randint(0, 3599)
                if person.posting == "curve"
                else min(3599, int((hour - math.floor(hour)) * 3600))
            )
            local = datetime.combine(week.day(0), datetime.min.time()) + timedelta(
                hours=index, seconds=second
            )
            slot = week.at(index)
            counter += 1
            items.append(_post(rng, person, f"{person.handle}-{counter:05d}", local, slot, located))
    return items


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small rates here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _fix(rng: random.Random, slot: _Slot) -> tuple[LatLon, float | None, bool]:
    """A measured position for a slot: (position, recorded accuracy or None, precise?)."""
    roll = rng.random()
    if roll < 0.75:
        sigma = 12.0 if slot.indoor else 6.0
        accuracy: float | None = round(sigma * rng.uniform(0.8, 2.0), 1)
        error = _rayleigh(rng, sigma)
    elif roll < 0.97:
        accuracy = round(rng.uniform(20, 60), 0)
        error = _rayleigh(rng, 30.0)
    else:
        error = rng.uniform(500, 2_000)
        accuracy = round(error * rng.uniform(0.8, 1.5), 0)
    position = destination(slot.position, rng.uniform(0, 360), error)
    return position, accuracy, error < 500


def _utc(local: datetime, position: LatLon) -> tuple[datetime, str | None]:
    name = timezone_at(position)
    tz = zone(name) if name else None
    if tz is None:
        return local.replace(tzinfo=timezone.utc), None
    return local.replace(tzinfo=tz).astimezone(timezone.utc), name


TEXTS = ("Good morning", "Long day", "Finally weekend", "Coffee first", "Look at this",
         "So tired", "Best dinner", "Rain again", "Guess where I am", "Happy Friday",
         "Back at it", "Can't sleep", "Sunday vibes", "New shoes", "Traffic is awful")  # fmt: skip


def _post(
    rng: random.Random,
    person: TimeUsePerson,
    post_id: str,
    local: datetime,
    slot: _Slot,
    located: float,
) -> GeneratedPost:
    taken_utc, tz_name = _utc(local, slot.position)
    post: dict[str, Any] = {"id": post_id, "author": person.handle}
    photo: dict[str, Any] | None = None
    created = taken_utc
    is_located = rng.random() < located
    as_photo = rng.random() < 0.65
    if (is_located and as_photo) or (not is_located and rng.random() < 0.2):
        offset = None
        if rng.random() < 0.7 and tz_name:
            offset = offset_text(zone(tz_name) or timezone.utc, local)
        photo = {"position": None, "local": local, "offset": offset, "accuracy_m": None,
                 "reshare": False, "device": person.device, "precise": False}  # fmt: skip
        if is_located:
            position, accuracy, precise = _fix(rng, slot)
            photo.update(position=position, accuracy_m=accuracy, precise=precise)
        if rng.random() < 0.1:
            created = taken_utc + timedelta(hours=rng.uniform(1, 72))
    elif is_located:
        position, _accuracy, precise = _fix(rng, slot)  # platforms do not say how good
        post["lat"], post["lon"] = round(position.lat, 6), round(position.lon, 6)
        post["_precise"] = precise
    post["created_at"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    post["text"] = rng.choice(TEXTS)
    return GeneratedPost(post, photo)


# ------------------------------------------------------------------------- truth


def _located_days(items: list[GeneratedPost]) -> list[tuple[LatLon, date]]:
    """(position, local day) of each precise located post (photo or geotag)."""
    out = []
    for item in items:
        if item.photo is not None and item.photo.get("precise"):
            out.append((item.photo["position"], item.photo["local"].date()))
        elif item.post.get("_precise"):
            created = datetime.fromisoformat(item.post["created_at"].replace("Z", "+00:00"))
            position = LatLon(item.post["lat"], item.post["lon"])
            name = timezone_at(position)
            tz = zone(name) if name else None
            out.append((position, (created.astimezone(tz) if tz else created).date()))
    return out


def _truth(person: TimeUsePerson, items: list[GeneratedPost]) -> list[dict[str, Any]]:
    common = {"person": person.handle, "unit": person.town, "persona": person.persona}
    empty = {"lat": "", "lon": "", "detectable": 1, "valid_from": "", "valid_to": ""}
    if person.silent:
        return [{**common, "kind": "none", **empty}]
    seen = _located_days(items)
    rows = []
    for position, first, last in person.homes:
        days = {d for p, d in seen if first <= d <= last and haversine_m(p, position) <= 150}
        rows.append({**common, "kind": "home", "lat": f"{position.lat:.6f}", "lon": f"{position.lon:.6f}",
                     "detectable": int(len(days) >= 3), "valid_from": first.isoformat(),
                     "valid_to": last.isoformat()})  # fmt: skip
    site = person.site
    if site is None:
        rows.append({**common, "kind": "nobase", **empty})
    else:
        days = {d for p, d in seen if haversine_m(p, site.centre) <= site.radius_m + 150}
        rows.append({**common, "kind": "base", "lat": f"{site.centre.lat:.6f}",
                     "lon": f"{site.centre.lon:.6f}", "detectable": int(len(days) >= 3),
                     "valid_from": "", "valid_to": ""})  # fmt: skip
    if person.second_home is not None:
        cabin = person.second_home
        rows.append({**common, "kind": "second_home", "lat": f"{cabin.lat:.6f}",
                     "lon": f"{cabin.lon:.6f}", "detectable": 1, "valid_from": "", "valid_to": ""})  # fmt: skip
    return rows


# ------------------------------------------------------------------------- output


def iter_timeuse(config: TimeUseConfig) -> Iterator[TimeUsePerson]:
    """Every person with their posts and truth rows, in a stable order."""
    for person in _plan(config):
        person.items = _posts(person, config)
        person.truth = _truth(person, person.items)
        strip_hidden(person)
        yield person


def strip_hidden(person: TimeUsePerson) -> None:
    """Drop the generator's own marks (which fixes were precise: the truth's `detectable`)
    from a person's posts once their truth rows are made."""
    for item in person.items:
        item.post.pop("_precise", None)
        if item.photo is not None:
            item.photo.pop("precise", None)


_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic"}


def media_path(person: TimeUsePerson, post_id: str) -> str:
    return f"media/{person.handle}/{post_id}.{_EXT[person.media_format]}"


def generate_timeuse(
    config: TimeUseConfig, out_dir: str | Path, *, progress: Callable[[int], None] | None = None
) -> ScenarioSummary:
    """Write posts.jsonl, media/, truth.csv, scenario.json and README.md into `out_dir`."""
    return write_family(iter_timeuse(config), out_dir, config, "geoleak.scenario.timeuse",
                        _README, progress=progress)  # fmt: skip


def write_family(
    people: Iterable[TimeUsePerson],
    out_dir: str | Path,
    config: Any,
    generator: str,
    readme: str,
    *,
    progress: Callable[[int], None] | None = None,
) -> ScenarioSummary:
    """Write a family's people into `out_dir`: posts.jsonl, media/, truth.csv, scenario.json
    (`generator`, the `config` dataclass, the workplace sites) and README.md (`readme`,
    formatted with people, posts, photos, gps and seed)."""
    out = Path(out_dir)
    (out / "media").mkdir(parents=True, exist_ok=True)
    n_posts = n_photos = n_gps = 0
    truth_rows: list[dict[str, Any]] = []
    sites: dict[tuple[str, str], dict[str, Any]] = {}
    personas: Counter[str] = Counter()
    with (out / "posts.jsonl").open("w", encoding="utf-8", newline="\n") as corpus:
        for person in people:
            personas.update(person.persona.split("+"))
            if person.site is not None:
                entry = sites.setdefault((person.town, person.site.kind), {
                    "unit": f"{person.site.kind}", "region": person.town,
                    "base_lat": round(person.site.centre.lat, 6),
                    "base_lon": round(person.site.centre.lon, 6), "members": []})  # fmt: skip
                entry["members"].append(person.handle)
            posts, photos, gps = write_posts(
                out, corpus, person.items, None, person.media_format, partial(media_path, person)
            )
            n_posts, n_photos, n_gps = n_posts + posts, n_photos + photos, n_gps + gps
            truth_rows.extend(person.truth)
            if progress is not None:
                progress(1)
    write_truth(out, truth_rows)
    config_doc = {k: (str(v) if isinstance(v, date) else v) for k, v in asdict(config).items()}
    site_list = sorted(sites.values(), key=lambda s: (s["region"], s["unit"]))
    (out / "scenario.json").write_text(
        json.dumps({"generator": generator, "config": config_doc,
                    "units": site_list}, indent=1) + "\n", encoding="utf-8")  # fmt: skip
    (out / "README.md").write_text(readme.format(people=config.people, posts=n_posts,
                                                 photos=n_photos, gps=n_gps, seed=config.seed),
                                   encoding="utf-8")  # fmt: skip
    return ScenarioSummary(out, config.people, n_posts, n_photos, n_gps, len(truth_rows), site_list,
                           dict(sorted(personas.items())))  # fmt: skip


_README = """# A fictional geoleak scenario (time-use family)

Everything here is invented. Written by `geoleak scenario --model timeuse` (seed {seed}):
people whose week follows published time-use statistics (see geoleak/scenario/timeuse.py
for the model and its sources). The same options rebuild it byte for byte.

- `posts.jsonl`: {posts} posts of {people} people (geoleak corpus format)
- `media/`: {photos} small photos, {gps} of them with EXIF GPS
- `truth.csv`: homes (two with dates for movers), the workplace site or `nobase`, a
  `second_home` for cabins, `none` for people who never post a location, and each
  person's persona
"""
