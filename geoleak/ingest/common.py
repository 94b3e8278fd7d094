"""Helpers shared by the export readers: streamed JSON, times, positions, Meta's mojibake.

Everything here is about reading untrusted exports robustly: a bad value raises
`RecordError` (the reader reports it with the file and record and skips the record), and
large JSON files are streamed with ijson instead of loaded whole.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.extract.gps import checked_position
from geoleak.jsonlimits import LimitedReader, loads
from geoleak.paths import shown_path, walk_files
from geoleak.types import LatLon

__all__ = [
    "RecordError",
    "as_dict",
    "as_float",
    "as_list",
    "find_dirs",
    "find_files",
    "fix_mojibake",
    "iter_json_items",
    "latlon",
    "load_json",
    "parse_time",
    "plain",
    "warn_unknown_layout",
]

# Exports larger than this are never loaded whole.
SMALL_JSON_BYTES = 32 * 1024 * 1024


class RecordError(ValueError):
    """One record of an export cannot be used; the message says why."""


def plain(value: Any) -> Any:
    """ijson's Decimals turned into floats, recursively (for `extra` and arithmetic)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def as_float(value: Any, what: str) -> float:
    """A finite float from a JSON number or numeric string; RecordError otherwise."""
    if isinstance(value, bool) or value is None:
        raise RecordError(f"{what} is {value!r}, expected a number")
    if isinstance(value, (int, float, Decimal)):
        try:
            result = float(value)
        except OverflowError:  # a 400-digit integer
            raise RecordError(f"{what} is not a finite number") from None
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise RecordError(f"{what} is {value!r}, expected a number") from None
    else:
        raise RecordError(f"{what} is {type(value).__name__}, expected a number")
    if not math.isfinite(result):
        raise RecordError(f"{what} is not finite")
    return result


def latlon(lat: Any, lon: Any, what: str = "position") -> LatLon | None:
    """A checked position; None for Null Island (exports write 0, 0 for "no position").

    Out-of-range or non-numeric values raise RecordError.
    """
    lat_f, lon_f = as_float(lat, f"{what} latitude"), as_float(lon, f"{what} longitude")
    if not (-90.0 <= lat_f <= 90.0 and -180.0 <= lon_f <= 180.0):
        raise RecordError(f"{what} {lat_f}, {lon_f} is outside the valid range")
    return checked_position(lat_f, lon_f, what=what).position


def parse_time(value: Any, what: str = "time") -> datetime:
    """An aware UTC datetime from the forms exports use.

    Accepts epoch seconds or milliseconds (number or digit string), ISO 8601 with or
    without `Z` / offset (no offset: read as UTC), `YYYY-MM-DD HH:MM:SS UTC` (Snapchat)
    and Twitter's `Wed Oct 10 20:19:24 +0000 2018`.
    """
    if isinstance(value, bool) or value is None:
        raise RecordError(f"{what} is missing")
    if isinstance(value, (int, float, Decimal)) or (isinstance(value, str) and _EPOCH.match(value)):
        try:
            seconds = float(value)
        except OverflowError:
            raise RecordError(f"{what} is not a valid epoch time") from None
        if abs(seconds) > 1e11:  # milliseconds
            seconds /= 1000.0
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise RecordError(f"{what} {value!r} is not a valid epoch time") from None
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"{what} {value!r} is not a time")
    text = value.strip()
    if not text[:4].isdigit():
        try:  # Twitter: "Wed Oct 10 20:19:24 +0000 2018"
            return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y").astimezone(timezone.utc)
        except ValueError:
            raise RecordError(f"{what} {value!r} is not a recognised time") from None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        text = _UTC_SUFFIX.sub("+00:00", text).replace("/", "-")
        # Python < 3.11 needs exactly 3 or 6 fractional digits.
        text = _FRACTION.sub(lambda m: "." + (m[1] + "000000")[:6], text, count=1)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise RecordError(f"{what} {value!r} is not a recognised time") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


