"""Workshop mode: the technique as a story a trainer walks a room through, offline.

`build_workshop` takes what the pipeline collected (a unit's corpus, or one participant's
own photos or export) and prepares six steps: one photo and what its metadata says, a week
of posts, the nights that give a home, the working days that give a base, the unit whose
bases coincide in a site, and what each person could have done. The last step rests on
*what-if runs*: inference re-run with classes of evidence withheld (EXIF GPS, platform
geotags, check-ins and place names, every location source), and on a leakage curve (the
home estimate's error after the first k located posts).

`write_workshop` writes `index.html` (one self-contained page: Leaflet, the map runtime and
the data inlined; keyboard: arrows / PageUp / PageDown / space move, N shows speaker notes)
and `workshop.json` (format `geoleak.workshop/1`, see docs/formats.md or README).
Nothing is fetched and nothing is written outside the output folder.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import shlex
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from geoleak import __version__
from geoleak.children import pool_context, worker_start
from geoleak.errors import OutputError
from geoleak.evaluate import TruthRow
from geoleak.geometry import haversine_m
from geoleak.infer import Site
from geoleak.outputs import make_output_dir
from geoleak.pipeline import EvidenceSet, infer_profiles
from geoleak.report import basemap
from geoleak.report.assets import (
    content_security_policy,
    html_text,
    inline_assets,
    script_json,
    write_html,
)
from geoleak.report.maps import (
    _label_rows,
    _Page,
    _thumbnail,
    hour_colour,
    source_label,
    tile_spec,
)
from geoleak.report.plots import LeakageCurve, curve_svg, leakage_curve
from geoleak.report.tilesets import TileSet, select_tiles
from geoleak.types import Evidence, EvidenceSource, LatLon, Place, PlaceKind, Profile

__all__ = [
    "FORMAT",
    "LOCATION_SOURCES",
    "WHAT_IF_WITHHELD",
    "WhatIfRun",
    "Workshop",
    "build_workshop",
    "site_name",
    "what_if_runs",
    "write_workshop",
]

FORMAT = "geoleak.workshop/1"
LOCATION_SOURCES: tuple[str, ...] = tuple(source.value for source in EvidenceSource)
# the runs: nothing withheld; EXIF GPS; platform geotags; check-ins and place names in
# text; every location source (posting times only)
WHAT_IF_WITHHELD: tuple[tuple[str, ...], ...] = (
    (),
    (EvidenceSource.EXIF.value,),
    (EvidenceSource.GEOTAG.value,),
    (EvidenceSource.PLACE.value, EvidenceSource.CHECKIN.value),
    LOCATION_SOURCES,
)
HOME_FOUND_M = 250.0  # a home "found" within 250 m of the reference (evaluate's 2nd radius)
BASE_FOUND_M = 1000.0  # a base within 1 km
NIGHT_HOURS = frozenset((*range(22, 24), *range(6)))
WORK_HOURS = range(9, 18)

_WITHHELD_LABEL = {
    (): "nothing withheld",
    ("exif",): "no EXIF GPS in photos",
    ("geotag",): "no platform geotags",
    ("place", "checkin"): "no check-ins or place names",
    LOCATION_SOURCES: "posting times only (every location source withheld)",
}


@dataclass(frozen=True, slots=True)
class WhatIfRun:
    """Inference with some evidence sources withheld, scored against the references."""

    withheld: tuple[str, ...]
    homes_found: int
    homes_total: int
    bases_found: int
    bases_total: int
    found: Mapping[str, tuple[bool, bool]]  # person -> (home found, base found)
    timezones: Mapping[str, str]  # person -> what posting times alone still tell
    by_truth: bool = False  # scored against a truth file (else against the full run)

    @property
    def label(self) -> str:
        return _WITHHELD_LABEL.get(self.withheld, "withheld: " + ", ".join(self.withheld))

    def score(self, kind: str) -> str:
        """Homes (kind "home") or bases found of those to find, "3/4"; "-" when there is
        none to find (`unscored_note` says why), never "0/0"."""
        found, total = (
            (self.homes_found, self.homes_total)
            if kind == "home"
            else (self.bases_found, self.bases_total)
        )
        return f"{found}/{total}" if total else "-"

    def to_json(self) -> dict[str, Any]:
        return {
            "withheld": list(self.withheld),
            "label": self.label,
            "homes_found": self.homes_found,
            "homes_total": self.homes_total,
            "bases_found": self.bases_found,
            "bases_total": self.bases_total,
            "people": {
                person: {"home": home, "base": base}
                for person, (home, base) in sorted(self.found.items())
            },
        }


def unscored_note(runs: Sequence[WhatIfRun]) -> str | None:
    """Why a what-if score reads "-": the truth file lists no home (base), or, without one,
    the run on all the evidence found none, so there is nothing to look for."""
    if not runs:
        return None
    full = runs[0]
    kinds = [
        k for k, total in (("home", full.homes_total), ("base", full.bases_total)) if not total
    ]
    if not kinds:
        return None
    what = " or ".join(kinds)
    if full.by_truth:
        return f"-: the truth file lists no {what} to look for"
    return f"-: with all the evidence geoleak found no {what}, so there is none to look for"


@dataclass
class Step:
    """One step of the story: what the room sees and what the trainer says."""

    step_id: str
    title: str
    paragraphs: list[str]  # plain text
    notes: str  # speaker notes, plain text
    layers: list[dict[str, Any]] = field(default_factory=list)  # geoleak.layer() specs
    view: list[LatLon] = field(default_factory=list)
    max_zoom: int = 15
    extra_html: str = ""  # tables and charts, built from escaped text

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.step_id,
            "title": self.title,
            "text": self.paragraphs,
            "notes": self.notes,
            "view": [[round(p.lat, 6), round(p.lon, 6)] for p in self.view],
        }


@dataclass
class Workshop:
    """Everything the page and workshop.json show."""

    title: str
    steps: list[Step]
    runs: list[WhatIfRun]
    curve: LeakageCurve | None
    featured: str | None
    participant: bool
    positions: list[LatLon]  # where the maps look: basemap tiles and labels around them
    reference: str  # "truth" or "inference with everything"

    def to_json(self) -> dict[str, Any]:
        curve = None
        if self.curve is not None:
            curve = {
                "person": self.curve.person,
                "reference": self.curve.reference,
                "posts_total": self.curve.posts_total,
                "found_at": self.curve.found_at,
                "points": [
                    {"posts": k, "error_m": None if d is None else round(d, 1)}
                    for k, d in self.curve.points
                ],
            }
        return {
            "format": FORMAT,
            "tool": "geoleak",
            "version": __version__,
            "title": self.title,
            "mode": "participant" if self.participant else "unit",
            "featured_person": self.featured,
            "found_within_m": {"home": HOME_FOUND_M, "base": BASE_FOUND_M},
            "reference": self.reference,
            "steps": [step.to_json() for step in self.steps],
            "what_if": [run.to_json() for run in self.runs],
            "curve": curve,
        }


# --- what-if runs ---------------------------------------------------------------------


def _references(
    profiles: Sequence[Profile], truth: Sequence[TruthRow] | None
) -> dict[str, dict[str, list[LatLon]]]:
    """person -> kind -> positions to find: the truth when given, else the full run's places."""
    refs: dict[str, dict[str, list[LatLon]]] = defaultdict(lambda: defaultdict(list))
    if truth:
        for row in truth:
            if row.kind in ("home", "base") and row.position is not None:
                refs[row.person][row.kind].append(row.position)
        return refs
    for profile in profiles:
        for place in profile.places:
            if place.kind in (PlaceKind.HOME, PlaceKind.BASE):
                refs[profile.person][place.kind.value].append(place.position)
    return refs


