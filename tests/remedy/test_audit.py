"""Audit of a fictional person's photo folder: exposure, inferred home, files near it."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image
from PIL.TiffImagePlugin import IFDRational as R
from remedy_photos import HOME, WORK, dms, fictional_folder, photo

from geoleak.cli import main
from geoleak.extract.media import read_media
from geoleak.geometry import haversine_m
from geoleak.remedy.audit import audit, write_audit_html
from geoleak.remedy.documents import document_findings
from geoleak.remedy.model import Unsupported
from geoleak.remedy.scrub import scrub_paths
from geoleak.types import LatLon, PlaceKind


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fictional_folder(tmp_path_factory.mktemp("audit"))


def test_audit_finds_home_and_the_files_that_give_it_away(folder: Path) -> None:
    report = audit([folder])
    assert len(report.files) == 37
    assert len(report.located_files) == 36
    assert report.leaks
    assert report.serials == ["SN-FICTION-0001"]
    assert report.devices.most_common(1)[0][1] == 37
    span = report.time_span
    assert span is not None and span[0].day == 2 and span[1].day == 22
    places = {p.kind: p for _, p in report.places()}
    assert PlaceKind.HOME in places
    assert haversine_m(places[PlaceKind.HOME].position, LatLon(*HOME)) < 100
    revealing = report.most_revealing
    assert {Path(f.path).name for f in revealing} >= {f"home_{d:02d}.jpg" for d in range(21)}
    assert all(d <= 200 for f in revealing for _, _, d in f.near)
    assert not any(
        Path(f.path).name.startswith("work") and any(k == "home" for _, k, _ in f.near)
        for f in revealing
    )
    fields = {name for name, _, _ in report.fields_to_remove}
    assert {"EXIF GPS", "EXIF BodySerialNumber"} <= fields
    lines = "\n".join(report.summary_lines())
    assert "SN-FICTION-0001" in lines and "home" in lines
    if PlaceKind.BASE in places:
        assert haversine_m(places[PlaceKind.BASE].position, LatLon(*WORK)) < 400


def test_audit_after_scrub_finds_no_position(folder: Path, tmp_path: Path) -> None:
    scrub_paths([folder], tmp_path / "clean")
    report = audit([tmp_path / "clean"])
    assert report.located_files == [] and not report.leaks
    assert report.places() == []
    # the serial is kept unless --all-identifying
    assert report.serials == ["SN-FICTION-0001"]
    scrub_paths([folder], tmp_path / "anon", all_identifying_options())
    assert audit([tmp_path / "anon"]).serials == []


def all_identifying_options():  # type: ignore[no-untyped-def]
    from geoleak.remedy.model import ScrubOptions

    return ScrubOptions(all_identifying=True)


def test_audit_html_and_json(folder: Path, tmp_path: Path) -> None:
    report = audit([folder])
    written = write_audit_html(report, tmp_path / "audit.html")
    page = written[0].read_text(encoding="utf-8")
    assert ("home_00.jpg" in page and "kari-maps" not in page) or "audit-maps/index.html" in page
    assert (tmp_path / "audit-maps" / "index.html").is_file()
    data = report.to_json()
    assert data["files_with_position"] == 36 and data["places"]
    json.dumps(data)


def test_audit_html_maps_are_written_whole_or_not_at_all(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`audit --html` wrote its maps straight into `<name>-maps/`: a run stopped while it
    wrote them (Ctrl-C, a full disk) left an index.html that opens as if the audit had
    finished, or last run's maps mixed with this run's. Now the maps are staged and moved
    in whole, then the page: a failure leaves neither, and no staging folder."""
    import geoleak.report.maps

    report = audit([folder])
    real = geoleak.report.maps.write_maps

    def writes_then_fails(*a: Any, **k: Any) -> Any:
        real(*a, **k)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(geoleak.report.maps, "write_maps", writes_then_fails)
    with pytest.raises(OSError, match="No space"):
        write_audit_html(report, tmp_path / "audit.html")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(geoleak.report.maps, "write_maps", real)
    written = write_audit_html(report, tmp_path / "audit.html")
    assert written[0] == tmp_path / "audit.html" and len(written) > 1
    assert all(p.is_file() and p.parent.name == "audit-maps" for p in written[1:])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit-maps", "audit.html"]


