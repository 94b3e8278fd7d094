"""`fit_roles_many` (the role model of many people at once) gives each person's `fit_roles`,
bit for bit: over random people (thin, with no candidates, with many places, moves, second
residences, ties), in batches, with the bag's reweighted scores too."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from geoleak.infer import LeakInference, places, roles
from geoleak.infer.roles import N_BINS, RoleFit, RolePriors
from geoleak.infer.roles_many import (
    TERM_NAMES,
    RoleProblem,
    _activity_many,
    _home_shares_many,
    _location_hour_terms_many,
    _presence_many,
    _weighted_hours,
    fit_roles_many,
)
from geoleak.scenario.memory import scenario_evidence
from geoleak.scenario.timeuse import TimeUseConfig


@st.composite
def role_problems(draw: Any) -> RoleProblem:
    """A person as `places` hands them to the role model: whole-number day counts per
    location and part of the week (the last row the isolated points), candidates among
    them, and the optional inputs present or not."""
    n_locs = draw(st.integers(1, 10))
    high = draw(st.sampled_from([1, 3, 12, 60]))  # thin people to well-seen ones
    counts = np.array(
        draw(st.lists(st.lists(st.integers(0, high), min_size=N_BINS, max_size=N_BINS),
                      min_size=n_locs, max_size=n_locs)),
        dtype=np.float64,
    )  # fmt: skip
    if draw(st.booleans()):  # ties: places seen alike
        counts[: n_locs // 2] = counts[0]
    singletons = draw(st.integers(0, 6))
    if singletons:
        counts[-1] = np.minimum(counts[-1], singletons)
    else:
        counts[-1] = 0.0
    clustered = max(0, n_locs - 1)
    loc_group = [*draw(st.lists(st.integers(0, 3), min_size=clustered, max_size=clustered)), -1]
    home_locs = draw(st.lists(st.integers(0, max(0, clustered - 1)), max_size=min(4, clustered),
                              unique=True)) if clustered else []  # fmt: skip
    groups = sorted(set(loc_group[:clustered]))
    work_groups = draw(st.lists(st.sampled_from(groups), max_size=3, unique=True)) if groups else []
    second_locs = draw(st.lists(st.integers(0, len(home_locs) - 1), max_size=2, unique=True)) \
        if home_locs else []  # fmt: skip
    night_locs = draw(st.lists(st.integers(0, len(home_locs) - 1), max_size=2, unique=True)) \
        if home_locs else []  # fmt: skip
    moves = []
    if len(home_locs) >= 2:
        for _ in range(draw(st.integers(0, 2))):
            new, old = draw(st.lists(st.integers(0, len(home_locs) - 1), min_size=2, max_size=2,
                                     unique=True))  # fmt: skip
            before, after = np.zeros((2, N_BINS)), np.zeros((2, N_BINS))
            before[0] = np.floor(counts[home_locs[new]] * draw(st.sampled_from([0.0, 0.2, 1.0])))
            after[1] = np.floor(counts[home_locs[old]] * draw(st.sampled_from([0.0, 0.3, 1.0])))
            moves.append((new, old, date(2025, 3, draw(st.integers(1, 28))), before, after))
    hour_counts = None
    if draw(st.booleans()):
        hour_counts = np.array(draw(st.lists(st.integers(0, 4), min_size=N_BINS * 24,
                                             max_size=N_BINS * 24)), dtype=np.float64)  # fmt: skip
        hour_counts = hour_counts.reshape(N_BINS, 24)
    loc_hour_counts = None
    if hour_counts is not None and draw(st.booleans()):  # each location's own hours
        loc_hour_counts = np.array(draw(st.lists(st.integers(0, 3), min_size=n_locs * N_BINS * 24,
                                                 max_size=n_locs * N_BINS * 24)),
                                   dtype=np.float64).reshape(n_locs, N_BINS, 24)  # fmt: skip
    rota = None
    if draw(st.booleans()):
        rota = draw(st.lists(st.floats(-0.7, 12.0), min_size=len(work_groups),
                             max_size=len(work_groups)))  # fmt: skip
    schedule = None
    if draw(st.booleans()):
        schedule = draw(st.lists(st.floats(-0.8, 20.0), min_size=len(work_groups),
                                 max_size=len(work_groups)))  # fmt: skip
    far = None
    if draw(st.booleans()):
        far = [[draw(st.integers(0, 2)) for _ in work_groups] for _ in home_locs]
    return RoleProblem(
        counts, loc_group, home_locs, work_groups, second_locs, moves, float(singletons),
        draw(st.floats(0.01, 3.0)), draw(st.integers(1, 4)), hour_counts=hour_counts,
        work_rota_log_bf=rota, far_from_home=far, bag=draw(st.booleans()),
        work_schedule_log_bf=schedule, night_locs=night_locs, loc_hour_counts=loc_hour_counts,
    )  # fmt: skip


def assert_same_fit(many: RoleFit, alone: RoleFit) -> None:
    """Every field alike, floats bit for bit (the bag's scores too)."""
    assert many.structures == alone.structures
    assert many.home_lives_at_work == alone.home_lives_at_work
    assert many.person_type.tolist() == alone.person_type.tolist()
    assert many.structure_index.tolist() == alone.structure_index.tolist()
    assert many.log_score.tobytes() == alone.log_score.tobytes()
    assert many.activity.tobytes() == alone.activity.tobytes()
    assert many.bag_index.tolist() == alone.bag_index.tolist()
    assert (many.bag_inputs is None) == (alone.bag_inputs is None)
    if alone.bag_inputs is not None:
        expected = roles._bag_log_scores(*alone.bag_inputs)
        assert many.bag_log_scores is not None
        assert many.bag_log_scores.shape == expected.shape
        assert many.bag_log_scores.tobytes() == expected.tobytes()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(role_problems(), min_size=1, max_size=6),
    st.sampled_from([0.16, 0.3]),
    st.sampled_from([0.0, 0.25, 0.7]),
)
def test_many_people_at_once_equal_each_alone(
    problems: list[RoleProblem], shift: float, hour_weight: float
) -> None:
    priors = RolePriors(shift_work_share=shift, hour_weight=hour_weight)
    fits = fit_roles_many(problems, priors)
    assert len(fits) == len(problems)
    for problem, fit in zip(problems, fits, strict=True):
        assert_same_fit(fit, problem.fit(priors))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(st.integers(0, 400), min_size=N_BINS * 24, max_size=N_BINS * 24),
            st.lists(
                st.sampled_from([0, 0, 0, 1, 2, 30]), min_size=N_BINS * 24, max_size=N_BINS * 24
            ),
            st.lists(  # no counts, but the checks must not change their answers
                st.sampled_from([0.0, 0.0, -0.0, -1.0, 0.5, 1e-300, math.nan, 3.0]),
                min_size=N_BINS * 24,
                max_size=N_BINS * 24,
            ),
        ),
        min_size=1,
        max_size=9,
    )
)
def test_waking_hours_of_many_people_equal_each_alone(hours: list[list[float] | None]) -> None:
    """`_activity_many` gives each person `activity_log_bayes_factors`' floats, bit for bit
    (no hours, all-zero hours, sparse and dense counts, batches of one and many; negative,
    fractional and NaN values, where whether the hours sum above 0 is asked person by
    person)."""
    counts = [None if h is None else np.array(h, dtype=np.float64).reshape(N_BINS, 24)
              for h in hours]  # fmt: skip
    problems = [RoleProblem(np.zeros((1, N_BINS)), [0], [], [], [], [], 0.0, 1.0, 1,
                            hour_counts=c) for c in counts]  # fmt: skip
    many = _activity_many(problems)
    for row, c in zip(many, counts, strict=True):
        assert row.tobytes() == roles.activity_log_bayes_factors(c).tobytes()


