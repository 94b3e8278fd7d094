"""Safe extraction of export archives (zip) into a temporary folder.

Platform exports arrive as zip files, and a zip is untrusted input: an entry may try to
escape the target folder (`../../.bashrc`, zip slip), name an absolute path, be a symbolic
link, or be a bomb that inflates a few kilobytes into terabytes. Every entry is checked
before anything is written; one unsafe entry refuses the whole archive with a message
naming it. Extraction goes only into a fresh temporary folder that is removed afterwards,
and the bytes actually written are counted (headers can lie about sizes).

Google Takeout splits large exports into `takeout-...-001.zip`, `-002.zip`, ...; a photo
and its `.json` sidecar may land in different parts, so parts of one export are extracted
into the same folder (see `group_archive_parts`).
"""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from geoleak.errors import ArchiveError
from geoleak.paths import path_names, shown_path

__all__ = [
    "ArchiveLimits",
    "check_archive",
    "extract_archives",
    "group_archive_parts",
    "is_archive",
]

_PART = re.compile(r"^(?P<stem>.+)-(?P<part>\d{1,4})$")


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Limits against zip bombs.

    `max_total_bytes`: uncompressed size of all entries together (default 64 GiB, larger
    than any real export part). `max_ratio`: uncompressed/compressed size of one entry above
    which it is refused, once the entry is larger than `ratio_min_bytes` (tiny files compress
    well legitimately). `max_entries`: number of entries.
    """

    max_total_bytes: int = 64 * 1024**3
    max_ratio: float = 200.0
    ratio_min_bytes: int = 1024 * 1024
    max_entries: int = 2_000_000


def is_archive(path: Path) -> bool:
    """A zip file (by name and magic bytes)."""
    return path.is_file() and path.suffix.lower() == ".zip" and zipfile.is_zipfile(path)


def damaged_zip(path: Path) -> str | None:
    """Why a file that starts as a zip archive cannot be opened as one (a download cut
    short, a part of a multi-part export), or None when it is not such a file. A zip's
    directory is at its end, so a truncated archive starts with an entry's header
    (`PK\\x03\\x04`) but `zipfile` finds no archive."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return None
    if head != b"PK\x03\x04" or zipfile.is_zipfile(path):
        return None
    return "it starts as a zip archive but has no zip directory at its end"


def _entry_problem(info: zipfile.ZipInfo, limits: ArchiveLimits) -> str | None:
    name = info.filename
    if "\x00" in name:
        return "name contains a NUL byte"
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute():
        return "absolute path"
    if PureWindowsPath(name).drive:
        return "path with a drive letter"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return "path leaves the extraction folder (zip slip)"
    mode = info.external_attr >> 16
    file_type = stat.S_IFMT(mode)  # 0 when the archiver stored permission bits only
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if file_type and file_type not in (stat.S_IFREG, stat.S_IFDIR):
        return "special file (device, fifo or socket)"
    if info.flag_bits & 0x1:
        return "encrypted entry"
    if info.file_size > limits.ratio_min_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            return f"compression ratio {ratio:.0f}:1 exceeds {limits.max_ratio:.0f}:1 (zip bomb?)"
    return None


def check_archive(path: Path, limits: ArchiveLimits | None = None) -> list[zipfile.ZipInfo]:
    """The archive's entries, after checking every one; raises ArchiveError when unsafe."""
    limits = limits or ArchiveLimits()
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"{shown_path(path)}: not a readable zip archive ({exc})") from None
    if len(infos) > limits.max_entries:
        raise ArchiveError(
            f"{shown_path(path)}: {len(infos)} entries exceed the limit of {limits.max_entries}; refused"
        )
    total = 0
    for info in infos:
        problem = _entry_problem(info, limits)
        if problem is not None:
            raise ArchiveError(
                f"{shown_path(path)}: entry {info.filename!r}: {problem}; archive refused"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveError(
                f"{shown_path(path)}: uncompressed size exceeds {limits.max_total_bytes} bytes "
                "(zip bomb?); archive refused"
            )
    return infos


def _extract_into(
    path: Path, target: Path, limits: ArchiveLimits, written: list[int], owners: dict[str, str]
) -> None:
    infos = check_archive(path, limits)
    target_resolved = target.resolve()
    chunk = 1024 * 1024
    with zipfile.ZipFile(path) as archive:
        for info in infos:
            rel = PurePosixPath(info.filename.replace("\\", "/"))
            dest = (target / rel).resolve()
            try:
                dest.relative_to(target_resolved)
            except ValueError:
                raise ArchiveError(
                    f"{shown_path(path)}: entry {info.filename!r} leaves the extraction folder; archive refused"
                ) from None
            try:
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise ArchiveError(
                    f"{shown_path(path)}: entry {info.filename!r} is both a file and a folder; archive refused"
                ) from None
            entry_bytes = 0
            try:
                with archive.open(info) as src, dest.open("xb") as out:
                    while block := src.read(chunk):
                        entry_bytes += len(block)
                        written[0] += len(block)
                        if entry_bytes > info.file_size or written[0] > limits.max_total_bytes:
                            raise ArchiveError(
                                f"{shown_path(path)}: entry {info.filename!r} inflates beyond its declared "
                                "size or the total limit (zip bomb?); archive refused"
                            )
                        out.write(block)
                owners[rel.as_posix()] = str(path)
            except FileExistsError:
                # The same path in two parts of a split export: the first copy is kept.
                continue
            except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
                if isinstance(exc, ArchiveError):
                    raise
                raise ArchiveError(
                    f"{shown_path(path)}: entry {info.filename!r} cannot be read ({exc})"
                ) from None


def group_archive_parts(paths: Sequence[Path]) -> list[list[Path]]:
    """Group `x-001.zip`, `x-002.zip` (parts of one split export) together, keeping order."""
    groups: dict[tuple[Path, str], list[Path]] = {}
    order: list[tuple[Path, str]] = []
    for path in paths:
        match = _PART.match(path.stem)
        key = (path.parent, match["stem"]) if match else (path.parent, "\x00" + path.name)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(path)
    return [sorted(groups[key]) for key in order]


@contextmanager
def extract_archives(paths: Sequence[Path], limits: ArchiveLimits | None = None) -> Iterator[Path]:
    """Extract one archive (or the parts of one split export) into a temporary folder.

    Yields the folder `<tmp>/<name>`, where `name` is the archive's name without `.zip`
    (and without the part number), so readers that name the person after the input see
    the archive's name. The temporary folder is removed on exit, also after an error.
    """
    if not paths:
        raise ArchiveError("no archive given")
    limits = limits or ArchiveLimits()
    first = paths[0]
    match = _PART.match(first.stem)
    name = match["stem"] if match and len(paths) > 1 else first.stem
    tmp = tempfile.mkdtemp(prefix="geoleak-")
    try:
        root = Path(tmp) / (name or "archive")
        root.mkdir()
        written = [0]
        owners: dict[str, str] = {}  # member -> the part that held it
        for path in paths:
            _extract_into(path, root, limits, written, owners)
        # outputs name these files `archive.zip!/member`, never by the temporary folder
        path_names().add_archive(root, paths, owners if len(paths) > 1 else None)
        yield root
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
