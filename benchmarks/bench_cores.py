"""What two busy cores cost each other: the same one-worker `geoleak infer` run alone, then
two copies at once, CPU seconds of each.

    python benchmarks/bench_cores.py CORPUS [--repeat 3]
    python benchmarks/bench_cores.py --photos 60     # the photo corpus bench_scale.py uses

A 2-worker run keeps both cores busy, so each of its processes runs at the speed a core
has while the other is busy too. On a virtual machine (two vCPUs that may share a host
core's caches or its hyperthreads) that can be much slower than a core alone, and no change
to geoleak removes it: if each of two copies takes `c` times the CPU seconds it takes
alone, a 2-worker run can be at most 2 / c times as fast as one worker, before any start-up
or overhead of its own. This script measures `c` on geoleak's own work (reading, photos'
metadata, inference), alternating the alone and paired rounds.

The figure means something only on an otherwise idle machine (on a loaded one every run
shares its core with other work, alone or not): the load average before each round is
printed. Leaves out: memory bandwidth the two copies would not share in a real 2-worker
run (each reads its own half of the corpus there, not all of it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[1:])\n"
    "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(rc, use.ru_utime + use.ru_stime)\n"
)


def _start(corpus: Path, out: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    out.unlink(missing_ok=True)  # (infer refuses an existing output; older trees lack --force)
    command = [sys.executable, "-m", "geoleak", "infer", str(corpus), "-q", "-o", str(out),
               "--workers", "1"]  # fmt: skip
    return subprocess.Popen([sys.executable, "-c", _WRAPPER, *command], stdout=subprocess.PIPE,
                            text=True, env=env)  # fmt: skip


def _cpu(proc: subprocess.Popen[str]) -> float:
    stdout, _ = proc.communicate()
    rc, cpu = stdout.split()[-2:]
    if int(rc) != 0:
        raise SystemExit("geoleak infer failed")
    return float(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", help="a corpus geoleak infer reads")
    parser.add_argument("--photos", type=int, metavar="PEOPLE",
                        help="generate the scenario corpus bench_scale.py --photos uses")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pyc")  # compiled once, in the warm-up
        if args.corpus is not None:
            corpus = Path(args.corpus)
        elif args.photos:
            subprocess.run([sys.executable, "-m", "geoleak", "scenario", "--people",
                            str(args.photos), "--seed", "5", "-o", str(folder / "photos")],
                           check=True, capture_output=True)  # fmt: skip
            corpus = folder / "photos" / "posts.jsonl"
        else:
            parser.error("give a CORPUS or --photos PEOPLE")
        _cpu(_start(corpus, folder / "warm-up.json", env))
        alone: list[float] = []
        paired: list[float] = []
        for round_ in range(args.repeat):
            load = os.getloadavg()[0]
            alone.append(_cpu(_start(corpus, folder / "a.json", env)))
            pair = [_start(corpus, folder / f"p{i}.json", env) for i in (0, 1)]
            paired.extend(_cpu(p) for p in pair)
            print(f"round {round_ + 1} (load average before: {load:.1f}): alone "
                  f"{alone[-1]:.2f} CPU s; two at once {paired[-2]:.2f} and {paired[-1]:.2f}",
                  file=sys.stderr)  # fmt: skip
        factor = statistics.median(paired) / statistics.median(alone)
        print(f"one copy alone: {statistics.median(alone):.2f} CPU s (median of {args.repeat}); "
              f"each of two at once: {statistics.median(paired):.2f} (median of "
              f"{len(paired)}): {factor:.2f}x the CPU; a 2-worker run is at most "
              f"{2 / factor:.2f}x one worker on this machine")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
