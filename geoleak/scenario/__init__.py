"""Fictional scenarios with ground truth: the demo, the tests and the benchmarks use them.

`generate(config, out_dir)` writes a posts corpus, small real photos with EXIF GPS and a
truth.csv; `demo_config()` is the committed demo in `sample_media/`.
"""

from geoleak.scenario.generator import (
    ScenarioSummary,
    demo_config,
    describe,
    generate,
    plan_scenario,
)
from geoleak.scenario.model import Behaviour, ScenarioConfig

__all__ = [
    "Behaviour",
    "ScenarioConfig",
    "ScenarioSummary",
    "demo_config",
    "describe",
    "generate",
    "plan_scenario",
]
