"""C2PA content credentials (JUMBF): location in their JSON and CBOR assertions, blanked
in place.

A JSON assertion's location values (`exif:GPSLatitude`, `Iptc4xmpExt:LocationCreated`'s
city, `cai.location.broad`'s `location`...) are overwritten at the same length: a string
keeps its quotes and becomes spaces, a number becomes 0 and spaces, so the JSON stays
valid and no byte moves. A CBOR assertion (a metadata assertion some writers stored as
CBOR, or any CBOR assertion with a location key) is read the same way: a text string keeps
its head and its characters become spaces, a number becomes 0 in the same width (an
integer's head keeps its size, a float's bytes become +0.0), a byte string becomes zeros.
The manifest's signature no longer matches afterwards, as it would not after any edit of
the photo's metadata it covers.
"""

from __future__ import annotations

import json
import struct

from geoleak.formats.jumbf import cbor_leaves, iter_boxes, json_leaves, jumbf_label
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
        if box.type not in (b"json", b"cbor"):
            continue
        text = data[box.body : box.end]
        try:
            values = _json_values(text) if box.type == b"json" else _cbor_values(text)
        except ValueError as exc:
            what = box.type.decode().upper()
            result.notes.append(f"C2PA {what} box {label or '(no label)'} not read ({exc})")
            continue
        for keys, start, shown, blank in values:
            kind = _kind(keys)
            if kind is None or not shown or shown == "0":
                continue  # not a location; empty, or blanked by an earlier scrub
            name = keys[-1] if keys else "value"
            result.add(
                Finding(f"C2PA {label or 'JSON'} {name}", kind, shown, removed=True),
                region.patch(box.body + start, blank),
            )


# a value as clean_jumbf reads it: its keys, where its bytes start, how it is shown, and
# the bytes of the same length that blank it
_Value = tuple[tuple[str, ...], int, str, bytes]


def _json_values(text: bytes) -> list[_Value]:
    out: list[_Value] = []
    for leaf in json_leaves(text):
        raw = text[leaf.start : leaf.end]
        out.append((leaf.keys, leaf.start, _shown(raw), _blank(raw)))
    return out


def _cbor_values(data: bytes) -> list[_Value]:
    out: list[_Value] = []
    for leaf in cbor_leaves(data):
        body = data[leaf.content : leaf.end]
        if leaf.major == 3:
            shown = body.decode("utf-8", "replace").strip()
            out.append((leaf.keys, leaf.content, shown, b" " * len(body)))
        elif leaf.major == 2:
            shown = body.hex() if body.strip(b"\x00") else ""
            out.append((leaf.keys, leaf.content, shown, bytes(len(body))))
        elif leaf.major == 7:
            value = struct.unpack({2: ">e", 4: ">f", 8: ">d"}[len(body)], body)[0]
            out.append((leaf.keys, leaf.content, f"{value:g}", bytes(len(body))))
        else:  # an integer: 0 with a head of the same size
            head = data[leaf.start : leaf.content]
            value = int.from_bytes(head[1:], "big") if len(head) > 1 else head[0] & 0x1F
            shown = str(-1 - value if leaf.major == 1 else value)
            zero = bytes([head[0] & 0x1F if len(head) > 1 else 0]) + bytes(len(head) - 1)
            out.append((leaf.keys, leaf.start, shown, zero))
    return out


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
