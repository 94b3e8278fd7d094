"""A minimal FIT encoder for tests, written from the FIT protocol's public description.

It writes a file header (14 bytes, ".FIT", header CRC), one definition and data messages
for `file_id` (global 0) and `record` (global 20: timestamp, position_lat, position_long
in semicircles), and the file CRC. Enough for fitdecode to read back activities.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import datetime, timezone

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=timezone.utc)
_CRC_TABLE = (0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
              0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400)  # fmt: skip


def fit_crc(data: bytes, crc: int = 0) -> int:
    for byte in data:
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[byte & 0xF]
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[(byte >> 4) & 0xF]
    return crc


def _semicircles(degrees: float) -> int:
    return round(degrees * 2**31 / 180.0)


def _fit_time(when: datetime) -> int:
    return int((when - FIT_EPOCH).total_seconds())


def write_fit(points: Sequence[tuple[float, float, datetime]]) -> bytes:
    """A FIT activity file with one record message per (lat, lon, time)."""
    body = bytearray()
    # Definition, local 0 -> file_id: type(0, enum), manufacturer(1, uint16), time_created(4, uint32)
    body += bytes([0x40, 0, 0]) + struct.pack("<HB", 0, 3)
    body += bytes([0, 1, 0x00, 1, 2, 0x84, 4, 4, 0x86])
    first_time = points[0][2] if points else FIT_EPOCH
    body += bytes([0x00]) + struct.pack("<BHI", 4, 1, _fit_time(first_time))
    # Definition, local 1 -> record: timestamp(253), position_lat(0), position_long(1)
    body += bytes([0x41, 0, 0]) + struct.pack("<HB", 20, 3)
    body += bytes([253, 4, 0x86, 0, 4, 0x85, 1, 4, 0x85])
    for lat, lon, when in points:
        body += bytes([0x01]) + struct.pack(
            "<Iii", _fit_time(when), _semicircles(lat), _semicircles(lon)
        )
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    data = header + bytes(body)
    return data + struct.pack("<H", fit_crc(data))
