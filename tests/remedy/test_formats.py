"""Format-specific cases the corpus does not cover: extended XMP, motion photos, timed GPS
tracks, ImageMagick raw profiles, XMP namespaces, time and orientation removal."""

from __future__ import annotations

import binascii
import io
import json
import shutil
import struct
import subprocess
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from remedy_photos import photo

from geoleak.extract.media import read_media
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.model import LOCATING, FindingKind, Region, ScrubOptions, Unsupported
from geoleak.remedy.xmp import classify_property, scan_xmp

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:aux="http://ns.adobe.com/exif/1.0/aux/" '
    b'xmlns:dji="http://www.dji.com/drone-dji/1.0/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    b'exif:GPSLatitude="69,38.934N" dji:GpsLongitude="18.9551" photoshop:City="Tromso" aux:SerialNumber="123" '
    b'exif:DateTimeOriginal="2026-03-02T22:15:00">'
    b"<exif:GPSLongitude>18,57.306E</exif:GPSLongitude>"
    b"<Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li><Iptc4xmpExt:City>Tromso</Iptc4xmpExt:City></rdf:li>"
    b"</rdf:Bag></Iptc4xmpExt:LocationCreated>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def apply(data: bytes, opts: ScrubOptions | None = None) -> bytes:
    scan = scan_bytes(data, opts or ScrubOptions())
    out = bytearray(data)
    for patch in scan.patches:
        out[patch.offset : patch.end] = patch.data
    return bytes(out)


def test_xmp_location_blanked_in_place_and_stays_xml() -> None:
    import xml.dom.minidom

    scan = scan_xmp(Region.whole(XMP, 0, len(XMP)), ScrubOptions())
    out = bytearray(XMP)
    for patch in scan.patches:
        out[patch.offset : patch.end] = patch.data
    text = bytes(out)
    xml.dom.minidom.parseString(text)  # still well-formed
    for gone in (b"69,38", b"18,57", b"18.9551", b"Tromso", b"LocationCreated"):
        assert gone not in text
    assert b'aux:SerialNumber="123"' in text and b"DateTimeOriginal" in text
    kinds = {f.field: f.kind for f in scan.findings}
    assert kinds["XMP aux:SerialNumber"] is FindingKind.IDENTIFYING
    scan_all = scan_xmp(
        Region.whole(XMP, 0, len(XMP)), ScrubOptions(all_identifying=True, drop_time=True)
    )
    assert {f.field for f in scan_all.findings if f.removed} >= {
        "XMP aux:SerialNumber",
        "XMP exif:DateTimeOriginal",
    }


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("GPSLatitude", FindingKind.LOCATION),
        ("GpsLongtitude", FindingKind.LOCATION),
        ("LocationShown", FindingKind.LOCATION),
        ("CiAdrCity", FindingKind.PLACE),
        ("CiAdrExtadr", FindingKind.PLACE),
        ("CiAdrPcode", FindingKind.PLACE),
        ("LicensorStreetAddress", FindingKind.PLACE),
        ("CiEmailWork", FindingKind.IDENTIFYING),
        ("CiTelWork", FindingKind.IDENTIFYING),
        ("CiUrlWork", FindingKind.IDENTIFYING),
        ("LensSerialNumber", FindingKind.IDENTIFYING),
        ("CreateDate", FindingKind.TIME),
        ("Orientation", FindingKind.ORIENTATION),
        ("Rating", None),
    ],
)
def test_classify_property(name: str, kind: FindingKind | None) -> None:
    assert classify_property(name) is kind


_CONTACT = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/">'
    b'<Iptc4xmpCore:CreatorContactInfo Iptc4xmpCore:CiAdrCity="Garching" Iptc4xmpCore:CiAdrPcode="D-85748" '
    b'Iptc4xmpCore:CiEmailWork="kari@example.org"/>'
    b'<Iptc4xmpCore:CreatorContactInfo rdf:parseType="Resource">'
    b"<Iptc4xmpCore:CiAdrExtadr>Karl-Schwarzschild-Strasse 2</Iptc4xmpCore:CiAdrExtadr>"
    b"<Iptc4xmpCore:CiAdrRegion>Bayern</Iptc4xmpCore:CiAdrRegion>"
    b"<Iptc4xmpCore:CiAdrCtry>Germany</Iptc4xmpCore:CiAdrCtry>"
    b"<Iptc4xmpCore:CiTelWork>+49 89 1234</Iptc4xmpCore:CiTelWork>"
    b"<Iptc4xmpCore:CiUrlWork>http://example.org/</Iptc4xmpCore:CiUrlWork>"
    b"</Iptc4xmpCore:CreatorContactInfo>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)


