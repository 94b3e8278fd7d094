"""Audit: what a folder, a photo or a platform export gives away, before it is posted.

Runs the same pipeline as `geoleak infer` (so the places shown are the ones an analyst
would infer), then adds, per media file, every location and identifying metadata field
geoleak's scrubber finds (so the user sees exactly what `geoleak scrub` would remove),
the devices and serial numbers, the time span, and the files that give away most: those
within `near_m` (200 m) of an inferred home or base.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from geoleak.diagnostics import Diagnostics
from geoleak.extract.media import EMPTY_FILE, read_media
from geoleak.geometry import haversine_m
from geoleak.mediatypes import (
    COMPANION_EXTENSIONS,
    DOCUMENT_EXTENSIONS,
    SIDECAR_EXTENSIONS,
    UNREAD_IMAGE_EXTENSIONS,
    telemetry_beside,
    video_beside,
)
from geoleak.paths import path_names, shown_path
from geoleak.remedy.documents import document_findings
from geoleak.remedy.model import (
    LOCATING,
    NEAR_M,
    Finding,
    FindingKind,
    NoPosition,
    Unsupported,
)
from geoleak.remedy.scrub import scan_file
from geoleak.types import LatLon, MediaMeta, Place, PlaceKind, Profile
from geoleak.wording import count as count_of

__all__ = ["AuditReport", "ExposedFile", "audit", "audit_maps_dir", "write_audit_html"]


@dataclass(slots=True)
class ExposedFile:
    """One media file and what it gives away."""

    path: str
    position: LatLon | None
    capture_time: datetime | None
    device: str | None
    serial: str | None
    fields: list[Finding] = field(default_factory=list)
    near: list[tuple[str, str, float]] = field(default_factory=list)  # (person, place kind, metres)
    error: str | None = None

    @property
    def leaks_location(self) -> bool:
        return self.position is not None or any(
            f.kind in LOCATING and "no valid position" not in (f.value or "") for f in self.fields
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "leaks": self.leaks_location,
            "position": [self.position.lat, self.position.lon] if self.position else None,
            "capture_time": self.capture_time.isoformat() if self.capture_time else None,
            "device": self.device,
            "serial": self.serial,
            "fields": [
                {"field": f.field, "kind": f.kind.value, "value": f.value} for f in self.fields
            ],
            "near": [{"person": p, "place": k, "distance_m": round(d, 1)} for p, k, d in self.near],
            "error": self.error,
        }


@dataclass(slots=True)
class AuditReport:
    files: list[ExposedFile]
    profiles: list[Profile]
    evidence: dict[str, list[Any]]
    stats_lines: list[str]
    posts_located: int
    near_m: float = NEAR_M

    @property
    def located_files(self) -> list[ExposedFile]:
        return [f for f in self.files if f.leaks_location]

    @property
    def leaks(self) -> bool:
        """True when any position (or place name) was found in a file or a post."""
        return bool(self.located_files) or self.posts_located > 0

    @property
    def unread(self) -> list[ExposedFile]:
        """Files that could not be read or examined and show no position: whether they
        give one away is unknown (hidden files and symlinks, skipped by design, are not;
        nor is an empty file, which holds nothing)."""
        return [
            f
            for f in self.files
            if f.error
            and not f.error.startswith("skipped:")
            and f.error != EMPTY_FILE
            and not f.leaks_location
        ]

    @property
    def devices(self) -> Counter[str]:
        return Counter(f.device for f in self.files if f.device)

    @property
    def serials(self) -> list[str]:
        return sorted({f.serial for f in self.files if f.serial})

    @property
    def time_span(self) -> tuple[datetime, datetime] | None:
        times = [_comparable(f.capture_time) for f in self.files if f.capture_time]
        return (min(times), max(times)) if times else None

    @property
    def most_revealing(self) -> list[ExposedFile]:
        """Files within `near_m` of an inferred home or base, nearest first."""
        return sorted((f for f in self.files if f.near), key=lambda f: min(d for _, _, d in f.near))

    @property
    def positions_as_content(self) -> list[ExposedFile]:
        """Located files whose positions are what they hold, which `scrub` does not edit:
        tracks, location history, an export's posts (a Takeout sidecar, which scrub zeroes,
        and photos are not among them)."""
        return [
            f
            for f in self.located_files
            if not f.error
            and any(x.kind in LOCATING for x in f.fields)
            and not any(x.removed for x in f.fields if x.kind in LOCATING)
        ]

    @property
    def fields_to_remove(self) -> list[tuple[str, str, int]]:
        """(field, kind, number of files) for location and identifying fields, most common first."""
        counts: Counter[tuple[str, str]] = Counter()
        for f in self.files:
            for item in {
                (x.field, x.kind.value)
                for x in f.fields
                if x.kind in (FindingKind.LOCATION, FindingKind.PLACE, FindingKind.IDENTIFYING)
            }:
                counts[item] += 1
        return [(name, kind, n) for (name, kind), n in counts.most_common()]

    def places(self) -> list[tuple[str, Place]]:
        return [
            (p.person, place)
            for p in self.profiles
            for place in p.places
            if place.kind in (PlaceKind.HOME, PlaceKind.BASE)
        ]

    def summary_lines(self) -> list[str]:
        n, located = len(self.files), len(self.located_files)
        lines = [
            f"{_what_files(self.files)}; {located} "
            + ("gives" if located == 1 else "give")
            + " away a position or place"
            + (f" ({100 * located / n:.0f}%)" if n else "")
        ]
        lines += self.stats_lines
        if self.devices:
            lines.append(
                "devices: "
                + ", ".join(f"{d} ({count_of(c, 'file')})" for d, c in self.devices.most_common(8))
            )
        if self.serials:
            lines.append(
                "serial numbers (tie every photo to one camera): " + ", ".join(self.serials)
            )
        span = self.time_span
        if span:
            lines.append(f"time span: {span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M}")
        places = self.places()
        if places:
            for person, place in places:
                lines.append(
                    f"inferred {place.kind.value} of {person}: {place.position} "
                    f"(±{place.radius_m:.0f} m, confidence {place.confidence:.2f}, "
                    f"{place.days} days) {place.explanation}".rstrip()
                )
        elif located:
            lines.append(
                "no home or work place could be inferred from these files "
                "(too few located files on distinct days)"
            )
        skipped = [f for f in self.files if f.error and f.error.startswith("skipped:")]
        for f in skipped[:10]:
            lines.append(f"{f.path}: {f.error}")
        if len(skipped) > 10:
            lines.append(f"... and {len(skipped) - 10} more files skipped (see --json)")
        stuck = [f for f in self.located_files if f.error and f.error.startswith("not examined:")]
        if stuck:  # (a video's timed GPS track, a format scrub does not write: left as is)
            lines.append(f"files that give away a position and geoleak scrub cannot clean "
                         f"({len(stuck)}):")  # fmt: skip
            for f in stuck[:10]:
                lines.append(f"  {f.path}: {(f.error or '').removeprefix('not examined: ')}")
            if len(stuck) > 10:
                lines.append(f"  ... and {len(stuck) - 10} more (see --json)")
        content = self.positions_as_content
        if content:  # (what scrub cannot do for them: the user can)
            lines.append(
                f"files whose positions are their content ({len(content)}; scrub does not "
                "edit them: keep them private or delete them, and remove the posts' "
                "locations on the platform):"
            )
            for f in content[:10]:
                what = next(x for x in f.fields if x.kind in LOCATING)
                shown = f"{what.field}: {what.value}" if what.value else what.field
                lines.append(f"  {f.path}: {shown}")
            if len(content) > 10:
                lines.append(f"  ... and {len(content) - 10} more (see --json)")
        revealing = self.most_revealing
        if revealing:
            lines.append(
                f"files within {self.near_m:.0f} m of an inferred home or base ({len(revealing)}):"
            )
            for f in revealing[:15]:
                where = ", ".join(f"{d:.0f} m from {p}'s {k}" for p, k, d in f.near)
                lines.append(f"  {f.path}: {where}")
        fields = self.fields_to_remove
        if fields:
            lines.append(
                "metadata to remove (geoleak scrub removes location; --all-identifying the rest):"
            )
            for name, kind, count in fields[:20]:
                lines.append(f"  {name} [{kind}] in {count_of(count, 'file')}")
        return lines

    def to_json(self) -> dict[str, Any]:
        span = self.time_span
        return {
            "files": len(self.files),
            "files_with_position": len(self.located_files),
            "posts_located": self.posts_located,
            "leaks": self.leaks,
            "files_unread": len(self.unread),
            "devices": dict(self.devices),
            "serials": self.serials,
            "time_span": [span[0].isoformat(), span[1].isoformat()] if span else None,
            "places": [
                {
                    "person": person,
                    "kind": place.kind.value,
                    "lat": place.position.lat,
                    "lon": place.position.lon,
                    "radius_m": place.radius_m,
                    "confidence": place.confidence,
                    "days": place.days,
                    "explanation": place.explanation,
                }
                for person, place in self.places()
            ],
            "near_m": self.near_m,
            "most_revealing": [f.path for f in self.most_revealing],
            "positions_as_content": [f.path for f in self.positions_as_content],
            "fields_to_remove": [
                {"field": n, "kind": k, "files": c} for n, k, c in self.fields_to_remove
            ],
            "per_file": [f.to_json() for f in self.files],
        }


def _comparable(moment: datetime) -> datetime:
    # capture times are aware (with an offset) or naive local: compare as wall-clock
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def audit(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    source: str | None = None,
    author: str | None = None,
    near_m: float = NEAR_M,
    diag: Diagnostics | None = None,
    progress: Callable[[int], None] | None = None,
    geocoder: Any = "offline",
    archives: contextlib.ExitStack | None = None,
) -> AuditReport:
    """Audit folders, photos or exports (anything `geoleak infer` reads), with the evidence
    `geoleak infer` builds (`geocoder`: a geoleak.geocode.Geocoder, None for no place names
    in text, default the offline gazetteer). The folders zip inputs are extracted to are
    removed when the audit ends, or when `archives` closes: a caller writing the audit's
    page (`write_audit_html`, its thumbnails read the photos) passes an ExitStack."""
    diag = diag or Diagnostics()
    if archives is not None:
        return _audit(inputs, source, author, near_m, diag, progress, geocoder, archives)
    with contextlib.ExitStack() as own:  # (a zip's files are examined after reading)
        return _audit(inputs, source, author, near_m, diag, progress, geocoder, own)


def _audit(
    inputs: Sequence[str | os.PathLike[str]],
    source: str | None,
    author: str | None,
    near_m: float,
    diag: Diagnostics,
    progress: Callable[[int], None] | None,
    geocoder: Any,
    archives: contextlib.ExitStack,
) -> AuditReport:
    from geoleak.geocode import OFFLINE
    from geoleak.pipeline import NO_LOCATION, run

    # An XMP sidecar named on its own is no post (no reader takes it): it is examined here.
    # So is a camera's proxy or thumbnail named on its own (GoPro .LRV, .THM: examined, not
    # evidence; in a folder one whose video is gone is a post: ingest/folder.py) and a
    # document.
    sidecars, companions, documents = (
        [Path(p) for p in inputs if source is None and _is_file_of(Path(p), extensions)]
        for extensions in (SIDECAR_EXTENSIONS, COMPANION_EXTENSIONS, DOCUMENT_EXTENSIONS)
    )
    named = sidecars + companions + documents
    result = run(
        [str(p) for p in inputs if Path(p) not in named], diag=diag, source=source,
        author=author, progress=progress, geocoder=OFFLINE if geocoder == "offline" else geocoder,
        archives=archives,
    )  # fmt: skip
    places = [
        (p.person, place)
        for p in result.profiles
        for place in p.places
        if place.kind in (PlaceKind.HOME, PlaceKind.BASE)
    ]
    files = [_exposed(path, meta, places, near_m) for path, meta in sorted(result.media.items())]
    files += _other_files(inputs, set(result.media))
    files += _posts_files(result.stats.located_origins, {f.path for f in files})
    for sidecar in sidecars:  # (named by the user: listed, whatever it holds)
        try:
            files += _location_file(sidecar, scan_file(sidecar).findings, always=True)
        except Unsupported as exc:
            files.append(_unread(sidecar, f"not examined: {exc}"))
            files[-1].fields = exc.findings
        except OSError as exc:
            files.append(_unread(sidecar, f"cannot read: {exc.strerror or exc}"))
    files += [_exposed(str(path), read_media(path), [], near_m) for path in companions]
    for document in documents:
        files += _document_file(document, always=True)
    lines = result.stats.summary_lines()
    if named and len(named) == len(inputs):  # no post was looked for: no "0 posts read"
        lines = []
        if not any(f.leaks_location for f in files):
            what = [count_of(len(sidecars), "XMP sidecar")] if sidecars else []
            what += [count_of(len(companions), "media file")] if companions else []
            what += [count_of(len(documents), "document")] if documents else []
            lines.append(NO_LOCATION + f"{' and '.join(what)} with no position")
    elif any(f.leaks_location for f in files):  # (the posts' verdict; a sidecar or track leaks)
        lines = [line for line in lines if not line.startswith(NO_LOCATION)]
    return AuditReport(
        files,
        list(result.profiles),
        dict(result.evidence),
        lines,
        result.stats.posts_located,
        near_m,
    )


# Files that are not posts of their own but can hold positions: tracks, maps, location
# JSON, and XMP sidecars (a photo's position beside it, or one left without its photo).
_LOCATION_SUFFIXES = frozenset(
    {".gpx", ".tcx", ".kml", ".geojson", ".fit", ".json", ".srt", *SIDECAR_EXTENSIONS}
)


def _other_files(inputs: Sequence[str | os.PathLike[str]], seen: set[str]) -> list[ExposedFile]:
    """Files the pipeline does not list as media: tracks, maps and location JSON (each
    counted with what it holds), and hidden files and symlinks (reported, not read)."""
    from geoleak.extract.scan import SCAN_EXTENSIONS, skip_reason
    from geoleak.remedy.scrub import iter_input_files

    # the suffixes this pass looks at (hidden files and links among them are only named)
    examined = (_LOCATION_SUFFIXES | SCAN_EXTENSIONS | UNREAD_IMAGE_EXTENSIONS
                | COMPANION_EXTENSIONS | DOCUMENT_EXTENSIONS)  # fmt: skip
    out: list[ExposedFile] = []
    seen_real = {os.path.realpath(p) for p in seen}
    names = path_names()
    folders = [Path(raw) for raw in inputs]
    for raw in inputs:  # a zip's files where it was extracted (still there: see `audit`)
        folders += [Path(f) for f in names.extracted_from(raw)]
    for root in folders:
        if not root.is_dir():
            continue
        root_real = os.path.realpath(root)
        for path, rel in iter_input_files([root]):
            suffix = path.suffix.lower()
            if str(path) in seen or suffix not in examined:
                continue
            video = video_beside(path)
            if video is not None and os.path.realpath(video) in seen_real:
                continue  # a drone video's flight: listed with the video (_exposed)
            hidden = any(part.startswith(".") for part in rel.parts)
            if hidden or path.is_symlink():
                reason = skip_reason(str(path), root_real) or "skipped: hidden file"
                out.append(ExposedFile(shown_path(path), None, None, None, None, error=reason))
                continue
            if suffix in DOCUMENT_EXTENSIONS:  # listed only when its XMP holds a location
                out.extend(_document_file(path))
                continue
            if suffix in COMPANION_EXTENSIONS:  # a GoPro proxy or thumbnail: read as media
                out.append(_exposed(str(path), read_media(path), [], NEAR_M))
                continue
            if suffix in UNREAD_IMAGE_EXTENSIONS:  # (it may hold a position: not clean)
                out.append(_unread(path, f"not examined: geoleak cannot read {suffix} files"))
                continue
            if suffix not in _LOCATION_SUFFIXES:
                continue
            try:
                findings = scan_file(path).findings
            except NoPosition:
                continue
            except Unsupported as exc:
                if suffix in SIDECAR_EXTENSIONS:  # not the XMP its name says: not clean
                    out.append(_unread(path, f"not examined: {exc}"))
                continue
            except OSError as exc:
                out.append(_unread(path, f"cannot read: {exc.strerror or exc}"))
                continue
            out.extend(_location_file(path, findings))
    return out


def _what_files(files: Sequence[ExposedFile]) -> str:
    """The audited files by what they are ("2 media files, 1 XMP sidecar"): a sidecar or a
    track is no media file."""
    kinds: Counter[str] = Counter()
    for item in files:
        suffix = os.path.splitext(item.path)[1].lower()
        if suffix in SIDECAR_EXTENSIONS:
            kinds["XMP sidecar"] += 1
        elif suffix in _LOCATION_SUFFIXES or any(f.field == POSTS_FIELD for f in item.fields):
            kinds["track or location file"] += 1
        elif suffix in DOCUMENT_EXTENSIONS:
            kinds["document"] += 1
        else:
            kinds["media file"] += 1
    shown = [count_of(kinds[kind], kind) for kind in _FILE_KINDS if kinds[kind]]
    return ", ".join(shown) or "0 media files"


_FILE_KINDS = ("media file", "XMP sidecar", "track or location file", "document")


def _is_file_of(path: Path, extensions: frozenset[str]) -> bool:
    """Whether `path` is a regular file (or a link to one) with one of `extensions`."""
    return path.suffix.lower() in extensions and path.is_file()


def _document_file(path: Path, *, always: bool = False) -> list[ExposedFile]:
    """A PDF, EPS or PostScript document as an audited file (`document_findings`: the
    location in its plain-text XMP). Listed when it holds a location (or `always`, a
    document the user named), as leaking and not cleanable: geoleak does not write
    documents."""
    try:
        findings = document_findings(path)
    except OSError as exc:
        return [_unread(path, f"cannot read: {exc.strerror or exc}")]
    located = [f for f in findings if f.kind in LOCATING]
    if not located and not always:
        return []
    suffix = path.suffix.lower()
    item = ExposedFile(shown_path(path), None, None, None, None, fields=findings)
    if located:
        item.error = f"not examined: a {suffix} document (its XMP and embedded photos read; scrub does not write it)"
    return [item]


def _unread(path: Path, why: str) -> ExposedFile:
    return ExposedFile(shown_path(path), None, None, None, None, error=why)


def _in_range(lat: float, lon: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


# The finding of a file whose posts gave positions (an export's tweets.js, a GeoLife .plt,
# a check-in data set): what `scan_file` does not examine, but a reader read.
POSTS_FIELD = "posts with a location (export or data set)"


def _posts_files(located: Counter[str], listed: set[str]) -> list[ExposedFile]:
    """The files the run's located posts were read from (`LeakStats.located_origins`),
    other than those listed already (media, tracks, location JSON): an export's posts file
    gives positions away as surely as a photo, though no scan of its bytes says so."""
    out: list[ExposedFile] = []
    for origin, count in sorted(located.items()):
        shown = shown_path(origin)
        if not origin or shown in listed or origin in listed:
            continue
        listed.add(shown)
        finding = Finding(POSTS_FIELD, FindingKind.LOCATION, count_of(count, "located post"))
        out.append(ExposedFile(shown, None, None, None, None, fields=[finding]))
    return out


def _location_file(
    path: Path, findings: list[Finding], *, always: bool = False
) -> list[ExposedFile]:
    """A track, location JSON or XMP sidecar as an audited file, when it holds a location
    (`always`: whatever it holds, a file the user named)."""
    located = [f for f in findings if f.kind in LOCATING]
    if not located and not always:
        return []
    # (a field whose value is out of range, "latitude": 95, still leaks; it gives no point)
    first = next((f.position for f in located if f.position and _in_range(*f.position)), None)
    item = ExposedFile(shown_path(path), LatLon(*first) if first else None, None, None, None,
                       fields=findings)  # fmt: skip
    if path.suffix.lower() in SIDECAR_EXTENSIONS:  # read as scan reads it: position, device
        meta = read_media(path)
        item.position = item.position or meta.position
        item.capture_time, item.device, item.serial = meta.capture_time, meta.device, meta.serial
    return [item]


def _exposed(
    path: str, meta: MediaMeta, places: list[tuple[str, Place]], near_m: float
) -> ExposedFile:
    item = ExposedFile(
        shown_path(path),
        meta.position,
        meta.capture_time,
        meta.device,
        meta.serial,
        error=meta.error,
    )
    try:
        item.fields = scan_file(path).findings
    except Unsupported as exc:
        item.fields = exc.findings  # what was read before the scanner gave up
        item.error = item.error or f"not examined: {exc}"
    except OSError as exc:
        item.error = item.error or f"cannot read: {exc.strerror or exc}"
    subtitles = telemetry_beside(path)
    if subtitles is not None:  # a drone video: its flight is in the .SRT beside it
        with contextlib.suppress(Unsupported, OSError):
            item.fields += scan_file(subtitles).findings
    if meta.position is not None:
        for person, place in places:
            distance = haversine_m(meta.position, place.position)
            if distance <= near_m:
                item.near.append((person, place.kind.value, distance))
    return item


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, empty: str, cls: str = ""
) -> str:
    """An HTML table from already-escaped cells."""
    if not rows:
        return f"<p class=muted>{empty}</p>"
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def audit_maps_dir(page: Path) -> Path:
    """The folder `write_audit_html` writes the maps of the page `page` into."""
    return page.with_name(page.stem + "-maps")


def write_audit_html(report: AuditReport, path: Path, *, tiles: str | None = None) -> list[Path]:
    """An HTML page with the audit, and the maps (report.maps) in `<name>-maps/` beside it.

    Everything taken from the files (names, EXIF strings) is HTML-escaped; the page loads
    nothing from the network. The maps are written into a hidden folder and moved in
    whole (`staged_output_dir`), then the page: a run stopped on the way leaves no page,
    and no maps folder half written (or half the last run's).
    """
    from geoleak.outputs import staged_output_dir
    from geoleak.report.assets import write_html
    from geoleak.report.maps import write_maps

    esc = html.escape
    written: list[Path] = []
    maps_dir = audit_maps_dir(path)
    map_link = ""
    if report.evidence:
        with staged_output_dir(maps_dir) as staged:
            written += staged.published(
                write_maps(report.profiles, report.evidence, staged.path, tiles=tiles)
            )
        map_link = (
            f'<p><a class=button href="{esc(maps_dir.name)}/index.html">'
            "Open the map of every located file and the inferred places</a></p>"
        )
    n, located = len(report.files), len(report.located_files)
    span = report.time_span
    cards = [
        ("files give away a position", f"{located} of {n}"),
        ("located posts", str(report.posts_located)),
        ("devices", str(len(report.devices))),
        ("serial numbers", str(len(report.serials))),
        ("time span", f"{span[0]:%Y-%m-%d} to {span[1]:%Y-%m-%d}" if span else "unknown"),
    ]
    cards_html = "".join(
        f"<div class=card><b>{esc(v)}</b><span>{esc(k)}</span></div>" for k, v in cards
    )
    places = _table(
        ["person", "place", "position", "radius", "confidence", "days", "why"],
        [
            [
                esc(person),
                esc(place.kind.value),
                esc(str(place.position)),
                f"{place.radius_m:.0f} m",
                f"{place.confidence:.2f}",
                str(place.days),
                esc(place.explanation),
            ]
            for person, place in report.places()
        ],
        empty="No home or work place could be inferred (too few located files on distinct days).",
    )
    revealing = _table(
        ["file", "taken", "gives away"],
        [
            [
                esc(f.path),
                esc(f"{f.capture_time:%Y-%m-%d %H:%M}") if f.capture_time else "",
                esc(", ".join(f"{d:.0f} m from {p}'s {k}" for p, k, d in f.near)),
            ]
            for f in report.most_revealing
        ],
        empty=f"No file lies within {report.near_m:.0f} m of an inferred home or base.",
        cls="paths",
    )
    fields = _table(
        ["field", "kind", "files", "removed by"],
        [
            [
                esc(name),
                esc(kind),
                str(count),
                "geoleak scrub"
                if kind in ("location", "place")
                else "geoleak scrub --all-identifying",
            ]
            for name, kind, count in report.fields_to_remove
        ],
        empty="No location or identifying metadata found.",
    )
    devices = _table(
        ["device", "files"],
        [[esc(d), str(c)] for d, c in report.devices.most_common()],
        empty="No camera make or model recorded.",
    )
    files = _table(
        ["file", "position", "taken", "device", "location fields", "problem"],
        [
            [
                esc(f.path),
                esc(str(f.position)) if f.position else "",
                esc(f"{f.capture_time:%Y-%m-%d %H:%M}") if f.capture_time else "",
                esc(f.device or ""),
                esc(", ".join(sorted({x.field for x in f.fields if x.kind in LOCATING}))),
                esc(f.error or ""),
            ]
            for f in sorted(report.files, key=lambda f: (not f.near, not f.leaks_location, f.path))
        ],
        empty="No media files.",
        cls="paths",
    )
    verdict = (
        "<p class=leak>Location found. Clean these files with <code>geoleak scrub IN -o OUT</code> "
        "before posting them.</p>"
        if report.leaks
        else "<p class=ok>No position found in these files.</p>"
    )
    stats = "".join(f"<li>{esc(line)}</li>" for line in report.stats_lines)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>geoleak audit</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:80em;padding:0 1em;
color:#212529}}
table{{border-collapse:collapse;width:100%;margin-bottom:1.5em}}
td,th{{border-bottom:1px solid #dee2e6;padding:.3em .5em;font-size:.9em;text-align:left;
vertical-align:top}}
th{{background:#f1f3f5}} .paths td:first-child{{word-break:break-all}}
.cards{{display:flex;flex-wrap:wrap;gap:1em;margin:1em 0}}
.card{{border:1px solid #dee2e6;border-radius:.5em;padding:.7em 1em;min-width:10em}}
.card b{{display:block;font-size:1.4em}} .card span{{color:#868e96;font-size:.85em}}
.leak{{color:#c92a2a;font-weight:bold}} .ok{{color:#2b8a3e;font-weight:bold}}
.muted{{color:#868e96}}
.button{{display:inline-block;background:#1971c2;color:#fff;padding:.5em 1em;
border-radius:.4em;text-decoration:none}}
</style></head><body>
<h1>What these files give away</h1>
{verdict}
<div class=cards>{cards_html}</div>
{map_link}
<h2>Places inferred from them</h2>{places}
<h2>Files that give away most</h2>
<p class=muted>Files within {report.near_m:.0f} m of an inferred home or base:
posting any one of them shows where that place is.</p>{revealing}
<h2>Metadata to remove</h2>{fields}
<h2>Devices</h2>{devices}
<p class=muted>Serial numbers tie every photo to one camera:
{esc(", ".join(report.serials)) or "none found"}.</p>
<h2>How much of the input carried a location</h2><ul>{stats}</ul>
<h2>All files</h2>{files}
<p class=muted>geoleak audit, {generated}. Everything here was read from local files;
nothing was sent anywhere.</p>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    written.insert(0, write_html(path, page))
    return written
