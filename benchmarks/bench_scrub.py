"""Scrub throughput and leftovers: geoleak vs exiftool vs mat2, in one run, same files.

    python benchmarks/bench_scrub.py [--media DIR] [--repeat N] [--json OUT]

Each tool cleans the same copies of the media corpus (default ../shared/testdata/media,
repeated N times in a temporary folder so timings are not dominated by start-up), plus a
generated corpus with one file per leak kind geoleak knows (GPS, coordinates in EXIF
UserComment / ImageDescription / XPComment, XMP dc:description, XMP packets in UTF-16, IPTC
caption, PNG text, JPEG comment, QuickTime comment, place names, a Takeout sidecar, a GPX
track, a GeoJSON):
- geoleak: `geoleak.remedy.scrub.scrub_paths` (including its verification pass), in one
  process (`geoleak`) and with one process per CPU (`geoleak-jN`); and the `geoleak scrub`
  command end to end (start-up and imports included, as a user runs it: `cmd-default` with
  its default workers, `cmd-j1` with `--jobs 1`), with bytecode cached as after an install;
- exiftool: one process, `exiftool -gps:all= -xmp:all= -o OUT/%d%f.%e` (its documented way to
  strip GPS), Debian libimage-exiftool-perl;
- mat2: one process over all files (Debian mat2), default (non-lightweight) mode.
geoleak and exiftool are timed `--rounds` times (best wall and best CPU seconds kept: on a
shared machine wall time follows the load, CPU time much less).
Then exiftool reads every output and the table shows which tool left a position (or a
place name) behind in which file. Files a tool refused to write count as "not written":
no leak, but no cleaned file either. Prints ratios against exiftool measured in this run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geoleak.remedy.scrub import scrub_paths  # noqa: E402

DEFAULT_MEDIA = REPO.parent / "shared" / "testdata" / "media"
POSITION_WORDS = (
    "Latitude",
    "Longitude",
    "GPSPosition",
    "GPSCoordinates",
    "LocationInformation",
    "City",
    "Country",
    "Province",
    "Sub-location",
)
NOT_A_PLACE = ("CiAdr", "CreatorCity", "CreatorCountry", "TimeZoneCity", "FocusLocation")


def leaks(paths: list[Path]) -> dict[str, list[str]]:
    """File name -> exiftool tags that still hold a position or place name."""
    if not paths:
        return {}
    out: dict[str, list[str]] = {}
    for chunk in range(0, len(paths), 200):
        proc = subprocess.run(
            [
                "exiftool",
                "-json",
                "-a",
                "-G1",
                "-n",
                "-ee",
                "-m",
                "-q",
                "-q",
                *map(str, paths[chunk : chunk + 200]),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        for rec in json.loads(proc.stdout or "[]"):
            tags = [
                f"{k}={v}"
                for k, v in rec.items()
                if any(w in k for w in POSITION_WORDS)
                and not any(n in k for n in NOT_A_PLACE)
                and str(v).strip() not in ("", "undef")
                and not _zero(v)  # 0.0 is "no location" (Takeout sidecars write it)
                and not k.startswith("Composite:")
            ]
            if tags:
                out[Path(rec["SourceFile"]).name] = tags
    return out


def _zero(value: object) -> bool:
    try:
        return float(str(value)) == 0.0
    except ValueError:
        return False


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif")


def _pixels(path: Path) -> str | None:
    """A hash of the decoded pixels, or None when Pillow cannot decode the file."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
            return hashlib.sha256(image.tobytes()).hexdigest()
    except Exception:  # truncated or exotic originals Pillow cannot decode
        return None


def pixels_changed(src: Path, out: Path, names: list[str]) -> tuple[int, int]:
    """(files whose decoded pixels differ from the original, files compared)."""
    changed = compared = 0
    for name in names:
        if not name.lower().endswith(IMAGE_SUFFIXES) or not (out / name).is_file():
            continue
        before = _pixels(src / name)
        if before is None:
            continue
        compared += 1
        changed += _pixels(out / name) != before
    return changed, compared


def prepare(media: Path, work: Path, repeat: int) -> tuple[Path, list[Path], int]:
    src = work / "in"
    src.mkdir()
    files = sorted(
        p for p in media.iterdir() if p.is_file() and p.suffix.lower() not in (".csv", ".md")
    )
    total = 0
    for i in range(repeat):
        for p in files:
            target = src / f"r{i}_{p.name}"
            shutil.copy2(p, target)
            total += p.stat().st_size
    return src, files, total


# coordinates planted in the generated corpus: a file still holding one of these leaks
PLANTED = ("43.68739", "85.48351", "69.6489", "18.9551", "48.1173", "11.5167", "-41.2865")


