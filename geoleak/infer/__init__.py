"""Evidence -> places per person: homes, bases (via shared sites) and frequent places.

`LeakInference` is a scikit-learn-style estimator: parameters in physical units in
`__init__`, `fit(evidence_by_person)` returns self, results in `profiles_` and `sites_`.
Per-person work (`analyse_person`) is pure and separable; only the site pass looks
across people.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from geoleak.geometry import haversine_m, haversine_m_array
from geoleak.infer.places import (
    Candidate,
    InferenceParams,
    PersonAnalysis,
    _ordered_evidence,
    _radius_m,
    _span_text,
    _strength,
    _weeks,
    analyse_person,
)
from geoleak.infer.rhythm import TimezoneEstimate, estimate_utc_offset
from geoleak.infer.sites import Site, find_sites
from geoleak.types import Evidence, Place, PlaceKind, Profile

__all__ = ["InferenceParams", "LeakInference", "PersonContext", "Site"]


@dataclass(frozen=True, slots=True)
class PersonContext:
    """What the pipeline knows of a person beyond located evidence."""

    posts: int = 0
    devices: Mapping[str, int] = field(default_factory=dict)
    excluded: Mapping[str, int] = field(default_factory=dict)
    utc_hours: tuple[int, ...] = (0,) * 24


def _analyse(
    args: tuple[str, Sequence[Evidence], InferenceParams, Mapping[str, int]],
) -> PersonAnalysis:
    person, evidence, params, excluded = args
    return analyse_person(person, evidence, params, excluded)


# Jobs handed to forked workers without pickling the evidence: workers inherit this list.
_FORK_JOBS: list[tuple[str, Sequence[Evidence], InferenceParams, Mapping[str, int]]] = []


def _analyse_forked(index: int) -> PersonAnalysis:
    """Analyse job `index` of the inherited list; the evidence is not sent back."""
    analysis = _analyse(_FORK_JOBS[index])
    analysis.evidence = []
    return analysis


def _analyse_all(
    jobs: list[tuple[str, Sequence[Evidence], InferenceParams, Mapping[str, int]]], workers: int
) -> list[PersonAnalysis]:
    """Per-person analyses, over `workers` forked processes when that is available."""
    if workers <= 1 or len(jobs) < 200 or "fork" not in mp.get_all_start_methods():
        return [_analyse(job) for job in jobs]
    global _FORK_JOBS  # noqa: PLW0603  (read by the forked workers)
    _FORK_JOBS = jobs
    try:
        chunk = max(1, len(jobs) // (workers * 8))
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            analyses = list(pool.map(_analyse_forked, range(len(jobs)), chunksize=chunk))
    finally:
        _FORK_JOBS = []
    for analysis, job in zip(analyses, jobs, strict=True):
        analysis.evidence = list(job[1])
    return analyses


class LeakInference:
    """Infer every person's places from their evidence.

    Parameters are those of `InferenceParams` (metres, hours, days); `workers` > 1 spreads
    the per-person work over processes (worth it from a few thousand people on).
    """

    def __init__(self, *, params: InferenceParams | None = None, workers: int = 1) -> None:
        self.params = params
        self.workers = workers

    def fit(
        self,
        evidence_by_person: Mapping[str, Sequence[Evidence]],
        context: Mapping[str, PersonContext] | None = None,
    ) -> LeakInference:
        params = self.params or InferenceParams()
        context = context or {}
        people = sorted(set(evidence_by_person) | set(context))
        jobs = [
            (p, evidence_by_person.get(p, ()), params, context.get(p, PersonContext()).excluded)
            for p in people
        ]
        analyses = _analyse_all(jobs, self.workers)
        self.sites_: list[Site] = find_sites(analyses, params)
        self.profiles_: list[Profile] = [
            _profile(a, self.sites_, params, context.get(a.person, PersonContext()))
            for a in analyses
        ]
        return self


def _site_of(person: str, sites: Iterable[Site]) -> Site | None:
    """The site (largest first) that a person's duty place belongs to."""
    return next((site for site in sites if person in site.members), None)


def _base_from_site(
    analysis: PersonAnalysis, site: Site, own: Candidate, params: InferenceParams
) -> Place:
    others = len(site.people) - 1
    confidence = min(0.99, _strength(own.score, 3.0) * (0.85 + 0.15 * min(1.0, others / 3)))
    return Place(
        kind=PlaceKind.BASE,
        position=site.position,
        radius_m=round(site.radius_m, 1),
        confidence=round(max(0.05, confidence), 3),
        evidence=_ordered_evidence(analysis.evidence, own.indices, "base"),
        days=len(own.dates),
        first_seen=own.first,
        last_seen=own.last,
        explanation=(
            f"seen on {len(own.duty_dates)} distinct weekdays ({len(own.work_dates)} in working hours "
            f"{params.work_start_h:02d}:00-{params.work_end_h:02d}:00) in {_weeks(own.duty_dates)} weeks"
            f"{_span_text(own.first, own.last)}; part of site {site.site_id}, shared with {others} other "
            f"{'person' if others == 1 else 'people'}"
        ),
        nights=len(own.nights),
        workdays=len(own.work_dates),
        site_id=site.site_id,
    )


