"""Fixtures for the report tests; the fictional people live in report_fixtures.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_fixtures import make_people, make_photo

from geoleak.types import Evidence, Profile


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return make_photo(tmp_path)


@pytest.fixture
def people(photo: Path) -> tuple[list[Profile], dict[str, list[Evidence]]]:
    """Profiles and evidence of the fictional people described in report_fixtures.py."""
    return make_people(photo)
