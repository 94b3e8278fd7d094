"""`decide`'s sums for many people at once (`decide_many`) give each person's floats bit
for bit: the segments' pairwise sums against numpy's, the batch against `person_numbers`
(the readable definition) on arbitrary fits, and `decide` with the batch's numbers against
`decide` alone on generated people."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.extract.evidence_columns import EvidenceColumns
from geoleak.infer import InferenceParams, decide_numbers
from geoleak.infer.decide_many import (
    DecideNumbers,
    _added_in_turn,
    _table_of,
    bagged_marginals_many,
    lowest_with_bags,
    numbers_of_people,
    person_numbers,
    segment_argmax,
    segment_sums,
    shares_of_people,
)
from geoleak.infer.places import (
    PlaceDraft,
    RoleDecision,
    analyse_people,
    decide,
    decide_draft,
    decided_many,
)
from geoleak.infer.roles import DAY_TYPES, PERSON_TYPES, SHIFT_TYPES, RoleFit, Structure
from geoleak.scenario.memory import scenario_evidence
from geoleak.scenario.model import ScenarioConfig
from geoleak.scenario.timeuse import TimeUseConfig
from geoleak.types import Place

SPECIAL = [0.0, -0.0, 5e-324, 1e16, -1e16, 0.1, 1e300, -1e300]


@settings(max_examples=400, deadline=None)
@given(
    segments=st.lists(
        st.lists(
            st.sampled_from([*SPECIAL, float("nan"), math.inf, -math.inf, 1.0, 2.0, 0.5])
            | st.floats(allow_nan=True, allow_infinity=True),
            max_size=9,
        ),
        max_size=10,
    )
)
def test_segment_argmax_is_each_segments_argmax(segments: list[list[float]]) -> None:
    """Each segment's index is `int(segment.argmax())` of the segment alone, -1 when it is
    empty: ties (the first), zeros of both signs, infinities, NaN anywhere (its first
    index), empty segments between others. Fails with NaN not taken as the largest, or a
    tie's last index."""
    values = np.array([x for own in segments for x in own], np.float64)
    got = segment_argmax(values, [len(own) for own in segments])
    assert got == [int(np.array(own, np.float64).argmax()) if own else -1 for own in segments]


@settings(max_examples=300, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 40) | st.integers(100, 300) | st.just(8), max_size=12),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1.0, 1e-300, 1e290]),
    special=st.lists(st.sampled_from(SPECIAL), max_size=6),
    shuffled=st.booleans(),
)
def test_segment_sums_are_numpys_sums(
    lengths: list[int], seed: int, scale: float, special: list[float], shuffled: bool
) -> None:
    """Each segment's sum is `np.add.reduce` of the segment alone, bit for bit: below 8
    values, 8 to 128 (the eight partial sums and the rest), past 128 (the split), empty;
    tiny, huge and mixed-sign values, zeros of both signs, subnormals; segments in any
    order. Fails with `np.add.reduceat` (in sequence) or any other order of the adds."""
    rng = np.random.default_rng(seed)
    total = sum(lengths)
    values = rng.random(total) * scale * 10.0 ** rng.integers(-8, 8, total)
    values *= rng.choice([1.0, -1.0], total)
    if total:
        values[rng.integers(0, total, len(special))] = special
    sizes = np.array(lengths, dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    if shuffled:
        order = rng.permutation(len(lengths))
        starts, sizes = starts[order], sizes[order]
    got = segment_sums(values, starts, sizes)
    assert got.shape == (len(sizes),)
    for s, n, sum_ in zip(starts.tolist(), sizes.tolist(), got, strict=True):
        assert sum_.tobytes() == np.add.reduce(values[s : s + n]).tobytes(), (s, n)


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 9), max_size=12),
    seed=st.integers(0, 2**32 - 1),
    special=st.lists(st.sampled_from(SPECIAL), max_size=6),
)
def test_added_in_turn_is_each_sums_adds_in_order(
    counts: list[int], seed: int, special: list[float]
) -> None:
    """`_added_in_turn` (the short segments' and the leaves' rests in `segment_sums`, a
    slice a step with the sums sorted by count) adds each sum's values one after another
    from where it stands, as a loop over that sum alone does: counts in any order, none,
    equal, zeros of both signs as the values and as the sums it starts from. Fails with
    the sums not put back in their own order or a step's slice one off."""
    rng = np.random.default_rng(seed)
    firsts = np.array([int(rng.integers(0, 20)) for _ in counts], np.int64)
    values = rng.normal(0.0, 1.0, 30) * 10.0 ** rng.integers(-5, 5, 30)
    values[rng.integers(0, 30, len(special))] = special
    start = rng.choice(np.array(SPECIAL), len(counts))
    sums = start.copy()
    _added_in_turn(sums, values, firsts, np.array(counts, np.int64))
    for i, (first, count) in enumerate(zip(firsts.tolist(), counts, strict=True)):
        alone = start[i]
        for j in range(count):
            alone += values[first + j]
        assert np.float64(sums[i]).tobytes() == np.float64(alone).tobytes(), i


