"""Issue targets on generated corpora of 60+ people with every behaviour of the generator.

Home within 100 m for >= 97% of detectable homes, base within 500 m for >= 90%, no home for
people who never leak, and of places reported with confidence >= 0.9, >= 90% right within
their own radius.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geoleak.evaluate import Evaluation, TruthRow, evaluate, load_truth
from geoleak.infer import LeakInference
from geoleak.pipeline import run
from geoleak.scenario import ScenarioConfig, generate
from geoleak.scenario.memory import scenario_evidence
from geoleak.types import LatLon


def check_targets(result: Evaluation) -> None:
    assert result.home.truths >= 50 and result.base.truths >= 40
    assert result.home.within[100] / result.home.truths >= 0.97, result.lines()
    assert result.base.within[500] / result.base.truths >= 0.90, result.lines()
    assert result.silent_people > 0 and result.false_homes == 0, result.lines()
    top = result.calibration[-1]
    assert top["places"] >= 30 and top["share_correct"] >= 0.90, result.lines()


def test_targets_end_to_end_on_files(tmp_path: Path) -> None:
    """Photos written to disk, read back by the extractor, inferred by the pipeline."""
    generate(ScenarioConfig(people=60, seed=7), tmp_path)
    result = run([tmp_path / "posts.jsonl"])
    check_targets(evaluate(result.profiles, load_truth(tmp_path / "truth.csv")))
    assert len(result.sites) >= 7  # one per unit


@pytest.mark.parametrize(
    ("seed", "people", "activity"), [(11, 80, 0.6), (23, 64, 0.35), (5, 100, 1.5)]
)
def test_targets_across_seeds_and_posting_rates(seed: int, people: int, activity: float) -> None:
    evidence, truth = {}, []
    for person, found, rows in scenario_evidence(
        ScenarioConfig(people=people, seed=seed, activity=activity)
    ):
        evidence[person] = found
        for r in rows:
            position = LatLon(float(r["lat"]), float(r["lon"])) if r["lat"] != "" else None
            truth.append(
                TruthRow(
                    str(r["person"]), str(r["kind"]), position, bool(int(str(r["detectable"])))
                )
            )
    check_targets(evaluate(LeakInference().fit(evidence).profiles_, truth))
