"""Local wall-clock time of an observation, offline.

The time zone at a position comes from timezonefinder's bundled polygons (no network).
Lookups are cached on a ~1 km grid: evidence of one person concentrates on a few places,
so a million points cost a few thousand polygon tests.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geoleak.types import LatLon

__all__ = ["localize_naive", "timezone_at", "to_local", "zone"]

_finder_lock = threading.Lock()
_finder: object | None = None


def _get_finder() -> object:
    global _finder  # noqa: PLW0603  (one lazily built polygon index per process)
    with _finder_lock:
        if _finder is None:
            from timezonefinder import TimezoneFinder

            _finder = TimezoneFinder(in_memory=True)
        return _finder


@lru_cache(maxsize=200_000)
def _timezone_at_cell(lat_cell: int, lon_cell: int) -> str | None:
    finder = _get_finder()
    lat, lon = lat_cell / 100.0, lon_cell / 100.0
    # timezonefinder takes keyword lng/lat: pass by name so the order cannot be swapped.
    name: str | None = finder.timezone_at(lng=lon, lat=lat)  # type: ignore[attr-defined]
    if name is None:
        name = finder.certain_timezone_at(lng=lon, lat=lat)  # type: ignore[attr-defined]
    return name


def timezone_at(position: LatLon) -> str | None:
    """IANA time zone name at a position (None only where no zone is defined)."""
    return _timezone_at_cell(round(position.lat * 100), round(position.lon * 100))


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    """A ZoneInfo by name, or None when the name is unknown to this system."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def to_local(moment: datetime, tz_name: str | None) -> datetime | None:
    """Naive local wall-clock time of an aware moment in the zone `tz_name`."""
    if tz_name is None or moment.tzinfo is None:
        return None
    tz = zone(tz_name)
    if tz is None:
        return None
    return moment.astimezone(tz).replace(tzinfo=None)


def localize_naive(local: datetime, tz_name: str | None) -> datetime | None:
    """The UTC moment of a naive local time in zone `tz_name` (first of an ambiguous pair)."""
    if tz_name is None:
        return None
    tz = zone(tz_name)
    if tz is None:
        return None
    return local.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)


def utc_offset_hours(moment: datetime) -> float | None:
    """The UTC offset of an aware datetime, in hours."""
    offset = moment.utcoffset()
    return None if offset is None else offset / timedelta(hours=1)
