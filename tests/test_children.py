"""Worker processes end with the command, however it ends (`geoleak.children`): SIGTERM to
the main process unwinds as Ctrl-C does (temporary folders removed, no output, then the
process ends by the signal: status 143 in a shell), Ctrl-C at a terminal prints no worker's traceback, and a main process killed outright
leaves no worker waiting for ever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_media" / "posts.jsonl"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and fork")


def _alive(pid: int) -> bool:
    """Whether `pid` is a process that has not ended (a zombie has)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # (no /proc: ask the kernel)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pids: list[int], seconds: float = 20.0) -> list[int]:
    """The processes of `pids` still running after up to `seconds`."""
    end = time.monotonic() + seconds
    while True:
        alive = [p for p in pids if _alive(p)]
        if not alive or time.monotonic() > end:
            return alive
        time.sleep(0.05)


def _session(leader: int) -> list[int]:
    """The processes of the session `leader` started (its workers too)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == leader and fields[0] != "Z":  # (fields[3]: the session)
                found.append(int(entry.name))
    return found


def _run_script(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the Python program `text` (written to a file of `tmp_path`) with `args`."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(text))
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def kill_leftovers() -> Iterator[list[int]]:
    """Processes a test started: any still running at its end are killed (a failing test
    must not leave workers behind)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


POOL_SCRIPT = """
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from geoleak.children import pool_context, worker_start


def arrived(folder, name, expected):
    # Its name in `folder`, then wait until `expected` names are there (so each task of a
    # map is another worker's, however slowly the machine starts them). Its pid.
    (Path(folder) / name).touch()
    end = time.monotonic() + 120
    while len(list(Path(folder).iterdir())) < expected and time.monotonic() < end:
        time.sleep(0.01)
    return os.getpid()


if __name__ == "__main__":
    folder = Path(sys.argv[2])
    pool = ProcessPoolExecutor(2, mp_context=pool_context(sys.argv[1]), initializer=worker_start)
    pids = set(pool.map(arrived, [folder] * 2, ["a", "b"], [2, 2]))
    pool.submit(arrived, folder, "busy", 4)  # (never 4): one worker busy, one waiting for a task
    while not (folder / "busy").exists():
        time.sleep(0.01)
    print(*pids, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no shutdown, no atexit: as the OOM killer does
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_end_when_their_main_process_is_killed(
    tmp_path: Path, method: str, kill_leftovers: list[int]
) -> None:
    (tmp_path / "arrived").mkdir()
    done = _run_script(tmp_path, POOL_SCRIPT, method, str(tmp_path / "arrived"))
    assert done.returncode == -signal.SIGKILL, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    kill_leftovers.extend(pids)
    assert len(pids) == 2
    assert _wait_gone(pids) == []  # the idle worker and the busy one


COMMAND_SCRIPT = """
import signal
import sys
import time

from geoleak import engine
from geoleak.cli import main


