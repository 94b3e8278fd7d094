from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_helpers import FIXTURES

from geoleak.diagnostics import Diagnostics
from geoleak.ingest import dedupe, open_inputs
from geoleak.ingest.dedupe import (
    Deduper,
    DedupeStats,
    DigestSet,
    _key,
    _mark,
    _post_key,
    dedupe_posts,
    media_digest,
    utc_geotag_keys,
)
from geoleak.types import LatLon, Post


def test_takeout_album_copy_counted_once() -> None:
    diag, stats = Diagnostics(), DedupeStats()
    posts = list(dedupe_posts(open_inputs([FIXTURES / "takeout"], Diagnostics()), diag, stats))
    ids = [p.id for p in posts]
    assert "Photos from 2023/IMG_0001.jpg" in ids
    assert "Trip to Svalbard/IMG_0001.jpg" not in ids  # same bytes, same position
    assert stats.posts_dropped == 1
    assert stats.media_dropped == 1
    assert any("counted once" in w for w in diag.warnings)


def test_same_photo_through_two_exports(tmp_path: Path) -> None:
    photo = FIXTURES / "takeout/Takeout/Google Photos/Photos from 2023/IMG_0001.jpg"
    folder = tmp_path / "phone"
    folder.mkdir()
    (folder / "DCIM_0001.jpg").write_bytes(photo.read_bytes())
    # one person's two exports (named as one person with --author)
    posts = list(
        dedupe_posts(open_inputs([FIXTURES / "takeout", folder], Diagnostics(), author="me"))
    )
    assert not any(p.id == "DCIM_0001.jpg" for p in posts)


def test_text_kept_when_media_repeats(tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"\xff\xd8 fictional jpeg")
    copy = tmp_path / "b.jpg"
    copy.write_bytes(photo.read_bytes())
    pos = LatLon(35.0, -78.0)
    first = Post(id="1", author="a", geotag=pos, media=(str(photo),))
    second = Post(
        id="2", author="a", geotag=pos, text="checked in at Fort Fictional", media=(str(copy),)
    )
    out = list(dedupe_posts([first, second]))
    assert [p.id for p in out] == ["1", "2"]
    assert out[1].media == ()
    assert out[1].geotag is None
    assert out[1].text


def test_identical_posts_without_media() -> None:
    pos = LatLon(78.2, 15.6)
    a = Post(id="1", author="a", geotag=pos)
    b = Post(id="2", author="a", geotag=pos)
    c = Post(id="3", author="b", geotag=pos)
    assert [p.id for p in dedupe_posts([a, b, c])] == ["1", "3"]


def test_media_digest_differs_and_missing(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"x" * 3_000_000)
    b.write_bytes(b"x" * 2_999_999 + b"y")  # differs in the last byte only
    c = tmp_path / "c"
    c.write_bytes(b"y" + b"x" * 2_999_999)  # in the first byte only
    assert media_digest(a) != media_digest(c)
    assert media_digest(a) != media_digest(b)
    assert media_digest(tmp_path / "missing") is None


def test_the_same_photo_of_two_people_is_kept_for_both(tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"\xff\xd8 fictional jpeg")
    pos = LatLon(35.0, -78.0)
    first = Post(id="1", author="alice", geotag=pos, media=(str(photo),))
    reshare = Post(id="2", author="bob", geotag=pos, media=(str(photo),))
    out = list(dedupe_posts([first, reshare]))
    assert [p.media for p in out] == [(str(photo),), (str(photo),)]


def test_digests_come_from_the_caller_so_files_are_read_once() -> None:
    # The pipeline's workers hash each file with its metadata read; dedupe only looks up.
    digests = {"/nowhere/a.jpg": "d1", "/nowhere/b.jpg": "d1", "/nowhere/c.jpg": None}
    deduper = Deduper(digest_of=digests.get)
    pos = LatLon(35.0, -78.0)
    posts = [
        Post(id="1", author="a", geotag=pos, media=("/nowhere/a.jpg",)),
        Post(id="2", author="a", geotag=pos, media=("/nowhere/b.jpg", "/nowhere/c.jpg")),
    ]
    out = list(deduper.filter(posts))
    assert [p.media for p in out] == [("/nowhere/a.jpg",), ("/nowhere/c.jpg",)]
    assert deduper.stats.media_dropped == 1


