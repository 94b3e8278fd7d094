"""Where the real test media live, and a guard for files only the full corpus has."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# GEOLEAK_SHARED_TESTDATA=/nowhere runs the suite as a fresh clone would.
SHARED_TESTDATA = Path(
    os.environ.get("GEOLEAK_SHARED_TESTDATA") or REPO.parent / "shared" / "testdata"
)
SHARED_MEDIA = SHARED_TESTDATA / "media"
BUNDLED_MEDIA = REPO / "tests" / "data" / "media"
BUNDLED_REAL = REPO / "tests" / "data" / "real"  # tracks and GoPro files (tests/data/SOURCES.md)


def real_file(*parts: str, bundled_as: str | None = None) -> Path:
    """A file of the real corpus `testdata/real/<parts>`: the copy bundled in tests/data/real
    (named `bundled_as` there when it is a derived file), else the one in ../shared; skips,
    naming it, when neither is here (a fresh clone, and a licence that kept it out)."""
    bundled = BUNDLED_REAL.joinpath(*parts[:-1], bundled_as or parts[-1])
    if bundled.exists():
        return bundled
    shared = SHARED_TESTDATA.joinpath("real", *parts)
    if shared.exists():
        return shared
    pytest.skip(
        f"needs {shared} (not bundled in tests/data: licence not permissive; "
        "comes with ../shared/testdata)"
    )


def require(folder: Path, *names: str) -> list[Path]:
    """The named files in `folder`; skips the test, naming them, when the folder is the
    bundled subset and lacks one (its licence kept it out of the repo)."""
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        pytest.skip(
            f"needs {', '.join(missing)} from {SHARED_MEDIA} (not bundled in tests/data: "
            "licence not permissive)"
        )
    return [folder / n for n in names]


def present(folder: Path, *names: str) -> list[str]:
    """The names that `folder` holds (the bundled subset lacks some of the full corpus)."""
    return [n for n in names if (folder / n).is_file()]


def at_least(folder: Path, full: int, bundled: int) -> int:
    """A floor for "enough files were checked": `full` on ../shared, `bundled` on tests/data."""
    return bundled if folder == BUNDLED_MEDIA else full
