from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from geoleak.errors import UsageError
from geoleak.sites import distance_to_site_m, load_sites, people_by_site, place_hits, site_hits
from geoleak.types import Evidence, EvidenceSource, LatLon, Place, PlaceKind

SITES = Path(__file__).resolve().parent / "fixtures" / "geocode" / "sites.geojson"


def ev(post_id: str, person: str, lat: float, lon: float, accuracy: float = 10.0) -> Evidence:
    return Evidence(post_id, person, LatLon(lat, lon), EvidenceSource.EXIF, accuracy_m=accuracy)


@pytest.fixture(scope="module")
def sites():  # type: ignore[no-untyped-def]
    return {s.id: s for s in load_sites(SITES)}


def test_load_sites(sites) -> None:  # type: ignore[no-untyped-def]
    assert set(sites) == {"fort-fictional", "dateline-station", "arctic-radar"}
    assert sites["arctic-radar"].radius_m == 300
    assert len(sites["fort-fictional"].polygons[0]) == 2  # outer ring and a hole


def test_inside_outside_hole_and_distance(sites) -> None:  # type: ignore[no-untyped-def]
    fort = sites["fort-fictional"]
    assert distance_to_site_m(fort, LatLon(35.135, -79.01)) == (0.0, True)
    d, inside = distance_to_site_m(fort, LatLon(35.140, -79.005))  # in the hole
    assert not inside
    assert 0 < d < 150
    d, inside = distance_to_site_m(fort, LatLon(35.125, -79.0))  # ~555 m south of the fence
    assert not inside
    assert d == pytest.approx(555, abs=15)


def test_antimeridian_polygon(sites) -> None:  # type: ignore[no-untyped-def]
    station = sites["dateline-station"]
    assert distance_to_site_m(station, LatLon(-16.8, 179.99))[1]
    assert distance_to_site_m(station, LatLon(-16.8, -179.99))[1]
    d, inside = distance_to_site_m(station, LatLon(-16.8, 0.0))
    assert not inside
    assert d > 1_000_000


def test_point_site_at_high_latitude(sites) -> None:  # type: ignore[no-untyped-def]
    radar = sites["arctic-radar"]
    assert distance_to_site_m(radar, LatLon(78.2240, 15.6267))[1]  # ~89 m north
    d, inside = distance_to_site_m(radar, LatLon(78.2232, 15.66))  # ~760 m east at 78°N
    assert not inside
    assert d == pytest.approx(460, abs=20)


def test_site_hits_and_people(sites) -> None:  # type: ignore[no-untyped-def]
    evidence = {
        "alice": [ev("a1", "alice", 35.135, -79.01), ev("a2", "alice", 35.05, -78.88)],
        "bob": [ev("b1", "bob", 35.127, -79.0, accuracy=400.0), ev("b2", "bob", -16.8, -179.99)],
        "carol": [ev("c1", "carol", 35.10, -79.0)],
    }
    hits = site_hits(evidence, sites.values())
    assert {(h.site_id, h.post_id, h.inside) for h in hits} == {
        ("fort-fictional", "a1", True),
        ("fort-fictional", "b1", False),  # 330 m outside, within 500 m
        ("dateline-station", "b2", True),
    }
    tied = people_by_site(hits)
    assert dict(tied["fort-fictional"]) == {"alice": 1, "bob": 1}
    assert site_hits(evidence, sites.values(), near_m=0.0)[0].inside


def test_place_hits(sites) -> None:  # type: ignore[no-untyped-def]
    home = Place(PlaceKind.HOME, LatLon(35.135, -79.01), 40.0, 0.9, ("a1",), 5)
    far = Place(PlaceKind.BASE, LatLon(35.0, -78.0), 40.0, 0.9, ("a2",), 5)
    hits = place_hits({"alice": [home, far]}, sites.values())
    assert [(s.id, person, p.kind) for s, person, p, _ in hits] == [
        ("fort-fictional", "alice", PlaceKind.HOME)
    ]


def test_bad_sites_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="LineString"):
        load_sites(SITES.parent / "sites_bad.geojson")
    with pytest.raises(UsageError, match="not found"):
        load_sites(tmp_path / "none.geojson")


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Polygon", "coordinates": []}, "Polygon without coordinates"),
        ({"type": "Polygon", "coordinates": [[]]}, "a polygon ring needs at least 3"),
        ({"type": "MultiPolygon", "coordinates": [[]]}, "MultiPolygon without coordinates"),
        ({"type": "MultiPolygon", "coordinates": []}, "MultiPolygon without coordinates"),
    ],
)
def test_a_polygon_without_positions_is_refused(
    tmp_path: Path, geometry: dict[str, object], message: str
) -> None:
    path = tmp_path / "sites.geojson"
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": geometry}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(UsageError, match=re.escape(f"{path}: feature 0: {message}")):
        load_sites(path)


def test_a_collection_without_features_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sites.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(UsageError, match="no features"):
        load_sites(path)
