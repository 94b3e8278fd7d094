"""Activity files: GPX, TCX and FIT (Strava, Garmin, Polar exports), also gzipped, and the
telemetry subtitles (.SRT) a DJI drone writes beside each video (in a folder that holds
the video too, they are read as that video's track instead: `extract.media`).

Where an activity starts and ends is where the person lives or works: that is how Strava
and Polar users on bases were located in 2018. Each track (GPX `trk`/`rte`, TCX
`Activity`, FIT file) gives two TRACK posts, its first and last fix; GPX waypoints (often
named "Home") give one each; a DJI flight its take-off point. Points in between are not
evidence of a stay and are skipped.
"""

from __future__ import annotations

import gzip
import io
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.ingest.common import RecordError, find_files, latlon, parse_time
from geoleak.ingest.stays import stay_observations
from geoleak.mediatypes import video_beside
from geoleak.paths import shown_path
from geoleak.types import EvidenceSource, LatLon, NamedPlace, Post

__all__ = ["TracksReader", "track_endpoints"]

TRACK_ACCURACY_M = 15.0  # a consumer GPS fix outdoors
MAX_TRACK_BYTES = 512 * 1024 * 1024
SEMICIRCLE_TO_DEG = 180.0 / 2**31
SNIFF_DEPTH = 8
_SUFFIXES = (".gpx", ".tcx", ".fit", ".gpx.gz", ".tcx.gz", ".fit.gz", ".srt")

Fix = tuple[LatLon, datetime | None]


