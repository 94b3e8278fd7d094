"""Per-person inference: where does this person sleep (home) and serve (base)?

The unit of evidence is a *distinct local day*, not a post: forty photos from a two-week
holiday count as fourteen nights in two weeks, while a year of scattered evenings at home
counts as dozens of nights over many weeks and months. Roles come from the local time of
each observation:

- rest time: nights (21:00-07:00 local, keyed to the evening's date) and weekend days;
  weekday evenings (18:00-21:00) count half, since the pub and the gym share them;
- duty time: weekdays, with working hours (08:00-18:00) counting fully and other weekday
  hours (night shifts) half.

A home must be seen on weekend days too (a night-shift workplace is seen at night but not
at weekends). Isolated points (reshared photos of strangers' places, one-off trips) are
left out by density clustering; low-accuracy fixes are left out of home and base.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from geoleak.geometry import haversine_m_array, mean_position
from geoleak.infer.cluster import cluster_labels
from geoleak.types import Evidence, LatLon, Place, PlaceKind

__all__ = ["Candidate", "InferenceParams", "PersonAnalysis", "analyse_person"]


@dataclass(frozen=True, slots=True)
class InferenceParams:
    """Inference parameters, in physical units.

    eps_m: radius (m) of home-scale clusters. work_eps_m: radius (m) of duty-place clusters
    (a base spans hundreds of metres). min_samples: points a cluster needs (2 drops
    isolated points). max_accuracy_m: fixes less accurate than this (m) are not used for
    home or base. min_home_days / min_home_weeks: distinct rest days and weeks a home needs.
    min_base_days: distinct weekdays a base needs. night_start_h / night_end_h and
    work_start_h / work_end_h: local hours. site_eps_m: radius (m) within which several
    people's duty places form one site; min_site_people: people a site needs.
    max_upload_lag_days: a photo taken longer than this before it was posted is a
    throwback or somebody else's photo, not evidence of where the person lives now.
    """

    eps_m: float = 100.0
    work_eps_m: float = 500.0
    min_samples: int = 2
    max_accuracy_m: float = 500.0
    min_home_days: int = 3
    min_home_weeks: int = 2
    min_base_days: int = 3
    night_start_h: int = 21
    evening_start_h: int = 18
    night_end_h: int = 7
    work_start_h: int = 8
    work_end_h: int = 18
    exclusion_m: float = 300.0
    max_upload_lag_days: float = 30.0
    site_eps_m: float = 1000.0
    min_site_people: int = 2

    def __post_init__(self) -> None:
        for name in ("eps_m", "work_eps_m", "max_accuracy_m", "exclusion_m", "site_eps_m"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.min_samples < 1 or self.min_home_days < 1 or self.min_base_days < 1:
            raise ValueError("min_samples, min_home_days and min_base_days must be at least 1")


@dataclass(slots=True)
class Candidate:
    """A cluster of one person's evidence with its calendar statistics."""

    indices: list[int]
    position: LatLon
    rms_m: float
    dates: set[date] = field(default_factory=set)
    rest_dates: set[date] = field(default_factory=set)
    evenings: set[date] = field(default_factory=set)
    nights: set[date] = field(default_factory=set)
    weekend_days: set[date] = field(default_factory=set)
    work_dates: set[date] = field(default_factory=set)
    duty_dates: set[date] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    score: float = 0.0

    @property
    def span_days(self) -> float:
        if self.first is None or self.last is None:
            return 0.0
        return (self.last - self.first).total_seconds() / 86400.0


@dataclass(slots=True)
class PersonAnalysis:
    """One person's evidence and what was inferred from it before the cross-person pass."""

    person: str
    evidence: list[Evidence]
    homes: list[Place]
    base_candidates: list[Candidate]
    frequent: list[Place]
    excluded: Counter[str]
    usable: list[int]


def _weeks(dates: set[date]) -> int:
    return len({d.isocalendar()[:2] for d in dates})


