"""Workshop mode: the what-if runs, workshop.json, the command, and the page in Chromium."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from geoleak.cli import main
from geoleak.evaluate import load_truth
from geoleak.pipeline import EvidenceSet, collect_evidence
from geoleak.report.workshop import (
    FORMAT,
    LOCATION_SOURCES,
    WhatIfRun,
    build_workshop,
    site_name,
    unscored_note,
    what_if_runs,
    write_workshop,
)
from geoleak.types import LatLon

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_media"


@pytest.fixture(scope="module")
def demo_collected() -> EvidenceSet:
    if not (SAMPLE / "posts.jsonl").is_file():
        pytest.skip(f"demo corpus {SAMPLE} not found")
    return collect_evidence([SAMPLE / "posts.jsonl"])


def test_what_if_runs_on_the_demo_unit(demo_collected: EvidenceSet) -> None:
    truth = load_truth(SAMPLE / "truth.csv")
    runs, profiles, sites = what_if_runs(demo_collected, truth=truth)
    assert runs[0].withheld == ()
    assert ("exif",) in [r.withheld for r in runs]
    assert ("geotag",) in [r.withheld for r in runs]
    assert runs[-1].withheld == LOCATION_SOURCES
    full = runs[0]
    assert full.homes_total == 8  # the demo's 8 people who leak
    assert full.homes_found >= 7
    assert full.bases_found >= 7
    for run in runs[1:]:
        # withholding a class of evidence never finds more homes (or bases)
        assert run.homes_found <= full.homes_found, run
        assert run.bases_found <= full.bases_found, run
        for person, (home, base) in run.found.items():
            assert home <= full.found[person][0], (run.withheld, person)
            assert base <= full.found[person][1], (run.withheld, person)
    # posting times alone: a time zone, never a home
    assert runs[-1].homes_found == 0
    assert runs[-1].bases_found == 0
    assert any(zone.startswith("UTC+2") for zone in runs[-1].timezones.values())
    assert len(sites) == 1
    assert len(profiles) == 10
    # README quotes these runs (it said 0/8 bases without geotags long after it was 3/8)
    h, b = (
        [f"{r.homes_found}/{r.homes_total}" for r in runs],
        [f"{r.bases_found}/{r.bases_total}" for r in runs],
    )
    quoted = (f"nothing withheld {h[0]} homes and {b[0]} bases; without EXIF GPS {h[1]}, {b[1]}; "
              f"without geotags {h[2]} homes, {b[2]} bases; without check-ins {h[3]}, {b[3]}; "
              f"posting times only {h[4]}, {b[4]}.")  # fmt: skip
    assert [r.withheld[0] for r in runs[1:4]] == ["exif", "geotag", "place"]
    assert quoted in " ".join((REPO / "README.md").read_text(encoding="utf-8").split())


def _person_posts(tmp_path: Path) -> Path:
    """One fictional person: home by night via EXIF-less geotags, work by day via check-ins."""
    start = datetime(2025, 3, 3, tzinfo=timezone.utc)
    lines = []
    for day in range(28):
        night = start + timedelta(days=day, hours=20)
        lines.append({"id": f"n{day}", "author": "ava", "created_at": night.isoformat(),
                      "lat": 78.2232 + 0.00004 * (day % 3), "lon": 15.6267, "text": "home"})  # fmt: skip
        if day % 7 < 5:
            work = start + timedelta(days=day, hours=10)
            lines.append({"id": f"w{day}", "author": "ava", "created_at": work.isoformat(),
                          "place": {"name": "Office", "lat": 78.2290, "lon": 15.5900},
                          "text": "at work"})  # fmt: skip
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_what_if_runs_side_by_side_equal_the_runs_in_one_process(
    demo_collected: EvidenceSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geoleak.report import workshop

    truth = load_truth(SAMPLE / "truth.csv")
    one = what_if_runs(demo_collected, truth=truth, workers=1)
    monkeypatch.setattr(workshop, "PARALLEL_MIN_EVIDENCE", 0)  # the demo is below it
    two = what_if_runs(demo_collected, truth=truth, workers=2)
    assert [r.to_json() for r in two[0]] == [r.to_json() for r in one[0]]
    assert two[1] == one[1]
    assert two[2] == one[2]


def test_workshop_command_takes_workers(tmp_path: Path) -> None:
    if not (SAMPLE / "posts.jsonl").is_file():
        pytest.skip(f"demo corpus {SAMPLE} not found")
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / workers
        args = ["workshop", str(SAMPLE), "--out", str(out), "--workers", workers, "--json", "-q"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout)["what_if"])
        assert (out / "workshop.json").is_file()
    assert outputs[0] == outputs[1]
    assert (tmp_path / "1" / "workshop.json").read_bytes() == (
        tmp_path / "2" / "workshop.json"
    ).read_bytes()


def test_without_truth_the_full_run_is_the_reference(tmp_path: Path) -> None:
    collected = collect_evidence([_person_posts(tmp_path)])
    runs, _profiles, _sites = what_if_runs(collected)
    by = {r.withheld: r for r in runs}
    assert (by[()].homes_found, by[()].homes_total) == (1, 1)
    assert by[("geotag",)].homes_found == 0  # the home came from geotags only
    assert by[("exif",)].homes_found == 1  # no photos: withholding EXIF changes nothing
    assert by[LOCATION_SOURCES].homes_found == 0


def test_workshop_json_format(demo_collected: EvidenceSet, tmp_path: Path) -> None:
    workshop = build_workshop(demo_collected, truth=load_truth(SAMPLE / "truth.csv"))
    page, doc_path = write_workshop(workshop, tmp_path / "ws")
    doc = json.loads(doc_path.read_text(encoding="utf-8"))
    assert doc["format"] == FORMAT
    assert [s["id"] for s in doc["steps"]] == ["photo", "week", "home", "base", "unit", "what-if"]
    assert all(s["title"] and s["notes"] and s["text"] for s in doc["steps"])
    for run in doc["what_if"]:
        assert set(run) >= {"withheld", "homes_found", "homes_total", "bases_found", "bases_total"}
        assert set(run["withheld"]) <= set(LOCATION_SOURCES)
    curve = doc["curve"]
    assert curve["person"] == doc["featured_person"]
    assert curve["points"][0]["posts"] <= 3
    assert curve["points"][-1]["posts"] == curve["posts_total"]
    assert curve["points"][-1]["error_m"] < 100
    html = page.read_text(encoding="utf-8")
    assert "Site 1 — near" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_site_name_names_the_nearest_town() -> None:
    assert site_name(1, LatLon(64.215, 24.087)) == "Site 1 — near Ylivieska"
    assert site_name(2, LatLon(-60.0, -150.0)) == "Site 2"  # open ocean: no town


def test_workshop_command_on_a_participant_folder(tmp_path: Path) -> None:
    import shutil

    own = SAMPLE / "media" / "capt_mossl63"
    if not own.is_dir():
        pytest.skip(f"demo photos {own} not found")
    photos = tmp_path / "my photos"
    shutil.copytree(own, photos)
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    out = tmp_path / "ws"
    result = CliRunner().invoke(
        main, ["workshop", "--participant", str(photos), "--out", str(out), "--json", "-q"]
    )
    assert result.exit_code == 0, result.output
    # the page, its data, and the marker saying geoleak wrote the folder (a rerun may replace it)
    assert sorted(p.name for p in out.iterdir()) == [
        ".geoleak-output",
        "index.html",
        "workshop.json",
    ]
    assert {p.name: p.read_bytes() for p in photos.iterdir()} == before  # nothing changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my photos", "ws"]  # nothing beside
    doc = json.loads((out / "workshop.json").read_text(encoding="utf-8"))
    assert doc["mode"] == "participant"
    assert doc["steps"][0]["id"] == "photo"
    assert doc["steps"][-1]["id"] == "audit"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "geoleak scrub" in html
    assert "&#x27;my photos" in html or "my photos" in html  # the participant's own folder
    assert "give away a position" in html  # the audit's summary


def test_workshop_command_refuses_inputs_and_participant_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["workshop", str(tmp_path), "--participant", str(tmp_path), "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2
    assert "either INPUTS" in result.output


def test_workshop_without_sample_media_never_names_its_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["workshop", "--out", "ws"])
    assert result.exit_code == 0, result.output
    assert "workshop: reading generated-demo/posts.jsonl" in result.output
    assert "geoleak-workshop-" not in result.output


# --- in the browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from report_browser import chromium, find_browser

    if find_browser() is None:
        pytest.skip("headless Chromium not installed (Debian packages chromium, chromium-driver)")
    with chromium(1366, 800) as session:
        yield session


@pytest.mark.browser
def test_workshop_page_steps_with_the_keyboard_offline(
    browser: object, demo_collected: EvidenceSet, tmp_path: Path
) -> None:
    from selenium.webdriver.common.keys import Keys
    from tile_fixtures import ZOOM_COLOURS, make_mbtiles, tiles_around

    from geoleak.report.tilesets import open_tileset

    street = open_tileset(
        make_mbtiles(tmp_path / "s.mbtiles", tiles_around(64.1, 23.9, 64.4, 24.35, range(8, 14)))
    )
    workshop = build_workshop(demo_collected, truth=load_truth(SAMPLE / "truth.csv"))
    notes: list[str] = []
    page, _doc = write_workshop(workshop, tmp_path / "ws", basemap_tiles=street, messages=notes)
    street.close()
    b = browser  # a report_browser.Browser
    b.open(page)  # type: ignore[attr-defined]
    body = b.driver.find_element("tag name", "body")  # type: ignore[attr-defined]
    titles = []
    for _ in range(len(workshop.steps)):
        titles.append(b.js("return document.querySelector('.ws-step.active h2').textContent"))  # type: ignore[attr-defined]
        body.send_keys(Keys.ARROW_RIGHT)
        time.sleep(0.3)
    assert titles == [step.title for step in workshop.steps]
    body.send_keys(Keys.PAGE_UP)
    assert b.js("return geoleakWorkshop.current()") == len(workshop.steps) - 2  # type: ignore[attr-defined]
    body.send_keys(Keys.HOME)
    assert b.js("return geoleakWorkshop.current()") == 0  # type: ignore[attr-defined]
    body.send_keys(" ")
    assert b.js("return geoleakWorkshop.current()") == 1  # type: ignore[attr-defined]
    assert not b.js("return document.body.classList.contains('ws-show-notes')")  # type: ignore[attr-defined]
    body.send_keys("n")
    assert b.js("return getComputedStyle(document.getElementById('ws-notes')).display") == "block"  # type: ignore[attr-defined]
    assert "rhythm" in b.js("return document.querySelector('.ws-step.active').textContent")  # type: ignore[attr-defined]
    # step 3 (home): the street tiles are drawn under the evidence
    b.js("geoleakWorkshop.show(2)")  # type: ignore[attr-defined]
    time.sleep(1.0)
    loaded = b.js(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('.gl-tile img'))"
        ".filter(i => i.src.startsWith('data:image/png') && i.naturalWidth > 0).length"
    )
    assert loaded > 0
    zoom = b.js("return geoleak.map.getZoom()")  # type: ignore[attr-defined]
    assert zoom >= 13
    shot = b.screenshot(tmp_path / "workshop-home.png")  # type: ignore[attr-defined]
    left, top, width, height = b.js(  # type: ignore[attr-defined]
        "var r = geoleak.map.getContainer().getBoundingClientRect();"
        "return [r.left, r.top, r.width, r.height];"
    )
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        corners = [
            rgb.getpixel((int(left + width * fx), int(top + height * fy)))
            for fx in (0.2, 0.8)
            for fy in (0.2, 0.6)
        ]
    # the file's last level (13) covers the map, enlarged, away from the markers
    assert corners == [ZOOM_COLOURS[13]] * 4, corners
    assert "Test Map contributors" in b.js(  # type: ignore[attr-defined]
        "return document.querySelector('.leaflet-control-attribution').textContent"
    )
    assert b.console_errors() == []  # type: ignore[attr-defined]
    assert b.external_requests() == []  # type: ignore[attr-defined]


def test_participant_photos_without_a_capture_time_are_told_too(tmp_path: Path) -> None:
    """A participant's folder where a photo with GPS has no capture time (a screenshot, an
    edited copy) and no post time: the story is told, not a traceback (naive and aware
    times were compared)."""
    import io

    from remedy_photos import fictional_folder

    photos = fictional_folder(tmp_path / "my photos")
    with Image.open(next(iter(sorted(photos.glob("home_*.jpg"))))) as image:
        exif = image.getexif()
        del exif.get_ifd(0x8769)[0x9003]  # DateTimeOriginal
        out = io.BytesIO()
        image.save(out, "JPEG", exif=exif.tobytes())
    (photos / "untimed.jpg").write_bytes(out.getvalue())
    ws = tmp_path / "ws"
    result = CliRunner().invoke(
        main, ["workshop", "--participant", str(photos), "--out", str(ws), "--json", "-q"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((ws / "workshop.json").read_text(encoding="utf-8"))
    assert doc["steps"][0]["id"] == "photo"


def test_participant_zip_gets_scrub_commands_that_clean_it(tmp_path: Path) -> None:
    """The participant's scrub commands for an export zip: scrub skips a zip ('unpack it,
    then scrub the folder'), so the step unpacks it first and scrubs the folder; the
    commands, run as printed, clean the photos."""
    import shlex
    import subprocess
    import sys
    import zipfile

    from remedy_photos import fictional_folder

    from geoleak.report.workshop import _audit_step

    photos = fictional_folder(tmp_path / "src")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(photos.iterdir()):
            out.write(file, f"photos/{file.name}")
    step = _audit_step([str(archive)], [], serials=False)
    commands = [
        shlex.split(line)
        for line in step.extra_html.split('<pre class="ws-cmd">')[1:]
        for line in [line.split("</pre>", 1)[0].replace("&#x27;", "'")]
    ]
    assert [c[:2] for c in commands] == [
        ["geoleak", "audit"], ["python3", "-m"], ["geoleak", "scrub"], ["geoleak", "scrub"]
    ]  # fmt: skip
    subprocess.run([sys.executable, *commands[1][1:]], check=True)
    result = CliRunner().invoke(main, commands[3][1:])
    assert result.exit_code == 0, result.output
    clean = Path(commands[3][commands[3].index("-o") + 1])
    cleaned = list(clean.rglob("*.jpg"))
    assert len(cleaned) == len(list(photos.glob("*.jpg"))) > 0
    audit = CliRunner().invoke(main, ["audit", str(clean), "--fail-on-leak", "-q"])
    assert audit.exit_code == 0, audit.output


def test_what_if_table_without_a_home_to_find_says_so(tmp_path: Path) -> None:
    """Without a truth file the what-ifs look for the places the full run found; when it
    found no home or base the table says "-" and why, not "homes 0/0"."""
    from remedy_photos import photo

    photos = tmp_path / "my photos"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(photo(48.85, 2.35, datetime(2026, 4, 1, 10, 0)))
    ws = tmp_path / "ws"
    result = CliRunner().invoke(main, ["workshop", "--participant", str(photos), "--out", str(ws)])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if " homes " in line]
    assert rows and "0/0" not in result.output
    assert rows[0].split() == ["nothing", "withheld", "homes", "-", "bases", "-"]
    note = "-: with all the evidence geoleak found no home or base, so there is none to look for"
    assert note in result.output.splitlines()
    page = (ws / "index.html").read_text(encoding="utf-8")
    assert "0 / 0" not in page and note in page


def test_a_truth_file_without_bases_scores_bases_as_none_to_find() -> None:
    run = WhatIfRun((), 2, 3, 0, 0, {}, {}, by_truth=True)
    assert (run.score("home"), run.score("base")) == ("2/3", "-")
    assert unscored_note([run]) == "-: the truth file lists no base to look for"


@pytest.mark.browser
def test_workshop_page_fits_a_projector_and_reads_without_javascript(
    browser: object, demo_collected: EvidenceSet, tmp_path: Path
) -> None:
    """At 1024x768 (a projector) the what-if step's per-person table and its curve were
    wider than the panel (the panel scrolled sideways, the curve was cut), the buttons
    wrapped ("← / back"), the step count too ("step 1 of / 6"), and at 800x600 the map's
    credits lay over its scale; with JavaScript off the page showed no step at all."""
    workshop = build_workshop(demo_collected, truth=load_truth(SAMPLE / "truth.csv"))
    page, _doc = write_workshop(workshop, tmp_path / "ws")
    b: Any = browser  # a report_browser.Browser
    cdp = b.driver.execute_cdp_cmd
    try:  # the projector, and the same at 125 % zoom
        for width, height in ((1024, 768), (800, 600)):
            cdp("Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})  # fmt: skip
            b.open(page)
            for index in range(len(workshop.steps)):
                b.js(f"geoleakWorkshop.show({index})")
                b.js("document.querySelectorAll('details').forEach(d => { d.open = true; })")
                time.sleep(0.3)
                panel, wrappers, curve, buttons = b.js(
                    "var p = document.getElementById('ws-panel');"
                    "var s = document.querySelector('.ws-step.active');"
                    "var svg = s.querySelector('svg');"
                    "return [[p.scrollWidth, p.clientWidth],"
                    " Array.from(s.querySelectorAll('.ws-scroll')).map(e => [e.scrollWidth, e.clientWidth]),"
                    " svg ? [svg.getBoundingClientRect().right, p.getBoundingClientRect().right] : null,"
                    " Array.from(document.querySelectorAll('.ws-nav button')).map(e => e.getClientRects().length"
                    "   && Math.round(e.getBoundingClientRect().height))];"
                )  # fmt: skip
                assert panel[0] <= panel[1] + 1, (index, panel)
                if width >= 1024:  # (narrower, the per-person table scrolls in its own box)
                    assert all(scroll <= box + 1 for scroll, box in wrappers), (index, wrappers)
                assert curve is None or curve[0] <= curve[1], (index, curve)
                assert len(set(buttons)) == 1 and buttons[0] < 40, (index, buttons)  # one line each
                count = b.js(
                    "return document.querySelector('.ws-count').getBoundingClientRect().height"
                )
                assert count <= buttons[0], (index, count)
                nav, scale, credit = b.js(
                    "var n = document.querySelector('.ws-nav');"
                    "var box = e => { var r = document.querySelector(e).getBoundingClientRect();"
                    "  return [r.left, r.top, r.right, r.bottom]; };"
                    "return [[n.scrollWidth, n.clientWidth], box('.leaflet-control-scale'),"
                    " box('.leaflet-control-attribution')];"
                )  # fmt: skip
                assert nav[0] <= nav[1], (index, nav)  # the step count inside the bar
                apart = scale[2] <= credit[0] or scale[3] <= credit[1] or credit[3] <= scale[1]
                assert apart, (index, scale, credit)  # the map's scale and credits side by side
            assert b.console_errors() == [] and b.external_requests() == []
        cdp("Emulation.setScriptExecutionDisabled", {"value": True})
        b.driver.get(page.resolve().as_uri())
        text = b.driver.find_element("tag name", "body").text
        for step in workshop.steps:
            assert step.title in text
            assert " ".join(step.notes.split()) in " ".join(text.split())
        assert "JavaScript is off" in text
    finally:
        cdp("Emulation.setScriptExecutionDisabled", {"value": False})
        cdp("Emulation.clearDeviceMetricsOverride", {})
