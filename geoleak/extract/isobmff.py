"""ISO base media files: HEIC/HEIF, AVIF, JPEG XL containers, MP4, MOV, 3GP, CR3.

Only boxes that hold metadata are read:

* HEIF/AVIF: `meta` (iinf, iloc, idat) locates the 'Exif' item and the XMP 'mime'
  item; their bytes are read where iloc says, wherever they are in the file (Apple puts
  the Exif item at the end in some files). An Exif item starts with a 4-byte offset to
  the TIFF header.
* JPEG XL: the 'Exif' box (same 4-byte offset) and the 'xml ' box (XMP).
* MP4/MOV/3GP: `moov/mvhd` (creation time, UTC), `moov/udta` (`©xyz` ISO 6709 string,
  3GPP `loci`, `©day`, `©mak`, `©mod`, `©swr`), and `moov/meta` (Apple's keys/ilst:
  `com.apple.quicktime.location.ISO6709`, `...creationdate`, `...make`, `...model`).
  `trak` and `mdat` are skipped by seeking.
* Canon CR3: the `uuid` box in `moov` holds CMT1 (IFD0), CMT2 (Exif IFD), CMT4 (GPS IFD).

Box sizes are checked against their parent, nesting depth and box counts are capped.
"""

from __future__ import annotations

import re
import struct
from datetime import datetime, timedelta, timezone

from geoleak.extract import tiff as T
from geoleak.extract.builder import MetaBuilder
from geoleak.extract.source import MAX_BLOCK, Source
from geoleak.extract.xmp import parse_xmp_datetime

__all__ = ["brand_format", "parse_iso6709", "read_isobmff"]

MAX_BOXES = 10_000
MAX_ITEMS = 4096
MAX_EXTENTS = 64
_MAC_EPOCH = datetime(1904, 1, 1, tzinfo=timezone.utc)
_CR3_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
                b"mif1", b"msf1", b"mif2", b"MiHE"}  # fmt: skip
_AVIF_BRANDS = {b"avif", b"avis"}


def brand_format(major: bytes, compatible: list[bytes]) -> str:
    """Our format name from the ftyp major and compatible brands."""
    brands = [major, *compatible]
    if major in _AVIF_BRANDS:
        return "avif"
    if major == b"jxl ":
        return "jxl"
    if major == b"crx ":
        return "cr3"
    if major in _HEIF_BRANDS:
        return "avif" if b"avif" in compatible and b"heic" not in compatible else "heic"
    if major == b"qt  ":
        return "mov"
    if major[:3] in (b"3gp", b"3g2", b"3ge", b"3gg"):
        return "3gp"
    if any(b in _AVIF_BRANDS for b in brands):
        return "avif"
    if any(b in _HEIF_BRANDS for b in brands) and not any(b[:2] == b"mp" for b in brands):
        return "heic"
    return "mp4"


class _Box:
    __slots__ = ("end", "payload", "start", "type")

    def __init__(self, btype: bytes, start: int, payload: int, end: int) -> None:
        self.type = btype
        self.start = start  # offset of the box header
        self.payload = payload  # offset of the box content
        self.end = end


def _boxes_in(data: bytes, start: int, end: int) -> list[_Box]:
    """Child boxes of an in-memory region (capped, sizes checked)."""
    out: list[_Box] = []
    pos = start
    end = min(end, len(data))
    while pos + 8 <= end and len(out) < MAX_BOXES:
        size, btype = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                break
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            break
        out.append(_Box(btype, pos, pos + header, pos + size))
        pos += size
    return out


def _top_boxes(src: Source, meta: MetaBuilder, start: int = 0) -> list[_Box]:
    """Top-level boxes of the file, by reading only their headers."""
    out: list[_Box] = []
    pos = start
    size = src.size
    while pos + 8 <= size and len(out) < MAX_BOXES:
        header = src.read(pos, 16)
        if len(header) < 8:
            break
        box_size, btype = struct.unpack_from(">I4s", header)
        hdr = 8
        if box_size == 1:
            if len(header) < 16:
                break
            box_size = struct.unpack_from(">Q", header, 8)[0]
            hdr = 16
        elif box_size == 0:
            box_size = size - pos
        if box_size < hdr:
            meta.warn(f"box '{_name(btype)}' at byte {pos} has size {box_size}; stopped")
            break
        if pos + box_size > size:
            meta.warn(f"file is truncated inside the '{_name(btype)}' box")
            out.append(_Box(btype, pos, pos + hdr, size))
            break
        out.append(_Box(btype, pos, pos + hdr, pos + box_size))
        pos += box_size
    return out


