"""The posts JSONL corpus (formats.md section 1).

One JSON object per line. Bad lines are reported with file and line number and skipped;
unknown fields are kept in `Post.extra`; media paths are relative to the JSONL file and
must stay inside its folder, so a corpus from elsewhere cannot make geoleak read
arbitrary files.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime, timezone
from functools import lru_cache, partial
from itertools import compress, islice
from operator import attrgetter, itemgetter, length_hint, ne
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, ClassVar, NamedTuple, TypeVar, cast

import msgspec
import orjson

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.ingest.dedupe import DigestSet
from geoleak.jsonlimits import JsonLimitError, loads
from geoleak.paths import shown_path
from geoleak.types import EMPTY_EXTRA, LatLon, NamedPlace, Post

__all__ = [
    "CORPUS_SUFFIXES",
    "JsonlLine",
    "JsonlReader",
    "LineRun",
    "MediaPathGuard",
    "RunRequest",
    "UnparsedPost",
    "corpus_files",
    "decode_each",
    "deferred_parsing",
    "export_media_path",
    "line_identity",
    "parse_post",
    "parse_timestamp",
    "parse_unparsed",
    "safe_media_path",
]

KNOWN_FIELDS = frozenset({"id", "author", "created_at", "text", "lat", "lon", "place", "media"})
# A located post with nothing else (the bulk of a large corpus): `_plain_post` builds it.
PLAIN_FIELDS = frozenset({"id", "author", "created_at", "lat", "lon"})
_UTC = timezone.utc


class LineError(ValueError):
    """A corpus line that cannot be used; the message says why."""


def _iso_as_written(value: Any) -> datetime:
    """An ISO 8601 time with the offset it was written with (naive when it has none)."""
    if not isinstance(value, str) or not value.strip():
        raise LineError(f"created_at must be an ISO 8601 string, got {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise LineError(f"created_at {value!r} is not an ISO 8601 time") from None


def parse_timestamp(value: Any) -> tuple[datetime, bool]:
    """Parse an ISO 8601 time; returns (aware UTC datetime, whether it lacked an offset).

    A time without an offset is ambiguous; it is read as UTC and the caller warns once.
    """
    return _as_utc(_iso_as_written(value))


def _as_utc(parsed: datetime) -> tuple[datetime, bool]:
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc), True
    try:
        return parsed.astimezone(timezone.utc), False
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        raise LineError(f"created_at {parsed.isoformat()} is out of range in UTC") from None


def _finite(value: float) -> bool:
    """False for inf, nan and integers too large for a float (a 400-digit "latitude")."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _coordinate(obj: Mapping[str, Any], what: str) -> LatLon | None:
    lat, lon = obj.get("lat"), obj.get("lon")
    if type(lat) is float and type(lon) is float and -90 <= lat <= 90 and -180 <= lon <= 180:
        return LatLon.checked(lat, lon)  # the common case (NaN and inf fail the range test)
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise LineError(f"{what} has only one of lat and lon")
    if (
        isinstance(lat, bool)
        or isinstance(lon, bool)
        or not (isinstance(lat, (int, float)) and isinstance(lon, (int, float)))
    ):
        raise LineError(f"{what} lat/lon must be numbers, got {lat!r}, {lon!r}")
    if not (_finite(lat) and _finite(lon)):
        raise LineError(f"{what} lat/lon must be finite, got {lat!r}, {lon!r}")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise LineError(f"{what} lat/lon {lat}, {lon} is outside the valid range")
    return LatLon(float(lat), float(lon))


def _place(value: Any) -> NamedPlace | None:
    if value is None:
        return None
    if isinstance(value, str):
        return NamedPlace(value) if value.strip() else None
    if not isinstance(value, Mapping):
        raise LineError(f"place must be an object, got {type(value).__name__}")
    name = value.get("name")
    if name is not None and not isinstance(name, str):
        raise LineError(f"place.name must be a string, got {name!r}")
    centre = _coordinate(value, "place")
    bbox_raw = value.get("bbox")
    bbox: tuple[float, float, float, float] | None = None
    if bbox_raw is not None:
        if (
            not isinstance(bbox_raw, list)
            or len(bbox_raw) != 4
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox_raw)
            or not all(_finite(v) for v in bbox_raw)
        ):
            raise LineError("place.bbox must be [west, south, east, north] numbers")
        west, south, east, north = (float(v) for v in bbox_raw)
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
            raise LineError(f"place.bbox {bbox_raw} is outside the valid range")
        bbox = (west, south, east, north)
        if centre is None:
            # A bbox may cross the antimeridian (west > east): its centre wraps.
            span = (east - west) % 360.0
            centre_lon = (west + span / 2.0 + 180.0) % 360.0 - 180.0
            centre = LatLon((south + north) / 2.0, centre_lon)
    if not name and centre is None:
        return None
    return NamedPlace(name or "", centre, bbox)


