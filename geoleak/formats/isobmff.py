"""ISO base media file format (ISO/IEC 14496-12) and QuickTime: the box walker and the
few box payloads both readers and scrubbers decode.

Covers HEIF/HEIC/AVIF (`meta` with `iinf`/`iloc`/`idat`), MP4/MOV/3GP (`moov`, `udta`,
QuickTime `keys`/`ilst`, 3GPP `loci`), JPEG XL containers and Canon CR3. A buffer is
anything sliceable with a length (bytes, mmap, memoryview, `extract.source.Source`); box
headers are read 16 bytes at a time, payloads only when a caller asks.

Sizes are checked against the parent; counts of boxes, items and extents are capped, so a
crafted file can neither loop nor make a walk allocate more than the file holds.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from geoleak.errors import FormatError

__all__ = [
    "C2PA_UUID",
    "CANON_CR3_UUID",
    "CONTAINER_BOXES",
    "JP2_EXIF_UUID",
    "JP2_IPTC_UUID",
    "JP2_SIGNATURE",
    "MAX_SAMPLES",
    "TIMED_METADATA_ENTRIES",
    "XMP_UUID",
    "Box",
    "IlstValue",
    "Item",
    "brand_format",
    "brob_content",
    "c2pa_store_start",
    "children",
    "cr3_blocks",
    "exif_item_tiff_offset",
    "file_format",
    "iter_boxes",
    "iter_ilst",
    "loci_position",
    "meta_children_start",
    "meta_values",
    "metadata_items",
    "parse_iinf",
    "parse_iloc",
    "parse_keys",
    "qt_string",
    "sample_entries",
    "sample_ranges",
]

MAX_BOXES = 10_000
MAX_ITEMS = 4096
MAX_EXTENTS = 64

XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
CANON_CR3_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
# JPEG 2000 (ISO/IEC 15444-1 annex I, and the UUIDs exiftool and Exiv2 write): EXIF as a
# TIFF block, IPTC-IIM records, in `uuid` boxes; XMP in the XMP_UUID box as in MP4.
JP2_EXIF_UUID = b"JpgTiffExif->JP2"
JP2_IPTC_UUID = bytes.fromhex("33c7a4d2b81d4723a0baf1a3e097ad38")
JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
# C2PA content credentials in HEIF, AVIF, MP4 and MOV (C2PA specification, "embedding
# manifests into BMFF"): a full box, a purpose string, an offset when it is "manifest",
# then the JUMBF manifest store.
C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")

# boxes that hold only other boxes (walked into by a full walk)
CONTAINER_BOXES = frozenset({
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf", b"iprp",
    b"moof", b"traf", b"mvex", b"tref", b"clip", b"matt", b"sinf",
})  # fmt: skip

# sample-entry types of timed metadata tracks that carry positions
TIMED_METADATA_ENTRIES = {
    b"gpmd": "GoPro GPMF telemetry",
    b"camm": "camera motion metadata (camm)",
    b"mebx": "QuickTime timed metadata (mebx)",
}

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm",
                          b"hevs", b"mif1", b"msf1", b"mif2", b"MiHE", b"MiHB", b"MiPr",
                          b"miaf"})  # fmt: skip
_AVIF_BRANDS = frozenset({b"avif", b"avis"})


class Box(NamedTuple):
    """One box: `start` of its header, `payload` after the header, `end` after the box.

    `truncated`: the box claims more bytes than its parent (or the file) holds; `end` is
    clipped to what is there.
    """

    type: bytes
    start: int
    payload: int
    end: int
    truncated: bool = False

    @property
    def name(self) -> str:
        return self.type.decode("latin-1").replace("\x00", "?")


def _fail(issues: list[str] | None, message: str) -> None:
    if issues is None:
        raise FormatError(message)
    issues.append(message)


def iter_boxes(
    buf: Any, start: int, end: int, issues: list[str] | None = None, *, limit: int = MAX_BOXES
) -> Iterator[Box]:
    """The boxes in [start, end) of `buf`, in order.

    A box whose size is impossible stops the walk (FormatError, or a sentence appended to
    `issues`). A box running past `end` is yielded clipped, with `truncated` set, and ends
    the walk (the sentence is added to `issues` only; a truncated tail is not an error).
    """
    end = min(end, len(buf))
    pos = start
    count = 0
    while pos + 8 <= end and count < limit:
        header = bytes(buf[pos : pos + 16])
        size, btype = struct.unpack_from(">I4s", header)
        head = 8
        if size == 1:
            if len(header) < 16 or pos + 16 > end:
                _fail(issues, f"box '{_name(btype)}' at byte {pos} is truncated")
                return
            size = struct.unpack_from(">Q", header, 8)[0]
            head = 16
        elif size == 0:  # "to the end of the parent"
            size = end - pos
        if size < head:
            _fail(issues, f"box '{_name(btype)}' at byte {pos} has size {size}")
            return
        count += 1
        if pos + size > end:
            if issues is not None:
                issues.append(f"truncated inside the '{_name(btype)}' box")
            yield Box(btype, pos, pos + head, end, True)
            return
        yield Box(btype, pos, pos + head, pos + size)
        pos += size


def children(buf: Any, box: Box, skip: int = 0, issues: list[str] | None = None) -> list[Box]:
    """The child boxes of `box` (after `skip` payload bytes: 4 for a full box)."""
    return list(iter_boxes(buf, box.payload + skip, box.end, issues))


def child(buf: Any, box: Box, btype: bytes, skip: int = 0) -> Box | None:
    """The first child of `box` of type `btype`, ignoring malformed children."""
    for found in iter_boxes(buf, box.payload + skip, box.end, []):
        if found.type == btype and not found.truncated:
            return found
    return None


def _name(btype: bytes) -> str:
    return btype.decode("latin-1").replace("\x00", "?")


# -- file type -------------------------------------------------------------------------------
def brand_format(major: bytes, compatible: Sequence[bytes]) -> str:
    """Our format name from the ftyp major and compatible brands."""
    brands = [major, *compatible]
    if major in _AVIF_BRANDS:
        return "avif"
    if major == b"jxl ":
        return "jxl"
    if major == b"crx ":
        return "cr3"
    if major in _HEIF_BRANDS:
        return "avif" if b"avif" in compatible and b"heic" not in compatible else "heic"
    if major == b"qt  ":
        return "mov"
    if major[:3] in (b"3gp", b"3g2", b"3ge", b"3gg"):
        return "3gp"
    if any(b in _AVIF_BRANDS for b in brands):
        return "avif"
    if any(b in _HEIF_BRANDS for b in brands) and not any(b[:2] == b"mp" for b in brands):
        return "heic"
    return "mp4"


# A JPEG XL `brob` box (ISO/IEC 18181-2, 9.1): the type of the box it stands for, then
# that box's content as one Brotli stream (RFC 7932). cjxl compresses a JPEG's Exif and
# XMP into brob boxes when it transcodes the JPEG losslessly (libjxl 0.7's default), so
# a geotagged JPEG turned into JPEG XL keeps its GPS inside one.
BROB_LIMIT = 16 * 1024 * 1024  # bytes a brob box's content may decompress to
_BROB_STEP = 4096  # compressed bytes fed to the decoder at a time


def brob_content(payload: bytes, limit: int = BROB_LIMIT) -> tuple[bytes, bytes]:
    """The inner box type and the decompressed content of a `brob` box's payload.

    Decompression stops at `limit` bytes, so a crafted box cannot make a reader allocate
    more. Raises FormatError when the payload is not a whole Brotli stream, or its content
    is larger than `limit`."""
    import brotli  # the decoder is needed only for JPEG XL's compressed metadata

    if len(payload) < 4:
        raise FormatError("brob box shorter than its inner type")
    inner, stream = bytes(payload[:4]), memoryview(payload)[4:]
    decoder = brotli.Decompressor()
    parts: list[bytes] = []
    size = 0
    try:
        for at in range(0, max(len(stream), 1), _BROB_STEP):
            chunk = bytes(stream[at : at + _BROB_STEP])
            while True:
                part = decoder.process(chunk, output_buffer_limit=limit - size + 1)
                chunk = b""
                parts.append(part)
                size += len(part)
                if size > limit:
                    raise FormatError(f"brob {_name(inner)} content larger than {limit} bytes")
                if decoder.can_accept_more_data():
                    break
        finished = decoder.is_finished()
    except brotli.error as exc:
        raise FormatError(f"brob {_name(inner)} content is not a valid Brotli stream") from exc
    if not finished:
        raise FormatError(f"brob {_name(inner)} content is truncated")
    return inner, b"".join(parts)


def c2pa_store_start(buf: Any, start: int, end: int) -> int | None:
    """Where the JUMBF store of a C2PA `uuid` box lies (`start`: after its UUID), or None
    for a box holding none (a "merkle" box, or one cut short)."""
    nul = bytes(buf[start + 4 : min(end, start + 4 + 64)]).find(b"\x00")
    if nul < 0:
        return None
    purpose = bytes(buf[start + 4 : start + 4 + nul])
    store = start + 4 + nul + 1 + (8 if purpose == b"manifest" else 0)
    return store if purpose == b"manifest" and store + 8 <= end else None


def file_format(buf: Any, boxes: Sequence[Box]) -> str:
    """The format of a box-structured file from its top-level boxes ('mov' without ftyp)."""
    if boxes and boxes[0].type == b"JXL ":
        return "jxl"
    if boxes and boxes[0].type == b"jP  ":
        return "jp2"
    for box in boxes:
        if box.type == b"ftyp":
            body = bytes(buf[box.payload : min(box.end, box.payload + 256)])
            if len(body) >= 4:
                compatible = [body[i : i + 4] for i in range(8, len(body) - 3, 4)]
                return brand_format(body[:4], compatible)
            break
    return "mov"


# -- HEIF items --------------------------------------------------------------------------------
def meta_children_start(buf: Any, box: Box) -> int:
    """Where a `meta` box's children start: ISO's is a full box (4 bytes of version and
    flags), QuickTime's a plain container whose first child is `hdlr`."""
    if bytes(buf[box.payload + 4 : box.payload + 8]) == b"hdlr":
        return box.payload
    return box.payload + 4


