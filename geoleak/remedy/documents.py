"""Documents (PDF, EPS, PostScript, Illustrator) as audit and scrub see them: the location
in the XMP packets they store as plain text. geoleak reads these packets and never writes
documents: audit lists a document whose XMP holds a location as leaking and not cleanable,
and scrub leaves it out of its output, saying why, with exit status 1."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from geoleak.remedy.model import Finding, Region, ScrubOptions, Unsupported
from geoleak.remedy.xmp import scan_xmp

__all__ = ["DOCUMENT_READ_BYTES", "document_findings"]

_XMP_OPEN = re.compile(rb"<x(?:ap)?:x[am]pmeta\b")
_XMP_CLOSE = re.compile(rb"</x(?:ap)?:x[am]pmeta>")
DOCUMENT_READ_BYTES = 64 * 1024 * 1024


def document_findings(path: Path) -> list[Finding]:
    """What the XMP packets stored as plain text in a document's first 64 MiB hold (a PDF's
    metadata stream is uncompressed by the PDF standard's advice; EPS writes its XMP as
    text). Compressed streams and an EPS's hex-coded Photoshop IPTC are not read (README:
    audit's limits). Raises OSError when the file cannot be read."""
    with path.open("rb") as handle:
        data = handle.read(DOCUMENT_READ_BYTES)
    findings: list[Finding] = []
    for opened in _XMP_OPEN.finditer(data):
        closed = _XMP_CLOSE.search(data, opened.start())
        if closed is None:
            break
        packet = data[opened.start() : closed.end()]
        with contextlib.suppress(Unsupported):
            findings += scan_xmp(Region.whole(packet, 0, len(packet)), ScrubOptions()).findings
    return findings
