"""A JPEG's extended XMP (a packet split over APP1 segments) is read by scan and infer, as
audit and scrub already read it: a position only there was found by audit but not used as
evidence."""

from __future__ import annotations

import io
import itertools
import random
import struct
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from geoleak.extract.builder import MetaBuilder
from geoleak.extract.containers import _ExtendedXmp
from geoleak.extract.media import read_media
from geoleak.remedy.formats import scan_bytes
from geoleak.remedy.model import FindingKind, ScrubOptions

EXT = b"http://ns.adobe.com/xmp/extension/\x00"
GUID = b"0123456789ABCDEF0123456789ABCDEF"
# Tromso (69.65 N, 18.96 E): a swap of latitude and longitude would show
PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="69,39.0N" exif:GPSLongitude="18,57.6E"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def _app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(segments: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 120, 60)).save(out, "JPEG")
    plain = out.getvalue()
    return plain[:2] + segments + plain[2:]


def _extension(packet: bytes, cuts: list[int], order: list[int]) -> bytes:
    bounds = [0, *cuts, len(packet)]
    chunks = [
        _app1(EXT + GUID + struct.pack(">II", len(packet), a) + packet[a:b])
        for a, b in itertools.pairwise(bounds)
    ]
    return b"".join(chunks[i] for i in order)


def test_a_position_only_in_the_extended_xmp_is_read(tmp_path: Path) -> None:
    main_xmp = _app1(
        b"http://ns.adobe.com/xap/1.0/\x00"
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'rdf:about="" xmlns:xmpNote="http://ns.adobe.com/xmp/note/" '
        b'xmpNote:HasExtendedXMP="0123456789ABCDEF0123456789ABCDEF"/></rdf:RDF></x:xmpmeta>'
    )
    photo = tmp_path / "ext.jpg"
    photo.write_bytes(_jpeg(main_xmp + _extension(PACKET, [100, 200], [2, 0, 1])))
    meta = read_media(photo)
    assert meta.position is not None
    assert (round(meta.position.lat, 4), round(meta.position.lon, 4)) == (69.65, 18.96)
    assert not meta.warnings
    # audit's reader finds the same field
    found = scan_bytes(photo.read_bytes(), ScrubOptions(), suffix=".jpg").findings
    assert any(f.kind is FindingKind.LOCATION for f in found)


def test_an_incomplete_extended_xmp_is_left_out_with_a_warning(tmp_path: Path) -> None:
    photo = tmp_path / "part.jpg"
    whole = _extension(PACKET, [100], [0, 1])
    first = whole[: 4 + struct.unpack(">H", whole[2:4])[0] - 2 + 2]  # the first segment only
    photo.write_bytes(_jpeg(first))
    meta = read_media(photo)
    assert meta.position is None
    assert any("extended XMP is incomplete" in w for w in meta.warnings)


@settings(max_examples=150, deadline=None)
@given(
    packet=st.binary(min_size=1, max_size=600),
    data=st.data(),
)
def test_chunks_in_any_order_give_the_packet_and_a_gap_gives_none(
    packet: bytes, data: st.DataObject
) -> None:
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, len(packet) - 1)), max_size=6))))
    cuts = [c for c in cuts if 0 < c < len(packet)]
    bounds = [0, *cuts, len(packet)]
    parts = [(a, packet[a:b]) for a, b in itertools.pairwise(bounds)]
    random.Random(data.draw(st.integers(0, 1000))).shuffle(parts)
    whole = _ExtendedXmp()
    for offset, chunk in parts:
        whole.add(GUID + struct.pack(">II", len(packet), offset) + chunk)
    meta = MetaBuilder("jpeg")
    assert whole.packets(meta) == [packet]
    assert not meta.warnings
    if len(parts) > 1:
        gap = _ExtendedXmp()
        drop = data.draw(st.integers(0, len(parts) - 1))
        for i, (offset, chunk) in enumerate(parts):
            if i != drop:
                gap.add(GUID + struct.pack(">II", len(packet), offset) + chunk)
        meta = MetaBuilder("jpeg")
        assert gap.packets(meta) == []
        assert meta.warnings
