"""Positions written as text: comments, descriptions, captions that hold coordinates.

Recognised forms (what phones, trackers, map apps and people write):

- decimal pairs: "43.68739, -85.48351" (4+ decimals each, the precision of a written GPS
  fix, so version numbers and measurements are not taken for positions), or 3+ decimals
  with hemisphere letters or degree signs: "43.687N 85.483W";
- labelled values: "Lat: 43.6873 Lon: -85.4835", "Latitude 43.68 / Longitude -85.48";
- degrees, minutes, seconds: 48°07'02.3"N 11°31'00.0"E, 48°07.038'N 11°31.000'E;
- `geo:` URIs (RFC 5870): geo:48.1173,11.5167;
- map links: google.com/maps/@48.11,11.51,15z, ?q=48.11,11.51, ll=, openstreetmap
  #map=15/48.11/11.51, mlat=..&mlon=..;
- Open Location Codes (plus codes): full "8FWH4HVG+3V" (decoded) and short "4HVG+3V";
- geotag machine tags (Flickr's, in keywords): "geo:lat=48.1173" and "geo:lon=11.5167",
  a position when both are in the text, and each alone as half of one (a keyword list
  holds them as two keywords: IPTC writes one record each).

A date (2024.05.06), a version (1.2.3, 10.0.19045), an IP address or a lone number is not
a position: matches must not touch other digits or dots, and (0, 0) is ignored.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["CoordinateMatch", "find_coordinates", "has_coordinates"]


class CoordinateMatch(NamedTuple):
    start: int
    end: int
    text: str
    position: tuple[float, float] | None  # (lat, lon) when the form gives one


_EDGE_L = r"(?<![\w.+\-/])"
_EDGE_R = r"(?![\w.]|\.\d)"
_NUM = r"[-+−]?\d{1,3}(?:\.\d+)?"

_DECIMAL_PAIR = re.compile(
    _EDGE_L
    + r"([-+−]?\d{1,2}\.(\d{3,}))\s*(°)?\s*([NSns])?\s*[,;]?\s*"
    + r"([-+−]?\d{1,3}\.(\d{3,}))\s*(°)?\s*([EWew])?"
    + _EDGE_R
)
_LABELLED = re.compile(
    r"\blat(?:itude)?\b\.?\s*[:=]?\s*(" + _NUM + r")\s*°?\s*([NSns])?\b[\s,;/|]*"
    r"(?:lon(?:g(?:itude)?)?|lng)\b\.?\s*[:=]?\s*(" + _NUM + r")\s*°?\s*([EWew])?",
    re.IGNORECASE,
)
_DMS_PART = (
    r"(\d{1,3})\s*[°º]\s*(\d{1,2}(?:\.\d+)?)\s*['′’]\s*(?:(\d{1,2}(?:\.\d+)?)\s*(?:\"|″|''|”)\s*)?"
)
_DMS = re.compile(_DMS_PART + r"([NSns])[\s,;/]*" + _DMS_PART + r"([EWew])")
_MACHINE_TAG = re.compile(r"\bgeo:(lat|lon|long)=(" + _NUM + r")" + _EDGE_R, re.IGNORECASE)
_GEO_URI = re.compile(r"\bgeo:(" + _NUM + r"),(" + _NUM + r")", re.IGNORECASE)
_MAP_URL = re.compile(
    r"(?:[@=/]|[?&](?:q|ll|sll|center|daddr|saddr|query)=)("
    + _NUM
    + r")(?:,|%2C|/)\s*("
    + _NUM
    + r")",
    re.IGNORECASE,
)
_MAP_HOST = re.compile(
    r"(?:maps\.|/maps|openstreetmap|osm\.org|map=|waze\.com|here\.com|bing\.com/maps|maps\.apple)",
    re.IGNORECASE,
)
_OSM_MAP = re.compile(r"map=\d{1,2}/(" + _NUM + r")/(" + _NUM + r")")
_OSM_LATLON = re.compile(r"mlat=(" + _NUM + r")&(?:amp;)?mlon=(" + _NUM + r")", re.IGNORECASE)
_OLC = "23456789CFGHJMPQRVWX"
_PLUS_FULL = re.compile(r"(?<![\w+])([" + _OLC + r"]{8})\+([" + _OLC + r"]{2,3})(?![\w+])")
_PLUS_SHORT = re.compile(r"(?<![\w+])([" + _OLC + r"]{4})\+([" + _OLC + r"]{2,3})(?![\w+])")


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def _pair(lat: float, lon: float, ns: str | None, ew: str | None) -> tuple[float, float] | None:
    if ns and ns.upper() == "S":
        lat = -abs(lat)
    if ew and ew.upper() == "W":
        lon = -abs(lon)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lat, lon


def _dms(deg: str, minutes: str, seconds: str | None) -> float | None:
    m = float(minutes)
    s = float(seconds) if seconds else 0.0
    if m >= 60 or s >= 60:
        return None
    return int(deg) + m / 60 + s / 3600


def _olc_decode(code: str) -> tuple[float, float]:
    """Centre of a full Open Location Code's first 10 digits (a ~14 m cell)."""
    digits = code.replace("+", "")[:10]
    lat, lon, step = -90.0, -180.0, 20.0
    for i in range(0, len(digits), 2):
        lat += _OLC.index(digits[i]) * step
        lon += _OLC.index(digits[i + 1]) * step
        step /= 20
    return round(lat + step * 10, 6), round(lon + step * 10, 6)


