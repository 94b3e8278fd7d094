"""The pipeline on small corpora: counts, explanations of nothing found, bad media."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.pipeline import collect_evidence, run


def corpus(tmp_path: Path, posts: list[dict]) -> Path:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in posts))
    return path


def test_counts_by_kind_and_devices(tmp_path: Path, shared_media: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "gps.jpg").write_bytes((shared_media / "mde_apple_iphone4.jpg").read_bytes())
    (media / "nogps.jpg").write_bytes((shared_media / "pillow_apple_iphone14promax_nogps.mpo").read_bytes())
    (media / "zero.jpg").write_bytes((shared_media / "mde_samsung_gt-i9000_zero_zero.jpg").read_bytes())
    (media / "junk.jpg").write_bytes(b"hello, this is not a photo")
    path = corpus(tmp_path, [
        {"id": "1", "author": "a", "created_at": "2025-01-01T20:00:00Z", "media": ["media/gps.jpg"]},
        {"id": "2", "author": "a", "created_at": "2025-01-02T20:00:00Z", "lat": 53.38, "lon": -1.46},
        {"id": "3", "author": "a", "media": ["media/nogps.jpg", "media/zero.jpg", "media/junk.jpg"]},
        {"id": "4", "author": "b", "text": "just words"},
    ])  # fmt: skip
    diag = Diagnostics()
    collected = collect_evidence([path], diag=diag, workers=1)
    stats = collected.stats
    assert (stats.posts, stats.posts_located, stats.people, stats.people_located) == (4, 2, 2, 1)
    assert (stats.media_files, stats.media_located, stats.media_no_gps) == (4, 1, 1)
    assert stats.media_gps_rejected == 1 and stats.media_unreadable == 1
    assert dict(stats.evidence_by_source) == {"exif": 1, "geotag": 1}
    assert any("junk.jpg" in w for w in diag.warnings)
    assert collected.context["a"].excluded == {"null-island": 1, "unreadable": 1}
    assert "Apple iPhone 4" in collected.context["a"].devices
    text = "\n".join(stats.summary_lines())
    assert "4 posts of 2 people read; 2 (50%) carried a location" in text


def test_nothing_found_says_why(tmp_path: Path, shared_media: Path) -> None:
    (tmp_path / "m.jpg").write_bytes((shared_media / "pillow_apple_iphone14promax_nogps.mpo").read_bytes())
    path = corpus(tmp_path, [{"id": "1", "author": "a", "media": ["m.jpg"], "place": {"name": "Oslo"}}])
    stats = run([path], workers=1, geocoder=None).stats  # place names not looked up
    why = stats.why_nothing()
    assert "metadata but no GPS" in why and "name a place without coordinates" in why
    assert stats.summary_lines()[-1].startswith("no location found:")


def test_empty_corpus_says_so(tmp_path: Path) -> None:
    result = run([corpus(tmp_path, [])], workers=1)
    assert result.profiles == [] and "held no posts" in result.stats.why_nothing()


def test_parallel_and_serial_extraction_agree(tmp_path: Path, shared_media: Path) -> None:
    names = sorted(p.name for p in shared_media.iterdir() if p.suffix.lower() in (".jpg", ".heic", ".png", ".webp"))
    # Media must live inside the corpus folder (a symlink out of it is refused): copy to tmp.
    media_dir = tmp_path / "m"
    media_dir.mkdir()
    for name in names:
        shutil.copyfile(shared_media / name, media_dir / name)
    posts = [{"id": str(i), "author": "a", "media": [f"m/{n}"]} for i, n in enumerate(names)]
    path = corpus(tmp_path, posts)
    serial = collect_evidence([path], workers=1)
    parallel = collect_evidence([path], workers=2)
    assert serial.stats.to_json() == parallel.stats.to_json()
    assert [e.position for e in serial.evidence["a"]] == [e.position for e in parallel.evidence["a"]]
