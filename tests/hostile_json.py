"""Hostile variants of the export fixtures: deep nesting, huge strings, wrong types.

Each variant copies a fixture export and rewrites one of its JSON files so that the first
array in it starts with the hostile value; the readers stream exactly such arrays.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# (fixture folder, JSON file inside it) for every reader of JSON exports
JSON_EXPORTS = [
    ("telegram", "result.json"),
    ("twitter", "tweets.js"),
    ("google_location", "Records.json"),
    ("google_timeline", "Timeline.json"),
    ("google_timeline_ios", "location-history.json"),
    ("instagram", "posts_1.json"),
    ("facebook", "your_posts__check_ins__photos_and_videos_1.json"),
    ("snapchat", "location_history.json"),
    ("takeout", "IMG_0001.jpg.json"),
]


def json_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".json", ".js") and p.is_file())


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def huge_string(size: int) -> bytes:
    return b'"' + b"x" * size + b'"'


def inject(data: bytes, value: bytes) -> bytes:
    """`data` with `value` as the first element of its first array (or as its whole body
    when it has no array)."""
    start = data.find(b"[")
    if start < 0:
        return value
    rest = data[start + 1 :].lstrip()
    sep = b"" if rest.startswith(b"]") else b","
    return data[: start + 1] + value + sep + data[start + 1 :]


def hostile_copy(fixture: str, target: Path, value: bytes, which: int | str = 0) -> Path:
    """Copy fixture `fixture` to `target` with `value` injected into one of its JSON files:
    the `which`-th, or the first one named `which`."""
    shutil.copytree(FIXTURES / fixture, target)
    files = json_files(target)
    if isinstance(which, str):
        files = [p for p in files if p.name == which]
        which = 0
    for victim in files[which % len(files) :][:1]:
        victim.write_bytes(inject(victim.read_bytes(), value))
    return target
