"""The per-process timelines (`GEOLEAK_TIMELINE`): nothing written when off; when on, one
file a process, its spans and instants in order on the shared clock."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from pathlib import Path

import pytest

from geoleak import timeline


def _in_child() -> None:
    with timeline.span("child work", 7):
        pass


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline, "_FOLDER", None)
    with timeline.span("work"):
        timeline.instant("mark")
    assert not timeline.enabled()
    assert list(tmp_path.iterdir()) == []


def test_each_process_writes_its_events_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork start method here")
    folder = tmp_path / "timeline"
    monkeypatch.setattr(timeline, "_FOLDER", str(folder))
    before = time.perf_counter()
    with timeline.span("work", [1, "batch"]):
        timeline.instant("mark")
        child = mp.get_context("fork").Process(target=_in_child)
        child.start()
        child.join()
    monkeypatch.setattr(timeline, "_FOLDER", None)
    assert child.exitcode == 0
    mine = [json.loads(line) for line in (folder / f"{os.getpid()}.jsonl").read_text().splitlines()]
    assert [(e[0], e[1], e[5]) for e in mine] == [
        ("process", "i", {"ppid": os.getppid()}),
        ("work", "b", [1, "batch"]),
        ("mark", "i", None),
        ("work", "e", [1, "batch"]),
    ]
    walls = [e[2] for e in mine]
    assert before <= walls[0] and walls == sorted(walls)
    assert all(e[3] >= 0 and e[4] >= 0 for e in mine)
    theirs = [json.loads(line) for line in (folder / f"{child.pid}.jsonl").read_text().splitlines()]
    assert [(e[0], e[1], e[5]) for e in theirs] == [
        ("process", "i", {"ppid": os.getpid()}),
        ("child work", "b", 7),
        ("child work", "e", 7),
    ]
    # one clock for both: the child's work lies inside the parent's span
    assert walls[1] < theirs[1][2] <= theirs[2][2] < walls[3]


def test_a_new_folder_closes_the_last_one_s_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process writes one file at a time: naming another folder closes the file it had
    open (a test, or a benchmark's runs, would otherwise leave one open per folder)."""
    monkeypatch.setattr(timeline, "_FOLDER", str(tmp_path / "a"))
    timeline.instant("first")
    first = timeline._out
    monkeypatch.setattr(timeline, "_FOLDER", str(tmp_path / "b"))
    timeline.instant("second")
    assert first is not None and first.closed and timeline._out is not first
    monkeypatch.setattr(timeline, "_FOLDER", None)
    names = [
        json.loads(line)[0]
        for line in (tmp_path / "a" / f"{os.getpid()}.jsonl").read_text().splitlines()
    ]
    assert names == ["process", "first"]
