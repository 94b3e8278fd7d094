"""Local wall-clock time of an observation, offline.

The time zone at a position comes from timezonefinder's bundled polygons (no network).
Lookups are cached on a ~1 km grid: evidence of one person concentrates on a few places,
so a million points cost a few thousand polygon tests.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from itertools import repeat
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geoleak.types import LatLon

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "SENTINEL_TIMES",
    "implausible_time",
    "localize_naive",
    "plausible_window",
    "timezone_at",
    "to_local",
    "zone",
]

_finder_lock = threading.Lock()
_finder: object | None = None


def _get_finder() -> object:
    global _finder  # noqa: PLW0603  (one lazily built polygon index per process)
    with _finder_lock:
        if _finder is None:
            from timezonefinder import TimezoneFinder

            _finder = TimezoneFinder(in_memory=True)
        return _finder


# The zone of each ~1 km cell looked up so far, keyed by `cell_key`: the one cache of both
# lookups, a position's (`timezone_at`, `_timezone_at_cell`) and a batch's
# (`timezones_of_cells`), which give the same answer for a cell (tests compare). Bounded:
# cleared when full (a person's evidence concentrates on a few cells, so it refills fast).
_CELL_ZONES: dict[int, str | None] = {}
_CELL_ZONES_MAX = 200_000
_UNSEEN_ZONE = ""  # (no zone has an empty name)


def cell_key(lat_cell: int, lon_cell: int) -> int:
    """One number for a ~1 km cell (hundredths of a degree: lat_cell in [-9000, 9000],
    lon_cell in [-18000, 18000]), as `_CELL_ZONES` and `timezones_of_cells` key it."""
    return (lat_cell + 9000) * 40_000 + lon_cell + 18_000


def _zone_of_cell(lat_cell: int, lon_cell: int) -> str | None:
    """The zone of one cell (hundredths of a degree), asked of timezonefinder (uncached):
    `timezone_at` of its centre, `certain_timezone_at` where that gives None."""
    finder = _get_finder()
    lat, lon = lat_cell / 100.0, lon_cell / 100.0
    # timezonefinder takes keyword lng/lat: pass by name so the order cannot be swapped.
    name: str | None = finder.timezone_at(lng=lon, lat=lat)  # type: ignore[attr-defined]
    if name is None:
        name = finder.certain_timezone_at(lng=lon, lat=lat)  # type: ignore[attr-defined]
    return name


def _timezone_at_cell(lat_cell: int, lon_cell: int) -> str | None:
    """`_zone_of_cell`, remembered in `_CELL_ZONES`."""
    key = (lat_cell + 9000) * 40_000 + lon_cell + 18_000  # (`cell_key`)
    name = _CELL_ZONES.get(key, _UNSEEN_ZONE)
    if name == _UNSEEN_ZONE:
        name = _zone_of_cell(lat_cell, lon_cell)
        if len(_CELL_ZONES) >= _CELL_ZONES_MAX:
            _CELL_ZONES.clear()
        _CELL_ZONES[key] = name
    return name


def _zones_of_cells(lat_cells: NDArray[np.int64], lon_cells: NDArray[np.int64]) -> list[str | None]:
    """`_zone_of_cell` of each (lat_cells[k], lon_cells[k]), in one call: timezonefinder's
    batch lookup (`timezone_names_at`, each answer what its `timezone_at` gives for the
    point; the points as the same quotients by 100) where it has one, a cell it answers
    None for by `certain_timezone_at` as one by one. Uncached."""
    finder = _get_finder()
    many = getattr(finder, "timezone_names_at", None)
    if many is None:  # (an older timezonefinder: one by one)
        return list(map(_zone_of_cell, lat_cells.tolist(), lon_cells.tolist()))
    lats, lons = lat_cells / 100.0, lon_cells / 100.0
    names: list[str | None] = many(lngs=lons, lats=lats)
    if None in names:
        for k in [k for k, name in enumerate(names) if name is None]:
            names[k] = finder.certain_timezone_at(lng=float(lons[k]), lat=float(lats[k]))  # type: ignore[attr-defined]
    return names


def timezones_of_cells(cells: NDArray[np.int64]) -> list[str | None]:
    """The time zone of each ~1 km cell `cell_key(lat_cell, lon_cell)`: what
    `_timezone_at_cell` gives for it, from the same cache (`_CELL_ZONES`), the cells not
    in it looked up together (`_zones_of_cells`) and remembered (when that would pass
    `_CELL_ZONES_MAX`, the cache is cleared first and keeps this batch's cells)."""
    keys = cells.tolist()
    names = list(map(_CELL_ZONES.get, keys, repeat(_UNSEEN_ZONE)))
    if _UNSEEN_ZONE in names:
        new = [k for k, name in enumerate(names) if name == _UNSEEN_ZONE]
        unseen = cells[new]
        found = _zones_of_cells(unseen // 40_000 - 9000, unseen % 40_000 - 18_000)
        for k, name in zip(new, found, strict=True):
            names[k] = name
        if len(_CELL_ZONES) + len(new) > _CELL_ZONES_MAX:
            _CELL_ZONES.clear()  # (keeping all the batch's cells, those it found here too)
            _CELL_ZONES.update(zip(keys, names, strict=True))
        else:
            _CELL_ZONES.update(zip([keys[k] for k in new], found, strict=True))
    return names


def timezone_at(position: LatLon) -> str | None:
    """IANA time zone name at a position (None only where no zone is defined)."""
    lat_cell, lon_cell = round(position.lat * 100), round(position.lon * 100)
    name = _CELL_ZONES.get((lat_cell + 9000) * 40_000 + lon_cell + 18_000, _UNSEEN_ZONE)
    return _timezone_at_cell(lat_cell, lon_cell) if name == _UNSEEN_ZONE else name


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    """A ZoneInfo by name, or None when the name is unknown to this system."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def offset_text(tz: tzinfo, local: datetime) -> str | None:
    """The UTC offset of `tz` at the naive local wall-clock time `local`, written as EXIF
    OffsetTime* values are ("+05:30", "-03:00"); None when the zone gives none."""
    delta = tz.utcoffset(local)
    if delta is None:
        return None
    minutes = int(delta.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


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


# Times no clock meant: zero or the extreme of the counter each format stores, at second
# resolution. Any of them would put a 1901 or 2085 date on a real position.
SENTINEL_TIMES: dict[datetime, str] = {
    datetime(
        1901, 12, 13, 20, 45, 52
    ): "the smallest 32-bit Unix time (GPSBabel writes it for 'no time')",
    datetime(1904, 1, 1): "QuickTime's epoch, a zero time field",
    datetime(1970, 1, 1): "the Unix epoch, a zero time field",
    datetime(1980, 1, 6): "the GPS epoch, a zero week and second",
    datetime(1989, 12, 31): "the FIT epoch, a zero timestamp",
    datetime(2038, 1, 19, 3, 14, 7): "the largest 32-bit Unix time",
    datetime(2106, 2, 7, 6, 28, 15): "0xFFFFFFFF seconds after the Unix epoch (an invalid field)",
    datetime(2126, 2, 6, 6, 28, 15): "FIT's invalid value 0xFFFFFFFF",
}
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1)
FUTURE_SLACK = timedelta(days=1)
_EARLIEST_AWARE = EARLIEST_PLAUSIBLE.replace(tzinfo=timezone.utc)
_FIRST_LATE_SENTINEL = min(t for t in SENTINEL_TIMES if t >= EARLIEST_PLAUSIBLE).replace(
    tzinfo=timezone.utc
)


def plausible_window() -> tuple[datetime, datetime]:
    """[earliest, first late sentinel): aware UTC times in this range that are not in the
    future pass `implausible_time` without a conversion (no sentinel lies in it)."""
    return _EARLIEST_AWARE, _FIRST_LATE_SENTINEL


def implausible_time(moment: datetime | None, *, now: datetime | None = None) -> str | None:
    """Why `moment` cannot be when something happened, or None when it can.

    Rejected: the sentinels of SENTINEL_TIMES, anything before 1990 (no consumer GPS
    photo or track is older) and anything after `now` (default: the clock) plus a day.
    Naive times (local wall clock) are compared as if UTC; a day of slack covers offsets.
    """
    if moment is None:
        return None
    if (
        now is None
        and moment.tzinfo is not None
        and _EARLIEST_AWARE <= moment < _FIRST_LATE_SENTINEL
        and moment <= datetime.now(timezone.utc) + FUTURE_SLACK
    ):
        return None  # the common case, without converting: no sentinel lies in this range
    wall = moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
    sentinel = SENTINEL_TIMES.get(wall.replace(microsecond=0))
    if sentinel is not None:
        return f"{wall:%Y-%m-%d %H:%M:%S} is {sentinel}"
    if wall < EARLIEST_PLAUSIBLE:
        return f"{wall:%Y-%m-%d} is before 1990"
    limit = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    if wall > limit + FUTURE_SLACK:
        return f"{wall:%Y-%m-%d} is in the future"
    return None
