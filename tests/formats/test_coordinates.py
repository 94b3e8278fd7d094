"""Coordinates written as text: found in every common form, and not in dates or versions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.formats.coordinates import find_coordinates


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("... Latitude: 43.68739354 Longitude: -85.48351891", 43.68739354, -85.48351891),
        ("Lat: 69.6489 Lon: 18.9551", 69.6489, 18.9551),
        ("lat=-33.8568, lng=151.2153", -33.8568, 151.2153),
        ("43.68739, -85.48351", 43.68739, -85.48351),
        ("43.687N 85.483W", 43.687, -85.483),
        ("48°07'02.3\"N 11°31'00.0\"E", 48.117306, 11.516667),
        ("48°07.038'N 11°31.000'E", 48.1173, 11.516667),
        ("geo:-41.2865,174.7762", -41.2865, 174.7762),
        ("https://www.google.com/maps/@64.1466,-21.9426,15z", 64.1466, -21.9426),
        ("https://maps.google.com/?q=51.5007,-0.1246", 51.5007, -0.1246),
        ("https://www.openstreetmap.org/#map=15/-16.5000/179.9000", -16.5, 179.9),
        ("https://www.openstreetmap.org/?mlat=78.22&mlon=15.65", 78.22, 15.65),
        ("8FWH4HVG+3V", 48.142687, 11.577188),
        ("geotagged geo:lat=51.50123 geo:lon=-0.12345", 51.50123, -0.12345),  # Flickr
    ],
)
def test_forms_are_found(text: str, lat: float, lon: float) -> None:
    found = find_coordinates(text)
    assert len(found) == 1
    assert found[0].position == pytest.approx((lat, lon), abs=1e-4)


@pytest.mark.parametrize(
    "text",
    [
        "version 1.2.3", "v10.0.19045", "2024.05.06", "192.168.1.100", "f/2.8 1/125s",
        "exposure 0.125, 1.500", "build 2.1234/5.6789", "GCM_TAG", "ISO 100+200",
        "Samsung SM-G930F", "0.0000, 0.0000", "pi is 3.14159, e is 2.71828 and so on",
    ],
)  # fmt: skip
def test_other_numbers_are_not_coordinates(text: str) -> None:
    assert find_coordinates(text) == [], text


def test_a_machine_tag_alone_is_half_a_position() -> None:
    """IPTC keeps each keyword in a record of its own: "geo:lat=..." and "geo:lon=..." are
    read one at a time, each half of the position."""
    for keyword in ("geo:lat=51.50123", "geo:lon=-0.12345", "GEO:LONG=-0.12345"):
        (found,) = find_coordinates(keyword)
        assert found.position is None and found.text == keyword
    assert find_coordinates("geo:latitude=5 geo:lat=1.2.3 geotagged") == []


def test_short_plus_code_is_a_location_without_position() -> None:
    (found,) = find_coordinates("meet at 4HVG+3V Munich")
    assert found.position is None


_versions = st.lists(st.integers(0, 999), min_size=2, max_size=5).map(
    lambda parts: "v" + ".".join(map(str, parts))
)
_dates = st.tuples(st.dates(), st.sampled_from(["%Y.%m.%d", "%d.%m.%Y", "%Y-%m-%d %H:%M"])).map(
    lambda pair: pair[0].strftime(pair[1])
)
_times = st.times().map(lambda t: t.strftime("%H:%M:%S.%f"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_versions, _dates, _times, st.integers().map(str)), max_size=6))
def test_versions_dates_and_numbers_never_match(parts: list[str]) -> None:
    assert find_coordinates(" ".join(parts)) == []


@settings(max_examples=300, deadline=None)
@given(
    st.floats(-89.9999, 89.9999),
    st.floats(-179.9999, 179.9999),
    st.sampled_from(["{lat:.6f}, {lon:.6f}", "Lat: {lat:.5f} Lon: {lon:.5f}", "geo:{lat:.5f},{lon:.5f}",
                     "{alat:.4f}{ns} {alon:.4f}{ew}", "https://www.google.com/maps/@{lat:.6f},{lon:.6f},17z"]),
    st.sampled_from(["", "taken ", "Home! "]),
)  # fmt: skip
def test_written_positions_are_found(lat: float, lon: float, form: str, lead: str) -> None:
    if abs(lat) < 1e-3 and abs(lon) < 1e-3:
        return  # (0, 0) is no position
    text = form.format(lat=lat, lon=lon, alat=abs(lat), alon=abs(lon),
                       ns="S" if lat < 0 else "N", ew="W" if lon < 0 else "E")  # fmt: skip
    found = find_coordinates(f"{lead}{text} ")
    assert found, text
    assert found[0].position == pytest.approx((lat, lon), abs=1e-3)
