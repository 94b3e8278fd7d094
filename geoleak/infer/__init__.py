"""Evidence -> places per person: homes, bases (via shared sites) and frequent places.

`LeakInference` is a scikit-learn-style estimator: parameters in physical units in
`__init__`, `fit(evidence_by_person)` returns self, results in `profiles_` and `sites_`.
Per-person work (`analyse_person`) is pure and separable; only the site pass looks
across people.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import EllipsisType, MappingProxyType
from typing import Any, cast

import numpy as np

from geoleak.children import pool_context, worker_start
from geoleak.extract.evidence_columns import EvidenceColumns
from geoleak.geometry import EARTH_RADIUS_M, haversine_m
from geoleak.infer.anchor import anchor_log_odds
from geoleak.infer.decide_many import (
    DecideNumbers,
    bagged_marginals_many,
    lowest_with_bags,
    numbers_of_people,
    shares_of_people,
)
from geoleak.infer.distinct import sorted_distinct
from geoleak.infer.places import (
    PEOPLE_PER_BATCH,
    InferenceParams,
    Layout,
    PersonAnalysis,
    RoleDecision,
    _ordered_evidence,
    analyse_people,
    decide,
    reads_bag,
)
from geoleak.infer.rhythm import TimezoneEstimate, estimate_utc_offset
from geoleak.infer.roles import PERSON_TYPES, RoleFit, RolePriors
from geoleak.infer.sites import (
    SiteMembers,
    SiteOdds,
    colleagues_share_a_spot,
    find_sites,
    site_odds_of,
)
from geoleak.types import (
    Evidence,
    LatLon,
    Place,
    PlaceKind,
    Profile,
    SharedSite,
    _pickled_by_fields,
    replaced,
)

__all__ = [
    "InferenceParams",
    "LeakInference",
    "PersonContext",
    "RolePriors",
    "Site",
    "estimator_from_json",
    "parameters_to_json",
]

# The inferred shared site type (frozen, in geoleak.types); the old name stays importable.
Site = SharedSite


@dataclass(frozen=True, slots=True)
class PersonContext:
    """What the pipeline knows of a person beyond located evidence."""

    posts: int = 0
    devices: Mapping[str, int] = field(default_factory=dict)
    excluded: Mapping[str, int] = field(default_factory=dict)
    utc_hours: tuple[int, ...] = (0,) * 24


# A partition's people's context goes with its spill between the passes: pickled as its
# constructor call, not the slotted dataclass's Python __getstate__ and __setstate__ (they
# list the fields again for every object); ~40 % of the context's dump and load.
_pickled_by_fields(PersonContext)


# Jobs handed to forked workers without pickling the evidence: workers inherit this list.
_FORK_JOBS: list[tuple[str, Sequence[Evidence], InferenceParams, Mapping[str, int]]] = []


def _analyse_forked(span: tuple[int, int]) -> list[PersonAnalysis]:
    """Analyse jobs `start:stop` of the inherited list together (`analyse_people`, as one
    process does); the evidence is not sent back."""
    start, stop = span
    analyses = _analyse_batch(_FORK_JOBS[start:stop])
    for analysis in analyses:
        analysis.evidence = []
    return analyses


def _analyse_batch(
    jobs: Sequence[tuple[str, Sequence[Evidence], InferenceParams, Mapping[str, int]]],
) -> list[PersonAnalysis]:
    """`analyse_people` of the jobs (every job carries the same parameters)."""
    return analyse_people([(person, evidence, excluded)
                           for person, evidence, _, excluded in jobs],
                          jobs[0][2] if jobs else None)  # fmt: skip


def _analyse_all(
    jobs: list[tuple[str, Sequence[Evidence], InferenceParams, Mapping[str, int]]], workers: int
) -> list[PersonAnalysis]:
    """Per-person analyses, over `workers` forked processes when that is available."""
    if workers <= 1 or len(jobs) < 200 or "fork" not in mp.get_all_start_methods():
        return _analyse_batch(jobs)
    global _FORK_JOBS  # noqa: PLW0603  (read by the forked workers)
    _FORK_JOBS = jobs
    # Spans of people analysed together in a worker: the batched analysis is what makes one
    # process fast (a person alone a task made two workers slower than one).
    size = max(1, min(PEOPLE_PER_BATCH, -(-len(jobs) // (workers * 4))))
    spans = [(at, min(at + size, len(jobs))) for at in range(0, len(jobs), size)]
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=pool_context("fork"), initializer=worker_start
        ) as pool:
            analyses = [
                analysis for batch in pool.map(_analyse_forked, spans) for analysis in batch
            ]
    finally:
        _FORK_JOBS = []
    for analysis, job in zip(analyses, jobs, strict=True):
        analysis.evidence = list(job[1])
    return analyses


_PRIOR_NAMES = tuple(f.name for f in fields(RolePriors))
_PARAM_NAMES = tuple(f.name for f in fields(InferenceParams) if f.name != "priors")


class LeakInference:
    """Infer every person's places from their evidence (a scikit-learn style estimator).

    Parameters are keyword-only, in physical units, stored as given and validated in `fit`;
    `get_params` / `set_params` work as in scikit-learn. Fitted results end in `_`:
    `profiles_` (one `Profile` per person, located or not), `sites_` (places where several
    people work), `params_` (the validated `InferenceParams`), `site_log_odds_` (the log
    likelihood ratios for a workplace candidate inside / outside a site, from
    `geoleak.infer.sites.site_log_odds`), `site_membership_share_` (the confidence of a base
    given through site membership alone, `geoleak.infer.sites.SiteOdds`).

    Parameters
    ----------
    eps_m : float, default 100
        Radius (m) of home-scale clusters (a house and its garden).
    work_eps_m : float, default 500
        Radius (m) of workplace-scale groups (a base spans hundreds of metres).
    min_samples : int, default 2
        Points a cluster needs; with 2, isolated points (reshared photos) are ignored.
    max_accuracy_m : float, default 500
        Fixes less accurate than this (m) are not used.
    min_home_days, min_home_weeks : int, default 3 and 2
        Distinct days and weeks a home candidate needs.
    min_base_days : int, default 3
        Distinct weekdays a base needs from the person's own evidence; a place seen on two
        still takes part and is given when it lies in a site where others work.
    max_trip_days : int, default 21
        A far-away group whose days all fall within this many days is travel.
    min_confidence : float, default 0.5
        A home or base is given only with at least this confidence (the lowest posterior
        probability over plausible shift-work priors; for a home, also over the bagged
        posterior, which averages it over reweightings of the person's evidence).
    exclusion_m : float, default 300
        Frequent places within this (m) of a home or base are not listed.
    max_upload_lag_days : float, default 30
        Photos posted longer than this (days) after they were taken are left out.
    site_eps_m : float, default 1000
        Radius (m) within which several people's workplaces form one site.
    min_site_people : int, default 2
        People a site needs.
    shared_site_odds : float or None, default None
        Odds ratio for a place being someone's workplace when others work there too. None
        estimates it from the corpus, with the odds for a candidate outside every site
        (`geoleak.infer.sites.site_log_odds`; the fitted log ratios are `site_log_odds_`).
    shift_work_share, no_workplace_share, live_at_work_share, second_residence_share,
    move_rate_per_year, home_unseen, concentration :
        Population priors; see `geoleak.infer.roles.RolePriors` (sources cited there).
    hour_weight : float, default 0.375
        Power (0 to 1) of the likelihood of each observation's hour within its part of the
        week (a place seen at 06-09 fits an early shift better than a place seen at 12-17);
        tempered because one person's hours are not independent (Grunwald & van Ommen 2017;
        Holmes & Walker 2017). 0.375 was chosen on the development corpora; 0 leaves the
        hours within a part out. See `geoleak.infer.roles.RolePriors`.
    workers : int, default 1
        Processes for the per-person analyses, each analysing spans of people together as
        one process does. Their analyses come back to this process pickled (~30 KB a
        person), which on two cores costs more than the second process saves (2,000
        people, `benchmarks/bench_infer.py --scale-people 2000`: 4.9 s against 3.6 s with
        one). `geoleak.run` and `geoleak infer` run inference in partition processes that
        send back only the profiles; use them for large corpora.
    """

    def __init__(
        self,
        *,
        eps_m: float = 100.0,
        work_eps_m: float = 500.0,
        min_samples: int = 2,
        max_accuracy_m: float = 500.0,
        min_home_days: int = 3,
        min_home_weeks: int = 2,
        min_base_days: int = 3,
        max_trip_days: int = 21,
        min_confidence: float = 0.5,
        exclusion_m: float = 300.0,
        max_upload_lag_days: float = 30.0,
        site_eps_m: float = 1000.0,
        min_site_people: int = 2,
        shared_site_odds: float | None = None,
        shift_work_share: float = 0.16,
        no_workplace_share: float = 0.2,
        live_at_work_share: float = 0.1,
        second_residence_share: float = 0.15,
        move_rate_per_year: float = 0.09,
        home_unseen: float = 0.1,
        concentration: float = 10.0,
        hour_weight: float = 0.375,
        workers: int = 1,
    ) -> None:
        self.eps_m = eps_m
        self.work_eps_m = work_eps_m
        self.min_samples = min_samples
        self.max_accuracy_m = max_accuracy_m
        self.min_home_days = min_home_days
        self.min_home_weeks = min_home_weeks
        self.min_base_days = min_base_days
        self.max_trip_days = max_trip_days
        self.min_confidence = min_confidence
        self.exclusion_m = exclusion_m
        self.max_upload_lag_days = max_upload_lag_days
        self.site_eps_m = site_eps_m
        self.min_site_people = min_site_people
        self.shared_site_odds = shared_site_odds
        self.shift_work_share = shift_work_share
        self.no_workplace_share = no_workplace_share
        self.live_at_work_share = live_at_work_share
        self.second_residence_share = second_residence_share
        self.move_rate_per_year = move_rate_per_year
        self.home_unseen = home_unseen
        self.concentration = concentration
        self.hour_weight = hour_weight
        self.workers = workers

    @classmethod
    def from_params(
        cls, params: InferenceParams | None = None, *, workers: int = 1
    ) -> LeakInference:
        """An estimator with the values of an `InferenceParams` (the CLI's bundle)."""
        params = params or InferenceParams()
        kwargs: dict[str, Any] = {name: getattr(params, name) for name in _PARAM_NAMES}
        kwargs.update({name: getattr(params.priors, name) for name in _PRIOR_NAMES})
        return cls(**kwargs, workers=workers)

    def get_params(self, deep: bool = True) -> dict[str, Any]:  # noqa: ARG002  (no nested estimators)
        """The constructor's parameters and their current values (scikit-learn API)."""
        return {name: getattr(self, name) for name in (*_PARAM_NAMES, *_PRIOR_NAMES, "workers")}

    def set_params(self, **params: Any) -> LeakInference:
        """Set parameters by name; unknown names raise ValueError (scikit-learn API)."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for LeakInference; valid: {', '.join(sorted(valid))}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        default = LeakInference().get_params()
        changed = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v != default[k])
        return f"LeakInference({changed})"

    def _validated(self) -> InferenceParams:
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be a positive integer, got {self.workers!r}")
        priors = RolePriors(**{name: getattr(self, name) for name in _PRIOR_NAMES})
        return InferenceParams(
            **{name: getattr(self, name) for name in _PARAM_NAMES}, priors=priors
        )

    def fit(
        self,
        evidence_by_person: Mapping[str, Sequence[Evidence]],
        context: Mapping[str, PersonContext] | None = None,
    ) -> LeakInference:
        params = self._validated()
        context = context or {}
        people = sorted(set(evidence_by_person) | set(context))
        jobs = [
            (p, evidence_by_person.get(p, ()), params, context.get(p, PersonContext()).excluded)
            for p in people
        ]
        analyses = _analyse_all(jobs, self.workers)
        self.params_ = params
        found = find_sites(analyses, params)
        self.sites_: list[SharedSite] = [site for site, _ in found]
        lookup = SiteLookup(found)
        odds = site_odds_of(analyses, found, params)
        self.site_log_odds_ = (odds.inside, odds.outside)
        self.site_membership_share_ = odds.membership_share
        self.profiles_: list[Profile] = [
            _profile(a, found, params, context.get(a.person, PersonContext()), lookup,
                     site_odds=odds)
            for a in analyses
        ]  # fmt: skip
        return self


def parameters_to_json(params: InferenceParams | None = None) -> dict[str, Any]:
    """The inference parameters as `profiles.json` carries them (`generated_by.parameters`):
    the `LeakInference` keywords and their values, `workers` left out (it changes no result)."""
    values = LeakInference.from_params(params).get_params()
    values.pop("workers", None)
    return values


def estimator_from_json(parameters: Mapping[str, Any]) -> tuple[LeakInference, list[str]]:
    """A `LeakInference` with the parameters a `profiles.json` was made with, and the names
    it did not know (left at their defaults). A bad value raises ValueError naming it."""
    known = LeakInference().get_params()
    unknown = sorted(name for name in parameters if name not in known or name == "workers")
    model = LeakInference().set_params(
        **{k: v for k, v in parameters.items() if k in known and k != "workers"}
    )
    try:
        model._validated()
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    return model, unknown


_Found = Sequence[tuple[SharedSite, SiteMembers]]


class SiteLookup:
    """The sites a person is a member of, and the sites that may be in reach of some points
    (by cells of latitude and longitude: `within_reach`), without a pass over every site
    for every person (that pass made profiles cost people x sites).

    Holds the members mappings themselves, so a member's candidate swapped in one after
    the lookup was built is the one read. Both lookups keep the sites' order.

    `largest_radius_m`, when given, is that of a larger list of sites that `sites` is part
    of (the store engine's pass 2 indexes only the sites a partition's people can read:
    `geoleak.engine.SiteIndex`). `spots`, when given, holds `shares_a_spot`'s answers by
    site id and spot for every lookup of that larger list's sites (see `shares_a_spot`).
    """

    def __init__(
        self,
        sites: _Found,
        *,
        largest_radius_m: float | None = None,
        spots: dict[tuple[str, float], bool] | None = None,
    ) -> None:
        self.sites = sites
        self._of_person: dict[str, list[int]] = {}
        for k, (_, members) in enumerate(sites):
            for person in members:
                self._of_person.setdefault(person, []).append(k)
        self._lats = np.array([site.position.lat for site, _ in sites], dtype=np.float64)
        self._lons = np.array([site.position.lon for site, _ in sites], dtype=np.float64)
        self._cells: dict[float, _SiteCells] = {}  # by cell size (degrees)
        self._spots = {} if spots is None else spots  # shares_a_spot, by site id and spot
        self.largest_radius_m = (
            max((site.radius_m for site, _ in sites), default=0.0)
            if largest_radius_m is None
            else largest_radius_m
        )

    def memberships(self, person: str) -> _Found:
        """The sites that list `person` among their members, in order."""
        return [self.sites[k] for k in self._of_person.get(person, ())]

    def shares_a_spot(self, site: SharedSite, members: SiteMembers, spot_m: float) -> bool:
        """`colleagues_share_a_spot` of one of the sites, worked out once a lookup (once
        for every lookup given the same `spots`). The answer reads only the members'
        positions, which a member's candidate swapped in (`geoleak.engine._swap_in_full`,
        the one of the same position) does not change."""
        key = (site.site_id, spot_m)
        known = self._spots.get(key)
        if known is None:
            known = self._spots[key] = colleagues_share_a_spot(members, spot_m)
        return known

    def within_reach(
        self, lats: np.ndarray[Any, Any], lons: np.ndarray[Any, Any], reach_m: float
    ) -> list[int]:
        """Indices (in order) of the sites whose centre may lie within `reach_m` metres
        (great circle) of one of the points (`lats`, `lons`, degrees): every site that does,
        and some that do not (those in the cells around the points' cells)."""
        # A margin covers rounding: the cells are never narrower than the reach.
        cell = math.degrees(reach_m / EARTH_RADIUS_M) * (1 + 1e-6) + 1e-9
        cells = self._cells.get(cell)
        if cells is None:  # (a race between threads builds the same cells twice)
            cells = self._cells[cell] = _SiteCells(self._lats, self._lons, cell)
        return cells.near(lats, lons)


class _SiteCells:
    """Sites by cells of `cell` degrees of latitude and of longitude (rows from the south
    pole, columns from the antimeridian, wrapping round it), only the cells that hold a
    site. A point's sites within `cell` degrees of arc (`cell` radians times the earth's
    radius) lie in its row or the rows next to it (a great-circle distance is at least R
    times the difference in latitude), and within the longitudes that distance spans at
    the highest latitude of those rows (all of them near a pole)."""

    def __init__(self, lats: np.ndarray[Any, Any], lons: np.ndarray[Any, Any], cell: float) -> None:
        self.cell = cell
        self.columns = max(1, math.ceil(360.0 / cell))
        self.rows: dict[int, dict[int, list[int]]] = {}
        rows, cols = self._cells_of(lats, lons)
        for k, (row, col) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
            self.rows.setdefault(row, {}).setdefault(col, []).append(k)
        self._spans: dict[int, int] = {}  # `_kept_span` of each row asked for
        # The sites by cell number (row * columns + column, one number a cell while rows
        # times columns fit in 62 bits: cells over 1e-8 degrees), sorted, for `near`.
        self._keyed = (math.ceil(180.0 / cell) + 3) * self.columns < 2**62
        keys = rows * self.columns + cols if self._keyed else rows[:0]
        self._order = np.argsort(keys, kind="stable")
        self._keys = keys[self._order]

    def _cells_of(
        self, lats: np.ndarray[Any, Any], lons: np.ndarray[Any, Any]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        rows = np.floor((np.asarray(lats, dtype=np.float64) + 90.0) / self.cell).astype(np.int64)
        east = np.mod(np.asarray(lons, dtype=np.float64) + 180.0, 360.0)
        cols = np.mod(np.floor(east / self.cell).astype(np.int64), self.columns)
        return rows, cols

    def _span(self, row: int) -> int | None:
        """How many columns either side of a point in `row` its reach may span, or None for
        every column (the reach crosses a pole, or spans half the longitudes)."""
        cell = self.cell
        # The highest latitude (either hemisphere) of the rows next to `row`, inclusive.
        highest = max(abs((row - 1) * cell - 90.0), abs((row + 2) * cell - 90.0))
        if highest >= 90.0:
            return None
        # hav(d) >= cos(lat1) cos(lat2) hav(dlon) >= cos(highest)^2 hav(dlon).
        half = math.sin(math.radians(cell) / 2) / math.cos(math.radians(highest))
        if half >= 1.0:
            return None
        spread = math.degrees(2 * math.asin(half)) * (1 + 1e-6) + 1e-9
        span = math.ceil(spread / cell) + 1
        return None if 2 * span + 1 >= self.columns else span

    def near(self, lats: np.ndarray[Any, Any], lons: np.ndarray[Any, Any]) -> list[int]:
        """Indices (in order) of the sites in the cells a point may reach from: those in
        the rows next to the point's cell (inclusive) whose column is at most the row's
        span (`_span`) from the point's, round the antimeridian, or in any column.

        Each distinct cell of the points once: those with a span all at once, as the
        ranges of cell numbers they may reach in each of the three rows (two where one
        wraps round the antimeridian), looked up in the sites' sorted cell numbers; those
        that reach every column cell by cell."""
        rows, cols = self._cells_of(lats, lons)
        if not self._keyed or not self._keys.size or not rows.size:
            return self._near_cells(zip(rows.tolist(), cols.tolist(), strict=True))
        columns = self.columns
        rows, cols = np.divmod(sorted_distinct(rows * columns + cols), columns)
        # The rows come sorted: each distinct row's span once (-1: every column).
        starts = np.flatnonzero(np.diff(rows, prepend=-2))
        span = np.repeat(
            np.array([self._kept_span(row) for row in rows[starts].tolist()], dtype=np.int64),
            np.diff(starts, append=rows.size),
        )
        every = span < 0
        found = set(self._near_cells(zip(rows[every].tolist(), cols[every].tolist(), strict=True)))
        if not every.all():
            rows, cols, span = rows[~every], cols[~every], span[~every]
            west, east = cols - span, cols + span
            # Each cell's range of columns, cut at the antimeridian, and what wraps round
            # it; in each of the rows next to the cell's (inclusive).
            wraps_west, wraps_east = west < 0, east >= columns
            row_of = np.concatenate([rows, rows[wraps_west], rows[wraps_east]])
            low = np.concatenate([np.maximum(west, 0), west[wraps_west] + columns,
                                  np.zeros(int(wraps_east.sum()), dtype=np.int64)])  # fmt: skip
            high = np.concatenate([np.minimum(east, columns - 1),
                                   np.full(int(wraps_west.sum()), columns - 1, dtype=np.int64),
                                   east[wraps_east] - columns])  # fmt: skip
            keys = self._keys
            first = np.concatenate([np.searchsorted(keys, (row_of + step) * columns + low, side="left")
                                    for step in (-1, 0, 1)])  # fmt: skip
            end = np.concatenate([np.searchsorted(keys, (row_of + step) * columns + high, side="right")
                                  for step in (-1, 0, 1)])  # fmt: skip
            hit = end > first
            first, count = first[hit], (end - first)[hit]
            at = np.repeat(first - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))
            found.update(self._order[at].tolist())
        return sorted(found)

    def _kept_span(self, row: int) -> int:
        """`_span(row)`, -1 for None, made once a row."""
        span = self._spans.get(row)
        if span is None:
            made = self._span(row)
            span = self._spans[row] = -1 if made is None else made
        return span

    def _near_cells(self, cells: Iterable[tuple[int, int]]) -> list[int]:
        """`near` of the points in `cells` (row, column), cell by cell."""
        found: set[int] = set()
        seen: set[tuple[int, int]] = set()
        for row, col in cells:
            if (row, col) in seen:
                continue
            seen.add((row, col))
            span = self._span(row)
            for r in (row - 1, row, row + 1):
                held = self.rows.get(r)
                if not held:
                    continue
                if span is None:
                    for members in held.values():
                        found.update(members)
                elif 2 * span + 1 <= len(held):
                    for c in range(col - span, col + span + 1):
                        found.update(held.get(c % self.columns, ()))
                else:
                    for c, members in held.items():
                        apart = abs(c - col) % self.columns
                        if min(apart, self.columns - apart) <= span:
                            found.update(members)
        return sorted(found)


def _site_boosts(
    analysis: PersonAnalysis,
    sites: _Found,
    site_odds: SiteOdds,
    anchors: Mapping[int, float] | None = None,
) -> dict[int, float]:
    """Log-odds added to each of the person's workplace candidates (`sites`: at least those
    the person is a member of): `site_odds[0]` to those that are the person's place in a site
    others work at too, `site_odds[1]` to the rest (see `site_log_odds`), and to each the
    person's working-hours outings around it (`anchors`: `anchor.anchor_log_odds`, made
    here when None). Zeros left out."""
    inside, outside = site_odds.inside, site_odds.outside
    linked = {
        k
        for site, members in sites
        if len(site.people) >= 2 and (own := members.get(analysis.person)) is not None
        for k, cand in enumerate(analysis.work_candidates)
        if cand is own
    }
    boosts = {k: inside if k in linked else outside for k in range(len(analysis.work_candidates))}
    for k, log_odds in (anchor_log_odds(analysis) if anchors is None else anchors).items():
        boosts[k] += log_odds
    return {k: v for k, v in boosts.items() if v}


def _haversine_grid_m(
    lats: np.ndarray[Any, Any],
    lons: np.ndarray[Any, Any],
    other_lats: np.ndarray[Any, Any],
    other_lons: np.ndarray[Any, Any],
) -> np.ndarray[Any, Any]:
    """Great-circle distances (m) between every (lat, lon) pair of two lists of degrees."""
    lat1, lon1 = np.radians(lats)[:, None], np.radians(lons)[:, None]  # radians for the trig
    lat2, lon2 = np.radians(other_lats)[None, :], np.radians(other_lons)[None, :]
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0))))


