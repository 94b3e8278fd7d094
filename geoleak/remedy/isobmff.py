"""ISO base media files (HEIC/HEIF/AVIF, MP4/MOV/3GP, JPEG XL containers): in-place cleaning.

- HEIF/AVIF: the Exif and XMP items are found through `iinf` and addressed through
  `iloc` (file offsets or `idat`); their bytes are cleaned in place (see tiff.py), so
  every `iloc` extent and the image items stay exactly where they were.
- MP4/MOV/3GP: `udta` location atoms (`©xyz`, `loci`) are renamed `free` and their payload
  zeroed; QuickTime `keys`/`ilst` location values (com.apple.quicktime.location.*) have
  their `ilst` item renamed `free` and zeroed; XMP (`uuid` box or `udta/XMP_`) is cleaned.
  `free` is the box every reader skips, and sizes do not change, so `stco`/`co64` chunk
  offsets stay valid and the media data is untouched. A timed GPS track (GoPro `gpmd`,
  `camm`, Apple `mebx` with location keys) cannot be removed without rewriting the media
  data: such a file is refused (reported, left out of the output).
- JPEG XL: `Exif` and `xml ` boxes are cleaned. Their Brotli-compressed form (a `brob`
  box, which cjxl writes when it transcodes a JPEG) is decompressed and cleaned; when
  something must go, the cleaned content is compressed again and written over the box,
  a `free` box filling what the new `brob` box does not need, so no later byte moves. When
  no compression of it fits, the file is refused.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Iterator

from geoleak.errors import FormatError
from geoleak.formats import isobmff as bmff
from geoleak.formats.iso6709 import ISO6709, is_decimal_degrees
from geoleak.formats.iso6709 import parse_iso6709 as _parse_iso6709
from geoleak.formats.isobmff import Box, IlstValue
from geoleak.formats.tags import Kind, by_group
from geoleak.formats.tiff import exif_tiff_offset
from geoleak.remedy.blocks import clean_exif, clean_iim, clean_xmp
from geoleak.remedy.jumbf import clean_jumbf
from geoleak.remedy.model import (
    Finding,
    FindingKind,
    Patch,
    Region,
    ScanResult,
    ScrubOptions,
    Unsupported,
    kind_of,
    text_finding,
    wanted,
)
from geoleak.remedy.tiff import coarse_position

__all__ = ["scan_boxes", "scan_isobmff"]

_QT = by_group("QuickTime")
_UDTA_LOCATION = {
    k: f"{'3GPP' if k == b'loci' else 'QuickTime'} {bytes(k).decode('latin-1')} ({t.name})"
    for k, t in _QT.items()
    if t.kind is Kind.LOCATION and isinstance(k, bytes)
}
_UDTA_IDENTIFYING = {k: t.name for k, t in _QT.items() if t.kind in (Kind.IDENTITY, Kind.PERSON)}
_UDTA_FREE_TEXT = {k: t.name for k, t in _QT.items() if t.kind is Kind.FREE_TEXT}
_KEYS = by_group("QuickTime keys")
_MAX_DEPTH = 12


def scan_isobmff(data: bytes | memoryview, opts: ScrubOptions) -> ScanResult:
    """Findings and patches for a box-structured file."""
    top = list(bmff.iter_boxes(data, 0, len(data)))
    fmt = bmff.file_format(data, top)
    result = ScanResult(fmt)
    start = 12 if fmt == "jxl" else 0  # after the 'JXL ' signature box
    scan_boxes(data, opts, result, start=start, end=len(data), label="")
    return result


def _boxes(data: bytes | memoryview, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) of the boxes in [start, end); a malformed
    box raises FormatError (the file is then refused), a truncated last box is clipped."""
    return [(b.type, b.start, b.payload, b.end) for b in bmff.iter_boxes(data, start, end)]


