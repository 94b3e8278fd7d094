from __future__ import annotations

import dataclasses
import html
import itertools
import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_fixtures import (
    ANA_HOME,
    CHUKOTKA_EAST,
    HOSTILE_FILE,
    HOSTILE_NAME,
    HOSTILE_TEXT,
    SVALBARD,
    make_people,
    make_photo,
)

from geoleak.errors import UsageError
from geoleak.report.assets import external_references
from geoleak.report.maps import (
    SiteMarker,
    hour_colour,
    person_page_name,
    pin_id,
    resolve_tiles,
    shared_sites,
    write_maps,
)
from geoleak.types import Evidence, LatLon, Place, PlaceKind, Profile

People = tuple[list[Profile], dict[str, list[Evidence]]]


def layer_specs(page: str) -> list[dict[str, Any]]:
    """The JSON specs the page hands to geoleak.layer(...), in order; a lazy layer's
    features read from its JSON block (spec["data"]) as the browser does."""
    decoder = json.JSONDecoder()

    def resolved(spec: dict[str, Any]) -> dict[str, Any]:
        if spec.get("data"):
            block = f'<script type="application/json" id="{spec["data"]}">'
            assert page.count(block) == 1, spec["data"]
            spec["features"], end = decoder.raw_decode(page, page.index(block) + len(block))
            assert page.startswith("</script>", end)
            assert len(spec["features"]) == spec["count"]
        for level in spec.get("levels", ()):
            resolved(level["spec"])
        return spec

    return [
        resolved(decoder.raw_decode(page, match.end())[0])
        for match in re.finditer(r"geoleak\.layer\(", page)
    ]


def boxes(page: str) -> list[list[str]]:
    """The [position, html, class] of each geoleak.box(...) on the page."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"geoleak\.box\(map, ", page):
        position, end = decoder.raw_decode(page, match.end())
        html_text, end = decoder.raw_decode(page, end + 2)
        cls, _end = decoder.raw_decode(page, end + 2)
        found.append([position, html_text, cls])
    return found


def pins(page: str) -> list[dict[str, Any]]:
    return [f for spec in layer_specs(page) for f in spec.get("features", []) if f["k"] == "pin"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("maps")


@pytest.fixture(scope="module")
def people(folder: Path) -> People:
    return make_people(make_photo(folder))


@pytest.fixture(scope="module")
def written(people: People, folder: Path) -> dict[str, Path]:
    """The maps of the fictional people, written once for this module (read-only)."""
    profiles, evidence = people
    paths = write_maps(profiles, evidence, folder / "maps", media_root=folder)
    return {p.name: p for p in paths}


def test_writes_overview_and_one_page_per_person(written: dict[str, Path], people: People) -> None:
    profiles, _evidence = people
    names = list(written)
    assert names[0] == "index.html"
    assert sorted(names[1:]) == sorted(person_page_name(p.person) for p in profiles)
    for path in written.values():
        page = path.read_text(encoding="utf-8")
        assert external_references(page) == []
        assert "cdn." not in page and "tile.openstreetmap" not in page
        assert page.count("<html") == 1


def test_overview_has_every_pin(written: dict[str, Path], people: People) -> None:
    profiles, evidence = people
    page = written["index.html"].read_text(encoding="utf-8")
    markers = pins(page)
    n_evidence = sum(len(v) for v in evidence.values())
    n_places = sum(len(p.places) for p in profiles)
    n_sites = len(shared_sites(profiles))
    assert len(markers) == n_evidence + n_places + n_sites
    # every evidence pin has a rank for the time slider, the last rank is the number of posts
    ranks = [m["n"] for m in markers if "n" in m]
    assert len(ranks) == n_evidence and max(ranks) == n_evidence
    assert '"mode":"heat"' in page


def test_positions_are_lat_lon_for_leaflet(written: dict[str, Path]) -> None:
    page = written[person_page_name("ivalo")].read_text(encoding="utf-8")
    lls = [m["ll"] for m in pins(page)]
    assert [round(SVALBARD.lat, 4), round(SVALBARD.lon, 4)] in [
        [round(a, 4), round(b, 4)] for a, b in lls
    ]
    assert all(lat > 78 and 15 < lon < 16 for lat, lon in lls if lat > 70)  # never swapped


def test_antimeridian_points_are_drawn_side_by_side(written: dict[str, Path]) -> None:
    page = written[person_page_name("chukchi")].read_text(encoding="utf-8")
    lons = {round(m["ll"][1], 1) for m in pins(page)}
    assert lons == {179.9, 180.1}  # -179.9 continued past 180, not thrown to the far west
    bounds = json.loads(re.search(r"geoleak\.init\(map, (\[\[.*?\]\])\)", page).group(1))  # type: ignore[union-attr]
    assert bounds[1][1] - bounds[0][1] < 1  # the view spans 0.2 degrees, not the whole world


def test_corpus_text_is_escaped_everywhere(written: dict[str, Path]) -> None:
    for path in written.values():
        page = path.read_text(encoding="utf-8")
        for raw in (
            HOSTILE_TEXT,
            HOSTILE_NAME,
            HOSTILE_FILE,
            "<script>window.__pwned",
            'onerror="window.__pwned',
            "<b>bold</b>",
            "<i>(escaped)</i>",
            "<b>cam</b>",
        ):
            assert raw not in page, (path.name, raw)
        # the javascript: URL survives only as text, never as a link target
        assert not re.search(r"""href\s*=\s*\\?["']?\s*javascript:""", page, re.IGNORECASE)
    hostile_page = written[person_page_name(HOSTILE_NAME)].read_text(encoding="utf-8")
    popups = " ".join(m.get("popup", "") for m in pins(hostile_page))
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in popups
    # plain text: no JS template literal, and braces never reach a template engine
    assert "$&#123;window.__pwned=3&#125;" in popups
    assert html.unescape(popups).count("{{ 7*7 }}") == len(pins(hostile_page)) - 1  # all but H
    assert "ssti 49" not in hostile_page
    assert "`" not in re.sub(
        r'"popup":"(?:[^"\\]|\\.)*"', "", hostile_page.split("geoleak.layer", 1)[1]
    )


