"""Inference accuracy against peers, and inference time at scale, in one run.

    python benchmarks/bench_infer.py [--quick] [--people N] [--seed S]
                                     [--scale-people N] [--scale-points N] [--json OUT]
    python benchmarks/bench_infer.py --corpora units-201,units-202,timeuse-101,timeuse-102 --no-scale

Part 1, accuracy, on two corpus families. `scenario`: the generator's default behaviours
(`geoleak.scenario`, default 120 people: DST and both hemispheres, 69 N and the
antimeridian, late uploads, holidays, reshared strangers' photos, (0, 0) and coarse fixes,
night shifts, movers, silent people). `personas`: another seed, lower activity and every
persona of issue 11 (rotating shifts, living on base, home office with no base, lunch-time
and evening-only posters, second residences, business travel, 1-3 % geotags, resort
holidays, evening-peak posting; truth says "no base" where there is none). `timeuse`: the
independent family of `geoleak.scenario.timeuse` (people placed hour by hour from time-use
statistics; it shares no behaviour code with the unit generator, and the role model was not
developed on it). `--corpora` replaces these three by named corpora of bench_accuracy.py
(same seeds and knobs; the periodic-mobility corpora `pmm-401` ... `pmm-406` too, read by
geoleak from their written files as bench_accuracy.py reads them), pooled per family (the
name before "-"). Each gives each person's
evidence and the ground truth. The SAME evidence
goes to:

- geoleak: `LeakInference().fit(...)`;
- scikit-mobility 1.3.1 `skmob.measures.individual.home_location` (most visited location at
  night, 22:00-07:00), once on the raw points (as documented for check-ins) and once after
  skmob's own `preprocessing.clustering.cluster` (DBSCAN 100 m) with each point snapped to
  its cluster's centre. skmob has no work-location measure, so it has no base figures.
  skmob pins pandas<2, shapely<2 and folium==0.12 (geoleak needs folium>=0.17), so it runs
  in its own interpreter (`--skmob-python`, default `.venv/skmob/bin/python`; make it with
  `--setup-skmob`, which leaves out python-igraph: see SKMOB_REQUIREMENTS); we exchange a
  CSV of (uid, lat, lng, local time) with it;
- trackintel `location_identifier` (methods FREQ and OSNA, default pre-filter) after
  `Staypoints.generate_locations` (DBSCAN, epsilon 100 m, haversine, per user). Posts are
  not a GPS track (hours to days apart), so `generate_staypoints` would find no stays:
  each piece of evidence is a staypoint of a nominal hour, which turns trackintel's summed
  durations into the count of distinct posting hours of the original methods
  (Chen & Poorthuis 2021, Efstathiades et al. 2015). OSNA is also run without pre-filter.

Peers get each point's local wall-clock time (the same `Evidence.local_time` geoleak uses),
so no method is handicapped by time zones. trackintel wants aware times: the wall clock is
labelled UTC. Both peers take positions in their own conventions: trackintel geometry is
(x=lon, y=lat); skmob takes named lat/lng columns. A fixture at 69 N (where a swap would put
the home in the Indian Ocean) and one straddling the antimeridian are checked for every
method before the scenario; a method that fails the 69 N check is not scored.

Scoring is `geoleak.evaluate.evaluate`: recall (homes within 100/250 m, bases within
500/1000 m, rows with detectable=0 left out), precision (share of the homes and bases given
that are right), homes given to silent people, bases given to people with none, geoleak's
calibration bands, and a personas table (which persona each method gets right). The first
two families come from one generator (development corpora); `timeuse` is the check.

Part 2, scale. geoleak inference over ~1,000,000 evidence points of 10,000 people, with
workers=1 and workers=2. Generating 10,000 people takes minutes, so by default a pool of
generated people (whole units, activity lowered to ~100 points a person) is replicated:
copy k of a unit is moved by k x (0.1 deg lat, 0.15 deg lon), with new names and post
ids, so every copy is a separate unit with its own shared base. `--scale-generate`
generates every person instead. Generation is not timed.
"""

from __future__ import annotations

import argparse
import copyreg
import cProfile
import csv
import dataclasses
import io
import json
import math
import os
import pickle
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geoleak.evaluate import (  # noqa: E402
    BASE_RADII_M,
    BASE_RIGHT_M,
    HOME_RADII_M,
    HOME_RIGHT_M,
    Evaluation,
    TruthRow,
    evaluate,
    pooled_counts,
    truth_rows,
)
from geoleak.geometry import haversine_m  # noqa: E402
from geoleak.infer import LeakInference  # noqa: E402
from geoleak.infer import cluster as infer_cluster  # noqa: E402
from geoleak.scenario.memory import scenario_evidence  # noqa: E402
from geoleak.scenario.model import PERSONA_SHARES, ScenarioConfig  # noqa: E402
from geoleak.scenario.timeuse import TimeUseConfig  # noqa: E402
from geoleak.types import (  # noqa: E402
    Evidence,
    EvidenceSource,
    LatLon,
    LocalTimeBasis,
    Place,
    PlaceKind,
    Profile,
)

sys.path.insert(0, str(REPO / "benchmarks"))
from bench_accuracy import (  # noqa: E402
    EXTRA_FAMILIES,
    FAMILIES,
    corpus_evidence,
    missed_bases,
    missed_homes,
)
from bench_accuracy import corpora as accuracy_corpora  # noqa: E402
from peers import SKMOB_HOMES, SKMOB_VENV, skmob_python, trackintel_places  # noqa: E402