def test_repeated_posts_are_remembered_by_digest_not_text() -> None:
    deduper = Deduper()
    text = "a long caption " * 1000
    pos = LatLon(-41.3, 174.8)
    posts = [Post(id=str(i), author="a", geotag=pos, text=text) for i in range(3)]
    assert [p.id for p in deduper.filter(posts)] == ["0"]
    assert len(deduper._seen_posts) == 1  # one 64-bit digest; the text is not kept
    assert all(isinstance(key, int) for key in deduper._seen_posts._recent)


def test_the_summary_says_how_many_duplicates_were_merged() -> None:
    from geoleak.pipeline import collect_evidence

    found = collect_evidence([FIXTURES / "takeout"], workers=1, geocoder=None)
    assert (found.stats.duplicate_media, found.stats.duplicate_posts) == (1, 1)
    assert (
        "duplicates merged: 1 media file already read under another name or post, "
        "1 repeated post (the same person's copies count once)"
    ) in found.stats.summary_lines()
    assert found.stats.to_json()["duplicate_media"] == 1


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=300),
       st.integers(min_value=1, max_value=40))  # fmt: skip
def test_digest_set_is_a_set_across_spills(keys: list[int], buffer: int) -> None:
    digests = DigestSet(buffer=buffer)
    seen: set[int] = set()
    for key in keys:
        assert digests.add(key) == (key not in seen)
        seen.add(key)
        assert key in digests
    assert len(digests) == len(seen)
    assert all(k in digests for k in seen)
    assert not any(k + 1 in digests for k in seen if k + 1 not in seen and k + 1 < 2**63)


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(-(2**30), 2**30)), max_size=400),
       st.integers(min_value=1, max_value=40))  # fmt: skip
def test_digest_set_tells_keys_that_share_a_slot(pairs: list[tuple[int, int]], buffer: int) -> None:
    # A few slots, many keys in each (slot + a multiple of every slot count): new keys
    # whose slot is marked are searched for, members are found whatever their slot.
    digests = DigestSet(buffer=buffer)
    seen: set[int] = set()
    for slot, high in pairs:
        key = slot + high * 2**32
        assert digests.add(key) == (key not in seen)
        seen.add(key)
    assert len(digests) == len(seen)
    assert all(k in digests for k in seen)
    assert not any(k + 2**32 in digests for k in seen if k + 2**32 not in seen)


@given(st.lists(st.lists(st.tuples(st.integers(0, 40), st.integers(-(2**30), 2**30)),
                         max_size=60), max_size=8),
       st.integers(min_value=1, max_value=40))  # fmt: skip
def test_adding_many_at_once_adds_each_in_order(
    runs: list[list[tuple[int, int]]], buffer: int
) -> None:
    """`add_many` (a run of plain posts' keys) answers what `add` answers key by key,
    spills and keys that share a slot included."""
    one, many = DigestSet(buffer=buffer), DigestSet(buffer=buffer)
    for run in runs:
        keys = [slot + high * 2**32 for slot, high in run]
        assert many.add_many(keys) == [one.add(key) for key in keys]
        assert len(one) == len(many)
        assert all(key in many for key in keys)


@pytest.mark.parametrize("members", [0, 40])
def test_a_run_that_repeats_a_key_of_its_own_is_added_key_by_key(members: int) -> None:
    """A run of new keys, one of them twice, answers False for the second (the set's
    growth shows the repeat; the set is as it was before the run is added key by key),
    before and after a spill; its keys are then members, once each."""
    digests = DigestSet(buffer=16)
    for key in range(1_000, 1_000 + members):
        assert digests.add(key)
    assert (digests._sorted is not None) == (members > 0)
    run = [7, 3 << 40, -5, 11, 13, 3 << 40, 17, 19, 23]
    assert digests.add_many(run) == [True] * 5 + [False] + [True] * 3
    assert len(digests) == members + 8
    assert all(key in digests for key in run)
    assert digests.add_many(run[:8]) == [False] * 8
    assert digests.add_many([29, 31, 37, 41, 43, 47, 53, 59]) == [True] * 8
    assert len(digests) == members + 16


