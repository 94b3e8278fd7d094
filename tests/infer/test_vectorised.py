"""The vectorised inference paths give exactly what their readable definitions give.

Per-candidate statistics (`places._candidates` vs `_make_candidate` one cluster at a time),
parts of the week (`bins_of` vs `bin_of`), both clustering radii from one distance matrix
(`cluster_labels_multi` vs `cluster_labels`), many people clustered at once
(`cluster_labels_of_people` vs `cluster_labels_multi`), the role rows and plug-in terms
(`roles._role_rows` vs `_role_rows_loop`), and whole fits on generated corpora with every
fast path swapped for its reference (the role model fitted one person at a time: see also
test_roles_many.py).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from geoleak.extract.evidence_columns import EvidenceColumns
from geoleak.geometry import EARTH_RADIUS_M
from geoleak.infer import LeakInference, cluster, places, roles
from geoleak.infer.cluster import cluster_labels, cluster_labels_multi, cluster_labels_of_people
from geoleak.infer.places import _candidates, _make_candidate, _points
from geoleak.infer.roles import N_BINS, WORK_HOURS, RoleFit, bin_of, bins_of
from geoleak.infer.roles_many import RoleProblem
from geoleak.scenario.memory import scenario_evidence
from geoleak.scenario.model import ScenarioConfig
from geoleak.scenario.timeuse import TimeUseConfig
from geoleak.types import EMPTY_EXTRA, Evidence, EvidenceSource, LatLon, PlaceKind

DAY_SETS = ("dates", "nights", "evenings", "weekend_days", "work_dates", "duty_dates")


def _corpus(config: ScenarioConfig | TimeUseConfig) -> dict[str, list[Evidence]]:
    return {person: evidence for person, evidence, _ in scenario_evidence(config)}


@pytest.fixture(scope="module")
def corpora() -> dict[str, dict[str, list[Evidence]]]:
    return {
        "scenario": _corpus(ScenarioConfig(people=24, seed=5)),
        "timeuse": _corpus(TimeUseConfig(people=12, seed=6)),
        "edges": _edge_people(),
    }


def _edge_people() -> dict[str, list[Evidence]]:
    """People at 69 N and across the antimeridian, with repeated times and missing UTC."""
    rng = random.Random(3)
    people: dict[str, list[Evidence]] = {}
    for name, home, work in (
        ("north", LatLon(69.65, 18.96), LatLon(69.68, 18.92)),
        ("dateline", LatLon(-16.80, 179.9995), LatLon(-16.78, -179.998)),
    ):
        evidence = []
        start = datetime(2025, 1, 6, tzinfo=timezone.utc)
        for k in range(160):
            spot = home if k % 3 else work
            lat = spot.lat + rng.gauss(0, 3e-4)
            lon = (spot.lon + rng.gauss(0, 3e-4) + 180.0) % 360.0 - 180.0
            utc = start + timedelta(hours=rng.randrange(0, 24 * 120))
            evidence.append(
                Evidence(
                    post_id=f"{name}-{k}",
                    person=name,
                    position=LatLon(lat, lon),
                    source=EvidenceSource.GEOTAG,
                    accuracy_m=rng.choice([5.0, 10.0, 30.0]),
                    time_utc=None if k % 11 == 0 else utc - timedelta(seconds=k % 2),
                    local_time=(utc + timedelta(hours=2)).replace(tzinfo=None),
                    weight=rng.choice([0.5, 1.0]),
                )
            )
        people[name] = evidence
    return people


def test_parts_of_the_week_match_bin_of_for_every_hour_of_two_weeks() -> None:
    moments = [datetime(2024, 12, 23) + timedelta(hours=h) for h in range(24 * 15)]
    parts, days = bins_of(
        np.array([m.hour for m in moments]), np.array([m.toordinal() for m in moments])
    )
    expected = [bin_of(m) for m in moments]
    assert parts.tolist() == [part for part, _ in expected]
    assert [date.fromordinal(d) for d in days.tolist()] == [day for _, day in expected]


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 31)))
def test_parts_of_the_week_match_bin_of(moment: datetime) -> None:
    parts, days = bins_of(np.array([moment.hour]), np.array([moment.toordinal()]))
    assert (int(parts[0]), date.fromordinal(int(days[0]))) == bin_of(moment)


def test_candidates_at_once_equal_one_by_one(
    corpora: dict[str, dict[str, list[Evidence]]],
) -> None:
    checked = 0
    for people in corpora.values():
        for evidence in people.values():
            usable = [i for i, ev in enumerate(evidence) if ev.local_time is not None]
            if not usable:
                continue
            points = _points(evidence, usable)
            for eps_m in (100.0, 500.0):
                labels = cluster_labels(points.lat, points.lon, eps_m=eps_m, min_samples=2)
                fast = _candidates(evidence, points, labels)
                groups: dict[int, list[int]] = {}
                for i, label in zip(usable, labels.tolist(), strict=True):
                    if label >= 0:
                        groups.setdefault(label, []).append(i)
                assert list(fast) == list(groups)  # same clusters, in the same order
                for label, indices in groups.items():
                    one, ref = fast[label], _make_candidate(evidence, indices)
                    assert one == ref  # indices, centre, spread, first and last time
                    for name in DAY_SETS:
                        assert one.count(name) == len(getattr(ref, name)), name
                        assert getattr(one, name) == getattr(ref, name), name
                    assert one.n_weeks == len({d.isocalendar()[:2] for d in ref.dates})
                    assert one.day_span == (max(ref.dates) - min(ref.dates)).days + 1
                    assert one.bin_days == ref.bin_days
                    checked += 1
    assert checked > 100


def test_candidates_of_many_people_equal_each_persons(
    corpora: dict[str, dict[str, list[Evidence]]],
) -> None:
    """Built for a batch of people at once (one set of columns), every person's candidates
    equal their own, in the same order, day counts and calendars included."""
    batch = []
    for people in corpora.values():
        for evidence in people.values():
            usable = [i for i, ev in enumerate(evidence) if ev.local_time is not None]
            if usable:
                points = _points(evidence, usable)
                for eps_m in (100.0, 500.0):
                    labels = cluster_labels(points.lat, points.lon, eps_m=eps_m, min_samples=2)
                    batch.append((evidence, points, labels))
    batch.append((batch[0][0], batch[0][1], np.full(len(batch[0][2]), -1)))  # no cluster
    together = places._candidates_of_people(batch)
    assert len(together) == len(batch)
    # The same with the people's columns joined by the caller (as `analyse_people` does).
    given = places._candidates_of_people(batch, places._joined_points([p for _, p, _ in batch]))
    assert [list(found.items()) for found in given] == [list(found.items()) for found in together]
    for (evidence, points, labels), found in zip(batch, together, strict=True):
        alone = _candidates(evidence, points, labels)
        assert list(found) == list(alone)
        for label, cand in found.items():
            ref = alone[label]
            assert cand == ref
            assert cand.day_counts == ref.day_counts
            assert cand.calendar is not None and ref.calendar is not None
            for name in ("part", "day", "local"):
                assert getattr(cand.calendar, name).tolist() == getattr(ref.calendar, name).tolist()
    assert sum(map(len, together)) > 100


def test_people_analysed_together_equal_each_alone(
    corpora: dict[str, dict[str, list[Evidence]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`analyse_people` (candidates built for many people at once) gives each person's
    `analyse_person`: the same candidates, fits and notes."""
    monkeypatch.setattr(places, "PEOPLE_PER_BATCH", 7)  # several batches, one part-filled
    jobs = [(person, evidence, {"unreadable": 1} if k % 5 == 0 else None)
            for people in corpora.values()
            for k, (person, evidence) in enumerate(sorted(people.items()))]  # fmt: skip
    jobs.append(("nobody", [], None))
    together = places.analyse_people(jobs)
    for (person, evidence, excluded), analysis in zip(jobs, together, strict=True):
        alone = places.analyse_person(person, evidence, None, excluded)
        assert analysis.person == person
        for name in ("usable", "excluded", "note", "layout", "home_candidates",
                     "work_candidates", "travel", "others", "base_candidates"):  # fmt: skip
            assert getattr(analysis, name) == getattr(alone, name), (person, name)
        if alone.fit is None:
            assert analysis.fit is None
        else:
            assert analysis.fit is not None
            assert analysis.fit.log_score.tolist() == alone.fit.log_score.tolist()
            assert analysis.fit.structures == alone.fit.structures


def test_both_radii_from_one_distance_matrix_equal_separate_calls(
    corpora: dict[str, dict[str, list[Evidence]]],
) -> None:
    for people in corpora.values():
        for evidence in people.values():
            lats = np.array([ev.position.lat for ev in evidence])
            lons = np.array([ev.position.lon for ev in evidence])
            both = cluster_labels_multi(lats, lons, eps_ms=(100.0, 500.0), min_samples=2)
            for eps_m, labels in zip((100.0, 500.0), both, strict=True):
                expected = cluster_labels(lats, lons, eps_m=eps_m, min_samples=2)
                assert np.array_equal(labels, expected)


# A person: a few spots (homes at 69-90 N, either side of the antimeridian and the equator,
# or anywhere) with points scattered around each at metres to a kilometre, and some exact
# repeats; eps chosen so that spots and scatter fall on both sides of it.
_SPOTS = st.one_of(
    st.tuples(st.floats(69.0, 90.0), st.floats(-180.0, 180.0)),
    st.tuples(st.floats(-60.0, 60.0), st.sampled_from([179.9995, -179.9995, 180.0, -180.0])),
    st.tuples(st.sampled_from([0.0, -0.0005, 0.0005]), st.floats(-180.0, 180.0)),
    st.tuples(st.floats(-90.0, 90.0), st.floats(-180.0, 180.0)),
)


