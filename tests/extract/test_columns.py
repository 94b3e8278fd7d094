"""Plain located lines read in columns (`geoleak.extract.columns`) give, line by line, what
the general path gives: the post's time and the one piece of evidence of its geotag, local
time (with its fold) included; lines it does not take are left to the general path."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geoleak.diagnostics import Diagnostics
from geoleak.extract import columns
from geoleak.extract.columns import _utc_seconds, plain_geotags
from geoleak.extract.evidence import evidence_from_post
from geoleak.extract.localtime import implausible_time
from geoleak.ingest.dedupe import Deduper
from geoleak.ingest.jsonl import LineError, parse_post
from geoleak.types import Evidence

# (lat, lon): Tromsø and Longyearbyen (69 N, 78 N), Fiji and Samoa on both sides of the
# antimeridian, Chatham (+12:45), Lord Howe (a 30-minute DST), Troll (a 2-hour DST),
# London, New York, Sydney, Kolkata, Null Island, a place at sea, the poles, Chisinau (clocks
# go back at 00:00 UTC: the first hour of that UTC day is a repeated wall time).
PLACES = [(69.6492, 18.9553), (78.2232, 15.6267), (-17.7134, 178.065), (-13.8333, -171.75),
          (-43.95, -176.55), (-31.5553, 159.0821), (-72.0114, 2.5350), (51.5074, -0.1278),
          (40.7128, -74.006), (-33.8688, 151.2093), (22.5726, 88.3639), (0.0, 0.0),
          (-30.0, -140.0), (90.0, 180.0), (-90.0, -180.0), (47.0105, 28.8638)]  # fmt: skip
# Clock changes (UTC) of those zones, for times on and around them.
CHANGES = [datetime(2025, 3, 30, 1), datetime(2025, 10, 26, 1), datetime(2025, 3, 9, 7),
           datetime(2025, 11, 2, 6), datetime(2025, 4, 5, 16), datetime(2025, 10, 4, 16),
           datetime(2025, 4, 5, 15), datetime(2025, 10, 4, 15, 30), datetime(2025, 3, 30, 1),
           datetime(2025, 10, 26, 1), datetime(2025, 4, 5, 14), datetime(2025, 9, 27, 14),
           datetime(2025, 10, 26, 0)]  # fmt: skip


def _utc_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_AROUND_CHANGES = st.builds(
    lambda change, minutes: _utc_text(change + timedelta(minutes=minutes)),
    st.sampled_from(CHANGES), st.integers(-24 * 60 * 2, 24 * 60 * 2),
)  # fmt: skip
_TIMES = st.one_of(
    _AROUND_CHANGES,
    st.datetimes(datetime(1985, 1, 1), datetime(2040, 1, 1)).map(_utc_text),
    st.datetimes().map(_utc_text),
    st.datetimes().map(lambda t: _utc_text(t).replace("Z", "z")),
    st.sampled_from([
        "2025-02-29T05:11:00Z", "2024-02-29T05:11:00Z", "2025-04-31T05:11:00Z",
        "2025-13-01T05:11:00Z", "2025-00-10T05:11:00Z", "2025-04-00T05:11:00Z",
        "2025-04-13T24:00:00Z", "2025-04-13T05:60:00Z", "2025-04-13T05:11:60Z",
        "2025-04-13 05:11:00Z", "2025-04-13T05:11:00+", "0000-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z", "1989-12-31T00:00:00Z", "2038-01-19T03:14:07Z",
        "2025-04-13T05:11:0١Z", "２025-04-13T05:11:00Z", " 2025-04-13T05:11:00Z",
        "2025-04-13T05:11:00.5Z", "2025-04-13T05:11:00+00:00", "2100-01-01T00:00:00Z",
    ]),
    st.text(min_size=20, max_size=20), st.integers(), st.none(),
)  # fmt: skip
_COORDS = st.one_of(
    st.sampled_from(PLACES),
    st.tuples(st.floats(-90, 90), st.floats(-180, 180)),
    st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.floats()),
    st.tuples(st.sampled_from([0.0, -0.0, 5e-8, 1e-7, 90.0, 91.0]), st.sampled_from([0.0, -0.0, 1e-8, 180.0, -180.5])),
    st.tuples(st.integers(-90, 90), st.integers(-180, 180)),
)  # fmt: skip
_PLAUSIBLE = st.datetimes(datetime(1990, 1, 1), datetime(2026, 1, 1)).map(_utc_text)
_NAMES = st.text(min_size=1, max_size=5)


def _mostly(common: st.SearchStrategy[Any], rest: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`common` four times in five, else `rest`: most lines are plain, as in a corpus."""
    return st.integers(0, 4).flatmap(lambda k: common if k else rest)


