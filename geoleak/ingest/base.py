"""The reader protocol and registry (modelled on geopy's geocoder classes)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import ClassVar, TypeVar

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError, UsageError
from geoleak.types import Post

__all__ = ["READERS", "Reader", "open_inputs", "reader_for", "register"]


class Reader(ABC):
    """Turns one input path into posts.

    Subclasses set `name` (what `--source` takes), `description` (one line for `--help`)
    and `priority` (sniffing order: lower is tried first; specific formats before the
    generic folder reader). `read` must stream, report bad records through `diag` and
    skip them, and never modify the input.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    priority: ClassVar[int] = 50

    @abstractmethod
    def sniff(self, path: Path) -> bool:
        """Whether this reader recognises `path` (cheap: names and the first bytes only)."""

    @abstractmethod
    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        """Yield the posts in `path`."""


READERS: dict[str, Reader] = {}

R = TypeVar("R", bound=type[Reader])


def register(cls: R) -> R:
    """Class decorator: add a reader to the registry under its `name`."""
    READERS[cls.name] = cls()
    return cls


def reader_for(path: Path, source: str | None = None) -> Reader:
    """The reader named `source`, or the first whose `sniff` recognises `path`."""
    if source is not None:
        try:
            return READERS[source]
        except KeyError:
            known = ", ".join(sorted(READERS))
            raise UsageError(f"unknown --source {source!r}; known sources: {known}") from None
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder")
    for reader in sorted(READERS.values(), key=lambda r: (r.priority, r.name)):
        if reader.sniff(path):
            return reader
    known = ", ".join(sorted(READERS))
    raise CorpusError(
        f"{path}: not a format geoleak recognises (known: {known}); use --source to choose one"
    )


def open_inputs(
    paths: Iterable[str | Path],
    diag: Diagnostics,
    *,
    source: str | None = None,
    author: str | None = None,
) -> Iterator[Post]:
    """Posts from every input in turn.

    An input that cannot be read at all is reported and the others are still read; only
    when no input could be read does the first such error propagate.
    """
    failures: list[CorpusError] = []
    readable = 0
    for raw in paths:
        path = Path(raw)
        try:
            reader = reader_for(path, source)
            posts = reader.read(path, diag, author=author)
            first = next(posts, None)
        except CorpusError as exc:
            failures.append(exc)
            diag.warn(str(exc), kind="input")
            continue
        readable += 1
        if first is not None:
            yield first
            yield from posts
    if failures and not readable:
        raise failures[0]