@st.composite
def _person_positions(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    spots = draw(st.lists(_SPOTS, min_size=1, max_size=4))
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(0, 70))
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(spots), n)
    spread_m = rng.choice([3.0, 40.0, 150.0, 600.0], n)
    lat = np.array([spots[k][0] for k in which.tolist()]) + rng.normal(0, 1, n) * spread_m / 111_195
    lon = np.array([spots[k][1] for k in which.tolist()]) + rng.normal(0, 1, n) * spread_m / 111_195
    lat = np.clip(lat, -90.0, 90.0)
    lon = (lon + 180.0) % 360.0 - 180.0
    if n > 3 and draw(st.booleans()):  # exact repeats (one place posted from twice)
        lat[: n // 3], lon[: n // 3] = lat[-(n // 3) :], lon[-(n // 3) :]
    if n > 2 and draw(st.booleans()):  # a line along a meridian, points about eps apart
        step_m = draw(st.sampled_from([30.0, 100.0, 250.0, 500.0]))
        step_m *= draw(st.sampled_from([1 - 1e-6, 1.0, 1 + 1e-9, 1 + 1e-6]))
        step = np.degrees(step_m / EARTH_RADIUS_M)
        k = n // 2
        lat[:k] = np.clip(spots[0][0] - np.arange(k) * step, -90.0, 90.0)
        lon[:k] = spots[0][1]
    return lat, lon


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_person_positions(), min_size=1, max_size=8),
    st.lists(st.sampled_from([30.0, 100.0, 250.0, 500.0]), min_size=1, max_size=2),
    st.integers(1, 4),
    st.sampled_from([40, 300, cluster.PAIRS_PER_BATCH]),
    st.sampled_from([25, cluster.DENSE_MAX_POINTS]),
)
def test_people_clustered_at_once_equal_each_alone(
    people: list[tuple[np.ndarray, np.ndarray]],
    eps_ms: list[float],
    min_samples: int,
    pairs_per_batch: int,
    dense_max: int,
) -> None:
    """`cluster_labels_of_people` gives each person `cluster_labels_multi`'s labels, bit
    for bit, whatever the batch (one person, several, split at the pair limit) and with
    the largest people on the neighbour-pair path."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cluster, "PAIRS_PER_BATCH", pairs_per_batch)
        patch.setattr(cluster, "DENSE_MAX_POINTS", dense_max)
        together = cluster_labels_of_people(people, eps_ms=eps_ms, min_samples=min_samples)
        assert len(together) == len(people)
        for (lat, lon), found in zip(people, together, strict=True):
            alone = cluster_labels_multi(lat, lon, eps_ms=eps_ms, min_samples=min_samples)
            assert [labels.tolist() for labels in found] == [labels.tolist() for labels in alone]


def test_people_clustered_at_once_on_the_corpora(
    corpora: dict[str, dict[str, list[Evidence]]],
) -> None:
    """The same on the generated people (69 N, the antimeridian, units, time-use)."""
    people = [
        (
            np.array([ev.position.lat for ev in evidence]),
            np.array([ev.position.lon for ev in evidence]),
        )
        for group in corpora.values()
        for evidence in group.values()
    ]
    for min_samples in (2, 3):
        together = cluster_labels_of_people(people, eps_ms=(100.0, 500.0), min_samples=min_samples)
        for (lat, lon), found in zip(people, together, strict=True):
            alone = cluster_labels_multi(lat, lon, eps_ms=(100.0, 500.0), min_samples=min_samples)
            assert [labels.tolist() for labels in found] == [labels.tolist() for labels in alone]


_specs = st.integers(min_value=1, max_value=9).flatmap(
    lambda n_locs: st.tuples(
        st.lists(
            st.lists(st.integers(0, 12), min_size=N_BINS, max_size=N_BINS),
            min_size=n_locs,
            max_size=n_locs,
        ),
        st.lists(st.integers(-1, 2), min_size=n_locs, max_size=n_locs),
        st.lists(
            st.tuples(
                st.lists(st.integers(0, n_locs - 1), max_size=2, unique=True),
                st.integers(-1, 2),
                st.integers(-1, n_locs - 1),
            ),
            min_size=1,
            max_size=12,
        ),
        st.integers(0, 5),
    )
)


@settings(max_examples=150, deadline=None)
@given(_specs)
def test_role_rows_at_once_equal_the_loop(
    case: tuple[list[list[int]], list[int], list[tuple[list[int], int, int]], int],
) -> None:
    rows, loc_group, specs, singletons = case
    counts = np.array(rows, dtype=np.float64)
    if singletons:
        counts[-1] = np.minimum(counts[-1], singletons)
    specs = [(home, work, -1 if second in home else second) for home, work, second in specs]
    fast_rows, fast_plug = roles._role_rows(counts, loc_group, specs, float(singletons))
    ref_rows, ref_plug = roles._role_rows_loop(counts, loc_group, specs, float(singletons))
    assert np.array_equal(fast_rows, ref_rows)
    assert fast_plug.tolist() == ref_plug.tolist()  # bit for bit, not approximately


def _reference_candidates(
    evidence: Sequence[Evidence], points: places._Points, labels: np.ndarray
) -> dict[int, places.Candidate]:
    groups: dict[int, list[int]] = {}
    for i, label in zip(points.index.tolist(), labels.tolist(), strict=True):
        if label >= 0:
            groups.setdefault(label, []).append(i)
    return {label: _make_candidate(evidence, indices) for label, indices in groups.items()}


def _reference_candidates_of_people(
    people: Sequence[tuple[Sequence[Evidence], places._Points, np.ndarray]],
    _joined: places._Points | None = None,  # (one person at a time: not read)
) -> list[dict[int, places.Candidate]]:
    return [_reference_candidates(*person) for person in people]


def _reference_of_people(people, *, eps_ms, min_samples):  # type: ignore[no-untyped-def]
    return [[cluster_labels(lats, lons, eps_m=e, min_samples=min_samples) for e in eps_ms]
            for lats, lons in people]  # fmt: skip


def _reference_fits(problems: Sequence[RoleProblem], priors: roles.RolePriors) -> list[RoleFit]:
    return [problem.fit(priors) for problem in problems]  # one person at a time


def test_fits_with_every_fast_path_equal_the_reference_paths(
    corpora: dict[str, dict[str, list[Evidence]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = {name: LeakInference().fit(people) for name, people in corpora.items()}
    monkeypatch.setattr(places, "_candidates_of_people", _reference_candidates_of_people)
    monkeypatch.setattr(places, "cluster_labels_of_people", _reference_of_people)
    monkeypatch.setattr(roles, "_role_rows", roles._role_rows_loop)
    monkeypatch.setattr(places, "fit_roles_many", _reference_fits)
    for name, people in corpora.items():
        reference = LeakInference().fit(people)
        assert fast[name].profiles_ == reference.profiles_, name
        assert fast[name].sites_ == reference.sites_, name
        assert any(p.places for p in reference.profiles_), name  # something was inferred


def test_assigned_dates_count_their_own_weeks(
    corpora: dict[str, dict[str, list[Evidence]]],
) -> None:
    people = next(iter(corpora.values()))
    evidence = max(people.values(), key=len)
    usable = [i for i, ev in enumerate(evidence) if ev.local_time is not None]
    points = _points(evidence, usable)
    labels = cluster_labels(points.lat, points.lon, eps_m=500.0, min_samples=2)
    cand = next(iter(_candidates(evidence, points, labels).values()))
    assert cand.n_weeks > 1  # counted from the calendar when the candidate was built
    monday = date(2025, 3, 3)
    cand.dates = {monday, monday + timedelta(days=4)}
    assert cand.n_weeks == 1


def test_distinct_ordinals_are_the_day_sets_dates(
    corpora: dict[str, dict[str, list[Evidence]]],
) -> None:
    """`Candidate.distinct_ordinals` (what the slim analyses keep of the duty days) is the
    day set's dates as sorted ordinals, from the calendar and from assigned sets alike."""
    checked = 0
    for people in corpora.values():
        for evidence in list(people.values())[:20]:
            usable = [i for i, ev in enumerate(evidence) if ev.local_time is not None]
            points = _points(evidence, usable)
            labels = cluster_labels(points.lat, points.lon, eps_m=500.0, min_samples=2)
            for cand in _candidates(evidence, points, labels).values():
                for name in ("dates", "duty_dates", "nights", "work_dates"):
                    got = cand.distinct_ordinals(name)
                    fresh = replace(cand, day_sets={}, day_counts={})
                    days = sorted(d.toordinal() for d in getattr(fresh, name))
                    assert got.tolist() == days, name
                    assigned = replace(
                        cand, calendar=None, day_sets={name: set(getattr(fresh, name))}
                    )
                    assert assigned.distinct_ordinals(name).tolist() == days, name
                checked += 1
    assert checked > 50


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n), min_size=1,
                     max_size=4),
            st.lists(st.integers(-1, 3), min_size=n, max_size=n),
        )
    )
)  # fmt: skip
def test_marginals_of_several_posteriors_equal_each_alone(
    case: tuple[list[list[float]], list[int]],
) -> None:
    rows, which_list = case
    posts, which = np.array(rows), np.array(which_list, dtype=np.int64)
    count = int(which.max()) + 1 if (which >= 0).any() else 0
    together = places._marginals(posts, which, count)
    assert together.shape == (len(rows), count)
    for row, post in zip(together, posts, strict=True):
        assert row.tolist() == places._marginal(post, which, count)  # bit for bit


def test_type_tables_mark_the_shift_and_day_types() -> None:
    for ptype in range(len(roles.PERSON_TYPES)):
        assert places._IS_SHIFT_TYPE[ptype] == (ptype in roles.SHIFT_TYPES)
        assert places._IS_DAY_TYPE[ptype] == (ptype in roles.DAY_TYPES)


