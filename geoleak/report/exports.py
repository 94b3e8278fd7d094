"""Exports of profiles and evidence: GeoJSON (RFC 7946), KML (Google Earth) and CSV.

Every evidence row carries its post id, source, local time and the path of the media file
that leaked (or the post's origin). Coordinates are (lat, lon) in geoleak; GeoJSON and KML
want (lon, lat) and are converted at the one place that writes them.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from geoleak.errors import OutputError, UsageError
from geoleak.outputs import atomic_write_text
from geoleak.paths import shown_path
from geoleak.report.maps import SiteMarker, shared_sites
from geoleak.types import Evidence, LatLon, Place, Profile

__all__ = [
    "EVIDENCE_COLUMNS",
    "EXPORT_FORMATS",
    "PLACE_COLUMNS",
    "evidence_record",
    "place_record",
    "to_csv",
    "to_geojson",
    "to_kml",
    "write_exports",
]

EXPORT_FORMATS = ("geojson", "kml", "csv")
EVIDENCE_COLUMNS = (
    "person",
    "post_id",
    "source",
    "lat",
    "lon",
    "accuracy_m",
    "time_utc",
    "local_time",
    "local_basis",
    "tz_name",
    "posted_at",
    "media_path",
    "device",
    "text",
)
PLACE_COLUMNS = (
    "person",
    "kind",
    "lat",
    "lon",
    "radius_m",
    "confidence",
    "days",
    "nights",
    "workdays",
    "first_seen",
    "last_seen",
    "site_id",
    "evidence",
    "explanation",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _lonlat(position: LatLon) -> list[float]:
    """RFC 7946 position: [longitude, latitude] (the reverse of geoleak's order)."""
    return [round(position.lon, 7), round(position.lat, 7)]


def evidence_record(evidence: Evidence) -> dict[str, Any]:
    return {
        "person": evidence.person,
        "post_id": evidence.post_id,
        "source": evidence.source.value,
        "lat": round(evidence.position.lat, 7),
        "lon": round(evidence.position.lon, 7),
        "accuracy_m": evidence.accuracy_m,
        "time_utc": _iso(evidence.time_utc),
        "local_time": _iso(evidence.local_time),
        "local_basis": evidence.local_basis.value,
        "tz_name": evidence.tz_name,
        "posted_at": _iso(evidence.posted_at),
        "media_path": shown_path(evidence.media_path) or None,
        "device": evidence.device,
        "text": evidence.text,
    }


def place_record(person: str, place: Place) -> dict[str, Any]:
    return {
        "person": person,
        "kind": place.kind.value,
        "lat": round(place.position.lat, 7),
        "lon": round(place.position.lon, 7),
        "radius_m": place.radius_m,
        "confidence": place.confidence,
        "days": place.days,
        "nights": place.nights,
        "workdays": place.workdays,
        "first_seen": _iso(place.first_seen),
        "last_seen": _iso(place.last_seen),
        "site_id": place.site_id,
        "evidence": list(place.evidence),
        "explanation": place.explanation,
    }


def _all_evidence(evidence: Mapping[str, Sequence[Evidence]]) -> Iterable[Evidence]:
    for person in sorted(evidence):
        yield from evidence[person]


def to_geojson(
    profiles: Sequence[Profile],
    evidence: Mapping[str, Sequence[Evidence]],
    *,
    sites: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """One FeatureCollection: places (`feature_type` place), sites, then evidence points."""
    features: list[dict[str, Any]] = []
    for profile in profiles:
        for place in profile.places:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": _lonlat(place.position)},
                    "properties": {"feature_type": "place", **place_record(profile.person, place)},
                }
            )
    for site in shared_sites(profiles, sites):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _lonlat(site.position)},
                "properties": {
                    "feature_type": "site",
                    "site_id": site.site_id,
                    "name": site.name,
                    "people": list(site.people),
                    "radius_m": site.radius_m,
                    "category": site.category,
                },
            }
        )
    for item in _all_evidence(evidence):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _lonlat(item.position)},
                "properties": {"feature_type": "evidence", **evidence_record(item)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


_KML_NS = "http://www.opengis.net/kml/2.2"
_KML_STYLES = {
    "home": "ff2a2ac9",
    "base": "ffb85f1c",
    "frequent": "ff756b5f",
    "site": "ffbf2c7b",
    "evidence": "ff0aa3f5",
}


def _kml_point(
    parent: ET.Element,
    name: str,
    description: str,
    position: LatLon,
    style: str,
    when: datetime | None = None,
) -> None:
    mark = ET.SubElement(parent, "Placemark")
    ET.SubElement(mark, "name").text = name  # ElementTree escapes markup in text
    ET.SubElement(mark, "description").text = description
    ET.SubElement(mark, "styleUrl").text = f"#{style}"
    if when is not None:
        stamp = ET.SubElement(mark, "TimeStamp")
        ET.SubElement(stamp, "when").text = when.isoformat()
    point = ET.SubElement(mark, "Point")
    # KML coordinates are lon,lat[,alt]
    ET.SubElement(point, "coordinates").text = f"{position.lon:.7f},{position.lat:.7f},0"


def to_kml(
    profiles: Sequence[Profile],
    evidence: Mapping[str, Sequence[Evidence]],
    *,
    sites: Sequence[Any] | None = None,
) -> str:
    """A KML document: a folder per person (places, evidence) and one of shared sites.

    Descriptions are plain text (no HTML), so nothing from the corpus can run in a viewer.
    """
    ET.register_namespace("", _KML_NS)
    kml = ET.Element("kml", xmlns=_KML_NS)
    document = ET.SubElement(kml, "Document")
    ET.SubElement(document, "name").text = "geoleak export"
    for style_id, colour in _KML_STYLES.items():
        style = ET.SubElement(document, "Style", id=style_id)
        icon_style = ET.SubElement(style, "IconStyle")
        ET.SubElement(icon_style, "color").text = colour
        ET.SubElement(icon_style, "scale").text = "1.1" if style_id != "evidence" else "0.6"
    known = {p.person: p for p in profiles}
    for person in sorted(set(known) | set(evidence)):
        folder = ET.SubElement(document, "Folder")
        ET.SubElement(folder, "name").text = person
        profile = known.get(person)
        for place in profile.places if profile else ():
            _kml_point(
                folder,
                f"{person}: {place.kind.value} ({place.confidence:.0%})",
                f"{place.explanation}\nradius {place.radius_m:.0f} m; evidence: "
                + ", ".join(place.evidence[:20]),
                place.position,
                place.kind.value,
            )
        items = evidence.get(person, ())
        if items:
            sub = ET.SubElement(folder, "Folder")
            ET.SubElement(sub, "name").text = f"{person}: evidence ({len(items)})"
            for item in items:
                local = item.local_time.isoformat(sep=" ") if item.local_time else "unknown"
                _kml_point(
                    sub,
                    f"{item.post_id} ({item.source.value})",
                    f"local time {local}; file {shown_path(item.media_path) or '-'}\n{item.text or ''}",
                    item.position,
                    "evidence",
                    item.time_utc,
                )
    markers: list[SiteMarker] = shared_sites(profiles, sites)
    if markers:
        folder = ET.SubElement(document, "Folder")
        ET.SubElement(folder, "name").text = "Shared sites"
        for site in markers:
            _kml_point(
                folder,
                f"site {site.name}",
                "people: " + ", ".join(site.people),
                site.position,
                "site",
            )
    ET.indent(kml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(kml, encoding="unicode") + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell; text a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    # RFC 4180 line ends: the csv module quotes a field holding any character of the line
    # terminator, so with "\r\n" a carriage return inside a name is quoted too.
    writer = csv.DictWriter(
        buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({c: _cell(row.get(c)) for c in columns})
    return buffer.getvalue()


def write_exports(
    profiles: Sequence[Profile],
    evidence: Mapping[str, Sequence[Evidence]],
    out_dir: Path,
    *,
    formats: Sequence[str] = EXPORT_FORMATS,
    sites: Sequence[Any] | None = None,
) -> list[Path]:
    """Write `geoleak.geojson`, `geoleak.kml`, `evidence.csv` + `places.csv` into `out_dir`."""
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown:
        raise UsageError(
            f"unknown export format {unknown[0]!r}; choose from {', '.join(EXPORT_FORMATS)}"
        )
    out_dir = Path(out_dir)
    written: list[Path] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if "geojson" in formats:
            path = out_dir / "geoleak.geojson"
            atomic_write_text(
                path,
                json.dumps(
                    to_geojson(profiles, evidence, sites=sites), ensure_ascii=False, indent=1
                ),
            )
            written.append(path)
        if "kml" in formats:
            path = out_dir / "geoleak.kml"
            atomic_write_text(path, to_kml(profiles, evidence, sites=sites))
            written.append(path)
        if "csv" in formats:
            path = out_dir / "evidence.csv"
            atomic_write_text(
                path,
                to_csv((evidence_record(e) for e in _all_evidence(evidence)), EVIDENCE_COLUMNS),
                newline="",
            )
            written.append(path)
            path = out_dir / "places.csv"
            atomic_write_text(
                path,
                to_csv(
                    (place_record(p.person, place) for p in profiles for place in p.places),
                    PLACE_COLUMNS,
                ),
                newline="",
            )
            written.append(path)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write exports: {exc.strerror or exc}") from exc
    return written
