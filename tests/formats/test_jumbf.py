"""C2PA content credentials (JUMBF in JPEG APP11): their JSON assertions' location.

Found on exiftool's t/images/ExifTool.jpg: its C2PA store holds a `cai.location.broad`
assertion, {"location": "Salem, Oregon"}; audit did not list it and scrub's copy still
held it (exiftool: JSON:Location). The photos here are built from the JUMBF and C2PA
specifications; ExifTool.jpg itself (Artistic/GPL) is not bundled.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from remedy_photos import photo

from geoleak.formats.jumbf import (
    cbor_leaves,
    iter_boxes,
    jpeg_jumbf_extents,
    json_leaves,
    jumbf_label,
)
from geoleak.remedy.audit import audit
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.model import LOCATING, FindingKind, ScrubOptions
from geoleak.remedy.scrub import scrub_file

JSON_TYPE = bytes.fromhex("6a736f6e00110010800000aa00389b71")  # the JSON content type UUID
C2PA_TYPE = bytes.fromhex("6332706100110010800000aa00389b71")
EXIF_LD = {
    "@context": {"exif": "http://ns.adobe.com/exif/1.0/"},
    "exif:GPSVersionID": "2.2.0.0",
    "exif:GPSLatitude": "39,21.102N",
    "exif:GPSLongitude": "74,26.5737W",
    "exif:GPSAltitude": 100.963,
    "exif:DateTimeOriginal": "2019-09-22T18:22:57Z",
}


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _superbox(type_uuid: bytes, label: str, *content: bytes) -> bytes:
    jumd = _box(b"jumd", type_uuid + b"\x03" + label.encode() + b"\x00")
    return _box(b"jumb", jumd + b"".join(content))


def _store() -> bytes:
    exif = _superbox(JSON_TYPE, "stds.exif", _box(b"json", json.dumps(EXIF_LD).encode()))
    broad = _superbox(
        JSON_TYPE, "cai.location.broad", _box(b"json", b'{"location": "Salem, Oregon"}')
    )
    rights = _superbox(JSON_TYPE, "cai.rights", _box(b"json", b'{"copyright": "A. Nobody"}'))
    assertions = _superbox(C2PA_TYPE, "c2pa.assertions", exif, broad, rights)
    return _superbox(C2PA_TYPE, "c2pa", _superbox(C2PA_TYPE, "urn:uuid:fiction", assertions))


def _jpeg_with_store(store: bytes, packet: int) -> bytes:
    """A photo with `store` split into APP11 packets of `packet` payload bytes each, the
    box header repeated in every packet after the first (JPEG XT)."""
    base = photo(None, None, datetime(2026, 1, 1))
    header, payload = store[:8], store[8:]
    segments = b""
    for n, at in enumerate(range(0, len(payload), packet)):
        body = b"JP" + struct.pack(">HI", 1, n + 1) + header + payload[at : at + packet]
        segments += b"\xff\xeb" + struct.pack(">H", len(body) + 2) + body
    return base[:2] + segments + base[2:]


def test_the_store_is_reassembled_from_its_packets_and_walked() -> None:
    store = _store()
    data = _jpeg_with_store(store, 100)
    segments = []
    pos = 2
    while data[pos + 1] == 0xEB:
        length = struct.unpack_from(">H", data, pos + 2)[0]
        segments.append((pos + 4, pos + 2 + length))
        pos += 2 + length
    [extents] = jpeg_jumbf_extents(segments, data)
    logical = b"".join(data[start : start + n] for start, n in extents)
    assert logical == store
    labels = [jumbf_label(logical, b) for b in iter_boxes(logical) if b.type == b"jumd"]
    assert labels == [
        "c2pa", "urn:uuid:fiction", "c2pa.assertions", "stds.exif", "cai.location.broad",
        "cai.rights",
    ]  # fmt: skip


def test_audit_lists_and_scrub_blanks_the_location_assertions(tmp_path: Path) -> None:
    data = _jpeg_with_store(_store(), 120)  # a packet boundary falls inside the JSON
    scan = scan_bytes(data, ScrubOptions())
    located = {(f.field, f.value) for f in scan.location_findings}
    assert located == {
        ("C2PA stds.exif exif:GPSVersionID", "2.2.0.0"),  # (every GPS property, as in XMP)
        ("C2PA stds.exif exif:GPSLatitude", "39,21.102N"),
        ("C2PA stds.exif exif:GPSLongitude", "74,26.5737W"),
        ("C2PA stds.exif exif:GPSAltitude", "100.963"),
        ("C2PA cai.location.broad location", "Salem, Oregon"),
    }
    (tmp_path / "in").mkdir()
    source = tmp_path / "in" / "credentials.jpg"
    source.write_bytes(data)
    report = audit([tmp_path / "in"], geocoder=None)
    assert report.leaks
    out = tmp_path / "clean.jpg"
    assert scrub_file(source, out).status == "cleaned"
    cleaned = out.read_bytes()
    assert source.read_bytes() == data and len(cleaned) == len(data)
    assert b"Salem" not in cleaned and b"74,26" not in cleaned
    assert b"A. Nobody" in cleaned and b"2019-09-22T18:22:57Z" in cleaned  # rights, time kept
    assert not scan_bytes(cleaned, ScrubOptions()).location_findings  # nothing left to find
    with Image.open(io.BytesIO(cleaned)) as a, Image.open(io.BytesIO(data)) as b:
        assert a.tobytes() == b.tobytes()


def test_the_blanked_assertions_are_still_json() -> None:
    cleaned = bytearray(_jpeg_with_store(_store(), 4096))
    for patch in scan_bytes(bytes(cleaned), ScrubOptions()).patches:
        cleaned[patch.offset : patch.end] = patch.data
    at = bytes(cleaned).index(b'{"@context"')
    end = bytes(cleaned).index(b"}", bytes(cleaned).index(b"DateTimeOriginal", at)) + 1
    blanked = json.loads(bytes(cleaned[at:end]))
    assert blanked["exif:GPSLatitude"].strip() == "" and blanked["exif:GPSAltitude"] == 0
    assert blanked["exif:DateTimeOriginal"] == EXIF_LD["exif:DateTimeOriginal"]


_SCALARS = st.one_of(
    st.text(max_size=12), st.integers(-(10**9), 10**9), st.booleans(), st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
)  # fmt: skip


def _nested(scalars: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Lists and string-keyed maps of `scalars`, nested."""
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    )


