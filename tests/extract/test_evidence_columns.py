"""A person's evidence in columns (`EvidenceColumns`) reads as the object list it stands for:
item by item (built on demand, local times' folds included), and for inference (usable
points, their columns, a place's ordered post ids and radius, the counts a profile gives),
with plain rows and Evidence objects mixed in post order."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geoleak.extract.columns import plain_geotags, plain_rows
from geoleak.extract.evidence_columns import EvidenceParts
from geoleak.infer import places
from geoleak.infer.places import InferenceParams, _ordered_evidence, _points, _radius_m, _usable
from geoleak.ingest.dedupe import Deduper, utc_geotag_keys
from geoleak.types import Evidence, EvidenceSource, LatLon, LocalTimeBasis

UTC = timezone.utc
# Tromsø, Longyearbyen (78 N), both sides of the antimeridian, Lord Howe, London on the night
# clocks go back, Chisinau (clocks go back at 00:00 UTC), a place at sea.
PLACES = [(69.6492, 18.9553), (78.2232, 15.6267), (-17.7134, 178.065), (-13.8333, -171.75),
          (-31.5553, 159.0821), (51.5074, -0.1278), (47.0105, 28.8638), (-30.0, -140.0)]  # fmt: skip
TIMES = [datetime(2025, 10, 26, 0, 30), datetime(2025, 10, 26, 1, 30), datetime(2025, 3, 30, 1),
         datetime(2025, 10, 4, 15, 45), datetime(2025, 6, 1, 21, 5), datetime(2024, 12, 31, 23)]  # fmt: skip


def _same(a: Evidence, b: Evidence) -> bool:
    """Equal field by field, each field's repr (a local time's fold) too."""
    return all(repr(getattr(a, name)) == repr(getattr(b, name)) for name in Evidence.__slots__)


_PLAIN = st.builds(
    lambda where, when, minutes, jitter: (where, when + timedelta(minutes=minutes), jitter),
    st.sampled_from(PLACES), st.sampled_from(TIMES), st.integers(-180, 180),
    st.floats(-0.01, 0.01),
)  # fmt: skip


def _plain_line(n: int, item: tuple[tuple[float, float], datetime, float]) -> str:
    (lat, lon), when, jitter = item
    return json.dumps({"id": f"p{n % 7}", "author": "a", "created_at": f"{when:%Y-%m-%dT%H:%M:%SZ}",
                       "lat": round(lat + jitter, 6), "lon": round(max(-180.0, min(180.0, lon + jitter)), 6)})  # fmt: skip


_OBJECT = st.builds(
    lambda where, when, accuracy, weight, lag_days, local, source, n: Evidence(
        post_id=f"o{n}", person="a", position=LatLon(*where), source=source,
        accuracy_m=accuracy, time_utc=None if when is None else when.replace(tzinfo=UTC),
        local_time=local,
        local_basis=LocalTimeBasis.NONE if local is None else LocalTimeBasis.POSITION_TZ,
        tz_name=None if local is None else "Europe/London",
        posted_at=None if when is None or lag_days is None
        else when.replace(tzinfo=UTC) + timedelta(days=lag_days),
        weight=weight,
    ),
    st.sampled_from(PLACES), st.one_of(st.none(), st.sampled_from(TIMES)),
    st.sampled_from([3.0, 5.0, 30.0, 499.9, 500.0, 500.1, 2000.0]),
    st.sampled_from([0.5, 1.0, 1.0, 0.8]), st.one_of(st.none(), st.floats(-2, 60)),
    st.one_of(st.none(), st.sampled_from(TIMES),
              st.sampled_from(TIMES).map(lambda t: t.replace(fold=1))),
    st.sampled_from(list(EvidenceSource)), st.integers(0, 5),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_PLAIN, _OBJECT), max_size=40), st.sampled_from(["home", "base"]))
@example([], "home")
def test_columns_read_as_the_object_list(items: list[Any], prefer: str) -> None:
    lines = [_plain_line(n, item) for n, item in enumerate(items) if isinstance(item, tuple)]
    rows = plain_rows([("a", line) for line in lines])
    objects = plain_geotags([("a", line) for line in lines])
    # The object path's list, and the same in parts: runs of rows and lists of objects.
    expected: list[Evidence] = []
    parts = EvidenceParts()
    plain = 0
    for item in items:
        if isinstance(item, tuple):
            found = objects[plain]
            assert found is not None and rows is not None
            assert rows.line[plain] == plain  # every such line is taken
            expected.append(found.evidence)
            parts.add_row(rows, plain)
            plain += 1
        else:
            expected.append(item)
            parts.add_evidence([item])
    column = parts.columns("a")
    assert len(column) == len(expected)
    # Counts a profile gives, as from the objects (in the order each first occurs).
    assert list(Counter(column.sources).items()) == list(
        Counter(ev.source.value for ev in expected).items()
    )
    zones = Counter(column.tz_names)  # as `_profile` counts them: all, then no empty names
    zones.pop(None, None)
    zones.pop("", None)
    assert list(zones.items()) == list(Counter(ev.tz_name for ev in expected if ev.tz_name).items())
    assert column.post_ids == [ev.post_id for ev in expected]
    params = InferenceParams()
    skipped_list: Counter[str] = Counter({"null-island": 1})
    skipped_cols: Counter[str] = Counter({"null-island": 1})
    usable = _usable(expected, params, skipped_list)
    assert _usable(column, params, skipped_cols) == usable
    assert list(skipped_cols.items()) == list(skipped_list.items())
    assert column.made() == sum(not isinstance(item, tuple) for item in items)  # none made yet
    if usable:
        a, b = _points(expected, usable), _points(column, usable)
        for field in fields(a):
            x, y = getattr(a, field.name), getattr(b, field.name)
            if field.name == "xyz":
                assert all(np.array_equal(u, v) for u, v in zip(x, y, strict=True))
            else:
                assert np.array_equal(x, y), field.name
        cand = places.Candidate(indices=list(usable), position=LatLon(0.0, 0.0), rms_m=12.5)
        assert _ordered_evidence(column, usable, prefer) == _ordered_evidence(
            expected, usable, prefer
        )
        assert _radius_m(cand, column, 40.0) == _radius_m(cand, expected, 40.0)
        # Clusters' first and last times as read from the columns (`time_utc_given`, no
        # object made), for several people at once (one with no cluster): the objects'.
        labels = np.arange(len(usable)) % 3 - 1
        none = np.full(len(usable), -1)
        batch = [(labels, b, a), (none, b, a), (labels[::-1].copy(), b, a)]
        by_columns = places._candidates_of_people([(column, p, lab) for lab, p, _ in batch])
        by_objects = places._candidates_of_people([(expected, p, lab) for lab, _, p in batch])
        for got, want in zip(by_columns, by_objects, strict=True):
            assert list(got) == list(want)
            for label, found in got.items():
                assert found == want[label]
                assert (repr(found.first), repr(found.last)) == (
                    repr(want[label].first),
                    repr(want[label].last),
                )
    # A candidate's first and last times, read without making objects: value and offset.
    for k, ev in enumerate(expected):
        assert repr(column.time_utc_of(k)) == repr(ev.time_utc)
    assert column.made() == sum(not isinstance(item, tuple) for item in items)
    # Items on demand: what the object path holds, fold included; negative indices too.
    for k in range(len(expected)):
        assert _same(column[k], expected[k])
    if expected:
        assert column[-1] is column[len(expected) - 1]
    assert column[1:3] == expected[1:3]
    assert list(column) == expected


def test_plain_rows_are_keyed_for_dedupe_as_their_posts() -> None:
    line = json.dumps({"id": "p", "author": "a", "created_at": "2025-10-26T01:30:00Z",
                       "lat": 78.2232, "lon": -179.99})  # fmt: skip
    rows = plain_rows([("a", line)])
    assert rows is not None
    deduper = Deduper()
    created = rows.created_at(0)

    def check_plain(author: str) -> bool:  # what the pipeline does with a run of plain rows
        (kept,) = deduper.check_keys(utc_geotag_keys([author], [int(rows.utc_s[0])], [78.2232],
                                                     [-179.99]))  # fmt: skip
        return kept

    assert check_plain("a")
    assert not deduper.check_geotag("a", created, LatLon(78.2232, -179.99))
    assert not check_plain("a")
    assert check_plain("b")
    assert deduper.stats.posts_dropped == 2


@settings(max_examples=150, deadline=None)
@given(st.lists(_PLAIN, min_size=1, max_size=40), st.lists(st.integers(0, 39), max_size=60),
       st.integers(1, 4))  # fmt: skip
def test_a_batchs_plain_rows_are_stored_as_rows_of_any_parts_are(
    items: list[Any], picks: list[int], people: int
) -> None:
    """`EvidenceRows.of_parts` of one batch's plain rows and nothing else (taken as they
    are) gives the rows it gives for the same rows in parts of two batches (each row put
    where it goes): every column, value, type and order; people after people, each one's
    rows in the order given."""
    import copy

    from geoleak.extract.evidence_columns import EvidenceRows

    lines = [_plain_line(n, item) for n, item in enumerate(items)]
    rows = plain_rows([("a", line) for line in lines])
    assert rows is not None
    other = copy.copy(rows)  # (the same rows, as another batch's)
    chosen = [k % len(rows) for k in picks] or [0]
    one: list[tuple[str, EvidenceParts]] = []
    two: list[tuple[str, EvidenceParts]] = []
    for p in range(people):
        mine = chosen[p::people]
        if not mine:
            continue
        alone, mixed = EvidenceParts(), EvidenceParts()
        alone.add_rows(rows, list(mine))
        half = len(mine) // 2
        if half:
            mixed.add_rows(rows, mine[:half])
        mixed.add_rows(other, mine[half:])
        one.append((f"p{p}", alone))
        two.append((f"p{p}", mixed))
    got, expected = EvidenceRows.of_parts(one), EvidenceRows.of_parts(two)
    for field in fields(EvidenceRows):
        a, b = getattr(got, field.name), getattr(expected, field.name)
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), field.name
        else:
            assert a == b and [type(x) for x in a] == [type(x) for x in b], field.name
    assert got.utc_us is not got.posted_us
