"""Scrubbing the real media corpus: no position left (exiftool as the independent judge),
image data untouched, originals safe, outputs verified."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from media_data import at_least, present, require

from geoleak.errors import OutputError
from geoleak.extract.media import read_media
from geoleak.remedy.iptc import IIM_FIELDS
from geoleak.remedy.model import Patch, ScanResult, ScrubOptions
from geoleak.remedy.scrub import residual_location, scan_file, scrub_file, scrub_paths
from geoleak.remedy.tiff import coarse_position

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(
    EXIFTOOL is None, reason="exiftool not installed (Debian libimage-exiftool-perl)"
)

# exiftool tag names that carry a position or a place (tags listed in NOT_A_PLACE are not).
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
    "LocationCreated",
    "LocationShown",
    "CreatorAddress",
    "PostalCode",
    "CiAdr",
)
NOT_A_PLACE = ("TimeZoneCity", "FocusLocation")


def exiftool_json(*paths: Path, extra: tuple[str, ...] = ()) -> list[dict[str, object]]:
    assert EXIFTOOL is not None
    proc = subprocess.run(
        [EXIFTOOL, "-json", "-a", "-G1", "-n", "-ee", "-m", "-q", "-q", *extra, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    return list(json.loads(proc.stdout or "[]"))


def leaked_positions(record: dict[str, object]) -> dict[str, object]:
    return {
        k: v
        for k, v in record.items()
        if any(w in k for w in POSITION_WORDS)
        and not any(n in k for n in NOT_A_PLACE)
        and str(v).strip() not in ("", "undef")
    }


@pytest.fixture(scope="session")
def scrubbed(shared_media: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("scrubbed")
    report = scrub_paths([shared_media], out)
    return out, report


def media_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() not in (".csv", ".md"))


@needs_exiftool
def test_exiftool_finds_no_position_in_any_scrubbed_file(
    shared_media: Path, scrubbed: tuple[Path, object]
) -> None:
    out, _ = scrubbed
    before = {
        Path(str(r["SourceFile"])).name: leaked_positions(r)
        for r in exiftool_json(*media_files(shared_media))
    }
    assert sum(1 for v in before.values() if v) >= at_least(shared_media, 40, 20), (
        "the corpus should hold many positions to remove"
    )
    after = {
        Path(str(r["SourceFile"])).name: leaked_positions(r)
        for r in exiftool_json(*media_files(out))
    }
    leaks = {name: tags for name, tags in after.items() if tags}
    assert leaks == {}
    # every file that had a position was written (cleaned), except the unparseable empty file
    for name, tags in before.items():
        if tags:
            assert (out / name).is_file(), f"{name} had a position and was not written"


def test_read_media_finds_no_position_and_capture_time_is_kept(
    shared_media: Path, scrubbed: tuple[Path, object]
) -> None:
    out, _ = scrubbed
    compared = 0
    for cleaned in media_files(out):
        original = read_media(shared_media / cleaned.name)
        meta = read_media(cleaned)
        assert meta.position is None, cleaned.name
        assert meta.capture_time == original.capture_time, cleaned.name
        compared += original.capture_time is not None
    assert compared >= at_least(shared_media, 30, 15)


def test_outputs_keep_length_and_modification_time(
    shared_media: Path, scrubbed: tuple[Path, object]
) -> None:
    out, report = scrubbed
    for cleaned in media_files(out):
        src = shared_media / cleaned.name
        assert cleaned.stat().st_size == src.stat().st_size, cleaned.name
        assert cleaned.stat().st_mtime_ns == src.stat().st_mtime_ns, cleaned.name
    failed = {Path(o.source).name for o in report.failed}  # type: ignore[attr-defined]
    assert failed == {"pheif_empty.heic"}
    assert not (out / "pheif_empty.heic").exists()


def _jpeg_scan_start(data: bytes) -> int:
    pos = 2
    while pos + 4 <= len(data):
        marker = data[pos + 1]
        if marker == 0xDA:
            return pos
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    return len(data)


def _png_image_chunks(data: bytes) -> bytes:
    pos, chunks = 8, b""
    while pos + 12 <= len(data):
        length, ctype = struct.unpack_from(">I4s", data, pos)
        if ctype in (b"IHDR", b"IDAT", b"PLTE", b"tRNS"):
            chunks += data[pos : pos + 12 + length]
        pos += 12 + length
    return chunks


def _webp_image_chunks(data: bytes) -> bytes:
    pos, chunks = 12, b""
    while pos + 8 <= len(data):
        ctype, size = struct.unpack_from("<4sI", data, pos)
        if ctype in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF", b"VP8X"):
            chunks += data[pos : pos + 8 + size]
        pos += 8 + size + (size & 1)
    return chunks


def test_compressed_image_data_is_byte_identical(
    shared_media: Path, scrubbed: tuple[Path, object]
) -> None:
    out, _ = scrubbed
    checked = 0
    for cleaned in media_files(out):
        a, b = (shared_media / cleaned.name).read_bytes(), cleaned.read_bytes()
        suffix = cleaned.suffix.lower()
        if suffix in (".jpg", ".jpeg", ".mpo"):
            start = _jpeg_scan_start(a)
            assert a[start:] == b[start:], cleaned.name  # SOS onward, incl. trailing images' data
            checked += 1
        elif suffix == ".png":
            assert _png_image_chunks(a) == _png_image_chunks(b), cleaned.name
            checked += 1
        elif suffix == ".webp":
            assert _webp_image_chunks(a) == _webp_image_chunks(b), cleaned.name
            checked += 1
    assert checked >= at_least(shared_media, 40, 20)


def test_changed_bytes_lie_only_in_metadata(shared_media: Path) -> None:
    """Every patch of a HEIC/AVIF/MP4/MOV/TIFF/DNG lies in a metadata block, never in image data."""
    for src in media_files(shared_media):
        if src.suffix.lower() not in (
            ".heic",
            ".heif",
            ".avif",
            ".mp4",
            ".mov",
            ".tif",
            ".tiff",
            ".dng",
            ".jxl",
        ):
            continue
        try:
            scan = scan_file(src)
        except Exception:
            continue
        protected = _image_data_ranges(src)
        for patch in scan.patches:
            for lo, hi in protected:
                assert patch.end <= lo or patch.offset >= hi, (src.name, patch.offset, lo, hi)


def _image_data_ranges(path: Path) -> list[tuple[int, int]]:
    """Ranges holding pixels: TIFF strips/tiles; HEIF image items; MP4 media data."""
    from PIL import Image

    ranges: list[tuple[int, int]] = []
    if path.suffix.lower() in (".tif", ".tiff", ".dng"):
        with Image.open(path) as im:
            tags = im.tag_v2
            for off_tag, len_tag in ((273, 279), (324, 325)):
                offs, lens = tags.get(off_tag), tags.get(len_tag)
                if offs and lens:
                    offs = offs if isinstance(offs, tuple) else (offs,)
                    lens = lens if isinstance(lens, tuple) else (lens,)
                    ranges += [(o, o + n) for o, n in zip(offs, lens, strict=False)]
        return ranges
    from geoleak.formats import isobmff

    data = path.read_bytes()
    for box in isobmff.iter_boxes(data, 0, len(data)):
        if box.type == b"mdat" and path.suffix.lower() in (".mp4", ".mov"):
            ranges.append((box.payload, box.end))
        if box.type == b"meta":
            children = isobmff.children(data, box, skip=4)
            iinf = next((c for c in children if c.type == b"iinf"), None)
            iloc = next((c for c in children if c.type == b"iloc"), None)
            if iinf and iloc:
                items = isobmff.parse_iinf(data, iinf)
                for item_id, (method, extents) in isobmff.parse_iloc(data, iloc).items():
                    kind = items[item_id].type if item_id in items else b""
                    if kind in (b"hvc1", b"av01", b"jpeg") and method == 0:
                        ranges += [(o, o + n) for o, n in extents]
    return ranges


def test_decoded_pixels_are_identical(shared_media: Path, scrubbed: tuple[Path, object]) -> None:
    from PIL import Image

    from geoleak.extract import media  # registers the HEIF opener when it uses Pillow

    del media
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    out, _ = scrubbed
    compared = 0
    for cleaned in media_files(out):
        if cleaned.suffix.lower() not in (
            ".jpg",
            ".jpeg",
            ".png",
            ".webp",
            ".tif",
            ".tiff",
            ".heic",
            ".heif",
            ".avif",
        ):
            continue
        try:
            with Image.open(shared_media / cleaned.name) as im:
                im.load()
                expected = hashlib.sha256(im.tobytes()).hexdigest()
        except Exception:
            continue
        with Image.open(cleaned) as im:
            im.load()
            assert hashlib.sha256(im.tobytes()).hexdigest() == expected, cleaned.name
        compared += 1
    assert compared >= at_least(shared_media, 40, 20)


def test_orientation_is_kept(shared_media: Path, scrubbed: tuple[Path, object]) -> None:
    from PIL import Image

    out, _ = scrubbed
    kept = 0
    for cleaned in media_files(out):
        if cleaned.suffix.lower() not in (".jpg", ".jpeg"):
            continue
        try:
            with Image.open(shared_media / cleaned.name) as im:
                before = im.getexif().get(0x0112)
            with Image.open(cleaned) as im:
                after = im.getexif().get(0x0112)
        except Exception:
            continue
        assert before == after, cleaned.name
        kept += before is not None
    assert kept >= at_least(shared_media, 10, 5)


@needs_exiftool
def test_all_identifying_removes_serials_and_owner(shared_media: Path, tmp_path: Path) -> None:
    names = present(
        shared_media,
        "mde_nikon_d5000_empty_exif_gps.jpg",
        "mde_aphotomanager_sidecar.xmp",
        "mde_issue600_altitude_only.jpg",
        "pheif_apple_iphonexs.heic",
        "exiftool_canon_350d_nogps.dng",
        "exiftool_canon_rebel_nogps.tif",
        "exiftool_gopro_hero6_negative_alt.jpg",
    )
    report = scrub_paths(
        [shared_media / n for n in names], tmp_path, ScrubOptions(all_identifying=True)
    )
    assert not report.failed
    for record in exiftool_json(*(tmp_path / n for n in names)):
        bad = {
            k: v
            for k, v in record.items()
            if any(
                w in k
                for w in (
                    "SerialNumber",
                    "OwnerName",
                    "Artist",
                    "CiAdr",
                    "ImageUniqueID",
                    "MediaUniqueID",
                )
            )
        }
        assert bad == {}, record["SourceFile"]
        assert leaked_positions(record) == {}
    # without the option the serial stays
    plain = scrub_paths([shared_media / names[0]], tmp_path / "plain")
    assert not plain.failed
    kept = exiftool_json(
        tmp_path / "plain" / names[0], extra=("-SerialNumber", "-CameraSerialNumber")
    )[0]
    assert any("SerialNumber" in k for k in kept)


@needs_exiftool
def test_a_creators_street_address_is_removed_by_default(
    shared_media: Path, tmp_path: Path
) -> None:
    """IPTC Core's creator address (street, city, postal code, country) says where a
    person lives or works: the default scrub removes it, keeps the contact's URL, and
    leaves every other field as it was (exiftool's reading)."""
    name = require(shared_media, "mde_issue600_altitude_only.jpg")[0].name
    report = scrub_paths([shared_media / name], tmp_path)
    assert not report.failed
    before, after = exiftool_json(shared_media / name, tmp_path / name)
    address = ("CiAdr", "CreatorAddress", "CreatorCity", "CreatorPostalCode", "CreatorCountry")
    assert any("Schwarzschild" in str(v) for v in before.values())
    assert not any("Schwarzschild" in str(v) or "85748" in str(v) for v in after.values())
    assert after["XMP-iptcCore:CreatorWorkURL"] == "http://www.spacetelescope.org/"

    def rest(record: dict[str, object]) -> dict[str, object]:
        return {
            k: v
            for k, v in record.items()
            if not k.startswith(("System:", "SourceFile", "ExifTool:", "GPS:"))
            and not any(a in k for a in address)
        }

    assert rest(after) == rest(before)


@pytest.mark.parametrize("km", [1.0, 10.0])
def test_coarsen_keeps_a_coarse_position_only(
    shared_media: Path, tmp_path: Path, km: float
) -> None:
    names = [
        "mde_apple_iphone4.jpg",
        "mde_apple_iphonex_issue473.webp",  # western hemisphere
        "pheif_samsung_galaxy_s25ultra.heic",
        *present(
            shared_media,
            "exifpy_kodak_cx7530_south.jpg",
            "synth_exiftool_png_gps_south_west.png",
            "mde_nokia_lumia800.jpg",  # XMP copy of the position
        ),
    ]
    report = scrub_paths([shared_media / n for n in names], tmp_path, ScrubOptions(coarsen_km=km))
    assert not report.failed, [o.error for o in report.failed]
    for name in names:
        original = read_media(shared_media / name).position
        coarse = read_media(tmp_path / name).position
        assert original is not None and coarse is not None, name
        assert coarse_position(original.lat, original.lon, km) == pytest.approx(
            (coarse.lat, coarse.lon), abs=1e-4
        )
        assert (coarse.lat < 0) == (original.lat < 0) or abs(coarse.lat) < 1e-9
        # the XMP copy of the position (Nokia) is removed, not left precise
        assert not [f for f in scan_file(tmp_path / name).location_findings if "XMP" in f.field], (
            name
        )
    if EXIFTOOL:
        for record in exiftool_json(*(tmp_path / n for n in names)):
            assert "GPS:GPSAltitude" not in record and "GPS:GPSTimeStamp" not in record


def test_dry_run_writes_nothing(shared_media: Path, tmp_path: Path) -> None:
    report = scrub_paths([shared_media / "mde_with_gps.mp4"], tmp_path / "out", dry_run=True)
    assert report.outcomes[0].status == "would-clean"
    assert [f.field for f in report.outcomes[0].removed] == ["QuickTime ©xyz (GPSCoordinates)"]
    assert not (tmp_path / "out").exists()


def test_existing_output_needs_force(shared_media: Path, tmp_path: Path) -> None:
    src = shared_media / "mde_htc_desire.jpg"
    (tmp_path / src.name).write_bytes(b"keep me")
    with pytest.raises(OutputError, match="--force"):  # before anything is written
        scrub_paths([src], tmp_path)
    assert (tmp_path / src.name).read_bytes() == b"keep me"
    assert scrub_paths([src], tmp_path, force=True).outcomes[0].status == "cleaned"
    assert read_media(tmp_path / src.name).position is None


def test_in_place_replaces_only_after_verification(shared_media: Path, tmp_path: Path) -> None:
    work = tmp_path / "photos" / "sub"
    work.mkdir(parents=True)
    for name in ("mde_htc_desire.jpg", "pheif_xiaomi_m2012k11ag.heic", "pheif_empty.heic"):
        shutil.copy2(shared_media / name, work / name)
    (work / "notes.txt").write_text("not media")
    mtime = (work / "mde_htc_desire.jpg").stat().st_mtime_ns
    report = scrub_paths([tmp_path / "photos"], None, in_place=True)
    statuses = {Path(o.source).name: o.status for o in report.outcomes}
    assert statuses == {
        "mde_htc_desire.jpg": "cleaned",
        "pheif_xiaomi_m2012k11ag.heic": "cleaned",
        "pheif_empty.heic": "failed",
        "notes.txt": "skipped",
    }
    assert read_media(work / "mde_htc_desire.jpg").position is None
    assert (work / "mde_htc_desire.jpg").stat().st_mtime_ns == mtime
    assert not list(work.glob("*.geoleak-tmp-*"))


def test_failed_verification_writes_no_output(
    shared_media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geoleak.remedy import scrub as scrub_module

    real = scrub_module.scan_file

    def no_patches(path: os.PathLike[str], options: ScrubOptions | None = None) -> ScanResult:
        result = real(path, options)
        result.patches = [Patch(0, b"\xff")]  # rewrites a byte with itself: nothing removed
        return result

    monkeypatch.setattr(scrub_module, "scan_file", no_patches)
    outcome = scrub_file(shared_media / "mde_apple_iphone4.jpg", tmp_path / "x.jpg")
    assert outcome.status == "failed" and "VERIFICATION FAILED" in (outcome.error or "")
    assert not (tmp_path / "x.jpg").exists()
    assert list(tmp_path.iterdir()) == []


def test_residual_location_reports_a_leak(shared_media: Path) -> None:
    problems = residual_location(shared_media / "mde_apple_iphone6_with_gps.mov")
    assert problems and "location" in problems[0].lower()
    assert residual_location(shared_media / "pillow_apple_iphone14promax_nogps.mpo") == []


def test_parallel_workers_give_the_same_outcomes_in_order(tmp_path: Path) -> None:
    from remedy_photos import fictional_folder

    folder = fictional_folder(tmp_path / "src")
    serial = scrub_paths([folder], tmp_path / "serial", workers=1)
    parallel = scrub_paths([folder], tmp_path / "parallel", workers=2)
    assert len(serial.outcomes) == len(parallel.outcomes) >= 24
    for a, b in zip(serial.outcomes, parallel.outcomes, strict=True):
        assert Path(a.source).name == Path(b.source).name
        assert (a.status, [f.field for f in a.removed]) == (b.status, [f.field for f in b.removed])
    for cleaned in (tmp_path / "parallel").iterdir():
        assert cleaned.read_bytes() == (tmp_path / "serial" / cleaned.name).read_bytes()


def test_coarsen_video_iso6709_keeps_a_coarse_position(shared_media: Path, tmp_path: Path) -> None:
    from geoleak.formats.iso6709 import parse_iso6709
    from geoleak.remedy.isobmff import coarsen_iso6709

    assert coarsen_iso6709(b"+51.41-000.08/", 5.0) is None  # too few decimals: removed instead
    names = ["mde_with_gps.mp4", "mde_apple_iphone6_with_gps.mov", "mde_flir_thermal_loci.mp4"]
    report = scrub_paths([shared_media / n for n in names], tmp_path, ScrubOptions(coarsen_km=5.0))
    assert not report.failed, [o.error for o in report.failed]
    for name in names:
        original = read_media(shared_media / name).position
        assert original is not None
        left = [f for f in scan_file(tmp_path / name).location_findings if f.position]
        if name.endswith("loci.mp4"):  # 3GPP loci is removed, not coarsened
            assert left == []
            continue
        assert len(left) == 1 and left[0].position is not None
        grid = coarse_position(original.lat, original.lon, 5.0)
        assert left[0].position == pytest.approx(grid, abs=1e-4)
        assert parse_iso6709(b"+32.1146+034.8387+000.000/") == (32.1146, 34.8387, 0.0)


def test_in_place_never_writes_through_a_symlink(shared_media: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.jpg"
    shutil.copy2(shared_media / "mde_htc_desire.jpg", target)
    before = target.read_bytes()
    link_dir = tmp_path / "links"
    link_dir.mkdir()
    (link_dir / "photo.jpg").symlink_to(target)
    report = scrub_paths([link_dir], None, in_place=True)
    assert report.outcomes[0].status == "failed"
    assert "symbolic link" in (report.outcomes[0].error or "")
    assert target.read_bytes() == before
    assert (link_dir / "photo.jpg").is_symlink()


def test_in_place_notes_other_hard_links(shared_media: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.jpg"
    shutil.copy2(shared_media / "mde_htc_desire.jpg", target)
    hard = tmp_path / "hard.jpg"
    os.link(target, hard)
    report = scrub_paths([target], None, in_place=True)
    assert report.outcomes[0].status == "cleaned"
    assert read_media(target).position is None
    assert any("hard link" in note for note in report.outcomes[0].notes)
    assert read_media(hard).position is not None  # said so in the notes


@needs_exiftool
@pytest.mark.parametrize("everything", [False, True])
def test_exiftool_validate_finds_no_new_problem(
    shared_media: Path, scrubbed: tuple[Path, object], tmp_path: Path, everything: bool
) -> None:
    """Scrubbing never makes a file's structure worse in exiftool's own validation."""
    out, _ = scrubbed
    if everything:  # IFD entries removed, IPTC retagged, maker notes dropped, times zeroed
        out = tmp_path / "all"
        options = ScrubOptions(all_identifying=True, drop_time=True, drop_orientation=True)
        assert len(scrub_paths([shared_media], out, options).failed) == 1

    def problems(folder: Path) -> dict[str, int]:
        records = exiftool_json(*media_files(folder), extra=("-validate",))
        counts = {}
        for rec in records:
            text = str(rec.get("ExifTool:Validate", rec.get("Validate", "OK")))
            # with -n exiftool gives "errors warnings minor" ("0 18 0"), else "18 Warnings"/"OK"
            counts[Path(str(rec["SourceFile"])).name] = sum(
                int(x) for x in text.split() if x.isdigit()
            )
        return counts

    before, after = problems(shared_media), problems(out)
    assert after
    assert sum(before.values()) > at_least(
        shared_media, 50, 20
    )  # the corpus is full of sloppy files: the check can fail
    worse = {name: (before[name], n) for name, n in after.items() if n > before[name]}
    assert worse == {}


@needs_exiftool
def test_iptc_fields_are_removed_and_the_digest_kept_current(
    shared_media: Path, tmp_path: Path
) -> None:
    names = require(
        shared_media,
        "exifpy_nikon_d70s_oserror.jpg",
        "exiftool_fujifilm_s1pro_gps.jpg",
        "exiftool_canon_rebel_nogps.tif",
    )
    names = [p.name for p in names]
    options = ScrubOptions(all_identifying=True, drop_time=True)
    report = scrub_paths([shared_media / n for n in names], tmp_path, options)
    assert not report.failed
    originals = {
        Path(str(r["SourceFile"])).name: r
        for r in exiftool_json(*(shared_media / n for n in names))
    }
    for record in exiftool_json(*(tmp_path / n for n in names)):
        name = Path(str(record["SourceFile"])).name
        iptc = {k for k in record if k.startswith("IPTC:")}
        removed = {f"IPTC:{field}" for field, _ in IIM_FIELDS.values()}
        assert {k for k in iptc & removed if str(record[k]).strip()} == set(), name
        assert "IPTC:CatalogSets" not in record  # the retagged datasets are defined by nobody
        assert "IPTCDigest" not in str(record.get("ExifTool:Warning", "")), name
        kept = {k for k in originals[name] if k.startswith("IPTC:")} - removed
        assert kept <= iptc, name  # other IPTC fields (captions, keywords) stay


def test_default_workers_are_the_idle_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    from geoleak.remedy import scrub as scrub_module

    monkeypatch.setattr(scrub_module, "available_cpus", lambda: 2)
    monkeypatch.setattr(scrub_module, "running_now", lambda: None)  # only the load average
    for load, expected in ((0.1, 2), (0.7, 1), (8.5, 1), (-1.0, 2)):
        monkeypatch.setattr(scrub_module.os, "getloadavg", lambda load=load: (load, 0.0, 0.0))
        assert scrub_module.idle_cpus() == expected


def test_a_load_that_has_just_ended_does_not_hold_a_worker_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from geoleak.remedy import scrub as scrub_module

    monkeypatch.setattr(scrub_module, "available_cpus", lambda: 2)
    monkeypatch.setattr(scrub_module.os, "getloadavg", lambda: (1.4, 1.0, 0.5))
    # the average still shows a job of the last minute; only this process runs now
    monkeypatch.setattr(scrub_module, "running_now", lambda: 1)
    assert scrub_module.idle_cpus() == 2
    # another task is running now: it counts
    monkeypatch.setattr(scrub_module, "running_now", lambda: 2)
    assert scrub_module.idle_cpus() == 1
    # a busy machine stays busy whatever the instant shows
    monkeypatch.setattr(scrub_module.os, "getloadavg", lambda: (8.5, 8.0, 8.0))
    monkeypatch.setattr(scrub_module, "running_now", lambda: 9)
    assert scrub_module.idle_cpus() == 1


def test_running_now_reads_the_fourth_field_of_loadavg(tmp_path: Path) -> None:
    from geoleak.remedy.scrub import running_now

    sample = tmp_path / "loadavg"
    sample.write_text("1.13 1.65 2.31 3/75 13017\n", encoding="ascii")
    assert running_now(str(sample)) == 3
    sample.write_text("garbage\n", encoding="ascii")
    assert running_now(str(sample)) is None
    assert running_now(str(tmp_path / "absent")) is None


def test_an_input_that_cannot_be_read_is_not_called_unwritable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A photo the user may not read (mode 000, another user's) is reported as such; it was
    reported as "cannot write OUTPUT", sending the user to check a writable folder."""
    from geoleak.remedy import scrub as scrub_module

    source = tmp_path / "locked.jpg"
    source.write_bytes(b"\xff\xd8\xff\xd9")
    real_map = scrub_module._map

    def refuse(path: Path) -> object:
        if path.name == "locked.jpg":
            raise PermissionError(13, "Permission denied", str(path))
        return real_map(path)

    monkeypatch.setattr(scrub_module, "_map", refuse)
    outcome = scrub_file(source, tmp_path / "out" / "locked.jpg")
    assert outcome.status == "failed"
    assert outcome.error == "cannot read: Permission denied"
    assert not (tmp_path / "out" / "locked.jpg").exists()


def test_a_scrubbed_copy_is_not_said_to_hold_what_was_emptied(
    shared_media: Path, tmp_path: Path
) -> None:
    """--all-identifying empties GoPro's APP6 (camera serial, media id) and InfiRay's sensor
    serials in place (the segment keeps its length); the audit of the clean copy listed them
    still, "GoPro APP6 (GPMF) [identifying]: camera serial number and media id", as if the
    serial were left. An emptied segment is reported no more; the original still is."""
    names = require(
        shared_media, "exiftool_gopro_hero6_negative_alt.jpg", "exiftool_infiray_p2_empty_gps.jpg"
    )
    opts = ScrubOptions(all_identifying=True)
    report = scrub_paths(names, tmp_path, opts)
    assert not report.failed
    fields = {"GoPro APP6 (GPMF)", "InfiRay sensor serial numbers"}
    before = {f.field for n in names for f in scan_file(n, opts).findings}
    assert fields <= before
    after = {f.field for n in names for f in scan_file(tmp_path / n.name, opts).findings}
    assert not fields & after
    assert b"C3221324657219" not in (tmp_path / names[0].name).read_bytes()  # the serial
