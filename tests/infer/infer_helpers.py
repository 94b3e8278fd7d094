"""Building evidence for inference tests: a person seen at places at local times."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from geoleak.geometry import destination
from geoleak.types import Evidence, EvidenceSource, LatLon, LocalTimeBasis


def seen(
    person: str,
    place: LatLon,
    local: datetime,
    *,
    utc_offset_h: float = 0.0,
    jitter_m: float = 15.0,
    rng: random.Random | None = None,
    source: EvidenceSource = EvidenceSource.EXIF,
    accuracy_m: float = 10.0,
    post_id: str | None = None,
) -> Evidence:
    rng = rng or random.Random(hash((person, local)))
    position = destination(place, rng.uniform(0, 360), abs(rng.gauss(0, jitter_m)))
    utc = (local - timedelta(hours=utc_offset_h)).replace(tzinfo=timezone.utc)
    return Evidence(
        post_id=post_id or f"{person}-{local:%Y%m%d%H%M}-{rng.randrange(10**6)}",
        person=person,
        position=position,
        source=source,
        accuracy_m=accuracy_m,
        time_utc=utc,
        local_time=local,
        local_basis=LocalTimeBasis.EXIF_OFFSET,
    )


def year_of_life(
    person: str,
    home: LatLon,
    base: LatLon | None,
    *,
    start: date = date(2025, 1, 6),
    weeks: int = 40,
    nights_per_week: int = 2,
    workdays_per_week: int = 2,
    weekend_days_per_week: int = 1,
    night_shift: bool = False,
    night_worker_home_hours: tuple[float, float] = (14.5, 21.0),
    seed: int = 1,
) -> list[Evidence]:
    """Evenings and weekends at home, weekday duty at base: what a real poster leaks. A night
    worker is seen at home on weekdays between `night_worker_home_hours` (awake after the day's
    sleep, before the shift: night workers sleep ~08-14, Akerstedt 2003, Occup Med 53:89)."""
    rng = random.Random(seed)
    out: list[Evidence] = []
    for week in range(weeks):
        monday = start + timedelta(weeks=week)
        for day in rng.sample(range(5), nights_per_week):
            local = datetime.combine(monday + timedelta(days=day), datetime.min.time()) + timedelta(
                hours=rng.uniform(21.5, 23.5)
                if not night_shift
                else rng.uniform(*night_worker_home_hours)
            )
            out.append(seen(person, home, local, rng=rng))
        for day in rng.sample((5, 6), weekend_days_per_week):
            local = datetime.combine(monday + timedelta(days=day), datetime.min.time()) + timedelta(
                hours=rng.uniform(10, 18)
            )
            out.append(seen(person, home, local, rng=rng))
        if base is not None:
            for day in rng.sample(range(5), workdays_per_week):
                hour = rng.uniform(9, 16) if not night_shift else rng.uniform(22.5, 23.9)
                local = datetime.combine(
                    monday + timedelta(days=day), datetime.min.time()
                ) + timedelta(hours=hour)
                out.append(seen(person, base, local, rng=rng, jitter_m=120))
    return out
