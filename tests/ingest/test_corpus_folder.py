"""A folder holding posts corpus files (a `geoleak scenario` folder, a data set's shards) is
read as its corpus files, not as one person's photos with the corpora left out."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from geoleak.diagnostics import Diagnostics
from geoleak.ingest.base import readers_for
from geoleak.ingest.jsonl import JsonlReader, LineRun, RunRequest, corpus_files, deferred_parsing
from geoleak.pipeline import collect_evidence

PHOTO = Path(__file__).resolve().parent.parent / "data" / "media" / "mde_apple_iphone4.jpg"


def _lines(author: str, n: int, lat: float, lon: float) -> str:
    return "".join(
        json.dumps({"id": f"{author}-{i}", "author": author,
                    "created_at": f"2024-03-{1 + i:02d}T21:00:00Z", "lat": lat, "lon": lon})
        + "\n"
        for i in range(n)
    )  # fmt: skip


def _folder(tmp_path: Path) -> Path:
    """Two shards (one gzipped), an .ndjson, a truth table, and a photo that one post names
    under media/ (through `./` and `..`)."""
    root = tmp_path / "unit"
    (root / "media" / "cara").mkdir(parents=True)
    (root / "a.jsonl").write_text(_lines("ana", 3, 69.65, 18.96), encoding="utf-8")
    with gzip.open(root / "b.JSONL.gz", "wt", encoding="utf-8") as handle:
        handle.write(_lines("ben", 2, -33.87, 151.21))
    named = {"id": "cara-0", "author": "cara", "created_at": "2024-03-01T12:00:00Z",
             "media": ["./media/x/../cara/p.jpg"]}  # fmt: skip
    (root / "c.ndjson").write_text(json.dumps(named) + "\n", encoding="utf-8")
    shutil.copy(PHOTO, root / "media" / "cara" / "p.jpg")
    (root / "truth.csv").write_text("person,kind,lat,lon\n", encoding="utf-8")
    return root


def test_a_folder_of_corpus_files_is_read_as_them(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    assert [f.name for f in corpus_files(root)] == ["a.jsonl", "b.JSONL.gz", "c.ndjson"]
    assert [r.name for r in readers_for(root)] == ["jsonl"]
    diag = Diagnostics()
    found = collect_evidence([root], diag=diag, workers=1)
    # every post of the three files; the photo a post names is read with it, once; the
    # folder's name is no person
    assert found.stats.posts == 6, diag.warnings
    assert found.stats.people == 3
    assert found.stats.posts_located == 6
    assert not diag.warnings


def test_a_folder_reads_as_its_files_given_one_by_one(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    whole = [p.id for p in JsonlReader().read(root, Diagnostics())]
    each = [p.id for f in corpus_files(root) for p in JsonlReader().read(f, Diagnostics())]
    assert whole == each == ["ana-0", "ana-1", "ana-2", "ben-0", "ben-1", "cara-0"]


def test_a_file_that_cannot_be_read_is_named_and_the_others_are_read(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    (root / "b.JSONL.gz").write_bytes(b"\x1f\x8b\x08\x00 cut short")
    diag = Diagnostics()
    posts = list(JsonlReader().read(root, diag))
    assert [p.author for p in posts] == ["ana"] * 3 + ["cara"]
    (warning,) = diag.warnings
    assert "b.JSONL.gz" in warning and "other corpus files are still read" in warning


def test_only_the_top_level_counts(tmp_path: Path) -> None:
    """Corpus files further down (an export's folders, a backup) do not make a folder of
    photos a corpus folder: its photos are still read, each a post."""
    photos = tmp_path / "photos"
    (photos / "old").mkdir(parents=True)
    (photos / "old" / "posts.jsonl").write_text(_lines("ana", 2, 1.0, 2.0), encoding="utf-8")
    shutil.copy(PHOTO, photos / "p.jpg")
    (photos / "link.jsonl").symlink_to(photos / "old" / "posts.jsonl")
    assert corpus_files(photos) == []
    assert [r.name for r in readers_for(photos)] == ["folder"]
    assert not JsonlReader().sniff(photos)


def test_an_empty_or_missing_folder_holds_no_corpus_file(tmp_path: Path) -> None:
    assert corpus_files(tmp_path) == []
    assert corpus_files(tmp_path / "absent") == []


def _ids(root: Path, mode: str) -> tuple[list[str], Diagnostics]:
    """The posts' ids (a LineRun's lines' ids) as the reader yields them: parsed, deferred
    line by line, or deferred in runs (the pipeline's main process)."""
    diag = Diagnostics()
    reader = JsonlReader()
    if mode == "parsed":
        return [p.id for p in reader.read(root, diag)], diag
    request = RunRequest(2) if mode == "runs" else None
    ids: list[str] = []
    with deferred_parsing(runs=request):
        for item in reader.read(root, diag):
            if isinstance(item, LineRun):
                ids += [json.loads(line)["id"] for line in item.lines]
            else:
                ids.append(item.id)
    return ids, diag


@pytest.mark.parametrize("mode", ["parsed", "deferred", "runs"])
def test_a_photo_no_post_names_is_still_read(tmp_path: Path, mode: str) -> None:
    """A photo left beside a corpus still leaks: it is read, one post of one person (the
    folder's name), and a warning says so; the photos posts name are not read twice."""
    root = _folder(tmp_path)
    shutil.copy(PHOTO, root / "media" / "stray.jpg")
    shutil.copy(PHOTO, root / "loose.JPG")
    ids, diag = _ids(root, mode)
    assert ids == ["ana-0", "ana-1", "ana-2", "ben-0", "ben-1", "cara-0",
                   "loose.JPG", "media/stray.jpg"]  # fmt: skip
    (warning,) = diag.warnings
    assert "2 photo or video files that no post" in warning and "'unit'" in warning


def test_stray_photos_in_the_pipeline(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    shutil.copy(PHOTO, root / "media" / "stray.jpg")
    found = collect_evidence([root], diag=Diagnostics(), workers=1)
    assert (found.stats.posts, found.stats.people, found.stats.posts_located) == (7, 4, 7)
