"""Cross-person analysis: duty places shared by several people are sites.

One person's weekday photos near a field say little; the same field in the weekday photos
of eight people is a base. This aggregation is what made the Zhenhua Data and Strava
cases dangerous, so geoleak does it too: it clusters every person's duty-place candidates,
keeps clusters tied to several people as sites, and gives each person's base from the
site (whose centre, estimated from everybody's evidence, is better than any one person's)
where most of its members are seen at a spot shared with a colleague
(`colleagues_share_a_spot`); where they are not, the site is neighbouring workplaces and each
keeps their own.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from functools import partial
from typing import Any, NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

from geoleak.extract.evidence_columns import point_columns
from geoleak.geometry import EARTH_RADIUS_M, haversine_m_array, mean_position
from geoleak.infer.cluster import cluster_count, cluster_labels, cluster_labels_of_people
from geoleak.infer.places import Candidate, InferenceParams, PersonAnalysis
from geoleak.types import SharedSite, replaced

__all__ = [
    "SiteMembers",
    "SiteOdds",
    "colleagues_share_a_spot",
    "find_sites",
    "in_reach_of_sites",
    "numbered_sites",
    "positions_share_a_spot",
    "positions_share_a_spot_many",
    "site_entry_positions",
    "site_log_odds",
    "site_log_odds_of_candidates",
    "site_log_odds_of_sums",
    "site_radius_m",
    "site_workplace_share",
]

MAX_CANDIDATES_PER_PERSON = 5


# The site type itself is geoleak.types.SharedSite (frozen); which of each member's own
# candidates lies in it is inference-internal and kept beside it.
SiteMembers = MutableMapping[str, Candidate]
M = TypeVar("M")  # what is kept beside each site: its members


class SiteOdds(NamedTuple):
    """What the corpus's sites say of a person's place (`site_log_odds`): the log likelihood
    ratios that a workplace candidate is the person's workplace given that it is (`inside`)
    or is not (`outside`) their place in a site where others work, and P(workplace | a place
    in reach of a site) (`membership_share`): the confidence of a base given through site
    membership alone (`geoleak.infer._base_by_site_membership`)."""

    inside: float
    outside: float
    membership_share: float


def find_sites(
    analyses: Sequence[PersonAnalysis],
    params: InferenceParams,
    labels: NDArray[np.int64] | None = None,
) -> list[tuple[SharedSite, SiteMembers]]:
    """Sites from the duty-place candidates of every person.

    A large installation can break one person's duty evidence into several clusters
    (hangars a kilometre apart); every candidate of every member counts towards the site's
    centre, and each member is represented by their strongest candidate there.

    A site is the evidence of colleagues seen at one workplace, so at least one member must
    stand there on their own evidence: their own posterior before sites that the place is
    their workplace (`Candidate.score`) is `params.min_confidence` or more, or they are seen
    there on `params.min_base_days` weekdays or more (what a base needs of one person's own
    evidence). Places that every member has seen on two days or so, and reads as a
    workplace below even odds, are as likely to be somewhere people with no workplace
    passed by (a weekday evening fits an evening shift): the corpus's odds for a place in
    a site, learnt from sites where people do work, would give each of them a base at
    0.85 (`benchmarks/README.md`, thinsite). Such a group is no site; its members' places
    count as outside every site.

    `labels`: the candidates' `cluster_labels` at `params.site_eps_m` (two samples), in the
    order of `site_entries`, when the caller has them (`geoleak.engine` labels a task's
    groups at once).
    """
    entries: list[tuple[PersonAnalysis, Candidate]] = []
    for analysis in analyses:
        for cand in analysis.base_candidates[:MAX_CANDIDATES_PER_PERSON]:
            entries.append((analysis, cand))
    if len(entries) < params.min_site_people:
        return []
    if labels is None:
        lats, lons = site_entry_positions(analyses)
        labels = cluster_labels(lats, lons, eps_m=params.site_eps_m, min_samples=2)
    groups: dict[int, list[tuple[PersonAnalysis, Candidate]]] = {}
    for entry, label in zip(entries, labels, strict=True):
        if label >= 0:
            groups.setdefault(int(label), []).append(entry)
    found: list[tuple[SharedSite, SiteMembers]] = []
    for members in groups.values():
        by_person: dict[str, Candidate] = {}
        for analysis, cand in members:
            best = by_person.get(analysis.person)
            if best is None or cand.score > best.score:
                by_person[analysis.person] = cand
        if len(by_person) < params.min_site_people:
            continue
        duty_days: dict[str, set[object]] = {}
        for analysis, cand in members:
            duty_days.setdefault(analysis.person, set()).update(cand.duty_dates)
        if not any(
            by_person[person].score >= params.min_confidence
            or len(days_seen) >= params.min_base_days
            for person, days_seen in duty_days.items()
        ):
            continue  # thin places that stand only on each other: no site
        columns = [point_columns(analysis.evidence, cand.indices) for analysis, cand in members]
        pts_lat, pts_lon, weights = (np.concatenate(c) for c in zip(*columns, strict=True))
        days = sum(len(d) for d in duty_days.values())
        centre = mean_position(pts_lat, pts_lon, weights)
        dist = haversine_m_array(pts_lat, pts_lon, centre.lat, centre.lon)
        rms = float(np.sqrt(np.mean(dist**2)))
        radius = site_radius_m(rms, days, partial(cluster_count, pts_lat, pts_lon, eps_m=60.0))
        site = SharedSite("", centre, radius, tuple(sorted(by_person)), len(pts_lat), days)
        found.append((site, by_person))
    return numbered_sites(found)


def site_entry_positions(analyses: Sequence[PersonAnalysis]) -> tuple[list[float], list[float]]:
    """The latitudes and longitudes of the candidates `find_sites` clusters: each person's
    first `MAX_CANDIDATES_PER_PERSON` duty-place candidates, in order."""
    cands = [c for a in analyses for c in a.base_candidates[:MAX_CANDIDATES_PER_PERSON]]
    return [c.position.lat for c in cands], [c.position.lon for c in cands]


def site_radius_m(rms_m: float, days: int, count_spots: Callable[[], int]) -> float:
    """A site's radius (metres) from its evidence's spread about the centre (`rms_m`), its
    members' duty days (`days`) and the count of spots its posts come from
    (`count_spots()`: `cluster_count` of the posts at 60 m), called only where it matters.

    Uncertainty of the centre. Posts come from a few spots (buildings, gates), so the
    independent samples are the distinct spots, not the posts: the centre of k spots
    scattered over a site of spread `rms_m` is off by about rms_m / sqrt(k). The radius is
    at least 75 m; where it is 75 m even at k = 1, it is 75 m at every k (x / sqrt(k) <= x
    for k >= 1 in floating point too, as rounding keeps order), so the spots are not
    counted (about a fifth of the sites of 500 k located posts, issue 15).
    """
    spread = 2.5 * rms_m / math.sqrt(max(days, 1))
    if 2.0 * rms_m + spread <= 75.0:
        return 75.0
    k = max(1, count_spots())
    return max(75.0, 2.0 * rms_m / math.sqrt(k) + spread)


# The share of a site's members whose place lies at a spot shared with a colleague that
# makes the site one installation: most of them (`colleagues_share_a_spot`).
SHARED_SPOT_SHARE = 0.5


def colleagues_share_a_spot(members: SiteMembers, spot_m: float) -> bool:
    """Whether a site's members are seen at shared spots: at least `SHARED_SPOT_SHARE` of
    their places in the site (each member's strongest candidate there) lie within `spot_m`
    metres of another member's.

    A site is found by chaining workplaces up to `site_eps_m` (1 km) apart, so it is either
    one installation whose staff share buildings (a garrison, a hospital: colleagues seen at
    the same spot) or neighbouring workplaces of people who never meet (a city centre, where
    many people work within a kilometre of each other by chance). In the second, the site's
    centre is nobody's workplace: given as each member's base it moved bases that stood on
    the person's own spot 500 m to 1.3 km away (corpora of the periodic mobility model of
    Cho, Myers & Leskovec 2011, `benchmarks/pmm_corpus.py`, where each person has a
    workplace of their own: bases right 264 -> 298 of 365, `benchmarks/README.md`,
    sitespot). Of the sites of our other families, where staff share sites, 56-96 % of
    members share a spot with a colleague within 150 m; of those chance sites, 3 %.
    `spot_m` is `2 * eps_m` (200 m) where `geoleak.infer` asks: two place clusters of
    radius `eps_m` at one spot have centres that close.

    A share of the members, not any two of them: a site of n members has n(n-1)/2 pairs,
    so the chance that two of them work within 200 m of each other by chance grows with
    the site, and a city centre's chained site of eleven people who never meet (55 pairs)
    had one, which moved all eleven bases to its centre, 0.6-2 km from where each was
    seen (issue 11, zipf17: bases within 500 m on the periodic development corpora
    184 -> 188 of 244, time-use 317 -> 319 of 343; held out, periodic 81.9 -> 83.3 %, the
    other families unchanged; `benchmarks/README.md`).
    The share of members at a shared spot does not grow with the site that way (in a
    chained site the area grows with the members). Sites of up to four members read as
    before (one pair is half of them)."""
    if len(members) < 2:
        return False
    return positions_share_a_spot(*_member_positions(members), spot_m)


def _member_positions(members: SiteMembers) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The members' places' latitudes and longitudes (float64 arrays, in the members' order)."""
    from_rows = getattr(members, "positions", None)  # the store engine's rows, no candidates
    if from_rows is not None:
        lats, lons = from_rows()
        return np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64)
    lats = np.array([c.position.lat for c in members.values()], dtype=np.float64)
    lons = np.array([c.position.lon for c in members.values()], dtype=np.float64)
    return lats, lons


