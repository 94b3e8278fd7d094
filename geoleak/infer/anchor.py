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

from geoleak.geometry import EARTH_RADIUS_M
from geoleak.infer.roles import WORK_HOURS, bin_of
from geoleak.infer.special import betaln

if TYPE_CHECKING:
    from geoleak.infer.places import PersonAnalysis

WALK_M = 1_000.0  # outings within walking distance of the candidate (NHTS 2017 walk trips)
OWN_PLACE_M = 150.0  # the candidate's own points (a workplace-scale place: `work_eps_m`)
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
    works = analysis.work_candidates
    homes = analysis.home_candidates
    if not works or not homes:
        return {}
    positions: list[tuple[float, float]] = []
    cells: list[tuple[int, int]] = []
    for i in analysis.usable:
        item = analysis.evidence[i]
        if item.local_time is None:
            continue
        part, day = bin_of(item.local_time)
        positions.append((item.position.lat, item.position.lon))
        cells.append((day.toordinal(), part))
    if not positions:
        return {}
    where = np.array(positions, dtype=np.float64)
    points = _unit(where[:, 0], where[:, 1])
    # Outings: away from every place the person may live at (a home, a partner's, a second
    # residence: the home candidates), the first of which is their most-seen place.
    home_units = _unit(
        np.array([h.position.lat for h in homes]), np.array([h.position.lon for h in homes])
    )
    away = (np.linalg.norm(points[:, None, :] - home_units[None, :, :], axis=2)
            > _chord(HOME_AREA_M)).all(axis=1)  # fmt: skip
    working = np.array([part == WORK_HOURS for _, part in cells])
    out: dict[int, float] = {}
    for k, cand in enumerate(works):
        unit = _unit(np.array([cand.position.lat]), np.array([cand.position.lon]))[0]
        if np.linalg.norm(unit - home_units[0]) <= _chord(HOME_AREA_M):
            continue
        chord = np.linalg.norm(points - unit, axis=1)
        outing = away & (chord > _chord(OWN_PLACE_M))
        near = outing & (chord <= _chord(WALK_M))
        k1, n1, k2, n2 = (_distinct(cells, near & working), _distinct(cells, outing & working),
                          _distinct(cells, near & ~working), _distinct(cells, outing & ~working))  # fmt: skip
        if k1 == 0:
            continue
        log_bf = anchor_log_bayes_factor(k1, n1, k2, n2)
        if log_bf > 0.0:
            out[k] = log_bf
    return out


def _distinct(cells: Sequence[tuple[int, int]], mask: NDArray[np.bool_]) -> int:
    """Distinct (day, part) cells among those selected."""
    return len({cells[int(i)] for i in np.flatnonzero(mask)})
