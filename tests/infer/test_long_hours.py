"""People whose working day runs into the evening (long hours, lab hours) are not night-shift
workers: their home, where they arrive late and leave in the morning and spend weekends, must
not become their "night workplace" with the lab as "home" (issue 11, item 1: two GeoLife
students got the lab where their late trips start as home and their dorm as base).

The fixtures are GeoLife-style trajectories (`.plt`, start and end of each trip read as
evidence) of fictional people, generated here: no real person's track.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from geoleak.geometry import destination, haversine_m
from geoleak.pipeline import run
from geoleak.types import LatLon, PlaceKind

DORM = LatLon(40.0139, 116.3065)  # local time UTC+8 (Asia/Shanghai, no DST)
LAB = destination(DORM, 160.0, 4500.0)
CANTEEN = destination(LAB, 70.0, 600.0)
SHOP = destination(DORM, 250.0, 3000.0)
UTC_OFFSET = timedelta(hours=8)
EPOCH = datetime(1899, 12, 30)


def _trip(folder: Path, start_local: datetime, a: LatLon, b: LatLon, minutes: int) -> None:
    """One trajectory from a to b leaving at start_local (local wall clock), a fix a minute."""
    start = start_local - UTC_OFFSET
    name = folder / f"{start:%Y%m%d%H%M%S}.plt"
    lines = ["Geolife trajectory", "WGS 84", "Altitude is in Feet", "Reserved 3",
             "0,2,255,My Track,0,0,2,8421376", "0"]  # fmt: skip
    for k in range(minutes + 1):
        f = k / minutes
        when = start + timedelta(minutes=k)
        lat, lon = a.lat + f * (b.lat - a.lat), a.lon + f * (b.lon - a.lon)
        days = (when - EPOCH).total_seconds() / 86400
        lines.append(f"{lat:.6f},{lon:.6f},0,164,{days:.10f},{when:%Y-%m-%d},{when:%H:%M:%S}")
    name.write_text("\n".join(lines) + "\n")


def _at(day: datetime, hour: int, minute: int) -> datetime:
    return day + timedelta(hours=hour, minutes=minute)


def _researcher(root: Path, seed: int, weeks: int = 10) -> None:
    """Weekdays: dorm -> lab at 07:00-08:00, lunch at the canteen on some days, lab -> dorm
    at 19:00-22:30. Weekends: the dorm, shopping trips, now and then a day at the lab."""
    rng = random.Random(seed)
    folder = root / "Data" / "017" / "Trajectory"
    folder.mkdir(parents=True)
    monday = datetime(2008, 10, 6)
    for d in range(weeks * 7):
        day = monday + timedelta(days=d)
        if rng.random() < 0.2:  # the logger was not switched on that day
            continue
        if day.weekday() < 5:
            _trip(folder, _at(day, 7, rng.randrange(0, 55)), DORM, LAB, 30)
            if rng.random() < 0.5:
                _trip(folder, _at(day, 12, rng.randrange(0, 20)), LAB, CANTEEN, 8)
                _trip(folder, _at(day, 12, rng.randrange(45, 59)), CANTEEN, LAB, 8)
            hour = rng.choice((19, 20, 21, 22))
            _trip(folder, _at(day, hour, rng.randrange(0, 30)), LAB, DORM, 30)
        elif rng.random() < 0.2:
            _trip(folder, _at(day, 10, rng.randrange(0, 50)), DORM, LAB, 30)
            _trip(folder, _at(day, 18, rng.randrange(0, 50)), LAB, DORM, 30)
        elif rng.random() < 0.7:
            _trip(folder, _at(day, rng.randrange(10, 15), rng.randrange(60)), DORM, SHOP, 15)
            _trip(folder, _at(day, 17, rng.randrange(60)), SHOP, DORM, 15)


def test_long_lab_days_are_not_a_night_shift(tmp_path: Path) -> None:
    # Over ten people: the code before the long-hours type made the lab the home of four of
    # them (at 0.52-0.54) and the dorm one person's base (at 0.71), and found one home.
    # Weekday evidence alone cannot tell lab hours from a night shift (both places are seen
    # every morning and every evening): where the weekends do not decide, the answer is an
    # abstention, never the swap.
    homes_right = 0
    for seed in range(1, 11):
        _researcher(tmp_path / str(seed), seed)
        result = run([tmp_path / str(seed) / "Data"], geocoder=None, workers=1)
        (profile,) = result.profiles
        for place in profile.places:
            if place.kind is PlaceKind.HOME:
                assert haversine_m(place.position, DORM) < 300, (seed, place)
                homes_right += 1
            if place.kind is PlaceKind.BASE:
                assert haversine_m(place.position, LAB) < 300, (seed, place)
    assert homes_right >= 2