class Item(NamedTuple):
    type: bytes
    content_type: bytes = b""

    @property
    def is_exif(self) -> bool:
        return self.type == b"Exif"

    @property
    def is_xmp(self) -> bool:
        return self.type == b"mime" and b"rdf+xml" in self.content_type


_INFE_V2 = struct.Struct(">I4sB3xHH4s")  # size, 'infe', version, flags, u16 id, prot., type
_INFE_V3 = struct.Struct(">I4sB3xIH4s")  # the same with a u32 item id


_BOX_HEADER = struct.Struct(">I4s")


def parse_iinf(buf: Any, box: Box, types: Collection[bytes] | None = None) -> dict[int, Item]:
    """Item id -> (item type, content type) from an `iinf` box (infe versions 2 and 3).

    `types`: keep only items of these types (a reader wants Exif and mime, not the dozens
    of image tiles of a HEIC photo); the walk over the entries is the same. A run of
    entries of one size and version (image tiles) is unpacked at once.
    """
    data = bytes(buf[box.payload : box.end])
    end = len(data)
    if end < 6:
        return {}
    version = data[0]
    pos = 4 + (2 if version == 0 else 4)
    out: dict[int, Item] = {}
    seen: set[int] = set()  # the first entry of an id is the one that counts, of any type
    header = _BOX_HEADER.unpack_from
    left = MAX_ITEMS
    while left > 0:
        if pos + 8 > end:
            break
        size, kind = header(data, pos)
        if size < 8 or pos + size > end:
            break
        if kind == b"infe" and size >= 20:
            ver = data[pos + 8]
            head = data[pos : pos + 9]
            if ver == 2 and size >= 21 and data[pos + size : pos + size + 9] == head:
                # image tiles: a run of entries of one size and version, unpacked at once
                run = data[pos : pos + min((end - pos) // size, left) * size]
                if types is not None and data[pos + _LONG * size : pos + _LONG * size + 9] == head:
                    # a long run: only the entries of the types wanted are unpacked
                    count = _run_length(run, size, 0, head)
                    ids = _column(run[: count * size], size, 12, 2)
                    for index, itype in _records_of(run, size, 16, _four(types), count):
                        item_id = ids[index]
                        if item_id not in seen and ids.index(item_id) == index:
                            out[item_id] = _item(data, pos + index * size, size, 20, itype)
                    seen.update(ids)
                    pos += count * size
                    left -= count
                    continue
                rows = _struct(f">9s3xH2x4s{size - 20}x").iter_unpack(run)
                for head_i, item_id, itype in rows:
                    if head_i != head:
                        break
                    if item_id not in seen:
                        seen.add(item_id)
                        if types is None or itype in types:
                            out[item_id] = _item(data, pos, size, 20, itype)
                    pos += size
                    left -= 1
                continue
            layout = _INFE_V2 if ver == 2 else _INFE_V3 if ver >= 3 else None
            if layout is not None and size >= layout.size:
                item_id, itype = layout.unpack_from(data, pos)[3::2]
                if item_id not in seen:
                    seen.add(item_id)
                    if types is None or itype in types:
                        out[item_id] = _item(data, pos, size, layout.size, itype)
        pos += size
        left -= 1
    return out


_LONG = 8  # records in a run from which it is read by columns (below: a tuple per record)


# Runs of equal-sized records (the image tiles of a HEIC photo: dozens of `infe` entries
# and `iloc` items): read by columns of bytes, not a tuple per record (a HEIC reader wants
# one or two of them).
def _run_length(run: bytes, size: int, at: int, same: bytes) -> int:
    """How many records of `size` bytes at the start of `run` hold `same` at offset `at`."""
    found = _run_pattern(size, at, same).match(run)  # (a starred group always matches)
    return found.end() // size if found is not None else 0


@functools.lru_cache(maxsize=64)
def _run_pattern(size: int, at: int, same: bytes) -> re.Pattern[bytes]:
    rest = size - at - len(same)
    return re.compile(b"(?:.{%d}%s.{%d})*" % (at, re.escape(same), rest), re.DOTALL)


def _column(run: bytes, size: int, at: int, width: int) -> tuple[int, ...]:
    """The big-endian unsigned field of `width` bytes at offset `at` of each record."""
    count = len(run) // size
    packed = bytearray(count * width)
    for k in range(width):
        packed[k::width] = run[at + k :: size][:count]
    return struct.unpack(f">{count}{'H' if width == 2 else 'I'}", packed)


def _records_of(
    run: bytes, size: int, at: int, values: Iterable[bytes], count: int
) -> list[tuple[int, bytes]]:
    """(index, value) of the first `count` records of `size` bytes in `run` whose bytes
    at offset `at` are one of `values`, in record order."""
    found = []
    for value in set(values):
        where = run.find(value, at)
        while 0 <= where < count * size:
            if (where - at) % size == 0:
                found.append(((where - at) // size, value))
            where = run.find(value, where + 1)
    return sorted(found)


def _positions(values: tuple[int, ...], wanted: Iterable[int]) -> list[int]:
    """The index of the first of `values` equal to each of `wanted` present, in order."""
    return sorted(values.index(v) for v in set(wanted) if v in values)


def _four(values: Iterable[bytes]) -> list[bytes]:
    return [v for v in values if len(v) == 4]  # (a 4-byte field equals no other length)


def _item(data: bytes, pos: int, size: int, head: int, itype: bytes) -> Item:
    """An entry's item; a `mime` item's content type follows its name."""
    content = b""
    if itype == b"mime":
        parts = data[pos + head : pos + size].split(b"\x00", 2)
        content = parts[1] if len(parts) > 1 else b""
    return Item(itype, content)


_SIZE_CODE = {0: "", 4: "I", 8: "Q"}
_struct = functools.lru_cache(maxsize=64)(struct.Struct)


def parse_iloc(
    buf: Any, box: Box, issues: list[str] | None = None, *, wanted: Collection[int] | None = None
) -> dict[int, tuple[int, list[tuple[int, int]]]]:
    """{item id: (construction method, [(offset, length)])} from an `iloc` box.

    Offsets include the base offset; for method 1 they are relative to `idat`'s payload.
    A malformed or truncated box gives what was read before it (and a sentence in
    `issues`, or FormatError without it). `wanted`: only these items' extents are decoded
    (a HEIC photo has dozens of image tiles and one Exif item).
    """
    data = bytes(buf[box.payload : box.end])
    out: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    if len(data) < 8:
        _fail(issues, "HEIF 'iloc' box is truncated")
        return out
    version = data[0]
    offset_size, length_size = data[4] >> 4, data[4] & 15
    base_size, index_size = data[5] >> 4, data[5] & 15
    if version not in (1, 2):
        index_size = 0
    sizes = (offset_size, length_size, base_size, index_size)
    if any(n not in _SIZE_CODE for n in sizes) or version > 2:
        _fail(issues, "HEIF 'iloc' box has unsupported field sizes")
        return out
    off_c, len_c, base_c, idx_c = (_SIZE_CODE[n] for n in sizes)
    id_c = "H" if version < 2 else "I"
    item_fmt = _struct(">" + id_c + ("H" if version in (1, 2) else "") + "H" + base_c + "H")
    extent_fmt = _struct(">" + idx_c + off_c + len_c)
    if version < 2:
        count = struct.unpack_from(">H", data, 6)[0]
        pos = 8
    else:
        if len(data) < 10:
            _fail(issues, "HEIF 'iloc' box is truncated")
            return out
        count = struct.unpack_from(">I", data, 6)[0]
        pos = 10
    has_method = version in (1, 2)
    off_at = 1 if idx_c else 0
    len_at = off_at + (1 if off_c else 0)
    # items with one extent each (image tiles) are records of one size: read a run at once
    single = _struct(item_fmt.format + extent_fmt.format[1:])
    one = b"\x00\x01"
    left = min(count, MAX_ITEMS)
    end = len(data)
    n_item = len(item_fmt.format) - 1  # (one letter a field)
    while left > 0:
        if pos + item_fmt.size > end:
            _fail(issues, "HEIF 'iloc' box is truncated")
            break
        at = pos + item_fmt.size - 2  # extent count of this item and of the next
        if data[at : at + 2] == one and data[at + single.size : at + single.size + 2] == one:
            # image tiles: a run of items with one extent each, unpacked at once
            run = data[pos : pos + min((end - pos) // single.size, left) * single.size]
            if (
                wanted is not None
                and data[at + _LONG * single.size : at + _LONG * single.size + 2] == one
            ):
                # a long run: only the wanted items' records are unpacked
                count = _run_length(run, single.size, item_fmt.size - 2, one)
                ids = _column(run[: count * single.size], single.size, 0, 2 if version < 2 else 4)
                picked = [single.unpack_from(run, i * single.size) for i in _positions(ids, wanted)]
            else:
                count = 0
                picked = []
                for fields in single.iter_unpack(run):
                    if fields[n_item - 1] != 1:
                        break
                    count += 1
                    if wanted is None or fields[0] in wanted:
                        picked.append(fields)
            for fields in picked:
                base_offset = fields[n_item - 2] if base_c else 0
                extent = fields[n_item:]
                offset = extent[off_at] if off_c else 0
                length = extent[len_at] if len_c else 0
                method = fields[1] & 15 if has_method else 0
                out.setdefault(fields[0], (method, [(base_offset + offset, length)]))
            pos += count * single.size
            left -= count
            continue
        fields = item_fmt.unpack_from(data, pos)
        pos += item_fmt.size
        left -= 1
        method = fields[1] & 15 if has_method else 0
        base_offset = fields[-2] if base_c else 0
        extent_count = fields[-1]
        span = extent_fmt.size * extent_count
        if extent_count > MAX_EXTENTS or pos + span > end:
            _fail(issues, "HEIF 'iloc' box is malformed or truncated")
            break
        if wanted is not None and fields[0] not in wanted:
            pos += span
            continue
        extents = []
        for extent in extent_fmt.iter_unpack(data[pos : pos + span]) if span else ():
            offset = extent[off_at] if off_c else 0
            length = extent[len_at] if len_c else 0
            extents.append((base_offset + offset, length))
        out.setdefault(fields[0], (method, extents))
        pos += span
    return out


# Canon CR3 metadata boxes (in the `uuid` box CANON_CR3_UUID in `moov`): each a TIFF block
# whose first IFD is the one named (CMT3: Canon maker notes)
CR3_BLOCKS = {b"CMT1": "IFD0", b"CMT2": "ExifIFD", b"CMT3": "MakerNote", b"CMT4": "GPS"}


def cr3_blocks(buf: Any, box: Box, issues: list[str] | None = None) -> list[tuple[str, Box]] | None:
    """The metadata blocks of a Canon CR3 `uuid` box, each with what its first IFD is;
    None for another `uuid` box. A malformed box ends the list (FormatError, or a sentence
    in `issues`); a truncated one is listed clipped (`truncated` set)."""
    if bytes(buf[box.payload : box.payload + 16]) != CANON_CR3_UUID:
        return None
    return [(CR3_BLOCKS[c.type], c) for c in iter_boxes(buf, box.payload + 16, box.end, issues)
            if c.type in CR3_BLOCKS]  # fmt: skip


METADATA_ITEM_TYPES = frozenset({b"Exif", b"mime"})  # the item types that hold EXIF and XMP


class MetaItem(NamedTuple):
    """An Exif or XMP item of a HEIF `meta` box and where its bytes lie in the file:
    `extents` (offset, length) from the start of the file, as written (a truncated file
    may end inside them), or empty when `problem` says why they cannot be found."""

    id: int
    item: Item
    extents: list[tuple[int, int]]
    problem: str | None


def metadata_items(
    buf: Any, children: Iterable[Box], *, base: int, file_size: int,
    issues: list[str] | None = None,
) -> list[MetaItem]:  # fmt: skip
    """The Exif and XMP items of a HEIF `meta` box, from its children (`iinf`, `iloc`,
    `idat`), in `iinf` order: the one item resolution of readers and scrubbers.

    `buf` holds the boxes `base` bytes into the file (a reader reads the `meta` box alone,
    a scrubber maps the whole file). An extent length of 0 means "to the end of the file"
    (or of `idat`, for construction method 1: ISO/IEC 14496-12, 8.11.3). `issues` as for
    `parse_iloc`.
    """
    iinf = iloc = idat = None
    for box in children:
        if box.type == b"iinf" and iinf is None:
            iinf = box
        elif box.type == b"iloc" and iloc is None:
            iloc = box
        elif box.type == b"idat" and idat is None:
            idat = box
    if iinf is None:
        return []
    items = {i: item for i, item in parse_iinf(buf, iinf, METADATA_ITEM_TYPES).items()
             if item.is_exif or item.is_xmp}  # fmt: skip
    if not items:
        return []
    locations = {} if iloc is None else parse_iloc(buf, iloc, issues, wanted=items.keys())
    out = []
    for item_id, item in items.items():
        if item_id not in locations:
            out.append(MetaItem(item_id, item, [], "has no location"))
            continue
        method, extents = locations[item_id]
        if method == 0:
            start, size = 0, file_size
        elif method == 1 and idat is not None:
            start, size = base + idat.payload, idat.end - idat.payload
        else:
            problem = f"is stored by reference (construction method {method})"
            out.append(MetaItem(item_id, item, [], problem))
            continue
        if method == 1 and any(off + n > size for off, n in extents):
            out.append(MetaItem(item_id, item, [], "lies outside its 'idat' box"))
            continue
        placed = [(start + off, n or max(0, size - off)) for off, n in extents]
        out.append(MetaItem(item_id, item, placed, None))
    return out


def exif_item_tiff_offset(payload: Any) -> int | None:
    """Where the TIFF header starts in a HEIF Exif item / JPEG XL Exif box.

    The item starts with a 4-byte offset to the header; some writers miscount it or keep
    an 'Exif\\0\\0' prefix, so the header is looked for when the offset misses it.
    """
    if len(payload) < 8:
        return None
    start = 4 + int.from_bytes(payload[:4], "big")
    if payload[start : start + 2] in (b"II", b"MM"):
        return start
    found = [i for i in (payload.find(b"II*\x00"), payload.find(b"MM\x00*")) if i >= 0]
    return min(found) if found else None


# -- QuickTime / MP4 metadata ------------------------------------------------------------------
def qt_string(buf: Any, box: Box) -> str | None:
    """A QuickTime international text atom (©xyz, ©mak...): u16 length, u16 language, text."""
    p = box.payload
    if p + 4 > box.end:
        return None
    head = bytes(buf[p : p + 4])
    length = struct.unpack_from(">H", head)[0]
    raw = bytes(buf[p + 4 : min(p + 4 + length, box.end)])
    if raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16", "replace")
    return raw.decode("utf-8", "replace").strip("\x00 ")


def loci_position(buf: Any, box: Box) -> tuple[float, float, float]:
    """(lat, lon, alt) of a 3GPP `loci` box: full box, language, name (NUL-terminated,
    UTF-8 or UTF-16), role, then longitude, latitude, altitude in 16.16 fixed point.

    16.16 resolves 1.5e-5 degrees, so values are rounded to 5 decimals (as exiftool).
    Raises ValueError when the box is malformed.
    """
    data = bytes(buf[box.payload : box.end])
    p = 4 + 2
    if data[p : p + 2] in (b"\xfe\xff", b"\xff\xfe"):
        end = p
        while end + 1 < len(data) and data[end : end + 2] != b"\x00\x00":
            end += 2
        p = end + 2
    else:
        end = data.find(b"\x00", p)
        if end < 0:
            raise ValueError("3GPP 'loci' box has no name terminator")
        p = end + 1
    p += 1  # role
    if p + 12 > len(data):
        raise ValueError("3GPP 'loci' box is truncated")
    lon, lat, alt = (round(v / 65536.0, 5) for v in struct.unpack_from(">iii", data, p))
    return lat, lon, alt


def parse_keys(buf: Any, box: Box) -> list[str]:
    """The key names of a QuickTime `keys` box, in order (ilst items index them from 1)."""
    data = bytes(buf[box.payload : box.end])
    if len(data) < 8:
        return []
    count = min(struct.unpack_from(">I", data, 4)[0], MAX_ITEMS)
    p = 8
    keys: list[str] = []
    for _ in range(count):
        if p + 8 > len(data):
            break
        size = struct.unpack_from(">I", data, p)[0]
        if size < 8 or p + size > len(data):
            break
        keys.append(data[p + 8 : p + size].decode("utf-8", "replace"))
        p += size
    return keys


class IlstValue(NamedTuple):
    """One `ilst` item: its name (a key, or the atom type such as '©day'), the item box,
    the well-known type of its first `data` box and where that value lies; `keyed`: the
    name is a QuickTime key (else the item's atom type)."""

    name: str
    item: Box
    kind: int
    value_start: int
    value_end: int
    keyed: bool = False


def iter_ilst(buf: Any, ilst: Box, keys: Sequence[str]) -> Iterator[IlstValue]:
    """The items of an `ilst` box, named by `keys` (QuickTime) or by their atom type (MP4)."""
    for item in iter_boxes(buf, ilst.payload, ilst.end, []):
        index = struct.unpack(">I", item.type)[0]
        keyed = bool(keys) and 1 <= index <= len(keys)
        name = keys[index - 1] if keyed else _name(item.type)
        for dbox in iter_boxes(buf, item.payload, item.end, []):
            if dbox.type == b"data" and dbox.payload + 8 <= dbox.end:
                kind = struct.unpack(">I", bytes(buf[dbox.payload : dbox.payload + 4]))[0]
                yield IlstValue(name, item, kind & 0xFFFFFF, dbox.payload + 8, dbox.end, keyed)
                break
        else:
            yield IlstValue(name, item, -1, item.end, item.end, keyed)


def meta_values(buf: Any, children: Iterable[Box]) -> Iterator[IlstValue]:
    """The values of a `meta` box (from its children): its `ilst` items, named by its
    `keys` box (QuickTime) or by their atom types (MP4, iTunes-style `©xyz`...)."""
    keys: Box | None = None
    ilst: Box | None = None
    for box in children:
        if box.type == b"keys" and keys is None:
            keys = box
        elif box.type == b"ilst" and ilst is None:
            ilst = box
    if ilst is not None:
        yield from iter_ilst(buf, ilst, parse_keys(buf, keys) if keys is not None else [])


def sample_entries(buf: Any, stbl: Box) -> list[Box]:
    """The sample entries of a track's `stsd` (their type says what the track holds)."""
    stsd = child(buf, stbl, b"stsd")
    if stsd is None:
        return []
    return list(iter_boxes(buf, stsd.payload + 8, stsd.end, []))


MAX_SAMPLES = 100_000


def sample_ranges(buf: Any, stbl: Box, limit: int = MAX_SAMPLES) -> list[tuple[int, int]]:
    """(file offset, size) of a track's samples from `stsz`, `stsc` and `stco`/`co64`.

    At most `limit` samples; a malformed or clipped table ends the list where it breaks.
    """
    stsz = child(buf, stbl, b"stsz")
    stsc = child(buf, stbl, b"stsc")
    stco = child(buf, stbl, b"stco")
    co64 = child(buf, stbl, b"co64")
    if stsz is None or (stco is None and co64 is None):
        return []
    raw = bytes(buf[stsz.payload : stsz.end])
    if len(raw) < 12:
        return []
    uniform, count = struct.unpack_from(">II", raw, 4)
    count = min(count, limit)
    if uniform:
        sizes = [uniform] * count
    else:
        count = min(count, (len(raw) - 12) // 4)
        sizes = list(struct.unpack_from(f">{count}I", raw, 12))
    table, width = (stco, 4) if stco is not None else (co64, 8)
    if table is None:
        return []
    craw = bytes(buf[table.payload : table.end])
    if len(craw) < 8:
        return []
    chunks = min(struct.unpack_from(">I", craw, 4)[0], (len(craw) - 8) // width, limit)
    offsets = struct.unpack_from(f">{chunks}{'Q' if width == 8 else 'I'}", craw, 8)
    # (first chunk, samples per chunk, description index) runs, first chunk 1-based; a
    # table without stsc (not valid, but written by some tools) gets one sample per chunk
    stsc_runs: list[tuple[int, int, int]] = [(1, 1, 1)]
    if stsc is not None:
        sraw = bytes(buf[stsc.payload : stsc.end])
        if len(sraw) < 8:
            return []
        runs = min(struct.unpack_from(">I", sraw, 4)[0], (len(sraw) - 8) // 12, limit)
        stsc_runs = [struct.unpack_from(">III", sraw, 8 + 12 * i) for i in range(runs)]
    ranges: list[tuple[int, int]] = []
    sample = 0
    for run, (first, per_chunk, _) in enumerate(stsc_runs):
        last = stsc_runs[run + 1][0] - 1 if run + 1 < len(stsc_runs) else chunks
        for chunk in range(max(first, 1), min(last, chunks) + 1):
            offset = offsets[chunk - 1]
            for _ in range(per_chunk):
                if sample >= len(sizes):
                    return ranges
                ranges.append((offset, sizes[sample]))
                offset += sizes[sample]
                sample += 1
    return ranges