def _in_day_work_hours(local: datetime | None) -> bool:
    """Between 07:00 and 19:00 local time: when day workers are at work if anywhere."""
    return local is not None and 7 <= local.hour < 19


def _base_by_site_membership(
    analysis: PersonAnalysis,
    found: _Found,
    params: InferenceParams,
    lookup: SiteLookup | None,
    homes: Sequence[LatLon],
    site_odds: SiteOdds,
) -> Place | None:
    """A base for someone too thin on their own, from weekday evidence inside a known site.

    Evidence within `params.exclusion_m` of one of the person's `homes` (the homes given, or
    where none is, the home candidates their own fit reads as the home: `_ungiven_homes`)
    does not count
    unless that home lies on the site itself (quarters): the home explains it, and people
    who live next to a base, a hospital or a plant are not its staff (a person with no
    workplace whose home lies near a site got that site as base at 0.8 on the mobility
    family). The site must also hold more of the person's weekday evidence than all other
    places away from home hold in the day (07-19): an employed person spends more of a
    workday at work than anywhere else away from home (ATUS: about 8 of the 9-10 hours
    away), while the errands and leisure of a neighbour who is not staff are spread over
    many places (Song et al. 2010). The confidence is the corpus's share of workplaces
    among the places in reach of a site (`SiteOdds.membership_share`, every workplace
    candidate's refitted posterior: `geoleak.infer.sites.site_log_odds`): what
    P(workplace | in a site) is where it can be measured. (A fixed 0.35 + 0.1 a weekday +
    0.05 a person, at most 0.8, was cautious: 22 of 24 such bases right on the development
    families at a mean of 0.77. The person's own posterior with the site's odds does not
    do either: people who live on the site read as "no workplace away from home" there.
    The members' places' mean own score, `site_workplace_share`, had the selection of the
    members' places: 0.77-0.82 on the periodic-mobility development corpora, where 4 of
    its 5 membership bases were false; in reach, 0.29-0.42.)

    A person whose home lies on the site (`_home_on_site`: near its centre or a member's
    place) and who is seen there only at that home (within `params.exclusion_m` of it)
    shows nothing a resident who does not work there would not show too (family in quarters, neighbours, students next to a campus: on a focused
    corpus they and the staff living on site had the same evidence, weekday daytime posts
    at home and none elsewhere on the site). Their base's confidence is the probability
    that the home is also their workplace: the prior that a person lives at their workplace
    (`RolePriors.live_at_work_share` of those with a workplace away from home,
    1 - `no_workplace_share`; the role model's own prior for that assignment) with the
    corpus's log odds for a place inside a site others work at (`site_odds.inside`) added. Below `params.min_confidence` no base is
    given. Evidence on the site away from the home is what tells staff living on site
    apart; with enough of it (two weekdays, more than elsewhere) the share above applies.
    """
    weekday = [
        i
        for i in analysis.usable
        if (local := analysis.evidence[i].local_time) is not None and local.weekday() < 5
    ]
    at_home = np.array(
        [
            any(haversine_m(analysis.evidence[i].position, h) <= params.exclusion_m for h in homes)
            for i in weekday
        ],
        dtype=bool,
    )
    daytime = np.array(
        [_in_day_work_hours(analysis.evidence[i].local_time) for i in weekday], dtype=bool
    )
    if len(weekday) < 2 or not found:
        return None
    share = site_odds.membership_share
    if share < params.min_confidence:
        return None
    lats = np.array([analysis.evidence[i].position.lat for i in weekday])
    lons = np.array([analysis.evidence[i].position.lon for i in weekday])
    if lookup is not None:
        # Only sites that can be in reach of a point (the cells around the points' cells),
        # in their order: the sites out of reach are not near any point below either.
        largest = max(lookup.largest_radius_m * 3, params.work_eps_m)
        found = [found[k] for k in lookup.within_reach(lats, lons, largest)]
        if not found:
            return None
    sites = [site for site, _ in found]
    site_lats = np.array([site.position.lat for site in sites])
    site_lons = np.array([site.position.lon for site in sites])
    reach = np.maximum(np.array([site.radius_m for site in sites]) * 3, params.work_eps_m)
    # Every point against every site at once: (points, sites) distances.
    near_all = _haversine_grid_m(lats, lons, site_lats, site_lons) <= reach[None, :]
    for k, (site, members) in enumerate(found):  # largest first
        if analysis.person in members:
            continue
        near = near_all[:, k]
        on_site = any(_home_on_site(h, site, members, params) for h in homes)
        away = near & ~at_home
        elsewhere = int((~near & ~at_home & daytime).sum())
        confidence, only_at_home = share, False
        if not on_site:
            near = away
        elif not _site_evidence(analysis, weekday, away, elsewhere)[1]:
            confidence, only_at_home = _live_at_work_probability(params, site_odds.inside), True
            if confidence < params.min_confidence:
                continue
        hits, enough = _site_evidence(analysis, weekday, near, elsewhere)
        if not enough:
            continue
        days = {local.date() for i in hits if (local := analysis.evidence[i].local_time)}
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
                + (
                    "; seen there only at the home, as often as staff living on site or their "
                    "neighbours are"
                    if only_at_home
                    else ""
                )
            ),
            workdays=len(days),
            site_id=site.site_id,
        )
    return None


