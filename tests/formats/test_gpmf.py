"""The GPMF KLV walker and its GPS streams (GPS5, GPS9, GPRI) on hand-built payloads."""

from __future__ import annotations

import struct
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.formats.gpmf import MAX_ENTRIES, gps_fixes, iter_klv


def klv(key: bytes, vtype: bytes, size: int, repeat: int, body: bytes) -> bytes:
    padded = body + b"\x00" * (-len(body) % 4)
    return key + vtype + bytes([size]) + struct.pack(">H", repeat) + padded


def nest(key: bytes, body: bytes) -> bytes:
    return klv(key, b"\x00", 1, len(body), body)


def devc(*streams: bytes) -> bytes:
    return nest(b"DEVC", b"".join(nest(b"STRM", s) for s in streams))


def test_klv_entries_are_padded_to_four_bytes() -> None:
    data = klv(b"STNM", b"c", 1, 5, b"hello") + klv(b"GPSF", b"L", 4, 1, b"\x00\x00\x00\x03")
    entries = list(iter_klv(data))
    assert [(e.key, e.type, e.length) for e in entries] == [(b"STNM", "c", 5), (b"GPSF", "L", 4)]
    assert entries[1].body == 24  # 8-byte header + 5 bytes padded to 8, + 8-byte header


def test_an_entry_overrunning_its_parent_ends_the_walk() -> None:
    data = klv(b"GPSF", b"L", 4, 1, b"\x00" * 4) + b"GPS5l\x14\x00\x09" + b"\x00" * 20
    assert [e.key for e in iter_klv(data)] == [b"GPSF"]


def test_gps5_every_entry_with_per_field_scale_and_sticky_time() -> None:
    rows = struct.pack(">5i", -548019000, -683030000, 12345, 0, 0) + struct.pack(
        ">5i", -548020000, -683031000, 12000, 0, 0
    )
    stream = (
        klv(b"GPSF", b"L", 4, 1, struct.pack(">I", 3))
        + klv(b"GPSU", b"U", 16, 1, b"240315083000.500")
        + klv(b"GPSP", b"S", 2, 1, struct.pack(">H", 150))
        + klv(b"SCAL", b"l", 4, 5, struct.pack(">5i", 10**7, 10**7, 1000, 1000, 100))
        + klv(b"GPS5", b"l", 20, 2, rows)
    )
    fixes = gps_fixes(devc(stream))
    assert len(fixes) == 2
    first = fixes[0]
    assert (first.lat, first.lon, first.alt_m) == pytest.approx((-54.8019, -68.3030, 12.345))
    assert first.time == datetime(2024, 3, 15, 8, 30, 0, 500_000, tzinfo=timezone.utc)
    assert (first.dop, first.fix, first.stream) == (1.5, 3, "GPS5")
    assert fixes[1].lat == pytest.approx(-54.802)


def test_gps9_carries_its_own_utc_time_and_fix() -> None:
    # antimeridian east side: Fiji; days since 2000 and ms since midnight
    days = (date(2024, 3, 15) - date(2000, 1, 1)).days
    row = struct.pack(">7i2H", -181000000, 1790500000, 5000, 0, 0, days, 3_600_250, 120, 3)
    stream = (
        klv(b"SCAL", b"l", 4, 9, struct.pack(">9i", 10**7, 10**7, 1000, 1000, 100, 1, 1000, 100, 1))
        + klv(b"TYPE", b"c", 1, 9, b"lllllllSS")
        + klv(b"GPS9", b"?", 32, 1, row)
    )
    (fix,) = gps_fixes(devc(stream))
    assert (fix.lat, fix.lon, fix.alt_m) == pytest.approx((-18.1, 179.05, 5.0))
    assert fix.time == datetime(2024, 3, 15, 1, 0, 0, 250_000, tzinfo=timezone.utc)
    assert (fix.dop, fix.fix, fix.stream) == (1.2, 3, "GPS9")


def test_gpri_complex_structure_from_its_type() -> None:
    # Karma "GPS RAW": time (us), lat, lon, alt, eph, epv, vel, cog, fix, satellites;
    # high latitude, west of Greenwich: Svalbard is east, so Jan Mayen-ish west values
    row = struct.pack(">QiiiHHHHBB", 145911705, 709000000, -86000000, 15445, 25, 42, 59, 0, 3, 20)
    stream = (
        klv(b"TYPE", b"c", 1, 10, b"JlllSSSSBB")
        + klv(
            b"SCAL",
            b"l",
            4,
            10,
            struct.pack(">10i", 10**6, 10**7, 10**7, 1000, 100, 100, 100, 100, 1, 1),
        )
        + klv(b"GPRI", b"?", 30, 1, row)
    )
    (fix,) = gps_fixes(devc(stream))
    assert (fix.lat, fix.lon, fix.alt_m) == pytest.approx((70.9, -8.6, 15.445))
    assert (fix.fix, fix.time, fix.stream) == (3, None, "GPRI")


def test_a_type_that_does_not_match_the_struct_size_yields_nothing() -> None:
    stream = klv(b"TYPE", b"c", 1, 3, b"lll") + klv(b"GPRI", b"?", 30, 1, b"\x00" * 30)
    assert gps_fixes(devc(stream)) == []


def test_non_gps_streams_are_ignored() -> None:
    stream = klv(b"SCAL", b"s", 2, 1, b"\x00\x64") + klv(b"ACCL", b"s", 6, 1, b"\x00" * 6)
    assert gps_fixes(devc(stream)) == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_crash(data: bytes) -> None:
    fixes = gps_fixes(data)
    assert len(fixes) <= len(data) // 8
    assert len(list(iter_klv(data))) <= min(MAX_ENTRIES, len(data) // 8)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 255), st.integers(0, 0xFFFF))
def test_random_gps_entries_inside_valid_nesting_never_crash(
    body: bytes, size: int, repeat: int
) -> None:
    for key, vtype in ((b"GPS5", b"l"), (b"GPS9", b"?"), (b"GPRI", b"?")):
        raw = key + vtype + bytes([size]) + struct.pack(">H", repeat) + body
        stream = klv(b"TYPE", b"c", 1, 9, b"lllllllSS") + raw
        for fix in gps_fixes(devc(stream)):
            assert fix.stream == key.decode()