def test_once_spilled_a_run_finds_the_newest_members_by_their_slots() -> None:
    """Once spilled, a run is not checked against the newest members as a whole: a key of
    it whose slots are clear is new; one whose slots are marked is looked for, and a
    newest member (not yet in the sorted arrays) is found there."""
    digests = DigestSet(buffer=64)
    for key in range(100):
        assert digests.add(key)
    assert digests._sorted is not None
    newest = [1_000 + 7 * k for k in range(10)]
    assert digests.add_many(newest) == [True] * 10
    assert set(newest) <= digests._recent
    checked: list[int] = []

    class Newest(set[int]):
        def isdisjoint(self, other: Any) -> bool:
            checked.append(1)
            return super().isdisjoint(other)

    digests._recent = Newest(digests._recent)
    run = [2_000 + k for k in range(9)] + [newest[3]]
    assert digests.add_many(run) == [True] * 9 + [False]
    assert digests.add_many([50, *range(3_000, 3_009)]) == [False] + [True] * 9
    assert len(digests) == 100 + 10 + 9 + 9
    assert checked == []


def test_plain_post_keys_are_the_keys_of_their_posts() -> None:
    """A post read in columns (author, UTC seconds, lat, lon) is keyed as the same post
    read as a Post, so either is the other's repeat; the seconds as a shared or a fresh int."""
    moment = datetime(2025, 10, 26, 1, 30, 17, tzinfo=timezone.utc)
    seconds = int(moment.timestamp())
    where = LatLon(78.2232, -179.99)
    post = Post("p", "a", created_at=moment, geotag=where)
    (key,) = utc_geotag_keys(["a"], [seconds], [where.lat], [where.lon])
    assert key == _post_key(post) == _key("a", moment, where, None, None)
    held = [seconds * 1]
    assert utc_geotag_keys(["a"], held, [78.2232], [-179.99]) == [key]
    deduper = Deduper()
    assert deduper.check_keys([key, key]) == [True, False]
    assert deduper.check(post) is None
    assert deduper.stats.posts_dropped == 2


_near_half = st.builds(  # halves of the sixth decimal and next to them: ties, near-ties
    lambda n, d: (n + 0.5) / 1e6 + d,
    st.integers(-180_000_000, 180_000_000),
    st.sampled_from([0.0, 1e-13, -1e-13, 5e-15]),
)
_degrees = st.one_of(
    st.floats(-180, 180),
    _near_half,
    st.sampled_from([0.0, -0.0, -1e-7, 4e-7, -5e-7, 180.0, -179.9999995, 1e300]),
)


@given(st.lists(st.tuples(st.text(max_size=4), st.integers(-(2**34), 2**35), _degrees, _degrees),
                max_size=40))  # fmt: skip
def test_keys_made_in_columns_are_each_posts_key(
    posts: list[tuple[str, int, float, float]],
) -> None:
    """`utc_geotag_keys` (rounding to 6 decimals in numpy) gives each post the key `_key`
    gives it alone: the same position to 6 decimals, bit for bit (-0.0 is not 0.0)."""
    keys = utc_geotag_keys([p[0] for p in posts], [p[1] for p in posts],
                           [p[2] for p in posts], [p[3] for p in posts])  # fmt: skip
    _assert_each_posts_key(keys, posts)


def _assert_each_posts_key(keys: list[bytes], posts: list[tuple[str, int, float, float]]) -> None:
    """Each key is the one `_key` gives its post (author, UTC seconds, lat, lon) alone."""
    for key, (author, seconds, lat, lon) in zip(keys, posts, strict=True):
        moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds)
        assert key == _key(
            author, moment, cast("LatLon", SimpleNamespace(lat=lat, lon=lon)), None, None
        )


