"""DJI telemetry subtitles: real files from DJI_SRT_Parser's samples (tests/data/SOURCES.md),
round trips through every text style, random bytes; and the file as a track, in audit and scrub."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.diagnostics import Diagnostics
from geoleak.formats.dji_srt import looks_like_dji_srt, parse_dji_srt
from geoleak.formats.location_files import location_file
from geoleak.formats.sniff import sniff

DJI = Path(__file__).resolve().parent.parent / "data" / "dji"

# file: (fixes, first (lat, lon), last (lat, lon), home (lat, lon), first local time),
# read off each file's text (exiftool 12.57 does not read .SRT)
SAMPLES = {
    "air2s.srt": (17, (41.424724, 2.234156), (41.42473, 2.234102), None,
                  datetime(2022, 8, 7, 13, 40, 40, 774000)),
    "mavic_air2.srt": (25, (41.420684, 2.162162), (41.420686, 2.162162), None,
                       datetime(2022, 5, 1, 15, 1, 58, 531000)),
    "mavic_mini.SRT": (117, (48.0771, -121.7458), (48.0775, -121.7476), None, None),
    "p4p_sample.SRT": (5, (47.4692, 8.209), (47.4692, 8.209), None, None),
    "p4_rtk.SRT": (55, (-34.237922, -58.851745), (-34.232349, -58.849196),
                   (-34.232707, -58.847509), None),
    "matrice_300.srt": (381, (36.6146, -6.112), (36.6146, -6.112), None,
                        datetime(2022, 6, 21, 16, 6, 17)),
    "mavic_pro.SRT": (468, (-20.2533, 149.0251), (-20.2532, 149.0251), (-20.2532, 149.0251),
                      datetime(2017, 8, 5, 14, 11, 51)),
    "mavic_2_style.SRT": (468, (-20.2533, 149.0251), (-20.2532, 149.0251), None,
                          datetime(2017, 8, 5, 14, 11, 51, 393000)),
    "broken_incomplete2.SRT": (4, (-34.86995, -57.823395), (-34.869945, -57.823383), None,
                               datetime(2020, 8, 12, 8, 55, 21, 745000)),
    "mavic_air.SRT": (0, None, None, None, None),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_real_dji_subtitles(name: str) -> None:
    data = (DJI / name).read_bytes()
    count, first, last, home, first_time = SAMPLES[name]
    assert sniff(data[:512], Path(name).suffix.lower()) == "dji-srt"
    telemetry = parse_dji_srt(data)
    assert len(telemetry.fixes) == count
    assert telemetry.home == home
    assert not telemetry.warnings
    if count:
        assert (telemetry.fixes[0].lat, telemetry.fixes[0].lon) == first
        assert (telemetry.fixes[-1].lat, telemetry.fixes[-1].lon) == last
        assert telemetry.fixes[0].local_time == first_time


def test_a_films_subtitles_are_not_telemetry() -> None:
    film = b"1\n00:00:01,000 --> 00:00:04,000\nWhere were you last night?\n\n"
    assert not looks_like_dji_srt(film)
    assert sniff(film, ".srt") is None
    assert parse_dji_srt(film).fixes == []


def _render(style: str, n: int, lat: float, lon: float, when: datetime) -> str:
    stamp = when.strftime("%Y-%m-%d %H:%M:%S") + ",000,000"
    if style == "brackets":
        body = (f"<font size=\"36\">SrtCnt : {n}, DiffTime : 33ms\n{stamp}\n[iso : 100] "
                f"[latitude: {lat:.6f}] [longitude: {lon:.6f}] [altitude: 12.5] </font>")  # fmt: skip
    elif style == "gps":
        body = f"F/2.8, SS 100, ISO 100, EV 0, GPS ({lon:.6f}, {lat:.6f}, 17), D 1.00m, H 2.00m"
    elif style == "old":
        body = f"HOME({lon:.6f},{lat:.6f}) {when:%Y.%m.%d %H:%M:%S}\nGPS({lon:.6f},{lat:.6f},16) BAROMETER:1.9"
    else:  # Matrice 300
        body = f"{when:%Y.%m.%d %H:%M:%S}\nGPS({lat:.6f},{lon:.6f},12.3M) BAROMETER:0.3M"
    return f"{n}\n00:00:{n % 60:02d},000 --> 00:00:{(n + 1) % 60:02d},000\n{body}\n\n"


@given(
    st.sampled_from(["brackets", "gps", "old", "m300"]),
    st.lists(
        st.tuples(st.floats(-89.0, 89.0), st.floats(-179.9, 179.9)).filter(
            lambda p: abs(p[0]) > 2 or abs(p[1]) > 4  # not the radians box (see dji_srt.py)
        ),
        min_size=1,
        max_size=20,
    ),
)
@settings(max_examples=200, deadline=None)
def test_round_trip_in_every_style(style: str, points: list[tuple[float, float]]) -> None:
    when = datetime(2024, 7, 1, 12, 0, 0)
    text = "".join(_render(style, n + 1, lat, lon, when) for n, (lat, lon) in enumerate(points))
    telemetry = parse_dji_srt(text.encode())
    assert len(telemetry.fixes) == len(points)
    for fix, (lat, lon) in zip(telemetry.fixes, points, strict=True):
        assert (fix.lat, fix.lon) == pytest.approx((lat, lon), abs=1e-6)
        if style != "gps":
            assert fix.local_time == when


def test_radians_from_the_mavic_air_2_bug_are_converted() -> None:
    text = "".join(
        f"{n}\n00:00:0{n},000 --> 00:00:0{n + 1},000\n[latitude: {0.7229 + n * 1e-6:.7f}] "
        f"[longitude: {0.0390:.7f}]\n\n"
        for n in range(1, 5)
    )
    telemetry = parse_dji_srt(text.encode())
    assert telemetry.warnings and "radians" in telemetry.warnings[0]
    assert telemetry.fixes[0].lat == pytest.approx(41.42, abs=0.01)  # Barcelona, not the sea


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_random_bytes_never_raise(data: bytes) -> None:
    telemetry = parse_dji_srt(data)
    assert telemetry.blocks >= 0
    looks_like_dji_srt(data[:512])
    found = location_file(b"1\n" + data + b"\nGPS(", "dji-srt")
    assert found is None or found.position is not None


@given(st.text(alphabet="0123456789.,-:() \n[]GPSHOMElatitudeng", max_size=600))
@settings(max_examples=300, deadline=None)
def test_telemetry_like_text_never_raises(text: str) -> None:
    for fix in parse_dji_srt(text.encode()).fixes:
        assert isinstance(fix.lat, float)


def test_a_flight_log_is_a_track_with_its_take_off_point(tmp_path: Path) -> None:
    from geoleak.ingest.tracks import TracksReader

    folder = tmp_path / "pilot"
    folder.mkdir()
    (folder / "DJI_0001.SRT").write_bytes((DJI / "mavic_pro.SRT").read_bytes())
    reader = TracksReader()
    assert reader.sniff(folder)
    diag = Diagnostics()
    posts = list(reader.read(folder, diag))
    roles = [p.extra["role"] for p in posts]
    assert roles == ["takeoff", "start", "end"]
    takeoff, start, end = posts
    assert takeoff.geotag is not None and (takeoff.geotag.lat, takeoff.geotag.lon) == (
        -20.2532, 149.0251,
    )  # fmt: skip
    # The drone's clock is local: Queensland (UTC+10, no DST), 14:11:51 -> 04:11:51 UTC
    assert start.created_at == datetime(2017, 8, 5, 4, 11, 51, tzinfo=timezone.utc)
    assert end.created_at == datetime(2017, 8, 5, 4, 19, 39, tzinfo=timezone.utc)
    assert takeoff.created_at == start.created_at
    assert not diag.warnings
    # with its video beside it, the flight is that video's track (tests/extract/test_drone_telemetry.py)
    (folder / "DJI_0001.MP4").write_bytes(b"")
    assert list(reader.read(folder, diag)) == []


def test_subtitles_of_a_film_in_a_tracks_folder_are_named_and_skipped(tmp_path: Path) -> None:
    from geoleak.ingest.tracks import TracksReader

    (tmp_path / "film.srt").write_text("1\n00:00:01,000 --> 00:00:04,000\nHello\n\n")
    diag = Diagnostics()
    assert list(TracksReader().read(tmp_path, diag)) == []
    assert any("film.srt" in w and "without DJI flight telemetry" in w for w in diag.warnings)


def test_audit_reads_it_and_scrub_leaves_it_out(tmp_path: Path) -> None:
    from geoleak.cli import main
    from geoleak.remedy.audit import audit

    src = tmp_path / "flight"
    src.mkdir()
    (src / "DJI_0002.SRT").write_bytes((DJI / "p4_rtk.SRT").read_bytes())
    report = audit([src])
    (found,) = report.files
    assert found.leaks_location
    assert found.position is not None
    assert (found.position.lat, found.position.lon) == (-34.232707, -58.847509)  # HOME
    found_file = location_file((DJI / "p4_rtk.SRT").read_bytes(), "dji-srt")
    assert found_file is not None and found_file.points == 56  # 55 fixes and the home point
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["scrub", str(src), "-o", str(out)])
    assert result.exit_code == 1, result.output  # a file with positions was left out
    assert "DJI_0002.SRT" in result.output
    assert not (out / "DJI_0002.SRT").exists()


def test_telemetry_without_gps_is_no_leak_and_not_copied(tmp_path: Path) -> None:
    from geoleak.remedy.audit import audit
    from geoleak.remedy.scrub import scrub_paths

    src = tmp_path / "flight"
    src.mkdir()
    (src / "DJI_0003.SRT").write_bytes((DJI / "mavic_air.SRT").read_bytes())  # settings only
    assert location_file((src / "DJI_0003.SRT").read_bytes(), "dji-srt") is None
    assert not [f for f in audit([src]).files if f.leaks_location]
    result = scrub_paths([src], tmp_path / "out")
    (outcome,) = result.outcomes
    assert outcome.status == "skipped"  # (leaks nothing: not a failure, exit 0)
    assert outcome.error == "DJI telemetry without a GPS fix: holds no position; not copied"
    assert not (tmp_path / "out" / "DJI_0003.SRT").exists()
