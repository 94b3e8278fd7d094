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
"""

from __future__ import annotations

import argparse
import html
import random
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
            folium.Marker(
                [item.position.lat, item.position.lon], popup=folium.Popup(popup)
            ).add_to(cluster)
    return str(fmap.get_root().render())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=5000)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
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
    print(f"ratio geoleak/folium: time {ours_s / theirs_s:.2f}x, size {len(ours) / len(theirs):.2f}x")


if __name__ == "__main__":
    main()