def scan_boxes(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    *,
    start: int,
    end: int,
    label: str,
    depth: int = 0,
) -> None:
    if depth > _MAX_DEPTH:
        return
    prefix = f"{label} " if label else ""
    for btype, bstart, payload, bend in _boxes(data, start, end):
        if btype in bmff.CONTAINER_BOXES:
            if btype == b"udta":
                _udta(data, opts, result, payload, bend, prefix)
            scan_boxes(data, opts, result, start=payload, end=bend, label=label, depth=depth + 1)
            if btype == b"stbl":
                _check_timed_gps(data, payload, bend)
        elif btype == b"meta":
            _meta(data, opts, result, payload, bend, label, depth)
        elif btype == b"uuid" and bytes(data[payload : payload + 16]) == bmff.XMP_UUID:
            clean_xmp(
                result,
                Region.whole(data, payload + 16, bend - payload - 16),
                opts,
                label=f"{prefix}XMP",
            )
        elif btype == b"uuid" and bytes(data[payload : payload + 16]) == bmff.C2PA_UUID:
            store = bmff.c2pa_store_start(data, payload + 16, bend)
            if store is not None:
                clean_jumbf(result, Region.whole(data, store, bend - store))
        elif btype == b"uuid" and bytes(data[payload : payload + 16]) == bmff.JP2_EXIF_UUID:
            tiff = payload + 16 + exif_tiff_offset(bytes(data[payload + 16 : payload + 32]))
            clean_exif(result, Region.whole(data, tiff, bend - tiff), opts, label=f"{prefix}EXIF")
        elif btype == b"uuid" and bytes(data[payload : payload + 16]) == bmff.JP2_IPTC_UUID:
            clean_iim(result, Region.whole(data, payload + 16, bend - payload - 16), opts)
        elif (
            btype == b"uuid"
            and (blocks := bmff.cr3_blocks(data, Box(btype, bstart, payload, bend))) is not None
        ):
            _canon_cr3(data, opts, result, blocks, prefix)
        elif btype == b"Exif":  # JPEG XL
            if bend - payload >= 4:
                skip = struct.unpack_from(">I", data, payload)[0]
                tiff = payload + 4 + skip
                clean_exif(
                    result, Region.whole(data, tiff, bend - tiff), opts, label=f"{prefix}EXIF"
                )
        elif btype == b"xml ":
            clean_xmp(
                result, Region.whole(data, payload, bend - payload), opts, label=f"{prefix}XMP"
            )
        elif btype == b"brob" and bytes(data[payload : payload + 4]) in (b"Exif", b"xml "):
            _brob(data, opts, result, bstart, payload, bend, prefix)
        elif btype in (b"mvhd", b"tkhd", b"mdhd") and opts.drop_time:
            _zero_times(data, result, payload, bend, btype)


def _brob(
    data: bytes | memoryview, opts: ScrubOptions, result: ScanResult,
    bstart: int, payload: int, bend: int, prefix: str,
) -> None:  # fmt: skip
    """A JPEG XL `brob` box that holds Exif or XMP, cleaned as the plain box would be."""
    try:
        inner, content = bmff.brob_content(bytes(data[payload:bend]))
    except FormatError as exc:
        raise Unsupported(f"compressed JPEG XL metadata not read: {exc}") from exc
    scratch = ScanResult("jxl")
    what = f"{prefix}{'EXIF' if inner == b'Exif' else 'XMP'} (Brotli)"
    if inner == b"Exif":
        tiff = 4 + struct.unpack_from(">I", content)[0] if len(content) >= 4 else len(content)
        clean_exif(scratch, Region.whole(content, tiff, len(content) - tiff), opts, label=what)
    else:
        clean_xmp(scratch, Region.whole(content, 0, len(content)), opts, label=what)
    result.notes += scratch.notes
    if not scratch.patches:
        result.findings += scratch.findings
        return
    cleaned = bytearray(content)
    for patch in scratch.patches:
        cleaned[patch.offset : patch.end] = patch.data
    room = bend - bstart - 12  # a 32-bit box header and the inner type
    for stream in _brotli_streams(bytes(cleaned)):
        spare = room - len(stream)
        if spare == 0 or spare >= 8:
            box = struct.pack(">I", 12 + len(stream)) + b"brob" + inner + stream
            if spare:
                box += struct.pack(">I", spare) + b"free" + bytes(spare - 8)
            result.findings += scratch.findings
            result.patches.append(Patch(bstart, box))
            return
    raise Unsupported(
        f"{what} holds metadata geoleak must remove but cannot compress back into its box",
        scratch.findings,
    )


