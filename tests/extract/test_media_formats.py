"""Container and packet readers on hand-built inputs: XMP, ISO 6709, sidecars, Takeout,
QuickTime keys, PNG raw profiles, TIFF tag types. Real-file checks are in
test_media_reference.py."""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoleak.extract.isobmff import brand_format, parse_iso6709
from geoleak.extract.media import read_media, read_media_pillow, sniff_format
from geoleak.extract.xmp import parse_xmp, parse_xmp_coordinate, parse_xmp_datetime

# -- XMP --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "axis", "expected"),
    [
        ("48,53.323582N", "lat", 48 + 53.323582 / 60),
        ("21,2.595070E", "lon", 21 + 2.595070 / 60),
        ("33,51,24.48S", "lat", -(33 + 51 / 60 + 24.48 / 3600)),
        ("179,54.0W", "lon", -179.9),  # west of the antimeridian
        ("78.22", "lat", 78.22),  # high latitude, decimal
        ("-43.2105", "lon", -43.2105),
    ],
)
def test_xmp_coordinates(text: str, axis: str, expected: float) -> None:
    assert parse_xmp_coordinate(text, axis) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("text", ["48,61.0N", "abc", "48,10.0E", "", "1,2,3,4N"])
def test_bad_xmp_coordinates_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="XMP"):
        parse_xmp_coordinate(text, "lat")


def test_xmp_attribute_and_element_forms_and_entities() -> None:
    packet = (
        b'<x:xmpmeta><rdf:RDF><rdf:Description exif:GPSLatitude="52,1.2N" '
        b'tiff:Make="A &amp; B"><exif:GPSLongitude>12,1.2E</exif:GPSLongitude>'
        b"<aux:SerialNumber>6607572</aux:SerialNumber>"
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    values = parse_xmp(packet)
    assert values.get("GPSLatitude") == "52,1.2N"
    assert values.get("GPSLongitude") == "12,1.2E"
    assert values.get("Make") == "A & B"
    assert values.get("SerialNumber") == "6607572"


def test_xmp_dates() -> None:
    assert parse_xmp_datetime("2005-06-09T20:09:27+02:00").isoformat() == (  # type: ignore[union-attr]
        "2005-06-09T20:09:27+02:00"
    )
    assert parse_xmp_datetime("2011-03-12T15:36:11.00+01:00").isoformat() == (  # type: ignore[union-attr]
        "2011-03-12T15:36:11+01:00"
    )
    assert parse_xmp_datetime("2002-02-02T02:02:02Z").isoformat() == (  # type: ignore[union-attr]
        "2002-02-02T02:02:02+00:00"
    )
    assert parse_xmp_datetime("2009-09-09") is None  # a date alone says nothing of the hour
    assert parse_xmp_datetime("garbage") is None


@given(st.binary(max_size=4096))
def test_parse_xmp_never_raises(packet: bytes) -> None:
    parse_xmp(b"<x:xmpmeta " + packet)


# -- ISO 6709 / QuickTime ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+32.0929+034.8620+028.516/", (32.0929, 34.862, 28.516)),
        ("+51.4169-000.0806/", (51.4169, -0.0806, None)),
        ("-17.0000+179.9000/", (-17.0, 179.9, None)),  # east of the antimeridian
        ("-17.0000-179.9000/", (-17.0, -179.9, None)),  # west of it
        ("+7813.2+01539.0/", (78.22, 15.65, None)),  # DDMM.m form, Svalbard
        ("+781312+0153900/", (78.22, 15.65, None)),  # DDMMSS form
    ],
)
def test_iso6709(text: str, expected: tuple[float, float, float | None]) -> None:
    lat, lon, alt = parse_iso6709(text)
    assert lat == pytest.approx(expected[0])
    assert lon == pytest.approx(expected[1])
    assert alt == (pytest.approx(expected[2]) if expected[2] is not None else None)


@pytest.mark.parametrize("text", ["", "hello", "+12", "N51 W0"])
def test_iso6709_rejects_non_locations(text: str) -> None:
    with pytest.raises(ValueError, match=r"ISO 6709|digits"):
        parse_iso6709(text)


