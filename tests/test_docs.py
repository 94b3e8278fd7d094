"""docs/formats.md stays true to the code: every field geoleak writes is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoleak.cli import main
from geoleak.extract.scan import SCAN_FIELDS
from geoleak.profiles import SCHEMA
from geoleak.report.exports import EVIDENCE_COLUMNS, PLACE_COLUMNS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "formats.md"


def _section(number: int) -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"^## {number}\. .*?(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"docs/formats.md has no section {number}"
    return match.group(0)


@pytest.mark.parametrize(
    ("number", "fields"),
    [(4, SCAN_FIELDS), (5, EVIDENCE_COLUMNS), (5, PLACE_COLUMNS)],
)
def test_every_written_field_is_documented(number: int, fields: tuple[str, ...]) -> None:
    section = _section(number)
    missing = [f for f in fields if f"`{f}`" not in section]
    assert missing == []


def test_every_evidence_store_column_is_documented() -> None:
    pytest.importorskip("pyarrow")
    from geoleak.store import MANIFEST, evidence_schema

    section = _section(7)
    missing = [f for f in evidence_schema().names if f"`{f}`" not in section]
    assert missing == []
    assert f"`{MANIFEST}`" in section


def test_profiles_schema_and_exit_statuses_are_documented() -> None:
    assert f'"{SCHEMA}"' in _section(3)
    assert "2 a usage or input error" in _section(6)


def test_every_profiles_field_written_is_documented(tmp_path: Path) -> None:
    """The keys `geoleak infer` writes in profiles.json (people, places, sites, top level)
    on the demo unit (sites, movers, person types, exclusions) are all in section 3."""
    out = tmp_path / "profiles.json"
    corpus = DOCS.parents[1] / "sample_media" / "posts.jsonl"
    result = CliRunner().invoke(
        main, ["infer", str(corpus), "-o", str(out), "-q", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    people, places = doc["people"], [p for person in doc["people"] for p in person["places"]]
    written = {key for part in (doc, *people, *places, *doc["sites"]) for key in part}
    written |= {key for person in people for key in person.get("timezone_estimate") or {}}
    written |= {key for person in people for key in person.get("excluded") or {}}
    assert {"sites", "generated_by", "person_type", "valid_from", "excluded"} <= written
    section = _section(3)
    assert sorted(k for k in written if f"`{k}`" not in section and f'"{k}"' not in section) == []


def test_every_evaluation_field_is_documented(tmp_path: Path) -> None:
    """`geoleak evaluate --json`'s keys, nested ones included, are all in section 9."""
    profiles = tmp_path / "profiles.json"
    place = {"kind": "home", "lat": 60.0, "lon": 10.0, "radius_m": 50, "confidence": 0.9}
    people = [{"person": "a", "places": [place]}, {"person": "b", "places": [place]}]
    profiles.write_text(json.dumps({"schema": "geoleak.profiles/1", "people": people}))
    truth = tmp_path / "truth.csv"
    truth.write_text("person,kind,lat,lon,persona,valid_from\n"
                     "a,home,60.0,10.0,mover,2025-06-01\na,home,61.0,10.0,mover,2025-01-01\n"
                     "b,none,,,silent,\n")  # fmt: skip
    result = CliRunner().invoke(main, ["evaluate", str(profiles), "--truth", str(truth), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    written = set(doc) | {k for part in ("home", "base", "movers") for k in doc[part]}
    written |= {k for band in doc["calibration"] for k in band}
    written |= {k for persona in doc["by_persona"].values() for k in persona}
    section = _section(9)
    assert sorted(k for k in written if f"`{k}`" not in section and f'"{k}"' not in section) == []


def _command_lines(text: str) -> list[tuple[str, list[str]]]:
    """(command, its options) of every `geoleak COMMAND ...` written in `text`, up to the end
    of the line, a backtick, a comment or a bracket (`<(geoleak infer ...)` is one of its own)."""
    return [
        (m.group(1), re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", m.group(2)))
        for m in re.finditer(r"geoleak ([a-z]+)([^`\n#()]*)", text)
    ]


def test_command_lines_are_found_with_their_options() -> None:
    text = "`geoleak infer a.jsonl -o p.json --eps-m 80` and geoleak evaluate <(geoleak map x -q)"
    assert _command_lines(text) == [
        ("infer", ["-o", "--eps-m"]), ("evaluate", []), ("map", ["-q"]),
    ]  # fmt: skip


def test_every_option_in_the_docs_and_the_examples_exists() -> None:
    """Every option written after `geoleak COMMAND` in README.md, docs/formats.md and the
    commands' help texts is one that COMMAND takes (no renamed or removed flag lingers)."""
    from geoleak.cli.app import load_commands

    load_commands()
    runner = CliRunner()
    texts = {
        path.name: path.read_text(encoding="utf-8")
        for path in (DOCS, DOCS.parents[1] / "README.md")
    }
    texts |= {f"geoleak {name} --help": runner.invoke(main, [name, "--help"]).output
              for name in main.commands}  # fmt: skip
    unknown = []
    for where, text in texts.items():
        for name, options in _command_lines(text):
            command = main.commands.get(name)
            if command is None:
                continue  # prose ("geoleak reads ...")
            known = {"-h", "--help"} | {
                o for p in command.params for o in p.opts + p.secondary_opts
            }
            unknown += [f"{where}: geoleak {name} {o}" for o in options if o not in known]
    assert unknown == []


def test_readme_and_scan_help_point_at_the_repo_copy() -> None:
    readme = (DOCS.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "docs/formats.md" in readme
    assert "shared/spec" not in readme
    help_text = CliRunner().invoke(main, ["scan", "--help"]).output
    assert "docs/formats.md" in help_text


def test_every_audit_and_scrub_report_field_is_documented(tmp_path: Path) -> None:
    """`audit --json` and `scrub --json`'s keys, nested ones included, are all in section
    10; a file's `leaks` says what `--fail-on-leak` counts."""
    photos = DOCS.parents[1] / "sample_media" / "media"
    runner = CliRunner()
    result = runner.invoke(main, ["audit", str(photos), "--json", "-", "-q"])
    assert result.exit_code == 0, result.output
    audit = json.loads(result.stdout)
    assert any(f["leaks"] for f in audit["per_file"]) == audit["leaks"] is True
    written = set(audit) | {k for f in audit["per_file"] for k in f}
    written |= {k for part in ("places", "fields_to_remove") for x in audit[part] for k in x}
    written |= {k for f in audit["per_file"] for part in ("fields", "near") for x in f[part]
                for k in x}  # fmt: skip
    assert {"leaks", "near", "distance_m", "explanation"} <= written
    result = runner.invoke(main, ["scrub", str(photos), "-o", str(tmp_path / "c"), "--json", "-"])
    scrub = json.loads(result.stdout)
    written |= set(scrub) | {k for o in scrub["outcomes"] for k in o}
    written |= {k for o in scrub["outcomes"] for x in o["removed"] + o["kept"] for k in x}
    section = _section(10)
    assert sorted(k for k in written if f"`{k}`" not in section and f'"{k}"' not in section) == []