_LINE = st.builds(
    lambda fields, extra: {**fields, **extra},
    st.fixed_dictionaries({
        "id": _mostly(_NAMES, st.sampled_from(["", 5])),
        "author": _mostly(_NAMES, st.sampled_from(["", None])),
        "created_at": _mostly(st.one_of(_PLAUSIBLE, _AROUND_CHANGES), _TIMES),
        "position": _mostly(st.sampled_from(PLACES), _COORDS),
    }),
    _mostly(st.just({}), st.fixed_dictionaries({}, optional={"text": st.text(max_size=3),
                                                             "likes": st.integers()})),
)  # fmt: skip


def _general(obj: dict[str, Any]) -> tuple[datetime | None, list[Evidence]] | None:
    """What the general path keeps of a line: None when it skips the line, warns about it
    or drops its time; else the post's time and its evidence."""
    diag = Diagnostics()
    try:
        post = parse_post(obj, where="c.jsonl:1", root=Path("/nonexistent"), diag=diag)
    except (LineError, ValueError):
        return None
    if diag.warnings or implausible_time(post.created_at) is not None:
        return None
    return post.created_at, evidence_from_post(post, {})


def _line(fields: dict[str, Any]) -> tuple[dict[str, Any], str]:
    obj = dict(fields)
    obj["lat"], obj["lon"] = obj.pop("position")
    return obj, json.dumps(obj)


def _same(a: Evidence, b: Evidence) -> bool:
    """Equal field by field, each field's repr (a local time's fold) too."""
    return all(repr(getattr(a, name)) == repr(getattr(b, name)) for name in Evidence.__slots__)


@settings(max_examples=400, deadline=None)
@given(_LINE, st.sampled_from(["a", "renamed"]))
@example({"id": "p", "author": "a", "created_at": "2025-10-26T01:30:00Z",
          "position": (51.5074, -0.1278)}, "a")  # fmt: skip
@example({"id": "p", "author": "a", "created_at": "2025-10-04T15:45:00Z",
          "position": (-31.5553, 159.0821)}, "a")  # fmt: skip
def test_plain_lines_give_the_general_paths_evidence(fields: dict[str, Any], author: str) -> None:
    obj, line = _line(fields)
    (plain,) = plain_geotags([(author, line)])
    if plain is None:
        return
    general = _general(obj)
    assert general is not None, f"the general path skips or warns about {line}"
    created, found = general
    assert len(found) == 1
    expected = found[0]
    if author != obj["author"]:  # --author: the reader's author, not the line's
        expected = Evidence(**{**{n: getattr(expected, n) for n in Evidence.__slots__},
                               "person": author})  # fmt: skip
    assert plain.author == author
    assert repr(plain.created_at) == repr(created)
    assert _same(plain.evidence, expected)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([p for p in PLACES if p != (0.0, 0.0)]), _AROUND_CHANGES)
