"""Plain located corpus lines read in columns: their evidence without a Post per line.

Most lines of a large corpus are `{"id", "author", "created_at", "lat", "lon"}` with a UTC
time written as "2025-04-13T05:11:00Z". For a batch of such lines the times are parsed and
checked, the time zones looked up (once per ~1 km cell) and the local times computed as
arrays; each line then costs its decode and the objects inference keeps (the Evidence, its
two times and its position). What `plain_geotags` gives for a line equals what the general
path gives for it (`parse_post`, `_sane_post`, `evidence_from_post`: tests/extract/
test_columns.py compares them); a line of any other shape, or whose time or position the
general path would warn about or drop, is left to that path (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import import_module
from itertools import compress, repeat
from operator import itemgetter
from typing import Any, NamedTuple, cast

import msgspec
import numpy as np
import orjson
from numpy.typing import NDArray

from geoleak.epoch import US_PER_S, from_naive_us, from_utc_s, naive_us
from geoleak.extract.evidence import DEFAULT_ACCURACY_M, SOURCE_WEIGHT
from geoleak.extract.evidence_columns import GeotagRows
from geoleak.extract.localtime import plausible_window, timezones_of_cells, to_local, zone
from geoleak.ingest.jsonl import PLAIN_FIELDS, decode_each, two_digit_values
from geoleak.types import Evidence, EvidenceSource, LatLon, LocalTimeBasis

__all__ = ["PlainGeotag", "plain_geotags", "plain_rows", "plain_rows_of", "plains_of_text"]

_UTC = timezone.utc
_SOURCE = EvidenceSource.GEOTAG
_ACCURACY_M = DEFAULT_ACCURACY_M[_SOURCE]
_WEIGHT = SOURCE_WEIGHT[_SOURCE]
_TIME_LENGTH = len("2025-04-13T05:11:00Z")
_DAY_S = 86_400
# Local-time offsets per (zone, UTC day) already known to hold all day (`_day_offset`;
# `_NOT_WHOLE` where it gives None: convert that day's times one by one), keyed by
# `(_zone_id(name) << _DAY_BITS) + day` (days since 1970 of plain lines' times, which lie
# in `plausible_window`: 0 <= day < _DAY_SPAN), so a batch's offsets are looked up by one
# `map` in C. Bounded: a few hundred zones times the days seen.
_DAY_BITS = 20
_DAY_SPAN = 1 << _DAY_BITS
_NOT_WHOLE = 1 << 40  # (no UTC offset is this many seconds)
_UNSEEN = -(1 << 40)
_DAY_OFFSETS: dict[int, int] = {}
_DAY_OFFSETS_MAX = 1_000_000
_ZONE_IDS: dict[str, int] = {}
_ZONE_NAMES: list[str] = []


# Evidence of a plain line is made by setting its fields directly (half the cost of the
# dataclass's __init__, whose checks these values pass by construction); if Evidence's
# fields ever differ from these, the constructor is used instead.
_FIELDS = ("post_id", "person", "position", "source", "accuracy_m", "time_utc", "local_time",
           "local_basis", "tz_name", "posted_at", "media_path", "device", "text", "weight")  # fmt: skip
_SETTERS = [getattr(Evidence, name).__set__ for name in _FIELDS]
_DIRECT = Evidence.__slots__ == _FIELDS


class _Plain(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A line that may be plain, as `msgspec` decodes it: an object with exactly the fields
    of `PLAIN_FIELDS` (a repeated one: its last value, as a dict keeps), the three texts
    strings and the position numbers kept as written, an int as an int and anything with a
    fraction or exponent as a float (`int | float`: a `float` field would take 1 for 1.0),
    so `plain_rows` can ask for floats as it asked of the dict `orjson` gave. Any other
    line (another field or one missing, null, a nested value, bad JSON, a lone surrogate,
    a number past a float's range, a repeated field of another type) fails to decode and
    is read by `_read_slowly`."""

    id: str
    author: str
    created_at: str
    lat: int | float
    lon: int | float


