"""User errors: one line, exit status 2, found before the work; outputs never overwrite
someone else's folder and never leave half a file."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from media_data import BUNDLED_MEDIA

from geoleak.cli import main
from geoleak.cli.app import terminating_cleanly
from geoleak.errors import OutputError
from geoleak.outputs import (
    MARKER,
    atomic_open,
    atomic_write_text,
    check_output_dir,
    check_output_file,
)
from geoleak.report.exports import to_csv


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "posts.jsonl"
    lines = [
        {"id": f"p{i}", "author": "ana", "created_at": f"2025-01-{i + 1:02d}T22:00:00Z",
         "lat": 69.6496, "lon": 18.9560}
        for i in range(5)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("infer", "--bogus", "x.jsonl"),
        ("evaluate", "profiles.json"),
        ("infer", "--eps-m", "abc", "x.jsonl"),
        ("no-such-command",),
    ],
)
def test_click_usage_errors_are_one_line_exit_2(args: tuple[str, ...]) -> None:
    code, output = run(*args)
    assert code == 2
    (line,) = error_lines(output)
    assert line.startswith("geoleak: error: ")
    assert "--help" in line


def test_a_fatal_input_error_is_printed_once(tmp_path: Path) -> None:
    code, output = run("infer", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "p.json"))
    assert code == 2
    assert error_lines(output) == [
        f"geoleak: error: {tmp_path / 'missing.jsonl'}: no such file or folder"
    ]


def test_output_that_cannot_be_written_fails_before_the_work(tmp_path: Path) -> None:
    posts = corpus(tmp_path / "in")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, output = run("infer", str(posts), "-o", str(blocker / "p.json"))
    assert code == 2
    (line,) = error_lines(output)  # nothing was read: no summary before the error
    assert line.startswith("geoleak: error: ") and "is not a folder" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_read_only_output_folder_fails_before_the_work(tmp_path: Path) -> None:
    posts = corpus(tmp_path / "in")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, output = run("infer", str(posts), "-o", str(locked / "p.json"))
    finally:
        locked.chmod(0o700)
    assert code == 2
    assert error_lines(output) == [
        f"geoleak: error: {locked / 'p.json'}: cannot write: {locked} is not writable"
    ]


@pytest.mark.parametrize("command", ["export", "report", "map", "workshop"])
def test_a_folder_geoleak_did_not_write_is_not_overwritten(tmp_path: Path, command: str) -> None:
    posts = corpus(tmp_path / "in")
    profiles = tmp_path / "profiles.json"
    assert run("infer", str(posts), "-o", str(profiles), "-q")[0] == 0
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    args = {
        "export": ["export", str(posts), "-q"],
        "report": ["report", str(posts), "-q", "--no-plots"],
        "map": ["map", str(profiles), str(posts), "-q"],
        "workshop": ["workshop", str(posts), "-q"],
    }[command]
    code, output = run(*args, "-o", str(out))
    assert code == 2
    assert "geoleak did not write it; use --force" in output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    # with --force it writes, and leaves its marker: the next run needs no --force
    assert run(*args, "-o", str(out), "--force")[0] == 0
    assert (out / MARKER).is_file()
    assert (out / "notes.txt").read_text() == "keep me"
    assert run(*args, "-o", str(out))[0] == 0


OUTPUT_FILE_OPTIONS = {
    "infer -o": ["infer", "{posts}", "-q", "-o"],
    "audit --json": ["audit", "{posts}", "-q", "--json"],
    "audit --html": ["audit", "{posts}", "-q", "--html"],
    "scan -o": ["scan", "{photo}", "-q", "-o"],
    "scan --summary-json": ["scan", "{photo}", "-q", "-o", "-", "--summary-json"],
    "scrub --json": ["scrub", "{photo}", "--dry-run", "-q", "--json"],
    "scrub -o": ["scrub", "{photo}", "-q", "-o"],
    "sites -o": ["sites", "{sites}", "{posts}", "-q", "-o"],
}


@pytest.mark.parametrize("option", sorted(OUTPUT_FILE_OPTIONS))
def test_every_output_file_is_overwritten_only_with_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    """A file of the user's at an output path is refused, named as typed, exit status 2,
    before any input is read; --force overwrites it."""
    monkeypatch.chdir(tmp_path)
    names = {
        "posts": str(corpus(tmp_path / "in")),
        "photo": str(BUNDLED_MEDIA / "mde_apple_iphone4.jpg"),
        "sites": str(tmp_path / "sites.geojson"),
    }
    site = {"type": "Feature", "properties": {"name": "base", "radius_m": 500},
            "geometry": {"type": "Point", "coordinates": [18.9560, 69.6496]}}  # fmt: skip
    Path(names["sites"]).write_text(json.dumps({"type": "FeatureCollection", "features": [site]}))
    args = [a.format(**names) for a in OUTPUT_FILE_OPTIONS[option]]
    mine = tmp_path / "mine.out"
    mine.write_bytes(b"keep me")
    code, output = run(*args, "./mine.out")
    assert code == 2
    assert error_lines(output) == [
        "geoleak: error: ./mine.out: already exists (use --force to overwrite)"
    ]
    assert mine.read_bytes() == b"keep me"
    code, output = run(*args, "./mine.out", "--force")
    assert code == 0, output
    assert mine.read_bytes() != b"keep me"


def test_check_output_dir_accepts_absent_empty_and_own_folders(tmp_path: Path) -> None:
    assert check_output_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    (tmp_path / "empty").mkdir()
    check_output_dir(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(OutputError, match="is a folder"):
        check_output_file(tmp_path / "empty")
    with pytest.raises(OutputError, match="already exists"):
        check_output_file(tmp_path / "file", force=False)


def _fail_midway(target: Path) -> None:
    with atomic_open(target) as handle:
        handle.write("half")
        raise RuntimeError("failed midway")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="failed midway"):
        _fail_midway(target)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_name_that_is_not_utf8_is_written_escaped(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.jpg")  # surrogate escape, as os.listdir gives it
    target = atomic_write_text(tmp_path / "x.json", json.dumps({"path": name}, ensure_ascii=False))
    raw = target.read_bytes()
    raw.decode("utf-8")  # valid UTF-8
    assert json.loads(raw)["path"] == name  # and the JSON escape reads back as the same name


def test_csv_quotes_a_carriage_return_in_a_value() -> None:
    rows = [{"person": "ana", "media_path": "IMG\r1.jpg", "text": "line\nbreak"}]
    text = to_csv(rows, ("person", "media_path", "text"))
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert parsed == [{"person": "ana", "media_path": "IMG\r1.jpg", "text": "line\nbreak"}]


def test_a_truth_csv_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles.json"
    profiles.write_text('{"schema": "geoleak.profiles/1", "people": []}', encoding="utf-8")
    truth = tmp_path / "truth.csv"
    truth.write_bytes(
        b"person,kind,lat,lon\nb\xe9,home,1,2\n"
    )  # Latin-1, as a spreadsheet saves it
    code, output = run("evaluate", str(profiles), "--truth", str(truth))
    assert code == 2
    assert error_lines(output) == [
        f"geoleak: error: {truth}: not UTF-8 text; save the CSV as UTF-8"
    ]


@pytest.mark.parametrize("command", ["geocode", "infer"])
def test_a_places_csv_that_is_not_utf8_is_one_line(tmp_path: Path, command: str) -> None:
    places = tmp_path / "places.csv"
    places.write_bytes(b"name,lat,lon\nCaf\xe9 Luna,35.05,-78.88\n")
    args = (
        ["Paris"]
        if command == "geocode"
        else [str(corpus(tmp_path / "in")), "-o", str(tmp_path / "p.json")]
    )
    code, output = run(command, *args, "--places", str(places))
    assert code == 2
    assert error_lines(output) == [
        f"geoleak: error: {places}: not UTF-8 text; save the CSV as UTF-8"
    ]


@pytest.mark.parametrize("address", ["notanaddress", "tcp://host", "tcp://host:port"])
def test_a_scheduler_address_dask_cannot_parse_is_a_usage_error(
    tmp_path: Path, address: str
) -> None:
    pytest.importorskip("distributed")
    posts = corpus(tmp_path / "in")
    code, output = run("infer", str(posts), "-o", str(tmp_path / "p.json"), "--engine", "dask",
                       "--scheduler", address)  # fmt: skip
    assert code == 2
    (line,) = error_lines(output)  # refused before the inputs are read: no summary
    assert line.startswith(f"geoleak: error: Invalid value for '--scheduler': '{address}' (")
    assert not (tmp_path / "p.json").exists()


def test_a_scheduler_nobody_listens_at_is_named_in_one_line(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    import socket

    import dask

    with socket.socket() as probe:  # a local port that was free a moment ago: refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    posts = corpus(tmp_path / "in")
    address = f"tcp://127.0.0.1:{port}"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code, output = run("infer", str(posts), "-o", str(tmp_path / "p.json"),
                           "--engine", "dask", "--scheduler", address)  # fmt: skip
    assert code == 2
    lines = error_lines(output)
    assert lines[-1].startswith(f"geoleak: error: --scheduler {address}: cannot connect (")
    assert "cannot write" not in output
    assert not (tmp_path / "p.json").exists()


def test_a_local_dask_cluster_that_does_not_start_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--engine dask without --scheduler starts a LocalCluster on the loopback network; when
    it cannot (no loopback, as in `unshare -n`; ports refused), one line says so, no
    traceback, no output file, no temporary folder left."""
    distributed = pytest.importorskip("distributed")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Cluster failed to start: Timed out trying to connect to "
                           "tcp://127.0.0.1:40000 after 30 s")  # fmt: skip

    monkeypatch.setattr(distributed, "LocalCluster", refuse)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    posts = corpus(tmp_path / "in")
    code, output = run("infer", str(posts), "-o", str(tmp_path / "p.json"), "--engine", "dask")
    assert code == 2, output
    lines = error_lines(output)
    assert lines[-1].startswith("geoleak: error: --engine dask: the local Dask cluster did not "
                                "start (Cluster failed to start")  # fmt: skip
    assert not (tmp_path / "p.json").exists()
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("command", ["evaluate", "map"])
def test_a_folder_given_as_profiles_is_one_plain_line(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "profiles.json"
    folder.mkdir()
    truth = tmp_path / "truth.csv"
    truth.write_text("person,kind,lat,lon\n", encoding="utf-8")
    args = ["--truth", str(truth)] if command == "evaluate" else [str(corpus(tmp_path / "in"))]
    code, output = run(command, str(folder), *args)
    assert code == 2
    assert error_lines(output) == [f"geoleak: error: {folder}: cannot read: Is a directory"]


def test_a_command_started_ignoring_sigterm_keeps_ignoring_it() -> None:
    # As Python keeps an ignored SIGINT ignored: whoever started the command with SIGTERM
    # ignored meant it not to end on SIGTERM (its workers then ignore it too).
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with terminating_cleanly():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize("command", ["report", "map", "export", "workshop"])
def test_a_folder_of_pages_is_written_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """A run stopped while it writes its pages (Ctrl-C, a full disk: here the writer fails
    once its pages are written) left them in the folder, an index.html that opens as if the
    run had finished (report: 50 of 84 pages after 12 s of an 80-person unit, `report.html`
    missing). Now the folder is as it was: absent, or the last run's pages unchanged."""
    import geoleak.report.exports
    import geoleak.report.maps
    import geoleak.report.report
    import geoleak.report.workshop

    posts = corpus(tmp_path / "in")
    out = tmp_path / "out"
    args = {"report": ["report", str(posts), "-o", str(out), "-q"],
            "map": ["map", str(tmp_path / "p.json"), str(posts), "-o", str(out), "-q"],
            "export": ["export", str(posts), "-o", str(out), "-q"],
            "workshop": ["workshop", str(posts), "--out", str(out), "-q"]}[command]  # fmt: skip
    if command == "map":
        assert run("infer", str(posts), "-o", str(tmp_path / "p.json"), "-q")[0] == 0
    code, output = run(*args)
    assert code == 0, output
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert len(before) >= 2
    module, name = {"report": (geoleak.report.report, "write_report"),
                    "map": (geoleak.report.maps, "write_maps"),
                    "export": (geoleak.report.exports, "write_exports"),
                    "workshop": (geoleak.report.workshop, "write_workshop")}[command]  # fmt: skip
    real = getattr(module, name)

    def writes_then_fails(*a: Any, **k: Any) -> Any:
        real(*a, **k)
        raise OutputError("disk full")

    monkeypatch.setattr(module, name, writes_then_fails)
    for target in (out, tmp_path / "new"):
        code, output = run(*[str(target) if a == str(out) else a for a in args])
        assert code == 2 and "disk full" in output, output
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after.keys() == before.keys()
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["in", "out"] + (["p.json"] if command == "map" else [])
    )  # no staging folder left behind
