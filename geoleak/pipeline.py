"""Wires the stages: ingest -> extract -> infer. The only module that knows their order.

Posts stream from the readers in batches; the media of a batch are read in parallel
(processes, both cores by default); only compact per-person evidence and counters are kept,
so a corpus larger than memory streams through. Per-person inference is separable
(`geoleak.infer.places.analyse_person`); only the site pass looks across people.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing as mp
import os
import re
import sys
import traceback
import zlib
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from itertools import chain, compress, groupby, islice
from operator import ne
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol, cast

import numpy as np

from geoleak import timeline
from geoleak.children import available_cpus, pool_context, worker_start
from geoleak.diagnostics import Diagnostics
from geoleak.errors import UsageError
from geoleak.extract.columns import PlainGeotag, plain_geotags, plain_rows_of, plains_of_text
from geoleak.extract.evidence import evidence_from_post
from geoleak.extract.evidence_columns import EvidenceParts, EvidenceRows, GeotagRows
from geoleak.extract.localtime import implausible_time
from geoleak.extract.media import read_media_digest
from geoleak.extract.text import PlaceContext, checkin_evidence
from geoleak.geocode import OFFLINE
from geoleak.geocode.base import Geocoder
from geoleak.geometry import TrackThinner
from geoleak.infer import InferenceParams, LeakInference, PersonContext
from geoleak.infer.places import PersonAnalysis
from geoleak.infer.sites import SiteOdds
from geoleak.ingest import open_inputs
from geoleak.ingest.dedupe import Deduper, utc_geotag_keys
from geoleak.ingest.jsonl import (
    JsonlLine,
    LineRun,
    MediaPathGuard,
    RunRequest,
    UnparsedPost,
    deferred_parsing,
    parse_unparsed,
)
from geoleak.types import Evidence, LatLon, MediaMeta, Post, Profile, SharedSite
from geoleak.wording import count, position_source_words

__all__ = [
    "NO_LOCATION",
    "EvidenceSet",
    "LeakStats",
    "RunResult",
    "collect_evidence",
    "infer_profiles",
    "run",
]

ProgressCallback = Callable[[int], None]
NO_LOCATION = "no location found: "  # how the summary's verdict on an input without one starts
# What the readers yield under `deferred_parsing`: a Post, or JSONL lines left unparsed
# (one, or a run of them).
_Item = Post | UnparsedPost | LineRun
BATCH_POSTS = 512
# Batches handed to the shards before the oldest one's results are awaited. The corpus is
# often in runs of one person's posts, a run on one shard: with a deep window each shard
# has batches queued while the other works through a long run (with one batch ahead, a
# shard idled until the other finished).
WINDOW_BATCHES = 24
# Batches handed to each worker process in one call, each taken there as before (`_Group`):
# a call costs the main process's executor threads wake-ups, a pickle, a pipe write and a
# result whatever its size (0.18-0.22 CPU s of those threads over the 213 batches of the
# 300-person photo corpus one call a batch, 0.06 with calls of 8). The window above holds
# the 16 batches ahead it held before, with one call still gathering.
SUBMIT_BATCHES = 8
# Plain located JSONL lines go through `geoleak.extract.columns` (tests switch it off to
# compare with the general path).
PLAIN_COLUMNS = True
# A shard that infers its people keeps plain lines' evidence in columns (EvidenceColumns):
# an Evidence object is made only for the few posts inference asks one of.
EVIDENCE_COLUMNS = True
PARALLEL_MIN_FILES = 24
# The JSONL reader hands its lines to the shards in runs, in columns (`LineRun`; tests
# switch it off to compare with the lines handed over one by one).
LINE_RUNS = True
# The cyclic collector's first threshold in a shard's worker process (the interpreter's
# default is 700; the partition processes' is `engine.PARTITION_GC_THRESHOLD`, for the
# same reason). A shard makes and drops many small containers a call (the decoded lines'
# tuples, each batch's lists), nearly none in cycles (reference counting frees them), yet
# every 700 more made than freed the collector walked the young ones, and every tenth
# time the older ones: at 500 k posts (`ingest --store --workers 2`) 0.063-0.068 of each
# shard's ~1.5 CPU s. Garbage in cycles waits for at most this many more containers.
SHARD_GC_THRESHOLD = 20_000


@dataclass
class LeakStats:
    """How much of the input carried a location, and of which kind."""

    posts: int = 0
    posts_located: int = 0
    posts_with_text_only: int = 0
    media_files: int = 0
    media_located: int = 0
    media_unreadable: int = 0
    media_no_metadata: int = 0
    media_no_gps: int = 0
    media_gps_rejected: int = 0
    posts_with_geotag: int = 0
    posts_with_place: int = 0
    posts_with_place_no_centre: int = 0
    evidence_by_source: Counter[str] = field(default_factory=Counter)
    # located media files by where their position was read (MediaMeta.position_source)
    media_position_sources: Counter[str] = field(default_factory=Counter)
    people: int = 0
    people_located: int = 0
    times_rejected: int = 0  # sentinel or impossible times left out (1901, 2085, ...)
    media_tracks: int = 0  # videos with a GPS track (GoPro GPMF, ...)
    media_track_fixes: int = 0  # their valid fixes before thinning
    media_track_points: int = 0  # the points kept (each one piece of evidence)
    duplicate_posts: int = 0  # repeats of an earlier post of the same person, dropped
    duplicate_media: int = 0  # media files whose content was read already, counted once
    history_fixes: int = 0  # location-history fixes read (Records.json) ...
    history_points: int = 0  # ... and kept (thinned: geometry.TrackThinner)
    path_fixes: int = 0  # Timeline timelinePath points read ...
    path_points: int = 0  # ... and kept (moved 100 m)
    activity_tracks: int = 0  # GPX/TCX/FIT/GeoLife/DJI tracks with a fix ...
    activity_fixes: int = 0  # ... their fixes ...
    activity_points: int = 0  # ... and the start and end points kept of them
    activity_stays: int = 0  # stays inside GeoLife trajectories (`geoleak.ingest.stays`) ...
    activity_stay_points: int = 0  # ... and the observations of them kept
    inputs_found: str = ""  # what the inputs hold, said when they gave no posts
    # located posts by the file they were read from (`_source_file` of the post's origin),
    # for posts other than a JSONL corpus's plain geotags: `geoleak audit` lists an export's
    # posts file (tweets.js, a GeoLife .plt, a check-in TSV) as a file that gives away
    # positions. Not in `to_json`.
    located_origins: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            k: v for k, v in self.__dict__.items() if not isinstance(v, Counter)
        }
        out["evidence_by_source"] = dict(self.evidence_by_source)
        out["media_position_sources"] = dict(self.media_position_sources)
        return out

    def add_counts(self, name: str, value: object) -> bool:
        """Add a by-kind count read back (from a shard or a store's manifest) to the one
        named; False when `name` is no such count."""
        mine = getattr(self, name, None)
        if not isinstance(mine, Counter) or not isinstance(value, dict):
            return False
        mine.update(value)
        return True

    def summary_lines(self) -> list[str]:
        """Plain sentences: how many of the N posts and files carried a location, and why not."""
        lines = []
        share = f" ({100 * self.posts_located / self.posts:.0f}%)" if self.posts else ""
        lines.append(
            f"{count(self.posts, 'post')} of {count(self.people, 'person')} read; "
            f"{self.posts_located}{share} carried a location; "
            f"{count(self.people_located, 'person')} "
            f"{'has' if self.people_located == 1 else 'have'} located evidence"
        )
        kinds = [
            f"{n} {label}"
            for key, label in (
                ("exif", self._media_positions_label(self.evidence_by_source.get("exif", 0))),
                ("geotag", "platform geotags"),
                ("place", "named places with a centre"),
                ("checkin", "check-ins named in text"),
                (
                    "track",
                    "track / location-history / video-track points"
                    if self.media_tracks
                    else "track / location-history points",
                ),
            )
            if (n := self.evidence_by_source.get(key, 0))
        ]
        if kinds:
            lines.append("evidence: " + ", ".join(kinds))
        if self.media_files:
            lines.append(
                f"media: {count(self.media_files, 'file')}, {self.media_located} with a usable GPS position, "
                f"{self.media_no_gps} with metadata but no GPS, {self.media_no_metadata} with no metadata, "
                f"{self.media_gps_rejected} with a rejected position, {self.media_unreadable} unreadable"
            )
        if self.duplicate_posts or self.duplicate_media:
            lines.append(
                f"duplicates merged: {count(self.duplicate_media, 'media file')} already read "
                f"under another name or post, {count(self.duplicate_posts, 'repeated post')} "
                "(the same person's copies count once)"
            )
        if self.media_tracks:
            lines.append(
                f"video GPS tracks: {count(self.media_tracks, 'file')}, "
                f"{count(self.media_track_fixes, 'fix', 'fixes')} thinned to "
                f"{count(self.media_track_points, 'point')} (a fix is kept when the camera "
                f"{TrackThinner().rule()}, and each track's last)"
            )
        if self.history_fixes:
            lines.append(
                f"location history: {count(self.history_fixes, 'fix', 'fixes')} thinned to "
                f"{count(self.history_points, 'point')} (a fix is kept when the person "
                f"{TrackThinner().rule()})"
            )
        if self.path_fixes:
            lines.append(
                f"timeline paths: {count(self.path_fixes, 'point')} thinned to "
                f"{self.path_points} (a point is kept when the person moved "
                f"{TrackThinner().min_move_m:,.0f} m)"
            )
        if self.activity_tracks:
            lines.append(
                f"activity tracks: {count(self.activity_tracks, 'track')}, "
                f"{count(self.activity_fixes, 'fix', 'fixes')}; their "
                f"{count(self.activity_points, 'start and end point')} are the evidence"
                + (
                    f", with {count(self.activity_stay_points, 'observation')} of the "
                    f"{count(self.activity_stays, 'stay')} inside them (where the person stopped "
                    "30 minutes or more: seen as they arrived, every hour and as they left)"
                    if self.activity_stays
                    else ""
                )
            )
        if self.times_rejected:
            lines.append(
                f"{self.times_rejected} impossible or placeholder times left out "
                "(before 1990, in the future, or a format's 'no time' value)"
            )
        if not self.posts_located:
            lines.append(NO_LOCATION + self.why_nothing())
        return lines

    def _media_positions_label(self, positions: int) -> str:
        """What the `positions` of source "exif" are: EXIF GPS in media files, or each kind
        with its count when some were read elsewhere in a file (a GoPro's GPMF track, a
        video's QuickTime atom) or come from an export's record of its photos' EXIF
        (Facebook's and Instagram's `exif_data`, Takeout's `geoDataExif`) rather than a
        file geoleak read."""
        sources = self.media_position_sources
        recorded = max(0, positions - sum(sources.values()))
        if set(sources) <= {"exif"} and not recorded:
            return "EXIF GPS positions in media"
        if not sources:
            return "EXIF GPS positions an export recorded for its photos"
        kinds = [
            f"{position_source_words(s)} in {count(n, 'file')}" for s, n in sources.most_common()
        ]
        if recorded:
            kinds.append(f"{recorded} recorded by an export for its photos")
        return f"GPS positions in media metadata ({', '.join(kinds)})"

    def why_nothing(self) -> str:
        """Why no location was found, in the user's terms (a silent nothing reads as a bug)."""
        if not self.posts:
            found = f": {self.inputs_found}" if self.inputs_found else ""
            return f"the input held no posts or media files{found}"
        reasons = []
        if self.media_files:
            if self.media_no_metadata:
                reasons.append(
                    f"{self.media_no_metadata} of {self.media_files} media files carry no metadata at all "
                    "(platforms such as Instagram, Facebook and X strip it on upload, so downloaded copies "
                    "often have none)"
                )
            if self.media_no_gps:
                reasons.append(
                    f"{self.media_no_gps} have metadata but no GPS tags (location was off in the camera, "
                    "or the position was removed, as geoleak scrub does)"
                )
            if self.media_gps_rejected:
                reasons.append(
                    f"{self.media_gps_rejected} had a GPS position that was rejected as invalid "
                    "(0, 0 placeholders, out-of-range values)"
                )
            if self.media_unreadable:
                reasons.append(f"{self.media_unreadable} could not be read")
        else:
            reasons.append("no post has media attached")
        if self.posts_with_place_no_centre:
            reasons.append(
                f"{self.posts_with_place_no_centre} posts name a place without coordinates "
                "(an offline gazetteer or places file can resolve them)"
            )
        reasons.append(
            "the post has no platform geotag"
            if self.posts == 1
            else f"none of the {self.posts} posts has a platform geotag"
        )
        return "; ".join(reasons)


@dataclass
class EvidenceSet:
    """Located evidence per person, plus what the pipeline knows of each person."""

    evidence: dict[str, list[Evidence]]
    context: dict[str, PersonContext]
    media: dict[str, MediaMeta]
    stats: LeakStats
    rows_written: int = 0  # (`collect_evidence` with a sink) evidence rows its shards wrote


@dataclass
class RunResult:
    profiles: list[Profile]
    sites: list[SharedSite]
    evidence: dict[str, list[Evidence]]
    media: dict[str, MediaMeta]
    stats: LeakStats


def _batched(
    posts: Iterable[_Item], size: int, request: RunRequest | None = None
) -> Iterator[list[_Item]]:
    """The posts in batches of `size` (a `LineRun` counts as its lines). `request`, when
    the readers yield runs for it, is told before each item is read how many posts the
    batch still takes, so no run crosses the end of a batch."""
    batch: list[_Item] = []
    count = 0
    if request is not None:
        request.room = size
    for post in posts:
        batch.append(post)
        count += _posts_in(post)
        if count >= size:
            yield batch
            batch = []
            count = 0
        if request is not None:
            request.room = size - count
    if batch:
        yield batch


def _posts_in(item: _Item) -> int:
    return len(item.lines) if type(item) is LineRun else 1


def _numbered(batch: Sequence[_Item], start: int) -> list[tuple[int, _Item]]:
    """Each item with the number of its (first) post; a run's lines are numbered in turn."""
    out = []
    for item in batch:
        out.append((start, item))
        start += _posts_in(item)
    return out


def read_media_and_digest(path: str) -> tuple[MediaMeta, str | None]:
    """A media file's metadata and its content digest for dedupe, read in one place (a
    worker) from one open of the file, so the main process never touches the file."""
    meta, digest = read_media_digest(path)
    return meta, digest if isinstance(digest, str) else None


def _media_problem(meta: MediaMeta, stats: LeakStats) -> str | None:
    """Count a media file in the stats; return the per-person exclusion key if any."""
    stats.media_files += 1
    if meta.error:
        stats.media_unreadable += 1
        return "unreadable"
    if meta.position is not None:
        stats.media_located += 1
        stats.media_position_sources[meta.position_source or "unknown"] += 1
        return None
    rejections = [w for w in meta.warnings if "position" in w.lower() or "null island" in w.lower()]
    if rejections:
        stats.media_gps_rejected += 1
        return "null-island" if any("null island" in w.lower() for w in rejections) else "rejected"
    if meta.has_metadata:
        stats.media_no_gps += 1
    else:
        stats.media_no_metadata += 1
    return None


class _RecordingDiagnostics(Diagnostics):
    """A shard's warnings, kept with where in the run they arose so that the main process
    can replay every shard's warnings in the order one process would have given them."""

    def __init__(self) -> None:
        super().__init__()
        self.at: tuple[int, object] = (0, 0)  # (0, media path) or (1, post number)
        # (at, once key, file named, message, kind): a file is named by the main process,
        # which knows every input (an archive read after this worker forked included)
        self.events: list[tuple[tuple[int, object], str | None, str | None, str, str]] = []

    def warn(self, message: str, *, kind: str = "other") -> None:
        self.events.append((self.at, None, None, message, kind))

    def warn_once(self, key: str, message: str, *, kind: str = "other") -> None:
        if key not in self._once:
            self._once.add(key)
            self.events.append((self.at, key, None, message, kind))

    def warn_file(self, path: str | os.PathLike[str], message: str, *, kind: str = "other") -> None:
        self.events.append((self.at, None, os.fspath(path), message, kind))

    def warn_file_once(
        self, key: str, path: str | os.PathLike[str], message: str, *, kind: str = "other"
    ) -> None:
        if key not in self._once:
            self._once.add(key)
            self.events.append((self.at, key, os.fspath(path), message, kind))


@dataclass
class _BatchResult:
    """What a shard hands back for one batch of posts."""

    # path, metadata (kept ones), bad times: the files read whose metadata is kept or that
    # had bad times
    media: list[tuple[str, MediaMeta | None, int]]
    evidence: dict[str, list[Evidence]]
    first_located: dict[str, int]  # person -> number of their first located post in the batch
    events: list[tuple[tuple[int, object], str | None, str | None, str, str]]


@dataclass
class _ShardTotals:
    stats: LeakStats
    posts_dropped: int
    media_dropped: int
    posts_per_person: Counter[str]
    devices: dict[str, Counter[str]]
    excluded: dict[str, Counter[str]]
    utc_hours: dict[str, array[int]]
    # A streaming shard's people went to its sink with their context: the counters above
    # are empty, these count them (people, those with evidence) and the rows written.
    people: int = 0
    people_located: int = 0
    rows_written: int = 0
    # Evidence from posts geocoded at the end (`_Shard.resolve_deferred`): handed back
    # (a shard that keeps no evidence), or, a shard that holds it, who got any.
    late_evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    late_located: list[str] = field(default_factory=list)


class ShardSink(Protocol):
    """Where one streaming shard writes its people's evidence and context (`RowSink`)."""

    def add(self, rows: EvidenceRows) -> None:
        """Take a batch's rows (a person's next to each other, each person's in post order;
        a person's later rows come in later batches)."""

    def close(self, context: Mapping[str, PersonContext]) -> int:
        """After the shard's last batch: its people's context (every person it read, with
        evidence or not); returns the evidence rows written."""


class RowSink(Protocol):
    """Where a streaming `collect_evidence` hands the evidence (the evidence store's run):
    each shard of people writes to its own `ShardSink`, in the process it runs in."""

    def shard(self, index: int) -> ShardSink:
        """The sink of shard `index` (made before the shards move to worker processes:
        it must open no file before its first `add` there)."""


class _PlainColumns(NamedTuple):
    """A batch's plain lines read in columns (`GeotagRows`) and, per row, what dedupe and
    the counters read, made once for the batch."""

    rows: GeotagRows
    key: list[int]  # the post's dedupe key (`utc_geotag_keys`)
    utc_hour: list[int]
    # Its ~50 km cell's key and its position (`_remember_positions`); all three empty
    # where the shard keeps no positions (no geocoder: `_plain_columns`' `positions`).
    cell: list[float]
    lat: list[float]
    lon: list[float]


class _PlainRun(NamedTuple):
    """Consecutive plain lines of a batch: their post numbers and their rows of the
    batch's `_PlainColumns` (lists a run that follows may extend)."""

    columns: _PlainColumns
    numbers: list[int]
    at: list[int]


class _PlainLines(NamedTuple):
    """A batch's unparsed lines read in columns: the columns of its plain ones (None when
    none is) and each line's row of them (-1: not plain), in post order."""

    columns: _PlainColumns | None
    row_of: list[int]


def _unparsed_lines(posts: Sequence[tuple[int, _ShardItem]]) -> tuple[list[str], list[str]]:
    """The authors and texts of a batch's JSONL lines left unparsed (`UnparsedPost`, or
    `JsonlLine` in a worker, or a run's `_ShardLines`), in post order."""
    authors: list[str] = []
    texts: list[str] = []
    for _, post in posts:
        if isinstance(post, _ShardLines):
            authors += post.run.authors
            texts += post.run.lines
        elif isinstance(post, tuple):  # (an `UnparsedPost` or its `as_line`)
            authors.append(post[0])
            texts.append(post[2])
    return authors, texts


def _plain_runs(
    posts: Sequence[tuple[int, _ShardItem]], ahead: _PlainLines | None
) -> list[_PlainRun] | None:
    """A batch's posts as `_Shard._parsed` gives them when they are all runs of plain lines
    (`_ShardLines` whose every line is plain; `ahead`: their reading), else None."""
    if ahead is None or ahead.columns is None or -1 in ahead.row_of:
        return None
    runs: list[_PlainRun] = []
    k = 0
    for _, post in posts:
        if not isinstance(post, _ShardLines):
            return None
        end = k + len(post.posts)
        runs.append(_PlainRun(ahead.columns, list(post.posts), ahead.row_of[k:end]))
        k = end
    return runs


def _plain_lines(
    authors: list[str], texts: list[str], decoded: list[Any] | None = None, positions: bool = True
) -> _PlainLines:
    """Lines by their authors read in columns (`plain_rows_of`; `decoded`: their reading
    when made, `texts` then not read), as `_PlainLines` (`positions`: `_plain_columns`')."""
    rows = plain_rows_of(authors, texts, decoded) if authors else None
    if rows is None:
        return _PlainLines(None, [-1] * len(authors))
    rows_of_lines = np.full(len(authors), -1, dtype=np.int64)
    rows_of_lines[rows.line] = np.arange(len(rows))
    return _PlainLines(_plain_columns(rows, positions), rows_of_lines.tolist())


class _ShardLines(NamedTuple):
    """Lines of a `LineRun` that go to one shard (all of it, or those of its people), as
    they travel to it: the lines in columns, and each one's post number."""

    posts: Sequence[int]  # (arrays: they travel as bytes)
    run: LineRun  # (`numbers` an array too, `entries` left empty)
    # The lines as one text, as `decode_each` decodes them (`_as_text`; `run.lines` is then
    # empty until `_with_lines`): one string to pickle and none to join again.
    text: str | None = None


# What `decode_each` puts between two lines: `_as_text`'s text splits back at it.
_LINE_SEPARATOR = "\n],["


def _as_text(post: _ShardLines) -> _ShardLines:
    """`post` with its lines as `decode_each`'s text of them (`"[[" + "\n],[".join(lines)
    + "\n]]"`), where that text splits back into exactly the lines: no line holds the
    separator (it has no border, so its count is the lines' gaps only then). Else as it is.

    Lines that hold "\n" at most as their last character (`LineRun.newline_last`: the
    JSONL reader's) are not counted: such a line cannot hold the separator, and none is
    made where two pieces meet (a line's "\n" is followed by the separator's "\n" or the
    end's, never by "]")."""
    lines = post.run.lines
    if not lines:
        return post
    pieces = lines.copy()  # (one join: concatenations would copy the whole text again)
    pieces[0] = "[[" + pieces[0]
    pieces[-1] += "\n]]"
    text = _LINE_SEPARATOR.join(pieces)
    if not post.run.newline_last and text.count(_LINE_SEPARATOR) != len(lines) - 1:
        return post
    return _ShardLines(post.posts, post.run._replace(lines=[]), text)


def _with_lines(posts: list[tuple[int, _ShardItem]]) -> list[tuple[int, _ShardItem]]:
    """`posts` with the lines of those that travelled as text (`_as_text`) split back."""
    return [
        (n, _ShardLines(p.posts, p.run._replace(lines=p.text[2:-3].split(_LINE_SEPARATOR))))
        if isinstance(p, _ShardLines) and p.text is not None
        else (n, p)
        for n, p in posts
    ]


def _texts_decoded(batches: Sequence[Sequence[tuple[int, _ShardItem]]]) -> list[Any] | None:
    """The plain reading (`plains_of_text`) of every line of `batches`, in order, when
    each of their posts is lines that travelled as text and each text decodes; else None
    (their lines are read as before)."""
    decoded: list[Any] = []
    for posts in batches:
        for _, post in posts:
            if not isinstance(post, _ShardLines) or post.text is None:
                return None
            plains = plains_of_text(post.text, len(post.run.authors))
            if plains is None:
                return None
            decoded += plains
    return decoded


# A batch's item as a shard takes it: a post, or unparsed lines (one, or a run's).
_ShardItem = Post | UnparsedPost | JsonlLine | _ShardLines


class _Shard:
    """Everything `collect_evidence` keeps per person, for the people of one shard.

    All state is per person (dedupe is within a person, ambiguous town names are settled
    by the person's own positions), so people hashed into separate shards can be processed
    in separate processes and give what one process gives. A shard reads the media of its
    own posts, so every file is read and hashed once, in the process that uses it.

    With `holds_evidence` the shard keeps its people's evidence and sends back neither it
    nor the media metadata: its people are then inferred where their evidence is
    (`analyse`, then `profiles` once the sites of every shard are known). A streaming
    shard (with a `sink`) writes each batch's evidence to its sink as rows
    (`EvidenceRows`, what the evidence store writes; plain lines' straight from their
    columns) and, at its end, its people's context: neither travels back.
    """

    def __init__(
        self, geocoder: Geocoder | None, sink: ShardSink | None, holds_evidence: bool = False
    ) -> None:
        self.geocoder = geocoder
        self.sink = sink
        self.streaming = sink is not None
        self.holds_evidence = holds_evidence
        # (streaming) rows not yet handed to the sink: a shard that may still move to a
        # worker process writes nothing before it does (`may_write`; see `_ShardSet`)
        self.unwritten: list[EvidenceRows] = []
        self.may_write = True
        self.located: set[str] = set()  # (streaming) people with evidence
        # (holds_evidence) each person's evidence in post order: plain lines' rows in
        # columns, other posts' Evidence objects
        self.evidence: dict[str, EvidenceParts] = {}
        self.analyses: list[PersonAnalysis] = []
        self.diag = _RecordingDiagnostics()
        self.stats = LeakStats()
        self.posts_per_person: Counter[str] = Counter()
        self.devices: dict[str, Counter[str]] = {}
        self.excluded: dict[str, Counter[str]] = {}
        self.utc_hours: dict[str, array[int]] = {}  # posts per UTC hour, `new_hours()`
        self.near_cells: dict[str, array[float]] = {}  # see `_remember_position`
        # posts naming a place by people with no position yet (`_account_post`), at most
        # DEFERRED_MAX (then geocoded at once, as they come)
        self.deferred: dict[str, list[Post]] = {}
        self.deferred_posts = 0
        self.media: dict[str, MediaMeta] = {}  # read so far (streaming: this batch's)
        self.digests: dict[str, str | None] = {}
        self.deduper = Deduper(self.diag, digest_of=self.digests.get)
        self.guards: dict[str, MediaPathGuard] = {}  # per corpus folder (parse_unparsed)

    def take(
        self, posts: Sequence[tuple[int, _ShardItem]], ahead: _PlainLines | None = None
    ) -> _BatchResult:
        """Parse the batch's unparsed lines, read its new media, then dedupe and extract
        its posts in order. `ahead`: its lines' plain reading, when made ahead
        (`plain_ahead`)."""
        diag = self.diag
        diag.events = []
        parsed = self._parsed(posts, ahead)
        if self.streaming:
            self.media = {}  # a repeated path is read again in a later batch
        wanted = sorted({m for _, post in parsed if isinstance(post, Post)
                         for m in post.media} - self.media.keys())  # fmt: skip
        media_out: list[tuple[str, MediaMeta | None, int]] = []
        for path in wanted:
            meta, digest = read_media_and_digest(path)
            diag.at = (0, path)
            counted = LeakStats()
            self.media[path] = sane = _sane_media(meta, diag, counted)
            self.digests[path] = digest
            kept_meta = None if self.streaming or self.holds_evidence else sane
            if kept_meta is not None or counted.times_rejected:
                # (Without metadata and bad times a file adds nothing: another shard that
                # reads it finds none either.)
                media_out.append((path, kept_meta, counted.times_rejected))
        evidence: dict[str, list[Evidence]] = {}
        first_located: dict[str, int] = {}
        if self.streaming:
            self.evidence = {}  # the batch's, handed back as rows
        held = self.evidence if self.holds_evidence or self.streaming else None
        run: list[_PlainRun] = []  # plain rows since the last other post
        for number, post in parsed:
            if isinstance(post, _PlainRun):
                run.append(post)
                continue
            if run:  # before this post's dedupe, and its person's places named in text
                self._take_rows(run, first_located)
                run = []
            diag.at = (1, number)
            if isinstance(post, PlainGeotag):
                self._take_plain(number, post, evidence, first_located)
            else:
                kept = self.deduper.check(post)
                if kept is None:
                    continue
                kept = _sane_post(kept, diag, self.stats)
                defer = self.deferred if self.deferred_posts < DEFERRED_MAX else None
                self.deferred_posts += _account_post(
                    kept, self.media, self.stats, diag, evidence, self.posts_per_person,
                    self.devices, self.excluded, self.utc_hours, self.geocoder,
                    self.near_cells, defer,
                )  # fmt: skip
                if kept.author in evidence:
                    first_located.setdefault(kept.author, number)
            if held is not None and evidence:  # a person's evidence in post order
                for person, found in evidence.items():
                    parts = held.get(person)
                    if parts is None:
                        parts = held[person] = EvidenceParts()
                    parts.add_evidence(found)
                evidence = {}
        if run:
            self._take_rows(run, first_located)
        if self.streaming:
            for path in wanted:  # only (person, content) keys outlive the batch
                self.digests.pop(path, None)
            if self.evidence:
                self.unwritten.append(EvidenceRows.of_parts(self.evidence.items()))
                self._write()
            self.evidence = {}
            self.located.update(first_located)
            first_located = {}  # (the main process needs them only for rows it merges)
        return _BatchResult(media_out, evidence, first_located, diag.events)

    def take_plain(self, runs: Sequence[_PlainRun]) -> None:
        """`take` of consecutive batches of a streaming shard whose posts are all runs of
        plain lines (`_plain_runs`), at once: their dedupe in post order, the counters once
        per person, and their rows handed to the sink as one block (people in the order
        first seen, each one's rows in post order; the store reads a person's rows
        together, in the order written, whatever block they came in). Each batch's result
        would be empty (no warnings, media or evidence to send back)."""
        first_located: dict[str, int] = {}
        self.media = {}
        self.evidence = {}
        self._take_rows(runs, first_located)
        if self.evidence:
            self.unwritten.append(EvidenceRows.of_parts(self.evidence.items()))
            self._write()
        self.evidence = {}
        self.located.update(first_located)

    def _write(self) -> None:
        """Hand the rows taken so far to the sink, once this shard may write."""
        if self.may_write and self.sink is not None:
            for rows in self.unwritten:
                self.sink.add(rows)
            self.unwritten = []

    def _take_rows(self, runs: Sequence[_PlainRun], first_located: dict[str, int]) -> None:
        """What `_take_plain` does with each of consecutive plain lines read in columns
        (runs of one batch), their evidence kept as rows (a shard that holds its people's
        evidence): dedupe in post order, then the counters once per person (people in the
        order first seen, each one's posts in post order)."""
        columns = runs[0].columns
        numbers = list(chain.from_iterable(run.numbers for run in runs))
        at = list(chain.from_iterable(run.at for run in runs))
        kept = self.deduper.check_keys(list(map(columns.key.__getitem__, at)))
        if False in kept:
            numbers, at = list(compress(numbers, kept)), list(compress(at, kept))
        if not at:
            return
        rows = columns.rows
        authors = list(map(rows.author.__getitem__, at))
        first: dict[str, int] = {}  # each person's first post in the run
        order = list(map(first.setdefault, authors, itertools.count()))
        if order != sorted(order):  # (a person's posts not together: grouped, stably)
            regrouped = sorted(range(len(at)), key=order.__getitem__)
            numbers = list(map(numbers.__getitem__, regrouped))
            at = list(map(at.__getitem__, regrouped))
        located = len(at)
        stats = self.stats
        stats.posts += located
        stats.posts_with_geotag += located
        stats.posts_located += located
        stats.evidence_by_source[rows.source.value] += located
        start = 0
        for author, size in Counter(authors).items():  # (people in the order first seen)
            mine = at[start : start + size]
            self.posts_per_person[author] += size
            hours = _hours_of(self.utc_hours, author)
            for hour, posts in Counter(map(columns.utc_hour.__getitem__, mine)).items():
                hours[hour] += posts
            if self.geocoder is not None:
                _remember_positions(_near_of(self.near_cells, author), columns, mine)
            parts = self.evidence.get(author)
            if parts is None:
                parts = self.evidence[author] = EvidenceParts()
            parts.add_rows(rows, mine)
            first_located.setdefault(author, numbers[start])
            start += size

    def _take_plain(
        self,
        number: int,
        plain: PlainGeotag,
        evidence: dict[str, list[Evidence]],
        first_located: dict[str, int],
    ) -> None:
        """What dedupe, `_sane_post` and `_account_post` do with a plain line's post (a
        geotag with a plausible UTC time, nothing else), from its `PlainGeotag`."""
        author, created, found = plain
        if not self.deduper.check_geotag(author, created, found.position):
            return
        stats = self.stats
        stats.posts += 1
        self.posts_per_person[author] += 1
        _hours_of(self.utc_hours, author)[created.hour] += 1
        stats.posts_with_geotag += 1
        if self.geocoder is not None:
            _remember_position(_near_of(self.near_cells, author), found.position.lat,
                               found.position.lon)  # fmt: skip
        stats.posts_located += 1
        kept = evidence.get(author)
        if kept is None:
            kept = evidence[author] = []
        kept.append(found)
        stats.evidence_by_source[found.source.value] += 1
        first_located.setdefault(author, number)

    def in_columns(self) -> bool:
        """Whether this shard reads plain lines into runs of rows (`_PlainRun`)."""
        return PLAIN_COLUMNS and (self.holds_evidence or self.streaming) and EVIDENCE_COLUMNS

    def plain_ahead(
        self, batches: Sequence[Sequence[tuple[int, _ShardItem]]], decoded: list[Any] | None = None
    ) -> list[_PlainLines | None]:
        """Each batch's `_PlainLines` (for `take`), the lines of all of them read in
        columns at once: a few hundred lines a batch pay numpy's cost per call more than
        per line (None for each when this shard does not read in columns). `decoded`: the
        lines' reading when made (`_texts_decoded`; their texts are then not read)."""
        if not self.in_columns():
            return [None] * len(batches)
        lines = [_unparsed_lines(posts) for posts in batches]
        authors = list(chain.from_iterable(a for a, _ in lines))
        texts = [] if decoded is not None else list(chain.from_iterable(t for _, t in lines))
        columns, row_of = _plain_lines(authors, texts, decoded, self.geocoder is not None)
        out: list[_PlainLines | None] = []
        start = 0
        for batch_authors, _ in lines:
            end = start + len(batch_authors)
            out.append(_PlainLines(columns, row_of[start:end]))
            start = end
        return out

    def _parsed(
        self, posts: Sequence[tuple[int, _ShardItem]], ahead: _PlainLines | None = None
    ) -> list[tuple[int, Post | PlainGeotag | _PlainRun]]:
        """The posts with each JSONL line the reader left unparsed (`UnparsedPost`, or
        `JsonlLine` in a worker, or a run's `_ShardLines`) parsed here, its warnings
        recorded at its post number; lines unusable after all dropped. Plain located lines
        are read in columns, as a batch (unless `PLAIN_COLUMNS` is off; `ahead`: read
        already, `plain_ahead`), into their evidence: `PlainGeotag`, or in a shard that
        holds its people's evidence or streams it runs of rows of the batch's columns
        (`_PlainRun`: no objects per post, unless `EVIDENCE_COLUMNS` is off)."""
        columns: _PlainColumns | None = None
        row_of: list[int] = []  # (columns) each line's row, -1 for a line that is not plain
        if ahead is None and self.in_columns():
            ahead = _plain_lines(*_unparsed_lines(posts), positions=self.geocoder is not None)
        if ahead is not None:
            columns, row_of = ahead
            fast: list[PlainGeotag | None] = [None] * len(row_of)
        else:
            authors, texts = _unparsed_lines(posts)
            fast = [None] * len(texts)
            if texts and PLAIN_COLUMNS:
                fast = list(plain_geotags(list(zip(authors, texts, strict=True))))
        out: list[tuple[int, Post | PlainGeotag | _PlainRun]] = []
        k = 0  # the next unparsed line's place in `fast` and `row_of`
        for number, post in posts:
            if isinstance(post, _ShardLines):
                end = k + len(post.posts)
                if columns is not None:
                    found_rows = row_of[k:end]
                    if -1 not in found_rows:  # (every line plain: the common run)
                        out.append((post.posts[0], _PlainRun(columns, list(post.posts),
                                                             found_rows)))  # fmt: skip
                    else:
                        for i, (post_number, row) in enumerate(
                            zip(post.posts, found_rows, strict=True)
                        ):
                            self._take_line(post_number, columns, row, post.run.line(i), out)
                else:
                    found = fast[k:end]
                    if None not in found:  # (every line plain: the common run)
                        out += zip(post.posts, cast("list[PlainGeotag]", found), strict=True)
                    else:
                        for i, (post_number, plain) in enumerate(
                            zip(post.posts, found, strict=True)
                        ):
                            self._take_line(post_number, plain, -1, post.run.line(i), out)
                k = end
            elif isinstance(post, tuple):
                line = post.as_line() if isinstance(post, UnparsedPost) else post
                if columns is not None:
                    self._take_line(number, columns, row_of[k], line, out)
                else:
                    self._take_line(number, fast[k], -1, line, out)
                k += 1
            else:
                out.append((number, post))
        return out

    def _take_line(
        self,
        number: int,
        plain: PlainGeotag | _PlainColumns | None,
        row: int,
        line: JsonlLine,
        out: list[tuple[int, Post | PlainGeotag | _PlainRun]],
    ) -> None:
        """One unparsed line onto `out`: its plain reading (a `PlainGeotag`, or row `row`
        of the batch's columns, onto the run of plain rows right before it if there is
        one), or else `parse_unparsed`'s."""
        if isinstance(plain, PlainGeotag):
            out.append((number, plain))
            return
        if plain is not None and row >= 0:
            last = out[-1][1] if out else None
            if isinstance(last, _PlainRun):
                last.numbers.append(number)
                last.at.append(row)
            else:
                out.append((number, _PlainRun(plain, [number], [row])))
            return
        self.diag.at = (1, number)
        parsed = parse_unparsed(line, self.diag, self.guards)
        if parsed is not None:
            out.append((number, parsed))

    def totals(self) -> _ShardTotals:
        return _ShardTotals(self.stats, self.deduper.stats.posts_dropped,
                            self.deduper.stats.media_dropped, self.posts_per_person,
                            self.devices, self.excluded, self.utc_hours)  # fmt: skip

    def context(self) -> dict[str, PersonContext]:
        """The shard's people's context, as `collect_evidence` builds it."""
        return _person_context(self.posts_per_person, self.devices, self.excluded,
                               self.utc_hours)  # fmt: skip

    def end(self, params: InferenceParams | None) -> tuple[_ShardTotals, list[PersonAnalysis]]:
        """After the last batch, in one call: the totals and (with `params`) `analyse`. A
        streaming shard closes its sink here, with its people's context, and sends back
        only their counts."""
        late = self.resolve_deferred()
        if self.sink is None:
            if self.holds_evidence:
                for person, found in late.items():
                    self.evidence.setdefault(person, EvidenceParts()).add_evidence(found)
            totals = self.totals()
            totals.late_evidence = {} if self.holds_evidence else late
            totals.late_located = list(late) if self.holds_evidence else []
            return totals, self.analyse(params) if params is not None else []
        if late:
            self.unwritten.append(EvidenceRows.of_parts(_parts_of(late).items()))
            self.located.update(late)
        self.may_write = True
        self._write()
        written = self.sink.close(self.context())
        dedupe = self.deduper.stats
        return _ShardTotals(self.stats, dedupe.posts_dropped, dedupe.media_dropped, Counter(),
                            {}, {}, {}, people=len(self.posts_per_person),
                            people_located=len(self.located), rows_written=written), []  # fmt: skip

    def resolve_deferred(self) -> dict[str, list[Evidence]]:
        """The deferred posts' place names geocoded now that every post of their authors
        has been seen (their positions as context), counted as `_account_post` counts;
        each person's evidence, in post order (after the rest of theirs)."""
        late: dict[str, list[Evidence]] = {}
        geocoder = self.geocoder
        if geocoder is None:
            return late
        for author, posts in self.deferred.items():
            near = self.near_cells.get(author)
            context = PlaceContext(near=near_positions(near) if near is not None else ())
            for post in posts:
                found = checkin_evidence(post, geocoder, context=context)
                _count_found(post, found, self.stats, late)
        self.deferred = {}
        self.deferred_posts = 0
        return late

    def analyse(self, params: InferenceParams) -> list[PersonAnalysis]:
        """Pass 1 of inference on the shard's people (what `LeakInference.fit` analyses):
        the full analyses stay here for `profiles`; the site pass gets slim copies."""
        from geoleak.engine import slim_analysis
        from geoleak.infer.places import analyse_people

        context = self.context()
        people = sorted(set(self.evidence) | set(context))
        held = self.evidence
        self.analyses = analyse_people(
            [(person, held[person].columns(person) if person in held else (),
              context.get(person, PersonContext()).excluded)
             for person in people],
            params,
        )  # fmt: skip
        return [s for a in self.analyses if (s := slim_analysis(a)) is not None]

    def profiles(self, params: InferenceParams, sites: Any, site_odds: SiteOdds) -> list[Profile]:
        """Pass 2: the shard's people's profiles, with every shard's sites known."""
        from geoleak.engine import profiles_of

        profiles = profiles_of(self.analyses, self.context(), params, sites, site_odds)
        self.analyses = []
        return profiles


def _parts_of(found: dict[str, list[Evidence]]) -> dict[str, EvidenceParts]:
    out: dict[str, EvidenceParts] = {}
    for person, items in found.items():
        out[person] = parts = EvidenceParts()
        parts.add_evidence(items)
    return out


# The shard a forked worker process serves (each worker process serves one).
_WORKER_SHARD: _Shard | None = None


def _adopt_shard(shard: _Shard, index: int) -> None:
    global _WORKER_SHARD  # noqa: PLW0603  (one shard per worker process)
    worker_start()  # it ends with the command, quietly
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], SHARD_GC_THRESHOLD), *threshold[1:])
    _WORKER_SHARD = shard
    shard.may_write = True  # its sink's files are this process's from now on
    if shard.sink is not None and "pandas" not in sys.modules:
        # A streaming shard only writes the store (pyarrow from arrays and lists): no
        # pandas in this process (pyarrow's first array imported it, ~0.3 CPU s).
        sys.meta_path.insert(0, _WithoutPandas)
    timeline.instant("worker", index)


