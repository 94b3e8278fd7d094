"""GoPro videos: every GPS stream (GPS5, GPS9, GPRI, GLPI) of every GPMF sample, checked against exiftool -ee.

The real samples (gopro/gpmf-parser) are read from tests/data/real (a copy holding only the
`moov` and the GPMF samples, see tests/data/SOURCES.md) or ../shared/testdata/real. The synthetic movie puts the first fix in a later sample.
"""

from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from media_data import real_file

from geoleak.extract.evidence import timed
from geoleak.extract.media import read_media
from geoleak.types import LatLon, LocalTimeBasis


def _real(name: str) -> Path:
    """The real sample, or its bundled copy with the GPMF samples only (same metadata)."""
    return real_file("video", "gopro", name, bundled_as=f"gpmfonly_{name}")


def test_karma_gpri_stream_gives_the_position_exiftool_reads() -> None:
    meta = read_media(_real("karma.mp4"))
    assert meta.position_source == "gpmf"
    assert meta.position is not None
    # exiftool -ee: 33 deg 7' 31.33" N, 117 deg 19' 51.84" W (33.12537, -117.33107)
    assert meta.position.lat == pytest.approx(33.12537, abs=2e-5)
    assert meta.position.lon == pytest.approx(-117.33107, abs=2e-5)
    assert not any("first sample" in w or "no GPS" in w for w in meta.warnings)


def _box(btype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + btype + body


def _klv(key: bytes, vtype: bytes, size: int, repeat: int, body: bytes) -> bytes:
    return (
        key + vtype + bytes([size]) + struct.pack(">H", repeat) + body + b"\x00" * (-len(body) % 4)
    )


def _sample(fix: int, lat: float, lon: float) -> bytes:
    strm = (
        _klv(b"GPSF", b"L", 4, 1, struct.pack(">I", fix))
        + _klv(b"GPSU", b"U", 16, 1, b"240315083001.000")
        + _klv(b"SCAL", b"l", 4, 5, struct.pack(">5i", 10**7, 10**7, 1000, 1000, 100))
        + _klv(
            b"GPS5", b"l", 20, 1, struct.pack(">5i", round(lat * 1e7), round(lon * 1e7), 0, 0, 0)
        )
    )
    strm_klv = _klv(b"STRM", b"\x00", 1, len(strm), strm)
    return _klv(b"DEVC", b"\x00", 1, len(strm_klv), strm_klv)


def _mvhd(created: datetime | None) -> bytes:
    seconds = 0 if created is None else int((created - datetime(1904, 1, 1)).total_seconds())
    return _box(b"mvhd", b"\x00" * 4 + struct.pack(">I", seconds) + b"\x00" * 92)


def _movie(samples: list[bytes], per_chunk: int, created: datetime | None = None) -> bytes:
    """A GPMF track whose samples sit `per_chunk` to a chunk (stsc), sizes in stsz."""
    ftyp = _box(b"ftyp", b"mp41\x00\x00\x00\x00mp41")
    payload = b"".join(samples)
    base = len(ftyp) + 8
    sizes = [len(s) for s in samples]
    chunk_offsets = []
    offset = base
    for i, size in enumerate(sizes):
        if i % per_chunk == 0:
            chunk_offsets.append(offset)
        offset += size
    stsd = _box(b"stsd", b"\x00" * 4 + struct.pack(">I", 1) + _box(b"gpmd", b"\x00" * 8))
    stsc = _box(b"stsc", b"\x00" * 4 + struct.pack(">IIII", 1, 1, per_chunk, 1))
    stco = _box(b"stco", b"\x00" * 4 + struct.pack(f">I{len(chunk_offsets)}I",
                                                   len(chunk_offsets), *chunk_offsets))  # fmt: skip
    stsz = _box(b"stsz", b"\x00" * 4 + struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes))
    stbl = _box(b"stbl", stsd + stsc + stco + stsz)
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"meta" + b"\x00" * 13)
    trak = _box(b"trak", _box(b"mdia", hdlr + _box(b"minf", stbl)))
    return ftyp + _box(b"mdat", payload) + _box(b"moov", _mvhd(created) + trak)


