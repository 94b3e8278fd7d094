"""Place name -> coordinates. Offline gazetteer by default; a user's places file; online
geopy backends only when asked for, behind a cache and a rate limiter."""

from geoleak.geocode.base import (
    GEOCODERS,
    ChainGeocoder,
    Geocoder,
    GeocodeResult,
    UnknownGeocoderError,
    make_geocoder,
    normalize_name,
    unknown_geocoder,
)
from geoleak.geocode.gazetteer import GeonamesGazetteer
from geoleak.geocode.places_file import PlacesFile, load_places

__all__ = [
    "GEOCODERS",
    "OFFLINE",
    "ChainGeocoder",
    "GeocodeResult",
    "Geocoder",
    "GeonamesGazetteer",
    "PlacesFile",
    "build_geocoder",
    "load_places",
    "make_geocoder",
    "normalize_name",
]


# The geocoder every command and the Python API use unless told otherwise: the offline
# gazetteer (its tables are read on the first lookup and shared by the whole process).
OFFLINE: Geocoder = GeonamesGazetteer()


def build_geocoder(
    geocoder: str | None = "gazetteer",
    *,
    places: str | None = None,
    user_agent: str | None = None,
    cache_path: str | None = None,
) -> Geocoder | None:
    """The geocoder the CLI options ask for: the user's places first, then `geocoder`
    ("gazetteer" offline by default, "none" for no geocoding, or an online geopy service)."""
    chain: list[Geocoder] = []
    if places:
        chain.append(PlacesFile(places))
    if geocoder and geocoder != "none":
        options: dict[str, object] = {}
        if geocoder != "gazetteer":
            options = {"user_agent": user_agent, "cache_path": cache_path}
        try:
            chain.append(make_geocoder(geocoder, **options))
        except UnknownGeocoderError:
            raise unknown_geocoder(geocoder, "none") from None  # ("none" is a choice here)
    if not chain:
        return None
    return chain[0] if len(chain) == 1 else ChainGeocoder(chain)