@settings(max_examples=150, deadline=None)
@given(
    hours=st.lists(
        st.one_of(
            st.none(),
            st.lists(st.integers(0, 60), min_size=N_BINS * 24, max_size=N_BINS * 24),
            st.lists(st.floats(0.0, 1e6), min_size=N_BINS * 24, max_size=N_BINS * 24),
        ),
        min_size=1, max_size=9,
    ),
    empty_parts=st.lists(st.integers(0, N_BINS - 1), max_size=N_BINS),
)  # fmt: skip
def test_presence_of_many_people_equals_each_alone(
    hours: list[list[float] | None], empty_parts: list[int]
) -> None:
    """`_presence_many` gives each person and type `roles.person_presence`'s rows, bit for
    bit: `_weighted_hours` over the people sums each part's hours as the person's own call
    does (whole-number and arbitrary counts, parts never seen, people with no hours)."""
    counts = []
    for h in hours:
        c = None if h is None else np.array(h, dtype=np.float64).reshape(N_BINS, 24)
        if c is not None:
            c[empty_parts] = 0.0
        counts.append(c)
    problems = [RoleProblem(np.zeros((1, N_BINS)), [0], [], [], [], [], 0.0, 1.0, 1,
                            hour_counts=c) for c in counts]  # fmt: skip
    many = _presence_many(problems)
    for person, c in enumerate(counts):
        for t in range(len(roles.PERSON_TYPES)):
            assert many[person, t].tobytes() == roles.person_presence(t, c).tobytes()


