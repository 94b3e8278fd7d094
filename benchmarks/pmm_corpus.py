"""A fourth behaviour model for held-out accuracy: the Periodic Mobility Model.

    python benchmarks/pmm_corpus.py OUT_DIR --seed 401 [--people 80]

Cho, Myers & Leskovec (KDD 2011, "Friendship and mobility: user movement in location-based
social networks") describe check-ins as a person switching between a home and a work state
with Gaussians over the time of day, plus social check-ins that do not follow the period.
Nothing here shares code or laws with `geoleak.scenario`: each post's local hour comes from a
posting curve (evening peak, 3-7 h trough: the shape Golder & Macy 2011 report for Twitter),
then the state at that hour from the person's Gaussians (the work state on weekdays only,
hybrid workers' Mondays and Fridays at home), then a position: the state's own place with
GPS noise (30-80 % of posts, per person), one of a few venues around it (Gaussian, 1.5 km
around the home, 700 m around the workplace), or for the social state (10-30 %) one of ten
venues anywhere in the city (Gaussian, 12 km) or a trip 100-1,000 km away. Every person has
a workplace of their own (commute: lognormal, median 6.2 km, sigma 1.33, the ONS 2011 fit
`geoleak.infer.roles` cites), so any site the cross-person pass finds is neighbouring
workplaces, not one installation. Cities at high latitude, in both hemispheres and on both
sides of the antimeridian, in their own time zones (UTC in the corpus). Kinds: day workers
50 %, night workers 10 %, a two-week day/night rota 5 %, not employed 17 %, living at
work 5 %, hybrid 8 %, silent 5 % (0-3 posts: truth `none`); 15 % have a cabin 40-150 km away
used every third weekend (not scored). Truth: the home, the workplace (`base`) or `nobase`.

What it leaves out: posts without a position, media, place names, movers.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import random
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

CITIES = [  # (name, lat, lon, time zone)
    ("Tromso", 69.6496, 18.9560, "Europe/Oslo"),
    ("Anchorage", 61.2181, -149.9003, "America/Anchorage"),
    ("Sydney", -33.8688, 151.2093, "Australia/Sydney"),
    ("Santiago", -33.4489, -70.6693, "America/Santiago"),
    ("Seoul", 37.5665, 126.9780, "Asia/Seoul"),
    ("Fairbanks", 64.8378, -147.7164, "America/Anchorage"),
    ("Auckland", -36.8485, 174.7633, "Pacific/Auckland"),
    ("Reykjavik", 64.1466, -21.9426, "Atlantic/Reykjavik"),
]
# Share of posts by local hour, 00-23.
POSTING_CURVE = [3, 2, 1.2, 0.7, 0.5, 0.6, 1.2, 2.5, 3.5, 4, 4.2, 4.5,
                 5, 4.8, 4.5, 4.6, 5, 5.5, 6, 6.8, 7.5, 7.8, 6.8, 4.8]  # fmt: skip
KINDS = {"day": 50, "night": 10, "rotating": 5, "none": 17, "onbase": 5, "hybrid": 8, "silent": 5}
START = dt.date(2025, 1, 6)
EARTH_M_PER_DEG = 111_320.0

Point = tuple[float, float]


def _offset(at: Point, dist_m: float, bearing: float) -> Point:
    lat, lon = at
    dlat = dist_m * math.cos(bearing) / EARTH_M_PER_DEG
    dlon = dist_m * math.sin(bearing) / (EARTH_M_PER_DEG * math.cos(math.radians(lat)))
    return lat + dlat, ((lon + dlon + 180.0) % 360.0) - 180.0


def _around(rng: random.Random, at: Point, sigma_m: float) -> Point:
    return _offset(at, abs(rng.gauss(0.0, sigma_m)), rng.uniform(0.0, 2 * math.pi))


def _periodic(hour: float, mean: float, sigma: float) -> float:
    """A Gaussian over the time of day (wrapping at midnight), as PMM's state densities."""
    apart = min(abs(hour - mean), 24.0 - abs(hour - mean))
    return math.exp(-0.5 * (apart / sigma) ** 2) / sigma


