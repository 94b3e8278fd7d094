"""Map writing: geoleak's offline overview against a plain folium page, in one run.

    python benchmarks/bench_maps.py [--points N] [--people N] [--seed S]

The same synthetic evidence (fictional people, each around a home somewhere on Earth) is
drawn twice:

- geoleak: `build_overview_map` (inlined Leaflet + plugins + offline basemap, escaped popups,
  clustering, heatmap data and time-slider ranks);
- baseline: what a folium user writes by hand: `folium.Map()` + `MarkerCluster` with one
  `folium.Marker(popup=folium.Popup(html.escape(text)))` per point, CDN assets, web tiles.

Prints time and page size for both and their ratios (geoleak / baseline). The baseline page
is not offline and not safe (folium puts popup HTML in JS template literals), so this only
says what the safety and self-containment cost.

    python benchmarks/bench_maps.py --command [--points 100000 --people 100] [--against DIR]
        [--rounds 3]

The whole `geoleak map` command instead, on a JSONL corpus of the same evidence: wall time
and peak RSS of the command (a process of its own), the size of index.html, of a person
page and of the whole folder, and the time headless Chromium (Debian's chromium and
chromedriver, as the browser tests use them) takes to open index.html until the map says it
is ready and its first declutter has run, and the same for the largest person page
(person_chromium_s): the median of `--rounds` (3) opens, before's and this checkout's pages
taking turns in one browser so both meet the same load. `--against DIR` runs the same with
the geoleak of another checkout (e.g. main's) first, so before and after are measured in
the same run; ratios are this / that. Writing the corpus and `geoleak infer` are not
timed; Chromium's time leaves out starting the browser. The load average at the start and
the end is printed too (on a shared machine it says how inflated absolute times are).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import folium
from folium.plugins import MarkerCluster

from geoleak.report.maps import build_overview_map
from geoleak.types import Evidence, EvidenceSource, LatLon, LocalTimeBasis, Profile


def synthetic(points: int, people: int, seed: int) -> dict[str, list[Evidence]]:
    rng = random.Random(seed)
    per_person = max(1, points // people)
    evidence: dict[str, list[Evidence]] = {}
    for p in range(people):
        person = f"person{p:04d}"
        home = LatLon(rng.uniform(-60, 70), rng.uniform(-179, 179))
        items = []
        for i in range(per_person):
            when = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(hours=rng.randint(0, 8000))
            lat = max(-89.0, min(89.0, home.lat + rng.gauss(0, 0.01)))
            lon = (home.lon + rng.gauss(0, 0.01) + 180.0) % 360.0 - 180.0
            items.append(
                Evidence(
                    post_id=f"{person}-{i:05d}",
                    person=person,
                    position=LatLon(lat, lon),
                    source=EvidenceSource.GEOTAG,
                    time_utc=when,
                    local_time=when.replace(tzinfo=None),
                    local_basis=LocalTimeBasis.POSITION_TZ,
                    text=f"caption {i} of {person}",
                )
            )
        evidence[person] = items
    return evidence


def baseline(evidence: dict[str, list[Evidence]]) -> str:
    fmap = folium.Map(location=[0, 0], zoom_start=2)
    cluster = MarkerCluster().add_to(fmap)
    for items in evidence.values():
        for item in items:
            popup = f"<b>{html.escape(item.person)}</b> {html.escape(item.text or '')}"
            folium.Marker([item.position.lat, item.position.lon], popup=folium.Popup(popup)).add_to(
                cluster
            )
    return str(fmap.get_root().render())


_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "took = time.perf_counter() - started\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'{code} {took} {peak}')\n"
)


def _write_corpus(evidence: dict[str, list[Evidence]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for items in evidence.values():
            for e in items:
                when = e.time_utc.isoformat() if e.time_utc else None
                row = {"id": e.post_id, "author": e.person, "created_at": when,
                       "lat": e.position.lat, "lon": e.position.lon, "text": e.text}  # fmt: skip
                out.write(json.dumps(row) + "\n")


def _geoleak(checkout: Path | None, *args: str, cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one geoleak command in a process of its own."""
    env = dict(os.environ)
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "geoleak", *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    code, took, peak_kb = done.stdout.split()[-3:]
    if code != "0":
        raise SystemExit(f"geoleak {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return float(took), int(peak_kb) / 1024


def _chromium_load_s(pages: list[Path], rounds: int) -> list[float] | None:
    """Median seconds headless Chromium takes to open each page until geoleakReady and its
    main thread is free again (the first declutter done), or None without a browser.

    The pages are opened in turn, `rounds` times, in one browser: before and after meet the
    same load on a shared machine.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "report"))
    try:
        from report_browser import chromium, find_browser
    except ImportError:
        return None
    if find_browser() is None:
        return None
    took: list[list[float]] = [[] for _ in pages]
    with chromium() as browser:
        for _round in range(rounds):
            for index, page in enumerate(pages):
                browser.open(page.parent / "does-not-exist.html", wait_for="true")  # warm start
                started = time.perf_counter()
                browser.open(page, wait_for="window.geoleakReady === true")
                browser.driver.execute_async_script(
                    "var done = arguments[0]; setTimeout(function () { setTimeout(done, 0); }, 0);"
                )
                took[index].append(time.perf_counter() - started)
    return [statistics.median(times) for times in took]


def _command_figures(
    checkout: Path | None, work: Path
) -> tuple[dict[str, float | None], list[Path]]:
    """The command's figures and the pages to open in Chromium (index.html, largest person)."""
    out = work / ("maps-before" if checkout else "maps")
    took, rss = _geoleak(checkout, "map", "p.json", "posts.jsonl", "-o", str(out), "-q",
                         "--force", cwd=work)  # fmt: skip
    people = sorted(out.glob("person-*.html"))
    figures: dict[str, float | None] = {
        "time_s": took,
        "rss_mb": rss,
        "index_mb": (out / "index.html").stat().st_size / 1e6,
        "person_page_mb": sum(p.stat().st_size for p in people) / max(1, len(people)) / 1e6,
        "folder_mb": sum(p.stat().st_size for p in out.iterdir() if p.is_file()) / 1e6,
    }
    pages = [out / "index.html"]
    if people:
        pages.append(max(people, key=lambda p: p.stat().st_size))
    return figures, pages


def command(args: argparse.Namespace) -> None:
    evidence = synthetic(args.points, args.people, args.seed)
    n = sum(len(v) for v in evidence.values())
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-maps-") as tmp:
        work = Path(tmp)
        _write_corpus(evidence, work / "posts.jsonl")
        _geoleak(None, "infer", "posts.jsonl", "-o", "p.json", "-q", cwd=work)
        runs = []
        if args.against:
            runs.append((f"before ({args.against})", *_command_figures(Path(args.against), work)))
        runs.append(("this checkout", *_command_figures(None, work)))
        loads = _chromium_load_s(
            [page for _label, _f, pages in runs for page in pages], args.rounds
        )
        for _label, figures, pages in runs:
            figures["chromium_s"] = loads.pop(0) if loads else None
            figures["person_chromium_s"] = loads.pop(0) if loads and len(pages) > 1 else None
    print(f"geoleak map: {n} evidence points, {len(evidence)} people")
    # a shared machine: what else ran says how far absolute times are inflated
    print(
        "load average (1/5/15 min) at start "
        + " ".join(f"{x:.1f}" for x in load_before)
        + ", at end "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    keys = ("time_s", "rss_mb", "index_mb", "person_page_mb", "folder_mb", "chromium_s",
            "person_chromium_s")  # fmt: skip
    print(f"{'':28}" + "".join(f"{k:>18}" for k in keys))
    for label, figures, _pages in runs:
        cells = "".join(
            f"{'n/a':>18}" if figures[k] is None else f"{figures[k]:18.2f}" for k in keys
        )
        print(f"{label:28}{cells}")
    if len(runs) == 2:
        before, after = runs[0][1], runs[1][1]
        ratios = [
            f"{k} {after[k] / before[k]:.2f}x"  # type: ignore[operator]
            for k in keys
            if before[k] and after[k] is not None
        ]
        print("ratio this / before: " + ", ".join(ratios))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=5000)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--command", action="store_true", help="time the geoleak map command")
    parser.add_argument("--against", metavar="DIR", help="with --command: another checkout")
    parser.add_argument(
        "--rounds", type=int, default=3, help="with --command: Chromium opens per page (median)"
    )
    args = parser.parse_args()
    if args.command:
        command(args)
        return
    evidence = synthetic(args.points, args.people, args.seed)
    profiles = [Profile(person) for person in evidence]
    n = sum(len(v) for v in evidence.values())

    started = time.perf_counter()
    ours = build_overview_map(profiles, evidence, Path("."))
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    theirs = baseline(evidence)
    theirs_s = time.perf_counter() - started

    print(f"{n} evidence points, {len(evidence)} people")
    print(f"geoleak overview : {ours_s:7.2f} s  {len(ours) / 1e6:7.2f} MB (offline, escaped)")
    print(f"plain folium     : {theirs_s:7.2f} s  {len(theirs) / 1e6:7.2f} MB (CDN + web tiles)")
    print(
        f"ratio geoleak/folium: time {ours_s / theirs_s:.2f}x, size {len(ours) / len(theirs):.2f}x"
    )


if __name__ == "__main__":
    main()