def _is_track(name: str) -> bool:
    return name.endswith(_SUFFIXES)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_bytes(path: Path) -> bytes:
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            data: bytes = handle.read(MAX_TRACK_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise CorpusError(f"{shown_path(path)}: cannot read ({exc})") from None
    if len(data) > MAX_TRACK_BYTES:
        raise CorpusError(f"{shown_path(path)}: larger than {MAX_TRACK_BYTES} bytes; skipped")
    return data


def _xml_segments(data: bytes, path: Path) -> Iterator[tuple[str, list[Fix], list[str]]]:
    """(kind, fixes, problems) per GPX trk/rte, TCX Activity, and one ("wpt", ...) per waypoint."""
    # Garmin's TCX files often start with whitespace before <?xml, which expat rejects.
    stream = io.BytesIO(data.lstrip())
    fixes: list[Fix] = []
    problems: list[str] = []
    tcx_lat = tcx_lon = tcx_time = None
    try:
        for event, elem in ET.iterparse(stream, events=("start", "end")):
            tag = _local(elem.tag)
            if event == "start":
                if tag in ("trk", "rte", "Activity"):
                    fixes, problems = [], []
                continue
            if tag in ("trkpt", "rtept", "wpt"):
                try:
                    pos = latlon(elem.get("lat"), elem.get("lon"), tag)
                    time_el = next((c for c in elem if _local(c.tag) == "time"), None)
                    when = (
                        parse_time(time_el.text, "time")
                        if time_el is not None and time_el.text
                        else None
                    )
                except RecordError as exc:
                    problems.append(f"{tag}: {exc}; point skipped")
                    elem.clear()
                    continue
                if tag == "wpt":
                    name_el = next((c for c in elem if _local(c.tag) == "name"), None)
                    name = name_el.text.strip() if name_el is not None and name_el.text else ""
                    if pos is not None:
                        yield "wpt", [(pos, when)], [name]
                elif pos is not None:
                    fixes.append((pos, when))
                elem.clear()
            elif tag == "LatitudeDegrees":
                tcx_lat = elem.text
            elif tag == "LongitudeDegrees":
                tcx_lon = elem.text
            elif tag == "Time" and elem.text:
                tcx_time = elem.text
            elif tag == "Trackpoint":
                if tcx_lat is not None and tcx_lon is not None:
                    try:
                        pos = latlon(tcx_lat, tcx_lon, "Trackpoint")
                        when = parse_time(tcx_time, "Time") if tcx_time else None
                        if pos is not None:
                            fixes.append((pos, when))
                    except RecordError as exc:
                        problems.append(f"Trackpoint: {exc}; point skipped")
                tcx_lat = tcx_lon = tcx_time = None
                elem.clear()
            elif tag in ("trk", "rte", "Activity"):
                yield tag, fixes, problems
                fixes, problems = [], []
                elem.clear()
    except ET.ParseError as exc:
        if fixes:
            yield "partial", fixes, [*problems, f"XML error ({exc}); the rest is skipped"]
            return
        raise CorpusError(f"{shown_path(path)}: not valid XML ({exc})") from None


def _fit_fixes(data: bytes, path: Path) -> tuple[list[Fix], list[str]]:
    import fitdecode

    from geoleak.formats.location_files import remember_fit_positions

    fixes: list[Fix] = []
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        positioned = _fit_records(fitdecode, data, path, fixes, problems)
    remember_fit_positions(data, positioned)  # (an audit examining the file reads no record)
    if caught:
        # fitdecode's UserWarnings name its own source file: say it once, about this file.
        first = str(caught[0].message)
        more = f" ({len(caught)} such warnings)" if len(caught) > 1 else ""
        problems.append(f"FIT file is irregular: {first}{more}; read as far as possible")
    return fixes, problems


def _fit_records(
    fitdecode: Any, data: bytes, path: Path, fixes: list[Fix], problems: list[str]
) -> bool:
    """Read the records' fixes into `fixes`; whether any record held a position (valid or
    not). CorpusError when the file breaks off before one did."""
    positioned = False
    try:
        with fitdecode.FitReader(
            io.BytesIO(data), check_crc=fitdecode.CrcCheck.WARN, keep_raw_chunks=False
        ) as fit:
            for frame in fit:
                if not isinstance(frame, fitdecode.FitDataMessage) or frame.name != "record":
                    continue
                lat = frame.get_value("position_lat", fallback=None)
                lon = frame.get_value("position_long", fallback=None)
                if lat is None or lon is None:
                    continue
                positioned = True
                try:
                    pos = latlon(lat * SEMICIRCLE_TO_DEG, lon * SEMICIRCLE_TO_DEG, "record")
                except RecordError as exc:
                    problems.append(f"record: {exc}; point skipped")
                    continue
                when = frame.get_value("timestamp", fallback=None)
                if isinstance(when, datetime) and pos is not None:
                    fixes.append((pos, when if when.tzinfo else None))
                elif pos is not None:
                    fixes.append((pos, None))
    except fitdecode.FitError as exc:
        if not fixes:
            raise CorpusError(f"{shown_path(path)}: not a valid FIT file ({exc})") from None
        problems.append(f"FIT error ({exc}); the rest is skipped")
    return positioned


def _dji_fixes(data: bytes, path: Path) -> tuple[list[Fix], Fix | None, list[str]]:
    """(fixes, take-off point, problems) of a DJI telemetry subtitle file. The drone's clock
    is local time without an offset: it is read in the zone at the first position."""
    from geoleak.extract.localtime import localize_naive, timezone_at
    from geoleak.formats.dji_srt import looks_like_dji_srt, parse_dji_srt

    if not looks_like_dji_srt(data[:512]):
        raise CorpusError(f"{shown_path(path)}: subtitles without DJI flight telemetry; not read")
    telemetry = parse_dji_srt(data)
    problems = list(telemetry.warnings)
    positions: list[tuple[LatLon, datetime | None]] = []
    for fix in telemetry.fixes:
        try:
            pos = latlon(fix.lat, fix.lon, "GPS")
        except RecordError as exc:
            problems.append(f"GPS: {exc}; point skipped")
            continue
        if pos is not None:
            positions.append((pos, fix.local_time))
    home: Fix | None = None
    if telemetry.home is not None:
        try:
            home_pos = latlon(*telemetry.home, "HOME")
        except RecordError as exc:
            problems.append(f"HOME: {exc}; take-off point skipped")
            home_pos = None
        if home_pos is not None:
            home = (home_pos, None)
    anchor = positions[0][0] if positions else home[0] if home else None
    zone = timezone_at(anchor) if anchor is not None else None
    fixes = [(pos, localize_naive(local, zone) if local else None) for pos, local in positions]
    if home is not None:
        home = (home[0], fixes[0][1] if fixes else None)
    return fixes, home, problems


def track_endpoints(path: Path, diag: Diagnostics) -> Iterator[tuple[str, Fix, str]]:
    """(role, fix, name) for the start and end of each activity and each waypoint; a DJI
    flight log also gives its take-off point (role "takeoff": where the pilot stood)."""
    data = _read_bytes(path)
    name = path.name.lower().removesuffix(".gz")
    segments: Iterator[tuple[str, list[Fix], list[str]]]
    if name.endswith(".srt"):
        fixes, home, problems = _dji_fixes(data, path)
        if home is not None:
            yield "takeoff", home, ""
        segments = iter([("dji", fixes, problems)])
    elif name.endswith(".fit"):
        fixes, problems = _fit_fixes(data, path)
        segments = iter([("fit", fixes, problems)])
    else:
        segments = _xml_segments(data, path)
    for kind, seg_fixes, notes in segments:
        if kind == "wpt":
            yield "waypoint", seg_fixes[0], notes[0] if notes else ""
            continue
        for note in notes[:3]:
            diag.warn(f"{shown_path(path)}: {note}", kind="bad-record")
        if len(notes) > 3:
            diag.warn(
                f"{shown_path(path)}: {len(notes) - 3} more bad points skipped", kind="bad-record"
            )
        if not seg_fixes:
            if kind == "dji":
                diag.warn(f"{shown_path(path)}: DJI flight telemetry without a GPS fix; nothing to place",
                          kind="no-gps-flight")  # fmt: skip
            if kind == "fit":
                diag.warn(f"{shown_path(path)}: a FIT activity without GPS positions (indoor ride, treadmill, "
                          "pool swim); nothing to place", kind="no-gps-activity")  # fmt: skip
            continue
        diag.tally("activity_tracks")
        diag.tally("activity_fixes", len(seg_fixes))
        diag.tally("activity_points", min(2, len(seg_fixes)))
        yield "start", seg_fixes[0], ""
        stays, seen = _stays(seg_fixes)
        diag.tally("activity_stays", stays)
        diag.tally("activity_stay_points", len(seen))
        for position, when in seen:
            yield "stay", (position, when), ""
        if len(seg_fixes) > 1:
            yield "end", seg_fixes[-1], ""


def _stays(fixes: list[Fix]) -> tuple[int, list[tuple[LatLon, datetime]]]:
    """The stays of a track (a logger's day, a ride's café stop) and their observations
    (`geoleak.ingest.stays`); none where a fix has no time or the times go backwards."""
    times = [when for _, when in fixes if when is not None]
    if len(times) < 2 or len(times) < len(fixes) or any(b < a for a, b in pairwise(times)):
        return 0, []
    stays, seen = stay_observations(
        [pos.lat for pos, _ in fixes], [pos.lon for pos, _ in fixes], times
    )
    return stays, [(position, when) for _, position, when in seen]


@register
class TracksReader(Reader):
    name = "tracks"
    description = (
        "GPX, TCX and FIT activity files (Strava, Garmin, Polar), DJI flight telemetry (.SRT):"
        " start and end points, and the stays inside them"
    )
    priority = 40

    def sniff(self, path: Path) -> bool:
        if path.is_file():
            return _is_track(path.name.lower())
        if not path.is_dir():
            return False
        # Activity files at any depth (Strava's activities/, Garmin's nested folders).
        return next(find_files(path, _is_track, max_depth=SNIFF_DEPTH), None) is not None

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        return self.read_among(path, diag, author=author, media_read=True)

    def read_among(
        self, path: Path, diag: Diagnostics, *, author: str | None = None, media_read: bool
    ) -> Iterator[Post]:
        root = path if path.is_dir() else path.parent
        person = author or root.resolve().name or "me"
        files = list(find_files(path, _is_track))
        if not files:
            raise CorpusError(f"{shown_path(path)}: no GPX, TCX or FIT files found")
        for file in files:
            if media_read and path.is_dir() and video_beside(file) is not None:
                # DJI_0001.SRT beside DJI_0001.MP4: the flight is that video's track, read
                # with the video (extract.media), not a second time here. Where the videos
                # are not read (--source tracks), the telemetry is read as a track.
                diag.tally("telemetry_of_videos")
                continue
            rel = file.relative_to(root).as_posix()
            try:
                points = list(track_endpoints(file, diag))
            except CorpusError as exc:
                diag.warn(f"{exc}; file skipped", kind="bad-file")
                continue
            counts: dict[str, int] = {}
            for role, (pos, when), label in points:
                counts[role] = counts.get(role, 0) + 1
                yield Post(
                    id=f"{rel}#{role}{counts[role]}",
                    author=person,
                    created_at=when,
                    geotag=pos,
                    place=NamedPlace(label) if label else None,
                    origin=shown_path(file),
                    geotag_source=EvidenceSource.TRACK,
                    geotag_accuracy_m=TRACK_ACCURACY_M,
                    extra={"source": "activity-track", "role": role},
                )
