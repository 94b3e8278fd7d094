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

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from geoleak.errors import FormatError
from geoleak.extract import tiff as T
from geoleak.extract.builder import MetaBuilder
from geoleak.extract.gps import checked_position
from geoleak.extract.source import MAX_BLOCK, Source, Span
from geoleak.extract.xmp import parse_xmp_datetime
from geoleak.formats.iso6709 import parse_iso6709
from geoleak.formats.isobmff import (
    JP2_EXIF_UUID,
    XMP_UUID,
    Box,
    brand_format,
    brob_content,
    child,
    cr3_blocks,
    exif_item_tiff_offset,
    file_format,
    iter_boxes,
    loci_position,
    meta_children_start,
    meta_values,
    metadata_items,
    qt_string,
    sample_entries,
    sample_ranges,
)
from geoleak.formats.tiff import exif_tiff_offset
from geoleak.types import TrackPoint

__all__ = ["brand_format", "parse_iso6709", "read_isobmff"]  # (the first two re-exported)

MAX_BOXES = 10_000
_MAC_EPOCH = datetime(1904, 1, 1, tzinfo=timezone.utc)


def _inner(data: bytes, start: int, end: int) -> list[Box]:
    """Complete child boxes of an in-memory region (a malformed or clipped one ends it)."""
    return [b for b in iter_boxes(data, start, end, []) if not b.truncated]


def read_isobmff(src: Source, meta: MetaBuilder, *, jxl: bool = False) -> str:
    """Walk an ISO BMFF file, feeding metadata to `meta`; returns the format name.

    `jxl`: a JPEG XL container, whose 12-byte signature box is skipped whatever its
    (possibly damaged) header says.
    """
    issues: list[str] = []
    top = list(iter_boxes(src, 12 if jxl else 0, src.size, issues))
    for issue in issues:
        meta.warn(f"file is {issue}" if issue.startswith("truncated") else f"{issue}; stopped")
    fmt = "jxl" if jxl else file_format(src, top)
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
        elif box.type == b"uuid" and fmt == "jp2":
            _read_jp2_uuid(src, box, meta)
        elif box.type == b"xml " and fmt == "jp2":
            packet = src.read(box.payload, box.end - box.payload)
            if b"xmpmeta" in packet or b"rdf:RDF" in packet:
                meta.add_xmp(packet, "JP2 XML")
        elif box.type == b"brob" and fmt == "jxl":
            _read_brob(src, box, meta)
    for packet in meta.pending_xmp:
        meta.add_xmp(packet)
    meta.pending_xmp.clear()
    return fmt


def _read_brob(src: Source, box: Box, meta: MetaBuilder) -> None:
    """A JPEG XL `brob` box holding Exif or XMP (cjxl's lossless JPEG transcoding writes
    them so): decompressed, then read as the plain box would be."""
    if src.read(box.payload, 4) not in (b"Exif", b"xml "):
        return
    try:
        inner, content = brob_content(src.read(box.payload, box.end - box.payload))
    except FormatError as exc:
        meta.warn(f"JXL compressed metadata not read: {exc}")
        return
    if inner == b"Exif":
        _add_exif_item(content, meta, "JXL Exif (Brotli)")
    else:
        meta.add_xmp(content)


def _read_jp2_uuid(src: Source, box: Box, meta: MetaBuilder) -> None:
    """A JPEG 2000 `uuid` box: EXIF (a TIFF block, "Exif\\0\\0" before it or not) or XMP."""
    kind = src.read(box.payload, 16)
    if kind == JP2_EXIF_UUID:
        block = src.read(box.payload + 16, box.end - box.payload - 16)
        meta.add_exif(block[exif_tiff_offset(block[:16]) :], "JP2 EXIF")
    elif kind == XMP_UUID:
        meta.add_xmp(src.read(box.payload + 16, box.end - box.payload - 16), "JP2 XMP")


def _add_exif_item(body: bytes | Span, meta: MetaBuilder, what: str) -> None:
    """An Exif item / box: 4-byte big-endian offset to the TIFF header, then TIFF."""
    if len(body) < 8:
        meta.warn(f"{what} item is truncated")
        return
    start = exif_item_tiff_offset(body)
    if start is None:
        meta.warn(f"{what} item has no TIFF header")
        return
    meta.add_exif(body.after(start) if isinstance(body, Span) else body[start:], what)


