"""Density clustering of positions in metres (DBSCAN on haversine distance).

Most calls cluster one person's few hundred points, where scikit-learn's per-call
overhead (input validation, a ball tree, joblib) costs far more than the clustering. Up to
`DENSE_MAX_POINTS` points the labels come from a dense distance matrix instead, computed
with the reduced haversine distance and radius test of scikit-learn's ball tree and
numbered as its DBSCAN numbers them, so the labels are the same (up to floating-point
rounding for a pair exactly `eps_m` apart). Larger inputs (the cross-person site pass over
every person's workplace candidates) take the same test on the pairs of unit vectors in
the same or adjacent cubes of the radius's chord, so they too get the dense path's labels
without an n x n matrix and without importing scikit-learn (about 2 CPU s) or scipy (about
0.4); weighted large inputs
still go to scikit-learn. `cluster_labels_of_people` labels many people's points at once (the
dense path's test on each person's pairs that are close in latitude, laid end to end, decided
by the chord as `cluster_count` decides them), with each person's labels as
`cluster_labels_multi` gives them. `cluster_count` counts the clusters
of two samples (the site pass's 60 m spots) by breadth-first search, each frontier against
the points not yet reached, each pair decided by its chord between unit vectors unless it
lies within a hair of the radius, where the dense path's test decides.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

from geoleak.geometry import EARTH_RADIUS_M, to_radians_latlon
from geoleak.infer.distinct import sorted_distinct

__all__ = [
    "DENSE_MAX_POINTS",
    "HaversineDBSCAN",
    "cluster_count",
    "cluster_labels",
    "cluster_labels_multi",
    "cluster_labels_of_people",
]

# A dense n x n matrix of 1500 points is 18 MB of float64; above that, neighbour pairs.
DENSE_MAX_POINTS = 1500
# Send large inputs to scikit-learn instead of the neighbour-pair path (benchmarks compare).
SKLEARN_FOR_LARGE = False


def _dense_dbscan(
    latlon_rad: NDArray[np.float64],
    eps_rad: float,
    min_samples: int,
    sample_weight: NDArray[np.float64] | None,
) -> NDArray[np.int64]:
    """DBSCAN labels exactly as `sklearn.cluster.DBSCAN(metric="haversine")` gives them.

    sklearn's `dbscan_inner` starts a cluster at each core point (in index order) not yet
    reached and expands it fully through core points before starting the next. So the
    clusters are the connected groups of core points, numbered in the order of their
    lowest index, and a border point reachable from several clusters joins the
    lowest-numbered one. O(n^2) memory and time per round for n points.
    """
    return _dense_dbscan_rdist(_rdist(latlon_rad), eps_rad, min_samples, sample_weight)


def _rdist(latlon_rad: NDArray[np.float64]) -> NDArray[np.float64]:
    """Reduced haversine distance of every pair, as sklearn's HaversineDistance.rdist.

    sin(dlat / 2)^2 + cos(lat1) cos(lat2) sin(dlon / 2)^2, each step written into one of two
    n x n buffers (the same operations in the same order as the plain expression, so the
    same values, without its six temporaries)."""
    lat, lon = latlon_rad[:, 0], latlon_rad[:, 1]
    out = np.subtract.outer(lat, lat)
    np.multiply(out, 0.5, out=out)
    np.sin(out, out=out)
    np.multiply(out, out, out=out)  # sin_lat * sin_lat
    sin_lon = np.subtract.outer(lon, lon)
    np.multiply(sin_lon, 0.5, out=sin_lon)
    np.sin(sin_lon, out=sin_lon)
    np.multiply(sin_lon, sin_lon, out=sin_lon)  # sin_lon * sin_lon
    cos_lat = np.cos(lat)
    cos_prod = np.multiply.outer(cos_lat, cos_lat)
    np.multiply(cos_prod, sin_lon, out=sin_lon)
    np.add(out, sin_lon, out=out)
    return out


def _pair_rdist(
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    cos_lat: NDArray[np.float64],
    first: NDArray[np.int64],
    second: NDArray[np.int64],
) -> NDArray[np.float64]:
    """`_rdist`'s operations, in its order, on each pair (first[k], second[k]) of points
    (radians; `cos_lat` = np.cos(lat)): the dense matrix's values at those places. (The
    values gathered by `take`, which copies the same floats as an index does, faster.)"""
    rdist = lat.take(first) - lat.take(second)
    np.multiply(rdist, 0.5, out=rdist)
    np.sin(rdist, out=rdist)
    np.multiply(rdist, rdist, out=rdist)
    sin_lon = lon.take(first) - lon.take(second)
    np.multiply(sin_lon, 0.5, out=sin_lon)
    np.sin(sin_lon, out=sin_lon)
    np.multiply(sin_lon, sin_lon, out=sin_lon)
    np.multiply(cos_lat.take(first) * cos_lat.take(second), sin_lon, out=sin_lon)
    np.add(rdist, sin_lon, out=rdist)
    return rdist


def _dense_dbscan_rdist(
    rdist: NDArray[np.float64],
    eps_rad: float,
    min_samples: int,
    sample_weight: NDArray[np.float64] | None,
) -> NDArray[np.int64]:
    """`_dense_dbscan` from the reduced distances (so several radii can share them)."""
    n = rdist.shape[0]
    # sklearn's radius test on the reduced distance.
    limit = math.sin(0.5 * eps_rad)
    near = rdist <= limit * limit
    density = near.sum(axis=1) if sample_weight is None else near @ sample_weight
    is_core = density >= min_samples
    labels = np.full(n, -1, dtype=np.int64)
    core = np.flatnonzero(is_core)
    if core.size == 0:
        return labels
    root = _component_roots(near if core.size == n else near[np.ix_(core, core)])
    if root is None:  # long chains: expand cluster by cluster instead
        return _expand_clusters(near, is_core, labels)
    # Clusters numbered by their lowest core index, as sklearn's outer loop meets them.
    _, number = np.unique(root, return_inverse=True)
    labels[core] = number
    border = np.flatnonzero(~is_core & near[:, core].any(axis=1))
    if border.size:  # a border point joins the lowest-numbered cluster that reaches it
        labels[border] = np.where(near[np.ix_(border, core)], number[None, :], n).min(axis=1)
    return labels


def _sparse_dbscan(
    latlon_rad: NDArray[np.float64], eps_rad: float, min_samples: int
) -> NDArray[np.int64]:
    """`_dense_dbscan` (unweighted) from the neighbour pairs alone: the same radius test on
    the pairs of unit vectors in the same or adjacent cubes of the radius's chord, clusters
    as connected core points numbered by their lowest index, each border point in the
    lowest-numbered cluster that reaches it."""
    lat, lon = latlon_rad[:, 0], latlon_rad[:, 1]
    n = lat.size
    cos_lat = np.cos(lat)
    unit = np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])
    limit = math.sin(0.5 * eps_rad)
    # The chord between two unit vectors is 2 sin(angle / 2) = 2 sqrt(rdist): candidate pairs
    # within a hair more than the radius's chord, then the dense path's own test on each.
    reach = 2.0 * limit * (1.0 + 1e-9) + 1e-12
    first, second = _pairs_in_adjacent_cubes(unit, reach)
    near = _pair_rdist(lat, lon, cos_lat, first, second) <= limit * limit
    first, second = first[near], second[near]
    density = 1 + np.bincount(first, minlength=n) + np.bincount(second, minlength=n)
    is_core = density >= min_samples
    labels = np.full(n, -1, dtype=np.int64)
    core = np.flatnonzero(is_core)
    if core.size == 0:
        return labels
    linked = is_core[first] & is_core[second]
    root = _lowest_linked(n, first[linked], second[linked])
    # Clusters numbered by their lowest core index, as sklearn's outer loop meets them.
    _, number = np.unique(root[core], return_inverse=True)
    labels[core] = number
    # A border point joins the lowest-numbered cluster that reaches it.
    point = np.concatenate([first, second])
    other = np.concatenate([second, first])
    reached = ~is_core[point] & is_core[other]
    none = np.iinfo(np.int64).max
    best = np.full(n, none, dtype=np.int64)
    np.minimum.at(best, point[reached], labels[other[reached]])
    border = best < none
    labels[border] = best[border]
    return labels


def _lowest_linked(
    size: int, first: NDArray[np.int64], second: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Each of `size` points' lowest index connected to it through the links (first[k],
    second[k]) (itself if unlinked): min-label propagation over the links between roots.

    Every point's root is an index of its component, at most the point's own. A round
    drops the links whose two ends have one root, hooks each root to the lowest root
    linked to it (`np.minimum.at` over the links left, at each link's higher end: the lower
    one's root is already lower than the higher end), then jumps every point to its
    root's root until each one points at a root; the links' ends become their roots. Done
    when no link is left between two roots: then each component has one root, and it is
    its lowest index (whose root never moves). The rounds after the first see only the
    links still between components (a round over every link, each end's root gathered
    again, was ~2.8 % of pass 1's samples). In the first round every point is its own root,
    so the links' ends are their roots: no gathers then."""
    return joined_roots(np.arange(size), first, second)