def _role_inputs(
    corpora: dict[str, dict[str, list[Evidence]]],
) -> list[tuple[places.PersonAnalysis, places._Points, np.ndarray, np.ndarray, dict, dict]]:
    """Each generated person's analysis, points, both cluster labels and candidates, as
    `analyse_people` hands them to `_role_problems`."""
    people = []
    for group in corpora.values():
        for person, evidence in sorted(group.items()):
            usable = [i for i, ev in enumerate(evidence) if ev.local_time is not None]
            if not usable:
                continue
            points = _points(evidence, usable)
            fine_labels, coarse_labels = cluster_labels_multi(
                points.lat, points.lon, eps_ms=(100.0, 500.0), min_samples=2
            )
            analysis = places.PersonAnalysis(person, evidence, [], Counter(), usable)
            people.append((analysis, points, fine_labels, coarse_labels,
                           _candidates(evidence, points, fine_labels),
                           _candidates(evidence, points, coarse_labels)))  # fmt: skip
    return people


def test_travel_groups_read_a_span_only_where_it_can_be_short(
    corpora: dict[str, dict[str, list[Evidence]]],
) -> None:
    """`places._travel_groups` leaves the span of a group seen on more days than
    `max_trip_days` unread (it spans at least as many days as it was seen on): the same
    travel groups as reading every group's span, for trips of 1 day to over a year."""
    checked = 0
    for group in corpora.values():
        for evidence in group.values():
            usable = places._usable(evidence, places.InferenceParams(), Counter())
            if len(usable) < 2:
                continue
            points = _points(evidence, usable)
            labels = cluster_labels(points.lat, points.lon, eps_m=500.0, min_samples=2)
            coarse = _candidates(evidence, points, labels)
            assert all(c.n_dates <= c.day_span for c in coarse.values())
            for trip in (1, 3, 10, 21, 60, 400):
                params = places.InferenceParams(max_trip_days=trip)
                short = {k for k, c in coarse.items() if c.n_dates >= 3 and c.day_span <= trip}
                lasting = [c for k, c in coarse.items() if k not in short and c.n_dates >= 3]
                expected = {k for k in short if all(
                    places._distance(coarse[k].position, c.position) > places.TRIP_MIN_DISTANCE_M
                    for c in lasting)}  # fmt: skip
                assert places._travel_groups(coarse, 3 * trip, params) == expected
                checked += bool(short)
    assert checked > 10


@st.composite
def _draft_labels(draw: st.DrawFn) -> places._Draft:
    """A draft's point labels and what its rows are made of (home-scale clusters outside
    travel, the groups' rest, travel groups: groups its points are labelled with)."""
    fine_size = draw(st.integers(0, 6))
    groups = draw(st.integers(0, 5))
    n = draw(st.integers(1, 25))
    fine = draw(st.lists(st.integers(-1, fine_size - 1), min_size=n, max_size=n))
    coarse = draw(st.lists(st.integers(-1, groups - 1), min_size=n, max_size=n))
    fine_ids = sorted(draw(st.sets(st.integers(0, max(fine_size - 1, 0)), max_size=fine_size)))
    present = sorted({c for c in coarse if c >= 0})  # groups are labels of points
    rest_ids = sorted(draw(st.sets(st.sampled_from(present)))) if present else []
    travel = draw(st.sets(st.sampled_from(present), max_size=2)) if present else set()
    return places._Draft(
        places._NO_LABELS, len(fine_ids) + len(rest_ids), [], [], [], [], [], 1, [], False,
        labels=(np.array(fine, dtype=np.int64), np.array(coarse, dtype=np.int64)),
        fine_ids=fine_ids, rest_ids=rest_ids, travel=travel, fine_size=fine_size,
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_draft_labels(), min_size=1, max_size=6))
def test_point_rows_of_many_people_at_once_equal_each_alone(drafts: list[places._Draft]) -> None:
    """`_rows_of_people` gives each person's points the rows `_point_rows` gives them alone
    (home-scale clusters, the groups' rest, isolated points, travel groups; people without
    a cluster or a group among others)."""
    row = places._rows_of_people(drafts)
    assert row.dtype == np.int64
    at = 0
    for d in drafts:
        alone = places._point_rows(*d.labels, d.fine_ids, d.rest_ids, d.travel, d.fine_size)
        assert row[at : at + alone.size].tolist() == alone.tolist()
        at += alone.size
    assert at == row.size


def test_role_problems_of_many_people_equal_their_definitions(
    corpora: dict[str, dict[str, list[Evidence]]],
) -> None:
    """`_role_problems` of a batch of people: each person's distinct days per location and
    part of the week, hour counts and rota evidence as the readable definitions give them
    (sets of (location, part, day) and (part, hour, day); `rota_log_bayes_factor` of each
    work candidate), and every field as for the person alone."""
    params = places.InferenceParams()
    people = _role_inputs(corpora)
    together = places._role_problems(people, params)
    checked = 0
    for person, problem in zip(people, together, strict=True):
        (alone,) = places._role_problems([person], params)
        for name in ("loc_group", "home_locs", "work_groups", "second_locs", "singleton_total",
                     "years", "min_home_days", "work_rota_log_bf", "far_from_home", "bag",
                     "work_schedule_log_bf"):  # fmt: skip
            assert getattr(problem, name) == getattr(alone, name), name
        assert problem.counts.tolist() == alone.counts.tolist()
        assert problem.hour_counts is not None and alone.hour_counts is not None
        assert problem.hour_counts.tolist() == alone.hour_counts.tolist()
        assert [(n, o, when, b.tolist(), a.tolist()) for n, o, when, b, a in problem.moves] == [
            (n, o, when, b.tolist(), a.tolist()) for n, o, when, b, a in alone.moves
        ]
        analysis, points = person[0], person[1]
        draft = places._draft(*person, params)
        # The moves and commute bands read for many people at once are each person's own.
        assert problem.far_from_home == draft.far_from_home
        assert [(n, o, when, b.tolist(), a.tolist()) for n, o, when, b, a in problem.moves] == [
            (n, o, when, b.tolist(), a.tolist()) for n, o, when, b, a in draft.moves
        ]
        counts = np.zeros((len(draft.loc_group), N_BINS))
        hours = np.zeros((N_BINS, 24))
        row = draft.row.tolist()
        for r, part in zip(row, points.part.tolist(), strict=True):
            if r == draft.isolated_row:
                counts[r, part] += 1  # isolated points: every one counts
        kept = [k for k, r in enumerate(row) if r >= 0]
        for r, part, _ in {(row[k], int(points.part[k]), int(points.day[k])) for k in kept}:
            if r != draft.isolated_row:
                counts[r, part] += 1
        for part, hour, _ in {(int(points.part[k]), int(points.hour[k]), int(points.day[k]))
                              for k in kept}:  # fmt: skip
            hours[part, hour] += 1
        assert problem.counts.tolist() == counts.tolist()
        assert problem.hour_counts.tolist() == hours.tolist()
        assert problem.singleton_total == float(counts[draft.isolated_row].sum())
        rota = [roles.rota_log_bayes_factor(analysis.work_candidates[k].calendar.day,  # type: ignore[union-attr]
                                            analysis.work_candidates[k].calendar.hour)  # type: ignore[union-attr]
                for k in range(len(problem.work_groups))]  # fmt: skip
        assert problem.work_rota_log_bf == rota
        seen = points.day[(draft.row >= 0) & (points.part == WORK_HOURS)]
        schedule = [roles.schedule_log_bayes_factor(
            analysis.work_candidates[k].calendar.local[  # type: ignore[union-attr]
                analysis.work_candidates[k].calendar.part == WORK_HOURS], seen)  # type: ignore[union-attr]
            for k in range(len(problem.work_groups))]  # fmt: skip
        assert problem.work_schedule_log_bf == schedule
        checked += 1
    assert checked > 30
    assert any(p.work_rota_log_bf for p in together) and any(p.moves for p in together)


