"""The one XMP property walk (formats.xmp): known answers, and that what the reader reads
from a packet the scrubber finds and removes, on generated packets of every form."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.extract.xmp import parse_xmp
from geoleak.formats.xmp import element_end, matcher, properties
from geoleak.remedy.model import Region, ScrubOptions
from geoleak.remedy.xmp import scan_xmp

PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="r">'
    b'<rdf:Description rdf:about="" xmlns:exif="e" exif:GPSLatitude="48,9.2N"\n'
    b" tiff:Make='Canon'>"
    b"<exif:GPSLongitude>11,34.5E</exif:GPSLongitude>"
    b'<Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li City="Oslo"/></rdf:Bag>'
    b"</Iptc4xmpExt:LocationCreated ><dc:empty a:b='1'/>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def test_properties_in_document_order() -> None:
    props = list(properties(PACKET))
    assert [(p.prefix, p.local, p.element) for p in props] == [
        (b"exif", b"GPSLatitude", False),
        (b"tiff", b"Make", False),
        (b"exif", b"GPSLongitude", True),
        (b"Iptc4xmpExt", b"LocationCreated", True),
        (b"dc", b"empty", True),
        (b"a", b"b", False),
    ]
    lat, make, lon, loc, empty, _attr = props
    assert PACKET[lat.value : lat.end - 1] == b"48,9.2N"
    assert PACKET[make.value : make.end - 1] == b"Canon"
    inner, end = element_end(PACKET, lon) or (0, 0)
    assert PACKET[lon.value : inner] == b"11,34.5E" and PACKET[end - 2 : end] == b"e>"
    inner, end = element_end(PACKET, loc) or (0, 0)
    assert PACKET[loc.value : inner].startswith(b"<rdf:Bag>") and PACKET[:end].endswith(b" >")
    assert empty.empty and element_end(PACKET, empty) == (empty.end, empty.end)
    only = [p.local for p in properties(PACKET, matcher(("GPSLongitude", "Make")))]
    assert only == [b"Make", b"GPSLongitude"]
    assert element_end(b"<a:b>x</a:bc>", next(properties(b"<a:b>x</a:bc>"))) is None


def test_reader_and_scrubber_agree_on_the_packet() -> None:
    values = parse_xmp(PACKET)
    assert values.get("GPSLatitude") == "48,9.2N" and values.get("GPSLongitude") == "11,34.5E"
    scan = scan_xmp(Region.whole(PACKET, 0, len(PACKET)), ScrubOptions())
    cleaned = _apply(PACKET, scan.patches)
    assert not parse_xmp(cleaned).get("GPSLatitude") and not parse_xmp(cleaned).get("GPSLongitude")
    assert b"Oslo" not in cleaned and parse_xmp(cleaned).get("Make") == "Canon"


def _apply(data: bytes, patches: list) -> bytes:  # type: ignore[type-arg]
    out = bytearray(data)
    for patch in patches:
        out[patch.offset : patch.end] = patch.data
    assert len(out) == len(data)
    return bytes(out)


_VALUE = st.from_regex(r"[0-9]{1,3},[0-9]{1,2}\.[0-9]{1,4}[NSEW]", fullmatch=True)
_PREFIX = st.sampled_from(["exif", "exifEX", "drone-dji", "my.ns", "p_1"])


@st.composite
def _property(draw: st.DrawFn, local: str) -> str:
    prefix, value = draw(_PREFIX), draw(_VALUE)
    form = draw(st.sampled_from(["attr", "attr1", "element", "spaced"]))
    if form == "attr":
        return f' {prefix}:{local}="{value}"'
    if form == "attr1":
        return f"\n{prefix}:{local} = '{value}'"
    if form == "element":
        return f"><{prefix}:{local}>{value}</{prefix}:{local}><x:pad"
    return f'><{prefix}:{local} rdf:parseType="Literal">{value}</{prefix}:{local}\n><x:pad'


@settings(max_examples=200, deadline=None)
@given(_property("GPSLatitude"), _property("GPSLongitude"),
       st.text(alphabet="abc <>/=\"' :", max_size=30), st.booleans())  # fmt: skip
def test_what_the_reader_reads_the_scrubber_removes(
    lat: str, lon: str, noise: str, swap: bool
) -> None:
    first, second = (lon, lat) if swap else (lat, lon)
    body = f"<rdf:Description{first}{second}>{noise.replace('<', '')}</rdf:Description>"
    packet = f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{body}</x:xmpmeta>'.encode()
    read = parse_xmp(packet)
    assert read.get("GPSLatitude") and read.get("GPSLongitude"), packet
    scan = scan_xmp(Region.whole(packet, 0, len(packet)), ScrubOptions())
    cleaned = _apply(packet, scan.patches)
    again = parse_xmp(cleaned)
    assert again.get("GPSLatitude") is None and again.get("GPSLongitude") is None, cleaned
    assert not scan_xmp(Region.whole(cleaned, 0, len(cleaned)), ScrubOptions()).findings


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([None, ("GPSLatitude", "Make")]))
def test_property_walk_ends_on_any_bytes(data: bytes, names: tuple[str, ...] | None) -> None:
    previous = -1
    for prop in properties(data, matcher(names)):
        assert previous < prop.start < prop.end <= len(data)
        assert prop.start < prop.value <= prop.end
        previous = prop.start
        stops = element_end(data, prop) if prop.element else None
        if stops is not None:
            assert prop.end <= stops[0] <= stops[1] <= len(data)
