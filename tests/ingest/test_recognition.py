"""Inputs recognised by what their files hold, not by folder names; messages in numbers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from media_data import real_file

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import readers_for
from geoleak.pipeline import collect_evidence

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HISTORY = FIXTURES / "google_location" / "Takeout" / "Location History (Timeline)"


def _real(*parts: str) -> Path:
    return real_file(*parts)


def test_takeout_photos_in_a_chinese_locale(tmp_path: Path) -> None:
    source = _real("takeout-photos", "zh")
    assert [r.name for r in readers_for(source)] == ["takeout-photos"]
    # any folder name at all: the sidecars say what they are
    renamed = tmp_path / "export 2018" / "Fotos de Google (copia)" / "Album"
    shutil.copytree(next(source.rglob("Photos from 2018")), renamed)
    assert [r.name for r in readers_for(tmp_path)] == ["takeout-photos"]
    found = collect_evidence([tmp_path], diag=Diagnostics(), workers=1)
    assert found.stats.posts == 1
    assert found.stats.posts_located == 1


def test_semantic_location_history_in_any_folder(tmp_path: Path) -> None:
    month = next(HISTORY.rglob("2023_JANUARY.json"))
    deep = tmp_path / "backup" / "phone" / "mes archives"
    deep.mkdir(parents=True)
    shutil.copy(month, deep / "2023_JANUARY.json")
    (deep / "notes.json").write_text('{"hello": "world"}', encoding="utf-8")
    assert "google-location" in [r.name for r in readers_for(tmp_path)]
    found = collect_evidence([tmp_path], diag=Diagnostics(), workers=1)
    assert found.stats.evidence_by_source["track"] > 0


def test_renamed_records_file_is_read_and_thinning_is_stated(tmp_path: Path) -> None:
    fixes = [
        {"latitudeE7": 696_496_000 + i, "longitudeE7": 189_560_000, "accuracy": 10,
         "timestamp": f"2024-03-01T00:{i:02d}:00Z"}
        for i in range(40)
    ]  # fmt: skip
    folder = tmp_path / "somewhere" / "else"
    folder.mkdir(parents=True)
    (folder / "my-history.json").write_text(json.dumps({"locations": fixes}), encoding="utf-8")
    diag = Diagnostics()
    found = collect_evidence([tmp_path], diag=diag, workers=1)
    assert found.stats.posts == 4  # one fix per 10 minutes at a standstill
    (note,) = [w for w in diag.warnings if "thinned" in w]
    assert "my-history.json: 40 fixes thinned to 4 posts" in note
    assert "100 m or 10 min" in note
    # ... and the summary says it in numbers too (warnings are not shown with -q)
    assert (found.stats.history_fixes, found.stats.history_points) == (40, 4)
    (line,) = [x for x in found.stats.summary_lines() if x.startswith("location history:")]
    assert line.startswith("location history: 40 fixes thinned to 4 points")


def test_summary_states_how_tracks_and_paths_were_reduced(tmp_path: Path) -> None:
    """An activity's fixes become its start and end; a Timeline path is thinned to moves of
    100 m. The summary gives both in numbers, the same on every run (no leak across runs)."""
    gpx = _real("tracks", "gpxpy", "Mojstrovka.gpx")
    shutil.copy(gpx, tmp_path / gpx.name)
    path = [
        {"point": f"{69.6496 + i * 0.0002:.6f}°, 18.9560°", "time": f"2024-03-01T10:{i:02d}:00Z"}
        for i in range(30)
    ]  # 22 m apart: every fifth point is 100 m on
    timeline = {"semanticSegments": [{
        "startTime": "2024-03-01T10:00:00Z", "endTime": "2024-03-01T10:30:00Z",
        "timelinePath": path,
    }]}  # fmt: skip
    (tmp_path / "Timeline.json").write_text(json.dumps(timeline), encoding="utf-8")
    diag = Diagnostics()
    for _ in range(2):
        found = collect_evidence([tmp_path], diag=diag, workers=1)
        stats = found.stats
        assert stats.activity_tracks == 1
        assert stats.activity_fixes > 100
        assert stats.activity_points == 2
        assert 5 <= stats.path_points < stats.path_fixes == 30
        lines = stats.summary_lines()
        assert f"activity tracks: 1 track, {stats.activity_fixes} fixes; their 2 start and end points are the evidence" in lines  # fmt: skip
        assert f"timeline paths: 30 points thinned to {stats.path_points} (a point is kept when the person moved 100 m)" in lines  # fmt: skip


def test_tracks_two_folders_deep(tmp_path: Path) -> None:
    gpx = FIXTURES / "tracks"
    source = next(p for p in sorted(gpx.rglob("*.gpx")))
    deep = tmp_path / "2024" / "garmin"
    deep.mkdir(parents=True)
    shutil.copy(source, deep / source.name)
    assert "tracks" in [r.name for r in readers_for(tmp_path)]


def test_fit_activities_without_gps_are_named(tmp_path: Path) -> None:
    fit = _real("tracks", "fitdecode", "sample-activity-indoor-trainer.fit")
    shutil.copy(fit, tmp_path / fit.name)
    (tmp_path / "readme.txt").write_text("hello", encoding="utf-8")
    diag = Diagnostics()
    found = collect_evidence([tmp_path], diag=diag, workers=1)
    assert any(fit.name in w and "without GPS" in w for w in diag.warnings)
    why = found.stats.why_nothing()
    assert "2 files: 1 activity without GPS, 1 not read (.txt)" in why


def test_fitdecode_warnings_become_one_line_naming_the_file(
    recwarn: pytest.WarningsRecorder,
) -> None:
    fit = _real("tracks", "fitparse", "coros-pace-2-cycling-misaligned-fields.fit")
    diag = Diagnostics()
    found = collect_evidence([fit], diag=diag, workers=1)
    assert found.stats.posts == 2
    lines = [w for w in diag.warnings if "irregular" in w]
    assert len(lines) == 1
    assert lines[0].startswith(str(fit))
    assert "site-packages" not in lines[0]
    assert not [w for w in recwarn if "fitdecode" in str(w.filename)]


def test_x_archive_without_tweets_media_says_so(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "twitter", tmp_path / "archive")
    shutil.rmtree(tmp_path / "archive" / "data" / "tweets_media")
    diag = Diagnostics()
    collect_evidence([tmp_path / "archive"], diag=diag, workers=1)
    assert any("no tweets_media/ folder" in w for w in diag.warnings)


def test_unrecognised_folder_says_what_it_holds(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt", "c.csv"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = collect_evidence([tmp_path], diag=Diagnostics(), workers=1)
    assert "3 files: 3 not read (.txt, .csv)" in found.stats.why_nothing()
    with pytest.raises(CorpusError, match="not a format geoleak recognises"):
        readers_for(tmp_path / "a.txt")


def test_x_archive_one_folder_down_as_folder_and_zip(tmp_path: Path) -> None:
    """An X archive unzipped and zipped again (or kept in a downloads folder) holds its
    `data/` one folder down, as Instagram and Facebook downloads may: it is still read as
    an X archive, not as a folder of one photo with its tweets' positions left out."""
    downloads = tmp_path / "downloads"
    shutil.copytree(FIXTURES / "twitter", downloads / "twitter-2024-01-01-abc")
    assert [r.name for r in readers_for(downloads)] == ["twitter"]
    archive = shutil.make_archive(str(tmp_path / "again"), "zip", downloads)
    for given in (downloads, Path(archive)):
        found = collect_evidence([given], diag=Diagnostics(), workers=1)
        assert (found.stats.posts, found.stats.posts_located) == (4, 3)


