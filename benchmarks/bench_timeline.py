"""Where the processes of a `geoleak infer --workers N` run wait, and for whom: per-process
timelines and the critical path, in CPU seconds.

    python benchmarks/bench_timeline.py CORPUS [--workers 2] [--repeat 1] [--events]

Runs `geoleak infer CORPUS --workers N -q` (and the same with `--workers 1`, for its CPU)
with `GEOLEAK_TIMELINE` set (see `geoleak/timeline.py`): every process writes the wall and
CPU clocks at its phase boundaries and around each blocking wait. From the files:

- per process, its seconds by state: the main process's start-up, reading (its own work:
  decoding, routing, merging the shards' results), waits on each shard (for a batch's result,
  for the site pass's analyses, for the profiles), the site pass, writing; each worker's busy
  calls (`take` of a batch, `analyse`, `profiles`) and its idle gaps, named by the call that
  ended them (`idle -> take` is a worker waiting for its next batch);
- the critical path: from the end of the run backwards, through each wait to the process
  waited for (a main-process wait on a shard jumps to the end of that shard's call; a
  worker's idle gap jumps to the moment the main process submitted the call that ended it).
  Its CPU seconds are what a run takes on cores that are otherwise idle (each step of the
  path then runs at once, at full speed); its wall seconds are the run's wall time.

CPU seconds are `time.process_time()` (user + system, all threads of a process): they
inflate on a loaded machine, less than wall seconds do. `--workers 1`'s CPU over the
2-worker critical path's CPU is the speed-up idle cores would give, if the path stays the
same; wall seconds under load say little.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
WORKER_CALLS = ("take", "end", "totals", "analyse", "profiles", "context")


@dataclass
class Segment:
    start: float
    end: float
    cpu: float  # CPU seconds of the process over the segment
    label: str
    waits_on: tuple[str, object] | None = None  # ("shard", (index, call)) / ("main", call)


@dataclass
class Process:
    name: str
    segments: list[Segment]
    calls: dict[object, tuple[float, float]]  # (worker) call -> (start, end) of its span
    submitted: dict[object, float]  # (main) call -> when it was handed to the shards
    marks: list[tuple[str, object, float]] = field(default_factory=list)  # (main) instants: CPU
    costs: dict[object, float] = field(default_factory=dict)  # (worker) call -> its CPU s


def _read(path: Path) -> list[list[object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _main_process(events: list[list[object]], t0: float, t1: float, cpu_end: float) -> Process:
    """The main process's segments: between consecutive events, labelled by its phase
    (start-up, reading, after) and the innermost open span."""
    segments: list[Segment] = []
    submitted: dict[object, float] = {}
    marks: list[tuple[str, object, float]] = []
    phase = "start-up"
    stack: list[tuple[str, object]] = []
    at, cpu_at = t0, 0.0
    for name, kind, wall, cpu, _thread, detail in events:
        assert isinstance(wall, float)
        assert isinstance(cpu, float)
        assert isinstance(name, str)
        if stack:
            top, top_detail = stack[-1]
            if top == "wait":
                assert isinstance(top_detail, list)
                label = f"{phase}: wait for shard {top_detail[0]}"
                waits: tuple[str, object] | None = ("shard", tuple(top_detail))
            else:
                label, waits = f"{phase}: {top}", None
        else:
            label, waits = f"{phase}: own work", None
        if wall > at:
            segments.append(Segment(at, wall, cpu - cpu_at, label, waits))
        at, cpu_at = wall, cpu
        if kind == "b":
            stack.append((name, detail))
            if name == "sites":
                marks.append((name, detail, cpu))
        elif kind == "e":
            stack.pop()
            if name == "sites":
                marks.append(("sites end", detail, cpu))
        else:
            marks.append((name, detail, cpu))
            if name == "read":
                phase = "reading"
            elif name == "read end":
                phase = "after reading"
            elif name == "exit":
                phase = "interpreter exit"
            elif name == "submitted":
                submitted[detail if not isinstance(detail, list) else tuple(detail)] = wall
    segments.append(Segment(at, t1, max(cpu_end - cpu_at, 0.0), f"{phase}: teardown", None))
    marks.append(("end", None, cpu_end))
    return Process("main", segments, {}, submitted, marks)


def _worker(events: list[list[object]]) -> Process:
    """A worker's segments: its calls (busy) and the gaps between them (idle, named by the
    call that ended them)."""
    segments: list[Segment] = []
    calls: dict[object, tuple[float, float]] = {}
    costs: dict[object, float] = {}
    index = None
    at = cpu_at = None
    begun: tuple[float, float] | None = None
    pending: object = None
    for name, kind, wall, cpu, _thread, detail in events:
        assert isinstance(wall, float)
        assert isinstance(cpu, float)
        if name == "worker":
            index, at, cpu_at = detail, wall, cpu
            continue
        if name == "got":
            pending = detail
            continue
        if name not in WORKER_CALLS or kind == "i":
            continue
        call = ("take", pending) if name == "take" else name
        assert at is not None
        assert cpu_at is not None
        if kind == "b":
            segments.append(Segment(at, wall, cpu - cpu_at, f"idle -> {name}", ("main", call)))
            begun = (wall, cpu)
            costs[call] = cpu - cpu_at  # receiving the call (and sending the last result)
        else:
            assert begun is not None
            segments.append(Segment(begun[0], wall, cpu - begun[1], name, None))
            calls[call] = (begun[0], wall)
            costs[call] += cpu - begun[1]
        at, cpu_at = wall, cpu
    return Process(f"shard {index}", segments, calls, {}, [], costs)


# `geoleak infer` with `pipeline.WINDOW_BATCHES` set (the first argument).
_WITH_WINDOW = (
    "import sys\n"
    "import geoleak.pipeline as pipeline\n"
    "pipeline.WINDOW_BATCHES = int(sys.argv.pop(1))\n"
    "from geoleak.cli import main\n"
    "sys.argv[0] = 'geoleak'\n"
    "main()\n"
)


def run_traced(
    corpus: Path, workers: int, folder: Path, window: int | None = None
) -> tuple[dict[str, Process], float]:
    """Run `geoleak infer` with a timeline (and `window` batches in flight, when given);
    its processes and its total CPU seconds."""
    trace = folder / f"timeline-{workers}-{time.time_ns()}"
    env = dict(os.environ, GEOLEAK_TIMELINE=str(trace))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "bytecode")
    out = folder / f"profiles-{workers}.json"
    out.unlink(missing_ok=True)  # (infer refuses an existing output; older trees lack --force)
    t0 = time.perf_counter()
    start = ["-m", "geoleak"] if window is None else ["-c", _WITH_WINDOW, str(window)]
    proc = subprocess.Popen([sys.executable, *start, "infer", str(corpus), "-o", str(out),
                             "-q", "--workers", str(workers)], env=env, cwd=ROOT)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    t1 = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"geoleak infer --workers {workers} failed ({proc.returncode})")
    total = usage.ru_utime + usage.ru_stime
    files = {int(p.stem): _read(p) for p in trace.glob("*.jsonl")}
    workers_cpu = sum(cast("float", ev[-1][3]) for pid, ev in files.items() if pid != proc.pid)
    processes = {"main": _main_process(files.get(proc.pid, []), t0, t1, total - workers_cpu)}
    for pid, events in files.items():
        if pid != proc.pid:
            worker = _worker(events)
            processes[worker.name] = worker
    return processes, total


def critical_path(processes: dict[str, Process]) -> list[tuple[str, Segment]]:
    """From the end of the run backwards: each step is the part of a segment the run waited
    through; a wait hands over to the process waited for."""
    path: list[tuple[str, Segment]] = []
    name = "main"
    t = processes["main"].segments[-1].end
    start = processes["main"].segments[0].start
    while t > start + 1e-9:
        proc = processes[name]
        seg = next((s for s in reversed(proc.segments) if s.start < t - 1e-9), None)
        if seg is None:  # before a worker's first event: its fork, in the main process
            name = "main"
            continue
        end = min(t, seg.end)
        share = (end - seg.start) / (seg.end - seg.start) if seg.end > seg.start else 0.0
        if seg.waits_on is not None and seg.waits_on[0] == "shard":
            awaited = cast("tuple[int, object]", seg.waits_on[1])
            index, call = awaited
            key = ("take", call) if isinstance(call, int) else call
            shard = processes.get(f"shard {index}")
            done = shard.calls.get(key) if shard is not None else None
            if done is not None and done[1] > seg.start:
                # The result arrived after the wait began: the run waited for the shard.
                handed = min(done[1], end)
                path.append((name, Segment(handed, end, seg.cpu * (end - handed) /
                                           max(seg.end - seg.start, 1e-12),
                                           "result to main", None)))  # fmt: skip
                name, t = f"shard {index}", handed
                continue
        if seg.waits_on is not None and seg.waits_on[0] == "main":
            call = seg.waits_on[1]
            sub = processes["main"].submitted.get(call[1] if isinstance(call, tuple) else call)
            if sub is not None and sub > seg.start:
                # The call was submitted after the worker fell idle: it waited for main.
                handed = min(sub, end)
                path.append((name, Segment(handed, end, seg.cpu * (end - handed) /
                                           max(seg.end - seg.start, 1e-12),
                                           "call to shard", None)))  # fmt: skip
                name, t = "main", handed
                continue
        path.append((name, Segment(seg.start, end, seg.cpu * share, seg.label, seg.waits_on)))
        t = seg.start
    path.reverse()
    return path


@dataclass
class Costs:
    """A 2-worker run's work in CPU seconds, read from its timeline, to replay on idle
    cores (`simulate`): the main process's start (until its first batch is read), its CPU
    from one batch read to the next (routing, pickling, merging results, reading), after
    the last batch until the site pass, the site pass, and after it (writing, exit); each
    shard's CPU per call (a batch's `take`, `end`, `profiles`), receiving it included."""

    start: float
    batches: list[tuple[int, float]]  # (batch, main CPU s until the next batch)
    before_sites: float
    sites: float
    after_sites: float
    shards: list[dict[object, float]]


def costs_of(processes: dict[str, Process]) -> Costs:
    marks = processes["main"].marks
    at = {name: cpu for name, _, cpu in marks if name != "batch"}
    batches = [(cast("int", d), cpu) for name, d, cpu in marks if name == "batch"]
    ends = [cpu for _, cpu in batches[1:]] + [at["read end"]]
    shards = [processes[n].costs for n in sorted(processes) if n.startswith("shard")]
    return Costs(start=batches[0][1], batches=[(b, end - cpu) for (b, cpu), end in
                                               zip(batches, ends, strict=True)],
                 before_sites=at["sites"] - at["read end"], sites=at["sites end"] - at["sites"],
                 after_sites=at["end"] - at["sites end"], shards=shards)  # fmt: skip


def simulate(costs: Costs, window: int, cores: float = 2.0) -> float:
    """Wall seconds of the run on `cores` idle cores, each process at full speed when it
    has a core of its own and sharing them equally otherwise, with `window` batches in
    flight (2: one batch ahead): the main process reads batch after batch, waits for the
    oldest batch's results when `window` are out, queues the shards' `end` after the last,
    waits for every result, runs the site pass, queues `profiles`, waits, and finishes."""
    steps: list[tuple[str, object]] = [("cpu", costs.start)]
    out: deque[int] = deque()
    for batch, cpu in costs.batches:  # (the start read the first batch)
        steps.append(("submit", batch))
        out.append(batch)
        if len(out) >= window:
            steps.append(("wait", out.popleft()))
        steps.append(("cpu", cpu))  # merging the results, reading the next batch
    steps.append(("submit", "end"))
    steps += [("wait", b) for b in out]
    steps += [("wait", "end"), ("cpu", costs.before_sites), ("cpu", costs.sites),
              ("submit", "profiles"), ("wait", "profiles"), ("cpu", costs.after_sites)]  # fmt: skip
    queues: list[deque[tuple[object, float]]] = [deque() for _ in costs.shards]
    doing: list[list[object] | None] = [None for _ in costs.shards]  # [call, CPU s left]
    done: set[tuple[int, object]] = set()
    step, left, now = 0, 0.0, 0.0
    while True:
        while step < len(steps):  # the main process's steps that take no CPU
            kind, what = steps[step]
            if kind == "cpu" and left <= 0.0:
                left = cast("float", what)
                if left <= 0.0:
                    step += 1
                    continue
                break
            if kind == "cpu":
                break
            if kind == "submit":
                for i, shard in enumerate(costs.shards):
                    call = ("take", what) if isinstance(what, int) else what
                    if call in shard:
                        queues[i].append((call, shard[call]))
                    else:
                        done.add((i, call))
            elif not all((i, ("take", what) if isinstance(what, int) else what) in done
                         for i in range(len(costs.shards))):  # fmt: skip
                break
            step += 1
        for i, queue in enumerate(queues):
            if doing[i] is None and queue:
                call, cpu = queue.popleft()
                doing[i] = [call, cpu]
        running = [i for i, d in enumerate(doing) if d is not None]
        main_runs = step < len(steps) and steps[step][0] == "cpu" and left > 0.0
        if not running and not main_runs:
            if step >= len(steps):
                return now
            raise RuntimeError(f"the replay waits forever at {steps[step]}")
        rate = min(1.0, cores / (len(running) + main_runs))
        slices = [cast("float", doing[i][1]) for i in running]  # type: ignore[index]
        dt = min(slices + ([left] if main_runs else [])) / rate
        now += dt
        for i in running:
            item = doing[i]
            assert item is not None
            item[1] = cast("float", item[1]) - dt * rate
            if cast("float", item[1]) <= 1e-12:
                done.add((i, item[0]))
                doing[i] = None
        if main_runs:
            left -= dt * rate
            if left <= 1e-12:
                left = 0.0
                step += 1


def _table(rows: dict[str, list[float]], title: str) -> None:
    print(f"\n{title}")
    print(f"  {'':42s} {'wall s':>8s} {'CPU s':>8s}")
    for label, (wall, cpu) in rows.items():
        print(f"  {label:42.42s} {wall:8.2f} {cpu:8.2f}")


def report(processes: dict[str, Process], total: float, events: bool) -> dict[str, object]:
    out: dict[str, object] = {"cpu_s": total}
    main = processes["main"]
    wall = main.segments[-1].end - main.segments[0].start
    print(f"wall {wall:.2f} s, CPU {total:.2f} s (all processes)")
    for name in sorted(processes):
        proc = processes[name]
        rows: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for seg in proc.segments:
            rows[seg.label][0] += seg.end - seg.start
            rows[seg.label][1] += seg.cpu
        busy = sum(s.cpu for s in proc.segments)
        span = proc.segments[-1].end - proc.segments[0].start if proc.segments else 0.0
        _table(dict(rows), f"{name}: {span:.2f} s from its start to its end, {busy:.2f} CPU s")
        out[name] = {k: [round(v[0], 3), round(v[1], 3)] for k, v in rows.items()}
        if events and name != "main":
            for seg in proc.segments:
                print(f"    {seg.start - main.segments[0].start:8.3f} {seg.end - seg.start:7.3f} "
                      f"{seg.cpu:7.3f} {seg.label}")  # fmt: skip
    path = critical_path(processes)
    rows = defaultdict(lambda: [0.0, 0.0])
    for name, seg in path:
        rows[f"{name}: {seg.label}"][0] += seg.end - seg.start
        rows[f"{name}: {seg.label}"][1] += seg.cpu
    cpu = sum(seg.cpu for _, seg in path)
    _table(dict(sorted(rows.items(), key=lambda kv: -kv[1][1])),
           f"critical path: {sum(s.end - s.start for _, s in path):.2f} s wall, {cpu:.2f} CPU s")  # fmt: skip
    out["critical_path_cpu_s"] = cpu
    out["critical_path"] = {k: [round(v[0], 3), round(v[1], 3)] for k, v in rows.items()}
    return out


def report_one(main: Process) -> None:
    rows: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for seg in main.segments:
        rows[seg.label][0] += seg.end - seg.start
        rows[seg.label][1] += seg.cpu
    _table(dict(rows), "the one process")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--events", action="store_true", help="list every worker segment")
    parser.add_argument("--windows", default="", metavar="N[,N...]",
                        help="run the 2-worker command once per value of pipeline.WINDOW_BATCHES "
                             "(batches in flight; 2 = one batch ahead, as before the window)")  # fmt: skip
    parser.add_argument("--json", dest="json_out", help="write the figures here")
    args = parser.parse_args(argv)
    found: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="geoleak-timeline-") as scratch:
        folder = Path(scratch)
        run_traced(args.corpus.resolve(), 1, folder)  # compiles the bytecode, untimed
        for _ in range(args.repeat):
            alone, one = run_traced(args.corpus.resolve(), 1, folder)
            print(f"\n=== --workers 1: {one:.2f} CPU s; load average {os.getloadavg()[0]:.1f}")
            report_one(alone["main"])
            windows: list[int | None] = [int(w) for w in args.windows.split(",") if w] or [None]
            for window in windows:
                processes, total = run_traced(args.corpus.resolve(), args.workers, folder, window)
                print(f"\n=== --workers {args.workers}" +
                      (f", {window} batches in flight:" if window else ":"))  # fmt: skip
                figures = report(processes, total, args.events)
                path = float(figures["critical_path_cpu_s"])  # type: ignore[arg-type]
                print(f"\none worker's CPU over the critical path's CPU: {one / path:.2f}x; "
                      f"over max(path, half of all CPU): {one / max(path, total / 2):.2f}x")  # fmt: skip
                figures["one_worker_cpu_s"] = one
                figures["window"] = window
                costs = costs_of(processes)
                replay = {w: simulate(costs, w) for w in sorted({1, 2, 16, window or 16})}
                print(f"all CPU {total:.2f} s: half {total / 2:.2f} s; the main process's start "
                      f"{costs.start:.2f}, after its last batch {costs.before_sites:.2f} + site "
                      f"pass {costs.sites:.2f} + after {costs.after_sites:.2f} CPU s")  # fmt: skip
                print("replayed on two idle cores (this run's CPU s per step): " + "; ".join(
                    f"{w} batches in flight {s:.2f} s, {one / s:.2f}x one worker's CPU"
                    for w, s in replay.items()))  # fmt: skip
                figures["replayed_s"] = replay
                found.append(figures)
                same = (folder / "profiles-1.json").read_bytes() == (
                    folder / f"profiles-{args.workers}.json"
                ).read_bytes()
                print(f"profiles identical: {same}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(found, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
