"""The fast path for plain located posts (id, author, created_at, lat, lon and nothing else)
gives exactly what the general path gives: the same Post field by field, the same error or
warning for a line it does not take, the same evidence, and the same profiles end to end."""

from __future__ import annotations

import json
import random
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geoleak import pipeline
from geoleak.diagnostics import Diagnostics
from geoleak.extract import columns as columns_module
from geoleak.extract import evidence as evidence_module
from geoleak.extract.evidence import evidence_from_post
from geoleak.extract.evidence_columns import GeotagRows
from geoleak.ingest import jsonl
from geoleak.ingest.jsonl import JsonlReader, LineError, parse_post
from geoleak.pipeline import run
from geoleak.profiles import profile_to_json
from geoleak.types import Evidence


def _fields(post: Any) -> tuple[object, ...]:
    """Every field, `compare=False` ones and the time zone object included."""
    return tuple(repr(getattr(post, f.name)) for f in fields(post))


def _outcome(parse: Any, obj: object) -> tuple[object, ...]:
    diag = Diagnostics()
    try:
        post = parse(obj, where="c.jsonl:7", root=Path("/nonexistent-root"), diag=diag, guard=None)
    except (LineError, ValueError) as exc:
        return ("error", str(exc), tuple(diag.warnings))
    return ("post", _fields(post), tuple(diag.warnings))


def _general(obj: object, **kw: Any) -> Any:
    return jsonl._parse_post_general(obj, **kw)


_TIMES = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
    st.datetimes().map(lambda t: t.isoformat(timespec="seconds") + "Z"),
    st.datetimes().map(lambda t: t.isoformat()),  # naive: warned about once per file
    st.sampled_from([
        "2025-04-13T05:11:00Z", "2025-04-13T05:11:00z", " 2025-04-13T05:11:00Z ",
        "2025-04-13Z", "2025-04-13+00:00", "2025-04-13T05Z", "2025-04-13T05:11:60Z",
        "2025-04-13T05:11:00+01:00Z", "2025-04-13 05:11:00Z", "2025-04-13T05:11:00.5Z",
        "2025-02-29T05:11:00Z", "20250413T051100Z", "2025-04-13T05:11:00+00:00",
        "2025-03-30T01:30:00+02:00", "2025-04-13T05:11:00-00:00", "", "  ", "Z", "yesterday",
    ]),
    st.integers(), st.none(), st.booleans(),
)  # fmt: skip
_COORDS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-90, 90),
    st.sampled_from([0.0, -0.0, 90.0, -90.0, 180.0, -180.0, 179.999999, 78.22, 69.65]),
    st.integers(-200, 200),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
)
_IDS = st.one_of(st.text(max_size=6), st.integers(), st.floats(), st.none(), st.booleans())
_GOOD_COORDS = st.one_of(
    st.floats(-90, 90), st.floats(-180, 180), st.sampled_from([-180.0, 180.0, 78.22, -0.0])
)


@given(
    st.fixed_dictionaries(
        {},
        optional={"id": _IDS, "author": _IDS, "created_at": _TIMES, "lat": _COORDS, "lon": _COORDS},
    )
)
@example({"id": "p", "author": "a", "created_at": "2025-04-13Z", "lat": 1.0, "lon": 2.0})
@example({"id": "p", "author": "a", "created_at": "2025-04-13T05:11:00Z", "lat": 91.0, "lon": 2.0})
@example({"id": "p", "author": "a", "created_at": "2025-04-13T05:11:00+00:00"})
@example({"id": "p", "author": "a", "lat": 1.0})
@example({"id": 5, "author": "a", "lat": 1, "lon": 2})
@example({"id": "p", "author": "a", "created_at": "0001-01-01T00:30:00+01:00"})
@example({"id": "p", "author": "a", "created_at": "9999-12-31T23:30:00-01:00"})
def test_plain_lines_read_as_the_general_path_reads_them(obj: dict[str, Any]) -> None:
    assert _outcome(parse_post, obj) == _outcome(_general, obj)


