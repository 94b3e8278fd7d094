"""Microsecond and second counts since 1970: exact both ways, aware and naive apart."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from geoleak.epoch import (
    US_PER_S,
    from_naive_us,
    from_utc_s,
    from_utc_us,
    naive_us,
    utc_us,
    utc_us_or_zero,
)

# Wall-clock times from year 1 to 9999 (before 1970 the counts are negative), to the
# microsecond; aware ones in any whole-minute offset.
walls = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)


@given(walls, offsets)
def test_aware_times_round_trip_through_their_utc_microseconds(
    wall: datetime, tz: timezone
) -> None:
    moment = wall.replace(tzinfo=tz)
    us = utc_us(moment)
    utc = moment.astimezone(timezone.utc)  # (the walls stay a day off the calendar's ends)
    days = utc.toordinal() - 719_163  # date(1970, 1, 1).toordinal()
    seconds = days * 86_400 + utc.hour * 3600 + utc.minute * 60 + utc.second
    assert us == seconds * US_PER_S + utc.microsecond
    back = from_utc_us(us)
    assert back == moment and back.tzinfo is timezone.utc
    assert utc_us(back) == us


@given(walls)
def test_naive_times_count_from_the_naive_epoch_and_not_as_utc_instants(wall: datetime) -> None:
    us = naive_us(wall)
    assert from_naive_us(us) == wall and from_naive_us(us).tzinfo is None
    # The same reading taken as UTC gives the same count: a local time's count is its wall
    # clock's, whatever its zone.
    assert utc_us(wall.replace(tzinfo=timezone(timedelta(hours=5)))) == us - 5 * 3600 * US_PER_S
    assert utc_us(wall.replace(tzinfo=timezone.utc)) == us


@given(st.integers(min_value=-62_135_596_800 + 86_400, max_value=253_402_214_400))
def test_seconds_are_whole_microsecond_counts(seconds: int) -> None:
    moment = from_utc_s(seconds)
    assert moment.tzinfo is timezone.utc and moment.microsecond == 0
    assert utc_us(moment) == seconds * US_PER_S
    assert from_utc_us(seconds * US_PER_S) == moment


def test_known_values_and_none_as_zero() -> None:
    assert utc_us(datetime(1970, 1, 1, tzinfo=timezone.utc)) == 0
    assert utc_us(datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc)) == -1
    assert naive_us(datetime(2025, 4, 13, 5, 11)) == 1_744_521_060 * US_PER_S
    assert from_utc_s(1_744_521_060) == datetime(2025, 4, 13, 5, 11, tzinfo=timezone.utc)
    got = utc_us_or_zero([None, datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc), None])
    assert got == [0, US_PER_S, 0]