def test_person_page_links_pins_and_rows(written: dict[str, Path], people: People) -> None:
    _profiles, evidence = people
    page = written[person_page_name("ana")].read_text(encoding="utf-8")
    for item in evidence["ana"]:
        anchor = pin_id(item)
        assert f'id="row-{anchor[4:]}"' in page  # the row
        assert f'data-pin="{anchor}"' in page  # row -> pin
    ids = {m.get("id") for m in pins(page)}
    assert all(pin_id(item) in ids for item in evidence["ana"])
    assert page.count('href=\\"#row-') == len(evidence["ana"])  # pin popup -> row


def test_thumbnail_is_embedded_and_clean(written: dict[str, Path]) -> None:
    page = written[person_page_name("ana")].read_text(encoding="utf-8")
    thumbs = re.findall(r"data:image/jpeg;base64,[A-Za-z0-9+/=]+", page)
    assert len(thumbs) == 1
    assert "Exif" not in __import__("base64").b64decode(thumbs[0].split(",", 1)[1])[:200].decode(
        "latin-1"
    )


def test_single_points_are_not_clustered(written: dict[str, Path]) -> None:
    page = written[person_page_name("ana")].read_text(encoding="utf-8")
    specs = layer_specs(page)
    cluster = next(s for s in specs if s["mode"] == "cluster")
    singles = next(s for s in specs if s["mode"] == "group" and s.get("timed"))
    assert [f["tip"].split(" · ")[0] for f in singles["features"]] == ["ana"]
    assert "gl-single" in singles["icons"][singles["features"][0]["ic"]]["cls"]
    assert len(cluster["features"]) == 14 + 10  # nights + working days


def test_evidence_coloured_by_local_hour() -> None:
    assert hour_colour(datetime(2025, 1, 1, 23, 0)) == hour_colour(datetime(2025, 1, 1, 3, 0))
    assert hour_colour(datetime(2025, 1, 1, 11, 0)) != hour_colour(datetime(2025, 1, 1, 23, 0))
    assert hour_colour(None) != hour_colour(datetime(2025, 1, 1, 11, 0))


def test_tiles_only_when_asked(people: People, tmp_path: Path) -> None:
    profiles, evidence = people
    paths = write_maps(profiles[:1], {"ana": evidence["ana"]}, tmp_path / "osm", tiles="osm")
    page = paths[0].read_text(encoding="utf-8")
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    # the page's Content-Security-Policy lets images come from that tile server only
    assert "img-src data: blob: https://tile.openstreetmap.org;" in page
    offline = write_maps(profiles[:1], {}, tmp_path / "off")[0].read_text(encoding="utf-8")
    assert "img-src data: blob:;" in offline
    local = resolve_tiles("http://localhost:8080/{z}/{x}/{y}.png")
    assert local.url == "http://localhost:8080/{z}/{x}/{y}.png"
    for bad in ("javascript:alert(1)", "https://example.org/no-placeholders.png", "satellite"):
        with pytest.raises(UsageError):
            resolve_tiles(bad)
    assert resolve_tiles(None).url is None