@pytest.mark.parametrize("all_identifying", [False, True])
def test_creator_postal_address_is_a_place(all_identifying: bool) -> None:
    """A creator's street address, city, region, postal code and country say where a
    person lives or works: removed by default; e-mail, phone and URL only on request."""
    import xml.dom.minidom

    region = Region.whole(_CONTACT, 0, len(_CONTACT))
    scan = scan_xmp(region, ScrubOptions(all_identifying=all_identifying))
    out = bytearray(_CONTACT)
    for patch in scan.patches:
        out[patch.offset : patch.end] = patch.data
    text = bytes(out)
    xml.dom.minidom.parseString(text)
    for gone in (b"Garching", b"D-85748", b"Schwarzschild", b"Bayern", b"Germany"):
        assert gone not in text
    kept = (b"kari@example.org", b"+49 89 1234", b"http://example.org/")
    assert all((k in text) is not all_identifying for k in kept)
    if all_identifying:
        return  # the whole structure goes, as one identifying finding
    places = {f.field.split(":")[-1] for f in scan.findings if f.kind is FindingKind.PLACE}
    assert places == {"CiAdrCity", "CiAdrPcode", "CiAdrExtadr", "CiAdrRegion", "CiAdrCtry"}


def _app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def test_extended_xmp_split_over_segments_is_cleaned() -> None:
    jpeg = photo(None, None, datetime(2026, 1, 1))
    guid = b"0123456789ABCDEF0123456789ABCDEF"
    chunks = [XMP[:150], XMP[150:]]
    segments = b""
    offset = 0
    for chunk in chunks:
        segments += _app1(
            b"http://ns.adobe.com/xmp/extension/\x00"
            + guid
            + struct.pack(">II", len(XMP), offset)
            + chunk
        )
        offset += len(chunk)
    data = jpeg[:2] + segments + jpeg[2:]
    cleaned = apply(data)
    assert b"69,38" not in cleaned and b"18,57" not in cleaned and b"Tromso" not in cleaned
    assert len(cleaned) == len(data)
    with Image.open(io.BytesIO(cleaned)) as im:
        im.load()


def test_motion_photo_video_after_the_jpeg_is_cleaned(shared_media: Path) -> None:
    jpeg = photo(59.9, 10.7, datetime(2026, 1, 1))
    video = (shared_media / "mde_with_gps.mp4").read_bytes()
    data = jpeg + video
    scan = scan_bytes(data, ScrubOptions())
    fields = {f.field for f in scan.location_findings}
    assert "EXIF GPS" in fields and "appended video QuickTime ©xyz (GPSCoordinates)" in fields
    cleaned = apply(data)
    assert b"+51.4169" not in cleaned
    assert cleaned[len(jpeg) :].count(b"mdat") == video.count(b"mdat")


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_timed_gps_track_is_refused() -> None:
    stsd = _box(b"stsd", b"\x00\x00\x00\x00\x00\x00\x00\x01" + _box(b"gpmd", b"\x00" * 8))
    moov = _box(b"moov", _box(b"trak", _box(b"mdia", _box(b"minf", _box(b"stbl", stsd)))))
    data = _box(b"ftyp", b"mp41\x00\x00\x00\x00mp41") + moov + _box(b"mdat", b"\x00" * 16)
    with pytest.raises(Unsupported, match="GoPro"):
        scan_bytes(data, ScrubOptions())


def test_png_imagemagick_raw_exif_profile_is_cleaned() -> None:
    exif_png = photo(-22.95, -43.21, datetime(2026, 1, 1), fmt="PNG")
    with Image.open(io.BytesIO(exif_png)) as im:
        raw_exif = im.getexif().tobytes()
        assert raw_exif.startswith(b"Exif\x00\x00")
        plain = im.copy()
    hexed = binascii.hexlify(raw_exif)
    lines = b"\n".join(hexed[i : i + 72] for i in range(0, len(hexed), 72))
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "Raw profile type exif", (b"\nexif\n%8d\n" % len(raw_exif) + lines + b"\n").decode()
    )
    out = io.BytesIO()
    plain.save(out, "PNG", pnginfo=info)
    data = out.getvalue()
    scan = scan_bytes(data, ScrubOptions())
    assert any(f.field == "EXIF (raw profile) GPS" for f in scan.findings)
    cleaned = apply(data)
    assert len(cleaned) == len(data)
    with Image.open(io.BytesIO(cleaned)) as im:
        im.load()  # CRCs still valid
        text = im.text["Raw profile type exif"]
    decoded = binascii.unhexlify("".join(text.split("\n")[3:]))
    assert len(decoded) == len(raw_exif) and decoded != raw_exif
    rescan = scan_bytes(cleaned, ScrubOptions())
    assert not [
        f for f in rescan.location_findings if f.removed and "no valid" not in (f.value or "")
    ]