@given(st.lists(st.tuples(st.sampled_from(["a", "bb", "é", "", "\U0001f600x", "a\x00"]),
                          st.integers(-(2**34), 2**35), _degrees, _degrees),
                max_size=40),
       st.sampled_from([1, 3, 1000]))  # fmt: skip
def test_keys_made_as_records_of_each_author_length_are_each_posts_key(
    posts: list[tuple[str, int, float, float]], per_length: int
) -> None:
    """`utc_geotag_keys` with the rows of each author length made as whole records (a
    length's group at least `per_length` rows, else the tails joined to the authors' bytes)
    gives each post the key `_key` gives it alone: authors of different lengths, an empty
    one, one ending in a zero byte."""
    with patch.object(dedupe, "_KEYS_PER_LENGTH", per_length):
        keys = utc_geotag_keys([p[0] for p in posts], [p[1] for p in posts],
                               [p[2] for p in posts], [p[3] for p in posts])  # fmt: skip
    _assert_each_posts_key(keys, posts)


def test_posts_keyed_apart_stay_apart() -> None:
    """Keys in columns and marshalled keys: a post that differs in its time's offset, its
    text or the sign of a zero is not a repeat."""
    utc = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    plus_one = utc.astimezone(timezone(timedelta(hours=1)))
    where = LatLon(-0.0000001, 10.0)
    (key,) = utc_geotag_keys(["a"], [int(utc.timestamp())], [where.lat], [where.lon])
    assert key == _key("a", utc.astimezone(timezone(timedelta(0))), where, None, None)
    assert len({key, _key("a", plus_one, where, None, None), _key("a", utc, where, "", None),
                _key("a", utc, where, None, "x"), _key("a", utc, LatLon(1e-7, 10.0), None, None),
                _key("b", utc, where, None, None)}) == 6  # fmt: skip


def test_digest_set_spills_without_copying_every_member() -> None:
    # 8 bytes a member (and the slot bits), and a spill needs only about 1/256 of them
    # again on top: merging into one array copied every member (and sorted with a
    # buffer) at each spill, so the peak was more than twice the members' bytes.
    import random
    import tracemalloc

    digests = DigestSet(buffer=1_000)
    rng = random.Random(5)
    keys = [rng.getrandbits(64) - 2**63 for _ in range(200_000)]
    for key in keys[:190_000]:
        digests.add(key)
    tracemalloc.start()
    try:
        for key in keys[190_000:]:
            digests.add(key)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(digests) == 200_000 and all(k in digests for k in keys[::997])
    # (the merged arrays are all new here: what the spills held for a moment on top is
    # the peak less what is held at the end, about 0.1 of the members' bytes)
    assert peak - held < 0.25 * 8 * 190_000


def test_digest_set_rebuilds_its_slot_bits_in_place() -> None:
    # When the members outgrow the slot bits, the new map is built in place: one map in
    # memory at a time. (A numpy map copied to bytes and then to a bytearray, beside the
    # old map, held 3.5 maps at once: ~110 MiB at 10 M members, in every ingest process.)
    import random
    import tracemalloc

    digests = DigestSet(buffer=1_000)
    rng = random.Random(7)
    keys = [rng.getrandbits(64) - 2**63 for _ in range(263_000)]
    for key in keys[:262_000]:  # 16 slots a member: 2^22 slots (512 KiB) until 262,144
        digests.add(key)
    tracemalloc.start()
    try:
        for key in keys[262_000:]:  # the spill at 263,000 rebuilds them: 2^23 slots
            digests.add(key)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(digests._bits) == 1 << 20
    assert len(digests) == 263_000 and all(k in digests for k in keys[::991])
    assert not any(rng.getrandbits(64) - 2**63 in digests for _ in range(1_000))
    # (held: the new map and the merged arrays, made after tracemalloc started; on top of
    # them the spill needs a few per cent of the members' bytes, not two maps more)
    assert peak - held < 0.5 * (1 << 20)


