"""Finding the metadata blocks inside JPEG, PNG, WebP, GIF, TIFF-based raw, RAF and FLIR files.

Each `read_*` function walks one container format through a `Source`, reads only the
segments / chunks that hold metadata (EXIF, XMP, FLIR records) and feeds them to a
`MetaBuilder`. Pixels are never read: a JPEG walk stops at the first SOS marker, a PNG
walk seeks over IDAT chunks. Loops are bounded by the file size and by segment / chunk
counts, so a crafted file cannot make a walk run long.
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta, timezone

from geoleak.extract.builder import MetaBuilder, clean_text
from geoleak.extract.gps import position_from_exif
from geoleak.extract.source import HEAD_SIZE, MAX_BLOCK, Source
from geoleak.formats.chunks import PNG_MAX_LENGTH, iter_png_chunks, iter_riff_chunks
from geoleak.formats.flir import CAMERA_INFO, GPS_INFO, SERIAL_FIELDS, fff_records
from geoleak.formats.gif import GifWalk, is_xmp, xmp_packet
from geoleak.formats.iptc import EXIF_RESOURCES, XMP_RESOURCE, iter_resources
from geoleak.formats.jpeg import EXIF_ID, EXT_XMP_ID, FLIR_ID, XMP_ID, SegmentWalk
from geoleak.formats.psd import image_resources
from geoleak.formats.tags import tag_id
from geoleak.formats.tiff import exif_tiff_offset

__all__ = [
    "read_flir",
    "read_gif",
    "read_jpeg",
    "read_png",
    "read_psd",
    "read_raf",
    "read_tiff_file",
    "read_webp",
]


def strip_exif_header(block: bytes) -> bytes:
    """A TIFF block with an optional 'Exif\\0\\0' prefix (WebP, PNG writers differ) removed."""
    return block[exif_tiff_offset(block) :]


# -- JPEG --------------------------------------------------------------------------------
def read_jpeg(src: Source, meta: MetaBuilder, start: int = 0) -> None:
    """APP1 segments (EXIF, XMP, FLIR) of the JPEG starting at `start`, up to SOS."""
    flir_chunks: list[bytes] = []
    extended = _ExtendedXmp()
    exif_done = False
    xmp_done = False
    walk = SegmentWalk(src, start)
    for segment in walk:
        if segment.marker != 0xE1:
            continue
        body = src.read(segment.body, segment.length - 2)
        if len(body) < segment.length - 2:
            meta.warn("JPEG file is truncated inside a metadata segment")
        if body.startswith(b"Exif") and not exif_done:
            exif_done = True
            meta.add_exif(strip_exif_header(body), "EXIF")
        elif body.startswith(XMP_ID):
            xmp_done = True
            meta.add_xmp(body[len(XMP_ID) :])
        elif body.startswith(EXT_XMP_ID):
            extended.add(body[len(EXT_XMP_ID) :])
        elif body.startswith(FLIR_ID):
            flir_chunks.append(body[8:])
    if walk.problem is not None:
        meta.warn(f"JPEG {walk.problem}; stopped")
    elif walk.truncated:
        meta.warn("JPEG ends before the image data (truncated file)")
    if walk.problem is not None and start == 0:
        # the segment chain is broken: look for the metadata segments the way a forensic
        # reader would, by their signatures in the first bytes of the file
        if not exif_done:
            _search_app1(src, meta, EXIF_ID, "EXIF")
        if not xmp_done:
            _search_app1(src, meta, XMP_ID, "XMP")
    for packet in extended.packets(meta):
        meta.add_xmp(packet, "extended XMP")
    for packet in meta.pending_xmp:
        meta.add_xmp(packet)
    meta.pending_xmp.clear()
    if flir_chunks:
        read_flir(b"".join(flir_chunks), meta)


class _ExtendedXmp:
    """A JPEG's extended XMP (XMP specification part 3, 1.1.3.1): a packet too large for one
    APP1 segment, split over segments that each give its GUID (32 hex digits), its full
    length and the chunk's offset. Google's cameras and Lightroom write one; any property
    may be in it."""

    __slots__ = ("chunks",)
    LIMIT = 16 * 1024 * 1024  # bytes one extended packet may claim

    def __init__(self) -> None:
        self.chunks: dict[bytes, tuple[int, list[tuple[int, bytes]]]] = {}

    def add(self, rest: bytes) -> None:
        if len(rest) < 40:
            return
        guid, (length, offset) = rest[:32], struct.unpack_from(">II", rest, 32)
        self.chunks.setdefault(guid, (length, []))[1].append((offset, rest[40:]))

    def packets(self, meta: MetaBuilder) -> list[bytes]:
        """Each whole packet; one with a gap, an overlap or an impossible length is left
        out with a warning."""
        out: list[bytes] = []
        for length, parts in self.chunks.values():
            packet = bytearray()
            for offset, chunk in sorted(parts):
                if offset != len(packet):
                    break
                packet += chunk
            if len(packet) != length or length > self.LIMIT:
                meta.warn("JPEG extended XMP is incomplete; not read")
                continue
            out.append(bytes(packet))
        return out


def _search_app1(src: Source, meta: MetaBuilder, signature: bytes, what: str) -> None:
    at = src.head.find(b"\xff\xe1", 2)
    while at >= 0 and src.head[at + 4 : at + 4 + len(signature)] != signature:
        at = src.head.find(b"\xff\xe1", at + 2)
    if at < 0:
        return
    length = (src.head[at + 2] << 8) | src.head[at + 3]
    body = src.read(at + 4, max(0, length - 2))
    meta.warn(f"{what} segment found by searching the damaged JPEG at byte {at}")
    if what == "EXIF":
        meta.add_exif(strip_exif_header(body), "EXIF")
    else:
        meta.add_xmp(body[len(XMP_ID) :])


# -- FLIR FFF records (thermal cameras: GPS often lives only here) -----------------------
_SERIAL = tag_id("FLIR", "CameraSerialNumber")


def read_flir(fff: bytes, meta: MetaBuilder) -> None:
    """GPS, camera model, serial and capture time from a FLIR FFF record directory."""
    parsed = fff_records(fff)
    if parsed is None:
        return
    records: dict[int, tuple[int, int]] = {}
    for record in parsed[1]:
        if record.offset + record.length <= len(fff) and record.type not in records:
            records[record.type] = (record.offset, record.length)
    meta.has_metadata = True
    if CAMERA_INFO in records:
        offset, length = records[CAMERA_INFO]
        info = fff[offset : offset + length]
        if len(info) >= 0x38E:
            rec_order = "<" if struct.unpack_from("<H", info, 0)[0] == 2 else ">"
            meta.set_text("model", info[0xD4:0xF4])
            meta.set_text("serial", info[_SERIAL : _SERIAL + SERIAL_FIELDS[_SERIAL][1]])
            seconds, millis, tz_minutes = struct.unpack_from(rec_order + "IIh", info, 0x384)
            if seconds and abs(tz_minutes) <= 14 * 60 and millis < 1000:
                tz = timezone(timedelta(minutes=-tz_minutes))
                moment = datetime.fromtimestamp(seconds, timezone.utc) + timedelta(
                    milliseconds=millis
                )
                meta.set_time(moment.astimezone(tz))
    if GPS_INFO in records:
        offset, length = records[GPS_INFO]
        gps = fff[offset : offset + length]
        if len(gps) >= 0x24:
            rec_order = "<" if struct.unpack_from("<I", gps, 0)[0] in (0, 1) else ">"
            valid = struct.unpack_from(rec_order + "I", gps, 0)[0]
            lat, lon = struct.unpack_from(rec_order + "dd", gps, 0x10)
            alt = struct.unpack_from(rec_order + "f", gps, 0x20)[0]
            if valid or lat or lon:
                reading = position_from_exif(
                    lat, gps[0x08:0x0A], lon, gps[0x0A:0x0C], what="FLIR GPS"
                )
                meta.offer_position(reading, "flir", alt_m=alt)


# -- PNG ---------------------------------------------------------------------------------
_MAX_XMP_INFLATE = 4 * 1024 * 1024


def _inflate(data: bytes, limit: int) -> bytes | None:
    try:
        return zlib.decompressobj().decompress(data, limit)
    except zlib.error:
        return None


def read_gif(src: Source, meta: MetaBuilder) -> None:
    """XMP in GIF application extensions (the shared `formats.gif` walk; the blocks are read
    as one buffer, GIFs being small and their sub-blocks 255 bytes at most)."""
    data = src.read(0, MAX_BLOCK)
    walk = GifWalk(data)
    for block in walk:
        packet = xmp_packet(data, block)
        if packet is not None:
            meta.add_xmp(data[packet[0] : packet[1]], "GIF XMP")
        elif is_xmp(data, block):
            meta.warn("GIF XMP has no magic trailer; not read")
    if walk.problem is not None:
        meta.warn(walk.problem)


def read_png(src: Source, meta: MetaBuilder) -> None:
    """eXIf chunk, XMP iTXt chunk and ImageMagick 'Raw profile type exif' text chunks."""
    exif_done = False
    ended = False
    for chunk in iter_png_chunks(src):
        if chunk.length > PNG_MAX_LENGTH:
            meta.warn(f"PNG chunk at byte {chunk.start} has an impossible length; stopped")
            ended = True
            break
        ctype = chunk.type
        if ctype == b"IEND":
            ended = True
            break
        if ctype != b"eXIf" and ctype.lower() == b"exif":  # as exiftool: read it, but say so
            meta.warn(f"PNG {ctype.decode('latin-1')} chunk should be eXIf")
            ctype = b"eXIf"
        if ctype in (b"eXIf", b"iTXt", b"zTXt", b"tEXt") and chunk.length <= MAX_BLOCK:
            body = src.read(chunk.body, chunk.length)
            if len(body) < chunk.length:
                meta.warn("PNG file is truncated inside a metadata chunk")
            if ctype == b"eXIf" and not exif_done:
                exif_done = True
                meta.add_exif(strip_exif_header(body), "PNG eXIf")
            elif ctype == b"iTXt" and body.startswith(_ITXT_READ):
                keyword, _, rest = body.partition(b"\x00")
                compressed = rest[:1] == b"\x01"
                parts = rest[2:].split(b"\x00", 2)  # language, translated keyword, text
                text = parts[2] if len(parts) == 3 else b""
                if keyword != b"XML:com.adobe.xmp":  # exiftool reads a profile in iTXt too
                    limit = _MAX_XMP_INFLATE * 2
                    text = (_inflate(text, limit) or b"") if compressed else text
                    _png_raw_profile(keyword, text, meta)
                    continue
                if compressed:
                    text = _inflate(text, _MAX_XMP_INFLATE) or b""
                meta.add_xmp(text)
            elif ctype in (b"zTXt", b"tEXt") and body.startswith(b"Raw profile type "):
                keyword, _, text = body.partition(b"\x00")
                if ctype == b"zTXt":  # (a compression method byte, then zlib)
                    text = _inflate(text[1:], _MAX_XMP_INFLATE * 2) or b""
                _png_raw_profile(keyword, text, meta)
        if chunk.truncated:
            meta.warn("PNG ends inside a chunk (truncated file)")
            ended = True
    if not ended:
        meta.warn("PNG ends without an IEND chunk (truncated file)")


_EXIF_OR_TIFF = (b"Exif", b"II*\x00", b"MM\x00*")
_ITXT_READ = (b"XML:com.adobe.xmp\x00", b"Raw profile type ")


def _png_raw_profile(keyword: bytes, text: bytes, meta: MetaBuilder) -> None:
    """An ImageMagick profile (`text` uncompressed). A PNG's eXIf read before it does not
    hide it: its position counts as the eXIf's would (the builder keeps what came first)."""
    kind = keyword[len(b"Raw profile type ") :].strip().lower()
    # "\nexif\n    1234\n4578696600..." : name, byte count, hex lines
    lines = text.split(b"\n", 3)
    if len(lines) < 4:
        return
    try:
        payload = bytes.fromhex(lines[3].decode("ascii", "replace").replace("\n", ""))
    except ValueError:
        meta.warn("PNG raw profile text is not hexadecimal; ignored")
        return
    # ImageMagick writes the APP1 body ("Exif\0\0" + TIFF), other writers the bare TIFF.
    if kind in (b"exif", b"app1") and payload.startswith(_EXIF_OR_TIFF):
        meta.add_exif(strip_exif_header(payload), "PNG raw profile EXIF")
    elif kind == b"xmp":
        meta.add_xmp(payload)


