"""The people, places and behaviours of a generated scenario (all fictional).

A scenario is a set of units, each with a base in open country and members who live in
the towns around it. Members behave like real posters: day and night shifts, weekends,
leave and holidays far from home, evenings at the gym or the pub, weekends at their
parents', late uploads, reshared photos of strangers' places, (0, 0) fixes and
low-accuracy fixes. Each knob below is a probability or a rate and can be varied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from geoleak.types import LatLon

__all__ = ["Behaviour", "PersonPlan", "Region", "ScenarioConfig", "UnitPlan"]


@dataclass(frozen=True, slots=True)
class Region:
    """Where a unit can be placed: a centre and a spread in degrees (open country)."""

    name: str
    centre: LatLon
    spread_deg: float = 0.3


# Regions on both hemispheres, with and without daylight saving time, at high latitude
# and on both sides of the antimeridian. Positions are drawn around these centres; every
# base and home is fictional.
REGIONS: tuple[Region, ...] = (
    Region("Ostrobothnia plain (FI, EET/EEST)", LatLon(64.20, 24.10)),
    Region("Finnmark plateau (NO, CET/CEST)", LatLon(69.45, 24.50)),
    Region("Canterbury plains (NZ, NZST/NZDT)", LatLon(-43.75, 171.95)),
    Region("Taveuni (FJ, across the antimeridian)", LatLon(-16.85, -179.96), 0.05),
    Region("Edwards plateau (US, CST/CDT)", LatLon(30.90, -100.40)),
    Region("Santa Cruz steppe (AR, no DST)", LatLon(-48.70, -69.20)),
    Region("Susitna flats (US, AKST/AKDT)", LatLon(61.80, -150.20)),
    Region("Karoo (ZA, no DST)", LatLon(-31.90, 23.40)),
)
DEMO_REGION = Region("Heathmoor (fictional)", LatLon(64.2150, 24.0870), 0.0)


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How one person posts. Rates are per day; probabilities per post."""

    posts_per_day: float = 0.9
    p_photo: float = 0.35  # a post has a photo
    p_photo_gps: float = 0.7  # the photo carries EXIF GPS (location on in the camera)
    p_geotag: float = 0.25  # the post carries a platform geotag
    p_place: float = 0.05  # the post names a town-level place (with centre)
    p_checkin_text: float = 0.04  # the text names a venue ("at Heathmoor Fitness")
    p_offset: float = 0.6  # a photo's EXIF has OffsetTimeOriginal
    p_late: float = 0.15  # a photo is uploaded hours or days after it was taken
    p_low_accuracy: float = 0.03  # a GPS fix is a coarse cell-tower fix (km)
    p_null_island: float = 0.01  # a GPS fix is (0, 0)
    reshares_per_year: float = 0.0  # photos of strangers' places, with their GPS
    night_shift: bool = False
    silent: bool = False  # never leaks a location
    move_day: int | None = None  # day of the year the person moves house
    holidays: int = 2  # trips far from home per year
    p_outing: float = 0.25  # an evening or weekend outing to a frequent place
    parents_weekends: int = 6  # weekends a year at the parents' house (overnight)


@dataclass
class PersonPlan:
    handle: str
    unit: str
    persona: str
    behaviour: Behaviour
    homes: list[tuple[LatLon, date, date]]  # position, valid from, valid to
    frequent: list[LatLon]
    device: tuple[str, str, str | None]  # make, model, serial
    media_format: str = "jpeg"


@dataclass
class UnitPlan:
    name: str
    region: Region
    base: LatLon
    base_radius_m: float
    buildings: list[LatLon]
    town: LatLon
    members: list[PersonPlan] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ScenarioConfig:
    """What to generate. `people` counts every person, silent ones included."""

    people: int = 60
    seed: int = 7
    units: int | None = None  # default: one unit per ~8 people
    start: date = date(2025, 1, 1)
    days: int = 365
    silent_share: float = 0.12
    night_shift_share: float = 0.12
    mover_share: float = 0.1
    resharer_share: float = 0.3
    sparse_share: float = 0.1  # people who leak rarely (often undetectable)
    media_formats: tuple[str, ...] = ("jpeg",)
    activity: float = 1.0  # multiplies everyone's posts per day
    p_photo: float = 0.25  # share of posts with a photo
    p_geotag: float = 0.25  # share of posts with a platform geotag
    demo: bool = False
