"""A subfolder that cannot be read: one warning naming it, the rest is read, no traceback.

`chmod 000` does not stop root, and CI may run as root, so as root the denial is made
in-process: listing the folder, or stat-ing or opening anything inside it, raises the
PermissionError the kernel would give another user. Where `setpriv` can run Python as
`nobody`, one more test runs the real command as that user against a real `chmod 000`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from media_data import BUNDLED_MEDIA

from geoleak.cli import main

WARNING = "cannot list folder (Permission denied)"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.output


def _build(folder: Path) -> Path:
    """folder/a.jpg (readable, located) and folder/private/b.jpg in a folder locked 000."""
    folder.mkdir(parents=True)
    shutil.copyfile(BUNDLED_MEDIA / "mde_htc_desire.jpg", folder / "a.jpg")
    private = folder / "private"
    private.mkdir()
    shutil.copyfile(BUNDLED_MEDIA / "mde_apple_iphone4.jpg", private / "b.jpg")
    private.chmod(0o000)
    return private


def _deny_inside(monkeypatch: pytest.MonkeyPatch, locked: Path) -> None:
    """Make `locked` behave, for this process and its forks, as a 000 folder does for a
    user who is not root: it can be seen, not listed, and nothing inside can be reached."""
    base = os.path.abspath(locked)

    def where(path: Any) -> str | None:
        if isinstance(path, int):
            return None
        return os.path.abspath(os.fsdecode(os.fspath(path)))

    def denied(path: str) -> PermissionError:
        return PermissionError(13, "Permission denied", path)

    def listing(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(path: Any = ".", *args: Any, **kwargs: Any) -> Any:
            at = where(path)
            if at is not None and (at == base or at.startswith(base + os.sep)):
                raise denied(os.fsdecode(os.fspath(path)))
            return real(path, *args, **kwargs)

        return call

    def inside(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            at = where(path)
            if at is not None and at.startswith(base + os.sep):
                raise denied(os.fsdecode(os.fspath(path)))
            return real(path, *args, **kwargs)

        return call

    for name in ("scandir", "listdir"):
        monkeypatch.setattr(os, name, listing(getattr(os, name)))
    for name in ("stat", "lstat", "open"):
        monkeypatch.setattr(os, name, inside(getattr(os, name)))


@pytest.fixture
def locked_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "ana"
    private = _build(folder)
    if os.geteuid() == 0:  # root reads a 000 folder anyway: deny as the kernel would
        _deny_inside(monkeypatch, private)
    yield folder
    private.chmod(0o700)


def test_the_denial_is_real_for_this_process(locked_folder: Path) -> None:
    with pytest.raises(PermissionError):
        os.listdir(locked_folder / "private")
    with pytest.raises(PermissionError):
        (locked_folder / "private" / "b.jpg").stat()
    assert (locked_folder / "private").is_dir() or os.geteuid() != 0


@pytest.mark.parametrize("command", ["infer", "audit", "export", "report", "map", "scan", "scrub"])
def test_an_unreadable_subfolder_gives_one_warning_and_the_rest_is_read(
    locked_folder: Path, tmp_path: Path, command: str
) -> None:
    out = tmp_path / "out"
    profiles = tmp_path / "p.json"
    if command == "map":
        assert run("infer", str(locked_folder), "-o", str(profiles), "-q")[0] == 0
    args = {
        "infer": ["infer", str(locked_folder), "-o", str(profiles)],
        "audit": ["audit", str(locked_folder), "--json", str(out) + ".json"],
        "export": ["export", str(locked_folder), "-o", str(out)],
        "report": ["report", str(locked_folder), "-o", str(out), "--no-plots"],
        "map": ["map", str(profiles), str(locked_folder), "-o", str(out)],
        "scan": ["scan", str(locked_folder), "-o", str(out) + ".jsonl"],
        "scrub": ["scrub", str(locked_folder), "-o", str(out)],
    }[command]  # fmt: skip
    code, output = run(*args)
    assert "Traceback" not in output
    assert code == (1 if command == "scrub" else 0), output  # scrub: an item failed
    if command == "scan":  # scan reports it as a record of its own, naming the folder
        records = (tmp_path / "out.jsonl").read_text().splitlines()
        assert len(records) == 2
        assert '"path": "a.jpg"' in records[0] and '"lat": 45.5' in records[0]
        assert '"path": "private/"' in records[1] and WARNING in records[1]
        return
    warned = [line for line in output.splitlines() if line.startswith("warning:")]
    named = [line for line in warned if WARNING in line]
    assert len(named) == 1, output
    assert str(locked_folder / "private") in named[0]
    if command == "scrub":
        assert (out / "a.jpg").is_file() and not (out / "private").exists()
    elif command == "map":
        assert (out / "index.html").is_file()
    else:  # the readable photo was read
        assert "1 post of 1 person read; 1 (100%) carried a location" in output


def _as_nobody() -> list[str] | None:
    """The command prefix that runs this Python as user nobody, or None where it cannot."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return None
    prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    try:
        probe = subprocess.run(
            [*prefix, sys.executable, "-c", "import geoleak"],
            capture_output=True,
            timeout=60,
            cwd="/",
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return prefix if probe.returncode == 0 else None


@pytest.mark.parametrize("command", ["infer", "scan"])
def test_as_another_user_a_real_000_folder_gives_one_warning(command: str) -> None:
    prefix = _as_nobody()
    if prefix is None:
        pytest.skip("needs root, setpriv and a Python that user nobody can run")
    work = Path(tempfile.mkdtemp(prefix="geoleak-perm-"))
    try:
        work.chmod(0o777)
        private = _build(work / "ana")
        for path in (work / "ana", work / "ana" / "a.jpg"):
            path.chmod(0o777 if path.is_dir() else 0o644)
        args = {
            "infer": ["infer", "ana", "-o", "p.json"],
            "scan": ["scan", "ana", "-o", "s.jsonl"],
        }[command]
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "geoleak", *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=work,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        if command == "infer":
            named = [line for line in done.stderr.splitlines() if WARNING in line]
            assert named == [f"warning: ana/private: {WARNING}; skipped"]
            assert "1 post of 1 person read" in done.stderr
        else:
            text = (work / "s.jsonl").read_text()
            assert '"path": "a.jpg"' in text and WARNING in text
        private.chmod(0o700)
    finally:
        for path in work.rglob("*"):
            if path.is_dir():
                path.chmod(0o700)
        shutil.rmtree(work, ignore_errors=True)
