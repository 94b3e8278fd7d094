"""A person's evidence as columns, with an `Evidence` object made only when one is asked for.

Plain located lines (`geoleak.extract.columns`) are decoded a batch at a time into arrays
(`GeotagRows`): position, UTC seconds, local wall-clock time, zone and post id. A shard
that infers its own people keeps, per person, which rows of which batches are theirs,
between the `Evidence` lists of their other posts (`EvidenceParts`), and hands inference an
`EvidenceColumns`: a `Sequence[Evidence]` in post order whose columns inference reads
(`geoleak.infer.places` clusters, counts and orders points from them) and whose items are
built as the object path builds them, on first access, for the few posts that need an
object (a candidate's first and last time, a base found by site membership).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any, Protocol, TypeVar, cast, overload

import numpy as np
from numpy.typing import NDArray

from geoleak.epoch import US_PER_S, from_naive_us, from_utc_s, from_utc_us, naive_us, utc_us_or_zero
from geoleak.types import Evidence, EvidenceSource, LatLon, LocalTimeBasis

__all__ = [
    "EvidenceColumns",
    "EvidenceParts",
    "EvidenceRows",
    "GeotagRows",
    "PointColumns",
    "point_columns",
]

_US_PER_HOUR = 3_600 * US_PER_S
_US_PER_DAY = 86_400 * US_PER_S
_ORDINAL_1970 = 719_163  # date(1970, 1, 1).toordinal()


@dataclass(eq=False)
class GeotagRows:
    """Plain located posts of one batch as columns: one row per post whose only evidence is
    its platform geotag (source, accuracy and weight the same for every row).

    `local_us` is the local wall-clock time in microseconds since 1970-01-01 (naive) where
    `has_local`; `local_exact` holds the local times converted one by one (a day with a
    clock change: kept as `to_local` made them, `fold` included). `line` is each row's
    position among the lines the batch was decoded from."""

    line: list[int]
    post_id: list[str]
    author: list[str]
    tz_name: list[str | None]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    utc_s: NDArray[np.int64]
    local_us: NDArray[np.int64]
    has_local: NDArray[np.bool_]
    local_exact: dict[int, datetime] = field(default_factory=dict)
    source: EvidenceSource = EvidenceSource.GEOTAG
    accuracy_m: float = 30.0
    weight: float = 1.0

    def __len__(self) -> int:
        return len(self.line)

    def created_at(self, row: int) -> datetime:
        """The post's time (UTC) as the general path reads it."""
        return from_utc_s(int(self.utc_s[row]))

    def local_time(self, row: int) -> datetime | None:
        if not self.has_local[row]:
            return None
        exact = self.local_exact.get(row)
        if exact is not None:
            return exact
        return from_naive_us(int(self.local_us[row]))

    def evidence(self, row: int) -> Evidence:
        """The row's `Evidence`, equal to what the general path builds for the post."""
        created = self.created_at(row)
        local = self.local_time(row)
        return Evidence(
            post_id=self.post_id[row],
            person=self.author[row],
            position=LatLon.checked(float(self.lat[row]), float(self.lon[row])),
            source=self.source,
            accuracy_m=self.accuracy_m,
            time_utc=created,
            local_time=local,
            local_basis=LocalTimeBasis.NONE if local is None else LocalTimeBasis.POSITION_TZ,
            tz_name=self.tz_name[row],
            posted_at=created,
            weight=self.weight,
        )


class RowSource(Protocol):
    """Rows an `EvidenceColumns` makes its items from, on demand."""

    def evidence(self, row: int) -> Evidence: ...


_SOURCES = {s.value: s for s in EvidenceSource}
_BASES = {b.value: b for b in LocalTimeBasis}