class MediaPathGuard:
    """Keeps the media entries of one corpus inside its folder.

    The folder is resolved once; an entry is then checked lexically, and with one `lstat`
    per file (and per folder, the first time it is seen) for symlinks. Only entries with
    `..` or a symlink on the way are resolved in full, so a corpus of millions of media
    entries costs no `realpath` per entry.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root_resolved = root.resolve()
        self._root_text = str(self.root_resolved).rstrip("/")
        self._plain_dirs: set[str] = set()  # folders below root known to be no symlink

    def check(self, entry: Any) -> tuple[Path | None, str | None]:
        """(path, None) for an entry inside the folder, or (None, reason refused)."""
        path, refused = self.check_text(entry)
        return (None if path is None else Path(path)), refused

    def check_text(self, entry: Any) -> tuple[str | None, str | None]:
        """`check` with the path as text (as `str(Path)` gives it): what a post keeps, so
        the reader builds no `Path` per media entry."""
        if not isinstance(entry, str) or not entry.strip():
            return None, f"media entry {entry!r} is not a file path"
        if "\x00" in entry:
            return None, "media path contains a NUL byte"
        if entry.startswith(("/", "\\")) or entry[1:2] == ":":  # POSIX, UNC or drive (C:)
            return (
                None,
                f"media path {entry!r} is absolute; only paths inside the corpus folder are read",
            )
        # String work, not pathlib: this runs once per media entry of the corpus.
        parts = [part for part in entry.split("/") if part and part != "."]
        if ".." in parts:
            return self._resolved(entry)
        if not parts:
            return str(self.root_resolved), None
        prefix = ""
        for part in parts[:-1]:
            prefix = f"{prefix}/{part}" if prefix else part
            if prefix in self._plain_dirs:
                continue
            try:
                mode = os.lstat(f"{self._root_text}/{prefix}").st_mode
            except OSError:  # a folder that does not exist holds no symlink
                return f"{self._root_text}/{'/'.join(parts)}", None
            if stat.S_ISLNK(mode):
                return self._resolved(entry)
            self._plain_dirs.add(prefix)
        candidate = f"{self._root_text}/{'/'.join(parts)}"
        try:
            if stat.S_ISLNK(os.lstat(candidate).st_mode):
                return self._resolved(entry)
        except OSError:
            pass  # missing: reported as unreadable when its metadata is read
        return candidate, None

    def _resolved(self, entry: str) -> tuple[str | None, str | None]:
        candidate = (self.root / entry).resolve()
        try:
            candidate.relative_to(self.root_resolved)
        except ValueError:
            return None, f"media path {entry!r} leaves the corpus folder; refused"
        return str(candidate), None


def safe_media_path(root: Path, entry: Any) -> tuple[Path | None, str | None]:
    """Resolve a corpus media entry inside `root`; (path, None) or (None, reason refused).

    Absolute paths (POSIX or Windows style), paths with `..` that leave the folder and
    symlinks that point outside it are refused. Readers checking many entries of one
    folder keep a `MediaPathGuard` instead (the folder is resolved once).
    """
    return MediaPathGuard(root).check(entry)


def export_media_path(root: Path, entry: Any) -> tuple[Path | None, str | None]:
    """`safe_media_path` for a media path an export names (Meta's `uri`, Telegram's
    `photo`): one written on Windows (`media\\posts\\a.jpg`) is one file name on POSIX,
    so when no file has that name its backslashes are read as folder separators (the
    same checks then refuse `..\\..\\x` and `\\\\server\\x`)."""
    resolved, refused = safe_media_path(root, entry)
    if not isinstance(entry, str) or "\\" not in entry or os.sep == "\\":
        return resolved, refused
    if resolved is not None and resolved.is_file():
        return resolved, refused
    converted = entry.replace("\\", "/")
    windows, why = safe_media_path(root, converted)
    if windows is None:  # (the message names the entry as the export wrote it)
        return None, str(why).replace(repr(converted), repr(entry), 1)
    return windows, None


def _plain_post(obj: dict[str, Any], where: str) -> Post | None:
    """The Post of a line whose fields are among PLAIN_FIELDS, all well formed (string id
    and author, an ISO time with an offset, float lat and lon in range, or neither), built
    without `parse_post`'s general checks; None for anything else, which `parse_post` then
    reads (and words the error or warning for) as it reads every line. Equal to what
    `parse_post` builds for the same line (tests/ingest/test_plain_post.py compares)."""
    post_id, author = obj.get("id"), obj.get("author")
    if type(post_id) is not str or not post_id or type(author) is not str or not author:
        return None
    lat, lon = obj.get("lat"), obj.get("lon")
    if type(lat) is float and type(lon) is float:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        geotag: LatLon | None = LatLon.checked(lat, lon)
    elif lat is None and lon is None:
        geotag = None
    else:
        return None
    value = obj.get("created_at")
    if value is None:
        return Post(id=post_id, author=author, geotag=geotag, origin=where)
    if type(value) is not str:
        return None
    text = value.strip()
    if len(text) == 20 and text[10] == "T" and text[19] in "Zz":
        # "2025-04-13T05:11:00Z": UTC as written, what "+00:00" gives, without converting
        # (only this shape: Python 3.11 reads "2025-04-13+00:00" as naive, for one)
        try:
            utc = datetime.fromisoformat(text[:19])
        except ValueError:
            return None
        if utc.tzinfo is not None:
            return None
        return Post(
            id=post_id, author=author, created_at=utc.replace(tzinfo=_UTC), geotag=geotag,
            origin=where,
        )  # fmt: skip
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        written = datetime.fromisoformat(text)
    except ValueError:
        return None
    offset = written.utcoffset()
    if offset is None:  # naive: parse_post warns once per file
        return None
    try:
        created_at = written.astimezone(_UTC)
    except OverflowError:  # out of range in UTC: parse_post says so
        return None
    return Post(
        id=post_id,
        author=author,
        created_at=created_at,
        geotag=geotag,
        origin=where,
        posted_offset_h=offset.total_seconds() / 3600.0 if offset else None,
    )


def parse_post(
    obj: Any, *, where: str, root: Path, diag: Diagnostics, guard: MediaPathGuard | None = None
) -> Post:
    """Build a Post from one decoded JSON line; raises LineError when it is unusable.

    `guard` checks the media entries (one per corpus file saves resolving `root` per entry).
    """
    if type(obj) is dict and obj.keys() <= PLAIN_FIELDS:
        plain = _plain_post(obj, where)
        if plain is not None:
            return plain
    return _parse_post_general(obj, where=where, root=root, diag=diag, guard=guard)


def _parse_post_general(
    obj: Any, *, where: str, root: Path, diag: Diagnostics, guard: MediaPathGuard | None
) -> Post:
    """`parse_post` for every line, `_plain_post`'s included."""
    post_id, author = _id_and_author(obj)

    created_at = written = None
    if obj.get("created_at") is not None:
        written = _iso_as_written(obj["created_at"])  # parsed once: UTC and the offset as written
        created_at, naive = _as_utc(written)
        if naive:
            diag.warn_once(
                f"naive-time:{where.rsplit(':', 1)[0]}",
                f"{where}: created_at {obj['created_at']!r} has no UTC offset; "
                "times without an offset in this file are read as UTC",
                kind="naive-time",
            )
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise LineError(f"text must be a string, got {type(text).__name__}")

    try:
        geotag = _coordinate(obj, "geotag")
    except LineError as exc:
        diag.warn(f"{where}: post {post_id!r}: {exc}; geotag ignored", kind="bad-value")
        geotag = None
    try:
        place = _place(obj.get("place"))
    except LineError as exc:
        diag.warn(f"{where}: post {post_id!r}: {exc}; place ignored", kind="bad-value")
        place = None

    media_raw = _media_list(obj.get("media"))
    if media_raw is None:
        diag.warn(
            f"{where}: post {post_id!r}: media must be a list of paths; ignored", kind="bad-value"
        )
        media_raw = []
    media: list[str] = []
    for entry in media_raw:
        if guard is None:
            guard = MediaPathGuard(root)
        path, refused = guard.check_text(entry)
        if path is None:
            diag.warn(f"{where}: post {post_id!r}: {refused}", kind="unsafe-path")
        else:
            media.append(path)

    extra = (
        {}
        if obj.keys() <= KNOWN_FIELDS
        else {k: v for k, v in obj.items() if k not in KNOWN_FIELDS}
    )
    offset = written.utcoffset() if written is not None else None
    return Post(
        id=post_id,
        author=author,
        created_at=created_at,
        text=text,
        geotag=geotag,
        place=place,
        media=tuple(media),
        origin=where,
        extra=MappingProxyType(extra) if extra else EMPTY_EXTRA,
        posted_offset_h=offset.total_seconds() / 3600.0 if offset else None,
    )


