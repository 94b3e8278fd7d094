"""In-place cleaning of IPTC-IIM records and Photoshop image resources.

An IIM dataset's value is overwritten with spaces of the same length (the dataset stays,
empty of meaning); Photoshop resource blocks (JPEG APP13, TIFF tag 34377) are walked to
find the IPTC (0x0404), EXIF (0x0422) and XMP (0x0424) resources inside them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

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
_DIGEST = 0x0425  # Photoshop resource: MD5 of the IPTC block, so readers notice stale IPTC

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
    pos = 0
    while pos + 5 <= len(data) and data[pos] == 0x1C:
        record, dataset, length = (
            data[pos + 1],
            data[pos + 2],
            struct.unpack_from(">H", data, pos + 3)[0],
        )
        head = 5
        if length & 0x8000:  # extended dataset: the next (length & 0x7fff) bytes hold the size
            n = length & 0x7FFF
            if n > 4 or pos + 5 + n > len(data):
                break
            length = int.from_bytes(data[pos + 5 : pos + 5 + n], "big")
            head += n
        start, end = pos + head, min(pos + head + length, len(data))
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
                patches += region.patch(pos + 2, bytes([REMOVED_DATASET]))
                patches += region.blank(start, end)
        pos = start + length
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
    data = region.data
    parts = IrbParts()
    pos = 0
    while pos + 12 <= len(data) and data[pos : pos + 4] in (b"8BIM", b"PHUT", b"DCSR", b"AgHg"):
        res_id = struct.unpack_from(">H", data, pos + 4)[0]
        name_len = data[pos + 6]
        name_total = (1 + name_len + 1) & ~1
        size_pos = pos + 6 + name_total
        if size_pos + 4 > len(data):
            break
        size = struct.unpack_from(">I", data, size_pos)[0]
        start = size_pos + 4
        if res_id == 0x0404:
            parts.iptc.append(region.sub(start, size))
        elif res_id == _DIGEST and size == 16:
            parts.digest = region.sub(start, size)
        elif res_id in (0x0422, 0x0423):
            parts.exif.append(region.sub(start, size))
        elif res_id == 0x0424:
            parts.xmp.append(region.sub(start, size))
        pos = start + size + (size & 1)
    return parts