def test_cli_audit_fail_on_leak(folder: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["audit", str(folder), "--fail-on-leak", "--json", str(tmp_path / "a.json")]
    )
    assert result.exit_code == 1, result.output
    assert "give away a position" in result.output
    assert json.loads((tmp_path / "a.json").read_text())["leaks"] is True
    clean = tmp_path / "clean"
    assert runner.invoke(main, ["scrub", str(folder), "-o", str(clean), "-q"]).exit_code == 0
    result = runner.invoke(main, ["audit", str(clean), "--fail-on-leak", "-q"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0 of 37 files")


SIDECAR = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description
 xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
 exif:GPSLatitude="59,54.5000N" exif:GPSLongitude="10,44.2500E"
 photoshop:City="Oslo"/></rdf:RDF></x:xmpmeta>
"""


def test_audit_reads_xmp_sidecars_as_scan_and_scrub_do(tmp_path: Path) -> None:
    """An XMP sidecar carries a position (scan reports it, scrub cleans it): audit lists it,
    alone in a folder, beside its photo, or named on its own, and --fail-on-leak fails."""
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "IMG_0001.xmp").write_text(SIDECAR, encoding="utf-8")
    runner = CliRunner()
    for target in (alone, alone / "IMG_0001.xmp"):
        result = runner.invoke(main, ["audit", str(target), "--fail-on-leak", "--json", "-"])
        assert result.exit_code == 1, result.output
        doc = json.loads(result.output)
        assert doc["files_with_position"] == 1 and doc["leaks"]
        (item,) = doc["per_file"]
        assert item["path"].endswith("IMG_0001.xmp")
        assert item["position"] == pytest.approx([59.908333, 10.7375])
        assert {"XMP exif:GPSLatitude", "XMP photoshop:City"} <= {
            f["field"] for f in item["fields"]
        }
    lines = "\n".join(audit([alone]).summary_lines())
    assert "1 gives away a position" in lines and "no location found" not in lines
    beside = tmp_path / "beside"
    beside.mkdir()
    (beside / "IMG_0002.xmp").write_text(SIDECAR, encoding="utf-8")
    (beside / "IMG_0002.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    report = audit([beside])
    assert "IMG_0002.xmp" in {Path(f.path).name for f in report.located_files}
    assert ("XMP exif:GPSLatitude", "location", 1) in report.fields_to_remove
    scrub_paths([beside], tmp_path / "clean")
    assert not audit([tmp_path / "clean"]).leaks


def test_the_summary_counts_sidecars_and_tracks_as_what_they_are(tmp_path: Path) -> None:
    """A sidecar named alone was "1 media file" above "0 posts of 0 people read" (no post
    was looked for); beside a photo, or a GPX track beside it, "2 media files"."""
    sidecar = tmp_path / "IMG_0001.xmp"
    sidecar.write_text(SIDECAR, encoding="utf-8")
    lines = audit([sidecar]).summary_lines()
    assert lines[0] == "1 XMP sidecar; 1 gives away a position or place (100%)"
    assert not [line for line in lines if "posts" in line or "media file" in line]
    folder = tmp_path / "trip"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(photo(*HOME, datetime(2024, 5, 1, 21, 0)))
    (folder / "b.xmp").write_text(SIDECAR, encoding="utf-8")
    (folder / "walk.gpx").write_text(
        '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        '<trkpt lat="59.9" lon="10.7"><time>2024-05-02T08:00:00Z</time></trkpt>'
        '<trkpt lat="59.91" lon="10.71"><time>2024-05-02T08:30:00Z</time></trkpt>'
        "</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    lines = audit([folder]).summary_lines()
    assert lines[0] == (
        "1 media file, 1 XMP sidecar, 1 track or location file; 3 give away a position or "
        "place (100%)"
    )
    assert lines[1].startswith("3 posts of 1 person read")  # the photo and the track's two


def test_a_fit_activity_without_gps_is_not_called_a_leak(tmp_path: Path) -> None:
    """An indoor ride's FIT file holds no position (the tracks reader says so): audit does
    not count it among the files that give one away, and scrub does not claim it holds
    positions; a FIT with GPS, or one cut short before any position, still counts."""
    import shutil
    from datetime import datetime, timezone

    from fit_writer import write_fit
    from media_data import real_file

    from geoleak.remedy.scrub import scan_file

    folder = tmp_path / "watch"
    folder.mkdir()
    indoor = real_file("tracks", "fitdecode", "sample-activity-indoor-trainer.fit")
    shutil.copy(indoor, folder / "indoor.fit")
    ride = write_fit([(59.91, 10.75, datetime(2024, 5, 1, 7, tzinfo=timezone.utc))] * 3)
    (folder / "ride.fit").write_bytes(ride)
    (folder / "cut.fit").write_bytes(ride[:40])  # its records are gone: not known, not clean
    report = audit([folder])
    assert sorted(Path(f.path).name for f in report.located_files) == ["cut.fit", "ride.fit"]
    with pytest.raises(Unsupported, match="FIT activity without GPS"):
        scan_file(folder / "indoor.fit")


def test_audit_html_never_overwrites_a_folder_of_the_users(folder: Path, tmp_path: Path) -> None:
    """--html writes its maps into <name>-maps/ beside the page: a folder of that name that
    geoleak did not write is refused before anything is read (it was overwritten)."""
    maps = tmp_path / "audit-maps"
    maps.mkdir()
    (maps / "index.html").write_text("my own page", encoding="utf-8")
    page = str(tmp_path / "audit.html")
    runner = CliRunner()
    result = runner.invoke(main, ["audit", str(folder), "--html", page, "-q"])
    assert result.exit_code == 2 and "audit-maps: folder is not empty" in result.output
    assert (maps / "index.html").read_text(encoding="utf-8") == "my own page"
    assert not (tmp_path / "audit.html").exists()
    result = runner.invoke(main, ["audit", str(folder), "--html", page, "-q", "--force"])
    assert result.exit_code == 0, result.output
    # the page is a file: a rerun replaces it only with --force
    result = runner.invoke(main, ["audit", str(folder), "--html", page, "-q"])
    assert result.exit_code == 2 and f"{page}: already exists (use --force" in result.output
    # the maps folder is geoleak's own now: a new page beside it needs no --force
    (tmp_path / "audit.html").unlink()
    result = runner.invoke(main, ["audit", str(folder), "--html", page, "-q"])
    assert result.exit_code == 0, result.output


def test_a_gopro_videos_gps_is_not_called_exif(tmp_path: Path) -> None:
    """A GoPro's positions come from its GPMF telemetry track: the summary, the map popups
    and the report's advice name them so, not "EXIF GPS" (nor the rest of the track a
    location history); photos' EXIF GPS is still called that."""
    from media_data import real_file

    from geoleak.report.maps import source_label
    from geoleak.types import EvidenceSource

    folder = tmp_path / "gopro"
    folder.mkdir()
    video = real_file("video", "gopro", "karma.mp4", bundled_as="gpmfonly_karma.mp4")
    (folder / "karma.mp4").write_bytes(video.read_bytes())
    report = audit([folder])
    evidence_line = next(line for line in report.stats_lines if line.startswith("evidence:"))
    assert "EXIF" not in evidence_line, evidence_line
    assert "GoPro GPMF video GPS in 1 file" in evidence_line
    assert "video-track points" in evidence_line
    found = report.evidence["gopro"]
    assert {source_label(e) for e in found} == {
        "GPS in the video's own metadata",
        "the video's GPS track",
    }
    result = CliRunner().invoke(main, ["report", str(folder), "-o", str(tmp_path / "r"), "-q"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "photos carry GPS" not in page
    assert "1 videos carry GPS in their own metadata" in page
    photo = next(e for e in found if e.source is EvidenceSource.EXIF)
    assert source_label(replace(photo, media_path="a.jpg")) == "EXIF GPS in the photo"
    photos = audit([fictional_folder(tmp_path / "photos")])
    assert any("EXIF GPS positions in media" in line for line in photos.stats_lines)


def test_audit_decodes_each_fit_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tracks reader decodes every record of a FIT file; the audit's look at the same
    file reuses what it found (FIT decoding is pure Python: the costliest part of auditing
    a watch's folder), and says the same of each file as it did decoding it twice."""
    import shutil
    from datetime import datetime, timezone

    import fitdecode
    from fit_writer import write_fit
    from media_data import real_file

    folder = tmp_path / "watch"
    folder.mkdir()
    shutil.copy(
        real_file("tracks", "fitdecode", "sample-activity-indoor-trainer.fit"),
        folder / "indoor.fit",
    )
    ride = write_fit([(59.91, 10.75, datetime(2024, 5, 1, 7, tzinfo=timezone.utc))] * 3)
    (folder / "ride.fit").write_bytes(ride)
    (folder / "cut.fit").write_bytes(ride[:40])  # damaged before any record: not known
    opened: list[int] = []

    class Counting(fitdecode.FitReader):  # type: ignore[misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            opened.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(fitdecode, "FitReader", Counting)
    report = audit([folder])
    assert sorted(Path(f.path).name for f in report.located_files) == ["cut.fit", "ride.fit"]
    # indoor and ride once each; cut.fit, which the reader could not read, once more
    assert len(opened) == 4, len(opened)


def test_audit_names_the_located_files_scrub_cannot_clean(tmp_path: Path) -> None:
    """A GoPro video's position is in its timed GPMF track, which scrub refuses: the audit's
    summary says so (it showed the video located and nothing to remove, and the user
    learnt only from scrub that the file stays as it is)."""
    from media_data import real_file

    folder = tmp_path / "gopro"
    folder.mkdir()
    video = real_file("video", "gopro", "karma.mp4", bundled_as="gpmfonly_karma.mp4")
    (folder / "karma.mp4").write_bytes(video.read_bytes())
    lines = audit([folder]).summary_lines()
    at = lines.index("files that give away a position and geoleak scrub cannot clean (1):")
    assert lines[at + 1].startswith(f"  {folder}/karma.mp4: video has a timed GoPro GPMF")


def test_a_gopro_cards_proxy_and_thumbnail_are_examined_not_counted_twice(
    tmp_path: Path,
) -> None:
    """A GoPro writes GL010001.LRV (a low-resolution MP4 with the same GPMF GPS track) and
    GX010001.THM (a JPEG) beside GX010001.MP4. Audit of a card folder skipped both (not
    media extensions): a folder of only the copies was "0 media files", --fail-on-leak
    exit 0. Now both are examined (position, fields) and listed. With the video gone the
    proxy is the evidence (the only record of the moment left), once: not the thumbnail
    too; beside the video the video is, and the copies are only listed."""
    from media_data import real_file

    video = real_file("video", "gopro", "karma.mp4", bundled_as="gpmfonly_karma.mp4")
    card = tmp_path / "DCIM" / "100GOPRO"
    card.mkdir(parents=True)
    (card / "GL010001.LRV").write_bytes(video.read_bytes())
    (card / "GX010001.THM").write_bytes(photo(*HOME, datetime(2026, 5, 1, 9)))
    report = audit([tmp_path / "DCIM"])
    by_name = {Path(f.path).name: f for f in report.files}
    assert set(by_name) == {"GL010001.LRV", "GX010001.THM"}
    assert all(f.leaks_location and f.position is not None for f in by_name.values())
    assert haversine_m(by_name["GX010001.THM"].position, LatLon(*HOME)) < 1
    assert "GPMF" in (by_name["GL010001.LRV"].error or "")  # scrub refuses it, as the MP4
    media = {Path(e.media_path or "").name for found in report.evidence.values() for e in found}
    assert media == {"GL010001.LRV"}, media  # the video is gone: its proxy, once
    named = [str(card / "GX010001.THM"), "--fail-on-leak", "-q"]
    assert CliRunner().invoke(main, ["audit", *named]).exit_code == 1  # named on its own
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "DCIM"), "--fail-on-leak", "-q"])
    assert result.exit_code == 1, result.output
    # beside the original: the video is the evidence, once; its copies are listed
    (card / "GX010001.MP4").write_bytes(video.read_bytes())
    report = audit([tmp_path / "DCIM"])
    assert len({Path(f.path).name for f in report.files}) == 3
    media = {Path(e.media_path or "").name for found in report.evidence.values() for e in found}
    assert media == {"GX010001.MP4"}, media
    # scrub (which tells formats by content) cleans the thumbnail
    scrub_paths([tmp_path / "DCIM"], tmp_path / "o")
    assert audit([tmp_path / "o" / "100GOPRO" / "GX010001.THM"]).files[0].position is None


def test_an_export_zip_is_audited_as_its_extracted_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`geoleak audit takeout.zip` (its --help example): every file of the zip was listed
    'cannot read: No such file or directory', its fields unexamined, and its sidecars and
    location JSON not counted, as the zip's temporary folder was gone before the files
    were examined. The zip now gives what its extracted folder gives; the temporary
    folder is still removed."""
    import os
    import tempfile
    import zipfile

    from ingest_helpers import FIXTURES

    source = FIXTURES / "takeout"
    archive = tmp_path / "takeout.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(source.rglob("*")):
            if file.is_file():
                out.write(file, file.relative_to(source).as_posix())
    # A temporary folder of this test's own: other processes come and go in the shared one.
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    before = set(os.listdir(tempfile.gettempdir()))
    zipped = audit([archive]).to_json()
    assert set(os.listdir(tempfile.gettempdir())) - before == set()
    folder = audit([source]).to_json()

    def per_file(doc: dict[str, object], prefix: str) -> list[tuple[str, object, object]]:
        files = doc["per_file"]
        assert isinstance(files, list)
        return sorted(
            (f["path"].split(prefix, 1)[1], f["error"], [x["field"] for x in f["fields"]])
            for f in files
        )

    assert not [f for f in zipped["per_file"] if f["error"]]  # type: ignore[union-attr]
    assert per_file(zipped, "takeout.zip!/") == per_file(folder, f"{source}/")
    assert zipped["files_with_position"] == folder["files_with_position"] > 0


def test_a_sidecar_named_alone_without_a_position_is_audited_too(tmp_path: Path) -> None:
    """An XMP sidecar without GPS, named on its own: audit lists it with what it holds (a
    creator, a document id) and says no position was found in it; it said "0 media files"
    and "the input held no posts or media files: no files"."""
    sidecar = tmp_path / "IMG_0003.xmp"
    sidecar.write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmpMM:DocumentID="xmp.did:42">'
        "<dc:creator><rdf:Seq><rdf:li>Kari Nordmann</rdf:li></rdf:Seq></dc:creator>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>",
        encoding="utf-8",
    )
    report = audit([sidecar])
    assert not report.leaks
    (item,) = report.files
    assert item.path.endswith("IMG_0003.xmp")
    assert {"XMP dc:creator", "XMP xmpMM:DocumentID"} <= {f.field for f in item.fields}
    lines = report.summary_lines()
    assert "no location found: 1 XMP sidecar with no position" in lines
    assert not [line for line in lines if "no files" in line]


def _gps_block_photo(tags: dict[int, object]) -> bytes:
    """A JPEG whose GPS IFD holds only `tags` (no GPSLatitude / GPSLongitude)."""
    image = Image.new("RGB", (16, 16), (200, 10, 10))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[0] = b"\x02\x03\x00\x00"
    gps.update(tags)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize(
    ("tags", "said"),
    [  # GPSDestLatitudeRef/Latitude/LongitudeRef/Longitude: the subject's position
        ({0x13: "N", 0x14: dms(51.5), 0x15: "W", 0x16: dms(0.12)}, "51.500000, -0.120000"),
        ({0x1C: b"ASCII\x00\x00\x00Ylivieska"}, "Ylivieska"),  # GPSAreaInformation
    ],
)
def test_a_gps_block_with_a_destination_or_an_area_name_is_a_leak(
    tmp_path: Path, tags: dict[int, object], said: str
) -> None:
    """exiftool shows GPSDestLatitude/Longitude and GPSAreaInformation; audit called such a
    file clean ("0 of 1 files give away a position", --fail-on-leak exit 0) while scrub
    removed the block."""
    (tmp_path / "a.jpg").write_bytes(_gps_block_photo(tags))
    report = audit([tmp_path / "a.jpg"])
    assert report.leaks and len(report.located_files) == 1
    assert said in report.files[0].fields[0].value
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "a.jpg"), "--fail-on-leak", "-q"])
    assert result.exit_code == 1, result.output
    # a block holding neither (only its version) is still not a leak
    (tmp_path / "b.jpg").write_bytes(_gps_block_photo({}))
    assert not audit([tmp_path / "b.jpg"]).leaks


@pytest.mark.parametrize(
    ("tags", "leaks", "said"),
    [  # photoprism's buggy_panorama.jpg: seconds written 10,000 times too large
        ({1: "N", 2: (R(48), R(15), R(595404032, 1000)), 3: "E",
          4: (R(11), R(40), R(330528000, 1000))}, True,
         "coordinates: GPSLatitude 48.250000 (degrees and minutes: its seconds are 60 or "
         "more), GPSLongitude 11.666667 (degrees and minutes"),
        # a latitude of 213.64 N beside a valid longitude
        ({1: "N", 2: (R(213), R(38), R(24)), 3: "E", 4: dms(103.48)}, True,
         "one coordinate: GPSLongitude 103.480000 (GPSLatitude 213.640000 out of range)"),
        # a valid latitude (south) and no longitude
        ({1: "S", 2: dms(33.45)}, True, "GPSLatitude -33.450000 (GPSLongitude missing)"),
        # Pillow's exif_gps.jpg: only a latitude of 4294967295, which says nothing
        ({2: (R(4294967295), R(0), R(0))}, False,
         "no valid position (GPSLatitude 4294967295.000000 out of range)"),
        # 0, 0: the no-fix placeholder
        ({1: "N", 2: dms(0.0), 3: "E", 4: dms(0.0)}, False, "no valid position"),
    ],
)  # fmt: skip
def test_a_gps_block_with_one_usable_coordinate_is_a_leak_but_never_a_position(
    tmp_path: Path, tags: dict[int, object], leaks: bool, said: str
) -> None:
    """photoprism's buggy_panorama.jpg writes its seconds 10,000 times too large (48 15
    595404.032: exiftool reads latitude 213.64, longitude 103.48); audit listed "no valid
    position" and did not count it, though its degrees and minutes place the photo within
    2 km (48 15 N, 11 40 E), and scrub removed the block. Such a block, or one with a
    single usable coordinate (a longitude alone narrows the place to a strip), is a leak,
    listed as such; it never becomes a position."""
    (tmp_path / "a.jpg").write_bytes(_gps_block_photo(tags))
    report = audit([tmp_path / "a.jpg"])
    (item,) = report.files
    (gps,) = [f for f in item.fields if f.field.endswith("GPS")]
    assert said in (gps.value or ""), gps.value
    assert report.leaks is leaks and item.leaks_location is leaks
    assert item.position is None and gps.position is None
    assert read_media(tmp_path / "a.jpg").position is None
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "a.jpg"), "--fail-on-leak", "-q"])
    assert result.exit_code == (1 if leaks else 0), result.output
    scrub_paths([tmp_path / "a.jpg"], tmp_path / "o")
    cleaned = audit([tmp_path / "o" / "a.jpg"])
    assert not cleaned.leaks
    assert not [f for f in cleaned.files[0].fields if f.field.endswith("GPS")]


def _bare_exif_profile() -> bytes:
    """An ImageMagick 'Raw profile type exif' whose TIFF has no "Exif\\0\\0" before it (as
    exiftool -b -exif writes it); the reader of positions skips it, scrub's scanner does not."""
    with Image.open(io.BytesIO(photo(*HOME, datetime(2026, 1, 1)))) as im:
        tiff = im.getexif().tobytes().removeprefix(b"Exif\x00\x00")
    hexed = tiff.hex().encode()
    lines = b"\n".join(hexed[i : i + 72] for i in range(0, len(hexed), 72))
    return b"\nexif\n%8d\n" % len(tiff) + lines + b"\n"


