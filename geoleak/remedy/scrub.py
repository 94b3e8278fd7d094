"""Lossless scrubbing of location (and, as asked, identifying data) from photos and videos.

Each file is copied to a temporary file beside its destination, cleaned there by
same-length patches (see model.py: no byte of image or video data moves), given the
original's modification time, then *verified*: it is parsed again and must hold no
position (geoleak's own rewriters look for every location field they know, and
`geoleak.extract.media.read_media` must find no position either). Only then is it renamed
onto the destination (`os.replace`, atomic on one file system). A file that cannot be
parsed or verified is reported and never written; originals are only replaced with
`in_place=True`, and then through the same verified atomic rename.
"""

from __future__ import annotations

import mmap
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from geoleak.children import available_cpus, pool_context, worker_start
from geoleak.diagnostics import Diagnostics
from geoleak.errors import OutputError, UsageError
from geoleak.extract.media import read_media
from geoleak.formats.location_files import JSON_POSITION_KEY
from geoleak.formats.sniff import LOCATION_FILE_FORMATS, sniff
from geoleak.mediatypes import (
    DOCUMENT_EXTENSIONS,
    MEDIA_EXTENSIONS,
    SIDECAR_EXTENSIONS,
    telemetry_beside,
)
from geoleak.outputs import check_output_file, writes_into
from geoleak.paths import file_kind
from geoleak.remedy.documents import document_findings
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.model import (
    LOCATING,
    Finding,
    NoPosition,
    Patch,
    ScanResult,
    ScrubOptions,
    Unsupported,
    note_text,
)
from geoleak.remedy.tiff import coarse_position
from geoleak.wording import count as count_of

__all__ = [
    "FileOutcome",
    "ScrubReport",
    "iter_input_files",
    "residual_location",
    "scan_file",
    "scrub_file",
    "scrub_paths",
]

PARALLEL_MIN_FILES = 24  # below this a pool of processes costs more than it saves
TMP_MARK = ".geoleak-tmp-"
CLEANED, UNCHANGED, WOULD_CLEAN, FAILED, SKIPPED = (
    "cleaned",
    "unchanged",
    "would-clean",
    "failed",
    "skipped",
)


@dataclass(slots=True)
class FileOutcome:
    """What happened to one input file."""

    source: str
    output: str | None
    status: str  # cleaned | unchanged | would-clean | failed | skipped
    format: str | None = None
    removed: list[Finding] = field(default_factory=list)
    kept: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        def finding(f: Finding) -> dict[str, Any]:
            return {"field": f.field, "kind": f.kind.value, "value": f.value}

        return {
            "source": self.source,
            "output": self.output,
            "status": self.status,
            "format": self.format,
            "removed": [finding(f) for f in self.removed],
            "kept": [finding(f) for f in self.kept],
            "notes": self.notes,
            "error": self.error,
        }


@dataclass(slots=True)
class ScrubReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    leftovers_removed: int = 0  # temporary files of an interrupted earlier run
    mode: str = "copy"  # "copy" (into -o), "in-place" or "dry-run": what a failure means
    coarsened: bool = False  # positions kept on a grid (--coarsen-km), the rest removed

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    @property
    def locations_removed(self) -> int:
        return sum(1 for o in self.outcomes if any(f.kind in LOCATING for f in o.removed))

    def summary_lines(self) -> list[str]:
        total_mb = sum(o.bytes for o in self.outcomes) / 1e6
        lines = [
            f"{count_of(len(self.outcomes), 'file')}: {self.count(CLEANED)} cleaned, "
            f"{self.count(UNCHANGED)} had nothing to remove, "
            f"{self.count(WOULD_CLEAN)} would be cleaned, "
            f"{self.count(FAILED)} could not be cleaned, {self.count(SKIPPED)} skipped (not media)",
            f"{count_of(self.locations_removed, 'file')} "
            + ("would have" if self.count(WOULD_CLEAN) else "had")
            + (
                " location data removed or coarsened"
                if self.coarsened
                else " location data removed"
            )
            + (f"; {total_mb:.1f} MB in {self.seconds:.2f} s" if self.seconds else ""),
        ]
        for o in self.outcomes:
            if o.status == SKIPPED and o.error and ("archive" in o.error or NO_POSITION in o.error):
                lines.append(f"skipped {o.source}: {o.error}")
        failed = {
            "copy": "NOT CLEANED (left out of the output)",
            "in-place": "NOT CLEANED (the original is left as it was)",
            "dry-run": "WOULD NOT BE CLEANED",
        }[self.mode]
        for o in self.failed:
            lines.append(f"{failed}: {o.source}: {o.error}")
        if self.leftovers_removed:
            lines.append(
                f"removed {self.leftovers_removed} temporary file(s) left by an interrupted run"
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "files": len(self.outcomes),
            "cleaned": self.count(CLEANED),
            "unchanged": self.count(UNCHANGED),
            "would_clean": self.count(WOULD_CLEAN),
            "failed": self.count(FAILED),
            "skipped": self.count(SKIPPED),
            "seconds": round(self.seconds, 3),
            "outcomes": [o.to_json() for o in self.outcomes],
        }


