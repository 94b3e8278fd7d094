from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import FIXTURES

from geoleak.diagnostics import Diagnostics
from geoleak.errors import ArchiveError, CorpusError
from geoleak.ingest import open_inputs
from geoleak.ingest.archive import (
    ArchiveLimits,
    check_archive,
    extract_archives,
    group_archive_parts,
)


def _zip_tree(zip_path: Path, root: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(root.rglob("*")):
            if file.is_file():
                archive.write(file, prefix + file.relative_to(root).as_posix())
    return zip_path


def _zip_entries(zip_path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return zip_path


def test_zip_export_is_read_and_temp_folder_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zip_path = _zip_tree(tmp_path / "alice-instagram.zip", FIXTURES / "instagram")
    diag = Diagnostics()
    # A temporary folder of this test's own: other runs' geoleak-* folders come and go in
    # the system's one.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen: list[list[str]] = []
    reading = open_inputs([zip_path], diag)
    posts = [next(reading)]
    seen.append([p.name for p in scratch.iterdir()])  # extracted while being read
    posts += list(reading)
    assert len(posts) == 4
    assert posts[0].author == "alice.example.fictional"
    assert [name.startswith("geoleak-") for name in seen[0]] == [True]
    assert list(scratch.iterdir()) == []  # extraction folder cleaned up
    assert zip_path.is_file()  # input untouched


def test_takeout_zip_with_photos_and_location_history(tmp_path: Path) -> None:
    # One Takeout holding two products: both readers run.
    tree = tmp_path / "tree"
    for name in ("takeout", "google_location"):
        for file in (FIXTURES / name).rglob("*"):
            if file.is_file():
                dest = tree / file.relative_to(FIXTURES / name)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(file.read_bytes())
    zip_path = _zip_tree(tmp_path / "takeout-20240101T000000Z-001.zip", tree)
    posts = list(open_inputs([zip_path], Diagnostics()))
    sources = {p.extra.get("source") for p in posts}
    assert sources == {"google-takeout", "google-location"}
    assert {p.author for p in posts} == {"takeout-20240101T000000Z-001"}


def test_split_takeout_parts_read_together(tmp_path: Path) -> None:
    # The photo lands in part 1, its sidecar in part 2: matched only when read together.
    folder = "Takeout/Google Photos/Photos from 2023/"
    src = FIXTURES / "takeout" / folder
    part1 = _zip_entries(
        tmp_path / "takeout-x-001.zip",
        {folder + "IMG_0001.jpg": (src / "IMG_0001.jpg").read_bytes()},
    )
    part2 = _zip_entries(
        tmp_path / "takeout-x-002.zip",
        {folder + "IMG_0001.jpg.json": (src / "IMG_0001.jpg.json").read_bytes()},
    )
    assert group_archive_parts([part2, part1]) == [[part1, part2]]
    posts = list(open_inputs([part2, part1], Diagnostics()))
    assert len(posts) == 1
    assert posts[0].media
    assert posts[0].extra["geo_exif"] == [78.2232, 15.6267]
    assert posts[0].author == "takeout-x"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "zip slip"),
        ("a/../../evil.txt", "zip slip"),
        ("/etc/evil.txt", "absolute path"),
        ("C:\\evil.txt", "absolute path|drive letter"),
    ],
)
def test_unsafe_names_refused(tmp_path: Path, name: str, reason: str) -> None:
    zip_path = _zip_entries(tmp_path / "bad.zip", {"ok.txt": b"ok", name: b"x"})
    with pytest.raises(ArchiveError, match=reason):
        check_archive(zip_path)
    assert not (tmp_path / "evil.txt").exists()


def test_symlink_refused(tmp_path: Path) -> None:
    zip_path = tmp_path / "link.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        info = zipfile.ZipInfo("photos/link.jpg")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic link"):
        check_archive(zip_path)


