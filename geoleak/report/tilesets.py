"""Street-level basemaps without internet: raster tiles read from a local MBTiles or PMTiles file.

A trainer brings a regional raster extract (QGIS "Generate XYZ tiles (MBTiles)", MapTiler,
TileMill, or any PMTiles raster archive) on a USB stick. geoleak reads it, picks only the
tiles a page needs (around that page's evidence, from the file's minimum to its maximum
zoom, within a count and byte budget) and inlines them as data URIs, so the pages stay
self-contained and work offline. Nothing is fetched from anywhere.

- MBTiles (https://github.com/mapbox/mbtiles-spec): an SQLite database with tables
  `metadata(name, value)` and `tiles(zoom_level, tile_column, tile_row, tile_data)`;
  `tile_row` counts from the south (TMS), so y is flipped against the XYZ scheme used here.
- PMTiles v3 (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md): a 127-byte
  header, a root directory and leaf directories of (tile id, offset, length, run length)
  entries, tile ids numbered along a Hilbert curve per zoom level. Raster tiles only.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import sqlite3
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Protocol

from geoleak.errors import GeoleakError
from geoleak.types import LatLon

__all__ = [
    "BasemapError",
    "EmbeddedTiles",
    "MBTiles",
    "PMTiles",
    "TileSet",
    "open_tileset",
    "select_tiles",
    "tile_of",
    "zxy_to_tileid",
]

MAX_TILES = 1500  # per page; about 20 MB of typical 256 px PNGs before base64
MAX_BYTES = 12_000_000  # per page, tile bytes before base64 (about 16 MB in the page)
_MAX_LAT = 85.05112878  # Web Mercator's limit


class BasemapError(GeoleakError, ValueError):
    """A --basemap file that cannot be used (not MBTiles/PMTiles, vector tiles, unreadable)."""


_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


def _sniff_mime(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_attribution(value: str) -> str:
    """Attribution text without markup (MBTiles files often hold HTML links)."""
    parser = _TextOnly()
    parser.feed(value)
    parser.close()
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


class TileSet(Protocol):
    """A raster tile source in the XYZ scheme (y counted from the north)."""

    path: Path
    name: str
    attribution: str
    min_zoom: int
    max_zoom: int
    mime: str

    def tile(self, z: int, x: int, y: int) -> bytes | None: ...

    def close(self) -> None: ...


class MBTiles:
    """A raster MBTiles file, opened read-only (the user's file is never modified)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            # mode=ro and immutable: never create a journal or touch the file
            uri = self.path.resolve().as_uri() + "?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True)
            rows = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = self._db.execute(
                "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles"
            ).fetchone()
            sample = self._db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        except sqlite3.Error as exc:
            raise BasemapError(
                f"{self.path}: not a readable MBTiles file ({exc}); expected an SQLite file "
                "with tables metadata and tiles"
            ) from exc
        fmt = str(rows.get("format") or "").lower()
        if fmt in {"pbf", "mvt"}:
            raise BasemapError(
                f"{self.path}: holds vector tiles (format {fmt}); geoleak needs raster tiles "
                "(png, jpg or webp), e.g. QGIS 'Generate XYZ tiles (MBTiles)'"
            )
        if zooms is None or zooms[0] is None or sample is None:
            raise BasemapError(f"{self.path}: the MBTiles file holds no tiles")
        self.mime = _MIME.get(fmt) or _sniff_mime(bytes(sample[0])) or ""
        if not self.mime:
            raise BasemapError(
                f"{self.path}: tiles are neither PNG, JPEG nor WebP (format {fmt or 'unset'})"
            )
        self.name = str(rows.get("name") or self.path.stem)
        self.attribution = plain_attribution(str(rows.get("attribution") or ""))
        self.min_zoom, self.max_zoom = int(zooms[0]), int(zooms[1])

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        row = self._db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, (1 << z) - 1 - y),  # TMS rows count from the south
        ).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        self._db.close()


# --- PMTiles v3 -------------------------------------------------------------------------


def _rotate(n: int, x: int, y: int, rx: int, ry: int) -> tuple[int, int]:
    if ry == 0:
        if rx != 0:
            x = n - 1 - x
            y = n - 1 - y
        x, y = y, x
    return x, y


def zxy_to_tileid(z: int, x: int, y: int) -> int:
    """PMTiles tile id: tiles of all lower zooms first, then the Hilbert index at zoom z."""
    if not 0 <= x < (1 << z) or not 0 <= y < (1 << z):
        raise ValueError(f"tile {z}/{x}/{y} is outside zoom {z}")
    acc = ((1 << (2 * z)) - 1) // 3
    n = 1 << z
    s = n >> 1
    d = 0
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        d += s * s * ((3 * rx) ^ ry)
        x, y = _rotate(n, x, y, rx, ry)
        s >>= 1
    return acc + d


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise BasemapError("truncated varint in a PMTiles directory")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise BasemapError("varint too long in a PMTiles directory")


@dataclass(frozen=True, slots=True)
class _Entry:
    tile_id: int
    offset: int
    length: int
    run_length: int


