"""The per-post fast paths decide exactly as the plain code they replaced.

Each reference below is the earlier implementation, kept verbatim: the fast version must
agree with it on every input hypothesis finds (issue 15, "throughput near the limit").
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from geoleak.diagnostics import Diagnostics
from geoleak.extract.localtime import (
    EARLIEST_PLAUSIBLE,
    FUTURE_SLACK,
    SENTINEL_TIMES,
    implausible_time,
)
from geoleak.ingest.dedupe import _post_key
from geoleak.ingest.jsonl import JsonlReader, parse_post
from geoleak.types import LatLon, NamedPlace, Post


def reference_implausible_time(moment: datetime | None) -> str | None:
    """implausible_time before its fast path (now = the clock)."""
    if moment is None:
        return None
    wall = moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
    sentinel = SENTINEL_TIMES.get(wall.replace(microsecond=0))
    if sentinel is not None:
        return f"{wall:%Y-%m-%d %H:%M:%S} is {sentinel}"
    if wall < EARLIEST_PLAUSIBLE:
        return f"{wall:%Y-%m-%d} is before 1990"
    limit = datetime.now(timezone.utc).replace(tzinfo=None)
    if wall > limit + FUTURE_SLACK:
        return f"{wall:%Y-%m-%d} is in the future"
    return None


def _rounded(position: LatLon | None) -> tuple[float, float] | None:
    return None if position is None else (round(position.lat, 6), round(position.lon, 6))


def reference_post_key(post: Post) -> str:
    """What made two posts without media repeats before the keys were hashed faster."""
    key = (
        post.author,
        post.created_at.isoformat() if post.created_at else None,
        _rounded(post.geotag),
        post.text,
        post.place.name if post.place else None,
    )
    return repr(key)


near_sentinels = st.sampled_from(sorted(SENTINEL_TIMES)).flatmap(
    lambda t: st.integers(-3_000_000, 3_000_000).map(lambda us: t + timedelta(microseconds=us))
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
walls = st.one_of(
    near_sentinels,
    st.datetimes(min_value=datetime(1901, 1, 2), max_value=datetime(2200, 1, 1)),
    st.just(EARLIEST_PLAUSIBLE),
    st.just(datetime.now(timezone.utc).replace(tzinfo=None) + FUTURE_SLACK),
)


@given(walls, st.one_of(st.none(), st.just(timezone.utc), offsets))
def test_implausible_time_agrees_with_the_plain_check(wall: datetime, tz: timezone | None) -> None:
    moment = wall if tz is None else wall.replace(tzinfo=tz)
    assert implausible_time(moment) == reference_implausible_time(moment)


authors = st.sampled_from(["a", "b", "ab"])
times = st.one_of(
    st.none(),
    st.sampled_from(
        [
            datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc),
            datetime(2025, 3, 1, 12, 0, 0, 1, tzinfo=timezone.utc),
            datetime(2025, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),  # same instant
            datetime(2025, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2, minutes=30))),
        ]
    ),
)
coords = st.one_of(
    st.none(),
    st.builds(
        LatLon,
        st.sampled_from([0.0, 51.5, 51.5000004, 51.5000006, 51.500001, -89.9999995]),
        st.sampled_from([0.0, 179.9999999, -179.9999999, 10.1234565, 10.1234566]),
    ),
)
texts = st.one_of(st.none(), st.sampled_from(["", "x", "x'", 'x"', "a', 'b", "\udcff"]))
places = st.one_of(st.none(), st.sampled_from(["", "Oslo", "None"]).map(NamedPlace))
posts = st.builds(
    Post,
    id=st.just("1"),
    author=authors,
    created_at=times,
    text=texts,
    geotag=coords,
    place=places,
)


@given(posts, st.data())
def test_post_keys_group_posts_as_before(a: Post, data: st.DataObject) -> None:
    # A second post that differs in at most one field, so near misses are tried often.
    field, values = data.draw(
        st.sampled_from(
            [("author", authors), ("created_at", times), ("text", texts), ("geotag", coords),
             ("place", places)]
        )
    )  # fmt: skip
    b = replace(a, **{field: data.draw(values)})
    same_before = reference_post_key(a) == reference_post_key(b)
    assert (_post_key(a) == _post_key(b)) == same_before


@given(
    st.one_of(
        st.sampled_from(
            ["2025-03-01T12:00:00Z", "2025-03-01T12:00:00.5+05:30", "2025-03-01 12:00"]
        ),
        st.datetimes(
            min_value=datetime(1000, 1, 1),
            max_value=datetime(9000, 1, 1),
            timezones=st.one_of(st.none(), offsets),
        ).map(datetime.isoformat),
    )
)
def test_parse_post_times_as_before(written: str) -> None:
    """created_at in UTC (naive read as UTC) and the offset as written, parsed once."""
    post = parse_post(
        {"id": "1", "author": "a", "created_at": written},
        where="c.jsonl:1",
        root=Path("."),
        diag=Diagnostics(),
    )
    parsed = datetime.fromisoformat(written.replace("Z", "+00:00"))
    expected = (
        parsed.replace(tzinfo=timezone.utc)
        if parsed.tzinfo is None
        else parsed.astimezone(timezone.utc)
    )
    assert post.created_at == expected and post.created_at.tzinfo is not None
    offset = parsed.utcoffset()
    assert post.posted_offset_h == (offset.total_seconds() / 3600.0 if offset else None)


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-200, 200),
        st.booleans(),
        st.none(),
        st.text(max_size=3),
    ),
    st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-200, 200)),
)
def test_geotags_checked_as_before(lat: object, lon: object) -> None:
    """The float fast path accepts what the full check accepts, and nothing else."""
    diag = Diagnostics()
    post = parse_post(
        {"id": "1", "author": "a", "lat": lat, "lon": lon},
        where="c.jsonl:1",
        root=Path("."),
        diag=diag,
    )
    valid = (
        isinstance(lat, (int, float))
        and not isinstance(lat, bool)
        and isinstance(lon, (int, float))
        and -90 <= lat <= 90  # type: ignore[operator]
        and -180 <= lon <= 180  # type: ignore[operator]
    )
    if valid:
        assert post.geotag == LatLon(float(lat), float(lon))  # type: ignore[arg-type]
        assert not diag.warnings
    else:
        assert post.geotag is None
        assert (lat is None and lon is None) or diag.warnings


def test_duplicate_ids_found_by_hash_name_file_and_line(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    lines = [{"id": str(n % 7), "author": "a", "lat": 1.0, "lon": 2.0} for n in range(10)]
    corpus.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    diag = Diagnostics()
    read = list(JsonlReader().read(corpus, diag))
    assert [p.id for p in read] == [str(n) for n in range(7)]
    assert [w.split(": ", 1)[0] for w in diag.warnings] == [f"{corpus}:{n}" for n in (8, 9, 10)]
    assert all("duplicate post id" in w for w in diag.warnings)
