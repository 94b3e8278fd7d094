"""geoleak's reading of every real sample file against exiftool's (REFERENCE.csv).

Like exiftool's own test suite: each file's output is compared with a stored expectation.
`expect_lat`/`expect_lon`/`expect_why` say where geoleak differs from exiftool on purpose
(Null Island, XMP-only positions, missing hemisphere references). Further deliberate
differences found while building the readers are listed in `FURTHER_DIFFERENCES` below
with their reason; the test checks that they still hold, so none can hide a regression.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from media_data import require

from geoleak.extract.gps import parse_exif_datetime
from geoleak.extract.media import read_media
from geoleak.extract.scan import scan_paths
from geoleak.types import MediaMeta

# file -> {field: (what geoleak reports, why it differs from exiftool's column)}
FURTHER_DIFFERENCES: dict[str, dict[str, tuple[object, str]]] = {
    "mde_flir_iphone_device_flir_gps_only.jpg": {
        "model": (
            "FLIR ONE Pro (gen 3)",
            "no EXIF Model; geoleak takes the FLIR record's CameraModel (device linking)",
        ),
    },
    "mde_flir_vue_pro_640_zero_zero_south.jpg": {
        "model": ("Vue Pro 640 13mm", "no EXIF Model; FLIR record's CameraModel"),
    },
    "truncated_mde_sony_dsc-hx5v_2k.jpg": {
        "make": (
            "SONY",
            "file cut inside the EXIF block: geoleak keeps the IFD0 tags that "
            "lie inside the bytes present; exiftool drops the whole block",
        ),
        "model": ("DSC-HX5V", "as make"),
        "capture_time": ("2010-05-15T17:12:05", "DateTimeOriginal lies inside the bytes present"),
    },
}

REFERENCE_FORMATS = {
    "jpeg": "jpeg", "mpo": "jpeg", "heic": "heic", "heif": "heic", "avif": "avif",
    "jxl": "jxl", "dng": "dng", "arw": "arw", "tiff": "tiff", "xmp": "xmp", "mov": "mov",
    "mp4": "mp4", "3gp": "3gp", "png": "png", "extended webp": "webp", "unknown": None,
}  # fmt: skip


@pytest.fixture(scope="module")
def scanned(shared_media: Path, media_reference: list[dict[str, str]]) -> dict[str, MediaMeta]:
    paths = [str(shared_media / row["file"]) for row in media_reference]
    targets = [(p, Path(p).name) for p in paths]
    return {meta.path: meta for meta in scan_paths(targets, workers=1)}


def _rows(media_reference: list[dict[str, str]]) -> list[dict[str, str]]:
    return media_reference


def test_every_reference_file_is_read(
    scanned: dict[str, MediaMeta], media_reference: list[dict[str, str]]
) -> None:
    assert set(scanned) == {row["file"] for row in media_reference}
    for meta in scanned.values():
        assert meta.error is None or meta.path == "pheif_empty.heic", (meta.path, meta.error)


def test_exactly_the_expected_files_have_a_position(
    scanned: dict[str, MediaMeta], media_reference: list[dict[str, str]]
) -> None:
    wrong = []
    for row in media_reference:
        meta = scanned[row["file"]]
        expected = row["expect_lat"] != ""
        if expected != (meta.position is not None):
            wrong.append((row["file"], row["expect_lat"], meta.position, meta.warnings))
    assert not wrong


def test_positions_agree_within_1e6_degrees(
    scanned: dict[str, MediaMeta], media_reference: list[dict[str, str]]
) -> None:
    checked = 0
    for row in media_reference:
        meta = scanned[row["file"]]
        if not row["expect_lat"] or meta.position is None:
            continue
        lat, lon = float(row["expect_lat"]), float(row["expect_lon"])
        if "either sign" in row["expect_why"]:
            assert abs(abs(meta.position.lat) - abs(lat)) < 1e-6, row["file"]
            assert abs(abs(meta.position.lon) - abs(lon)) < 1e-6, row["file"]
            assert any("hemisphere" in w for w in meta.warnings), row["file"]
        else:
            assert abs(meta.position.lat - lat) < 1e-6, (row["file"], meta.position, lat)
            assert abs(meta.position.lon - lon) < 1e-6, (row["file"], meta.position, lon)
        checked += 1
    assert checked >= (35 if len(media_reference) > 50 else 18)  # full corpus or bundled subset


def test_altitudes_agree_where_a_position_is_reported(
    scanned: dict[str, MediaMeta], media_reference: list[dict[str, str]]
) -> None:
    for row in media_reference:
        meta = scanned[row["file"]]
        if meta.position is None or not row["alt_m"] or row["expect_why"]:
            continue
        assert meta.alt_m is not None, row["file"]
        assert abs(meta.alt_m - float(row["alt_m"])) < 1e-3, (row["file"], meta.alt_m)


def test_rejected_placeholders_are_explained(
    scanned: dict[str, MediaMeta], media_reference: list[dict[str, str]]
) -> None:
    for row in media_reference:
        if "Null Island" in row["expect_why"]:
            meta = scanned[row["file"]]
            assert meta.position is None
            assert any("Null Island" in w for w in meta.warnings), row["file"]


def _reference_time(row: dict[str, str]) -> datetime | None:
    text = row["datetime_original"].replace("Z", "+00:00")
    if not text:
        return None
    # exiftool prints an inline offset ("...+02:00") or a separate OffsetTimeOriginal
    offset = row["offset_time_original"] or None
    main, frac = text[:19], ""
    tail = text[19:]
    if tail.startswith("."):
        frac = tail[1:].split("+")[0].split("-")[0]
        tail = tail[1 + len(frac) :]
    return parse_exif_datetime(main, offset or (tail or None), frac or None)


def test_capture_times_agree(
    scanned: dict[str, MediaMeta], media_reference: list[dict[str, str]]
) -> None:
    checked = 0
    for row in media_reference:
        meta = scanned[row["file"]]
        expected = _reference_time(row)
        if expected is None:
            known = FURTHER_DIFFERENCES.get(row["file"], {}).get("capture_time")
            if known is not None:
                assert meta.capture_time is not None
                assert meta.capture_time.isoformat() == known[0]
            continue
        got = meta.capture_time
        assert got is not None, row["file"]
        # wall-clock time to the second (exiftool's column has no sub-seconds)
        assert got.replace(tzinfo=None, microsecond=0) == expected.replace(
            tzinfo=None, microsecond=0
        ), (row["file"], got, expected)
        if expected.tzinfo is not None and got.tzinfo is not None:
            assert got.utcoffset() == expected.utcoffset(), row["file"]
        if row["offset_time_original"]:
            assert got.tzinfo is not None, row["file"]
        checked += 1
    assert checked >= (50 if len(media_reference) > 50 else 25)


@pytest.mark.parametrize("field", ["make", "model"])
def test_make_and_model_agree(
    field: str, scanned: dict[str, MediaMeta], media_reference: list[dict[str, str]]
) -> None:
    for row in media_reference:
        meta = scanned[row["file"]]
        got = getattr(meta, field)
        known = FURTHER_DIFFERENCES.get(row["file"], {}).get(field)
        if known is not None:
            assert got == known[0], (row["file"], got)
            continue
        assert (got or "") == row[field].strip(), (row["file"], field, got, row[field])


def test_formats_agree(
    scanned: dict[str, MediaMeta], media_reference: list[dict[str, str]]
) -> None:
    for row in media_reference:
        expected = REFERENCE_FORMATS[row["format"].lower()]
        assert scanned[row["file"]].format == expected, (row["file"], row["format"])


def test_truncated_and_empty_files_never_error_out_of_a_batch(shared_media: Path) -> None:
    empty = read_media(shared_media / "pheif_empty.heic")
    assert empty.error == "file is empty"
    truncated = read_media(shared_media / "truncated_pheif_xiaomi_64k.heic")
    assert truncated.error is None
    assert truncated.position is None
    assert any("truncated" in w for w in truncated.warnings)


def test_device_serials_are_read(shared_media: Path) -> None:
    """The same serial behind two accounts links them: body, DNG and XMP serials."""
    assert read_media(shared_media / "mde_nikon_d5000_empty_exif_gps.jpg").serial == "6607572"
    assert read_media(shared_media / "mde_flir_iphone_device_flir_gps_only.jpg").serial == (
        "T06L1T00177"
    )
    gopro, dng = require(
        shared_media, "exiftool_gopro_hero6_negative_alt.jpg", "exiftool_canon_350d_nogps.dng"
    )
    assert read_media(gopro).serial == "C3221324657219"
    assert read_media(dng).serial == "012345678"


def test_xmp_only_position_is_reported_with_its_source(shared_media: Path) -> None:
    meta = read_media(shared_media / "mde_nikon_d5000_empty_exif_gps.jpg")
    assert meta.position is not None
    assert meta.position_source == "xmp"
    assert meta.alt_m == pytest.approx(324.145)


def test_flir_record_position_is_signed_west(shared_media: Path) -> None:
    meta = read_media(shared_media / "mde_flir_iphone_device_flir_gps_only.jpg")
    assert meta.position is not None
    assert meta.position.lon < 0
    assert meta.position_source == "flir"
