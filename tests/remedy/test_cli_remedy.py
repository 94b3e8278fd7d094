"""The scrub command line: examples in --help, exit codes, JSON report, user errors."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fifo_helpers import written_into_a_pipe
from PIL import Image
from remedy_photos import photo

from geoleak.cli import main
from geoleak.extract.media import read_media


def make_folder(root: Path) -> Path:
    folder = root / "in" / "trip"
    folder.mkdir(parents=True)
    (folder / "a.jpg").write_bytes(photo(48.85, 2.35, datetime(2026, 4, 1, 10, 0)))
    (folder / "b.png").write_bytes(photo(-33.9, 151.2, datetime(2026, 4, 2, 10, 0), fmt="PNG"))
    (folder / "broken.heic").write_bytes(b"not really an image " * 4)
    (folder / "readme.txt").write_text("hello")
    return root / "in"


def test_help_has_examples() -> None:
    runner = CliRunner()
    for command in ("scrub", "audit"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "Examples:" in result.output and f"geoleak {command}" in result.output


def test_scrub_writes_clean_copies_and_reports_failures(tmp_path: Path) -> None:
    src = make_folder(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["scrub", str(src), "-o", str(out), "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 1  # broken.heic could not be cleaned
    assert "NOT CLEANED" in result.output and "broken.heic" in result.output
    assert read_media(out / "trip" / "a.jpg").position is None
    assert read_media(out / "trip" / "b.png").position is None
    assert not (out / "trip" / "broken.heic").exists()
    assert not (out / "trip" / "readme.txt").exists()
    report = json.loads((tmp_path / "r.json").read_text())
    statuses = {Path(o["source"]).name: o["status"] for o in report["outcomes"]}
    assert statuses == {
        "a.jpg": "cleaned",
        "b.png": "cleaned",
        "broken.heic": "failed",
        "readme.txt": "skipped",
    }
    removed = next(o for o in report["outcomes"] if o["source"].endswith("a.jpg"))["removed"]
    assert removed[0]["field"] == "EXIF GPS" and removed[0]["value"].startswith("48.85")


def test_scrub_user_errors_exit_2(tmp_path: Path) -> None:
    src = make_folder(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["scrub", str(src)])
    assert result.exit_code == 2 and "geoleak: error:" in result.output
    result = runner.invoke(main, ["scrub", str(src), "-o", str(tmp_path / "x"), "--in-place"])
    assert result.exit_code == 2
    result = runner.invoke(main, ["scrub", str(src), "-o", str(src)])
    assert result.exit_code == 2 and "also an input" in result.output


def test_single_file_to_named_output_and_dry_run(tmp_path: Path) -> None:
    src = make_folder(tmp_path) / "trip" / "a.jpg"
    runner = CliRunner()
    result = runner.invoke(main, ["scrub", str(src), "--dry-run"])
    assert result.exit_code == 0 and "would remove EXIF GPS" in result.output
    assert read_media(src).position is not None
    result = runner.invoke(main, ["scrub", str(src), "-o", str(tmp_path / "clean.jpg")])
    assert result.exit_code == 0, result.output
    assert read_media(tmp_path / "clean.jpg").position is None
    # a rerun onto the cleaned copy: refused before the work, as every output file
    result = runner.invoke(main, ["scrub", str(src), "-o", str(tmp_path / "clean.jpg")])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"geoleak: error: {tmp_path / 'clean.jpg'}: already exists (use --force to overwrite)"
    ]
    result = runner.invoke(main, ["scrub", str(src), "-o", str(tmp_path / "clean.jpg"), "--force"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("force", [False, True])
def test_scrub_into_a_pipe_writes_the_cleaned_bytes_into_it(tmp_path: Path, force: bool) -> None:
    """`scrub a.jpg -o pipe.jpg` onto a FIFO: "exists (use --force)", and with --force "not
    a regular file; not replaced", where every other command's -o writes into it. Now the
    verified bytes go into the pipe, which stays a pipe; no temporary file is left."""
    src = make_folder(tmp_path) / "trip" / "a.jpg"
    fifo = tmp_path / "pipe.jpg"
    before = set(Path(tempfile.gettempdir()).glob(".pipe.jpg.geoleak-tmp-*"))
    args = ["scrub", str(src), "-o", str(fifo), *(["--force"] if force else [])]
    written = written_into_a_pipe(fifo, args)
    clean = tmp_path / "got.jpg"
    clean.write_bytes(written)
    assert read_media(src).position is not None and read_media(clean).position is None
    with Image.open(src) as original, Image.open(clean) as cleaned:
        assert original.tobytes() == cleaned.tobytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["got.jpg", "in", "pipe.jpg"]
    assert set(Path(tempfile.gettempdir()).glob(".pipe.jpg.geoleak-tmp-*")) == before


def test_scrub_to_dev_stdout_sends_the_words_to_stderr(tmp_path: Path) -> None:
    """`scrub a.jpg -o /dev/stdout > clean.jpg` (no suffix) was taken for a folder ("cannot
    write to /dev/stdout: File exists"); the bytes now go to stdout, the summary to stderr."""
    src = make_folder(tmp_path) / "trip" / "a.jpg"
    out = tmp_path / "clean.jpg"
    with out.open("wb") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "geoleak", "scrub", str(src), "-o", "/dev/stdout"],
            stdout=handle, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 file had location data removed" in done.stderr
    assert read_media(out).position is None and out.read_bytes().startswith(b"\xff\xd8")


