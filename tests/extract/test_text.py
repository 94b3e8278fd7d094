from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoleak.extract.text import checkin_evidence, find_place_mentions, split_hashtag
from geoleak.geocode.base import GeocodeResult
from geoleak.types import EvidenceSource, LatLon, NamedPlace, Post


def names(text: str) -> list[tuple[str, str]]:
    return [(m.name, m.kind) for m in find_place_mentions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Checked in at Fictional Range", [("Fictional Range", "checkin")]),
        ("CHECKED IN AT Café Luna!", [("Café Luna", "checkin")]),
        (
            "I'm at Fictional Fitness (Fayetteville, NC)",
            [("Fictional Fitness, Fayetteville, NC", "checkin")],
        ),
        (
            "Dinner (@ Cafe Luna in Spring Lake, NC) https://example.invalid",
            [("Cafe Luna, Spring Lake, NC", "checkin")],
        ),
        ("Family BBQ — at Memorial Park in Tulsa.", [("Memorial Park, Tulsa", "checkin")]),
        (
            "Morning coffee at Café Luna 📍 Fayetteville",
            [("Fayetteville", "pin"), ("Café Luna", "presence")],
        ),
        ("📍Tromsø, Norway", [("Tromsø, Norway", "pin")]),
        (
            "Great weekend in Tromsø with the #FortBragg crew #love",
            [("Tromsø", "presence"), ("Fort Bragg", "hashtag")],
        ),
        ("Back in Ponce, Puerto Rico!", [("Ponce, Puerto Rico", "presence")]),
        ("Just landed in Oslo", [("Oslo", "presence")]),
        ("Grüße aus Köln", [("Köln", "presence")]),
        ("Je suis à Lyon", [("Lyon", "checkin")]),
        # future, hypothetical, reported, past, questions, quotes: no claim
        ("Packing to go to Seattle", []),
        ("going to NYC", []),
        ("if we go to Rome in Italy", []),
        ("Police in Dallas said the road is closed", []),
        ("Born in Chicago", []),
        ("Anyone in Boston?", []),
        ('"Nobody in Boston drives well" said my uncle', []),
        ("Demain à Paris", []),
        # times, brands, people's places are no towns
        ("See you on Monday at Christmas in January", []),
        ("Graduated in Spring 2009", []),
        ("See you in Jan", []),
        ("New job at Google", []),
        ("Game night at Dave's", []),
        ("Home sweet home", [("Home sweet home", "home")]),
        ("back home 🏠", [("back home", "home"), ("🏠", "home")]),
        ("", []),
        ("no places here, just words", []),
    ],
)
def test_find_place_mentions(text: str, expected: list[tuple[str, str]]) -> None:
    assert names(text) == expected


def test_mentions_carry_their_span() -> None:
    text = "Sunset at Fort Fictional"
    (mention,) = find_place_mentions(text)
    assert text[mention.start : mention.end] == "Fort Fictional"


@pytest.mark.parametrize(
    ("tag", "name"),
    [("FortBragg", "Fort Bragg"), ("new_york", "new york"), ("NYC", "NYC"), ("Tromsø", "Tromsø")],
)
def test_split_hashtag(tag: str, name: str) -> None:
    assert split_hashtag(tag) == name


@given(st.text(max_size=300))
def test_find_place_mentions_never_fails_and_spans_are_ordered(text: str) -> None:
    mentions = find_place_mentions(text)
    starts = [m.start for m in mentions]
    assert starts == sorted(starts)
    for m in mentions:
        assert 0 <= m.start < m.end <= len(text)


class FakeGeocoder:
    def __init__(self, table: dict[str, GeocodeResult]) -> None:
        self.table = table
        self.asked: list[str] = []

    def lookup(self, query: str) -> GeocodeResult | None:
        self.asked.append(query)
        return self.table.get(query)


def result(name: str, lat: float, lon: float, accuracy: float, kind: str) -> GeocodeResult:
    return GeocodeResult(name, name, LatLon(lat, lon), accuracy, kind, "fake")


WHEN = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def no_tz(_: LatLon) -> str | None:
    return None