def _name(btype: bytes) -> str:
    return btype.decode("latin-1").replace("\x00", "?")


def read_isobmff(src: Source, meta: MetaBuilder, *, jxl: bool = False) -> str:
    """Walk an ISO BMFF file, feeding metadata to `meta`; returns the format name.

    `jxl`: a JPEG XL container, whose 12-byte signature box is skipped whatever its
    (possibly damaged) header says.
    """
    top = _top_boxes(src, meta, 12 if jxl else 0)
    fmt = "mov"  # no ftyp: an original QuickTime movie
    for box in top:
        if box.type == b"ftyp":
            body = src.read(box.payload, min(box.end - box.payload, 256))
            if len(body) >= 4:
                compatible = [body[i : i + 4] for i in range(8, len(body) - 3, 4)]
                fmt = brand_format(body[:4], compatible)
            break
    if jxl or (top and top[0].type == b"JXL "):
        fmt = "jxl"
    meta.format = fmt
    for box in top:
        if box.type == b"meta":
            _read_heif_meta(src, box, meta)
        elif box.type == b"moov":
            _read_moov(src, box, meta)
        elif box.type == b"Exif" and fmt == "jxl":
            body = src.read(box.payload, box.end - box.payload)
            _add_exif_item(body, meta, "JXL Exif")
        elif box.type == b"xml " and fmt == "jxl":
            meta.add_xmp(src.read(box.payload, box.end - box.payload))
        elif box.type == b"brob" and fmt == "jxl":
            inner = src.read(box.payload, 4)
            if inner in (b"Exif", b"xml "):
                meta.warn(f"JXL {_name(inner).strip()} metadata is Brotli-compressed; not read")
    for packet in meta.pending_xmp:
        meta.add_xmp(packet)
    meta.pending_xmp.clear()
    return fmt


def _add_exif_item(body: bytes, meta: MetaBuilder, what: str) -> None:
    """An Exif item / box: 4-byte big-endian offset to the TIFF header, then TIFF."""
    if len(body) < 8:
        meta.warn(f"{what} item is truncated")
        return
    offset = struct.unpack_from(">I", body)[0]
    start = 4 + offset
    if body[start : start + 2] not in (b"II", b"MM"):
        # some writers omit or miscount the offset, or keep an 'Exif\0\0' prefix
        found = [i for i in (body.find(b"II*\x00"), body.find(b"MM\x00*")) if i >= 0]
        if not found:
            meta.warn(f"{what} item has no TIFF header")
            return
        start = min(found)
    meta.add_exif(body[start:], what)