def _ungiven_homes(analysis: PersonAnalysis) -> list[LatLon]:
    """The person's home candidates that their own fit reads as the home (its plain posterior
    above one half) though none is given (seen on too few days: `places._home_ready`). The
    membership base leaves evidence at a home out because the home explains it, which holds
    whether or not the home has the days to be reported: a night worker seen on two days at a
    place read as her home at 0.89 was tied by those posts to a site 700 m away, 7.8 km from
    her workplace (mobility development 351, `benchmarks/README.md`, rate2 and tumiss)."""
    fit = analysis.fit
    if fit is None or not analysis.home_candidates or fit.log_score.size == 0:
        return []
    post = fit.posterior()
    home_of = np.array([st.home for st in fit.structures], dtype=np.int64)[fit.structure_index]
    return [
        cand.position
        for k, cand in enumerate(analysis.home_candidates)
        if float(post[home_of == k].sum()) > 0.5
    ]


def _home_on_site(
    home: LatLon, site: SharedSite, members: SiteMembers, params: InferenceParams
) -> bool:
    """Whether a home lies on a site: within `params.exclusion_m` of the site's centre or of
    one of its members' places (where a colleague is seen on duty). Evidence within that
    radius of a home is the home's (`exclusion_m`, the radius issue 11 names for "at the
    home"), so a home that near a place people work at may be at that workplace too. Not
    the site's radius: a site of several places spread over a kilometre has a radius of
    500 m or more, and a home between its places, far from each, is no nearer any of them
    than a neighbour's (mobility development 360, once two more thin places there read as
    workplaces: a not-employed person's home 378 m from the nearest member's place and
    ~550 m from the centre of a ~550 m site got a base at 0.55 through it; the ten staff
    living on site given a base this way on the development families live 14-161 m from a
    member's place: `benchmarks/README.md`, siterate)."""
    return haversine_m(home, site.position) <= params.exclusion_m or any(
        haversine_m(home, cand.position) <= params.exclusion_m for cand in members.values()
    )


