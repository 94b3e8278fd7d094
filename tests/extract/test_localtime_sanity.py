"""Sentinel and impossible times are left out with one warning naming the file; UTC offsets
are written as EXIF writes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from media_data import real_file

from geoleak.diagnostics import Diagnostics
from geoleak.extract.localtime import SENTINEL_TIMES, implausible_time, offset_text, zone
from geoleak.pipeline import collect_evidence

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("sentinel", sorted(SENTINEL_TIMES))
def test_sentinels_are_named(sentinel: datetime) -> None:
    why = implausible_time(sentinel.replace(tzinfo=timezone.utc, microsecond=207343), now=NOW)
    assert why is not None
    assert SENTINEL_TIMES[sentinel] in why


@pytest.mark.parametrize(
    ("moment", "ok"),
    [
        (datetime(1989, 12, 30, tzinfo=timezone.utc), False),
        (datetime(1990, 1, 2, tzinfo=timezone.utc), True),
        (datetime(2085, 12, 21, 16, 46, 58, tzinfo=timezone.utc), False),
        (NOW + timedelta(hours=20), True),  # a clock ahead by a time zone
        (NOW + timedelta(days=2), False),
        (datetime(2024, 5, 1, 12, 0), True),  # naive local wall clock
        (None, True),
    ],
)
def test_plausible_range(moment: datetime | None, ok: bool) -> None:
    assert (implausible_time(moment, now=NOW) is None) is ok


@given(st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2026, 5, 30)))
def test_real_times_pass(moment: datetime) -> None:
    assert implausible_time(moment.replace(tzinfo=timezone.utc), now=NOW) is None


def test_real_tracks_gpsbabel_no_time_and_fit_2085(tmp_path: Path) -> None:
    gpx = real_file("tracks", "gpxpy", "Mojstrovka.gpx")
    fit = real_file("tracks", "fitparse", "strava-android-app-201.10-b1218918.fit")
    folder = tmp_path / "me"
    folder.mkdir()
    (folder / gpx.name).write_bytes(gpx.read_bytes())
    (folder / fit.name).write_bytes(fit.read_bytes())
    diag = Diagnostics()
    found = collect_evidence([folder], diag=diag, workers=1)
    times = [ev.time_utc for evs in found.evidence.values() for ev in evs]
    assert len(times) == 4  # every position stays
    assert all(t is None or 2000 < t.year < 2030 for t in times)
    assert sum(t is None for t in times) == 3  # both GPX fixes and the FIT end
    warnings = [w for w in diag.warnings if "time" in w]
    assert len(warnings) == 2  # one line per file
    assert any("Mojstrovka.gpx" in w and "1901-12-13" in w and "GPSBabel" in w for w in warnings)
    assert any(fit.name in w and "2085-12-21" in w and "future" in w for w in warnings)
    assert found.stats.times_rejected == 3
    assert any("3 impossible or placeholder times" in line for line in found.stats.summary_lines())


def test_offset_text_is_written_as_exif_offsets_are() -> None:
    kolkata, st_johns = zone("Asia/Kolkata"), zone("America/St_Johns")
    assert kolkata is not None and st_johns is not None
    assert offset_text(kolkata, datetime(2025, 6, 1, 12)) == "+05:30"
    assert offset_text(st_johns, datetime(2025, 1, 15, 12)) == "-03:30"  # Newfoundland, winter
    assert offset_text(st_johns, datetime(2025, 7, 15, 12)) == "-02:30"  # and in summer
    assert offset_text(timezone.utc, datetime(2025, 1, 1)) == "+00:00"
    assert offset_text(timezone(timedelta(hours=13, minutes=45)), datetime(2025, 1, 1)) == "+13:45"
