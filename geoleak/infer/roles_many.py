"""The role model of `roles` fitted for many people at once, with the same floats.

`roles.fit_roles` scores one person's assignments with a few dozen numpy calls on small
arrays: at a few thousand people most of its time is the calls' overhead, not arithmetic.
`fit_roles_many` scores the assignments of a batch of people together: every person's
assignments stacked, the role rows as sums over (assignment, location) pairs, the
Dirichlet-multinomial and the priors in one call each, the bag's reweighted scores
(`roles.BAG_DRAWS`) of every bagged person at once, and the results split per person.

Every float is the one `fit_roles` gives (tests/infer/test_roles_many.py compares them bit
for bit over random people): sums of whole-number day counts are exact in any order; sums of
other values run in the order the per-person code adds them (location by location); the
scalar `math.lgamma` and `math.log` of whole numbers are read from tables of the same
calls; element-wise numpy and scipy functions give each element what they give it alone;
and the few matrix products whose order is the library's (`home_unseen_by_type`'s shares,
`person_presence`'s hourly mean) are made per person as `fit_roles` makes them.

Assignments and structure priors are built by the same functions as `fit_roles`
(`roles._assignments`, `_structure_log_priors_many`, `_workplace_log_prior`), once for each
shape of problem (which locations are candidates for what: `_shapes_of`), and the bag scores
the assignments `roles._bag_inputs` keeps, so a change of the model's types, priors or
assignments reaches both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from geoleak.infer import roles
from geoleak.infer.roles import (
    HOME,
    N_BINS,
    NO_WORK,
    OTHER,
    OTHER_PLACES_CONCENTRATION,
    PERSON_TYPES,
    SCORED_TYPES,
    SECOND,
    WORK,
    RoleFit,
    RolePriors,
)

__all__ = ["TERM_NAMES", "RoleProblem", "fit_roles_many"]

# The terms of an assignment's log score (`RoleProblem.terms`): the Dirichlet-multinomial of
# roles by part of the week, a second residence's share of the weekends
# (`roles.second_split_loglik`), the place within a role (one workplace, the Chinese restaurant
# process over other places), the person type's prior, the structure's (second place, move,
# commute band), the home's being a candidate or not (`roles.home_unseen_probability`),
# which candidate is the workplace (`roles._workplace_log_prior`), the rota's or fixed
# weekdays' Bayes factor, the waking hours' and the hour of each observation within its part.
TERM_NAMES = (
    "presence by part of the week",
    "second residence's weekends",
    "which place within a role",
    "type prior",
    "structure prior",
    "home seen or not",
    "which workplace",
    "workplace days",
    "waking hours",
    "hour within the part",
)


@dataclass(frozen=True, slots=True)
class RoleProblem:
    """One person's arguments to `roles.fit_roles` (the priors are the batch's)."""

    counts: NDArray[np.float64]
    loc_group: Sequence[int]
    home_locs: Sequence[int]
    work_groups: Sequence[int]
    second_locs: Sequence[int]
    moves: Sequence[tuple[int, int, date, NDArray[np.float64], NDArray[np.float64]]]
    singleton_total: float
    years: float
    min_home_days: int = 3
    hour_counts: NDArray[np.float64] | None = None
    work_rota_log_bf: Sequence[float] | None = None
    far_from_home: Sequence[Sequence[int]] | None = None
    bag: bool = False
    work_schedule_log_bf: Sequence[float] | None = None
    night_locs: Sequence[int] = ()
    loc_hour_counts: NDArray[np.float64] | None = None

    def fit(self, priors: RolePriors) -> RoleFit:
        """`roles.fit_roles` of this person alone (the reference)."""
        return roles.fit_roles(
            self.counts, self.loc_group, self.home_locs, self.work_groups, self.second_locs,
            self.moves, self.singleton_total, self.years, priors, self.min_home_days,
            hour_counts=self.hour_counts, work_rota_log_bf=self.work_rota_log_bf,
            far_from_home=self.far_from_home, bag=self.bag,
            work_schedule_log_bf=self.work_schedule_log_bf, night_locs=self.night_locs,
            loc_hour_counts=self.loc_hour_counts,
        )  # fmt: skip

    def terms(self, priors: RolePriors) -> dict[str, NDArray[np.float64]]:
        """The log score of each of `fit(priors)`'s assignments split into its terms, in
        the fit's order (summed, they are its `log_score` up to rounding): `TERM_NAMES`.
        For reading why one reading beats another (`benchmarks/bench_accuracy.py`); the
        fit itself does not use it. Recomputed with `roles.fit_roles`' own steps, so a term
        that a change of `fit_roles` leaves out makes the sum differ from the fit's
        (tests/infer/test_roles_many.py checks the sum)."""
        structures, specs, move_rows, lives_at_work = roles._assignments(
            self.loc_group, self.home_locs, self.work_groups, self.second_locs, self.moves,
            self.night_locs,
        )  # fmt: skip
        group_list = list(self.loc_group)
        by_role, plug = roles._role_rows(self.counts, group_list, specs, self.singleton_total)
        for index, before, after in move_rows:
            misplaced = before[0] + after[1]
            by_role[index, HOME] -= misplaced
            by_role[index, OTHER] += misplaced
        n_home = max(1, len(self.home_locs))
        unseen = roles.home_unseen_by_type(
            float(self.counts.sum()), priors, self.min_home_days, self.counts.sum(axis=0),
            range(len(PERSON_TYPES)),
        )  # fmt: skip
        structure_prior, s_home, s_work, s_second = roles._structure_log_priors_many(
            [(structures, len(self.home_locs), len(self.second_locs), len(self.moves),
              self.years, self.far_from_home, len(self.night_locs))],
            priors,
        )  # fmt: skip
        type_prior = roles.type_priors(priors)
        work_prior = roles._workplace_log_prior(structures, lives_at_work, priors)
        nights = np.array([st.nights for st in structures], dtype=bool)
        residence = (s_second >= 0) & ~nights
        weekends = roles._second_residence_days(by_role, residence)
        share = roles._second_shares(by_role)
        activity = roles.activity_log_bayes_factors(self.hour_counts)
        hour_terms = roles.location_hour_terms(self.hour_counts, self.loc_hour_counts)
        by_hour = (
            np.zeros((len(structures), len(PERSON_TYPES))) if hour_terms is None
            else roles._hour_terms_of(hour_terms, roles._role_matrix(group_list, specs)[0],
                                      priors.hour_weight)
        )  # fmt: skip
        parts: dict[str, list[NDArray[np.float64]]] = {name: [] for name in TERM_NAMES}
        for ptype in SCORED_TYPES:
            chosen = np.flatnonzero(s_work < 0) if ptype == NO_WORK else np.arange(len(structures))
            if chosen.size == 0:
                continue
            presence = roles.person_presence(ptype, self.hour_counts)
            probs = np.zeros((len(chosen), 4, N_BINS))
            probs[:, HOME, :] = presence[:, 0]
            probs[:, WORK, :] = presence[:, 1]
            probs[:, OTHER, :] = presence[:, 2]
            second = (s_second[chosen] >= 0) & nights[chosen]
            if second.any():
                roles._split_night_place(probs, second, share[chosen][second], presence[:, 0])
            u = min(0.99, float(unseen[ptype]))
            days = roles.work_day_evidence(ptype, self.work_rota_log_bf, self.work_schedule_log_bf)
            by_group = (np.append(np.asarray(days, dtype=np.float64), 0.0)
                        if days is not None and len(self.work_groups) else None)  # fmt: skip
            parts["presence by part of the week"].append(
                roles._dm_loglik(by_role[chosen], probs, priors.concentration)
            )
            parts["second residence's weekends"].append(roles._second_split_of(
                weekends[chosen], probs[:, HOME, list(roles.WEEKEND_BINS)], priors.concentration,
                residence[chosen],
            ))  # fmt: skip
            parts["which place within a role"].append(plug[chosen])
            parts["type prior"].append(np.full(chosen.size, math.log(type_prior[ptype])))
            parts["structure prior"].append(structure_prior[chosen])
            parts["home seen or not"].append(
                np.where(s_home[chosen] >= 0, math.log((1 - u) / n_home), math.log(u))
            )
            parts["which workplace"].append(
                work_prior[chosen] if ptype != NO_WORK else np.zeros(chosen.size)
            )
            parts["workplace days"].append(
                by_group[s_work[chosen]] if by_group is not None else np.zeros(chosen.size)
            )
            parts["waking hours"].append(np.full(chosen.size, activity[ptype]))
            parts["hour within the part"].append(by_hour[chosen, ptype])
        return {name: np.concatenate(values) if values else np.zeros(0)
                for name, values in parts.items()}  # fmt: skip


# Tables of scalar functions at whole numbers 0, 1, 2, ...: reading them gives the same
# floats as calling the function on each value.
_TABLES: dict[str, NDArray[np.float64]] = {}
_TABLE_LIMIT = 1 << 20


def _of_whole(name: str, fn: Callable[[float], float], values: NDArray[np.float64]) -> Any:
    """`fn` of each value: from a table of `fn` at whole numbers when every value is a whole
    number in range, else one call each."""
    if values.size == 0:
        return np.zeros(values.shape)
    top = float(values.max())
    if not (values.min() >= 0 and top < _TABLE_LIMIT and (values == np.floor(values)).all()):
        return np.array([fn(v) for v in values.ravel().tolist()]).reshape(values.shape)
    table = _TABLES.get(name)
    if table is None or table.size <= top:
        size = max(int(top) + 1, 2 * (0 if table is None else table.size), 64)
        table = np.array([fn(float(n)) for n in range(size)])
        _TABLES[name] = table
    return table[values.astype(np.int64)]


def _sums(
    keys: NDArray[np.int64], weights: NDArray[np.float64], minlength: int
) -> NDArray[np.float64]:
    """Sum of `weights` per key, added in the order given (`np.bincount` adds one entry
    after another)."""
    return np.asarray(np.bincount(keys, weights=weights, minlength=minlength), dtype=np.float64)


def _lgamma_or_zero(t: float) -> float:
    return math.lgamma(t) if t > 0 else 0.0


def _lgamma_other(n: float) -> float:
    return math.lgamma(OTHER_PLACES_CONCENTRATION + n)


# A person's assignments and what follows from them alone (`roles._assignments`,
# `roles._workplace_log_prior`, each location's role under each assignment as `_pairs` makes
# it, and the structures' fields `roles._structure_log_priors_many` reads) depend on which
# locations are candidates for what, not on the counts: at 200 k posts 3,341 people have 62
# such shapes. Each shape's are made once a process and shared (read, never changed: a fit
# gets its own lists); a person with a move is made alone (its move rows hold the person's
# counts).
@dataclass(frozen=True, slots=True)
class _Shape:
    assigned: tuple[list[roles.Structure], list[roles._RoleSpec], list[roles._MoveRow],
                    list[bool]]  # fmt: skip
    work_prior: NDArray[np.float64]  # per assignment
    role: NDArray[np.int64]  # (assignments x locations,): each location's role, by assignment
    second: NDArray[np.int64]  # the assignments with a second place
    second_code: NDArray[np.int64]  # their second rows as the specs give them (kind flag)
    fields: NDArray[np.int64]  # (assignments, 5): home, work, second, old home, nights


_SHAPES: dict[RolePriors, dict[tuple[Any, ...], _Shape]] = {}  # per priors, by shape
_SHAPES_KEPT = 4096
_PRIORS_KEPT = 16


def _made_shape(p: RoleProblem, priors: RolePriors) -> _Shape:
    made = roles._assignments(p.loc_group, p.home_locs, p.work_groups, p.second_locs, p.moves,
                              p.night_locs)  # fmt: skip
    structures, specs = made[0], made[1]
    role, second = roles._role_matrix(p.loc_group, specs)
    return _Shape(
        made,
        roles._workplace_log_prior(structures, made[3], priors),
        role.reshape(-1).astype(np.int64),
        np.array(second, dtype=np.int64),
        np.array([specs[k][2] for k in second], dtype=np.int64),
        roles._structure_fields(structures),
    )


def _shapes_of(problems: Sequence[RoleProblem], priors: RolePriors) -> list[_Shape]:
    """`_made_shape(p, priors)` of each problem, the same values: made once a shape and
    priors (`_SHAPES`, keyed by the priors once a batch, then by the shape) and shared, so
    they are read and never changed (the fits are given their own lists)."""
    kept = _SHAPES.get(priors)
    if kept is None:
        if len(_SHAPES) >= _PRIORS_KEPT:
            _SHAPES.clear()
        kept = _SHAPES[priors] = {}
    shapes = []
    for p in problems:
        if p.moves:  # its move rows hold the person's counts
            shapes.append(_made_shape(p, priors))
            continue
        key = (tuple(p.loc_group), tuple(p.home_locs), tuple(p.work_groups),
               tuple(p.second_locs), tuple(p.night_locs))  # fmt: skip
        shape = kept.get(key)
        if shape is None:
            if len(kept) >= _SHAPES_KEPT:
                kept.clear()
            shape = kept[key] = _made_shape(p, priors)
        shapes.append(shape)
    return shapes


def fit_roles_many(problems: Sequence[RoleProblem], priors: RolePriors) -> list[RoleFit]:
    """`problem.fit(priors)` of each problem, scored together (the same floats)."""
    if not problems:
        return []
    people = len(problems)
    shapes = _shapes_of(problems, priors)
    assigned = [shape.assigned for shape in shapes]
    group_lists = [list(p.loc_group) for p in problems]
    by_role, plug, spec_start, pairs = _role_rows_many(
        [p.counts for p in problems], group_lists, [a[1] for a in assigned],
        [p.singleton_total for p in problems], shapes,
    )  # fmt: skip
    for person, (_, _, move_rows, _) in enumerate(assigned):
        for index, before, after in move_rows:
            misplaced = before[0] + after[1]  # see `fit_roles`
            by_role[spec_start[person] + index, HOME] -= misplaced
            by_role[spec_start[person] + index, OTHER] += misplaced
    log_structure_prior, s_home, s_work, s_second = roles._structure_log_priors_many(
        [(a[0], len(p.home_locs), len(p.second_locs), len(p.moves), p.years, p.far_from_home,
          len(p.night_locs)) for p, a in zip(problems, assigned, strict=True)],
        priors,
        fields := np.concatenate([shape.fields for shape in shapes]),
    )  # fmt: skip
    n_specs = np.diff(spec_start)
    spec_person = np.repeat(np.arange(people), n_specs)
    has_home, has_work, has_second = s_home >= 0, s_work >= 0, s_second >= 0

    # The prior that the home is none of the candidates, per person and type.
    unseen = _home_unseen_many(problems, priors)  # (people, types)
    log_seen, log_unseen = roles.home_term_logs(
        unseen, np.array([max(1, len(p.home_locs)) for p in problems], dtype=np.float64)
    )
    work_prior = np.concatenate([shape.work_prior for shape in shapes])

    # Every (person, type, assignment), in the order `fit_roles` scores them per person.
    parts_spec, parts_type = [], []
    everyone = np.arange(spec_start[-1])
    for ptype in SCORED_TYPES:
        chosen = np.flatnonzero(~has_work) if ptype == NO_WORK else everyone
        parts_spec.append(chosen)
        parts_type.append(np.full(chosen.size, ptype, dtype=np.int64))
    entry_spec = np.concatenate(parts_spec)
    entry_type = np.concatenate(parts_type)
    order = np.argsort(spec_person[entry_spec], kind="stable")
    entry_spec, entry_type = entry_spec[order], entry_type[order]
    entry_person = spec_person[entry_spec]

    # Each entry's presence by role and part (`fit_roles`' `probs`) is a row of `table`:
    # its person's and type's (`row_of`), or its own where the assignment's second place is
    # one slept at on some nights (its share of the home's presence depends on the
    # assignment's days), appended after them.
    hours = _hours_of(problems)
    presence = _presence_many(problems, hours)  # (people, types, bins, 3)
    n_types = len(PERSON_TYPES)
    by_type = presence.reshape(people * n_types, N_BINS, 3)
    row_of = entry_person * n_types + entry_type
    nights = fields[:, 4] != 0
    residence = has_second & ~nights
    days = roles._second_residence_days(by_role, residence)
    share = roles._second_shares(by_role)
    second = np.flatnonzero(has_second[entry_spec] & nights[entry_spec])
    table = np.zeros((people * n_types + second.size, 4, N_BINS))
    table[: people * n_types, HOME, :] = by_type[:, :, 0]
    table[: people * n_types, WORK, :] = by_type[:, :, 1]
    table[: people * n_types, OTHER, :] = by_type[:, :, 2]
    if second.size:
        own = people * n_types + np.arange(second.size)
        table[own] = table[row_of[second]]
        roles._split_night_place(table, own, share[entry_spec[second]],
                                 by_type[row_of[second], :, 0])  # fmt: skip
        row_of[second] = own
    type_prior = roles.type_priors(priors)
    log_type = np.array([math.log(type_prior[t]) for t in range(len(PERSON_TYPES))])
    home_term = np.where(has_home[entry_spec], log_seen[entry_person, entry_type],
                         log_unseen[entry_person, entry_type])  # fmt: skip
    prior = log_type[entry_type] + log_structure_prior[entry_spec] + home_term
    prior = np.where(entry_type != NO_WORK, prior + work_prior[entry_spec], prior)
    entry_work = np.where(has_work[entry_spec], s_work[entry_spec], -1)
    for ptype in _DAYS_TYPES:  # the others have no evidence of their days (None)
        prior = _with_work_day_evidence(prior, ptype, problems, entry_type, entry_person,
                                        entry_work)  # fmt: skip
    activity = _activity_many(problems, hours)
    prior = prior + activity[entry_person, entry_type]
    by_hour = _hour_terms_many(problems, pairs, priors.hour_weight, hours)  # (assignments, types)
    prior = prior + by_hour[entry_spec, entry_type]

    # `roles._presence_loglik(by_role[entry_spec], table[row_of], ...)`, the same floats.
    home_weekends = table[:, HOME][:, list(roles.WEEKEND_BINS)][row_of]
    loglik = roles._dm_loglik_of_rows(by_role, entry_spec, table, row_of, priors.concentration)
    loglik = loglik + roles._second_split_of(days[entry_spec], home_weekends, priors.concentration,
                                             residence[entry_spec])  # fmt: skip
    scores = (loglik + plug[entry_spec]) + prior

    entry_start = np.searchsorted(entry_person, np.arange(people + 1))
    bag_at, bag_scores = _bag_of_batch(
        problems, assigned, scores, entry_start, entry_spec, pairs, table, row_of, prior,
        priors.concentration,
    )  # fmt: skip
    # Each fit's arrays are its slices of the batch's (made once, not a copy or a
    # subtraction a person).
    structure_index = entry_spec - spec_start[entry_person]
    bounds = entry_start.tolist()
    fits = []
    for person in range(people):
        at, end = bounds[person], bounds[person + 1]
        structures, _, _, lives_at_work = assigned[person]
        bagged = person in bag_scores
        fits.append(RoleFit(
            structures=list(structures),  # its own lists (the shapes' are shared)
            person_type=entry_type[at:end],
            structure_index=structure_index[at:end],
            log_score=scores[at:end],
            home_lives_at_work=list(lives_at_work),
            bag_index=bag_at[person] if bagged else np.zeros(0, np.int64),
            bag_inputs=() if bagged else None,
            bag_log_scores=bag_scores.get(person),
            activity=activity[person],
        ))  # fmt: skip
    return fits


def _bag_of_batch(
    problems: Sequence[RoleProblem],
    assigned: Sequence[tuple[Any, list[roles._RoleSpec], list[roles._MoveRow], Any]],
    scores: NDArray[np.float64],
    entry_start: NDArray[np.int64],
    entry_spec: NDArray[np.int64],
    pairs: _Pairs,
    table: NDArray[np.float64],
    row_of: NDArray[np.int64],
    prior: NDArray[np.float64],
    concentration: float,
) -> tuple[dict[int, NDArray[np.int64]], dict[int, NDArray[np.float64]]]:
    """The bag of every bagged person of a batch, from the batch's arrays: per person, the
    entries it scores (as indexes among the person's entries) (those within `roles.BAG_PRUNE` of the person's best, as
    `roles._bag_inputs` picks them) and their scores under the reweightings, (draws, K),
    the floats `roles._bag_log_scores` gives one person (`_bag_scores`). The assignments'
    (assignment, location) pairs are the batch's (`pairs`) of the assignments kept, in
    their order, rather than each person's bag inputs made and joined again."""
    sizes = np.diff(entry_start)
    bagged = np.array([p.bag for p in problems], dtype=bool) & (sizes > 0)
    if not bagged.any():
        return {}, {}
    # Each person's best: the maximum over its entries (people with entries, in order).
    nonempty = np.flatnonzero(sizes > 0)
    top = np.zeros(len(problems))
    top[nonempty] = np.maximum.reduceat(scores, entry_start[nonempty])
    owner = np.repeat(np.arange(len(problems)), sizes)
    kept = np.flatnonzero(bagged[owner] & (scores >= top[owner] - roles.BAG_PRUNE))
    # The assignments the bags score, in order (each person's sorted, people in order).
    used = np.zeros(pairs.n_specs, dtype=bool)
    used[entry_spec[kept]] = True
    rank = np.cumsum(used) - 1
    # The locations of the bagged people only, renumbered in order.
    loc_owner = np.repeat(np.arange(len(problems)), np.diff(pairs.loc_start))
    loc_used = bagged[loc_owner]
    loc_rank = np.cumsum(loc_used) - 1
    n_locs = np.diff(pairs.loc_start)[bagged]
    loc_start = np.concatenate([[0], np.cumsum(n_locs)]).astype(np.int64)
    on = used[pairs.spec]
    second_on = used[pairs.second]
    sub = _Pairs(loc_start, np.zeros(0, np.int64), int(used.sum()), rank[pairs.spec[on]],
                 loc_rank[pairs.loc[on]], pairs.role[on], rank[pairs.second[second_on]],
                 pairs.second_code[second_on])  # fmt: skip
    people = np.flatnonzero(bagged).tolist()
    counts = np.concatenate([problems[k].counts for k in people]).reshape(-1, N_BINS)
    points = np.array([problems[k].singleton_total for k in people], dtype=np.float64)
    isolated = np.flatnonzero(points != 0)  # `if singleton_total:` (NaN too)
    singletons = (loc_start[isolated + 1] - 1, points[isolated])
    moves = []
    for j, k in enumerate(people):
        specs = assigned[k][1]
        for index, before, after in assigned[k][2]:
            spec = int(pairs.spec_start[k]) + index
            if used[spec]:
                new_row, old_row = specs[index][0][0], specs[index][0][1]
                moves.append((int(rank[spec]), int(loc_start[j]) + new_row,
                              int(loc_start[j]) + old_row, before[0], after[1]))  # fmt: skip
    bag = _bag_scores(counts, sub, singletons, moves, rank[entry_spec[kept]], table[row_of[kept]],
                      prior[kept], concentration)  # fmt: skip
    bounds = np.searchsorted(kept, entry_start).tolist()
    own = kept - entry_start[owner[kept]]  # each entry's index among its person's
    bag_at = {k: own[bounds[k] : bounds[k + 1]] for k in people}
    return bag_at, {k: bag[:, bounds[k] : bounds[k + 1]] for k in people}