def test_checkin_evidence_venue_and_city_accuracy_and_weight() -> None:
    geocoder = FakeGeocoder({
        "Café Luna": result("Café Luna", 35.0527, -78.8784, 25.0, "venue"),
        "Tromsø": result("Tromsø", 69.6489, 18.955, 4000.0, "city"),
    })  # fmt: skip
    post = Post(
        id="p1",
        author="alice",
        created_at=WHEN,
        text="checked in at Café Luna, then a walk in Tromsø",
    )
    # one post, one claim: the check-in outranks the town named after it
    (venue,) = checkin_evidence(post, geocoder, tz_lookup=no_tz)
    assert venue.position == LatLon(35.0527, -78.8784)
    assert venue.source is EvidenceSource.CHECKIN
    assert venue.accuracy_m == 25.0
    assert venue.time_utc == WHEN
    assert "Café Luna" in (venue.text or "")
    (city,) = checkin_evidence(
        Post(id="p2", author="alice", created_at=WHEN, text="Sunset in Tromsø"),
        geocoder,
        tz_lookup=no_tz,
    )
    assert city.accuracy_m == 4000.0
    assert 0 < city.weight < venue.weight < 1


def test_checkin_venue_with_city_falls_back_to_the_city() -> None:
    geocoder = FakeGeocoder(
        {"Fayetteville, NC": result("Fayetteville, NC", 35.05, -78.88, 9000.0, "city")}
    )
    post = Post(id="p", author="a", text="I'm at Fictional Fitness (Fayetteville, NC)")
    (ev,) = checkin_evidence(post, geocoder, tz_lookup=no_tz)
    assert ev.accuracy_m == 9000.0
    assert geocoder.asked[:3] == [
        "Fictional Fitness, Fayetteville, NC",
        "Fictional Fitness",
        "Fayetteville, NC",
    ]


def test_place_without_centre_is_geocoded() -> None:
    geocoder = FakeGeocoder(
        {"Fictional Diner": result("Fictional Diner", -16.8, 179.95, 40.0, "user")}
    )
    post = Post(id="p", author="a", place=NamedPlace("Fictional Diner"))
    (ev,) = checkin_evidence(post, geocoder, tz_lookup=no_tz)
    assert ev.position.lon == 179.95


def test_located_posts_not_geocoded_but_home_phrase_marks_position() -> None:
    geocoder = FakeGeocoder({"Fayetteville": result("Fayetteville", 35.05, -78.88, 9000.0, "city")})
    tagged = Post(id="p", author="a", text="Back in Fayetteville", geotag=LatLon(78.2232, 15.6267))
    assert checkin_evidence(tagged, geocoder, tz_lookup=no_tz) == []
    assert geocoder.asked == []
    home = Post(id="h", author="a", text="Home sweet home", geotag=LatLon(78.2232, 15.6267),
                geotag_accuracy_m=12.0)  # fmt: skip
    (ev,) = checkin_evidence(home, geocoder, tz_lookup=no_tz)
    assert ev.position == LatLon(78.2232, 15.6267)
    assert ev.accuracy_m == 12.0
    assert (ev.text or "").startswith("[home")
    assert ev.weight < 1


def test_regions_too_coarse_are_dropped() -> None:
    geocoder = FakeGeocoder({"Norway": result("Norway", 64.0, 11.0, 300_000.0, "country")})
    post = Post(id="p", author="a", text="Holidays in Norway")
    assert checkin_evidence(post, geocoder, tz_lookup=no_tz) == []


def test_home_phrase_marks_the_photos_position() -> None:
    from geoleak.types import Evidence

    post = Post(id="p", author="a", text="Finally home", created_at=WHEN)
    exif = Evidence("p", "a", LatLon(-16.8, 179.95), EvidenceSource.EXIF, accuracy_m=8.0,
                    time_utc=WHEN, media_path="/x.jpg")  # fmt: skip
    (ev,) = checkin_evidence(post, FakeGeocoder({}), known=[exif], tz_lookup=no_tz)
    assert ev.source is EvidenceSource.CHECKIN
    assert ev.position == exif.position
    assert ev.accuracy_m == 8.0
    assert ev.media_path == "/x.jpg"
    assert ev.weight < 1
    # without a home phrase a located post gives nothing more
    other = Post(id="q", author="a", text="Dinner at Café Luna")
    assert checkin_evidence(other, FakeGeocoder({}), known=[exif], tz_lookup=no_tz) == []


@pytest.fixture(scope="module")
def gazetteer():  # type: ignore[no-untyped-def]
    from geoleak.geocode import GeonamesGazetteer

    return GeonamesGazetteer()


