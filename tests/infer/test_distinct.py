"""`sorted_distinct` is `np.unique` of an array: the same values, order, dtype and shape;
`sorted_isin` is `np.isin`."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from geoleak.infer.distinct import sorted_distinct, sorted_isin

_dtypes = st.sampled_from([np.int64, np.int32, np.int8, np.uint16, np.uint64, np.bool_])


@settings(max_examples=300)
@given(
    hnp.arrays(_dtypes, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=40))
    | hnp.arrays(
        np.float64, st.integers(0, 30), elements=st.sampled_from([0.0, -0.0, 1.5, np.nan, -np.inf])
    )
)
def test_distinct_values_are_those_np_unique_gives(values: np.ndarray) -> None:  # type: ignore[type-arg]
    got, expected = sorted_distinct(values), np.unique(values)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()


def test_distinct_keys_of_many_repeats() -> None:
    rng = np.random.default_rng(5)
    keys = (rng.integers(0, 300, 8_000) << 32) | rng.integers(0, 20, 8_000)
    assert sorted_distinct(keys).tobytes() == np.unique(keys).tobytes()


_keys = st.sampled_from([np.int64, np.int32, np.uint8, np.uint64, np.bool_])


@settings(max_examples=300)
@given(
    _keys.flatmap(
        lambda dtype: st.tuples(
            hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=30)),
            hnp.arrays(dtype, st.integers(0, 30)),
        )
    )
    | st.tuples(
        hnp.arrays(np.int64, st.integers(0, 20), elements=st.integers(-3, 3)),
        hnp.arrays(np.int32, st.integers(0, 20), elements=st.integers(-3, 3)),
    )
    | st.tuples(
        hnp.arrays(np.float64, st.integers(0, 20), elements=st.sampled_from([0.0, -0.0, np.nan])),
        hnp.arrays(np.float64, st.integers(0, 20), elements=st.sampled_from([0.0, 1.0, np.nan])),
    )
)
def test_membership_is_what_np_isin_gives(pair: tuple[np.ndarray, np.ndarray]) -> None:  # type: ignore[type-arg]
    values, keys = pair
    got, expected = sorted_isin(values, keys), np.isin(values, keys)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.tolist() == expected.tolist()


def test_membership_of_wide_keys() -> None:
    """(candidate, day) pairs as `_night_places_of_people` makes them, the largest value
    among the keys (the binary search's last key)."""
    rng = np.random.default_rng(7)
    values = (rng.integers(0, 400, 5_000) << 32) | rng.integers(0, 60, 5_000)
    keys = np.append((rng.integers(0, 400, 900) << 32) | rng.integers(0, 60, 900), values.max())
    got = sorted_isin(values, keys)
    assert got.tolist() == np.isin(values, keys).tolist()
    assert 0 < got.sum() < values.size
