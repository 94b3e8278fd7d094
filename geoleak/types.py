"""Value objects shared by every stage of the pipeline.

Frozen, slotted dataclasses with validation only. Coordinates are (lat, lon) in WGS84
decimal degrees everywhere; times inside the program are timezone-aware UTC datetimes,
and a *local* time is a naive wall-clock datetime that says how it was obtained.
"""

from __future__ import annotations

import copyreg
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from operator import attrgetter
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = [
    "EMPTY_EXTRA",
    "Evidence",
    "EvidenceSource",
    "LatLon",
    "LocalTimeBasis",
    "MediaMeta",
    "NamedPlace",
    "Place",
    "PlaceKind",
    "Post",
    "Profile",
    "SensitiveSite",
    "SharedSite",
    "TrackPoint",
]

EMPTY_EXTRA: Mapping[str, Any] = MappingProxyType({})
_D = TypeVar("_D")


def _empty() -> Mapping[str, Any]:
    return EMPTY_EXTRA


def _mapping_proxy(items: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(items)


# Read-only `extra` mappings must survive pickling: per-person inference runs in worker
# processes and sends Places and Profiles back.
copyreg.pickle(MappingProxyType, lambda proxy: (_mapping_proxy, (dict(proxy),)))


@dataclass(frozen=True, slots=True)
class LatLon:
    """A WGS84 position in decimal degrees, (lat, lon) order."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (isinstance(self.lat, (int, float)) and isinstance(self.lon, (int, float))):
            raise TypeError(f"LatLon needs numbers, got {self.lat!r}, {self.lon!r}")
        if not (math.isfinite(self.lat) and math.isfinite(self.lon)):
            raise ValueError(f"LatLon needs finite numbers, got {self.lat!r}, {self.lon!r}")
        if not -90.0 <= self.lat <= 90.0:
            raise ValueError(f"latitude {self.lat!r} is outside [-90, 90]")
        if not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"longitude {self.lon!r} is outside [-180, 180]")

    @classmethod
    def checked(cls, lat: float, lon: float) -> LatLon:
        """A LatLon of two floats the caller has already range-checked (NaN fails a range
        test): the reader's fast path, without `__post_init__`'s checks repeated."""
        made = object.__new__(cls)
        object.__setattr__(made, "lat", lat)
        object.__setattr__(made, "lon", lon)
        return made

    @property
    def is_null_island(self) -> bool:
        """(0, 0): the placeholder many devices write when they have no fix."""
        return abs(self.lat) < 1e-7 and abs(self.lon) < 1e-7

    def __str__(self) -> str:
        return f"{self.lat:.6f}, {self.lon:.6f}"


@dataclass(frozen=True, slots=True)
class NamedPlace:
    """A place named by a platform (`place` in the corpus), optionally with its centre."""

    name: str
    centre: LatLon | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north


class EvidenceSource(str, Enum):
    """Where a piece of location evidence came from, strongest first."""

    EXIF = "exif"  # GPS in a photo or video's own metadata
    GEOTAG = "geotag"  # the platform's lat/lon on the post
    PLACE = "place"  # the centre of a platform's named place
    CHECKIN = "checkin"  # a place named in the post's text, geocoded
    TRACK = "track"  # a point from an activity track or location history


@dataclass(frozen=True, slots=True)
class Post:
    """One published post (or one media file standing as a post) of one person.

    `media` holds resolved paths that the ingest stage has already checked are inside the
    corpus folder. `origin` names where the post came from ("corpus.jsonl:17") for messages.
    `extra` keeps fields geoleak does not know, untouched. Readers of location history or
    activity tracks set `geotag_source` (TRACK) and `geotag_accuracy_m` for their points.
    `created_at` is in UTC; `posted_offset_h` is the UTC offset (hours) its source wrote the
    time with, when it kept one (the author's zone: a prior for ambiguous place names).
    """

    id: str
    author: str
    created_at: datetime | None = None
    text: str | None = None
    geotag: LatLon | None = None
    place: NamedPlace | None = None
    media: tuple[str, ...] = ()
    origin: str = ""
    geotag_source: EvidenceSource = EvidenceSource.GEOTAG
    geotag_accuracy_m: float | None = None
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False, hash=False)
    posted_offset_h: float | None = field(default=None, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a post needs a non-empty id")
        if not self.author:
            raise ValueError(f"post {self.id!r} needs a non-empty author")
        if self.created_at is not None and self.created_at.tzinfo is None:
            raise ValueError(f"post {self.id!r}: created_at must be timezone-aware")


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One kept fix of a media file's GPS track (a video's telemetry); `time_utc` is the
    fix's own GPS time, None when the stream has none (GoPro Karma's GPRI)."""

    position: LatLon
    time_utc: datetime | None = None


@dataclass(frozen=True, slots=True)
class MediaMeta:
    """What one media file's metadata says (the scan record of formats.md section 4).

    `capture_time` is aware when the file gives an offset, else naive local wall-clock time.
    `error` is set when the file could not be read at all; `warnings` explain values that
    were present but rejected (out of range, Null Island, ...).
    """

    path: str
    format: str | None = None
    position: LatLon | None = None
    alt_m: float | None = None
    capture_time: datetime | None = None
    # True when capture_time's offset was derived from the file's GPS UTC time (a camera
    # that writes its local clock where the format says UTC), not stated by the file
    offset_from_gps: bool = False
    gps_time: datetime | None = None
    accuracy_m: float | None = None
    direction_deg: float | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    lens: str | None = None
    software: str | None = None
    position_source: str | None = None  # e.g. "exif", "xmp", "quicktime", "sidecar"
    # (also "gpmf" GoPro, "camm" Google CAMM, "flir" FLIR record, "takeout" Takeout sidecar)
    # A video's GPS track, thinned (geometry.TrackThinner, plus its last fix); its first
    # point is `position`. `track_fixes` counts the valid fixes read before thinning.
    track: tuple[TrackPoint, ...] = ()
    track_fixes: int = 0
    has_metadata: bool = False  # any EXIF / XMP / QuickTime metadata block was found
    warnings: tuple[str, ...] = ()
    error: str | None = None

    @property
    def device(self) -> str | None:
        """A readable device identity: make, model and serial where known."""
        parts = [p for p in (self.make, self.model) if p]
        if not parts and not self.serial:
            return None
        name = " ".join(parts) if parts else "unknown camera"
        if parts and len(parts) == 2 and parts[1].lower().startswith(parts[0].lower()):
            name = parts[1]
        return f"{name} #{self.serial}" if self.serial else name


class LocalTimeBasis(str, Enum):
    """How a piece of evidence's local time was obtained."""

    EXIF_OFFSET = "exif-offset"  # capture time with OffsetTimeOriginal
    GPS_OFFSET = "gps-offset"  # camera's local clock, offset from the file's GPS UTC time
    POSITION_TZ = "position-tz"  # UTC time converted with the time zone at the position
    EXIF_NAIVE = "exif-naive"  # capture time without an offset: local by EXIF convention
    PERSON_TZ = "person-tz"  # the person's estimated time zone
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One located observation of one person: the unit of inference.

    `time_utc` is the best clock for when the person was there (capture time when the
    media gives one, else the post's publication time); `local_time` is naive local
    wall-clock time, with `local_basis` saying how it was derived. `accuracy_m` is the
    nominal uncertainty of the position; `weight` scales its influence in inference.
    """

    post_id: str
    person: str
    position: LatLon
    source: EvidenceSource
    accuracy_m: float = 30.0
    time_utc: datetime | None = None
    local_time: datetime | None = None
    local_basis: LocalTimeBasis = LocalTimeBasis.NONE
    tz_name: str | None = None
    posted_at: datetime | None = None
    media_path: str | None = None
    device: str | None = None
    text: str | None = None
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.time_utc is not None and self.time_utc.tzinfo is None:
            raise ValueError(f"evidence {self.post_id!r}: time_utc must be timezone-aware")
        if self.local_time is not None and self.local_time.tzinfo is not None:
            raise ValueError(f"evidence {self.post_id!r}: local_time must be naive wall-clock")
        if not self.accuracy_m > 0:
            raise ValueError(f"evidence {self.post_id!r}: accuracy_m must be positive")


class PlaceKind(str, Enum):
    HOME = "home"
    BASE = "base"
    FREQUENT = "frequent"


@dataclass(frozen=True, slots=True)
class Place:
    """An inferred place of one person, with the evidence behind it."""

    kind: PlaceKind
    position: LatLon
    radius_m: float
    confidence: float
    evidence: tuple[str, ...]
    days: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    explanation: str = ""
    nights: int = 0
    workdays: int = 0
    site_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence!r} is outside [0, 1]")
        if not self.radius_m >= 0:
            raise ValueError(f"radius_m {self.radius_m!r} must not be negative")


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything inferred about one person."""

    person: str
    places: tuple[Place, ...] = ()
    posts: int = 0
    evidence_count: int = 0
    evidence_by_source: Mapping[str, int] = field(default_factory=_empty, compare=False)
    devices: tuple[str, ...] = ()
    timezone: str | None = None
    notes: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False, hash=False)

    def place(self, kind: PlaceKind) -> Place | None:
        """The first (strongest) place of a kind, or None."""
        return next((p for p in self.places if p.kind == kind), None)


@dataclass(frozen=True, slots=True)
class SharedSite:
    """A place where the workplaces of several people concentrate (inferred across people).

    `radius_m` is the uncertainty of the centre; `people` are sorted; `evidence_count` and
    `days` count every member's evidence and distinct weekdays there.
    """

    site_id: str
    position: LatLon
    radius_m: float
    people: tuple[str, ...]
    evidence_count: int
    days: int

    def __post_init__(self) -> None:
        if not self.radius_m >= 0:
            raise ValueError(f"site {self.site_id!r}: radius_m must not be negative")

    def to_json(self) -> dict[str, object]:
        return {
            "site": self.site_id,
            "lat": round(self.position.lat, 6),
            "lon": round(self.position.lon, 6),
            "radius_m": round(self.radius_m, 1),
            "people": list(self.people),
            "people_count": len(self.people),
            "evidence_count": self.evidence_count,
            "days": self.days,
        }


Ring = tuple[LatLon, ...]


@dataclass(frozen=True, slots=True)
class SensitiveSite:
    """A user-given sensitive site: a point with a radius (m), or polygons (outer ring first,
    then holes), from a `--sites` GeoJSON file."""

    id: str
    name: str
    point: LatLon | None = None
    radius_m: float = 0.0
    polygons: tuple[tuple[Ring, ...], ...] = ()
    properties: Mapping[str, Any] | None = None


_INIT_FIELDS: dict[type, tuple[dict[str, int], Callable[[Any], Any]]] = {}


def _init_fields(cls: type) -> tuple[dict[str, int], Callable[[Any], Any]]:
    """Each field's position in `cls`'s constructor, and a getter of all their values."""
    known = _INIT_FIELDS.get(cls)
    if known is not None:
        return known
    from dataclasses import fields

    names = [f.name for f in fields(cls)]
    if any(not f.init or f.kw_only for f in fields(cls)):  # (positional values would not do)
        raise TypeError(f"{cls.__name__} has a field its constructor does not take by position")
    values = attrgetter(*names)
    getter = (lambda obj: (values(obj),)) if len(names) == 1 else values
    known = _INIT_FIELDS[cls] = {name: k for k, name in enumerate(names)}, getter
    return known


def replaced(obj: _D, /, **changes: Any) -> _D:
    """`dataclasses.replace(obj, **changes)` for a dataclass whose constructor takes every
    field by position: the constructor called with the same values, without `replace`'s
    walk over the fields' definitions (~19 K instructions a call against ~11 K; the analyses'
    copies between the passes make several a person). A name that is not a field raises
    TypeError, as `replace` does."""
    cls = type(obj)
    position, getter = _INIT_FIELDS.get(cls) or _init_fields(cls)
    values = list(getter(obj))
    try:
        for name, value in changes.items():
            values[position[name]] = value
    except KeyError as missing:
        raise TypeError(f"{cls.__name__} has no field {missing}") from None
    return cls(*values)


def _pickled_by_fields(cls: type) -> None:
    """Pickle `cls` as its constructor call: (cls, field values). Millions of posts and
    pieces of evidence travel between processes; the default for frozen slotted dataclasses
    (their values set one by one by a Python `__setstate__`) costs about a third more. The
    constructor validates the values again on the way in."""
    values = _init_fields(cls)[1]
    copyreg.pickle(cls, lambda obj: (cls, values(obj)))


for _cls in (LatLon, NamedPlace, Post, TrackPoint, MediaMeta, Evidence, Place):
    _pickled_by_fields(_cls)