def line_identity(obj: Any) -> tuple[str, str]:
    """(id, author) of a decoded line, with every check that makes `parse_post` skip a
    line (the same errors, in the same order) and none of its other work: what a reader
    must know of a line before it can tell a duplicate id (`UnparsedPost`)."""
    if type(obj) is dict:  # the common case, without the wording of every error
        post_id, author, value = obj.get("id"), obj.get("author"), obj.get("created_at")
        text = obj.get("text")
        if (
            type(post_id) is str
            and post_id
            and type(author) is str
            and author
            and (text is None or type(text) is str)
            and (value is None or (type(value) is str and _time_usable(value)))
        ):
            return post_id, author
    return _checked_identity(obj)


def _time_usable(value: str) -> bool:
    """Whether `_iso_as_written` and `_as_utc` take `value` (the same steps, no message)."""
    if len(value) == 20 and value[10] == "T" and value[19] in "Zz":
        # "2025-04-13T05:11:00Z", most corpora's shape: taken when its first 19 characters
        # read as a time without an offset (the "+00:00" `_iso_as_written` puts for the "Z"
        # then reads too, and a time at UTC+0 is never out of range in UTC; the test
        # compares). Anything else (an offset inside, spaces) takes the steps below.
        try:
            if datetime.fromisoformat(value[:19]).tzinfo is None:
                return True
        except ValueError:
            pass
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        _as_utc(datetime.fromisoformat(text))
    except ValueError:
        return False
    return True