_EPOCH = re.compile(r"\s*-?\d+(\.\d+)?\s*$")
_UTC_SUFFIX = re.compile(r"\s*(UTC|GMT)$")
_FRACTION = re.compile(r"\.(\d+)")
_MOJIBAKE = re.compile(r"[\u00c2-\u00f4][\u0080-\u00bf]")


def fix_mojibake(text: str) -> str:
    """Repair Meta's export encoding: UTF-8 bytes written as `\\u00xx` escapes.

    Facebook and Instagram exports encode "café" as "caf\\u00c3\\u00a9", which JSON decodes to
    "cafÃ©". When the text is all code points below 256 and looks like UTF-8 read as Latin-1,
    it is re-decoded; anything else is returned unchanged.
    """
    if not text or not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def load_json(path: Path) -> Any:
    """A small JSON file, whole; CorpusError naming the file when it is not JSON."""
    try:
        size = path.stat().st_size
        if size > SMALL_JSON_BYTES:
            raise CorpusError(
                f"{shown_path(path)}: {size} bytes is too large to load; expected a small file"
            )
        with path.open("rb") as handle:
            return loads(handle.read(), str(path))
    except json.JSONDecodeError as exc:
        raise CorpusError(
            f"{shown_path(path)}: not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from None
    except UnicodeDecodeError:
        raise CorpusError(f"{shown_path(path)}: not UTF-8 JSON") from None
    except RecursionError:
        raise CorpusError(f"{shown_path(path)}: JSON nested too deeply") from None
    except OSError as exc:
        raise CorpusError(f"{shown_path(path)}: cannot read ({exc.strerror or exc})") from None


@contextmanager
def reported(file: Path, diag: Diagnostics) -> Iterator[None]:
    """Report a file that breaks while it is read (with what was read so far kept); the
    reader goes on with its next file."""
    try:
        yield
    except CorpusError as exc:
        diag.warn(str(exc), kind="bad-file")
    except OSError as exc:
        diag.warn(
            f"{shown_path(file)}: cannot read ({exc.strerror or exc}); skipped", kind="unreadable"
        )


def iter_json_items(
    handle: IO[bytes], prefixes: Iterable[str], where: str, *, interleaved: bool = False
) -> Iterator[tuple[str, Any]]:
    """Stream the values at the given ijson prefixes (e.g. `locations.item`) as (prefix, value).

    Memory stays at one item. Each prefix is read in its own pass with ijson's C backend
    (the file is seeked back), so values come grouped by prefix; `interleaved=True` keeps
    document order in one slower pass (needed when one value gives context to the next,
    such as a chat's name before its messages). A syntax error ends the stream with
    CorpusError naming `where`; the items before it have been yielded already.
    """
    wanted = list(dict.fromkeys(prefixes))
    raw = handle
    handle = LimitedReader(handle, where)  # type: ignore[assignment]  # depth and size limits
    start = handle.tell()
    try:
        if interleaved and len(wanted) > 1:
            yield from _interleaved_items(handle, set(wanted))
            return
        done: dict[str, int] = {}
        try:
            for n, prefix in enumerate(wanted):
                if n:
                    handle.seek(start)
                done[prefix] = 0
                for value in ijson.items(handle, prefix, use_float=True):
                    done[prefix] += 1
                    yield prefix, value
        except ijson.JSONError:
            # The fast pass reads in blocks and may drop the good items of the block where
            # the file breaks; re-read event by event from the start to recover them.
            handle.seek(start)
            failed = list(done)[-1]
            remaining = {p for p in wanted if p == failed or p not in done}
            skip = done[failed]
            for found, value in _interleaved_items(handle, remaining):
                if found == failed and skip > 0:
                    skip -= 1
                    continue
                yield found, value
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        at = _json_error_at(raw, start)
        raise CorpusError(
            f"{where}: not valid JSON{at or f' ({reason})'}; the rest of the file is skipped"
        ) from None
    except UnicodeDecodeError:
        raise CorpusError(f"{where}: not UTF-8 JSON; the rest of the file is skipped") from None


def warn_unknown_layout(
    handle: IO[bytes], shown: str, keys: Iterable[str], diag: Diagnostics
) -> None:
    """After an export's JSON gave no items: say so, unless it is an empty list or an
    object holding one of `keys` (the lists a reader takes), so a file of another layout
    (a platform's newer export, a file in the wrong place) is not read as "nothing
    posted" without a word."""
    handle.seek(0)
    head = handle.read(64 * 1024).lstrip(b"\xef\xbb\xbf \t\r\n")
    wanted = sorted(keys)
    if head.startswith(b"[") or (
        head.startswith(b"{") and any(f'"{key}"'.encode() in head for key in wanted)
    ):
        return
    diag.warn(
        f"{shown}: nothing read from it: expected a list of posts or an object with "
        f"{', '.join(wanted)}; a layout geoleak does not know?",
        kind="bad-file",
    )


_ERROR_LINE_MAX_BYTES = 64 * 1024 * 1024  # a larger file's error is named without its line


def _json_error_at(handle: IO[bytes], start: int) -> str | None:
    """ " at line L, column C (what is wrong)" for the JSON from `start` of `handle`, read
    again by the json module (ijson's C parser says what, not where); None when the file
    is too large to read again, or the json module finds nothing wrong with it."""
    try:
        handle.seek(start)
        data = handle.read(_ERROR_LINE_MAX_BYTES + 1)
        if len(data) > _ERROR_LINE_MAX_BYTES:
            return None
        text = data.decode("utf-8")
        json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):  # (a download or copy cut short)
            return f" at line {exc.lineno}, column {exc.colno} (the file ends there: cut short?)"
        return f" at line {exc.lineno}, column {exc.colno} ({exc.msg})"
    except (OSError, ValueError, RecursionError):
        return None
    return None