def make_leak_corpus(folder: Path) -> list[Path]:
    """One small file per leak kind (fictional positions, see PLANTED)."""
    import io
    import struct

    from PIL import Image, PngImagePlugin

    folder.mkdir(parents=True, exist_ok=True)
    coords = "Cabin. Latitude: 43.68739354 Longitude: -85.48351891"

    def jpeg(name: str, exif: Image.Exif | None = None, app: bytes = b"") -> None:
        out = io.BytesIO()
        Image.new("RGB", (32, 24), (90, 120, 30)).save(
            out, "JPEG", exif=exif.tobytes() if exif else b""
        )
        data = out.getvalue()
        (folder / name).write_bytes(data[:2] + app + data[2:])

    def seg(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body

    def exif_with(tag: int, value: object, ifd: int | None = None) -> Image.Exif:
        exif = Image.Exif()
        exif[0x010F] = "Fictocam"
        (exif.get_ifd(ifd) if ifd else exif)[tag] = value
        return exif

    gps = Image.Exif()
    gps[0x010F] = "Fictocam"
    g = gps.get_ifd(0x8825)
    g[1], g[2], g[3], g[4] = "N", (69.0, 38.0, 56.04), "E", (18.0, 57.0, 18.36)
    jpeg("gps.jpg", gps)
    jpeg("usercomment.jpg", exif_with(0x9286, b"ASCII\x00\x00\x00" + coords.encode(), 0x8769))
    jpeg("imagedescription.jpg", exif_with(0x010E, "Home at 69.6489, 18.9551"))
    jpeg("xpcomment.jpg", exif_with(0x9C9C, "geo:48.1173,11.5167\x00".encode("utf-16-le")))
    jpeg("comment.jpg", app=seg(0xFE, b"https://www.google.com/maps/@-41.2865,174.7762,15z"))
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'photoshop:City="Tromso"><dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
        + coords
        + "</rdf:li></rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    jpeg("xmp_description.jpg", app=seg(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp))
    wide = xmp.decode().replace('photoshop:City="Tromso"', 'xmlns:exif="http://ns.adobe.com/exif/1.0/" '
                                'exif:GPSLatitude="69,38.94N" exif:GPSLongitude="18,57.36E"')  # fmt: skip
    for encoding in ("utf-16-le", "utf-16-be"):  # (the XMP specification allows UTF-16)
        packet = wide.encode(encoding)
        jpeg(f"xmp_{encoding}.jpg", app=seg(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet))
    iim = b"".join(
        b"\x1c\x02" + bytes([ds]) + struct.pack(">H", len(v)) + v
        for ds, v in ((120, coords.encode()), (90, b"Tromso"))
    )
    irb = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00" * (len(iim) & 1)
    jpeg("iptc_caption.jpg", app=seg(0xED, b"Photoshop 3.0\x00" + irb))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Lat: 69.6489 Lon: 18.9551")
    info.add_itxt("Description", coords)
    Image.new("RGB", (32, 24), (10, 20, 30)).save(folder / "text.png", "PNG", pnginfo=info)

    def box(btype: bytes, payload: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(payload), btype) + payload

    def qt_text(text: str) -> bytes:
        return struct.pack(">HH", len(text.encode()), 0x15C7) + text.encode()

    udta = box(b"\xa9cmt", qt_text("Trailhead 48.1173, 11.5167")) + box(
        b"\xa9xyz", qt_text("+69.6489+018.9551/")
    )
    (folder / "comment.mov").write_bytes(
        box(b"ftyp", b"qt  \x00\x00\x00\x00qt  ")
        + box(b"moov", box(b"udta", udta))
        + box(b"mdat", b"\x00" * 64)
    )
    (folder / "IMG_1.JPG.json").write_text(
        json.dumps({"title": "IMG_1.JPG", "geoData": {"latitude": 69.6489, "longitude": 18.9551,
                    "altitude": 10.0, "latitudeSpan": 0.0, "longitudeSpan": 0.0}}, indent=2)
    )  # fmt: skip
    (folder / "walk.gpx").write_text(
        '<?xml version="1.0"?>\n<gpx version="1.1"><trk><trkseg><trkpt lat="-41.2865" '
        'lon="174.7762"/></trkseg></trk></gpx>\n'
    )
    (folder / "places.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
        '{"type": "Point", "coordinates": [11.5167, 48.1173]}}]}'
    )
    return sorted(folder.iterdir())


def text_leaks(paths: list[Path]) -> dict[str, list[str]]:
    """File name -> planted coordinates still found in its bytes (UTF-8 or UTF-16)."""
    out: dict[str, list[str]] = {}
    for path in paths:
        data = path.read_bytes()
        found = [c for c in PLANTED if c.encode() in data or c.encode("utf-16-le") in data]
        if found:
            out[path.name] = found
    return out


def audit_misses(corpus: Path, originals: dict[str, list[str]]) -> list[str]:
    """Files audit calls clean although exiftool or the text search finds a position."""
    from geoleak.remedy.audit import audit

    report = audit([corpus])
    called_clean = {Path(f.path).name for f in report.files if not f.leaks_location}
    return sorted(name for name in originals if name in called_clean)


def _command_env() -> dict[str, str]:
    """The environment for `geoleak` commands: bytecode cached as after `pip install`
    (a session that sets PYTHONDONTWRITEBYTECODE would otherwise compile every module in
    every run, which no installed copy does)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_geoleak_command(src: Path, out: Path, *extra: str) -> float:
    """`geoleak scrub SRC -o OUT -q` as a user runs it: start-up, imports, walk, report."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "geoleak", "scrub", str(src), "-o", str(out), "-q", *extra],
        capture_output=True,
        check=False,
        env=_command_env(),
    )
    return time.perf_counter() - started


