"""A scenario's evidence in memory, without writing photos: for benchmarks at scale.

Each generated post goes through the same `evidence_from_post` as a real corpus; the
photo's metadata is what `read_media` would have read from the file that `generate`
writes (position, capture time with or without offset, positioning error).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.extract.evidence import evidence_from_post
from geoleak.ingest.jsonl import parse_post
from geoleak.scenario.generator import iter_people, media_path
from geoleak.scenario.model import ScenarioConfig
from geoleak.types import Evidence, LatLon, MediaMeta

__all__ = ["scenario_evidence"]

_ROOT = Path("/scenario-in-memory")


def _capture_time(photo: dict[str, object]) -> datetime:
    local = photo["local"]
    assert isinstance(local, datetime)
    offset = photo.get("offset")
    if isinstance(offset, str):
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        return local.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
    return local


def scenario_evidence(
    config: ScenarioConfig,
) -> Iterator[tuple[str, list[Evidence], list[dict[str, object]]]]:
    """(person, evidence, truth rows) for every person of the scenario, one at a time."""
    diag = Diagnostics()
    for record in iter_people(config):
        found: list[Evidence] = []
        for item in record.items:
            obj = dict(item.post)
            media: dict[str, MediaMeta] = {}
            if item.photo is not None:
                rel = media_path(record.plan, obj["id"])
                obj["media"] = [rel]
                position = item.photo.get("position")
                accuracy = item.photo.get("accuracy_m")
                path = str((_ROOT / rel).resolve())
                usable = isinstance(position, LatLon) and not position.is_null_island
                media[path] = MediaMeta(
                    path=path,
                    format=record.plan.media_format,
                    position=position if usable else None,
                    capture_time=_capture_time(item.photo),
                    accuracy_m=float(accuracy)
                    if isinstance(accuracy, (int, float)) and accuracy
                    else None,
                    make=record.plan.device[0],
                    model=record.plan.device[1],
                    serial=record.plan.device[2],
                    has_metadata=True,
                )
            post = parse_post(obj, where="scenario", root=_ROOT, diag=diag)
            found.extend(evidence_from_post(post, media))
        yield record.plan.handle, found, record.truth