def _activity_many(
    problems: Sequence[RoleProblem], hours: _Hours | None = None
) -> NDArray[np.float64]:
    """`roles.activity_log_bayes_factors(p.hour_counts)` of each problem, (people, types),
    for every person with hours at once (`roles._activity_of_cells`: each person's floats).
    Whether a person's hours sum to more than 0 is asked of the batch's stack at once
    where no count is negative or NaN (then the sum is positive exactly when some count
    is, in any order), else of each person's own sum."""
    out = np.zeros((len(problems), len(PERSON_TYPES)))
    hours = _hours_of(problems) if hours is None else hours
    if not hours.seen:
        return out
    stack = hours.counts.reshape(len(hours.seen), -1)
    if (stack >= 0).all():
        positive = (stack > 0).any(axis=1)
    else:
        positive = np.array([problems[k].hour_counts.sum() > 0  # type: ignore[union-attr]
                             for k in hours.seen], dtype=np.bool_)  # fmt: skip
    if positive.any():
        seen = np.array(hours.seen, dtype=np.int64)[positive]
        out[seen] = roles._activity_of_cells(roles._activity_cells(hours.counts[positive]))
    return out


# The types whose workplace's days are evidence (those `roles.work_day_evidence` gives a
# value for), in scoring order: for the others `_with_work_day_evidence` adds nothing.
_DAYS_TYPES = tuple(t for t in SCORED_TYPES if roles.work_day_evidence(t, [0.0], [0.0]) is not None)


