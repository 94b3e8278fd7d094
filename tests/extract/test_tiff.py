"""The EXIF reader's one-pass path for blocks in memory (`tiff._read_block`) against the
shared walk (`walk_ifds` + `TiffBlock.decode`, `tiff._walk_block`): the same tags, the
same maker-note location and the same warnings in the same order, on generated TIFF
blocks (pointer loops, duplicates, unknown types, huge counts, values outside) and on
real EXIF blocks with bytes flipped and words overwritten."""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoleak.extract import tiff as T

_TAGS = [T.MAKE, T.MODEL, T.SOFTWARE, T.DATETIME, T.EXIF_POINTER, T.GPS_POINTER, T.XMP_TAG,
         T.DNG_CAMERA_SERIAL, T.DATETIME_ORIGINAL, T.OFFSET_TIME_ORIGINAL, T.SUBSEC_ORIGINAL,
         T.BODY_SERIAL, T.LENS_MODEL, T.MAKER_NOTE, T.GPS_LAT_REF, T.GPS_LAT, T.GPS_LON,
         T.GPS_ALT, T.GPS_TIMESTAMP, 0, 31, 32, 0x0100, 0xFFFF]  # fmt: skip


def _comparable(value: Any) -> Any:
    """`value` with every float NaN replaced by one marker: a rational 0/0 reads as NaN on
    both paths, and NaN never equals itself, so `==` would call equal readings different."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_comparable(v) for v in value)
    return value


def _both(block: bytes) -> tuple[Any, Any]:
    """(fast, general) readings of `block`: tags by IFD, maker note, warnings (NaN values
    compared as equal, see `_comparable`)."""
    out = []
    for read in (T._read_block, T._walk_block):
        try:
            tiff = T.TiffBlock(block)
        except T.TiffError as exc:
            out.append(str(exc))
            continue
        found = read(tiff, block, "EXIF")
        out.append(_comparable((found, tiff.maker_note, tiff.warnings)))
    return out[0], out[1]


@st.composite
def _tiff_blocks(draw: st.DrawFn) -> bytes:
    order = draw(st.sampled_from(["<", ">"]))
    size = draw(st.integers(8, 3000))
    block = bytearray(draw(st.binary(max_size=64)).ljust(size, b"\x00"))
    offsets = draw(st.lists(st.integers(0, size + 50), min_size=1, max_size=5))
    magic = draw(st.sampled_from([42, 42, 43, 0x4F52]))
    block[:8] = (b"II" if order == "<" else b"MM") + struct.pack(order + "HI", magic, offsets[0])
    for at in offsets:
        entries = draw(st.lists(
            st.tuples(st.sampled_from(_TAGS), st.integers(0, 19),
                      st.sampled_from([0, 1, 2, 3, 4, 5, 20, 300, 5000, 2**32 - 1]),
                      st.integers(0, 2**32 - 1)),
            max_size=14))  # fmt: skip
        pointer = draw(st.booleans())
        claimed = draw(st.sampled_from([len(entries)] * 4 + [len(entries) + 3, 1001, 65535]))
        table = struct.pack(order + "H", claimed) + b"".join(
            struct.pack(order + "HHII", tag, 4, 1, draw(st.sampled_from(offsets)))
            if pointer and tag in (T.EXIF_POINTER, T.GPS_POINTER)
            else struct.pack(order + "HHII", tag, typ, count, value % (size + 64))
            if draw(st.booleans()) else struct.pack(order + "HHII", tag, typ, count, value)
            for tag, typ, count, value in entries
        )  # fmt: skip
        block[at : at + len(table)] = table
    return bytes(block[:size])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tiff_blocks())
def test_the_one_pass_reader_reads_as_the_walk(block: bytes) -> None:
    fast, general = _both(block)
    assert fast == general


def _exif_blocks(folder: Path) -> list[bytes]:
    found = []
    for path in sorted(folder.iterdir()):
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024)
        for mark in (b"II*\x00", b"MM\x00*"):
            at = head.find(mark)
            if at >= 0:
                found.append(head[at : at + 8192])
    return found


def test_real_blocks_mutated_read_as_the_walk(shared_media: Path) -> None:
    blocks = _exif_blocks(shared_media)
    assert len(blocks) >= 10
    for block in blocks:
        fast, general = _both(block)
        assert fast == general

    @settings(max_examples=400, deadline=None)
    @given(st.sampled_from(blocks), st.lists(
        st.tuples(st.integers(0, 8191), st.sampled_from(["flip", "word", "cut"]),
                  st.integers(0, 2**32 - 1)), min_size=1, max_size=6))  # fmt: skip
    def check(block: bytes, steps: list[tuple[int, str, int]]) -> None:
        buf = bytearray(block)
        for where, kind, value in steps:
            pos = where % min(len(buf), 600) if where % 3 else where % len(buf)
            if kind == "flip":
                buf[pos] ^= 1 << (value % 8)
            elif kind == "word":
                buf[pos : pos + 4] = value.to_bytes(4, "little")[: len(buf) - pos]
            else:
                del buf[max(9, pos) :]
        fast, general = _both(bytes(buf))
        assert fast == general

    check()
