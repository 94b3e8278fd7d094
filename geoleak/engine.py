"""Inference over an evidence store, one person partition at a time: locally or on Dask.

Per-person analysis is separable, so it runs per partition (`person_bucket`) of the
store, in worker processes or as tasks on a Dask cluster; only what the cross-person site
pass needs travels back (each person's duty-place candidates with their own evidence).
The site pass is itself spatial and partitioned: candidates are put in cubes of
`site_eps_m` on the Earth-centred (x, y, z) grid, so two candidates closer than
`site_eps_m` are in the same or neighbouring cubes (a chord is never longer than its arc;
no special case at the antimeridian or the poles). Blocks of cubes, each with the
neighbouring cubes as a halo, find the close pairs; the pairs join candidates into
connected groups (exactly the clusters of the single-person DBSCAN with min_samples 2
that `find_sites` runs), and each group becomes its sites on its own. A second pass over
the partitions then builds every profile with the sites known.

Memory: a worker holds one partition (the largest person bounds it) and the sites in
columns (`SiteColumns`, indexed by `SiteIndex`), making the candidates of only the sites
its partition's people can read; the client holds the candidates' positions (numpy
arrays) and the sites in columns, not the evidence, the members' candidates or the
profiles.
The site pass builds each block's lists as its task is submitted and joins its close
pairs into the groups as they arrive (`_Blocks`, `_UnionFind`); run in this process, it
measures the pairs of neighbouring cubes a chunk at a time instead (`_close_roots`: the
same pairs, the same groups). On Dask a few partitions'
tasks are in flight at a time and each result is released once the client has taken it
(`_windowed`), so neither the workers nor the client hold every partition's result. Both
engines run the same functions on the same partitions, so they give the same profiles and
sites.
"""

from __future__ import annotations

import atexit
import bisect
import contextlib
import functools
import gc
import heapq
import itertools
import math
import pickle
import shutil
import struct
import tempfile
import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

from geoleak import timeline
from geoleak.children import pool_context, worker_start
from geoleak.errors import UsageError
from geoleak.extract.evidence_columns import EvidenceColumns, PointColumns, _point_columns
from geoleak.geometry import EARTH_RADIUS_M
from geoleak.infer import InferenceParams, PersonContext, SiteLookup, decide_numbers
from geoleak.infer import _person_boosts as person_boosts
from geoleak.infer import _profile as profile_of
from geoleak.infer.anchor import anchor_log_odds_of_people
from geoleak.infer.cluster import cluster_labels_of_people, joined_roots, neighbour_cubes
from geoleak.infer.places import (
    Candidate,
    PersonAnalysis,
    analyse_people,
    decide_draft,
    decided_many,
    distinct_duty_ordinals,
    place_ranks,
)
from geoleak.infer.roles import RoleFit, Structure
from geoleak.infer.sites import (
    MAX_CANDIDATES_PER_PERSON,
    SiteMembers,
    SiteOdds,
    find_sites,
    numbered_sites,
    positions_share_a_spot_many,
    site_entry_positions,
    site_log_odds_of_places,
    workplace_share_of_scores,
)
from geoleak.profiles import profile_json_text, write_profiles_document
from geoleak.store import EvidenceStore, PeopleCounts, person_bucket
from geoleak.types import (
    Evidence,
    LatLon,
    PlaceKind,
    Profile,
    SharedSite,
    _init_fields,
    replaced,
)

FoundSites = list[tuple[SharedSite, SiteMembers]]


class ProfileText(NamedTuple):
    """One person's profiles.json entry and whether it names a home and a base."""

    person: str
    text: str
    home: bool
    base: bool


__all__ = [
    "ENGINES",
    "StoreProfiles",
    "find_sites_partitioned",
    "infer_store",
    "write_store_profiles",
]

ENGINES = ("local", "dask")
# Cubes per block side in the site pass: a block and its halo go to one task.
BLOCK_CUBES = 64


Context = Mapping[str, PersonContext] | None  # None: the partition's task reads its own


def _bucket_people(
    store: EvidenceStore, bucket: int, context: Mapping[str, PersonContext]
) -> tuple[dict[str, Any], list[str]]:
    evidence = store.bucket_columns(bucket)
    people = sorted(
        set(evidence) | {p for p in context if person_bucket(p, store.buckets) == bucket}
    )
    return evidence, people


def _context(root: str, bucket: int, context: Context) -> Mapping[str, PersonContext]:
    return EvidenceStore(root).context(bucket=bucket) if context is None else context


def _analyses(
    root: str, bucket: int, params: InferenceParams, context: Context
) -> list[PersonAnalysis]:
    return _analyses_in_context(root, bucket, params, _context(root, bucket, context))


def _analyses_in_context(
    root: str, bucket: int, params: InferenceParams, context: Mapping[str, PersonContext]
) -> list[PersonAnalysis]:
    return _analysed(root, bucket, params, context)[0]


def _analysed(
    root: str, bucket: int, params: InferenceParams, context: Mapping[str, PersonContext]
) -> tuple[list[PersonAnalysis], int]:
    """`_analyses_in_context`, and how many of the partition's people have evidence rows."""
    evidence, people = _bucket_people(EvidenceStore(root), bucket, context)
    analyses = analyse_people(
        [(person, evidence.get(person, []), context.get(person, PersonContext()).excluded)
         for person in people],
        params,
    )  # fmt: skip
    return analyses, len(evidence)


# The site pass's slim points (position, weight, accuracy as four float columns).
_Points = PointColumns


def slim_analysis(analysis: PersonAnalysis, *, scores: bool = True) -> PersonAnalysis | None:
    """What the site pass needs of a person: the duty-place candidates (position, score,
    duty days) and their evidence's positions and weights, compactly; and the scores of
    every workplace candidate (`site_log_odds` counts them), without evidence.
    `scores=False` leaves the workplace candidates and exclusions out (the store engine
    moves the scores apart, `SlimBucket`)."""
    import numpy as np

    if not analysis.work_candidates:
        return None
    candidates = analysis.base_candidates[:MAX_CANDIDATES_PER_PERSON]
    kept: list[int] = []  # positions in the person's evidence
    slim_candidates = []
    for cand in candidates:
        start = len(kept)
        kept.extend(cand.indices)
        # find_sites counts a member's distinct duty days: ordinals count as dates do.
        duty = cand.distinct_ordinals("duty_dates").astype(np.int32)
        slim_candidates.append(
            replaced(
                cand,
                indices=list(range(start, len(kept))),
                calendar=None,
                day_sets={"duty_dates": duty},
                day_counts={},
            )
        )
    return PersonAnalysis(
        person=analysis.person,
        evidence=cast("list[Evidence]", _Points(analysis.evidence, kept)),
        base_candidates=slim_candidates,
        excluded=analysis.excluded if scores else _NO_EXCLUSIONS,
        usable=[],
        work_candidates=[
            replaced(cand, indices=[], calendar=None, day_sets={}, day_counts={})
            for cand in analysis.work_candidates
        ]
        if scores
        else [],
    )


class _NoExclusions(Counter[str]):
    """The exclusions of a slim analysis without scores (the site pass does not read
    them): one empty Counter, pickled as a reference to it (a slim analysis is pickled a
    person; an empty Counter costs a Python `Counter.__init__` and `update` on the way
    back, a sixth of the slim analysis's load)."""

    def __reduce__(self) -> str:
        return "_NO_EXCLUSIONS"


_NO_EXCLUSIONS: Counter[str] = _NoExclusions()


class SlimBucket(NamedTuple):
    """Pass 1's result for one partition, compactly. The slim analyses (`slim_analysis`
    without scores) of its people who have a workplace candidate, each as its own record
    (`_slim_record`) in `blobs` (`sizes` bytes each), so the client can put them on disk
    and read back only the people a site needs (`_slim_of_record`); their duty-place candidates' positions as float arrays
    (`lats`, `lons`; `owners`: the index of each candidate's person in `sizes`), in the
    order of the people and their candidates; and the scores and positions of every
    workplace candidate in the same order (`work_scores`, `work_lats`, `work_lons`: what
    `site_log_odds` reads of them), 24 bytes each. `people` and `located`:
    the partition's people in the store's people table and those of them with evidence
    rows (`EvidenceStore.stats` sums them: `PeopleCounts`)."""

    blobs: bytes
    sizes: list[int]
    lats: Any  # numpy float64 arrays
    lons: Any
    owners: Any  # numpy int64 array
    work_scores: Any  # numpy float64 arrays
    work_lats: Any
    work_lons: Any
    people: int
    located: int


def _slim_bucket(analyses: Sequence[PersonAnalysis], people: int, located: int) -> SlimBucket:
    import numpy as np

    work = [c for a in analyses for c in a.work_candidates]
    scores = np.array([c.score for c in work], dtype=np.float64)
    work_lats = np.array([c.position.lat for c in work], dtype=np.float64)
    work_lons = np.array([c.position.lon for c in work], dtype=np.float64)
    blobs: list[bytes] = []
    lats: list[float] = []
    lons: list[float] = []
    owners: list[int] = []
    # Every duty-place candidate's distinct duty days at once (`places.distinct_duty_ordinals`:
    # one sort a partition, not a few numpy calls a candidate).
    duty_places = [a.base_candidates[:MAX_CANDIDATES_PER_PERSON] for a in analyses
                   if a.work_candidates]  # fmt: skip
    joined = [cand for cands in duty_places for cand in cands]
    duty_days = iter(distinct_duty_ordinals(joined))
    for analysis in analyses:
        if not analysis.work_candidates:  # no slim analysis (`slim_analysis`)
            continue
        own = [next(duty_days) for _ in analysis.base_candidates[:MAX_CANDIDATES_PER_PERSON]]
        for cand in analysis.base_candidates[:MAX_CANDIDATES_PER_PERSON]:
            lats.append(cand.position.lat)
            lons.append(cand.position.lon)
            owners.append(len(blobs))
        blobs.append(_slim_record(analysis, own))
    return SlimBucket(
        b"".join(blobs),
        [len(b) for b in blobs],
        np.array(lats, dtype=np.float64),
        np.array(lons, dtype=np.float64),
        np.array(owners, dtype=np.int64),
        scores,
        work_lats,
        work_lons,
        people,
        located,
    )


