"""Times as whole microseconds (or seconds) since 1970-01-01: the unit of the evidence
columns, the evidence store's timestamps and the dedupe keys.

An aware time counts from 1970-01-01 UTC (an instant); a naive one, a wall-clock reading
such as a local time, from the naive 1970-01-01 (its own count, not an instant). The
conversions are integer arithmetic on `timedelta`: exact to the microsecond, no float.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

__all__ = [
    "US_PER_S",
    "from_naive_us",
    "from_utc_s",
    "from_utc_us",
    "naive_us",
    "utc_us",
    "utc_us_or_zero",
]

US_PER_S = 1_000_000
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def utc_us(moment: datetime) -> int:
    """An aware time's microseconds since 1970-01-01 UTC."""
    return (moment - _UTC_EPOCH) // _MICROSECOND


def naive_us(wall: datetime) -> int:
    """A naive (wall-clock) time's microseconds since the naive 1970-01-01."""
    return (wall - _NAIVE_EPOCH) // _MICROSECOND


def from_utc_us(us: int) -> datetime:
    """The aware time (in `timezone.utc`) `us` microseconds after 1970-01-01 UTC."""
    return _UTC_EPOCH + timedelta(microseconds=us)


def from_utc_s(seconds: int) -> datetime:
    """The aware time (in `timezone.utc`) `seconds` after 1970-01-01 UTC."""
    return _UTC_EPOCH + timedelta(seconds=seconds)


def from_naive_us(us: int) -> datetime:
    """The naive time `us` microseconds after the naive 1970-01-01."""
    return _NAIVE_EPOCH + timedelta(microseconds=us)


def utc_us_or_zero(moments: Iterable[datetime | None]) -> list[int]:
    """`utc_us` of each aware time, 0 for each None (a column beside its `has_` flags)."""
    epoch, unit = _UTC_EPOCH, _MICROSECOND
    return [0 if t is None else (t - epoch) // unit for t in moments]