# -- WebP --------------------------------------------------------------------------------
def read_webp(src: Source, meta: MetaBuilder) -> None:
    """EXIF and 'XMP ' chunks of a RIFF/WEBP file."""
    riff_end = min(src.size, 8 + struct.unpack_from("<I", src.head, 4)[0])
    for chunk in iter_riff_chunks(src, 12, riff_end):
        if chunk.type in (b"EXIF", b"XMP "):
            body = src.read(chunk.body, chunk.length)
            if len(body) < chunk.length:
                meta.warn("WebP file is truncated inside a metadata chunk")
            if chunk.type == b"EXIF":
                meta.add_exif(strip_exif_header(body), "WebP EXIF")
            else:
                meta.add_xmp(body)


# -- TIFF, DNG and TIFF-based raw ----------------------------------------------------------
_TIFF_FIRST_READ = 256 * 1024


def read_tiff_file(src: Source, meta: MetaBuilder) -> None:
    """A TIFF-structured file: IFD0, Exif and GPS IFDs; reads more only if they lie far."""
    block = src.read(0, max(_TIFF_FIRST_READ, HEAD_SIZE))
    probe = MetaBuilder()
    probe.add_exif(block, "TIFF")
    if any("outside the EXIF block" in w for w in probe.warnings) and src.size > len(block):
        block = src.read(0, MAX_BLOCK)
    meta.add_exif(block, "TIFF")
    for packet in meta.pending_xmp:
        meta.add_xmp(packet)
    meta.pending_xmp.clear()


