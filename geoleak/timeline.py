"""Per-process timelines of a run, for finding where its processes wait and for whom.

Off unless the environment names a folder: `GEOLEAK_TIMELINE=DIR geoleak infer ...`. Each
process (the main one and every forked worker) then appends its events to `DIR/PID.jsonl`,
one JSON array a line: `[name, "b" | "e" | "i", wall_s, cpu_s, thread_cpu_s, detail]`
(begin and end of a span, or an instant). `wall_s` is `time.perf_counter()`, the system's
monotonic clock, so the files of one run share a time axis; `cpu_s` is the process's CPU
time (every thread), `thread_cpu_s` the calling thread's. `benchmarks/bench_timeline.py`
reads the files: per process, its busy and idle seconds, and what it waited on.

Off, a span costs one attribute check; the events are at phase boundaries and around
blocking waits (a few per batch of posts), so on they cost microseconds a batch.
"""

from __future__ import annotations

import atexit
import json
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import IO

__all__ = ["enabled", "instant", "span"]

_FOLDER = os.environ.get("GEOLEAK_TIMELINE") or None
_out: IO[str] | None = None
_opened = (0, "")  # the process and the folder `_out` was opened for


def enabled() -> bool:
    return _FOLDER is not None


def _write(name: str, phase: str, detail: object) -> None:
    global _out, _opened  # noqa: PLW0603  (one file per process, reopened after a fork)
    wall, cpu, thread = time.perf_counter(), time.process_time(), time.thread_time()
    pid = os.getpid()
    assert _FOLDER is not None
    if _out is None or _opened != (pid, _FOLDER):
        if _out is not None:
            _out.close()  # another folder's, or the parent's copy after a fork (flushed)
        else:
            atexit.register(_exit)  # (a forked worker leaves by os._exit: not there)
        os.makedirs(_FOLDER, exist_ok=True)
        _out = open(os.path.join(_FOLDER, f"{pid}.jsonl"), "a", encoding="utf-8")  # noqa: SIM115
        _opened = (pid, _FOLDER)
        _out.write(json.dumps(["process", "i", wall, cpu, thread, {"ppid": os.getppid()}]) + "\n")
    _out.write(json.dumps([name, phase, wall, cpu, thread, detail]) + "\n")
    _out.flush()


def _exit() -> None:
    """At the interpreter's exit: the last event, and the file closed."""
    global _out  # noqa: PLW0603
    instant("exit")
    if _out is not None:
        _out.close()
        _out = None


def instant(name: str, detail: object = None) -> None:
    """Mark a moment of this process (a phase boundary)."""
    if _FOLDER is not None:
        _write(name, "i", detail)


@contextmanager
def _span(name: str, detail: object) -> Iterator[None]:
    _write(name, "b", detail)
    try:
        yield
    finally:
        _write(name, "e", detail)


def span(name: str, detail: object = None) -> AbstractContextManager[None]:
    """`with span("wait", shard):` marks the begin and the end of a phase or a wait."""
    if _FOLDER is None:
        return nullcontext()
    return _span(name, detail)