@settings(max_examples=150, deadline=None)
@given(
    people=st.lists(
        st.tuples(
            st.one_of(
                st.none(),
                st.lists(st.integers(0, 60), min_size=N_BINS * 24, max_size=N_BINS * 24),
                st.lists(st.floats(0.0, 1e6), min_size=N_BINS * 24, max_size=N_BINS * 24),
            ),
            st.one_of(st.none(), st.integers(0, 6)),
            st.integers(0, 2**32 - 1),
        ),
        min_size=1, max_size=9,
    ),
    empty_parts=st.lists(st.integers(0, N_BINS - 1), max_size=N_BINS),
)  # fmt: skip
def test_location_hour_terms_of_many_people_equal_each_alone(
    people: list[tuple[list[float] | None, int | None, int]], empty_parts: list[int]
) -> None:
    """`_location_hour_terms_many` gives each person `roles.location_hour_terms`' floats,
    bit for bit: `_weighted_hours` over the people weighs each part's hours as the person's
    own einsum does, the people with as many locations share one `np.matmul`, and the terms
    of hours at a zero average are 0.0 (whole-number and arbitrary counts, parts never seen,
    people with no hours or no locations' hours, no locations, people of 0 to 6 locations
    in any order)."""
    problems = []
    for hours, n_locs, seed in people:
        counts = None if hours is None else np.array(hours, dtype=np.float64).reshape(N_BINS, 24)
        if counts is not None:
            counts[empty_parts] = 0.0
        rng = np.random.default_rng(seed)
        locs = None if n_locs is None else rng.integers(0, 3, (n_locs, N_BINS, 24)).astype(float)
        problems.append(RoleProblem(np.zeros((1, N_BINS)), [0], [], [], [], [], 0.0, 1.0, 1,
                                    hour_counts=counts, loc_hour_counts=locs))  # fmt: skip
    many = _location_hour_terms_many(problems)
    for got, p in zip(many, problems, strict=True):
        alone = roles.location_hour_terms(p.hour_counts, p.loc_hour_counts)
        assert (got is None) == (alone is None)
        if got is not None and alone is not None:
            assert got.shape == alone.shape
            assert got.tobytes() == alone.tobytes()


