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

__all__ = [
    "PERSONA_FIELDS",
    "PERSONA_SHARES",
    "Behaviour",
    "PersonPlan",
    "Region",
    "ScenarioConfig",
    "UnitPlan",
]


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
    # Personas of issue 11 (all off by default; the demo's people never have them).
    posting_curve: str = "default"  # default, lunch, evening-only, evening-peak
    rotating_shift: bool = False  # 2 early, 2 late, 2 night shifts, 4 days off, all week
    home_office: bool = False  # works at home on duty days; no base
    second_home_weekends: float = 0.0  # share of weekends at the second residence
    business_trips_per_year: int = 0  # Monday-Thursday stays at a hotel in another city
    resort_holidays: bool = False  # holiday days spent around the hotel, not touring


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
    second_home: LatLon | None = None  # cabin or parents' house, 50-150 km away
    business_cities: list[tuple[LatLon, LatLon]] = field(default_factory=list)  # hotel, office
    lives_on_base: bool = False  # home is quarters inside the base


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
    # Shares of the personas of issue 11 (0 = none; `PERSONA_SHARES` has realistic values).
    # Each is a share of all people; a person has at most one of these, or one of the
    # behaviours above (night shift, mover, sparse), except evening_peak_share, a posting
    # curve given on top of another persona.
    rotating_shift_share: float = 0.0
    on_base_share: float = 0.0
    home_office_share: float = 0.0
    lunch_poster_share: float = 0.0
    second_home_share: float = 0.0
    business_traveller_share: float = 0.0
    evening_poster_share: float = 0.0
    rare_geotag_share: float = 0.0
    resort_holiday_share: float = 0.0
    evening_peak_share: float = 0.0


# ScenarioConfig field -> persona name written to truth.csv, in the order they are dealt.
PERSONA_FIELDS: dict[str, str] = {
    "rotating_shift_share": "rotating-shift",
    "on_base_share": "on-base",
    "home_office_share": "home-office",
    "lunch_poster_share": "lunch-poster",
    "second_home_share": "second-home",
    "business_traveller_share": "business-traveller",
    "evening_poster_share": "evening-poster",
    "rare_geotag_share": "rare-geotag",
    "resort_holiday_share": "resort-holiday",
}

# Shares for `geoleak scenario --all-personas`. Rough population figures, then capped so that
# every persona appears in a corpus of 60 and some regular day workers remain:
# - shift work: about 16 % of US wage and salary workers usually work a non-daytime schedule
#   (evening, night, rotating, split or irregular; BLS, "Job flexibilities and work schedules
#   2017-2018", USDL-19-1691); night shifts are the generator's night_shift_share.
# - living on base: roughly a third of US active-duty members live on the installation
#   (DoD, "Demographics: Profile of the Military Community", housing chapter).
# - working from home all day: ATUS 2022, 34 % of employed persons did some or all of their
#   work at home on days they worked (BLS, USDL-23-1364); full-time home workers are fewer.
# - geotags: 1-3 % of posts carry a location (Sloan & Morgan 2015, "Who tweets with their
#   location?", PLoS ONE 10(11): e0142209: under 1 % of tweets geotagged, about 3 % of
#   users with location services on).
# - posting curve with an evening peak and a night trough: Golder & Macy 2011, Science
#   333(6051):1878-1881 (tweets by hour across 84 countries).
PERSONA_SHARES: dict[str, float] = {
    "rotating_shift_share": 0.05,
    "on_base_share": 0.06,
    "home_office_share": 0.06,
    "lunch_poster_share": 0.05,
    "second_home_share": 0.06,
    "business_traveller_share": 0.05,
    "evening_poster_share": 0.05,
    "rare_geotag_share": 0.05,
    "resort_holiday_share": 0.05,
    "evening_peak_share": 0.3,
}