def _brotli_streams(content: bytes) -> Iterator[bytes]:
    """Brotli streams of `content`, smallest settings first: one of them usually leaves
    either no byte or room for a `free` box (8 bytes or more) in the box it replaces."""
    import brotli

    for quality in range(11, -1, -1):
        for window in (22, 24, 20, 18, 16, 12, 10):
            yield brotli.compress(content, quality=quality, lgwin=window)


def _canon_cr3(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    blocks: list[tuple[str, Box]],
    prefix: str,
) -> None:
    """Canon CR3 (formats.isobmff.CR3_BLOCKS): the IFD0 and Exif blocks are cleaned as
    TIFF, the GPS block freed whole, the maker notes freed with --all-identifying."""
    for name, box in blocks:
        what = f"{prefix}CR3 {box.type.decode()}"
        if name in ("IFD0", "ExifIFD"):
            clean_exif(result, Region.whole(data, box.payload, box.end - box.payload), opts,
                       label=what)  # fmt: skip
        elif name == "GPS":
            result.add(
                Finding(f"{what} (GPS IFD)", FindingKind.LOCATION, "GPS block", True),
                _free_box(box.start, box.payload, box.end),
            )
        elif name == "MakerNote":
            result.add(
                Finding(
                    f"{what} (MakerNote)", FindingKind.IDENTIFYING, "present", opts.all_identifying
                ),
                _free_box(box.start, box.payload, box.end) if opts.all_identifying else (),
            )


def _meta(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    payload: int,
    bend: int,
    label: str,
    depth: int,
) -> None:
    inner = bmff.meta_children_start(data, Box(b"meta", payload - 8, payload, bend))
    children = _boxes(data, inner, bend)
    by_type: dict[bytes, list[tuple[bytes, int, int, int]]] = {}
    for child in children:
        by_type.setdefault(child[0], []).append(child)
    prefix = f"{label} " if label else ""
    if b"iinf" in by_type:
        boxes = [Box(t, start, payload, end) for t, start, payload, end in children]
        _heif_items(data, opts, result, boxes, prefix)
    if b"ilst" in by_type:
        boxes = [Box(t, start, payload, end) for t, start, payload, end in children]
        _quicktime_keys(data, opts, result, bmff.meta_values(data, boxes), prefix)
    for btype, cstart, _cpayload, cend in children:
        if btype in (
            b"iinf",
            b"iloc",
            b"keys",
            b"ilst",
            b"hdlr",
            b"idat",
            b"pitm",
            b"iref",
            b"dinf",
            b"pixi",
            b"ipma",
        ):
            continue
        scan_boxes(data, opts, result, start=cstart, end=cend, label=label, depth=depth + 1)


def _heif_items(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    children: list[Box],
    prefix: str,
) -> None:
    """The Exif and XMP items (the item resolution the reader takes too), cleaned where
    they lie; a truncated file's items are cleaned as far as they go."""
    for found in bmff.metadata_items(data, children, base=0, file_size=len(data)):
        name = found.item.type.decode("latin-1")
        if found.problem is not None:
            if found.problem.startswith("is stored by reference"):
                raise Unsupported(f"item {found.id} {found.problem}")
            result.notes.append(f"{prefix}item {found.id} ({name}) {found.problem}")
            continue
        present = [(off, min(n, len(data) - off)) for off, n in found.extents if off < len(data)]
        region = Region(data, present)
        if len(region) == 0:
            result.notes.append(f"{prefix}{name} item {found.id} lies beyond the end of the file")
            continue
        if found.item.is_xmp:
            clean_xmp(result, region, opts, label=f"{prefix}XMP")
            continue
        if len(region) < 4:
            continue
        # where the reader finds the TIFF header; none at all: the whole item is blanked
        tiff_at = bmff.exif_item_tiff_offset(region.data)
        tiff_at = 4 if tiff_at is None else tiff_at
        clean_exif(result, region.sub(tiff_at, len(region) - tiff_at), opts, label=f"{prefix}EXIF")


