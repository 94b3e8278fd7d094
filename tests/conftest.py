"""Shared fixtures: the real media corpus in ../shared/testdata (read in place, never copied)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_TESTDATA = REPO.parent / "shared" / "testdata"
SHARED_MEDIA = SHARED_TESTDATA / "media"


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """Folder of real photos and videos with exiftool's reading in REFERENCE.csv."""
    if not (SHARED_MEDIA / "REFERENCE.csv").is_file():
        pytest.skip(f"shared test media not found at {SHARED_MEDIA} (it lives beside the repo)")
    return SHARED_MEDIA


@pytest.fixture(scope="session")
def media_reference(shared_media: Path) -> list[dict[str, str]]:
    """Rows of REFERENCE.csv, one per file."""
    with (shared_media / "REFERENCE.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