class _WithoutPandas:
    """An import finder that refuses pandas. pyarrow imports pandas (when it can) at its
    first array, only to tell whether the array is a pandas object, which costs a process
    ~0.3 CPU s and ~40 MiB; told there is none, it makes the same arrays, tables and
    files (tests/test_store.py compares). Put first on `sys.meta_path` of the worker
    processes of streaming ingest shards, which never hold a pandas object."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        del path, target  # (what the finder protocol passes)
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"pandas is not imported by {__name__}", name=name)


_Packed = list[tuple[int, Post | JsonlLine | _ShardLines, dict[str, Any] | None]]


def _pack(posts: Sequence[tuple[int, _ShardItem]]) -> _Packed:
    """Posts as they travel to a worker (`extra` is a read-only mapping pickle refuses;
    an unparsed line travels as its `JsonlLine`, a run's lines as one text where that is
    exact, `_as_text`)."""
    return [
        (n, _as_text(p), None) if isinstance(p, _ShardLines)
        else (n, p[:5], None) if isinstance(p, tuple)  # (an `UnparsedPost`: its `as_line`)
        else (n, replace(p, extra={}), dict(p.extra)) if p.extra
        else (n, p, None)
        for n, p in posts
    ]  # fmt: skip


def _unpacked(packed: _Packed) -> list[tuple[int, _ShardItem]]:
    """`_pack`'s posts as they were."""
    return [
        (n, p if extra is None or isinstance(p, tuple)
         else replace(p, extra=MappingProxyType(extra)))
        for n, p, extra in packed
    ]  # fmt: skip