_JSON = _nested(_SCALARS)


@settings(max_examples=200, deadline=None)
@given(_JSON, st.booleans())
def test_every_string_and_number_is_found_where_it_lies(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=None).encode()
    leaves = json_leaves(text)
    expected = []

    def scalars(node: object) -> None:
        if isinstance(node, dict):
            for item in node.values():
                scalars(item)
        elif isinstance(node, list):
            for item in node:
                scalars(item)
        elif node is not None and not isinstance(node, bool):
            expected.append(node)

    scalars(value)
    assert [json.loads(text[leaf.start : leaf.end]) for leaf in leaves] == expected


def test_a_place_name_key_is_a_place_and_other_keys_are_not() -> None:
    store = _superbox(
        C2PA_TYPE, "c2pa",
        _superbox(JSON_TYPE, "stds.iptc", _box(b"json", json.dumps({
            "Iptc4xmpExt:LocationCreated": {"Iptc4xmpExt:City": "Tromso"},
            "dc:creator": ["A. Nobody"],
        }).encode())),
    )  # fmt: skip
    scan = scan_bytes(_jpeg_with_store(store, 4096), ScrubOptions())
    assert [(f.field, f.kind) for f in scan.findings if f.kind in LOCATING] == [
        ("C2PA stds.iptc Iptc4xmpExt:City", FindingKind.PLACE)
    ]


def _in_png(store: bytes) -> bytes:
    png = photo(None, None, datetime(2026, 1, 1), fmt="PNG")
    at = png.index(b"IDAT") - 4
    chunk = struct.pack(">I", len(store)) + b"caBX" + store
    chunk += struct.pack(">I", zlib.crc32(b"caBX" + store) & 0xFFFFFFFF)
    return png[:at] + chunk + png[at:]


def _in_webp(store: bytes) -> bytes:
    webp = photo(None, None, datetime(2026, 1, 1), fmt="WEBP")
    body = webp[12:] + b"C2PA" + struct.pack("<I", len(store)) + store + b"\x00" * (len(store) & 1)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _in_mp4(store: bytes) -> bytes:
    c2pa = bytes.fromhex("d8fec3d61b0e483c92975828877ec481") + bytes(4) + b"manifest\x00"
    return (
        _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
        + _box(b"uuid", c2pa + struct.pack(">Q", 0) + store)
        + _box(b"mdat", bytes(64))
    )


