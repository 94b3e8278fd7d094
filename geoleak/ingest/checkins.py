"""Published check-in data sets, as researchers download them.

- Gowalla and Brightkite (SNAP, `loc-gowalla_totalCheckins.txt`,
  `loc-brightkite_totalCheckins.txt`): `user <TAB> time <TAB> lat <TAB> lon <TAB> location id`,
  time as `2010-10-19T23:55:27Z`.
- Foursquare TSMC2014 (`dataset_TSMC2014_NYC.txt`, `_TKY.txt`): `user, venue id, venue
  category id, venue category name, lat, lon, time zone offset (minutes), UTC time`
  tab-separated, time as `Tue Apr 03 18:00:09 +0000 2012`.

Each line is one post of the user whose id is in column 1, geotagged with the venue's
position (platform geotag). Files may be gzipped; they are streamed line by line.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.ingest.common import RecordError, as_float, find_files, latlon, parse_time
from geoleak.paths import shown_path
from geoleak.types import NamedPlace, Post

__all__ = ["CheckinDatasetReader", "detect_layout"]

VENUE_ACCURACY_M = 50.0
_SNAP = re.compile(r"^[^\t]+\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t-?[\d.]+\t-?[\d.]+\t[^\t]*$")
_TSMC = re.compile(r"^[^\t]+\t[^\t]+\t[^\t]*\t[^\t]*\t-?[\d.]+\t-?[\d.]+\t-?\d+\t\w{3} \w{3} \d\d ")


def _open(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return path.open("r", encoding="utf-8", errors="replace", newline="")


def detect_layout(path: Path) -> str | None:
    """ "snap" (Gowalla / Brightkite), "tsmc" (Foursquare) or None, from the first lines."""
    name = path.name.lower()
    if not name.endswith((".txt", ".tsv", ".txt.gz", ".tsv.gz", ".csv")):
        return None
    try:
        with _open(path) as handle:
            lines = [line.rstrip("\r\n") for _, line in zip(range(5), handle, strict=False)]
    except (OSError, EOFError):
        return None
    lines = [line for line in lines if line.strip()]
    if not lines:
        return None
    if all(_SNAP.match(line) for line in lines[:3]):
        return "snap"
    if all(_TSMC.match(line) for line in lines[:3]):
        return "tsmc"
    return None


def _dataset_name(path: Path, layout: str) -> str:
    name = path.name.lower()
    for known in ("gowalla", "brightkite", "foursquare", "tsmc"):
        if known in name:
            return "foursquare" if known == "tsmc" else known
    return "foursquare" if layout == "tsmc" else "snap-checkins"


@register
class CheckinDatasetReader(Reader):
    name = "checkins"
    description = "check-in data sets: Gowalla / Brightkite (SNAP TSV), Foursquare TSMC2014 TSV"
    priority = 45

    def sniff(self, path: Path) -> bool:
        if path.is_file():
            return detect_layout(path) is not None
        if path.is_dir():
            return any(detect_layout(p) for p in path.iterdir() if p.is_file())
        return False

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        files = [
            (f, layout)
            for f in find_files(path, lambda _name: True, max_depth=2)
            if (layout := detect_layout(f)) is not None
        ]
        if not files:
            raise CorpusError(
                f"{shown_path(path)}: no Gowalla, Brightkite or Foursquare check-in file found"
            )
        for file, layout in files:
            yield from self._read_file(file, layout, diag, author)

    def _read_file(
        self, file: Path, layout: str, diag: Diagnostics, author: str | None
    ) -> Iterator[Post]:
        dataset = _dataset_name(file, layout)
        expected = 5 if layout == "snap" else 8
        try:
            handle = _open(file)
        except OSError as exc:
            diag.warn(
                f"{shown_path(file)}: cannot open ({exc.strerror or exc}); skipped",
                kind="unreadable",
            )
            return
        shown = shown_path(file)
        with handle:
            try:
                for number, raw in enumerate(handle, start=1):
                    line = raw.rstrip("\r\n")
                    if not line.strip():
                        continue
                    where = f"{shown}:{number}"
                    ident = f"{file.name}:{number}"
                    fields = line.split("\t")
                    if len(fields) != expected:
                        diag.warn(
                            f"{where}: {len(fields)} tab-separated fields, expected "
                            f"{expected}; line skipped",
                            kind="bad-line",
                        )
                        continue
                    try:
                        post = self._post(fields, layout, dataset, where, ident, author)
                    except (RecordError, ValueError) as exc:
                        diag.warn(f"{where}: {exc}; line skipped", kind="bad-line")
                        continue
                    if post is not None:
                        yield post
            except (OSError, EOFError) as exc:
                diag.warn(
                    f"{shown_path(file)}: read failed ({exc}); the rest is skipped",
                    kind="unreadable",
                )

    @staticmethod
    def _post(
        fields: list[str], layout: str, dataset: str, where: str, ident: str, author: str | None
    ) -> Post | None:
        extra: dict[str, Any] = {"source": dataset}
        if layout == "snap":
            user, raw_time, lat, lon, venue = fields
            category = None
        else:
            user, venue, category_id, category, lat, lon, offset, raw_time = fields
            extra["venue_category_id"] = category_id
            extra["tz_offset_min"] = int(as_float(offset, "time zone offset"))
        if not user.strip():
            raise RecordError("empty user id")
        when = parse_time(raw_time, "time")
        position = latlon(lat, lon, "venue")
        if position is None:
            return None
        extra["venue_id"] = venue
        return Post(
            id=ident,  # "<file name>:<line>"
            author=author or user.strip(),
            created_at=when,
            geotag=position,
            # The venue's position is the geotag; only Foursquare names a category.
            place=NamedPlace(category) if category else None,
            origin=where,
            geotag_accuracy_m=VENUE_ACCURACY_M,
            extra=extra,
        )