def _shard_take_many(
    packs: Sequence[_Packed | None], batches: Sequence[int]
) -> list[_BatchResult | _Failed | None]:
    """`_Shard.take` in the worker process of each batch of a `_Group` in turn (None for
    one without posts of this shard's; `batches`: the number of each one's first post),
    the plain lines of them all read in columns first, at once, and in a streaming shard
    batches of nothing but plain lines taken at once (`_Shard.take_plain`); a batch that
    raises ends the call, its error in its place (the reading ahead's, or the batches
    taken at once: the first batch's)."""
    shard = _WORKER_SHARD
    assert shard is not None
    out: list[_BatchResult | _Failed | None] = []
    taken = [None if packed is None else _unpacked(packed) for packed in packs]
    given = [posts for posts in taken if posts is not None]
    first = next(k for k, posts in enumerate(taken) if posts is not None)
    try:
        # Lines that travelled as text are read from it when all are and each decodes (the
        # common call), else split back first; `take` below gets them split back.
        decoded = _texts_decoded(given) if shard.in_columns() else None
        if decoded is None:
            taken = [None if posts is None else _with_lines(posts) for posts in taken]
            given = [posts for posts in taken if posts is not None]
        plain = shard.plain_ahead(given, decoded)
        runs = [_plain_runs(posts, lines) if shard.streaming else None
                for posts, lines in zip(given, plain, strict=True)]  # fmt: skip
        if None not in runs:
            # Only plain lines: the batches taken at once (`take_plain`), each one's result
            # empty, as `take` gives it for such a batch.
            with timeline.span("take", batches[first]):
                shard.take_plain([run for mine in runs for run in cast("list[_PlainRun]", mine)])
            return [None if posts is None else _EMPTY for posts in taken]
    except Exception as error:  # (raised in the main process when it asks for the batch)
        return [*([None] * first), _Failed(error, traceback.format_exc())]
    if decoded is not None:
        taken = [None if posts is None else _with_lines(posts) for posts in taken]
    ahead = iter(plain)
    for posts, batch in zip(taken, batches, strict=True):
        if posts is None:
            out.append(None)
            continue
        timeline.instant("got", batch)
        try:
            with timeline.span("take", batch):
                out.append(shard.take(posts, next(ahead)))
        except Exception as error:  # (raised in the main process when it asks for this batch)
            out.append(_Failed(error, traceback.format_exc()))
            break
    return out