def _slim_record(analysis: PersonAnalysis, duty_days: Sequence[Any] | None = None) -> bytes:
    """The slim analysis without scores of a person with a workplace candidate
    (`slim_analysis(analysis, scores=False)`) as the bytes `SlimBucket.blobs` holds for it,
    made from the analysis without making the slim one: only what the site groups read of
    it (`find_sites`: the person; each duty-place candidate's position, score, evidence
    and distinct duty days; `_member_columns`: position and score), as one pickled tuple of
    plain values (`_slim_of_record` reads it back). The slim candidates' evidence rows
    follow one another, so each one's count of rows stands for its indices; the duty days
    go as whole numbers (`find_sites` only counts them). The slim analysis made and pickled
    (its candidates' two datetimes each, the duty days' numpy arrays) cost about three times
    as much to write and a third more to read (unpickling: about half of the site groups'
    CPU). `duty_days`: each duty-place candidate's distinct duty days when the caller has
    them (`places.distinct_duty_ordinals`), else worked out here."""
    kept: list[int] = []  # positions in the person's evidence
    cands = []
    for k, cand in enumerate(analysis.base_candidates[:MAX_CANDIDATES_PER_PERSON]):
        kept.extend(cand.indices)
        days = cand.distinct_ordinals("duty_dates") if duty_days is None else duty_days[k]
        duty = days.tolist()
        position = cand.position
        cands.append((position.lat, position.lon, cand.rms_m, cand.score, len(cand.indices),
                      tuple(duty)))  # fmt: skip
    points = _Points(analysis.evidence, kept).columns
    record = (analysis.person, bytearray(points.tobytes()), tuple(cands))
    return pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)


def _slim_of_record(blob: bytes) -> PersonAnalysis:
    """The slim analysis `_slim_record` wrote as it: the same person, candidates' positions,
    scores, spreads and evidence rows, their distinct duty days (as ints, not an int32 array:
    the same count) and no calendar, times, workplace candidates or exclusions."""
    person, points, cands = pickle.loads(blob)  # written by this run's pass 1
    made = []
    start = 0
    for lat, lon, rms_m, score, count, duty in cands:
        stop = start + count
        made.append(
            Candidate(list(range(start, stop)), LatLon(lat, lon), rms_m, score=score,
                      day_sets={"duty_dates": duty})
        )  # fmt: skip
        start = stop
    return PersonAnalysis(
        person=person,
        evidence=cast("list[Evidence]", _point_columns(points)),
        base_candidates=made,
        excluded=_NO_EXCLUSIONS,
        usable=[],
    )


class SiteColumns(NamedTuple):
    """The sites as the store engine's main process keeps them: each site (`sites`, its
    members its `people`) and its members' candidates as three float64 columns a member
    (`members`, shape (members, 3): latitude, longitude, score), in the order of each
    site's people, the sites one after another. Pass 2 reads a member's candidate only
    for its position and score (`_swap_in_full` swaps in the person's own candidate, found
    by both; `_home_on_site` reads the others' positions, `site_log_odds` their
    scores), so `found_sites` makes the candidates from these: 24 bytes a member instead
    of a `Candidate` (~650 bytes with its containers, unpickled a member), which the main
    process held for every member from the site pass to the end of pass 2.

    `spots`: the spot (metres) and each site's `colleagues_share_a_spot` of its members'
    places at it, as the site pass works them out for the site odds (`SiteRows`), so
    that pass 2 does not cluster every site's members again in each process (~1 % of the
    partition processes' CPU at 2 M located posts); None: pass 2 works them out."""

    sites: list[SharedSite]
    members: Any  # a numpy float64 array (members, 3)
    spots: tuple[float, list[bool]] | None = None


def _member_positions_of(columns: SiteColumns) -> list[tuple[Any, Any]]:
    """Each site's members' places' latitudes and longitudes (views of `members`), in the
    order of the sites and of each site's people."""
    import numpy as np

    sizes = np.array([len(site.people) for site in columns.sites], dtype=np.int64)
    rows_of_sites = np.split(columns.members, np.cumsum(sizes)[:-1]) if len(sizes) else []
    return [(rows[:, 0], rows[:, 1]) for rows in rows_of_sites]


class SiteRows(NamedTuple):
    """A site's members' candidates as `SiteColumns.members`' rows (`_member_columns`), and
    whether they share a spot at the site pass's spot (`SiteColumns.spots`): worked out on
    the positions pass 2 reads of the members (`_MemberRows.positions`: the same rows), so
    the same answers."""

    rows: Any
    shared: bool


def _spotted(
    groups: list[list[tuple[SharedSite, Any]]], spot_m: float
) -> list[list[tuple[SharedSite, SiteRows]]]:
    """Each site of `groups` (with its `_member_columns`) with whether its members share a
    spot at `spot_m`, every site's at once (`positions_share_a_spot_many`). The local
    engine does this in the groups' tasks, in both partition processes: in the main
    process, after the groups, they waited on it (idle22, idle23)."""
    shared = iter(
        positions_share_a_spot_many(
            [(rows[:, 0], rows[:, 1]) for group in groups for _, rows in group], spot_m
        )
    )
    return [[(site, SiteRows(rows, next(shared))) for site, rows in group] for group in groups]


def _member_columns(site: SharedSite, members: SiteMembers) -> Any:
    """A site's members' candidates as `SiteColumns.members`' rows, in its people's order."""
    import numpy as np

    cands = [members[person] for person in site.people]
    return np.array(
        [(c.position.lat, c.position.lon, c.score) for c in cands], dtype=np.float64
    ).reshape(-1, 3)


def found_sites(columns: SiteColumns) -> FoundSites:
    """The sites with their members' candidates (their position and score; no evidence
    indices, calendar or day sets), from `SiteColumns`."""
    found: FoundSites = []
    rows = columns.members.tolist()
    at = 0
    for site in columns.sites:
        found.append((site, _site_members(site, rows[at : at + len(site.people)])))
        at += len(site.people)
    return found


def _site_members(site: SharedSite, rows: list[list[float]]) -> SiteMembers:
    """A site's members' candidates from their `SiteColumns.members` rows."""
    return {
        person: _member_candidate(lat, lon, score)
        for person, (lat, lon, score) in zip(site.people, rows, strict=True)
    }


def _member_candidate(lat: float, lon: float, score: float) -> Candidate:
    """A site member's candidate as pass 2 reads it: its position and score."""
    return Candidate(indices=[], position=LatLon(lat, lon), rms_m=0.0, score=score)


class _MemberRows(MutableMapping[str, Candidate]):
    """A site's members' candidates (`SiteMembers`) made from their `SiteColumns.members`
    rows when first read, then kept (the same object on every read, as a dict of them
    gives; one swapped in by `_swap_in_full` is kept as given). A partition's pass 2 reads
    few of them: its people's own (mostly one a site) and, for a person tied to a site by
    membership alone, the places of the sites near their points; made at once, every
    member's candidate of every site a partition reads was ~6 % of pass 2's CPU (62,833
    candidates for 8,282 people at 500 k posts)."""

    __slots__ = ("_made", "_people", "_rows")

    def __init__(self, people: tuple[str, ...], rows: Any) -> None:
        self._people = people  # sorted (`SharedSite.people`)
        self._rows = rows  # float64 (len(people), 3): latitude, longitude, score
        self._made: dict[str, Candidate] = {}

    def _index(self, person: str) -> int:
        """The member's row, -1 for one who is not a member."""
        at = bisect.bisect_left(self._people, person)
        return at if at < len(self._people) and self._people[at] == person else -1

    def __getitem__(self, person: str) -> Candidate:
        made = self._made.get(person)
        if made is None:
            at = self._index(person)
            if at < 0:
                raise KeyError(person)
            lat, lon, score = self._rows[at].tolist()
            made = self._made[person] = _member_candidate(lat, lon, score)
        return made

    def __setitem__(self, person: str, cand: Candidate) -> None:
        if self._index(person) < 0:  # a site's people do not change
            raise KeyError(person)
        self._made[person] = cand

    def __delitem__(self, person: str) -> None:
        raise TypeError("a site's members do not change")

    def swap_in(self, person: str, candidates: Sequence[Candidate]) -> Candidate | None:
        """The first of `candidates` at the member's place (its position and score) put in
        place of the member's own candidate (`_swap_in_full`), which is returned, or None
        where it was not made yet: then it is not made here, the row itself is compared
        (the position's latitude and longitude, finite floats: what `LatLon`'s equality
        compares). `restore` undoes it."""
        made = self._made.get(person)
        if made is not None:
            position, score = made.position, made.score
            full = next(c for c in candidates if c.position == position and c.score == score)
        else:
            at = self._index(person)
            if at < 0:
                raise KeyError(person)
            lat, lon, score = self._rows[at].tolist()
            full = next(
                c
                for c in candidates
                if (where := c.position).lat == lat and where.lon == lon and c.score == score
            )
        self._made[person] = full
        return made

    def restore(self, person: str, made: Candidate | None) -> None:
        """The member's candidate as before `swap_in` (which returned `made`)."""
        if made is None:
            del self._made[person]  # (made from the row again if read)
        else:
            self._made[person] = made

    def __contains__(self, person: object) -> bool:
        return isinstance(person, str) and self._index(person) >= 0

    def positions(self) -> tuple[Any, Any]:
        """Every member's place's latitudes and longitudes (float64 arrays, in its people's
        order), from the rows, without making a candidate (one swapped in is the member's
        own, found by the row's position: the same place)."""
        return self._rows[:, 0], self._rows[:, 1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._people)

    def __len__(self) -> int:
        return len(self._people)


def _shared_scores(columns: SiteColumns) -> Any:
    """The scores of the members' candidates of sites of two or more people (the sites
    `site_log_odds` reads), in the columns' order."""
    import numpy as np

    sizes = np.array([len(site.people) for site in columns.sites], dtype=np.int64)
    return columns.members[np.repeat(sizes >= 2, sizes), 2]