def _found(profile: Profile | None, kind: PlaceKind, targets: Sequence[LatLon]) -> bool:
    if profile is None or not targets:
        return False
    radius = HOME_FOUND_M if kind == PlaceKind.HOME else BASE_FOUND_M
    return any(
        haversine_m(place.position, target) <= radius
        for place in profile.places
        if place.kind == kind
        for target in targets
    )


# what the forked workers of `_inferred_runs` read (inherited, never pickled)
_FORK_RUNS: tuple[EvidenceSet, Sequence[tuple[str, ...]]] | None = None
# below this many located observations the runs take less than starting a pool
PARALLEL_MIN_EVIDENCE = 20_000


def _withheld_run(
    collected: EvidenceSet, withheld: tuple[str, ...], workers: int
) -> tuple[list[Profile], list[Site]]:
    kept = {
        person: [e for e in items if e.source.value not in withheld]
        for person, items in collected.evidence.items()
    }
    kept = {person: items for person, items in kept.items() if items}
    return infer_profiles(replace(collected, evidence=kept), workers=workers)


def _forked_run(index: int) -> tuple[list[Profile], list[Site]]:
    assert _FORK_RUNS is not None
    collected, withheld_sets = _FORK_RUNS
    return _withheld_run(collected, withheld_sets[index], 1)


def _inferred_runs(
    collected: EvidenceSet, withheld_sets: Sequence[tuple[str, ...]], workers: int
) -> list[tuple[list[Profile], list[Site]]]:
    """Each withheld set's profiles and sites, in order. The runs are independent: with
    several workers they run side by side, one run a forked process (inference of one
    person is the same in any process, so the results are those of one process)."""
    size = sum(len(items) for items in collected.evidence.values())
    if (
        workers <= 1
        or len(withheld_sets) < 2
        or size < PARALLEL_MIN_EVIDENCE
        or "fork" not in mp.get_all_start_methods()
    ):
        return [_withheld_run(collected, withheld, workers) for withheld in withheld_sets]
    global _FORK_RUNS  # noqa: PLW0603  (read by the forked workers)
    _FORK_RUNS = (collected, withheld_sets)
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(withheld_sets)),
            mp_context=pool_context("fork"),
            initializer=worker_start,
        ) as pool:
            return list(pool.map(_forked_run, range(len(withheld_sets))))
    finally:
        _FORK_RUNS = None


def what_if_runs(
    collected: EvidenceSet,
    *,
    truth: Sequence[TruthRow] | None = None,
    withheld_sets: Sequence[tuple[str, ...]] = WHAT_IF_WITHHELD,
    workers: int = 1,
) -> tuple[list[WhatIfRun], list[Profile], list[Site]]:
    """Re-run inference once per set of withheld sources; the first set should be empty.

    A home (base) counts as found when the run infers one within HOME_FOUND_M
    (BASE_FOUND_M) of the person's true home (base), or, without truth, of the home
    (base) inferred from all the evidence. Returns the runs and the first run's profiles
    and sites.
    """
    runs: list[WhatIfRun] = []
    first: tuple[list[Profile], list[Site]] | None = None
    refs: dict[str, dict[str, list[LatLon]]] = {}
    for withheld, (profiles, sites) in zip(
        withheld_sets, _inferred_runs(collected, withheld_sets, workers), strict=True
    ):
        if first is None:
            first = (profiles, sites)
            refs = _references(profiles, truth)
        by_person = {p.person: p for p in profiles}
        found = {
            person: (
                _found(by_person.get(person), PlaceKind.HOME, kinds.get("home", [])),
                _found(by_person.get(person), PlaceKind.BASE, kinds.get("base", [])),
            )
            for person, kinds in refs.items()
        }
        timezones = {}
        for profile in profiles:
            estimate = profile.extra.get("timezone_estimate") if profile.extra else None
            if profile.timezone:
                timezones[profile.person] = profile.timezone
            elif isinstance(estimate, Mapping) and isinstance(
                estimate.get("utc_offset_h"), (int, float)
            ):
                timezones[profile.person] = f"UTC{estimate['utc_offset_h']:+g}"
        runs.append(
            WhatIfRun(
                withheld=tuple(withheld),
                homes_found=sum(home for home, _ in found.values()),
                homes_total=sum(1 for kinds in refs.values() if kinds.get("home")),
                bases_found=sum(base for _, base in found.values()),
                bases_total=sum(1 for kinds in refs.values() if kinds.get("base")),
                found=found,
                timezones=timezones,
                by_truth=bool(truth),
            )
        )
    assert first is not None
    return runs, first[0], first[1]


