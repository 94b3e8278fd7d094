from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from geoleak.errors import UsageError
from geoleak.geocode import (
    ChainGeocoder,
    GeonamesGazetteer,
    PlacesFile,
    build_geocoder,
    normalize_name,
)
from geoleak.geocode.base import GeocodeResult, make_geocoder
from geoleak.geocode.gazetteer import city_accuracy_m
from geoleak.geocode.online import OnlineGeocoder
from geoleak.types import LatLon

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "geocode"


@pytest.fixture(scope="module")
def gazetteer() -> GeonamesGazetteer:
    return GeonamesGazetteer()


@pytest.mark.parametrize(
    ("query", "lat", "lon", "country"),
    [
        ("Fayetteville, NC", 35.05, -78.88, "US"),
        ("Fayetteville, Arkansas", 36.06, -94.16, "US"),
        ("Tromsø", 69.65, 18.96, "NO"),
        ("tromso", 69.65, 18.96, "NO"),
        ("Longyearbyen", 78.22, 15.65, "SJ"),
        ("Suva", -18.14, 178.43, "FJ"),
        ("Paris, TX", 33.66, -95.56, "US"),
        ("Paris, France", 48.85, 2.35, "FR"),
    ],
)
def test_gazetteer_cities(
    gazetteer: GeonamesGazetteer, query: str, lat: float, lon: float, country: str
) -> None:
    found = gazetteer.lookup(query)
    assert found is not None
    assert found.kind == "city"
    assert found.source == "gazetteer"
    assert found.position.lat == pytest.approx(lat, abs=0.02)
    assert found.position.lon == pytest.approx(lon, abs=0.02)
    assert found.name.endswith(country)
    assert 2_000 <= found.accuracy_m <= 30_000


def test_gazetteer_unknown_and_contradicting_qualifier(gazetteer: GeonamesGazetteer) -> None:
    assert gazetteer.lookup("Fictional Range") is None
    assert gazetteer.lookup("Tromsø, NC") is None  # a state that has no Tromsø
    assert gazetteer.lookup("") is None


def test_city_accuracy_grows_with_population() -> None:
    assert city_accuracy_m(5_000) == 2_000
    assert city_accuracy_m(1_000_000) > city_accuracy_m(100_000) > city_accuracy_m(10_000)
    assert city_accuracy_m(40_000_000) == 30_000


def test_places_geojson() -> None:
    places = PlacesFile(FIXTURES / "places.geojson")
    cafe = places.lookup("cafe luna")
    assert cafe is not None
    assert cafe.accuracy_m == 25
    assert cafe.kind == "venue"
    assert places.lookup("Cafe Luna Fayetteville") == GeocodeResult(
        "Cafe Luna Fayetteville", "Café Luna", LatLon(35.0527, -78.8784), 25.0, "venue", "places"
    )
    fort = places.lookup("Fort Fictional")
    assert fort is not None
    assert fort.kind == "base"
    assert fort.position.lat == pytest.approx(35.14, abs=1e-6)
    assert 1_000 < fort.accuracy_m < 2_500  # reaches the polygon's corners
    # a polygon across the antimeridian has its centre there, not at longitude 0
    dive = places.lookup("Dateline Dive Shop")
    assert dive is not None
    assert abs(dive.position.lon) == pytest.approx(180.0, abs=1e-6)
    assert dive.accuracy_m < 2_000
    assert places.lookup("Svalbard hut").position.lat == 78.2232


def test_places_csv_and_errors() -> None:
    places = PlacesFile(FIXTURES / "places.csv")
    assert places.lookup("range 7").kind == "base"
    assert places.lookup("Eve’s flat") is None or places.lookup("Eve's flat").kind == "home"
    assert places.lookup("Eve's flat").accuracy_m == 50.0
    with pytest.raises(UsageError, match=r"places_bad.csv:3: lat 'north' is not a number"):
        PlacesFile(FIXTURES / "places_bad.csv")
    with pytest.raises(UsageError, match="not found"):
        PlacesFile(FIXTURES / "missing.csv")


