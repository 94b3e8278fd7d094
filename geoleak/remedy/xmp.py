"""In-place cleaning of XMP packets (embedded in any container, or a .xmp sidecar).

The packet is walked by `formats.xmp.properties`, the walk the reader takes too.

A property is removed by overwriting it with spaces of the same length: an attribute
(`exif:GPSLatitude="48,9.2N"`) or a whole element (`<exif:GPSLatitude>..</..>`, including
structures such as `Iptc4xmpExt:LocationCreated`). Whitespace is legal wherever an
attribute or a property element stood, so the packet stays valid XML and keeps its size,
and no offset in the file changes. Properties are matched by local name in any
namespace, so an unusual prefix does not hide a position.

A UTF-16 or UTF-32 packet is walked as its UTF-8 transcoding, and each removed span is
written back in the packet's own encoding: every character of it becomes as many spaces
as it has code units (a character outside the BMP is two UTF-16 units), so the packet
keeps its encoding, its byte-order mark and its size, byte for byte outside the spans.
"""

from __future__ import annotations

import functools
import html
import re

from geoleak.formats.tags import Kind, by_group
from geoleak.formats.xmp import element_end, packet_encoding, properties
from geoleak.remedy.model import (
    Finding,
    FindingKind,
    Patch,
    Region,
    ScrubOptions,
    Unsupported,
    kind_of,
    text_finding,
)
from geoleak.remedy.model import wanted as _wanted

__all__ = ["XmpScan", "classify_property", "scan_xmp"]

_XMP = by_group("XMP")
_FREE_TEXT = "free text"


_ATTR = re.compile(rb"(?<=\s)([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=\s*(\"[^\"]*\"|'[^']*')")
_TAGS = re.compile(rb"<[^>]*>")


def classify_property(local: str) -> FindingKind | None:
    """The kind of an XMP property by its local name, or None for one geoleak keeps."""
    kind = _table_kind(local)
    return kind if isinstance(kind, FindingKind) else None


def _table_kind(local: str) -> FindingKind | str | None:
    """As classify_property, and "free text" for fields that leak only when they hold
    coordinates (descriptions, comments)."""
    if (
        local.upper().startswith("GPS")
        or "Latitude" in local
        or "Longitude" in local
        or "Longtitude" in local
    ):
        return FindingKind.LOCATION
    tag = _XMP.get(local)
    if tag is not None:
        if tag.kind is Kind.FREE_TEXT:
            return _FREE_TEXT
        return kind_of(tag.kind)
    if "SerialNumber" in local or (local.startswith("Ci") and local[2:3].isupper()):
        return FindingKind.IDENTIFYING  # other IPTC creator contact info (the address: places)
    return None


class XmpScan:
    __slots__ = ("findings", "patches")

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.patches: list[Patch] = []


@functools.lru_cache(maxsize=4096)
def _classify(local: bytes) -> FindingKind | str | None:
    return _table_kind(local.decode("ascii", "replace"))


def _free_text(field: str, raw: bytes) -> Finding | None:
    text = html.unescape(_TAGS.sub(b" ", raw).decode("utf-8", "replace"))
    return text_finding(field, text)


def _short(raw: bytes) -> str:
    text = _TAGS.sub(b" ", raw).decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:80]


def scan_xmp(region: Region, opts: ScrubOptions, *, label: str = "XMP") -> XmpScan:
    """Find location (and, as asked, identifying / time) properties and blank them.

    Raises Unsupported for a UTF-16/32 packet that does not decode (a file that keeps a
    packet geoleak cannot read is never called clean)."""
    encoding = packet_encoding(region.data)
    if encoding != "utf-8":
        return _scan_transcoded(region, opts, label, encoding)
    return _scan_utf8(region, opts, label)


def _scan_transcoded(region: Region, opts: ScrubOptions, label: str, encoding: str) -> XmpScan:
    """`scan_xmp` of a UTF-16 or UTF-32 packet, written back in its own encoding."""
    unit = 4 if encoding.startswith("utf-32") else 2
    data = region.data
    whole = len(data) - len(data) % unit  # (an odd trailing byte is kept as it is)
    try:
        # surrogatepass: a lone UTF-16 surrogate stays one character and is written back
        text = data[:whole].decode(encoding, "surrogatepass")
    except UnicodeDecodeError as exc:
        raise Unsupported(
            f"{label} packet is not valid {encoding.upper()} ({exc.reason})"
        ) from None
    utf8 = text.encode("utf-8", "surrogatepass")
    proxy = _scan_utf8(Region.whole(utf8, 0, len(utf8)), opts, label)
    out = XmpScan()
    out.findings = proxy.findings
    if not proxy.patches:
        return out
    chars = list(text)
    spans = []
    for patch in proxy.patches:  # UTF-8 offsets (on character boundaries) to characters
        first = len(utf8[: patch.offset].decode("utf-8", "surrogatepass"))
        last = first + len(utf8[patch.offset : patch.end].decode("utf-8", "surrogatepass"))
        spans.append((first, last))
        for at in range(first, last):
            chars[at] = " " * (len(chars[at].encode(encoding, "surrogatepass")) // unit)
    cleaned = "".join(chars).encode(encoding, "surrogatepass")
    if len(cleaned) != whole:  # (cannot happen: each character keeps its code units)
        raise Unsupported(f"{label} packet cannot be blanked in {encoding.upper()}")
    for first, last in spans:
        start = len(text[:first].encode(encoding, "surrogatepass"))
        end = start + len(text[first:last].encode(encoding, "surrogatepass"))
        out.patches += region.patch(start, cleaned[start:end])
    return out


def _scan_utf8(region: Region, opts: ScrubOptions, label: str) -> XmpScan:
    data = region.data
    out = XmpScan()
    taken_end = -1  # the end of the last removed element: what lies inside it is gone
    for prop in properties(data):
        start = prop.start
        if start < taken_end:
            continue
        kind = _classify(prop.local)
        if kind is None:
            continue
        if prop.element:
            stops = element_end(data, prop)
            if stops is None:
                continue
            inner_end, end = stops
            if prop.empty:
                inner = data[start + 2 + len(prop.prefix) + len(prop.local) : prop.end - 2]
                value = _attr_values(inner)
            else:
                inner = data[prop.value : inner_end]
                value = _short(inner)
        else:
            end = prop.end
            inner = data[prop.value : end - 1]
            value = _short(inner)
        field = f"{label} {prop.prefix.decode()}:{prop.local.decode()}"
        if kind == _FREE_TEXT:
            leak = _free_text(field, inner)
            if leak is None:
                continue
            out.findings.append(leak)
            wanted = True
        else:
            assert isinstance(kind, FindingKind)
            wanted = _wanted(kind, opts)
            out.findings.append(Finding(field, kind, value or None, removed=wanted))
        if wanted:
            if prop.element:
                taken_end = end
            out.patches += region.blank(start, end, b" ")
    return out


def _attr_values(attrs: bytes) -> str:
    return " ".join(
        m.group(2)[1:-1].decode("utf-8", "replace")
        for m in _ATTR.finditer(b" " + attrs)
        if m.group(1) not in (b"xmlns", b"rdf")
    )[:80]
