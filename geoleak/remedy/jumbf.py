"""C2PA content credentials (JUMBF): location in their JSON assertions, blanked in place.

A JSON assertion's location values (`exif:GPSLatitude`, `Iptc4xmpExt:LocationCreated`'s
city, `cai.location.broad`'s `location`...) are overwritten at the same length: a string
keeps its quotes and becomes spaces, a number becomes 0 and spaces, so the JSON stays
valid and no byte moves. The manifest's signature no longer matches afterwards, as it
would not after any edit of the photo's metadata it covers. CBOR assertions are not read.
"""

from __future__ import annotations

import json

from geoleak.formats.jumbf import iter_boxes, json_leaves, jumbf_label
from geoleak.remedy.model import LOCATING, Finding, FindingKind, Region, ScanResult
from geoleak.remedy.xmp import classify_property

__all__ = ["clean_jumbf"]


def clean_jumbf(result: ScanResult, region: Region) -> None:
    """Find and blank the location values of the JSON boxes in one JUMBF box."""
    data = region.data
    label = ""
    for box in iter_boxes(data):
        if box.type == b"jumd":
            label = jumbf_label(data, box)
            continue
        if box.type != b"json":
            continue
        text = data[box.body : box.end]
        try:
            leaves = json_leaves(text)
        except ValueError as exc:
            result.notes.append(f"C2PA JSON box {label or '(no label)'} not read ({exc})")
            continue
        for leaf in leaves:
            kind = _kind(leaf.keys)
            if kind is None:
                continue
            raw = text[leaf.start : leaf.end]
            shown = _shown(raw)
            if not shown or shown == "0":
                continue  # empty, or blanked by an earlier scrub
            name = leaf.keys[-1] if leaf.keys else "value"
            result.add(
                Finding(f"C2PA {label or 'JSON'} {name}", kind, shown, removed=True),
                region.patch(box.body + leaf.start, _blank(raw)),
            )


def _kind(keys: tuple[str, ...]) -> FindingKind | None:
    """The location kind of a value by its innermost key that names one."""
    for key in reversed(keys):
        local = key.rsplit(":", 1)[-1]
        kind = FindingKind.PLACE if local.lower() == "location" else classify_property(local)
        if kind in LOCATING:
            return kind
    return None


def _shown(raw: bytes) -> str:
    try:
        value = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
    return str(value).strip()


def _blank(raw: bytes) -> bytes:
    if raw.startswith(b'"'):
        return b'"' + b" " * (len(raw) - 2) + b'"'
    return b"0" + b" " * (len(raw) - 1)
