"""`geoleak infer` end to end on large located-post corpora, against a bare json.loads pass.

    python benchmarks/bench_scale.py [--sizes 500000,2000000] [--ten-million]
                                     [--modes local,store,dask] [--workers 2] [--json OUT]
    python benchmarks/bench_scale.py --photos 200 [--sizes ""]   # workers 1 vs 2 on photos
    python benchmarks/bench_scale.py --photos 60,300 --sizes ""  # ... on two corpus sizes
    python benchmarks/bench_scale.py --photos 200 --sizes 0 --against REF  # ... before/after
    python benchmarks/bench_scale.py --sizes 100000 --modes local --against REF  # before/after
    python benchmarks/bench_scale.py --sizes 200000 --modes local --peers all  # against peers

For each size a corpus of located posts (JSONL, platform geotags, no media; 20 to 100
posts a person, so 500 k posts are about 8,300 people) is generated into a temporary
folder (not timed). Each person has a home (nights, weekends) and a workplace shared with
the rest of their unit (weekdays), plus errands. Then, in the same run:

- baseline: a bare pass over the file, `json.loads` on every line, nothing else;
- local: `geoleak infer CORPUS --in-memory --workers W` (reading, extraction, dedupe,
  inference, every person's evidence held in memory; a REF whose `infer` has no
  `--in-memory` runs without it, which was the same path);
- default (not run unless named): `geoleak infer CORPUS`, what a user runs, with no
  `--workers` (every CPU the process may use: the JSON's `workers`): the in-memory path up
  to `store.AUTO_STORE_ROWS` estimated rows, a temporary store above;
- store: `geoleak infer CORPUS --store TMP --workers W` (ingest into the evidence store,
  then inference one person partition at a time);
- dask: `geoleak infer CORPUS --engine dask --workers W` (the same through a temporary
  store, partitions on a W-worker distributed.LocalCluster).

Each command runs in its own process. Its profiles are scored against the generated homes
(right within 100 m) and bases (within 500 m), as `geoleak evaluate` scores them, so a
speed-up that loses homes shows. Its wall time is reported as a ratio to the baseline, and
its peak RSS is the largest `ru_maxrss` among the processes it started
(`RUSAGE_CHILDREN` of a wrapper process: the largest single process, not their sum); on
Linux each process's own peak (VmHWM, read from /proc every 0.1 s) is printed too. CPU
time (user + system of every process) is reported against the CPU time of the baseline
too: on a shared machine it moves less than wall time does.

With `--photos PEOPLE`, a scenario corpus with photos (`geoleak scenario --people PEOPLE`,
EXIF GPS in JPEGs, text posts that name places, the offline gazetteer on) is generated too,
and `geoleak infer` runs on it with `--workers 1` and with `--workers 2`, alternating, best of
`--repeat` each; the speed-up is the ratio of their wall times (issue 15: at least 1.7x).
`--photos 60,300` does the same on each of several corpus sizes, one after the other: the
serial start-up before the workers fork is fixed, so it weighs more on a small corpus.
The load average is printed beside: on a machine whose other load takes a core, a second
worker cannot show its worth in wall time (compare the CPU seconds then: each process's are
printed, and the speed-up bound they imply on two cores).

With `--against REF`, each command also runs with the `geoleak` package of git commit REF
(`git archive`, on PYTHONPATH) right before this checkout's, on the same corpus: its CPU
seconds beside this checkout's, and whether the two wrote byte-identical profiles (with
`--photos`: REF's 1- and 2-worker runs too, alternating with this checkout's).

Modules are compiled once into a scratch bytecode cache before anything is timed, as an
installed package has them (an environment with PYTHONDONTWRITEBYTECODE=1 and no
`__pycache__` otherwise compiles every geoleak module in every process of every run:
about 0.3 CPU s a process here); `--no-bytecode-cache` times that case. `--sizes 0`
times an empty corpus: the fixed start-up cost.

With `--peers skmob-raw,skmob-clustered,trackintel-freq,trackintel-osna` (or `all`), each
peer runs on the same corpus as a command of its own, timed and measured as geoleak is
(`benchmarks/peers.py`, shared with bench_infer.py: scikit-mobility's `home_location`, on the
raw points and on points snapped to skmob's 100 m clusters, in its own interpreter,
`--skmob-python`; trackintel's `location_identifier` FREQ and OSNA after DBSCAN locations of
100 m), and its homes and bases are scored against the same truth. Each peer reads the JSONL
with `json.loads` and is given each point's local wall clock as solar time (UTC + round(lon /
15) h), the rule the generator wrote the times with: a gift geoleak does not get (it looks
the time zone up). skmob has no workplace measure, so it gives no bases.

What the figures leave out: media (photos cost metadata reads, see bench_scan.py), text
geocoding (no post has text), the time to generate corpora, and other load on the machine
(2 shared cores here: run it on an idle machine for figures to quote).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from peers import skmob_python

from geoleak.geometry import haversine_m
from geoleak.types import LatLon

ROOT = Path(__file__).resolve().parents[1]
BYTECODE_CACHE: Path | None = None  # where the commands' compiled modules go (None: as set)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    dlat = north_m / 111_195.0
    dlon = east_m / (111_195.0 * max(0.05, math.cos(math.radians(lat))))
    return round(lat + dlat, 6), round((lon + dlon + 180.0) % 360.0 - 180.0, 6)


Truth = dict[str, tuple[tuple[float, float], tuple[float, float]]]  # person -> (home, base)


def generate(path: Path, posts: int, seed: int, truth: Truth | None = None) -> int:
    """Write `posts` located posts; returns the number of people. With `truth`, each
    person's home and base (lat, lon) are put in it."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 6, tzinfo=timezone.utc)
    written = person = 0
    with path.open("w", encoding="utf-8") as out:
        while written < posts:
            # A unit of 8 people around a base somewhere between 60 S and 70 N.
            base = (rng.uniform(-60, 70), rng.uniform(-180, 180))
            tz_hours = round(base[1] / 15.0)  # local time ~ solar time at the position
            for _ in range(8):
                if written >= posts:
                    break
                name = f"u{person:07d}"
                person += 1
                home = _offset(*base, rng.uniform(-6000, 6000), rng.uniform(-6000, 6000))
                count = min(rng.randint(20, 100), posts - written)
                if truth is not None:
                    truth[name] = (home, base)
                for n in range(count):
                    day = start + timedelta(days=rng.randrange(300))
                    kind = rng.random()
                    if kind < 0.45:  # night or weekend at home
                        hour = rng.choice([22, 23, 0, 1, 6])
                        where = home
                    elif kind < 0.85:  # weekday office hours at the base
                        while day.weekday() >= 5:
                            day += timedelta(days=1)
                        hour = rng.randint(9, 16)
                        where = base
                    else:  # errands anywhere around
                        hour = rng.randint(10, 20)
                        where = _offset(
                            *home, rng.uniform(-15000, 15000), rng.uniform(-15000, 15000)
                        )
                    lat, lon = _offset(*where, rng.gauss(0, 25), rng.gauss(0, 25))
                    local = day.replace(hour=hour, minute=rng.randrange(60))
                    utc = local - timedelta(hours=tz_hours)
                    out.write(
                        json.dumps(
                            {
                                "id": f"{name}-{n}",
                                "author": name,
                                "created_at": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "lat": lat,
                                "lon": lon,
                            },
                            separators=(",", ":"),
                        )
                        + "\n"
                    )
                written += count
    return person


