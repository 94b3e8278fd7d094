"""infer, map, report, export, sites and audit build evidence through one function with the
same options: on one corpus, the demo and real-style exports they count the same pieces,
check-ins in text included."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoleak.cli import main
from geoleak.diagnostics import Diagnostics
from geoleak.pipeline import collect_evidence

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_media" / "posts.jsonl"
FIXTURES = ROOT / "tests" / "fixtures"


def _corpus(tmp_path: Path) -> Path:
    rows = [
        {"id": "a1", "author": "ana", "created_at": "2025-01-06T19:49:52Z",
         "text": "Just landed in Tromsø!"},
        {"id": "a2", "author": "ana", "created_at": "2025-01-07T21:52:01Z",
         "text": "Coffee", "lat": 69.6496, "lon": 18.956},
        {"id": "a3", "author": "ana", "created_at": "2025-01-08T21:52:01Z",
         "text": "Packing to go to Seattle"},
        {"id": "b1", "author": "bo", "created_at": "2025-01-09T10:00:00Z",
         "text": "I'm at Harbour Café in Suva, Fiji"},
    ]  # fmt: skip
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def _counts(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    import geoleak.report.maps

    runner = CliRunner()
    api = collect_evidence([path], diag=Diagnostics(), workers=1)
    counts = {"api": sum(len(v) for v in api.evidence.values())}
    profiles = tmp_path / "profiles.json"
    result = runner.invoke(main, ["infer", str(path), "-o", str(profiles), "-q", "--workers", "1"])
    assert result.exit_code == 0, result.output
    doc = json.loads(profiles.read_text(encoding="utf-8"))
    counts["infer"] = sum(p["evidence_count"] for p in doc["people"])
    drawn: list[int] = []

    def record_maps(_profiles: object, evidence: dict[str, list[object]], *_a: object, **_k: object) -> list[Path]:  # fmt: skip
        drawn.append(sum(len(v) for v in evidence.values()))
        return []

    monkeypatch.setattr(geoleak.report.maps, "write_maps", record_maps)
    result = runner.invoke(main, ["map", str(profiles), str(path), "-o", str(tmp_path / "maps")])
    assert result.exit_code == 0, result.output
    (counts["map"],) = drawn
    summary = api.stats.summary_lines()
    assert summary[0] in result.output  # map states what it read, as infer and report do
    out = tmp_path / "export"
    result = runner.invoke(main, ["export", str(path), "-o", str(out), "-f", "csv", "-q"])
    assert result.exit_code == 0, result.output
    with (out / "evidence.csv").open(encoding="utf-8") as handle:
        counts["export"] = sum(1 for _ in csv.DictReader(handle))
    # audit and report say how many posts were located, from the same evidence
    located = {"api": api.stats.posts_located}
    result = runner.invoke(main, ["audit", str(path), "--json", "-", "-q"])
    assert result.exit_code == 0, result.output
    located["audit"] = json.loads(result.output[result.output.index("{") :])["posts_located"]
    result = runner.invoke(main, ["report", str(path), "-o", str(tmp_path / "report"),
                                  "--no-maps", "--no-plots"])  # fmt: skip
    assert result.exit_code == 0, result.output
    evidence_line = next(line for line in api.stats.summary_lines() if line.startswith("evidence:"))
    assert evidence_line in result.output
    assert len(set(located.values())) == 1, located
    return counts


def test_commands_count_the_same_evidence_with_check_ins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = _counts(_corpus(tmp_path), tmp_path, monkeypatch)
    # Tromsø check-in, the geotag, Suva; not the trip to Seattle
    assert counts["api"] == 3
    assert set(counts.values()) == {3}, counts


@pytest.mark.slow
def test_commands_agree_on_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not DEMO.is_file():
        pytest.skip("sample_media/posts.jsonl is not here")
    counts = _counts(DEMO, tmp_path, monkeypatch)
    assert len(set(counts.values())) == 1, counts


@pytest.mark.parametrize("export", ["twitter", "takeout"])
def test_commands_agree_on_an_export(
    export: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An X archive (geotags, places, media, text) and a Google Photos Takeout (sidecars,
    duplicates under two names): every command counts the same evidence."""
    counts = _counts(FIXTURES / export, tmp_path, monkeypatch)
    assert counts["api"] > 0
    assert len(set(counts.values())) == 1, counts


def test_sites_takes_the_same_geocoder_options(tmp_path: Path) -> None:
    """A check-in at a venue of the user's places file is evidence for `sites` as for
    `infer` (README: the commands build evidence with the same --places and --geocoder)."""
    places = tmp_path / "places.csv"
    places.write_text("name,lat,lon,radius_m,kind\nKestrel Range,54.1,-2.1,50,venue\n")
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"id": "a1", "author": "ana", "created_at": "2025-01-06T19:49:52Z",
                                 "text": "I'm at Kestrel Range"}) + "\n")  # fmt: skip
    sites = tmp_path / "sites.geojson"
    sites.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "range", "radius_m": 200},
         "geometry": {"type": "Point", "coordinates": [-2.1, 54.1]}}]}))  # fmt: skip
    runner = CliRunner()
    hits = {}
    for options in (["--places", str(places)], ["--geocoder", "none"]):
        result = runner.invoke(main, ["sites", str(sites), str(posts), "--json", "-q", *options])
        assert result.exit_code == 0, result.output
        (site,) = json.loads(result.output)["sites"]
        profiles = runner.invoke(
            main, ["infer", str(posts), "-o", "-", "-q", "--workers", "1", *options]
        )
        assert profiles.exit_code == 0, profiles.output
        inferred = sum(p["evidence_count"] for p in json.loads(profiles.output)["people"])
        hits[options[-1]] = (site["evidence"], inferred)
    assert hits == {str(places): (1, 1), "none": (0, 0)}