# -- HEIF / AVIF -------------------------------------------------------------------------
def _read_heif_meta(src: Source, box: _Box, meta: MetaBuilder) -> None:
    data = src.read(box.start, box.end - box.start)
    if len(data) < box.end - box.start:
        meta.warn("file is truncated inside the 'meta' box")
    base = box.start
    children = _boxes_in(data, box.payload - base + 4, len(data))  # meta is a full box
    infos: dict[int, tuple[bytes, bytes]] = {}  # item id -> (type, content type)
    locations: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    idat: tuple[int, int] | None = None
    iloc: _Box | None = None
    for child in children:
        if child.type == b"iinf":
            infos = _parse_iinf(data, child)
        elif child.type == b"iloc":
            iloc = child
        elif child.type == b"idat":
            idat = (base + child.payload, child.end - child.payload)
    wanted = {
        item for item, (itype, ctype) in infos.items()
        if itype == b"Exif" or (itype == b"mime" and b"rdf+xml" in ctype)
    }  # fmt: skip
    if iloc is not None and wanted:
        locations = _parse_iloc(data, iloc, meta, wanted)
    # the first Exif item is the primary image's; later ones (other images of the file)
    # are read only while no position was found, then the XMP items likewise
    exif_items = [i for i, (t, _) in infos.items() if t == b"Exif"]
    xmp_items = [i for i in wanted if infos[i][0] == b"mime"]
    for index, item_id in enumerate([*exif_items[:4], *sorted(xmp_items)[:4]]):
        itype = infos[item_id][0]
        if index and meta.position is not None and meta.capture_time and meta.make:
            break
        if item_id not in locations:
            meta.warn(f"HEIF item {item_id} ({_name(itype)}) has no location")
            continue
        method, extents = locations[item_id]
        payload = _item_bytes(src, method, extents, idat)
        if payload is None:
            meta.warn(f"HEIF {_name(itype)} item lies outside the file (truncated?)")
            continue
        if itype == b"Exif":
            _add_exif_item(payload, meta, "HEIF Exif")
        else:
            meta.add_xmp(payload)


def _item_bytes(
    src: Source, method: int, extents: list[tuple[int, int]], idat: tuple[int, int] | None
) -> bytes | None:
    parts: list[bytes] = []
    total = 0
    for extent_offset, extent_length in extents:
        offset, length = extent_offset, extent_length
        if method == 1:
            if idat is None or offset + length > idat[1]:
                return None
            offset += idat[0]
        elif method != 0:
            return None
        if length == 0:
            length = src.size - offset
        if offset + length > src.size or total + length > MAX_BLOCK:
            return None
        part = src.read(offset, length)
        if len(part) < length:
            return None
        parts.append(part)
        total += length
    return b"".join(parts)


_INFE_V2 = struct.Struct(">I4sB3xHH4s")  # size, 'infe', version, flags, u16 id, prot., type
_INFE_V3 = struct.Struct(">I4sB3xIH4s")  # the same with a u32 item id


def _parse_iinf(data: bytes, box: _Box) -> dict[int, tuple[bytes, bytes]]:
    """Item id -> (item type, content type) of the Exif and 'mime' items only."""
    pos = box.payload
    end = min(box.end, len(data))
    if pos + 6 > end:
        return {}
    version = data[pos]
    pos += 4 + (2 if version == 0 else 4)
    out: dict[int, tuple[bytes, bytes]] = {}
    for _ in range(MAX_ITEMS):
        if pos + 8 > end:
            break
        size = struct.unpack_from(">I", data, pos)[0]
        if size < 8 or pos + size > end:
            break
        if data[pos + 4 : pos + 8] == b"infe" and size >= 20:
            ver = data[pos + 8]
            layout = _INFE_V2 if ver == 2 else _INFE_V3 if ver >= 3 else None
            if layout is not None and size >= layout.size:
                item_id, itype = layout.unpack_from(data, pos)[3::2]
                if itype == b"Exif":
                    out[item_id] = (itype, b"")
                elif itype == b"mime":
                    parts = data[pos + layout.size : pos + size].split(b"\x00", 2)
                    out[item_id] = (itype, parts[1] if len(parts) > 1 else b"")
        pos += size
    return out


_SIZE_CODE = {0: "", 4: "I", 8: "Q"}


