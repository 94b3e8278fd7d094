"""JPEG XL metadata compressed with Brotli (`brob` boxes) is read, audited and cleaned.

cjxl (libjxl 0.7, its defaults) transcodes a JPEG losslessly and stores the JPEG's Exif in
a `brob` box, so a geotagged photo turned into JPEG XL kept its GPS where geoleak did not
look: scan gave no position and audit called the file unreadable. The bundled file is the
Sony DSC-HX5V photo's EXIF segment on an 8 x 8 JPEG, transcoded by cjxl (tests/data
SOURCES.md)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.errors import FormatError
from geoleak.extract.media import read_media
from geoleak.formats.isobmff import brob_content, iter_boxes
from geoleak.remedy import isobmff as remedy_isobmff
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.model import FindingKind, ScrubOptions, Unsupported
from geoleak.remedy.scrub import scrub_file

SONY_JXL = Path(__file__).resolve().parent.parent / "data" / "wider" / "mde_sony_dsc-hx5v_cjxl.jxl"
SONY_POSITION = (51.778615, 8.365638)  # what exiftool reads from the JPEG it came from


def _boxes(data: bytes) -> dict[bytes, list[tuple[int, int, int]]]:
    out: dict[bytes, list[tuple[int, int, int]]] = {}
    for box in iter_boxes(data, 12, len(data)):
        out.setdefault(box.type, []).append((box.start, box.payload, box.end))
    return out


def _brob(data: bytes) -> tuple[int, int, int]:
    (box,) = _boxes(data)[b"brob"]
    return box


def test_the_bundled_file_keeps_its_exif_in_a_brob_box() -> None:
    data = SONY_JXL.read_bytes()
    _, payload, end = _brob(data)
    inner, content = brob_content(data[payload:end])
    assert inner == b"Exif"
    assert content[4:8] == b"II*\x00"  # the offset to the TIFF header, then the header
    assert b"Exif" not in _boxes(data)  # no plain Exif box beside it


def test_read_media_reads_the_position_in_a_brob_box() -> None:
    meta = read_media(SONY_JXL)
    assert meta.format == "jxl"
    assert meta.position is not None
    assert meta.position.lat == pytest.approx(SONY_POSITION[0], abs=1e-6)
    assert meta.position.lon == pytest.approx(SONY_POSITION[1], abs=1e-6)
    assert (meta.make, meta.model) == ("SONY", "DSC-HX5V")
    assert not meta.warnings


@settings(max_examples=60, deadline=None)
@given(
    inner=st.sampled_from([b"Exif", b"xml ", b"jumb"]),
    content=st.binary(max_size=3000) | st.text(max_size=2000).map(str.encode),
    quality=st.integers(0, 11),
)
def test_brob_content_gives_back_what_was_compressed(
    inner: bytes, content: bytes, quality: int
) -> None:
    payload = inner + brotli.compress(content, quality=quality)
    assert brob_content(payload) == (inner, content)
    if content:
        with pytest.raises(FormatError, match="larger than"):
            brob_content(payload, limit=len(content) - 1)
        assert brob_content(payload, limit=len(content)) == (inner, content)


def test_a_broken_brob_box_is_an_error_naming_it() -> None:
    data = SONY_JXL.read_bytes()
    _, payload, end = _brob(data)
    with pytest.raises(FormatError, match="Exif content is truncated"):
        brob_content(data[payload : end - 100])
    with pytest.raises(FormatError, match="not a valid Brotli stream"):
        brob_content(b"Exif" + b"not brotli at all" * 4)
    with pytest.raises(FormatError, match="shorter than"):
        brob_content(b"Ex")
    bomb = b"Exif" + brotli.compress(bytes(64 * 1024 * 1024))  # 64 MiB of zeros, ~100 bytes
    with pytest.raises(FormatError, match="larger than"):
        brob_content(bomb)


def test_scrub_removes_the_position_and_keeps_the_rest(tmp_path: Path) -> None:
    data = SONY_JXL.read_bytes()
    scan = scan_bytes(data, ScrubOptions(), suffix=".jxl")
    located = [f for f in scan.findings if f.kind is FindingKind.LOCATION]
    assert [f.field for f in located] == ["EXIF (Brotli) GPS"]
    assert all(f.removed for f in located)

    out = tmp_path / "clean.jxl"
    outcome = scrub_file(SONY_JXL, out, ScrubOptions())
    assert outcome.status == "cleaned", outcome.error
    cleaned = out.read_bytes()
    assert len(cleaned) == len(data)
    before, after = _boxes(data), _boxes(cleaned)
    for kind in (b"ftyp", b"jxlp", b"jbrd"):  # the codestream and the JPEG's reconstruction
        assert [data[s:e] for s, _, e in before[kind]] == [cleaned[s:e] for s, _, e in after[kind]]
    start, _, end = before[b"brob"][0]
    (new_start, new_payload, new_end), *_ = after[b"brob"]
    assert new_start == start
    free = after.get(b"free", [])
    assert (free[0][2] if free else new_end) == end  # the new box and its padding fill the old one

    meta = read_media(out)
    assert meta.position is None
    assert (meta.make, meta.model) == ("SONY", "DSC-HX5V")
    assert meta.capture_time is not None
    inner, content = brob_content(cleaned[new_payload:new_end])
    _, original = brob_content(data[before[b"brob"][0][1] : end])
    assert inner == b"Exif" and len(content) == len(original)
    assert content != original
    # cleaned as the same Exif in a plain box is: the same bytes
    plain = bytearray(data[:start] + struct.pack(">I", 8 + len(original)) + b"Exif" + original)
    for patch in scan_bytes(bytes(plain), ScrubOptions(), suffix=".jxl").patches:
        plain[patch.offset : patch.end] = patch.data
    assert content == bytes(plain[start + 8 :])

    again = scan_bytes(cleaned, ScrubOptions(), suffix=".jxl")
    assert not again.location_findings and not again.patches


def test_all_identifying_also_blanks_the_maker_note(tmp_path: Path) -> None:
    out = tmp_path / "clean.jxl"
    outcome = scrub_file(SONY_JXL, out, ScrubOptions(all_identifying=True))
    assert outcome.status == "cleaned", outcome.error
    removed = {f.field for f in outcome.removed}
    assert {"EXIF (Brotli) GPS", "EXIF (Brotli) MakerNote"} <= removed
    assert read_media(out).position is None


def test_a_file_whose_cleaned_metadata_cannot_be_compressed_back_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = SONY_JXL.read_bytes()
    start, _, end = _brob(data)
    room = end - start - 12

    def too_close(_content: bytes) -> object:  # each leaves 1-7 bytes: no free box fits
        yield b"x" * (room - 3)
        yield b"x" * (room - 7)
        yield b"x" * (room + 1)

    monkeypatch.setattr(remedy_isobmff, "_brotli_streams", too_close)
    with pytest.raises(Unsupported, match="cannot compress back") as refused:
        scan_bytes(data, ScrubOptions(), suffix=".jxl")
    assert [f.field for f in refused.value.findings if f.kind is FindingKind.LOCATION] == [
        "EXIF (Brotli) GPS"
    ]


def test_a_corrupt_brob_box_is_refused_and_read_with_a_warning(tmp_path: Path) -> None:
    data = bytearray(SONY_JXL.read_bytes())
    _, payload, end = _brob(bytes(data))
    data[payload + 4 : end] = bytes(end - payload - 4)  # the Brotli stream zeroed
    broken = tmp_path / "broken.jxl"
    broken.write_bytes(bytes(data))
    with pytest.raises(Unsupported, match="compressed JPEG XL metadata not read"):
        scan_bytes(bytes(data), ScrubOptions(), suffix=".jxl")
    meta = read_media(broken)
    assert meta.position is None
    assert any("compressed metadata not read" in w for w in meta.warnings)
    outcome = scrub_file(broken, tmp_path / "out.jxl", ScrubOptions())
    assert outcome.status == "failed" and not (tmp_path / "out.jxl").exists()


@pytest.mark.skipif(shutil.which("djxl") is None, reason="djxl (Debian libjxl-tools) not installed")
def test_djxl_rebuilds_the_jpeg_without_its_gps(tmp_path: Path) -> None:
    out = tmp_path / "clean.jxl"
    assert scrub_file(SONY_JXL, out, ScrubOptions()).status == "cleaned"
    for name, source in (("before.jpg", SONY_JXL), ("after.jpg", out)):
        subprocess.run(["djxl", str(source), str(tmp_path / name)], check=True, capture_output=True)
    before, after = (tmp_path / "before.jpg").read_bytes(), (tmp_path / "after.jpg").read_bytes()
    assert len(before) == len(after)
    scan = before.index(b"\xff\xda")
    assert after[scan:] == before[scan:]  # the JPEG's image data, bit for bit
    assert read_media(tmp_path / "before.jpg").position is not None
    assert read_media(tmp_path / "after.jpg").position is None
    assert struct.unpack(">H", after[4:6]) == struct.unpack(">H", before[4:6])


def test_xmp_in_a_brob_box_is_read_and_cleaned(tmp_path: Path) -> None:
    sidecar = Path(__file__).resolve().parent.parent / "data" / "media" / "mde_digikam_sidecar.xmp"
    packet = sidecar.read_bytes()
    data = SONY_JXL.read_bytes()
    start, _, end = _brob(data)
    stream = brotli.compress(packet, quality=5)
    brob = struct.pack(">I", 12 + len(stream)) + b"brob" + b"xml " + stream
    jxl = tmp_path / "xmp.jxl"
    jxl.write_bytes(data[:start] + brob + data[end:])  # the Exif box replaced by the XMP one
    plain = read_media(sidecar)
    meta = read_media(jxl)
    assert plain.position is not None and meta.position == plain.position
    out = tmp_path / "clean.jxl"
    outcome = scrub_file(jxl, out, ScrubOptions())
    assert outcome.status == "cleaned", outcome.error
    assert any(f.field.startswith("XMP (Brotli)") for f in outcome.removed)
    assert out.stat().st_size == jxl.stat().st_size
    assert read_media(out).position is None
