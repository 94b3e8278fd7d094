"""Walking and opening the user's files safely, once for every reader.

- `open_regular` never blocks on a FIFO or a device named like a photo: it opens without
  blocking and refuses anything but a regular file.
- `walk_files` lists a tree in a stable order without following symlinks (so no loop),
  skips hidden entries and everything that is not a regular file, and turns every
  listing error (permission denied, a folder removed meanwhile, a name the file system
  refuses) into one warning naming the folder; the walk goes on.

File names are `str` as `os` gives them: bytes that are not UTF-8 are carried as surrogate
escapes (PEP 383); outputs write them escaped (see `geoleak.outputs`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from geoleak.diagnostics import Diagnostics

__all__ = ["NotRegularFileError", "file_kind", "open_regular", "walk_files"]


class NotRegularFileError(OSError):
    """A path names a FIFO, a device, a socket or a folder where a file was expected."""


def file_kind(mode: int) -> str:
    """What a stat mode is, in words ("named pipe", "device", ...)."""
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    return "special file"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """`path` opened for binary reading; NotRegularFileError (an OSError) when it is not a
    regular file. A FIFO is never waited on: it is opened non-blocking and refused."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = file_kind(info.st_mode)
            raise NotRegularFileError(0, f"is a {kind}, not a regular file", os.fspath(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def walk_files(
    root: Path,
    diag: Diagnostics | None = None,
    *,
    accept: Callable[[str], bool] = lambda _name: True,
    max_depth: int | None = None,
    hidden: bool = False,
) -> Iterator[Path]:
    """Regular files under `root` whose name `accept`s, sorted, depth first.

    Hidden folders (".name") and macOS resource forks ("._name") are left out unless
    `hidden`. Symlinks below the root are neither followed nor listed; FIFOs, devices and sockets are skipped with
    a warning (when they would have been accepted); a folder that cannot be listed gives
    one warning and the walk goes on. `root` itself may be a file.
    """
    try:
        info = root.stat()  # the root the user named is followed if it is a link
    except OSError as exc:
        if diag is not None:
            diag.warn(f"{root}: cannot read ({exc.strerror or exc}); skipped", kind="unreadable")
        return
    if not stat.S_ISDIR(info.st_mode):
        if stat.S_ISREG(info.st_mode):
            if accept(root.name):
                yield root
        elif diag is not None:
            diag.warn(
                f"{root}: {file_kind(info.st_mode)}, not a regular file; skipped", kind="unreadable"
            )
        return
    yield from _walk(root, diag, accept, max_depth, hidden, 0)


def _walk(
    folder: Path,
    diag: Diagnostics | None,
    accept: Callable[[str], bool],
    max_depth: int | None,
    hidden: bool,
    depth: int,
) -> Iterator[Path]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        if diag is not None:
            diag.warn(
                f"{folder}: cannot list folder ({exc.strerror or exc}); skipped", kind="unreadable"
            )
        return
    subfolders: list[Path] = []
    for entry in entries:
        name = entry.name
        try:
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if hidden or not name.startswith("."):
                    subfolders.append(Path(entry.path))
                continue
            if not hidden and name.startswith("._"):  # macOS resource forks
                continue
            regular = entry.is_file(follow_symlinks=False)
            mode = 0 if regular else entry.stat(follow_symlinks=False).st_mode
        except OSError as exc:
            if diag is not None:
                diag.warn(
                    f"{entry.path}: cannot read ({exc.strerror or exc}); skipped", kind="unreadable"
                )
            continue
        if not accept(name):
            continue
        if regular:
            yield Path(entry.path)
        elif diag is not None:
            diag.warn(
                f"{entry.path}: {file_kind(mode)}, not a regular file; skipped", kind="unreadable"
            )
    if max_depth is not None and depth >= max_depth:  # files at max_depth, nothing deeper
        return
    for sub in subfolders:
        yield from _walk(sub, diag, accept, max_depth, hidden, depth + 1)
