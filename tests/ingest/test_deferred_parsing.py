"""Lines parsed where their author's posts are used (`deferred_parsing`): the reader only
decides which lines are skipped and which ids repeat; `parse_unparsed` then gives the
Post and the warnings that reading the line in full gives."""

from __future__ import annotations

import json
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest import jsonl
from geoleak.ingest.jsonl import (
    JsonlReader,
    LineError,
    UnparsedPost,
    deferred_parsing,
    line_identity,
    parse_post,
    parse_unparsed,
)

TIMES = st.sampled_from([
    "2025-01-08T15:42:31Z", "2025-01-08T15:42:31z", " 2025-01-08T15:42:31+02:00 ",
    "2025-01-08T15:42:31", "2025-01-08", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00", "yesterday", "", "2025-13-01T00:00:00Z",
])  # fmt: skip
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=3),
    TIMES, st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)  # fmt: skip
LINES = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"id": VALUES, "author": VALUES, "created_at": VALUES, "text": VALUES,
                      "lat": VALUES, "lon": VALUES, "media": VALUES, "place": VALUES},
    ),
    VALUES,
)  # fmt: skip


def _outcome(call: Any) -> tuple[str, object]:
    try:
        return "kept", call()
    except (LineError, ValueError) as exc:
        return "skipped", str(exc)


@settings(max_examples=400, deadline=None)
@given(LINES)
def test_line_identity_skips_exactly_the_lines_parse_post_skips(obj: Any) -> None:
    identity = _outcome(lambda: line_identity(obj))
    full = _outcome(lambda: parse_post(obj, where="c.jsonl:1", root=Path("."), diag=Diagnostics()))
    assert identity[0] == full[0], (identity, full)
    if full[0] == "skipped":
        assert identity[1] == full[1]
    else:
        post = full[1]
        assert identity[1] == (post.id, post.author)  # type: ignore[attr-defined]


# Strings of the "2025-04-13T05:11:00Z" shape `_time_usable` takes without the general
# steps, and near misses: other characters ISO 8601 uses in every place, spaces around.
_ISO_CHARS = "0123456789" * 3 + "-:T+.,W Zz\u0660\u00a0"
_Z_SHAPED = st.one_of(
    st.datetimes().map(lambda t: t.isoformat(timespec="seconds") + "Z"),
    st.datetimes().map(lambda t: t.isoformat(timespec="seconds")[:19] + "z"),
    st.text(_ISO_CHARS, min_size=19, max_size=19).map(lambda t: t[:10] + "T" + t[11:] + "Z"),
    st.text(_ISO_CHARS, min_size=18, max_size=22),
    st.tuples(
        st.datetimes(), st.sampled_from(["T", " ", "t"]), st.sampled_from(["Z", "z", " "])
    ).map(lambda d: d[0].isoformat(sep=d[1], timespec="seconds") + d[2]),
)


@settings(max_examples=1500, deadline=None)
@given(_Z_SHAPED)
@example("2025-04-13T05:11:00Z")
@example("2025-02-29T05:11:00Z")
@example("2025-04-13T05:11:60Z")
@example("2025-04-13T24:00:00Z")
@example("0000-01-01T00:00:00Z")
@example("2025-04-13T05:11+01Z")
@example("2025-W15-1T05:11:00Z")
@example("20250413T051100.5Z")
@example(" 2025-04-13T05:11:0Z")
@example("2025-04-13T05:11:00\u00a0")
def test_the_reader_takes_a_time_exactly_when_parse_post_does(value: str) -> None:
    try:
        jsonl._as_utc(jsonl._iso_as_written(value))
    except LineError:
        usable = False
    else:
        usable = True
    assert jsonl._time_usable(value) == usable


