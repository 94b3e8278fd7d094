"""The evidence store: what goes in comes out, reruns skip, changed inputs are re-read."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geoleak.errors import UsageError
from geoleak.pipeline import collect_evidence
from geoleak.store import (
    DEFAULT_BUCKETS,
    MAX_BUCKETS,
    ROWS_PER_BUCKET,
    EvidenceStore,
    buckets_for,
    estimate_rows,
    is_store,
    person_bucket,
)
from geoleak.types import Evidence, EvidenceSource, LocalTimeBasis

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_media"

pytest.importorskip("pyarrow")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The demo scenario's corpus, copied so that tests may touch it."""
    if not (SAMPLE / "posts.jsonl").is_file():
        pytest.skip("sample_media is not in this checkout")
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE, target)
    return target / "posts.jsonl"


def test_evidence_comes_back_as_it_went_in(tmp_path: Path, corpus: Path) -> None:
    store = EvidenceStore(tmp_path / "store", buckets=4)
    report = store.ingest([corpus], workers=1)
    direct = collect_evidence([corpus], workers=1)
    assert report.rows == sum(len(v) for v in direct.evidence.values())
    assert is_store(tmp_path / "store")
    loaded = EvidenceStore(tmp_path / "store").evidence_set()
    assert loaded.evidence == direct.evidence  # every field, order kept per person
    assert loaded.context == direct.context
    assert loaded.stats.to_json() == direct.stats.to_json()
    # each person's rows are in that person's partition only
    for bucket in range(4):
        assert all(person_bucket(p, 4) == bucket for p in store.bucket_evidence(bucket))


