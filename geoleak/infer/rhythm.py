"""A person's time zone from their daily posting rhythm, for people with no located posts.

People post little between 01:00 and 06:00 local time and most in the evening. Given the
UTC hours of someone's posts, the UTC offset that best aligns them with that typical
rhythm is an estimate of where in the world they live (to a band of longitudes). The
uncertainty is the spread of the posterior over offsets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["TimezoneEstimate", "estimate_utc_offset"]

# Relative posting activity by local hour (0-23): a typical diurnal profile of social
# media use (quiet before dawn, rising through the day, peaking in the evening).
LOCAL_ACTIVITY = (
    3.0, 2.0, 1.2, 0.8, 0.6, 0.6, 1.0, 2.0, 3.2, 4.0, 4.4, 4.7,
    5.0, 4.9, 4.7, 4.7, 4.9, 5.2, 5.6, 6.0, 6.3, 6.4, 5.8, 4.4,
)  # fmt: skip
_TOTAL = sum(LOCAL_ACTIVITY)
_LOG_P = tuple(math.log(a / _TOTAL) for a in LOCAL_ACTIVITY)


@dataclass(frozen=True, slots=True)
class TimezoneEstimate:
    utc_offset_h: int
    uncertainty_h: float
    posts: int

    def to_json(self) -> dict[str, object]:
        return {
            "utc_offset_h": self.utc_offset_h,
            "uncertainty_h": round(self.uncertainty_h, 1),
            "posts": self.posts,
            "basis": "daily posting rhythm",
        }


def estimate_utc_offset(
    utc_hour_counts: Sequence[int], *, min_posts: int = 20
) -> TimezoneEstimate | None:
    """Most likely UTC offset (hours, -11..+14) from 24 counts of posts per UTC hour."""
    if len(utc_hour_counts) != 24:
        raise ValueError("need 24 hourly counts")
    total = sum(utc_hour_counts)
    if total < min_posts:
        return None
    offsets = range(-11, 15)
    log_lik = [
        sum(n * _LOG_P[(h + k) % 24] for h, n in enumerate(utc_hour_counts) if n) for k in offsets
    ]
    peak = max(log_lik)
    post = [math.exp(ll - peak) for ll in log_lik]
    norm = sum(post)
    best = max(range(len(post)), key=post.__getitem__)
    best_k = offsets[best]
    # Spread on the circle of offsets around the best one.
    var = sum(
        p / norm * (((k - best_k + 12) % 24) - 12) ** 2 for k, p in zip(offsets, post, strict=True)
    )
    return TimezoneEstimate(best_k, max(0.5, math.sqrt(var)), total)
