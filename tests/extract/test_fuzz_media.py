"""Fuzzing the metadata readers with mutated real files (hypothesis, bounded).

Each example takes a real sample (its first 96 KB, where the metadata lives), mutates it
(byte flips, 0x00/0xFF words written over offsets and lengths, truncation, insertions,
block duplication) and reads it. The reader must never raise, never fall back to Pillow
because one of its own parsers failed, and never report an out-of-range position or
(0, 0). The budget (examples per format) keeps this file well under a minute.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media_data import require

from geoleak.extract.media import read_media
from geoleak.types import MediaMeta

SAMPLES = [
    "exiftool_apple_iphone7.jpg",  # JPEG EXIF + GPS
    "mde_nikon_d5000_empty_exif_gps.jpg",  # EXIF + XMP position
    "mde_flir_iphone_device_flir_gps_only.jpg",  # FLIR records
    "pheif_apple_iphonexs.heic",  # HEIC iinf/iloc
    "synth_exifpy_olympus_avif_gps_south_east.avif",
    "synth_exiftool_png_gps_south_west.png",
    "mde_apple_iphonex_issue473.webp",
    "exifpy_lab308_smart_pilot_cam.jxl",
    "synth_exiftool_dng_gps_below_sea_level.dng",
    "mde_apple_iphone6_with_gps.mov",  # QuickTime keys (moov at the end)
    "mde_flir_thermal_loci.mp4",  # 3GPP loci
    "mde_digikam_sidecar.xmp",
    "synthetic_gopro.mp4",  # GoPro GPMF (built here: the real samples are too large)
]
HEAD = 96 * 1024
EXAMPLES_PER_SAMPLE = 120


def _box(btype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + btype + payload


def _klv(key: bytes, vtype: bytes, size: int, repeat: int, body: bytes) -> bytes:
    return (
        key + vtype + bytes([size]) + struct.pack(">H", repeat) + body + b"\x00" * (-len(body) % 4)
    )


def _synthetic_gopro() -> bytes:
    """A minimal GoPro MP4: a gpmd track whose first sample holds a GPS5 fix."""
    strm = (
        _klv(b"GPSF", b"L", 4, 1, struct.pack(">I", 3))
        + _klv(b"GPSU", b"U", 16, 1, b"240315083000.500")
        + _klv(b"SCAL", b"l", 4, 5, struct.pack(">5i", 10**7, 10**7, 1000, 1000, 100))
        + _klv(b"GPS5", b"l", 20, 2, struct.pack(">5i", 515000000, -1000000, 5, 0, 0) * 2)
    )
    sample = _klv(b"DEVC", b"\x00", 1, len(strm) + 8, _klv(b"STRM", b"\x00", 1, len(strm), strm))
    ftyp = _box(b"ftyp", b"mp41\x00\x00\x00\x00mp41")
    stsd = _box(b"stsd", b"\x00" * 4 + struct.pack(">I", 1) + _box(b"gpmd", b"\x00" * 8))
    stco = _box(b"stco", b"\x00" * 4 + struct.pack(">II", 1, len(ftyp) + 8))
    stsz = _box(b"stsz", b"\x00" * 4 + struct.pack(">III", 0, 1, len(sample)))
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"meta" + b"\x00" * 13)
    stbl = _box(b"stbl", stsd + stco + stsz)
    trak = _box(b"trak", _box(b"mdia", hdlr + _box(b"minf", stbl)))
    return ftyp + _box(b"mdat", sample) + _box(b"moov", _box(b"mvhd", b"\x00" * 100) + trak)


def _sample_bytes(shared_media: Path, name: str) -> bytes:
    if name == "synthetic_gopro.mp4":
        return _synthetic_gopro()
    (path,) = require(shared_media, name)
    data = path.read_bytes()
    if len(data) <= HEAD:
        return data
    if name.endswith((".mov", ".mp4")):
        return data[:4096] + data[-HEAD:]  # keep the moov box, which is at the end
    return data[:HEAD]


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**31), st.integers(1, 255)),
    st.tuples(
        st.just("word"),
        st.integers(0, 2**31),
        st.sampled_from(
            [
                b"\xff\xff\xff\xff",
                b"\x00\x00\x00\x00",
                b"\x7f\xff\xff\xff",
                b"\x00\x00\x00\x01",
                b"\x00\x00\xff\xff",
                b"\x80\x00\x00\x00",
            ]
        ),
    ),
    st.tuples(st.just("truncate"), st.integers(0, 2**31), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 2**31), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("duplicate"), st.integers(0, 2**31), st.integers(1, 512)),
)


def _mutate(data: bytes, steps: list[tuple[str, int, object]], hot: int) -> bytes:
    buf = bytearray(data)
    for kind, where, arg in steps:
        if not buf:
            break
        # most mutations hit the metadata region at the start of the file
        pos = where % min(len(buf), hot) if where % 4 else where % len(buf)
        if kind == "flip":
            buf[pos] ^= int(arg)  # type: ignore[call-overload]
        elif kind == "word":
            word = bytes(arg)  # type: ignore[call-overload]
            buf[pos : pos + 4] = word[: max(0, len(buf) - pos)]
        elif kind == "truncate":
            del buf[max(1, pos) :]
        elif kind == "insert":
            buf[pos:pos] = bytes(arg)  # type: ignore[call-overload]
        elif kind == "duplicate":
            buf[pos:pos] = buf[pos : pos + int(arg)]  # type: ignore[call-overload]
    return bytes(buf)


def _check(meta: MediaMeta) -> None:
    assert isinstance(meta, MediaMeta)
    assert not any(w.startswith("geoleak's reader failed") for w in meta.warnings), meta.warnings
    if meta.position is not None:
        lat, lon = meta.position.lat, meta.position.lon
        assert math.isfinite(lat)
        assert math.isfinite(lon)
        assert -90 <= lat <= 90
        assert -180 <= lon <= 180
        assert not (abs(lat) < 1e-7 and abs(lon) < 1e-7)
    if meta.alt_m is not None:
        assert math.isfinite(meta.alt_m)
    if meta.direction_deg is not None:
        assert 0 <= meta.direction_deg < 360


@pytest.mark.parametrize("name", SAMPLES)
def test_mutated_files_never_crash_or_mislocate(
    name: str, shared_media: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    original = _sample_bytes(shared_media, name)
    target = tmp_path_factory.mktemp("fuzz") / f"mutant{Path(name).suffix}"
    # the unmutated head must still be readable without a reader failure
    target.write_bytes(original)
    _check(read_media(target))

    @settings(
        max_examples=EXAMPLES_PER_SAMPLE, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )  # fmt: skip
    @given(
        steps=st.lists(mutation, min_size=1, max_size=6), hot=st.sampled_from([512, 4096, 65536])
    )
    def run(steps: list[tuple[str, int, object]], hot: int) -> None:
        target.write_bytes(_mutate(original, steps, hot))
        _check(read_media(target))

    run()


@given(st.binary(max_size=2048), st.sampled_from(
    [b"\xff\xd8\xff\xe1", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*",
     b"\x00\x00\x00\x18ftypheic", b"\x00\x00\x00\x14ftypqt  ", b"RIFF\x00\x10\x00\x00WEBP",
     b"\x00\x00\x00\x0cJXL \r\n\x87\n", b"<x:xmpmeta "]))  # fmt: skip
@settings(max_examples=400, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
def test_random_bytes_behind_a_valid_signature(
    tmp_path_factory: pytest.TempPathFactory, body: bytes, magic: bytes
) -> None:
    target = tmp_path_factory.getbasetemp() / "random.bin"
    target.write_bytes(magic + body)
    _check(read_media(target))


def test_gps_ifd_with_absurd_values_gives_warnings_not_positions(tmp_path: Path) -> None:
    """Hand-built EXIF: latitude 4294967295 as LONG, huge counts, offsets past the end."""
    entries = [
        (1, 2, 2, b"N\x00\x00\x00"),  # GPSLatitudeRef
        (2, 4, 1, struct.pack("<I", 4294967295)),  # GPSLatitude as one LONG
        (3, 2, 2, b"E\x00\x00\x00"),
        (4, 5, 0x7FFFFFFF, struct.pack("<I", 0xFFFFFF00)),  # count and offset absurd
    ]
    gps = (
        struct.pack("<H", len(entries))
        + b"".join(
            struct.pack("<HHI", tag, typ, count) + value for tag, typ, count, value in entries
        )
        + b"\x00\x00\x00\x00"
    )
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8825, 4, 1, 26) + b"\x00" * 4
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd0 + gps
    app1 = b"Exif\x00\x00" + tiff
    jpeg = b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + b"\xff\xd9"
    path = tmp_path / "absurd.jpg"
    path.write_bytes(jpeg)
    meta = read_media(path)
    _check(meta)
    assert meta.position is None
    assert meta.warnings