# -- HEIF / AVIF -------------------------------------------------------------------------
def _read_heif_meta(src: Source, box: Box, meta: MetaBuilder) -> None:
    data = src.read(box.start, box.end - box.start)
    if len(data) < box.end - box.start:
        meta.warn("file is truncated inside the 'meta' box")
    local = Box(box.type, 0, box.payload - box.start, len(data))
    children = _inner(data, meta_children_start(data, local), len(data))
    issues: list[str] = []
    items = metadata_items(data, children, base=box.start, file_size=src.size, issues=issues)
    for issue in issues:
        meta.warn(issue)
    # the first Exif item is the primary image's; later ones (other images of the file)
    # are read only while no position was found, then the XMP items likewise. An item
    # whose bytes equal one already read (the two eyes' XMP of a Vision Pro photo) can add
    # nothing (every field keeps its first value, warnings are not repeated): not parsed.
    exif_items = [i for i in items if i.item.is_exif]
    xmp_items = sorted((i for i in items if i.item.is_xmp), key=lambda i: i.id)
    parsed: list[tuple[bool, bytes]] = []  # (compared, not hashed: a few items of KiBs)
    for index, found in enumerate([*exif_items[:4], *xmp_items[:4]]):
        name = found.item.type.decode("latin-1")
        if index and meta.position is not None and meta.capture_time and meta.make:
            break
        payload = None if found.problem else _item_bytes(src, found.extents, found.item.is_exif)
        if payload is None:
            meta.warn(
                f"HEIF item {found.id} ({name}) {found.problem or 'lies outside the file (truncated?)'}"
            )
            continue
        if isinstance(payload, bytes):
            key = (found.item.is_exif, payload)
            if key in parsed:
                continue
            parsed.append(key)
        if found.item.is_exif:
            _add_exif_item(payload, meta, "HEIF Exif")
        else:
            meta.add_xmp(payload if isinstance(payload, bytes) else payload[:])


_SPAN_OVER = 32 * 1024  # an Exif item larger than this holds a thumbnail: read as a Span


def _item_bytes(
    src: Source, extents: list[tuple[int, int]], lazy: bool = False
) -> bytes | Span | None:
    """An item's bytes; `lazy`: a large item in one extent is a `Span` (its IFDs are read,
    not the thumbnail after them). None when the item lies outside the file."""
    if lazy and len(extents) == 1:
        offset, length = extents[0]
        if length > _SPAN_OVER:
            if offset + length > src.size or length > MAX_BLOCK:
                return None
            return Span(src, offset, length)
    parts: list[bytes] = []
    total = 0
    for offset, length in extents:
        if offset + length > src.size or total + length > MAX_BLOCK:
            return None
        part = src.read(offset, length)
        if len(part) < length:
            return None
        parts.append(part)
        total += length
    return b"".join(parts)


# -- MP4 / MOV / 3GP / CR3 -------------------------------------------------------------------
_MOOV_WANTED = {b"mvhd", b"udta", b"meta", b"uuid"}
_MAX_MOOV_CHILD = 8 * 1024 * 1024


def _read_moov(src: Source, moov: Box, meta: MetaBuilder) -> None:
    # read the child headers of moov only; trak boxes (sample tables) are skipped
    created: datetime | None = None
    times: dict[str, datetime] = {}
    tracks: list[tuple[int, int, int]] = []
    issues: list[str] = []
    for found in iter_boxes(src, moov.payload, moov.end, issues):
        if found.truncated:
            issues.append("")
            break
        btype, pos, size = found.type, found.start, found.end - found.start
        hdr = found.payload - found.start
        if btype == b"trak" and len(tracks) < 16:
            tracks.append((pos, size, hdr))
        if btype in _MOOV_WANTED and size <= _MAX_MOOV_CHILD:
            data = src.read(pos, size)
            if len(data) == size:
                box = Box(btype, 0, hdr, size)
                if btype == b"mvhd":
                    created = _mvhd_time(data, box)
                elif btype == b"udta":
                    _read_udta(data, box, meta, times)
                elif btype == b"meta":
                    _read_qt_meta(data, box, meta, times)
                elif btype == b"uuid":
                    _read_cr3(data, box, meta)
    if issues:
        meta.warn("a 'moov' child box has a bad size; stopped")
    gps_utc: datetime | None = None
    for start, size, hdr in tracks:
        is_telemetry, gps_utc = _read_telemetry_track(src, start, size, hdr, meta, created)
        if is_telemetry:
            break
    meta.has_metadata = meta.has_metadata or created is not None or bool(times)
    for key in ("keys", "udta"):
        if key in times:
            meta.set_time(times[key])
    meta.set_time(created_checked(created, gps_utc, meta))


