"""Snapchat's "My Data" download: memories with their locations, and location history.

`json/memories_history.json`: `{"Saved Media": [{"Date": "2023-06-01 10:00:00 UTC",
"Media Type": "Image", "Location": "Latitude, Longitude: 35.12345, -78.98765", ...}]}`.
`json/location_history.json`: `{"Location History": [{"Time": "2021/05/01 12:00:00 UTC",
"Latitude, Longitude": "35.1 ± 14.23 meters, -78.9 ± 14.23 meters"}], "Home & Work":
{...}}`; Snapchat's own guess of home and work is kept in `extra["semantic_type"]`.
The account name comes from `json/account.json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.ingest.common import (
    RecordError,
    as_float,
    as_list,
    get_path,
    latlon,
    load_json,
    parse_time,
)
from geoleak.paths import shown_path
from geoleak.types import EvidenceSource, LatLon, Post

__all__ = ["SnapchatReader", "parse_snap_position"]

_NUM = r"(-?\d+(?:\.\d+)?)"
_POSITION = re.compile(
    rf"^\s*(?:Latitude,\s*Longitude:\s*)?{_NUM}\s*(?:±\s*{_NUM}\s*meters)?\s*,\s*{_NUM}\s*"
    rf"(?:±\s*{_NUM}\s*meters)?\s*$"
)
MEMORY_ACCURACY_M = 30.0
HISTORY_ACCURACY_M = 100.0


def parse_snap_position(value: Any) -> tuple[LatLon | None, float | None]:
    """(position, accuracy in metres or None) from Snapchat's position strings."""
    if not isinstance(value, str):
        raise RecordError(f"location {value!r} is not text")
    match = _POSITION.match(value)
    if not match:
        raise RecordError(f"location {value!r} is not 'Latitude, Longitude: lat, lon'")
    position = latlon(match[1], match[3], "location")
    acc = match[2] or match[4]
    return position, (as_float(acc, "accuracy") if acc else None)


def _json_dir(path: Path) -> Path | None:
    for base in (path, *(p for p in sorted(path.iterdir()) if p.is_dir())) if path.is_dir() else ():
        folder = base / "json"
        if (folder / "memories_history.json").is_file() or (
            folder / "location_history.json"
        ).is_file():
            return folder
    return None


@register
class SnapchatReader(Reader):
    name = "snapchat"
    description = "Snapchat download: memories with locations, location history"
    priority = 23

    def sniff(self, path: Path) -> bool:
        return _json_dir(path) is not None

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        folder = _json_dir(path)
        if folder is None:
            raise CorpusError(
                f"{shown_path(path)}: not a Snapchat download (no json/memories_history.json)"
            )
        person = author or self._username(folder) or folder.parent.resolve().name or "me"
        memories = folder / "memories_history.json"
        if memories.is_file():
            yield from self._memories(memories, person, diag)
        history = folder / "location_history.json"
        if history.is_file():
            yield from self._history(history, person, diag)

    @staticmethod
    def _username(folder: Path) -> str | None:
        try:
            data = (
                load_json(folder / "account.json") if (folder / "account.json").is_file() else None
            )
        except CorpusError:
            return None
        name = get_path(data, "Basic Information", "Username")
        return name if isinstance(name, str) and name else None

    def _load(self, file: Path, diag: Diagnostics) -> Any:
        try:
            return load_json(file)
        except CorpusError as exc:
            diag.warn(f"{exc}; file skipped", kind="bad-file")
            return None

    def _memories(self, file: Path, person: str, diag: Diagnostics) -> Iterator[Post]:
        data = self._load(file, diag)
        items = get_path(data, "Saved Media")
        if data is not None and not isinstance(items, list):
            diag.warn(f"{shown_path(file)}: no 'Saved Media' list; file skipped", kind="bad-file")
            return
        shown = shown_path(file)
        for n, item in enumerate(as_list(items)):
            where = f"{shown}: Saved Media[{n}]"
            try:
                if not isinstance(item, dict):
                    raise RecordError("not an object")
                when = parse_time(item.get("Date"), "Date")
                position, acc = (
                    parse_snap_position(item["Location"]) if item.get("Location") else (None, None)
                )
                yield Post(
                    id=f"snapchat-memory:{n}",
                    author=person,
                    created_at=when,
                    geotag=position,
                    origin=where,
                    geotag_accuracy_m=(acc or MEMORY_ACCURACY_M) if position else None,
                    extra={"source": "snapchat", "media_type": item.get("Media Type")},
                )
            except (RecordError, ValueError) as exc:
                diag.warn(f"{where}: {exc}; skipped", kind="bad-record")

    def _history(self, file: Path, person: str, diag: Diagnostics) -> Iterator[Post]:
        data = self._load(file, diag)
        if not isinstance(data, dict):
            return
        shown = shown_path(file)
        for n, item in enumerate(as_list(data.get("Location History"))):
            where = f"{shown}: Location History[{n}]"
            try:
                if isinstance(item, list) and len(item) == 2:
                    # Some exports write each entry as ["<time>", "<lat ± m, lon ± m>"].
                    raw_time, raw_position = item
                elif isinstance(item, dict):
                    raw_time = item.get("Time") or item.get("Date")
                    raw_position = item.get("Latitude, Longitude")
                else:
                    raise RecordError("not an object")
                when = parse_time(raw_time, "Time")
                position, acc = parse_snap_position(raw_position)
                if position is None:
                    continue
                yield Post(
                    id=f"snapchat-location:{n}",
                    author=person,
                    created_at=when,
                    geotag=position,
                    origin=where,
                    geotag_source=EvidenceSource.TRACK,
                    geotag_accuracy_m=max(acc or HISTORY_ACCURACY_M, 1.0),
                    extra={"source": "snapchat"},
                )
            except (RecordError, ValueError) as exc:
                diag.warn(f"{where}: {exc}; skipped", kind="bad-record")
        home_work = data.get("Home & Work")
        if isinstance(home_work, dict):
            for label, value in home_work.items():
                where = f"{shown}: Home & Work[{label!r}]"
                try:
                    position, acc = parse_snap_position(value)
                except RecordError as exc:
                    diag.warn(f"{where}: {exc}; skipped", kind="bad-record")
                    continue
                if position is not None:
                    yield Post(
                        id=f"snapchat-{label.lower()}",
                        author=person,
                        geotag=position,
                        origin=where,
                        geotag_source=EvidenceSource.TRACK,
                        geotag_accuracy_m=acc or HISTORY_ACCURACY_M,
                        extra={"source": "snapchat", "semantic_type": label.upper()},
                    )
