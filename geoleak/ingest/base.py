"""The reader protocol and registry (modelled on geopy's geocoder classes)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import ClassVar, TypeVar

from geoleak.diagnostics import Diagnostics
from geoleak.errors import ArchiveError, CorpusError, GeoleakError, UsageError
from geoleak.paths import path_names, shown_path
from geoleak.types import Post

__all__ = [
    "GENERIC_PRIORITY",
    "READERS",
    "Reader",
    "open_inputs",
    "reader_for",
    "readers_for",
    "register",
]

# Readers at or above this priority (the plain folder reader) only apply when no specific
# export format recognises a folder.
GENERIC_PRIORITY = 90


class Reader(ABC):
    """Turns one input path into posts.

    Subclasses set `name` (what `--source` takes), `description` (one line for `--help`)
    and `priority` (sniffing order: lower is tried first; specific formats before the
    generic folder reader). `read` must stream, report bad records through `diag` and
    skip them, and never modify the input.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    priority: ClassVar[int] = 50
    # Whether the reader makes posts of the photos and videos in the folder it reads. When
    # none of the specific readers of a folder does (tracks, location history, data sets),
    # the generic folder reader (which does) also reads its media, so no photo is silently
    # left out.
    reads_media: ClassVar[bool] = False

    @abstractmethod
    def sniff(self, path: Path) -> bool:
        """Whether this reader recognises `path` (cheap: names and the first bytes only)."""

    @abstractmethod
    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        """Yield the posts in `path`."""

    def read_among(
        self, path: Path, diag: Diagnostics, *, author: str | None = None, media_read: bool
    ) -> Iterator[Post]:
        """`read`, told whether the photos and videos of `path` are read as well, by this or
        another reader of the same input (`media_read`): files that belong to a video (a
        drone's telemetry subtitles) are then left to it."""
        del media_read  # only readers that meet such files use it (tracks)
        return self.read(path, diag, author=author)


READERS: dict[str, Reader] = {}

R = TypeVar("R", bound=type[Reader])


def register(cls: R) -> R:
    """Class decorator: add a reader to the registry under its `name`."""
    READERS[cls.name] = cls()
    return cls


def sniffs(reader: Reader, path: Path) -> bool:
    """`reader.sniff(path)`, False when probing raised an OSError (a subfolder that cannot be
    read, a name the file system refuses): the reader that walks the tree warns about the
    folder once, naming it, and the rest is still read."""
    try:
        return reader.sniff(path)
    except OSError:
        return False


def reader_for(path: Path, source: str | None = None) -> Reader:
    """The reader named `source`, or the first whose `sniff` recognises `path`."""
    if source is not None:
        try:
            return READERS[source]
        except KeyError:
            known = ", ".join(sorted(READERS))
            raise UsageError(f"unknown --source {source!r}; known sources: {known}") from None
    if not path.exists():
        raise CorpusError(f"{shown_path(path)}: no such file or folder")
    for reader in sorted(READERS.values(), key=lambda r: (r.priority, r.name)):
        if sniffs(reader, path):
            return reader
    from geoleak.ingest.archive import damaged_zip
    from geoleak.ingest.inventory import describe_inputs

    if path.is_file() and (why := damaged_zip(path)) is not None:
        raise CorpusError(
            f"{shown_path(path)}: cannot be read: {why} (a download cut short?); download or export it again"
        )
    known = ", ".join(sorted(READERS))
    found = f" ({describe_inputs([path])})" if path.is_dir() else ""
    raise CorpusError(
        f"{shown_path(path)}: not a format geoleak recognises{found}; known: {known}; use --source to choose one"
    )


def readers_for(path: Path, source: str | None = None) -> list[Reader]:
    """Every reader for `path`: the one named `source`, or, for a folder, each specific
    reader that recognises it (a Google Takeout holds photos *and* location history) plus
    the generic folder reader when none of them reads media, or else the first (generic)
    reader that recognises it."""
    if source is not None or not path.is_dir():
        return [reader_for(path, source)]
    ordered = sorted(READERS.values(), key=lambda r: (r.priority, r.name))
    specific = [r for r in ordered if r.priority < GENERIC_PRIORITY and sniffs(r, path)]
    if not specific:
        return [reader_for(path, source)]
    if not any(r.reads_media for r in specific):
        specific += [r for r in ordered if r.priority >= GENERIC_PRIORITY and sniffs(r, path)][:1]
    return specific