def created_checked(
    created: datetime | None, gps_utc: datetime | None, meta: MetaBuilder
) -> datetime | None:
    """The mvhd creation time with its real offset when GPS time shows it is local.

    QuickTime says UTC, but GoPro (and other action cameras) write the camera's local
    clock. When the first GPS UTC time of the file lies a whole number of quarter hours
    (up to 14 h) from the creation time, within 5 min (the fix may come a little after
    the recording starts), the creation time is local wall-clock time at that offset.
    """
    if created is None or gps_utc is None:
        return created
    diff_s = (created - gps_utc).total_seconds()
    offset_s = round(diff_s / 900) * 900
    if not 900 <= abs(offset_s) <= 14 * 3600 or abs(diff_s - offset_s) > 300:
        return created
    meta.time_from_gps = True
    offset = timedelta(seconds=offset_s)
    return created.replace(tzinfo=timezone(offset))


# -- Telemetry tracks: GoPro GPMF ('gpmd') and Google CAMM ('camm'); every fix, thinned -------
_MAX_TRAK = 16 * 1024 * 1024
_MAX_GPMF_SAMPLE = 1024 * 1024
_MAX_GPMF_BYTES = 64 * 1024 * 1024  # telemetry read per file (an hour of Hero GPMF is ~10 MB)
_TELEMETRY = {b"gpmd": ("gpmf", "GoPro GPMF"), b"camm": ("camm", "CAMM")}


@dataclass(frozen=True, slots=True)
class _Fix:
    lat: float
    lon: float
    alt_m: float | None
    time: datetime | None
    accuracy_m: float | None
    what: str  # the stream, for messages ("GoPro GPMF GPS5", "CAMM type 6")


def _sample_fixes(kind: str, sample: bytes, created: datetime | None) -> Iterator[_Fix | None]:
    """The fixes of one telemetry sample; None for an entry that says "no fix"."""
    # (the telemetry decoders are imported by the videos that have a telemetry track)
    from geoleak.formats.camm import camm_fixes, camm_time
    from geoleak.formats.gpmf import gps_fixes

    if kind == "gpmf":
        for fix in gps_fixes(sample):
            if fix.fix == 0:
                yield None
                continue
            accuracy = fix.dop * 5.0 if fix.dop else None  # DOP x ~5 m user range error
            yield _Fix(fix.lat, fix.lon, fix.alt_m, fix.time, accuracy, f"GoPro GPMF {fix.stream}")
        return
    for packet in camm_fixes(sample):
        if packet.fix_type == 0:
            yield None
            continue
        when = camm_time(packet.time_s, created)
        what = f"CAMM type {packet.packet_type}"
        yield _Fix(packet.lat, packet.lon, packet.alt_m, when, packet.accuracy_m, what)


def _read_telemetry_track(
    src: Source, start: int, size: int, hdr: int, meta: MetaBuilder, created: datetime | None
) -> tuple[bool, datetime | None]:
    """(is a GPMF or CAMM track, its first GPS UTC time), reading positions into `meta`.

    The position is the first entry with a fix (GPMF: GPSF / fix type not 0; CAMM type 6:
    gps_fix_type not 0) of any GPS stream (GPMF GPS5, GPS9, GPRI, GLPI; CAMM type 5 or 6) in
    any sample; the GPS time the first UTC time a stream gives. It replaces the rounded
    QuickTime ©xyz record of the same camera. Every fix of every sample makes the track,
    thinned as location history is (kept when the camera moved 100 m or 10 min passed),
    plus the last fix.
    """
    if size > _MAX_TRAK:
        return False, None
    data = src.read(start, size)
    if len(data) < size:
        return False, None
    trak = Box(b"trak", 0, hdr, size)
    mdia = child(data, trak, b"mdia")
    minf = child(data, mdia, b"minf") if mdia else None
    stbl = child(data, minf, b"stbl") if minf else None
    if stbl is None:
        return False, None
    entries = sample_entries(data, stbl)
    if not entries or entries[0].type not in _TELEMETRY:
        return False, None
    kind, label = _TELEMETRY[entries[0].type]
    ranges = [(o, n) for o, n in sample_ranges(data, stbl) if 0 < n <= _MAX_GPMF_SAMPLE]
    if not ranges:
        meta.warn(f"{label} track has no readable sample")
        return True, None
    meta.has_metadata = True
    budget = _MAX_GPMF_BYTES
    seen_fixless = False
    first: _Fix | None = None
    last: TrackPoint | None = None
    when: datetime | None = None
    from geoleak.geometry import TrackThinner

    thinner = TrackThinner()
    track: list[TrackPoint] = []
    for offset, length in ranges:
        if budget < length or offset + length > src.size:
            break
        budget -= length
        for fix in _sample_fixes(kind, src.read(offset, length), created):
            if fix is None:
                seen_fixless = True
                continue
            if when is None and fix.time is not None:
                when = fix.time
            position = checked_position(fix.lat, fix.lon).position
            if position is None:
                continue
            if first is None:
                first = fix
            last = TrackPoint(position, fix.time)
            if thinner.keep(position, fix.time):
                track.append(last)
    if first is None:
        fixless = "GPS reports no fix (GPSF 0)" if kind == "gpmf" else "GPS reports no fix"
        meta.warn(f"{label}: {fixless}; position ignored" if seen_fixless
                  else f"{label}: no GPS position in the telemetry")  # fmt: skip
        return True, when
    # The GPS fix is more precise than the rounded QuickTime ©xyz record of the same camera.
    meta.add_decimal_position(first.lat, first.lon, kind, first.what,
                              alt_m=first.alt_m, accuracy_m=first.accuracy_m,
                              gps_time=first.time or when, replaces=("quicktime",))  # fmt: skip
    if meta.position_source == kind:
        if last is not None and last is not track[-1]:
            track.append(last)  # where the video ends, as a track's end point
        meta.track, meta.track_fixes = track, thinner.fixes
    return True, when