def pmm_corpus(
    seed: int, people: int = 80, night_at_home: bool = False
) -> tuple[list[dict[str, object]], list[dict[str, str]]]:
    """(posts, truth rows) of one corpus: posts as corpus JSONL objects, sorted by time.

    `night_at_home`: a counterfactual for error analysis, not a family. The home state's
    posts that would come from a venue around the home between 22:00 and 06:00 local time
    come from the home itself (every random draw as without it, so the corpus is otherwise
    the same): people at home at night as ATUS has them (`geoleak.infer.roles.PRESENCE`),
    not at a venue 1.5 km away on half their nights (`benchmarks/README.md`, pmmdev)."""
    rng = random.Random(seed)
    _, clat, clon, zone = CITIES[seed % len(CITIES)]
    tz = ZoneInfo(zone)
    kinds = [k for k, share in KINDS.items() for _ in range(share)]
    posts: list[dict[str, object]] = []
    truth: list[dict[str, str]] = []
    for p in range(people):
        kind = rng.choice(kinds)
        name = f"pmm{seed}_{p:03d}_{kind}"
        home = _around(rng, (clat, clon), 6_000)
        commute = min(60_000.0, max(800.0, math.exp(math.log(6_200) + 1.33 * rng.gauss(0, 1))))
        work: Point | None = None
        if kind == "onbase":
            work = _offset(home, rng.uniform(50, 250), rng.uniform(0, 2 * math.pi))
        elif kind not in ("none", "silent"):
            work = _offset(home, commute, rng.uniform(0, 2 * math.pi))
        cabin = None
        if rng.random() < 0.15:
            cabin = _offset(home, rng.uniform(40_000, 150_000), rng.uniform(0, 2 * math.pi))
        if kind == "night":
            work_mean, work_sd = rng.gauss(2, 1), rng.uniform(2.5, 3.5)
            home_mean, home_sd = rng.gauss(14, 1.5), rng.uniform(3, 4)
        else:
            work_mean, work_sd = rng.gauss(13, 1), rng.uniform(2.5, 3.5)
            home_mean, home_sd = rng.gauss(22, 1.2), rng.uniform(3, 4.5)
        social_share = rng.uniform(0.1, 0.3)
        at_place_share = rng.uniform(0.3, 0.8)
        months = rng.choice([6, 9, 12])
        n_posts = int(math.exp(rng.uniform(math.log(25), math.log(400))))
        if kind == "silent":
            n_posts = rng.randint(0, 3)
        common = {"person": name, "persona": kind}
        if kind == "silent" or n_posts < 1:
            truth.append({**common, "kind": "none", "lat": "", "lon": ""})
        else:
            truth.append(
                {**common, "kind": "home", "lat": f"{home[0]:.6f}", "lon": f"{home[1]:.6f}"}
            )
            if work is None:
                truth.append({**common, "kind": "nobase", "lat": "", "lon": ""})
            else:
                truth.append(
                    {**common, "kind": "base", "lat": f"{work[0]:.6f}", "lon": f"{work[1]:.6f}"}
                )
        home_venues = [_around(rng, home, 1_500) for _ in range(6)]
        work_venues = [_around(rng, work, 700) for _ in range(4)] if work else []
        social_venues = [_around(rng, (clat, clon), 12_000) for _ in range(10)]
        for i in range(n_posts):
            day = START + dt.timedelta(days=rng.randrange(months * 30))
            hour = rng.choices(range(24), weights=POSTING_CURVE)[0]
            minute = rng.randrange(60)
            weekday = day.weekday() < 5 and not (kind == "hybrid" and day.weekday() in (0, 4))
            mean = work_mean
            if kind == "rotating":  # two weeks of days, two of nights
                mean = 13.0 if ((day - START).days // 14) % 2 == 0 else 1.0
            at = hour + minute / 60
            p_home = _periodic(at, home_mean, home_sd)
            p_work = _periodic(at, mean, work_sd) * 1.3 if weekday and work is not None else 0.0
            if cabin is not None and day.weekday() >= 5 and ((day - START).days // 7) % 3 == 0:
                pos = _around(rng, cabin, 20)
            elif rng.random() < social_share:
                far = _offset((clat, clon), rng.uniform(1e5, 1e6), rng.uniform(0, 2 * math.pi))
                pos = rng.choice(social_venues) if rng.random() < 0.9 else far
            elif work is not None and rng.random() < p_work / (p_home + p_work):
                pos = (
                    _around(rng, work, 20)
                    if rng.random() < at_place_share
                    else rng.choice(work_venues)
                )
            else:
                at_home = rng.random() < at_place_share
                pos = _around(rng, home, 15) if at_home else rng.choice(home_venues)
                if night_at_home and not at_home and (hour >= 22 or hour < 6):
                    pos = home  # the same draws, the venue's post made at the home
            pos = _around(rng, pos, 15)
            local = dt.datetime(
                day.year, day.month, day.day, hour, minute, rng.randrange(60), tzinfo=tz
            )
            posts.append({
                "id": f"{name}-{i}", "author": name,
                "created_at": local.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "lat": round(pos[0], 6), "lon": round(pos[1], 6),
            })  # fmt: skip
    posts.sort(key=lambda post: str(post["created_at"]))
    return posts, truth


def write_corpus(out: Path, seed: int, people: int = 80, night_at_home: bool = False) -> Path:
    """posts.jsonl and truth.csv of `pmm_corpus` in `out`; returns the posts file."""
    return _write(out, *pmm_corpus(seed, people, night_at_home))


def _write(out: Path, posts: list[dict[str, object]], truth: list[dict[str, str]]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    corpus = out / "posts.jsonl"
    with corpus.open("w", encoding="utf-8") as handle:
        for post in posts:
            handle.write(json.dumps(post) + "\n")
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["person", "kind", "lat", "lon", "persona"])
        writer.writeheader()
        writer.writerows(truth)
    return corpus


class PmmConfig(NamedTuple):
    """One corpus of this model, as `bench_accuracy.py` lists its corpora."""

    seed: int
    people: int = 80
    night_at_home: bool = False  # `pmm_corpus`'s counterfactual


def pmm_evidence(config: PmmConfig, work: Path) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(evidence by person, truth rows) of a corpus, read by geoleak from the written file
    (`geoleak.run`, no geocoder: the posts carry no text) in `work`."""
    from geoleak.pipeline import run

    posts, truth = pmm_corpus(config.seed, config.people, config.night_at_home)
    corpus = _write(work / f"pmm-{config.seed}", posts, truth)
    return dict(run([corpus], geocoder=None, workers=1).evidence), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write posts.jsonl and truth.csv into")
    parser.add_argument("--seed", type=int, default=401)
    parser.add_argument("--people", type=int, default=80)
    parser.add_argument("--night-at-home", action="store_true",
                        help="counterfactual: the home state's venue posts at 22-06 made at the home")  # fmt: skip
    args = parser.parse_args()
    print(write_corpus(args.out, args.seed, args.people, args.night_at_home))


if __name__ == "__main__":
    main()