def test_compressed_png_xmp_with_location_is_compressed_again_clean() -> None:
    """A compressed iTXt XMP packet was refused; it is now cleaned, compressed again and
    written into the chunk's own bytes, a padding chunk filling what is left."""
    base = photo(None, None, datetime(2026, 1, 1), fmt="PNG")
    body = b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(XMP)
    chunk = (
        struct.pack(">I", len(body))
        + b"iTXt"
        + body
        + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    )
    data = base[:33] + chunk + base[33:]
    assert {f.field for f in scan_bytes(data, ScrubOptions()).location_findings} >= {
        "XMP exif:GPSLatitude", "XMP photoshop:City"
    }  # fmt: skip
    cleaned = apply(data)
    assert len(cleaned) == len(data) and cleaned[33 + len(chunk) :] == base[33:]
    assert not scan_bytes(cleaned, ScrubOptions()).location_findings
    with Image.open(io.BytesIO(cleaned)) as im, Image.open(io.BytesIO(base)) as original:
        packet = im.info["XML:com.adobe.xmp"]
        assert "Tromso" not in packet and "2026-03-02T22:15:00" in packet  # the time kept
        assert im.tobytes() == original.tobytes()


def test_drop_time_and_orientation(tmp_path: Path) -> None:
    data = photo(59.9, 10.7, datetime(2026, 1, 1, 8, 30), orientation=6)
    kept = apply(data)
    dropped = apply(data, ScrubOptions(drop_time=True, drop_orientation=True))
    for blob, has_time in ((kept, True), (dropped, False)):
        path = tmp_path / "t.jpg"
        path.write_bytes(blob)
        meta = read_media(path)
        assert meta.position is None
        assert (meta.capture_time is not None) == has_time
        with Image.open(path) as im:
            assert (im.getexif().get(0x0112) == 6) == has_time
            im.load()


def test_canon_cr3_gps_box_is_removed() -> None:
    tiff_gps = photo(45.0, 7.0, datetime(2026, 1, 1))  # any bytes standing for the GPS IFD
    canon = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
    cmt = _box(b"CMT4", b"II*\x00\x08\x00\x00\x00" + tiff_gps[:64])
    moov = _box(b"moov", _box(b"uuid", canon + cmt))
    data = _box(b"ftyp", b"crx \x00\x00\x00\x01crx isom") + moov
    scan = scan_bytes(data, ScrubOptions())
    assert [f.field for f in scan.location_findings] == ["CR3 CMT4 (GPS IFD)"]
    cleaned = apply(data)
    assert b"CMT4" not in cleaned and tiff_gps[:64] not in cleaned and len(cleaned) == len(data)


def _maker_note_jpeg(make: str, maker_note: bytes) -> bytes:
    image = Image.new("RGB", (16, 16), (10, 20, 30))
    exif = Image.Exif()
    exif[0x010F] = make
    exif.get_ifd(0x8769)[0x927C] = maker_note
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_maker_note_place_names_are_blanked(tmp_path: Path) -> None:
    # Panasonic: "Panasonic\0\0\0" + IFD in the parent's (little-endian) byte order
    panasonic = b"Panasonic\x00\x00\x00" + struct.pack("<HHHI4sI", 1, 0x6D, 7, 4, b"Oslo", 0)
    # Nikon type 3: own TIFF header; LocationInfo = version, encoding, country, POI, location
    location = b"0100" + b"\x01" + b"NOR" + b"\x00" + b"Tromso harbour".ljust(70, b"\x00")
    nikon = (
        b"Nikon\x00\x02\x10\x00\x00"
        + b"MM\x00*"
        + struct.pack(">IHHHII", 8, 1, 0x39, 7, len(location), 26)
    )
    nikon += struct.pack(">I", 0) + location
    for make, note, secret in (
        ("Panasonic", panasonic, b"Oslo"),
        ("NIKON CORPORATION", nikon, b"Tromso"),
    ):
        data = _maker_note_jpeg(make, note)
        scan = scan_bytes(data, ScrubOptions())
        fields = [f.field for f in scan.location_findings]
        assert len(fields) == 1 and "MakerNote" in fields[0], fields
        cleaned = apply(data)
        assert secret not in cleaned and len(cleaned) == len(data)
        assert b"NOR" not in cleaned or make == "Panasonic"
        # the rest of the maker note stays
        assert (b"Panasonic\x00" if make == "Panasonic" else b"Nikon\x00\x02") in cleaned
        if shutil.which("exiftool"):
            path = tmp_path / "m.jpg"
            for blob, expect_place in ((data, True), (cleaned, False)):
                path.write_bytes(blob)
                proc = subprocess.run(["exiftool", "-j", "-City", "-Location", str(path)],
                                      capture_output=True, text=True, check=True)  # fmt: skip
                record = json.loads(proc.stdout)[0]
                found = {
                    k: v for k, v in record.items() if k in ("City", "Location") and str(v).strip()
                }
                assert bool(found) == expect_place, (make, found)