def positions_share_a_spot(
    lats: NDArray[np.float64], lons: NDArray[np.float64], spot_m: float
) -> bool:
    """`colleagues_share_a_spot` of the members' places' positions (a place within
    `spot_m` of another is in a cluster of two or more: labelled)."""
    if len(lats) < 2:
        return False
    shared = cluster_labels(lats, lons, eps_m=spot_m, min_samples=2) >= 0
    return bool(shared.mean() >= SHARED_SPOT_SHARE)


def positions_share_a_spot_many(
    places: Sequence[tuple[NDArray[np.float64], NDArray[np.float64]]], spot_m: float
) -> list[bool]:
    """`positions_share_a_spot` of each site's members' places (`places`: latitudes and
    longitudes, one pair a site), the sites of two or more clustered at once
    (`cluster_labels_of_people` gives each its `cluster_labels`)."""
    many = [k for k, (lats, _) in enumerate(places) if len(lats) >= 2]
    labels = cluster_labels_of_people(
        [(np.asarray(places[k][0], dtype=np.float64), np.asarray(places[k][1], dtype=np.float64))
         for k in many],
        eps_ms=[spot_m],
        min_samples=2,
    )  # fmt: skip
    shared = [False] * len(places)
    for k, (site_labels,) in zip(many, labels, strict=True):
        shared[k] = bool((site_labels >= 0).mean() >= SHARED_SPOT_SHARE)
    return shared


