"""Counting the same photo once when it arrives twice.

Google Takeout copies a photo into every album that holds it; a person may feed geoleak
both a Takeout and the phone's camera folder; split export parts repeat files. A media
file's identity is its content: size plus SHA-256 of its first and last 64 KiB (reading
whole files would cost more than reading their metadata; two different photos of the same
size differ in their first bytes, where EXIF and the thumbnail live, and in their last). A later post
loses the media already seen; a post left with nothing new (no media, no text, no other
position) is dropped. Posts without media are dropped only when author, time, position and
text are all equal to an earlier one's. Only one person's repeats are removed: the same
photo posted by two people (a reshare) stays evidence of each, for inference to judge.
"""

from __future__ import annotations

import hashlib
import marshal
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from geoleak.diagnostics import Diagnostics
from geoleak.epoch import US_PER_S, utc_us
from geoleak.fileid import media_digest
from geoleak.types import LatLon, Post
from geoleak.wording import count

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["DedupeStats", "Deduper", "DigestSet", "dedupe_posts", "media_digest"]

# `DigestSet.add_many` adds runs of at least this many keys at once (fewer: one by one).
_MANY = 8
# The young members (`DigestSet._spill`) are merged into the sorted parts once they hold
# this many spills' worth of members (transient memory: at most that many again); until
# the parts hold that many, spills go straight into them.
_YOUNG_SPILLS = 8
# A member's second slot is picked by its digest's bits from this one up (its first by
# the lowest): independent of the first's for up to 2^32 slots (268 M members).
_SECOND = 32


