"""Scanning many media files: parallel, ordered, memory-flat.

`scan_paths` reads every media file under the given files and folders with `read_media`
in worker processes (both cores by default) and yields the records in input order. Paths
are sent to the workers in chunks, with only a few chunks in flight, so memory does not
grow with the number of files; the folder walk itself is lazy.

`scan_record` turns a record into the flat dictionary of formats.md section 4 (the JSONL
and CSV rows of `geoleak scan`), and `ScanSummary` counts what a scan found.
`ContentDuplicates` counts files whose content another file of the scan has already.
"""

from __future__ import annotations

import itertools
import json
import os
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from geoleak.children import available_cpus, pool_context, worker_start
from geoleak.extract.media import read_media, read_media_digest
from geoleak.fileid import digest_of, file_edges, same_edges
from geoleak.mediatypes import MEDIA_EXTENSIONS, SIDECAR_EXTENSIONS, orphan_companions
from geoleak.types import MediaMeta

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = [
    "SCAN_FIELDS",
    "ContentDuplicates",
    "ScanSummary",
    "Skipped",
    "iter_scan_targets",
    "jsonl_line",
    "scan_converted",
    "scan_paths",
    "scan_record",
    "skip_reason",
]

SCAN_EXTENSIONS = MEDIA_EXTENSIONS | SIDECAR_EXTENSIONS
CHUNK_SIZE = 64  # files per task sent to a worker
IN_FLIGHT_PER_WORKER = 4  # chunks queued per worker: keeps both cores busy, memory flat
PARALLEL_MIN_FILES = 2 * CHUNK_SIZE  # below this a pool costs more than it saves

SCAN_FIELDS = (
    "path", "format", "lat", "lon", "alt_m", "capture_time", "gps_time", "accuracy_m",
    "direction_deg", "make", "model", "serial", "lens", "software", "position_source",
    "warnings", "error",
)  # fmt: skip

Progress = Callable[[int], None]
T = TypeVar("T")
# (path to read, path to show); with the file's size and the first file of that size when
# the duplicate count needs to know whether it is a copy (`ContentDuplicates.want`)
Target = tuple[str, str] | tuple[str, str, int, str]
Identity = str | bool | None  # a digest, True (a copy of the first file of its size), None


def iter_scan_targets(
    paths: Sequence[str | os.PathLike[str]],
    *,
    relative: bool | None = None,
    absolute: bool = False,
) -> Iterator[tuple[str, str]]:
    """(path to read, path to show) of every media file under `paths`, in a stable order.

    Folders are walked recursively in sorted order, and only files with a media or `.xmp`
    extension are taken, and the Takeout `.json` sidecars no photo's record reads
    (`_takeout_sidecars`), and a camera's proxies and thumbnails whose video is not in
    their folder (`mediatypes.orphan_companions`). Hidden entries and symlinks are not read but reported: their
    records say why (`skip_reason`). A file named
    directly is always taken. The shown path is relative to the root when one folder was
    given (formats.md section 4), else the path under the root as given; `relative`
    forces either. `absolute` shows absolute paths instead (scan --absolute-paths).
    """
    single_root = len(paths) == 1 if relative is None else relative
    for given in paths:
        root = os.fspath(given)
        if not os.path.isdir(root):
            shown = os.path.abspath(root) if absolute else root
            if root.lower().endswith(".zip") and zipfile.is_zipfile(root):
                # (scan reads files in place; infer, audit and report read a zip's)
                yield Skipped("skipped: a zip archive: unpack it, then scan the folder"), shown
                continue
            yield root, shown
            continue
        if absolute:
            prefix = os.path.abspath(root).rstrip(os.sep) + os.sep
        else:
            prefix = "" if single_root else root.rstrip(os.sep) + os.sep
        yield from _walk(root, prefix, os.path.realpath(root))


class Skipped(str):
    """A target that is reported, not read: the string is the reason."""

    __slots__ = ()