def _document_leak(path: Path) -> str:
    """Why a document (PDF, EPS, PostScript, Illustrator, Office, OpenDocument, EPUB) is left
    out of the output: its XMP or its embedded photos hold a location (geoleak does not write
    documents), or it cannot be read; "" for a document without a location (skipped as not
    media)."""
    try:
        findings = document_findings(path)
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    located = sorted({f.field for f in findings if f.kind in LOCATING})
    if not located:
        return ""
    return (f"a {path.suffix.lower()} document whose metadata or embedded photos hold a location"
            f" ({', '.join(located)}):"
            " geoleak does not write documents; remove its metadata in the program that"
            " made it")  # fmt: skip


def _map(path: Path) -> tuple[Any, bytes | mmap.mmap]:
    handle = path.open("rb")
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        return handle, b""
    return handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def scan_file(path: str | os.PathLike[str], options: ScrubOptions | None = None) -> ScanResult:
    """What a file holds and the patches that would clean it. Raises Unsupported."""
    handle, data = _map(Path(path))
    try:
        return scan_bytes(data, options or ScrubOptions(), suffix=Path(path).suffix.lower())
    finally:
        if isinstance(data, mmap.mmap):
            data.close()
        handle.close()


def residual_location(path: str | os.PathLike[str], coarsen_km: float | None = None) -> list[str]:
    """Location that remains in a file, as messages (empty when the file is clean).

    With `coarsen_km` a position is allowed if it lies on that coarse grid.
    """
    problems: list[str] = []
    try:
        scan = scan_file(path)
    except Unsupported as exc:
        return [f"cannot be parsed after cleaning: {exc}"]
    for finding in scan.location_findings:
        if (
            coarsen_km is not None
            and finding.position is not None
            and _close_to_grid(*finding.position, coarsen_km)
        ):
            continue
        problems.append(f"{finding.field} = {finding.value}")
    return problems + _read_position(path, coarsen_km)


def _read_position(path: str | os.PathLike[str], coarsen_km: float | None) -> list[str]:
    """The reader's view (read_media, as scan and infer read files): a position it finds."""
    meta = read_media(path)
    if meta.position is not None:
        p = meta.position
        if coarsen_km is None or not _close_to_grid(p.lat, p.lon, coarsen_km):
            return [f"read_media still finds a position ({meta.position_source}): {p}"]
    return []


def _close_to_grid(lat: float, lon: float, km: float) -> bool:
    c_lat, c_lon = coarse_position(lat, lon, km)
    return abs(c_lat - lat) < 1e-4 and abs(c_lon - lon) < 1e-4


_COPY_CHUNK = 8 << 20
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _write_patched(src: Path, dst: Path, scan: ScanResult, *, durable: bool) -> None:
    """Copy `src` to `dst` with the patches applied, in file order, so the original
    metadata bytes are never written: the unchanged stretches between patches are copied
    by the kernel (copy_file_range; big reads where it is missing), each patched stretch is
    written from memory. `durable` syncs to disk (before a rename replaces an original)."""
    src_fd = os.open(src, os.O_RDONLY | _CLOEXEC)
    try:
        dst_fd = os.open(dst, os.O_WRONLY | os.O_TRUNC | _CLOEXEC)
        try:
            size = os.fstat(src_fd).st_size
            pos = 0
            for start, block in _patched_stretches(src_fd, scan.patches, size):
                _copy_range(src_fd, dst_fd, pos, start)
                _write_all(dst_fd, block, start)
                pos = start + len(block)
            _copy_range(src_fd, dst_fd, pos, size)
            if durable:
                os.fsync(dst_fd)
        finally:
            os.close(dst_fd)
    finally:
        os.close(src_fd)