@pytest.mark.parametrize(
    ("keyword", "text"),
    [  # a compressed comment with coordinates; a compressed EXIF profile with GPS
        (b"Comment", b"our place: 51.50123, -0.12345"),
        (b"Raw profile type exif", None),
    ],
)
def test_a_compressed_png_text_with_a_location_leaks_and_scrub_rewrites_it(
    tmp_path: Path, keyword: bytes, text: bytes | None
) -> None:
    """audit called these files clean ("0 of 1", --fail-on-leak exit 0), having read nothing
    of them; scrub refused them (it could not rewrite compressed text at the same length).
    Now audit counts the leak, and scrub compresses the cleaned text again into the chunk's
    bytes (a padding chunk after it), so the copy is written, clean, pixels unchanged."""
    chunk = b"zTXt" + keyword + b"\x00\x00" + zlib.compress(text or _bare_exif_profile())
    png = photo(None, None, datetime(2026, 1, 1), fmt="PNG")
    at = png.index(b"IDAT") - 4
    crc = zlib.crc32(chunk) & 0xFFFFFFFF
    png = png[:at] + struct.pack(">I", len(chunk) - 4) + chunk + struct.pack(">I", crc) + png[at:]
    (tmp_path / "a.png").write_bytes(png)
    report = audit([tmp_path / "a.png"])
    assert report.leaks, report.summary_lines()
    runner = CliRunner()
    result = runner.invoke(main, ["audit", str(tmp_path / "a.png"), "--fail-on-leak", "-q"])
    assert result.exit_code == 1, result.output
    scrubbed = runner.invoke(main, ["scrub", str(tmp_path / "a.png"), "-o", str(tmp_path / "o")])
    assert scrubbed.exit_code == 0, scrubbed.output
    cleaned = tmp_path / "o" / "a.png"
    assert cleaned.stat().st_size == len(png) and not audit([cleaned]).leaks
    with Image.open(tmp_path / "a.png") as before, Image.open(cleaned) as after:
        assert before.tobytes() == after.tobytes()


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