@settings(max_examples=300)
@given(
    st.text(min_size=1, max_size=6),
    _TIMES,
    st.one_of(st.tuples(_GOOD_COORDS, _GOOD_COORDS), st.tuples(_COORDS, _COORDS), st.none()),
)
def test_well_formed_lines_read_as_the_general_path_reads_them(
    post_id: str, created_at: object, position: tuple[object, object] | None
) -> None:
    """Lines the fast path mostly takes (hypothesis seldom reaches them through the
    strategy above): the same Post, or the same error."""
    obj: dict[str, Any] = {"id": post_id, "author": "a" + post_id, "created_at": created_at}
    if position is not None:
        obj["lat"], obj["lon"] = position
    assert _outcome(parse_post, obj) == _outcome(_general, obj)


def test_the_fast_path_takes_the_common_line_and_leaves_the_rest() -> None:
    common = {"id": "p1", "author": "a", "created_at": "2025-04-13T05:11:00Z",
              "lat": 69.65, "lon": -179.99}  # fmt: skip
    assert jsonl._plain_post(common, "c.jsonl:1") is not None
    offset = {**common, "created_at": "2025-04-13T05:11:00+05:30"}
    assert jsonl._plain_post(offset, "c.jsonl:1").posted_offset_h == 5.5  # type: ignore[union-attr]
    for refused in ({**common, "created_at": "2025-04-13T05:11:00"}, {**common, "lat": 1},
                    {**common, "lat": 95.0}, {**common, "id": 7}, {**common, "author": ""}):  # fmt: skip
        assert jsonl._plain_post(refused, "c.jsonl:1") is None


def _corpus_lines(rng: random.Random, people: int) -> list[str]:
    """Located posts with every kind of line a real corpus mixes in."""
    # (lat, lon): Tromsø, Longyearbyen, both sides of the antimeridian (Fiji, Chatham),
    # a zone edge (Spain/Portugal), Kolkata (+05:30), Null Island, the south.
    places = [(69.6492, 18.9553), (78.2232, 15.6267), (-17.7134, 178.065),
              (-17.80, -179.99), (-43.95, -176.55), (42.0, -6.9), (22.5726, 88.3639),
              (0.0, 0.0), (-33.9249, 18.4241), (64.1466, -21.9426)]  # fmt: skip
    # Times around DST changes (Europe, US, southern hemisphere) and written in other zones.
    times = ["2025-03-30T00:{m:02d}:00Z", "2025-03-30T01:{m:02d}:00+01:00",
             "2025-10-26T00:{m:02d}:30Z", "2025-11-02T06:{m:02d}:00-04:00",
             "2025-04-06T02:{m:02d}:00+13:00", "2025-06-{d:02d}T21:{m:02d}:00Z",
             "2025-06-{d:02d}T12:{m:02d}:00z", "2025-07-{d:02d}T23:{m:02d}:59.250000+05:30",
             "2025-01-{d:02d}T03:{m:02d}:00Z", "2025-01-{d:02d}T10:{m:02d}:00Z"]  # fmt: skip
    lines: list[str] = []
    for person in range(people):
        home = places[person % len(places)]
        work = (home[0] + 0.01, max(-180.0, min(180.0, home[1] + 0.012)))
        for n in range(rng.randint(15, 45)):
            where = home if rng.random() < 0.55 else work
            lat = round(where[0] + rng.gauss(0, 0.0002), 6)
            lon = round(max(-180.0, min(180.0, where[1] + rng.gauss(0, 0.0002))), 6)
            when = rng.choice(times).format(m=rng.randrange(60), d=rng.randint(1, 28))
            post: dict[str, Any] = {"id": f"p{person}-{n}", "author": f"u{person}",
                                    "created_at": when, "lat": lat, "lon": lon}  # fmt: skip
            kind = rng.random()
            if kind < 0.04:
                post["text"] = "coffee"
            elif kind < 0.06:
                post["likes"] = 3  # an unknown field, kept in extra
            elif kind < 0.08:
                post["created_at"] = when[:19]  # naive: warned about once
            elif kind < 0.09:
                post["lat"] = int(lat)  # an integer latitude (general path)
            elif kind < 0.10:
                post["place"] = {"name": "Somewhere"}
            elif kind < 0.11:
                del post["lat"]  # only lon: geotag ignored, warned
            elif kind < 0.12:
                post["lat"] = 123.0  # out of range: warned
            elif kind < 0.13:
                post["created_at"] = "not a time"  # the line is skipped, with its number
            elif kind < 0.14:
                post.pop("created_at")
            elif kind < 0.15:
                post["author"] = 17  # not a string: skipped
            lines.append(json.dumps(post))
            extra = rng.random()
            if extra < 0.03:
                lines.append(json.dumps(post))  # the same id again: skipped
            elif extra < 0.06:
                lines.append(json.dumps({**post, "id": post["id"] + "b"}))  # dedupe drops it
            elif extra < 0.07:
                lines.append('{"id": "broken", "author": ')  # not valid JSON
            elif extra < 0.08:
                lines.append("[1, 2]")
    return lines


