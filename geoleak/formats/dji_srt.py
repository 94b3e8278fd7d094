"""DJI drone telemetry subtitles: the `.SRT` file a DJI drone writes beside each video.

Each subtitle block is one frame or one second of flight. Its text varies by model and
firmware (samples: JuanIrache/DJI_SRT_Parser, tests/data/dji/SOURCES):

* Mavic Air 2 / Air 2S / Mini / Mavic 3: `[latitude: 41.424724] [longitude: 2.234156]`
  (older firmware writes `longtitude`), `[altitude: 117.0]` or `[rel_alt: .. abs_alt: ..]`,
  and a date line `2022-08-07 13:40:40,774,808`;
* Phantom 4 / Mavic Mini / P4 RTK: `GPS (lon, lat, satellites)`, `HOME (lon, lat, alt)`;
* Mavic Pro and older: `HOME(lon,lat) 2017.08.05 14:11:51` and `GPS(lon,lat,satellites)`;
* Matrice 300: `GPS(lat,lon,0.0M)`: latitude first when the third value is an altitude in
  metres with a capital M (as DJI_SRT_Parser reads it);
* some Mavic Air 2 firmware writes bracketed latitude/longitude in radians: when every one
  of a file's values lies within +-pi/2, +-pi and they span under 0.001 (a few km), they are
  converted, with a warning (such values in degrees would be a drone hovering over the Gulf
  of Guinea, far from land).

The date is the drone's local clock, without an offset. The HOME point is where the drone
took off: where its pilot stood. Positions of 0, 0 (no fix yet) are skipped by the caller
like any placeholder. Parsing is by regular expressions over bounded text: random bytes
give no fixes, never an error.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["DjiFix", "DjiTelemetry", "looks_like_dji_srt", "parse_dji_srt"]

MAX_BYTES = 256 * 1024 * 1024
MAX_FIXES = 1_000_000

_NUMBER = r"(-?\d+(?:\.\d+)?)"
_BRACKET_LAT = re.compile(r"\[\s*latitude\s*:\s*" + _NUMBER + r"\s*\]", re.IGNORECASE)
_BRACKET_LON = re.compile(r"\[\s*longt?itude\s*:\s*" + _NUMBER + r"\s*\]", re.IGNORECASE)
_ALTITUDE = re.compile(r"(?:\[\s*altitude\s*:|abs_alt\s*:)\s*" + _NUMBER, re.IGNORECASE)
_GPS = re.compile(r"\bGPS\s*\(\s*" + _NUMBER + r"\s*,\s*" + _NUMBER + r"\s*(?:,\s*([^)\n]*))?\)")
_AUTEL_GPS = re.compile(r"\bGPS\((W|E):(\d+(?:\.\d+)?),(N|S):(\d+(?:\.\d+)?)")
_HOME = re.compile(r"\bHOME\s*\(\s*" + _NUMBER + r"\s*,\s*" + _NUMBER)
_DATE = re.compile(
    r"\b(\d{4})[-.](\d{1,2})[-.](\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:[,.](\d{1,3}))?"
)
_TIMING = re.compile(r"^\s*(\d+):(\d{2}):(\d{2})[,.](\d{3})\s*-->", re.MULTILINE)
_MARKERS = re.compile(
    rb"\[\s*latitude|\bGPS\s*\(|\bHOME\s*\(|FrameCnt|SrtCnt|DiffTime", re.IGNORECASE
)
_BLOCK_START = re.compile(r"(?:^|\n)\s*\d+\s*\r?\n", re.MULTILINE)
_M300_ALT = re.compile(r"^\s*-?\d+(?:\.\d+)?M\s*$")


@dataclass(frozen=True, slots=True)
class DjiFix:
    """One block's position. `local_time` is the drone's clock (naive, local); `offset_s`
    the block's start in the video (seconds), from the subtitle timing."""

    lat: float
    lon: float
    alt_m: float | None = None
    local_time: datetime | None = None
    offset_s: float | None = None


@dataclass(slots=True)
class DjiTelemetry:
    fixes: list[DjiFix] = field(default_factory=list)
    home: tuple[float, float] | None = None  # (lat, lon) of the take-off point
    blocks: int = 0
    warnings: list[str] = field(default_factory=list)