def test_brands() -> None:
    assert brand_format(b"heic", [b"mif1", b"heic"]) == "heic"
    assert brand_format(b"mif1", [b"mif1", b"avif"]) == "avif"
    assert brand_format(b"qt  ", [b"qt  "]) == "mov"
    assert brand_format(b"3gp5", [b"3gp5", b"isom"]) == "3gp"
    assert brand_format(b"isom", [b"isom", b"mp42"]) == "mp4"


def _box(btype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + btype + payload


def _apple_movie(location: str) -> bytes:
    keys_payload = b"\x00\x00\x00\x00" + struct.pack(">I", 2)
    for key in (b"com.apple.quicktime.location.ISO6709", b"com.apple.quicktime.creationdate"):
        keys_payload += struct.pack(">I", 8 + len(key)) + b"mdta" + key
    data1 = _box(b"data", struct.pack(">II", 1, 0) + location.encode())
    data2 = _box(b"data", struct.pack(">II", 1, 0) + b"2024-01-02T03:04:05+0900")
    ilst = _box(b"ilst", _box(struct.pack(">I", 1), data1) + _box(struct.pack(">I", 2), data2))
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 13)
    meta = _box(b"meta", hdlr + _box(b"keys", keys_payload) + ilst)
    mvhd = _box(b"mvhd", b"\x00" * 4 + struct.pack(">I", 3_000_000_000) + b"\x00" * 92)
    ftyp = _box(b"ftyp", b"qt  \x00\x00\x00\x00qt  ")
    return ftyp + _box(b"mdat", b"\x00" * 64) + _box(b"moov", mvhd + meta)


def test_quicktime_keys_location_and_creation_date(tmp_path: Path) -> None:
    path = tmp_path / "clip.mov"
    path.write_bytes(_apple_movie("-33.8568+151.2153+005.000/"))
    meta = read_media(path)
    assert meta.format == "mov"
    assert meta.position_source == "quicktime"
    assert meta.position is not None
    assert (meta.position.lat, meta.position.lon) == (
        pytest.approx(-33.8568),
        pytest.approx(151.2153),
    )
    assert meta.capture_time is not None
    assert meta.capture_time.isoformat() == "2024-01-02T03:04:05+09:00"


def test_quicktime_null_island_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "zero.mov"
    path.write_bytes(_apple_movie("+00.0000+000.0000/"))
    meta = read_media(path)
    assert meta.position is None
    assert any("Null Island" in w for w in meta.warnings)


# -- sidecars -----------------------------------------------------------------------------

XMP_SIDECAR = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'exif:GPSLatitude="64,8.5N" exif:GPSLongitude="21,56.0W"/></rdf:RDF></x:xmpmeta>'
)


def _minimal_jpeg() -> bytes:
    return b"\xff\xd8\xff\xdb\x00\x04\x00\x00\xff\xda\x00\x02\xff\xd9"


def test_image_without_position_takes_its_xmp_sidecar(tmp_path: Path) -> None:
    (tmp_path / "IMG_1.JPG").write_bytes(_minimal_jpeg())
    (tmp_path / "IMG_1.xmp").write_bytes(XMP_SIDECAR)
    meta = read_media(tmp_path / "IMG_1.JPG")
    assert meta.position is not None
    assert meta.position_source == "sidecar"
    assert meta.position.lat == pytest.approx(64 + 8.5 / 60)
    assert meta.position.lon == pytest.approx(-(21 + 56 / 60))


def test_takeout_json_sidecar(tmp_path: Path) -> None:
    (tmp_path / "IMG_2.jpg").write_bytes(_minimal_jpeg())
    doc = {"geoData": {"latitude": -41.2865, "longitude": 174.7762, "altitude": 12.0},
           "photoTakenTime": {"timestamp": "1700000000"}}  # fmt: skip
    (tmp_path / "IMG_2.jpg.json").write_text(json.dumps(doc))
    meta = read_media(tmp_path / "IMG_2.jpg")
    assert meta.position is not None
    assert meta.position_source == "takeout"
    assert (meta.position.lat, meta.position.lon) == (-41.2865, 174.7762)
    assert meta.capture_time is not None
    assert meta.capture_time.timestamp() == 1700000000