@dataclass(eq=False)
class EvidenceRows:
    """Pieces of evidence of any kind as columns, every field of `Evidence`: what a
    partition of the evidence store holds (`geoleak.store.rows_of_table` reads one), rows
    of one person next to each other. `utc_us`, `posted_us` (aware, UTC) and `local_us`
    (naive) are microseconds since 1970-01-01 where `has_utc`, `has_posted`, `has_local`
    (0 elsewhere); `source` and `local_basis` hold their enums' values. Positions are
    taken as checked (finite, in range) by whoever made the rows."""

    post_id: list[str]
    person: list[str]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    accuracy_m: NDArray[np.float64]
    weight: NDArray[np.float64]
    utc_us: NDArray[np.int64]
    has_utc: NDArray[np.bool_]
    posted_us: NDArray[np.int64]
    has_posted: NDArray[np.bool_]
    local_us: NDArray[np.int64]
    has_local: NDArray[np.bool_]
    local_basis: list[str]
    tz_name: list[str | None]
    source: list[str]
    media_path: list[str | None]
    device: list[str | None]
    text: list[str | None]

    def __len__(self) -> int:
        return len(self.post_id)

    def evidence(self, row: int) -> Evidence:
        """The row's `Evidence` (a publication time equal to `time_utc` is the same object)."""
        time_utc = from_utc_us(int(self.utc_us[row])) if self.has_utc[row] else None
        posted = None
        if self.has_posted[row]:
            posted_us = int(self.posted_us[row])
            posted = (
                time_utc
                if time_utc is not None and posted_us == int(self.utc_us[row])
                else from_utc_us(posted_us)
            )
        local = from_naive_us(int(self.local_us[row])) if self.has_local[row] else None
        return Evidence(
            self.post_id[row],
            self.person[row],
            LatLon.checked(float(self.lat[row]), float(self.lon[row])),
            _SOURCES[self.source[row]],
            float(self.accuracy_m[row]),
            time_utc,
            local,
            _BASES[self.local_basis[row]],
            self.tz_name[row],
            posted,
            self.media_path[row],
            self.device[row],
            self.text[row],
            float(self.weight[row]),
        )

    def lag_s(self) -> NDArray[np.float64]:
        """Each row's posting time less its `time_utc`, in seconds (NaN without both), as
        `timedelta.total_seconds` gives it (exact microseconds, one rounding)."""
        both = self.has_posted & self.has_utc
        lag = (self.posted_us - self.utc_us).astype(np.float64) / US_PER_S
        return np.where(both, lag, np.nan)

    def columns(self, person: str, start: int, stop: int) -> EvidenceColumns:
        """Rows `start` to `stop` (one person's, in order) as that person's columns."""
        return EvidenceColumns.of_rows(person, self, start, stop)

    def take(self, index: NDArray[np.int64]) -> EvidenceRows:
        """The rows at `index`, in that order."""
        at = index.tolist()
        fields: dict[str, Any] = {name: getattr(self, name)[index] for name in _ROW_ARRAYS}
        for name in _ROW_LISTS:
            values = getattr(self, name)
            fields[name] = [values[i] for i in at]
        return EvidenceRows(**fields)

    @classmethod
    def joined(cls, blocks: Sequence[EvidenceRows]) -> EvidenceRows:
        """The rows of `blocks`, one after the other."""
        if len(blocks) == 1:
            return blocks[0]
        fields: dict[str, Any] = {
            name: np.concatenate([getattr(b, name) for b in blocks]) if blocks
            else np.zeros(0, dtype=dtype) for name, dtype in _ROW_ARRAYS.items()
        }  # fmt: skip
        fields.update({name: list(chain.from_iterable(getattr(b, name) for b in blocks))
                       for name in _ROW_LISTS})  # fmt: skip
        return cls(**fields)

    @classmethod
    def of_parts(cls, people: Iterable[tuple[str, EvidenceParts]]) -> EvidenceRows:
        """Each person's evidence as it arrived (`EvidenceParts`: plain rows and objects),
        person after person, each in post order: the rows the evidence store keeps of it
        (local times to the microsecond, their `fold` not kept)."""
        post_id: list[str] = []
        person: list[str] = []
        tz_name: list[str | None] = []
        source: list[str] = []
        local_basis: list[str] = []
        plain: dict[int, tuple[GeotagRows, list[int], list[int]]] = {}  # rows, row, output row
        objects: list[Evidence] = []
        object_at: list[int] = []
        for name, parts in people:
            for part in parts.parts:
                start = len(post_id)
                if isinstance(part, tuple):
                    rows, at = part
                    n = len(at)
                    entry = plain.get(id(rows))
                    if entry is None:
                        entry = plain[id(rows)] = (rows, [], [])
                    entry[1].extend(at)
                    entry[2].extend(range(start, start + n))
                    post_id.extend(map(rows.post_id.__getitem__, at))
                    tz_name.extend(map(rows.tz_name.__getitem__, at))
                    source.extend([rows.source.value] * n)
                    local_basis.extend([""] * n)  # set below, from has_local
                else:
                    n = len(part)
                    objects.extend(part)
                    object_at.extend(range(start, start + n))
                    post_id.extend([ev.post_id for ev in part])
                    tz_name.extend([ev.tz_name for ev in part])
                    source.extend([ev.source.value for ev in part])
                    local_basis.extend([ev.local_basis.value for ev in part])
                person.extend([name] * n)
        size = len(post_id)
        if not objects and len(plain) == 1:  # (one batch's plain rows: taken as they are)
            ((rows, at_rows, _),) = plain.values()
            return cls._of_plain(rows, at_rows, post_id, person, tz_name, source)
        lat, lon = np.zeros(size), np.zeros(size)
        accuracy, weight = np.zeros(size), np.zeros(size)
        utc_us, posted_us, local_us = (np.zeros(size, dtype=np.int64) for _ in range(3))
        has_utc, has_posted, has_local = (np.zeros(size, dtype=bool) for _ in range(3))
        media_path: list[str | None] = [None] * size
        device: list[str | None] = [None] * size
        text: list[str | None] = [None] * size
        bases = np.array(local_basis, dtype=object) if plain else None
        for rows, at_rows, at_out in plain.values():
            index, out = np.array(at_rows, dtype=np.int64), np.array(at_out, dtype=np.int64)
            lat[out], lon[out] = rows.lat[index], rows.lon[index]
            accuracy[out], weight[out] = rows.accuracy_m, rows.weight
            utc_us[out] = posted_us[out] = rows.utc_s[index] * US_PER_S  # posted at its time
            has_utc[out] = has_posted[out] = True
            known = rows.has_local[index]
            local_us[out] = np.where(known, rows.local_us[index], 0)
            has_local[out] = known
            cast("NDArray[np.object_]", bases)[out] = _PLAIN_BASES[known.astype(np.intp)]
        if bases is not None:
            local_basis = bases.tolist()
        if objects:
            out = np.array(object_at, dtype=np.int64)
            lat[out] = [ev.position.lat for ev in objects]
            lon[out] = [ev.position.lon for ev in objects]
            accuracy[out] = [ev.accuracy_m for ev in objects]
            weight[out] = [ev.weight for ev in objects]
            for values, known, times in (
                (utc_us, has_utc, [ev.time_utc for ev in objects]),
                (posted_us, has_posted, [ev.posted_at for ev in objects]),
            ):
                values[out] = utc_us_or_zero(times)
                known[out] = [t is not None for t in times]
            local = [ev.local_time for ev in objects]
            local_us[out] = [0 if t is None else naive_us(t) for t in local]
            has_local[out] = [t is not None for t in local]
            for k, ev in zip(object_at, objects, strict=True):
                media_path[k], device[k], text[k] = ev.media_path, ev.device, ev.text
        return cls(
            post_id=post_id, person=person, lat=lat, lon=lon, accuracy_m=accuracy,
            weight=weight, utc_us=utc_us, has_utc=has_utc, posted_us=posted_us,
            has_posted=has_posted, local_us=local_us, has_local=has_local,
            local_basis=local_basis, tz_name=tz_name, source=source, media_path=media_path,
            device=device, text=text,
        )  # fmt: skip

    @classmethod
    def _of_plain(
        cls,
        rows: GeotagRows,
        at: list[int],
        post_id: list[str],
        person: list[str],
        tz_name: list[str | None],
        source: list[str],
    ) -> EvidenceRows:
        """`of_parts` of rows `at` of one batch's plain rows, nothing else, in that order."""
        index = np.array(at, dtype=np.int64)
        size = len(at)
        utc_us = rows.utc_s[index] * US_PER_S
        known = rows.has_local[index]
        return cls(
            post_id=post_id, person=person, lat=rows.lat[index], lon=rows.lon[index],
            accuracy_m=np.full(size, rows.accuracy_m, dtype=np.float64),
            weight=np.full(size, rows.weight, dtype=np.float64),
            utc_us=utc_us, has_utc=np.ones(size, dtype=bool), posted_us=utc_us.copy(),
            has_posted=np.ones(size, dtype=bool), local_us=np.where(known, rows.local_us[index], 0),
            has_local=known, local_basis=_PLAIN_BASES[known.astype(np.intp)].tolist(),
            tz_name=tz_name, source=source, media_path=[None] * size, device=[None] * size,
            text=[None] * size,
        )  # fmt: skip