def _parse_iloc(
    data: bytes, box: _Box, meta: MetaBuilder, wanted: set[int]
) -> dict[int, tuple[int, list[tuple[int, int]]]]:
    """Locations of the `wanted` items: {item id: (construction method, [(offset, length)])}."""
    out: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    pos = box.payload
    end = box.end
    if pos + 8 > end:
        meta.warn("HEIF 'iloc' box is truncated")
        return out
    version = data[pos]
    offset_size, length_size = data[pos + 4] >> 4, data[pos + 4] & 15
    base_size, index_size = data[pos + 5] >> 4, data[pos + 5] & 15
    if version not in (1, 2):
        index_size = 0
    sizes = (offset_size, length_size, base_size, index_size)
    if any(n not in _SIZE_CODE for n in sizes) or version > 2:
        meta.warn("HEIF 'iloc' box has unsupported field sizes")
        return out
    off_c, len_c, base_c, idx_c = (_SIZE_CODE[n] for n in sizes)
    id_c = "H" if version < 2 else "I"
    item_fmt = struct.Struct(">" + id_c + ("H" if version in (1, 2) else "") + "H" + base_c + "H")
    extent_fmt = struct.Struct(">" + idx_c + off_c + len_c)
    if version < 2:
        count = struct.unpack_from(">H", data, pos + 6)[0]
        pos += 8
    else:
        if pos + 10 > end:
            return out
        count = struct.unpack_from(">I", data, pos + 6)[0]
        pos += 10
    has_method = version in (1, 2)
    for _ in range(min(count, MAX_ITEMS)):
        if pos + item_fmt.size > end:
            meta.warn("HEIF 'iloc' box is truncated")
            break
        fields = item_fmt.unpack_from(data, pos)
        pos += item_fmt.size
        item_id = fields[0]
        method = fields[1] & 15 if has_method else 0
        base_offset = fields[-2] if base_c else 0
        extent_count = fields[-1]
        span = extent_fmt.size * extent_count
        if extent_count > MAX_EXTENTS or pos + span > end:
            meta.warn("HEIF 'iloc' box is malformed or truncated")
            break
        if item_id in wanted:
            extents = []
            off_at = 1 if idx_c else 0
            len_at = off_at + (1 if off_c else 0)
            for extent in extent_fmt.iter_unpack(data[pos : pos + span]) if span else ():
                offset = extent[off_at] if off_c else 0
                length = extent[len_at] if len_c else 0
                extents.append((base_offset + offset, length))
            out[item_id] = (method, extents)
        pos += span
    return out


# -- MP4 / MOV / 3GP / CR3 -------------------------------------------------------------------
_MOOV_WANTED = {b"mvhd", b"udta", b"meta", b"uuid"}
_MAX_MOOV_CHILD = 8 * 1024 * 1024


def _read_moov(src: Source, moov: _Box, meta: MetaBuilder) -> None:
    # read the child headers of moov only; trak boxes (sample tables) are skipped
    pos = moov.payload
    created: datetime | None = None
    times: dict[str, datetime] = {}
    tracks: list[tuple[int, int, int]] = []
    for _ in range(MAX_BOXES):
        if pos + 8 > moov.end:
            break
        header = src.read(pos, 16)
        if len(header) < 8:
            break
        size, btype = struct.unpack_from(">I4s", header)
        hdr = 8
        if size == 1 and len(header) == 16:
            size = struct.unpack_from(">Q", header, 8)[0]
            hdr = 16
        elif size == 0:
            size = moov.end - pos
        if size < hdr or pos + size > moov.end:
            meta.warn(f"'moov/{_name(btype)}' box has a bad size; stopped")
            break
        if btype == b"trak" and len(tracks) < 16:
            tracks.append((pos, size, hdr))
        if btype in _MOOV_WANTED and size <= _MAX_MOOV_CHILD:
            data = src.read(pos, size)
            if len(data) == size:
                box = _Box(btype, 0, hdr, size)
                if btype == b"mvhd":
                    created = _mvhd_time(data, box)
                elif btype == b"udta":
                    _read_udta(data, box, meta, times)
                elif btype == b"meta":
                    _read_qt_meta(data, box, meta, times)
                elif btype == b"uuid" and data[hdr : hdr + 16] == _CR3_UUID:
                    _read_cr3(data, box, meta)
        pos += size
    if meta.position is None:
        for start, size, hdr in tracks:
            if _read_gpmf_track(src, start, size, hdr, meta):
                break
    meta.has_metadata = meta.has_metadata or created is not None or bool(times)
    for key in ("keys", "udta"):
        if key in times:
            meta.set_time(times[key])
    meta.set_time(created)


