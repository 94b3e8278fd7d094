"""Any JSON in an export's place gives posts, warnings or a CorpusError: never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ingest_helpers import read_all

from geoleak.errors import CorpusError

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
)
_KEYS = st.sampled_from([
    "media", "uri", "creation_timestamp", "media_metadata", "photo_metadata", "exif_data",
    "latitude", "longitude", "title", "timestamp", "data", "post", "attachments", "place",
    "coordinate", "name", "tweet", "id_str", "created_at", "coordinates", "geo", "full_text",
    "bounding_box", "messages", "from", "from_id", "location_information", "date_unixtime",
    "text", "type", "photo", "file", "Saved Media", "Date", "Location", "Location History",
    "Time", "Latitude, Longitude", "Home & Work", "locations", "latitudeE7", "longitudeE7",
    "timelineObjects", "placeVisit", "activitySegment", "location", "duration",
    "startTimestamp", "semanticSegments", "visit", "topCandidate", "placeLocation", "latLng",
    "activity", "start", "end", "timelinePath", "point", "rawSignals", "position", "chats",
    "list", "ige_stories", "photos", "videos_v2", "geoData", "geoDataExif", "photoTakenTime",
])  # fmt: skip
JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=5),
    max_leaves=25,
)

LAYOUTS = {
    "instagram": "your_instagram_activity/content/posts_1.json",
    "facebook": "your_activity_across_facebook/posts/your_posts_1.json",
    "twitter": "data/tweets.js",
    "snapchat": "json/memories_history.json",
    "snapchat-history": "json/location_history.json",
    "telegram": "result.json",
    "records": "Takeout/Location History/Records.json",
    "semantic": "Takeout/Location History/Semantic Location History/2023/2023_MAY.json",
    "timeline": "Timeline.json",
    "takeout": "Takeout/Google Photos/Album/IMG_1.jpg.json",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=JSON)
@example(doc=[{"media": None, "attachments": True, "data": True}])
@example(
    doc={
        "timelineObjects": [{"placeVisit": {"location": [1]}}],
        "semanticSegments": [{"visit": {"topCandidate": "x"}}],
    }
)
@example(doc={"Location History": "text", "Saved Media": {}})
def test_any_json_is_read_or_refused(
    tmp_path_factory: pytest.TempPathFactory, layout: str, doc: object
) -> None:
    root = tmp_path_factory.mktemp(layout)
    target = root / LAYOUTS[layout]
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc)
    if layout == "twitter":
        text = "window.YTD.tweets.part0 = " + text
    target.write_text(text)
    if layout == "takeout":
        (target.parent / "IMG_1.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    try:
        posts, _ = read_all(root)
    except CorpusError:
        return
    for post in posts:
        assert post.id
        assert post.author


def test_source_forced_on_the_wrong_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError):
        read_all(tmp_path, source="instagram")
