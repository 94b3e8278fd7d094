"""In-place cleaning of TIFF-structured metadata: EXIF blocks in every container, and
TIFF / DNG / TIFF-based raw files themselves.

Technique (same length, nothing moves):
- the GPS IFD's entries and every value they point to are overwritten with zeros, and the
  GPSInfo (0x8825) entry is removed from its parent IFD by shifting the following entries
  up by 12 bytes, decrementing the entry count and zeroing the freed 12 bytes;
- other tags (serials, owner names, times, orientation) are removed the same way;
- `coarsen_km` instead keeps the GPS IFD with only version, references, latitude and
  longitude, and overwrites the latitude/longitude rationals with a rounded position in
  the same (3 x RATIONAL) layout.
Strip/tile offsets, maker-note offsets and every other pointer keep their meaning because
no byte moves. XMP (tag 700) and IPTC (33723, and Photoshop 34377) blocks inside the TIFF
are handed back to the caller as regions for the XMP / IPTC cleaners.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace

from geoleak.errors import FormatError
from geoleak.extract.gps import GpsValueError, dms_to_degrees, position_from_exif
from geoleak.formats.tags import Kind, ids, tag_id
from geoleak.formats.tiff import (
    BIGTIFF_MAGIC,
    EXIF_IFD,
    GPS_IFD,
    INTEROP_IFD,
    IPTC_TAG,
    MAX_CHAIN,
    PHOTOSHOP_TAG,
    SUB_IFDS,
    TIFF_MAGICS,
    TYPE_SIZES,
    XMP_TAG,
    Entry,
    Ifd,
    pointers,
    read_header,
    read_ifd,
    walk_ifds,
)
from geoleak.remedy.iptc import scan_iim
from geoleak.remedy.model import (
    LOCATING,
    Finding,
    FindingKind,
    Note,
    Patch,
    Region,
    ScrubOptions,
    Unsupported,
    text_finding,
)

__all__ = ["TiffScan", "coarse_position", "scan_tiff"]


ORIENTATION = tag_id("EXIF", "Orientation")

# Tags by what they give away, from the tag table (any IFD is searched).
IDENTIFYING_TAGS = {int(k): v for k, v in ids("EXIF", Kind.IDENTITY, Kind.PERSON).items()}
TIME_TAGS = {int(k): v for k, v in ids("EXIF", Kind.TIME).items()}
FREE_TEXT_TAGS = {int(k): v for k, v in ids("EXIF", Kind.FREE_TEXT).items()}
_OPAQUE = frozenset({0x927C, 0xC634})  # maker notes, DNG private data: shown as "present"
# every tag scan_tiff looks at (an IFD's other entries are not decoded)
_WANTED = {"*": frozenset({GPS_IFD, XMP_TAG, IPTC_TAG, PHOTOSHOP_TAG, ORIENTATION, 0x010F,
                           *IDENTIFYING_TAGS, *TIME_TAGS, *FREE_TEXT_TAGS})}  # fmt: skip
# GPS tags kept when coarsening: version, refs, latitude, longitude, map datum.
_COARSE_KEEP = {0, 1, 2, 3, 4, 18}
MAX_IFD_ENTRIES = 4000
# a scrubber's walk: everything but GPS, whose IFD is blanked through its pointer entry
_FOLLOW = {EXIF_IFD: "ExifIFD", INTEROP_IFD: "InteropIFD", SUB_IFDS: "SubIFD"}


@dataclass(slots=True)
class TiffScan:
    findings: list[Finding]
    patches: list[Patch]
    xmp: list[Region]
    iptc: list[Region]  # raw IPTC-IIM
    photoshop: list[Region]  # Photoshop image resources (may hold IPTC)
    notes: list[str | Note]


class _Reader:
    def __init__(self, region: Region) -> None:
        self.region = region
        self.data = region.data
        try:
            header = read_header(self.data)
        except FormatError as exc:
            raise Unsupported(str(exc)) from None
        self.e = header.order
        if header.magic == BIGTIFF_MAGIC:
            raise Unsupported("BigTIFF is not supported")
        if header.magic not in TIFF_MAGICS:
            raise Unsupported(f"not a TIFF header (magic {header.magic:#x})")
        self.ifd0 = header.first_ifd

    def with_order(self, order: str) -> _Reader:
        """The same block read with another byte order (maker notes may differ from EXIF)."""
        other = _Reader.__new__(_Reader)
        other.region, other.data, other.e, other.ifd0 = self.region, self.data, order, self.ifd0
        return other

    def u16(self, pos: int) -> int:
        return int(struct.unpack_from(self.e + "H", self.data, pos)[0])

    def u32(self, pos: int) -> int:
        return int(struct.unpack_from(self.e + "I", self.data, pos)[0])

    def ifd(self, pos: int, name: str) -> Ifd:
        """The IFD at `pos`, whole (entries and next pointer), or Unsupported."""
        try:
            ifd = read_ifd(self.data, self.e, pos, max_entries=MAX_IFD_ENTRIES)
        except FormatError:
            raise Unsupported(f"{name} offset {pos} is outside the block") from None
        if not ifd.complete or ifd.next_pointer_at + 4 > len(self.data):
            raise Unsupported(f"{name} with {ifd.claimed} entries does not fit the block")
        return ifd

    def walk(self, notes: list[str | Note]) -> Iterator[tuple[str, Ifd]]:
        """Every IFD reachable from IFD0 (the shared walk, taken as far as it goes): the
        chain, Exif, Interop and SubIFDs; GPS IFDs are met through their pointer entry."""

        def bad(name: str, pos: int, why: str) -> None:
            if name == "IFD0":
                raise Unsupported(f"IFD0 unreadable: {name} {why}")
            if pos >= 0:
                notes.append(
                    Note(f"{name} unreadable ({why})", "left as is", "would be left as is")
                )

        return walk_ifds(self.data, self.e, self.ifd0, follow=_FOLLOW, chain=MAX_CHAIN,
                         max_entries=MAX_IFD_ENTRIES, wanted=_WANTED, whole=True,
                         bad=bad)  # fmt: skip

    def next_ifd(self, ifd: Ifd) -> int:
        return self.u32(ifd.next_pointer_at)

    def values(self, entry: Entry) -> bytes | None:
        if entry.size < 0 or entry.value_pos + entry.size > len(self.data):
            return None
        return bytes(self.data[entry.value_pos : entry.value_pos + entry.size])

    def pointers(self, entry: Entry) -> list[int]:
        return pointers(self.data, self.e, entry) or []

    def rationals(self, entry: Entry) -> list[tuple[int, int]] | None:
        if entry.type not in (5, 10):
            return None
        raw = self.values(entry)
        if raw is None:
            return None
        fmt = self.e + ("I" if entry.type == 5 else "i") * (2 * entry.count)
        nums = struct.unpack(fmt, raw)
        return [(nums[i], nums[i + 1]) for i in range(0, len(nums), 2)]

    def ascii(self, entry: Entry) -> str | None:
        raw = self.values(entry)
        if raw is None:
            return None
        return raw.split(b"\x00")[0].decode("latin-1").strip()

    def text(self, entry: Entry) -> str | None:
        """A text value in any of EXIF's encodings: ASCII, UserComment (8-byte charset
        code, then text), Windows XP tags (UCS-2 little-endian in BYTE), or other bytes
        (shown as hex: a unique id)."""
        raw = self.values(entry)
        if raw is None:
            return None
        if entry.type == 2:
            return raw.split(b"\x00")[0].decode("utf-8", "replace").strip()
        if entry.tag == 0x9286:  # UserComment
            code, body = raw[:8], raw[8:]
            if code.startswith(b"UNICODE"):
                order = "utf-16-be" if self.e == ">" else "utf-16-le"
                return body.decode(order, "replace").strip("\x00 ")
            return body.split(b"\x00")[0].decode("utf-8", "replace").strip()
        if 0x9C9B <= entry.tag <= 0x9C9F:  # XPTitle .. XPSubject
            return raw.decode("utf-16-le", "replace").split("\x00")[0].strip()
        if entry.type in (1, 7) and raw.strip(b"\x00"):
            return raw.hex().upper()[:64]
        return None


class _Editor:
    """Collects entry removals per IFD and value blanking, then emits patches."""

    def __init__(self, reader: _Reader) -> None:
        self.r = reader
        self.remove: dict[int, tuple[Ifd, set[int]]] = {}
        self.patches: list[Patch] = []
        self.inline: dict[int, bytes] = {}  # entry position -> new 4-byte inline value

    def set_inline(self, entry: Entry, value: bytes) -> None:
        """Overwrite an inline value; survives the entry moving when its IFD is compacted."""
        self.inline[entry.pos] = (value + bytes(4))[:4]

    def drop_entry(self, ifd: Ifd, entry: Entry, *, blank_value: bool = True) -> None:
        self.remove.setdefault(ifd.pos, (ifd, set()))[1].add(entry.index)
        if blank_value and not entry.inline and entry.size > 0:
            end = min(entry.value_pos + entry.size, len(self.r.data))
            if 8 <= entry.value_pos < end:
                self.patches += self.r.region.blank(entry.value_pos, end)

    def blank_ifd(self, ifd: Ifd) -> None:
        """Zero an IFD's entries, its next pointer and every out-of-line value."""
        for entry in ifd.entries:
            if not entry.inline and entry.size > 0:
                end = min(entry.value_pos + entry.size, len(self.r.data))
                if 8 <= entry.value_pos < end:
                    self.patches += self.r.region.blank(entry.value_pos, end)
        end = min(ifd.pos + 2 + 12 * len(ifd.entries) + 4, len(self.r.data))
        self.patches += self.r.region.blank(ifd.pos, end)

    def finish(self) -> list[Patch]:
        r = self.r
        for walked, drop in self.remove.values():
            ifd = r.ifd(walked.pos, "IFD")  # (the walk decoded only the tags scrub looks at)
            kept = [e for e in ifd.entries if e.index not in drop]
            nxt = r.next_ifd(ifd)
            out = bytearray(struct.pack(r.e + "H", len(kept)))
            for e in kept:
                out += r.data[e.pos : e.pos + 8] + self.inline.pop(
                    e.pos, r.data[e.pos + 8 : e.pos + 12]
                )
            out += struct.pack(r.e + "I", nxt)
            out += bytes(12 * (len(ifd.entries) - len(kept)))
            self.patches += r.region.patch(ifd.pos, bytes(out))
        for pos, value in self.inline.items():
            self.patches += r.region.patch(pos + 8, value)
        return self.patches