@settings(max_examples=150, deadline=None)
@given(
    people=st.integers(1, 6),
    scale=st.sampled_from([1.0, 1e-300, 1e300, 3.0e-5]),
    whole=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_weighted_hours_equal_each_persons_einsum(
    people: int, scale: float, whole: bool, seed: int
) -> None:
    """`_weighted_hours` gives each person `np.einsum("bh,tbhr->tbr", hours,
    roles._HOURLY_ALL)`'s floats, bit for bit, laid out as (bins, types x columns): the
    products added one hour after another from 0.0 (counts whole or not, tiny and huge, many
    zeros). Fails with the hours added in another order (e.g. from the last hour)."""
    rng = np.random.default_rng(seed)
    hours = rng.integers(0, 40, size=(people, N_BINS, 24)).astype(np.float64)
    if not whole:
        hours = hours * rng.gamma(2.0, 0.5, size=hours.shape) * scale
    hours[rng.random(hours.shape) < 0.4] = 0.0
    got = _weighted_hours(hours)
    for person in range(people):
        own = np.einsum("bh,tbhr->tbr", hours[person], roles._HOURLY_ALL)
        assert got[person].tobytes() == np.ascontiguousarray(own.transpose(1, 0, 2)).tobytes()


@settings(max_examples=150, deadline=None)
@given(
    people=st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["days", "none", "weighted"]),
                              st.integers(0, 2**32 - 1)), min_size=1, max_size=9),
)  # fmt: skip
def test_home_shares_of_many_people_equal_each_alone(people: list[tuple[int, str, int]]) -> None:
    """`_home_shares_many` gives each person `home_rows @ weights / weights.sum()` and the
    rounded number of observations as made alone, bit for bit: whole-number days (summed
    at once, one stacked matmul), people with no days (the posts' parts instead), and
    reweighted days anywhere in the batch (each person alone). Fails when the products are
    made by one matrix product of the batch (`weights @ home_rows.T`)."""
    home_rows = roles._HOME_BY_TYPE[list(range(len(roles.PERSON_TYPES)))]
    problems = []
    for n_locs, kind, seed in people:
        rng = np.random.default_rng(seed)
        counts = rng.integers(0, 30, size=(n_locs, N_BINS)).astype(np.float64)
        counts[rng.random(counts.shape) < 0.5] = 0.0
        if kind == "none":
            counts[:] = 0.0
        elif kind == "weighted":
            counts = counts * rng.gamma(2.0, 0.5, size=counts.shape)
        problems.append(RoleProblem(counts, [0] * n_locs, [], [], [], [], 0.0, 1.0, 1))
    shares, n_obs = _home_shares_many(problems, home_rows)
    for person, p in enumerate(problems):
        weights = p.counts.sum(axis=0)
        assert n_obs[person] == max(0, round(float(p.counts.sum())))
        if not weights.sum() > 0:
            weights = np.asarray(roles.POSTS_BY_BIN, dtype=np.float64)
        alone = home_rows @ weights / weights.sum()
        assert shares[person].tobytes() == alone.tobytes()


def _activity_of_cells_computed(
    cells: np.ndarray[Any, Any], concentration: float | None = None
) -> np.ndarray[Any, Any]:
    """`roles._activity_of_cells` before its terms were read from a table: every term
    computed (the reference the table must reproduce bit for bit)."""
    from geoleak.infer.special import gammaln

    conc = roles.ACTIVITY_CONCENTRATION if concentration is None else concentration
    a = conc * roles._ACTIVITY
    loglik = (gammaln(cells[..., None, None, :] + a) - gammaln(a)).sum(axis=-1)
    mixed = roles._log_sum_exp(loglik + roles._LOG_CHRONOTYPE_WEIGHTS[:, None], axis=-2)
    out: np.ndarray[Any, Any] = mixed[..., roles._WAKING_ROW_OF_TYPE] - mixed[..., :1]
    return out


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(
        st.lists(st.one_of(st.integers(0, 3), st.integers(0, 400)), min_size=48, max_size=48),
        min_size=1, max_size=6,
    ),
    concentration=st.sampled_from([None, 10.0, 3.5, 30.0]),
    fraction=st.sampled_from([None, 0.5, 1e-9]),
    lead=st.sampled_from([(), (1,), (2,)]),
)  # fmt: skip
def test_waking_hours_terms_from_the_table_equal_them_computed(
    cells: list[list[int]],
    concentration: float | None,
    fraction: float | None,
    lead: tuple[int, ...],
) -> None:
    """`roles._activity_of_cells` reads whole-number cells' terms from a table: every type's
    log Bayes factor equals the terms computed, bit for bit (small and large counts, the
    table grown past its rows, other concentrations, cells that are no whole number, which
    are computed, and leading shapes)."""
    array = np.array(cells, dtype=np.float64)
    if fraction is not None:
        array[0, 0] += fraction
    if lead:
        array = np.broadcast_to(array, (*lead, *array.shape)).copy()
    got = roles._activity_of_cells(array, concentration)
    assert got.tobytes() == _activity_of_cells_computed(array, concentration).tobytes()
    assert got.shape == (*array.shape[:-1], len(roles.PERSON_TYPES))