def _udta(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    start: int,
    end: int,
    prefix: str,
) -> None:
    for btype, bstart, payload, bend in _boxes(data, start, end):
        if btype in _UDTA_LOCATION:
            raw = bytes(data[payload : min(bend, payload + 64)])
            shown = (
                raw[4:].split(b"\x00")[0].decode("latin-1", "replace").strip()
                if btype != b"loci"
                else "binary"
            )
            field = f"{prefix}{_UDTA_LOCATION[btype]}"
            position = (
                parse_iso6709(bytes(data[payload + 4 : bend]))
                if btype == b"\xa9xyz"
                else _loci_position(data, Box(btype, bstart, payload, bend))
            )
            if btype == b"\xa9xyz" and opts.coarsen_km is not None and bend - payload > 4:
                text = bytes(data[payload + 4 : bend])
                coarse = coarsen_iso6709(text, opts.coarsen_km)
                if coarse is not None:
                    result.add(
                        Finding(
                            field,
                            FindingKind.LOCATION,
                            f"{shown} -> {coarse.decode('latin-1')}",
                            True,
                            position,
                        ),
                        [Patch(payload + 4, coarse)],
                    )
                    continue
            result.add(
                Finding(field, FindingKind.LOCATION, shown or None, True, position),
                _free_box(bstart, payload, bend),
            )
        elif btype in (b"\xa9day", b"date"):
            value = bytes(data[payload + 4 : min(bend, payload + 40)]).decode("latin-1", "replace")
            result.add(
                Finding(
                    f"{prefix}QuickTime {btype.decode('latin-1')}",
                    FindingKind.TIME,
                    value.strip("\x00 ") or None,
                    opts.drop_time,
                ),
                _free_box(bstart, payload, bend) if opts.drop_time else (),
            )
        elif btype == b"XMP_":
            clean_xmp(
                result, Region.whole(data, payload, bend - payload), opts, label=f"{prefix}XMP"
            )
        elif btype in _UDTA_IDENTIFYING:
            result.add(
                Finding(
                    f"{prefix}QuickTime {_UDTA_IDENTIFYING[btype]}",
                    FindingKind.IDENTIFYING,
                    bmff.qt_string(data, Box(btype, bstart, payload, bend)),
                    opts.all_identifying,
                ),
                _free_box(bstart, payload, bend) if opts.all_identifying else (),
            )
        elif btype in _UDTA_FREE_TEXT:
            said = bmff.qt_string(data, Box(btype, bstart, payload, bend)) or ""
            leak = text_finding(f"{prefix}QuickTime {_UDTA_FREE_TEXT[btype]}", said)
            if leak is not None:
                result.add(leak, _free_box(bstart, payload, bend))


def parse_iso6709(raw: bytes) -> tuple[float, float] | None:
    """(lat, lon) of an ISO 6709 string, None when it is not one or out of range."""
    try:
        lat, lon, _alt = _parse_iso6709(raw.rstrip(b"\x00"))
    except ValueError:
        return None
    return (lat, lon) if abs(lat) <= 90 and abs(lon) <= 180 else None


def _same_width(template: bytes, value: float) -> bytes:
    """`value` formatted like `template` ('+51.4169': sign, 2 digits, 4 decimals)."""
    frac = template[1:].partition(b".")[2]
    width = len(template) - 1
    text = f"{abs(value):0{width}.{len(frac)}f}" if frac else f"{round(abs(value)):0{width}d}"
    return (b"-" if value < 0 else b"+") + text.encode()


def coarsen_iso6709(raw: bytes, km: float) -> bytes | None:
    """The same string with a position rounded to a `km` grid and altitude zeroed, same length.

    None when the string is not in decimal degrees or has too few decimals to hold the
    grid position exactly enough (the caller then removes it).
    """
    text = raw.decode("latin-1")
    match = ISO6709.match(text)
    if match is None or not is_decimal_degrees(text):
        return None
    lat_t, lon_t = match.group(1), match.group(2)
    if min(len(t.partition(".")[2]) for t in (lat_t, lon_t)) < 4:
        return None
    c_lat, c_lon = coarse_position(float(lat_t), float(lon_t), km)
    new = _same_width(lat_t.encode(), c_lat) + _same_width(lon_t.encode(), c_lon)
    alt = match.group(3)
    if alt:
        new += alt[:1].encode() + re.sub(rb"\d", b"0", alt[1:].encode())
    span_end = match.end(3) if alt else match.end(2)
    if len(new) != span_end - match.start(1):
        return None
    return raw[: match.start(1)] + new + raw[span_end:]


