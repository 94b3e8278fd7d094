"""The shared format layer: one sniffer, the box walker, ISO 6709."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.errors import FormatError
from geoleak.formats.iso6709 import parse_iso6709
from geoleak.formats.isobmff import Box, iter_boxes, loci_position, parse_iloc
from geoleak.formats.sniff import sniff


@pytest.mark.parametrize(
    ("head", "suffix", "expected"),
    [
        (b"IIRO\x08\x00\x00\x00", ".orf", "orf"),
        (b"IIRS\x08\x00\x00\x00", ".orf", "orf"),
        (b"MMOR\x00\x00\x00\x08", ".orf", "orf"),
        (b"IISR\x08\x00\x00\x00", ".orf", None),  # not an Olympus signature
        (b"IIU\x00\x18\x00\x00\x00", ".rw2", "rw2"),
        (b"II*\x00\x08\x00\x00\x00", ".dng", "dng"),
        (b"II*\x00\x08\x00\x00\x00", ".jpg", "tiff"),  # the bytes win over the extension
        (b"\xff\xd8\xff\xe1\x00\x10", ".png", "jpeg"),
        (b"\x00\x00\x00\x18ftypheic", "", "isobmff"),
        (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "", "jxl"),
        (b"\xff\x0a\x00", "", "jxl-codestream"),
        (b'<?xml version="1.0"?>\n<gpx version="1.1">', ".xml", "gpx"),
        (b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2">', ".kml", "kml"),
        (b'<?xml version="1.0"?><x:xmpmeta xmlns:x="adobe:ns:meta/">', ".txt", "xmp"),
        (b'{"type": "FeatureCollection", "features": []}', ".json", "geojson"),
        (b'{"title": "IMG_1.jpg"}', ".json", "json"),
        (b'{"title": "IMG_1.jpg"}', ".txt", None),
        (b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT", ".fit", "fit"),
        (b"hello", ".jpg", None),
    ],
)
def test_sniff(head: bytes, suffix: str, expected: str | None) -> None:
    assert sniff(head, suffix) == expected


@pytest.mark.parametrize(
    ("text", "lat", "lon", "alt"),
    [
        ("+32.0929+034.8620+028.516/", 32.0929, 34.8620, 28.516),
        ("+4807.038-01131.000/", 48 + 7.038 / 60, -(11 + 31.0 / 60), None),
        (
            "+481237.4+0113054.9CRSWGS_84/",
            48 + 12 / 60 + 37.4 / 3600,
            11 + 30 / 60 + 54.9 / 3600,
            None,
        ),
        ("-33.8568+151.2153/", -33.8568, 151.2153, None),
        ("+64.1466-021.9426+012.000/\x00", 64.1466, -21.9426, 12.0),  # high latitude
    ],
)
def test_iso6709_forms(text: str, lat: float, lon: float, alt: float | None) -> None:
    got = parse_iso6709(text)
    assert got[0] == pytest.approx(lat)
    assert got[1] == pytest.approx(lon)
    assert got[2] == (pytest.approx(alt) if alt is not None else None)


@pytest.mark.parametrize("text", ["", "1.2.3", "+48-011+1.0.0", "v+1.2+3.4", "+481-0113"])
def test_iso6709_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match=r"ISO 6709|component"):
        parse_iso6709(text)


def _box(btype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), btype) + payload


def test_boxes_truncated_and_malformed() -> None:
    data = _box(b"ftyp", b"isom") + _box(b"free", b"x" * 8)
    boxes = list(iter_boxes(data, 0, len(data)))
    assert [b.type for b in boxes] == [b"ftyp", b"free"]
    assert not boxes[1].truncated
    issues: list[str] = []
    clipped = list(iter_boxes(data[:-3], 0, len(data) - 3, issues))
    assert clipped[-1].truncated
    assert clipped[-1].end == len(data) - 3
    assert issues
    bad = data + struct.pack(">I4s", 4, b"moov")
    with pytest.raises(FormatError):
        list(iter_boxes(bad, 0, len(bad)))
    issues = []
    assert len(list(iter_boxes(bad, 0, len(bad), issues))) == 2
    assert "size 4" in issues[0]


def test_loci_position_fixed_point() -> None:
    body = b"\x00" * 4 + b"\x15\xc7" + b"Home\x00" + b"\x00"
    body += struct.pack(">iii", int(-122.4194 * 65536), int(37.7749 * 65536), 10 * 65536)
    data = _box(b"loci", body)
    lat, lon, alt = loci_position(data, Box(b"loci", 0, 8, len(data)))
    assert (lat, lon, alt) == (
        pytest.approx(37.7749, abs=2e-5),
        pytest.approx(-122.4194, abs=2e-5),
        10,
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_box_walk_ends_on_any_bytes(data: bytes) -> None:
    issues: list[str] = []
    boxes = list(iter_boxes(data, 0, len(data), issues))
    for box in boxes:
        assert 0 <= box.start < box.payload <= box.end <= len(data)
    with contextlib.suppress(FormatError):
        parse_iloc(data, Box(b"iloc", 0, 0, len(data)))
