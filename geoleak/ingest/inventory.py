"""What an input holds, in a few words, for when nothing in it could be read as posts.

"12 files: 10 .fit activities without GPS, 2 unknown (.txt)" says more than "the input held
no posts": the user sees whether geoleak looked at the right folder and what it made of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from geoleak.ingest.common import find_files
from geoleak.ingest.jsonl import CORPUS_SUFFIXES
from geoleak.mediatypes import is_media

__all__ = ["describe_inputs"]

MAX_FILES = 100_000
_TRACKS = (".gpx", ".tcx", ".fit", ".gpx.gz", ".tcx.gz", ".fit.gz", ".srt")


def _suffix(name: str) -> str:
    lower = name.lower()
    for suffix in (*_TRACKS, *CORPUS_SUFFIXES):
        if lower.endswith(suffix):
            return suffix
    return Path(lower).suffix or "(no extension)"


def describe_inputs(paths: Iterable[str | Path], notes: Mapping[str, int] | None = None) -> str:
    """ "N files: ..." for the files under `paths`, by what geoleak takes them for.

    `notes` are a run's warning counts by kind (Diagnostics.by_kind): FIT activities that
    held no GPS ("no-gps-activity") and DJI flight logs without a fix ("no-gps-flight") are
    named as such.
    """
    by_suffix: Counter[str] = Counter()
    media = 0
    total = 0
    for raw in paths:
        for file in find_files(Path(raw), lambda _name: True):
            total += 1
            if is_media(file.name):
                media += 1
            else:
                by_suffix[_suffix(file.name)] += 1
            if total >= MAX_FILES:
                break
    if not total:
        return "no files"
    parts: list[str] = []
    flights = min((notes or {}).get("no-gps-flight", 0), by_suffix[".srt"])
    no_gps = min((notes or {}).get("no-gps-activity", 0), sum(by_suffix[s] for s in _TRACKS))
    no_gps = min(no_gps, sum(by_suffix[s] for s in _TRACKS) - flights)
    if no_gps:
        parts.append(f"{no_gps} activit{'y' if no_gps == 1 else 'ies'} without GPS")
    if flights:
        parts.append(f"{flights} drone flight log{'s' if flights != 1 else ''} without a GPS fix")
    tracks = sum(by_suffix.pop(s, 0) for s in _TRACKS) - no_gps - flights
    if tracks:
        parts.append(f"{tracks} track file{'s' if tracks != 1 else ''}")
    # read, but nothing in them was a post (each bad line or file had its warning)
    corpora = sum(by_suffix.pop(s, 0) for s in CORPUS_SUFFIXES)
    if corpora:
        parts.append(
            f"{corpora} posts corpus file{'s' if corpora != 1 else ''} with no usable line"
        )
    archives = by_suffix.pop(".zip", 0)
    if archives:
        parts.append(
            f"{archives} zip archive{'s' if archives != 1 else ''} holding nothing read as posts"
        )
    if media:
        parts.append(f"{media} photo or video file{'s' if media != 1 else ''}")
    unknown = sum(by_suffix.values())
    if unknown:
        kinds = ", ".join(s for s, _ in by_suffix.most_common(4))
        parts.append(f"{unknown} not read ({kinds})")
    more = "+" if total >= MAX_FILES else ""
    return f"{total:,}{more} file{'s' if total != 1 else ''}: " + ", ".join(parts)
