"""Microsoft GeoLife trajectories (`Data/<user>/Trajectory/<start time>.plt`).

A `.plt` file has six header lines, then one fix per line:
`lat,lon,0,altitude_ft,days_since_1899-12-30,YYYY-MM-DD,HH:MM:SS` (times in GMT; altitude
-777 means none). Each file is one recording, often a whole day of a person's life. Its
evidence, as TRACK posts of the user whose folder holds the file: the first and last fix
(where the recording starts and ends) and the stays inside it (`geoleak.ingest.stays`: the
GeoLife project's own stay points, 200 m and 30 minutes), each seen at its arrival, every
hour after and its departure. Without the stays, a student who works in the lab until 2 a.m.
is seen at the lab at night (as they leave it) and at the dorm in the morning (as they leave
it): user 005 of scikit-mobility's GeoLife sample had the lab as home at 0.99; with the
stays inside the recordings (the dorm from 07:49 to 11:25), the dorm at 0.57.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.ingest.common import RecordError, find_files, latlon, parse_time
from geoleak.ingest.stays import stay_observations
from geoleak.paths import shown_path
from geoleak.types import EvidenceSource, LatLon, Post

__all__ = ["GeoLifeReader", "read_plt"]

HEADER_LINES = 6
GEOLIFE_ACCURACY_M = 20.0


def read_plt(path: Path, diag: Diagnostics) -> list[tuple[str, int, LatLon, datetime]]:
    """(role, line number, position, UTC time) of a .plt file's evidence, in time order:
    its first good fix ("start"), the observations of its stays ("stay<k>": the k-th,
    `stay_observations`) and its last good fix ("end")."""
    lines: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    times: list[datetime] = []
    bad = 0
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
                if times and when < times[-1]:
                    bad += 1
                    if bad <= 3:
                        diag.warn(
                            f"{shown_path(path)}:{number}: time {when:%Y-%m-%d %H:%M:%S} is "
                            f"before the line above's; line skipped",
                            kind="bad-line",
                        )
                    continue
                lines.append(number)
                lats.append(position.lat)
                lons.append(position.lon)
                times.append(when)
    except OSError as exc:
        raise CorpusError(f"{shown_path(path)}: cannot read ({exc.strerror or exc})") from None
    if bad > 3:
        diag.warn(f"{shown_path(path)}: {bad - 3} more bad lines skipped", kind="bad-line")
    if not times:
        return []
    last = len(times) - 1
    stays, seen = stay_observations(lats, lons, times)
    out = [("start", lines[0], LatLon(lats[0], lons[0]), times[0])]
    out.extend((f"stay{k}", lines[at], pos, when) for k, (at, pos, when) in enumerate(seen, 1))
    if last > 0:
        out.append(("end", lines[last], LatLon(lats[last], lons[last]), times[last]))
    diag.tally("activity_tracks")
    diag.tally("activity_fixes", len(times))
    diag.tally("activity_points", 1 if last == 0 else 2)
    diag.tally("activity_stays", stays)
    diag.tally("activity_stay_points", len(seen))
    return out


def _user_of(plt: Path) -> str:
    # Data/<user>/Trajectory/<file>.plt
    parent = plt.parent
    if parent.name.lower() == "trajectory" and parent.parent.name:
        return parent.parent.name
    return parent.name or "me"


@register
class GeoLifeReader(Reader):
    name = "geolife"
    description = "Microsoft GeoLife trajectories (.plt): start, end and stays of each trajectory"
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
            for role, number, position, when in fixes:
                yield Post(
                    id=f"geolife:{_user_of(file)}/{file.stem}#{role}",
                    author=user,
                    created_at=when,
                    geotag=position,
                    origin=f"{shown}:{number}",
                    geotag_source=EvidenceSource.TRACK,
                    geotag_accuracy_m=GEOLIFE_ACCURACY_M,
                    extra={
                        "source": "geolife",
                        "role": "stay" if role.startswith("stay") else role,
                    },
                )