def test_sites_given_as_objects_or_mappings(people: People) -> None:
    profiles, _evidence = people
    from_inference = shared_sites(profiles)
    assert [(s.site_id, sorted(s.people)) for s in from_inference] == [
        ("<script>S9</script>", [HOSTILE_NAME]),
        ("S1", ["ana", "ivalo"]),
    ] or {s.site_id for s in from_inference} == {"S1", "<script>S9</script>"}
    given = shared_sites(
        profiles,
        [
            {
                "site": "S1",
                "lat": 35.14,
                "lon": -78.91,
                "people": ["ana", "ivalo", "zed"],
                "radius_m": 90,
            },
            SiteMarker("K1", "depot", LatLon(60.0, 25.0), ("zed",)),
        ],
    )
    by_id = {s.site_id: s for s in given}
    assert by_id["S1"].people == ("ana", "ivalo", "zed")
    assert by_id["S1"].position == LatLon(35.14, -78.91)
    assert by_id["K1"].name == "depot"


def test_person_page_names_are_safe_and_distinct() -> None:
    names = {
        person_page_name(p) for p in ("ana", "a/na", "a\\na", "a na", "../../etc", HOSTILE_NAME)
    }
    assert len(names) == 6
    assert all(re.fullmatch(r"person-[A-Za-z0-9_-]+\.html", n) for n in names)
    assert person_page_name("ana") == "person-ana.html"


def test_overview_opens_on_the_places(written: dict[str, Path]) -> None:
    page = written["index.html"].read_text(encoding="utf-8")
    assert f"{ANA_HOME.lat}" in page and f"{CHUKOTKA_EAST.lon}" in page


def _fitted_bounds(page: str) -> list[list[float]]:
    match = re.search(r"geoleak\.init\(map, (\[\[.*?\]\])\)", page)
    assert match is not None
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_person_page_fits_home_and_base_and_lists_far_places(tmp_path: Path) -> None:
    from geoleak.types import Place, PlaceKind

    home = Place(PlaceKind.HOME, LatLon(64.2691, 24.1481), 40.0, 0.99, ("h",), 30)
    base = Place(PlaceKind.BASE, LatLon(64.2144, 24.0877), 176.0, 0.99, ("b",), 20)
    nearby = Place(PlaceKind.FREQUENT, LatLon(64.2373, 24.2742), 78.0, 0.55, ("n",), 4)
    # about 1,440 km south-west of base: Berlin
    far = Place(PlaceKind.FREQUENT, LatLon(52.52, 13.405), 90.0, 0.6, ("f",), 5)
    profile = Profile(person="mover", places=(home, base, nearby, far))
    paths = write_maps([profile], {}, tmp_path / "maps")
    page = paths[1].read_text(encoding="utf-8")
    (lat0, lon0), (lat1, lon1) = _fitted_bounds(page)
    for place in (home, base, nearby):  # the view covers home, base and what is near them
        assert lat0 <= place.position.lat <= lat1 and lon0 <= place.position.lon <= lon1
    assert not lat0 <= far.position.lat <= lat1  # not zoomed out to the far place
    assert lat1 - lat0 < 0.5
    title = next(box for box in boxes(page) if box[0] == "topleft")[1]
    listed = re.search(r'<div class="gl-far">(.*?)</div>', title)
    assert listed is not None, "far place not listed"
    items = re.findall(r"<li>.*?</li>", listed.group(1))
    assert len(items) == 1  # the nearby frequent place is on the map, not in the list
    far_pin = next(m["id"] for m in pins(page) if m["ll"] == [far.position.lat, far.position.lon])
    assert f'data-pin="{far_pin}"' in items[0]  # the link pans the map to the far place
    km = float(re.search(r"([\d.]+) km", items[0]).group(1))  # type: ignore[union-attr]
    assert km == 1437.4  # from the nearer of home and base
    assert "from base" in items[0] and "frequent near " in items[0]  # named by its town


