"""The posts JSONL corpus reader (formats.md section 1)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest import open_inputs
from geoleak.ingest.jsonl import (
    JsonlReader,
    LineError,
    MediaPathGuard,
    _one_text_each,
    parse_post,
    parse_timestamp,
    safe_media_path,
)


def write_corpus(folder: Path, lines: list[str], name: str = "posts.jsonl") -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> tuple[list, Diagnostics]:
    diag = Diagnostics()
    return list(JsonlReader().read(path, diag)), diag


def test_reads_every_field_and_keeps_unknown_ones(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    line = {
        "id": "p1", "author": "alice", "created_at": "2025-03-01T20:14:05+01:00", "text": "hi",
        "lat": 69.65, "lon": 18.96, "place": {"name": "Tromsø", "bbox": [18.9, 69.6, 19.0, 69.7]},
        "media": ["img/a.jpg"], "likes": 3, "lang": "en",
    }  # fmt: skip
    posts, diag = read(write_corpus(tmp_path, [json.dumps(line)]))
    assert len(posts) == 1 and not diag.warnings
    post = posts[0]
    assert post.created_at.isoformat() == "2025-03-01T19:14:05+00:00"
    assert (post.geotag.lat, post.geotag.lon) == (69.65, 18.96)
    assert post.place.name == "Tromsø"
    assert post.place.centre.lat == pytest.approx(69.65) and post.place.centre.lon == pytest.approx(
        18.95
    )
    assert post.media == (str((tmp_path / "img/a.jpg").resolve()),)
    assert dict(post.extra) == {"likes": 3, "lang": "en"}
    assert post.posted_offset_h == 1.0  # the zone the time was written in (+01:00)
    assert post.origin.endswith("posts.jsonl:1")


def test_bad_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    lines = [
        '{"id": "ok1", "author": "a"}',
        '{"id": "broken", "author": ',
        '{"author": "a"}',
        '{"id": "no-author"}',
        '[1, 2]',
        '',
        '{"id": "ok2", "author": "a"}',
        '{"id": "ok2", "author": "a"}',
    ]  # fmt: skip
    path = write_corpus(tmp_path, lines)
    posts, diag = read(path)
    assert [p.id for p in posts] == ["ok1", "ok2"]
    messages = "\n".join(diag.warnings)
    assert f"{path}:2: not valid JSON" in messages
    assert f"{path}:3: missing required field 'id'" in messages
    assert f"{path}:4: missing required field 'author'" in messages
    assert f"{path}:5: expected a JSON object" in messages
    assert f"{path}:8: duplicate post id 'ok2'" in messages


@pytest.mark.parametrize(
    "entry",
    [
        "/etc/passwd",
        "../outside.jpg",
        "img/../../outside.jpg",
        "C:\\Windows\\win.ini",
        "\\\\server\\share\\x.jpg",
    ],
)
def test_media_paths_outside_the_corpus_are_refused(tmp_path: Path, entry: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = write_corpus(corpus, [json.dumps({"id": "p", "author": "a", "media": [entry]})])
    posts, diag = read(path)
    assert posts[0].media == ()
    assert any("refused" in w or "absolute" in w for w in diag.warnings), diag.warnings


def test_symlink_escaping_the_corpus_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"x")
    (corpus / "link.jpg").symlink_to(secret)
    resolved, reason = safe_media_path(corpus, "link.jpg")
    assert resolved is None and "leaves the corpus folder" in (reason or "")


def _reference_check(root: Path, entry: str) -> Path | None:
    """What the guard must agree with: resolve everything, then compare."""
    candidate = (root / entry).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError:
        return None
    return candidate


@pytest.fixture(scope="module")
def linked_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus folder with plain folders, links that stay inside and links that leave."""
    base = tmp_path_factory.mktemp("tree")
    (base / "outside").mkdir()
    (base / "outside" / "x.jpg").write_bytes(b"x")
    root = base / "corpus"
    (root / "media" / "a").mkdir(parents=True)
    (root / "media" / "a" / "x.jpg").write_bytes(b"x")
    (root / "media" / "in_link").symlink_to(root / "media" / "a")
    (root / "media" / "out_link").symlink_to(base / "outside")
    (root / "media" / "a" / "file_out.jpg").symlink_to(base / "outside" / "x.jpg")
    (root / "media" / "a" / "file_in.jpg").symlink_to(root / "media" / "a" / "x.jpg")
    return root


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "media",
                "a",
                "in_link",
                "out_link",
                "x.jpg",
                "file_out.jpg",
                "file_in.jpg",
                "..",
                ".",
                "nope",
            ]
        ),
        min_size=1,
        max_size=5,
    )
)
def test_guard_agrees_with_resolving_every_entry(linked_tree: Path, parts: list[str]) -> None:
    entry = "/".join(parts)
    path, reason = MediaPathGuard(linked_tree).check(entry)
    expected = _reference_check(linked_tree, entry)
    assert path == expected, (entry, reason)
    assert (reason is None) == (expected is not None)
    # What a post keeps: the text of that path, exactly as `str(Path)` writes it.
    text, _ = MediaPathGuard(linked_tree).check_text(entry)
    assert text == (None if expected is None else str(expected)), entry


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab/\\:.C ", min_size=1, max_size=8))
def test_guard_refuses_what_pathlib_calls_absolute(entry: str) -> None:
    from pathlib import PurePosixPath, PureWindowsPath

    absolute = (
        PurePosixPath(entry).is_absolute()
        or PureWindowsPath(entry).is_absolute()
        or bool(PureWindowsPath(entry).drive)
    )
    path, reason = MediaPathGuard(Path("/nonexistent-corpus")).check(entry)
    text, _ = MediaPathGuard(Path("/nonexistent-corpus")).check_text(entry)
    assert text == (None if path is None else str(path))  # as str(Path) writes it
    if absolute:
        assert path is None and "absolute" in (reason or "")
    elif (
        entry.strip()
        and ".." not in entry.split("/")
        and not entry.startswith("\\")
        and entry[1:2] != ":"
    ):
        # (a leading backslash, root of the current drive on Windows, and any "X:" are refused too)
        assert path is not None and str(path).startswith("/nonexistent-corpus")