# --- naming sites ---------------------------------------------------------------------


def site_name(index: int, position: LatLon) -> str:
    """'Site 1 — near <nearest bundled town>' (GeoNames towns of 15,000 or more)."""
    return basemap.site_label(f"S{index}", position)


# --- map features (specs read by geoleak-map.js) ----------------------------------------


def _ll(position: LatLon) -> list[float]:
    return [round(position.lat, 6), round(position.lon, 6)]


def _dot(evidence: Evidence, *, size: int = 14, tip: str = "") -> dict[str, Any]:
    colour = hour_colour(evidence.local_time)
    when = evidence.local_time.strftime("%a %d %b %H:%M") if evidence.local_time else "?"
    text = (evidence.text or "")[:160]
    popup = (
        f'<div class="gl-popup"><h3>{html_text(evidence.person)} · {html_text(when)}</h3>'
        + (f'<div class="gl-text">{html_text(text)}</div>' if text else "")
        + "<table><tr><th>source</th><td>"
        + html_text(source_label(evidence))
        + "</td></tr></table></div>"
    )
    return {
        "k": "pin",
        "ll": _ll(evidence.position),
        "icon": {
            "cls": "gl-dot",
            "html": f'<span style="background:{colour}"></span>',
            "size": [size, size],
        },
        "popup": popup,
        "tip": html_text(tip or f"{when} · {evidence.source.value}"),
    }


_KIND_COLOUR = {PlaceKind.HOME: "#c92a2a", PlaceKind.BASE: "#1c5fb8", PlaceKind.FREQUENT: "#5f6b75"}
_KIND_LETTER = {PlaceKind.HOME: "H", PlaceKind.BASE: "B", PlaceKind.FREQUENT: "F"}


def _place_pin(person: str, place: Place, *, label: str = "") -> dict[str, Any]:
    return {
        "k": "pin",
        "ll": _ll(place.position),
        "z": 1000,
        "icon": {
            "cls": "gl-place-wrap",
            "html": f'<div class="gl-place gl-place-{place.kind.value}" '
            f'style="width:26px;height:26px"><b>{_KIND_LETTER[place.kind]}</b></div>',
            "size": [26, 26],
        },
        "popup": f'<div class="gl-popup"><h3>{html_text(person)}: {place.kind.value}</h3>'
        f'<p class="gl-why">{html_text(place.explanation)}</p></div>',
        "tip": html_text(label or f"{person}: {place.kind.value} ({place.confidence:.0%})"),
    }


def _circle(place: Place) -> dict[str, Any]:
    colour = _KIND_COLOUR[place.kind]
    return {
        "k": "circle",
        "ll": _ll(place.position),
        "r": max(20.0, place.radius_m),
        "style": {"color": colour, "weight": 2, "fillOpacity": 0.12, "dashArray": "4 4"},
    }


def _line(a: LatLon, b: LatLon, colour: str, tip: str) -> dict[str, Any]:
    return {
        "k": "line",
        "lls": [_ll(a), _ll(b)],
        "style": {"color": colour, "weight": 2, "dashArray": "6 5", "opacity": 0.9},
        "tip": html_text(tip),
    }


def _group(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"mode": "group", "features": features}


def _near(points: Sequence[LatLon], anchors: Sequence[LatLon], within_m: float) -> list[LatLon]:
    return [p for p in points if any(haversine_m(p, a) <= within_m for a in anchors)]


# --- the steps ------------------------------------------------------------------------


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def _when(evidence: Evidence) -> datetime:
    """When the observation was made (UTC, aware), or after everything when not known (a
    photo without a capture time in a folder: no post time either)."""
    moment = evidence.time_utc or evidence.posted_at
    return moment if moment is not None else _NEVER


def _featured(
    profiles: Sequence[Profile], evidence: Mapping[str, Sequence[Evidence]]
) -> str | None:
    """The person the story follows: a home and a base, most photos with GPS, most evidence."""

    def score(profile: Profile) -> tuple[int, int, int, str]:
        items = evidence.get(profile.person, ())
        exif = sum(1 for e in items if e.source == EvidenceSource.EXIF and e.media_path)
        both = int(bool(profile.place(PlaceKind.HOME))) + int(bool(profile.place(PlaceKind.BASE)))
        return (both, min(exif, 5), len(items), profile.person)

    located = [p for p in profiles if evidence.get(p.person)]
    return max(located, key=score).person if located else None