def _gps_position(r: _Reader, gps: Ifd) -> tuple[float, float] | None:
    tags = {e.tag: e for e in gps.entries}

    def rat(tag: int) -> list[tuple[int, int]] | None:
        return r.rationals(tags[tag]) if tag in tags else None

    def ref(tag: int) -> str | None:
        return r.ascii(tags[tag]) if tag in tags else None

    reading = position_from_exif(rat(2), ref(1), rat(4), ref(3))
    if reading.position is None:
        return None
    return reading.position.lat, reading.position.lon


def _gps_other_place(r: _Reader, gps: Ifd) -> str | None:
    """What a GPS block without the camera's own position still says about a place: the
    subject's position (GPSDestLatitude/Longitude: the point the photo was taken of, as a
    phone's "what is this" or a surveyor writes it) or a place name (GPSAreaInformation,
    charset code then text, as for UserComment). None when it says neither."""
    tags = {e.tag: e for e in gps.entries}

    def rat(tag: int) -> list[tuple[int, int]] | None:
        return r.rationals(tags[tag]) if tag in tags else None

    def ref(tag: int) -> str | None:
        return r.ascii(tags[tag]) if tag in tags else None

    reading = position_from_exif(rat(0x14), ref(0x13), rat(0x16), ref(0x15), what="GPSDest")
    if reading.position is not None:
        lat, lon = reading.position.lat, reading.position.lon
        return f"no camera position, but the subject's: GPSDest {lat:.6f}, {lon:.6f}"
    area = tags.get(0x1C)
    raw = r.values(area) if area is not None else None
    if raw:
        if raw[:8].startswith(b"UNICODE"):
            text = raw[8:].decode("utf-16-be" if r.e == ">" else "utf-16-le", "replace")
        elif raw[:8].startswith((b"ASCII", b"\x00" * 8, b"JIS")):
            text = raw[8:].decode("utf-8", "replace")
        else:
            text = raw.decode("utf-8", "replace")
        text = text.strip("\x00 ")
        if text:
            return f"no camera position, but a place: GPSAreaInformation {text!r}"
    return None


