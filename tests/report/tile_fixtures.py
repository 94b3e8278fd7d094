"""Small raster tile files for the basemap tests: MBTiles (SQLite) and PMTiles v3, made here.

Each tile is one solid colour chosen by its zoom level (`ZOOM_COLOURS`), so a screenshot
tells which level the browser drew. The PMTiles writer is independent of geoleak's reader
except for the tile id function, which is checked against the spec's own values.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import sqlite3
import struct
from pathlib import Path

from PIL import Image

ZOOM_COLOURS = dict(
    enumerate(
        [(200, 30, 30)] * 8
        + [(230, 60, 40), (40, 160, 60), (40, 90, 200), (220, 180, 20), (150, 50, 170)]
        + [(20, 170, 170)] * 8
    )
)


def tile_xy(lat: float, lon: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def solid_png(colour: tuple[int, int, int], size: int = 256) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def tiles_around(
    south: float, west: float, north: float, east: float, zooms: range
) -> dict[tuple[int, int, int], bytes]:
    """Every tile of the box at each zoom, coloured by zoom."""
    found = {}
    for z in zooms:
        x0, y0 = tile_xy(north, west, z)
        x1, y1 = tile_xy(south, east, z)
        png = solid_png(ZOOM_COLOURS[z])
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                found[(z, x, y)] = png
    return found


def make_mbtiles(
    path: Path,
    tiles: dict[tuple[int, int, int], bytes],
    *,
    attribution: str = '<a href="https://example.org/">© Test Map contributors</a>',
    fmt: str = "png",
) -> Path:
    """An MBTiles file as QGIS writes it (TMS rows: y counted from the south)."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name text, value text)")
    db.execute(
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, "
        "tile_data blob)"
    )
    zooms = sorted({z for z, _x, _y in tiles})
    for name, value in (
        ("name", "Test street map"),
        ("format", fmt),
        ("attribution", attribution),
        ("minzoom", str(zooms[0]) if zooms else "0"),
        ("maxzoom", str(zooms[-1]) if zooms else "0"),
    ):
        db.execute("INSERT INTO metadata VALUES (?, ?)", (name, value))
    db.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
    )
    db.commit()
    db.close()
    return path


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _directory(entries: list[tuple[int, int, int, int]]) -> bytes:
    """entries: (tile_id, offset, length, run_length), sorted by tile id."""
    out = bytearray(_varint(len(entries)))
    last = 0
    for tile_id, *_ in entries:
        out += _varint(tile_id - last)
        last = tile_id
    for *_, run in entries:
        out += _varint(run)
    for _id, _offset, length, _run in entries:
        out += _varint(length)
    for i, (_id, offset, _length, _run) in enumerate(entries):
        contiguous = i > 0 and offset == entries[i - 1][1] + entries[i - 1][2]
        out += _varint(0 if contiguous else offset + 1)
    return bytes(out)


def make_pmtiles(
    path: Path,
    tiles: dict[tuple[int, int, int], bytes],
    *,
    tileid,
    leaf_size: int | None = None,
    attribution: str = "© Test Map contributors",
) -> Path:
    """A PMTiles v3 archive with gzip directories; with `leaf_size`, a root of leaf pointers.

    Identical tiles share one copy of their bytes (as real archives deduplicate them).
    """
    ordered = sorted((tileid(z, x, y), data) for (z, x, y), data in tiles.items())
    blob = bytearray()
    where: dict[bytes, int] = {}
    entries = []
    for tile_id, data in ordered:
        if data not in where:
            where[data] = len(blob)
            blob += data
        entries.append((tile_id, where[data], len(data), 1))
    leaves = b""
    if leaf_size:
        root_entries = []
        for start in range(0, len(entries), leaf_size):
            chunk = gzip.compress(_directory(entries[start : start + leaf_size]))
            root_entries.append((entries[start][0], len(leaves), len(chunk), 0))
            leaves += chunk
        root = gzip.compress(_directory(root_entries))
    else:
        root = gzip.compress(_directory(entries))
    meta = gzip.compress(json.dumps({"name": "Test PMTiles", "attribution": attribution}).encode())
    zooms = sorted({z for z, _x, _y in tiles})
    root_offset = 127
    meta_offset = root_offset + len(root)
    leaf_offset = meta_offset + len(meta)
    data_offset = leaf_offset + len(leaves)
    header = b"PMTiles" + bytes([3])
    header += struct.pack(
        "<7Q",
        root_offset,
        len(root),
        meta_offset,
        len(meta),
        leaf_offset,
        len(leaves),
        data_offset,
    )
    header += struct.pack("<QQQQ", len(blob), len(entries), len(entries), len(where))
    header += bytes([1, 2, 1, 2, zooms[0], zooms[-1]])  # clustered, gzip dirs, raw png tiles
    header += struct.pack("<iiii", -1800000000, -850000000, 1800000000, 850000000)
    header += bytes([zooms[0]]) + struct.pack("<ii", 0, 0)
    assert len(header) == 127
    path.write_bytes(header + root + meta + leaves + bytes(blob))
    return path