class SiteIndex:
    """The sites as a process's pass 2 reads them (`profile_bucket`), kept in columns
    (`SiteColumns`) and indexed once a process: each member's sites by the hash of their
    name (16 bytes a member), the sites' centres by cells (`SiteLookup.within_reach`), the
    largest radius of every site. For a partition (`for_people`) it makes the
    candidates of only the sites its people can read: those they are members of, and
    those whose centre may lie in reach of one of their points. Every site held with its
    candidates and a lookup of every member (`found_sites`, `SiteLookup`: ~700 bytes a
    member) was what grew each partition process with the corpus.

    The profiles are those of every site: a person's profile reads the sites they are a
    member of, and through `_base_by_site_membership` the sites within reach
    (`within_reach` with the largest reach of any site, then each site's own) of their
    weekday points, in order; no site out of reach of each of them gives a base there.
    The partition's sites keep the order of every site, so the sites read come in the
    same order."""

    def __init__(self, columns: SiteColumns) -> None:
        import numpy as np

        self.columns = columns
        sites = columns.sites
        sizes = np.array([len(site.people) for site in sites], dtype=np.int64)
        self.ends = np.cumsum(sizes)
        keys = np.fromiter(
            (hash(person) for site in sites for person in site.people),
            dtype=np.int64,
            count=int(sizes.sum()),
        )
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.site_of = np.repeat(np.arange(len(sites), dtype=np.int64), sizes)[order]
        del keys, order
        self.largest_radius_m = max((site.radius_m for site in sites), default=0.0)
        empty: SiteMembers = {}
        self.everywhere = SiteLookup([(site, empty) for site in sites])
        # `SiteLookup.shares_a_spot` of every partition's lookup: a site with members in
        # many partitions (a garrison's staff) was clustered again in each of them, ~15 %
        # of pass 2's CPU at 500 k posts (64 partitions); the site pass's answers first.
        self.spots: dict[tuple[str, float], bool] = {}
        if columns.spots is not None:
            spot_m, shared = columns.spots
            for site, answer in zip(sites, shared, strict=True):
                self.spots[(site.site_id, spot_m)] = answer

    def for_people(
        self, analyses: Sequence[PersonAnalysis], params: InferenceParams
    ) -> tuple[FoundSites, SiteLookup]:
        """The sites `analyses`' profiles can read, with their members' candidates (in the
        order of every site), and their lookup with every site's largest radius."""
        import numpy as np

        sites = self.columns.sites
        names = [a.person for a in analyses]
        hashes = np.fromiter(map(hash, names), np.int64, len(names))
        lows = np.searchsorted(self.keys, hashes, side="left")
        counts = np.searchsorted(self.keys, hashes, side="right") - lows
        # Every person's entries (`site_of[low:high]`) gathered at once, not a slice each.
        total = int(counts.sum())
        entries = np.repeat(lows - (np.cumsum(counts) - counts), counts) + np.arange(total)
        whose = np.repeat(np.arange(len(names)), counts).tolist()
        wanted: set[int] = set()
        for p, k in zip(whose, self.site_of[entries].tolist(), strict=True):
            name = names[p]
            people = sites[k].people  # sorted: a hash shared by two names is not enough
            at = bisect.bisect_left(people, name)
            if at < len(people) and people[at] == name:
                wanted.add(k)
        lats, lons = _points_of(analyses)
        if len(lats):
            reach = max(self.largest_radius_m * 3, params.work_eps_m)
            wanted.update(self.everywhere.within_reach(lats, lons, reach))
        found: FoundSites = []
        rows = self.columns.members
        for k in sorted(wanted):
            site = sites[k]
            end = int(self.ends[k])
            found.append((site, _MemberRows(site.people, rows[end - len(site.people) : end])))
        lookup = SiteLookup(found, largest_radius_m=self.largest_radius_m, spots=self.spots)
        return found, lookup


def _points_of(analyses: Sequence[PersonAnalysis]) -> tuple[Any, Any]:
    """Every piece of evidence's latitude and longitude of `analyses`, as float arrays."""
    import numpy as np

    lats: list[Any] = []
    lons: list[Any] = []
    for analysis in analyses:
        evidence = analysis.evidence
        if isinstance(evidence, EvidenceColumns):
            lats.append(evidence.lat)
            lons.append(evidence.lon)
        elif evidence:
            lats.append(np.array([ev.position.lat for ev in evidence], dtype=np.float64))
            lons.append(np.array([ev.position.lon for ev in evidence], dtype=np.float64))
    if not lats:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(lats), np.concatenate(lons)


def _site_odds(
    columns: SiteColumns,
    work: tuple[Sequence[Any], Sequence[Any], Sequence[Any]],
    params: InferenceParams,
) -> SiteOdds:
    """`site_log_odds` of the sites and every workplace candidate's score, latitude and
    longitude (`work`: three lists of numpy arrays, a partition's each), from the columns:
    the same floats (its sums are `math.fsum`s, so their order does not matter), without a
    `PersonAnalysis` a member."""
    import numpy as np

    inside = _shared_scores(columns)
    if params.shared_site_odds is not None:
        share = workplace_share_of_scores(inside.tolist())
        return SiteOdds(math.log(params.shared_site_odds), 0.0, share)
    if inside.size == 0:
        return SiteOdds(0.0, 0.0, 0.5)

    def joined(parts: Sequence[Any]) -> Any:
        return np.concatenate(parts) if len(parts) else np.zeros(0, dtype=np.float64)

    sizes = [len(site.people) for site in columns.sites]
    places = [
        place for size, place in zip(sizes, _member_positions_of(columns), strict=True) if size >= 2
    ]
    shared = None
    if columns.spots is not None and columns.spots[0] == params.site_spot_m:
        shared = [s for size, s in zip(sizes, columns.spots[1], strict=True) if size >= 2]
    return site_log_odds_of_places(
        (joined(work[0]), joined(work[1]), joined(work[2])),
        places,
        inside.tolist(),
        spot_m=params.site_spot_m,
        reach_m=params.site_eps_m,
        shared=shared,
    )


class _SlimSpool:
    """Pass 1's results on the client: the slim analyses in a file of this run's scratch
    folder, read back one person at a time; in memory only the candidates' positions
    (24 bytes a candidate) and the workplace scores (8 bytes each)."""

    def __init__(self, folder: str) -> None:
        self.handle = (Path(folder) / "slim.pickle").open("w+b")
        self.offsets = array("q", [0])
        self.lats: list[Any] = []
        self.lons: list[Any] = []
        self.owners: list[Any] = []
        self.scores: list[Any] = []
        self.work_lats: list[Any] = []
        self.work_lons: list[Any] = []

    def add(self, part: SlimBucket) -> None:
        base = len(self.offsets) - 1
        self.handle.write(part.blobs)
        for size in part.sizes:
            self.offsets.append(self.offsets[-1] + size)
        self.lats.append(part.lats)
        self.lons.append(part.lons)
        self.owners.append(part.owners + base)
        self.scores.append(part.work_scores)
        self.work_lats.append(part.work_lats)
        self.work_lons.append(part.work_lons)

    def load(self, index: int) -> PersonAnalysis:
        self.handle.seek(self.offsets[index])
        return _slim_of_record(self.handle.read(self.offsets[index + 1] - self.offsets[index]))

    def sites(
        self,
        params: InferenceParams,
        map_blocks: MapFunction | None = None,
        map_groups: MapFunction | None = None,
    ) -> tuple[SiteColumns, SiteOdds]:
        """The site pass and the site odds (`site_log_odds`) over every partition, the
        sites as `SiteColumns`. With `map_groups` (the map of processes on this machine,
        which can read this spool's file) the groups' sites are found there, a few groups
        a task."""
        import numpy as np

        def joined(arrays: list[Any], dtype: Any) -> Any:
            return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

        self.handle.flush()
        spooled = None if map_groups is None else (map_groups, self.handle.name, self.offsets)
        found = _sites_of_candidates(
            joined(self.lats, np.float64),
            joined(self.lons, np.float64),
            joined(self.owners, np.int64),
            self.load,
            params,
            map_blocks or _local_map,
            keep_columns=True,
            spooled=spooled,
        )
        columns = SiteColumns(
            [site for site, _ in found],
            np.concatenate([m.rows for _, m in found]) if found else np.zeros((0, 3)),
            (params.site_spot_m, [m.shared for _, m in found]),
        )
        del found
        work = (self.scores, self.work_lats, self.work_lons)
        return columns, _site_odds(columns, work, params)

    def close(self) -> None:
        self.handle.close()


def _spill_file(spill: str, bucket: int) -> Path:
    return Path(spill) / f"analyses-{bucket:05d}.pickle"


def analyse_bucket(
    root: str,
    bucket: int,
    params: InferenceParams,
    context: Context,
    spill: str | None = None,
) -> SlimBucket:
    """Pass 1 on one partition: every person's duty-place candidates (slim analyses) and
    workplace candidate scores (`SlimBucket`).

    With `spill` (a folder this process can write and pass 2 can read) the analyses are
    kept there for pass 2, which then does not analyse the partition again. They are kept
    without their evidence, which pass 2 reads from the store again as columns
    (`EvidenceStore.bucket_columns`: cheaper than pickling it and reading it back; half of
    an analysis's pickled bytes were its evidence). The partition's people's context goes
    with them (pass 2 then does not read the people table again).

    The result counts the partition's people (its context: the people table's) and those
    with evidence, read here anyway, for the run's statistics (`PeopleCounts`).
    """
    people = _context(root, bucket, context)
    analyses, located = _analysed(root, bucket, params, people)
    slim = _slim_bucket(analyses, len(people), located)
    if spill is not None:
        # (the analyses are not read after this: their candidates are spilled as they are)
        shared: dict[Structure, Structure] = {}
        kept = [_spilled(a, shared, in_place=True) for a in analyses]
        fits = _fit_columns([a.fit for a in kept])
        if fits.whole is None:  # the fits go as columns, not with each analysis
            for analysis in kept:
                analysis.fit = None
        with _spill_file(spill, bucket).open("wb") as out:
            pickle.dump((kept, people, fits), out, protocol=pickle.HIGHEST_PROTOCOL)
    return slim


# A fit's array fields, each joined over a partition's fits in its spill (`_FitColumns`).
_FIT_ARRAYS = ("person_type", "structure_index", "log_score", "bag_index", "activity")


class _FitColumns(NamedTuple):
    """A partition's fits as its spill keeps them: each of a fit's 1-D array fields
    (`_FIT_ARRAYS`) joined over the fits (`joined`, and each fit's end in them: `ends`),
    their 2-D bag scores (`RoleFit.bag_log_scores`) flattened and joined (`bags`, with
    each one's shape or None: `bag_shapes`), and each fit's other fields (`rest`, its
    constructor's values with None for the joined ones; None for an analysis without a
    fit). Pickled, that is seven arrays a partition instead of about six a person: numpy
    pickles each array through Python (`__reduce__`, `__setstate__`), ~a third of the
    spill's dump and load. `whole`: the fits as they are, when their arrays cannot be
    joined without changing one (`_joinable`); the other fields are then empty."""

    joined: list[Any]  # numpy arrays, in the order of `_FIT_ARRAYS`
    ends: list[list[int]]
    bags: Any  # a numpy array
    bag_shapes: list[tuple[int, ...] | None]
    rest: list[list[Any] | None]
    whole: list[RoleFit | None] | None = None


def _joinable(arrays: Sequence[Any], ndim: int) -> bool:
    """Whether `arrays` read back from one joined array (C-ordered views of it) are what
    each pickled alone reads back as: numeric arrays of `ndim` dimensions and one dtype,
    none of them in Fortran order only (pickle keeps that order)."""
    import numpy as np

    if not arrays:
        return False
    dtype = getattr(arrays[0], "dtype", None)
    return (
        dtype is not None
        and dtype.kind in "biuf"
        and all(
            isinstance(a, np.ndarray)
            and a.ndim == ndim
            and a.dtype == dtype
            and (a.flags.c_contiguous or not a.flags.f_contiguous)
            for a in arrays
        )
    )