def test_takeout_zero_position_is_no_position(tmp_path: Path) -> None:
    (tmp_path / "IMG_3.jpg").write_bytes(_minimal_jpeg())
    doc = {"geoData": {"latitude": 0.0, "longitude": 0.0}}
    (tmp_path / "IMG_3.jpg.json").write_text(json.dumps(doc))
    assert read_media(tmp_path / "IMG_3.jpg").position is None


# -- PNG raw profile, TIFF oddities, errors ---------------------------------------------------


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _gps_tiff(lat: tuple[int, int, int], lat_ref: bytes, lon: tuple[int, int, int],
              lon_ref: bytes) -> bytes:  # fmt: skip
    """A big-endian TIFF with IFD0 -> GPS IFD holding lat/lon (whole degrees, min, sec)."""
    gps_at = 8 + 2 + 12 + 4
    entries = 4
    data_at = gps_at + 2 + 12 * entries + 4
    gps = struct.pack(">H", entries)
    gps += struct.pack(">HHI", 1, 2, 2) + lat_ref[:1] + b"\x00\x00\x00"
    gps += struct.pack(">HHII", 2, 5, 3, data_at)
    gps += struct.pack(">HHI", 3, 2, 2) + lon_ref[:1] + b"\x00\x00\x00"
    gps += struct.pack(">HHII", 4, 5, 3, data_at + 24) + b"\x00" * 4
    values = b"".join(struct.pack(">II", v, 1) for v in (*lat, *lon))
    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", 0x8825, 4, 1, gps_at) + b"\x00" * 4
    return b"MM\x00*" + struct.pack(">I", 8) + ifd0 + gps + values


def test_png_imagemagick_raw_profile_exif(tmp_path: Path) -> None:
    exif = b"Exif\x00\x00" + _gps_tiff((69, 38, 58), b"N", (18, 57, 20), b"E")  # Tromsø
    hexed = exif.hex()
    text = f"\nexif\n{len(exif):8d}\n" + "\n".join(
        hexed[i : i + 72] for i in range(0, len(hexed), 72)
    )
    body = b"Raw profile type exif\x00\x00" + zlib.compress(text.encode())
    png = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", b"\x00" * 13)
           + _png_chunk(b"zTXt", body) + _png_chunk(b"IEND", b""))  # fmt: skip
    path = tmp_path / "magick.png"
    path.write_bytes(png)
    meta = read_media(path)
    assert meta.position is not None
    assert meta.position.lat == pytest.approx(69 + 38 / 60 + 58 / 3600)
    assert meta.position.lon == pytest.approx(18 + 57 / 60 + 20 / 3600)


def test_big_endian_tiff_file_with_southern_western_gps(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    path.write_bytes(_gps_tiff((22, 57, 7), b"S", (43, 12, 38), b"W"))
    meta = read_media(path)
    assert meta.format == "tiff"
    assert meta.position is not None
    assert meta.position.lat < 0
    assert meta.position.lon < 0


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"", "file is empty"), (b"just some text, not a photo", "not an image format")],
)
def test_unreadable_files_give_error_records(tmp_path: Path, content: bytes, error: str) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    meta = read_media(path, display_path="shown/bad.jpg")
    assert meta.path == "shown/bad.jpg"
    assert meta.error is not None
    assert meta.error.startswith(error)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert read_media(tmp_path / "nope.jpg").error == "file not found"
    assert read_media(tmp_path).error is not None


def test_sniffing_ignores_extensions() -> None:
    assert sniff_format(b"\xff\xd8\xff\xe0", ".png") == "jpeg"
    assert sniff_format(b"II*\x00", ".nef") == "nef"
    assert sniff_format(b"II*\x00", ".tif") == "tiff"
    assert sniff_format(b"\x00\x00\x00\x18ftypheic", ".jpg") == "isobmff"


