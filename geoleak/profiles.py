"""profiles.json (formats.md section 3): writing and reading it back.

The required fields keep their meaning; geoleak adds optional ones per person (posts,
evidence counts by source, devices, time zone, notes) and per place (explanation, nights,
workdays, site), plus a top-level `sites` list of places shared by several people and
`generated_by` (tool, version, inputs and the inference parameters used).
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from json.encoder import encode_basestring, encode_basestring_ascii
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

import msgspec

from geoleak.errors import CorpusError
from geoleak.jsonlimits import loads
from geoleak.outputs import atomic_open
from geoleak.types import LatLon, Place, PlaceKind, Profile

__all__ = [
    "SCHEMA",
    "dump_profiles",
    "load_profiles",
    "load_profiles_with_parameters",
    "place_to_json",
    "profile_json_text",
    "profiles_to_json",
    "write_profiles_document",
]

SCHEMA = "geoleak.profiles/1"


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    utc = moment.astimezone(timezone.utc)
    if utc.year < 1000:  # strftime's %Y: unpadded on glibc, padded elsewhere
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    # strftime's text, without its format parsing and buffers (half the instructions)
    fields = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
    return "%d-%02d-%02dT%02d:%02d:%02dZ" % fields  # noqa: UP031 - a third cheaper than f"{:02d}"


def _utc_moment(moment: datetime | None) -> datetime | str | None:
    """`_iso(moment)`, or the moment itself where msgspec writes it as that text: a
    `datetime` (not a subclass) in `timezone.utc` (msgspec writes its offset as "Z"), whole
    seconds (msgspec writes a fraction, `_iso` none) and a year from 1000 (msgspec pads
    years to four digits, strftime on glibc does not). Two `_iso` calls a place were ~2.7
    us of pass 2's ~450 us a person."""
    if (
        type(moment) is datetime
        and moment.tzinfo is timezone.utc
        and not moment.microsecond
        and moment.year >= 1000
    ):
        return moment
    return _iso(moment)


def place_to_json(place: Place) -> dict[str, Any]:
    return _place_entry(
        place,
        round(place.position.lat, 6),
        round(place.position.lon, 6),
        round(place.radius_m, 1),
        round(place.confidence, 3),
        list(place.evidence),
        _iso(place.first_seen),
        _iso(place.last_seen),
    )


def _place_entry(
    place: Place,
    lat: float,
    lon: float,
    radius: float,
    confidence: float,
    evidence: Any,
    first_seen: Any,
    last_seen: Any,
) -> dict[str, Any]:
    """A place's entry from its rounded numbers and its times' values (`place_to_json`:
    texts; `_msgspec_entry`: moments msgspec writes as those texts, `_utc_moment`)."""
    out: dict[str, Any] = {
        "kind": place.kind.value,
        "lat": lat,
        "lon": lon,
        "radius_m": radius,
        "confidence": confidence,
        "evidence": evidence,
        "days": place.days,
        "first_seen": first_seen,
        "last_seen": last_seen,
        "explanation": place.explanation,
        "nights": place.nights,
        "workdays": place.workdays,
    }
    if place.site_id:
        out["site"] = place.site_id
    out.update(place.extra)
    return out


def profile_to_json(profile: Profile) -> dict[str, Any]:
    out: dict[str, Any] = {
        "person": profile.person,
        "places": [place_to_json(p) for p in profile.places],
        "posts": profile.posts,
        "evidence_count": profile.evidence_count,
        "evidence_by_source": dict(profile.evidence_by_source),
        "devices": list(profile.devices),
        "timezone": profile.timezone,
        "notes": list(profile.notes),
    }
    out.update(profile.extra)
    return out


def profiles_to_json(
    profiles: Sequence[Profile],
    *,
    sites: Sequence[Mapping[str, Any]] = (),
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"schema": SCHEMA, "people": [profile_to_json(p) for p in profiles]}
    if sites:
        doc["sites"] = list(sites)
    if meta:
        doc["generated_by"] = dict(meta)
    return doc


