from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from geoleak.report.plots import FOUND_WITHIN_M, curve_svg, leakage_curve
from geoleak.types import Evidence, EvidenceSource, LatLon, LocalTimeBasis

HOME = LatLon(69.6492, 18.9553)  # high latitude: metres per degree of longitude are few
WORK = LatLon(69.6800, 18.9200)


def _ev(i: int, where: LatLon, hour: int) -> Evidence:
    when = datetime(2025, 1, 6, tzinfo=timezone.utc) + timedelta(days=i, hours=hour)
    jitter = 0.00005 * ((i % 5) - 2)
    return Evidence(
        post_id=f"p{i:03d}-{hour}",
        person="tove",
        position=LatLon(where.lat + jitter, where.lon + jitter),
        source=EvidenceSource.GEOTAG,
        time_utc=when,
        local_time=when.replace(tzinfo=None),
        local_basis=LocalTimeBasis.POSITION_TZ,
        posted_at=when,
    )


def _person() -> list[Evidence]:
    out = []
    for i in range(40):
        out.append(_ev(i, HOME, 23))
        if i % 7 < 5:
            out.append(_ev(i, WORK, 11))
    return out


def test_home_is_found_after_some_posts_and_stays() -> None:
    curve = leakage_curve("tove", _person(), max_points=25)
    assert curve is not None
    assert curve.reference == "final estimate"
    assert curve.found_at is not None and 1 < curve.found_at < curve.posts_total
    assert curve.points[-1] == (curve.posts_total, 0.0)
    ks = [k for k, _d in curve.points]
    assert ks == sorted(ks) and ks[-1] == curve.posts_total and len(ks) <= 26
    early = [d for k, d in curve.points if k < 3]
    assert all(d is None for d in early)  # two posts are not a home: no estimate yet
    later = [d for k, d in curve.points if k >= curve.found_at]
    assert all(d is not None and d <= FOUND_WITHIN_M for d in later)


def test_against_a_truth_far_away_the_home_is_never_found() -> None:
    far = LatLon(HOME.lat, HOME.lon + 0.01)  # ~390 m east at 69.6 N (would be ~1 km at the equator)
    curve = leakage_curve("tove", _person(), reference=far, max_points=10)
    assert curve is not None and curve.reference == "truth"
    assert curve.found_at is None
    assert all(d is None or 300 < d < 500 for _k, d in curve.points)


def test_no_home_no_curve() -> None:
    assert leakage_curve("tove", _person()[:2]) is None
    assert leakage_curve("tove", []) is None


def test_svg_is_well_formed_and_escapes_the_name() -> None:
    curve = leakage_curve("tove", _person(), max_points=8)
    assert curve is not None
    svg = curve_svg(
        curve.__class__(  # same curve, hostile name
            "<script>x</script>", curve.posts_total, curve.points, curve.reference, curve.found_at
        )
    )
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert root.find("{http://www.w3.org/2000/svg}title").text.startswith("<script>")  # type: ignore[union-attr]
    assert "<script>" not in svg
    assert len(root.findall("{http://www.w3.org/2000/svg}polyline")) >= 1