def test_repeats_far_apart_are_found_after_the_digests_spill(tmp_path: Path) -> None:
    from geoleak.ingest.jsonl import JsonlReader

    lines = [
        {"id": f"p{i}", "author": f"u{i % 7}", "lat": 1.0 + i * 1e-4, "lon": 2.0}
        for i in range(3000)
    ]
    lines += [{**lines[5], "id": "again"}, {**lines[10], "author": "u3"}]
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    diag = Diagnostics()
    deduper = Deduper()
    deduper._seen_posts.buffer = 100
    posts = list(JsonlReader().read(path, diag))
    assert len(posts) == 3001 and "duplicate post id 'p10'" in diag.warnings[0]
    kept = list(deduper.filter(posts))
    assert len(kept) == 3000 and deduper.stats.posts_dropped == 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=300),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40),
    st.sampled_from([4, 16, 1 << 16]),
)
def test_contains_many_answers_as_in_for_each_key(
    members: list[int], others: list[int], buffer: int
) -> None:
    """`contains_many` gives `key in` of each key, before and after spills (members in
    the newest set and in the sorted arrays, keys whose slot another member marked)."""
    digests = DigestSet(buffer=buffer)
    for key in members:
        digests.add(key)
    # keys that share a member's slot but are not members: the slot bits say "maybe"
    near = [key ^ (1 << 62) for key in members[:20]]
    keys = members[::3] + others + near
    assert digests.contains_many(keys) == [key in digests for key in keys]
    assert digests.contains_many(keys) == [key in set(members) for key in keys]