def _site_evidence(
    analysis: PersonAnalysis, weekday: list[int], near: np.ndarray[Any, Any], elsewhere: int
) -> tuple[list[int], bool]:
    """The weekday evidence `near` a site (a mask over `weekday`), and whether it ties the
    person to the site: two or more points on two or more days, more than `elsewhere`."""
    hits = [i for i, inside in zip(weekday, near, strict=True) if inside]
    days = {local.date() for i in hits if (local := analysis.evidence[i].local_time)}
    return hits, len(hits) >= 2 and len(days) >= 2 and len(hits) > elsewhere


def _live_at_work_probability(params: InferenceParams, inside_odds: float) -> float:
    """P(a person's home inside a site others work at is also their workplace): the role
    model's prior for living at work (`live_at_work_share` of those with a workplace away
    from home) with the corpus's log odds for a place inside such a site added."""
    priors = params.priors
    prior = priors.live_at_work_share * (1.0 - priors.no_workplace_share)
    return 1.0 / (1.0 + math.exp(-(math.log(prior / (1.0 - prior)) + inside_odds)))


def _person_boosts(
    analysis: PersonAnalysis,
    lookup: SiteLookup,
    site_odds: SiteOdds,
    anchors: Mapping[int, float] | None = None,
) -> dict[int, float]:
    """The log-odds `_profile` adds to the person's workplace candidates (`_site_boosts`;
    `anchors`: the person's `anchor.anchor_log_odds` when the caller made them)."""
    return _site_boosts(analysis, lookup.memberships(analysis.person), site_odds, anchors)


