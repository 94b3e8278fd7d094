"""Shared fixtures: the real media corpus, read in place, never modified.

`../shared/testdata/media` (beside the repo) is the full corpus. A fresh clone has only the
permissively licensed subset bundled in `tests/data/media` (see tests/data/SOURCES.md); tests
naming a file outside it skip through `media_data.require`, saying which file is missing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import settings
from media_data import BUNDLED_MEDIA, SHARED_MEDIA

# Hypothesis's per-example deadline (200 ms) measures the machine's load, not the code: on a
# loaded CI runner it failed property tests whose examples take under 1 ms idle. Examples are
# still bounded by each test's max_examples; slowness is a benchmark's business.
settings.register_profile("geoleak", deadline=None)
settings.load_profile("geoleak")


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """Folder of real photos and videos with exiftool's reading in REFERENCE.csv."""
    for folder in (SHARED_MEDIA, BUNDLED_MEDIA):
        if (folder / "REFERENCE.csv").is_file():
            return folder
    pytest.skip(f"no test media: neither {SHARED_MEDIA} nor {BUNDLED_MEDIA} exists")


@pytest.fixture(scope="session")
def media_reference(shared_media: Path) -> list[dict[str, str]]:
    """Rows of REFERENCE.csv, one per file."""
    with (shared_media / "REFERENCE.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
