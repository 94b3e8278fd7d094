"""Readers: each turns one kind of input (a corpus, an export, a folder) into Posts.

`open_inputs` picks a reader per path by `--source` name or by sniffing, and yields posts
lazily so a corpus larger than memory streams.
"""

from geoleak.ingest.base import READERS, Reader, open_inputs, reader_for, register

# Importing the reader modules registers them.
from geoleak.ingest import folder as _folder  # noqa: F401  (registration)
from geoleak.ingest import jsonl as _jsonl  # noqa: F401  (registration)
from geoleak.ingest import (  # noqa: F401  (registration of the export readers)
    checkins as _checkins,
    facebook as _facebook,
    geolife as _geolife,
    instagram as _instagram,
    location_history as _location_history,
    snapchat as _snapchat,
    takeout as _takeout,
    telegram as _telegram,
    tracks as _tracks,
    twitter as _twitter,
)

__all__ = ["READERS", "Reader", "open_inputs", "reader_for", "register"]