def joined_roots(
    root: NDArray[np.int64], at_first: NDArray[np.int64], at_second: NDArray[np.int64]
) -> NDArray[np.int64]:
    """`root` (each point's root, at most its own index, every one pointing at a root) with
    the links whose ends' roots are (at_first[k], at_second[k]) joined by the rounds
    `_lowest_linked` describes: the roots after them (`root` may be changed in place)."""
    while True:
        apart = at_first != at_second
        if not apart.all():
            at_first, at_second = at_first[apart], at_second[apart]
        if not at_first.size:
            return root
        # A root is at most its index: only the higher end of a link can move.
        np.minimum.at(root, np.maximum(at_first, at_second), np.minimum(at_first, at_second))
        while True:
            jumped = root[root]
            if np.array_equal(jumped, root):
                break
            root = jumped
        at_first, at_second = root[at_first], root[at_second]


def neighbour_cubes(
    keys: NDArray[np.int64], span: NDArray[np.int64]
) -> Iterator[tuple[int, NDArray[np.int64], NDArray[np.int64]]]:
    """For cubes keyed (x * span[1] + y) * span[2] + z (`keys` sorted and distinct, each
    coordinate at most span - 2), each two cubes at most one apart in every coordinate,
    once: per key step (the cube itself, step 0, then its 13 later neighbours), the indexes
    (a, b) into `keys` of the pairs of cubes that far apart."""
    for dx, dy, dz in itertools.product((-1, 0, 1), repeat=3):
        step = int((dx * span[1] + dy) * span[2] + dz)
        if step < 0:  # each two cubes once: the cube itself and its 13 later neighbours
            continue
        other = np.searchsorted(keys, keys + step)
        there = other < keys.size
        there[there] = keys[other[there]] == keys[there] + step
        a = np.flatnonzero(there)
        yield step, a, other[a]


