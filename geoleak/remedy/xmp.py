"""In-place cleaning of XMP packets (embedded in any container, or a .xmp sidecar).

A property is removed by overwriting it with spaces of the same length: an attribute
(`exif:GPSLatitude="48,9.2N"`) or a whole element (`<exif:GPSLatitude>..</..>`, including
structures such as `Iptc4xmpExt:LocationCreated`). Whitespace is legal wherever an
attribute or a property element stood, so the packet stays valid XML and keeps its size,
and no offset in the file changes. Properties are matched by local name in any
namespace, so an unusual prefix does not hide a position.
"""

from __future__ import annotations

import bisect
import functools
import re

from geoleak.remedy.model import Finding, FindingKind, Patch, Region, ScrubOptions

__all__ = ["XmpScan", "classify_property", "scan_xmp"]

_LOCATION_NAMES = frozenset(
    {
        "City",
        "State",
        "Country",
        "CountryCode",
        "CountryName",
        "Sublocation",
        "ProvinceState",
        "WorldRegion",
        "LocationCreated",
        "LocationShown",
        "Location",
        "AbsoluteAltitude",
        "RelativeAltitude",
        "GeoTag",
        "Geotag",
    }
)
_IDENTIFYING_NAMES = frozenset(
    {
        "SerialNumber",
        "LensSerialNumber",
        "BodySerialNumber",
        "CameraSerialNumber",
        "InternalSerialNumber",
        "OwnerName",
        "CameraOwnerName",
        "ImageUniqueID",
        "DocumentID",
        "InstanceID",
        "OriginalDocumentID",
        "DerivedFrom",
        "History",
        "Ingredients",
        "creator",
        "rights",
        "Artist",
        "Credit",
        "CreatorContactInfo",
        "AuthorsPosition",
        "CaptionWriter",
        "Owner",
        "Author",
        "LastKeywordXMP",
        "PersonInImage",
    }
)
_TIME_NAMES = frozenset(
    {
        "CreateDate",
        "ModifyDate",
        "MetadataDate",
        "DateTimeOriginal",
        "DateTimeDigitized",
        "DateCreated",
        "DateTime",
        "DateAcquired",
    }
)

_NAME = rb"[A-Za-z_][\w.-]*"
_ATTR = re.compile(rb"(?<=\s)(" + _NAME + rb"):(" + _NAME + rb")\s*=\s*(\"[^\"]*\"|'[^']*')")
_OPEN = re.compile(rb"<(" + _NAME + rb"):(" + _NAME + rb")(\s[^<>]*?)?(/?)>")
_TAGS = re.compile(rb"<[^>]*>")


def classify_property(local: str) -> FindingKind | None:
    """The kind of an XMP property by its local name, or None for one geoleak keeps."""
    if (
        local.upper().startswith("GPS")
        or "Latitude" in local
        or "Longitude" in local
        or "Longtitude" in local
        or local in _LOCATION_NAMES
    ):
        return FindingKind.LOCATION
    if (
        local in _IDENTIFYING_NAMES
        or "SerialNumber" in local
        or (
            local.startswith("Ci") and local[2:3].isupper()  # IPTC creator contact info
        )
    ):
        return FindingKind.IDENTIFYING
    if local in _TIME_NAMES:
        return FindingKind.TIME
    if local == "Orientation":
        return FindingKind.ORIENTATION
    return None


class XmpScan:
    __slots__ = ("findings", "patches")

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.patches: list[Patch] = []


def _wanted(kind: FindingKind, opts: ScrubOptions) -> bool:
    return (
        kind is FindingKind.LOCATION
        or (kind is FindingKind.IDENTIFYING and opts.all_identifying)
        or (kind is FindingKind.TIME and opts.drop_time)
        or (kind is FindingKind.ORIENTATION and opts.drop_orientation)
    )


@functools.lru_cache(maxsize=4096)
def _classify(local: bytes) -> FindingKind | None:
    return classify_property(local.decode("ascii", "replace"))


def _short(raw: bytes) -> str:
    text = _TAGS.sub(b" ", raw).decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:80]


def scan_xmp(region: Region, opts: ScrubOptions, *, label: str = "XMP") -> XmpScan:
    """Find location (and, as asked, identifying / time) properties and blank them."""
    data = region.data
    out = XmpScan()
    taken: list[tuple[int, int]] = []  # removed elements, in file order, not overlapping
    starts: list[int] = []

    def covered(start: int) -> bool:
        i = bisect.bisect_right(starts, start) - 1
        return i >= 0 and taken[i][0] <= start < taken[i][1]

    # Elements first (outermost wins), then attributes outside removed elements.
    for match in _OPEN.finditer(data):
        start = match.start()
        if covered(start):
            continue
        prefix, local = match.group(1), match.group(2)
        if prefix in (b"rdf", b"x"):
            continue
        kind = _classify(local)
        if kind is None:
            continue
        if match.group(4) == b"/":
            end = match.end()
            value = _attr_values(match.group(3) or b"")
        else:
            close = re.compile(rb"</" + re.escape(prefix) + rb":" + re.escape(local) + rb"\s*>")
            closing = close.search(data, match.end())
            if closing is None:
                continue
            end = closing.end()
            value = _short(data[match.end() : closing.start()])
        wanted = _wanted(kind, opts)
        out.findings.append(
            Finding(
                f"{label} {prefix.decode()}:{local.decode()}", kind, value or None, removed=wanted
            )
        )
        if wanted:
            taken.append((start, end))
            starts.append(start)
            out.patches += region.blank(start, end, b" ")
    for match in _ATTR.finditer(data):
        if covered(match.start()):
            continue
        prefix, local = match.group(1), match.group(2)
        if prefix in (b"xmlns", b"rdf", b"xml", b"x"):
            continue
        kind = _classify(local)
        if kind is None:
            continue
        wanted = _wanted(kind, opts)
        out.findings.append(
            Finding(
                f"{label} {prefix.decode()}:{local.decode()}",
                kind,
                _short(match.group(3)[1:-1]) or None,
                removed=wanted,
            )
        )
        if wanted:
            out.patches += region.blank(match.start(), match.end(), b" ")
    return out


def _attr_values(attrs: bytes) -> str:
    return " ".join(
        m.group(3)[1:-1].decode("utf-8", "replace")
        for m in _ATTR.finditer(b" " + attrs)
        if m.group(1) not in (b"xmlns", b"rdf")
    )[:80]
