"""Per-person inference: candidate places, their roles (home, workplace, ...) and the places.

Evidence is clustered at two scales: home-scale clusters (`eps_m`, a house and its garden)
are the candidates for a home or a second residence; workplace-scale groups (`work_eps_m`,
a base spans hundreds of metres) are the candidates for a workplace. Short bursts (a
holiday hotel, a course: every day of a group within `max_trip_days` while the person is
seen over a much longer period) are travel and are set aside. The roles of the remaining
candidates are assigned jointly by `geoleak.infer.roles` from when the person is seen at
each, as distinct local days per part of the week; the home and the workplace may share a
place (living on base). Isolated points (reshared photos of strangers' places, one-offs)
and low-accuracy fixes take no role.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Generic, TypeAlias, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from geoleak.epoch import utc_us_or_zero
from geoleak.extract.evidence_columns import EvidenceColumns, local_hours, local_ordinals
from geoleak.geometry import (
    EARTH_RADIUS_M,
    centre_of_sums,
    centres_of_sums,
    haversine_m,
    haversine_m_array,
)
from geoleak.infer.anchor import anchor_log_odds
from geoleak.infer.cluster import CHORD_MARGIN, cluster_labels_of_people
from geoleak.infer.decide_many import DecideNumbers, person_numbers
from geoleak.infer.distinct import sorted_distinct, sorted_isin
from geoleak.infer.roles import (
    DAY_TYPES,
    EVENING,
    FAR_WORKPLACE_M,
    LONG_COMMUTE_M,
    N_BINS,
    NO_WORK,
    PERSON_TYPES,
    SHIFT_TYPES,
    WEEKEND_DAY,
    WEEKEND_NIGHT,
    WEEKNIGHT,
    WORK_END_H,
    WORK_HOURS,
    RoleFit,
    RolePriors,
    Structure,
    bin_of,
    bins_of,
    commute_band,
    rota_log_bayes_factors,
    schedule_log_bayes_factors_of_people,
)
from geoleak.infer.roles_many import RoleProblem, fit_roles_many
from geoleak.types import EMPTY_EXTRA, Evidence, LatLon, Place, PlaceKind, _pickled_by_fields

__all__ = [
    "Candidate",
    "InferenceParams",
    "PersonAnalysis",
    "PlaceDraft",
    "RoleDecision",
    "RoleDraft",
    "analyse_people",
    "analyse_person",
    "decide",
    "decide_draft",
    "decided_many",
]

MAX_HOME_CANDIDATES = 4
MAX_WORK_CANDIDATES = 3
MAX_SECOND_CANDIDATES = 3
MAX_MOVES = 2
# Distinct days a place needs to take part as a possible home (it is given as one only with
# `min_home_days` and `min_home_weeks`).
THIN_HOME_DAYS = 2
# Distinct days a place needs to take part as a possible workplace (`_may_be_workplace`),
# counted in any part of the week: about a third of employed people work on an average weekend
# day (ATUS 2019: 34 %), shift workers (~15-20 % of workers, USDL-19-1691) work nights, and on
# the published 24/7 rotas (`roles.ROTAS`) two in seven work days fall on a Saturday or a
# Sunday, so a rota's workplace seen on three or four days is seen on at most one weekday for
# ~20 % / ~7 % of rotating workers (binomial, 5/7 a day). The shift types' rows of
# `roles.PRESENCE` already say where those people are at weekends and at night, so whether
# such a place is the workplace is the role model's question (the rota factor, the hours), not
# the candidate rule's. One of the days must be a weekday or a night: weekend daytime is when
# people of every type are out at leisure (`roles.PRESENCE`: 0.25-0.35 of it elsewhere,
# against 0.05-0.20 at a workplace), and each candidate takes a share of the others' prior, so
# a place seen only then (a home seen only on weekend evenings, an outing) would take part of
# a day worker's workplace's prior for little gain (`benchmarks/README.md`, candidates). A
# place is given as the base only with `min_base_days` weekdays, or when it lies in a site
# where others work (their evidence is the rest of the case): most people post little at work,
# so two colleagues each seen there on two days are common, and without thin candidates
# neither takes part in the site pass and the site is never found. Places seen on weekdays
# still come first among the `MAX_WORK_CANDIDATES` (`_work_rank`), so the rest fill only the
# slots weekday places leave free.
THIN_WORK_DAYS = 2


@dataclass(frozen=True, slots=True)
class InferenceParams:
    """Inference parameters, in physical units.

    eps_m: radius (m) of home-scale clusters. work_eps_m: radius (m) of workplace-scale
    groups. min_samples: points a cluster needs (2 drops isolated points). max_accuracy_m:
    fixes less accurate than this (m) are not used. min_home_days / min_home_weeks: distinct
    days and weeks a home candidate needs. min_base_days: distinct weekdays a base needs
    from the person's own evidence (a place seen on fewer, down to `THIN_WORK_DAYS` days in
    any part of the week, still takes part and is given when it lies in a site where others
    work). max_trip_days: a group all of whose days fall within this many days,
    for a person seen over at least three times as long, is travel. min_confidence: a home
    or base is given only with at least this confidence (the lowest posterior over plausible
    shift-work priors and without the waking-hours evidence,
    `geoleak.infer.roles.RoleFit.robust_shifts`, and for a home over the bagged posteriors
    too, `geoleak.infer.roles.BAG_DRAWS`; else abstain).
    exclusion_m: frequent places closer than this (m) to a home or base are not listed.
    site_eps_m: radius (m) within which several people's workplaces form one site;
    min_site_people: people a site needs. shared_site_odds: how much likelier a weekday
    place is someone's workplace when others work there too (odds ratio); None (default)
    estimates it from the corpus (`geoleak.infer.sites.site_log_odds`).
    max_upload_lag_days: a photo taken longer than this before it was posted is a
    throwback or somebody else's photo, not evidence of where the person lives now.
    priors: population shares of `geoleak.infer.roles.RolePriors`.
    """

    eps_m: float = 100.0
    work_eps_m: float = 500.0
    min_samples: int = 2
    max_accuracy_m: float = 500.0
    min_home_days: int = 3
    min_home_weeks: int = 2
    min_base_days: int = 3
    max_trip_days: int = 21
    min_confidence: float = 0.5
    exclusion_m: float = 300.0
    max_upload_lag_days: float = 30.0
    site_eps_m: float = 1000.0
    min_site_people: int = 2
    shared_site_odds: float | None = None
    priors: RolePriors = field(default_factory=RolePriors)

    @property
    def site_spot_m(self) -> float:
        """How close (m) site members' places lie to be one spot of the site: two place
        clusters of `eps_m` whose centres are within twice it (`sites.colleagues_share_a_spot`,
        `sites.in_reach_of_sites`)."""
        return 2.0 * self.eps_m

    def __post_init__(self) -> None:
        for name in ("eps_m", "work_eps_m", "max_accuracy_m", "exclusion_m", "site_eps_m",
                     "max_upload_lag_days", "shared_site_odds"):  # fmt: skip
            if name == "shared_site_odds" and self.shared_site_odds is None:
                continue  # estimated from the corpus
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.min_samples < 1 or self.min_home_days < 1 or self.min_base_days < 1:
            raise ValueError("min_samples, min_home_days and min_base_days must be at least 1")
        if self.min_home_weeks < 1 or self.max_trip_days < 1 or self.min_site_people < 2:
            raise ValueError(
                "min_home_weeks and max_trip_days must be at least 1, min_site_people 2"
            )
        if not 0.0 <= self.min_confidence < 1.0:
            raise ValueError(f"min_confidence must be in [0, 1), got {self.min_confidence!r}")


@dataclass(frozen=True, slots=True)
class Calendar:
    """When a candidate's points were made, one entry per point: its part of the week
    (`geoleak.infer.roles.BINS`), the day it is counted on and its local date, both as
    `date.toordinal()` numbers, and its local hour (which shift a workplace day was:
    `geoleak.infer.roles._shifts_of_day_sets`)."""

    part: NDArray[np.int64]
    day: NDArray[np.int64]
    local: NDArray[np.int64]
    hour: NDArray[np.int64]


_DAY_SETS = ("dates", "nights", "evenings", "weekend_days", "work_dates", "duty_dates")


@dataclass(slots=True)
class Candidate:
    """A cluster of one person's evidence with its calendar statistics.

    The day sets (`dates`, `nights`, `evenings`, `weekend_days`, `work_dates`, `duty_dates`
    and `bin_days`, one set per part of the week) are built from `calendar` when first read
    and then kept; they may also be assigned. Most candidates are only counted, which
    `n_dates`, `n_duty_dates`, `n_weeks` and `day_span` do without building sets.
    """

    indices: list[int]
    position: LatLon
    rms_m: float
    first: datetime | None = None
    last: datetime | None = None
    score: float = 0.0
    calendar: Calendar | None = field(default=None, repr=False, compare=False)
    day_sets: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # Sizes of day sets known without building them (each day set and "weeks").
    day_counts: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def span_days(self) -> float:
        if self.first is None or self.last is None:
            return 0.0
        return (self.last - self.first).total_seconds() / 86400.0

    def _ordinals(self, name: str) -> NDArray[np.int64]:
        """Ordinals (with repeats) of day set `name`, from the calendar unless assigned."""
        cal = self.calendar
        if name == "days":  # the days the role model counts (a night with its evening)
            return (
                cal.day
                if cal is not None and "dates" not in self.day_sets
                else self._ordinals("dates")
            )
        if name == "weekend_nights" and ("bin_days" in self.day_sets or cal is None):
            nights = self.bin_days[WEEKEND_NIGHT]
            return np.array([d.toordinal() for d in nights], dtype=np.int64)
        if name in self.day_sets or cal is None:
            return np.array([d.toordinal() for d in self._days(name)], dtype=np.int64)
        part, day, local = cal.part, cal.day, cal.local
        if name == "dates":
            return local
        if name == "nights":
            mask = (part == WEEKNIGHT) | (part == WEEKEND_NIGHT)
        elif name == "evenings":
            mask = part == EVENING
        elif name == "weekend_days":
            mask = part == WEEKEND_DAY
        elif name == "weekend_nights":
            mask = part == WEEKEND_NIGHT
        else:
            mask = (local + 6) % 7 < 5  # Monday to Friday (date.fromordinal(1) is a Monday)
            if name == "work_dates":
                mask &= part == WORK_HOURS
            return np.asarray(local[mask], dtype=np.int64)
        return np.asarray(day[mask], dtype=np.int64)

    def distinct_ordinals(self, name: str) -> NDArray[np.int64]:
        """The distinct days of day set `name` as sorted ordinals, from the calendar unless
        assigned (without building the set of dates)."""
        return sorted_distinct(self._ordinals(name))

    def _days(self, name: str) -> set[date]:
        days = self.day_sets.get(name)
        if days is None:
            days = set(map(date.fromordinal, set(self._ordinals(name).tolist())))
            self.day_sets[name] = days
        return days

    @property
    def dates(self) -> set[date]:
        return self._days("dates")

    @dates.setter
    def dates(self, value: set[date]) -> None:
        self.day_sets["dates"] = value
        self.day_counts.pop("weeks", None)  # counted from the calendar, not these dates

    @property
    def nights(self) -> set[date]:
        return self._days("nights")

    @nights.setter
    def nights(self, value: set[date]) -> None:
        self.day_sets["nights"] = value

    @property
    def evenings(self) -> set[date]:
        return self._days("evenings")

    @evenings.setter
    def evenings(self, value: set[date]) -> None:
        self.day_sets["evenings"] = value

    @property
    def weekend_days(self) -> set[date]:
        return self._days("weekend_days")

    @weekend_days.setter
    def weekend_days(self, value: set[date]) -> None:
        self.day_sets["weekend_days"] = value

    @property
    def work_dates(self) -> set[date]:
        return self._days("work_dates")

    @work_dates.setter
    def work_dates(self, value: set[date]) -> None:
        self.day_sets["work_dates"] = value

    @property
    def duty_dates(self) -> set[date]:
        return self._days("duty_dates")

    @duty_dates.setter
    def duty_dates(self, value: set[date]) -> None:
        self.day_sets["duty_dates"] = value

    @property
    def bin_days(self) -> list[set[date]]:
        days = self.day_sets.get("bin_days")
        if days is None:
            cal = self.calendar
            days = [set() for _ in range(N_BINS)]
            if cal is not None:
                for part, day in set(zip(cal.part.tolist(), cal.day.tolist(), strict=True)):
                    days[part].add(date.fromordinal(day))
            self.day_sets["bin_days"] = days
        return days

    @bin_days.setter
    def bin_days(self, value: list[set[date]]) -> None:
        self.day_sets["bin_days"] = value

    def count(self, name: str) -> int:
        """len() of day set `name` ("dates", "nights", ...; "weekend_nights": of
        `bin_days[WEEKEND_NIGHT]`) without building the set."""
        if name in self.day_sets:
            return len(self.day_sets[name])
        size = self.day_counts.get(name)
        if size is None:
            size = self.day_counts[name] = len(set(self._ordinals(name).tolist()))
        return size

    @property
    def n_dates(self) -> int:
        """len(self.dates)."""
        return self.count("dates")

    @property
    def n_duty_dates(self) -> int:
        """len(self.duty_dates)."""
        return self.count("duty_dates")

    @property
    def n_weeks(self) -> int:
        """Distinct ISO weeks of `dates` (each week named by its Monday)."""
        weeks = self.day_counts.get("weeks")
        if weeks is None:
            local = self._ordinals("dates")
            weeks = self.day_counts["weeks"] = len(set((local - (local + 6) % 7).tolist()))
        return weeks

    @property
    def day_span(self) -> int:
        """Days from the first to the last of `dates`, both counted (0 without dates)."""
        local = self._ordinals("dates")
        return int(local.max() - local.min()) + 1 if local.size else 0


def distinct_duty_ordinals(cands: Sequence[Candidate]) -> list[NDArray[np.int64]]:
    """`cand.distinct_ordinals("duty_dates")` of each candidate, those read from their
    calendar all at once (one sort of (candidate, day) keys instead of a few numpy calls a
    candidate): each one's distinct weekday local dates, sorted, as views of one array."""
    out: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)] * len(cands)
    read = [k for k, cand in enumerate(cands)
            if cand.calendar is not None and "duty_dates" not in cand.day_sets]  # fmt: skip
    for k, cand in enumerate(cands):
        if cand.calendar is None or "duty_dates" in cand.day_sets:
            out[k] = cand.distinct_ordinals("duty_dates")
    if not read:
        return out
    local = np.concatenate([cast(Calendar, cands[k].calendar).local for k in read])
    sizes = np.array([cast(Calendar, cands[k].calendar).local.size for k in read])
    owner = np.repeat(np.arange(len(read), dtype=np.int64), sizes)
    weekday = (local + 6) % 7 < 5  # Monday to Friday (date.fromordinal(1) is a Monday)
    # Ordinals are below 2^22 (date.max is 3,652,059): the candidate's number above them.
    keys = sorted_distinct((owner[weekday] << 32) | local[weekday])
    ends = np.cumsum(np.bincount(keys >> 32, minlength=len(read))).tolist()
    days = keys & 0xFFFFFFFF
    for k, start, end in zip(read, [0, *ends[:-1]], ends, strict=True):
        out[k] = days[start:end]
    return out


@dataclass(slots=True)
class PersonAnalysis:
    """One person's evidence and what was inferred from it before the cross-person pass.

    `fit` holds every scored role assignment so the cross-person pass can re-weight it;
    `decide` turns it into places.
    """

    person: str
    evidence: Sequence[Evidence]  # a list, or `EvidenceColumns` (objects made on demand)
    base_candidates: list[Candidate]
    excluded: Counter[str]
    usable: list[int]
    home_candidates: list[Candidate] = field(default_factory=list)
    work_candidates: list[Candidate] = field(default_factory=list)
    travel: list[Candidate] = field(default_factory=list)
    others: list[Candidate] = field(default_factory=list)
    fit: RoleFit | None = None
    note: str = ""
    layout: Layout | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """How the role model's locations map to candidates: each location's workplace group
    (-1 none), the location of each home candidate, the group label of each work candidate."""

    loc_group: list[int]
    home_rows: list[int]
    work_labels: list[int]


