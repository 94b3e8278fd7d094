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

import functools
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

__all__ = [
    "MAX_XMP",
    "Property",
    "as_utf8",
    "element_end",
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


@functools.lru_cache(maxsize=16)
def _pattern(names: tuple[str, ...] | None) -> re.Pattern[bytes]:
    local = _NAME if names is None else b"(?:" + "|".join(names).encode() + rb")(?![\w.-])"
    return re.compile(
        rb"<(" + _NAME + rb"):(" + local + rb")"
        rb"|(?<=\s)(" + _NAME + rb"):(" + local + rb")\s*=\s*(\"[^\"]*\"|'[^']*')"
    )


def properties(data: bytes, names: Iterable[str] | None = None) -> Iterator[Property]:
    """The properties of an XMP packet (UTF-8 bytes), in document order.

    `names`: only properties with these local names (a reader's few); None: all. The
    attributes of an element's start tag follow the element.
    """
    pattern = _pattern(None if names is None else tuple(sorted(names)))
    size = len(data)
    for match in pattern.finditer(data):
        prefix = match.group(1)
        if prefix is not None:  # an element's start tag
            if prefix in _SYNTAX:
                continue
            after = match.end()
            close = data.find(b">", after)
            if close < 0 or (after < size and data[after] not in b" \t\r\n/>"):
                continue
            if data.find(b"<", after, close) >= 0:  # not a start tag: a '<' inside it
                continue
            empty = data[close - 1] == 0x2F  # '/'
            yield Property(match.start(), close + 1, prefix, match.group(2), True, empty,
                           close + 1)  # fmt: skip
        else:
            prefix = match.group(3)
            if prefix in _SYNTAX:
                continue
            yield Property(match.start(), match.end(), prefix, match.group(4), False, False,
                           match.start(5) + 1)  # fmt: skip


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


def as_utf8(packet: bytes) -> bytes | None:
    """The packet as UTF-8 bytes: UTF-16 packets (rare) decoded; None when undecodable."""
    if packet[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(packet) > 1 and packet[1] == 0):
        try:
            return packet.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return None
    return packet
