"""A scenario's evidence in memory, without writing photos: for benchmarks at scale.

Each generated post goes through the same `evidence_from_post` as a real corpus; the
photo's metadata is what `read_media` would have read from the file that `generate`
writes (position, capture time with or without offset, positioning error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.extract.evidence import evidence_from_post
from geoleak.ingest.jsonl import parse_post
from geoleak.scenario.generator import GeneratedPost, iter_people, media_path
from geoleak.scenario.mobility import MobilityConfig, iter_mobility
from geoleak.scenario.model import ScenarioConfig
from geoleak.scenario.timeuse import TimeUseConfig, iter_timeuse
from geoleak.scenario.timeuse import media_path as timeuse_media_path
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
    config: ScenarioConfig | TimeUseConfig | MobilityConfig,
) -> Iterator[tuple[str, list[Evidence], list[dict[str, object]]]]:
    """(person, evidence, truth rows) for every person of the scenario, one at a time.

    Any family: `ScenarioConfig` (geoleak.scenario.generator), `TimeUseConfig`
    (geoleak.scenario.timeuse) or `MobilityConfig` (geoleak.scenario.mobility).
    """
    diag = Diagnostics()
    if isinstance(config, (TimeUseConfig, MobilityConfig)):
        people = (
            iter_timeuse(config) if isinstance(config, TimeUseConfig) else iter_mobility(config)
        )
        for person in people:
            found = _evidence(
                person.items,
                partial(timeuse_media_path, person),
                person.media_format,
                person.device,
                diag,
            )
            yield person.handle, found, person.truth
        return
    for record in iter_people(config):
        found = _evidence(
            record.items,
            partial(media_path, record.plan),
            record.plan.media_format,
            record.plan.device,
            diag,
        )
        yield record.plan.handle, found, record.truth


def _evidence(
    items: list[GeneratedPost],
    media_of: Callable[[str], str],
    media_format: str,
    device: tuple[str, str, str | None],
    diag: Diagnostics,
) -> list[Evidence]:
    """Evidence of one person's generated posts, as reading the written files would give."""
    found: list[Evidence] = []
    for item in items:
        obj = dict(item.post)
        media: dict[str, MediaMeta] = {}
        if item.photo is not None:
            rel = media_of(obj["id"])
            obj["media"] = [rel]
            position = item.photo.get("position")
            accuracy = item.photo.get("accuracy_m")
            path = str((_ROOT / rel).resolve())
            usable = isinstance(position, LatLon) and not position.is_null_island
            media[path] = MediaMeta(
                path=path,
                format=media_format,
                position=position if usable else None,
                capture_time=_capture_time(item.photo),
                accuracy_m=float(accuracy)
                if isinstance(accuracy, (int, float)) and accuracy
                else None,
                make=device[0],
                model=device[1],
                serial=device[2],
                has_metadata=True,
            )
        post = parse_post(obj, where="scenario", root=_ROOT, diag=diag)
        found.extend(evidence_from_post(post, media))
    return found
