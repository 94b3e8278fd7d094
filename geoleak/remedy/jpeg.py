"""JPEG (and MPO / Ultra HDR / JPEG with trailing images): in-place metadata cleaning.

Segments are walked up to the first SOS; the entropy-coded data is never touched. Cleaned:
APP1 EXIF (TIFF), APP1 XMP and extended XMP (reassembled over its segments), APP13
Photoshop IPTC, C2PA content credentials' JSON location (APP11 JUMBF, see remedy.jumbf),
and the GPS record of FLIR thermal cameras' APP1 FFF data (its directory
entry is emptied and the record zeroed, which is what FLIR's own format does for an unused
record). Images stored after the first EOI (MPO frames, gain maps) are cleaned the same
way, and so is a video appended to a "motion photo". Every edit keeps segment lengths,
so MPF offsets to the later images stay valid.
"""

from __future__ import annotations

import re
import struct
from dataclasses import replace

from geoleak.formats.flir import CAMERA_INFO, GPS_INFO, SERIAL_FIELDS, fff_records
from geoleak.formats.jpeg import EXIF_ID, EXT_XMP_ID, FLIR_ID, PHOTOSHOP_ID, XMP_ID, SegmentWalk
from geoleak.formats.jumbf import APP11_ID, jpeg_jumbf_extents
from geoleak.remedy.blocks import clean_exif, clean_irb, clean_xmp
from geoleak.remedy.iptc import scan_iim
from geoleak.remedy.jumbf import clean_jumbf
from geoleak.remedy.model import (
    Finding,
    FindingKind,
    Patch,
    Region,
    ScanResult,
    ScrubOptions,
    Unsupported,
    text_finding,
)

__all__ = ["scan_jpeg"]

_SOI = re.compile(rb"\xff\xd8\xff[\xc0-\xfe]")


def scan_jpeg(data: bytes | memoryview, opts: ScrubOptions, *, max_images: int = 16) -> ScanResult:
    """Findings and patches for a JPEG file (first image and any images after it)."""
    result = ScanResult("jpeg")
    end = _scan_one(data, 0, opts, result, first=True)
    images = 1
    pos = end
    while images < max_images and pos < len(data):
        match = _SOI.search(data, pos)
        if match is None:
            break
        try:
            pos = _scan_one(data, match.start(), opts, result, first=False)
            images += 1
        except Unsupported:
            pos = match.start() + 2
    _scan_trailer_video(data, end, opts, result)
    _scan_afcp(data, opts, result)
    _scan_samsung_trailer(data, result)
    return result


