"""geoleak/outputs.py: a folder of pages is staged beside its target; a staging folder a run
killed outright left behind is removed by the next run, never one a live run holds nor a
file of the user's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from geoleak import outputs
from geoleak.outputs import staged_output_dir

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock")

# A run that stages `out`, writes a page into its staging folder and waits to be killed.
_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from geoleak.outputs import staged_output_dir
    with staged_output_dir(Path(sys.argv[1])) as staged:
        (staged.path / "index.html").write_text("half", encoding="utf-8")
        print(staged.path, flush=True)
        time.sleep(60)
    """
)


def _holder(out: Path) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(out)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    stage = Path(process.stdout.readline().strip())
    assert stage.is_dir() and stage.parent == out.parent, stage
    return process, stage


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """SIGKILL (the OOM killer, a power cut) left `.maps.geoleak-tmp-*` with a half
    written page beside the output, and every later run left it there."""
    out = tmp_path / "maps"
    process, stage = _holder(out)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert stage.is_dir()  # what the kill left
    with staged_output_dir(out) as staged:
        (staged.path / "index.html").write_text("whole", encoding="utf-8")
    assert not stage.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maps"]
    assert (out / "index.html").read_text(encoding="utf-8") == "whole"


def test_a_live_runs_staging_folder_is_kept(tmp_path: Path) -> None:
    """Two runs into one folder at once: the second must not take the first's pages away."""
    out = tmp_path / "maps"
    process, stage = _holder(out)
    try:
        assert outputs.remove_stale_stages(out) == []
        with staged_output_dir(out) as staged:
            (staged.path / "index.html").write_text("second", encoding="utf-8")
        assert (stage / "index.html").read_text(encoding="utf-8") == "half"
    finally:
        process.kill()
        process.wait()
    assert outputs.remove_stale_stages(out) == [stage]


def test_only_geoleaks_own_staging_names_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    keep = [
        tmp_path / ".maps.geoleak-tmp-notes.txt",  # a file, not a folder
        tmp_path / ".maps.geoleak-tmp-my stuff",  # not tempfile's alphabet
        tmp_path / ".other.geoleak-tmp-abcd1234",  # another output's
        tmp_path / "maps.geoleak-tmp-abcd1234",  # not hidden
    ]
    keep[0].write_text("mine", encoding="utf-8")
    for folder in keep[1:]:
        folder.mkdir()
        (folder / "a.txt").write_text("mine", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.txt").write_text("mine", encoding="utf-8")
    link = tmp_path / ".maps.geoleak-tmp-abcd1234"
    link.symlink_to(elsewhere)  # a symlink under our name: not followed, not removed
    assert outputs.remove_stale_stages(out) == []
    assert all(p.exists() for p in [*keep, link, elsewhere / "a.txt"])


@pytest.mark.parametrize("force", [False, True])
def test_an_output_that_is_a_pipe_is_written_into_not_replaced(tmp_path: Path, force: bool) -> None:
    """`-o` naming a FIFO or a character device (`/dev/null`, `/dev/stdout`): refused as
    "already exists", and with --force the temporary file was renamed over it (run as
    root, `-o /dev/null --force` replaced /dev/null with a regular file). Now such a
    target is written into, --force or not."""
    import json

    from fifo_helpers import written_into_a_pipe

    fifo = tmp_path / "pipe"
    corpus = Path(__file__).parent / "fixtures" / "instagram"
    args = ["infer", str(corpus), "-o", str(fifo), "-q", *(["--force"] if force else [])]
    written = written_into_a_pipe(fifo, args)
    assert json.loads(written)["schema"] == "geoleak.profiles/1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_dev_stdout_sent_to_a_file_is_written_into(tmp_path: Path) -> None:
    """`geoleak infer x -o /dev/stdout > out.json`: /dev/stdout resolves to the regular file
    out.json, so it was taken for a file that "already exists", and with --force the
    temporary file was renamed over /dev/stdout (the link itself, as root). It is a
    stream: written into, the link left alone. (Checked in a child whose stdout is a
    file, through the function that decides, so a failure here replaces nothing.)"""
    out = tmp_path / "out.txt"
    code = (
        "from pathlib import Path; from geoleak import outputs; "
        "print(outputs._is_stream(Path('/dev/stdout'), '/dev/stdout'))"
    )
    with out.open("w") as handle:
        subprocess.run([sys.executable, "-c", code], stdout=handle, check=True)
    assert out.read_text() == "True\n"
