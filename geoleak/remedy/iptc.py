"""In-place cleaning of IPTC-IIM records and Photoshop image resources (walked by
`formats.iptc`).

An IIM dataset's value is overwritten with spaces of the same length (the dataset stays,
empty of meaning); Photoshop resource blocks (JPEG APP13, TIFF tag 34377) are walked to
find the IPTC (0x0404), EXIF (0x0422) and XMP (0x0424) resources inside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geoleak.formats.iptc import (
    EXIF_RESOURCES,
    IPTC_DIGEST,
    IPTC_RESOURCE,
    XMP_RESOURCE,
    iter_datasets,
    iter_resources,
)
from geoleak.formats.tags import Kind, by_group
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

__all__ = ["IrbParts", "scan_iim", "split_irb"]

REMOVED_DATASET = 0xF0  # record 2, dataset 240: defined by no IPTC-IIM version (255 is CatalogSets)

# record-2 datasets by kind, from the tag table (free-text ones leak only with coordinates)
IIM_FIELDS: dict[int, tuple[str, FindingKind]] = {
    int(tid): (tag.name, kind)
    for tid, tag in by_group("IPTC").items()
    if (kind := kind_of(tag.kind)) is not None
}
IIM_FREE_TEXT = {
    int(tid): tag.name for tid, tag in by_group("IPTC").items() if tag.kind is Kind.FREE_TEXT
}


def scan_iim(region: Region, opts: ScrubOptions) -> tuple[list[Finding], list[Patch]]:
    """IIM datasets of record 2 that hold location (and, as asked, names / times)."""
    data = region.data
    findings: list[Finding] = []
    patches: list[Patch] = []
    for item in iter_datasets(data):
        record, dataset, start, end = item.record, item.dataset, item.start, item.end
        leak = None
        if record == 2 and dataset in IIM_FREE_TEXT:
            text = data[start:end].decode("utf-8", "replace")
            leak = text_finding(f"IPTC {IIM_FREE_TEXT[dataset]}", text)
            if leak is not None:
                findings.append(leak)
        if leak is not None or (record == 2 and dataset in IIM_FIELDS):
            value = data[start:end].decode("utf-8", "replace").strip()
            if leak is None and value:
                name, kind = IIM_FIELDS[dataset]
                wanted = _wanted(kind, opts)
                findings.append(Finding(f"IPTC {name}", kind, value[:80], removed=wanted))
            else:
                wanted = leak is not None
            if value and wanted:
                # the dataset is retagged as one no reader defines and its value zeroed:
                # readers skip it, and the record keeps its length
                patches += region.patch(item.pos + 2, bytes([REMOVED_DATASET]))
                patches += region.blank(start, end)
    return findings, patches


def cleaned_bytes(region: Region, patches: list[Patch]) -> bytes:
    """The region's bytes with `patches` (file offsets) applied."""
    out = bytearray(region.data)
    for patch in patches:
        for i, byte in enumerate(patch.data):
            logical = region.logical_offset(patch.offset + i)
            if logical is not None:
                out[logical] = byte
    return bytes(out)


@dataclass(slots=True)
class IrbParts:
    iptc: list[Region] = field(default_factory=list)
    exif: list[Region] = field(default_factory=list)
    xmp: list[Region] = field(default_factory=list)
    digest: Region | None = None  # the IPTCDigest resource (16 bytes), when present


def split_irb(region: Region) -> IrbParts:
    """The IPTC, EXIF and XMP resources inside Photoshop image resource blocks."""
    parts = IrbParts()
    for res in iter_resources(region.data):
        if res.id == IPTC_RESOURCE:
            parts.iptc.append(region.sub(res.start, res.size))
        elif res.id == IPTC_DIGEST and res.size == 16:
            parts.digest = region.sub(res.start, res.size)
        elif res.id in EXIF_RESOURCES:
            parts.exif.append(region.sub(res.start, res.size))
        elif res.id == XMP_RESOURCE:
            parts.xmp.append(region.sub(res.start, res.size))
    return parts
