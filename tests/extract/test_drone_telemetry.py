"""A DJI video's flight, from the `.SRT` the drone wrote beside it (DJI_0001.MP4 and
DJI_0001.SRT): the video's position and track, counted once, the same in infer, audit and
scrub. Real telemetry from DJI_SRT_Parser's samples and a real MP4 (tests/data/SOURCES.md)."""

from __future__ import annotations

import json
import shutil
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoleak.cli import main
from geoleak.diagnostics import Diagnostics
from geoleak.extract.media import read_media
from geoleak.geometry import haversine_m
from geoleak.pipeline import collect_evidence
from geoleak.remedy.audit import audit
from geoleak.types import EvidenceSource, LatLon

DATA = Path(__file__).resolve().parent.parent / "data"
DJI = DATA / "dji"
VIDEO = DATA / "media" / "mde_sample_mpeg4_nogps.mp4"  # a real MP4 without a position
QT_EPOCH = datetime(1904, 1, 1, tzinfo=timezone.utc)


def _flight(folder: Path, srt: str, *, created: datetime | None = None) -> Path:
    """DJI_0001.MP4 (the real MP4, its mvhd creation time set to `created` as a DJI
    writes it: the drone's local clock labelled UTC) and DJI_0001.SRT (a real flight)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = bytearray(VIDEO.read_bytes())
    if created is not None:
        at = data.index(b"mvhd") + 4
        assert data[at] == 0  # version 0: 32-bit seconds since 1904
        seconds = int((created.replace(tzinfo=timezone.utc) - QT_EPOCH).total_seconds())
        struct.pack_into(">I", data, at + 4, seconds)
    video = folder / "DJI_0001.MP4"
    video.write_bytes(bytes(data))
    shutil.copyfile(DJI / srt, folder / "DJI_0001.SRT")
    return video


def test_the_take_off_point_is_the_position_and_the_flight_its_track(tmp_path: Path) -> None:
    video = _flight(tmp_path, "p4_rtk.SRT")
    alone = read_media(VIDEO)
    assert alone.position is None
    meta = read_media(video)
    assert meta.position_source == "dji-srt"
    assert meta.position == LatLon(-34.232707, -58.847509)  # HOME: where the pilot stood
    assert meta.track_fixes == 56  # 55 fixes and the take-off point
    assert meta.track[0].position == meta.position
    assert meta.track[-1].position == LatLon(-34.232349, -58.849196)  # the last fix
    # thinned as a GoPro track: kept when the drone moved 100 m (this file has no clock)
    assert 2 < len(meta.track) < 20
    steps = [
        haversine_m(a.position, b.position)
        for a, b in zip(meta.track, meta.track[1:-1], strict=False)
    ]
    assert min(steps) >= 100


def test_without_a_home_the_first_fix_and_utc_times_in_the_local_zone(tmp_path: Path) -> None:
    video = _flight(tmp_path, "mavic_2_style.SRT")
    meta = read_media(video)
    assert meta.position == LatLon(-20.2533, 149.0251)
    assert meta.track_fixes == 468
    # the drone's clock is Queensland time (UTC+10, no summer time)
    assert meta.track[0].time_utc == datetime(2017, 8, 5, 4, 11, 51, 393000, tzinfo=timezone.utc)
    assert meta.track[-1].time_utc == datetime(2017, 8, 5, 4, 19, 39, 393000, tzinfo=timezone.utc)
    times = [p.time_utc for p in meta.track]
    assert times == sorted(times)  # type: ignore[type-var]
    assert 2 < len(meta.track) < 468


def test_the_videos_local_clock_labelled_utc_gets_its_offset(tmp_path: Path) -> None:
    """As with GoPro, the MP4's 'UTC' creation time is the drone's local clock: the
    flight's own times show it (10 h here) and the creation time gets that offset."""
    video = _flight(tmp_path, "mavic_pro.SRT", created=datetime(2017, 8, 5, 14, 11, 50))
    meta = read_media(video)
    assert meta.capture_time == datetime(
        2017, 8, 5, 14, 11, 50, tzinfo=timezone(timedelta(hours=10))
    )
    assert meta.offset_from_gps


