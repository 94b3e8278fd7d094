"""The pipeline on small corpora: counts, explanations of nothing found, bad media."""

from __future__ import annotations

import json
import pickle
import shutil
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geoleak import pipeline
from geoleak.diagnostics import Diagnostics
from geoleak.extract.evidence_columns import EvidenceRows
from geoleak.infer import PersonContext
from geoleak.ingest import jsonl
from geoleak.ingest.jsonl import LineRun
from geoleak.pipeline import collect_evidence, run
from geoleak.profiles import profile_to_json

REPO = Path(__file__).resolve().parents[1]


def corpus(tmp_path: Path, posts: list[dict]) -> Path:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in posts))
    return path


def test_counts_by_kind_and_devices(tmp_path: Path, shared_media: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "gps.jpg").write_bytes((shared_media / "mde_apple_iphone4.jpg").read_bytes())
    (media / "nogps.jpg").write_bytes(
        (shared_media / "pillow_apple_iphone14promax_nogps.mpo").read_bytes()
    )
    (media / "zero.jpg").write_bytes(
        (shared_media / "mde_samsung_gt-i9000_zero_zero.jpg").read_bytes()
    )
    (media / "junk.jpg").write_bytes(b"hello, this is not a photo")
    path = corpus(tmp_path, [
        {"id": "1", "author": "a", "created_at": "2025-01-01T20:00:00Z", "media": ["media/gps.jpg"]},
        {"id": "2", "author": "a", "created_at": "2025-01-02T20:00:00Z", "lat": 53.38, "lon": -1.46},
        {"id": "3", "author": "a", "media": ["media/nogps.jpg", "media/zero.jpg", "media/junk.jpg"]},
        {"id": "4", "author": "b", "text": "just words"},
    ])  # fmt: skip
    diag = Diagnostics()
    collected = collect_evidence([path], diag=diag, workers=1)
    stats = collected.stats
    assert (stats.posts, stats.posts_located, stats.people, stats.people_located) == (4, 2, 2, 1)
    assert (stats.media_files, stats.media_located, stats.media_no_gps) == (4, 1, 1)
    assert stats.media_gps_rejected == 1 and stats.media_unreadable == 1
    assert dict(stats.evidence_by_source) == {"exif": 1, "geotag": 1}
    assert any("junk.jpg" in w for w in diag.warnings)
    assert collected.context["a"].excluded == {"null-island": 1, "unreadable": 1}
    assert "Apple iPhone 4" in collected.context["a"].devices
    text = "\n".join(stats.summary_lines())
    assert "4 posts of 2 people read; 2 (50%) carried a location" in text


def test_nothing_found_says_why(tmp_path: Path, shared_media: Path) -> None:
    (tmp_path / "m.jpg").write_bytes(
        (shared_media / "pillow_apple_iphone14promax_nogps.mpo").read_bytes()
    )
    path = corpus(
        tmp_path, [{"id": "1", "author": "a", "media": ["m.jpg"], "place": {"name": "Oslo"}}]
    )
    stats = run([path], workers=1, geocoder=None).stats  # place names not looked up
    why = stats.why_nothing()
    assert "metadata but no GPS" in why and "name a place without coordinates" in why
    assert stats.summary_lines()[-1].startswith("no location found:")


def test_empty_corpus_says_so(tmp_path: Path) -> None:
    result = run([corpus(tmp_path, [])], workers=1)
    assert result.profiles == [] and "held no posts" in result.stats.why_nothing()


def test_parallel_and_serial_extraction_agree(tmp_path: Path, shared_media: Path) -> None:
    names = sorted(
        p.name
        for p in shared_media.iterdir()
        if p.suffix.lower() in (".jpg", ".heic", ".png", ".webp")
    )
    # Media must live inside the corpus folder (a symlink out of it is refused): copy to tmp.
    media_dir = tmp_path / "m"
    media_dir.mkdir()
    for name in names:
        shutil.copyfile(shared_media / name, media_dir / name)
    posts = [{"id": str(i), "author": "a", "media": [f"m/{n}"]} for i, n in enumerate(names)]
    path = corpus(tmp_path, posts)
    serial = collect_evidence([path], workers=1)
    parallel = collect_evidence([path], workers=2)
    assert serial.stats.to_json() == parallel.stats.to_json()
    assert [e.position for e in serial.evidence["a"]] == [
        e.position for e in parallel.evidence["a"]
    ]


def _messy_sample(tmp_path: Path) -> Path:
    """The bundled sample corpus (1,199 posts, 90 photos) plus what makes shards disagree
    if they can: repeated posts and photo copies (dedupe), one photo posted by two people
    in different shards, impossible and naive times, bad lines, duplicate ids, text places."""
    root = tmp_path / "corpus"
    shutil.copytree(REPO / "sample_media", root)
    lines = (root / "posts.jsonl").read_text().splitlines()
    posts = [json.loads(line) for line in lines]
    with_media = [p for p in posts if p.get("media")]
    first = with_media[0]
    photo = root / first["media"][0]
    shutil.copyfile(photo, photo.with_name("copy-of-" + photo.name))
    other = next(p["author"] for p in posts if p["author"] != first["author"])
    extra = [
        {**first, "id": "again-1"},  # the same post under a new id: dropped as a repeat
        {
            **first,
            "id": "again-2",
            "media": [str(Path(first["media"][0]).with_name("copy-of-" + photo.name))],
        },
        {**first, "id": "shared-1", "author": other},  # a reshare: evidence of the other person
        {**with_media[-1], "id": "old-1", "created_at": "1901-01-01T00:00:00Z"},
        {**posts[3], "id": "naive-1", "created_at": "2025-02-01T12:00:00"},
        {**posts[5], "id": "text-1", "text": "Lovely afternoon in Fayetteville"},
        {**posts[7], "id": "geo-1", "lat": 95.0, "lon": 10.0},
        {**posts[9], "id": "geo-2", "lat": 35.1, "lon": -79.0},
        {**posts[9], "id": "geo-3", "lat": 35.1, "lon": -79.0},  # repeat of geo-2
        {**posts[11], "id": "unsafe-1", "media": ["/etc/passwd"]},  # refused, named by line
        {**posts[13], "id": "year-1", "created_at": "0001-01-01T00:00:00+01:00"},  # skipped
    ]
    text = "\n".join(lines[:600] + [json.dumps(p) for p in extra[:4]] + ["{not json", lines[0]]
                     + lines[600:] + [json.dumps(p) for p in extra[4:]]) + "\n"  # fmt: skip
    (root / "posts.jsonl").write_text(text)
    return root / "posts.jsonl"


