"""Documents (PDF, EPS, PostScript, Illustrator) as audit and scrub see them: the location
in the XMP packets they store and, in a PDF, in the photos it embeds. geoleak reads
documents and never writes them: audit lists a document that holds a location as leaking
and not cleanable, and scrub leaves it out of its output, saying why, with exit status 1.

What is read, in a document's first 64 MiB:
- XMP packets stored as plain text (a PDF's metadata stream is uncompressed by the PDF
  standard's advice, ISO 32000-1 14.3.2; EPS writes its XMP as text);
- a PDF's metadata streams compressed with FlateDecode (some producers compress them
  anyway), inflated up to 16 MiB each;
- a PDF's embedded JPEG and JPEG 2000 images (DCTDecode and JPXDecode streams, alone or
  after FlateDecode): tools that turn photos into a PDF without re-encoding them (img2pdf,
  scanners' and phones' "save as PDF") store the camera's file as it is, EXIF GPS
  included. Each is read by the scrubber's own reader, its fields named after the PDF
  object that holds it ("PDF image 12 0: EXIF GPS").
- an EPS's Photoshop image resources (IPTC, EXIF, XMP), which Photoshop writes as hex
  lines between "%BeginPhotoshop: N" and "%EndPhotoshop" (Adobe TN 5002 and Photoshop's
  file formats specification), read as a PSD's or a JPEG's APP13.
- the photos an Office Open XML (Word, Excel, PowerPoint), OpenDocument, EPUB or Apple
  iWork file keeps: these are zip archives, and an inserted photo is stored as its own
  file (`word/media/image1.jpeg`, `Pictures/...`) with its metadata, unless the program was
  asked to compress pictures. Each image entry (by extension, up to 64 MiB, the archive
  checked against zip bombs first) is read as a media file by the scrubber's reader, its
  fields named after the entry ("embedded word/media/image1.jpeg: EXIF GPS").
- a DOS EPS's TIFF preview (the binary header Photoshop and Illustrator write before the
  PostScript: Adobe TN 5002, "Encapsulated PostScript File Format", section "Preview"),
  read as a TIFF file ("EPS TIFF preview: EXIF GPS").
Other compressed streams (content, object streams, fonts) are not read, nor a DOS EPS's
WMF preview, which holds no metadata (README: audit's limits).
"""

from __future__ import annotations

import contextlib
import re
import struct
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path, PurePosixPath

from geoleak.errors import ArchiveError
from geoleak.ingest.archive import check_archive
from geoleak.mediatypes import IMAGE_EXTENSIONS, ZIP_DOCUMENT_EXTENSIONS
from geoleak.remedy.blocks import clean_irb
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.jpeg import scan_jpeg
from geoleak.remedy.model import Finding, Region, ScanResult, ScrubOptions, Unsupported
from geoleak.remedy.xmp import scan_xmp

__all__ = ["DOCUMENT_READ_BYTES", "document_findings"]

_XMP_OPEN = re.compile(rb"<x(?:ap)?:x[am]pmeta\b")
_XMP_CLOSE = re.compile(rb"</x(?:ap)?:x[am]pmeta>")
DOCUMENT_READ_BYTES = 64 * 1024 * 1024
INFLATE_LIMIT = 16 * 1024 * 1024  # bytes one compressed metadata stream may inflate to
EMBEDDED_IMAGE_LIMIT = 1024  # embedded JPEGs read per document
EMBEDDED_FILE_BYTES = 64 * 1024 * 1024  # the largest image entry of a zip document read