# Day sets for the rota evidence: each a first date and (days after it, local hour or -1).
_DAY_SETS_WITH_HOURS = st.lists(
    st.tuples(
        st.integers(1, 3_652_059 - 2_000),
        st.lists(st.tuples(st.integers(0, 1_999), st.integers(-1, 23)), max_size=70),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(_DAY_SETS_WITH_HOURS)
def test_rota_evidence_of_many_day_sets_equals_each_alone(
    sets: list[tuple[int, list[tuple[int, int]]]],
) -> None:
    """`rota_log_bayes_factors` gives each day set `rota_log_bayes_factor`'s float, bit for
    bit (repeated days, empty sets, sets of equal and different sizes, any date, points at
    any hour or none known)."""
    day_sets = [np.array([start + d for d, _ in points], dtype=np.int64) for start, points in sets]
    hour_sets = [np.array([h for _, h in points], dtype=np.int64) for _, points in sets]
    day_sets += [day_sets[0][::-1].copy()]  # the same days in another order
    hour_sets += [hour_sets[0][::-1].copy()]
    together = roles.rota_log_bayes_factors(day_sets, hour_sets)
    assert together == [roles.rota_log_bayes_factor(d, h)
                        for d, h in zip(day_sets, hour_sets, strict=True)]  # fmt: skip
    assert roles.rota_log_bayes_factors(day_sets) == [roles.rota_log_bayes_factor(d)
                                                     for d in day_sets]  # fmt: skip


_ROTA_TABLES = roles._rota_table()  # (phases, cycle) tables, as the module builds them


def _rota_factor_summing_indicators(days: np.ndarray, hours: np.ndarray) -> float:
    """`rota_log_bayes_factor` as it was written before its shift counts were counted: the
    days a rota names a shift on summed as 0/1 floats gathered from a (phases, cycle) table."""
    table, _, _, shifts = _ROTA_TABLES
    read, distinct = roles._shifts_of_day_sets([days], [hours])
    if distinct[0] == 0:
        return 0.0
    day_of = (read[0][0] % roles._ROTA_CYCLE)[None, :]
    label = read[0][1][None, :]
    llr = table[:, day_of].sum(axis=2).T
    is_day = (label == roles.SHIFT_DAY).astype(np.float64)
    is_night = (label == roles.SHIFT_NIGHT).astype(np.float64)
    if is_day.any() or is_night.any():
        days_n, nights_n = is_day.sum(axis=1), is_night.sum(axis=1)
        log_day = np.log((days_n + 1) / (days_n + nights_n + 2))[:, None]
        log_night = np.log((nights_n + 1) / (days_n + nights_n + 2))[:, None]
        given_table = (shifts[0] != 0.0).astype(np.float64)
        given = given_table[:, day_of]
        named = ((shifts[0][:, day_of] * is_day).sum(axis=2).T
                 + (shifts[1][:, day_of] * is_night).sum(axis=2).T)  # fmt: skip
        llr = (llr + named - (given * is_day).sum(axis=2).T * log_day
               - (given * is_night).sum(axis=2).T * log_night)  # fmt: skip
    top = llr.max(axis=1)
    per_rota = np.add.reduceat(np.exp(llr - top[:, None]), roles._ROTA_STARTS, axis=1)
    means = (per_rota / roles._ROTA_SIZES).mean(axis=1)
    return roles._rota_mixture(float(top[0]), float(means[0]))


def test_rota_table_is_each_pattern_rolled_and_repeated() -> None:
    """The rota tables built at once (each phase's row a fancy index of its pattern) are what
    rolling each pattern by its phase and repeating it over the cycle gives (`np.roll`,
    `np.resize`, row by row): the same floats, shapes, dtypes and layout."""
    import math

    cycle = math.lcm(*(len(p) for p in roles.ROTAS.values()))
    keep, swap = math.log(1 - roles.ROTA_SHIFT_MISMATCH), math.log(roles.ROTA_SHIFT_MISMATCH)
    rows, shift_rows, starts = [], [], []
    for pattern in roles.ROTAS.values():
        chars = np.array(list(pattern))
        on = chars != "0"
        q = float(on.mean())
        ratio = np.where(on, math.log((1 - roles.ROTA_OFF_SHARE) / q),
                         math.log(roles.ROTA_OFF_SHARE / (1 - q)))  # fmt: skip
        shift = np.array([np.where(chars == "D", keep, np.where(chars == "N", swap, 0.0)),
                          np.where(chars == "N", keep, np.where(chars == "D", swap, 0.0))])  # fmt: skip
        starts.append(len(rows))
        rows.extend(np.resize(np.roll(ratio, -phase), cycle) for phase in range(on.size))
        shift_rows.extend(np.stack([np.resize(np.roll(s, -phase), cycle) for s in shift])
                          for phase in range(on.size))  # fmt: skip
    table, first, length, shifts = roles._rota_table()
    for got, expected in ((table, np.array(rows)), (shifts, np.stack(shift_rows, axis=1))):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert got.flags.c_contiguous and got.tobytes() == expected.tobytes()
    assert first.tolist() == starts and length == cycle


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 9), st.integers(1, 40), st.integers(1, 12), st.integers(1, 60),
       st.randoms(use_true_random=False))  # fmt: skip
def test_rota_table_read_by_day_is_the_gather_it_replaces(
    phases: int, cycle: int, sets: int, n: int, rnd: random.Random
) -> None:
    """`roles._by_day` gives `table[:, day_of]`: the same values, shape and strides (so every
    sum over it is the same float), for any table and day positions; and on the rota's own
    tables."""
    table = np.array([[rnd.uniform(-3, 3) for _ in range(cycle)] for _ in range(phases)])
    day_of = np.array([[rnd.randrange(cycle) for _ in range(n)] for _ in range(sets)])
    rota_table, _, _, rota_shifts = _ROTA_TABLES
    for whole, by_day, at in (
        (table, np.ascontiguousarray(table.T), day_of),
        (rota_table, roles._ROTA_TABLE_BY_DAY, day_of * 41 % roles._ROTA_CYCLE),
        (rota_shifts[1], np.ascontiguousarray(rota_shifts[1].T), day_of * 7 % roles._ROTA_CYCLE),
    ):
        expected, got = whole[:, at], roles._by_day(by_day, at)
        assert got.shape == expected.shape and got.strides == expected.strides
        assert np.array_equal(got, expected)
        assert got.sum(axis=2).tolist() == expected.sum(axis=2).tolist()


@settings(max_examples=150, deadline=None)
@given(_DAY_SETS_WITH_HOURS)
def test_rota_shift_counts_equal_the_summed_indicators(
    sets: list[tuple[int, list[tuple[int, int]]]],
) -> None:
    """The rota evidence's shift terms count the days a rota names a shift on (the nonzero
    log probabilities) instead of summing a 0/1 table's floats: the same factor, bit for bit
    (day and night shifts, either, no hour known, repeated and empty sets)."""
    day_sets = [np.array([start + d for d, _ in points], dtype=np.int64) for start, points in sets]
    hour_sets = [np.array([h for _, h in points], dtype=np.int64) for _, points in sets]
    assert roles.rota_log_bayes_factors(day_sets, hour_sets) == [
        _rota_factor_summing_indicators(d, h) for d, h in zip(day_sets, hour_sets, strict=True)
    ]


def _shifts_of_days_alone(
    days: NDArray[np.int64] | Sequence[int], hours: NDArray[np.int64] | Sequence[int] | None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """One set's distinct `days` and each one's shift, read alone (`np.unique` of its days,
    a `np.bincount` a shift): the reference `roles._shifts_of_day_sets` is checked against."""
    days = np.asarray(days, dtype=np.int64)
    unique, inverse = np.unique(days, return_inverse=True)
    if hours is None or unique.size == 0:
        return unique, np.zeros(unique.size, dtype=np.int64)
    hours = np.asarray(hours, dtype=np.int64)
    shift = np.where(hours >= 0, roles._SHIFT_OF_HOUR[np.clip(hours, 0, 23)], roles.SHIFT_EITHER)
    has_day = np.bincount(inverse, weights=shift == roles.SHIFT_DAY, minlength=unique.size) > 0
    has_night = np.bincount(inverse, weights=shift == roles.SHIFT_NIGHT, minlength=unique.size) > 0
    label = np.where(has_day & ~has_night, roles.SHIFT_DAY,
                     np.where(has_night & ~has_day, roles.SHIFT_NIGHT, roles.SHIFT_EITHER))  # fmt: skip
    return unique, label.astype(np.int64)


@settings(max_examples=150, deadline=None)
@given(_DAY_SETS_WITH_HOURS)
def test_shifts_of_many_day_sets_equal_each_alone(
    sets: list[tuple[int, list[tuple[int, int]]]],
) -> None:
    """The rota evidence's sets read at once (`_shifts_of_day_sets`: one `np.unique` over
    every set's days) give each set's distinct days and shifts as `_shifts_of_days_alone`
    (repeated days, empty sets, any date, points at any hour or none known)."""
    day_sets = [np.array([start + d for d, _ in points], dtype=np.int64) for start, points in sets]
    hour_sets = [np.array([h for _, h in points], dtype=np.int64) for _, points in sets]
    for hours in (hour_sets, None):
        read, distinct = roles._shifts_of_day_sets(day_sets, hours)
        assert len(read) == len(day_sets)
        for k, days in enumerate(day_sets):
            alone = _shifts_of_days_alone(days, None if hours is None else hours[k])
            assert distinct[k] == alone[0].size
            assert np.array_equal(read[k][0], alone[0])
            assert np.array_equal(read[k][1], alone[1])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 3_652_059 - 400),
            st.lists(st.integers(0, 399), max_size=40),
            st.lists(st.lists(st.integers(0, 399), max_size=40), max_size=5),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_schedule_evidence_of_many_people_equals_each_alone(
    people: list[tuple[int, list[int], list[list[int]]]],
) -> None:
    """`schedule_log_bayes_factors_of_people` gives each person's places
    `schedule_log_bayes_factors`' floats, bit for bit (people without places, empty places,
    repeated days, work days not among the seen ones, places of one size and of many, any
    date)."""
    inputs = [([np.array([start + d for d in place], dtype=np.int64) for place in places],
               np.array([start + d for d in seen], dtype=np.int64))
              for start, seen, places in people]  # fmt: skip
    together = roles.schedule_log_bayes_factors_of_people(inputs)
    assert together == [roles.schedule_log_bayes_factors(work, seen) for work, seen in inputs]


def _ordered_evidence_by_key(
    evidence: Sequence[Evidence], indices: Sequence[int], prefer: str
) -> tuple[str, ...]:
    """The readable definition: indices sorted by (-weight, -role, accuracy), ids once."""

    def key(i: int) -> tuple[float, float, float]:
        ev = evidence[i]
        role = 0.0
        if ev.local_time is not None:
            night = ev.local_time.hour >= 21 or ev.local_time.hour < 7
            role = 1.0 if (night if prefer == "home" else not night) else 0.0
        return (-ev.weight, -role, ev.accuracy_m)

    seen: dict[str, None] = {}
    for i in sorted(indices, key=key):
        seen.setdefault(evidence[i].post_id, None)
    return tuple(seen)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 9),  # post id (repeats: several points of one post)
            st.sampled_from([0.5, 1.0]),
            st.sampled_from([5.0, 10.0, 30.0]),
            st.one_of(st.none(), st.integers(0, 23)),
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["home", "base"]),
    st.randoms(use_true_random=False),
)
def test_ordered_evidence_equals_sorting_by_key(
    rows: list[tuple[int, float, float, int | None]], prefer: str, rng: random.Random
) -> None:
    evidence = [
        Evidence(
            post_id=f"p{post}",
            person="x",
            position=LatLon(69.7, 179.9999),
            source=EvidenceSource.GEOTAG,
            accuracy_m=accuracy,
            time_utc=None,
            local_time=None if hour is None else datetime(2025, 3, 3, hour, 30),
            weight=weight,
        )
        for post, weight, accuracy, hour in rows
    ]
    indices = rng.sample(range(len(evidence)), rng.randint(1, len(evidence)))
    expected = _ordered_evidence_by_key(evidence, indices, prefer)
    assert places._ordered_evidence(evidence, indices, prefer) == expected
    # The columns' path (a stable lexsort: ties in the order of `indices`), with the indices
    # as the array a place makes once for its radius and its evidence order, and the local
    # hours of those points only.
    columns = EvidenceColumns("x", [evidence])
    at = np.asarray(indices, dtype=np.int64)
    assert places._ordered_evidence(columns, indices, prefer) == expected
    assert places._ordered_evidence(columns, indices, prefer, at) == expected
    assert np.array_equal(columns.local_hour(at), columns.local_hour()[at])
    # Each post once: a home's count of located posts is the tuple's length.
    assert len(expected) == len({evidence[i].post_id for i in indices})
    cand = places.Candidate(indices=indices, position=LatLon(69.7, 179.9999), rms_m=7.5)
    assert places._radius_m(cand, columns, 40.0, at) == places._radius_m(cand, evidence, 40.0)


