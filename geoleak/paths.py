"""Walking and opening the user's files safely, once for every reader.

- `open_regular` never blocks on a FIFO or a device named like a photo: it opens without
  blocking and refuses anything but a regular file.
- `walk_files` lists a tree in a stable order without following symlinks (so no loop),
  skips hidden entries and everything that is not a regular file, and turns every
  listing error (permission denied, a folder removed meanwhile, a name the file system
  refuses) into one warning naming the folder; the walk goes on.

- `shown_path` names a file in an output the way the user knows it: relative to the input
  as it was typed (`photos/2023/a.jpg`), a file read from a zip archive as
  `takeout.zip!/Takeout/.../a.jpg`, never the temporary folder it was extracted to. The
  readers register their inputs (`PathNames.add_input`, `add_archive`); each CLI command
  runs in a fresh `PathNames` scope, and `--absolute-paths` makes it show absolute paths.

File names are `str` as `os` gives them: bytes that are not UTF-8 are carried as surrogate
escapes (PEP 383); outputs write them escaped (see `geoleak.outputs`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from geoleak.diagnostics import Diagnostics

__all__ = [
    "ARCHIVE_SEPARATOR",
    "GENERATED_DEMO",
    "NotRegularFileError",
    "PathNames",
    "file_kind",
    "open_regular",
    "path_names",
    "showing_paths",
    "shown_path",
    "walk_files",
]


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
            diag.warn(
                f"{shown_path(root)}: cannot read ({exc.strerror or exc}); skipped",
                kind="unreadable",
            )
        return
    if not stat.S_ISDIR(info.st_mode):
        if stat.S_ISREG(info.st_mode):
            if accept(root.name):
                yield root
        elif diag is not None:
            diag.warn(
                f"{shown_path(root)}: {file_kind(info.st_mode)}, not a regular file; skipped",
                kind="unreadable",
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
                f"{shown_path(folder)}: cannot list folder ({exc.strerror or exc}); skipped",
                kind="unreadable",
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
                    f"{shown_path(entry.path)}: cannot read ({exc.strerror or exc}); skipped",
                    kind="unreadable",
                )
            continue
        if not accept(name):
            continue
        if regular:
            yield Path(entry.path)
        elif diag is not None:
            diag.warn(
                f"{shown_path(entry.path)}: {file_kind(mode)}, not a regular file; skipped",
                kind="unreadable",
            )
    if max_depth is not None and depth >= max_depth:  # files at max_depth, nothing deeper
        return
    for sub in subfolders:
        yield from _walk(sub, diag, accept, max_depth, hidden, depth + 1)


# --- naming files in outputs ----------------------------------------------------------

ARCHIVE_SEPARATOR = "!/"  # takeout.zip!/Takeout/... : a member inside an archive
GENERATED_DEMO = "generated-demo"  # how outputs name the demo unit generated in a temp folder


def _variants(path: str | os.PathLike[str]) -> set[str]:
    """The absolute spellings a path may come back as: as given made absolute, and with
    every symlink resolved (readers hand out resolved media paths)."""
    raw = os.fspath(path)
    out = {os.path.abspath(raw)}
    with suppress(OSError, ValueError):
        out.add(os.path.realpath(raw))
    return {p.rstrip(os.sep) or os.sep for p in out}


@dataclass(frozen=True, slots=True)
class _Root:
    shown: str  # as the user typed it (or the name geoleak gives its own folder)
    shown_absolute: str
    archive: bool = False
    member_part: Mapping[str, str] = field(default_factory=dict)
    temporary: bool = False  # a folder geoleak made, removed when the command ends


class PathNames:
    """How outputs name the user's files (see `shown_path`).

    `absolute=False` (the default): a file under an input is shown under the input as
    the user typed it; a file extracted from an archive as `ARCHIVE.zip!/member`; any
    other absolute path under the working folder relative to it. `absolute=True`: real
    absolute paths, and `/abs/ARCHIVE.zip!/member` for archive members. The temporary
    folder an archive was extracted into is never shown.
    """

    def __init__(self, *, absolute: bool = False) -> None:
        self.absolute = absolute
        self._roots: dict[str, _Root] = {}  # absolute real folder or file -> its names

    def add_input(self, typed: str | os.PathLike[str]) -> None:
        """An input path as the user typed it (a file or a folder). One inside a folder
        already known (another input, the demo's folder) keeps that folder's naming."""
        shown = os.fspath(typed)
        shown = shown.rstrip(os.sep) or shown
        for real in _variants(typed):
            if self._root_of(real) is None:
                self._roots[real] = _Root(shown, real)

    def add_folder(self, real: str | os.PathLike[str], shown: str) -> None:
        """A folder geoleak made itself (the demo's scenario), shown as `shown` always."""
        for variant in _variants(real):
            self._roots[variant] = _Root(shown, shown, temporary=True)

    def add_archive(
        self,
        extracted: str | os.PathLike[str],
        parts: Sequence[str | os.PathLike[str]],
        member_part: Mapping[str, str] | None = None,
    ) -> None:
        """The folder an archive (or the parts of a split export) was extracted into.
        `member_part` maps a member ('/'-separated path inside the archive) to the part
        that held it; a member it lacks is shown inside the first part."""
        first = os.fspath(parts[0])
        root = _Root(first, os.path.abspath(first), True, dict(member_part or {}), True)
        for variant in _variants(extracted):
            self._roots[variant] = root

    def __call__(self, path: str | os.PathLike[str] | None) -> str:
        """`path` as outputs show it ('' for None)."""
        if path is None:
            return ""
        raw = os.fspath(path)
        if not raw:
            return raw
        absolute = os.path.abspath(raw)
        found = self._root_of(absolute)
        if found is not None:
            real, root = found
            return self._under(root, os.path.relpath(absolute, real))
        if self.absolute:
            return absolute
        here = os.getcwd().rstrip(os.sep) + os.sep
        if os.path.isabs(raw) and absolute.startswith(here):
            return os.path.relpath(absolute, here)
        return raw

    def extracted_from(self, archive: str | os.PathLike[str]) -> list[str]:
        """The folders the archive `archive` (an input as typed, or one part of a split
        export) was extracted to in this scope, while they exist."""
        wanted = os.path.abspath(os.fspath(archive))
        found = []
        for real, root in self._roots.items():
            parts = {root.shown_absolute, *map(os.path.abspath, root.member_part.values())}
            if root.archive and wanted in parts and os.path.isdir(real) and real not in found:
                found.append(real)
        return found[:1]  # (one folder, however many spellings of it are known)

    def lasting(self, path: str | os.PathLike[str]) -> str:
        """`path` as data kept beyond this command names it (the evidence store): the
        absolute path, `/abs/ARCHIVE.zip!/member` inside an archive, never a temporary
        folder, whatever --absolute-paths says."""
        absolute, self.absolute = self.absolute, True
        try:
            return self(path)
        finally:
            self.absolute = absolute

    def temporary(self, path: str | os.PathLike[str]) -> bool:
        """True for a file in a folder geoleak made for this command (an extracted archive,
        the generated demo): outputs must not link to it, it will be gone."""
        found = self._root_of(os.path.abspath(os.fspath(path)))
        return found is not None and found[1].temporary

    def _root_of(self, absolute: str) -> tuple[str, _Root] | None:
        """The innermost known path holding `absolute` (itself included), and its names."""
        probe = absolute
        while True:
            root = self._roots.get(probe)
            if root is not None:
                return probe, root
            parent = os.path.dirname(probe)
            if parent == probe:
                return None
            probe = parent

    def _under(self, root: _Root, inside: str) -> str:
        base = root.shown_absolute if self.absolute else root.shown
        if root.archive:
            member = "" if inside == os.curdir else inside.replace(os.sep, "/")
            part = root.member_part.get(member)
            if part is not None:
                base = os.path.abspath(part) if self.absolute else part
            return base + ARCHIVE_SEPARATOR + member if member else base
        return base if inside == os.curdir else os.path.join(base, inside)


_NAMES: ContextVar[PathNames | None] = ContextVar("geoleak_path_names", default=None)
_DEFAULT_NAMES = PathNames()


def path_names() -> PathNames:
    """The `PathNames` of the current scope (a process-wide default outside any)."""
    return _NAMES.get() or _DEFAULT_NAMES


def shown_path(path: str | os.PathLike[str] | None) -> str:
    """`path` as every output shows it: see `PathNames`."""
    return path_names()(path)


@contextmanager
def showing_paths(*, absolute: bool = False) -> Iterator[PathNames]:
    """A fresh naming scope (one per CLI command): inputs registered inside it are known
    only inside it."""
    names = PathNames(absolute=absolute)
    token = _NAMES.set(names)
    try:
        yield names
    finally:
        _NAMES.reset(token)