@pytest.mark.parametrize(
    "text",
    [
        "Great to be back in the USA",  # not Yokkaichi
        "Finally in China",  # not China, Mexico
        "Hello from El Salvador",  # not the Philippines
        "Two weeks in Egypt",  # not Goodyear, AZ
        "Safari day in Africa",  # not Mahdia
        "Sunny day in California",  # not California, MD
        "New job at Google",  # not Topeka
        "See you in Jan",  # not Dschang
        "Graduated in Spring 2009",  # not Spring, TX
        "Packing to go to Seattle",
        "going to NYC",
        "RT @citynews: Water main break in Portland",
    ],
)
def test_no_point_from_regions_words_future_and_reshares(gazetteer, text: str) -> None:  # type: ignore[no-untyped-def]
    assert checkin_evidence(Post(id="p", author="a", text=text), gazetteer, tz_lookup=no_tz) == []


def test_qualified_town_and_one_point_per_post(gazetteer) -> None:  # type: ignore[no-untyped-def]
    post = Post(
        id="p", author="a", text="Back in Ponce, Puerto Rico, then lunch in San Juan and Paris"
    )
    (ev,) = checkin_evidence(post, gazetteer, tz_lookup=no_tz)
    assert ev.position.lat == pytest.approx(18.01, abs=0.05)  # Ponce, PR; not Cuba
    assert ev.position.lon == pytest.approx(-66.61, abs=0.05)
    assert ev.accuracy_m <= 30_000


def test_reshares_marked_by_ingest_place_nobody(gazetteer) -> None:  # type: ignore[no-untyped-def]
    post = Post(id="p", author="a", text="Just landed in Oslo", extra={"reshare": True})
    assert checkin_evidence(post, gazetteer, tz_lookup=no_tz) == []


def test_ambiguous_town_is_settled_by_the_persons_other_evidence(gazetteer) -> None:  # type: ignore[no-untyped-def]
    from geoleak.extract.text import PlaceContext

    post = Post(id="p", author="a", text="Lunch in Springfield")
    assert checkin_evidence(post, gazetteer, tz_lookup=no_tz) == []  # MO, MA, IL: unclear
    near_boston = PlaceContext(near=(LatLon(42.36, -71.06),))
    (ev,) = checkin_evidence(post, gazetteer, context=near_boston, tz_lookup=no_tz)
    assert ev.position.lat == pytest.approx(42.10, abs=0.05)  # Springfield, MA


@pytest.mark.parametrize(
    ("text", "home", "written", "town"),
    [
        ("Back in Paris", (32.78, -96.80), "+02:00", (48.85, 2.35)),  # a Texan in France
        ("Back in Paris", (32.78, -96.80), "-05:00", (33.66, -95.56)),  # at home: Paris TX
        ("Made it to Perth", (55.95, -3.19), "+08:00", (-31.95, 115.86)),  # a Scot in Australia
        ("Made it to Perth", (55.95, -3.19), "+01:00", (56.40, -3.44)),
        ("Made it to Perth", (55.95, -3.19), None, (56.40, -3.44)),  # nothing else: home's
    ],
)
def test_the_zone_a_post_was_written_in_goes_before_the_persons_other_positions(
    gazetteer,  # type: ignore[no-untyped-def]
    text: str,
    home: tuple[float, float],
    written: str | None,
    town: tuple[float, float],
) -> None:
    """A Texan's "Back in Paris" written at +02:00 was Paris, Texas: the person's other
    positions were asked first and the post's own zone only among towns far from them.
    The zone is this post's evidence; the positions now choose among the towns it leaves."""
    from geoleak.extract.text import PlaceContext

    post = Post(
        id="p", author="a", text=text, created_at=datetime(2024, 6, 1, 18, tzinfo=timezone.utc)
    )
    if written is not None:
        local = datetime.fromisoformat(f"2024-06-01T20:00:00{written}")
        offset = local.utcoffset()
        assert offset is not None
        post = Post(id="p", author="a", text=text, created_at=local.astimezone(timezone.utc),
                    posted_offset_h=offset.total_seconds() / 3600)  # fmt: skip
    context = PlaceContext(near=(LatLon(*home),))
    (ev,) = checkin_evidence(post, gazetteer, context=context, tz_lookup=no_tz)
    assert ev.position.lat == pytest.approx(town[0], abs=0.2), ev.text
    assert ev.position.lon == pytest.approx(town[1], abs=0.2), ev.text


