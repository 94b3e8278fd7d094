"""Inference over the store: the local and Dask engines agree with in-memory inference, and
the partitioned site pass finds the sites `find_sites` finds, across block edges too."""

from __future__ import annotations

import functools
import io
import json
import math
import os
import random
import shutil
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geoleak import engine
from geoleak.engine import find_sites_partitioned, infer_store
from geoleak.geometry import destination, haversine_m
from geoleak.infer import InferenceParams, LeakInference
from geoleak.infer.places import Candidate, PersonAnalysis
from geoleak.infer.sites import find_sites, site_log_odds
from geoleak.pipeline import collect_evidence
from geoleak.profiles import profile_to_json
from geoleak.store import EvidenceStore
from geoleak.types import Evidence, EvidenceSource, LatLon, PlaceKind, Profile, SharedSite

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_media" / "posts.jsonl"

pytest.importorskip("pyarrow")


def _by_site_position(profiles, sites):
    """Profiles as JSON with site ids replaced by the site's centre (numbering of sites
    with equal size may differ between passes)."""
    where = {s.site_id: (round(s.position.lat, 6), round(s.position.lon, 6)) for s in sites}
    out = []
    for profile in profiles:
        doc = profile_to_json(profile)
        for place in doc["places"]:
            if place.get("site"):
                site = place["site"]
                place["site"] = where[site]
                place["explanation"] = place["explanation"].replace(f"site {site} ", "site ")
        out.append(doc)
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EvidenceStore:
    if not SAMPLE.is_file():
        pytest.skip("sample_media is not in this checkout")
    root = tmp_path_factory.mktemp("engine") / "store"
    EvidenceStore(root, buckets=4).ingest([SAMPLE], workers=1)
    return EvidenceStore(root)


def test_local_engine_matches_in_memory_inference(store: EvidenceStore) -> None:
    collected = collect_evidence([SAMPLE], workers=1)
    model = LeakInference(workers=1).fit(collected.evidence, collected.context)
    profiles, sites = infer_store(store)
    assert _by_site_position(profiles, sites) == _by_site_position(model.profiles_, model.sites_)
    assert sorted((s.position, tuple(s.people)) for s in sites) == sorted(
        (s.position, tuple(s.people)) for s in model.sites_
    )


