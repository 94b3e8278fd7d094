from __future__ import annotations

from datetime import datetime, timezone

import pytest
from ingest_helpers import FIXTURES, by_id, read_all

from geoleak.ingest.base import readers_for
from geoleak.ingest.takeout import sidecar_candidates
from geoleak.types import EvidenceSource


def test_sniffed_as_takeout_photos() -> None:
    assert [r.name for r in readers_for(FIXTURES / "takeout")] == ["takeout-photos"]


def test_sidecars_matched_with_naming_quirks() -> None:
    posts, diag = read_all(FIXTURES / "takeout")
    found = by_id(posts)
    # plain IMG.jpg.json: the media reader takes the position from it; the post keeps the
    # sidecar's values in extra and its time
    p1 = found["Photos from 2023/IMG_0001.jpg"]
    assert p1.geotag is None
    assert p1.extra["geo_exif"] == [78.2232, 15.6267]
    assert p1.created_at == datetime(2023, 6, 12, 9, 0, tzinfo=timezone.utc)
    assert p1.media
    assert p1.media[0].endswith("IMG_0001.jpg")
    # duplicate name: IMG_0002(1).jpg <- IMG_0002.jpg(1).json, east of the antimeridian
    p2 = found["Photos from 2023/IMG_0002(1).jpg"]
    assert (p2.geotag.lat, p2.geotag.lon) == (-16.8, 179.95)
    assert p2.geotag_source is EvidenceSource.GEOTAG  # geoData only
    # long name: sidecar cut to 51 characters, west of the antimeridian
    long_id = "Photos from 2023/Fictional_Camera_App_Export_2023_06_12_at_0815.jpg"
    assert (found[long_id].geotag.lat, found[long_id].geotag.lon) == (-16.81, -179.97)
    # geoData 0,0 (none), geoDataExif set: read by the media reader from the plain sidecar
    assert found["Photos from 2023/IMG_0003.jpg"].extra["geo_exif"] == [35.0527, -78.8784]
    # matched through the sidecar's title only
    assert found["Photos from 2023/PXL_renamed.jpg"].geotag.lat == 52.5163
    assert not diag.warnings


def test_each_photo_located_exactly_once_through_the_pipeline() -> None:
    from geoleak.pipeline import collect_evidence

    collected = collect_evidence([FIXTURES / "takeout"], workers=1)
    per_post: dict[str, int] = {}
    for ev in collected.evidence["takeout"]:
        if (ev.text or "").startswith("[home"):
            continue  # "Home sweet home" marks that same position as home: no second location
        per_post[ev.post_id] = per_post.get(ev.post_id, 0) + 1
    assert per_post["Photos from 2023/IMG_0001.jpg"] == 1
    assert per_post["Photos from 2023/IMG_0003.jpg"] == 1
    assert per_post["Photos from 2023/IMG_0002(1).jpg"] == 1
    assert per_post["Photos from 2023/IMG_0099.jpg.json"] == 1  # sidecar without its photo
    assert all(n == 1 for n in per_post.values())


def test_edited_copy_and_orphan_sidecar_counted_once() -> None:
    posts, _ = read_all(FIXTURES / "takeout")
    ids = {p.id for p in posts}
    assert "Photos from 2023/IMG_0003-edited.jpg" not in ids
    orphan = by_id(posts)["Photos from 2023/IMG_0099.jpg.json"]
    assert orphan.media == ()
    assert orphan.text == "Home sweet home"
    assert orphan.geotag is not None
    assert orphan.geotag.lon == -79.006


def test_author_defaults_to_input_name_and_can_be_forced() -> None:
    posts, _ = read_all(FIXTURES / "takeout", author="u0001")
    assert {p.author for p in posts} == {"u0001"}
    posts, _ = read_all(FIXTURES / "takeout")
    assert {p.author for p in posts} == {"takeout"}


def test_malformed_sidecars_reported_and_rest_read() -> None:
    posts, diag = read_all(FIXTURES / "takeout_malformed")
    found = by_id(posts)
    assert len(found) == 4  # every photo is still a post
    assert all(found[f"Photos from 2024/IMG_100{i}.jpg"].geotag is None for i in range(4))
    assert found["Photos from 2024/IMG_1003.jpg"].extra["geo_data"] == [35.05, -78.88]
    text = "\n".join(diag.warnings)
    assert "IMG_1000.jpg.json: not valid JSON" in text
    assert "'north'" in text
    assert "outside the valid range" in text
    assert "'yesterday'" in text


@pytest.mark.parametrize(
    ("media", "sidecar"),
    [
        ("IMG_1.jpg", "IMG_1.jpg.json"),
        ("IMG_1.jpg", "IMG_1.jpg.supplemental-metadata.json"),
        ("IMG_1(2).jpg", "IMG_1.jpg(2).json"),
        ("IMG_1(2).jpg", "IMG_1.jpg.supplemental-metadata(2).json"),
        ("IMG_1-edited.jpg", "IMG_1.jpg.json"),
        (
            "Screenshot_20230612-081500_Fictional_Messenger.png",
            "Screenshot_20230612-081500_Fictional_Messenger.json",
        ),  # cut at 46 + .json
    ],
)
def test_sidecar_candidates(media: str, sidecar: str) -> None:
    assert sidecar in sidecar_candidates(media)


def test_sidecar_candidates_respect_the_length_limit() -> None:
    name = "x" * 60 + ".jpg"
    assert ("x" * 46 + ".json") in sidecar_candidates(name)