@example((47.0105, 28.8638), "2025-10-26T00:30:00Z")
def test_times_around_clock_changes_are_taken_and_match(
    where: tuple[float, float], created_at: str
) -> None:
    """Every plain line with a plausible time is taken, the local time as the zone gives it."""
    obj = {"id": "p", "author": "a", "created_at": created_at, "lat": where[0], "lon": where[1]}
    (plain,) = plain_geotags([("a", json.dumps(obj))])
    general = _general(obj)
    assert general is not None and plain is not None
    assert repr(plain.created_at) == repr(general[0])
    assert _same(plain.evidence, general[1][0])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([p for p in PLACES if p != (0.0, 0.0)]), _AROUND_CHANGES),
             min_size=1, max_size=40),
    st.integers(1, 30),
)  # fmt: skip
def test_a_batchs_day_offsets_are_each_lines_local_time(
    lines: list[tuple[tuple[float, float], str]], bound: int
) -> None:
    """Lines of many zones and days read as one batch (pairs of zone and day repeated in
    it, learnt together, the offsets' memory cleared on the way for its bound) each get
    the local time the general path gives them."""
    objs = [{"id": f"p{k}", "author": "a", "created_at": created_at, "lat": where[0],
             "lon": where[1]} for k, (where, created_at) in enumerate(lines)]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columns, "_DAY_OFFSETS", {})
        patch.setattr(columns, "_DAY_OFFSETS_MAX", bound)
        for half in (objs[: len(objs) // 2], objs):  # (the second batch finds some known)
            plains = plain_geotags([("a", json.dumps(obj)) for obj in half])
            for obj, plain in zip(half, plains, strict=True):
                general = _general(obj)
                assert general is not None and plain is not None
                assert _same(plain.evidence, general[1][0])
            assert len(columns._DAY_OFFSETS) <= max(bound, len(half))


def test_a_days_offset_is_its_first_and_last_moments_when_they_agree() -> None:
    """`_day_offset` of every day from 1900 to 2040 in zones with offsets of odd minutes and
    seconds (Monrovia's -0:44:30, Amsterdam's +0:19:32), a 30-minute DST, a 2-hour DST and
    clocks that go back at 00:00 UTC: the offset of the day's first second when its last
    has the same and the first is not a repeated wall time, else None."""
    from geoleak.extract.localtime import zone

    days = 0
    for name in ["Africa/Monrovia", "Europe/Amsterdam", "Australia/Lord_Howe",
                 "Antarctica/Troll", "Europe/Chisinau", "Pacific/Chatham"]:  # fmt: skip
        tz = zone(name)
        assert tz is not None
        for day in range(-25567, 25567):
            start = datetime.fromtimestamp(day * 86_400, tz)
            end = datetime.fromtimestamp(day * 86_400 + 86_399, tz)
            first, last = start.utcoffset(), end.utcoffset()
            assert first is not None
            expected = round(first.total_seconds()) if first == last and not start.fold else None
            assert columns._day_offset(name, day) == expected, (name, day)
            days += expected is None
    assert days > 100  # (days with a change are among them)
    assert columns._day_offset("Not/A_Zone", 20_000) is None


def test_day_offsets_from_the_transitions_are_day_offsets() -> None:
    """`_day_offsets` (many pairs at once, from the zones' transitions) gives what
    `_day_offset` gives, or leaves the pair to it: every day from 1900 to 2040 of the zones
    of odd offsets, DST and clock changes at 00:00 UTC, and every 29th day of the plain
    lines' window in every zone this system has (zones with no transition, one, a last
    one in 2037 and a rule after it, ...). Days with a change and days starting in a
    repeated wall time are among them."""
    from zoneinfo import available_timezones

    odd = ["Africa/Monrovia", "Europe/Amsterdam", "Australia/Lord_Howe", "Antarctica/Troll",
           "Europe/Chisinau", "Pacific/Chatham"]  # fmt: skip
    cases = [(name, np.arange(-25567, 25567)) for name in odd]
    cases += [(name, np.arange(7305, 24856, 29)) for name in sorted(available_timezones())]
    answered = not_whole = 0
    for name, days in cases:
        zone_id = columns._zone_id(name)
        got = columns._day_offsets(np.full(days.size, zone_id), days).tolist()
        for day, offset in zip(days.tolist(), got, strict=True):
            if offset == columns._UNSEEN:
                continue
            expected = columns._day_offset(name, day)
            assert offset == (columns._NOT_WHOLE if expected is None else expected), (name, day)
            answered += 1
            not_whole += expected is None
    assert answered > 0.9 * sum(days.size for _, days in cases)
    assert not_whole > 1000


@given(st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[Zz]", fullmatch=True))
@example("2025-02-29T00:00:00Z")
@example("2024-02-29T23:59:59Z")
@example("2100-02-29T00:00:00Z")
@example("2000-02-29T00:00:00Z")
@example("2025-04-31T00:00:00Z")
@example("0000-01-01T00:00:00Z")
@example("0001-01-01T00:00:00Z")
@example("9999-12-31T23:59:59Z")
def test_times_parse_as_fromisoformat_parses_them(text: str) -> None:
    seconds, ok = _utc_seconds([text])
    try:
        expected = datetime.fromisoformat(text[:19]).replace(tzinfo=timezone.utc)
    except ValueError:
        assert not ok[0]
        return
    assert ok[0]
    assert int(seconds[0]) == (expected - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds()


def _near_time(draw: st.DrawFn) -> str:
    """A "YYYY-MM-DDTHH:MM:SSZ"-shaped text, often with a character or two replaced by one
    that is not a digit or not the separator (a non-ASCII one included)."""
    year = draw(st.sampled_from([0, 1, 1900, 2000, 2024, 2025, 2100, 9999]))
    fields = [
        draw(st.integers(low, high)) for low, high in ((0, 13), (0, 32), (0, 25), (0, 60), (0, 60))
    ]
    text = list("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(year, *fields))
    if draw(st.booleans()):
        text[19] = "z"
    for _ in range(draw(st.integers(0, 2))):
        text[draw(st.integers(0, 19))] = draw(st.sampled_from("0-T:Zz/ é\x00+.t9"))
    return "".join(text)


@given(st.lists(st.composite(_near_time)(), min_size=1, max_size=40))
def test_a_batch_of_times_parses_as_each_time_alone(texts: list[str]) -> None:
    # Each two-digit piece is read from its two bytes at once, the separators apart: a
    # digit or separator out of place anywhere, in any row of a batch, is refused there.
    seconds, ok = _utc_seconds(texts)
    assert len(seconds) == len(ok) == len(texts)
    for text, got, taken in zip(texts, seconds.tolist(), ok.tolist(), strict=True):
        alone_seconds, alone_ok = _utc_seconds([text])
        assert (taken, got) == (bool(alone_ok[0]), int(alone_seconds[0]))
        try:
            expected = datetime.fromisoformat(text[:19]).replace(tzinfo=timezone.utc)
        except ValueError:
            assert not taken, text
            continue
        shaped = text[19] in "Zz" and text[4] + text[7] + text[10] + text[13] + text[16] == "--T::"
        assert taken == (
            shaped
            and text.isascii()
            and text[:19].replace("-", "").replace("T", "").replace(":", "").isdigit()
        ), text
        if taken:
            assert got == (expected - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds()


def test_a_batch_keeps_its_order_and_leaves_other_lines_to_the_general_path() -> None:
    common = {"id": "p1", "author": "a", "created_at": "2025-04-13T05:11:00Z",
              "lat": 78.2232, "lon": -179.99}  # fmt: skip
    refused = [
        {**common, "text": "hi"},  # another field
        {**common, "created_at": "2025-04-13T05:11:00+01:00"},  # an offset
        {**common, "created_at": "1970-01-01T00:00:00Z"},  # a sentinel: warned about
        {**common, "lat": 0.0, "lon": 0.0},  # Null Island: no evidence
        {**common, "lat": 1},  # an integer
        {k: v for k, v in common.items() if k != "lat"},
    ]
    lines = [json.dumps(common), *map(json.dumps, refused), "not json", json.dumps(common)]
    found = plain_geotags([("a", line) for line in lines])
    assert [f is not None for f in found] == [True] + [False] * (len(refused) + 1) + [True]
    assert found[0] == found[-1]
    assert found[0] is not None and found[0].evidence.tz_name is not None


def test_repeats_are_keyed_as_the_general_paths_posts() -> None:
    """A plain post and the same post read by the general path are one post to dedupe."""
    obj = {"id": "p", "author": "a", "created_at": "2025-04-13T05:11:00Z",
           "lat": 69.6492, "lon": 18.9553}  # fmt: skip
    (plain,) = plain_geotags([("a", json.dumps(obj))])
    assert plain is not None
    post = parse_post({**obj, "id": "q"}, where="c.jsonl:2", root=Path("."), diag=Diagnostics())
    deduper = Deduper()
    assert deduper.check_geotag(plain.author, plain.created_at, plain.evidence.position)
    assert deduper.check(post) is None
    assert deduper.stats.posts_dropped == 1
    assert not deduper.check_geotag("a", datetime(2025, 4, 13, 5, 11, tzinfo=timezone.utc),
                                    plain.evidence.position)  # fmt: skip


def test_evidence_made_directly_equals_the_constructors(monkeypatch: pytest.MonkeyPatch) -> None:
    line = json.dumps({"id": "p", "author": "a", "created_at": "2025-10-26T00:30:00Z",
                       "lat": 47.0105, "lon": 28.8638})  # fmt: skip
    (direct,) = plain_geotags([("a", line)])
    monkeypatch.setattr(columns, "_DIRECT", False)
    (built,) = plain_geotags([("a", line)])
    assert direct is not None and built is not None
    assert _same(direct.evidence, built.evidence) and direct.evidence == built.evidence
    assert hash(direct.evidence) == hash(built.evidence)


def _orjson_plain(line: str) -> tuple[str, str, str, float, float] | None:
    """What `plain_rows` took of a line when it read each line with `orjson` (the reference
    for its bulk msgspec decode; `_read_slowly` is that reading): (id, author, created_at,
    lat, lon), or None."""
    found = columns._read_slowly(line)
    if found is None or not (found.id and found.author) or len(found.created_at) != 20:
        return None
    return found.id, found.author, found.created_at, found.lat, found.lon


# Values as written in a line's JSON: numbers spelled every way (ints and floats, exponents,
# -0, past a float's range, not JSON at all), strings with escapes (paired and lone
# surrogates, a raw control character), null, nested values.
_NUMBERS = st.one_of(
    st.sampled_from(["1", "1.0", "45", "45.5", "4.55e1", "4.55E+1", "455e-1", "1e0", "-0",
                     "-0.0", "0.0", "5e-324", "1e-400", "1e400", "-1e400", "01.5", "1.", ".5",
                     "+1.5", "NaN", "Infinity", "123456789012345678901234567890",
                     "45.000000000000000000000000001", "1_0", "0x10"]),
    st.floats(-200, 200).map(repr), st.integers(-200, 200).map(str),
)  # fmt: skip
_STRINGS = st.one_of(
    _NAMES.map(json.dumps), _NAMES.map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.sampled_from(['""', '"\\ud800"', '"a\\udc00"', '"\\ud83d\\ude00"', '"é"', '"a\tb"',
                     '"\\u0000"', '"a\\/b"', '"\\x41"', "'a'"]),
    _PLAUSIBLE.map(json.dumps),
)  # fmt: skip
_VALUES = st.one_of(_NUMBERS, _STRINGS, st.sampled_from(["null", "true", "[]", "{}", "[1.5]"]))


def _written_line(pairs: list[tuple[str, str]], spacing: str, tail: str) -> str:
    return "{" + f",{spacing}".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}" + tail


_PLAIN_PAIRS = st.tuples(
    _mostly(_STRINGS, _VALUES),
    _mostly(_STRINGS, _VALUES),
    _mostly(_PLAUSIBLE.map(json.dumps), _VALUES),
    _mostly(st.floats(-90, 90).map(repr), _VALUES),
    _mostly(st.floats(-180, 180).map(repr), _VALUES),
).map(lambda values: list(zip(["id", "author", "created_at", "lat", "lon"], values, strict=True)))
_WRITTEN_LINE = st.builds(
    _written_line,
    st.tuples(_PLAIN_PAIRS, st.lists(st.tuples(st.sampled_from(["id", "lat", "lon", "text", "x"]),
                                               _VALUES), max_size=2), st.randoms())
    .map(lambda t: _shuffled(t[0] + t[1], t[2]) if t[1] else t[0]),
    st.sampled_from(["", " ", "\n"]),
    _mostly(st.just("\n"), st.sampled_from(["", "\r\n", " \n", "\r", "x\n", "],[{}\n", "{}\n",
                                            "\n\n", "\ufeff\n"])),
)  # fmt: skip
_ODD_LINES = st.sampled_from(["", "\n", "[]\n", "],[\n", '{"id":"a\n', 'b"}\n', "\ufeff{}\n",
                              '{"id":"p","author":"a"}],[{"id":"q"}\n', "null\n", "1.5\n"])  # fmt: skip


def _shuffled(pairs: list[tuple[str, str]], rng: Any) -> list[tuple[str, str]]:
    out = list(pairs)
    rng.shuffle(out)
    return out


@settings(max_examples=500, deadline=None)
@given(st.lists(_mostly(_WRITTEN_LINE, _ODD_LINES), max_size=80))
@example(['{"id":"p","author":"a","created_at":"2025-04-13T05:11:00Z","lat":1,"lon":2.5}\n'])
@example(['{"id":"p","author":"a","created_at":"2025-04-13T05:11:00Z","lat":null,"lon":2.5}\n'])
@example(['{"id":"p","author":"a","created_at":"2025-04-13T05:11:00Z","lon":2.5}\n'])
@example(['{"id":"\\ud800","author":"a","created_at":"2025-04-13T05:11:00Z","lat":1.5,"lon":2.5}'])
@example(['{"id":"p","author":"a","created_at":"2025-04-13T05:11:00Z","lat":1.5,"lon":2.5,'
          '"lon":3}\n'])  # fmt: skip
@example(['{"id":"p","author":"a","created_at":"2025-04-13T05:11:00Z","lat":1.5,"lon":2.5}],'
          '[{"id":"q","author":"a","created_at":"2025-04-13T05:11:00Z","lat":1.5,"lon":2.5}\n',
          '{"id":"r","author":"a","created_at":"2025-04-13T05:11:00Z","lat":1.5,"lon":2.5\n',
          '}\n'])  # fmt: skip
@example(['{"id":"p","author":"a","created_at":"2025-04-13T05:11:00Z","lat":1.5,"lon":2.5}],'
          '[{"id":"q","author":"a","created_at":"2025-04-13T05:11:00Z","lat":1.5,"lon":2.5}\n',
          '{"id":"r","author":"a","created_at":"2025-04-13T05:11:00Z","lat":1.5,"lon":2.5}\n'])  # fmt: skip
@example(['{"id":"0","author":"0","created_at":"2000-01-01T00:00:00Z","lat":0.0,'
          '"lon":123456789012345678901234567890}'])  # fmt: skip
def test_lines_decoded_in_bulk_are_what_orjson_makes_of_each(lines: list[str]) -> None:
    """`plain_rows` decodes a batch's lines with msgspec in one call (in halves, then line
    by line, when some line is not plain); which lines it takes, and their values, are what
    it took when it read each line with orjson: 1 is not 1.0, null is not an absent field,
    a lone surrogate or a number past a float's range is no line, a repeated field is its
    last value, and a line is one line however the batch is joined."""
    expected = list(map(_orjson_plain, lines))
    # The same batch with each line orjson takes written plainly, and the others as a
    # line no decoder takes: what plain_rows gives for both must be the same.
    canonical = [
        "-\n" if fields is None else json.dumps(dict(zip(["id", "author", "created_at", "lat",
                                                          "lon"], fields, strict=True))) + "\n"
        for fields in expected
    ]  # fmt: skip
    got, want = (
        columns.plain_rows([("a", s) for s in lines]),
        columns.plain_rows([("a", s) for s in canonical]),
    )
    if want is None:
        assert got is None
        return
    assert got is not None
    assert got.line == want.line and got.post_id == want.post_id
    assert got.lat.tobytes() == want.lat.tobytes() and got.lon.tobytes() == want.lon.tobytes()
    assert got.utc_s.tolist() == want.utc_s.tolist()
    decoded = columns._decoded(lines)
    for fields, plain in zip(expected, decoded, strict=True):
        if fields is not None:
            assert plain is not None
            assert (plain.id, plain.author, plain.created_at) == fields[:3]
            for value, read in zip((plain.lat, plain.lon), fields[3:], strict=True):
                # An integer past 64 bits is a float to orjson, an int to msgspec: far out
                # of range either way (plain_rows takes neither, compared above).
                assert repr(value) == repr(read) or (type(value) is int and abs(read) > 2**63)


def test_a_line_with_another_field_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line msgspec refuses for a field `_Plain` has not (a post's text, media, place) is
    not plain to orjson either (its keys are not the five): `_decoded` does not read it
    again with orjson; a line refused for anything else still is. The message it tells them
    by is msgspec's."""
    read: list[str] = []
    slowly = columns._read_slowly
    monkeypatch.setattr(columns, "_read_slowly", lambda line: read.append(line) or slowly(line))
    with_text = '{"id":"p","author":"a","created_at":"2025-04-13T05:11:00Z","text":"hi"}'
    repeated = ('{"id":"p","author":"a","created_at":"2025-04-13T05:11:00Z","lat":"x",'
                '"lat":1.5,"lon":2.5}')  # fmt: skip
    decoded = columns._decoded([with_text, repeated])
    assert decoded[0] is None and decoded[1] is not None and decoded[1].lat == 1.5
    assert read == [repeated]
    with pytest.raises(msgspec.DecodeError, match=columns._UNKNOWN_FIELD):
        columns._decode_plain(with_text)


# Cells (hundredths of a degree) near zone borders, coasts and the antimeridian, and anywhere.
_BORDER_CELLS = st.builds(
    lambda place, dlat, dlon: (round(place[0] * 100) + dlat, round(place[1] * 100) + dlon),
    st.sampled_from([*PLACES, (47.3769, 8.5417), (41.8919, 12.5113), (49.0, 8.2), (31.77, 35.22),
                     (45.5, -73.6), (27.95, 86.92), (1.29, 103.85), (-22.9, -43.2)]),
    st.integers(-300, 300), st.integers(-300, 300),
).filter(lambda cell: -9000 <= cell[0] <= 9000 and -18000 <= cell[1] <= 18000)  # fmt: skip
_CELLS = st.one_of(_BORDER_CELLS, st.tuples(st.integers(-9000, 9000), st.integers(-18000, 18000)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELLS, max_size=60))
def test_zones_looked_up_together_are_each_cells_zone(cells: list[tuple[int, int]]) -> None:
    """`_zones_of_cells` gives, cell by cell, what `_zone_of_cell` gives one at a time
    (timezonefinder's batch lookup against its single one, the points as the same floats;
    neither cached)."""
    import numpy as np

    from geoleak.extract.localtime import _zone_of_cell, _zones_of_cells

    lat_cells = np.array([lat for lat, _ in cells], dtype=np.int64)
    lon_cells = np.array([lon for _, lon in cells], dtype=np.int64)
    alone = [_zone_of_cell(lat, lon) for lat, lon in cells]
    assert _zones_of_cells(lat_cells, lon_cells) == alone


@settings(max_examples=100, deadline=None)
@given(st.lists(_CELLS, max_size=40), st.lists(_CELLS, max_size=40), st.integers(2, 50))
def test_a_cells_zone_is_one_answer_from_one_cache_both_ways(
    alone: list[tuple[int, int]], together: list[tuple[int, int]], bound: int
) -> None:
    """The one-by-one lookup (`timezone_at`, `_timezone_at_cell`) and the batch's
    (`timezones_of_cells`, what plain lines use) give each cell the same zone, from one
    cache: a cell either looked up is not asked of timezonefinder again by the other,
    whatever the order, also when the cache is cleared for its bound on the way (then it
    keeps the batch's cells)."""
    import numpy as np

    from geoleak.extract import localtime
    from geoleak.types import LatLon

    asked: list[tuple[int, int]] = []
    one, many = localtime._zone_of_cell, localtime._zones_of_cells

    def zone_of_cell(lat_cell: int, lon_cell: int) -> str | None:
        asked.append((lat_cell, lon_cell))
        return one(lat_cell, lon_cell)

    def zones_of_cells(lat_cells: Any, lon_cells: Any) -> list[str | None]:
        asked.extend(zip(lat_cells.tolist(), lon_cells.tolist(), strict=True))
        return many(lat_cells, lon_cells)

    saved = dict(localtime._CELL_ZONES), localtime._CELL_ZONES_MAX
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(localtime, "_zone_of_cell", zone_of_cell)
        patch.setattr(localtime, "_zones_of_cells", zones_of_cells)
        patch.setattr(localtime, "_CELL_ZONES_MAX", bound)
        localtime._CELL_ZONES.clear()
        try:
            truth = {cell: one(*cell) for cell in alone + together}
            for lat_cell, lon_cell in alone:  # one by one, as a position's lookup
                position = LatLon(lat_cell / 100, lon_cell / 100)
                assert localtime.timezone_at(position) == truth[lat_cell, lon_cell]
            keys = sorted({localtime.cell_key(*cell) for cell in together})
            cached = {key for key in keys if key in localtime._CELL_ZONES}
            asked.clear()
            names = localtime.timezones_of_cells(np.array(keys, dtype=np.int64))
            assert names == [truth[divmod(key, 40_000)[0] - 9000, key % 40_000 - 18_000]
                             for key in keys]  # fmt: skip
            # The batch asks only the cells the one-by-one lookups did not leave cached ...
            assert sorted(localtime.cell_key(*cell) for cell in asked) == [
                key for key in keys if key not in cached]  # fmt: skip
            asked.clear()  # (... and one by one now asks none of them)
            for key in keys:
                lat_cell, lon_cell = key // 40_000 - 9000, key % 40_000 - 18_000
                assert localtime._timezone_at_cell(lat_cell, lon_cell) == truth[
                    lat_cell, lon_cell]  # fmt: skip
            assert asked == []
            assert len(localtime._CELL_ZONES) <= max(bound, len(keys))
        finally:
            localtime._CELL_ZONES.clear()
            localtime._CELL_ZONES.update(saved[0])


def test_a_cell_the_batch_lookup_leaves_open_is_settled_as_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cell `timezone_names_at` answers None for is asked of `certain_timezone_at`, as
    `_zone_of_cell` asks it; a finder without the batch lookup is asked cell by cell."""
    import numpy as np

    from geoleak.extract import localtime

    class Finder:
        def timezone_names_at(self, *, lngs: Any, lats: Any) -> list[str | None]:
            return [
                None if lat > 0 else f"batch {lat} {lng}"
                for lat, lng in zip(lats, lngs, strict=True)
            ]

        def certain_timezone_at(self, *, lng: float, lat: float) -> str:
            return f"certain {lat} {lng}"

    monkeypatch.setattr(localtime, "_finder", Finder())
    lats, lons = np.array([5, -7, 9000]), np.array([-18000, 1, 1])
    assert localtime._zones_of_cells(lats, lons) == [
        "certain 0.05 -180.0", "batch -0.07 0.01", "certain 90.0 0.01"]  # fmt: skip

    class Older:
        def timezone_at(self, *, lng: float, lat: float) -> str:
            return f"one {lat} {lng}"

    monkeypatch.setattr(localtime, "_finder", Older())
    assert localtime._zones_of_cells(lats[:2], lons[:2]) == [
        "one 0.05 -180.0", "one -0.07 0.01"]  # fmt: skip


def test_cells_zones_are_remembered_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """`timezones_of_cells` looks up only cells it has not seen, together, and forgets them
    all once `_CELL_ZONES_MAX` would be passed."""
    import numpy as np

    from geoleak.extract import localtime

    asked: list[list[int]] = []

    def lookup(lat_cells: Any, lon_cells: Any) -> list[str | None]:
        asked.append(lat_cells.tolist())
        return [
            f"z{lat},{lon}" for lat, lon in zip(lat_cells.tolist(), lon_cells.tolist(), strict=True)
        ]

    monkeypatch.setattr(localtime, "_zones_of_cells", lookup)
    monkeypatch.setattr(localtime, "_CELL_ZONES", {})
    monkeypatch.setattr(localtime, "_CELL_ZONES_MAX", 4)

    def keys(*cells: tuple[int, int]) -> Any:
        return np.array([localtime.cell_key(lat, lon) for lat, lon in cells])

    zones = localtime.timezones_of_cells
    assert zones(keys((1, 2), (-3, -4))) == ["z1,2", "z-3,-4"]
    assert zones(keys((1, 2), (5, 6), (-3, -4))) == ["z1,2", "z5,6", "z-3,-4"]
    assert asked == [[1, -3], [5]]
    assert zones(keys((7, 8), (9, -9))) == ["z7,8", "z9,-9"]  # (3 + 2 > 4)
    kept = keys((7, 8), (9, -9)).tolist()
    assert dict(localtime._CELL_ZONES) == {kept[0]: "z7,8", kept[1]: "z9,-9"}