# A stream's keyword ends its dictionary (ISO 32000-1 7.3.8: "stream" then CRLF or LF; a
# lone CR is read too); the dictionary starts after its object's "N G obj".
_STREAM = re.compile(rb"\bstream(?:\r\n|\n|\r)")
_OBJECT = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")
_HEAD_WINDOW = 8192  # how far back a stream's dictionary is looked for
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_NAME = re.compile(rb"/([A-Za-z0-9]+)")
_METADATA = re.compile(rb"/Type\s*/Metadata\b")
_ENDSTREAM = re.compile(rb"(?:\r\n|\n|\r)?endstream\b")
_PHOTOSHOP = re.compile(rb"%BeginPhotoshop:\s*\d+[^\r\n]*[\r\n]+(.*?)%EndPhotoshop", re.DOTALL)
_HEX_LINE = re.compile(
    rb"%\s?([0-9A-Fa-f]+)\s*"
)  # one line, as Photoshop ends them: CR, LF or both


def document_findings(path: Path) -> list[Finding]:
    """What a document's XMP packets and, for a PDF, its compressed metadata streams and
    embedded JPEG images hold (the module's docstring says which parts are read).
    Raises OSError when the file cannot be read."""
    with path.open("rb") as handle:
        data = handle.read(DOCUMENT_READ_BYTES)
    if data[:4] == b"PK\x03\x04" and path.suffix.lower() in ZIP_DOCUMENT_EXTENSIONS:
        return _zip_findings(path)
    findings = _xmp_findings(data)
    if b"%PDF-" in data[:1024]:
        findings += _pdf_stream_findings(data)
    for block in _PHOTOSHOP.finditer(data):
        findings += _photoshop_findings(block.group(1))
    if data[:4] == _DOS_EPS:
        findings += _eps_preview_findings(data)
    return findings


_DOS_EPS = b"\xc5\xd0\xd3\xc6"


def _eps_preview_findings(data: bytes) -> list[Finding]:
    """The findings of a DOS EPS's TIFF preview (its offset and length, little-endian, at
    bytes 20-27 of the header; 0 when there is none)."""
    if len(data) < 30:
        return []
    start, length = struct.unpack_from("<II", data, 20)
    if not start or not length or start + length > len(data):
        return []
    try:
        scanned = scan_bytes(data[start : start + length], ScrubOptions(), suffix=".tif")
    except Unsupported as exc:
        return exc.findings
    return [replace(f, field=f"EPS TIFF preview: {f.field}") for f in scanned.findings]