def profile_json_text(profile: Profile, *, ensure_ascii: bool = False) -> str:
    """One person's entry of profiles.json as `write_profiles_document` places it (the
    text `json.dump(..., indent=1)` gives that entry inside the document)."""
    if not ensure_ascii and (entry := _msgspec_entry(profile)) is not None:
        try:
            written = _format(_encode(entry), indent=1)
        except (TypeError, ValueError, OverflowError):  # surrogates: UnicodeEncodeError
            pass
        else:
            return written.decode().replace("\n", "\n  ")  # `_nested(..., 2)`
    try:
        return _profile_text(
            profile, 2, encode_basestring_ascii if ensure_ascii else encode_basestring
        )
    except _NotPlain:
        entry = profile_to_json(profile)
        return _nested(json.dumps(entry, ensure_ascii=ensure_ascii, indent=1), 2)


_encode = msgspec.json.encode
_format = msgspec.json.format


def _msgspec_entry(profile: Profile) -> dict[str, Any] | None:
    """`profile_to_json(profile)` when msgspec writes it (`msgspec.json.encode`, then
    `msgspec.json.format(..., indent=1)`) as `json.dumps(..., indent=1)` does, else None.

    The two agree on dicts with str keys, lists, tuples, str (not ASCII-escaped), int, bool
    and None (tests/test_profiles.py), and on floats both write without an exponent: 0 and
    1e-4 <= |x| < 1e16 (repr writes 1e-05 and 1e+16, msgspec 0.00001 and 1e16; msgspec writes
    NaN and the infinities as null). msgspec also writes types json refuses (datetimes, sets,
    bytes) and refuses str subclasses json writes: so every value is checked by its exact type
    (the places' evidence ids and the fixed fields by the set of their types, the extra
    values by a walk). Two C calls for ~25 small ones a place (`_profile_text`)."""
    if not _plain_values(profile.extra):
        return None
    places = []
    for place in profile.places:
        lat, lon = round(place.position.lat, 6), round(place.position.lon, 6)
        radius, confidence = round(place.radius_m, 1), round(place.confidence, 3)
        evidence = place.evidence
        extra = place.extra
        if not (
            _plain_numbers(lat, lon, radius, confidence)
            and _STRING.issuperset(map(type, evidence))
            and _SCALARS.issuperset(
                map(
                    type,
                    (place.days, place.nights, place.workdays, place.explanation, place.site_id),
                )
            )
            and (not extra or _plain_values(extra))
        ):
            return None
        places.append(
            _place_entry(
                place,
                lat,
                lon,
                radius,
                confidence,
                evidence,
                _utc_moment(place.first_seen),
                _utc_moment(place.last_seen),
            )
        )
    devices, notes, by_source = profile.devices, profile.notes, profile.evidence_by_source
    if not (
        _SCALARS.issuperset(
            map(type, (profile.person, profile.posts, profile.evidence_count, profile.timezone))
        )
        and _STRING.issuperset(map(type, devices))
        and _STRING.issuperset(map(type, notes))
        and _plain_values(by_source)
    ):
        return None
    entry: dict[str, Any] = {
        "person": profile.person,
        "places": places,
        "posts": profile.posts,
        "evidence_count": profile.evidence_count,
        "evidence_by_source": dict(by_source),
        "devices": devices,
        "timezone": profile.timezone,
        "notes": notes,
    }
    if profile.extra:
        entry.update(profile.extra)
    return entry


_SCALARS = frozenset((str, int, bool, type(None)))
_STRING = frozenset((str,))


def _plain_number(value: Any) -> bool:
    """A number msgspec and json write alike (see `_msgspec_entry`)."""
    kind = type(value)
    if kind is float:
        magnitude: float = abs(value)
        return magnitude == 0.0 or 1e-4 <= magnitude < 1e16
    return kind is int or kind is bool


def _plain_numbers(*values: Any) -> bool:
    """Whether every value is a plain number (`_plain_number`): one call for a place's
    four, not four."""
    for value in values:
        kind = type(value)
        if kind is float:
            magnitude: float = abs(value)
            if not (magnitude == 0.0 or 1e-4 <= magnitude < 1e16):
                return False
        elif kind is not int and kind is not bool:
            return False
    return True


def _plain_values(mapping: Mapping[str, Any]) -> bool:
    """Whether a mapping's keys are str and its values plain (`_plain_value`)."""
    return _STRING.issuperset(map(type, mapping)) and all(map(_plain_value, mapping.values()))