class DigestSet:
    """A set of 64-bit digests that costs about 10 bytes a member, so remembering every
    post of a corpus of millions does not grow memory much.

    The newest members are in a Python set (and, for the spill, in the arrays of the
    runs `add_many` added and a list of the keys `add` added); when it holds `buffer` of
    them they are merged into a sorted array of young members (numpy, imported then: small
    runs never need it), and those, every `_YOUNG_SPILLS` spills' worth, into sorted arrays
    one for each value of a digest's top 8 bits; a key is searched by bisection in the
    young members, then in its array. A spill copies the young members, not every member
    (at 2 M members ~12 M values moved in all, not ~31 M); merging into one of 256 arrays
    at a time needs about 1/256 of the members again in transient memory (one array for
    all needed a copy of every member, and a sort buffer, at each spill), the young
    members' merge up to `_YOUNG_SPILLS * buffer` members. Until the parts hold that many,
    a spill goes straight into them (no young members: a set of fewer members pays
    nothing for them). Beside the array, one bit per slot marks two slots of each member (a
    digest's low bits pick one, its bits from `_SECOND` up the other; 16 slots a member): a
    key with either slot clear is new without a search, so only 0.4-1.4 % of new keys
    search the array (a search costs about as much as the rest of a reader's work on a
    line; one slot a member left 3-6 %). Two different keys share a 64-bit digest with a
    chance of about n^2 / 2^65: below 1e-3 at 100 million members.
    """

    SLOTS_PER_MEMBER = 16
    PARTS = 256  # sorted arrays, by a digest's top 8 bits

    def __init__(self, buffer: int = 1 << 16) -> None:
        self.buffer = buffer
        self._recent: set[int] = set()
        self._runs: list[Any] = []  # (numpy int64 arrays) the runs `add_many` added to it
        self._singles: list[int] = []  # the rest of it
        self._sorted: list[Any] | None = None  # numpy int64 arrays, sorted, once spilled
        # (numpy int64, sorted, once spilled) members spilled since the parts last took
        # them: merged into the parts once it holds `_YOUNG_SPILLS` spills' worth.
        self._young: Any = None
        self._spilled = 0
        self._bits = bytearray()  # once spilled: the slots of every member
        self._mask = -1  # slots - 1 (a power of two minus one) once spilled

    @staticmethod
    def digest(data: bytes) -> int:
        """A key's 64-bit digest (blake2b: the same in every process, unlike `hash`)."""
        return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)

    def __len__(self) -> int:
        return len(self._recent) + self._spilled

    def __contains__(self, key: int) -> bool:
        if key in self._recent:
            return True
        if self._sorted is None:
            return False
        return self._marked(key) and self._in_sorted(key)

    def _marked(self, key: int) -> bool:
        """Whether both of `key`'s slots are marked (once spilled)."""
        one, two, bits = key & self._mask, (key >> _SECOND) & self._mask, self._bits
        return bool(bits[one >> 3] & (1 << (one & 7)) and bits[two >> 3] & (1 << (two & 7)))

    def _slots(self, keys: Any) -> tuple[Any, Any]:
        """The bytes and bits of the slots of `keys` (numpy int64; once spilled), as two
        rows of len(keys): the first slots', the second's."""
        import numpy as np

        mask = np.int64(self._mask)
        # (one array of both rows, then seen as two: `np.stack` costs a Python function)
        slots = np.concatenate((keys & mask, (keys >> _SECOND) & mask)).reshape(2, -1)
        return slots >> 3, _bit_of()[slots & 7]

    def contains_many(self, keys: Sequence[int]) -> list[bool]:
        """`key in self` of each key, in one call: once spilled, the keys' slots are read
        as arrays and only a key whose slot is marked is looked for (in the newest
        members, whose slots are marked too, then in the sorted arrays)."""
        recent = self._recent
        if self._sorted is None or len(keys) < _MANY:
            return [key in self for key in keys]
        import numpy as np

        at, marks = self._slots(np.array(keys, dtype=np.int64))
        view = np.frombuffer(self._bits, dtype=np.uint8)
        marked = (view[at] & marks).all(axis=0)
        del view  # (releases the bytearray's buffer)
        found = [False] * len(keys)
        for k in np.flatnonzero(marked).tolist():
            key = keys[k]
            found[k] = key in recent or self._in_sorted(key)
        return found

    def _in_sorted(self, key: int) -> bool:
        young = self._young
        at = int(young.searchsorted(key))
        if at < len(young) and int(young[at]) == key:
            return True
        kept = cast("list[Any]", self._sorted)[(key >> 56) + 128]
        at = int(kept.searchsorted(key))
        return at < len(kept) and int(kept[at]) == key

    def add(self, key: int) -> bool:
        """Add `key`; False when it was a member already."""
        recent = self._recent
        if key in recent:
            return False
        if self._sorted is not None:
            if not self._marked(key):
                one, two, bits = key & self._mask, (key >> _SECOND) & self._mask, self._bits
                bits[one >> 3] |= 1 << (one & 7)
                bits[two >> 3] |= 1 << (two & 7)
            elif self._in_sorted(key):
                return False
        recent.add(key)
        self._singles.append(key)
        if len(recent) >= self.buffer:
            self._spill()
        return True

    def add_many(self, keys: Sequence[int]) -> list[bool]:
        """`add` of each key in order (what each returned), in one call.

        When every key is new (none repeats another of `keys`, none is a member: the
        common case), they are added at once: set operations in C and, once spilled, their
        slots read and marked as arrays. Once spilled every member's slots are marked (the
        newest members' too), so only a key whose slots are marked is looked for, in the
        newest members and in the sorted arrays (as `add` searches); before, the run is
        checked against the newest members as a whole. Otherwise, or for a few keys, each
        is added in turn. A spill then comes after the whole run (the buffer may hold up to
        len(keys) - 1 more keys than `buffer`); what each key answers is the same."""
        recent = self._recent
        if len(keys) < _MANY or (self._sorted is None and not recent.isdisjoint(keys)):
            return self._add_each(keys)
        import numpy as np

        run = np.fromiter(keys, dtype=np.int64, count=len(keys))  # (np.array's, sooner)
        view: Any = None
        if self._sorted is not None:
            at, marks = self._slots(run)
            view = np.frombuffer(self._bits, dtype=np.uint8)
            read = view[at]  # (the slots' bytes: `_mark` sets them from this read)
            marked = np.flatnonzero((read & marks).all(axis=0)).tolist()
            if any(keys[k] in recent or self._in_sorted(keys[k]) for k in marked):
                del view
                return self._add_each(keys)  # nothing was changed yet
        # None of `keys` was a member: they all are new unless one repeats another, which
        # the set's growth tells (no set of the keys made to count them); then the set is
        # as it was once they are taken out again.
        size = len(recent)
        recent.update(keys)
        if len(recent) - size != len(keys):
            recent.difference_update(keys)
            del view
            return self._add_each(keys)
        if view is not None:
            _mark(view, at.reshape(-1), marks.reshape(-1), read.reshape(-1))
            del view  # (releases the bytearray's buffer)
        self._runs.append(run)
        if len(recent) >= self.buffer:
            self._spill()
        return [True] * len(keys)

    def _add_each(self, keys: Sequence[int]) -> list[bool]:
        """`add` of each key in turn (what each returned)."""
        add = self.add
        return [add(key) for key in keys]

    def _spill(self) -> None:
        import numpy as np

        spilled = np.concatenate([*self._runs, np.array(self._singles, dtype=np.int64)])
        self._recent, self._runs, self._singles = set(), [], []
        spilled.sort()
        if self._sorted is None:
            self._sorted = [np.zeros(0, dtype=np.int64)] * self.PARTS
            self._young = np.zeros(0, dtype=np.int64)
        # A spill joins the young members (two sorted runs: merged in one pass); the parts
        # take them only every `_YOUNG_SPILLS` spills' worth, so a spill copies at most
        # those, not every member (at 2 M members, ~12 M values moved in all, not ~31 M).
        # While the parts hold fewer members than that, a spill goes straight into them
        # (the young members are empty): copying the parts costs no more than the young
        # members' merge would, and a rebuild of the slot bits marks one part at a time.
        held = self._spilled - len(self._young)  # (by the parts)
        self._spilled += len(spilled)
        if held < _YOUNG_SPILLS * self.buffer:
            young = spilled
        else:
            young = np.concatenate((self._young, spilled))
            young.sort(kind="stable")
            self._young = young
        if len(young) >= _YOUNG_SPILLS * self.buffer or held < _YOUNG_SPILLS * self.buffer:
            self._young = np.zeros(0, dtype=np.int64)
            parts = self._sorted
            # Sorted digests are sorted by their top 8 bits too (an arithmetic shift).
            bounds = np.searchsorted(young >> 56, np.arange(-128, 129)).tolist()
            for part in range(self.PARTS):
                start, end = bounds[part], bounds[part + 1]
                if start < end:
                    merged = np.concatenate((parts[part], young[start:end]))
                    merged.sort(kind="stable")  # two sorted runs: merged in one pass
                    parts[part] = merged
            del young
        slots = self._mask + 1
        if slots < self.SLOTS_PER_MEMBER * self._spilled:
            # (Re)built for every member; until the next, `add` marks each new member's slot.
            # Built in place, the old map dropped first: one map in memory at a time (a
            # numpy map copied to bytes, then to a bytearray, beside the old one, held
            # 3.5 maps at once: ~110 MiB at 10 M members).
            slots = max(1 << 16, 1 << (self.SLOTS_PER_MEMBER * self._spilled - 1).bit_length())
            self._bits = bytearray()
            bits = bytearray(slots >> 3)
            view = np.frombuffer(bits, dtype=np.uint8)
            self._mask = slots - 1
            for kept in [*self._sorted, self._young]:  # one part's slots at a time
                at, marks = self._slots(kept)
                _mark(view, at.reshape(-1), marks.reshape(-1))
            del view  # (releases the bytearray's buffer)
            self._bits = bits


