"""bench_infer's peer wins: the true homes and bases a peer gets right and geoleak does not
(issue 11: where trackintel is ahead, person by person)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from geoleak.evaluate import TruthRow
from geoleak.geometry import destination, haversine_m
from geoleak.types import LatLon, Place, PlaceKind, Profile

ROOT = Path(__file__).resolve().parents[1]
HOME = LatLon(69.65, 18.96)  # Tromsø: 69 N
WORK = LatLon(69.68, 18.92)  # ~3.5 km away
VENUE = destination(HOME, 90.0, 1_500.0)  # a place 1.5 km east of the home
NEAR_HOME = destination(HOME, 0.0, 60.0)  # within 100 m: a right home
NEAR_WORK = destination(WORK, 180.0, 400.0)  # within 500 m: a right base


def _bench() -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(
        "bench_infer", ROOT / "benchmarks" / "bench_infer.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_infer"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _profile(person: str, home: LatLon | None = None, base: LatLon | None = None) -> Profile:
    places = tuple(
        Place(kind, where, 50.0, 0.8, ("p1",), 5)
        for kind, where in ((PlaceKind.HOME, home), (PlaceKind.BASE, base))
        if where is not None
    )
    return Profile(person=person, places=places)


def _rows(
    person: str, persona: str, detectable: bool = True, **kinds: LatLon | None
) -> list[TruthRow]:
    return [TruthRow(person, kind, where, detectable, persona) for kind, where in kinds.items()]


def test_peer_wins_lists_each_place_a_peer_gets_and_geoleak_does_not() -> None:
    bench = _bench()
    truth = [
        *_rows("swap", "night", home=HOME, base=WORK),  # geoleak swaps the two, FREQ right
        *_rows("both", "day", home=HOME, base=WORK),  # both right
        *_rows("none_right", "day", home=HOME, base=WORK),  # nobody right
        *_rows("abstain", "rotating", home=HOME, base=WORK),  # geoleak gives nothing
        *_rows("undetectable", "day", False, home=HOME),
        TruthRow("mover", "home", HOME, persona="day"),
        TruthRow("mover", "home", WORK, persona="day"),
        *_rows("silent", "none", none=None),
    ]
    profiles = {
        "geoleak": [
            _profile("swap", home=WORK, base=NEAR_HOME),
            _profile("both", home=NEAR_HOME, base=NEAR_WORK),
            _profile("none_right", home=VENUE),
            _profile("undetectable"),
            _profile("mover", home=VENUE),
        ],
        "trackintel FREQ": [
            _profile("swap", home=NEAR_HOME, base=NEAR_WORK),
            _profile("both", home=HOME, base=WORK),
            _profile("none_right", home=WORK, base=VENUE),
            _profile("abstain", home=HOME),
            _profile("undetectable", home=HOME),
            _profile("mover", home=HOME),
        ],
        "trackintel OSNA": [_profile("abstain", home=HOME, base=NEAR_WORK)],
    }
    wins = bench.peer_wins(profiles, truth)
    got = {(w["person"], w["kind"]): w for w in wins}
    assert sorted(got) == [
        ("abstain", "base"),
        ("abstain", "home"),
        ("swap", "base"),
        ("swap", "home"),
    ]
    home, base = got[("swap", "home")], got[("swap", "base")]
    assert home["peers"] == ["trackintel FREQ"] and home["persona"] == "night"
    assert home["swapped"] is True and home["confidence"] == 0.8
    assert home["given_m"] == round(haversine_m(WORK, HOME))
    assert base["swapped"] is True and base["given_m"] == round(haversine_m(NEAR_HOME, WORK))
    assert got[("abstain", "home")]["peers"] == ["trackintel FREQ", "trackintel OSNA"]
    assert got[("abstain", "base")]["peers"] == ["trackintel OSNA"]
    assert (
        got[("abstain", "home")]["given_m"] is None and got[("abstain", "home")]["swapped"] is None
    )


def test_peer_wins_lines_count_by_persona_and_cause() -> None:
    bench = _bench()
    wins = [
        {
            "person": "a",
            "persona": "night",
            "kind": "home",
            "cause": "the workplace taken for the home",
        },
        {
            "person": "b",
            "persona": "night",
            "kind": "home",
            "cause": "the workplace taken for the home",
        },
        {"person": "c", "persona": "rotating", "kind": "base"},
    ]
    lines = bench.peer_wins_lines(wins)
    assert lines[0] == (
        "  homes a peer gets and geoleak does not: 2; by persona: night 2; by geoleak's cause: "
        "the workplace taken for the home 2"
    )
    assert lines[1] == (
        "  bases a peer gets and geoleak does not: 1; by persona: rotating 1; by geoleak's cause: ? 1"
    )