@settings(max_examples=100, deadline=None)
@given(
    shape=st.tuples(st.integers(0, 4), st.integers(1, 4), st.integers(1, 7)),
    seed=st.integers(0, 2**32 - 1),
    special=st.lists(st.sampled_from([*SPECIAL, float("nan"), float("inf")]), max_size=4),
)
def test_table_of_is_np_array_of_the_rows(
    shape: tuple[int, int, int], seed: int, special: list[float]
) -> None:
    """`_table_of` (the type-prior shifts' table) is `np.array` of the rows, reshaped, bit
    for bit (rows as tuples, lists and arrays; zeros of both signs, NaN, infinities), and
    a row too long or too short raises as `reshape` does, not a table of shifted values."""
    rng = np.random.default_rng(seed)
    people, rows, width = shape
    values = rng.normal(0.0, 3.0, people * rows * width)
    if values.size:
        values[rng.integers(0, values.size, len(special))] = special
    kinds = [tuple, list, np.array]
    table = [kinds[k % 3](row) for k, row in enumerate(values.reshape(-1, width).tolist())]
    got = _table_of(iter(table), (people, rows, width))
    want = np.array([list(row) for row in table], np.float64).reshape(people, rows, width)
    assert got.dtype == np.float64 and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    if table:
        with pytest.raises(ValueError, match="reshape"):
            _table_of(iter([*table[:-1], (*table[-1], 0.0)]), (people, rows, width))
        with pytest.raises(ValueError, match="reshape"):
            _table_of(iter([*table[:-1], tuple(table[-1])[:-1]]), (people, rows, width))


def _fit(rng: np.random.Generator, k: int, n_home: int, n_work: int) -> RoleFit:
    """A fit of k assignments over random structures (homes, workplaces, second residences,
    moves within the person's candidates), scores from sure to flat."""
    n_structures = int(rng.integers(1, 12))
    structures = [
        Structure(
            home=int(rng.integers(-1, n_home)) if n_home else -1,
            work=int(rng.integers(-1, n_work)) if n_work else -1,
            second=int(rng.integers(-1, n_home)) if n_home else -1,
            old_home=int(rng.integers(-1, n_home)) if n_home and rng.random() < 0.3 else -1,
        )
        for _ in range(n_structures)
    ]
    return RoleFit(
        structures=structures,
        person_type=rng.integers(0, len(PERSON_TYPES), k),
        structure_index=rng.integers(0, n_structures, k),
        log_score=rng.normal(-40.0, 15.0, k) * rng.choice([1.0, 0.01, 1e-6], k),
    )


def _assert_same(got: DecideNumbers, alone: DecideNumbers) -> None:
    assert got.shifts == alone.shifts
    for name in ("home_of", "work_of", "second_of", "old_of", "posts", "home_all", "work_all"):
        a, b = getattr(got, name), getattr(alone, name)
        assert a.shape == b.shape, name
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), name
    for name in ("home_m", "work_m", "home_low", "work_low", "second_m"):
        assert np.array(getattr(got, name)).tobytes() == np.array(getattr(alone, name)).tobytes()
    assert np.array(got.types).tobytes() == np.array(alone.types).tobytes()
    assert (got.home_best, got.work_best) == (alone.home_best, alone.work_best)


def _random_shifts(rng: np.random.Generator, n_shifts: int) -> list[Sequence[float] | None]:
    """No shift, then n_shifts - 1 random type-prior shifts."""
    own: list[Sequence[float] | None] = [None]
    own += [tuple(rng.normal(0.0, 1.0, len(PERSON_TYPES)).tolist()) for _ in range(n_shifts - 1)]
    return own


def _bits(value: float) -> bytes:
    return np.float64(value).tobytes()