def _mvhd_time(data: bytes, box: Box) -> datetime | None:
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


def _offer_iso6709(meta: MetaBuilder, raw: str, source: str, what: str, accuracy: float | None
                   ) -> None:  # fmt: skip
    try:
        lat, lon, alt = parse_iso6709(raw)
    except ValueError as exc:
        meta.warn(f"{what}: {exc}; position ignored")
        return
    meta.add_decimal_position(lat, lon, source, what, alt_m=alt, accuracy_m=accuracy)


def _read_udta(data: bytes, box: Box, meta: MetaBuilder, times: dict[str, datetime]) -> None:
    for child_box in _inner(data, box.payload, box.end):
        ctype = child_box.type
        if ctype == b"\xa9xyz":
            text = qt_string(data, child_box)
            if text:
                _offer_iso6709(meta, text, "quicktime", "QuickTime ©xyz", None)
        elif ctype == b"loci":
            _read_loci(data, child_box, meta)
        elif ctype in (b"\xa9day", b"date"):
            text = qt_string(data, child_box) if ctype == b"\xa9day" else None
            if ctype == b"date":
                text = (
                    data[child_box.payload : child_box.end].decode("utf-8", "replace").strip("\x00")
                )
            parsed = parse_xmp_datetime(text)
            if parsed is not None and "udta" not in times:
                times["udta"] = parsed
        elif ctype == b"TAGS" and data[child_box.payload : child_box.payload + 6] == b"PENTAX":
            meta.set_text("make", data[child_box.payload : child_box.payload + 24])  # Pentax movies
        elif ctype in (b"\xa9mak", b"\xa9mod", b"\xa9swr"):
            field = {b"\xa9mak": "make", b"\xa9mod": "model", b"\xa9swr": "software"}[ctype]
            meta.set_text(field, qt_string(data, child_box))
        elif ctype == b"meta":
            _read_qt_meta(data, child_box, meta, times)


def _read_loci(data: bytes, box: Box, meta: MetaBuilder) -> None:
    try:
        lat, lon, alt = loci_position(data, box)
    except ValueError as exc:
        meta.warn(f"{exc}; position ignored")
        return
    meta.add_decimal_position(lat, lon, "quicktime", "3GPP loci", alt_m=alt)


def _read_qt_meta(data: bytes, box: Box, meta: MetaBuilder, times: dict[str, datetime]) -> None:
    """QuickTime 'meta' (keys + ilst) or MP4 'meta' (full box with hdlr + ilst)."""
    values: dict[str, tuple[int, bytes]] = {}
    for item in meta_values(data, _inner(data, meta_children_start(data, box), box.end)):
        if item.kind >= 0:
            values.setdefault(item.name, (item.kind, data[item.value_start : item.value_end]))
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


def _read_cr3(data: bytes, box: Box, meta: MetaBuilder) -> None:
    """Canon CR3 (when the `uuid` box is Canon's): its TIFF blocks' first IFDs are IFD0,
    the Exif IFD and the GPS IFD (formats.isobmff.CR3_BLOCKS)."""
    blocks = cr3_blocks(data, box, [])
    if blocks is None:
        return
    found: dict[str, dict[int, object]] = {}
    try:
        for name, block_box in blocks:
            wanted = T.READ_TAGS.get(name)
            if wanted is None or block_box.truncated or name in found:
                continue
            block = T.TiffBlock(data[block_box.payload : block_box.end])
            found[name] = block.ifd(block.first_ifd, wanted, f"CR3 {name}")
    except T.TiffError as exc:
        meta.warn(f"CR3 metadata: {exc}")
        return
    meta.add_tags(found.get("IFD0", {}), found.get("ExifIFD", {}), found.get("GPS", {}), "CR3")
