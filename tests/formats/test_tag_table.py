"""Table-driven: every location, place, identity and person field the tag table knows is
found by audit's scan and removed by scrub; free text is a leak exactly when it holds
coordinates."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from geoleak.formats.tags import TAGS, Kind, by_group
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.model import LOCATING, FindingKind, ScanResult, ScrubOptions

REMOVABLE = (Kind.LOCATION, Kind.PLACE, Kind.IDENTITY, Kind.PERSON)
EVERYTHING = ScrubOptions(all_identifying=True)
COORDS = "Latitude: 43.68739354 Longitude: -85.48351891"


def _apply(data: bytes, scan: ScanResult) -> bytes:
    out = bytearray(data)
    for patch in scan.patches:
        out[patch.offset : patch.end] = patch.data
    assert len(out) == len(data)
    return bytes(out)


def _jpeg(exif: Image.Exif | None = None, app: bytes = b"") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 30)).save(
        out, "JPEG", exif=exif.tobytes() if exif else b""
    )
    data = out.getvalue()
    return data[:2] + app + data[2:]


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def _exif_value(tag_id: int, text: str) -> str | bytes:
    if 0x9C9B <= tag_id <= 0x9C9F:
        return (text + "\x00").encode("utf-16-le")
    if tag_id == 0x9286:
        return b"ASCII\x00\x00\x00" + text.encode()
    if tag_id in (0x927C, 0xC634, 0xC65D):
        return text.encode()
    return text


def _fields(scan: ScanResult) -> dict[str, FindingKind]:
    return {f.field: f.kind for f in scan.findings}


def _check_removed(data: bytes, field: str, opts: ScrubOptions) -> None:
    scan = scan_bytes(data, opts)
    found = [f for f in scan.findings if f.field.endswith(field)]
    assert found, (field, _fields(scan))
    assert all(f.removed for f in found), found
    again = scan_bytes(_apply(data, scan), opts)
    assert not [f for f in again.findings if f.field.endswith(field)], _fields(again)


EXIF_TAGS = [t for t in TAGS if t.group == "EXIF" and t.kind in REMOVABLE and t.name != "GPSInfo"]


@pytest.mark.parametrize("tag", EXIF_TAGS, ids=lambda t: t.name)
def test_every_exif_identity_field_is_read_and_removed(tag: object) -> None:
    exif = Image.Exif()
    exif[int(tag.id)] = _exif_value(int(tag.id), "SN-4711-OWNER")  # type: ignore[attr-defined]
    data = _jpeg(exif)
    kept = scan_bytes(data, ScrubOptions())
    assert any(f.field.endswith(tag.name) and not f.removed for f in kept.findings)  # type: ignore[attr-defined]
    _check_removed(data, tag.name, EVERYTHING)  # type: ignore[attr-defined]


def test_exif_gps_is_read_and_removed() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Fictocam"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (69.0, 38.0, 56.0), "E", (18.0, 57.0, 18.0)
    _check_removed(_jpeg(exif), "EXIF GPS", ScrubOptions())


FREE_TEXT = [t for t in TAGS if t.group == "EXIF" and t.kind is Kind.FREE_TEXT]


@pytest.mark.parametrize("tag", FREE_TEXT, ids=lambda t: t.name)
def test_exif_free_text_with_coordinates_is_a_location_leak(tag: object) -> None:
    tid = int(tag.id)  # type: ignore[attr-defined]
    plain = Image.Exif()
    plain[tid] = _exif_value(tid, "Sunset over the bay, v1.2.3, 2024.05.06")
    assert not scan_bytes(_jpeg(plain), ScrubOptions()).findings
    exif = Image.Exif()
    exif[tid] = _exif_value(tid, f"Trip ... {COORDS}")
    data = _jpeg(exif)
    scan = scan_bytes(data, ScrubOptions())
    leak = [f for f in scan.findings if f.field.endswith(tag.name)]  # type: ignore[attr-defined]
    assert leak[0].kind is FindingKind.LOCATION
    assert leak[0].position == pytest.approx((43.68739354, -85.48351891))
    _check_removed(data, tag.name, ScrubOptions())  # type: ignore[attr-defined]
    assert b"43.687" not in _apply(data, scan)


def _iim(dataset: int, value: bytes) -> bytes:
    return b"\x1c\x02" + bytes([dataset]) + struct.pack(">H", len(value)) + value


def _app13(iim: bytes) -> bytes:
    irb = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00" * (len(iim) & 1)
    return _segment(0xED, b"Photoshop 3.0\x00" + irb)


IPTC = [t for t in TAGS if t.group == "IPTC" and t.kind in (*REMOVABLE, Kind.FREE_TEXT)]


@pytest.mark.parametrize("tag", IPTC, ids=lambda t: t.name)
def test_every_iptc_field_is_read_and_removed(tag: object) -> None:
    value = COORDS if tag.kind is Kind.FREE_TEXT else "Tromso"  # type: ignore[attr-defined]
    data = _jpeg(app=_app13(_iim(int(tag.id), value.encode())))  # type: ignore[attr-defined]
    _check_removed(data, f"IPTC {tag.name}", EVERYTHING)  # type: ignore[attr-defined]


XMP = [t for t in TAGS if t.group == "XMP" and t.kind in (*REMOVABLE, Kind.FREE_TEXT)]


@pytest.mark.parametrize("tag", XMP, ids=lambda t: str(t.id))
def test_every_xmp_field_is_read_and_removed(tag: object) -> None:
    value = COORDS if tag.kind is Kind.FREE_TEXT else "Tromso 4711"  # type: ignore[attr-defined]
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:ns="http://example.com/ns/"><ns:{tag.id}>{value}</ns:{tag.id}>'  # type: ignore[attr-defined]
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    data = _jpeg(app=_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet))
    _check_removed(data, f"XMP ns:{tag.id}", EVERYTHING)  # type: ignore[attr-defined]


def _box(btype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), btype) + payload


def _qt_text(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">HH", len(raw), 0x15C7) + raw


QUICKTIME = [t for t in TAGS if t.group == "QuickTime" and t.kind in (*REMOVABLE, Kind.FREE_TEXT)]


@pytest.mark.parametrize("tag", QUICKTIME, ids=lambda t: t.name)
def test_every_quicktime_atom_is_read_and_removed(tag: object) -> None:
    atom = bytes(tag.id)  # type: ignore[attr-defined]
    if atom == b"loci":
        payload = (
            b"\x00" * 4 + b"\x15\xc7" + b"Home\x00\x00" + struct.pack(">iii", 1241513, 4565231, 0)
        )
    elif atom in (b"\xa9xyz", b"\xa9lox"):
        payload = _qt_text("+69.6489+018.9551/")
    elif tag.kind is Kind.FREE_TEXT:  # type: ignore[attr-defined]
        payload = _qt_text(COORDS)
    else:
        payload = _qt_text("Kari Nordmann")
    data = (
        _box(b"ftyp", b"qt  \x00\x00\x00\x00qt  ")
        + _box(b"moov", _box(b"udta", _box(atom, payload)))
        + _box(b"mdat", b"\x00" * 16)
    )
    scan = scan_bytes(data, EVERYTHING)
    assert [f for f in scan.findings if f.removed], scan.findings
    cleaned = _apply(data, scan)
    assert atom not in cleaned[: len(cleaned) - 24]
    assert not scan_bytes(cleaned, EVERYTHING).findings


def test_table_groups_have_readers_and_removers() -> None:
    # every group a reader consults is one a remover consults (no side-only knowledge)
    for group in ("EXIF", "GPS", "IPTC", "XMP", "QuickTime", "QuickTime keys", "Panasonic",
                  "Nikon", "Canon", "FLIR", "InfiRay", "RMETA", "GoPro", "PNG"):  # fmt: skip
        assert by_group(group)
    assert {Kind.LOCATION, Kind.PLACE} <= {t.kind for t in TAGS}
    assert FindingKind.PLACE in LOCATING
