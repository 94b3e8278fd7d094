"""Photoshop PSD: a real file's EXIF GPS (a Pixel 4a photo of the Seine, saved by
Photoshop; libavif's test source, tests/data/SOURCES.md) is read, audited and scrubbed.

Before PSD was a format of geoleak's, a folder holding this file was audited as clean
("0 media files", exit 0 under --fail-on-leak) while exiftool reads its position."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from geoleak.extract.media import read_media
from geoleak.formats.psd import image_resources, is_psd
from geoleak.formats.sniff import sniff
from geoleak.remedy.audit import audit
from geoleak.remedy.model import ScrubOptions, Unsupported
from geoleak.remedy.scrub import residual_location, scan_file, scrub_file

SEINE = Path(__file__).resolve().parent.parent / "data" / "wider" / "libavif_seine_1px.psd"
# exiftool 12.57 -n: GPSLatitude 48.8220833333333 N, GPSLongitude 2.39847166666667 E
SEINE_POSITION = (48.8220833333333, 2.39847166666667)


def test_the_image_resources_are_found_after_the_colour_mode_data() -> None:
    data = SEINE.read_bytes()
    assert is_psd(data[:6]) and sniff(data[:512], ".psd") == "psd"
    found = image_resources(data)
    assert found is not None and not found.truncated
    assert found.start == 34 and found.length == 64958  # as the header's lengths say
    assert data[found.start : found.start + 4] == b"8BIM"


def test_the_position_date_and_camera_are_read_as_exiftool_reads_them() -> None:
    meta = read_media(SEINE)
    assert meta.error is None and meta.format == "psd"
    assert meta.position is not None
    assert meta.position.lat == pytest.approx(SEINE_POSITION[0], abs=1e-9)
    assert meta.position.lon == pytest.approx(SEINE_POSITION[1], abs=1e-9)
    assert meta.capture_time is not None and meta.capture_time.year == 2023
    assert meta.device is not None and "Pixel 4a" in meta.device


def test_a_folder_with_the_psd_is_audited_as_leaking(tmp_path: Path) -> None:
    shutil.copy(SEINE, tmp_path / "seine.psd")
    report = audit([tmp_path], geocoder=None)
    assert report.leaks and len(report.located_files) == 1
    item = report.files[0]
    assert item.position is not None and item.error is None
    assert any(f.field == "Photoshop EXIF GPS" for f in item.fields)


def test_scrub_removes_the_gps_and_moves_no_byte_outside_the_resources(tmp_path: Path) -> None:
    original = SEINE.read_bytes()
    out = tmp_path / "clean.psd"
    outcome = scrub_file(SEINE, out)
    assert outcome.status == "cleaned", outcome.error
    assert SEINE.read_bytes() == original  # the original is never modified
    cleaned = out.read_bytes()
    found = image_resources(original)
    assert found is not None
    end = found.start + found.length
    assert len(cleaned) == len(original)
    assert cleaned[: found.start] == original[: found.start]
    assert cleaned[end:] == original[end:]  # layers and image data untouched
    meta = read_media(out)
    assert meta.position is None
    assert meta.capture_time == read_media(SEINE).capture_time  # capture time kept
    assert residual_location(out) == []


def test_a_psd_cut_inside_its_resources_is_refused(tmp_path: Path) -> None:
    cut = tmp_path / "cut.psd"
    cut.write_bytes(SEINE.read_bytes()[:2000])
    with pytest.raises(Unsupported, match="run past the end"):
        scan_file(cut, ScrubOptions())
    assert read_media(cut).position is None


def test_a_psb_large_document_is_recognised() -> None:
    head = b"8BPS" + struct.pack(">H", 2) + bytes(20)
    assert is_psd(head) and sniff(head, ".psb") == "psd"
    assert not is_psd(b"8BPS" + struct.pack(">H", 3))