def _corpus_file(tmp_path: Path, rng: random.Random, people: int, *, shuffled: bool) -> Path:
    """`_corpus_lines` written to tmp_path/posts.jsonl, people's lines in runs or (shuffled by
    the same rng) interleaved."""
    lines = _corpus_lines(rng, people)
    if shuffled:
        rng.shuffle(lines)
    corpus = tmp_path / "posts.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus


def _slow_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "PLAIN_COLUMNS", False)  # geoleak.extract.columns
    monkeypatch.setattr(jsonl, "_plain_post", lambda *_: None)
    monkeypatch.setattr(
        evidence_module,
        "_geotag_evidence",
        lambda post, tz: evidence_module._all_evidence(post, {}, tz),
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_plain_corpus_gives_the_profiles_of_the_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    corpus = tmp_path / "posts.jsonl"
    corpus.write_text("\n".join(_corpus_lines(random.Random(seed), 30)) + "\n", encoding="utf-8")

    def everything() -> tuple[object, ...]:
        diag = Diagnostics()
        posts = list(JsonlReader().read(corpus, Diagnostics()))
        result = run([corpus], diag=diag, workers=1, geocoder=None)
        return (
            [_fields(p) for p in posts],
            [evidence_from_post(p, {}) for p in posts],
            [json.dumps(profile_to_json(p), sort_keys=True) for p in result.profiles],
            [json.dumps(s.to_json(), sort_keys=True) for s in result.sites],
            json.dumps(result.stats.to_json(), sort_keys=True),
            diag.warnings,
        )

    fast = everything()
    with monkeypatch.context() as patch:
        _slow_paths(patch)
        slow = everything()
    names = ("posts", "evidence", "profiles", "sites", "stats", "warnings")
    for name, a, b in zip(names, fast, slow, strict=True):
        assert a == b, f"{name} differ between the fast and the general path"
    posts, _, profiles, _, _, warnings = fast
    assert len(posts) > 500 and sum('"home"' in p for p in profiles) >= 10
    # Bad lines are named by file and line, one line each.
    assert any(w.startswith(f"{corpus}:") and "not valid JSON" in w for w in warnings)
    assert any(w.startswith(f"{corpus}:") and "duplicate post id" in w for w in warnings)
    assert any("is not an ISO 8601 time; line skipped" in w for w in warnings)
    assert all("\n" not in w for w in warnings)


@pytest.mark.parametrize("shuffled", [False, True])
def test_shards_holding_columns_give_the_profiles_of_the_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shuffled: bool
) -> None:
    """Shards that infer their own people (`--workers 2`, as `geoleak infer` runs) keep plain
    lines as columns (`EvidenceColumns`): the profiles (byte for byte), sites, stats and
    warnings are those of the object path and of the general path, with people's lines in
    runs or interleaved, plain and general lines mixed in one person's posts, and the offline
    gazetteer reading the texts; Evidence objects are made for few of the plain posts."""
    corpus = _corpus_file(tmp_path, random.Random(3), 30, shuffled=shuffled)
    geocoder = pipeline.OFFLINE if shuffled else None

    def everything() -> tuple[object, ...]:
        diag = Diagnostics()
        result = run([corpus], diag=diag, workers=2, geocoder=geocoder, keep_evidence=False)
        return (
            [json.dumps(profile_to_json(p)) for p in result.profiles],
            [json.dumps(s.to_json()) for s in result.sites],
            json.dumps(result.stats.to_json()),
            diag.warnings,
        )

    fast = everything()
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "EVIDENCE_COLUMNS", False)
        objects = everything()
    with monkeypatch.context() as patch:
        _slow_paths(patch)
        slow = everything()
    names = ("profiles", "sites", "stats", "warnings")
    for name, a, b, c in zip(names, fast, objects, slow, strict=True):
        assert a == b, f"{name} differ between columns and objects"
        assert a == c, f"{name} differ between columns and the general path"
    assert sum('"home"' in p for p in fast[0]) >= 10
    # In this process (no fork: every shard stays here), count the objects made.
    made: list[int] = []
    evidence = GeotagRows.evidence

    def counted(rows: GeotagRows, row: int) -> Evidence:
        made.append(row)
        return evidence(rows, row)

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "BATCH_POSTS", 10**6)
        patch.setattr(GeotagRows, "evidence", counted)
        assert everything() == fast
    located = json.loads(fast[2])["evidence_by_source"]["geotag"]
    assert 0 < len(made) < located / 4