assert frozenset(_Plain.__struct_fields__) == PLAIN_FIELDS
_decode_plain = msgspec.json.Decoder(_Plain).decode
_decode_plains = msgspec.json.Decoder(list[tuple[_Plain]]).decode
_FIRST = itemgetter(0)
_SPLIT_BELOW = 32  # a run that fails to decode together is halved down to this many lines
# How msgspec names a field `_Plain` does not have (`forbid_unknown_fields`; tests check it).
_UNKNOWN_FIELD = "Object contains unknown field"


def _decoded(lines: list[str]) -> list[_Plain | None]:
    """Each line's `_Plain` (None: the line is not of that shape), a run decoded in one
    call when every line is one (`decode_each`; else in halves, then line by line)."""
    if len(lines) > 1:
        plains = decode_each(_decode_plains, lines)
        if plains is not None:
            return cast("list[_Plain | None]", plains)
        if len(lines) > _SPLIT_BELOW:
            half = len(lines) // 2
            return _decoded(lines[:half]) + _decoded(lines[half:])
    out: list[_Plain | None] = []
    for line in lines:
        try:
            out.append(_decode_plain(line))
        except msgspec.DecodeError as refused:
            # An object with a field of another name (a post's text, media, place) is not
            # plain to orjson either (its keys are not PLAIN_FIELDS): not read again.
            unknown = str(refused).startswith(_UNKNOWN_FIELD)
            out.append(None if unknown else _read_slowly(line))
    return out


def plains_of_text(text: str, count: int) -> list[_Plain | None] | None:
    """The `_Plain` of each of `count` lines given as `decode_each`'s text of them
    (`"[[" + "\n],[".join(lines) + "\n]]"`), decoded as `decode_each` decodes that text;
    None when it does not decode so (the caller then reads the lines themselves)."""
    try:
        arrays = _decode_plains(text)
    except msgspec.DecodeError:
        return None
    return list(map(_FIRST, arrays)) if len(arrays) == count else None