def _shard_call(method: str, *args: Any) -> Any:
    """Call a method of the shard this worker process serves (`_ShardSet.each`)."""
    assert _WORKER_SHARD is not None
    with timeline.span(method):
        return getattr(_WORKER_SHARD, method)(*args)


def _media_entries(post: _Item) -> int:
    if isinstance(post, LineRun):
        return sum(post.entries)
    return post.media_entries if isinstance(post, UnparsedPost) else len(post.media)


def _shard_of(person: str, shards: int) -> int:
    return zlib.crc32(person.encode("utf-8", "surrogatepass")) % shards


def _route(posts: Sequence[tuple[int, _Item]], parts: list[list[tuple[int, _ShardItem]]]) -> None:
    """Each post onto the part of its person's shard (`_shard_of`), in order; a run's
    lines in columns (`_split_run`), by its spans of one person (`_shard_spans`) where
    they are few."""
    shard_of: dict[str, int] = {}  # (a person's posts come in runs: each hashed once)
    for number, post in posts:
        if isinstance(post, LineRun):
            if len(parts) == 1:
                _split_run(number, post, [], parts)
                continue
            spans = _shard_spans(post.authors, shard_of, len(parts))
            if spans is not None:
                _take_spans(number, post, spans, parts)
                continue
            for person in set(post.authors).difference(shard_of):
                shard_of[person] = _shard_of(person, len(parts))
            _split_run(number, post, list(map(shard_of.get, post.authors)), parts)
        elif len(parts) == 1:
            parts[0].append((number, post))
        else:
            person = post.author
            shard = shard_of.get(person)
            if shard is None:
                shard = shard_of[person] = _shard_of(person, len(parts))
            parts[shard].append((number, post))


