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
- JPEG XL: `Exif` and `xml ` boxes are cleaned; Brotli-compressed (`brob`) metadata is refused.
"""

from __future__ import annotations

import re
import struct

from geoleak.remedy.blocks import clean_exif, clean_xmp
from geoleak.remedy.model import (
    Finding,
    FindingKind,
    Patch,
    Region,
    ScanResult,
    ScrubOptions,
    Unsupported,
)
from geoleak.remedy.tiff import coarse_position

__all__ = ["scan_boxes", "scan_isobmff"]

_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")  # CR3 metadata container
_CONTAINERS = {
    b"moov",
    b"trak",
    b"mdia",
    b"minf",
    b"stbl",
    b"udta",
    b"edts",
    b"dinf",
    b"iprp",
    b"moof",
    b"traf",
    b"mvex",
    b"tref",
    b"clip",
    b"matt",
    b"sinf",
}
_UDTA_LOCATION = {
    b"\xa9xyz": "QuickTime ©xyz (GPSCoordinates)",
    b"loci": "3GPP loci (LocationInformation)",
    b"\xa9lox": "QuickTime ©lox",
}
_UDTA_IDENTIFYING = {
    b"\xa9aut": "author",
    b"\xa9mak": "make",
    b"\xa9snm": "serial",
    b"auth": "3GPP author",
}
_TIMED_GPS = {b"gpmd": "GoPro GPMF telemetry", b"camm": "camera motion metadata (camm)"}
_MAX_DEPTH = 12


def scan_isobmff(data: bytes | memoryview, opts: ScrubOptions) -> ScanResult:
    """Findings and patches for a box-structured file."""
    fmt = _format_name(data)
    result = ScanResult(fmt)
    start = 0
    if fmt == "jxl":
        start = 12  # after the 'JXL ' signature box
    scan_boxes(data, opts, result, start=start, end=len(data), label="")
    return result


def _format_name(data: bytes | memoryview) -> str:
    head = bytes(data[:64])
    if head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return "jxl"
    if head[4:8] == b"ftyp":
        brands = head[8:12] + head[16 : 16 + max(0, min(len(head), 64) - 16)]
        major = head[8:12]
        if major in (b"avif", b"avis") or b"avif" in brands[:4]:
            return "avif"
        if major in (
            b"heic",
            b"heix",
            b"heim",
            b"heis",
            b"hevc",
            b"hevx",
            b"mif1",
            b"msf1",
            b"mif2",
            b"MiHE",
            b"MiHB",
            b"MiPr",
            b"miaf",
        ):
            return "heic"
        if major == b"qt  ":
            return "mov"
        if major.startswith(b"3g"):
            return "3gp"
        if major == b"crx ":
            return "cr3"
        return "mp4"
    return "isobmff"


def _boxes(data: bytes | memoryview, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) of the boxes in [start, end)."""
    out = []
    pos = start
    while pos + 8 <= end:
        size, btype = struct.unpack_from(">I4s", data, pos)
        head = 8
        if size == 1:
            if pos + 16 > end:
                raise Unsupported(f"box {btype!r} at {pos} truncated")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            head = 16
        elif size == 0:
            size = end - pos
        if size < head:
            raise Unsupported(f"box {btype!r} at {pos} has invalid size {size}")
        box_end = pos + size
        box_end = min(box_end, end)  # a truncated last box keeps what is there
        out.append((bytes(btype), pos, pos + head, box_end))
        pos = box_end
    return out


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
    for btype, _bstart, payload, bend in _boxes(data, start, end):
        if btype in _CONTAINERS:
            if btype == b"udta":
                _udta(data, opts, result, payload, bend, prefix)
            scan_boxes(data, opts, result, start=payload, end=bend, label=label, depth=depth + 1)
            if btype == b"stbl":
                _check_timed_gps(data, payload, bend)
        elif btype == b"meta":
            _meta(data, opts, result, payload, bend, label, depth)
        elif btype == b"uuid" and bytes(data[payload : payload + 16]) == _XMP_UUID:
            clean_xmp(
                result,
                Region.whole(data, payload + 16, bend - payload - 16),
                opts,
                label=f"{prefix}XMP",
            )
        elif btype == b"uuid" and bytes(data[payload : payload + 16]) == _CANON_UUID:
            _canon_cr3(data, opts, result, payload + 16, bend, prefix)
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
            raise Unsupported("metadata is Brotli-compressed (JPEG XL brob box)")
        elif btype in (b"mvhd", b"tkhd", b"mdhd") and opts.drop_time:
            _zero_times(data, result, payload, bend, btype)