def skip_reason(path: str, root_real: str, *, is_dir: bool = False) -> str | None:
    """Why a walk does not read `path` (hidden, a symlink), or None to read it.

    A symlink is never followed: one to a file inside the folder is read where it lies,
    one to outside the folder is not read at all (it may be someone else's).
    """
    name = os.path.basename(path)
    if os.path.islink(path):
        target = os.path.realpath(path)
        if target == root_real or target.startswith(root_real.rstrip(os.sep) + os.sep):
            return "skipped: symlink to a file in the folder (read where it lies)"
        return "skipped: symlink to outside the folder"
    if name.startswith("."):
        what = "folder" if is_dir else "file"
        return f"skipped: hidden {what} (name it directly to read it)"
    return None


def _walk(folder: str, shown_prefix: str, root_real: str) -> Iterator[tuple[str, str]]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:  # reported as one record naming the folder; the walk goes on
        shown = shown_prefix or folder.rstrip(os.sep) + os.sep
        yield Skipped(f"skipped: cannot list folder ({exc.strerror or exc})"), shown
        return
    subfolders = []
    # a Takeout sidecar no photo reads, and a camera's proxy whose video is not here
    sidecars = _takeout_sidecars(entries) | orphan_companions([e.name for e in entries])
    for entry in entries:
        name = entry.name
        if name.startswith("._") or name in (".DS_Store", ".git"):
            continue  # AppleDouble resource forks, Finder and git files: never media
        try:
            is_dir = entry.is_dir()
            media = os.path.splitext(name)[1].lower() in SCAN_EXTENSIONS or name in sidecars
            if name.startswith(".") or entry.is_symlink():
                if media or is_dir:
                    reason = skip_reason(entry.path, root_real, is_dir=is_dir)
                    suffix = "/" if is_dir else ""
                    yield Skipped(reason or "skipped"), shown_prefix + name + suffix
                continue
            if is_dir:
                subfolders.append(entry)
                continue
            if not entry.is_file():  # FIFOs, sockets, devices
                continue
        except OSError:
            continue
        if media:
            yield entry.path, shown_prefix + name
    for entry in subfolders:
        yield from _walk(entry.path, shown_prefix + entry.name + "/", root_real)


def _takeout_sidecars(entries: list[os.DirEntry[str]]) -> frozenset[str]:
    """The Google Takeout `.json` sidecars of a folder that no photo's record reads: one
    whose photo is not in the export (Takeout often leaves media out), or one named by
    Takeout's quirks (`IMG_1.jpg(1).json`); its position leaks on its own. A photo reads
    the sidecar named `IMG_1.jpg.json` or `IMG_1.jpg.supplemental-metadata.json` itself
    (`extract.media`). Sidecars are told by their content, as the Takeout reader tells them."""
    jsons = [
        e
        for e in entries
        if e.name.lower().endswith(".json") and not e.name.startswith(".") and not e.is_symlink()
    ]
    if not jsons:
        return frozenset()
    from geoleak.ingest.takeout import is_sidecar

    read_by_photo = {
        f"{e.name}{tail}"
        for e in entries
        if os.path.splitext(e.name)[1].lower() in MEDIA_EXTENSIONS
        for tail in (".json", ".supplemental-metadata.json")
    }
    return frozenset(
        e.name for e in jsons if e.name not in read_by_photo and is_sidecar(Path(e.path))
    )


def _read_chunk(
    chunk: list[Target], convert: Callable[[MediaMeta], T]
) -> tuple[list[T], list[Identity] | None]:
    """The converted records of a chunk, and the identities of the files the duplicate
    count asked about (targets with a size and a first file: `ContentDuplicates.want`)."""
    records: list[T] = []
    digests: list[Identity] | None = None
    for target in chunk:
        path, shown = target[0], target[1]
        if isinstance(path, Skipped):
            records.append(convert(MediaMeta(path=shown, error=str(path))))
        elif len(target) > 2:
            meta, digest = read_media_digest(path, display_path=shown, like=target[3])
            records.append(convert(meta))
            if digests is None:
                digests = []
            digests.append(digest)
        else:
            records.append(convert(read_media(path, display_path=shown)))
    return records, digests


def _identity(meta: MediaMeta) -> MediaMeta:
    return meta


