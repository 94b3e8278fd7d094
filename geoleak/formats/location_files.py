"""Files that are nothing but positions: GPS tracks and map files (GPX, TCX, KML, GeoJSON,
FIT, a DJI drone's telemetry subtitles), Google Takeout photo sidecars and location-history
JSON.

`location_file_findings` says what such a file holds; for a Takeout sidecar it also gives
the same-length edits that write Google's own "no location" (latitude, longitude, altitude
and spans 0.0), the only cleaning that keeps the file what it is. A track is positions
through and through: it is reported and never cleaned.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from typing import NamedTuple

__all__ = [
    "JSON_POSITION_KEY",
    "LocationFile",
    "location_file",
    "remember_fit_positions",
    "takeout_zeroing",
]

JSON_POSITION_KEY = re.compile(
    rb'"(?:lat|lng|lon|latitude|longitude|latitudeE7|longitudeE7|coordinates|geoData|'
    rb'geoDataExif|placeLocation|LatLng|point|place|full_name)"\s*:\s*[^\s\]},n]'
)  # (a named place counts: a tweet's "place" {"full_name": ...}; `null` does not)
_POINTS = {
    "gpx": re.compile(rb"<(?:\w+:)?(?:trkpt|wpt|rtept)\b"),
    "tcx": re.compile(rb"<(?:\w+:)?Position\b"),
    "kml": re.compile(rb"<(?:\w+:)?(?:coordinates|coord)\b"),
}
_GEO_OBJECT = re.compile(rb'"(geoData(?:Exif)?)"\s*:\s*\{([^{}]*)\}')
_GEO_NUMBER = re.compile(
    rb'"(latitude|longitude|altitude|latitudeSpan|longitudeSpan)"\s*:\s*(-?\d[\d.eE+-]*)'
)


class LocationFile(NamedTuple):
    kind: str  # what the file is, for the user
    points: int | None  # positions counted, when cheap to count
    position: tuple[float, float] | None  # the first one, when known
    edits: list[tuple[int, bytes]]  # same-length edits that clean it (Takeout sidecars only)


def takeout_zeroing(data: bytes) -> tuple[list[tuple[int, bytes]], tuple[float, float] | None]:
    """Edits writing 0.0 over every geoData / geoDataExif number (same length: the number
    becomes '0.0' padded with spaces, which JSON allows), and the position it held."""
    edits: list[tuple[int, bytes]] = []
    position: tuple[float, float] | None = None
    for obj in _GEO_OBJECT.finditer(data):
        values: dict[bytes, float] = {}
        for num in _GEO_NUMBER.finditer(obj.group(2)):
            start = obj.start(2) + num.start(2)
            text = num.group(2)
            try:
                values[num.group(1)] = float(text)
            except ValueError:
                continue
            zero = b"0.0" if len(text) >= 3 else b"0"
            if text != zero.ljust(len(text)):
                edits.append((start, zero.ljust(len(text))))
        lat, lon = values.get(b"latitude", 0.0), values.get(b"longitude", 0.0)
        if position is None and (lat or lon):
            position = (lat, lon)
    return edits, position


def location_file(data: bytes, fmt: str) -> LocationFile | None:
    """What a track, map or location JSON holds; None for JSON without positions and DJI
    telemetry without a GPS fix (camera settings only)."""
    if fmt in _POINTS:
        count = len(_POINTS[fmt].findall(data))
        name = {"gpx": "GPX track", "tcx": "TCX track", "kml": "KML map"}[fmt]
        return LocationFile(name, count, None, [])
    if fmt == "fit":
        if _fit_has_position(data) is False:  # an indoor ride, a treadmill run, a pool swim
            return None
        return LocationFile("FIT activity file", None, None, [])
    if fmt == "dji-srt":
        from geoleak.formats.dji_srt import parse_dji_srt

        telemetry = parse_dji_srt(data)
        first = next(((f.lat, f.lon) for f in telemetry.fixes if f.lat or f.lon), None)
        if first is None and telemetry.home is None:
            return None
        points = len(telemetry.fixes) + (telemetry.home is not None)
        return LocationFile("DJI flight telemetry (.SRT)", points, telemetry.home or first, [])
    if fmt == "geojson":
        return LocationFile("GeoJSON", data.count(b'"coordinates"'), None, [])
    # JSON: a Takeout photo sidecar, location history, or anything else naming positions
    if not JSON_POSITION_KEY.search(data):
        return None
    edits, position = takeout_zeroing(data)
    if _GEO_OBJECT.search(data) and not _other_positions(data):
        return LocationFile("Google Takeout sidecar geoData", None, position, edits)
    return LocationFile("location JSON (history, check-ins or export)", None, None, [])


# FIT files whose records were decoded already in this process (the tracks reader reads
# every record: `geoleak audit` reads a folder's activities, then examines each file), by
# content digest: whether a record held a position. FIT decoding is pure Python and the
# costliest part of auditing a folder of activities; each file is decoded once.
_FIT_SEEN: OrderedDict[bytes, bool] = OrderedDict()
_FIT_SEEN_MAX = 4096
_FIT_SEEN_LOCK = threading.Lock()


def _fit_key(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def remember_fit_positions(data: bytes, has_position: bool) -> None:
    """What decoding a FIT file's records found: whether one held a position (record
    `position_lat` and `position_long`, valid or not). Said only when that is known (the
    records read to their end, or a position met before a damaged part)."""
    key = _fit_key(data)
    with _FIT_SEEN_LOCK:
        _FIT_SEEN[key] = has_position
        _FIT_SEEN.move_to_end(key)
        while len(_FIT_SEEN) > _FIT_SEEN_MAX:
            _FIT_SEEN.popitem(last=False)


def _fit_has_position(data: bytes) -> bool | None:
    """Whether a FIT file's records carry a position (read up to the first that does, unless
    this process decoded the file already); None when the file cannot be read to its end
    without finding one: what it holds is then not known, and it is never called free of
    positions."""
    with _FIT_SEEN_LOCK:
        known = _FIT_SEEN.get(_fit_key(data))
    if known is not None:
        return known
    import io
    import warnings

    import fitdecode

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the tracks reader names the file's problems)
            with fitdecode.FitReader(
                io.BytesIO(data), check_crc=fitdecode.CrcCheck.WARN, keep_raw_chunks=False
            ) as fit:
                for frame in fit:
                    if (
                        isinstance(frame, fitdecode.FitDataMessage)
                        and frame.name == "record"
                        and frame.get_value("position_lat", fallback=None) is not None
                        and frame.get_value("position_long", fallback=None) is not None
                    ):
                        return True
    except Exception:  # (fitdecode raises what it likes on a damaged file: not known)
        return None
    return False


def _other_positions(data: bytes) -> bool:
    """True when a JSON names positions outside its geoData objects."""
    rest = _GEO_OBJECT.sub(b"", data)
    return bool(JSON_POSITION_KEY.search(rest))
