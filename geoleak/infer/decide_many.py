"""`decide`'s sums for many people at once, bit for bit.

`places.decide` reads, for one person, the posteriors under the robust type priors, the
home, work and second-residence marginals of each and the seven type masses: about a dozen
numpy calls on arrays of ~70 assignments. `numbers_of_people` makes them for every person of
a partition with a fixed number of calls; `person_numbers` is the readable definition, one
person alone, and each person's floats are the same in both.

Elementwise work (scores, shifts, `exp`, division) gives the same floats in any layout;
maxima and minima are exact. The sums are where order matters: a posterior's total is
numpy's pairwise sum of the person's K weights (`segment_sums` does that sum for many
segments at once, in numpy's order), and each marginal is an `np.bincount`, whose bins add
their entries in input order, one after another (each person's entries keep their order).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import NDArray

from geoleak.infer import roles
from geoleak.infer.roles import DAY_TYPES, PERSON_TYPES, SHIFT_TYPES, RoleFit

# numpy's pairwise summation (`pairwise_sum`, numpy/_core/src/umath/loops_utils.h.src):
# below `_BLOCK` values one after another; up to `_LEAF` in `_BLOCK` interleaved partial
# sums, combined as a tree, then the rest one after another; more split in two.
_BLOCK = 8
_LEAF = 128


def segment_sums(
    values: NDArray[np.float64], starts: NDArray[np.int64], lengths: NDArray[np.int64]
) -> NDArray[np.float64]:
    """`np.add.reduce(values[s:s + n])` for each segment (s, n), the same floats: numpy's
    pairwise summation (fewer than 8 values in sequence from 0.0; up to 128 in eight
    interleaved partial sums, combined as a tree, then the rest in sequence; more split at
    half rounded down to a multiple of 8), added to 0.0 (the reduction's identity), for all
    segments at once: each step one numpy operation over the segments that take it."""
    return 0.0 + _pairwise(values, starts.astype(np.int64), lengths.astype(np.int64))


def _pairwise(
    values: NDArray[np.float64], starts: NDArray[np.int64], lengths: NDArray[np.int64]
) -> NDArray[np.float64]:
    out = np.zeros(len(starts))
    big = np.flatnonzero(lengths > _LEAF)
    if big.size:  # split in two, each half summed alone, then the halves added
        half = lengths[big] // 2
        half -= half % _BLOCK
        out[big] = _pairwise(values, starts[big], half) + _pairwise(
            values, starts[big] + half, lengths[big] - half
        )
    short = np.flatnonzero(lengths < _BLOCK)
    if short.size:  # one after another from 0.0
        sums = np.zeros(short.size)
        _added_in_turn(sums, values, starts[short], lengths[short])
        out[short] = sums
    leaf = np.flatnonzero((lengths >= _BLOCK) & (lengths <= _LEAF))
    if leaf.size:
        # The leaves by their count of blocks, most first (each one's sums are its own):
        # those with a block b are then the first ones, and their partial sums a slice.
        leaf = leaf[np.argsort(-(lengths[leaf] // _BLOCK), kind="stable")]
        start, n = starts[leaf], lengths[leaf]
        blocks = n // _BLOCK
        # Every run of eight values as a row of one view (no copy), taken by its first.
        step = values.strides[0]
        window = as_strided(values, (values.size - _BLOCK + 1, _BLOCK), (step, step),
                            writeable=False)  # fmt: skip
        r = window[start]  # (segments, 8): the first block
        for b in range(1, _LEAF // _BLOCK):
            m = int(np.count_nonzero(blocks > b))
            if not m:
                break
            r[:m] += window[start[:m] + b * _BLOCK]
        res = ((r[:, 0] + r[:, 1]) + (r[:, 2] + r[:, 3])) + (
            (r[:, 4] + r[:, 5]) + (r[:, 6] + r[:, 7])
        )
        _added_in_turn(res, values, start + blocks * _BLOCK, n % _BLOCK)  # the rest
        out[leaf] = res
    return out


def _added_in_turn(
    sums: NDArray[np.float64],
    values: NDArray[np.float64],
    firsts: NDArray[np.int64],
    counts: NDArray[np.int64],
) -> None:
    """Adds `values[firsts[i] + j]` to `sums[i]` for each j below `counts[i]`, one j after
    another (a sequential sum's adds), each step over a slice: the sums taken in order of
    their counts, most first (those with a j-th value are then the first ones)."""
    if not counts.size:
        return
    order = np.argsort(-counts, kind="stable")
    part, firsts, counts = sums[order], firsts[order], counts[order]
    for j in range(int(counts[0])):
        m = int(np.count_nonzero(counts > j))
        part[:m] += values[firsts[:m] + j]
    sums[order] = part


@dataclass(slots=True)
class DecideNumbers:
    """What `decide` reads of one person's posterior: the type-prior shifts
    (`RoleFit.robust_shifts`); per assignment, the home, work, second-residence and old-home
    candidate (-1: none); the posteriors (plain, then under the shifts:
    `RoleFit.posterior_rows`); their home and work marginals (rows, candidates), the plain
    one's as lists and the lowest over the rows; the plain one's second-residence marginals;
    the type masses."""

    shifts: list[Sequence[float] | None]
    home_of: NDArray[np.int64]
    work_of: NDArray[np.int64]
    second_of: NDArray[np.int64]
    old_of: NDArray[np.int64]
    posts: NDArray[np.float64]
    home_all: NDArray[np.float64]
    work_all: NDArray[np.float64]
    home_m: list[float]
    work_m: list[float]
    home_low: list[float]
    work_low: list[float]
    second_m: list[float]
    types: tuple[float, ...]
    # The likeliest home and workplace candidate under the plain posterior: ndarray's
    # `argmax` of `home_all[0]` and `work_all[0]` (the first index of the largest; a NaN's
    # first index where there is one), -1 with no candidate.
    home_best: int
    work_best: int
    # `RoleFit.bagged_marginals` of the home candidates under `shifts`, when made for many
    # people at once (`bagged_marginals_many`; `bag_made`), else made by `decide` if needed.
    bagged: list[NDArray[np.float64]] | None = None
    bag_made: bool = False
    # `home_low` and `bagged`'s arrays' lowest (`decide`'s `np.minimum.reduce` of them),
    # when made for many people at once (`lowest_with_bags`).
    bagged_low: list[float] | None = None
    # `decide`'s masses at home candidate `shares_at` (the likeliest), when made for many
    # people at once (`shares_of_people`): its old-home mass, the day and the night/shift
    # workplace masses of its location; and the day types' mass at the likeliest workplace.
    shares_made: bool = False
    shares_at: int = -1
    shares: tuple[float, float, float] = (0.0, 0.0, 0.0)
    work_day: float = 0.0
    # Whether any assignment has an old home (`old_of >= 0`), when made for many people at
    # once (`numbers_of_people`), else None (`decide` asks `old_of`).
    moved: bool | None = None


def lowest_with_bags(numbers: Sequence[DecideNumbers]) -> None:
    """Sets each one's `bagged_low`: `np.minimum.reduce([home_low, *bagged], axis=0)` as a
    list (what `decide` reads as a home's confidences), for people whose `bagged` holds the
    same number of arrays at once: their rows end to end, one reduction over the first
    axis (each column's values taken row after row, as alone), then cut per person.
    `np.minimum` takes each pair alone, so a column's lowest does not depend on its
    neighbours (a NaN is kept, as alone). People without bagged arrays are left alone."""
    groups: dict[int, list[tuple[DecideNumbers, list[NDArray[np.float64]]]]] = {}
    for made in numbers:
        if made.bagged:
            groups.setdefault(len(made.bagged), []).append((made, made.bagged))
    for arrays, group in groups.items():
        rows: list[Any] = [[x for made, _ in group for x in made.home_low]]
        rows.extend(np.concatenate([bagged[r] for _, bagged in group]) for r in range(arrays))
        lowest = np.minimum.reduce(np.array(rows, dtype=np.float64), axis=0).tolist()
        at = 0
        for made, _ in group:
            n = len(made.home_low)
            made.bagged_low = lowest[at : at + n]
            at += n


def _table_of(rows: Iterable[Sequence[float]], shape: tuple[int, ...]) -> NDArray[np.float64]:
    """`np.array(list(rows), np.float64).reshape(shape)` for rows of floats: their values
    one after another (`np.array` of nested rows walks them first for their shape and
    type). A count of values other than the shape's raises ValueError (by `reshape`)."""
    values = np.fromiter(itertools.chain.from_iterable(rows), np.float64)
    return values.reshape(shape)


def _role_table(fits: Sequence[RoleFit]) -> NDArray[np.int64]:
    """(4, K in all): each assignment's home, work, second and old home, people end to end.
    A partition's fits share their structures (the spill keeps equal ones once,
    `engine._spilled`): each distinct object's four numbers are read once, the objects
    told apart by their ids (all alive, in the fits)."""
    everyone = list(itertools.chain.from_iterable(fit.structures for fit in fits))
    ids = np.fromiter(map(id, everyone), np.int64, len(everyone))
    _, first, slot = np.unique(ids, return_index=True, return_inverse=True)
    distinct = np.array(
        [(s.home, s.work, s.second, s.old_home) for s in map(everyone.__getitem__, first.tolist())],
        np.int64,
    ).reshape(-1, 4)
    at = np.cumsum([0] + [len(fit.structures) for fit in fits[:-1]])
    index = np.concatenate(
        [fit.structure_index + a for fit, a in zip(fits, at.tolist(), strict=True)]
    )
    table: NDArray[np.int64] = np.take(
        np.ascontiguousarray(distinct.T), slot.reshape(-1)[index], axis=1
    )
    return table


def person_numbers(
    fit: RoleFit,
    work_log_boost: Mapping[int, float] | None,
    shifts: list[Sequence[float] | None],
    n_home: int,
    n_work: int,
) -> DecideNumbers:
    """One person's `DecideNumbers` (a fit with assignments), the readable definition."""
    from geoleak.infer.places import _group_sums, _marginal, _marginals

    table = np.array([(s.home, s.work, s.second, s.old_home) for s in fit.structures], np.int64)
    home_of, work_of, second_of, old_of = table[fit.structure_index].T
    posts = fit.posterior_rows(dict(work_log_boost or {}), shifts)
    home_all = _marginals(posts, home_of, n_home)
    work_all = _marginals(posts, work_of, n_work)
    # ndarray's min is this ufunc's reduction behind a Python wrapper (the same floats).
    return DecideNumbers(
        shifts,
        home_of,
        work_of,
        second_of,
        old_of,
        posts,
        home_all,
        work_all,
        home_all[0].tolist(),
        work_all[0].tolist(),
        np.minimum.reduce(home_all, axis=0).tolist() if n_home else [],
        np.minimum.reduce(work_all, axis=0).tolist() if n_work else [],
        _marginal(posts[0], second_of, n_home),
        _group_sums(posts[0].tolist(), fit.person_type.tolist(), len(PERSON_TYPES)),
        int(home_all[0].argmax()) if n_home else -1,
        int(work_all[0].argmax()) if n_work else -1,
    )


def numbers_of_people(
    fits: Sequence[RoleFit],
    boosts: Sequence[Mapping[int, float] | None],
    shifts: Sequence[list[Sequence[float] | None]],
    n_homes: Sequence[int],
    n_works: Sequence[int],
) -> list[DecideNumbers]:
    """`person_numbers` of each person (fits with assignments), the same floats. People with
    fewer shifts than the most are given rows of no shift: the plain posterior again, so
    their lowest marginals over the rows are the same; those rows are cut off again."""
    people = len(fits)
    if not people:
        return []
    types_n = len(PERSON_TYPES)
    sizes = np.array([fit.log_score.size for fit in fits], np.int64)
    starts = np.cumsum(sizes) - sizes
    total = int(sizes.sum())
    owner = np.repeat(np.arange(people), sizes)
    home_of, work_of, second_of, old_of = _role_table(fits)
    rows = max(len(s) for s in shifts)
    no_shift = (0.0,) * types_n
    padded = ([no_shift if s is None else s for s in own] + [no_shift] * (rows - len(own))
              for own in shifts)  # fmt: skip
    shift_table = _table_of(itertools.chain.from_iterable(padded), (people, rows, types_n))
    scores = np.concatenate([fit.log_score for fit in fits])
    # The boosts, added as `RoleFit.posterior_rows` adds them: to the boosted people only,
    # each assignment its workplace's (`get(work, 0.0)`: a boost's keys may lie outside).
    boosted = [p for p in range(people) if boosts[p]]
    if boosted:
        w_sizes = np.array(n_works, np.int64) + 1
        w_at = np.cumsum(w_sizes) - w_sizes  # each person's last slot: work -1
        # The table as a list of floats, then one array (not numpy's scalar stores).
        bonus_list = [0.0] * int(w_sizes.sum())
        w_at_list = w_at.tolist()
        for p in boosted:
            boost = boosts[p] or {}
            at_p, n_p = w_at_list[p], n_works[p]
            for w in range(-1, n_p):
                bonus_list[at_p + (w if w >= 0 else n_p)] = boost.get(w, 0.0)
        bonus = np.array(bonus_list, np.float64)
        at = np.flatnonzero(np.isin(owner, boosted))
        slot = np.where(work_of[at] >= 0, work_of[at], np.array(n_works, np.int64)[owner[at]])
        scores[at] += bonus[w_at[owner[at]] + slot]
    ptype = np.concatenate([fit.person_type for fit in fits])
    # Each assignment's shifts (`shift_table[owner, :, ptype]`), as rows of a (person and
    # type, row) table: taken a run of `rows` values at a time.
    shift_of = np.take(
        shift_table.transpose(0, 2, 1).reshape(-1, rows), owner * types_n + ptype, axis=0
    )
    shifted = scores[None, :] + shift_of.T  # (rows, K in all)
    top = np.maximum.reduceat(shifted, starts, axis=1)
    # (`np.repeat(x, sizes, axis=1)` is `x[:, owner]`, copied a run at a time.)
    weights = np.exp(shifted - np.repeat(top, sizes, axis=1))
    seg_starts = (np.arange(rows)[:, None] * total + starts[None, :]).reshape(-1)
    totals = segment_sums(weights.reshape(-1), seg_starts, np.tile(sizes, rows))
    posts = weights / np.repeat(totals.reshape(rows, people), sizes, axis=1)

    def marginals(which: NDArray[np.int64], counts: Sequence[int], n_rows: int) -> Any:
        """Per row and person, each candidate's mass: one bincount, bins in input order."""
        width = int(np.sum(counts))
        given = np.flatnonzero(which >= 0)
        offsets = np.cumsum(counts) - np.asarray(counts, np.int64)
        keys = np.arange(n_rows)[:, None] * width + (offsets[owner] + which)[given][None, :]
        sums = np.bincount(
            keys.reshape(-1),
            weights=np.take(posts[:n_rows], given, axis=1).reshape(-1),  # `posts[:n_rows, given]`
            minlength=n_rows * width,
        )
        return sums.reshape(n_rows, width), offsets.tolist()

    home_all, home_at = marginals(home_of, n_homes, rows)
    work_all, work_at = marginals(work_of, n_works, rows)
    second_all, _ = marginals(second_of, n_homes, 1)
    # The type masses: each (person, type)'s posterior values in their order, summed alone.
    groups = owner * types_n + ptype
    group_sizes = np.bincount(groups, minlength=people * types_n)
    type_sums = segment_sums(
        posts[0][np.argsort(groups, kind="stable")], np.cumsum(group_sizes) - group_sizes,
        group_sizes,
    ).reshape(people, types_n)  # fmt: skip

    # Lists and the lowest over the rows, cut per person.
    home_m, work_m = home_all[0].tolist(), work_all[0].tolist()
    home_low = np.minimum.reduce(home_all, axis=0).tolist()
    work_low = np.minimum.reduce(work_all, axis=0).tolist()
    second_m, type_rows = second_all[0].tolist(), type_sums.tolist()
    starts_l, ends_l = starts.tolist(), (starts + sizes).tolist()
    # Each person's count of assignments with an old home: a difference of running counts.
    olds = np.concatenate(([0], np.cumsum(old_of >= 0)))
    moved_l = (olds[starts + sizes] > olds[starts]).tolist()
    # The likeliest candidates of every person at once, not an `argmax` a person each time
    # they are read (`reads_bag`, `shares_of_people`, `decide`).
    home_best = segment_argmax(home_all[0], n_homes)
    work_best = segment_argmax(work_all[0], n_works)
    out = []
    for p in range(people):
        lo, hi, kept = starts_l[p], ends_l[p], len(shifts[p])
        h, w = home_at[p], work_at[p]
        h_end, w_end = h + n_homes[p], w + n_works[p]
        out.append(
            DecideNumbers(
                shifts[p],
                home_of[lo:hi],
                work_of[lo:hi],
                second_of[lo:hi],
                old_of[lo:hi],
                posts[:kept, lo:hi],
                home_all[:kept, h:h_end],
                work_all[:kept, w:w_end],
                home_m[h:h_end],
                work_m[w:w_end],
                home_low[h:h_end],
                work_low[w:w_end],
                second_m[h:h_end],
                tuple(type_rows[p]),
                home_best[p],
                work_best[p],
                moved=moved_l[p],
            )
        )
    return out


def bagged_marginals_many(
    fits: Sequence[RoleFit],
    whichs: Sequence[NDArray[np.int64]],
    counts: Sequence[int],
    work_log_boosts: Sequence[dict[int, float] | None],
    type_log_shifts: Sequence[Sequence[Sequence[float] | None]],
    work_ofs: Sequence[NDArray[np.int64]] | None = None,
) -> list[list[NDArray[np.float64]] | None]:
    """`RoleFit.bagged_marginals` of each fit, the same floats (`decide`'s bagged home
    confidences for a partition's people): the elementwise steps (boosts, shifts, maxima,
    exp, division) over every fit's kept assignments end to end, and the sums in the order
    the call alone takes them (numpy's, which follows the alone arrays' memory layout: see
    below; the test checks each against the call). Fits with one type-prior shift (another
    layout), or other numbers of shifts than the rest, are made one at a time. `work_ofs`:
    each fit's workplace per assignment (-1 none), when known (`DecideNumbers.work_of`)."""
    out: list[list[NDArray[np.float64]] | None] = [None] * len(fits)
    chosen = []
    for i, fit in enumerate(fits):
        if fit.bag_inputs is None or counts[i] == 0 or fit.bag_index.size == 0:
            if fit.bag_inputs is not None and counts[i]:  # nothing kept: as the one call
                out[i] = fit.bagged_marginals(
                    whichs[i], counts[i], work_log_boosts[i], type_log_shifts[i]
                )
            continue
        if fit.bag_log_scores is None:
            fit.bag_log_scores = roles._bag_log_scores(*fit.bag_inputs)
        chosen.append(i)
    if not chosen:
        return out
    n_shifts = {len(type_log_shifts[i]) for i in chosen}
    if len(n_shifts) > 1 or min(n_shifts) < 2:  # not batched: see the layout below
        for i in chosen:
            out[i] = fits[i].bagged_marginals(
                whichs[i], counts[i], work_log_boosts[i], type_log_shifts[i]
            )
        return out
    sizes = np.array([fits[i].bag_index.size for i in chosen], np.int64)
    starts = np.cumsum(sizes) - sizes
    scores_all = np.concatenate([fits[i].bag_log_scores for i in chosen], axis=1)  # (draws, K)
    _add_bag_boosts(scores_all, [fits[i] for i in chosen], starts, sizes,
                    [work_log_boosts[i] for i in chosen],
                    None if work_ofs is None else [work_ofs[i] for i in chosen])  # fmt: skip
    types_n = len(PERSON_TYPES)
    shift_table = _table_of(
        (
            (0.0,) * types_n if shift is None else shift
            for i in chosen
            for shift in type_log_shifts[i]
        ),
        (len(chosen), min(n_shifts), types_n),
    )
    owner = np.repeat(np.arange(len(chosen)), sizes)
    # Each kept assignment's type and value: the fits' arrays end to end, gathered once.
    full = np.array([fits[i].person_type.size for i in chosen], np.int64)
    kept_at = np.concatenate([fits[i].bag_index for i in chosen]) + np.repeat(
        np.cumsum(full) - full, sizes
    )
    types = np.concatenate([fits[i].person_type for i in chosen])[kept_at]
    shift_of = shift_table[owner, :, types].T  # (shifts, K in all)
    shifted = scores_all[None, :, :] + shift_of[:, None, :]  # (shifts, draws, K in all)
    top = np.maximum.reduceat(shifted, starts, axis=2)
    weights = np.exp(shifted - np.repeat(top, sizes, axis=2))
    # Each (shift, draw)'s total over the fit's assignments: alone, `weights` has the
    # shifts' axis first in memory (the shifts' gather lays it out so), so numpy's reduction
    # adds the assignments one after another: a bincount's order.
    rows, total = shifted.shape[0] * shifted.shape[1], int(sizes.sum())
    bins = np.arange(rows)[:, None] * len(chosen) + owner[None, :]
    totals = np.bincount(
        bins.reshape(-1), weights=weights.reshape(-1), minlength=rows * len(chosen)
    ).reshape(rows, len(chosen))
    post = weights / totals[:, owner].reshape(shifted.shape)
    # The one-hot products as `post @ onehot` alone makes them. Alone, `post` has the shifts'
    # axis first in memory; numpy's matmul copies such an operand and hands it to BLAS, but
    # a single column of values goes through numpy's own loop, which adds each (shift,
    # draw)'s products from 0.0 over the assignments in order (the other values' adding
    # 0.0): a bincount's sums, whose bins add their entries in input order.
    n_rows, draws = shifted.shape[0], shifted.shape[1]
    which = np.concatenate([whichs[i] for i in chosen])[kept_at]
    single = np.array([counts[i] == 1 for i in chosen])
    given = np.flatnonzero((which >= 0) & single[owner])
    keys = np.arange(n_rows * draws)[:, None] * len(chosen) + owner[given][None, :]
    column = np.bincount(
        keys.reshape(-1),
        weights=post.reshape(n_rows * draws, total)[:, given].reshape(-1),
        minlength=n_rows * draws * len(chosen),
    ).reshape(n_rows, draws, len(chosen))
    # Two or more values: BLAS on each fit's (draws, assignments) rows per shift, as the
    # copy alone hands them to it; fits with the same numbers of assignments and values
    # stacked, one matmul call (BLAS a row block at a time) for each such group.
    groups: dict[tuple[int, int], list[int]] = {}
    for j, i in enumerate(chosen):
        if not single[j]:
            groups.setdefault((int(sizes[j]), counts[i]), []).append(j)
    means: dict[int, NDArray[np.float64]] = {}
    for (k, width), members in groups.items():
        at = np.array(members, np.int64)
        cols = starts[at][:, None] + np.arange(k)[None, :]  # (fits, k)
        rows_of = post[:, :, cols].transpose(2, 0, 1, 3)  # (fits, shifts, draws, k)
        values = which[cols]
        onehot = np.zeros((len(members), k, width))
        fit_at, k_at = np.nonzero(values >= 0)
        onehot[fit_at, k_at, values[fit_at, k_at]] = 1.0
        sums = np.ascontiguousarray(rows_of) @ onehot[:, None, :, :]
        mean = np.add.reduce(sums, axis=2) / draws  # (fits, shifts, values)
        for m, j in enumerate(members):
            means[j] = mean[m]
    for j, i in enumerate(chosen):
        if single[j]:
            # The mean over the draws as alone: a (shifts, draws, 1) array, C order.
            column_j = np.ascontiguousarray(column[:, :, j : j + 1])
            out[i] = list(np.add.reduce(column_j, axis=1) / draws)
        else:
            out[i] = list(means[j])
    return out


def _add_bag_boosts(
    scores_all: NDArray[np.float64],
    fits: Sequence[RoleFit],
    starts: NDArray[np.int64],
    sizes: NDArray[np.int64],
    boosts: Sequence[dict[int, float] | None],
    work_ofs: Sequence[NDArray[np.int64]] | None,
) -> None:
    """Adds to each boosted fit's columns of `scores_all` (its kept assignments, from
    `starts`, `sizes` of them) each one's workplace's boost (`get(work, 0.0)`), as
    `RoleFit.bagged_marginals` adds it (`scores + bonus[work + 1]`, element by element: the
    same floats), for every boosted fit at once; the others' columns are left as they are.
    `work_ofs`: each fit's workplace per assignment, when known."""
    boosted = [j for j, boost in enumerate(boosts) if boost]
    if not boosted:
        return
    if work_ofs is None:
        full = [
            np.array([s.work for s in fits[j].structures], np.int64)[fits[j].structure_index]
            for j in boosted
        ]
    else:
        full = [work_ofs[j] for j in boosted]
    counts = sizes[boosted]
    full_sizes = np.array([len(w) for w in full], np.int64)
    kept = np.concatenate([fits[j].bag_index for j in boosted]) + np.repeat(
        np.cumsum(full_sizes) - full_sizes, counts
    )
    work = np.concatenate(full)[kept]  # each kept assignment's workplace, -1 for none
    seg = np.cumsum(counts) - counts
    widths = np.maximum.reduceat(work, seg) + 2  # each fit's table: work -1 .. its largest
    table: list[float] = []
    for j, width in zip(boosted, widths.tolist(), strict=True):
        boost = boosts[j] or {}
        table += [boost.get(w, 0.0) for w in range(-1, width - 1)]
    table_at = np.cumsum(widths) - widths
    bonus = np.array(table, np.float64)[np.repeat(table_at, counts) + work + 1]
    columns = np.repeat(starts[boosted] - seg, counts) + np.arange(int(counts.sum()))
    scores_all[:, columns] += bonus


_IS_SHIFT_TYPE = np.isin(np.arange(len(PERSON_TYPES)), SHIFT_TYPES)
_IS_DAY_TYPE = np.isin(np.arange(len(PERSON_TYPES)), DAY_TYPES)


def shares_of_people(
    numbers: Sequence[DecideNumbers],
    person_types: Sequence[NDArray[np.int64]],
    work_labels: Sequence[Sequence[int]],
    home_groups: Sequence[Sequence[int]],
) -> None:
    """Sets each person's `shares_at`, `shares` and `work_day` (and `shares_made`) (`decide`'s masked sums at
    the likeliest home and workplace), for all of them at once, the same floats as
    `decide` sums alone: each person's masked values in their order, summed as numpy sums
    them (`segment_sums`). `person_types`: each assignment's type (`RoleFit.person_type`);
    `work_labels`: each work candidate's location (`Layout.work_labels`); `home_groups`:
    each home candidate's."""
    people = len(numbers)
    if not people:
        return
    sizes = np.array([n.home_of.size for n in numbers], np.int64)
    owner = np.repeat(np.arange(people), sizes)
    post = np.concatenate([n.posts[0] for n in numbers])
    home_of = np.concatenate([n.home_of for n in numbers])
    work_of = np.concatenate([n.work_of for n in numbers])
    old_of = np.concatenate([n.old_of for n in numbers])
    ptype = np.concatenate(person_types)
    day, shift = _IS_DAY_TYPE[ptype], _IS_SHIFT_TYPE[ptype]
    # ndarray's argmax: the first index of a maximum, as `decide` takes it.
    best = [n.home_best for n in numbers]
    best_work = [n.work_best for n in numbers]
    # Each assignment's workplace location (-1 for none: each person's last label).
    n_work = np.array([len(labels) for labels in work_labels], np.int64)
    label_at = np.cumsum(n_work + 1) - (n_work + 1)
    labels = np.array([x for own in work_labels for x in (*own, -1)], np.int64)
    work_label_of = labels[label_at[owner] + np.where(work_of >= 0, work_of, n_work[owner])]
    home_k = np.array(best, np.int64)[owner]
    group = np.array(
        [groups[k] if k >= 0 else -1 for groups, k in zip(home_groups, best, strict=True)],
        np.int64,
    )[owner]
    at_work = (work_of >= 0) & (work_label_of == group) & (home_of != home_k)
    old = _masked_sums(post, old_of == home_k, owner, people)
    day_work = _masked_sums(post, at_work & day, owner, people)
    shift_work = _masked_sums(post, at_work & shift, owner, people)
    work_day = _masked_sums(post, (work_of == np.array(best_work, np.int64)[owner]) & day,
                            owner, people)  # fmt: skip
    for p, made in enumerate(numbers):
        made.shares_made, made.shares_at = True, best[p]
        made.shares = (old[p], day_work[p], shift_work[p])
        made.work_day = work_day[p]


def segment_argmax(values: NDArray[np.float64], counts: Sequence[int]) -> list[int]:
    """`int(values[s:s + n].argmax())` for each segment of `counts` (n; the segments end to
    end), -1 for an empty one: the first index of a segment's largest value, or of its
    first NaN (ndarray's `argmax` takes NaN as the largest), for all segments at once. The
    largest by `np.maximum.reduceat` (which keeps a NaN), the first value equal to it (a
    NaN to a NaN) by `np.unique`'s first index of each segment's hits."""
    sizes = np.asarray(counts, np.int64)
    out = np.full(sizes.size, -1, np.int64)
    full = np.flatnonzero(sizes > 0)
    if not full.size:
        return list(out.tolist())
    starts = np.cumsum(sizes) - sizes
    top = np.full(sizes.size, np.nan)
    top[full] = np.maximum.reduceat(values, starts[full])
    owner = np.repeat(np.arange(sizes.size), sizes)
    tops = top[owner]
    hits = np.flatnonzero((values == tops) | (np.isnan(values) & np.isnan(tops)))
    seen, first = np.unique(owner[hits], return_index=True)
    out[seen] = hits[first] - starts[seen]
    return list(out.tolist())


def _masked_sums(
    values: NDArray[np.float64], mask: NDArray[np.bool_], owner: NDArray[np.int64], people: int
) -> list[float]:
    """`float(values[mask & (owner == p)].sum())` for each person p (`owner` sorted)."""
    counts = np.bincount(owner[mask], minlength=people)
    return list(segment_sums(values[mask], np.cumsum(counts) - counts, counts).tolist())
