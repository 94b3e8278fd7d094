"""GoPro GPMF telemetry (the payload of a 'gpmd' track sample, or of a JPEG APP6 block).

GPMF is a KLV stream: a 4-character key, a 1-byte type, a 1-byte struct size and a
2-byte big-endian repeat count, then `size * repeat` bytes padded to 4. Type 0 nests
(DEVC holds STRMs, a STRM holds its sticky properties and its samples); type '?' is a
complex structure whose field types are given by the preceding TYPE entry. SCAL divides
each field (one value for all fields, or one per field).

GPS streams (gopro/gpmf-parser docs, "GPS" and "Karma"):

* `GPS5` (Hero5-Hero10): lat, lon (deg), alt (m), 2D and 3D speed; time from the
  stream's sticky `GPSU` ('yymmddhhmmss.sss', UTC), fix from `GPSF`, DOP x100 from `GPSP`.
* `GPS9` (Hero11+): lat, lon, alt, 2D and 3D speed, days since 2000-01-01, seconds since
  midnight (UTC), DOP, fix type; each entry carries its own time.
* `GPRI` (Karma drone "GPS RAW", TYPE 'JlllSSSSBB'): time (us, camera clock), lat, lon,
  alt, eph, epv, velocity, course, fix type, satellites; no UTC time of its own.
* `GLPI` (Karma "Position", TYPE 'LllllsssS'): time (ms, camera clock), lat, lon, alt,
  relative alt, speeds, course; no fix field and no UTC time (exiftool dates it through
  the SYST clock map, which is the camera's clock, not GPS time).

Walks are bounded (entries, nesting depth, fixes), so crafted bytes can neither loop nor
allocate more than they hold.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["GpsFix", "Klv", "gps_fixes", "iter_klv"]

MAX_ENTRIES = 20_000
MAX_DEPTH = 4
MAX_FIXES = 100_000

# type char -> (struct code, byte size) for numeric types
_NUMERIC = {
    "b": ("b", 1), "B": ("B", 1), "s": ("h", 2), "S": ("H", 2), "l": ("i", 4),
    "L": ("I", 4), "f": ("f", 4), "d": ("d", 8), "j": ("q", 8), "J": ("Q", 8),
}  # fmt: skip
_GPS_EPOCH_2000 = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Klv:
    """One entry: `body` is the offset of its value bytes, `length` = size * repeat."""

    key: bytes
    type: str
    struct_size: int
    repeat: int
    body: int

    @property
    def length(self) -> int:
        return self.struct_size * self.repeat


@dataclass(frozen=True, slots=True)
class GpsFix:
    """One GPS entry; `time` is UTC when the stream gives one, `fix` 0 = no fix."""

    lat: float
    lon: float
    alt_m: float | None
    time: datetime | None
    dop: float | None
    fix: int | None
    stream: str


def iter_klv(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Klv]:
    """Entries of one level; stops at the first entry that overruns `end`."""
    end = len(data) if end is None else min(end, len(data))
    pos = start
    count = 0
    while pos + 8 <= end and count < MAX_ENTRIES:
        count += 1
        key = bytes(data[pos : pos + 4])
        if key == b"\x00\x00\x00\x00":
            return  # padding at the end of a sample
        vtype = chr(data[pos + 4])
        struct_size = data[pos + 5]
        (repeat,) = struct.unpack_from(">H", data, pos + 6)
        entry = Klv(key, vtype, struct_size, repeat, pos + 8)
        if entry.body + entry.length > end:
            return
        yield entry
        pos = entry.body + ((entry.length + 3) & ~3)


def _numbers(data: bytes, entry: Klv) -> tuple[float, ...]:
    spec = _NUMERIC.get(entry.type)
    if spec is None:
        return ()
    code, size = spec
    count = entry.length // size
    return tuple(float(v) for v in struct.unpack_from(f">{count}{code}", data, entry.body))


def _records(data: bytes, entry: Klv, layout: str) -> list[tuple[float, ...]]:
    """Entries of a numeric or '?' stream as tuples of floats (unscaled)."""
    if entry.type == "?":
        codes = []
        for char in layout:
            spec = _NUMERIC.get(char)
            if spec is None:
                return []
            codes.append(spec[0])
        fmt = ">" + "".join(codes)
        if not codes or struct.calcsize(fmt) != entry.struct_size:
            return []
    else:
        spec = _NUMERIC.get(entry.type)
        if spec is None or entry.struct_size % spec[1]:
            return []
        fmt = f">{entry.struct_size // spec[1]}{spec[0]}"
    return [
        tuple(float(v) for v in struct.unpack_from(fmt, data, entry.body + i * entry.struct_size))
        for i in range(entry.repeat)
    ]


def _gpsu_time(raw: bytes) -> datetime | None:
    """GPSU 'yymmddhhmmss.sss' (UTC)."""
    try:
        text = raw.decode("ascii")
        moment = datetime.strptime(text[:12], "%y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        return moment + timedelta(milliseconds=int(text[13:16] or 0))
    except (ValueError, UnicodeDecodeError):
        return None


def _scaled(record: tuple[float, ...], scale: tuple[float, ...]) -> list[float]:
    """One SCAL value divides every field; several divide field by field (0 or missing = 1)."""
    if len(scale) == 1:
        scale = scale * len(record)
    return [
        value / scale[i] if i < len(scale) and scale[i] else value for i, value in enumerate(record)
    ]


def _stream_fixes(data: bytes, strm: Klv, out: list[GpsFix]) -> None:
    scale: tuple[float, ...] = ()
    layout = ""
    gpsu: datetime | None = None
    fix: int | None = None
    dop: float | None = None
    for entry in iter_klv(data, strm.body, strm.body + strm.length):
        if entry.key == b"SCAL":
            scale = _numbers(data, entry)
        elif entry.key == b"TYPE" and entry.type == "c":
            layout = bytes(data[entry.body : entry.body + entry.length]).decode("latin-1")
            layout = layout.rstrip("\x00")
        elif entry.key == b"GPSU" and entry.type in ("U", "c") and entry.length >= 16:
            gpsu = _gpsu_time(bytes(data[entry.body : entry.body + 16]))
        elif entry.key == b"GPSF":
            values = _numbers(data, entry)
            fix = int(values[0]) if values else None
        elif entry.key == b"GPSP":
            values = _numbers(data, entry)
            dop = values[0] / 100.0 if values else None
        elif entry.key in (b"GPS5", b"GPS9", b"GPRI", b"GLPI"):
            stream = entry.key.decode("ascii")
            for record in _records(data, entry, layout):
                if len(out) >= MAX_FIXES:
                    return
                row = _scaled(record, scale)
                if stream in ("GPRI", "GLPI"):  # camera-clock time first, then lat, lon, alt
                    if len(row) < 4:
                        continue
                    lat, lon, alt = row[1], row[2], row[3]
                    row_fix = int(record[8]) if stream == "GPRI" and len(record) > 8 else None
                    out.append(GpsFix(lat, lon, alt, None, None, row_fix, stream))
                    continue
                if len(row) < 3:
                    continue
                lat, lon, alt = row[0], row[1], row[2]
                when, row_dop, row_fix = gpsu, dop, fix
                if stream == "GPS9" and len(row) >= 9:
                    try:
                        when = _GPS_EPOCH_2000 + timedelta(days=row[5], seconds=row[6])
                    except OverflowError:
                        when = None
                    row_dop, row_fix = row[7], int(record[8])
                out.append(GpsFix(lat, lon, alt, when, row_dop, row_fix, stream))


def gps_fixes(data: bytes) -> list[GpsFix]:
    """Every GPS5/GPS9/GPRI/GLPI entry of a GPMF payload, in order; malformed parts are skipped."""
    out: list[GpsFix] = []

    def walk(start: int, end: int, depth: int) -> None:
        for entry in iter_klv(data, start, end):
            if entry.key == b"STRM" and entry.type == "\x00":
                _stream_fixes(data, entry, out)
            elif entry.type == "\x00" and depth < MAX_DEPTH:
                walk(entry.body, entry.body + entry.length, depth + 1)

    with contextlib.suppress(struct.error, IndexError, ValueError, OverflowError):
        walk(0, len(data), 0)
    return out
