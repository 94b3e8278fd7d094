"""Recognising a file's format by its first bytes and running the matching rewriter."""

from __future__ import annotations

import mmap
import struct
import zlib
from typing import Any

from geoleak.formats.location_files import location_file
from geoleak.formats.psd import image_resources
from geoleak.formats.sniff import LOCATION_FILE_FORMATS, container_of, sniff
from geoleak.remedy.blocks import clean_exif, clean_irb, clean_xmp
from geoleak.remedy.isobmff import scan_isobmff
from geoleak.remedy.jpeg import scan_jpeg
from geoleak.remedy.model import (
    Finding,
    FindingKind,
    NoPosition,
    Patch,
    Region,
    ScanResult,
    ScrubOptions,
    Unsupported,
)
from geoleak.remedy.riff import scan_gif, scan_png, scan_webp

__all__ = ["scan_bytes"]


def scan_bytes(
    data: bytes | memoryview | mmap.mmap, opts: ScrubOptions, *, suffix: str = ""
) -> ScanResult:
    """Findings and patches for a whole file's bytes. Raises Unsupported when it cannot.

    `suffix` (the file's extension) refines what the bytes say (see formats.sniff).
    A structure the parsers trip over (an offset past the end, a short field) also gives
    Unsupported: a file geoleak does not fully understand is never declared clean.
    """
    try:
        return _scan(data, opts, suffix)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError, zlib.error) as exc:
        raise Unsupported(f"malformed metadata structure ({exc})") from None


def _scan(data: Any, opts: ScrubOptions, suffix: str) -> ScanResult:
    if len(data) == 0:
        raise Unsupported("empty file")
    kind = sniff(bytes(data[:512]), suffix)
    family = container_of(kind) if kind is not None else None
    if family == "jpeg":
        return scan_jpeg(data, opts)
    if family == "png":
        return scan_png(data, opts)
    if family == "riff":
        return scan_webp(data, opts)
    if family == "isobmff":
        return scan_isobmff(data, opts)
    if family == "gif":
        return scan_gif(data, opts)
    if family == "psd":
        return _scan_psd(data, opts)
    if family == "none":
        return ScanResult(kind or "")  # no metadata container: nothing that could hold a position
    if family == "tiff":
        result = ScanResult("tiff")
        clean_exif(
            result, Region.whole(data, 0, len(data)), opts, label="EXIF", blank_if_unreadable=False
        )
        return result
    if kind is not None and (kind in LOCATION_FILE_FORMATS or kind == "json"):
        return _scan_location_file(data, kind)
    if family == "xmp":
        result = ScanResult("xmp")
        clean_xmp(result, Region.whole(data, 0, len(data)), opts)
        return result
    raise Unsupported(
        "not a format geoleak can clean (JPEG, PNG, WebP, GIF, BMP, TIFF/DNG, HEIC/AVIF, "
        "MP4/MOV/3GP, JPEG XL, JPEG 2000, PSD, XMP)"
    )


def _scan_psd(data: Any, opts: ScrubOptions) -> ScanResult:
    """Photoshop PSD/PSB: its image resources (EXIF, XMP, IPTC) cleaned as a JPEG's APP13;
    the layers and the image data after them are never touched."""
    found = image_resources(data)
    if found is None:
        raise Unsupported("PSD file ends before its image resources")
    if found.truncated:
        raise Unsupported("PSD image resources run past the end of the file")
    result = ScanResult("psd")
    clean_irb(result, Region.whole(data, found.start, found.length), opts)
    return result


def _scan_location_file(data: Any, kind: str) -> ScanResult:
    """Tracks and location JSON: reported; a Takeout sidecar is cleaned in place (Google's
    "no location", 0.0), anything else keeps its positions, so scrub leaves it out."""
    found = location_file(bytes(data), kind)
    if found is None:
        what = {
            "dji-srt": "DJI telemetry without a GPS fix",
            "fit": "FIT activity without GPS",
        }.get(kind, "JSON without positions")
        raise NoPosition(what)
    result = ScanResult(kind)
    what = f"{found.points} positions" if found.points is not None else "positions"
    patches = [Patch(offset, text) for offset, text in found.edits]
    cleanable = bool(patches) or found.kind.startswith("Google Takeout")
    result.add(
        Finding(found.kind, FindingKind.LOCATION, what, removed=cleanable, position=found.position),
        patches,
    )
    if cleanable and found.position is None:
        result.findings[-1] = Finding(found.kind, FindingKind.LOCATION, "no location (0.0, 0.0)",
                                      removed=True)  # fmt: skip
        if not patches:
            result.findings.pop()
    return result
