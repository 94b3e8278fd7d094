"""What the format rewriters share: options, findings, and same-length byte patches.

Every rewriter in this package works by *same-length, in-place* edits: it never inserts or
removes bytes, it overwrites metadata bytes with blanks (zeros, spaces) or with a smaller,
valid structure of the same size (an IFD with fewer entries, a box renamed to `free`).
Because nothing moves, every offset in the file (JPEG MPF pointers, HEIF `iloc` extents,
MP4 `stco` chunk offsets, TIFF strip offsets, maker-note offsets) stays valid, and the
image and video data are byte-identical by construction. A scrub is therefore a copy of
the original plus a list of `Patch`es, which also makes it cheap for huge videos.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from geoleak.formats.tags import Kind

__all__ = [
    "LOCATING",
    "Finding",
    "FindingKind",
    "Note",
    "Patch",
    "Region",
    "ScanResult",
    "ScrubOptions",
    "Unsupported",
    "kind_of",
    "note_text",
    "text_finding",
    "wanted",
]


# audit: a photo within this many metres of a home or base shows where the person lives
NEAR_M = 200.0


class Unsupported(Exception):
    """A file (or a block inside it) that the rewriter cannot clean safely.

    `findings`: what the scanner did read before it gave up (a compressed PNG profile's
    GPS), so that audit reports what scrub refuses to copy."""

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.findings = list(findings)


class NoPosition(Unsupported):
    """A file that is nothing but positions (a track, flight telemetry, location JSON) and
    holds none: an indoor FIT activity, a drone log without a GPS fix. Nothing to clean,
    nothing leaks."""


@dataclass(frozen=True, slots=True)
class ScrubOptions:
    """What to remove.

    Location is always removed (or, with `coarsen_km`, replaced by a position rounded to a
    grid of that many kilometres). `all_identifying` also removes serial numbers, owner
    and creator names, unique ids and maker notes. Capture time and orientation are kept
    unless `drop_time` / `drop_orientation` ask otherwise.
    """

    all_identifying: bool = False
    drop_time: bool = False
    drop_orientation: bool = False
    coarsen_km: float | None = None

    def __post_init__(self) -> None:
        if self.coarsen_km is not None and not self.coarsen_km > 0:
            raise ValueError(f"coarsen_km must be positive, got {self.coarsen_km!r}")


class FindingKind(str, Enum):
    """What a field gives away (see formats.tags.Kind, whose person and identity kinds are
    both IDENTIFYING here, and whose free text counts as LOCATION when it holds a position)."""

    LOCATION = "location"
    PLACE = "place"  # a place name: removed with location
    IDENTIFYING = "identifying"
    TIME = "time"
    ORIENTATION = "orientation"


LOCATING = frozenset({FindingKind.LOCATION, FindingKind.PLACE})


def wanted(kind: FindingKind, opts: ScrubOptions) -> bool:
    """Whether `opts` remove a field of this kind (location and places always)."""
    return (
        kind in LOCATING
        or (kind is FindingKind.IDENTIFYING and opts.all_identifying)
        or (kind is FindingKind.TIME and opts.drop_time)
        or (kind is FindingKind.ORIENTATION and opts.drop_orientation)
    )


def kind_of(kind: Kind) -> FindingKind | None:
    """The finding kind of a tag-table kind (None for device fields and plain free text)."""
    return _KIND_OF.get(kind)


_KIND_OF = {
    Kind.LOCATION: FindingKind.LOCATION,
    Kind.PLACE: FindingKind.PLACE,
    Kind.TIME: FindingKind.TIME,
    Kind.IDENTITY: FindingKind.IDENTIFYING,
    Kind.PERSON: FindingKind.IDENTIFYING,
    Kind.ORIENTATION: FindingKind.ORIENTATION,
}


@dataclass(frozen=True, slots=True)
class Patch:
    """Overwrite `data` at file offset `offset` (never changes the file's length)."""

    offset: int
    data: bytes

    @property
    def end(self) -> int:
        return self.offset + len(self.data)


@dataclass(frozen=True, slots=True)
class Finding:
    """One metadata field found in a file, e.g. ("EXIF GPS", "53.38, -1.46", LOCATION)."""

    field: str
    kind: FindingKind
    value: str | None = None
    removed: bool = False  # whether the scan's patches remove (or coarsen) it
    position: tuple[float, float] | None = None  # (lat, lon) the field holds, when parsed


@dataclass(frozen=True, slots=True)
class Note:
    """Something met in a file and what scrub does about it, said as done (`done`, e.g.
    "pointer removed") or, in a dry run, as what would be done (`would`, "pointer would be
    removed"). A note that only says what was found is a plain string."""

    found: str
    done: str
    would: str

    def says(self, dry_run: bool) -> str:
        return f"{self.found}; {self.would if dry_run else self.done}"


def note_text(note: str | Note, *, dry_run: bool) -> str:
    """A note as a run says it: what was done, or in a dry run what would be done."""
    return note.says(dry_run) if isinstance(note, Note) else note


@dataclass(slots=True)
class ScanResult:
    """What a rewriter found in one file and the patches that clean it."""

    format: str
    findings: list[Finding] = field(default_factory=list)
    patches: list[Patch] = field(default_factory=list)
    notes: list[str | Note] = field(default_factory=list)

    def add(self, finding: Finding, patches: Iterable[Patch] = ()) -> None:
        self.findings.append(finding)
        self.patches.extend(patches)

    @property
    def location_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.kind in LOCATING]