@pytest.mark.parametrize("container", [_in_png, _in_webp, _in_mp4])
def test_content_credentials_in_png_webp_and_iso_media_are_cleaned(container: Any) -> None:
    """C2PA stores a manifest in PNG's caBX chunk, WebP's C2PA chunk and an ISO BMFF uuid
    box (HEIF, AVIF, MP4, MOV) as it does in JPEG's APP11: the same location values."""
    data = container(_store())
    located = {f.field for f in scan_bytes(data, ScrubOptions()).location_findings}
    assert "C2PA cai.location.broad location" in located
    assert "C2PA stds.exif exif:GPSLatitude" in located
    cleaned = bytearray(data)
    for patch in scan_bytes(data, ScrubOptions()).patches:
        cleaned[patch.offset : patch.end] = patch.data
    assert b"Salem" not in cleaned and len(cleaned) == len(data)
    assert not scan_bytes(bytes(cleaned), ScrubOptions()).location_findings
    if container is not _in_mp4:
        with Image.open(io.BytesIO(bytes(cleaned))) as a, Image.open(io.BytesIO(data)) as b:
            assert a.tobytes() == b.tobytes()  # (a PNG's CRC is recomputed: it still decodes)


# -- CBOR assertions (RFC 8949) ---------------------------------------------------------------
CBOR_TYPE = bytes.fromhex("63626f7200110010800000aa00389b71")  # the CBOR content type UUID


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes([major << 5 | info]) + n.to_bytes(width, "big")
    raise ValueError(n)


def _cbor(value: object) -> bytes:
    """A small definite-length CBOR encoder for the tests (floats as doubles)."""
    if value is None or isinstance(value, bool):
        return bytes([0xF6 if value is None else 0xF5 if value else 0xF4])
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(_cbor(v) for v in value)
    assert isinstance(value, dict)
    return _cbor_head(5, len(value)) + b"".join(_cbor(k) + _cbor(v) for k, v in value.items())


_CBOR_SCALARS = st.one_of(
    st.text(max_size=12), st.binary(max_size=6), st.integers(-(2**64), 2**64 - 1),
    st.booleans(), st.none(), st.floats(allow_nan=False),
)  # fmt: skip
_CBOR = _nested(_CBOR_SCALARS)


def _scalars(value: object, keys: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _scalars(v, (*keys, k))]
    if isinstance(value, list):
        return [s for v in value for s in _scalars(v, keys)]
    return [] if value is None or isinstance(value, bool) else [(keys, value)]


@settings(max_examples=200, deadline=None)
@given(value=_CBOR)
def test_every_cbor_scalar_is_found_where_it_lies(value: object) -> None:
    data = _cbor(value)
    leaves = cbor_leaves(data)
    assert [leaf.keys for leaf in leaves] == [keys for keys, _ in _scalars(value)]
    for leaf, (_, scalar) in zip(leaves, _scalars(value), strict=True):
        assert data[leaf.start : leaf.end] == _cbor(scalar)  # the whole item, head included
        body = data[leaf.content : leaf.end]
        if isinstance(scalar, str):
            assert body.decode() == scalar
        elif isinstance(scalar, bytes):
            assert body == scalar
        elif isinstance(scalar, float):
            assert struct.unpack(">d", body)[0] == scalar


def test_cbor_that_is_cut_or_malformed_is_an_error() -> None:
    data = _cbor({"exif:GPSLatitude": "39,21.102N", "n": [1, 2.5]})
    for end in range(len(data)):
        with pytest.raises(ValueError, match="cut short"):
            cbor_leaves(data[:end])
    with pytest.raises(ValueError, match="reserved"):
        cbor_leaves(b"\x1c")
    with pytest.raises(ValueError, match="trailing"):
        cbor_leaves(data + b"\x01")
    # indefinite-length maps and arrays, and tags, are read
    indefinite = b"\xbf" + _cbor("location") + b"\x9f" + _cbor("Salem") + b"\xff\xff"
    assert [(leaf.keys, leaf.major) for leaf in cbor_leaves(b"\xc0" + indefinite)] == [
        (("location",), 3)
    ]


def _cbor_store(metadata: dict[str, object]) -> bytes:
    box = _superbox(CBOR_TYPE, "c2pa.metadata", _box(b"cbor", _cbor(metadata)))
    assertions = _superbox(C2PA_TYPE, "c2pa.assertions", box)
    return _superbox(C2PA_TYPE, "c2pa", _superbox(C2PA_TYPE, "urn:uuid:fiction", assertions))


