"""XMP packets: where each property lies, walked once for readers and scrubbers alike.

XMP appears inside JPEG (APP1), PNG (iTXt), WebP (XMP chunk), GIF (application
extension), HEIC/AVIF (mime item), JPEG XL ('xml ' box), TIFF (tag 700) and as `.xmp`
sidecar files. A property is written either as an attribute (`exif:GPSLatitude="48,53.32N"`)
or as an element (`<exif:GPSLatitude>48,53.32N</exif:GPSLatitude>`, or a structure such as
`<Iptc4xmpExt:LocationCreated>...</...>`, or self-closing with attributes).

`properties` yields both kinds in document order, without an XML parser (a full RDF
parse is slow and exposes the reader to entity expansion). Prefixes are not checked
(writers use `xap:` and `xmp:` for the same namespace); local names are specific enough.
A reader passes the few local names it wants and reads simple values; a scrubber passes
none, looks at every property, and finds an element's end tag (`element_end`) only for
those it removes. RDF syntax (`rdf:`, `x:`) and namespace declarations are not properties.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

__all__ = [
    "EVERY_PROPERTY",
    "MAX_XMP",
    "Property",
    "as_utf8",
    "element_end",
    "matcher",
    "packet_encoding",
    "properties",
]

MAX_XMP = 4 * 1024 * 1024  # bytes of one packet a reader looks at; real packets are < 64 KB

_NAME = rb"[A-Za-z_][\w.-]*"
_SYNTAX = frozenset({b"xmlns", b"rdf", b"xml", b"x"})  # not properties
_SPACE = b" \t\r\n"


class Property(NamedTuple):
    """One property: an attribute, or an element's start tag.

    `start` is the first byte of the attribute or the element's '<'; `end` is after the
    attribute's closing quote or after the element's start tag ('>' or '/>').
    Attribute: its value is [`value`, `end - 1`). Element: `value` is `end` (its content
    follows the start tag; `element_end` finds where it stops), and `empty` says it is
    self-closing (`<exif:GPSLatitude/>`, `<x:y a="1"/>`: no content, only attributes).
    """

    start: int
    end: int
    prefix: bytes
    local: bytes
    element: bool
    empty: bool
    value: int


_NAME_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def matcher(names: Iterable[str] | None = None) -> re.Pattern[bytes]:
    """What `properties` walks by: every property, or only those with these local names
    (a reader's few; compile it once)."""
    # Anchored on the colon between prefix and local name: a literal first byte lets the
    # regex engine skip ahead fast (10x faster than trying '<' or a space at every byte);
    # the prefix is then read backwards. RDF syntax and namespace declarations are passed
    # over by the lookbehinds. After the local name: an attribute's quoted value (XML
    # forbids '<' in it), or the rest of a start tag (captured in a lookahead, so the
    # attributes inside it are walked too).
    if names is None:
        head = b":(?<!rdf:)(?<!xmlns:)(" + _NAME
    else:
        head = b":(" + b"|".join(n.encode() for n in names) + rb")(?![\w.-]"
    return re.compile(head + rb")(?:\s*=\s*(\"[^\"<]*\"|'[^'<]*')|(?=([^<>]*)>))")


EVERY_PROPERTY = matcher()


def properties(data: bytes, which: re.Pattern[bytes] = EVERY_PROPERTY) -> Iterator[Property]:
    """The properties of an XMP packet (UTF-8 bytes), in document order: all of them, or
    those `which` (a `matcher`) selects. The attributes of an element's start tag follow
    the element.
    """
    name_bytes = _NAME_BYTES
    for match in which.finditer(data):
        colon = match.start()
        begin = colon
        while begin and data[begin - 1] in name_bytes:
            begin -= 1
        if begin in (colon, 0) or data[begin] in b"0123456789.-":
            continue
        prefix = data[begin:colon]
        if prefix in _SYNTAX:
            continue
        before = data[begin - 1]
        quoted = match.start(2)
        if quoted >= 0:
            if before in _SPACE:  # an attribute
                yield Property(begin, match.end(), prefix, match.group(1), False, False,
                               quoted + 1)  # fmt: skip
        elif before == 0x3C and match.start(3) >= 0:  # '<': an element's start tag
            rest = match.group(3)
            if rest and rest[0] not in b" \t\r\n/":
                continue
            close = match.end(3) + 1
            yield Property(begin - 1, close, prefix, match.group(1), True,
                           rest.endswith(b"/"), close)  # fmt: skip


def element_end(data: bytes, prop: Property) -> tuple[int, int] | None:
    """Where an element's content stops and its end tag ends: (content end, end), or
    None when the end tag is missing. (The first matching end tag: properties are not
    nested in themselves.)"""
    if prop.empty:
        return prop.end, prop.end
    tag = b"</" + prop.prefix + b":" + prop.local
    at = prop.end
    while True:
        at = data.find(tag, at)
        if at < 0:
            return None
        after = at + len(tag)
        while after < len(data) and data[after] in _SPACE:
            after += 1
        if after < len(data) and data[after] == 0x3E:  # '>'
            return at, after + 1
        at = after


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))  # fmt: skip


def packet_encoding(packet: bytes) -> str:
    """The encoding of an XMP packet: "utf-8", "utf-16-le", "utf-16-be", "utf-32-le" or
    "utf-32-be" (the XMP specification allows all five, part 1, 7.3.2).

    By its byte-order mark, else by where the NUL bytes of its first character lie: every
    packet starts with ASCII ('<' of its wrapper, or whitespace), so '<' in UTF-16BE is
    00 3C, in UTF-16LE 3C 00. (The BOM a wrapper's `begin` attribute holds follows the
    '<?xpacket' and needs no separate look.)
    """
    for bom, name in _BOMS:
        if packet.startswith(bom):
            return name
    head = packet[:4]
    if len(head) == 4 and head.count(0) == 3:
        return "utf-32-be" if head[3] else "utf-32-le"
    if len(head) >= 2 and head[0] == 0 and head[1]:
        return "utf-16-be"
    if len(head) >= 2 and head[0] and head[1] == 0:
        return "utf-16-le"
    return "utf-8"


def as_utf8(packet: bytes) -> bytes | None:
    """The packet as UTF-8 bytes: UTF-16 and UTF-32 packets (rare) decoded; None when
    undecodable."""
    encoding = packet_encoding(packet)
    if encoding == "utf-8":
        return packet
    unit = 4 if encoding.startswith("utf-32") else 2
    try:  # (an odd trailing byte, as a clipped block leaves, is dropped)
        return packet[: len(packet) - len(packet) % unit].decode(encoding).encode("utf-8")
    except UnicodeError:
        return None