def _shard_spans(
    authors: list[str], shard_of: dict[str, int], shards: int
) -> list[tuple[int, int, int]] | None:
    """The (shard, start, end) spans of a run's lines by `authors` (each line's person's
    shard, `_shard_of`, remembered in `shard_of`): consecutive lines of one shard, found
    from the runs of one person (a person's posts come together in most corpora), in
    order; None (not all looked at) when the shard changes along the run as often as
    `_split_run` reads it line by line. What `groupby` of the lines' shards gives, without
    a shard a line."""
    limit = len(authors) >> 4  # (`_split_run`: spans while the changes are fewer)
    spans: list[tuple[int, int, int]] = []
    start = 0
    for person, lines in groupby(authors):
        end = start + len(list(lines))
        shard = shard_of.get(person)
        if shard is None:
            shard = shard_of[person] = _shard_of(person, shards)
        if spans and spans[-1][0] == shard:
            spans[-1] = (shard, spans[-1][1], end)
        elif len(spans) > limit:
            return None
        else:
            spans.append((shard, start, end))
        start = end
    return spans if len(spans) <= limit else None


def _split_run(
    number: int,
    run: LineRun,
    shards: list[int | None],
    parts: list[list[tuple[int, _ShardItem]]],
) -> None:
    """A run's lines (its first post numbered `number`) onto the parts of their shards
    (`shards`, one a line; not read with one part), in order, in columns."""
    numbers = range(number, number + len(run.lines))
    if len(parts) == 1 or not shards or shards.count(shards[0]) == len(shards):
        # The whole run to one part (the first when there is one, or the run is empty).
        whole = run._replace(numbers=array("q", run.numbers), entries=[])
        target = parts[0] if len(parts) == 1 or not shards else parts[cast(int, shards[0])]
        posts = array("q")  # (the bytes of a numpy range: an array from a range is slower)
        posts.frombytes(np.arange(number, number + len(run.lines), dtype=np.int64).tobytes())
        target.append((number, _ShardLines(posts, whole)))
        return
    if sum(map(ne, shards, islice(shards, 1, None))) < len(shards) >> 4:
        _split_spans(number, run, shards, parts)
        return
    for shard, part in enumerate(parts):
        mine = list(map(shard.__eq__, shards))
        if any(mine):
            posts = array("q", compress(numbers, mine))
            lines = LineRun(list(compress(run.lines, mine)), list(compress(run.authors, mine)),
                            array("q", compress(run.numbers, mine)), [], run.prefix, run.root,
                            run.renamed, run.newline_last)  # fmt: skip
            part.append((posts[0], _ShardLines(posts, lines)))


def _split_spans(
    number: int,
    run: LineRun,
    shards: list[int | None],
    parts: list[list[tuple[int, _ShardItem]]],
) -> None:
    """`_split_run` of a run whose lines go to two or more shards in a few spans of
    consecutive lines (a person's posts come together in most corpora): each part's lines
    are slices of the run's, not picked line by line (`_take_spans`)."""
    spans: list[tuple[int, int, int]] = []
    start = 0
    for shard, group in groupby(shards):
        end = start + len(list(group))
        spans.append((cast(int, shard), start, end))
        start = end
    _take_spans(number, run, spans, parts)


def _take_spans(
    number: int,
    run: LineRun,
    spans: list[tuple[int, int, int]],
    parts: list[list[tuple[int, _ShardItem]]],
) -> None:
    """A run's lines (its first post numbered `number`) onto the parts of their shards,
    by `spans` of consecutive lines, (shard, start, end) in order (one part's: the whole
    run, as `_split_run` gives it)."""
    if len({shard for shard, _, _ in spans}) <= 1:
        _split_run(number, run, [spans[0][0]] if spans else [], parts)
        return
    by_part: list[list[tuple[int, int]]] = [[] for _ in parts]
    for shard, start, end in spans:
        by_part[shard].append((start, end))
    # The line numbers gathered as a list, then made an array at once (an array extended
    # by a list converts each number through the iterator); the post numbers are slices
    # of one numpy range, their bytes the array's (an array from a range or a list of
    # ints converts each number, ~30 ns).
    post_numbers = np.arange(number, number + len(run.lines), dtype=np.int64)
    line_numbers = run.numbers
    for part, mine in zip(parts, by_part, strict=True):
        if not mine:
            continue
        numbers: list[int] = []
        texts: list[str] = []
        authors: list[str] = []
        for start, end in mine:
            numbers += line_numbers[start:end]
            texts += run.lines[start:end]
            authors += run.authors[start:end]
        posts = array("q")
        posts.frombytes(np.concatenate([post_numbers[start:end] for start, end in mine]).tobytes())
        lines = LineRun(texts, authors, array("q", numbers), [], run.prefix, run.root,
                        run.renamed, run.newline_last)  # fmt: skip
        part.append((number + mine[0][0], _ShardLines(posts, lines)))