# -- GoPro GPMF: a 'gpmd' metadata track; the first sample's first GPS fix -------------------
_MAX_TRAK = 16 * 1024 * 1024
_MAX_GPMF_SAMPLE = 1024 * 1024
_GPMF_SIZES = {b"b": 1, b"B": 1, b"c": 1, b"s": 2, b"S": 2, b"l": 4, b"L": 4, b"f": 4,
               b"d": 8, b"j": 8, b"J": 8, b"q": 4, b"Q": 8, b"u": 1, b"U": 16, b"F": 4,
               b"G": 16}  # fmt: skip


def _child(data: bytes, box: _Box, btype: bytes, skip: int = 0) -> _Box | None:
    for child in _boxes_in(data, box.payload + skip, box.end):
        if child.type == btype:
            return child
    return None


def _read_gpmf_track(src: Source, start: int, size: int, hdr: int, meta: MetaBuilder) -> bool:
    """True when the track is a GoPro GPMF track whose first sample was read."""
    if size > _MAX_TRAK:
        return False
    data = src.read(start, size)
    if len(data) < size:
        return False
    trak = _Box(b"trak", 0, hdr, size)
    mdia = _child(data, trak, b"mdia")
    minf = _child(data, mdia, b"minf") if mdia else None
    stbl = _child(data, minf, b"stbl") if minf else None
    if stbl is None:
        return False
    stsd = _child(data, stbl, b"stsd")
    if stsd is None or data[stsd.payload + 12 : stsd.payload + 16] != b"gpmd":
        return False
    chunk_offset: int | None = None
    stco = _child(data, stbl, b"stco")
    co64 = _child(data, stbl, b"co64")
    if stco is not None and stco.payload + 12 <= stco.end:
        chunk_offset = struct.unpack_from(">I", data, stco.payload + 8)[0]
    elif co64 is not None and co64.payload + 16 <= co64.end:
        chunk_offset = struct.unpack_from(">Q", data, co64.payload + 8)[0]
    stsz = _child(data, stbl, b"stsz")
    sample_size = 0
    if stsz is not None and stsz.payload + 12 <= stsz.end:
        uniform, count = struct.unpack_from(">II", data, stsz.payload + 4)
        sample_size = uniform
        if not uniform and count and stsz.payload + 16 <= stsz.end:
            sample_size = struct.unpack_from(">I", data, stsz.payload + 12)[0]
    if chunk_offset is None or not 0 < sample_size <= _MAX_GPMF_SAMPLE:
        meta.warn("GoPro GPMF track has no readable first sample")
        return True
    sample = src.read(chunk_offset, sample_size)
    meta.has_metadata = True
    fix = _gpmf_first_fix(sample)
    if fix is None:
        meta.warn("GoPro GPMF: no GPS fix in the first sample")
        return True
    lat, lon, alt, when, dop, fix_type = fix
    if fix_type == 0:
        meta.warn("GoPro GPMF: GPS reports no fix (GPSF 0); position ignored")
        return True
    accuracy = dop * 5.0 if dop else None  # DOP x ~5 m user range error, a nominal figure
    meta.add_decimal_position(lat, lon, "gpmf", "GoPro GPMF", alt_m=alt, accuracy_m=accuracy,
                              gps_time=when)  # fmt: skip
    return True


