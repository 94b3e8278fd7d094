"""A workplace as the anchor of the working day (`geoleak.infer.anchor`)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from infer_helpers import seen
from scipy import integrate, stats

import geoleak.infer as infer_module
import geoleak.infer.places as places_module
from geoleak.extract.evidence_columns import EvidenceColumns
from geoleak.geometry import destination, haversine_m
from geoleak.infer import LeakInference
from geoleak.infer.anchor import (
    HOME_AREA_M,
    OWN_PLACE_M,
    WALK_M,
    _chord,
    _distinct,
    _log_beta_greater,
    _maybe_anchors_of_people,
    _unit,
    anchor_log_bayes_factor,
    anchor_log_odds,
    anchor_log_odds_of_people,
)
from geoleak.infer.places import PersonAnalysis, analyse_person, decide
from geoleak.infer.roles import N_BINS, WORK_HOURS, bins_of
from geoleak.types import Evidence, LatLon, PlaceKind

HOME = LatLon(69.65, 18.95)  # Tromso, far north
WORK = destination(HOME, 120.0, 9_000.0)
LUNCHES = [destination(WORK, bearing, 700.0) for bearing in (30.0, 150.0, 270.0)]  # walks away
START = date(2025, 1, 6)  # a Monday


@pytest.mark.parametrize(("a1", "b1", "a2", "b2"), [(1, 1, 1, 1), (3, 5, 2, 9), (6, 2, 1, 12)])
def test_beta_inequality_is_exact(a1: int, b1: int, a2: int, b2: int) -> None:
    numeric, _ = integrate.quad(
        lambda y: stats.beta.pdf(y, a2, b2) * stats.beta.sf(y, a1, b1), 0.0, 1.0
    )
    assert math.exp(_log_beta_greater(a1, b1, a2, b2)) == pytest.approx(numeric, rel=1e-7)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(3, 8, 1, 30), (1, 5, 4, 20), (2, 2, 0, 3)])
def test_bayes_factor_is_the_one_sided_marginal_likelihood_ratio(
    k1: int, n1: int, k2: int, n2: int
) -> None:
    def lik(r: float, k: int, n: int) -> float:
        return float(r**k * (1.0 - r) ** (n - k))

    # H1: r1 > r2, uniform on that half of the square (density 2).
    h1, _ = integrate.dblquad(
        lambda r1, r2: 2.0 * lik(r1, k1, n1) * lik(r2, k2, n2), 0.0, 1.0, lambda r2: r2, 1.0
    )
    h0, _ = integrate.quad(lambda r: lik(r, k1, n1) * lik(r, k2, n2), 0.0, 1.0)
    assert anchor_log_bayes_factor(k1, n1, k2, n2) == pytest.approx(math.log(h1 / h0), abs=1e-6)


def test_bayes_factor_reads_the_direction_and_no_outings_as_nothing() -> None:
    assert anchor_log_bayes_factor(4, 10, 1, 40) > 1.0  # around it in working hours only
    assert anchor_log_bayes_factor(1, 40, 4, 10) < 0.0  # around it at other times
    assert anchor_log_bayes_factor(2, 2, 0, 0) == 0.0


def _at(person: str, place: LatLon, day: int, hour: float, rng: random.Random) -> Evidence:
    local = datetime.combine(START + timedelta(days=day), datetime.min.time()) + timedelta(
        hours=hour
    )
    return seen(person, place, local, rng=rng)


def _week_of_life(person: str, seed: int, *, worker: bool) -> list[Evidence]:
    """Home at night; outings around the home (a new place each time) in weekday evenings and
    at weekends. A worker is
    seen at a workplace 9 km away on four weekdays in all and at lunch a walk from it on six;
    a person with no workplace also runs weekday errands near the home, and goes to that part
    of town (the same places) in the working day, in the evening and at weekends alike, as
    often as their outings fall in each."""
    rng = random.Random(f"{person}-{seed}")
    out: list[Evidence] = []

    def leisure() -> LatLon:  # somewhere new each time, 2-5 km from the home
        return destination(HOME, rng.uniform(0.0, 360.0), rng.uniform(2_000.0, 5_000.0))

    for week in range(30):
        base = 7 * week
        for day in rng.sample(range(7), 4):
            out.append(_at(person, HOME, base + day, rng.choice((21.5, 22.5, 23.0)), rng))
        out.append(_at(person, leisure(), base + rng.choice((5, 6)), 15.0, rng))
        out.append(_at(person, leisure(), base + rng.randrange(5), 19.5, rng))
        out.append(_at(person, leisure(), base + rng.randrange(5), 11.0, rng))
    if worker:
        for day in (2, 23, 51, 87):
            out.append(_at(person, WORK, day, 10.5, rng))
        for k, day in enumerate((9, 30, 65, 100, 128, 149)):
            out.append(_at(person, LUNCHES[k % 3], day, 12.5, rng))
    else:  # working hours on weekdays 2, 23, 87, 128; evenings 30, 65, 100; weekends 54, 82, 145
        visits = [(2, 14.0), (23, 11.0), (87, 15.5), (128, 13.0), (30, 19.5), (65, 20.0),
                  (100, 19.0), (54, 15.0), (82, 14.0), (145, 16.0)]  # fmt: skip
        for k, (day, hour) in enumerate(visits):
            spot = WORK if k % 2 == 0 else LUNCHES[(k // 2) % 3]
            out.append(_at(person, spot, day, hour, rng))
    return out


def _anchors(evidence: list[Evidence]) -> tuple[dict[int, float], int | None]:
    """The person's anchor log-odds by work candidate, and the candidate at WORK (or None)."""
    analysis = analyse_person(evidence[0].person, evidence, LeakInference()._validated())
    at_work = [k for k, c in enumerate(analysis.work_candidates)
               if haversine_m(c.position, WORK) < 200]  # fmt: skip
    return anchor_log_odds(analysis), (at_work[0] if at_work else None)