def _canon_cr3(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    start: int,
    end: int,
    prefix: str,
) -> None:
    """Canon CR3: CMT1/CMT2 are TIFF blocks (IFD0, Exif), CMT3 maker notes, CMT4 the GPS IFD."""
    for btype, bstart, payload, bend in _boxes(data, start, end):
        if btype in (b"CMT1", b"CMT2"):
            clean_exif(
                result,
                Region.whole(data, payload, bend - payload),
                opts,
                label=f"{prefix}CR3 {btype.decode()}",
            )
        elif btype == b"CMT4":
            result.add(
                Finding(f"{prefix}CR3 CMT4 (GPS IFD)", FindingKind.LOCATION, "GPS block", True),
                _free_box(bstart, payload, bend),
            )
        elif btype == b"CMT3":
            result.add(
                Finding(
                    f"{prefix}CR3 CMT3 (MakerNote)",
                    FindingKind.IDENTIFYING,
                    "present",
                    opts.all_identifying,
                ),
                _free_box(bstart, payload, bend) if opts.all_identifying else (),
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
    # ISO 'meta' is a FullBox (4 bytes version/flags); QuickTime's is a plain container.
    quicktime = bytes(data[payload + 4 : payload + 8]) == b"hdlr"
    inner = payload if quicktime else payload + 4
    children = _boxes(data, inner, bend)
    by_type: dict[bytes, list[tuple[bytes, int, int, int]]] = {}
    for child in children:
        by_type.setdefault(child[0], []).append(child)
    prefix = f"{label} " if label else ""
    if b"iinf" in by_type and b"iloc" in by_type:
        _heif_items(data, opts, result, by_type, prefix)
    if b"keys" in by_type and b"ilst" in by_type:
        _quicktime_keys(data, opts, result, by_type[b"keys"][0], by_type[b"ilst"][0], prefix)
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
    by_type: dict[bytes, list[tuple[bytes, int, int, int]]],
    prefix: str,
) -> None:
    items = _iinf(data, by_type[b"iinf"][0])
    locations = _iloc(data, by_type[b"iloc"][0])
    idat = by_type.get(b"idat", [(b"", 0, 0, 0)])[0]
    for item_id, (item_type, content_type) in items.items():
        is_exif = item_type == b"Exif"
        is_xmp = item_type == b"mime" and content_type.startswith("application/rdf+xml")
        if not (is_exif or is_xmp):
            continue
        if item_id not in locations:
            result.notes.append(f"{prefix}item {item_id} ({item_type.decode()}) has no location")
            continue
        method, extents = locations[item_id]
        if method == 1:
            extents = [(idat[2] + off, n) for off, n in extents]
        elif method != 0:
            raise Unsupported(
                f"item {item_id} is stored by reference (construction method {method})"
            )
        # clip extents to the file (a truncated file keeps what it has)
        present = [(off, max(0, min(n, len(data) - off))) for off, n in extents if off < len(data)]
        region = Region(data, present)
        if len(region) == 0:
            result.notes.append(
                f"{prefix}{item_type.decode()} item {item_id} lies beyond the end of the file"
            )
            continue
        if is_xmp:
            clean_xmp(result, region, opts, label=f"{prefix}XMP")
            continue
        if len(region) < 4:
            continue
        skip = struct.unpack_from(">I", region.data, 0)[0]
        tiff_at = 4 + skip
        if tiff_at >= len(region):
            # an offset pointing nowhere: find the TIFF header the usual way
            tiff_at = _find_tiff(region.data)
        clean_exif(result, region.sub(tiff_at, len(region) - tiff_at), opts, label=f"{prefix}EXIF")


