"""profiles.json round trip and errors (formats.md section 3)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.errors import CorpusError
from geoleak.profiles import (
    SCHEMA,
    _plain_number,
    _plain_numbers,
    dump_profiles,
    load_profiles,
    profile_json_text,
    profiles_to_json,
    write_profiles_document,
)
from geoleak.types import LatLon, Place, PlaceKind, Profile


def sample_profiles() -> list[Profile]:
    home = Place(
        kind=PlaceKind.HOME, position=LatLon(69.6496, -18.956), radius_m=40, confidence=0.93,
        evidence=("u1-0042", "u1-0107"), days=17,
        first_seen=datetime(2025, 1, 9, 2, 11, tzinfo=timezone.utc),
        last_seen=datetime(2025, 12, 20, 23, 40, tzinfo=timezone.utc), explanation="seen on 17 nights",
    )  # fmt: skip
    return [Profile("u1", (home,), posts=5, devices=("Apple iPhone 15",)), Profile("u2")]


def test_round_trip_keeps_the_contract_fields(tmp_path: Path) -> None:
    path = dump_profiles(
        sample_profiles(), tmp_path / "out" / "profiles.json", sites=[{"site": "S1"}]
    )
    doc = json.loads(path.read_text())
    assert doc["schema"] == SCHEMA
    place = doc["people"][0]["places"][0]
    assert {k: place[k] for k in ("kind", "lat", "lon", "radius_m", "confidence", "evidence", "days")} == {
        "kind": "home", "lat": 69.6496, "lon": -18.956, "radius_m": 40, "confidence": 0.93,
        "evidence": ["u1-0042", "u1-0107"], "days": 17,
    }  # fmt: skip
    assert place["first_seen"] == "2025-01-09T02:11:00Z"
    assert doc["people"][1]["places"] == []
    profiles, sites = load_profiles(path)
    assert profiles[0].places[0].position == LatLon(69.6496, -18.956)
    assert profiles[0].places[0].first_seen == datetime(2025, 1, 9, 2, 11, tzinfo=timezone.utc)
    assert profiles[0].devices == ("Apple iPhone 15",) and sites == [{"site": "S1"}]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"people": 3}', "no 'people' list"),
        ('{"schema": "other/1", "people": []}', "unknown schema"),
        ('{"people": [{"places": []}]}', "'person' string"),
        (
            '{"people": [{"person": "a", "places": [{"kind": "castle", "lat": 1, "lon": 2}]}]}',
            "unknown place kind",
        ),
        (
            '{"people": [{"person": "a", "places": [{"kind": "home", "lat": 100, "lon": 2}]}]}',
            "latitude",
        ),
    ],
)
def test_malformed_profiles_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CorpusError, match=message) as info:
        load_profiles(path)
    assert "bad.json" in str(info.value)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
_PERSON_KEYS = ("posts", "evidence_count", "evidence_by_source", "devices", "timezone", "notes")
_PLACE_KEYS = ("radius_m", "confidence", "evidence", "days", "first_seen", "nights", "site")


@settings(max_examples=300, deadline=None)
@given(
    where=st.sampled_from(["person", "place", "document"]),
    key=st.sampled_from([*_PERSON_KEYS, *_PLACE_KEYS, "sites"]),
    value=_JSON_VALUES,
)
def test_any_json_in_any_field_loads_or_names_the_file_once(
    tmp_path_factory: pytest.TempPathFactory, where: str, key: str, value: object
) -> None:
    """A hand-edited or foreign profiles.json never gives a traceback (it used to for
    "posts": "x", "devices": 5, "notes": 5, "evidence_by_source": [1], "sites": 5 and a
    place's "site": [1]): it loads, or one CorpusError names the file and the entry once."""
    place = {"kind": "home", "lat": 1.0, "lon": 2.0}
    person: dict[str, object] = {"person": "a", "places": [place]}
    doc: dict[str, object] = {"schema": SCHEMA, "people": [person]}
    {"person": person, "place": place, "document": doc}[where][key] = value
    path = tmp_path_factory.mktemp("profiles") / "hand.json"
    path.write_text(json.dumps(doc))
    try:
        profiles, _sites = load_profiles(path)
    except CorpusError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert message.count("hand.json") == 1, message
        return
    loaded = profiles[0]
    assert isinstance(loaded.posts, int) and all(isinstance(d, str) for d in loaded.devices)
    assert all(p.site_id is None or isinstance(p.site_id, str) for p in loaded.places)
    hash(loaded.places[0].site_id)


def test_inference_parameters_are_read_back_and_checked(tmp_path: Path) -> None:
    from geoleak.infer import estimator_from_json, parameters_to_json
    from geoleak.profiles import load_profiles_with_parameters

    params = parameters_to_json()
    path = dump_profiles(
        sample_profiles(), tmp_path / "p.json", meta={"tool": "geoleak", "parameters": params}
    )
    _profiles, _sites, read = load_profiles_with_parameters(path)
    assert read == params and "workers" not in params
    model, unknown = estimator_from_json({**params, "eps_m": 250.0, "future_knob": 3})
    assert model.get_params()["eps_m"] == 250.0 and unknown == ["future_knob"]
    bare = dump_profiles(sample_profiles(), tmp_path / "q.json")
    assert load_profiles_with_parameters(bare)[2] is None
    doc = json.loads(path.read_text())
    doc["generated_by"]["parameters"] = [1, 2]
    path.write_text(json.dumps(doc))
    with pytest.raises(CorpusError, match=r"generated_by\.parameters must be an object"):
        load_profiles_with_parameters(path)


@pytest.mark.parametrize("people", [0, 1, 3])
@pytest.mark.parametrize("sites", [[], [{"site": "S1", "people": ["u1", "Zoë"], "note": "a\nb"}]])
@pytest.mark.parametrize(
    "meta", [None, {"tool": "geoleak", "inputs": ["på.jsonl"], "parameters": {}}]
)
@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_streamed_document_is_the_document_json_dump_writes(
    people: int, sites: list[dict[str, object]], meta: dict[str, object] | None, ensure_ascii: bool
) -> None:
    # The store engines write profiles.json one person at a time: the bytes must be those
    # of the whole document dumped at once (names and notes with newlines, non-ASCII text).
    profiles = [
        *sample_profiles(),
        Profile('Zoë\n"q"', notes=("line one\nline two",), devices=()),
    ][:people]
    expected = json.dumps(
        profiles_to_json(profiles, sites=sites, meta=meta), ensure_ascii=ensure_ascii, indent=1
    )
    out = io.StringIO()
    texts = (profile_json_text(p, ensure_ascii=ensure_ascii) for p in profiles)
    assert write_profiles_document(out, texts, sites=sites, meta=meta,
                                   ensure_ascii=ensure_ascii) == len(profiles)  # fmt: skip
    assert out.getvalue() == expected


_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)  # fmt: skip
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.lists(st.text(), max_size=4),  # all strings: the fast path
        st.dictionaries(st.text(), inner, max_size=4),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES, st.booleans(), st.integers(0, 3))