def test_nikon_capture_iptc_in_the_maker_note_is_cleaned(tmp_path: Path) -> None:
    """exiftool's t/images/Nikon.nef: Nikon Capture NX keeps a copy of the IPTC record in
    the maker note (NikonCaptureData, record 0x9EF5F6E0). audit listed only the main IPTC
    block, and scrub's copy still named the city there (exiftool: IPTC2:City)."""
    iim = b"\x1c\x02\x00\x00\x02\x00\x04" + b"\x1c\x02\x5a\x00\x06Tromso"  # 2:90 City
    other = struct.pack("<I14xI", 0x2175EB78, 4 + 1) + b"\x01"  # D-LightingHQ on
    record = struct.pack("<I14xI", 0x9EF5F6E0, 4 + len(iim)) + iim
    capture = bytes(22) + other + record + bytes(22)
    nikon = b"Nikon\x00\x02\x10\x00\x00" + b"MM\x00*"
    nikon += struct.pack(">IHHHII", 8, 1, 0x0E01, 7, len(capture), 26) + struct.pack(">I", 0)
    nikon += capture
    data = _maker_note_jpeg("NIKON CORPORATION", nikon)
    scan = scan_bytes(data, ScrubOptions())
    assert [(f.field, f.value) for f in scan.location_findings] == [
        ("EXIF MakerNote NikonCapture IPTC City", "Tromso")
    ]
    cleaned = apply(data)
    assert b"Tromso" not in cleaned and len(cleaned) == len(data)
    assert other in cleaned  # the rest of the Nikon Capture data stays
    assert not scan_bytes(cleaned, ScrubOptions()).location_findings
    if shutil.which("exiftool"):
        path = tmp_path / "n.jpg"
        for blob, expect_place in ((data, True), (cleaned, False)):
            path.write_bytes(blob)
            proc = subprocess.run(["exiftool", "-j", "-a", "-G1", "-City", str(path)],
                                  capture_output=True, text=True, check=True)  # fmt: skip
            record_json = json.loads(proc.stdout)[0]
            found = {k: v for k, v in record_json.items() if k.endswith(":City") and v}
            assert bool(found) == expect_place, found


def _gif_with_xmp() -> bytes:
    image = Image.new("P", (8, 8), 3)
    out = io.BytesIO()
    image.save(out, "GIF")
    gif = out.getvalue()
    table = 3 * (2 << (gif[10] & 7)) if gif[10] & 0x80 else 0
    trailer = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    ext = b"\x21\xff\x0bXMP DataXMP" + b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>' + XMP
    ext += b'<?xpacket end="w"?>' + trailer
    return gif[: 13 + table] + ext + gif[13 + table :]


def test_gif_xmp_is_blanked_and_the_gif_still_decodes(tmp_path: Path) -> None:
    data = _gif_with_xmp()
    with Image.open(io.BytesIO(data)) as im:
        pixels = im.convert("RGB").tobytes()
    scan = scan_bytes(data, ScrubOptions())
    assert {"XMP exif:GPSLatitude", "XMP exif:GPSLongitude"} <= {
        f.field for f in scan.location_findings
    }
    cleaned = apply(data)
    assert b"69,38" not in cleaned and len(cleaned) == len(data)
    with Image.open(io.BytesIO(cleaned)) as im:
        assert im.convert("RGB").tobytes() == pixels
    # the reader walks the same blocks: it reads the position scrub removes
    path = tmp_path / "x.gif"
    for blob, expect in ((data, True), (cleaned, False)):
        path.write_bytes(blob)
        meta = read_media(path)
        assert (meta.position is not None) == expect, meta
        if expect:
            assert meta.position.lat == pytest.approx(69 + 38.934 / 60)
    if shutil.which("exiftool"):
        for blob, expect in ((data, True), (cleaned, False)):
            path.write_bytes(blob)
            proc = subprocess.run(["exiftool", "-j", "-n", "-GPSLatitude", "-City", str(path)],
                                  capture_output=True, text=True, check=True)  # fmt: skip
            record = json.loads(proc.stdout)[0]
            assert ("GPSLatitude" in record) == expect, record


