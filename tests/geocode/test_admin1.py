"""Provinces, states and regions of other countries as qualifiers: a qualified town's name
lands in the country it names, never in another (geoleak/geocode/admin1.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.geocode import GeonamesGazetteer, admin1
from geoleak.geocode.admin1 import (
    COUNTIES,
    COUNTY_ABBREVIATIONS,
    OTHER_NAMES,
    admin1_path,
    build_rows,
    load_counties,
    load_subdivisions,
)
from geoleak.geocode.base import normalize_name
from geoleak.geocode.cityindex import PackedCityIndex

Town = tuple[str, str, str]  # own name, country, admin1 code


@pytest.fixture(scope="module")
def gazetteer() -> GeonamesGazetteer:
    return GeonamesGazetteer()


@pytest.mark.parametrize(
    ("query", "expected", "lat", "lon"),
    [
        ("London, Ontario", "London, CA", 42.98, -81.23),  # was London, GB
        ("London, ON", "London, CA", 42.98, -81.23),
        ("Kingston, Ontario", "Kingston, CA", 44.23, -76.48),  # was Kingston, Jamaica
        ("Sydney, Nova Scotia", "Sydney, CA", 46.14, -60.18),  # was Sydney, Australia
        ("Sydney, NS", "Sydney, CA", 46.14, -60.18),
        ("Victoria, BC", "Victoria, CA", 48.44, -123.35),  # was Victoria, Hong Kong
        ("Richmond, British Columbia", "Richmond, CA", 49.17, -123.14),  # was ambiguous
        ("Newcastle, NSW", "Newcastle, AU", -32.93, 151.78),
        ("Perth, WA", "Perth, AU", -31.95, 115.86),  # WA: Washington's symbol too
        ("Frankfurt, Brandenburg", "Frankfurt (Oder), DE", 52.35, 14.55),  # not am Main
        ("Halle, Saxony-Anhalt", "Halle (Saale), DE", 51.48, 11.98),
        ("Halle, Sachsen-Anhalt", "Halle (Saale), DE", 51.48, 11.98),
        ("Würzburg, Bayern", "Würzburg, DE", 49.79, 9.95),
        ("Campinas, SP", "Campinas, BR", -22.91, -47.06),
        ("Springfield, MA", "Springfield, MA, US", 42.10, -72.59),  # MA: Maranhão too
        ("Paris, Texas", "Paris, TX, US", 33.66, -95.56),
        # British counties: a circle around their towns
        ("Boston, Lincolnshire", "Boston, GB", 52.98, -0.03),  # was Boston, MA
        ("Boston, Lincs", "Boston, GB", 52.98, -0.03),
        ("Wellington, Shropshire", "Wellington, GB", 52.70, -2.52),  # was Wellington, NZ
        ("Richmond, North Yorkshire", "Richmond, GB", 54.40, -1.73),  # was Richmond, VA
        ("Salford, Greater Manchester", "Salford, GB", 53.49, -2.29),
    ],
)
def test_a_qualified_town_lands_in_the_area_it_names(
    gazetteer: GeonamesGazetteer,
    query: str,
    expected: str,
    lat: float,
    lon: float,
) -> None:
    found = gazetteer.lookup(query)
    assert found is not None
    assert found.name == expected
    assert found.position.lat == pytest.approx(lat, abs=0.02)
    assert found.position.lon == pytest.approx(lon, abs=0.02)


def test_a_subdivision_with_no_such_town_gives_none(gazetteer: GeonamesGazetteer) -> None:
    assert gazetteer.candidates("Kingston, Alberta") == []  # not Jamaica's
    assert gazetteer.candidates("Tromsø, Ontario") == []
    assert gazetteer.lookup("Kingston") is not None  # the name alone is still a town


def test_a_county_after_a_venue_is_read_as_before(gazetteer: GeonamesGazetteer) -> None:
    # Many county names are American towns' ("Durham", "Kent"): not areas on their own.
    assert not gazetteer.names_area("Durham") and not gazetteer.names_area("Lincs")
    found = gazetteer.lookup("Durham")
    assert found is not None and found.name == "Durham, NC, US"
    assert gazetteer.candidates("Kingston, Lincs") == []  # no Kingston in Lincolnshire


def test_the_counties_table() -> None:
    counties = load_counties()
    for name in [*COUNTIES, *COUNTY_ABBREVIATIONS, "Shropshire", "Kent", "Fife"]:
        circles = counties[normalize_name(name)]
        assert all(c == "GB" and 5_000 <= r <= 150_000 for c, _, _, r in circles), name
    lincs, lincolnshire = counties["lincs"], counties["lincolnshire"]
    assert lincs == lincolnshire


def test_names_area(gazetteer: GeonamesGazetteer) -> None:
    for text in ("Ontario", " ON", "NSW", "Texas, USA", "Bayern", "France", "Nova Scotia, Canada"):
        assert gazetteer.names_area(text), text
    for text in ("Fayetteville", "Fayetteville, NC", "", "Range 7", "Ontario, Fayetteville"):
        assert not gazetteer.names_area(text), text


def test_the_table_names_the_codes_the_towns_carry() -> None:
    subdivisions = load_subdivisions()
    assert "CA.08" in subdivisions["ontario"]
    assert "CA.08" in subdivisions["on"]
    assert "AU.02" in subdivisions["nsw"]
    assert "DE.02" in subdivisions["bayern"] and "DE.02" in subdivisions["bavaria"]
    assert "FR.44" in subdivisions["grand est"]
    # Every symbol of OTHER_NAMES is in the shipped table, under its country.
    for country, symbols in OTHER_NAMES.items():
        for symbol in symbols:
            codes = subdivisions[normalize_name(symbol)]
            assert any(code.startswith(f"{country}.") for code in codes), symbol
    with admin1_path().open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    assert rows[0] == ["country", "admin1", "name"]
    assert len(rows) > 3_500 and all(len(row) == 3 and all(row) for row in rows)


def test_build_rows_names_each_code_by_its_towns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rg = tmp_path / "rg.csv"
    rg.write_text(
        "lat,lon,name,admin1,admin2,cc\n"
        "43.00,-81.00,Aa,Ontario,,CA\n"
        "43.10,-81.10,Bb,Ontario,,CA\n"
        "43.20,-81.20,Cc,Old Name,,CA\n"
        "45.00,-73.00,Dd,Quebec,,CA\n"
        "10.00,10.00,Ee,Nowhere,,XX\n",
        encoding="utf-8",
    )
    cities = [
        {"name": "Aa", "countrycode": "CA", "admin1code": "08", "latitude": 43.001, "longitude": -81.001},
        {"name": "Bb", "countrycode": "CA", "admin1code": "08", "latitude": 43.10, "longitude": -81.10},
        {"name": "Cc", "countrycode": "CA", "admin1code": "08", "latitude": 43.20, "longitude": -81.20},
        {"name": "Dd", "countrycode": "CA", "admin1code": "10", "latitude": 45.00, "longitude": -73.00},
        # too far from any town of its country in the file: names nothing
        {"name": "Ff", "countrycode": "CA", "admin1code": "11", "latitude": 52.0, "longitude": -106.0},
        # the same place in another country is not the same town
        {"name": "Ee", "countrycode": "YY", "admin1code": "01", "latitude": 10.0, "longitude": 10.0},
    ]  # fmt: skip
    with pytest.raises(ValueError, match="no subdivision named"):
        build_rows(rg, cities)  # OTHER_NAMES' other provinces have no towns here
    monkeypatch.setattr(admin1, "OTHER_NAMES", {"CA": {"ON": "Ontario", "QC": "Quebec"}})
    rows = build_rows(rg, cities)
    # "Old Name" is 1 of 3 towns of 08: a third, so kept; nothing for 11 or YY.
    assert sorted(rows) == sorted([
        ("CA", "08", "Ontario"), ("CA", "08", "Old Name"), ("CA", "10", "Quebec"),
        ("CA", "08", "ON"), ("CA", "10", "QC"),
    ])  # fmt: skip


def _sample_towns(gazetteer: GeonamesGazetteer) -> list[Town]:
    """Every 50th town outside the US whose subdivision has a name (and whose own name has
    no comma: "Mianzhu, Deyang, Sichuan" cannot be qualified after a comma)."""
    index = gazetteer._load()
    assert isinstance(index, PackedCityIndex)
    named = {code for codes in load_subdivisions().values() for code in codes}
    towns = []
    for number in range(0, len(index._a["lat"]), 50):
        city = index.city(number)
        if (
            f"{city.country}.{city.admin1}" in named
            and city.country != "US"
            and "," not in city.name
        ):
            towns.append((city.name, city.country, city.admin1))
    return towns


@pytest.fixture(scope="module")
def sample(gazetteer: GeonamesGazetteer) -> tuple[list[Town], dict[tuple[str, str], list[str]]]:
    names: dict[tuple[str, str], list[str]] = {}
    with admin1_path().open(encoding="utf-8") as handle:
        for country, code, name in list(csv.reader(handle, delimiter="\t"))[1:]:
            names.setdefault((country, code), []).append(name)
    return _sample_towns(gazetteer), names


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_property_a_town_qualified_by_its_subdivision_is_found_there(
    gazetteer: GeonamesGazetteer,
    sample: tuple[list[Town], dict[tuple[str, str], list[str]]],
    data: st.DataObject,
) -> None:
    towns, names = sample
    name, country, code = data.draw(st.sampled_from(towns), label="town")
    qualifier = data.draw(st.sampled_from(names[(country, code)]), label="qualifier")
    key = normalize_name(qualifier)
    areas = {code.split(".")[0] for code in load_subdivisions()[key]}
    areas |= {gazetteer._countries[key]} if key in gazetteer._countries else set()
    areas |= {"US"} if key in gazetteer._states else set()
    found = gazetteer.candidates(f"{name}, {qualifier}")
    # Every answer lies in a country the qualifier names, and the town's name is among them
    # (towns of one name in one subdivision are answered once, by the largest).
    assert found
    assert all(r.name.rsplit(", ", 1)[1] in areas for r in found), (name, qualifier)
    assert any(r.name == f"{name}, {country}" for r in found), (name, qualifier)
