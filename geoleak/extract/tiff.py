"""A small, bounds-checked TIFF/EXIF IFD reader: only the tags geoleak needs.

EXIF is a TIFF structure wherever it lives (JPEG APP1, HEIC/AVIF Exif items, PNG eXIf,
WebP EXIF chunks, JPEG XL Exif boxes, TIFF/DNG/RAW files themselves). This module takes
the shared IFD walk (`formats.tiff.walk_ifds`, the one scrub takes too) as far as IFD0,
the Exif IFD and the GPS IFD of such a block (in memory, or a `source.Span` of the file
read as the walk asks), and decodes only the tags
listed below, so a 20 KB APP1 costs a few struct calls.

Every offset and count is checked against the block before use; IFD entry counts, value
counts and the number of IFDs visited are capped, and an IFD is never read twice, so a
crafted file can neither loop nor make us allocate more than the block itself.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable
from functools import partial
from typing import Any

from geoleak.errors import FormatError
from geoleak.extract.source import Span
from geoleak.formats.tags import tag_id
from geoleak.formats.tiff import (
    EXIF_IFD,
    GPS_IFD,
    MAKER_NOTE,
    TIFF_MAGICS,
    TYPE_NAMES,
    XMP_TAG,
    Entry,
    Ifd,
    read_header,
    read_ifd,
    walk_ifds,
)

__all__ = ["XMP_TAG", "TiffBlock", "TiffError", "read_tiff_tags"]

MAX_IFD_ENTRIES = 1000  # real IFDs hold < 300; a larger count means garbage
MAX_VALUES = 256  # values decoded per tag (GPS needs 3, strings are capped separately)
MAX_STRING = 4096  # bytes decoded per ASCII tag

# tag numbers from the tag table (formats.tags), by the names exiftool gives them
_E, _G = partial(tag_id, "EXIF"), partial(tag_id, "GPS")
MAKE, MODEL, SOFTWARE, DATETIME = _E("Make"), _E("Model"), _E("Software"), _E("DateTime")
EXIF_POINTER, GPS_POINTER = EXIF_IFD, GPS_IFD
DNG_CAMERA_SERIAL = _E("CameraSerialNumber")
DATETIME_ORIGINAL, DATETIME_DIGITIZED = _E("DateTimeOriginal"), _E("DateTimeDigitized")
OFFSET_TIME, OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED = (
    _E("OffsetTime"), _E("OffsetTimeOriginal"), _E("OffsetTimeDigitized"))  # fmt: skip
SUBSEC_TIME, SUBSEC_ORIGINAL, SUBSEC_DIGITIZED = (
    _E("SubSecTime"), _E("SubSecTimeOriginal"), _E("SubSecTimeDigitized"))  # fmt: skip
BODY_SERIAL, LENS_MAKE, LENS_MODEL, LENS_SERIAL = (
    _E("BodySerialNumber"), _E("LensMake"), _E("LensModel"), _E("LensSerialNumber"))  # fmt: skip
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = (
    _G("GPSLatitudeRef"), _G("GPSLatitude"), _G("GPSLongitudeRef"), _G("GPSLongitude"))  # fmt: skip
GPS_ALT_REF, GPS_ALT, GPS_TIMESTAMP = _G("GPSAltitudeRef"), _G("GPSAltitude"), _G("GPSTimeStamp")
GPS_STATUS, GPS_IMG_DIRECTION_REF = _G("GPSStatus"), _G("GPSImgDirectionRef")
GPS_IMG_DIRECTION, GPS_DATESTAMP = _G("GPSImgDirection"), _G("GPSDateStamp")
GPS_H_POSITIONING_ERROR = _G("GPSHPositioningError")

IFD0_TAGS = frozenset({MAKE, MODEL, SOFTWARE, DATETIME, EXIF_POINTER, GPS_POINTER,
                       DNG_CAMERA_SERIAL, OFFSET_TIME, XMP_TAG})  # fmt: skip
EXIF_TAGS = frozenset({DATETIME_ORIGINAL, DATETIME_DIGITIZED, OFFSET_TIME, OFFSET_TIME_ORIGINAL,
                       OFFSET_TIME_DIGITIZED, SUBSEC_TIME, SUBSEC_ORIGINAL, SUBSEC_DIGITIZED,
                       BODY_SERIAL, LENS_MAKE, LENS_MODEL, LENS_SERIAL,
                       GPS_POINTER, MAKE, MODEL, MAKER_NOTE})  # fmt: skip
GPS_TAGS = frozenset(range(32))
# a reader's walk: IFD0, ExifIFD and GPS (a few writers put the GPS pointer in ExifIFD)
_FOLLOW = {EXIF_POINTER: "ExifIFD", GPS_POINTER: "GPS"}
READ_TAGS = {"IFD0": IFD0_TAGS, "ExifIFD": EXIF_TAGS, "GPS": GPS_TAGS}


class TiffError(FormatError):
    """The block is not a TIFF structure (bad header); the caller reports it."""


class TiffBlock:
    """A TIFF structure in memory (or a `Span` of the file); `data` starts at the byte-order mark."""

    __slots__ = ("data", "first_ifd", "maker_note", "order", "warnings")

    def __init__(self, data: bytes | Span) -> None:
        try:
            header = read_header(data)
        except FormatError as exc:
            raise TiffError(str(exc)) from None
        self.order = header.order
        self.data = data
        magic = header.magic
        self.warnings: list[str] = []
        if magic not in TIFF_MAGICS:
            if bin(magic ^ 42).count("1") > 2:  # more than a damaged bit or two: not TIFF
                raise TiffError(f"EXIF block has TIFF magic {magic}, expected 42")
            self.warnings.append(f"EXIF block has a damaged TIFF magic ({magic}); read anyway")
        self.first_ifd = header.first_ifd
        self.maker_note: dict[int, tuple[int, int]] = {}

    def ifd(self, offset: int, wanted: Iterable[int] | None, what: str) -> dict[int, Any]:
        """Decoded values of the `wanted` tags (all when None) of the IFD at `offset`."""
        wanted_set = frozenset(wanted) if wanted is not None else None
        try:
            ifd = read_ifd(
                self.data, self.order, offset, max_entries=MAX_IFD_ENTRIES, wanted=wanted_set
            )
        except FormatError:
            self.bad(what, offset, "")
            return {}
        return self.decode(ifd, what)

    def bad(self, what: str, offset: int, why: str) -> None:
        """A warning for an IFD that cannot be read (or a pointer that is not an offset)."""
        if offset < 0:
            self.warnings.append(f"{what} {why}; skipped")
        else:
            self.warnings.append(f"{what} IFD offset {offset} is outside the EXIF block")

    def decode(self, ifd: Ifd, what: str) -> dict[int, Any]:
        """The decoded values of an IFD's entries, first of each tag (warnings for the rest)."""
        data = self.data
        if ifd.claimed > MAX_IFD_ENTRIES:
            self.warnings.append(f"{what} IFD claims {ifd.claimed} entries; ignored")
            return {}
        if not ifd.complete:
            self.warnings.append(f"{what} IFD is truncated ({ifd.claimed} entries do not fit)")
        out: dict[int, Any] = {}
        seen: dict[int, Entry] = {}
        size = len(data)
        for entry in ifd.entries:
            tag = entry.tag
            first = seen.get(tag)
            if first is not None:  # a duplicate: keep the first value, but say so if it differs
                if (first.type, first.count, first.raw) != (entry.type, entry.count, entry.raw):
                    self._duplicate(tag, what)
                continue
            seen[tag] = entry
            if tag == MAKER_NOTE:  # kept as a location: its offsets need the whole block
                pos, num = entry.value_pos, entry.count
                if num > 4 and pos + min(num, 16) <= size:
                    self.maker_note[tag] = (pos, min(num, size - pos))
                continue
            value = self._value(entry, what, size)
            if value is not None:
                out[tag] = value
        return out

    def _duplicate(self, tag: int, what: str) -> None:
        if what.endswith("GPS") and tag in (1, 3):
            self.warnings.append(
                f"{what}: hemisphere reference tag 0x{tag:04x} appears twice with different "
                "values; the first is used, sign uncertain"
            )
        else:
            self.warnings.append(
                f"{what} tag 0x{tag:04x} appears twice with different values; the first is used"
            )

    def _value(self, entry: Entry, what: str, size: int) -> Any:
        typ, pos = entry.type, entry.value_pos
        if typ not in TYPE_NAMES:  # (BigTIFF's 8-byte types do not occur in EXIF)
            self.warnings.append(f"{what} tag 0x{entry.tag:04x} has unknown type {typ}; ignored")
            return None
        total = entry.size
        if total > 4 and pos + (total if total < 2048 else 2048) > size:
            # (2048: what is decoded at most, see below)
            self.warnings.append(
                f"{what} tag 0x{entry.tag:04x} points outside the EXIF block; ignored"
            )
            return None
        num = entry.count
        if typ == 2:  # ASCII
            return self.data[pos : pos + (num if num < MAX_STRING else MAX_STRING)]
        if typ in (1, 7, 6):  # BYTE, UNDEFINED, SBYTE: raw bytes (XMP can be long)
            return self.data[pos : pos + min(num, 4 * 1024 * 1024)]
        layout = _layout(self.order, typ, num if num < MAX_VALUES else MAX_VALUES)
        data = self.data
        if type(data) is bytes:
            values = layout.unpack_from(data, pos)
        else:  # a Span of the file: its bytes are sliced, not a buffer
            values = layout.unpack(data[pos : pos + layout.size])
        if typ in (5, 10):  # RATIONAL, SRATIONAL: (numerator, denominator) pairs
            return tuple(zip(values[::2], values[1::2], strict=False))
        return values


