"""A media file's content identity, shared by infer's dedupe and scan's duplicate count.

Size plus SHA-256 of the first and last 64 KiB: reading whole files would cost more than
reading their metadata, and two different photos of the same size differ in their first
bytes (where EXIF and the thumbnail live) and in their last. Kept apart from `ingest` so
that `scan` does not import every reader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from geoleak.paths import open_regular

__all__ = ["EDGE", "edge_digest", "media_digest"]

EDGE = 64 * 1024  # bytes hashed at each end of a file


def edge_digest(size: int, head: bytes, read_at: Callable[[int, int], bytes]) -> str:
    """`media_digest` of a file already open: `head` holds its first min(size, EDGE)
    bytes (or more), `read_at(offset, length)` reads the rest. A reader that has the
    head in memory (`read_media`) hashes a file without opening or reading it again.
    (hashlib is imported here: a scan without duplicate sizes never loads OpenSSL.)
    """
    import hashlib

    digest = hashlib.sha256(size.to_bytes(8, "big"))
    digest.update(head[:EDGE])
    if size > 2 * EDGE:
        digest.update(read_at(size - EDGE, EDGE))
    elif size > EDGE:
        digest.update(head[EDGE:size] if len(head) >= size else read_at(EDGE, size - EDGE))
    return digest.hexdigest()


def media_digest(path: str | Path) -> str | None:
    """Content identity of a media file, or None when it cannot be read."""
    try:
        with open_regular(path) as handle:  # a FIFO named like a photo must not hang
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(0)
            head = handle.read(EDGE)

            def read_at(offset: int, length: int) -> bytes:
                handle.seek(offset)
                return handle.read(length)

            return edge_digest(size, head, read_at)
    except OSError:
        return None