def test_a_workplace_with_lunch_a_walk_away_is_an_anchor() -> None:
    found = [_anchors(_week_of_life(f"p{seed}", seed, worker=True)) for seed in range(8)]
    at_work = [odds.get(k, 0.0) for odds, k in found if k is not None]
    assert len(at_work) >= 4
    assert min(at_work) > 1.5


@pytest.mark.parametrize("seed", range(8))
def test_a_part_of_town_visited_at_any_hour_is_no_anchor(seed: int) -> None:
    """The part of town is no anchor; a chain of the person's outings somewhere else may be
    a weak one by chance (seen at 0.9 log units), never a strong one."""
    odds, k = _anchors(_week_of_life("ben", seed, worker=False))
    assert k is None or k not in odds
    assert max(odds.values(), default=0.0) < 2.0


def _base_confidences(worker: bool) -> list[float]:
    """Per seed, the confidence of a base given within 500 m of WORK (0 for none)."""
    out = []
    for seed in range(8):
        evidence = _week_of_life(f"p{seed}", seed, worker=worker)
        profile = LeakInference().fit({evidence[0].person: evidence}).profiles_[0]
        base = profile.place(PlaceKind.BASE)
        right = base is not None and haversine_m(base.position, WORK) <= 500
        out.append(base.confidence if base is not None and right else 0.0)
    return out