# A plain row's local_basis, by whether its local time is known.
_PLAIN_BASES = np.array([LocalTimeBasis.NONE.value, LocalTimeBasis.POSITION_TZ.value], dtype=object)

_ROW_ARRAYS: dict[str, type[np.generic]] = {
    "lat": np.float64, "lon": np.float64, "accuracy_m": np.float64, "weight": np.float64,
    "utc_us": np.int64, "has_utc": np.bool_, "posted_us": np.int64, "has_posted": np.bool_,
    "local_us": np.int64, "has_local": np.bool_,
}  # fmt: skip
_ROW_LISTS = ("post_id", "person", "local_basis", "tz_name", "source", "media_path", "device",
              "text")  # fmt: skip


class EvidenceParts:
    """One person's evidence as it arrives, in post order: runs of rows of plain batches
    and lists of `Evidence` objects (every other post)."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[tuple[GeotagRows, list[int]] | list[Evidence]] = []

    def add_row(self, rows: GeotagRows, row: int) -> None:
        parts = self.parts
        if parts:
            last = parts[-1]
            if type(last) is tuple and last[0] is rows:
                last[1].append(row)
                return
        parts.append((rows, [row]))

    def add_rows(self, rows: GeotagRows, at: list[int]) -> None:
        """`add_row` of each of `at`, in order."""
        parts = self.parts
        if parts:
            last = parts[-1]
            if type(last) is tuple and last[0] is rows:
                last[1].extend(at)
                return
        parts.append((rows, at))

    def add_evidence(self, found: Sequence[Evidence]) -> None:
        parts = self.parts
        if parts and type(parts[-1]) is list:
            parts[-1].extend(found)
        else:
            parts.append(list(found))

    def columns(self, person: str) -> EvidenceColumns:
        return EvidenceColumns(person, self.parts)


_T = TypeVar("_T", bound=np.generic)


def _joined(chunks: list[NDArray[_T]], dtype: type[_T]) -> NDArray[_T]:
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)


def local_hours(local_us: NDArray[np.int64]) -> NDArray[np.int64]:
    """The local hour of each naive local time (microseconds since 1970-01-01)."""
    return np.asarray((local_us // _US_PER_HOUR) % 24, dtype=np.int64)


def local_ordinals(local_us: NDArray[np.int64]) -> NDArray[np.int64]:
    """The local date of each naive local time as `date.toordinal()`."""
    return np.asarray(local_us // _US_PER_DAY + _ORDINAL_1970, dtype=np.int64)


class EvidenceColumns(Sequence[Evidence]):
    """A person's evidence in post order: columns for inference, objects on demand.

    Columns (one entry per piece of evidence): `lat`, `lon`, `accuracy_m`, `weight`,
    `utc_us` (where `has_utc`), `lag_s` (posting time less `time_utc`, seconds; NaN without
    both), `local_us` (naive local time, microseconds since 1970-01-01, where `has_local`),
    `post_ids`, `tz_names`, `sources` (their values). Item `i` is the `Evidence` the object
    path holds at that place (built on first access, then kept)."""

    def __init__(
        self,
        person: str,
        parts: Sequence[tuple[GeotagRows, list[int]] | list[Evidence]] = (),
    ) -> None:
        self.person = person
        lat: list[NDArray[np.float64]] = []
        lon: list[NDArray[np.float64]] = []
        accuracy: list[NDArray[np.float64]] = []
        weight: list[NDArray[np.float64]] = []
        utc_us: list[NDArray[np.int64]] = []
        has_utc: list[NDArray[np.bool_]] = []
        lag_s: list[NDArray[np.float64]] = []
        local_us: list[NDArray[np.int64]] = []
        has_local: list[NDArray[np.bool_]] = []
        self.post_ids: list[str] = []
        self.tz_names: list[str | None] = []
        self.sources: list[str] = []
        self._objects: list[Evidence | None] = []
        # Where each plain item is: its batch (in `_batches`; -1 for objects) and row.
        self._batches: list[RowSource] = []
        batch_of: list[NDArray[np.int64]] = []
        row_of: list[NDArray[np.int64]] = []
        for part in parts:
            if isinstance(part, tuple):
                rows, at = part
                index = np.array(at, dtype=np.int64)
                n = len(at)
                lat.append(rows.lat[index])
                lon.append(rows.lon[index])
                accuracy.append(np.full(n, rows.accuracy_m))
                weight.append(np.full(n, rows.weight))
                utc_us.append(rows.utc_s[index] * US_PER_S)
                has_utc.append(np.ones(n, dtype=bool))
                lag_s.append(np.zeros(n))  # posted at its own time
                local_us.append(rows.local_us[index])
                has_local.append(rows.has_local[index])
                self.post_ids.extend([rows.post_id[r] for r in at])
                self.tz_names.extend([rows.tz_name[r] for r in at])
                self.sources.extend([rows.source.value] * n)
                self._objects.extend([None] * n)
                batch_of.append(np.full(n, len(self._batches), dtype=np.int64))
                row_of.append(index)
                self._batches.append(rows)
            else:
                found = part
                lat.append(np.array([ev.position.lat for ev in found], dtype=np.float64))
                lon.append(np.array([ev.position.lon for ev in found], dtype=np.float64))
                accuracy.append(np.array([ev.accuracy_m for ev in found], dtype=np.float64))
                weight.append(np.array([ev.weight for ev in found], dtype=np.float64))
                utc = [ev.time_utc for ev in found]
                utc_us.append(np.array(utc_us_or_zero(utc), dtype=np.int64))
                has_utc.append(np.array([t is not None for t in utc], dtype=bool))
                lag_s.append(np.array([
                    (ev.posted_at - ev.time_utc).total_seconds()
                    if ev.posted_at is not None and ev.time_utc is not None else np.nan
                    for ev in found
                ], dtype=np.float64))  # fmt: skip
                local = [ev.local_time for ev in found]
                local_us.append(np.array([0 if t is None else naive_us(t) for t in local],
                                         dtype=np.int64))  # fmt: skip
                has_local.append(np.array([t is not None for t in local], dtype=bool))
                self.post_ids.extend([ev.post_id for ev in found])
                self.tz_names.extend([ev.tz_name for ev in found])
                self.sources.extend([ev.source.value for ev in found])
                self._objects.extend(found)
                batch_of.append(np.full(len(found), -1, dtype=np.int64))
                row_of.append(np.zeros(len(found), dtype=np.int64))

        self.lat: NDArray[np.float64] = _joined(lat, np.float64)
        self.lon: NDArray[np.float64] = _joined(lon, np.float64)
        self.accuracy_m: NDArray[np.float64] = _joined(accuracy, np.float64)
        self.weight: NDArray[np.float64] = _joined(weight, np.float64)
        self.utc_us: NDArray[np.int64] = _joined(utc_us, np.int64)
        self.has_utc: NDArray[np.bool_] = _joined(has_utc, np.bool_)
        self.lag_s: NDArray[np.float64] = _joined(lag_s, np.float64)
        self.local_us: NDArray[np.int64] = _joined(local_us, np.int64)
        self.has_local: NDArray[np.bool_] = _joined(has_local, np.bool_)
        self._batch_of: NDArray[np.int64] = _joined(batch_of, np.int64)
        self._row_of: NDArray[np.int64] = _joined(row_of, np.int64)
        # Each item's rank in the order a place lists its evidence, for a home and for
        # other places (`geoleak.infer.places.place_ranks`: made there, kept here).
        self.place_ranks: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None

    @classmethod
    def of_rows(
        cls,
        person: str,
        rows: EvidenceRows,
        start: int,
        stop: int,
        lag_s: NDArray[np.float64] | None = None,
    ) -> EvidenceColumns:
        """Rows `start` to `stop` of `rows` (a person's, in order) as the person's columns:
        views of the rows' arrays, the same values `EvidenceColumns(person, [objects])`
        gives for the rows' objects; items made by `rows.evidence` on demand. `lag_s`:
        `rows.lag_s()`, when the caller has it."""
        made = cls.__new__(cls)
        span = slice(start, stop)
        n = stop - start
        made.person = person
        made.lat, made.lon = rows.lat[span], rows.lon[span]
        made.accuracy_m, made.weight = rows.accuracy_m[span], rows.weight[span]
        made.has_utc, made.has_local = rows.has_utc[span], rows.has_local[span]
        made.utc_us, made.local_us = rows.utc_us[span], rows.local_us[span]
        made.lag_s = (rows.lag_s() if lag_s is None else lag_s)[span]
        made.post_ids = rows.post_id[span]
        made.tz_names = rows.tz_name[span]
        made.sources = rows.source[span]
        made._objects = [None] * n
        made._batches = [rows]
        made._batch_of = np.zeros(n, dtype=np.int64)
        made._row_of = np.arange(start, stop, dtype=np.int64)
        made.place_ranks = None
        return made

    def local_hour(self, at: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
        """Each item's local hour (0 where it has no local time); `at`: of those items only
        (the same whole numbers as `local_hour()[at]`, without the others')."""
        return local_hours(self.local_us if at is None else self.local_us[at])

    def local_ordinal(self) -> NDArray[np.int64]:
        """Each item's local date as `date.toordinal()` (meaningless where no local time)."""
        return local_ordinals(self.local_us)

    def __len__(self) -> int:
        return len(self._objects)

    @overload
    def __getitem__(self, index: int) -> Evidence: ...
    @overload
    def __getitem__(self, index: slice) -> list[Evidence]: ...
    def __getitem__(self, index: int | slice) -> Evidence | list[Evidence]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        found = self._objects[index]
        if found is None:
            if index < 0:
                index += len(self._objects)
            rows = self._batches[int(self._batch_of[index])]
            found = self._objects[index] = rows.evidence(int(self._row_of[index]))
        return found

    def __iter__(self) -> Iterator[Evidence]:
        for i in range(len(self._objects)):
            yield self[i]

    def time_utc_of(self, index: int) -> datetime | None:
        """Item `index`'s `time_utc` without making its object (a row's object holds
        `from_utc_us` of its microseconds, the value and offset this gives)."""
        found = self._objects[index]
        if found is not None:
            return found.time_utc
        if not self.has_utc[index]:
            return None
        return from_utc_us(int(self.utc_us[index]))

    def time_utc_given(self, index: int, utc_us: int) -> datetime | None:
        """`time_utc_of(index)` of an item that has a UTC time, `utc_us` (its `utc_us`, read
        by the caller with many others at once)."""
        found = self._objects[index]
        if found is not None:
            return found.time_utc
        return from_utc_us(utc_us)

    def made(self) -> int:
        """How many items are objects now (those given as objects and those asked for)."""
        return sum(ev is not None for ev in self._objects)


class SlimPoint:
    """The part of a piece of evidence the site pass reads (position, weight, accuracy)."""

    __slots__ = ("accuracy_m", "position", "weight")

    def __init__(self, lat: float, lon: float, weight: float, accuracy_m: float) -> None:
        self.position = LatLon(lat, lon)
        self.weight = weight
        self.accuracy_m = accuracy_m


class PointColumns(Sequence[SlimPoint]):
    """Candidate evidence as four float columns, lat, lon, weight and accuracy_m (32 bytes
    a point, not an Evidence object of about 500): the client of the site pass holds every
    person's duty-place candidates at once."""

    def __init__(self, evidence: Sequence[Evidence], at: Sequence[int] | None = None) -> None:
        """The points of `evidence` (at positions `at`, all when None)."""
        if isinstance(evidence, EvidenceColumns):
            index = np.arange(len(evidence)) if at is None else np.asarray(at, dtype=np.int64)
            # (what np.stack(..., axis=1) gives, without its ~5 us of checks a person)
            columns = np.empty((index.size, 4), dtype=np.float64)
            columns[:, 0] = evidence.lat[index]
            columns[:, 1] = evidence.lon[index]
            columns[:, 2] = evidence.weight[index]
            columns[:, 3] = evidence.accuracy_m[index]
            self.columns = columns
            return
        if at is not None:
            evidence = [evidence[i] for i in at]
        self.columns = np.array(
            [(e.position.lat, e.position.lon, e.weight, e.accuracy_m) for e in evidence],
            dtype=np.float64,
        ).reshape(-1, 4)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the columns' bytes (one slim analysis a person goes between the
        passes): numpy's own reduction of the array (its dtype's, then a `_frombuffer` call
        on the way back) took about a quarter of a slim analysis's dump and load. Read
        back: the same floats, shape and C order, writable, as numpy's pickle gives."""
        columns = self.columns
        if columns.dtype == np.float64 and columns.ndim == 2 and columns.flags.c_contiguous:
            return (_point_columns, (bytearray(columns.tobytes()),))
        return (_point_columns_of, (columns,))

    def __len__(self) -> int:
        return len(self.columns)

    @overload
    def __getitem__(self, index: int) -> SlimPoint: ...
    @overload
    def __getitem__(self, index: slice) -> list[SlimPoint]: ...
    def __getitem__(self, index: int | slice) -> SlimPoint | list[SlimPoint]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        lat, lon, weight, accuracy = self.columns[index].tolist()  # Python floats, exact
        return SlimPoint(lat, lon, weight, accuracy)


