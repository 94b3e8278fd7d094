"""The labelled place-sentence set: precision of emitted town points, recall reported.

The sentences (tests/extract/data/place_sentences.jsonl) are fictional posts in en, de,
fr, es, it, pt and nl; see benchmarks/bench_place_text.py for the labels' meaning.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from geoleak.geocode import GeonamesGazetteer

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "extract" / "data" / "place_sentences.jsonl"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "bench_place_text", ROOT / "benchmarks" / "bench_place_text.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_set_is_large_multilingual_and_every_label_resolves() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    assert len(rows) >= 300
    languages = Counter(r["lang"] for r in rows)
    assert set(languages) >= {"en", "de", "fr", "es", "it", "pt", "nl"}
    assert all(n >= 20 for n in languages.values())
    assert sum(1 for r in rows if r["expect"]) >= 150
    assert sum(1 for r in rows if not r["expect"]) >= 150
    gazetteer = GeonamesGazetteer()
    assert [
        r["expect"] for r in rows if r["expect"] and gazetteer.lookup(r["expect"]) is None
    ] == []


def test_town_points_are_precise(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    result = bench.score(bench.load(DATA))
    overall = result["overall"]
    with capsys.disabled():
        print(f"\nplace text: precision {overall['precision']:.3f}, recall {overall['recall']:.3f} "
              f"({overall['correct']}/{overall['emitted']} points, {overall['labelled']} towns)")  # fmt: skip
    assert overall["precision"] >= 0.95, result["errors"]
    # Recall is reported; a floor catches a detector that stopped finding anything.
    assert overall["recall"] >= 0.8, result["errors"]
    for lang, figures in result["by_language"].items():
        assert figures["emitted"] > 0, lang
