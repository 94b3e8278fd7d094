"""Collecting the warnings a run produces, so bad input is reported and the work goes on."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable

__all__ = ["Diagnostics"]


class Diagnostics:
    """Warnings gathered during a run.

    Each warning is a sentence naming the file (and line) and what is wrong. `echo`, when
    given, is called with each of the first `max_echo` warnings as they arrive (the CLI
    prints them on stderr); the rest are counted by `kind` and summarised at the end.
    """

    def __init__(self, echo: Callable[[str], None] | None = None, *, max_echo: int = 25) -> None:
        self.echo = echo
        self.max_echo = max_echo
        self.warnings: list[str] = []
        self.by_kind: Counter[str] = Counter()
        self.figures: Counter[str] = Counter()  # numbers the run's summary states (fixes read, ...)
        self._once: set[str] = set()
        self._lock = threading.Lock()

    def warn(self, message: str, *, kind: str = "other") -> None:
        with self._lock:
            self.warnings.append(message)
            self.by_kind[kind] += 1
            shown = len(self.warnings) <= self.max_echo
        if shown and self.echo is not None:
            self.echo(message)

    def warn_file(self, path: str | os.PathLike[str], message: str, *, kind: str = "other") -> None:
        """A warning about the file `path`, named as every output names it (`shown_path`:
        under the input as typed, `ARCHIVE.zip!/member` inside an archive). The name is
        taken when the warning is given here: a worker process that read the file hands
        back `path` and `message` (see `pipeline`), as its naming may be older."""
        from geoleak.paths import shown_path

        self.warn(f"{shown_path(path)}: {message}", kind=kind)

    def warn_file_once(
        self, key: str, path: str | os.PathLike[str], message: str, *, kind: str = "other"
    ) -> None:
        """`warn_file` only the first time `key` is seen."""
        with self._lock:
            if key in self._once:
                return
            self._once.add(key)
        self.warn_file(path, message, kind=kind)

    def tally(self, name: str, n: int = 1) -> None:
        """Add `n` to a named figure the summary states, such as fixes read and kept by a
        reader that thins a track (`history_fixes`, `history_points`)."""
        with self._lock:
            self.figures[name] += n

    def warn_once(self, key: str, message: str, *, kind: str = "other") -> None:
        """Warn only the first time `key` is seen (e.g. one note per corpus file)."""
        with self._lock:
            if key in self._once:
                return
            self._once.add(key)
        self.warn(message, kind=kind)

    @property
    def suppressed(self) -> int:
        """How many warnings were recorded but not echoed."""
        return max(0, len(self.warnings) - self.max_echo) if self.echo else 0

    def __len__(self) -> int:
        return len(self.warnings)

    def __bool__(self) -> bool:
        # A collector with no warnings yet is still a collector: `diag or Diagnostics()`
        # must not replace it.
        return True