@pytest.mark.parametrize("prefix", [b"Exif\x00\x00", b""])
@pytest.mark.parametrize("wrapper", ["tEXt", "zTXt", "iTXt", "iTXt compressed", "tEXt APP1"])
def test_extract_audit_and_scrub_agree_on_a_png_raw_exif_profile(
    tmp_path: Path, wrapper: str, prefix: bytes
) -> None:
    """An ImageMagick-style 'Raw profile type exif' (exiftool reads it in tEXt, zTXt and
    iTXt, with or without "Exif\\0\\0" before its TIFF) in a PNG whose own eXIf has no GPS.
    extract read a profile only with the prefix and only when no eXIf came first, and none
    in iTXt: the position was missing from scan/infer and audit's stats ("no GPS"); scrub
    copied an iTXt profile's GPS unchanged (exiftool read it in the output). Now extract
    reads each, audit counts the position, scrub cleans it (pixels unchanged; a compressed
    one is compressed again into the chunk's bytes)."""
    from geoleak.extract.media import read_media

    _kind, _, app1 = wrapper.partition(" ")
    with Image.open(io.BytesIO(photo(*HOME, datetime(2026, 1, 1)))) as im:
        payload = prefix + im.getexif().tobytes().removeprefix(b"Exif\x00\x00")
    hexed = payload.hex().encode()
    kind = b"app1" if app1 == "APP1" else b"exif"
    profile = b"\n%b\n%8d\n" % (kind, len(payload)) + b"\n".join(
        hexed[i : i + 72] for i in range(0, len(hexed), 72)
    )
    keyword = b"Raw profile type " + (b"APP1" if app1 == "APP1" else b"exif")
    chunk = {
        "tEXt": lambda: _png_chunk(b"tEXt", keyword + b"\x00" + profile),
        "zTXt": lambda: _png_chunk(b"zTXt", keyword + b"\x00\x00" + zlib.compress(profile)),
        "iTXt": lambda: _png_chunk(b"iTXt", keyword + b"\x00\x00\x00\x00\x00" + profile),
        "iTXt compressed": lambda: _png_chunk(
            b"iTXt", keyword + b"\x00\x01\x00\x00\x00" + zlib.compress(profile)
        ),
    }[wrapper if wrapper != "tEXt APP1" else "tEXt"]()
    png = photo(None, None, datetime(2026, 1, 1), fmt="PNG")  # (an eXIf without GPS)
    at = png.index(b"IDAT") - 4
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(png[:at] + chunk + png[at:])
    position = read_media(tmp_path / "in" / "a.png").position
    assert position is not None and haversine_m(position, LatLon(*HOME)) < 1
    report = audit([tmp_path / "in"])
    assert report.leaks and len(report.located_files) == 1
    assert "1 with a usable GPS position" in "\n".join(report.stats_lines)
    scrub_paths([tmp_path / "in"], tmp_path / "out")
    cleaned = tmp_path / "out" / "a.png"
    assert read_media(cleaned).position is None and not audit([cleaned]).leaks
    with Image.open(tmp_path / "in" / "a.png") as before, Image.open(cleaned) as after:
        assert before.tobytes() == after.tobytes()


