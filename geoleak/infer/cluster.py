"""Density clustering of positions in metres (DBSCAN on haversine distance)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import DBSCAN

from geoleak.geometry import EARTH_RADIUS_M, to_radians_latlon

__all__ = ["HaversineDBSCAN", "cluster_labels"]


class HaversineDBSCAN:
    """DBSCAN with its radius in metres; scikit-learn style (`fit` returns self, `labels_`).

    Parameters
    ----------
    eps_m : float, default 100
        Neighbourhood radius in metres.
    min_samples : int, default 2
        Points (counting the point itself) a neighbourhood needs to be dense; with 2, an
        isolated point (a reshared stranger's photo, a one-off trip) is noise (label -1).
    """

    def __init__(self, *, eps_m: float = 100.0, min_samples: int = 2) -> None:
        self.eps_m = eps_m
        self.min_samples = min_samples

    def fit(
        self,
        lats: Sequence[float] | NDArray[np.float64],
        lons: Sequence[float] | NDArray[np.float64],
        sample_weight: Sequence[float] | NDArray[np.float64] | None = None,
    ) -> HaversineDBSCAN:
        if not self.eps_m > 0:
            raise ValueError(f"eps_m must be positive, got {self.eps_m!r}")
        if self.min_samples < 1:
            raise ValueError(f"min_samples must be at least 1, got {self.min_samples!r}")
        lat_arr = np.asarray(lats, dtype=float)
        lon_arr = np.asarray(lons, dtype=float)
        if lat_arr.size == 0:
            self.labels_: NDArray[np.int64] = np.empty(0, dtype=np.int64)
            return self
        # sklearn's haversine metric takes [lat, lon] in radians and returns radians.
        model = DBSCAN(
            eps=self.eps_m / EARTH_RADIUS_M,
            min_samples=self.min_samples,
            metric="haversine",
            algorithm="ball_tree",
        )
        model.fit(to_radians_latlon(lat_arr, lon_arr), sample_weight=sample_weight)
        self.labels_ = np.asarray(model.labels_, dtype=np.int64)
        return self


def cluster_labels(
    lats: Sequence[float] | NDArray[np.float64],
    lons: Sequence[float] | NDArray[np.float64],
    *,
    eps_m: float,
    min_samples: int,
) -> NDArray[np.int64]:
    """Cluster labels (-1 for noise) for the positions."""
    return HaversineDBSCAN(eps_m=eps_m, min_samples=min_samples).fit(lats, lons).labels_