def test_pillow_fallback_reads_the_same_position(shared_media: Path) -> None:
    path = shared_media / "mde_apple_iphone4.jpg"
    ours, pillow = read_media(path), read_media_pillow(path)
    assert ours.position == pillow.position
    assert pillow.position is not None


# -- GoPro GPMF ----------------------------------------------------------------------------


def _klv(key: bytes, vtype: bytes, size: int, repeat: int, body: bytes) -> bytes:
    padded = body + b"\x00" * (-len(body) % 4)
    return key + vtype + bytes([size]) + struct.pack(">H", repeat) + padded


def _gopro_movie(lat: float, lon: float, fix: int) -> bytes:
    gps5 = struct.pack(">5i", round(lat * 1e7), round(lon * 1e7), 123456, 0, 0)
    strm = (
        _klv(b"GPSF", b"L", 4, 1, struct.pack(">I", fix))
        + _klv(b"GPSU", b"U", 16, 1, b"240315083000.500")
        + _klv(b"GPSP", b"S", 2, 1, struct.pack(">H", 150))
        + _klv(b"SCAL", b"l", 4, 5, struct.pack(">5i", 10_000_000, 10_000_000, 1000, 1000, 100))
        + _klv(b"GPS5", b"l", 20, 1, gps5)
    )
    strm_klv = _klv(b"STRM", b"\x00", 1, len(strm), strm)
    sample = _klv(b"DEVC", b"\x00", 1, len(strm_klv), strm_klv)
    ftyp = _box(b"ftyp", b"mp41\x00\x00\x00\x00mp41")
    mdat = _box(b"mdat", sample)
    sample_offset = len(ftyp) + 8
    stsd = _box(b"stsd", b"\x00" * 4 + struct.pack(">I", 1) + _box(b"gpmd", b"\x00" * 8))
    stco = _box(b"stco", b"\x00" * 4 + struct.pack(">II", 1, sample_offset))
    stsz = _box(b"stsz", b"\x00" * 4 + struct.pack(">III", 0, 1, len(sample)))
    stbl = _box(b"stbl", stsd + stco + stsz)
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"meta" + b"\x00" * 13)
    trak = _box(b"trak", _box(b"mdia", hdlr + _box(b"minf", stbl)))
    mvhd = _box(b"mvhd", b"\x00" * 100)
    return ftyp + mdat + _box(b"moov", mvhd + trak)


def test_gopro_gpmf_first_fix(tmp_path: Path) -> None:
    path = tmp_path / "GX010001.MP4"
    path.write_bytes(_gopro_movie(-54.8019, -68.3030, fix=3))  # Ushuaia: south and west
    meta = read_media(path)
    assert meta.position_source == "gpmf"
    assert meta.position is not None
    assert meta.position.lat == pytest.approx(-54.8019)
    assert meta.position.lon == pytest.approx(-68.3030)
    assert meta.alt_m == pytest.approx(123.456)
    assert meta.gps_time is not None
    assert meta.gps_time.isoformat() == "2024-03-15T08:30:00.500000+00:00"
    assert meta.accuracy_m == pytest.approx(7.5)


def test_gopro_gpmf_without_fix_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "GX010002.MP4"
    path.write_bytes(_gopro_movie(51.5, -0.1, fix=0))
    meta = read_media(path)
    assert meta.position is None
    assert any("no fix" in w for w in meta.warnings)


def test_a_fifo_named_like_a_photo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    assert read_media(fifo).error == "not a regular file"


# -- Canon CR3 -----------------------------------------------------------------------------


def _tiff_ifd(entries: list[tuple[int, int, int, bytes]], base: int = 8) -> bytes:
    """A little-endian TIFF whose first IFD (at `base`) holds `entries` (tag, type, count,
    inline value or data)."""
    data_at = base + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    blob = b""
    for tag, typ, count, value in entries:
        if len(value) <= 4:
            ifd += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\x00")
        else:
            ifd += struct.pack("<HHII", tag, typ, count, data_at + len(blob))
            blob += value
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 4 + blob


