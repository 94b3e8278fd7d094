"""Where the CPU of a 2-worker `geoleak infer` goes: the parent before the shards fork,
while they stream, after them, and the workers.

    python benchmarks/bench_parent_split.py CORPUS [--workers 2]
    git archive REF geoleak | tar -x -C /tmp/ref                      # the same, before:
    PYTHONPATH=/tmp/ref python benchmarks/bench_parent_split.py CORPUS  # (run from /tmp/ref)

Runs `geoleak.pipeline.run` in this process (as `geoleak infer` does; with
`keep_evidence=False` where the package has it) and reads `time.process_time()` at
checkpoints: start-up (interpreter and imports of this script), until the shards fork
(the first batch read; `_warm` marks the fork), the tables loaded before the fork, the
parent while the shards stream, the parent after the last batch (inference in the parent,
or only the site pass when the shards infer), writing profiles.json; and the CPU of all
worker processes (RUSAGE_CHILDREN). What the parent spends before the fork and after the
stream runs alone on a core: on an idle 2-core machine the run takes about that plus half
of the rest. Leaves out: the 0.1-0.2 s of interpreter start before this script runs, and
other load on the machine (CPU seconds inflate under contention; compare runs made back to
back).
"""

from __future__ import annotations

import argparse
import inspect
import resource
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.process_time()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    from geoleak import pipeline
    from geoleak.diagnostics import Diagnostics
    from geoleak.profiles import dump_profiles

    imported = time.process_time()
    marks: dict[str, float] = {}
    warm = pipeline._warm
    # The end of the stream: the shards' last call (`start("end")`; `totals()` in older trees).
    ending = "start" if hasattr(pipeline._ShardSet, "start") else "totals"
    last_call = getattr(pipeline._ShardSet, ending)

    def marked_warm(*args: object, **kwargs: object) -> None:
        marks.setdefault("fork", time.process_time())
        warm(*args, **kwargs)  # type: ignore[arg-type]
        marks.setdefault("warm", time.process_time())

    def marked_end(self: object, *args: object) -> object:
        if ending == "totals" or args[:1] == ("end",):
            marks["streamed"] = time.process_time()
        return last_call(self, *args)

    pipeline._warm = marked_warm  # type: ignore[assignment]
    setattr(pipeline._ShardSet, ending, marked_end)
    shards_infer = "keep_evidence" in inspect.signature(pipeline.run).parameters
    extra = {"keep_evidence": False} if shards_infer else {}
    result = pipeline.run([args.corpus], workers=args.workers, diag=Diagnostics(), **extra)
    inferred = time.process_time()
    with tempfile.TemporaryDirectory() as scratch:
        dump_profiles(result.profiles, Path(scratch) / "profiles.json",
                      sites=[s.to_json() for s in result.sites])  # fmt: skip
    written = time.process_time()
    if "fork" not in marks:
        print("the shards did not fork (corpus too small, or one worker)", file=sys.stderr)
        return 1
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    parts = {
        "start-up and imports": imported,
        "first batch, until the fork": marks["fork"] - imported,
        "tables (and scipy.special) before the fork": marks["warm"] - marks["fork"],
        "parent while the shards stream": marks["streamed"] - marks["warm"],
        "parent after the stream (inference or site pass)": inferred - marks["streamed"],
        "writing profiles.json": written - inferred,
        "worker processes (all)": children.ru_utime + children.ru_stime,
    }
    print(f"{len(result.profiles)} people; shards infer their people: {shards_infer}")
    for name, seconds in parts.items():
        print(f"  {name:50s} {seconds:6.2f} CPU s")
    alone = sum(seconds for name, seconds in parts.items() if "stream" not in name
                and "worker" not in name) + parts["parent after the stream (inference or site pass)"]  # fmt: skip
    print(f"  parent alone on a core (before the fork and after the stream): {alone:.2f} CPU s; "
          f"all processes: {sum(parts.values()):.2f} CPU s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
