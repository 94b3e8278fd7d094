"""Sensitive sites: the installations a trainer or analyst wants flagged (`--sites FILE`).

A sites file is GeoJSON: Points (with an optional `radius_m`: the site's extent) and
Polygons / MultiPolygons (fences). Evidence *inside* a site, or *near* it (within
`near_m`, default 500 m, of its edge, also taking the evidence's own accuracy into
account), is a hit; hits say which people are tied to each site. Distances are computed in
a local flat projection around each polygon (fine at the scale of a base), with
longitudes wrapped so a site across the antimeridian works.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from geoleak.errors import UsageError
from geoleak.geometry import EARTH_RADIUS_M, haversine_m, mean_position
from geoleak.jsonlimits import loads
from geoleak.outputs import atomic_open
from geoleak.types import Evidence, LatLon, Place, Ring, SensitiveSite

__all__ = [
    "SensitiveSite",
    "SiteHit",
    "distance_to_site_m",
    "load_sites",
    "people_by_site",
    "place_hits",
    "site_hits",
    "site_markers",
    "sites_report",
    "write_hits_csv",
]

DEFAULT_NEAR_M = 500.0


@dataclass(frozen=True, slots=True)
class SiteHit:
    site_id: str
    site_name: str
    person: str
    post_id: str
    distance_m: float  # 0 inside the site
    inside: bool
    source: str
    accuracy_m: float


def _ring(coords: Any, where: str) -> Ring:
    if not isinstance(coords, list) or len(coords) < 3:
        raise UsageError(f"{where}: a polygon ring needs at least 3 [lon, lat] positions")
    points: list[LatLon] = []
    for pair in coords:
        try:
            points.append(LatLon(float(pair[1]), float(pair[0])))  # GeoJSON: lon, lat
        except (TypeError, ValueError, IndexError) as exc:
            raise UsageError(f"{where}: bad position {pair!r} ({exc})") from None
    return tuple(points)


def load_sites(path: str | Path) -> list[SensitiveSite]:
    """The sites in a GeoJSON file; UsageError naming the file and feature when bad."""
    path = Path(path)
    try:
        data = loads(path.read_bytes(), str(path))
    except FileNotFoundError:
        raise UsageError(f"{path}: sites file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable GeoJSON file ({exc})") from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise UsageError(f"{path}: expected a GeoJSON FeatureCollection of sites")
    if not features:
        raise UsageError(f"{path}: the FeatureCollection has no features (no sites to check)")
    sites: list[SensitiveSite] = []
    for n, feature in enumerate(features):
        where = f"{path}: feature {n}"
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            raise UsageError(f"{where}: not a GeoJSON Feature with a geometry")
        props = feature.get("properties") or {}
        geometry = feature["geometry"]
        gtype, coords = geometry.get("type"), geometry.get("coordinates")
        site_id = str(props.get("id") or feature.get("id") or f"site-{n + 1}")
        name = str(props.get("name") or site_id)
        try:
            radius = float(props.get("radius_m", 0.0) or 0.0)
        except (TypeError, ValueError):
            raise UsageError(
                f"{where}: radius_m {props.get('radius_m')!r} is not a number"
            ) from None
        if gtype == "Point":
            try:
                point = LatLon(float(coords[1]), float(coords[0]))  # GeoJSON: lon, lat
            except (TypeError, ValueError, IndexError) as exc:
                raise UsageError(f"{where}: bad Point coordinates ({exc})") from None
            sites.append(
                SensitiveSite(
                    site_id, name, point=point, radius_m=max(radius, 0.0), properties=props
                )
            )
        elif gtype in ("Polygon", "MultiPolygon"):
            polys = [coords] if gtype == "Polygon" else coords
            if (
                not isinstance(polys, list)
                or not polys
                or any(not isinstance(poly, list) or not poly for poly in polys)
            ):
                raise UsageError(f"{where}: {gtype} without coordinates")
            polygons = tuple(tuple(_ring(r, where) for r in poly) for poly in polys)
            sites.append(SensitiveSite(site_id, name, polygons=polygons, properties=props))
        else:
            raise UsageError(f"{where}: geometry {gtype!r} is not a Point, Polygon or MultiPolygon")
    return sites


def _project(origin: LatLon, point: LatLon) -> tuple[float, float]:
    """Metres east / north of `origin` (equirectangular; longitude difference wrapped)."""
    dlon = (point.lon - origin.lon + 180.0) % 360.0 - 180.0
    x = math.radians(dlon) * math.cos(math.radians(origin.lat)) * EARTH_RADIUS_M
    y = math.radians(point.lat - origin.lat) * EARTH_RADIUS_M
    return x, y


def _inside(ring: list[tuple[float, float]], px: float, py: float) -> bool:
    """Whether (px, py) is inside the projected ring (even-odd rule)."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=False):
        if (y1 > py) != (y2 > py):
            x_cross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            if x_cross > px:
                inside = not inside
    return inside


def _segment_distance(
    a: tuple[float, float], b: tuple[float, float], px: float, py: float
) -> float:
    ax, ay = a[0] - px, a[1] - py
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy)


# Beyond this distance from a polygon the flat projection is not trusted; the distance to
# the nearest corner is used instead (sites are installations, not countries).
_LOCAL_RANGE_M = 200_000.0


