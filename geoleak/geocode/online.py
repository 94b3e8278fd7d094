"""Online geocoders through geopy: used only when the user asks (`--geocoder nominatim`).

Every answer (found or not) is kept in an on-disk cache (SQLite, one row per service and
query), so a place is asked for once across runs, and requests go through geopy's
RateLimiter: Nominatim's usage policy allows one request per second and requires a user
agent that identifies the application and a contact, which the user must give.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from geoleak.errors import GeocodeError, UsageError
from geoleak.geocode.base import KIND_ACCURACY_M, Geocoder, GeocodeResult
from geoleak.geometry import haversine_m
from geoleak.types import LatLon

__all__ = ["OnlineGeocoder", "default_cache_path", "known_services"]

# Seconds between requests per service (usage policies); others get one second too.
MIN_DELAY_S: dict[str, float] = {"nominatim": 1.0}
_KIND_BY_TYPE = {
    "house": "address",
    "building": "address",
    "house_number": "address",
    "address": "address",
    "road": "street",
    "street": "street",
    "residential": "street",
    "suburb": "neighbourhood",
    "neighbourhood": "neighbourhood",
    "quarter": "neighbourhood",
    "city": "city",
    "town": "city",
    "village": "city",
    "hamlet": "city",
    "municipality": "city",
    "county": "admin",
    "state": "admin",
    "region": "admin",
    "administrative": "admin",
    "country": "country",
}


def known_services() -> set[str]:
    """geopy's service names (nominatim, photon, arcgis, ...)."""
    from geopy.geocoders import SERVICE_TO_GEOCODER

    return set(SERVICE_TO_GEOCODER)


def default_cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "geoleak" / "geocode-cache.sqlite"


def _accuracy_from_raw(raw: Any, position: LatLon) -> tuple[float, str]:
    """(accuracy in metres, kind) from a service's raw answer (Nominatim's boundingbox)."""
    kind = "venue"
    if isinstance(raw, dict):
        for key in ("addresstype", "type", "class"):
            value = raw.get(key)
            if isinstance(value, str) and value in _KIND_BY_TYPE:
                kind = _KIND_BY_TYPE[value]
                break
        box = raw.get("boundingbox")
        if isinstance(box, list) and len(box) == 4:
            try:
                _south, north, _west, east = (float(v) for v in box)
                corner = LatLon(max(-90.0, min(90.0, north)), max(-180.0, min(180.0, east)))
                radius = haversine_m(position, corner)
                if math.isfinite(radius):
                    return max(radius, 10.0), kind
            except (TypeError, ValueError):
                pass
    return KIND_ACCURACY_M.get(kind, 1_000.0), kind


class OnlineGeocoder(Geocoder):
    """A geopy geocoder behind a cache and a rate limiter.

    `service` is a geopy service name; `user_agent` is required (Nominatim refuses generic
    ones). `geocoder` replaces the geopy object (tests pass a fake; nothing goes online).
    """

    name = "online"

    def __init__(
        self,
        service: str,
        *,
        user_agent: str | None = None,
        cache_path: str | Path | None = None,
        min_delay_s: float | None = None,
        timeout_s: float = 10.0,
        max_retries: int = 2,
        error_wait_s: float | None = None,
        geocoder: Any = None,
        **service_options: Any,
    ) -> None:
        self.service = service
        self.name = service  # type: ignore[misc]
        if geocoder is None:
            if not user_agent or not user_agent.strip() or user_agent.startswith("geopy"):
                raise UsageError(
                    f"--geocoder {service} needs --user-agent identifying you, e.g. "
                    "'geoleak-audit/1.0 (you@example.org)'; the service's usage policy requires it"
                )
            from geopy.geocoders import get_geocoder_for_service

            try:
                cls = get_geocoder_for_service(service)
                geocoder = cls(user_agent=user_agent, timeout=timeout_s, **service_options)
            except Exception as exc:  # geopy raises its own errors for bad options
                raise GeocodeError(f"cannot set up geocoder {service!r}: {exc}") from None
        from geopy.extra.rate_limiter import RateLimiter

        delay = MIN_DELAY_S.get(service, 1.0) if min_delay_s is None else min_delay_s
        wait = max(2 * delay, 2.0) if error_wait_s is None else error_wait_s
        self._geocode = RateLimiter(
            geocoder.geocode,
            min_delay_seconds=delay,
            max_retries=max_retries,
            error_wait_seconds=wait,
            swallow_exceptions=False,
        )
        self.cache_path = Path(cache_path) if cache_path is not None else default_cache_path()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.requests = 0
        self.failures: list[str] = []

    def _cache(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self.cache_path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.cache_path, check_same_thread=False)
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS geocode (service TEXT, query TEXT, answer TEXT,"
                    " PRIMARY KEY (service, query))"
                )
            except (OSError, sqlite3.Error) as exc:
                raise GeocodeError(
                    f"{self.cache_path}: cannot open the geocoding cache ({exc})"
                ) from None
        return self._db

    def _cached(self, query: str) -> tuple[bool, GeocodeResult | None]:
        row = (
            self._cache()
            .execute(
                "SELECT answer FROM geocode WHERE service = ? AND query = ?", (self.service, query)
            )
            .fetchone()
        )
        if row is None:
            return False, None
        if row[0] is None:
            return True, None
        data = json.loads(row[0])
        return True, GeocodeResult(
            query,
            data["name"],
            LatLon(data["lat"], data["lon"]),
            data["accuracy_m"],
            data["kind"],
            self.service,
        )

    def _store(self, query: str, result: GeocodeResult | None) -> None:
        answer = (
            None
            if result is None
            else json.dumps(
                {
                    "name": result.name,
                    "lat": result.position.lat,
                    "lon": result.position.lon,
                    "accuracy_m": result.accuracy_m,
                    "kind": result.kind,
                }
            )
        )
        db = self._cache()
        db.execute("INSERT OR REPLACE INTO geocode VALUES (?, ?, ?)", (self.service, query, answer))
        db.commit()

    def lookup(self, query: str) -> GeocodeResult | None:
        from geopy.exc import GeopyError

        key = " ".join(query.split())
        if not key:
            return None
        with self._lock:
            hit, result = self._cached(key)
            if hit:
                return result
            self.requests += 1
            try:
                location = self._geocode(key, exactly_one=True)
            except GeopyError as exc:
                # Not cached: a network or quota problem says nothing about the name.
                self.failures.append(f"{key}: {type(exc).__name__}: {exc}")
                return None
            result = None
            if location is not None:
                try:
                    position = LatLon(float(location.latitude), float(location.longitude))
                except (TypeError, ValueError):
                    position = None
                if position is not None:
                    accuracy, kind = _accuracy_from_raw(getattr(location, "raw", None), position)
                    result = GeocodeResult(
                        key,
                        str(getattr(location, "address", "") or key),
                        position,
                        accuracy,
                        kind,
                        self.service,
                    )
            self._store(key, result)
            return result

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
