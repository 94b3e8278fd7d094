"""GIF blocks (GIF89a specification), walked once for readers and scrubbers alike.

A GIF is a header and logical screen descriptor (with an optional global colour table),
then blocks: images (descriptor, optional local colour table, LZW data in sub-blocks) and
extensions (a label, then sub-blocks), up to the trailer (0x3B). Metadata lives in
application extensions: XMP as "XMP DataXMP", stored "raw": the packet's own bytes double
as sub-block lengths, and a 258-byte "magic trailer" catches a reader wherever it lands.

`GifWalk` yields each block with where it lies; every step moves forward, so a crafted
file cannot loop. `xmp_packet` gives where the XMP packet of an XMP extension lies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = ["GIF_MAGICS", "XMP_APP", "GifBlock", "GifWalk", "is_xmp", "xmp_packet"]

GIF_MAGICS = (b"GIF87a", b"GIF89a")
XMP_APP = b"XMP DataXMP"  # application identifier and authentication code
_XMP_TRAILER = b"\x01\xff\xfe"  # the start of the magic trailer after a raw XMP packet
MAX_XMP = 16 * 1024 * 1024
EXTENSION, IMAGE, TRAILER = 0x21, 0x2C, 0x3B


class GifBlock(NamedTuple):
    """An extension (`kind` 0x21, with its `label`) or an image (0x2C, label 0) at
    `start`; its sub-blocks start at `body`, and the block ends at `end`."""

    kind: int
    label: int
    start: int
    body: int
    end: int


def _skip_sub_blocks(buf: Any, pos: int, size: int) -> int:
    """After the terminator of the sub-blocks starting at `pos` (at most `size`)."""
    while pos < size:
        length = buf[pos]
        pos += 1 + length
        if length == 0:
            break
    return min(pos, size)


class GifWalk:
    """The blocks of the GIF in `buf` (bytes, mmap, memoryview).

    Iterate once. Afterwards `problem` says why the walk stopped early (a block it does
    not know, a damaged descriptor), and `truncated` that the buffer ended first.
    Raises nothing: a GIF that is not one yields no block and has a `problem`.
    """

    __slots__ = ("buf", "problem", "truncated")

    def __init__(self, buf: Any) -> None:
        self.buf = buf
        self.problem: str | None = None
        self.truncated = False

    def __iter__(self) -> Iterator[GifBlock]:
        buf = self.buf
        size = len(buf)
        head = bytes(buf[:13])
        if head[:6] not in GIF_MAGICS or len(head) < 13:
            self.problem = "not a GIF file"
            return
        pos = 13
        if head[10] & 0x80:  # global colour table
            pos += 3 * (2 << (head[10] & 7))
        while True:
            if pos >= size:
                self.truncated = True
                return
            kind = buf[pos]
            if kind == TRAILER:
                return
            if kind == IMAGE:
                if pos + 10 > size:
                    self.truncated = True
                    return
                flags = buf[pos + 9]
                body = pos + 10 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0) + 1
                end = _skip_sub_blocks(buf, body, size)
                yield GifBlock(IMAGE, 0, pos, body, end)
            elif kind == EXTENSION:
                if pos + 2 > size:
                    self.truncated = True
                    return
                label = buf[pos + 1]
                end = _skip_sub_blocks(buf, pos + 2, size)
                block = GifBlock(EXTENSION, label, pos, pos + 2, end)
                packet = xmp_packet(buf, block)
                if packet is not None:  # raw XMP: skip from its magic trailer
                    block = block._replace(end=_skip_sub_blocks(buf, packet[1], size))
                yield block
                end = block.end
            else:
                self.problem = f"GIF block {kind:#x} at {pos} not understood; stopped"
                return
            pos = end


def is_xmp(buf: Any, block: GifBlock) -> bool:
    """Whether the block is an "XMP DataXMP" application extension."""
    return (
        block.kind == EXTENSION
        and block.label == 0xFF
        and bytes(buf[block.start + 2 : block.start + 14]) == b"\x0b" + XMP_APP
    )


def xmp_packet(buf: Any, block: GifBlock) -> tuple[int, int] | None:
    """Where the XMP packet of an "XMP DataXMP" application extension lies: (start, end),
    end at its magic trailer. None for another block, or when the trailer is missing."""
    if not is_xmp(buf, block):
        return None
    start = block.start + 14
    end = bytes(buf[start : start + MAX_XMP]).find(_XMP_TRAILER)
    return None if end < 0 else (start, start + end)
