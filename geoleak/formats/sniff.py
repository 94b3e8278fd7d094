"""One sniffer: a format name from a file's first bytes.

The extension only refines what the bytes say (which TIFF-based raw a TIFF is, whether
text is an XMP sidecar) or names a format without a signature (GPX, KML, GeoJSON, Takeout
JSON are text); it never overrides a signature.
"""

from __future__ import annotations

from geoleak.formats.isobmff import JP2_SIGNATURE
from geoleak.formats.psd import is_psd

__all__ = ["CONTAINER", "LOCATION_FILE_FORMATS", "RAW_EXTENSIONS", "container_of", "sniff"]

RAW_EXTENSIONS = {
    ".dng": "dng", ".cr2": "cr2", ".nef": "nef", ".nrw": "nrw", ".arw": "arw", ".srw": "srw",
    ".orf": "orf", ".rw2": "rw2", ".pef": "pef", ".3fr": "3fr", ".erf": "erf", ".mef": "mef",
    ".mos": "mos", ".srf": "srf", ".sr2": "sr2", ".iiq": "iiq",
}  # fmt: skip

# Olympus ORF: "IIRO" / "IIRS" (little-endian magic 0x4F52 / 0x5352) and "MMOR" (big-endian
# 0x4F52), as exiftool's ORF table; Panasonic RW2: "IIU\0" (magic 0x55).
TIFF_SIGNATURES = {
    b"II*\x00": "tiff", b"MM\x00*": "tiff", b"IIRO": "orf", b"IIRS": "orf", b"MMOR": "orf",
    b"IIU\x00": "rw2",
}  # fmt: skip
TIFF_MAGICS = frozenset({42, 0x55, 0x4F52, 0x5352})

ISOBMFF_TYPES = frozenset({b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot", b"uuid"})
JXL_CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BMP_HEADER_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})

# formats that hold nothing but positions (tracks, exports), by extension or content
LOCATION_FILE_FORMATS = frozenset(
    {"gpx", "tcx", "kml", "geojson", "fit", "takeout-json", "dji-srt"}
)
_TEXT_EXTENSIONS = {".gpx": "gpx", ".tcx": "tcx", ".kml": "kml", ".geojson": "geojson"}

# the container family each format is walked as
CONTAINER = {
    "jpeg": "jpeg", "png": "png", "webp": "riff", "gif": "gif", "bmp": "none",
    "jxl": "isobmff", "jxl-codestream": "none", "isobmff": "isobmff", "raf": "raf",
    "xmp": "xmp", "json": "json", "takeout-json": "json",
    "gpx": "xml", "tcx": "xml", "kml": "xml", "geojson": "json", "fit": "fit",
    "dji-srt": "text", "psd": "psd", "jp2": "isobmff", "j2k-codestream": "none",
}  # fmt: skip


def container_of(fmt: str) -> str:
    """The walker family of a sniffed format ('tiff' for every TIFF-based raw)."""
    return CONTAINER.get(fmt, "tiff")


def sniff(head: bytes, suffix: str = "") -> str | None:
    """Our format name from a file's first bytes (64 are enough, 512 help text formats).

    `suffix` is the lower-case extension with its dot. None when geoleak knows no format
    for these bytes.
    """
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == PNG_SIGNATURE:
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    tiff = TIFF_SIGNATURES.get(head[:4])
    if tiff is not None:
        return RAW_EXTENSIONS.get(suffix, "tiff") if tiff == "tiff" else tiff
    if head[:16] == b"FUJIFILMCCD-RAW ":
        return "raf"
    if is_psd(head):
        return "psd"
    if head[:12] == JXL_CONTAINER:
        return "jxl"
    if head[:12] == JP2_SIGNATURE:
        return "jp2"  # JPEG 2000 (.jp2, .jpx, .jpf, .jph): boxes as ISO BMFF's
    if head[:4] == b"\xff\x4f\xff\x51":
        return "j2k-codestream"  # a bare JPEG 2000 codestream: no metadata boxes
    if head[:2] == b"\xff\x0a":
        return "jxl-codestream"
    if head[4:8] in ISOBMFF_TYPES:
        return "isobmff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM" and (
        suffix == ".bmp" or (len(head) >= 18 and head[14] in _BMP_HEADER_SIZES)
    ):
        return "bmp"
    if len(head) >= 12 and head[8:12] == b".FIT" and head[0] in (12, 14):
        return "fit"
    text = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"<?xpacket", b"<x:xmpmeta", b"<rdf:RDF", b"<?xml", b"<")):
        if b"<gpx" in head:
            return "gpx"
        if b"<TrainingCenterDatabase" in head:
            return "tcx"
        if b"<kml" in head:
            return "kml"
        if b"xmpmeta" in head or b"rdf:RDF" in head or suffix == ".xmp":
            return "xmp"
        return _TEXT_EXTENSIONS.get(suffix)
    if suffix == ".srt":
        from geoleak.formats.dji_srt import looks_like_dji_srt  # (its patterns: only here)

        if looks_like_dji_srt(head):
            return "dji-srt"  # a DJI drone's flight telemetry beside its video
    if suffix == ".js" and text.startswith(b"window.YTD."):
        return "json"  # an X/Twitter archive's data: JSON after `window.YTD.tweets.part0 = `
    if text.startswith((b"{", b"[")):
        if suffix == ".geojson" or (b'"FeatureCollection"' in head or b'"Feature"' in head):
            return "geojson"
        if suffix == ".json":
            return "json"
    return None