def _months(dates: set[date]) -> int:
    return len({(d.year, d.month) for d in dates})


def _make_candidate(
    evidence: Sequence[Evidence], indices: list[int], params: InferenceParams
) -> Candidate:
    lats = np.array([evidence[i].position.lat for i in indices])
    lons = np.array([evidence[i].position.lon for i in indices])
    weights = np.array([evidence[i].weight / max(evidence[i].accuracy_m, 5.0) for i in indices])
    centre = mean_position(lats, lons, weights)
    dist = haversine_m_array(lats, lons, centre.lat, centre.lon)
    cand = Candidate(indices=indices, position=centre, rms_m=float(np.sqrt(np.mean(dist**2))))
    for i in indices:
        ev = evidence[i]
        if ev.time_utc is not None:
            cand.first = ev.time_utc if cand.first is None else min(cand.first, ev.time_utc)
            cand.last = ev.time_utc if cand.last is None else max(cand.last, ev.time_utc)
        local = ev.local_time
        if local is None:
            continue
        hour = local.hour + local.minute / 60.0
        today = local.date()
        cand.dates.add(today)
        if hour >= params.night_start_h or hour < params.night_end_h:
            night = (local - timedelta(hours=12)).date()
            cand.nights.add(night)
            cand.rest_dates.add(night)
        elif local.weekday() >= 5:
            cand.weekend_days.add(today)
            cand.rest_dates.add(today)
        elif hour >= params.evening_start_h:
            cand.evenings.add(today)
        if local.weekday() < 5:
            cand.duty_dates.add(today)
            if params.work_start_h <= hour < params.work_end_h:
                cand.work_dates.add(today)
    return cand


def _rest_days(cand: Candidate) -> float:
    """Distinct rest days, weekday evenings counting half."""
    return len(cand.rest_dates) + 0.5 * len(cand.evenings - cand.rest_dates)


def _home_score(cand: Candidate) -> float:
    rest = cand.rest_dates
    evenings = cand.evenings - rest
    score = (
        _weeks(rest) + 0.5 * (_weeks(rest | evenings) - _weeks(rest))
        + 0.5 * _months(rest | evenings)
        + 0.2 * _rest_days(cand)
    )  # fmt: skip
    # A place seen over less than a few weeks (a holiday, a course) is weaker than one
    # seen across the year with the same number of nights.
    score *= min(1.0, 0.4 + cand.span_days / 35.0)
    if len(cand.dates) >= 6:
        # Homes are seen at weekends in daytime; night-shift workplaces are not.
        weekend_share = len(cand.weekend_days) / len(cand.dates)
        score *= min(1.0, (weekend_share + 0.03) / 0.15)
    return score


def _base_score(cand: Candidate) -> float:
    duty = cand.duty_dates
    off_hours = duty - cand.work_dates
    return _weeks(duty) + 0.5 * _months(duty) + 0.2 * (len(cand.work_dates) + 0.5 * len(off_hours))


def _radius_m(cand: Candidate, evidence: Sequence[Evidence], floor_m: float) -> float:
    n = len(cand.indices)
    accuracy = float(np.median([evidence[i].accuracy_m for i in cand.indices]))
    # Statistical error of the centre, plus a share of the spread for the systematic part:
    # photos are taken around a place (garden, street, car park), not at its address point.
    spread = 2.5 * cand.rms_m / math.sqrt(n) + accuracy / math.sqrt(n) + 0.25 * cand.rms_m
    return round(max(floor_m, spread), 1)


def _strength(score: float, scale: float) -> float:
    return 1.0 - math.exp(-score / scale)


