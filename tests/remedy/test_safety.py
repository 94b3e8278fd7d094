"""Scrub safety: inputs are never overwritten by accident, temporary files never hold a
position, tracks and location JSON are never copied silently."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from remedy_photos import photo

from geoleak.cli import main
from geoleak.extract.media import read_media
from geoleak.remedy import scrub as scrub_module
from geoleak.remedy.audit import audit
from geoleak.remedy.scrub import TMP_MARK, scrub_paths

SIDECAR = {
    "title": "IMG_1.JPG",
    "geoData": {"latitude": 69.6489, "longitude": 18.9551, "altitude": 12.5,
                "latitudeSpan": 0.0, "longitudeSpan": 0.0},
    "photoTakenTime": {"timestamp": "1735689600"},
}  # fmt: skip
GPX = (
    '<?xml version="1.0"?>\n<gpx version="1.1" creator="x"><trk><trkseg>'
    '<trkpt lat="-41.2865" lon="174.7762"/><trkpt lat="-41.2870" lon="174.7770"/>'
    "</trkseg></trk></gpx>\n"
)


def test_writing_onto_the_input_is_refused(tmp_path: Path) -> None:
    original = photo(48.85, 2.35, datetime(2026, 4, 1, 10, 0))
    path = tmp_path / "photo.jpg"
    path.write_bytes(original)
    result = CliRunner().invoke(main, ["scrub", str(path), "-o", str(path)])
    assert result.exit_code == 2
    assert "refusing to write onto it" in result.output
    assert path.read_bytes() == original
    done = CliRunner().invoke(main, ["scrub", str(path), "--in-place", "-q"])
    assert done.exit_code == 0, done.output
    assert read_media(path).position is None


def test_temporary_files_hold_only_cleaned_bytes_and_leftovers_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jpg").write_bytes(photo(69.6489, 18.9551, datetime(2026, 4, 1, 10, 0)))
    out = tmp_path / "out"
    out.mkdir()
    leftover = out / f".a.jpg{TMP_MARK}abc123.jpg"
    leftover.write_bytes(b"from a run that was killed")
    seen: list[Path] = []
    verify = scrub_module.residual_location

    def spy(path: Path, coarsen_km: float | None = None) -> list[str]:
        seen.append(Path(path))
        assert read_media(path).position is None  # the temporary copy is already clean
        assert b"Fictocam" in Path(path).read_bytes()
        return verify(path, coarsen_km)

    monkeypatch.setattr(scrub_module, "residual_location", spy)
    report = scrub_paths([src], out)
    assert seen
    assert TMP_MARK in seen[0].name
    assert not leftover.exists()
    assert report.leftovers_removed == 1
    assert any("interrupted run" in line for line in report.summary_lines())
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg"]


def test_tracks_are_left_out_and_sidecars_get_googles_no_location(tmp_path: Path) -> None:
    src = tmp_path / "export"
    src.mkdir()
    (src / "IMG_1.JPG.json").write_text(json.dumps(SIDECAR, indent=2))
    (src / "walk.gpx").write_text(GPX)
    (src / "notes.json").write_text('{"note": "no positions here"}')
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["scrub", str(src), "-o", str(out)])
    assert result.exit_code == 1  # a file with positions was left out
    assert "walk.gpx" in result.output
    assert "2 positions" in result.output
    assert not (out / "walk.gpx").exists()
    assert not (out / "notes.json").exists()
    cleaned = json.loads((out / "IMG_1.JPG.json").read_text())
    assert cleaned["geoData"] == {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0,
                                  "latitudeSpan": 0.0, "longitudeSpan": 0.0}  # fmt: skip
    assert cleaned["photoTakenTime"] == SIDECAR["photoTakenTime"]
    assert len((out / "IMG_1.JPG.json").read_bytes()) == len((src / "IMG_1.JPG.json").read_bytes())


def test_audit_counts_tracks_sidecars_and_reports_links(tmp_path: Path) -> None:
    src = tmp_path / "export"
    src.mkdir()
    (src / "IMG_1.JPG.json").write_text(json.dumps(SIDECAR, indent=2))
    (src / "walk.gpx").write_text(GPX)
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(photo(48.85, 2.35, datetime(2026, 4, 1, 10, 0)))
    (src / "link.jpg").symlink_to(outside)
    report = audit([src])
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["walk.gpx"].leaks_location
    assert by_name["IMG_1.JPG.json"].leaks_location
    assert by_name["IMG_1.JPG.json"].position is not None
    assert by_name["link.jpg"].error == "skipped: symlink to outside the folder"
    assert report.leaks
