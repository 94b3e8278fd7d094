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
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from geoleak.extract.evidence_columns import EvidenceColumns
from geoleak.geometry import EARTH_RADIUS_M
from geoleak.infer.roles import N_BINS, WORK_HOURS, bins_of
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
    out."""
    works, homes = analysis.work_candidates, analysis.home_candidates
    if not works or not homes or not analysis.usable:
        return {}
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