def _weeks(dates: set[date]) -> int:
    return len({d.isocalendar()[:2] for d in dates})


def _months(dates: set[date]) -> int:
    return len({(d.year, d.month) for d in dates})


def _make_candidate(evidence: Sequence[Evidence], indices: list[int]) -> Candidate:
    """One candidate's centre, spread and calendar, point by point (the readable definition;
    `_candidates` builds many at once and gives the same)."""
    lats = np.array([evidence[i].position.lat for i in indices])
    lons = np.array([evidence[i].position.lon for i in indices])
    weights = np.array([evidence[i].weight / max(evidence[i].accuracy_m, 5.0) for i in indices])
    # The weighted mean of unit vectors (as mean_position), each sum taken point by point in
    # order (a running sum: `_candidates` sums every cluster at once in the same order).
    phi, lmb = np.radians(lats), np.radians(lons)
    cos_phi = np.cos(phi)
    sums = (weights * cos_phi * np.cos(lmb), weights * cos_phi * np.sin(lmb), weights * np.sin(phi))
    centre = centre_of_sums(*(float(np.cumsum(v)[-1]) for v in sums))
    dist = haversine_m_array(lats, lons, centre.lat, centre.lon)
    mean_square = float(np.cumsum(dist**2)[-1]) / len(indices)
    cand = Candidate(indices=indices, position=centre, rms_m=math.sqrt(mean_square))
    times = [t for i in indices if (t := evidence[i].time_utc) is not None]
    if times:
        cand.first, cand.last = min(times), max(times)
    parts, days, locals_, hours = [], [], [], []
    for i in indices:
        local = evidence[i].local_time
        if local is None:
            continue
        part, day = bin_of(local)
        parts.append(part)
        days.append(day.toordinal())
        locals_.append(local.toordinal())
        hours.append(local.hour)
    cand.calendar = Calendar(
        np.array(parts, dtype=np.int64), np.array(days, dtype=np.int64),
        np.array(locals_, dtype=np.int64), np.array(hours, dtype=np.int64),
    )  # fmt: skip
    return cand


@dataclass(frozen=True, slots=True)
class _Points:
    """A person's usable points as columns, in `usable` order: evidence index, position,
    weight (weight / accuracy), calendar, UTC time in whole microseconds (`has_utc` False
    where there is none) and the weighted unit vectors `mean_position` sums."""

    index: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    part: NDArray[np.int64]
    day: NDArray[np.int64]
    local: NDArray[np.int64]
    utc_us: NDArray[np.int64]
    has_utc: NDArray[np.bool_]
    xyz: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
    hour: NDArray[np.int64]


def _points(evidence: Sequence[Evidence], usable: Sequence[int]) -> _Points:
    """Columns of the usable points (each needs a local time)."""
    index = np.array(usable, dtype=np.int64)
    if isinstance(evidence, EvidenceColumns):
        # The person's columns, as the objects below would give them.
        lat, lon = evidence.lat[index], evidence.lon[index]
        weight = evidence.weight[index] / np.maximum(evidence.accuracy_m[index], 5.0)
        if not evidence.has_local[index].all():
            raise ValueError("every usable point needs a local time")
        hours, local = evidence.local_hour()[index], evidence.local_ordinal()[index]
        has_utc = evidence.has_utc[index]
        utc_us = np.where(has_utc, evidence.utc_us[index], 0)
    else:
        chosen = [evidence[i] for i in usable]
        lat = np.array([ev.position.lat for ev in chosen], dtype=np.float64)
        lon = np.array([ev.position.lon for ev in chosen], dtype=np.float64)
        weight = np.array([ev.weight / max(ev.accuracy_m, 5.0) for ev in chosen], dtype=np.float64)
        local_times = [ev.local_time for ev in chosen]
        hours = np.array([t.hour for t in local_times if t is not None], dtype=np.int64)
        local = np.array([t.toordinal() for t in local_times if t is not None], dtype=np.int64)
        if local.size != len(chosen):
            raise ValueError("every usable point needs a local time")
        utc = [ev.time_utc for ev in chosen]
        utc_us = np.array(utc_us_or_zero(utc), dtype=np.int64)
        has_utc = np.array([t is not None for t in utc], dtype=bool)
    part, day = bins_of(hours, local)
    # As mean_position computes them, element by element.
    phi, lmb = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    xyz = (weight * cos_phi * np.cos(lmb), weight * cos_phi * np.sin(lmb), weight * np.sin(phi))
    return _Points(index, lat, lon, part, day, local, utc_us, has_utc, xyz, hours)


def _candidates(
    evidence: Sequence[Evidence], points: _Points, labels: NDArray[np.int64]
) -> dict[int, Candidate]:
    """A candidate per cluster label (>= 0) of the points, all clusters at once; each equals
    `_make_candidate` of the cluster's indices (same sums in the same order)."""
    return _candidates_of_people([(evidence, points, labels)])[0]


def _joined_points(parts: Sequence[_Points]) -> _Points:
    """The points of several people as one set of columns, each person's in order."""

    def joined(name: str) -> Any:
        return np.concatenate([getattr(p, name) for p in parts])

    columns = {f.name: joined(f.name) for f in fields(_Points) if f.name != "xyz"}
    xyz = (np.concatenate([p.xyz[0] for p in parts]),
           np.concatenate([p.xyz[1] for p in parts]),
           np.concatenate([p.xyz[2] for p in parts]))  # fmt: skip
    return _Points(**columns, xyz=xyz)


def _candidates_of_people(
    people: Sequence[tuple[Sequence[Evidence], _Points, NDArray[np.int64]]],
    joined: _Points | None = None,
) -> list[dict[int, Candidate]]:
    """`_candidates` of several people's (evidence, points, cluster labels) at once: the
    clusters of every person are groups of one set of columns (each person's points stay
    in order, so every sum is taken in the same order as for the person alone). `joined`:
    `_joined_points` of the people's points, when the caller has made it already."""
    if not people:
        return []
    own = [np.asarray(person_labels, dtype=np.int64) for _, _, person_labels in people]
    lengths = np.array([labels.size for labels in own], dtype=np.int64)
    labels = np.concatenate(own)
    # Per person, their largest label + 1 (0: none), and what is added to their labels.
    label_counts = np.zeros(len(people), dtype=np.int64)
    seen = np.flatnonzero(lengths)
    if seen.size:
        starts_of = (np.cumsum(lengths) - lengths)[seen]
        label_counts[seen] = np.maximum(np.maximum.reduceat(labels, starts_of), -1) + 1
    offsets = np.cumsum(label_counts) - label_counts
    base = int(label_counts.sum())
    out: list[dict[int, Candidate]] = [{} for _ in people]
    if base == 0:
        return out
    label_base = offsets.tolist()
    labels = np.where(labels >= 0, labels + np.repeat(offsets, lengths), -1)
    if joined is not None:
        points = joined
    elif len(people) == 1:
        points = people[0][1]
    else:
        points = _joined_points([p for _, p, _ in people])
    owner_of_label = np.repeat(np.arange(len(people)), label_counts)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    skip = int(np.searchsorted(sorted_labels, 0))  # noise (-1) first
    order, sorted_labels = order[skip:], sorted_labels[skip:]
    keys, starts = np.unique(sorted_labels, return_index=True)
    sizes = np.diff(np.append(starts, order.size))
    bounds = list(zip(starts.tolist(), (starts + sizes).tolist(), strict=True))
    group = np.repeat(np.arange(len(bounds)), sizes)
    # bincount adds each cluster's values point by point in order: `_make_candidate`'s sums.
    sums = [np.bincount(group, weights=v[order], minlength=len(bounds)).tolist()
            for v in points.xyz]  # fmt: skip
    centres = centres_of_sums(*sums)
    # Distances to each point's own centre, as haversine_m_array computes them.
    lat0 = [math.radians(c.lat) for c in centres]
    cos_lat0 = np.repeat([math.cos(v) for v in lat0], sizes)
    phi1 = np.radians(points.lat[order])
    dphi = np.repeat(lat0, sizes) - phi1
    dlmb = np.repeat([math.radians(c.lon) for c in centres], sizes) - np.radians(points.lon[order])
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * cos_lat0 * np.sin(dlmb / 2) ** 2
    squared = (2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))) ** 2
    mean_square = np.bincount(group, weights=squared, minlength=len(bounds)).tolist()
    # First and last UTC time: the earliest point holding the extreme (as min() and max()).
    utc, has = points.utc_us[order], points.has_utc[order]
    firsts = _extreme_positions(np.where(has, utc, np.iinfo(np.int64).max), group, has, np.minimum)
    lasts = _extreme_positions(np.where(has, utc, np.iinfo(np.int64).min), group, has, np.maximum)
    index = points.index[order]
    # Each cluster's first and last timed point: its evidence index (-1: none) and time.
    first_rows = np.where(firsts >= 0, index[firsts], -1).tolist()
    last_rows = np.where(lasts >= 0, index[lasts], -1).tolist()
    first_us, last_us = utc[firsts].tolist(), utc[lasts].tolist()
    first_points = order[starts].tolist()
    part, day, local = points.part[order], points.day[order], points.local[order]
    hour = points.hour[order]
    # Distinct dates, weekdays and ISO weeks (named by their Monday) of every cluster at once.
    weekday = (local + 6) % 7  # date.fromordinal(1) is a Monday
    monday_to_friday = weekday < 5
    clusters = len(bounds)
    by_local = _distinct_per_group(group, local, clusters)
    by_day = _distinct_per_group(group, day, clusters)
    day_sets = (
        ("dates", by_local(None)),
        ("duty_dates", by_local(monday_to_friday)),
        # A week named by its Monday: local - weekday never decreases as local grows.
        ("weeks", by_local(None, local - weekday)),
        # As `Candidate._ordinals` defines the other day sets (their sizes, for texts).
        ("nights", by_day((part == WEEKNIGHT) | (part == WEEKEND_NIGHT))),
        ("evenings", by_day(part == EVENING)),
        ("weekend_days", by_day(part == WEEKEND_DAY)),
        ("work_dates", by_local(monday_to_friday & (part == WORK_HOURS))),
        ("weekend_nights", by_day(part == WEEKEND_NIGHT)),  # bin_days[WEEKEND_NIGHT]
        ("days", by_day(None)),  # the days the role model counts (`_may_be_workplace`)
    )
    names = [name for name, _ in day_sets]
    known = [dict(zip(names, sizes, strict=True))
             for sizes in np.array([counts for _, counts in day_sets]).T.tolist()]  # fmt: skip
    owners = owner_of_label[keys].tolist()
    indices = index.tolist()  # (each cluster's slice of it: the ints `index[a:b].tolist()` gives)
    keys_of = (keys - np.asarray(label_base, dtype=np.int64)[owner_of_label[keys]]).tolist()
    # In the order the clusters first appear among the points (as grouping them one by one;
    # each cluster's first point is its own, so the order is that of distinct values).
    for g in np.argsort(first_points, kind="stable").tolist():
        a, b = bounds[g]
        owner = owners[g]
        cand = Candidate(
            indices[a:b],
            centres[g],
            math.sqrt(mean_square[g] / (b - a)),
            calendar=Calendar(part[a:b], day[a:b], local[a:b], hour[a:b]),
            day_counts=known[g],
        )
        if first_rows[g] >= 0:
            evidence = people[owner][0]
            if isinstance(evidence, EvidenceColumns):  # no object made for the two times
                cand.first = evidence.time_utc_given(first_rows[g], first_us[g])
                cand.last = evidence.time_utc_given(last_rows[g], last_us[g])
            else:
                cand.first = evidence[first_rows[g]].time_utc
                cand.last = evidence[last_rows[g]].time_utc
        out[owner][keys_of[g]] = cand
    return out


def _distinct_per_group(
    group: NDArray[np.int64], days: NDArray[np.int64], groups: int
) -> Callable[..., NDArray[np.int64]]:
    """Counts of distinct day numbers per group (`group`: sorted, 0..groups-1) for masks of
    the points: `counted(mask, values)` counts the distinct `values` (default `days`; any
    that never decrease as `days` grow) of each group's points where `mask` (None: all).
    The points are sorted by (group, day) once; a masked subset of a sorted run stays
    sorted, so its distinct values are where it changes (whole numbers: the counts
    `np.unique` of (group, day) pairs gives)."""
    order = np.argsort((group << 32) | days, kind="stable")
    sorted_group = group[order]

    def counted(
        mask: NDArray[np.bool_] | None, values: NDArray[np.int64] | None = None
    ) -> NDArray[np.int64]:
        chosen = (days if values is None else values)[order]
        owner = sorted_group
        if mask is not None:
            keep = mask[order]
            chosen, owner = chosen[keep], owner[keep]
        new = np.ones(chosen.size, dtype=bool)
        new[1:] = (chosen[1:] != chosen[:-1]) | (owner[1:] != owner[:-1])
        return np.bincount(owner[new], minlength=groups)

    return counted


def _extreme_positions(
    values: NDArray[np.int64], group: NDArray[np.int64], valid: NDArray[np.bool_], op: np.ufunc
) -> NDArray[np.int64]:
    """Per group (a sorted run), the first position holding `op`'s extreme of the valid
    values, or -1 when the group has none."""
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    extreme = op.reduceat(values, starts)
    hits = np.flatnonzero(valid & (values == extreme[group]))
    out = np.full(starts.size, -1, dtype=np.int64)
    # `group` is sorted, so the hits' groups are too: each group's first hit starts a run.
    hit_group = group[hits]
    first = np.flatnonzero(np.r_[True, hit_group[1:] != hit_group[:-1]]) if hits.size else hits
    out[hit_group[first]] = hits[first]
    return out


def _radius_m(
    cand: Candidate,
    evidence: Sequence[Evidence],
    floor_m: float,
    at: NDArray[np.int64] | None = None,
) -> float:
    """`at`: `cand.indices` as an int64 array, when the caller has made it already."""
    n = len(cand.indices)
    if isinstance(evidence, EvidenceColumns):
        at = np.asarray(cand.indices, dtype=np.int64) if at is None else at
        accuracies = np.sort(evidence.accuracy_m[at]).tolist()
    else:
        accuracies = sorted(evidence[i].accuracy_m for i in cand.indices)
    middle = n // 2  # the median, as numpy's: the mean of the middle two for an even count
    accuracy = float(
        accuracies[middle] if n % 2 else (accuracies[middle - 1] + accuracies[middle]) / 2
    )
    return _radius_of(cand, accuracy, floor_m)


def _radius_of(cand: Candidate, accuracy: float, floor_m: float) -> float:
    """`_radius_m` from the median accuracy of the candidate's rows."""
    n = len(cand.indices)
    # Statistical error of the centre, plus a share of the spread for the systematic part:
    # photos are taken around a place (garden, street, car park), not at its address point.
    spread = 2.5 * cand.rms_m / math.sqrt(n) + accuracy / math.sqrt(n) + 0.25 * cand.rms_m
    return round(max(floor_m, spread), 1)


def _index_array(indices: Sequence[int], evidence: Sequence[Evidence]) -> NDArray[np.int64] | None:
    """A place's indices as the int64 array `_radius_m` and `_ordered_evidence` index
    columns with (made once for both), or None for a list of `Evidence` objects."""
    return np.asarray(indices, dtype=np.int64) if isinstance(evidence, EvidenceColumns) else None


