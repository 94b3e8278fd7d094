"""Scoring against truth.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoleak.errors import TruthError
from geoleak.evaluate import evaluate, load_truth
from geoleak.geometry import destination
from geoleak.types import LatLon, Place, PlaceKind, Profile

HOME = LatLon(64.25, 24.15)
BASE = LatLon(64.215, 24.087)


def place(kind: PlaceKind, position: LatLon, confidence: float = 0.95, radius: float = 50) -> Place:
    return Place(kind=kind, position=position, radius_m=radius, confidence=confidence, evidence=("x",), days=5)


def write_truth(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "truth.csv"
    path.write_text(text)
    return path


def test_accuracy_false_homes_and_calibration(tmp_path: Path) -> None:
    truth = load_truth(write_truth(tmp_path, (
        "person,kind,lat,lon,detectable\n"
        f"a,home,{HOME.lat},{HOME.lon},1\n"
        f"a,work,{BASE.lat},{BASE.lon},1\n"
        f"b,home,{HOME.lat},{HOME.lon},1\n"
        f"c,home,{HOME.lat},{HOME.lon},0\n"
        "s,none,,,1\n"
    )))  # fmt: skip
    profiles = [
        Profile("a", (place(PlaceKind.HOME, destination(HOME, 90, 80), radius=100), place(PlaceKind.BASE, destination(BASE, 0, 700), radius=300))),
        Profile("b", (place(PlaceKind.HOME, destination(HOME, 90, 5000), 0.6),)),
        Profile("s", (place(PlaceKind.HOME, HOME, 0.95),)),
    ]  # fmt: skip
    result = evaluate(profiles, truth)
    home = result.home.to_json()
    assert home["truths"] == 2 and home["within_100m"] == 0.5 and home["within_1000m"] == 0.5
    assert result.base.to_json()["within_500m"] == 0.0 and result.base.to_json()["within_1000m"] == 1.0
    assert result.false_homes == 1 and result.false_home_people == ["s"]
    top = result.calibration[-1]
    assert top["places"] == 3 and top["share_correct"] == pytest.approx(1 / 3, abs=1e-3)
    assert any("homes reported for them: 1" in line for line in result.lines())


def test_bad_truth_rows_name_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(TruthError, match=r"truth.csv:3"):
        load_truth(write_truth(tmp_path, "person,kind,lat,lon\na,home,1,2\nb,castle,1,2\n"))
    with pytest.raises(TruthError, match="missing column"):
        load_truth(write_truth(tmp_path, "who,lat\n"))
    with pytest.raises(TruthError, match=r"truth.csv:2: bad lat/lon"):
        load_truth(write_truth(tmp_path, "person,kind,lat,lon\na,home,x,2\n"))
