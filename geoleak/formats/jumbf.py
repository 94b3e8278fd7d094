"""JUMBF boxes (ISO/IEC 19566-5) and the JSON they carry: where C2PA content credentials
keep their assertions.

A C2PA manifest store is a JUMBF superbox (`jumb`: a description box `jumd` with a type
UUID, toggles and a label, then content boxes). Its assertions are CBOR (RFC 8949) or JSON
content boxes; a metadata assertion some writers stored as CBOR ("in error", c2pa-rs
reads it still) has the JSON one's keys. The JSON ones include the EXIF assertion (`stds.exif`, JSON-LD with
`exif:GPSLatitude`...), IPTC's (`stds.iptc`, `Iptc4xmpExt:LocationCreated`...) and
Adobe's `cai.location.broad` (`{"location": "Salem, Oregon"}`).

In a JPEG the store is split over APP11 segments (JPEG XT, ISO/IEC 18477-3): each holds
"JP", a box instance number, a packet sequence number, and a copy of the superbox's
header (LBox, TBox, and XLBox when LBox is 1) before its share of the payload; the first
segment's header is the box's own. `jpeg_jumbf_extents` gives the logical box's extents
in the file, so a caller can clean it where it lies.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = [
    "APP11_ID",
    "CborLeaf",
    "JsonLeaf",
    "JumbfBox",
    "cbor_leaves",
    "iter_boxes",
    "jpeg_jumbf_extents",
    "json_leaves",
    "jumbf_label",
]

APP11_ID = b"JP"
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LITERALS = (b"true", b"false", b"null")
_MAX_DEPTH = 64


class JumbfBox(NamedTuple):
    """A box in a JUMBF byte string: its type, where its body starts and where it ends."""

    type: bytes
    body: int
    end: int


def jpeg_jumbf_extents(segments: list[tuple[int, int]], data: Any) -> list[list[tuple[int, int]]]:
    """The file extents of each JUMBF box spread over JPEG APP11 segments.

    `segments` are the (body start, body end) of the APP11 segments that begin with "JP";
    returns, per box instance, the extents of its logical bytes (box header and payload) in
    packet-sequence order.
    """
    boxes: dict[int, list[tuple[int, int, int]]] = {}
    for body, end in segments:
        if end - body < 16:
            continue
        instance, sequence = struct.unpack_from(">HI", data, body + 2)
        boxes.setdefault(instance, []).append((sequence, body, end))
    out: list[list[tuple[int, int]]] = []
    for packets in boxes.values():
        packets.sort()
        extents: list[tuple[int, int]] = []
        for n, (_sequence, body, end) in enumerate(packets):
            long_header = struct.unpack_from(">I", data, body + 8)[0] == 1
            skip = 8 if n == 0 else (24 if long_header else 16)  # (a repeated box header)
            if end - body > skip:
                extents.append((body + skip, end - body - skip))
        out.append(extents)
    return out


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[JumbfBox]:
    """The boxes in data[start:end], descending into `jumb` superboxes (depth first)."""
    yield from _walk(data, start, len(data) if end is None else end, 0)


def _walk(data: bytes, pos: int, end: int, depth: int) -> Iterator[JumbfBox]:
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        body = pos + 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            body = pos + 16
        elif size == 0:
            size = end - pos
        box_end = pos + size
        if size < body - pos or box_end > end:
            return
        yield JumbfBox(kind, body, box_end)
        if kind == b"jumb" and depth < _MAX_DEPTH:
            yield from _walk(data, body, box_end, depth + 1)
        pos = box_end


def jumbf_label(data: bytes, jumd: JumbfBox) -> str:
    """The label of a description box (`jumd`: 16-byte type, toggles, then the label when
    toggles bit 1 is set), "" when it has none."""
    if jumd.end - jumd.body < 17 or not data[jumd.body + 16] & 0x02:
        return ""
    raw = data[jumd.body + 17 : jumd.end].split(b"\x00", 1)[0]
    return raw.decode("utf-8", "replace")


class JsonLeaf(NamedTuple):
    """A scalar value in a JSON text: the object keys leading to it, and its bytes
    [`start`, `end`) (a string with its quotes)."""

    keys: tuple[str, ...]
    start: int
    end: int


def json_leaves(text: bytes) -> list[JsonLeaf]:
    """Every scalar value of the JSON `text` with where it lies. Raises ValueError when the
    text is not JSON."""
    chars = text.decode("latin-1")  # one character per byte: offsets are byte offsets
    leaves: list[JsonLeaf] = []
    end = _value(chars, _skip(chars, 0), (), leaves, 0)
    if _skip(chars, end) != len(chars.rstrip("\x00")):
        raise ValueError("trailing data after the JSON value")
    return leaves


def _skip(chars: str, pos: int) -> int:
    while pos < len(chars) and chars[pos] in " \t\r\n":
        pos += 1
    return pos


def _string_end(chars: str, pos: int) -> int:
    """The offset after the quote that closes the string whose text starts at `pos`."""
    while True:
        quote = chars.find('"', pos)
        if quote < 0:
            raise ValueError("JSON string not closed")
        escapes = 0
        while chars[quote - 1 - escapes] == "\\":
            escapes += 1
        if escapes % 2 == 0:
            return quote + 1
        pos = quote + 1


def _value(chars: str, pos: int, keys: tuple[str, ...], out: list[JsonLeaf], depth: int) -> int:
    if depth > _MAX_DEPTH or pos >= len(chars):
        raise ValueError("JSON nested too deep or cut short")
    first = chars[pos]
    if first == "{":
        pos = _skip(chars, pos + 1)
        if chars[pos : pos + 1] == "}":
            return pos + 1
        while True:
            if chars[pos : pos + 1] != '"':
                raise ValueError(f"JSON object key expected at byte {pos}")
            end = _string_end(chars, pos + 1)
            key = str(json.loads(chars[pos:end].encode("latin-1")))
            pos = end
            pos = _skip(chars, pos)
            if chars[pos : pos + 1] != ":":
                raise ValueError(f"':' expected at byte {pos}")
            pos = _value(chars, _skip(chars, pos + 1), (*keys, key), out, depth + 1)
            pos = _skip(chars, pos)
            if chars[pos : pos + 1] == "}":
                return pos + 1
            if chars[pos : pos + 1] != ",":
                raise ValueError(f"',' or '}}' expected at byte {pos}")
            pos = _skip(chars, pos + 1)
    if first == "[":
        pos = _skip(chars, pos + 1)
        if chars[pos : pos + 1] == "]":
            return pos + 1
        while True:
            pos = _skip(chars, _value(chars, pos, keys, out, depth + 1))
            if chars[pos : pos + 1] == "]":
                return pos + 1
            if chars[pos : pos + 1] != ",":
                raise ValueError(f"',' or ']' expected at byte {pos}")
            pos = _skip(chars, pos + 1)
    if first == '"':
        end = _string_end(chars, pos + 1)
        out.append(JsonLeaf(keys, pos, end))
        return end
    raw = chars[pos : pos + 32].encode("latin-1")
    for literal in _LITERALS:
        if raw.startswith(literal):
            return pos + len(literal)
    number = _NUMBER.match(raw)
    if number is None:
        raise ValueError(f"JSON value expected at byte {pos}")
    out.append(JsonLeaf(keys, pos, pos + number.end()))
    return pos + number.end()


class CborLeaf(NamedTuple):
    """A scalar value in a CBOR item: the map keys leading to it, where its head starts,
    where its content starts (after the head) and where it ends, and its major type (0
    unsigned, 1 negative, 2 bytes, 3 text, 7 float)."""

    keys: tuple[str, ...]
    start: int
    content: int
    end: int
    major: int


def cbor_leaves(data: bytes) -> list[CborLeaf]:
    """Every integer, float, text and byte string of the CBOR item `data` holds, with where
    it lies (a map's keys are not leaves). Raises ValueError when `data` is not one whole
    CBOR item (definite-length strings; indefinite arrays and maps are read)."""
    leaves: list[CborLeaf] = []
    end = _cbor_item(data, 0, (), leaves, 0)
    if data[end:].strip(b"\x00"):
        raise ValueError("trailing data after the CBOR item")
    return leaves


def _cbor_head(data: bytes, pos: int) -> tuple[int, int, int | None, int]:
    """(major type, additional information, argument or None when indefinite, content start)."""
    if pos >= len(data):
        raise ValueError("CBOR item cut short")
    first = data[pos]
    major, info = first >> 5, first & 0x1F
    if info < 24:
        return major, info, info, pos + 1
    if info in (24, 25, 26, 27):
        width = 1 << (info - 24)
        if pos + 1 + width > len(data):
            raise ValueError("CBOR item cut short")
        return major, info, int.from_bytes(data[pos + 1 : pos + 1 + width], "big"), pos + 1 + width
    if info == 31 and major in (2, 3, 4, 5, 7):
        return major, info, None, pos + 1
    raise ValueError(f"reserved CBOR additional information {info} at byte {pos}")


def _cbor_item(
    data: bytes, pos: int, keys: tuple[str, ...], out: list[CborLeaf], depth: int
) -> int:
    if depth > _MAX_DEPTH:
        raise ValueError("CBOR nested too deep")
    major, info, argument, content = _cbor_head(data, pos)
    if major in (0, 1):
        out.append(CborLeaf(keys, pos, content, content, major))
        return content
    if major in (2, 3):
        if argument is None:
            raise ValueError(f"indefinite-length CBOR string at byte {pos}")
        end = content + argument
        if end > len(data):
            raise ValueError("CBOR string cut short")
        out.append(CborLeaf(keys, pos, content, end, major))
        return end
    if major in (4, 5):
        pos, count = content, 0
        while argument is None or count < argument:
            if argument is None and data[pos : pos + 1] == b"\xff":
                return pos + 1
            if major == 5:
                key_leaves: list[CborLeaf] = []
                after = _cbor_item(data, pos, keys, key_leaves, depth + 1)
                key = _cbor_key(data, pos, after)
                pos = _cbor_item(data, after, (*keys, key), out, depth + 1)
            else:
                pos = _cbor_item(data, pos, keys, out, depth + 1)
            count += 1
        return pos
    if major == 6:  # a tag: its item follows
        return _cbor_item(data, content, keys, out, depth + 1)
    if argument is None:
        raise ValueError(f"unexpected CBOR break at byte {pos}")
    if info in (25, 26, 27):  # a float: half, single or double
        out.append(CborLeaf(keys, pos, pos + 1, content, 7))
    return content  # simple values: false, true, null, undefined


def _cbor_key(data: bytes, start: int, end: int) -> str:
    """A map key as text: a text key decoded, any other key as its CBOR bytes in hex."""
    major, _, argument, content = _cbor_head(data, start)
    if major == 3 and argument is not None:
        return data[content:end].decode("utf-8", "replace")
    if major == 0 and argument is not None:
        return str(argument)
    return data[start:end].hex()
