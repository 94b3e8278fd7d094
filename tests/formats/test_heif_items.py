"""HEIF `iinf` and `iloc`: the parsers (which read runs of equal image-tile records at
once) against a plain reading of ISO/IEC 14496-12 8.11.3 and 8.11.6, on generated boxes."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.formats.isobmff import Box, Item, parse_iinf, parse_iloc

_TYPES = st.sampled_from([b"hvc1", b"hvc1", b"hvc1", b"grid", b"Exif", b"mime", b"av01"])


@st.composite
def _infe(draw: st.DrawFn) -> tuple[int, int, bytes, bytes]:
    version = draw(st.sampled_from([2, 2, 2, 3]))
    item_id = draw(st.integers(1, 40))
    itype = draw(_TYPES)
    # (a 20-byte name makes an entry as long as a `mime` one without a name: mixed runs)
    name = draw(st.sampled_from([b"", b"", b"Exif", b"tile", b"abcdefghijklmnopqrst"]))
    return version, item_id, itype, name


def _infe_box(version: int, item_id: int, itype: bytes, name: bytes) -> bytes:
    ident = struct.pack(">H" if version == 2 else ">I", item_id)
    body = bytes([version, 0, 0, 0]) + ident + b"\x00\x00" + itype + name + b"\x00"
    if itype == b"mime":
        body += b"application/rdf+xml\x00"
    return struct.pack(">I4s", 8 + len(body), b"infe") + body


def _reference_iinf(entries: list[tuple[int, int, bytes, bytes]]) -> dict[int, Item]:
    out: dict[int, Item] = {}
    seen: set[int] = set()
    for _version, item_id, itype, _name in entries:
        if item_id in seen:
            continue  # the first entry of an id counts
        seen.add(item_id)
        out[item_id] = Item(itype, b"application/rdf+xml" if itype == b"mime" else b"")
    return out


# long runs of tile records (read by columns once a run has 8 more records after its
# first), with Exif / mime entries and repeated ids inside them
_TILE_RUNS = st.lists(st.tuples(st.integers(0, 90), st.sampled_from([b"hvc1", b"Exif", b"mime"]),
                                st.integers(1, 300)), max_size=8)  # fmt: skip


def _with_runs(entries: list[Any], runs: list[tuple[int, bytes, int]], make: Any) -> list[Any]:
    out = list(entries)
    for where, odd, first in runs:
        tiles = [make(first + k) for k in range(12 + where % 40)]
        tiles[where % len(tiles)] = make(first + where % 7, odd)
        out[where % (len(out) + 1) : where % (len(out) + 1)] = tiles
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(_infe(), max_size=60), st.integers(0, 3), st.booleans(), _TILE_RUNS)
def test_iinf_as_the_spec_reads_it(
    entries: list[tuple[int, int, bytes, bytes]], repeat: int, cut: bool,
    runs: list[tuple[int, bytes, int]],
) -> None:  # fmt: skip
    entries = _with_runs(entries, runs, lambda i, t=b"hvc1": (2, i, t, b""))
    entries = entries + entries[:1] * repeat  # runs of equal records
    body = b"\x00\x00\x00\x00" + struct.pack(">H", len(entries))
    body += b"".join(_infe_box(*e) for e in entries)
    data = struct.pack(">I4s", 8 + len(body), b"iinf") + body
    kept = len(entries)
    if cut and entries:
        data = data[: len(data) - 3]  # the last entry no longer fits
        kept -= 1
    box = Box(b"iinf", 0, 8, len(data))
    expected = _reference_iinf(entries[:kept])
    assert list(parse_iinf(data, box).items()) == list(expected.items())  # (in iinf order)
    wanted = {i: item for i, item in expected.items() if item.type in (b"Exif", b"mime")}
    for types in (frozenset({b"Exif", b"mime"}), (b"mime", b"Exif"), (b"Exif",)):
        picked = parse_iinf(data, box, types)
        assert list(picked.items()) == [(i, v) for i, v in wanted.items() if v.type in types]


@st.composite
def _iloc_item(draw: st.DrawFn) -> tuple[int, int, int, list[tuple[int, int]]]:
    item_id = draw(st.integers(1, 40))
    method = draw(st.sampled_from([0, 0, 1]))
    base = draw(st.integers(0, 5000))
    n = draw(st.sampled_from([1, 1, 1, 0, 2]))
    extents = draw(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**5)),
                            min_size=n, max_size=n))  # fmt: skip
    return item_id, method, base, extents


@settings(max_examples=300, deadline=None)
@given(st.lists(_iloc_item(), max_size=60), st.integers(0, 3), st.booleans(), st.booleans(),
       _TILE_RUNS)  # fmt: skip
def test_iloc_as_the_spec_reads_it(
    items: list[tuple[int, int, int, list[tuple[int, int]]]], repeat: int, cut: bool,
    wanted_only: bool, runs: list[tuple[int, bytes, int]],
) -> None:  # fmt: skip
    items = _with_runs(
        items, runs, lambda i, t=b"": (i % 40, 0, i, [(i, 10 * i)] * (2 if t == b"Exif" else 1))
    )
    items = items + items[:1] * repeat
    # version 1: offset 4, length 4, base offset 4, no index; method in the low 4 bits
    body = b"\x01\x00\x00\x00" + bytes([0x44, 0x40]) + struct.pack(">H", len(items))
    for item_id, method, base, extents in items:
        body += struct.pack(">HHHIH", item_id, method, 0, base, len(extents))
        body += b"".join(struct.pack(">II", off, n) for off, n in extents)
    data = struct.pack(">I4s", 8 + len(body), b"iloc") + body
    kept = items
    if cut and items:
        data = data[: len(data) - 2]
        kept = items[:-1]
    expected: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    for item_id, method, base, extents in kept:
        expected.setdefault(item_id, (method, [(base + off, n) for off, n in extents]))
    wanted = {*range(1, 12), 17} if wanted_only else None
    if wanted is not None:
        expected = {k: v for k, v in expected.items() if k in wanted}
    issues: list[str] = []
    found = parse_iloc(data, Box(b"iloc", 0, 8, len(data)), issues, wanted=wanted)
    assert list(found.items()) == list(expected.items())  # (in iloc order)
    assert bool(issues) == (cut and bool(items))


def test_iinf_an_id_repeated_in_a_run_of_tiles_keeps_its_first_entry() -> None:
    """In a run of equal tile records, an Exif entry whose id a tile has already is not
    the Exif item (the first entry of an id counts); a later Exif entry with a new id is."""
    entries = [(2, 7, b"hvc1", b""), (2, 5, b"hvc1", b""), (2, 5, b"Exif", b""),
               (2, 9, b"hvc1", b""), (2, 6, b"Exif", b""), (2, 8, b"hvc1", b"")]  # fmt: skip
    body = b"\x00\x00\x00\x00" + struct.pack(">H", len(entries))
    body += b"".join(_infe_box(*e) for e in entries)
    data = struct.pack(">I4s", 8 + len(body), b"iinf") + body
    box = Box(b"iinf", 0, 8, len(data))
    assert parse_iinf(data, box, frozenset({b"Exif", b"mime"})) == {6: Item(b"Exif")}
    assert list(parse_iinf(data, box)) == [7, 5, 9, 6, 8]