def _read_slowly(line: str) -> _Plain | None:
    """A line msgspec refuses, read as `orjson` reads it: some lines it takes are plain to
    orjson (a field repeated, its earlier value of another type: msgspec checks each)."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict or obj.keys() != PLAIN_FIELDS:
        return None
    fields = obj["id"], obj["author"], obj["created_at"], obj["lat"], obj["lon"]
    if tuple(map(type, fields)) != (str, str, str, float, float):
        return None
    return _Plain(*fields)


def _geotag_evidence(
    post_id: str, author: str, position: LatLon, created_at: datetime,
    local: datetime | None, tz_name: str | None,
) -> Evidence:  # fmt: skip
    basis = LocalTimeBasis.NONE if local is None else LocalTimeBasis.POSITION_TZ
    values = (post_id, author, position, _SOURCE, _ACCURACY_M, created_at, local, basis,
              tz_name, created_at, None, None, None, _WEIGHT)  # fmt: skip
    if not _DIRECT:
        fields: dict[str, Any] = dict(zip(_FIELDS, values, strict=True))
        return Evidence(**fields)
    made = object.__new__(Evidence)
    for setter, value in zip(_SETTERS, values, strict=True):
        setter(made, value)
    return made


class PlainGeotag(NamedTuple):
    """A plain line as the pipeline accounts it: the post's author, its UTC time and the one
    piece of evidence its geotag gives."""

    author: str
    created_at: datetime
    evidence: Evidence


def _days_from_civil(
    year: NDArray[np.int64], month: NDArray[np.int64], day: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's days_from_civil)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return np.asarray(era * 146_097 + doe - 719_468, dtype=np.int64)


def _civil_from_days(
    days: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(year, month, day) of days since 1970-01-01 (H. Hinnant's civil_from_days)."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + np.where(mp < 10, 3, -9)
    return yoe + era * 400 + (month <= 2), month, day


# What `_utc_seconds` reads a "YYYY-MM-DDTHH:MM:SSZ" text by: its two-digit pieces (the
# year's two, month, day, hour, minute, second) each as one little-endian uint16 at its
# offset in the text's 20 bytes (`_PAIRS`), and `_PAIR`, the value (0-99) of each uint16
# that is two ASCII digits (the first the low byte), -1 of any other; the separators'
# places and characters (the last, "Z", with "z" folded to it); tables of years (0-9999:
# every 4-digit year) and months (index: the month).
_PAIR: NDArray[np.int64] = two_digit_values()
_PAIR_NAMES = ("year_hi", "year_lo", "month", "day", "hour", "minute", "second")
_PAIRS = np.dtype({"names": list(_PAIR_NAMES), "formats": ["<u2"] * 7,
                   "offsets": [0, 2, 5, 8, 11, 14, 17], "itemsize": _TIME_LENGTH})  # fmt: skip
_SEPARATORS = ((4, ord("-")), (7, ord("-")), (10, ord("T")), (13, ord(":")), (16, ord(":")))
_YEARS = np.arange(10_000, dtype=np.int64)
_LEAP = (_YEARS % 4 == 0) & ((_YEARS % 100 != 0) | (_YEARS % 400 == 0))
_YEAR_DAYS = _days_from_civil(_YEARS, np.ones_like(_YEARS), np.ones_like(_YEARS))
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_MONTH_START = np.concatenate(([0], np.cumsum(_MONTH_DAYS[:-1])))


def _utc_seconds(texts: list[str]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Unix seconds of "YYYY-MM-DDTHH:MM:SSZ" texts (each exactly 20 characters) and whether
    each is such a time of a real date (what `datetime.fromisoformat` takes of that shape).

    In a few numpy calls for the batch (their count, not the rows, is what a batch of a
    few hundred lines costs): the texts as one block of bytes (a character that is not
    ASCII is read as "?", which no such time has), each two-digit piece read by one table
    lookup of its two bytes (`_PAIR`: -1 unless both are digits), the separators compared,
    the days from tables of years and months. (A product of the 20 characters with their
    place values in floats gave the same numbers at ~2.6 times the instructions.)"""
    joined = "".join(texts).encode("ascii", "replace")
    codes = np.frombuffer(joined, dtype=np.uint8).reshape(len(texts), _TIME_LENGTH)
    pairs = np.frombuffer(joined, dtype=_PAIRS)
    year_hi, year_lo, month, day, hour, minute, second = (
        _PAIR[pairs[name]] for name in _PAIR_NAMES
    )
    ok: NDArray[np.bool_] = (codes[:, 19] | 0x20) == ord("z")  # (z as Z)
    for at, char in _SEPARATORS:
        ok &= codes[:, at] == char
    lowest = np.minimum(np.minimum(year_hi, year_lo), np.minimum(month, day))
    ok &= np.minimum(lowest, np.minimum(np.minimum(hour, minute), second)) >= 0
    # (a text that is not such a time reads as all zeros: every table index in range)
    year, month, day = (year_hi * 100 + year_lo) * ok, month * ok, day * ok
    clock = (hour * 3600 + minute * 60 + second) * ok
    leap = _LEAP[year]
    known_month = np.clip(month, 1, 12)
    ok &= (year >= 1) & (known_month == month) & (day >= 1)
    ok &= day <= _MONTH_DAYS[known_month] + (leap & (month == 2))
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    days = _YEAR_DAYS[year] + _MONTH_START[known_month] + (leap & (known_month > 2)) + day - 1
    return days * _DAY_S + clock, ok


def _day_offset(name: str, day: int) -> int | None:
    """The UTC offset (s) zone `name` gives every moment of UTC day `day` (days since the
    epoch), when one offset holds all day and no wall time of the day is a repeated one;
    None otherwise (or for an unknown zone). Time zones change offset at most once a day."""
    tz = zone(name)
    if tz is None:
        return None
    start = datetime.fromtimestamp(day * _DAY_S, tz)
    offset = start.utcoffset()
    # A repeated wall time (fold 1) runs from a backward change to as long after it as
    # the clocks went back: if the day's first moment is not in one, none of the day is.
    # (A timedelta is days, seconds and microseconds, each of them whole and the last two
    # never negative: its whole seconds without a timedelta made to divide by.)
    if offset is None or start.fold or offset.microseconds:
        return None
    if datetime.fromtimestamp(day * _DAY_S + _DAY_S - 1, tz).utcoffset() != offset:
        return None
    return offset.days * _DAY_S + offset.seconds