def test_bagged_marginals_read_the_scores_made_at_once() -> None:
    """`decide` asks for the bagged marginals: from the batch's scores, they are those of
    the person's own lazily scored bag."""
    counts = np.zeros((4, N_BINS))
    counts[0] = [9, 2, 1, 6, 4, 3]
    counts[1] = [0, 1, 8, 1, 1, 0]
    counts[2] = [1, 0, 0, 2, 3, 1]
    problem = RoleProblem(counts, [0, 1, 2, -1], [0, 2], [1], [], [], 0.0, 0.5, bag=True)
    priors = RolePriors()
    (many,) = fit_roles_many([problem, problem], priors)[:1]
    alone = problem.fit(priors)
    assert alone.bag_log_scores is None  # not scored until asked for
    which = np.array([s.home for s in alone.structures])[alone.structure_index]
    shifts = [None, *roles.robust_type_shifts(priors)]
    got = many.bagged_marginals(which, 2, {0: 1.5}, shifts)
    expected = alone.bagged_marginals(which, 2, {0: 1.5}, shifts)
    assert got is not None and expected is not None
    assert [g.tolist() for g in got] == [e.tolist() for e in expected]


@settings(max_examples=150, deadline=None)
@given(role_problems(), st.sampled_from([0.16, 0.3]), st.sampled_from([0.0, 0.375]))
def test_the_terms_of_each_assignment_add_up_to_its_log_score(
    problem: RoleProblem, shift: float, hour_weight: float
) -> None:
    """`RoleProblem.terms` splits each assignment's log score into the model's terms, in the
    fit's order: summed they are the fit's score (to rounding: another order of additions),
    so no term of `fit_roles` is left out of the split."""
    priors = RolePriors(shift_work_share=shift, hour_weight=hour_weight)
    fit = problem.fit(priors)
    terms = problem.terms(priors)
    assert tuple(terms) == TERM_NAMES
    assert all(values.shape == fit.log_score.shape for values in terms.values())
    total = np.sum(list(terms.values()), axis=0)
    assert np.allclose(total, fit.log_score, rtol=1e-12, atol=1e-9)
    # The type prior is the type's, and no-workplace assignments have no workplace term.
    for k, ptype in enumerate(fit.person_type.tolist()):
        assert math.isclose(terms["type prior"][k], math.log(roles.type_priors(priors)[ptype]))
        if ptype == roles.NO_WORK:
            assert terms["which workplace"][k] == 0.0


def test_no_people_and_no_bags() -> None:
    assert fit_roles_many([], RolePriors()) == []


def _people_alone(problems: list[RoleProblem], priors: RolePriors) -> list[RoleFit]:
    return [problem.fit(priors) for problem in problems]