def test_guard_refuses_a_folder_symlink_leaving_the_corpus(linked_tree: Path) -> None:
    guard = MediaPathGuard(linked_tree)
    assert guard.check("media/a/x.jpg")[0] == linked_tree.resolve() / "media" / "a" / "x.jpg"
    path, reason = guard.check("media/out_link/x.jpg")
    assert path is None and "leaves the corpus folder" in (reason or "")
    assert guard.check("media/in_link/x.jpg")[0] == linked_tree.resolve() / "media" / "a" / "x.jpg"


def test_time_without_offset_is_read_as_utc_with_one_warning(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": f"p{i}", "author": "a", "created_at": "2025-01-01T10:00:00"})
        for i in range(3)
    ]
    posts, diag = read(write_corpus(tmp_path, lines))
    assert all(p.created_at.utcoffset().total_seconds() == 0 for p in posts)
    assert len([w for w in diag.warnings if "no UTC offset" in w]) == 1


def test_bad_values_drop_the_field_not_the_post(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "author": "x", "lat": 91, "lon": 0}),
        json.dumps({"id": "b", "author": "x", "lat": "north", "lon": 3}),
        json.dumps({"id": "c", "author": "x", "lat": 1.0}),
        json.dumps({"id": "d", "author": "x", "place": {"name": "X", "bbox": [1, 2]}}),
    ]
    posts, diag = read(write_corpus(tmp_path, lines))
    assert [p.id for p in posts] == ["a", "b", "c", "d"]
    assert all(p.geotag is None and p.place is None for p in posts)
    assert len(diag.warnings) == 4


def test_bad_created_at_skips_the_line(tmp_path: Path) -> None:
    posts, diag = read(
        write_corpus(tmp_path, [json.dumps({"id": "a", "author": "x", "created_at": "yesterday"})])
    )
    assert posts == [] and "not an ISO 8601 time" in diag.warnings[0]


def test_bbox_across_the_antimeridian_has_its_centre_there(tmp_path: Path) -> None:
    line = json.dumps(
        {
            "id": "a",
            "author": "x",
            "place": {"name": "Taveuni", "bbox": [179.8, -17.0, -179.8, -16.6]},
        }
    )
    posts, _ = read(write_corpus(tmp_path, [line]))
    assert abs(posts[0].place.centre.lon) == pytest.approx(180.0)
    assert posts[0].place.centre.lat == pytest.approx(-16.8)


def test_gzip_corpus_streams(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for i in range(1000):
            handle.write(json.dumps({"id": str(i), "author": "a"}) + "\n")
    reader = JsonlReader().read(path, Diagnostics())
    assert next(reader).id == "0"  # lazily: the first post comes before the rest is read
    assert sum(1 for _ in reader) == 999


def test_missing_corpus_is_a_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file"):
        list(open_inputs([tmp_path / "nope.jsonl"], Diagnostics()))


def test_one_missing_input_among_several_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    good = write_corpus(tmp_path, [json.dumps({"id": "a", "author": "x"})])
    diag = Diagnostics()
    posts = list(open_inputs([tmp_path / "nope.jsonl", good], diag))
    assert [p.id for p in posts] == ["a"]
    assert "nope.jsonl" in diag.warnings[0]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2025-03-01T20:14:05Z", "2025-03-01T20:14:05+00:00"),
        ("2025-03-01T20:14:05+11:00", "2025-03-01T09:14:05+00:00"),
        ("2025-03-30T01:30:00-03:30", "2025-03-30T05:00:00+00:00"),
    ],
)
def test_parse_timestamp(text: str, iso: str) -> None:
    parsed, naive = parse_timestamp(text)
    assert parsed.isoformat() == iso and not naive


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
post_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values, "author": json_values, "created_at": json_values, "text": json_values,
        "lat": json_values, "lon": json_values, "place": json_values, "media": json_values,
    },
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(obj=post_like | json_values)
def test_any_json_gives_a_post_or_a_line_error(obj: object) -> None:
    """Whatever a line holds, parsing either yields a valid Post or a LineError/ValueError."""
    try:
        post = parse_post(obj, where="x:1", root=Path("/corpus"), diag=Diagnostics())
    except (LineError, ValueError):
        return
    assert post.id and post.author
    assert post.geotag is None or (-90 <= post.geotag.lat <= 90 and -180 <= post.geotag.lon <= 180)
    assert all(m.startswith("/corpus") for m in post.media)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", "é", ""]), max_size=40))
def test_one_text_each_is_each_authors_first_text(names: list[str]) -> None:
    # Runs of equal authors, and equal authors far apart, each give the object of the
    # first of them (as `dict.setdefault` of every line gives it), fresh objects each line.
    written = [name.join("<>")[1:-1] for name in names]  # (new objects, not interned ones)
    first: dict[str, str] = {}
    expected = list(map(first.setdefault, written, written))
    got = _one_text_each(written)
    assert got == written
    assert all(a is b for a, b in zip(got, expected, strict=True))
