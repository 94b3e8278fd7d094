"""The main process's serial share of a multi-worker run: reading a JSONL corpus and
routing its lines to the shards, in CPU seconds, against bare passes over the same file.

    python benchmarks/bench_routing.py CORPUS.jsonl [CORPUS.jsonl ...] [--repeat 3]
    python benchmarks/bench_routing.py CORPUS.jsonl --against REF   # REF's code, same run

Times, in this process (best of `--repeat`, `time.process_time`):

- lines: iterating over the file's lines, nothing else;
- json.loads, orjson.loads: a bare decode of every line;
- reader: `JsonlReader.read` under `deferred_parsing`, in batches of 512 posts, as the
  pipeline's main process runs it (each line decoded and checked as far as skipping and
  duplicate ids go; the lines handed over in runs, `LineRun`, where the code has them);
- reader + routing: the same, then every line placed on one of two shards as
  `_ShardSet.submit` places them when the shards infer their people (a person on the
  shard with the least work so far), packed and pickled as it travels to the worker (not
  written to a pipe);
- reader + hashing: the same with the people hashed to two shards, as streaming shards
  (`geoleak ingest`, and `geoleak infer` past 1 M rows) take them.

With `--against REF` the same runs with the `geoleak` package of git commit REF (`git
archive`, on PYTHONPATH) in a subprocess right after this checkout's. Leaves out: the
process pool's queues and the pipe writes, merging the shards' results, and the shards'
own work (they parse each line in full); on a loaded machine CPU seconds inflate, so
compare figures of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def _best(call: Callable[[], None], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        call()
        best = min(best, time.process_time() - started)
    return best


def measure(path: Path, repeat: int) -> dict[str, float]:
    import orjson

    from geoleak import pipeline
    from geoleak.diagnostics import Diagnostics
    from geoleak.ingest.jsonl import JsonlReader, deferred_parsing

    def lines() -> None:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for _ in handle:
                pass

    def decode(loads: Callable[[str], object]) -> Callable[[], None]:
        def run() -> None:
            with path.open(encoding="utf-8", errors="replace", newline="") as handle:
                for line in handle:
                    if line.strip():
                        loads(line)

        return run

    from geoleak.ingest import jsonl

    # Lines handed over in runs (`LineRun`), where the code has them; else one by one.
    runs = hasattr(jsonl, "RunRequest")

    def batches() -> Iterator[list[tuple[int, Any]]]:
        """The numbered batches the pipeline's main process hands to the shards."""
        request = jsonl.RunRequest(512) if runs else None
        numbered = 0
        with deferred_parsing(**({"runs": request} if runs else {})):
            items = JsonlReader().read(path, Diagnostics())
            for batch in pipeline._batched(items, 512, *([request] if runs else [])):
                if runs:
                    yield pipeline._numbered(batch, numbered)
                    numbered += sum(pipeline._posts_in(item) for item in batch)
                else:
                    yield list(enumerate(batch, start=numbered))
                    numbered += len(batch)

    def reader() -> None:
        for _ in batches():
            pass

    class Pickled:
        """A shard that only pickles its part of the batch, as it would travel."""

        def take(self, part: list[tuple[int, object]]) -> None:
            pickle.dumps(pipeline._pack(part))  # type: ignore[arg-type]

    def routed() -> None:
        shards = pipeline._ShardSet(2, None, infer_here=True)
        shards.can_fork = False  # placed as with two workers; nothing forked
        shards.shards = [Pickled(), Pickled()]  # type: ignore[list-item]
        for batch in batches():
            shards.submit(batch)

    def hashed() -> None:
        for batch in batches():
            parts: list[list[tuple[int, Any]]] = [[], []]
            pipeline._route(batch, parts)
            for part in parts:
                pickle.dumps(pipeline._pack(part))

    return {
        "lines": _best(lines, repeat),
        "json.loads": _best(decode(json.loads), repeat),
        "orjson.loads": _best(decode(orjson.loads), repeat),
        "reader": _best(reader, repeat),
        "reader + routing": _best(routed, repeat),
        "reader + hashing": _best(hashed, repeat),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", metavar="REF", help="also time git commit REF's code")
    parser.add_argument("--json-out", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    results = {str(p): measure(p, args.repeat) for p in args.corpora}
    if args.json_out:
        print(json.dumps(results))
        return 0
    theirs: dict[str, dict[str, float]] = {}
    if args.against:
        with tempfile.TemporaryDirectory() as scratch:
            archive = Path(scratch) / "ref.tar"
            subprocess.run(["git", "archive", "-o", str(archive), args.against, "geoleak"],
                           check=True, cwd=Path(__file__).resolve().parents[1])  # fmt: skip
            with tarfile.open(archive) as tar:
                tar.extractall(scratch, filter="data")
            env = dict(os.environ, PYTHONPATH=scratch)
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                                   *map(str, args.corpora), "--repeat", str(args.repeat),
                                   "--json-out"], env=env, cwd=scratch, check=True,
                                  capture_output=True, text=True)  # fmt: skip
            theirs = json.loads(done.stdout)
    print(f"CPU s, best of {args.repeat} (load average {os.getloadavg()[0]:.1f})")
    for corpus, figures in results.items():
        lines = Path(corpus).read_bytes().count(b"\n")
        print(f"{corpus} ({lines:,} lines)")
        for name, seconds in figures.items():
            ref = theirs.get(corpus, {}).get(name)
            also = f"   {args.against}: {ref:6.3f}" if ref is not None else ""
            print(f"  {name:18s} {seconds:6.3f}{also}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
