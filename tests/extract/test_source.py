"""`Span`: a block of a file read as a parser asks for it, against the same block read
whole; the TIFF reader must see no difference (same tags, same warnings)."""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media_data import require

from geoleak.extract import tiff as T
from geoleak.extract.source import Source, Span
from geoleak.formats.isobmff import (
    Box,
    exif_item_tiff_offset,
    iter_boxes,
    meta_children_start,
    metadata_items,
)


@contextmanager
def _opened(data: bytes, lead: bytes = b"") -> Iterator[Source]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "block.bin")
        with open(path, "wb") as handle:
            handle.write(lead + data)
        fd = os.open(path, os.O_RDONLY)
        try:
            yield Source(fd, len(lead) + len(data))
        finally:
            os.close(fd)


def _tags(block: Any) -> tuple[Any, ...] | str:
    try:
        return T.read_tiff_tags(block, "EXIF")
    except T.TiffError as exc:
        return f"TiffError: {exc}"


_TAGS = [T.MAKE, T.MODEL, T.SOFTWARE, T.DATETIME, T.EXIF_POINTER, T.GPS_POINTER, T.XMP_TAG,
         T.DATETIME_ORIGINAL, T.OFFSET_TIME_ORIGINAL, T.BODY_SERIAL, T.MAKER_NOTE,
         T.GPS_LAT_REF, T.GPS_LAT, T.GPS_LON, T.GPS_ALT, T.GPS_TIMESTAMP, 0x0100]  # fmt: skip


@st.composite
def _tiff_blocks(draw: st.DrawFn) -> bytes:
    """TIFF blocks whose IFDs and values lie anywhere in up to 40 KB (past a Span's first
    read), with pointers to further IFDs, wrong types, counts and offsets."""
    order = draw(st.sampled_from(["<", ">"]))
    size = draw(st.integers(8, 40_000))
    block = bytearray(draw(st.binary(min_size=0, max_size=64)).ljust(size, b"\x00"))
    offsets = draw(st.lists(st.integers(8, size + 100), min_size=1, max_size=4))
    block[:8] = (b"II" if order == "<" else b"MM") + struct.pack(order + "HI", 42, offsets[0])
    for at in offsets:
        entries = draw(st.lists(st.tuples(st.sampled_from(_TAGS), st.integers(0, 14),
                                          st.integers(0, 300), st.integers(0, size + 100)),
                                max_size=12))  # fmt: skip
        table = struct.pack(order + "H", len(entries)) + b"".join(
            struct.pack(order + "HHII", tag, typ, count, value)
            if tag not in (T.EXIF_POINTER, T.GPS_POINTER)
            else struct.pack(order + "HHII", tag, 4, 1, draw(st.sampled_from(offsets)))
            for tag, typ, count, value in entries
        )
        block[at : at + len(table)] = table
    return bytes(block[: max(8, size)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tiff_blocks(), st.sampled_from([8, 64, 1000, Span.FIRST]), st.integers(0, 3))
def test_a_span_reads_as_the_whole_block(block: bytes, first: int, lead: int) -> None:
    """Tags and warnings from a TIFF block read through a Span (first read `first` bytes,
    so IFDs and values past it are read on demand) equal those of the block in memory."""
    with _opened(block, b"\x00" * lead) as src, pytest.MonkeyPatch.context() as patch:
        patch.setattr(Span, "FIRST", first)
        span = Span(src, lead, len(block))
        assert len(span) == len(block)
        # By repr: a float tag may be NaN (never equal to itself), and repr keeps every bit
        # of the others.
        assert repr(_tags(span)) == repr(_tags(block))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.integers(-3100, 3100), st.integers(-3100, 3100),
       st.sampled_from([1, 16, 4096]))  # fmt: skip
def test_a_span_slices_as_bytes(data: bytes, start: int, stop: int, first: int) -> None:
    with _opened(data, b"ab") as src, pytest.MonkeyPatch.context() as patch:
        patch.setattr(Span, "FIRST", first)
        span = Span(src, 2, len(data))
        assert span[start:stop] == data[start:stop]
        assert span[start:] == data[start:]
        tail = span.after(max(0, start))
        assert tail[:stop] == data[max(0, start) :][:stop]
        assert span.find(b"\x00") == data.find(b"\x00")


def test_a_large_exif_item_is_read_without_its_thumbnail(shared_media: Path) -> None:
    """The Xiaomi sample's Exif item (192 KB, most of it the thumbnail): the IFDs are read
    from its first KiBs, with the tags of the whole item."""
    (path,) = require(shared_media, "pheif_xiaomi_m2012k11ag.heic")
    with open(path, "rb") as handle:
        data = handle.read()
    with _opened(data) as src:
        meta = next(b for b in iter_boxes(src, 0, src.size) if b.type == b"meta")
        body = src.read(meta.start, meta.end - meta.start)
        local = Box(meta.type, 0, meta.payload - meta.start, len(body))
        children = list(iter_boxes(body, meta_children_start(body, local), len(body)))
        (item,) = [i for i in metadata_items(body, children, base=meta.start,
                                             file_size=src.size) if i.item.is_exif]  # fmt: skip
        ((offset, length),) = item.extents
        assert length > 100_000
        span = Span(src, offset, length)
        start = exif_item_tiff_offset(span)
        assert start is not None
        whole = data[offset : offset + length][start:]
        found = T.read_tiff_tags(span.after(start), "HEIF Exif")
        assert found == T.read_tiff_tags(whole, "HEIF Exif")
        assert found[2][T.GPS_LAT]  # the GPS IFD was read
        assert span.bytes_read <= Span.FIRST < length // 8


def _blocks(folder: Path) -> list[tuple[str, bytes]]:
    """Real EXIF (TIFF) blocks and XMP packets from the first 64 KiB of each sample."""
    found: list[tuple[str, bytes]] = []
    for path in sorted(folder.iterdir()):
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024)
        at = head.find(b"Exif\x00\x00")
        if at >= 0:
            found.append(("exif", head[at + 6 :]))
        start, end = head.find(b"<x:xmpmeta"), head.find(b"</x:xmpmeta>")
        if 0 <= start < end:
            found.append(("xmp", head[start : end + 12]))
    return found


def _record(blocks: list[tuple[str, bytes]]) -> Any:
    from geoleak.extract.builder import MetaBuilder

    meta = MetaBuilder("heic")
    for kind, block in blocks:
        if kind == "exif":
            meta.add_exif(block, "HEIF Exif")
        else:
            meta.add_xmp(block)
    for packet in meta.pending_xmp:
        meta.add_xmp(packet)
    return meta.build("photo.heic")


def test_a_block_read_again_adds_nothing(shared_media: Path) -> None:
    """Why the HEIF reader skips an item whose bytes equal one it has read (the two XMP
    items of a Vision Pro photo): fed again, after any other blocks, an EXIF block or XMP
    packet changes nothing in the record (fields keep their first value; warnings are
    not repeated)."""
    blocks = _blocks(shared_media)
    assert len(blocks) >= 10

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.sampled_from(blocks), min_size=1, max_size=5), st.data())
    def check(chosen: list[tuple[str, bytes]], data: st.DataObject) -> None:
        again = data.draw(st.sampled_from(chosen))
        cut = data.draw(st.integers(chosen.index(again) + 1, len(chosen)))
        assert _record([*chosen[:cut], again, *chosen[cut:]]) == _record(chosen)

    check()