_PEOPLE = st.lists(
    st.tuples(
        st.integers(1, 40) | st.integers(120, 300),  # assignments
        st.integers(0, 4),  # home candidates
        st.integers(0, 4),  # work candidates
        st.integers(1, 7),  # type-prior shifts
        st.booleans(),  # boosted
    ),
    min_size=1,
    max_size=7,
)


@settings(max_examples=200, deadline=None)
@given(
    people=_PEOPLE,
    seed=st.integers(0, 2**32 - 1),
)
def test_shares_of_people_equal_decides_sums_alone(
    people: list[tuple[int, int, int, int, bool]], seed: int
) -> None:
    """`shares_of_people` gives each person the masses `decide` sums alone at the likeliest
    home (its old-home mass, the day and the night/shift workplace masses at its location)
    and the day types' mass at the likeliest workplace, bit for bit: homes and workplaces
    sharing locations or not, moves, no candidates of a kind, long and short posteriors.
    Fails with the sums in sequence (`np.add.reduceat`) or another person's values."""
    rng = np.random.default_rng(seed)
    fits, shifts, n_homes, n_works, labels, groups = [], [], [], [], [], []
    for k, n_home, n_work, n_shifts, _ in people:
        fits.append(_fit(rng, k, n_home, n_work))
        shifts.append(_random_shifts(rng, n_shifts))
        n_homes.append(n_home)
        n_works.append(n_work)
        labels.append(rng.integers(0, 3, n_work).tolist())  # locations: few, so shared
        groups.append(rng.integers(0, 3, n_home).tolist())
    numbers = numbers_of_people(fits, [{}] * len(fits), shifts, n_homes, n_works)
    shares_of_people(numbers, [fit.person_type for fit in fits], labels, groups)
    is_day = np.isin(np.arange(len(PERSON_TYPES)), DAY_TYPES)
    is_shift = np.isin(np.arange(len(PERSON_TYPES)), SHIFT_TYPES)
    for p, got in enumerate(numbers):
        assert got.shares_made
        post, ptype = got.posts[0], fits[p].person_type
        best = int(got.home_all[0].argmax()) if n_homes[p] else -1
        assert got.shares_at == best
        if best >= 0:  # as `decide` sums them alone
            work_label_of = np.array([*labels[p], -1])[got.work_of]
            at_work = (got.work_of >= 0) & (work_label_of == groups[p][best])
            at_work &= got.home_of != best
            alone = (
                float(post[got.old_of == best].sum()),
                float(post[at_work & is_day[ptype]].sum()),
                float(post[at_work & is_shift[ptype]].sum()),
            )
            assert [_bits(x) for x in got.shares] == [_bits(x) for x in alone]
        if n_works[p]:
            best_work = int(got.work_all[0].argmax())
            alone_day = float(post[(got.work_of == best_work) & is_day[ptype]].sum())
            assert _bits(got.work_day) == _bits(alone_day)


def _shared_structures(
    rng: np.random.Generator, fit: RoleFit, pools: dict[tuple[int, int], list[Structure]],
    n_home: int, n_work: int,
) -> RoleFit:  # fmt: skip
    """`fit` with its structures drawn from the pool of people with its numbers of
    candidates (as a partition's spill shares equal structures: `engine._spilled`): the
    same objects in several fits and again within one, and equal ones that are not the
    same object."""
    pool = pools.setdefault((n_home, n_work), _fit(rng, 1, n_home, n_work).structures)
    if rng.random() < 0.5:
        pool.append(replace(pool[int(rng.integers(len(pool)))]))  # equal, another object
    drawn = [pool[int(rng.integers(len(pool)))] for _ in fit.structures]
    return replace(fit, structures=drawn)