# The transitions of every zone `_zone_id` has numbered, as sorted arrays (`_zone_table`):
# "key", a transition's `(_zone_id << _KEY_BITS) + _KEY_MID + its UTC second` (the second
# clipped to `_KEY_REACH`: a clipped one still lies before or after every day of a plain
# line), then a last key after every zone's; "offset" and "before", the offsets (s) after
# and before it; per zone id, "lo" where its transitions start, "count" how many it has (0:
# none known, its days are asked of `_day_offset`) and "fixed_after" (1: its offset after
# the last holds for ever). A new zone's are appended: its keys follow every older zone's.
_KEY_BITS = 37
_KEY_MID = 1 << 36
_KEY_REACH = (1 << 35) - 1
_LAST_KEY = (1 << 63) - 1


def _new_table() -> dict[str, NDArray[np.int64]]:
    """`_TABLE` of no zone."""
    return {
        "key": np.array([_LAST_KEY], dtype=np.int64),
        "offset": np.zeros(1, dtype=np.int64),
        "before": np.zeros(1, dtype=np.int64),
        "lo": np.zeros(0, dtype=np.int64),
        "count": np.zeros(0, dtype=np.int64),
        "fixed_after": np.zeros(0, dtype=np.int64),
    }


_TABLE = _new_table()


def _transitions(name: str) -> tuple[list[int], list[int], list[int], bool]:
    """Zone `name`'s transitions (UTC seconds), the offset (s) after each and before each,
    and whether the offset after the last holds for ever, as the standard library's
    zoneinfo reads them from the zone's file (its pure-Python twin of `ZoneInfo`, whose
    `fromutc` and `utcoffset` give what the C one gives; tests compare every day of the
    window in every zone). ([], [], [], False) where the zone is unknown or not read so."""
    try:
        _zoneinfo: Any = import_module("zoneinfo._zoneinfo")
        read = _zoneinfo.ZoneInfo.no_cache(name)
        times = list(read._trans_utc)
        after = [round(tti.utcoff.total_seconds()) for tti in read._ttinfos]
        if not isinstance(read._tz_after, _zoneinfo._ttinfo):
            fixed = None  # (a rule after the last transition)
        else:
            fixed = round(read._tz_after.utcoff.total_seconds())
        if len(times) >= 2:
            before = [round(read._tti_before.utcoff.total_seconds()), *after[:-1]]
    # (an unknown zone, or a zoneinfo without these: its days are asked one by one)
    except (ImportError, AttributeError, KeyError, OSError, TypeError, ValueError):
        return [], [], [], False
    if len(after) != len(times):
        return [], [], [], False
    if len(times) >= 2:
        return times, after, before, fixed == after[-1]
    if fixed is None or (times and after[0] != fixed):
        return [], [], [], False
    # No transition, or one after which the offset is the same for ever (`fromutc` then
    # gives the offset after it, no repeated wall time, from its second on): as two
    # transitions at the first one, neither repeating a wall time.
    first = times[0] if times else -_KEY_REACH
    return [first, first], [fixed, fixed], [fixed, fixed], True