def _ordered_evidence(
    evidence: Sequence[Evidence],
    indices: Sequence[int],
    prefer: str,
    at: NDArray[np.int64] | None = None,
) -> tuple[str, ...]:
    """Post ids of a place, strongest first: precise sources, then role-matching times
    (night, 21-07, for a home; day for other places); ties in the given order. Each post
    once (so the tuple's length is the place's count of distinct posts). `at`: see
    `_radius_m`."""
    if isinstance(evidence, EvidenceColumns):
        at = np.asarray(indices, dtype=np.int64) if at is None else at
        return _ordered_columns(evidence, at, prefer)
    at_home = prefer == "home"
    keys = []
    for i in indices:
        ev = evidence[i]
        local = ev.local_time
        role = 0.0
        if local is not None:
            hour = local.hour
            role = 1.0 if (hour >= 21 or hour < 7) == at_home else 0.0
        keys.append((-ev.weight, -role, ev.accuracy_m))
    order = sorted(range(len(keys)), key=keys.__getitem__)  # stable, as sorting the indices
    return tuple(dict.fromkeys([evidence[indices[k]].post_id for k in order]))


# Month names as strftime's %b writes them in the C locale (geoleak never sets LC_TIME).
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _ordered_columns(
    evidence: EvidenceColumns, at: NDArray[np.int64], prefer: str
) -> tuple[str, ...]:
    """`_ordered_evidence` from the columns (`at`: the indices as an array): the same keys,
    sorted stably (ties keep the order of the indices, as `sorted` keeps it), through each
    item's rank by those keys (`place_ranks`)."""
    ranks = evidence.place_ranks
    if ranks is None:
        place_ranks([evidence])
        ranks = evidence.place_ranks
        assert ranks is not None
    # Equal keys have equal ranks, so a stable sort of the ranks breaks every tie by the
    # position in `at`, as the keys' sort did.
    order = np.argsort(ranks[0 if prefer == "home" else 1][at], kind="stable")
    ids = evidence.post_ids
    return tuple(dict.fromkeys([ids[i] for i in at[order].tolist()]))


def place_ranks(people: Sequence[EvidenceColumns]) -> None:
    """Sets each person's `EvidenceColumns.place_ranks`, for all of them at once: each
    item's rank by the keys a place orders its evidence by (weight, then the role's
    times, then accuracy; `_ordered_evidence`), for a home and for other places. Equal
    keys (as a sort compares them: -0.0 equals 0.0, NaN equals NaN) get equal ranks, and
    ranks follow the keys' order, so any subset of a person's items sorts stably by its
    ranks as by its keys. The ranks are over all the people's items together: each
    person's keep their order."""
    if not people:
        return
    hour = local_hours(np.concatenate([p.local_us for p in people]))
    has_local = np.concatenate([p.has_local for p in people])
    weight = -np.concatenate([p.weight for p in people])
    accuracy = np.concatenate([p.accuracy_m for p in people])
    night = (hour >= 21) | (hour < 7)
    at_home = _dense_ranks((accuracy, -np.where(has_local & night, 1.0, 0.0), weight))
    elsewhere = _dense_ranks((accuracy, -np.where(has_local & ~night, 1.0, 0.0), weight))
    start = 0
    for person in people:
        stop = start + len(person.weight)
        person.place_ranks = (at_home[start:stop], elsewhere[start:stop])
        start = stop


def _dense_ranks(keys: tuple[NDArray[np.float64], ...]) -> NDArray[np.int64]:
    """Each item's rank by `keys` (compared as `np.lexsort` compares them: the last key
    first), equal keys the same rank: 0, 1, ... in the sorted order."""
    order = np.lexsort(keys)
    n = order.size
    new = np.zeros(n, dtype=bool)
    for key in keys:
        ordered = key[order]
        before, after = ordered[:-1], ordered[1:]
        # A sort's ties: equal values, or NaN with NaN (sorted last, in their order).
        new[1:] |= ~((before == after) | (np.isnan(before) & np.isnan(after)))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.cumsum(new)
    return ranks


