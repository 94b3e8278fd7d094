"""Stay points inside trajectories (`geoleak.ingest.stays`) and the readers that use them."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.diagnostics import Diagnostics
from geoleak.geometry import haversine_m
from geoleak.ingest.geolife import read_plt
from geoleak.ingest.stays import (
    STAY_MAX_DURATION,
    STAY_MIN_DURATION,
    STAY_RADIUS_M,
    presence_times,
    stay_observations,
    stay_points,
)
from geoleak.ingest.tracks import track_endpoints
from geoleak.types import LatLon

T0 = datetime(2024, 3, 5, 22, 0, tzinfo=timezone.utc)
M_PER_DEG = 111_132.0


def _track(
    lat0: float, lon0: float, steps: list[tuple[int, float, float]]
) -> tuple[list[float], list[float], list[datetime]]:
    """Fixes from (seconds, metres north, metres east) steps, starting at (lat0, lon0)."""
    lats, lons, times = [lat0], [lon0], [T0]
    for seconds, north, east in steps:
        lat = lats[-1] + north / M_PER_DEG
        lon = lons[-1] + east / (M_PER_DEG * math.cos(math.radians(lat)))
        lons.append(((lon + 180.0) % 360.0) - 180.0)
        lats.append(lat)
        times.append(times[-1] + timedelta(seconds=seconds))
    return lats, lons, times


def test_a_night_in_one_spot_is_one_stay_seen_every_hour() -> None:
    # 22:00 to 06:30 within 30 m of one spot, one fix every 10 minutes
    lats, lons, times = _track(
        59.91, 10.75, [(600, (-1) ** k * 15.0, (-1) ** k * 3.0) for k in range(51)]
    )
    (stay,) = stay_points(lats, lons, times)
    assert (stay.first, stay.last) == (0, 51)
    assert stay.arrived == T0 and stay.left == T0 + timedelta(minutes=510)
    assert haversine_m(stay.position, LatLon(59.91, 10.75)) < 40
    seen = presence_times(stay)
    assert seen[0] == T0 and seen[-1] == stay.left
    assert [t.hour for t in seen] == [22, 23, 0, 1, 2, 3, 4, 5, 6, 6]


def test_moving_is_no_stay_and_a_short_stop_is_none() -> None:
    driving = _track(48.85, 2.35, [(10, 0.0, 150.0)] * 400)  # 15 m/s for 67 minutes
    assert stay_points(*driving) == []
    coffee = _track(
        48.85, 2.35, [(60, 0.0, 300.0)] * 5 + [(60, 1.0, 1.0)] * 20 + [(60, 0.0, 300.0)] * 5
    )
    assert stay_points(*coffee) == []  # 20 minutes at the cafe: under 30


def test_east_west_at_high_latitude_uses_metres_not_degrees() -> None:
    # Svalbard (78 N): 150 m east-west over an hour is a stay; in degrees of longitude that
    # is 0.0064, which read as degrees of latitude (or without cos(lat)) would be 720 m
    lats, lons, times = _track(78.22, 15.65, [(300, 0.0, 12.5)] * 12)
    (stay,) = stay_points(lats, lons, times)
    assert (stay.first, stay.last) == (0, 12)
    # and 300 m east-west is too far for one stay: the run breaks
    lats, lons, times = _track(78.22, 15.65, [(300, 0.0, 25.0)] * 12)
    assert all(s.last - s.first < 12 for s in stay_points(lats, lons, times))


def test_a_stay_on_the_antimeridian_stays_there() -> None:
    lats, lons, times = _track(-16.8, 179.9995, [(300, 0.0, (-1) ** k * 80.0) for k in range(12)])
    assert any(lon < 0 for lon in lons) and any(lon > 0 for lon in lons)
    (stay,) = stay_points(lats, lons, times)
    assert abs(stay.position.lon) > 179.99  # not the mean of +180 and -180, 0


def test_a_week_in_one_spot_is_a_logger_on_a_shelf_not_a_stay() -> None:
    lats, lons, times = _track(40.0, 116.3, [(3600, 1.0, 0.0)] * (24 * 8))
    assert stay_points(lats, lons, times) == []
    assert stay_points(lats, lons, times, max_duration=timedelta(days=9)) != []


def test_observations_leave_out_the_tracks_own_start_and_end() -> None:
    # stationary from the first fix to the last: the start and end points say the stay's
    # arrival and departure, so only the hours between are added
    lats, lons, times = _track(35.68, 139.76, [(600, 2.0, 2.0)] * 18)  # 3 h
    stays, seen = stay_observations(lats, lons, times)
    assert stays == 1
    assert [when for _, _, when in seen] == [T0 + timedelta(hours=h) for h in (1, 2)]
    assert [at for at, _, _ in seen] == [6, 12]  # the fix that shows the person there


def test_a_stay_at_an_impossible_time_gives_no_observations() -> None:
    lats, lons, times = _track(35.68, 139.76, [(60, 900.0, 0.0)] + [(600, 2.0, 2.0)] * 12)
    times = [t.replace(year=2091) for t in times]  # a clock that jumped
    assert stay_observations(lats, lons, times) == (0, [])


steps = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=3 * 3600),
        st.floats(min_value=-400.0, max_value=400.0),
        st.floats(min_value=-400.0, max_value=400.0),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(
    lat0=st.floats(min_value=-80.0, max_value=80.0),
    lon0=st.floats(min_value=-180.0, max_value=179.999),
    steps=steps,
)
def test_stays_are_maximal_runs_within_the_radius(
    lat0: float, lon0: float, steps: list[tuple[int, float, float]]
) -> None:
    lats, lons, times = _track(lat0, lon0, steps)
    stays = stay_points(lats, lons, times)
    previous = -1
    for stay in stays:
        assert previous < stay.first <= stay.last  # in order, never overlapping
        previous = stay.last
        anchor = LatLon(lats[stay.first], lons[stay.first])
        for k in range(stay.first, stay.last + 1):  # every fix within 200 m of the first
            assert haversine_m(anchor, LatLon(lats[k], lons[k])) <= STAY_RADIUS_M + 1.0
        if stay.last + 1 < len(lats):  # the run ends because the person left
            assert haversine_m(anchor, LatLon(lats[stay.last + 1], lons[stay.last + 1])) > (
                STAY_RADIUS_M - 1.0
            )
        assert STAY_MIN_DURATION <= stay.left - stay.arrived <= STAY_MAX_DURATION
        assert haversine_m(anchor, stay.position) <= STAY_RADIUS_M + 1.0
        seen = presence_times(stay)
        assert seen == sorted(seen) and seen[0] == stay.arrived and seen[-1] == stay.left
        assert all(b - a <= timedelta(hours=1) for a, b in itertools.pairwise(seen))


Fix = tuple[float, float, datetime]


def _plt(path: Path, fixes: list[Fix]) -> Path:
    header = "Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n0,2,255,My Track,0,0,2,8421376\n0\n"
    rows = [f"{lat:.6f},{lon:.6f},0,150,39745.0,{t:%Y-%m-%d},{t:%H:%M:%S}" for lat, lon, t in fixes]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def test_geolife_gives_the_stays_inside_a_days_recording(tmp_path: Path) -> None:
    # 01:58 leave the lab, 02:02 reach the dorm (300 m a minute), there until 09:32, back
    lab, dorm = (40.0000, 116.3270), (40.0107, 116.3220)
    t = datetime(2008, 10, 23, 17, 58, tzinfo=timezone.utc)  # 01:58 in Beijing

    def way(a: tuple[float, float], b: tuple[float, float], start: datetime) -> list[Fix]:
        return [(a[0] + (b[0] - a[0]) * k / 4, a[1] + (b[1] - a[1]) * k / 4,
                 start + timedelta(minutes=k)) for k in range(5)]  # fmt: skip

    walk = way(lab, dorm, t)
    night = [(dorm[0] + 0.00002 * (k % 3), dorm[1], walk[-1][2] + timedelta(minutes=10 * k))
             for k in range(1, 46)]  # fmt: skip
    back = way(dorm, lab, night[-1][2] + timedelta(minutes=1))[1:]
    plt = _plt(tmp_path / "Data" / "003" / "Trajectory" / "20081023175800.plt", walk + night + back)
    diag = Diagnostics()
    points = read_plt(plt, diag)
    assert [role for role, *_ in points][0 :: len(points) - 1] == ["start", "end"]
    stays = [(line, pos, when) for role, line, pos, when in points if role.startswith("stay")]
    # arrival 02:02, every hour 03:02 ... 09:02, departure 09:32
    assert [when for _, _, when in stays] == (
        [walk[-1][2] + timedelta(hours=h) for h in range(8)] + [night[-1][2]]
    )
    assert all(haversine_m(pos, LatLon(*dorm)) < 5 for _, pos, _ in stays)
    assert stays[0][0] == 6 + 5 and stays[-1][0] == 6 + 5 + 45  # the fixes that show it
    assert diag.figures["activity_stays"] == 1 and diag.figures["activity_stay_points"] == 9


def test_a_gpx_rides_cafe_stop_is_evidence_and_a_timeless_track_gives_none(tmp_path: Path) -> None:
    # ride 10 min, 40 min at a cafe, ride 10 min; then the same track without times
    lats, lons, times = _track(
        52.52, 13.40, [(60, 0.0, 400.0)] * 10 + [(300, 3.0, -3.0)] * 8 + [(60, 0.0, 400.0)] * 10
    )
    cafe = LatLon(lats[10], lons[10])

    def gpx(timed: bool) -> str:
        pts = "".join(
            f'<trkpt lat="{la:.6f}" lon="{lo:.6f}">'
            + (f"<time>{t:%Y-%m-%dT%H:%M:%SZ}</time>" if timed else "")
            + "</trkpt>"
            for la, lo, t in zip(lats, lons, times, strict=True)
        )
        return (
            '<?xml version="1.0"?><gpx version="1.1" creator="t" '
            'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
            f"{pts}</trkseg></trk></gpx>"
        )

    (tmp_path / "ride.gpx").write_text(gpx(True))
    diag = Diagnostics()
    points = list(track_endpoints(tmp_path / "ride.gpx", diag))
    assert [role for role, _, _ in points] == ["start", "stay", "stay", "end"]
    (_, (first, arrived), _), (_, (_, left), _) = points[1], points[2]
    assert haversine_m(first, cafe) < 30  # the mean of fixes drifting 34 m
    assert arrived == times[10] and left == times[18]
    assert diag.figures["activity_stays"] == 1
    (tmp_path / "timeless.gpx").write_text(gpx(False))
    roles = [role for role, _, _ in track_endpoints(tmp_path / "timeless.gpx", Diagnostics())]
    assert roles == ["start", "end"]