def _chunks(targets: Iterable[Target], size: int) -> Iterator[list[Target]]:
    chunk: list[Target] = []
    for target in targets:
        chunk.append(target)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def scan_paths(
    paths: Iterable[str | os.PathLike[str]] | Iterable[tuple[str, str]],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[MediaMeta]:
    """Records of every media file under `paths`, in input order.

    `paths` are files and folders (walked with `iter_scan_targets`), or already expanded
    (path, shown path) pairs. `workers` is the number of processes (default: all CPUs;
    1 reads in this process). `progress` is called with the number of files just read.
    Reading never raises for a file's content: problems are in each record.
    """
    return scan_converted(
        paths, _identity, workers=workers, progress=progress, chunk_size=chunk_size
    )


def scan_converted(
    paths: Iterable[str | os.PathLike[str]] | Iterable[tuple[str, str]],
    convert: Callable[[MediaMeta], T],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
    duplicates: ContentDuplicates | None = None,
) -> Iterator[T]:
    """Like `scan_paths`, with `convert` (a module-level function) applied to each record
    in the worker, so that only its (smaller) result crosses between processes.

    `duplicates` counts the files whose content an earlier one has; a file that must be
    hashed for it is hashed by the worker that reads it, from the bytes it reads anyway.
    """
    targets: Iterable[Target] = _as_targets(paths)
    if duplicates is not None:
        targets = duplicates.watch(targets)
    workers = available_cpus() if workers is None else max(1, workers)
    chunks = _chunks(targets, chunk_size)
    # look ahead: a small scan is read here, without the cost of starting processes
    first: list[list[Target]] = []
    for chunk in chunks:
        first.append(chunk)
        if len(first) * chunk_size >= PARALLEL_MIN_FILES:
            break
    if workers == 1 or sum(len(c) for c in first) < PARALLEL_MIN_FILES:
        for chunk in _chain(first, chunks):
            yield from _settled(chunk, _read_chunk(chunk, convert), duplicates, progress)
        return
    # (imported here: a scan read in one process does not pay for multiprocessing)
    from concurrent.futures import ProcessPoolExecutor

    limit = workers * IN_FLIGHT_PER_WORKER
    pending: deque[tuple[list[Target], Future[ChunkResult[T]]]] = deque()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=pool_context(), initializer=worker_start
    ) as pool:
        for chunk in _chain(first, chunks):
            pending.append((chunk, pool.submit(_read_chunk, chunk, convert)))
            while len(pending) >= limit:
                done, future = pending.popleft()
                yield from _settled(done, future.result(), duplicates, progress)
        while pending:
            done, future = pending.popleft()
            yield from _settled(done, future.result(), duplicates, progress)


ChunkResult = tuple[list[T], list[Identity] | None]


def _settled(
    chunk: list[Target],
    result: ChunkResult[T],
    duplicates: ContentDuplicates | None,
    progress: Progress | None,
) -> list[T]:
    """A chunk's records, once its digests are counted (in input order) and its
    progress reported."""
    records, digests = result
    if digests is not None and duplicates is not None:
        sizes = [target[2] for target in chunk if len(target) > 2]
        for size, digest in zip(sizes, digests, strict=True):
            duplicates.settle(size, digest)
    if progress is not None:
        progress(len(records))
    return records


def _as_targets(
    paths: Iterable[str | os.PathLike[str]] | Iterable[tuple[str, str]],
) -> Iterable[tuple[str, str]]:
    """(path, shown path) pairs from paths to walk or from pairs, read lazily."""
    if isinstance(paths, (list, tuple)):
        if all(isinstance(p, (str, os.PathLike)) for p in paths):
            return iter_scan_targets(paths)
        return paths
    items = iter(paths)
    first = next(items, None)
    if first is None:
        return ()
    rest = itertools.chain([first], items)
    if isinstance(first, (str, os.PathLike)):  # a stream of paths: shown as given
        return (t for p in rest for t in iter_scan_targets([p], relative=False))  # type: ignore[list-item]
    return rest  # type: ignore[return-value]


def _chain(first: list[list[Target]], rest: Iterator[list[Target]]) -> Iterator[list[Target]]:
    yield from first
    yield from rest


