"""One exception root for geoleak; each subclass also inherits the matching builtin.

Callers can catch `GeoleakError` (the CLI does, once) or the builtin they expect.
Messages are written for the user: they name the file (and line) and what is wrong.
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "CorpusError",
    "FormatError",
    "GeocodeError",
    "GeoleakError",
    "MediaError",
    "OutputError",
    "ScrubError",
    "Terminated",
    "TruthError",
    "UsageError",
]


class GeoleakError(Exception):
    """Root of every error geoleak raises on purpose."""


class UsageError(GeoleakError, ValueError):
    """The user asked for something that cannot be done as asked."""


class CorpusError(GeoleakError, ValueError):
    """A corpus or export cannot be read (the whole input, not one bad line)."""


class MediaError(GeoleakError, OSError):
    """A media file cannot be read."""


class ArchiveError(GeoleakError, ValueError):
    """An archive is unsafe (zip slip, bomb, links) or broken."""


class TruthError(GeoleakError, ValueError):
    """A ground-truth CSV cannot be read."""


class GeocodeError(GeoleakError, RuntimeError):
    """A place name could not be geocoded as asked (e.g. online geocoder misconfigured)."""


class OutputError(GeoleakError, OSError):
    """An output cannot be written (exists without --force, folder not writable, ...)."""


class ScrubError(GeoleakError, RuntimeError):
    """A file could not be cleaned; it is left out of the output."""


class FormatError(GeoleakError, ValueError):
    """Bytes that do not have the structure their format requires (a box past its parent,
    an IFD that does not fit): the walker stops there and says where."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, in the main process of a command (the CLI turns the signal into this): it
    unwinds as Ctrl-C does, every `finally` and `with` run, and the command exits with
    status 143 (`geoleak.children` says how the worker processes end)."""