def test_a_cbor_metadata_assertion_is_audited_and_blanked(tmp_path: Path) -> None:
    """c2pa-rs still reads a metadata assertion that older writers stored as CBOR, with the
    JSON one's keys: its GPS was not read ("CBOR assertions are not read")."""
    metadata = {
        "@context": {"exif": "http://ns.adobe.com/exif/1.0/"},
        "exif:GPSLatitude": "69,39.0N",
        "exif:GPSLongitude": "18,57.6E",
        "exif:GPSAltitude": 100.963,
        "exif:GPSAltitudeRef": 0,
        "exif:GPSSatellites": 300,
        "exif:DateTimeOriginal": "2019-09-22T18:22:57Z",
    }
    data = _jpeg_with_store(_cbor_store(metadata), 90)  # packets split the CBOR
    located = {(f.field, f.value) for f in scan_bytes(data, ScrubOptions()).location_findings}
    assert {
        ("C2PA c2pa.metadata exif:GPSLatitude", "69,39.0N"),
        ("C2PA c2pa.metadata exif:GPSLongitude", "18,57.6E"),
        ("C2PA c2pa.metadata exif:GPSAltitude", "100.963"),
        ("C2PA c2pa.metadata exif:GPSSatellites", "300"),
    } <= located
    source = tmp_path / "credentials.jpg"
    source.write_bytes(data)
    out = tmp_path / "clean.jpg"
    assert scrub_file(source, out).status == "cleaned"
    cleaned = out.read_bytes()
    assert len(cleaned) == len(data) and b"69,39" not in cleaned
    assert not scan_bytes(cleaned, ScrubOptions()).location_findings
    store = _cbor_store(metadata)
    whole = bytearray(_jpeg_with_store(store, 1 << 16))
    for patch in scan_bytes(bytes(whole), ScrubOptions()).patches:
        whole[patch.offset : patch.end] = patch.data
    at = bytes(whole).index(_cbor(metadata)[:12])
    blanked = bytes(whole[at : at + len(_cbor(metadata))])
    values = {leaf.keys[-1]: blanked[leaf.content : leaf.end] for leaf in cbor_leaves(blanked)}
    assert values["exif:GPSLatitude"].strip() == b""
    assert struct.unpack(">d", values["exif:GPSAltitude"])[0] == 0.0
    assert values["exif:DateTimeOriginal"] == b"2019-09-22T18:22:57Z"
    sats = next(leaf for leaf in cbor_leaves(blanked) if leaf.keys[-1] == "exif:GPSSatellites")
    assert blanked[sats.start : sats.content] == b"\x19\x00\x00"  # 0, in the same 3 bytes


C2PA_RS_MANIFEST = (
    Path(__file__).resolve().parents[1] / "data" / "wider" / "c2pars_c_manifest_8px.jpg"
)


def test_a_real_manifest_store_is_walked_and_every_cbor_box_read(tmp_path: Path) -> None:
    """c2pa-rs's C.jpg manifest store (its APP11 segments on an 8 x 8 photo): every CBOR
    assertion, the claim and the signature parse; none holds a location, so audit finds
    none and scrub has nothing to remove."""
    data = C2PA_RS_MANIFEST.read_bytes()
    segments = []
    pos = 2
    while data[pos + 1] != 0xDA:
        length = struct.unpack_from(">H", data, pos + 2)[0]
        if data[pos + 1] == 0xEB:
            segments.append((pos + 4, pos + 2 + length))
        pos += 2 + length
    [extents] = jpeg_jumbf_extents(segments, data)
    store = b"".join(data[start : start + n] for start, n in extents)
    boxes = list(iter_boxes(store))
    labels = {jumbf_label(store, b) for b in boxes if b.type == b"jumd"}
    assert {"c2pa", "c2pa.assertions", "c2pa.actions", "c2pa.hash.data", "c2pa.claim"} <= labels
    cbor = [b for b in boxes if b.type == b"cbor"]
    assert len(cbor) >= 4
    keys = {leaf.keys[-1] for b in cbor for leaf in cbor_leaves(store[b.body : b.end]) if leaf.keys}
    assert {"action", "alg", "hash"} <= keys
    scan = scan_bytes(data, ScrubOptions())
    assert not scan.location_findings and not scan.notes
    assert scrub_file(C2PA_RS_MANIFEST, tmp_path / "out.jpg").status == "unchanged"