def test_a_key_with_a_clear_second_slot_is_new_without_a_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each member marks two slots (its digest's low bits and its bits from 32 up): a key
    that shares a member's first slot but not its second is new without searching the
    sorted arrays, one by one (`add`, `in`) and in runs (`add_many`, `contains_many`),
    unless other members marked its second slot (a few per cent); a key with both slots
    marked is searched for, and a member is found."""
    import random

    rng = random.Random(3)
    members = [rng.getrandbits(64) - 2**63 for _ in range(5_000)]
    digests = DigestSet(buffer=1_000)
    for key in members:
        digests.add(key)
    searched: list[int] = []
    search = DigestSet._in_sorted

    def counted(self: DigestSet, key: int) -> bool:
        searched.append(key)
        return search(self, key)

    monkeypatch.setattr(DigestSet, "_in_sorted", counted)
    mask = digests._mask
    assert mask >= 1 << 16
    # the same low 32 bits (first slot), another second slot (bit 33 flipped)
    apart = [key ^ (1 << 33) for key in members[:400]]
    assert not any(key in digests for key in apart)
    assert 0 < len(searched) < 0.2 * len(apart)  # (one slot a member: every one searched)
    by_one = list(searched)
    assert digests.contains_many(apart) == [False] * len(apart) and searched == by_one * 2
    twin = members[0] ^ (1 << 60)  # both slots a member's (bit 60 is in neither)
    assert twin not in digests and searched[-1] == twin
    assert members[1] in digests and searched[-1] == members[1]
    searched.clear()
    assert digests.add_many(apart[:200]) == [True] * 200
    assert all(digests.add(key) for key in apart[200:])
    assert searched == by_one


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 7)), max_size=120),
       st.binary(min_size=16, max_size=16))  # fmt: skip
def test_marks_set_by_assignments_are_ufunc_at_s(
    marks: list[tuple[int, int]], start: bytes
) -> None:
    """`_mark` sets every mark, bytes listed many times included (one fancy assignment
    keeps only a byte's last listing: passes until none is lost), as
    `np.bitwise_or.at` does."""
    import numpy as np

    at = np.array([byte for byte, _ in marks], dtype=np.int64)
    bits = np.array([1 << bit for _, bit in marks], dtype=np.uint8)
    expected = np.frombuffer(start, dtype=np.uint8).copy()
    np.bitwise_or.at(expected, at, bits)
    got = np.frombuffer(start, dtype=np.uint8).copy()
    _mark(got, at, bits)
    assert got.tobytes() == expected.tobytes()
    # the same from the caller's read of the bytes (`add_many` reads them to check marks)
    again = np.frombuffer(start, dtype=np.uint8).copy()
    _mark(again, at, bits, again[at])
    assert again.tobytes() == expected.tobytes()


def test_two_identical_files_of_one_post_are_said_so() -> None:
    """Two media entries of one post holding the same bytes (an export's two copies): the
    warning says they repeat each other in that post, not that the post's file was
    'already read via' the post itself."""
    digests = {"/nowhere/a.jpg": "d1", "/nowhere/b.jpg": "d1", "/nowhere/c.jpg": "d1"}
    diag = Diagnostics()
    deduper = Deduper(diag, digest_of=digests.get)
    post = Post(
        id="1", author="a", media=("/nowhere/a.jpg", "/nowhere/b.jpg"), origin="p.json: item 0"
    )
    [kept] = deduper.filter([post])
    assert kept.media == ("/nowhere/a.jpg",)
    assert diag.warnings == [
        "p.json: item 0: 1 media file repeats another of the same post (identical content); "
        "counted once"
    ]
    later = Post(id="2", author="a", media=("/nowhere/c.jpg",), origin="p.json: item 1")
    assert list(deduper.filter([later])) == []
    assert diag.warnings[-1] == (
        "p.json: item 1: 1 media file(s) already read via p.json: item 0; counted once"
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3_000), min_size=1, max_size=40), max_size=60),
       st.integers(min_value=2, max_value=24))  # fmt: skip
def test_young_members_and_the_parts_hold_every_member_once(
    runs: list[list[int]], buffer: int
) -> None:
    # Spills join the young members; every `_YOUNG_SPILLS` spills' worth the parts take
    # them. A member is in one of them, each sorted, and is found wherever it is (the
    # young members are searched first, then its part). While the parts hold fewer than
    # `_YOUNG_SPILLS` spills' worth, spills go straight into them (no young members).
    import numpy as np

    digests = DigestSet(buffer=buffer)
    seen: set[int] = set()
    for run in runs:
        keys = [(k * 0x9E3779B97F4A7C15) % 2**64 - 2**63 for k in run]  # (spread over parts)
        expected = []
        for key in keys:
            expected.append(key not in seen)
            seen.add(key)
        assert digests.add_many(keys) == expected
        if digests._sorted is not None:
            held = [*digests._sorted, digests._young]
            assert all((part[1:] > part[:-1]).all() for part in held)
            spilled = np.concatenate(held)
            assert len(spilled) == digests._spilled == len(set(spilled.tolist()))
            assert len(digests._young) < dedupe._YOUNG_SPILLS * buffer
            if len(spilled) - len(digests._young) < dedupe._YOUNG_SPILLS * buffer:
                assert len(digests._young) == 0
            assert set(spilled.tolist()) | digests._recent == seen
        assert digests.contains_many(keys + [key ^ 1 for key in keys]) == [True] * len(keys) + [
            key ^ 1 in seen for key in keys
        ]
    assert len(digests) == len(seen)


def test_small_sets_spill_into_the_parts_and_later_ones_into_young_members() -> None:
    # 100 members a spill: the first 8 spills go straight into the parts (copying them
    # costs no more than the young members would), later ones join the young members.
    digests = DigestSet(buffer=100)
    for run in range(7):
        digests.add_many(list(range(run * 100, run * 100 + 100)))
    assert digests._spilled == 700 and len(digests._young) == 0
    digests.add_many(list(range(700, 800)))  # the parts now hold 8 spills' worth
    digests.add_many(list(range(800, 900)))
    assert len(digests._young) == 100
    assert sum(map(len, cast("list[Any]", digests._sorted))) == 800
    assert digests.add_many(list(range(850, 950))) == [False] * 50 + [True] * 50
