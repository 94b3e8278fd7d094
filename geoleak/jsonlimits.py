"""Limits on untrusted JSON, for every reader: nesting depth and the size of one value.

Exports are untrusted: 100,000 nested brackets in a 200 KB `result.json` made the streaming
parser build prefixes and containers for every level (memory grew past 24 GB), and
`json.loads` recurses once per level. Real exports nest a dozen levels at most, so
`MAX_DEPTH` levels are allowed; a string longer than `MAX_STRING_BYTES` is refused too.
Integers are read as ints up to 20 digits and as floats beyond (a 400-digit "latitude"
becomes inf and fails the usual finiteness check instead of raising OverflowError).

`LimitedReader` wraps a binary file for ijson and checks the bytes as they stream through;
`loads` checks a whole document first. Both raise `JsonLimitError`, a CorpusError (and a
ValueError) naming the file (and line).
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

from geoleak.errors import CorpusError

__all__ = [
    "MAX_DEPTH",
    "MAX_STRING_BYTES",
    "JsonLimitError",
    "JsonScanner",
    "LimitedReader",
    "loads",
]

MAX_DEPTH = 64
MAX_STRING_BYTES = 16 * 1024 * 1024

_OUTSIDE = re.compile(rb'[\[\]{}"]')
_INSIDE = re.compile(rb'["\\]')
_OPEN = frozenset(b"[{")
_QUOTE = ord('"')
_BACKSLASH = ord("\\")


class JsonLimitError(CorpusError):
    """A JSON document nests too deeply or holds a value too large to read safely."""


class JsonScanner:
    """Tracks nesting depth and string length over a JSON byte stream fed in chunks."""

    __slots__ = ("depth", "escape", "in_string", "max_depth", "max_string", "string_len", "where")

    def __init__(
        self, where: str, *, max_depth: int = MAX_DEPTH, max_string: int = MAX_STRING_BYTES
    ) -> None:
        self.where = where
        self.max_depth = max_depth
        self.max_string = max_string
        self.reset()

    def reset(self) -> None:
        self.depth = 0
        self.in_string = False
        self.escape = False
        self.string_len = 0

    def feed(self, chunk: bytes) -> None:
        pos, end = 0, len(chunk)
        while pos < end:
            if self.in_string:
                if self.escape:
                    self.escape = False
                    self.string_len += 1
                    pos += 1
                    continue
                found = _INSIDE.search(chunk, pos)
                stop = end if found is None else found.start()
                self.string_len += stop - pos
                if self.string_len > self.max_string:
                    raise JsonLimitError(
                        f"{self.where}: a JSON string is longer than {self.max_string} bytes; "
                        "the rest of the file is skipped"
                    )
                if found is None:
                    return
                if chunk[stop] == _BACKSLASH:
                    self.escape = True
                else:
                    self.in_string = False
                pos = stop + 1
                continue
            found = _OUTSIDE.search(chunk, pos)
            if found is None:
                return
            char = chunk[found.start()]
            if char == _QUOTE:
                self.in_string = True
                self.string_len = 0
            elif char in _OPEN:
                self.depth += 1
                if self.depth > self.max_depth:
                    raise JsonLimitError(
                        f"{self.where}: JSON nested more than {self.max_depth} levels deep; "
                        "the rest of the file is skipped"
                    )
            else:
                self.depth -= 1
            pos = found.end()


class LimitedReader:
    """A binary file whose bytes are checked by a JsonScanner as they are read (for ijson).

    `seek` is supported back to the start of the document only (the scan restarts there).
    """

    def __init__(self, handle: IO[bytes], where: str) -> None:
        self._handle = handle
        self._scanner = JsonScanner(where)

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._scanner.feed(chunk)
        return chunk

    def tell(self) -> int:
        return self._handle.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        self._scanner.reset()
        return self._handle.seek(offset, whence)


MAX_INT_DIGITS = 20


def _int(text: str) -> int | float:
    """An integer of up to MAX_INT_DIGITS digits (any 64-bit value, signed or not)
    as int; a longer one as float (int() of thousands of digits is quadratic)."""
    digits = len(text) - text.startswith("-")
    return int(text) if digits <= MAX_INT_DIGITS else float(text)


def loads(data: str | bytes, where: str) -> Any:
    """`json.loads` within the limits: JsonLimitError for a document past them,
    json.JSONDecodeError (a ValueError) for one that is not JSON."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    JsonScanner(where).feed(raw)
    return json.loads(data, parse_int=_int)