def _gps_coordinates(r: _Reader, gps: Ifd) -> list[tuple[str, float | None, str]]:
    """The block's GPSLatitude and GPSLongitude as written: (name, signed degrees or None
    when unreadable, how it reads), for the ones present. Seconds of 60 or more (a writer's
    unit slip: photoprism's buggy_panorama.jpg writes 48 15 595404.032) leave the degrees
    and minutes, which still place the photo within about 2 km."""
    tags = {e.tag: e for e in gps.entries}
    found: list[tuple[str, float | None, str]] = []
    for name, tag, ref_tag, south in (("GPSLatitude", 2, 1, "S"), ("GPSLongitude", 4, 3, "W")):
        if tag not in tags:
            continue
        values = r.rationals(tags[tag])
        note = ""
        try:
            degrees = dms_to_degrees(values, name)
        except GpsValueError:
            try:  # the degrees and minutes alone, when only the seconds are wrong
                if values is None or len(values) != 3:
                    raise GpsValueError(name) from None
                degrees = dms_to_degrees(values[:2], name)
                note = " (degrees and minutes: its seconds are 60 or more)"
            except GpsValueError:
                found.append((name, None, f"{name} unreadable"))
                continue
        ref = r.ascii(tags[ref_tag]) if ref_tag in tags else None
        if ref and ref.strip("\x00 ").upper()[:1] == south:
            degrees = -degrees
        found.append((name, degrees, f"{name} {degrees:.6f}{note}"))
    return found