SKMOB = "scikit-mobility==1.3.1"
# scikit-mobility 1.3.1's own requirements, less python-igraph (<0.10): that has no wheel for
# Python >= 3.11, so pip compiles igraph's C core from source (over 20 minutes on 2 busy
# cores, and it needs cmake and a compiler). Only skmob.models.geosim and sts_epr import
# igraph; this benchmark uses neither, so skmob is installed without dependencies on top
# of these (plus numpy<2 and shapely<2, which its pandas<2 / geopandas 0.10 stack needs).
SKMOB_REQUIREMENTS = (
    "folium==0.12.1.post1",
    "geojson>=2.5.0,<3",
    "geopandas>=0.10.2,<0.11",
    "h3>=3.7.3,<4",
    "pandas>=1.1.5,<2",
    "pooch>=1.6.0,<2",
    "powerlaw>=1.4.6,<2",
    "requests>=2.25.1,<3",
    "scikit-learn",
    "statsmodels>=0.13.0,<0.14",
    "tqdm>=4.60.0,<5",
    "numpy<2",
    "shapely<2",
)
# The last main commit with the rule-based inference (before the role model of issue 11).
BASELINE_REF = "5e87377"

EvidenceByPerson = Mapping[str, Sequence[Evidence]]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- results


@dataclass
class MethodResult:
    name: str
    profiles: list[Profile] = field(default_factory=list)
    seconds: float | None = None
    unavailable: str | None = None
    notes: list[str] = field(default_factory=list)
    base_measure: bool = True


def peer_profile(person: str, home: LatLon | None, base: LatLon | None) -> Profile:
    """A Profile for a peer's answer: peers give a point, no radius nor confidence."""
    places = []
    for kind, where in ((PlaceKind.HOME, home), (PlaceKind.BASE, base)):
        if where is not None:
            places.append(
                Place(kind=kind, position=where, radius_m=0.0, confidence=0.5, evidence=(), days=0)
            )
    return Profile(person=person, places=tuple(places))


def wall_clock(ev: Evidence) -> datetime:
    """Local wall-clock time of a point (naive); UTC where no local time is known."""
    if ev.local_time is not None:
        return ev.local_time
    assert ev.time_utc is not None
    return ev.time_utc.replace(tzinfo=None)


def peer_rows(evidence: EvidenceByPerson) -> list[tuple[str, float, float, datetime]]:
    """(person, lat, lon, local wall clock) of every point that has a time."""
    return [
        (person, ev.position.lat, ev.position.lon, wall_clock(ev))
        for person, items in evidence.items()
        for ev in items
        if ev.local_time is not None or ev.time_utc is not None
    ]


# --------------------------------------------------------------------------- geoleak


def run_geoleak(evidence: EvidenceByPerson, workers: int = 1) -> MethodResult:
    start = time.perf_counter()
    model = LeakInference(workers=workers).fit(evidence)
    seconds = time.perf_counter() - start
    return MethodResult("geoleak", profiles=model.profiles_, seconds=seconds)


# --------------------------------------------------------------------------- trackintel


def run_trackintel(evidence: EvidenceByPerson) -> list[MethodResult]:
    names = ("trackintel FREQ", "trackintel OSNA", "trackintel OSNA, no pre-filter")
    try:
        import geopandas  # noqa: F401  (what trackintel_places needs)
        import trackintel as ti
        from trackintel.analysis import location_identifier  # noqa: F401
    except Exception as exc:  # ImportError, or a broken binary dependency
        reason = (
            f"cannot import trackintel ({type(exc).__name__}: {exc}); pip install -e '.[bench]'"
        )
        return [MethodResult(n, unavailable=reason) for n in names]

    rows = peer_rows(evidence)
    found, seconds = trackintel_places(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )
    results = []
    for name, method in zip(names, ("FREQ", "OSNA", "OSNA, no pre-filter"), strict=True):
        profiles = [
            peer_profile(p, LatLon(*got["home"]) if "home" in got else None,
                         LatLon(*got["work"]) if "work" in got else None)
            for p, got in found[method].items()
        ]  # fmt: skip
        results.append(
            MethodResult(
                name, profiles=profiles, seconds=seconds[method],
                notes=[f"trackintel {ti.__version__}"],
            )
        )  # fmt: skip
    return results


# --------------------------------------------------------------------------- scikit-mobility

SKMOB_WORKER = (
    SKMOB_HOMES
    + r"""
import json, sys, time

src, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, dtype={"uid": str}, parse_dates=["datetime"])
res = {"version": skmob.__version__}
for key in ("raw", "clustered"):
    start = time.perf_counter()
    res[key] = homes(df, key == "clustered")
    res[f"{key}_s"] = time.perf_counter() - start
with open(out, "w") as handle:
    json.dump(res, handle)
"""
)


def setup_skmob() -> None:
    """Create .venv/skmob with scikit-mobility and the old stack it pins."""
    log(
        f"creating {SKMOB_VENV}: {' '.join(SKMOB_REQUIREMENTS)}, then {SKMOB} without dependencies ..."
    )
    subprocess.run([sys.executable, "-m", "venv", str(SKMOB_VENV)], check=True)
    pip = [str(SKMOB_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *SKMOB_REQUIREMENTS], check=True)
    subprocess.run([*pip, "--no-deps", SKMOB], check=True)