def _fit_columns(fits: Sequence[RoleFit | None]) -> _FitColumns:
    """`fits` as `_FitColumns` (read back by `_fits_of_columns`)."""
    import numpy as np

    present = [fit for fit in fits if fit is not None]
    arrays = [[getattr(fit, name) for fit in present] for name in _FIT_ARRAYS]
    bags = [fit.bag_log_scores for fit in present if fit.bag_log_scores is not None]
    if not all(_joinable(field, 1) for field in arrays) or (bags and not _joinable(bags, 2)):
        return _FitColumns([], [], None, [], [], list(fits))
    position, values_of = _init_fields(RoleFit)
    rest: list[list[Any] | None] = []
    for fit in fits:
        if fit is None:
            rest.append(None)
            continue
        values = list(values_of(fit))
        for name in (*_FIT_ARRAYS, "bag_log_scores"):
            values[position[name]] = None
        rest.append(values)
    return _FitColumns(
        [np.concatenate(field) for field in arrays],
        [np.cumsum([a.size for a in field]).tolist() for field in arrays],
        np.concatenate([b.ravel() for b in bags]) if bags else np.zeros(0),
        [None if fit.bag_log_scores is None else fit.bag_log_scores.shape for fit in present],
        rest,
    )


def _fits_of_columns(columns: _FitColumns) -> list[RoleFit | None]:
    """The fits `_fit_columns` was given, their arrays views of the joined ones."""
    if columns.whole is not None:
        return columns.whole
    position, _ = _init_fields(RoleFit)
    slots = [position[name] for name in _FIT_ARRAYS]
    bag_slot = position["bag_log_scores"]
    parts = [
        [joined[start:end] for start, end in itertools.pairwise([0, *ends])]
        for joined, ends in zip(columns.joined, columns.ends, strict=True)
    ]
    fits: list[RoleFit | None] = []
    k = bag_at = 0
    for values in columns.rest:
        if values is None:
            fits.append(None)
            continue
        for slot, part in zip(slots, parts, strict=True):
            values[slot] = part[k]
        shape = columns.bag_shapes[k]
        if shape is not None:
            size = math.prod(shape)
            values[bag_slot] = columns.bags[bag_at : bag_at + size].reshape(shape)
            bag_at += size
        fits.append(RoleFit(*values))
        k += 1
    return fits


def _spilled(
    analysis: PersonAnalysis,
    shared: dict[Structure, Structure] | None = None,
    *,
    in_place: bool = False,
) -> PersonAnalysis:
    """What pass 1 keeps of an analysis for pass 2: all of it but its evidence (read from
    the store again) and its fit's bag inputs, which only score the bag lazily
    (`RoleFit.bagged_marginals`): the batched fit (`roles_many`) scored it already, so
    pass 2 reads `bag_log_scores` and only asks whether the inputs are None. An empty
    tuple stands for them (they were a third of the fit's pickled bytes).

    `shared`: the partition's structures so far, each kept once. A fit's structures (which
    candidate plays which role, ~90 a person) repeat from person to person (~160 distinct
    in 9,000 at 200 k); equal ones become one object, which pickle then writes once and
    refers to after (they are frozen). At 200 k the spill's dump and load ~15 % less.

    `in_place`: the analysis's candidates and fit are not read again, so each candidate is
    made what the spill keeps (`_counted(cand, in_place=True)`) rather than copied (those
    also among its travel candidates, which keep their calendars, are copied), and the fit
    takes the shared structures in place of its own list rather than being copied."""
    fit = analysis.fit
    if fit is not None and fit.bag_inputs and fit.bag_log_scores is not None:
        fit = replaced(fit, bag_inputs=())
    if fit is not None and shared is not None:
        structures = [shared.setdefault(s, s) for s in fit.structures]
        if in_place and fit is analysis.fit:  # (its own list, read by nothing after)
            fit.structures = structures
        else:
            fit = replaced(fit, structures=structures)
    copies: dict[int, Candidate] = {}  # a base candidate is a work candidate: one copy
    travel = {id(c) for c in analysis.travel} if in_place else set()

    def counted(cands: list[Candidate]) -> list[Candidate]:
        return [
            copies.get(id(c))
            or copies.setdefault(id(c), _counted(c, in_place=in_place and id(c) not in travel))
            for c in cands
        ]

    return replaced(
        analysis,
        evidence=[],
        fit=fit,
        home_candidates=counted(analysis.home_candidates),
        work_candidates=counted(analysis.work_candidates),
        base_candidates=counted(analysis.base_candidates),
        others=counted(analysis.others),
    )


# What pass 2 asks of a home, work or other candidate (`decide` and the places it makes:
# days, weeks, nights, the texts' counts): each count, made before the calendar is left out.
_PASS_TWO_COUNTS = ("dates", "duty_dates", "nights", "evenings", "weekend_days", "work_dates")


def _counted(cand: Candidate, *, in_place: bool = False) -> Candidate:
    """A candidate as the spill keeps it: its counts made (`Candidate.count`,
    `n_weeks`) and its calendar left out (three arrays a candidate, ~40 % of the spill's
    bytes and of its pickling). Pass 2 reads only counts of these candidates; a travel
    candidate keeps its calendar (its place tells its day span). A count pass 2 asked for
    and did not find would fail loudly (no calendar and no day set to count), not differ.
    `in_place`: `cand` itself made so (its calendar dropped) and returned, for a candidate
    no one reads again (the same values, so the same pickled bytes)."""
    if cand.calendar is None:
        return cand
    counts = cand.day_counts
    if cand.day_sets or not all(map(counts.__contains__, _COUNTS_KNOWN)):
        for name in _PASS_TWO_COUNTS:
            cand.count(name)
        cand.n_weeks  # noqa: B018  (counted and kept in day_counts)
    if in_place:
        cand.calendar = None
        return cand
    # Every count known (as `_candidates_of_people` makes them: no set to count, nothing
    # to count again): the copy made at once, not by `replaced` (half of this function).
    return Candidate(
        indices=cand.indices,
        position=cand.position,
        rms_m=cand.rms_m,
        first=cand.first,
        last=cand.last,
        score=cand.score,
        calendar=None,
        day_sets=cand.day_sets,
        day_counts=dict(counts),
    )


_COUNTS_KNOWN = (*_PASS_TWO_COUNTS, "weeks")  # `Candidate.n_weeks` keeps "weeks"


def profile_bucket_json(
    root: str,
    bucket: int,
    params: InferenceParams,
    context: Context,
    sites: FoundSites | SiteIndex,
    site_odds: SiteOdds,
    spill: str | None = None,
    *,
    ensure_ascii: bool = False,
) -> list[ProfileText]:
    """Pass 2 on one partition as profiles.json entries (`ProfileText`): what the client
    streams to the output file without holding any profile."""
    texts = []
    for p in profile_bucket(root, bucket, params, context, sites, site_odds, spill):
        kinds = [place.kind for place in p.places]  # (`in`: `p.place(kind) is not None`)
        texts.append(
            ProfileText(
                p.person,
                profile_json_text(p, ensure_ascii=ensure_ascii),
                PlaceKind.HOME in kinds,
                PlaceKind.BASE in kinds,
            )
        )
    return texts


def profile_bucket(
    root: str,
    bucket: int,
    params: InferenceParams,
    context: Context,
    sites: FoundSites | SiteIndex,
    site_odds: SiteOdds,
    spill: str | None = None,
) -> list[Profile]:
    """Pass 2 on one partition: the profiles, with the sites of every partition known
    (with a `SiteIndex`, the candidates of only the sites its people can read are made)."""
    analyses: list[PersonAnalysis]
    people: Mapping[str, PersonContext]
    if spill is not None and (kept := _spill_file(spill, bucket)).is_file():
        with kept.open("rb") as handle:
            # written by pass 1 of this run, in our scratch folder
            analyses, people, fit_columns = pickle.load(handle)
        kept.unlink()
        if fit_columns.whole is None:
            for analysis, fit in zip(analyses, _fits_of_columns(fit_columns), strict=True):
                analysis.fit = fit
        # Each person's evidence as pass 1 read it (the same rows, in the same order).
        evidence = EvidenceStore(root).bucket_columns(bucket)
        for analysis in analyses:
            analysis.evidence = evidence.get(analysis.person, [])
    else:
        people = _context(root, bucket, context)
        analyses = _analyses_in_context(root, bucket, params, people)
    if isinstance(sites, SiteIndex):
        found, lookup = sites.for_people(analyses, params)
        return profiles_of(analyses, people, params, found, site_odds, lookup)
    return profiles_of(analyses, people, params, sites, site_odds)


def profiles_of(
    analyses: Sequence[PersonAnalysis],
    context: Mapping[str, PersonContext],
    params: InferenceParams,
    sites: FoundSites,
    site_odds: SiteOdds,
    lookup: SiteLookup | None = None,
) -> list[Profile]:
    """Pass 2 on full analyses (`analyse_person`): their profiles, given the sites that
    pass 1's slim analyses (`slim_analysis`) of every partition gave. `lookup`: the
    sites' `SiteLookup` (`site_lookup(sites)` when None)."""
    if lookup is None:
        lookup = site_lookup(sites)  # reads the members mappings: it sees the swaps below
    # Each person's own candidates swapped into the sites they are a member of, for the whole
    # pass (a person's profile reads only their own member entries), then `decide`'s sums for
    # every person at once (each one's floats as alone), with the boosts each one's profile
    # gives its candidates, then each profile with those boosts.
    swapped: list[tuple[PersonAnalysis, _Swapped]] = []
    try:
        boosts = []
        anchors = anchor_log_odds_of_people(analyses)
        for analysis, own_anchors in zip(analyses, anchors, strict=True):
            swapped.append((analysis, _swap_in_full(analysis, lookup)))
            boosts.append(person_boosts(analysis, lookup, site_odds, own_anchors))
        numbers = decide_numbers(analyses, params, boosts)
        # The order each person's places list their evidence in, for all of them at once.
        place_ranks([a.evidence for a in analyses if isinstance(a.evidence, EvidenceColumns)])
        # Each person's places chosen, then made for all of them at once.
        decisions = decided_many(
            [
                decide_draft(analysis, params, own_boosts, own_numbers)
                if analysis.fit is not None
                else None
                for analysis, own_numbers, own_boosts in zip(analyses, numbers, boosts, strict=True)
            ]
        )
        return [
            profile_of(
                analysis,
                sites,
                params,
                context.get(analysis.person, PersonContext()),
                lookup,
                site_odds=site_odds,
                numbers=own_numbers,
                boosts=own_boosts,
                decision=decision,
            )
            for analysis, own_numbers, own_boosts, decision in zip(
                analyses, numbers, boosts, decisions, strict=True
            )
        ]
    finally:
        for analysis, swaps in swapped:
            _swap_back(analysis, swaps)


_Swapped = list[tuple[SiteMembers, Candidate | None]]


def _swap_in_full(analysis: PersonAnalysis, lookup: SiteLookup) -> _Swapped:
    """Sites hold each member's candidate as the slim copy from pass 1; the profile needs
    it with indices into the full evidence. The analysis is deterministic, so the candidate
    is the one of the same rank (same centre and score). Returns what `_swap_back` undoes.
    A site's rows (`_MemberRows`) are compared without making the slim copy."""
    swapped: _Swapped = []
    for _, members in lookup.memberships(analysis.person):
        if type(members) is _MemberRows:
            swapped.append((members, members.swap_in(analysis.person, analysis.base_candidates)))
            continue
        slim = members[analysis.person]
        full = next(
            c
            for c in analysis.base_candidates
            if c.position == slim.position and c.score == slim.score
        )
        members[analysis.person] = full
        swapped.append((members, slim))
    return swapped