def test_the_anchor_raises_a_thin_workplace(monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: eight thin workers (four weekdays at work, errands near the home on
    weekdays too) are given their base at 0.9 or more with the anchor where they get it at
    about 0.67 without; no base for eight people with no workplace."""
    with_anchor = _base_confidences(worker=True)
    assert _base_confidences(worker=False) == [0.0] * 8
    for module in (infer_module, places_module):
        monkeypatch.setattr(module, "anchor_log_odds", lambda _analysis: {})
    without = _base_confidences(worker=True)
    given = [k for k, c in enumerate(without) if c > 0]
    assert len(given) >= 4
    assert all(with_anchor[k] >= 0.9 > without[k] for k in given)
    assert [c > 0 for c in with_anchor] == [c > 0 for c in without]


def _anchor_log_odds_by_definition(analysis: PersonAnalysis) -> dict[int, float]:
    """`anchor_log_odds` as first written: every point against every candidate away from the
    home, no test first (the factors it gives are the definition)."""
    works, homes = analysis.work_candidates, analysis.home_candidates
    if not works or not homes or not analysis.usable:
        return {}
    home_units = _unit(
        np.array([h.position.lat for h in homes]), np.array([h.position.lon for h in homes])
    )
    work_units = _unit(
        np.array([c.position.lat for c in works]), np.array([c.position.lon for c in works])
    )
    far = np.linalg.norm(work_units - home_units[0], axis=1) > _chord(HOME_AREA_M)
    if not far.any():
        return {}
    chosen = [analysis.evidence[i] for i in analysis.usable]
    times = [ev.local_time for ev in chosen]
    part, day = bins_of(
        np.array([t.hour if t is not None else 0 for t in times], dtype=np.int64),
        np.array([t.toordinal() if t is not None else 0 for t in times], dtype=np.int64),
    )
    points = _unit(
        np.array([ev.position.lat for ev in chosen]), np.array([ev.position.lon for ev in chosen])
    )
    away = (np.linalg.norm(points[:, None, :] - home_units[None, :, :], axis=2)
            > _chord(HOME_AREA_M)).all(axis=1)  # fmt: skip
    working = part == WORK_HOURS
    cell = day * N_BINS + part
    out: dict[int, float] = {}
    for k in np.flatnonzero(far).tolist():
        chord = np.linalg.norm(points - work_units[k], axis=1)
        outing = away & (chord > _chord(OWN_PLACE_M))
        near = outing & (chord <= _chord(WALK_M))
        k1 = _distinct(cell[near & working])
        if k1 == 0:
            continue
        n1 = _distinct(cell[outing & working])
        k2, n2 = _distinct(cell[near & ~working]), _distinct(cell[outing & ~working])
        log_bf = anchor_log_bayes_factor(k1, n1, k2, n2)
        if log_bf > 0.0:
            out[k] = log_bf
    return out


def _with_edge_outings(analysis: PersonAnalysis, rng: random.Random) -> list[PersonAnalysis]:
    """The analysis with its working-hours points replaced by one outing at a hair (a tenth
    of a millimetre) either side of a radius of the test (the candidate's own spot, a walk,
    a home's area) around one of its candidates, due north, due south (a walk's latitudes)
    or anywhere, one analysis for each: the point the cheap tests first read loosely is the
    only one that can make a factor."""
    local = [analysis.evidence[i].local_time for i in analysis.usable]
    part, _ = bins_of(
        np.array([t.hour for t in local if t is not None], dtype=np.int64),
        np.array([t.toordinal() for t in local if t is not None], dtype=np.int64),
    )
    others = [i for i, p in zip(analysis.usable, part.tolist(), strict=True) if p != WORK_HOURS]
    out = []
    centres = [c.position for c in analysis.work_candidates + analysis.home_candidates]
    for n, centre in enumerate(centres):
        for radius in (OWN_PLACE_M, WALK_M, HOME_AREA_M):
            for hair, way in itertools.product((-1e-4, 1e-4), (0.0, 180.0, None)):
                bearing = rng.uniform(0.0, 360.0) if way is None else way
                place = destination(centre, bearing, radius + hair)
                day = 7 * (n + 1) + rng.randrange(5)  # a weekday
                edge = replace_position(_at(analysis.person, place, day, 10.5, rng), place)
                out.append(PersonAnalysis(
                    analysis.person, [*analysis.evidence, edge], analysis.base_candidates,
                    analysis.excluded, [*others, len(analysis.evidence)],
                    analysis.home_candidates, analysis.work_candidates,
                ))  # fmt: skip
    return out


def replace_position(ev: Evidence, place: LatLon) -> Evidence:
    """`ev` at exactly `place` (`seen` moves it by a random jitter)."""
    return dataclasses.replace(ev, position=place)


@pytest.mark.parametrize("seed", range(6))
def test_the_cheap_tests_first_give_the_factors_of_the_definition(seed: int) -> None:
    """Every person's factors equal the definition's, float for float, with outings at a
    hair either side of each radius, from the objects and from the columns alike."""
    rng = random.Random(seed)
    for worker in (True, False):
        evidence = _week_of_life(f"p{seed}", seed, worker=worker)
        analysis = analyse_person(evidence[0].person, evidence, LeakInference()._validated())
        for person in [analysis, *_with_edge_outings(analysis, rng)]:
            want = _anchor_log_odds_by_definition(person)
            assert anchor_log_odds(person) == want
            assert list(anchor_log_odds(person)) == list(want)
            columns = EvidenceColumns(person.person, [list(person.evidence)])
            person.evidence = columns
            assert anchor_log_odds(person) == want


def test_decide_reads_the_anchor_only_for_a_positive_boost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`decide` gives a thin place (here: fewer duty days than `min_base_days`) its base
    only where its boost is more than the anchor; the anchor is never negative, so with no
    positive boost it is not computed, and the decision is the same."""
    evidence = _week_of_life("p0", 0, worker=True)
    params = dataclasses.replace(LeakInference()._validated(), min_base_days=50)
    analysis = analyse_person(evidence[0].person, evidence, params)
    calls: list[int] = []

    def counted(person: PersonAnalysis) -> dict[int, float]:
        calls.append(1)
        return anchor_log_odds(person)

    lowered = dict.fromkeys(range(len(analysis.work_candidates)), -0.5)
    want = decide(analysis, params, lowered)
    monkeypatch.setattr(places_module, "anchor_log_odds", counted)
    assert decide(analysis, params, lowered) == want
    assert want.base is None
    assert calls == []
    decide(analysis, params, dict.fromkeys(range(len(analysis.work_candidates)), 0.5))
    assert calls == [1]  # the thin place was read


_POOL: list[PersonAnalysis] = []


def _pool() -> list[PersonAnalysis]:
    """People of two weeks each (workers and not), each also with an outing a hair either
    side of each radius around each candidate (`_with_edge_outings`): made once. Some
    have factors and some candidates the loose test keeps get none."""
    if not _POOL:
        rng = random.Random(7)
        for seed in range(2):
            for worker in (True, False):
                evidence = _week_of_life(f"p{seed}{worker}", seed, worker=worker)
                analysis = analyse_person(
                    evidence[0].person, evidence, LeakInference()._validated()
                )
                _POOL.extend([analysis, *_with_edge_outings(analysis, rng)])
    return _POOL


def test_the_whole_pool_at_once_gives_each_ones_factors() -> None:
    pool = [_as_columns(person) for person in _pool()]
    kept = _maybe_anchors_of_people(pool)
    factors = anchor_log_odds_of_people(pool)
    assert sum(bool(f) for f in factors) >= 5
    assert any(maybe - set(f) for maybe, f in zip(kept, factors, strict=True))
    for person, got in zip(pool, factors, strict=True):  # the whole pool at once
        assert got == anchor_log_odds(person)
        assert list(got) == list(anchor_log_odds(person))


def _as_columns(analysis: PersonAnalysis) -> PersonAnalysis:
    columns = EvidenceColumns(analysis.person, [list(analysis.evidence)])
    return dataclasses.replace(analysis, evidence=columns)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from(["columns", "objects", "none"])),
        max_size=12,
    )
)
def test_people_at_once_give_each_ones_factors(picks: list[tuple[int, str]]) -> None:
    """`anchor_log_odds_of_people` on any mix of people (columns or objects; some with no
    work candidate or no usable point) gives each one's `anchor_log_odds`, float for float
    and in key order, and the definition's."""
    pool = _pool()
    people = []
    for pick, kind in picks:
        person = pool[pick % len(pool)]
        if kind == "none":
            person = dataclasses.replace(
                person, work_candidates=[] if pick % 2 else person.work_candidates, usable=[]
            )
        people.append(_as_columns(person) if kind != "objects" else person)
    together = anchor_log_odds_of_people(people)
    assert len(together) == len(people)
    for person, got in zip(people, together, strict=True):
        alone = anchor_log_odds(person)
        assert got == alone == _anchor_log_odds_by_definition(person)
        assert list(got) == list(alone)
