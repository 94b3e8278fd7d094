"""MBTiles and PMTiles reading, and the choice of tiles a page inlines."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tile_fixtures import ZOOM_COLOURS, make_mbtiles, make_pmtiles, solid_png, tiles_around

from geoleak.report.tilesets import (
    BasemapError,
    open_tileset,
    plain_attribution,
    select_tiles,
    tile_of,
    zxy_to_tileid,
)
from geoleak.types import LatLon

BOX = (64.15, 23.95, 64.35, 24.30)  # south, west, north, east: the demo unit's area


@pytest.fixture
def tiles() -> dict[tuple[int, int, int], bytes]:
    return tiles_around(*BOX, range(8, 14))


def test_tileid_matches_the_pmtiles_spec() -> None:
    # values from the PMTiles v3 spec: zoom 0, the four tiles of zoom 1 in Hilbert order
    assert zxy_to_tileid(0, 0, 0) == 0
    assert [zxy_to_tileid(1, x, y) for x, y in ((0, 0), (0, 1), (1, 1), (1, 0))] == [1, 2, 3, 4]
    assert zxy_to_tileid(2, 0, 0) == 5
    assert zxy_to_tileid(3, 0, 0) == 21
    with pytest.raises(ValueError, match="outside"):
        zxy_to_tileid(2, 4, 0)


@given(
    st.integers(0, 12).flatmap(
        lambda z: st.tuples(st.just(z), st.integers(0, (1 << z) - 1), st.integers(0, (1 << z) - 1))
    )
)
def test_tileids_of_a_zoom_are_a_permutation_of_its_range(zxy: tuple[int, int, int]) -> None:
    z, x, y = zxy
    first = ((1 << (2 * z)) - 1) // 3
    assert first <= zxy_to_tileid(z, x, y) < first + (1 << (2 * z))


def test_tileids_are_distinct_at_zoom_4() -> None:
    ids = {zxy_to_tileid(4, x, y) for x in range(16) for y in range(16)}
    assert len(ids) == 256


@given(
    st.floats(-85, 85, allow_nan=False),
    st.floats(-180, 179.999, allow_nan=False),
    st.integers(0, 18),
)
def test_tile_of_holds_the_point(lat: float, lon: float, z: int) -> None:
    x, y = tile_of(LatLon(lat, lon), z)
    n = 1 << z
    assert 0 <= x < n
    assert 0 <= y < n
    assert x <= (lon + 180) / 360 * n < x + 1.000001


def test_mbtiles_reads_tms_rows_and_plain_attribution(tmp_path: Path, tiles: dict) -> None:
    path = make_mbtiles(tmp_path / "street.mbtiles", tiles)
    before = path.read_bytes()
    tileset = open_tileset(path)
    assert (tileset.min_zoom, tileset.max_zoom, tileset.mime) == (8, 13, "image/png")
    assert tileset.attribution == "© Test Map contributors"  # the HTML link is dropped
    for key, data in tiles.items():
        assert tileset.tile(*key) == data
    z, x, y = next(iter(tiles))
    assert tileset.tile(z, x, (1 << z) - 1 - y) is None  # the TMS row itself is not XYZ
    tileset.close()
    assert path.read_bytes() == before  # opened read-only, nothing written


@pytest.mark.parametrize("leaf_size", [None, 7])
def test_pmtiles_reads_root_and_leaf_directories(
    tmp_path: Path, tiles: dict, leaf_size: int | None
) -> None:
    path = make_pmtiles(
        tmp_path / "street.pmtiles", tiles, tileid=zxy_to_tileid, leaf_size=leaf_size
    )
    tileset = open_tileset(path)
    assert (tileset.min_zoom, tileset.max_zoom, tileset.mime) == (8, 13, "image/png")
    assert tileset.attribution == "© Test Map contributors"
    for key, data in tiles.items():
        assert tileset.tile(*key) == data
    assert tileset.tile(13, 0, 0) is None
    tileset.close()


def test_bad_files_give_one_clear_line(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(BasemapError, match="neither an MBTiles"):
        open_tileset(text)
    with pytest.raises(BasemapError, match="cannot read"):
        open_tileset(tmp_path / "missing.mbtiles")
    vector = make_mbtiles(tmp_path / "vector.mbtiles", {(1, 0, 0): b"\x1a\x00"}, fmt="pbf")
    with pytest.raises(BasemapError, match="vector tiles"):
        open_tileset(vector)
    empty = tmp_path / "empty.mbtiles"
    sqlite3.connect(empty).execute("CREATE TABLE x (a)").connection.close()
    with pytest.raises(BasemapError, match="not a readable MBTiles"):
        open_tileset(empty)


def test_plain_attribution_keeps_text_only() -> None:
    assert plain_attribution('<a href="x">© OSM</a> <b>x</b>') == "© OSM x"


def test_select_tiles_takes_whole_levels_until_the_cap(tmp_path: Path, tiles: dict) -> None:
    tileset = open_tileset(make_mbtiles(tmp_path / "street.mbtiles", tiles))
    points = [LatLon(64.215, 24.087), LatLon(64.27, 24.15)]
    chosen = select_tiles(tileset, points)
    assert (chosen.min_zoom, chosen.max_zoom, chosen.capped) == (8, 13, "")
    for point in points:
        for z in range(8, 14):
            x, y = tile_of(point, z)
            assert f"{z}/{x}/{y}" in chosen.tiles
    capped = select_tiles(tileset, points, max_tiles=12)
    assert capped.max_zoom < 13
    assert "cap of 12 tiles" in capped.capped
    zooms = {int(key.split("/")[0]) for key in capped.tiles}
    assert zooms == set(range(8, capped.max_zoom + 1))  # whole levels only
    by_bytes = select_tiles(tileset, points, max_bytes=len(solid_png(ZOOM_COLOURS[8])) * 3)
    assert "MB per page" in by_bytes.capped
    far = select_tiles(tileset, [LatLon(-33.9, 151.2)])  # Sydney: not in the file
    assert far.tiles == {}
    tileset.close()
