"""Peer methods shared by bench_infer.py and bench_scale.py: scikit-mobility's home location
and trackintel's location identifiers, each given the same points as geoleak.

This module imports neither geoleak nor a peer at import time, so a peer's own process
(bench_scale.py runs each peer as a command of its own, timed end to end) pays only for
what the peer needs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

# Posts are not a GPS track (hours to days apart), so trackintel's `generate_staypoints` would
# find no stays: each point is a staypoint of a nominal hour, which turns trackintel's summed
# durations into the count of distinct posting hours of the original methods (Chen &
# Poorthuis 2021, Efstathiades et al. 2015).
NOMINAL_STAY = timedelta(hours=1)
TRACKINTEL_METHODS = ("FREQ", "OSNA", "OSNA, no pre-filter")
# Inside the (git-ignored) project venv folder, so it needs no ignore rule of its own.
SKMOB_VENV = Path(__file__).resolve().parent.parent / ".venv" / "skmob"

# scikit-mobility's home location, raw and on clustered points: used by bench_infer.py and
# bench_scale.py (run in skmob's own interpreter; `homes(df, clustered)` takes columns uid, lat, lng,
# datetime and returns {uid: [lat, lng]}).
SKMOB_HOMES = r"""
import numpy as np
import pandas as pd
import skmob
from skmob.measures.individual import home_location
from skmob.preprocessing import clustering


def homes(df, clustered):
    tdf = skmob.TrajDataFrame(df, latitude="lat", longitude="lng", datetime="datetime", user_id="uid")
    if clustered:
        tdf = clustering.cluster(tdf, cluster_radius_km=0.1, min_samples=1)
        # Snap each point to its cluster's centre (a mean of unit vectors: safe across the
        # antimeridian), so that "most visited location" counts visits to a place.
        lat_r, lng_r = np.radians(tdf["lat"].to_numpy()), np.radians(tdf["lng"].to_numpy())
        vec = pd.DataFrame({"uid": tdf["uid"].to_numpy(), "cluster": tdf["cluster"].to_numpy(),
                            "x": np.cos(lat_r) * np.cos(lng_r), "y": np.cos(lat_r) * np.sin(lng_r),
                            "z": np.sin(lat_r)})
        mean = vec.groupby(["uid", "cluster"])[["x", "y", "z"]].transform("mean")
        tdf["lat"] = np.degrees(np.arctan2(mean["z"], np.hypot(mean["x"], mean["y"]))).to_numpy()
        tdf["lng"] = np.degrees(np.arctan2(mean["y"], mean["x"])).to_numpy()
    found = home_location(tdf, show_progress=False)
    return {str(r.uid): [float(r.lat), float(r.lng)] for r in found.itertuples(index=False)}
"""


def trackintel_places(
    users: Sequence[str],
    lats: Sequence[float],
    lons: Sequence[float],
    walls: Sequence[datetime],
    methods: Sequence[str] = TRACKINTEL_METHODS,
) -> tuple[dict[str, dict[str, dict[str, tuple[float, float]]]], dict[str, float]]:
    """trackintel's `location_identifier` after `Staypoints.generate_locations` (DBSCAN,
    epsilon 100 m, haversine, per user) on points with their local wall-clock times:
    ({method: {user: {"home"|"work": (lat, lon)}}}, {method: seconds}), each method's
    seconds including the shared preparation."""
    import geopandas as gpd
    import pandas as pd
    import trackintel as ti
    from trackintel.analysis import location_identifier

    start = time.perf_counter()
    wall = pd.to_datetime(list(walls))
    # trackintel needs aware times: the local wall clock is labelled UTC so that its
    # hour-of-day rules (OSNA) see the local hours geoleak uses.
    started = pd.Series(wall, dtype="datetime64[ns]").dt.tz_localize("UTC")
    frame = pd.DataFrame(
        {"user_id": list(users), "started_at": started, "finished_at": started + NOMINAL_STAY}
    )
    # shapely / GeoJSON order: x = lon, y = lat (the only (lon, lat) call of this adapter).
    geometry = gpd.points_from_xy(x=list(lons), y=list(lats), crs="EPSG:4326")
    staypoints = ti.Staypoints(gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326"))
    staypoints, locations = staypoints.generate_locations(
        method="dbscan", epsilon=100, num_samples=1, distance_metric="haversine", agg_level="user"
    )
    prepared = time.perf_counter() - start
    centre = {
        int(i): (float(p.y), float(p.x)) for i, p in locations["center"].items()
    }  # y=lat, x=lon
    found: dict[str, dict[str, dict[str, tuple[float, float]]]] = {}
    seconds: dict[str, float] = {}
    for method in methods:
        start = time.perf_counter()
        labelled = location_identifier(
            staypoints, method=method.split(",")[0], pre_filter="no pre-filter" not in method
        )
        seconds[method] = prepared + time.perf_counter() - start
        places: dict[str, dict[str, tuple[float, float]]] = {}
        picked = labelled.loc[
            labelled["purpose"].isin(["home", "work"]), ["user_id", "location_id", "purpose"]
        ]
        for user, loc_id, purpose in picked.drop_duplicates().itertuples(index=False):
            places.setdefault(str(user), {})[str(purpose)] = centre[int(loc_id)]
        found[method] = places
    return found, seconds


def skmob_python(arg: str | None) -> tuple[str | None, str]:
    """The interpreter that has scikit-mobility, or None and why not."""
    candidates = (
        [arg]
        if arg
        else [os.environ.get("GEOLEAK_BENCH_SKMOB_PYTHON"), str(SKMOB_VENV / "bin" / "python")]
    )
    tried = []
    for cand in filter(None, candidates):
        if not Path(cand).exists():
            tried.append(f"{cand} does not exist")
            continue
        probe = subprocess.run(
            [cand, "-c", "import skmob; print(skmob.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0:
            return cand, probe.stdout.strip()
        tail = (probe.stderr.strip().splitlines() or ["?"])[-1]
        tried.append(f"{cand}: {tail}")
    try:  # in this interpreter, in case someone has an environment where it coexists
        import skmob

        return sys.executable, str(skmob.__version__)
    except Exception as exc:
        tried.append(f"this interpreter: {type(exc).__name__}: {exc}")
    return None, "; ".join(tried) + " (run with --setup-skmob to create .venv/skmob)"
