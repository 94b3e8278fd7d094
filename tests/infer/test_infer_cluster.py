"""The dense and neighbour-pair DBSCAN paths give scikit-learn's labels, numbering included."""

from __future__ import annotations

import subprocess
import sys
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import DBSCAN

from geoleak.geometry import EARTH_RADIUS_M, to_radians_latlon
from geoleak.infer import cluster as cluster_module
from geoleak.infer.cluster import DENSE_MAX_POINTS, HaversineDBSCAN, cluster_labels


def sklearn_labels(lats, lons, eps_m, min_samples, weights=None):
    model = DBSCAN(
        eps=eps_m / EARTH_RADIUS_M,
        min_samples=min_samples,
        metric="haversine",
        algorithm="ball_tree",
    )
    model.fit(
        to_radians_latlon(np.asarray(lats, float), np.asarray(lons, float)), sample_weight=weights
    )
    return model.labels_


def blobs(
    seed: int, centre: tuple[float, float], n: int, spread_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points in a few tight groups plus scattered ones around a centre (degrees)."""
    rng = np.random.default_rng(seed)
    groups = rng.integers(1, 5)
    lat0, lon0 = centre
    per_deg_lat = 111_195.0
    per_deg_lon = max(1.0, per_deg_lat * np.cos(np.radians(lat0)))
    offsets = rng.normal(0, 4 * spread_m, size=(groups, 2))
    which = rng.integers(0, groups + 1, size=n)  # groups + 1: scattered points
    pts = np.where(
        (which < groups)[:, None],
        offsets[np.minimum(which, groups - 1)] + rng.normal(0, spread_m, size=(n, 2)),
        rng.normal(0, 20 * spread_m, size=(n, 2)),
    )
    lats = np.clip(lat0 + pts[:, 0] / per_deg_lat, -90, 90)
    lons = (lon0 + pts[:, 1] / per_deg_lon + 180.0) % 360.0 - 180.0
    return lats, lons


CENTRES = [
    (64.2, 24.1),
    (69.45, 24.5),
    (-16.85, 179.999),
    (-16.85, -179.999),
    (0.0, 0.0),
    (89.99, 10.0),
    (-43.7, 171.9),
]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    centre=st.sampled_from(CENTRES),
    n=st.integers(1, 150),
    eps_m=st.sampled_from([60.0, 100.0, 350.0, 1000.0]),
    min_samples=st.integers(1, 4),
)
def test_dense_path_matches_sklearn(seed, centre, n, eps_m, min_samples):
    lats, lons = blobs(seed, centre, n, spread_m=eps_m / 3)
    ours = cluster_labels(lats, lons, eps_m=eps_m, min_samples=min_samples)
    np.testing.assert_array_equal(ours, sklearn_labels(lats, lons, eps_m, min_samples))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80), min_samples=st.integers(1, 5))
def test_dense_path_matches_sklearn_with_weights(seed, n, min_samples):
    lats, lons = blobs(seed, (-16.85, 179.999), n, spread_m=40.0)
    weights = np.random.default_rng(seed).uniform(0.2, 2.5, size=n)
    ours = (
        HaversineDBSCAN(eps_m=100.0, min_samples=min_samples)
        .fit(lats, lons, sample_weight=weights)
        .labels_
    )
    np.testing.assert_array_equal(ours, sklearn_labels(lats, lons, 100.0, min_samples, weights))


def test_border_point_joins_the_first_cluster():
    # Along a meridian (metres north): cores at -90 and +90 m (4 points within 100 m each,
    # counting themselves), a border point at 0 reachable from both: it joins cluster 0.
    metres = [-90.0, -150.0, -160.0, 90.0, 150.0, 160.0, 0.0]
    lats = [m / 111_195.0 for m in metres]
    lons = [0.0] * len(metres)
    labels = cluster_labels(lats, lons, eps_m=100.0, min_samples=4)
    np.testing.assert_array_equal(labels, sklearn_labels(lats, lons, 100.0, 4))
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 0]


def test_antimeridian_pair_is_one_cluster():
    labels = cluster_labels([-16.85, -16.85], [179.99955, -179.99955], eps_m=100.0, min_samples=2)
    assert labels.tolist() == [0, 0]


@pytest.mark.parametrize("n", [DENSE_MAX_POINTS, DENSE_MAX_POINTS + 1])
def test_both_sides_of_the_dense_limit_agree(n):
    lats, lons = blobs(3, (69.45, 24.5), n, spread_m=30.0)
    np.testing.assert_array_equal(
        cluster_labels(lats, lons, eps_m=100.0, min_samples=2), sklearn_labels(lats, lons, 100.0, 2)
    )


def test_chain_and_cluster_by_cluster_expansion_match_sklearn(monkeypatch):
    # A 300-point chain 80 m apart (eps 100 m) plus blobs; then the same with the
    # cluster-by-cluster expansion that long chains fall back to.
    chain_lat = np.arange(300) * 80.0 / 111_195.0 + 69.0
    lats_b, lons_b = blobs(7, (69.2, 24.5), 120, spread_m=30.0)
    lats = np.concatenate([chain_lat, lats_b])
    lons = np.concatenate([np.full(300, 24.5), lons_b])
    expected = sklearn_labels(lats, lons, 100.0, 2)
    np.testing.assert_array_equal(cluster_labels(lats, lons, eps_m=100.0, min_samples=2), expected)
    monkeypatch.setattr(cluster_module, "_component_roots", lambda _adjacent: None)
    np.testing.assert_array_equal(cluster_labels(lats, lons, eps_m=100.0, min_samples=2), expected)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    centre=st.sampled_from(CENTRES),
    n=st.integers(1, 400),
    eps_m=st.sampled_from([60.0, 100.0, 1000.0]),
    min_samples=st.integers(1, 4),
)
def test_neighbour_pair_path_matches_sklearn(seed, centre, n, eps_m, min_samples):
    # The path for inputs above DENSE_MAX_POINTS, forced on small ones.
    lats, lons = blobs(seed, centre, n, spread_m=eps_m / 3)
    ours = cluster_module._sparse_dbscan(
        to_radians_latlon(lats, lons), eps_m / EARTH_RADIUS_M, min_samples
    )
    np.testing.assert_array_equal(ours, sklearn_labels(lats, lons, eps_m, min_samples))


def test_neighbour_pair_path_matches_the_dense_path_on_a_chain():
    chain_lat = np.arange(300) * 80.0 / 111_195.0 + 69.0
    lats_b, lons_b = blobs(7, (69.2, 24.5), 120, spread_m=30.0)
    lats = np.concatenate([chain_lat, lats_b])
    lons = np.concatenate([np.full(300, 24.5), lons_b])
    radians = to_radians_latlon(lats, lons)
    for min_samples in (1, 2, 3, 5):
        np.testing.assert_array_equal(
            cluster_module._sparse_dbscan(radians, 100.0 / EARTH_RADIUS_M, min_samples),
            cluster_module._dense_dbscan(radians, 100.0 / EARTH_RADIUS_M, min_samples, None),
        )


def dense_count(lats, lons, eps_m):
    labels = cluster_labels(lats, lons, eps_m=eps_m, min_samples=2)
    return len({int(label) for label in labels if label >= 0})


def destination(lat, lon, bearing, metres):
    """The point `metres` from (lat, lon) along `bearing` (degrees), on the sphere."""
    phi, lam, theta = np.radians(lat), np.radians(lon), np.radians(bearing)
    delta = metres / EARTH_RADIUS_M
    phi2 = np.arcsin(np.sin(phi) * np.cos(delta) + np.cos(phi) * np.sin(delta) * np.cos(theta))
    lam2 = lam + np.arctan2(
        np.sin(theta) * np.sin(delta) * np.cos(phi), np.cos(delta) - np.sin(phi) * np.sin(phi2)
    )
    return float(np.degrees(phi2)), float((np.degrees(lam2) + 180.0) % 360.0 - 180.0)


def on_the_radius(lat, lon, bearing, eps_m):
    """Two partners of (lat, lon) along `bearing`, adjacent floats of the distance apart:
    the radius test (the dense path's) keeps the first within `eps_m` and not the second."""
    inside, outside = eps_m * 0.999, eps_m * 1.001

    def near(metres):
        lat2, lon2 = destination(lat, lon, bearing, metres)
        return dense_count([lat, lat2], [lon, lon2], eps_m) == 1

    assert near(inside) and not near(outside)
    while np.nextafter(inside, outside) != outside:
        middle = 0.5 * (inside + outside)
        if middle in (inside, outside):
            break
        if near(middle):
            inside = middle
        else:
            outside = middle
    return destination(lat, lon, bearing, inside), destination(lat, lon, bearing, outside)


# Places where a cheap distance goes wrong: the poles, both sides of the antimeridian.
EDGE_CENTRES = [*CENTRES, (89.9995, -37.0), (-89.9999, 120.0), (71.3, 180.0), (-3.2, -180.0)]


def test_cluster_count_decides_pairs_on_the_radius_as_the_radius_test():
    # Pairs a float of distance either side of where the radius test flips: the chord alone
    # (CHORD_MARGIN 0) decides some of them otherwise.
    rng = np.random.default_rng(5)
    for lat, lon in EDGE_CENTRES:
        for bearing in rng.uniform(0.0, 360.0, size=12):
            for eps_m in (60.0, 100.0):
                for partner in on_the_radius(lat, lon, bearing, eps_m):
                    lats, lons = [lat, partner[0]], [lon, partner[1]]
                    assert cluster_module.cluster_count(lats, lons, eps_m=eps_m) == dense_count(
                        lats, lons, eps_m
                    ), (lat, lon, bearing, eps_m, partner)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    centre=st.one_of(
        st.sampled_from(EDGE_CENTRES),
        st.tuples(st.floats(-90.0, 90.0), st.floats(-180.0, 180.0)),
        st.tuples(st.floats(80.0, 90.0), st.sampled_from([-180.0, 180.0, 179.9995, -179.9995])),
    ),
    n=st.integers(0, 250),
    eps_m=st.sampled_from([60.0, 100.0, 1000.0]),
    rims=st.integers(0, 3),
)
def test_cluster_count_matches_the_dense_path(seed, centre, n, eps_m, rims):
    lats, lons = blobs(seed, centre, n, spread_m=eps_m / 3)
    # Partners on the radius (both sides of the test's flip) of a few of the points.
    rng = np.random.default_rng(seed)
    extra_lat, extra_lon = [], []
    for k in range(min(rims, n)):
        for partner in on_the_radius(lats[k], lons[k], rng.uniform(0.0, 360.0), eps_m):
            extra_lat.append(partner[0])
            extra_lon.append(partner[1])
    lats = np.concatenate([lats, extra_lat])
    lons = np.concatenate([lons, extra_lon])
    assert cluster_module.cluster_count(lats, lons, eps_m=eps_m) == dense_count(lats, lons, eps_m)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    centre=st.one_of(
        st.sampled_from(EDGE_CENTRES),
        st.tuples(st.floats(75.0, 89.99), st.sampled_from([-180.0, 180.0, 179.9995, 0.0])),
    ),
    links=st.lists(st.booleans(), min_size=1, max_size=8),
    bearing=st.one_of(st.sampled_from([90.0, 270.0, 0.0]), st.floats(0.0, 360.0)),
    copies=st.integers(0, 3),
    strays=st.integers(0, 12),
)
def test_cluster_count_of_chains_on_the_radius_matches_the_dense_path(
    seed, centre, links, bearing, copies, strays
):
    # A chain walking (east-west, across the antimeridian, near the poles) from point to
    # point a float of distance either side of where the radius test flips: each link holds
    # (True) or breaks (False) the group, so the count is decided at eps_m exactly; with
    # points repeated (one position posted several times) and strays that reach nobody.
    # The breadth-first search compares its frontier with the points not yet reached: the
    # groups must be the dense matrix's all the same.
    rng = np.random.default_rng(seed)
    lats, lons = [centre[0]], [centre[1]]
    for hold in links:
        inside, outside = on_the_radius(lats[-1], lons[-1], bearing + rng.uniform(-20, 20), 60.0)
        lats.append((inside if hold else outside)[0])
        lons.append((inside if hold else outside)[1])
    for k in rng.integers(0, len(lats), size=copies):
        lats.append(lats[k])
        lons.append(lons[k])
    for _ in range(strays):
        lat, lon = destination(centre[0], centre[1], rng.uniform(0, 360), rng.uniform(2e3, 5e4))
        lats.append(lat)
        lons.append(lon)
    order = rng.permutation(len(lats))  # the search starts from the lowest index left
    lats, lons = np.asarray(lats)[order], np.asarray(lons)[order]
    assert cluster_module.cluster_count(lats, lons, eps_m=60.0) == dense_count(lats, lons, 60.0)