def _out_of_range(name: str, degrees: float | None) -> bool:
    limit = 90.0 if name == "GPSLatitude" else 180.0
    return degrees is not None and not (math.isfinite(degrees) and abs(degrees) <= limit)


def _coordinate_usable(name: str, degrees: float | None) -> bool:
    """A coordinate that says where on its own: finite, in range and not 0 (the no-fix
    placeholder)."""
    return degrees is not None and degrees != 0.0 and not _out_of_range(name, degrees)


def _gps_partial(r: _Reader, gps: Ifd) -> str | None:
    """What a GPS block without a valid position still gives away: a coordinate that is
    usable beside one missing, out of range or unreadable (a latitude alone places the
    photo on a band round the globe, a longitude on a strip from pole to pole), or the
    degrees and minutes of coordinates whose seconds are wrong. A leak, so audit counts
    it, though it never becomes a position (read_media and the evidence keep none). None
    when no coordinate is usable."""
    coords = _gps_coordinates(r, gps)
    usable = [text for name, degrees, text in coords if _coordinate_usable(name, degrees)]
    if not usable:
        return None
    others = [
        f"{text} out of range" if _out_of_range(name, degrees) else text
        for name, degrees, text in coords
        if not _coordinate_usable(name, degrees)
    ]
    missing = {"GPSLatitude", "GPSLongitude"} - {name for name, _, _ in coords}
    others += [f"{name} missing" for name in sorted(missing)]
    told = f"{', '.join(usable)}" + (f" ({', '.join(others)})" if others else "")
    what = "one coordinate" if len(usable) == 1 else "coordinates"
    return f"{what}: {told}; no exact position"


def _gps_bad_coordinates(r: _Reader, gps: Ifd) -> str:
    """', GPSLatitude 4294967295.000000 out of range' and the like, for the listing."""
    parts = [
        f"{text} out of range" if _out_of_range(name, degrees) else text
        for name, degrees, text in _gps_coordinates(r, gps)
    ]
    return f" ({', '.join(parts)})" if parts else ""