def test_small_flushes_spool_and_give_the_same_evidence(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    import geoleak.store

    whole = EvidenceStore(tmp_path / "whole", buckets=3)
    whole.ingest([corpus], workers=1)
    monkeypatch.setattr(geoleak.store, "FLUSH_ROWS", 40)
    pieces = EvidenceStore(tmp_path / "pieces", buckets=3)
    pieces.ingest([corpus], workers=2)
    assert pieces.evidence() == whole.evidence()
    parts = sorted((tmp_path / "pieces").glob("evidence/*/*.parquet"))
    # one file a bucket per run and shard (of two), written from its spool, a person's
    # rows in one file
    assert {p.name for p in parts} == {"part-r0001-00000.parquet", "part-r0001-00001.parquet"}
    people = [set(pq.read_table(p, columns=["person"]).column(0).to_pylist()) for p in parts]
    assert sum(map(len, people)) == len(set().union(*people))
    # the flushes went to the spool: the Parquet file is one row group, not one a flush
    assert all(pq.ParquetFile(p).num_row_groups == 1 for p in parts)
    assert not list((tmp_path / "pieces").rglob("*.arrows"))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_one_command_store_keeps_its_spools_as_its_files(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # A store of one command (`scratch`) holds each shard's spool of a partition as its
    # file, and its people's rows as Arrow IPC streams: no Parquet is written, and every
    # reading gives what a store a user names gives, in the same order.
    import pyarrow as pa

    import geoleak.store
    from geoleak.store import FEW_VALUES

    monkeypatch.setattr(geoleak.store, "FLUSH_ROWS", 40)  # several batches a spool
    named, scratch = tmp_path / "named", tmp_path / "scratch"
    EvidenceStore(named, buckets=3).ingest([corpus], workers=workers)
    EvidenceStore(scratch, buckets=3, scratch=True).ingest([corpus], workers=workers)
    assert not list(scratch.rglob("*.parquet"))
    files = sorted(p.relative_to(scratch) for p in scratch.rglob("*.arrows"))
    assert files == sorted(p.relative_to(named).with_suffix(".arrows")
                           for p in named.rglob("*.parquet"))  # fmt: skip
    assert not any(p.stem.endswith("-spool") for p in files)
    batches = 0
    for part in scratch.glob("evidence/*/*.arrows"):
        with pa.OSFile(str(part), "rb") as source:
            batches += len(list(pa.ipc.open_stream(source)))
    assert batches > len(files) / 2  # (the spools' flushes, as they were written)
    one, other = EvidenceStore(named), EvidenceStore(scratch)
    assert other.evidence() == one.evidence()
    assert other.context() == one.context()
    assert other.stats().to_json() == one.stats().to_json()
    for bucket in range(3):
        # its strings of few values read dictionary-encoded, as Parquet keeps them
        plain, encoded = other._read_bucket(bucket), other._read_bucket(bucket, None, FEW_VALUES)
        assert plain is not None and encoded is not None
        for name in FEW_VALUES:
            assert pa.types.is_dictionary(encoded.column(name).type)
            assert (
                encoded.column(name).cast(pa.string()).to_pylist() == plain.column(name).to_pylist()
            )
        assert other.bucket_columns(bucket).keys() == one.bucket_columns(bucket).keys()
        assert other.context(bucket=bucket) == one.context(bucket=bucket)
        for person, columns in one.bucket_columns(bucket).items():
            assert list(other.bucket_columns(bucket)[person]) == list(columns)


def test_a_one_command_stores_stale_parts_go(tmp_path: Path, corpus: Path) -> None:
    # The parts of a run the manifest does not name are removed as a Parquet store's are
    # (a spool of a killed run, and a run's streams).
    root = tmp_path / "store"
    store = EvidenceStore(root, buckets=2, scratch=True)
    store.ingest([corpus], workers=1)
    stale = [root / "evidence" / "person_bucket=001" / "part-r0009-00000.arrows",
             root / "evidence" / "person_bucket=001" / "part-r0009-00000-spool.arrows",
             root / "people" / "person_bucket=001" / "part-r0009-00000.arrows"]  # fmt: skip
    for path in stale:
        path.write_bytes(b"left by a killed run")
    store._remove_parts(store._runs_kept())
    assert not any(path.exists() for path in stale)
    assert list(root.glob("evidence/*/part-r0001-*.arrows"))
    assert EvidenceStore(root).evidence() == collect_evidence([corpus], workers=1).evidence


def test_failed_ingest_leaves_no_rows_and_a_killed_runs_spools_go(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geoleak.pipeline
    import geoleak.store

    monkeypatch.setattr(geoleak.store, "FLUSH_ROWS", 10)
    real = geoleak.pipeline.collect_evidence

    def failing(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)  # every row reaches the spools
        raise RuntimeError("disk full")

    monkeypatch.setattr(geoleak.pipeline, "collect_evidence", failing)
    root = tmp_path / "store"
    with pytest.raises(RuntimeError):
        EvidenceStore(root, buckets=2).ingest([corpus], workers=1)
    assert not list(root.rglob("*.arrows")) and not list(root.rglob("*.parquet"))
    # a run killed mid-way leaves its spool: the next ingest removes it
    monkeypatch.setattr(geoleak.pipeline, "collect_evidence", real)
    stale = root / "evidence" / "person_bucket=001" / "part-r0001-spool.arrows"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"left by a killed run")
    report = EvidenceStore(root).ingest([corpus], workers=1)
    assert not stale.exists() and report.rows > 0
    assert not list(root.rglob("*.arrows"))


def test_the_command_counts_one_skipped_input_in_the_singular(tmp_path: Path, corpus: Path) -> None:
    from click.testing import CliRunner

    from geoleak.cli import main

    args = ["ingest", str(corpus), "--store", str(tmp_path / "store"), "--workers", "1"]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert "1 input already in the store; skipped" in again.output, again.output


def test_rerun_skips_and_changed_input_is_read_again(tmp_path: Path, corpus: Path) -> None:
    root = tmp_path / "store"
    first = EvidenceStore(root).ingest([corpus], workers=1)
    again = EvidenceStore(root).ingest([corpus], workers=1)
    assert again.run is None
    assert again.inputs_skipped == [str(corpus)]
    stat = corpus.stat()
    os.utime(corpus, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    third = EvidenceStore(root).ingest([corpus], workers=1)
    assert third.run == 2
    assert third.rows == first.rows
    # the first run's rows are gone: the store holds one copy
    assert sum(len(v) for v in EvidenceStore(root).evidence().values()) == first.rows
    assert not list(root.glob("evidence/*/part-r0001-*"))


def test_inputs_are_named_as_given_and_known_by_their_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Warnings and the report name an input as the user gave it (a relative path stays
    relative); the manifest knows the file, so the same file named another way is skipped."""
    from geoleak.diagnostics import Diagnostics

    (tmp_path / "in").mkdir()
    line = {"id": "1", "author": "ana", "created_at": "2024-03-01T10:00:00Z",
            "geo": {"lat": 69.65, "lon": 18.96}}  # fmt: skip
    (tmp_path / "in" / "posts.jsonl").write_text(json.dumps(line) + "\nnot json\n")
    monkeypatch.chdir(tmp_path)
    diag = Diagnostics()
    report = EvidenceStore(tmp_path / "store").ingest(["in/posts.jsonl"], diag=diag, workers=1)
    assert report.inputs_read == ["in/posts.jsonl"]
    assert [w.split(": ")[0] for w in diag.warnings] == ["in/posts.jsonl:2"]
    monkeypatch.chdir(tmp_path / "in")
    again = EvidenceStore(tmp_path / "store").ingest(["./posts.jsonl"], workers=1)
    assert again.run is None and again.inputs_skipped == ["./posts.jsonl"]


def test_parts_of_an_unfinished_run_are_removed(tmp_path: Path, corpus: Path) -> None:
    root = tmp_path / "store"
    EvidenceStore(root).ingest([corpus], workers=1)
    orphan = root / "evidence" / "person_bucket=000" / "part-r0009-00000.parquet"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"half-written")
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "x", "author": "z", "lat": 1.0, "lon": 2.0}) + "\n")
    EvidenceStore(root).ingest([corpus, other], workers=1)
    assert not orphan.exists()


def test_a_folder_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not an evidence store"):
        EvidenceStore(tmp_path)


def test_store_cannot_be_mixed_with_other_inputs(tmp_path: Path, corpus: Path) -> None:
    EvidenceStore(tmp_path / "store").ingest([corpus], workers=1)
    with pytest.raises(UsageError, match="only input"):
        collect_evidence([tmp_path / "store", corpus])


def test_pyarrow_and_duckdb_read_the_store_as_documented(tmp_path: Path, corpus: Path) -> None:
    import pyarrow.dataset as ds

    EvidenceStore(tmp_path / "store", buckets=4).ingest([corpus], workers=1)
    direct = collect_evidence([corpus], workers=1)
    table = ds.dataset(
        tmp_path / "store" / "evidence", format="parquet", partitioning="hive"
    ).to_table()
    assert table.num_rows == sum(len(v) for v in direct.evidence.values())
    assert {
        "person",
        "lat",
        "lon",
        "time_utc",
        "local_time",
        "local_basis",
        "person_bucket",
    } <= set(table.column_names)
    duckdb = pytest.importorskip("duckdb")
    pattern = str(tmp_path / "store" / "evidence" / "**" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT person, count(*) AS n FROM read_parquet('{pattern}', hive_partitioning=1) GROUP BY person"
    ).fetchall()
    assert dict(rows) == {p: len(v) for p, v in direct.evidence.items()}


def test_a_file_read_from_an_archive_is_stored_by_its_member_name(tmp_path: Path) -> None:
    import tempfile
    import zipfile

    from media_data import BUNDLED_MEDIA

    archive = tmp_path / "takeout.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(BUNDLED_MEDIA / "mde_htc_desire.jpg", "Takeout/Google Photos/a.jpg")
    EvidenceStore(tmp_path / "store").ingest([archive], workers=1)
    stored = EvidenceStore(tmp_path / "store").evidence_set().evidence
    (item,) = [e for found in stored.values() for e in found]
    assert item.media_path == f"{archive}!/Takeout/Google Photos/a.jpg"
    assert tempfile.gettempdir() + "/geoleak-" not in str(item.media_path)


def test_bucket_count_grows_with_the_corpus_between_bounds() -> None:
    assert buckets_for(0) == DEFAULT_BUCKETS
    assert buckets_for(ROWS_PER_BUCKET * DEFAULT_BUCKETS) == DEFAULT_BUCKETS
    assert buckets_for(ROWS_PER_BUCKET * DEFAULT_BUCKETS + 1) == 2 * DEFAULT_BUCKETS
    assert buckets_for(4 * ROWS_PER_BUCKET * DEFAULT_BUCKETS) == 4 * DEFAULT_BUCKETS
    assert buckets_for(10**12) == MAX_BUCKETS
    counts = [buckets_for(n) for n in range(0, 50 * ROWS_PER_BUCKET * DEFAULT_BUCKETS, 99_991)]
    assert counts == sorted(counts)


def test_a_new_store_is_sized_from_its_inputs_and_keeps_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"x" * 5_000_000)  # a media file: one row, whatever its size
    posts = folder / "posts.jsonl"
    line = '{"id": "%d", "author": "u%d", "lat": 59.%05d, "lon": 10.7}\n'
    posts.write_text("".join(line % (n, n % 50, n) for n in range(40_000)))
    rows = estimate_rows([folder])
    assert rows == 1 + posts.stat().st_size // 128
    assert estimate_rows([posts, folder / "a.jpg"]) == rows
    # a size that needs more than the minimum of partitions, as a larger corpus would
    big = ROWS_PER_BUCKET * DEFAULT_BUCKETS * 3
    root = tmp_path / "store"
    store = EvidenceStore(root)
    monkeypatch.setattr("geoleak.store.estimate_rows", lambda _inputs: big)
    store.ingest([posts], workers=1, geocoder=None)
    monkeypatch.undo()
    assert store.buckets == EvidenceStore(root).buckets == buckets_for(big) == 4 * DEFAULT_BUCKETS
    more = tmp_path / "more.jsonl"
    more.write_text(line % (1, 1, 99_999))
    EvidenceStore(root).ingest([more], workers=1, geocoder=None)
    assert EvidenceStore(root).buckets == 4 * DEFAULT_BUCKETS
    assert sum(len(v) for v in EvidenceStore(root).evidence().values()) == 40_001
    assert {p.parent.name for p in root.glob("evidence/*/part-*.parquet")} <= {
        f"person_bucket={b:03d}" for b in range(4 * DEFAULT_BUCKETS)
    }


def test_a_people_table_of_the_earlier_layout_is_still_read(tmp_path: Path, corpus: Path) -> None:
    # Stores written before the people table was partitioned hold it in people/part-*.
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "store"
    EvidenceStore(root, buckets=4).ingest([corpus], workers=1)
    store = EvidenceStore(root)
    context, stats = store.context(), store.stats().to_json()
    parts = sorted(root.glob("people/person_bucket=*/part-r0001-00000.parquet"))
    assert len(parts) > 1
    pq.write_table(
        pa.concat_tables([pq.ParquetFile(p).read() for p in parts]),
        root / "people" / "part-r0001-00000.parquet",
    )
    for part in parts:
        part.unlink()
    assert store.context() == context and store.stats().to_json() == stats
    assert {p for b in range(4) for p in store.context(bucket=b)} == set(context)


def test_store_rows_give_evidence_with_checked_positions_and_shared_times() -> None:
    import pyarrow as pa

    from geoleak.store import evidence_from_table, evidence_schema
    from geoleak.types import EvidenceSource, LatLon, LocalTimeBasis

    def table(lat: float) -> pa.Table:
        row = {"person": "p", "post_id": "1", "lat": lat, "lon": -179.5, "accuracy_m": 30.0,
               "time_utc": 1_700_000_000_000_001, "local_time": None, "local_basis": "none",
               "tz_name": None, "posted_at": 1_700_000_000_000_001, "source": "geotag",
               "media_path": None, "device": None, "text": None, "weight": 1.0}  # fmt: skip
        second = {**row, "post_id": "2", "posted_at": 1_700_000_060_000_000}
        return pa.Table.from_pylist([row, second], schema=evidence_schema())

    [first, second] = evidence_from_table(table(89.9))["p"]
    assert first.position == LatLon(89.9, -179.5) and first.source is EvidenceSource.GEOTAG
    assert first.local_basis is LocalTimeBasis.NONE and first.local_time is None
    assert first.time_utc is not None and first.time_utc.microsecond == 1
    assert first.posted_at is first.time_utc  # one object where the two times are equal
    assert second.posted_at == datetime(2023, 11, 14, 22, 14, 20, tzinfo=timezone.utc)
    for bad in (90.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"finite|outside"):
            evidence_from_table(table(bad))


_MICROS = st.one_of(st.none(), st.integers(-2_000_000_000_000_000, 4_000_000_000_000_000))
_ROW = st.fixed_dictionaries({
    "person": st.sampled_from(["p", "q", "r\u00e9"]),
    "post_id": st.text(min_size=1, max_size=3),
    "lat": st.sampled_from([89.9, -90.0, 78.2232, 0.0, -33.8688, 51.5074]),
    "lon": st.sampled_from([-180.0, 179.99, -179.99, 0.0, 151.2093, -0.1278]),
    "accuracy_m": st.sampled_from([3.0, 30.0, 500.0, 500.1, 2000.0]),
    "time_utc": _MICROS,
    "local_time": _MICROS,
    "local_basis": st.sampled_from([b.value for b in LocalTimeBasis]),
    "tz_name": st.one_of(st.none(), st.sampled_from(["Europe/London", "Australia/Lord_Howe"])),
    "posted_at": st.one_of(_MICROS, st.just("same")),
    "source": st.sampled_from([s.value for s in EvidenceSource]),
    "media_path": st.one_of(st.none(), st.just("a/b.jpg")),
    "device": st.one_of(st.none(), st.just("Pixel 7")),
    "text": st.one_of(st.none(), st.just("at the lab")),
    "weight": st.sampled_from([0.5, 0.8, 1.0]),
})  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(_ROW, max_size=30), st.integers(1, 4))
@example([], 1)
def test_store_rows_read_as_columns_equal_their_evidence_objects(
    rows: list[dict[str, Any]], chunks: int
) -> None:
    # A partition read as each person's `EvidenceColumns` (what inference reads) stands for
    # the objects `evidence_from_table` makes: every column, the people and their order,
    # and each item made on demand; people's rows interleaved, nulls, posting lags.
    import pyarrow as pa

    from geoleak.extract.evidence_columns import EvidenceColumns
    from geoleak.store import columns_from_table, evidence_from_table, evidence_schema

    for row in rows:
        if row["posted_at"] == "same":
            row["posted_at"] = row["time_utc"]
    size = -(-len(rows) // chunks) or 1
    table = pa.concat_tables(
        [pa.Table.from_pylist(rows[at : at + size], schema=evidence_schema())
         for at in range(0, max(len(rows), 1), size)]
    )  # fmt: skip
    objects = evidence_from_table(table)
    columns = columns_from_table(table)
    assert list(columns) == list(objects)
    for person, found in objects.items():
        got, want = columns[person], EvidenceColumns(person, [found])
        assert got.made() == 0 and len(got) == len(found)
        for name in ("lat", "lon", "accuracy_m", "weight", "utc_us", "has_utc", "local_us",
                     "has_local"):  # fmt: skip
            assert np.array_equal(getattr(got, name), getattr(want, name)), name
            assert getattr(got, name).dtype == getattr(want, name).dtype, name
        assert np.array_equal(got.lag_s, want.lag_s, equal_nan=True)
        assert got.post_ids == want.post_ids and got.tz_names == want.tz_names
        assert got.sources == want.sources
        assert [repr(got.time_utc_of(k)) for k in range(len(found))] == [
            repr(ev.time_utc) for ev in found
        ]
        assert got.made() == 0
        for k, ev in enumerate(found):
            made = got[k]
            assert all(repr(getattr(made, n)) == repr(getattr(ev, n)) for n in Evidence.__slots__)
            assert (made.posted_at is made.time_utc) == (ev.posted_at is ev.time_utc)
        assert got[-1] is got[len(found) - 1]


def test_store_rows_as_columns_check_positions_and_accuracy_and_stay_read_only() -> None:
    import pyarrow as pa

    from geoleak.store import columns_from_table, evidence_from_table, evidence_schema

    def table(lat: float, accuracy: float) -> pa.Table:
        row = {"person": "p", "post_id": "1", "lat": lat, "lon": 10.0, "accuracy_m": accuracy,
               "time_utc": None, "local_time": None, "local_basis": "none", "tz_name": None,
               "posted_at": None, "source": "geotag", "media_path": None, "device": None,
               "text": None, "weight": 1.0}  # fmt: skip
        return pa.Table.from_pylist([row], schema=evidence_schema())

    for lat, accuracy, message in ((90.5, 30.0, "outside"), (float("nan"), 30.0, "finite"),
                                   (10.0, 0.0, "accuracy_m must be positive"),
                                   (10.0, float("nan"), "accuracy_m must be positive")):  # fmt: skip
        for read in (columns_from_table, evidence_from_table):
            with pytest.raises(ValueError, match=message):
                read(table(lat, accuracy))
    [columns] = columns_from_table(table(10.0, 30.0)).values()
    with pytest.raises(ValueError, match="read-only"):
        columns.lat[0] = 11.0


_WRITE_STORE = """
import sys
from pathlib import Path
if sys.argv[3] == "without":
    from geoleak.pipeline import _WithoutPandas
    sys.meta_path.insert(0, _WithoutPandas)
else:
    import pandas  # noqa: F401  (as pyarrow imports it at its first array)
from geoleak.store import EvidenceStore
EvidenceStore(Path(sys.argv[2]), buckets=3).ingest([Path(sys.argv[1])], workers=1)
print("pandas" in sys.modules)
"""


def test_a_store_written_without_pandas_is_the_same_bytes(tmp_path: Path, corpus: Path) -> None:
    # The streaming ingest shards keep pyarrow from importing pandas (`_WithoutPandas`):
    # the same Parquet files, byte for byte, as with pandas imported.
    import subprocess
    import sys

    pytest.importorskip("pandas")
    files = {}
    for how in ("without", "with"):
        root = tmp_path / how
        done = subprocess.run([sys.executable, "-c", _WRITE_STORE, str(corpus), str(root), how],
                              capture_output=True, text=True, check=True)  # fmt: skip
        assert done.stdout.split() == [str(how == "with")]
        files[how] = {p.relative_to(root): p.read_bytes() for p in root.rglob("*.parquet")}
    assert files["without"] == files["with"] and len(files["with"]) >= 4


def test_only_streaming_shards_refuse_pandas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from geoleak import pipeline
    from geoleak.store import _RunSink

    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.delitem(sys.modules, "pandas", raising=False)
    monkeypatch.setattr(pipeline, "_WORKER_SHARD", None)
    import gc

    threshold = gc.get_threshold()  # (a worker's start raises it: put back for the others)
    monkeypatch.setattr(gc, "set_threshold", lambda *_: None)
    pipeline._adopt_shard(pipeline._Shard(None, None), 0)
    assert pipeline._WithoutPandas not in sys.meta_path
    pipeline._adopt_shard(pipeline._Shard(None, _RunSink(tmp_path, 1, 2).shard(1)), 1)
    assert sys.meta_path[0] is pipeline._WithoutPandas
    with pytest.raises(ModuleNotFoundError):
        __import__("pandas")
    assert gc.get_threshold() == threshold


@settings(max_examples=100, deadline=None)
@given(
    chunks=st.lists(
        st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62)), max_size=12), max_size=4
    ),
    cut=st.tuples(st.integers(0, 10), st.integers(0, 40)),
)
def test_numeric_columns_read_as_to_numpy_gives_them(
    chunks: list[list[int | None]], cut: tuple[int, int]
) -> None:
    """`store._numbers` gives what pyarrow's `to_numpy` gives (the same bytes): timestamps
    as int64 microseconds with NaT (the smallest int64) for a null, floats with NaN for a
    null; several chunks, a column sliced at an offset, empty columns."""
    import pyarrow as pa

    from geoleak.store import _numbers

    ints = pa.chunked_array([pa.array(c, pa.int64()) for c in chunks], pa.int64())
    ints = ints.slice(cut[0], cut[1])
    times = ints.cast(pa.timestamp("us", tz="UTC"))
    floats = ints.cast(pa.float64(), safe=False).slice(1)
    want = np.ascontiguousarray(times.to_numpy()).view(np.int64)
    assert _numbers(times, whole=True).tobytes() == want.tobytes()
    assert _numbers(floats, whole=False).tobytes() == floats.to_numpy().tobytes()


_READ_STORE = """
import sys
from geoleak.store import EvidenceStore
store = EvidenceStore(sys.argv[1])
print(sum(len(store.bucket_columns(b)) for b in range(store.buckets)), "pandas" in sys.modules)
"""


def test_reading_a_partition_imports_no_pandas(tmp_path: Path, corpus: Path) -> None:
    # pyarrow's `to_numpy` imports pandas (~0.3 CPU s and ~40 MB a process); a partition's
    # columns are read without it.
    import subprocess
    import sys

    EvidenceStore(tmp_path / "store", buckets=3).ingest([corpus], workers=1)
    done = subprocess.run([sys.executable, "-c", _READ_STORE, str(tmp_path / "store")],
                          capture_output=True, text=True, check=True)  # fmt: skip
    people, pandas = done.stdout.split()
    assert int(people) > 0 and pandas == "False"


_FEW = st.sampled_from(["", "a", "b\u00e9", "Europe/Paris"])


@settings(max_examples=100, deadline=None)
@given(
    chunks=st.lists(st.lists(st.one_of(st.none(), _FEW), max_size=12), max_size=4),
    cut=st.tuples(st.integers(0, 10), st.integers(0, 40)),
)
def test_dictionary_strings_read_as_to_pylist_gives_them(
    chunks: list[list[str | None]], cut: tuple[int, int]
) -> None:
    """`store._strings` of a dictionary-encoded column gives `to_pylist`'s values: nulls,
    several chunks (each with its own dictionary), a column sliced at an offset (before and
    after encoding), empty columns; a plain string column as it is."""
    import pyarrow as pa

    from geoleak.store import _strings

    plain = pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string())
    plain = plain.slice(cut[0], cut[1])
    encoded = pa.chunked_array(
        [c.dictionary_encode() for c in plain.chunks], pa.dictionary(pa.int32(), pa.string())
    )
    assert _strings(encoded) == plain.to_pylist()
    assert _strings(encoded.slice(1)) == plain.slice(1).to_pylist()  # indices at an offset
    assert _strings(plain) == plain.to_pylist()


def _assert_same_rows(want_table: Any, got_table: Any) -> None:
    """`rows_of_table` of both tables gives the same spans, lists and array bytes."""
    from geoleak.store import rows_of_table

    (want, want_spans), (got, got_spans) = rows_of_table(want_table), rows_of_table(got_table)
    assert got_spans == want_spans
    for name, value in vars(want).items():
        if isinstance(value, np.ndarray):
            assert value.tobytes() == getattr(got, name).tobytes(), name
        else:
            assert value == getattr(got, name), name


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, max_size=30), st.integers(1, 3))
@example([], 1)
def test_a_partition_read_with_dictionaries_gives_the_same_rows(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]], files: int
) -> None:
    # `bucket_columns` reads the columns with few values dictionary-encoded (`FEW_VALUES`):
    # the same rows, every list and array, as the plain read gives, over several files.
    import pyarrow as pa
    import pyarrow.parquet as pq

    from geoleak.store import FEW_VALUES, _read_parquet, evidence_schema

    for row in rows:
        if row["posted_at"] == "same":
            row["posted_at"] = row["time_utc"]
    folder = tmp_path_factory.mktemp("parts")
    size = -(-len(rows) // files) or 1
    paths = []
    for at in range(0, max(len(rows), 1), size):
        paths.append(folder / f"part-{at}.parquet")
        pq.write_table(pa.Table.from_pylist(rows[at : at + size], schema=evidence_schema()),
                       paths[-1])  # fmt: skip
    plain = pa.concat_tables([_read_parquet(p) for p in paths])
    encoded = pa.concat_tables([_read_parquet(p, None, FEW_VALUES) for p in paths])
    assert all(pa.types.is_dictionary(encoded.column(n).type) for n in FEW_VALUES)
    _assert_same_rows(plain, encoded)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, max_size=30), st.booleans())
@example([], False)
def test_files_written_with_the_stores_options_read_as_the_default_ones(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]], scratch: bool
) -> None:
    # The evidence files' writer options (`_parquet_options`: dictionaries and statistics
    # where they serve, a one-command store uncompressed) change no value read back, and a
    # file of pyarrow's defaults (every store written before them) reads as it did.
    import pyarrow as pa
    import pyarrow.parquet as pq

    from geoleak.store import (
        FEW_VALUES,
        _parquet_options,
        _read_parquet,
        evidence_from_table,
        evidence_schema,
    )

    for row in rows:
        if row["posted_at"] == "same":
            row["posted_at"] = row["time_utc"]
    table = pa.Table.from_pylist(rows, schema=evidence_schema())
    folder = tmp_path_factory.mktemp("options")
    pq.write_table(table, folder / "default.parquet")
    pq.write_table(table, folder / "store.parquet", **_parquet_options(scratch=scratch))
    old, new = (_read_parquet(folder / f"{n}.parquet") for n in ("default", "store"))
    assert new.equals(old) and new.schema == evidence_schema()
    assert evidence_from_table(new) == evidence_from_table(old)
    old, new = (_read_parquet(folder / f"{n}.parquet", None, FEW_VALUES)
                for n in ("default", "store"))  # fmt: skip
    _assert_same_rows(old, new)


@pytest.mark.parametrize("scratch", [False, True])
def test_a_one_command_stores_spools_are_not_compressed(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, scratch: bool
) -> None:
    # lz4's per-buffer set-up cost more than it saved on a spool's small slices; a store
    # a user names keeps it (its spools can be as large as its input). Either way the
    # store holds the same evidence.
    import pyarrow as pa

    import geoleak.store

    asked: list[str | None] = []
    new_stream = pa.ipc.new_stream

    def spooling(*args: Any, options: Any = None, **kwargs: Any) -> Any:
        asked.append(options.compression)
        return new_stream(*args, options=options, **kwargs)

    monkeypatch.setattr(pa.ipc, "new_stream", spooling)
    monkeypatch.setattr(geoleak.store, "FLUSH_ROWS", 40)
    root = tmp_path / "store"
    EvidenceStore(root, buckets=3, scratch=scratch).ingest([corpus], workers=1)
    assert asked and set(asked) == {None if scratch else "lz4"}
    assert EvidenceStore(root).evidence() == collect_evidence([corpus], workers=1).evidence


def test_evidence_files_keep_dictionaries_and_statistics_where_they_serve(
    tmp_path: Path, corpus: Path
) -> None:
    # Dictionary pages only for the strings with few values in a partition, min and max
    # only for the person and the times, snappy; DuckDB reads them.
    import pyarrow.parquet as pq

    from geoleak.store import _DICTIONARY, _STATISTICS

    scratch = False
    root = tmp_path / "store"
    EvidenceStore(root, buckets=2, scratch=scratch).ingest([corpus], workers=2)
    parts = sorted(root.glob("evidence/*/*.parquet"))
    assert len(parts) >= 2
    for part in parts:
        group = pq.ParquetFile(part).metadata.row_group(0)
        for k in range(group.num_columns):
            column = group.column(k)
            name = column.path_in_schema
            assert column.has_dictionary_page == (name in _DICTIONARY), name
            assert column.is_stats_set == (name in _STATISTICS), name
            assert column.compression == ("UNCOMPRESSED" if scratch else "SNAPPY"), name
    assert EvidenceStore(root).evidence() == collect_evidence([corpus], workers=1).evidence
    duckdb = pytest.importorskip("duckdb")
    pattern = str(root / "evidence" / "**" / "*.parquet")
    (found,) = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{pattern}') WHERE time_utc IS NULL OR "
        "time_utc >= TIMESTAMPTZ '1970-01-01 00:00:00+00'"
    ).fetchall()
    assert found == (sum(pq.ParquetFile(p).metadata.num_rows for p in parts),)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["p", "q", "r"]),
            st.integers(0, 50),
            st.dictionaries(st.sampled_from(["Pixel 7", "iPhone"]), st.integers(1, 9)),
            st.dictionaries(st.sampled_from(["no-gps", "video"]), st.integers(1, 9)),
            st.lists(st.integers(0, 9), min_size=24, max_size=24),
        ),
        max_size=8,
    ),
    st.integers(1, 3),
)
def test_people_context_sums_a_persons_rows_over_runs(
    tmp_path_factory: pytest.TempPathFactory, rows: list[Any], runs: int
) -> None:
    # `EvidenceStore.context` takes a person's one row as it is and sums several runs'
    # rows (posts, devices, media left out, hours): the counts and their key order that
    # Counters summed over every row give.
    from collections import Counter

    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path_factory.mktemp("ctx")
    EvidenceStore(root, buckets=1)._write_manifest()
    folder = root / "people" / "person_bucket=000"
    folder.mkdir(parents=True)
    want: dict[str, list[Any]] = {}
    for run in range(runs):
        mine = rows[run::runs]
        pq.write_table(
            pa.table({
                "person": [r[0] for r in mine], "posts": [r[1] for r in mine],
                "devices": [json.dumps(r[2]) for r in mine],
                "excluded": [json.dumps(r[3]) for r in mine],
                "utc_hours": pa.array([r[4] for r in mine], pa.list_(pa.int32())),
            }),
            folder / f"part-r{run + 1:04d}-00000.parquet",
        )  # fmt: skip
        for person, posts, devices, excluded, hours in mine:
            entry = want.setdefault(person, [0, Counter(), Counter(), [0] * 24])
            entry[0] += posts
            entry[1].update(devices)
            entry[2].update(excluded)
            entry[3] = [a + b for a, b in zip(entry[3], hours, strict=True)]
    got = EvidenceStore(root).context(bucket=0)
    assert list(got) == sorted(want)
    for person, (posts, devices, excluded, hours) in want.items():
        context = got[person]
        assert (context.posts, context.utc_hours) == (posts, tuple(hours))
        assert list(context.devices.items()) == list(devices.items())
        assert list(context.excluded.items()) == list(excluded.items())
        assert type(context.devices) is dict and type(context.excluded) is dict


def test_partitions_and_spools_are_read_and_written_without_arrows_threads(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A partition's files (~8,000 rows) and a spool's small batches are decoded and
    # compressed in the calling thread: pyarrow's pool cost more CPU in hand-offs than
    # the work it shared.
    import pyarrow as pa
    import pyarrow.parquet as pq

    asked: list[Any] = []
    read, new_stream, open_stream = pq.ParquetFile.read, pa.ipc.new_stream, pa.ipc.open_stream

    def reading(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(("parquet", kwargs.get("use_threads", True)))
        return read(self, *args, **kwargs)

    def spooling(*args: Any, options: Any = None, **kwargs: Any) -> Any:
        asked.append(("spool", options is None or options.use_threads))
        return new_stream(*args, options=options, **kwargs)

    def spooled(*args: Any, options: Any = None, **kwargs: Any) -> Any:
        asked.append(("spool back", options is None or options.use_threads))
        return open_stream(*args, options=options, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read", reading)
    monkeypatch.setattr(pa.ipc, "new_stream", spooling)
    monkeypatch.setattr(pa.ipc, "open_stream", spooled)
    store = EvidenceStore(tmp_path / "store", buckets=2)
    store.ingest([corpus], workers=1)
    assert store.bucket_columns(0) and store.context(bucket=1)
    assert {kind for kind, _ in asked} == {"parquet", "spool", "spool back"}
    assert not any(threads for _, threads in asked)


@given(st.dictionaries(st.text(max_size=8), st.integers(0, 10**6), max_size=5))
@example({})
@example({"iPhone 12": 3, "": 0})
def test_a_persons_counts_are_written_as_json_dumps_writes_them(counts: dict[str, int]) -> None:
    """The people table's devices and excluded texts: `json.dumps` of the counts, an empty
    one without the call, the keys in their order."""
    from geoleak.store import _json_counts

    assert _json_counts(counts) == json.dumps(dict(counts))
    assert json.loads(_json_counts(counts)) == counts


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "geotag", "tz", "é"]), st.text()),
                max_size=30),
       st.booleans())  # fmt: skip
@example([], False)
@example(["geotag"] * 5, False)
@example([None] * 5, False)
def test_a_column_of_one_value_is_the_column_arrow_makes_of_the_list(
    values: list[str | None], repeated: bool
) -> None:
    """`_one_value` (a flush's string columns whose rows hold one value: Arrow repeats it)
    gives what `pa.array` gives of the list, a list of several values as it is."""
    import pyarrow as pa

    from geoleak.store import _one_value

    if repeated and values:
        values = [values[0]] * len(values)
    column = _one_value(values)
    assert pa.array(column, pa.string()).equals(pa.array(values, pa.string()))
    assert isinstance(column, list) == (len(set(values)) != 1)


def _flushed_as_before(root: Path, blocks: list[Any], buckets: int) -> None:
    """The spools `_BucketWriter.flush` wrote before its runs were sorted: the rows joined,
    made a table, taken by a stable sort of each row's bucket, each bucket's slice written."""
    import pyarrow as pa

    from geoleak.extract.evidence_columns import EvidenceRows
    from geoleak.store import _BucketWriter, _table_of_rows, evidence_schema

    writer = _BucketWriter(root, 1, buckets, scratch=True)
    rows = EvidenceRows.joined(blocks)
    bucket_of = np.array([person_bucket(p, buckets) for p in rows.person], dtype=np.int64)
    order = np.argsort(bucket_of, kind="stable")
    table = _table_of_rows(rows, evidence_schema()).take(pa.array(order))
    bucket_of = bucket_of[order]
    options = pa.ipc.IpcWriteOptions(compression=None, use_threads=False)
    for bucket in np.unique(bucket_of).tolist():
        at = np.flatnonzero(bucket_of == bucket)
        writer._folder(bucket).mkdir(parents=True, exist_ok=True)
        with (
            pa.OSFile(str(writer._spool_path(bucket)), "wb") as sink,
            pa.ipc.new_stream(sink, evidence_schema(), options=options) as stream,
        ):
            stream.write_table(table.slice(int(at[0]), len(at)))


_FIXED_ROW = {"person": "p", "post_id": "1", "lat": 0.0, "lon": 0.0, "accuracy_m": 3.0,
              "time_utc": 1, "local_time": None, "local_basis": "none", "tz_name": None,
              "posted_at": 1, "source": "geotag", "media_path": None, "device": None,
              "text": None, "weight": 1.0}  # fmt: skip


_BLOCK_ROW = st.fixed_dictionaries({
    "person": st.sampled_from(["p", "q", "r\u00e9", "s", "t0", "u"]),
    "post_id": st.text(min_size=1, max_size=3),
    "lat": st.sampled_from([89.9, -90.0, 0.0, -33.8688]),
    "lon": st.sampled_from([-180.0, 179.99, 0.0, 151.2093]),
    "accuracy_m": st.sampled_from([3.0, 30.0]),
    "time_utc": _MICROS,
    "local_time": _MICROS,
    "local_basis": st.sampled_from([b.value for b in LocalTimeBasis]),
    "tz_name": st.one_of(st.none(), st.sampled_from(["Europe/London", "Australia/Lord_Howe"])),
    "posted_at": _MICROS,
    "source": st.sampled_from([s.value for s in EvidenceSource]),
    "media_path": st.one_of(st.none(), st.just("a/b.jpg")),
    "device": st.one_of(st.none(), st.just("Pixel 7")),
    "text": st.one_of(st.none(), st.just("at the lab")),
    "weight": st.sampled_from([0.5, 1.0]),
})  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_BLOCK_ROW, min_size=1, max_size=12), min_size=1, max_size=4),
       st.integers(1, 5))  # fmt: skip
@example([[{**_FIXED_ROW, "person": "p"}, {**_FIXED_ROW, "person": "q"}],
          [{**_FIXED_ROW, "person": "q"}, {**_FIXED_ROW, "person": "p"}]], 2)  # fmt: skip
def test_a_flush_writes_each_bucket_as_a_stable_sort_of_its_rows(
    tmp_path_factory: pytest.TempPathFactory, blocks: list[list[dict[str, Any]]], buckets: int
) -> None:
    # A flush moves each run of a person's rows to its bucket at once: the spools are the
    # bytes the rows sorted stably by bucket gave (blocks of one person's rows, people
    # back in a later block, a person's rows split between blocks, any column mixed).
    import pyarrow as pa

    from geoleak.store import _BucketWriter, evidence_schema, rows_of_table

    def rows_of(block: list[dict[str, Any]]) -> Any:
        # (rows_of_table groups a person's rows; a block as `add` gets it has them together)
        table = pa.Table.from_pylist(sorted(block, key=lambda r: r["person"]),
                                     schema=evidence_schema())  # fmt: skip
        return rows_of_table(table)[0]

    rows = [rows_of(block) for block in blocks]
    root = tmp_path_factory.mktemp("flush")
    writer = _BucketWriter(root / "now", 1, buckets, scratch=True)
    for block in rows:
        writer.add(block)
    writer.flush()
    writer._close_spools()
    _flushed_as_before(root / "before", rows, buckets)
    now = sorted(p.relative_to(root / "now") for p in (root / "now").rglob("*.arrows"))
    before = sorted(p.relative_to(root / "before") for p in (root / "before").rglob("*.arrows"))
    assert now == before
    for path in now:
        assert (root / "now" / path).read_bytes() == (root / "before" / path).read_bytes()