def test_coordinates_in_a_comment_fail_the_audit_and_are_scrubbed(tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "upload"
    folder.mkdir()
    exif = Image.Exif()
    exif[0x010F] = "Fictocam"
    exif.get_ifd(0x8769)[0x9286] = (
        b"ASCII\x00\x00\x00Cabin. Latitude: 43.68739354 Longitude: -85.48351891"
    )
    Image.new("RGB", (16, 16)).save(folder / "cabin.jpg", "JPEG", exif=exif.tobytes())
    assert read_media(folder / "cabin.jpg").position is None  # no GPS: only the text leaks
    runner = CliRunner()
    audit = runner.invoke(main, ["audit", str(folder), "--fail-on-leak", "-q"])
    assert audit.exit_code == 1, audit.output
    for extra in ([], ["--all-identifying"]):
        out = tmp_path / f"clean{len(extra)}"
        result = runner.invoke(main, ["scrub", str(folder), "-o", str(out), "-q", *extra])
        assert result.exit_code == 0, result.output
        cleaned = (out / "cabin.jpg").read_bytes()
        assert b"43.687" not in cleaned
        assert b"Fictocam" in cleaned
        again = runner.invoke(main, ["audit", str(out), "--fail-on-leak", "-q"])
        assert again.exit_code == 0, again.output


def test_scrub_names_outputs_as_the_user_gave_them(tmp_path: Path, monkeypatch: Any) -> None:
    """`-o clean` names `clean/trip/a.jpg` in its messages and report, not the absolute
    path it resolves to (as every other output names files)."""
    monkeypatch.chdir(tmp_path)
    make_folder(tmp_path)
    runner = CliRunner()
    first = runner.invoke(main, ["scrub", "in", "-o", "clean", "-q"])
    assert first.exit_code == 1, first.output  # (broken.heic)
    again = runner.invoke(main, ["scrub", "in", "-o", "clean", "--json", "r.json"])
    assert again.exit_code == 2, again.output  # refused before anything is written
    assert (
        "clean: 2 output files already exist (clean/trip/a.jpg, clean/trip/b.png)" in again.output
    )
    assert str(tmp_path) not in again.output
    assert not (tmp_path / "r.json").exists()
    done = runner.invoke(main, ["scrub", "in", "-o", "clean2", "--json", "r2.json", "-q"])
    assert done.exit_code == 1
    report = json.loads((tmp_path / "r2.json").read_text())
    outputs = {o["output"] for o in report["outcomes"]}
    assert "clean2/trip/a.jpg" in outputs, outputs
    assert all(o["output"] is None for o in report["outcomes"] if o["status"] == "failed")
    one = runner.invoke(main, ["scrub", "in/trip/a.jpg", "-o", "one.jpg", "-q"])
    assert one.exit_code == 0, one.output
    one = runner.invoke(main, ["scrub", "in/trip/a.jpg", "-o", "./one.jpg"])
    assert "geoleak: error: ./one.jpg: already exists (use --force" in one.output
    inside = runner.invoke(main, ["scrub", "in", "-o", "in"])
    assert "output folder in is also an input" in inside.output, inside.output


def test_a_file_that_cannot_be_cleaned_is_worded_for_the_mode(tmp_path: Path) -> None:
    """A file scrub cannot clean is 'left out of the output' only when there is one: in
    place the original stays as it was (still holding its location), and a dry run
    writes nothing."""
    src = make_folder(tmp_path)
    runner = CliRunner()
    copy = runner.invoke(main, ["scrub", str(src), "-o", str(tmp_path / "out")])
    assert "NOT CLEANED (left out of the output):" in copy.output
    dry = runner.invoke(main, ["scrub", str(src), "--dry-run"])
    assert dry.exit_code == 1
    assert "WOULD NOT BE CLEANED:" in dry.output and "left out" not in dry.output
    here = runner.invoke(main, ["scrub", str(src), "--in-place"])
    assert here.exit_code == 1
    assert "NOT CLEANED (the original is left as it was):" in here.output
    assert "left out of the output" not in here.output


def test_coarsened_positions_are_not_called_removed(tmp_path: Path) -> None:
    """--coarsen-km keeps positions on a grid: the summary says the files had location data
    removed or coarsened, as the per-file lines do, not that it was removed."""
    src = make_folder(tmp_path)
    result = CliRunner().invoke(
        main, ["scrub", str(src), "-o", str(tmp_path / "out"), "--coarsen-km", "10"]
    )
    assert "removed or coarsened EXIF GPS" in result.output
    assert "2 files had location data removed or coarsened;" in result.output, result.output
    assert read_media(tmp_path / "out" / "trip" / "a.jpg").position is not None  # on a grid


def test_a_track_without_a_position_is_skipped_not_failed(tmp_path: Path) -> None:
    """An indoor ride's FIT file (or a drone log without a GPS fix) holds no position: scrub
    leaves it out as holding none, exit 0; it made it a failure ("cannot be cleaned"),
    exit 1, as if a position had been left behind. A FIT with positions still fails."""
    import shutil

    from media_data import real_file

    src = tmp_path / "watch"
    src.mkdir()
    shutil.copy(
        real_file("tracks", "fitdecode", "sample-activity-indoor-trainer.fit"), src / "indoor.fit"
    )
    (src / "a.jpg").write_bytes(photo(48.85, 2.35, datetime(2026, 4, 1, 10, 0)))
    runner = CliRunner()
    result = runner.invoke(main, ["scrub", str(src), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "1 cleaned" in result.output and "1 skipped" in result.output
    assert f"skipped {src}/indoor.fit: FIT activity without GPS: holds no position" in (
        result.output
    )
    assert not (tmp_path / "out" / "indoor.fit").exists()
    dry = runner.invoke(main, ["scrub", str(src), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    shutil.copy(real_file("tracks", "fitdecode", "garmin-fenix-5-run.fit"), src / "run.fit")
    again = runner.invoke(main, ["scrub", str(src), "-o", str(tmp_path / "out2")])
    assert again.exit_code == 1 and "run.fit: cannot be cleaned" in again.output


def _jpeg_with_unreadable_gps_block() -> bytes:
    """A JPEG whose EXIF GPSInfo pointer points past the end of its block."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "JPEG")
    jpeg = buf.getvalue()
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8825, 4, 1, 0xFFF0) + b"\0\0\0\0"
    app1 = b"Exif\0\0II*\0" + struct.pack("<I", 8) + ifd0
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


def test_a_dry_run_says_what_would_be_done(tmp_path: Path) -> None:
    """Notes say what a run did and what a dry run would do, never a dry run in the past."""
    src = tmp_path / "bad_gps.jpg"
    src.write_bytes(_jpeg_with_unreadable_gps_block())
    link = tmp_path / "link.jpg"
    link.hardlink_to(src)
    runner = CliRunner()
    dry = runner.invoke(main, ["scrub", str(src), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    notes = [line for line in dry.output.splitlines() if ": note: " in line]
    assert notes == [
        f"{src}: note: has 1 other hard link(s): they would keep the original content",
        f"{src}: note: EXIF GPS IFD unreadable (GPS IFD offset 65520 is outside the block); "
        "pointer would be removed",
    ]
    assert src.read_bytes() == _jpeg_with_unreadable_gps_block()
    done = runner.invoke(main, ["scrub", str(src), "-o", str(tmp_path / "clean.jpg")])
    assert done.exit_code == 0, done.output
    assert [line for line in done.output.splitlines() if ": note: " in line] == [
        f"{src}: note: EXIF GPS IFD unreadable (GPS IFD offset 65520 is outside the block); "
        "pointer removed"
    ]


def test_scrub_into_a_folder_with_existing_outputs_writes_nothing(tmp_path: Path) -> None:
    """A rerun into a folder holding some of its outputs was refused file by file: the new
    files were written, the others failed (exit 1), and the folder looked finished. Now it
    is refused up front (exit 2), naming the files, unless --force; the other outputs are
    untouched and no new file appears."""
    folder = make_folder(tmp_path)
    runner = CliRunner()
    out = tmp_path / "clean"
    (out / "trip").mkdir(parents=True)
    (out / "trip" / "a.jpg").write_bytes(b"the user's own file")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    refused = runner.invoke(main, ["scrub", str(folder), "-o", str(out)])
    assert refused.exit_code == 2, refused.output
    assert f"{out}: 1 output file already exists ({out / 'trip' / 'a.jpg'})" in refused.output
    assert "nothing was written" in refused.output and "--force" in refused.output
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "trip" / "a.jpg").read_bytes() == b"the user's own file"
    # a dry run writes nothing and is not refused; --force overwrites
    assert runner.invoke(main, ["scrub", str(folder), "-o", str(out), "--dry-run"]).exit_code != 2
    forced = runner.invoke(main, ["scrub", str(folder), "-o", str(out), "--force", "-q"])
    assert forced.exit_code == 1, forced.output  # (broken.heic)
    assert (out / "trip" / "a.jpg").read_bytes() != b"the user's own file"


def test_an_x_archives_tweets_are_not_passed_off_as_not_media(tmp_path: Path) -> None:
    """`audit` of an X/Twitter archive says its tweets give away positions (exit 1 with
    --fail-on-leak); `scrub` of it said "0 could not be cleaned, 2 skipped (not media)",
    exit 0, as if nothing located were left behind: `data/tweets.js` (JSON after
    `window.YTD.tweets.part0 = `) was not taken for the location JSON it is. Now it is
    named as a file scrub cannot clean, exit 1, also when its tweets name only a place;
    one with neither is skipped as before (not media, nothing located: exit 0)."""
    import shutil

    archive = tmp_path / "archive"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "twitter", archive)
    tweets = archive / "data" / "tweets.js"
    runner = CliRunner()
    audited = runner.invoke(main, ["audit", str(archive), "--fail-on-leak", "-q"])
    assert audited.exit_code == 1, audited.output
    result = runner.invoke(main, ["scrub", str(archive), "-o", str(tmp_path / "a")])
    assert result.exit_code == 1, result.output
    assert "NOT CLEANED" in result.output and "tweets.js" in result.output
    assert not (tmp_path / "a" / "data" / "tweets.js").exists()
    place_only = [{"tweet": {"id_str": "1", "full_text": "hi",
                             "place": {"full_name": "Fayetteville, NC", "country": "US"}}}]  # fmt: skip
    tweets.write_text("window.YTD.tweets.part0 = " + json.dumps(place_only), encoding="utf-8")
    result = runner.invoke(main, ["scrub", str(archive), "-o", str(tmp_path / "b")])
    assert result.exit_code == 1 and "tweets.js" in result.output, result.output
    plain = [{"tweet": {"id_str": "1", "full_text": "hi", "place": None, "coordinates": None}}]
    tweets.write_text("window.YTD.tweets.part0 = " + json.dumps(plain), encoding="utf-8")
    result = runner.invoke(main, ["scrub", str(archive), "-o", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "2 skipped (not media)" in result.output