def numbered_sites(found: list[tuple[SharedSite, M]]) -> list[tuple[SharedSite, M]]:
    """Sites numbered S1, S2, ... in one order for every engine, worker count and block
    layout: the most people first, then the most evidence, then by position, then members."""
    found = sorted(
        found,
        key=lambda item: (
            -len(item[0].people),
            -item[0].evidence_count,
            item[0].position.lat,
            item[0].position.lon,
            item[0].people,
        ),
    )
    return [
        (replaced(site, site_id=f"S{number}"), members)
        for number, (site, members) in enumerate(found, start=1)
    ]


def site_workplace_share(sites: Iterable[tuple[SharedSite, SiteMembers]]) -> float:
    """The share of workplaces among the site members' places, each counted as a workplace
    by its member's own posterior before sites (`Candidate.score`), with half a place added
    to each side (Jeffreys). Sites of one person do not count; no such sites: 0.5.
    `math.fsum` makes it independent of the order of sites and members, so every engine
    gets the same float.

    The confidence of a base through site membership where the site odds are fixed
    (`shared_site_odds`); estimated, it is `SiteOdds.membership_share`, of every candidate
    in reach of a site: each member's place here is their highest-scoring candidate in a
    site that needs one confident member, the selection that made the site odds too high
    where workplaces chain by chance (`site_log_odds`), and it gave three of the periodic
    mobility development corpora's false bases at 0.77-0.82 (`benchmarks/README.md`,
    memb15).
    """
    scores = [
        cand.score for site, members in sites if len(site.people) >= 2 for cand in members.values()
    ]
    return workplace_share_of_scores(scores)