def test_indented_text_is_what_json_dumps_writes_nested(
    value: object, ensure_ascii: bool, depth: int
) -> None:
    # profile_json_text writes an entry itself (the json module's indenting encoder is its
    # pure-Python one): the bytes must be json.dumps(indent=1)'s, nested as in the document.
    from json.encoder import encode_basestring, encode_basestring_ascii

    from geoleak.profiles import _indented, _nested

    text = encode_basestring_ascii if ensure_ascii else encode_basestring
    expected = _nested(json.dumps(value, ensure_ascii=ensure_ascii, indent=1), depth)
    assert _indented(value, depth, text) == expected


def test_an_entry_with_keys_other_than_strings_is_left_to_json_dumps() -> None:
    from geoleak.profiles import _indented, _NotPlain

    with pytest.raises(_NotPlain):
        _indented({"a": {1: "b"}}, 2, json.dumps)
    profile = Profile("u3", extra={"counts": {1: 2, None: 3}})
    expected = json.dumps(profiles_to_json([profile]), indent=1)
    assert json.loads(expected)["people"][0]["counts"] == {"1": 2, "null": 3}
    out = io.StringIO()
    write_profiles_document(out, [profile_json_text(profile)])
    assert out.getvalue() == expected


_EXTRA_KEYS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["lat", "site", "evidence", "person", "notes", "valid_from"]),
)
_EXTRAS = st.dictionaries(_EXTRA_KEYS, _JSON_VALUES, max_size=3) | st.dictionaries(
    st.one_of(st.integers(), st.none()), _JSON_SCALARS, min_size=1, max_size=2
)
_MOMENTS = st.none() | st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc)
)
_PLACES = st.builds(
    Place,
    kind=st.sampled_from(PlaceKind),
    position=st.builds(
        LatLon,
        st.floats(-90, 90) | st.integers(-90, 90),
        st.floats(-180, 180) | st.integers(-180, 180),
    ),
    radius_m=st.floats(0, 1e7) | st.integers(0, 10**6),
    confidence=st.floats(0, 1) | st.sampled_from([0, 1]),
    evidence=st.lists(st.text(max_size=8), max_size=5).map(tuple)
    | st.lists(st.text(max_size=3) | st.integers(), max_size=3).map(tuple),
    days=st.integers(-5, 10**6),
    first_seen=_MOMENTS,
    last_seen=_MOMENTS,
    explanation=st.text(max_size=20),
    nights=st.integers(0, 400),
    workdays=st.integers(0, 400),
    site_id=st.none() | st.text(max_size=4),
    extra=_EXTRAS,
)


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        Profile,
        person=st.text(max_size=8),
        places=st.lists(_PLACES, max_size=3).map(tuple),
        posts=st.integers(0, 10**9),
        evidence_count=st.integers(0, 10**9),
        evidence_by_source=st.dictionaries(st.text(max_size=5), st.integers(0, 99), max_size=3),
        devices=st.lists(st.text(max_size=5), max_size=3).map(tuple),
        timezone=st.none() | st.text(max_size=8),
        notes=st.lists(st.text(max_size=10), max_size=2).map(tuple),
        extra=_EXTRAS,
    ),
    st.booleans(),
)
def test_profile_text_is_what_json_dumps_writes_for_the_entry(
    profile: Profile, ensure_ascii: bool
) -> None:
    # profile_json_text writes a profile and its places from their fields (no dicts): the
    # bytes must be json.dumps(indent=1)'s of `profile_to_json`, nested as in the document,
    # with whole-number coordinates, evidence ids that are not strings, extra keys that
    # replace a fixed one's value in place, and keys that are not strings.
    from geoleak.profiles import _nested, profile_to_json

    expected = _nested(json.dumps(profile_to_json(profile), ensure_ascii=ensure_ascii, indent=1), 2)
    assert profile_json_text(profile, ensure_ascii=ensure_ascii) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.none() | st.just(timezone.utc) | st.timezones(),
    )
)
def test_iso_is_what_strftime_writes(moment: datetime) -> None:
    """`_iso` writes a moment's UTC time without strftime (years from 1000), the same text
    as strftime's (years below 1000, unpadded on glibc, still go through it): any year,
    aware in any zone or naive (read in the machine's zone). Fails with a field unpadded
    or with years below 1000 written by the format."""
    from geoleak.profiles import _iso

    assert _iso(moment) == moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Moment(datetime):
    """A datetime subclass (msgspec's own writing is only trusted for datetime itself)."""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.none()
        | st.datetimes(
            min_value=datetime(1, 1, 2),
            max_value=datetime(9999, 12, 30),
            timezones=st.none()
            | st.just(timezone.utc)
            | st.just(timezone(timedelta(0), "UTC"))
            | st.timezones(),
        ).map(lambda m: m.replace(microsecond=0) if m.microsecond % 2 else m)
        | st.builds(
            _Moment, st.integers(1, 9999), st.just(1), st.just(1), tzinfo=st.just(timezone.utc)
        ),
        min_size=2,
        max_size=2,
    )
)
def test_a_places_times_are_written_as_iso_writes_them(moments: list[datetime | None]) -> None:
    """A place's first and last time written through msgspec (`_utc_moment`: the moment
    itself where msgspec writes `_iso`'s text) are `_iso`'s texts, as json.dumps writes
    them: any year, whole seconds or not, in `timezone.utc`, another zone of offset 0, any
    zone, naive, a datetime subclass, or None. Fails with the year's or the microseconds'
    check left out."""
    from geoleak.profiles import _msgspec_entry, _nested, profile_to_json

    place = replace(sample_profiles()[0].places[0], first_seen=moments[0], last_seen=moments[1])
    profile = Profile("u1", places=(place,))
    assert _msgspec_entry(profile) is not None  # the msgspec path
    expected = _nested(json.dumps(profile_to_json(profile), ensure_ascii=False, indent=1), 2)
    assert profile_json_text(profile) == expected