def _corpus(tmp_path: Path) -> Path:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.jpg").write_bytes(b"not a jpeg")
    lines = [
        {
            "id": "1",
            "author": "ann",
            "created_at": "2025-01-08T15:42:31Z",
            "lat": 59.9,
            "lon": 10.7,
        },
        {"id": 2, "author": "bo", "created_at": "2025-01-08T15:42:31", "text": "hi"},
        {
            "id": "3",
            "author": "ann",
            "lat": 95.0,
            "lon": 10.0,
            "media": ["media/a.jpg", "/etc/passwd"],
        },
        {"id": "1", "author": "bo"},  # duplicate id: skipped by the reader
        {"id": "4", "author": "ann", "created_at": "0001-01-01T00:00:00+01:00"},
        {"id": "5", "author": "ann", "place": {"name": "X", "lat": 1}, "x-extra": [1]},
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n{bad\n")
    return path


def test_deferred_lines_parse_to_the_posts_and_warnings_of_a_full_read(tmp_path: Path) -> None:
    path = _corpus(tmp_path)
    for author in (None, "someone"):
        full_diag = Diagnostics()
        full = list(JsonlReader().read(path, full_diag, author=author))
        read_diag, line_diag = Diagnostics(), Diagnostics()
        with deferred_parsing():
            unparsed = list(JsonlReader().read(path, read_diag, author=author))
        assert all(type(p) is UnparsedPost for p in unparsed)
        guards: dict[str, Any] = {}
        parsed = [parse_unparsed(p.as_line(), line_diag, guards) for p in unparsed]
        assert parsed == full
        assert [dict(p.extra) for p in parsed if p] == [dict(p.extra) for p in full]
        assert [p.author for p in unparsed] == [p.author for p in full]
        # Skipped lines and repeated ids are reported as the file is read; the rest with
        # the line, in the same words.
        assert sorted(read_diag.warnings + line_diag.warnings) == sorted(full_diag.warnings)
        assert any("c.jsonl:4: duplicate post id '1'" in w for w in read_diag.warnings)
        assert any("c.jsonl:5: created_at" in w and "out of range" in w for w in read_diag.warnings)
        assert any("c.jsonl:7: not valid JSON" in w for w in read_diag.warnings)
        assert any("no UTC offset" in w for w in line_diag.warnings)
        assert any("/etc/passwd" in w for w in line_diag.warnings)
    # outside deferred_parsing the reader parses as before
    assert all(type(p) is not UnparsedPost for p in JsonlReader().read(path, Diagnostics()))


# Lines for the reader's fast path (`_PlainLine`, decoded by msgspec) and near misses:
# objects written key by key, so keys repeat, unknown keys come in, and values are any
# JSON (or not: NaN, numbers past a float's range, 25 digits, bad escapes).
_RAW_VALUES = st.one_of(
    VALUES.map(json.dumps),
    st.sampled_from([
        "1e400", "-2e308", "9" * 25, "9" * 19, "1.5e308", "-0.0", "1E5", "01", "1.", "NaN",
        "true", '"\\ud800"', '"\\u0000"', '""', '"a"', "[]", '["m/a.jpg", 2]', '["m/a.jpg"]',
        "[[[[[[[[]]]]]]]]", '{"name": "x"}', "null",
        # places: the shape `_PlainPlace` takes, and near misses it leaves to orjson
        '{"name": "x", "lat": 1.5, "lon": 2}', '{"name": "x", "lat": 1e400, "lon": 2}',
        '{"bbox": [1, 2, 3.5, 4]}', '{"bbox": [1, [2]]}', '{"name": "\\ud800"}',
        '{"name": null, "lat": null}', '{"name": "x", "name": 2}', '{"centre": 1}',
        '{"name": "x", "bbox": [1, 2, 3, "4"]}', "{}", '{"lat": ' + "9" * 25 + "}",
        '{"name": "x", "bbox": [' + "[" * 1100 + "]" * 1100 + "]}",
    ]),
)  # fmt: skip
_KEYS = st.sampled_from(
    ["id", "author", "created_at", "text", "lat", "lon", "media", "place", "x", "ID"]
)
_RAW_LINES = st.one_of(
    st.lists(st.tuples(_KEYS, _RAW_VALUES), max_size=7).map(
        lambda pairs: "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}"
    ),
    st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["ann", "bo", ""]), TIMES).map(
        lambda t: json.dumps({"id": t[0], "author": t[1], "created_at": t[2], "lat": 1.5, "lon": 2})
    ),
    st.text(max_size=12),
)


def _read_deferred(path: Path, author: str | None) -> tuple[list[object], list[str]]:
    diag = Diagnostics()
    with deferred_parsing():
        posts = [tuple(p) for p in JsonlReader().read(path, diag, author=author)]
    return posts, diag.warnings


