"""scan_paths (ordered, parallel = sequential) and the `geoleak scan` command."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media_data import at_least, require

from geoleak.cli import main
from geoleak.extract.media import read_media, read_media_digest
from geoleak.extract.scan import (
    SCAN_FIELDS,
    ContentDuplicates,
    ScanSummary,
    Skipped,
    iter_scan_targets,
    scan_converted,
    scan_paths,
    scan_record,
)
from geoleak.fileid import EDGE, media_digest


@pytest.fixture(scope="module")
def corpus(shared_media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder tree of small real samples (copied: the scan must not touch the originals)."""
    root = tmp_path_factory.mktemp("scan")
    names = [p.name for p in sorted(shared_media.iterdir())
             if p.suffix.lower() not in (".csv", ".md") and p.stat().st_size < 300_000]  # fmt: skip
    copies = max(3, -(-130 // len(names)))  # more than two chunks of 64 for the parallel path
    for i, name in enumerate(names * copies):
        sub = root / f"set{i % 3}" / ("deeper" if i % 2 else "")
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_media / name, sub / f"{i:03d}_{name}")
    (root / "notes.txt").write_text("not media")
    (root / ".hidden").mkdir()
    shutil.copyfile(shared_media / "mde_apple_iphone4.jpg", root / ".hidden" / "x.jpg")
    return root


def test_targets_are_sorted_relative_and_skip_hidden_and_non_media(corpus: Path) -> None:
    targets = list(iter_scan_targets([corpus]))
    skipped = [(str(p), s) for p, s in targets if isinstance(p, Skipped)]
    assert skipped == [("skipped: hidden folder (name it directly to read it)", ".hidden/")]
    read = [(p, s) for p, s in targets if not isinstance(p, Skipped)]
    shown = [s for _, s in read]
    assert all(not s.startswith((".hidden", "/")) for s in shown)
    assert "notes.txt" not in shown
    assert shown[0].startswith("set0/")
    assert len(targets) == len(set(shown)) + 1
    assert all(Path(p).is_file() for p, _ in read)


def test_symlinks_and_hidden_files_are_reported_not_read(
    shared_media: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.jpg"
    shutil.copyfile(shared_media / "mde_apple_iphone4.jpg", outside)
    root = tmp_path / "photos"
    root.mkdir()
    shutil.copyfile(outside, root / "a.jpg")
    (root / "b.jpg").symlink_to(root / "a.jpg")
    (root / "c.jpg").symlink_to(outside)
    shutil.copyfile(outside, root / ".d.jpg")
    records = {m.path: m for m in scan_paths([root], workers=1)}
    assert records["a.jpg"].position is not None
    assert records["b.jpg"].error == "skipped: symlink to a file in the folder (read where it lies)"
    assert records["c.jpg"].error == "skipped: symlink to outside the folder"
    assert records[".d.jpg"].error.startswith("skipped: hidden file")
    assert all(records[k].position is None for k in ("b.jpg", "c.jpg", ".d.jpg"))


def test_parallel_scan_equals_sequential_scan_in_order(corpus: Path) -> None:
    sequential = list(scan_paths([corpus], workers=1))
    parallel = list(scan_paths([corpus], workers=2, chunk_size=8))
    assert len(sequential) >= 2 * 64 + 1
    assert [m.path for m in parallel] == [m.path for m in sequential]
    assert parallel == sequential


def test_progress_counts_every_file(corpus: Path) -> None:
    done: list[int] = []
    records = list(scan_paths([corpus], workers=2, progress=done.append, chunk_size=16))
    assert sum(done) == len(records)


def test_scan_record_has_the_formats_md_fields(shared_media: Path) -> None:
    (pixel,) = require(shared_media, "exiftool_google_pixel8pro.jpg")
    (meta,) = scan_paths([pixel], workers=1)
    record = scan_record(meta)
    assert tuple(record) == SCAN_FIELDS
    assert record["lat"] == pytest.approx(40.4000694, abs=1e-6)
    assert record["capture_time"].endswith("+02:00")
    assert record["make"] == "Google"
    assert record["error"] is None
    json.dumps(record)


def test_summary_counts(shared_media: Path) -> None:
    summary = ScanSummary()
    for meta in scan_paths([shared_media], workers=1):
        summary.add(meta)
    assert summary.files == sum(1 for _ in iter_scan_targets([shared_media]))
    assert summary.with_gps >= at_least(shared_media, 35, 18)
    assert summary.errors == 1  # the empty file
    assert summary.rejected_positions >= at_least(shared_media, 4, 3)  # Null Island placeholders
    assert summary.by_format["jpeg"] >= at_least(shared_media, 30, 12)
    text = "\n".join(summary.lines())
    assert "with a GPS position" in text
    assert "could not be read" in text


def test_cli_jsonl_to_file_with_summary(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "media.jsonl"
    summary = tmp_path / "summary.json"
    result = CliRunner().invoke(
        main, ["scan", str(corpus / "set1"), "-o", str(out), "--summary-json", str(summary)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows
    assert all(tuple(r) == SCAN_FIELDS for r in rows)
    assert not any(r["path"].startswith("/") for r in rows)  # relative to the single root
    stats = json.loads(summary.read_text())
    assert stats["files"] == len(rows)
    assert stats["with_gps"] == sum(1 for r in rows if r["lat"] is not None)
    assert "files read" in result.output  # the closing summary (stderr is mixed in here)


def test_cli_csv_to_stdout(shared_media: Path) -> None:
    result = CliRunner().invoke(
        main, ["scan", str(shared_media / "mde_htc_desire.webp"), "--format", "csv", "-q"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert len(rows) == 1
    assert rows[0]["format"] == "webp"
    assert float(rows[0]["lat"]) == pytest.approx(45.5006667, abs=1e-6)


def test_cli_user_errors_are_one_line_exit_2(tmp_path: Path, shared_media: Path) -> None:
    missing = CliRunner().invoke(main, ["scan", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "no such file or folder" in missing.output
    existing = tmp_path / "out.jsonl"
    existing.write_text("keep me")
    clash = CliRunner().invoke(
        main, ["scan", str(shared_media / "mde_htc_desire.jpg"), "-o", str(existing)]
    )
    assert clash.exit_code == 2
    assert "--force" in clash.output
    assert existing.read_text() == "keep me"


def test_cli_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["scan", "--help"])
    assert result.exit_code == 0
    assert "geoleak scan ~/Pictures" in result.output


def test_originals_are_not_modified(corpus: Path) -> None:
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in corpus.rglob("*") if p.is_file()}
    list(scan_paths([corpus], workers=1))
    after = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in corpus.rglob("*") if p.is_file()}
    assert before == after
    assert os.access(corpus, os.R_OK)


def test_a_stream_of_paths_is_read_lazily_and_shown_as_given(shared_media: Path) -> None:
    names = ["mde_htc_desire.jpg", "pheif_apple_iphonexs.heic"]
    stream = (str(shared_media / name) for name in names)
    records = list(scan_paths(stream, workers=1))
    assert [r.path for r in records] == [str(shared_media / n) for n in names]
    assert all(r.position is not None for r in records)


def _copies(shared_media: Path, folder: Path) -> list[Path]:
    """Two real photos, one of them also in a second folder under another name, and a file of
    the other's size whose content differs (only its last byte)."""
    one, two = shared_media / "mde_apple_iphone4.jpg", shared_media / "mde_htc_desire.jpg"
    require(one, two)
    (folder / "album").mkdir(parents=True)
    shutil.copyfile(one, folder / "IMG_1.jpg")
    shutil.copyfile(two, folder / "IMG_2.jpg")
    shutil.copyfile(one, folder / "album" / "holiday.jpg")
    data = bytearray(two.read_bytes())
    data[-1] ^= 0xFF
    (folder / "album" / "edited.jpg").write_bytes(bytes(data))
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "empty2.jpg").write_bytes(b"")
    return [folder / "IMG_1.jpg", folder / "IMG_2.jpg"]


def test_content_duplicates_hash_only_files_of_a_shared_size(
    shared_media: Path, tmp_path: Path
) -> None:
    _copies(shared_media, tmp_path)
    copies = ContentDuplicates()
    for path, _ in iter_scan_targets([tmp_path]):
        copies.note(path)
    assert copies.duplicates == 1  # holiday.jpg; edited.jpg differs, empty files are no copies
    # holiday.jpg and edited.jpg are compared with the first file of their size (no empty
    # file is); only edited.jpg, which differs from it, is hashed
    assert (copies.compared, copies.hashed) == (2, 1)
    distinct = ContentDuplicates()
    for path in _copies(shared_media, tmp_path / "distinct"):
        distinct.note(str(path))
    assert (distinct.duplicates, distinct.compared, distinct.hashed) == (0, 0, 0)


def test_cli_summary_states_duplicates(shared_media: Path, tmp_path: Path) -> None:
    _copies(shared_media, tmp_path / "in")
    out, summary = tmp_path / "media.jsonl", tmp_path / "summary.json"
    result = CliRunner().invoke(
        main, ["scan", str(tmp_path / "in"), "-o", str(out), "--summary-json", str(summary)]
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 6  # every file is still listed
    assert json.loads(summary.read_text())["duplicates"] == 1
    assert "1 file repeats the content of another file" in result.output


@pytest.mark.parametrize("workers", [1, 2])
def test_duplicates_counted_by_the_readers_equal_a_sequential_count(
    corpus: Path, workers: int
) -> None:
    """The readers hash the files a scan's duplicate count needs (in worker processes with
    2 workers: the corpus is over two chunks); the count is the sequential one."""
    sequential = ContentDuplicates()
    seen: set[str | None] = set()
    by_digest = 0  # the count by infer's identity itself
    for path, _ in iter_scan_targets([corpus]):
        if not isinstance(path, Skipped):
            sequential.note(path)
            if os.path.getsize(path):  # (an empty file is no copy of anything)
                digest = media_digest(path)
                by_digest += digest in seen
                seen.add(digest)
    assert sequential.duplicates == by_digest > 0
    during = ContentDuplicates()
    records = list(scan_converted([str(corpus)], scan_record, workers=workers, duplicates=during))
    assert len(records) == sum(1 for _ in iter_scan_targets([corpus]))
    counts = (during.duplicates, during.compared, during.hashed)
    assert counts == (sequential.duplicates, sequential.compared, sequential.hashed)
    assert records == [scan_record(m) for m in scan_paths([str(corpus)], workers=1)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(min_value=1, max_value=3 * EDGE), seed=st.integers(0, 255))
def test_the_readers_digest_is_media_digest(size: int, seed: int) -> None:
    """`read_media_digest` hashes from the bytes it reads (any size around the two 64 KiB
    edges) and gives exactly infer's `media_digest`."""
    data = bytes((seed + i * 7) % 256 for i in range(size))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "photo.jpg")
        with open(path, "wb") as handle:
            handle.write(data)
        meta, digest = read_media_digest(path)
        tail = data[-EDGE:] if size > 2 * EDGE else data[EDGE:]
        expected = hashlib.sha256(size.to_bytes(8, "big") + data[:EDGE] + tail).hexdigest()
        assert digest == media_digest(path) == expected
        assert meta == read_media(path)
        # a copy is told without hashing; one byte changed at either edge is not a copy
        copy, changed = os.path.join(folder, "copy.jpg"), os.path.join(folder, "edit.jpg")
        with open(copy, "wb") as handle:
            handle.write(data)
        edited = bytearray(data)
        edited[-1 if seed % 2 else 0] ^= 0xFF
        with open(changed, "wb") as handle:
            handle.write(edited)
        assert read_media_digest(copy, like=path)[1] is True
        assert read_media_digest(changed, like=path)[1] == media_digest(changed) != expected
    assert read_media_digest(os.path.join(folder, "gone.jpg"))[1] is None


def test_takeout_sidecars_no_photo_reads_are_scanned(tmp_path: Path) -> None:
    """A Takeout sidecar whose photo is not in the export (or named by Takeout's quirks)
    is read on its own; one its photo's record reads, an album's metadata.json and other
    JSON are not."""
    sidecar = {
        "title": "x",
        "photoTakenTime": {"timestamp": "1527038024"},
        "geoData": {"latitude": 22.2295, "longitude": 113.502},
    }
    photo = tmp_path / "IMG_1.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xd9")
    for name in ("IMG_1.jpg.json", "IMG_2.jpg.json", "IMG_3.jpg(1).json", "metadata.json"):
        (tmp_path / name).write_text(json.dumps(sidecar))
    (tmp_path / "package.json").write_text('{"name": "x"}')
    shown = [s for _, s in iter_scan_targets([tmp_path])]
    assert shown == ["IMG_1.jpg", "IMG_2.jpg.json", "IMG_3.jpg(1).json"]
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "")], catch_exceptions=False)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["path"], r["lat"]) for r in records][1:] == [
        ("IMG_2.jpg.json", 22.2295),
        ("IMG_3.jpg(1).json", 22.2295),
    ]