def _zone_table(zone_ids: NDArray[np.int64]) -> dict[str, NDArray[np.int64]]:
    """The transitions' arrays (`_TABLE`), holding those of every zone in `zone_ids`. A
    table is never changed once made: a larger one replaces it (a caller holds a whole
    one, whatever another thread does)."""
    global _TABLE  # noqa: PLW0603  (one table of the process's zones, replaced as it grows)
    table = _TABLE
    known = len(table["lo"])
    if zone_ids.size == 0 or int(zone_ids.max()) < known:
        return table
    new = [_transitions(name) for name in _ZONE_NAMES[known:]]
    rows = len(table["key"]) - 1
    keys: list[int] = []
    lo, count, fixed_after = [], [], []
    for zone_id, (times, _, _, fixed) in enumerate(new, start=known):
        lo.append(rows + len(keys))
        count.append(len(times))
        fixed_after.append(int(fixed))
        base = (zone_id << _KEY_BITS) + _KEY_MID
        keys += [base + min(max(t, -_KEY_REACH), _KEY_REACH) for t in times]
    offsets = [offset for _, after, _, _ in new for offset in after]
    befores = [offset for _, _, before, _ in new for offset in before]
    grown: dict[str, NDArray[np.int64]] = {}
    for name, added, last in (("key", keys, _LAST_KEY), ("offset", offsets, 0),
                              ("before", befores, 0)):  # fmt: skip
        grown[name] = np.concatenate(
            (table[name][:-1], np.array(added, dtype=np.int64), np.array([last], dtype=np.int64))
        )
    for name, added in (("lo", lo), ("count", count), ("fixed_after", fixed_after)):
        grown[name] = np.concatenate((table[name], np.array(added, dtype=np.int64)))
    _TABLE = grown
    return grown


def _day_offsets(zone_ids: NDArray[np.int64], days: NDArray[np.int64]) -> NDArray[np.int64]:
    """`_day_offset` of many (zone, UTC day) pairs at once (zone ids of `_zone_id`, >= 0),
    from the zones' transitions (`_zone_table`): what `fromutc` does for the day's first
    and last second (the offset after the last transition at or before it; a repeated wall
    time while it is less than the offset's fall after that transition), with numpy.
    `_NOT_WHOLE` where the day is not one offset, `_UNSEEN` where the transitions do not
    answer (a zone without them, a day before its first transition or after its last
    when a rule follows it): those are asked of `_day_offset`."""
    table = _zone_table(zone_ids)
    start = days * _DAY_S
    end = start + (_DAY_S - 1)
    base = (zone_ids << _KEY_BITS) + _KEY_MID
    lo, count = table["lo"][zone_ids], table["count"][zone_ids]
    at_start = np.searchsorted(table["key"], base + start, side="right")
    at_end = np.searchsorted(table["key"], base + end, side="right")
    # (bisect_right's index in the zone's own list: `fromutc`'s `idx`)
    idx_start, idx_end = at_start - lo, at_end - lo
    answered = (count >= 2) & (idx_start >= 1) & (end < _KEY_REACH)
    answered &= (idx_end < count) | (table["fixed_after"][zone_ids] == 1)
    last = np.where(answered, at_start - 1, 0)
    offset = table["offset"][last]
    fall = table["before"][last] - offset
    since = start - (table["key"][last] - base)
    whole = (offset == table["offset"][np.where(answered, at_end - 1, 0)]) & ~(fall > since)
    out = np.where(whole, offset, _NOT_WHOLE)
    return np.asarray(np.where(answered, out, _UNSEEN), dtype=np.int64)


def _zone_id(name: str | None) -> int:
    """A number for zone `name` in this process (-1: no zone), for `_DAY_OFFSETS`."""
    if name is None:
        return -1
    found = _ZONE_IDS.get(name)
    if found is None:
        found = _ZONE_IDS[name] = len(_ZONE_NAMES)
        _ZONE_NAMES.append(name)
    return found


