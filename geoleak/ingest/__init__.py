"""Readers: each turns one kind of input (a corpus, an export, a folder) into Posts.

`open_inputs` picks a reader per path by `--source` name or by sniffing, and yields posts
lazily so a corpus larger than memory streams.
"""

# Importing the reader modules registers them.
from geoleak.ingest import checkins as _checkins  # noqa: F401  (registration)
from geoleak.ingest import facebook as _facebook  # noqa: F401  (registration)
from geoleak.ingest import folder as _folder  # noqa: F401  (registration)
from geoleak.ingest import geolife as _geolife  # noqa: F401  (registration)
from geoleak.ingest import instagram as _instagram  # noqa: F401  (registration)
from geoleak.ingest import jsonl as _jsonl  # noqa: F401  (registration)
from geoleak.ingest import location_history as _location_history  # noqa: F401  (registration)
from geoleak.ingest import snapchat as _snapchat  # noqa: F401  (registration)
from geoleak.ingest import takeout as _takeout  # noqa: F401  (registration)
from geoleak.ingest import telegram as _telegram  # noqa: F401  (registration)
from geoleak.ingest import tracks as _tracks  # noqa: F401  (registration)
from geoleak.ingest import twitter as _twitter  # noqa: F401  (registration)
from geoleak.ingest.base import READERS, Reader, open_inputs, reader_for, readers_for, register

__all__ = ["READERS", "Reader", "open_inputs", "reader_for", "readers_for", "register"]
