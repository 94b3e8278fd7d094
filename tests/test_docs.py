"""docs/formats.md stays true to the code: every field geoleak writes is documented."""

from __future__ import annotations

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


def test_readme_and_scan_help_point_at_the_repo_copy() -> None:
    readme = (DOCS.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "docs/formats.md" in readme
    assert "shared/spec" not in readme
    help_text = CliRunner().invoke(main, ["scan", "--help"]).output
    assert "docs/formats.md" in help_text
