"""Google Camera Motion Metadata (CAMM): the `camm` timed-metadata track of MP4 files from
360 cameras and phones (Insta360, Ricoh Theta, Street View apps).

Each sample holds one or more little-endian packets: `uint16 reserved, uint16 type`, then
the type's fields (developers.google.com/streetview/publish/camm-spec). Positions:

* type 5: double latitude, longitude, altitude (m);
* type 6: double time_gps_epoch (s), int32 gps_fix_type (0 = no fix), double latitude,
  longitude, float altitude, horizontal accuracy (m), vertical accuracy, velocity east,
  north, up, speed accuracy.

Packet sizes with their 4-byte header are exiftool's (ProcessCAMM): 0: 16, 1: 12, 2-4: 16,
5: 28, 6: 60, 7: 16; a walk stops at an unknown type or a packet past the sample's end,
and, like exiftool's, reads packets while more than the 4-byte header remains.

Type 6 time: the spec says seconds since the GPS epoch (1980-01-06), but Insta360 writes
the Unix epoch. As exiftool does, the value is read as Unix time unless the file's creation
time lies more than five years later, when the GPS epoch's 315,964,800 s are added (leap
seconds, 18 s since 2017, are left out as exiftool leaves them out).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["PACKET_SIZES", "CammFix", "camm_fixes", "camm_time"]

PACKET_SIZES = {0: 16, 1: 12, 2: 16, 3: 16, 4: 16, 5: 28, 6: 60, 7: 16}
MAX_PACKETS = 100_000
GPS_EPOCH_OFFSET_S = 315_964_800  # 1980-01-06 minus 1970-01-01
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_FIVE_YEARS_S = 24 * 3600 * 365 * 5


@dataclass(frozen=True, slots=True)
class CammFix:
    """One type 5 or 6 packet. `time_s` is the raw type 6 time (see `camm_time`),
    `fix_type` 0 means no fix (type 6 only), `accuracy_m` the horizontal accuracy."""

    lat: float
    lon: float
    alt_m: float | None
    packet_type: int
    time_s: float | None = None
    fix_type: int | None = None
    accuracy_m: float | None = None


def camm_fixes(data: bytes) -> list[CammFix]:
    """The position packets of one `camm` sample (or several concatenated), in order."""
    out: list[CammFix] = []
    pos = 0
    end = len(data)
    while pos + 4 < end and len(out) < MAX_PACKETS:
        (packet_type,) = struct.unpack_from("<H", data, pos + 2)
        size = PACKET_SIZES.get(packet_type)
        if size is None or pos + size > end:
            break
        if packet_type == 5:
            lat, lon, alt = struct.unpack_from("<3d", data, pos + 4)
            out.append(CammFix(lat, lon, alt if math.isfinite(alt) else None, 5))
        elif packet_type == 6:
            (when,) = struct.unpack_from("<d", data, pos + 4)
            (fix,) = struct.unpack_from("<i", data, pos + 12)
            lat, lon = struct.unpack_from("<2d", data, pos + 16)
            alt, horizontal = struct.unpack_from("<2f", data, pos + 32)
            out.append(
                CammFix(
                    lat,
                    lon,
                    alt if math.isfinite(alt) else None,
                    6,
                    when if math.isfinite(when) else None,
                    fix,
                    horizontal if math.isfinite(horizontal) and horizontal > 0 else None,
                )
            )
        pos += size
    return out


def camm_time(value: float | None, created: datetime | None) -> datetime | None:
    """UTC time of a type 6 `time_gps_epoch` value, read as exiftool reads it (see above)."""
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    if created is not None and created.timestamp() - value > _FIVE_YEARS_S:
        value += GPS_EPOCH_OFFSET_S
    try:
        return _UNIX_EPOCH + timedelta(seconds=value)
    except OverflowError:
        return None