def coarse_position(lat: float, lon: float, km: float) -> tuple[float, float]:
    """(lat, lon) snapped to a grid about `km` kilometres wide (cells are wider at the poles)."""
    lat_step = km / 111.32
    c_lat = max(-90.0, min(90.0, round(lat / lat_step) * lat_step))
    lon_step = km / (111.32 * max(math.cos(math.radians(c_lat)), 0.01))
    lon_step = 360.0 / max(1, round(360.0 / lon_step))  # a whole number of cells round the globe
    c_lon = round(lon / lon_step) * lon_step
    if c_lon > 180.0 + 1e-9:
        c_lon -= 360.0
    elif c_lon < -180.0 - 1e-9:
        c_lon += 360.0
    return round(c_lat, 6), round(c_lon, 6)


def _dms(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    value = abs(value)
    deg = int(value)
    minutes_f = (value - deg) * 60
    minutes = int(minutes_f)
    sec_hundredths = round((minutes_f - minutes) * 60 * 100)
    if sec_hundredths >= 6000:
        sec_hundredths -= 6000
        minutes += 1
    if minutes >= 60:
        minutes -= 60
        deg += 1
    return (deg, 1), (minutes, 1), (sec_hundredths, 100)


def _coarsen_gps(
    r: _Reader, ed: _Editor, gps: Ifd, lat: float, lon: float, km: float
) -> tuple[float, float] | None:
    tags = {e.tag: e for e in gps.entries}
    lat_e, lon_e = tags.get(2), tags.get(4)
    if (
        lat_e is None
        or lon_e is None
        or any(e.type != 5 or e.count != 3 or e.inline for e in (lat_e, lon_e))
    ):
        return None
    c_lat, c_lon = coarse_position(lat, lon, km)
    for entry, value in ((lat_e, c_lat), (lon_e, c_lon)):
        raw = b"".join(struct.pack(r.e + "II", n, d) for n, d in _dms(value))
        ed.patches += r.region.patch(entry.value_pos, raw)
    for tag, value, letters in ((1, c_lat, "NS"), (3, c_lon, "EW")):
        ref_e = tags.get(tag)
        if ref_e is not None and ref_e.type == 2 and ref_e.inline and ref_e.count >= 1:
            letter = letters[0] if value >= 0 else letters[1]
            ed.set_inline(ref_e, letter.encode())
    for entry in gps.entries:
        if entry.tag not in _COARSE_KEEP:
            ed.drop_entry(gps, entry)
    return c_lat, c_lon


def scan_tiff(region: Region, opts: ScrubOptions, *, label: str = "EXIF") -> TiffScan:
    """Find location / identifying tags in a TIFF block and the patches that remove them.

    Raises Unsupported when the block's header or IFD0 cannot be read.
    """
    try:
        r = _Reader(region)
    except struct.error:
        raise Unsupported("TIFF header truncated") from None
    notes: list[str | Note] = []
    findings: list[Finding] = []
    ed = _Editor(r)
    xmp: list[Region] = []
    iptc: list[Region] = []
    photoshop: list[Region] = []
    gps_seen: set[int] = set()

    def sub_region(entry: Entry) -> Region | None:
        if entry.size <= 0 or entry.value_pos >= len(r.data):
            return None
        return region.sub(entry.value_pos, entry.size)

    make = ""
    for name, ifd in list(r.walk(notes)):
        for entry in ifd.entries:
            if entry.tag == 0x010F and entry.type == 2:
                make = r.ascii(entry) or ""
            tag = entry.tag
            if tag == GPS_IFD:
                ed.drop_entry(ifd, entry, blank_value=True)
                findings.append(_gps_finding(r, ed, entry, ifd, opts, gps_seen, label, notes))
            elif tag == XMP_TAG and (sub := sub_region(entry)) is not None:
                xmp.append(sub)
            elif tag == IPTC_TAG and (sub := sub_region(entry)) is not None:
                iptc.append(sub)
            elif tag == PHOTOSHOP_TAG and (sub := sub_region(entry)) is not None:
                photoshop.append(sub)
            elif tag in IDENTIFYING_TAGS:
                shown = "present" if tag in _OPAQUE else r.text(entry)
                if not shown:
                    continue
                findings.append(
                    Finding(
                        f"{label} {IDENTIFYING_TAGS[tag]}",
                        FindingKind.IDENTIFYING,
                        shown,
                        removed=opts.all_identifying,
                    )
                )
                if opts.all_identifying:
                    ed.drop_entry(ifd, entry)
                elif tag == 0x927C:
                    _maker_note_places(r, ed, entry, findings, notes, label, make)
            elif tag in FREE_TEXT_TAGS:
                leak = text_finding(f"{label} {FREE_TEXT_TAGS[tag]}", r.text(entry) or "")
                if leak is not None:
                    findings.append(leak)
                    ed.drop_entry(ifd, entry)
            elif tag in TIME_TAGS:
                findings.append(
                    Finding(
                        f"{label} {TIME_TAGS[tag]}",
                        FindingKind.TIME,
                        r.ascii(entry) if entry.type == 2 else None,
                        removed=opts.drop_time,
                    )
                )
                if opts.drop_time:
                    ed.drop_entry(ifd, entry)
            elif tag == ORIENTATION and name.startswith("IFD") and opts.drop_orientation:
                findings.append(
                    Finding(f"{label} Orientation", FindingKind.ORIENTATION, None, removed=True)
                )
                ed.drop_entry(ifd, entry)
    patches = ed.finish()
    return TiffScan(findings, patches, xmp, iptc, photoshop, notes)


# Place names in maker notes (exiftool's Panasonic and Nikon tables): value blanked in place.
_PANASONIC_PLACES = {int(k): v for k, v in ids("Panasonic", Kind.PLACE).items()}
_NIKON_LOCATION_INFO = 0x0039
_CANON_TIME_INFO = 0x0035
_NIKON_CAPTURE_DATA, _NIKON_CAPTURE_IPTC = 0x0E01, 0x9EF5F6E0


def _maker_note_places(
    r: _Reader,
    ed: _Editor,
    entry: Entry,
    findings: list[Finding],
    notes: list[str | Note],
    label: str,
    make: str,
) -> None:
    """Blank the place names that Panasonic, Nikon and Canon maker notes carry (other
    fields kept)."""
    raw = r.values(entry)
    if raw is None:
        return
    try:
        if make.startswith("Canon") and not raw.startswith((b"Canon", b"Nikon", b"Panasonic")):
            ifd = r.ifd(entry.value_pos, "Canon MakerNote")
            for e in ifd.entries:
                # TimeInfo (int32s[4]): [1] time zone, [2] TimeZoneCity, [3] daylight saving
                if e.tag == _CANON_TIME_INFO and e.type in (4, 9) and e.count >= 3 and not e.inline:
                    city = r.u32(e.value_pos + 8)
                    if city not in (0, 0xFFFFFFFF):
                        findings.append(Finding(f"{label} MakerNote Canon TimeZoneCity",
                                                FindingKind.PLACE, str(city), True))  # fmt: skip
                        ed.patches += r.region.blank(e.value_pos + 8, e.value_pos + 12)
        elif raw.startswith(b"Panasonic\x00"):
            for order in (r.e, ">" if r.e == "<" else "<"):  # byte order of the note itself
                reader = r.with_order(order)
                try:
                    ifd = reader.ifd(entry.value_pos + 12, "Panasonic MakerNote")
                except Unsupported:
                    continue
                if ifd.entries and all(e.type in TYPE_SIZES for e in ifd.entries):
                    break
            else:
                raise Unsupported("Panasonic maker note IFD unreadable")
            for e in ifd.entries:
                if e.tag in _PANASONIC_PLACES and e.size > 0:
                    text = (
                        (reader.values(e) or b"")
                        .split(b"\x00")[0]
                        .decode("utf-8", "replace")
                        .strip()
                    )
                    if text:
                        findings.append(Finding(f"{label} MakerNote Panasonic {_PANASONIC_PLACES[e.tag]}",
                                                FindingKind.PLACE, text, True))  # fmt: skip
                        ed.patches += reader.region.blank(e.value_pos, e.value_pos + e.size)
        elif raw.startswith(b"Nikon\x00\x02") and len(raw) > 18:
            inner = _Reader(r.region.sub(entry.value_pos + 10, entry.size - 10))
            ifd = inner.ifd(inner.ifd0, "Nikon MakerNote")
            for e in ifd.entries:
                if e.tag == _NIKON_LOCATION_INFO and e.size > 4:
                    value = inner.values(e) or b""
                    text = value[9:].split(b"\x00")[0].decode("utf-8", "replace").strip()
                    findings.append(Finding(f"{label} MakerNote Nikon LocationInfo",
                                            FindingKind.PLACE, text or "present", True))  # fmt: skip
                    ed.patches += inner.region.blank(e.value_pos + 4, e.value_pos + e.size)
                elif e.tag == _NIKON_CAPTURE_DATA and e.size > 22:
                    _nikon_capture_iptc(inner.region.sub(e.value_pos, e.size), ed, findings, label)
    except (Unsupported, struct.error) as exc:
        notes.append(f"{label} maker note not examined for place names ({exc})")


def _nikon_capture_iptc(capture: Region, ed: _Editor, findings: list[Finding], label: str) -> None:
    """The IPTC record Nikon Capture NX keeps in a NEF's maker note (NikonCaptureData,
    record 0x9EF5F6E0: exiftool's NikonCapture table): its place names are removed as an
    IPTC block's are. Records: a 4-byte id, 14 bytes, a 4-byte size (of the data, plus 4),
    the data; all little-endian, after a 22-byte header."""
    data = capture.data
    pos = 22
    while pos + 22 < len(data):
        record_id, size = struct.unpack_from("<I14xI", data, pos)
        size -= 4
        pos += 22
        if size < 0 or pos + size > len(data):
            return
        if record_id == _NIKON_CAPTURE_IPTC:
            iim_findings, iim_patches = scan_iim(capture.sub(pos, size), ScrubOptions())
            findings += [
                replace(f, field=f"{label} MakerNote NikonCapture {f.field}")
                for f in iim_findings
                if f.kind in LOCATING
            ]
            ed.patches += iim_patches
        pos += size


def _gps_finding(
    r: _Reader,
    ed: _Editor,
    entry: Entry,
    parent: Ifd,
    opts: ScrubOptions,
    seen: set[int],
    label: str,
    notes: list[str | Note],
) -> Finding:
    pointers = r.pointers(entry) if entry.count == 1 else []
    if not pointers:
        notes.append(Note(f"{label} GPSInfo pointer has type {entry.type}", "entry removed",
                          "entry would be removed"))  # fmt: skip
        return Finding(f"{label} GPS", FindingKind.LOCATION, "malformed GPSInfo pointer", True)
    pos = pointers[0]
    try:
        gps = r.ifd(pos, "GPS IFD")
    except (Unsupported, struct.error) as exc:
        notes.append(Note(f"{label} GPS IFD unreadable ({exc})", "pointer removed",
                          "pointer would be removed"))  # fmt: skip
        return Finding(f"{label} GPS", FindingKind.LOCATION, "unreadable GPS block", True)
    position = _gps_position(r, gps)
    shown = (
        f"{position[0]:.6f}, {position[1]:.6f}"
        if position
        else _gps_other_place(r, gps)
        or _gps_partial(r, gps)
        or f"GPS block with {len(gps.entries)} tags, no valid position{_gps_bad_coordinates(r, gps)}"
    )
    if pos in seen:
        return Finding(f"{label} GPS", FindingKind.LOCATION, shown, True, position)
    seen.add(pos)
    if opts.coarsen_km is not None and position is not None:
        coarse = _coarsen_gps(r, ed, gps, position[0], position[1], opts.coarsen_km)
        if coarse is not None:
            # keep the pointer: undo its removal
            ed.remove[parent.pos][1].discard(entry.index)
            if not ed.remove[parent.pos][1]:
                del ed.remove[parent.pos]
            return Finding(
                f"{label} GPS",
                FindingKind.LOCATION,
                f"{shown} -> coarsened to {coarse[0]:.4f}, {coarse[1]:.4f}",
                True,
                position,
            )
        notes.append(Note(f"{label} GPS position has an unusual layout", "removed instead of "
                          "coarsened", "would be removed instead of coarsened"))  # fmt: skip
    ed.blank_ifd(gps)
    return Finding(f"{label} GPS", FindingKind.LOCATION, shown, True, position)