def test_a_cameras_proxy_whose_video_is_gone_is_scanned(tmp_path: Path) -> None:
    """A GoPro card's GL010001.LRV (an MP4 with the GPMF track) is scanned where its video
    is gone, as `infer` reads it (`mediatypes.orphan_companions`); beside GX010002.MP4 its
    proxy and thumbnail are not (the video is)."""
    from media_data import real_file

    video = real_file("video", "gopro", "karma.mp4", bundled_as="gpmfonly_karma.mp4")
    for name in ("GL010001.LRV", "GX010001.THM", "GX010002.MP4", "GL010002.LRV"):
        (tmp_path / name).write_bytes(video.read_bytes())
    assert [s for _, s in iter_scan_targets([tmp_path])] == ["GL010001.LRV", "GX010002.MP4"]
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "")], catch_exceptions=False)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["path"] for r in records] == ["GL010001.LRV", "GX010002.MP4"]
    assert records[0]["lat"] == records[1]["lat"] is not None


def test_a_zip_named_to_scan_says_to_unpack_it(tmp_path: Path) -> None:
    """scan reads files in place: a zip export named to it is skipped with the reason, as
    scrub says it, not reported 'not a media format geoleak can read (starts with 50 4b)'."""
    import zipfile

    from click.testing import CliRunner

    from geoleak.cli import main

    with zipfile.ZipFile(tmp_path / "takeout.zip", "w") as archive:
        archive.writestr("Takeout/a.jpg", b"x")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "takeout.zip")])
    assert result.exit_code == 0, result.output
    record = json.loads(next(ln for ln in result.output.splitlines() if ln.startswith("{")))
    assert record["error"] == "skipped: a zip archive: unpack it, then scan the folder"
