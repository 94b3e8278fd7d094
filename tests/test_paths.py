"""How outputs name the user's files (geoleak.paths.PathNames / shown_path)."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.ingest.archive import extract_archives
from geoleak.paths import ARCHIVE_SEPARATOR, PathNames, showing_paths, shown_path


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "photos" / "2023").mkdir(parents=True)
    (tmp_path / "photos" / "2023" / "a.jpg").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_file_under_an_input_is_named_under_the_input_as_typed(here: Path) -> None:
    names = PathNames()
    names.add_input("photos/")
    real = os.path.realpath(here / "photos" / "2023" / "a.jpg")
    assert names(real) == os.path.join("photos", "2023", "a.jpg")
    assert names("photos/2023/a.jpg") == "photos/2023/a.jpg"  # already as typed
    assert names(str(here / "photos")) == "photos"
    assert names(None) == ""
    names.absolute = True
    assert names(real) == real
    assert names("photos/2023/a.jpg") == str(here / "photos" / "2023" / "a.jpg")


def test_a_symlinked_input_is_named_as_typed(here: Path) -> None:
    (here / "link").symlink_to(here / "photos")
    names = PathNames()
    names.add_input("link")
    assert names(os.path.realpath(here / "link" / "2023" / "a.jpg")) == os.path.join(
        "link", "2023", "a.jpg"
    )


def test_an_absolute_input_stays_absolute_and_others_relative_to_the_working_folder(
    here: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    names = PathNames()
    names.add_input(str(elsewhere))
    assert names(str(elsewhere / "b.jpg")) == str(elsewhere / "b.jpg")
    assert names(str(here / "notes" / "c.jpg")) == os.path.join("notes", "c.jpg")


def test_a_folder_geoleak_made_is_named_by_its_name_even_as_an_input(here: Path) -> None:
    names = PathNames()
    names.add_folder(here / "photos", "generated-demo")
    names.add_input(str(here / "photos" / "2023"))  # an input inside it keeps that name
    assert names(str(here / "photos" / "2023" / "a.jpg")) == "generated-demo/2023/a.jpg"
    assert names.temporary(here / "photos" / "2023" / "a.jpg")  # pages must not link to it
    names.absolute = True
    assert names(str(here / "photos" / "2023" / "a.jpg")) == "generated-demo/2023/a.jpg"


def test_archive_members_are_named_inside_their_archive_part(here: Path) -> None:
    for part, member in (("export-001.zip", "Takeout/a.jpg"), ("export-002.zip", "Takeout/b.jpg")):
        with zipfile.ZipFile(here / part, "w") as archive:
            archive.writestr(member, b"x")
    parts = [Path("export-001.zip"), Path("export-002.zip")]
    with showing_paths() as names, extract_archives(parts) as root:
        a, b = str(root / "Takeout" / "a.jpg"), str(root / "Takeout" / "b.jpg")
        assert shown_path(a) == "export-001.zip!/Takeout/a.jpg"
        assert shown_path(b) == "export-002.zip!/Takeout/b.jpg"
        assert shown_path(os.path.realpath(b)) == "export-002.zip!/Takeout/b.jpg"
        assert shown_path(str(root)) == "export-001.zip"
        assert names.temporary(b) and not names.temporary(here / "export-001.zip")
        names.absolute = True
        assert shown_path(b) == f"{here / 'export-002.zip'}!/Takeout/b.jpg"
    assert shown_path(b) != "export-002.zip!/Takeout/b.jpg"  # only inside its scope


@given(st.lists(st.text(alphabet="ab.é ", min_size=1, max_size=6), min_size=1, max_size=4))
def test_a_member_name_round_trips_through_the_notation(parts: list[str]) -> None:
    parts = [p for p in parts if p not in (".", "..")] or ["x"]
    names = PathNames()
    names.add_archive("/nonexistent-extract/root", ["takeout.zip"])
    member = "/".join(parts)
    shown = names(os.path.join("/nonexistent-extract/root", *parts))
    assert shown == "takeout.zip" + ARCHIVE_SEPARATOR + os.path.normpath(member)


@settings(max_examples=12)
@given(
    st.lists(st.text(alphabet="ab.é -", min_size=1, max_size=6), min_size=1, max_size=3),
)
def test_a_warning_names_an_archive_member_as_the_outputs_do(parts: list[str]) -> None:
    """Warnings name the files they are about as `shown_path` does, from where they are
    made: a zip member as `ARCHIVE.zip!/member` (never the temporary folder it was
    extracted into, gone when the command ends), a file under a relative input as typed."""
    from click.testing import CliRunner

    from geoleak.cli import main

    # (hidden folders, ".a", are not read)
    parts = [p.strip() for p in parts if p.strip() and not p.strip().startswith(".")] or ["x"]
    member = "/".join([*parts, "empty c.jpg"])
    runner = CliRunner()
    before = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)  # relative inputs, as typed (Click's isolated_filesystem is deprecated)
        try:
            with zipfile.ZipFile("takeout.zip", "w") as archive:
                archive.writestr(member, b"")
            Path("typed-photos").mkdir()
            Path("typed-photos", "b c.jpg").write_bytes(b"")
            result = runner.invoke(main, ["infer", "takeout.zip", "typed-photos", "-o", "p.json"])
            here = os.getcwd()
        finally:
            os.chdir(before)
    assert result.exit_code == 0, result.output
    assert f"takeout.zip!/{os.path.normpath(member)}: file is empty" in result.output
    assert "typed-photos/b c.jpg: file is empty" in result.output
    assert "geoleak-" not in result.output and here not in result.output


def test_cli_warnings_name_a_zip_member_not_the_temporary_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from geoleak.cli import main

    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("photos/Trip 1/empty.jpg", b"")
    result = CliRunner().invoke(
        main, ["infer", str(tmp_path / "export.zip"), "-o", str(tmp_path / "p.json")]
    )
    assert result.exit_code == 0, result.output
    assert "export.zip!/photos/Trip 1/empty.jpg: file is empty" in result.output
    assert "geoleak-" not in result.output


def test_warnings_name_files_by_absolute_path_with_absolute_paths(here: Path) -> None:
    """--absolute-paths names files absolutely in warnings too, as in every other output:
    the warnings are made with the shown path (a rewrite of their text afterwards only
    knew absolute paths, and left a corpus typed `photos/bad.jsonl` relative)."""
    from click.testing import CliRunner

    from geoleak.cli import main

    (here / "photos" / "empty.jpg").write_bytes(b"")
    (here / "photos" / "bad.jsonl").write_text("{not json\n")
    runner = CliRunner()
    relative = runner.invoke(main, ["audit", "photos", "--json", "r.json"])
    assert "warning: photos/empty.jpg: file is empty" in relative.output, relative.output
    absolute = runner.invoke(main, ["audit", "photos", "--absolute-paths", "--json", "a.json"])
    shown = os.path.realpath(here / "photos" / "empty.jpg")
    assert f"warning: {shown}: file is empty" in absolute.output, absolute.output
    corpus = runner.invoke(main, ["audit", "photos/bad.jsonl", "--json", "c.json"])
    assert "warning: photos/bad.jsonl:1: not valid JSON" in corpus.output, corpus.output
    corpus = runner.invoke(
        main, ["audit", "photos/bad.jsonl", "--absolute-paths", "--json", "d.json"]
    )
    shown = os.path.join(os.path.realpath(here), "photos", "bad.jsonl")
    assert f"warning: {shown}:1: not valid JSON" in corpus.output, corpus.output