class _PlainPlace(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A line's `place` object of the shape formats.md gives it (name, centre, bbox), as
    `_PlainLine` takes it: the reader reads nothing of it (`line_identity` does not), but
    a line whose place is of another shape is read as every line is, so what the fast
    path takes stays flat JSON that orjson takes too."""

    name: str | None = None
    lat: float | None = None
    lon: float | None = None
    bbox: list[float] | None = None


class _PlainLine(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A line of the plain shape, as `msgspec` decodes it: an object with these fields
    only, each of these types (a number is taken for a float; any other line fails to
    decode and is read as every line is). Nothing nests deeper than a place's bbox, so no
    depth limit is needed. What the reader needs of it is what `line_identity` reads.

    `place` is here because lines that name one (a few per cent of a scenario corpus's)
    otherwise failed their run's `decode_each`: on the 300-person photo corpus 56 % of
    the lines were then read one by one (issue 15, photoid)."""

    id: str
    author: str
    created_at: str | None = None
    text: str | None = None
    lat: float | None = None
    lon: float | None = None
    media: list[str] | str | None = None
    place: str | _PlainPlace | None = None


class _BareLine(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A plain line that names no text, media or place (a geotagged post: the shape of
    every line of `bench_scale`'s corpora), as `msgspec` decodes it: `_PlainLine` less
    those three fields, the others of the same types. It takes a line exactly when
    `_PlainLine` takes it and gives None for all three (no such key), with the same values
    of the rest; decoding it leaves no defaults to fill in and fewer fields to free (~0.3 k
    instructions a line fewer, with the media counted without a look)."""

    id: str
    author: str
    created_at: str | None = None
    lat: float | None = None
    lon: float | None = None
    media: ClassVar[None] = None  # (what `_PlainLine` gives such a line; not a field)


_T = TypeVar("_T")
_decode_plain = msgspec.json.Decoder(_PlainLine).decode
_decode_plains = msgspec.json.Decoder(list[tuple[_PlainLine]]).decode
_decode_bares = msgspec.json.Decoder(list[tuple[_BareLine]]).decode
_FIRST, _FIRST_19, _TZINFO = itemgetter(0), itemgetter(slice(0, 19)), attrgetter("tzinfo")


def decode_each(decode_many: Callable[[str], list[tuple[_T]]], lines: list[str]) -> list[_T] | None:
    """Each line as `decode_many` (a `msgspec.json.Decoder` of `list[tuple[T]]`) takes it
    alone, the lines decoded in one call; None when one of them is not a T (the caller
    then reads them one by one).

    Each line goes in an array of its own, closed after a line end of ours (`[[line 1`, a
    line end, `],[line 2`, ...): a string cannot run across a raw line end (JSON refuses
    one), and a T holds no array that a "[" may follow, so each "],[" between two lines
    ends one line's array; as many arrays as lines, each a tuple of one T, is what decoding
    each line alone gives.

    The text is made by one join, the brackets added to the first and last lines (the same
    text as `"[[" + "\n],[".join(lines) + "\n]]"`): each concatenation with the joined
    text copies the whole of it, a fresh large block each time (~0.1 us a line)."""
    if not lines:
        return None  # (what the decoder's one empty array gives: not as many as lines)
    pieces = lines.copy()
    pieces[0] = "[[" + pieces[0]
    pieces[-1] += "\n]]"
    try:
        arrays = decode_many("\n],[".join(pieces))
    except msgspec.DecodeError:
        return None
    return list(map(_FIRST, arrays)) if len(arrays) == len(lines) else None


def _times_usable(times: list[str | None]) -> bool:
    """Whether `_time_usable` takes every time (None: no time, taken), in a few calls in C
    for the common "2025-04-13T05:11:00Z" shape: its first 19 characters read as a time
    without an offset is `_time_usable`'s own first test (tests compare). Where every
    time is that shape of a real date and time (`_iso_z_times`, in numpy), without
    parsing each."""
    count = len(times)
    written = cast("list[str]", times)
    if times.count(None) == 0 and set(map(len, written)) == {20}:
        joined = "".join(written)
        if _iso_z_times(joined, count):
            return True
        if joined[10::20] == "T" * count and set(joined[19::20]) <= {"Z", "z"}:
            try:
                parsed = list(map(datetime.fromisoformat, map(_FIRST_19, written)))
            except ValueError:
                pass
            else:
                if not any(map(_TZINFO, parsed)):
                    return True
    return all(value is None or _time_usable(value) for value in times)


@lru_cache(maxsize=1)
def _iso_z_tables() -> tuple[Any, Any, Any, Any, Any]:
    """`_iso_z_times`' tables (numpy: imported when first asked for): the time's two-digit
    pieces as little-endian uint16 at their offsets (and the year's four bytes as one
    uint32); by a piece's uint16 (two ASCII digits, the first the low byte): its value
    (-1: not two digits), a month's days (February's 29; 0: not a month), a day's value
    less one (255: not a day from 1), whether an hour is below 24."""
    import numpy as np

    pieces = np.dtype({"names": ["year", "year_hi", "year_lo", "month", "day", "hour"],
                       "formats": ["<u4", "<u2", "<u2", "<u2", "<u2", "<u2"],
                       "offsets": [0, 0, 2, 5, 8, 11], "itemsize": 20})  # fmt: skip
    value = two_digit_values()
    month_days = np.zeros(1 << 16, dtype=np.uint8)
    for month, days in enumerate((31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1):
        month_days[_digit_pair(month)] = days
    day_less_one = np.full(1 << 16, 255, dtype=np.uint8)
    for day in range(1, 100):
        day_less_one[_digit_pair(day)] = day - 1
    hour_ok = np.zeros(1 << 16, dtype=np.bool_)
    for hour in range(24):
        hour_ok[_digit_pair(hour)] = True
    return pieces, value, month_days, day_less_one, hour_ok


@lru_cache(maxsize=4)
def _iso_z_columns(count: int) -> tuple[Any, Any, Any]:
    """`_iso_z_times`' column checks for `count` times, as flat rows of `count` x 20 bytes
    (against a 20-byte row broadcast over the times numpy loops a row at a time: ~5 times
    the instructions): the fold of column 19 (z to Z's case), each column's lowest
    character, each column's span above it."""
    import numpy as np

    fold = np.zeros(20, dtype=np.uint8)
    fold[19] = 0x20
    low = np.frombuffer(b"0000-00-00T00:00:00z", dtype=np.uint8)
    high = np.frombuffer(b"9999-19-39T29:59:59z", dtype=np.uint8)
    return np.tile(fold, count), np.tile(low, count), np.tile(high - low, count)


@lru_cache(maxsize=1)
def two_digit_values() -> Any:
    """By a text's two bytes read as one little-endian uint16 (the first the low byte): the
    value (0-99) of two ASCII digits, -1 of any other (a numpy int64 array of 65,536; the
    same table `_iso_z_times` and `columns._utc_seconds` read)."""
    import numpy as np

    value = np.full(1 << 16, -1, dtype=np.int64)
    for number in range(100):
        value[_digit_pair(number)] = number
    value.flags.writeable = False  # (shared by its readers)
    return value


def _digit_pair(number: int) -> int:
    """The little-endian uint16 of `number`'s (0-99) two ASCII digits."""
    return (ord("0") + number // 10) | ((ord("0") + number % 10) << 8)


def _iso_z_times(joined: str, count: int) -> bool:
    """Whether `joined` is `count` times of 20 characters, each "YYYY-MM-DDTHH:MM:SS" then
    "Z" or "z" of a real date from year 1 and a real time: each one `_time_usable` takes
    by its first test (`datetime.fromisoformat` of the first 19 characters gives a time
    without an offset), checked as one block of bytes in a few numpy calls (a character
    that is not ASCII is read as "?", which no such time has): each column against its
    lowest and highest character, then the month, day and hour each by one table lookup
    of its two bytes, the year's four bytes against "0000", and the year of a 29 February
    looked up only where there is one (~380 instructions a time; a product of the
    characters with their place values in floats, the columns checked a row at a time,
    cost ~1,000). False says only that some time is not of that shape (`_times_usable`
    then asks the slower way)."""
    import numpy as np

    pieces, value, month_days, day_less_one, hour_ok = _iso_z_tables()
    text = joined.encode("ascii", "replace")
    codes = np.frombuffer(text, dtype=np.uint8)
    if codes.size != 20 * count:
        return False
    fold, low, span = _iso_z_columns(count)
    if not (((codes | fold) - low) <= span).all():  # (uint8: below the lowest wraps high)
        return False
    times = np.frombuffer(text, dtype=pieces)
    month, day = times["month"], times["day"]
    if not (day_less_one[day] < month_days[month]).all() or not hour_ok[times["hour"]].all():
        return False
    if (times["year"] == _YEAR_ZERO).any():
        return False
    leap_day = (month == _FEBRUARY) & (day == _TWENTY_NINTH)
    if not leap_day.any():
        return True
    years = value[times["year_hi"][leap_day]] * 100 + value[times["year_lo"][leap_day]]
    return bool(((years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))).all())


# (`_iso_z_times`: year "0000" as one little-endian uint32, "02" and "29" as pieces.)
_YEAR_ZERO = int.from_bytes(b"0000", "little")
_FEBRUARY, _TWENTY_NINTH = _digit_pair(2), _digit_pair(29)


def _media_entries(media: Any) -> int:
    """How many media entries a line names (before checks): a list's length, one for a
    single path."""
    return len(media) if isinstance(media, list) else int(isinstance(media, str))


def _entries_of(media: list[list[str] | str | None]) -> list[int]:
    """`_media_entries` of each of lines' `media` (as `_PlainLine` has it), in C unless a
    line names a single path as text: a list's `length_hint` is its length, None's 0."""
    if media.count(None) == len(media):
        return [0] * len(media)
    if str in set(map(type, media)):
        return list(map(_media_entries, media))
    return list(map(length_hint, media))


# `_deferred_identity`'s `plain` when the line is to be decoded there.
_DECODE = object()


def _deferred_identity(
    line: str, where: str, diag: Diagnostics, plain: Any = _DECODE
) -> tuple[str, str, int] | None:
    """(id, author as written, media entries) of a line `deferred_parsing` keeps, or None
    with the warning that says why it is skipped (its id not yet checked for repeats).
    `plain`: the line's `_PlainLine` when already decoded (None: it is not one)."""
    if plain is _DECODE:
        # The common line, decoded and its types checked in C: the checks below give it
        # what `line_identity` gives (tests compare).
        try:
            plain = _decode_plain(line)
        except msgspec.DecodeError:
            plain = None
    if (
        plain is not None
        and plain.id
        and plain.author
        and (plain.created_at is None or _time_usable(plain.created_at))
    ):
        return plain.id, plain.author, _media_entries(plain.media)
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        obj = _decoded_slowly(line, where, diag)
        if obj is _UNREADABLE:
            return None
    try:
        post_id, written = line_identity(obj)
    except (LineError, ValueError) as exc:
        diag.warn(f"{where}: {exc}; line skipped", kind="bad-line")
        return None
    return post_id, written, _media_entries(obj.get("media"))


def _kept_identity(
    line: str, where: str, diag: Diagnostics, seen_ids: _PostIds, plain: Any = _DECODE
) -> tuple[str, str, int] | None:
    """`_deferred_identity` of a line whose id is not a repeat (`seen_ids` then holds it),
    or None with the warning that says why the line is skipped."""
    found = _deferred_identity(line, where, diag, plain)
    if found is not None and not seen_ids.add(hash(found[0])):
        _warn_duplicate(diag, where, found[0])
        return None
    return found


def _warn_duplicate(diag: Diagnostics, where: str, post_id: str) -> None:
    diag.warn(f"{where}: duplicate post id {post_id!r}; line skipped", kind="bad-line")


def _id_and_author(obj: Any) -> tuple[str, str]:
    """A line's post id (a number read as text) and author; LineError when either is
    missing or not text, or the line is not an object."""
    if not isinstance(obj, dict):
        raise LineError(f"expected a JSON object, got {type(obj).__name__}")
    post_id, author = obj.get("id"), obj.get("author")
    if post_id is None or post_id == "":
        raise LineError("missing required field 'id'")
    if author is None or author == "":
        raise LineError("missing required field 'author'")
    if isinstance(post_id, (int, float)) and not isinstance(post_id, bool):
        post_id = str(post_id)
    if not isinstance(post_id, str):
        raise LineError(f"id must be a string, got {post_id!r}")
    if not isinstance(author, str):
        raise LineError(f"author must be a string, got {author!r}")
    return post_id, author


def _checked_identity(obj: Any) -> tuple[str, str]:
    post_id, author = _id_and_author(obj)
    if obj.get("created_at") is not None:
        _as_utc(_iso_as_written(obj["created_at"]))
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise LineError(f"text must be a string, got {type(text).__name__}")
    return post_id, author


class UnparsedPost(NamedTuple):
    """A corpus line whose `parse_post` is left to the process that uses the post: the
    reader checked it as far as skipping and duplicate ids go (`line_identity`).
    `parse_unparsed` makes the Post (`geoleak.pipeline` parses each line in the worker that
    holds its author, not in the reading process).

    Not a `Post`: a tuple costs the reading process a tenth of a frozen dataclass, and the
    first five fields are what travels to the worker (`as_line`)."""

    author: str
    origin: str  # "file:line"
    line: str
    root: str  # the corpus folder: media entries are relative to it
    renamed: bool  # the author was given by the caller (--author), not the line
    id: str
    media_entries: int  # how many media entries the line names (before checks)

    def as_line(self) -> JsonlLine:
        """What `parse_unparsed` needs of it, also as it travels to another process (a
        plain tuple pickles and unpickles several times faster than a Post)."""
        return self[:5]  # (a slice of a tuple is a plain tuple)


# An unparsed line: (author, origin "file:line", the line, corpus folder, author renamed).
JsonlLine = tuple[str, str, str, str, bool]


# `UnparsedPost(*fields)` as `JsonlReader.read` yields it under `deferred_parsing`, in place
# of the Post: `tuple.__new__` is a call in C, the NamedTuple's own constructor a Python
# function (~3 times the cost, per line). Typed as giving the Post it stands in for.
_unparsed: Callable[[tuple[str, str, str, str, bool, str, int]], Post]
_unparsed = partial(tuple.__new__, UnparsedPost)  # type: ignore[assignment]


class LineRun(NamedTuple):
    """Usable lines of one JSONL file, in order, left unparsed: what `JsonlReader.read`
    yields under `deferred_parsing(runs=...)` in place of as many `UnparsedPost`s, in
    columns (no tuple, no "file:line" text and no generator step per line). Line k is
    `UnparsedPost(authors[k], f"{prefix}{numbers[k]}", lines[k], root, renamed, ...)`."""

    lines: list[str]  # as read, line end included
    authors: list[str]  # each post's author: the line's, or the one the caller gave
    numbers: Sequence[int]  # each line's number in its file
    entries: list[int]  # media entries each line names (before checks)
    prefix: str  # "file:": a line's origin is the prefix and its number
    root: str  # the corpus folder: media entries are relative to it
    renamed: bool  # the authors were given by the caller (--author), not the lines
    # Each line holds "\n" at most as its last character: lines as a text file's
    # iteration gives them (any newline mode splits at every "\n"). The JSONL reader's runs
    # say so; another maker of runs leaves it False.
    newline_last: bool = False

    def line(self, k: int) -> JsonlLine:
        """Line k as `UnparsedPost.as_line` gives it (for `parse_unparsed`)."""
        return (self.authors[k], f"{self.prefix}{self.numbers[k]}", self.lines[k], self.root,
                self.renamed)  # fmt: skip


class RunRequest:
    """How many usable lines the caller takes next (`room`, at least 1): under
    `deferred_parsing(runs=request)` a JSONL reader yields runs of at most that many lines,
    and reads no line past the last one it yields, so its warnings come where a reader
    that yields line by line gives them. The caller sets `room` before each item it asks
    for."""

    __slots__ = ("room",)

    def __init__(self, room: int) -> None:
        self.room = room


# Whether JsonlReader.read yields UnparsedPost (set by `deferred_parsing`), and the
# request it yields runs of lines for.
_DEFERRED: ContextVar[bool] = ContextVar("geoleak_jsonl_deferred", default=False)
_RUNS: ContextVar[RunRequest | None] = ContextVar("geoleak_jsonl_runs", default=None)


@contextmanager
def deferred_parsing(runs: RunRequest | None = None) -> Iterator[None]:
    """While open, `JsonlReader.read` yields an `UnparsedPost` per usable line, in place of
    its Post (skipped lines and duplicate ids are still reported as it reads); the caller
    passes each `as_line()` to `parse_unparsed`, which gives the Post `read` would have given
    and the line's warnings. With `runs`, it yields `LineRun`s (`RunRequest` says how long)
    in place of the `UnparsedPost`s; other readers yield what they yield."""
    token = _DEFERRED.set(True)
    runs_token = _RUNS.set(runs)
    try:
        yield
    finally:
        _RUNS.reset(runs_token)
        _DEFERRED.reset(token)


# Lines of a run that fails `decode_each` are read again in halves down to this many, then
# one by one: a bad line costs its neighbours a few more decodes, not the whole run.
_RUN_SPLIT = 32


def _one_text_each(written: list[str]) -> list[str]:
    """`written` with each equal text as one object (its first's), as
    `map(names.setdefault, written, written)` gives it: a person's lines come in runs, so
    neighbours are compared (no hash of each) and only a run's first text is looked up."""
    if not written:
        return []
    names: dict[str, str] = {}
    ends = [*compress(range(1, len(written)), map(ne, written[1:], written)), len(written)]
    authors: list[str] = []
    start = 0
    for end in ends:
        name = written[start]
        authors += [names.setdefault(name, name)] * (end - start)
        start = end
    return authors


class _RunReader:
    """`JsonlReader.read`'s runs (`deferred_parsing(runs=...)`): lines decoded and checked
    many at a time where they are all of the plain shape, else one by one as `read` reads
    them, with the same warnings in the same order and the same ids kept."""

    def __init__(
        self, diag: Diagnostics, seen_ids: _PostIds, prefix: str, root: str, author: str | None
    ) -> None:
        self.diag, self.seen_ids, self.prefix = diag, seen_ids, prefix
        self.root, self.author = root, author
        self.lines: list[str] = []
        self.authors: list[str] = []
        self.numbers: list[int] = []
        self.entries: list[int] = []
        # Whether a chunk is decoded as `_BareLine`s first: until a chunk of plain lines
        # is not (its lines name text, media or a place), then `_PlainLine`s only.
        self.bare = True

    def runs(self, handle: IO[str], request: RunRequest) -> Iterator[LineRun]:
        number = 0  # lines read so far
        while True:
            want = request.room
            while len(self.lines) < want:
                chunk = list(islice(handle, want - len(self.lines)))
                if not chunk:
                    self.seen_ids.done(number)
                    break
                self.take(chunk, number + 1)
                number += len(chunk)
                self.seen_ids.read(number)
            if not self.lines:
                return
            given = self.authors if self.author is None else [self.author] * len(self.lines)
            yield LineRun(self.lines, given, self.numbers, self.entries, self.prefix, self.root,
                          self.author is not None, True)  # fmt: skip
            self.lines, self.authors, self.numbers, self.entries = [], [], [], []

    def take(self, chunk: list[str], first: int) -> None:
        """Read `chunk`, lines `first`, `first + 1`, ... of the file."""
        plains: list[_BareLine] | list[_PlainLine] | None = None
        if self.bare:
            plains = decode_each(_decode_bares, chunk)
        bare = plains is not None
        if not bare:
            plains = decode_each(_decode_plains, chunk)
            # (plain lines that are not bare: the file's are not read as bare again, so a
            # failed try costs a chunk's decode once a file; a bad line does not stop it)
            self.bare = self.bare and plains is None
        if plains is None:
            if len(chunk) > _RUN_SPLIT:
                half = len(chunk) // 2
                self.take(chunk[:half], first)
                self.take(chunk[half:], first + half)
            else:
                for k, line in enumerate(chunk):
                    self.take_one(line, first + k, _DECODE)
            return
        # (A struct's fields read by comprehensions: a specialised attribute load, half the
        # instructions of `map` with an `attrgetter`, which looks the name up each time.)
        ids = [plain.id for plain in plains]
        # One text per author of the chunk (a person's lines come in runs): the shards get
        # the lines' authors pickled once each, not once a line.
        authors = _one_text_each([plain.author for plain in plains])
        if not (
            all(ids) and all(authors) and _times_usable([plain.created_at for plain in plains])
        ):
            for k, (line, plain) in enumerate(zip(chunk, plains, strict=True)):
                self.take_one(line, first + k, plain)
            return
        entries = [0] * len(chunk) if bare else _entries_of([plain.media for plain in plains])
        new = self.seen_ids.add_many(list(map(hash, ids)))
        if all(new):
            self.lines += chunk
            self.authors += authors
            self.numbers += range(first, first + len(chunk))
            self.entries += entries
            return
        for k, line in enumerate(chunk):
            if new[k]:
                self.keep(line, authors[k], first + k, entries[k])
            else:
                _warn_duplicate(self.diag, f"{self.prefix}{first + k}", ids[k])

    def take_one(self, line: str, number: int, plain: Any) -> None:
        """One line, as `read` reads it line by line (`plain`: `_deferred_identity`'s)."""
        if not line.strip():
            return
        found = _kept_identity(line, f"{self.prefix}{number}", self.diag, self.seen_ids, plain)
        if found is not None:
            self.keep(line, found[1], number, found[2])

    def keep(self, line: str, author: str, number: int, entries: int) -> None:
        self.lines.append(line)
        self.authors.append(author)
        self.numbers.append(number)
        self.entries.append(entries)


def parse_unparsed(
    unparsed: JsonlLine, diag: Diagnostics, guards: dict[str, MediaPathGuard]
) -> Post | None:
    """The Post of a line `JsonlReader.read` left unparsed (`UnparsedPost.as_line`), with
    the warnings `read` gives for it (into `diag`); None, with a warning naming file and
    line, when it cannot be used after all. `guards` keeps one MediaPathGuard per corpus
    folder across calls."""
    author, where, line, root, renamed = unparsed
    guard = guards.get(root)
    if guard is None:
        guard = guards[root] = MediaPathGuard(Path(root))
    try:
        parsed = parse_post(loads_line(line), where=where, root=guard.root, diag=diag,
                            guard=guard)  # fmt: skip
    except (LineError, ValueError, RecursionError) as exc:
        # Not reached by lines `line_identity` passed; kept so that such a line is reported
        # and skipped rather than stopping the run.
        diag.warn(f"{where}: {exc}; line skipped", kind="bad-line")
        return None
    return replace(parsed, author=author) if renamed else parsed


def loads_line(line: str) -> Any:
    """One JSON value: orjson (several times faster than json on corpus lines), with json
    for what orjson refuses but Python's json reads (NaN, integers past 64 bits) and for
    its error messages."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return loads(line, "line")  # within geoleak.jsonlimits (depth, size, huge integers)


_UNREADABLE = object()


def _decoded_slowly(line: str, where: str, diag: Diagnostics) -> Any:
    """A line orjson refuses: `loads_line`'s fallback (json: NaN, integers past 64 bits),
    or `_UNREADABLE` with the warning that says why the line is skipped."""
    try:
        return loads(line, "line")  # within geoleak.jsonlimits (depth, size, huge integers)
    except JsonLimitError:
        diag.warn(
            f"{where}: JSON nested too deeply or a value too large; line skipped", kind="bad-line"
        )
    except json.JSONDecodeError as exc:
        diag.warn(f"{where}: not valid JSON ({exc.msg}); line skipped", kind="bad-line")
    except RecursionError:
        diag.warn(f"{where}: JSON nested too deeply; line skipped", kind="bad-line")
    return _UNREADABLE


# Post ids of one JSONL file held as digests before the rest of the file is read ahead for
# the ids it repeats (`_PostIds`): ~11 bytes an id (`DigestSet`), so ~45 MiB at most.
IDS_HELD = 1 << 22
# Digests of the read-ahead counted in memory before they go to disk (8 bytes each).
_AHEAD_FLUSH = 1 << 20


class _Unheard(Diagnostics):
    """Diagnostics that keep nothing: the read-ahead meets every bad line the reader then
    warns about."""

    def warn(self, message: str, *, kind: str = "other") -> None:
        pass

    def warn_once(self, key: str, message: str, *, kind: str = "other") -> None:
        pass


class _PostIds:
    """The post ids of one JSONL file kept so far, as digests (`hash` of the id's text:
    compared within this process only), in memory that does not grow with the file.

    The first `IDS_HELD` ids kept are held (`DigestSet`). Once the reader has read past
    them, the rest of the file is read ahead once, each line's id taken as the reader
    takes it (`deferred`: `_deferred_identity`, else `_id_and_author` of the decoded
    line; a line the reader skips may give one too: it only adds a digest), and their
    digests are counted on disk (`_repeated_digests`); only those that occur more than once
    there stay in memory (`repeats`). A later id is then a repeat when it is held, or
    when it is one of `repeats` kept since (`later`); any other occurs once in the rest,
    at this line, so it is new. The same lines are kept and warned about as with every
    id held. The file must not change while it is read: when the read-ahead opens
    another file by its name (replaced), or the reader meets a different end than the
    read-ahead did (lines added or cut), CorpusError says so, not repeats left unwarned.
    """

    def __init__(self, path: Path, deferred: bool) -> None:
        self.path, self.deferred = path, deferred
        self.held = DigestSet()
        self.repeats: Any = None  # numpy int64, sorted, once read ahead
        self.later = DigestSet()
        self.handle: IO[str] | None = None  # the reader's (`opened`)
        self.ahead: tuple[int, int] | None = None  # the file's lines and size, read ahead

    def opened(self, handle: IO[str]) -> None:
        """The reader reads the file through `handle`."""
        self.handle = handle

    def _file(self, handle: IO[str]) -> os.stat_result:
        return os.fstat(handle.fileno())

    def _changed(self) -> CorpusError:
        return CorpusError(
            f"{self.path}: changed while it was read (lines added, cut or the file replaced); "
            "read it again once nothing writes to it"
        )

    def done(self, lines: int) -> None:
        """The reader met the file's end after `lines` lines: CorpusError when the
        read-ahead met another (the file changed in between)."""
        if self.ahead is None or self.handle is None:
            return
        if (lines, self._file(self.handle).st_size) != self.ahead:
            raise self._changed()

    def add(self, key: int) -> bool:
        """Keep `key`; False when it was kept already."""
        if self.repeats is None:
            return self.held.add(key)
        # `add_many`'s test for one key, without its arrays (the line-by-line reader)
        repeats = self.repeats
        at = int(repeats.searchsorted(key))
        again = at < len(repeats) and int(repeats[at]) == key
        return key not in self.held and (not again or self.later.add(key))

    def add_many(self, keys: Sequence[int]) -> list[bool]:
        """`add` of each key in order (what each returned)."""
        if self.repeats is None:
            return self.held.add_many(keys)
        import numpy as np

        repeats = self.repeats
        wanted = np.array(keys, dtype=np.int64)
        at = np.minimum(np.searchsorted(repeats, wanted), max(len(repeats) - 1, 0))
        repeated = (repeats[at] == wanted).tolist() if len(repeats) else [False] * len(keys)
        add = self.later.add
        return [
            not held and (not again or add(key))
            for key, held, again in zip(keys, self.held.contains_many(keys), repeated, strict=True)
        ]

    def read(self, lines: int) -> None:
        """The reader has read `lines` lines of the file (and kept the ids of those it
        keeps): past `IDS_HELD` ids the rest is read ahead (once)."""
        if self.repeats is None and len(self.held) >= IDS_HELD:
            self.repeats = _repeated_digests(self._ids_after(lines), self.path)

    def _ids_after(self, lines: int) -> Iterator[list[int]]:
        """The digests of the ids of the file's lines after the first `lines`, a chunk of
        lines at a time."""
        unheard = _Unheard()
        with _open_text(self.path) as handle:
            if self.handle is not None:
                ours, theirs = self._file(handle), self._file(self.handle)
                if (ours.st_dev, ours.st_ino) != (theirs.st_dev, theirs.st_ino):
                    raise self._changed()
            for _ in islice(handle, lines):
                pass
            while chunk := list(islice(handle, 512)):
                lines += len(chunk)
                ids = _deferred_ids(chunk, unheard) if self.deferred else _read_ids(chunk, unheard)
                yield [hash(post_id) for post_id in ids if post_id is not None]
            self.ahead = (lines, self._file(handle).st_size)


def _deferred_ids(chunk: list[str], diag: Diagnostics) -> list[str | None]:
    """The id `_RunReader.take` (and `_kept_identity`) takes for each line (before it
    looks for repeats), or None for a line it skips."""
    plains = decode_each(_decode_plains, chunk)
    if plains is None:
        found = [_deferred_identity(line, "", diag) for line in chunk]
        return [None if f is None else f[0] for f in found]
    ids: list[str | None] = [plain.id for plain in plains]
    authors = [plain.author for plain in plains]
    if all(ids) and all(authors) and _times_usable([plain.created_at for plain in plains]):
        return ids
    found = [
        _deferred_identity(line, "", diag, plain) for line, plain in zip(chunk, plains, strict=True)
    ]
    return [None if f is None else f[0] for f in found]


def _read_ids(chunk: list[str], diag: Diagnostics) -> list[str | None]:
    """The id of each line as `JsonlReader.read` reads it in full (`_id_and_author` of
    the decoded line, which `parse_post` gives its Post), or None."""
    ids: list[str | None] = []
    for line in chunk:
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            obj = _decoded_slowly(line, "", diag)
        try:
            ids.append(None if obj is _UNREADABLE else _id_and_author(obj)[0])
        except (LineError, ValueError):
            ids.append(None)
    return ids


def _repeated_digests(chunks: Iterable[list[int]], source: Path) -> Any:
    """The digests that occur more than once in `chunks` (the ids of file `source`),
    sorted (numpy int64), counted in memory that does not grow with their number: they go
    to disk in 256 parts by their top 8 bits, `_AHEAD_FLUSH` at a time, and each part is
    sorted on its own. A part that cannot be written is CorpusError naming the folder
    (not the file, which reads fine)."""
    import tempfile  # (with shutil, random, bz2 and lzma: only for files this long)

    import numpy as np

    found: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="geoleak-ids-") as folder:
        parts = [Path(folder) / f"{part:03d}" for part in range(256)]
        pending: list[Any] = []
        size = 0

        def flush() -> None:
            spilled = np.concatenate(pending)
            spilled.sort()
            bounds = np.searchsorted(spilled >> 56, np.arange(-128, 129)).tolist()
            try:
                for part, path in enumerate(parts):
                    if bounds[part] < bounds[part + 1]:
                        with path.open("ab") as out:
                            out.write(spilled[bounds[part] : bounds[part + 1]].tobytes())
            except OSError as exc:
                raise CorpusError(
                    f"{source}: its post ids (a file this long is read ahead for repeated ids) "
                    f"cannot be written to the temporary folder {folder}: {exc.strerror or exc}; "
                    "free space there or name a folder with room in TMPDIR"
                ) from None
            pending.clear()

        for chunk in chunks:
            pending.append(np.array(chunk, dtype=np.int64))
            size += len(chunk)
            if size >= _AHEAD_FLUSH:
                flush()
                size = 0
        if pending:
            flush()
        for path in parts:
            if path.exists():
                kept = np.fromfile(path, dtype=np.int64)
                kept.sort()
                again = kept[1:][kept[1:] == kept[:-1]]
                if len(again):
                    found.append(np.unique(again))
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


CORPUS_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")


def _media_list(media: Any) -> list[Any] | None:
    """A line's `media` as its list of entries (one path given as text: one entry; none:
    no entry), or None where it is neither a list nor text (`parse_post` warns)."""
    if not media:
        return []
    if isinstance(media, str):
        return [media]
    return media if isinstance(media, list) else None


def _note_media(post: Any, guard: MediaPathGuard, named: set[str]) -> None:
    """Add to `named` the media paths (as `Post.media` holds them) of what `JsonlReader.read`
    yielded: a Post, or the line or lines it left unparsed (`UnparsedPost`, `LineRun`),
    whose entries are checked as `parse_post` checks them (refusals are its to report)."""
    if isinstance(post, Post):
        named.update(post.media)
        return
    if isinstance(post, UnparsedPost):
        lines = [post.line] if post.media_entries else []
    elif isinstance(post, LineRun):
        lines = [line for line, n in zip(post.lines, post.entries, strict=True) if n]
    else:
        return
    for line in lines:
        try:
            media = orjson.loads(line).get("media")
        except (orjson.JSONDecodeError, AttributeError):
            continue
        for entry in _media_list(media) or ():
            found, _ = guard.check_text(entry)
            if found is not None:
                named.add(found)


def corpus_files(folder: Path) -> list[Path]:
    """The posts corpus files (`CORPUS_SUFFIXES`, any case) at the top level of `folder`,
    sorted by name; subfolders are not searched (a folder's `media/` holds what its posts
    name). Links and anything that is not a regular file are left out; a folder that
    cannot be listed holds none."""
    try:
        with os.scandir(folder) as entries:
            found = [
                Path(entry.path)
                for entry in entries
                if entry.name.lower().endswith(CORPUS_SUFFIXES)
                and entry.is_file(follow_symlinks=False)
            ]
    except OSError:
        return []
    return sorted(found, key=lambda file: file.name)


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return path.open("r", encoding="utf-8", errors="replace", newline="")


@register
class JsonlReader(Reader):
    name = "jsonl"
    description = (
        "geoleak posts corpus: one JSON object per line (*.jsonl, *.jsonl.gz, *.ndjson), "
        "or a folder holding such files"
    )
    priority = 10
    # Posts name their photos and videos (`media`), read with them: a folder of corpus
    # files (a `geoleak scenario` folder, a data set's shards) is not also read as one
    # person's photos by the generic folder reader.
    reads_media = True

    def sniff(self, path: Path) -> bool:
        if path.is_dir():
            return bool(corpus_files(path))
        return path.is_file() and path.name.lower().endswith(CORPUS_SUFFIXES)

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        if path.is_dir():
            yield from self._read_folder(path, diag, author)
            return
        yield from self._read_file(path, diag, author)

    def _read_folder(self, path: Path, diag: Diagnostics, author: str | None) -> Iterator[Post]:
        """Each corpus file at the top level of the folder `path`, by name, as if each were
        given on the command line (one that cannot be read is reported and skipped); then
        the photos and videos in the folder that no post names, one post each of one person
        (`author`, else the folder's name), as the folder reader would read them: a photo
        left beside a corpus still leaks, so it is not left out."""
        from geoleak.ingest.folder import iter_media_files, media_posts

        files = corpus_files(path)
        if not files:
            raise CorpusError(
                f"{shown_path(path)}: no posts corpus file (*.jsonl, *.jsonl.gz, *.ndjson) "
                "at its top level"
            )
        # Only a folder that holds media keeps the names its posts give (a data set's
        # shards pay nothing for it).
        named: set[str] | None = set() if next(iter_media_files(path), None) else None
        for file in files:
            guard = MediaPathGuard(file.parent)
            try:
                for post in self._read_file(file, diag, author):
                    if named is not None:
                        _note_media(post, guard, named)
                    yield post
            except CorpusError as exc:
                diag.warn(f"{exc}; the folder's other corpus files are still read", kind="input")
        if named is None:
            return
        root_text = str(path.resolve()).rstrip("/")
        rest = [
            media
            for media in iter_media_files(path, diag)
            if f"{root_text}/{media.relative_to(path).as_posix()}" not in named
        ]
        if not rest:
            return
        person = author or path.resolve().name or "me"
        diag.warn(
            f"{shown_path(path)}: {len(rest)} photo or video file{'s' if len(rest) != 1 else ''} "
            f"that no post of its corpus files names read as posts of one person, {person!r} "
            "(the folder's name unless --author is given)",
            kind="input",
        )
        yield from media_posts(rest, path, person)

    def _read_file(self, path: Path, diag: Diagnostics, author: str | None) -> Iterator[Post]:
        if not path.is_file():
            raise CorpusError(f"{shown_path(path)}: not a file")
        root = path.parent
        guard = MediaPathGuard(root)
        defer, root_text, prefix = _DEFERRED.get(), str(root), f"{shown_path(path)}:"
        renamed = author is not None
        # Digests, not the id strings, bounded (`_PostIds`); ids are compared within this
        # process only, so the string's own (keyed, 64-bit) hash serves as the digest.
        seen_ids = _PostIds(path, defer)
        try:
            handle = _open_text(path)
        except OSError as exc:
            raise CorpusError(f"{shown_path(path)}: cannot open: {exc.strerror or exc}") from None
        seen_ids.opened(handle)
        with handle:
            try:
                runs = _RUNS.get() if defer else None
                if runs is not None:
                    reader = _RunReader(diag, seen_ids, prefix, root_text, author)
                    for run in reader.runs(handle, runs):
                        yield cast(Post, run)  # (in place of its lines' Posts)
                    return
                number = 0  # (lines read)
                for number, line in enumerate(handle, start=1):
                    seen_ids.read(number - 1)  # (the lines before this one)
                    if not line.strip():
                        continue
                    where = f"{prefix}{number}"
                    if defer:
                        found = _kept_identity(line, where, diag, seen_ids)
                        if found is None:
                            continue
                        post_id, written, entries = found
                        # `deferred_parsing`: in place of the Post
                        yield _unparsed((written if author is None else author, where, line,
                                         root_text, renamed, post_id, entries))  # fmt: skip
                        continue
                    try:
                        obj = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        obj = _decoded_slowly(line, where, diag)
                        if obj is _UNREADABLE:
                            continue
                    try:
                        post = parse_post(obj, where=where, root=root, diag=diag, guard=guard)
                    except (LineError, ValueError) as exc:
                        diag.warn(f"{where}: {exc}; line skipped", kind="bad-line")
                        continue
                    if not seen_ids.add(hash(post.id)):
                        _warn_duplicate(diag, where, post.id)
                        continue
                    yield post if author is None else replace(post, author=author)
                seen_ids.done(number)
            except (OSError, EOFError) as exc:
                raise CorpusError(f"{shown_path(path)}: read failed: {exc}") from None
