"""Helpers for the reader tests: the hand-written fixtures under tests/fixtures/."""

from __future__ import annotations

from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.ingest import open_inputs
from geoleak.types import Post

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def read_all(
    path: Path, source: str | None = None, author: str | None = None
) -> tuple[list[Post], Diagnostics]:
    diag = Diagnostics()
    posts = list(open_inputs([path], diag, source=source, author=author))
    return posts, diag


def by_id(posts: list[Post]) -> dict[str, Post]:
    ids = [p.id for p in posts]
    assert len(ids) == len(set(ids)), f"duplicate post ids: {ids}"
    return {p.id: p for p in posts}
