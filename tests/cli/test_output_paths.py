"""Every output names files as the user gave them: under the input as typed, members of an
archive as `export.zip!/member`, never the temporary folder an archive was extracted to;
`--absolute-paths` gives absolute paths instead."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from media_data import BUNDLED_MEDIA

from geoleak.cli import main

MEMBER = "Takeout/Google Photos/Photos from 2018/t.jpg"
EXTRACTED = str(Path(tempfile.gettempdir()) / "geoleak-")  # extract_archives' folders

# command -> (arguments, output files written under the working folder)
COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "map": (["map", "p.json", "photos", "takeout.zip", "-o", "maps"],
            ["maps/index.html", "maps/person-photos.html", "maps/person-takeout.html"]),
    "report": (["report", "photos", "takeout.zip", "-o", "rep", "--no-plots"],
               ["rep/report.html", "rep/person-photos.html", "rep/person-takeout.html"]),
    "audit": (["audit", "photos", "takeout.zip", "--html", "audit.html", "--json", "audit.json"],
              ["audit.html", "audit.json"]),
    "export": (["export", "photos", "takeout.zip", "-o", "ex"],
               ["ex/evidence.csv", "ex/geoleak.geojson", "ex/geoleak.kml"]),
    "scan-jsonl": (["scan", "photos", "-o", "scan.jsonl"], ["scan.jsonl"]),
    "scan-csv": (["scan", "photos", "takeout.zip", "--format", "csv", "-o", "scan.csv"],
                 ["scan.csv"]),
    "workshop": (["workshop", "--participant", "photos", "-o", "ws"], ["ws/index.html"]),
}  # fmt: skip


def run(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "-q"])
    assert result.exit_code in (0, 1), result.output
    return result.output


def text_of(path: Path) -> str:
    """The file's text with JSON's escaped slashes ("\\/", in pages' scripts) undone."""
    return path.read_text(encoding="utf-8").replace("\\/", "/")


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """photos/2023/a.jpg, photos/c.jpg and takeout.zip (one photo), typed relative."""
    (tmp_path / "photos" / "2023").mkdir(parents=True)
    shutil.copyfile(BUNDLED_MEDIA / "mde_apple_iphone4.jpg", tmp_path / "photos/2023/a.jpg")
    shutil.copyfile(BUNDLED_MEDIA / "mde_sony_dsc-hx5v.jpg", tmp_path / "photos/c.jpg")
    with zipfile.ZipFile(tmp_path / "takeout.zip", "w") as archive:
        archive.write(BUNDLED_MEDIA / "mde_fujifilm_s2pro.jpg", MEMBER)
    monkeypatch.chdir(tmp_path)
    run("infer", "photos", "takeout.zip", "-o", "p.json")
    return tmp_path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_outputs_name_files_as_the_user_gave_them(inputs: Path, command: str) -> None:
    args, files = COMMANDS[command]
    run(*args)
    texts = {name: text_of(inputs / name) for name in files}
    for name, text in texts.items():
        assert str(inputs) not in text, f"{name} holds the absolute input path"
        assert EXTRACTED not in text, f"{name} holds a temporary extraction folder"
    everything = "".join(texts.values())
    if command == "scan-jsonl":  # one root: paths relative to it (formats.md section 4)
        assert '"path": "2023/a.jpg"' in everything
    elif command != "workshop":  # the workshop shows a file's name only
        assert "photos/2023/a.jpg" in everything
    if "takeout.zip" in args and command != "scan-csv":  # scan does not open archives
        assert f"takeout.zip!/{MEMBER}" in everything


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_absolute_paths_gives_absolute_paths(inputs: Path, command: str) -> None:
    args, files = COMMANDS[command]
    run(*args, "--absolute-paths")
    everything = "".join(text_of(inputs / name) for name in files)
    assert EXTRACTED not in everything
    if command == "workshop":
        return
    assert str(inputs / "photos" / "2023" / "a.jpg") in everything
    if "takeout.zip" in args and command != "scan-csv":
        assert f"{inputs / 'takeout.zip'}!/{MEMBER}" in everything


@pytest.mark.parametrize("command", ["map", "report", "audit", "workshop"])
def test_a_zip_gives_the_pages_of_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """The pages of a zip have the thumbnails of its photos, as those of its extracted
    folder do: the zip's temporary folder lives until the pages are written."""
    fixture = Path(__file__).parents[1] / "fixtures" / "takeout"
    shutil.copytree(fixture, tmp_path / "takeout")
    with zipfile.ZipFile(tmp_path / "takeout.zip", "w") as archive:
        for path in sorted(fixture.rglob("*")):
            archive.write(path, path.relative_to(fixture).as_posix())
    monkeypatch.chdir(tmp_path)
    run("infer", "takeout", "-o", "p.json")
    thumbnails = {}
    for given in ("takeout", "takeout.zip"):
        out = f"out-{given}"
        args = {
            "map": ["map", "p.json", given, "-o", out],
            "report": ["report", given, "-o", out, "--no-plots"],
            "audit": ["audit", given, "--html", f"{out}/audit.html"],
            "workshop": ["workshop", "--participant", given, "-o", out],
        }[command]
        run(*args)
        pages = sorted((tmp_path / out).rglob("*.html"))
        thumbnails[given] = sum(text_of(page).count("data:image/jpeg") for page in pages)
    assert thumbnails["takeout"] > 0
    assert thumbnails["takeout.zip"] == thumbnails["takeout"]
