"""Post (+ its media's metadata) -> located Evidence. Pure functions.

Which clock: a photo's capture time says when the person stood where the photo was taken;
the post's `created_at` may be hours or days later (late uploads). So EXIF evidence uses the
capture time when there is one, and everything else uses the publication time.

Which local time: the EXIF offset when the file gives one; else the time zone at the
position (offline lookup); a capture time without offset is already local by EXIF
convention and is converted to UTC through the zone at the position.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from geoleak.extract.localtime import localize_naive, timezone_at, to_local
from geoleak.types import (
    Evidence,
    EvidenceSource,
    LatLon,
    LocalTimeBasis,
    MediaMeta,
    NamedPlace,
    Post,
)

__all__ = [
    "DEFAULT_ACCURACY_M",
    "SOURCE_WEIGHT",
    "evidence_from_post",
    "observation",
    "place_accuracy_m",
    "timed",
]

# Nominal position uncertainty when the data does not say (metres).
DEFAULT_ACCURACY_M: Mapping[EvidenceSource, float] = {
    EvidenceSource.EXIF: 20.0,
    EvidenceSource.GEOTAG: 50.0,
    EvidenceSource.TRACK: 30.0,
    EvidenceSource.PLACE: 1000.0,
    EvidenceSource.CHECKIN: 1000.0,
}
# How much one observation of each source counts in inference.
SOURCE_WEIGHT: Mapping[EvidenceSource, float] = {
    EvidenceSource.EXIF: 1.0,
    EvidenceSource.GEOTAG: 1.0,
    EvidenceSource.TRACK: 1.0,
    EvidenceSource.PLACE: 0.5,
    EvidenceSource.CHECKIN: 0.4,
}

TimezoneLookup = Callable[[LatLon], "str | None"]


def place_accuracy_m(place: NamedPlace) -> float:
    """Uncertainty of a named place's centre: half the bbox diagonal, else a city's scale."""
    if place.bbox is None:
        return DEFAULT_ACCURACY_M[EvidenceSource.PLACE]
    west, south, east, north = place.bbox
    mid_lat = math.radians((south + north) / 2.0)
    width_m = ((east - west) % 360.0) * 111_320.0 * math.cos(mid_lat)
    height_m = (north - south) * 110_574.0
    return max(25.0, math.hypot(width_m, height_m) / 2.0)


def timed(
    position: LatLon,
    *,
    capture_time: datetime | None,
    posted_at: datetime | None,
    tz_lookup: TimezoneLookup = timezone_at,
    offset_from_gps: bool = False,
    fix_time: datetime | None = None,
) -> tuple[datetime | None, datetime | None, LocalTimeBasis, str | None]:
    """(time_utc, local_time, basis, tz_name) for an observation at `position`.

    `offset_from_gps`: an aware `capture_time` whose offset came from GPS time, not the file.
    `fix_time`: the UTC time of a GPS fix (a video track's point); it wins over both, and
    its local time is that of the zone at the position.
    """
    tz_name = tz_lookup(position)
    if fix_time is not None and fix_time.tzinfo is not None:
        utc = fix_time.astimezone(timezone.utc)
        local = to_local(utc, tz_name)
        return utc, local, LocalTimeBasis.POSITION_TZ if local else LocalTimeBasis.NONE, tz_name
    if capture_time is not None and capture_time.tzinfo is not None:
        utc = capture_time.astimezone(timezone.utc)
        basis = LocalTimeBasis.GPS_OFFSET if offset_from_gps else LocalTimeBasis.EXIF_OFFSET
        return utc, capture_time.replace(tzinfo=None), basis, tz_name
    if capture_time is not None:
        return (
            localize_naive(capture_time, tz_name),
            capture_time,
            LocalTimeBasis.EXIF_NAIVE,
            tz_name,
        )
    if posted_at is not None:
        local = to_local(posted_at, tz_name)
        basis = LocalTimeBasis.POSITION_TZ if local is not None else LocalTimeBasis.NONE
        return posted_at, local, basis, tz_name
    return None, None, LocalTimeBasis.NONE, tz_name


def evidence_from_post(
    post: Post,
    media: Mapping[str, MediaMeta],
    *,
    tz_lookup: TimezoneLookup = timezone_at,
) -> list[Evidence]:
    """Every located observation a post gives away, strongest first.

    `media` maps the post's media paths to their metadata (missing ones are skipped).
    """
    if not post.media and post.place is None:
        return _geotag_evidence(post, tz_lookup)
    return _all_evidence(post, media, tz_lookup)


def _all_evidence(
    post: Post, media: Mapping[str, MediaMeta], tz_lookup: TimezoneLookup
) -> list[Evidence]:
    """`evidence_from_post` for every post, `_geotag_evidence`'s included."""
    found: list[Evidence] = []
    for path in post.media:
        meta = media.get(path)
        if meta is None or meta.position is None:
            continue
        found.append(
            observation(
                post, meta.position, EvidenceSource.EXIF,
                accuracy_m=_accuracy(meta.accuracy_m, EvidenceSource.EXIF),
                capture_time=meta.capture_time, media_path=path, device=meta.device,
                tz_lookup=tz_lookup, offset_from_gps=meta.offset_from_gps,
            )
        )  # fmt: skip
        # The rest of a video's GPS track: where the camera went while it recorded.
        for point in meta.track[1:]:
            found.append(
                observation(
                    post, point.position, EvidenceSource.TRACK,
                    accuracy_m=_accuracy(meta.accuracy_m, EvidenceSource.TRACK),
                    capture_time=None if point.time_utc else meta.capture_time,
                    fix_time=point.time_utc, media_path=path, device=meta.device,
                    tz_lookup=tz_lookup, offset_from_gps=meta.offset_from_gps,
                )
            )  # fmt: skip
    if post.geotag is not None and not post.geotag.is_null_island:
        found.append(
            observation(
                post, post.geotag, post.geotag_source,
                accuracy_m=_accuracy(post.geotag_accuracy_m, post.geotag_source), tz_lookup=tz_lookup,
            )
        )  # fmt: skip
    place = post.place
    if place is not None and place.centre is not None and not place.centre.is_null_island:
        found.append(
            observation(
                post, place.centre, EvidenceSource.PLACE, accuracy_m=place_accuracy_m(place),
                tz_lookup=tz_lookup,
            )
        )  # fmt: skip
    return found


def _geotag_evidence(post: Post, tz_lookup: TimezoneLookup) -> list[Evidence]:
    """`evidence_from_post` of a post with no media and no place (most posts of a large
    corpus): its geotag's `observation`, with `timed`'s publication-time case inlined."""
    geotag = post.geotag
    if geotag is None or geotag.is_null_island:
        return []
    source = post.geotag_source
    tz_name = tz_lookup(geotag)
    created = post.created_at
    local = None if created is None else to_local(created, tz_name)
    return [
        Evidence(
            post_id=post.id, person=post.author, position=geotag, source=source,
            accuracy_m=_accuracy(post.geotag_accuracy_m, source), time_utc=created,
            local_time=local,
            local_basis=LocalTimeBasis.NONE if local is None else LocalTimeBasis.POSITION_TZ,
            tz_name=tz_name, posted_at=created, text=post.text, weight=SOURCE_WEIGHT[source],
        )
    ]  # fmt: skip


def observation(
    post: Post,
    position: LatLon,
    source: EvidenceSource,
    *,
    accuracy_m: float,
    capture_time: datetime | None = None,
    media_path: str | None = None,
    device: str | None = None,
    weight: float | None = None,
    text: str | None = None,
    tz_lookup: TimezoneLookup = timezone_at,
    offset_from_gps: bool = False,
    fix_time: datetime | None = None,
) -> Evidence:
    """One piece of evidence of `post` at `position`, timed as `timed` explains.

    `weight` defaults to the source's weight in SOURCE_WEIGHT, `text` to the post's text.
    """
    utc, local, basis, tz_name = timed(
        position,
        capture_time=capture_time,
        posted_at=post.created_at,
        tz_lookup=tz_lookup,
        offset_from_gps=offset_from_gps,
        fix_time=fix_time,
    )
    return Evidence(
        post_id=post.id,
        person=post.author,
        position=position,
        source=source,
        accuracy_m=accuracy_m,
        time_utc=utc,
        local_time=local,
        local_basis=basis,
        tz_name=tz_name,
        posted_at=post.created_at,
        media_path=media_path,
        device=device,
        text=post.text if text is None else text,
        weight=SOURCE_WEIGHT[source] if weight is None else weight,
    )


def _accuracy(value: float | None, source: EvidenceSource) -> float:
    if value is not None and math.isfinite(value) and value > 0:
        return float(value)
    return DEFAULT_ACCURACY_M[source]