@settings(max_examples=200, deadline=None)
@given(
    people=_PEOPLE,
    seed=st.integers(0, 2**32 - 1),
    shared=st.booleans(),
)
def test_numbers_of_people_equal_each_alone(
    people: list[tuple[int, int, int, int, bool]], seed: int, shared: bool
) -> None:
    """Every person's posteriors, marginals and type masses from `numbers_of_people` are
    `person_numbers`' bit for bit: people with more or fewer shifts than others (the rows
    of no shift they are given), boosted or not, no candidates of a kind, long and short
    posteriors, structures shared between and within fits or not (`_role_table` reads
    each distinct object once). Fails when a person's sums take another's values or
    another order, or a structure another's roles."""
    rng = np.random.default_rng(seed)
    fits, boosts, shifts, n_homes, n_works = [], [], [], [], []
    pools: dict[tuple[int, int], list[Structure]] = {}
    for k, n_home, n_work, n_shifts, boosted in people:
        fit = _fit(rng, k, n_home, n_work)
        fits.append(_shared_structures(rng, fit, pools, n_home, n_work) if shared else fit)
        boosts.append({w: float(rng.normal(0, 2)) for w in range(n_work)} if boosted else {})
        shifts.append(_random_shifts(rng, n_shifts))
        n_homes.append(n_home)
        n_works.append(n_work)
    together = numbers_of_people(fits, boosts, shifts, n_homes, n_works)
    for p, got in enumerate(together):
        alone = person_numbers(fits[p], boosts[p], shifts[p], n_homes[p], n_works[p])
        _assert_same(got, alone)
        # `moved` made at once: whether the person's own assignments have an old home
        # (`decide` asks `old_of` when it is None, as `person_numbers` leaves it).
        assert alone.moved is None
        assert got.moved is bool((alone.old_of >= 0).any())


@settings(max_examples=200, deadline=None)
@given(
    people=st.lists(
        st.tuples(
            st.integers(1, 40) | st.integers(120, 300),  # assignments kept in the bag
            st.integers(0, 4),  # home candidates
            st.sampled_from([7, 7, 7, 1, 3]),  # type-prior shifts
            st.booleans(),  # boosted
            st.booleans(),  # bagged at all
        ),
        min_size=1,
        max_size=7,
    ),
    seed=st.integers(0, 2**32 - 1),
    alike=st.booleans(),
)
def test_bagged_marginals_many_equal_each_alone(
    people: list[tuple[int, int, int, bool, bool]], seed: int, alike: bool
) -> None:
    """Every fit's bagged home marginals from `bagged_marginals_many` are
    `RoleFit.bagged_marginals`' bit for bit: bags of fewer than 8, up to 128 and more
    assignments (numpy's three ways of summing), boosted or not, no home candidates, fits
    without a bag, scores from sure to flat; people with other numbers of shifts than the
    rest are made one at a time; fits of the same sizes (`alike`: stacked for BLAS). Fails when a fit's sums take another's values or order."""
    rng = np.random.default_rng(seed)
    fits, whichs, counts, boosts, shifts = [], [], [], [], []
    if alike:  # the first one's sizes for all
        people = [(*people[0][:3], *own[3:]) for own in people]
    for kept, n_home, n_shifts, boosted, bagged in people:
        k = kept + int(rng.integers(0, 20))
        fit = _fit(rng, k, n_home, 3)
        if bagged:
            fit.bag_index = np.sort(rng.choice(k, kept, replace=False)).astype(np.int64)
            fit.bag_inputs = ()
            scale = rng.choice([1.0, 0.01, 1e-6], (1, kept))
            fit.bag_log_scores = rng.normal(-40.0, 15.0, (8, kept)) * scale
        fits.append(fit)
        whichs.append(np.array([st.home for st in fit.structures], np.int64)[fit.structure_index])
        counts.append(n_home)
        boosts.append({w: float(rng.normal(0, 2)) for w in range(3)} if boosted else {})
        shifts.append(_random_shifts(rng, n_shifts))
    together = bagged_marginals_many(fits, whichs, counts, boosts, shifts)
    work_ofs = [np.array([s.work for s in f.structures], np.int64)[f.structure_index] for f in fits]
    given = bagged_marginals_many(fits, whichs, counts, boosts, shifts, work_ofs)
    for a_list, b_list in zip(given, together, strict=True):  # the same with work_ofs
        assert (a_list is None) == (b_list is None)
        for a, b in zip(a_list or [], b_list or [], strict=True):
            assert a.tobytes() == b.tobytes()
    for p, got in enumerate(together):
        alone = fits[p].bagged_marginals(whichs[p], counts[p], boosts[p], shifts[p])
        if alone is None:
            assert got is None
            continue
        assert got is not None and len(got) == len(alone)
        for a, b in zip(got, alone, strict=True):
            assert a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture(scope="module")
def analyses() -> list:  # type: ignore[type-arg]
    jobs = [
        (person, evidence, None)
        for config in (ScenarioConfig(people=30, seed=5), TimeUseConfig(people=16, seed=6))
        for person, evidence, _ in scenario_evidence(config)
    ]
    return analyse_people(jobs)


