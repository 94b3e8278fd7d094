"""Turning raw EXIF GPS values into a checked position. Pure functions, no I/O.

EXIF stores latitude and longitude as three rationals (degrees, minutes, seconds) and a
hemisphere reference ("N"/"S", "E"/"W"). Real files get this wrong in every way: zero
denominators, one or two values instead of three, minutes >= 60, values like 4294967295,
missing references and (0, 0) written when the device had no fix. Each of these gives a
warning and no position, never a wrong one.

Missing hemisphere reference: EXIF says the reference is required. We assume the
northern / eastern hemisphere (the reading of exiftool and of most viewers), keep the
position, and warn that its sign is uncertain.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from geoleak.types import LatLon

__all__ = [
    "GpsReading",
    "GpsValueError",
    "checked_position",
    "dms_to_degrees",
    "parse_exif_datetime",
    "position_from_exif",
    "rational",
]


class GpsValueError(ValueError):
    """A GPS value that cannot be turned into a number."""


def rational(value: Any) -> float:
    """A float from an EXIF rational in any form a reader returns.

    Accepts numbers, (num, den) pairs, Fractions, Pillow's IFDRational and exifread's
    Ratio. A zero denominator or a non-finite value raises GpsValueError.
    """
    if type(value) is tuple and len(value) == 2:  # our TIFF reader's (int, int): most calls
        num, den = value
        if type(num) is int and type(den) is int and den:
            return float(num) / float(den)  # (EXIF's 32-bit ints are exact as floats)
    num = getattr(value, "numerator", None)
    den = getattr(value, "denominator", None)
    if num is None and isinstance(value, (tuple, list)) and len(value) == 2:
        num, den = value
    if num is not None and den is not None and not isinstance(value, (int, bool)):
        try:
            num_f, den_f = float(num), float(den)
        except (TypeError, ValueError):
            raise GpsValueError(f"not a rational: {value!r}") from None
        if den_f == 0:
            raise GpsValueError(f"zero denominator in {num}/{den}")
        result = num_f / den_f
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = float(value)
    else:
        raise GpsValueError(f"not a number: {value!r}")
    if not math.isfinite(result):
        raise GpsValueError(f"not a finite number: {value!r}")
    return result


def dms_to_degrees(values: Any, what: str) -> float:
    """Degrees from EXIF's (deg, min, sec); also accepts a single decimal-degrees value.

    Raises GpsValueError naming `what` when the values are malformed.
    """
    if isinstance(values, (str, bytes)):
        raise GpsValueError(f"{what} is text ({values!r}), expected numbers")
    if not isinstance(values, (tuple, list)) and not isinstance(values, Sequence):
        values = (values,)
    if len(values) not in (1, 2, 3):
        raise GpsValueError(f"{what} has {len(values)} values, expected 3")
    try:
        parts = [rational(v) for v in values]
    except GpsValueError as exc:
        raise GpsValueError(f"{what}: {exc}") from None
    if any(p < 0 for p in parts):
        raise GpsValueError(f"{what} has a negative component {parts}")
    if len(parts) > 1 and parts[1] >= 60.0:
        raise GpsValueError(f"{what} minutes {parts[1]} are 60 or more")
    if len(parts) > 2 and parts[2] >= 60.0 + 1e-9:
        raise GpsValueError(f"{what} seconds {parts[2]} are 60 or more")
    return sum(p / 60.0**i for i, p in enumerate(parts))


class GpsReading:
    """The outcome of reading a GPS block: a position or None, and the warnings."""

    __slots__ = ("position", "warnings")

    def __init__(self, position: LatLon | None, warnings: list[str]) -> None:
        self.position = position
        self.warnings = warnings


def _ref(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    text = str(value).strip("\x00 ").upper()
    return text[:1] or None


def position_from_exif(
    lat: Any, lat_ref: Any, lon: Any, lon_ref: Any, *, what: str = "GPS"
) -> GpsReading:
    """A checked position from the four EXIF GPS tags (any may be None)."""
    warnings: list[str] = []
    if lat is None and lon is None:
        return GpsReading(None, warnings)
    if lat is None or lon is None:
        missing = "GPSLatitude" if lat is None else "GPSLongitude"
        return GpsReading(None, [f"{what}: {missing} is missing; position ignored"])
    try:
        lat_deg = dms_to_degrees(lat, "GPSLatitude")
        lon_deg = dms_to_degrees(lon, "GPSLongitude")
    except GpsValueError as exc:
        return GpsReading(None, [f"{what}: {exc}; position ignored"])
    lat_r, lon_r = _ref(lat_ref), _ref(lon_ref)
    if lat_r not in ("N", "S") or lon_r not in ("E", "W"):
        if lat_r is None or lon_r is None:
            warnings.append(
                f"{what}: hemisphere reference missing; assumed north/east, sign uncertain"
            )
        else:
            warnings.append(
                f"{what}: hemisphere reference {lat_r!r}/{lon_r!r} is not N/S, E/W; "
                "assumed north/east"
            )
    if lat_r == "S":
        lat_deg = -lat_deg
    if lon_r == "W":
        lon_deg = -lon_deg
    return checked_position(lat_deg, lon_deg, warnings, what=what)


def checked_position(
    lat: float, lon: float, warnings: list[str] | None = None, *, what: str = "GPS"
) -> GpsReading:
    """Range and Null Island checks for a decimal position from any source."""
    warnings = [] if warnings is None else warnings
    if not (math.isfinite(lat) and math.isfinite(lon)):
        warnings.append(f"{what}: position is not finite; ignored")
        return GpsReading(None, warnings)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        warnings.append(f"{what}: position {lat:.6f}, {lon:.6f} is out of range; ignored")
        return GpsReading(None, warnings)
    position = LatLon(lat, lon)
    if position.is_null_island:
        warnings.append(
            f"{what}: position is 0, 0 (Null Island), a placeholder for no fix; ignored"
        )
        return GpsReading(None, warnings)
    return GpsReading(position, warnings)


# 'YYYY:MM:DD HH:MM:SS' with its NUL, as EXIF writes it (a year 0000 is a placeholder)
_EXIF_FORM = re.compile(rb"(?!0000)[0-9]{4}:[0-9]{2}:[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\x00?")


def parse_exif_datetime(value: Any, offset: Any = None, subsec: Any = None) -> datetime | None:
    """EXIF 'YYYY:MM:DD HH:MM:SS' (+ optional '+HH:MM' offset and sub-seconds).

    Returns an aware datetime when the offset is valid, a naive local one otherwise, and
    None for blank or placeholder values ('0000:00:00 00:00:00').
    """
    if value is None:
        return None
    if type(value) is bytes and _EXIF_FORM.fullmatch(value):
        # the form EXIF prescribes (most values): read as the text below would read it
        try:
            parsed = datetime.fromisoformat(
                (value[:10].replace(b":", b"-") + b"T" + value[11:19]).decode("ascii")
            )
        except ValueError:
            return None
    else:
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        text = str(value).strip("\x00 ").strip()
        if not text or text.startswith("0000") or not text.strip(": 0"):
            return None
        text = text.replace("/", ":").replace("-", ":")
        if len(text) >= 19 and text[4] == ":" and text[7] == ":":
            text = f"{text[:4]}-{text[5:7]}-{text[8:10]}T{text[11:19]}{text[19:]}"
        try:
            parsed = datetime.fromisoformat(text.rstrip("Z"))
        except ValueError:
            return None
    if subsec is not None:
        digits = "".join(ch for ch in str(subsec).strip("\x00 ") if ch.isdigit())[:6]
        if digits:
            parsed = parsed.replace(microsecond=int(digits.ljust(6, "0")))
    if parsed.tzinfo is None and offset is not None:
        off = str(offset.decode("ascii", "replace") if isinstance(offset, bytes) else offset)
        tz = _offset_zone(off.strip("\x00 "))
        if tz is not None:
            parsed = parsed.replace(tzinfo=tz)
    return parsed


_zones: dict[str, tzinfo | None] = {}


def _offset_zone(offset: str) -> tzinfo | None:
    """The fixed zone of an EXIF offset ('+02:00'), None when it is not one; a photo
    library has a few offsets, so each is parsed once."""
    zone = _zones.get(offset, _zones)
    if zone is _zones:
        try:
            zone = datetime.fromisoformat(f"2000-01-01T00:00:00{offset}").tzinfo
        except ValueError:
            zone = None
        if len(_zones) < 1024:
            _zones[offset] = zone
    return zone  # type: ignore[return-value]
