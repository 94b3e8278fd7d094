"""IPTC-IIM datasets and the Photoshop image resource blocks that carry them.

IIM (IPTC-NAA Information Interchange Model 4.2, section 1.5): each dataset is a 0x1C tag
marker, record and dataset numbers, and a 2-byte length; a length with its top bit set is
"extended": its low 15 bits say how many following bytes hold the length. Photoshop
image resources (JPEG APP13, TIFF tag 34377) are "8BIM" blocks: a 2-byte id, a padded
Pascal name, a 4-byte size and the data, padded to even length.

Both walks yield where each item lies and decode nothing; they stop at the first byte
that is not a marker or a length that does not fit, so a crafted block cannot loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = ["IRB_SIGNATURES", "Dataset", "Resource", "iter_datasets", "iter_resources"]

IRB_SIGNATURES = (b"8BIM", b"PHUT", b"DCSR", b"AgHg")
# resource ids: IPTC-IIM, EXIF (0x0423: EXIF data 3), XMP, and the MD5 of the IPTC block
IPTC_RESOURCE, EXIF_RESOURCES, XMP_RESOURCE = 0x0404, (0x0422, 0x0423), 0x0424
IPTC_DIGEST = 0x0425


class Dataset(NamedTuple):
    """One IIM dataset at `pos` (its 0x1C marker); its value is [`start`, `end`), `end`
    clipped to the block."""

    record: int
    dataset: int
    pos: int
    start: int
    end: int


def iter_datasets(data: Any) -> Iterator[Dataset]:
    """The IIM datasets of a block, in order."""
    size = len(data)
    pos = 0
    while pos + 5 <= size and data[pos] == 0x1C:
        length = (data[pos + 3] << 8) | data[pos + 4]
        head = 5
        if length & 0x8000:  # extended dataset: the next (length & 0x7fff) bytes hold the size
            n = length & 0x7FFF
            if n > 4 or pos + 5 + n > size:
                return
            length = int.from_bytes(bytes(data[pos + 5 : pos + 5 + n]), "big")
            head += n
        start = pos + head
        yield Dataset(data[pos + 1], data[pos + 2], pos, start, min(start + length, size))
        pos = start + length


class Resource(NamedTuple):
    """One image resource with id `id`; its data is [`start`, `start + size`) (the size as
    written: it may run past the block)."""

    id: int
    start: int
    size: int


def iter_resources(data: Any) -> Iterator[Resource]:
    """The image resources of a Photoshop block, in order."""
    size = len(data)
    pos = 0
    while pos + 12 <= size and bytes(data[pos : pos + 4]) in IRB_SIGNATURES:
        res_id = (data[pos + 4] << 8) | data[pos + 5]
        name_total = (1 + data[pos + 6] + 1) & ~1
        size_pos = pos + 6 + name_total
        if size_pos + 4 > size:
            return
        length = int.from_bytes(bytes(data[size_pos : size_pos + 4]), "big")
        start = size_pos + 4
        yield Resource(res_id, start, length)
        pos = start + length + (length & 1)