def test_decide_with_numbers_of_people_equals_decide_alone(analyses: list) -> None:  # type: ignore[type-arg]
    """`decide` given the batch's numbers (`infer.decide_numbers`, as pass 2 makes them for
    a partition) decides each generated person exactly as `decide` alone, with and without
    site boosts; people without a fit get no numbers."""
    params = InferenceParams()
    rng = np.random.default_rng(3)
    boosts = [
        {k: float(rng.normal(0, 2)) for k in range(len(a.work_candidates)) if rng.random() < 0.4}
        for a in analyses
    ]
    numbers = decide_numbers(analyses, params, boosts)
    fitted = 0
    for analysis, boost, person_numbers_ in zip(analyses, boosts, numbers, strict=True):
        if analysis.fit is None or not analysis.fit.log_score.size:
            assert person_numbers_ is None
            continue
        fitted += 1
        alone = decide(analysis, params, boost)
        assert repr(decide(analysis, params, boost, person_numbers_)) == repr(alone)
    assert fitted >= 30


def test_places_of_people_made_at_once_equal_decide_alone(analyses: list) -> None:  # type: ignore[type-arg]
    """`decided_many` of every person's `decide_draft` (their places made at once, as
    `engine.profiles_of` makes them for a partition) gives each person `decide` alone,
    with the people's evidence as objects, as columns, and the two mixed; people without
    a fit stay None."""
    params = InferenceParams()
    rng = np.random.default_rng(4)
    boosts = [
        {k: float(rng.normal(0, 2)) for k in range(len(a.work_candidates)) if rng.random() < 0.4}
        for a in analyses
    ]
    as_columns = [
        replace(a, evidence=EvidenceColumns(a.person, [list(a.evidence)])) for a in analyses
    ]
    mixed = [c if k % 3 else a for k, (a, c) in enumerate(zip(analyses, as_columns, strict=True))]
    places = 0
    for people in (analyses, as_columns, mixed):
        alone = [
            decide(a, params, b) if a.fit is not None else None
            for a, b in zip(people, boosts, strict=True)
        ]
        drafts = [
            decide_draft(a, params, b) if a.fit is not None else None
            for a, b in zip(people, boosts, strict=True)
        ]
        decided = decided_many(drafts)
        assert repr(decided) == repr(alone)
        for draft, decision in zip(drafts, decided, strict=True):
            # One class for both (no twin of its fields): drafts, then made places.
            assert (draft is None) == (decision is None)
            if draft is not None and decision is not None:
                assert type(draft) is RoleDecision and type(decision) is RoleDecision
                assert all(type(p) is PlaceDraft for p in draft.places())
                assert all(type(p) is Place for p in decision.places())
                places += len(draft.places())
    assert places >= 3 * 60


def _numbers_with_bags(home_low: list[float], bagged: list[np.ndarray] | None) -> DecideNumbers:  # type: ignore[type-arg]
    empty = np.zeros(0, np.int64)
    return DecideNumbers([None], empty, empty, empty, empty, np.zeros((1, 0)), np.zeros((1, 0)),
                         np.zeros((1, 0)), [], [], home_low, [], [], (), -1, -1, bagged,
                         bool(bagged))  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    people=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from([0, 1, 2, 3]), st.integers(0, 2**32 - 1)),
        max_size=9,
    ),
    special=st.lists(st.sampled_from([*SPECIAL, float("nan"), 1e-320, 1.0]), max_size=8),
)
def test_lowest_with_bags_equals_each_alone(
    people: list[tuple[int, int, int]], special: list[float]
) -> None:
    """`lowest_with_bags` (a partition's people at once, grouped by their number of bagged
    arrays, end to end) gives each person `decide`'s `np.minimum.reduce([home_low,
    *bagged], axis=0)` alone, bit for bit (NaN, signed zeros, subnormals), and leaves people
    without bags alone. Fails with a person's slice or a row taken from another."""
    made = []
    for homes, arrays, seed in people:
        rng = np.random.default_rng(seed)
        values = rng.random((arrays + 1, homes))
        for k, x in enumerate(special):
            if values.size:
                values.flat[(seed + 7 * k) % values.size] = x
        made.append(_numbers_with_bags(values[0].tolist(), list(values[1:]) if arrays else None))
    lowest_with_bags(made)
    for one in made:
        if not one.bagged:
            assert one.bagged_low is None
            continue
        alone = np.minimum.reduce([one.home_low, *one.bagged], axis=0).tolist()
        assert one.bagged_low is not None
        assert np.array(one.bagged_low).tobytes() == np.array(alone).tobytes()