def _swap_back(analysis: PersonAnalysis, swapped: _Swapped) -> None:
    for members, slim in swapped:
        if type(members) is _MemberRows:
            members.restore(analysis.person, slim)
        elif slim is not None:
            members[analysis.person] = slim


# Pass 2 of every partition in a process reads the same sites (`_sites_from_file`'s list,
# the Dask worker's scattered copy, the one-process engine's): their index (who is a member
# of which site, the sites by latitude, the corpus's workplace share) is built once for that
# list, not once a partition. Built per partition it was a pass over every site and member
# for each of up to 512 partitions: partitions x people, 30 ms a partition at 1 M posts,
# the stage that grew fastest with the corpus.
_SITE_LOOKUP: list[SiteLookup] = []
_SITE_LOOKUP_LOCK = threading.Lock()


def site_lookup(sites: FoundSites) -> SiteLookup:
    """The `SiteLookup` of `sites`, the one built last if it was built for this list (the
    list must not change afterwards: the sites a run's pass 2 reads do not)."""
    with _SITE_LOOKUP_LOCK:
        if _SITE_LOOKUP and _SITE_LOOKUP[0].sites is sites:
            return _SITE_LOOKUP[0]
        lookup = SiteLookup(sites)
        _SITE_LOOKUP[:] = [lookup]
        return lookup


def forget_site_lookup() -> None:
    """Drop the kept `site_lookup` (and with it the sites it holds)."""
    with _SITE_LOOKUP_LOCK:
        _SITE_LOOKUP.clear()
        _INDEXED.clear()


# -- the spatial site pass ------------------------------------------------------------


def _unit_xyz(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lmb = math.radians(lat), math.radians(lon)  # radians for the trigonometry only
    return (
        EARTH_RADIUS_M * math.cos(phi) * math.cos(lmb),
        EARTH_RADIUS_M * math.cos(phi) * math.sin(lmb),
        EARTH_RADIUS_M * math.sin(phi),
    )


def _cube(point: tuple[float, float, float], side_m: float) -> tuple[int, int, int]:
    return (
        math.floor(point[0] / side_m),
        math.floor(point[1] / side_m),
        math.floor(point[2] / side_m),
    )


def close_pairs_in_block(
    own: Sequence[tuple[int, float, float]],
    halo: Sequence[tuple[int, float, float]],
    eps_m: float,
) -> Any:
    """Pairs (i, j) of candidates within `eps_m` of each other (great-circle), with i one
    of this block's own candidates and j one of its own or of the halo around it, as an
    int64 array of shape (pairs, 2) (16 bytes a pair, not a tuple of two ints).

    Each own candidate's neighbours are the candidates in the same or adjacent cubes; the
    block's pairs are measured at once, by `haversine_m_array`'s formula with the own
    candidate's latitude's cosine from `math.cos`, as that function takes it, so every
    distance is the same float as one own candidate at a time gave it (a numpy call a
    candidate was ~70 % of this function's CPU, serial in the command's own process)."""
    import numpy as np

    cubes: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    everyone = list(own) + list(halo)
    xyz = [_unit_xyz(lat, lon) for _, lat, lon in everyone]
    for k, point in enumerate(xyz):
        cubes[_cube(point, eps_m)].append(k)
    firsts: list[int] = []
    seconds: list[int] = []
    for k in range(len(own)):
        cx, cy, cz = _cube(xyz[k], eps_m)
        near = [
            j
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for dz in (-1, 0, 1)
            for j in cubes.get((cx + dx, cy + dy, cz + dz), ())
            if j != k
        ]
        firsts.extend([k] * len(near))
        seconds.extend(near)
    if not firsts:
        return np.zeros((0, 2), dtype=np.int64)
    i = np.array(firsts, dtype=np.int64)
    j = np.array(seconds, dtype=np.int64)
    phi = np.radians(np.array([lat for _, lat, _ in everyone]))  # radians for the trigonometry
    lmb = np.radians(np.array([lon for _, _, lon in everyone]))
    cos_own = np.array([math.cos(math.radians(lat)) for _, lat, _ in own])
    # haversine_m_array(lats[j], lons[j], lats[i], lons[i]) for every pair at once.
    dphi = phi[i] - phi[j]
    dlmb = lmb[i] - lmb[j]
    h = np.sin(dphi / 2) ** 2 + np.cos(phi[j]) * cos_own[i] * np.sin(dlmb / 2) ** 2
    close = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))) <= eps_m
    index = np.array([n for n, _, _ in everyone], dtype=np.int64)
    return np.column_stack([index[i[close]], index[j[close]]])