def _plain_value(value: Any) -> bool:
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is float:
        return _plain_number(value)
    if kind is list or kind is tuple:
        return all(map(_plain_value, value))
    if kind is dict:
        return _plain_values(value)
    return False


# The keys `place_to_json` and `profile_to_json` write before the extra ones.
_PLACE_KEYS = frozenset(("kind", "lat", "lon", "radius_m", "confidence", "evidence", "days",
                         "first_seen", "last_seen", "explanation", "nights", "workdays", "site"))  # fmt: skip
_PROFILE_KEYS = frozenset(("person", "places", "posts", "evidence_count", "evidence_by_source",
                           "devices", "timezone", "notes"))  # fmt: skip


def _profile_text(profile: Profile, depth: int, text: Callable[[str], str]) -> str:
    """`_indented(profile_to_json(profile), depth, text)`, the same text, written from the
    profile and its places without their dicts (`_place_text`). An extra key that is also
    one of the fixed ones (it would replace that one's value in place) takes the dicts."""
    if profile.extra and not _PROFILE_KEYS.isdisjoint(profile.extra):
        return _indented(profile_to_json(profile), depth, text)
    places = _enclosed("[]", [_place_text(p, depth + 2, text) for p in profile.places], depth + 1)
    entries = [
        '"person": ' + _indented(profile.person, depth + 1, text),
        '"places": ' + places,
        '"posts": ' + _indented(profile.posts, depth + 1, text),
        '"evidence_count": ' + _indented(profile.evidence_count, depth + 1, text),
        '"evidence_by_source": ' + _indented(dict(profile.evidence_by_source), depth + 1, text),
        '"devices": ' + _indented(list(profile.devices), depth + 1, text),
        '"timezone": ' + _indented(profile.timezone, depth + 1, text),
        '"notes": ' + _indented(list(profile.notes), depth + 1, text),
    ]
    return _object_text(entries, profile.extra, depth, text)


def _place_text(place: Place, depth: int, text: Callable[[str], str]) -> str:
    """`_indented(place_to_json(place), depth, text)`, the same text, without the dict."""
    if place.extra and not _PLACE_KEYS.isdisjoint(place.extra):
        return _indented(place_to_json(place), depth, text)
    lat, lon = round(place.position.lat, 6), round(place.position.lon, 6)
    radius, confidence = round(place.radius_m, 1), round(place.confidence, 3)
    entries = [
        '"kind": ' + text(place.kind.value),
        '"lat": ' + _number_text(lat, depth + 1, text),
        '"lon": ' + _number_text(lon, depth + 1, text),
        '"radius_m": ' + _number_text(radius, depth + 1, text),
        '"confidence": ' + _number_text(confidence, depth + 1, text),
        '"evidence": ' + _indented(place.evidence, depth + 1, text),
        '"days": ' + _indented(place.days, depth + 1, text),
        '"first_seen": ' + _indented(_iso(place.first_seen), depth + 1, text),
        '"last_seen": ' + _indented(_iso(place.last_seen), depth + 1, text),
        '"explanation": ' + _indented(place.explanation, depth + 1, text),
        '"nights": ' + _indented(place.nights, depth + 1, text),
        '"workdays": ' + _indented(place.workdays, depth + 1, text),
    ]
    if place.site_id:
        entries.append('"site": ' + _indented(place.site_id, depth + 1, text))
    return _object_text(entries, place.extra, depth, text)


def _number_text(value: float, depth: int, text: Callable[[str], str]) -> str:
    """A rounded number's text as `_indented` gives it (a float's directly)."""
    return _float_text(value) if type(value) is float else _indented(value, depth, text)


def _object_text(
    entries: list[str], extra: Mapping[str, Any], depth: int, text: Callable[[str], str]
) -> str:
    """An object's text at `depth` from its entries' texts, the extra ones after them."""
    for key, item in extra.items():
        if not isinstance(key, str):
            raise _NotPlain
        entries.append(text(key) + ": " + _indented(item, depth + 1, text))
    return _enclosed("{}", entries, depth)


def _enclosed(brackets: str, items: Iterable[str], depth: int) -> str:
    """A list's or an object's text at `depth` from its items' texts, one a line, as
    `json.dumps(..., indent=1)` writes it (`brackets`: "[]" or "{}"; no items: just them)."""
    inner = "\n" + " " * (depth + 1)
    listed = ("," + inner).join(items)
    if not listed:
        return brackets
    return brackets[0] + inner + listed + "\n" + " " * depth + brackets[1]