def test_zip_bomb_by_ratio_refused(tmp_path: Path) -> None:
    zip_path = _zip_entries(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(ArchiveError, match="compression ratio"):
        check_archive(zip_path)


def test_total_size_limit(tmp_path: Path) -> None:
    zip_path = _zip_entries(tmp_path / "big.zip", {f"f{i}.txt": os.urandom(2048) for i in range(4)})
    with pytest.raises(ArchiveError, match="uncompressed size"):
        check_archive(zip_path, ArchiveLimits(max_total_bytes=4096))
    with (
        pytest.raises(ArchiveError),
        extract_archives([zip_path], ArchiveLimits(max_total_bytes=4096)),
    ):
        pass


def test_header_lying_about_size_is_caught(tmp_path: Path) -> None:
    zip_path = _zip_entries(tmp_path / "liar.zip", {"a.txt": os.urandom(5000)})
    data = bytearray(zip_path.read_bytes())
    # Patch the declared uncompressed size (central directory, offset 24) to 10 bytes.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    zip_path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError), extract_archives([zip_path]):
        pass


def test_unsafe_zip_reported_and_other_inputs_read(tmp_path: Path) -> None:
    bad = _zip_entries(tmp_path / "bad.zip", {"../evil.txt": b"x"})
    diag = Diagnostics()
    posts = list(open_inputs([bad, FIXTURES / "geolife"], diag))
    assert len(posts) == 3
    assert any("zip slip" in w for w in diag.warnings)
    with pytest.raises(ArchiveError):
        list(open_inputs([bad], Diagnostics()))


def test_not_a_zip(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip")
    with pytest.raises(CorpusError):
        list(open_inputs([fake], Diagnostics()))


def test_a_truncated_zip_is_named_as_one_and_other_inputs_are_read(tmp_path: Path) -> None:
    whole = _zip_tree(tmp_path / "whole.zip", FIXTURES / "takeout").read_bytes()
    cut = tmp_path / "takeout-001.zip"
    cut.write_bytes(whole[: len(whole) // 2])  # the directory is at the end: gone
    with pytest.raises(
        CorpusError, match=r"takeout-001\.zip: cannot be read: .*no zip directory.*cut short"
    ):
        list(open_inputs([cut], Diagnostics()))
    diag = Diagnostics()
    assert len(list(open_inputs([cut, FIXTURES / "geolife"], diag))) == 3
    assert [w for w in diag.warnings if "takeout-001.zip" in w and "cut short" in w]
    # a file that merely ends in .zip is still "not a format geoleak recognises"
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip")
    with pytest.raises(CorpusError, match="not a format"):
        list(open_inputs([fake], Diagnostics()))


def test_extractions_stack_keeps_media_until_closed(tmp_path: Path) -> None:
    from contextlib import ExitStack

    zip_path = _zip_tree(tmp_path / "t.zip", FIXTURES / "takeout")
    with ExitStack() as stack:
        posts = list(open_inputs([zip_path], Diagnostics(), extractions=stack))
        media = [m for p in posts for m in p.media]
        assert media
        assert all(Path(m).is_file() for m in media)
    assert not any(Path(m).exists() for m in media)  # removed when the stack closed


_SEGMENTS = st.sampled_from(
    ["a", "b.jpg", "..", ".", "", "C:", "\\\\", "x\\\\..\\\\..", "~", "/", "Takeout"]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(
        st.lists(_SEGMENTS, min_size=1, max_size=5).map("/".join),
        min_size=1,
        max_size=4,
        unique=True,
    )
)
def test_any_entry_name_is_refused_or_stays_inside(
    tmp_path_factory: pytest.TempPathFactory, names: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    zip_path = folder / "fuzz.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for n, name in enumerate(names):
            if name.strip("/"):
                archive.writestr(name, f"entry {n}")
    outside_before = set(folder.parent.rglob("*"))
    try:
        with extract_archives([zip_path]) as root:
            for file in root.rglob("*"):
                assert file.resolve().is_relative_to(root.resolve())
    except ArchiveError:
        pass
    new = set(folder.parent.rglob("*")) - outside_before
    assert not new  # nothing written beside the archive