def _free_box(bstart: int, payload: int, bend: int) -> list[Patch]:
    """Rename a box to `free` and zero its payload (size unchanged)."""
    return [Patch(bstart + 4, b"free"), Patch(payload, bytes(bend - payload))]


def _quicktime_keys(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    values: Iterable[IlstValue],
    prefix: str,
) -> None:
    """QuickTime `keys` + `ilst` values, or MP4 `ilst` items named by their atom (©xyz...)."""
    for entry in values:
        if entry.keyed:
            name = entry.name
            kind = _key_kind(name)
        else:
            tag = _QT.get(entry.item.type)
            kind = None
            if tag is not None:
                kind = "free text" if tag.kind is Kind.FREE_TEXT else kind_of(tag.kind)
            name = tag.name if tag is not None else ""
        if kind is None or kind is FindingKind.ORIENTATION:
            continue
        if kind == "free text":
            text = bytes(data[entry.value_start : entry.value_end]).decode("utf-8", "replace")
            leak = text_finding(f"{prefix}QuickTime {name}", text)
            if leak is not None:
                result.add(leak, _free_box(entry.item.start, entry.item.payload, entry.item.end))
            continue
        assert isinstance(kind, FindingKind)
        bstart, ipayload, bend = entry.item.start, entry.item.payload, entry.item.end
        value_at, value_end = entry.value_start, entry.value_end
        value = (
            bytes(data[value_at : min(value_end, value_at + 80)]).decode("utf-8", "replace")
            if entry.kind >= 0
            else None
        )
        position = (
            parse_iso6709(bytes(data[value_at:value_end]))
            if value and ("iso6709" in name.lower() or entry.item.type == b"\xa9xyz")
            else None
        )
        if position is not None and opts.coarsen_km is not None and value_end > value_at:
            coarse = coarsen_iso6709(bytes(data[value_at:value_end]), opts.coarsen_km)
            if coarse is not None:
                result.add(
                    Finding(
                        f"{prefix}QuickTime {name}",
                        kind,
                        f"{value} -> {coarse.decode('latin-1')}",
                        True,
                        position,
                    ),
                    [Patch(value_at, coarse)],
                )
                continue
        removing = wanted(kind, opts)
        result.add(
            Finding(f"{prefix}QuickTime {name}", kind, value, removing, position),
            _free_box(bstart, ipayload, bend) if removing else (),
        )


def _loci_position(data: bytes | memoryview, box: Box) -> tuple[float, float] | None:
    try:
        lat, lon, _alt = bmff.loci_position(data, box)
    except (ValueError, struct.error):
        return None
    return (lat, lon) if abs(lat) <= 90 and abs(lon) <= 180 else None


def _key_kind(name: str) -> FindingKind | str | None:
    """The kind of a QuickTime key (com.apple.quicktime.location.ISO6709, ...) by the
    tag table's suffixes; "free text" for descriptions and comments."""
    lower = name.lower()
    for suffix, tag in _KEYS.items():
        assert isinstance(suffix, str)
        s = suffix.lower()
        hit = (
            lower.endswith(s)
            or (s.startswith(".") and s.endswith(".") and s in lower)
            or (not s.startswith(".") and s in lower)
        )
        if hit:
            return "free text" if tag.kind is Kind.FREE_TEXT else kind_of(tag.kind)
    return None


def _check_timed_gps(data: bytes | memoryview, start: int, end: int) -> None:
    for entry in bmff.sample_entries(data, Box(b"stbl", start - 8, start, end)):
        what = bmff.TIMED_METADATA_ENTRIES.get(entry.type)
        if what is None:
            continue
        if (
            entry.type == b"mebx"
            and b"location" not in bytes(data[entry.payload : entry.end]).lower()
        ):
            continue
        raise Unsupported(f"video has a timed {what} track that may hold GPS")


def _zero_times(
    data: bytes | memoryview, result: ScanResult, payload: int, end: int, btype: bytes
) -> None:
    version = data[payload]
    width = 8 if version == 1 else 4
    start = payload + 4
    if start + 2 * width > end:
        return
    result.add(
        Finding(
            f"QuickTime {btype.decode()} creation/modification time", FindingKind.TIME, None, True
        ),
        [Patch(start, bytes(2 * width))],
    )