def _directory(data: bytes) -> list[_Entry]:
    count, pos = _varint(data, 0)
    ids: list[int] = []
    runs: list[int] = []
    lengths: list[int] = []
    offsets: list[int] = []
    last = 0
    for _ in range(count):
        delta, pos = _varint(data, pos)
        last += delta
        ids.append(last)
    for _ in range(count):
        value, pos = _varint(data, pos)
        runs.append(value)
    for _ in range(count):
        value, pos = _varint(data, pos)
        lengths.append(value)
    for i in range(count):
        value, pos = _varint(data, pos)
        if value == 0 and i > 0:
            offsets.append(offsets[i - 1] + lengths[i - 1])  # contiguous with the previous
        else:
            offsets.append(value - 1)
    return [_Entry(*entry) for entry in zip(ids, offsets, lengths, runs, strict=True)]


_PMTILES_TYPES = {2: "image/png", 3: "image/jpeg", 4: "image/webp"}


class PMTiles:
    """A raster PMTiles v3 archive (gzip or uncompressed directories)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._file = self.path.open("rb")
            header = self._file.read(127)
        except OSError as exc:
            raise BasemapError(f"{self.path}: cannot read: {exc.strerror or exc}") from exc
        if len(header) < 127 or header[:7] != b"PMTiles":
            self._file.close()
            raise BasemapError(f"{self.path}: not a PMTiles file")
        if header[7] != 3:
            self._file.close()
            raise BasemapError(f"{self.path}: PMTiles version {header[7]}; geoleak reads v3")
        (
            self._root_offset,
            self._root_length,
            self._meta_offset,
            self._meta_length,
            self._leaf_offset,
            _leaf_length,
            self._data_offset,
        ) = struct.unpack_from("<7Q", header, 8)
        self._internal_compression = header[97]
        self._tile_compression = header[98]
        tile_type = header[99]
        self.min_zoom, self.max_zoom = header[100], header[101]
        if tile_type == 1:
            self._file.close()
            raise BasemapError(
                f"{self.path}: holds vector tiles; geoleak needs a raster (png/jpg/webp) archive"
            )
        mime = _PMTILES_TYPES.get(tile_type)
        if mime is None:
            self._file.close()
            raise BasemapError(f"{self.path}: unsupported PMTiles tile type {tile_type}")
        if self._internal_compression not in (1, 2) or self._tile_compression not in (0, 1, 2):
            self._file.close()
            raise BasemapError(
                f"{self.path}: PMTiles compression {self._internal_compression}/"
                f"{self._tile_compression} is not supported (only none and gzip)"
            )
        self.mime = mime
        self._dirs: dict[tuple[int, int], list[_Entry]] = {}
        meta: dict[str, object] = {}
        if self._meta_length:
            try:
                meta = json.loads(
                    self._decompress(self._read(self._meta_offset, self._meta_length))
                )
            except (ValueError, OSError):
                meta = {}
        self.name = str(meta.get("name") or self.path.stem)
        self.attribution = plain_attribution(str(meta.get("attribution") or ""))

    def _read(self, offset: int, length: int) -> bytes:
        self._file.seek(offset)
        data = self._file.read(length)
        if len(data) != length:
            raise BasemapError(f"{self.path}: truncated PMTiles file")
        return data

    def _decompress(self, data: bytes, compression: int | None = None) -> bytes:
        kind = self._internal_compression if compression is None else compression
        if kind == 2:
            try:
                return gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise BasemapError(f"{self.path}: corrupt gzip data in PMTiles") from exc
        return data

    def _dir(self, offset: int, length: int) -> list[_Entry]:
        key = (offset, length)
        if key not in self._dirs:
            self._dirs[key] = _directory(self._decompress(self._read(offset, length)))
        return self._dirs[key]

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not self.min_zoom <= z <= self.max_zoom:
            return None
        tile_id = zxy_to_tileid(z, x, y)
        offset, length = self._root_offset, self._root_length
        for _depth in range(4):  # the spec allows at most three levels of leaves
            entries = self._dir(offset, length)
            entry = _find(entries, tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                data = self._read(self._data_offset + entry.offset, entry.length)
                return self._decompress(data, self._tile_compression)
            offset, length = self._leaf_offset + entry.offset, entry.length
        return None

    def close(self) -> None:
        self._file.close()


def _find(entries: Sequence[_Entry], tile_id: int) -> _Entry | None:
    lo, hi = 0, len(entries) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if entries[mid].tile_id < tile_id:
            lo = mid + 1
        elif entries[mid].tile_id > tile_id:
            hi = mid - 1
        else:
            return entries[mid]
    # not an exact hit: the entry before may be a run covering it, or a leaf pointer
    if hi >= 0:
        entry = entries[hi]
        if entry.run_length == 0 or tile_id - entry.tile_id < entry.run_length:
            return entry
    return None


def open_tileset(path: str | Path) -> TileSet:
    """Open a local MBTiles or PMTiles raster file, chosen by its first bytes."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            magic = handle.read(16)
    except OSError as exc:
        raise BasemapError(f"--basemap {file}: cannot read: {exc.strerror or exc}") from exc
    if magic.startswith(b"PMTiles"):
        return PMTiles(file)
    if magic.startswith(b"SQLite format 3\x00"):
        return MBTiles(file)
    raise BasemapError(
        f"--basemap {file}: neither an MBTiles (SQLite) nor a PMTiles file; see README "
        "'Street-level maps offline' for how to make one"
    )


