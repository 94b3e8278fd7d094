"""Reading a media file's metadata into a `MediaMeta` (the scan record).

`read_media` never raises for a problem with the file: an unreadable or truncated file
gives a record with `error` set, and a bad value gives a warning, so one file cannot stop
a batch. Pixels are never decoded: Pillow's `open` only parses headers, and `getexif`
reads the EXIF block (pillow-heif adds HEIC/HEIF).
"""

from __future__ import annotations

import os
import struct
import warnings as _warnings
from pathlib import Path
from typing import Any

from geoleak.extract.gps import parse_exif_datetime, position_from_exif, rational
from geoleak.types import MediaMeta

__all__ = ["read_media"]

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
# IFD0
_MAKE, _MODEL, _SOFTWARE = 0x010F, 0x0110, 0x0131
_DATETIME = 0x0132
# Exif IFD
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _SUBSEC_ORIGINAL = 0x9003, 0x9011, 0x9291
_BODY_SERIAL, _LENS_MODEL = 0xA431, 0xA434
# GPS IFD
_LAT_REF, _LAT, _LON_REF, _LON, _ALT_REF, _ALT = 1, 2, 3, 4, 5, 6
_H_POS_ERROR, _IMG_DIRECTION = 31, 17

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip()
    return text or None


def read_media(path: str | os.PathLike[str], *, display_path: str | None = None) -> MediaMeta:
    """Metadata of one file; `display_path` is what the record's `path` says."""
    from PIL import Image, UnidentifiedImageError

    _register_heif()
    shown = display_path if display_path is not None else str(path)
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            with Image.open(Path(path)) as image:
                fmt = (image.format or "").lower() or None
                exif = image.getexif()
                return _from_exif(shown, fmt, exif)
    except FileNotFoundError:
        return MediaMeta(path=shown, error="file not found")
    except PermissionError:
        return MediaMeta(path=shown, error="permission denied")
    except UnidentifiedImageError:
        return MediaMeta(path=shown, error="not an image format geoleak can read")
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError,
            struct.error, RuntimeError) as exc:  # fmt: skip
        return MediaMeta(path=shown, error=f"cannot read metadata: {exc}")


def _from_exif(shown: str, fmt: str | None, exif: Any) -> MediaMeta:
    warnings: list[str] = []
    has_metadata = len(exif) > 0
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception as exc:  # noqa: BLE001  (a broken IFD is a warning, never a crash)
        warnings.append(f"GPS block unreadable: {exc}")
        gps = {}
    try:
        exif_ifd = exif.get_ifd(_EXIF_IFD)
    except Exception as exc:  # noqa: BLE001
        warnings.append(f"Exif block unreadable: {exc}")
        exif_ifd = {}

    reading = position_from_exif(gps.get(_LAT), gps.get(_LAT_REF), gps.get(_LON), gps.get(_LON_REF))
    warnings.extend(reading.warnings)
    alt_m = None
    if gps.get(_ALT) is not None:
        try:
            alt_m = rational(gps[_ALT])
            ref = gps.get(_ALT_REF)
            if ref in (1, b"\x01") or (isinstance(ref, bytes) and ref[:1] == b"\x01"):
                alt_m = -alt_m
        except ValueError as exc:
            warnings.append(f"GPSAltitude: {exc}; ignored")
    capture = parse_exif_datetime(
        exif_ifd.get(_DATETIME_ORIGINAL), exif_ifd.get(_OFFSET_TIME_ORIGINAL),
        exif_ifd.get(_SUBSEC_ORIGINAL),
    )  # fmt: skip
    if capture is None:
        capture = parse_exif_datetime(exif.get(_DATETIME))
    return MediaMeta(
        path=shown,
        format=_FORMAT_NAMES.get(fmt or "", fmt),
        position=reading.position,
        alt_m=alt_m,
        capture_time=capture,
        make=_text(exif.get(_MAKE)),
        model=_text(exif.get(_MODEL)),
        serial=_text(exif_ifd.get(_BODY_SERIAL)),
        lens=_text(exif_ifd.get(_LENS_MODEL)),
        software=_text(exif.get(_SOFTWARE)),
        position_source="exif" if reading.position else None,
        warnings=tuple(warnings),
        has_metadata=has_metadata,
    )


_FORMAT_NAMES = {"jpeg": "jpeg", "mpo": "jpeg", "heif": "heic", "png": "png", "webp": "webp"}
