"""Audit: what a folder, a photo or a platform export gives away, before it is posted.

Runs the same pipeline as `geoleak infer` (so the places shown are the ones an analyst
would infer), then adds, per media file, every location and identifying metadata field
geoleak's scrubber finds (so the user sees exactly what `geoleak scrub` would remove),
the devices and serial numbers, the time span, and the files that give away most: those
within `near_m` (200 m) of an inferred home or base.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from geoleak.diagnostics import Diagnostics
from geoleak.geometry import haversine_m
from geoleak.remedy.model import Finding, FindingKind, Unsupported
from geoleak.remedy.scrub import scan_file
from geoleak.types import LatLon, MediaMeta, Place, PlaceKind, Profile

__all__ = ["AuditReport", "ExposedFile", "audit", "write_audit_html"]

NEAR_M = 200.0


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
            f.kind is FindingKind.LOCATION and "no valid position" not in (f.value or "")
            for f in self.fields
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
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
    def fields_to_remove(self) -> list[tuple[str, str, int]]:
        """(field, kind, number of files) for location and identifying fields, most common first."""
        counts: Counter[tuple[str, str]] = Counter()
        for f in self.files:
            for item in {(x.field, x.kind.value) for x in f.fields
                         if x.kind in (FindingKind.LOCATION, FindingKind.IDENTIFYING)}:  # fmt: skip
                counts[item] += 1
        return [(name, kind, n) for (name, kind), n in counts.most_common()]

    def places(self) -> list[tuple[str, Place]]:
        return [(p.person, place) for p in self.profiles for place in p.places
                if place.kind in (PlaceKind.HOME, PlaceKind.BASE)]  # fmt: skip

    def summary_lines(self) -> list[str]:
        n, located = len(self.files), len(self.located_files)
        lines = [f"{n} media files; {located} give away a position or place"
                 + (f" ({100 * located / n:.0f}%)" if n else "")]  # fmt: skip
        lines += self.stats_lines
        if self.devices:
            lines.append(
                "devices: " + ", ".join(f"{d} ({c} files)" for d, c in self.devices.most_common(8))
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
                lines.append(f"inferred {place.kind.value} of {person}: {place.position} "
                             f"(±{place.radius_m:.0f} m, confidence {place.confidence:.2f}, "
                             f"{place.days} days) {place.explanation}".rstrip())  # fmt: skip
        elif located:
            lines.append("no home or work place could be inferred from these files "
                         "(too few located photos on distinct days)")  # fmt: skip
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
                lines.append(f"  {name} [{kind}] in {count} files")
        return lines

    def to_json(self) -> dict[str, Any]:
        span = self.time_span
        return {
            "files": len(self.files),
            "files_with_position": len(self.located_files),
            "posts_located": self.posts_located,
            "leaks": self.leaks,
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
) -> AuditReport:
    """Audit folders, photos or exports (anything `geoleak infer` reads)."""
    from geoleak.pipeline import run

    diag = diag or Diagnostics()
    result = run(
        [str(p) for p in inputs], diag=diag, source=source, author=author, progress=progress
    )
    places = [(p.person, place) for p in result.profiles for place in p.places
              if place.kind in (PlaceKind.HOME, PlaceKind.BASE)]  # fmt: skip
    files = [_exposed(path, meta, places, near_m) for path, meta in sorted(result.media.items())]
    return AuditReport(files, list(result.profiles), dict(result.evidence), result.stats.summary_lines(),
                       result.stats.posts_located, near_m)  # fmt: skip


def _exposed(
    path: str, meta: MediaMeta, places: list[tuple[str, Place]], near_m: float
) -> ExposedFile:
    item = ExposedFile(
        path, meta.position, meta.capture_time, meta.device, meta.serial, error=meta.error
    )
    try:
        item.fields = scan_file(path).findings
    except Unsupported as exc:
        item.error = item.error or f"not examined: {exc}"
    except OSError as exc:
        item.error = item.error or f"cannot read: {exc.strerror or exc}"
    if meta.position is not None:
        for person, place in places:
            distance = haversine_m(meta.position, place.position)
            if distance <= near_m:
                item.near.append((person, place.kind.value, distance))
    return item


def write_audit_html(report: AuditReport, path: Path, *, tiles: str | None = None) -> list[Path]:
    """An HTML page with the audit, and the maps (report.maps) in `<name>-maps/` beside it."""
    from geoleak.report.assets import write_html
    from geoleak.report.maps import write_maps

    written: list[Path] = []
    maps_dir = path.with_name(path.stem + "-maps")
    map_link = ""
    if report.evidence:
        written += write_maps(report.profiles, report.evidence, maps_dir, tiles=tiles)
        map_link = f'<p><a href="{html.escape(maps_dir.name)}/index.html">Map of every located file and the inferred places</a></p>'
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(f.path)}</td><td>{esc(str(f.position)) if f.position else ''}</td>"
        f"<td>{esc(f'{f.capture_time:%Y-%m-%d %H:%M}') if f.capture_time else ''}</td>"
        f"<td>{esc(f.device or '')}</td>"
        f"<td>{esc(', '.join(sorted({x.field for x in f.fields if x.kind is FindingKind.LOCATION})))}</td>"
        f"<td>{esc(', '.join(f'{d:.0f} m from {p} {k}' for p, k, d in f.near))}</td></tr>"
        for f in sorted(report.files, key=lambda f: (not f.near, not f.leaks_location, f.path))
    )
    summary = "".join(f"<li>{esc(line.strip())}</li>" for line in report.summary_lines())
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>geoleak audit</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:80em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .5em;font-size:.9em;text-align:left}}
.leak{{color:#c92a2a;font-weight:bold}}</style></head><body>
<h1>What these files give away</h1>
<p class="{"leak" if report.leaks else ""}">{"Location found: clean these files with <code>geoleak scrub</code> before posting." if report.leaks else "No position found."}</p>
{map_link}
<ul>{summary}</ul>
<h2>Files</h2>
<table><tr><th>file</th><th>position</th><th>taken</th><th>device</th><th>location fields</th><th>near home/base</th></tr>
{rows}</table>
<p><small>geoleak audit, {generated}. Everything here was read from local files.</small></p>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    written.insert(0, write_html(path, page))
    return written
