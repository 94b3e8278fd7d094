"""Random access to the bytes of one file, reading only what a parser asks for."""

from __future__ import annotations

import os

__all__ = ["HEAD_SIZE", "MAX_BLOCK", "Source", "Span"]

HEAD_SIZE = 64 * 1024  # read at open: holds every metadata block of most JPEGs
MAX_BLOCK = 32 * 1024 * 1024  # the largest single block any parser may ask for


class Source:
    """A file opened for metadata reading: the first `HEAD_SIZE` bytes are cached.

    Reads go straight to the descriptor (`os.pread`: one system call, no buffer object
    and no seek per read; a scan opens thousands of files and reads a few blocks of
    each). The caller owns `fd` and closes it.

    `read(offset, n)` never returns more than `MAX_BLOCK` bytes and returns fewer when
    the file ends first (callers check the length they got).
    """

    __slots__ = ("fd", "head", "size", "truncated")

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self.head = _pread_all(fd, min(HEAD_SIZE, size), 0) if size > 0 else b""
        self.truncated = False  # set by parsers that ran past the end of the file

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, span: slice) -> bytes:
        """`source[a:b]`, so the format walkers can read a file like a buffer."""
        start = span.start or 0
        stop = self.size if span.stop is None else span.stop
        return self.read(start, stop - start)

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length <= 0 or offset >= self.size:
            return b""
        length = min(length, MAX_BLOCK, self.size - offset)
        end = offset + length
        if end <= len(self.head):
            return self.head[offset:end]
        return _pread_all(self.fd, length, offset)


def _pread_all(fd: int, length: int, offset: int) -> bytes:
    """`length` bytes at `offset`, fewer only where the file ends (a file that shrank)."""
    data = os.pread(fd, length, offset)
    if len(data) == length or not data:
        return data
    parts = [data]
    got = len(data)
    while got < length:
        more = os.pread(fd, length - got, offset + got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


class Span:
    """Bytes [`offset`, `offset + length`) of a `Source`, read as a parser asks for them.

    Sliced like `bytes` (a slice returns bytes) and as long as the span, but only the
    first `FIRST` bytes are read at once; a slice past what was read reads on (at least
    as much again). A HEIF Exif item whose IFDs come before a 100+ KB thumbnail costs a
    few KiB of reading, not the whole item. `find` reads the whole span. A file that
    ends inside the span (it shrank while read) gives a shorter span.
    """

    __slots__ = ("_have", "_length", "_offset", "_src")
    FIRST = 16 * 1024

    def __init__(self, src: Source, offset: int, length: int) -> None:
        self._src, self._offset = src, offset
        self._length = length
        self._have = src.read(offset, min(length, self.FIRST))
        if len(self._have) < min(length, self.FIRST):
            self._length = len(self._have)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, span: slice) -> bytes:
        start, stop, step = span.indices(self._length)
        if stop > len(self._have):
            self._read_to(stop)
        return self._have[start:stop:step]

    @property
    def bytes_read(self) -> int:
        """How much of the span has been read so far."""
        return len(self._have)

    def after(self, start: int) -> Span:
        """The span from `start` on (a view: nothing is read again)."""
        start = max(0, min(start, self._length))
        view = Span.__new__(Span)
        view._src, view._offset = self._src, self._offset + start
        view._length, view._have = self._length - start, self._have[start:]
        return view

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        self._read_to(self._length)
        return self._have.find(sub, start, self._length if end is None else end)

    def _read_to(self, stop: int) -> None:
        have = len(self._have)
        want = min(self._length, max(stop, 2 * have))
        if want <= have:
            return
        more = self._src.read(self._offset + have, want - have)
        self._have += more
        if len(more) < want - have:
            self._length = len(self._have)