class _Text(str):
    """A str subclass: json writes it as a string, msgspec refuses it."""


_EDGE_FLOATS = st.sampled_from(
    [
        0.0,
        -0.0,
        1e-05,
        -5e-05,
        9.999999999999999e-05,
        1e-4,
        9999999999999998.0,
        1e16,
        -1e16,
        1e22,
        5e-324,
        float("nan"),
        float("inf"),
        float("-inf"),
    ]
)
_SMALL_FLOATS = st.sampled_from([0.0, -0.0, 1e-05, -5e-05, 9.999999999999999e-05, 1e-4, 4e-07])
_ODD_VALUES = st.one_of(
    _EDGE_FLOATS,
    st.integers(-(2**70), 2**70),
    st.text(alphabet=st.characters(max_codepoint=0x20) | st.sampled_from("\ud800\u2028é\x7f")),
    st.builds(_Text, st.text(max_size=3)),
    st.just(datetime(2025, 1, 9, tzinfo=timezone.utc)),
    st.just(frozenset({1})),
    st.just(b"ab"),
)
_ODD_JSON = st.recursive(
    _ODD_VALUES | _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(
    st.builds(
        Profile,
        person=st.text(max_size=4) | st.builds(_Text, st.text(max_size=3)),
        places=st.lists(
            st.builds(
                Place,
                kind=st.sampled_from(PlaceKind),
                position=st.builds(
                    LatLon, _SMALL_FLOATS | st.floats(-90, 90), st.floats(-180, 180)
                ),
                radius_m=st.sampled_from([0.0, 1e-05, 4e-05, 1e16, 12.5]),
                confidence=st.sampled_from([0.0, 0.00004, 0.0004, 1.0]),
                evidence=st.lists(st.text(max_size=3) | _ODD_VALUES, max_size=3).map(tuple),
                days=st.integers(0, 3) | _ODD_VALUES,
                explanation=st.text(max_size=3) | st.builds(_Text, st.text(max_size=3)),
                site_id=st.none() | st.text(max_size=3),
                extra=st.dictionaries(st.text(max_size=3), _ODD_JSON, max_size=2),
            ),
            max_size=2,
        ).map(tuple),
        posts=st.integers(0, 9) | _ODD_VALUES,
        evidence_by_source=st.dictionaries(st.text(max_size=3), st.integers(0, 9) | _EDGE_FLOATS),
        devices=st.lists(st.text(max_size=3) | _ODD_VALUES, max_size=2).map(tuple),
        timezone=st.none() | st.text(max_size=3) | _EDGE_FLOATS,
        extra=st.dictionaries(
            st.text(max_size=3) | st.sampled_from(["lat", "notes"]), _ODD_JSON, max_size=3
        ),
    )
)
def test_msgspec_writes_only_what_json_dumps_writes(profile: Profile) -> None:
    """profile_json_text writes a plain profile through msgspec (encode, format): floats
    near where repr and msgspec take an exponent, NaN and infinities, big ints, control
    characters and lone surrogates, types json refuses (datetimes, sets, bytes, str
    subclasses) anywhere must give json.dumps's text, or its error. Fails without the
    floats' range check or the extra values' walk."""
    from geoleak.profiles import _nested, profile_to_json

    try:
        expected = _nested(json.dumps(profile_to_json(profile), ensure_ascii=False, indent=1), 2)
    except (TypeError, ValueError) as error:
        with pytest.raises(type(error)):
            profile_json_text(profile)
        return
    assert profile_json_text(profile) == expected


def test_a_plain_profile_is_written_through_msgspec() -> None:
    from geoleak.profiles import _msgspec_entry, profile_to_json

    for profile in sample_profiles():
        entry = _msgspec_entry(profile)
        # (its UTC times as the moments, which msgspec writes as `_iso`'s texts)
        assert json.loads(msgspec.json.encode(entry)) == profile_to_json(profile)
    odd = Profile(
        "u3", places=(replace(sample_profiles()[0].places[0], position=LatLon(5e-05, 1)),)
    )
    assert _msgspec_entry(odd) is None
    assert '"lat": 5e-05' in profile_json_text(odd)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=True, allow_infinity=True)
        | st.sampled_from([0.0, -0.0, 1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0])
        | st.integers()
        | st.booleans()
        | st.sampled_from([None, "1.0", 1j]),
        max_size=5,
    )
)
def test_plain_numbers_is_each_plain_number(values: list[object]) -> None:
    """`_plain_numbers` (a place's four numbers in one call) is `_plain_number` of each:
    the bounds of msgspec's and json's agreement, both zeros, NaN, infinities, ints, bools
    and what is not a number. Fails with a bound off or a kind let through."""
    assert _plain_numbers(*values) == all(map(_plain_number, values))