class ContentDuplicates:
    """Counts the files of a scan whose content an earlier file has (a photo copied into
    two albums or folders), by the identity infer's dedupe uses (`media_digest`: size plus
    SHA-256 of the first and last 64 KiB).

    Only a file whose size another file has already is looked at: a folder of distinct
    photos costs one `stat` per file. Such a file is first compared with the first file of
    its size (the bytes the identity covers, no hashing: copies of one photo cost a memory
    comparison); only one that differs from it is hashed, and its digest compared with those
    of the others that differed. Holds one path per distinct size and those digests.

    Sequentially: `note(path)` for each file. In a scan, `want(path)` says which files
    need a look, the reader of each tells (`read_media_digest(..., like=first)`), and
    `settle` counts the answers in the order the files were wanted.
    """

    def __init__(self) -> None:
        self.duplicates = 0  # files whose content an earlier file has
        self.compared = 0  # files compared with the first file of their size
        self.hashed = 0  # of those, files that differed from it and were hashed
        self._first: dict[int, str] = {}
        self._digests: dict[int, set[str]] = {}

    def note(self, path: str) -> None:
        """Count `path` (a regular file about to be read), reading it here if need be."""
        wanted = self.want(path)
        if wanted is not None:
            self.settle(wanted[0], _identity_of(path, wanted[1]))

    def want(self, path: str) -> tuple[int, str] | None:
        """(size, first file of that size) when `path` must be compared with that file,
        else None (no earlier file has its size)."""
        try:
            size = os.stat(path).st_size
        except OSError:
            return None  # the record will say why it could not be read
        if size == 0:
            return None  # an empty file is no copy of anything (its record says it is empty)
        first = self._first.setdefault(size, path)
        return None if first is path else (size, first)

    def settle(self, size: int, identity: Identity) -> None:
        """Count the answer for a file of `size` that `want` asked about: True when it is a
        copy of the first file of its size, else its digest (None: unreadable)."""
        self.compared += 1
        if identity is True:
            self.duplicates += 1
            return
        if not isinstance(identity, str):
            return
        self.hashed += 1
        digests = self._digests.setdefault(size, set())
        if identity in digests:
            self.duplicates += 1
        else:
            digests.add(identity)

    def watch(self, targets: Iterable[Target]) -> Iterator[Target]:
        """`targets` as they are, with the size and first file of each one to look at."""
        for target in targets:
            path, shown = target[0], target[1]
            wanted = None if isinstance(path, Skipped) else self.want(path)
            yield target if wanted is None else (path, shown, *wanted)


def _identity_of(path: str, first: str) -> Identity:
    """True when `path` has the identity of `first`, else its digest (None: unreadable)."""
    found = file_edges(path, keep=False)
    if found is None:
        return None
    size, covered = found
    if same_edges(size, covered, first):
        return True
    return digest_of(size, covered)