def _find_tiff(data: bytes) -> int:
    for mark in (b"MM\x00*", b"II*\x00"):
        idx = data.find(mark, 0, 64)
        if idx >= 0:
            return idx
    return 4


def _iinf(
    data: bytes | memoryview, box: tuple[bytes, int, int, int]
) -> dict[int, tuple[bytes, str]]:
    _, _, payload, end = box
    version = data[payload]
    pos = payload + 4 + (2 if version == 0 else 4)
    items: dict[int, tuple[bytes, str]] = {}
    for btype, _bstart, p, bend in _boxes(data, pos, end):
        if btype != b"infe":
            continue
        ver = data[p]
        if ver < 2:
            continue
        q = p + 4
        if ver == 2:
            item_id = struct.unpack_from(">H", data, q)[0]
            q += 2
        else:
            item_id = struct.unpack_from(">I", data, q)[0]
            q += 4
        q += 2  # protection index
        item_type = bytes(data[q : q + 4])
        q += 4
        raw = bytes(data[q:bend])
        parts = raw.split(b"\x00")
        content_type = (
            parts[1].decode("ascii", "replace") if item_type == b"mime" and len(parts) > 1 else ""
        )
        items[item_id] = (item_type, content_type)
    return items


def _iloc(
    data: bytes | memoryview, box: tuple[bytes, int, int, int]
) -> dict[int, tuple[int, list[tuple[int, int]]]]:
    _, _, payload, end = box
    version = data[payload]
    q = payload + 4
    offset_size, length_size = data[q] >> 4, data[q] & 15
    base_size, index_size = data[q + 1] >> 4, (data[q + 1] & 15 if version in (1, 2) else 0)
    q += 2

    def read(size: int) -> int:
        nonlocal q
        if size == 0:
            return 0
        if q + size > end:
            raise Unsupported("iloc box truncated")
        value = int.from_bytes(bytes(data[q : q + size]), "big")
        q += size
        return value

    count = read(2 if version < 2 else 4)
    out: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    for _ in range(count):
        item_id = read(2 if version < 2 else 4)
        method = read(2) & 15 if version in (1, 2) else 0
        read(2)  # data reference index
        base = read(base_size)
        extents = []
        for _ in range(read(2)):
            read(index_size)
            off = read(offset_size)
            length = read(length_size)
            extents.append((base + off, length))
        out[item_id] = (method, extents)
    return out


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
            position = parse_iso6709(raw[4:]) if btype == b"\xa9xyz" else _loci_position(raw)
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
        elif btype in _UDTA_IDENTIFYING and btype != b"\xa9mak":
            result.add(
                Finding(
                    f"{prefix}QuickTime {_UDTA_IDENTIFYING[btype]}",
                    FindingKind.IDENTIFYING,
                    None,
                    opts.all_identifying,
                ),
                _free_box(bstart, payload, bend) if opts.all_identifying else (),
            )


_ISO6709 = re.compile(rb"([+-]\d{2}(?:\.\d+)?)([+-]\d{3}(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")


def parse_iso6709(raw: bytes) -> tuple[float, float] | None:
    """(lat, lon) from an ISO 6709 string such as b'+51.4169-000.0806/'."""
    match = _ISO6709.match(raw.strip(b"\x00 "))
    if match is None:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if abs(lat) > 90 or abs(lon) > 180:
        return None
    return lat, lon


def _same_width(template: bytes, value: float) -> bytes:
    """`value` formatted like `template` ('+51.4169': sign, 2 digits, 4 decimals)."""
    frac = template[1:].partition(b".")[2]
    width = len(template) - 1
    text = f"{abs(value):0{width}.{len(frac)}f}" if frac else f"{round(abs(value)):0{width}d}"
    return (b"-" if value < 0 else b"+") + text.encode()