def _process_safe(geocoder: Geocoder | None) -> bool:
    """Whether `geocoder` may run in several processes at once: an online service may not
    (its rate limit and cache are per process)."""
    from geoleak.geocode import GeonamesGazetteer, PlacesFile
    from geoleak.geocode.base import ChainGeocoder

    if geocoder is None or isinstance(geocoder, (GeonamesGazetteer, PlacesFile)):
        return True
    if isinstance(geocoder, ChainGeocoder):
        return all(_process_safe(g) for g in geocoder.geocoders)
    return False


def _warm(geocoder: Geocoder | None, inference: bool) -> None:
    """Load, before the shards fork, the tables every shard would otherwise load on its own
    (the time-zone polygons, the offline gazetteer) and, when the shards infer their people,
    the modules inference loads: the workers inherit them."""
    if inference:
        from geoleak.infer import special

        special.load()  # (loaded by the first inference otherwise)

    from geoleak.extract.localtime import timezone_at
    from geoleak.geocode import GeonamesGazetteer
    from geoleak.geocode.base import ChainGeocoder

    timezone_at(LatLon(0.0, 0.0))
    todo = [geocoder]
    while todo:
        item = todo.pop()
        if isinstance(item, ChainGeocoder):
            todo.extend(item.geocoders)
        elif isinstance(item, GeonamesGazetteer):
            item.warm()


class _ShardSet:
    """The shards of one run: in this process at first, then (when the corpus proves large
    enough and `workers` > 1) each in a forked worker process that inherits its state."""

    def __init__(
        self,
        workers: int,
        geocoder: Geocoder | None,
        sink: RowSink | None = None,
        infer_here: bool = False,
    ) -> None:
        self.can_fork = (
            workers > 1 and _process_safe(geocoder) and "fork" in mp.get_all_start_methods()
        )
        self.count = workers if self.can_fork else 1
        self.geocoder = geocoder
        # Inference in the shards pays when there are several; one shard's evidence is
        # inferred where it is collected (collect_evidence, then infer_profiles).
        self.holds_evidence = infer_here and self.count > 1
        self.shards = [_Shard(geocoder, None if sink is None else sink.shard(index),
                              self.holds_evidence) for index in range(self.count)]  # fmt: skip
        for shard in self.shards:
            # A streaming shard that may move to a worker process holds its rows until it
            # has (at most the one batch taken here before the fork): a file its sink
            # opened here would be shared by both processes.
            shard.may_write = not self.can_fork
        self.pools: list[ProcessPoolExecutor] = []
        self.posts_seen = 0
        self.media_seen = 0
        # Shards that hold their people's evidence (and infer them) get each person, when
        # first seen, on the shard with the least work so far (posts plus media entries),
        # so that the shards finish together; streaming shards use a hash of the person
        # (no table that grows with the people).
        self.placed: dict[str, int] | None = {} if self.holds_evidence else None
        self.load = [0] * self.count
        self.frozen = False  # this process's objects, while the workers run (gc.freeze)
        self.group: _Group | None = None  # batches not yet handed to the workers
        self.handed = False  # (whether a group has been)

    def submit(self, posts: Sequence[tuple[int, _Item]]) -> Callable[[], list[_BatchResult]]:
        """Hand a batch to the shards; returns the call that waits for their results."""
        parts: list[list[tuple[int, _ShardItem]]] = [[] for _ in range(self.count)]
        media = 0  # the batch's media entries
        if self.placed is not None:
            # Each person, when first seen, on the shard with the least work so far.
            for item in posts:
                post = item[1]
                if isinstance(post, LineRun):
                    media += self._place_run(item[0], post, parts)
                    continue
                entries = _media_entries(post)
                media += entries
                parts[self._place(post.author, entries)].append((item[0], post))
        else:
            _route(posts, parts)
            if not self.pools:  # only the decision to fork needs the count
                media = sum(_media_entries(p) for _, p in posts)
        self.posts_seen += sum(_posts_in(post) for _, post in posts)
        self.media_seen += media
        if (
            not self.pools
            and self.can_fork
            and (self.posts_seen > BATCH_POSTS or self.media_seen >= PARALLEL_MIN_FILES)
        ):
            with timeline.span("warm"):
                _warm(self.geocoder, inference=self.holds_evidence)
            # The workers inherit every object made so far (modules, tables, the shards).
            # Frozen, the cyclic collector never walks them again: not in a worker (where
            # each walk would also copy every page it touches from this process), nor here
            # while the shards stream (`close` unfreezes them).
            gc.freeze()
            self.frozen = True
            context = pool_context("fork")
            self.pools = [
                ProcessPoolExecutor(
                    1, mp_context=context, initializer=_adopt_shard, initargs=(shard, index)
                )
                for index, shard in enumerate(self.shards)
            ]
            self.shards = []  # each lives on in its worker
        if self.pools:
            group = self.group
            if group is None:
                group = self.group = _Group(len(self.pools))
            index = group.add(posts[0][0] if posts else -1, parts)
            if len(group.batches) >= SUBMIT_BATCHES or not self.handed:
                self._flush()  # (the first batch at once: the workers start on it)
            return lambda: self._batch_results(group, index)
        # In this process the batch is done now, so the shards' state is complete when
        # they move to workers (their warnings wait in the results all the same).
        with timeline.span("take here"):
            results = [shard.take(part) for shard, part in zip(self.shards, parts, strict=True)]
        return lambda: results

    def _flush(self) -> None:
        """Hand the batches gathered so far (`self.group`) to the worker processes: one
        call each that has posts in them."""
        group, self.group = self.group, None
        if group is None:
            return
        self.handed = True
        group.futures = [
            pool.submit(_shard_take_many, packs, group.batches)
            if any(packed is not None for packed in packs) else None
            for pool, packs in zip(self.pools, group.parts, strict=True)
        ]  # fmt: skip
        group.parts = []
        for batch in group.batches:
            timeline.instant("submitted", batch)

    def _batch_results(self, group: _Group, index: int) -> list[_BatchResult]:
        """The shards' results of batch `index` of `group`, in shard order (handed over
        first when it is the group still gathering)."""
        if group.futures is None:
            self._flush()
        assert group.futures is not None
        batch = group.batches[index]
        out = []
        for shard, future in enumerate(group.futures):
            if future is None:
                out.append(_EMPTY)
                continue
            with timeline.span("wait", [shard, batch]):
                got = future.result()[index]
            if isinstance(got, _Failed):
                raise got.error from _WorkerTraceback(got.trace)
            out.append(_EMPTY if got is None else got)
        return out

    def _place_run(
        self, number: int, run: LineRun, parts: list[list[tuple[int, _ShardItem]]]
    ) -> int:
        """`submit`'s placing of each post by load, for a run's lines; returns the run's
        media entries. A person's consecutive lines are placed at once: their shard is
        the one `_place` gives the first, and their work is added after it (`_place` of
        each in turn gives the same shards and loads)."""
        shards: list[int | None] = []
        entries, start = run.entries, 0
        for person, lines in groupby(run.authors):
            end = start + len(list(lines))
            shard = self._place(person, end - start - 1 + sum(entries[start:end]))
            shards += [shard] * (end - start)
            start = end
        _split_run(number, run, shards, parts)
        return sum(entries)

    def _place(self, person: str, entries: int) -> int:
        """The shard of a post of `person` naming `entries` media: the person's, or, when
        first seen, the one with the least work so far; its work counted."""
        assert self.placed is not None
        shard = self.placed.get(person)
        if shard is None:
            shard = self.placed[person] = self.load.index(min(self.load))
        self.load[shard] += 1 + entries
        return shard

    def start(self, method: str, *args: Any) -> Callable[[], list[Any]]:
        """Start `method(*args)` of every shard; returns the call that waits for their
        results, in shard order. In its worker process once the shards have moved there
        (queued behind the batches handed to it before), else here and now."""
        if self.pools:
            self._flush()  # (behind every batch)
            futures = [pool.submit(_shard_call, method, *args) for pool in self.pools]
            timeline.instant("submitted", method)
            return lambda: _results(futures, method)
        results = [getattr(shard, method)(*args) for shard in self.shards]
        return lambda: results

    def each(self, method: str, *args: Any) -> list[Any]:
        """`method(*args)` of every shard, in shard order (`start`, then its results)."""
        return self.start(method, *args)()

    def infer(
        self, params: InferenceParams, slim: list[PersonAnalysis] | None = None
    ) -> tuple[list[Profile], list[SharedSite]]:
        """Inference of the people of shards that hold their evidence: per-person analyses
        in the shards (`slim`, their slim copies, when already made: `_Shard.end`), the site
        pass here on their slim copies, then the profiles in the shards; what
        `LeakInference.fit` gives on the same evidence."""
        from geoleak.engine import find_sites_partitioned, forget_site_lookup
        from geoleak.infer.sites import site_odds_of

        if slim is None:
            slim = [a for part in self.each("analyse", params) for a in part]
        with timeline.span("sites"):
            slim.sort(key=lambda a: a.person)  # the order fit analyses people in
            sites = find_sites_partitioned(slim, params)
            odds = site_odds_of(slim, sites, params)
            del slim
        try:
            profiles: list[Profile] = [
                p for part in self.each("profiles", params, sites, odds) for p in part
            ]
        finally:
            # Shards still in this process (a corpus too small to fork for) share one
            # `site_lookup`; it holds every site: not kept after the run (in the worker
            # processes it goes with them, `close`).
            forget_site_lookup()
        profiles.sort(key=lambda p: p.person)
        return profiles, [site for site, _ in sites]

    def close(self) -> None:
        self.group = None
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)
        if self.frozen:
            gc.unfreeze()
            self.frozen = False


# What a shard gives for no posts (it is not asked: its state would not change).
_EMPTY = _BatchResult([], {}, {}, [])