def _learn_offsets(pairs: list[int], offsets: list[int]) -> None:
    """Fill in `offsets[k]` where it is `_UNSEEN`: the offset `_DAY_OFFSETS` keeps for the
    (zone, UTC day) pair `pairs[k]` (`(_zone_id << _DAY_BITS) + day`), each distinct new
    pair's once, from the zones' transitions (`_day_offsets`) or, where they do not answer,
    `_day_offset` (`_NOT_WHOLE` for None, and for no zone), remembered (`_DAY_OFFSETS`
    cleared first when they would pass `_DAY_OFFSETS_MAX`)."""
    unseen = list(compress(range(len(offsets)), map(_UNSEEN.__eq__, offsets)))
    new = list(dict.fromkeys(map(pairs.__getitem__, unseen)))
    new_a = np.array(new, dtype=np.int64)
    zone_ids, days = new_a >> _DAY_BITS, new_a & (_DAY_SPAN - 1)
    zoned = zone_ids >= 0
    learnt = np.where(zoned, _day_offsets(np.where(zoned, zone_ids, 0), days), _NOT_WHOLE)
    found = dict(zip(new, learnt.tolist(), strict=True))
    for k in np.flatnonzero(learnt == _UNSEEN).tolist():
        offset = _day_offset(_ZONE_NAMES[int(zone_ids[k])], int(days[k]))
        found[new[k]] = _NOT_WHOLE if offset is None else offset
    if len(_DAY_OFFSETS) + len(found) > _DAY_OFFSETS_MAX:
        _DAY_OFFSETS.clear()
    _DAY_OFFSETS.update(found)
    for k in unseen:
        offsets[k] = found[pairs[k]]


def plain_geotags(lines: Sequence[tuple[str, str]]) -> list[PlainGeotag | None]:
    """For each (author, line): its `PlainGeotag` when the line is plain (`plain_rows`),
    else None."""
    out: list[PlainGeotag | None] = [None] * len(lines)
    rows = plain_rows(lines)
    if rows is None:
        return out
    rows_of = zip(rows.line, rows.post_id, rows.author, rows.lat.tolist(), rows.lon.tolist(),
                  rows.utc_s.tolist(), rows.local_us.tolist(), rows.has_local.tolist(),
                  rows.tz_name, strict=True)  # fmt: skip
    exact = rows.local_exact
    for k, (line, post_id, author, lat, lon, utc_s, local_us, has_local, tz_name) in enumerate(
        rows_of
    ):
        created_at = from_utc_s(utc_s)
        local = (exact.get(k) or from_naive_us(local_us)) if has_local else None
        evidence = _geotag_evidence(post_id, author, LatLon.checked(lat, lon), created_at, local,
                                    tz_name)  # fmt: skip
        out[line] = PlainGeotag(author, created_at, evidence)
    return out


def plain_rows(lines: Sequence[tuple[str, str]]) -> GeotagRows | None:
    """The plain lines among (author, line) pairs as columns (None when there is none).

    Plain: a JSON object with exactly the fields id, author, created_at, lat and lon; id and
    author non-empty strings; created_at "YYYY-MM-DDTHH:MM:SSZ" (a real date, in the range
    `implausible_time` passes without a conversion, not in the future); lat and lon floats in
    range and not (0, 0). `author` is the post's author as the reader gave it (the line's,
    or the one `--author` set). Each row's evidence (`GeotagRows.evidence`) equals what the
    general path gives for the line.
    """
    return plain_rows_of([author for author, _ in lines], [line for _, line in lines])