_CODES = {3: "H", 4: "I", 13: "I", 5: "I", 10: "i", 8: "h", 9: "i", 11: "f", 12: "d"}


@functools.lru_cache(maxsize=512)
def _layout(order: str, typ: int, count: int) -> struct.Struct:
    """The struct of `count` values of a numeric TIFF type (rationals: two each)."""
    pairs = 2 if typ in (5, 10) else 1
    return struct.Struct(f"{order}{pairs * count}{_CODES[typ]}")


def read_tiff_tags(
    data: bytes | Span, what: str = "EXIF"
) -> tuple[dict[int, Any], dict[int, Any], dict[int, Any], list[str]]:
    """IFD0, Exif IFD and GPS IFD tags of a TIFF block, and the warnings met.

    Raises TiffError when the block has no TIFF header at all.
    """
    block = TiffBlock(data)
    found: dict[str, dict[int, Any]] = {}
    for name, ifd in walk_ifds(
        data, block.order, block.first_ifd, follow=_FOLLOW, max_entries=MAX_IFD_ENTRIES,
        wanted=READ_TAGS, bad=lambda name, pos, why: block.bad(f"{what} {name}", pos, why),
    ):  # fmt: skip
        if name not in found:  # (a GPS pointer in both IFD0 and ExifIFD: IFD0's is read)
            found[name] = block.decode(ifd, f"{what} {name}")
    ifd0, exif, gps = found.get("IFD0", {}), found.get("ExifIFD", {}), found.get("GPS", {})
    if BODY_SERIAL not in exif and MAKER_NOTE in block.maker_note:
        serial = _maker_serial(block, ifd0.get(MAKE))
        if serial is not None:
            exif[BODY_SERIAL] = serial
    return ifd0, exif, gps, block.warnings


def _maker_serial(block: TiffBlock, make: Any) -> bytes | None:
    """The body serial from Nikon (type 3) or Canon maker notes, when EXIF has none."""
    offset, length = block.maker_note[MAKER_NOTE]
    make_text = make if isinstance(make, bytes) else b""
    data = block.data
    try:
        if make_text.startswith(b"NIKON") and data[offset : offset + 7] == b"Nikon\x00\x02":
            nikon = TiffBlock(data[offset + 10 : offset + length])
            value = nikon.ifd(nikon.first_ifd, (0x001D,), "Nikon MakerNote").get(0x001D)
            return value if isinstance(value, bytes) and value.strip(b"\x00 ") else None
        if make_text.startswith(b"Canon"):
            value = block.ifd(offset, (0x000C,), "Canon MakerNote").get(0x000C)
            if isinstance(value, tuple) and value and isinstance(value[0], int) and value[0]:
                return str(value[0]).encode()
    except (TiffError, struct.error):
        return None
    return None


def type_name(typ: int) -> str:
    return TYPE_NAMES.get(typ, f"type {typ}")
