"""In-place cleaning of XMP packets (embedded in any container, or a .xmp sidecar).

The packet is walked by `formats.xmp.properties`, the walk the reader takes too.

A property is removed by overwriting it with spaces of the same length: an attribute
(`exif:GPSLatitude="48,9.2N"`) or a whole element (`<exif:GPSLatitude>..</..>`, including
structures such as `Iptc4xmpExt:LocationCreated`). Whitespace is legal wherever an
attribute or a property element stood, so the packet stays valid XML and keeps its size,
and no offset in the file changes. Properties are matched by local name in any
namespace, so an unusual prefix does not hide a position.
"""

from __future__ import annotations

import functools
import html
import re

from geoleak.formats.tags import Kind, by_group
from geoleak.formats.xmp import element_end, properties
from geoleak.remedy.model import (
    Finding,
    FindingKind,
    Patch,
    Region,
    ScrubOptions,
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
        return FindingKind.IDENTIFYING  # IPTC creator contact info: CiAdrCity, CiEmailWork...
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
    """Find location (and, as asked, identifying / time) properties and blank them."""
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
