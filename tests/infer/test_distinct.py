"""`sorted_distinct` is `np.unique` of an array: the same values, order, dtype and shape."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from geoleak.infer.distinct import sorted_distinct

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
