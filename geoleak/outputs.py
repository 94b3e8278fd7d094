"""Writing outputs safely, for every command.

- Checked before the work starts: `check_output_file` / `check_output_dir` raise
  OutputError at once when the target cannot be written, instead of after the inputs
  were read.
- Never over someone else's files: a non-empty folder is written into only when geoleak
  wrote it before (it leaves `MARKER` there) or the user says --force.
- Whole or not at all: `atomic_write_text` / `atomic_open` write a temporary file beside
  the target and rename it, so a failure never leaves half a file; `staged_output_dir`
  does the same for a folder of pages (maps, a report), file by file at the end.
- Any text can be written: characters that cannot be encoded (the surrogate escapes that
  stand for the bytes of a file name that is not UTF-8) are written backslash-escaped
  (`\\udce9`), which keeps every output valid UTF-8 (and valid JSON: it reads as an escape).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from geoleak.errors import OutputError

try:
    import fcntl
except ImportError:  # (Windows: no flock; stale staging folders are then left)
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "ENCODING_ERRORS",
    "MARKER",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_dir",
    "check_output_file",
    "mark_output_dir",
    "remove_stale_stages",
    "staged_output_dir",
    "writes_into",
]

MARKER = ".geoleak-output"
# How text outputs encode what UTF-8 cannot hold (lone surrogates from os.fsdecode).
ENCODING_ERRORS = "backslashreplace"


def _nearest_existing(path: Path) -> Path:
    probe = path.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def _check_can_create_in(path: Path, shown: str) -> None:
    """The folder that will hold `path` exists (or can be made) and is writable."""
    holder = _nearest_existing(path.parent)
    if not holder.is_dir():
        raise OutputError(f"{shown}: cannot write: {holder} is not a folder")
    if not os.access(holder, os.W_OK | os.X_OK):
        raise OutputError(f"{shown}: cannot write: {holder} is not writable")


def check_output_file(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """`path` as a Path, once it is known that a file can be written there.

    An existing file is refused unless `force` (every command's `--force`): a rerun
    never replaces a file of the user's unasked. Messages name `path` as given.
    """
    target = Path(path)
    shown = os.fspath(path)
    if target.is_dir():
        raise OutputError(f"{shown}: is a folder; give a file name")
    if _is_stream(target, shown):  # /dev/null, /dev/stdout, a FIFO: written into, not over
        if not os.access(target, os.W_OK):
            raise OutputError(f"{shown}: cannot write: permission denied")
        return target
    if target.exists():
        if not force:
            raise OutputError(f"{shown}: already exists (use --force to overwrite)")
        if not os.access(target, os.W_OK) or not os.access(target.parent, os.W_OK | os.X_OK):
            raise OutputError(f"{shown}: cannot write: permission denied")
        return target
    _check_can_create_in(target, shown)
    return target


def writes_into(path: str | os.PathLike[str]) -> bool:
    """Whether an output `path` is written into as it is (a FIFO, `/dev/null`,
    `/dev/stdout`), never replaced; OutputError for a block device or socket."""
    return _is_stream(Path(path), os.fspath(path))


def _is_stream(target: Path, shown: str) -> bool:
    """Whether `target` is a character device or a FIFO (`-o /dev/null`, `/dev/stdout`, a
    named pipe): written into as it is, never replaced by a renamed file (which, run as
    root with --force, replaced /dev/null itself). Other special files are refused."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return True
    if stat.S_ISREG(mode) and target.absolute().parts[1:2] in (("dev",), ("proc",)):
        return True  # `-o /dev/stdout` with stdout sent to a file: that file, not a new link
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise OutputError(f"{shown}: is a device or socket, not a file; give a file name")
    return False


def check_output_dir(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """`path` as a Path, once it is known that geoleak may write its files there.

    An absent or empty folder is fine, and so is one geoleak wrote before (it holds
    `MARKER`); any other non-empty folder is refused unless `force`.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file; give a folder")
    if not folder.exists():
        _check_can_create_in(folder / "x", str(folder))
        return folder
    try:
        busy = next(folder.iterdir(), None) is not None
    except OSError as exc:
        raise OutputError(f"{folder}: cannot read: {exc.strerror or exc}") from None
    if busy and not force and not (folder / MARKER).is_file():
        raise OutputError(
            f"{folder}: folder is not empty and geoleak did not write it; "
            "use --force to write into it"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: cannot write: folder is not writable")
    return folder


def make_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create the output folder (and its parents); OutputError naming it when that fails."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{folder}: cannot create the output folder: {exc.strerror or exc}"
        ) from exc
    return folder


def mark_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create the folder (if needed) and leave the marker saying geoleak wrote it."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / MARKER
        if not marker.is_file():
            marker.write_text(
                "Written by geoleak: a later geoleak run may replace the files here.\n",
                encoding="utf-8",
            )
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write: {exc.strerror or exc}") from None
    return folder


class StagedDir:
    """The folder a command writes its pages into (`path`, beside `target`), and the
    names they get in `target` once the run is done (`published`)."""

    def __init__(self, path: Path, target: Path) -> None:
        self.path = path
        self.target = target

    def published(self, paths: Iterable[Path]) -> list[Path]:
        return [self.target / Path(p).relative_to(self.path) for p in paths]


# A staging folder is `.<name>.geoleak-tmp-<random>` beside its target while a run holds
# an exclusive flock on it; it is made as `.<name>.geoleak-new-<random>` and renamed once
# locked, so a folder under the `-tmp-` name whose lock is free is one whose run died.
_STAGE_NEW = ".geoleak-new-"
_STAGE_LIVE = ".geoleak-tmp-"
_STAGE_RANDOM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")  # tempfile's names


def _stage_prefix(target: Path) -> str:
    return f".{target.name[:40]}"


@contextmanager
def staged_output_dir(path: str | os.PathLike[str]) -> Iterator[StagedDir]:
    """A folder of pages written whole or not at all: the command writes into a hidden
    folder beside `path` (same parent, so relative links from the pages are the same),
    whose files are renamed into `path` (marked as geoleak's) when the block ends; on any
    failure or interruption (Ctrl-C) it is removed and `path` is left as it was, not
    half new (a map page of this run beside one of the last, an index without its report).

    A run killed outright (SIGKILL, a power cut) cannot remove its staging folder; the
    next run for the same `path` does (`remove_stale_stages`), never one a live run holds.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    remove_stale_stages(target)
    stage, lock_fd = _new_stage(target)
    try:
        yield StagedDir(stage, target)
        mark_output_dir(target)
        try:
            _move_into(stage, target)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if lock_fd is not None:
            os.close(lock_fd)  # (the lock goes with it, after the folder is gone)


def _new_stage(target: Path) -> tuple[Path, int | None]:
    """A new, empty staging folder for `target`, locked (`_STAGE_LIVE` name), and the
    descriptor that holds its lock (None where flock is not available)."""
    prefix = _stage_prefix(target)
    try:
        made = Path(tempfile.mkdtemp(prefix=prefix + _STAGE_NEW, dir=target.parent))
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    stage = made.with_name(prefix + _STAGE_LIVE + made.name[len(prefix + _STAGE_NEW) :])
    lock_fd: int | None = None
    try:
        if fcntl is not None:
            lock_fd = os.open(made, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(made, stage)
    except OSError as exc:
        if lock_fd is not None:
            os.close(lock_fd)
        shutil.rmtree(made, ignore_errors=True)
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return stage, lock_fd


def remove_stale_stages(target: Path) -> list[Path]:
    """Remove the staging folders of `target` that runs killed outright left beside it,
    and return them.

    Only folders named as `staged_output_dir` names them (`.<name>.geoleak-tmp-` and
    tempfile's random suffix), owned by this user, not symlinks, and whose lock no live
    run holds (a concurrent run for the same target keeps its folder): never a user's
    file. Nothing is removed where flock is not available (live and dead look alike).
    """
    if fcntl is None:
        return []
    prefix = _stage_prefix(target) + _STAGE_LIVE
    removed: list[Path] = []
    try:
        names = [n for n in os.listdir(target.parent or ".") if n.startswith(prefix)]
    except OSError:
        return []
    for name in names:
        suffix = name[len(prefix) :]
        if not suffix or not set(suffix) <= _STAGE_RANDOM:
            continue
        stale = target.parent / name
        try:
            fd = os.open(stale, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            continue  # a symlink, a file, gone already
        try:
            info = os.fstat(fd)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live run's
            now = os.lstat(stale)
            if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
                continue  # replaced since it was opened
            shutil.rmtree(stale, ignore_errors=True)
            if not stale.exists():
                removed.append(stale)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def _move_into(source: Path, target: Path) -> None:
    """Rename every file under `source` to the same place under `target` (replacing it)."""
    for entry in sorted(source.iterdir()):
        there = target / entry.name
        if entry.is_dir() and not entry.is_symlink():
            if there.is_dir() and not there.is_symlink():
                _move_into(entry, there)
                continue
            if there.exists() or there.is_symlink():
                there.unlink()
        elif there.is_dir() and not there.is_symlink():
            shutil.rmtree(there)
        os.replace(entry, there)


@contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "w", *, newline: str | None = None
) -> Iterator[IO[str]]:
    """A text handle on a temporary file beside `path`, renamed over `path` on success
    and removed on failure (UTF-8, unencodable characters backslash-escaped). A character
    device or FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written straight into."""
    if mode not in ("w", "wt"):
        raise ValueError(f"atomic_open writes text only, not mode {mode!r}")
    target = Path(path)
    if _is_stream(target, str(target)):
        try:
            with open(target, "w", encoding="utf-8", errors=ENCODING_ERRORS,
                      newline=newline) as stream:  # fmt: skip
                yield stream
        except OSError as exc:
            raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(
            fd, "w", encoding="utf-8", errors=ENCODING_ERRORS, newline=newline
        ) as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
        raise


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, newline: str | None = None
) -> Path:
    """Write `text` to `path` whole or not at all (see `atomic_open`)."""
    with atomic_open(path, newline=newline) as handle:
        handle.write(text)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` whole or not at all."""
    target = Path(path)
    try:
        if _is_stream(target, str(target)):
            with open(target, "wb") as stream:
                stream.write(data)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o666 & ~_UMASK)
            os.replace(tmp, target)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return target


def _umask() -> int:
    """The process umask (read by setting and restoring it: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once, at import, while no other thread runs: temporary files are created 0600 and
# get the permissions a plain open() would have given them.
_UMASK = _umask()