def run_skmob(evidence: EvidenceByPerson, python: str | None, why: str) -> list[MethodResult]:
    names = ("skmob home_location (raw)", "skmob home_location (clustered)")
    if python is None:
        return [MethodResult(n, unavailable=why, base_measure=False) for n in names]
    with tempfile.TemporaryDirectory(prefix="bench-infer-") as tmp:
        src, out, worker = Path(tmp, "points.csv"), Path(tmp, "homes.json"), Path(tmp, "worker.py")
        with src.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["uid", "lat", "lng", "datetime"])  # skmob's own column names
            for person, lat, lon, when in peer_rows(evidence):
                writer.writerow([person, repr(lat), repr(lon), when.isoformat(sep=" ")])
        worker.write_text(SKMOB_WORKER)
        proc = subprocess.run(
            [python, str(worker), str(src), str(out)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
            return [
                MethodResult(n, unavailable=f"skmob run failed: {tail}", base_measure=False)
                for n in names
            ]
        res = json.loads(out.read_text())
    results = []
    for name, key in zip(names, ("raw", "clustered"), strict=True):
        profiles = [peer_profile(p, LatLon(lat, lng), None) for p, (lat, lng) in res[key].items()]
        results.append(
            MethodResult(
                name,
                profiles=profiles,
                seconds=res[f"{key}_s"],
                base_measure=False,
                notes=[
                    f"scikit-mobility {res['version']} (own interpreter; time measured inside it)"
                ],
            )
        )
    return results


# --------------------------------------------------------------------------- fixtures


def _fixture_person(
    person: str, home: Sequence[LatLon], base: LatLon, errands_from: LatLon
) -> list[Evidence]:
    """Nights at home (alternating between the given points), weekdays at base, errands."""
    out = []
    day0 = datetime(2025, 3, 3)  # a Monday
    for d in range(42):
        day = day0 + timedelta(days=d)
        spot = home[d % len(home)]
        out.append((spot, day.replace(hour=22, minute=30), "night"))
        if day.weekday() < 5:
            out.append((base, day.replace(hour=10, minute=15), "duty"))
        elif d % 7 == 5:
            out.append((spot, day.replace(hour=13), "weekend"))
    for k in range(12):  # distinct one-off places, so per-user location filters pass
        out.append(
            (
                LatLon(errands_from.lat + 0.03 * (k + 1), errands_from.lon),
                (day0 + timedelta(days=k * 3 + 5)).replace(hour=15),
                "x",
            )
        )
    evidence = []
    for n, (pos, local, _) in enumerate(out):
        evidence.append(
            Evidence(
                post_id=f"{person}-{n}",
                person=person,
                position=pos,
                source=EvidenceSource.EXIF,
                accuracy_m=10.0,
                time_utc=local.replace(tzinfo=timezone.utc),
                local_time=local,
                local_basis=LocalTimeBasis.EXIF_NAIVE,
            )
        )
    return evidence


def axis_fixture() -> tuple[dict[str, list[Evidence]], dict[str, LatLon]]:
    """A person at 69.45 N 24.51 E (a lat/lon swap lands at 24.5 N 69.5 E, ~5000 km off)
    and one whose home straddles the antimeridian (points 43 m apart at +-179.9998), with
    a control person doing the same at 170 E."""
    arctic_home = LatLon(69.4512, 24.5103)
    anti_home = [LatLon(-16.8500, 179.9998), LatLon(-16.8500, -179.9998)]
    control_home = [
        LatLon(-16.8500, 170.0002),
        LatLon(-16.8500, 169.9998),
    ]  # same pair, away from 180
    evidence = {
        "fx_control": _fixture_person(
            "fx_control", control_home, LatLon(-16.8300, 169.9800), LatLon(-16.60, 169.90)
        ),
        "fx_arctic": _fixture_person(
            "fx_arctic", [arctic_home], LatLon(69.4800, 24.5600), LatLon(69.30, 24.20)
        ),
        "fx_antimeridian": _fixture_person(
            "fx_antimeridian", anti_home, LatLon(-16.8300, 179.9800), LatLon(-16.60, 179.90)
        ),
    }
    truth = {
        "fx_arctic": arctic_home,
        "fx_antimeridian": LatLon(-16.8500, 180.0),
        "fx_control": LatLon(-16.8500, 170.0),
    }
    return evidence, truth


def check_axes(
    results: Sequence[MethodResult], truth: Mapping[str, LatLon]
) -> dict[str, dict[str, float | None]]:
    """Home error (m) on each fixture person, per method; None where no home was given."""
    table: dict[str, dict[str, float | None]] = {}
    for res in results:
        by_person = {p.person: p for p in res.profiles}
        errs: dict[str, float | None] = {}
        for person, where in truth.items():
            home = by_person[person].place(PlaceKind.HOME) if person in by_person else None
            errs[person] = haversine_m(home.position, where) if home else None
        table[res.name] = errs
    return table


# --------------------------------------------------------------------------- scoring


def fmt_share(score: Any, radius: int) -> str:
    if not score.truths:
        return "n/a"
    return f"{100 * score.within.get(radius, 0) / score.truths:.1f}%"


def fmt_median(score: Any) -> str:
    return f"{statistics.median(score.errors_m):.0f}" if score.errors_m else "n/a"


def share(score: Any, radius: int) -> float | None:
    return score.within.get(radius, 0) / score.truths if score.truths else None


def table_lines(scored: Sequence[tuple[MethodResult, Evaluation | None]]) -> list[str]:
    head = (
        ["method"]
        + [f"home<={r}m" for r in HOME_RADII_M[:2]]
        + ["home prec", "home med m"]
        + [f"base<={r}m" for r in BASE_RADII_M[:2]]
        + ["base prec", "base med m", "false homes", "false bases", "seconds"]
    )
    body = []
    for res, ev in scored:
        if ev is None:
            body.append([res.name] + ["-"] * (len(head) - 1))
            continue
        figures = ev.to_json()
        base = (
            [fmt_share(ev.base, r) for r in BASE_RADII_M[:2]]
            + [fmt_precision(figures["base"]), fmt_median(ev.base)]
            if res.base_measure
            else ["no measure"] + ["-"] * 3
        )
        body.append(
            [res.name]
            + [fmt_share(ev.home, r) for r in HOME_RADII_M[:2]]
            + [fmt_precision(figures["home"]), fmt_median(ev.home)]
            + base
            + [
                f"{ev.false_homes}/{ev.silent_people}",
                f"{figures['false_bases']}/{figures['no_base_people']}"
                if res.base_measure
                else "-",
                f"{res.seconds:.2f}" if res.seconds is not None else "-",
            ]
        )
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    lines = [
        "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [head, *body]
    ]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def fmt_precision(kind: Mapping[str, Any]) -> str:
    """Share of the places given that are right (within 100 m for homes, 500 m for bases)."""
    value = next((v for k, v in kind.items() if k.startswith("precision_")), None)
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _grid(head: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [head, *body]
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return lines


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


def persona_lines(
    pooled: Mapping[str, Mapping[str, Any]], base_measure: Mapping[str, bool]
) -> list[str]:
    """Per persona and method (pooled counts of `geoleak.evaluate.pooled_counts`): homes
    recall (right/truths) and precision (right/given), then the same for bases and the
    bases given to people with none."""
    personas = sorted({p for counts in pooled.values() for p in counts["by_persona"]})
    if not personas:
        return []
    lines = []
    for kind in ("home", "base"):
        methods = [m for m in pooled if kind == "home" or base_measure.get(m, True)]
        head = ["persona", "people", *methods]
        body = []
        for persona in personas:
            row = [persona, ""]
            for method in methods:
                p = pooled[method]["by_persona"].get(persona)
                if p is None:
                    row.append("-")
                    continue
                row[1] = str(p["people"])
                cell = f"R {_ratio(p[f'{kind}_hits'], p[f'{kind}_truths'])} P {_ratio(p[f'{kind}_given_right'], p[f'{kind}_given'])}"
                if kind == "base" and p["false_bases"]:
                    cell += f" fb {p['false_bases']}"
                row.append(cell)
            body.append(row)
        lines.append(f"{kind}s by persona: R right/truths (recall), P right/given (precision)"
                     + (", fb bases given to people with none" if kind == "base" else ""))  # fmt: skip
        lines.extend(_grid(head, body))
        lines.append("")
    return lines[:-1]


def pooled_lines(
    pooled: Mapping[str, Mapping[str, Any]], base_measure: Mapping[str, bool]
) -> list[str]:
    """Pooled recall and precision per method, and whether geoleak is ahead of each peer on
    both at once (issue 11's target), for homes and for bases."""

    def fmt(part: int, whole: int) -> str:
        return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "n/a"

    head = [
        "method",
        "home recall",
        "home prec",
        "base recall",
        "base prec",
        "false bases",
        "false homes",
    ]
    body = []
    for method, c in pooled.items():
        h, b = c["home"], c["base"]
        bases = [fmt(b["hits"], b["truths"]), fmt(b["given_right"], b["given"]),
                 f"{c['false_bases']}/{c['no_base_people']}"] if base_measure.get(method, True) else ["no measure", "-", "-"]  # fmt: skip
        body.append([method, fmt(h["hits"], h["truths"]), fmt(h["given_right"], h["given"]), *bases[:2], bases[2],
                     f"{c['false_homes']}/{c['silent_people']}"])  # fmt: skip
    lines = _grid(head, body)
    ours = pooled.get("geoleak")
    if ours is None:
        return lines
    for method, c in pooled.items():
        if method == "geoleak":
            continue
        verdicts = []
        for kind in ("home", "base") if base_measure.get(method, True) else ("home",):
            o, t = ours[kind], c[kind]
            if not (o["truths"] and o["given"] and t["truths"] and t["given"]):
                verdicts.append(f"{kind}s n/a")
                continue
            d_recall = o["hits"] / o["truths"] - t["hits"] / t["truths"]
            d_precision = o["given_right"] / o["given"] - t["given_right"] / t["given"]
            ahead = "AHEAD" if d_recall >= 0 and d_precision >= 0 else "not ahead"
            verdicts.append(
                f"{kind}s {ahead} (recall {100 * d_recall:+.1f}, precision {100 * d_precision:+.1f} points)"
            )
        lines.append(f"geoleak vs {method}: " + "; ".join(verdicts))
    return lines


def peer_wins(
    profiles: Mapping[str, Sequence[Profile]], truth: Sequence[TruthRow]
) -> list[dict[str, Any]]:
    """Every true home (right within `HOME_RIGHT_M`) and base (`BASE_RIGHT_M`) that some
    peer gets right and geoleak does not, one item each: the person, their persona, "home"
    or "base", the peers that get it, and what geoleak gave instead (the distance of its
    place of that kind and its confidence, whether its home lies at the true workplace or its
    base at the true home; None where it gave none). `profiles` maps a method's name to its
    profiles, geoleak's under "geoleak". Movers' homes are left out (`evaluate` scores them
    by period), as are rows the truth marks undetectable."""
    homes: dict[str, list[TruthRow]] = {}
    for row in truth:
        if row.kind == "home":
            homes.setdefault(row.person, []).append(row)
    persona = {row.person: row.persona for row in truth if row.persona}
    true_base = {row.person: row.position for row in truth
                 if row.kind == "base" and row.position is not None}  # fmt: skip
    given: dict[str, dict[str, Profile]] = {
        method: {p.person: p for p in found} for method, found in profiles.items()
    }

    def first(method: str, person: str, kind: PlaceKind) -> Place | None:
        profile = given[method].get(person)
        return next((p for p in (profile.places if profile else ()) if p.kind == kind), None)

    def right(method: str, row: TruthRow, kind: PlaceKind, right_m: float) -> bool:
        place = first(method, row.person, kind)
        return (place is not None and row.position is not None
                and haversine_m(place.position, row.position) <= right_m)  # fmt: skip

    out: list[dict[str, Any]] = []
    for row in truth:
        if row.kind not in ("home", "base") or row.position is None or not row.detectable:
            continue
        if row.kind == "home" and len(homes[row.person]) > 1:
            continue
        kind = PlaceKind.HOME if row.kind == "home" else PlaceKind.BASE
        right_m = HOME_RIGHT_M if kind == PlaceKind.HOME else BASE_RIGHT_M
        target = row.position
        if right("geoleak", row, kind, right_m):
            continue
        peers = [m for m in given if m != "geoleak" and right(m, row, kind, right_m)]
        if not peers:
            continue
        ours = first("geoleak", row.person, kind)
        item: dict[str, Any] = {"person": row.person, "persona": persona.get(row.person, ""),
                                "kind": row.kind, "peers": peers, "given_m": None,
                                "confidence": None, "swapped": None}  # fmt: skip
        if ours is not None:
            item["given_m"] = round(haversine_m(ours.position, target))
            item["confidence"] = ours.confidence
            # A home at the true workplace, a base at the true home: the two roles swapped.
            if kind == PlaceKind.HOME and row.person in true_base:
                item["swapped"] = haversine_m(ours.position, true_base[row.person]) <= BASE_RIGHT_M
            elif kind == PlaceKind.BASE and homes.get(row.person):
                item["swapped"] = any(
                    h.position is not None
                    and haversine_m(ours.position, h.position) <= HOME_RIGHT_M
                    for h in homes[row.person]
                )
        out.append(item)
    return out


def peer_wins_with_causes(
    wins: list[dict[str, Any]],
    profiles: Sequence[Profile],
    truth: Sequence[TruthRow],
    evidence: EvidenceByPerson,
) -> list[dict[str, Any]]:
    """`peer_wins`' items with geoleak's own reading of each (bench_accuracy's
    `missed_homes` / `missed_bases`: the cause, the best reading's type, the true place's
    posterior and the terms that lead), run only for the people listed."""
    people = {(w["person"], w["kind"]) for w in wins}
    rows = [r for r in truth if (r.person, "home") in people or (r.person, "base") in people]
    by_person = dict(evidence)
    why = {("home", m["person"]): m for m in missed_homes(list(profiles), rows, by_person)}
    why |= {("base", m["person"]): m for m in missed_bases(list(profiles), rows, by_person)}
    out = []
    for w in wins:
        found = why.get((w["kind"], w["person"]), {})
        extra = {k: v for k, v in found.items()
                 if k not in ("kind", "person", "persona", "given", "given_m")}  # fmt: skip
        out.append({**w, **extra})
    return out


def peer_wins_lines(wins: Sequence[Mapping[str, Any]]) -> list[str]:
    """The peer wins counted by kind, persona and geoleak's cause."""
    lines = []
    for kind in ("home", "base"):
        mine = [w for w in wins if w["kind"] == kind]
        by_persona = Counter(w["persona"] or "-" for w in mine)
        by_cause = Counter(w.get("cause", "?") for w in mine)
        lines.append(
            f"  {kind}s a peer gets and geoleak does not: {len(mine)}; by persona: "
            + (", ".join(f"{p} {n}" for p, n in by_persona.most_common()) or "none")
            + "; by geoleak's cause: "
            + (", ".join(f"{c} {n}" for c, n in by_cause.most_common()) or "none")
        )
    return lines


def ratio_lines(scored: Sequence[tuple[MethodResult, Evaluation | None]]) -> list[str]:
    ours = next(ev for res, ev in scored if res.name == "geoleak" and ev is not None)
    lines = [
        "accuracy relative to geoleak (peer share / geoleak share; < 1 means geoleak is better):"
    ]
    for res, ev in scored:
        if res.name == "geoleak" or ev is None:
            continue
        cells = []
        for label, mine, theirs in (
            ("home<=100m", share(ours.home, 100), share(ev.home, 100)),
            ("home<=250m", share(ours.home, 250), share(ev.home, 250)),
            (
                "base<=500m",
                share(ours.base, 500),
                share(ev.base, 500) if res.base_measure else None,
            ),
        ):
            cells.append(
                f"{label} {theirs / mine:.2f}x" if mine and theirs is not None else f"{label} n/a"
            )
        lines.append(f"  {res.name}: " + ", ".join(cells))
    return lines


# --------------------------------------------------------------------------- scale


def replicate(pool: Sequence[tuple[str, list[Evidence]]], people: int) -> dict[str, list[Evidence]]:
    """`people` persons from the pool: copy k of everyone moved by k x (0.1, 0.15) deg."""
    out: dict[str, list[Evidence]] = {}
    copy = 0
    while len(out) < people:
        dlat, dlon = 0.1 * copy, 0.15 * copy
        for person, items in pool:
            if len(out) >= people:
                break
            if copy == 0:
                out[person] = list(items)
                continue
            name = f"{person}~{copy}"
            moved = []
            for ev in items:
                lat = ev.position.lat + dlat
                if lat > 89.9:
                    lat = ev.position.lat - dlat
                lon = (ev.position.lon + dlon + 180.0) % 360.0 - 180.0
                moved.append(
                    dataclasses.replace(
                        ev, post_id=f"{ev.post_id}~{copy}", person=name, position=LatLon(lat, lon)
                    )
                )
            out[name] = moved
        copy += 1
    return out


def scale_evidence(
    people: int, points: int, seed: int, generate_all: bool, pool_size: int
) -> tuple[dict[str, list[Evidence]], str]:
    per_person = points / people
    # ~105 points a person at activity 0.75 (measured on the default scenario).
    activity = max(0.05, 0.75 * per_person / 105.0)
    count = people if generate_all else min(people, pool_size)
    start = time.perf_counter()
    pool = []
    for n, (person, evidence, _truth) in enumerate(
        scenario_evidence(ScenarioConfig(people=count, seed=seed, activity=activity)), start=1
    ):
        pool.append((person, evidence))
        if n % 500 == 0:
            log(f"  generated {n}/{count} people")
    gen_s = time.perf_counter() - start
    if generate_all:
        how = f"all {count} people generated (activity {activity:.2f}) in {gen_s:.0f} s"
        return dict(pool), how
    data = replicate(pool, people)
    copies = math.ceil(people / max(1, len(pool)))
    how = (
        f"{len(pool)} people generated (activity {activity:.2f}, {gen_s:.0f} s), replicated {copies}x: copy k "
        f"moved by k x (0.1 deg lat, 0.15 deg lon), renamed; {time.perf_counter() - start - gen_s:.0f} s"
    )
    return data, how


def _proxy(items: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(items)


def _reduce_proxy(proxy: Mapping[str, Any]) -> tuple[Any, ...]:
    return (_proxy, (dict(proxy),))


def run_scale(args: argparse.Namespace) -> dict[str, Any]:
    log(f"scale: building evidence for {args.scale_people} people ...")
    data, how = scale_evidence(
        args.scale_people, args.scale_points, args.seed + 1, args.scale_generate, args.pool
    )
    points = sum(len(v) for v in data.values())
    out: dict[str, Any] = {"people": len(data), "points": points, "how": how, "runs": {}}
    for workers in (1, 2):
        log(f"scale: geoleak inference, workers={workers} ...")
        for attempt in range(2):
            start = time.perf_counter()
            try:
                model = LeakInference(workers=workers).fit(data)
            except Exception as exc:  # report a library failure, then go on
                if attempt or "mappingproxy" not in str(exc):
                    out["runs"][workers] = {"error": f"{type(exc).__name__}: {exc}"}
                    break
                # Place/Profile.extra is a MappingProxyType, which pickle refuses, so results
                # cannot come back from worker processes. Register a reducer (the fix proposed
                # for geoleak/types.py) and measure again, saying so.
                out.setdefault(
                    "workaround",
                    f"workers={workers} failed ({type(exc).__name__}: {exc}); "
                    "timed again with MappingProxyType pickling registered by the benchmark",
                )
                copyreg.pickle(MappingProxyType, _reduce_proxy)
                continue
            seconds = time.perf_counter() - start
            homes = sum(1 for p in model.profiles_ if p.place(PlaceKind.HOME))
            out["runs"][workers] = {
                "seconds": seconds,
                "points_per_s": points / seconds,
                "homes": homes,
                "sites": len(model.sites_),
            }
            break
    # Baseline for the clustering fast path, in this run: the same people with every
    # clustering call sent to scikit-learn's DBSCAN (as before the dense path existed).
    subset = dict(list(data.items())[: args.baseline_people])
    sub_points = sum(len(v) for v in subset.values())
    log(
        f"scale: clustering baseline on {len(subset)} people (dense path, then scikit-learn DBSCAN) ..."
    )
    timings = {}
    limit = infer_cluster.DENSE_MAX_POINTS
    for label, dense_max in (("dense", limit), ("sklearn", 0)):
        infer_cluster.DENSE_MAX_POINTS = dense_max
        infer_cluster.SKLEARN_FOR_LARGE = label == "sklearn"
        try:
            start = time.perf_counter()
            fitted = LeakInference(workers=1).fit(subset)
            timings[label] = (time.perf_counter() - start, fitted.profiles_)
        finally:
            infer_cluster.DENSE_MAX_POINTS = limit
            infer_cluster.SKLEARN_FOR_LARGE = False
    out["cluster_baseline"] = {
        "people": len(subset),
        "points": sub_points,
        "dense_s": timings["dense"][0],
        "sklearn_s": timings["sklearn"][0],
        "same_profiles": timings["dense"][1] == timings["sklearn"][1],
    }
    if args.baseline_ref:
        log(
            f"scale: previous inference ({args.baseline_ref}) vs this one on {len(subset)} people, "
            "each in a fresh interpreter ..."
        )
        out["previous_inference"] = compare_with_ref(args.baseline_ref, subset)
    if args.profile:
        log(f"scale: profiling workers=1 on all {len(data):,} people ...")
        prof = cProfile.Profile()
        prof.enable()
        LeakInference(workers=1).fit(data)
        prof.disable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("cumulative").print_stats("geoleak", 30)
        stats.sort_stats("tottime").print_stats(15)
        out["profile"] = buf.getvalue()
    return out


_TIME_FIT = """
import json, pickle, sys, time
from geoleak.infer import LeakInference
data = pickle.load(open(sys.argv[1], "rb"))
best_cpu = best_wall = float("inf")
for _ in range(3):
    wall, cpu = time.perf_counter(), time.process_time()
    LeakInference(workers=1).fit(data)
    best_cpu = min(best_cpu, time.process_time() - cpu)
    best_wall = min(best_wall, time.perf_counter() - wall)
print(json.dumps({"cpu_s": best_cpu, "wall_s": best_wall}))
"""


def compare_with_ref(ref: str, subset: Mapping[str, Sequence[Evidence]]) -> dict[str, Any]:
    """Inference time of the geoleak package at git `ref` and of this checkout, same evidence.

    Each runs in its own interpreter (best of 3, CPU and wall seconds), so neither warms the
    other's caches; CPU time is the fairer figure on a shared machine.
    """
    points = sum(len(v) for v in subset.values())
    with tempfile.TemporaryDirectory(prefix="geoleak-bench-") as tmp:
        old_tree = Path(tmp) / "old"
        old_tree.mkdir()
        try:
            archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "geoleak"],
                                     capture_output=True, check=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive, check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            return {"ref": ref, "unavailable": f"cannot export {ref} with git ({exc})"}
        data_path = Path(tmp) / "evidence.pickle"
        data_path.write_bytes(pickle.dumps(dict(subset)))
        timings = {}
        for label, root in (("previous", old_tree), ("current", REPO)):
            env = {**os.environ, "PYTHONPATH": str(root)}
            done = subprocess.run([sys.executable, "-c", _TIME_FIT, str(data_path)], capture_output=True,
                                  text=True, env=env, check=False)  # fmt: skip
            if done.returncode:
                return {"ref": ref, "unavailable": f"{label} failed: {done.stderr.strip()[-300:]}"}
            timings[label] = json.loads(done.stdout)
    return {
        "ref": ref,
        "people": len(subset),
        "points": points,
        **{f"{k}_{m}": v for k, t in timings.items() for m, v in t.items()},
        "cpu_ratio": timings["current"]["cpu_s"] / timings["previous"]["cpu_s"],
        "previous_points_per_cpu_s": points / timings["previous"]["cpu_s"],
        "current_points_per_cpu_s": points / timings["current"]["cpu_s"],
    }


def scale_lines(scale: Mapping[str, Any], target_s: float = 60.0) -> list[str]:
    lines = [f"evidence: {scale['points']:,} points of {scale['people']:,} people ({scale['how']})"]
    if "workaround" in scale:
        lines.append(f"NOTE: {scale['workaround']}")
    runs = scale["runs"]
    for workers, run in runs.items():
        if "error" in run:
            lines.append(f"geoleak workers={workers}: FAILED: {run['error']}")
            continue
        per_million = run["seconds"] * 1_000_000 / scale["points"]
        verdict = "under" if per_million < target_s else "OVER"
        lines.append(
            f"geoleak workers={workers}: {run['seconds']:.1f} s, {run['points_per_s']:,.0f} points/s; "
            f"{per_million:.1f} s per 1,000,000 points ({verdict} the {target_s:.0f} s target); "
            f"{run['homes']:,} homes, {run['sites']:,} sites"
        )
    base = scale.get("cluster_baseline")
    if base:
        lines.append(
            f"clustering fast path, {base['points']:,} points of {base['people']:,} people: {base['dense_s']:.1f} s "
            f"vs {base['sklearn_s']:.1f} s with scikit-learn DBSCAN for every call "
            f"(speed-up {base['sklearn_s'] / base['dense_s']:.2f}x; identical profiles: {base['same_profiles']})"
        )
    prev = scale.get("previous_inference")
    if prev and "unavailable" in prev:
        lines.append(f"previous inference ({prev['ref']}): not timed: {prev['unavailable']}")
    elif prev:
        lines.append(
            f"inference vs {prev['ref']} (rule-based, before the role model), {prev['points']:,} points of "
            f"{prev['people']:,} people, workers=1, best of 3 CPU seconds: {prev['current_cpu_s']:.2f} s vs "
            f"{prev['previous_cpu_s']:.2f} s ({prev['current_points_per_cpu_s']:,.0f} vs "
            f"{prev['previous_points_per_cpu_s']:,.0f} points per CPU second; ratio {prev['cpu_ratio']:.2f}x "
            f"the time)"
        )
    ok = [w for w in (1, 2) if w in runs and "seconds" in runs[w]]
    if len(ok) == 2:
        speedup = runs[1]["seconds"] / runs[2]["seconds"]
        lines.append(
            f"workers=2 vs workers=1: speed-up {speedup:.2f}x ({'faster' if speedup > 1 else 'slower'})"
        )
    return lines


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="small run (< 60 s): 60 people, scale 1,000 people"
    )
    parser.add_argument(
        "--people", type=int, default=None, help="people in the accuracy scenario (default 120)"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--scale-people", type=int, default=None, help="people in the scale run (default 10000)"
    )
    parser.add_argument(
        "--scale-points",
        type=int,
        default=None,
        help="evidence points in the scale run (default 100 per person)",
    )
    parser.add_argument(
        "--scale-generate",
        action="store_true",
        help="generate every scale person (slow) instead of replicating a pool",
    )
    parser.add_argument(
        "--pool", type=int, default=500, help="people generated for the scale pool (default 500)"
    )
    parser.add_argument(
        "--baseline-people",
        type=int,
        default=None,
        help="people timed with and without the clustering fast path (default 1000)",
    )
    parser.add_argument(
        "--baseline-ref",
        default=BASELINE_REF,
        help=f"git ref whose inference is timed against this one (default {BASELINE_REF}: "
        "the last commit before inference v2; '' to skip)",
    )
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile geoleak inference over the scale people",
    )
    parser.add_argument(
        "--skmob-python",
        default=None,
        help="interpreter with scikit-mobility (default .venv/skmob)",
    )
    parser.add_argument(
        "--setup-skmob", action="store_true", help=f"create {SKMOB_VENV.name} (needs PyPI) and exit"
    )
    parser.add_argument("--corpora", default=None, metavar="NAMES",
                        help="comma-separated corpora of bench_accuracy.py (e.g. timeuse-101,timeuse-102,"
                        "units-201,units-202,pmm-401, pmm-development-411, same knobs) instead of the three default families; "
                        "figures are pooled per family")  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="write all figures as JSON here")
    parser.add_argument("--peer-wins", type=Path, default=None, metavar="FILE",
                        help="write as JSON every true home and base a peer gets right and geoleak "
                             "does not, with geoleak's cause (bench_accuracy's --missed reading), "
                             "and print them counted by persona and cause per family")  # fmt: skip
    args = parser.parse_args(argv)
    if args.setup_skmob:
        setup_skmob()
        return 0
    people = args.people or (60 if args.quick else 120)
    args.scale_people = args.scale_people or (1000 if args.quick else 10000)
    args.scale_points = args.scale_points or 100 * args.scale_people
    args.baseline_people = args.baseline_people or (200 if args.quick else 1000)
    if args.quick:
        args.pool = min(args.pool, 200)
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    out = print

    # Part 1: accuracy, on two corpus families: the scenario generator's default behaviours
    # and, with other seeds and knobs, every persona of issue 11 (rotating shifts, living on
    # base, home office, lunch-time and evening-only posters, second residences, business
    # travel, rare geotags, resort holidays, evening-peak posting).
    families: dict[str, ScenarioConfig | TimeUseConfig] = {
        "scenario": ScenarioConfig(people=people, seed=args.seed),
        "personas": ScenarioConfig(
            people=people, seed=args.seed + 1000, activity=0.6, **PERSONA_SHARES
        ),  # type: ignore[arg-type]
        "timeuse": TimeUseConfig(people=people, seed=args.seed),
    }
    if args.corpora:
        known = dict(accuracy_corpora(quick=False, families=FAMILIES + EXTRA_FAMILIES))
        wanted = [n.strip() for n in args.corpora.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in known]
        if unknown:
            parser.error(f"--corpora: unknown {', '.join(unknown)} (known: {', '.join(known)})")
        families = {n: known[n] for n in wanted}
    # Per family (the part of a corpus name before "-"), per method: every corpus's evaluation.
    pools: dict[str, dict[str, list[Evaluation]]] = {}
    wins: dict[str, list[dict[str, Any]]] = {}  # per family: `peer_wins`' items (--peer-wins)
    base_measure: dict[str, bool] = {}
    runners: list[Callable[[EvidenceByPerson], list[MethodResult]]] = [lambda ev: [run_geoleak(ev)]]
    if not args.no_peers:
        python, why = skmob_python(args.skmob_python)
        runners += [run_trackintel, lambda ev: run_skmob(ev, python, why)]

    # Axis check first, on the fixtures.
    fx_evidence, fx_truth = axis_fixture()
    fx_results = [r for run in runners for r in run(fx_evidence)]
    axes = check_axes([r for r in fx_results if not r.unavailable], fx_truth)
    out(
        "== axis check: home error on fixtures (69.45 N 24.51 E; home straddling the antimeridian; "
        "the same at 170 E as control) =="
    )
    swapped: set[str] = set()
    for name, errs in axes.items():
        cells = []
        for person, err in errs.items():
            cells.append(f"{person} {'no home' if err is None else f'{err:,.0f} m'}")
        arctic = errs.get("fx_arctic")
        if arctic is not None and arctic > 1000:
            swapped.add(name)
            cells.append("FAILED: lat/lon mix-up suspected; not scored")
        out(f"  {name}: " + ", ".join(cells))
    report["accuracy"] = {"axis_check": axes}
    for family, config in families.items():
        log(f"accuracy ({family}): generating {config.people} people (seed {config.seed}) ...")
        with tempfile.TemporaryDirectory(prefix="bench-infer-") as tmp:
            evidence, truth_dicts = corpus_evidence(config, Path(tmp))
        truth = truth_rows(truth_dicts)
        points = sum(len(v) for v in evidence.values())
        log(
            f"accuracy ({family}): {points:,} points of {len(evidence)} people; running methods ..."
        )
        results = [r for run in runners for r in run(evidence)]
        scored: list[tuple[MethodResult, Evaluation | None]] = []
        for res in results:
            if res.unavailable or res.name in swapped:
                scored.append((res, None))
            else:
                scored.append((res, evaluate(res.profiles, truth)))
        out("")
        n_home = sum(1 for r in truth if r.kind == "home" and r.detectable)
        n_base = sum(1 for r in truth if r.kind == "base" and r.detectable)
        n_none = sum(1 for r in truth if r.kind == "none")
        out(
            f"== accuracy, family '{family}': {len(evidence)} people, seed {config.seed}, {points:,} evidence "
            f"points; {n_home} detectable homes, {n_base} detectable bases, {n_none} silent people =="
        )
        for line in table_lines(scored):
            out(line)
        for res in results:
            if res.unavailable:
                out(f"peer {res.name} unavailable: {res.unavailable}")
        out(
            "notes: home/base <= r: share of detectable truth homes / bases with a reported one within r "
            "(recall); prec: share of the homes / bases given that are right (100 m / 500 m); "
            "false homes: homes given to silent people; false bases: bases given to people whose truth "
            "says they have none / such people; seconds = inference only (skmob: inside its own "
            "interpreter, CSV load excluded)"
        )
        out("")
        for line in ratio_lines(scored):
            out(line)
        geoleak_eval = next(
            (ev for res, ev in scored if res.name == "geoleak" and ev is not None), None
        )
        if geoleak_eval is not None:
            out("geoleak calibration (confidence band: places, share right):")
            for row in geoleak_eval.calibration:
                if row["places"]:
                    out(
                        f"  {row['bin']}: {row['places']} places, {100 * row['share_right']:.0f}% right"
                    )
        if args.peer_wins is not None:
            ours = next((r for r in results if r.name == "geoleak"), None)
            rated = {res.name: res.profiles for res, ev in scored if ev is not None}
            if ours is not None and "geoleak" in rated:
                found = peer_wins_with_causes(
                    peer_wins(rated, truth), ours.profiles, truth, evidence
                )
                wins.setdefault(family.split("-")[0], []).extend(
                    {"corpus": family, **w} for w in found
                )
        for res, ev in scored:
            if ev is not None:
                pools.setdefault(family.split("-")[0], {}).setdefault(res.name, []).append(ev)
                base_measure[res.name] = res.base_measure
        report["accuracy"][family] = {
            "people": len(evidence),
            "points": points,
            "seed": config.seed,
            "methods": {
                res.name: (
                    {"unavailable": res.unavailable}
                    if ev is None
                    else {
                        **ev.to_json(),
                        "seconds": res.seconds,
                        "notes": res.notes,
                        "base_measure": res.base_measure,
                    }
                )
                for res, ev in scored
            },
        }

    report["accuracy"]["pooled"] = {}
    for family, by_method in pools.items():
        pooled = {method: pooled_counts(evs) for method, evs in by_method.items()}
        count = max(len(evs) for evs in by_method.values())
        out("")
        out(f"== pooled, family '{family}' ({count} {'corpora' if count > 1 else 'corpus'}; each person counts once; "
            "homes right within 100 m, bases within 500 m) ==")  # fmt: skip
        for line in pooled_lines(pooled, base_measure):
            out(line)
        lines = persona_lines(pooled, base_measure)
        if lines:
            out("")
            out(f"personas, family '{family}' (a person counts under each of their tags):")
            for line in lines:
                out(line)
        report["accuracy"]["pooled"][family] = pooled
        if args.peer_wins is not None:
            out("")
            out(f"peer wins, family '{family}' (written to {args.peer_wins}):")
            for line in peer_wins_lines(wins.get(family, [])):
                out(line)
    if args.peer_wins is not None:
        args.peer_wins.write_text(json.dumps(wins, indent=1, default=str))

    # Part 2: scale.
    if not args.no_scale:
        scale = run_scale(args)
        out("")
        out(
            f"== scale: geoleak inference on {platform.python_version()}, {os.cpu_count()} cores, "
            f"load average {report['load_avg'][0]:.1f} at start =="
            if report["load_avg"]
            else "== scale =="
        )
        for line in scale_lines(scale):
            out(line)
        if "profile" in scale:
            out("")
            out(
                "profile (workers=1, every scale person; geoleak functions by cumulative time, then all by own time):"
            )
            out(scale["profile"])
        report["scale"] = scale
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