class _Blocks:
    """Candidates in blocks of BLOCK_CUBES cubes a side, each with its one-cube halo,
    built one block at a time as they are iterated (`own`, `halo`: one list of
    (index, lat, lon) a block, in block order): the client holds every candidate's cube
    as three integers, not every block's lists at once."""

    def __init__(self, lats: Any, lons: Any, eps_m: float) -> None:
        import numpy as np

        self.lats, self.lons = lats, lons
        count = len(lats)
        cubes = np.empty((count, 3), dtype=np.int64)
        for index in range(count):
            cubes[index] = _cube(_unit_xyz(float(lats[index]), float(lons[index])), eps_m)
        keys = cubes // BLOCK_CUBES  # floor division, as for negative cube numbers
        # Candidates by block (lexicographic block order), each block's in index order.
        self.order = np.lexsort((np.arange(count), keys[:, 2], keys[:, 1], keys[:, 0]))
        sorted_keys = keys[self.order]
        starts = np.flatnonzero(np.any(sorted_keys[1:] != sorted_keys[:-1], axis=1)) + 1
        self.bounds = np.concatenate(([0], starts, [count] if count else [])).astype(np.int64)
        self.keys = [tuple(k) for k in sorted_keys[self.bounds[:-1]].tolist()]
        # A cube on a block's edge is in the halo of the blocks its neighbours belong to.
        self.halos: dict[tuple[int, int, int], list[int]] = defaultdict(list)
        known = set(self.keys)
        edge = np.any((cubes % BLOCK_CUBES == 0) | (cubes % BLOCK_CUBES == BLOCK_CUBES - 1), axis=1)
        for index in np.flatnonzero(edge).tolist():
            cx, cy, cz = cubes[index].tolist()
            home = (cx // BLOCK_CUBES, cy // BLOCK_CUBES, cz // BLOCK_CUBES)
            around = {
                ((cx + dx) // BLOCK_CUBES, (cy + dy) // BLOCK_CUBES, (cz + dz) // BLOCK_CUBES)
                for dx in (-1, 0, 1)
                for dy in (-1, 0, 1)
                for dz in (-1, 0, 1)
            }
            for key in around - {home}:
                if key in known:
                    self.halos[key].append(index)

    def __len__(self) -> int:
        return len(self.keys)

    def _points(self, indices: Iterable[int]) -> list[tuple[int, float, float]]:
        return [(i, float(self.lats[i]), float(self.lons[i])) for i in indices]

    def own(self) -> Iterator[list[tuple[int, float, float]]]:
        for start, end in zip(self.bounds[:-1].tolist(), self.bounds[1:].tolist(), strict=True):
            yield self._points(self.order[start:end].tolist())

    def halo(self) -> Iterator[list[tuple[int, float, float]]]:
        for key in self.keys:
            yield self._points(sorted(self.halos.get(key, ())))


class _UnionFind:
    """Connected groups of candidates, joined pair by pair as the blocks' pairs arrive
    (8 bytes a candidate): a group's root is its smallest member, whatever the order of
    the pairs."""

    def __init__(self, count: int) -> None:
        self.parent = array("q", range(count))

    def root(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, pairs: Iterable[tuple[int, int]]) -> None:
        root, parent = self.root, self.parent
        for i, j in pairs:
            ri, rj = root(i), root(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)

    def groups(self) -> Iterator[list[int]]:
        """Groups of two or more members, by their smallest member; members ascending."""
        import numpy as np

        roots = np.fromiter(
            (self.root(i) for i in range(len(self.parent))), dtype=np.int64, count=len(self.parent)
        )
        return _groups_of_roots(roots)


def _groups_of_roots(roots: Any) -> Iterator[list[int]]:
    """The groups of two or more members of each candidate's group root (`roots`, an int64
    array), by their root; members ascending."""
    import numpy as np

    order = np.argsort(roots, kind="stable")
    roots = roots[order]
    bounds = np.concatenate(([0], np.flatnonzero(roots[1:] != roots[:-1]) + 1, [len(roots)]))
    for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if end - start > 1:
            yield order[start:end].tolist()


# Pairs of candidates in neighbouring cubes `_close_roots` measures at once, at least (~150
# bytes a pair while it works); more where there are more candidates (half as many).
CLOSE_PAIRS_PER_CHUNK = 1 << 12


def _close_roots(lats: Any, lons: Any, eps_m: float) -> Any | None:
    """Each candidate's group root (the smallest candidate connected to it by pairs within
    `eps_m`), as `_Blocks`, `close_pairs_in_block` and `_UnionFind` find them, in this
    process and at once: the same cubes (`_cube` of `_unit_xyz`, from the math module),
    every pair of candidates in the same or neighbouring cubes measured both ways round
    (own candidate first, as a block measures it, and then the other) by
    `close_pairs_in_block`'s formula and operations, so each distance is the same float,
    and a pair joined where either is within `eps_m`, as either block's pair joins it; the
    groups, like `_UnionFind`'s, do not depend on the order of the pairs. The blocks' lists
    of tuples, a block's Python loop over its candidates' neighbours and the pair-by-pair
    union cost ~0.4 CPU s at 2 M located posts, serial while the partition processes wait.
    Memory: the pairs a chunk at a time (`CLOSE_PAIRS_PER_CHUNK`, or half the candidates'
    count) and ~100 bytes a candidate for its cube, position and root. None when the cube numbers cannot be packed into one int64 key (a radius of a
    few metres): then the blocks find them."""
    import numpy as np

    count = len(lats)
    root = np.arange(count, dtype=np.int64)
    if count < 2:
        return root
    # close_pairs_in_block's inputs of each candidate: radians by numpy, the own
    # candidate's cosine and the cubes by the math module.
    phi = np.radians(np.asarray(lats, dtype=np.float64))
    lmb = np.radians(np.asarray(lons, dtype=np.float64))
    lat_list = np.asarray(lats, dtype=np.float64).tolist()
    cos_own = np.fromiter((math.cos(math.radians(lat)) for lat in lat_list), np.float64, count)
    positions = zip(lat_list, np.asarray(lons, dtype=np.float64).tolist(), strict=True)
    cubes = np.fromiter(
        itertools.chain.from_iterable(_cube(_unit_xyz(lat, lon), eps_m) for lat, lon in positions),
        np.int64,
        3 * count,
    ).reshape(count, 3)
    del lat_list, positions
    cubes -= cubes.min(axis=0)
    span = cubes.max(axis=0) + 2  # (+2: a neighbour's key never wraps into another row)
    if float(span[0]) * float(span[1]) * float(span[2]) >= 2.0**62:
        return None
    key = (cubes[:, 0] * span[1] + cubes[:, 1]) * span[2] + cubes[:, 2]
    del cubes
    order = np.argsort(key, kind="stable")
    keys, starts, sizes = np.unique(key[order], return_index=True, return_counts=True)
    del key
    # Pairs a chunk: at least half as many as candidates (~75 bytes a candidate).
    chunk_pairs = max(CLOSE_PAIRS_PER_CHUNK, count // 2)
    for step, cube_a, cube_b in neighbour_cubes(keys, span):
        per = sizes[cube_a] * sizes[cube_b]
        ends = np.cumsum(per)
        begin = 0
        while begin < cube_a.size:
            # The cube pairs from `begin` whose member pairs fit in a chunk (at least one).
            done = int(ends[begin - 1]) if begin else 0
            stop = max(begin + 1, int(np.searchsorted(ends, done + chunk_pairs, "right")))
            a, b = cube_a[begin:stop], cube_b[begin:stop]
            begin = stop
            chunk = sizes[a] * sizes[b]
            cube_of = np.repeat(np.arange(a.size), chunk)
            within = np.arange(int(chunk.sum())) - np.repeat(np.cumsum(chunk) - chunk, chunk)
            i = order[starts[a][cube_of] + within // sizes[b][cube_of]]
            j = order[starts[b][cube_of] + within % sizes[b][cube_of]]
            if step == 0:
                keep = i != j
                i, j = i[keep], j[keep]
            close = _within_eps(phi, lmb, cos_own, i, j, eps_m)
            if step != 0:
                close |= _within_eps(phi, lmb, cos_own, j, i, eps_m)
            root = joined_roots(root, root[i[close]], root[j[close]])
    return root


def _within_eps(phi: Any, lmb: Any, cos_own: Any, own: Any, near: Any, eps_m: float) -> Any:
    """`close_pairs_in_block`'s test of each pair (own[k], near[k]), own candidate first:
    its operations, in its order (`haversine_m_array(lats[near], lons[near], lats[own],
    lons[own])` with the own candidate's cosine given)."""
    import numpy as np

    dphi = phi[own] - phi[near]
    dlmb = lmb[own] - lmb[near]
    h = np.sin(dphi / 2) ** 2 + np.cos(phi[near]) * cos_own[own] * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))) <= eps_m


def _groups(count: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected groups (two or more members) of the pairs' graph: union-find."""
    found = _UnionFind(count)
    found.join(pairs)
    return list(found.groups())


MapFunction = Callable[..., Iterable[Any]]


def _local_map(function: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
    return map(function, *iterables)


def find_sites_partitioned(
    analyses: Sequence[PersonAnalysis],
    params: InferenceParams,
    map_blocks: MapFunction = _local_map,
) -> FoundSites:
    """The sites `find_sites` finds, computed block by block (see the module docstring).

    `map_blocks(function, *iterables)` runs the block tasks (locally by default; the Dask
    engine passes its client's map).
    """
    lats: list[float] = []
    lons: list[float] = []
    owners: list[int] = []
    for index, analysis in enumerate(analyses):
        for cand in analysis.base_candidates[:MAX_CANDIDATES_PER_PERSON]:
            lats.append(cand.position.lat)
            lons.append(cand.position.lon)
            owners.append(index)
    return cast(
        "FoundSites",
        _sites_of_candidates(lats, lons, owners, analyses.__getitem__, params, map_blocks),
    )


def _sites_of_candidates(
    lats: Sequence[float],
    lons: Sequence[float],
    owners: Sequence[int],
    load: Callable[[int], PersonAnalysis],
    params: InferenceParams,
    map_blocks: MapFunction = _local_map,
    *,
    keep_columns: bool = False,
    spooled: tuple[MapFunction, str, Sequence[int]] | None = None,
) -> list[tuple[SharedSite, Any]]:
    """`find_sites_partitioned` from the candidates' positions alone: candidate k is the
    duty-place candidate of person `owners[k]` (each person's candidates in a row, in
    rank order), and `load(owner)` gives that person's (slim) analysis, called only for
    the people of a group that can be a site, group by group. With `keep_columns` each
    site comes with its members' candidates as `SiteColumns.members`' rows (position and
    score: what the profile pass needs of them) and whether they share a spot at
    `params.site_spot_m` (`SiteRows`), not as candidates. With `spooled` (`(map_groups, path, offsets)`: owner k's slim
    analysis's record (`_slim_record`) at bytes `offsets[k]` to `offsets[k + 1]` of the file at `path`) the
    groups' sites are found by `map_groups`' tasks, which read the analyses from the file
    (`load` is not called).

    Memory: the positions may be numpy arrays; the blocks are built as their tasks are
    submitted and each block's pairs are joined into the groups as they arrive, so
    neither every block nor every close pair (about one a candidate and neighbour at a
    shared workplace) is held at once."""
    import numpy as np

    owned_by = np.asarray(owners, dtype=np.int64)
    # Each candidate's rank among its person's: its index less that of the person's first.
    starts = np.flatnonzero(np.concatenate(([True], owned_by[1:] != owned_by[:-1])))
    first = np.repeat(starts, np.diff(np.concatenate((starts, [len(owned_by)]))))
    # In this process, the pairs at once (`_close_roots`); elsewhere, block by block.
    roots = _close_roots(lats, lons, params.site_eps_m) if map_blocks is _local_map else None
    if roots is not None:
        groups = _groups_of_roots(roots)
    else:
        blocks = _Blocks(lats, lons, params.site_eps_m)
        joined = _UnionFind(len(owned_by))
        for pairs in map_blocks(
            close_pairs_in_block, blocks.own(), blocks.halo(), [params.site_eps_m] * len(blocks)
        ):
            joined.join(pairs.tolist())
        del blocks
        groups = joined.groups()
    # The groups of enough people, as one array of their candidates (each group's in
    # ascending order, the groups by their smallest) and each group's end in it: 8 bytes a
    # candidate, not a dict of lists a group (each task's rows are made as it is sent).
    kept = array("q")
    ends = array("q")
    for group in groups:
        if len(set(owned_by[group].tolist())) >= params.min_site_people:
            kept.extend(group)
            ends.append(len(kept))
    del groups, roots
    members = np.frombuffer(kept, dtype=np.int64) if kept else np.zeros(0, dtype=np.int64)
    bounds = [0, *ends]
    found: Iterable[list[tuple[SharedSite, Any]]]
    if spooled is None:
        found = (
            _group_sites({o: load(o) for o in ranks}, ranks, params, keep_columns)
            for ranks, _ in _group_rows(_member_rows(owned_by, first, members, None), bounds)
        )
        if keep_columns:  # (every site's spot at once: one clustering call, not one a group)
            found = _spotted(list(found), params.site_spot_m)
    else:
        map_groups, path, offsets = spooled
        rows = _member_rows(owned_by, first, members, np.asarray(offsets, dtype=np.int64))
        tasks = [
            bounds[k : k + GROUPS_PER_TASK + 1] for k in range(0, len(bounds) - 1, GROUPS_PER_TASK)
        ]
        n = len(tasks)
        found = (
            got
            for part in map_groups(
                _spooled_group_sites,
                [path] * n,
                (rows[task[0] : task[-1]] for task in tasks),
                ([b - task[0] for b in task] for task in tasks),
                [params] * n,
                [keep_columns] * n,
            )
            for got in part
        )
    sites: list[tuple[SharedSite, Any]] = []
    for got in found:
        sites.extend(got)
    return numbered_sites(sites)


def _member_rows(owned_by: Any, first: Any, members: Any, offsets: Any | None) -> Any:
    """Each of `members` (candidate numbers) as a row of int64: its owner and its rank among
    the owner's candidates, and with `offsets` the owner's slim analysis's bytes in the
    spool file (start, stop)."""
    import numpy as np

    owners = owned_by[members]
    columns = [owners, members - first[members]]
    if offsets is not None:
        columns += [offsets[owners], offsets[owners + 1]]
    return np.stack(columns, axis=1) if len(members) else np.zeros((0, len(columns)), np.int64)


def _group_rows(
    rows: Any, bounds: Sequence[int]
) -> Iterator[tuple[dict[int, list[int]], dict[int, tuple[int, int]]]]:
    """Each group of `_member_rows` (group k: rows `bounds[k]` to `bounds[k + 1]`) as its
    owners' candidate ranks and, when the rows have them, the owners' spool spans, both
    by owner in the order of the rows (ascending)."""
    listed = rows.tolist()
    for start, stop in itertools.pairwise(bounds):
        ranks: dict[int, list[int]] = defaultdict(list)
        spans: dict[int, tuple[int, int]] = {}
        for row in listed[start:stop]:
            ranks[row[0]].append(row[1])
            if len(row) > 2:
                spans[row[0]] = (row[2], row[3])
        yield ranks, spans


# Groups of candidates a task of `_spooled_group_sites` finds the sites of (a group is
# a few people: a task is a few milliseconds of work, not much more to send).
GROUPS_PER_TASK = 32


def _group_subset(
    loaded: dict[int, PersonAnalysis], ranks: dict[int, list[int]]
) -> list[PersonAnalysis]:
    """One group's people (`ranks`: each owner's candidates in it, by rank; `loaded`: each
    owner's slim analysis), each with only their candidates in the group, by name."""
    return [
        replaced(
            loaded[owner],
            base_candidates=[loaded[owner].base_candidates[r] for r in sorted(ranks[owner])],
        )
        for owner in sorted(ranks, key=lambda o: loaded[o].person)
    ]


def _group_sites(
    loaded: dict[int, PersonAnalysis],
    ranks: dict[int, list[int]],
    params: InferenceParams,
    keep_columns: bool,
    subset: list[PersonAnalysis] | None = None,
    labels: Any | None = None,
) -> list[tuple[SharedSite, Any]]:
    """The sites of one group (`ranks`: each owner's candidates in it, by rank; `loaded`:
    each owner's slim analysis), with `keep_columns` each with its members' candidates as
    `SiteColumns.members`' rows (`_member_columns`). `subset` and `labels`: the group's
    `_group_subset` and its candidates' labels (`find_sites`), when made already."""
    if subset is None:
        subset = _group_subset(loaded, ranks)
    got = find_sites(subset, params, labels)
    if not keep_columns:
        return cast("list[tuple[SharedSite, Any]]", got)
    return [(site, _member_columns(site, members)) for site, members in got]


def _spooled_group_sites(
    path: str,
    rows: Any,
    bounds: list[int],
    params: InferenceParams,
    keep_columns: bool,
) -> list[list[tuple[SharedSite, Any]]]:
    """`_group_sites` of several groups (`rows`: their members' `_member_rows`, group k's
    from `bounds[k]` to `bounds[k + 1]`), each owner's slim analysis read from the spool
    file at `path` (its bytes there as `_SlimSpool` wrote them in this run's scratch
    folder). With `keep_columns` each site comes with its `SiteRows` (`_spotted`)."""
    import numpy as np

    groups = []
    with open(path, "rb") as handle:
        for ranks, where in _group_rows(rows, bounds):
            loaded: dict[int, PersonAnalysis] = {}
            for owner, (start, stop) in where.items():
                handle.seek(start)
                loaded[owner] = _slim_of_record(handle.read(stop - start))
            groups.append((loaded, ranks, _group_subset(loaded, ranks)))
    # The groups' candidates labelled at once (each group's labels as `find_sites` would
    # make them: `cluster_labels_of_people` gives each its `cluster_labels`): one set of
    # numpy calls for the task's groups, not one for each group (~2,000 a process at 2 M).
    positions = [site_entry_positions(subset) for _, _, subset in groups]
    labels = cluster_labels_of_people(
        [(np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64))
         for lats, lons in positions],
        eps_ms=[params.site_eps_m],
        min_samples=2,
    )  # fmt: skip
    found = [
        _group_sites(loaded, ranks, params, keep_columns, subset, group_labels[0])
        for (loaded, ranks, subset), group_labels in zip(groups, labels, strict=True)
    ]
    return _spotted(found, params.site_spot_m) if keep_columns else found


# -- the engines ------------------------------------------------------------------------


Emit = Callable[[list[Any]], None]


class _Spool:
    """Pass 2's profiles.json entries, one file per partition as they arrive (each sorted
    by person), merged by person when the document is written: the client holds one
    entry per partition at a time, not every profile.

    A file is records of a person and their entry: the two lengths (`_SPOOL_HEAD`), then
    both in UTF-8 (surrogates passed through, so any str comes back as it was). Written in
    one piece and read by two reads a record, not a pickle each: at 2 M posts (33 k people,
    86 MB of entries) the spooling took ~0.43 CPU s of the command's own process and the
    merge ~0.30, with the files as one pickle an entry (benchmarks/README.md, main22)."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.files: list[Path] = []
        self.people = self.homes = self.bases = 0

    def add(self, texts: list[ProfileText]) -> None:
        path = self.folder / f"profiles-{len(self.files):05d}.spool"
        chunks: list[bytes] = []
        pack = _SPOOL_HEAD.pack
        for entry in sorted(texts):
            person = entry.person.encode("utf-8", "surrogatepass")
            text = entry.text.encode("utf-8", "surrogatepass")
            chunks += (pack(len(person), len(text)), person, text)
            self.homes += entry.home
            self.bases += entry.base
        self.people += len(texts)
        path.write_bytes(b"".join(chunks))
        self.files.append(path)

    @staticmethod
    def _read(path: Path) -> Iterator[tuple[str, str]]:
        """A file's (person, entry) records, in order."""
        with path.open("rb") as handle:
            read, unpack, size = handle.read, _SPOOL_HEAD.unpack, _SPOOL_HEAD.size
            while head := read(size):
                person, text = unpack(head)
                yield (read(person).decode("utf-8", "surrogatepass"),
                       read(text).decode("utf-8", "surrogatepass"))  # fmt: skip

    def texts(self) -> Iterable[str]:
        # (a person is in one partition: the merge never compares two entries' texts)
        for _, text in heapq.merge(*(self._read(p) for p in self.files)):
            yield text


# A spool record's head: the person's and the entry's lengths in bytes.
_SPOOL_HEAD = struct.Struct("<II")


@dataclass
class StoreProfiles:
    """What `write_store_profiles` wrote: counts for the summary line, and the sites."""

    people: int
    homes: int
    bases: int
    sites: list[SharedSite]


def write_store_profiles(
    store: EvidenceStore,
    handle: IO[str],
    *,
    meta: Mapping[str, Any] | None = None,
    ensure_ascii: bool = False,
    params: InferenceParams | None = None,
    engine: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    dask_processes: bool = True,
    pool: ProcessPoolExecutor | None = None,
    counts: PeopleCounts | None = None,
    drop_partitions: bool = False,
) -> StoreProfiles:
    """`infer_store`, written to `handle` as profiles.json (the document `dump_profiles`
    writes) while no process holds every profile: partitions' entries are spooled to
    disk and merged by person. Memory then follows the largest partition and the site
    pass's candidates, not the number of people. `pool`, `counts`, `drop_partitions`: see
    `infer_store`."""
    pass_two = functools.partial(profile_bucket_json, ensure_ascii=ensure_ascii)
    with tempfile.TemporaryDirectory(prefix="geoleak-profiles-") as folder:
        spool = _Spool(folder)
        shared = _run_engine(store, params, engine, workers, scheduler, progress,
                             dask_processes, pass_two, spool.add, pool, counts,
                             drop_partitions)  # fmt: skip
        with timeline.span("merge"):
            write_profiles_document(handle, spool.texts(), sites=[s.to_json() for s in shared],
                                    meta=meta, ensure_ascii=ensure_ascii)  # fmt: skip
    return StoreProfiles(spool.people, spool.homes, spool.bases, shared)


def infer_store(
    store: EvidenceStore,
    *,
    params: InferenceParams | None = None,
    engine: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    dask_processes: bool = True,
    pool: ProcessPoolExecutor | None = None,
    counts: PeopleCounts | None = None,
    drop_partitions: bool = False,
) -> tuple[list[Profile], list[SharedSite]]:
    """Profiles of every person in the store and the shared sites.

    engine "local": partitions over `workers` processes (1: in this process). engine
    "dask": partitions as tasks on the Dask scheduler at `scheduler` (an address such as
    tcp://10.0.0.5:8786), or on a LocalCluster of `workers` (default 2) processes (threads
    with `dask_processes=False`). Every profile is returned in memory: to write
    profiles.json for a large store, `write_store_profiles` holds none of them. `pool`:
    the local engine's processes started beforehand (`local_pool`), left running.
    `counts`: the store's people and located people are added to it, as pass 1 counted
    them (for `EvidenceStore.stats`). `drop_partitions` (the local engine, a store that
    lives for one command): each partition's files are removed as soon as its pass 2 is
    done (`EvidenceStore.drop_partition`), behind the passes still running, rather than
    all at the end, where the kernel's freeing of files it has written back (and a disk
    mounted with `discard` trimming them) keeps the command waiting: 2.6 s of the 2 M
    default command's wall in a run of 80 s (benchmarks/README.md, main22).
    """
    profiles: list[Profile] = []
    sites = _run_engine(store, params, engine, workers, scheduler, progress, dask_processes,
                        profile_bucket, profiles.extend, pool, counts, drop_partitions)  # fmt: skip
    return sorted(profiles, key=lambda p: p.person), sites


def _run_engine(
    store: EvidenceStore,
    params: InferenceParams | None,
    engine: str,
    workers: int | None,
    scheduler: str | None,
    progress: Callable[[int], None] | None,
    dask_processes: bool,
    pass_two: Callable[..., list[Any]],
    emit: Emit,
    pool: ProcessPoolExecutor | None = None,
    counts: PeopleCounts | None = None,
    drop_partitions: bool = False,
) -> list[SharedSite]:
    """Both passes; each partition's pass-2 result goes to `emit` as it arrives (and its
    people to `counts`; its files removed after it with `drop_partitions` and the local
    engine). The sites, without their members' candidates."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    params = params or InferenceParams()
    buckets = list(range(store.buckets))
    # Each partition's task reads its people's context from the store: the client holds
    # no per-person table.
    contexts: list[Context] = [None] * len(buckets)
    root = str(Path(store.root).resolve())
    people = 0

    def counted(part: list[Any]) -> None:
        nonlocal people
        people += len(part)
        emit(part)

    try:
        if engine == "dask":
            sites = _infer_dask(root, buckets, contexts, params, workers, scheduler,
                                dask_processes, pass_two, counted, counts)  # fmt: skip
        else:
            if scheduler is not None:
                raise UsageError("--scheduler needs --engine dask")
            done = store.drop_partition if drop_partitions else None
            sites = _infer_local(
                root, buckets, contexts, params, workers, pass_two, counted, pool, counts, done
            )
    finally:
        forget_site_lookup()  # (pass 2 in this process: one process, or Dask's threads)
    if progress is not None:
        progress(people)
    return sites


def _site_pass(
    parts: Iterable[SlimBucket],
    params: InferenceParams,
    scratch: str,
    map_blocks: MapFunction | None = None,
    map_groups: MapFunction | None = None,
    counts: PeopleCounts | None = None,
) -> tuple[SiteColumns, SiteOdds]:
    """The sites (`SiteColumns`) and site odds from pass 1's results, taken in partition order as they
    come (each partition's slim analyses go to disk at once). `map_groups`: see
    `_SlimSpool.sites`. `counts`: the partitions' people are added to it."""
    spool = _SlimSpool(scratch)
    try:
        with timeline.span("pass 1"):
            for part in parts:
                spool.add(part)
                if counts is not None:
                    counts.add(part.people, part.located)
        with timeline.span("site pass"):
            return spool.sites(params, map_blocks, map_groups)
    finally:
        spool.close()


def _pool_context() -> Any:
    """Processes for the partitions start afresh (spawn), not as forks of this process:
    a fork would start with everything ingest left in this process's memory."""
    return pool_context("spawn")


# The cyclic collector's first threshold while partitions are analysed and profiled (the
# interpreter's default is 700). Inference makes and drops many small containers (a person's
# candidates, structures, places; the spill's objects as it loads), nearly none of them in
# cycles (reference counting frees them), yet every 700 more made than freed the collector
# walked the young ones, every tenth time the older ones too, and now and then everything
# the process holds (in pass 2 the site index of every person). At 200 k posts (`--store
# --workers 2`) that was 0.43-0.48 of each partition process's ~5 CPU s (700 young, 65
# older, 5-6 full collections); at 20,000, 0.04-0.05 (13 and 1). Garbage in cycles waits
# for at most 20,000 more containers (a few MB).
PARTITION_GC_THRESHOLD = 20_000


def _collect_less() -> tuple[int, int, int]:
    """Raise the cyclic collector's first threshold to `PARTITION_GC_THRESHOLD` (not
    lowered); the thresholds before."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], PARTITION_GC_THRESHOLD), *before[1:])
    return before


@contextmanager
def _collecting_less() -> Iterator[None]:
    """`_collect_less` while the block runs (inference in this process), restored after."""
    before = _collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*before)


# glibc's malloc thresholds in the processes that run partitions (bytes). By default it
# gives memory back to the system once 128 KiB lie free at the top of its heap, and serves
# blocks above a threshold that starts at 128 KiB by mmap, each unmapped when freed; a
# partition's numpy arrays (tens of KiB to a few MiB, made and dropped all the time) were
# then faulted in afresh page by page: pass 1 of the 500 k store's 64 partitions in one
# process took 197,000 page faults and 0.45-0.73 s of system time (of ~5.3 CPU s). With
# blocks up to 16 MiB from the heap and 32 MiB free kept at its top: 22,600 faults, 0.08-0.20
# s, the same peak RSS (166 MiB); larger blocks are still mapped, and unmapped when freed.
# The 500 k store's command (`--workers 2`, every process): 111,500 -> 71,400 faults.
PARTITION_MMAP_THRESHOLD = 16 << 20
PARTITION_TRIM_THRESHOLD = 32 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


def _keep_freed_memory() -> bool:
    """Set `PARTITION_MMAP_THRESHOLD` and `PARTITION_TRIM_THRESHOLD` in this process's
    malloc, for the rest of its life; False (nothing set) where malloc is not glibc's."""
    import ctypes
    import os

    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""  # "glibc 2.36"; musl has no such name
    except (ValueError, OSError):
        return False
    if not libc.startswith("glibc"):
        return False
    mallopt = ctypes.CDLL(None).mallopt  # (the process's own symbols: glibc's)
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, PARTITION_MMAP_THRESHOLD)
        and mallopt(_M_TRIM_THRESHOLD, PARTITION_TRIM_THRESHOLD)
    )


def _partition_process() -> None:
    """Start of a process of the local engine's pool: it runs partitions for the rest of
    its life, so the collector runs less (`_collect_less`) and malloc keeps freed memory
    for reuse (`_keep_freed_memory`) from now on; it ends with the command
    (`children.worker_start`)."""
    worker_start()
    _collect_less()
    _keep_freed_memory()
    atexit.register(_leave)  # (first of the handlers: registered after the interpreter's)


def _leave() -> None:
    """A partition process's end, once its pool has let it go: its output flushed and the
    process gone (`os._exit`), without the interpreter's finalization, which frees every
    object it holds one by one (the site index, the caches, every module) while the
    command waits on it."""
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _ready() -> None:
    """A started worker's first task: load what inference needs (the engine itself is
    imported to unpickle this function)."""
    from geoleak.infer import special

    special.load()  # (loaded by the first analysis otherwise)


@contextmanager
def local_pool(workers: int | None) -> Iterator[ProcessPoolExecutor | None]:
    """The local engine's `workers` processes, started now: a fresh interpreter and its
    imports take about a second, which then overlaps with what the caller does before
    inferring (such as ingest). None for one worker (the engine then needs no process)."""
    if workers is None or workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=_pool_context(), initializer=_partition_process
    ) as pool:
        for _ in range(workers):  # each task that finds no idle worker starts one
            pool.submit(_ready)
        yield pool