def _collected(path: Path, workers: int, monkeypatch: pytest.MonkeyPatch) -> tuple[object, ...]:
    from geoleak import pipeline

    forked: list[int] = []
    close = pipeline._ShardSet.close

    def spy(self: pipeline._ShardSet) -> None:
        forked.append(len(self.pools))
        close(self)

    monkeypatch.setattr(pipeline._ShardSet, "close", spy)
    diag = Diagnostics()
    got = collect_evidence([path], diag=diag, workers=workers)
    sink = _FileSink(path.parent / f"sink-{workers}")
    streamed = collect_evidence([path], workers=workers, sink=sink)
    rows, context = sink.read()
    # The shards' rows are the evidence collected in memory, person by person (local
    # times to the microsecond: a fold is not a row's), and their people's context too;
    # nothing of either comes back.
    by_person: dict[str, list[object]] = {}
    for person, found in rows:
        by_person.setdefault(person, []).append(found)
    assert by_person == got.evidence and context == got.context
    assert streamed.rows_written == len(rows) and not streamed.context and not streamed.evidence
    return (
        forked,
        list(got.evidence.items()),
        sorted(got.context.items()),
        list(got.media.items()),
        got.stats.to_json(),
        diag.warnings,
        dict(diag.by_kind),
        sorted(by_person.items()),
        sorted(context.items()),
        streamed.stats.to_json(),
    )


class _FileShard:
    """One shard's `ShardSink` for `_FileSink`: keeps the rows it is given as Evidence,
    and at its end pickles them with its people's context to its file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[tuple[str, object]] = []

    def add(self, rows: EvidenceRows) -> None:
        self.rows.extend((rows.person[k], rows.evidence(k)) for k in range(len(rows)))

    def close(self, context: Mapping[str, PersonContext]) -> int:
        self.path.write_bytes(pickle.dumps((self.rows, dict(context))))
        return len(self.rows)


class _FileSink:
    """A `pipeline.RowSink` whose shards (in worker processes, or here) write files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()

    def shard(self, index: int) -> _FileShard:
        return _FileShard(self.folder / f"shard-{index}.pickle")

    def read(self) -> tuple[list[tuple[str, object]], dict[str, PersonContext]]:
        """Every shard's rows, shard after shard, and their people's context."""
        rows: list[tuple[str, object]] = []
        context: dict[str, PersonContext] = {}
        for path in sorted(self.folder.glob("shard-*.pickle")):
            found, people = pickle.loads(path.read_bytes())
            assert not set(people) & set(context)  # each person in one shard
            rows += found
            context.update(people)
        return rows, context


def test_shards_in_worker_processes_give_what_one_process_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (REPO / "sample_media" / "posts.jsonl").is_file():
        pytest.skip("sample_media is not in this checkout")
    path = _messy_sample(tmp_path)
    one = _collected(path, 1, monkeypatch)
    assert one[0] == [0, 0]
    stats = one[4]
    assert (
        stats["duplicate_posts"] >= 1 and stats["duplicate_media"] >= 2 and stats["times_rejected"]
    )
    assert any("no UTC offset" in w for w in one[5]) and any("not valid JSON" in w for w in one[5])
    for workers in (2, 3):
        many = _collected(path, workers, monkeypatch)
        assert many[0] == [workers, workers]  # the shards did run in worker processes
        for name, a, b in zip(("evidence", "context", "media", "stats", "warnings", "kinds",
                               "streamed", "streamed context", "streamed stats"),
                              one[1:], many[1:], strict=True):  # fmt: skip
            assert a == b, f"{name} differs with {workers} workers"


def test_streaming_shards_write_nothing_before_they_may_move_to_workers() -> None:
    """A shard that may still move to a worker process (several workers, fork) keeps the
    rows of what it took here (the batch before the fork) until it has moved or ends: a
    file its sink opened here would be shared by both processes. With one worker the
    shard writes at once; either way every row reaches the sink, once."""
    from datetime import UTC, datetime, timedelta

    from geoleak import pipeline
    from geoleak.types import LatLon, Post

    class Recording:
        def __init__(self) -> None:
            self.added: list[int] = []
            self.closed: list[list[str]] = []

        def add(self, rows: EvidenceRows) -> None:
            self.added.append(len(rows))

        def close(self, context: Mapping[str, PersonContext]) -> int:
            self.closed.append(sorted(context))
            return sum(self.added)

    class Sinks:
        def __init__(self) -> None:
            self.made: list[Recording] = []

        def shard(self, index: int) -> Recording:
            assert index == len(self.made)
            self.made.append(Recording())
            return self.made[-1]

    when = datetime(2025, 1, 6, 12, tzinfo=UTC)
    posts = [(n, Post(id=f"p{n}", author=f"a{n % 7}", created_at=when + timedelta(hours=n),
                      geotag=LatLon(59.9 + n / 1e4, 10.7)))
             for n in range(40)]  # fmt: skip
    for workers in (1, 2):
        sinks = Sinks()
        shards = pipeline._ShardSet(workers, None, sink=sinks)
        if workers == 2 and not shards.can_fork:
            pytest.skip("no fork start method here")
        try:
            shards.submit(posts)()  # one small batch: taken here, nothing forked
            assert not shards.pools and len(sinks.made) == workers
            written_now = [sum(s.added) for s in sinks.made]
            assert written_now == ([40] if workers == 1 else [0, 0])
            ended = shards.start("end", None)()
        finally:
            shards.close()
        assert sum(sum(s.added) for s in sinks.made) == 40
        assert sum(t.rows_written for t, _ in ended) == 40
        assert sum(t.people for t, _ in ended) == sum(t.people_located for t, _ in ended) == 7
        people = [p for s in sinks.made for names in s.closed for p in names]
        assert sorted(people) == [f"a{k}" for k in range(7)]  # each person in one shard


