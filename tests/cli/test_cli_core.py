"""The core commands end to end: help texts, error paths, the demo against its truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geoleak.cli import main
from geoleak.evaluate import load_truth
from geoleak.geometry import haversine_m
from geoleak.profiles import load_profiles
from geoleak.types import PlaceKind

REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def all_commands() -> list[str]:
    return sorted(main.list_commands(click.Context(main)))


def test_every_command_is_in_the_lazy_map() -> None:
    # `geoleak CMD` imports only CMD's module, found through COMMAND_MODULES
    from geoleak.cli.app import COMMAND_MODULES, load_commands

    load_commands()
    defined = {name: cmd.callback.__module__ for name, cmd in main.commands.items() if cmd.callback}
    assert {name: f"geoleak.cli.{module}" for name, module in COMMAND_MODULES.items()} == defined


def test_a_command_imports_only_its_own_module() -> None:
    code = ("import sys; from geoleak.cli import main; main.get_command(None, 'scan'); "
            "print(sorted(m for m in sys.modules if m.startswith('geoleak.cli.')))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['geoleak.cli.app', 'geoleak.cli.scan']"


def command_paths(group: click.Group = main, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command of click's tree, the group itself and any nested group's commands too."""
    paths = [path]
    for name in group.list_commands(click.Context(group)):
        command = group.get_command(click.Context(group), name)
        if isinstance(command, click.Group):
            paths += command_paths(command, (*path, name))
        else:
            paths.append((*path, name))
    return paths


def test_the_command_tree_is_walked_whole() -> None:
    assert [()] + [(c,) for c in all_commands()] == command_paths()[: len(all_commands()) + 1]


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(("geoleak", *p)))
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = invoke(*path, "--help")
    assert result.exit_code == 0
    name = " ".join(("geoleak", *path))
    assert "Example" in result.output, f"{name} --help has no example"
    examples = [line.strip() + " " for line in result.output.split("Example", 1)[1].splitlines()]
    assert any(line.startswith(f"{name} ") for line in examples), (
        f"{name} --help: no example runs {name}"
    )


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [c for c in all_commands() if f"geoleak {c}" not in readme]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_help_does_not_import_numpy() -> None:
    # `geoleak --help` should answer at once: numpy, sklearn and PIL wait for a real command.
    code = "import sys; from geoleak.cli import main; print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'sklearn', 'PIL'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_of_every_command_imports_no_numerical_library() -> None:
    """`geoleak --help` and `geoleak COMMAND --help` print their help without importing
    numpy, scipy, PIL or the time-zone tables (each waits for the command to run)."""
    script = """
import contextlib, io, json, sys
from geoleak.cli import main
heavy = {"numpy", "scipy", "sklearn", "PIL", "timezonefinder", "pyarrow"}
seen = []
for args in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main.main(args, prog_name="geoleak")
        except SystemExit:
            pass
    seen.append([args, "Usage" in out.getvalue(), sorted({m.split(".")[0] for m in sys.modules} & heavy)])
print(json.dumps(seen))
"""
    helps = [["--help"]] + [[command, "--help"] for command in all_commands()]
    out = subprocess.run([sys.executable, "-c", script, json.dumps(helps)], capture_output=True,
                         text=True, check=True)  # fmt: skip
    seen = json.loads(out.stdout)
    assert [args for args, _, _ in seen] == helps
    assert [(args, usage, found) for args, usage, found in seen if not usage or found] == []


def corpus(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_bad_json_line_is_reported_with_its_line_and_the_run_goes_on(tmp_path: Path) -> None:
    path = corpus(
        tmp_path,
        ['{"id": "a", "author": "x", "lat": 60.1, "lon": 10.1}', "{oops", '{"author": "x"}'],
    )
    result = invoke("infer", str(path), "-o", str(tmp_path / "p.json"))
    assert result.exit_code == 0
    assert f"{path}:2: not valid JSON" in result.output
    assert f"{path}:3: missing required field 'id'" in result.output
    assert "1 post of 1 person read; 1 (100%) carried a location" in result.output
    assert (tmp_path / "p.json").is_file()


def test_escaping_media_path_is_refused(tmp_path: Path) -> None:
    path = corpus(tmp_path, ['{"id": "a", "author": "x", "media": ["../../etc/passwd"]}'])
    result = invoke("infer", str(path), "-o", str(tmp_path / "p.json"))
    assert result.exit_code == 0
    assert "leaves the corpus folder; refused" in result.output
    assert "0 files" not in result.output  # the refused file was never read


def test_unreadable_photo_is_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"not a photo at all")
    path = corpus(
        tmp_path, ['{"id": "a", "author": "x", "media": ["bad.jpg"], "lat": 60.1, "lon": 10.1}']
    )
    result = invoke("infer", str(path), "-o", str(tmp_path / "p.json"))
    assert result.exit_code == 0
    assert "bad.jpg" in result.output and "1 unreadable" in result.output