def decide_numbers(
    analyses: Sequence[PersonAnalysis],
    params: InferenceParams,
    boosts: Sequence[Mapping[int, float]],
) -> list[DecideNumbers | None]:
    """`decide`'s posterior sums of each person with a fit (`boosts`: each one's
    `_person_boosts`), made for all of them at once (`numbers_of_people`, the same floats
    as one person's); None for the others."""
    chosen = [
        i
        for i, a in enumerate(analyses)
        if a.fit is not None and a.layout is not None and a.fit.log_score.size
    ]
    fits = [cast(RoleFit, analyses[i].fit) for i in chosen]
    made = numbers_of_people(
        fits,
        [boosts[i] for i in chosen],
        [fit.robust_shifts(params.priors) for fit in fits],
        [len(analyses[i].home_candidates) for i in chosen],
        [len(analyses[i].work_candidates) for i in chosen],
    )
    numbers: list[DecideNumbers | None] = [None] * len(analyses)
    for i, made_i in zip(chosen, made, strict=True):
        numbers[i] = made_i
    # The bagged home marginals of those `decide` gives a home (its test, on the same
    # numbers), for all of them at once.
    bag_of = [
        i
        for i, made_i in zip(chosen, made, strict=True)
        if reads_bag(analyses[i].home_candidates, made_i, params)
    ]
    bagged = bagged_marginals_many(
        [cast(RoleFit, analyses[i].fit) for i in bag_of],
        [cast(DecideNumbers, numbers[i]).home_of for i in bag_of],
        [len(analyses[i].home_candidates) for i in bag_of],
        [dict(boosts[i] or {}) for i in bag_of],
        [cast(DecideNumbers, numbers[i]).shifts for i in bag_of],
        [cast(DecideNumbers, numbers[i]).work_of for i in bag_of],
    )
    for i, bag in zip(bag_of, bagged, strict=True):
        made_i = cast(DecideNumbers, numbers[i])
        made_i.bagged, made_i.bag_made = bag, True
    lowest_with_bags([cast(DecideNumbers, numbers[i]) for i in bag_of])
    # The masses `decide` reads at the likeliest home and workplace, for all at once.
    layouts = [cast(Layout, analyses[i].layout) for i in chosen]
    shares_of_people(
        made,
        [fit.person_type for fit in fits],
        [layout.work_labels for layout in layouts],
        [[layout.loc_group[r] for r in layout.home_rows] for layout in layouts],
    )
    return numbers


