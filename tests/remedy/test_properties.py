"""Property tests: any GPS position in any format is removed, pixels and orientation stay;
damaged files never crash the scanner; coarsening stays within its grid."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from remedy_photos import photo

from geoleak.extract.media import read_media
from geoleak.geometry import haversine_m
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.model import ScrubOptions, Unsupported
from geoleak.remedy.tiff import coarse_position
from geoleak.types import LatLon

lats = st.floats(min_value=-89.9, max_value=89.9, allow_nan=False).filter(lambda v: abs(v) > 1e-3)
lons = st.floats(min_value=-179.99, max_value=179.99, allow_nan=False).filter(
    lambda v: abs(v) > 1e-3
)


def apply(data: bytes, opts: ScrubOptions) -> bytes:
    scan = scan_bytes(data, opts)
    out = bytearray(data)
    for patch in scan.patches:
        out[patch.offset : patch.end] = patch.data
    assert len(out) == len(data)
    return bytes(out)


def read_bytes(tmp: Path, data: bytes, suffix: str) -> tuple[object, bytes, int | None]:
    path = tmp / f"x{suffix}"
    path.write_bytes(data)
    meta = read_media(path)
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        pixels = im.tobytes()
        orientation = im.getexif().get(0x0112)
    return meta, pixels, orientation


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lat=lats, lon=lons, fmt=st.sampled_from(["JPEG", "PNG", "WEBP", "TIFF"]))
def test_any_position_is_removed_losslessly(
    tmp_path: Path, lat: float, lon: float, fmt: str
) -> None:
    suffix = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif"}[fmt]
    original = photo(lat, lon, datetime(2026, 5, 1, 22, 10), fmt=fmt)
    before, pixels, orientation = read_bytes(tmp_path, original, suffix)
    assert before.position is not None  # type: ignore[attr-defined]
    assert abs(before.position.lat - lat) < 1e-4  # type: ignore[attr-defined]
    cleaned = apply(original, ScrubOptions())
    after, pixels_after, orientation_after = read_bytes(tmp_path, cleaned, suffix)
    assert after.position is None  # type: ignore[attr-defined]
    assert pixels_after == pixels and orientation_after == orientation
    assert after.capture_time == before.capture_time  # type: ignore[attr-defined]
    # scanning the cleaned file finds nothing more to do
    assert scan_bytes(cleaned, ScrubOptions()).patches == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lat=lats, lon=lons, km=st.sampled_from([0.5, 2.0, 10.0, 50.0]))
def test_coarsened_position_is_on_the_grid_and_near(
    tmp_path: Path, lat: float, lon: float, km: float
) -> None:
    original = photo(lat, lon, datetime(2026, 5, 1, 9, 0))
    cleaned = apply(original, ScrubOptions(coarsen_km=km))
    path = tmp_path / "c.jpg"
    path.write_bytes(cleaned)
    coarse = read_media(path).position
    exact = read_media_bytes(tmp_path, original)
    if coarse is None:  # snapped onto (0, 0): read as a placeholder, which is also not precise
        assert abs(exact.lat) < km / 100 and abs(exact.lon) < km / 50
        return
    grid = coarse_position(exact.lat, exact.lon, km)
    assert coarse.lat == pytest.approx(grid[0], abs=2e-4)
    assert coarse.lon == pytest.approx(grid[1], abs=2e-4)
    if abs(exact.lat) < 85:
        assert haversine_m(exact, coarse) <= km * 1000 * 0.75 + 50


def read_media_bytes(tmp: Path, data: bytes) -> LatLon:
    path = tmp / "o.jpg"
    path.write_bytes(data)
    position = read_media(path).position
    assert position is not None
    return position


@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180), km=st.floats(0.01, 500))
def test_coarse_position_is_idempotent_and_valid(lat: float, lon: float, km: float) -> None:
    c_lat, c_lon = coarse_position(lat, lon, km)
    assert -90 <= c_lat <= 90 and -180 <= c_lon <= 180
    assert coarse_position(c_lat, c_lon, km) == pytest.approx((c_lat, c_lon), abs=1e-5)


SAMPLE = photo(59.91, 10.75, datetime(2026, 1, 1, 12, 0))


@settings(max_examples=200, deadline=None)
@given(
    cut=st.integers(0, len(SAMPLE)),
    flips=st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), max_size=8),
)
def test_damaged_files_never_crash_the_scanner(cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(SAMPLE[:cut])
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    try:
        scan = scan_bytes(bytes(data), ScrubOptions())
    except Unsupported:
        return
    for patch in scan.patches:
        assert patch.offset >= 0 and patch.end <= len(data)