def _photo_step(
    person: str, items: Sequence[Evidence], collected: EvidenceSet, media_root: Path | None
) -> Step:
    photos = [e for e in items if e.source == EvidenceSource.EXIF and e.media_path]
    chosen = min(photos or items, key=_when)
    meta = collected.media.get(chosen.media_path or "")
    rows: list[tuple[str, str]] = []
    thumb = None
    if chosen.media_path:
        path = Path(chosen.media_path)
        if not path.is_absolute() and media_root is not None:
            path = media_root / path
        thumb = _thumbnail(str(path)) if path.is_file() else None
        rows.append(("file", path.name))
    if meta is not None:
        rows += [
            ("camera", meta.device or ""),
            ("taken", str(meta.capture_time or "")),
            (
                "position",
                f"{meta.position} ± {meta.accuracy_m or 0:.0f} m" if meta.position else "",
            ),
            ("altitude", f"{meta.alt_m:.0f} m" if meta.alt_m is not None else ""),
            ("software", meta.software or ""),
        ]
    else:
        rows.append(("position", str(chosen.position)))
    local = (
        chosen.local_time.strftime("%A %d %B %Y, %H:%M") if chosen.local_time else "an unknown time"
    )
    if chosen.source == EvidenceSource.EXIF:
        paragraphs = [
            f"One photo {person} posted. The picture itself shows little; the file says more.",
            f"The camera wrote where and when it was taken into the file: {chosen.position}, "
            f"{local} local time.",
            "Anyone who downloads the original file (many platforms, messengers and "
            "cloud shares keep it) can read this in seconds.",
        ]
    else:
        label = source_label(chosen)
        paragraphs = [
            f"One post of {person}: it carries a {label}: {chosen.position}, {local} local time.",
            "The post's text and picture need not say anything: the position travels with it.",
        ]
    table = "".join(
        f"<tr><th>{html_text(k)}</th><td>{html_text(v)}</td></tr>" for k, v in rows if v
    )
    extra = (
        f'<img class="ws-photo" alt="the photo (re-encoded, no metadata)" src="{thumb}">'
        if thumb
        else ""
    ) + f'<table class="ws-meta">{table}</table>'
    return Step(
        "photo",
        "1. One photo, and what its metadata says",
        paragraphs,
        "Start concrete: one picture, harmless on its face. Read the metadata table aloud. "
        "Ask the room: who knows whether their phone does this? (Most camera apps do, "
        "unless location is switched off for the camera.)",
        layers=[_group([_dot(chosen, size=18)])],
        view=[chosen.position],
        max_zoom=15,
        extra_html=extra,
    )


def _week_step(person: str, items: Sequence[Evidence]) -> Step:
    timed = sorted((e for e in items if e.time_utc or e.posted_at), key=_when)
    best: list[Evidence] = timed[:1]
    start = 0
    for end, item in enumerate(timed):
        while _when(item) - _when(timed[start]) > timedelta(days=7):
            start += 1
        if end - start + 1 > len(best):
            best = timed[start : end + 1]
    rows = "".join(
        "<tr><td>"
        + html_text(e.local_time.strftime("%a %d %b %H:%M") if e.local_time else "?")
        + f'</td><td><span class="gl-swatch" style="background:{hour_colour(e.local_time)}">'
        + "</span>"
        + html_text(e.source.value)
        + "</td><td>"
        + html_text((e.text or "")[:80])
        + "</td></tr>"
        for e in best
    )
    first = best[0].local_time.strftime("%d %B %Y") if best and best[0].local_time else ""
    return Step(
        "week",
        "2. A week of posts",
        [
            f"{len(best)} located posts of {person} in one week"
            + (f" (from {first})" if first else "")
            + ". Each is one dot, coloured by the local time it was taken or posted.",
            "Alone, each post is a moment. Together they already show a rhythm: where the "
            "evenings are spent, where the working days start.",
        ],
        "Let the room guess before moving on: where does this person sleep? Where do they "
        "work? Point at the night-blue and working-hours-orange dots.",
        layers=[_group([_dot(e) for e in best])],
        view=[e.position for e in best],
        extra_html=f'<table class="ws-list"><tbody>{rows}</tbody></table>',
    )


def _place_step(
    person: str,
    items: Sequence[Evidence],
    profile: Profile,
    kind: PlaceKind,
) -> Step:
    place = profile.place(kind)
    if kind == PlaceKind.HOME:
        chosen = [e for e in items if e.local_time and e.local_time.hour in NIGHT_HOURS]
        title, step_id = "3. The nights cluster: a home", "home"
        what = "nights and weekends"
    else:
        chosen = [
            e
            for e in items
            if e.local_time and e.local_time.weekday() < 5 and e.local_time.hour in WORK_HOURS
        ]
        title, step_id = "4. The working days: a base", "base"
        what = "working hours on weekdays"
    features = [_dot(e, size=12) for e in chosen]
    if place is None:
        return Step(
            step_id,
            title,
            [
                f"{len(chosen)} posts of {person} fall in {what}, but they do not settle on "
                f"one place: geoleak infers no {kind.value} (it never invents one)."
            ],
            "A useful moment: not every habit gives a place away. Ask what made the "
            "difference for this person.",
            layers=[_group(features)],
            view=[e.position for e in chosen],
        )
    others = [
        _place_pin(person, p) for p in profile.places if p.kind not in (kind, PlaceKind.FREQUENT)
    ]
    layers = [
        _group(
            [
                _circle(place),
                *features,
                _place_pin(person, place),
                *(others if kind == PlaceKind.BASE else []),
            ]
        )
    ]
    home = profile.place(PlaceKind.HOME)
    if kind == PlaceKind.BASE and home is not None:
        distance = haversine_m(home.position, place.position)
        layers.append(
            _group(
                [
                    _line(
                        home.position,
                        place.position,
                        "#343a40",
                        f"home → base, {distance / 1000:.1f} km",
                    )
                ]
            )
        )
    view = [place.position, *_near([e.position for e in chosen], [place.position], 3000)]
    if kind == PlaceKind.BASE and home is not None:
        view.append(home.position)
    return Step(
        step_id,
        title,
        [
            f"Keep only the posts made in {what}: {len(chosen)} of them. They pile up in one "
            f"place: {person}'s {kind.value}, within about {place.radius_m:.0f} m "
            f"({place.confidence:.0%} confidence).",
            f"Why: {place.explanation}",
        ],
        "Stress that no single post said 'this is my home'. The repetition did: the same "
        "spot on many different nights. The circle is the uncertainty: a street, a block."
        if kind == PlaceKind.HOME
        else "The base is where the working days start and end. For a unit, this is the "
        "step that turns a private leak into an operational one.",
        layers=layers,
        view=view,
    )