def _interleaved_items(handle: IO[bytes], wanted: set[str]) -> Iterator[tuple[str, Any]]:
    builder: Any = None
    depth = 0
    current = ""
    for prefix, event, value in ijson.parse(handle, use_float=True):
        if builder is None:
            if prefix in wanted and event in ("start_map", "start_array"):
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                depth = 1
                current = prefix
            elif prefix in wanted and event not in ("end_map", "end_array", "map_key"):
                yield prefix, value
            continue
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                yield current, builder.value
                builder = None


def find_files(root: Path, accept: Callable[[str], bool], *, max_depth: int = 12) -> Iterator[Path]:
    """Regular files under `root` whose lower-cased name `accept`s, sorted, symlinks not
    followed, FIFOs and devices never opened (`geoleak.paths.walk_files`)."""
    yield from walk_files(root, accept=lambda name: accept(name.lower()), max_depth=max_depth)


def find_dirs(root: Path, names: Iterable[str], *, max_depth: int = 3) -> list[Path]:
    """Folders under `root` (root included, at most `max_depth` levels down) named one of
    `names` (case-insensitive); exports nest their content under `Takeout/`, a user folder..."""
    wanted = {n.lower() for n in names}
    found: list[Path] = []
    if not root.is_dir():
        return found
    level = [root]
    for _ in range(max_depth + 1):
        nxt: list[Path] = []
        for folder in level:
            if folder.name.lower() in wanted:
                found.append(folder)
            try:
                children = sorted(c for c in folder.iterdir() if c.is_dir() and not c.is_symlink())
            except OSError:
                continue
            nxt.extend(children)
        level = nxt
    return found


def as_list(value: Any) -> list[Any]:
    """`value` when it is a JSON array, else an empty list (exports put anything anywhere)."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def get_path(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]... or None when any step is missing or not a mapping."""
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj
