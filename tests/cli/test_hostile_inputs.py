"""Hostile folders and values: no traceback, no hang, one warning naming the file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from media_data import BUNDLED_MEDIA

from geoleak.cli import main

ODD_NAME = os.fsdecode(b"caf\xe9\r.jpg")  # not UTF-8, and a carriage return


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.output


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ana"
    folder.mkdir()
    shutil.copyfile(BUNDLED_MEDIA / "mde_htc_desire.jpg", folder / "a.jpg")
    try:
        shutil.copyfile(BUNDLED_MEDIA / "mde_apple_iphone4.jpg", folder / ODD_NAME)
    except (UnicodeEncodeError, OSError):
        pytest.skip("this file system refuses names that are not UTF-8")
    os.mkfifo(folder / "photo.jpg")  # would hang any reader that opens it
    (folder / "loop1").symlink_to("loop2")
    (folder / "loop2").symlink_to("loop1")
    (folder / "self").symlink_to(".")
    return folder


@pytest.mark.parametrize("command", ["infer", "audit", "export", "report", "map", "scan"])
def test_a_hostile_folder_gives_warnings_not_a_traceback(
    hostile_folder: Path, tmp_path: Path, command: str
) -> None:
    out = tmp_path / "out"
    profiles = tmp_path / "p.json"
    if command == "map":
        assert run("infer", str(hostile_folder), "-o", str(profiles), "-q")[0] == 0
    args = {
        "infer": ["infer", str(hostile_folder), "-o", str(profiles)],
        "audit": ["audit", str(hostile_folder), "--json", str(out) + ".json", "--html",
                  str(out) + ".html"],
        "export": ["export", str(hostile_folder), "-o", str(out)],
        "report": ["report", str(hostile_folder), "-o", str(out), "--no-plots"],
        "map": ["map", str(profiles), str(hostile_folder), "-o", str(out)],
        "scan": ["scan", str(hostile_folder), "--format", "csv", "-o", str(out) + ".csv"],
    }[command]  # fmt: skip
    code, output = run(*args)
    assert code in (0, 1), output
    assert "Traceback" not in output
    if command != "scan":  # scan reports the FIFO in its record instead
        assert "photo.jpg: named pipe, not a regular file; skipped" in output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".json", ".html", ".csv", ".kml", ".geojson")]  # fmt: skip
    assert written
    for path in written:
        path.read_bytes().decode("utf-8")  # every output is valid UTF-8
        if path.suffix in (".json", ".geojson"):
            json.loads(path.read_bytes())


@pytest.mark.parametrize(
    "line",
    [
        {"id": "1", "author": "a", "lat": int("9" * 400), "lon": 1},
        {"id": "2", "author": "a", "lat": 1, "lon": 1, "created_at": int("9" * 400)},
        {"id": "3", "author": "a", "place": {"name": "x", "bbox": [int("9" * 400), 1, 2, 3]}},
    ],
)
def test_huge_integers_are_refused_cleanly(tmp_path: Path, line: dict[str, object]) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps(line) + "\n")
    code, output = run("infer", str(path), "-o", str(tmp_path / "p.json"))
    assert code == 0
    assert "Traceback" not in output
    assert f"{path}:1:" in output
