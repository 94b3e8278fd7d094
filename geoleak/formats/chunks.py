"""PNG chunks (ISO/IEC 15948) and RIFF chunks (WebP), walked once for readers and scrubbers.

Both walkers read an 8-byte header a chunk and never a payload; they take any sliceable
buffer with a length (bytes, mmap, an `extract.source.Source`). Every step moves forward
and the number of chunks can be capped, so a crafted file can neither loop nor make a walk
run long. A chunk that claims more bytes than the buffer holds is yielded clipped, with
`truncated` set, and ends the walk.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = [
    "MAX_CHUNKS",
    "PNG_MAX_LENGTH",
    "PNG_SIGNATURE",
    "Chunk",
    "iter_png_chunks",
    "iter_riff_chunks",
]

MAX_CHUNKS = 100_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_MAX_LENGTH = 0x7FFFFFFF  # PNG chunk lengths are at most 2^31 - 1
_PNG_HEADER = struct.Struct(">I4s")
_RIFF_HEADER = struct.Struct("<4sI")


class Chunk(NamedTuple):
    """One chunk: header at `start`, data [`body`, `end`).

    `length` is the data length as written; `end` is clipped to the buffer and
    `truncated` says the chunk (with its PNG CRC or RIFF pad byte) runs past it.
    """

    type: bytes
    start: int
    body: int
    end: int
    length: int
    truncated: bool


def iter_png_chunks(buf: Any, *, limit: int | None = MAX_CHUNKS) -> Iterator[Chunk]:
    """The chunks of a PNG after its signature, up to and including IEND.

    A length over 2^31 - 1 (which PNG forbids) is yielded as it stands, truncated; the
    caller decides whether to read it.
    """
    size = len(buf)
    pos = len(PNG_SIGNATURE)
    count = 0
    while pos + 8 <= size and (limit is None or count < limit):
        length, ctype = _PNG_HEADER.unpack(bytes(buf[pos : pos + 8]))
        body = pos + 8
        end = body + length
        truncated = end + 4 > size  # the 4-byte CRC follows the data
        count += 1
        yield Chunk(ctype, pos, body, min(end, size), length, truncated)
        if ctype == b"IEND" or truncated:
            return
        pos = end + 4


def iter_riff_chunks(
    buf: Any, start: int = 12, end: int | None = None, *, limit: int | None = MAX_CHUNKS
) -> Iterator[Chunk]:
    """The chunks in [start, end) of a RIFF file (end: the buffer's end when None).

    Chunk data is padded to an even length; the pad byte is not part of `length`.
    """
    stop = len(buf) if end is None else min(end, len(buf))
    pos = start
    count = 0
    while pos + 8 <= stop and (limit is None or count < limit):
        ctype, length = _RIFF_HEADER.unpack(bytes(buf[pos : pos + 8]))
        body = pos + 8
        after = body + length + (length & 1)
        count += 1
        yield Chunk(ctype, pos, body, min(body + length, stop), length, after > stop)
        pos = after