def distance_to_site_m(site: SensitiveSite, position: LatLon) -> tuple[float, bool]:
    """(distance in metres to the site's edge, whether `position` is inside)."""
    if site.point is not None:
        d = haversine_m(site.point, position)
        return max(0.0, d - site.radius_m), d <= site.radius_m
    best = math.inf
    for polygon in site.polygons:
        ref = polygon[0][0]
        if haversine_m(ref, position) > _LOCAL_RANGE_M:
            best = min(best, *(haversine_m(p, position) for ring in polygon for p in ring))
            continue
        # Project around the polygon's first corner so the polygon itself is never split
        # by the antimeridian.
        px, py = _project(ref, position)
        rings = [[_project(ref, p) for p in ring] for ring in polygon]
        if _inside(rings[0], px, py) and not any(_inside(hole, px, py) for hole in rings[1:]):
            return 0.0, True
        for ring in rings:
            for a, b in zip(ring, ring[1:] + ring[:1], strict=False):
                best = min(best, _segment_distance(a, b, px, py))
    return best, False


def site_hits(
    evidence: Mapping[str, Iterable[Evidence]],
    sites: Iterable[SensitiveSite],
    *,
    near_m: float = DEFAULT_NEAR_M,
) -> list[SiteHit]:
    """Every piece of evidence inside or within `near_m` (+ its own accuracy) of a site."""
    site_list = list(sites)
    hits: list[SiteHit] = []
    for person, items in evidence.items():
        for ev in items:
            for site in site_list:
                distance, inside = distance_to_site_m(site, ev.position)
                if inside or distance <= near_m + ev.accuracy_m:
                    hits.append(
                        SiteHit(
                            site.id,
                            site.name,
                            person,
                            ev.post_id,
                            round(distance, 1),
                            inside,
                            ev.source.value,
                            ev.accuracy_m,
                        )
                    )
    hits.sort(key=lambda h: (h.site_id, h.person, h.distance_m))
    return hits


def place_hits(
    places: Mapping[str, Iterable[Place]],
    sites: Iterable[SensitiveSite],
    *,
    near_m: float = DEFAULT_NEAR_M,
) -> list[tuple[SensitiveSite, str, Place, float]]:
    """(site, person, inferred place, distance) for homes / bases inside or near a site."""
    site_list = list(sites)
    out: list[tuple[SensitiveSite, str, Place, float]] = []
    for person, person_places in places.items():
        for place in person_places:
            for site in site_list:
                distance, inside = distance_to_site_m(site, place.position)
                if inside or distance <= near_m + place.radius_m:
                    out.append((site, person, place, distance))
    return out


def people_by_site(hits: Iterable[SiteHit]) -> dict[str, Counter[str]]:
    """site id -> {person: number of pieces of evidence}, the people tied to each site."""
    tied: dict[str, Counter[str]] = defaultdict(Counter)
    for hit in hits:
        tied[hit.site_id][hit.person] += 1
    return dict(tied)


def write_hits_csv(hits: Iterable[SiteHit], path: str | Path | IO[str]) -> None:
    """Every hit as a CSV row, written whole or not at all (`atomic_open`); OutputError
    when the file cannot be written. An open text handle (standard output) is written to
    as it is."""
    if not isinstance(path, (str, Path)):
        _hits_csv(hits, path)
        return
    with atomic_open(path, newline="") as handle:
        _hits_csv(hits, handle)


def _hits_csv(hits: Iterable[SiteHit], handle: IO[str]) -> None:
    columns = ["site_id", "site_name", "person", "post_id", "inside", "distance_m", "source",
               "accuracy_m"]  # fmt: skip
    writer = csv.writer(handle)
    writer.writerow(columns)
    for h in hits:
        writer.writerow([h.site_id, h.site_name, h.person, h.post_id, int(h.inside),
                         h.distance_m, h.source, h.accuracy_m])  # fmt: skip


def sites_report(
    sites: Iterable[SensitiveSite],
    hits: Iterable[SiteHit],
    places: Iterable[tuple[SensitiveSite, str, Place, float]] = (),
) -> list[dict[str, Any]]:
    """Per site: evidence count, how much is inside, the people tied (with counts) and the
    inferred homes / bases at it, as plain JSON-ready dicts."""
    hit_list = list(hits)
    tied = people_by_site(hit_list)
    place_list = list(places)
    report: list[dict[str, Any]] = []
    for site in sites:
        people = tied.get(site.id, Counter())
        report.append({
            "id": site.id,
            "name": site.name,
            "evidence": sum(people.values()),
            "inside": sum(1 for h in hit_list if h.site_id == site.id and h.inside),
            "people": dict(people.most_common()),
            "places": [
                {"person": person, "kind": place.kind.value, "distance_m": round(distance, 1),
                 "lat": place.position.lat, "lon": place.position.lon,
                 "confidence": place.confidence}
                for s, person, place, distance in place_list if s.id == site.id
            ],
        })  # fmt: skip
    return report


def site_markers(
    sites: Iterable[SensitiveSite], report: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Sensitive sites as map / report markers: centre, radius and the people tied to each.

    `report` is `sites_report`'s output; a polygon is marked at the centre of its outer
    ring, with the radius that reaches its farthest corner.
    """
    rows = {row["id"]: row for row in report}
    markers: list[dict[str, Any]] = []
    for site in sites:
        centre, radius = site.point, site.radius_m
        ring = site.polygons[0][0] if site.polygons and site.polygons[0] else ()
        if centre is None and ring:
            centre = mean_position([p.lat for p in ring], [p.lon for p in ring])
            radius = max(haversine_m(centre, p) for p in ring)
        if centre is None:
            continue
        row = rows.get(site.id, {})
        markers.append({
            "site_id": site.id,
            "name": site.name,
            "lat": centre.lat,
            "lon": centre.lon,
            "radius_m": radius or None,
            "people": sorted(row.get("people", {})),
            "category": "sensitive site",
            "note": f"{row.get('evidence', 0)} located posts inside or near it "
                    f"({row.get('inside', 0)} inside)",
        })  # fmt: skip
    return markers