class _Group:
    """Consecutive batches handed to each worker process in one call (`SUBMIT_BATCHES`),
    taken there one by one as before, each with its own result."""

    def __init__(self, shards: int) -> None:
        self.batches: list[int] = []  # the number of each batch's first post
        # per shard, each batch's part as it travels (None: no posts of that shard's)
        self.parts: list[list[_Packed | None]] = [[] for _ in range(shards)]
        self.futures: list[Future[list[_BatchResult | _Failed | None]] | None] | None = None

    def add(self, batch: int, parts: list[list[tuple[int, _ShardItem]]]) -> int:
        """Add a batch (its first post's number, its part for each shard); returns its
        index in the group."""
        for packs, part in zip(self.parts, parts, strict=True):
            packs.append(_pack(part) if part else None)
        self.batches.append(batch)
        return len(self.batches) - 1


class _Failed(NamedTuple):
    """A batch's take that raised in a worker process: the error, and its traceback there."""

    error: Exception
    trace: str


class _WorkerTraceback(Exception):
    """The traceback, in the worker process, of an error raised there (its cause)."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


def _results(futures: Sequence[Future[Any]], what: object) -> list[Any]:
    """The futures' results in order (with a timeline, each wait marked by its shard)."""
    if not timeline.enabled():
        return [future.result() for future in futures]
    out = []
    for shard, future in enumerate(futures):
        with timeline.span("wait", [shard, what]):
            out.append(future.result())
    return out


def collect_evidence(
    inputs: Sequence[str | Path],
    *,
    diag: Diagnostics | None = None,
    source: str | None = None,
    author: str | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    geocoder: Geocoder | None = OFFLINE,
    sink: RowSink | None = None,
    archives: ExitStack | None = None,
) -> EvidenceSet:
    """Read every input and extract every located observation, grouped by person.

    The one way evidence is built: infer, map, report, export, sites and audit all call
    this with the same options. `geocoder` turns places named in text into CHECKIN
    evidence (default: the offline gazetteer; None leaves text out).

    Posts are read here and handed, in batches, to shards of people (`workers` processes
    once the corpus is larger than a batch; an online geocoder keeps one): each shard reads
    its posts' media, dedupes and extracts. The result equals a single process's, warnings
    in the same order.

    With a `sink` (such as the evidence store's run) each shard writes its people's
    evidence, batch by batch, to its own `sink.shard(...)` as rows (`EvidenceRows`: each
    person's rows in post order, people of one shard only) and, at its end, their context:
    neither comes back to this process, which then only reads, routes and reports. The
    returned set has no evidence, media or context, only the statistics (and
    `rows_written`), and no process's memory grows with the corpus's evidence. An evidence
    store folder (`geoleak ingest`) as the only input is loaded as it is.

    `archives`: as for `run`, a caller that reads the media files afterwards (a map's
    thumbnails) keeps the folders zip inputs were extracted to until it closes.
    """
    return _collect(inputs, diag=diag, source=source, author=author, workers=workers,
                    progress=progress, geocoder=geocoder, sink=sink,
                    archives=archives)[0]  # fmt: skip


Inferred = tuple[list[Profile], list[SharedSite]]


def _collect(
    inputs: Sequence[str | Path],
    *,
    diag: Diagnostics | None = None,
    source: str | None = None,
    author: str | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    geocoder: Geocoder | None = OFFLINE,
    sink: RowSink | None = None,
    infer: InferenceParams | None = None,
    archives: ExitStack | None = None,
) -> tuple[EvidenceSet, Inferred | None]:
    """`collect_evidence`; with `infer` (and several shards) the shards also infer their
    people and keep the evidence: the set then holds no evidence and no media, and the
    profiles and sites come second (None when the caller must infer them). `archives`:
    the folders zip inputs are extracted to stay until it closes (see `run`)."""
    from geoleak.store import EvidenceStore, is_store

    stores = [p for p in inputs if is_store(p)]
    if stores:
        if len(inputs) != 1 or sink is not None:
            raise UsageError(
                f"{stores[0]} is an evidence store: give it as the only input "
                "(add more inputs to it with geoleak ingest)"
            )
        return EvidenceStore(stores[0]).evidence_set(), None
    diag = Diagnostics() if diag is None else diag
    stats = LeakStats()
    figures_before = diag.figures.copy()
    evidence: dict[str, list[Evidence]] = {}
    media_seen: dict[str, MediaMeta] = {}
    times_counted: set[str] = set()  # media whose rejected times are counted (streaming: per batch)
    located: set[str] = set()
    shards = _ShardSet(workers if workers is not None else available_cpus(), geocoder,
                       sink=sink, infer_here=infer is not None)  # fmt: skip
    inferred: Inferred | None = None

    def finish(size: int, wait: Callable[[], list[_BatchResult]]) -> None:
        results = wait()
        if sink is not None:
            times_counted.clear()
        events = sorted((e for r in results for e in r.events), key=lambda e: e[0])
        for path, meta, bad_times in sorted((m for r in results for m in r.media), key=_first):
            if path not in times_counted:  # two shards may read one file: counted once
                times_counted.add(path)
                stats.times_rejected += bad_times
                if meta is not None:
                    media_seen.setdefault(path, meta)
        for _, key, about, message, kind in events:
            if about is not None:
                if key is None:
                    diag.warn_file(about, message, kind=kind)
                else:
                    diag.warn_file_once(key, about, message, kind=kind)
            elif key is None:
                diag.warn(message, kind=kind)
            else:
                diag.warn_once(key, message, kind=kind)
        if shards.holds_evidence:
            located.update(person for r in results for person in r.first_located)
        elif sink is None:
            firsts = sorted((n, i, person) for i, r in enumerate(results)
                            for person, n in r.first_located.items())  # fmt: skip
            for _, i, person in firsts:
                evidence.setdefault(person, []).extend(results[i].evidence[person])
        if progress is not None:
            progress(size)

    # Archives are extracted to temporary folders that must outlive the batch whose media
    # are read after the posts were produced; the ExitStack removes them at the end.
    with ExitStack() as extractions:
        posts = open_inputs(inputs, diag, source=source, author=author,
                            extractions=extractions if archives is None else archives)  # fmt: skip
        pending: deque[tuple[int, Callable[[], list[_BatchResult]]]] = deque()
        numbered = 0
        # JSONL lines are parsed by the shards (each its own people's), not here: this
        # process only decodes each line to route it and to tell duplicate ids.
        # The JSONL reader hands its lines over in runs, in columns, as long as the batch
        # being filled still takes (`request`).
        request = RunRequest(BATCH_POSTS) if LINE_RUNS else None
        extractions.enter_context(deferred_parsing(runs=request))
        try:
            timeline.instant("read")
            for batch in _batched(posts, BATCH_POSTS, request):
                timeline.instant("batch", numbered)
                items = _numbered(batch, numbered)
                size = sum(_posts_in(item) for item in batch)
                pending.append((size, shards.submit(items)))
                numbered += size
                # While the shards work on the batches in the window, the oldest one's
                # results are merged (in order) and the next batch is read.
                if len(pending) >= WINDOW_BATCHES:
                    finish(*pending.popleft())
            timeline.instant("read end")
            # The shards' last call is queued behind their last batch before any result
            # is awaited: a shard that is through its batches goes on with its totals and
            # its people's analyses while the other still reads.
            ending = shards.start("end", infer if shards.holds_evidence else None)
            while pending:
                finish(*pending.popleft())
            ended: list[tuple[_ShardTotals, list[PersonAnalysis]]] = ending()
            totals = [shard_totals for shard_totals, _ in ended]
            if infer is not None and shards.holds_evidence:
                inferred = shards.infer(infer, [a for _, part in ended for a in part])
        finally:
            with timeline.span("close"):
                shards.close()
    posts_per_person: Counter[str] = Counter()
    devices: dict[str, Counter[str]] = {}
    excluded: dict[str, Counter[str]] = {}
    utc_hours: dict[str, array[int]] = {}
    for part in totals:
        for person, found in part.late_evidence.items():
            evidence.setdefault(person, []).extend(found)
        located.update(part.late_located)
        _add_stats(stats, part.stats)
        stats.duplicate_posts += part.posts_dropped
        stats.duplicate_media += part.media_dropped
        posts_per_person.update(part.posts_per_person)  # people are in one shard each
        devices.update(part.devices)
        excluded.update(part.excluded)
        utc_hours.update(part.utc_hours)
    figures = diag.figures - figures_before
    for name in ("history_fixes", "history_points", "path_fixes", "path_points",
                 "activity_tracks", "activity_fixes", "activity_points", "activity_stays",
                 "activity_stay_points"):  # fmt: skip
        setattr(stats, name, figures[name])
    people = set(posts_per_person)
    context = _person_context(posts_per_person, devices, excluded, utc_hours)
    # (a streaming shard's people are in its sink: counted there, each in one shard)
    stats.people = len(people) + sum(part.people for part in totals)
    located.update(p for p in people if evidence.get(p))
    stats.people_located = len(located) + sum(part.people_located for part in totals)
    if not stats.posts:
        from geoleak.ingest.inventory import describe_inputs

        stats.inputs_found = describe_inputs(inputs, diag.by_kind)
    written = sum(part.rows_written for part in totals)
    return EvidenceSet(evidence, context, media_seen, stats, written), inferred


def _person_context(
    posts_per_person: Counter[str],
    devices: Mapping[str, Counter[str]],
    excluded: Mapping[str, Counter[str]],
    utc_hours: Mapping[str, Sequence[int]],
) -> dict[str, PersonContext]:
    return {
        person: PersonContext(
            posts=posts_per_person[person],
            devices=dict(devices.get(person, {})),
            excluded=dict(excluded.get(person, {})),
            utc_hours=tuple(utc_hours.get(person, [0] * 24)),
        )
        for person in set(posts_per_person)
    }


def _first(item: tuple[str, MediaMeta | None, int]) -> str:
    return item[0]


def _add_stats(total: LeakStats, part: LeakStats) -> None:
    for name, value in part.__dict__.items():
        if total.add_counts(name, value):
            continue
        if isinstance(value, int):
            setattr(total, name, getattr(total, name) + value)