def test_formats_without_metadata_containers_pass_unchanged() -> None:
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, "BMP")
    assert scan_bytes(bmp.getvalue(), ScrubOptions()).patches == []
    with pytest.raises(Unsupported):
        scan_bytes(b"RIFF\x00\x00\x00\x00AVI LIST", ScrubOptions())


# PLUS License Data Format 1.2 (ns.useplus.org/LDF/ldf-XMPSpecification): plus:Licensor is
# an rdf:Seq of plus:LicensorDetail structures, as exiftool 12 writes them (elements in a
# parseType='Resource' item), and a second licensor in the attribute form RDF also allows.
_PLUS_LICENSOR = (
    b"<?xpacket begin='\xef\xbb\xbf' id='W5M0MpCehiHzreSzNTczkc9d'?>\n"
    b"<x:xmpmeta xmlns:x='adobe:ns:meta/' x:xmptk='Image::ExifTool 12.57'>\n"
    b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n"
    b" <rdf:Description rdf:about=''\n  xmlns:plus='http://ns.useplus.org/ldf/xmp/1.0/'>\n"
    b"  <plus:ImageCreator>\n   <rdf:Seq>\n    <rdf:li rdf:parseType='Resource'>\n"
    b"     <plus:ImageCreatorID>IC-77</plus:ImageCreatorID>\n"
    b"     <plus:ImageCreatorName>Kari Nordmann</plus:ImageCreatorName>\n"
    b"    </rdf:li>\n   </rdf:Seq>\n  </plus:ImageCreator>\n"
    b"  <plus:Licensor>\n   <rdf:Seq>\n    <rdf:li rdf:parseType='Resource'>\n"
    b"     <plus:LicensorCity>Tromso</plus:LicensorCity>\n"
    b"     <plus:LicensorCountry>Norway</plus:LicensorCountry>\n"
    b"     <plus:LicensorEmail>kari@example.org</plus:LicensorEmail>\n"
    b"     <plus:LicensorExtendedAddress>Flat 3</plus:LicensorExtendedAddress>\n"
    b"     <plus:LicensorID>LIC-1</plus:LicensorID>\n"
    b"     <plus:LicensorName>Kari Nordmann</plus:LicensorName>\n"
    b"     <plus:LicensorPostalCode>9008</plus:LicensorPostalCode>\n"
    b"     <plus:LicensorRegion>Troms</plus:LicensorRegion>\n"
    b"     <plus:LicensorStreetAddress>Storgata 1</plus:LicensorStreetAddress>\n"
    b"     <plus:LicensorTelephone1>+47 777 00 000</plus:LicensorTelephone1>\n"
    b"     <plus:LicensorTelephoneType1>http://ns.useplus.org/ldf/vocab/work"
    b"</plus:LicensorTelephoneType1>\n"
    b"     <plus:LicensorURL>http://example.org/</plus:LicensorURL>\n"
    b"    </rdf:li>\n"
    b"    <rdf:li plus:LicensorCity='Bergen' plus:LicensorStreetAddress='Bryggen 2'"
    b" plus:LicensorName='Ola Nordmann'/>\n"
    b"   </rdf:Seq>\n  </plus:Licensor>\n </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
    b"<?xpacket end='w'?>"
)