def test_dask_engine_gives_the_local_engine_results(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("distributed")
    tokenized: list[Any] = []
    tokenize = distributed.client.tokenize

    def recording(*args: Any, **kwargs: Any) -> str:
        tokenized.extend(args)
        return tokenize(*args, **kwargs)

    # Dask's tokenize walks a whole object; the sites (every member's candidate) are sent
    # to the workers without it (it cost ~20 MB of memory at 250 k posts).
    monkeypatch.setattr(distributed.client, "tokenize", recording)
    local = infer_store(store)
    dask = infer_store(store, engine="dask", workers=2, dask_processes=False)
    assert not [a for a in tokenized if isinstance(a, list) and a and isinstance(a[0], tuple)]
    assert [profile_to_json(p) for p in dask[0]] == [profile_to_json(p) for p in local[0]]
    assert [s.to_json() for s in dask[1]] == [s.to_json() for s in local[1]]


def test_dask_engine_leaves_nothing_in_the_temporary_folder(
    store: EvidenceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A LocalCluster's workers keep their files under geoleak's own temporary folder, which
    # goes at the end (Dask's default, TMPDIR/dask-scratch-space, stayed after every run).
    pytest.importorskip("distributed")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    infer_store(store, engine="dask", workers=2, dask_processes=False)
    assert list(tmp_path.iterdir()) == []


def test_hour_weight_reaches_every_engine_alike(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `hour_weight` is a keyword of LeakInference (a RolePriors field): in memory, through a
    # store and on Dask each role fit gets it, and the profiles agree.
    pytest.importorskip("distributed")
    from geoleak.infer import roles_many

    weights: list[float] = []
    hour_terms = roles_many._hour_terms_many

    def recording(problems: Any, pairs: Any, weight: float, *rest: Any) -> Any:
        weights.append(weight)
        return hour_terms(problems, pairs, weight, *rest)

    monkeypatch.setattr(roles_many, "_hour_terms_many", recording)
    collected = collect_evidence([SAMPLE], workers=1)
    model = LeakInference(hour_weight=0.75).fit(collected.evidence, collected.context)
    assert model.get_params()["hour_weight"] == model.params_.priors.hour_weight == 0.75
    local = infer_store(store, params=model.params_)
    dask = infer_store(store, params=model.params_, engine="dask", workers=2, dask_processes=False)
    assert weights and set(weights) == {0.75}
    expected = _by_site_position(model.profiles_, model.sites_)
    assert _by_site_position(*local) == expected == _by_site_position(*dask)
    with pytest.raises(ValueError, match="hour_weight"):
        LeakInference(hour_weight=1.5).fit({})


def _duty_person(person: str, spots: list[LatLon]) -> PersonAnalysis:
    """A person whose duty-place candidates are at `spots` (weekday office hours)."""
    from datetime import datetime, timedelta, timezone

    evidence = []
    candidates = []
    for k, spot in enumerate(spots):
        indices = []
        for day in range(4):
            utc = datetime(2025, 3, 3, 10, tzinfo=timezone.utc) + timedelta(days=day)
            indices.append(len(evidence))
            evidence.append(
                Evidence(
                    post_id=f"{person}-{k}-{day}",
                    person=person,
                    position=spot,
                    source=EvidenceSource.GEOTAG,
                    time_utc=utc,
                    local_time=utc.replace(tzinfo=None),
                )
            )
        cand = Candidate(indices=indices, position=spot, rms_m=5.0, score=4.0 - k)
        cand.duty_dates = {evidence[i].local_time.date() for i in indices}
        candidates.append(cand)
    return PersonAnalysis(person, evidence, candidates, Counter(), [])


@pytest.mark.parametrize(
    "centre", [LatLon(59.91, 10.75), LatLon(-16.8, 179.9995), LatLon(89.9, 0.0)]
)
def test_partitioned_sites_match_find_sites_across_block_edges(
    monkeypatch: pytest.MonkeyPatch, centre: LatLon
) -> None:
    # Blocks of one cube: every site straddles block edges; one at the antimeridian and
    # one near the pole, where longitude grids break.
    monkeypatch.setattr(engine, "BLOCK_CUBES", 1)
    params = InferenceParams()
    people = []
    for n in range(6):
        near_site = destination(centre, bearing_deg=60.0 * n, distance_m=350.0)
        far = destination(centre, bearing_deg=45.0 + 10 * n, distance_m=20_000.0 + 3_000 * n)
        people.append(_duty_person(f"p{n}", [near_site, far]))
    # a chain: each link shorter than site_eps_m, the ends further apart than it
    chain = [
        destination(centre, bearing_deg=180.0, distance_m=5_000.0 + 900.0 * k) for k in range(4)
    ]
    people += [_duty_person(f"c{k}", [spot]) for k, spot in enumerate(chain)]
    expected = [site for site, _ in find_sites(people, params)]
    got = [site for site, _ in find_sites_partitioned(people, params)]
    # The blocks (as on Dask: a map other than this process's own) find the same.
    by_blocks = [site for site, _ in find_sites_partitioned(people, params, map)]

    def key(sites):
        return sorted(
            (tuple(s.people), round(s.position.lat, 9), round(s.position.lon, 9), s.evidence_count)
            for s in sites
        )

    assert key(got) == key(expected) == key(by_blocks)
    assert any(len(s.people) == 6 for s in got)
    assert any(set(s.people) == {"c0", "c1", "c2", "c3"} for s in got)


def test_sites_of_equal_size_are_numbered_alike_whatever_the_order_people_come_in() -> None:
    """Two sites with as many people and as much evidence (one at 78 N by the antimeridian):
    `find_sites`, whatever order it is given the people in (worker count, partitions), and
    the partitioned pass number them the same way (the in-memory pass numbered ties in the
    order found, so 1 and 2 workers wrote S7 and S8 swapped)."""
    params = InferenceParams()
    west, east = LatLon(78.2, 179.99), LatLon(40.0, -3.7)
    people = [_duty_person(f"w{n}", [destination(west, 90.0 * n, 40.0)]) for n in range(3)]
    people += [_duty_person(f"e{n}", [destination(east, 90.0 * n, 40.0)]) for n in range(3)]

    def ids(found):
        return {s.site_id: tuple(s.people) for s, _ in found}

    forward = ids(find_sites(people, params))
    assert len(forward) == 2
    assert ids(find_sites(people[::-1], params)) == forward
    assert ids(find_sites(people[3:] + people[:3], params)) == forward
    assert ids(find_sites_partitioned(people[::-1], params)) == forward
    assert forward["S1"] == ("e0", "e1", "e2")  # the lower latitude first


def test_slim_candidates_give_the_sites_of_the_full_analyses(store: EvidenceStore) -> None:
    # The client keeps candidates as float columns and day ordinals: find_sites must give
    # exactly what it gives on the full analyses (every field of every site, members too).
    params = InferenceParams()
    context = store.context()
    full = [
        a
        for b in range(store.buckets)
        for a in engine._analyses(str(store.root), b, params, context)
    ]
    slim = [s for a in full if (s := engine.slim_analysis(a)) is not None]
    assert slim and all(isinstance(a.evidence, engine._Points) for a in slim)
    expected = find_sites([a for a in full if a.base_candidates], params)
    got = find_sites(slim, params)
    assert [site for site, _ in got] == [site for site, _ in expected]
    assert [{p: (c.position, c.score) for p, c in m.items()} for _, m in got] == [
        {p: (c.position, c.score) for p, c in m.items()} for _, m in expected
    ]
    assert any(len(site.people) > 1 for site, _ in got)


def test_slim_bucket_writes_each_persons_record_as_slim_record_does(store: EvidenceStore) -> None:
    # `_slim_bucket` reads every duty-place candidate's duty days at once: each person's
    # blob is their own `_slim_record` (the days worked out per candidate), byte for byte,
    # with people without a workplace candidate, a candidate whose duty days were assigned
    # and one without a calendar among them.
    from geoleak.infer.places import distinct_duty_ordinals

    params = InferenceParams()
    root = str(store.root)
    analyses = [a for b in range(store.buckets) for a in engine._analyses(root, b, params, None)]
    first, second = [a for a in analyses if a.base_candidates and a.work_candidates][:2]
    first.base_candidates[0].duty_dates = {date(2024, 3, 4), date(2024, 3, 9), date(2024, 3, 5)}
    no_calendar = second.base_candidates[0]
    second.base_candidates[0] = replace(no_calendar, calendar=None, day_sets={"duty_dates": set()})
    assert any(not a.work_candidates for a in analyses)
    part = engine._slim_bucket(analyses, len(analyses), len(analyses))
    expected = [engine._slim_record(a) for a in analyses if a.work_candidates]
    assert part.sizes == [len(blob) for blob in expected]
    assert part.blobs == b"".join(expected)
    cands = [c for a in analyses for c in a.base_candidates]
    for cand, days in zip(cands, distinct_duty_ordinals(cands), strict=True):
        alone = cand.distinct_ordinals("duty_dates")
        assert days.dtype == alone.dtype and days.tolist() == alone.tolist()
    assert distinct_duty_ordinals([]) == []


def test_slim_records_read_back_as_the_slim_analyses_the_site_groups_read(
    store: EvidenceStore,
) -> None:
    # `_slim_record` writes, from the full analysis, what the site groups read of the slim
    # analysis (`slim_analysis(..., scores=False)`); `_slim_of_record` reads it back: the same
    # person, candidates (position, score, spread, evidence rows, distinct duty days), points,
    # and the same sites from `find_sites`, members' positions and scores too.
    params = InferenceParams()
    root = str(store.root)
    full = [a for b in range(store.buckets) for a in engine._analyses(root, b, params, None)]
    # and a person with three duty-place candidates (the store's have one each)
    worker = next(a for a in full if a.base_candidates and a.work_candidates)
    first = worker.base_candidates[0]
    more = [replace(first, indices=first.indices[::2], position=LatLon(-50.0, 100.0)),
            replace(first, indices=first.indices[1:3], score=0.25)]  # fmt: skip
    full.append(replace(worker, person="zz-three", base_candidates=[first, *more]))
    slim = [s for a in full if (s := engine.slim_analysis(a, scores=False)) is not None]
    read = [engine._slim_of_record(engine._slim_record(a)) for a in full if a.work_candidates]
    assert len(read) == len(slim) and any(len(a.base_candidates) > 1 for a in read)
    for got, want in zip(read, slim, strict=True):
        assert got.person == want.person
        assert got.evidence.columns.tobytes() == want.evidence.columns.tobytes()
        assert got.evidence.columns.shape == want.evidence.columns.shape
        assert not got.work_candidates and not got.excluded
        assert len(got.base_candidates) == len(want.base_candidates)
        for c, w in zip(got.base_candidates, want.base_candidates, strict=True):
            assert c.position == w.position and c.score == w.score
            assert c.rms_m == w.rms_m and c.indices == w.indices
            assert list(c.duty_dates) == w.duty_dates.tolist()
            assert all(type(d) is int for d in c.duty_dates)
    got_sites, want_sites = find_sites(read, params), find_sites(slim, params)
    assert any(len(site.people) > 1 for site, _ in want_sites)
    assert [site for site, _ in got_sites] == [site for site, _ in want_sites]
    assert [{p: (c.position, c.score) for p, c in m.items()} for _, m in got_sites] == [
        {p: (c.position, c.score) for p, c in m.items()} for _, m in want_sites
    ]


def test_spooled_site_pass_reads_only_site_people_and_gives_the_same_sites_and_odds(
    store: EvidenceStore, tmp_path: Path
) -> None:
    # Pass 1's results on disk, positions in memory: the sites, their members' candidates
    # (position and score) and the site odds equal those of the in-memory site pass over
    # the same slim analyses; only people of a group that can be a site are read back.
    from geoleak.infer.sites import site_log_odds

    params = InferenceParams()
    root = str(store.root)
    parts = [engine.analyse_bucket(root, b, params, None) for b in range(store.buckets)]
    full = [a for b in range(store.buckets) for a in engine._analyses(root, b, params, None)]
    slim = [s for a in full if (s := engine.slim_analysis(a)) is not None]
    # and a person whose duty places are alone in the Southern Ocean: never read back
    worker = next(a for a in full if a.base_candidates and a.work_candidates)
    far = [
        replace(c, position=LatLon(-50.0, 100.0 + k)) for k, c in enumerate(worker.base_candidates)
    ]
    loner = replace(worker, person="zz-loner", base_candidates=far)
    parts.append(engine._slim_bucket([loner], 1, 1))
    slim.append(engine.slim_analysis(loner))
    expected = find_sites_partitioned(slim, params)
    expected_odds = site_log_odds(slim, expected, params.shared_site_odds)
    spool = engine._SlimSpool(str(tmp_path))
    for part in parts:
        spool.add(part)
    read: list[int] = []
    load = spool.load
    spool.load = lambda i: (read.append(i), load(i))[1]  # type: ignore[method-assign]
    columns, odds = spool.sites(params)
    spool.close()
    got = engine.found_sites(columns)
    assert expected and [s for s, _ in got] == [s for s, _ in expected]
    assert [{p: (c.position, c.score) for p, c in m.items()} for _, m in got] == [
        {p: (c.position, c.score) for p, c in m.items()} for _, m in expected
    ]
    assert odds == expected_odds  # exactly: the sums do not depend on the order
    members = {p for _, m in got for p in m}
    assert len(slim) - 1 not in read and len(members) <= len(set(read))
    # the members' candidates carry no evidence indices or day sets to every task
    assert all(c.indices == [] and not c.day_sets for _, m in got for c in m.values())


def test_site_pass_with_the_groups_in_worker_tasks_gives_the_same_sites_and_odds(
    store: EvidenceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The local engine's processes find the groups' sites, a few groups a task, reading the
    # slim analyses from the spool file by their offsets: the same sites (members and
    # their candidates' positions and scores) and odds as the main process alone, and the
    # main process reads no analysis back.
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    params = InferenceParams()
    root = str(store.root)
    parts = [engine.analyse_bucket(root, b, params, None) for b in range(store.buckets)]
    alone_columns, alone_odds = engine._site_pass(parts, params, str(tmp_path))
    alone = engine.found_sites(alone_columns)
    tasks: list[int] = []

    def counted(function: Any, *iterables: Any) -> Any:
        columns = [list(i) for i in iterables]
        tasks.append(len(columns[0]))
        return map(function, *columns)

    monkeypatch.setattr(engine, "GROUPS_PER_TASK", 1)  # a task a group on this small corpus
    read: list[int] = []
    spool = engine._SlimSpool(str(tmp_path))
    for part in parts:
        spool.add(part)
    spool.load = read.append  # type: ignore[assignment,method-assign]
    try:
        mapped_columns, mapped_odds = spool.sites(params, map_groups=counted)
        with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as pool:
            pooled_columns, pooled_odds = spool.sites(params, map_groups=pool.map)
    finally:
        spool.close()
    assert alone and read == [] and tasks[0] >= 1
    for columns, odds in ((mapped_columns, mapped_odds), (pooled_columns, pooled_odds)):
        got = engine.found_sites(columns)
        assert [s for s, _ in got] == [s for s, _ in alone]
        assert [{p: (c.position, c.score) for p, c in m.items()} for _, m in got] == [
            {p: (c.position, c.score) for p, c in m.items()} for _, m in alone
        ]
        assert odds == alone_odds


def test_cli_infer_through_a_store(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from geoleak.cli import main
    from geoleak.profiles import load_profiles

    if not SAMPLE.is_file():
        pytest.skip("sample_media is not in this checkout")
    corpus = tmp_path / "sample"
    shutil.copytree(SAMPLE.parent, corpus)
    runner = CliRunner()
    plain = runner.invoke(
        main, ["infer", str(corpus / "posts.jsonl"), "-o", str(tmp_path / "a.json"), "-q"]
    )
    stored = runner.invoke(main, ["infer", str(corpus / "posts.jsonl"), "--store", str(tmp_path / "st"),
                                  "-o", str(tmp_path / "b.json"), "-q"])  # fmt: skip
    again = runner.invoke(
        main, ["infer", str(tmp_path / "st"), "-o", str(tmp_path / "c.json"), "-q"]
    )
    assert plain.exit_code == stored.exit_code == again.exit_code == 0, stored.output
    a, _ = load_profiles(tmp_path / "a.json")
    c, _ = load_profiles(tmp_path / "c.json")

    def roles(profiles):
        return {
            p.person: [
                (pl.kind, pl.position) for pl in p.places if pl.kind.value in ("home", "base")
            ]
            for p in profiles
        }

    assert roles(a) == roles(c)
    # Two workers (started while the corpus is read: engine.local_pool) write the same file.
    two = runner.invoke(main, ["infer", str(corpus / "posts.jsonl"), "--store", str(tmp_path / "st2"),
                               "-o", str(tmp_path / "d.json"), "-q", "--workers", "2"])  # fmt: skip
    assert two.exit_code == 0, two.output
    assert (tmp_path / "d.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    mapped = runner.invoke(
        main, ["map", str(tmp_path / "c.json"), str(tmp_path / "st"), "-o", str(tmp_path / "maps")]
    )
    assert mapped.exit_code == 0, mapped.output
    assert (tmp_path / "maps" / "index.html").is_file()


@pytest.mark.parametrize("engine_name", ["local", "dask"])
def test_streamed_profiles_file_is_the_document_of_the_held_profiles(
    store: EvidenceStore, tmp_path: Path, engine_name: str
) -> None:
    # write_store_profiles spools each partition's entries and merges them by person: the
    # file must be byte for byte what dumping every profile at once writes (2 processes).
    from geoleak.engine import write_store_profiles
    from geoleak.profiles import dump_profiles

    if engine_name == "dask":
        pytest.importorskip("distributed")
    meta = {"tool": "geoleak", "inputs": ["posts.jsonl"]}
    profiles, sites = infer_store(store)
    held = dump_profiles(profiles, tmp_path / "held.json", sites=[s.to_json() for s in sites],
                         meta=meta)  # fmt: skip
    streamed = tmp_path / "streamed.json"
    with streamed.open("w", encoding="utf-8") as handle:
        written = write_store_profiles(store, handle, meta=meta, engine=engine_name, workers=2,
                                       dask_processes=False)  # fmt: skip
        handle.write("\n")
    assert streamed.read_bytes() == held.read_bytes()
    assert written.people == len(profiles) and written.sites == sites
    assert written.homes == sum(1 for p in profiles if p.place(PlaceKind.HOME))
    assert written.bases == sum(1 for p in profiles if p.place(PlaceKind.BASE))


_ANY_CHARACTER = st.characters(codec=None, categories=None)  # surrogates included
_SPOOL_ENTRY = st.tuples(
    st.text(_ANY_CHARACTER, max_size=6),
    st.text(_ANY_CHARACTER, max_size=40),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@example([[("b\udc80", "{\r\x00\ud800}", True, False), ("a\u00e9", "\U0001f600", False, True)], []])
@given(st.lists(st.lists(_SPOOL_ENTRY, max_size=8), max_size=5))
def test_spool_merges_its_partitions_entries_by_person(
    parts: list[list[tuple[str, str, bool, bool]]],
) -> None:
    # Each person in one partition, as in a store; any text (lone surrogates, "\r", NULs,
    # non-ASCII) comes back from the spool's files as it went in, in the persons' order.
    seen: set[str] = set()
    unique = [[e for e in part if e[0] not in seen and not seen.add(e[0])] for part in parts]
    with tempfile.TemporaryDirectory() as folder:
        spool = engine._Spool(folder)
        for part in unique:
            spool.add([engine.ProfileText(*e) for e in reversed(part)])
        merged = list(spool.texts())
    entries = sorted(e for part in unique for e in part)
    assert merged == [text for _, text, _, _ in entries]
    assert (spool.people, spool.homes, spool.bases) == (
        len(entries),
        sum(e[2] for e in entries),
        sum(e[3] for e in entries),
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_partitions_dropped_as_inferred_give_the_same_document(
    store: EvidenceStore, tmp_path: Path, workers: int
) -> None:
    # drop_partitions: each partition's files go once its pass 2 is emitted, none before
    # (a partition read after its files went would lose its people).
    from geoleak.engine import write_store_profiles

    copy = EvidenceStore(shutil.copytree(store.root, tmp_path / "copy"))
    kept, dropped = io.StringIO(), io.StringIO()
    write_store_profiles(store, kept, workers=workers)
    write_store_profiles(copy, dropped, workers=workers, drop_partitions=True)
    assert dropped.getvalue() == kept.getvalue() and json.loads(kept.getvalue())["people"]
    assert not list((copy.root / "evidence").iterdir())
    assert not list((copy.root / "people").iterdir())
    assert list((store.root / "evidence").iterdir())


class _CountingClient:
    """A stand-in for a Dask client that records how many submitted results are not yet
    taken (what a cluster would be keeping in its workers' memory)."""

    def __init__(self) -> None:
        self.outstanding = 0
        self.most = 0

    def submit(self, function, *args, pure=True):
        assert pure is False  # two partitions' tasks with equal arguments stay two tasks
        client = self
        client.outstanding += 1
        client.most = max(client.most, client.outstanding)

        class Future:
            def result(self):
                client.outstanding -= 1
                return function(*args)

        return Future()


def test_dask_partitions_stream_in_order_with_few_results_waiting() -> None:
    client = _CountingClient()
    got = list(engine._windowed(client, 3, pow, range(50), [2] * 50))
    assert got == [n**2 for n in range(50)]
    assert client.most == 3  # not 50: the results waiting do not grow with the partitions
    assert client.outstanding == 0
    assert list(engine._windowed(client, 3, pow, [], [])) == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 11), min_size=1, max_size=5, unique=True), min_size=0, max_size=8
    ),
    st.lists(st.floats(0.0, 1.0), min_size=12, max_size=12),
    st.lists(st.floats(0.0, 1.0), min_size=0, max_size=20),
    st.integers(1, 4),
    st.sampled_from([None, 4.0]),
)
def test_site_odds_from_the_columns_are_site_log_odds(
    sites_people: list[list[int]],
    own_scores: list[float],
    other_scores: list[float],
    parts: int,
    fixed: float | None,
) -> None:
    # The store engine's main process keeps the sites in columns (a member's position and
    # score) and every workplace candidate's score in a partition's array: its odds are
    # those `site_log_odds` gives the sites with their candidates and the people's
    # analyses, bit for bit (sites of one person count for neither), and the candidates
    # made from the columns have the position and score of the members' own.
    import numpy as np

    from geoleak.infer.sites import site_log_odds
    from geoleak.types import SharedSite

    people = [f"p{k:02d}" for k in range(12)]
    cands = {
        (p, k): Candidate([], LatLon(-40.0 + k + n / 7.0, 100.0 - n / 3.0), 5.0, score=score)
        for n, (p, score) in enumerate(zip(people, own_scores, strict=True))
        for k in range(len(sites_people) or 1)
    }
    found = []
    for k, members in enumerate(sites_people):
        names = tuple(sorted(people[m] for m in members))
        site = SharedSite("", LatLon(float(k), 0.0), 100.0, names, 10, 3)
        found.append((site, {p: cands[p, k] for p in names}))
    analyses = [
        PersonAnalysis(p, [], [], Counter(), [], work_candidates=[c for (q, _), c in cands.items() if q == p])
        for p in people
    ]  # fmt: skip
    analyses[0].work_candidates += [
        Candidate([], LatLon(1.0, 1.0), 5.0, score=s) for s in other_scores
    ]
    cands = [c for a in analyses for c in a.work_candidates]
    cuts = sorted({len(cands) * k // parts for k in range(1, parts)})
    work_parts = tuple(
        np.split(np.array(values, dtype=np.float64), cuts)
        for values in (
            [c.score for c in cands],
            [c.position.lat for c in cands],
            [c.position.lon for c in cands],
        )
    )
    columns = engine.SiteColumns(
        [site for site, _ in found],
        np.concatenate([engine._member_columns(s, m) for s, m in found])
        if found
        else np.zeros((0, 3)),
    )
    expected = site_log_odds(analyses, found, fixed)
    got = engine._site_odds(columns, work_parts, InferenceParams(shared_site_odds=fixed))
    assert got == expected or all(map(math.isnan, (*got, *expected)))
    made = engine.found_sites(columns)
    assert [site for site, _ in made] == [site for site, _ in found]
    assert [{p: (c.position, c.score) for p, c in m.items()} for _, m in made] == [
        {p: (c.position, c.score) for p, c in m.items()} for _, m in found
    ]


def test_site_pass_keeps_no_candidate_a_member_in_the_main_process(
    store: EvidenceStore, tmp_path: Path
) -> None:
    # The main process kept each member's candidate (~650 bytes unpickled, with its empty
    # containers and times) and, for the site odds, a `PersonAnalysis` a member, from the
    # site pass to the end of pass 2: it keeps three floats a member now (the same sites
    # and odds: the tests above).
    import numpy as np

    from geoleak.types import SharedSite

    params = InferenceParams()
    root = str(store.root)
    parts = [engine.analyse_bucket(root, b, params, None) for b in range(store.buckets)]
    made: list[PersonAnalysis] = []
    real = PersonAnalysis.__init__

    def counted(self: PersonAnalysis, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        real(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PersonAnalysis, "__init__", counted)
        columns, _ = engine._site_pass(parts, params, str(tmp_path))
    assert columns.sites and all(isinstance(site, SharedSite) for site in columns.sites)
    assert columns.members.dtype == np.float64
    assert columns.members.shape == (sum(len(site.people) for site in columns.sites), 3)
    # no analysis made a member for the odds (those made are the groups' subsets)
    assert made and all(a.base_candidates for a in made)


def test_site_pass_memory_does_not_hold_every_block_or_pair() -> None:
    # 1,000 people, each with five duty places within 1 km of each other (so 20 close
    # pairs a person, none across people: no group is a site and nobody is loaded), far
    # apart: the site pass's Python memory at its peak (numpy's included) stays under 300
    # bytes a candidate (~160 now). Holding every block's lists and every close pair as
    # tuples at once, as the pass did, cost ~510 here, and more with more pairs.
    import tracemalloc

    import numpy as np

    params = InferenceParams()
    people, places = 1_000, 5
    lats, lons = [], []
    for n in range(people):
        centre = LatLon(-60.0 + 120.0 * (n % 40) / 40, -179.0 + 358.0 * (n // 40) / 25)
        for k in range(places):
            spot = destination(centre, bearing_deg=72.0 * k, distance_m=300.0)
            lats.append(spot.lat)
            lons.append(spot.lon)
    owners = np.repeat(np.arange(people), places)

    def never(_owner: int) -> PersonAnalysis:
        raise AssertionError("no group of one person's places is a site")

    lats_array, lons_array = np.array(lats), np.array(lons)
    del lats, lons
    tracemalloc.start()
    try:
        sites = engine._sites_of_candidates(lats_array, lons_array, owners, never, params)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sites == []
    assert peak / (people * places) < 300  # bytes a candidate
    assert find_sites_partitioned([], params) == []


@pytest.mark.parametrize(
    ("given", "expected", "pool"),
    [
        ([], 2, 2),
        (["--workers", "1"], 1, 1),
        (["--workers", "3"], 3, 3),
        (["--engine", "dask"], 2, None),
    ],
)
def test_infer_through_a_store_takes_every_core_by_default(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    given: list[str],
    expected: int,
    pool: int | None,
) -> None:
    """`infer`'s --workers defaults to all cores on every path: through a temporary store (a
    large input) its partitions went to one process when the option was left out, half the
    speed on two cores (the benchmarks always named --workers); a LocalCluster takes a
    worker a core too (no local processes then). The available CPUs are the process's
    affinity mask (`children.available_cpus`), patched here to 2."""
    if "dask" in given:
        pytest.importorskip("distributed")
    from click.testing import CliRunner

    from geoleak import children
    from geoleak import store as store_module
    from geoleak.cli import main

    if not SAMPLE.is_file():
        pytest.skip("sample_media is not in this checkout")
    monkeypatch.setattr(store_module, "AUTO_STORE_ROWS", 10)
    monkeypatch.setattr(children, "available_cpus", lambda: 2)
    pools: list[int | None] = []
    inferred: list[int | None] = []
    real_pool, real_write = engine.local_pool, engine.write_store_profiles

    def started(workers: int | None) -> Any:
        pools.append(workers)
        return real_pool(workers)

    def write(*args: Any, **kwargs: Any) -> Any:
        inferred.append(kwargs["workers"])
        return real_write(*args, **kwargs)

    monkeypatch.setattr(engine, "local_pool", started)
    monkeypatch.setattr(engine, "write_store_profiles", write)
    out = tmp_path / "profiles.json"
    result = CliRunner().invoke(main, ["infer", str(SAMPLE), "-o", str(out), *given])
    assert result.exit_code == 0, result.output
    # (--engine takes a store whatever the inputs' size, without saying so)
    assert ("temporary evidence store" in result.output) is ("--engine" not in given)
    assert pools == [pool] and inferred == [expected]
    assert json.loads(out.read_text())["people"]


def test_a_large_corpus_goes_through_a_temporary_store_unless_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`infer` with no --store bounds its memory with a temporary store past
    AUTO_STORE_ROWS estimated rows (lowered here), says so, and gives the file a named
    store gives; --in-memory keeps the in-memory path; the scratch store is removed."""
    import tempfile

    from click.testing import CliRunner

    from geoleak import store as store_module
    from geoleak.cli import main
    from geoleak.cli import store as cli_store

    if not SAMPLE.is_file():
        pytest.skip("sample_media is not in this checkout")
    corpus = tmp_path / "sample"
    shutil.copytree(SAMPLE.parent, corpus)
    posts = str(corpus / "posts.jsonl")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    calls: list[Any] = []
    real = cli_store.run_from_store

    def spy(inputs: Any, store_path: Any, **kwargs: Any) -> Any:
        calls.append(store_path)
        return real(inputs, store_path, **kwargs)

    monkeypatch.setattr(cli_store, "run_from_store", spy)
    scratch_flags: list[bool] = []  # how each store was made: a temporary one for speed
    ingest = cli_store._ingest

    def ingested(*args: Any, **kwargs: Any) -> Any:
        scratch_flags.append(kwargs.get("scratch", False))
        return ingest(*args, **kwargs)

    monkeypatch.setattr(cli_store, "_ingest", ingested)
    dropped: list[int] = []  # the temporary store's partitions, removed as they are inferred
    drop = store_module.EvidenceStore.drop_partition

    def dropping(self: EvidenceStore, bucket: int) -> None:
        dropped.append(bucket)
        drop(self, bucket)

    monkeypatch.setattr(store_module.EvidenceStore, "drop_partition", dropping)
    runner = CliRunner()
    assert store_module.estimate_rows([posts]) <= store_module.AUTO_STORE_ROWS
    small = runner.invoke(main, ["infer", posts, "-o", str(tmp_path / "small.json")])
    assert small.exit_code == 0, small.output
    assert calls == [] and "temporary evidence store" not in small.output

    monkeypatch.setattr(store_module, "AUTO_STORE_ROWS", 10)
    estimates: list[int] = []
    estimate = store_module.estimate_rows

    def estimated(inputs: Any) -> int:
        estimates.append(estimate(inputs))
        return estimates[-1]

    monkeypatch.setattr(store_module, "estimate_rows", estimated)
    auto = runner.invoke(main, ["infer", posts, "-o", str(tmp_path / "auto.json")])
    assert auto.exit_code == 0, auto.output
    assert calls == [None]
    # The inputs are estimated once; the temporary store is sized from that estimate.
    assert len(estimates) == 1 and estimates[0] > 10
    assert "temporary evidence store so memory stays bounded" in auto.output
    assert list(scratch.iterdir()) == []
    assert dropped == list(range(store_module.buckets_for(estimates[0])))
    named = runner.invoke(
        main, ["infer", posts, "--store", str(tmp_path / "st"), "-o", str(tmp_path / "named.json")]
    )
    assert named.exit_code == 0, named.output
    assert len(dropped) == store_module.buckets_for(estimates[0])  # (a named store is kept)
    assert (tmp_path / "auto.json").read_bytes() == (tmp_path / "named.json").read_bytes()
    assert scratch_flags == [True, False]

    kept = runner.invoke(main, ["infer", posts, "--in-memory", "-o", str(tmp_path / "mem.json")])
    assert kept.exit_code == 0, kept.output
    assert len(calls) == 2 and "temporary evidence store" not in kept.output
    assert (tmp_path / "mem.json").read_bytes() == (tmp_path / "small.json").read_bytes()

    both = runner.invoke(main, ["infer", posts, "--in-memory", "--store", str(tmp_path / "x")])
    assert both.exit_code != 0 and "--in-memory" in both.output
    assert "Traceback" not in both.output


def _not_read_again(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("pass 2 read the people table again")


def test_pass_one_spills_analyses_without_evidence_and_pass_two_reads_it_back(
    store: EvidenceStore, tmp_path: Path
) -> None:
    # Pass 1 keeps its analyses for pass 2 without their evidence (pass 2 makes it again
    # from the store's columns): the profiles are those of analysing the partition afresh.
    import pickle

    params = InferenceParams()
    root = str(store.root)
    columns, odds = engine._site_pass(
        [engine.analyse_bucket(root, b, params, None, str(tmp_path)) for b in range(4)],
        params,
        str(tmp_path),
    )
    sites = engine.found_sites(columns)
    rows = {b: sum(map(len, store.bucket_evidence(b).values())) for b in range(4)}
    bucket = max(rows, key=rows.__getitem__)
    with (tmp_path / f"analyses-{bucket:05d}.pickle").open("rb") as handle:
        kept, kept_context, fit_columns = pickle.load(handle)
    assert kept and all(a.evidence == [] for a in kept)
    # the fits go beside the analyses, their arrays joined over the partition's people
    assert fit_columns.whole is None and all(a.fit is None for a in kept)
    for analysis, fit in zip(kept, engine._fits_of_columns(fit_columns), strict=True):
        analysis.fit = fit
    # and the partition's people's context, which pass 2 then does not read again
    assert kept_context == store.context(bucket=bucket) and set(kept_context) >= {
        a.person for a in kept
    }
    assert any(a.base_candidates for a in kept)
    # nor the fits' bag inputs (pass 2 reads the bag's scores, made with the fit): the
    # profiles below would differ, or fail, if pass 2 needed them
    bagged = [a.fit for a in kept if a.fit is not None and a.fit.bag_log_scores is not None]
    assert bagged and all(fit.bag_inputs == () for fit in bagged)
    # nor the home, work and other candidates' calendars (pass 2 reads their counts, made
    # before: without one, a count it asked for would fail); a base candidate is still
    # one of the work candidates, not a copy of its own
    kept_candidates = [c for a in kept for c in (*a.home_candidates, *a.work_candidates, *a.others)]
    assert kept_candidates and all(c.calendar is None for c in kept_candidates)
    assert all(any(b is w for w in a.work_candidates) for a in kept for b in a.base_candidates)
    # the fits' structures as they were, equal ones one object across the partition's people
    # (so pickled once)
    afresh_fits = {a.person: a.fit for a in engine._analyses(root, bucket, params, None)}
    structures = [s for a in kept if a.fit is not None for s in a.fit.structures]
    assert all(a.fit.structures == afresh_fits[a.person].structures  # type: ignore[union-attr]
               for a in kept if a.fit is not None)  # fmt: skip
    assert len({id(s) for s in structures}) == len(set(structures)) < len(structures)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EvidenceStore, "context", _not_read_again)
        spilled = engine.profile_bucket(root, bucket, params, None, sites, odds, str(tmp_path))
    afresh = engine.profile_bucket(root, bucket, params, None, sites, odds, None)
    assert [profile_to_json(p) for p in spilled] == [profile_to_json(p) for p in afresh]
    assert sum(p.evidence_count for p in spilled) == rows[bucket] > 0


def test_pass_two_tasks_carry_the_sites_as_a_file_read_once_a_process(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every partition's pass-2 task used to carry every site and its members' candidates
    # (at 2 M posts, 256 partitions x ~5 MB pickled and read back): the tasks now name a
    # file of this run's scratch folder, which a worker process reads once.
    import pickle

    class InProcessPool:
        """A pool that runs the tasks here, after checking they pickle small."""

        def __init__(self) -> None:
            self.task_bytes: list[int] = []

        def map(self, function: Any, *iterables: Any) -> Any:
            calls = list(zip(*iterables, strict=True))
            if getattr(function, "func", None) is engine._with_sites_file:  # pass 2's tasks
                self.task_bytes += [len(pickle.dumps((function, args))) for args in calls]
            return [function(*args) for args in calls]

    loads: list[str] = []
    sizes: list[int] = []
    real = engine._sites_from_file.__wrapped__

    @functools.lru_cache(maxsize=1)
    def counted(path: str) -> Any:
        loads.append(path)
        sizes.append(Path(path).stat().st_size)
        return real(path)

    monkeypatch.setattr(engine, "_sites_from_file", counted)
    params = InferenceParams()
    profiles: list[Profile] = []
    pool = InProcessPool()
    root = str(store.root)
    sites = engine._infer_local(root, list(range(4)), [None] * 4, params, 2,
                                engine.profile_bucket, profiles.extend, pool)  # type: ignore[arg-type]  # fmt: skip
    assert sites and len(loads) == 1  # one process here: read once for the four partitions
    # no task carries the sites (their members' candidates as the file has them)
    assert len(pool.task_bytes) == 4 and max(pool.task_bytes) < sizes[0]
    expected, expected_sites = infer_store(store)
    assert [profile_to_json(p) for p in sorted(profiles, key=lambda p: p.person)] == [
        profile_to_json(p) for p in expected
    ]
    assert [s.to_json() for s in sites] == [s.to_json() for s in expected_sites]


@pytest.mark.parametrize("model", ["units", "mobility"])
def test_pass_two_of_a_partition_reads_only_its_sites_and_gives_every_sites_profiles(
    model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A partition's pass 2 makes the candidates of only the sites its people are members of
    # or may be in reach of (`SiteIndex.for_people`): each partition's profiles are those
    # made with every site and its candidates (bases through a site's members among them),
    # and the partitions read fewer sites than there are. Whether a site's colleagues share
    # a spot is worked out once for every partition (`SiteIndex.spots`), not once in each.
    import numpy as np

    import geoleak.infer
    from geoleak.infer import SiteLookup
    from geoleak.infer.places import analyse_people
    from geoleak.scenario import ScenarioConfig
    from geoleak.scenario.memory import scenario_evidence
    from geoleak.scenario.mobility import MobilityConfig
    from geoleak.scenario.model import PERSONA_SHARES
    from geoleak.store import person_bucket

    config = (
        ScenarioConfig(people=120, seed=3, days=150, **PERSONA_SHARES)
        if model == "units"
        else MobilityConfig(people=120, seed=1)
    )
    evidence = {person: ev for person, ev, _ in scenario_evidence(config)}
    params = InferenceParams()
    analyses = analyse_people([(p, evidence[p], Counter()) for p in sorted(evidence)], params)
    slim = [s for a in analyses if (s := engine.slim_analysis(a)) is not None]
    every = find_sites_partitioned(slim, params)
    odds = site_log_odds(slim, every, None)
    columns = engine.SiteColumns(
        [site for site, _ in every], np.concatenate([engine._member_columns(*f) for f in every])
    )
    index = engine.SiteIndex(columns)
    asked: list[str] = []  # the sites the partitions' lookups were asked about
    worked_out: list[int] = []  # and those worked out (by their number of members)
    share = geoleak.infer.colleagues_share_a_spot
    ask = SiteLookup.shares_a_spot

    def counted_share(members: Any, spot_m: float) -> bool:
        worked_out.append(len(members))
        return share(members, spot_m)

    def counted_ask(self: SiteLookup, site: Any, members: Any, spot_m: float) -> bool:
        asked.append(site.site_id)
        return ask(self, site, members, spot_m)

    read, by_membership = [], 0
    for bucket in range(4):
        part = [a for a in analyses if person_bucket(a.person, 4) == bucket]
        found, lookup = index.for_people(part, params)
        read.append(len(found))
        with monkeypatch.context() as counting:
            counting.setattr(geoleak.infer, "colleagues_share_a_spot", counted_share)
            counting.setattr(SiteLookup, "shares_a_spot", counted_ask)
            got = engine.profiles_of(part, {}, params, found, odds, lookup)
        expected = engine.profiles_of(part, {}, params, every, odds)
        engine.forget_site_lookup()
        assert [profile_to_json(p) for p in got] == [profile_to_json(p) for p in expected]
        by_membership += sum(
            "weekdays of own evidence" in place.explanation for p in got for place in p.places
        )
    assert len(every) > 3 and sum(read) < len(read) * len(every)
    assert by_membership > 0 or model == "mobility"  # (staff living on site, units: 3)
    # sites asked about in several partitions, each worked out once
    assert len(worked_out) == len(set(asked)) < len(asked)
    # With the site pass's answers (`_spotted`: those of each site's members' own
    # candidates) none is worked out again, and the profiles are the same.
    rows = engine._spotted(
        [[(site, engine._member_columns(site, m)) for site, m in every]], params.site_spot_m
    )[0]
    spotted = columns._replace(spots=(params.site_spot_m, [r.shared for _, r in rows]))
    assert spotted.spots == (
        params.site_spot_m,
        [geoleak.infer.colleagues_share_a_spot(m, params.site_spot_m) for _, m in every],
    )
    assert (any(spotted.spots[1]) and not all(spotted.spots[1])) or model == "units"
    index = engine.SiteIndex(spotted)
    worked_out.clear()
    for bucket in range(4):
        part = [a for a in analyses if person_bucket(a.person, 4) == bucket]
        found, lookup = index.for_people(part, params)
        with monkeypatch.context() as counting:
            counting.setattr(geoleak.infer, "colleagues_share_a_spot", counted_share)
            got = engine.profiles_of(part, {}, params, found, odds, lookup)
        expected = engine.profiles_of(part, {}, params, every, odds)
        engine.forget_site_lookup()
        assert [profile_to_json(p) for p in got] == [profile_to_json(p) for p in expected]
    assert worked_out == []


def test_pass_two_indexes_the_sites_once_a_process_not_once_a_partition(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each partition's pass 2 built the index of every site and member again: partitions x
    # people, the stage that grew fastest with the corpus (up to 512 partitions). Now every
    # site is indexed once for the run's sites (`SiteIndex`) and each partition makes a
    # lookup of only the sites its people can read; nothing is kept past the run.
    from geoleak.infer import SiteLookup

    built: list[int] = []
    looked: list[int] = []

    class Counted(engine.SiteIndex):
        def __init__(self, columns: Any) -> None:
            built.append(id(columns))
            super().__init__(columns)

    class Partial(SiteLookup):
        def __init__(self, sites: Any, **given: Any) -> None:
            looked.append(len(sites))
            super().__init__(sites, **given)

    expected, _ = infer_store(store)
    monkeypatch.setattr(engine, "SiteIndex", Counted)
    monkeypatch.setattr(engine, "SiteLookup", Partial)
    profiles, sites = infer_store(store, workers=1)
    assert store.buckets == 4 and len(built) == 1 and sites
    # the index's lookup of every site (no members), then one a partition
    assert looked[0] == len(sites) and len(looked) == 1 + 4 and max(looked[1:]) <= len(sites)
    assert [profile_to_json(p) for p in profiles] == [profile_to_json(p) for p in expected]
    assert engine._SITE_LOOKUP == [] and engine._INDEXED == []  # not kept past the run
    # Another list of sites (even of the same sites) gets its own index.
    own = {
        p: Candidate(indices=[], position=s.position, rms_m=5.0) for s in sites for p in s.people
    }
    found = [(site, {p: own[p] for p in site.people}) for site in sites]
    first = engine.site_lookup(found)
    assert engine.site_lookup(found) is first
    assert engine.site_lookup(list(found)) is not first
    engine.forget_site_lookup()


def _gc_threshold_in_task(bucket: int) -> tuple[int, tuple[int, int, int]]:
    import gc

    return bucket, gc.get_threshold()


_FREED_NOTED = """
import os


class NotesItsFreeing:  # writes a file named by its process when freed
    def __init__(self, folder):
        self.path = os.path.join(folder, str(os.getpid()))

    def __del__(self, opened=open):
        with opened(self.path, "w") as out:
            out.write("freed")


HELD = []


def hold(folder):
    HELD.append(NotesItsFreeing(folder))
    return os.getpid()
"""

_POOL_HOLDING = """
import sys

import freed_noted
from geoleak import engine

if __name__ == "__main__":
    with engine.local_pool(2) as pool:
        pids = set(pool.map(freed_noted.hold, [sys.argv[1]] * 8))
        processes = list(pool._processes.values())
    print(len(pids), sorted(p.exitcode for p in processes))
"""


def test_partition_processes_end_without_freeing_what_they_hold(tmp_path: Path) -> None:
    # A partition process freed everything it held (the site index, caches, modules) one
    # object at a time once its pool let it go, while the command waited on it (0.22-0.28
    # CPU s of the two processes at 2 M posts, the last ~0.7 s of the run at load 6): it
    # now leaves by `os._exit` once its work is done (`engine._leave`). Run as a script of
    # its own: the interpreter's finalization frees a module's objects (their `__del__`
    # writes a file), which pytest's own modules in a worker may not.
    import subprocess
    import sys

    (tmp_path / "freed_noted.py").write_text(_FREED_NOTED, encoding="utf-8")
    (tmp_path / "run.py").write_text(_POOL_HOLDING, encoding="utf-8")
    notes = tmp_path / "notes"
    notes.mkdir()
    paths = [str(tmp_path), str(Path(engine.__file__).parents[1]), os.environ.get("PYTHONPATH")]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    ran = subprocess.run(
        [sys.executable, str(tmp_path / "run.py"), str(notes)],
        capture_output=True, text=True, env=environment, timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    workers, exit_codes = ran.stdout.split(" ", 1)
    assert int(workers) >= 1 and exit_codes.strip() == "[0, 0]"
    assert list(notes.iterdir()) == []  # (a file a process that held one, without `_leave`)


def test_partitions_run_with_the_collector_run_less_often(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cyclic collector walked every 700 containers made in the partition processes, and
    # now and then everything they hold (~9 % of their CPU at 200 k posts). The local
    # engine's processes raise its first threshold for their life; one-process inference
    # only while it runs, and puts the thresholds back.
    import gc

    with engine.local_pool(2) as pool:
        assert pool is not None
        seen = dict(pool.map(_gc_threshold_in_task, range(4)))
    assert {first for first, _, _ in seen.values()} == {engine.PARTITION_GC_THRESHOLD}
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []
    analyse = engine.analyse_bucket

    def noted(*args: Any, **kwargs: Any) -> Any:
        during.append(gc.get_threshold())
        return analyse(*args, **kwargs)

    monkeypatch.setattr(engine, "analyse_bucket", noted)
    expected, _ = infer_store(store)
    profiles, _ = infer_store(store, workers=1)
    assert during and all(t == (engine.PARTITION_GC_THRESHOLD, *before[1:]) for t in during)
    assert gc.get_threshold() == before
    assert [profile_to_json(p) for p in profiles] == [profile_to_json(p) for p in expected]


def _fit(rnd: random.Random, assignments: int, draws: int, bag: str) -> Any:
    """A `RoleFit` of `assignments` random scores; its bag scores (`draws`, K) made as
    `bag` says: None, C-ordered, a strided view (as the batched fit leaves them) or
    Fortran-ordered."""
    import numpy as np

    from geoleak.infer.roles import PERSON_TYPES, RoleFit, Structure

    k = rnd.randint(0, assignments)
    scores = None
    if bag != "none":
        batch = np.array([[rnd.uniform(-50, 0) for _ in range(k + 3)] for _ in range(draws)])
        scores = {"c": batch[:, :k].copy(), "view": batch[:, 1 : k + 1],
                  "fortran": np.asfortranarray(batch[:, :k])}[bag]  # fmt: skip
    return RoleFit(
        [Structure(home=rnd.randint(-1, 2), work=rnd.randint(-1, 1)) for _ in range(3)],
        np.array([rnd.randrange(len(PERSON_TYPES)) for _ in range(assignments)], dtype=np.int64),
        np.array([rnd.randrange(3) for _ in range(assignments)], dtype=np.int64),
        np.array([rnd.uniform(-80, 0) for _ in range(assignments)]),
        [rnd.random() < 0.5 for _ in range(3)],
        np.array(sorted(rnd.sample(range(assignments), k)), dtype=np.int64),
        None if scores is None else (),
        scores,
        np.array([rnd.uniform(-1, 1) for _ in range(len(PERSON_TYPES))]),
    )


def _same_fit(got: Any, expected: Any) -> bool:
    """Every field equal; each array of the same dtype, shape, values and memory order."""
    import numpy as np

    if got is None or expected is None:
        return got is expected
    for name in got.__slots__:
        a, b = getattr(got, name), getattr(expected, name)
        if isinstance(b, np.ndarray):
            if not (isinstance(a, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                    and a.tobytes() == b.tobytes() and a.flags.c_contiguous == b.flags.c_contiguous
                    and a.flags.f_contiguous == b.flags.f_contiguous):  # fmt: skip
                return False
        elif a != b:
            return False
    return True


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.tuples(
                st.integers(0, 12), st.integers(1, 4), st.sampled_from(["none", "c", "view"])
            ),
        ),
        max_size=8,
    ),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_spilled_fits_in_columns_read_back_as_each_pickled_alone(
    shapes: list[tuple[int, int, str] | None], fortran: bool, rnd: random.Random
) -> None:
    """A partition's fits joined into one array a field for the spill (`_fit_columns`) read
    back (`_fits_of_columns`) as what pickling each fit alone gives: each array of the same
    dtype, shape, values and memory order, the other fields equal, analyses without a fit
    kept as None; fits whose arrays could not be joined so (a Fortran-ordered bag, another
    dtype) go whole."""
    import pickle

    import numpy as np

    fits = [None if shape is None else _fit(rnd, *shape) for shape in shapes]
    if fortran and fits and fits[0] is not None:
        fits[0] = _fit(rnd, 6, 3, "fortran")
    if fortran and len(fits) > 1 and fits[1] is not None:
        fits[1].log_score = fits[1].log_score.astype(np.float32)
    columns = engine._fit_columns(fits)
    expected = pickle.loads(pickle.dumps(fits, protocol=pickle.HIGHEST_PROTOCOL))
    got = engine._fits_of_columns(pickle.loads(pickle.dumps(columns, protocol=5)))
    assert len(got) == len(expected)
    assert all(_same_fit(a, b) for a, b in zip(got, expected, strict=True))
    present = [f for f in fits if f is not None]
    fortran_bag = any(f.bag_log_scores is not None and not f.bag_log_scores.flags.c_contiguous
                      and f.bag_log_scores.flags.f_contiguous for f in present)  # fmt: skip
    dtypes = {f.log_score.dtype for f in present}
    assert (columns.whole is None) == (bool(present) and not fortran_bag and len(dtypes) == 1)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(-90, 90), st.floats(-180, 180), st.floats(0.1, 1.0), st.floats(1, 5000)
        ),
        max_size=12,
    ),
    at=st.lists(st.integers(0, 11), max_size=8),
)
def test_slim_points_pickle_as_their_columns(
    rows: list[tuple[float, float, float, float]], at: list[int]
) -> None:
    """A slim analysis's points (`PointColumns`, from a person's `EvidenceColumns`) hold
    what np.stack of the four columns gives, and come back from a pickle as numpy's pickle
    of the array gives it (floats, shape, C order, writable) through their bytes; the
    slim exclusions come back as the one shared empty Counter."""
    import pickle

    import numpy as np

    from geoleak.extract.evidence_columns import EvidenceColumns, PointColumns

    evidence = EvidenceColumns(
        "p",
        [[Evidence(f"e{k}", "p", LatLon(lat, lon), EvidenceSource.GEOTAG, accuracy, weight=w)
          for k, (lat, lon, w, accuracy) in enumerate(rows)]],
    )  # fmt: skip
    picked = [k for k in at if k < len(rows)]
    for chosen in (None, picked):
        points = PointColumns(evidence, chosen)
        index = np.arange(len(rows)) if chosen is None else np.asarray(chosen, dtype=np.int64)
        stacked = np.stack([evidence.lat[index], evidence.lon[index], evidence.weight[index],
                            evidence.accuracy_m[index]], axis=1).reshape(-1, 4)  # fmt: skip
        assert points.columns.tobytes() == stacked.tobytes()
        assert points.columns.shape == stacked.shape and points.columns.flags.c_contiguous
        assert isinstance(points.__reduce__()[1][0], bytearray)  # as its bytes
        back = pickle.loads(pickle.dumps(points, protocol=pickle.HIGHEST_PROTOCOL))
        want = pickle.loads(pickle.dumps(points.columns, protocol=pickle.HIGHEST_PROTOCOL))
        assert back.columns.tobytes() == want.tobytes()
        assert back.columns.shape == want.shape and back.columns.dtype == want.dtype
        assert back.columns.flags.c_contiguous and back.columns.flags.writeable
        assert [p.position for p in back] == [p.position for p in points]
    loaded = pickle.loads(pickle.dumps(engine._NO_EXCLUSIONS, protocol=pickle.HIGHEST_PROTOCOL))
    assert loaded is engine._NO_EXCLUSIONS and loaded == Counter()


@settings(max_examples=50, deadline=None)
@given(
    posts=st.integers(0, 10**6),
    devices=st.dictionaries(st.text(max_size=4), st.integers(0, 99), max_size=3),
    hours=st.lists(st.integers(0, 50), min_size=24, max_size=24).map(tuple),
)
def test_a_persons_context_pickles_as_its_constructor_call(
    posts: int, devices: dict[str, int], hours: tuple[int, ...]
) -> None:
    """The spill's context (`PersonContext`) goes as its constructor call (the values the
    slotted dataclass's own pickling gave back: the same fields, types and order)."""
    import copyreg
    import pickle

    from geoleak.infer import PersonContext

    context = PersonContext(posts, devices, Counter(devices), hours)
    assert copyreg.dispatch_table[PersonContext](context) == (
        PersonContext, (posts, devices, Counter(devices), hours)
    )  # fmt: skip
    back = pickle.loads(pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == context and type(back.excluded) is Counter and type(back.devices) is dict
    assert list(back.devices) == list(devices)


@given(
    names=st.sets(st.text("abcé", min_size=1, max_size=4), min_size=1, max_size=7),
    others=st.lists(st.text("abcéz", min_size=0, max_size=4), max_size=5),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=200)
def test_a_sites_members_made_when_read_are_those_made_at_once(
    names: set[str], others: list[str], seed: int
) -> None:
    # `SiteIndex.for_people` hands pass 2 each site's members as rows made into candidates
    # when first read (`_MemberRows`): the same members in order, the same candidates as
    # `_site_members` makes at once, one object a member however often read, a candidate
    # swapped in read back as given, no member added.
    import numpy as np

    rng = random.Random(seed)
    people = tuple(sorted(names))
    rows = np.array(
        [(rng.uniform(-90, 90), rng.uniform(-180, 180), rng.random()) for _ in people]
    ).reshape(-1, 3)
    site = SharedSite("S1", LatLon(0.0, 0.0), 10.0, people, 4, 2)
    at_once = engine._site_members(site, rows.tolist())
    lazy = engine._MemberRows(people, rows)
    assert list(lazy) == list(at_once) == list(people) and len(lazy) == len(people)
    for name in [*others, *people]:
        assert (name in lazy) == (name in at_once)
        assert lazy.get(name) == at_once.get(name)
    first = lazy[people[-1]]
    assert all(lazy[people[-1]] is first for _ in range(2))
    assert list(lazy.values()) == list(at_once.values()) and dict(lazy.items()) == at_once
    own = Candidate(indices=[3], position=first.position, rms_m=2.0, score=first.score)
    lazy[people[-1]] = own
    assert lazy[people[-1]] is own and lazy.get(people[-1]) is own
    lazy[people[-1]] = first
    assert lazy[people[-1]] is first
    for name in others:
        if name not in at_once:
            with pytest.raises(KeyError):
                lazy[name] = own
            with pytest.raises(KeyError):
                lazy[name]
    assert list(lazy) == list(people)


@given(
    size=st.integers(1, 5),
    member=st.integers(0, 4),
    decoys=st.lists(st.sampled_from(["position", "lat", "lon", "score", "same"]), max_size=5),
    read_first=st.booleans(),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=200)
def test_swap_in_of_a_sites_rows_is_the_first_candidate_at_the_members_place(
    size: int, member: int, decoys: list[str], read_first: bool, seed: int
) -> None:
    # `_MemberRows.swap_in` (`_swap_in_full` without the slim copy made) puts in the same
    # candidate as the slim copy's position and score pick (the first of them), returns
    # what was there, and `restore` gives the member's candidate back as made from the row;
    # candidates that differ in the latitude, the longitude or the score alone are skipped.
    # Fails with a candidate matched on its position or its score only.
    import numpy as np

    rng = random.Random(seed)
    people = tuple(f"p{k}" for k in range(size))
    person = people[member % size]
    rows = np.array(
        [(rng.uniform(-89, 89), rng.uniform(-179, 179), rng.random()) for _ in people]
    ).reshape(-1, 3)
    lat, lon, score = rows[member % size].tolist()
    candidates = []
    for decoy in [*decoys, "same", "same"]:
        at = (
            lat + (decoy in ("position", "lat")) * 1e-9,
            lon + (decoy in ("position", "lon")) * 1e-9,
        )
        candidates.append(
            Candidate(indices=[len(candidates)], position=LatLon(*at), rms_m=1.0,
                      score=score + (decoy == "score") * 1e-12)
        )  # fmt: skip
    lazy = engine._MemberRows(people, rows)
    slim = lazy[person] if read_first else None
    expected = next(
        c
        for c in candidates
        if c.position == engine._member_candidate(lat, lon, score).position and c.score == score
    )
    before = lazy.swap_in(person, candidates)
    assert before is slim and lazy[person] is expected
    lazy.restore(person, before)
    if read_first:
        assert lazy[person] is slim
    assert lazy[person] == engine._member_candidate(lat, lon, score)


def _counted_by_replace(cand: Candidate) -> Candidate:
    """`engine._counted` as it was: every count asked for, then `replace`."""
    if cand.calendar is None:
        return cand
    for name in engine._PASS_TWO_COUNTS:
        cand.count(name)
    cand.n_weeks  # noqa: B018
    return replace(cand, calendar=None, day_counts=dict(cand.day_counts))


def test_the_spills_candidates_are_those_replace_made() -> None:
    # `_counted` copies a candidate whose counts are all known at once: every field (the
    # calendar left out, the counts a copy) as `replace` gave it, counts asked for where
    # some are not known (day sets assigned, counts dropped), travel candidates as they are.
    import copy
    from dataclasses import fields

    from geoleak.infer.places import analyse_people
    from geoleak.scenario import ScenarioConfig
    from geoleak.scenario.memory import scenario_evidence

    config = ScenarioConfig(people=12, seed=5, days=90)
    evidence = {person: ev for person, ev, _ in scenario_evidence(config)}
    params = InferenceParams()
    analyses = analyse_people([(p, evidence[p], Counter()) for p in sorted(evidence)], params)
    cands = [c for a in analyses for c in (*a.home_candidates, *a.work_candidates, *a.others)]
    assert len(cands) > 20
    rng = random.Random(3)
    for k, cand in enumerate(cands):
        if k % 3 == 1:  # a count not known: made from the calendar
            cand.day_counts.pop(rng.choice([*engine._PASS_TWO_COUNTS, "weeks"]), None)
        if k % 5 == 2:  # a day set assigned: counted from it
            cand.dates = set(cand.dates)
        theirs, ours = copy.deepcopy(cand), copy.deepcopy(cand)
        expected, got = _counted_by_replace(theirs), engine._counted(ours)
        for field in fields(Candidate):
            assert getattr(got, field.name) == getattr(expected, field.name), field.name
        assert got.day_counts is not ours.day_counts and ours.day_counts == theirs.day_counts
    travel = replace(cands[0], calendar=None)
    assert engine._counted(travel) is travel


def test_the_spill_made_in_place_pickles_as_the_copies() -> None:
    # `_spilled(..., in_place=True)` (pass 1 of a partition, whose analyses are not read
    # again) pickles to the bytes the copies pickle to: counts known or not, day sets
    # assigned, a base candidate that is a work candidate, a candidate that is also a
    # travel candidate (copied: the travel one keeps its calendar), and the fit given the
    # partition's shared structures (in place of its own list, not copied).
    import copy
    import pickle

    from geoleak.infer.places import analyse_people
    from geoleak.scenario import ScenarioConfig
    from geoleak.scenario.memory import scenario_evidence

    config = ScenarioConfig(people=12, seed=5, days=90)
    evidence = {person: ev for person, ev, _ in scenario_evidence(config)}
    params = InferenceParams()
    analyses = analyse_people([(p, evidence[p], Counter()) for p in sorted(evidence)], params)
    rng = random.Random(4)
    shared_base = travelled = 0
    shared_theirs: dict[Any, Any] = {}
    shared_ours: dict[Any, Any] = {}
    for k, analysis in enumerate(analyses):
        cands = [*analysis.home_candidates, *analysis.work_candidates, *analysis.others]
        for j, cand in enumerate(cands):
            if (j + k) % 3 == 1:
                cand.day_counts.pop(rng.choice([*engine._PASS_TWO_COUNTS, "weeks"]), None)
            if (j + k) % 5 == 2:
                cand.dates = set(cand.dates)
        if k % 2 and analysis.others:
            analysis.travel = [*analysis.travel, analysis.others[0]]
            travelled += 1
        shared_base += any(c in analysis.work_candidates for c in analysis.base_candidates)
        theirs, ours = copy.deepcopy(analysis), copy.deepcopy(analysis)
        spilled = engine._spilled(theirs, shared_theirs)
        expected = pickle.dumps(spilled, protocol=pickle.HIGHEST_PROTOCOL)
        got = engine._spilled(ours, shared_ours, in_place=True)
        assert pickle.dumps(got, protocol=pickle.HIGHEST_PROTOCOL) == expected
        if got.fit is not None and spilled.fit is not None:
            assert all(a is shared_ours[a] for a in got.fit.structures)
            assert got.fit.structures == spilled.fit.structures
    assert travelled > 2 and shared_base > 2
    assert shared_ours


def test_neighbouring_workplaces_keep_own_spots_through_the_store(tmp_path: Path) -> None:
    """Four people working 650 m from one point, none at another's workplace, written as a
    corpus: the store engine (members' places read from the site's rows, no candidates made)
    gives the bases the in-memory inference gives, each on the person's own spot, linked to
    the one site. High latitude, west of Greenwich."""
    from infer_helpers import year_of_life

    centre = LatLon(64.84, -147.72)
    rng = random.Random(5)
    works = {}
    lines = []
    for i, bearing in enumerate((0, 90, 180, 270)):
        work = destination(centre, bearing, 650)
        home = destination(work, rng.uniform(0, 360), rng.uniform(6_000, 12_000))
        works[f"n{i}"] = work
        for k, ev in enumerate(year_of_life(f"n{i}", home, work, seed=60 + i, weeks=30)):
            assert ev.time_utc is not None
            lines.append(json.dumps({
                "id": f"n{i}-{k}", "author": f"n{i}", "lat": ev.position.lat,
                "lon": ev.position.lon, "created_at": ev.time_utc.isoformat(),
            }))  # fmt: skip
    corpus = tmp_path / "posts.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    collected = collect_evidence([corpus], workers=1)
    model = LeakInference(workers=1).fit(collected.evidence, collected.context)
    EvidenceStore(tmp_path / "store", buckets=4).ingest([corpus], workers=1)
    profiles, sites = infer_store(EvidenceStore(tmp_path / "store"))
    assert len(sites) == 1 and len(sites[0].people) == 4
    assert [profile_to_json(p) for p in profiles] == [profile_to_json(p) for p in model.profiles_]
    for profile in profiles:
        base = profile.place(PlaceKind.BASE)
        assert base is not None and base.site_id == sites[0].site_id
        assert haversine_m(base.position, works[profile.person]) < 100


_FAULTS_SCRIPT = """
import resource, sys
import numpy as np
from geoleak import engine
if sys.argv[1] == "kept":
    assert engine._keep_freed_memory()
held = [None] * 40
start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):  # a partition's arrays, made and dropped: 40 of 480,000 bytes
    for k in range(40):
        held[k] = np.ones(60_000)
    for k in reversed(range(40)):
        held[k] = None
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start)
"""


@pytest.mark.skipif(
    not (getattr(os, "confstr", None) and (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")),
    reason="glibc's malloc only",
)  # fmt: skip
def test_a_partition_process_keeps_freed_memory_for_its_next_arrays() -> None:
    # glibc's malloc gave the memory of a partition's dropped arrays back to the system and
    # faulted it in again page by page for the next ones (197,000 page faults for pass 1
    # of the 500 k store's 64 partitions, ~10 % of its CPU in the kernel). A partition
    # process (`_partition_process`) keeps up to `PARTITION_TRIM_THRESHOLD` free.
    import subprocess
    import sys

    faults = {}
    for mode in ("default", "kept"):
        done = subprocess.run(
            [sys.executable, "-c", _FAULTS_SCRIPT, mode],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        faults[mode] = int(done.stdout)
    # 19 MB made ten times: ~4,700 pages each time given back, once kept
    assert faults["kept"] * 4 < faults["default"], faults
    assert engine._keep_freed_memory.__name__ in engine._partition_process.__code__.co_names


def _close_pairs_one_by_one(
    own: list[tuple[int, float, float]], halo: list[tuple[int, float, float]], eps_m: float
) -> set[tuple[int, int]]:
    """The close pairs as the site pass found them before: one own candidate at a time, its
    distance to every other candidate by `haversine_m_array`."""
    import numpy as np

    from geoleak.geometry import haversine_m_array

    everyone = own + halo
    lats = np.array([lat for _, lat, _ in everyone])
    lons = np.array([lon for _, _, lon in everyone])
    pairs = set()
    for k in range(len(own)):
        dist = haversine_m_array(lats, lons, lats[k], lons[k])
        pairs |= {
            (everyone[k][0], everyone[j][0])
            for j in range(len(everyone))
            if j != k and dist[j] <= eps_m
        }
    return pairs


_candidate_position = st.tuples(
    st.floats(-89.999, 89.999, allow_nan=False), st.floats(-180.0, 180.0, allow_nan=False)
)


@given(
    centres=st.lists(_candidate_position, min_size=1, max_size=4),
    around=st.lists(
        st.tuples(st.integers(0, 3), st.floats(0, 360), st.floats(0, 2.5)), min_size=1, max_size=40
    ),
    own_share=st.floats(0.1, 1.0),
    eps_m=st.sampled_from([30.0, 150.0, 1_000.0]),
)
@settings(max_examples=300)
def test_close_pairs_of_a_block_at_once_are_those_of_each_candidate(
    centres: list[tuple[float, float]],
    around: list[tuple[int, float, float]],
    own_share: float,
    eps_m: float,
) -> None:
    """`close_pairs_in_block` measures the block's pairs in neighbouring cubes at once: the
    same pairs as each own candidate measured against every candidate, at a hair either
    side of the radius, at the same position, near the poles and the antimeridian."""
    points = [destination(LatLon(*centres[k % len(centres)]), bearing, eps_m * scale)
              for k, bearing, scale in around]  # fmt: skip
    numbered = [(100 + 7 * n, p.lat, p.lon) for n, p in enumerate(points)]
    cut = max(1, round(own_share * len(numbered)))
    own, halo = numbered[:cut], numbered[cut:]
    got = engine.close_pairs_in_block(own, halo, eps_m)
    assert got.shape[1] == 2 and got.dtype.name == "int64"
    pairs = [tuple(pair) for pair in got.tolist()]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == _close_pairs_one_by_one(own, halo, eps_m)


def _groups_by_blocks(lats: Any, lons: Any, eps_m: float) -> list[list[int]]:
    """The site pass's groups as the blocks find them (`_Blocks`, `close_pairs_in_block`,
    `_UnionFind`): what a Dask run does, and what this process did before `_close_roots`."""
    blocks = engine._Blocks(lats, lons, eps_m)
    joined = engine._UnionFind(len(lats))
    for pairs in map(engine.close_pairs_in_block, blocks.own(), blocks.halo(),
                     [eps_m] * len(blocks)):  # fmt: skip
        joined.join(pairs.tolist())
    return list(joined.groups())


@given(
    centres=st.lists(_candidate_position, min_size=1, max_size=4),
    around=st.lists(
        st.tuples(st.integers(0, 3), st.floats(0, 360), st.floats(0, 3.0)), min_size=0, max_size=60
    ),
    eps_m=st.sampled_from([30.0, 150.0, 1_000.0]),
    chunk=st.sampled_from([1, 7, engine.CLOSE_PAIRS_PER_CHUNK]),
)
@settings(max_examples=300)
def test_close_roots_give_the_groups_of_the_blocks(
    centres: list[tuple[float, float]],
    around: list[tuple[int, float, float]],
    eps_m: float,
    chunk: int,
) -> None:
    """`_close_roots` (every pair in neighbouring cubes at once, measured both ways round)
    gives the groups the blocks give: chains a hair either side of the radius, points at
    one position, near the poles and across the antimeridian, and with the pairs measured
    a few at a time (chunks of 1 and 7 pairs, or half the candidates' count)."""
    import numpy as np

    points = [destination(LatLon(*centres[k % len(centres)]), bearing, eps_m * scale)
              for k, bearing, scale in around]  # fmt: skip
    lats = np.array([p.lat for p in points], dtype=np.float64)
    lons = np.array([p.lon for p in points], dtype=np.float64)
    with mock.patch.object(engine, "CLOSE_PAIRS_PER_CHUNK", chunk):
        roots = engine._close_roots(lats, lons, eps_m)
    assert roots is not None
    assert list(engine._groups_of_roots(roots)) == _groups_by_blocks(lats, lons, eps_m)


def test_close_roots_chains_and_far_pairs() -> None:
    """A chain of links each just inside the radius is one group whatever its order, a link
    just outside splits it, and a pair farther than a cube apart is never joined."""
    import numpy as np

    eps_m = 1_000.0
    start = LatLon(59.9, 179.99)  # the chain crosses the antimeridian eastwards
    chain = [start]
    for step in (0.999, 0.999, 1.001, 0.999):
        chain.append(destination(chain[-1], 90.0, eps_m * step))
    order = [3, 0, 4, 2, 1]
    lats = np.array([chain[k].lat for k in order])
    lons = np.array([chain[k].lon for k in order])
    groups = list(engine._groups_of_roots(engine._close_roots(lats, lons, eps_m)))
    # chain 0-1-2 (positions 1, 4, 3) and 3-4 (positions 0, 2)
    assert groups == [[0, 2], [1, 3, 4]] == _groups_by_blocks(lats, lons, eps_m)


def test_close_roots_leave_radii_too_small_to_pack_to_the_blocks() -> None:
    """Cubes of a few metres over the whole Earth do not fit one int64 key: `_close_roots`
    says so (None) and the site pass finds the groups by the blocks, the sites
    `find_sites` finds."""
    import numpy as np

    lats = np.array([0.0, 0.0, 0.00001, 45.0, -45.0, 89.0])
    lons = np.array([0.0, 179.0, 0.0, -90.0, 90.0, 10.0])
    assert engine._close_roots(lats, lons, 1.5) is None
    assert engine._close_roots(lats, lons, 1_000.0) is not None
    assert _groups_by_blocks(lats, lons, 1.5) == [[0, 2]]
    params = InferenceParams(site_eps_m=2.0)
    spots = [LatLon(0.0, 0.0), LatLon(0.0, 179.0), LatLon(-45.0, 90.0)]
    people = [_duty_person(f"p{k}{n}", [destination(spot, 120.0 * n, 0.5)])
              for k, spot in enumerate(spots) for n in range(3)]  # fmt: skip
    expected = [(site.people, site.position) for site, _ in find_sites(people, params)]
    got = [(site.people, site.position) for site, _ in find_sites_partitioned(people, params)]
    assert got == expected and len(got) == 3


@pytest.mark.parametrize("per_task", [1, 3, engine.GROUPS_PER_TASK])
def test_groups_of_a_task_labelled_at_once_give_each_groups_sites(
    per_task: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task's groups' candidates are labelled at once (`_spooled_group_sites`:
    `cluster_labels_of_people`), each group's labels as `find_sites` makes them alone: the
    same sites, members and odds as every group found on its own in this process, with
    tasks of one group, of a few and of `GROUPS_PER_TASK`; each site's shared spot is the
    task's (`SiteRows`), that of the site alone."""
    import numpy as np

    from geoleak.infer.places import analyse_people
    from geoleak.infer.sites import positions_share_a_spot
    from geoleak.scenario import ScenarioConfig
    from geoleak.scenario.memory import scenario_evidence
    from geoleak.scenario.model import PERSONA_SHARES

    config = ScenarioConfig(people=120, seed=3, days=150, **PERSONA_SHARES)
    evidence = {person: ev for person, ev, _ in scenario_evidence(config)}
    params = InferenceParams()
    analyses = analyse_people([(p, evidence[p], Counter()) for p in sorted(evidence)], params)
    parts = [engine._slim_bucket(analyses[k::3], len(analyses[k::3]), 0) for k in range(3)]
    (tmp_path / "alone").mkdir()
    (tmp_path / "tasks").mkdir()
    alone, alone_odds = engine._site_pass(parts, params, str(tmp_path / "alone"))
    monkeypatch.setattr(engine, "GROUPS_PER_TASK", per_task)
    tasks: list[int] = []

    spotted: list[bool] = []  # each task's sites' spots, theirs (`SiteRows`) as each alone

    def counted(function: Any, *iterables: Any) -> Any:
        for got in map(function, *iterables):
            tasks.append(len(got))
            for _, site_rows in (site for group in got for site in group):
                rows = site_rows.rows
                spot = positions_share_a_spot(rows[:, 0], rows[:, 1], params.site_spot_m)
                spotted.append(site_rows.shared == spot)
            yield got

    batched, batched_odds = engine._site_pass(
        parts, params, str(tmp_path / "tasks"), map_groups=counted
    )
    assert len(alone.sites) > 3 and max(tasks) == min(per_task, sum(tasks))
    assert batched.sites == alone.sites
    assert batched.members.tobytes() == alone.members.tobytes()
    assert batched_odds == alone_odds
    # each site's shared spot worked out in the tasks (`SiteRows`), as each site alone
    assert len(spotted) == len(alone.sites) and all(spotted)
    assert alone.spots is not None and batched.spots == alone.spots
    sizes = [len(site.people) for site in alone.sites]
    rows = np.split(alone.members, np.cumsum(sizes)[:-1])
    assert alone.spots[1] == [
        positions_share_a_spot(r[:, 0], r[:, 1], params.site_spot_m) for r in rows
    ]