def workplace_share_of_scores(scores: Sequence[float]) -> float:
    """`site_workplace_share` of the members' scores (sites of two or more people)."""
    return (math.fsum(scores) + 0.5) / (len(scores) + 1.0)


def site_log_odds(
    analyses: Sequence[PersonAnalysis],
    sites: Sequence[tuple[SharedSite, SiteMembers]],
    fixed_odds: float | None = None,
    work: tuple[Sequence[float], Sequence[float], Sequence[float]] | None = None,
    *,
    spot_m: float = 200.0,
    reach_m: float = 1000.0,
) -> SiteOdds:
    """Log likelihood ratios that a person's workplace candidate is their workplace, given
    that it is (first) or is not (second) their place in a site where others work, and the
    share of workplaces among the places in reach of a site (third; `SiteOdds`).

    Estimated from the corpus (empirical Bayes): each workplace candidate counts as a
    workplace by its own posterior probability before sites (`Candidate.score`) and as
    another place by the rest, with half a candidate added to each count (Jeffreys) so a
    small corpus gives ratios near 1. No sites: (0, 0, 0.5), nothing to learn. `fixed_odds`
    (the `shared_site_odds` parameter) instead fixes the odds ratio inside a site and
    leaves candidates outside sites as they are (the share: `site_workplace_share`).

    Inside a site: the ratio of the event "the candidate lies in reach of a site member's
    place" (`in_reach_of_sites`: within `spot_m` of one where the site's colleagues share a
    spot, within `reach_m`, the chaining distance, of one where they do not), over every
    workplace candidate. Which candidate stands for a member (their highest-scoring one in
    the chain) and whether a chain is a site (one confident member) are chosen by the
    scores themselves, so the shares of members' places alone over-state the ratio where
    workplaces chain by chance (a city: each person's best place is a member of some chain;
    `benchmarks/README.md`, pmmdev and siteodds); the event in reach is the same for every
    candidate, whatever its score, and counts the places the same geography puts near
    sites by chance. The scores as labels bias a ratio towards 1 where they are uncertain
    (non-differential misclassification), so the ratio is refitted with each candidate's
    posterior given its event as its label until it settles (EM: Dempster, Laird & Rubin
    1977, the event a feature independent of the own evidence given the role; `_em_log_odds`).

    The share: the refitted labels' share of workplaces among the candidates in reach
    (`_em_log_odds`), P(workplace | a place in reach of a site) without the selection of the
    members' places: the confidence of a base given to a person too thin on their own for
    weekday evidence inside a site (`geoleak.infer._base_by_site_membership`).

    Outside: the shares of members' places, as before: where many people share workplaces
    (a unit, a hospital's staff) a candidate outside every site is less likely a workplace;
    where few do, the ratio stays near 0 (`site_log_odds_of_sums`).

    `work`: every workplace candidate's score, latitude and longitude, in the order of
    `analyses` and their `work_candidates` (what the store engine keeps instead of the
    candidates); None reads the candidates.
    """
    if fixed_odds is not None:
        return SiteOdds(math.log(fixed_odds), 0.0, site_workplace_share(sites))
    shared = [(site, members) for site, members in sites if len(site.people) >= 2]
    if not shared:
        return SiteOdds(0.0, 0.0, 0.5)
    if work is None:
        cands = [c for a in analyses for c in a.work_candidates]
        work = (
            [c.score for c in cands],
            [c.position.lat for c in cands],
            [c.position.lon for c in cands],
        )
    inside_scores = [cand.score for _, members in shared for cand in members.values()]
    return site_log_odds_of_places(
        work,
        [_member_positions(members) for _, members in shared],
        inside_scores,
        spot_m=spot_m,
        reach_m=reach_m,
    )


