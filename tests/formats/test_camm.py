"""Google CAMM telemetry: packets as the spec lays them out, movies with a `camm` track read
by geoleak and by exiftool -ee (when installed), random bytes, and scrub's refusal.

No real CAMM video under a licence that allows copying was found in the public test suites
searched (mapillary_tools, gpmf-parser, exiftool's, DJI_SRT_Parser's); the movies here are
built from the spec, and exiftool is the independent reader they are checked against.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.extract.media import read_media
from geoleak.formats.camm import GPS_EPOCH_OFFSET_S, PACKET_SIZES, camm_fixes, camm_time

EXIFTOOL = shutil.which("exiftool")


def type5(lat: float, lon: float, alt: float) -> bytes:
    return struct.pack("<HH3d", 0, 5, lat, lon, alt)


def type6(unix_s: float, fix: int, lat: float, lon: float, alt: float, acc: float = 3.5) -> bytes:
    return struct.pack("<HHdidd7f", 0, 6, unix_s, fix, lat, lon, alt, acc, 5.0, 0.1, 0.2, 0.0, 0.5)


def gyro() -> bytes:
    return struct.pack("<HH3f", 0, 2, 0.01, 0.02, 0.03)


def _box(btype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + btype + body


def camm_movie(
    samples: list[bytes], created: datetime | None = None, xyz: str | None = None
) -> bytes:
    """An MP4 whose one track is a `camm` track, a sample per chunk, and optionally ©xyz."""
    ftyp = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    base = len(ftyp) + 8
    offsets, offset = [], base
    for sample in samples:
        offsets.append(offset)
        offset += len(sample)
    mdat = _box(b"mdat", b"".join(samples))
    seconds = (
        0
        if created is None
        else int((created - datetime(1904, 1, 1, tzinfo=timezone.utc)).total_seconds())
    )
    mvhd = _box(
        b"mvhd", b"\x00" * 4 + struct.pack(">IIII", seconds, seconds, 1000, 1000) + b"\x00" * 80
    )
    stsd = _box(
        b"stsd", b"\x00" * 4 + struct.pack(">I", 1) + _box(b"camm", b"\x00" * 6 + b"\x00\x01")
    )
    stts = _box(b"stts", b"\x00" * 4 + struct.pack(">III", 1, len(samples), 1000))
    stsc = _box(b"stsc", b"\x00" * 4 + struct.pack(">IIII", 1, 1, 1, 1))
    stco = _box(b"stco", b"\x00" * 4 + struct.pack(f">I{len(offsets)}I", len(offsets), *offsets))
    sizes = [len(s) for s in samples]
    stsz = _box(b"stsz", b"\x00" * 4 + struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes))
    stbl = _box(b"stbl", stsd + stts + stsc + stco + stsz)
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"camm" + b"\x00" * 12 + b"CameraMetadataMotionHandler\x00")
    mdhd = _box(
        b"mdhd",
        b"\x00" * 4
        + struct.pack(">IIII", seconds, seconds, 1000, len(samples) * 1000)
        + b"\x00" * 4,
    )
    minf = _box(b"minf", _box(b"nmhd", b"\x00" * 4) + stbl)
    trak = _box(b"trak", _box(b"mdia", mdhd + hdlr + minf))
    udta = b""
    if xyz is not None:
        raw = xyz.encode("ascii")
        udta = _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(raw), 0x15C7) + raw))
    return ftyp + mdat + _box(b"moov", mvhd + trak + udta)


def test_packets_by_the_spec() -> None:
    sample = (
        gyro() + type6(1_700_000_000.25, 3, 69.6489, 18.9551, 12.5) + type5(-41.29, 174.78, 3.0)
    )
    fixes = camm_fixes(sample)
    assert [(f.packet_type, f.lat, f.lon) for f in fixes] == [
        (6, 69.6489, 18.9551),
        (5, -41.29, 174.78),
    ]
    assert fixes[0].fix_type == 3 and fixes[0].accuracy_m == 3.5
    assert fixes[0].alt_m == pytest.approx(12.5)
    assert camm_fixes(sample[:-1]) == fixes[:1]  # a clipped packet ends the walk
    assert camm_fixes(struct.pack("<HH", 0, 9) + type5(1.0, 2.0, 3.0)) == []  # unknown type
    assert sorted(PACKET_SIZES) == list(range(8))


def test_time_is_read_as_exiftool_reads_it() -> None:
    unix = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
    created = datetime(2023, 11, 14, 22, 13, 0, tzinfo=timezone.utc)
    assert camm_time(unix, created) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    gps = unix - GPS_EPOCH_OFFSET_S  # the spec's GPS epoch: ten years less
    assert camm_time(gps, created) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert camm_time(gps, None) == datetime(2013, 11, 9, 22, 13, 20, tzinfo=timezone.utc)
    assert camm_time(0.0, created) is None and camm_time(float("nan"), None) is None


def test_a_camm_video_gives_its_whole_track_across_the_antimeridian(tmp_path: Path) -> None:
    # A ferry leaving Taveuni, Fiji eastward over 180 deg: a fix a second for 10 min, ~8 m/s
    start = 1_700_000_000.0
    samples = []
    for second in range(600):
        lon = 179.98 + second * 0.000075
        lon = lon - 360.0 if lon > 180.0 else lon
        samples.append(gyro() + type6(start + second, 3, -16.8, lon, 5.0))
    created = datetime(2023, 11, 14, 22, 13, 0, tzinfo=timezone.utc)
    path = tmp_path / "VID_20231114.mp4"
    path.write_bytes(camm_movie(samples, created, xyz="-16.8000+179.9800/"))
    meta = read_media(path)
    assert meta.position_source == "camm"  # the fix, not the rounded ©xyz
    assert meta.position is not None
    assert (meta.position.lat, meta.position.lon) == (-16.8, 179.98)
    assert meta.accuracy_m == 3.5
    assert meta.gps_time == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert meta.track_fixes == 600
    assert {p.position.lon > 0 for p in meta.track} == {True, False}
    assert 40 <= len(meta.track) <= 55  # ~4.8 km, a point per 100 m, and the last fix
    assert meta.track[-1].time_utc == datetime(2023, 11, 14, 22, 23, 19, tzinfo=timezone.utc)


def test_no_fix_is_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "nofix.mp4"
    path.write_bytes(camm_movie([type6(1_700_000_000.0, 0, 0.0, 0.0, 0.0)] * 3))
    meta = read_media(path)
    assert meta.position is None
    assert [w for w in meta.warnings if "CAMM" in w] == [
        "CAMM: GPS reports no fix; position ignored"
    ]


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
def test_geoleak_reads_what_exiftool_reads(tmp_path: Path) -> None:
    created = datetime(2024, 6, 1, 9, 0, 0, tzinfo=timezone.utc)
    gps_epoch_time = created.timestamp() + 30 - GPS_EPOCH_OFFSET_S  # as the spec says
    samples = [type5(78.2232, 15.6469, 40.0), type6(gps_epoch_time, 3, 78.2240, 15.6500, 41.5)]
    path = tmp_path / "theta.mp4"
    path.write_bytes(camm_movie(samples, created))
    run = subprocess.run(
        [EXIFTOOL, "-ee", "-n", "-j", "-GPSLatitude", "-GPSLongitude", "-GPSDateTime", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(run.stdout)
    assert rows[0]["GPSLatitude"] == pytest.approx(78.2232)  # exiftool: the first sample
    assert rows[0]["GPSLongitude"] == pytest.approx(15.6469)
    meta = read_media(path)
    assert meta.position is not None
    assert (meta.position.lat, meta.position.lon) == pytest.approx((78.2232, 15.6469))
    last = meta.track[-1]
    assert (last.position.lat, last.position.lon) == pytest.approx((78.2240, 15.6500))
    # exiftool's GPSDateTime of the type 6 sample, its -ee3 reading of every sample
    every = subprocess.run(
        [EXIFTOOL, "-ee3", "-n", "-p", "$GPSLatitude $GPSLongitude $GPSDateTime", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    assert "78.224 15.65 2024:06:01 09:00:30Z" in every
    assert last.time_utc == datetime(2024, 6, 1, 9, 0, 30, tzinfo=timezone.utc)


def test_scrub_refuses_a_camm_video_it_cannot_clean(tmp_path: Path) -> None:
    from geoleak.remedy.audit import audit
    from geoleak.remedy.scrub import scrub_paths

    src = tmp_path / "in"
    src.mkdir()
    (src / "VID_1.mp4").write_bytes(camm_movie([type5(48.8584, 2.2945, 35.0)]))
    report = audit([src])
    assert any(f.position is not None for f in report.files)
    out = tmp_path / "out"
    result = scrub_paths([src], out)
    assert not (out / "VID_1.mp4").exists()
    (outcome,) = result.failed
    assert outcome.error is not None and "timed" in outcome.error and "camm" in outcome.error


@given(st.binary(max_size=600))
@settings(max_examples=300, deadline=None)
def test_random_bytes_never_raise(data: bytes) -> None:
    for fix in camm_fixes(data):
        assert fix.packet_type in (5, 6)


@given(
    st.lists(
        st.one_of(
            st.builds(type5, st.floats(-90, 90), st.floats(-180, 180), st.floats(-500, 9000)),
            st.builds(
                type6,
                st.floats(1e9, 2e9),
                st.integers(1, 3),
                st.floats(-90, 90),
                st.floats(-180, 180),
                st.floats(-500, 9000),
            ),
            st.just(gyro()),
        ),
        max_size=12,
    )
)
@settings(max_examples=200, deadline=None)
def test_packets_round_trip(packets: list[bytes]) -> None:
    fixes = camm_fixes(b"".join(packets))
    expected = [p for p in packets if p[2] in (5, 6)]
    assert len(fixes) == len(expected)
    for fix, raw in zip(fixes, expected, strict=True):
        if raw[2] == 5:
            assert (fix.lat, fix.lon) == struct.unpack_from("<2d", raw, 4)
        else:
            assert (fix.lat, fix.lon) == struct.unpack_from("<2d", raw, 16)