def bare_json_pass(path: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of reading the file and json.loads on every line."""
    started, cpu = time.perf_counter(), time.process_time()
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            json.loads(line)
    return time.perf_counter() - started, time.process_time() - cpu


_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:]).returncode\n"
    "wall = time.perf_counter() - t\n"
    "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(rc, wall, use.ru_utime + use.ru_stime, use.ru_maxrss)\n"
)


def run_command(
    args: list[str],
    per_process: list[float] | None = None,
    code: Path | None = None,
    rss_per_process: list[float] | None = None,
) -> tuple[int, float, float, float]:
    """(exit status, wall seconds, CPU seconds of all its processes, peak RSS in MiB of the
    largest process it started). With `per_process` (a list to fill; Linux only) the CPU
    seconds of each process it started, the command's own first, sampled from /proc every
    0.1 s (a process's last 0.1 s may be missed); with `rss_per_process` likewise each
    process's peak RSS in MiB (the kernel's VmHWM, read at each sample: exact unless a
    process grows in its last 0.1 s). `code`: a folder holding another `geoleak` package
    to run (on PYTHONPATH, started in that folder)."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    if BYTECODE_CACHE is not None:
        # As an installed package runs: modules compiled once, then read as bytecode.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE_CACHE)
    proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=code)  # fmt: skip
    seen: dict[int, tuple[float, float]] = {}  # pid -> (first seen, CPU seconds)
    peaks: dict[int, tuple[float, float]] = {}  # pid -> (first seen, peak RSS MiB)
    wanted = per_process is not None or rss_per_process is not None
    sampling = wanted and Path("/proc/self/stat").exists()
    while sampling and proc.poll() is None:
        for pid in _descendants(proc.pid):
            cpu = _process_cpu(pid)
            if cpu is not None:
                seen[pid] = (seen.get(pid, (time.perf_counter(), 0.0))[0], cpu)
            hwm = _process_peak_rss(pid)
            if hwm is not None:
                peaks[pid] = (peaks.get(pid, (time.perf_counter(), 0.0))[0], hwm)
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    rc, wall, cpu, kib = stdout.split()[-4:]
    if int(rc) != 0:
        log(stderr[-2000:])
    if per_process is not None:
        per_process[:] = [c for _, c in sorted(seen.values())]
    if rss_per_process is not None:
        rss_per_process[:] = [m for _, m in sorted(peaks.values())]
    return int(rc), float(wall), float(cpu), int(kib) / 1024.0