def test_person_page_without_home_or_base_fits_every_place(tmp_path: Path) -> None:
    from geoleak.types import Place, PlaceKind

    a = Place(PlaceKind.FREQUENT, LatLon(60.17, 24.94), 50.0, 0.5, ("a",), 3)
    b = Place(PlaceKind.FREQUENT, LatLon(48.137, 11.575), 50.0, 0.5, ("b",), 3)
    page = write_maps([Profile(person="p", places=(a, b))], {}, tmp_path / "m")[1].read_text(
        encoding="utf-8"
    )
    (lat0, _lon0), (lat1, _lon1) = _fitted_bounds(page)
    assert lat0 <= 48.137 and lat1 >= 60.17
    assert all("gl-far" not in box[1] for box in boxes(page))


def test_pages_share_one_script_file_for_leaflet_and_the_countries(
    written: dict[str, Path],
) -> None:
    from geoleak.report.maps import SHARED_SCRIPT

    shared = written["index.html"].parent / SHARED_SCRIPT
    script = shared.read_text(encoding="utf-8")
    assert "window.geoleak.world = " in script and '"FeatureCollection"' in script
    assert external_references(script) == []
    for path in written.values():
        page = path.read_text(encoding="utf-8")
        assert f'<script src="{SHARED_SCRIPT}"></script>' in page
        assert "leaflet.js" not in page  # Leaflet's code is not repeated per page
        assert "script-src 'self' 'unsafe-inline'" in html.unescape(page)
    # nor are the countries, except on a page drawn across the antimeridian (shifted copy)
    ana = written[person_page_name("ana")].read_text(encoding="utf-8")
    assert "geoleak.countries(" in ana and "geoleak.world)" in ana
    assert '"FeatureCollection"' not in ana
    wrapped = written[person_page_name("chukchi")].read_text(encoding="utf-8")
    assert '"FeatureCollection"' in wrapped