def _unit_step(
    profiles: Sequence[Profile], sites: Sequence[Site], names: Mapping[str, str]
) -> Step:
    features: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    view: list[LatLon] = []
    bases = [(p.person, p.place(PlaceKind.BASE)) for p in profiles]
    for person, base in bases:
        if base is not None:
            features.append(_place_pin(person, base))
            view.append(base.position)
    for profile in profiles:
        home = profile.place(PlaceKind.HOME)
        if home is not None:
            features.append(_place_pin(profile.person, home))
            view.append(home.position)
    paragraphs = []
    for site in sites:
        name = names.get(site.site_id, site.site_id)
        features.append(
            {
                "k": "pin",
                "ll": _ll(site.position),
                "z": 900,
                "icon": {
                    "cls": "gl-place-wrap",
                    "html": '<div class="gl-place gl-place-site" style="width:30px;height:30px">'
                    "<b>S</b></div>",
                    "size": [30, 30],
                },
                "tip": html_text(f"{name}: {len(site.people)} people"),
                "popup": f'<div class="gl-popup"><h3>{html_text(name)}</h3><p>'
                + html_text(", ".join(site.people))
                + "</p></div>",
            }
        )
        features.append(
            {
                "k": "label",
                "ll": _ll(site.position),
                "text": html_text(name),
            }
        )
        view.append(site.position)
        for person, base in bases:
            if base is not None and person in site.people:
                lines.append(_line(base.position, site.position, "#7b2cbf", f"{person} → {name}"))
        paragraphs.append(
            f"{name}: the bases of {len(site.people)} people fall within about "
            f"{site.radius_m:.0f} m of each other. One person's posts say little about a "
            "site; together they expose it, and who serves there."
        )
    if not sites:
        paragraphs.append(
            "No site is shared here: with one person's files there is no unit to combine. "
            "In a unit, everyone's bases coincide, and the site appears (see the demo)."
        )
    homes = sum(1 for p in profiles if p.place(PlaceKind.HOME))
    paragraphs.append(
        f"Homes found: {homes} of {len(profiles)} people. Each H is a front door, linked to "
        "the same site."
    )
    return Step(
        "unit",
        "5. The unit: everyone's bases coincide, a site",
        paragraphs,
        "Zoom out of the individual. The unit's site was never posted as such; it emerges "
        "from many ordinary posts. Then point at the homes around it: this is the list an "
        "adversary wants.",
        layers=[_group(lines), _group(features)],
        view=view or [p.position for prof in profiles for p in prof.places],
        max_zoom=14,
    )


