"""Raw EXIF GPS values -> checked positions: every malformation gives a warning, not a position."""

from __future__ import annotations

import math
from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoleak.extract.gps import (
    GpsValueError,
    checked_position,
    dms_to_degrees,
    parse_exif_datetime,
    position_from_exif,
    rational,
)


def test_dms_with_hemispheres_high_latitude_and_antimeridian() -> None:
    # Longyearbyen, Svalbard: 78.22 N, 15.65 E
    north = position_from_exif(((78, 1), (13, 1), (12, 1)), "N", ((15, 1), (39, 1), (0, 1)), "E")
    assert north.position is not None
    assert north.position.lat == pytest.approx(78.22)
    assert north.position.lon == pytest.approx(15.65)
    # Fiji, either side of the antimeridian: lon 179.9 E and 179.9 W must not be swapped
    east = position_from_exif(((17, 1), (0, 1), (0, 1)), "S", ((179, 1), (54, 1), (0, 1)), "E")
    west = position_from_exif(((17, 1), (0, 1), (0, 1)), "S", ((179, 1), (54, 1), (0, 1)), "W")
    assert east.position is not None
    assert west.position is not None
    assert east.position.lon == pytest.approx(179.9)
    assert west.position.lon == pytest.approx(-179.9)
    assert east.position.lat == pytest.approx(-17.0)


@pytest.mark.parametrize(
    ("lat", "lon", "needle"),
    [
        (((4294967295, 1),), ((1, 1), (0, 1), (0, 1)), "out of range"),
        (((51, 0), (0, 1), (0, 1)), ((1, 1), (0, 1), (0, 1)), "zero denominator"),
        (((51, 1), (0, 1), (0, 1), (0, 1)), ((1, 1), (0, 1), (0, 1)), "4 values"),
        (((51, 1), (75, 1), (0, 1)), ((1, 1), (0, 1), (0, 1)), "minutes"),
        (b"51.5", ((1, 1), (0, 1), (0, 1)), "text"),
        (((0, 1), (0, 1), (0, 1)), ((0, 1), (0, 1), (0, 1)), "Null Island"),
    ],
)
def test_malformed_values_warn_and_give_no_position(lat: object, lon: object, needle: str) -> None:
    reading = position_from_exif(lat, "N", lon, "E")
    assert reading.position is None
    assert any(needle in w for w in reading.warnings), reading.warnings


def test_missing_reference_assumes_north_east_and_warns() -> None:
    reading = position_from_exif(
        ((53, 1), (22, 1), (58, 1)), None, ((1, 1), (27, 1), (24, 1)), None
    )
    assert reading.position is not None
    assert reading.position.lat > 0
    assert reading.position.lon > 0
    assert any("hemisphere reference missing" in w for w in reading.warnings)


def test_one_coordinate_missing() -> None:
    reading = position_from_exif(((53, 1), (0, 1), (0, 1)), "N", None, None)
    assert reading.position is None
    assert "GPSLongitude is missing" in reading.warnings[0]


def test_rational_forms() -> None:
    assert rational((1, 4)) == 0.25
    assert rational(Fraction(3, 2)) == 1.5
    assert rational(7) == 7.0
    with pytest.raises(GpsValueError):
        rational((1, 0))
    with pytest.raises(GpsValueError):
        rational(float("nan"))


@given(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False))
def test_checked_position_accepts_only_valid_non_null(lat: float, lon: float) -> None:
    reading = checked_position(lat, lon)
    if abs(lat) < 1e-7 and abs(lon) < 1e-7:
        assert reading.position is None
    else:
        assert reading.position is not None
        assert (reading.position.lat, reading.position.lon) == (lat, lon)


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True))
def test_checked_position_never_returns_out_of_range(lat: float, lon: float) -> None:
    reading = checked_position(lat, lon)
    if reading.position is not None:
        assert -90 <= reading.position.lat <= 90
        assert -180 <= reading.position.lon <= 180
        assert math.isfinite(reading.position.lat)


@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), max_size=5))
def test_dms_never_raises_anything_but_gps_value_error(values: list[tuple[int, int]]) -> None:
    try:
        degrees = dms_to_degrees(tuple(values), "GPSLatitude")
    except GpsValueError:
        return
    assert degrees >= 0
    assert math.isfinite(degrees)


def test_exif_datetime_with_offset_and_subseconds() -> None:
    parsed = parse_exif_datetime("2023:10:06 22:53:51", "+02:00", "724")
    assert parsed is not None
    assert parsed.isoformat() == "2023-10-06T22:53:51.724000+02:00"
    assert parsed.utcoffset() == timedelta(hours=2)
    assert parse_exif_datetime("0000:00:00 00:00:00") is None
    assert parse_exif_datetime("    ") is None
    naive = parse_exif_datetime(b"2008:05:30 15:56:01\x00", b"garbage")
    assert naive is not None
    assert naive.tzinfo is None


_DIGITS = st.text("0123456789", min_size=2, max_size=2)


@st.composite
def _exif_datetimes(draw: st.DrawFn) -> bytes:
    """EXIF date-times as written, wrong ones, near misses and noise."""
    year = draw(
        st.sampled_from(["0000", "0001", "1999", "2023", "9999"])
        | st.text("0123456789", min_size=4, max_size=4)
    )
    parts = [
        draw(_DIGITS | st.sampled_from(["00", "01", "12", "13", "23", "24", "59", "60", "31"]))
        for _ in range(5)
    ]
    seps = draw(st.sampled_from([":: ::", "-- ::", ":: :-", "::T::", ":::::", "// ::"]))
    text = (
        year + seps[0] + parts[0] + seps[1] + parts[1] + seps[2] + parts[2]
        + seps[3] + parts[3] + seps[4] + parts[4]
    )  # fmt: skip
    if draw(st.booleans()):  # a real date-time, as EXIF writes it
        when = draw(st.datetimes())
        text = f"{when.year:04d}:{when.month:02d}:{when.day:02d} {when:%H:%M:%S}"
    raw = text.encode()
    raw = draw(
        st.sampled_from(
            [raw, raw + b"\x00", raw + b"\x00\x00", b" " + raw, raw + b" ", raw[:-1], raw + b"Z"]
        )
    )
    return draw(st.just(raw) | st.binary(max_size=24))


@given(_exif_datetimes(), st.sampled_from([None, b"+02:00", "-05:30", b"garbage", b"+14:00\x00"]),
       st.sampled_from([None, b"724", "05", b"\x00"]))  # fmt: skip
def test_exif_datetime_bytes_read_as_their_text(raw: bytes, offset: object, subsec: object) -> None:
    """The bytes fast path (the form EXIF prescribes) reads as the text path does."""
    assert parse_exif_datetime(raw, offset, subsec) == parse_exif_datetime(
        raw.decode("ascii", "replace"), offset, subsec
    )
