"""How geoleak's worker processes end: with the command, however the command ends.

geoleak's worker processes (the ingest shards, forked; the partition processes, spawned;
the forked readers of `scan`, `scrub` and of in-memory inference) work for the command's
main process and own nothing: every temporary folder, output file and store manifest is
the main process's, which removes or completes it as it unwinds, on an error, on Ctrl-C and
on SIGTERM (which the CLI turns into `errors.Terminated`, a `KeyboardInterrupt`: `kill`,
`timeout`, systemd and batch schedulers such as Slurm at a time limit send it). So a
worker's pool is made with `pool_context` and `worker_start` as its initializer, and then:

- SIGINT and SIGTERM end a worker at once and without a traceback (their defaults, unless
  the command ignores them, as a shell script's background job ignores SIGINT). Ctrl-C
  at a terminal reaches every process of the command; a worker waiting for its next task
  would otherwise print the traceback of the `KeyboardInterrupt` that ended its wait (a
  forked one also inherits the main process's SIGTERM handler, which raises). A spawned
  worker imports for about a second before `worker_start` runs, so the pool's processes
  start with both signals blocked (`_Quiet`): one sent meanwhile waits, and ends the
  process once `worker_start` has set the defaults.
- A worker ends when the main process has ended. A pool's workers wait for their next task
  on a pipe whose other end the main process holds, so a main process killed by a signal
  it cannot handle (SIGKILL, the out-of-memory killer) would leave them waiting for ever,
  each holding its memory (a few hundred MiB at 10 M posts). A thread of each worker waits
  on the pipe `multiprocessing` keeps for this (`parent_process().sentinel`, readable once
  the parent has gone). A forked worker also holds the pipes of the workers forked before
  it, so those end after it does: the chain ends with the last.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from multiprocessing import context
from typing import Any

# A worker whose main process has gone ends with this status (nobody waits for it).
ORPHAN_EXIT = 1

_HELD = {signal.SIGINT, signal.SIGTERM}
_MASKS = hasattr(signal, "pthread_sigmask")  # (not on Windows, which has neither)


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask (`taskset`, a container's cpuset), not
    every CPU of the machine. The default number of worker processes of every command."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def worker_start() -> None:
    """The start of every worker process of geoleak's pools (see the module's docstring):
    SIGINT and SIGTERM at their defaults, and an end when the main process has ended."""
    for number in _HELD:
        # A signal the command ignores, its workers ignore too: a shell script's background
        # job (`geoleak ... &`) ignores SIGINT, and Ctrl-C at the script's terminal must
        # not end its workers (the command would fail, its pool broken).
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, signal.SIG_DFL)
    if _MASKS:  # (held by `_Quiet.start` until now: one sent meanwhile acts here)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    sentinel = getattr(mp.parent_process(), "sentinel", None)
    if isinstance(sentinel, int):
        threading.Thread(
            target=_end_with_parent, args=(sentinel,), name="geoleak-parent-watch", daemon=True
        ).start()


def _end_with_parent(sentinel: int) -> None:
    from multiprocessing.connection import wait

    wait([sentinel])
    os._exit(ORPHAN_EXIT)


class _Quiet:
    """A process that starts with SIGINT and SIGTERM blocked (a child inherits the mask of
    the thread that starts it; `worker_start` unblocks them). Only the starting thread
    blocks them, and only while it starts the process: meanwhile a signal to the main
    process is taken by another of its threads, or waits these few milliseconds."""

    _spawned = False  # (whether it starts by exec: multiprocessing's resource tracker then)

    def start(self) -> None:
        if not _MASKS:
            super().start()  # type: ignore[misc]
            return
        if self._spawned:
            # The tracker first: starting it (on the program's first spawn) unblocks both
            # signals in this thread, so the process would start with them unheld.
            from multiprocessing import resource_tracker

            resource_tracker.ensure_running()
        before = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
        try:
            super().start()  # type: ignore[misc]
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


class QuietSpawnProcess(_Quiet, context.SpawnProcess):
    _spawned = True


class _QuietSpawnContext(context.SpawnContext):
    Process = QuietSpawnProcess


if hasattr(context, "ForkContext"):  # (not on Windows: its multiprocessing cannot fork)

    class QuietForkProcess(_Quiet, context.ForkProcess):
        pass

    class _QuietForkContext(context.ForkContext):
        Process = QuietForkProcess


def pool_context(method: str | None = None) -> Any:
    """The multiprocessing context for a pool whose initializer is `worker_start`: start
    `method` "fork", "spawn" or (None) the platform's default, its processes started with
    SIGINT and SIGTERM held (`_Quiet`)."""
    name = mp.get_context(method).get_start_method()
    if name == "fork":
        return _QuietForkContext()
    if name == "spawn":
        return _QuietSpawnContext()
    return mp.get_context(name)  # (forkserver: its server starts the processes)
