"""The geocoder protocol and registry (after geopy's `Geocoder` base and its backends).

A geocoder turns a place name into a `GeocodeResult`: a position, how precise it is
(`accuracy_m`: a venue is tens of metres, a city kilometres) and what kind of place was
found. Implementations: the offline GeoNames gazetteer (default), a user's own places file,
online services through geopy (only when asked). `ChainGeocoder` asks several in order,
the user's own places first.
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from geoleak.errors import UsageError
from geoleak.types import LatLon

__all__ = [
    "GEOCODERS",
    "KIND_ACCURACY_M",
    "ChainGeocoder",
    "GeocodeResult",
    "Geocoder",
    "make_geocoder",
    "normalize_name",
    "register_geocoder",
]

# Nominal uncertainty of a result by the kind of place it is, when the source does not say.
KIND_ACCURACY_M: dict[str, float] = {
    "venue": 75.0,
    "address": 30.0,
    "user": 50.0,
    "street": 300.0,
    "neighbourhood": 1_000.0,
    "city": 5_000.0,
    "admin": 50_000.0,
    "country": 300_000.0,
}


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """Where a name is. `kind` is one of KIND_ACCURACY_M's keys; `source` the geocoder."""

    query: str
    name: str
    position: LatLon
    accuracy_m: float
    kind: str
    source: str
    population: int = 0  # people living there, when the source says (0: unknown)
    timezone: str | None = None  # IANA zone of the place, when the source says
    prominence: float = 0.0  # ranks candidates of one name (population, discounted for alt names)
    languages: tuple[str, ...] = ()  # ISO 639-1 languages of its country, main one first

    def __post_init__(self) -> None:
        if not self.accuracy_m > 0:
            raise ValueError(f"accuracy_m must be positive, got {self.accuracy_m!r}")


class Geocoder(ABC):
    """Looks up place names. `lookup` returns None when the name is not known."""

    name: ClassVar[str]

    @abstractmethod
    def lookup(self, query: str) -> GeocodeResult | None:
        """The best match for `query`, or None."""

    def candidates(self, query: str) -> list[GeocodeResult]:
        """Every plausible match for `query`, best first (by default: `lookup`'s answer).

        Callers that know more than the name (the person's other positions, the time
        zone a post was written in) choose among them; `lookup` takes the first.
        """
        found = self.lookup(query)
        return [] if found is None else [found]

    def names_area(self, text: str) -> bool:  # noqa: ARG002 (overridden)
        """Whether `text` (the words after a town name's comma) names only areas: countries,
        states, provinces. Geocoders that know no areas say False."""
        return False

    def region_level(self, query: str) -> str | None:  # noqa: ARG002 (overridden)
        """What area `query` names when it is too large to stand for a point: "country",
        "region" or "continent" (the gazetteer knows these; other geocoders return None)."""
        return None


class ChainGeocoder(Geocoder):
    """Asks each geocoder in turn; the first answer wins."""

    name = "chain"

    def __init__(self, geocoders: Sequence[Geocoder]) -> None:
        self.geocoders = list(geocoders)

    def lookup(self, query: str) -> GeocodeResult | None:
        for geocoder in self.geocoders:
            found = geocoder.lookup(query)
            if found is not None:
                return found
        return None

    def candidates(self, query: str) -> list[GeocodeResult]:
        for geocoder in self.geocoders:
            found = geocoder.candidates(query)
            if found:
                return found
        return []

    def names_area(self, text: str) -> bool:
        return any(geocoder.names_area(text) for geocoder in self.geocoders)

    def region_level(self, query: str) -> str | None:
        for geocoder in self.geocoders:
            level = geocoder.region_level(query)
            if level is not None:
                return level
            if geocoder.lookup(query) is not None:  # the user's own "Texas Range" is a place
                return None
        return None


GEOCODERS: dict[str, Callable[..., Geocoder]] = {}


def register_geocoder(name: str) -> Callable[[Callable[..., Geocoder]], Callable[..., Geocoder]]:
    """Decorator: make a geocoder factory available by name (`--geocoder NAME`)."""

    def decorate(factory: Callable[..., Geocoder]) -> Callable[..., Geocoder]:
        GEOCODERS[name] = factory
        return factory

    return decorate


def make_geocoder(name: str, **options: Any) -> Geocoder:
    """A geocoder by registry name; online names are passed to geopy (see online.py)."""
    if name in GEOCODERS:
        return GEOCODERS[name](**options)
    from geoleak.geocode.online import OnlineGeocoder, known_services

    if name in known_services():
        return OnlineGeocoder(name, **options)
    raise unknown_geocoder(name)


class UnknownGeocoderError(UsageError):
    """A geocoder name no registry or geopy service knows."""


def unknown_geocoder(name: str, *also: str) -> UnknownGeocoderError:
    """The error for a geocoder name nothing knows; `also`: names the caller takes too
    (the CLI's "none")."""
    known = ", ".join(sorted({*GEOCODERS, "nominatim", *also, "<any geopy service>"}))
    return UnknownGeocoderError(f"unknown geocoder {name!r}; known: {known}")


_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "Tromsø" == "tromso", "St. Paul" == "st paul"."""
    if name.isascii():
        return _SPACE.sub(" ", _PUNCT.sub(" ", name.lower())).strip()
    decomposed = unicodedata.normalize("NFKD", name.replace("ø", "o").replace("Ø", "O"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("ß", "ss").replace("æ", "ae").replace("Æ", "AE").replace("ł", "l")
    return _SPACE.sub(" ", _PUNCT.sub(" ", stripped.casefold())).strip()
