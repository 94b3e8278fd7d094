"""Reading the few XMP properties geoleak needs from a packet, without an XML parser.

The packet is walked by `formats.xmp.properties` (where each property lies, for readers
and scrubbers alike); this module decodes the simple values geoleak needs, written either
as attributes (`exif:GPSLatitude="48,53.32N"`) or as elements
(`<exif:GPSLatitude>48,53.32N</exif:GPSLatitude>`), and their coordinates and dates.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from geoleak.extract.gps import GpsReading, checked_position
from geoleak.formats.xmp import MAX_XMP, as_utf8, matcher, properties

__all__ = ["MAX_XMP", "XmpValues", "parse_xmp", "parse_xmp_coordinate", "parse_xmp_datetime"]

# the properties geoleak reads (local names)
_WANTED = matcher((
    "GPSLatitude", "GPSLongitude", "GPSLatitudeRef", "GPSLongitudeRef", "GPSAltitude",
    "GPSAltitudeRef", "GPSTimeStamp",
    "GPSImgDirection", "GPSHPositioningError", "GpsLatitude", "GpsLongitude",
    "AbsoluteAltitude", "DateTimeOriginal", "DateCreated", "CreateDate", "Make", "Model",
    "SerialNumber", "BodySerialNumber", "CameraSerialNumber", "Lens", "LensModel",
    "CreatorTool", "Software",
))  # fmt: skip
_MAX_VALUE = 4096  # bytes of one value: longer ones are not the simple values we read


class XmpValues:
    """The raw text of each property found (first occurrence wins)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def __bool__(self) -> bool:
        return bool(self.values)


def parse_xmp(packet: bytes) -> XmpValues:
    """Property values of an XMP packet (bytes in UTF-8, UTF-16 packets are rare), found by
    the shared property walk (`formats.xmp`, the one scrub takes too)."""
    text = as_utf8(packet[:MAX_XMP])
    if text is None:
        return XmpValues({})
    values: dict[str, str] = {}
    for prop in properties(text, _WANTED):
        name = prop.local.decode("ascii")
        if name in values:
            continue
        if prop.element:  # a simple value: text up to the next tag
            stop = text.find(b"<", prop.value, prop.value + _MAX_VALUE + 1)
            if prop.empty or stop < 0:
                continue
            raw = text[prop.value : stop]
        else:
            raw = text[prop.value : prop.end - 1]
            if len(raw) > _MAX_VALUE:
                continue
        value = raw.decode("utf-8", "replace")
        if "&" in value:  # (html loads its entity table: only for a value that needs it)
            import html

            value = html.unescape(value)
        value = value.strip()
        if value:
            values[name] = value
    return XmpValues(values)


_COORD = re.compile(
    r"^\s*([+-]?\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?(?:,(\d+(?:\.\d+)?))?\s*([NSEW])?\s*$"
)


def parse_xmp_coordinate(text: str, axis: str) -> float:
    """Degrees from an XMP GPSCoordinate ("DDD,MM,SSk", "DDD,MM.mmk") or decimal degrees.

    `axis` is "lat" or "lon". Raises ValueError for text that is none of these or a
    hemisphere letter of the other axis.
    """
    match = _COORD.match(text.upper())
    if not match:
        raise ValueError(f"XMP {axis} {text!r} is not a coordinate")
    deg_s, min_s, sec_s, ref = match.groups()
    degrees = float(deg_s)
    minutes = float(min_s) if min_s else 0.0
    seconds = float(sec_s) if sec_s else 0.0
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"XMP {axis} {text!r} has minutes or seconds of 60 or more")
    negative = degrees < 0 or deg_s.startswith("-")
    value = abs(degrees) + minutes / 60 + seconds / 3600
    if ref is not None:
        if ref not in (("N", "S") if axis == "lat" else ("E", "W")):
            raise ValueError(f"XMP {axis} {text!r} has the wrong hemisphere letter")
        negative = ref in ("S", "W")
    if not math.isfinite(value):
        raise ValueError(f"XMP {axis} {text!r} is not finite")
    return -value if negative else value


def xmp_position(values: XmpValues, what: str = "XMP") -> GpsReading:
    """A checked position from exif:GPSLatitude/Longitude (or DJI's drone-dji:Gps*)."""
    lat_text = values.get("GPSLatitude") or values.get("GpsLatitude")
    lon_text = values.get("GPSLongitude") or values.get("GpsLongitude")
    if lat_text is None and lon_text is None:
        return GpsReading(None, [])
    if lat_text is None or lon_text is None:
        return GpsReading(None, [f"{what}: only one of latitude and longitude; position ignored"])
    try:
        lat = parse_xmp_coordinate(lat_text, "lat")
        lon = parse_xmp_coordinate(lon_text, "lon")
    except ValueError as exc:
        return GpsReading(None, [f"{what}: {exc}; position ignored"])
    lat = _with_ref(lat, lat_text, values.get("GPSLatitudeRef"), "S")
    lon = _with_ref(lon, lon_text, values.get("GPSLongitudeRef"), "W")
    return checked_position(lat, lon, what=what)


def _with_ref(value: float, text: str, ref: str | None, negative: str) -> float:
    """A plain decimal coordinate (no hemisphere letter, no sign) made south or west by a
    separate exif:GPSLatitudeRef / GPSLongitudeRef, as Apple Photos writes its exported
    sidecars ("63.5697" and "W"); the XMP form "63,34.18W" carries its own letter."""
    if ref is None or value < 0 or text.strip()[-1:].upper() in ("N", "S", "E", "W"):
        return value
    return -value if ref.strip()[:1].upper() == negative else value


def xmp_number(text: str | None) -> float | None:
    """A number from an XMP rational ("324145/1000") or decimal text; None if malformed."""
    if text is None:
        return None
    try:
        if "/" in text:
            num, den = text.split("/", 1)
            den_f = float(den)
            if den_f == 0:
                return None
            value = float(num) / den_f
        else:
            value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_DATE = re.compile(r"^(\d{4}[-:]\d\d[-:]\d\dT\d\d:\d\d(?::\d\d)?)(?:\.(\d+))?(.*)$")
_COMPACT_OFFSET = re.compile(r"[+-]\d{4}")


def parse_xmp_datetime(text: str | None) -> datetime | None:
    """An XMP date ("2005-06-09T20:09:27+02:00", "2011-03-12T15:36:11.00+01:00", "...Z").

    Aware when the text has an offset, naive local time otherwise; None for a date
    without a time of day or malformed text.
    """
    if not text:
        return None
    value = text.split(",", 1)[0].strip()  # some writers list several dates
    if "T" not in value and " " not in value:
        return None  # a bare date says nothing about the time of capture
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    value = value.replace(" ", "T", 1)
    # fractional seconds of any length: Python < 3.11 wants 3 or 6 digits
    match = _DATE.match(value)
    if not match:
        return None
    main, frac, tail = match.groups()
    if main[4] == ":":
        main = f"{main[:4]}-{main[5:7]}-{main[8:]}"
    if tail and _COMPACT_OFFSET.fullmatch(tail):
        tail = f"{tail[:3]}:{tail[3:]}"
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        parsed = datetime.fromisoformat(main + tail)
    except ValueError:
        return None
    parsed = parsed.replace(microsecond=micro)
    if parsed.tzinfo is not None and parsed.utcoffset() == timezone.utc.utcoffset(None):
        parsed = parsed.astimezone(timezone.utc)
    return parsed
