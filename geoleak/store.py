"""The evidence store: every located observation in columns, on disk, by person.

A folder of Parquet files (Apache Arrow's columnar format) that `geoleak ingest` fills and
`infer`, `map` and `report` read instead of the raw corpus:

    store/
      geoleak-store.json                       manifest: inputs read (path, size, mtime), runs
      evidence/person_bucket=007/part-r0003-00001.parquet   run 3, ingest shard 1
      people/person_bucket=007/part-r0003-00001.parquet     per-person context (posts, hours)

One row of `evidence` is one piece of evidence (the schema is `EVIDENCE_SCHEMA`, described
in README.md). Rows are partitioned by a hash of the person, so a person's evidence is in
one partition and inference can read one partition at a time: memory follows the largest
partition, not the corpus. Each ingest shard (a process reading its own people) writes its
own file per partition and run; a person's rows are in one file of a run, in the order
they were read.

Ingest is incremental: an input whose path, size and modification time are in the manifest
is skipped. Inputs read together (one run) are re-read together when one of them changed,
because dedupe looked across them. A run that did not finish leaves part files that the
manifest does not name; they are removed when the store is next opened for writing.

DuckDB reads the store as it is:
`SELECT person, count(*) FROM read_parquet('store/evidence/**/*.parquet', hive_partitioning=1)
GROUP BY person`.

A store that lives for one command (`geoleak infer` of a corpus past `AUTO_STORE_ROWS`, in a
temporary folder: `scratch`) keeps the same rows in Arrow IPC streams instead
(`part-r0003-00001.arrows`, `SCRATCH_SUFFIX`): a shard's spool of a partition becomes its
file as it is, and nothing is encoded to Parquet only to be decoded twice right after.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from geoleak.epoch import from_naive_us, from_utc_us
from geoleak.errors import UsageError
from geoleak.geocode import OFFLINE
from geoleak.paths import path_names
from geoleak.types import Evidence, EvidenceSource, LatLon, LocalTimeBasis

if TYPE_CHECKING:
    import pyarrow as pa

    from geoleak.diagnostics import Diagnostics
    from geoleak.extract.evidence_columns import EvidenceColumns, EvidenceRows
    from geoleak.geocode.base import Geocoder
    from geoleak.infer import PersonContext
    from geoleak.pipeline import EvidenceSet, LeakStats

__all__ = [
    "AUTO_STORE_ROWS",
    "MANIFEST",
    "EvidenceStore",
    "PeopleCounts",
    "buckets_for",
    "estimate_rows",
    "evidence_schema",
    "is_store",
    "person_bucket",
]

MANIFEST = "geoleak-store.json"
STORE_VERSION = 1
# A new store's partitions are sized from its first inputs (`buckets_for`): at least
# DEFAULT_BUCKETS, one per ROWS_PER_BUCKET estimated rows, at most MAX_BUCKETS (one open
# Parquet file each while ingesting), a power of two. Each partition costs every ingesting
# shard a spool write per flush and two Parquet files at its end, whatever its rows: at
# 8 k rows a partition (256 at 2 M posts) that was ~8 % of a shard's instructions, and
# the inference passes' per-partition work ~0.5 % (benchmarks/README.md, shard16). At
# 16 k rows a partition process's peak RSS is ~20 MiB more (~210 MiB at 500 k posts).
DEFAULT_BUCKETS = 32
ROWS_PER_BUCKET = 16_384
MAX_BUCKETS = 512
# Bytes of a JSON or CSV input per evidence row in the estimate: a located post with no
# text takes ~110 bytes, so the estimate errs towards more (smaller) partitions.
_BYTES_PER_ROW = 128
_PACKED = (".gz", ".bz2", ".xz", ".zip", ".zst", ".tgz")  # about 8x smaller than their text
# `geoleak infer` with neither --store nor --in-memory goes through a temporary store when
# its inputs are estimated to give more rows than this: the in-memory path holds every
# person's evidence until the profiles are written (~0.6 KB a located post in a worker:
# 417 MiB at 500 k posts, 717 MiB at 1 M; benchmarks/README.md, bench_scale), the store
# path's memory follows its largest partition. So the default command's memory stays under
# about what 1 M posts take in memory, whatever the corpus.
AUTO_STORE_ROWS = 1_000_000
# Rows buffered before they are written out (as one row group per bucket): bounds ingest
# memory (about 600 B a buffered row as Python objects).
FLUSH_ROWS = 50_000

_PEOPLE_COLUMNS = ("person", "posts", "devices", "excluded", "utc_hours")
# How the evidence's Parquet files are written. Dictionary encoding only for the columns
# with few distinct values in a partition (a person's name on each of their rows, one
# basis and one source, a few zones and devices, a source's nominal accuracy and weight):
# pyarrow's default tries it on every column, hashing each post id and position only to
# keep a dictionary the size of the column. Statistics (min and max) only of the person
# and the times, what a reader's filter can skip a file by (a partition's post ids, texts
# and positions span nearly their whole range). At 500 k posts: one ingest worker's
# Parquet writing 1,327 -> 699 M instructions, the files 25.6 -> 21.1 MB
# (benchmarks/README.md, parq).
_DICTIONARY = ("person", "local_basis", "tz_name", "source", "device", "media_path",
               "accuracy_m", "weight")  # fmt: skip
_STATISTICS = ("person", "time_utc", "local_time", "posted_at")


def _spool_compression(*, scratch: bool) -> str | None:
    """The compression of a writer's spools (`_BucketWriter.flush`: a bucket's slice of
    each flush, read back once at the end of the run). lz4 compresses each column buffer
    of a slice on its own, and a slice is a few hundred rows (a flush's 50,000 over the
    buckets): its per-buffer set-up (its state reset, a frame's buffers zeroed) cost more
    than the bytes it saved. A one-command store (`scratch`) spools them uncompressed
    (about twice the spool's bytes, on disk only until the run's end): the replayed shard
    of 250 k posts into 128 buckets, 11,449 -> 10,737 M instructions; a store a user
    names keeps lz4 (its spools are as large as its input, for as long as the run)."""
    return None if scratch else "lz4"


# A one-command store's part files (`scratch`): Arrow IPC streams, uncompressed. Each
# partition's is the shard's spool renamed (`_BucketWriter.close`), its people's rows one
# stream too: the Parquet files they replace were written once and read twice within the
# command (a shard's 128 partitions at 2 M posts: the spools read back and encoded
# ~0.1 CPU s every 250 k lines; the passes' reads of them a tenth more than the streams').
SCRATCH_SUFFIX = ".arrows"


def _parquet_options(*, scratch: bool) -> dict[str, Any]:
    """`pq.write_table`'s options for an evidence file. `scratch`: a store that lives for
    one command (`geoleak infer` past `AUTO_STORE_ROWS`, in a temporary folder): written
    uncompressed, as it is read back twice right away (about a third more bytes on disk,
    snappy's compression and decompression saved); a store a user names keeps snappy."""
    return {
        "use_dictionary": list(_DICTIONARY),
        "write_statistics": list(_STATISTICS),
        "compression": "none" if scratch else "snappy",
    }


_COLUMNS = (
    "person", "post_id", "lat", "lon", "accuracy_m", "time_utc", "local_time", "local_basis",
    "tz_name", "posted_at", "source", "media_path", "device", "text", "weight",
)  # fmt: skip


def evidence_schema() -> pa.Schema:
    """The columns of one evidence row (times in microseconds; UTC ones carry tz=UTC)."""
    import pyarrow as pa

    utc = pa.timestamp("us", tz="UTC")
    return pa.schema(
        [
            pa.field("person", pa.string(), nullable=False),
            pa.field("post_id", pa.string(), nullable=False),
            pa.field("lat", pa.float64(), nullable=False),
            pa.field("lon", pa.float64(), nullable=False),
            pa.field("accuracy_m", pa.float64(), nullable=False),
            pa.field("time_utc", utc),
            pa.field("local_time", pa.timestamp("us")),
            pa.field("local_basis", pa.string(), nullable=False),
            pa.field("tz_name", pa.string()),
            pa.field("posted_at", utc),
            pa.field("source", pa.string(), nullable=False),
            pa.field("media_path", pa.string()),
            pa.field("device", pa.string()),
            pa.field("text", pa.string()),
            pa.field("weight", pa.float64(), nullable=False),
        ]
    )


def person_bucket(person: str, buckets: int) -> int:
    """The partition of a person: a stable hash (the same in every process and on every
    machine, unlike `hash()`), modulo the number of buckets."""
    digest = hashlib.blake2b(person.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % buckets


def estimate_rows(inputs: Iterable[str | Path]) -> int:
    """About how many evidence rows the inputs give: one per media file, one per
    `_BYTES_PER_ROW` bytes of anything else (eight times that for compressed files)."""
    from geoleak.mediatypes import is_media

    def rows(name: str, size: int) -> int:
        if is_media(name):
            return 1
        return size * (8 if name.lower().endswith(_PACKED) else 1) // _BYTES_PER_ROW

    total = 0
    for item in inputs:
        path = Path(item)
        if not path.is_dir():
            total += rows(path.name, path.stat().st_size) if path.exists() else 0
            continue
        for folder, _dirs, names in os.walk(path):
            for name in names:
                try:
                    total += rows(name, os.lstat(os.path.join(folder, name)).st_size)
                except OSError:
                    continue
    return total


def buckets_for(rows: int) -> int:
    """Partitions for a store of about `rows` evidence rows (see DEFAULT_BUCKETS): many
    more than workers, so partitions stay small (memory) and balance across workers."""
    wanted = max(DEFAULT_BUCKETS, -(-rows // ROWS_PER_BUCKET))
    return min(MAX_BUCKETS, 1 << (wanted - 1).bit_length())


def is_store(path: str | Path) -> bool:
    """Whether `path` is an evidence store folder (it holds the manifest)."""
    return (Path(path) / MANIFEST).is_file()


def _input_key(path: Path) -> dict[str, Any]:
    """What identifies an input's content cheaply: size and modification time (for a
    folder, the count, total size and latest modification of the files under it)."""
    stat = path.stat()
    if not path.is_dir():
        return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    files = size = 0
    latest = stat.st_mtime_ns
    for folder, dirs, names in os.walk(path):
        dirs.sort()
        for name in names:
            try:
                info = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            files += 1
            size += info.st_size
            latest = max(latest, info.st_mtime_ns)
    return {"size": size, "files": files, "mtime_ns": latest}


@dataclass
class PeopleCounts:
    """A store's people (`LeakStats.people`: in its people table) and located people
    (`people_located`: with evidence rows), summed partition by partition where the
    partitions are read anyway (the engines' pass 1), so `EvidenceStore.stats` need not
    read every partition again."""

    people: int = 0
    located: int = 0

    def add(self, people: int, located: int) -> None:
        self.people += people
        self.located += located


@dataclass
class IngestReport:
    """What one `ingest` call did; inputs named as the caller gave them."""

    run: int | None
    inputs_read: list[str]
    inputs_skipped: list[str]
    rows: int
    stats: LeakStats | None


@dataclass(frozen=True)
class _RunSink:
    """Where the ingest shards of one run write (`pipeline.RowSink`): each shard, in its
    own process, its people's evidence rows (`_BucketWriter`: one spool, then one Parquet
    file, per partition and shard) and their rows of the people table. A person is in one
    shard, so a partition's file of one shard holds all of a run's rows of its people."""

    root: Path
    run: int
    buckets: int
    scratch: bool = False  # a store of one command (`_parquet_options`)

    def shard(self, index: int) -> _BucketWriter:
        return _BucketWriter(self.root, self.run, self.buckets, index, scratch=self.scratch)


class _BucketWriter:
    """One shard's evidence rows, buffered by bucket. Each flush appends the buffered rows
    to the bucket's spool file of this run and shard (an Arrow IPC stream: appending costs
    no memory), and `close` turns each spool into the bucket's Parquet file of this run and
    shard, one bucket at a time, and writes the shard's people's rows of the people table.
    (Appending row groups to open Parquet writers instead kept every row group's metadata
    in memory until the end: ~13 KB a row group, buckets x flushes of them, so ingest
    memory grew with the corpus: 136 MB at 2 M posts.) No file is opened before the first
    flush (the writer is made before its shard moves to a worker process)."""

    def __init__(
        self, root: Path, run: int, buckets: int, part: int = 0, *, scratch: bool = False
    ) -> None:
        self.root = root
        self.run = run
        self.buckets = buckets
        self.part = part  # the shard's number: the files' -SSSSS
        self.scratch = scratch
        self.blocks: list[EvidenceRows] = []  # buffered rows, with each row's bucket
        self.bucket_of: list[Any] = []
        self.spools: dict[int, tuple[Any, Any]] = {}  # bucket -> (file, IPC stream writer)
        self.buffered = 0
        self.written = 0

    def add(self, rows: EvidenceRows) -> None:
        """Buffer a batch's rows (a person's rows next to each other, as `collect_evidence`
        hands them to its sink)."""
        import numpy as np

        if not len(rows):
            return
        names = np.array(rows.person, dtype=object)
        starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
        lengths = np.diff(np.r_[starts, len(rows)])
        buckets = [person_bucket(rows.person[k], self.buckets) for k in starts.tolist()]
        self.blocks.append(rows)
        self.bucket_of.append(np.repeat(np.array(buckets, dtype=np.int64), lengths))
        self.buffered += len(rows)
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def _folder(self, bucket: int) -> Path:
        return self.root / "evidence" / f"person_bucket={bucket:03d}"

    def _name(self) -> str:
        return f"part-r{self.run:04d}-{self.part:05d}"

    def _spool_path(self, bucket: int) -> Path:
        return self._folder(bucket) / f"{self._name()}-spool{SCRATCH_SUFFIX}"

    def flush(self) -> None:
        """Append the buffered rows to their buckets' spools, each bucket's in the order
        they were added."""
        import numpy as np
        import pyarrow as pa

        from geoleak.extract.evidence_columns import EvidenceRows

        if not self.blocks:
            return
        schema = evidence_schema()
        rows = EvidenceRows.joined(self.blocks)
        bucket_of = np.concatenate(self.bucket_of)
        order = np.argsort(bucket_of, kind="stable")
        table = _table_of_rows(rows, schema).take(pa.array(order))
        bucket_of = bucket_of[order]
        starts = np.flatnonzero(np.r_[True, bucket_of[1:] != bucket_of[:-1]])
        stops = np.r_[starts[1:], bucket_of.size]
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            bucket = int(bucket_of[start])
            spool = self.spools.get(bucket)
            if spool is None:
                self._folder(bucket).mkdir(parents=True, exist_ok=True)
                sink = pa.OSFile(str(self._spool_path(bucket)), "wb")
                # lz4 in this thread: pyarrow's pool of threads for each small batch's
                # buffers cost ~3.5x the compression's own CPU (benchmarks/README.md, parq).
                # A one-command store's spools are not compressed (`_spool_compression`).
                options = pa.ipc.IpcWriteOptions(
                    compression=_spool_compression(scratch=self.scratch), use_threads=False
                )
                spool = self.spools[bucket] = (
                    sink,
                    pa.ipc.new_stream(sink, schema, options=options),
                )
            spool[1].write_table(table.slice(start, stop - start))
        self.written += table.num_rows
        self.blocks = []
        self.bucket_of = []
        self.buffered = 0

    def _close_spools(self) -> list[int]:
        for sink, stream in self.spools.values():
            stream.close()
            sink.close()
        done = sorted(self.spools)
        self.spools = {}
        return done

    def close(self, context: Mapping[str, PersonContext]) -> int:
        """Write each bucket's Parquet file from its spool (memory: one bucket's rows), then
        the people table's rows of `context` (the shard's people); returns the rows written.
        A one-command store's spool is the bucket's file as it is (`SCRATCH_SUFFIX`)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.flush()
        for bucket in self._close_spools():
            spool = self._spool_path(bucket)
            if self.scratch:
                spool.rename(self._folder(bucket) / f"{self._name()}{SCRATCH_SUFFIX}")
                continue
            with pa.OSFile(str(spool), "rb") as source:
                options = pa.ipc.IpcReadOptions(use_threads=False)
                table = pa.ipc.open_stream(source, options=options).read_all()
            pq.write_table(
                table,
                self._folder(bucket) / f"{self._name()}.parquet",
                **_parquet_options(scratch=self.scratch),
            )
            del table
            spool.unlink()
        _write_people(self.root, self._name(), self.buckets, context, scratch=self.scratch)
        return self.written


def _write_people(
    root: Path, name: str, buckets: int, context: Mapping[str, PersonContext], *,
    scratch: bool = False,
) -> None:  # fmt: skip
    """People's context as rows of the people table, partitioned as the evidence is (a
    partition's task reads its own people only), in `people/person_bucket=NNN/NAME.parquet`
    (`scratch`: NAME.arrows, an Arrow IPC stream)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("person", pa.string()),
            ("posts", pa.int64()),
            ("devices", pa.string()),
            ("excluded", pa.string()),
            ("utc_hours", pa.list_(pa.int32())),
        ]
    )
    by_bucket: dict[int, list[str]] = {}
    for person in sorted(context):
        by_bucket.setdefault(person_bucket(person, buckets), []).append(person)
    for bucket, people in sorted(by_bucket.items()):
        table = pa.table(
            {
                "person": people,
                "posts": [context[p].posts for p in people],
                "devices": [_json_counts(context[p].devices) for p in people],
                "excluded": [_json_counts(context[p].excluded) for p in people],
                "utc_hours": [list(context[p].utc_hours) for p in people],
            },
            schema=schema,
        )
        folder = root / "people" / f"person_bucket={bucket:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        if scratch:
            _write_stream(table, folder / f"{name}{SCRATCH_SUFFIX}")
        else:
            pq.write_table(table, folder / f"{name}.parquet")


def _write_stream(table: pa.Table, path: Path) -> None:
    """`table` as an uncompressed Arrow IPC stream file (in this thread)."""
    import pyarrow as pa

    options = pa.ipc.IpcWriteOptions(compression=None, use_threads=False)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema,
                                                               options=options) as stream:  # fmt: skip
        stream.write_table(table)


def _json_counts(counts: Mapping[str, int]) -> str:
    """`counts` as the people table keeps it: a JSON object ("{}" as `json.dumps` writes
    an empty one, without a call: most people have no device and nothing excluded)."""
    return json.dumps(dict(counts)) if counts else "{}"


def _table_of_rows(rows: EvidenceRows, schema: pa.Schema) -> pa.Table:
    """Evidence rows as the store's table (times to microseconds, null where unknown; a
    media path never names the temporary folder of an archive: it is gone when ingest
    ends)."""
    import pyarrow as pa

    lasting = path_names().lasting
    utc = pa.timestamp("us", tz="UTC")
    columns = {
        "person": rows.person,
        "post_id": rows.post_id,
        "lat": rows.lat,
        "lon": rows.lon,
        "accuracy_m": rows.accuracy_m,
        "time_utc": pa.array(rows.utc_us, type=utc, mask=~rows.has_utc),
        "local_time": pa.array(rows.local_us, type=pa.timestamp("us"), mask=~rows.has_local),
        "local_basis": _one_value(rows.local_basis),
        "tz_name": rows.tz_name,
        "posted_at": pa.array(rows.posted_us, type=utc, mask=~rows.has_posted),
        "source": _one_value(rows.source),
        "media_path": _one_value(rows.media_path)  # (all None, as for plain lines)
        if rows.media_path.count(None) == len(rows.media_path)
        else [lasting(p) if p else None for p in rows.media_path],
        "device": _one_value(rows.device),
        "text": _one_value(rows.text),
        "weight": rows.weight,
    }
    return pa.table(columns, schema=schema)


def _one_value(values: Sequence[str | None]) -> Any:
    """A string column of the evidence (`_table_of_rows`): when every row holds one value
    (a flush's plain rows: one source and basis; no media path, device or text), that
    value repeated by Arrow in C, else the list as it is. The same values either way; a
    list of 50,000 rows costs ~1 ms to convert, its repeat ~0.1 ms (or nothing for None)."""
    import pyarrow as pa

    if not values or values.count(values[0]) != len(values):
        return values
    if values[0] is None:
        return pa.nulls(len(values), pa.string())
    return pa.repeat(pa.scalar(values[0], pa.string()), len(values))


class EvidenceStore:
    """An evidence store folder (see the module docstring); created on first ingest."""

    def __init__(
        self, root: str | Path, *, buckets: int | None = None, scratch: bool = False
    ) -> None:
        """`buckets`: partitions of a new store (None: sized from its first ingest's
        inputs, `buckets_for`); an existing store keeps the number it was made with.
        `scratch`: a store that lives for one command, written for speed rather than size
        (`_parquet_options`)."""
        self.root = Path(root)
        self.scratch = scratch
        manifest = self._read_manifest()
        self._sized = manifest is not None or buckets is not None
        if manifest is None:
            if buckets is not None and buckets < 1:
                raise UsageError("a store needs at least one bucket")
            manifest = {
                "version": STORE_VERSION,
                "buckets": DEFAULT_BUCKETS if buckets is None else buckets,
                "inputs": {},
                "runs": [],
                "next_run": 1,
            }
        self.manifest = manifest
        self.buckets: int = int(manifest["buckets"])

    def _read_manifest(self) -> dict[str, Any] | None:
        path = self.root / MANIFEST
        if not path.is_file():
            if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
                raise UsageError(
                    f"{self.root}: not an evidence store (no {MANIFEST}) and not an empty folder"
                )
            return None
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: unreadable store manifest ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("version") != STORE_VERSION:
            raise UsageError(f"{path}: not a version {STORE_VERSION} geoleak store manifest")
        return manifest

    def _write_manifest(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.root, prefix=".manifest-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(self.manifest, out, indent=1, sort_keys=True)
        os.replace(temp, self.root / MANIFEST)

    # -- writing ---------------------------------------------------------------------

    def _runs_kept(self) -> set[int]:
        return {int(run["run"]) for run in self.manifest["runs"]}

    def _remove_parts(self, keep: set[int]) -> None:
        """Delete part files of runs not in `keep` (unfinished or superseded runs)."""
        for part in [
            *self.root.glob("evidence/*/part-r*.parquet"),
            *self.root.glob(f"evidence/*/part-r*{SCRATCH_SUFFIX}"),  # (spools too)
            *self.root.glob("people/part-r*.parquet"),
            *self.root.glob("people/*/part-r*.parquet"),
            *self.root.glob(f"people/*/part-r*{SCRATCH_SUFFIX}"),
        ]:
            run = int(part.name[6:10])
            if run not in keep:
                part.unlink()

    def ingest(
        self,
        inputs: Sequence[str | Path],
        *,
        diag: Diagnostics | None = None,
        source: str | None = None,
        author: str | None = None,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
        geocoder: Geocoder | None = OFFLINE,
    ) -> IngestReport:
        """Read the inputs not yet in the store (or changed since) into it."""
        from geoleak.pipeline import collect_evidence

        for path in inputs:
            if is_store(path):
                raise UsageError(f"{path} is an evidence store itself; it cannot be read into one")
        # The manifest knows inputs by their resolved path (the same file named from
        # another folder is the same input); warnings and the report name them as given.
        given = {str(Path(p).resolve()): str(p) for p in inputs}
        keys = {path: _input_key(Path(path)) for path in given}
        known: dict[str, Any] = self.manifest["inputs"]
        changed = {path for path, key in keys.items() if known.get(path, {}).get("key") != key}
        # A run is re-read whole when one of its inputs changed (dedupe looked across them).
        stale_runs = {known[path]["run"] for path in changed if path in known}
        redo = {path for path, entry in known.items() if entry["run"] in stale_runs} | changed
        skipped = sorted(set(keys) - redo)
        if not redo:
            return IngestReport(None, [], [given[p] for p in skipped], 0, None)
        missing = sorted(path for path in redo if path not in keys)
        if missing:
            raise UsageError(
                f"{missing[0]} was read with inputs that changed since; name it again to re-read them together"
            )
        self.manifest["runs"] = [r for r in self.manifest["runs"] if r["run"] not in stale_runs]
        for path in redo:
            known.pop(path, None)
        if not self._sized:
            self.buckets = self.manifest["buckets"] = buckets_for(estimate_rows(keys))
            self._sized = True
        run = int(self.manifest.get("next_run", 1))  # never reused: parts name their run
        self.manifest["next_run"] = run + 1
        self._remove_parts(self._runs_kept())
        self._write_manifest()  # stale runs are gone before new parts appear

        ordered = [p for p in keys if p in redo]
        try:
            collected = collect_evidence(
                [given[p] for p in ordered],
                diag=diag,
                source=source,
                author=author,
                workers=workers,
                progress=progress,
                geocoder=geocoder,
                sink=_RunSink(self.root, run, self.buckets, self.scratch),
            )
        except BaseException:
            # The run is not in the manifest: nothing of it is kept (its shards are done:
            # `collect_evidence` waits for them before it raises). A part that cannot be
            # removed now is removed by the next ingest; the error is the one to report.
            with contextlib.suppress(OSError):
                self._remove_parts(self._runs_kept())
            raise
        for path in ordered:
            known[path] = {"key": keys[path], "run": run}
        self.manifest["runs"].append(
            {"run": run, "inputs": ordered, "stats": collected.stats.to_json()}
        )
        self._write_manifest()
        return IngestReport(run, [given[p] for p in ordered], [given[p] for p in skipped],
                            collected.rows_written, collected.stats)  # fmt: skip

    # -- reading ---------------------------------------------------------------------

    def drop_partition(self, bucket: int) -> None:
        """Remove a partition's files (evidence and people): for a store that lives for one
        command, once nothing reads that partition again. The manifest is left as it is:
        what reads the partition afterwards finds no rows."""
        for table in ("evidence", "people"):
            shutil.rmtree(self.root / table / f"person_bucket={bucket:03d}", ignore_errors=True)

    def stats(self, counted: PeopleCounts | None = None) -> LeakStats:
        """The summed ingest statistics of every run in the store. `counted`: its people
        and located people as the engines' pass 1 counted them partition by partition
        (`engine.analyse_bucket`), instead of reading every partition again here."""
        from geoleak.pipeline import LeakStats

        total = LeakStats()
        for run in self.manifest["runs"]:
            for key, value in run["stats"].items():
                if total.add_counts(key, value):
                    continue
                if key in ("people", "people_located"):
                    continue  # people may span runs: counted from the people table below
                setattr(total, key, getattr(total, key) + value)
        if counted is None:
            counted = PeopleCounts()
            for bucket in range(self.buckets):
                table = self._read_bucket(bucket, columns=["person"])
                counted.add(
                    len(set(self._people_rows(bucket, ["person"])["person"])),
                    0 if table is None else len(set(table.column("person").to_pylist())),
                )
        total.people = counted.people
        total.people_located = counted.located
        return total

    def _people_rows(self, bucket: int, columns: list[str] | None = None) -> dict[str, list[Any]]:
        """The people table's rows of one partition, every run's (stores written before
        the people table was partitioned keep it in people/part-*.parquet: filtered)."""
        rows: dict[str, list[Any]] = {}
        folder = self.root / "people" / f"person_bucket={bucket:03d}"
        for part in _part_files(folder) + sorted(self.root.glob("people/part-r*.parquet")):
            found = _read_part(part, columns).to_pydict()
            if part.parent != folder:
                keep = [person_bucket(p, self.buckets) == bucket for p in found["person"]]
                found = {
                    k: [v for v, y in zip(vs, keep, strict=True) if y] for k, vs in found.items()
                }
            for name, values in found.items():
                rows.setdefault(name, []).extend(values)
        return rows if rows else {name: [] for name in columns or _PEOPLE_COLUMNS}

    def context(
        self, people: Iterable[str] | None = None, *, bucket: int | None = None
    ) -> dict[str, PersonContext]:
        """Per-person context, summed over runs: all people, those named, or those of one
        partition (`bucket`: what a partition's task reads)."""
        from geoleak.infer import PersonContext

        wanted = None if people is None else set(people)
        # A person's row of one run is taken as it is (their JSON objects as json.loads
        # gives them, their hours as read); only a person with rows of several runs has
        # them summed, as Counters, into the first. At 500 k posts (8,282 people, one run)
        # the 64 partitions' context 1,046 -> 801 M instructions (their files 201 M).
        found: dict[str, list[Any]] = {}  # person -> [posts, devices, excluded, hours]
        summed: set[str] = set()
        for b in range(self.buckets) if bucket is None else [bucket]:
            rows = self._people_rows(b)
            for person, n, dev_json, exc_json, utc in zip(
                rows["person"], rows["posts"], rows["devices"], rows["excluded"], rows["utc_hours"],
                strict=True,
            ):  # fmt: skip
                if wanted is not None and person not in wanted:
                    continue
                entry = found.get(person)
                dev, exc = json.loads(dev_json), json.loads(exc_json)
                if entry is None and len(utc) == 24 and type(dev) is type(exc) is dict:
                    found[person] = [n, dev, exc, utc]
                    continue
                if entry is None:
                    entry = found[person] = [0, {}, {}, [0] * 24]
                if person not in summed:
                    summed.add(person)
                    entry[1], entry[2] = Counter(entry[1]), Counter(entry[2])
                    entry[3] = list(entry[3])
                entry[0] += n
                entry[1].update(dev)
                entry[2].update(exc)
                total = entry[3]
                for hour, count in enumerate(utc):
                    total[hour] += count
        return {
            person: PersonContext(
                posts=posts,
                devices=dict(devices),
                excluded=dict(excluded),
                utc_hours=tuple(hours),
            )
            for person, (posts, devices, excluded, hours) in sorted(found.items())
        }

    def _read_bucket(
        self, bucket: int, columns: list[str] | None = None, dictionaries: Sequence[str] = ()
    ) -> pa.Table | None:
        """A partition's evidence rows, every run's; `dictionaries`: string columns read
        dictionary-encoded (`_read_parquet`)."""
        import pyarrow as pa

        parts = _part_files(self.root / "evidence" / f"person_bucket={bucket:03d}")
        if not parts:
            return None
        return pa.concat_tables([_read_part(p, columns, dictionaries) for p in parts])

    def bucket_evidence(self, bucket: int) -> dict[str, list[Evidence]]:
        """The evidence of every person in one partition, in the order it was read."""
        table = self._read_bucket(bucket)
        return {} if table is None else evidence_from_table(table)

    def bucket_columns(self, bucket: int) -> dict[str, EvidenceColumns]:
        """`bucket_evidence` as each person's columns (`EvidenceColumns`: what inference
        reads, objects made only for the rows asked for)."""
        table = self._read_bucket(bucket, dictionaries=FEW_VALUES)
        return {} if table is None else columns_from_table(table)

    def evidence(self) -> dict[str, list[Evidence]]:
        """All evidence, by person (the whole store in memory: for maps and reports)."""
        out: dict[str, list[Evidence]] = {}
        for bucket in range(self.buckets):
            out.update(self.bucket_evidence(bucket))
        return out

    def evidence_set(self) -> EvidenceSet:
        """The store as the pipeline's EvidenceSet (everything in memory)."""
        from geoleak.pipeline import EvidenceSet

        return EvidenceSet(self.evidence(), self.context(), {}, self.stats())


def _part_files(folder: Path) -> list[Path]:
    """A partition folder's part files of every run, in the order of their runs and
    shards: Parquet files, or a one-command store's streams (`SCRATCH_SUFFIX`; never a
    spool, which is a run's that did not end)."""
    if not folder.is_dir():
        return []
    parts = [*folder.glob("part-r*.parquet"), *folder.glob(f"part-r*{SCRATCH_SUFFIX}")]
    return sorted((p for p in parts if not p.stem.endswith("-spool")), key=lambda p: p.stem)


def _read_part(
    path: Path, columns: list[str] | None = None, dictionaries: Sequence[str] = ()
) -> pa.Table:
    """One part file (`_read_parquet`), or a one-command store's stream, its columns
    `dictionaries` dictionary-encoded here (as Parquet keeps them: each of their few
    values then becomes one string for all its rows in `_strings`; read plain, a string a
    row cost the 500 k command's partition processes ~1 G instructions more)."""
    if path.suffix != SCRATCH_SUFFIX:
        return _read_parquet(path, columns, dictionaries)
    import pyarrow as pa

    with pa.OSFile(str(path), "rb") as source:
        options = pa.ipc.IpcReadOptions(use_threads=False)
        table = pa.ipc.open_stream(source, options=options).read_all()
    if columns is not None:
        table = table.select(columns)
    for name in dictionaries:
        at = table.schema.get_field_index(name)
        if at >= 0:
            encoded = table.column(at).combine_chunks().dictionary_encode()
            table = table.set_column(at, table.field(at).with_type(encoded.type), [encoded])
    return table


def _read_parquet(
    path: Path, columns: list[str] | None = None, dictionaries: Sequence[str] = ()
) -> pa.Table:
    """One Parquet file (pq.ParquetFile: pq.read_table would load pyarrow.dataset, some
    50 MB of libraries in every process that reads a partition); `dictionaries`: string
    columns read as dictionary arrays (as Parquet keeps them), which `_strings` decodes
    once per distinct value."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path, read_dictionary=list(dictionaries) or None) as handle:
        # In this thread: pyarrow's pool of threads for a partition's columns (~8,000 rows
        # at 500 k posts) cost more CPU in hand-offs than the decoding they shared (the
        # 64 partitions' files: 174 -> 132 CPU ms, the people table's 34 -> 13).
        return handle.read(columns=columns, use_threads=False)


# The evidence's string columns with few distinct values in a partition (a person's name
# on each of their rows, one basis and one source, a few time zones): `bucket_columns`
# reads them dictionary-encoded. At 500 k posts (7,800 rows a partition) their four lists
# took ~1.4 ms each from plain string arrays, a quarter of that from the dictionaries.
FEW_VALUES = ("person", "local_basis", "tz_name", "source")


def _strings(column: pa.ChunkedArray) -> list[Any]:
    """`column.to_pylist()` of a string column; of a dictionary-encoded one, each distinct
    value made once (the rows holding it share the string) and taken by its indices."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_dictionary(column.type):
        return cast("list[Any]", column.to_pylist())
    out: list[Any] = []
    for chunk in column.chunks:
        if chunk.null_count:
            out.extend(chunk.to_pylist())
        elif len(chunk):
            # The indices from their buffer (`to_numpy` would import pandas).
            indices = chunk.indices
            dtype = np.dtype(f"i{indices.type.bit_width // 8}")
            at = np.frombuffer(
                indices.buffers()[1], dtype, len(indices), indices.offset * dtype.itemsize
            )
            values = np.array(chunk.dictionary.to_pylist(), dtype=object)
            out.extend(values[at].tolist())
    return out


def _check_rows(lat_column: Any, lon_column: Any, accuracy_column: Any, table: pa.Table) -> None:
    """Raise the error `Evidence` (or its `LatLon`) gives for the first row whose position
    is not finite and in range, or whose accuracy is not positive."""
    import numpy as np

    bad = np.flatnonzero(
        ~(np.abs(lat_column) <= 90.0)
        | ~(np.abs(lon_column) <= 180.0)  # NaN fails both
        | ~(accuracy_column > 0.0)
    )
    if bad.size:
        row = int(bad[0])
        LatLon(float(lat_column[row]), float(lon_column[row]))  # raises its own error
        Evidence(table.column("post_id")[row].as_py(), "", LatLon(0.0, 0.0),
                 EvidenceSource.GEOTAG, float(accuracy_column[row]))  # fmt: skip


def _numbers(column: pa.ChunkedArray, *, whole: bool) -> Any:
    """A numeric column as numpy: float64 with nulls as NaN, or with `whole` int64 (a
    timestamp's microseconds) with nulls as the smallest int64 (`to_numpy`'s NaT). What
    pyarrow's `to_numpy` gives, read from the data buffer and the validity bitmap: it
    imports pandas (~0.3 CPU s and ~40 MB in every process that reads a partition), which
    nothing here uses."""
    import numpy as np
    import pyarrow as pa

    dtype = np.dtype(np.int64 if whole else np.float64)
    values = column.cast(pa.int64() if whole else pa.float64()).combine_chunks()
    size, offset = len(values), values.offset
    if size == 0:
        return np.zeros(0, dtype)
    validity, data = values.buffers()[:2]
    out = np.frombuffer(data, dtype, size, offset * dtype.itemsize)
    if values.null_count:
        bits = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")
        null = np.iinfo(np.int64).min if whole else np.nan
        out = np.where(bits[offset : offset + size].astype(bool), out, null)
    return out


def rows_of_table(table: pa.Table) -> tuple[EvidenceRows, dict[str, tuple[int, int]]]:
    """Store rows as `EvidenceRows`, one person's rows next to each other (in the order
    they were read), and each person's (start, stop) among them, people in the order they
    first occur. Positions and accuracies are checked as columns (the errors `Evidence`
    gives)."""
    import numpy as np

    from geoleak.extract.evidence_columns import EvidenceRows

    def floats(name: str) -> Any:
        return _numbers(table.column(name), whole=False)

    def micros(name: str) -> tuple[Any, Any]:
        # A null as the smallest int64 (what `to_numpy` gives NaT as).
        values = _numbers(table.column(name), whole=True)
        known = values != np.iinfo(np.int64).min
        return np.where(known, values, 0), known

    lat, lon, accuracy, weight = (floats(n) for n in ("lat", "lon", "accuracy_m", "weight"))
    _check_rows(lat, lon, accuracy, table)
    utc_us, has_utc = micros("time_utc")
    posted_us, has_posted = micros("posted_at")
    local_us, has_local = micros("local_time")
    person = _strings(table.column("person"))
    arrays = [lat, lon, accuracy, weight, utc_us, has_utc, posted_us, has_posted, local_us,
              has_local]  # fmt: skip
    lists = [_strings(table.column(n)) for n in ("post_id", "local_basis", "tz_name", "source",
                                                    "media_path", "device", "text")]  # fmt: skip
    names = np.array(person, dtype=object)
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]]) if person else np.zeros(0, int)
    if len({person[i] for i in starts.tolist()}) != starts.size:
        # A person's rows in several runs (several flushes or runs): put them together.
        code: dict[str, int] = {}
        codes = np.array([code.setdefault(p, len(code)) for p in person], dtype=np.int64)
        order = np.argsort(codes, kind="stable")
        arrays = [a[order] for a in arrays]
        at = order.tolist()
        person = [person[i] for i in at]
        lists = [[values[i] for i in at] for values in lists]
        codes = codes[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    for array in arrays:
        array.flags.writeable = False  # each person's columns are views of these
    lat, lon, accuracy, weight, utc_us, has_utc, posted_us, has_posted, local_us, has_local = arrays
    post_id, local_basis, tz_name, source, media_path, device, text = lists
    rows = EvidenceRows(
        post_id=post_id, person=person, lat=lat, lon=lon, accuracy_m=accuracy, weight=weight,
        utc_us=utc_us, has_utc=has_utc, posted_us=posted_us, has_posted=has_posted,
        local_us=local_us, has_local=has_local, local_basis=local_basis, tz_name=tz_name,
        source=source, media_path=media_path, device=device, text=text,
    )  # fmt: skip
    bounds = [*starts.tolist(), len(person)]
    spans = {person[bounds[k]]: (bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)}
    return rows, spans


def columns_from_table(table: pa.Table) -> dict[str, EvidenceColumns]:
    """Each person's evidence columns from store rows (`rows_of_table`): what
    `evidence_from_table` gives, as `EvidenceColumns` whose items are made on demand."""
    from geoleak.extract.evidence_columns import EvidenceColumns

    rows, spans = rows_of_table(table)
    lag_s = rows.lag_s()
    return {person: EvidenceColumns.of_rows(person, rows, start, stop, lag_s)
            for person, (start, stop) in spans.items()}  # fmt: skip


def evidence_from_table(table: pa.Table) -> dict[str, list[Evidence]]:
    """Evidence objects by person from store rows (row order kept within a person).

    Positions are checked as columns, once (`LatLon`'s checks: finite, in range), so each
    row's `LatLon` is made without them; a post's publication time that equals its
    `time_utc` (most posts') is the same datetime object."""
    import numpy as np
    import pyarrow as pa

    lat_column = table.column("lat").to_numpy()
    lon_column = table.column("lon").to_numpy()
    bad = np.flatnonzero(
        ~(np.abs(lat_column) <= 90.0) | ~(np.abs(lon_column) <= 180.0)  # NaN fails both
    )
    if bad.size:
        row = int(bad[0])
        LatLon(float(lat_column[row]), float(lon_column[row]))  # raises its own error
    columns: dict[str, list[Any]] = {}
    for name in _COLUMNS:
        column = table.column(name)
        if name in ("time_utc", "local_time", "posted_at"):
            column = column.cast(pa.int64())
        columns[name] = column.to_pylist()
    sources = {s.value: s for s in EvidenceSource}
    bases = {b.value: b for b in LocalTimeBasis}
    checked = LatLon.checked
    out: dict[str, list[Evidence]] = {}
    found: list[Evidence] = []
    last_person = None
    for (person, post_id, lat, lon, accuracy, utc, local, basis, tz_name, posted, source,
         media_path, device, text, weight) in zip(*(columns[n] for n in _COLUMNS), strict=True):  # fmt: skip
        if person != last_person:  # rows come in runs of one person's
            found = out.setdefault(person, [])
            last_person = person
        time_utc = None if utc is None else from_utc_us(utc)
        found.append(
            Evidence(
                post_id,
                person,
                checked(lat, lon),
                sources[source],
                accuracy,
                time_utc,
                None if local is None else from_naive_us(local),
                bases[basis],
                tz_name,
                time_utc if posted == utc else (None if posted is None else from_utc_us(posted)),
                media_path,
                device,
                text,
                weight,
            )
        )
    return out