def test_a_corpus_or_zip_that_gave_no_post_is_not_called_unread(tmp_path: Path) -> None:
    """A corpus whose every line is bad, or a zip holding nothing geoleak takes as posts,
    was read (each problem had its warning): the summary says what it was, not
    "1 not read (.jsonl)"."""
    import zipfile

    (tmp_path / "bad.jsonl").write_text("{not json\n\n", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("notes.txt", "hello")
    for name, said in (
        ("bad.jsonl", "1 file: 1 posts corpus file with no usable line"),
        ("export.zip", "1 file: 1 zip archive holding nothing read as posts"),
    ):
        diag = Diagnostics()
        try:
            found = collect_evidence([tmp_path / name], diag=diag, workers=1)
        except CorpusError as exc:
            pytest.fail(f"{name}: {exc}")
        assert said in found.stats.why_nothing(), found.stats.why_nothing()
        assert "not read" not in found.stats.why_nothing()


def test_a_drone_log_without_a_fix_is_not_called_an_activity(tmp_path: Path) -> None:
    """A DJI flight log (.SRT) without a GPS fix, read alone: what the input held names it
    a drone flight log, not an 'activity without GPS' (a FIT file's)."""
    srt = tmp_path / "DJI_0001.SRT"
    srt.write_text(
        "1\n00:00:00,000 --> 00:00:01,000\n"
        '<font size="28">FrameCnt: 1, DiffTime: 33ms\n2023-05-01 12:00:00.000\n'
        "[iso : 100] [shutter : 1/500.0] [fnum : 280] [ev : 0] [ct : 5500]\n"
        "[color_md : default] [focal_len : 240] [latitude: 0.000000] "
        "[longitude: 0.000000] [rel_alt: 0.000 abs_alt: 0.000] </font>\n\n",
        encoding="utf-8",
    )
    found = collect_evidence([srt], diag=Diagnostics(), workers=1)
    why = found.stats.why_nothing()
    assert "1 file: 1 drone flight log without a GPS fix" in why, why
    assert "activity" not in why