@pytest.mark.parametrize("all_identifying", [False, True])
def test_plus_licensor_address_is_a_place_and_its_parties_identify(all_identifying: bool) -> None:
    """The licensor's postal address (the six PLUS address properties, in either RDF form)
    is removed by default; the names, ids, e-mail, phone and URL of the PLUS parties
    (licensor, image creator) with --all-identifying; the phone type, a vocabulary URL,
    stays. Checked in a JPEG, the XMP still well-formed."""
    import xml.dom.minidom

    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + _PLUS_LICENSOR
    jpeg = photo(None, None, datetime(2026, 1, 1))
    data = jpeg[:2] + _app1(xmp) + jpeg[2:]
    opts = ScrubOptions(all_identifying=all_identifying)
    scan = scan_bytes(data, opts)
    cleaned = apply(data, opts)
    assert len(cleaned) == len(data)
    start = cleaned.index(b"<?xpacket begin")
    xml.dom.minidom.parseString(cleaned[start : start + len(_PLUS_LICENSOR)])
    address = (b"Tromso", b"Norway", b"Flat 3", b"9008", b"Troms<", b"Storgata 1", b"Bergen",
               b"Bryggen 2")  # fmt: skip
    assert not any(a in cleaned for a in address)
    parties = (b"LIC-1", b"IC-77", b"Kari Nordmann", b"Ola Nordmann", b"kari@example.org",
               b"+47 777 00 000", b"http://example.org/")  # fmt: skip
    assert [p for p in parties if (p in cleaned) is all_identifying] == []
    assert b"http://ns.useplus.org/ldf/vocab/work" in cleaned
    places = {f.field.split(":")[-1] for f in scan.findings if f.kind is FindingKind.PLACE}
    assert places == {
        "LicensorStreetAddress", "LicensorExtendedAddress", "LicensorCity", "LicensorRegion",
        "LicensorPostalCode", "LicensorCountry",
    }  # fmt: skip
    with Image.open(io.BytesIO(cleaned)) as im:
        im.load()


def _png_with_text(ctype: bytes, body: bytes) -> bytes:
    base = photo(None, None, datetime(2026, 1, 1), fmt="PNG")
    chunk = struct.pack(">I", len(body)) + ctype + body
    chunk += struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)
    at = base.index(b"IDAT") - 4
    return base[:at] + chunk + base[at:]


def _magick_profile(kind: bytes, payload: bytes) -> bytes:
    """ImageMagick's profile text: "\\nKIND\\n     LEN\\nHEX lines" (short: no 64 hex digits)."""
    hexed = binascii.hexlify(payload)
    lines = b"\n".join(hexed[i : i + 72] for i in range(0, len(hexed), 72))
    return b"\n" + kind + b"\n" + b"%8d" % len(payload) + b"\n" + lines + b"\n"


IIM_CITY = b"\x1c\x02\x00\x00\x02\x00\x04" + b"\x1c\x02\x5a\x00\x06Tromso"  # 2:90 City


@pytest.mark.parametrize("wrapped", [False, True])
def test_png_imagemagick_raw_iptc_profile_is_cleaned(wrapped: bool) -> None:
    """ImageMagick keeps a JPEG's IPTC as 'Raw profile type iptc' (bare IIM records or
    Photoshop resources, as exiftool reads both); scrub copied its City untouched and audit
    never saw it."""
    iim = IIM_CITY
    if wrapped:  # a Photoshop IRB: 8BIM, resource 0x0404, empty name, size, data (even)
        iim = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00" * (len(iim) % 2)
    data = _png_with_text(b"tEXt", b"Raw profile type iptc\x00" + _magick_profile(b"iptc", iim))
    scan = scan_bytes(data, ScrubOptions())
    assert [(f.field, f.value) for f in scan.location_findings] == [("IPTC City", "Tromso")]
    cleaned = apply(data)
    assert len(cleaned) == len(data) and b"Tromso" not in cleaned
    assert binascii.hexlify(b"Tromso") not in cleaned
    with Image.open(io.BytesIO(cleaned)) as im:
        im.load()  # CRCs still valid
    assert not scan_bytes(cleaned, ScrubOptions()).location_findings


def test_a_compressed_png_iptc_profile_with_a_place_is_compressed_again_clean() -> None:
    """Refused before (same-length patches cannot rewrite compressed text); now the
    profile is cleaned and compressed again into the chunk's bytes."""
    compressed = zlib.compress(_magick_profile(b"iptc", IIM_CITY))
    data = _png_with_text(b"zTXt", b"Raw profile type iptc\x00\x00" + compressed)
    located = [(f.field, f.value) for f in scan_bytes(data, ScrubOptions()).location_findings]
    assert located == [("IPTC City", "Tromso")]
    cleaned = apply(data)
    assert len(cleaned) == len(data)
    assert not scan_bytes(cleaned, ScrubOptions()).location_findings
    with Image.open(io.BytesIO(cleaned)) as im, Image.open(io.BytesIO(data)) as original:
        assert im.tobytes() == original.tobytes()
        assert "Tromso" not in im.info["Raw profile type iptc"]