def _ordered_by_lexsort(
    columns: EvidenceColumns, at: NDArray[np.int64], prefer: str
) -> tuple[str, ...]:
    """`places._ordered_columns` as it was written: the place's keys sorted by a stable
    lexsort of its own points."""
    hour = columns.local_hour(at)
    night = (hour >= 21) | (hour < 7)
    matches = night if prefer == "home" else ~night
    role = np.where(columns.has_local[at] & matches, 1.0, 0.0)
    order = np.lexsort((columns.accuracy_m[at], -role, -columns.weight[at]))
    return tuple(dict.fromkeys([columns.post_ids[i] for i in at[order].tolist()]))


_KEY_FLOATS = st.sampled_from([0.0, -0.0, 0.5, 1.0, 5.0, 30.0, math.inf, -math.inf, math.nan])


def _people_rows(
    accuracies: st.SearchStrategy[float], max_people: int
) -> st.SearchStrategy[list[list[tuple[int, float, float, int | None]]]]:
    """People, each 1-30 rows of (post id, weight, accuracy, local hour or None): post ids
    repeat (several points of one post)."""
    row = st.tuples(
        st.integers(0, 9), _KEY_FLOATS, accuracies, st.one_of(st.none(), st.integers(0, 23))
    )
    return st.lists(st.lists(row, min_size=1, max_size=30), min_size=1, max_size=max_people)


@settings(max_examples=200, deadline=None)
@given(
    _people_rows(_KEY_FLOATS, 6),
    st.randoms(use_true_random=False),
)
def test_place_ranks_of_people_order_places_as_their_keys(
    people: list[list[tuple[int, float, float, int | None]]], rng: random.Random
) -> None:
    """`places.place_ranks` made for several people at once orders every place (any subset
    of a person's points, in any order) as a stable sort of the place's own keys: ties
    (equal keys, -0.0 and 0.0, NaN and NaN) in the order of the indices. Fails with ranks
    that are not dense (ties broken by the position among all the points) or with NaN
    not tied to NaN."""
    columns = [_ranked_person(k, rows)[1] for k, rows in enumerate(people)]
    places.place_ranks(columns)
    for made in columns:
        n = len(made)
        for _ in range(4):
            at = np.array(rng.sample(range(n), rng.randint(1, n)), dtype=np.int64)
            for prefer in ("home", "base"):
                expected = _ordered_by_lexsort(made, at, prefer)
                assert places._ordered_columns(made, at, prefer) == expected
                alone = EvidenceColumns(made.person, [list(made)])
                alone.weight, alone.accuracy_m = made.weight, made.accuracy_m
                assert places._ordered_columns(alone, at, prefer) == expected  # made alone


_ACCURACIES = st.sampled_from([0.0, -0.0, 3.0, 5.0, 30.0, 1e300, math.inf, math.nan])


@settings(max_examples=200, deadline=None)
@given(
    _people_rows(_ACCURACIES, 5),
    st.lists(
        st.tuples(
            st.integers(0, 4),  # whose
            st.sampled_from([0, 1, 2]),  # as a home, a base or another place
            st.sampled_from([0.0, 7.5, 400.0]),  # the candidate's rms_m
            st.booleans(),  # the person's evidence as objects, not columns
        ),
        max_size=12,
    ),
    st.booleans(),  # the people's ranks made beforehand
    st.randoms(use_true_random=False),
)
def test_places_made_at_once_equal_each_alone(
    people: list[list[tuple[int, float, float, int | None]]],
    wanted: list[tuple[int, int, float, bool]],
    ranked: bool,
    rng: random.Random,
) -> None:
    """`places.made_places` (every draft's post ids and radius from one sort of all their
    rows) gives each draft's `alone()` place: the same ids in the same order (ties in the
    order of the indices, each post once) and the same radius (the median accuracy of odd
    and even counts, NaN, -0.0 and infinities). Drafts of one person share its evidence;
    people whose evidence is objects are made alone. Fails with the radius' middle taken
    one row off, or with an unstable sort of the ranks."""
    evidence = []
    for k, rows in enumerate(people):
        objects, made = _ranked_person(k, rows)
        # The same as objects, where those can hold the accuracies (positive ones) and
        # `sorted` orders their keys (no NaN weight).
        if all(a > 0 and not math.isnan(w) for _, w, a, _ in rows):
            objects = [
                replace(ev, weight=w, accuracy_m=a)
                for ev, (_, w, a, _) in zip(objects, rows, strict=True)
            ]
        else:
            objects = []
        evidence.append((made, objects))
    if ranked:
        places.place_ranks([made for made, _ in evidence])
    kinds = [
        (PlaceKind.HOME, 40.0, "home"),
        (PlaceKind.BASE, 100.0, "base"),
        (PlaceKind.FREQUENT, 25.0, "base"),
    ]
    drafts, owners = [], []
    for whose, kind, rms_m, objects_wanted in wanted:
        columns, objects = evidence[whose % len(evidence)]
        owners.append(objects)
        as_objects = objects_wanted and bool(objects)
        n = len(columns)
        indices = rng.sample(range(n), rng.randint(1, n))
        cand = places.Candidate(
            indices=indices,
            position=LatLon(69.7, 179.9999),
            rms_m=rms_m,
            day_counts={"dates": 3, "nights": 2, "work_dates": 1},
        )
        place_kind, floor_m, prefer = kinds[kind]
        drafts.append(
            places.PlaceDraft(
                kind=place_kind,
                cand=cand,
                evidence=objects if as_objects else columns,
                floor_m=floor_m,
                prefer=prefer,
                confidence=0.5,
                head="seen",
                tail="; fits",
                counted=kind == 0,
                extra=EMPTY_EXTRA,
            )
        )
    alone = [d.alone() for d in drafts]
    assert repr(places.made_places(drafts)) == repr(alone)
    # The columns' places are those of the objects too.
    for d, objects, place in zip(drafts, owners, alone, strict=True):
        if objects:
            assert repr(replace(d, evidence=objects).alone()) == repr(place)


def _fit_text_by_max(shares: dict[str, float], role: str) -> str:
    """`places._fit_text` as it was written: the rival by `max` with a key."""
    rival = max(((name, p) for name, p in shares.items() if name != role), key=lambda kv: kv[1])
    return f"fits '{role}' {shares[role]:.2f} vs '{rival[0]}' {rival[1]:.2f}"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 0.25]),
        min_size=2,
        max_size=6,
    ),
    st.data(),
)
def test_fit_text_names_the_rival_max_would(values: list[float], data: st.DataObject) -> None:
    """The first of the largest other shares (ties, zeros of both signs, NaN anywhere)."""
    names = ["home", "day workplace", "night/shift workplace", "second residence", "elsewhere",
             "workplace"][: len(values)]  # fmt: skip
    shares = dict(zip(names, values, strict=True))
    role = data.draw(st.sampled_from(names))
    assert places._fit_text(shares, role) == _fit_text_by_max(shares, role)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(), st.datetimes())
def test_span_text_months_as_strftime_writes_them(first: datetime, last: datetime) -> None:
    first, last = sorted((first, last))
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    when = f"{first:%b %Y}" if months <= 1 else f"{first:%b %Y} - {last:%b %Y}"
    expected = f" over {months} month{'s' if months != 1 else ''} ({when})"
    assert places._span_text(first, last) == expected