def find_coordinates(text: str) -> list[CoordinateMatch]:
    """Every position written in `text`, in order; overlapping forms are reported once."""
    found: list[CoordinateMatch] = []

    def add(match: re.Match[str], position: tuple[float, float] | None) -> None:
        if any(m.start < match.end() and match.start() < m.end for m in found):
            return
        found.append(CoordinateMatch(match.start(), match.end(), match.group(0), position))

    tags = list(_MACHINE_TAG.finditer(text))
    lats = [m for m in tags if m.group(1).lower() == "lat"]
    lons = [m for m in tags if m.group(1).lower() != "lat"]
    if lats and lons:  # (a match only spans the pair when lat comes first; else each half)
        first, second = lats[0], lons[0]
        pos = _pair(_number(first.group(2)), _number(second.group(2)), None, None)
        if pos is not None and first.start() < second.start():
            found.append(CoordinateMatch(first.start(), second.end(),
                                         text[first.start() : second.end()], pos))  # fmt: skip
    for m in tags:
        add(m, None)
    for m in _GEO_URI.finditer(text):
        pos = _pair(_number(m.group(1)), _number(m.group(2)), None, None)
        if pos is not None:
            add(m, pos)
    if _MAP_HOST.search(text):
        for m in (*_OSM_MAP.finditer(text), *_OSM_LATLON.finditer(text)):
            pos = _pair(_number(m.group(1)), _number(m.group(2)), None, None)
            if pos is not None:
                add(m, pos)
        for m in _MAP_URL.finditer(text):
            if "." not in m.group(1) or "." not in m.group(2):
                continue
            pos = _pair(_number(m.group(1)), _number(m.group(2)), None, None)
            if pos is not None:
                add(m, pos)
    for m in _LABELLED.finditer(text):
        pos = _pair(_number(m.group(1)), _number(m.group(3)), m.group(2), m.group(4))
        if pos is not None:
            add(m, pos)
    for m in _DMS.finditer(text):
        lat = _dms(m.group(1), m.group(2), m.group(3))
        lon = _dms(m.group(5), m.group(6), m.group(7))
        if lat is not None and lon is not None:
            pos = _pair(lat, lon, m.group(4), m.group(8))
            if pos is not None:
                add(m, pos)
    for m in _DECIMAL_PAIR.finditer(text):
        marked = (m.group(4) and m.group(8)) or (m.group(3) and m.group(7))
        # bare numbers need the 4+ decimals of a written GPS fix (11 m); "0.125, 1.500" is not
        if not marked and min(len(m.group(2)), len(m.group(6))) < 4:
            continue
        pos = _pair(_number(m.group(1)), _number(m.group(5)), m.group(4), m.group(8))
        if pos is not None:
            add(m, pos)
    for m in _PLUS_FULL.finditer(text):
        code = m.group(1)
        # the first digit pair encodes latitude 0..8 (a 20-degree band), longitude 0..17
        if _OLC.index(code[0]) <= 8 and _OLC.index(code[1]) <= 17:
            add(m, _olc_decode(code + "+" + m.group(2)))
    for m in _PLUS_SHORT.finditer(text):
        if any(ch.isdigit() for ch in m.group(0)) and any(ch.isalpha() for ch in m.group(0)):
            add(m, None)  # a short code names a ~14 m cell near a locality
    found.sort()
    return found


def has_coordinates(text: str) -> bool:
    return bool(find_coordinates(text))
