"""Counted nouns for the sentences geoleak prints and writes ("1 person", "2 people"), and
the words for where a media file's position was read (`MediaMeta.position_source`)."""

from __future__ import annotations

__all__ = ["POSITION_SOURCES", "count", "position_source_words"]

_IRREGULAR = {"person": "people", "day": "days", "warning": "warnings", "match": "matches"}


def count(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and the noun in the form that number takes ("1 file", "0 files", "3 people")."""
    if n == 1:
        return f"{n} {singular}"
    if plural is None:
        plural = _IRREGULAR.get(singular) or (
            singular + "es" if singular.endswith(("s", "x", "ch", "sh")) else singular + "s"
        )
    return f"{n} {plural}"


# Where a file's position was read, in the words a user knows. Only "exif" is EXIF: a
# GoPro's GPMF telemetry, a phone video's QuickTime atom or an XMP packet are not.
POSITION_SOURCES = {
    "exif": "EXIF GPS",
    "xmp": "XMP GPS",
    "sidecar": "XMP sidecar GPS",
    "takeout": "Google Takeout sidecar",
    "quicktime": "QuickTime location",
    "gpmf": "GoPro GPMF video GPS",
    "camm": "CAMM video GPS",
    "flir": "FLIR GPS",
    "dji-srt": "DJI flight telemetry",
}


def position_source_words(source: str | None) -> str:
    """What `MediaMeta.position_source` names, for a sentence ("GoPro GPMF video GPS")."""
    if source is None:
        return "unknown"
    return POSITION_SOURCES.get(source, source)