def _point_columns(data: bytearray) -> PointColumns:
    """`PointColumns` whose columns are `data` (`PointColumns.__reduce__`)."""
    return _point_columns_of(np.frombuffer(data, dtype=np.float64).reshape(-1, 4))


def _point_columns_of(columns: NDArray[np.float64]) -> PointColumns:
    made = PointColumns.__new__(PointColumns)
    made.columns = columns
    return made


def point_columns(
    evidence: Sequence[Evidence] | PointColumns, at: Sequence[int]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Latitudes, longitudes and weights (weight / accuracy, at least 5 m) of the items
    `at` of a person's evidence, in any of its forms; each as the objects give it."""
    index = np.asarray(at, dtype=np.int64)
    if isinstance(evidence, PointColumns):
        picked = evidence.columns[index].reshape(-1, 4)
        return picked[:, 0], picked[:, 1], picked[:, 2] / np.maximum(picked[:, 3], 5.0)
    if isinstance(evidence, EvidenceColumns):
        return (evidence.lat[index], evidence.lon[index],
                evidence.weight[index] / np.maximum(evidence.accuracy_m[index], 5.0))  # fmt: skip
    chosen = [evidence[i] for i in at]
    return (
        np.array([ev.position.lat for ev in chosen], dtype=np.float64),
        np.array([ev.position.lon for ev in chosen], dtype=np.float64),
        np.array([ev.weight / max(ev.accuracy_m, 5.0) for ev in chosen], dtype=np.float64),
    )
