"""Leakage over time: after how many posts was a person's home found within 100 m?

`leakage_curve` replays a person's posts in time order and re-runs the home inference on
the first k posts at a series of checkpoints, measuring the distance from each estimate to
a reference (the truth when given, else the home inferred from everything). `curve_svg`
draws it as a small self-contained SVG (no plotting library, no fonts fetched).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from geoleak.geometry import haversine_m
from geoleak.infer import LeakInference
from geoleak.report.assets import html_text
from geoleak.types import Evidence, LatLon, PlaceKind

__all__ = ["LeakageCurve", "curve_svg", "leakage_curve"]

FOUND_WITHIN_M = 100.0


@dataclass(frozen=True, slots=True)
class LeakageCurve:
    """Distance of the home estimate from the reference after the first k posts."""

    person: str
    posts_total: int
    points: tuple[tuple[int, float | None], ...]  # (k posts, distance in metres or None)
    reference: str  # "truth" or "final estimate"
    found_at: int | None  # first k from which every later estimate is within FOUND_WITHIN_M


def _checkpoints(total: int, max_points: int) -> list[int]:
    if total <= max_points:
        return list(range(1, total + 1))
    step = total / max_points
    marks = sorted({max(1, round(step * (i + 1))) for i in range(max_points)})
    if marks[-1] != total:
        marks.append(total)
    return marks


def leakage_curve(
    person: str,
    evidence: Sequence[Evidence],
    *,
    reference: LatLon | None = None,
    max_points: int = 40,
    inference: LeakInference | None = None,
) -> LeakageCurve | None:
    """The curve for one person, or None when no home is found even from all posts.

    `inference` gives the parameters to re-run with (the user's own estimator, left
    untouched: a fresh copy with its parameters is fitted); None uses the defaults.
    """
    params = inference.get_params() if inference is not None else {}

    def when(item: Evidence) -> float:
        moment = item.time_utc or item.posted_at
        return moment.timestamp() if moment else math.inf

    ordered = sorted(evidence, key=when)
    rank: dict[str, int] = {}
    for item in ordered:
        rank.setdefault(item.post_id, len(rank) + 1)
    total = len(rank)
    if total == 0:
        return None

    def home_after(k: int) -> LatLon | None:
        prefix = [e for e in ordered if rank[e.post_id] <= k]
        profiles = LeakInference(**{**params, "workers": 1}).fit({person: prefix}).profiles_
        home = profiles[0].place(PlaceKind.HOME) if profiles else None
        return home.position if home else None

    label = "truth"
    if reference is None:
        reference = home_after(total)
        label = "final estimate"
        if reference is None:
            return None
    points: list[tuple[int, float | None]] = []
    for k in _checkpoints(total, max_points):
        estimate = home_after(k)
        points.append((k, haversine_m(estimate, reference) if estimate else None))
    found_at = None
    for k, distance in reversed(points):
        if distance is None or distance > FOUND_WITHIN_M:
            break
        found_at = k
    return LeakageCurve(person, total, tuple(points), label, found_at)


def curve_svg(curve: LeakageCurve, *, width: int = 560, height: int = 220) -> str:
    """An inline SVG line chart: distance (log scale) against posts, with the 100 m line."""
    left, right, top, bottom = 58, 14, 24, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    lo, hi = 1.0, 100_000.0  # 1 m .. 100 km, log scale

    def x(k: float) -> float:
        return left + plot_w * (k / max(1, curve.posts_total))

    def y(metres: float) -> float:
        clamped = min(hi, max(lo, metres))
        return top + plot_h * (
            1 - (math.log10(clamped) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{html_text(curve.person)}: home estimate error after k posts</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
        'stroke="#bbb"/>',
    ]
    for metres, text in (
        (1, "1 m"),
        (10, "10 m"),
        (100, "100 m"),
        (1000, "1 km"),
        (10_000, "10 km"),
        (100_000, "100 km"),
    ):
        yy = y(metres)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e3e3e3"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="#555">{text}</text>'
        )
    threshold = y(FOUND_WITHIN_M)
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{threshold:.1f}" y2="{threshold:.1f}" '
        'stroke="#c92a2a" stroke-dasharray="5 4"/>'
    )
    for tick in sorted(
        {
            1,
            curve.posts_total // 4,
            curve.posts_total // 2,
            3 * curve.posts_total // 4,
            curve.posts_total,
        }
    ):
        if tick <= 0:
            continue
        parts.append(
            f'<text x="{x(tick):.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
            f'fill="#555">{tick}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="#333">'
        f"located posts, in time order; error vs {html_text(curve.reference)}; "
        "grey dots: no home inferred yet</text>"
    )
    segments: list[list[str]] = [[]]
    for k, distance in curve.points:
        if distance is None:
            if segments[-1]:
                segments.append([])
            parts.append(f'<circle cx="{x(k):.1f}" cy="{top + 4}" r="2" fill="#aaa"/>')
            continue
        segments[-1].append(f"{x(k):.1f},{y(distance):.1f}")
    for segment in segments:
        if segment:
            parts.append(
                '<polyline fill="none" stroke="#1c5fb8" stroke-width="2" '
                f'points="{" ".join(segment)}"/>'
            )
    if curve.found_at is not None:
        fx = x(curve.found_at)
        parts.append(
            f'<line x1="{fx:.1f}" x2="{fx:.1f}" y1="{top}" y2="{top + plot_h}" stroke="#2f9e44"/>'
        )
        parts.append(
            f'<text x="{min(fx + 4, left + plot_w - 150):.1f}" y="{top - 8}" fill="#2f9e44">'
            f"home within 100 m from post {curve.found_at}</text>"
        )
    else:
        parts.append(
            f'<text x="{left + 4}" y="{top - 8}" fill="#555">home never settled within 100 m</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
