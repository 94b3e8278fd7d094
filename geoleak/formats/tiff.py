"""TIFF structure, as EXIF blocks (in every container) and TIFF-based raw files use it.

The header (byte order, magic, first IFD), the IFD entry layout and where an entry's value
lies (inline in its last 4 bytes when it fits, else at the offset those bytes hold). What
to do with a damaged header is the caller's choice: a reader goes on where it can, a
scrubber refuses.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from geoleak.errors import FormatError
from geoleak.formats.sniff import TIFF_MAGICS

__all__ = [
    "BIGTIFF_MAGIC",
    "ENTRY",
    "EXIF_IFD",
    "GPS_IFD",
    "INTEROP_IFD",
    "IPTC_TAG",
    "MAKER_NOTE",
    "PHOTOSHOP_TAG",
    "SUB_IFDS",
    "TIFF_MAGICS",
    "TYPE_NAMES",
    "TYPE_SIZES",
    "XMP_TAG",
    "Entry",
    "Header",
    "Ifd",
    "exif_tiff_offset",
    "next_ifd",
    "pointers",
    "read_header",
    "read_ifd",
    "walk_ifds",
]

# size in bytes of one value of each TIFF field type (16-18: BigTIFF's 8-byte integers)
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
              16: 8, 17: 8, 18: 8}  # fmt: skip
TYPE_NAMES = {1: "byte", 2: "string", 3: "int16u", 4: "int32u", 5: "rational64u",
              6: "int8s", 7: "undef", 8: "int16s", 9: "int32s", 10: "rational64s",
              11: "float", 12: "double", 13: "ifd"}  # fmt: skip
BIGTIFF_MAGIC = 43
# one 12-byte IFD entry: tag, type, count, value or offset (4 raw bytes)
ENTRY = {"<": struct.Struct("<HHI4s"), ">": struct.Struct(">HHI4s")}


class Header(NamedTuple):
    order: str  # "<" (II) or ">" (MM)
    magic: int  # 42, or a raw format's own (see TIFF_MAGICS)
    first_ifd: int


def read_header(data: Any) -> Header:
    """The TIFF header at the start of `data`. Raises FormatError without a byte-order mark."""
    if len(data) < 8:
        raise FormatError("EXIF block is shorter than a TIFF header")
    mark = bytes(data[:2])
    if mark == b"II":
        order = "<"
    elif mark == b"MM":
        order = ">"
    else:
        raise FormatError(f"EXIF block has no TIFF byte-order mark (starts {bytes(data[:4])!r})")
    magic, first = struct.unpack_from(order + "HI", bytes(data[2:8]))
    return Header(order, magic, first)


@dataclass(slots=True)
class Entry:  # (not frozen: a frozen dataclass is 4x slower to build, and IFDs are big)
    """One 12-byte IFD entry at `pos`; its value lies at [`value_pos`, `value_pos + size`).

    `raw` is the entry's last 4 bytes as stored; `size` is -1 for an unknown type.
    """

    index: int
    pos: int
    tag: int
    type: int
    count: int
    raw: bytes
    value_pos: int
    size: int

    @property
    def inline(self) -> bool:
        return 0 <= self.size <= 4


class Ifd(NamedTuple):
    """An IFD at `pos`: the entry count it claims, how many of those lie in the block, and
    the entries decoded (those that lie in the block, or only the tags a caller wanted).

    When `claimed` exceeds the caller's cap nothing is decoded (`present` is 0).
    """

    pos: int
    claimed: int
    present: int
    entries: list[Entry]

    @property
    def complete(self) -> bool:
        return self.present == self.claimed

    @property
    def next_pointer_at(self) -> int:
        """Where the offset of the next IFD in the chain is stored."""
        return self.pos + 2 + 12 * self.claimed


def read_ifd(
    data: Any, order: str, offset: int, *, max_entries: int, wanted: Collection[int] | None = None
) -> Ifd:
    """The IFD at `offset` of a TIFF block. Raises FormatError when `offset` lies outside.

    An IFD can never start inside the 8-byte header. Entry counts over `max_entries` give
    an Ifd without entries (real IFDs hold a few hundred; more means garbage). `wanted`:
    decode only entries with these tags (a reader's few), in order.
    """
    size = len(data)
    if offset < 8 or offset + 2 > size:
        raise FormatError(f"IFD offset {offset} is outside the block")
    claimed = int.from_bytes(data[offset : offset + 2], "little" if order == "<" else "big")
    if claimed > max_entries:
        return Ifd(offset, claimed, 0, [])
    start = offset + 2
    count = min(claimed, (size - start) // 12)
    table = bytes(data[start : start + 12 * count])
    entries: list[Entry] = []
    byteorder: Literal["little", "big"] = "big" if order == ">" else "little"
    sizes = TYPE_SIZES
    unpack = ENTRY[order].unpack_from
    if wanted is None:
        chosen: Iterable[int] = range(count)
    else:  # the tags of all entries in one call; only the wanted entries are unpacked
        chosen = [i for i, tag in enumerate(_tag_column(order, count).unpack(table))
                  if tag in wanted]  # fmt: skip
    for index in chosen:
        tag, typ, num, raw = unpack(table, 12 * index)
        pos = start + 12 * index
        unit = sizes.get(typ, -1)
        value_size = unit * num if unit > 0 else -1
        value_pos = pos + 8 if 0 <= value_size <= 4 else int.from_bytes(raw, byteorder)
        entries.append(Entry(index, pos, tag, typ, num, raw, value_pos, value_size))
    return Ifd(offset, claimed, count, entries)


@functools.lru_cache(maxsize=256)
def _tag_column(order: str, count: int) -> struct.Struct:
    """The tags of `count` IFD entries (the first 2 of each entry's 12 bytes)."""
    return struct.Struct(order + "H10x" * count)


def next_ifd(data: Any, order: str, ifd: Ifd) -> int | None:
    """The offset of the next IFD in the chain (0: none), or None when it lies outside."""
    at = ifd.next_pointer_at
    if at + 4 > len(data):
        return None
    return int.from_bytes(data[at : at + 4], "little" if order == "<" else "big")


# tags that give a TIFF block its structure (pointers to other IFDs and embedded blocks)
EXIF_IFD, GPS_IFD, INTEROP_IFD, SUB_IFDS = 0x8769, 0x8825, 0xA005, 0x014A
XMP_TAG, IPTC_TAG, PHOTOSHOP_TAG, MAKER_NOTE = 700, 0x83BB, 0x8649, 0x927C

# integer types a pointer may be stored as (exiftool accepts all of them)
_POINTER_TYPES = {3: "H", 4: "I", 8: "h", 9: "i", 13: "I"}
MAX_CHAIN = 16  # IFD1, IFD2...: a multi-page TIFF holds a few; more means a loop or garbage


def pointers(data: Any, order: str, entry: Entry) -> list[int] | None:
    """The offsets a pointer entry (ExifIFD, GPSInfo, SubIFDs...) holds; None when it is
    not stored as integers or its values lie outside `data`."""
    code = _POINTER_TYPES.get(entry.type)
    if code is None or entry.size < 0 or entry.value_pos + entry.size > len(data):
        return None
    raw = bytes(data[entry.value_pos : entry.value_pos + entry.size])
    return [v for v in struct.unpack(f"{order}{entry.count}{code}", raw) if v >= 0]


def walk_ifds(
    data: Any,
    order: str,
    first: int,
    *,
    follow: Mapping[int, str],
    chain: int = 0,
    max_entries: int,
    wanted: Mapping[str, Collection[int]] | None = None,
    whole: bool = False,
    bad: Callable[[str, int, str], None] | None = None,
) -> Iterator[tuple[str, Ifd]]:
    """Every IFD reachable from IFD0 at `first`, breadth first, each position once.

    The one walk of readers and scrubbers; a reader stops early by following fewer
    pointers and decoding fewer tags:
    - `follow`: the pointer tags followed, with the name their IFDs get ("ExifIFD",
      "GPS"...; an entry holding several offsets, like SubIFDs, numbers them: "SubIFD0");
    - `chain`: how many IFDs of IFD0's next-IFD chain are followed ("IFD1"..., at most
      MAX_CHAIN);
    - `wanted`: by IFD name ("*": any other), the only tags decoded there (the followed
      pointers are added); an IFD not named decodes every entry;
    - `whole`: an IFD whose entries or next pointer do not fit the block is unreadable,
      not yielded (a scrubber must not edit half an IFD);
    - `bad(name, pos, why)` is told of each IFD that cannot be read and of each followed
      pointer that is not an offset; it may raise to stop the walk.

    An IFD with more than `max_entries` entries is yielded without entries (garbage).
    """
    seen: set[int] = set()
    queue: list[tuple[int, str]] = [(first, "IFD0")]
    links = 0
    pointer_tags = frozenset(follow)
    for pos, name in queue:  # (the queue grows while it is walked)
        if pos in seen or pos == 0:
            continue
        seen.add(pos)
        tags = None if wanted is None else wanted.get(name, wanted.get("*"))
        try:
            ifd = read_ifd(data, order, pos, max_entries=max_entries,
                           wanted=None if tags is None else _with(pointer_tags, tags))  # fmt: skip
        except FormatError:
            if bad is not None:
                bad(name, pos, f"offset {pos} is outside the block")
            continue
        if whole and (not ifd.complete or ifd.next_pointer_at + 4 > len(data)):
            if bad is not None:
                bad(name, pos, f"with {ifd.claimed} entries does not fit the block")
            continue
        yield name, ifd
        for entry in ifd.entries:
            if entry.tag not in pointer_tags:
                continue
            child = follow[entry.tag]
            offsets = pointers(data, order, entry)
            if offsets is None:
                if bad is not None:
                    kind = "a string" if entry.type == 2 else f"type {entry.type}"
                    bad(child, -1, f"pointer is stored as {kind}")
                continue
            if entry.tag == SUB_IFDS:
                queue += [(p, f"{child}{i}") for i, p in enumerate(offsets)]
            else:
                queue += [(p, child) for p in offsets]
        if name.startswith("IFD") and links < min(chain, MAX_CHAIN) and ifd.complete:
            nxt = next_ifd(data, order, ifd)
            links += 1
            if nxt:
                queue.append((nxt, f"IFD{links}"))


_unions: dict[tuple[frozenset[int], frozenset[int]], frozenset[int]] = {}


def _with(pointer_tags: frozenset[int], tags: Collection[int]) -> frozenset[int]:
    """`pointer_tags | tags`, made once per pair (a scan walks the same few sets per file)."""
    wanted = tags if isinstance(tags, frozenset) else frozenset(tags)
    key = (pointer_tags, wanted)
    union = _unions.get(key)
    if union is None:
        union = pointer_tags | wanted
        if len(_unions) < 64:
            _unions[key] = union
    return union


def exif_tiff_offset(block: bytes) -> int:
    """Where the TIFF header starts in an EXIF block that may carry an 'Exif\\0\\0' prefix.

    WebP and PNG writers differ on the prefix; when its two padding bytes are damaged the
    TIFF header is looked for near the start. 0 when the block has no prefix.
    """
    if block[:4] != b"Exif":
        return 0
    if block[6:8] in (b"II", b"MM"):
        return 6
    for mark in (b"II*\x00", b"MM\x00*"):
        at = block.find(mark, 4, 16)
        if at >= 0:
            return at
    return 4
