"""A folder of photos as input: each file is one post of one person."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

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


def test_a_cameras_proxy_is_a_post_only_where_its_video_is_gone(tmp_path: Path) -> None:
    """GoPro writes GL010001.LRV (proxy) and GX010001.THM (thumbnail) beside GX010001.MP4,
    GOPR0002.LRV/.THM beside GOPR0002.MP4; Canon MVI_0003.THM beside MVI_0003.MOV; DJI
    DJI_0004.LRF beside DJI_0004.MP4. Beside its video a copy is no post (the video is, so
    the moment counts once); with the video deleted the copy is the only record left: one
    post per moment, the proxy rather than the thumbnail."""
    card = tmp_path / "DCIM" / "100GOPRO"
    card.mkdir(parents=True)
    names = [
        "GX010001.MP4", "GL010001.LRV", "GX010001.THM",  # video kept
        "GL010005.LRV", "GH010005.THM",  # video deleted: the proxy
        "GOPR0002.LRV", "GOPR0002.THM",  # video deleted (HERO5 names)
        "MVI_0003.THM",  # Canon, video deleted: the thumbnail is all there is
        "DJI_0004.LRF", "dji_0004.mp4",  # case differs (FAT card): video kept
    ]  # fmt: skip
    for name in names:
        (card / name).write_bytes(b"x")
    posts = list(open_inputs([tmp_path / "DCIM"], Diagnostics()))
    assert sorted(p.id for p in posts) == [
        "100GOPRO/GL010005.LRV", "100GOPRO/GOPR0002.LRV", "100GOPRO/GX010001.MP4",
        "100GOPRO/MVI_0003.THM", "100GOPRO/dji_0004.mp4",
    ]  # fmt: skip


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["GX", "GH", "GL", "GOPR", "MVI_", "DJI_"]),
            st.integers(0, 3),
            st.sampled_from([".MP4", ".mov", ".LRV", ".thm", ".LRF", ".JPG"]),
        ),
        max_size=12,
        unique=True,
    )
)
def test_orphan_companions_one_per_moment_never_beside_its_video(
    parts: list[tuple[str, int, str]],
) -> None:
    from geoleak.mediatypes import COMPANION_EXTENSIONS, VIDEO_EXTENSIONS, orphan_companions

    def key(name: str) -> str:
        stem = name.rsplit(".", 1)[0].upper()
        return "G*" + stem[2:] if stem[:2] in ("GX", "GH", "GL") and len(stem) == 8 else stem

    names = [f"{p}{n:06d}{x}" if len(p) == 2 else f"{p}{n:04d}{x}" for p, n, x in parts]
    orphans = orphan_companions(names)
    videos = {key(n) for n in names if "." + n.rsplit(".", 1)[1].lower() in VIDEO_EXTENSIONS}
    companions = [n for n in names if "." + n.rsplit(".", 1)[1].lower() in COMPANION_EXTENSIONS]
    assert orphans <= set(companions)
    assert not {key(n) for n in orphans} & videos  # never beside its video
    assert len({key(n) for n in orphans}) == len(orphans)  # one per moment
    # every moment with a companion and no video has its record
    assert {key(n) for n in companions} - videos == {key(n) for n in orphans}
    for name in orphans:  # the proxy before the thumbnail
        if name.upper().endswith(".THM"):
            assert not any(
                key(n) == key(name) and not n.upper().endswith(".THM") for n in companions
            )
