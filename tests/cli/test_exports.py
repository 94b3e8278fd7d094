from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoleak.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_sources_lists_every_reader() -> None:
    result = CliRunner().invoke(main, ["sources", "--json"])
    assert result.exit_code == 0
    names = {r["name"] for r in json.loads(result.output)}
    assert {"takeout-photos", "google-location", "instagram", "facebook", "twitter", "snapchat",
            "telegram", "tracks", "checkins", "geolife"} <= names  # fmt: skip


def test_geocode_with_places_file_only() -> None:
    result = CliRunner().invoke(main, ["geocode", "Range 7", "Nowhere Fictional", "--geocoder", "none",
                                       "--places", str(FIXTURES / "geocode/places.csv"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["name"] == "Fictional Range"
    assert rows[0]["accuracy_m"] == 200
    assert rows[1] == {"query": "Nowhere Fictional", "found": False}


def test_geocode_online_without_user_agent_is_a_user_error() -> None:
    result = CliRunner().invoke(main, ["geocode", "Paris", "--geocoder", "nominatim"])
    assert result.exit_code == 2
    assert "--user-agent" in result.output


def test_sites_flags_people(tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    result = CliRunner().invoke(main, ["sites", str(FIXTURES / "geocode/sites.geojson"),
                                       str(FIXTURES / "tracks"), str(FIXTURES / "snapchat"),
                                       "-q", "--json", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = {s["id"]: s for s in json.loads(result.output)["sites"]}
    assert report["fort-fictional"]["people"] == {"dave.fictional": 2, "tracks": 2}
    assert report["dateline-station"]["inside"] == 2
    assert out.read_text().startswith("site_id,site_name,person,post_id")


def test_sites_bad_file_is_one_line_error() -> None:
    result = CliRunner().invoke(main, ["sites", str(FIXTURES / "geocode/sites_bad.geojson"),
                                       str(FIXTURES / "tracks")])  # fmt: skip
    assert result.exit_code == 2
    assert "LineString" in result.output


def test_sites_with_profiles_only(tmp_path: Path) -> None:
    from geoleak.profiles import dump_profiles
    from geoleak.types import LatLon, Place, PlaceKind, Profile

    home = Place(PlaceKind.HOME, LatLon(35.135, -79.01), 40.0, 0.9, ("a1",), 5)
    dump_profiles([Profile("alice", places=(home,))], tmp_path / "p.json")
    result = CliRunner().invoke(main, ["sites", str(FIXTURES / "geocode/sites.geojson"),
                                       "--profiles", str(tmp_path / "p.json"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = {s["id"]: s for s in json.loads(result.output)["sites"]}
    assert report["fort-fictional"]["places"][0]["person"] == "alice"
    assert report["fort-fictional"]["places"][0]["kind"] == "home"
    assert report["arctic-radar"]["places"] == []


def test_sites_needs_something_to_check() -> None:
    result = CliRunner().invoke(main, ["sites", str(FIXTURES / "geocode/sites.geojson")])
    assert result.exit_code == 2


def test_sites_output_dash_writes_the_csv_on_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-o -` puts the hits' CSV on stdout (the site lines go to stderr), not into a file
    named '-'; with --json too it is a usage error (both would write to stdout)."""
    monkeypatch.chdir(tmp_path)
    args = ["sites", str(FIXTURES / "geocode/sites.geojson"), str(FIXTURES / "tracks"), "-q"]
    result = CliRunner().invoke(main, [*args, "-o", "-"])
    both = CliRunner().invoke(main, [*args, "-o", "-", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("site_id,site_name,person,post_id")
    assert "dateline-station" in result.stdout and "Fort Fictional" in result.stderr
    assert "site_id" not in result.stderr
    assert "1 piece of evidence (1 inside)" in result.stderr
    assert not (tmp_path / "-").exists()
    assert both.exit_code == 2 and "choose one" in both.output