def site_log_odds_of_places(
    work: tuple[Any, Any, Any],
    places: Sequence[tuple[NDArray[np.float64], NDArray[np.float64]]],
    member_scores: Sequence[float],
    *,
    spot_m: float,
    reach_m: float,
    shared: Sequence[bool] | None = None,
) -> SiteOdds:
    """`site_log_odds` of every workplace candidate's score, latitude and longitude
    (`work`), the members' places of each site of two or more people (`places`: their
    latitudes and longitudes, one pair of arrays a site, one site at least) and the
    members' scores, in the same order: what the in-memory engine reads of the candidates
    and the store's engine of its columns. `shared`: each site's `positions_share_a_spot`
    at `spot_m`, when the caller has them."""
    if shared is None:
        shared = positions_share_a_spot_many(places, spot_m)
    spots = [np.full(len(lats), s) for (lats, _), s in zip(places, shared, strict=True)]
    in_reach = in_reach_of_sites(
        np.asarray(work[1], dtype=np.float64),
        np.asarray(work[2], dtype=np.float64),
        np.concatenate([lats for lats, _ in places]),
        np.concatenate([lons for _, lons in places]),
        np.concatenate(spots),
        spot_m=spot_m,
        reach_m=reach_m,
    )
    return site_log_odds_of_candidates(
        np.asarray(work[0], dtype=np.float64), in_reach, member_scores
    )


def site_odds_of(
    analyses: Sequence[PersonAnalysis],
    sites: Sequence[tuple[SharedSite, SiteMembers]],
    params: InferenceParams,
) -> SiteOdds:
    """`site_log_odds` at the parameters' fixed odds (if any) and distances: what the
    in-memory and the shard engines ask (the store's engine reads columns instead:
    `engine`'s site odds)."""
    return site_log_odds(
        analyses,
        sites,
        params.shared_site_odds,
        spot_m=params.site_spot_m,
        reach_m=params.site_eps_m,
    )


def site_log_odds_of_candidates(
    scores: NDArray[np.float64], in_reach: NDArray[np.bool_], member_scores: Sequence[float]
) -> SiteOdds:
    """`site_log_odds` from every workplace candidate's score and whether it lies in reach
    of a site (`in_reach_of_sites`), and the scores of the members' places in sites of two
    or more people (one at least): the first ratio and the share by `_em_log_odds`, the
    second ratio of the members' places (`site_log_odds_of_sums`). Every sum is a
    `math.fsum` or a sum of sorted labels, so the same floats whatever order the candidates
    come in."""
    # math.fsum: correctly rounded, so the same floats whatever order the people come in
    # (the in-memory engine takes them sorted, the store's partitions by bucket).
    outside = site_log_odds_of_sums(
        math.fsum(scores.tolist()),
        math.fsum((1.0 - scores).tolist()),
        math.fsum(member_scores),
        math.fsum(1.0 - score for score in member_scores),
    )[1]
    inside, share = _em_log_odds(scores, in_reach)
    return SiteOdds(inside, outside, share)


EM_ROUNDS = 200  # at most; the ratios settle to 1e-12 in 20-60 rounds on our corpora


