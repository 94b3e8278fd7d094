"""A user's own places: a trainer's list of bases, a person's own addresses.

GeoJSON (a FeatureCollection of Points or Polygons; `properties.name`, optional `aliases`
(list or `;`-separated), `radius_m`, `kind`) or CSV with a header (`name,lat,lon` and
optional `radius_m`, `kind`, `aliases`). A polygon stands for its centre with a radius
reaching its farthest corner. Names match case-, accent- and punctuation-insensitively.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoleak.csvinput import csv_errors
from geoleak.errors import UsageError
from geoleak.geocode.base import Geocoder, GeocodeResult, normalize_name, register_geocoder
from geoleak.geometry import haversine_m
from geoleak.types import LatLon

__all__ = ["PlacesFile", "UserPlace", "load_places"]

DEFAULT_RADIUS_M = 50.0


@dataclass(frozen=True, slots=True)
class UserPlace:
    name: str
    position: LatLon
    radius_m: float
    kind: str
    aliases: tuple[str, ...] = ()


def _number(value: Any, what: str, where: str) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{where}: {what} {value!r} is not a number") from None
    if not math.isfinite(result):
        raise UsageError(f"{where}: {what} is not finite")
    return result


def _position(lat: Any, lon: Any, where: str) -> LatLon:
    lat_f, lon_f = _number(lat, "lat", where), _number(lon, "lon", where)
    try:
        return LatLon(lat_f, lon_f)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None


def _aliases(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(";") if v.strip())
    return ()


def _ring_centre(ring: list[Any], where: str) -> tuple[LatLon, float]:
    # GeoJSON rings are [lon, lat] pairs.
    points = [_position(p[1], p[0], where) for p in ring if isinstance(p, list) and len(p) >= 2]
    if not points:
        raise UsageError(f"{where}: polygon without coordinates")
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]  # GeoJSON rings repeat their first position at the end
    lat = sum(p.lat for p in points) / len(points)
    # Average longitudes on the circle so a ring across the antimeridian stays there.
    x = sum(math.cos(math.radians(p.lon)) for p in points)
    y = sum(math.sin(math.radians(p.lon)) for p in points)
    centre = LatLon(lat, math.degrees(math.atan2(y, x)))
    return centre, max(haversine_m(centre, p) for p in points)


def _from_geojson(path: Path) -> list[UserPlace]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable GeoJSON file ({exc})") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise UsageError(f"{path}: expected a GeoJSON FeatureCollection")
    places: list[UserPlace] = []
    for n, feature in enumerate(features):
        where = f"{path}: feature {n}"
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        if not isinstance(name, str) or not name.strip() or not isinstance(geometry, dict):
            raise UsageError(f"{where}: needs properties.name and a geometry")
        coords = geometry.get("coordinates")
        kind = str(props.get("kind") or "user")
        if geometry.get("type") == "Point" and isinstance(coords, list) and len(coords) >= 2:
            position = _position(coords[1], coords[0], where)  # GeoJSON: lon, lat
            radius = _number(props.get("radius_m", DEFAULT_RADIUS_M), "radius_m", where)
        elif geometry.get("type") == "Polygon" and isinstance(coords, list) and coords:
            position, radius = _ring_centre(coords[0], where)
        else:
            raise UsageError(f"{where}: geometry must be a Point or Polygon")
        places.append(
            UserPlace(
                name.strip(), position, max(radius, 1.0), kind, _aliases(props.get("aliases"))
            )
        )
    return places


def _from_csv(path: Path) -> list[UserPlace]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with handle:
        reader = csv.DictReader(handle)
        with csv_errors(path, reader, UsageError):
            return _csv_places(path, reader)


def _csv_places(path: Path, reader: csv.DictReader[str]) -> list[UserPlace]:
    """The places of a CSV file's rows; UsageError naming the file and line of a bad one."""
    places: list[UserPlace] = []
    fields = {f.strip().lower() for f in reader.fieldnames or []}
    if not {"name", "lat", "lon"} <= fields:
        raise UsageError(f"{path}: CSV needs a header with name, lat, lon")
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        where = f"{path}:{number}"
        if not row.get("name"):
            raise UsageError(f"{where}: empty name")
        radius = _number(row.get("radius_m") or DEFAULT_RADIUS_M, "radius_m", where)
        places.append(
            UserPlace(
                row["name"],
                _position(row["lat"], row["lon"], where),
                max(radius, 1.0),
                row.get("kind") or "user",
                _aliases(row.get("aliases")),
            )
        )
    return places


def load_places(path: str | Path) -> list[UserPlace]:
    """The places in a GeoJSON or CSV file; UsageError naming the file (and line) when bad."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: places file not found")
    if path.suffix.lower() in (".geojson", ".json"):
        return _from_geojson(path)
    return _from_csv(path)


@register_geocoder("places")
class PlacesFile(Geocoder):
    """Looks names up in a user's places file."""

    name = "places"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.places = load_places(self.path)
        self._index: dict[str, UserPlace] = {}
        for place in self.places:
            for key in (place.name, *place.aliases):
                self._index.setdefault(normalize_name(key), place)

    def lookup(self, query: str) -> GeocodeResult | None:
        place = self._index.get(normalize_name(query))
        if place is None:
            return None
        return GeocodeResult(
            query, place.name, place.position, place.radius_m, place.kind, self.name
        )
