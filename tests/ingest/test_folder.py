"""A folder of photos as input: each file is one post of one person."""

from __future__ import annotations

from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.ingest import open_inputs, reader_for


def test_folder_gives_one_post_per_media_file(tmp_path: Path) -> None:
    folder = tmp_path / "holiday"
    (folder / "day1").mkdir(parents=True)
    for name in ("day1/a.JPG", "b.heic", "c.mov", "notes.txt", ".hidden.jpg", "._a.jpg"):
        (folder / name).write_bytes(b"x")
    posts = list(open_inputs([folder], Diagnostics()))
    assert sorted(p.id for p in posts) == [".hidden.jpg", "b.heic", "c.mov", "day1/a.JPG"]
    assert {p.author for p in posts} == {"holiday"}
    assert reader_for(folder).name == "folder"


def test_author_option_names_the_person(tmp_path: Path) -> None:
    (tmp_path / "x.jpg").write_bytes(b"x")
    posts = list(open_inputs([tmp_path], Diagnostics(), author="me"))
    assert [p.author for p in posts] == ["me"]


def test_single_file_input(tmp_path: Path) -> None:
    photo = tmp_path / "IMG_1.jpg"
    photo.write_bytes(b"x")
    posts = list(open_inputs([photo], Diagnostics()))
    assert [p.id for p in posts] == ["IMG_1.jpg"]
    assert posts[0].media == (str(photo.resolve()),)
