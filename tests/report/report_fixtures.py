"""Fictional people for the report tests, placed where a lat/lon swap or a wrap would show.

- `ana`: home in a town at 35.25 N, 78.77 W with night posts, a base 17 km away with
  working-hours posts, one far-away single point.
- `ivalo`: high latitude (Longyearbyen, 78.22 N, 15.65 E): swapped, it would sit in India.
- `chukchi`: on both sides of the antimeridian (64.7 N, 179.9 E / 179.9 W).
- a hostile person whose name, post text and file name carry markup and script.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image

from geoleak.types import (
    Evidence,
    EvidenceSource,
    LatLon,
    LocalTimeBasis,
    Place,
    PlaceKind,
    Profile,
)

HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">'
HOSTILE_TEXT = (
    "ssti {{ 7*7 }} {% if 1 %}x{% endif %} <!-- "
    '<script>window.__pwned=1</script> "onerror=window.__pwned=2 ${window.__pwned=3} '
    '`x` <a href="javascript:window.__pwned=4">click</a> </div></script><b>bold</b>'
)
HOSTILE_FILE = 'pic"><script>window.__pwned=5</script>.jpg'

ANA_HOME = LatLon(35.2501, -78.7699)
ANA_BASE = LatLon(35.1402, -78.9120)
SVALBARD = LatLon(78.2232, 15.6267)
CHUKOTKA_EAST = LatLon(64.7337, 179.9)
CHUKOTKA_WEST = LatLon(64.7337, -179.9)

START = datetime(2025, 3, 3, tzinfo=timezone.utc)


def _ev(
    person: str,
    post: str,
    position: LatLon,
    when: datetime,
    *,
    source: EvidenceSource = EvidenceSource.GEOTAG,
    text: str | None = None,
    media: str | None = None,
    device: str | None = None,
) -> Evidence:
    return Evidence(
        post_id=post,
        person=person,
        position=position,
        source=source,
        time_utc=when,
        local_time=when.replace(tzinfo=None),  # fixtures treat UTC as local: simpler to read
        local_basis=LocalTimeBasis.POSITION_TZ,
        tz_name="UTC",
        posted_at=when,
        media_path=media,
        device=device,
        text=text,
    )


def _jitter(base: LatLon, i: int, metres: float = 20.0) -> LatLon:
    step = metres / 111_000.0
    return LatLon(base.lat + step * ((i % 5) - 2) / 2, base.lon + step * ((i % 3) - 1) / 2)


def make_photo(folder: Path) -> Path:
    """A small fictional photo (a coloured square) for thumbnails."""
    path = folder / "media" / "ana-photo.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 240), (200, 60, 40)).save(path, quality=80)
    return path


def make_people(photo: Path) -> tuple[list[Profile], dict[str, list[Evidence]]]:
    """Profiles and evidence of the fictional people described in the module docstring."""
    ana: list[Evidence] = []
    for day in range(14):
        night = START + timedelta(days=day, hours=23)
        ana.append(
            _ev(
                "ana",
                f"ana-n{day}",
                _jitter(ANA_HOME, day),
                night,
                text=f"good night #{day}",
                media=str(photo) if day == 0 else None,
                source=EvidenceSource.EXIF if day == 0 else EvidenceSource.GEOTAG,
                device="Fictocam X1 #123" if day == 0 else None,
            )
        )
        if day % 7 < 5:
            work = START + timedelta(days=day, hours=11)
            ana.append(_ev("ana", f"ana-w{day}", _jitter(ANA_BASE, day, 60), work, text="at work"))
    ana.append(
        _ev(
            "ana",
            "ana-trip",
            LatLon(36.0, -80.0),
            START + timedelta(days=20, hours=15),
            text="road trip",
        )
    )
    ivalo = [
        _ev(
            "ivalo",
            f"iv-{i}",
            _jitter(SVALBARD, i),
            START + timedelta(days=i, hours=22),
            text="aurora",
        )
        for i in range(6)
    ]
    chukchi = [
        _ev(
            "chukchi",
            f"ch-{i}",
            CHUKOTKA_EAST if i % 2 else CHUKOTKA_WEST,
            START + timedelta(days=i, hours=2),
        )
        for i in range(6)
    ]
    hostile = [
        _ev(
            HOSTILE_NAME,
            f"h-{i}<script>",
            LatLon(52.52 + i * 0.01, 13.40),
            START + timedelta(days=i),
            text=HOSTILE_TEXT,
            media=HOSTILE_FILE,
            device="<b>cam</b>",
        )
        for i in range(3)
    ]
    home = Place(
        PlaceKind.HOME,
        ANA_HOME,
        40.0,
        0.9,
        ("ana-n1", "ana-n2"),
        14,
        START,
        START + timedelta(days=13),
        "seen on 14 nights <i>(escaped)</i>",
        nights=14,
        site_id=None,
    )
    base = Place(
        PlaceKind.BASE,
        ANA_BASE,
        150.0,
        0.8,
        ("ana-w1",),
        10,
        explanation="weekdays",
        workdays=10,
        site_id="S1",
    )
    ivalo_home = Place(PlaceKind.HOME, SVALBARD, 30.0, 0.7, ("iv-1",), 6)
    ivalo_base = Place(
        PlaceKind.BASE,
        LatLon(ANA_BASE.lat + 0.0005, ANA_BASE.lon),
        150.0,
        0.6,
        ("iv-2",),
        3,
        site_id="S1",
    )
    chukchi_home = Place(PlaceKind.HOME, CHUKOTKA_EAST, 60.0, 0.5, ("ch-1",), 3)
    hostile_home = Place(
        PlaceKind.HOME,
        LatLon(52.52, 13.40),
        80.0,
        0.5,
        ("h-0<script>",),
        3,
        explanation=HOSTILE_TEXT,
        site_id="<script>S9</script>",
    )
    profiles = [
        Profile("ana", (home, base), posts=40, evidence_count=len(ana)),
        Profile("ivalo", (ivalo_home, ivalo_base), posts=6),
        Profile("chukchi", (chukchi_home,), posts=6),
        Profile(HOSTILE_NAME, (hostile_home,), posts=3),
    ]
    evidence = {"ana": ana, "ivalo": ivalo, "chukchi": chukchi, HOSTILE_NAME: hostile}
    return profiles, evidence
