"""Counted nouns and the one definition of night and working hours."""

from __future__ import annotations

from datetime import datetime

from geoleak.infer import roles
from geoleak.report.maps import HOUR_BANDS, hour_colour
from geoleak.wording import count


def test_counted_nouns() -> None:
    assert [count(n, "person") for n in (0, 1, 2)] == ["0 people", "1 person", "2 people"]
    assert count(1, "file") == "1 file"
    assert count(3, "file") == "3 files"
    assert count(2, "match") == "2 matches"


def test_the_map_legend_uses_the_inference_hours() -> None:
    legends = [legend for *_, legend in HOUR_BANDS if legend]
    night = f"night {roles.NIGHT_START_H:02d}:00-{roles.NIGHT_END_H:02d}:00"
    work = f"working hours {roles.WORK_START_H:02d}:00-{roles.WORK_END_H:02d}:00"
    assert night in legends
    assert work in legends
    hours = [h for first, last, *_ in HOUR_BANDS for h in range(first, last)]
    assert hours == list(range(24))
    # every hour is coloured as the inference counts it: night, working hours or neither
    monday = datetime(2025, 1, 6)
    for hour in range(24):
        when = monday.replace(hour=hour)
        part, _ = roles.bin_of(when)
        is_night = part in (roles.WEEKNIGHT, roles.WEEKEND_NIGHT)
        assert (hour_colour(when) == hour_colour(monday.replace(hour=0))) == is_night, hour
        assert (hour_colour(when) == hour_colour(monday.replace(hour=12))) == (
            part == roles.WORK_HOURS
        ), hour