def _dm_loglik_every_cell(counts: np.ndarray, probs: np.ndarray, alpha: float) -> np.ndarray:
    """`roles._dm_loglik` as written before it skipped the cells counted 0: every cell's
    term computed."""
    from geoleak.infer.special import gammaln

    a = alpha * np.maximum(probs, roles._FLOOR)
    total = counts.sum(axis=-2)
    per_bin = gammaln(alpha) - gammaln(alpha + total)
    per_bin = per_bin + (gammaln(counts + a) - gammaln(a)).sum(axis=-2)
    return np.asarray(per_bin.sum(axis=-1), dtype=np.float64)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 3),
    st.floats(0.1, 50.0),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_likelihood_skipping_cells_counted_zero_equals_every_cell(
    entries: int, draws: int, alpha: float, bag: bool, weighted: bool, seed: int
) -> None:
    """`_dm_loglik` computes only the cells with a count, the others being exactly 0.0: the
    same floats, bit for bit, as every cell's term (most cells 0, some -0.0, fractional
    counts as the bag's reweightings give, probabilities below the floor, and the bag's
    shape: (draws, K, roles, bins) counts against (1, K, roles, bins) probabilities)."""
    rng = np.random.default_rng(seed)
    shape = (entries, 4, N_BINS)
    counts = rng.integers(0, 6, size=(draws, *shape) if bag else shape).astype(np.float64)
    counts[rng.random(counts.shape) < 0.6] = 0.0
    counts[rng.random(counts.shape) < 0.05] = -0.0
    if weighted:
        counts = counts * rng.gamma(2.0, 0.5, size=counts.shape)
    probs = rng.dirichlet(np.full(4, 0.5), size=(entries, N_BINS)).transpose(0, 2, 1)
    probs[rng.random(probs.shape) < 0.1] = 1e-12
    if bag:
        probs = probs[None]
    got = roles._dm_loglik(counts, probs, alpha)
    assert got.tobytes() == _dm_loglik_every_cell(counts, probs, alpha).tobytes()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 6),
    st.integers(0, 20),
    st.integers(1, 5),
    st.floats(0.1, 50.0),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_likelihood_of_rows_equals_it_of_the_gathered_arrays(
    specs: int, entries: int, rows: int, alpha: float, weighted: bool, seed: int
) -> None:
    """`_dm_loglik_of_rows` gives `_dm_loglik(by_spec[entry_spec], table[row_of])`'s floats,
    bit for bit: entries of one assignment or one presence row, in any order, assignments
    with no entry or no count, counts of 0, -0.0, whole and reweighted, large enough that a
    sum's order shows, presence below the floor. Fails with each part's cells added in
    another order than the roles'."""
    assume(specs > 0 or entries == 0)
    rng = np.random.default_rng(seed)
    by_spec = rng.integers(0, 60, size=(specs, 4, N_BINS)).astype(np.float64)
    by_spec[rng.random(by_spec.shape) < 0.6] = 0.0
    by_spec[rng.random(by_spec.shape) < 0.05] = -0.0
    if weighted:
        by_spec = by_spec * rng.gamma(2.0, 0.5, size=by_spec.shape) * 1e3
    table = rng.dirichlet(np.full(4, 0.5), size=(rows, N_BINS)).transpose(0, 2, 1)
    table[rng.random(table.shape) < 0.1] = 1e-12
    entry_spec = rng.integers(0, max(specs, 1), size=entries).astype(np.int64)
    row_of = rng.integers(0, rows, size=entries).astype(np.int64)
    got = roles._dm_loglik_of_rows(by_spec, entry_spec, table, row_of, alpha)
    want = roles._dm_loglik(by_spec[entry_spec], table[row_of], alpha)
    assert got.tobytes() == want.tobytes()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(1, 6),
    st.integers(0, 30),
    st.integers(0, 2**32 - 1),
)
def test_likelihood_of_rows_of_any_cells_equals_it_of_the_gathered_arrays(
    roles_n: int, bins: int, specs: int, entries: int, seed: int
) -> None:
    """`_dm_loglik_of_rows` with any number of roles and parts (its cells packed with their
    part into one int: 1 to 81 cells, powers of two among them) gives the gathered arrays'
    floats bit for bit. Fails when the packed cell takes fewer bits than the cells need."""
    rng = np.random.default_rng(seed)
    by_spec = rng.integers(0, 40, size=(specs, roles_n, bins)).astype(np.float64)
    by_spec[rng.random(by_spec.shape) < 0.5] = 0.0
    rows = 3
    table = rng.dirichlet(np.full(roles_n, 0.5), size=(rows, bins)).transpose(0, 2, 1)
    entry_spec = rng.integers(0, specs, size=entries).astype(np.int64)
    row_of = rng.integers(0, rows, size=entries).astype(np.int64)
    got = roles._dm_loglik_of_rows(by_spec, entry_spec, table, row_of, 2.0)
    want = roles._dm_loglik(by_spec[entry_spec], table[row_of], 2.0)
    assert got.tobytes() == want.tobytes()


def _second_split_every_cell(days: np.ndarray, home: np.ndarray, alpha: float) -> np.ndarray:
    """`roles.second_split_loglik` as written before it skipped the cells with no days:
    each share node's gammaln of every cell computed, then 0.0 chosen where there are none."""
    from geoleak.infer.special import gammaln

    share, rest, log_weight = roles._share_nodes()
    c = alpha * np.maximum(home, roles._FLOOR)
    k, h = days[..., 0], days[..., 1]
    whole = gammaln(c) - gammaln(k + h + c)
    cs, cr = c[..., None] * share, c[..., None] * rest
    kk, hh = k[..., None], h[..., None]
    of_share = (np.where(kk > 0, gammaln(kk + cs) - gammaln(cs), 0.0)
                + np.where(hh > 0, gammaln(hh + cr) - gammaln(cr), 0.0))  # fmt: skip
    by_node = of_share[..., 0, :] + log_weight
    constant = whole[..., 0]
    for p in range(1, days.shape[-2]):
        by_node = by_node + of_share[..., p, :]
        constant = constant + whole[..., p]
    top = by_node[..., 0]
    for q in range(1, roles.SHARE_NODES):
        top = np.maximum(top, by_node[..., q])
    scaled = np.exp(by_node - top[..., None])
    total = scaled[..., 0]
    for q in range(1, roles.SHARE_NODES):
        total = total + scaled[..., q]
    return np.asarray(constant + top + np.log(total), dtype=np.float64)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 8),
    st.integers(1, 3),
    st.floats(0.1, 50.0),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_second_split_skipping_cells_without_days_equals_every_cell(
    entries: int, draws: int, alpha: float, bag: bool, weighted: bool, seed: int
) -> None:
    """`second_split_loglik` computes each share node's gammaln only where the part has days
    (at the second residence or at the home), the others being 0.0: the same floats, bit for
    bit, as every cell's (whole and reweighted days, zeros, -0.0 and below zero, home presence below
    the floor, and the bag's shape: (draws, K, parts, 2) days against (K, parts) presence)."""
    rng = np.random.default_rng(seed)
    parts = len(roles.WEEKEND_BINS)
    shape = (draws, entries, parts, 2) if bag else (entries, parts, 2)
    days = rng.integers(0, 40, size=shape).astype(np.float64)
    days[rng.random(shape) < 0.5] = 0.0
    days[rng.random(shape) < 0.05] = -0.0
    if weighted:
        days = days * rng.gamma(2.0, 0.5, size=shape)
    days[rng.random(shape) < 0.05] = -1.0  # no days: as 0
    home = rng.random((entries, parts))
    home[rng.random(home.shape) < 0.1] = 1e-12
    got = roles.second_split_loglik(days, home, alpha)
    assert got.tobytes() == _second_split_every_cell(days, home, alpha).tobytes()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12),
    st.integers(1, 3),
    st.floats(0.1, 50.0),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_second_split_of_repeated_rows_equals_each_row_alone(
    entries: int, draws: int, alpha: float, bag: bool, seed: int
) -> None:
    """`_second_split_of` computes each distinct (days, home) once and gives its repeats the
    same value: every chosen row equals `second_split_loglik` of that row alone, bit for bit,
    and the others are 0.0 (rows drawn from a few, so most repeat; 0.0 and -0.0 days, home
    presence below the floor, the bag's (draws, K) shape). Fails when rows that differ only
    in their home presence or in a zero's sign share a value."""
    rng = np.random.default_rng(seed)
    parts = len(roles.WEEKEND_BINS)
    pool_days = rng.integers(0, 4, size=(4, parts, 2)).astype(np.float64)
    pool_days[0] = 0.0
    pool_days[1] = -0.0
    pool_days[2] = pool_days[3] * rng.gamma(2.0, 0.5, size=(parts, 2))
    pool_home = np.array([[0.3, 0.7], [0.3, 0.70000001], [1e-12, 0.5]])[:, :parts]
    shape = (draws, entries) if bag else (entries,)
    days = pool_days[rng.integers(0, len(pool_days), size=shape)]
    home = pool_home[rng.integers(0, len(pool_home), size=entries)]
    which = rng.random(entries) < 0.8
    got = roles._second_split_of(days, home, alpha, which)
    for at in np.ndindex(*shape):
        k = at[-1]
        alone = roles.second_split_loglik(days[at][None], home[k][None], alpha)[0]
        want = alone if which[k] else 0.0
        assert got[at].tobytes() == np.float64(want).tobytes()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 9), min_size=0, max_size=2),
    st.integers(1, 5),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1.0, 1e-300, 1e290]),
)
def test_sum_over_the_roles_is_numpys_sum_over_the_axis(
    leading: list[int], roles_: int, seed: int, scale: float
) -> None:
    """`roles._role_sum` adds the roles of a C-ordered (..., roles, bins) array as
    `sum(axis=-2)` does, bit for bit (zeros of both signs, mixed signs and magnitudes, tiny
    and huge values). Fails with the roles added in another order."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(*leading, roles_, N_BINS)) * scale
    values *= 10.0 ** rng.integers(-8, 9, size=values.shape)
    values[rng.random(values.shape) < 0.3] = 0.0
    values[rng.random(values.shape) < 0.1] = -0.0
    assert roles._role_sum(values).tobytes() == values.sum(axis=-2).tobytes()


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(0, 40) | st.integers(100, 400),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1.0, 1e-300, 1e290]),
    special=st.lists(st.sampled_from([0.0, -0.0, 5e-324, 1e16, -1e16, 0.1]), max_size=5),
)
def test_pairwise_sum_is_numpys_sum(n: int, seed: int, scale: float, special: list[float]) -> None:
    """`places._pairwise_sum` (plus 0.0) gives `ndarray.sum`'s float bit for bit, for any
    length (the sequential start, the eight partial sums, the rest, the split past 128) and
    masked subsets (`_group_sums`, the person types' masses in `decide`)."""
    rng = np.random.default_rng(seed)
    array = rng.random(n) * scale * 10.0 ** rng.integers(-8, 8, n) * rng.choice([1.0, -1.0], n)
    if n:
        array[rng.integers(0, n, len(special))] = special
    values = array.tolist()
    assert np.float64(0.0 + places._pairwise_sum(values)).tobytes() == array.sum().tobytes()
    groups = rng.integers(0, 7, n)
    sums = places._group_sums(values, groups.tolist(), 7)
    for g in range(7):
        assert np.float64(sums[g]).tobytes() == array[groups == g].sum().tobytes()


def _evidence_item(draw: st.DrawFn, person: str, k: int) -> Evidence:
    """One piece of evidence: any position and spread, with or without its times, posted
    up to two years after it was taken."""
    taken = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 1, 1)))
    utc = taken.replace(tzinfo=timezone.utc)
    time_utc = draw(st.sampled_from([utc, utc, None]))
    lag_days = draw(st.sampled_from([None, 0, 3, 400, 800]))
    return Evidence(
        post_id=f"{person}-{k}",
        person=person,
        position=LatLon(draw(st.floats(-89.9, 89.9)), draw(st.floats(-180.0, 180.0))),
        source=EvidenceSource.GEOTAG,
        accuracy_m=draw(st.sampled_from([1.0, 5.0, 30.0, 400.0, 5000.0])),
        time_utc=time_utc,
        local_time=draw(st.sampled_from([taken + timedelta(hours=h) for h in (-7, 0, 9)] + [None])),
        posted_at=None if lag_days is None else utc + timedelta(days=lag_days),
        weight=draw(st.sampled_from([0.25, 1.0, 2.0])),
    )