def _scan_samsung_trailer(data: bytes | memoryview, result: ScanResult) -> None:
    """A Samsung phone's trailer after the image (exiftool's Samsung Trailer): it ends with
    a directory's size (4 bytes, little-endian) and "SEFT"; the directory is "SEFH", a
    version, the number of blocks, then per block 2 bytes, its type (2), its distance back
    from "SEFH" (4) and its size (4); a block is 2 bytes, its type, its name's length (4),
    its name, its value. MCC_Data, the mobile network's country code (242: Norway), names
    the country the photo was taken in: listed and its digits blanked. The image and the
    other blocks (a motion photo's video, cleaned as an appended video) are untouched."""
    size = len(data)
    if size < 16 or bytes(data[size - 4 :]) != b"SEFT":
        return
    length = struct.unpack_from("<I", data, size - 8)[0]
    head = size - 8 - length
    if head < 0 or length < 12 or bytes(data[head : head + 4]) != b"SEFH":
        return
    count = struct.unpack_from("<I", data, head + 8)[0]
    region = Region.whole(data, 0, size)
    for i in range(min(count, (length - 12) // 12)):
        back, block_size = struct.unpack_from("<II", data, head + 12 + 12 * i + 4)
        start = head - back
        if start < 0 or block_size < 8 or start + block_size > head:
            continue
        name_len = struct.unpack_from("<I", data, start + 4)[0]
        value_at = start + 8 + name_len
        if value_at > start + block_size:
            continue
        if bytes(data[start + 8 : value_at]) == b"MCC_Data":
            code = bytes(data[value_at : start + block_size]).strip(b"\x00 ")
            if code:
                shown = f"mobile country code {code.decode('ascii', 'replace')} (the country)"
                finding = Finding("Samsung trailer MCC_Data", FindingKind.PLACE, shown, True)
                result.add(finding, region.blank(value_at, start + block_size))


def _scan_afcp(data: bytes | memoryview, opts: ScrubOptions, result: ScanResult) -> None:
    """An AXS File Concatenation Protocol trailer after the image (exiftool's AFCP; written
    by some news-agency tools to carry IPTC outside the JPEG's segments). Its last 12 bytes
    are "AXS!" (big-endian; "AXS*" little-endian), the file offset of its header and 4
    more bytes; the header is the same 4 bytes, a version (2), the number of records (2)
    and 4 bytes, then per record a 4-character id, its size and its file offset. The IPTC
    record's place names are listed and blanked as an APP13 block's; a TEXT record's
    location text too. Only trailer bytes change: the image before it is untouched."""
    size = len(data)
    if size < 24:
        return
    tail = bytes(data[size - 12 :])
    if tail[:4] not in (b"AXS!", b"AXS*"):
        return
    order = ">" if tail[3:4] == b"!" else "<"
    start = struct.unpack_from(order + "I", tail, 4)[0]
    if start + 12 > size - 12 or bytes(data[start : start + 4]) != tail[:4]:
        result.notes.append("AFCP trailer after the image not examined (its header is not found)")
        return
    count = struct.unpack_from(order + "H", data, start + 6)[0]
    pos = start + 12
    region = Region.whole(data, 0, size)
    for _ in range(count):
        if pos + 12 > size - 12:
            break
        record = bytes(data[pos : pos + 4])
        length, offset = struct.unpack_from(order + "II", data, pos + 4)
        pos += 12
        if not (start + 12 <= offset and offset + length <= size - 12):
            result.notes.append(f"AFCP {record!r} record outside the trailer: not examined")
            continue
        if record == b"IPTC":
            findings, patches = scan_iim(region.sub(offset, length), opts)
            result.findings += [replace(f, field=f"AFCP {f.field}") for f in findings]
            result.patches += patches
        elif record == b"TEXT":
            text = bytes(data[offset : offset + length]).decode("utf-8", "replace")
            found = text_finding("AFCP Text", text)
            if found is not None:
                result.add(found, region.blank(offset, offset + length))


def _scan_one(
    data: bytes | memoryview, base: int, opts: ScrubOptions, result: ScanResult, *, first: bool
) -> int:
    """Clean one JPEG stream starting at `base`; returns the offset after its EOI."""
    if bytes(data[base : base + 2]) != b"\xff\xd8":
        raise Unsupported("not a JPEG (no SOI marker)")
    label = "EXIF" if first else "EXIF (embedded image)"
    ext_xmp: dict[bytes, list[tuple[int, int, int]]] = {}
    flir: list[tuple[int, int, int]] = []
    jumbf: list[tuple[int, int]] = []
    walk = SegmentWalk(data, base, through_scans=True, limit=None)
    for segment in walk:
        marker, body, seg_end = segment.marker, segment.body, segment.end
        if marker == 0xE1:
            head = bytes(data[body : body + 40])
            if head.startswith(EXIF_ID):
                clean_exif(
                    result, Region.whole(data, body + 6, seg_end - body - 6), opts, label=label
                )
            elif head.startswith(XMP_ID):
                start = body + len(XMP_ID)
                clean_xmp(result, Region.whole(data, start, seg_end - start), opts)
            elif head.startswith(EXT_XMP_ID):
                hdr = body + len(EXT_XMP_ID)
                if hdr + 40 <= seg_end:
                    guid = bytes(data[hdr : hdr + 32])
                    offset = struct.unpack_from(">I", data, hdr + 36)[0]
                    ext_xmp.setdefault(guid, []).append((offset, hdr + 40, seg_end - hdr - 40))
            elif head.startswith(FLIR_ID):
                flir.append((data[body + 6], body + 8, seg_end - body - 8))
        elif marker == 0xE5 and bytes(data[body : body + 6]) == b"RMETA\x00":
            _clean_vendor(data, opts, result, body, seg_end, "RMETA")
        elif marker == 0xE9 and bytes(data[body : body + 10]) == b"infisense\x00":
            _clean_vendor(data, opts, result, body, seg_end, "InfiRay")
        elif marker == 0xFE:
            _clean_comment(data, result, body, seg_end)
        elif marker == 0xEB and bytes(data[body : body + 2]) == APP11_ID:
            jumbf.append((body, seg_end))
        elif marker == 0xE6 and bytes(data[body : body + 6]) == b"GoPro\x00":
            _clean_gopro(data, opts, result, body, seg_end)
        elif marker == 0xED and bytes(data[body : body + len(PHOTOSHOP_ID)]) == PHOTOSHOP_ID:
            start = body + len(PHOTOSHOP_ID)
            clean_irb(result, Region.whole(data, start, seg_end - start), opts)
    if walk.problem is not None:
        if first and walk.segments == 0:
            raise Unsupported("JPEG segment structure broken")
        result.notes.append(f"JPEG at {base}: {walk.problem}; stopped")
    for parts in ext_xmp.values():
        parts.sort()
        region = Region(data, [(start, length) for _, start, length in parts])
        clean_xmp(result, region, opts, label="XMP (extended)")
    for extents in jpeg_jumbf_extents(jumbf, data):  # C2PA content credentials
        clean_jumbf(result, Region(data, extents))
    if flir:
        flir.sort()
        _clean_flir(result, Region(data, [(start, length) for _, start, length in flir]), opts)
    return walk.end


def _clean_gopro(
    data: bytes | memoryview, opts: ScrubOptions, result: ScanResult, body: int, end: int
) -> None:
    """GoPro's APP6 GPMF telemetry: camera serial and media id, and GPS on GPS-equipped models.

    Cleaned by zeroing the GPMF data after the "GoPro" identifier: a GPMF reader stops at
    the first all-zero key.
    """
    payload = bytes(data[body:end])
    if not payload[6:].strip(b"\x00"):
        return  # emptied (a scrubbed copy): nothing left to report or remove
    has_gps = any(key in payload for key in (b"GPS5", b"GPS9", b"GPSU", b"GPSF"))
    kind = FindingKind.LOCATION if has_gps else FindingKind.IDENTIFYING
    wanted = has_gps or opts.all_identifying
    shown = "GPS telemetry" if has_gps else "camera serial number and media id"
    region = Region.whole(data, body, end - body)
    result.add(
        Finding("GoPro APP6 (GPMF)", kind, shown, removed=wanted),
        region.blank(6, len(region)) if wanted else (),
    )


def _clean_flir(result: ScanResult, region: Region, opts: ScrubOptions) -> None:
    """Empty the GPS record of FLIR FFF data; with all_identifying also blank the serial
    numbers in CameraInfo."""
    fff = region.data
    parsed = fff_records(fff)
    if parsed is None:
        if fff[:4] in (b"FFF\x00", b"AFF\x00"):
            result.notes.append("FLIR data of an unknown version; not examined")
        return
    _order, records = parsed
    for record in records:
        if record.type == CAMERA_INFO:
            _flir_serials(result, region, record.offset, record.length, opts)
        if record.type != GPS_INFO:
            continue
        shown = _flir_position(fff, record.offset)
        patches = region.blank(record.entry_pos, record.entry_pos + 32)
        end = min(record.offset + record.length, len(fff))
        if record.offset < end:
            patches += region.blank(record.offset, end)
        result.add(Finding("FLIR GPS record", FindingKind.LOCATION, shown, removed=True), patches)


def _flir_serials(
    result: ScanResult, region: Region, offset: int, length: int, opts: ScrubOptions
) -> None:
    fff = region.data
    for field_at, (name, size) in SERIAL_FIELDS.items():
        lo, hi = offset + field_at, min(offset + field_at + size, offset + length, len(fff))
        if hi <= lo:
            continue
        value = fff[lo:hi].split(b"\x00")[0].decode("latin-1").strip()
        if not value:
            continue
        result.add(
            Finding(f"FLIR {name}", FindingKind.IDENTIFYING, value, opts.all_identifying),
            region.blank(lo, hi) if opts.all_identifying else (),
        )


def _clean_vendor(
    data: bytes | memoryview, opts: ScrubOptions, result: ScanResult, body: int, end: int, what: str
) -> None:
    """Ricoh RMETA (APP5, user fields such as Location: a place, always removed) and
    InfiRay (APP9 'infisense': sensor serial numbers, removed with all_identifying).
    The record is zeroed after its identifier; the segment keeps its length."""
    region = Region.whole(data, body, end - body)
    if what == "RMETA":
        raw = region.data
        shown = "present"
        at = raw.find(b"Location\x00")
        if at < 0:
            return
        result.add(
            Finding("Ricoh RMETA Location", FindingKind.PLACE, shown, removed=True),
            region.blank(6, len(region)),
        )
    else:
        if not bytes(region.data[10:]).strip(b"\x00"):
            return  # emptied (a scrubbed copy): nothing left to report or remove
        result.add(
            Finding("InfiRay sensor serial numbers", FindingKind.IDENTIFYING, "present",
                    opts.all_identifying),
            region.blank(10, len(region)) if opts.all_identifying else (),
        )  # fmt: skip


def _clean_comment(data: bytes | memoryview, result: ScanResult, body: int, end: int) -> None:
    """A JPEG COM segment that holds coordinates is blanked with spaces."""
    leak = text_finding("JPEG Comment", bytes(data[body:end]).decode("utf-8", "replace"))
    if leak is not None:
        result.add(leak, [Patch(body, b" " * (end - body))])


def _scan_trailer_video(
    data: bytes | memoryview, start: int, opts: ScrubOptions, result: ScanResult
) -> None:
    """A motion photo's MP4 appended after the JPEG (Google, Samsung) is cleaned too."""
    idx = bytes(data[start : start + 4 * 1024 * 1024]).find(b"ftyp") if start < len(data) else -1
    if idx < 4:
        return
    box_start = start + idx - 4
    size = struct.unpack_from(">I", data, box_start)[0]
    if not 8 <= size <= 4096:
        return
    from geoleak.remedy.isobmff import scan_boxes

    sub = ScanResult("mp4")
    try:
        scan_boxes(data, opts, sub, start=box_start, end=len(data), label="appended video")
    except Unsupported as exc:
        result.notes.append(f"appended video not examined: {exc}")
        return
    result.findings += sub.findings
    result.patches += sub.patches
    result.notes += sub.notes


def _flir_position(fff: bytes, rec_pos: int) -> str | None:
    """The FLIR GPS record's position for display (its byte order is its own)."""
    if rec_pos + 0x20 > len(fff):
        return None
    for order in ("<", ">"):
        lat, lon = struct.unpack_from(order + "dd", fff, rec_pos + 0x10)
        if abs(lat) <= 90 and abs(lon) <= 180:
            lat_ref = chr(fff[rec_pos + 8]) if 32 < fff[rec_pos + 8] < 127 else ""
            lon_ref = chr(fff[rec_pos + 10]) if 32 < fff[rec_pos + 10] < 127 else ""
            return f"{lat:.6f} {lat_ref}, {lon:.6f} {lon_ref}".replace(" ,", ",").strip()
    return "present"