@pytest.mark.parametrize("shuffled", [False, True])
def test_streaming_shards_write_the_store_rows_of_the_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shuffled: bool
) -> None:
    """Ingest into the evidence store (shards streaming each batch's evidence to the writer
    as rows): plain lines go from their columns to the rows without an Evidence object, and
    the store's rows, bucket by bucket and person by person in order, are those of the
    object path and of the general path, with one worker or two, people's lines in runs or
    interleaved."""
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from geoleak.store import EvidenceStore

    corpus = _corpus_file(tmp_path, random.Random(5), 30, shuffled=shuffled)
    runs = 0

    def stored(workers: int) -> tuple[object, ...]:
        nonlocal runs
        runs += 1
        root = tmp_path / f"store{runs}"
        diag = Diagnostics()
        report = EvidenceStore(root, buckets=4).ingest([corpus], diag=diag, workers=workers,
                                                       geocoder=pipeline.OFFLINE)  # fmt: skip
        # Person by person: each ingest shard writes its own people's file per bucket.
        tables: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for part in sorted(root.glob("evidence/*/*.parquet")):
            bucket = tables.setdefault(part.parent.name, {})
            found: dict[str, list[dict[str, Any]]] = {}
            for row in pq.read_table(part).to_pylist():
                found.setdefault(row["person"], []).append(row)
            assert not found.keys() & bucket.keys()  # a person's rows in one file
            bucket.update(found)
        assert report.stats is not None
        return (
            sorted((name, sorted(people.items())) for name, people in tables.items()),
            json.dumps(report.stats.to_json()),
            diag.warnings,
        )

    made: list[object] = []
    evidence, geotag_evidence = GeotagRows.evidence, columns_module._geotag_evidence

    def counted(rows: GeotagRows, row: int) -> Evidence:
        made.append(row)
        return evidence(rows, row)

    def counted_plain(*args: Any) -> Evidence:
        made.append(args)
        return geotag_evidence(*args)

    with monkeypatch.context() as patch:
        patch.setattr(GeotagRows, "evidence", counted)
        patch.setattr(columns_module, "_geotag_evidence", counted_plain)
        fast = stored(1)
    assert made == []  # (one worker: the shards ran here, where the spies are)
    tables = fast[0]
    assert isinstance(tables, list) and len(tables) == 4
    assert sum(len(rows) for _, people in tables for _, rows in people) > 500
    assert stored(2) == fast
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "EVIDENCE_COLUMNS", False)
        assert stored(2) == fast
    with monkeypatch.context() as patch:
        _slow_paths(patch)
        assert stored(1) == fast