def _pairs_in_adjacent_cubes(
    points: NDArray[np.float64], side: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every pair (i, j), i < j, of rows of `points` (n x 3) in the same or adjacent cubes
    of `side`: all pairs within `side` of each other, and some farther. (Two coordinates
    within `side` lie in cubes at most one apart: floor(x / side) moves by rounding only
    at a cube's edge, and then by one.)"""
    cube = np.floor(points / side).astype(np.int64)
    cube -= cube.min(axis=0)
    span = cube.max(axis=0) + 2  # (+2: a neighbour's key never wraps into another row)
    key = (cube[:, 0] * span[1] + cube[:, 1]) * span[2] + cube[:, 2]
    order = np.argsort(key, kind="stable")
    keys, starts, counts = np.unique(key[order], return_index=True, return_counts=True)
    firsts, seconds = [], []
    for step, a, b in neighbour_cubes(keys, span):
        per = counts[a] * counts[b]  # every member of cube a with every member of cube b
        cube_of = np.repeat(np.arange(a.size), per)
        within = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
        i = order[starts[a][cube_of] + within // counts[b][cube_of]]
        j = order[starts[b][cube_of] + within % counts[b][cube_of]]
        if step == 0:
            keep = i < j
            i, j = i[keep], j[keep]
        firsts.append(np.minimum(i, j))
        seconds.append(np.maximum(i, j))
    return np.concatenate(firsts), np.concatenate(seconds)


def _component_roots(adjacent: NDArray[np.bool_], max_rounds: int = 48) -> NDArray[np.int64] | None:
    """Each node's lowest connected index (min-label propagation with pointer jumping; the
    diagonal must be True, as a point is its own neighbour);
    None when it has not settled after `max_rounds` (a chain hundreds of points long)."""
    size = adjacent.shape[0]
    root = np.arange(size)
    for round_ in range(max_rounds):
        # In the first round each node's root is itself: the lowest neighbour is the first
        # True of its row (the diagonal is True), which argmax finds without an n x n copy.
        lowest = (
            adjacent.argmax(axis=1)
            if round_ == 0
            else np.where(adjacent, root[None, :], size).min(axis=1)
        )
        lowest = lowest[lowest]
        if np.array_equal(lowest, root):
            return root
        root = lowest
    return None


def _expand_clusters(
    near: NDArray[np.bool_], is_core: NDArray[np.bool_], labels: NDArray[np.int64]
) -> NDArray[np.int64]:
    """sklearn's expansion, breadth-first, one cluster at a time (same labels)."""
    label = 0
    for start in np.flatnonzero(is_core).tolist():
        if labels[start] != -1:
            continue
        labels[start] = label
        frontier = np.array([start])
        while frontier.size:
            reached = np.flatnonzero(near[frontier].any(axis=0) & (labels == -1))
            labels[reached] = label
            frontier = reached[is_core[reached]]
        label += 1
    return labels


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
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if lat_arr.size <= DENSE_MAX_POINTS:
            self.labels_ = _dense_dbscan(
                to_radians_latlon(lat_arr, lon_arr),
                self.eps_m / EARTH_RADIUS_M,
                self.min_samples,
                weights,
            )
            return self
        if weights is None and not SKLEARN_FOR_LARGE:
            self.labels_ = _sparse_dbscan(
                to_radians_latlon(lat_arr, lon_arr), self.eps_m / EARTH_RADIUS_M, self.min_samples
            )
            return self
        # sklearn's haversine metric takes [lat, lon] in radians and returns radians.
        from sklearn.cluster import DBSCAN  # large inputs only; keeps start-up light

        model = DBSCAN(
            eps=self.eps_m / EARTH_RADIUS_M,
            min_samples=self.min_samples,
            metric="haversine",
            algorithm="ball_tree",
        )
        model.fit(to_radians_latlon(lat_arr, lon_arr), sample_weight=weights)
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


def cluster_labels_multi(
    lats: NDArray[np.float64],
    lons: NDArray[np.float64],
    *,
    eps_ms: Sequence[float],
    min_samples: int,
) -> list[NDArray[np.int64]]:
    """`cluster_labels` for several radii over the same positions (one label array per
    radius, as each call alone gives). The dense path computes the distances once."""
    lat_arr = np.asarray(lats, dtype=float)
    lon_arr = np.asarray(lons, dtype=float)
    if lat_arr.size == 0 or lat_arr.size > DENSE_MAX_POINTS or min_samples < 1:
        return [cluster_labels(lat_arr, lon_arr, eps_m=e, min_samples=min_samples) for e in eps_ms]
    if not all(e > 0 for e in eps_ms):
        raise ValueError(f"eps_m must be positive, got {list(eps_ms)!r}")
    rdist = _rdist(to_radians_latlon(lat_arr, lon_arr))
    return [_dense_dbscan_rdist(rdist, e / EARTH_RADIUS_M, min_samples, None) for e in eps_ms]


# The band around the radius where `cluster_count` leaves a pair to the radius test itself:
# pairs whose cheap chord is more than this share (relative) inside or outside the radius are
# decided by it. Both the chord and the test's reduced distance are within ~1e-9 (relative)
# of the true value near the radius (a few 1e-16 radians of rounding in each coordinate
# against a 60 m chord of ~1e-5), so the margin is ~1,000 times what rounding can move.
CHORD_MARGIN = 1e-6


def cluster_count(
    lats: Sequence[float] | NDArray[np.float64],
    lons: Sequence[float] | NDArray[np.float64],
    *,
    eps_m: float,
) -> int:
    """How many clusters `cluster_labels(lats, lons, eps_m=eps_m, min_samples=2)` finds.

    With two samples every point with a neighbour is a core point, so the clusters are the
    connected groups of two or more points under the radius test: one breadth-first search
    each, from the lowest point not yet reached, whose frontier is compared with the points
    not yet reached only (not an n x n matrix: a site's posts are one group or a few, so
    after the first rows few points are left to compare with). The test's cost is two
    sines a pair; here each pair is first decided by its chord between unit vectors
    (chord^2 = 4 sin^2(angle / 2) = 4 x the reduced distance; a few products a pair, no
    sine, no wrap at the antimeridian, no error that grows at the poles), and only the pairs
    within `CHORD_MARGIN` of the radius take the dense path's own test (`_rdist`'s operations
    on each pair, which give the same value either way round), so every pair is decided as
    the dense path decides it, and the groups are its groups. Above `DENSE_MAX_POINTS`
    points, `cluster_labels` itself.
    """
    if not eps_m > 0:
        raise ValueError(f"eps_m must be positive, got {eps_m!r}")
    lat_arr = np.asarray(lats, dtype=float)
    lon_arr = np.asarray(lons, dtype=float)
    n = lat_arr.size
    if n > DENSE_MAX_POINTS:
        labels = cluster_labels(lat_arr, lon_arr, eps_m=eps_m, min_samples=2)
        return int(sorted_distinct(labels[labels >= 0]).size)
    if n < 2:
        return 0
    latlon_rad = to_radians_latlon(lat_arr, lon_arr)
    lat, lon = latlon_rad[:, 0], latlon_rad[:, 1]
    limit = math.sin(0.5 * eps_m / EARTH_RADIUS_M)
    chord_limit = 4.0 * (limit * limit)  # the radius test's limit on chord^2 (x4 is exact)
    cos_lat = np.cos(lat)
    axes = (cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat))

    def near(rows: NDArray[np.int64], columns: NDArray[np.int64]) -> NDArray[np.bool_]:
        """The radius test of each point of `rows` with each of `columns`."""
        chord = np.subtract.outer(axes[0][rows], axes[0][columns])
        np.multiply(chord, chord, out=chord)
        step = np.empty_like(chord)
        for axis in axes[1:]:
            np.subtract.outer(axis[rows], axis[columns], out=step)
            np.multiply(step, step, out=step)
            np.add(chord, step, out=chord)
        close: NDArray[np.bool_] = chord < chord_limit * (1.0 - CHORD_MARGIN)
        band = np.flatnonzero(~close & (chord <= chord_limit * (1.0 + CHORD_MARGIN)))
        if band.size:  # the dense path's test on each pair of the band
            row, column = np.divmod(band, columns.size)
            close.flat[band] = (
                _pair_rdist(lat, lon, cos_lat, rows[row], columns[column]) <= limit * limit
            )
        return close

    left = np.ones(n, dtype=bool)
    count = 0
    while True:
        start = int(left.argmax())
        if not left[start]:
            return count
        left[start] = False
        frontier = np.array([start])
        size = 1
        while frontier.size:
            rest = np.flatnonzero(left)
            if not rest.size:
                break
            frontier = rest[near(frontier, rest).any(axis=0)]
            left[frontier] = False
            size += frontier.size
        count += size >= 2


# Point pairs `cluster_labels_of_people` handles at once (each pair ~50 bytes while it works).
PAIRS_PER_BATCH = 1 << 20


def cluster_labels_of_people(
    people: Sequence[tuple[NDArray[np.float64], NDArray[np.float64]]],
    *,
    eps_ms: Sequence[float],
    min_samples: int,
) -> list[list[NDArray[np.int64]]]:
    """`cluster_labels_multi` of each person's (lats, lons), many people at once.

    Each person's pairs of points are laid end to end in one set of columns, each pair's
    radius test decided as the dense path decides it (`_near_by_chord`: by the chord between
    unit vectors, the dense path's reduced distance for the pairs near a radius), and the
    dense path's DBSCAN run on the close pairs of every person at once:
    a point's neighbours counted, the core points' connected groups found by lowest index
    (min-label propagation with pointer jumping) and numbered within their person in that
    order, each border point in the lowest-numbered cluster that reaches it (with two samples
    at most, a larger radius's groups grown from a smaller one's by the pairs close at the
    larger alone). Each pair is
    tested once, for i < j: the dense matrix is symmetric (a - b is -(b - a) exactly and
    sin is odd). People with more than `DENSE_MAX_POINTS` points take `cluster_labels_multi`.
    """
    if not all(e > 0 for e in eps_ms):
        raise ValueError(f"eps_m must be positive, got {list(eps_ms)!r}")
    out: list[list[NDArray[np.int64]]] = [[] for _ in people]
    batch: list[int] = []
    pairs = 0
    for k, (lats, _) in enumerate(people):
        n = len(lats)
        if n == 0 or n > DENSE_MAX_POINTS or min_samples < 1:
            lat_arr, lon_arr = np.asarray(lats, dtype=float), np.asarray(people[k][1], dtype=float)
            out[k] = cluster_labels_multi(lat_arr, lon_arr, eps_ms=eps_ms, min_samples=min_samples)
            continue
        if batch and pairs + n * (n - 1) // 2 > PAIRS_PER_BATCH:
            _label_batch(people, batch, eps_ms, min_samples, out)
            batch, pairs = [], 0
        batch.append(k)
        pairs += n * (n - 1) // 2
    if batch:
        _label_batch(people, batch, eps_ms, min_samples, out)
    return out


def _label_batch(
    people: Sequence[tuple[NDArray[np.float64], NDArray[np.float64]]],
    batch: Sequence[int],
    eps_ms: Sequence[float],
    min_samples: int,
    out: list[list[NDArray[np.int64]]],
) -> None:
    """`cluster_labels_of_people` of the people `batch` (each with 1 to DENSE_MAX_POINTS
    points), written into `out`."""
    sizes = np.array([len(people[k][0]) for k in batch], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    # Degrees to radians as `to_radians_latlon` converts them, element by element.
    lat = np.radians(np.concatenate([np.asarray(people[k][0], dtype=float) for k in batch]))
    lon = np.radians(np.concatenate([np.asarray(people[k][1], dtype=float) for k in batch]))
    # The pairs (i, j), i < j, of the same person that can be close (all others are not).
    owner = np.repeat(np.arange(len(batch)), sizes)
    first, second = _close_in_latitude(lat, owner, max(eps_ms) / EARTH_RADIUS_M)
    nears = _near_by_chord(lat, lon, np.cos(lat), first, second, eps_ms)
    results: list[NDArray[np.int64]] = [np.empty(0, dtype=np.int64)] * len(eps_ms)
    grown: tuple[NDArray[np.bool_], NDArray[np.int64]] | None = None
    # The radii by their limit, smallest first: with two samples at most, a larger radius's
    # groups are the smaller one's joined by the pairs only the larger one takes.
    for at in sorted(range(len(eps_ms)), key=lambda k: _limit(eps_ms[k])):
        results[at], grown = _pair_dbscan(
            nears[at], first, second, starts, owner, min_samples, grown
        )
        if min_samples > 2:
            grown = None
    for b, k in enumerate(batch):
        a, z = int(starts[b]), int(starts[b + 1])
        out[k] = [labels[a:z].copy() for labels in results]


def _limit(eps_m: float) -> float:
    """The radius test's limit on the reduced distance for `eps_m` metres."""
    limit = math.sin(0.5 * (eps_m / EARTH_RADIUS_M))
    return limit * limit


def _near_by_chord(
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    cos_lat: NDArray[np.float64],
    first: NDArray[np.int64],
    second: NDArray[np.int64],
    eps_ms: Sequence[float],
) -> list[NDArray[np.bool_]]:
    """For each radius, the radius test (`_pair_rdist(...) <= _limit(eps_m)`) of each pair,
    decided as `cluster_count` decides it: by the pair's squared chord between unit vectors
    (4 x the reduced distance; no sine), except within `CHORD_MARGIN` of the radius, where
    the pair's reduced distance is computed and tested (the same floats and the same test as
    computing every pair's)."""
    axes = (cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat))
    chord = axes[0].take(first) - axes[0].take(second)
    np.multiply(chord, chord, out=chord)
    for axis in axes[1:]:
        step = axis.take(first) - axis.take(second)
        np.multiply(step, step, out=step)
        np.add(chord, step, out=chord)
    nears = []
    for eps_m in eps_ms:
        limit = _limit(eps_m)
        chord_limit = 4.0 * limit  # (x4 is exact)
        near: NDArray[np.bool_] = chord < chord_limit * (1.0 - CHORD_MARGIN)
        band = np.flatnonzero(~near & (chord <= chord_limit * (1.0 + CHORD_MARGIN)))
        if band.size:
            near[band] = (
                _pair_rdist(lat, lon, cos_lat, first.take(band), second.take(band)) <= limit
            )
        nears.append(near)
    return nears


def _close_in_latitude(
    lat: NDArray[np.float64], owner: NDArray[np.int64], eps_rad: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every pair (i, j), i < j, of points of the same owner whose latitudes (radians) differ
    by at most `eps_rad` and a margin: the only pairs that can be within `eps_rad` (the
    reduced distance is at least sin(dlat / 2)^2, the radius test's limit sin(eps / 2)^2).
    Points sorted by (owner, latitude), each pairs with those after it up to the first one
    beyond the reach (owners 1000 radians apart in the key, so no pair crosses owners)."""
    reach = eps_rad * (1.0 + 1e-6) + 1e-9  # far above the key's rounding (~1e-10 rad)
    key = owner * 1000.0 + lat
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    end = np.searchsorted(sorted_key, sorted_key + reach, side="right")
    after = end - np.arange(order.size) - 1
    at = np.repeat(np.arange(order.size), after)
    run_start = np.cumsum(after) - after
    partner = order.take(at + 1 + (np.arange(at.size) - np.repeat(run_start, after)))
    mine = order.take(at)
    return np.minimum(mine, partner), np.maximum(mine, partner)


def _pair_dbscan(
    near: NDArray[np.bool_],
    first: NDArray[np.int64],
    second: NDArray[np.int64],
    starts: NDArray[np.int64],
    owner: NDArray[np.int64],
    min_samples: int,
    smaller: tuple[NDArray[np.bool_], NDArray[np.int64]] | None = None,
) -> tuple[NDArray[np.int64], tuple[NDArray[np.bool_], NDArray[np.int64]]]:
    """`_dense_dbscan_rdist` (unweighted) of several people at once from the radius test of
    their pairs (i < j; `near`); labels numbered within each person, and what a larger
    radius can start from (with `min_samples` at most 2).

    With `min_samples` at most 2 (the default) every point of a close pair is a core point
    (itself and the other): every close pair links two core points and no point is a
    border point, so the pairs' core tests and the border step are left out (the same
    labels: the close pairs' connected groups), and the core points are those of groups of
    two or more (no count of each point's pairs). Then `smaller` (the close pairs and each
    point's root at a smaller radius, whose close pairs are among these) lets only the
    pairs close at this radius alone be joined: the same groups, each rooted at its lowest
    index."""
    total = int(starts[-1])
    every_pair_core = min_samples <= 2
    if smaller is None:
        a, b = first[near], second[near]
        root = np.arange(total)
    else:
        was_near, root = smaller
        only = near & ~was_near
        a, b = root.take(first[only]), root.take(second[only])
        root = root.copy()  # (joined in place)
    labels = np.full(total, -1, dtype=np.int64)
    if every_pair_core:
        root = joined_roots(root, a, b)
        is_core = (
            np.ones(total, dtype=bool)
            if min_samples <= 1
            else np.bincount(root, minlength=total).take(root) >= 2
        )
    else:
        # A point is its own neighbour (the dense matrix's diagonal is 0).
        density = 1 + np.bincount(a, minlength=total) + np.bincount(b, minlength=total)
        is_core = density >= min_samples
    if not is_core.any():
        return labels, (near, root)
    linked = None if every_pair_core else is_core[a] & is_core[b]
    if linked is not None:
        root = _lowest_linked(total, a[linked], b[linked])
    # Clusters numbered by their lowest core index within each person, as sklearn's outer
    # loop meets them.
    core = np.flatnonzero(is_core)
    roots = sorted_distinct(root[core])
    number = np.searchsorted(roots, root[core])
    before = np.searchsorted(roots, starts[:-1])  # clusters of the people before
    labels[core] = number - before[owner[core]]
    if linked is None:
        return labels, (near, root)
    # A border point joins the lowest-numbered cluster that reaches it.
    one_core = ~linked & (is_core[a] | is_core[b])
    pa, pb = a[one_core], b[one_core]
    a_core = is_core[pa]
    point, other = np.where(a_core, pb, pa), np.where(a_core, pa, pb)
    none = np.iinfo(np.int64).max
    best = np.full(total, none, dtype=np.int64)
    np.minimum.at(best, point, labels[other])
    border = best < none
    labels[border] = best[border]
    return labels, (near, root)