@lru_cache(maxsize=1)
def _bit_of() -> NDArray[np.uint8]:
    """The byte of each bit (0-7) set alone: a slot's mark in its byte."""
    import numpy as np

    return np.left_shift(1, np.arange(8)).astype(np.uint8)


def _mark(
    view: NDArray[np.uint8],
    at: NDArray[np.int64],
    marks: NDArray[np.uint8],
    read: NDArray[np.uint8] | None = None,
) -> None:
    """`np.bitwise_or.at(view, at, marks)` (byte `at[k]` ORed with `marks[k]`), by fancy
    assignments: a byte listed more than once keeps only its last listing's value, so the
    marks that did not stay are set again, as many passes as a byte is listed at most
    (bits are only added: every value written is the byte's as read, ORed). ufunc.at took
    36-48 ns a mark rebuilding a map of millions of members, these ~14, and ~13 against
    ~10 for a run's 1,024 marks. `read`, when given, is `view[at]` as the caller read it
    (the view unchanged since): the first pass sets the bytes from it, not read again."""
    if read is not None and len(at):
        view[at] = read | marks
        lost = (view[at] & marks) != marks
        at, marks = at[lost], marks[lost]
    while len(at):
        view[at] |= marks
        lost = (view[at] & marks) != marks
        at, marks = at[lost], marks[lost]


