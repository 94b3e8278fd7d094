"""A workplace as the anchor of the working day: outings in working hours around it.

Why: a thin workplace (seen on two to seven weekdays) and a place a person with no
workplace goes to fit the role model's parts of the week about as well (benchmarks/README.md,
base20), but the two differ in *where the person's other outings are*. A worker spends the
working day at the workplace, and the time away from it in working hours is mostly the lunch
break and errands made from it on foot (ATUS: ~30 % of day workers away from the workplace at
12-13 h, `roles.HOURLY`; activity-based travel models carry these as work-based subtours,
Bowman & Ben-Akiva 2001, Transportation Research A 35:1), while evenings and weekends are
spent around the home: activity spaces form around the home and the workplace as anchor
points (Golledge & Stimson 1997, "Spatial Behavior"; Schoenfelder & Axhausen 2003, Urban
Studies 40:273). A place that is not the person's workplace anchors no part of the week more
than another: a favourite neighbourhood is visited when the person goes out, whatever the
hour.

The test. For each workplace candidate at least `HOME_AREA_M` from the person's first home
candidate, the person's outings (located days away from the candidate itself,
`OWN_PLACE_M`, and from every home candidate, `HOME_AREA_M`) are split into (day, part of the
week) cells in weekday working hours and at other times, and each into those within walking
distance of the candidate (`WALK_M`) and the rest: k1 of n1 in working hours, k2 of n2 at
other times. H1 (an anchor of the working day): the share near it in working hours r1 is
larger than at other times r2, each uniform a priori; H0: one share r for both, uniform.
The log Bayes factor is Beta-binomial, exact for whole counts (`anchor_log_bayes_factor`),
and is added to the candidate's workplace readings as log-odds (`anchor_log_odds`), as the
site pass adds a site's, only where it is positive: outings elsewhere in working hours say
nothing against a workplace on the days the person was at work (measured with the negative
side too: benchmarks/README.md, base20). No constant is fitted: the radii are a walk (NHTS
2017: walking trips average ~0.7 mile), a candidate's extent and the home's area.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import NDArray

from geoleak.extract.evidence_columns import EvidenceColumns, local_hours, local_ordinals
from geoleak.geometry import EARTH_RADIUS_M
from geoleak.infer.roles import N_BINS, WORK_END_H, WORK_HOURS, WORK_START_H, bins_of
from geoleak.infer.special import betaln

if TYPE_CHECKING:
    from geoleak.infer.places import PersonAnalysis
    from geoleak.types import Evidence

WALK_M = 1_000.0  # outings within walking distance of the candidate (NHTS 2017 walk trips)
OWN_PLACE_M = 150.0  # the candidate's own spot (1.5 x the home-scale `eps_m`, 100 m)
HOME_AREA_M = 500.0  # the home's area: outings start elsewhere


def _log_beta_greater(a1: int, b1: int, a2: int, b2: int) -> float:
    """log P(X > Y) for independent X ~ Beta(a1, b1), Y ~ Beta(a2, b2) with whole a1 >= 1
    (a finite sum: Cook 2005, "Exact calculation of beta inequalities", UT MD Anderson
    technical report; in Evan Miller's form), summed in logs."""
    terms = [
        betaln(a2 + i, b1 + b2) - math.log(b1 + i) - betaln(1 + i, b1) - betaln(a2, b2)
        for i in range(a1)
    ]
    top = max(terms)
    return float(top + math.log(math.fsum(math.exp(t - top) for t in terms)))


def anchor_log_bayes_factor(k1: int, n1: int, k2: int, n2: int) -> float:
    """Log Bayes factor of "k1 of n1 working-hours outings and k2 of n2 other outings near a
    place" under r1 > r2 (both uniform, restricted to r1 > r2) against one share for both
    (uniform). 0 when either side has no outing."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    both = betaln(k1 + 1, n1 - k1 + 1) + betaln(k2 + 1, n2 - k2 + 1)
    pooled = betaln(k1 + k2 + 1, n1 + n2 - k1 - k2 + 1)
    greater = _log_beta_greater(k1 + 1, n1 - k1 + 1, k2 + 1, n2 - k2 + 1)
    return float(both - pooled + math.log(2.0) + greater)


def _unit(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unit vectors of (lat, lon) degrees: chords compare distances on the sphere."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


def _chord(distance_m: float) -> float:
    return 2.0 * math.sin(distance_m / (2.0 * EARTH_RADIUS_M))


def anchor_log_odds(analysis: PersonAnalysis) -> dict[int, float]:
    """Per workplace candidate (index into `analysis.work_candidates`), the positive
    `anchor_log_bayes_factor` of the person's outings around it; candidates with none left
    out.

    Only a candidate with an outing near it in working hours (k1 > 0) can have a positive
    factor, and few have one (92 of the 3,341 people of a 200 k post corpus may, 38 get a
    factor), so `_maybe_anchors` first looks for one among the working-hours points alone,
    loosely and in Python floats; only the candidates it keeps are counted over all the
    points, as the definition does (the same floats)."""
    works, homes = analysis.work_candidates, analysis.home_candidates
    if not works or not homes or not analysis.usable:
        return {}
    maybe = _maybe_anchors(analysis)
    if not maybe:
        return {}
    return _counted(analysis, maybe)


def _counted(analysis: PersonAnalysis, maybe: set[int]) -> dict[int, float]:
    """The factors of the candidates `maybe` (those the loose test keeps), counted over
    all the usable points as the definition counts them."""
    works, homes = analysis.work_candidates, analysis.home_candidates
    home_units = _unit(
        np.array([h.position.lat for h in homes]), np.array([h.position.lon for h in homes])
    )
    work_units = _unit(
        np.array([c.position.lat for c in works]), np.array([c.position.lon for c in works])
    )
    # Candidates away from the person's most-seen place (the first home candidate).
    far = np.linalg.norm(work_units - home_units[0], axis=1) > _chord(HOME_AREA_M)
    if not far.any():
        return {}
    lat, lon, hours, ordinals = _columns(analysis.evidence, analysis.usable)
    part, day = bins_of(hours, ordinals)
    points = _unit(lat, lon)
    # Outings: away from every place the person may live at (a home, a partner's, a second
    # residence: the home candidates).
    away = (np.linalg.norm(points[:, None, :] - home_units[None, :, :], axis=2)
            > _chord(HOME_AREA_M)).all(axis=1)  # fmt: skip
    working = part == WORK_HOURS
    cell = day * N_BINS + part  # a (day, part of the week)
    out: dict[int, float] = {}
    for k in np.flatnonzero(far).tolist():
        if k not in maybe:  # no outing near it in working hours: k1 == 0
            continue
        chord = np.linalg.norm(points - work_units[k], axis=1)
        outing = away & (chord > _chord(OWN_PLACE_M))
        near = outing & (chord <= _chord(WALK_M))
        k1 = _distinct(cell[near & working])
        if k1 == 0:
            continue
        n1 = _distinct(cell[outing & working])
        k2, n2 = _distinct(cell[near & ~working]), _distinct(cell[outing & ~working])
        log_bf = anchor_log_bayes_factor(k1, n1, k2, n2)
        if log_bf > 0.0:
            out[k] = log_bf
    return out


# `_maybe_anchors`' relative margin on squared chords: far above their rounding (~1e-10 of
# a 150 m chord's square, whichever way the unit vectors were computed), under a millimetre.
_MARGIN = 1e-6
_HOME_AREA_SQ = _chord(HOME_AREA_M) ** 2
_OWN_PLACE_SQ = _chord(OWN_PLACE_M) ** 2
_WALK_SQ = _chord(WALK_M) ** 2
_WALK_DEG = math.degrees(WALK_M / EARTH_RADIUS_M) * (1.0 + _MARGIN)  # a walk's latitudes


def _maybe_anchors(analysis: PersonAnalysis) -> set[int]:
    """The work candidates that may have an outing near them in working hours: away from
    the first home candidate, with a usable point on a weekday between `WORK_START_H` and
    `WORK_END_H` (`WORK_HOURS`) away from every home candidate, off the candidate's own
    spot and within a walk of it. Each distance test is loosened by `_MARGIN`, so every
    candidate `anchor_log_odds` finds such an outing for is kept, whatever the last bits of
    the distances computed here (in Python floats: a person has a few candidates and a few
    dozen such points, too few for arrays to pay). A point further in latitude than a walk
    from every candidate is dropped first (the arc between two points is at least their
    difference in latitude)."""
    home_units = [_unit_of(h.position.lat, h.position.lon) for h in analysis.home_candidates]
    work_units = [_unit_of(c.position.lat, c.position.lon) for c in analysis.work_candidates]
    far = [
        k for k, u in enumerate(work_units)
        if _square(u, home_units[0]) > _HOME_AREA_SQ * (1.0 - _MARGIN)
    ]  # fmt: skip
    if not far:
        return set()
    far_lats = [analysis.work_candidates[k].position.lat for k in far]
    low, high = min(far_lats) - _WALK_DEG, max(far_lats) + _WALK_DEG
    evidence, usable = analysis.evidence, analysis.usable
    if isinstance(evidence, EvidenceColumns):
        index = np.array(usable, dtype=np.int64)
        hours, days = evidence.local_hour(index), local_ordinals(evidence.local_us[index])
        lat = evidence.lat[index]
        chosen = index[(hours >= WORK_START_H) & (hours < WORK_END_H) & ((days + 6) % 7 < 5)
                       & (lat >= low) & (lat <= high)]  # fmt: skip
        positions = list(
            zip(evidence.lat[chosen].tolist(), evidence.lon[chosen].tolist(), strict=True)
        )
    else:
        positions = [
            (ev.position.lat, ev.position.lon)
            for i in usable
            if low <= (ev := evidence[i]).position.lat <= high
            and (t := ev.local_time) is not None
            and WORK_START_H <= t.hour < WORK_END_H
            and t.weekday() < 5
        ]
    found: set[int] = set()
    for lat, lon in positions:
        point = _unit_of(lat, lon)
        if any(_square(point, u) <= _HOME_AREA_SQ * (1.0 - _MARGIN) for u in home_units):
            continue  # at a home, however the last bits fall
        found.update(
            k for k in far
            if _OWN_PLACE_SQ * (1.0 - _MARGIN) < _square(point, work_units[k])
            <= _WALK_SQ * (1.0 + _MARGIN)
        )  # fmt: skip
    return found


def anchor_log_odds_of_people(analyses: Sequence[PersonAnalysis]) -> list[dict[int, float]]:
    """`anchor_log_odds` of each person, the same floats in the same key order: the loose
    test (`_maybe_anchors`) made for every person whose evidence is columns at once
    (`_maybe_anchors_of_people`), then only the people it keeps a candidate of counted one
    by one (`_counted`). Pass 2 of a partition (`engine.profiles_of`) reads every person's;
    one at a time the loose test cost ~36 us a person, mostly numpy calls on a few dozen
    points."""
    out: list[dict[int, float]] = [{} for _ in analyses]
    at_once: list[int] = []
    for i, analysis in enumerate(analyses):
        if not analysis.work_candidates or not analysis.home_candidates or not analysis.usable:
            continue
        if isinstance(analysis.evidence, EvidenceColumns):
            at_once.append(i)
        else:
            out[i] = anchor_log_odds(analysis)
    kept = _maybe_anchors_of_people([analyses[i] for i in at_once])
    for i, maybe in zip(at_once, kept, strict=True):
        if maybe:
            out[i] = _counted(analyses[i], maybe)
    return out


def _ragged_pairs(
    owner: NDArray[np.int64], starts: NDArray[np.int64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each item paired with each of its owner's members: item `i` of owner `owner[i]`
    with members `starts[owner[i]]` to `starts[owner[i]] + counts[owner[i]] - 1`, as
    (item, member) index arrays, items in order, members in order within an item."""
    each = counts[owner]
    items = np.repeat(np.arange(owner.size, dtype=np.int64), each)
    first = np.cumsum(each) - each
    members = np.repeat(starts[owner] - first, each) + np.arange(items.size, dtype=np.int64)
    return items, members


def _maybe_anchors_of_people(people: Sequence[PersonAnalysis]) -> list[set[int]]:
    """`_maybe_anchors` of each person (evidence as `EvidenceColumns`, at least one home
    and one work candidate and a usable point each), all at once in numpy: the same tests,
    each loosened by the same `_MARGIN`, so each keeps every candidate `_counted` can find
    an outing for, whatever the last bits of the unit vectors here."""
    if not people:
        return []
    n_home = np.array([len(a.home_candidates) for a in people], dtype=np.int64)
    n_work = np.array([len(a.work_candidates) for a in people], dtype=np.int64)
    home_start = np.cumsum(n_home) - n_home
    work_start = np.cumsum(n_work) - n_work
    homes = [c.position for a in people for c in a.home_candidates]
    works = [c.position for a in people for c in a.work_candidates]
    home_units = _unit(np.array([p.lat for p in homes]), np.array([p.lon for p in homes]))
    work_lat = np.array([p.lat for p in works])
    work_units = _unit(work_lat, np.array([p.lon for p in works]))
    work_owner = np.repeat(np.arange(len(people), dtype=np.int64), n_work)
    first_home = home_units[home_start[work_owner]]
    far = ((work_units - first_home) ** 2).sum(axis=1) > _HOME_AREA_SQ * (1.0 - _MARGIN)
    # A walk's latitudes around each person's candidates away from the home (none: empty).
    low = np.minimum.reduceat(np.where(far, work_lat, np.inf), work_start) - _WALK_DEG
    high = np.maximum.reduceat(np.where(far, work_lat, -np.inf), work_start) + _WALK_DEG
    # Every person's points, usable or not: a point more can only keep a candidate more
    # (`_counted` then counts the usable ones alone), and reading the usable ones' indices
    # cost more than the test of the others (on c200k every point is usable).
    columns = [cast(EvidenceColumns, a.evidence) for a in people]
    local_us = np.concatenate([c.local_us for c in columns])
    lat = np.concatenate([c.lat for c in columns])
    lon = np.concatenate([c.lon for c in columns])
    sizes = np.array([c.lat.size for c in columns], dtype=np.int64)
    owner = np.repeat(np.arange(len(people), dtype=np.int64), sizes)
    hours, days = local_hours(local_us), local_ordinals(local_us)
    chosen = np.flatnonzero(
        (hours >= WORK_START_H) & (hours < WORK_END_H) & ((days + 6) % 7 < 5)
        & (lat >= low[owner]) & (lat <= high[owner])
    )  # fmt: skip
    found: list[set[int]] = [set() for _ in people]
    if not chosen.size:
        return found
    owner = owner[chosen]
    points = _unit(lat[chosen], lon[chosen])
    # Off every home candidate of the person, however the last bits fall.
    point, home = _ragged_pairs(owner, home_start, n_home)
    at_home = ((points[point] - home_units[home]) ** 2).sum(axis=1) <= _HOME_AREA_SQ * (
        1.0 - _MARGIN
    )
    away = np.bincount(point[at_home], minlength=chosen.size) == 0
    owner, points = owner[away], points[away]
    point, work = _ragged_pairs(owner, work_start, n_work)
    square = ((points[point] - work_units[work]) ** 2).sum(axis=1)
    near = (
        far[work]
        & (square > _OWN_PLACE_SQ * (1.0 - _MARGIN))
        & (square <= _WALK_SQ * (1.0 + _MARGIN))
    )
    for person, k in zip(
        owner[point[near]].tolist(),
        (work[near] - work_start[owner[point[near]]]).tolist(),
        strict=True,
    ):
        found[person].add(k)
    return found


def _unit_of(lat: float, lon: float) -> tuple[float, float, float]:
    """`_unit` of one point, in Python floats (the same to the last bit or two)."""
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def _square(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """The squared chord between two unit vectors."""
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2


def _distinct(cells: NDArray[np.int64]) -> int:
    return int(np.unique(cells).size)


def _columns(
    evidence: Sequence[Evidence], usable: Sequence[int]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Latitudes, longitudes, local hours and local dates (`date.toordinal()`) of the usable
    points (each has a local time: `places._usable`), from the columns where there are."""
    index = np.array(usable, dtype=np.int64)
    if isinstance(evidence, EvidenceColumns):
        return (evidence.lat[index], evidence.lon[index], evidence.local_hour()[index],
                evidence.local_ordinal()[index])  # fmt: skip
    chosen = [evidence[i] for i in usable]
    times = [ev.local_time for ev in chosen]
    return (
        np.array([ev.position.lat for ev in chosen], dtype=np.float64),
        np.array([ev.position.lon for ev in chosen], dtype=np.float64),
        np.array([t.hour if t is not None else 0 for t in times], dtype=np.int64),
        np.array([t.toordinal() if t is not None else 0 for t in times], dtype=np.int64),
    )