@st.composite
def _people_evidence(
    draw: st.DrawFn,
) -> list[tuple[str, Sequence[Evidence], dict[str, int] | None]]:
    people: list[tuple[str, Sequence[Evidence], dict[str, int] | None]] = []
    for p in range(draw(st.integers(1, 6))):
        person = f"p{p}"
        found = [_evidence_item(draw, person, k) for k in range(draw(st.integers(0, 12)))]
        excluded = draw(st.sampled_from([None, {}, {"no-time": 2}, {"old-photo": 1, "outlier": 3}]))
        as_columns = draw(st.booleans())
        people.append((person, EvidenceColumns(person, [found]) if as_columns else found, excluded))
    return people


@settings(max_examples=150, deadline=None)
@given(_people_evidence())
def test_usable_points_of_people_equal_each_alone(
    people: list[tuple[str, Sequence[Evidence], dict[str, int] | None]],
) -> None:
    """The usable points of people read together (their columns joined) equal each person's
    own: the analysis (usable items, reasons left out, in order, and note) and every column,
    bit for bit (people in columns and as objects, none usable, nothing at all)."""
    params = places.InferenceParams(max_upload_lag_days=365)
    together = places._usable_points_of_people(people, params)
    for (person, evidence, excluded), (analysis, points) in zip(people, together, strict=True):
        alone, alone_points = places._usable_points(person, evidence, params, excluded)
        assert analysis.person == alone.person
        assert analysis.evidence is evidence or analysis.evidence == alone.evidence
        assert analysis.usable == alone.usable
        assert list(analysis.excluded.items()) == list(alone.excluded.items())
        assert analysis.note == alone.note
        assert (points is None) == (alone_points is None)
        if points is None or alone_points is None:
            continue
        for name in ("index", "lat", "lon", "part", "day", "local", "utc_us", "has_utc", "hour"):
            got, expected = getattr(points, name), getattr(alone_points, name)
            assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes(), name
        for got, expected in zip(points.xyz, alone_points.xyz, strict=True):
            assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 70), min_size=1, max_size=12), st.integers(2, 9),
       st.randoms(use_true_random=False), st.booleans())  # fmt: skip
def test_rota_sums_over_days_of_all_sets_at_once_equal_each_alone(
    counts: list[int], phases: int, rnd: random.Random, rota: bool
) -> None:
    """`roles._sums_over_days` (every set's days at once, the sets with the most days first)
    gives each set the sum `_by_day(table, days).sum(axis=2).T` gives it alone, bit for bit:
    sets without days (zeros), of equal and different sizes, in any order; a table of
    values of very different sizes and of both zeros (where the order of the additions
    shows; of more than one phase: numpy sums a one-phase table's days pairwise), and the
    rota's own tables (the shifts' log probabilities beside the 0/1 table of
    the shifts named)."""
    if rota:
        table = roles._ROTA_SHIFTS_BY_DAY[rnd.randrange(2)]
    else:
        values = [0.0, -0.0, 1e16, -1e16, 1.0, 0.1, -2.5, 3e-17]
        table = np.array([[rnd.choice(values) * rnd.uniform(0.5, 2) if rnd.random() < 0.7
                           else rnd.choice(values) for _ in range(phases)] for _ in range(13)])  # fmt: skip
    days = [np.array([rnd.randrange(table.shape[0]) for _ in range(n)], dtype=np.int64)
            for n in counts]  # fmt: skip
    got = roles._sums_over_days(table, np.concatenate(days), np.array(counts, dtype=np.int64))
    assert got.shape == (len(counts), table.shape[1]) and got.dtype == np.float64
    for k, at in enumerate(days):
        alone = (roles._by_day(table, at[None, :]).sum(axis=2).T[0] if at.size
                 else np.zeros(table.shape[1]))  # fmt: skip
        assert got[k].tobytes() == alone.tobytes()


def test_rota_shift_tables_side_by_side_are_the_shifts_and_the_named_days() -> None:
    """The tables the days read as a shift are summed over: each shift's log probabilities
    by position of the cycle, then 1.0 where the rota names a shift (D or N) there."""
    _, _, _, shifts = _ROTA_TABLES
    named = (shifts[0] != 0.0).T.astype(np.float64)
    for k, table in enumerate(roles._ROTA_SHIFTS_BY_DAY):
        expected = np.hstack([shifts[k].T, named])
        assert table.flags.c_contiguous and table.tobytes() == expected.tobytes()


@st.composite
def _home_clusters(
    draw: st.DrawFn,
) -> list[tuple[places._Points, NDArray[np.int64], int | None]]:
    """People's points around a home (up to ~600 m off, any latitude and both sides of the
    antimeridian), home-scale labels -1..2 and the home cluster (or none): 1-160 points, most
    of them in the home cluster."""
    people = []
    for _ in range(draw(st.integers(1, 6))):
        n = draw(st.integers(1, 160))
        lat0 = draw(st.floats(-80.0, 80.0))
        lon0 = draw(st.sampled_from([-179.999, -73.9, 0.0, 18.9, 179.999]))
        rnd = draw(st.randoms(use_true_random=False))
        spread = draw(st.sampled_from([1e-4, 2e-3, 6e-3]))
        lat = np.array([lat0 + rnd.uniform(-spread, spread) for _ in range(n)])
        lon = np.array([(lon0 + rnd.uniform(-spread, spread) + 180.0) % 360.0 - 180.0
                        for _ in range(n)])  # fmt: skip
        weight = np.array([rnd.choice([0.02, 0.1, 0.2]) for _ in range(n)])
        part = np.array([rnd.randrange(N_BINS) for _ in range(n)], dtype=np.int64)
        local = np.array([738_000 + rnd.randrange(60) for _ in range(n)], dtype=np.int64)
        phi, lmb = np.radians(lat), np.radians(lon)
        xyz = (weight * np.cos(phi) * np.cos(lmb), weight * np.cos(phi) * np.sin(lmb),
               weight * np.sin(phi))  # fmt: skip
        points = places._Points(
            np.arange(n), lat, lon, part, local, local, np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=bool), xyz, np.zeros(n, dtype=np.int64),
        )  # fmt: skip
        home = draw(st.sampled_from([None, 0, 1, 2]))
        # most points in the home cluster (runs of night points past numpy's 8 and 128)
        labels = np.array([rnd.choice([0 if home is None else home] * 3 + [-1, 0, 1, 2])
                           for _ in range(n)], dtype=np.int64)  # fmt: skip
        people.append((points, labels, home))
    return people


@settings(max_examples=200, deadline=None)
@given(_home_clusters(), st.sampled_from([50.0, 150.0, 400.0]))
def test_distances_from_beds_of_many_people_equal_each_alone(
    people: list[tuple[places._Points, NDArray[np.int64], int | None]], eps_m: float
) -> None:
    """Each home cluster point's distance from the bed, for many people at once, equals the
    person's own (`haversine_m_array` from the centre of their night points) bit for bit,
    and so the points found far from the bed (no home, no night there, runs of 1-160
    points)."""
    params = places.InferenceParams(eps_m=eps_m)
    distance_m, _, _ = places._bed_distances_m(people)
    far_of = places._far_from_beds(people, params)
    start = 0
    for (points, labels, home), far in zip(people, far_of, strict=True):
        own = distance_m[start : start + labels.size]
        start += labels.size
        mine = labels == (-2 if home is None else home)
        night = mine & ((points.part == roles.WEEKNIGHT) | (points.part == roles.WEEKEND_NIGHT))
        if not night.any():
            assert np.isnan(own).all() and far is None
            continue
        bed = places.centre_of_sums(*(float(v[night].sum()) for v in points.xyz))
        at = np.flatnonzero(mine)
        expected = places.haversine_m_array(points.lat[at], points.lon[at], bed.lat, bed.lon)
        assert own[at].tobytes() == expected.tobytes()
        assert np.isnan(own[~mine]).all()
        alone = np.zeros_like(mine)
        alone[at] = expected > eps_m
        if not alone.any() or (alone & night).any():
            assert far is None
        else:
            assert far is not None and far.tolist() == alone.tolist()


@st.composite
def _fits(draw: st.DrawFn) -> list[RoleFit]:
    """Role fits of a few people: 0-300 scored assignments over 1-12 structures with work
    groups -1..4 (none given, some never chosen), scores far apart or tied."""
    fits = []
    for _ in range(draw(st.integers(1, 6))):
        rnd = draw(st.randoms(use_true_random=False))
        n_structures = draw(st.integers(1, 12))
        works = [rnd.randrange(-1, 5) for _ in range(n_structures)]
        n = draw(st.sampled_from([0, 1, 3, 7, 8, 9, 40, 129, 300]))
        scale = draw(st.sampled_from([0.0, 1.0, 30.0, 700.0]))
        fits.append(RoleFit(
            structures=[roles.Structure(home=0, work=w) for w in works],
            person_type=np.array([rnd.randrange(4) for _ in range(n)], dtype=np.int64),
            structure_index=np.array([rnd.randrange(n_structures) for _ in range(n)],
                                     dtype=np.int64),
            log_score=np.array([-scale * rnd.random() for _ in range(n)]),
        ))  # fmt: skip
    return fits