def test_cluster_count_above_the_dense_limit_and_bad_radius():
    lats, lons = blobs(3, (69.45, 24.5), DENSE_MAX_POINTS + 5, spread_m=20.0)
    assert cluster_module.cluster_count(lats, lons, eps_m=60.0) == dense_count(lats, lons, 60.0)
    assert cluster_module.cluster_count([1.0], [2.0], eps_m=60.0) == 0
    with pytest.raises(ValueError, match="eps_m"):
        cluster_module.cluster_count([1.0, 1.0], [2.0, 2.0], eps_m=0.0)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    centre=st.sampled_from(EDGE_CENTRES),
    n=st.integers(1, 300),
    side_m=st.sampled_from([60.0, 1000.0]),
)
def test_pairs_in_adjacent_cubes_hold_every_pair_within_the_side(seed, centre, n, side_m):
    lats, lons = blobs(seed, centre, n, spread_m=side_m / 2)
    radians = to_radians_latlon(lats, lons)
    cos_lat = np.cos(radians[:, 0])
    unit = np.column_stack(
        [
            cos_lat * np.cos(radians[:, 1]),
            cos_lat * np.sin(radians[:, 1]),
            np.sin(radians[:, 0]),
        ]
    )
    side = side_m / EARTH_RADIUS_M
    first, second = cluster_module._pairs_in_adjacent_cubes(unit, side)
    found = set(zip(first.tolist(), second.tolist(), strict=True))
    assert len(found) == first.size and bool((first < second).all())
    gap = np.sqrt(((unit[:, None, :] - unit[None, :, :]) ** 2).sum(axis=2))
    close = {(i, j) for i, j in zip(*np.nonzero(gap <= side), strict=True) if i < j}
    assert close <= found


