"""JPEG marker segments (ITU-T T.81 B.1), walked once for readers and scrubbers alike.

`SegmentWalk` yields every segment that has a length field (APPn, COM, DQT, SOF, SOS...)
from just after an SOI, and records where and why the walk ended. A reader stops at the
first SOS (no metadata follows the image data); a scrubber walks on through the
entropy-coded data to the EOI, so it can find the end of the image and any image stored
after it.

The buffer is anything sliceable with a length (bytes, mmap, an `extract.source.Source`);
the walker reads 4 bytes a segment and never a payload. Every step moves forward and the
number of segments is capped, so a crafted file can neither loop nor make a walk run long.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = [
    "EXIF_ID",
    "EXT_XMP_ID",
    "FLIR_ID",
    "MAX_SEGMENTS",
    "PHOTOSHOP_ID",
    "XMP_ID",
    "Segment",
    "SegmentWalk",
]

MAX_SEGMENTS = 1024  # real JPEGs hold < 100 before the image data

# identifiers at the start of a segment's payload
EXIF_ID = b"Exif\x00"  # then a pad byte (usually \0), then the TIFF header
XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
EXT_XMP_ID = b"http://ns.adobe.com/xmp/extension/\x00"
FLIR_ID = b"FLIR\x00"
PHOTOSHOP_ID = b"Photoshop 3.0\x00"

SOS, EOI = 0xDA, 0xD9
# markers without a length field: TEM, SOI, RST0-7 (EOI ends the walk)
_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})
# the next marker after entropy-coded data: 0xFF followed by neither a stuffed 0x00, an
# RST marker (which sits inside the scan) nor a fill byte
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


class Segment(NamedTuple):
    """One marker segment: `start` at its 0xFF, payload [`body`, `end`).

    `length` is the length field as written (it counts its own 2 bytes); `end` is clipped
    to the buffer, and `truncated` says the segment claims more bytes than there are.
    """

    marker: int
    start: int
    body: int
    end: int
    length: int
    truncated: bool


class SegmentWalk:
    """The segments of the JPEG stream whose SOI is at `start`.

    Iterate once. Afterwards `end` is where the walk stopped (after the EOI, at the first
    SOS, at a damaged byte, or the end of the buffer) and `problem` says why when the
    structure was broken ("marker expected...", "length 0...") or `truncated` when the
    buffer ended before the image data did. `through_scans` walks past SOS segments to the
    EOI; `limit` caps the segments yielded (None: bounded only by the buffer).
    """

    __slots__ = ("buf", "end", "limit", "problem", "segments", "start", "through_scans",
                 "truncated")  # fmt: skip

    def __init__(
        self, buf: Any, start: int = 0, *, through_scans: bool = False,
        limit: int | None = MAX_SEGMENTS,
    ) -> None:  # fmt: skip
        self.buf = buf
        self.start = start
        self.through_scans = through_scans
        self.limit = limit
        self.end = start + 2
        self.problem: str | None = None
        self.truncated = False
        self.segments = 0

    def __iter__(self) -> Iterator[Segment]:
        buf = self.buf
        size = len(buf)
        pos = self.start + 2
        limit = self.limit
        while limit is None or self.segments < limit:
            header = bytes(buf[pos : pos + 4])
            if len(header) < 4 and header[:2] != b"\xff\xd9":  # (an EOI needs only 2)
                self.truncated = True
                break
            if header[0] != 0xFF:
                self.problem = f"marker expected at byte {pos}, found 0x{header[0]:02x}"
                break
            marker = header[1]
            if marker == 0xFF:  # fill byte
                pos += 1
                continue
            if marker in _STANDALONE:
                pos += 2
                continue
            if marker == EOI:
                pos += 2
                break
            if marker == SOS and not self.through_scans:
                break  # a reader stops here: no metadata after the image data
            length = (header[2] << 8) | header[3]
            if length < 2:
                self.problem = f"segment at byte {pos} has length {length}"
                break
            end = pos + 2 + length
            self.segments += 1
            yield Segment(marker, pos, pos + 4, min(end, size), length, end > size)
            if marker == SOS:  # skip the entropy-coded data to the next marker
                match = _NEXT_MARKER.search(buf, min(end, size))
                pos = size if match is None else match.start()
                if match is None:
                    break
                continue
            pos = end
            if pos >= size:
                self.truncated = True
                break
        self.end = min(pos, size)