class _NotPlain(Exception):
    """A value `_indented` leaves to `json.dumps` (keys other than str, types it lacks)."""


def _indented(value: Any, depth: int, text: Callable[[str], str]) -> str:
    """`_nested(json.dumps(value, indent=1), depth)` for JSON made of dicts with str keys,
    lists, tuples, str, int, float, bool and None (else `_NotPlain`): the same bytes,
    written directly rather than through the json module's pure-Python indenting encoder
    (indent= turns its C encoder off), which took about as long as building the profile.
    `text`: the json module's string encoder (ASCII-only or not)."""
    kind = type(value)  # the common types first, exactly (bool is not int here)
    if kind is str:
        return text(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return _float_text(value)
    if isinstance(value, str):
        return text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, (list, tuple)):
        items: Iterable[str]
        if all(map(isinstance, value, _STRINGS)):  # evidence lists: most of a profile
            items = map(text, value)
        else:
            items = (_indented(item, depth + 1, text) for item in value)
        return _enclosed("[]", items, depth)
    if isinstance(value, dict):
        return _object_text([], value, depth, text)
    raise _NotPlain


_STRINGS = itertools.repeat(str)  # `isinstance`'s second argument for every item


def _float_text(value: float) -> str:
    """A float as the json module writes it (allow_nan: NaN and Infinity as JavaScript)."""
    written = float.__repr__(value)
    # repr ends in a digit but for "nan", "inf" and "-inf"
    return _NOT_FINITE[written] if written[-1] in "nf" else written


_NOT_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _nested(text: str, depth: int) -> str:
    # JSON strings never hold a raw newline, so every newline is a line break of the layout.
    return text.replace("\n", "\n" + " " * depth)


def write_profiles_document(
    handle: IO[str],
    people: Iterable[str],
    *,
    sites: Sequence[Mapping[str, Any]] = (),
    meta: Mapping[str, Any] | None = None,
    ensure_ascii: bool = False,
) -> int:
    """Write profiles.json from its people's entries (`profile_json_text`, in order) as
    they come, so a caller never holds every profile: the bytes are those of
    `json.dump(profiles_to_json(...), handle, indent=1)`. Returns the number of people."""
    handle.write('{\n "schema": ' + json.dumps(SCHEMA) + ',\n "people": [')
    written = 0
    for text in people:
        handle.write(("," if written else "") + "\n  " + text)
        written += 1
    handle.write("\n ]" if written else "]")
    for key, value in (("sites", list(sites)), ("generated_by", dict(meta or {}))):
        if value:
            dumped = json.dumps(value, ensure_ascii=ensure_ascii, indent=1)
            handle.write(f",\n {json.dumps(key)}: " + _nested(dumped, 1))
    handle.write("\n}")
    return written