@pytest.mark.parametrize("per_chunk", [1, 2, 3])
def test_first_fix_in_a_later_sample_is_found(tmp_path: Path, per_chunk: int) -> None:
    samples = [_sample(0, 0.0, 0.0), _sample(0, 0.0, 0.0), _sample(3, 64.1355, -21.8954),
               _sample(3, 64.2, -21.9)]  # fmt: skip
    path = tmp_path / "GX010003.MP4"
    path.write_bytes(_movie(samples, per_chunk))
    meta = read_media(path)
    assert meta.position is not None
    assert (meta.position.lat, meta.position.lon) == pytest.approx((64.1355, -21.8954))
    assert meta.gps_time is not None and meta.gps_time.isoformat().startswith("2024-03-15T08:30:01")
    assert not any("fix" in w for w in meta.warnings)


def test_no_fix_in_any_sample_is_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "GX010004.MP4"
    path.write_bytes(_movie([_sample(0, 51.5, -0.1)] * 3, 2))
    meta = read_media(path)
    assert meta.position is None
    assert [w for w in meta.warnings if "GPMF" in w] == [
        "GoPro GPMF: GPS reports no fix (GPSF 0); position ignored"
    ]


def test_max_local_creation_time_gets_its_offset_from_gps_time() -> None:
    meta = read_media(_real("max-heromode.mp4"))
    # exiftool: CreateDate 2019:11:18 15:45:32 (local, written where QuickTime says UTC);
    # GPSDateTime 2019:11:18 23:45:14 UTC: the camera clock is 8 h behind UTC
    assert meta.capture_time is not None and meta.offset_from_gps
    assert meta.capture_time.utcoffset() == timedelta(hours=-8)
    assert meta.capture_time.astimezone(timezone.utc) == datetime(
        2019, 11, 18, 23, 45, 32, tzinfo=timezone.utc
    )
    utc, local, basis, _ = timed(
        LatLon(33.1268, -117.3273), capture_time=meta.capture_time, posted_at=None,
        tz_lookup=lambda _: None, offset_from_gps=meta.offset_from_gps,
    )  # fmt: skip
    assert basis is LocalTimeBasis.GPS_OFFSET
    assert local == datetime(2019, 11, 18, 15, 45, 32)
    assert utc == datetime(2019, 11, 18, 23, 45, 32, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("created", "offset_h"),
    [
        (datetime(2024, 3, 15, 17, 59, 40), 9.5),  # local clock, Adelaide-like +9:30
        (datetime(2024, 3, 14, 20, 29, 50), -12.0),  # local clock west of the date line
        (datetime(2024, 3, 15, 8, 29, 50), None),  # a clock on UTC, as the spec says
        (datetime(2024, 3, 15, 11, 8, 0), None),  # 2 h 38 min off: 7 min from a quarter
    ],
)
def test_creation_time_offset_against_gps_time(
    tmp_path: Path, created: datetime, offset_h: float | None
) -> None:
    path = tmp_path / "GX010005.MP4"
    path.write_bytes(_movie([_sample(3, -34.93, 138.6)], 1, created))
    meta = read_media(path)  # GPS time 2024-03-15 08:30:01 UTC
    assert meta.capture_time is not None
    if offset_h is None:
        assert not meta.offset_from_gps
        assert meta.capture_time == created.replace(tzinfo=timezone.utc)
    else:
        assert meta.offset_from_gps
        assert meta.capture_time.utcoffset() == timedelta(hours=offset_h)
        assert meta.capture_time.replace(tzinfo=None) == created


# exiftool -ee -n -p '$GPSLatitude $GPSLongitude $GPSDateTime': the last GPS entry of each file
EXIFTOOL_LAST = {
    "karma.mp4": (33.1260123, -117.3314792, None),  # GPRI: camera-clock times only
    "max-heromode.mp4": (
        33.1266674, -117.3272734, datetime(2019, 11, 18, 23, 45, 25, 435000, tzinfo=timezone.utc)
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXIFTOOL_LAST))
def test_whole_track_is_read_to_its_last_fix(name: str) -> None:
    meta = read_media(_real(name))
    lat, lon, when = EXIFTOOL_LAST[name]
    assert meta.track, "no track"
    assert meta.track[0].position == meta.position
    last = meta.track[-1]
    assert (last.position.lat, last.position.lon) == pytest.approx((lat, lon), abs=1e-7)
    assert last.time_utc == when
    # every entry of every sample, not one per sample as exiftool -ee prints (12 / 11 rows)
    assert meta.track_fixes > 12
    assert len(meta.track) <= meta.track_fixes