def test_every_compressed_png_chunk_that_holds_a_place_is_reported() -> None:
    """exiv2's ReaganLargePng.png: a compressed EXIF profile, then a compressed IPTC profile
    naming the city. The walk stopped at the first chunk scrub refused, so audit did not
    list the city (and called the file not leaking); it now goes on, and both are cleaned."""
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Oslo"/></rdf:RDF></x:xmpmeta>'
    first = b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(xmp)
    data = _png_with_text(b"iTXt", first)
    at = data.index(b"IDAT") - 4
    profile = _magick_profile(b"iptc", IIM_CITY * 20)
    data = (
        data[:at]
        + _png_chunk_of(b"zTXt", b"Raw profile type iptc\x00\x00" + zlib.compress(profile))
        + data[at:]
    )
    values = {(f.field, f.value) for f in scan_bytes(data, ScrubOptions()).location_findings}
    assert ("IPTC City", "Tromso") in values and any(v == "Oslo" for _, v in values)
    assert not scan_bytes(apply(data), ScrubOptions()).location_findings
    # chunks scrub cannot rewrite (XMP in tEXt) are all reported, and the file refused
    plain = b"XML:com.adobe.xmp\x00" + xmp
    twice = _png_with_text(b"tEXt", plain)
    at = twice.index(b"IDAT") - 4
    twice = twice[:at] + _png_chunk_of(b"tEXt", plain.replace(b"Oslo", b"Bergen")) + twice[at:]
    with pytest.raises(Unsupported, match="and 1 more such chunks") as refused:
        scan_bytes(twice, ScrubOptions())
    assert {f.value for f in refused.value.findings if f.kind in LOCATING} >= {"Oslo", "Bergen"}


def _png_chunk_of(ctype: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", crc)


PARIS = Path(__file__).resolve().parent.parent / "data" / "wider" / "libavif_paris_icc_exif_xmp.png"


def test_a_real_png_with_compressed_profiles_is_cleaned_pixels_unchanged(tmp_path: Path) -> None:
    """libavif's paris_icc_exif_xmp.png keeps its EXIF and XMP as compressed ImageMagick
    profiles (zTXt); its GPS block (a 0,0 placeholder, the fix's date and time, the camera's
    heading) is removed like a JPEG's, the chunks compressed again into their own bytes."""
    from geoleak.remedy.scrub import scrub_file

    original = PARIS.read_bytes()
    scan = scan_bytes(original, ScrubOptions())
    assert [(f.field, f.removed) for f in scan.location_findings] == [
        ("EXIF (raw profile) GPS", True)
    ]
    out = tmp_path / "clean.png"
    assert scrub_file(PARIS, out).status == "cleaned"
    cleaned = out.read_bytes()
    assert PARIS.read_bytes() == original and len(cleaned) == len(original)
    assert not scan_bytes(cleaned, ScrubOptions()).location_findings
    assert read_media(out).capture_time == read_media(PARIS).capture_time  # time kept
    with Image.open(PARIS) as before, Image.open(out) as after:
        assert before.tobytes() == after.tobytes()
    if shutil.which("exiftool"):
        proc = subprocess.run(["exiftool", "-j", "-G1", "-a", "-gps:all", "-Orientation", str(out)],
                              capture_output=True, text=True, check=True)  # fmt: skip
        record = json.loads(proc.stdout)[0]
        assert not [k for k in record if k.startswith("GPS:")], record
        assert record.get("IFD0:Orientation") == "Horizontal (normal)"


def _afcp_trailer(at: int, records: list[tuple[bytes, bytes]], order: str = ">") -> bytes:
    """An AXS File Concatenation Protocol trailer starting at file offset `at`, built from
    its layout (exiftool's AFCP reader and its t/images/AFCP.jpg): a header ("AXS!" for
    big-endian, "AXS*" for little-endian, version 1, the record count, 4 bytes), a
    directory of (id, size, file offset), the records, then the 12-byte footer (the
    header's 4 bytes, its file offset, 4 bytes)."""
    tag = b"AXS!" if order == ">" else b"AXS*"
    offset = at + 12 + 12 * len(records)
    directory, body = b"", b""
    for record, payload in records:
        directory += record + struct.pack(order + "II", len(payload), offset)
        body += payload
        offset += len(payload)
    header = tag + struct.pack(order + "HHI", 1, len(records), 0)
    return header + directory + body + tag + struct.pack(order + "II", at, 0)


@pytest.mark.parametrize("order", [">", "<"])
def test_iptc_in_an_afcp_trailer_after_the_image_is_listed_and_blanked(order: str) -> None:
    """exiftool's AFCP.jpg keeps its IPTC (City, Province-State, Country) in an AFCP
    trailer after the JPEG's end of image: audit listed nothing (the file clean) and scrub
    copied it as it was. Now its place names are listed and blanked as an APP13 block's;
    only trailer bytes change, so the image (every byte up to its EOI) is untouched."""
    image = photo(None, None, datetime(2026, 1, 1))
    iim = IIM_CITY + b"\x1c\x02\x65\x00\x06Norway" + b"\x1c\x02\x69\x00\x08headline"
    text = b"Shot at 69.6492 N, 18.9553 E"
    data = image + _afcp_trailer(len(image), [(b"IPTC", iim), (b"TEXT", text)], order)
    result = scan_bytes(data, ScrubOptions())
    places = {f.field: f.value for f in result.findings if f.kind in LOCATING}
    assert places.get("AFCP IPTC City") == "Tromso"
    assert places.get("AFCP IPTC Country-PrimaryLocationName") == "Norway"
    assert "AFCP Text" in places
    cleaned = apply(data)
    assert len(cleaned) == len(data) and cleaned[: len(image)] == image
    assert b"Tromso" not in cleaned and b"Norway" not in cleaned and b"69.6492" not in cleaned
    assert b"headline" in cleaned  # not a place: kept
    assert not [f for f in scan_bytes(cleaned, ScrubOptions()).findings if f.kind in LOCATING]
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(cleaned)) as after:
        assert before.tobytes() == after.tobytes()