@pytest.mark.parametrize("seed", [6, 11])
def test_profiles_with_the_fits_at_once_equal_the_per_person_fits(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole inferences on generated time-use people: the profiles and sites are the same
    with the per-person fit (and its lazily scored bag) as with the fits made at once."""
    people = {p: ev for p, ev, _ in scenario_evidence(TimeUseConfig(people=16, seed=seed))}
    fast = LeakInference().fit(people)
    monkeypatch.setattr(places, "fit_roles_many", _people_alone)
    reference = LeakInference().fit(people)
    assert fast.profiles_ == reference.profiles_
    assert fast.sites_ == reference.sites_
    assert sum(1 for p in reference.profiles_ for place in p.places if place.kind == "home") > 8


@settings(max_examples=200, deadline=None)
@given(role_problems(), st.sampled_from([0.02, 0.1, 0.4]))
def test_the_workplace_prior_is_a_distribution_over_the_workplaces_an_assignment_can_have(
    problem: RoleProblem, live: float
) -> None:
    """Given the rest of an assignment (home, second place, move), the workplaces it can
    have (`roles._assignments`) take probability 1 in all: living at work (the home's own
    group) `live_at_work_share`, the rest alike, "none of the candidates" among them. So a
    type with a workplace keeps its prior share however many candidates the person has."""
    # `places._moves` offers each (new, old) pair once; the strategy may draw one twice.
    assume(len({(new, old) for new, old, *_ in problem.moves}) == len(problem.moves))
    structures, _, _, lives = roles._assignments(
        problem.loc_group, problem.home_locs, problem.work_groups, problem.second_locs,
        problem.moves, problem.night_locs,
    )  # fmt: skip
    prior = roles._workplace_log_prior(structures, lives, RolePriors(live_at_work_share=live))
    rest: dict[tuple[Any, ...], list[int]] = {}
    for k, s in enumerate(structures):
        rest.setdefault((s.home, s.second, s.old_home, s.split, s.nights), []).append(k)
    for members in rest.values():
        works = [structures[k].work for k in members]
        assert len(set(works)) == len(works) and -1 in works  # each workplace once, and none
        assert math.isclose(sum(math.exp(prior[k]) for k in members), 1.0, rel_tol=1e-12)
        at_work = [k for k in members if lives[k]]
        assert len(at_work) <= 1
        for k in at_work:
            assert math.isclose(math.exp(prior[k]), live, rel_tol=1e-12)
        others = {float(prior[k]) for k in members if not lives[k]}
        assert len(others) == 1  # the other workplaces and "none" alike


def _structure_log_prior_alone(
    structures: Sequence[roles.Structure],
    n_home_locs: int,
    n_second_locs: int,
    n_move_options: int,
    years: float,
    priors: RolePriors,
    far_from_home: Sequence[Sequence[int]] | None,
    n_night_locs: int = 0,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """One person's structure priors term by term, as `fit_roles` made them before
    `roles._structure_log_priors_many` served it too: the reference the batched terms are
    checked against (second residence or a place slept at on some nights, move, a far
    workplace; with the structures' home, work and second-residence indexes)."""
    n_second = max(1, n_second_locs)
    moved = 1.0 - (1.0 - priors.move_rate_per_year) ** max(years, 1.0 / 12)
    n_moves = max(1, n_move_options)
    # Each structure's prior, all at once (the terms added in the same order as one at a
    # time, so the sums are the same floats).
    s_home = np.array([st.home for st in structures], dtype=np.int64)
    s_work = np.array([st.work for st in structures], dtype=np.int64)
    s_second = np.array([st.second for st in structures], dtype=np.int64)
    s_old = np.array([st.old_home for st in structures], dtype=np.int64)
    s_nights = np.array([st.nights for st in structures], dtype=bool)
    log_structure_prior = np.where(
        s_second >= 0,
        np.where(s_nights,
                 math.log((1 - priors.second_residence_share) * roles.NIGHT_PLACE_SHARE
                          / max(1, n_night_locs)),
                 math.log(priors.second_residence_share / n_second)),
        np.where(s_home >= 0,
                 math.log((1 - priors.second_residence_share) * (1 - roles.NIGHT_PLACE_SHARE)), 0.0),
    )  # fmt: skip
    log_structure_prior = log_structure_prior + np.where(
        s_old >= 0, math.log(moved / n_moves), np.where(s_home >= 0, math.log(1 - moved), 0.0)
    )
    if far_from_home is not None and n_home_locs:
        band = np.array(far_from_home, dtype=np.int64).reshape(n_home_locs, -1)
        pair = (s_work >= 0) & (s_home >= 0)
        far_term = np.zeros(len(structures))
        far_term[pair] = roles.COMMUTE_BAND_LOG_PRIOR[band[s_home[pair], s_work[pair]]]
        log_structure_prior = log_structure_prior + far_term

    return log_structure_prior, s_home, s_work, s_second


@st.composite
def _structure_prior_inputs(draw: Any) -> roles.StructurePriorInputs:
    """One person's structures (any home, work, second residence, move and night place) with
    the counts and commute bands the structure priors read."""
    n_home = draw(st.integers(0, 4))
    n_work = draw(st.integers(0, 3))
    index = st.integers(-1, max(n_home - 1, -1))
    structures = draw(st.lists(
        st.builds(roles.Structure, home=index, work=st.integers(-1, n_work - 1), second=index,
                  old_home=index, nights=st.booleans()),
        max_size=12,
    ))  # fmt: skip
    bands = st.lists(st.lists(st.integers(0, 2), min_size=n_work, max_size=n_work),
                     min_size=n_home, max_size=n_home)  # fmt: skip
    far = draw(st.one_of(st.none(), bands))
    return (structures, n_home, draw(st.integers(0, 3)), draw(st.integers(0, 4)),
            draw(st.sampled_from([0.01, 0.3, 1.0, 7.5])), far, draw(st.integers(0, 3)))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_structure_prior_inputs(), max_size=6))