def test_inference_in_the_shards_gives_the_profiles_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run(keep_evidence=False)` infers each person in the worker that read them; the
    profiles, sites and stats are those of one process inferring everything."""
    if not (REPO / "sample_media" / "posts.jsonl").is_file():
        pytest.skip("sample_media is not in this checkout")
    from geoleak import pipeline
    from geoleak.profiles import profile_to_json

    path = _messy_sample(tmp_path)
    one_diag = Diagnostics()
    one = run([path], workers=1, diag=one_diag)
    assert one.sites and any(p.places for p in one.profiles)
    for said in ("not valid JSON", "duplicate post id", "no UTC offset", "/etc/passwd",
                 "out of range in UTC", "geotag ignored"):  # fmt: skip
        assert any(said in w and "posts.jsonl:" in w for w in one_diag.warnings), said
    infer = pipeline._ShardSet.infer
    in_workers: list[int] = []

    def spy(self: pipeline._ShardSet, *args: object) -> object:
        in_workers.append(len(self.pools))
        return infer(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline._ShardSet, "infer", spy)
    for workers in (2, 3):
        diag = Diagnostics()
        many = run([path], workers=workers, keep_evidence=False, diag=diag)
        assert diag.warnings == one_diag.warnings and diag.by_kind == one_diag.by_kind
        assert in_workers[-1] == workers  # inferred in the shards' worker processes
        assert not many.evidence and not many.media  # neither travelled back
        assert [profile_to_json(p) for p in many.profiles] == [
            profile_to_json(p) for p in one.profiles
        ]
        assert [s.to_json() for s in many.sites] == [s.to_json() for s in one.sites]
        assert many.stats.to_json() == one.stats.to_json()
    kept = run([path], workers=2, keep_evidence=True)  # the default keeps both
    assert kept.evidence == one.evidence and kept.media == one.media


def test_media_are_read_and_identified_from_one_open(shared_media: Path, tmp_path: Path) -> None:
    """The pipeline's workers take a media file's metadata and its dedupe identity from one
    open (`read_media_digest`): the same record as `read_media` and the same digest as
    `media_digest`, for every real sample, an empty file and a missing one."""
    from geoleak.extract.media import read_media
    from geoleak.fileid import media_digest
    from geoleak.pipeline import read_media_and_digest

    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    paths = [p for p in sorted(shared_media.iterdir()) if p.suffix.lower() not in (".csv", ".md")]
    paths += [empty, tmp_path / "missing.jpg"]
    for path in paths:
        meta, digest = read_media_and_digest(str(path))
        assert meta == read_media(str(path)), path.name
        assert digest == media_digest(path), path.name
    assert read_media_and_digest(str(empty))[1] is not None  # two empty files: one content


def _shards_that_fork() -> tuple[pipeline._ShardSet, list[tuple[int, Any]]]:
    """Two shards that infer, and one batch larger than BATCH_POSTS of seven people's posts
    without location (submitted, it forks the workers); skips where there is no fork."""
    from datetime import UTC, datetime

    from geoleak.types import Post

    when = datetime(2025, 1, 6, 12, tzinfo=UTC)
    posts = [(n, Post(id=f"p{n}", author=f"a{n % 7}", created_at=when))
             for n in range(pipeline.BATCH_POSTS + 1)]  # fmt: skip
    shards = pipeline._ShardSet(2, None, infer_here=True)
    if not shards.can_fork:
        pytest.skip("no fork start method here")
    return shards, posts


def test_worker_processes_start_with_the_inherited_objects_frozen() -> None:
    """The shards' workers fork with this process's objects frozen (the cyclic collector
    leaves what they inherit alone); this process unfreezes its own when the shards close."""
    import gc

    shards, posts = _shards_that_fork()
    try:
        results = shards.submit(posts)()
        assert len(shards.pools) == 2 and sum(len(r.first_located) for r in results) == 0
        frozen = [pool.submit(gc.get_freeze_count).result() for pool in shards.pools]
        assert all(count > 1000 for count in frozen), frozen
    finally:
        shards.close()
    assert gc.get_freeze_count() == 0


def test_worker_processes_run_the_collector_less_often() -> None:
    """The shards' workers raise the cyclic collector's first threshold for their life
    (`SHARD_GC_THRESHOLD`: every 700 containers made it walked the young ones, ~2-3 % of a
    shard's CPU); this process keeps its own."""
    import gc

    before = gc.get_threshold()
    shards, posts = _shards_that_fork()
    try:
        shards.submit(posts)()
        seen = [pool.submit(gc.get_threshold).result() for pool in shards.pools]
    finally:
        shards.close()
    assert seen == [(pipeline.SHARD_GC_THRESHOLD, *before[1:])] * 2
    assert gc.get_threshold() == before


def _timeline(folder: Path, pid: int) -> list[tuple[str, str, object]]:
    lines = (folder / f"{pid}.jsonl").read_text(encoding="utf-8").splitlines()
    return [(e[0], e[1], tuple(e[5]) if isinstance(e[5], list) else e[5])
            for e in map(json.loads, lines)]  # fmt: skip


def _two_workers_traced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`run` of the messy sample with one worker, then with two and a timeline: the same
    warnings in the same order, statistics, profiles and sites; returns the timeline's
    folder."""
    from geoleak import timeline
    from geoleak.profiles import profile_to_json

    path = _messy_sample(tmp_path)
    one_diag = Diagnostics()
    one = run([path], workers=1, diag=one_diag)
    folder = tmp_path / "timeline"
    monkeypatch.setattr(timeline, "_FOLDER", str(folder))
    diag = Diagnostics()
    many = run([path], workers=2, keep_evidence=False, diag=diag)
    monkeypatch.setattr(timeline, "_FOLDER", None)
    assert diag.warnings == one_diag.warnings and many.stats.to_json() == one.stats.to_json()
    assert [profile_to_json(p) for p in many.profiles] == [profile_to_json(p) for p in one.profiles]
    assert [s.to_json() for s in many.sites] == [s.to_json() for s in one.sites]
    return folder


def test_shards_get_batches_ahead_and_their_last_call_before_any_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main process hands the shards WINDOW_BATCHES batches before it awaits the oldest
    one's results (less the SUBMIT_BATCHES - 1 it may still be gathering for one call), and
    queues the shards' last call (`end`: totals, analyses) behind their last batch before it
    awaits the last window's: a shard never idles while the other works through a run of one
    person's posts, nor at the end of the stream while the main process merges. Read from
    the run's timeline; the results stay those of one process."""
    if not (REPO / "sample_media" / "posts.jsonl").is_file():
        pytest.skip("sample_media is not in this checkout")
    import os

    from geoleak import pipeline

    monkeypatch.setattr(pipeline, "BATCH_POSTS", 64)  # ~20 batches
    monkeypatch.setattr(pipeline, "WINDOW_BATCHES", 4)
    monkeypatch.setattr(pipeline, "SUBMIT_BATCHES", 2)
    folder = _two_workers_traced(tmp_path, monkeypatch)
    events = _timeline(folder, os.getpid())
    submitted = [d for name, _, d in events if name == "submitted" and isinstance(d, int)]
    assert len(submitted) > 3 * pipeline.WINDOW_BATCHES
    awaited = {}  # batch -> where in the events its results were first awaited
    for at, (name, kind, detail) in enumerate(events):
        if name == "wait" and kind == "b" and isinstance(detail, tuple):
            awaited.setdefault(detail[1], at)
    handed = {d: at for at, (name, _, d) in enumerate(events) if name == "submitted"}
    for i, batch in enumerate(submitted):
        ahead = submitted[
            min(i + pipeline.WINDOW_BATCHES - pipeline.SUBMIT_BATCHES, len(submitted) - 1)
        ]
        assert handed[ahead] < awaited[batch], (batch, ahead)
    assert handed["end"] < min(awaited[b] for b in submitted[-pipeline.WINDOW_BATCHES + 1 :])
    workers = [int(p.stem) for p in folder.glob("*.jsonl") if int(p.stem) != os.getpid()]
    assert len(workers) == 2
    for pid in workers:
        calls = [(name, d) for name, kind, d in _timeline(folder, pid) if kind == "b"]
        assert calls[-2:] == [("end", None), ("profiles", None)]
        assert calls[0][0] == "take"


@pytest.mark.parametrize("submit", [1, 3, 100])
def test_batches_handed_over_together_give_each_batch_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, submit: int
) -> None:
    """Batches handed to the workers SUBMIT_BATCHES to a call (one, a few, all of them)
    are each taken as before: the same warnings in the same order, statistics and profiles
    as one process; each worker's takes come one a batch, in order."""
    if not (REPO / "sample_media" / "posts.jsonl").is_file():
        pytest.skip("sample_media is not in this checkout")
    import os

    from geoleak import pipeline

    monkeypatch.setattr(pipeline, "BATCH_POSTS", 64)
    monkeypatch.setattr(pipeline, "SUBMIT_BATCHES", submit)
    folder = _two_workers_traced(tmp_path, monkeypatch)
    submitted = [d for name, _, d in _timeline(folder, os.getpid())
                 if name == "submitted" and isinstance(d, int)]  # fmt: skip
    assert submitted == sorted(submitted) and len(submitted) > 10
    for pid in [int(p.stem) for p in folder.glob("*.jsonl") if int(p.stem) != os.getpid()]:
        taken = [d for name, kind, d in _timeline(folder, pid) if name == "take" and kind == "b"]
        assert taken == sorted(taken) and set(taken) <= set(submitted)


def test_a_batch_that_fails_in_a_worker_raises_when_its_results_are_asked_for() -> None:
    """A batch whose take raises in a worker: the batches handed over with it before it give
    their results; asking for its own raises the error, its traceback in the worker as the
    cause."""
    from datetime import UTC, datetime

    from geoleak.types import Post

    shards, posts = _shards_that_fork()
    when = datetime(2025, 1, 6, 12, tzinfo=UTC)
    try:
        first = shards.submit(posts)
        second = shards.submit([(n + 1000, post) for n, post in posts])
        broken = Post(id="bad", author="a1", created_at=when, geotag="here")  # type: ignore[arg-type]
        bad = shards.submit([(2000, broken)])
        shards.submit([(3000, posts[0][1])])
        assert pipeline.SUBMIT_BATCHES > 2  # (the four batches in one call to each worker)
        assert [len(first()), len(second())] == [2, 2]
        with pytest.raises(AttributeError) as raised:
            bad()
        assert isinstance(raised.value.__cause__, pipeline._WorkerTraceback)
        assert "_shard_take" in str(raised.value.__cause__)
    finally:
        shards.close()


def test_shards_in_this_process_do_not_keep_the_site_index_after_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shards that infer in this process (a corpus too small to fork for) share pass 2's
    index of the sites (`engine.site_lookup`): built once, and not kept after the run (it
    holds every site of the corpus)."""
    if not (REPO / "sample_media" / "posts.jsonl").is_file():
        pytest.skip("sample_media is not in this checkout")
    from geoleak import engine, pipeline
    from geoleak.infer import SiteLookup

    built: list[int] = []

    class Counted(SiteLookup):
        def __init__(self, sites: Any) -> None:
            built.append(id(sites))
            super().__init__(sites)

    monkeypatch.setattr(engine, "SiteLookup", Counted)
    monkeypatch.setattr(pipeline, "BATCH_POSTS", 10**9)  # no fork: both shards here
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", 10**9)
    result = run([REPO / "sample_media" / "posts.jsonl"], workers=2, keep_evidence=False)
    assert result.sites and len(built) == 1
    assert engine._SITE_LOOKUP == []


# The main process routes a run of JSONL lines to the shards (`_split_run`): in spans of
# consecutive lines when the shards change rarely along the run (`_split_spans`), else line
# by line; and places each person by load (`_ShardSet._place_run`) a group of their
# consecutive lines at a time.
_SHARD_RUNS = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 40)), min_size=1, max_size=12)


def _run_of(shards: list[int], renamed: bool = False) -> LineRun:
    """A run of len(shards) lines whose authors are named by their shards' runs."""
    authors = [f"p{shard}" for shard in shards]
    return LineRun([f"line {k}\n" for k in range(len(shards))], authors,
                   list(range(7, 7 + 2 * len(shards), 2)), [k % 3 for k in range(len(shards))],
                   "c.jsonl:", "/corpus", renamed)  # fmt: skip


def _line_by_line(
    number: int, run: LineRun, shards: list[int], count: int
) -> list[list[tuple[int, list[int], tuple[object, ...]]]]:
    """What each part gets of `run`, picked line by line (the route before spans)."""
    parts: list[list[tuple[int, list[int], tuple[object, ...]]]] = [[] for _ in range(count)]
    for shard in range(count):
        mine = [k for k, s in enumerate(shards) if s == shard]
        if mine:
            lines = tuple(
                [getattr(run, name)[k] for k in mine] for name in ("lines", "authors", "numbers")
            )
            parts[shard].append((number + mine[0], [number + k for k in mine], lines))
    return parts


def _as_plain(
    parts: list[list[tuple[int, Any]]],
) -> list[list[tuple[int, list[int], tuple[object, ...]]]]:
    return [
        [(first, list(item.posts), (item.run.lines, item.run.authors, list(item.run.numbers)))
         for first, item in part]
        for part in parts
    ]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_SHARD_RUNS, st.sampled_from([2, 3]), st.integers(0, 10_000))
@example([(0, 40), (1, 40)], 2, 0)
@example([(0, 1), (1, 1)] * 12, 2, 5)
@example([(1, 33)], 2, 0)
def test_a_run_is_split_into_the_lines_each_shard_takes(
    spans: list[tuple[int, int]], count: int, number: int
) -> None:
    shards = [min(shard, count - 1) for shard, size in spans for _ in range(size)]
    run = _run_of(shards)
    parts: list[list[tuple[int, Any]]] = [[] for _ in range(count)]
    pipeline._split_run(number, run, list(shards), parts)
    assert _as_plain(parts) == _line_by_line(number, run, shards, count)
    # and the spans path alone, whatever the shards' changes
    parts = [[] for _ in range(count)]
    pipeline._split_spans(number, run, list(shards), parts)
    assert _as_plain(parts) == _line_by_line(number, run, shards, count)
    for part in parts:
        for _, item in part:
            assert item.run.entries == [] and item.run.prefix == "c.jsonl:"
            assert isinstance(item.posts, array) and isinstance(item.run.numbers, array)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcdefghij"), st.integers(1, 40)), min_size=0,
             max_size=14),
    st.sampled_from([2, 3]),
    st.integers(0, 10_000),
    st.booleans(),
)  # fmt: skip
@example([("a", 20), ("b", 20)], 2, 0, False)
@example([(c, 1) for c in "abcdefghij"] * 4, 2, 3, False)
def test_a_run_is_routed_by_its_people_s_spans_as_line_by_line(
    people: list[tuple[str, int]], count: int, number: int, shared: bool
) -> None:
    """`_route` of a run (spans of one person, `_shard_spans`, where they are few) gives
    each part the lines picked line by line by their person's shard, with the people's
    shards remembered or not yet (`shared`: a run before this one of the same batch saw
    them)."""
    authors = [person for person, size in people for _ in range(size)]
    run = LineRun([f"line {k}\n" for k in range(len(authors))], authors,
                  list(range(3, 3 + len(authors))), [], "c.jsonl:", "/corpus", False)  # fmt: skip
    shards = [pipeline._shard_of(person, count) for person in authors]
    before = LineRun(["x\n"], ["abcdefghij"[number % 10]], [1], [], "c.jsonl:", "/corpus", False)
    items = [(number - 1, before), (number, run)] if shared else [(number, run)]
    parts: list[list[tuple[int, Any]]] = [[] for _ in range(count)]
    pipeline._route(items, parts)
    if shared:
        first = pipeline._shard_of(before.authors[0], count)
        assert parts[first][0][0] == number - 1
        parts[first].pop(0)
    if authors:
        assert _as_plain(parts) == _line_by_line(number, run, shards, count)
    else:  # (an empty run: the first part's, empty)
        assert _as_plain(parts) == [[(number, [], ([], [], []))]] + [[]] * (count - 1)
    for part in parts:
        for _, item in part:
            assert isinstance(item.posts, array) and isinstance(item.run.numbers, array)
            assert item.run.entries == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcdefg"), st.integers(1, 6), st.integers(0, 3)),
             min_size=1, max_size=30),
    st.sampled_from([2, 3]),
)  # fmt: skip
def test_people_are_placed_by_load_a_group_of_lines_at_a_time(
    groups: list[tuple[str, int, int]], count: int
) -> None:
    """`_place_run` gives each line the shard, and each shard the load, that `_place` of
    each line in turn gives."""
    authors = [person for person, size, _ in groups for _ in range(size)]
    entries = [media for _, size, media in groups for _ in range(size)]
    run = LineRun([f"{k}\n" for k in range(len(authors))], authors, list(range(len(authors))),
                  entries, "c.jsonl:", "/corpus", False)  # fmt: skip
    by_line = pipeline._ShardSet(1, None)
    by_line.placed, by_line.load = {}, [0] * count
    shards = list(map(by_line._place, authors, entries))
    grouped = pipeline._ShardSet(1, None)
    grouped.placed, grouped.load = {}, [0] * count
    parts: list[list[tuple[int, Any]]] = [[] for _ in range(count)]
    assert grouped._place_run(0, run, parts) == sum(entries)
    assert (grouped.placed, grouped.load) == (by_line.placed, by_line.load)
    assert _as_plain(parts) == _line_by_line(0, run, shards, count)


# Repeated post ids across people the shards hold apart: the reader (main process) keeps
# the first usable line of an id and warns for the rest, whichever shard their people are
# in; a person's repeated posts are dropped (and counted) by their shard's dedupe.
_DUP_LINES = st.tuples(
    st.sampled_from(["ann", "bo", "cy", "dee", "eve"]),
    st.integers(0, 12),  # the id, from a small pool: repeats across people
    st.sampled_from(["geotag", "place", "text", "bad time", "bad json", "copy"]),
)


def _dup_line(author: str, ident: int, kind: str, k: int) -> str:
    base = {
        "id": f"i{ident}",
        "author": author,
        "created_at": f"2025-01-{1 + k % 27:02d}T2{k % 4}:00:00Z",
    }
    if kind == "geotag":
        return json.dumps({**base, "lat": 50.0 + ident / 100, "lon": 4.0 + k / 1000})
    if kind == "place":
        return json.dumps(
            {**base, "text": "home", "place": {"name": "Town", "lat": 50.1, "lon": 4.1}}
        )
    if kind == "text":
        return json.dumps({**base, "text": "at Heathmoor"})
    if kind == "bad time":
        return json.dumps({**base, "created_at": "2025-13-01T00:00:00Z"})
    if kind == "bad json":
        return json.dumps(base)[:-3]
    # the same post again under a fresh id: its person's dedupe drops it
    return json.dumps({**base, "id": f"copy{k}", "created_at": "2025-01-01T20:00:00Z",
                       "lat": 50.5, "lon": 4.5})  # fmt: skip


@settings(max_examples=12, deadline=None)
@given(st.lists(_DUP_LINES, min_size=8, max_size=60))
@example([("ann", 1, "bad time"), ("bo", 1, "geotag"), ("cy", 1, "place"), ("ann", 2, "copy"),
          ("bo", 3, "copy"), ("dee", 1, "geotag"), ("eve", 2, "text"), ("ann", 2, "copy")])  # fmt: skip
def test_repeated_ids_across_shards_are_found_as_one_process_finds_them(
    tmp_path_factory: pytest.TempPathFactory, lines: list[tuple[str, int, str]]
) -> None:
    """Two workers (batches of 4 lines, so the shards fork) give the warnings, statistics
    (repeated posts counted) and profiles of one process reading each line alone through
    the general path, also with the reader's ids read ahead past 3 held (`IDS_HELD`)."""
    path = tmp_path_factory.mktemp("dups") / "c.jsonl"
    path.write_text("".join(_dup_line(*line, k) + "\n" for k, line in enumerate(lines)))

    def everything(workers: int) -> tuple[object, ...]:
        diag = Diagnostics()
        result = run([path], diag=diag, workers=workers, keep_evidence=False)
        # (the statistics' evidence kinds in sorted order: merged from the shards' counters,
        # they come in the order of those)
        return ([json.dumps(profile_to_json(p)) for p in result.profiles],
                json.dumps(result.stats.to_json(), sort_keys=True), result.stats.summary_lines(),
                diag.warnings)  # fmt: skip

    with mock.patch.object(pipeline, "BATCH_POSTS", 4):
        two = everything(2)
        # past 3 ids held the rest of the file is read ahead for its repeated ids
        with mock.patch.object(jsonl, "IDS_HELD", 3):
            two_bounded = everything(2)
    assert two_bounded == two
    with (
        mock.patch.object(pipeline, "LINE_RUNS", False),
        mock.patch.object(jsonl, "_decode_plain", side_effect=msgspec.DecodeError),
    ):
        one = everything(1)
    assert two == one
    ids = [f"i{ident}" for _, ident, kind in lines if kind not in ("bad time", "bad json", "copy")]
    repeats = len(ids) - len(set(ids))
    assert sum("duplicate post id" in w for w in two[3]) == repeats  # type: ignore[union-attr]


def test_one_post_is_not_called_none_of_the_1_posts() -> None:
    from geoleak.pipeline import LeakStats

    stats = LeakStats(posts=1, people=1)
    assert stats.why_nothing().endswith("the post has no platform geotag")
    stats = LeakStats(posts=3, people=1)
    assert stats.why_nothing().endswith("none of the 3 posts has a platform geotag")


def test_files_without_gps_are_not_said_to_come_from_a_camera_with_location_off() -> None:
    """After `geoleak scrub`, audit's verdict on the clean copies said their location "was off
    in the camera": it may as well have been removed."""
    from geoleak.pipeline import LeakStats

    stats = LeakStats(posts=2, people=1, media_files=2, media_no_gps=2)
    said = stats.why_nothing()
    assert (
        "2 have metadata but no GPS tags (location was off in the camera, or the position "
        "was removed, as geoleak scrub does)"
    ) in said, said


def _ambiguous_towns_corpus(path: Path, people: int) -> dict[str, tuple[float, float]]:
    """People who name an ambiguous town ("Back in Paris", "Made it to Perth") in their
    first post, before any of their located posts, in UTC (no offset to go by); the
    expected town of each (within 60 km). A person with no position at all gets the
    most populous town, as before."""
    homes = {
        "tx": ((32.78, -96.80), "Back in Paris", (33.66, -95.56)),  # Dallas: Paris TX
        "fr": ((48.85, 2.35), "Back in Paris", (48.85, 2.35)),
        "scot": ((55.95, -3.19), "Made it to Perth", (56.40, -3.44)),  # Edinburgh
        "au": ((-31.95, 115.86), "Made it to Perth", (-31.95, 115.86)),
        "on": ((43.65, -79.38), "Back in London", (42.98, -81.25)),
    }  # Toronto: London ON
    rows: list[dict[str, Any]] = []
    expected: dict[str, tuple[float, float]] = {}
    for k in range(people):
        key = list(homes)[k % len(homes)]
        (lat, lon), text, town = homes[key]
        person = f"{key}{k}"
        expected[person] = town
        rows.append({"id": f"{person}-t", "author": person,
                     "created_at": "2024-05-01T20:00:00Z", "text": text})  # fmt: skip
        rows += [{"id": f"{person}-{d}", "author": person,
                  "created_at": f"2024-05-{d + 2:02d}T20:00:00Z", "lat": lat + 0.001 * d,
                  "lon": lon} for d in range(6)]  # fmt: skip
    rows.append({"id": "nobody-t", "author": "nobody", "created_at": "2024-05-01T20:00:00Z",
                 "text": "Back in Paris"})  # fmt: skip
    expected["nobody"] = (48.85, 2.35)
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return expected


def test_a_town_named_before_the_persons_positions_is_settled_by_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11, "place names in text land in the wrong country": a name several towns
    share was settled by the positions of the person seen *so far* in the stream, so a
    Texan's "Back in Paris" before their located posts (an export lists the newest first)
    was Paris, France, a Scot's "Perth" Australia's, a Torontonian's "London" England's.
    Such a post is now geocoded once every post of its author has been read: the same in
    one process, in two shards that keep the evidence or hand it back, and in a store."""
    from geoleak.geometry import haversine_m
    from geoleak.types import EvidenceSource, LatLon

    corpus = tmp_path / "posts.jsonl"
    expected = _ambiguous_towns_corpus(corpus, 40)

    def towns(evidence: Mapping[str, Any]) -> dict[str, LatLon]:
        return {person: ev.position for person, found in evidence.items() for ev in found
                if ev.source is EvidenceSource.CHECKIN}  # fmt: skip

    one = collect_evidence([corpus], diag=Diagnostics(), workers=1)
    got = towns(one.evidence)
    wrong = {p: got.get(p) for p, town in expected.items()
             if p not in got or haversine_m(got[p], LatLon(*town)) > 60_000}  # fmt: skip
    assert not wrong, wrong
    assert one.stats.posts_located == 40 * 7 + 1
    monkeypatch.setattr(pipeline, "BATCH_POSTS", 16)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", 0)
    two = collect_evidence([corpus], diag=Diagnostics(), workers=2)
    assert towns(two.evidence) == got
    assert two.stats.summary_lines() == one.stats.summary_lines()
    profiles = {}
    for name, args in {"one": ["--workers", "1"], "two": ["--workers", "2"],
                       "store": ["--store", str(tmp_path / "store"), "--workers", "2"]}.items():  # fmt: skip
        out = tmp_path / f"{name}.json"
        code = main_exit(["infer", str(corpus), "-o", str(out), "-q", *args])
        assert code == 0
        profiles[name] = json.loads(out.read_text(encoding="utf-8"))["people"]
    assert profiles["two"] == profiles["one"] and profiles["store"] == profiles["one"]


def main_exit(args: list[str]) -> int:
    from click.testing import CliRunner

    from geoleak.cli import main

    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code


# A shard's lines travel as `decode_each`'s text of them (`_as_text`) and split back there
# (`_with_lines`), whatever their ends; a line that holds the separator keeps them as lines.
_TRAVELLING_LINES = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(['{"id": "a", "author": "x", "created_at": "2025-01-01T10:00:00Z", '
                             '"lat": 50.5, "lon": 4.5}', '{"id": "b", "author": "x"}', "",
                             '{"id": "c", "author": "x"}\n],[{"id": "d", "author": "x"}',
                             "\n],", "],[", "[[", "\n]]"]),
            st.text(alphabet="\n],[\r x{}", max_size=8),
        ),
        st.sampled_from(["\n", "\r\n", "\r", ""]),
    ),
    min_size=1,
    max_size=10,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_TRAVELLING_LINES)
@example([("\n],[", "\n")])
@example([('{"id": "b", "author": "x"}', "\r"), ("", ""), ("\n]]", "\n")])
def test_a_shard_s_lines_travel_as_one_text_and_split_back_exactly(
    lines: list[tuple[str, str]],
) -> None:
    from geoleak.extract import columns

    texts = [line + end for line, end in lines]
    count = len(texts)
    run = LineRun(list(texts), ["x"] * count, array("q", range(1, count + 1)), [], "c.jsonl:",
                  "/corpus", False)  # fmt: skip
    item = pipeline._ShardLines(array("q", range(5, 5 + count)), run)
    packed = pickle.loads(pickle.dumps(pipeline._pack([(5, item)])))
    ((_, sent, _),) = packed
    if any(pipeline._LINE_SEPARATOR in text for text in texts):
        assert sent.text is None and sent.run.lines == texts
    else:
        assert sent.text == "[[" + "\n],[".join(texts) + "\n]]" and sent.run.lines == []
        plains = columns.plains_of_text(sent.text, count)
        if plains is not None:  # (what reading the lines gives)
            assert plains == columns._decoded(texts)
    ((_, back),) = pipeline._with_lines(pipeline._unpacked(packed))
    assert back.text is None and back.run == run._replace(lines=texts)
    assert list(back.posts) == list(item.posts)


# Lines as a text file's iteration gives them (`newline=""`, the JSONL reader's: "\n",
# "\r\n" and a lone "\r" end a line; the last may have no end; empty lines).
_FILE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["\n],[", "],[", "\n]]", "]]", "[[", "\r\n", "\r", "\n", "\n\n"]),
        st.text(alphabet="\n],[\r x{}", max_size=8),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_FILE_TEXT)
@example("a\n],[b\n")
@example("x\r\n],[\r\n\n]]")
@example("\n\n],[\r")
def test_a_run_of_a_text_file_s_lines_travels_as_text_without_the_count(text: str) -> None:
    """`_as_text` of lines a text file gives, marked `newline_last` (no count of the
    separator), is what counting gives: the lines' one text, which splits back into them."""
    import io

    texts = list(io.StringIO(text, newline=""))
    assert all("\n" not in line[:-1] for line in texts)  # (what `newline_last` says)
    count = len(texts)
    marked = LineRun(list(texts), ["x"] * count, array("q", range(1, count + 1)), [],
                     "c.jsonl:", "/corpus", False, True)  # fmt: skip
    posts = array("q", range(5, 5 + count))
    sent = pipeline._as_text(pipeline._ShardLines(posts, marked))
    counted = pipeline._as_text(pipeline._ShardLines(posts, marked._replace(newline_last=False)))
    assert sent.text == counted.text and sent.run.lines == counted.run.lines
    if texts:
        assert sent.text == "[[" + "\n],[".join(texts) + "\n]]" and sent.run.lines == []
    packed = pickle.loads(pickle.dumps(pipeline._pack([(5, pipeline._ShardLines(posts, marked))])))
    ((_, back),) = pipeline._with_lines(pipeline._unpacked(packed))
    assert back.run == marked and back.text is None


@pytest.mark.parametrize(
    "ends",
    [["\n"] * 5, ["\r\n"] * 5, ["\r"] * 5, ["\n", "\r\n", "\r", "\n", ""],
     ["\r\n", "\n\n", "\r\r\n", "\n", ""], ["\n", "\n", "\n", "\n", "\n\n"]],
)  # fmt: skip
def test_the_reader_s_runs_are_marked_and_travel_as_their_lines_text(
    tmp_path: Path, ends: list[str]
) -> None:
    """The JSONL reader's runs say `newline_last` (lines ending "\n", "\r\n", "\r", a
    last line without an end, empty lines between), and each part routed from them travels
    as the text counting gives, splitting back into its lines."""
    path = tmp_path / "c.jsonl"
    lines = [_dup_line(author, k, "geotag", k) for k, author in enumerate("aabba")]
    path.write_text("".join(map(str.__add__, lines, ends)), encoding="utf-8", newline="")
    request = jsonl.RunRequest(3)
    runs = []
    with jsonl.deferred_parsing(runs=request):
        for item in jsonl.JsonlReader().read(path, Diagnostics()):
            assert type(item) is LineRun and item.newline_last
            runs.append(item)
    assert [line.rstrip("\r\n") for run in runs for line in run.lines] == lines
    for number, item in enumerate(runs):
        parts: list[list[Any]] = [[], []]
        pipeline._route([(number, item)], parts)
        for _, shard_lines in (post for part in parts for post in part):
            assert shard_lines.run.newline_last
            sent = pipeline._as_text(shard_lines)
            counted = pipeline._as_text(
                shard_lines._replace(run=shard_lines.run._replace(newline_last=False))
            )
            assert sent.text is not None and sent.text == counted.text
            ((_, back),) = pipeline._with_lines([(0, sent)])
            assert back.run.lines == shard_lines.run.lines


_ENDED_LINES = st.tuples(
    st.sampled_from(["ann", "bo", "cy", "dee", "eve"]),
    st.sampled_from(["geotag", "geotag", "geotag", "place", "text", "bad json", "copy"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
)


@settings(max_examples=10, deadline=None)
@given(st.lists(_ENDED_LINES, min_size=12, max_size=40))
@example([("ann", "geotag", "\r"), ("bo", "geotag", "\n"), ("cy", "place", "\r\n"),
          ("ann", "text", "\r"), ("bo", "geotag", "\n"), ("dee", "bad json", "\n"),
          ("eve", "geotag", "\r"), ("ann", "geotag", "\r")] * 3)  # fmt: skip
def test_lines_sent_as_text_give_what_lines_sent_one_by_one_give(
    tmp_path_factory: pytest.TempPathFactory, lines: list[tuple[str, str, str]]
) -> None:
    """Two workers (batches of 4 lines: the shards fork) whose lines travel as text, with
    lines ending in "\\r" alone, "\\r\\n" or nothing, give the warnings, statistics and
    profiles of the same run whose lines travel as they are."""
    path = tmp_path_factory.mktemp("ends") / "c.jsonl"
    text = "".join(
        _dup_line(author, k, kind, k) + end for k, (author, kind, end) in enumerate(lines)
    )
    path.write_text(text[: -len(lines[-1][2])], encoding="utf-8", newline="")  # (no last end)
    sent: list[bool] = []
    as_text = pipeline._as_text

    def counted(post: Any) -> Any:
        out = as_text(post)
        sent.append(out.text is not None)
        return out

    def everything() -> tuple[object, ...]:
        diag = Diagnostics()
        result = run([path], diag=diag, workers=2, keep_evidence=False)
        return ([json.dumps(profile_to_json(p)) for p in result.profiles],
                json.dumps(result.stats.to_json(), sort_keys=True), result.stats.summary_lines(),
                diag.warnings)  # fmt: skip

    with mock.patch.object(pipeline, "BATCH_POSTS", 4):
        with mock.patch.object(pipeline, "_as_text", counted):
            as_texts = everything()
        with mock.patch.object(pipeline, "_as_text", lambda post: post):
            as_lines = everything()
    assert any(sent)
    assert as_texts == as_lines
