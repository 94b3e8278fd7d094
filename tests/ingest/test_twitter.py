from __future__ import annotations

import pytest
from ingest_helpers import FIXTURES, by_id, read_all

from geoleak.errors import CorpusError
from geoleak.ingest.twitter import open_ytd, place_from_tweet


def test_tweets_coordinates_places_media() -> None:
    posts, diag = read_all(FIXTURES / "twitter")
    found = by_id(posts)
    assert {p.author for p in posts} == {"carol_fictional"}
    # GeoJSON coordinates are lon, lat: read in the right order
    first = found["1600000000000000001"]
    assert (first.geotag.lat, first.geotag.lon) == (35.0527, -78.8784)
    # a place whose bounding box crosses the antimeridian: centre at +-180, not 0
    fiji = found["1600000000000000002"]
    assert fiji.place is not None
    assert fiji.place.name == "Taveuni, Fiji"
    assert abs(fiji.place.centre.lon) == pytest.approx(180.0)
    assert fiji.place.centre.lat == pytest.approx(-16.8)
    assert fiji.media
    assert fiji.media[0].endswith("1600000000000000002-FictionalSunset.jpg")
    # the old `geo` field is lat, lon
    assert found["1600000000000000003"].geotag.lat == 78.2232
    assert found["1600000000000000004"].geotag is None
    assert not diag.warnings


def test_malformed_archive() -> None:
    posts, diag = read_all(FIXTURES / "twitter_malformed")
    assert [p.id for p in posts] == ["1700000000000000004"]
    text = "\n".join(diag.warnings)
    assert "tweets-part1.js: does not start with 'window.YTD" in text
    assert "tweet without id" in text
    assert "outside the valid range" in text
    assert "'Saturday'" in text


def test_open_ytd_rejects_plain_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tweets.js"
    path.write_text('[{"tweet": {}}]')
    with pytest.raises(CorpusError):
        open_ytd(path)


def test_place_without_bbox() -> None:
    geotag, place = place_from_tweet({"place": {"full_name": "Fayetteville, NC"}})
    assert geotag is None
    assert place is not None
    assert place.centre is None
