"""Time zone from the daily posting rhythm."""

from __future__ import annotations

import random

import pytest

from geoleak.infer.rhythm import estimate_utc_offset


def posting_hours(offset_h: int, n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    counts = [0] * 24
    for _ in range(n):
        local = rng.gauss(12.5, 2.5) if rng.random() < 0.35 else rng.gauss(20.5, 2.0)
        counts[int(local - offset_h) % 24] += 1
    return counts


@pytest.mark.parametrize("offset", [-8, -3, 0, 2, 9, 12])
def test_recovers_offset_within_its_uncertainty(offset: int) -> None:
    estimate = estimate_utc_offset(posting_hours(offset, 300, seed=offset))
    assert estimate is not None
    error = (estimate.utc_offset_h - offset + 12) % 24 - 12
    assert abs(error) <= max(2, 2 * estimate.uncertainty_h)


def test_too_few_posts_gives_no_estimate() -> None:
    assert estimate_utc_offset(posting_hours(0, 10, seed=1)) is None


def test_needs_24_bins() -> None:
    with pytest.raises(ValueError, match="24"):
        estimate_utc_offset([1, 2, 3])
