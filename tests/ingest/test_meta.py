"""Instagram and Facebook readers, and Meta's mojibake repair."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ingest_helpers import FIXTURES, by_id, read_all

from geoleak.errors import CorpusError
from geoleak.ingest.base import readers_for
from geoleak.ingest.common import fix_mojibake
from geoleak.types import EvidenceSource

IG_POSTS = "your_instagram_activity/content/posts_1.json"
FB_POSTS = "your_activity_across_facebook/posts/your_posts__check_ins__photos_and_videos_1.json"


def test_instagram_posts_stories_and_exif_positions() -> None:
    assert [r.name for r in readers_for(FIXTURES / "instagram")] == ["instagram"]
    posts, diag = read_all(FIXTURES / "instagram")
    found = by_id(posts)
    first = found[f"{IG_POSTS}#0"]
    assert first.author == "alice.example.fictional"
    assert first.text == "Morning coffee at Café Luna 📍 Fayetteville"
    assert first.geotag_source is EvidenceSource.EXIF
    assert (first.geotag.lat, first.geotag.lon) == (35.0527, -78.8784)
    assert len(first.media) == 2
    # the carousel's second photo has its own position: its own post
    assert found[f"{IG_POSTS}#0#media2"].geotag.lon == -79.006
    # a post whose media file is missing and which has no position is still a post
    assert found[f"{IG_POSTS}#1"].geotag is None
    assert found[f"{IG_POSTS}#1"].text == "Sunset ☀"
    story = found["your_instagram_activity/content/stories.json#0"]
    assert (story.geotag.lat, story.geotag.lon) == (-33.8568, 151.2153)
    assert not diag.warnings


def test_instagram_html_variant_asks_for_json() -> None:
    with pytest.raises(CorpusError, match=r"HTML version.*Format: JSON"):
        read_all(FIXTURES / "instagram_html")


def test_instagram_malformed() -> None:
    posts, diag = read_all(FIXTURES / "instagram_malformed")
    found = by_id(posts)
    assert found[f"{IG_POSTS}#4"].geotag is not None
    assert found[f"{IG_POSTS}#1"].geotag is None  # latitude 123 rejected
    assert found[f"{IG_POSTS}#2"].media == ()  # ../../../etc/passwd refused
    assert f"{IG_POSTS}#3" not in found
    text = "\n".join(diag.warnings)
    assert "leaves the corpus folder" in text
    assert "'soon'" in text
    assert "not an object" in text


def test_meta_uris_written_with_backslashes(tmp_path: Path) -> None:
    """An export made on Windows names its media `media\\posts\\...jpg`: on POSIX that was
    one file name, not found, and the photos were silently left out. Backslashes are read
    as separators when no file has the name as written; an escape is still refused."""
    export = tmp_path / "instagram"
    shutil.copytree(FIXTURES / "instagram", export)
    posts_json = export / IG_POSTS
    data = json.loads(posts_json.read_text(encoding="utf-8"))
    for item in data[0]["media"]:
        item["uri"] = item["uri"].replace("/", "\\")
    data[1]["media"][0]["uri"] = "..\\..\\..\\secret.jpg"
    (tmp_path / "secret.jpg").write_bytes(
        (export / "media/posts/202306/17900000000000001.jpg").read_bytes()
    )
    posts_json.write_text(json.dumps(data), encoding="utf-8")
    posts, diag = read_all(export)
    found = by_id(posts)
    assert [
        Path(m).relative_to(export.resolve()).as_posix() for m in found[f"{IG_POSTS}#0"].media
    ] == [
        "media/posts/202306/17900000000000001.jpg",
        "media/posts/202306/17900000000000002.jpg",
    ]
    assert found[f"{IG_POSTS}#1"].media == ()
    assert len(diag.warnings) == 1, diag.warnings
    assert diag.warnings[0].endswith(
        "item 1: media path '..\\\\..\\\\..\\\\secret.jpg' leaves the corpus folder; refused"
    )


def test_facebook_posts_checkins_albums_videos() -> None:
    assert [r.name for r in readers_for(FIXTURES / "facebook")] == ["facebook"]
    posts, diag = read_all(FIXTURES / "facebook")
    found = by_id(posts)
    assert {p.author for p in posts} == {"Björn Fictional"}
    status = found[f"{FB_POSTS}#0"]
    assert status.text == "Café au lait before duty ☕"
    assert status.geotag_source is EvidenceSource.EXIF
    assert status.geotag.lat == 35.1401
    assert status.media
    assert status.media[0].endswith("111.jpg")
    checkin = found[f"{FB_POSTS}#1"]
    assert checkin.place is not None
    assert checkin.place.name == "Café Luna"
    assert checkin.place.centre is not None
    assert checkin.place.centre.lon == -78.8784
    assert checkin.geotag is None
    assert found[f"{FB_POSTS}#2"].text == "Checked in at Longyearbyen airport, 78.2464N"
    assert f"{FB_POSTS}#3" not in found  # no text, no place, no media
    album = found["your_activity_across_facebook/posts/album/0.json#0"]
    assert album.text == "Midnight sun in Tromsø"
    assert album.geotag.lat == 69.6492
    video = found["your_activity_across_facebook/posts/your_videos.json#0"]
    assert video.geotag.lon == 179.95
    assert video.media == ()
    assert not diag.warnings


def test_facebook_malformed() -> None:
    posts, diag = read_all(FIXTURES / "facebook_malformed")
    found = by_id(posts)
    assert found[f"{FB_POSTS}#3"].text == "fine post at Fort Fictional"
    assert "your_activity_across_facebook/posts/album/0.json#0" in found  # before truncation
    text = "\n".join(diag.warnings)
    assert "'last tuesday'" in text
    assert "outside the valid range" in text
    assert "album/0.json: not valid JSON" in text


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("Caf\u00c3\u00a9", "Café"),
        ("Troms\u00c3\u00b8", "Tromsø"),
        ("\u00f0\u009f\u0093\u008d pin", "📍 pin"),
        ("plain ascii", "plain ascii"),
        ("Café already fine", "Café already fine"),
        ("Ã alone", "Ã alone"),
        ("ünïcödé", "ünïcödé"),
    ],
)
def test_fix_mojibake(broken: str, fixed: str) -> None:
    assert fix_mojibake(broken) == fixed


@given(st.text())
def test_fix_mojibake_inverts_meta_encoding(text: str) -> None:
    try:
        mangled = text.encode("utf-8").decode("latin-1")
    except UnicodeDecodeError:
        return
    repaired = fix_mojibake(mangled)
    assert repaired in (text, mangled)
    if any(ord(c) > 127 for c in text) and all(ord(c) not in range(0x80, 0xA0) for c in text):
        assert repaired == text


def test_a_broken_export_json_is_named_with_its_line(tmp_path: Path) -> None:
    """A syntax error in an export's JSON was reported as "not valid JSON (lexical error:
    invalid char in json text.)", with no line: the user could not find it in a file of
    thousands of lines. Now its line and column are named."""
    export = tmp_path / "instagram"
    shutil.copytree(FIXTURES / "instagram", export)
    posts_json = export / IG_POSTS
    lines = posts_json.read_text(encoding="utf-8").splitlines()
    lines[30] += " garbage"
    posts_json.write_text("\n".join(lines), encoding="utf-8")
    _posts, diag = read_all(export)
    assert any(
        w.endswith(f"{IG_POSTS}: not valid JSON at line 31, column 28 (Expecting value); "
                   "the rest of the file is skipped")
        for w in diag.warnings
    ), diag.warnings  # fmt: skip


def test_an_export_json_cut_short_says_so(tmp_path: Path) -> None:
    """An X archive's tweets.js cut in the middle (a download that stopped) said "parse
    error: premature EOF", with no line; now where it ends, and that it looks cut short."""
    archive = tmp_path / "twitter"
    shutil.copytree(FIXTURES / "twitter", archive)
    tweets = archive / "data" / "tweets.js"
    text = tweets.read_text(encoding="utf-8")
    cut = text[: len(text) // 2]
    tweets.write_text(cut, encoding="utf-8")
    _posts, diag = read_all(archive)
    line = cut.count("\n") + 1
    assert any(f"tweets.js: not valid JSON at line {line}, column" in w
               and "(the file ends there: cut short?)" in w for w in diag.warnings), diag.warnings  # fmt: skip


@pytest.mark.parametrize(("content", "warned"), [('{"oops": 1}', True), ("[]", False),
                                                 ('{"photos": []}', False)])  # fmt: skip
def test_an_export_file_of_an_unknown_layout_is_not_read_as_nothing_posted(
    tmp_path: Path, content: str, warned: bool
) -> None:
    """A Facebook posts file that is an object of other keys (a newer layout, a file in the
    wrong place) gave no post and no word: "0 posts" looked like nothing was posted."""
    export = tmp_path / "facebook"
    shutil.copytree(FIXTURES / "facebook", export)
    (export / FB_POSTS).write_text(content, encoding="utf-8")
    _posts, diag = read_all(export)
    said = [w for w in diag.warnings if "nothing read from it" in w]
    assert bool(said) is warned, diag.warnings
    if warned:
        assert said[0].startswith(str(export / FB_POSTS)) or FB_POSTS in said[0]