@dataclass
class DedupeStats:
    posts_dropped: int = 0
    media_dropped: int = 0


def _rounded(position: LatLon | None) -> tuple[float, float] | None:
    return None if position is None else (round(position.lat, 6), round(position.lon, 6))


def _post_key(post: Post) -> int:
    """A 64-bit digest of what makes a post without media a repeat (texts are not kept).

    Equal keys: the same author, text and place name, the same position to 6 decimals and
    the same time written with the same UTC offset. The fields are serialised (by `marshal`:
    unambiguous, and fast; a post with a geotag and nothing else, at a time with a zero
    offset, as `_geotag_key` writes it, so a batch of them is keyed in columns) and hashed
    with Python's keyed 64-bit hash of bytes: the digests are compared only within one
    process (or a process forked from it), and a corpus cannot craft two posts that share a
    key without knowing the process's key.
    """
    place = post.place
    return _key(post.author, post.created_at, post.geotag, post.text,
                None if place is None else place.name)  # fmt: skip


def _key(
    author: str,
    created: datetime | None,
    geotag: LatLon | None,
    text: str | None,
    place_name: str | None,
) -> int:
    offset = None if created is None else _offset_s(created)
    if offset == 0.0 and geotag is not None and text is None and place_name is None:
        return _geotag_key(author, utc_us(cast("datetime", created)), geotag.lat, geotag.lon)
    key = (
        author,
        None if created is None else utc_us(created),
        offset,
        None if geotag is None else round(geotag.lat, 6),
        None if geotag is None else round(geotag.lon, 6),
        text,
        place_name,
    )
    return hash(marshal.dumps(key, _MARSHAL_VERSION))


# A post with a geotag and nothing else, at a time with a zero UTC offset, is keyed by the
# bytes of its author (UTF-8) then of its UTC microseconds, latitude and longitude rounded
# to 6 decimals (little-endian int64 and float64s, as the floats' bits: -0.0 is not 0.0)
# and a final 1 (`utc_geotag_keys` reads those 25 bytes of a row from a numpy record: one
# that ended in a zero byte would lose it); the author's length is what the rest is not.
_GEOTAG_TAIL = struct.Struct("<qddB")
_TAIL_RECORD = [("utc_us", "<i8"), ("lat", "<f8"), ("lon", "<f8"), ("end", "u1")]


def _geotag_key(author: str, utc_us: int, lat: float, lon: float) -> int:
    tail = _GEOTAG_TAIL.pack(utc_us, round(lat, 6), round(lon, 6), 1)
    return hash(author.encode("utf-8", "surrogatepass") + tail)


