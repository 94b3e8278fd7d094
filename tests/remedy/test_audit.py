"""Audit of a fictional person's photo folder: exposure, inferred home, files near it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from remedy_photos import HOME, WORK, fictional_folder

from geoleak.cli import main
from geoleak.geometry import haversine_m
from geoleak.remedy.audit import audit, write_audit_html
from geoleak.remedy.scrub import scrub_paths
from geoleak.types import LatLon, PlaceKind


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fictional_folder(tmp_path_factory.mktemp("audit"))


def test_audit_finds_home_and_the_files_that_give_it_away(folder: Path) -> None:
    report = audit([folder])
    assert len(report.files) == 37
    assert len(report.located_files) == 36
    assert report.leaks
    assert report.serials == ["SN-FICTION-0001"]
    assert report.devices.most_common(1)[0][1] == 37
    span = report.time_span
    assert span is not None and span[0].day == 2 and span[1].day == 22
    places = {p.kind: p for _, p in report.places()}
    assert PlaceKind.HOME in places
    assert haversine_m(places[PlaceKind.HOME].position, LatLon(*HOME)) < 100
    revealing = report.most_revealing
    assert {Path(f.path).name for f in revealing} >= {f"home_{d:02d}.jpg" for d in range(21)}
    assert all(d <= 200 for f in revealing for _, _, d in f.near)
    assert not any(
        Path(f.path).name.startswith("work") and any(k == "home" for _, k, _ in f.near)
        for f in revealing
    )
    fields = {name for name, _, _ in report.fields_to_remove}
    assert {"EXIF GPS", "EXIF BodySerialNumber"} <= fields
    lines = "\n".join(report.summary_lines())
    assert "SN-FICTION-0001" in lines and "home" in lines
    if PlaceKind.BASE in places:
        assert haversine_m(places[PlaceKind.BASE].position, LatLon(*WORK)) < 400


def test_audit_after_scrub_finds_no_position(folder: Path, tmp_path: Path) -> None:
    scrub_paths([folder], tmp_path / "clean")
    report = audit([tmp_path / "clean"])
    assert report.located_files == [] and not report.leaks
    assert report.places() == []
    # the serial is kept unless --all-identifying
    assert report.serials == ["SN-FICTION-0001"]
    scrub_paths([folder], tmp_path / "anon", all_identifying_options())
    assert audit([tmp_path / "anon"]).serials == []


def all_identifying_options():  # type: ignore[no-untyped-def]
    from geoleak.remedy.model import ScrubOptions

    return ScrubOptions(all_identifying=True)


def test_audit_html_and_json(folder: Path, tmp_path: Path) -> None:
    report = audit([folder])
    written = write_audit_html(report, tmp_path / "audit.html")
    page = written[0].read_text(encoding="utf-8")
    assert ("home_00.jpg" in page and "kari-maps" not in page) or "audit-maps/index.html" in page
    assert (tmp_path / "audit-maps" / "index.html").is_file()
    data = report.to_json()
    assert data["files_with_position"] == 36 and data["places"]
    json.dumps(data)


def test_cli_audit_fail_on_leak(folder: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["audit", str(folder), "--fail-on-leak", "--json", str(tmp_path / "a.json")]
    )
    assert result.exit_code == 1, result.output
    assert "give away a position" in result.output
    assert json.loads((tmp_path / "a.json").read_text())["leaks"] is True
    clean = tmp_path / "clean"
    assert runner.invoke(main, ["scrub", str(folder), "-o", str(clean), "-q"]).exit_code == 0
    result = runner.invoke(main, ["audit", str(clean), "--fail-on-leak", "-q"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0 of 37 files")
