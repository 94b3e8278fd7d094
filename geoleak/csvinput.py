"""Reading a user's CSV file (truth.csv, a places file): its decoding and parsing errors
become one GeoleakError naming the file, not a traceback."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geoleak.errors import GeoleakError


@contextmanager
def csv_errors(
    path: Path, reader: csv.DictReader[str], error: type[GeoleakError]
) -> Iterator[None]:
    """Raise `error` naming `path` for text that is not UTF-8 (decoded by the block, so no
    line can be named) or a record csv cannot read (named by its last line)."""
    try:
        yield
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text; save the CSV as UTF-8") from None
    except csv.Error as exc:
        raise error(f"{path}:{reader.reader.line_num}: not a readable CSV ({exc})") from None
