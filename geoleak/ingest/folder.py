"""A plain folder of photos and videos: each media file is one post of one person."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.mediatypes import is_media
from geoleak.paths import shown_path, walk_files
from geoleak.types import Post

__all__ = ["FolderReader", "iter_media_files"]


def iter_media_files(root: Path, diag: Diagnostics | None = None) -> Iterator[Path]:
    """Media files under `root` in a stable (sorted) order; symlinks are not followed and
    FIFOs, devices and unreadable folders give a warning (`geoleak.paths.walk_files`)."""
    if root.is_file():
        yield root
        return
    yield from walk_files(root, diag, accept=is_media)


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
        for media in iter_media_files(path, diag):
            rel = media.relative_to(root).as_posix()
            yield Post(
                id=rel, author=person, media=(str(media.resolve()),), origin=shown_path(media)
            )
