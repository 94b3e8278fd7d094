"""Cleaning the metadata blocks every container shares: EXIF (TIFF), XMP, IPTC, Photoshop.

A container rewriter finds its blocks and hands each one here as a `Region`; nested blocks
(XMP or IPTC inside a TIFF, EXIF inside Photoshop resources) are followed.
"""

from __future__ import annotations

import hashlib

from geoleak.remedy.iptc import cleaned_bytes, scan_iim, split_irb
from geoleak.remedy.model import (
    Finding,
    FindingKind,
    Note,
    Region,
    ScanResult,
    ScrubOptions,
    Unsupported,
)
from geoleak.remedy.tiff import scan_tiff
from geoleak.remedy.xmp import scan_xmp

__all__ = ["clean_exif", "clean_iim", "clean_irb", "clean_xmp"]


def clean_exif(
    result: ScanResult,
    region: Region,
    opts: ScrubOptions,
    *,
    label: str = "EXIF",
    blank_if_unreadable: bool = True,
) -> None:
    """Clean an embedded EXIF block; an unreadable one is blanked whole (it may hold GPS)."""
    try:
        scan = scan_tiff(region, opts, label=label)
    except Unsupported as exc:
        if not blank_if_unreadable:
            raise
        if any(region.data):
            result.notes.append(
                Note(f"{label} block unreadable ({exc})", "blanked whole", "would be blanked whole")
            )
            result.add(
                Finding(
                    f"{label} block (unreadable)",
                    FindingKind.LOCATION,
                    "may hold a position",
                    removed=True,
                ),
                region.blank(0, len(region)),
            )
        return
    result.findings += scan.findings
    result.patches += scan.patches
    result.notes += scan.notes
    for sub in scan.xmp:
        clean_xmp(result, sub, opts, label=f"{label} XMP")
    for sub in scan.iptc:
        clean_iim(result, sub, opts)
    for sub in scan.photoshop:
        clean_irb(result, sub, opts)


def clean_xmp(
    result: ScanResult, region: Region, opts: ScrubOptions, *, label: str = "XMP"
) -> None:
    scan = scan_xmp(region, opts, label=label)
    result.findings += scan.findings
    result.patches += scan.patches


def clean_iim(result: ScanResult, region: Region, opts: ScrubOptions) -> None:
    findings, patches = scan_iim(region, opts)
    result.findings += findings
    result.patches += patches


def clean_irb(result: ScanResult, region: Region, opts: ScrubOptions) -> None:
    parts = split_irb(region)
    for sub in parts.iptc:
        before = len(result.patches)
        clean_iim(result, sub, opts)
        new = result.patches[before:]
        # keep IPTCDigest current when it was (else readers think XMP is out of sync)
        if (
            new
            and parts.digest is not None
            and len(parts.iptc) == 1
            and bytes(parts.digest.data) == hashlib.md5(sub.data).digest()
        ):
            fresh = hashlib.md5(cleaned_bytes(sub, new)).digest()
            result.patches += parts.digest.patch(0, fresh)
    for sub in parts.exif:
        clean_exif(result, sub, opts, label="Photoshop EXIF")
    for sub in parts.xmp:
        clean_xmp(result, sub, opts, label="Photoshop XMP")