def utc_geotag_keys(
    authors: Sequence[str],
    utc_s: Sequence[int] | NDArray[np.int64],
    lats: Sequence[float] | NDArray[np.float64],
    lons: Sequence[float] | NDArray[np.float64],
) -> list[int]:
    """`_key` of posts with a geotag and nothing else, each by `authors[k]` at `utc_s[k]`
    seconds after 1970 UTC (an aware datetime in `timezone.utc`) at (lats[k], lons[k]), in
    columns: each key's bytes made in numpy, then hashed in C maps.

    Each distinct author is encoded once (a person's posts come together). Where the
    authors' UTF-8 lengths are few (each length's rows at least `_KEYS_PER_LENGTH`), the
    rows of one length are whole records of a numpy array (the author's bytes, then the
    tail), so each key's bytes are made once, not as a tail then joined to its author's
    (85 against 150 ns a row); the same bytes, so the same keys."""
    import numpy as np

    count = len(authors)
    utc_us = np.asarray(utc_s, dtype=np.int64) * US_PER_S
    lat6 = _rounded6(np.asarray(lats, dtype=np.float64))
    lon6 = _rounded6(np.asarray(lons, dtype=np.float64))
    encoded = {author: author.encode("utf-8", "surrogatepass") for author in set(authors)}
    heads = list(map(encoded.__getitem__, authors))
    lengths = set(map(len, encoded.values()))
    if len(lengths) == 1:
        return _record_keys(heads, lengths.pop(), utc_us, lat6, lon6)
    if len(lengths) * _KEYS_PER_LENGTH <= count:
        length_of = np.fromiter(map(len, heads), dtype=np.int64, count=count)
        keys = [0] * count
        for length in lengths:
            at = np.flatnonzero(length_of == length)
            rows = at.tolist()
            found = _record_keys(list(map(heads.__getitem__, rows)), length, utc_us[at],
                                 lat6[at], lon6[at])  # fmt: skip
            for k, key in zip(rows, found, strict=True):
                keys[k] = key
        return keys
    tails = _records(0, utc_us, lat6, lon6)
    return list(map(hash, map(bytes.__add__, heads, tails.view(f"S{tails.itemsize}").tolist())))


# `utc_geotag_keys` makes the keys of one author length's rows as whole records when there
# are at least this many (a length's group costs about a dozen numpy calls, ~60 ns a row less).
_KEYS_PER_LENGTH = 256


def _records(length: int, utc_us: Any, lat6: Any, lon6: Any) -> Any:
    """Records of `length` bytes of an author (left unset; none when 0), then the tail of
    `_geotag_key` (`_TAIL_RECORD`) of each row."""
    import numpy as np

    fields = ([("head", f"V{length}")] if length else []) + _TAIL_RECORD
    records = np.empty(len(utc_us), dtype=fields)
    records["utc_us"] = utc_us
    records["lat"] = lat6
    records["lon"] = lon6
    records["end"] = 1
    return records


def _record_keys(heads: list[bytes], length: int, utc_us: Any, lat6: Any, lon6: Any) -> list[int]:
    """`hash` of each row's author's bytes (`heads`, each `length` long) then its tail, the
    bytes read as whole records (the final 1 keeps a record's last byte from being taken
    as padding)."""
    import numpy as np

    records = _records(length, utc_us, lat6, lon6)
    if length:
        records["head"] = np.frombuffer(b"".join(heads), dtype=f"V{length}")
    return list(map(hash, records.view(f"S{records.itemsize}").tolist()))


