"""A third scenario family: trips and stays from published mobility models.

`geoleak scenario --model mobility` builds corpora from a behaviour model that shares no
behaviour code with the other two families (`geoleak.scenario.generator`, the units, and
`geoleak.scenario.timeuse`, hour-by-hour presence): it keeps only their people record,
truth rows and file writers. Where the time-use family fills each hour from "where people
are" tables and posts at the same rate wherever a person is, this one moves people by trips
and stays, and has them post where people actually post. It is there so that inference
tuned on either of the other families can be measured on behaviour it has never seen; a
rule that only makes one family pass shows here.

The model, with its sources (values read approximately from the published tables and
figures; the shapes matter more than the second decimal):

- **Population.** 55 % commute to a workplace, 8 % are students with a campus (their
  `base` in the truth), the rest have no workplace (truth `nobase`). Of the commuters:
  18 % work part time on three fixed weekdays (BLS CPS 2023: about 17 % of employed persons
  usually work part time), 6 % work early shifts from about 05:30, 6 % fixed night shifts
  from about 22:30 with two fixed days off, 5 % the 12-hour "Panama" 2-2-3 rota, switching
  between day and night every four weeks (the common 24/7 rota of police, nursing and plant
  staff), 3 % live on site. A quarter of day commuters work from home two fixed weekdays a
  week (ATUS 2022, BLS USDL-23-1364). 10 % move house during the year (US CPS ASEC), 6 %
  have a second home used on weekends, 8 % spend one to three nights a week at a partner's
  home (living-apart-together couples are 7-10 % of adults in Western Europe and North
  America: Haskey & Lewis 2006, Population Trends 122; Strohm et al. 2009, Demographic
  Research 21:177). 10 % never post a location.
- **Trips and stays.** Work, class, partner nights, weekends away and holidays are
  scheduled first. In the free time left, home-based trips start as a Poisson process whose
  rate follows the hour of the day (the 2017 US National Household Travel Survey's start
  times of non-work trips, `TRIP_START_WEEKDAY`, `TRIP_START_WEEKEND`) times a personal
  travel propensity (log-normal, about one tour a day; TimeGeo: Jiang et al. 2016, PNAS
  113(37):E5370, the parameter n_w). A stay lasts a log-normal time (median 50 minutes,
  NHTS dwell times of shopping, meals and social visits), and with probability 0.3 the tour
  goes on to another place before home (TimeGeo's beta). Where to go follows the
  exploration and preferential return model (Song, Koren, Wang & Barabasi 2010, Nature
  Physics 6:818): a new place with probability rho * S^-gamma (rho 0.6, gamma 0.21, S the
  places visited so far), at a distance from home drawn from the truncated power law of
  jump lengths (r0 1.5 km, beta 1.75: Gonzalez, Hidalgo & Barabasi 2008, Nature 453:779),
  else a place already visited, chosen in proportion to its visits.
- **Where people post.** Posts are not spread evenly over a person's week: geotagged posts
  come disproportionately from leisure places, restaurants and travel, and rarely from home
  and work (Cheng, Caverlee, Lee & Sui 2011, ICWSM: check-ins concentrate at food and
  leisure venues; Hecht & Stephens 2014, ICWSM, "A tale of cities": volunteered geographic
  information over-represents leisure and urban places). A post's time is drawn from a
  daily curve (geotagged tweets and Flickr photos by local hour in the US: Li, Goodchild &
  Xu 2013, Cartography and Geographic Information Science 40(2):61), shifted per person by
  a chronotype (sd 1.2 h; Roenneberg et al. 2007), and kept with a weight for the kind of
  place the person is at then (`POST_WEIGHT`). People post in spells: a day is active or
  not by a two-state Markov chain (about a quarter of days silent, in runs of about five).
- **What a post gives away.** 30 % of people locate many posts (30-70 %), 40 % some (2-10 %),
  30 % few (0.3-2 %; Sloan & Morgan 2015, PLoS ONE 10(11):e0142209). A located post is a
  photo with EXIF GPS or a platform geotag. Fix error is log-normal: median 5 m outdoors,
  15 m for GPS indoors, 35 m for Wi-Fi fixes (35 % of indoor fixes), and 5 % of indoor
  fixes are cell positions 300-3000 m off (Zandbergen 2009, Transactions in GIS 13(s1):5);
  20 % of photos record no positioning error. Platform geotags at venues (meals, leisure,
  holidays) give the venue's point; at home, at work or at a partner's, half of them are a
  named place (the town, with its bounding box) rather than a point, as place-tagged tweets
  are. 15 % of photos are posted hours to days after they were taken.
- **Truth.** As in the time-use family: home rows (two, with valid_from / valid_to, for
  movers), the workplace or campus site (or `nobase`), the second home, `none` for people
  who never post a location; `detectable` = 0 where the person's precise located posts put
  them there on fewer than 3 distinct days.

Same formats as the other families (formats.md sections 1 and 2); the same configuration
always gives the same bytes. Partners' homes, second homes, hotels and leisure places are
never a home or a base in the truth.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from geoleak.extract.localtime import offset_text, zone
from geoleak.geometry import destination
from geoleak.scenario.generator import GeneratedPost, ScenarioSummary
from geoleak.scenario.timeuse import (
    FIRST,
    PHONES,
    TimeUsePerson,
    _around,
    _deal,
    _Site,
    _truth,
    _utc,
    strip_hidden,
    write_family,
)
from geoleak.types import LatLon

__all__ = ["MobilityConfig", "generate_mobility", "iter_mobility"]

# Start times of non-work trips by local hour (relative; NHTS 2017, trips by start time).
TRIP_START_WEEKDAY = (0.2, 0.1, 0.05, 0.05, 0.1, 0.3, 0.9, 2.2, 3.0, 4.2, 5.2, 5.8,
                      6.6, 6.2, 6.0, 6.6, 7.2, 7.6, 7.0, 5.6, 4.0, 2.6, 1.3, 0.6)  # fmt: skip
TRIP_START_WEEKEND = (0.4, 0.2, 0.1, 0.05, 0.05, 0.1, 0.3, 0.9, 2.2, 4.2, 6.2, 7.0,
                      7.2, 6.8, 6.4, 6.2, 6.0, 5.8, 5.4, 4.6, 3.6, 2.6, 1.6, 0.9)  # fmt: skip
# Posts by local hour (relative; geotagged tweets and Flickr photos, Li, Goodchild & Xu 2013).
POST_HOURS = (2.2, 1.3, 0.7, 0.4, 0.3, 0.4, 0.9, 1.8, 2.6, 3.0, 3.4, 3.8,
              4.2, 4.2, 4.1, 4.1, 4.3, 4.6, 4.9, 5.2, 5.5, 5.6, 4.8, 3.4)  # fmt: skip
# How much more likely a post is at each kind of stay than at home (Cheng et al. 2011,
# Hecht & Stephens 2014: leisure, meals and travel over-represented, home and work under).
POST_WEIGHT = {"home": 1.0, "work": 0.5, "campus": 0.8, "leisure": 2.2, "lunch": 2.0,
               "partner": 1.0, "cabin": 2.0, "holiday": 3.5, "hotel": 1.5,
               "asleep": 0.05}  # fmt: skip
SLEEP_AFTER_NIGHT_WORK = 7.0  # hours (shift workers' main sleep follows the shift)
RHO, GAMMA = 0.6, 0.21  # exploration (Song et al. 2010)
JUMP_R0_M, JUMP_BETA, JUMP_MAX_M = 1_500.0, 1.75, 60_000.0  # jump lengths (Gonzalez 2008)
CHAIN = 0.3  # chance a tour goes on to another place before home
ACTIVE_STAY, QUIET_STAY = 0.93, 0.8  # posting days: chance of keeping the state next day
PANAMA = (1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0)  # 2-2-3: days on in a 14-day cycle

# Towns not used by the other families: far north, far south, across the antimeridian
# and on the prime meridian. Homes and workplaces are random points around them.
TOWNS: tuple[tuple[str, LatLon], ...] = (
    ("Reykjavik (IS, no DST)", LatLon(64.1466, -21.9426)),
    ("Auckland (NZ, southern DST)", LatLon(-36.8485, 174.7633)),
    ("Anchorage (US, AKST/AKDT)", LatLon(61.2181, -149.9003)),
    ("Punta Arenas (CL)", LatLon(-53.1638, -70.9171)),
    ("Anadyr (RU, UTC+12, by the antimeridian)", LatLon(64.7337, 177.5089)),
    ("Accra (GH, prime meridian)", LatLon(5.6037, -0.1870)),
)
SITE_KINDS = {"office": (60, 200), "hospital": (150, 400), "plant": (200, 600),
              "base": (500, 1_500), "campus": (300, 800)}  # fmt: skip
DAY = 24 * 60  # minutes
_HOURS = range(24)
_POST_CUM = list(itertools.accumulate(POST_HOURS))


@dataclass(frozen=True, slots=True)
class MobilityConfig:
    """What to generate. Shares are of everybody unless said otherwise."""

    people: int = 80
    seed: int = 1
    start: date = date(2025, 3, 3)
    days: int = 365
    towns: int = 3  # how many of TOWNS to use
    commuter_share: float = 0.55
    student_share: float = 0.08
    part_time_share: float = 0.18  # of commuters
    early_share: float = 0.06  # of commuters
    night_share: float = 0.06  # of commuters
    panama_share: float = 0.05  # of commuters
    on_site_share: float = 0.03  # of commuters
    home_days_share: float = 0.25  # of day commuters: two days a week at home
    mover_share: float = 0.10
    second_home_share: float = 0.06
    partner_share: float = 0.08
    silent_share: float = 0.10
    posts_per_day: float = 1.0  # median across people
    located_scale: float = 1.0  # multiplies every person's share of located posts
    place_tag_share: float = 0.5  # of platform geotags at home, work or a partner's
    media_formats: tuple[str, ...] = ("jpeg",)


@dataclass(frozen=True, slots=True)
class _Stay:
    """Where a person is from minute `begin` (of the period, local wall clock)."""

    begin: int
    position: LatLon
    kind: str  # home, work, campus, leisure, lunch, partner, cabin, holiday
    indoor: bool


@dataclass
class _Plan:
    """What the truth does not record: schedules and other people's homes."""

    person: TimeUsePerson
    mode: str  # none, day, part, early, night, panama, student
    town_centre: LatLon
    partner: LatLon | None
    home_days: tuple[int, ...]  # weekdays a day commuter works at home
    work_days: tuple[int, ...]  # weekdays of part-time and fixed-shift work