def _read_one(
    path: Path,
    diag: Diagnostics,
    source: str | None,
    author: str | None,
    extractions: ExitStack | None,
) -> Iterator[Post]:
    """Posts of one input; a zip archive is extracted safely to a temporary folder first."""
    from geoleak.ingest.archive import is_archive

    if is_archive(path) and (
        source is None or source not in READERS or not sniffs(READERS[source], path)
    ):
        yield from _read_group([path], diag, source, author, extractions)
        return
    yield from _read_tree(path, diag, source, author)


def _read_tree(
    path: Path, diag: Diagnostics, source: str | None, author: str | None
) -> Iterator[Post]:
    readers = readers_for(path, source)
    media_read = any(r.reads_media for r in readers)
    for reader in readers:
        yield from reader.read_among(path, diag, author=author, media_read=media_read)


def open_inputs(
    paths: Iterable[str | Path],
    diag: Diagnostics,
    *,
    source: str | None = None,
    author: str | None = None,
    extractions: ExitStack | None = None,
) -> Iterator[Post]:
    """Posts from every input in turn.

    An input that cannot be read at all is reported and the others are still read; only
    when no input could be read does the first such error propagate. Zip archives are
    checked (zip slip, links, bombs) and extracted into a temporary folder that is removed
    once their posts have been read; the parts of a split export are read together.

    Posts of an archive name media files inside its temporary folder. A caller that reads
    those files after the posts were produced (in batches) passes `extractions`: the
    folders then live until that ExitStack closes, instead of until the last post.
    """
    from geoleak.ingest.archive import group_archive_parts, is_archive

    failures: list[GeoleakError] = []
    readable = 0
    raw_paths = [Path(raw) for raw in paths]
    names = path_names()
    for raw in raw_paths:  # outputs name files under the inputs as the user typed them
        names.add_input(raw)
    zips = [p for p in raw_paths if is_archive(p)]
    if source is None:
        for path in _telemetry_given_with_its_video(raw_paths):
            diag.tally("telemetry_of_videos")
            raw_paths.remove(path)
    group_of = {part: group for group in group_archive_parts(zips) for part in group}
    done: set[Path] = set()
    for path in raw_paths:
        if path in done:
            continue
        try:
            group = group_of.get(path, [path])
            if len(group) > 1:
                done.update(group)
                posts = _read_group(group, diag, source, author, extractions)
            else:
                if not path.exists():
                    raise CorpusError(f"{shown_path(path)}: no such file or folder")
                if not is_archive(path):
                    readers_for(path, source)  # fail early: unknown format, bad --source
                posts = _read_one(path, diag, source, author, extractions)
            first = next(posts, None)
        except (CorpusError, ArchiveError) as exc:
            failures.append(exc)
            if len(raw_paths) > 1:  # a single input's error is raised below, printed once
                diag.warn(str(exc), kind="input")
            continue
        readable += 1
        if first is not None:
            yield first
            yield from posts
    if failures and not readable:
        if len(raw_paths) == 1:
            raise failures[0]
        raise CorpusError(
            f"none of the {len(raw_paths)} inputs could be read; first: {failures[0]}"
        )


def _telemetry_given_with_its_video(paths: list[Path]) -> list[Path]:
    """The drone telemetry files (`DJI_0001.SRT`) among `paths` whose video (`DJI_0001.MP4`)
    is read too, as another input or inside a folder input: the video's reader reads the
    telemetry as its track (`extract.media`), so it is not read a second time as a track."""
    from geoleak.mediatypes import video_beside

    videos = {path: video for path in paths
              if path.is_file() and (video := video_beside(path)) is not None}  # fmt: skip
    if not videos:
        return []
    folders = [p.resolve() for p in paths if p.is_dir()]
    files = {p.resolve() for p in paths if p.is_file()}
    found = []
    for path, video in videos.items():
        own = Path(video).resolve()
        if own in files or any(own.is_relative_to(folder) for folder in folders):
            found.append(path)
    return found


def _read_group(
    parts: list[Path],
    diag: Diagnostics,
    source: str | None,
    author: str | None,
    extractions: ExitStack | None,
) -> Iterator[Post]:
    from geoleak.ingest.archive import extract_archives

    if extractions is not None:
        root = extractions.enter_context(extract_archives(parts))
        yield from _read_tree(root, diag, source, author)
        return
    with extract_archives(parts) as root:
        yield from _read_tree(root, diag, source, author)
