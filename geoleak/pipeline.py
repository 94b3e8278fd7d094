"""Wires the stages: ingest -> extract -> infer. The only module that knows their order.

Posts stream from the readers in batches; the media of a batch are read in parallel
(processes, both cores by default); only compact per-person evidence and counters are kept,
so a corpus larger than memory streams through. Per-person inference is separable
(`geoleak.infer.places.analyse_person`); only the site pass looks across people.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from geoleak.diagnostics import Diagnostics
from geoleak.errors import UsageError
from geoleak.extract.evidence import evidence_from_post
from geoleak.extract.localtime import implausible_time
from geoleak.extract.media import read_media
from geoleak.extract.text import PlaceContext, checkin_evidence
from geoleak.geocode import OFFLINE
from geoleak.geocode.base import Geocoder
from geoleak.geometry import TrackThinner
from geoleak.infer import InferenceParams, LeakInference, PersonContext
from geoleak.ingest import open_inputs
from geoleak.ingest.dedupe import Deduper, media_digest
from geoleak.types import Evidence, LatLon, MediaMeta, Post, Profile, SharedSite
from geoleak.wording import count

__all__ = ["EvidenceSet", "LeakStats", "RunResult", "collect_evidence", "infer_profiles", "run"]

ProgressCallback = Callable[[int], None]
BATCH_POSTS = 512
PARALLEL_MIN_FILES = 24


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
    people: int = 0
    people_located: int = 0
    times_rejected: int = 0  # sentinel or impossible times left out (1901, 2085, ...)
    media_tracks: int = 0  # videos with a GPS track (GoPro GPMF, ...)
    media_track_fixes: int = 0  # their valid fixes before thinning
    media_track_points: int = 0  # the points kept (each one piece of evidence)
    duplicate_posts: int = 0  # repeats of an earlier post of the same person, dropped
    duplicate_media: int = 0  # media files whose content was read already, counted once
    inputs_found: str = ""  # what the inputs hold, said when they gave no posts

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            k: v for k, v in self.__dict__.items() if k != "evidence_by_source"
        }
        out["evidence_by_source"] = dict(self.evidence_by_source)
        return out

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
                ("exif", "EXIF GPS positions in media"),
                ("geotag", "platform geotags"),
                ("place", "named places with a centre"),
                ("checkin", "check-ins named in text"),
                ("track", "track / location-history points"),
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
        if self.times_rejected:
            lines.append(
                f"{self.times_rejected} impossible or placeholder times left out "
                "(before 1990, in the future, or a format's 'no time' value)"
            )
        if not self.posts_located:
            lines.append("no location found: " + self.why_nothing())
        return lines

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
                    f"{self.media_no_gps} have metadata but no GPS tags (location was off in the camera)"
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
        reasons.append(f"none of the {self.posts} posts has a platform geotag")
        return "; ".join(reasons)


@dataclass
class EvidenceSet:
    """Located evidence per person, plus what the pipeline knows of each person."""

    evidence: dict[str, list[Evidence]]
    context: dict[str, PersonContext]
    media: dict[str, MediaMeta]
    stats: LeakStats


@dataclass
class RunResult:
    profiles: list[Profile]
    sites: list[SharedSite]
    evidence: dict[str, list[Evidence]]
    media: dict[str, MediaMeta]
    stats: LeakStats


def _batched(posts: Iterable[Post], size: int) -> Iterator[list[Post]]:
    batch: list[Post] = []
    for post in posts:
        batch.append(post)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_media_and_digest(path: str) -> tuple[MediaMeta, str | None]:
    """A media file's metadata and its content digest for dedupe, read in one place (a
    worker), so the main process never touches the file."""
    return read_media(path), media_digest(path)


class _MediaReader:
    """Reads media metadata and digests, in worker processes when there is enough to do.

    `submit` returns at once when workers are used: the main process parses the next batch
    of posts while the workers read this one's files.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Executor | None = None

    def submit(self, paths: Sequence[str]) -> Iterator[tuple[MediaMeta, str | None]]:
        if self.workers > 1 and len(paths) >= PARALLEL_MIN_FILES:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.workers)
            chunk = max(1, len(paths) // (self.workers * 4))
            return self._pool.map(read_media_and_digest, paths, chunksize=chunk)
        return iter([read_media_and_digest(p) for p in paths])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()


def _media_problem(meta: MediaMeta, stats: LeakStats) -> str | None:
    """Count a media file in the stats; return the per-person exclusion key if any."""
    stats.media_files += 1
    if meta.error:
        stats.media_unreadable += 1
        return "unreadable"
    if meta.position is not None:
        stats.media_located += 1
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


def collect_evidence(
    inputs: Sequence[str | Path],
    *,
    diag: Diagnostics | None = None,
    source: str | None = None,
    author: str | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    geocoder: Geocoder | None = OFFLINE,
    sink: Callable[[dict[str, list[Evidence]]], None] | None = None,
) -> EvidenceSet:
    """Read every input and extract every located observation, grouped by person.

    The one way evidence is built: infer, map, report, export, sites and audit all call
    this with the same options. `geocoder` turns places named in text into CHECKIN
    evidence (default: the offline gazetteer; None leaves text out).

    With a `sink` (such as the evidence store's writer) the evidence of each batch is
    handed to it and not kept: the returned set then has no evidence and no media, only
    the per-person context and the statistics, and memory does not grow with the corpus's
    evidence. An evidence store folder (`geoleak ingest`) as the only input is loaded as it is.
    """
    from geoleak.store import EvidenceStore, is_store

    stores = [p for p in inputs if is_store(p)]
    if stores:
        if len(inputs) != 1 or sink is not None:
            raise UsageError(
                f"{stores[0]} is an evidence store: give it as the only input "
                "(add more inputs to it with geoleak ingest)"
            )
        return EvidenceStore(stores[0]).evidence_set()
    diag = Diagnostics() if diag is None else diag
    stats = LeakStats()
    evidence: dict[str, list[Evidence]] = {}
    posts_per_person: Counter[str] = Counter()
    devices: dict[str, Counter[str]] = {}
    excluded: dict[str, Counter[str]] = {}
    utc_hours: dict[str, list[int]] = {}
    media_seen: dict[str, MediaMeta] = {}
    near_cells: dict[str, dict[tuple[int, int], LatLon]] = {}
    reader = _MediaReader(workers if workers is not None else (os.cpu_count() or 1))
    # Archives are extracted to temporary folders that must outlive the batch whose media
    # are read after the posts were produced; the ExitStack removes them at the end.
    digests: dict[str, str | None] = {}
    deduper = Deduper(diag, digest_of=digests.get)
    located: set[str] = set()
    with ExitStack() as extractions:
        posts = open_inputs(inputs, diag, source=source, author=author, extractions=extractions)
        requested: set[str] = set()
        pending: tuple[list[Post], list[str], Iterator[tuple[MediaMeta, str | None]]] | None = None

        def finish(
            batch: list[Post], wanted: list[str], results: Iterable[tuple[MediaMeta, str | None]]
        ) -> None:
            batch_media = media_seen if sink is None else {}
            for path, (meta, digest) in zip(wanted, results, strict=True):
                batch_media[path] = _sane_media(meta, diag, stats)
                digests[path] = digest
            for post in deduper.filter(batch):
                post = _sane_post(post, diag, stats)  # noqa: PLW2901
                _account_post(post, batch_media, stats, diag, evidence, posts_per_person, devices,
                              excluded, utc_hours, geocoder, near_cells)  # fmt: skip
            if sink is not None:
                # Streaming: the batch's evidence leaves memory; only digests stay for dedupe.
                located.update(person for person, found in evidence.items() if found)
                sink(evidence)
                evidence.clear()
                for path in wanted:
                    digests.pop(path, None)
            if progress is not None:
                progress(len(batch))

        try:
            for batch in _batched(posts, BATCH_POSTS):
                wanted = sorted({m for post in batch for m in post.media} - requested)
                if sink is None:  # media read once per run; streaming re-reads a repeated path
                    requested.update(wanted)
                submitted = (batch, wanted, reader.submit(wanted))
                if pending is not None:
                    finish(*pending)
                pending = submitted
            if pending is not None:
                finish(*pending)
        finally:
            reader.close()
    stats.duplicate_posts = deduper.stats.posts_dropped
    stats.duplicate_media = deduper.stats.media_dropped
    people = set(posts_per_person)
    context = {
        person: PersonContext(
            posts=posts_per_person[person],
            devices=dict(devices.get(person, {})),
            excluded=dict(excluded.get(person, {})),
            utc_hours=tuple(utc_hours.get(person, [0] * 24)),
        )
        for person in people
    }
    stats.people = len(people)
    located.update(p for p in people if evidence.get(p))
    stats.people_located = len(located)
    if not stats.posts:
        from geoleak.ingest.inventory import describe_inputs

        stats.inputs_found = describe_inputs(inputs, diag.by_kind)
    return EvidenceSet(evidence, context, media_seen, stats)


def _account_post(
    post: Post,
    media: Mapping[str, MediaMeta],
    stats: LeakStats,
    diag: Diagnostics,
    evidence: dict[str, list[Evidence]],
    posts_per_person: Counter[str],
    devices: dict[str, Counter[str]],
    excluded: dict[str, Counter[str]],
    utc_hours: dict[str, list[int]],
    geocoder: Geocoder | None = OFFLINE,
    near_cells: dict[str, dict[tuple[int, int], LatLon]] | None = None,
) -> None:
    stats.posts += 1
    posts_per_person[post.author] += 1
    if post.created_at is not None:
        utc_hours.setdefault(post.author, [0] * 24)[post.created_at.hour] += 1
    for path in post.media:
        meta = media[path]
        problem = _media_problem(meta, stats)
        if meta.error:
            diag.warn(
                f"{meta.path}: {meta.error} (post {post.id!r}, {post.origin})",
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
        cells = near_cells.setdefault(post.author, {}) if near_cells is not None else {}
        _remember_cells(cells, found)
        if post.text or post.place is not None:
            context = PlaceContext(near=tuple(cells.values()))
            found += checkin_evidence(post, geocoder, known=found, context=context)
    if found:
        stats.posts_located += 1
        evidence.setdefault(post.author, []).extend(found)
        for ev in found:
            stats.evidence_by_source[ev.source.value] += 1
    elif not post.media and post.text:
        stats.posts_with_text_only += 1


def _source_file(origin: str) -> str:
    """The file part of a post's origin ("corpus.jsonl:17", "tweets.js: tweet 4")."""
    return re.sub(r"(?::\d+|: .*)$", "", origin)


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
            diag.warn_once(f"time:{meta.path}:{name}", f"{meta.path}: {name} {why}; left out",
                           kind="bad-time")  # fmt: skip
    track = meta.track
    if any(implausible_time(p.time_utc) for p in track):
        stats.times_rejected += 1
        diag.warn_once(f"time:{meta.path}:track", f"{meta.path}: a GPS track time "
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


def _remember_cells(cells: dict[tuple[int, int], LatLon], found: Sequence[Evidence]) -> None:
    """Keep up to NEAR_SAMPLE of a person's positions, one per ~50 km cell."""
    for ev in found:
        if len(cells) >= NEAR_SAMPLE:
            return
        cells.setdefault((round(ev.position.lat * 2), round(ev.position.lon * 2)), ev.position)


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
) -> RunResult:
    """The whole technique: inputs -> evidence -> per-person profiles and shared sites.

    `geocoder` (see geoleak.geocode.build_geocoder) turns places named in post text into
    CHECKIN evidence (default: the offline gazetteer); None leaves text out.
    """
    collected = collect_evidence(
        inputs,
        diag=diag,
        source=source,
        author=author,
        workers=workers,
        progress=progress,
        geocoder=geocoder,
    )
    profiles, sites = infer_profiles(
        collected, params=params, workers=workers if workers is not None else (os.cpu_count() or 1)
    )
    return RunResult(profiles, sites, collected.evidence, collected.media, collected.stats)