def dump_profiles(
    profiles: Sequence[Profile],
    path: str | os.PathLike[str],
    *,
    sites: Sequence[Mapping[str, Any]] = (),
    meta: Mapping[str, Any] | None = None,
) -> Path:
    """Write profiles.json atomically (a reader never sees half a file)."""
    target = Path(path)
    with atomic_open(target) as handle:
        write_profiles_document(
            handle, (profile_json_text(p) for p in profiles), sites=sites, meta=meta
        )
        handle.write("\n")
    return target


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CorpusError(f"{where}: expected an ISO 8601 time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CorpusError(f"{where}: {value!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _number(obj: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = obj.get(key)
    value = default if value is None else value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CorpusError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


_PLACE_FIELDS = {
    "kind", "lat", "lon", "radius_m", "confidence", "evidence", "days", "first_seen",
    "last_seen", "explanation", "nights", "workdays", "site",
}  # fmt: skip
_PROFILE_FIELDS = {
    "person",
    "places",
    "posts",
    "evidence_count",
    "evidence_by_source",
    "devices",
    "timezone",
    "notes",
}


def _site_id(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise CorpusError(f"{where}: site must be a site id (a string), got {value!r}")


def _list(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CorpusError(f"{where}: {key} must be a list, got {value!r}")
    return value


def _mapping(obj: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CorpusError(f"{where}: {key} must be an object, got {value!r}")
    return dict(value)


def _place(obj: Any, where: str) -> Place:
    if not isinstance(obj, Mapping):
        raise CorpusError(f"{where}: a place must be an object")
    try:
        kind = PlaceKind(obj.get("kind"))
    except ValueError:
        raise CorpusError(f"{where}: unknown place kind {obj.get('kind')!r}") from None
    try:
        position = LatLon(_number(obj, "lat", where), _number(obj, "lon", where))
        evidence = obj.get("evidence", [])
        if not isinstance(evidence, list):
            raise CorpusError(f"{where}: evidence must be a list of post ids")
        return Place(
            kind=kind,
            position=position,
            radius_m=_number(obj, "radius_m", where, 0.0),
            confidence=_number(obj, "confidence", where, 0.0),
            evidence=tuple(str(e) for e in evidence),
            days=int(_number(obj, "days", where, 0)),
            first_seen=_time(obj.get("first_seen"), where),
            last_seen=_time(obj.get("last_seen"), where),
            explanation=str(obj.get("explanation") or ""),
            nights=int(_number(obj, "nights", where, 0)),
            workdays=int(_number(obj, "workdays", where, 0)),
            site_id=_site_id(obj.get("site"), where),
            extra=MappingProxyType({k: v for k, v in obj.items() if k not in _PLACE_FIELDS}),
        )
    except CorpusError:
        raise  # (it names the place already)
    except ValueError as exc:
        raise CorpusError(f"{where}: {exc}") from None


def load_profiles(path: str | os.PathLike[str]) -> tuple[list[Profile], list[dict[str, Any]]]:
    """Profiles and sites from a profiles.json; a malformed file raises CorpusError naming it."""
    profiles, sites, _parameters = load_profiles_with_parameters(path)
    return profiles, sites


def load_profiles_with_parameters(
    path: str | os.PathLike[str],
) -> tuple[list[Profile], list[dict[str, Any]], dict[str, Any] | None]:
    """Profiles, sites and the inference parameters the file was made with.

    The parameters are `generated_by.parameters` (optional, formats.md section 3): the
    `geoleak.LeakInference` keywords, or None when the file does not carry them.
    """
    source = Path(path)
    try:
        doc = loads(source.read_bytes(), str(source))
    except FileNotFoundError:
        raise CorpusError(f"{source}: no such file") from None
    except OSError as exc:  # a folder: "Is a directory", not "[Errno 21] ...: 'name'"
        raise CorpusError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{source}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{source}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("people"), list):
        raise CorpusError(f"{source}: not a geoleak profiles file (no 'people' list)")
    schema = doc.get("schema")
    if schema is not None and not str(schema).startswith("geoleak.profiles/"):
        raise CorpusError(f"{source}: unknown schema {schema!r}")
    profiles = []
    for n, person in enumerate(doc["people"]):
        where = f"{source}: people[{n}]"
        if not isinstance(person, Mapping) or not isinstance(person.get("person"), str):
            raise CorpusError(f"{where}: each entry needs a 'person' string")
        places = person.get("places") or []
        if not isinstance(places, list):
            raise CorpusError(f"{where}: places must be a list")
        profiles.append(
            Profile(
                person=person["person"],
                places=tuple(_place(p, f"{where}.places[{i}]") for i, p in enumerate(places)),
                posts=int(_number(person, "posts", where, 0)),
                evidence_count=int(_number(person, "evidence_count", where, 0)),
                evidence_by_source=MappingProxyType(_mapping(person, "evidence_by_source", where)),
                devices=tuple(str(d) for d in _list(person, "devices", where)),
                timezone=person.get("timezone"),
                notes=tuple(str(n) for n in _list(person, "notes", where)),
                extra=MappingProxyType(
                    {k: v for k, v in person.items() if k not in _PROFILE_FIELDS}
                ),
            )
        )
    sites = [s for s in _list(doc, "sites", str(source)) if isinstance(s, dict)]
    made_by = doc.get("generated_by")
    parameters = made_by.get("parameters") if isinstance(made_by, Mapping) else None
    if parameters is not None and not isinstance(parameters, Mapping):
        raise CorpusError(f"{source}: generated_by.parameters must be an object")
    return profiles, sites, dict(parameters) if parameters is not None else None