def test_a_thumbnail_in_an_afcp_trailer_is_read_and_cleaned_as_an_embedded_image() -> None:
    """AFCP's Nail (thumbnail) and PrVw (preview) records hold a JPEG after a 10-18 byte
    header (exiftool's AFCP reader). Its EXIF GPS is found and blanked by the scan of
    images after the first one's end, as an MPO's frames are; only trailer bytes change."""
    image = photo(None, None, datetime(2026, 1, 1))
    thumb = photo(69.6492, 18.9553, datetime(2026, 1, 1), size=(16, 12))
    data = image + _afcp_trailer(len(image), [(b"Nail", bytes(18) + thumb)])
    located = [f for f in scan_bytes(data, ScrubOptions()).findings if f.kind in LOCATING]
    assert [(f.field, f.position) for f in located] == [
        ("EXIF (embedded image) GPS", pytest.approx((69.6492, 18.9553), abs=1e-4))
    ]
    cleaned = apply(data)
    assert len(cleaned) == len(data) and cleaned[: len(image)] == image
    assert not [f for f in scan_bytes(cleaned, ScrubOptions()).findings if f.kind in LOCATING]


def _samsung_trailer(blocks: list[tuple[int, bytes, bytes]]) -> bytes:
    """A Samsung trailer (exiftool's Samsung Trailer, laid out as its Galaxy S7 samples
    are): blocks of (2 bytes, type, name length, name, value), then "SEFH", a version,
    the count and per block (2 bytes, type, distance back from SEFH, size), then the
    directory's size and "SEFT"; little-endian. exiftool 12.57 reads this one's MCCData."""
    body, entries = b"", []
    for kind, name, value in blocks:
        block = struct.pack("<HHI", 0, kind, len(name)) + name + value
        entries.append((kind, len(body), len(block)))
        body += block
    head = b"SEFH" + struct.pack("<II", 107, len(entries))
    for kind, at, size in entries:
        head += struct.pack("<HHII", 0, kind, len(body) - at, size)
    return body + head + struct.pack("<I", len(head)) + b"SEFT"


def test_a_samsung_trailers_network_country_is_listed_and_blanked() -> None:
    """A Samsung phone's trailer may hold MCC_Data, the mobile network's country code
    (exiftool shows "MCC Data: Norway"): audit did not list it, scrub kept it. Now it is
    listed as a place and its digits blanked; the image and the trailer's other blocks
    (its time stamp) keep their bytes."""
    image = photo(None, None, datetime(2026, 1, 1))
    stamp = (0x0A01, b"Image_UTC_Data", b"1486666298918")
    data = image + _samsung_trailer([stamp, (0x0AA1, b"MCC_Data", b"242")])
    found = [f for f in scan_bytes(data, ScrubOptions()).findings if f.kind in LOCATING]
    assert [(f.field, f.value) for f in found] == [
        ("Samsung trailer MCC_Data", "mobile country code 242 (the country)")
    ]
    cleaned = apply(data)
    assert len(cleaned) == len(data) and cleaned[: len(image)] == image
    assert b"MCC_Data\x00\x00\x00" in cleaned and b"1486666298918" in cleaned
    assert not [f for f in scan_bytes(cleaned, ScrubOptions()).findings if f.kind in LOCATING]
    # a trailer with only the time stamp (the Galaxy S7 samples) has nothing to list
    plain = image + _samsung_trailer([stamp])
    assert not [f for f in scan_bytes(plain, ScrubOptions()).findings if f.kind in LOCATING]