# --- choosing the tiles a page needs -------------------------------------------------------


def tile_of(position: LatLon, z: int) -> tuple[int, int]:
    """The XYZ tile (x, y) holding a position at zoom z (Web Mercator)."""
    n = 1 << z
    lat = max(-_MAX_LAT, min(_MAX_LAT, position.lat))
    lon = ((position.lon + 180.0) % 360.0) - 180.0
    x = int((lon + 180.0) / 360.0 * n)
    # Mercator y needs radians
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(n - 1, max(0, x)), min(n - 1, max(0, y))


@dataclass
class EmbeddedTiles:
    """The tiles chosen for one page, ready to inline (XYZ keys "z/x/y" -> bytes)."""

    name: str
    attribution: str
    mime: str
    min_zoom: int
    max_zoom: int  # the highest zoom whose tiles were all included
    tiles: dict[str, bytes] = field(default_factory=dict)
    capped: str = ""  # why higher zooms were left out, for the user

    @property
    def size_bytes(self) -> int:
        return sum(len(t) for t in self.tiles.values())


def _level_tiles(
    positions: Sequence[LatLon], z: int, *, margin_m: float, ring: int, area_limit: int
) -> set[tuple[int, int]]:
    """Tiles at zoom z: the whole box around the points when small, else rings around each."""
    lat_pad = margin_m / 111_320.0
    lats = [p.lat for p in positions]
    mean_lat = sum(lats) / len(lats)
    lon_pad = margin_m / (111_320.0 * max(0.05, math.cos(math.radians(mean_lat))))
    south, north = min(lats) - lat_pad, max(lats) + lat_pad
    lons = [p.lon for p in positions]
    west, east = min(lons) - lon_pad, max(lons) + lon_pad
    x0, y0 = tile_of(LatLon(min(_MAX_LAT, north), max(-180.0, west)), z)
    x1, y1 = tile_of(LatLon(max(-_MAX_LAT, south), min(180.0, east)), z)
    if max(lons) - min(lons) <= 180.0 and (x1 - x0 + 1) * (y1 - y0 + 1) <= area_limit:
        return {(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)}
    n = 1 << z
    chosen: set[tuple[int, int]] = set()
    for x, y in {tile_of(p, z) for p in positions}:
        for dx in range(-ring, ring + 1):
            for dy in range(-ring, ring + 1):
                if 0 <= y + dy < n:
                    chosen.add(((x + dx) % n, y + dy))
    return chosen


def select_tiles(
    tileset: TileSet,
    positions: Iterable[LatLon],
    *,
    margin_m: float = 3000.0,
    max_tiles: int = MAX_TILES,
    max_bytes: int = MAX_BYTES,
) -> EmbeddedTiles:
    """The tiles a page showing `positions` needs, zoom by zoom until a budget is reached.

    Each zoom level from the file's minimum up is taken whole (the box around the points
    plus `margin_m` while it is at most 64 tiles, else a ring of tiles around each point),
    so a level is either complete around the evidence or left out; the page draws higher
    zooms by enlarging the last complete level. `capped` says which levels were left out.
    """
    points = list(positions)
    embedded = EmbeddedTiles(
        name=tileset.name,
        attribution=tileset.attribution,
        mime=tileset.mime,
        min_zoom=tileset.min_zoom,
        max_zoom=tileset.min_zoom - 1,
    )
    if not points:
        return embedded
    total = 0
    for z in range(tileset.min_zoom, tileset.max_zoom + 1):
        wanted = _level_tiles(points, z, margin_m=margin_m, ring=1, area_limit=64)
        if len(embedded.tiles) + len(wanted) > max_tiles:
            embedded.capped = (
                f"zoom {z}-{tileset.max_zoom} left out: {len(wanted)} more tiles would pass "
                f"the cap of {max_tiles} tiles per page"
            )
            break
        level: dict[str, bytes] = {}
        for x, y in sorted(wanted):
            data = tileset.tile(z, x, y)
            if data is not None:
                level[f"{z}/{x}/{y}"] = data
                total += len(data)
        if total > max_bytes:
            embedded.capped = (
                f"zoom {z}-{tileset.max_zoom} left out: the tiles would pass the cap of "
                f"{max_bytes / 1e6:.0f} MB per page"
            )
            break
        embedded.tiles.update(level)
        embedded.max_zoom = z
    return embedded


def iter_keys(embedded: EmbeddedTiles) -> Iterator[tuple[int, int, int]]:
    for key in embedded.tiles:
        z, x, y = (int(part) for part in key.split("/"))
        yield z, x, y
