"""Google location history: Takeout `Records.json`, Semantic Location History, and the
newer on-device Timeline export (`Timeline.json` from Android, `location-history.json`
from iOS).

Every record becomes a TRACK post (`geotag_source=TRACK`) with the record's accuracy.
`Records.json` holds one fix every few seconds to minutes for years; it is streamed, and a
fix is kept only when the person moved more than `min_move_m` or `min_interval_s` passed
since the last kept fix, which keeps every stay and every trip while dropping the
thousands of identical fixes of a night at home. Google's own labels (`TYPE_HOME`,
`HOME`, `WORK`) are kept in `extra["semantic_type"]`: Google inferred them already.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.geometry import TRACK_MIN_INTERVAL_S, TRACK_MIN_MOVE_M, TrackThinner, haversine_m
from geoleak.ingest.base import Reader, register
from geoleak.ingest.common import (
    RecordError,
    as_dict,
    as_float,
    find_files,
    get_path,
    iter_json_items,
    latlon,
    parse_time,
    plain,
    reported,
)
from geoleak.paths import shown_path
from geoleak.types import EvidenceSource, LatLon, NamedPlace, Post

__all__ = ["LocationHistoryReader", "parse_latlng_text"]

RECORDS_NAMES = {"records.json", "location history.json", "standortverlauf.json"}
TIMELINE_NAMES = {"timeline.json", "location-history.json", "zeitachse.json"}
_MONTH_FILE = re.compile(r"^\d{4}_[^\W\d_]+\.json$")
_SIDECAR_NAME = re.compile(
    r"\.(?:jpe?g|heic|png|gif|mp4|mov|webp|dng|avi|3gp|m4v)(?:\.[\w-]*)?(?:\(\d+\))?\.json$"
)
CONTENT_SNIFF_FILES = 400  # JSON files of other names looked into per input
_LATLNG = re.compile(r"^\s*(?:geo:)?\s*(-?\d+(?:\.\d+)?)\s*°?\s*,\s*(-?\d+(?:\.\d+)?)\s*°?\s*$")

DEFAULT_ACCURACY_M = 50.0
VISIT_ACCURACY_M = 30.0


def parse_latlng_text(value: Any, what: str = "latLng") -> LatLon | None:
    """`"52.5163°, 13.3777°"` (Android Timeline) or `"geo:52.5163,13.3777"` (iOS)."""
    if not isinstance(value, str):
        raise RecordError(f"{what} is {value!r}, expected text like '52.52°, 13.40°'")
    match = _LATLNG.match(value)
    if not match:
        raise RecordError(f"{what} {value!r} is not 'lat°, lon°'")
    return latlon(match[1], match[2], what)


def _e7(obj: Mapping[str, Any], what: str) -> LatLon | None:
    lat, lon = obj.get("latitudeE7"), obj.get("longitudeE7")
    if lat is None or lon is None:
        raise RecordError(f"{what} has no latitudeE7/longitudeE7")
    lat_f, lon_f = (
        as_float(lat, f"{what} latitudeE7") / 1e7,
        as_float(lon, f"{what} longitudeE7") / 1e7,
    )
    # Old exports wrote E7 values as unsigned 32-bit integers (a known Takeout bug).
    if lat_f > 90:
        lat_f -= 2**32 / 1e7
    if lon_f > 180:
        lon_f -= 2**32 / 1e7
    return latlon(lat_f, lon_f, what)


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name in RECORDS_NAMES:
        return "records"
    if name in TIMELINE_NAMES:
        return "timeline"
    if _MONTH_FILE.match(name) and any(
        "semantic" in part.lower() or "semantischer" in part.lower() for part in path.parts
    ):
        return "semantic"
    return None


def history_files(path: Path) -> list[tuple[str, Path]]:
    """(kind, file) for every location-history file under `path` (or `path` itself): by
    the names Google gives them, else by content (a month file of Semantic Location History
    in a folder of any name or locale, a renamed Records or Timeline file)."""
    if path.is_file():
        kind = _kind(path) or _sniff_content(path)
        return [(kind, path)] if kind else []
    found: list[tuple[str, Path]] = []
    looked = 0
    for p in find_files(path, lambda n: n.endswith(".json"), max_depth=8):
        kind = _kind(p)
        if (
            kind is None
            and looked < CONTENT_SNIFF_FILES
            and not _SIDECAR_NAME.search(p.name.lower())
        ):
            looked += 1
            kind = _sniff_content(p)
        if kind is not None:
            found.append((kind, p))
    return found


def _sniff_content(path: Path) -> str | None:
    if path.suffix.lower() != ".json":
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return None
    if '"locations"' in head and ("latitudeE7" in head or head.count("{") <= 2):
        return "records"
    if (
        '"semanticSegments"' in head
        or '"rawSignals"' in head
        or (head.lstrip().startswith("[") and '"startTime"' in head)
    ):
        return "timeline"
    if '"timelineObjects"' in head:
        return "semantic"
    return None


@register
class LocationHistoryReader(Reader):
    name = "google-location"
    description = "Google location history: Records.json, Semantic Location History, Timeline.json"
    priority = 31

    def __init__(
        self, *, min_move_m: float = TRACK_MIN_MOVE_M, min_interval_s: float = TRACK_MIN_INTERVAL_S
    ) -> None:
        self.min_move_m = min_move_m
        self.min_interval_s = min_interval_s

    def sniff(self, path: Path) -> bool:
        return bool(history_files(path))

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        files = history_files(path)
        if not files:
            raise CorpusError(
                f"{shown_path(path)}: no Google location history found (Records.json, "
                "Semantic Location History/, Timeline.json)"
            )
        person = (
            author or (path.resolve().name if path.is_dir() else path.resolve().parent.name) or "me"
        )
        root = path if path.is_dir() else path.parent
        for kind, file in files:
            rel = file.relative_to(root).as_posix()
            with reported(file, diag), file.open("rb") as handle:
                if kind == "records":
                    yield from self._records(handle, file, rel, person, diag)
                elif kind == "semantic":
                    items = iter_json_items(handle, ["timelineObjects.item"], shown_path(file))
                    yield from self._semantic(items, file, rel, person, diag)
                else:
                    items = iter_json_items(
                        handle, ["semanticSegments.item", "item", "rawSignals.item"], str(file)
                    )
                    yield from self._timeline(items, file, rel, person, diag)

    def _post(
        self,
        rel: str,
        n: int | str,
        person: str,
        position: LatLon,
        when: datetime | None,
        accuracy: float,
        origin: str,
        place: NamedPlace | None = None,
        **extra: Any,
    ) -> Post:
        return Post(
            id=f"{rel}#{n}",
            author=person,
            created_at=when,
            geotag=position,
            place=place,
            origin=origin,
            geotag_source=EvidenceSource.TRACK,
            geotag_accuracy_m=accuracy,
            extra={
                "source": "google-location",
                **{k: v for k, v in extra.items() if v is not None},
            },
        )

    def _records(
        self, handle: Any, file: Path, rel: str, person: str, diag: Diagnostics
    ) -> Iterator[Post]:
        thinner = TrackThinner(min_move_m=self.min_move_m, min_interval_s=self.min_interval_s)
        fixes = 0
        shown = shown_path(file)
        for n, (_, rec) in enumerate(iter_json_items(handle, ["locations.item"], shown)):
            fixes += 1
            where = f"{shown}: locations[{n}]"
            try:
                if not isinstance(rec, dict):
                    raise RecordError("not an object")
                position = _e7(rec, "record")
                raw_time = rec.get("timestamp", rec.get("timestampMs"))
                when = parse_time(raw_time, "timestamp")
                accuracy = rec.get("accuracy")
                acc = as_float(accuracy, "accuracy") if accuracy is not None else DEFAULT_ACCURACY_M
            except RecordError as exc:
                diag.warn(f"{where}: {exc}; record skipped", kind="bad-record")
                continue
            if position is None or not thinner.keep(position, when):
                continue
            yield self._post(
                rel,
                n,
                person,
                position,
                when,
                max(acc, 1.0),
                where,
                device=plain(rec.get("deviceTag")),
            )
        diag.tally("history_fixes", fixes)
        diag.tally("history_points", thinner.kept)
        if thinner.kept < fixes:
            diag.warn(
                f"{shown_path(file)}: {fixes:,} fixes thinned to {thinner.kept:,} posts (a fix is kept when "
                f"the person {thinner.rule()})",
                kind="thinned",
            )

    def _semantic(
        self, items: Iterator[tuple[str, Any]], file: Path, rel: str, person: str, diag: Diagnostics
    ) -> Iterator[Post]:
        shown = shown_path(file)
        for n, (_, obj) in enumerate(items):
            where = f"{shown}: timelineObjects[{n}]"
            try:
                if not isinstance(obj, dict):
                    raise RecordError("not an object")
                if "placeVisit" in obj:
                    visit = obj["placeVisit"]
                    loc = as_dict(get_path(visit, "location"))
                    position = _e7(loc, "placeVisit.location")
                    start = parse_time(
                        get_path(visit, "duration", "startTimestamp")
                        or get_path(visit, "duration", "startTimestampMs"),
                        "startTimestamp",
                    )
                    end_raw = get_path(visit, "duration", "endTimestamp") or get_path(
                        visit, "duration", "endTimestampMs"
                    )
                    end = parse_time(end_raw, "endTimestamp") if end_raw else None
                    name = loc.get("name") or loc.get("address")
                    if position is None:
                        continue
                    place = (
                        NamedPlace(str(name)) if name else None
                    )  # centre = geotag: no second evidence
                    yield self._post(
                        rel,
                        n,
                        person,
                        position,
                        start,
                        VISIT_ACCURACY_M,
                        where,
                        place,
                        kind="visit",
                        semantic_type=loc.get("semanticType"),
                        end=end.isoformat() if end else None,
                        address=loc.get("address"),
                    )
                elif "activitySegment" in obj:
                    seg = obj["activitySegment"]
                    for role, key, tkey in (
                        ("start", "startLocation", "startTimestamp"),
                        ("end", "endLocation", "endTimestamp"),
                    ):
                        loc = get_path(seg, key)
                        if not isinstance(loc, dict):
                            continue
                        position = _e7(loc, f"activitySegment.{key}")
                        raw = get_path(seg, "duration", tkey) or get_path(
                            seg, "duration", tkey + "Ms"
                        )
                        when = parse_time(raw, tkey) if raw else None
                        if position is not None:
                            yield self._post(
                                rel,
                                f"{n}-{role}",
                                person,
                                position,
                                when,
                                DEFAULT_ACCURACY_M,
                                where,
                                kind=f"activity-{role}",
                                activity=seg.get("activityType"),
                            )
            except RecordError as exc:
                diag.warn(f"{where}: {exc}; record skipped", kind="bad-record")

    def _timeline(
        self, items: Iterator[tuple[str, Any]], file: Path, rel: str, person: str, diag: Diagnostics
    ) -> Iterator[Post]:
        shown = shown_path(file)
        for n, (prefix, seg) in enumerate(items):
            where = f"{shown}: {prefix.split('.')[0] if '.' in prefix else ''}[{n}]"
            try:
                if not isinstance(seg, dict):
                    raise RecordError("not an object")
                if prefix == "rawSignals.item":
                    pos = seg.get("position")
                    if isinstance(pos, dict):
                        position = parse_latlng_text(
                            pos.get("LatLng") or pos.get("latLng"), "position"
                        )
                        when = parse_time(pos.get("timestamp"), "timestamp")
                        acc = pos.get("accuracyMeters")
                        if position is not None:
                            yield self._post(
                                rel,
                                f"raw{n}",
                                person,
                                position,
                                when,
                                max(as_float(acc, "accuracyMeters"), 1.0)
                                if acc
                                else DEFAULT_ACCURACY_M,
                                where,
                                kind="raw",
                            )
                    continue
                start = (
                    parse_time(seg.get("startTime"), "startTime") if seg.get("startTime") else None
                )
                end = parse_time(seg.get("endTime"), "endTime") if seg.get("endTime") else None
                if isinstance(seg.get("visit"), dict):
                    cand = as_dict(get_path(seg, "visit", "topCandidate"))
                    loc = cand.get("placeLocation")
                    if isinstance(loc, dict):
                        loc = loc.get("latLng")
                    position = parse_latlng_text(loc, "placeLocation")
                    if position is not None:
                        yield self._post(
                            rel,
                            n,
                            person,
                            position,
                            start,
                            VISIT_ACCURACY_M,
                            where,
                            kind="visit",
                            semantic_type=cand.get("semanticType"),
                            place_id=cand.get("placeId") or cand.get("placeID"),
                            end=end.isoformat() if end else None,
                        )
                elif isinstance(seg.get("activity"), dict):
                    act = seg["activity"]
                    for role, moment in (("start", start), ("end", end)):
                        raw = act.get(role)
                        if isinstance(raw, dict):
                            raw = raw.get("latLng")
                        if raw is None:
                            continue
                        position = parse_latlng_text(raw, f"activity.{role}")
                        if position is not None:
                            yield self._post(
                                rel,
                                f"{n}-{role}",
                                person,
                                position,
                                moment,
                                DEFAULT_ACCURACY_M,
                                where,
                                kind=f"activity-{role}",
                                activity=get_path(act, "topCandidate", "type"),
                            )
                elif isinstance(seg.get("timelinePath"), list):
                    last: LatLon | None = None
                    for k, point in enumerate(seg["timelinePath"]):
                        if not isinstance(point, dict):
                            continue
                        position = parse_latlng_text(point.get("point"), "timelinePath.point")
                        if position is None:
                            continue
                        diag.tally("path_fixes")
                        if last and haversine_m(last, position) < self.min_move_m:
                            continue
                        diag.tally("path_points")
                        last = position
                        at = parse_time(point["time"], "time") if point.get("time") else start
                        yield self._post(
                            rel,
                            f"{n}-{k}",
                            person,
                            position,
                            at,
                            DEFAULT_ACCURACY_M,
                            where,
                            kind="path",
                        )
            except RecordError as exc:
                diag.warn(f"{where}: {exc}; record skipped", kind="bad-record")