def _span_text(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return ""
    return _span_words(first.year, first.month, last.year, last.month)


@functools.lru_cache(maxsize=4096)
def _span_words(first_year: int, first_month: int, last_year: int, last_month: int) -> str:
    """`_span_text` of its months: written once for each pair of months (a corpus's places
    span few distinct ones; every place of pass 2 wrote its own)."""
    months = (last_year - first_year) * 12 + last_month - first_month + 1
    since = f"{_MONTHS[first_month - 1]} {first_year}"  # f"{first:%b %Y}" without strftime
    when = since if months <= 1 else f"{since} - {_MONTHS[last_month - 1]} {last_year}"
    return f" over {months} month{'s' if months != 1 else ''} ({when})"


def _core_span(cand: Candidate) -> tuple[date, date] | None:
    """The 10th-90th percentile range of a candidate's days (robust to a stray visit)."""
    if "dates" in cand.day_sets or cand.calendar is None:
        days = sorted(cand.dates)
    else:  # the same days as ordinals (sorted), without building the set of dates
        days = sorted(set(cand.calendar.local.tolist()))
    if not days:
        return None
    first, last = days[int(0.1 * (len(days) - 1))], days[round(0.9 * (len(days) - 1))]
    if isinstance(first, int):
        return date.fromordinal(first), date.fromordinal(last)
    return first, last


def _core_spans(cands: Sequence[Candidate]) -> list[tuple[date, date] | None]:
    """`_core_span` of each of `cands`: those whose days are read from their calendar at
    once (one sort of (candidate, day) keys; each run's distinct days are the sorted set
    `_core_span` indexes, and its positions the same float expressions, `int` truncating
    and `np.rint` rounding half to even as `round` does), the others alone."""
    spans: list[tuple[date, date] | None] = [None] * len(cands)
    at: list[int] = []
    local: list[NDArray[np.int64]] = []
    for k, cand in enumerate(cands):
        if "dates" in cand.day_sets or cand.calendar is None:
            spans[k] = _core_span(cand)
        else:
            at.append(k)
            local.append(cand.calendar.local)
    if not at:
        return spans
    sizes = np.array([days.size for days in local], dtype=np.int64)
    owner = np.repeat(np.arange(len(at), dtype=np.int64), sizes)
    keys = sorted_distinct((owner << 32) | np.concatenate(local).astype(np.int64, copy=False))
    n = np.bincount(keys >> 32, minlength=len(at))
    start = np.cumsum(n) - n
    days = keys & 0xFFFFFFFF
    seen = n > 0
    low = np.zeros(len(at), dtype=np.int64)
    high = np.zeros(len(at), dtype=np.int64)
    low[seen] = days[start[seen] + (0.1 * (n[seen] - 1)).astype(np.int64)]
    high[seen] = days[start[seen] + np.rint(0.9 * (n[seen] - 1)).astype(np.int64)]
    for k, has, first, last in zip(at, seen.tolist(), low.tolist(), high.tolist(), strict=True):
        if has:
            spans[k] = (date.fromordinal(first), date.fromordinal(last))
    return spans


def _overlap_share(
    a: Candidate,
    b: Candidate,
    spans: tuple[tuple[date, date] | None, tuple[date, date] | None] | None = None,
) -> float:
    """Share of the shorter core time span that the two candidates' core spans overlap
    (`spans`: their `_core_span`s when known)."""
    span_a, span_b = spans if spans is not None else (_core_span(a), _core_span(b))
    if span_a is None or span_b is None:
        return 1.0
    overlap = (min(span_a[1], span_b[1]) - max(span_a[0], span_b[0])).days
    shorter = min((span_a[1] - span_a[0]).days, (span_b[1] - span_b[0]).days)
    if shorter <= 0:
        return 1.0 if overlap >= 0 else 0.0
    return max(0.0, overlap) / shorter


def _usable(
    evidence: Sequence[Evidence], params: InferenceParams, skipped: Counter[str]
) -> list[int]:
    if isinstance(evidence, EvidenceColumns):
        return _usable_columns(evidence, params, skipped)
    usable: list[int] = []
    for i, ev in enumerate(evidence):
        if ev.accuracy_m > params.max_accuracy_m:
            skipped["low-accuracy"] += 1
        elif (
            ev.posted_at is not None
            and ev.time_utc is not None
            and (ev.posted_at - ev.time_utc).total_seconds() > params.max_upload_lag_days * 86400
        ):
            skipped["old-photo"] += 1
        elif ev.local_time is None:
            skipped["no-time"] += 1
        else:
            usable.append(i)
    return usable


def _usable_columns(
    evidence: EvidenceColumns, params: InferenceParams, skipped: Counter[str]
) -> list[int]:
    """`_usable` from the columns (the reasons counted in the order they first occur, as
    one by one)."""
    low, old, no_time = _unusable(evidence.accuracy_m, evidence.lag_s, evidence.has_local, params)
    _count_unusable(low, old, no_time, skipped)
    return list(np.flatnonzero(~low & ~old & evidence.has_local).tolist())


def _unusable(
    accuracy_m: NDArray[np.float64],
    lag_s: NDArray[np.float64],
    has_local: NDArray[np.bool_],
    params: InferenceParams,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Each item's reason to be left out, the first that holds: too coarse, an old photo
    (NaN, no posting time or no time: never too old), no local time."""
    low = accuracy_m > params.max_accuracy_m
    old = ~low & (lag_s > params.max_upload_lag_days * 86400)
    return low, old, ~low & ~old & ~has_local


def _count_unusable(
    low: NDArray[np.bool_], old: NDArray[np.bool_], no_time: NDArray[np.bool_],
    skipped: Counter[str],
) -> None:  # fmt: skip
    """Add one person's items left out to `skipped`, reasons in the order they first occur."""
    reasons = []
    for reason, mask in (("low-accuracy", low), ("old-photo", old), ("no-time", no_time)):
        hits = np.flatnonzero(mask)
        if hits.size:
            reasons.append((int(hits[0]), reason, int(hits.size)))
    for _, reason, n in sorted(reasons):
        skipped[reason] += n


def _day_span(cand: Candidate) -> int:
    return cand.day_span


# A trip is far from where the person lives and works: farther than this from every
# long-lived group of their evidence (a day's drive; a course at a nearby site is not travel).
TRIP_MIN_DISTANCE_M = 25_000.0


def _travel_groups(
    coarse: dict[int, Candidate], person_span: int, params: InferenceParams
) -> set[int]:
    """Groups that are short stays (holiday, business trip) within a long record."""
    if person_span < 3 * params.max_trip_days:
        return set()
    # (a group seen on more days than `max_trip_days` spans more: its span, two numpy
    # reductions, is left unread)
    short = {
        label
        for label, cand in coarse.items()
        if 3 <= cand.n_dates <= params.max_trip_days and cand.day_span <= params.max_trip_days
    }
    lasting = [c for label, c in coarse.items() if label not in short and c.n_dates >= 3]
    travel = set()
    for label in short:
        here = coarse[label].position
        if all(_distance(here, c.position) > TRIP_MIN_DISTANCE_M for c in lasting):
            travel.add(label)
    return travel


def analyse_person(
    person: str,
    evidence: Sequence[Evidence],
    params: InferenceParams | None = None,
    excluded: Mapping[str, int] | None = None,
) -> PersonAnalysis:
    """Candidate places of one person, their scored role assignments and the decision."""
    return analyse_people([(person, evidence, excluded)], params)[0]


PEOPLE_PER_BATCH = 256  # people whose candidates `analyse_people` builds together


def analyse_people(
    people: Sequence[tuple[str, Sequence[Evidence], Mapping[str, int] | None]],
    params: InferenceParams | None = None,
) -> list[PersonAnalysis]:
    """`analyse_person` of each (person, evidence, excluded), with the points of all of them
    clustered at once (`cluster_labels_of_people`), their candidates built at once
    (`_candidates_of_people`: a few array operations per batch of people instead of per
    person) and their role models fitted at once (`fit_roles_many`, the bag's scores
    included); each analysis equals the person's own."""
    params = params or InferenceParams()
    if len(people) > PEOPLE_PER_BATCH:
        return [analysis for at in range(0, len(people), PEOPLE_PER_BATCH)
                for analysis in analyse_people(people[at : at + PEOPLE_PER_BATCH], params)]  # fmt: skip
    started, ready, problems = _problems_of_people(people, params)
    fits = fit_roles_many(problems, params.priors)
    for (analysis, *_), fit, marginals in zip(ready, fits, work_marginals_many(fits), strict=True):
        _take_fit(analysis, fit, marginals)
    return [analysis for analysis, _ in started]


def role_problem(
    person: str, evidence: Sequence[Evidence], params: InferenceParams | None = None
) -> RoleProblem | None:
    """What the role model is given for one person (`RoleProblem`; None without located
    evidence): for reading a fit term by term (`RoleProblem.terms`), as
    `benchmarks/bench_accuracy.py` does for missed and false bases."""
    _, _, problems = _problems_of_people([(person, evidence, None)], params or InferenceParams())
    return problems[0] if problems else None


def _problems_of_people(
    people: Sequence[tuple[str, Sequence[Evidence], Mapping[str, int] | None]],
    params: InferenceParams,
) -> tuple[list[tuple[PersonAnalysis, _Points | None]], list[Any], list[RoleProblem]]:
    """`analyse_people` up to the role model's fit: every person's started analysis, those
    with located points (with their points and labels) and their role problems."""
    started = _usable_points_of_people(people, params)
    located = [(analysis, points) for analysis, points in started if points is not None]
    labelled = cluster_labels_of_people(
        [(points.lat, points.lon) for _, points in located],
        eps_ms=(params.eps_m, params.work_eps_m), min_samples=params.min_samples,
    )  # fmt: skip
    ready: list[tuple[PersonAnalysis, _Points, NDArray[np.int64], NDArray[np.int64]]] = []
    for (analysis, points), (fine_labels, coarse_labels) in zip(located, labelled, strict=True):
        isolated = int(((fine_labels < 0) & (coarse_labels < 0)).sum())
        analysis.excluded["isolated"] += isolated
        analysis.note = _excluded_note(analysis.excluded)
        ready.append((analysis, points, fine_labels, coarse_labels))
    # Both scales' candidates from one set of the people's columns.
    joined = _joined_points([p for _, p, _, _ in ready]) if len(ready) > 1 else None
    fines = _candidates_of_people([(a.evidence, p, f) for a, p, f, _ in ready], joined)
    coarses = _candidates_of_people([(a.evidence, p, c) for a, p, _, c in ready], joined)
    problems = _role_problems(
        [(analysis, points, fine_labels, coarse_labels, fine, coarse)
         for (analysis, points, fine_labels, coarse_labels), fine, coarse in zip(
            ready, fines, coarses, strict=True)],
        params,
    )  # fmt: skip
    return started, ready, problems


def _usable_points(
    person: str,
    evidence: Sequence[Evidence],
    params: InferenceParams,
    excluded: Mapping[str, int] | None,
) -> tuple[PersonAnalysis, _Points | None]:
    """A person's analysis and usable points, to be clustered (no points: the analysis is
    complete as it is)."""
    if not isinstance(evidence, EvidenceColumns):
        evidence = list(evidence)
    skipped: Counter[str] = Counter(excluded or {})
    usable = _usable(evidence, params, skipped)
    analysis = PersonAnalysis(person, evidence, [], skipped, usable)
    if not usable:
        analysis.note = _excluded_note(skipped)
        return analysis, None
    return analysis, _points(evidence, usable)


def _usable_points_of_people(
    people: Sequence[tuple[str, Sequence[Evidence], Mapping[str, int] | None]],
    params: InferenceParams,
) -> list[tuple[PersonAnalysis, _Points | None]]:
    """`_usable_points` of each (person, evidence, excluded). The people whose evidence is
    in columns (`EvidenceColumns`: every person of a store's partition) are read together:
    their columns joined, the reasons to leave items out and the usable points' columns made
    for all of them at once, element by element as for each alone (the same values), and
    each person's points are views of their run of the joined ones."""
    out: list[tuple[PersonAnalysis, _Points | None]] = []
    columnar: list[int] = []
    for k, (person, evidence, excluded) in enumerate(people):
        if isinstance(evidence, EvidenceColumns):
            columnar.append(k)
            out.append((PersonAnalysis(person, evidence, [], Counter(), []), None))
        else:
            out.append(_usable_points(person, evidence, params, excluded))
    if not columnar:
        return out
    columns = [cast(EvidenceColumns, people[k][1]) for k in columnar]
    sizes = np.array([len(evidence.lat) for evidence in columns], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes

    def joined(name: str) -> Any:
        return np.concatenate([getattr(evidence, name) for evidence in columns])

    accuracy_m, has_local = joined("accuracy_m"), joined("has_local")
    low, old, no_time = _unusable(accuracy_m, joined("lag_s"), has_local, params)
    owner = np.repeat(np.arange(len(columns), dtype=np.int64), sizes)
    left_out = np.bincount(owner[low | old | no_time], minlength=len(columns))
    at = np.flatnonzero(~low & ~old & has_local)  # the usable items, joined
    usable_of = np.bincount(owner[at], minlength=len(columns))
    index = at - starts[owner[at]]
    lat, lon = joined("lat")[at], joined("lon")[at]
    weight = joined("weight")[at] / np.maximum(accuracy_m[at], 5.0)
    local_us = joined("local_us")[at]
    hours, local = local_hours(local_us), local_ordinals(local_us)
    has_utc = joined("has_utc")[at]
    utc_us = np.where(has_utc, joined("utc_us")[at], 0)
    part, day = bins_of(hours, local)
    phi, lmb = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    xyz = (weight * cos_phi * np.cos(lmb), weight * cos_phi * np.sin(lmb), weight * np.sin(phi))
    usable_all = index.tolist()
    ends = np.cumsum(usable_of).tolist()
    for j, k in enumerate(columnar):
        analysis = out[k][0]
        skipped = analysis.excluded
        skipped.update(people[k][2] or {})
        if left_out[j]:
            span = slice(int(starts[j]), int(starts[j] + sizes[j]))
            _count_unusable(low[span], old[span], no_time[span], skipped)
        if not usable_of[j]:
            analysis.note = _excluded_note(skipped)
            continue
        a, b = ends[j] - int(usable_of[j]), ends[j]
        analysis.usable = usable_all[a:b]
        out[k] = (analysis, _Points(
            index[a:b], lat[a:b], lon[a:b], part[a:b], day[a:b], local[a:b], utc_us[a:b],
            has_utc[a:b], (xyz[0][a:b], xyz[1][a:b], xyz[2][a:b]), hours[a:b],
        ))  # fmt: skip
    return out


@dataclass(slots=True)
class _Groups:
    """A person's days from first to last point, travel groups, each home-scale cluster's
    workplace-scale group and the cluster slept in most (`_slept_in_most`)."""

    person_span: int
    travel: set[int]
    group_of_fine: dict[int, int]
    home: int | None


def _person_spans(points: Sequence[_Points]) -> list[int]:
    """Each person's days from their first to their last point, both counted (every person
    has a point): the maxima and minima of all of them at once (whole numbers)."""
    local = np.concatenate([p.local for p in points])
    sizes = np.array([p.local.size for p in points])
    starts = np.cumsum(sizes) - sizes
    spans = np.maximum.reduceat(local, starts) - np.minimum.reduceat(local, starts) + 1
    return list(spans.tolist())


def _location_groups(
    analysis: PersonAnalysis,
    points: _Points,  # noqa: ARG001  (the `_draft` arguments, in their order)
    fine_labels: NDArray[np.int64],
    coarse_labels: NDArray[np.int64],
    fine: dict[int, Candidate],
    coarse: dict[int, Candidate],
    params: InferenceParams,
    person_span: int,
) -> _Groups:
    """A person's travel groups (set on `analysis`) and their home-scale clusters' groups."""
    travel = _travel_groups(coarse, person_span, params)
    analysis.travel = [coarse[label] for label in sorted(travel)]
    # Locations of the model: home-scale clusters, the rest of each group, isolated points.
    # A home-scale cluster belongs to the group of its last point.
    last_of_fine = np.full(max(fine) + 1 if fine else 0, -1, dtype=np.int64)
    in_fine = np.flatnonzero(fine_labels >= 0)
    last_of_fine[fine_labels[in_fine]] = in_fine  # later positions overwrite earlier ones
    group_of_fine = {f: int(coarse_labels[last_of_fine[f]]) for f in fine}
    return _Groups(person_span, travel, group_of_fine, _slept_in_most(fine, group_of_fine, travel))


def _far_from_beds(
    people: Sequence[tuple[_Points, NDArray[np.int64], int | None]],
    params: InferenceParams,
) -> list[NDArray[np.bool_] | None]:
    """`_split_work_spot_from_home`'s first test for many people at once: for each (points,
    home-scale labels, home cluster or None), which of the home cluster's points lie farther
    than `eps_m` from the bed (`_bed_distances_m`), when some do and none of them at night
    (else None: no spot to split off)."""
    out: list[NDArray[np.bool_] | None] = [None] * len(people)
    if not people:
        return out
    distance_m, mine, night = _bed_distances_m(people)
    sizes = np.array([p.local.size for p, _, _ in people], dtype=np.int64)
    owner = np.repeat(np.arange(len(people), dtype=np.int64), sizes)
    far = mine & (distance_m > params.eps_m)  # (NaN for people without a bed: never far)
    far_of = np.bincount(owner[far], minlength=len(people))
    far_at_night = np.bincount(owner[far & night], minlength=len(people))
    starts = (np.cumsum(sizes) - sizes).tolist()
    for k in np.flatnonzero((far_of > 0) & (far_at_night == 0)).tolist():
        out[k] = far[starts[k] : starts[k] + int(sizes[k])]
    return out


def _bed_distances_m(
    people: Sequence[tuple[_Points, NDArray[np.int64], int | None]],
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
    """For many people's (points, home-scale labels, home cluster or None), their points
    joined: each home cluster point's distance from the person's bed (the centre of the
    cluster's night points; NaN elsewhere and for people with no night there), whether it is
    in the home cluster, and whether at night. Each bed from the person's own sums (numpy
    sums each run of night points pairwise, as the person's masked array alone); the
    distances element by element for all people at once, as `haversine_m_array` computes
    them with the bed's radians and cosine from `math` (the same floats)."""
    sizes = np.array([p.local.size for p, _, _ in people], dtype=np.int64)
    owner = np.repeat(np.arange(len(people), dtype=np.int64), sizes)
    labels = np.concatenate([labels for _, labels, _ in people])
    home = np.array([-2 if h is None else h for _, _, h in people], dtype=np.int64)
    part = np.concatenate([p.part for p, _, _ in people])
    mine = labels == home[owner]  # (-2: no home; labels are -1 or more)
    night = mine & ((part == WEEKNIGHT) | (part == WEEKEND_NIGHT))
    at_night = np.flatnonzero(night)
    nights = np.bincount(owner[at_night], minlength=len(people))
    ends = np.cumsum(nights).tolist()
    xyz = [np.concatenate([p.xyz[k] for p, _, _ in people])[at_night] for k in range(3)]
    beds: list[tuple[float, float]] = []
    has_bed = nights > 0
    for k in np.flatnonzero(has_bed).tolist():
        a, b = ends[k] - int(nights[k]), ends[k]
        bed = centre_of_sums(*(float(np.add.reduce(v[a:b])) for v in xyz))
        beds.append((math.radians(bed.lat), math.radians(bed.lon)))
    distance_m = np.full(labels.size, np.nan)
    at = np.flatnonzero(mine & has_bed[owner])  # the home clusters' points of people with a bed
    if not at.size:
        return distance_m, mine, night
    per = np.bincount(owner[at], minlength=len(people))[has_bed]
    phi1 = np.radians(np.concatenate([p.lat for p, _, _ in people])[at])
    dphi = np.repeat([phi for phi, _ in beds], per) - phi1
    dlmb = np.repeat([lmb for _, lmb in beds], per) - np.radians(
        np.concatenate([p.lon for p, _, _ in people])[at]
    )
    cos_bed = np.repeat([math.cos(phi) for phi, _ in beds], per)
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * cos_bed * np.sin(dlmb / 2) ** 2
    distance_m[at] = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return distance_m, mine, night


_NO_LABELS = np.zeros(0, dtype=np.int64)


@dataclass(slots=True)
class _Draft:
    """A person's role problem before its counts: each point's location row (-1: travel),
    the isolated points' row, and the rest of `RoleProblem` that is read per person."""

    row: NDArray[np.int64]
    isolated_row: int
    loc_group: list[int]
    home_rows: list[int]
    work_cands: list[int]
    second: list[int]
    moves: list[_MoveOption]
    person_span: int
    far_from_home: list[list[int]]
    bag: bool
    # What `row` is made of (`_point_rows`; `_rows_of_people` makes many at once): the
    # points' home-scale and workplace-scale labels, the home-scale clusters outside
    # travel, the groups' rest, the travel groups and how many home-scale labels there are.
    labels: tuple[NDArray[np.int64], NDArray[np.int64]] = (_NO_LABELS, _NO_LABELS)
    fine_ids: list[int] = field(default_factory=list)
    rest_ids: list[int] = field(default_factory=list)
    travel: set[int] = field(default_factory=set)
    fine_size: int = 0


def _role_problems(
    people: Sequence[
        tuple[
            PersonAnalysis,
            _Points,
            NDArray[np.int64],
            NDArray[np.int64],
            dict[int, Candidate],
            dict[int, Candidate],
        ]
    ],
    params: InferenceParams,
) -> list[RoleProblem]:
    """The rest of `analyse_person` once each person's candidates are built, up to the role
    model's fit: their locations and candidates (set on each analysis), and what the fit
    takes (`fit_roles_many` fits many people's at once; `_take_fit` reads the fit). The
    distinct days per location and part of the week, the hour counts and the workplaces'
    rota and fixed weekdays' evidence are counted for all the people at once (whole numbers,
    exact in any order; `rota_log_bayes_factors` sums each day set as alone,
    `schedule_log_bayes_factors_of_people` each place's row as alone)."""
    if not people:
        return []
    points_of = [person[1] for person in people]
    spans = _person_spans(points_of)
    groups = [_location_groups(*person, params, span) for person, span in zip(people, spans, strict=True)]  # fmt: skip
    far = _far_from_beds(
        [(p, person[2], g.home) for person, p, g in zip(people, points_of, groups, strict=True)],
        params,
    )  # fmt: skip
    drafts = [_draft(*person, params, (g, f)) for person, g, f in zip(people, groups, far, strict=True)]  # fmt: skip
    row = _rows_of_people(drafts)
    moves = _moves_of_people([person[0].home_candidates for person in people], params)
    for d, person_moves in zip(drafts, moves, strict=True):
        d.moves = person_moves
    homes = [person[0].home_candidates for person in people]
    works = [person[0].work_candidates for person in people]
    bands = iter(_commute_bands(
        [h.position for hs, ws in zip(homes, works, strict=True) for h in hs for _ in ws],
        [w.position for hs, ws in zip(homes, works, strict=True) for _ in hs for w in ws],
    ))  # fmt: skip
    for d, hs, ws in zip(drafts, homes, works, strict=True):
        d.far_from_home = [[next(bands) for _ in ws] for _ in hs]
    ends = np.cumsum([d.labels[0].size for d in drafts]).tolist()
    for d, a, b in zip(drafts, [0, *ends[:-1]], ends, strict=True):
        d.row = row[a:b]
    points = [person[1] for person in people]
    night_places = _night_places_of_people([
        (d.row, d.home_rows, p.local, p.hour, p.part, len(d.loc_group))
        for d, p in zip(drafts, points, strict=True)
    ])  # fmt: skip
    sizes = np.array([p.part.size for p in points], dtype=np.int64)
    owner = np.repeat(np.arange(len(drafts)), sizes)
    n_rows = np.array([len(d.loc_group) for d in drafts], dtype=np.int64)
    row_base = np.cumsum(n_rows) - n_rows
    part = np.concatenate([p.part for p in points])
    day = np.concatenate([p.day for p in points])
    hour = np.concatenate([p.hour for p in points])
    isolated = row == np.array([d.isolated_row for d in drafts], dtype=np.int64)[owner]
    kept = row >= 0
    cell = (row + row_base[owner]) * N_BINS + part  # the person's (location, part) cell
    clustered = kept & ~isolated
    # Distinct days per location and part of the week; isolated points are each their own
    # place, so every one of them counts.
    distinct = sorted_distinct((cell[clustered] << 32) | day[clustered]) >> 32
    counts = np.bincount(np.concatenate([distinct, cell[kept & isolated]]),
                         minlength=int(n_rows.sum()) * N_BINS).astype(np.float64)  # fmt: skip
    # Distinct (day, local hour) observations per part of the week and hour.
    hour_cell = (owner * N_BINS + part) * 24 + hour
    hours = np.bincount(sorted_distinct((hour_cell[kept] << 32) | day[kept]) >> 32,
                        minlength=len(drafts) * N_BINS * 24).astype(np.float64)  # fmt: skip
    hours = hours.reshape(len(drafts), N_BINS, 24)
    # The same per location (`roles.location_hour_terms`): isolated points included.
    loc_hours = np.bincount(sorted_distinct(((cell[kept] * 24 + hour[kept]) << 32) | day[kept]) >> 32,
                            minlength=int(n_rows.sum()) * N_BINS * 24).astype(np.float64)  # fmt: skip
    work = [cand for person in people for cand in person[0].work_candidates]
    rota_days = [_rota_days(cand) for cand in work]
    rota = iter(rota_log_bayes_factors([days for days, _ in rota_days],
                                       [hours for _, hours in rota_days]))  # fmt: skip
    schedule = schedule_log_bayes_factors_of_people([
        ([_work_hour_days(cand) for cand in person[0].work_candidates],
         points[k].day[(d.row >= 0) & (points[k].part == WORK_HOURS)])
        for k, (person, d) in enumerate(zip(people, drafts, strict=True))
    ])  # fmt: skip
    problems = []
    for k, d in enumerate(drafts):
        base = int(row_base[k]) * N_BINS
        own = counts[base : base + len(d.loc_group) * N_BINS].reshape(len(d.loc_group), N_BINS)
        problems.append(
            RoleProblem(
                own,
                d.loc_group,
                d.home_rows,
                d.work_cands,
                d.second,
                d.moves,
                float(own[d.isolated_row].sum()),
                d.person_span / 365.25,
                THIN_HOME_DAYS,
                hour_counts=hours[k],
                work_rota_log_bf=[next(rota) for _ in d.work_cands],
                far_from_home=d.far_from_home,
                bag=d.bag,
                work_schedule_log_bf=schedule[k],
                night_locs=night_places[k],
                loc_hour_counts=loc_hours[
                    base * 24 : (base + len(d.loc_group) * N_BINS) * 24
                ].reshape(len(d.loc_group), N_BINS, 24),
            )
        )
    return problems


def _may_be_workplace(cand: Candidate, thin_work_days: int) -> bool:
    """Whether a place takes part as a possible workplace: seen on `thin_work_days` days in
    any part of the week, one of them on a weekday or at night (`THIN_WORK_DAYS`)."""
    if cand.n_duty_dates >= thin_work_days:
        return True
    return cand.count("days") >= thin_work_days and (
        cand.n_duty_dates >= 1 or cand.count("nights") >= 1
    )


def _work_rank(cand: Candidate) -> tuple[int, int]:
    """The order work candidates are kept in, best first: weekdays seen, then points."""
    return (cand.n_duty_dates, len(cand.indices))


def _draft(
    analysis: PersonAnalysis,
    points: _Points,
    fine_labels: NDArray[np.int64],
    coarse_labels: NDArray[np.int64],
    fine: dict[int, Candidate],
    coarse: dict[int, Candidate],
    params: InferenceParams,
    grouped: tuple[_Groups, NDArray[np.bool_] | None] | None = None,
) -> _Draft:
    """A person's locations and candidates (set on `analysis`) and their role problem but
    the counts. `grouped`: the person's `_location_groups` and what `_far_from_beds` found
    for them, when made for many people at once (else made here)."""
    unsplit = fine
    if grouped is None:
        span = int(points.local.max() - points.local.min()) + 1
        groups = _location_groups(analysis, points, fine_labels, coarse_labels, fine, coarse,
                                  params, span)  # fmt: skip
        fine_labels, fine = _split_work_spot_from_home(
            analysis.evidence, points, fine, groups.group_of_fine, groups.travel, fine_labels,
            params,
        )  # fmt: skip
    else:
        groups, far = grouped
        if far is not None:  # the rare person whose home cluster may hold a work spot
            fine_labels, fine = _split_work_spot_from_home(
                analysis.evidence, points, fine, groups.group_of_fine, groups.travel,
                fine_labels, params, far,
            )  # fmt: skip
    person_span, travel, group_of_fine = groups.person_span, groups.travel, groups.group_of_fine
    # (the place slept in most again only when a work spot was split off from it)
    home = groups.home if fine is unsplit else _slept_in_most(fine, group_of_fine, travel)
    coarse_labels, coarse = _split_from_home_group(
        analysis.evidence, fine, coarse, group_of_fine, home, coarse_labels, fine_labels, params
    )  # fmt: skip
    fine_ids = sorted(f for f in fine if group_of_fine[f] not in travel)
    in_travel = (
        np.isin(coarse_labels, sorted(travel)) & (coarse_labels >= 0)
        if travel
        else np.zeros(coarse_labels.size, dtype=bool)
    )
    rest_ids = sorted(set(coarse_labels[(fine_labels < 0) & (coarse_labels >= 0) & ~in_travel]
                          .tolist()))  # fmt: skip
    isolated_row = len(fine_ids) + len(rest_ids)
    loc_group = [group_of_fine[f] for f in fine_ids] + rest_ids + [-1]
    fine_size = max(fine, default=-1) + 1
    # (the rows of many people's points are made at once: `_rows_of_people`)
    row = (
        _point_rows(fine_labels, coarse_labels, fine_ids, rest_ids, travel, fine_size)
        if grouped is None
        else _NO_LABELS
    )

    # Home candidates include places seen on too few days to be given as a home: when the
    # real home is one of those, the posterior must be able to say "the home is there, not
    # at the workplace seen on four weekdays" (and then abstain), not only "home unseen".
    home_cands = sorted(
        (f for f in fine_ids if fine[f].n_dates >= THIN_HOME_DAYS),
        key=lambda f: (fine[f].n_dates, len(fine[f].indices)), reverse=True,
    )[:MAX_HOME_CANDIDATES]  # fmt: skip
    thin_work_days = min(THIN_WORK_DAYS, params.min_base_days)
    work_cands = sorted(
        (c for c in coarse if c not in travel and _may_be_workplace(coarse[c], thin_work_days)),
        key=lambda c: _work_rank(coarse[c]), reverse=True,
    )[:MAX_WORK_CANDIDATES]  # fmt: skip
    row_of_fine = {f: k for k, f in enumerate(fine_ids)}
    home_rows = [row_of_fine[f] for f in home_cands]
    second = [
        k for k, f in enumerate(home_cands)
        if fine[f].count("weekend_nights") >= 2  # a residence is slept in
    ][:MAX_SECOND_CANDIDATES]  # fmt: skip
    # (many people's moves are offered at once: `_moves_of_people`)
    moves = _moves([fine[f] for f in home_cands], params) if grouped is None else []
    analysis.home_candidates = [fine[f] for f in home_cands]
    analysis.work_candidates = [coarse[c] for c in work_cands]
    analysis.others = [fine[f] for f in fine_ids if f not in home_cands]
    analysis.layout = Layout(loc_group, home_rows, list(work_cands))
    return _Draft(
        row,
        isolated_row,
        loc_group,
        home_rows,
        work_cands,
        second,
        moves,
        person_span,
        # (many people's bands are read at once: `_commute_bands`)
        far_from_home=[
            [commute_band(_distance(fine[f].position, coarse[c].position)) for c in work_cands]
            for f in home_cands
        ]
        if grouped is None
        else [],
        bag=any(_home_ready(fine[f], params) for f in home_cands),
        labels=(fine_labels, coarse_labels),
        fine_ids=fine_ids,
        rest_ids=rest_ids,
        travel=travel,
        fine_size=fine_size,
    )


def _point_rows(
    fine_labels: NDArray[np.int64],
    coarse_labels: NDArray[np.int64],
    fine_ids: list[int],
    rest_ids: list[int],
    travel: set[int],
    fine_size: int,
) -> NDArray[np.int64]:
    """Each of a person's points' location row: its home-scale cluster's (its position in
    `fine_ids`), else the rest of its group's (after them, in `rest_ids`), else the
    isolated row (the last); -1 for points in travel groups. `fine_size`: the home-scale
    labels' count (a spot split off has the largest)."""
    isolated_row = len(fine_ids) + len(rest_ids)
    in_travel = (
        np.isin(coarse_labels, sorted(travel)) & (coarse_labels >= 0)
        if travel
        else np.zeros(coarse_labels.size, dtype=bool)
    )
    # (the last entry: no cluster)
    row_of_fine = np.full(fine_size + 1, -1, dtype=np.int64)
    row_of_fine[fine_ids] = np.arange(len(fine_ids))
    row_of_group = np.full(int(coarse_labels.max(initial=-1)) + 2, isolated_row, dtype=np.int64)
    row_of_group[rest_ids] = len(fine_ids) + np.arange(len(rest_ids))
    row = np.where(fine_labels >= 0, row_of_fine[fine_labels], row_of_group[coarse_labels])
    row[in_travel] = -1
    return row


def _rows_of_people(drafts: Sequence[_Draft]) -> NDArray[np.int64]:
    """`_point_rows` of each draft's points, joined (each person's in order): every
    person's tables of rows by label laid end to end, each point's row read from its
    person's, all at once (the same whole numbers)."""
    people = len(drafts)
    fine = np.concatenate([d.labels[0] for d in drafts])
    coarse = np.concatenate([d.labels[1] for d in drafts])
    sizes = np.array([d.labels[0].size for d in drafts], dtype=np.int64)
    owner = np.repeat(np.arange(people, dtype=np.int64), sizes)
    starts = np.cumsum(sizes) - sizes
    n_fine = np.array([len(d.fine_ids) for d in drafts], dtype=np.int64)
    n_rest = np.array([len(d.rest_ids) for d in drafts], dtype=np.int64)
    isolated = n_fine + n_rest
    fine_size = np.array([d.fine_size for d in drafts], dtype=np.int64)
    fine_base = np.cumsum(fine_size) - fine_size
    # Each person's workplace-scale labels' count (every person has a point).
    group_size = (
        np.maximum.reduceat(coarse, starts) + 1 if coarse.size else np.zeros(people, dtype=np.int64)
    )
    group_base = np.cumsum(group_size) - group_size

    def positions(counts: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The owner of each of `counts` entries a person, and its place among theirs."""
        of = np.repeat(np.arange(people, dtype=np.int64), counts)
        return of, np.arange(of.size) - (np.cumsum(counts) - counts)[of]

    fine_ids = np.fromiter(itertools.chain.from_iterable(d.fine_ids for d in drafts),
                           dtype=np.int64, count=int(n_fine.sum()))  # fmt: skip
    of, at = positions(n_fine)
    row_of_fine = np.full(int(fine_size.sum()), -1, dtype=np.int64)
    row_of_fine[fine_base[of] + fine_ids] = at
    rest_ids = np.fromiter(itertools.chain.from_iterable(d.rest_ids for d in drafts),
                           dtype=np.int64, count=int(n_rest.sum()))  # fmt: skip
    of, at = positions(n_rest)
    row_of_group = np.repeat(isolated, group_size)
    row_of_group[group_base[of] + rest_ids] = n_fine[of] + at
    in_fine, in_group = fine >= 0, coarse >= 0
    row = np.where(
        in_fine,
        row_of_fine[np.where(in_fine, fine_base[owner] + fine, 0)] if row_of_fine.size else -1,
        np.where(in_group, row_of_group[np.where(in_group, group_base[owner] + coarse, 0)]
                 if row_of_group.size else 0, isolated[owner]),
    )  # fmt: skip
    travel = [(k, sorted(d.travel)) for k, d in enumerate(drafts) if d.travel]
    if travel:
        is_travel = np.zeros(row_of_group.size, dtype=bool)
        is_travel[np.concatenate([group_base[k] + np.array(t, dtype=np.int64)
                                  for k, t in travel])] = True  # fmt: skip
        row[in_group & is_travel[np.where(in_group, group_base[owner] + coarse, 0)]] = -1
    return np.asarray(row, dtype=np.int64)


# A place slept at on some nights (`roles.NIGHT_PLACE_SHARE`) is told from a night worker's
# workplace by the morning after: a guest leaves in the morning and is up and about, a night
# worker sleeps after the shift (~85 % of night workers are asleep at 10:00-13:59 on work
# days: `roles.ASLEEP_NIGHT_WORKDAY`, against ~6 % of people on a day off). A home candidate
# may be one where the person was seen there in the night or early morning
# (`NIGHT_PLACE_HOURS`, the night into a day) and at no other home candidate in that night,
# and elsewhere in the late morning of that day (`LATE_MORNING_HOURS`), on
# `NIGHT_PLACE_MORNINGS` days or more (a workplace reached at 07:30 from the home left at
# 07:00 is no night there), and, being slept at on
# *some* nights, where another home candidate is seen on more nights (evening to morning,
# `EVENING_TO_MORNING_HOURS`). On the development families the four partners' homes given
# as bases had 15, 8, 18 and 0 such mornings, and 90 of 96 night, rotating and
# evening-shift workers' workplaces 0 or 1, no thinly seen one any.
# A guest who posts little in the late morning leaves no morning after to read, so a place
# may also be one where the person *arrived in the evening and stayed past midnight*: seen
# there in the evening (`EVENING_ARRIVAL_HOURS`, 17-22) and after midnight
# (`AFTER_MIDNIGHT_HOURS`, 00-10) of the same night, at no other home candidate then, on
# `NIGHT_PLACE_MORNINGS` nights or more, and never in the working day (weekdays 09-17). Most
# night shifts start at 22-23 and evening shifts end by midnight (BLS USDL-19-1691: evening
# shifts "most hours between 2 p.m. and midnight", night shifts "between 9 p.m. and 8 a.m."),
# so neither workplace has such stays; a rotating 12-hour rota's workplace has them on its
# night shifts and is seen on its day shifts, in the working day. What is left alike is a
# permanent 12-hour night shift from 19:00; the role model tells it by how many nights the
# place takes (at most `roles.NIGHT_PLACE_MAX_SHARE`) and when the person sleeps.
NIGHT_PLACE_HOURS = (22, 23, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
LATE_MORNING_HOURS = (10, 11, 12, 13)
EVENING_ARRIVAL_HOURS = (17, 18, 19, 20, 21)
AFTER_MIDNIGHT_HOURS = NIGHT_PLACE_HOURS[2:]
EVENING_TO_MORNING_HOURS = (*EVENING_ARRIVAL_HOURS, *NIGHT_PLACE_HOURS)
NIGHT_PLACE_MORNINGS = 2


def _night_places(
    row: NDArray[np.int64],
    home_rows: Sequence[int],
    local: NDArray[np.int64],
    hour: NDArray[np.int64],
    part: NDArray[np.int64],
) -> list[int]:
    """The home candidates (indexes into `home_rows`) that may be a place slept at on some
    nights, with another home candidate seen on more nights: on `NIGHT_PLACE_MORNINGS` nights
    or more at no other home candidate then, either seen there in `NIGHT_PLACE_HOURS` of the
    night and elsewhere (any other location row, travel included) in `LATE_MORNING_HOURS` of
    the day it ends in, or, never seen there in the working day, seen there in
    `EVENING_ARRIVAL_HOURS` and `AFTER_MIDNIGHT_HOURS` of the night; at most
    `MAX_SECOND_CANDIDATES`. One entry per point: its location row, local date (ordinal),
    hour and part of the week. The readable definition, one
    person at a time: `_role_problems` takes `_night_places_of_people`, which gives each
    person the same (a test checks it), so a change here goes into both."""
    if len(home_rows) < 2:  # another candidate must hold more nights
        return []
    # Each point's home candidate (-1: none) and the night it belongs to (from the evening).
    lookup = np.full(int(max(home_rows)) + 2, -1, dtype=np.int64)
    lookup[np.asarray(home_rows, dtype=np.int64)] = np.arange(len(home_rows))
    cand = np.where(row >= 0, lookup[np.minimum(row, lookup.size - 1)], -1)
    morning = hour < LATE_MORNING_HOURS[0]
    at_home = cand >= 0
    at_night = at_home & (morning | (hour >= NIGHT_PLACE_HOURS[0]))
    if not (np.bincount(cand[at_night], minlength=len(home_rows)) >= NIGHT_PLACE_MORNINGS).any():
        return []  # (most people: no second place seen at night on two days)
    night_day = np.where(hour >= WORK_END_H, local + 1, local)
    # Nights (evening to morning) per candidate, and the nights each was seen in at night.
    evening_on = at_home & (morning | (hour >= EVENING_TO_MORNING_HOURS[0]))
    nights_at = np.bincount(sorted_distinct(cand[evening_on] * (1 << 32) + night_day[evening_on])
                            >> 32, minlength=len(home_rows))  # fmt: skip
    pairs = sorted_distinct(cand[at_night] * (1 << 32) + night_day[at_night])
    nights, whose = pairs & ((1 << 32) - 1), pairs >> 32
    days, seen_by = np.unique(nights, return_counts=True)
    shared = np.isin(nights, days[seen_by > 1])  # nights seen at two candidates or more
    late = (hour >= LATE_MORNING_HOURS[0]) & (hour <= LATE_MORNING_HOURS[-1])
    arrived = at_home & (hour >= EVENING_ARRIVAL_HOURS[0]) & (hour <= EVENING_ARRIVAL_HOURS[-1])
    stayed = at_home & (hour >= AFTER_MIDNIGHT_HOURS[0]) & (hour <= AFTER_MIDNIGHT_HOURS[-1])
    in_day = np.bincount(cand[at_home & (part == WORK_HOURS) & (hour >= LATE_MORNING_HOURS[0])],
                         minlength=len(home_rows))  # fmt: skip
    out = []
    for k in range(len(home_rows)):
        mornings = nights[(whose == k) & ~shared]
        if nights_at[k] >= nights_at.max() or mornings.size < NIGHT_PLACE_MORNINGS:
            continue  # (the place of most nights is no place of *some* nights)
        then_out = np.isin(mornings, local[late & (cand != k)]).sum()
        stays = 0
        if not in_day[k]:  # arrived in the evening, still there after midnight
            stays = np.isin(mornings, np.intersect1d(night_day[arrived & (cand == k)],
                                                     local[stayed & (cand == k)])).sum()  # fmt: skip
        if then_out >= NIGHT_PLACE_MORNINGS or stays >= NIGHT_PLACE_MORNINGS:
            out.append(k)
    return out[:MAX_SECOND_CANDIDATES]


def _night_places_of_people(
    people: Sequence[
        tuple[
            NDArray[np.int64],
            Sequence[int],
            NDArray[np.int64],
            NDArray[np.int64],
            NDArray[np.int64],
            int,
        ]
    ],
) -> list[list[int]]:
    """`_night_places(row, home_rows, local, hour, part)` of each (row, home_rows, local,
    hour, part, rows), many people at once (`rows`: the person's number of location rows,
    above every row of theirs). The same steps on every person's points together: each home candidate
    numbered after the people's before, the points of no home candidate (-1) given a number
    of their person's own, and every count a count of distinct (candidate, day) pairs,
    whole numbers, exact in any order. (No early exit: the per-person one only skips people
    none of whose candidates could pass.)"""
    out: list[list[int]] = [[] for _ in people]
    chosen = [k for k, person in enumerate(people) if len(person[1]) >= 2]
    if not chosen:
        return out
    n_home = np.array([len(people[k][1]) for k in chosen], dtype=np.int64)
    cand_base = np.cumsum(n_home) - n_home  # each person's first candidate
    n_cands = int(n_home.sum())
    n_rows = np.array([people[k][5] for k in chosen], dtype=np.int64)
    row_base = np.cumsum(n_rows) - n_rows
    owner = np.repeat(np.arange(len(chosen)), [people[k][0].size for k in chosen])
    row = np.concatenate([people[k][0] for k in chosen])
    local = np.concatenate([people[k][2] for k in chosen])
    hour = np.concatenate([people[k][3] for k in chosen])
    part = np.concatenate([people[k][4] for k in chosen])
    # Each point's home candidate (-1: none), as the person's lookup gives it.
    lookup = np.full(int(n_rows.sum()), -1, dtype=np.int64)
    home_at = np.concatenate([np.asarray(people[k][1], dtype=np.int64) for k in chosen])
    lookup[np.repeat(row_base, n_home) + home_at] = np.arange(n_cands)
    cand = np.where(row >= 0, lookup[np.maximum(row, 0) + row_base[owner]], -1)
    cand_owner = np.repeat(np.arange(len(chosen)), n_home)
    morning = hour < LATE_MORNING_HOURS[0]
    at_home = cand >= 0
    at_night = at_home & (morning | (hour >= NIGHT_PLACE_HOURS[0]))
    night_day = np.where(hour >= WORK_END_H, local + 1, local)
    # Nights (evening to morning) per candidate, and the nights each was seen in at night.
    evening_on = at_home & (morning | (hour >= EVENING_TO_MORNING_HOURS[0]))
    nights_at = np.bincount(sorted_distinct(cand[evening_on] * (1 << 32) + night_day[evening_on])
                            >> 32, minlength=n_cands)  # fmt: skip
    pairs = sorted_distinct(cand[at_night] * (1 << 32) + night_day[at_night])
    nights, whose = pairs & ((1 << 32) - 1), pairs >> 32
    # Nights seen at two of the person's candidates or more.
    _, where, seen_by = np.unique(cand_owner[whose] * (1 << 32) + nights, return_inverse=True,
                                  return_counts=True)  # fmt: skip
    alone = seen_by[where] == 1
    # Late mornings: each point's candidate, or its person's own number when it has none.
    late = (hour >= LATE_MORNING_HOURS[0]) & (hour <= LATE_MORNING_HOURS[-1])
    place = np.where(cand >= 0, cand, n_cands + owner)
    place_owner = np.concatenate([cand_owner, np.arange(len(chosen))])
    late_at = sorted_distinct(place[late] * (1 << 32) + local[late])  # distinct (place, day)
    late_people, late_places = np.unique(
        place_owner[late_at >> 32] * (1 << 32) + (late_at & ((1 << 32) - 1)), return_counts=True
    )  # the distinct places of each (person, day) in the late morning
    # A morning is out when the person was somewhere other than the candidate then.
    key = cand_owner[whose] * (1 << 32) + nights
    at = np.minimum(np.searchsorted(late_people, key), max(late_people.size - 1, 0))
    places_then = np.where(late_people[at] == key, late_places[at], 0) if late_people.size else 0
    mine = np.minimum(np.searchsorted(late_at, pairs), max(late_at.size - 1, 0))
    there = (late_at[mine] == pairs) if late_at.size else np.zeros(pairs.size, dtype=bool)
    out_then = alone & (places_then - there >= 1)
    # Or stays: arrived there in the evening and still there after midnight of the night,
    # at a candidate never seen in the working day.
    arrived = at_home & (hour >= EVENING_ARRIVAL_HOURS[0]) & (hour <= EVENING_ARRIVAL_HOURS[-1])
    stayed = at_home & (hour >= AFTER_MIDNIGHT_HOURS[0]) & (hour <= AFTER_MIDNIGHT_HOURS[-1])
    in_day = np.bincount(cand[at_home & (part == WORK_HOURS) & (hour >= LATE_MORNING_HOURS[0])],
                         minlength=n_cands)  # fmt: skip
    stay = (alone & sorted_isin(pairs, cand[arrived] * (1 << 32) + night_day[arrived])
            & sorted_isin(pairs, cand[stayed] * (1 << 32) + local[stayed]))  # fmt: skip
    mornings = np.bincount(whose[alone], minlength=n_cands)
    then_out = np.bincount(whose[out_then], minlength=n_cands)
    stays = np.bincount(whose[stay], minlength=n_cands)
    most = np.maximum.reduceat(nights_at, cand_base)
    some = ((nights_at < most[cand_owner]) & (mornings >= NIGHT_PLACE_MORNINGS)
            & ((then_out >= NIGHT_PLACE_MORNINGS)
               | ((in_day == 0) & (stays >= NIGHT_PLACE_MORNINGS))))  # fmt: skip
    for c in np.flatnonzero(some).tolist():
        person = int(cand_owner[c])
        out[chosen[person]].append(c - int(cand_base[person]))
    return [found[:MAX_SECOND_CANDIDATES] for found in out]


def _slept_in_most(
    fine: dict[int, Candidate], group_of_fine: dict[int, int], travel: set[int]
) -> int | None:
    """The home-scale cluster seen at night on the most nights, at least `THIN_HOME_DAYS`
    (then on the most days), outside travel groups: the likeliest home; None if none."""
    slept = [f for f, g in group_of_fine.items()
             if g >= 0 and g not in travel and fine[f].count("nights") >= THIN_HOME_DAYS]  # fmt: skip
    if not slept:
        return None
    return max(slept, key=lambda f: (fine[f].count("nights"), fine[f].n_dates, -f))


# A home-scale cluster is a chain of points within `eps_m` of each other, so a workplace a
# little farther than that from the bed (a building of the base, hospital or farm a person
# lives on, 100-300 m from their quarters) can be chained to the home by the posts between
# them and make one place with it: the days at work then count as days at home, and the
# person reads as working from home ("no workplace away from home"), which no colleague's
# evidence can undo. `_split_work_spot_from_home` gives that spot a row of its own.


def _split_work_spot_from_home(
    evidence: Sequence[Evidence],
    points: _Points,
    fine: dict[int, Candidate],
    group_of_fine: dict[int, int],
    travel: set[int],
    fine_labels: NDArray[np.int64],
    params: InferenceParams,
    far: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.int64], dict[int, Candidate]]:
    """In the home-scale cluster slept in most (seen at night on the most nights, at least
    `THIN_HOME_DAYS`: the likeliest home), the points farther than `eps_m` from where the
    person is at night (the centre of its night points) become a home-scale cluster of their
    own, in the same workplace-scale group, when they are seen in working hours on
    `THIN_WORK_DAYS` weekdays or more and never at night: a place worked at within the
    chain, not the bed. Whether it is a workplace (and the person lives at work) stays the
    role model's question. A home worker's posts in the day are where the night's are (the
    same building: on the development corpora the working-hours and night posts of a home
    cluster lie a median 9 m apart for people with no workplace, 0.8 % of them 50 m or
    more), so their home stays whole. `group_of_fine` is updated in place; returns the
    points' home-scale labels and the clusters' candidates. `far`: the home cluster's points
    far from the bed, when `_far_from_beds` found them for many people at once."""
    home = _slept_in_most(fine, group_of_fine, travel)
    if home is None:
        return fine_labels, fine
    mine = fine_labels == home
    if far is None:
        night = mine & ((points.part == WEEKNIGHT) | (points.part == WEEKEND_NIGHT))
        if not night.any():
            return fine_labels, fine
        bed = centre_of_sums(*(float(v[night].sum()) for v in points.xyz))
        # The distances of the cluster's points only (element by element: each the same float).
        at = np.flatnonzero(mine)
        far = np.zeros_like(mine)
        far[at] = (haversine_m_array(points.lat[at], points.lon[at], bed.lat, bed.lon)
                   > params.eps_m)  # fmt: skip
        if not far.any() or (far & night).any():
            return fine_labels, fine
    thin_work_days = min(THIN_WORK_DAYS, params.min_base_days)
    worked = sorted_distinct(points.local[far & (points.part == WORK_HOURS)])
    if worked.size < thin_work_days:
        return fine_labels, fine
    label = max(fine) + 1
    fine = dict(fine)
    fine[home] = _make_candidate(evidence, points.index[mine & ~far].tolist())
    fine[label] = _make_candidate(evidence, points.index[far].tolist())
    group_of_fine[label] = group_of_fine[home]
    return np.where(far, label, fine_labels), fine


def _split_from_home_group(
    evidence: Sequence[Evidence],
    fine: dict[int, Candidate],
    coarse: dict[int, Candidate],
    group_of_fine: dict[int, int],
    home: int | None,
    coarse_labels: NDArray[np.int64],
    fine_labels: NDArray[np.int64],
    params: InferenceParams,
) -> tuple[NDArray[np.int64], dict[int, Candidate]]:
    """Workplace-scale groups are chains of points within `work_eps_m` of each other, so in a
    dense neighbourhood the group of the home can reach a workplace a kilometre or more away
    through the cafes and shops between them; as part of the home's group that workplace
    can then only be read as "living at work", with every errand of the neighbourhood at
    the workplace. In the group of the place slept in most (seen at night on the most
    nights, at least `THIN_HOME_DAYS`: the likeliest home), a home-scale cluster farther
    than `work_eps_m` from it and seen on `THIN_WORK_DAYS` weekdays or more becomes a group
    of its own (the one with the most weekdays, if several): the same place
    outside a chain is a workplace candidate of its own, and whether it is one should not
    depend on the posts in between. Not when the person is also seen in the working day, on
    `THIN_WORK_DAYS` weekdays or more, at other places of the group within `work_eps_m` of
    the home: they live on a campus-sized workplace (a base, a hospital, a university; up to
    ~1.5 km across), whose buildings are one workplace, and splitting its far building off
    puts the base on that building instead of the site (a version without this check cost
    held-out bases of people living on a site, 540-570 m off: benchmarks/README). A chained
    neighbourhood's cafes and shops are seen off work. `home`: the place slept in most
    (`_slept_in_most`, outside travel groups), None if none. `group_of_fine` is updated in
    place; returns the points' group labels and the groups' candidates."""
    if home is None:
        return coarse_labels, coarse
    thin_work_days = min(THIN_WORK_DAYS, params.min_base_days)
    far = [
        f for f, g in group_of_fine.items()
        if g == group_of_fine[home] and fine[f].n_duty_dates >= thin_work_days
        and _distance(fine[f].position, fine[home].position) > params.work_eps_m
    ]  # fmt: skip
    if not far:
        return coarse_labels, coarse
    # Seen in the working day at other places near the home: a campus-sized workplace (a
    # base, a hospital, a university) on which the person lives, whose buildings are one
    # workplace; the group stays whole.
    near_work_days: set[int] = set()
    for f, g in group_of_fine.items():
        if (g == group_of_fine[home] and f != home
                and _distance(fine[f].position, fine[home].position) <= params.work_eps_m):  # fmt: skip
            near_work_days.update(_work_hour_days(fine[f]).tolist())
    if len(near_work_days) >= thin_work_days:
        return coarse_labels, coarse
    split = max(far, key=lambda f: (fine[f].n_duty_dates, len(fine[f].indices), -f))
    group = group_of_fine[split]
    label = max(coarse) + 1
    moved = set(fine[split].indices)
    coarse = dict(coarse)
    coarse[group] = _make_candidate(evidence, [i for i in coarse[group].indices if i not in moved])
    coarse[label] = _make_candidate(evidence, fine[split].indices)
    group_of_fine[split] = label
    coarse_labels = np.where(fine_labels == split, label, coarse_labels)
    return coarse_labels, coarse


def _take_fit(
    analysis: PersonAnalysis, fit: RoleFit, marginals: Sequence[float] | None = None
) -> None:
    """Set a person's role fit and their work candidates' scores (`marginals`: the fit's
    `work_marginals`, when made for many people at once)."""
    analysis.fit = fit
    if marginals is None:
        marginals = work_marginals(fit)
    for k, cand in enumerate(analysis.work_candidates):
        cand.score = float(marginals[k])
    analysis.base_candidates = sorted(
        (c for c in analysis.work_candidates if c.score >= SITE_CANDIDATE_MIN),
        key=lambda c: c.score,
        reverse=True,
    )


def _work_hour_days(cand: Candidate) -> NDArray[np.int64]:
    """The weekdays a candidate was seen on in working hours (local date ordinals; one per
    point there when the candidate has a calendar)."""
    cal = cand.calendar
    if cal is None:
        return np.array([d.toordinal() for d in cand.work_dates], dtype=np.int64)
    days: NDArray[np.int64] = cal.local[cal.part == WORK_HOURS]
    return days


def _rota_days(cand: Candidate) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The days a work candidate was seen on and the local hour of each point on them (-1:
    not known), for `rota_log_bayes_factor`."""
    cal = cand.calendar
    if cal is None:
        days = np.array([d.toordinal() for d in cand.dates], dtype=np.int64)
        return days, np.full(days.size, -1, dtype=np.int64)
    return cal.day, cal.hour


SITE_CANDIDATE_MIN = 0.2  # workplace probability for a group to take part in the site pass

_MoveOption = tuple[int, int, date, "np.ndarray[Any, Any]", "np.ndarray[Any, Any]"]


def _moves_of_people(
    people: Sequence[Sequence[Candidate]], params: InferenceParams
) -> list[list[_MoveOption]]:
    """`_moves` of each person's home candidates, the core spans of every candidate that
    can take part in a move (a person's ready ones, when two or more are) made at once
    (`_core_spans`)."""
    ready = [[_home_ready(cand, params) for cand in cands] for cands in people]
    wanted = [(i, k) for i, flags in enumerate(ready) if sum(flags) >= 2
              for k, flag in enumerate(flags) if flag]  # fmt: skip
    spans: list[dict[int, tuple[date, date] | None]] = [{} for _ in people]
    found = _core_spans([people[i][k] for i, k in wanted])
    for (i, k), span in zip(wanted, found, strict=True):
        spans[i][k] = span
    return [
        _moves(cands, params, flags, known) if known else []
        for cands, flags, known in zip(people, ready, spans, strict=True)
    ]


def _moves(
    cands: Sequence[Candidate],
    params: InferenceParams,
    ready: list[bool] | None = None,
    spans: dict[int, tuple[date, date] | None] | None = None,
) -> list[_MoveOption]:
    """(new, old, split day, misplaced-before, misplaced-after) for pairs lived in one after
    the other: the new home's days before the split and the old one's after it.

    A move is offered between two candidates that could each be given as a home
    (`_home_ready`: `min_home_days` days in `min_home_weeks` weeks), the same evidence a
    person who did not move needs for their one home; whether the person moved is then the
    role model's question (the move prior, `RolePriors.move_rate_per_year`, against the
    readings without a move), as for every other structure. A stricter gate for moves alone
    (each place seen over 28 days and in 3 weeks, until 2026-12-02) kept the move out for
    people who moved late in the period: their new home, seen on 3 days in 2 weeks, could
    only be read as a place visited while the old home was the home, so a mover got only the
    old home and the current one was missed (development families: 306 gus.lea521, mobility
    356 vic_nia315, 358 nia_hana664; `benchmarks/README.md`, movers)."""
    options: list[tuple[int, _MoveOption]] = []
    # (`ready` and `spans`, when given: each candidate's `_home_ready`, and the `_core_span`
    # of every ready one, made by `_moves_of_people`)
    spans = {} if spans is None else spans
    ready = [_home_ready(cand, params) for cand in cands] if ready is None else ready
    for new_i, new in enumerate(cands):
        for old_i, old in enumerate(cands):
            # The counted conditions first: the day sets are built for the pairs left.
            if new_i == old_i or not (ready[new_i] and ready[old_i]):
                continue
            for k in (new_i, old_i):
                if k not in spans:
                    spans[k] = _core_span(cands[k])
            span_new, span_old = spans[new_i], spans[old_i]
            if span_new is None or span_old is None or span_new[1] <= span_old[1]:
                continue
            if _overlap_share(new, old, (span_new, span_old)) >= 0.25:
                continue
            split = span_old[1] + (span_new[0] - span_old[1]) / 2
            # A move means the residence changed: after it the new home must outweigh visits
            # back to the old one, and before it the old home the new one (the same 0.25
            # share as the span overlap). A place seen on 3 days while the old home goes on
            # being seen is a visit, not a move.
            new_before = sum(1 for d in new.dates if d < split)
            old_after = sum(1 for d in old.dates if d >= split)
            if old_after > 0.25 * (len(new.dates) - new_before) or new_before > 0.25 * (
                len(old.dates) - old_after
            ):
                continue
            before = np.zeros((2, N_BINS))
            after = np.zeros((2, N_BINS))
            for part in range(N_BINS):
                before[0, part] = sum(1 for d in new.bin_days[part] if d < split)
                after[1, part] = sum(1 for d in old.bin_days[part] if d >= split)
            options.append(
                (min(len(new.dates), len(old.dates)), (new_i, old_i, split, before, after))
            )
    options.sort(key=lambda item: item[0], reverse=True)
    return [option for _, option in options[:MAX_MOVES]]


# What a `RoleDecision` holds as its places: `Place`s, or the drafts `decide_draft`
# chose (`PlaceDraft`) before `decided_many` makes them.
_PlaceOrDraft = TypeVar("_PlaceOrDraft")


@dataclass(slots=True)
class RoleDecision(Generic[_PlaceOrDraft]):
    """The places of one person as the role posterior gives them (`RoleDecision[Place]`,
    `decide`'s), or chosen and not yet made (`RoleDraft`, `decide_draft`'s)."""

    homes: list[_PlaceOrDraft]
    base: _PlaceOrDraft | None
    frequent: list[_PlaceOrDraft]
    work_marginals: list[float]
    base_index: int = -1
    lives_at_work: bool = False
    type_marginals: tuple[float, ...] = ()

    def places(self) -> list[_PlaceOrDraft]:
        """The places: homes, base, then the frequent places."""
        return [*self.homes, *([self.base] if self.base is not None else []), *self.frequent]

    def made(self: RoleDraft, places: Sequence[Place]) -> RoleDecision[Place]:
        """A draft's decision, from the places made of its `places()` in their order."""
        n_home = len(self.homes)
        after = n_home + (self.base is not None)
        return RoleDecision(
            list(places[:n_home]),
            places[n_home] if self.base is not None else None,
            list(places[after:]),
            self.work_marginals,
            self.base_index,
            self.lives_at_work,
            self.type_marginals,
        )


def _home_ready(cand: Candidate, params: InferenceParams) -> bool:
    """Whether a home candidate has the days and weeks to be given as a home."""
    return cand.n_dates >= params.min_home_days and cand.n_weeks >= params.min_home_weeks


def reads_bag(
    home_candidates: Sequence[Candidate], numbers: DecideNumbers, params: InferenceParams
) -> bool:
    """Whether `decide` reads the bagged posterior of a person with these numbers: their
    likeliest home candidate ready (`_home_ready`) and at `params.min_confidence` or more
    under every prior (`decide_numbers` makes the bag at once for those people)."""
    if not home_candidates:
        return False
    best = numbers.home_best
    return _home_ready(home_candidates[best], params) and (
        numbers.home_low[best] >= params.min_confidence
    )


def work_marginals(fit: RoleFit) -> list[float]:
    """Probability that each work candidate is the person's workplace (before sites)."""
    if fit.log_score.size == 0:
        return []
    post = fit.posterior()
    work_of = np.array([s.work for s in fit.structures])[fit.structure_index]
    n_work = max((s.work for s in fit.structures), default=-1) + 1
    return _marginal(post, work_of, n_work)


def work_marginals_many(fits: Sequence[RoleFit]) -> list[list[float]]:
    """`work_marginals` of each fit, for all of them at once: the same floats. The posterior
    (`RoleFit.posterior` with no boost and no type shift) element by element for every
    fit's assignments (a zero shift added, as there), each fit's maximum by `reduceat`
    (exact in any order) and each fit's total summed alone (numpy sums a fit's weights
    pairwise, as the fit's own row); the marginals by one `np.bincount`, which adds each
    work candidate's posteriors in order, as the fit's own does."""
    out: list[list[float]] = [[] for _ in fits]
    scored = [k for k, fit in enumerate(fits) if fit.log_score.size]
    if not scored:
        return out
    sizes = np.array([fits[k].log_score.size for k in scored], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    shifted = np.concatenate([fits[k].log_score for k in scored]) + 0.0
    weights = np.exp(shifted - np.repeat(np.maximum.reduceat(shifted, starts), sizes))
    ends = (starts + sizes).tolist()
    totals = [np.add.reduce(weights[a:b]) for a, b in zip(starts.tolist(), ends, strict=True)]
    post = weights / np.repeat(np.array(totals, dtype=np.float64), sizes)
    works = [[s.work for s in fits[k].structures] for k in scored]
    counts = [max(work, default=-1) + 1 for work in works]
    base = np.cumsum(counts) - np.array(counts, dtype=np.int64)
    which = np.concatenate([np.array(work, dtype=np.int64)[fits[k].structure_index]
                            for work, k in zip(works, scored, strict=True)])  # fmt: skip
    which = np.where(which >= 0, which + np.repeat(base, sizes), -1)
    given = which >= 0
    sums = np.bincount(which[given], weights=post[given], minlength=int(sum(counts))).tolist()
    for j, k in enumerate(scored):
        out[k] = sums[int(base[j]) : int(base[j]) + counts[j]]
    return out


def _marginal(post: np.ndarray[Any, Any], which: np.ndarray[Any, Any], count: int) -> list[float]:
    """Posterior mass of each value 0..count-1 of `which` (-1: none of them)."""
    if count == 0:
        return []
    given = which >= 0
    return list(np.bincount(which[given], weights=post[given], minlength=count)[:count].tolist())


def _marginals(posts: NDArray[np.float64], which: NDArray[np.int64], count: int) -> Any:
    """`_marginal` of each row of `posts` (posteriors over the same assignments), (rows,
    count): one `np.bincount`, which adds each row's entries in order as `_marginal` does."""
    given = np.flatnonzero(which >= 0)
    keys = (np.arange(len(posts))[:, None] * count + which[given][None, :]).reshape(-1)
    sums = np.bincount(keys, weights=posts[:, given].reshape(-1), minlength=len(posts) * count)
    return sums.reshape(len(posts), count)


def _pairwise_sum(values: Sequence[float], lo: int = 0, n: int = -1) -> float:
    """numpy's sum of `values[lo:lo + n]` as a float64 array, in plain Python and bit for
    bit: its pairwise summation (`pairwise_sum`, numpy/_core/src/umath/loops_utils.h.src):
    fewer than 8 values one after another from 0.0; up to 128 in eight interleaved partial
    sums, combined as a tree, then the rest one by one; more split in two at half rounded
    down to a multiple of 8. (`ndarray.sum` adds this to 0.0, its identity.)"""
    n = len(values) - lo if n < 0 else n
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += values[i]
        return res
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = values[lo : lo + 8]
        end = lo + n - n % 8
        for i in range(lo + 8, end, 8):
            r0 += values[i]
            r1 += values[i + 1]
            r2 += values[i + 2]
            r3 += values[i + 3]
            r4 += values[i + 4]
            r5 += values[i + 5]
            r6 += values[i + 6]
            r7 += values[i + 7]
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for i in range(end, lo + n):
            res += values[i]
        return res
    half = n // 2
    half -= half % 8
    return _pairwise_sum(values, lo, half) + _pairwise_sum(values, lo + half, n - half)


def _group_sums(values: Sequence[float], groups: Sequence[int], count: int) -> tuple[float, ...]:
    """`float(np.array(values)[np.array(groups) == g].sum())` for each g in 0..count-1, the
    same floats: each group's values in their order, summed as numpy sums them. On a
    posterior's ~70 values and seven person types, cheaper than seven masks and sums."""
    members: list[list[float]] = [[] for _ in range(count)]
    for value, group in zip(values, groups, strict=True):
        members[group].append(value)
    return tuple(0.0 + _pairwise_sum(m) for m in members)


_IS_SHIFT_TYPE = np.isin(np.arange(len(PERSON_TYPES)), SHIFT_TYPES)
_IS_DAY_TYPE = np.isin(np.arange(len(PERSON_TYPES)), DAY_TYPES)


def _fit_text(shares: Mapping[str, float], role: str) -> str:
    # The rival: the first of the largest other shares (as `max` with a key picks it).
    rival, top = "", -math.inf
    for name, p in shares.items():
        if name != role and (p > top or not rival):
            rival, top = name, p
    return f"fits '{role}' {shares[role]:.2f} vs '{rival}' {top:.2f}"


# A decision whose places are drafts (`decide_draft`'s).
RoleDraft: TypeAlias = RoleDecision["PlaceDraft"]


def decide(
    analysis: PersonAnalysis,
    params: InferenceParams,
    work_log_boost: Mapping[int, float] | None = None,
    numbers: DecideNumbers | None = None,
) -> RoleDecision[Place]:
    """Homes, base and other places from the role posterior (re-weighted by shared sites).
    `numbers`: the person's posterior sums as `decide_many.numbers_of_people` made them for
    many people at once (the same floats as `person_numbers`, made here when not given)."""
    draft = decide_draft(analysis, params, work_log_boost, numbers)
    return draft.made([d.alone() for d in draft.places()])


def decided_many(drafts: Sequence[RoleDraft | None]) -> list[RoleDecision[Place] | None]:
    """Each draft's `RoleDecision` (None stays None), the places of all of them made at
    once (`made_places`): the same decisions as `decide` gives each person alone."""
    each = [d.places() if d is not None else [] for d in drafts]
    places = made_places([p for own in each for p in own])
    out: list[RoleDecision[Place] | None] = []
    begin = 0
    for draft, own in zip(drafts, each, strict=True):
        stop = begin + len(own)
        out.append(draft.made(places[begin:stop]) if draft is not None else None)
        begin = stop
    return out


def decide_draft(
    analysis: PersonAnalysis,
    params: InferenceParams,
    work_log_boost: Mapping[int, float] | None = None,
    numbers: DecideNumbers | None = None,
) -> RoleDraft:
    """`decide` with its places as drafts (`RoleDraft`)."""
    fit, layout = analysis.fit, analysis.layout
    frequent_travel = [_travel_place(c, analysis.evidence) for c in analysis.travel]
    if fit is None or layout is None or fit.log_score.size == 0:
        return RoleDecision([], None, frequent_travel, [])
    # The posterior, and the same under other plausible shift-work priors: a home's or a
    # base's confidence is the lowest of them (`geoleak.infer.roles.RoleFit.robust_shifts`).
    n_home, n_work = len(analysis.home_candidates), len(analysis.work_candidates)
    if numbers is None:
        numbers = person_numbers(
            fit, work_log_boost, fit.robust_shifts(params.priors), n_home, n_work
        )
    robust = numbers.shifts
    home_of, work_of, old_of = numbers.home_of, numbers.work_of, numbers.old_of
    post = numbers.posts[0]  # the plain one; the others under the robust priors
    structures = fit.structures
    ptype = fit.person_type
    home_m, work_m = numbers.home_m, numbers.work_m
    home_low: Any = numbers.home_low  # the lowest over the priors
    work_low = numbers.work_low
    home_candidates = analysis.home_candidates

    def ready(k: int) -> bool:  # (asked of at most three candidates: not made for each)
        return _home_ready(home_candidates[k], params)

    best = numbers.home_best  # (ndarray's argmax of the plain home marginals; -1: none)
    best_ready = best >= 0 and ready(best)
    # (`reads_bag`'s test, with `best` and its readiness made once)
    if best_ready and numbers.home_low[best] >= params.min_confidence:
        # A home to be given: its confidence is also read from the bagged posterior
        # (`roles.BAG_DRAWS`), so a home resting on one or two observations is not given
        # as if the person's week were known. The lowest of them all is the confidence.
        if numbers.bagged_low is not None:  # made for many people at once
            home_low = numbers.bagged_low
        else:
            bagged = (
                numbers.bagged
                if numbers.bag_made
                else fit.bagged_marginals(home_of, n_home, dict(work_log_boost or {}), robust)
            )
            home_low = np.minimum.reduce([home_low, *(bagged or [])], axis=0).tolist()
    second_m, types = numbers.second_m, numbers.types
    # (each assignment's day and shift types are read only where the masses were not made
    # for many people at once: `_IS_DAY_TYPE[ptype]`, `_IS_SHIFT_TYPE[ptype]` made there)
    home_group = [layout.loc_group[r] for r in layout.home_rows]

    def work_label_of() -> NDArray[np.int64]:  # -1 indexes the sentinel
        return np.array([*layout.work_labels, -1])[work_of]

    # (else every old home's mass is 0.0: an empty sum)
    moved = bool((old_of >= 0).any()) if numbers.moved is None else numbers.moved

    def home_shares(k: int) -> dict[str, float]:
        if numbers.shares_made and k == numbers.shares_at:  # made for many people at once
            old, day_work, shift_work = numbers.shares
        else:
            at_work = (work_of >= 0) & (work_label_of() == home_group[k]) & (home_of != k)
            old = float(post[old_of == k].sum())
            day_work = float(post[at_work & _IS_DAY_TYPE[ptype]].sum())
            shift_work = float(post[at_work & _IS_SHIFT_TYPE[ptype]].sum())
        return {
            "home": home_m[k] + (old if moved else 0.0),
            "day workplace": day_work,
            "night/shift workplace": shift_work,
            "second residence": second_m[k],
            "elsewhere": 0.0,
        }

    homes: list[PlaceDraft] = []
    chosen: list[int] = []
    if best_ready and home_low[best] >= params.min_confidence:
        chosen.append(best)
        old_m = [0.0] * n_home
        if moved:  # (the mask of `best` made once)
            at_best = home_of == best
            old_m = [float(post[(old_of == k) & at_best].sum()) for k in range(n_home)]
        split: date | None = None
        if n_home > 1 and max(old_m) >= params.min_confidence and ready(int(np.argmax(old_m))):
            old = int(np.argmax(old_m))
            chosen.append(old)
            split = next(
                structures[s].split
                for s in fit.structure_index[(old_of == old) & (home_of == best)]
            )
        for rank, k in enumerate(chosen):
            shares = home_shares(k)
            shares["elsewhere"] = max(0.0, 1.0 - sum(shares.values()))
            confidence = home_low[k] if rank == 0 else old_m[k]
            extra: dict[str, Any] = {}
            if split is not None:
                extra = (
                    {"valid_from": split.isoformat()}
                    if rank == 0
                    else {"valid_to": split.isoformat()}
                )
            homes.append(
                _home_place(analysis.home_candidates[k], analysis.evidence, confidence,
                            _fit_text(shares, "home"), analysis.note, extra)
            )  # fmt: skip
    base: PlaceDraft | None = None
    base_index = -1
    lives_at_work = False
    best_work = numbers.work_best
    if (
        best_work >= 0
        and work_low[best_work] >= params.min_confidence
        and (
            analysis.work_candidates[best_work].n_duty_dates >= params.min_base_days
            # a thin place inside a site (the site pass's part of the boost, not the
            # working day's outings around it: `anchor_log_odds`, never negative, so
            # read only for a positive boost)
            or (
                (thin_boost := (work_log_boost or {}).get(best_work, 0.0)) > 0.0
                and thin_boost > anchor_log_odds(analysis).get(best_work, 0.0)
            )
        )
    ):
        base_index = best_work
        label = layout.work_labels[base_index]
        lives_at_work = bool(chosen) and home_group[chosen[0]] == label
        shares = {
            "workplace": work_m[base_index],
            "no workplace away from home": types[NO_WORK],
            "elsewhere": max(0.0, 1.0 - work_m[base_index] - types[NO_WORK]),
        }
        day_share = (
            numbers.work_day
            if numbers.shares_made  # made for many people at once, at `best_work`
            else float(post[(work_of == base_index) & _IS_DAY_TYPE[ptype]].sum())
        )
        cand = analysis.work_candidates[base_index]
        skip = set(analysis.home_candidates[chosen[0]].indices) if lives_at_work else set()
        base = _base_place(cand, analysis.evidence, work_low[base_index], skip,
                           _fit_text(shares, "workplace") + f" (day work {day_share:.2f}, shifts "
                           f"{work_m[base_index] - day_share:.2f})")  # fmt: skip

    frequent: list[PlaceDraft] = []
    taken = [p.position for p in homes] + ([base.position] if base is not None else [])
    if n_home and max(second_m) >= params.min_confidence:
        k = int(np.argmax(second_m))
        if k not in chosen and ready(k):
            cand = analysis.home_candidates[k]
            shares = home_shares(k)
            shares["elsewhere"] = max(0.0, 1.0 - sum(shares.values()))
            frequent.append(_frequent_place(cand, analysis.evidence, "second-residence",
                                            second_m[k], _fit_text(shares, "second residence")))  # fmt: skip
            taken.append(cand.position)
    pool = [c for k, c in enumerate(analysis.home_candidates) if k not in chosen] + analysis.others
    for cand in sorted(pool, key=lambda c: c.n_dates, reverse=True):
        if cand.n_dates < 3:
            break  # (most days first: the rest have fewer)
        position = cand.position
        if any(haversine_m(position, t) <= params.exclusion_m for t in taken):
            continue
        frequent.append(_frequent_place(cand, analysis.evidence, None, None, ""))
    frequent.extend(frequent_travel)
    return RoleDecision(homes, base, frequent, work_m, base_index, lives_at_work, types)


# A candidate's counts as `Candidate.count` and `n_weeks` give them when it holds no day
# set and has them all counted (as the spill keeps every home, work and other candidate):
# its `day_counts`' values, read by one call.
_WHEN_COUNTS = operator.itemgetter("nights", "evenings", "work_dates", "weekend_days", "dates",
                                   "weeks")  # fmt: skip
_MADE_COUNTS = operator.itemgetter("dates", "nights", "work_dates")


def _counted(cand: Candidate, counts: operator.itemgetter[Any]) -> Any:
    """`counts` of `cand.day_counts` where they are what `count` gives, else None."""
    if cand.day_sets:
        return None
    try:
        return counts(cand.day_counts)
    except KeyError:
        return None


def _when_text(cand: Candidate) -> str:
    days: int | None = None
    weeks: int | None = None
    known = _counted(cand, _WHEN_COUNTS)
    if known is None:
        nights, evenings = cand.count("nights"), cand.count("evenings")
        work_dates, weekend_days = cand.count("work_dates"), cand.count("weekend_days")
    else:
        nights, evenings, work_dates, weekend_days, days, weeks = known
    parts = []
    if nights:
        parts.append(f"at night on {nights} distinct night{'s' if nights != 1 else ''}")
    if evenings:
        parts.append(f"in the evening on {evenings} weekdays")
    if work_dates:
        parts.append(f"in working hours (09-17) on {work_dates} weekdays")
    if weekend_days:
        parts.append(f"at weekends in daytime on {weekend_days} days")
    if not parts:
        parts.append(f"on {cand.n_dates if days is None else days} distinct days")
    text = "seen " + ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    weeks = cand.n_weeks if weeks is None else weeks
    return f"{text}, in {weeks} weeks{_span_text(cand.first, cand.last)}"


@dataclass(slots=True)
class PlaceDraft:
    """A place `decide` chose, all but the two things read from its rows: the post ids in
    order (`_ordered_evidence`) and the radius (`_radius_m`). `made_places` makes the
    places of many drafts, those two for all of them at once. `head` and `tail`: the
    explanation, with "; N located posts" between them where `counted`."""

    kind: PlaceKind
    cand: Candidate
    evidence: Sequence[Evidence]
    floor_m: float
    prefer: str
    confidence: float
    head: str
    tail: str
    counted: bool
    extra: Mapping[str, Any]

    @property
    def position(self) -> LatLon:
        return self.cand.position

    def made(self, ordered: tuple[str, ...], radius_m: float) -> Place:
        """The place, from its post ids in order and its radius."""
        cand = self.cand
        known = _counted(cand, _MADE_COUNTS)
        if known is None:
            known = (cand.n_dates, cand.count("nights"), cand.count("work_dates"))
        days, nights, workdays = known
        return Place(
            kind=self.kind,
            position=cand.position,
            radius_m=radius_m,
            confidence=self.confidence,
            evidence=ordered,
            days=days,
            first_seen=cand.first,
            last_seen=cand.last,
            explanation=(
                f"{self.head}; {len(ordered)} located posts{self.tail}"
                if self.counted
                else self.head + self.tail
            ),
            nights=nights,
            workdays=workdays,
            extra=self.extra,
        )

    def alone(self) -> Place:
        """The place, its rows read for it alone."""
        cand, evidence = self.cand, self.evidence
        at = _index_array(cand.indices, evidence)
        return self.made(
            _ordered_evidence(evidence, cand.indices, self.prefer, at),
            _radius_m(cand, evidence, self.floor_m, at),
        )


def made_places(drafts: Sequence[PlaceDraft]) -> list[Place]:
    """`[d.alone() for d in drafts]`, the drafts over `EvidenceColumns` read at once: all
    their rows' ranks (`place_ranks`) in one stable sort by (draft, rank), which orders
    each draft's rows as `_ordered_columns`' stable sort of its own ranks does (ties by
    the position in `cand.indices`), and their accuracies in one sort by (draft,
    accuracy), whose middle values are each draft's `_radius_m` median. A place cost
    ~8 numpy calls of its own (its indices, ranks, argsort, ids; accuracies, sort)."""
    columns = [k for k, d in enumerate(drafts) if isinstance(d.evidence, EvidenceColumns)]
    made: list[Place | None] = [None] * len(drafts)
    for k, d in enumerate(drafts):
        if not isinstance(d.evidence, EvidenceColumns):
            made[k] = d.alone()
    if columns:
        _made_from_columns([drafts[k] for k in columns], columns, made)
    return cast(list[Place], made)


def _made_from_columns(
    drafts: Sequence[PlaceDraft], where: Sequence[int], made: list[Place | None]
) -> None:
    number: dict[int, int] = {}  # each person's evidence (by identity): its number
    people: list[EvidenceColumns] = []
    of_draft = []
    for d in drafts:
        evidence: Any = d.evidence
        k = number.setdefault(id(evidence), len(people))
        if k == len(people):
            people.append(evidence)
        of_draft.append(k)
    place_ranks([p for p in people if p.place_ranks is None])
    sizes = [len(p.accuracy_m) for p in people]
    start = np.zeros(len(people), dtype=np.int64)
    np.cumsum(sizes[:-1], out=start[1:])
    ranks: list[Any] = [p.place_ranks for p in people]
    counts = np.array([len(d.cand.indices) for d in drafts], dtype=np.int64)
    indices = np.fromiter(
        itertools.chain.from_iterable(d.cand.indices for d in drafts), np.int64, int(counts.sum())
    )
    rows = indices + np.repeat(start[of_draft], counts)  # among the people's rows, joined
    at_home = np.repeat(np.array([d.prefer == "home" for d in drafts], dtype=bool), counts)
    rank = np.where(
        at_home,
        np.concatenate([r[0] for r in ranks])[rows],
        np.concatenate([r[1] for r in ranks])[rows],
    )
    # One stable sort by (draft, rank): equal keys keep their order, that of the indices.
    place = np.repeat(np.arange(len(drafts), dtype=np.int64), counts)
    order = np.argsort(place * (int(rank.max(initial=0)) + 1) + rank, kind="stable")
    ordered = indices[order].tolist()  # each draft's indices, in its own order
    row_accuracy = np.concatenate([p.accuracy_m for p in people])[rows]
    sorted_accuracy = row_accuracy[np.lexsort((row_accuracy, place))]
    stops = np.cumsum(counts)
    middle = stops - counts + counts // 2
    # The median as `_radius_m` takes it (the mean of the middle two for an even count):
    # the same float operations, element by element. A draft has at least one row.
    medians = np.where(
        counts % 2 == 1,
        sorted_accuracy[middle],
        (sorted_accuracy[middle - 1] + sorted_accuracy[middle]) / 2,
    ).tolist()
    begin = 0
    for d, k, p, stop, accuracy_m in zip(
        drafts, where, of_draft, stops.tolist(), medians, strict=True
    ):
        ids = people[p].post_ids
        made[k] = d.made(
            tuple(dict.fromkeys(map(ids.__getitem__, ordered[begin:stop]))),
            _radius_of(d.cand, accuracy_m, d.floor_m),
        )
        begin = stop


def _home_place(
    cand: Candidate,
    evidence: Sequence[Evidence],
    confidence: float,
    fit_text: str,
    note: str,
    extra: Mapping[str, Any],
) -> PlaceDraft:
    return PlaceDraft(
        kind=PlaceKind.HOME,
        cand=cand,
        evidence=evidence,
        floor_m=40.0,
        prefer="home",
        confidence=round(min(0.99, confidence), 3),
        head=_when_text(cand),  # then the count of distinct posts
        tail=f"; {fit_text}" + (f"; {note}" if note else ""),
        counted=True,
        extra=MappingProxyType(dict(extra)) if extra else EMPTY_EXTRA,
    )


def _base_place(
    cand: Candidate, evidence: Sequence[Evidence], confidence: float, skip: set[int], fit_text: str
) -> PlaceDraft:
    # (with nothing to skip, the candidate itself: no pass over its indices)
    work = (
        _make_candidate(evidence, [i for i in cand.indices if i not in skip] or cand.indices)
        if skip
        else cand
    )
    return PlaceDraft(
        kind=PlaceKind.BASE,
        cand=work,
        evidence=evidence,
        floor_m=100.0,
        prefer="base",
        confidence=round(min(0.99, confidence), 3),
        head=f"{_when_text(work)}; {fit_text}",
        tail="",
        counted=False,
        extra=EMPTY_EXTRA,
    )


def _frequent_place(
    cand: Candidate,
    evidence: Sequence[Evidence],
    role: str | None,
    confidence: float | None,
    fit_text: str,
) -> PlaceDraft:
    strength = 1.0 - math.exp(-cand.n_dates / 5.0)
    return PlaceDraft(
        kind=PlaceKind.FREQUENT,
        cand=cand,
        evidence=evidence,
        floor_m=25.0,
        prefer="base",
        confidence=round(
            max(0.05, min(0.95, confidence if confidence is not None else strength)), 3
        ),
        head=_when_text(cand) + (f"; {fit_text}" if fit_text else ""),
        tail="",
        counted=False,
        extra=MappingProxyType({"role": role}) if role else EMPTY_EXTRA,
    )


def _travel_place(cand: Candidate, evidence: Sequence[Evidence]) -> PlaceDraft:
    days = cand.n_dates
    return PlaceDraft(
        kind=PlaceKind.FREQUENT,
        cand=cand,
        evidence=evidence,
        floor_m=25.0,
        prefer="base",
        confidence=round(max(0.05, min(0.95, 1.0 - math.exp(-days / 5.0))), 3),
        head=f"a stay: seen on {days} days within {_day_span(cand)} days"
        f"{_span_text(cand.first, cand.last)}, far from the person's other places (travel)",
        tail="",
        counted=False,
        extra=MappingProxyType({"role": "travel"}),
    )


def _distance(a: LatLon, b: LatLon) -> float:
    return haversine_m(a, b)


# The commute bands' limits as squared chords between unit vectors (a distance d on the
# sphere is a chord of 2 sin(d / 2R)).
_BAND_CHORDS = tuple(
    (2.0 * math.sin(limit / (2.0 * EARTH_RADIUS_M))) ** 2
    for limit in (LONG_COMMUTE_M, FAR_WORKPLACE_M)
)


def _commute_bands(homes: Sequence[LatLon], works: Sequence[LatLon]) -> list[int]:
    """`commute_band(_distance(h, w))` of each pair of `homes` and `works`, at once: each
    pair more than `CHORD_MARGIN` (relative) inside or outside both bands' limits is
    decided by its squared chord between unit vectors (products only: its rounding and
    haversine's are ~1e-15 relative, far inside the margin); the pairs within the margin
    of a limit by `commute_band` of their distance itself."""
    if not homes:
        return []
    lat = np.radians(np.array([[p.lat for p in homes], [p.lat for p in works]]))
    lon = np.radians(np.array([[p.lon for p in homes], [p.lon for p in works]]))
    cos_lat = np.cos(lat)
    x, y, z = cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)
    chord = (x[0] - x[1]) ** 2 + (y[0] - y[1]) ** 2 + (z[0] - z[1]) ** 2
    bands = np.zeros(chord.size, dtype=np.int64)
    unsure = np.zeros(chord.size, dtype=bool)
    for limit in _BAND_CHORDS:
        bands += chord > limit * (1.0 + CHORD_MARGIN)
        unsure |= (chord >= limit * (1.0 - CHORD_MARGIN)) & (chord <= limit * (1.0 + CHORD_MARGIN))
    out: list[int] = bands.tolist()
    for k in np.flatnonzero(unsure).tolist():
        out[k] = commute_band(_distance(homes[k], works[k]))
    return out


_EXCLUSION_WORDS = {
    "isolated": "isolated point{s} ignored (one-offs or reshared photos)",
    "low-accuracy": "low-accuracy fix{es} ignored",
    "null-island": "(0, 0) placeholder{s} ignored",
    "old-photo": "photo{s} taken long before posting ignored (throwbacks or reshares)",
    "no-time": "point{s} without a usable time ignored",
}


def _excluded_note(skipped: Mapping[str, int]) -> str:
    parts = []
    for key, words in _EXCLUSION_WORDS.items():
        n = skipped.get(key, 0)
        if n:
            plural = words.replace("{s}", "s" if n != 1 else "").replace(
                "{es}", "es" if n != 1 else ""
            )
            parts.append(f"{n} {plural}")
    return ", ".join(parts)


# Analyses are pickled between the passes (the store's spill, the site pass's slim copies,
# the shards' results): as constructor calls, not the slotted dataclasses' default (a
# Python __getstate__ that lists the fields again for every object). At 100 k posts the
# spill's dumps took 0.27-0.35 CPU s, then 0.19-0.20.
for _cls in (Calendar, Candidate, PersonAnalysis, Layout, RoleFit, Structure):
    _pickled_by_fields(_cls)
