"""Random access to the bytes of one file, reading only what a parser asks for."""

from __future__ import annotations

from typing import BinaryIO

__all__ = ["HEAD_SIZE", "MAX_BLOCK", "Source"]

HEAD_SIZE = 64 * 1024  # read at open: holds every metadata block of most JPEGs
MAX_BLOCK = 32 * 1024 * 1024  # the largest single block any parser may ask for


class Source:
    """A file opened for metadata reading: the first `HEAD_SIZE` bytes are cached.

    `read(offset, n)` never returns more than `MAX_BLOCK` bytes and returns fewer when
    the file ends first (callers check the length they got).
    """

    __slots__ = ("file", "head", "size", "truncated")

    def __init__(self, file: BinaryIO, size: int) -> None:
        self.file = file
        self.size = size
        self.head = file.read(HEAD_SIZE)
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
        self.file.seek(offset)
        return self.file.read(length)