def _ordered_evidence(
    evidence: Sequence[Evidence], indices: Sequence[int], prefer: str
) -> tuple[str, ...]:
    """Post ids of a place, strongest first: precise sources, then role-matching times."""

    def key(i: int) -> tuple[float, float, float]:
        ev = evidence[i]
        role = 0.0
        if ev.local_time is not None:
            hour = ev.local_time.hour
            night = hour >= 21 or hour < 7
            role = 1.0 if (night if prefer == "home" else not night) else 0.0
        return (-ev.weight, -role, ev.accuracy_m)

    seen: dict[str, None] = {}
    for i in sorted(indices, key=key):
        seen.setdefault(evidence[i].post_id, None)
    return tuple(seen)


def _span_text(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return ""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    when = f"{first:%b %Y}" if months <= 1 else f"{first:%b %Y} - {last:%b %Y}"
    return f" over {months} month{'s' if months != 1 else ''} ({when})"


def _home_place(
    cand: Candidate,
    evidence: Sequence[Evidence],
    confidence: float,
    params: InferenceParams,
    note: str,
) -> Place:
    weeks = _weeks(cand.rest_dates)
    explanation = (
        f"seen on {len(cand.nights)} distinct nights "
        f"({params.night_start_h:02d}:00-{params.night_end_h:02d}:00) and "
        f"{len(cand.weekend_days)} weekend days in {weeks} weeks"
        f"{_span_text(cand.first, cand.last)}; {len({evidence[i].post_id for i in cand.indices})} located posts"
    )
    if note:
        explanation += f"; {note}"
    return Place(
        kind=PlaceKind.HOME,
        position=cand.position,
        radius_m=_radius_m(cand, evidence, 40.0),
        confidence=round(confidence, 3),
        evidence=_ordered_evidence(evidence, cand.indices, "home"),
        days=len(cand.dates),
        first_seen=cand.first,
        last_seen=cand.last,
        explanation=explanation,
        nights=len(cand.nights),
        workdays=len(cand.work_dates),
    )


def _core_span(cand: Candidate) -> tuple[date, date] | None:
    """The 10th-90th percentile range of a candidate's days (robust to a stray visit)."""
    days = sorted(cand.dates)
    if not days:
        return None
    return days[int(0.1 * (len(days) - 1))], days[round(0.9 * (len(days) - 1))]


def _overlap_share(a: Candidate, b: Candidate) -> float:
    """Share of the shorter core time span that the two candidates' core spans overlap."""
    span_a, span_b = _core_span(a), _core_span(b)
    if span_a is None or span_b is None:
        return 1.0
    overlap = (min(span_a[1], span_b[1]) - max(span_a[0], span_b[0])).days
    shorter = min((span_a[1] - span_a[0]).days, (span_b[1] - span_b[0]).days)
    if shorter <= 0:
        return 1.0 if overlap >= 0 else 0.0
    return max(0.0, overlap) / shorter


def _candidates(
    evidence: Sequence[Evidence], indices: list[int], eps_m: float, params: InferenceParams
) -> tuple[list[Candidate], int]:
    """Clusters of the given evidence and how many points were isolated (noise)."""
    if not indices:
        return [], 0
    lats = [evidence[i].position.lat for i in indices]
    lons = [evidence[i].position.lon for i in indices]
    labels = cluster_labels(lats, lons, eps_m=eps_m, min_samples=params.min_samples)
    groups: dict[int, list[int]] = {}
    for idx, label in zip(indices, labels, strict=True):
        groups.setdefault(int(label), []).append(idx)
    noise = len(groups.pop(-1, []))
    return [_make_candidate(evidence, members, params) for members in groups.values()], noise


def _within(
    evidence: Sequence[Evidence], indices: list[int], centre: LatLon, radius_m: float
) -> set[int]:
    if not indices:
        return set()
    lats = np.array([evidence[i].position.lat for i in indices])
    lons = np.array([evidence[i].position.lon for i in indices])
    dist = haversine_m_array(lats, lons, centre.lat, centre.lon)
    return {i for i, d in zip(indices, dist, strict=True) if d <= radius_m}


def analyse_person(
    person: str,
    evidence: Sequence[Evidence],
    params: InferenceParams | None = None,
    excluded: Mapping[str, int] | None = None,
) -> PersonAnalysis:
    """Homes, duty-place candidates and frequent places of one person."""
    params = params or InferenceParams()
    evidence = list(evidence)
    skipped: Counter[str] = Counter(excluded or {})
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

    candidates, noise = _candidates(evidence, usable, params.eps_m, params)
    skipped["isolated"] += noise
    for cand in candidates:
        cand.score = _home_score(cand)
    eligible = [
        c
        for c in candidates
        if _rest_days(c) >= params.min_home_days
        and _weeks(c.rest_dates | c.evenings) >= params.min_home_weeks
    ]
    eligible.sort(key=lambda c: c.score, reverse=True)

    homes: list[Place] = []
    chosen: list[Candidate] = []
    note = _excluded_note(skipped)
    if eligible:
        best = eligible[0]
        chosen.append(best)
        # A second home: strong on its own and lived in at another time (a move).
        for other in eligible[1:]:
            if (
                _distance(other.position, best.position) > params.exclusion_m
                and other.span_days >= 28
                and _weeks(other.rest_dates) >= 3
                and other.score >= 0.25 * best.score
                and _overlap_share(best, other) < 0.25
            ):
                chosen.append(other)
                break
        for cand in chosen:
            rival = max(
                (
                    c.score
                    for c in candidates
                    if c not in chosen and _distance(c.position, cand.position) > params.exclusion_m
                ),
                default=0.0,
            )
            dominance = cand.score / (cand.score + rival) if cand.score > 0 else 0.0
            confidence = _strength(cand.score, 4.0) * min(1.0, 0.25 + 3.0 * (dominance - 0.5))
            homes.append(
                _home_place(cand, evidence, max(0.05, min(0.99, confidence)), params, note)
            )
        # The current home first: a person who moved is found at the newer address.
        homes.sort(key=lambda p: p.last_seen.timestamp() if p.last_seen else 0.0, reverse=True)

    near_home: set[int] = set()
    for cand in chosen:
        near_home |= _within(evidence, usable, cand.position, params.exclusion_m)
    duty_pool = [i for i in usable if i not in near_home]
    work_cands, _ = _candidates(evidence, duty_pool, params.work_eps_m, params)
    base_candidates = []
    for cand in work_cands:
        if len(cand.duty_dates) < params.min_base_days or not cand.dates:
            continue
        if len(cand.duty_dates) / len(cand.dates) < 0.6:
            continue
        cand.score = _base_score(cand)
        base_candidates.append(cand)
    base_candidates.sort(key=lambda c: c.score, reverse=True)

    frequent: list[Place] = []
    taken = near_home | {i for c in base_candidates[:1] for i in c.indices}
    for cand in candidates:
        if cand in chosen or len(cand.dates) < 3 or set(cand.indices) & taken:
            continue
        frequent.append(
            Place(
                kind=PlaceKind.FREQUENT,
                position=cand.position,
                radius_m=_radius_m(cand, evidence, 25.0),
                confidence=round(max(0.05, min(0.95, _strength(len(cand.dates), 5.0))), 3),
                evidence=_ordered_evidence(evidence, cand.indices, "base"),
                days=len(cand.dates),
                first_seen=cand.first,
                last_seen=cand.last,
                explanation=f"seen on {len(cand.dates)} distinct days{_span_text(cand.first, cand.last)}",
                nights=len(cand.nights),
                workdays=len(cand.work_dates),
            )
        )
    frequent.sort(key=lambda p: p.days, reverse=True)
    return PersonAnalysis(person, evidence, homes, base_candidates, frequent, skipped, usable)


def _distance(a: LatLon, b: LatLon) -> float:
    return float(haversine_m_array(np.array([a.lat]), np.array([a.lon]), b.lat, b.lon)[0])


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
