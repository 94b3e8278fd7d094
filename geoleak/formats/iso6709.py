"""ISO 6709 position strings, as QuickTime (`©xyz`, `com.apple.quicktime.location.ISO6709`)
and Android write them: '+32.0929+034.8620+028.516/', '+4807.038-01131.000/',
'+481237.4+0113054.9CRSWGS_84/'.

Each component is degrees (±DD.d / ±DDD.d), degrees and minutes (±DDMM.m / ±DDDMM.m) or
degrees, minutes and seconds (±DDMMSS.s / ±DDDMMSS.s), told apart by the number of integer
digits.
"""

from __future__ import annotations

import re

__all__ = ["ISO6709", "parse_iso6709"]

ISO6709 = re.compile(
    r"^\s*([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)?(?:CRS[^/]*)?/?[\s\x00]*$"
)


def _component(text: str, degree_digits: int) -> float:
    sign = -1.0 if text[0] == "-" else 1.0
    body = text[1:]
    whole = body.split(".", 1)[0]
    frac = body[len(whole) :]
    if len(whole) <= degree_digits:
        return sign * float(body)
    if len(whole) == degree_digits + 2:
        minutes = float(whole[degree_digits:] + frac)
        if minutes >= 60:
            raise ValueError(f"component {text!r} has minutes of 60 or more")
        return sign * (int(whole[:degree_digits]) + minutes / 60)
    if len(whole) == degree_digits + 4:
        minutes = int(whole[degree_digits : degree_digits + 2])
        seconds = float(whole[degree_digits + 2 :] + frac)
        if minutes >= 60 or seconds >= 60:
            raise ValueError(f"component {text!r} has minutes or seconds of 60 or more")
        return sign * (int(whole[:degree_digits]) + minutes / 60 + seconds / 3600)
    raise ValueError(f"component {text!r} has {len(whole)} integer digits")


def parse_iso6709(text: str | bytes) -> tuple[float, float, float | None]:
    """(lat, lon, alt) from an ISO 6709 string. Raises ValueError for text that is not one;
    ranges are checked by the caller."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    match = ISO6709.match(text)
    if not match:
        raise ValueError(f"{text[:40]!r} is not an ISO 6709 location")
    lat_s, lon_s, alt_s = match.groups()
    return _component(lat_s, 2), _component(lon_s, 3), (float(alt_s) if alt_s else None)


def is_decimal_degrees(text: str) -> bool:
    """True when an ISO 6709 string's latitude and longitude are plain decimal degrees
    (the only form a same-width rewrite can round in place)."""
    match = ISO6709.match(text)
    if not match:
        return False
    lat_s, lon_s = match.group(1), match.group(2)
    return len(lat_s[1:].split(".")[0]) <= 2 and len(lon_s[1:].split(".")[0]) <= 3