def test_gpmf_fix_replaces_the_rounded_quicktime_position() -> None:
    meta = read_media(_real("max-heromode.mp4"))
    # exiftool: GPSCoordinates (udta ©xyz) 33.1268 -117.3273, four decimals; GPMF: the fix
    assert meta.position_source == "gpmf"
    assert meta.position is not None
    assert meta.position.lat != pytest.approx(33.1268, abs=1e-6)
    assert meta.position.lat == pytest.approx(33.1268, abs=2e-4)
    assert meta.accuracy_m is not None


def _udta_xyz(text: str) -> bytes:
    raw = text.encode("ascii")
    return _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(raw), 0x15C7) + raw))


def _sample_at(lat: float, lon: float, gpsu: str) -> bytes:
    strm = (
        _klv(b"GPSF", b"L", 4, 1, struct.pack(">I", 3))
        + _klv(b"GPSU", b"U", 16, 1, gpsu.encode("ascii"))
        + _klv(b"SCAL", b"l", 4, 5, struct.pack(">5i", 10**7, 10**7, 1000, 1000, 100))
        + _klv(
            b"GPS5", b"l", 20, 1, struct.pack(">5i", round(lat * 1e7), round(lon * 1e7), 0, 0, 0)
        )
    )
    strm_klv = _klv(b"STRM", b"\x00", 1, len(strm), strm)
    return _klv(b"DEVC", b"\x00", 1, len(strm_klv), strm_klv)


def test_a_moving_video_gives_a_thinned_track_across_the_antimeridian(tmp_path: Path) -> None:
    from geoleak.extract.evidence import evidence_from_post
    from geoleak.types import EvidenceSource, Post

    # A boat off Taveuni (Fiji) crossing 180 deg: one fix a second for 20 min, ~4 m a
    # second, then 5 min adrift on the spot. 1,500 fixes; a kept fix every 100 m (25 s).
    samples = []
    start = datetime(2024, 3, 15, 8, 0, 0)
    for second in range(1500):
        moving = min(second, 1200)
        lon = 179.99 + moving * 0.00004  # ~4 m a second at 16.8 S
        lon = lon - 360.0 if lon > 180.0 else lon
        stamp = (start + timedelta(seconds=second)).strftime("%y%m%d%H%M%S") + ".000"
        samples.append(_sample_at(-16.8, lon, stamp))
    movie = _movie(samples, 50)
    moov = movie.rindex(b"moov") - 4
    body = movie[moov + 8 :] + _udta_xyz("-16.8000+179.9900/")
    path = tmp_path / "GX010006.MP4"
    path.write_bytes(movie[:moov] + struct.pack(">I", 8 + len(body)) + b"moov" + body)
    meta = read_media(path)
    assert meta.position_source == "gpmf"  # not the ©xyz record read before the telemetry
    assert meta.track_fixes == 1500
    points = meta.track
    assert 40 <= len(points) <= 60  # ~4,800 m at 100 m a point, and the last fix
    assert {p.position.lon > 0 for p in points} == {True, False}  # both sides of 180 deg
    assert points[-1].time_utc == datetime(2024, 3, 15, 8, 24, 59, tzinfo=timezone.utc)
    post = Post(id="v", author="skipper", media=(str(path),))
    found = evidence_from_post(post, {str(path): meta}, tz_lookup=lambda _p: "Pacific/Fiji")
    assert [e.source for e in found] == [EvidenceSource.EXIF] + [EvidenceSource.TRACK] * (
        len(points) - 1
    )
    end = found[-1]
    assert end.time_utc == points[-1].time_utc
    assert end.local_basis is LocalTimeBasis.POSITION_TZ
    assert end.local_time == datetime(2024, 3, 15, 20, 24, 59)  # Fiji is UTC+12


def test_summary_states_the_video_track_thinning_in_numbers(tmp_path: Path) -> None:
    from geoleak.pipeline import collect_evidence

    samples = [
        _sample_at(69.65, 18.95 + second * 0.0001, f"240315080{second // 60}{second % 60:02d}.000")
        for second in range(300)
    ]  # ~3.9 m a second along 69.65 N for 5 min (Tromsø)
    folder = tmp_path / "ola"
    folder.mkdir()
    (folder / "GX010007.MP4").write_bytes(_movie(samples, 30))
    found = collect_evidence([folder], workers=1, geocoder=None)
    stats = found.stats
    assert (stats.media_tracks, stats.media_track_fixes) == (1, 300)
    assert stats.media_track_points == stats.evidence_by_source["track"] + 1
    assert (
        f"video GPS tracks: 1 file, 300 fixes thinned to {stats.media_track_points} points "
        "(a fix is kept when the camera moved 100 m or 10 min passed, and each track's last)"
    ) in stats.summary_lines()
