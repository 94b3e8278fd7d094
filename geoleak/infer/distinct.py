"""`np.unique(values)` of whole numbers by a sort, as numpy before 2.3 made it.

Since numpy 2.3, `np.unique` of an integer array with no `return_*` argument goes through
a hash table (`_unique_hash`) and then sorts what it found: on the role model's arrays (a
partition's (cell, day) keys, a person's days) that is 3-8x slower than sorting the values
and keeping each first of a run (numpy 2.4: 8,000 keys with 3,000 distinct, 267 against
33 us; 300 with 100, 8.0 against 2.6 us). Both give the distinct values in ascending
order, as an array of the same dtype: the same array.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

_Scalar = TypeVar("_Scalar", bound=np.generic)


def sorted_distinct(values: NDArray[_Scalar]) -> NDArray[_Scalar]:
    """The distinct values of `values` (flattened), sorted: `np.unique(values)`, by a sort
    for whole numbers and booleans; other dtypes (floats: NaNs are one value there) by
    `np.unique` itself."""
    if values.dtype.kind not in "biu":
        return np.unique(values)
    ordered = np.sort(values, axis=None)
    if ordered.size < 2:
        return ordered
    first = np.empty(ordered.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def sorted_isin(values: NDArray[_Scalar], keys: NDArray[_Scalar]) -> NDArray[np.bool_]:
    """`np.isin(values, keys)` of whole numbers of one dtype by the keys' `sorted_distinct`
    and a binary search of each value in them. numpy takes its table path only for keys
    of a narrow range; for wide keys ((candidate, day) pairs as candidate << 32 | day) it
    takes `np.unique` of both arrays (the hash path for the keys) and a merge sort of the
    two joined. Other dtypes, or two different ones, go to `np.isin` itself."""
    if values.dtype != keys.dtype or values.dtype.kind not in "biu":
        return np.isin(values, keys)
    table = sorted_distinct(keys)
    if not table.size:
        return np.zeros(values.shape, dtype=bool)
    at = np.minimum(np.searchsorted(table, values), table.size - 1)
    return np.asarray(table[at] == values, dtype=bool)