def _em_log_odds(scores: NDArray[np.float64], in_reach: NDArray[np.bool_]) -> tuple[float, float]:
    """The first of `site_log_odds_of_sums` of the event `in_reach` with each candidate's
    label its posterior given its own score and the event, refitted until the ratios change
    by less than 1e-12 (at most `EM_ROUNDS` rounds; the first round's labels are the
    scores), and the share of workplaces among the candidates in reach by those labels,
    with half a place added to each side (Jeffreys; none in reach: 0.5).

    Each group's scores are sorted once: a label is increasing in the score within a group,
    so the labels stay sorted and their sums (numpy's) are the same floats for the same
    candidates in any order (every engine), at a numpy sum a round instead of a `math.fsum`
    (a million candidates: 0.2 s where `math.fsum`s took 5.8 s of CPU)."""
    groups = []
    for part in (np.sort(scores[in_reach]), np.sort(scores[~in_reach])):
        clipped = np.clip(part, 1e-6, 1.0 - 1e-6)
        groups.append((clipped, np.log(clipped / (1.0 - clipped))))  # log-odds before sites
    (labels_in, own_in), (labels_out, own_out) = groups
    odds = (math.inf, math.inf)
    work_in = 0.0
    for _ in range(EM_ROUNDS):
        work_in, work_out = float(labels_in.sum()), float(labels_out.sum())
        other_in, other_out = float((1.0 - labels_in).sum()), float((1.0 - labels_out).sum())
        new = site_log_odds_of_sums(work_in + work_out, other_in + other_out, work_in, other_in)
        settled = abs(new[0] - odds[0]) < 1e-12 and abs(new[1] - odds[1]) < 1e-12
        odds = new
        if settled:
            break
        labels_in = 1.0 / (1.0 + np.exp(-(own_in + odds[0])))
        labels_out = 1.0 / (1.0 + np.exp(-(own_out + odds[1])))
    return odds[0], (work_in + 0.5) / (len(labels_in) + 1.0)


def in_reach_of_sites(
    lats: NDArray[np.float64],
    lons: NDArray[np.float64],
    place_lats: NDArray[np.float64],
    place_lons: NDArray[np.float64],
    place_spot: NDArray[np.bool_],
    *,
    spot_m: float,
    reach_m: float,
) -> NDArray[np.bool_]:
    """Whether each point (`lats`, `lons`, degrees) lies in reach of a site member's place
    (`place_lats`, `place_lons`): within `spot_m` metres of a place whose site's colleagues
    share a spot (`place_spot`: one installation, seen at its spots), within `reach_m` of
    any other (neighbouring workplaces, chained up to `reach_m`). A member's own place is
    in reach of itself."""
    found = np.zeros(len(lats), dtype=bool)
    if not len(lats):
        return found
    points = _unit_vectors(lats, lons)
    for spot, radius_m in ((True, spot_m), (False, reach_m)):
        chosen = place_spot == spot
        if not chosen.any():
            continue
        # The chord of an arc of radius_m on the unit sphere (a great-circle distance is
        # a monotone function of the chord).
        chord = 2.0 * math.sin(radius_m / (2.0 * EARTH_RADIUS_M))
        places = _unit_vectors(place_lats[chosen], place_lons[chosen])
        found |= _within_chord_of_any(points, places, chord)
    return found


# A cube's side is at least 2 / this, so the packed key of a cube of the unit sphere's
# bounding box (up to this + 4 cubes an axis, cubed) stays within int64.
_MAX_CUBES_A_SIDE = 1_900_000
# The most point-place pairs whose distances are computed at once (~80 bytes a pair in
# their indices, differences and distances: ~4 MB; a site of thousands of members at one
# spot could otherwise ask for more). At 500,000 (~40 MB) they were the command's own
# process's peak at 2 M posts (VmHWM 159 MiB, 138 MiB before the site odds); at 50,000
# 149 MiB, its peak then elsewhere (benchmarks/README.md, ingest17).
_PAIRS_AT_ONCE = 50_000


