"""bench_scale's scoring of places against the generated truth, and its peers run as commands
of their own on the same corpus (issue 15: "report scikit-mobility's home_location and
trackintel on the same points as peers")."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from geoleak.geometry import destination
from geoleak.types import LatLon

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_scale", ROOT / "benchmarks" / "bench_scale.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


def test_places_right_counts_within_the_evaluate_radii(bench: ModuleType) -> None:
    truth = {
        "far-north": ((69.65, 18.96), (69.68, 18.92)),
        "antimeridian": ((-16.5, 179.999), (-16.5, -179.99)),
    }
    moved = destination(LatLon(69.65, 18.96), 90.0, 150.0)  # 150 m east: not a home
    near_base = destination(LatLon(-16.5, -179.99), 270.0, 400.0)  # across the 180th meridian
    given = {
        "far-north": {"home": (moved.lat, moved.lon), "base": (69.68, 18.92)},
        "antimeridian": {"home": (-16.5, 179.999), "base": (near_base.lat, near_base.lon)},
    }
    assert bench.places_right(given, truth) == {
        "homes_given": 2, "homes_right": 1, "bases_given": 2, "bases_right": 2,
    }  # fmt: skip
    swapped = {"far-north": {"home": (69.65, 18.96)[::-1]}}  # (lon, lat) by mistake
    assert bench.places_right(swapped, truth)["homes_right"] == 0


def test_given_places_reads_a_profiles_file(bench: ModuleType, tmp_path: Path) -> None:
    doc = {"people": [
        {"person": "a", "places": [{"kind": "frequent", "lat": 1.0, "lon": 2.0},
                                   {"kind": "home", "lat": 69.6, "lon": 18.9},
                                   {"kind": "base", "lat": 69.7, "lon": 18.8}]},
        {"person": "b", "places": []},
    ]}  # fmt: skip
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(doc))
    assert bench.given_places(path) == ({"a": {"home": (69.6, 18.9), "base": (69.7, 18.8)}}, 2)


def test_trackintel_peer_runs_on_the_corpus_and_is_scored(
    bench: ModuleType, tmp_path: Path
) -> None:
    pytest.importorskip("trackintel", reason="trackintel is a bench extra: pip install '.[bench]'")
    corpus = tmp_path / "posts.jsonl"
    truth: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
    people = bench.generate(corpus, 3000, seed=4, truth=truth)
    rc, _wall, _cpu, rss, given = bench.run_peer("trackintel-osna", corpus, tmp_path, None)
    assert rc == 0 and rss > 0
    right = bench.places_right(given, truth)
    # Its pre-filter (10 staypoints, 10 at a location, a 5-day span) drops thin people, so
    # only part get places; those given are mostly right on this plain corpus.
    assert 0 < right["homes_given"] <= people
    assert right["homes_right"] >= 0.9 * right["homes_given"]
    assert right["bases_right"] >= 0.9 * right["bases_given"] > 0
