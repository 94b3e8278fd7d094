"""Readers: each turns one kind of input (a corpus, an export, a folder) into Posts.

`open_inputs` picks a reader per path by `--source` name or by sniffing, and yields posts
lazily so a corpus larger than memory streams.
"""

from geoleak.ingest.base import READERS, Reader, open_inputs, reader_for, register

# Importing the reader modules registers them.
from geoleak.ingest import folder as _folder  # noqa: F401  (registration)
from geoleak.ingest import jsonl as _jsonl  # noqa: F401  (registration)

__all__ = ["READERS", "Reader", "open_inputs", "reader_for", "register"]
