"""Recognising a file's format by its first bytes and running the matching rewriter."""

from __future__ import annotations

import mmap
import struct
import zlib
from typing import Any

from geoleak.remedy.blocks import clean_exif, clean_xmp
from geoleak.remedy.isobmff import scan_isobmff
from geoleak.remedy.jpeg import scan_jpeg
from geoleak.remedy.model import Region, ScanResult, ScrubOptions, Unsupported
from geoleak.remedy.riff import PNG_SIGNATURE, scan_gif, scan_png, scan_webp

__all__ = ["scan_bytes", "sniff"]


def sniff(head: bytes) -> str | None:
    """A format name from a file's first 64 bytes, or None when geoleak cannot clean it."""
    if head.startswith(b"\xff\xd8"):
        return "jpeg"
    if head.startswith(PNG_SIGNATURE):
        return "png"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"IIRO", b"IIU\x00", b"IISR"):
        return "tiff"
    if head[4:8] in (
        b"ftyp",
        b"moov",
        b"mdat",
        b"free",
        b"wide",
        b"skip",
        b"pnot",
    ) or head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return "isobmff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"BM") and len(head) >= 18 and head[14] in (12, 40, 52, 56, 64, 108, 124):
        return "bmp"
    if head.startswith(b"\xff\x0a"):
        return "jxl-codestream"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"<?xpacket", b"<x:xmpmeta", b"<?xml", b"<rdf:RDF")):
        return "xmp"
    return None


def scan_bytes(data: bytes | memoryview | mmap.mmap, opts: ScrubOptions) -> ScanResult:
    """Findings and patches for a whole file's bytes. Raises Unsupported when it cannot.

    A structure the parsers trip over (an offset past the end, a short field) also gives
    Unsupported: a file geoleak does not fully understand is never declared clean.
    """
    try:
        return _scan(data, opts)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError, zlib.error) as exc:
        raise Unsupported(f"malformed metadata structure ({exc})") from None


def _scan(data: Any, opts: ScrubOptions) -> ScanResult:
    if len(data) == 0:
        raise Unsupported("empty file")
    kind = sniff(bytes(data[:64]))
    if kind == "jpeg":
        return scan_jpeg(data, opts)
    if kind == "png":
        return scan_png(data, opts)
    if kind == "webp":
        return scan_webp(data, opts)
    if kind == "isobmff":
        return scan_isobmff(data, opts)
    if kind == "gif":
        return scan_gif(data, opts)
    if kind in ("bmp", "jxl-codestream"):
        return ScanResult(kind)  # no metadata container: nothing that could hold a position
    if kind == "tiff":
        result = ScanResult("tiff")
        clean_exif(
            result, Region.whole(data, 0, len(data)), opts, label="EXIF", blank_if_unreadable=False
        )
        return result
    if kind == "xmp":
        result = ScanResult("xmp")
        clean_xmp(result, Region.whole(data, 0, len(data)), opts)
        return result
    raise Unsupported(
        "not a format geoleak can clean (JPEG, PNG, WebP, GIF, BMP, TIFF/DNG, HEIC/AVIF, "
        "MP4/MOV/3GP, JPEG XL, XMP)"
    )