def _gpmf_first_fix(
    data: bytes,
) -> tuple[float, float, float, datetime | None, float | None, int | None] | None:
    """(lat, lon, alt, UTC time, DOP, fix type) of the first GPS5/GPS9 entry in a GPMF sample."""
    state: dict[str, object] = {}
    budget = [10_000]

    def walk(start: int, end: int, depth: int) -> tuple[float, float, float] | None:
        pos = start
        scale: tuple[float, ...] = (1.0,)
        while pos + 8 <= end and budget[0] > 0:
            budget[0] -= 1
            key = data[pos : pos + 4]
            vtype = data[pos + 4 : pos + 5]
            struct_size = data[pos + 5]
            repeat = struct.unpack_from(">H", data, pos + 6)[0]
            length = struct_size * repeat
            body = pos + 8
            if body + length > end:
                return None
            if vtype == b"\x00" and depth < 4:
                found = walk(body, body + length, depth + 1)
                if found is not None:
                    return found
            elif key == b"SCAL" and vtype in (b"l", b"L", b"s", b"S"):
                code = {b"l": "i", b"L": "I", b"s": "h", b"S": "H"}[vtype]
                unit = _GPMF_SIZES[vtype]
                scale = tuple(
                    float(v) or 1.0
                    for v in struct.unpack_from(f">{length // unit}{code}", data, body)
                ) or (1.0,)
            elif key == b"GPSU" and vtype == b"U" and length >= 16:
                state["time"] = data[body : body + 16]
            elif key == b"GPSF" and vtype in (b"L", b"l") and length >= 4:
                state["fix"] = struct.unpack_from(">I", data, body)[0]
            elif key == b"GPSP" and vtype in (b"S", b"s") and length >= 2:
                state["dop"] = struct.unpack_from(">H", data, body)[0] / 100.0
            elif key in (b"GPS5", b"GPS9") and struct_size >= 12 and repeat >= 1:
                raw = struct.unpack_from(">3i", data, body)
                scales = (scale * 3)[:3] if len(scale) < 3 else scale[:3]
                return raw[0] / scales[0], raw[1] / scales[1], raw[2] / scales[2]
            pos = body + ((length + 3) & ~3)
        return None

    try:
        found = walk(0, len(data), 0)
    except (struct.error, IndexError, KeyError, ZeroDivisionError):
        return None
    if found is None:
        return None
    when = _gpmf_time(state.get("time"))
    dop = state.get("dop")
    fix = state.get("fix")
    return (*found, when, dop if isinstance(dop, float) else None,
            fix if isinstance(fix, int) else None)  # fmt: skip