def _base_own(analysis: PersonAnalysis, cand: Candidate, rival: float) -> Place:
    dominance = cand.score / (cand.score + rival) if cand.score > 0 else 0.0
    confidence = _strength(cand.score, 4.0) * min(1.0, 0.25 + 3.0 * (dominance - 0.5)) * 0.9
    return Place(
        kind=PlaceKind.BASE,
        position=cand.position,
        radius_m=_radius_m(cand, analysis.evidence, 100.0),
        confidence=round(max(0.05, min(0.95, confidence)), 3),
        evidence=_ordered_evidence(analysis.evidence, cand.indices, "base"),
        days=len(cand.dates),
        first_seen=cand.first,
        last_seen=cand.last,
        explanation=(
            f"seen on {len(cand.duty_dates)} distinct weekdays ({len(cand.work_dates)} in working hours) "
            f"in {_weeks(cand.duty_dates)} weeks{_span_text(cand.first, cand.last)}; not shared with others"
        ),
        nights=len(cand.nights),
        workdays=len(cand.work_dates),
    )


def _base_by_site_membership(
    analysis: PersonAnalysis, sites: Sequence[Site], params: InferenceParams
) -> Place | None:
    """A base for someone too thin on their own, from weekday evidence inside a known site."""
    weekday = [
        i
        for i in analysis.usable
        if (local := analysis.evidence[i].local_time) is not None and local.weekday() < 5
    ]
    if len(weekday) < 2 or not sites:
        return None
    lats = np.array([analysis.evidence[i].position.lat for i in weekday])
    lons = np.array([analysis.evidence[i].position.lon for i in weekday])
    for site in sites:  # largest first
        if analysis.person in site.members:
            continue
        reach = max(site.radius_m * 3, params.work_eps_m)
        near = haversine_m_array(lats, lons, site.position.lat, site.position.lon) <= reach
        if int(near.sum()) < 2:
            continue
        hits = [i for i, inside in zip(weekday, near, strict=True) if inside]
        days = {local.date() for i in hits if (local := analysis.evidence[i].local_time)}
        if len(days) < 2:
            continue
        confidence = min(0.8, 0.35 + 0.1 * len(days) + 0.05 * min(len(site.people), 5))
        times = [t for i in hits if (t := analysis.evidence[i].time_utc) is not None]
        return Place(
            kind=PlaceKind.BASE,
            position=site.position,
            radius_m=round(site.radius_m, 1),
            confidence=round(confidence, 3),
            evidence=_ordered_evidence(analysis.evidence, hits, "base"),
            days=len(days),
            first_seen=min(times, default=None),
            last_seen=max(times, default=None),
            explanation=(
                f"only {len(days)} weekdays of own evidence, but inside site {site.site_id} where "
                f"{len(site.people)} other people are seen on duty"
            ),
            workdays=len(days),
            site_id=site.site_id,
        )
    return None


def _profile(
    analysis: PersonAnalysis, sites: Sequence[Site], params: InferenceParams, ctx: PersonContext
) -> Profile:
    places: list[Place] = list(analysis.homes)
    base: Place | None = None
    if analysis.base_candidates:
        site = _site_of(analysis.person, sites)
        if site is not None:
            base = _base_from_site(analysis, site, site.members[analysis.person], params)
        else:
            own = analysis.base_candidates[0]
            rival = analysis.base_candidates[1].score if len(analysis.base_candidates) > 1 else 0.0
            base = _base_own(analysis, own, rival)
    else:
        base = _base_by_site_membership(analysis, sites, params)
    if base is not None:
        at_home = any(
            haversine_m(base.position, h.position) < max(params.exclusion_m, base.radius_m)
            for h in analysis.homes
        )
        if at_home and base.site_id is None:
            base = None  # one's own duty place at home is the home itself
        elif at_home:
            # A site others serve at, and this person sleeps there too (quarters on base).
            base = replace(base, explanation=base.explanation + "; the home is inside this site")
    if base is not None:
        places.append(base)
    for place in analysis.frequent:
        if all(haversine_m(place.position, p.position) > params.exclusion_m for p in places):
            places.append(place)

    by_source = Counter(ev.source.value for ev in analysis.evidence)
    zones = Counter(ev.tz_name for ev in analysis.evidence if ev.tz_name)
    extra: dict[str, Any] = {}
    estimate: TimezoneEstimate | None = None
    if not analysis.evidence:
        estimate = estimate_utc_offset(ctx.utc_hours)
        if estimate is not None:
            extra["timezone_estimate"] = estimate.to_json()
    excluded = {k: v for k, v in analysis.excluded.items() if v}
    if excluded:
        extra["excluded"] = excluded
    notes: list[str] = []
    if not analysis.evidence:
        notes.append("no located evidence: nothing to infer")
    elif not analysis.homes:
        notes.append("too little rest-time evidence for a home (abstained)")
    devices = tuple(d for d, _ in Counter(ctx.devices).most_common())
    return Profile(
        person=analysis.person,
        places=tuple(places),
        posts=ctx.posts,
        evidence_count=len(analysis.evidence),
        evidence_by_source=MappingProxyType(dict(by_source)),
        devices=devices,
        timezone=zones.most_common(1)[0][0] if zones else None,
        notes=tuple(notes),
        extra=MappingProxyType(extra),
    )