@settings(max_examples=200, deadline=None)
@given(_fits())
def test_work_marginals_of_many_fits_equal_each_alone(fits: list[RoleFit]) -> None:
    """`work_marginals_many` gives each fit's `work_marginals`, bit for bit (fits with no
    assignments, no work group, runs of fewer than 8 and more than 128 assignments)."""
    assert places.work_marginals_many(fits) == [places.work_marginals(fit) for fit in fits]


@st.composite
def _spanned_candidates(draw: st.DrawFn) -> list[places.Candidate]:
    """Candidates whose days `_core_span` reads: from a calendar (0-60 local dates, repeats,
    unsorted, far apart or in one week) or assigned dates (no calendar)."""
    cands = []
    for _ in range(draw(st.integers(0, 8))):
        first = draw(st.integers(1, 3_652_059 - 4_000))
        n_days = draw(st.integers(0, 60))
        width = draw(st.sampled_from([1, 7, 400, 4_000]))
        rnd = draw(st.randoms(use_true_random=False))
        local = np.array([first + rnd.randrange(width) for _ in range(n_days)], dtype=np.int64)
        cand = places.Candidate(indices=list(range(n_days)), position=LatLon(0.0, 0.0), rms_m=0.0)
        kind = draw(st.sampled_from(["calendar", "calendar", "dates"]))
        if kind == "calendar":
            zeros = np.zeros(n_days, dtype=np.int64)
            cand.calendar = places.Calendar(zeros, local, local, zeros)
        else:
            cand.day_sets["dates"] = {date.fromordinal(d) for d in local.tolist()}
        cands.append(cand)
    return cands


@settings(max_examples=300, deadline=None)
@given(_spanned_candidates())
def test_core_spans_at_once_equal_each_alone(cands: list[places.Candidate]) -> None:
    """`_core_spans` gives each candidate's `_core_span` (every count of distinct days from
    0 to 60: the 0.9 quantile's index rounds half to even, as `round`)."""
    assert places._core_spans(cands) == [places._core_span(cand) for cand in cands]


def test_core_spans_round_the_upper_index_as_round_does() -> None:
    """Days counts whose 0.9 quantile falls on a half (n - 1 = 5: 4.5 -> 4, as `round`),
    or just above one, pick the days `_core_span` picks."""
    cands = []
    for n in range(1, 40):
        zeros = np.zeros(n, dtype=np.int64)
        local = np.arange(700_000, 700_000 + n, dtype=np.int64)[::-1].copy()
        cand = places.Candidate(indices=list(range(n)), position=LatLon(0.0, 0.0), rms_m=0.0)
        cand.calendar = places.Calendar(zeros, local, local, zeros)
        cands.append(cand)
    assert places._core_spans(cands) == [places._core_span(cand) for cand in cands]


def _at_distance(start: LatLon, metres: float, bearing: float) -> LatLon:
    """The point `metres` from `start` on the sphere at `bearing` (radians), lon wrapped."""
    lat1, lon1 = math.radians(start.lat), math.radians(start.lon)
    angle = metres / EARTH_RADIUS_M
    lat2 = math.asin(math.sin(lat1) * math.cos(angle)
                     + math.cos(lat1) * math.sin(angle) * math.cos(bearing))  # fmt: skip
    lon2 = lon1 + math.atan2(math.sin(bearing) * math.sin(angle) * math.cos(lat1),
                             math.cos(angle) - math.sin(lat1) * math.sin(lat2))  # fmt: skip
    lon = (math.degrees(lon2) + 540.0) % 360.0 - 180.0
    return LatLon(max(-90.0, min(90.0, math.degrees(lat2))), lon)


def test_commute_bands_at_once_equal_each_pairs_band() -> None:
    """`_commute_bands` gives each pair `commute_band` of its distance: pairs at and either
    side of both limits by a few ulps to a metre (found by bisection on the distance
    itself), near the poles and across the antimeridian, at the same place and far apart."""
    rnd = random.Random(7)
    starts = [LatLon(0.0, 0.0), LatLon(51.5, -0.1), LatLon(-33.9, 151.2), LatLon(89.7, 10.0),
              LatLon(-89.9, -170.0), LatLon(12.0, 179.95), LatLon(-45.0, -179.99)]  # fmt: skip
    starts += [LatLon(rnd.uniform(-89.0, 89.0), rnd.uniform(-180.0, 180.0)) for _ in range(30)]
    homes, works = [], []
    for start in starts:
        for limit in (roles.LONG_COMMUTE_M, roles.FAR_WORKPLACE_M):
            bearing = rnd.uniform(0.0, 2 * math.pi)
            low, high = limit - 5.0, limit + 5.0  # the metres where the distance crosses it
            for _ in range(80):
                mid = (low + high) / 2
                if places._distance(start, _at_distance(start, mid, bearing)) > limit:
                    high = mid
                else:
                    low = mid
            for metres in (low, high, low - 1e-9, high + 1e-9, low - 1.0, high + 1.0):
                homes.append(start)
                works.append(_at_distance(start, metres, bearing))
        for metres in (0.0, 10.0, 59_000.0, 61_000.0, 99_000.0, 101_000.0, 5e6, 1.9e7):
            homes.append(start)
            works.append(_at_distance(start, metres, rnd.uniform(0.0, 2 * math.pi)))
    expected = [
        roles.commute_band(places._distance(h, w)) for h, w in zip(homes, works, strict=True)
    ]
    assert places._commute_bands(homes, works) == expected
    assert set(expected) == {0, 1, 2}
    assert places._commute_bands([], []) == []


def _ranked_person(
    k: int, rows: list[tuple[int, float, float, int | None]]
) -> tuple[list[Evidence], EvidenceColumns]:
    """Person `x{k}`'s evidence of (post, weight, accuracy, hour) rows, at (69.7, 179.9999):
    the objects (weight 1, accuracy 10 m) and their columns with the rows' weights and
    accuracies."""
    objects = [
        Evidence(
            post_id=f"p{post}",
            person=f"x{k}",
            position=LatLon(69.7, 179.9999),
            source=EvidenceSource.GEOTAG,
            accuracy_m=10.0,
            time_utc=None,
            local_time=None if hour is None else datetime(2025, 3, 3, hour, 30),
            weight=1.0,
        )
        for post, _, _, hour in rows
    ]
    made = EvidenceColumns(f"x{k}", [objects])
    made.weight = np.array([w for _, w, _, _ in rows], dtype=np.float64)
    made.accuracy_m = np.array([a for _, _, a, _ in rows], dtype=np.float64)
    return objects, made


def _when_text_by_count(cand: places.Candidate) -> str:
    """`places._when_text` as it was written: each count by `Candidate.count`."""
    parts = []
    nights = cand.count("nights")
    if nights:
        parts.append(f"at night on {nights} distinct night{'s' if nights != 1 else ''}")
    if evenings := cand.count("evenings"):
        parts.append(f"in the evening on {evenings} weekdays")
    if work_dates := cand.count("work_dates"):
        parts.append(f"in working hours (09-17) on {work_dates} weekdays")
    if weekend_days := cand.count("weekend_days"):
        parts.append(f"at weekends in daytime on {weekend_days} days")
    if not parts:
        parts.append(f"on {cand.n_dates} distinct days")
    text = "seen " + ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"{text}, in {cand.n_weeks} weeks{places._span_text(cand.first, cand.last)}"


_COUNT_NAMES = ("dates", "nights", "evenings", "weekend_days", "work_dates", "weeks")


@settings(max_examples=300, deadline=None)
@given(
    counts=st.dictionaries(st.sampled_from(_COUNT_NAMES), st.integers(0, 3)),
    sets=st.dictionaries(
        st.sampled_from(_COUNT_NAMES[:-1]),
        st.sets(st.dates(date(2020, 1, 1), date(2020, 2, 28)), max_size=4),
    ),
    days=st.lists(st.dates(date(2020, 1, 1), date(2020, 3, 31)), min_size=1, max_size=6),
)
def test_when_text_and_made_counts_are_counts(
    counts: dict[str, int], sets: dict[str, set[date]], days: list[date]
) -> None:
    """`_when_text` and `PlaceDraft.made` read a candidate's counts by one lookup where
    `Candidate.count` and `n_weeks` would give them (no day set, every one counted), and by
    them otherwise: the same text and numbers with counts missing, zero or one (plural and
    "no part" texts), day sets held (which `count` reads first), or counted from a
    calendar. Fails with the lookup taken while a day set is held."""
    ordinals = np.array(sorted(d.toordinal() for d in days), dtype=np.int64)
    n = len(ordinals)
    calendar = places.Calendar(
        part=np.full(n, WORK_HOURS, np.int64), day=ordinals, local=ordinals,
        hour=np.full(n, 10, np.int64),
    )  # fmt: skip
    first = datetime(2020, 1, 3, tzinfo=timezone.utc)
    cand = places.Candidate(
        indices=[0],
        position=LatLon(10.0, 20.0),
        rms_m=5.0,
        first=first,
        last=first + timedelta(days=40),
        calendar=calendar,
        day_sets=dict(sets),
        day_counts=dict(counts),
    )
    twin = replace(cand, day_sets=dict(sets), day_counts=dict(counts))
    assert places._when_text(cand) == _when_text_by_count(twin)
    draft = places.PlaceDraft(
        kind=PlaceKind.FREQUENT, cand=cand, evidence=[], floor_m=25.0, prefer="base",
        confidence=0.5, head="seen", tail="", counted=False, extra=EMPTY_EXTRA,
    )  # fmt: skip
    place = draft.made(("a",), 30.0)
    assert (place.days, place.nights, place.workdays) == (
        twin.n_dates, twin.count("nights"), twin.count("work_dates"),
    )  # fmt: skip
