"""The shared container walkers (JPEG segments, PNG and RIFF chunks, TIFF IFDs): known
answers, real photos, and properties on random, truncated and cyclic input."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from media_data import BUNDLED_MEDIA, SHARED_MEDIA

from geoleak.errors import FormatError
from geoleak.extract.tiff import read_tiff_tags
from geoleak.formats.chunks import PNG_SIGNATURE, iter_png_chunks, iter_riff_chunks
from geoleak.formats.jpeg import SegmentWalk
from geoleak.formats.tiff import exif_tiff_offset, next_ifd, read_ifd
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
