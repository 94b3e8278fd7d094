"""Distances and centres on the sphere: property tests, high latitude, antimeridian."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geoleak.geometry import (
    TrackThinner,
    centre_of_sums,
    centres_of_sums,
    destination,
    haversine_m,
    haversine_m_array,
    mean_position,
)
from geoleak.types import LatLon

lats = st.floats(min_value=-89.9, max_value=89.9, allow_nan=False)
lons = st.floats(min_value=-180.0, max_value=180.0, allow_nan=False)
positions = st.builds(LatLon, lats, lons)


@given(positions, positions)
def test_haversine_is_symmetric_and_bounded(a: LatLon, b: LatLon) -> None:
    d = haversine_m(a, b)
    assert d == pytest.approx(haversine_m(b, a), abs=1e-6)
    assert 0 <= d <= math.pi * 6_371_008.8 + 1


@given(positions, st.floats(0, 360), st.floats(0, 50_000))
def test_destination_is_at_the_requested_distance(
    origin: LatLon, bearing: float, distance: float
) -> None:
    target = destination(origin, bearing, distance)
    assert haversine_m(origin, target) == pytest.approx(distance, abs=0.01 + distance * 1e-9)


@given(positions, positions)
def test_array_distance_matches_scalar(a: LatLon, b: LatLon) -> None:
    arr = haversine_m_array(np.array([a.lat]), np.array([a.lon]), b.lat, b.lon)
    assert arr[0] == pytest.approx(haversine_m(a, b), abs=1e-3)


def test_known_distance_one_degree_of_latitude() -> None:
    assert haversine_m(LatLon(0, 0), LatLon(1, 0)) == pytest.approx(111_195, rel=1e-4)


def test_a_lat_lon_swap_shows_at_high_latitude() -> None:
    tromso = LatLon(69.6496, 18.9560)
    swapped = LatLon(18.9560, 69.6496)
    assert haversine_m(tromso, swapped) > 5_000_000


def test_mean_across_the_antimeridian_stays_there() -> None:
    centre = mean_position([-16.8, -16.9], [179.99, -179.99])
    assert abs(centre.lon) == pytest.approx(180.0, abs=1e-4)
    assert centre.lat == pytest.approx(-16.85, abs=1e-3)


@given(
    positions, st.lists(st.tuples(st.floats(0, 360), st.floats(0, 300)), min_size=1, max_size=20)
)
def test_mean_of_a_small_cloud_is_inside_it(
    centre: LatLon, offsets: list[tuple[float, float]]
) -> None:
    assume(abs(centre.lat) < 89)
    points = [destination(centre, b, d) for b, d in offsets]
    mean = mean_position([p.lat for p in points], [p.lon for p in points])
    assert haversine_m(mean, centre) <= 300 + 1e-3


@given(
    st.lists(
        st.tuples(positions, st.one_of(st.none(), st.integers(0, 86_400))), min_size=1, max_size=60
    )
)
def test_track_thinner_keeps_the_first_fix_and_only_moves_or_waits(
    fixes: list[tuple[LatLon, int | None]],
) -> None:
    thinner = TrackThinner()
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    kept: list[tuple[LatLon, datetime | None]] = []
    for position, seconds in fixes:
        when = None if seconds is None else start + timedelta(seconds=seconds)
        if thinner.keep(position, when):
            kept.append((position, when))
    assert kept[0][0] == fixes[0][0]
    assert thinner.fixes == len(fixes) and thinner.kept == len(kept)
    for (a, ta), (b, tb) in pairwise(kept):
        waited = ta is not None and tb is not None and abs((tb - ta).total_seconds()) >= 600
        assert haversine_m(a, b) >= 100 or waited


def test_track_thinner_across_the_antimeridian_and_at_high_latitude() -> None:
    # 50 m apart across 180 deg (an equirectangular "lon difference" would say 40,000 km)
    east, west = LatLon(-16.8, 179.99977), LatLon(-16.8, -179.99976)
    thinner = TrackThinner()
    assert thinner.keep(east, None) and not thinner.keep(west, None)
    # At 78 N (Svalbard) 0.01 deg of longitude is ~230 m: kept
    north = TrackThinner()
    assert north.keep(LatLon(78.22, 15.64), None) and north.keep(LatLon(78.22, 15.65), None)
    assert north.rule() == "moved 100 m or 10 min passed"


_SUM = st.floats(-3.0, 3.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_SUM, _SUM, _SUM), max_size=8))
def test_centres_of_sums_equal_each_centre(sums: list[tuple[float, float, float]]) -> None:
    """The position of each summed vector, bit for bit as the formula written out (what
    `centre_of_sums` gave before it called this), and its errors."""

    def centre(x: float, y: float, z: float) -> LatLon:
        norm = math.sqrt(x * x + y * y + z * z)
        if norm == 0:
            raise ValueError("positions cancel out; no mean")
        return LatLon(math.degrees(math.asin(max(-1.0, min(1.0, z / norm)))),
                      math.degrees(math.atan2(y, x)))  # fmt: skip

    xs, ys, zs = ([s[k] for s in sums] for k in range(3))
    try:
        expected = [centre(*s) for s in sums]
    except ValueError as error:
        with pytest.raises(ValueError, match=re.escape(str(error))):
            centres_of_sums(xs, ys, zs)
        return
    found = centres_of_sums(xs, ys, zs)
    assert [(c.lat, c.lon) for c in found] == [(c.lat, c.lon) for c in expected]
    assert [centre_of_sums(*s) for s in sums] == expected
    assert all(type(c) is LatLon for c in found)


@pytest.mark.parametrize("sums", [(0.0, 0.0, 0.0), (math.nan, 1.0, 0.0), (1.0, math.nan, 0.0)])
def test_centres_of_sums_refuse_as_centre_of_sums(sums: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError, match=r"cancel out|finite") as expected:
        centre_of_sums(*sums)
    with pytest.raises(ValueError, match=re.escape(str(expected.value))):
        centres_of_sums([1.0, sums[0]], [0.0, sums[1]], [0.0, sums[2]])