def _rounded6(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """`round(v, 6)` of each value, bit for bit (the sign of a zero too). The nearest
    integer to v * 1e6 is the correctly rounded one wherever the product's rounding error
    (at most 2^-24 for |v| <= 360) cannot cross a half; the quotient by 1e6 is then the
    double nearest that many millionths, which is what `round` gives. Values near a half,
    larger or not finite are rounded by `round`."""
    import numpy as np

    with np.errstate(all="ignore"):  # (values past a float's range when scaled: unsure)
        scaled = values * 1e6
        rounded = np.rint(scaled) / 1e6
        unsure = ~(np.abs(values) <= 360.0) | (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    for k in np.flatnonzero(unsure).tolist():
        rounded[k] = round(float(values[k]), 6)
    return rounded


# Version 2 has no references: the bytes depend on the values only (from version 3 on, an
# object that something else refers to is written with a flag, so the same key built from a
# shared and from a fresh int would hash apart).
_MARSHAL_VERSION = 2


def _offset_s(moment: datetime) -> float:
    if moment.tzinfo is timezone.utc:
        return 0.0
    offset = moment.utcoffset()
    return 0.0 if offset is None else offset.total_seconds()


class Deduper:
    """Streaming dedupe whose memory is digests: about 8 bytes per located post without
    media (`DigestSet`) and one entry per (person, media content), never the texts.

    `digest_of` gives a media path's content digest (`media_digest` by default); the
    pipeline passes the digests its workers computed along with the metadata, so a file
    is read once.
    """

    def __init__(
        self,
        diag: Diagnostics | None = None,
        stats: DedupeStats | None = None,
        digest_of: Callable[[str], str | None] = media_digest,
    ) -> None:
        self.diag = diag
        self.stats = stats if stats is not None else DedupeStats()
        self.digest_of = digest_of
        # Keyed by (author, content): one person's photo twice is one observation; the same
        # photo posted by two people (a reshare) is each one's evidence, judged by inference.
        self._seen_media: dict[tuple[str, str], tuple[str, tuple[float, float] | None]] = {}
        self._seen_posts = DigestSet()

    def filter(self, posts: Iterable[Post]) -> Iterator[Post]:
        """The posts with repeated media and repeated identical posts removed."""
        for post in posts:
            kept_post = self.check(post)
            if kept_post is not None:
                yield kept_post

    def check_geotag(self, author: str, created: datetime | None, geotag: LatLon) -> bool:
        """`check` of a post with a geotag and nothing else (no text, place or media):
        False (counted as dropped) when it repeats an earlier post."""
        if not self._seen_posts.add(_key(author, created, geotag, None, None)):
            self.stats.posts_dropped += 1
            return False
        return True

    def check_keys(self, keys: Sequence[int]) -> list[bool]:
        """For each post key (`_key`, `utc_geotag_keys`), in order: False (counted as
        dropped) when it repeats an earlier post's."""
        kept = self._seen_posts.add_many(keys)
        self.stats.posts_dropped += len(kept) - sum(kept)
        return kept

    def check(self, post: Post) -> Post | None:
        """The post as kept (its repeated media removed), or None when it is a repeat."""
        stats = self.stats
        if not post.media:
            if post.geotag is None and post.place is None:
                return post  # not evidence of a place: never a repeat worth a key
            if not self._seen_posts.add(_post_key(post)):
                stats.posts_dropped += 1
                return None
            return post
        kept: list[str] = []
        earlier: list[tuple[str, tuple[float, float] | None]] = []
        for path in post.media:
            digest = self.digest_of(path)
            media_key = (post.author, digest or "")
            if digest is None or media_key not in self._seen_media:
                kept.append(path)
                if digest is not None:
                    self._seen_media[media_key] = (post.origin or post.id, _rounded(post.geotag))
                continue
            earlier.append(self._seen_media[media_key])
            stats.media_dropped += 1
        if not earlier:
            return post
        if self.diag is not None:
            here = post.origin or post.id
            elsewhere = [origin for origin, _ in earlier if origin != here]
            if len(elsewhere) < len(earlier):  # (files of this post with the same bytes)
                inside = len(earlier) - len(elsewhere)
                self.diag.warn(
                    f"{here}: {count(inside, 'media file')} "
                    f"{'repeats' if inside == 1 else 'repeat'} another of the same post "
                    "(identical content); counted once",
                    kind="duplicate",
                )
            if elsewhere:
                self.diag.warn(
                    f"{here}: {len(elsewhere)} media file(s) already read via "
                    f"{elsewhere[0]}; counted once",
                    kind="duplicate",
                )
        new_position = post.geotag is not None and all(
            _rounded(post.geotag) != pos for _, pos in earlier
        )
        if kept or post.text or post.place is not None or new_position:
            # A position equal to the earlier copy's was counted with it already.
            geotag = post.geotag if (kept or new_position) else None
            return replace(post, media=tuple(kept), geotag=geotag)
        stats.posts_dropped += 1
        return None


def dedupe_posts(
    posts: Iterable[Post], diag: Diagnostics | None = None, stats: DedupeStats | None = None
) -> Iterator[Post]:
    """The posts with repeated media and repeated identical posts removed (streaming)."""
    return Deduper(diag, stats).filter(posts)