def test_canon_cr3_cmt_boxes(tmp_path: Path) -> None:
    cmt1 = _tiff_ifd([(0x010F, 2, 6, b"Canon\x00"), (0x0110, 2, 9, b"EOS R5 C\x00")])
    cmt2 = _tiff_ifd([(0x9003, 2, 20, b"2024:06:01 07:30:00\x00"), (0xA431, 2, 7, b"123456\x00")])
    dms = lambda d, m, s: struct.pack("<6I", d, 1, m, 1, s, 1)  # noqa: E731
    cmt4 = _tiff_ifd(
        [
            (1, 2, 2, b"N\x00"),
            (2, 5, 3, dms(78, 13, 12)),
            (3, 2, 2, b"W\x00"),
            (4, 5, 3, dms(179, 54, 0)),
        ]
    )
    uuid = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
    canon = _box(b"uuid", uuid + _box(b"CMT1", cmt1) + _box(b"CMT2", cmt2) + _box(b"CMT4", cmt4))
    movie = _box(b"ftyp", b"crx \x00\x00\x00\x01crx isom") + _box(b"moov", canon)
    path = tmp_path / "IMG_0001.CR3"
    path.write_bytes(movie)
    meta = read_media(path)
    assert meta.format == "cr3"
    assert (meta.make, meta.model, meta.serial) == ("Canon", "EOS R5 C", "123456")
    assert meta.capture_time is not None
    assert meta.capture_time.isoformat() == "2024-06-01T07:30:00"
    assert meta.position is not None
    assert meta.position.lat == pytest.approx(78.22)
    assert meta.position.lon == pytest.approx(-179.9)  # west of the antimeridian


def test_void_gps_status_keeps_the_position_with_a_warning(tmp_path: Path) -> None:
    """GPSStatus 'V': the receiver had no current fix; exiftool reports the position too."""
    gps_entries = [(1, 2, 2, b"N\x00"), (2, 5, 3, struct.pack("<6I", 60, 1, 10, 1, 0, 1)),
                   (3, 2, 2, b"E\x00"), (4, 5, 3, struct.pack("<6I", 24, 1, 56, 1, 0, 1)),
                   (9, 2, 2, b"V\x00")]  # fmt: skip
    gps_ifd = _tiff_ifd(gps_entries)[8:]  # the IFD and its data, offsets relative to 8
    # IFD0 with a single GPS pointer; the GPS IFD follows it, so shift its data offsets
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8825, 4, 1, 26) + b"\x00" * 4
    shifted = _tiff_ifd(gps_entries, base=26)[8:]
    assert len(shifted) == len(gps_ifd)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd0 + shifted
    app1 = b"Exif\x00\x00" + tiff
    jpeg = b"\xff\xd8\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + b"\xff\xda\x00\x02"
    path = tmp_path / "void.jpg"
    path.write_bytes(jpeg)
    meta = read_media(path)
    assert meta.position is not None
    assert meta.position.lat == pytest.approx(60 + 10 / 60)
    assert any("void" in w for w in meta.warnings)


def test_damaged_signature_is_read_by_extension(shared_media: Path, tmp_path: Path) -> None:
    data = bytearray((shared_media / "mde_apple_iphone4.jpg").read_bytes())
    data[0] = 0xFB  # one flipped bit in the SOI marker
    path = tmp_path / "damaged.jpg"
    path.write_bytes(bytes(data))
    meta = read_media(path)
    assert meta.position is not None
    assert any("signature is damaged" in w for w in meta.warnings)


def test_broken_jpeg_segment_chain_still_finds_the_exif(shared_media: Path, tmp_path: Path) -> None:
    data = bytearray((shared_media / "mde_sony_dsc-hx5v.jpg").read_bytes())
    data[2] = 0xFD  # the first marker after SOI is damaged: the chain cannot be walked
    path = tmp_path / "broken.jpg"
    path.write_bytes(bytes(data))
    meta = read_media(path)
    assert meta.position is not None
    assert meta.position.lat == pytest.approx(51.7786150, abs=1e-6)
    assert any("found by searching" in w for w in meta.warnings)