def _within_chord_of_any(
    points: NDArray[np.float64], places: NDArray[np.float64], chord: float
) -> NDArray[np.bool_]:
    """Whether each row of `points` (n x 3) lies within `chord` of a row of `places`: the
    square root of the sum of the three squared differences, summed in axis order, at most
    `chord`, the distance and test of `scipy.spatial.cKDTree(places).query(points, k=1)`,
    so the same answer to the last bit, without importing scipy (about 1.2 G instructions,
    serial in the command's own process, where the site odds are computed). Only the pairs
    in the same or adjacent cubes of side `chord` are measured: two coordinates within
    `chord` lie in cubes at most one apart (floor(x / side) moves by rounding only at a
    cube's edge, and then by one)."""
    found = np.zeros(len(points), dtype=bool)
    if not len(points) or not len(places) or not chord > 0:
        return found  # (a query for a distance below 0 finds nothing)
    side = max(chord * (1.0 + 1e-9), 2.0 / _MAX_CUBES_A_SIDE)
    point_cubes = np.floor(points / side).astype(np.int64)
    place_cubes = np.floor(places / side).astype(np.int64)
    low = np.minimum(point_cubes.min(axis=0), place_cubes.min(axis=0)) - 1
    span = np.maximum(point_cubes.max(axis=0), place_cubes.max(axis=0)) - low + 2
    span1, span2 = int(span[1]), int(span[2])

    def cubes_of(cubes: NDArray[np.int64]) -> tuple[NDArray[np.int64], ...]:
        shifted = cubes - low  # every neighbour's key stays in its own row and column
        key = (shifted[:, 0] * span1 + shifted[:, 1]) * span2 + shifted[:, 2]
        order = np.argsort(key, kind="stable")
        keys, starts, counts = np.unique(key[order], return_index=True, return_counts=True)
        return order, keys, starts, counts

    point_order, point_keys, point_starts, point_counts = cubes_of(point_cubes)
    place_order, place_keys, place_starts, place_counts = cubes_of(place_cubes)
    for dx, dy, dz in itertools.product((0, -1, 1), repeat=3):
        wanted = point_keys + (dx * span1 + dy) * span2 + dz
        other = np.searchsorted(place_keys, wanted)
        there = other < place_keys.size
        there[there] = place_keys[other[there]] == wanted[there]
        a = np.flatnonzero(there)  # point cubes with places in this neighbour
        b = other[a]
        per = point_counts[a] * place_counts[b]  # every point of cube a with every place of b
        ends = np.cumsum(per)
        first = 0
        while first < a.size:
            done = int(ends[first - 1]) if first else 0
            last = max(first + 1, int(np.searchsorted(ends, done + _PAIRS_AT_ONCE, "right")))
            part = slice(first, last)
            cube_of = np.repeat(np.arange(last - first), per[part])
            within = np.arange(cube_of.size) - np.repeat(ends[part] - per[part] - done, per[part])
            across = place_counts[b][part][cube_of]
            i = point_order[point_starts[a][part][cube_of] + within // across]
            j = place_order[place_starts[b][part][cube_of] + within % across]
            diff = points[i] - places[j]
            squared = diff[:, 0] * diff[:, 0] + diff[:, 1] * diff[:, 1] + diff[:, 2] * diff[:, 2]
            found[i[np.sqrt(squared) <= chord]] = True
            first = last
    return found


def _unit_vectors(lats: NDArray[np.float64], lons: NDArray[np.float64]) -> NDArray[np.float64]:
    """Points on the unit sphere (x, y, z) of latitudes and longitudes in degrees."""
    lat, lon = np.radians(lats), np.radians(lons)  # radians for the trigonometry
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def site_log_odds_of_sums(
    work: float, other: float, work_in: float, other_in: float
) -> tuple[float, float]:
    """The two log likelihood ratios of an event from four sums, each the same float in any
    order of the candidates (`math.fsum`s, or numpy's sums of sorted labels in
    `_em_log_odds`): every workplace candidate's label (its score, `work`) and one less it
    (`other`), and the same over the candidates with the event (`work_in`, `other_in`: a
    member's place in a site of two or more people, or a place in reach of one)."""
    p_work = (work_in + 0.5) / (work + 1.0)
    p_other = (other_in + 0.5) / (other + 1.0)
    inside = math.log(p_work / p_other)
    outside = math.log((1.0 - p_work) / (1.0 - p_other))
    return max(0.0, inside), min(0.0, outside)
