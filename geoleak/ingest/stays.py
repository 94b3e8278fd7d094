"""Stay points of a GPS trajectory: where its person stopped, from when to when.

A trajectory logged all day (GeoLife's `.plt` files, a logger's GPX) is mostly stops: a
night at home between 03:40 and 09:50, an afternoon at the lab. Its first and last fix say
where a recording began and ended, at the hours people set off and arrive, which are the
ends of their stays, not the stays: a student who leaves the lab at 2 a.m. and leaves the
dorm at 10 a.m. is "seen" at the lab at night and at the dorm in working hours, the wrong
way round. The stops inside the file are what the person's week is made of.

`stay_points` is the stay point detection of the GeoLife project (Li, Zheng, Xie, Chen, Liu
and Ma, "Mining user similarity based on location history", ACM SIGSPATIAL GIS 2008;
Zheng, Zhang, Xie and Ma, "Mining interesting locations and travel sequences from GPS
trajectories", WWW 2009): from each fix, the run of fixes that stay within 200 m of it is a
stay if it spans 30 minutes or more; its place is their mean, its arrival the first fix's
time and its departure the last's. The same thresholds as the data's own papers, so the
stays are the ones a GeoLife researcher would find. A gap in the recording inside the run
(the phone indoors, asleep) does not break a stay: the person was in the same spot before
and after it.

`presence_times` turns a stay into observations for the role model
(`geoleak.infer.roles`), which reads *when* a person is seen at each place: its arrival,
every hour after it and its departure. The model counts distinct days per part of the
week and reads each observation's hour, so a stay from 03:43 to 09:54 says "here at night
and in the early morning" once per part, as a time-use diary would.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from geoleak.extract.localtime import implausible_time
from geoleak.types import LatLon

__all__ = [
    "STAY_MAX_DURATION",
    "STAY_MIN_DURATION",
    "STAY_RADIUS_M",
    "Stay",
    "presence_times",
    "stay_observations",
    "stay_points",
]

STAY_RADIUS_M = 200.0  # Li et al. 2008, Zheng et al. 2009
STAY_MIN_DURATION = timedelta(minutes=30)
# Longer than a week in one spot is not a person's stop but a logger left on a shelf or a
# clock that jumped (a FIT file's fixes from 2021 to 2085 in the shared test data): such a
# run gives no stay, as hourly observations of it would be hundreds of thousands.
STAY_MAX_DURATION = timedelta(days=7)
PRESENCE_STEP = timedelta(hours=1)
_M_PER_DEG_LAT = 111_132.0  # metres per degree of latitude (mean)


@dataclass(frozen=True, slots=True)
class Stay:
    """One stop: fixes `first` to `last` (indices into the trajectory, inclusive)."""

    first: int
    last: int
    position: LatLon
    arrived: datetime
    left: datetime


def _within(lat0: float, lon0: float, cos0: float, lat: float, lon: float, r2: float) -> bool:
    """Whether (lat, lon) is within sqrt(r2) metres of (lat0, lon0) (equirectangular: exact
    to well under a metre at 200 m, the longitude scaled by the anchor's cos(latitude) and
    wrapped across the antimeridian)."""
    dlon = lon - lon0
    if dlon > 180.0:
        dlon -= 360.0
    elif dlon < -180.0:
        dlon += 360.0
    dy = (lat - lat0) * _M_PER_DEG_LAT
    dx = dlon * _M_PER_DEG_LAT * cos0
    return dx * dx + dy * dy <= r2


def _mean_position(lats: Sequence[float], lons: Sequence[float]) -> LatLon:
    """The mean of positions a few hundred metres apart; longitudes are averaged as offsets
    from the first, so a stay on the antimeridian stays there."""
    lon0 = lons[0]
    offsets = [((lon - lon0 + 180.0) % 360.0) - 180.0 for lon in lons]
    lon = lon0 + sum(offsets) / len(offsets)
    lon = ((lon + 180.0) % 360.0) - 180.0
    return LatLon(sum(lats) / len(lats), lon)


def stay_points(
    lats: Sequence[float],
    lons: Sequence[float],
    times: Sequence[datetime],
    *,
    radius_m: float = STAY_RADIUS_M,
    min_duration: timedelta = STAY_MIN_DURATION,
    max_duration: timedelta = STAY_MAX_DURATION,
) -> list[Stay]:
    """The stays of one trajectory whose fixes are given in time order (Li et al. 2008);
    a run of fixes in one spot for longer than `max_duration` is none (and is skipped)."""
    n = len(lats)
    if not n == len(lons) == len(times):
        raise ValueError("lats, lons and times must have the same length")
    r2 = radius_m * radius_m
    stays: list[Stay] = []
    i = 0
    while i < n:
        lat0, lon0 = lats[i], lons[i]
        cos0 = math.cos(math.radians(lat0))
        j = i + 1
        while j < n and _within(lat0, lon0, cos0, lats[j], lons[j], r2):
            j += 1
        span = times[j - 1] - times[i]
        if span < min_duration:
            i += 1
            continue
        if span <= max_duration:
            position = _mean_position(lats[i:j], lons[i:j])
            stays.append(Stay(i, j - 1, position, times[i], times[j - 1]))
        i = j  # (a run too long to be a stop is passed over whole, not scanned again)
    return stays


def presence_times(stay: Stay, step: timedelta = PRESENCE_STEP) -> list[datetime]:
    """When `stay` has its person seen: its arrival, every `step` after it, its departure."""
    out = [stay.arrived]
    when = stay.arrived + step
    while when < stay.left:
        out.append(when)
        when += step
    if stay.left > stay.arrived:
        out.append(stay.left)
    return out


def stay_observations(
    lats: Sequence[float], lons: Sequence[float], times: Sequence[datetime]
) -> tuple[int, list[tuple[int, LatLon, datetime]]]:
    """The number of stays of a trajectory (fixes in time order) and their observations:
    (index of the fix that shows the person there, the stay's place, the time), in time
    order. A stay's arrival at the trajectory's first fix and its departure at the last are
    left out: a reader gives those fixes as the track's start and end. A stay that begins
    or ends at an impossible time (before 1990, in the future, a format's "no time") is
    left out."""
    stays = [
        stay
        for stay in stay_points(lats, lons, times)
        if implausible_time(stay.arrived) is None and implausible_time(stay.left) is None
    ]
    last = len(times) - 1
    out: list[tuple[int, LatLon, datetime]] = []
    for stay in stays:
        seen = presence_times(stay)
        for m, when in enumerate(seen):
            if m == 0:
                if stay.first == 0:
                    continue
                at = stay.first
            elif m == len(seen) - 1:
                if stay.last == last:
                    continue
                at = stay.last
            else:
                at = max(0, bisect_right(times, when) - 1)
            out.append((at, stay.position, when))
    return len(stays), out