@pytest.mark.parametrize("srt", ["mavic_air.SRT", "film.srt"])
def test_subtitles_without_a_flight_change_nothing(srt: str, tmp_path: Path) -> None:
    if srt == "film.srt":
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / srt).write_text("1\n00:00:01,000 --> 00:00:02,000\nHello.\n")
        source = tmp_path / "src" / srt
    else:
        source = DJI / srt
    video = _flight(tmp_path / "v", "p4_rtk.SRT")
    shutil.copyfile(source, video.with_suffix(".SRT"))
    meta = read_media(video)
    assert meta.position is None
    assert meta.track == ()


def test_infer_counts_the_flight_once_as_the_videos_track(tmp_path: Path) -> None:
    _flight(tmp_path / "flights", "p4_rtk.SRT")
    found = collect_evidence([tmp_path / "flights"], diag=Diagnostics(), workers=1)
    meta = read_media(tmp_path / "flights" / "DJI_0001.MP4")
    evidence = found.evidence["flights"]
    assert len(evidence) == len(meta.track)  # no second copy from the .SRT as a track file
    assert {e.media_path for e in evidence} == {str(tmp_path / "flights" / "DJI_0001.MP4")}
    assert [e.source for e in evidence][:2] == [EvidenceSource.EXIF, EvidenceSource.TRACK]
    stats = found.stats
    assert (stats.posts, stats.media_tracks, stats.activity_tracks) == (1, 1, 0)
    # the .SRT alone (no video beside it) is still a flight log: its take-off, start and end
    alone = tmp_path / "srt-only"
    alone.mkdir()
    shutil.copyfile(DJI / "p4_rtk.SRT", alone / "DJI_0001.SRT")
    found = collect_evidence([alone], diag=Diagnostics(), workers=1)
    assert found.stats.activity_tracks == 1
    assert found.stats.evidence_by_source["track"] == 3


def test_the_flight_is_counted_once_however_it_is_given(tmp_path: Path) -> None:
    video = _flight(tmp_path / "flights", "p4_rtk.SRT")
    srt = video.with_suffix(".SRT")
    track = len(read_media(video).track)
    for inputs in ([video, srt], [srt, video], [tmp_path / "flights", srt]):
        found = collect_evidence(inputs, diag=Diagnostics(), workers=1)
        evidence = [e for person in found.evidence.values() for e in person]
        # the .SRT input is the video's track, not a second one
        assert len(evidence) == track, inputs
        assert found.stats.activity_tracks == 0
    # asked for tracks only, the videos are not read: the telemetry is read as a track
    found = collect_evidence([tmp_path / "flights"], diag=Diagnostics(), workers=1,
                             source="tracks")  # fmt: skip
    assert found.stats.activity_tracks == 1
    assert found.stats.evidence_by_source["track"] == 3
    # the .SRT given with another flight's video is still read
    other = _flight(tmp_path / "other", "p4_rtk.SRT").with_name("DJI_0002.MP4")
    (tmp_path / "other" / "DJI_0001.MP4").rename(other)
    found = collect_evidence([other, tmp_path / "other" / "DJI_0001.SRT"], diag=Diagnostics(),
                             workers=1)  # fmt: skip
    assert found.stats.activity_tracks == 1


def test_audit_and_scrub_say_the_same_of_the_video(tmp_path: Path) -> None:
    folder = tmp_path / "flight"
    _flight(folder, "p4_rtk.SRT")
    report = audit([folder], geocoder=None)
    (item,) = report.files  # the .SRT is listed with its video, not as a second file
    assert item.path.endswith("DJI_0001.MP4")
    assert item.leaks_location
    assert item.position == LatLon(-34.232707, -58.847509)
    assert any(f.field.startswith("DJI flight telemetry") for f in item.fields)
    out = tmp_path / "clean"
    result = CliRunner().invoke(main, ["scrub", str(folder), "-o", str(out), "--json", "-"])
    assert result.exit_code == 1  # the .SRT holds positions scrub cannot remove: left out
    doc = json.loads(result.output[result.output.index("{") :])
    outcomes = {Path(o["source"]).name: o for o in doc["outcomes"]}
    assert outcomes["DJI_0001.SRT"]["status"] == "failed"
    notes = outcomes["DJI_0001.MP4"]["notes"]
    assert any("56 positions" in n and "DJI_0001.SRT" in n for n in notes), notes
    assert not (out / "DJI_0001.SRT").exists()