def _account_post(
    post: Post,
    media: Mapping[str, MediaMeta],
    stats: LeakStats,
    diag: Diagnostics,
    evidence: dict[str, list[Evidence]],
    posts_per_person: Counter[str],
    devices: dict[str, Counter[str]],
    excluded: dict[str, Counter[str]],
    utc_hours: dict[str, array[int]],
    geocoder: Geocoder | None = OFFLINE,
    near_cells: dict[str, array[float]] | None = None,
    deferred: dict[str, list[Post]] | None = None,
) -> bool:
    """Count and extract one post; True when its place names are left for later
    (`deferred`): a post that only names a place, by a person none of whose positions
    has been seen yet, is geocoded once all their posts are (`_Shard.resolve_deferred`),
    so "Back in Paris" early in a Texan's export is not Paris, France for want of the
    positions that come after it."""
    stats.posts += 1
    author = post.author
    posts_per_person[author] += 1
    if post.created_at is not None:
        _hours_of(utc_hours, author)[post.created_at.hour] += 1
    for path in post.media:
        meta = media[path]
        problem = _media_problem(meta, stats)
        if meta.error:
            diag.warn_file(
                meta.path,
                f"{meta.error} (post {post.id!r}, {post.origin})",
                kind="unreadable-media",
            )
        if problem:
            excluded.setdefault(post.author, Counter())[problem] += 1
        if meta.device:
            devices.setdefault(post.author, Counter())[meta.device] += 1
        if meta.track:
            stats.media_tracks += 1
            stats.media_track_fixes += meta.track_fixes
            stats.media_track_points += len(meta.track)
    if post.geotag is not None:
        stats.posts_with_geotag += 1
    if post.place is not None:
        stats.posts_with_place += 1
        if post.place.centre is None:
            stats.posts_with_place_no_centre += 1
    found = evidence_from_post(post, media)
    if geocoder is not None:
        # A town name shared by several towns is settled by where else the person was
        # (positions seen so far in the stream).
        near = _near_of(near_cells, author) if near_cells is not None else array("d")
        for ev in found:
            if not _remember_position(near, ev.position.lat, ev.position.lon):
                break
        if post.text or post.place is not None:
            if (
                deferred is not None
                and not near
                and not found
                and post.geotag is None
                and (post.place is None or post.place.centre is None)
            ):
                deferred.setdefault(author, []).append(post)
                return True
            context = PlaceContext(near=near_positions(near))
            found += checkin_evidence(post, geocoder, known=found, context=context)
    _count_found(post, found, stats, evidence)
    return False


def _count_found(
    post: Post, found: list[Evidence], stats: LeakStats, evidence: dict[str, list[Evidence]]
) -> None:
    """`found` (a post's evidence) into `evidence` and the counters."""
    if found:
        stats.posts_located += 1
        stats.located_origins[_source_file(post.origin)] += 1
        kept = evidence.get(post.author)
        if kept is None:
            kept = evidence[post.author] = []
        kept.extend(found)
        by_source = stats.evidence_by_source
        for ev in found:
            by_source[ev.source.value] += 1
    elif not post.media and post.text:
        stats.posts_with_text_only += 1


# What follows the file in a post's origin: a line number or a reader's "where" text.
_ORIGIN_TAIL = re.compile(r"(?::\d+|: .*)$")


def _source_file(origin: str) -> str:
    """The file part of a post's origin ("corpus.jsonl:17", "tweets.js: tweet 4"); asked of
    every located post (`_count_found`), so its pattern is compiled once."""
    return _ORIGIN_TAIL.sub("", origin)


def _sane_post(post: Post, diag: Diagnostics, stats: LeakStats) -> Post:
    """The post without a sentinel or impossible time (1901, 2085), with one warning per file."""
    why = implausible_time(post.created_at)
    if why is None:
        return post
    stats.times_rejected += 1
    where = _source_file(post.origin) or post.id
    diag.warn_once(f"time:{where}", f"{where}: time {why}; such times are left out "
                   "(the positions stay, without a time)", kind="bad-time")  # fmt: skip
    return replace(post, created_at=None)


def _sane_media(meta: MediaMeta, diag: Diagnostics, stats: LeakStats) -> MediaMeta:
    """The metadata without sentinel or impossible capture and GPS times."""
    capture_why = implausible_time(meta.capture_time)
    gps_why = implausible_time(meta.gps_time)
    for name, why in (("capture time", capture_why), ("GPS time", gps_why)):
        if why is not None:
            stats.times_rejected += 1
            diag.warn_file_once(f"time:{meta.path}:{name}", meta.path, f"{name} {why}; left out",
                                kind="bad-time")  # fmt: skip
    track = meta.track
    if any(implausible_time(p.time_utc) for p in track):
        stats.times_rejected += 1
        diag.warn_file_once(f"time:{meta.path}:track", meta.path, "a GPS track time "
                       f"{next(w for p in track if (w := implausible_time(p.time_utc)))}; "
                       "such times are left out", kind="bad-time")  # fmt: skip
        track = tuple(
            replace(p, time_utc=None) if implausible_time(p.time_utc) else p for p in track
        )
    if capture_why is None and gps_why is None and track is meta.track:
        return meta
    return replace(
        meta,
        capture_time=None if capture_why else meta.capture_time,
        gps_time=None if gps_why else meta.gps_time,
        track=track,
    )


NEAR_SAMPLE = 64  # positions per person kept to settle ambiguous town names
DEFERRED_MAX = 100_000  # posts a shard keeps to geocode at its end (~1 KB each)


def _remember_position(near: array[float], lat: float, lon: float) -> bool:
    """Keep up to NEAR_SAMPLE of a person's positions, one per ~50 km cell (the first seen
    in each), in `near`, in the order first seen: cell key, lat, lon, cell key, lat, lon...
    The key (`1000 * (round(lat * 2) + 1000) + round(lon * 2) + 500`, at least 820,140) is
    never a latitude or longitude, so `in` finds a cell in C. 112 B a person with one
    cell, 144 with two, 208 with three to five, where a dict of cells to LatLon took ~380
    with one and ~530 with two (issue 15, memory). False once full."""
    if len(near) >= 3 * NEAR_SAMPLE:
        return False
    key = 1000.0 * (round(lat * 2) + 1000) + (round(lon * 2) + 500)
    if key not in near:
        near.extend((key, lat, lon))
    return True


def _remember_positions(near: array[float], columns: _PlainColumns, at: list[int]) -> None:
    """`_remember_position` of rows `at` of a batch's columns, in order: only the first row
    of each cell can add one (the cells' keys made in numpy, `_plain_columns`)."""
    if len(near) >= 3 * NEAR_SAMPLE:
        return
    cells = list(map(columns.cell.__getitem__, at))
    # each cell's first row, in order (a dict keeps the value last set: read backwards)
    firsts = sorted(dict(zip(reversed(cells), range(len(cells) - 1, -1, -1), strict=True)).values())
    for k in firsts:
        if len(near) >= 3 * NEAR_SAMPLE:
            return
        key = cells[k]
        if key not in near:
            near.extend((key, columns.lat[at[k]], columns.lon[at[k]]))


def _plain_columns(rows: GeotagRows, positions: bool = True) -> _PlainColumns:
    """What dedupe and the counters read of a batch's plain rows, for every row at once.
    The cell keys are `_remember_position`'s (np.rint and round() both round half to
    even; the sums are of integers, exact in floats). Without `positions` (a shard with
    no geocoder, which never calls `_remember_positions`) the cells and positions are
    left empty: three lists of a float a row, made and freed for nothing."""
    keys = utc_geotag_keys(rows.author, rows.utc_s, rows.lat, rows.lon)
    hours = (rows.utc_s // 3600 % 24).tolist()
    if not positions:
        return _PlainColumns(rows, keys, hours, [], [], [])
    cell = 1000.0 * (np.rint(rows.lat * 2) + 1000) + (np.rint(rows.lon * 2) + 500)
    return _PlainColumns(rows, keys, hours, cell.tolist(), rows.lat.tolist(), rows.lon.tolist())


def near_positions(near: array[float]) -> tuple[LatLon, ...]:
    """The positions `_remember_position` kept, in the order first seen."""
    return tuple(LatLon.checked(near[k + 1], near[k + 2]) for k in range(0, len(near), 3))


def _near_of(near_cells: dict[str, array[float]], author: str) -> array[float]:
    """`author`'s kept positions (`_remember_position`), made empty the first time."""
    near = near_cells.get(author)
    if near is None:
        near = near_cells[author] = array("d")
    return near


def _hours_of(utc_hours: dict[str, array[int]], author: str) -> array[int]:
    """`author`'s posts per UTC hour (`new_hours`), made the first time."""
    hours = utc_hours.get(author)
    if hours is None:
        hours = utc_hours[author] = new_hours()
    return hours


def new_hours() -> array[int]:
    """A person's posts per UTC hour, 24 unsigned counters (96 bytes) (a list of 24 ints took
    ~330 B a person; issue 15, memory)."""
    return _NO_HOURS[:]


_NO_HOURS = array("I", [0]) * 24


def infer_profiles(
    evidence: EvidenceSet, *, params: InferenceParams | None = None, workers: int = 1
) -> tuple[list[Profile], list[SharedSite]]:
    """Profiles of every person (located or not) and the shared sites."""
    model = LeakInference.from_params(params, workers=workers).fit(
        evidence.evidence, evidence.context
    )
    return model.profiles_, model.sites_


def run(
    inputs: Sequence[str | Path],
    *,
    diag: Diagnostics | None = None,
    source: str | None = None,
    author: str | None = None,
    params: InferenceParams | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    geocoder: Geocoder | None = OFFLINE,
    keep_evidence: bool = True,
    archives: ExitStack | None = None,
) -> RunResult:
    """The whole technique: inputs -> evidence -> per-person profiles and shared sites.

    `geocoder` (see geoleak.geocode.build_geocoder) turns places named in post text into
    CHECKIN evidence (default: the offline gazetteer); None leaves text out.

    `keep_evidence=False`: the caller needs the profiles, sites and stats only. With
    several worker processes each person is then inferred in the process that read their
    posts and media, and neither their evidence nor the media metadata travel to this
    process: the result's `evidence` and `media` may be empty. The profiles are the same.

    `archives`: a caller that reads the result's media files afterwards (audit examines
    each one) passes an ExitStack; the temporary folders zip inputs were extracted to are
    removed when it closes instead of when the reading ends.
    """
    collected, inferred = _collect(
        inputs,
        diag=diag,
        source=source,
        author=author,
        workers=workers,
        progress=progress,
        geocoder=geocoder,
        infer=None if keep_evidence else LeakInference.from_params(params)._validated(),
        archives=archives,
    )
    if inferred is None:
        with timeline.span("infer here"):
            inferred = infer_profiles(
                collected,
                params=params,
                workers=workers if workers is not None else available_cpus(),
            )
    profiles, sites = inferred
    return RunResult(profiles, sites, collected.evidence, collected.media, collected.stats)
