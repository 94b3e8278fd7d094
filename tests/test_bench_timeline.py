"""bench_timeline's replay of a run's CPU costs on idle cores (`simulate`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_timeline", ROOT / "benchmarks" / "bench_timeline.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_timeline"] = module  # (its dataclasses look their module up)
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["bench_timeline"]
    return module


def _costs(bench: ModuleType, takes: list[dict[int, float]], start: float = 0.0) -> object:
    batches = sorted({b for shard in takes for b in shard})
    shards = [{**{("take", b): cpu for b, cpu in shard.items()}, "end": 0.0, "profiles": 0.0}
              for shard in takes]  # fmt: skip
    return bench.Costs(start=start, batches=[(b, 0.0) for b in batches], before_sites=0.0,
                       sites=0.0, after_sites=0.0, shards=shards)  # fmt: skip


def test_a_batch_on_both_shards_takes_the_start_and_one_shards_time(bench: ModuleType) -> None:
    costs = _costs(bench, [{0: 2.0}, {0: 2.0}], start=1.0)
    assert bench.simulate(costs, 16) == pytest.approx(3.0)
    assert bench.simulate(costs, 1) == pytest.approx(3.0)


def test_runs_of_one_shard_wait_for_each_other_with_no_batch_ahead(bench: ModuleType) -> None:
    # One person's batches on shard 0, the next person's on shard 1.
    costs = _costs(bench, [{0: 1.0, 1: 1.0}, {2: 1.0, 3: 1.0}])
    assert bench.simulate(costs, 1) == pytest.approx(4.0)  # awaited before the next is read
    assert bench.simulate(costs, 2) == pytest.approx(3.0)  # shard 1 starts with batch 2 only
    assert bench.simulate(costs, 16) == pytest.approx(2.0)  # both busy from the start


def test_three_busy_processes_share_two_cores(bench: ModuleType) -> None:
    # The main process reads batch 1 (3 CPU s) while each shard takes batch 0 (3 CPU s).
    costs = bench.Costs(start=0.0, batches=[(0, 3.0), (1, 0.0)], before_sites=0.0, sites=0.0,
                        after_sites=0.0, shards=[{("take", 0): 3.0, "end": 0.0, "profiles": 0.0}
                                                 for _ in range(2)])  # fmt: skip
    assert bench.simulate(costs, 16) == pytest.approx(4.5)  # 9 CPU s on 2 cores
    assert bench.simulate(costs, 16, cores=3.0) == pytest.approx(3.0)