def _process_peak_rss(pid: int) -> float | None:
    """A process's peak resident set so far (VmHWM), in MiB (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


def _process_cpu(pid: int) -> float | None:
    """utime + stime of a process, in seconds (None when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(root: int) -> list[int]:
    """The processes below `root` (the wrapper's command and everything it started)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _compile_once(folder: Path, trees: list[Path | None]) -> None:
    """Run each package once on an empty corpus (untimed), locally and through a store, so
    that the timed runs read compiled modules."""
    empty = folder / "empty-warm-up.jsonl"
    empty.write_text("")
    for tree in trees:
        for extra in ([], ["--store", str(folder / "warm-up-store")]):
            # (infer refuses an existing output; an older tree has no --force)
            (folder / "warm-up.json").unlink(missing_ok=True)
            run_command([sys.executable, "-m", "geoleak", "infer", str(empty), "-q",
                         "-o", str(folder / "warm-up.json"), "--workers", "2", *extra], code=tree)  # fmt: skip
            shutil.rmtree(folder / "warm-up-store", ignore_errors=True)


Given = dict[str, dict[str, tuple[float, float]]]  # person -> {"home"/"base": (lat, lon)}


def given_places(profiles_path: Path) -> tuple[Given, int]:
    """Each person's first home and base in a profiles.json, and how many people it has."""
    people = json.loads(profiles_path.read_text())["people"]
    given: Given = {}
    for person in people:
        for place in person["places"]:
            if place["kind"] in ("home", "base"):
                given.setdefault(person["person"], {}).setdefault(
                    place["kind"], (place["lat"], place["lon"])
                )
    return given, len(people)


def places_right(given: Given, truth: Truth) -> dict[str, int]:
    """Homes within 100 m and bases within 500 m of the generated ones (the thresholds of
    `geoleak evaluate`), and how many of each were given at all."""
    counts = {"homes_given": 0, "homes_right": 0, "bases_given": 0, "bases_right": 0}
    for person, places in given.items():
        home, base = truth[person]
        for kind, where, reach in (("home", home, 100.0), ("base", base, 500.0)):
            if kind in places:
                counts[f"{kind}s_given"] += 1
                counts[f"{kind}s_right"] += (
                    haversine_m(LatLon(*places[kind]), LatLon(*where)) <= reach
                )
    return counts


# A peer, as a command of its own: reads the corpus, gives each point its local wall clock,
# runs the method and writes {person: {"home"/"base": [lat, lon]}}.
PEER_COMMAND = r"""
import json, sys
from datetime import datetime, timedelta
sys.path.insert(0, sys.argv[1])
import peers
method, src, out = sys.argv[2:5]
users, lats, lons, walls = [], [], [], []
with open(src, encoding="utf-8") as handle:
    for line in handle:
        post = json.loads(line)
        users.append(post["author"]); lats.append(post["lat"]); lons.append(post["lon"])
        # Local wall clock as solar time at the point, the generator's own rule (a gift).
        walls.append(datetime.fromisoformat(post["created_at"][:-1])
                     + timedelta(hours=round(post["lon"] / 15.0)))
if method.startswith("skmob"):
    import pandas as pd
    exec(peers.SKMOB_HOMES)
    frame = pd.DataFrame({"uid": users, "lat": lats, "lng": lons, "datetime": walls})
    found = {u: {"home": at} for u, at in homes(frame, method == "skmob-clustered").items()}
else:
    names = {"trackintel-freq": "FREQ", "trackintel-osna": "OSNA"}
    places, _ = peers.trackintel_places(users, lats, lons, walls, [names[method]])
    found = {u: {"home" if k == "home" else "base": at for k, at in got.items()}
             for u, got in places[names[method]].items()}
with open(out, "w") as handle:
    json.dump(found, handle)
"""
PEERS = ("skmob-raw", "skmob-clustered", "trackintel-freq", "trackintel-osna")


def run_peer(
    method: str, corpus: Path, folder: Path, skmob: str | None
) -> tuple[int, float, float, float, Given]:
    """(exit status, wall s, CPU s, peak RSS MiB, places given) of one peer on the corpus."""
    python = skmob if method.startswith("skmob") else sys.executable
    assert python is not None
    out = folder / f"peer-{method}.json"
    rc, wall, cpu, rss = run_command(
        [python, "-c", PEER_COMMAND, str(ROOT / "benchmarks"), method, str(corpus), str(out)]
    )
    given: Given = {}
    if rc == 0:
        given = {p: {k: (at[0], at[1]) for k, at in got.items()}
                 for p, got in json.loads(out.read_text()).items()}  # fmt: skip
        out.unlink()
    return rc, wall, cpu, rss, given


def _has_in_memory(tree: Path | None) -> bool:
    """Whether the package (this checkout's, or REF's in `tree`) has `infer --in-memory`."""
    core = (tree or ROOT) / "geoleak" / "cli" / "core.py"
    return "--in-memory" in core.read_text(encoding="utf-8")


def photo_speedup(
    folder: Path, people: int, repeat: int, ref_tree: Path | None = None, ref_name: str = ""
) -> list[dict[str, Any]]:
    """`geoleak infer` with 1 and 2 workers on a scenario corpus with photos (and, with
    `ref_tree`, the same with that commit's package, alternating, on the same corpus)."""
    corpus = folder / f"photos-{people}"
    subprocess.run([sys.executable, "-m", "geoleak", "scenario", "--people", str(people), "--seed", "5",
                    "-o", str(corpus)], check=True, capture_output=True)  # fmt: skip
    posts = corpus / "posts.jsonl"
    photos = sum(1 for _ in (corpus / "media").rglob("*.*"))
    log(f"photo corpus: {people} people, {sum(1 for _ in posts.open())} posts, {photos} photos")
    codes = ["ref", "this"] if ref_tree is not None else ["this"]
    best: dict[tuple[str, int], tuple[float, float, float]] = {}
    largest: dict[tuple[str, int], float] = {}  # CPU s of the busiest process (fewest seen)
    for _ in range(repeat):
        for code in codes:
            for workers in (1, 2):
                out = folder / f"photos-profiles-{code}-{workers}.json"
                out.unlink(missing_ok=True)  # (a rerun into it is refused without --force)
                load = os.getloadavg()[0]
                split: list[float] = []
                rc, wall, cpu, rss = run_command([sys.executable, "-m", "geoleak", "infer", str(posts),
                                                  "-o", str(out), "-q", "--workers", str(workers)],
                                                 split, code=ref_tree if code == "ref" else None)  # fmt: skip
                if rc != 0:
                    raise SystemExit(f"geoleak infer --workers {workers} ({code}) failed")
                label = ref_name if code == "ref" else "this"
                log(f"  {label:10.10s} --workers {workers}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, "
                    f"peak RSS {rss:4.0f} MiB (load average before: {load:.1f}); CPU s per "
                    "process: " + ", ".join(f"{c:.1f}" for c in split))  # fmt: skip
                key = (code, workers)
                if key not in best or wall < best[key][0]:
                    best[key] = (wall, cpu, rss)
                if split:
                    largest[key] = min(largest.get(key, math.inf), max(split))
    rows: list[dict[str, Any]] = []
    this = (folder / "photos-profiles-this-1.json").read_bytes()
    same = this == (folder / "photos-profiles-this-2.json").read_bytes()
    same_ref = ref_tree is None or all(
        (folder / f"photos-profiles-ref-{w}.json").read_bytes() == this for w in (1, 2)
    )
    for code in codes:
        label = ref_name if code == "ref" else "this"
        one, two = best[(code, 1)], best[(code, 2)]
        if (code, 2) in largest:
            # Two cores finish no sooner than the busiest process of the 2-worker run, nor
            # than half its CPU time; against the one-worker run's CPU time (its idle wall).
            floor = max(largest[(code, 2)], two[1] / 2)
            log(f"  {label}: bound from CPU: 2 workers at most {one[1] / floor:.2f}x (one "
                f"worker's {one[1]:.1f} CPU s over max(busiest process {largest[(code, 2)]:.1f} "
                f"s, half of {two[1]:.1f} s)); 2 workers take {two[1] - one[1]:+.1f} CPU s "
                "more than one")  # fmt: skip
        log(f"  {label}, {people} people: speed-up of 2 workers: {one[0] / two[0]:.2f}x (best wall of "
            f"{repeat}; identical profiles: {same}"
            + (f", identical to {ref_name}'s: {same_ref}" if ref_tree is not None else "") + ")")  # fmt: skip
        rows += [{"photos_people": people, "photos": photos, "code": label, "workers": w,
                  "wall_s": round(b[0], 2), "cpu_s": round(b[1], 2), "peak_rss_mib": round(b[2]),
                  "busiest_process_cpu_s": round(largest.get((code, w), math.nan), 2),
                  "identical": same and same_ref, "speedup": round(one[0] / two[0], 2)}
                 for w, b in ((1, one), (2, two))]  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500000,2000000", help="located posts per corpus")
    parser.add_argument("--ten-million", action="store_true", help="add a 10,000,000-post corpus")
    parser.add_argument("--modes", default="local,store,dask")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", dest="json_out", help="write every figure here")
    parser.add_argument("--photos", default="", metavar="PEOPLE[,PEOPLE...]",
                        help="also time workers 1 vs 2 on a scenario corpus with photos of "
                             "this many people (several sizes: comma-separated)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=2, help="runs per worker count (--photos)")
    parser.add_argument("--against", metavar="REF",
                        help="also run the geoleak package of this git commit (git archive) on "
                             "each corpus and mode, and say whether its profiles are identical")  # fmt: skip
    parser.add_argument("--bytecode-cache", action=argparse.BooleanOptionalAction, default=True,
                        help="compile the commands' modules once into a scratch cache, as an "
                             "installed package has them (default); --no-bytecode-cache keeps "
                             "the environment's PYTHONDONTWRITEBYTECODE")  # fmt: skip
    parser.add_argument("--peers", default="", metavar="LIST",
                        help="also run these peers on each corpus, each as a command of its own: "
                             f"{', '.join(PEERS)}, or 'all'")  # fmt: skip
    parser.add_argument("--skmob-python", metavar="PATH",
                        help="an interpreter with scikit-mobility (default: .venv/skmob, made by "
                             "bench_infer.py --setup-skmob)")  # fmt: skip
    args = parser.parse_args(argv)
    peer_names = list(PEERS) if args.peers == "all" else [m for m in args.peers.split(",") if m]
    unknown = sorted(set(peer_names) - set(PEERS))
    if unknown:
        parser.error(f"unknown peer(s) {', '.join(unknown)}; choose from {', '.join(PEERS)}")
    skmob, why_not = skmob_python(args.skmob_python) if any(
        m.startswith("skmob") for m in peer_names) else (None, "")  # fmt: skip
    if why_not and skmob is None:
        log(f"scikit-mobility unavailable, its rows are left out: {why_not}")
        peer_names = [m for m in peer_names if not m.startswith("skmob")]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    photo_sizes = [int(p) for p in args.photos.split(",") if p and int(p) > 0]
    if args.ten_million:
        sizes.append(10_000_000)
    modes = [m for m in args.modes.split(",") if m]
    geoleak = [sys.executable, "-m", "geoleak"]
    results: list[dict[str, Any]] = []
    log(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        folder = Path(scratch)
        ref_tree = folder / "ref"
        if args.against:
            ref_tree.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.against, "geoleak"],
                                     capture_output=True, check=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(ref_tree)], input=archive, check=True)
        if args.bytecode_cache:
            global BYTECODE_CACHE  # noqa: PLW0603  (read by run_command)
            BYTECODE_CACHE = folder / "bytecode"
            _compile_once(folder, [None, ref_tree] if args.against else [None])
        log("modules: " + ("compiled once, untimed (a scratch bytecode cache)" if args.bytecode_cache
            else "as the environment says (PYTHONDONTWRITEBYTECODE="
                 f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})"))  # fmt: skip
        photo_rows = [row for people in photo_sizes
                      for row in photo_speedup(folder, people, args.repeat,
                                               ref_tree if args.against else None,
                                               args.against or "")]  # fmt: skip
        # The CPUs the bare command (mode "default", no --workers) takes as its workers.
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        for size in sizes:
            corpus = folder / f"posts-{size}.jsonl"
            log(f"generating {size} posts ...")
            truth: Truth = {}
            people = generate(corpus, size, args.seed, truth)
            baseline, baseline_cpu = bare_json_pass(corpus)
            log(f"{size} posts of {people} people ({corpus.stat().st_size / 2**20:.0f} MiB); "
                f"bare json.loads pass {baseline:.2f} s ({baseline_cpu:.2f} s CPU)")  # fmt: skip
            for mode in modes:
                for code in [args.against, "this"] if args.against else ["this"]:
                    tag = "this" if code == "this" else "ref"
                    out = folder / f"profiles-{size}-{mode}-{tag}.json"
                    out.unlink(missing_ok=True)  # (a rerun into it is refused without --force)
                    command = [*geoleak, "infer", str(corpus), "-o", str(out), "-q",
                               "--geocoder", "none"]  # fmt: skip
                    if mode != "default":  # the bare command takes every core it may use
                        command += ["--workers", str(args.workers)]
                    if mode == "local" and _has_in_memory(None if code == "this" else ref_tree):
                        command.append("--in-memory")
                    elif mode == "store":
                        command += ["--store", str(folder / f"store-{size}-{tag}")]
                    elif mode == "dask":
                        command += ["--engine", "dask"]
                    peaks: list[float] = []
                    rc, wall, cpu, rss = run_command(
                        command, code=None if code == "this" else ref_tree, rss_per_process=peaks
                    )
                    given, total = given_places(out) if rc == 0 else ({}, 0)
                    homes = sum("home" in got for got in given.values())
                    right = places_right(given, truth) if rc == 0 else {}
                    row = {"posts": size, "people": people, "mode": mode, "code": code,
                           "workers": cpus if mode == "default" else args.workers, "exit": rc, "wall_s": round(wall, 2),
                           "json_loads_s": round(baseline, 2), "ratio": round(wall / baseline, 1),
                           "cpu_s": round(cpu, 2), "json_loads_cpu_s": round(baseline_cpu, 2),
                           "cpu_ratio": round(cpu / baseline_cpu, 1), "peak_rss_mib": round(rss),
                           "homes": homes, "profiles": total,
                           "peak_rss_per_process_mib": [round(m) for m in peaks], **right}  # fmt: skip
                    if code == "this" and args.against:
                        ref_out = folder / f"profiles-{size}-{mode}-ref.json"
                        row["identical_to_ref"] = ref_out.is_file() and (
                            ref_out.read_bytes() == out.read_bytes()
                        )
                    results.append(row)
                    log(f"  {mode:6s} {code:10.10s} {wall:8.1f} s = {wall / baseline:5.1f} x json.loads "
                        f"(CPU {cpu:.1f} s = {cpu / baseline_cpu:.1f} x), "
                        f"peak RSS {rss:6.0f} MiB, homes for {homes} of {total}"
                        + (f" ({right['homes_right']} within 100 m), bases for {right['bases_given']}"
                           f" ({right['bases_right']} within 500 m)" if right else "")
                        + (f", profiles identical to {args.against}: {row['identical_to_ref']}"
                           if "identical_to_ref" in row else ""))  # fmt: skip
                    if peaks:
                        log("         peak RSS per process, in the order they started (MiB; the "
                            "command's own first, then its workers): "
                            + ", ".join(f"{m:.0f}" for m in peaks))  # fmt: skip
            for method in peer_names:
                rc, wall, cpu, rss, given = run_peer(method, corpus, folder, skmob)
                right = places_right(given, truth)
                results.append({"posts": size, "people": people, "mode": method, "code": "peer",
                                "exit": rc, "wall_s": round(wall, 2),
                                "json_loads_s": round(baseline, 2),
                                "ratio": round(wall / baseline, 1), "cpu_s": round(cpu, 2),
                                "json_loads_cpu_s": round(baseline_cpu, 2),
                                "cpu_ratio": round(cpu / baseline_cpu, 1),
                                "peak_rss_mib": round(rss), "homes": right["homes_given"],
                                "profiles": people, **right})  # fmt: skip
                log(f"  {method:17s} {wall:8.1f} s = {wall / baseline:5.1f} x json.loads (CPU "
                    f"{cpu:.1f} s), peak RSS {rss:6.0f} MiB, homes for {right['homes_given']} "
                    f"({right['homes_right']} within 100 m), bases for {right['bases_given']} "
                    f"({right['bases_right']} within 500 m)" + ("" if rc == 0 else f", exit {rc}"))  # fmt: skip
            corpus.unlink()
    print()
    print("| posts | mode | code | wall s | x json.loads | CPU s | CPU x json.loads | "
          "peak RSS MiB | homes given | homes right | bases right |")  # fmt: skip
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in results:
        print(f"| {row['posts']:,} | {row['mode']} | {row['code']} | {row['wall_s']} | "
              f"{row['ratio']} | {row['cpu_s']} | {row['cpu_ratio']} | {row['peak_rss_mib']} | "
              f"{row['homes']}/{row['profiles']} | {row.get('homes_right', '-')} | "
              f"{row.get('bases_right', '-')}/{row.get('bases_given', '-')} |")  # fmt: skip
    for row in results:
        ref = next((r for r in results if r["code"] == args.against and r["posts"] == row["posts"]
                    and r["mode"] == row["mode"] and r["exit"] == 0), None)  # fmt: skip
        if row["code"] == "this" and ref is not None and row["exit"] == 0:
            print(f"{row['posts']:,} {row['mode']}: this checkout takes {row['cpu_s'] / ref['cpu_s']:.2f}x "
                  f"the CPU seconds of {args.against} ({row['cpu_ratio']} against {ref['cpu_ratio']} "
                  f"x json.loads); profiles identical: {row['identical_to_ref']}")  # fmt: skip
    for mode in modes + peer_names:
        by_size = {r["posts"]: r for r in results
                   if r["mode"] == mode and r["exit"] == 0 and r["code"] in ("this", "peer")}  # fmt: skip
        if len(by_size) >= 2:
            small, large = min(by_size), max(by_size)
            growth = by_size[large]["peak_rss_mib"] / max(1, by_size[small]["peak_rss_mib"])
            print(f"{mode}: peak RSS at {large:,} posts is {growth:.2f} x that at {small:,}")
    for row in photo_rows:
        print(f"photos, {row['photos_people']} people, {row['photos']} files, {row['code']}, "
              f"--workers {row['workers']}: "
              f"{row['wall_s']} s wall, {row['cpu_s']} s CPU (busiest process "
              f"{row['busiest_process_cpu_s']} s), {row['peak_rss_mib']} MiB; speed-up "
              f"{row['speedup']}x")  # fmt: skip
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results + photo_rows, indent=1))
    return 0 if all(r["exit"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