@pytest.mark.parametrize(("written", "lat"), [("+02:00", 39.47), ("-04:00", 10.16), (None, None)])
def test_ambiguous_town_is_settled_by_the_zone_the_post_was_written_in(
    tmp_path,  # type: ignore[no-untyped-def]
    written: str | None,
    lat: float | None,
) -> None:
    """Valencia, Spain or Venezuela: the offset the post's time was written with decides, in
    the pipeline too (readers keep times in UTC and the written offset beside them)."""
    import json

    from geoleak.diagnostics import Diagnostics
    from geoleak.pipeline import collect_evidence

    created = "2024-05-01T20:00:00" + (written or "Z")
    row = {"id": "1", "author": "a", "created_at": created, "text": "Just landed in Valencia!"}
    (tmp_path / "posts.jsonl").write_text(json.dumps(row), encoding="utf-8")
    found = collect_evidence([tmp_path / "posts.jsonl"], diag=Diagnostics(), workers=1)
    positions = [e.position for e in found.evidence.get("a", [])]
    if lat is None:
        assert positions == []  # no zone: Spain and Venezuela are both large; no guess
    else:
        (position,) = positions
        assert position.lat == pytest.approx(lat, abs=0.05)


def test_each_languages_patterns_are_compiled_when_first_used() -> None:
    """Importing the module compiles English's patterns only; another language's are
    compiled when a text in it is read, and are the patterns of their sources."""
    import re
    import subprocess
    import sys

    code = (
        "from geoleak.extract import text as t; print(sorted(t._PRESENCE), sorted(t._NEGATIVE)); "
        "t.find_place_mentions('Grüße aus Köln'); print(sorted(t._PRESENCE), sorted(t._NEGATIVE))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["['en'] ['en']", "['de', 'en'] ['de', 'en']"]
    from geoleak.extract import text

    for table in (text._PRESENCE, text._NEGATIVE):
        assert set(table.sources) == set(text._CUES)
        for lang, source in table.sources.items():
            assert table[lang] == re.compile(source)


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("Back home in London, Ontario after a long week", (42.98, -81.23)),  # not London, GB
        ("Great to be in Kingston, ON for the regatta", (44.23, -76.48)),  # not Jamaica
        ("Finally arrived in Newcastle, NSW. Beach time!", (-32.93, 151.78)),  # the stop ends it
        ("Heute endlich in Frankfurt, Brandenburg angekommen", (52.35, 14.55)),  # an der Oder
        ("Weekend in Boston, Lincs visiting my gran", (52.98, -0.03)),  # a county: not MA
        ("Lunch at Café Luna, Berlin", (52.52, 13.41)),  # an area that is a town too
    ],
)
def test_a_town_qualified_by_a_province_lands_there(gazetteer, text: str, town) -> None:  # type: ignore[no-untyped-def]
    (ev,) = checkin_evidence(Post(id="p", author="a", text=text), gazetteer, tz_lookup=no_tz)
    assert ev.position.lat == pytest.approx(town[0], abs=0.05)
    assert ev.position.lon == pytest.approx(town[1], abs=0.05)


def test_a_town_its_province_does_not_hold_is_not_taken_elsewhere(gazetteer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from geoleak.extract.text import resolve_claim
    from geoleak.geocode import ChainGeocoder, PlacesFile

    # No Kingston in Alberta: not Kingston, Jamaica (the name alone), nor a point at all.
    post = Post(id="p", author="a", text="Made it to Kingston, Alberta for the rodeo")
    assert checkin_evidence(post, gazetteer, tz_lookup=no_tz) == []
    (mention,) = find_place_mentions(post.text)
    resolution = resolve_claim(mention, gazetteer)
    assert resolution.result is None and resolution.reason == "region"
    # A venue of the user's own places before an area is still that venue.
    (tmp_path / "places.csv").write_text("name,lat,lon\nHangar Nine,35.1,-79.1\n", encoding="utf-8")
    places = PlacesFile(tmp_path / "places.csv")
    chain = ChainGeocoder([places, gazetteer])
    (mention,) = find_place_mentions("Checked in at Hangar Nine, NC")
    found = resolve_claim(mention, chain)
    assert found.result is not None and found.result.position == LatLon(35.1, -79.1)


def test_a_qualifier_ends_at_a_full_stop() -> None:
    assert names("Finally arrived in Newcastle, NSW. Beach time!") == [
        ("Newcastle, NSW", "presence")
    ]
    assert names("Good times in Tampa, Fla. Great food") == [("Tampa, Fla", "presence")]
    assert names("Checked in at Café Luna, Fayetteville, NC") == [
        ("Café Luna, Fayetteville, NC", "checkin")
    ]