@pytest.mark.parametrize(
    ("workers", "batch", "shuffled"), [(1, 16, False), (2, 16, True), (2, 512, False)]
)
def test_lines_handed_over_in_runs_give_what_lines_one_by_one_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, batch: int, shuffled: bool
) -> None:
    """The main process hands the JSONL reader's lines to the shards in runs, in columns
    (`LineRun`): profiles, sites, stats, the stored evidence and every warning in the same
    order as lines handed over one by one, with bad lines, repeated ids, blank lines and
    media entries at the edges of batches (of 16 posts here, so many edges), CRLF line
    ends, a file that ends without a line end and a second file after it."""
    rng = random.Random(4 + workers)
    lines = _corpus_lines(rng, 14)
    if shuffled:
        rng.shuffle(lines)
    for at in range(len(lines) - 3, 0, -batch + 3):  # something at every few batches' edge
        kind = (at // batch) % 5
        if kind == 0:
            lines.insert(at, lines[at - 1])  # the same id again
        elif kind == 1:
            lines.insert(at, '{"id": "x", "author": ')
        elif kind == 2:
            lines.insert(at, "")
        elif kind == 3:
            post = json.loads(lines[at - 1]) if lines[at - 1].startswith("{") else {}
            lines.insert(at, json.dumps({**post, "id": f"m{at}", "media": [f"m/{at}.jpg"]}))
    cut = len(lines) * 2 // 3
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    media = json.dumps({"id": "m", "author": "ann", "media": "m/a.jpg"})
    first.write_text(
        "\r\n".join([*lines[:cut], media, "[1"]), encoding="utf-8", newline=""
    )  # fmt: skip  (no line end at the end)
    second.write_text("\n".join(["[2", *lines[cut:]]) + "\n", encoding="utf-8")
    monkeypatch.setattr(pipeline, "BATCH_POSTS", batch)

    def everything(name: str) -> tuple[object, ...]:
        from geoleak.store import EvidenceStore

        diag = Diagnostics()
        result = run([first, second], diag=diag, workers=workers, geocoder=None,
                     keep_evidence=False)  # fmt: skip
        store = EvidenceStore(tmp_path / name, buckets=3)
        store_diag = Diagnostics()
        store.ingest([first, second], diag=store_diag, workers=workers, geocoder=None)
        return (
            [json.dumps(profile_to_json(p)) for p in result.profiles],
            [json.dumps(s.to_json()) for s in result.sites],
            json.dumps(result.stats.to_json()),
            diag.warnings,
            store.evidence(),
            store_diag.warnings,
        )

    in_runs = everything("runs")
    monkeypatch.setattr(pipeline, "LINE_RUNS", False)
    one_by_one = everything("lines")
    names = ("profiles", "sites", "stats", "warnings", "stored evidence", "ingest warnings")
    for name, a, b in zip(names, in_runs, one_by_one, strict=True):
        assert a == b, f"{name} differ between lines in runs and one by one"
    warnings = in_runs[3]
    assert isinstance(warnings, list)
    assert any("duplicate post id" in w for w in warnings)
    assert any(f"{first}:" in w and "not valid JSON" in w for w in warnings)
    assert any(f"{second}:" in w and "not valid JSON" in w for w in warnings)
    assert any("m/" in w for w in warnings)  # (the media entries' files are missing)
    assert len(in_runs[0]) >= 10  # type: ignore[arg-type]


@pytest.mark.parametrize("shuffled", [False, True])
def test_batches_read_ahead_together_give_what_each_batch_read_alone_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shuffled: bool
) -> None:
    """A worker reads the plain lines of the batches of one call in columns at once
    (`_Shard.plain_ahead`), then takes each batch with its share: profiles, sites, stats,
    every warning in order, and the store's files row by row in file order (streaming
    shards: each batch's rows as it gave them) are what each batch read alone gives, with
    people in runs or interleaved, bad lines and repeated posts across batches."""
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from geoleak.store import EvidenceStore

    corpus = _corpus_file(tmp_path, random.Random(11), 24, shuffled=shuffled)
    monkeypatch.setattr(pipeline, "BATCH_POSTS", 24)
    runs = 0

    def everything() -> tuple[object, ...]:
        nonlocal runs
        runs += 1
        diag = Diagnostics()
        result = run([corpus], diag=diag, workers=2, geocoder=pipeline.OFFLINE,
                     keep_evidence=False)  # fmt: skip
        root = tmp_path / f"store{runs}"
        store_diag = Diagnostics()
        EvidenceStore(root, buckets=3).ingest([corpus], diag=store_diag, workers=2,
                                              geocoder=pipeline.OFFLINE)  # fmt: skip
        files = {str(part.relative_to(root)): pq.read_table(part).to_pylist()
                 for part in sorted(root.glob("*/*/*.parquet"))}  # fmt: skip
        return (
            [json.dumps(profile_to_json(p)) for p in result.profiles],
            [json.dumps(s.to_json()) for s in result.sites],
            json.dumps(result.stats.to_json()),
            diag.warnings,
            store_diag.warnings,
            files,
        )

    monkeypatch.setattr(pipeline, "SUBMIT_BATCHES", 8)
    together = everything()
    with monkeypatch.context() as patch:  # (each batch's lines read by its own `take`)
        patch.setattr(pipeline._Shard, "plain_ahead", lambda _, batches, *__: [None] * len(batches))
        alone = everything()
    names = ("profiles", "sites", "stats", "warnings", "ingest warnings", "store files")
    for name, a, b in zip(names, together, alone, strict=True):
        assert a == b, f"{name} differ between batches read together and alone"
    assert len(alone[5]) >= 6 and any("duplicate post id" in w for w in alone[3])  # type: ignore[arg-type, operator]


