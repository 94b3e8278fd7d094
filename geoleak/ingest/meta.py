"""What Facebook and Instagram downloads share: media items, EXIF kept in the JSON, mojibake.

Meta strips GPS from the files in a download, but keeps what it read from them in the JSON:
`media_metadata.photo_metadata.exif_data[*].latitude/longitude`. That is the leak these
readers surface, as a post geotag with source EXIF. All text goes through `fix_mojibake`
(Meta writes UTF-8 bytes as `\\u00xx` escapes). Media `uri`s are relative to the export
root and are only accepted inside it; one written with backslashes (an export made on
Windows) is read with them as folder separators.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from geoleak.diagnostics import Diagnostics
from geoleak.ingest.common import RecordError, fix_mojibake, get_path, latlon, parse_time
from geoleak.ingest.jsonl import export_media_path
from geoleak.types import EvidenceSource, LatLon, NamedPlace, Post

__all__ = ["MediaItem", "media_item", "meta_place", "posts_from_items", "text_of"]

EXIF_ACCURACY_M = 20.0


def text_of(value: Any) -> str | None:
    """Repaired text, or None for blanks and non-strings."""
    if not isinstance(value, str) or not value.strip():
        return None
    return fix_mojibake(value)


@dataclass(frozen=True, slots=True)
class MediaItem:
    path: str | None
    created_at: datetime | None
    position: LatLon | None
    title: str | None
    taken_at: datetime | None


def media_item(item: Any, root: Path, where: str, diag: Diagnostics) -> MediaItem:
    """One Meta media entry ({uri, creation_timestamp, media_metadata, title})."""
    if not isinstance(item, dict):
        raise RecordError("media entry is not an object")
    path: str | None = None
    uri = item.get("uri")
    if isinstance(uri, str) and uri and not uri.startswith(("http://", "https://")):
        resolved, refused = export_media_path(root, uri)
        if resolved is None:
            diag.warn(f"{where}: {refused}", kind="unsafe-path")
        elif resolved.is_file():
            path = str(resolved)
    created = (
        parse_time(item["creation_timestamp"], "creation_timestamp")
        if item.get("creation_timestamp") is not None
        else None
    )
    position = taken = None
    metadata = item.get("media_metadata")
    exif_list: list[Any] = []
    if isinstance(metadata, dict):
        for kind in ("photo_metadata", "video_metadata"):
            found = get_path(metadata, kind, "exif_data")
            if isinstance(found, list):
                exif_list.extend(found)
    for exif in exif_list:
        if not isinstance(exif, dict):
            continue
        if position is None and ("latitude" in exif or "longitude" in exif):
            try:
                position = latlon(exif.get("latitude"), exif.get("longitude"), "exif_data")
            except RecordError as exc:
                diag.warn(f"{where}: {exc}; position ignored", kind="bad-record")
        if taken is None and exif.get("taken_timestamp") is not None:
            try:
                taken = parse_time(exif["taken_timestamp"], "taken_timestamp")
            except RecordError:
                taken = None
    return MediaItem(path, created, position, text_of(item.get("title")), taken)


def meta_place(obj: Any) -> NamedPlace | None:
    """A Facebook `place` ({name, coordinate: {latitude, longitude}, address})."""
    if not isinstance(obj, dict):
        return None
    name = text_of(obj.get("name")) or text_of(obj.get("address")) or ""
    coord = obj.get("coordinate")
    centre = None
    if isinstance(coord, dict):
        centre = latlon(coord.get("latitude"), coord.get("longitude"), "place.coordinate")
    if not name and centre is None:
        return None
    return NamedPlace(name, centre)


def posts_from_items(
    *,
    post_id: str,
    person: str,
    created: datetime | None,
    text: str | None,
    place: NamedPlace | None,
    media: list[MediaItem],
    origin: str,
    extra: dict[str, Any],
) -> Iterator[Post]:
    """The post itself, geotagged with its first media's EXIF position; then one post per
    further media item whose EXIF position differs (a post has one geotag)."""
    with_pos = [m for m in media if m.position is not None]
    first = with_pos[0] if with_pos else None
    yield Post(
        id=post_id,
        author=person,
        created_at=created or (media[0].created_at if media else None),
        text=text,
        geotag=first.position if first else None,
        place=place,
        media=tuple(m.path for m in media if m.path),
        origin=origin,
        geotag_source=EvidenceSource.EXIF if first else EvidenceSource.GEOTAG,
        geotag_accuracy_m=EXIF_ACCURACY_M if first else None,
        extra={
            **extra,
            **({"taken_at": first.taken_at.isoformat()} if first and first.taken_at else {}),
        },
    )
    for k, item in enumerate(with_pos[1:], start=2):
        if first is not None and item.position == first.position:
            continue
        yield Post(
            id=f"{post_id}#media{k}",
            author=person,
            created_at=item.taken_at or item.created_at or created,
            text=item.title,
            geotag=item.position,
            media=(item.path,) if item.path else (),
            origin=origin,
            geotag_source=EvidenceSource.EXIF,
            geotag_accuracy_m=EXIF_ACCURACY_M,
            extra=extra,
        )
