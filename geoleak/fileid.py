"""A media file's content identity, shared by infer's dedupe and scan's duplicate count.

Size plus SHA-256 of the first and last 64 KiB: reading whole files would cost more than
reading their metadata, and two different photos of the same size differ in their first
bytes (where EXIF and the thumbnail live) and in their last. Kept apart from `ingest` so
that `scan` does not import every reader.

Two files have one identity exactly when they have the same size and the same edges (the
bytes hashed), so a reader that already holds a file's head can tell whether it is a copy
of one given file by comparing edges (`same_edges`): a few microseconds of memory
comparison instead of hashing 128 KiB, which is most of the cost of counting copies.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from geoleak.paths import open_regular

__all__ = [
    "EDGE", "digest_of", "edge_digest", "edges", "file_edges", "media_digest", "same_edges",
]  # fmt: skip

EDGE = 64 * 1024  # bytes hashed at each end of a file

Edges = tuple[bytes, bytes]  # the first EDGE bytes; the last EDGE (or what follows the first)


def edges(size: int, head: bytes, read_at: Callable[[int, int], bytes]) -> Edges:
    """The bytes the identity covers, of a file of `size` whose first min(size, EDGE)
    bytes (or more) are `head`; `read_at(offset, length)` reads the rest."""
    if size > 2 * EDGE:
        return head[:EDGE], read_at(size - EDGE, EDGE)
    if size > EDGE:
        return head[:EDGE], head[EDGE:size] if len(head) >= size else read_at(EDGE, size - EDGE)
    return head[:EDGE], b""


def edge_digest(size: int, head: bytes, read_at: Callable[[int, int], bytes]) -> str:
    """`media_digest` of a file already open (`head` and `read_at` as for `edges`). A
    reader that has the head in memory (`read_media`) hashes a file without opening or
    reading it again. (hashlib is imported here: a scan without copies never loads OpenSSL.)
    """
    return digest_of(size, edges(size, head, read_at))


def digest_of(size: int, covered: Edges) -> str:
    """The identity of a file of `size` with these `edges`."""
    import hashlib

    digest = hashlib.sha256(size.to_bytes(8, "big"))
    digest.update(covered[0])
    digest.update(covered[1])
    return digest.hexdigest()


def media_digest(path: str | Path) -> str | None:
    """Content identity of a media file, or None when it cannot be read."""
    try:
        with open_regular(path) as handle:  # a FIFO named like a photo must not hang
            size = os.fstat(handle.fileno()).st_size
            return edge_digest(
                size, handle.read(EDGE), lambda at, n: os.pread(handle.fileno(), n, at)
            )
    except OSError:
        return None


_edges_cache: dict[tuple[str, int, int, int], Edges] = {}


def file_edges(path: str, *, keep: bool = True) -> tuple[int, Edges] | None:
    """Size and edges of the file at `path`, None when it cannot be read. With `keep`,
    the last few files asked for are kept (a folder of copies names the same first file
    again and again; a file that changed since has another size, time or inode, and is
    read again)."""
    try:
        info = os.stat(path)
        key = (path, info.st_size, info.st_mtime_ns, info.st_ino)
        found = _edges_cache.get(key)
        if found is None:
            with open_regular(path) as handle:
                size = os.fstat(handle.fileno()).st_size
                found = edges(
                    size, handle.read(EDGE), lambda at, n: os.pread(handle.fileno(), n, at)
                )
            if keep:
                if len(_edges_cache) >= 16:
                    _edges_cache.pop(next(iter(_edges_cache)))
                _edges_cache[key] = found
    except OSError:
        return None
    return info.st_size, found


def same_edges(size: int, own: Edges, other: str) -> bool:
    """True when the file at `other` has this size and these edges: the same identity as
    the file they were read from (`media_digest` equal), without hashing either."""
    theirs = file_edges(other)
    return theirs is not None and theirs[0] == size and theirs[1] == own