def test_fail_on_leak_does_not_vouch_for_a_file_it_could_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A located photo the user may not read: `audit --fail-on-leak -q` printed "0 of 2 files
    give away a position" and exited 0 (a pre-commit hook let it through); scrub fails it.
    Now the line says it could not be read and the exit status is 1. An empty file, which
    holds nothing, and a clean one still pass."""
    import builtins

    (tmp_path / "a.jpg").write_bytes(photo(None, None, datetime(2026, 1, 1)))
    (tmp_path / "b.jpg").write_bytes(photo(*HOME, datetime(2026, 1, 1)))
    (tmp_path / "empty.jpg").write_bytes(b"")
    locked = str(tmp_path / "b.jpg")

    def deny(real: Any) -> Any:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(path, (str, os.PathLike)) and os.fspath(path) == locked:
                raise PermissionError(13, "Permission denied", locked)
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(builtins, "open", deny(builtins.open))
    monkeypatch.setattr(io, "open", deny(io.open))
    monkeypatch.setattr(os, "open", deny(os.open))
    runner = CliRunner()
    result = runner.invoke(main, ["audit", str(tmp_path), "--fail-on-leak", "-q"])
    assert result.exit_code == 1, result.output
    assert "0 of 3 files give away a position; 1 could not be read (unknown)" in result.output
    assert f"could not be read, so may give away a position: {locked}" in result.output
    for name in ("a.jpg", "empty.jpg"):
        clean = runner.invoke(main, ["audit", str(tmp_path / name), "--fail-on-leak", "-q"])
        assert clean.exit_code == 0, clean.output


def _iim(*datasets: tuple[int, bytes]) -> bytes:
    return b"".join(b"\x1c\x02" + bytes([n]) + struct.pack(">H", len(v)) + v for n, v in datasets)


def test_geotag_machine_tags_in_keywords_are_a_leak_and_are_removed(tmp_path: Path) -> None:
    """Flickr's geotag machine tags (keywords `geo:lat=...`, `geo:lon=...`, as IPTC records
    and in XMP dc:subject): audit said "0 of 1 files give away a position" and scrub kept
    them; other keywords stay in IPTC."""
    iim = _iim((25, b"geotagged"), (25, b"geo:lat=51.50123"), (25, b"geo:lon=-0.12345"))
    irb = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00" * (len(iim) % 2)
    app13 = b"Photoshop 3.0\x00" + irb
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           b'02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/'
           b'elements/1.1/"><dc:subject><rdf:Bag><rdf:li>geo:lat=51.50123</rdf:li><rdf:li>'
           b"geo:lon=-0.12345</rdf:li></rdf:Bag></dc:subject></rdf:Description></rdf:RDF>"
           b"</x:xmpmeta>")  # fmt: skip
    jpeg = photo(None, None, datetime(2026, 1, 1))
    segment = b"\xff\xed" + struct.pack(">H", len(app13) + 2) + app13
    (tmp_path / "iptc.jpg").write_bytes(jpeg[:2] + segment + jpeg[2:])
    out = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(out, "JPEG", xmp=xmp)
    (tmp_path / "xmp.jpg").write_bytes(out.getvalue())
    runner = CliRunner()
    for name in ("iptc.jpg", "xmp.jpg"):
        result = runner.invoke(main, ["audit", str(tmp_path / name), "--fail-on-leak", "-q"])
        assert result.exit_code == 1, (name, result.output)
    clean = tmp_path / "clean"
    assert runner.invoke(main, ["scrub", str(tmp_path), "-o", str(clean), "-q"]).exit_code == 0
    for name in ("iptc.jpg", "xmp.jpg"):
        data = (clean / name).read_bytes()
        assert b"geo:lat=" not in data and b"geo:lon=" not in data
    assert b"geotagged" in (clean / "iptc.jpg").read_bytes()
    result = runner.invoke(main, ["audit", str(clean), "--fail-on-leak", "-q"])
    assert result.exit_code == 0, result.output


def test_an_out_of_range_sidecar_position_is_a_leak_not_a_crash(tmp_path: Path) -> None:
    """A Takeout sidecar with `"latitude": 95.0` (the reader warns and ignores it) made
    `audit` crash with a traceback (ValueError from LatLon) on the export's own folder.
    Now it is listed as a file whose location fields scrub removes, with no position."""
    sidecar = tmp_path / "Takeout" / "Google Photos" / "Photos from 2024" / "IMG_1.jpg.json"
    sidecar.parent.mkdir(parents=True)
    sidecar.write_text(
        json.dumps({"title": "IMG_1.jpg", "geoData": {"latitude": 95.0, "longitude": 10.0}}),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--json", "-"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    entry = next(f for f in json.loads(result.stdout)["per_file"] if f["path"].endswith(".json"))
    assert entry["leaks"] and entry["position"] is None


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_a_folder_is_never_clean_while_it_holds_files_audit_cannot_read(tmp_path: Path) -> None:
    """Found on other projects' test files: a Canon CR3 (a format geoleak reads), Exiv2's
    `.exv` files, one of them named `.xmp` (formats exiftool reads location from), were
    skipped in a folder, so `--fail-on-leak` passed a folder exiftool shows places in. Now
    the CR3 is read and the others are listed as not examined; a text file stays unlisted."""
    gps_ifd = photo(45.0, 7.0, datetime(2026, 1, 1))  # any bytes standing for the GPS IFD
    canon = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
    cmt = _box(b"CMT4", b"II*\x00\x08\x00\x00\x00" + gps_ifd[:64])
    moov = _box(b"moov", _box(b"uuid", canon + cmt))
    (tmp_path / "IMG_0001.CR3").write_bytes(_box(b"ftyp", b"crx \x00\x00\x00\x01crx isom") + moov)
    (tmp_path / "scan.exv").write_bytes(b"\xff\x01Exiv2\xff\xe1\x00\x10Exif\x00\x00II*\x00")
    (tmp_path / "edit.xmp").write_bytes(b"\xff\x01Exiv2\xff\xe1\x00\x10Exif\x00\x00II*\x00")
    (tmp_path / "notes.txt").write_text("nothing to see\n")
    report = audit([tmp_path], geocoder=None)
    by_name = {Path(f.path).name: f for f in report.files}
    assert set(by_name) == {"IMG_0001.CR3", "scan.exv", "edit.xmp"}
    assert by_name["IMG_0001.CR3"].leaks_location
    assert {Path(f.path).name for f in report.unread} == {"scan.exv", "edit.xmp"}
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "scan.exv"), "-q"])
    assert result.exit_code == 2  # named on its own: an input geoleak does not read
    (tmp_path / "IMG_0001.CR3").unlink()
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--fail-on-leak", "-q"])
    assert result.exit_code == 1, result.output
    assert "2 files could not be read" in result.output


_DOCUMENT_XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
    b"<photoshop:City>Tromso</photoshop:City><photoshop:Country>Norway</photoshop:Country>"
    b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def test_a_pdf_or_eps_whose_xmp_names_a_place_is_listed_as_leaking(tmp_path: Path) -> None:
    """exiftool's PDF.pdf and PostScript.eps carry a photo's XMP (photoshop:City Kingston,
    Country Canada) as plain text: a folder holding them was "0 media files", exit 0 under
    --fail-on-leak. Now such a document is listed with its XMP's places, as leaking and
    not cleanable; a document without a location is not listed (nor read as evidence)."""
    length = str(len(_DOCUMENT_XMP)).encode()
    pdf = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Metadata /Subtype /XML /Length "
        + length
        + b" >>\n"
        + b"stream\n"
        + _DOCUMENT_XMP
        + b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n"
    )
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n%begin_xml_packet\n"
    eps += _DOCUMENT_XMP + b"\n%end_xml_packet\nshowpage\n%%EOF\n"
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "flyer.pdf").write_bytes(pdf)
    (folder / "poster.EPS").write_bytes(eps)
    (folder / "plain.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    report = audit([folder])
    listed = {Path(f.path).name: f for f in report.files}
    assert set(listed) == {"flyer.pdf", "poster.EPS"}
    for item in listed.values():
        assert item.leaks_location and item.position is None
        assert {(f.field, f.value) for f in item.fields} >= {("XMP photoshop:City", "Tromso")}
        assert (item.error or "").startswith("not examined: a .")
    assert not report.evidence
    lines = report.summary_lines()
    assert "files that give away a position and geoleak scrub cannot clean (2):" in lines
    assert any(line.startswith("2 documents;") for line in lines), lines
    runner = CliRunner()
    result = runner.invoke(main, ["audit", str(folder), "--fail-on-leak", "-q"])
    assert result.exit_code == 1, result.output
    named = runner.invoke(main, ["audit", str(folder / "flyer.pdf"), "--fail-on-leak", "-q"])
    assert named.exit_code == 1, named.output
    assert not audit([folder / "plain.pdf"]).leaks
    # scrub cannot clean them either: each is left out of the output, named with what its
    # XMP holds, and the exit status is 1 (it used to say "2 skipped (not media)", exit 0);
    # the document without a location is skipped as not media
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    scrubbed = runner.invoke(main, ["scrub", str(folder), "-o", str(tmp_path / "clean")])
    assert scrubbed.exit_code == 1, scrubbed.output
    assert "2 could not be cleaned, 1 skipped (not media)" in scrubbed.output
    for name in ("flyer.pdf", "poster.EPS"):
        assert f"NOT CLEANED (left out of the output): {folder / name}: a ." in scrubbed.output
    assert "XMP photoshop:City" in scrubbed.output and "does not write documents" in scrubbed.output
    assert not (tmp_path / "clean").exists() or not any((tmp_path / "clean").iterdir())
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


_MEDIA = Path(__file__).resolve().parents[1] / "data" / "media"


def _pdf(*objects: tuple[bytes, bytes]) -> bytes:
    """A PDF of the given (dictionary, stream bytes) objects, numbered from 1, each with a
    direct /Length: the layout img2pdf and scanners write."""
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    for number, (head, body) in enumerate(objects, start=1):
        out += b"%d 0 obj\n<< %s /Length %d >>\nstream\n" % (number, head, len(body))
        out += body + b"\nendstream\nendobj\n"
    return out + b"trailer\n<< /Size %d >>\n%%%%EOF\n" % (len(objects) + 1)


def test_a_pdf_made_from_photos_leaks_their_gps_and_compressed_xmp(tmp_path: Path) -> None:
    """A PDF that stores a camera's JPEG as it is (img2pdf, a phone's "save as PDF") keeps
    its EXIF GPS, and some producers compress the XMP metadata stream: audit said nothing
    of either (it read plain-text XMP only). Now each embedded JPEG is read by the
    scrubber's JPEG reader (a real Sony DSC-HX5V photo: 51.778615, 8.3656381, as exiftool
    reads it), alone or after FlateDecode, and a compressed metadata stream is inflated;
    a PDF whose image has no GPS and whose content streams are compressed stays clean."""
    photo_bytes = (_MEDIA / "mde_sony_dsc-hx5v.jpg").read_bytes()
    image = b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /Filter /DCTDecode"
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(_pdf((image, photo_bytes)))
    (folder / "flate.pdf").write_bytes(
        _pdf((b"/Filter [/FlateDecode /DCTDecode]", zlib.compress(photo_bytes)))
    )
    (folder / "meta.pdf").write_bytes(
        _pdf((b"/Type /Metadata /Subtype /XML /Filter /FlateDecode", zlib.compress(_DOCUMENT_XMP)))
    )
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    without_gps = buffer.getvalue()
    content = zlib.compress(b"BT /F1 12 Tf (stream\nTromso) Tj ET")
    (folder / "plain.pdf").write_bytes(
        _pdf((image, without_gps), (b"/Filter /FlateDecode", content))
    )
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    report = audit([folder])
    listed = {Path(f.path).name: f for f in report.files}
    assert set(listed) == {"scan.pdf", "flate.pdf", "meta.pdf"}
    for name, number in (("scan.pdf", "1 0"), ("flate.pdf", "1 0")):
        fields = {f.field: f for f in listed[name].fields}
        gps = fields[f"PDF image {number}: EXIF GPS"]
        assert gps.position is not None
        assert gps.position == pytest.approx((51.778615, 8.3656381), abs=1e-5)
        assert listed[name].leaks_location and listed[name].position is None
    assert ("XMP photoshop:City", "Tromso") in {
        (f.field, f.value) for f in listed["meta.pdf"].fields
    }
    assert not report.evidence
    result = CliRunner().invoke(main, ["scrub", str(folder), "-o", str(tmp_path / "clean")])
    assert result.exit_code == 1, result.output
    assert "3 could not be cleaned, 1 skipped (not media)" in result.output
    assert "PDF image 1 0: EXIF GPS" in result.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_pdf_that_embeds_a_jpeg_2000_photo_leaks_its_place(tmp_path: Path) -> None:
    """img2pdf stores a JPEG 2000 file as it is (JPXDecode): exifr's Nikon D2X photo names
    "Badlands National Park" in its XMP and IPTC; the PDF holding it was clean to audit."""
    jp2 = Path(__file__).resolve().parents[1] / "data" / "wider" / "exifr_badlands_iptc_xmp.jp2"
    image = b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /Filter /JPXDecode"
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(_pdf((image, jp2.read_bytes())))
    fields = {f.field: f.value for f in document_findings(pdf)}
    # (its XMP is plain text in the PDF's bytes too; the IPTC record only the JP2 reader sees)
    assert fields["PDF image 1 0: IPTC Sub-location"] == "Badlands National Park"
    assert fields["PDF image 1 0: XMP Iptc4xmpCore:Location"] == "Badlands National Park"
    (listed,) = audit([pdf]).files
    assert listed.leaks_location


def test_a_dos_eps_whose_tiff_preview_carries_gps_is_listed(tmp_path: Path) -> None:
    """A DOS EPS (binary header, then PostScript, then a TIFF preview) keeps the preview's
    tags where the PostScript reader does not look; here the preview is the Sony photo's
    EXIF TIFF block, GPS included."""
    jpeg = (_MEDIA / "mde_sony_dsc-hx5v.jpg").read_bytes()
    app1 = jpeg.index(b"Exif\x00\x00") + 6
    tiff = jpeg[app1 : app1 - 8 + struct.unpack(">H", jpeg[app1 - 8 : app1 - 6])[0]]
    postscript = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\nshowpage\n%%EOF\n"
    header = (
        b"\xc5\xd0\xd3\xc6"
        + struct.pack("<IIIIII", 30, len(postscript), 0, 0, 30 + len(postscript), len(tiff))
        + b"\xff\xff"
    )
    eps = tmp_path / "logo.eps"
    eps.write_bytes(header + postscript + tiff)
    fields = {f.field: f for f in document_findings(eps)}
    gps = fields["EPS TIFF preview: EXIF GPS"]
    assert gps.position == pytest.approx((51.778615, 8.3656381), abs=1e-5)
    assert audit([eps]).files[0].leaks_location
    # a header whose preview lies past the file's end, or none at all: nothing read
    short = header[:20] + struct.pack("<II", 30 + len(postscript), 10**6) + header[28:]
    eps.write_bytes(short + postscript + tiff)
    assert not [f for f in document_findings(eps) if f.field.startswith("EPS TIFF preview")]


def _zip_document(path: Path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)


def test_office_and_opendocument_files_leak_the_gps_of_the_photos_they_keep(
    tmp_path: Path,
) -> None:
    """A Word, PowerPoint or OpenDocument file is a zip archive that keeps an inserted photo
    as its own file, EXIF GPS included (word/media/image1.jpeg): a folder of them was "not
    media", exit 0 under --fail-on-leak. Now each image entry is read as a media file; a
    document whose photos have no GPS stays clean, a damaged one is listed as unread."""
    photo_bytes = (_MEDIA / "mde_sony_dsc-hx5v.jpg").read_bytes()
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    plain_png = buffer.getvalue()
    folder = tmp_path / "docs"
    folder.mkdir()
    _zip_document(folder / "report.docx", {
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b"<w:document/>",
        "word/media/image1.png": plain_png,
        "word/media/image2.jpeg": photo_bytes,
    })  # fmt: skip
    _zip_document(folder / "talk.ODP", {
        "mimetype": b"application/vnd.oasis.opendocument.presentation",
        "Pictures/10000001.jpg": photo_bytes,
    })  # fmt: skip
    _zip_document(folder / "clean.pptx", {"ppt/media/image1.png": plain_png})
    (folder / "cut.xlsx").write_bytes(b"PK\x03\x04" + bytes(40))  # a download cut short
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    report = audit([folder])
    listed = {Path(f.path).name: f for f in report.files}
    assert set(listed) == {"report.docx", "talk.ODP", "cut.xlsx"}
    for name, entry in (("report.docx", "word/media/image2.jpeg"),
                        ("talk.ODP", "Pictures/10000001.jpg")):  # fmt: skip
        fields = {f.field: f for f in listed[name].fields}
        gps = fields[f"embedded {entry}: EXIF GPS"]
        assert gps.position == pytest.approx((51.778615, 8.3656381), abs=1e-5)
        assert listed[name].leaks_location and listed[name].position is None
    assert (listed["cut.xlsx"].error or "").startswith("cannot read: not a readable .xlsx")
    assert not report.evidence
    assert not document_findings(folder / "clean.pptx")
    runner = CliRunner()
    failed = runner.invoke(main, ["audit", str(folder / "report.docx"), "--fail-on-leak", "-q"])
    assert failed.exit_code == 1, failed.output
    result = runner.invoke(main, ["scrub", str(folder), "-o", str(tmp_path / "clean")])
    assert result.exit_code == 1, result.output
    assert "embedded word/media/image2.jpeg: EXIF GPS" in result.output
    assert "3 could not be cleaned, 1 skipped (not media)" in result.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_zip_document_that_is_a_zip_bomb_is_not_opened(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    _zip_document(bomb, {"word/media/image1.jpeg": bytes(8 * 1024 * 1024)})  # ratio ~1000:1
    with pytest.raises(OSError, match="zip bomb"):
        document_findings(bomb)


def test_an_eps_whose_photoshop_iptc_names_a_place_is_listed(tmp_path: Path) -> None:
    """Photoshop writes an EPS's image resources as hex lines between "%BeginPhotoshop"
    and "%EndPhotoshop" (exiftool's PostScript.eps: IPTC City Kingston; lines ended by CR
    as there, or CRLF): a file whose place is only there was not listed. Now its IPTC is
    read as a JPEG's APP13; a block of odd or broken hex is read as far as it goes."""
    city = b"Tromso"
    iim = b"\x1c\x02\x5a" + struct.pack(">H", len(city)) + city
    irb = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim
    digits = irb.hex().upper().encode()
    for name, end in (("cr.eps", b"\r"), ("crlf.eps", b"\r\n")):
        lines = end.join(b"% " + digits[i : i + 64] for i in range(0, len(digits), 64))
        eps = b"%!PS-Adobe-3.0 EPSF-3.0" + end + b"%%BoundingBox: 0 0 1 1" + end
        eps += b"%BeginPhotoshop: " + str(len(irb)).encode() + end + lines + end
        eps += b"%EndPhotoshop" + end + b"showpage" + end
        (tmp_path / name).write_bytes(eps)
        fields = {(f.field, f.value) for f in document_findings(tmp_path / name)}
        assert ("IPTC City", "Tromso") in fields, (name, fields)
    broken = b"%!PS-Adobe-3.0 EPSF-3.0\n%BeginPhotoshop: 40\n% 3842494D04\n% ZZ\n%EndPhotoshop\n"
    (tmp_path / "broken.eps").write_bytes(broken)
    assert not document_findings(tmp_path / "broken.eps")
    listed = {Path(f.path).name for f in audit([tmp_path]).files if f.leaks_location}
    assert listed == {"cr.eps", "crlf.eps"}