def _patched_stretches(src_fd: int, patches: list[Patch], size: int) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of each stretch of the file that patches touch, patched: overlapping
    patches are merged, a later one (by offset, then order given) winning where they meet."""
    ordered = sorted((p for p in patches if p.offset < size), key=lambda p: p.offset)
    i = 0
    while i < len(ordered):
        lo, hi = ordered[i].offset, min(ordered[i].end, size)
        j = i + 1
        while j < len(ordered) and ordered[j].offset < hi:
            hi = max(hi, min(ordered[j].end, size))
            j += 1
        block = bytearray(os.pread(src_fd, hi - lo, lo))
        for patch in ordered[i:j]:
            end = min(patch.end, size)
            block[patch.offset - lo : end - lo] = patch.data[: end - patch.offset]
        yield lo, bytes(block)
        i = j


def _copy_range(src_fd: int, dst_fd: int, start: int, end: int) -> None:
    """Copy bytes [start, end) of one file to the same offsets of another."""
    while start < end:
        done = 0
        if _copy_file_range is not None:
            try:
                done = _copy_file_range(src_fd, dst_fd, end - start, start, start)
            except OSError:  # another file system, an old kernel: copy by reading
                done = 0
        if done <= 0:
            chunk = os.pread(src_fd, min(_COPY_CHUNK, end - start), start)
            if not chunk:
                return  # the file shrank under us
            _write_all(dst_fd, chunk, start)
            done = len(chunk)
        start += done


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


_copy_file_range = getattr(os, "copy_file_range", None)


def _refuse_kept_positions(scan: ScanResult) -> None:
    """A position scrub would leave in place (a track file, a timed GPS stream) means the
    file is left out: scrub never copies a position silently."""
    kept = [f for f in scan.location_findings if not f.removed]
    if kept:
        what = "; ".join(f"{f.field}: {f.value}" if f.value else f.field for f in kept[:3])
        raise Unsupported(f"holds positions geoleak cannot remove ({what})")


def scrub_file(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    options: ScrubOptions | None = None,
    *,
    force: bool = False,
    dry_run: bool = False,
) -> FileOutcome:
    """Clean one file into `destination` (which may equal `source` to clean in place).

    Never raises for a problem with the file: the outcome says `failed` and why, and no
    output is written.
    """
    options = options or ScrubOptions()
    src, dst = Path(source), Path(destination)
    outcome = FileOutcome(str(src), str(dst), FAILED)
    in_place = src.resolve() == dst.resolve() if dst.exists() else False
    try:
        stat = src.stat()
        outcome.bytes = stat.st_size
    except OSError as exc:
        outcome.error = f"cannot read: {exc.strerror or exc}"
        return outcome
    flight = telemetry_note(src)
    if flight is not None:
        outcome.notes.append(flight)
    if in_place and stat.st_nlink > 1:
        outcome.notes.append(
            f"has {stat.st_nlink - 1} other hard link(s): they "
            + ("would keep" if dry_run else "keep")
            + " the original content"
        )
    if dry_run:
        try:
            scan = scan_file(src, options)
            _refuse_kept_positions(scan)
        except NoPosition as exc:
            return _holds_no_position(outcome, exc)
        except Unsupported as exc:
            outcome.error = f"cannot be cleaned: {exc}"
            return outcome
        except OSError as exc:
            outcome.error = f"cannot read: {exc.strerror or exc}"
            return outcome
        _fill(outcome, scan, dry_run=True)
        outcome.status = WOULD_CLEAN if scan.patches else UNCHANGED
        return outcome
    try:  # a FIFO, /dev/null, /dev/stdout: written into, as every command's -o FILE
        stream = not in_place and writes_into(dst)
    except OutputError as exc:  # a block device, a socket
        outcome.error = str(exc)
        outcome.output = None
        return outcome
    if dst.exists() and not in_place and not force and not stream:
        outcome.error = f"output {dst} exists (use --force to overwrite)"
        outcome.output = None
        return outcome
    if dst.exists() and not stream and not dst.is_file():  # never renamed over
        outcome.error = f"output {dst} is not a regular file; not replaced"
        outcome.output = None
        return outcome
    try:  # read first: a file that cannot be read is not a folder that cannot be written
        scan = scan_file(src, options)
    except NoPosition as exc:
        return _holds_no_position(outcome, exc)
    except Unsupported as exc:
        outcome.error = f"cannot be cleaned: {exc}"
        outcome.output = None
        return outcome
    except OSError as exc:
        outcome.error = f"cannot read: {exc.strerror or exc}"
        outcome.output = None
        return outcome
    try:
        if not stream:
            dst.parent.mkdir(parents=True, exist_ok=True)
        # the temporary copy keeps the extension: readers that go by it still verify it (a
        # stream's is in the temporary folder: /dev is no place for it; its name has none)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{dst.name}{TMP_MARK}",
            suffix=(src if stream else dst).suffix,
            dir=None if stream else dst.parent,
        )
        os.close(fd)
    except OSError as exc:
        outcome.error = f"cannot write to {dst.parent}: {exc.strerror or exc}"
        outcome.output = None
        return outcome
    tmp = Path(tmp_name)
    try:
        _fill(outcome, scan)
        _refuse_kept_positions(scan)
        # the temporary file only ever holds cleaned bytes: a killed run leaves no position
        _write_patched(src, tmp, scan, durable=in_place)
        if scan.patches or scan.location_findings:
            problems = residual_location(tmp, options.coarsen_km)
        else:  # a byte-for-byte copy that the scan just found no location in: the reader checks
            problems = _read_position(tmp, options.coarsen_km)
        if problems:
            raise _VerificationError("; ".join(problems))
        if stream:  # the verified bytes, copied into it; never renamed over it
            with open(tmp, "rb") as cleaned, open(dst, "wb") as into:
                shutil.copyfileobj(cleaned, into)
        else:
            shutil.copystat(src, tmp)  # permissions and access/modification times
            os.replace(tmp, dst)
    except Unsupported as exc:
        outcome.error = f"cannot be cleaned: {exc}"
    except _VerificationError as exc:
        outcome.error = f"VERIFICATION FAILED, output not written: {exc}"
    except OSError as exc:
        outcome.error = f"cannot write {dst}: {exc.strerror or exc}"
    else:
        outcome.status = CLEANED if scan.patches else UNCHANGED
        return outcome
    finally:
        if tmp.exists():
            tmp.unlink()
    outcome.output = None
    return outcome


def telemetry_note(video: Path) -> str | None:
    """What to say about a drone video whose flight (DJI_0001.SRT) lies beside it: its
    positions are there, not in the video, and scrub cannot clean that file."""
    subtitles = telemetry_beside(video)
    if subtitles is None:
        return None
    try:
        located = scan_file(subtitles).location_findings
    except (Unsupported, OSError):
        return None  # a film's subtitles, or telemetry without a fix
    if not located:
        return None
    return (
        f"its flight's positions ({located[0].value}) are in {os.path.basename(subtitles)} "
        "beside it, which scrub does not clean: do not share that file with the video"
    )


class _VerificationError(Exception):
    pass


NO_POSITION = "holds no position; not copied"


def _holds_no_position(outcome: FileOutcome, why: NoPosition) -> FileOutcome:
    """A track or telemetry file without a position: skipped (not copied: scrub writes only
    what it cleaned or verified), not failed; it leaks nothing."""
    outcome.status = SKIPPED
    outcome.error = f"{why}: {NO_POSITION}"
    outcome.output = None
    return outcome


def _fill(outcome: FileOutcome, scan: ScanResult, *, dry_run: bool = False) -> None:
    outcome.format = scan.format
    outcome.removed = [f for f in scan.findings if f.removed]
    outcome.kept = [f for f in scan.findings if not f.removed]
    outcome.notes += [note_text(note, dry_run=dry_run) for note in scan.notes]


def _is_stream_output(path: Path) -> bool:
    """`-o /dev/stdout` (no suffix) is one output file, as `-o clean.jpg` is."""
    try:
        return writes_into(path)
    except OutputError:
        return False


def _is_candidate(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in MEDIA_EXTENSIONS or suffix in SIDECAR_EXTENSIONS


def iter_input_files(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    exclude: Path | None = None,
    unlisted: Callable[[OSError], None] | None = None,
) -> Iterator[tuple[Path, Path]]:
    """(file, path relative to the output folder) for each file under the inputs.

    Folders are walked recursively (symlinked folders are not followed); a file named
    directly keeps its own name. `exclude` (the output folder) is never walked. A folder
    that cannot be listed is passed to `unlisted` (its `filename` names it) and the walk
    goes on.
    """
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted):
                here = Path(dirpath)
                if exclude is not None:
                    dirnames[:] = [d for d in dirnames if (here / d).resolve() != exclude]
                dirnames.sort()
                for name in sorted(filenames):
                    if TMP_MARK in name:  # a copy left by an interrupted run
                        continue
                    path = here / name
                    yield path, path.relative_to(root)
        elif root.exists():
            yield root, Path(root.name)
        else:
            raise UsageError(f"{root}: no such file or folder")


def scrub_paths(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str] | None,
    options: ScrubOptions | None = None,
    *,
    in_place: bool = False,
    dry_run: bool = False,
    force: bool = False,
    diag: Diagnostics | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> ScrubReport:
    """Clean every media file under `inputs` into the folder `output` (or in place).

    Files are cleaned in `workers` processes (default: one per idle CPU, see `idle_cpus`)
    when there are at least PARALLEL_MIN_FILES of them, else in this process; outcomes
    keep the input order.
    """
    options = options or ScrubOptions()
    if in_place == (output is not None) and not dry_run:
        raise UsageError("give an output folder with -o OUT, or --in-place to clean the originals")
    # Named as the user gave it in messages and the report; compared by its real path.
    out_dir = Path(output) if output is not None else None
    out_real = out_dir.resolve() if out_dir is not None else None
    single_target: Path | None = None
    if (
        out_dir is not None
        and len(inputs) == 1
        and Path(inputs[0]).is_file()
        and not out_dir.is_dir()
        and (out_dir.suffix or _is_stream_output(out_dir))
    ):
        single_target = out_dir
        if not (force or dry_run or _same_file(Path(inputs[0]), single_target)):
            # an output file, as every command's: refused before the work, named as given
            # (onto its own input: refused below, with the --in-place hint)
            check_output_file(single_target if output is None else output, force=False)
    if out_dir is not None and single_target is None:
        for raw in inputs:
            if Path(raw).resolve() == out_real:
                raise UsageError(f"output folder {out_dir} is also an input")
    report = ScrubReport(
        mode="dry-run" if dry_run else "in-place" if in_place else "copy",
        coarsened=options.coarsen_km is not None,
    )
    started = time.perf_counter()
    leftovers = remove_leftovers([*inputs, *([out_real] if out_real is not None else [])])
    targets: set[Path] = set()
    slots: list[FileOutcome | None] = []
    tasks: list[tuple[int, Path, Path]] = []

    def unlisted(exc: OSError) -> None:
        why = f"cannot list folder ({exc.strerror or exc}); skipped"
        slots.append(FileOutcome(os.fsdecode(exc.filename or "?"), None, FAILED, error=why))

    for path, rel in iter_input_files(inputs, exclude=out_real, unlisted=unlisted):
        try:
            mode = path.stat().st_mode  # what would be read (a link's target)
        except OSError as exc:  # a dangling link or a link loop
            why = f"cannot read ({exc.strerror or exc})"
            slots.append(FileOutcome(str(path), None, SKIPPED, error=why))
            continue
        if not stat.S_ISREG(mode):  # a FIFO would block the first read for good
            why = f"is a {file_kind(mode)}, not a regular file; never opened"
            slots.append(FileOutcome(str(path), None, SKIPPED, error=why))
            continue
        if path.suffix.lower() in DOCUMENT_EXTENSIONS and (why := _document_leak(path)):
            slots.append(FileOutcome(str(path), None, FAILED, error=why))
            continue
        if not _is_candidate(path) and not _holds_positions(path):
            why = "not a media file"
            if path.suffix.lower() in (".zip", ".tar", ".tgz", ".gz", ".7z"):
                why += " (an archive: unpack it, then scrub the folder)"
            slots.append(FileOutcome(str(path), None, SKIPPED, error=why))
            continue
        if in_place or out_dir is None:  # (out_dir is None only for a dry run)
            if path.is_symlink() and not dry_run:
                slots.append(FileOutcome(str(path), None, FAILED, error=(
                    "is a symbolic link: --in-place does not write through links "
                    f"(clean its target {path.resolve()} itself)")))  # fmt: skip
                continue
            dst = path
        elif single_target is not None:
            dst = single_target
        else:
            dst = out_dir / rel
        if not in_place and not force and not dry_run and _same_file(path, dst):
            raise UsageError(
                f"{dst} is an input: refusing to write onto it "
                "(use --in-place to clean originals, or --force)"
            )
        target = dst.resolve()
        if target in targets:
            slots.append(
                FileOutcome(str(path), None, FAILED, error=f"another input also goes to {dst}")
            )
            continue
        targets.add(target)
        tasks.append((len(slots), path, dst))
        slots.append(None)
    if out_dir is not None and single_target is None and not (in_place or force or dry_run):
        _refuse_existing_outputs(out_dir, [dst for _, _, dst in tasks])
    if progress and len(slots) > len(tasks):
        progress(len(slots) - len(tasks))
    jobs = workers if workers is not None else idle_cpus()
    run_one = partial(_scrub_task, options=options, force=force or in_place, dry_run=dry_run)
    if jobs > 1 and len(tasks) >= PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor  # (only a large run pays its import)

        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=pool_context(), initializer=worker_start
        ) as pool:
            chunk = max(1, min(16, len(tasks) // (jobs * 4)))
            results = pool.map(run_one, [(p, d) for _, p, d in tasks], chunksize=chunk)
            for (index, _p, _d), outcome in zip(tasks, results, strict=True):
                slots[index] = outcome
                if progress:
                    progress(1)
    else:
        for index, path, dst in tasks:
            slots[index] = run_one((path, dst))
            if progress:
                progress(1)
    for slot in slots:
        assert slot is not None
        outcome = slot
        if dry_run and in_place:
            outcome.output = None
        report.outcomes.append(outcome)
        if outcome.status == FAILED and diag is not None:
            diag.warn(f"{outcome.source}: {outcome.error}", kind="scrub")
    report.seconds = time.perf_counter() - started
    report.leftovers_removed = leftovers
    if not report.outcomes:
        raise UsageError("no files found in " + ", ".join(str(p) for p in inputs))
    return report


def _refuse_existing_outputs(out_dir: Path, outputs: Sequence[Path]) -> None:
    """Refuse, before any file is written, a run into a folder where some outputs already
    exist (a rerun, or another folder's files): the run either writes every file or none,
    as every command's output file is refused unless --force. exiftool refuses such files
    one by one and writes the rest; a half-written folder that looks finished is worse."""
    existing = [dst for dst in outputs if os.path.lexists(dst)]
    if not existing:
        return
    shown = ", ".join(str(dst) for dst in existing[:3])
    more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
    raise OutputError(
        f"{out_dir}: {count_of(len(existing), 'output file')} already "
        + ("exists" if len(existing) == 1 else "exist")
        + f" ({shown}{more}); nothing was written (use --force to overwrite them, "
        "or give another folder)"
    )


def running_now(loadavg: str = "/proc/loadavg") -> int | None:
    """Tasks runnable at this instant, this process included (the fourth field of Linux's
    /proc/loadavg, "running/total"); None where the system has no such file."""
    try:
        with open(loadavg, encoding="ascii") as handle:
            return int(handle.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None


def idle_cpus() -> int:
    """The default number of scrub workers: the CPUs this process may use less the load,
    at least 1 (as `make -l` and GNU parallel's --load hold jobs back on a busy machine).
    Measured on a 2-core machine under a load of 8-9, a second worker made scrub slower
    (more CPU for the pool, no wall time gained).

    The load is the 1-minute load average, but no more than the other tasks runnable right
    now: the average trails by a minute, so a job that has just ended (a build, the previous
    command of a script) would otherwise keep a now idle CPU unused. A CPU-bound competitor
    is runnable whenever it exists, so it still counts."""
    cpus = available_cpus()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this system
        return cpus
    running = running_now()
    if running is not None:
        load = min(load, max(0, running - 1))
    return max(1, min(cpus, int(cpus - load + 0.5)))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def remove_leftovers(roots: Sequence[str | os.PathLike[str]]) -> int:
    """Delete the temporary files (`.NAME.geoleak-tmp-*`) an interrupted scrub left in
    these folders; they hold only cleaned bytes, but are no one's output. Returns how many."""
    removed = 0
    for raw in roots:
        root = Path(raw)
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in filenames:
                if name.startswith(".") and TMP_MARK in name:
                    try:
                        (Path(dirpath) / name).unlink()
                        removed += 1
                    except OSError:
                        pass
    return removed


def _scrub_task(
    paths: tuple[Path, Path], *, options: ScrubOptions, force: bool, dry_run: bool
) -> FileOutcome:
    return scrub_file(paths[0], paths[1], options, force=force, dry_run=dry_run)


def _holds_positions(path: Path) -> bool:
    """A non-media file scrub must handle: a track, a map, JSON naming positions."""
    kind = sniff(_head(path), path.suffix.lower())
    if kind in LOCATION_FILE_FORMATS:
        return True
    if kind != "json":
        return kind is not None
    try:
        with path.open("rb") as handle:
            return JSON_POSITION_KEY.search(handle.read(64 * 1024 * 1024)) is not None
    except OSError:
        return True


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(512)
    except OSError:
        return b""