# ------------------------------------------------------------------------- planning


def _plan(config: MobilityConfig) -> list[_Plan]:
    rng = random.Random(f"mobility-plan-{config.seed}")
    towns = list(TOWNS)
    rng.shuffle(towns)
    towns = towns[: max(1, min(config.towns, len(towns)))]
    sites: dict[str, dict[str, _Site]] = {}
    for name, centre in towns:
        sites[name] = {}
        for kind, (low, high) in SITE_KINDS.items():
            site_centre = _around(rng, centre, 1_500, 12_000)
            radius = rng.uniform(low, high)
            buildings = [_around(rng, site_centre, 0, radius * 0.7) for _ in range(3)]
            sites[name][kind] = _Site(kind, site_centre, radius, buildings)

    n = config.people
    everyone = list(range(n))
    silent = _deal(rng, everyone, config.silent_share, n)
    commuters = _deal(rng, everyone, config.commuter_share, n)
    students = _deal(rng, [i for i in everyone if i not in commuters], config.student_share, n)
    pool = sorted(commuters)
    modes: dict[int, str] = {}
    for mode, share in (("part", config.part_time_share), ("early", config.early_share),
                        ("night", config.night_share), ("panama", config.panama_share)):  # fmt: skip
        chosen = _deal(rng, [i for i in pool if i not in modes], share, len(pool))
        modes.update(dict.fromkeys(chosen, mode))
    on_site = _deal(rng, pool, config.on_site_share, len(pool))
    day_commuters = [i for i in pool if i not in modes]
    home_days = _deal(rng, day_commuters, config.home_days_share, len(day_commuters))
    movers = _deal(rng, [i for i in everyone if i not in on_site], config.mover_share, n)
    cabins = _deal(rng, everyone, config.second_home_share, n)
    partners = _deal(rng, everyone, config.partner_share, n)

    start, end = config.start, config.start + timedelta(days=config.days - 1)
    plans: list[_Plan] = []
    used: set[str] = set()
    for i in range(n):
        prng = random.Random(f"mobility-person-{config.seed}-{i}")
        town_name, centre = towns[i % len(towns)]
        mode = "student" if i in students else modes.get(i, "day") if i in commuters else "none"
        site = None
        if mode == "student":
            site = sites[town_name]["campus"]
        elif mode != "none":
            kinds = ["hospital", "plant", "base"] if mode in ("night", "panama", "early") else [
                "office", "office", "hospital", "plant", "base"]  # fmt: skip
            if i in on_site:
                kinds = ["base", "hospital"]
            site = sites[town_name][prng.choice(kinds)]
        if site is not None and i in on_site:
            home = _around(prng, site.centre, 0, site.radius_m * 0.6)
        else:
            home = _around(prng, centre, 400, 14_000)
        homes = [(home, start, end)]
        if i in movers:
            moved = start + timedelta(days=prng.randint(60, max(61, config.days - 60)))
            new_home = _around(prng, home, 1_000, 25_000)
            homes = [(home, start, moved - timedelta(days=1)), (new_home, moved, end)]
        cabin = _around(prng, home, 30_000, 180_000) if i in cabins else None
        partner = _around(prng, home, 1_000, 15_000) if i in partners else None
        tags = [{"none": "not-employed", "day": "day-worker", "part": "part-time",
                 "early": "early-shift", "night": "night-shift", "panama": "panama-12h-shift",
                 "student": "student"}[mode]]  # fmt: skip
        weekdays = tuple(sorted(prng.sample(range(5), 2))) if i in home_days else ()
        if i in home_days:
            tags.append("two-days-at-home")
        if i in on_site:
            tags.append("lives-on-site")
        if i in movers:
            tags.append("mover")
        if cabin is not None:
            tags.append("second-home")
        if partner is not None:
            tags.append("partner-nights")
        if i in silent:
            tags = ["silent", *tags]
        work_days: tuple[int, ...] = ()
        if mode == "part":
            work_days = tuple(sorted(prng.sample(range(5), 3)))
        elif mode in ("early", "night"):
            off = prng.randrange(7)  # two days off in a row, any day of the week
            work_days = tuple(d for d in range(7) if d not in (off, (off + 1) % 7))
        while True:
            handle = f"{prng.choice(FIRST)}_{prng.choice(FIRST)}{prng.randint(10, 999)}"
            if handle not in used:
                used.add(handle)
                break
        make, model = prng.choice(PHONES)
        person = TimeUsePerson(
            handle=handle,
            town=town_name,
            persona="+".join(tags),
            homes=homes,
            site=site,
            work_mode=mode,
            second_home=cabin,
            device=(make, model, None),
            media_format=config.media_formats[i % len(config.media_formats)],
            silent=i in silent,
        )
        plans.append(_Plan(person, mode, centre, partner, weekdays, work_days))
    return plans