def _infer_local(
    root: str,
    buckets: list[int],
    contexts: list[Context],
    params: InferenceParams,
    workers: int | None,
    pass_two: Callable[..., list[Any]],
    emit: Emit,
    started: ProcessPoolExecutor | None = None,
    counts: PeopleCounts | None = None,
    done: Callable[[int], None] | None = None,
) -> list[SharedSite]:
    """`done`: called with each partition once its pass 2 is emitted (its files no longer
    read)."""
    workers = 1 if workers is None else workers
    n = len(buckets)
    with tempfile.TemporaryDirectory(prefix="geoleak-analyses-") as spill:
        if workers <= 1:
            with _collecting_less():
                columns, odds = _site_pass(
                    map(analyse_bucket, [root] * n, buckets, [params] * n, contexts, [spill] * n),
                    params,
                    spill,
                    counts=counts,
                )
                sites = SiteIndex(columns)
                for b in buckets:
                    emit(pass_two(root, b, params, contexts[b], sites, odds, spill))
                    if done is not None:
                        done(b)
            return columns.sites
        with ExitStack() as closing:
            pool = started or closing.enter_context(
                ProcessPoolExecutor(
                    max_workers=workers, mp_context=_pool_context(), initializer=_partition_process
                )
            )
            # The processes, idle while this one finds the sites, find each group's.
            columns, odds = _site_pass(
                pool.map(analyse_bucket, [root] * n, buckets, [params] * n, contexts, [spill] * n),
                params,
                spill,
                map_groups=pool.map,
                counts=counts,
            )
            # The sites go to each worker process once, as a file (sent with every
            # partition's task they cost as much as the task at 2 M posts: every site and
            # its members' candidates, pickled and read back once a partition), in columns:
            # each process indexes them (`SiteIndex`) and makes the candidates of the
            # sites each partition reads; this one holds none.
            sites_file = str(Path(spill) / "sites.pickle")
            with open(sites_file, "wb") as out:
                pickle.dump(columns, out, protocol=pickle.HIGHEST_PROTOCOL)
            task = functools.partial(_with_sites_file, pass_two)
            parts = pool.map(task, [root] * n, buckets, [params] * n, contexts,
                             [sites_file] * n, [odds] * n, [spill] * n)  # fmt: skip
            with timeline.span("pass 2"):
                for b, part in zip(buckets, parts, strict=True):  # (in order: `map`'s)
                    emit(part)
                    if done is not None:
                        done(b)
    return columns.sites


