"""Distances and centres on the sphere, in metres and (lat, lon) degrees.

Shared by inference, evaluation, the scenario generator and reports. Means are taken on
unit vectors, so a cluster that straddles the antimeridian gets its centre at +-180 deg,
not at 0. numpy is imported by the array functions only, so that `geoleak --help` (whose
imports reach the scalar ones) does not pay for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from geoleak.types import LatLon

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "EARTH_RADIUS_M",
    "TRACK_MIN_INTERVAL_S",
    "TRACK_MIN_MOVE_M",
    "TrackThinner",
    "centre_of_sums",
    "destination",
    "haversine_m",
    "haversine_m_array",
    "mean_position",
    "to_radians_latlon",
]

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
# A fix of a dense track (location history, a video's GPS) is kept when the person moved
# this far or this much time passed since the last kept one.
TRACK_MIN_MOVE_M = 100.0
TRACK_MIN_INTERVAL_S = 600.0


def haversine_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance between two positions, in metres."""
    radians = math.radians  # (four calls, not a map over a tuple: the same floats)
    lat1, lon1, lat2, lon2 = radians(a.lat), radians(a.lon), radians(b.lat), radians(b.lon)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class TrackThinner:
    """Keeps the fixes of a dense track that say something: a fix is kept when it lies
    `min_move_m` or more from the last kept fix, or `min_interval_s` or more passed since
    it (either way in time). Every stay and every trip survives; the thousands of equal fixes
    of a night at home, or of one video, do not. A fix without a time is kept on distance only.
    `fixes` and `kept` count what was offered and kept, for the summary."""

    __slots__ = ("_last", "_last_time", "fixes", "kept", "min_interval_s", "min_move_m")

    def __init__(
        self, *, min_move_m: float = TRACK_MIN_MOVE_M, min_interval_s: float = TRACK_MIN_INTERVAL_S
    ) -> None:
        self.min_move_m = min_move_m
        self.min_interval_s = min_interval_s
        self._last: LatLon | None = None
        self._last_time: datetime | None = None
        self.fixes = 0
        self.kept = 0

    def keep(self, position: LatLon, when: datetime | None) -> bool:
        """Whether to keep this fix (and remember it as the last kept one if so)."""
        self.fixes += 1
        if self._last is not None:
            moved = haversine_m(self._last, position)
            elapsed = (
                abs((when - self._last_time).total_seconds())
                if when is not None and self._last_time is not None
                else 0.0
            )
            if moved < self.min_move_m and elapsed < self.min_interval_s:
                return False
        self._last, self._last_time = position, when
        self.kept += 1
        return True

    def rule(self) -> str:
        """The rule in words, for messages ("moved 100 m or 10 min passed")."""
        return f"moved {self.min_move_m:,.0f} m or {self.min_interval_s / 60:,.0f} min passed"


def to_radians_latlon(lats: NDArray[np.float64], lons: NDArray[np.float64]) -> NDArray[np.float64]:
    """An (n, 2) array of [lat, lon] in radians: the layout sklearn's haversine metric wants."""
    import numpy as np

    return np.radians(np.column_stack([lats, lons]))


def haversine_m_array(
    lats: NDArray[np.float64], lons: NDArray[np.float64], lat0: float, lon0: float
) -> NDArray[np.float64]:
    """Distances in metres from (lat0, lon0) to each (lats[i], lons[i])."""
    import numpy as np

    phi1, phi2 = np.radians(lats), math.radians(lat0)
    dphi = phi2 - phi1
    dlmb = math.radians(lon0) - np.radians(lons)
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * math.cos(phi2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))))


def mean_position(
    lats: Sequence[float] | NDArray[np.float64],
    lons: Sequence[float] | NDArray[np.float64],
    weights: Sequence[float] | NDArray[np.float64] | None = None,
) -> LatLon:
    """Weighted centre of positions, computed on unit vectors (safe across the antimeridian)."""
    import numpy as np

    phi = np.radians(np.asarray(lats, dtype=float))
    lmb = np.radians(np.asarray(lons, dtype=float))
    w = np.ones_like(phi) if weights is None else np.asarray(weights, dtype=float)
    x = float(np.sum(w * np.cos(phi) * np.cos(lmb)))
    y = float(np.sum(w * np.cos(phi) * np.sin(lmb)))
    z = float(np.sum(w * np.sin(phi)))
    return centre_of_sums(x, y, z)


def centre_of_sums(x: float, y: float, z: float) -> LatLon:
    """The position of the summed (weighted) unit vectors (x, y, z): `mean_position`'s last
    step, for callers that sum many groups' vectors at once."""
    return centres_of_sums((x,), (y,), (z,))[0]


def centres_of_sums(xs: Sequence[float], ys: Sequence[float], zs: Sequence[float]) -> list[LatLon]:
    """`centre_of_sums` of each (x, y, z), for many groups at once: each position checked
    once by a range test (NaN fails it and goes to `LatLon`, which raises)."""
    out = []
    sqrt, asin, atan2, degrees, checked = (
        math.sqrt,
        math.asin,
        math.atan2,
        math.degrees,
        LatLon.checked,
    )
    for x, y, z in zip(xs, ys, zs, strict=True):
        norm = sqrt(x * x + y * y + z * z)
        if norm == 0:
            raise ValueError("positions cancel out; no mean")
        lat = degrees(asin(max(-1.0, min(1.0, z / norm))))
        lon = degrees(atan2(y, x))
        out.append(checked(lat, lon) if -180.0 <= lon <= 180.0 else LatLon(lat, lon))
    return out


def destination(origin: LatLon, bearing_deg: float, distance_m: float) -> LatLon:
    """The position `distance_m` from `origin` along the initial bearing (degrees from north)."""
    delta = distance_m / EARTH_RADIUS_M
    theta = math.radians(bearing_deg)
    phi1, lmb1 = math.radians(origin.lat), math.radians(origin.lon)
    sin_phi2 = math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    phi2 = math.asin(max(-1.0, min(1.0, sin_phi2)))
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    lon = (math.degrees(lmb2) + 540.0) % 360.0 - 180.0
    return LatLon(math.degrees(phi2), lon)