def run_geoleak_command_j1(src: Path, out: Path) -> float:
    return run_geoleak_command(src, out, "--jobs", "1")


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run_geoleak(src: Path, out: Path) -> float:
    """geoleak in one process, like exiftool and mat2."""
    started = time.perf_counter()
    scrub_paths([src], out, workers=1)
    return time.perf_counter() - started


def run_geoleak_parallel(src: Path, out: Path) -> float:
    """geoleak --jobs N: one worker process per CPU."""
    started = time.perf_counter()
    scrub_paths([src], out, workers=os.cpu_count() or 1)
    return time.perf_counter() - started


def run_exiftool(src: Path, out: Path) -> float:
    out.mkdir()
    started = time.perf_counter()
    subprocess.run(
        ["exiftool", "-q", "-q", "-m", "-gps:all=", "-xmp:all=", "-o", f"{out}/%f.%e", str(src)],
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - started


def run_mat2(src: Path, out: Path) -> float:
    # mat2 writes NAME.cleaned.EXT beside each input: work on a copy, then move the results.
    shutil.copytree(src, out)
    inputs = sorted(out.iterdir())
    started = time.perf_counter()
    subprocess.run(["mat2", *map(str, inputs)], capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    for p in inputs:
        p.unlink()
    for cleaned in list(out.iterdir()):
        cleaned.rename(out / cleaned.name.replace(".cleaned", ""))
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    parser.add_argument("--repeat", type=int, default=5, help="copies of each file (default 5)")
    parser.add_argument("--json", type=Path, help="write the numbers and the table as JSON")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="timed runs of geoleak and exiftool, best kept (mat2, far slower, runs once)",
    )
    parser.add_argument("--no-mat2", action="store_true", help="leave mat2 out (it takes minutes)")
    args = parser.parse_args()
    if not args.media.is_dir():
        print(f"media folder not found: {args.media}", file=sys.stderr)
        return 2
    tools = {
        "geoleak": run_geoleak,
        f"geoleak-j{os.cpu_count() or 1}": run_geoleak_parallel,
        "cmd-default": run_geoleak_command,
        "cmd-j1": run_geoleak_command_j1,
    }
    if shutil.which("exiftool"):
        tools["exiftool"] = run_exiftool
    else:
        print(
            "exiftool not installed (apt-get install libimage-exiftool-perl): it is needed to judge leftovers",
            file=sys.stderr,
        )
        return 2
    if args.no_mat2:
        pass
    elif shutil.which("mat2"):
        tools["mat2"] = run_mat2
    else:
        print("mat2 not installed (apt-get install mat2): skipped", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench_scrub_") as tmp:
        work = Path(tmp)
        src, files, total_bytes = prepare(args.media, work, args.repeat)
        n_files = len(files) * args.repeat
        timings: dict[str, float] = {}
        cpu: dict[str, float] = {}
        written: dict[str, set[str]] = {}
        left: dict[str, dict[str, list[str]]] = {}
        lossy: dict[str, tuple[int, int]] = {}
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            pass
        for name, runner in tools.items():
            rounds = 1 if name == "mat2" else max(1, args.rounds)
            if name.startswith("cmd"):  # once untimed: writes the bytecode cache
                runner(src, work / f"{name}-warm")
                shutil.rmtree(work / f"{name}-warm")
            best = best_cpu = float("inf")
            for round_no in range(rounds):
                out = work / f"{name}-{round_no}"
                cpu_before = _cpu_seconds()
                best = min(best, runner(src, out))
                best_cpu = min(best_cpu, _cpu_seconds() - cpu_before)
                if round_no + 1 < rounds:
                    shutil.rmtree(out)
            timings[name] = best
            cpu[name] = best_cpu
            outputs = sorted(
                p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
            written[name] = {p.name for p in outputs}
            left[name] = leaks([p for p in outputs if p.name.startswith("r0_")])
            lossy[name] = pixels_changed(src, out, [f"r0_{p.name}" for p in files])
        originals = leaks([src / f"r0_{p.name}" for p in files])
        corpus = work / "corpus"
        corpus_files = make_leak_corpus(corpus)
        leaking = {**leaks(corpus_files), **text_leaks(corpus_files)}
        misses = audit_misses(corpus, {**leaks(corpus_files), **text_leaks(corpus_files)})
        corpus_rows = []
        for name, runner in tools.items():
            if name.startswith(("geoleak-j", "cmd")):
                continue
            out = work / f"corpus-{name}"
            runner(corpus, out)
            outputs = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
            by_exiftool = leaks(outputs)
            by_text = text_leaks(outputs)
            corpus_rows.append(
                (name, len(outputs), sorted(set(by_exiftool) | set(by_text)), by_exiftool, by_text)
            )

    print(f"{n_files} files ({len(files)} distinct x {args.repeat}), {total_bytes / 1e6:.1f} MB")
    print(
        "rows: geoleak = library scrub_paths, 1 process; geoleak-jN = library, N processes; "
        "cmd-default = the `geoleak scrub` command as shipped (start-up included, default "
        "workers); cmd-j1 = the command with --jobs 1"
    )
    print(
        f"{'tool':12} {'wall s':>7} {'files/s':>8} {'MB/s':>6} {'vs exiftool':>11} "
        f"{'CPU s':>6} {'CPU vs exiftool':>15} {'written':>7} {'leaks':>5}"
    )
    base, base_cpu = timings["exiftool"], cpu["exiftool"]
    for name, seconds in timings.items():
        n_written = sum(1 for f in written[name] if f.startswith("r0_"))
        print(
            f"{name:12} {seconds:7.2f} {n_files / seconds:8.1f} {total_bytes / 1e6 / seconds:6.1f} "
            f"{base / seconds:10.2f}x {cpu[name]:6.2f} {base_cpu / cpu[name]:14.2f}x "
            f"{n_written:7d} {len(left[name]):5d}"
        )
    print(
        "(wall: best of the rounds, on a shared machine it follows the load; CPU: user + "
        "system seconds of the run and its child processes, best of the rounds)"
    )
    print()
    print("Files whose original holds a position or place (exiftool); what each tool left behind:")
    shown = [t for t in tools if not t.startswith(("geoleak-j", "cmd"))]
    header = f"{'file':52} " + " ".join(f"{t:>11}" for t in shown)
    print(header)
    rows = []
    for fname in sorted(originals):
        cells = {}
        for tool in tools:
            if fname not in written[tool]:
                cells[tool] = "not written"
            elif fname in left[tool]:
                cells[tool] = "LEAK"
            else:
                cells[tool] = "clean"
        rows.append({"file": fname[3:], **cells, "original": originals[fname][:3]})
        print(f"{fname[3:]:52} " + " ".join(f"{cells[t]:>11}" for t in shown))
    for tool in tools:
        n_leak = sum(1 for r in rows if r[tool] == "LEAK")
        changed, compared = lossy[tool]
        print(
            f"{tool}: {n_leak} of {len(rows)} files with a position still leak; "
            f"decoded pixels changed in {changed} of {compared} images it wrote"
        )
    print()
    print(
        f"Generated corpus: {len(corpus_files)} files, {len(leaking)} hold a position "
        "(exiftool's reading or the planted coordinate text)"
    )
    print(f"audit calls clean {len(misses)} of them{': ' + ', '.join(misses) if misses else ''}")
    for name, n_out, still, by_exiftool, by_text in corpus_rows:
        print(
            f"{name:10} wrote {n_out:3d}; still leaking {len(still)} "
            f"(exiftool {len(by_exiftool)}, coordinate text {len(by_text)})"
            + (f": {', '.join(still)}" if still else "")
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "files": n_files,
                    "bytes": total_bytes,
                    "seconds": timings,
                    "speedup_vs_exiftool": {t: base / s for t, s in timings.items()},
                    "cpu_seconds": cpu,
                    "cpu_speedup_vs_exiftool": {t: base_cpu / c for t, c in cpu.items()},
                    "leftovers": rows,
                    "pixels_changed": {
                        t: {"changed": c, "compared": n} for t, (c, n) in lossy.items()
                    },
                    "leak_detail": {t: {k[3:]: v for k, v in left[t].items()} for t in tools},
                    "corpus": {
                        "files": len(corpus_files),
                        "leaking": sorted(leaking),
                        "audit_called_clean": misses,
                        "still_leaking": {row[0]: row[2] for row in corpus_rows},
                    },
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