def _what_if_step(
    runs: Sequence[WhatIfRun],
    curve: LeakageCurve | None,
    profiles: Sequence[Profile],
    participant: bool,
) -> Step:
    full = runs[0]
    rows = "".join(
        f"<tr><td>{html_text(run.label)}</td>"
        f'<td class="num">{html_text(run.score("home"))}</td>'
        f'<td class="num">{html_text(run.score("base"))}</td></tr>'
        for run in runs
    )
    table = (
        '<table class="ws-runs"><thead><tr><th>what-if</th><th>homes found</th>'
        f"<th>bases found</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    unscored = unscored_note(runs)
    if unscored is not None:
        table += f'<p class="ws-unscored">{html_text(unscored)}</p>'
    singles = [r for r in runs[1:] if len(r.withheld) < len(LOCATION_SOURCES)]
    paragraphs = []
    if singles and full.homes_total:
        worst = min(singles, key=lambda r: (r.homes_found, r.bases_found))
        paragraphs.append(
            f"With everything, {full.homes_found} of {full.homes_total} homes are found. "
            f"The habit that matters most here: {worst.label.removeprefix('no ')} — without "
            f"it, {worst.homes_found} homes are found."
        )
    last = runs[-1]
    if len(last.withheld) == len(LOCATION_SOURCES):
        zones = Counter(last.timezones.values())
        zone_text = f" (e.g. {zones.most_common(1)[0][0]})" if zones else ""
        paragraphs.append(
            f"Posting times alone still tell a time zone{zone_text}, but find "
            f"{last.homes_found} homes: switching off location everywhere works."
        )
    people = sorted(full.found)
    matrix_head = "".join(f"<th>{html_text(run.label)}</th>" for run in runs)
    matrix_rows = "".join(
        f"<tr><td>{html_text(person)}</td>"
        + "".join(
            f'<td class="num">{"home" if run.found.get(person, (False, False))[0] else "—"}</td>'
            for run in runs
        )
        + "</tr>"
        for person in people
    )
    matrix = (
        '<details class="ws-matrix"><summary>Per person: is the home still found?</summary>'
        f'<div class="ws-scroll"><table class="ws-runs"><thead><tr><th>person</th>{matrix_head}'
        f"</tr></thead><tbody>{matrix_rows}</tbody></table></div></details>"
    )
    chart = ""
    if curve is not None:
        chart = f"<h3>How fast it leaks: {html_text(curve.person)}</h3>" + curve_svg(
            curve, width=520, height=210
        )
        paragraphs.append(
            f"The curve: the error of {curve.person}'s home estimate after each located post"
            + (
                f"; within 100 m from post {curve.found_at} of {curve.posts_total} on."
                if curve.found_at
                else "."
            )
        )
    features = []
    homes = []
    for profile in profiles:
        home = profile.place(PlaceKind.HOME)
        if home is None:
            continue
        homes.append(home)
        still = [run.label for run in runs[1:] if run.found.get(profile.person, (False, False))[0]]
        tip = f"{profile.person}: home still found with " + (
            "; ".join(still) if still else "no single habit changed"
        )
        features.append(_place_pin(profile.person, home, label=tip))
    return Step(
        "what-if",
        "6. What each person could have done" if not participant else "6. What you could do",
        paragraphs,
        "Go through the table row by row: each row is the same people, with one habit "
        "changed. Ask the room which habit they could change tomorrow. Hover a home pin "
        "to see which single change would have hidden it.",
        layers=[_group(features)],
        view=[home.position for home in homes],
        max_zoom=14,
        extra_html=table + matrix + chart,
    )


def _audit_step(inputs: Sequence[str], audit_lines: Sequence[str], serials: bool) -> Step:
    quoted = " ".join(shlex.quote(i) for i in inputs)
    # scrub cleans files, not a zip (it skips one: "unpack it, then scrub the folder"): an
    # export zip is unpacked first, with Python's own zipfile (there wherever geoleak is).
    unpack = []
    targets = []
    for given in inputs:
        if given.lower().endswith(".zip"):
            folder = str(Path(given).with_suffix(""))
            unpack.append(f"python3 -m zipfile -e {shlex.quote(given)} {shlex.quote(folder)}")
            targets.append(folder)
        else:
            targets.append(given)
    first = Path(targets[0]) if targets else Path("photos")
    clean = shlex.quote(str(first.with_name(first.stem + "-clean")))
    cleaned = " ".join(shlex.quote(t) for t in targets) if targets else "photos"
    commands = [
        f"geoleak audit {quoted}",
        *unpack,
        f"geoleak scrub {cleaned} --dry-run",
        f"geoleak scrub {cleaned} -o {clean}" + (" --all-identifying" if serials else ""),
    ]
    listing = "".join(f"<li>{html_text(line)}</li>" for line in audit_lines)
    code = "".join(f'<pre class="ws-cmd">{html_text(c)}</pre>' for c in commands)
    return Step(
        "audit",
        "7. Your files: the audit, and the scrub command",
        [
            "What your own files give away (this audit ran on this machine only; nothing "
            "was sent anywhere):",
            "To clean copies before posting: run the commands below. scrub removes location "
            "without re-encoding the pictures, and checks each copy before writing it; "
            "your originals stay as they are.",
        ],
        "Give the participant time to read their own audit. Then run the dry run together, "
        "and the scrub into a new folder. Remind them: switching location off in the "
        "camera app stops the leak at the source.",
        extra_html=f'<ul class="ws-audit">{listing}</ul>{code}',
    )


def build_workshop(
    collected: EvidenceSet,
    *,
    truth: Sequence[TruthRow] | None = None,
    media_root: Path | None = None,
    participant_inputs: Sequence[str] | None = None,
    audit_lines: Sequence[str] = (),
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Workshop:
    """Prepare the story (see module docstring). `participant_inputs` turns on participant
    mode: the story of one person's own files, ending with the audit and the scrub commands."""
    say = progress or (lambda _message: None)
    say("inference with evidence withheld (what-if runs)")
    runs, profiles, sites = what_if_runs(collected, truth=truth, workers=workers)
    evidence = collected.evidence
    featured = _featured(profiles, evidence)
    names = {site.site_id: site_name(i + 1, site.position) for i, site in enumerate(sites)}
    steps: list[Step] = []
    curve = None
    if featured is not None:
        items = sorted(evidence[featured], key=_when)
        profile = next(p for p in profiles if p.person == featured)
        steps.append(_photo_step(featured, items, collected, media_root))
        steps.append(_week_step(featured, items))
        steps.append(_place_step(featured, items, profile, PlaceKind.HOME))
        steps.append(_place_step(featured, items, profile, PlaceKind.BASE))
        say("leakage curve")
        reference = None
        if truth:
            homes = [
                r.position
                for r in truth
                if r.person == featured and r.kind == "home" and r.position
            ]
            reference = homes[-1] if homes else None
        curve = leakage_curve(featured, items, reference=reference, max_points=30)
    else:
        steps.append(
            Step(
                "photo",
                "1. Nothing located",
                [
                    "These files give away no position: no GPS in the photos, no geotags, no "
                    "check-ins. Posting times alone tell a time zone, never a home."
                ],
                "A good outcome: show the what-if table to explain why.",
            )
        )
    steps.append(_unit_step(profiles, sites, names))
    steps.append(_what_if_step(runs, curve, profiles, participant_inputs is not None))
    if participant_inputs is not None:
        serials = any(p.devices and "#" in d for p in profiles for d in p.devices)
        steps.append(_audit_step(participant_inputs, audit_lines, serials))
    positions = [p.position for prof in profiles for p in prof.places] + [s.position for s in sites]
    if featured is not None:
        positions += [e.position for e in evidence[featured]]
    positions = _near(
        positions, [p.position for prof in profiles for p in prof.places] or positions, 30_000
    )
    title = (
        "geoleak workshop: what your posts give away"
        if participant_inputs is not None
        else "geoleak workshop: how a unit gives itself away"
    )
    return Workshop(
        title=title,
        steps=steps,
        runs=runs,
        curve=curve,
        featured=featured,
        participant=participant_inputs is not None,
        positions=positions,
        reference="truth" if truth else "inference with everything",
    )


# --- the page -------------------------------------------------------------------------

# Without JavaScript (class ws-js unset) the page is a document: every step one after the
# other with its speaker notes, no map, no buttons. With it, one step at a time beside the
# map; a step whose tables do not fit the panel (the what-if matrix at 1024 px, a
# projector) widens it (ws-wide).
_CSS = """
html, body { margin: 0; font-family: system-ui, sans-serif; color: #212529; }
#ws-panel { padding: 18px 22px; background: #fbfaf7; max-width: 60em; }
#ws-map, .ws-nav, #ws-notes { display: none; }
.ws-step { border-top: 1px solid #ccc; margin-top: 12px; }
.ws-step-notes { background: #fff8db; border: 1px solid #e0c068; padding: 8px 12px; }
.ws-js, .ws-js body { height: 100%; }
body.ws-js { display: grid; grid-template-columns: minmax(340px, 36%) 1fr; grid-template-rows: 100%; }
body.ws-js.ws-wide { grid-template-columns: minmax(340px, 58%) 1fr; }
.ws-js #ws-panel { overflow: auto; padding: 18px 22px 70px; border-right: 1px solid #ccc; max-width: none; }
.ws-js #ws-map { display: block; height: 100%; }
.ws-js .ws-step { display: none; border-top: 0; margin-top: 0; }
.ws-js .ws-step.active { display: block; }
.ws-js .ws-step-notes, .ws-js .ws-noscript { display: none; }
#ws-panel svg { max-width: 100%; height: auto; }
.ws-scroll { overflow-x: auto; }
.ws-step h2 { margin: 4px 0 10px; font-size: 1.45em; }
.ws-step p { line-height: 1.45; font-size: 1.05em; }
.ws-nav { position: fixed; bottom: 0; left: 0; width: calc(min(max(340px, 36%), 100%) - 1px);
  background: #fff; border-top: 1px solid #ccc; padding: 8px 14px; gap: 8px;
  align-items: center; box-sizing: border-box; z-index: 1000; }
.ws-js .ws-nav { display: flex; }
body.ws-wide .ws-nav { width: calc(min(max(340px, 58%), 100%) - 1px); }
.ws-nav button { font-size: 1em; padding: 4px 10px; white-space: nowrap; flex: none; }
.ws-nav .ws-count { white-space: nowrap; }
.ws-js .leaflet-control-attribution { max-width: calc(100vw - max(340px, 36vw) - 130px); }
body.ws-wide .leaflet-control-attribution { max-width: calc(100vw - max(340px, 58vw) - 130px); }
.ws-nav .ws-count { margin-left: auto; color: #555; }
#ws-notes { position: fixed; right: 12px; bottom: 12px; width: 42%;
  background: #fff8db; border: 1px solid #e0c068; padding: 12px 16px; z-index: 1100;
  box-shadow: 0 2px 10px rgba(0,0,0,.25); font-size: 1.05em; line-height: 1.4; }
body.ws-show-notes #ws-notes { display: block; }
.ws-photo { width: 240px; max-width: 100%; image-rendering: pixelated; border: 1px solid #ccc; margin: 6px 0; }
table.ws-meta, table.ws-list, table.ws-runs { border-collapse: collapse; margin: 8px 0; font-size: .95em; }
.ws-meta th { text-align: left; padding: 2px 10px 2px 0; color: #555; vertical-align: top; }
.ws-list td, .ws-runs td, .ws-runs th { padding: 2px 8px; border-bottom: 1px solid #e3e3e3; }
.ws-runs th { text-align: left; font-size: .9em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ws-cmd { background: #212529; color: #f8f9fa; padding: 8px 10px; white-space: pre-wrap; word-break: break-all; }
.ws-help { color: #666; font-size: .85em; }
.gl-site-label span { background: #7b2cbf; color: #fff; padding: 2px 6px; border-radius: 3px;
  white-space: nowrap; font-weight: bold; font-size: 12px; position: relative; left: 18px; top: -8px; }
.gl-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; }
"""

_JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ws-data").textContent);
  var map = L.map("ws-map", { minZoom: 1, maxZoom: 19, zoomSnap: 0.5 });
  geoleak.map = map;
  L.control.scale().addTo(map);
  if (data.tiles) { geoleak.embeddedTiles(data.tiles).addTo(map); }
  var countries = geoleak.countries(map, data.countries);
  if (!data.tiles) { countries.addTo(map); }
  geoleak.labels(map, data.labels).addTo(map);
  if (!data.tiles) { map.attributionControl.addAttribution(data.attribution); }
  var sections = document.querySelectorAll(".ws-step");
  var panel = document.getElementById("ws-panel");
  function fit() {  // widen the panel while the step's tables do not fit it
    document.body.classList.remove("ws-wide");
    var over = panel.scrollWidth > panel.clientWidth + 1;
    Array.prototype.forEach.call(sections[current].querySelectorAll(".ws-scroll"), function (el) {
      over = over || el.scrollWidth > el.clientWidth + 1;
    });
    document.body.classList.toggle("ws-wide", over);
    map.invalidateSize({ animate: false });
  }
  var notes = document.getElementById("ws-notes");
  var count = document.querySelector(".ws-count");
  var shown = [];
  var current = -1;
  function siteLabels(spec) {
    var extra = [];
    spec.features = (spec.features || []).filter(function (f) {
      if (f.k !== "label") { return true; }
      extra.push(L.marker(f.ll, { icon: L.divIcon({ className: "gl-site-label",
        html: "<span>" + f.text + "</span>", iconSize: null }), interactive: false }));
      return false;
    });
    return extra;
  }
  function show(index) {
    index = Math.max(0, Math.min(data.steps.length - 1, index));
    if (index === current) { return; }
    current = index;
    shown.forEach(function (layer) { map.removeLayer(layer); });
    shown = [];
    var step = data.steps[index];
    step.layers.forEach(function (spec) {
      var copy = JSON.parse(JSON.stringify(spec));
      siteLabels(copy).forEach(function (m) { shown.push(m.addTo(map)); });
      shown.push(geoleak.layer(copy).addTo(map));
    });
    Array.prototype.forEach.call(sections, function (s, i) { s.classList.toggle("active", i === index); });
    fit();
    notes.textContent = step.notes;
    count.textContent = (index + 1) + " / " + data.steps.length;  // ("step 1 of 6" wrapped)
    count.title = "step " + (index + 1) + " of " + data.steps.length;
    if (step.view.length === 1) {
      map.setView(step.view[0], step.maxZoom, { animate: false });
    } else if (step.view.length > 1) {
      map.fitBounds(step.view, { padding: [40, 40], maxZoom: step.maxZoom, animate: false });
    } else if (current === 0) {
      map.setView([20, 0], 2);
    }
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#step-" + (index + 1));
    }
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (key === "ArrowRight" || key === "PageDown" || key === " " || key === "ArrowDown") {
      show(current + 1); event.preventDefault();
    } else if (key === "ArrowLeft" || key === "PageUp" || key === "ArrowUp") {
      show(current - 1); event.preventDefault();
    } else if (key === "Home") { show(0); event.preventDefault(); }
    else if (key === "End") { show(data.steps.length - 1); event.preventDefault(); }
    else if (key === "n" || key === "N") { document.body.classList.toggle("ws-show-notes"); }
  });
  document.getElementById("ws-prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("ws-next").addEventListener("click", function () { show(current + 1); });
  Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) {
    d.addEventListener("toggle", function () { fit(); });
  });
  window.addEventListener("resize", function () { fit(); });
  document.getElementById("ws-notes-btn").addEventListener("click", function () {
    document.body.classList.toggle("ws-show-notes");
  });
  var start = /^#step-(\\d+)$/.exec(window.location.hash || "");
  show(start ? Number(start[1]) - 1 : 0);
  window.geoleakWorkshop = { show: show, current: function () { return current; } };
  window.geoleakReady = true;
})();
"""


def render_workshop(
    workshop: Workshop, *, basemap_tiles: TileSet | None = None, messages: list[str] | None = None
) -> str:
    """The page's HTML (see module docstring)."""
    page = _Page(out_dir=Path("."), media_root=None)
    tiles = None
    attribution = basemap.ATTRIBUTION
    if basemap_tiles is not None and workshop.positions:
        embedded = select_tiles(basemap_tiles, workshop.positions)
        if embedded.capped and messages is not None:
            messages.append(f"{basemap_tiles.path}: workshop map: {embedded.capped}")
        if embedded.tiles:
            tiles = tile_spec(embedded)
            attribution = f"Street map: {embedded.attribution or embedded.name}"
        elif messages is not None:
            messages.append(f"{basemap_tiles.path}: no tile covers the workshop's evidence")
    data = {
        "steps": [
            {
                "layers": step.layers,
                "view": [_ll(p) for p in step.view],
                "maxZoom": step.max_zoom,
                "notes": step.notes,
            }
            for step in workshop.steps
        ],
        "tiles": tiles,
        "countries": basemap.world_countries(),
        "labels": _label_rows(workshop.positions, page),
        "attribution": html_text(attribution),
    }
    sections = "".join(
        f'<section class="ws-step" id="step-{i + 1}"><h2>{html_text(step.title)}</h2>'
        + "".join(f"<p>{html_text(text)}</p>" for text in step.paragraphs)
        + step.extra_html
        + f'<aside class="ws-step-notes"><b>Speaker notes:</b> {html_text(step.notes)}</aside>'
        + "</section>"
        for i, step in enumerate(workshop.steps)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html_text(workshop.title)}</title>"
        + content_security_policy()
        + '<link rel="icon" href="data:,">'
        + inline_assets(["leaflet", "markercluster", "geoleak"])
        + f"<style>{_CSS}</style></head><body>"
        # (before anything is laid out: the page opens in its one-step form, no flash)
        '<script>document.documentElement.className = document.body.className = "ws-js";</script>'
        f'<div id="ws-panel"><p class="ws-help">{html_text(workshop.title)} · keys: → / space '
        "next, ← back, N speaker notes</p>"
        '<p class="ws-noscript">JavaScript is off: every step is shown below, one after the '
        "other, with its speaker notes; the map and the keys need JavaScript (it runs in this "
        "page only: nothing is fetched).</p>"
        + sections
        + '<div class="ws-nav"><button id="ws-prev" type="button">← back</button>'
        '<button id="ws-next" type="button">next →</button>'
        '<button id="ws-notes-btn" type="button">notes (N)</button>'
        '<span class="ws-count"></span></div></div>'
        '<div id="ws-map"></div><div id="ws-notes" role="note"></div>'
        f'<script type="application/json" id="ws-data">{script_json(data)}</script>'
        f"<script>{_JS}</script></body></html>"
    )


def write_workshop(
    workshop: Workshop,
    out_dir: Path,
    *,
    basemap_tiles: TileSet | None = None,
    messages: list[str] | None = None,
) -> list[Path]:
    """Write `index.html` and `workshop.json` into `out_dir`; returns both paths."""
    out_dir = Path(out_dir)
    make_output_dir(out_dir)
    page = write_html(
        out_dir / "index.html",
        render_workshop(workshop, basemap_tiles=basemap_tiles, messages=messages),
    )
    doc = out_dir / "workshop.json"
    try:
        doc.write_text(
            json.dumps(workshop.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    except OSError as exc:
        raise OutputError(f"{doc}: cannot write: {exc.strerror or exc}") from exc
    return [page, doc]