def test_chain_prefers_the_users_places(gazetteer: GeonamesGazetteer) -> None:
    own = PlacesFile(FIXTURES / "places.csv")
    chain = ChainGeocoder([own, gazetteer])
    assert chain.lookup("Fictional Range").source == "places"
    assert chain.lookup("Fayetteville").source == "gazetteer"


def test_normalize_name() -> None:
    assert normalize_name("  Tromsø ") == normalize_name("TROMSO")
    assert normalize_name("St. Paul") == "st paul"
    assert normalize_name("Café-Luna") == "cafe luna"


class FakeLocation:
    def __init__(self, lat: float, lon: float, raw: dict[str, Any], address: str) -> None:
        self.latitude, self.longitude, self.raw, self.address = lat, lon, raw, address


class FakeGeopy:
    """Stands in for a geopy geocoder: records calls, never touches the network."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def geocode(self, query: str, exactly_one: bool = True) -> FakeLocation | None:  # noqa: ARG002
        self.calls.append(query)
        if query == "Café Luna, Fayetteville":
            return FakeLocation(
                35.0527,
                -78.8784,
                {
                    "addresstype": "amenity",
                    "class": "amenity",
                    "boundingbox": ["35.0526", "35.0528", "-78.8785", "-78.8783"],
                },
                "Café Luna",
            )
        if query == "Fayetteville":
            return FakeLocation(
                35.0527,
                -78.8784,
                {"addresstype": "city", "boundingbox": ["34.95", "35.15", "-79.0", "-78.75"]},
                "Fayetteville, NC",
            )
        if query == "broken":
            from geopy.exc import GeocoderServiceError

            raise GeocoderServiceError("service unavailable")
        return None


def test_online_geocoder_with_cache_and_rate_limit(tmp_path: Path) -> None:
    fake = FakeGeopy()
    cache = tmp_path / "cache.sqlite"
    online = OnlineGeocoder(
        "nominatim", geocoder=fake, cache_path=cache, min_delay_s=0.0, error_wait_s=0.0
    )
    venue = online.lookup("Café Luna, Fayetteville")
    assert venue is not None
    assert venue.kind == "venue"
    assert venue.accuracy_m < 30
    city = online.lookup("Fayetteville")
    assert city is not None
    assert city.kind == "city"
    assert 5_000 < city.accuracy_m < 20_000
    assert online.lookup("Nowhere Fictional") is None
    assert online.lookup("broken") is None
    assert online.failures
    assert fake.calls.count("broken") == 3  # RateLimiter retried twice
    # a second geocoder on the same cache asks nothing for known names (found or not)
    fake2 = FakeGeopy()
    again = OnlineGeocoder(
        "nominatim", geocoder=fake2, cache_path=cache, min_delay_s=0.0, max_retries=0
    )
    assert again.lookup("Café Luna, Fayetteville") == venue
    assert again.lookup("Nowhere Fictional") is None
    assert fake2.calls == []
    assert again.lookup("broken") is None
    assert fake2.calls == ["broken"]


def test_rate_limiter_spaces_requests(tmp_path: Path) -> None:
    import time

    fake = FakeGeopy()
    online = OnlineGeocoder(
        "nominatim", geocoder=fake, cache_path=tmp_path / "c.sqlite", min_delay_s=0.2
    )
    start = time.monotonic()
    for name in ("a", "b", "c"):
        online.lookup(name)
    assert time.monotonic() - start >= 0.4  # two gaps of at least 0.2 s (a lower bound)


def test_online_geocoder_requires_a_user_agent() -> None:
    with pytest.raises(UsageError, match="--user-agent"):
        OnlineGeocoder("nominatim", user_agent=None)
    with pytest.raises(UsageError, match="unknown geocoder"):
        make_geocoder("no-such-service")


def test_build_geocoder() -> None:
    assert build_geocoder("none") is None
    only_places = build_geocoder("none", places=str(FIXTURES / "places.csv"))
    assert isinstance(only_places, PlacesFile)
    chain = build_geocoder("gazetteer", places=str(FIXTURES / "places.csv"))
    assert isinstance(chain, ChainGeocoder)
    assert len(chain.geocoders) == 2


@pytest.mark.parametrize(
    ("query", "level"),
    [("USA", "country"), ("China", "country"), ("El Salvador", "country"), ("Egypt", "country"),
     ("Africa", "continent"), ("California", "region"), ("Puerto Rico", "region"),
     ("Washington", "region"), ("England", "region")],
)  # fmt: skip
def test_areas_are_no_towns(gazetteer: GeonamesGazetteer, query: str, level: str) -> None:
    # GeoNames lists these as other names of towns (USA -> Yokkaichi, Egypt -> Goodyear AZ)
    assert gazetteer.lookup(query) is None
    assert gazetteer.region_level(query) == level


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Ponce, Puerto Rico", "Ponce, PR"),  # not Arroyo Naranjo, Cuba
        ("Ponce", "Ponce, PR"),  # a town's own name beats another's alternate name
        ("Cologne", "Köln, DE"),  # ... unless that other town is ten times larger
        ("New York", "New York City, NY, US"),
        ("Washington, DC", "Washington, DC, US"),
        ("Singapore", "Singapore, SG"),  # a city-state is its city
        ("Cancun", "Cancún, MX"),  # not Changchun
    ],
)
def test_gazetteer_names(gazetteer: GeonamesGazetteer, query: str, expected: str) -> None:
    found = gazetteer.lookup(query)
    assert found is not None
    assert found.name == expected
    assert gazetteer.region_level(query) is None


def test_candidates_carry_population_zone_and_language(gazetteer: GeonamesGazetteer) -> None:
    springfields = gazetteer.candidates("Springfield")
    assert len({c.name for c in springfields}) >= 3
    assert all(c.population >= 5000 for c in springfields)
    paris = gazetteer.candidates("Paris")[0]
    assert paris.timezone == "Europe/Paris"
    assert paris.languages[0] == "fr"


def test_geocode_command_names_areas() -> None:
    from click.testing import CliRunner

    from geoleak.cli import main

    result = CliRunner().invoke(main, ["geocode", "USA", "Tromsø"])
    assert result.exit_code == 0
    assert "USA: a country, too large to stand for a point" in result.output
    assert "Tromsø, NO" in result.output


def test_geocode_command_resolves_a_name_as_a_post_would() -> None:
    """`geocode` said "Springfield: Springfield, MO" while a post claiming Springfield, with
    nothing else known of its author, is left unplaced (ambiguous): it now says what a post
    gets, and finds the town in "Venue, Town, ST" as a post's check-in does."""
    import json
    from datetime import datetime, timezone

    from click.testing import CliRunner

    from geoleak.cli import main
    from geoleak.extract.text import checkin_evidence
    from geoleak.geocode import build_geocoder
    from geoleak.types import Post

    result = CliRunner().invoke(main, ["geocode", "Springfield", "--json"])
    assert result.exit_code == 1, result.output
    (row,) = json.loads(result.output)
    assert row["found"] is False and "Springfield, MO, US" in row["ambiguous"]
    post = Post(
        "1", "a", datetime(2024, 1, 1, 10, tzinfo=timezone.utc), "Just landed in Springfield!"
    )
    assert checkin_evidence(post, build_geocoder("gazetteer")) == []
    result = CliRunner().invoke(main, ["geocode", "Café Luna, Fayetteville, NC"])
    assert result.exit_code == 0 and "Fayetteville, NC, US at 35.05" in result.output


def test_an_unknown_geocoder_option_lists_none_among_the_choices() -> None:
    """`--geocoder bogus`: the names it lists are the ones --geocoder takes, "none" (no
    geocoding, which the README's commands use) included."""
    from click.testing import CliRunner

    from geoleak.cli import main

    result = CliRunner().invoke(main, ["geocode", "Paris", "--geocoder", "bogus"])
    assert result.exit_code == 2
    assert "known: <any geopy service>, gazetteer, nominatim, none, places" in result.output
    with pytest.raises(UsageError) as refused:
        make_geocoder("bogus")  # (the library's registry has no "none")
    assert str(refused.value).endswith("known: <any geopy service>, gazetteer, nominatim, places")
