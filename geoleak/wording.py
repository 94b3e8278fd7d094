"""Counted nouns for the sentences geoleak prints and writes: "1 person", "2 people"."""

from __future__ import annotations

__all__ = ["count"]

_IRREGULAR = {"person": "people", "day": "days", "warning": "warnings", "match": "matches"}


def count(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and the noun in the form that number takes ("1 file", "0 files", "3 people")."""
    if n == 1:
        return f"{n} {singular}"
    if plural is None:
        plural = _IRREGULAR.get(singular) or (
            singular + "es" if singular.endswith(("s", "x", "ch", "sh")) else singular + "s"
        )
    return f"{n} {plural}"
