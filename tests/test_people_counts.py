"""The run's people counted by the engines' pass 1 (`PeopleCounts`) are the counts
`EvidenceStore.stats` reads from the store: empty partitions, people without evidence,
people whose rows span runs, repeated post ids."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geoleak.engine import infer_store, write_store_profiles
from geoleak.store import EvidenceStore, PeopleCounts

pytest.importorskip("pyarrow")

# (author, located, post id, day): few authors and ids, so that partitions are empty,
# ids repeat and a person's posts are in both runs.
_POST = st.tuples(st.integers(0, 5), st.booleans(), st.integers(0, 6), st.integers(1, 27))


def _write(path: Path, posts: list[tuple[int, bool, int, int]]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for author, located, post, day in posts:
            row: dict[str, object] = {
                "id": f"p{post}",
                "author": f"author{author}",
                "created_at": f"2025-03-{day:02d}T21:{post:02d}:00Z",
                "text": "evening",
            }
            if located:
                row["lat"], row["lon"] = 52.0 + author / 100, 13.0 + post / 1000
            out.write(json.dumps(row) + "\n")
    return path


def _read_counts(store: EvidenceStore) -> PeopleCounts:
    """The store's people and located people read straight from its Parquet files."""
    import pyarrow.parquet as pq

    def people(folder: str) -> set[str]:
        parts = sorted((store.root / folder).glob("**/*.parquet"))
        return {p for part in parts for p in pq.read_table(part, columns=["person"])[0].to_pylist()}

    return PeopleCounts(len(people("people")), len(people("evidence")))


def _store(
    folder: Path, runs: list[list[tuple[int, bool, int, int]]], buckets: int
) -> EvidenceStore:
    store = EvidenceStore(folder / "store", buckets=buckets)
    for i, posts in enumerate(runs):  # one run each: a person's rows may span runs
        store.ingest([_write(folder / f"run{i}.jsonl", posts)], workers=1, geocoder=None)
    return EvidenceStore(folder / "store")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    runs=st.lists(st.lists(_POST, max_size=12), min_size=1, max_size=2),
    buckets=st.sampled_from([1, 3, 16]),
    streamed=st.booleans(),
)
@example(runs=[[]], buckets=16, streamed=True)  # no evidence at all
@example(runs=[[(0, True, 1, 3)], [(0, True, 1, 3), (0, False, 2, 4)]], buckets=16, streamed=False)
@example(runs=[[(1, False, 0, 1), (2, False, 0, 1)]], buckets=3, streamed=True)  # none located
def test_pass_one_counts_the_people_stats_reads(
    tmp_path_factory: pytest.TempPathFactory,
    runs: list[list[tuple[int, bool, int, int]]],
    buckets: int,
    streamed: bool,
) -> None:
    folder = tmp_path_factory.mktemp("counts")
    store = _store(folder, runs, buckets)
    counts = PeopleCounts()
    if streamed:
        write_store_profiles(store, io.StringIO(), workers=1, counts=counts)
    else:
        infer_store(store, workers=1, counts=counts)
    assert counts == _read_counts(store)
    assert store.stats(counts).to_json() == store.stats().to_json()


def test_counts_from_worker_processes_and_dask_are_the_same(tmp_path: Path) -> None:
    posts = [(a, a != 3, a * 5 + p, 1 + (a * 7 + p) % 27) for a in range(6) for p in range(5)]
    store = _store(tmp_path, [posts[:14], posts[10:]], buckets=16)
    expected = _read_counts(store)
    assert expected == PeopleCounts(6, 5)
    local = PeopleCounts()
    write_store_profiles(store, io.StringIO(), workers=2, counts=local)
    assert local == expected
    pytest.importorskip("distributed")
    dask = PeopleCounts()
    infer_store(store, engine="dask", workers=1, dask_processes=False, counts=dask)
    assert dask == expected
