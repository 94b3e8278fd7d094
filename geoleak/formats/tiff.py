"""TIFF structure, as EXIF blocks (in every container) and TIFF-based raw files use it.

The header (byte order, magic, first IFD), the IFD entry layout and where an entry's value
lies (inline in its last 4 bytes when it fits, else at the offset those bytes hold). What
to do with a damaged header is the caller's choice: a reader goes on where it can, a
scrubber refuses.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from geoleak.errors import FormatError
from geoleak.formats.sniff import TIFF_MAGICS

__all__ = [
    "BIGTIFF_MAGIC",
    "ENTRY",
    "EXIF_IFD",
    "GPS_IFD",
    "INTEROP_IFD",
    "IPTC_TAG",
    "MAKER_NOTE",
    "PHOTOSHOP_TAG",
    "SUB_IFDS",
    "TIFF_MAGICS",
    "TYPE_NAMES",
    "TYPE_SIZES",
    "XMP_TAG",
    "Header",
    "read_header",
    "value_location",
]

# size in bytes of one value of each TIFF field type (16-18: BigTIFF's 8-byte integers)
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
              16: 8, 17: 8, 18: 8}  # fmt: skip
TYPE_NAMES = {1: "byte", 2: "string", 3: "int16u", 4: "int32u", 5: "rational64u",
              6: "int8s", 7: "undef", 8: "int16s", 9: "int32s", 10: "rational64s",
              11: "float", 12: "double", 13: "ifd"}  # fmt: skip
BIGTIFF_MAGIC = 43
# one 12-byte IFD entry: tag, type, count, value or offset (4 raw bytes)
ENTRY = {"<": struct.Struct("<HHI4s"), ">": struct.Struct(">HHI4s")}


class Header(NamedTuple):
    order: str  # "<" (II) or ">" (MM)
    magic: int  # 42, or a raw format's own (see TIFF_MAGICS)
    first_ifd: int


def read_header(data: Any) -> Header:
    """The TIFF header at the start of `data`. Raises FormatError without a byte-order mark."""
    if len(data) < 8:
        raise FormatError("EXIF block is shorter than a TIFF header")
    mark = bytes(data[:2])
    if mark == b"II":
        order = "<"
    elif mark == b"MM":
        order = ">"
    else:
        raise FormatError(f"EXIF block has no TIFF byte-order mark (starts {bytes(data[:4])!r})")
    magic, first = struct.unpack_from(order + "HI", data, 2)
    return Header(order, magic, first)


def value_location(order: str, typ: int, count: int, raw: bytes, entry_pos: int) -> tuple[int, int]:
    """(offset, size in bytes) of an entry's value; size -1 for an unknown type.

    A value of 4 bytes or fewer is stored in the entry itself (at entry_pos + 8).
    """
    unit = TYPE_SIZES.get(typ, -1)
    size = unit * count if unit > 0 else -1
    if 0 <= size <= 4:
        return entry_pos + 8, size
    return int.from_bytes(raw, "little" if order == "<" else "big"), size


# tags that give a TIFF block its structure (pointers to other IFDs and embedded blocks)
EXIF_IFD, GPS_IFD, INTEROP_IFD, SUB_IFDS = 0x8769, 0x8825, 0xA005, 0x014A
XMP_TAG, IPTC_TAG, PHOTOSHOP_TAG, MAKER_NOTE = 700, 0x83BB, 0x8649, 0x927C
