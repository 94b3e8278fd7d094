from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from geoleak.report.basemap import (
    build_basemap_files,
    decode_topojson,
    labels_for,
    load_places,
    world_countries,
)
from geoleak.types import LatLon


def _flat(coordinates: object) -> list[list[float]]:
    if isinstance(coordinates, list) and coordinates and isinstance(coordinates[0], (int, float)):
        return [coordinates]  # type: ignore[list-item]
    out: list[list[float]] = []
    for item in coordinates:  # type: ignore[union-attr]
        out.extend(_flat(item))
    return out


def test_decode_quantized_topology_with_shared_reversed_arc() -> None:
    # two squares sharing an edge; the second uses the shared arc reversed (~index)
    topo = {
        "type": "Topology",
        "transform": {"scale": [1.0, 0.5], "translate": [10.0, 40.0]},
        "arcs": [
            [[0, 0], [0, 2]],  # (10,40) -> (10,41): shared edge
            [[0, 2], [1, 0], [0, -2], [-1, 0]],  # (10,41) -> (11,41) -> (11,40) -> (10,40)
            [[0, 0], [-1, 0], [0, 2], [1, 0]],  # (10,40) -> (9,40) -> (9,41) -> (10,41)
        ],
        "objects": {
            "countries": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0, 1]], "properties": {"name": "East"}},
                    {"type": "Polygon", "arcs": [[~0, 2]], "properties": {"name": "West"}},
                ],
            }
        },
    }
    features = decode_topojson(topo, "countries")["features"]
    east, west = features
    assert east["properties"]["name"] == "East"
    assert east["geometry"]["coordinates"][0] == [[10, 40], [10, 41], [11, 41], [11, 40], [10, 40]]
    assert west["geometry"]["coordinates"][0] == [[10, 41], [10, 40], [9, 40], [9, 41], [10, 41]]


def test_ring_across_the_antimeridian_continues_past_180() -> None:
    topo = {
        "type": "Topology",
        "arcs": [[[179.0, 65.0], [180.0, 65.0], [-179.0, 65.5], [-179.0, 66.0], [179.0, 65.0]]],
        "objects": {
            "c": {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "arcs": [[0]]}]}
        },
    }
    ring = decode_topojson(topo, "c")["features"][0]["geometry"]["coordinates"][0]
    assert [p[0] for p in ring] == [179.0, 180.0, 181.0, 181.0, 179.0]


def test_bundled_countries_are_lon_lat_and_small() -> None:
    countries = world_countries()
    by_name = {f["properties"]["name"]: f for f in countries["features"]}
    assert len(by_name) > 150
    chile = _flat(by_name["Chile"]["geometry"]["coordinates"])
    # Chile: longitudes -76..-66, latitudes -56..-17: a swap would put latitudes first
    assert all(-76.5 < lon < -66 and -56.5 < lat < -17 for lon, lat in chile)
    norway = _flat(by_name["Norway"]["geometry"]["coordinates"])
    assert max(lat for _lon, lat in norway) > 70  # reaches the North Cape
    russia = _flat(by_name["Russia"]["geometry"]["coordinates"])
    assert max(lon for lon, _lat in russia) > 180  # Chukotka continues past the antimeridian
    files = Path(__file__).resolve().parents[2] / "geoleak" / "data" / "basemap"
    assert sum(p.stat().st_size for p in files.iterdir()) < 2_000_000


def test_labels_near_a_place_and_not_near_its_swap() -> None:
    oslo = LatLon(59.91, 10.75)
    names = {label.name for label in labels_for([oslo], world_top=0)}
    assert "Oslo" in names
    swapped = {label.name for label in labels_for([LatLon(oslo.lon, oslo.lat)], world_top=0)}
    assert "Oslo" not in swapped
    world = labels_for([], world_top=20)
    assert len(world) == 20
    assert world == sorted(world, key=lambda lab: -lab.population)


def test_places_file_is_sorted_by_population() -> None:
    places = load_places()
    assert len(places) > 20_000
    assert all(a.population >= b.population for a, b in itertools.pairwise(places[:501]))


def test_build_files_from_sources(tmp_path: Path) -> None:
    topo = {
        "type": "Topology",
        "arcs": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
        "objects": {
            "countries": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0]], "properties": {"name": "Nowhere"}}
                ],
            }
        },
    }
    cities = {
        "1": {
            "name": "Smallton",
            "latitude": 1.0,
            "longitude": 2.0,
            "population": 20000,
            "countrycode": "ZZ",
        },
        "2": {
            "name": "Big\tCity",
            "latitude": -3.5,
            "longitude": 170.25,
            "population": 900000,
            "countrycode": "ZZ",
        },
    }
    (tmp_path / "topo.json").write_text(json.dumps(topo))
    (tmp_path / "cities.json").write_text(json.dumps(cities))
    countries, places = build_basemap_files(
        tmp_path / "topo.json", tmp_path / "cities.json", tmp_path / "out"
    )
    assert json.loads(countries.read_text())["features"][0]["properties"]["name"] == "Nowhere"
    with gzip.open(places, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert lines[1] == "Big City\t-3.5000\t170.2500\t900000\tZZ"
    assert lines[2].startswith("Smallton\t1.0000\t2.0000")


@given(
    st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=1, max_size=30),
)
def test_decoded_arc_is_running_sum_of_deltas(deltas: list[tuple[int, int]]) -> None:
    topo = {
        "type": "Topology",
        "transform": {"scale": [0.01, 0.02], "translate": [5.0, -5.0]},
        "arcs": [[list(d) for d in deltas]],
        "objects": {
            "c": {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "arcs": [[0]]}]}
        },
    }
    ring = decode_topojson(topo, "c")["features"][0]["geometry"]["coordinates"][0]
    x = y = 0
    for (dx, dy), (lon, lat) in zip(deltas, ring, strict=True):
        x += dx
        y += dy
        assert abs(lon - (x * 0.01 + 5.0)) < 1e-3
        assert abs(lat - (y * 0.02 - 5.0)) < 1e-3