def test_structure_priors_of_many_people_equal_each_alone(
    people: list[roles.StructurePriorInputs],
) -> None:
    """`_structure_log_priors_many` gives each person's `_structure_log_prior_alone`, concatenated,
    bit for bit (people with no structures, no candidates, no commute bands, moves, second
    residences and night places)."""
    priors = RolePriors()
    if not people:
        return
    many = roles._structure_log_priors_many(people, priors)
    alone = [_structure_log_prior_alone(p[0], p[1], p[2], p[3], p[4], priors, p[5], p[6])
             for p in people]  # fmt: skip
    for got, parts in zip(many, zip(*alone, strict=True), strict=True):
        expected = np.concatenate(parts)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.integers(0, 300).map(float),
            st.sampled_from([-0.0, 0.5, 1e-9, 2.0**16, 2.0**16 - 1, -1.0, math.nan, math.inf]),
        ),
        max_size=40,
    ),
    alpha=st.sampled_from([10.0, 3.5, 30.0, 1e-3]),
    shape=st.sampled_from([None, (2, -1), (1, 1, -1)]),
)
def test_gammaln_of_counts_from_the_table_equals_it_computed(
    values: list[float], alpha: float, shape: tuple[int, ...] | None
) -> None:
    """`roles._lgamma_plus` reads whole non-negative values' terms from a table: the same
    floats as gammaln(alpha + values), bit for bit (the table grown past its rows, -0.0,
    values that are no whole number, negative, NaN, infinite or past the table's bound,
    which are computed; empty and leading shapes)."""
    from geoleak.infer.special import gammaln

    array = np.array(values, dtype=np.float64)
    if shape is not None and array.size % 2 == 0:
        array = array.reshape(shape if len(shape) == 3 else (2, -1))
    got = roles._lgamma_plus(alpha, array)
    want = np.asarray(gammaln(alpha + array), dtype=np.float64)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()


def test_people_of_one_shape_share_their_assignments_and_each_fit_keeps_its_own() -> None:
    """`fit_roles_many` makes the assignments and workplace priors once a shape (which
    locations are candidates for what): people who differ only in their night places, or
    fits under another workplace prior, are not given another shape's, and each fit has its
    own lists (changing one leaves the next fit of that shape as it was)."""
    counts = np.array([[5, 1, 0, 2, 4, 3], [0, 2, 7, 1, 0, 0], [1, 0, 0, 1, 2, 0],
                       [2, 0, 1, 0, 1, 1]], dtype=np.float64)  # fmt: skip

    def person(night_locs: list[int]) -> RoleProblem:
        return RoleProblem(counts, [0, 1, 2, -1], [0, 2], [1, 2], [1], [], 3.0, 0.8,
                           night_locs=night_locs, bag=True)  # fmt: skip

    people = [person([]), person([1]), person([]), person([1])]
    for priors in (RolePriors(), RolePriors(live_at_work_share=0.3)):
        first = fit_roles_many(people, priors)
        for problem, fit in zip(people, first, strict=True):
            assert_same_fit(fit, problem.fit(priors))
        assert len(first[1].structures) > len(first[0].structures)  # the night place's
        first[0].structures.clear()
        first[0].home_lives_at_work.clear()
        again = fit_roles_many(people[:1], priors)[0]
        assert_same_fit(again, people[0].fit(priors))
        assert again.structures is not first[2].structures


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 5),
            st.lists(
                st.one_of(
                    st.floats(1e-300, 1.0),
                    st.sampled_from([0.99, 0.9899999999999999, 0.9900000000000001, 1.0, math.nan]),
                ),
                min_size=len(roles.PERSON_TYPES),
                max_size=len(roles.PERSON_TYPES),
            ),
        ),
        max_size=8,
    )
)
def test_home_term_logs_of_many_people_equal_the_scalar_logs(
    people: list[tuple[int, list[float]]],
) -> None:
    """`roles.home_term_logs` gives `fit_roles`' scalar home terms, math.log((1 - u) / n_home)
    and math.log(u) with u = min(0.99, unseen), bit for bit (values about 0.99, 1.0 and NaN,
    which `min` makes 0.99; tiny values)."""
    n_types = len(roles.PERSON_TYPES)
    unseen = np.array([values for _, values in people], dtype=np.float64).reshape(-1, n_types)
    n_home = np.array([n for n, _ in people], dtype=np.float64)
    log_seen, log_unseen = roles.home_term_logs(unseen, n_home)
    assert log_seen.shape == log_unseen.shape == unseen.shape
    for person, (n, values) in enumerate(people):
        for t, value in enumerate(values):
            u = min(0.99, value)
            assert log_seen[person, t].tobytes() == np.float64(math.log((1 - u) / n)).tobytes()
            assert log_unseen[person, t].tobytes() == np.float64(math.log(u)).tobytes()
