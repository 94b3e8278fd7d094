"""JPEG 2000: EXIF, IPTC and XMP `uuid` boxes (and XMP in `xml ` boxes) are read,
audited and cleaned.

Found on exifr's and Exiv2's test files: a JPEG 2000 photo naming its place (exifr's
RESULT-OK_0008.jp2, "Badlands National Park", bundled; Exiv2's Reagan.jp2, "Straits of
Magellan") was skipped in a folder, so audit called the folder clean."""

from __future__ import annotations

import io
import shutil
import struct
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from remedy_photos import photo

from geoleak.extract.media import read_media
from geoleak.formats.isobmff import JP2_EXIF_UUID, JP2_IPTC_UUID, JP2_SIGNATURE
from geoleak.formats.sniff import sniff
from geoleak.remedy.audit import audit
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.model import ScrubOptions
from geoleak.remedy.scrub import scrub_file

BADLANDS = Path(__file__).resolve().parent.parent / "data" / "wider" / "exifr_badlands_iptc_xmp.jp2"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_the_signature_names_jpeg_2000() -> None:
    assert sniff(BADLANDS.read_bytes()[:64], ".jp2") == "jp2"
    assert sniff(b"\xff\x4f\xff\x51" + bytes(40), ".j2k") == "j2k-codestream"


def test_a_real_jpeg_2000_place_is_audited_and_scrubbed(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    shutil.copy(BADLANDS, tmp_path / "in" / "badlands.jp2")
    report = audit([tmp_path / "in"], geocoder=None)
    [item] = report.files
    places = {(f.field, f.value) for f in item.fields}
    # exiftool 12.57: XMP-iptcCore:Location, XMP-iptcExt:LocationShownSublocation and
    # IPTC:Sub-location are "Badlands National Park"
    assert {
        ("XMP Iptc4xmpCore:Location", "Badlands National Park"),
        ("IPTC Sub-location", "Badlands National Park"),
    } <= places
    assert item.leaks_location and item.error is None and report.leaks
    assert read_media(BADLANDS).device is not None  # the camera, from the JP2's EXIF box
    out = tmp_path / "clean.jp2"
    original = BADLANDS.read_bytes()
    assert scrub_file(BADLANDS, out).status == "cleaned"
    cleaned = out.read_bytes()
    assert BADLANDS.read_bytes() == original and len(cleaned) == len(original)
    assert b"Badlands" not in cleaned
    assert not scan_bytes(cleaned, ScrubOptions()).location_findings
    jp2c = original.index(b"jp2c")
    assert cleaned[jp2c:] == original[jp2c:]  # the codestream untouched
    try:
        with Image.open(BADLANDS) as before, Image.open(out) as after:
            assert before.tobytes() == after.tobytes()
    except OSError:  # (a Pillow built without OpenJPEG)
        pass


def test_an_exif_box_position_is_read_and_removed() -> None:
    with Image.open(io.BytesIO(photo(69.6492, 18.9553, datetime(2026, 1, 1)))) as im:
        tiff = im.getexif().tobytes()  # "Exif\0\0" + TIFF, as some writers keep it
    iim = b"\x1c\x02\x5a\x00\x06Tromso"  # 2:90 City
    data = (
        JP2_SIGNATURE
        + _box(b"ftyp", b"jp2 \x00\x00\x00\x00jp2 ")
        + _box(b"uuid", JP2_EXIF_UUID + tiff)
        + _box(b"uuid", JP2_IPTC_UUID + iim)
        + _box(b"jp2c", b"\xff\x4f\xff\x51" + bytes(16))
    )
    located = {f.field for f in scan_bytes(data, ScrubOptions()).location_findings}
    assert located == {"EXIF GPS", "IPTC City"}
    cleaned = bytearray(data)
    for patch in scan_bytes(data, ScrubOptions()).patches:
        cleaned[patch.offset : patch.end] = patch.data
    assert b"Tromso" not in cleaned and len(cleaned) == len(data)
    assert not scan_bytes(bytes(cleaned), ScrubOptions()).location_findings


@pytest.mark.parametrize("prefix", [b"", b"Exif\x00\x00"])
def test_the_position_of_an_exif_box_is_read(tmp_path: Path, prefix: bytes) -> None:
    with Image.open(io.BytesIO(photo(-33.8568, 151.2153, datetime(2026, 1, 1)))) as im:
        tiff = im.getexif().tobytes().removeprefix(b"Exif\x00\x00")
    path = tmp_path / "a.jp2"
    path.write_bytes(
        JP2_SIGNATURE
        + _box(b"ftyp", b"jp2 \x00\x00\x00\x00jp2 ")
        + _box(b"uuid", JP2_EXIF_UUID + prefix + tiff)
        + _box(b"jp2c", b"\xff\x4f\xff\x51" + bytes(16))
    )
    meta = read_media(path)
    assert meta.position is not None
    assert meta.position.lat == pytest.approx(-33.8568, abs=1e-4)
    assert meta.position.lon == pytest.approx(151.2153, abs=1e-4)
