"""Metadata-reading throughput: geoleak vs exiftool, exifread and Pillow on the same files.

    python benchmarks/bench_scan.py                 # 10,000 files: 5,000 JPEG + 5,000 HEIC
    python benchmarks/bench_scan.py --files 20000 --workers 2
    python benchmarks/bench_scan.py --files 4000 --gps-only --baseline main --sets heic
    python benchmarks/bench_scan.py --files 4000 --gps-only --baseline main --repeat 3

Builds a temporary folder by copying the real samples in ../shared/testdata/media (JPEG
and HEIC sets, each of at least `--files / 2` files), warms the page cache, then times in
one run, per set:

* geoleak: `scan_paths` (library, all workers) and the `geoleak scan` command end to end
  (process start, folder walk, JSONL written);
* exiftool: `exiftool -n -fast2 -j` with the GPS and date tags (one process, the way it is
  normally run on a folder);
* exifread alone (`exifread.process_file(details=False)`, one core);
* Pillow alone (`Image.open(...).getexif()` + GPS IFD, pillow-heif for HEIC, one core);

and prints files/s, geoleak's ratio to each (library and command; the command's rate also
without its fixed start-up cost, printed separately), and geoleak's peak memory (max RSS of the
`geoleak scan` process tree) for the set and for a set twice as large, to show it is flat.
The command is also timed with one worker (the issue's "2 workers no slower than 1").

`--gps-only`: only samples that REFERENCE.csv says carry GPS (the issue's "real GPS-tagged
HEIC"). `--baseline REV`: the `geoleak scan` command of git revision REV (a `git archive`
of it run from a temporary folder) is timed in the same run, on the same files, so a
change's before and after share the machine's load. `--repeat N`: each item is run N times
and its least wall and least CPU time are kept (a loaded machine moves one run by +-30 %).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
MEDIA = REPO.parent / "shared" / "testdata" / "media"
EXIFTOOL_TAGS = ["-GPSLatitude", "-GPSLongitude", "-GPSAltitude", "-DateTimeOriginal",
                 "-OffsetTimeOriginal", "-CreateDate", "-GPSDateTime"]  # fmt: skip


def _samples(suffixes: tuple[str, ...], gps_only: bool = False) -> list[Path]:
    located = None
    if gps_only:
        with (MEDIA / "REFERENCE.csv").open(newline="") as handle:
            located = {row["file"] for row in csv.DictReader(handle) if row["has_gps"] == "1"}
    return sorted(
        p for p in MEDIA.iterdir()
        if p.suffix.lower() in suffixes and not p.name.startswith(("truncated_", "pheif_empty"))
        and p.stat().st_size > 0 and (located is None or p.name in located)
    )  # fmt: skip


def build_set(root: Path, name: str, samples: list[Path], count: int) -> Path:
    folder = root / name
    folder.mkdir()
    for i in range(count):
        src = samples[i % len(samples)]
        sub = folder / f"d{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        shutil.copyfile(src, sub / f"{i:06d}_{src.name}")
    return folder


def link_set(root: Path, name: str, source: Path, copies: int) -> Path:
    """A larger set for the memory check: hard links to an existing set's files."""
    folder = root / name
    for k in range(copies):
        for src in source.rglob("*"):
            if src.is_file():
                dest = folder / f"c{k}" / src.relative_to(source)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.link(src, dest)
    return folder


def files_of(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.is_file())


def warm(paths: list[str]) -> None:
    for p in paths:
        with open(p, "rb") as handle:
            while handle.read(1 << 20):
                pass


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its finished children (workers, commands)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


_cpu_of_last_run = 0.0
REPEAT = 1  # runs of each timed item (--repeat); the least wall and the least CPU are kept
T = TypeVar("T")


def timed(func: Callable[[], T]) -> tuple[float, T]:
    """Least wall seconds of `REPEAT` runs of `func` and its result; the least CPU seconds
    of a run go to `_cpu_of_last_run` (on a shared machine the least is the run that other
    load disturbed least)."""
    global _cpu_of_last_run  # noqa: PLW0603  (a benchmark script's one piece of state)
    best_wall = best_cpu = float("inf")
    for _ in range(REPEAT):
        cpu = _cpu_seconds()
        start = time.perf_counter()
        n = func()
        best_wall = min(best_wall, time.perf_counter() - start)
        best_cpu = min(best_cpu, _cpu_seconds() - cpu)
    _cpu_of_last_run = best_cpu
    return best_wall, n