def _with_work_day_evidence(
    prior: NDArray[np.float64],
    ptype: int,
    problems: Sequence[RoleProblem],
    entry_type: NDArray[np.int64],
    entry_person: NDArray[np.int64],
    entry_work: NDArray[np.int64],
) -> NDArray[np.float64]:
    """`prior` with each entry of type `ptype` given its workplace's log Bayes factor of the
    days it was seen on (`roles.work_day_evidence`), as `fit_roles` adds it."""
    # Per person, its values (none without a located workplace) and a 0.0 for no located
    # workplace (and no evidence), one person after another.
    evidence = [
        roles.work_day_evidence(ptype, p.work_rota_log_bf, p.work_schedule_log_bf)
        if len(p.work_groups) else None
        for p in problems
    ]  # fmt: skip
    has = np.array([values is not None for values in evidence], dtype=bool)
    if not has.any():
        return prior
    rows = [[*values, 0.0] if values is not None else [0.0] for values in evidence]
    sizes = np.array([len(row) for row in rows], dtype=np.int64)
    of = np.array([float(v) for row in rows for v in row], dtype=np.float64)
    base = np.cumsum(sizes) - sizes
    chosen = (entry_type == ptype) & has[entry_person]
    n_groups = sizes - 1
    work_at = np.where(entry_work >= 0, entry_work, n_groups[entry_person])
    at = np.where(chosen, base[entry_person] + work_at, 0)
    return np.asarray(np.where(chosen, prior + of[at], prior), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Pairs:
    """Every (assignment, location of its person) of a batch, in location order, with the
    location's role under the assignment (`roles._role_matrix` for many people)."""

    loc_start: NDArray[np.int64]  # each person's first location row (and the total)
    spec_start: NDArray[np.int64]  # each person's first assignment (and the total)
    n_specs: int
    spec: NDArray[np.int64]  # per pair: its assignment
    loc: NDArray[np.int64]  # per pair: its location row
    role: NDArray[np.int64]  # per pair: HOME, WORK, SECOND or OTHER
    second: NDArray[np.int64]  # the assignments with a second residence
    second_code: NDArray[np.int64]  # their second rows as the specs give them (kind flag)


def _pairs(
    n_locs_of: Sequence[int],
    loc_groups: Sequence[Sequence[int]],
    specs_of: Sequence[Sequence[roles._RoleSpec]],
    shapes: Sequence[_Shape] | None = None,
) -> _Pairs:
    """Every (assignment, location) pair of the people; with `shapes` (each person's, of
    these specs) the roles and second places are read from them, the same values."""
    n_locs = np.array(n_locs_of, dtype=np.int64)
    loc_start = np.concatenate([[0], np.cumsum(n_locs)])
    spec_start = np.concatenate([[0], np.cumsum([len(s) for s in specs_of])]).astype(np.int64)
    n_specs = int(spec_start[-1])
    spec_person = np.repeat(np.arange(len(specs_of)), np.diff(spec_start))
    # One entry per (assignment, location of its person), in location order.
    pairs_of = n_locs[spec_person]
    pair_start = np.concatenate([[0], np.cumsum(pairs_of)]).astype(np.int64)
    pair_spec = np.repeat(np.arange(n_specs), pairs_of)
    pair_loc = (loc_start[spec_person][pair_spec] + np.arange(pair_start[-1])
                - pair_start[pair_spec])  # fmt: skip
    if shapes is not None:
        # Each person's second places numbered in the batch: its first assignment added.
        second_rows = np.concatenate([shape.second for shape in shapes])
        first = np.repeat(spec_start[:-1], [shape.second.size for shape in shapes])
        return _Pairs(
            loc_start.astype(np.int64), spec_start, n_specs, pair_spec, pair_loc,
            np.concatenate([shape.role for shape in shapes]), second_rows + first,
            np.concatenate([shape.second_code for shape in shapes]),
        )  # fmt: skip
    group = np.array([g for groups in loc_groups for g in groups], dtype=np.int64)
    flat = [spec for specs in specs_of for spec in specs]
    work_group = np.array([spec[1] for spec in flat], dtype=np.int64).reshape(-1)
    role = np.where((group[pair_loc] == work_group[pair_spec]) & (work_group[pair_spec] >= 0),
                    WORK, OTHER)  # fmt: skip
    for slot in (0, 1):
        which = [(k, spec[0][slot]) for k, spec in enumerate(flat) if len(spec[0]) > slot]
        if which:
            at = np.array(which, dtype=np.int64)
            role[pair_start[at[:, 0]] + at[:, 1]] = HOME
    seconds = [(k, spec[2]) for k, spec in enumerate(flat) if spec[2] >= 0]
    second = second_code = np.zeros(0, np.int64)
    if seconds:
        at = np.array(seconds, dtype=np.int64)
        second, second_code = at[:, 0], at[:, 1]
        role[pair_start[second] + second_code % roles.NIGHT_PLACE_FLAG] = SECOND
    return _Pairs(loc_start.astype(np.int64), spec_start, n_specs, pair_spec, pair_loc, role,
                  second, second_code)  # fmt: skip


def _seconds_by_bins(pairs: _Pairs) -> list[tuple[list[int], NDArray[np.int64]]]:
    """The parts of the week whose days at a second place are one more "other" place
    (`roles._moved_bins`), each with the assignments it applies to."""
    night = pairs.second_code >= roles.NIGHT_PLACE_FLAG
    return [(bins, pairs.second[mask]) for bins, mask in
            ((roles._WEEKDAY_BINS, ~night), (roles._DAYTIME_BINS, night)) if mask.any()]  # fmt: skip


def _role_rows_many(
    counts_of: Sequence[NDArray[np.float64]],
    loc_groups: Sequence[list[int]],
    specs_of: Sequence[Sequence[roles._RoleSpec]],
    singleton_totals: Sequence[float],
    shapes: Sequence[_Shape] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], _Pairs]:
    """`roles._role_rows` of each person, stacked: (assignments, roles, bins) and the
    plug-in terms, with each person's first assignment (and the total at the end) and the
    (assignment, location) pairs."""
    counts = np.concatenate(counts_of).reshape(-1, N_BINS)
    pairs = _pairs([c.shape[0] for c in counts_of], loc_groups, specs_of, shapes)
    loc_start, spec_start, n_specs = pairs.loc_start, pairs.spec_start, pairs.n_specs
    pair_spec, pair_loc, role = pairs.spec, pairs.loc, pairs.role
    # Days per role and part of the week: whole numbers, so exact in any order.
    key = (pair_spec * 4 + role) * N_BINS
    by_role = _sums((key[:, None] + np.arange(N_BINS)).reshape(-1),
                          weights=counts[pair_loc].reshape(-1),
                          minlength=n_specs * 4 * N_BINS).reshape(n_specs, 4, N_BINS)  # fmt: skip
    # Per location: days, t log t, log Gamma(t), places (`roles._location_terms`).
    totals = counts.sum(axis=1)
    xlogx = roles._xlogx(totals)
    lgam = _of_whole("lgamma", _lgamma_or_zero, totals)
    places = (totals > 0).astype(np.float64)
    # Isolated points: each its own place seen once (a person's last row).
    singletons = np.array(singleton_totals, dtype=np.float64)
    isolated = np.flatnonzero(singletons != 0)  # `if singleton_total:` (NaN too)
    last = loc_start[isolated + 1] - 1
    xlogx[last] = 0.0
    lgam[last] = 0.0
    places[last] = singletons[isolated]
    # Sums over a role's locations, added location by location (bincount adds in order).
    is_work, is_other = role == WORK, role == OTHER

    def summed(values: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        return _sums(pair_spec[mask], weights=values[pair_loc[mask]], minlength=n_specs)

    work_own = summed(xlogx, is_work)
    work_total = summed(totals, is_work)
    other_lg = summed(lgam, is_other)
    other_total = summed(totals, is_other)
    other_places = summed(places, is_other)
    for weekday, second in _seconds_by_bins(pairs):  # a second place's days: one more "other"
        rows = by_role[second]
        moved = rows[:, SECOND][:, weekday]
        other_rows = rows[:, OTHER]  # views into rows
        other_rows[:, weekday] = other_rows[:, weekday] + moved
        second_rows = rows[:, SECOND]
        second_rows[:, weekday] = 0.0
        by_role[second] = rows
        extra = moved.sum(axis=1)
        some = extra > 0
        other_lg[second] = np.where(
            some, other_lg[second] + _of_whole("lgamma", _lgamma_or_zero, extra), other_lg[second]
        )
        other_total[second] = other_total[second] + extra
        other_places[second] = np.where(some, other_places[second] + 1, other_places[second])
    # `roles._plug_in_term`, element by element in its order of operations.
    term = work_own - _of_whole("nlogn", roles._nlogn, work_total)
    gamma = OTHER_PLACES_CONCENTRATION
    other_term = (other_places * math.log(gamma) + other_lg + math.lgamma(gamma)
                  - _of_whole(f"lgamma{gamma!r}+", _lgamma_other, other_total))  # fmt: skip
    plug = np.where(other_total > 0, term + other_term, term)
    return by_role, plug, spec_start, pairs


def _hour_terms_many(
    problems: Sequence[RoleProblem], pairs: _Pairs, weight: float, hours: _Hours | None = None
) -> NDArray[np.float64]:
    """`roles._hour_terms_of` of each person, stacked, (assignments, types): each person's
    `roles.location_hour_terms` (`_location_hour_terms_rows`), then each assignment's
    locations added in location order (one bincount over (assignment, type) keys adds each
    key's values in the pairs' order), times `weight`."""
    n_types = len(PERSON_TYPES)
    terms = _location_hour_terms_rows(problems, pairs.loc_start, hours)
    values = terms[pairs.loc, :, roles._ROLE_COLUMN[pairs.role]]  # (pairs, types)
    keys = pairs.spec[:, None] * n_types + np.arange(n_types)
    total = _sums(keys.reshape(-1), weights=values.reshape(-1),
                  minlength=pairs.n_specs * n_types).reshape(pairs.n_specs, n_types)  # fmt: skip
    return np.asarray(weight * total, dtype=np.float64)


# `roles._LOG_HOURLY_ALL` (types, bins, hours, columns) as (bins, hours, types x columns).
_LOG_HOURLY_BY_HOUR = np.ascontiguousarray(roles._LOG_HOURLY_ALL.transpose(1, 2, 0, 3)).reshape(
    N_BINS, 24, -1
)


def _location_hour_terms_many(
    problems: Sequence[RoleProblem],
) -> list[NDArray[np.float64] | None]:
    """`roles.location_hour_terms(p.hour_counts, p.loc_hour_counts)` of each problem (the
    same floats): `_location_hour_terms_rows`' rows of each person with hours."""
    n_locs = [0 if p.loc_hour_counts is None else p.loc_hour_counts.shape[0] for p in problems]
    loc_start = np.concatenate([[0], np.cumsum(n_locs)]).astype(np.int64)
    rows = _location_hour_terms_rows(problems, loc_start)
    return [None if p.hour_counts is None or p.loc_hour_counts is None
            else rows[loc_start[k] : loc_start[k + 1]]
            for k, p in enumerate(problems)]  # fmt: skip


# `roles._HOURLY_ALL` (types, bins, hours, columns) as (hours, bins, types x columns), and
# `roles._PRESENCE_ALL` (types, bins, columns) as (bins, types x columns).
_HOURLY_BY_HOUR = np.ascontiguousarray(roles._HOURLY_ALL.transpose(2, 1, 0, 3)).reshape(
    24, N_BINS, -1
)
_PRESENCE_BY_BIN = np.ascontiguousarray(roles._PRESENCE_ALL.transpose(1, 0, 2)).reshape(N_BINS, -1)


def _weighted_hours(hours: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each person's `np.einsum("bh,tbhr->tbr", hour_counts, roles._HOURLY_ALL)` laid out
    as (people, bins, types x columns), the same floats: numpy's einsum adds each output's
    products one hour after another from 0.0 (a multiply, then an add: its
    `sum_of_products_muladd`), as this loop over the hours does for every person, part,
    type and column at once along rows of 24 (tests/infer/test_roles_many.py checks it bit
    for bit against the person's own einsum; the einsum over many people ran its
    reduction in short strided rows of 3)."""
    out = np.zeros((hours.shape[0], N_BINS, _HOURLY_BY_HOUR.shape[2]))
    product = np.empty_like(out)
    for hour in range(24):
        np.multiply(hours[:, :, hour, None], _HOURLY_BY_HOUR[hour], out=product)
        np.add(out, product, out=out)
    return out


@dataclass(frozen=True, slots=True)
class _Hours:
    """The hours of a batch's people with hours (`RoleProblem.hour_counts`), in order:
    `at[k]` is person k's row (-1 without hours), `counts` their hours, `totals` each part's
    hours summed along its row of 24 (as alone), `weighted` `_weighted_hours` of them. Made
    once a batch for the presence (`_presence_many`), the hour terms
    (`_location_hour_terms_rows`) and the waking hours (`_activity_many`)."""

    at: NDArray[np.int64]
    seen: list[int]
    counts: NDArray[np.float64]  # (people with hours, bins, 24): their hour counts
    totals: NDArray[np.float64]  # (people with hours, bins)
    weighted: NDArray[np.float64]  # (people with hours, bins, types x columns)


def _hours_of(problems: Sequence[RoleProblem]) -> _Hours:
    seen = [k for k, p in enumerate(problems) if p.hour_counts is not None]
    at = np.full(len(problems), -1, dtype=np.int64)
    at[seen] = np.arange(len(seen))
    hours = np.array([problems[k].hour_counts for k in seen], dtype=np.float64).reshape(
        len(seen), N_BINS, 24
    )
    return _Hours(at, seen, hours, hours.sum(axis=2), _weighted_hours(hours))


def _first(item: tuple[int, int, NDArray[np.float64]]) -> int:
    return item[0]


def _location_hour_terms_rows(
    problems: Sequence[RoleProblem], loc_start: NDArray[np.int64], hours: _Hours | None = None
) -> NDArray[np.float64]:
    """`roles.location_hour_terms(p.hour_counts, p.loc_hour_counts)` of each problem as the
    rows `loc_start[k]:loc_start[k + 1]` of one (locations, types, 3) array (the same
    floats; zeros for people without hours). Each person's hours are weighted as by their
    own `np.einsum` and their locations' terms made by the same matrix product as their
    own (`np.matmul` of a stack of people with as many locations calls the library once
    per person, with the same operands: a test checks it bit for bit); what lies between,
    element by element, for every person at once."""
    out = np.zeros((int(loc_start[-1]), len(PERSON_TYPES), 3))
    # People with as many locations next to each other: each such run is one stack.
    located = sorted(((h.shape[0], k, h) for k, p in enumerate(problems)
                      if p.hour_counts is not None and (h := p.loc_hour_counts) is not None),
                     key=_first)  # fmt: skip
    if not located:
        return out
    sizes = [n for n, _, _ in located]
    seen = [k for _, k, _ in located]
    hours = _hours_of(problems) if hours is None else hours
    rows_of = hours.at[seen]
    # Each person's (bins, 24) summed along its rows of 24, as alone (a test checks it).
    totals = hours.totals[rows_of]  # (people, bins)
    some = totals > 0
    # The hours weighted as each person's own `np.einsum("bh,tbhr->tbr")` weights them,
    # (people, bins, types x columns): each person's (bins, hours, types x columns) matrix,
    # so the operations run along rows of 24 (the types' columns) rather than of 3.
    weighted = hours.weighted[rows_of]
    average = np.where(some[:, :, None],
                       weighted / np.where(some, totals, 1.0)[:, :, None],
                       _PRESENCE_BY_BIN)  # fmt: skip
    average = average.reshape(len(seen), N_BINS, 1, -1)
    ratios = _LOG_HOURLY_BY_HOUR - np.log(np.maximum(average, roles._FLOOR))
    unseen = ~(average > 0)  # `location_hour_terms` gives these 0.0 (none, nearly always)
    if unseen.any():
        ratios[np.broadcast_to(unseen, ratios.shape)] = 0.0
    ratios = ratios.reshape(len(seen), N_BINS * 24, len(PERSON_TYPES) * 3)
    at = 0
    while at < len(seen):
        n_locs = sizes[at]
        end = at + sizes[at:].count(n_locs)  # sorted: the run of this size
        stack = np.array([h.reshape(n_locs, N_BINS * 24) for _, _, h in located[at:end]],
                         dtype=np.float64).reshape(end - at, n_locs, N_BINS * 24)  # fmt: skip
        flat = np.matmul(stack, ratios[at:end])  # (people, locations, types x columns)
        rows = loc_start[seen[at:end]][:, None] + np.arange(n_locs)  # as many as its hours
        out[rows.reshape(-1)] = flat.reshape(-1, len(PERSON_TYPES), 3)
        at = end
    return out


def _home_unseen_many(problems: Sequence[RoleProblem], priors: RolePriors) -> Any:
    """`roles.home_unseen_by_type` of each person for every type, (people, types)."""
    from geoleak.infer.special import betaln, gammaln

    types = list(range(len(PERSON_TYPES)))
    home_rows = roles._HOME_BY_TYPE[types]
    share, n_obs = _home_shares_many(problems, home_rows)
    n = np.array(n_obs, dtype=np.int64)[:, None]
    terms = np.minimum(np.array([p.min_home_days for p in problems])[:, None], n + 1)
    a, b = priors.concentration * share, priors.concentration * (1 - share)
    log_norm = betaln(a, b)
    missed = np.zeros_like(share)
    with np.errstate(all="ignore"):
        for k in range(int(terms.max(initial=0))):
            log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
            term = np.exp(log_choose + betaln(a + k, b + n - k) - log_norm)
            missed = np.where(k < terms, missed + term, missed)
    missed = np.minimum(1.0, missed)
    return priors.home_unseen + (1 - priors.home_unseen) * missed


def _home_shares_many(
    problems: Sequence[RoleProblem], home_rows: NDArray[np.float64]
) -> tuple[NDArray[np.float64], list[int]]:
    """Per person, `home_rows @ weights / weights.sum()` (each type's share of the person's
    observations' parts of the week at home; `weights` the person's days by part, or
    `roles.POSTS_BY_BIN` without any) and the rounded number of observations, as
    `roles.home_unseen_by_type`'s caller in `fit_roles` makes them. Where every count is a
    whole number (days: every sum of them exact in any order) the people's parts are summed
    at once and the products made by one `np.matmul` of the stack, which calls the library
    once a person as `home_rows @ weights` does (a test checks it bit for bit)."""
    counts_of = [p.counts for p in problems]
    flat = np.concatenate(counts_of).reshape(-1, N_BINS) if counts_of else np.zeros((0, N_BINS))
    sizes = np.array([c.shape[0] for c in counts_of], dtype=np.int64)
    if not (counts_of and sizes.all() and (flat == np.floor(flat)).all()
            and np.abs(flat).sum() < 2.0**50):  # fmt: skip
        shares, n_obs = [], []
        for p in problems:
            weights = p.counts.sum(axis=0)
            n_obs.append(max(0, round(float(p.counts.sum()))))
            if not weights.sum() > 0:
                weights = np.asarray(roles.POSTS_BY_BIN, dtype=np.float64)
            shares.append(home_rows @ weights / weights.sum())  # per person, as fit_roles does
        return np.array(shares).reshape(len(problems), -1), n_obs
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    weights = np.add.reduceat(flat, starts, axis=0)  # (people, bins): whole, exact
    total = weights.sum(axis=1)
    n_obs = [max(0, round(t)) for t in total.tolist()]
    empty = ~(total > 0)
    posts = np.asarray(roles.POSTS_BY_BIN, dtype=np.float64)
    weights[empty] = posts
    total[empty] = posts.sum()
    products = np.matmul(home_rows[None], weights[:, :, None])[:, :, 0]
    return np.asarray(products / total[:, None], dtype=np.float64), n_obs


def _presence_many(
    problems: Sequence[RoleProblem], hours: _Hours | None = None
) -> NDArray[np.float64]:
    """`roles.person_presence` of each person and type, (people, types, bins, 3), every
    person with hours at once: each part's hours summed along a contiguous row of 24, as
    alone, and the hourly rows weighted for every person at once (`_weighted_hours`), whose
    sum over the hours runs as the person's own einsum's (a test checks it bit for bit)."""
    out = np.empty((len(problems), len(PERSON_TYPES), N_BINS, 3))
    out[:] = np.array([roles._PRESENCE_ARRAY[t] for t in range(len(PERSON_TYPES))])
    hours = _hours_of(problems) if hours is None else hours
    seen = hours.seen
    if not seen:
        return out
    totals = hours.totals  # (people, bins)
    some = totals > 0
    # Each type's `np.einsum("bh,bhr->br", hour_counts, roles._HOURLY_ARRAY[t])`, the same
    # floats (`_HOURLY_ARRAY[t]` is `_HOURLY_ALL[t]`), (people, bins, types, 3).
    weighted_all = hours.weighted.reshape(len(seen), N_BINS, len(PERSON_TYPES), 3)
    for t in roles.PERSON_HOURS_TYPES:
        weighted = weighted_all[:, :, t]
        rows = out[seen, t]  # (people, bins, 3), a copy
        read = some & roles._HOURS_PARTS[t]
        rows[read] = weighted[read] / totals[read][:, None]
        out[seen, t] = rows
    return out


def _bag_scores(
    counts: NDArray[np.float64],
    pairs: _Pairs,
    singletons: tuple[NDArray[np.int64], NDArray[np.float64]],
    moves: Sequence[tuple[int, int, int, NDArray[np.float64], NDArray[np.float64]]],
    position: NDArray[np.int64],
    probs: NDArray[np.float64],
    prior: NDArray[np.float64],
    concentration: float,
) -> NDArray[np.float64]:
    """`roles._bag_log_scores` of many people's bags, their scored assignments end to end,
    (draws, K in all): `counts` the people's location rows end to end (`pairs.loc_start`
    each one's first), `pairs` the (assignment, location) pairs of the assignments the bags
    score, `singletons` the isolated rows and their points, `moves` (assignment,
    new home's row, old home's row, new home's counts before the split, old home's after
    it), `position` each scored assignment's in `pairs`, `probs` and `prior` its presence
    and log prior."""
    from geoleak.infer.special import gammaln

    loc_start, n_specs = pairs.loc_start, pairs.n_specs
    draws = roles.BAG_DRAWS
    # The reweightings (`roles._bag_weights`): each person's cells in their own order.
    flat = counts.reshape(-1)
    cells = np.flatnonzero(flat > 0)
    own_cell = cells - np.repeat(loc_start[:-1] * N_BINS, np.diff(loc_start) * N_BINS)[cells]
    weights: NDArray[np.float64] = np.zeros((draws, flat.size))
    if cells.size:
        shapes, which = np.unique(flat[cells], return_inverse=True)
        table = roles._bag_quantile_table(shapes)
        weights[:, cells] = table[which[None, :], roles._BAG_STRATA[:, own_cell % roles._BAG_CELLS]]
    weights = weights.reshape(draws, -1, N_BINS)  # (draws, locations, bins)
    # Days per role: the weights of a role's locations added location by location.
    key = (pairs.spec * 4 + pairs.role) * N_BINS
    size = n_specs * 4 * N_BINS
    keys = (np.arange(draws)[:, None, None] * size + key[None, :, None]
            + np.arange(N_BINS)[None, None, :])  # fmt: skip
    by_role = _sums(keys.reshape(-1), weights=np.take(weights, pairs.loc, axis=1).reshape(-1),
                          minlength=draws * size).reshape(draws, n_specs, 4, N_BINS)  # fmt: skip
    totals = weights.sum(axis=2)  # (draws, locations)
    xlogx = roles._xlogx(totals)
    lgam = np.where(totals > 0, gammaln(np.maximum(totals, 1e-300)), 0.0)
    places = (counts.sum(axis=1) > 0).astype(np.float64)
    # Isolated points: each its own place seen once.
    last, points = singletons
    xlogx[:, last] = 0.0
    lgam[:, last] = 0.0
    places[last] = points
    is_work, is_other = pairs.role == WORK, pairs.role == OTHER
    draw_key = np.arange(draws)[:, None] * n_specs

    def summed(values: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Per draw and assignment, the values of the masked locations added in order."""
        keys = (draw_key + pairs.spec[mask][None, :]).reshape(-1)
        return _sums(keys, weights=np.take(values, pairs.loc[mask], axis=1).reshape(-1),
                           minlength=draws * n_specs).reshape(draws, n_specs)  # fmt: skip

    work_own = summed(xlogx, is_work)
    work_total = summed(totals, is_work)
    other_lg = summed(lgam, is_other)
    other_total = summed(totals, is_other)
    other_places = _sums(pairs.spec[is_other], weights=places[pairs.loc[is_other]],
                               minlength=n_specs)  # fmt: skip
    other_places = np.broadcast_to(other_places, other_total.shape).copy()
    for bins, second in _seconds_by_bins(pairs):  # a second place's days: one more "other"
        roles._second_weekdays_to_other(by_role, second, other_lg, other_total, other_places,
                                        bins)  # fmt: skip
    roles._reweighted_moves(by_role, weights, counts, moves)
    residence = np.zeros(n_specs, dtype=bool)  # the assignments with a second residence
    residence[pairs.second[pairs.second_code < roles.NIGHT_PLACE_FLAG]] = True
    days = roles._second_residence_days(by_role, residence)
    plug = roles._bag_plug_in(work_own, work_total, other_places, other_lg, other_total)
    # `roles._presence_loglik(np.maximum(by_role[:, position], 0.0), probs[None], ...)`,
    # the same floats: each (draw, scored assignment) an entry of `_dm_loglik_of_rows` over
    # the (draw, assignment) rows, its presence its row of `probs`.
    n_scored = position.size
    entry_spec = (np.arange(draws)[:, None] * n_specs + position[None, :]).reshape(-1)
    dm = roles._dm_loglik_of_rows(np.maximum(by_role, 0.0).reshape(-1, 4, N_BINS), entry_spec,
                                  probs, np.tile(np.arange(n_scored), draws),
                                  concentration)  # fmt: skip
    loglik = dm.reshape(draws, n_scored) + roles._second_split_of(
        days[:, position], probs[None][..., HOME, list(roles.WEEKEND_BINS)], concentration,
        residence[position],
    )  # fmt: skip
    return np.asarray(loglik + plug[:, position] + prior[None, :], dtype=np.float64)
