"""A media file's content identity, shared by infer's dedupe and scan's duplicate count.

Size plus SHA-256 of the first and last 64 KiB: reading whole files would cost more than
reading their metadata, and two different photos of the same size differ in their first
bytes (where EXIF and the thumbnail live) and in their last. Kept apart from `ingest` so
that `scan` does not import every reader.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from geoleak.paths import open_regular

__all__ = ["media_digest"]

_EDGE = 64 * 1024


def media_digest(path: str | Path) -> str | None:
    """Content identity of a media file, or None when it cannot be read."""
    try:
        with open_regular(path) as handle:  # a FIFO named like a photo must not hang
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(0)
            digest = hashlib.sha256(size.to_bytes(8, "big"))
            digest.update(handle.read(_EDGE))
            if size > 2 * _EDGE:
                handle.seek(size - _EDGE)
                digest.update(handle.read(_EDGE))
            elif size > _EDGE:
                digest.update(handle.read())
    except OSError:
        return None
    return digest.hexdigest()
