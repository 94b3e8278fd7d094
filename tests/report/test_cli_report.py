"""`geoleak report` and `geoleak export` end to end on a small fictional corpus."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoleak.cli import main


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """One fictional person posting from home at night and from work by day, for 3 weeks."""
    start = datetime(2025, 4, 7, tzinfo=timezone.utc)
    lines = []
    for day in range(21):
        night = start + timedelta(days=day, hours=21)
        lines.append(
            {
                "id": f"n{day}",
                "author": "mira",
                "created_at": night.isoformat(),
                "lat": -33.8688 + 0.00005 * (day % 3),
                "lon": 151.2093,
                "text": "home",
            }
        )
        if day % 7 < 5:
            work = start + timedelta(days=day, hours=1)
            lines.append(
                {
                    "id": f"w{day}",
                    "author": "mira",
                    "created_at": work.isoformat(),
                    "lat": -33.8568,
                    "lon": 151.2153 + 0.00005 * (day % 2),
                }
            )
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_report_command_writes_report_and_maps(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    result = CliRunner().invoke(main, ["report", str(corpus), "-o", str(out), "--json", "-q"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["report"] == str(out / "report.html")
    names = sorted(Path(p).name for p in doc["files"])
    assert names == ["index.html", "person-mira.html", "report.html"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "mira" in page and "Inferred places" in page


def test_export_command(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    result = CliRunner().invoke(
        main, ["export", str(corpus), "-o", str(out), "-f", "geojson,csv", "-q"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "geoleak.geojson").read_text(encoding="utf-8"))
    home = next(f for f in doc["features"] if f["properties"].get("kind") == "home")
    lon, lat = home["geometry"]["coordinates"]
    assert 151 < lon < 152 and -34 < lat < -33  # southern and eastern hemisphere, not swapped
    assert (out / "evidence.csv").is_file() and not (out / "geoleak.kml").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report"], "give at least one INPUT"),
        (["report", "{corpus}", "--tiles", "javascript:alert(1)"], "--tiles"),
        (["export", "{corpus}", "-f", "shapefile"], "unknown export format"),
        (["report", "--profiles", "{missing}"], "missing.json"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    corpus: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [a.format(corpus=corpus, missing=tmp_path / "missing.json") for a in args]
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_help_has_an_example() -> None:
    for command in ("report", "export"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output


def test_report_and_map_take_a_street_basemap(corpus: Path, tmp_path: Path) -> None:
    from tile_fixtures import make_mbtiles, tiles_around

    # Sydney, where the fictional person lives (southern hemisphere: y grows southwards)
    street = make_mbtiles(
        tmp_path / "sydney.mbtiles", tiles_around(-33.9, 151.18, -33.84, 151.24, range(10, 15))
    )
    runner = CliRunner()
    out = tmp_path / "report"
    result = runner.invoke(
        main, ["report", str(corpus), "-o", str(out), "--basemap", str(street), "--no-plots"]
    )
    assert result.exit_code == 0, result.output
    for page in (out / "report.html", out / "index.html", out / "person-mira.html"):
        text = page.read_text(encoding="utf-8")
        assert "geoleak.embeddedTiles" in text
        assert "Test Map contributors" in text
    profiles = tmp_path / "p.json"
    assert runner.invoke(main, ["infer", str(corpus), "-o", str(profiles), "-q"]).exit_code == 0
    maps = tmp_path / "maps"
    result = runner.invoke(
        main, ["map", str(profiles), str(corpus), "-o", str(maps), "--basemap", str(street)]
    )
    assert result.exit_code == 0, result.output
    assert "geoleak.embeddedTiles" in (maps / "index.html").read_text(encoding="utf-8")


def test_a_bad_basemap_is_one_line_before_any_work(corpus: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "tiles.mbtiles"
    bogus.write_text("not sqlite")
    result = CliRunner().invoke(
        main, ["report", str(corpus), "-o", str(tmp_path / "r"), "--basemap", str(bogus)]
    )
    assert result.exit_code == 2
    assert "neither an MBTiles" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_report_redraws_the_leakage_curve_with_the_parameters_of_the_profiles(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`infer` records its parameters in profiles.json; `report --profiles` re-runs with them
    (it used the defaults before), and a bad recorded value is one line, exit 2."""
    import geoleak.report.report as report_module

    profiles = tmp_path / "profiles.json"
    infer = ["infer", str(corpus), "--eps-m", "60", "--min-nights", "4", "-o", str(profiles)]
    result = CliRunner().invoke(main, [*infer, "-q"])
    assert result.exit_code == 0, result.output
    recorded = json.loads(profiles.read_text())["generated_by"]["parameters"]
    assert recorded["eps_m"] == 60 and recorded["min_home_days"] == 4
    assert "workers" not in recorded and recorded["concentration"] > 0

    seen: dict[str, object] = {}
    real = report_module.write_report

    def spy(*args: object, **kwargs: object) -> Path:
        seen["inference"] = kwargs.get("inference")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(report_module, "write_report", spy)
    out = tmp_path / "rep"
    args = ["report", str(corpus), "--profiles", str(profiles), "-o", str(out), "--no-maps", "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    inference = seen["inference"]
    assert inference is not None
    assert inference.get_params()["eps_m"] == 60  # type: ignore[attr-defined]
    assert inference.get_params()["min_home_days"] == 4  # type: ignore[attr-defined]

    doc = json.loads(profiles.read_text())
    doc["generated_by"]["parameters"]["eps_m"] = -5
    doc["generated_by"]["parameters"]["not_a_parameter"] = 1
    profiles.write_text(json.dumps(doc))
    result = CliRunner().invoke(main, [*args[:-1], "--force"])
    assert result.exit_code == 2, result.output
    assert "generated_by.parameters: eps_m must be positive" in result.output
    assert "Traceback" not in result.output
