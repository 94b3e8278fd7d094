"""Inference in worker processes gives exactly what one process gives."""

from __future__ import annotations

import pickle

from geoleak.infer import LeakInference
from geoleak.profiles import profiles_to_json
from geoleak.scenario import ScenarioConfig
from geoleak.scenario.memory import scenario_evidence


def test_two_workers_match_one() -> None:
    evidence = {p: e for p, e, _ in scenario_evidence(ScenarioConfig(people=240, seed=3, days=120))}
    one = LeakInference(workers=1).fit(evidence)
    two = LeakInference(workers=2).fit(evidence)
    assert profiles_to_json(one.profiles_) == profiles_to_json(two.profiles_)
    assert [s.to_json() for s in one.sites_] == [s.to_json() for s in two.sites_]


def test_profiles_pickle_with_their_read_only_extras() -> None:
    evidence = {p: e for p, e, _ in scenario_evidence(ScenarioConfig(people=8, seed=1, days=90))}
    profiles = LeakInference().fit(evidence).profiles_
    assert pickle.loads(pickle.dumps(profiles)) == profiles
    assert [dict(p.extra) for p in pickle.loads(pickle.dumps(profiles))] == [
        dict(p.extra) for p in profiles
    ]