def _zip_findings(path: Path) -> list[Finding]:
    """The findings of the image files a zip document (Office, OpenDocument, EPUB, iWork)
    holds. Raises OSError when it is no readable archive or fails the zip-bomb checks."""
    try:
        infos = check_archive(path)
        findings: list[Finding] = []
        with zipfile.ZipFile(path) as archive:
            images = [
                info for info in infos
                if not info.is_dir()
                and PurePosixPath(info.filename).suffix.lower() in IMAGE_EXTENSIONS
                and info.file_size <= EMBEDDED_FILE_BYTES
            ][:EMBEDDED_IMAGE_LIMIT]  # fmt: skip
            for info in images:
                body = archive.read(info)
                suffix = PurePosixPath(info.filename).suffix.lower()
                try:
                    scanned = scan_bytes(body, ScrubOptions(), suffix=suffix).findings
                except Unsupported as exc:
                    scanned = exc.findings
                findings += [
                    replace(f, field=f"embedded {info.filename}: {f.field}") for f in scanned
                ]
    except (ArchiveError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise OSError(f"not a readable {path.suffix.lower()} document ({exc})") from None
    return findings


def _photoshop_findings(lines: bytes) -> list[Finding]:
    """The findings of an EPS's hex-coded Photoshop image resources ("% 3842494D..." lines;
    the block's byte count is not trusted: the hex lines end it)."""
    hex_lines = (_HEX_LINE.fullmatch(line) for line in re.split(rb"[\r\n]+", lines))
    digits = b"".join(line.group(1) for line in hex_lines if line is not None)
    resources = bytes.fromhex(digits[: len(digits) // 2 * 2].decode("ascii"))
    result = ScanResult("eps")
    with contextlib.suppress(Unsupported, ValueError):
        clean_irb(result, Region.whole(resources, 0, len(resources)), ScrubOptions())
    return result.findings


def _xmp_findings(data: bytes) -> list[Finding]:
    """The findings of every XMP packet stored as plain text in `data`."""
    findings: list[Finding] = []
    for opened in _XMP_OPEN.finditer(data):
        closed = _XMP_CLOSE.search(data, opened.start())
        if closed is None:
            break
        packet = data[opened.start() : closed.end()]
        with contextlib.suppress(Unsupported):
            findings += scan_xmp(Region.whole(packet, 0, len(packet)), ScrubOptions()).findings
    return findings


def _pdf_stream_findings(data: bytes) -> list[Finding]:
    """The findings of a PDF's FlateDecode metadata streams and its JPEG images."""
    findings: list[Finding] = []
    images = 0
    pos = 0
    while images < EMBEDDED_IMAGE_LIMIT:
        keyword = _STREAM.search(data, pos)
        if keyword is None:
            break
        start = keyword.end()
        head, name = _stream_head(data, keyword.start())
        end = _stream_end(data, head, start)
        if end is None:
            break
        pos = max(end, start)
        if head is None:
            continue
        filters = _filters(head)
        body = data[start:end]
        inflated = bool(filters) and filters[0] == b"FlateDecode"
        if inflated:
            if len(filters) == 1 and not _METADATA.search(head):
                continue  # content, fonts, object streams: not read
            body = _inflate(body)
            filters = filters[1:]
        if filters in ([b"DCTDecode"], [b"JPXDecode"]):
            images += 1
            with contextlib.suppress(Unsupported):
                if filters == [b"DCTDecode"]:
                    scanned = scan_jpeg(body, ScrubOptions()).findings
                else:  # a JPEG 2000 file as it was (JP2 boxes: EXIF, IPTC, XMP)
                    scanned = scan_bytes(body, ScrubOptions(), suffix=".jp2").findings
                findings += [replace(f, field=f"PDF image {name}: {f.field}") for f in scanned]
        elif inflated and not filters:
            findings += _xmp_findings(body)  # a metadata stream (plain ones are read above)
    return findings


def _stream_head(data: bytes, keyword: int) -> tuple[bytes | None, str]:
    """The dictionary before a "stream" keyword at `keyword`, and its object's number and
    generation ("12 0"); (None, "") when the keyword follows no dictionary (it is then
    text inside some other stream, or a damaged file)."""
    window = data[max(0, keyword - _HEAD_WINDOW) : keyword]
    objects = list(_OBJECT.finditer(window))
    if not objects:
        return None, ""
    last = objects[-1]
    head = window[last.end() :]
    if not head.rstrip().endswith(b">>"):
        return None, ""
    return head, f"{int(last.group(1))} {int(last.group(2))}"


def _stream_end(data: bytes, head: bytes | None, start: int) -> int | None:
    """Where the stream that starts at `start` ends: its direct /Length when "endstream"
    follows it there, else the next "endstream" (an indirect or wrong /Length); None when
    there is none."""
    length = _LENGTH.search(head) if head is not None else None
    if length is not None:
        end = start + int(length.group(1))
        if end <= len(data) and _ENDSTREAM.match(data, end) is not None:
            return end
    found = _ENDSTREAM.search(data, start)
    return None if found is None else found.start()


def _filters(head: bytes) -> list[bytes]:
    """The stream's filter names, in the order they are applied to decode it."""
    entry = _FILTER.search(head)
    return [] if entry is None else _NAME.findall(entry.group(1))


def _inflate(body: bytes) -> bytes:
    """A FlateDecode stream inflated, up to `INFLATE_LIMIT` bytes; b"" when it is damaged."""
    inflater = zlib.decompressobj()
    try:
        return inflater.decompress(body, INFLATE_LIMIT)
    except zlib.error:
        return b""