def test_empty_corpus_says_why_nothing_was_found(tmp_path: Path) -> None:
    path = corpus(tmp_path, [""])
    result = invoke("infer", str(path), "-o", str(tmp_path / "p.json"))
    assert result.exit_code == 0
    assert "no location found: the input held no posts" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["infer", "does-not-exist.jsonl"], "does-not-exist.jsonl: no such file or folder"),
        (["evaluate", "missing.json", "--truth", "t.csv"], "missing.json: no such file"),
        (["map", "missing.json"], "missing.json: no such file"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"geoleak: error: {message}"
    assert "Traceback" not in result.output


def test_missing_id_and_errors_from_the_installed_script_have_no_traceback(tmp_path: Path) -> None:
    path = corpus(tmp_path, ['{"author": "x"}'])
    ok = subprocess.run([sys.executable, "-m", "geoleak", "infer", str(path), "-o", str(tmp_path / "p.json")],
                        check=False, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ok.returncode == 0 and "missing required field 'id'" in ok.stderr and ok.stdout == ""
    bad = subprocess.run([sys.executable, "-m", "geoleak", "evaluate", str(path), "--truth", str(path)],
                         check=False, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("geoleak: error: ")


def test_scenario_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("keep me")
    result = invoke("scenario", "-o", str(tmp_path), "--people", "2")
    assert result.exit_code == 2 and "not empty" in result.output
    assert (tmp_path / "x").read_text() == "keep me"


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_scenario_refuses_a_file_as_its_folder(tmp_path: Path, force: list[str]) -> None:
    target = tmp_path / "posts.jsonl"
    target.write_text("keep me")
    result = invoke("scenario", "-o", str(target), "--people", "2", *force)
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"geoleak: error: {target}: is a file; give a folder"]
    assert target.read_text() == "keep me"


def test_demo_finds_every_home_and_base_and_no_home_for_the_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # the committed sample_media/
    out = tmp_path / "maps"
    result = invoke("demo", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["evaluation"]["false_homes"] == 0
    # Every home and base given is right (a resharer once got a second, "moved-to" home
    # 19 km off from three visits while the old home went on being seen).
    assert doc["evaluation"]["home"]["precision_100m"] == 1.0
    assert doc["evaluation"]["base"]["precision_500m"] == 1.0
    profiles, sites = load_profiles(out / "profiles.json")
    truth = load_truth(REPO / "sample_media" / "truth.csv")
    by_person = {p.person: p for p in profiles}
    assert sites and sites[0]["people_count"] >= 6
    for row in truth:
        profile = by_person[row.person]
        if row.kind == "none":
            assert profile.place(PlaceKind.HOME) is None, row.person
            continue
        kind = PlaceKind.HOME if row.kind == "home" else PlaceKind.BASE
        limit = 250 if kind == PlaceKind.HOME else 1000
        places = [p for p in profile.places if p.kind == kind]
        assert places, f"{row.person}: no {row.kind} found"
        assert min(haversine_m(row.position, p.position) for p in places) <= limit, row  # type: ignore[arg-type]
    assert (out / "index.html").is_file()
    assert len(list(out.glob("person-*.html"))) == len(profiles)


def test_demo_without_sample_media_generates_the_same_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("demo", "--out", "maps")
    assert result.exit_code == 0, result.output
    assert "generating the demo scenario" in result.output
    assert "none (correct: never leaks)" in result.output
    assert (tmp_path / "maps" / "profiles.json").is_file()
    generated, _ = load_profiles(tmp_path / "maps" / "profiles.json")
    assert len(generated) == 10
    # the scenario lived in a temporary folder, gone now: no output names it
    doc = json.loads((tmp_path / "maps" / "profiles.json").read_text())
    assert doc["generated_by"]["inputs"] == ["generated-demo/posts.jsonl"]
    pages = list((tmp_path / "maps").glob("*.html"))
    assert pages
    for path in [*pages, tmp_path / "maps" / "profiles.json"]:
        text = path.read_text(encoding="utf-8").replace("\\/", "/")
        assert "geoleak-demo-" not in text, path
    assert any("generated-demo/media/" in p.read_text().replace("\\/", "/") for p in pages)


def test_infer_then_evaluate_json(tmp_path: Path) -> None:
    sample = REPO / "sample_media"
    out = tmp_path / "p.json"
    assert invoke("infer", str(sample / "posts.jsonl"), "-o", str(out), "-q").exit_code == 0
    result = invoke("evaluate", str(out), "--truth", str(sample / "truth.csv"), "--json")
    doc = json.loads(result.output)
    assert doc["home"]["within_250m"] == 1.0 and doc["base"]["within_1000m"] == 1.0
    assert doc["false_homes"] == 0 and len(doc["calibration"]) == 6
    assert doc["home"]["given"] >= doc["home"]["given_right"] > 0
    assert "precision_500m" in doc["base"]
    assert {"false_bases", "no_base_people", "movers", "by_persona"} <= set(doc)


def test_infer_geocodes_check_ins_with_a_places_file_and_flags_sites(tmp_path: Path) -> None:
    (tmp_path / "places.csv").write_text(
        "name,lat,lon,radius_m\nCrooked Pike Pub,69.6801,18.9402,30\n"
    )
    (tmp_path / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Range 7", "radius_m": 200},
         "geometry": {"type": "Point", "coordinates": [18.9402, 69.6801]}}]}))  # fmt: skip
    lines = [
        json.dumps({"id": f"p{i}", "author": "x", "created_at": f"2025-02-{i + 1:02d}T20:00:00Z",
                    "text": "Checked in at Crooked Pike Pub"})
        for i in range(5)
    ]  # fmt: skip
    path = corpus(tmp_path, lines)
    out = tmp_path / "p.json"
    result = invoke("infer", str(path), "-o", str(out), "--places", str(tmp_path / "places.csv"),
                    "--geocoder", "none", "--sites", str(tmp_path / "sites.geojson"), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output[result.output.index("{") :])
    assert doc["stats"]["evidence_by_source"] == {"checkin": 5}
    assert doc["sensitive_sites"]
    without = invoke("infer", str(path), "-o", str(out), "--force", "--geocoder", "none", "--json",
                     "-q")  # fmt: skip
    assert json.loads(without.output)["stats"]["evidence_by_source"] == {}