class Region:
    """A logical byte string stored in one or more extents of the file.

    A HEIF Exif item may be split over several `iloc` extents and a JPEG's extended XMP
    over several APP1 segments; the parsers work on the logical bytes and `patch` maps an
    edit back to file offsets.
    """

    __slots__ = ("_extents", "data")

    def __init__(
        self, source: bytes | bytearray | memoryview, extents: list[tuple[int, int]]
    ) -> None:
        self._extents = [(int(off), int(n)) for off, n in extents if n > 0]
        self.data = b"".join(bytes(source[off : off + n]) for off, n in self._extents)

    @classmethod
    def whole(cls, source: bytes | bytearray | memoryview, offset: int, length: int) -> Region:
        return cls(source, [(offset, length)])

    def __len__(self) -> int:
        return len(self.data)

    def file_offset(self, logical: int) -> int:
        pos = logical
        for off, n in self._extents:
            if pos < n:
                return off + pos
            pos -= n
        raise IndexError(logical)

    def patch(self, logical: int, data: bytes) -> list[Patch]:
        """File patches writing `data` at logical offset `logical`."""
        if logical < 0 or logical + len(data) > len(self.data):
            raise IndexError(
                f"patch {logical}+{len(data)} outside region of {len(self.data)} bytes"
            )
        patches: list[Patch] = []
        pos, rest = logical, data
        base = 0
        for off, n in self._extents:
            if rest and base <= pos < base + n:
                take = min(len(rest), base + n - pos)
                patches.append(Patch(off + pos - base, bytes(rest[:take])))
                rest = rest[take:]
                pos += take
            base += n
        return patches

    def logical_offset(self, file_offset: int) -> int | None:
        """The logical offset of a file offset, or None when it lies outside the region."""
        base = 0
        for off, n in self._extents:
            if off <= file_offset < off + n:
                return base + file_offset - off
            base += n
        return None

    def sub(self, start: int, length: int) -> Region:
        """The logical bytes [start, start+length) as a region of their own."""
        length = max(0, min(length, len(self.data) - start))
        extents: list[tuple[int, int]] = []
        base = 0
        lo, hi = start, start + length
        for off, n in self._extents:
            a, b = max(lo, base), min(hi, base + n)
            if a < b:
                extents.append((off + a - base, b - a))
            base += n
        region = Region.__new__(Region)
        region._extents = extents
        region.data = self.data[start : start + length]
        return region

    def blank(self, start: int, end: int, fill: bytes = b"\x00") -> list[Patch]:
        if end <= start:
            return []
        return self.patch(start, (fill * (end - start))[: end - start])


def text_finding(field: str, text: str) -> Finding | None:
    """A LOCATION finding when free text (a comment, a caption) holds coordinates.

    Such a field is removed whatever the options: it gives away a position.
    """
    from geoleak.formats.coordinates import find_coordinates

    found = find_coordinates(text)
    if not found:
        return None
    shown = "coordinates in text: " + found[0].text[:60]
    return Finding(field, FindingKind.LOCATION, shown, removed=True, position=found[0].position)
