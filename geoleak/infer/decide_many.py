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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from geoleak.infer.roles import PERSON_TYPES, RoleFit

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
    for j in range(_BLOCK - 1):  # one after another from 0.0
        at = short[lengths[short] > j]
        out[at] += values[starts[at] + j]
    leaf = np.flatnonzero((lengths >= _BLOCK) & (lengths <= _LEAF))
    if leaf.size:
        start, n = starts[leaf], lengths[leaf]
        blocks = n // _BLOCK
        lanes = np.arange(_BLOCK)
        r = values[start[:, None] + lanes]  # (segments, 8): the first block
        for b in range(1, _LEAF // _BLOCK):
            at = np.flatnonzero(blocks > b)
            if not at.size:
                break
            r[at] += values[(start[at] + b * _BLOCK)[:, None] + lanes]
        res = ((r[:, 0] + r[:, 1]) + (r[:, 2] + r[:, 3])) + (
            (r[:, 4] + r[:, 5]) + (r[:, 6] + r[:, 7])
        )
        rest_at = start + blocks * _BLOCK
        rest = n % _BLOCK
        for j in range(_BLOCK - 1):  # the rest, one after another
            at = np.flatnonzero(rest > j)
            if not at.size:
                break
            res[at] += values[rest_at[at] + j]
        out[leaf] = res
    return out


@dataclass(slots=True)
class DecideNumbers:
    """What `decide` reads of one person's posterior: per assignment, the home, work,
    second-residence and old-home candidate (-1: none); the posteriors (plain, then under
    the robust type priors: `RoleFit.posterior_rows`); their home and work marginals
    (rows, candidates); the plain one's second-residence marginals; the type masses."""

    home_of: NDArray[np.int64]
    work_of: NDArray[np.int64]
    second_of: NDArray[np.int64]
    old_of: NDArray[np.int64]
    posts: NDArray[np.float64]
    home_all: NDArray[np.float64]
    work_all: NDArray[np.float64]
    second_m: list[float]
    types: tuple[float, ...]


def _roles_of(fit: RoleFit) -> NDArray[np.int64]:
    """(4, K): each assignment's home, work, second and old home."""
    table = np.array([(s.home, s.work, s.second, s.old_home) for s in fit.structures], np.int64)
    return np.asarray(table[fit.structure_index].T)


def person_numbers(
    fit: RoleFit,
    work_log_boost: Mapping[int, float] | None,
    shifts: Sequence[Sequence[float] | None],
    n_home: int,
    n_work: int,
) -> DecideNumbers:
    """One person's `DecideNumbers` (a fit with assignments), the readable definition."""
    from geoleak.infer.places import _group_sums, _marginal, _marginals

    home_of, work_of, second_of, old_of = _roles_of(fit)
    posts = fit.posterior_rows(dict(work_log_boost or {}), shifts)
    return DecideNumbers(
        home_of,
        work_of,
        second_of,
        old_of,
        posts,
        _marginals(posts, home_of, n_home),
        _marginals(posts, work_of, n_work),
        _marginal(posts[0], second_of, n_home),
        _group_sums(posts[0].tolist(), fit.person_type.tolist(), len(PERSON_TYPES)),
    )


def numbers_of_people(
    fits: Sequence[RoleFit],
    boosts: Sequence[Mapping[int, float] | None],
    shifts: Sequence[Sequence[Sequence[float] | None]],
    n_homes: Sequence[int],
    n_works: Sequence[int],
) -> list[DecideNumbers]:
    """`person_numbers` of each person (fits with assignments), the same floats. People with
    fewer shifts than the most are given rows of no shift (the plain posterior again), cut
    off again before they are handed back."""
    people = len(fits)
    if not people:
        return []
    types_n = len(PERSON_TYPES)
    roles = [_roles_of(fit) for fit in fits]
    sizes = np.array([fit.log_score.size for fit in fits], np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    total = int(sizes.sum())
    owner = np.repeat(np.arange(people), sizes)
    rows = max(len(s) for s in shifts)
    shift_table = np.zeros((rows, people, types_n))
    for p, person_shifts in enumerate(shifts):
        for r, shift in enumerate(person_shifts):
            if shift is not None:
                shift_table[r, p] = shift
    bonus_parts = []
    for fit, boost in zip(fits, boosts, strict=True):
        if boost:
            bonus = np.array([boost.get(s.work, 0.0) for s in fit.structures])
            bonus_parts.append(fit.log_score + bonus[fit.structure_index])
        else:
            bonus_parts.append(fit.log_score)
    scores = np.concatenate(bonus_parts)
    ptype = np.concatenate([fit.person_type for fit in fits])
    shifted = scores[None, :] + shift_table[:, owner, ptype]  # (rows, K in all)
    top = np.maximum.reduceat(shifted, starts, axis=1)
    weights = np.exp(shifted - top[:, owner])
    flat = weights.reshape(-1)
    seg_starts = (np.arange(rows)[:, None] * total + starts[None, :]).reshape(-1)
    totals = segment_sums(flat, seg_starts, np.tile(sizes, rows)).reshape(rows, people)
    posts = weights / totals[:, owner]

    def marginals(which: NDArray[np.int64], counts: Sequence[int], n_rows: int) -> Any:
        """Per row and person, each candidate's mass: one bincount, bins in input order."""
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        width = int(np.sum(counts))
        given = np.flatnonzero(which >= 0)
        keys = np.arange(n_rows)[:, None] * width + (offsets[owner] + which)[given][None, :]
        sums = np.bincount(
            keys.reshape(-1), weights=posts[:n_rows, given].reshape(-1), minlength=n_rows * width
        )
        return sums.reshape(n_rows, width), offsets

    home_of, work_of, second_of, _ = (np.concatenate(parts) for parts in zip(*roles, strict=True))
    home_all, home_at = marginals(home_of, n_homes, rows)
    work_all, work_at = marginals(work_of, n_works, rows)
    second_all, _ = marginals(second_of, n_homes, 1)
    # The type masses: each (person, type)'s posterior values in their order, summed alone.
    order = np.argsort(owner * types_n + ptype, kind="stable")
    group_sizes = np.bincount(owner * types_n + ptype, minlength=people * types_n)
    group_starts = np.concatenate([[0], np.cumsum(group_sizes)[:-1]]).astype(np.int64)
    type_sums = segment_sums(posts[0][order], group_starts, group_sizes).reshape(people, types_n)

    out = []
    second_list = second_all[0].tolist()
    type_rows = type_sums.tolist()
    for p in range(people):
        lo, hi, kept = int(starts[p]), int(starts[p] + sizes[p]), len(shifts[p])
        h, w = int(home_at[p]), int(work_at[p])
        home_p, work_p, second_p, old_p = roles[p]
        out.append(
            DecideNumbers(
                home_p,
                work_p,
                second_p,
                old_p,
                posts[:kept, lo:hi],
                home_all[:kept, h : h + n_homes[p]],
                work_all[:kept, w : w + n_works[p]],
                second_list[h : h + n_homes[p]],
                tuple(type_rows[p]),
            )
        )
    return out