def stopping_here(tasks, *args, **kwargs):
    # The site pass: the partition processes are running pass 1 (its tasks are given),
    # the temporary folders exist. Wait here to be stopped.
    print("ready", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # (ignored in a background job)
    engine._site_pass = stopping_here
    sys.argv = ["geoleak", *sys.argv[1:]]
    main()
"""


def _stopped_command(tmp_path: Path, kill_leftovers: list[int], how: str) -> tuple[int, str]:
    """Run `geoleak infer --store --workers 2`, held in its site pass, and stop it `how`:
    SIGTERM to the main process, or SIGINT to the whole process group (Ctrl-C at a
    terminal). Its exit status and stderr."""
    if not SAMPLE.is_file():
        pytest.skip("sample_media is not in this checkout")
    script = tmp_path / "command.py"
    script.write_text(textwrap.dedent(COMMAND_SCRIPT))
    temp = tmp_path / "temp"
    temp.mkdir()
    args = [str(SAMPLE), "--store", str(tmp_path / "store"), "--workers", "2"]
    args += ["-o", str(tmp_path / "profiles.json"), "--geocoder", "none", "-q"]

    process = subprocess.Popen(
        [sys.executable, str(script), "infer", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
        start_new_session=True,
    )
    kill_leftovers.append(process.pid)
    # A command that hangs before it is ready is killed: its pipe then ends the wait.
    watchdog = threading.Timer(300, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
        assert "analyses" in {p.name.split("-")[1] for p in temp.iterdir()}  # (the spill)
        workers = [p for p in _session(process.pid) if p != process.pid]
        kill_leftovers.extend(workers)
        assert len(workers) >= 2  # the partition processes (and multiprocessing's tracker)
        if how == "SIGTERM":
            process.send_signal(signal.SIGTERM)
        else:
            os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
    assert _wait_gone(workers) == []
    assert list(temp.iterdir()) == []  # the temporary folders removed
    assert not (tmp_path / "profiles.json").exists()  # no output, not half of one
    # The store it was ingesting is whole: the same command finishes the work.
    again = subprocess.run(
        [sys.executable, "-m", "geoleak", "infer", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "profiles.json").is_file()
    return process.returncode, stderr


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
@pytest.mark.parametrize(
    ("how", "status", "said"),
    # The command ends by the signal that stopped it (a shell reports 143 and 130), so a
    # script running it in a loop stops too.
    [
        ("SIGTERM", -signal.SIGTERM, "geoleak: terminated"),
        ("SIGINT", -signal.SIGINT, "geoleak: interrupted"),
    ],
    ids=["sigterm-as-ctrl-c", "ctrl-c-no-worker-traceback"],
)
def test_a_stopped_command_ends_cleanly(
    tmp_path: Path, kill_leftovers: list[int], how: str, status: int, said: str
) -> None:
    code, stderr = _stopped_command(tmp_path, kill_leftovers, how)
    assert code == status
    assert stderr.splitlines()[-1] == said
    assert "Traceback" not in stderr


IGNORING_SCRIPT = """
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor

from geoleak.children import pool_context, worker_start


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell script's background job
    context = pool_context(sys.argv[1])
    with ProcessPoolExecutor(1, mp_context=context, initializer=worker_start) as pool:
        worker = pool.submit(os.getpid).result()  # (started: worker_start has run)
        os.kill(worker, signal.SIGINT)  # Ctrl-C at the script's terminal
        print(pool.submit(os.getpid).result() == worker, flush=True)
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_ignore_what_their_command_ignores(tmp_path: Path, method: str) -> None:
    # A background job of a shell script ignores SIGINT: Ctrl-C at the script's terminal
    # ends neither the command nor its workers (they used to die, the pool broken).
    done = _run_script(tmp_path, IGNORING_SCRIPT, method)
    assert (done.returncode, done.stdout) == (0, "True\n"), done.stderr


HELD_SCRIPT = """
import signal

from geoleak.children import pool_context


def held():
    print(signal.pthread_sigmask(signal.SIG_BLOCK, []) >= {signal.SIGINT, signal.SIGTERM})


if __name__ == "__main__":
    for _ in range(2):  # the program's first spawned process (it starts the resource tracker)
        process = pool_context("spawn").Process(target=held)
        process.start()
        process.join()
"""


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks")
def test_spawned_processes_start_with_the_signals_held(tmp_path: Path) -> None:
    # Each, the first too: starting multiprocessing's resource tracker (on the first spawn)
    # unblocks SIGINT and SIGTERM in the starting thread; the first process started unheld
    # and printed a KeyboardInterrupt's traceback on a Ctrl-C during its imports.
    done = _run_script(tmp_path, HELD_SCRIPT)
    assert (done.returncode, done.stdout) == (0, "True\nTrue\n"), done.stderr


WINDOWS_SCRIPT = """
import multiprocessing.context

# What Windows' multiprocessing lacks: every start method but spawn.
for name in ("ForkProcess", "ForkContext", "ForkServerProcess", "ForkServerContext"):
    delattr(multiprocessing.context, name)

from geoleak.children import pool_context

print(pool_context("spawn").get_start_method())
"""


def test_pool_context_without_fork(tmp_path: Path) -> None:
    # Windows' multiprocessing has no fork classes: geoleak.children (and with it the engine,
    # the pipeline and inference) failed to import there.
    done = _run_script(tmp_path, WINDOWS_SCRIPT)
    assert (done.returncode, done.stdout) == (0, "spawn\n"), done.stderr


def test_a_caller_that_passes_arguments_gets_the_exit_status_not_the_signal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the program's own process ends by the signal that stopped it: a caller of `main`
    with its arguments (click's CliRunner here, a script embedding geoleak) gets status 130
    or 143 and goes on (a signal would end the caller, this test run included)."""
    from click.testing import CliRunner

    from geoleak.cli import core, main
    from geoleak.errors import Terminated

    for stop, status, said in (
        (KeyboardInterrupt, 130, "geoleak: interrupted"),
        (Terminated, 143, "geoleak: terminated"),
    ):

        def stopping(*_args: object, _stop: type[BaseException] = stop, **_kwargs: object) -> None:
            raise _stop

        monkeypatch.setattr(core, "_run", stopping)
        result = CliRunner().invoke(main, ["infer", str(SAMPLE), "-o", str(tmp_path / "p.json")])
        assert result.exit_code == status
        assert result.output.splitlines()[-1] == said