@functools.lru_cache(maxsize=1)
def _sites_from_file(path: str) -> SiteIndex:
    """The sites a run's pass 2 reads (`_infer_local`), read and indexed once a process."""
    with open(path, "rb") as handle:
        columns = pickle.load(handle)  # written by this run, in its scratch folder
    return SiteIndex(cast("SiteColumns", columns))


def _with_sites_file(
    pass_two: Callable[..., list[Any]],
    root: str,
    bucket: int,
    params: InferenceParams,
    context: Context,
    sites_file: str,
    site_odds: SiteOdds,
    spill: str | None,
) -> list[Any]:
    """`pass_two` of one partition with the sites read from `sites_file` (once a process)."""
    return pass_two(root, bucket, params, context, _sites_from_file(sites_file), site_odds, spill)


# The index (`SiteIndex`) of the site columns a Dask worker was sent, made once for
# every partition it runs.
_INDEXED: list[tuple[SiteColumns, SiteIndex]] = []


def _index_of(columns: SiteColumns) -> SiteIndex:
    """`SiteIndex(columns)`, the one made last if it was made for these columns."""
    with _SITE_LOOKUP_LOCK:
        if _INDEXED and _INDEXED[0][0] is columns:
            return _INDEXED[0][1]
        index = SiteIndex(columns)
        _INDEXED[:] = [(columns, index)]
        return index


def _with_site_columns(
    pass_two: Callable[..., list[Any]],
    root: str,
    bucket: int,
    params: InferenceParams,
    context: Context,
    columns: SiteColumns,
    site_odds: SiteOdds,
) -> list[Any]:
    """`pass_two` of one partition with the sites made from `columns` (once a process)."""
    return pass_two(root, bucket, params, context, _index_of(columns), site_odds)


# Partition tasks in flight on Dask per worker thread: enough to keep every thread busy
# while the client takes the finished results, few enough that results waiting for the
# client stay a few partitions, whatever the number of partitions.
TASKS_PER_THREAD = 4


def _window(client: Any) -> int:
    threads = sum(client.nthreads().values()) or 1
    return max(2, TASKS_PER_THREAD * threads)


def _windowed(
    client: Any, window: int, function: Callable[..., Any], *iterables: Iterable[Any]
) -> Iterator[Any]:
    """`map(function, *iterables)` as Dask tasks, results in order: at most `window`
    tasks are submitted and not yet taken, and each result is released on the cluster as
    soon as it is taken. (`client.map` and `gather` of every partition at once would keep
    every partition's result in the workers' memory, then all of them in this process's,
    so both would grow with the corpus.)"""
    from collections import deque

    pending: deque[Any] = deque()
    for args in zip(*iterables, strict=True):
        pending.append(client.submit(function, *args, pure=False))
        if len(pending) >= window:
            yield pending.popleft().result()  # the future is dropped: its result released
    while pending:
        yield pending.popleft().result()


def _infer_dask(
    root: str,
    buckets: list[int],
    contexts: list[Context],
    params: InferenceParams,
    workers: int | None,
    scheduler: str | None,
    processes: bool,
    pass_two: Callable[..., list[Any]],
    emit: Emit,
    counts: PeopleCounts | None = None,
) -> list[SharedSite]:
    import importlib

    try:
        dist: Any = importlib.import_module("distributed")  # untyped: kept as Any
    except ImportError:
        raise UsageError("--engine dask needs Dask: pip install 'geoleak[dask]'") from None
    cluster = client = None
    local: str | None = None
    try:
        if scheduler is not None:
            try:
                client = dist.Client(scheduler)
            except OSError as exc:  # refused, unreachable, timed out (distributed: OSError)
                raise UsageError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        else:
            # The workers' folders in one of geoleak's, removed at the end, also when the
            # cluster is stopped as it starts (Dask's default, TMPDIR/dask-scratch-space,
            # stayed after every run).
            local = tempfile.mkdtemp(prefix="geoleak-dask-")
            with importlib.import_module("dask").config.set({"temporary-directory": local}):
                try:
                    cluster = dist.LocalCluster(
                        n_workers=workers or 2,
                        threads_per_worker=1,
                        processes=processes,
                        dashboard_address=None,
                        local_directory=local,
                    )
                except (OSError, RuntimeError) as exc:  # (distributed: RuntimeError, OSError)
                    # Its scheduler and workers talk over the loopback network: none (a
                    # sandbox, `unshare -n`) or refused ports stop it.
                    raise UsageError(
                        f"--engine dask: the local Dask cluster did not start ({exc}); "
                        "is the loopback network up? (--engine local needs no network)"
                    ) from None
                client = dist.Client(cluster)
        n = len(buckets)
        window = _window(client)

        def client_map(function: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
            return _windowed(client, window, function, *iterables)

        with tempfile.TemporaryDirectory(prefix="geoleak-slim-") as scratch:
            parts = _windowed(client, window, analyse_bucket, [root] * n, buckets,
                              [params] * n, contexts)  # fmt: skip
            columns, odds = _site_pass(parts, params, scratch, client_map, counts=counts)
        # hash=False: a content key would tokenize every site and member (Dask's tokenize
        # walks the whole object): ~20 MB of transient memory at 250 k posts, growing with
        # the sites, where sending them costs ~2 MB. The sites go in columns; each worker
        # indexes them once (`_index_of`).
        [shared_sites] = client.scatter([columns], broadcast=True, hash=False)
        task = functools.partial(_with_site_columns, pass_two)
        for part in _windowed(client, window, task, [root] * n, buckets, [params] * n,
                              contexts, [shared_sites] * n, [odds] * n):  # fmt: skip
            emit(part)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        if local is not None:
            shutil.rmtree(local, ignore_errors=True)
    return columns.sites
