"""The shared container walkers (JPEG segments, PNG and RIFF chunks, TIFF IFDs): known
answers, real photos, and properties on random, truncated and cyclic input."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from media_data import BUNDLED_MEDIA, SHARED_MEDIA
from PIL import Image

from geoleak.errors import FormatError
from geoleak.extract.media import read_media
from geoleak.extract.tiff import read_tiff_tags
from geoleak.formats.chunks import PNG_SIGNATURE, iter_png_chunks, iter_riff_chunks
from geoleak.formats.gif import GifWalk, is_xmp, xmp_packet
from geoleak.formats.iptc import iter_datasets, iter_resources
from geoleak.formats.isobmff import children, iter_boxes, metadata_items
from geoleak.formats.jpeg import SegmentWalk
from geoleak.formats.tiff import exif_tiff_offset, next_ifd, read_header, read_ifd, walk_ifds
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.model import Region, ScrubOptions, Unsupported
from geoleak.remedy.tiff import scan_tiff

# the full set in ../shared when it is here, else the permissively licensed subset in tests/data
MEDIA = SHARED_MEDIA if SHARED_MEDIA.is_dir() else BUNDLED_MEDIA


def _seg(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def _jpeg() -> bytes:
    scan = b"\x12\xff\x00\x34\xff\xd0\x56"  # stuffed 0xFF00 and an RST marker inside the scan
    return (
        b"\xff\xd8"
        + _seg(0xE0, b"JFIF\x00\x01\x02")
        + b"\xff\xff"  # fill bytes
        + _seg(0xE1, b"Exif\x00\x00II*\x00\x08\x00\x00\x00")
        + _seg(0xFE, b"a comment")
        + _seg(0xDA, b"\x01\x02\x03")
        + scan
        + _seg(0xDA, b"\x01\x02\x03")  # a second scan (progressive)
        + scan
        + b"\xff\xd9"
    )


def test_jpeg_reader_stops_at_scan_scrubber_walks_to_eoi() -> None:
    data = _jpeg()
    reader = SegmentWalk(data)
    assert [s.marker for s in reader] == [0xE0, 0xE1, 0xFE]
    assert reader.problem is None and not reader.truncated
    scrubber = SegmentWalk(data, through_scans=True, limit=None)
    segments = list(scrubber)
    assert [s.marker for s in segments] == [0xE0, 0xE1, 0xFE, 0xDA, 0xDA]
    assert scrubber.end == len(data)  # after the EOI
    exif = segments[1]
    assert data[exif.body : exif.end] == b"Exif\x00\x00II*\x00\x08\x00\x00\x00"


def test_jpeg_damage_and_truncation_are_reported() -> None:
    data = _jpeg()
    broken = data[:2] + b"\x00" + data[3:]
    walk = SegmentWalk(broken)
    assert list(walk) == []
    assert walk.problem == "marker expected at byte 2, found 0x00"
    zero = b"\xff\xd8\xff\xe1\x00\x00" + data[2:]
    walk = SegmentWalk(zero)
    assert list(walk) == [] and walk.problem == "segment at byte 2 has length 0"
    cut = data[:30]
    walk = SegmentWalk(cut)
    segments = list(walk)
    assert walk.truncated and segments[-1].truncated and segments[-1].end == len(cut)


def test_png_and_riff_chunks() -> None:
    def png_chunk(ctype: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + ctype + body + b"CRC!"

    png = PNG_SIGNATURE + png_chunk(b"IHDR", b"x" * 13) + png_chunk(b"eXIf", b"II*\x00")
    png += png_chunk(b"IEND", b"") + b"trailing"
    chunks = list(iter_png_chunks(png))
    assert [c.type for c in chunks] == [b"IHDR", b"eXIf", b"IEND"]
    assert png[chunks[1].body : chunks[1].end] == b"II*\x00"
    cut = list(iter_png_chunks(png[:44]))
    assert cut[-1].type == b"eXIf" and cut[-1].truncated and cut[-1].end == 44

    riff_body = b"WEBP" + b"VP8X" + struct.pack("<I", 3) + b"abc\x00"  # odd: padded
    riff_body += b"EXIF" + struct.pack("<I", 4) + b"II*\x00"
    riff = b"RIFF" + struct.pack("<I", len(riff_body)) + riff_body + b"JUNKJUNKJUNK"
    chunks = list(iter_riff_chunks(riff, 12, 8 + len(riff_body)))
    assert [(c.type, c.length) for c in chunks] == [(b"VP8X", 3), (b"EXIF", 4)]
    assert riff[chunks[1].body : chunks[1].end] == b"II*\x00"
    assert [c.type for c in iter_riff_chunks(riff)][-1] == b"JUNK"  # to the end of the buffer


@pytest.mark.parametrize(
    ("block", "offset"),
    [(b"II*\x00", 0), (b"Exif\x00\x00II*\x00", 6), (b"ExifII*\x00\x08", 4),
     (b"Exif\x00MM\x00*\x00", 5), (b"Exif\x00\x00\x00", 4)],
)  # fmt: skip
def test_exif_tiff_offset(block: bytes, offset: int) -> None:
    assert exif_tiff_offset(block) == offset


def _cyclic_tiff() -> bytes:
    """IFD0 at 8 whose next-IFD pointer, ExifIFD and GPSInfo pointers all lead back to it."""
    entries = [(0x010F, 2, 4, b"Can\x00"), (0x8769, 4, 1, struct.pack("<I", 8)),
               (0x8825, 4, 1, struct.pack("<I", 8)), (0x014A, 4, 1, struct.pack("<I", 8))]  # fmt: skip
    ifd = struct.pack("<H", len(entries))
    ifd += b"".join(struct.pack("<HHI", t, ty, n) + raw for t, ty, n, raw in entries)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 8)


def test_cyclic_ifds_are_read_once() -> None:
    data = _cyclic_tiff()
    ifd = read_ifd(data, "<", 8, max_entries=100)
    assert ifd.complete and [e.tag for e in ifd.entries] == [0x010F, 0x8769, 0x8825, 0x014A]
    assert ifd.entries[0].inline and data[ifd.entries[0].value_pos :][:3] == b"Can"
    assert next_ifd(data, "<", ifd) == 8
    ifd0, _exif, _gps, _warnings = read_tiff_tags(data)
    assert ifd0[0x010F] == b"Can\x00"
    scan = scan_tiff(Region.whole(data, 0, len(data)), ScrubOptions())
    assert any(f.field == "EXIF GPS" for f in scan.findings)


def test_ifd_outside_or_too_long() -> None:
    data = _cyclic_tiff()
    with pytest.raises(FormatError):
        read_ifd(data, "<", 4, max_entries=100)
    with pytest.raises(FormatError):
        read_ifd(data, "<", len(data) - 1, max_entries=100)
    huge = data[:8] + struct.pack("<H", 5000) + data[10:]
    assert read_ifd(huge, "<", 8, max_entries=1000).entries == []
    short = data[:30]
    ifd = read_ifd(short, "<", 8, max_entries=100)
    assert not ifd.complete and len(ifd.entries) == (30 - 10) // 12


def _check_jpeg_walk(data: bytes) -> None:
    for through in (False, True):
        walk = SegmentWalk(data, through_scans=through, limit=None)
        previous = -1
        for segment in walk:
            assert previous < segment.start < segment.body <= segment.end <= len(data)
            previous = segment.start
        assert 0 <= walk.end <= max(len(data), 2)
        assert walk.segments <= len(data) // 4


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_walkers_end_on_any_bytes(tail: bytes) -> None:
    _check_jpeg_walk(b"\xff\xd8" + tail)
    for chunk_list in (
        list(iter_png_chunks(PNG_SIGNATURE + tail, limit=None)),
        list(iter_riff_chunks(b"RIFF\x00\x00\x00\x00WEBP" + tail, limit=None)),
    ):
        starts = [c.start for c in chunk_list]
        assert starts == sorted(set(starts))
        assert all(c.body <= c.end for c in chunk_list)
    tiff = b"II*\x00\x08\x00\x00\x00" + tail
    for offset in range(0, min(len(tiff), 40)):
        try:
            ifd = read_ifd(tiff, "<", offset, max_entries=1000)
        except FormatError:
            continue
        assert all(e.pos + 12 <= len(tiff) for e in ifd.entries)
    try:
        read_tiff_tags(tiff)
        scan_tiff(Region.whole(tiff, 0, len(tiff)), ScrubOptions(all_identifying=True))
    except (Unsupported, FormatError, struct.error):
        pass


def _media(suffixes: tuple[str, ...]) -> list[Path]:
    files = sorted(p for p in MEDIA.iterdir() if p.suffix.lower() in suffixes)
    assert files, f"no real {'/'.join(suffixes)} file in {MEDIA}"
    return files


def test_real_jpegs_reader_walk_is_a_prefix_of_the_scrubber_walk() -> None:
    for path in _media((".jpg", ".jpeg")):
        data = path.read_bytes()
        if data[:2] != b"\xff\xd8":
            continue
        reader = list(SegmentWalk(data))
        walk = SegmentWalk(data, through_scans=True, limit=None)
        scrubber = list(walk)
        assert reader == scrubber[: len(reader)], path.name
        # a whole file is walked to its image data (the sample set holds truncated ones)
        assert walk.truncated or any(s.marker == 0xDA for s in scrubber), path.name


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_truncated_real_jpegs(data: st.DataObject) -> None:
    files = _media((".jpg", ".jpeg"))
    path = data.draw(st.sampled_from(files))
    raw = path.read_bytes()[:200_000]
    cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
    _check_jpeg_walk(raw[:cut])


def _tiff(ifds: dict[int, list[tuple[int, int, int, bytes]]], nexts: dict[int, int]) -> bytes:
    """A little-endian TIFF block with IFDs at the given offsets (entries: tag, type,
    count, 4 raw bytes) and next-IFD pointers."""
    size = max(pos + 2 + 12 * len(e) + 4 for pos, e in ifds.items())
    out = bytearray(size)
    out[:8] = b"II*\x00" + struct.pack("<I", min(ifds))
    for pos, entries in ifds.items():
        raw = struct.pack("<H", len(entries))
        raw += b"".join(struct.pack("<HHI", t, ty, n) + v for t, ty, n, v in entries)
        raw += struct.pack("<I", nexts.get(pos, 0))
        out[pos : pos + len(raw)] = raw
    return bytes(out)


def _ptr(tag: int, *offsets: int) -> tuple[int, int, int, bytes]:
    if len(offsets) == 1:
        return (tag, 4, 1, struct.pack("<I", offsets[0]))
    return (tag, 4, len(offsets), struct.pack("<I", 300))  # values at 300


def _walk_fixture() -> bytes:
    """IFD0 -> ExifIFD (-> Interop, and a second GPS pointer), GPS, two SubIFDs; chain IFD1."""
    ifds = {
        8: [(0x010F, 2, 4, b"Can\x00"), _ptr(0x014A, 0, 0), _ptr(0x8769, 64),
            _ptr(0x8825, 100)],
        64: [_ptr(0x8825, 100), _ptr(0xA005, 140)],
        100: [(0x0001, 2, 2, b"N\x00\x00\x00")],
        140: [(0x0001, 2, 4, b"R98\x00")],
        180: [(0x0100, 4, 1, struct.pack("<I", 16))],
        220: [(0x0100, 4, 1, struct.pack("<I", 32))],
        260: [(0x0100, 4, 1, struct.pack("<I", 64))],
    }  # fmt: skip
    data = bytearray(_tiff(ifds, {8: 260}) + bytes(40))
    data[300:308] = struct.pack("<II", 180, 220)
    return bytes(data)


def test_one_ifd_walk_reader_and_scrubber_depths() -> None:
    data = _walk_fixture()
    reader = [(n, i.pos) for n, i in walk_ifds(
        data, "<", 8, follow={0x8769: "ExifIFD", 0x8825: "GPS"}, max_entries=100)]  # fmt: skip
    assert reader == [("IFD0", 8), ("ExifIFD", 64), ("GPS", 100)]
    follow = {0x8769: "ExifIFD", 0xA005: "InteropIFD", 0x014A: "SubIFD"}
    scrubber = [(n, i.pos) for n, i in walk_ifds(
        data, "<", 8, follow=follow, chain=16, max_entries=100, whole=True)]  # fmt: skip
    assert scrubber == [("IFD0", 8), ("SubIFD0", 180), ("SubIFD1", 220), ("ExifIFD", 64),
                        ("IFD1", 260), ("InteropIFD", 140)]  # fmt: skip
    # both sides take this walk: the reader decodes GPS, the scrubber removes it
    ifd0, _exif, gps, _warnings = read_tiff_tags(data)
    assert ifd0[0x010F] == b"Can\x00" and gps[1] == b"N\x00"
    scan = scan_tiff(Region.whole(data, 0, len(data)), ScrubOptions())
    assert [f.field for f in scan.findings].count("EXIF GPS") == 2  # both pointers


def test_ifd_walk_reports_what_it_cannot_read() -> None:
    data = _walk_fixture()
    bent = data.replace(  # IFD0's GPS pointer stored as a string
struct.pack("<HHI", 0x8825, 4, 1) + struct.pack("<I", 100),
                        struct.pack("<HHI", 0x8825, 2, 1) + b"x\x00\x00\x00", 1)  # fmt: skip
    told: list[tuple[str, int, str]] = []
    names = [n for n, _ in walk_ifds(bent, "<", 8, follow={0x8769: "ExifIFD", 0x8825: "GPS"},
                                     max_entries=100, bad=lambda *a: told.append(a))]  # fmt: skip
    assert names == ["IFD0", "ExifIFD", "GPS"]  # the GPS pointer in ExifIFD still leads there
    assert told == [("GPS", -1, "pointer is stored as a string")]
    outside = data[:64] + struct.pack("<HHHI", 1, 0x8825, 4, 1) + struct.pack("<I", 9999)
    told.clear()
    names = [n for n, _ in walk_ifds(outside, "<", 64, follow={0x8825: "GPS"},
                                     max_entries=100, bad=lambda *a: told.append(a))]  # fmt: skip
    assert names == ["IFD0"] and told == [("GPS", 9999, "offset 9999 is outside the block")]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.booleans())
def test_ifd_walk_ends_and_visits_each_ifd_once(tail: bytes, whole: bool) -> None:
    tiff = b"II*\x00\x08\x00\x00\x00" + tail
    follow = {0x8769: "ExifIFD", 0x8825: "GPS", 0xA005: "InteropIFD", 0x014A: "SubIFD"}
    walked = list(walk_ifds(tiff, "<", 8, follow=follow, chain=16, max_entries=1000,
                            whole=whole, bad=lambda *_: None))  # fmt: skip
    positions = [ifd.pos for _, ifd in walked]
    assert len(positions) == len(set(positions))
    assert all(8 <= p < len(tiff) for p in positions)
    if whole:
        assert all(i.complete and i.next_pointer_at + 4 <= len(tiff) for _, i in walked)


def test_real_exif_reader_walk_is_within_the_scrubber_walk() -> None:
    """On every real JPEG's EXIF block, the IFDs audit reads (but GPS, which scrub reaches
    through its pointer) are IFDs scrub walks."""
    checked = 0
    for path in _media((".jpg", ".jpeg")):
        data = path.read_bytes()
        for segment in SegmentWalk(data):
            block = data[segment.body : segment.end]
            if segment.marker != 0xE1 or not block.startswith(b"Exif\x00"):
                continue
            tiff = block[exif_tiff_offset(block) :]
            try:
                header = read_header(tiff)
            except FormatError:
                continue
            reader = {i.pos for n, i in walk_ifds(
                tiff, header.order, header.first_ifd, follow={0x8769: "ExifIFD",
                0x8825: "GPS"}, max_entries=1000) if n != "GPS" and i.complete}  # fmt: skip
            follow = {0x8769: "ExifIFD", 0xA005: "InteropIFD", 0x014A: "SubIFD"}
            scrubber = {i.pos for _, i in walk_ifds(
                tiff, header.order, header.first_ifd, follow=follow, chain=16,
                max_entries=4000, whole=True)}  # fmt: skip
            reader = {p for p in reader if read_ifd(tiff, header.order, p,
                      max_entries=4000).next_pointer_at + 4 <= len(tiff)}  # fmt: skip
            assert reader <= scrubber, path.name
            checked += 1
    assert checked


def _gif(*blocks: bytes) -> bytes:
    return b"GIF89a" + struct.pack("<HH", 1, 1) + b"\x80\x00\x00" + bytes(6) + b"".join(blocks)


_XMP_TRAILER = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"


def test_gif_blocks_and_raw_xmp() -> None:
    image = b"\x2c" + bytes(8) + b"\x00" + b"\x02" + b"\x02\x4c\x01" + b"\x00"
    comment = b"\x21\xfe\x03abc\x00"
    xmp = b"\x21\xff\x0bXMP DataXMP" + b"<x:xmpmeta/>" + _XMP_TRAILER
    data = _gif(comment, xmp, image, b"\x3b")
    walk = GifWalk(data)
    blocks = list(walk)
    assert [(b.kind, b.label) for b in blocks] == [(0x21, 0xFE), (0x21, 0xFF), (0x2C, 0)]
    assert walk.problem is None and not walk.truncated
    assert [is_xmp(data, b) for b in blocks] == [False, True, False]
    start, end = xmp_packet(data, blocks[1]) or (0, 0)
    assert data[start:end] == b"<x:xmpmeta/>"
    assert blocks[1].end == blocks[2].start  # the raw packet is skipped through its trailer
    no_trailer = _gif(b"\x21\xff\x0bXMP DataXMP" + b"\x03abc\x00")
    assert [xmp_packet(no_trailer, b) for b in GifWalk(no_trailer)] == [None]
    odd = GifWalk(_gif(b"\x99"))
    assert list(odd) == [] and odd.problem == "GIF block 0x99 at 19 not understood; stopped"
    assert list(GifWalk(b"GIF89a")) == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_gif_and_iptc_walks_end_on_any_bytes(tail: bytes) -> None:
    data = _gif(tail)
    starts = [b.start for b in GifWalk(data)]
    assert starts == sorted(set(starts)) and all(s < len(data) for s in starts)
    datasets = list(iter_datasets(b"\x1c" + tail))
    assert all(d.pos < d.start <= d.end <= len(tail) + 1 for d in datasets)
    assert [d.pos for d in datasets] == sorted({d.pos for d in datasets})
    resources = list(iter_resources(b"8BIM" + tail))
    assert len(resources) <= (len(tail) + 4) // 12


def test_iptc_datasets_and_photoshop_resources() -> None:
    iim = b"\x1c\x02\x5a\x00\x04Oslo" + b"\x1c\x02\x65\x80\x02\x00\x06Norway" + b"\x00junk"
    assert [(d.record, d.dataset, iim[d.start : d.end]) for d in iter_datasets(iim)] == [
        (2, 0x5A, b"Oslo"), (2, 0x65, b"Norway")]  # fmt: skip
    irb = b"8BIM\x04\x04\x03abc" + struct.pack(">I", 3) + b"xyz\x00"
    irb += b"8BIM\x04\x24\x00\x00" + struct.pack(">I", 2) + b"<x"
    assert [(r.id, irb[r.start : r.start + r.size]) for r in iter_resources(irb)] == [
        (0x0404, b"xyz"), (0x0424, b"<x")]  # fmt: skip


def _box(btype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), btype) + payload


def _heif_with_exif_item(method: int, length_zero: bool) -> bytes:
    """A minimal HEIF whose Exif item (id 1) lies at the end of the file (method 0), or in
    `idat` (method 1); `length_zero`: its extent length is written as 0 ("to the end")."""
    exif = Image.Exif()
    exif[0x010F] = "Fictocam"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (69.0, 38.0, 56.0), "E", (18.0, 57.0, 18.0)
    item = b"\x00\x00\x00\x00" + exif.tobytes()[6:]  # offset to the TIFF header, then TIFF
    infe = _box(b"infe", b"\x02\x00\x00\x00" + struct.pack(">HH", 1, 0) + b"Exif" + b"\x00")
    iinf = _box(b"iinf", b"\x00\x00\x00\x00" + struct.pack(">H", 1) + infe)
    hdlr = _box(b"hdlr", bytes(8) + b"pict" + bytes(13))
    ftyp = _box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")

    def iloc(offset: int) -> bytes:  # version 1: it has the construction method
        length = 0 if length_zero else len(item)
        body = b"\x01\x00\x00\x00" + bytes([0x44, 0x00]) + struct.pack(">H", 1)
        body += struct.pack(">HHHH", 1, method, 0, 1) + struct.pack(">II", offset, length)
        return _box(b"iloc", body)

    idat = _box(b"idat", item) if method == 1 else b""
    size_before = len(ftyp) + len(_box(b"meta", b"\x00" * 4 + hdlr + iinf + iloc(0) + idat))
    offset = 0 if method == 1 else size_before + 8  # in idat, or after the mdat header
    meta = _box(b"meta", b"\x00" * 4 + hdlr + iinf + iloc(offset) + idat)
    return ftyp + meta + (_box(b"mdat", item) if method == 0 else b"")


@pytest.mark.parametrize(("method", "length_zero"), [(0, False), (0, True), (1, False), (1, True)])
def test_heif_metadata_items_read_and_removed_alike(
    tmp_path: Path, method: int, length_zero: bool
) -> None:
    data = _heif_with_exif_item(method, length_zero)
    top = list(iter_boxes(data, 0, len(data)))
    meta = next(b for b in top if b.type == b"meta")
    items = metadata_items(data, children(data, meta, 4), base=0, file_size=len(data))
    assert [(i.id, i.item.type, i.problem) for i in items] == [(1, b"Exif", None)]
    (offset, length), = items[0].extents  # fmt: skip
    assert data[offset : offset + length].startswith(b"\x00\x00\x00\x00MM\x00*")
    assert offset + length == (len(data) if method == 0 else meta.end)
    path = tmp_path / "x.heic"
    path.write_bytes(data)
    assert read_media(path).position is not None  # the reader reads it...
    scan = scan_bytes(data, ScrubOptions())
    assert "EXIF GPS" in {f.field for f in scan.findings}  # ...and the scrubber removes it
    out = bytearray(data)
    for patch in scan.patches:
        out[patch.offset : patch.end] = patch.data
    path.write_bytes(bytes(out))
    assert read_media(path).position is None


def test_heif_metadata_item_problems() -> None:
    data = _heif_with_exif_item(1, False)
    meta = next(b for b in iter_boxes(data, 0, len(data)) if b.type == b"meta")
    kids = [b for b in children(data, meta, 4) if b.type != b"idat"]  # method 1 without idat
    (found,) = metadata_items(data, kids, base=0, file_size=len(data))
    assert found.problem == "is stored by reference (construction method 1)"
    kids = [b for b in children(data, meta, 4) if b.type != b"iloc"]
    (found,) = metadata_items(data, kids, base=0, file_size=len(data))
    assert found.problem == "has no location" and found.extents == []


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["<", ">"]), st.integers(0, 30),
       st.lists(st.tuples(st.integers(0, 12), st.integers(0, 20), st.integers(0, 2**32 - 1),
                          st.integers(0, 2**32 - 1)), max_size=30),
       st.integers(0, 400), st.integers(8, 20), st.frozensets(st.integers(0, 12), max_size=6))  # fmt: skip
def test_an_ifd_read_for_some_tags_is_the_whole_ifd_filtered(
    order: str, extra: int, entries: list[tuple[int, int, int, int]], cut: int, offset: int,
    wanted: frozenset[int],
) -> None:  # fmt: skip
    """`read_ifd(..., wanted=...)` (which picks the wanted entries from one unpack of the
    tags) gives exactly the entries of the whole IFD that have those tags, in order, also
    when the IFD claims more entries than the block holds."""
    table = struct.pack(order + "H", len(entries) + extra) + b"".join(
        struct.pack(order + "HHII", *entry) for entry in entries
    )
    data = (bytes(offset) + table + bytes(64))[: offset + 2 + cut + 12 * len(entries) // 2]
    try:
        whole = read_ifd(data, order, offset, max_entries=40)
    except FormatError:
        with pytest.raises(FormatError):
            read_ifd(data, order, offset, max_entries=40, wanted=wanted)
        return
    some = read_ifd(data, order, offset, max_entries=40, wanted=wanted)
    assert some.entries == [e for e in whole.entries if e.tag in wanted]
    assert (some.pos, some.claimed, some.present) == (whole.pos, whole.claimed, whole.present)