@pytest.mark.parametrize("junk", [False, True])
def test_batches_of_plain_lines_taken_at_once_store_each_persons_rows_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, junk: bool
) -> None:
    """A streaming shard takes the batches of one call at once when they are nothing but
    plain lines (`_Shard.take_plain`): the store then holds, person by person, the same
    rows in the same order (what inference and every reader read), the same people table,
    statistics and warnings as batch by batch; only where a person's rows sit in a file
    moves (their rows of several batches together). With a bad line in some calls those
    are taken batch by batch."""
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from geoleak.store import EvidenceStore

    rng = random.Random(3)
    lines = []
    for person in range(12):
        for n in range(rng.randint(20, 60)):
            lines.append(json.dumps({
                "id": f"p{person}-{n}", "author": f"u{person}",
                "created_at": f"2025-0{rng.randint(1, 9)}-{rng.randint(10, 28)}T{rng.randint(10, 23)}:0{n % 10}:00Z",
                "lat": round(rng.choice([51.5, 40.7, -33.9]) + rng.gauss(0, 0.01), 6),
                "lon": round(rng.choice([-0.12, -74.0, 151.2]) + rng.gauss(0, 0.01), 6)}))  # fmt: skip
            if rng.random() < 0.05:
                lines.append(json.dumps({**json.loads(lines[-1]), "id": f"again{len(lines)}"}))
    rng.shuffle(lines)
    if junk:
        lines[100:100] = [
            '{"id": "x", "author": ',
            json.dumps({"id": "t", "author": "u1", "text": "hi"}),
        ]
    corpus = tmp_path / "posts.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(pipeline, "BATCH_POSTS", 20)
    monkeypatch.setattr(pipeline, "SUBMIT_BATCHES", 8)
    runs = 0

    def stored() -> tuple[object, ...]:
        nonlocal runs
        runs += 1
        root = tmp_path / f"store{runs}"
        diag = Diagnostics()
        store = EvidenceStore(root, buckets=3)
        report = store.ingest([corpus], diag=diag, workers=2, geocoder=pipeline.OFFLINE)
        assert report.stats is not None
        files = [
            pq.read_table(part).to_pylist() for part in sorted(root.glob("evidence/*/*.parquet"))
        ]
        people = {p: [(c.post_ids, c.lat.tolist(), c.utc_us.tolist(), c.local_us.tolist(), c.tz_names)
                      for c in [columns]]
                  for b in range(3) for p, columns in store.bucket_columns(b).items()}  # fmt: skip
        return (
            {p: [repr(e) for e in found] for p, found in store.evidence().items()},
            people,
            {p: repr(c) for p, c in store.context().items()},
            json.dumps(report.stats.to_json()),
            diag.warnings,
            files,
        )

    together = stored()
    with monkeypatch.context() as patch:  # (each batch taken by its own `take`)
        patch.setattr(pipeline, "_plain_runs", lambda *_: None)
        alone = stored()
    names = ("evidence", "columns", "people table", "stats", "warnings")
    for name, a, b in zip(names, together, alone, strict=False):
        assert a == b, f"{name} differ between batches taken at once and one by one"
    assert len(together[0]) == 12  # type: ignore[arg-type]
    assert json.loads(together[3])["duplicate_posts"] > 0  # type: ignore[arg-type]
    # the files hold the same rows, some in another place (people's rows of a call together)
    assert together[5] != alone[5]
    assert sorted(map(repr, together[5])) != [] and sorted(
        repr(row)
        for rows in together[5]
        for row in rows  # type: ignore[attr-defined]
    ) == sorted(repr(row) for rows in alone[5] for row in rows)  # type: ignore[attr-defined]