def looks_like_dji_srt(head: bytes) -> bool:
    """True when a file's first bytes are DJI telemetry subtitles (not a film's subtitles)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return bool(text[:1].isdigit() and _MARKERS.search(head))


def _date(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        micro = int((fraction or "0").ljust(3, "0")[:3]) * 1000
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError:
        return None


def _blocks(text: str) -> list[str]:
    """Subtitle blocks: split at blank lines, or at index lines where blank lines are missing."""
    parts = [p for p in re.split(r"\r?\n\s*\r?\n", text) if p.strip()]
    if len(parts) <= 1 and text.count("\n") > 8:
        starts = [m.start() for m in _BLOCK_START.finditer(text)]
        parts = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    return parts


def _block_fix(block: str) -> tuple[float, float, bool] | None:
    """(lat, lon, from bracketed values) of one block, or None."""
    lat_m, lon_m = _BRACKET_LAT.search(block), _BRACKET_LON.search(block)
    if lat_m and lon_m:
        return float(lat_m.group(1)), float(lon_m.group(1)), True
    autel = _AUTEL_GPS.search(block)
    if autel:
        lon = float(autel.group(2)) * (-1 if autel.group(1) == "W" else 1)
        lat = float(autel.group(4)) * (-1 if autel.group(3) == "S" else 1)
        return lat, lon, False
    gps = _GPS.search(block)
    if gps:
        first, second, third = float(gps.group(1)), float(gps.group(2)), gps.group(3) or ""
        if _M300_ALT.match(third):  # Matrice 300: GPS(lat, lon, altitude M)
            return first, second, False
        return second, first, False  # GPS(lon, lat, satellites)
    return None


def parse_dji_srt(data: bytes) -> DjiTelemetry:
    """Every position of a DJI telemetry subtitle file, in file order."""
    text = data[:MAX_BYTES].decode("utf-8", "replace").lstrip("\ufeff")
    telemetry = DjiTelemetry()
    in_brackets: list[bool] = []  # per fix: read from [latitude] [longitude] (may be radians)
    for block in _blocks(text):
        telemetry.blocks += 1
        date_m = _DATE.search(block)
        timing = _TIMING.search(block)
        offset = None
        if timing:
            hours, minutes, seconds, millis = (int(g) for g in timing.groups())
            offset = hours * 3600 + minutes * 60 + seconds + millis / 1000
        home = _HOME.search(block)
        if home and telemetry.home is None:
            lon, lat = float(home.group(1)), float(home.group(2))
            if lat or lon:
                telemetry.home = (lat, lon)
        found = _block_fix(block)
        if found is None or len(telemetry.fixes) >= MAX_FIXES:
            continue
        lat, lon, bracketed = found
        alt_m = _ALTITUDE.search(block)
        telemetry.fixes.append(
            DjiFix(
                lat,
                lon,
                float(alt_m.group(1)) if alt_m else None,
                _date(date_m) if date_m else None,
                offset,
            )
        )
        in_brackets.append(bracketed)
    if _radians([f for f, b in zip(telemetry.fixes, in_brackets, strict=True) if b]):
        scale = 180.0 / math.pi
        telemetry.fixes = [
            DjiFix(f.lat * scale, f.lon * scale, f.alt_m, f.local_time, f.offset_s) if b else f
            for f, b in zip(telemetry.fixes, in_brackets, strict=True)
        ]
        telemetry.warnings.append(
            "latitude/longitude are in radians (a Mavic Air 2 firmware bug); converted to degrees"
        )
    return telemetry


def _radians(fixes: list[DjiFix]) -> bool:
    """DJI_SRT_Parser's test: every value within the radian ranges, spanning under 0.001."""
    lats = [f.lat for f in fixes if f.lat or f.lon]
    lons = [f.lon for f in fixes if f.lat or f.lon]
    if not lats:
        return False
    return (
        max(abs(v) for v in lats) <= math.pi / 2
        and max(abs(v) for v in lons) <= math.pi
        and max(lats) - min(lats) < 0.001
        and max(lons) - min(lons) < 0.001
    )
