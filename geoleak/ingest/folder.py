"""A plain folder of photos and videos: each media file is one post of one person."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.mediatypes import COMPANION_EXTENSIONS, is_media, orphan_companions
from geoleak.paths import shown_path, walk_files
from geoleak.types import Post

__all__ = ["FolderReader", "iter_media_files", "media_posts"]


def iter_media_files(root: Path, diag: Diagnostics | None = None) -> Iterator[Path]:
    """Media files under `root` in a stable (sorted) order; symlinks are not followed and
    FIFOs, devices and unreadable folders give a warning (`geoleak.paths.walk_files`).

    A camera's proxy or thumbnail (GoPro `.LRV`/`.THM`, DJI `.LRF`) is taken only where its
    video is not in the same folder (`mediatypes.orphan_companions`): then it is the only
    record of that moment left on the card."""
    if root.is_file():
        yield root
        return
    listed: tuple[str, frozenset[str]] = ("", frozenset())
    for path in walk_files(root, diag, accept=_media_or_companion):
        if path.suffix.lower() in COMPANION_EXTENSIONS:
            folder = os.fspath(path.parent)
            if listed[0] != folder:
                try:
                    listed = (folder, orphan_companions(os.listdir(folder)))
                except OSError:  # (listed a moment ago: it went away; nothing to read)
                    listed = (folder, frozenset())
            if path.name not in listed[1]:
                continue
        yield path


def _media_or_companion(name: str) -> bool:
    return is_media(name) or os.path.splitext(name)[1].lower() in COMPANION_EXTENSIONS


@register
class FolderReader(Reader):
    name = "folder"
    description = "a folder (or single file) of photos and videos, one post per file"
    priority = 90
    reads_media = True

    def sniff(self, path: Path) -> bool:
        return path.is_dir() or (path.is_file() and is_media(path))

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        if not path.exists():
            raise CorpusError(f"{shown_path(path)}: no such file or folder")
        root = path if path.is_dir() else path.parent
        person = author or (path.resolve().name if path.is_dir() else root.resolve().name) or "me"
        yield from media_posts(iter_media_files(path, diag), root, person)


def media_posts(files: Iterable[Path], root: Path, person: str) -> Iterator[Post]:
    """One post of `person` per media file (its id the path under `root`)."""
    for media in files:
        rel = media.relative_to(root).as_posix()
        yield Post(id=rel, author=person, media=(str(media.resolve()),), origin=shown_path(media))