# ------------------------------------------------------------------------- simulation


class _Life:
    """One person's stays over the whole period, as a sorted list of `_Stay` changes."""

    def __init__(self, plan: _Plan, config: MobilityConfig, rng: random.Random) -> None:
        self.plan, self.rng = plan, rng
        self.days = config.days
        self.dates = [config.start + timedelta(days=d) for d in range(config.days)]
        self.busy: list[tuple[int, int, LatLon, str, bool]] = []  # scheduled, sorted
        self.busy_starts: list[int] = []
        self.visits: list[LatLon] = []  # EPR: every place visited, once per visit
        self.places: list[LatLon] = []  # EPR: distinct places
        self.propensity = math.exp(rng.gauss(0.0, 0.5))  # tours a day, relative
        site = plan.person.site
        self.desk = rng.choice(site.buildings) if site is not None else None
        self.lunch_places = (
            [_around(rng, site.centre, 100, 800) for _ in range(3)] if site is not None else []
        )
        self.holiday_days: set[int] = set()
        self._holidays()
        self._weekends_away()
        self._work()
        self._partner_nights()
        self.stays = self._fill()
        self.starts = [s.begin for s in self.stays]

    def home_on(self, day_index: int) -> LatLon:
        day = self.dates[min(max(day_index, 0), self.days - 1)]
        for position, _first, last in self.plan.person.homes:
            if day <= last:
                return position
        return self.plan.person.homes[-1][0]

    def _book(self, begin: int, end: int, position: LatLon, kind: str, indoor: bool) -> None:
        """Schedule a stay unless it overlaps one already scheduled (earlier layers win)."""
        begin, end = max(0, begin), min(self.days * DAY, end)
        if end <= begin:
            return
        at = bisect.bisect_right(self.busy_starts, begin)
        if (at > 0 and self.busy[at - 1][1] > begin) or (
            at < len(self.busy) and self.busy[at][0] < end
        ):
            return  # (the stays booked do not overlap: the neighbours tell)
        self.busy.insert(at, (begin, end, position, kind, indoor))
        self.busy_starts.insert(at, begin)

    def _holidays(self) -> None:
        rng = self.rng
        for _ in range(max(0, round(rng.randint(1, 2) * self.days / 365))):
            length = rng.randint(4, 14)
            if self.days <= length + 2:
                return
            first = rng.randrange(0, self.days - length)
            if any(d in self.holiday_days for d in range(first - 1, first + length + 1)):
                continue
            hotel = _around(rng, self.home_on(first), 150_000, 2_000_000)
            self.holiday_days.update(range(first, first + length))
            # nights at the hotel, days seeing two to four sights around it
            t = first * DAY + rng.randint(10 * 60, 16 * 60)
            for d in range(first, first + length):
                morning = (d + 1) * DAY + rng.randint(8 * 60, 10 * 60)
                self._book(t, morning, hotel, "hotel", True)
                t = morning
                if d == first + length - 1:
                    break
                evening = (d + 1) * DAY + rng.randint(18 * 60, 21 * 60)
                sights = rng.randint(2, 4)
                for k in range(sights):
                    until = morning + (evening - morning) * (k + 1) // sights
                    sight = _around(rng, hotel, 200, 8_000)
                    self._book(t, until, sight, "holiday", rng.random() < 0.4)
                    t = until

    def _weekends_away(self) -> None:
        cabin = self.plan.person.second_home
        if cabin is None:
            return
        share = self.rng.uniform(0.2, 0.5)
        for d in range(self.days):
            if self.dates[d].weekday() == 5 and self.rng.random() < share:
                begin = d * DAY + self.rng.randint(8 * 60, 12 * 60)
                end = (d + 1) * DAY + self.rng.randint(15 * 60, 19 * 60)
                self._book(begin, end, cabin, "cabin", True)

    def _work(self) -> None:
        rng, plan = self.rng, self.plan
        mode, site = plan.mode, plan.person.site
        if site is None or self.desk is None:
            return
        usual = min(10.5, max(6.0, rng.gauss(8.3, 0.9)))
        for d in range(self.days):
            if d in self.holiday_days:
                continue
            day = self.dates[d]
            weekday = day.weekday()
            kind = "campus" if mode == "student" else "work"
            if mode == "panama":
                cycle = (day - self.dates[0]).days
                if not PANAMA[cycle % 14]:
                    continue
                night = (cycle // 28) % 2 == 1
                begin, hours = (19.0 if night else 7.0) + rng.gauss(0, 0.15), 12.0
            elif mode in ("early", "night"):
                if weekday not in plan.work_days or rng.random() < 0.05:
                    continue
                if mode == "early":
                    begin, hours = rng.gauss(5.5, 0.3), 8.0
                else:
                    begin, hours = rng.gauss(22.5, 0.4), 8.5
            elif mode == "part":
                if weekday not in plan.work_days or rng.random() < 0.08:
                    continue
                begin, hours = usual + 1.0 + rng.gauss(0, 0.4), max(3.0, rng.gauss(5.0, 0.7))
            elif mode == "student":
                term = not (day.month in (7, 8) or (day.month == 6 and day.day > 15)
                            or (day.month == 12 and day.day > 20) or (day.month == 1 and day.day < 5))  # fmt: skip
                if weekday >= 5 or not term or rng.random() < 0.15:
                    continue
                begin = min(14.0, max(8.0, rng.gauss(9.8, 1.2)))
                hours = min(9.0, max(2.0, rng.gauss(5.5, 1.5)))
            else:  # day commuters
                if rng.random() > (0.92 if weekday < 5 else 0.08):
                    continue
                if weekday in plan.home_days:
                    continue  # works at home: free time is filled around home
                begin, hours = usual + rng.gauss(0, 0.35), max(4.0, rng.gauss(8.7, 0.8))
            first = d * DAY + round(begin * 60)
            last = first + round(hours * 60)
            if begin + hours > 27:  # night work: the main sleep follows, at home
                self._book(last + 30, last + 30 + round(SLEEP_AFTER_NIGHT_WORK * 60),
                           self.home_on(d + 1), "asleep", True)  # fmt: skip
            spot = self.desk if rng.random() < 0.8 else rng.choice(site.buildings)
            if mode in ("day", "part") and self.lunch_places and rng.random() < 0.3:
                noon = d * DAY + round(rng.uniform(11.75, 13.25) * 60)
                if first < noon < last - 60:
                    place = rng.choices(self.lunch_places, weights=(3, 2, 1))[0]
                    self._book(first, noon, spot, kind, True)
                    self._book(noon, noon + rng.randint(30, 60), place, "lunch", True)
                    first = noon + 60
            self._book(first, last, spot, kind, True)

    def _partner_nights(self) -> None:
        partner = self.plan.partner
        if partner is None:
            return
        nights = set(self.rng.sample(range(7), self.rng.randint(1, 3)))
        for d in range(self.days):
            if self.dates[d].weekday() in nights and self.rng.random() < 0.85:
                begin = d * DAY + self.rng.randint(18 * 60, 21 * 60 + 30)
                end = (d + 1) * DAY + self.rng.randint(7 * 60, 10 * 60)
                self._book(begin, end, partner, "partner", True)

    def _place(self, home: LatLon) -> LatLon:
        """The next place of a tour: exploration or preferential return (Song et al. 2010)."""
        rng = self.rng
        if not self.places or rng.random() < RHO * len(self.places) ** -GAMMA:
            # Inverse CDF of P(r) ~ (r + r0)^-beta on [0, JUMP_MAX_M].
            a = 1.0 - JUMP_BETA
            low, high = JUMP_R0_M**a, (JUMP_MAX_M + JUMP_R0_M) ** a
            r = (low + rng.random() * (high - low)) ** (1.0 / a) - JUMP_R0_M
            place = destination(home, rng.uniform(0.0, 360.0), max(50.0, r))
            self.places.append(place)
        else:
            place = rng.choice(self.visits)
        self.visits.append(place)
        return place

    def _fill(self) -> list[_Stay]:
        """Home, and tours from home, in the time no scheduled stay takes."""
        rng = self.rng
        self.busy.sort()
        stays: list[_Stay] = []
        t, end_all = 0, self.days * DAY
        for begin, end, position, kind, indoor in [*self.busy, (end_all, end_all, None, "", True)]:
            while t < begin:  # free time: at home, with tours (a new stay each midnight)
                home = self.home_on(t // DAY)
                stays.append(_Stay(t, home, "home", True))
                cap = min(begin, (t // DAY + 1) * DAY)
                t = self._next_tour(t, cap)
                if t >= cap:
                    continue
                # a tour: one or more stays, then home
                while t < begin:
                    place = self._place(home)
                    stays.append(_Stay(t, place, "leisure", rng.random() < 0.7))
                    t += 10 + round(rng.lognormvariate(math.log(50), 0.8))
                    if rng.random() >= CHAIN:
                        break
                t = min(t + 10, begin)
            if position is not None:
                stays.append(_Stay(begin, position, kind, indoor))
                t = max(t, end)
        return stays

    def _next_tour(self, t: int, limit: int) -> int:
        """When the next tour from home starts (thinning of a Poisson process by hour)."""
        rng = self.rng
        peak = max(TRIP_START_WEEKEND) / sum(TRIP_START_WEEKEND) * 24  # relative to the mean
        rate_max = peak * self.propensity / DAY  # tours a minute at the busiest hour
        while True:
            t += max(1, round(rng.expovariate(rate_max)))
            if t >= limit:
                return limit
            d, minute = divmod(t, DAY)
            day = self.dates[min(d, self.days - 1)]
            table = TRIP_START_WEEKEND if day.weekday() >= 5 else TRIP_START_WEEKDAY
            rate = table[minute // 60] / sum(table) * 24 * self.propensity / DAY
            if rng.random() < rate / rate_max:
                return t

    def at(self, minute: int) -> _Stay:
        return self.stays[max(0, bisect.bisect_right(self.starts, minute) - 1)]


def _fix(rng: random.Random, stay: _Stay) -> tuple[LatLon, float | None, bool]:
    """A measured position of a stay: (position, recorded accuracy or None, precise?)."""
    roll = rng.random()
    if not stay.indoor:
        error = rng.lognormvariate(math.log(5.0), 0.6)
    elif roll < 0.60:
        error = rng.lognormvariate(math.log(15.0), 0.6)
    elif roll < 0.95:
        error = rng.lognormvariate(math.log(35.0), 0.5)
    else:
        error = rng.uniform(300, 3_000)
    accuracy = round(error * rng.uniform(0.7, 2.0), 1) if rng.random() < 0.8 else None
    return destination(stay.position, rng.uniform(0, 360), error), accuracy, error < 500


def _town_place(plan: _Plan) -> dict[str, Any]:
    """A platform's named place for the town: its centre and a bounding box of ~20 km."""
    c = plan.town_centre
    dlat = 0.09
    dlon = 0.09 / max(0.05, math.cos(math.radians(c.lat)))
    west, east = c.lon - dlon, c.lon + dlon
    west = west + 360 if west < -180 else west
    east = east - 360 if east > 180 else east
    name = plan.person.town.split(" (")[0]
    return {"name": name, "lat": round(c.lat, 6), "lon": round(c.lon, 6),
            "bbox": [round(west, 6), round(c.lat - dlat, 6), round(east, 6), round(c.lat + dlat, 6)]}  # fmt: skip


TEXTS = ("Morning!", "What a day", "Weekend at last", "Coffee", "Look at this view",
         "Tired", "Dinner", "Raining again", "Out and about", "Friday",
         "Busy week", "Late night", "Lazy Sunday", "New place", "Stuck in traffic")  # fmt: skip


def _posts(plan: _Plan, config: MobilityConfig) -> list[GeneratedPost]:
    person = plan.person
    rng = random.Random(f"mobility-life-{config.seed}-{person.handle}")
    life = _Life(plan, config, rng)
    rate = config.posts_per_day * math.exp(rng.gauss(0.0, 1.0))
    chronotype = rng.gauss(0.0, 1.2)
    group = rng.random()
    if person.silent:
        located = 0.0
    elif group < 0.3:
        located = rng.uniform(0.3, 0.7)
    elif group < 0.7:
        located = rng.uniform(0.02, 0.10)
    else:
        located = rng.uniform(0.003, 0.02)
    located = min(0.9, located * config.located_scale)
    photo_share = rng.uniform(0.2, 0.9)
    active_share = (1 - QUIET_STAY) / (2 - ACTIVE_STAY - QUIET_STAY)
    top = max(POST_WEIGHT.values())
    items: list[GeneratedPost] = []
    active = True
    counter = 0
    for d in range(config.days):
        active = rng.random() < (ACTIVE_STAY if active else 1 - QUIET_STAY)
        if not active:
            continue
        weekend = life.dates[d].weekday() >= 5
        n_posts = _poisson(rng, rate / active_share * (1.15 if weekend else 1.0))
        for _ in range(n_posts):
            for _attempt in range(30):  # a time, kept by how much people post where they are
                hour = rng.choices(_HOURS, cum_weights=_POST_CUM)[0] + rng.random() + chronotype
                minute = d * DAY + math.floor(hour * 60)
                if not 0 <= minute < config.days * DAY:
                    continue
                stay = life.at(minute)
                if rng.random() < POST_WEIGHT[stay.kind] / top:
                    break
            else:
                continue
            counter += 1
            local = datetime.combine(config.start, datetime.min.time()) + timedelta(
                minutes=minute, seconds=rng.randint(0, 59)
            )
            items.append(_post(rng, plan, f"{person.handle}-{counter:05d}", local, stay,
                               located, photo_share, config.place_tag_share))  # fmt: skip
    return items


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:  # (normal approximation: Knuth's loop underflows for large rates)
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _post(
    rng: random.Random,
    plan: _Plan,
    post_id: str,
    local: datetime,
    stay: _Stay,
    located: float,
    photo_share: float,
    place_tag_share: float,
) -> GeneratedPost:
    person = plan.person
    taken_utc, tz_name = _utc(local, stay.position)
    post: dict[str, Any] = {"id": post_id, "author": person.handle}
    photo: dict[str, Any] | None = None
    created = taken_utc
    is_located = rng.random() < located
    as_photo = rng.random() < photo_share
    if as_photo:
        offset = None
        tz = zone(tz_name) if tz_name else None
        if rng.random() < 0.6 and tz is not None:
            offset = offset_text(tz, local)
        photo = {"position": None, "local": local, "offset": offset, "accuracy_m": None,
                 "reshare": False, "device": person.device, "precise": False}  # fmt: skip
        if is_located:
            position, accuracy, precise = _fix(rng, stay)
            photo.update(position=position, accuracy_m=accuracy, precise=precise)
        if rng.random() < 0.15:
            created = taken_utc + timedelta(hours=rng.uniform(1, 96))
    elif is_located:
        venue = stay.kind in ("leisure", "lunch", "holiday", "hotel", "cabin")
        if not venue and rng.random() < place_tag_share:
            post["place"] = _town_place(plan)
        else:
            position, _accuracy, precise = (stay.position, None, True) if venue else _fix(rng, stay)
            post["lat"], post["lon"] = round(position.lat, 6), round(position.lon, 6)
            post["_precise"] = precise
    post["created_at"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    post["text"] = rng.choice(TEXTS)
    return GeneratedPost(post, photo)


# ------------------------------------------------------------------------- output


def iter_mobility(config: MobilityConfig) -> Iterator[TimeUsePerson]:
    """Every person with their posts and truth rows, in a stable order."""
    for plan in _plan(config):
        person = plan.person
        person.items = _posts(plan, config)
        person.truth = _truth(person, person.items)
        strip_hidden(person)
        yield person


def generate_mobility(
    config: MobilityConfig, out_dir: str | Path, *, progress: Callable[[int], None] | None = None
) -> ScenarioSummary:
    """Write posts.jsonl, media/, truth.csv, scenario.json and README.md into `out_dir`."""
    return write_family(iter_mobility(config), out_dir, config, "geoleak.scenario.mobility",
                        _README, progress=progress)  # fmt: skip


_README = """# A fictional geoleak scenario (mobility family)

Everything here is invented. Written by `geoleak scenario --model mobility` (seed {seed}):
people who move by trips and stays after published mobility models and post where people
post (see geoleak/scenario/mobility.py for the model and its sources). The same options
rebuild it byte for byte.

- `posts.jsonl`: {posts} posts of {people} people (geoleak corpus format)
- `media/`: {photos} small photos, {gps} of them with EXIF GPS
- `truth.csv`: homes (two with dates for movers), the workplace or campus or `nobase`, a
  `second_home` where there is one, `none` for people who never post a location, and each
  person's persona
"""