def _counts(values: Sequence[Any]) -> dict[Any, int]:
    """`dict(Counter(values))`: each value's count, keyed in the order first seen. A list of
    one value (most people's sources and time zones: a person's rows share the partition's
    string objects) is counted by `list.count`, which compares by identity first, without a
    dict operation an item; pass 2 counted two lists a person (~8 us of ~350 a person)."""
    if values and values.count(values[0]) == len(values):
        return {values[0]: len(values)}
    return dict(Counter(values))


def _likeliest(counts: Mapping[Any, int]) -> Any:
    """`Counter(counts).most_common(1)[0][0]` (the first key of the highest count, in the
    mapping's order), or None when it is empty."""
    return max(counts, key=counts.__getitem__) if counts else None


def _profile(
    analysis: PersonAnalysis,
    sites: _Found,
    params: InferenceParams,
    ctx: PersonContext,
    lookup: SiteLookup | None = None,
    *,
    site_odds: SiteOdds,
    numbers: DecideNumbers | None = None,
    boosts: dict[int, float] | None = None,
    decision: RoleDecision[Place] | EllipsisType | None = ...,
) -> Profile:
    """`lookup` indexes `sites` (built here when not given: one pass over the sites);
    `site_odds` are the corpus's `site_log_odds`; `numbers` the person's `decide_numbers`
    and `boosts` their `_person_boosts` with this lookup (each made here when not given);
    `decision`: `decide`'s with those (`decided_many`'s; None without a fit), made here
    when not given."""
    lookup = SiteLookup(sites) if lookup is None else lookup
    own_sites = lookup.memberships(analysis.person)
    if boosts is None:
        boosts = _site_boosts(analysis, own_sites, site_odds)
    if decision is ...:
        decision = decide(analysis, params, boosts, numbers) if analysis.fit is not None else None
    places: list[Place] = list(decision.homes) if decision else []
    base = decision.base if decision else None
    if base is not None and decision is not None:
        own = analysis.work_candidates[decision.base_index]
        found = next(((s, m) for s, m in own_sites if m.get(analysis.person) is own), None)
        if found is not None:
            site, members = found
            others = len(site.people) - 1
            shared = (
                f"; part of site {site.site_id}, shared with {others} other "
                f"{'person' if others == 1 else 'people'}"
            )
            if lookup.shares_a_spot(site, members, params.site_spot_m):
                # One installation: its centre, from everybody's evidence, is its place.
                base = replaced(
                    base,
                    position=site.position,
                    radius_m=round(site.radius_m, 1),
                    site_id=site.site_id,
                    explanation=base.explanation + shared,
                )
            else:  # neighbouring workplaces: the person's own spot is their base
                apart = haversine_m(base.position, site.position)
                base = replaced(
                    base,
                    site_id=site.site_id,
                    explanation=(
                        f"{base.explanation}{shared}, none seen at the same spot (its centre "
                        f"{apart:.0f} m away), so the base is where this person is seen"
                    ),
                )
        if decision.lives_at_work:
            base = replaced(base, explanation=base.explanation + "; the home is inside this site")
    elif not (decision and decision.base is not None):
        homes = [p.position for p in places if p.kind == PlaceKind.HOME]
        base = _base_by_site_membership(
            analysis, sites, params, lookup, homes or _ungiven_homes(analysis), site_odds
        )
        reach = max(base.radius_m * 3, params.work_eps_m) if base is not None else 0.0
        if base is not None and homes and haversine_m(homes[0], base.position) <= reach:
            base = replaced(base, explanation=base.explanation + "; the home is inside this site")
    if base is not None:
        places.append(base)
    for place in decision.frequent if decision else ():
        if all(haversine_m(place.position, p.position) > params.exclusion_m for p in places):
            places.append(place)

    by_source: dict[str, int]
    zones: dict[str | None, int]
    if isinstance(analysis.evidence, EvidenceColumns):  # the same counts, without objects
        by_source = _counts(analysis.evidence.sources)
        # Counted all at once, then the empty names dropped: the others keep their order
        # (the likeliest's ties go to the name seen first).
        zones = _counts(analysis.evidence.tz_names)
        zones.pop(None, None)
        zones.pop("", None)
    else:
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
    if decision is not None and analysis.fit is not None and analysis.fit.log_score.size:
        extra["person_type"] = {
            name: round(p, 3)
            for name, p in zip(PERSON_TYPES, decision.type_marginals, strict=True)
            if p >= 0.005
        }
    notes: list[str] = []
    if not analysis.evidence:
        notes.append("no located evidence: nothing to infer")
    elif not any(p.kind == PlaceKind.HOME for p in places):
        notes.append("no home with enough certainty (abstained)")
    devices = tuple(d for d, _ in Counter(ctx.devices).most_common()) if ctx.devices else ()
    return Profile(
        person=analysis.person,
        places=tuple(places),
        posts=ctx.posts,
        evidence_count=len(analysis.evidence),
        evidence_by_source=MappingProxyType(dict(by_source)),
        devices=devices,
        timezone=_likeliest(zones),
        notes=tuple(notes),
        extra=MappingProxyType(extra),
    )
