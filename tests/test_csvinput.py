"""A user's CSV that is not UTF-8 or not readable as CSV is one GeoleakError naming the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from geoleak.errors import GeoleakError, TruthError, UsageError
from geoleak.evaluate import load_truth
from geoleak.geocode import PlacesFile

LOADERS: list[tuple[Callable[[Path], object], type[GeoleakError], bytes]] = [
    (load_truth, TruthError, b"person,kind,lat,lon\n"),
    (PlacesFile, UsageError, b"name,lat,lon\n"),
]


@pytest.mark.parametrize(("load", "error", "header"), LOADERS, ids=["truth", "places"])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"Caf\xe9 Luna,1,2\n", r"data.csv: not UTF-8 text; save the CSV as UTF-8"),  # Latin-1
        (b'"' + b"x" * 200_000 + b'",1,2\n', r"data.csv:2: not a readable CSV \(field larger"),
    ],
    ids=["latin-1", "huge-field"],
)
def test_a_csv_that_is_not_utf8_csv_is_one_error_naming_the_file(
    tmp_path: Path,
    load: Callable[[Path], object],
    error: type[GeoleakError],
    header: bytes,
    body: bytes,
    message: str,
) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(header + body)
    with pytest.raises(error, match=message):
        load(path)
    path.write_bytes(b"\xff\xfe" + header.decode().encode("utf-16-le"))  # a UTF-16 export
    with pytest.raises(error, match=r"data.csv: not UTF-8 text"):
        load(path)
