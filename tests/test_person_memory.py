"""What an ingest shard keeps per person (issue 15, bounded memory): the positions kept to
settle town names and the posts per UTC hour, in compact forms that read back as before."""

from __future__ import annotations

import sys
from array import array
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from geoleak.extract.evidence_columns import GeotagRows
from geoleak.pipeline import (
    NEAR_SAMPLE,
    _plain_columns,
    _remember_position,
    _remember_positions,
    near_positions,
    new_hours,
)
from geoleak.types import LatLon


def _deep_size(obj: Any, seen: set[int] | None = None) -> int:
    """sys.getsizeof of `obj` and of everything its containers hold, each object once;
    the ints CPython shares (-5..256) are not counted."""
    seen = set() if seen is None else seen
    if id(obj) in seen or (type(obj) is int and -5 <= obj <= 256):
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, (list, tuple)):
        size += sum(_deep_size(item, seen) for item in obj)
    elif isinstance(obj, LatLon):
        size += _deep_size(obj.lat, seen) + _deep_size(obj.lon, seen)
    return size


def _old_cells(positions: list[LatLon]) -> dict[tuple[int, int], LatLon]:
    """The form before (commit 49f5f7a): a dict of ~50 km cells to the first position seen
    in each, at most NEAR_SAMPLE."""
    cells: dict[tuple[int, int], LatLon] = {}
    for p in positions:
        if len(cells) >= NEAR_SAMPLE:
            break
        cells.setdefault((round(p.lat * 2), round(p.lon * 2)), p)
    return cells


def _new_cells(positions: list[LatLon]) -> array[float]:
    """The form now: (cell key, lat, lon) in one flat array of doubles."""
    near: array[float] = array("d")
    for p in positions:
        if not _remember_position(near, p.lat, p.lon):
            break
    return near


# Typical people: a home and a workplace in two cells (Oslo, lon*2 > 256), or one town.
_TWO_CELLS = [LatLon(59.91, 10.75), LatLon(59.92, 10.76), LatLon(60.79, 11.07)]
_ONE_CELL = [LatLon(52.37, 4.89)] * 40
BOUND_B = 200  # per person, for each of the two structures


def test_positions_kept_per_person_are_compact() -> None:
    for positions in (_TWO_CELLS, _ONE_CELL):
        assert _deep_size(_new_cells(positions)) <= BOUND_B
        assert _deep_size(_old_cells(positions)) > BOUND_B  # the old form, ~400-500 B


def test_hours_per_person_are_compact() -> None:
    counts = [300 + 7 * h for h in range(24)]  # a heavy poster: no shared small ints
    hours = new_hours()
    for h, n in enumerate(counts):
        hours[h] += n
    assert list(hours) == counts
    assert _deep_size(hours) <= BOUND_B
    assert _deep_size(list(counts)) > BOUND_B  # the old list of 24 ints, ~920 B
    assert tuple(new_hours()) == (0,) * 24


_coord = st.one_of(
    st.floats(-90, 90, allow_nan=False),
    st.sampled_from([0.0, -0.0, 0.25, -0.25, 0.75, 59.91, 59.92, 59.75, -33.87]),
    st.integers(-90, 90),
)
_position = st.builds(
    LatLon,
    _coord,
    st.one_of(st.floats(-180, 180, allow_nan=False), st.sampled_from([10.75, -10.25, 180.0])),
)


@given(st.lists(st.lists(_position, max_size=12), max_size=30))
def test_positions_read_back_as_the_old_dict(batches: list[list[LatLon]]) -> None:
    """Fed in batches (posts), the positions read back equal the old dict's values, in its
    order, after every batch: town names are settled as before."""
    seen: list[LatLon] = []
    near: array[float] = array("d")
    for batch in batches:
        for p in batch:
            if not _remember_position(near, p.lat, p.lon):
                break
        seen.extend(batch)
        assert near_positions(near) == tuple(_old_cells(seen).values())


@given(st.lists(_position, min_size=NEAR_SAMPLE, max_size=3 * NEAR_SAMPLE, unique=True))
def test_at_most_near_sample_positions(positions: list[LatLon]) -> None:
    near = _new_cells(positions)
    assert len(near) <= 3 * NEAR_SAMPLE
    assert near_positions(near) == tuple(_old_cells(positions).values())


@given(st.lists(st.lists(_position, max_size=40), max_size=12))
def test_positions_remembered_in_columns_are_remembered_one_by_one(
    batches: list[list[LatLon]],
) -> None:
    """A batch's rows remembered at once (`_remember_positions`, cells from numpy) keep what
    `_remember_position` of each row in turn keeps, batch after batch."""
    one: array[float] = array("d")
    many: array[float] = array("d")
    for batch in batches:
        for p in batch:
            if not _remember_position(one, p.lat, p.lon):
                break
        rows = _geotag_rows([p.lat for p in batch], [p.lon for p in batch])
        _remember_positions(many, _plain_columns(rows), list(range(len(batch))))
        assert many.tobytes() == one.tobytes()


def _geotag_rows(lats: list[float], lons: list[float]) -> GeotagRows:
    size = len(lats)
    return GeotagRows(line=list(range(size)), post_id=["p"] * size, author=["a"] * size,
                      tz_name=[None] * size, lat=np.array(lats, dtype=np.float64),
                      lon=np.array(lons, dtype=np.float64), utc_s=np.zeros(size, dtype=np.int64),
                      local_us=np.zeros(size, dtype=np.int64),
                      has_local=np.zeros(size, dtype=bool))  # fmt: skip


@given(st.lists(_position, min_size=1, max_size=40))
def test_columns_of_a_shard_without_a_geocoder_leave_the_positions_out(
    batch: list[LatLon],
) -> None:
    """A shard with no geocoder never remembers positions: its columns (`positions=False`)
    hold no cells or positions, and the dedupe keys and hours are the same."""
    rows = _geotag_rows([p.lat for p in batch], [p.lon for p in batch])
    kept, left = _plain_columns(rows), _plain_columns(rows, positions=False)
    assert (left.key, left.utc_hour) == (kept.key, kept.utc_hour)
    assert left.cell == left.lat == left.lon == []
    assert len(kept.cell) == len(kept.lat) == len(kept.lon) == len(batch)