# -- records and summary --------------------------------------------------------------------
def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _round(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


def scan_record(meta: MediaMeta) -> dict[str, Any]:
    """The formats.md section 4 record of one file (JSON-ready values)."""
    position = meta.position
    return {
        "path": meta.path,
        "format": meta.format,
        "lat": position.lat if position is not None else None,
        "lon": position.lon if position is not None else None,
        "alt_m": _round(meta.alt_m, 3),
        "capture_time": _iso(meta.capture_time),
        "gps_time": _iso(meta.gps_time),
        "accuracy_m": _round(meta.accuracy_m, 3),
        "direction_deg": _round(meta.direction_deg, 3),
        "make": meta.make,
        "model": meta.model,
        "serial": meta.serial,
        "lens": meta.lens,
        "software": meta.software,
        "position_source": meta.position_source,
        "warnings": list(meta.warnings),
        "error": meta.error,
    }


Digest = tuple[str, bool, bool, int, bool, bool, str | None, str | None]


def summary_digest(meta: MediaMeta) -> Digest:
    """What `ScanSummary` counts of a record, small enough to cross processes cheaply."""
    rejected = meta.position is None and any("position" in w for w in meta.warnings)
    skipped = (meta.error or "").startswith("skipped:")
    return (
        meta.format or ("skipped" if skipped else "error" if meta.error else "unknown"),
        meta.error is not None and not skipped,
        meta.has_metadata,
        len(meta.warnings),
        meta.position is not None,
        rejected,
        (meta.position_source or "unknown") if meta.position is not None else None,
        meta.device,
    )


_encode = json.JSONEncoder(ensure_ascii=False).encode


def jsonl_line(meta: MediaMeta) -> tuple[str, Digest]:
    """A record as one JSONL line, with its summary digest (runs in the workers)."""
    return _encode(scan_record(meta)) + "\n", summary_digest(meta)


def csv_row(meta: MediaMeta) -> tuple[dict[str, Any], Digest]:
    """A record as a CSV row (warnings joined with ' | '), with its summary digest."""
    row = scan_record(meta)
    row["warnings"] = " | ".join(row["warnings"])
    return {k: ("" if v is None else v) for k, v in row.items()}, summary_digest(meta)


@dataclass
class ScanSummary:
    """Counts of a scan: files, with GPS, by format, warnings and errors."""

    files: int = 0
    with_gps: int = 0
    with_metadata: int = 0
    with_warnings: int = 0
    warnings: int = 0
    errors: int = 0
    rejected_positions: int = 0  # a position was present but rejected (Null Island, range)
    by_format: Counter[str] = field(default_factory=Counter)
    gps_by_format: Counter[str] = field(default_factory=Counter)
    by_position_source: Counter[str] = field(default_factory=Counter)
    devices: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0  # files whose content an earlier file of the scan has (ContentDuplicates)

    def add(self, meta: MediaMeta) -> None:
        self.add_digest(summary_digest(meta))

    def add_digest(self, digest: Digest) -> None:
        fmt, error, has_metadata, n_warnings, located, rejected, source, device = digest
        self.files += 1
        self.by_format[fmt] += 1
        self.errors += error
        self.with_metadata += has_metadata
        if n_warnings:
            self.with_warnings += 1
            self.warnings += n_warnings
        self.rejected_positions += rejected
        if located:
            self.with_gps += 1
            self.gps_by_format[fmt] += 1
            self.by_position_source[source or "unknown"] += 1
        if device:
            self.devices[device] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "with_gps": self.with_gps,
            "with_metadata": self.with_metadata,
            "with_warnings": self.with_warnings,
            "warnings": self.warnings,
            "errors": self.errors,
            "rejected_positions": self.rejected_positions,
            "duplicates": self.duplicates,
            "by_format": dict(self.by_format.most_common()),
            "gps_by_format": dict(self.gps_by_format.most_common()),
            "by_position_source": dict(self.by_position_source.most_common()),
            "devices": dict(self.devices.most_common(100)),
        }

    def lines(self) -> list[str]:
        """Plain sentences for the end of a scan."""
        share = f" ({100 * self.with_gps / self.files:.0f}%)" if self.files else ""
        out = [f"{_count(self.files, 'file')} read, {self.with_gps} with a GPS position{share}."]
        if self.by_format:
            parts = []
            for fmt, count in self.by_format.most_common():
                located = self.gps_by_format[fmt]
                parts.append(f"{fmt} {count}" + (f" ({located} located)" if located else ""))
            out.append("By format: " + ", ".join(parts) + ".")
        if self.by_position_source:
            out.append(
                "Positions from: "
                + ", ".join(f"{src} {n}" for src, n in self.by_position_source.most_common())
                + "."
            )
        if self.rejected_positions:
            out.append(
                f"{_count(self.rejected_positions, 'file')} had a position that was rejected "
                "(Null Island, out of range or malformed; see their warnings)."
            )
        out.append(
            f"{_count(self.with_warnings, 'file')} with warnings "
            f"({_count(self.warnings, 'warning')}), "
            f"{_count(self.errors, 'file')} could not be read."
        )
        if self.duplicates:
            out.append(
                f"{_count(self.duplicates, 'file')} "
                f"{'repeats' if self.duplicates == 1 else 'repeat'} the content of another file of the "
                "scan (copies under another name or folder; each is listed, infer counts them once)."
            )
        if self.devices:
            out.append(f"{len(self.devices)} distinct devices.")
        return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