def _command_env() -> dict[str, str]:
    """Bytecode cached as after `pip install` (a session with PYTHONDONTWRITEBYTECODE set
    would compile every module in every run, which no installed copy does)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _count_copies(paths: list[str]) -> Any:
    from geoleak.extract.scan import ContentDuplicates

    copies = ContentDuplicates()
    for path in paths:
        copies.note(path)
    return copies


def run_geoleak_lib(folder: Path, workers: int) -> int:
    from geoleak.extract.scan import scan_paths

    return sum(1 for _ in scan_paths([str(folder)], workers=workers))


# runs a command and prints the peak RSS (KiB) of the largest process in its tree
_PEAK_WRAPPER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def run_geoleak_cli(
    folder: Path, workers: int, out: Path, code: Path | None = None
) -> tuple[int, float]:
    """Files read by `geoleak scan` (of the package in `code`, default the installed one),
    and peak RSS (MiB) of its largest process."""
    cmd = [sys.executable, "-m", "geoleak", "scan", str(folder), "-o", str(out), "--force",
           "-q", "--workers", str(workers)]  # fmt: skip
    env = _command_env()
    if code is not None:
        env["PYTHONPATH"] = str(code)
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_WRAPPER, *cmd], check=True, capture_output=True, text=True,
        env=env, cwd=code or None,
    )  # fmt: skip
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    with out.open() as handle:
        n = sum(1 for _ in handle)
    return n, peak_kib / 1024


def run_exiftool(folder: Path) -> int:
    cmd = ["exiftool", "-n", "-fast2", "-j", "-r", "-q", "-q", *EXIFTOOL_TAGS, str(folder)]
    out = subprocess.run(cmd, capture_output=True, check=False).stdout
    return out.count(b'"SourceFile"')


def run_exifread(paths: list[str]) -> int:
    import logging

    import exifread

    logging.getLogger("exifread").setLevel(logging.CRITICAL)
    n = 0
    for p in paths:
        with open(p, "rb") as handle, contextlib.suppress(Exception):
            exifread.process_file(handle, details=False)
        n += 1
    return n


def run_pillow(paths: list[str]) -> int:
    import warnings

    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    warnings.simplefilter("ignore")
    n = 0
    for p in paths:
        try:
            with Image.open(p) as image:
                exif = image.getexif()
                exif.get_ifd(0x8825)
        except Exception:
            pass
        n += 1
    return n


def checkout(rev: str, into: Path) -> Path:
    """The package at git revision `rev`, unpacked into `into` (bytecode compiled once)."""
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "geoleak"],
                             check=True, capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into / "geoleak")], check=True)
    return into


def bench_set(
    name: str, folder: Path, workers: int, tmp: Path, big: Path | None,
    baseline: tuple[str, Path] | None = None,
) -> None:  # fmt: skip
    paths = files_of(folder)
    warm(paths)
    n_files = len(paths)
    results: dict[str, float] = {}
    print(f"\n== {name}: {n_files} files ({sum(os.path.getsize(p) for p in paths) / 1e6:.0f} MB)")

    cpu_rate: dict[str, float] = {}  # files per CPU second
    secs, n = timed(lambda: run_geoleak_lib(folder, workers))
    assert n == n_files, (n, n_files)
    results["geoleak (library)"] = n / secs
    cpu_rate["geoleak (library)"] = n / _cpu_of_last_run
    subprocess.run(
        [sys.executable, "-m", "geoleak", "--version"],
        check=True,
        capture_output=True,
        env=_command_env(),
    )  # fmt: skip  (bytecode written)
    secs, (n, peak_mib) = timed(lambda: run_geoleak_cli(folder, workers, tmp / f"{name}.jsonl"))
    results["geoleak scan (command)"] = n / secs
    cpu_rate["geoleak scan (command)"] = n / _cpu_of_last_run
    command_secs = secs
    assert n == n_files, (n, n_files)
    startup, _ = timed(lambda: subprocess.run([sys.executable, "-m", "geoleak", "--version"],
                                              check=True, capture_output=True, env=_command_env()))  # fmt: skip
    startup_cpu = _cpu_of_last_run
    if command_secs > startup:
        results["geoleak scan minus start-up"] = n / (command_secs - startup)
    if workers != 1:
        secs, (n, _) = timed(lambda: run_geoleak_cli(folder, 1, tmp / f"{name}-1.jsonl"))
        results["geoleak scan --workers 1"] = n / secs
        cpu_rate["geoleak scan --workers 1"] = n / _cpu_of_last_run
    if baseline is not None:
        rev, code = baseline
        label = f"geoleak scan at {rev[:12]}"
        secs, (n, _) = timed(
            lambda: run_geoleak_cli(folder, workers, tmp / f"{name}-b.jsonl", code)
        )
        results[label] = n / secs
        cpu_rate[label] = n / _cpu_of_last_run
    if shutil.which("exiftool"):
        secs, n = timed(lambda: run_exiftool(folder))
        results["exiftool -n -fast2 -j"] = n / secs
        cpu_rate["exiftool -n -fast2 -j"] = n / _cpu_of_last_run
    else:
        print("   exiftool not found (apt-get install libimage-exiftool-perl): skipped")
    secs, n = timed(lambda: run_exifread(paths))
    results["exifread (1 core)"] = n / secs
    cpu_rate["exifread (1 core)"] = n / _cpu_of_last_run
    secs, n = timed(lambda: run_pillow(paths))
    results["Pillow getexif (1 core)"] = n / secs
    cpu_rate["Pillow getexif (1 core)"] = n / _cpu_of_last_run

    ours = results["geoleak (library)"]
    command = results["geoleak scan (command)"]
    print("   wall: files per second; CPU: files per CPU second (user + system, all processes)")
    for label, rate in results.items():
        ratio = ""
        if not label.startswith("geoleak"):
            ratio = f"   geoleak is {ours / rate:6.1f}x (command: {command / rate:5.1f}x)"
        per_cpu = f"{cpu_rate[label]:7.0f}/CPU s" if label in cpu_rate else " " * 13
        print(f"   {label:<29} {rate:9.0f} files/s {per_cpu}{ratio}")
    if "exiftool -n -fast2 -j" in cpu_rate:
        base = cpu_rate["exiftool -n -fast2 -j"]
        ours_cpu = ", ".join(f"{label.removeprefix('geoleak ')} {rate / base:.1f}x"
                             for label, rate in cpu_rate.items() if label.startswith("geoleak"))  # fmt: skip
        print(f"   by CPU seconds, against exiftool -fast2: {ours_cpu} "
              f"(load average now {os.getloadavg()[0]:.1f})")  # fmt: skip
    print(f"   geoleak command start-up (imports, `geoleak --version`): {startup:.2f} s, "
          f"{startup_cpu:.2f} CPU s")  # fmt: skip
    print(f"   geoleak scan peak memory (largest process): {peak_mib:.0f} MiB")
    # The set is copies of a few samples: every file shares its size with another, so the
    # command's duplicate count looks at all of them (its worst case; distinct sizes cost a
    # stat): each is compared with the first file of its size, hashed only when it differs.
    _, copies = timed(lambda: _count_copies(paths))
    print(f"   counting duplicates alone, in one process (every file compared, worst case): "
          f"{_cpu_of_last_run:.2f} CPU s = "
          f"{100 * _cpu_of_last_run / (n_files / cpu_rate['geoleak scan (command)']):.0f}% of the "
          f"command's CPU; {copies.duplicates} of {n_files} files are copies, "
          f"{copies.hashed} hashed")  # fmt: skip
    if big is not None:
        warm(files_of(big))
        n, big_peak = run_geoleak_cli(big, workers, tmp / f"{name}-big.jsonl")
        print(f"   with {n} files: {big_peak:.0f} MiB (flat if close to the line above)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--files", type=int, default=10_000, help="total files (half JPEG, half HEIC)"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-memory-check", action="store_true",
                        help="skip the second, twice-as-large set used to show flat memory")  # fmt: skip
    parser.add_argument("--gps-only", action="store_true",
                        help="only samples with GPS (REFERENCE.csv has_gps=1)")  # fmt: skip
    parser.add_argument("--sets", default="jpeg,heic", help="sets to run (jpeg, heic)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also time `geoleak scan` of this git revision (e.g. main)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each item, the least wall and CPU time kept (a loaded machine)")  # fmt: skip
    args = parser.parse_args()
    global REPEAT  # noqa: PLW0603
    REPEAT = max(1, args.repeat)
    if not MEDIA.is_dir():
        sys.exit(f"sample media not found at {MEDIA}")
    half = max(1, args.files // 2)
    print(f"geoleak scan benchmark: {args.files} files, {args.workers} workers, "
          f"{os.cpu_count()} CPUs, best of {REPEAT}; load average {os.getloadavg()[0]:.1f}; "
          f"files copied from {MEDIA}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="geoleak-bench-") as tmp_name:
        tmp = Path(tmp_name)
        sets = {
            "jpeg": _samples((".jpg", ".jpeg"), args.gps_only),
            "heic": _samples((".heic", ".heif"), args.gps_only),
        }
        baseline = None
        if args.baseline:
            code = checkout(args.baseline, tmp / "baseline")
            baseline = (args.baseline, code)
        for name, samples in sets.items():
            if name not in args.sets.split(","):
                continue
            print(f"   {name}: {len(samples)} samples: {', '.join(p.name for p in samples)}")
            folder = build_set(tmp, name, samples, half)
            big = None
            if not args.no_memory_check:
                big = link_set(tmp, f"{name}-x2", folder, 2)
            bench_set(name, folder, args.workers, tmp, big, baseline)
            shutil.rmtree(folder)
            if big is not None:
                shutil.rmtree(big)


if __name__ == "__main__":
    main()
