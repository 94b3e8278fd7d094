"""CLI-level fuzz: generated hostile inputs for every JSON reader and every command.

Each run is a real `python -m geoleak` process. It must end with status 0, 1 or 2, print
no traceback, and stay under RSS_LIMIT_MB of peak memory (getrusage of a small launcher's
child, so no psutil). Inputs are under 10 MB each.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_json import JSON_EXPORTS, hostile_copy, huge_string, nested
from media_data import BUNDLED_MEDIA

RSS_LIMIT_MB = 300
TIMEOUT_S = 300


# A small launcher runs geoleak and reports its child's peak RSS: measured from the test
# process itself, a forked child would start with pytest's own (large) resident set.
LAUNCHER = """
import resource, subprocess, sys
code = subprocess.call([sys.executable, "-m", "geoleak", *sys.argv[1:]])
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(f"\\nPEAK_RSS_KB={peak_kb}\\n")
sys.exit(code if code >= 0 else 128 - code)
"""


def run_geoleak(*args: str, cwd: Path) -> tuple[int, str, float]:
    """(exit status, stderr, peak RSS in MB) of one `python -m geoleak` process."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, *args], cwd=cwd, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {TIMEOUT_S} s", 0.0
    stderr = done.stderr.decode("utf-8", "replace")
    body, _, peak = stderr.rpartition("PEAK_RSS_KB=")
    return done.returncode, body, int(peak.strip() or 0) / 1024


def check(code: int, stderr: str, rss_mb: float, what: str) -> None:
    assert code in (0, 1, 2), f"{what}: exit status {code}\n{stderr[-2000:]}"
    assert "Traceback" not in stderr, f"{what}:\n{stderr[-3000:]}"
    assert rss_mb < RSS_LIMIT_MB, f"{what}: peak RSS {rss_mb:.0f} MB"


HOSTILE = {
    "nested": nested(100_000),
    "huge-string": huge_string(2_000_000),
    "wrong-types": b'{"latitude": [1], "longitude": {}, "timestamp": 1e999, "lat": '
    + b"9" * 400
    + b', "text": null, "id": [], "date": {}, "messages": "x"}',
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_every_json_reader_survives_hostile_values(kind: str, tmp_path: Path) -> None:
    inputs = [
        str(hostile_copy(name, tmp_path / name, HOSTILE[kind], file)) for name, file in JSON_EXPORTS
    ]
    # every export in one process: its peak memory bounds each reader's
    check(*run_geoleak("infer", *inputs, "-o", str(tmp_path / "p.json"), "-q", cwd=tmp_path),
          f"infer on every export ({kind})")  # fmt: skip


@pytest.fixture(scope="module")
def hostile_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzzcli")
    folder = root / "ana"
    folder.mkdir()
    shutil.copyfile(BUNDLED_MEDIA / "mde_htc_desire.jpg", folder / "a.jpg")
    with contextlib.suppress(UnicodeEncodeError, OSError):
        shutil.copyfile(
            BUNDLED_MEDIA / "mde_apple_iphone4.jpg", folder / os.fsdecode(b"\xff\r.jpg")
        )
    os.mkfifo(folder / "photo.jpg")
    (folder / "loop").symlink_to("loop")
    (folder / "empty.heic").write_bytes(b"")
    (folder / "junk.jpg").write_bytes(b"\xff\xd8\xff\xe1" + b"\xff" * 70_000)
    lines = [
        json.dumps({"id": "1", "author": "x", "lat": 1e308 * 10, "lon": 1}),
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"id": "2", "author": "x", "text": "y" * 3_000_000}),
        '{"id": "3", "author": "x", "lat": ' + "9" * 400 + ', "lon": 1}',
        json.dumps({"id": "4", "author": "x", "media": ["/etc/passwd", "../../x.jpg", "ana/photo.jpg"]}),
        "\udcff not json".encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
    ]  # fmt: skip
    (root / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "nested.json").write_bytes(
        b'{"schema": "geoleak.profiles/1", "people": ' + nested(100_000) + b"}"
    )
    return root


COMMANDS = [
    ("infer", "ana", "posts.jsonl", "-o", "p.json"),
    ("scan", "ana", "-o", "scan.jsonl", "--force"),
    ("audit", "ana", "--json", "audit.json", "--html", "audit.html"),
    ("export", "ana", "posts.jsonl", "-o", "export", "--force"),
    ("report", "ana", "posts.jsonl", "-o", "report", "--no-plots", "--force"),
    ("map", "nested.json", "ana", "-o", "maps", "--force"),
    ("evaluate", "nested.json", "--truth", "posts.jsonl"),
    ("sites", "nested.json", "posts.jsonl"),
    ("scrub", "ana", "-o", "clean"),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args", COMMANDS, ids=[str(getattr(c, "values", [c])[0][0]) for c in COMMANDS]
)
def test_every_command_survives_a_hostile_folder(
    hostile_inputs: Path, args: tuple[str, ...]
) -> None:
    check(*run_geoleak(*args, cwd=hostile_inputs), " ".join(args))