# -- Photoshop PSD/PSB: the image resources between the header and the layers --------------
def read_psd(src: Source, meta: MetaBuilder) -> None:
    """The EXIF and XMP resources of a PSD or PSB file (the image data is never read)."""
    found = image_resources(src)
    if found is None:
        meta.warn("PSD file ends before its image resources")
        return
    if found.truncated:
        meta.warn("PSD file is truncated inside its image resources")
    section = src.read(found.start, found.length)
    exif: list[bytes] = []
    xmp: list[bytes] = []
    for res in iter_resources(section):
        if res.id in EXIF_RESOURCES:
            exif.append(section[res.start : res.start + res.size])
        elif res.id == XMP_RESOURCE:
            xmp.append(section[res.start : res.start + res.size])
    for block in exif:  # (EXIF before XMP: the builder keeps the first valid position)
        meta.add_exif(strip_exif_header(block), "PSD EXIF")
    for packet in xmp:
        meta.add_xmp(packet, "PSD XMP")


# -- Fujifilm RAF: a header followed by a complete JPEG preview holding the EXIF ----------
def read_raf(src: Source, meta: MetaBuilder) -> None:
    if len(src.head) < 92:
        meta.warn("RAF header is truncated")
        return
    jpeg_offset = struct.unpack_from(">I", src.head, 84)[0]
    if src.read(jpeg_offset, 3) != b"\xff\xd8\xff":
        meta.warn("RAF preview JPEG not found where the header points")
        return
    read_jpeg(src, meta, start=jpeg_offset)


def exif_text(value: bytes) -> str | None:
    return clean_text(value)