def test_large_inputs_cluster_without_importing_scipy():
    # The neighbour-pair path (the in-memory site pass over every candidate) needs no scipy:
    # its import cost ~0.4 CPU s a run.
    script = (
        "import sys\n"
        "import numpy as np\n"
        "from geoleak.infer.cluster import DENSE_MAX_POINTS, cluster_labels\n"
        "rng = np.random.default_rng(3)\n"
        "n = DENSE_MAX_POINTS + 50\n"
        "labels = cluster_labels(69.45 + rng.normal(0, 0.01, n), 24.5 + rng.normal(0, 0.03, n),"
        " eps_m=1000.0, min_samples=2)\n"
        "assert labels.max() >= 0\n"
        "assert not any(m.split('.')[0] == 'scipy' for m in sys.modules), 'scipy imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def _component_minimum(size: int, links: list[tuple[int, int]]) -> list[int]:
    """Each point's lowest index connected to it (itself if unlinked), by union-find."""
    parent = list(range(size))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in links:
        ri, rj = find(i), find(j)
        parent[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(size)]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_lowest_linked_is_each_components_lowest_index(data: st.DataObject) -> None:
    """`_lowest_linked` stops when every link's two ends have one root (no round of
    `np.minimum.at` that changes nothing): chains in either order, stars, cycles, repeated
    and self links, unlinked points; each point's root is its component's lowest index."""
    size = data.draw(st.integers(0, 60))
    pair = st.tuples(st.integers(0, max(size - 1, 0)), st.integers(0, max(size - 1, 0)))
    links = data.draw(st.lists(pair, max_size=120)) if size else []
    if size and data.draw(st.booleans()):  # a long chain, numbered either way
        chain = list(range(size))[:: data.draw(st.sampled_from([1, -1]))]
        links += list(pairwise(chain))
    first = np.array([i for i, _ in links], dtype=np.int64)
    second = np.array([j for _, j in links], dtype=np.int64)
    root = cluster_module._lowest_linked(size, first, second)
    assert root.tolist() == _component_minimum(size, links)


def _people_on_the_radii(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """People of the edge centres (poles, 69-71 N, the antimeridian), each with partners a
    float of distance either side of where the radius test flips at 100 m and at 500 m,
    exact repeats, and (some) a line of points about 100 m apart along a meridian."""
    rng = np.random.default_rng(seed)
    people = []
    for lat, lon in [*EDGE_CENTRES, (69.0, 179.9999), (69.0, -179.9999)]:
        lats, lons = [lat, lat], [lon, lon]  # a repeat
        for eps_m in (100.0, 500.0):
            for partner in on_the_radius(lat, lon, rng.uniform(0.0, 360.0), eps_m):
                lats.append(partner[0])
                lons.append(partner[1])
        if rng.random() < 0.5:
            step = np.degrees(100.0 / EARTH_RADIUS_M) * rng.choice([1 - 1e-9, 1.0, 1 + 1e-9])
            line = np.clip(lat - (1 + np.arange(4)) * step, -90.0, 90.0)
            lats.extend(line.tolist())
            lons.extend([lon] * 4)
        people.append((np.array(lats), np.array(lons)))
    return people


@pytest.mark.parametrize("seed", [3, 17])
def test_people_at_once_decide_pairs_on_the_radii_as_the_radius_test(seed):
    # Each pair decided by its chord except near a radius: with CHORD_MARGIN 0 some of these
    # pairs are decided otherwise. Both radii at once, either order (the larger radius's
    # groups grown from the smaller's), with two samples and with three.
    people = _people_on_the_radii(seed)
    for eps_ms in ((100.0, 500.0), (500.0, 100.0), (100.0, 100.0)):
        for min_samples in (1, 2, 3):
            together = cluster_module.cluster_labels_of_people(
                people, eps_ms=eps_ms, min_samples=min_samples
            )
            for (lats, lons), found in zip(people, together, strict=True):
                alone = [
                    cluster_labels(lats, lons, eps_m=e, min_samples=min_samples) for e in eps_ms
                ]
                assert [f.tolist() for f in found] == [a.tolist() for a in alone], (lats, lons)