def test_pdf_stream_reading_survives_damaged_and_odd_layouts(tmp_path: Path) -> None:
    """A wrong /Length, an indirect one, a stream with no end, a damaged FlateDecode stream
    and a "stream" word inside text: the image is still found where it can be, and nothing
    raises."""
    photo_bytes = (_MEDIA / "mde_sony_dsc-hx5v.jpg").read_bytes()
    head = b"1 0 obj\n<< /Filter /DCTDecode /Length %s >>\nstream\n"
    wrong = b"%PDF-1.4\n" + head % b"12" + photo_bytes + b"\nendstream\nendobj\n%%EOF\n"
    indirect = b"%PDF-1.4\n" + head % b"2 0 R" + photo_bytes + b"\r\nendstream\nendobj\n"
    cut = b"%PDF-1.4\n" + head % b"99999999" + photo_bytes[:5000]
    damaged = _pdf((b"/Type /Metadata /Filter /FlateDecode", b"x\x9c not deflate at all"))
    words = b"%PDF-1.4\n(a stream\n of words) >> stream\nendstream\n"
    names = {}
    for name, data in (("wrong", wrong), ("indirect", indirect), ("cut", cut),
                       ("damaged", damaged), ("words", words)):  # fmt: skip
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        names[name] = {f.field for f in document_findings(path)}
    assert "PDF image 1 0: EXIF GPS" in names["wrong"]
    assert "PDF image 1 0: EXIF GPS" in names["indirect"]
    assert not names["damaged"] and not names["words"]


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize(
    ("export", "posts_files"),
    [
        ("twitter", ["data/tweets.js"]),  # an X archive: geotags and places of tweets
        ("snapchat", ["json/location_history.json", "json/memories_history.json"]),
        ("geolife", ["Data/000/Trajectory/20081023025304.plt", "Data/001/Trajectory/20081024000000.plt"]),
        ("checkins", ["dataset_TSMC2014_NYC.txt", "loc-brightkite_totalCheckins.txt",
                      "loc-gowalla_totalCheckins.txt"]),
        ("strava_export", ["activities/9000000001.gpx.gz"]),
    ],
)  # fmt: skip
def test_audit_lists_the_export_files_whose_posts_gave_positions(
    export: str, posts_files: list[str]
) -> None:
    """An export's posts file (tweets.js, a .plt, a check-in TSV, a gzipped track) gave
    positions: the audit named none of them and said "0 give away a position"."""
    root = FIXTURES / export
    report = audit([root])
    leaking = {Path(f.path).resolve() for f in report.located_files}
    for name in posts_files:
        assert (root / name).resolve() in leaking, name
    assert report.leaks
    summary_lines = report.summary_lines()
    summary = summary_lines[0]
    assert "0 give away" not in summary and "track or location file" in summary
    fields = {name for name, _, _ in report.fields_to_remove}
    assert "posts with a location (export or data set)" in fields
    # ... and said to be files scrub does not edit (what the user can do instead)
    content = {Path(f.path).resolve() for f in report.positions_as_content}
    assert {(root / name).resolve() for name in posts_files} <= content
    assert any(line.startswith("files whose positions are their content") for line in summary_lines)


def test_audit_says_which_files_scrub_does_not_edit(folder: Path) -> None:
    """Tracks and location JSON are positions through and through; photos and Takeout
    sidecars (scrub zeroes their geoData) are not among them."""
    report = audit([FIXTURES / "tracks"])
    names = sorted(Path(f.path).name for f in report.positions_as_content)
    assert names == ["commute.fit", "morning_run.gpx", "ride.tcx"]
    assert report.to_json()["positions_as_content"] == [f.path for f in report.positions_as_content]
    assert audit([folder]).positions_as_content == []  # photos: scrub cleans them
    assert audit([FIXTURES / "takeout"]).positions_as_content == []