def test_a_dense_overview_is_grouped_per_person_and_cell_and_keeps_every_place(
    people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geoleak.report import maps

    profiles, evidence = people
    n_evidence = sum(len(v) for v in evidence.values())
    monkeypatch.setattr(maps, "OVERVIEW_MAX_MARKERS", 10)
    paths = write_maps(profiles, evidence, tmp_path / "maps")
    overview = paths[0].read_text(encoding="utf-8")
    specs = layer_specs(overview)
    grouped = [
        f
        for spec in specs
        for f in spec.get("features", [])
        if "located observation" in f.get("tip", "")
    ]
    assert 0 < len(grouped) <= 10 < n_evidence
    # each group says how many points it stands for; together they are all the evidence
    counts = [int(re.search(r"· (\d+) located observation", f["tip"]).group(1)) for f in grouped]  # type: ignore[union-attr]
    assert sum(counts) == n_evidence
    # every inferred place keeps its own pin on the overview
    n_places = sum(len(p.places) for p in profiles)
    assert len(pins(overview)) == len(grouped) + n_places + len(shared_sites(profiles))
    # a group's popup leads to the person's page, which has a pin for each of its points
    ana = next(f for f in grouped if f["tip"].startswith("ana"))
    assert f'href="{person_page_name("ana")}"' in ana["popup"]
    ana_page = (tmp_path / "maps" / person_page_name("ana")).read_text(encoding="utf-8")
    assert len([m for m in pins(ana_page) if "n" in m]) == len(evidence["ana"])
    assert "drawn as one marker per person and" in overview


def test_many_places_and_their_circles_are_drawn_on_the_canvas(
    people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kind with more than CANVAS_ABOVE places (thousands of frequent places on a large
    overview) becomes circles on the page's canvas, each keeping its popup, tooltip and
    anchor id; the uncertainty circles go on the canvas too, behind the points."""
    from geoleak.report import maps

    profiles, evidence = people
    homes = [pl for p in profiles for pl in p.places if pl.kind.value == "home"]
    assert len(homes) >= 2
    monkeypatch.setattr(maps, "CANVAS_ABOVE", len(homes) - 1)
    overview = write_maps(profiles, evidence, tmp_path / "maps")[0].read_text(encoding="utf-8")
    specs = layer_specs(overview)
    home_dots = [
        f
        for spec in specs
        for f in spec.get("features", [])
        if f["k"] == "dot" and f.get("tip", "").split(": ", 1)[-1].startswith("home")
    ]
    assert len(home_dots) == len(homes)
    for dot in home_dots:
        assert dot["c"] == maps.PLACE_COLOURS[maps.PlaceKind.HOME]
        assert dot["id"].startswith("pin-") and "Home of" in dot["popup"]
        assert "icon" not in dot and "ic" not in dot
    circles = next(s for s in specs if any(f["k"] == "circle" for f in s.get("features", [])))
    assert circles["behind"] is True and all(f["cv"] == 1 for f in circles["features"])
    # above it, the overview's frequent places are off at first and built when shown; a
    # person page shows all of its places
    monkeypatch.setattr(maps, "CANVAS_ABOVE", 0)
    frequent_place = Place(PlaceKind.FREQUENT, LatLon(52.52, 13.405), 90.0, 0.6, ("f",), 5)
    profiles = [
        dataclasses.replace(p, places=(*p.places, frequent_place)) if p.places else p
        for p in profiles
    ]
    paths = write_maps(profiles, evidence, tmp_path / "all")
    frequent = [
        s
        for s in layer_specs(paths[0].read_text(encoding="utf-8"))
        if any("Frequent place of" in f.get("popup", "") for f in s.get("features", []))
    ]
    n_frequent = sum(1 for p in profiles for pl in p.places if pl.kind.value == "frequent")
    assert n_frequent and len(frequent) == 1 and frequent[0]["lazy"] is True
    assert len(frequent[0]["features"]) == n_frequent
    for person_page in paths[1:]:
        assert all("lazy" not in s for s in layer_specs(person_page.read_text(encoding="utf-8")))
    # below the threshold, places stay DOM pins and circles SVG paths
    monkeypatch.setattr(maps, "CANVAS_ABOVE", 10_000)
    few = write_maps(profiles, evidence, tmp_path / "few")[0].read_text(encoding="utf-8")
    specs = layer_specs(few)
    assert not [
        f
        for s in specs
        for f in s.get("features", [])
        if "Home of" in f.get("popup", "") and f["k"] != "pin"
    ]
    assert not [f for s in specs for f in s.get("features", []) if "cv" in f]


@given(
    st.lists(st.sampled_from(["2024-01-01", "2024-01-02", "2025-07-04", "undated"]), max_size=40)
)
def test_slider_label_runs_give_back_every_rank_label(labels: list[str]) -> None:
    from geoleak.report.maps import _label_runs

    labels = sorted(labels)  # ranks are in time order, so equal labels are adjacent
    runs = _label_runs(labels)
    assert len(runs) == len(set(labels))
    for rank, label in enumerate(labels, start=1):
        # what geoleak.slider's labelOf does: the last run starting at or before the rank
        assert [run[1] for run in runs if run[0] <= rank][-1] == label


def test_slider_labels_are_sent_once_per_day(written: dict[str, Path]) -> None:
    page = written["index.html"].read_text(encoding="utf-8")
    match = re.search(r"geoleak\.slider\(map, (\d+), ", page)
    assert match is not None
    runs, _end = json.JSONDecoder().raw_decode(page, match.end())
    total = int(match.group(1))
    assert runs[0][0] == 1 and all(a[0] < b[0] <= total for a, b in itertools.pairwise(runs))
    assert len({run[1] for run in runs}) == len(runs) < total


_lat = st.floats(-89.9, 89.9, allow_nan=False)
_lon = st.floats(-180.0, 180.0, allow_nan=False)
_positions = st.lists(st.builds(LatLon, _lat, _lon), max_size=25)


@given(_positions, _positions, st.floats(1.0, 3_000_000.0))
def test_near_any_equals_comparing_every_pair(
    points: list[LatLon], anchors: list[LatLon], near_m: float
) -> None:
    """The k-d tree pre-selection that decides what a map opens on gives the same answer as
    the plain pairwise haversine, across the antimeridian and near the poles too."""
    from geoleak.report.maps import _distance_m, _near_any

    got = _near_any(points, anchors, near_m)
    for point, near in zip(points, got, strict=True):
        closest = min((_distance_m(point, a) for a in anchors), default=math.inf)
        if abs(closest - near_m) > 1e-6 * near_m:  # a tie on the boundary may go either way
            assert near == (closest <= near_m)


def test_near_any_across_the_antimeridian_and_at_high_latitude() -> None:
    from geoleak.report.maps import _near_any

    anchors = [LatLon(65.0, 179.99), LatLon(89.9, 0.0)]
    points = [LatLon(65.0, -179.99), LatLon(89.9, 179.0), LatLon(0.0, 0.0), LatLon(65.0, 170.0)]
    assert _near_any(points, anchors, 30_000.0) == [True, True, False, False]


def test_person_page_writes_its_first_rows_and_the_rest_as_json(
    people: People, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past EVIDENCE_ROWS_FIRST rows, the evidence table's other rows wait in a JSON block
    (the page adds them on demand): every row is there once, in order, and corpus text
    stays out of the markup (no "<" even inside the block)."""
    from geoleak.report import maps

    profiles, evidence = people
    monkeypatch.setattr(maps, "EVIDENCE_ROWS_FIRST", 1)
    paths = write_maps(profiles, evidence, tmp_path / "maps", media_root=folder)
    pages = {p.name: p.read_text(encoding="utf-8") for p in paths}
    for person, items in evidence.items():
        page = pages[person_page_name(person)]
        order = [pin_id(e)[4:] for e in sorted(items, key=maps._evidence_sort_key)]
        written_rows = re.findall(r'<tr id="row-([0-9a-f]+)">', page)
        assert written_rows == order[:1]
        if len(order) == 1:
            assert 'id="gl-evidence-rows"' not in page
            continue
        block = '<script type="application/json" id="gl-evidence-rows">'
        rows, end = json.JSONDecoder().raw_decode(page, page.index(block) + len(block))
        assert page.startswith("</script>", end)
        assert "<" not in page[page.index(block) + len(block) : end]
        assert [r[0] for r in rows] == order[1:]
        assert all(len(r) == 8 and all(isinstance(c, str) for c in r) for r in rows)
        by_anchor = {pin_id(e)[4:]: e for e in items}
        for row in rows:
            item = by_anchor[row[0]]
            assert row[1] == item.post_id and row[2] == item.source.value
            assert row[7] == (item.text or "")[:200]
        assert f'data-total="{len(order)}"' in page and f"1 of {len(order)} rows shown." in page
    for raw in (HOSTILE_TEXT, HOSTILE_NAME, "<script>window.__pwned"):
        assert all(raw not in page for page in pages.values())


def test_a_dense_overview_draws_coarser_groups_at_low_zoom(
    people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above OVERVIEW_LOW_ZOOM_MARKERS groups, the grouped evidence is one overlay of two
    levels: coarser groups from zoom 0, the finer ones (waiting as JSON, built when first
    reached) from the zoom where a coarse cell spans LEVEL_SWITCH_PX pixels; each level
    stands for every point."""
    from geoleak.report import maps

    profiles, evidence = people
    n_evidence = sum(len(v) for v in evidence.values())
    monkeypatch.setattr(maps, "OVERVIEW_MAX_MARKERS", 12)
    monkeypatch.setattr(maps, "OVERVIEW_LOW_ZOOM_MARKERS", 4)
    overview = write_maps(profiles, evidence, tmp_path / "maps")[0].read_text(encoding="utf-8")
    (levels,) = [s for s in layer_specs(overview) if s["mode"] == "levels"]
    coarse, fine = (level["spec"] for level in levels["levels"])
    assert levels["levels"][0]["minZoom"] == 0
    assert 1 <= levels["levels"][1]["minZoom"] <= 18
    assert "lazy" not in coarse and fine["lazy"] is True and fine["data"]
    assert 0 < len(coarse["features"]) < len(fine["features"]) <= 12
    for spec in (coarse, fine):
        assert spec["timed"] is True and all(f["k"] == "dot" for f in spec["features"])
        counts = [
            int(re.search(r"· (\d+) located observation", f["tip"]).group(1))
            for f in spec["features"]
        ]  # type: ignore[union-attr]
        assert sum(counts) == n_evidence
    # below the threshold, one level as before
    monkeypatch.setattr(maps, "OVERVIEW_LOW_ZOOM_MARKERS", 500)
    overview = write_maps(profiles, evidence, tmp_path / "one")[0].read_text(encoding="utf-8")
    assert not [s for s in layer_specs(overview) if s["mode"] == "levels"]


@pytest.mark.parametrize(("cell_m", "zoom"), [(1.0, 18), (7_000.0, 10), (444_000.0, 4), (5e7, 1)])
def test_detail_zoom_is_where_a_coarse_cell_spans_the_switch_width(
    cell_m: float, zoom: int
) -> None:
    from geoleak.report import maps

    assert maps._detail_zoom(cell_m) == zoom
    if 1 < zoom < 18:  # a cell at that zoom spans at least LEVEL_SWITCH_PX, one zoom less not
        assert cell_m / (156_543.03 / 2**zoom) >= maps.LEVEL_SWITCH_PX
        assert cell_m / (156_543.03 / 2 ** (zoom - 1)) < maps.LEVEL_SWITCH_PX