def plain_rows_of(
    given: list[str], texts: list[str], decoded: list[_Plain | None] | None = None
) -> GeotagRows | None:
    """`plain_rows` of the lines `texts`, each by the author `given` beside it; `decoded`:
    the lines' `_decoded` when the caller has it (`texts` is then not read)."""
    if decoded is None:
        decoded = _decoded(texts)
    at: list[int]
    if None not in decoded:  # (the common batch: every line decoded, checked in C maps)
        plains = cast("list[_Plain]", decoded)
        # (Fields read by comprehensions: a specialised attribute load, half the
        # instructions of `map` with an `attrgetter`.)
        ids, times = [plain.id for plain in plains], [plain.created_at for plain in plains]
        lats, lons = [plain.lat for plain in plains], [plain.lon for plain in plains]
        written = [plain.author for plain in plains]
        if (
            all(ids)
            and all(written)
            and set(map(len, times)) == {_TIME_LENGTH}
            and set(map(type, lats)) == {float}
            and set(map(type, lons)) == {float}
        ):
            at, authors = list(range(len(plains))), given
        else:
            at = []
    else:
        at = []
    if not at:
        at, ids, authors, times, lats, lons = [], [], [], [], [], []
        for k, (author, plain) in enumerate(zip(given, decoded, strict=True)):
            if (
                plain is None
                or not plain.id
                or not plain.author
                or len(plain.created_at) != _TIME_LENGTH
                or type(plain.lat) is not float
                or type(plain.lon) is not float
            ):
                continue
            at.append(k)
            ids.append(plain.id)
            authors.append(author)
            times.append(plain.created_at)
            lats.append(plain.lat)
            lons.append(plain.lon)
    if not at:
        return None
    utc_s, ok = _utc_seconds(times)
    earliest, first_sentinel = plausible_window()
    now_s = int(datetime.now(_UTC).timestamp())  # later than now: left to the general path
    ok &= (utc_s >= int(earliest.timestamp())) & (utc_s < int(first_sentinel.timestamp()))
    ok &= utc_s <= now_s
    # (np.fromiter: a list of floats to an array without np.array's look for its shape
    # and type, ~80 instructions an element less; the same values)
    lat_a = np.fromiter(lats, dtype=np.float64, count=len(lats))
    lon_a = np.fromiter(lons, dtype=np.float64, count=len(lons))
    ok &= (lat_a >= -90.0) & (lat_a <= 90.0) & (lon_a >= -180.0) & (lon_a <= 180.0)
    ok &= ~((np.abs(lat_a) < 1e-7) & (np.abs(lon_a) < 1e-7))  # Null Island: no evidence
    chosen = np.flatnonzero(ok)
    if chosen.size == 0:
        return None
    utc_s, lat_a, lon_a = utc_s[chosen], lat_a[chosen], lon_a[chosen]
    # The time zone of each ~1 km cell (as `timezone_at`: round() and np.rint both round
    # half to even), looked up once per distinct cell (keyed as `localtime.cell_key`).
    lat_cell = np.rint(lat_a * 100).astype(np.int64)
    lon_cell = np.rint(lon_a * 100).astype(np.int64)
    cells, cell_of = np.unique((lat_cell + 9000) * 40_000 + lon_cell + 18_000, return_inverse=True)
    names = timezones_of_cells(cells)
    cell_of = np.asarray(cell_of).reshape(-1)
    tz_names = cast("list[str | None]", np.array(names, dtype=object)[cell_of].tolist())
    # The offset of each (zone, UTC day) looked up in C (`_DAY_OFFSETS`); only the
    # pairs not seen yet go through `_day_offset`.
    zone_ids = np.array([_zone_id(name) for name in names], dtype=np.int64)
    pairs = (zone_ids[cell_of] << _DAY_BITS) + utc_s // _DAY_S
    pair_list = pairs.tolist()
    offsets = list(map(_DAY_OFFSETS.get, pair_list, repeat(_UNSEEN)))
    if _UNSEEN in offsets:
        _learn_offsets(pair_list, offsets)
    offset_a = np.fromiter(offsets, dtype=np.int64, count=len(offsets))
    known = offset_a != _NOT_WHOLE
    local_us = (utc_s + np.where(known, offset_a, 0)) * US_PER_S
    has_local = known.copy()
    exact: dict[int, datetime] = {}
    for k in np.flatnonzero(~known).tolist():
        # A day with a clock change (or an unknown zone): converted one by one.
        local = to_local(datetime.fromtimestamp(int(utc_s[k]), _UTC), tz_names[k])
        if local is not None:
            exact[k] = local
            has_local[k] = True
            local_us[k] = naive_us(local)
    if len(chosen) < len(at):
        picked = chosen.tolist()
        at, ids, authors = ([values[k] for k in picked] for values in (at, ids, authors))
    return GeotagRows(
        line=at,
        post_id=ids,
        author=authors,
        tz_name=tz_names,
        lat=lat_a,
        lon=lon_a,
        utc_s=utc_s,
        local_us=local_us,
        has_local=has_local,
        local_exact=exact,
        source=_SOURCE,
        accuracy_m=_ACCURACY_M,
        weight=_WEIGHT,
    )
