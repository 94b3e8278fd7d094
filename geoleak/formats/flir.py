"""FLIR FFF / AFF records (thermal cameras), carried in JPEG APP1 'FLIR' segments.

The record directory lists typed records: CameraInfo (0x20: model, serial numbers, capture
time) and GPSInfo (0x2B: often the only position in a FLIR photo). The directory's byte
order is told by the format version (100..199 read the right way round).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from geoleak.formats.tags import Kind, by_group

__all__ = ["CAMERA_INFO", "GPS_INFO", "SERIAL_FIELDS", "FffRecord", "fff_records"]

CAMERA_INFO, GPS_INFO = 0x20, 0x2B
MAX_RECORDS = 1024
# CameraInfo byte offset -> (name, length) of its serial-number strings
SERIAL_FIELDS = {
    int(tid): (tag.name, 32 if tag.name.startswith("Filter") else 16)
    for tid, tag in by_group("FLIR").items()
    if tag.kind is Kind.IDENTITY
}


class FffRecord(NamedTuple):
    type: int
    entry_pos: int  # the 32-byte directory entry
    offset: int
    length: int


def fff_records(fff: bytes) -> tuple[str, list[FffRecord]] | None:
    """The byte order and records of FFF data, or None when it is not FFF of a known version."""
    if len(fff) < 0x40 or fff[:4] not in (b"FFF\x00", b"AFF\x00"):
        return None
    for order in (">", "<"):
        if 100 <= struct.unpack_from(order + "I", fff, 0x14)[0] < 200:
            break
    else:
        return None
    dir_pos, count = struct.unpack_from(order + "II", fff, 0x18)
    records = []
    for i in range(min(count, MAX_RECORDS)):
        at = dir_pos + 32 * i
        if at + 32 > len(fff):
            break
        rtype, _sub, _ver, _rid, offset, length = struct.unpack_from(order + "HHIIII", fff, at)
        records.append(FffRecord(rtype, at, offset, length))
    return order, records