def test_infer_on_a_scenario_folder_reads_its_corpus(tmp_path: Path) -> None:
    """`geoleak infer sample_media` (a scenario folder: posts.jsonl, truth.csv, media/) gives
    the people of its corpus, with the photos their posts name, as `infer` of the corpus
    file does; not one person named after the folder."""
    sample = REPO / "sample_media"
    outs = [tmp_path / "folder.json", tmp_path / "file.json"]
    for given, out in zip((sample, sample / "posts.jsonl"), outs, strict=True):
        result = invoke("infer", str(given), "-o", str(out), "--geocoder", "none", "-q")
        assert result.exit_code == 0, result.output
    folder, file = (json.loads(out.read_text()) for out in outs)
    assert folder["people"] == file["people"]
    people = {p["person"] for p in folder["people"]}
    assert len(people) > 1 and "sample_media" not in people


def test_map_draws_profiles_with_their_evidence(tmp_path: Path) -> None:
    sample = REPO / "sample_media"
    profiles = tmp_path / "p.json"
    assert invoke("infer", str(sample / "posts.jsonl"), "-o", str(profiles), "-q").exit_code == 0
    result = invoke(
        "map", str(profiles), str(sample / "posts.jsonl"), "-o", str(tmp_path / "maps"), "-q"
    )
    assert result.exit_code == 0, result.output
    pages = sorted(p.name for p in (tmp_path / "maps").glob("*.html"))
    assert "index.html" in pages and len(pages) == 11
    inferred, _ = load_profiles(profiles)
    person = next(p for p in inferred if p.place(PlaceKind.HOME))
    home_post = person.place(PlaceKind.HOME).evidence[0]  # type: ignore[union-attr]
    page = next((tmp_path / "maps").glob(f"person-{person.person}*.html")).read_text()
    assert home_post in page  # the evidence behind the home is on the person's map


def test_map_and_report_flag_sensitive_sites(tmp_path: Path) -> None:
    sample = REPO / "sample_media"
    scenario = json.loads((sample / "scenario.json").read_text())
    base_lat, base_lon = scenario["units"][0]["base_lat"], scenario["units"][0]["base_lon"]
    sites = tmp_path / "sites.geojson"
    sites.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Camp Heathmoor", "id": "heath", "radius_m": 400},
         "geometry": {"type": "Point", "coordinates": [base_lon, base_lat]}}]}))  # fmt: skip
    profiles = tmp_path / "p.json"
    assert invoke("infer", str(sample / "posts.jsonl"), "-o", str(profiles), "-q").exit_code == 0
    result = invoke("map", str(profiles), str(sample / "posts.jsonl"), "-o", str(tmp_path / "maps"),
                    "--sites", str(sites))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Camp Heathmoor: " in result.output and "people: " in result.output
    assert "Camp Heathmoor" in (tmp_path / "maps" / "index.html").read_text()
    report = invoke("report", str(sample / "posts.jsonl"), "-o", str(tmp_path / "report"),
                    "--sites", str(sites), "--no-plots", "-q")  # fmt: skip
    assert report.exit_code == 0, report.output
    page = (tmp_path / "report" / "report.html").read_text()
    assert "Camp Heathmoor" in page and "sensitive site" in page


def test_a_finished_command_leaves_its_objects_frozen_for_the_exit(tmp_path: Path) -> None:
    """After a command has done its work, the interpreter's exit does not walk what it
    leaves (gc.freeze at exit: its collections cost ~0.1 CPU s after a large `infer`). One
    process here, so nothing else froze them."""
    corpus = tmp_path / "posts.jsonl"
    corpus.write_text('{"id": "1", "author": "a", "created_at": "2025-01-06T12:00:00Z", '
                      '"lat": 35.1, "lon": -79.0}\n')  # fmt: skip
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"
        "from geoleak.cli import main\n"
        "sys.argv[0] = 'geoleak'\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code, "infer", str(corpus), "-q", "-o",
                           str(tmp_path / "p.json")], capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 1000