def _gpmf_time(raw: object) -> datetime | None:
    """GPSU 'yymmddhhmmss.sss' (UTC)."""
    if not isinstance(raw, bytes):
        return None
    try:
        text = raw.decode("ascii")
        moment = datetime.strptime(text[:12], "%y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        return moment + timedelta(milliseconds=int(text[13:16] or 0))
    except (ValueError, UnicodeDecodeError):
        return None


def _mvhd_time(data: bytes, box: _Box) -> datetime | None:
    p = box.payload
    if p + 12 > box.end:
        return None
    version = data[p]
    seconds = (
        struct.unpack_from(">Q", data, p + 4)[0]
        if version == 1 and p + 12 <= box.end
        else struct.unpack_from(">I", data, p + 4)[0]
    )
    if seconds == 0 or seconds > 200 * 365 * 86400:
        return None
    return _MAC_EPOCH + timedelta(seconds=seconds)


_ISO6709 = re.compile(
    r"^\s*([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)?(?:CRS[^/]*)?/?\s*$"
)


def _iso_part(text: str, degree_digits: int) -> float:
    """One ISO 6709 component: ±DD(D)[.d], ±DD(D)MM[.m] or ±DD(D)MMSS[.s]."""
    sign = -1.0 if text[0] == "-" else 1.0
    body = text[1:]
    whole = body.split(".", 1)[0]
    frac = body[len(whole) :]
    if len(whole) <= degree_digits:
        return sign * float(body)
    if len(whole) == degree_digits + 2:
        minutes = float(whole[degree_digits:] + frac)
        if minutes >= 60:
            raise ValueError("minutes >= 60")
        return sign * (int(whole[:degree_digits]) + minutes / 60)
    if len(whole) == degree_digits + 4:
        minutes = int(whole[degree_digits : degree_digits + 2])
        seconds = float(whole[degree_digits + 2 :] + frac)
        if minutes >= 60 or seconds >= 60:
            raise ValueError("minutes or seconds >= 60")
        return sign * (int(whole[:degree_digits]) + minutes / 60 + seconds / 3600)
    raise ValueError(f"component {text!r} has {len(whole)} integer digits")


def parse_iso6709(text: str) -> tuple[float, float, float | None]:
    """(lat, lon, alt) from an ISO 6709 string like '+32.0929+034.8620+028.516/'.

    Raises ValueError for text that is not ISO 6709; ranges are checked by the caller.
    """
    match = _ISO6709.match(text)
    if not match:
        raise ValueError(f"{text[:40]!r} is not an ISO 6709 location")
    lat_s, lon_s, alt_s = match.groups()
    lat = _iso_part(lat_s, 2)
    lon = _iso_part(lon_s, 3)
    return lat, lon, (float(alt_s) if alt_s else None)


def _offer_iso6709(meta: MetaBuilder, raw: str, source: str, what: str, accuracy: float | None
                   ) -> None:  # fmt: skip
    try:
        lat, lon, alt = parse_iso6709(raw)
    except ValueError as exc:
        meta.warn(f"{what}: {exc}; position ignored")
        return
    meta.add_decimal_position(lat, lon, source, what, alt_m=alt, accuracy_m=accuracy)


def _qt_string(data: bytes, box: _Box) -> str | None:
    """A QuickTime international text atom (©xyz, ©mak...): u16 length, u16 language, text."""
    p = box.payload
    if p + 4 > box.end:
        return None
    length = struct.unpack_from(">H", data, p)[0]
    raw = data[p + 4 : min(p + 4 + length, box.end)]
    if raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16", "replace")
    return raw.decode("utf-8", "replace").strip("\x00 ")


def _read_udta(data: bytes, box: _Box, meta: MetaBuilder, times: dict[str, datetime]) -> None:
    for child in _boxes_in(data, box.payload, box.end):
        ctype = child.type
        if ctype == b"\xa9xyz":
            text = _qt_string(data, child)
            if text:
                _offer_iso6709(meta, text, "quicktime", "QuickTime ©xyz", None)
        elif ctype == b"loci":
            _read_loci(data, child, meta)
        elif ctype in (b"\xa9day", b"date"):
            text = _qt_string(data, child) if ctype == b"\xa9day" else None
            if ctype == b"date":
                text = data[child.payload : child.end].decode("utf-8", "replace").strip("\x00")
            parsed = parse_xmp_datetime(text)
            if parsed is not None and "udta" not in times:
                times["udta"] = parsed
        elif ctype == b"TAGS" and data[child.payload : child.payload + 6] == b"PENTAX":
            meta.set_text("make", data[child.payload : child.payload + 24])  # Pentax movies
        elif ctype in (b"\xa9mak", b"\xa9mod", b"\xa9swr"):
            field = {b"\xa9mak": "make", b"\xa9mod": "model", b"\xa9swr": "software"}[ctype]
            meta.set_text(field, _qt_string(data, child))
        elif ctype == b"meta":
            _read_qt_meta(data, child, meta, times)


def _read_loci(data: bytes, box: _Box, meta: MetaBuilder) -> None:
    """3GPP location: full box, language, name (NUL-terminated), role, lon/lat/alt 16.16."""
    p = box.payload + 4 + 2
    if data[p : p + 2] in (b"\xfe\xff", b"\xff\xfe"):
        end = p
        while end + 1 < box.end and data[end : end + 2] != b"\x00\x00":
            end += 2
        p = end + 2
    else:
        end = data.find(b"\x00", p, box.end)
        if end < 0:
            meta.warn("3GPP 'loci' box has no name terminator; position ignored")
            return
        p = end + 1
    p += 1  # role
    if p + 12 > box.end:
        meta.warn("3GPP 'loci' box is truncated; position ignored")
        return
    # 16.16 fixed point resolves 1.5e-5 degrees: the writer's value had 5 decimals at most
    # (exiftool rounds the same way)
    lon, lat, alt = (round(v / 65536.0, 5) for v in struct.unpack_from(">iii", data, p))
    meta.add_decimal_position(lat, lon, "quicktime", "3GPP loci", alt_m=alt)


def _read_qt_meta(data: bytes, box: _Box, meta: MetaBuilder, times: dict[str, datetime]) -> None:
    """QuickTime 'meta' (keys + ilst) or MP4 'meta' (full box with hdlr + ilst)."""
    start = box.payload
    if data[start + 4 : start + 8] != b"hdlr":  # MP4 style: version/flags first
        start += 4
    keys: list[str] = []
    ilst: _Box | None = None
    for child in _boxes_in(data, start, box.end):
        if child.type == b"keys":
            keys = _parse_keys(data, child)
        elif child.type == b"ilst":
            ilst = child
    if ilst is None:
        return
    values: dict[str, tuple[int, bytes]] = {}
    for item in _boxes_in(data, ilst.payload, ilst.end):
        index = struct.unpack(">I", item.type)[0]
        name = keys[index - 1] if keys and 1 <= index <= len(keys) else _name(item.type)
        for dbox in _boxes_in(data, item.payload, item.end):
            if dbox.type == b"data" and dbox.payload + 8 <= dbox.end:
                kind = struct.unpack_from(">I", data, dbox.payload)[0] & 0xFFFFFF
                values.setdefault(name, (kind, data[dbox.payload + 8 : dbox.end]))
                break
    if values:
        meta.has_metadata = True

    def text(name: str) -> str | None:
        entry = values.get(name)
        if entry is None or entry[0] not in (1, 0):
            return None
        return entry[1].decode("utf-8", "replace").strip("\x00 ")

    def number(name: str) -> float | None:
        entry = values.get(name)
        if entry is None:
            return None
        kind, raw = entry
        try:
            if kind == 23 and len(raw) == 4:
                return float(struct.unpack(">f", raw)[0])
            if kind == 24 and len(raw) == 8:
                return float(struct.unpack(">d", raw)[0])
            return float(raw.decode("ascii").strip("\x00 "))
        except (ValueError, UnicodeDecodeError):
            return None

    prefix = "com.apple.quicktime."
    meta.set_text("make", text(prefix + "make"))
    meta.set_text("model", text(prefix + "model"))
    meta.set_text("software", text(prefix + "software"))
    meta.set_text("make", text("©mak"))
    meta.set_text("model", text("©mod"))
    created = parse_xmp_datetime(text(prefix + "creationdate"))
    if created is not None:
        times.setdefault("keys", created)
    day = parse_xmp_datetime(text("©day"))
    if day is not None:
        times.setdefault("udta", day)
    location = text(prefix + "location.ISO6709") or text("©xyz")
    if location:
        accuracy = number(prefix + "location.accuracy.horizontal")
        _offer_iso6709(meta, location, "quicktime", "QuickTime location", accuracy)


def _parse_keys(data: bytes, box: _Box) -> list[str]:
    p = box.payload + 4
    if p + 4 > box.end:
        return []
    count = min(struct.unpack_from(">I", data, p)[0], MAX_ITEMS)
    p += 4
    keys: list[str] = []
    for _ in range(count):
        if p + 8 > box.end:
            break
        size = struct.unpack_from(">I", data, p)[0]
        if size < 8 or p + size > box.end:
            break
        keys.append(data[p + 8 : p + size].decode("utf-8", "replace"))
        p += size
    return keys


def _read_cr3(data: bytes, box: _Box, meta: MetaBuilder) -> None:
    """Canon CR3: CMT1 = TIFF with IFD0, CMT2 = TIFF whose first IFD is the Exif IFD,
    CMT4 = TIFF whose first IFD is the GPS IFD."""
    blocks = {c.type: data[c.payload : c.end] for c in _boxes_in(data, box.payload + 16, box.end)}
    try:
        ifd0: dict[int, object] = {}
        exif: dict[int, object] = {}
        gps: dict[int, object] = {}
        if b"CMT1" in blocks:
            block = T.TiffBlock(blocks[b"CMT1"])
            ifd0 = block.ifd(block.first_ifd, T.IFD0_TAGS, "CR3 IFD0")
        if b"CMT2" in blocks:
            block = T.TiffBlock(blocks[b"CMT2"])
            exif = block.ifd(block.first_ifd, T.EXIF_TAGS, "CR3 ExifIFD")
        if b"CMT4" in blocks:
            block = T.TiffBlock(blocks[b"CMT4"])
            gps = block.ifd(block.first_ifd, T.GPS_TAGS, "CR3 GPS")
    except T.TiffError as exc:
        meta.warn(f"CR3 metadata: {exc}")
        return
    meta.add_tags(ifd0, exif, gps, "CR3")
