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
from typing import Any, Literal

from geoleak.errors import FormatError
from geoleak.extract.source import Span
from geoleak.formats.tags import tag_id
from geoleak.formats.tiff import (
    EXIF_IFD,
    GPS_IFD,
    MAKER_NOTE,
    TIFF_MAGICS,
    TYPE_NAMES,
    TYPE_SIZES,
    XMP_TAG,
    Entry,
    Ifd,
    _tag_column,
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


_POINTER_CODES = {3: "H", 4: "I", 8: "h", 9: "i", 13: "I"}  # (formats.tiff._POINTER_TYPES)
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

    A block in memory is read by `_read_block` (one pass per IFD, no `Entry` per tag);
    a `Span` of the file by the shared walk (`walk_ifds` + `TiffBlock.decode`), which
    gives the same tags and warnings (a property test holds them equal).
    Raises TiffError when the block has no TIFF header at all.
    """
    block = TiffBlock(data)
    if type(data) is bytes:
        found = _read_block(block, data, what)
    else:
        found = _walk_block(block, data, what)
    ifd0, exif, gps = found.get("IFD0", {}), found.get("ExifIFD", {}), found.get("GPS", {})
    if BODY_SERIAL not in exif and MAKER_NOTE in block.maker_note:
        serial = _maker_serial(block, ifd0.get(MAKE))
        if serial is not None:
            exif[BODY_SERIAL] = serial
    return ifd0, exif, gps, block.warnings


def _walk_block(block: TiffBlock, data: bytes | Span, what: str) -> dict[str, dict[int, Any]]:
    """The tags of IFD0, ExifIFD and GPS by the shared walk (the general path)."""
    found: dict[str, dict[int, Any]] = {}
    for name, ifd in walk_ifds(
        data, block.order, block.first_ifd, follow=_FOLLOW, max_entries=MAX_IFD_ENTRIES,
        wanted=READ_TAGS, bad=lambda name, pos, why: block.bad(f"{what} {name}", pos, why),
    ):  # fmt: skip
        if name not in found:  # (a GPS pointer in both IFD0 and ExifIFD: IFD0's is read)
            found[name] = block.decode(ifd, f"{what} {name}")
    return found


# per IFD name: the tags decoded there (the reader's tags and the followed pointers)
_DECODED = {name: frozenset(tags | _FOLLOW.keys()) for name, tags in READ_TAGS.items()}
_ENTRY = {"<": struct.Struct("<HHI4s").unpack_from, ">": struct.Struct(">HHI4s").unpack_from}
_BYTEORDER: dict[str, Literal["little", "big"]] = {"<": "little", ">": "big"}
_BYTES_TYPES = frozenset({1, 6, 7})  # BYTE, SBYTE, UNDEFINED: raw bytes


def _read_block(block: TiffBlock, data: bytes, what: str) -> dict[str, dict[int, Any]]:
    """`_walk_block` for a block in memory, in one function: the same IFDs in the same
    order, the same values and warnings, without an `Entry` or a call per tag.

    Per IFD (breadth first from IFD0, each position once): the tags of all entries in one
    `struct` call; each wanted entry unpacked and decoded in place (the rules of
    `TiffBlock.decode` and `_value`); then its pointers followed (`formats.tiff.pointers`).
    """
    order = block.order
    byteorder = _BYTEORDER[order]
    unpack_entry = _ENTRY[order]
    warnings = block.warnings
    size = len(data)
    found: dict[str, dict[int, Any]] = {}
    seen: set[int] = set()
    queue: list[tuple[int, str]] = [(block.first_ifd, "IFD0")]
    for pos, name in queue:  # (the queue grows while it is walked)
        if pos in seen or pos == 0:
            continue
        seen.add(pos)
        if pos < 8 or pos + 2 > size:
            warnings.append(f"{what} {name} IFD offset {pos} is outside the EXIF block")
            continue
        claimed = int.from_bytes(data[pos : pos + 2], byteorder)
        decode = name not in found  # (a second GPS IFD: only its pointers are followed)
        if claimed > MAX_IFD_ENTRIES:
            if decode:
                found[name] = {}
                warnings.append(f"{what} {name} IFD claims {claimed} entries; ignored")
            continue
        start = pos + 2
        count = min(claimed, (size - start) // 12)
        wanted = _DECODED[name]
        tags = _tag_column(order, count).unpack_from(data, start)
        out: dict[int, Any] = {}
        if decode:
            found[name] = out
            if count < claimed:
                warnings.append(f"{what} {name} IFD is truncated ({claimed} entries do not fit)")
        firsts: dict[int, tuple[int, int, int, bytes]] = {}
        links: list[tuple[int, int, int, bytes, int]] = []
        for index, tag in enumerate(tags):
            if tag not in wanted:
                continue
            at = start + 12 * index
            entry = unpack_entry(data, at)
            _, typ, num, raw = entry
            if tag in _FOLLOW:
                links.append((tag, typ, num, raw, at))
            if not decode:
                continue
            first = firsts.get(tag)
            if first is not None:  # a duplicate: the first value is kept
                if first != entry:
                    block._duplicate(tag, f"{what} {name}")
                continue
            firsts[tag] = entry
            unit = TYPE_SIZES.get(typ, -1)
            total = unit * num if unit > 0 else -1
            value_pos = at + 8 if 0 <= total <= 4 else int.from_bytes(raw, byteorder)
            if tag == MAKER_NOTE:
                if num > 4 and value_pos + min(num, 16) <= size:
                    block.maker_note[tag] = (value_pos, min(num, size - value_pos))
                continue
            if typ not in TYPE_NAMES:
                warnings.append(f"{what} {name} tag 0x{tag:04x} has unknown type {typ}; ignored")
                continue
            if total > 4 and value_pos + (total if total < 2048 else 2048) > size:
                warnings.append(
                    f"{what} {name} tag 0x{tag:04x} points outside the EXIF block; ignored"
                )
                continue
            if typ == 2:  # ASCII
                out[tag] = data[value_pos : value_pos + (num if num < MAX_STRING else MAX_STRING)]
            elif typ in _BYTES_TYPES:
                out[tag] = data[value_pos : value_pos + min(num, 4 * 1024 * 1024)]
            else:
                values = _layout(order, typ, num if num < MAX_VALUES else MAX_VALUES).unpack_from(
                    data, value_pos
                )
                if typ in (5, 10):  # (numerator, denominator) pairs
                    values = tuple(zip(values[::2], values[1::2], strict=False))
                out[tag] = values
        for tag, typ, num, raw, at in links:  # (formats.tiff.pointers, inline)
            code = _POINTER_CODES.get(typ)
            unit = TYPE_SIZES.get(typ, -1)
            total = unit * num if unit > 0 else -1
            value_pos = at + 8 if 0 <= total <= 4 else int.from_bytes(raw, byteorder)
            child = _FOLLOW[tag]
            if code is None or total < 0 or value_pos + total > size:
                kind = "a string" if typ == 2 else f"type {typ}"
                warnings.append(f"{what} {child} pointer is stored as {kind}; skipped")
                continue
            offsets = struct.unpack(f"{order}{num}{code}", data[value_pos : value_pos + total])
            queue += [(p, child) for p in offsets if p >= 0]
    return found


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