def coarsen_iso6709(raw: bytes, km: float) -> bytes | None:
    """The same string with a position rounded to a `km` grid and altitude zeroed, same length.

    None when the string has too few decimals to hold the grid position exactly enough.
    """
    lead = len(raw) - len(raw.lstrip(b"\x00 "))
    match = _ISO6709.match(raw, lead)
    if match is None:
        return None
    lat_t, lon_t = match.group(1), match.group(2)
    if min(len(t.partition(b".")[2]) for t in (lat_t, lon_t)) < 4:
        return None
    c_lat, c_lon = coarse_position(float(lat_t), float(lon_t), km)
    new = _same_width(lat_t, c_lat) + _same_width(lon_t, c_lon)
    if match.group(3):
        new += match.group(3)[:1] + re.sub(rb"\d", b"0", match.group(3)[1:])
    if len(new) != match.end() - match.start():
        return None
    return raw[: match.start()] + new + raw[match.end() :]


def _free_box(bstart: int, payload: int, bend: int) -> list[Patch]:
    """Rename a box to `free` and zero its payload (size unchanged)."""
    return [Patch(bstart + 4, b"free"), Patch(payload, bytes(bend - payload))]


def _quicktime_keys(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    keys: tuple[bytes, int, int, int],
    ilst: tuple[bytes, int, int, int],
    prefix: str,
) -> None:
    _, _, payload, end = keys
    count = struct.unpack_from(">I", data, payload + 4)[0]
    names: dict[int, str] = {}
    q = payload + 8
    for index in range(1, count + 1):
        if q + 8 > end:
            break
        size = struct.unpack_from(">I", data, q)[0]
        if size < 8:
            break
        names[index] = bytes(data[q + 8 : q + size]).decode("utf-8", "replace")
        q += size
    for btype, bstart, ipayload, bend in _boxes(data, ilst[2], ilst[3]):
        index = struct.unpack(">I", btype)[0]
        name = names.get(index, "")
        kind = _key_kind(name)
        if kind is None:
            continue
        value = None
        value_at = value_end = 0
        for dtype, _ds, dpayload, dend in _boxes(data, ipayload, bend):
            if dtype == b"data":
                value_at, value_end = dpayload + 8, dend
                value = bytes(data[value_at : min(dend, value_at + 80)]).decode("utf-8", "replace")
        position = parse_iso6709(value.encode()) if value and "iso6709" in name.lower() else None
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
        wanted = (
            kind is FindingKind.LOCATION
            or (kind is FindingKind.IDENTIFYING and opts.all_identifying)
            or (kind is FindingKind.TIME and opts.drop_time)
        )
        result.add(
            Finding(f"{prefix}QuickTime {name}", kind, value, wanted, position),
            _free_box(bstart, ipayload, bend) if wanted else (),
        )


def _loci_position(raw: bytes) -> tuple[float, float] | None:
    """(lat, lon) of a 3GPP `loci` payload (16.16 fixed-point longitude then latitude)."""
    name_end = raw.find(b"\x00", 6)
    if name_end < 0 or name_end + 10 > len(raw):
        return None
    lon, lat = struct.unpack_from(">ii", raw, name_end + 2)
    lat_f, lon_f = lat / 65536.0, lon / 65536.0
    return (lat_f, lon_f) if abs(lat_f) <= 90 and abs(lon_f) <= 180 else None


def _key_kind(name: str) -> FindingKind | None:
    lower = name.lower()
    if ".location." in lower or lower.endswith(".location") or "gps" in lower:
        return FindingKind.LOCATION
    if lower.endswith(
        (
            ".author",
            ".artist",
            ".camera.identifier",
            ".content.identifier",
            ".serialnumber",
            ".serial",
            ".owner",
        )
    ):
        return FindingKind.IDENTIFYING
    if lower.endswith(".creationdate"):
        return FindingKind.TIME
    return None


def _check_timed_gps(data: bytes | memoryview, start: int, end: int) -> None:
    for btype, _bs, payload, bend in _boxes(data, start, end):
        if btype != b"stsd":
            continue
        for etype, _es, epayload, eend in _boxes(data, payload + 8, bend):
            if etype in _TIMED_GPS:
                raise Unsupported(f"video has a timed {_TIMED_GPS[etype]} track that may hold GPS")
            if etype == b"mebx" and b"location" in bytes(data[epayload:eend]).lower():
                raise Unsupported("video has a timed metadata track with location keys (mebx)")


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