@settings(max_examples=600, deadline=None)
@given(st.lists(_RAW_LINES, min_size=1, max_size=6), st.sampled_from([None, "someone"]))
@example(['{"id": "a", "id": "b", "author": "x"}', '{"id": "b", "author": "y"}'], None)
@example(['{"id": "a", "author": "x", "lat": 1e400}'], None)
@example(['{"id": "a", "author": "x", "media": ["m/a.jpg", 2]}'], None)
@example(['{"id": "a", "author": "x", "created_at": "2025-04-13T05:11:60Z"}'], None)
def test_the_fast_path_reads_every_line_as_the_general_one(
    lines: list[str], author: str | None
) -> None:
    """The same lines yielded (author, origin, line, folder, renamed, id, media entries)
    and the same warnings in the same order, with the fast path and without it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        fast = _read_deferred(path, author)
        with mock.patch.object(jsonl, "_decode_plain", side_effect=msgspec.DecodeError):
            general = _read_deferred(path, author)
    assert fast == general


# Lines read in runs (`deferred_parsing(runs=...)`, what the pipeline's main process uses):
# plain lines of a few people, with repeated ids, bad lines of every kind, blank lines,
# CRLF and lone CR line ends, and lines that only decode as one when joined with others.
def _plain(k: int, person: str = "ann", when: str = "2025-01-08T15:42:31Z") -> str:
    return json.dumps({"id": f"p{k}", "author": person, "created_at": when, "lat": 1.5, "lon": 2.5})


_RUN_LINES = st.one_of(
    st.builds(_plain, st.integers(0, 40), st.sampled_from(["ann", "bo", "cy"])),
    st.builds(_plain, st.integers(0, 40), st.just("ann"),
              st.sampled_from(["2024-02-29T10:00:00Z", "2025-02-29T10:00:00Z", "0000-01-01T00:00:00Z",
                               "2025-01-08T15:42:60Z", "2025-01-08T15:42:31", "2025-01-08T15:42:31+01:00"])),
    _RAW_LINES,
    st.sampled_from([
        "", "  ", "\t", '{"id": "j", "author": "x", "media": ["a"', '"b"], "lat": 1}',
        '{"id": "k", "author": "x"}, {"id": "l", "author": "y"}', '{"id": "m", "author": "x", "text": "',
        '{"id": "k", "author": "x"}],[{"id": "l", "author": "y"}', "],[",
        '"}', "\ufeff" + _plain(1), " " + _plain(2), _plain(3) + " ", _plain(4) + "\x0c",
        json.dumps({"id": "n", "author": "x", "media": "a.jpg"}),
        json.dumps({"id": "o", "author": "x", "media": ["a.jpg", "b.jpg"], "text": "hi"}),
        json.dumps({"id": "p1", "author": "x", "place": {"name": "Town", "lat": 1.5, "lon": 2.5},
                    "created_at": "2025-01-08T15:42:31Z", "text": "hi"}),
        json.dumps({"id": "r", "author": "bo", "place": {"bbox": [1, 2, 3, 4]}}),
        json.dumps({"id": "s", "author": "bo", "place": "Town", "media": ["a.jpg"]}),
        '{"id": "t", "author": "bo", "place": {"bbox": [1, 2, 3', '4]}}',
        '{"id": "u", "author": "bo", "place": {"bbox": [1]', '[2]}}',
        json.dumps({"id": "", "author": "x"}), json.dumps({"id": "q", "author": ""}),
    ]),
)  # fmt: skip
_LINE_ENDS = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"])


def _read_in_runs(
    path: Path, author: str | None, rooms: list[int]
) -> tuple[list[tuple[object, int]], list[tuple[int, bool, list[str]]], list[str]]:
    """The lines kept, read in runs of at most `rooms[i]` lines (then rooms[-1]): each
    line's `as_line` and media entries; for each run, its last line's place among them,
    whether it was as long as asked, and the warnings given by its yield; the warnings."""
    diag = Diagnostics()
    request = jsonl.RunRequest(rooms[0])
    lines: list[tuple[object, int]] = []
    runs: list[tuple[int, bool, list[str]]] = []
    with deferred_parsing(runs=request):
        for k, run in enumerate(JsonlReader().read(path, diag, author=author)):
            assert type(run) is jsonl.LineRun
            assert 1 <= len(run.lines) <= request.room
            lines += [(run.line(i), run.entries[i]) for i in range(len(run.lines))]
            runs.append((len(lines) - 1, len(run.lines) == request.room, list(diag.warnings)))
            request.room = rooms[min(k + 1, len(rooms) - 1)]
    return lines, runs, diag.warnings


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(_RUN_LINES, _LINE_ENDS), min_size=1, max_size=90),
    st.booleans(),
    st.sampled_from([None, "someone"]),
    st.lists(st.integers(1, 70), min_size=1, max_size=5),
    st.sampled_from([1, 2, 4]),
)
@example([(_plain(k), "\n") for k in range(9)] + [(_plain(3), "\n")], True, None, [4], 2)
@example(
    [
        ('{"id": "j", "author": "x", "media": ["a"', "\n"),
        ('"b"]}', "\n"),
        ('{"id": "k", "author": "x"}, {"id": "l", "author": "y"}', "\n"),
    ],
    True,
    None,
    [8],
    2,
)
@example([(_plain(1), "\r\n"), (_plain(2), "\r\n"), ("", "\r\n"), (_plain(1), "\r\n")],
         False, None, [3, 1], 1)  # fmt: skip
def test_runs_give_the_lines_and_warnings_of_a_read_line_by_line(
    lines: list[tuple[str, str]], last_end: bool, author: str | None, rooms: list[int], split: int
) -> None:
    """The same lines kept (author, origin, line, folder, renamed; media entries), the same
    warnings in the same order, and a full run yielded before any line after it is read:
    its warnings are those a read line by line has given by its last line, so warnings
    and batches interleave in the pipeline as they did line by line. Runs with a bad line
    among plain ones are read again in halves (`_RUN_SPLIT`), down to single lines."""
    text = "".join(line + end for line, end in lines)
    if not last_end:
        text = text[: -len(lines[-1][1])]  # the file ends without a line end
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.jsonl"
        path.write_text(text, encoding="utf-8", errors="surrogatepass", newline="")
        diag = Diagnostics()
        with deferred_parsing():
            single = [((p[:5], p.media_entries), list(diag.warnings))
                      for p in JsonlReader().read(path, diag, author=author)]  # fmt: skip
        with mock.patch.object(jsonl, "_RUN_SPLIT", split):
            kept, runs, warnings = _read_in_runs(path, author, rooms)
    assert kept == [line for line, _ in single]
    assert warnings == diag.warnings  # every warning, in order
    for last, full, warned in runs:
        # (a run cut short by the file's end has read the whole file)
        assert warned == (single[last][1] if full else diag.warnings)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_RUN_LINES, _LINE_ENDS), min_size=1, max_size=12))
@example(
    [
        ('{"id": "j", "author": "x", "media": ["a"', "\n"),
        ('"b"]}', "\n"),
        ('{"id": "k", "author": "x"}, {"id": "l", "author": "y"}', "\n"),
    ]
)
@example([('{"id": "k", "author": "x"}],[{"id": "l", "author": "y"}', "\n")])
@example([('{"id": "m", "author": "x", "text": "', "\n"),
          ('"}, {"id": "n", "author": "y"}', "\n")])  # fmt: skip
def test_lines_decoded_together_are_each_line_decoded_alone(lines: list[tuple[str, str]]) -> None:
    """`decode_each` gives each line's own `_PlainLine`, or None: never values made of
    parts of two lines (a string or a list across a line end) or two values of one line."""
    joined = [line + end for line, end in lines]
    plains = jsonl.decode_each(jsonl._decode_plains, joined)
    if plains is None:
        return
    alone = []
    for line in joined:
        alone.append(jsonl._decode_plain(line))  # (raises if a line is not one alone)
    assert plains == alone


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_RUN_LINES | st.text(max_size=6), _LINE_ENDS | st.just("")), max_size=12))
@example([("", "")])
@example([('{"id": "a", "author": "x"}', "\r"), ('{"id": "b", "author": "x"}', "")])
def test_lines_decoded_together_are_the_text_of_their_join(lines: list[tuple[str, str]]) -> None:
    """The text `decode_each` decodes is `"[[" + "\n],[".join(lines) + "\n]]"` (made by
    one join), whatever the lines' ends ("\r" alone, none, an empty line); the caller's
    list is left as it was."""
    joined = [line + end for line, end in lines]
    given = list(joined)
    seen: list[str] = []

    def decode_many(text: str) -> list[tuple[int]]:
        seen.append(text)
        return [(k,) for k in range(len(given))]

    decoded = jsonl.decode_each(decode_many, joined)
    assert joined == given
    if not joined:
        assert decoded is None
        return
    assert seen == ["[[" + "\n],[".join(given) + "\n]]"]
    assert decoded == list(range(len(given)))


@settings(max_examples=800, deadline=None)
@given(st.lists(st.one_of(st.none(), _Z_SHAPED), min_size=1, max_size=8))
@example(["2024-02-29T10:00:00Z", "2025-02-29T10:00:00Z"])
@example(["2025-04-13T05:11+01Z"])
@example(["2025-04-13T05:11:00Z\n2025-04-13T05:11:00Z", "2025-04-13T05:11:00Z"])
def test_times_checked_together_are_each_time_checked_alone(times: list[str | None]) -> None:
    alone = all(value is None or jsonl._time_usable(value) for value in times)
    assert jsonl._times_usable(times) == alone


_Z_TIMES = st.lists(
    st.datetimes().map(lambda t: t.isoformat(timespec="seconds")[:19] + "Z"), min_size=1,
    max_size=40,
)  # fmt: skip


@settings(max_examples=800, deadline=None)
@given(_Z_TIMES, st.one_of(st.none(), _Z_SHAPED), st.integers(0, 40))
@example(["2024-02-29T10:00:00Z"], "1900-02-29T10:00:00Z", 0)
@example(["2000-02-29T23:59:59Z"], "2025-04-31T10:00:00Z", 1)
@example(["0001-01-01T00:00:00z"], "2025-04-13T05:11:00\u0663", 0)
@example(["9999-12-31T23:59:59Z"], "2025-13-01T00:00:00Z", 0)
@example(["2025-04-13T05:11:00Z"], "2025-04-13T24:00:00Z", 0)
@example(["2025-04-13T05:11:00Z"], "2025-04-13t05:11:00Z", 0)
@example(["2025-04-13T05:11:00Z"], "2025-00-13T05:11:00Z", 1)
@example(["2025-04-13T05:11:00Z"], "2025-04-00T05:11:00Z", 0)
@example(["2025-04-13T05:11:00Z"], "0000-04-13T05:11:00Z", 1)
@example(["2024-02-29T10:00:00Z"], "2100-02-29T10:00:00Z", 1)
def test_times_of_the_plain_shape_are_checked_in_numpy_as_one_by_one(
    times: list[str], other: str | None, at: int
) -> None:
    """`_iso_z_times` (numpy, a whole block) takes a block of real "...Z" times, and every
    time it takes is one `_time_usable` takes; with any other time among them,
    `_times_usable` answers as each time checked alone."""
    assert jsonl._iso_z_times("".join(times), len(times))
    mixed: list[str | None] = [*times[:at], other, *times[at:]]
    alone = all(value is None or jsonl._time_usable(value) for value in mixed)
    assert jsonl._times_usable(mixed) == alone
    if other is not None and len(other) == 20 and jsonl._iso_z_times(other, 1):
        assert jsonl._time_usable(other)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=3), st.lists(st.text(max_size=2), max_size=3)),
                max_size=12))  # fmt: skip
def test_media_entries_counted_together_are_each_line_counted_alone(
    media: list[list[str] | str | None],
) -> None:
    assert jsonl._entries_of(media) == [jsonl._media_entries(m) for m in media]


class _Recorded(jsonl._PostIds):
    """`_PostIds` that keeps each instance made (to look at what it held)."""

    made: ClassVar[list[jsonl._PostIds]] = []

    def __init__(self, path: Path, deferred: bool) -> None:
        super().__init__(path, deferred)
        self.made.append(self)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_RUN_LINES, _LINE_ENDS), min_size=1, max_size=60),
    st.sampled_from([None, "someone"]),
    st.lists(st.integers(1, 70), min_size=1, max_size=3),
    st.integers(0, 12),
    st.sampled_from([1, 3, 1 << 20]),
)
@example([(_plain(k % 5), "\n") for k in range(12)], None, [4], 2, 1)
@example([(_plain(1), "\n"), ('{"id": "a", "id": "p1", "author": "x"}', "\n"),
          (_plain(1, "bo"), "\r")], None, [1], 0, 1)  # fmt: skip
def test_ids_read_ahead_keep_the_lines_every_id_held_keeps(
    lines: list[tuple[str, str]], author: str | None, rooms: list[int], held: int, flush: int
) -> None:
    """Past `IDS_HELD` ids the rest of the file is read ahead for the ids it repeats
    (`_PostIds`): the same lines kept and the same warnings in the same order as with
    every id held, in runs, line by line and read in full."""
    text = "".join(line + end for line, end in lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.jsonl"
        path.write_text(text, encoding="utf-8", errors="surrogatepass", newline="")

        def everything() -> tuple[object, ...]:
            kept, _, warnings = _read_in_runs(path, author, rooms)
            full_diag = Diagnostics()
            full = list(JsonlReader().read(path, full_diag, author=author))
            return kept, warnings, _read_deferred(path, author), full, full_diag.warnings

        every_id_held = everything()
        with (
            mock.patch.object(jsonl, "IDS_HELD", held),
            mock.patch.object(jsonl, "_AHEAD_FLUSH", flush),
        ):
            bounded = everything()
    assert bounded == every_id_held


def test_ids_held_stop_growing_past_the_bound(tmp_path: Path) -> None:
    """A file of 5,000 distinct ids and a few repeats, read with 100 ids held: the held
    digests stop at the bound (plus the run being read), the repeats of the rest are all
    that is kept of it, and every repeat is found."""
    path = tmp_path / "c.jsonl"
    ids = [*range(5000), 7, 4321, 4321, 4999]
    path.write_text("".join(_plain(k) + "\n" for k in ids))
    _Recorded.made = []
    diag = Diagnostics()
    with (
        mock.patch.object(jsonl, "IDS_HELD", 100),
        mock.patch.object(jsonl, "_PostIds", _Recorded),
        deferred_parsing(runs=jsonl.RunRequest(64)),
    ):
        kept = sum(len(run.lines) for run in JsonlReader().read(path, diag))
    [ids_of_file] = _Recorded.made
    assert 100 <= len(ids_of_file.held) < 100 + 64
    assert sorted(ids_of_file.repeats.tolist()) == sorted(hash(f"p{k}") for k in (4321, 4999))
    assert kept == 5000
    assert [w.split(": ", 1)[1] for w in diag.warnings] == [
        f"duplicate post id 'p{k}'; line skipped" for k in (7, 4321, 4321, 4999)
    ]


def _read_changing(path: Path, runs: bool, change: Any, after: int) -> list[str]:
    """The ids read from `path` (100 ids held), `change(path)` called after `after` posts."""
    kept: list[str] = []
    with (
        mock.patch.object(jsonl, "IDS_HELD", 100),
        deferred_parsing(runs=jsonl.RunRequest(16) if runs else None),
    ):
        for item in JsonlReader().read(path, Diagnostics()):
            found = item.lines if isinstance(item, jsonl.LineRun) else [item.line]
            kept += [json.loads(line)["id"] for line in found]
            if len(kept) > after:
                change(path)
                after = 1 << 30
    return kept


@pytest.mark.parametrize("runs", [False, True])
def test_a_file_that_changes_past_the_ids_held_is_an_error_naming_it(
    tmp_path: Path, runs: bool
) -> None:
    """Lines added after the read-ahead (a repeat among them would go unwarned), or the
    file replaced by another before it (the read-ahead would count another file's ids):
    CorpusError naming the file, not repeats kept silently."""
    path = tmp_path / "c.jsonl"
    text = "".join(_plain(k) + "\n" for k in [*range(300), 250])

    def append(path: Path) -> None:
        with path.open("a", encoding="utf-8") as out:
            out.write(_plain(260) + "\n")

    def replace(path: Path) -> None:
        new = path.with_name("new.jsonl")
        new.write_text("".join(_plain(k) + "\n" for k in range(300, 400)), encoding="utf-8")
        new.replace(path)

    for change, after in ((append, 200), (replace, 20)):
        path.write_text(text, encoding="utf-8")
        assert len(_read_changing(path, runs, lambda _: None, 0)) == 300  # (unchanged)
        with pytest.raises(CorpusError, match=r"c\.jsonl: changed while it was read"):
            _read_changing(path, runs, change, after)


def test_read_ahead_that_cannot_be_written_names_the_folder(tmp_path: Path) -> None:
    """The read-ahead's counts cannot be written (here: each part's name is a folder; a
    full disk alike): CorpusError names the temporary folder and TMPDIR, not a read of the
    file that failed."""
    blocked = tmp_path / "blocked"
    for part in range(256):
        (blocked / f"{part:03d}").mkdir(parents=True)
    path = tmp_path / "c.jsonl"
    path.write_text("".join(_plain(k) + "\n" for k in range(300)), encoding="utf-8")
    with (
        mock.patch.object(tempfile, "TemporaryDirectory", return_value=nullcontext(str(blocked))),
        pytest.raises(CorpusError, match=r"c\.jsonl: its post ids .* temporary folder .*TMPDIR"),
    ):
        _read_changing(path, True, lambda _: None, 0)


_BARE_VALUES = st.sampled_from(['"a"', '""', "1", "2.5", "null", "true", "[]", '["m"]', "{}",
                                '{"name": "p"}', '"2025-04-13T05:11:00Z"'])  # fmt: skip
_BARE_KEYS = st.sampled_from(["id", "author", "created_at", "lat", "lon", "text", "media",
                              "place", "other"])  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.tuples(_BARE_KEYS, _BARE_VALUES), max_size=7), min_size=1, max_size=8))
def test_bare_lines_are_plain_lines_without_text_media_or_place(
    objects: list[list[tuple[str, str]]],
) -> None:
    """`_BareLine` takes lines exactly when `_PlainLine` takes them with no text, media or
    place key, and gives the same values (its `media` None, as `_PlainLine`'s)."""
    lines = ["{" + ", ".join(f'"{k}": {v}' for k, v in fields) + "}\n" for fields in objects]
    bares = jsonl.decode_each(jsonl._decode_bares, lines)
    plains = jsonl.decode_each(jsonl._decode_plains, lines)
    named = any(k in ("text", "media", "place") for fields in objects for k, _ in fields)
    if plains is None or named:
        assert bares is None
        return
    assert bares is not None
    for bare, plain in zip(bares, plains, strict=True):
        assert (bare.id, bare.author, bare.created_at, bare.lat, bare.lon, bare.media) == (
            plain.id, plain.author, plain.created_at, plain.lat, plain.lon, plain.media)  # fmt: skip
        assert plain.text is None and plain.place is None


def test_run_reader_reads_bare_and_plain_lines_as_plain_ones(tmp_path: Path) -> None:
    """A file whose first chunks are bare and later ones name text and media: the runs,
    warnings and kept ids are those of reading every chunk as `_PlainLine`s."""
    rows = [{"id": f"b{n}", "author": f"u{n // 7}", "lat": 1.5, "lon": 2} for n in range(40)]
    rows += [{"id": "b3", "author": "u9"}, {"id": "t1", "author": "u9", "text": "hi"}]
    rows += [{"id": f"m{n}", "author": "u10", "media": ["a.jpg", "b.jpg"]} for n in range(9)]
    rows += [{"id": f"c{n}", "author": "u11"} for n in range(20)]
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + "not json\n")

    def read(bare: bool) -> tuple[list[Any], list[str]]:
        diag = Diagnostics()
        reader = jsonl._RunReader(diag, jsonl._PostIds(path, True), "f:", "r", None)
        reader.bare = bare
        request = jsonl.RunRequest(16)
        with path.open(newline="") as handle:
            runs = [
                (r.lines, r.authors, r.numbers, r.entries) for r in reader.runs(handle, request)
            ]
        return runs, diag.warnings

    assert read(True) == read(False)
    assert read(True)[0][-1][3][-1] == 0 and any(2 in run[3] for run in read(True)[0])
