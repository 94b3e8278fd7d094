"""Microsoft GeoLife trajectories (`Data/<user>/Trajectory/<start time>.plt`).

A `.plt` file has six header lines, then one fix per line:
`lat,lon,0,altitude_ft,days_since_1899-12-30,YYYY-MM-DD,HH:MM:SS` (times in GMT; altitude
-777 means none). Each file is one trajectory; as with activity tracks its first and last
fix are the evidence (where trips start and end), as TRACK posts of the user whose folder
holds the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.ingest.common import RecordError, find_files, latlon, parse_time
from geoleak.paths import shown_path
from geoleak.types import EvidenceSource, LatLon, Post

__all__ = ["GeoLifeReader", "read_plt"]

HEADER_LINES = 6
GEOLIFE_ACCURACY_M = 20.0

Fix = tuple[LatLon, object]


def read_plt(path: Path, diag: Diagnostics) -> list[tuple[int, LatLon, object]]:
    """(line number, position, UTC time) of the first and last good fix of a .plt file."""
    first: tuple[int, LatLon, object] | None = None
    last: tuple[int, LatLon, object] | None = None
    bad = good = 0
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if number <= HEADER_LINES or not line.strip():
                    continue
                fields = line.strip().split(",")
                try:
                    if len(fields) != 7:
                        raise RecordError(f"{len(fields)} comma-separated fields, expected 7")
                    position = latlon(fields[0], fields[1], "fix")
                    when = parse_time(f"{fields[5].strip()}T{fields[6].strip()}Z", "date/time")
                except RecordError as exc:
                    bad += 1
                    if bad <= 3:
                        diag.warn(
                            f"{shown_path(path)}:{number}: {exc}; line skipped", kind="bad-line"
                        )
                    continue
                if position is None:
                    continue
                good += 1
                if first is None:
                    first = (number, position, when)
                last = (number, position, when)
    except OSError as exc:
        raise CorpusError(f"{shown_path(path)}: cannot read ({exc.strerror or exc})") from None
    if bad > 3:
        diag.warn(f"{shown_path(path)}: {bad - 3} more bad lines skipped", kind="bad-line")
    if first is None or last is None:
        return []
    diag.tally("activity_tracks")
    diag.tally("activity_fixes", good)
    diag.tally("activity_points", 1 if first[0] == last[0] else 2)
    return [first] if first[0] == last[0] else [first, last]


def _user_of(plt: Path) -> str:
    # Data/<user>/Trajectory/<file>.plt
    parent = plt.parent
    if parent.name.lower() == "trajectory" and parent.parent.name:
        return parent.parent.name
    return parent.name or "me"


@register
class GeoLifeReader(Reader):
    name = "geolife"
    description = "Microsoft GeoLife trajectories (.plt): start and end of each trajectory"
    priority = 46

    def sniff(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".plt"
        if not path.is_dir():
            return False
        for pattern in (
            "*.plt",
            "Trajectory/*.plt",
            "*/Trajectory/*.plt",
            "Data/*/Trajectory/*.plt",
            "*/Data/*/Trajectory/*.plt",
        ):
            if next(path.glob(pattern), None) is not None:
                return True
        return False

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        files = list(find_files(path, lambda n: n.endswith(".plt"), max_depth=5))
        if not files:
            raise CorpusError(f"{shown_path(path)}: no GeoLife .plt files found")
        for file in files:
            try:
                fixes = read_plt(file, diag)
            except CorpusError as exc:
                diag.warn(f"{exc}; file skipped", kind="unreadable")
                continue
            user = author or _user_of(file)
            shown = shown_path(file)
            for role, (number, position, when) in zip(("start", "end"), fixes, strict=False):
                yield Post(
                    id=f"geolife:{_user_of(file)}/{file.stem}#{role}",
                    author=user,
                    created_at=when,  # type: ignore[arg-type]
                    geotag=position,
                    origin=f"{shown}:{number}",
                    geotag_source=EvidenceSource.TRACK,
                    geotag_accuracy_m=GEOLIFE_ACCURACY_M,
                    extra={"source": "geolife", "role": role},
                )
