"""XMP packets in UTF-16 and UTF-32 (the XMP specification allows them; a few Windows
writers use UTF-16): read by audit, cleaned by scrub in their own encoding, losslessly."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import xml.dom.minidom
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from remedy_photos import photo

from geoleak.cli import main
from geoleak.extract.media import read_media
from geoleak.extract.xmp import parse_xmp, xmp_position
from geoleak.formats.coordinates import has_coordinates
from geoleak.formats.xmp import packet_encoding
from geoleak.remedy.model import Region, ScrubOptions, Unsupported
from geoleak.remedy.scrub import scrub_file
from geoleak.remedy.xmp import scan_xmp

ENCODINGS = ["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
_BOM = "\ufeff"
_XAP = b"http://ns.adobe.com/xap/1.0/\x00"


def packet_text(lat: str, lon: str, description: str, filler: str = "") -> str:
    """An XMP packet with a position in attributes, a caption that holds one, and text
    that must stay (`filler`, in a property geoleak keeps)."""
    return (
        f'<?xpacket begin="{_BOM}" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        f' exif:GPSLatitude="{lat}" exif:GPSLongitude="{lon}" xmp:Label="{filler}">\n'
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{description}</rdf:li>'
        "</rdf:Alt></dc:description>\n"
        '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
    )


def encoded(text: str, encoding: str, *, bom: bool) -> bytes:
    return ((_BOM if bom else "") + text).encode(encoding)


def cleaned(packet: bytes, opts: ScrubOptions | None = None) -> bytes:
    scan = scan_xmp(Region.whole(packet, 0, len(packet)), opts or ScrubOptions())
    out = bytearray(packet)
    for patch in scan.patches:
        out[patch.offset : patch.end] = patch.data
    return bytes(out)


def well_formed(text: str) -> bool:
    body = text.lstrip(_BOM).split("?>", 1)[1].rsplit("<?xpacket", 1)[0]
    return xml.dom.minidom.parseString(body) is not None


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("bom", [True, False])
def test_encoding_is_found_with_or_without_a_byte_order_mark(encoding: str, bom: bool) -> None:
    packet = encoded(packet_text("1,2N", "3,4E", "x"), encoding, bom=bom)
    assert packet_encoding(packet) == encoding
    assert xmp_position(parse_xmp(packet)).position is not None  # the reader reads it too


# text kept beside the position: non-ASCII of 1 to 4 UTF-8 bytes, one outside the BMP
# (two UTF-16 units), XML escapes
_KEPT = st.text(
    alphabet=st.sampled_from(list("abc XYZ-_.éßñ€中文\U0001f30d&<>\"'")), max_size=20
).map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
      .replace('"', "&quot;"))  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    lat=st.floats(min_value=-89.9, max_value=89.9).filter(lambda v: abs(v) > 0.01),
    lon=st.floats(min_value=-179.9, max_value=179.9).filter(lambda v: abs(v) > 0.01),
    encoding=st.sampled_from(ENCODINGS),
    bom=st.booleans(),
    before=_KEPT,
    filler=_KEPT,
)
def test_scrubbed_packets_keep_no_coordinate_and_stay_well_formed(
    lat: float, lon: float, encoding: str, bom: bool, before: str, filler: str
) -> None:
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    exif_lat = f"{int(abs(lat))},{abs(lat) % 1 * 60:.4f}{ns}"
    exif_lon = f"{int(abs(lon))},{abs(lon) % 1 * 60:.4f}{ew}"
    caption = f"{before} home at {lat:.5f}, {lon:.5f}"
    packet = encoded(packet_text(exif_lat, exif_lon, caption, filler), encoding, bom=bom)
    assert xmp_position(parse_xmp(packet)).position is not None

    out = cleaned(packet)
    assert len(out) == len(packet)
    assert packet_encoding(out) == encoding
    text = out.decode(encoding)  # still valid in its own encoding
    assert well_formed(text)
    assert not has_coordinates(text)
    assert xmp_position(parse_xmp(out)).position is None
    assert f'xmp:Label="{filler}"' in text  # what is not a leak is kept, byte for byte
    assert (
        out[: len(encoded("<?xpacket", encoding, bom=bom))]
        == packet[: len(encoded("<?xpacket", encoding, bom=bom))]
    )


def test_a_packet_that_does_not_decode_is_unsupported() -> None:
    bad = encoded(packet_text("1,2N", "3,4E", "x"), "utf-32-le", bom=True) + b"\x00\x00\x11\x00"
    with pytest.raises(Unsupported, match="not valid UTF-32-LE"):
        scan_xmp(Region.whole(bad, 0, len(bad)), ScrubOptions())


def jpeg_with_xmp(packet: bytes) -> bytes:
    """A real JPEG (EXIF GPS too) with `packet` in an APP1 XMP segment after SOI."""
    base = photo(10.5, 20.5, datetime(2026, 5, 1, 22, 10))
    body = _XAP + packet
    return base[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + base[2:]


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.tobytes()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("bom", [True, False])
def test_scrub_cleans_a_utf16_packet_in_a_jpeg(tmp_path: Path, encoding: str, bom: bool) -> None:
    packet = encoded(packet_text("48,51.3456N", "2,21.0123E", "Home at 48.8557, 2.3502"),
                     encoding, bom=bom)  # fmt: skip
    source = tmp_path / "in.jpg"
    source.write_bytes(jpeg_with_xmp(packet))
    original = source.read_bytes()
    out = tmp_path / "out.jpg"
    outcome = scrub_file(source, out, ScrubOptions())
    assert outcome.status == "cleaned", outcome.error
    cleaned_bytes = out.read_bytes()
    assert source.read_bytes() == original  # the original is untouched
    assert len(cleaned_bytes) == len(original)
    assert pixels(cleaned_bytes) == pixels(original)
    assert read_media(out).position is None
    fields = {f.field for f in outcome.removed}
    assert {"XMP exif:GPSLatitude", "XMP exif:GPSLongitude", "XMP dc:description"} <= fields
    if shutil.which("exiftool"):
        seen = subprocess.run(
            ["exiftool", "-n", "-s", "-s", "-s", "-GPSLatitude", "-GPSLongitude",
             "-Description", str(out)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert seen.strip() == ""
        before = subprocess.run(
            ["exiftool", "-n", "-s", "-s", "-s", "-XMP:GPSLatitude", str(source)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert before.strip().startswith("48.85")  # exiftool reads this packet


def test_scrub_and_audit_of_a_folder_with_utf16_and_undecodable_packets(tmp_path: Path) -> None:
    """The command: a UTF-16 packet is cleaned (exit 0 for it alone); a packet that does not
    decode leaves its file out, on one line naming it, and scrub exits 1."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    text = packet_text("48,51.3456N", "2,21.0123E", "Home at 48.8557, 2.3502")
    (folder / "wide.jpg").write_bytes(jpeg_with_xmp(encoded(text, "utf-16-be", bom=False)))
    runner = CliRunner()
    audit = runner.invoke(main, ["audit", str(folder), "--fail-on-leak", "-q"])
    assert audit.exit_code != 0  # a leak, and audit says so
    result = runner.invoke(main, ["scrub", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    clean = runner.invoke(main, ["audit", str(out), "--fail-on-leak", "-q"])
    assert clean.exit_code == 0, clean.output
    bad = encoded(text, "utf-32-le", bom=True) + b"\x00\x00\x11\x00"  # past U+10FFFF
    (folder / "broken.jpg").write_bytes(jpeg_with_xmp(bad))
    result = runner.invoke(main, ["scrub", str(folder), "-o", str(out), "--force"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "broken.jpg" in line]
    assert lines and "not valid UTF-32-LE" in lines[0], result.output
    assert not (out / "broken.jpg").exists()
