"""Scoring profiles against ground truth (formats.md section 2).

Home accuracy is the share of truth homes with a reported home within 100 / 250 / 1000 m;
base accuracy the share of truth bases with a reported base within 500 / 1000 / 2000 m.
People whose truth is `none` must get no home: each home reported for them is a false
positive. Rows with `detectable` = 0 are left out of accuracy figures. A calibration table
compares each place's confidence with whether it was right within its own radius.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoleak.errors import TruthError
from geoleak.geometry import haversine_m
from geoleak.types import LatLon, PlaceKind, Profile

__all__ = ["Evaluation", "TruthRow", "evaluate", "load_truth"]

HOME_RADII_M = (100, 250, 1000)
BASE_RADII_M = (500, 1000, 2000)
CALIBRATION_BINS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0001))


@dataclass(frozen=True, slots=True)
class TruthRow:
    person: str
    kind: str  # home, base, none
    position: LatLon | None
    detectable: bool = True


def load_truth(path: str | Path) -> list[TruthRow]:
    """Rows of truth.csv; a bad row raises TruthError naming file and line."""
    source = Path(path)
    try:
        handle = source.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise TruthError(f"{source}: cannot open: {exc.strerror or exc}") from None
    rows: list[TruthRow] = []
    with handle:
        reader = csv.DictReader(handle)
        missing = {"person", "kind"} - set(reader.fieldnames or [])
        if missing:
            raise TruthError(f"{source}:1: missing column(s) {', '.join(sorted(missing))}")
        for line, rec in enumerate(reader, start=2):
            person = (rec.get("person") or "").strip()
            kind = (rec.get("kind") or "").strip().lower()
            if kind == "work":
                kind = "base"
            if not person or kind not in ("home", "base", "none"):
                raise TruthError(f"{source}:{line}: need a person and kind home/base/work/none")
            position = None
            if kind != "none":
                try:
                    position = LatLon(
                        float(rec.get("lat") or "nan"), float(rec.get("lon") or "nan")
                    )
                except (TypeError, ValueError) as exc:
                    raise TruthError(f"{source}:{line}: bad lat/lon ({exc})") from None
            detectable = (rec.get("detectable") or "1").strip() not in ("0", "false", "False")
            rows.append(TruthRow(person, kind, position, detectable))
    return rows


@dataclass
class KindScore:
    truths: int = 0
    errors_m: list[float] = field(default_factory=list)
    within: dict[int, int] = field(default_factory=dict)
    missing: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "truths": self.truths,
            "found": len(self.errors_m),
            "missing": self.missing,
        }
        for radius, hits in sorted(self.within.items()):
            out[f"within_{radius}m"] = round(hits / self.truths, 4) if self.truths else None
        out["median_error_m"] = (
            round(statistics.median(self.errors_m), 1) if self.errors_m else None
        )
        return out


@dataclass
class Evaluation:
    home: KindScore
    base: KindScore
    silent_people: int
    false_homes: int
    false_home_people: list[str]
    calibration: list[dict[str, Any]]
    people_without_truth: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "home": self.home.to_json(),
            "base": self.base.to_json(),
            "silent_people": self.silent_people,
            "false_homes": self.false_homes,
            "false_home_people": self.false_home_people,
            "calibration": self.calibration,
            "people_without_truth": self.people_without_truth,
        }

    def lines(self) -> list[str]:
        """A readable table of the figures."""
        out = []
        for name, score, radii in (
            ("home", self.home, HOME_RADII_M),
            ("base", self.base, BASE_RADII_M),
        ):
            if not score.truths:
                out.append(f"{name}: no truth rows")
                continue
            cells = "  ".join(
                f"<={r} m: {score.within.get(r, 0)}/{score.truths} ({100 * score.within.get(r, 0) / score.truths:.0f}%)"
                for r in radii
            )
            med = f"{statistics.median(score.errors_m):.0f} m" if score.errors_m else "n/a"
            out.append(f"{name}: {cells}  median error {med}  not found {score.missing}")
        out.append(
            f"silent people (truth none): {self.silent_people}; homes reported for them: {self.false_homes}"
            + (f" ({', '.join(self.false_home_people)})" if self.false_home_people else "")
        )
        out.append("calibration (confidence bin: places, share right within their radius):")
        for row in self.calibration:
            share = "n/a" if row["share_correct"] is None else f"{100 * row['share_correct']:.0f}%"
            out.append(f"  {row['bin']}: {row['places']} places, {share} right")
        return out


def _score(
    kind: str, rows: Sequence[TruthRow], by_person: dict[str, Profile], radii: Sequence[int]
) -> KindScore:
    score = KindScore(within=dict.fromkeys(radii, 0))
    place_kind = PlaceKind.HOME if kind == "home" else PlaceKind.BASE
    for row in rows:
        if row.kind != kind or not row.detectable or row.position is None:
            continue
        score.truths += 1
        profile = by_person.get(row.person)
        reported = [p for p in (profile.places if profile else ()) if p.kind == place_kind]
        if not reported:
            score.missing += 1
            continue
        error = min(haversine_m(row.position, p.position) for p in reported)
        score.errors_m.append(error)
        for radius in radii:
            if error <= radius:
                score.within[radius] += 1
    return score


def evaluate(profiles: Sequence[Profile], truth: Sequence[TruthRow]) -> Evaluation:
    by_person = {p.person: p for p in profiles}
    silent = sorted({r.person for r in truth if r.kind == "none"})
    false_people = [p for p in silent if p in by_person and by_person[p].place(PlaceKind.HOME)]
    false_homes = sum(
        1 for p in false_people for place in by_person[p].places if place.kind == PlaceKind.HOME
    )
    # Calibration: each reported home/base of a person with truth of that kind.
    truth_pos: dict[tuple[str, str], list[LatLon]] = {}
    for row in truth:
        if row.position is not None:
            truth_pos.setdefault((row.person, row.kind), []).append(row.position)
    bins: list[list[bool]] = [[] for _ in CALIBRATION_BINS]
    for profile in profiles:
        for place in profile.places:
            if place.kind not in (PlaceKind.HOME, PlaceKind.BASE):
                continue
            if profile.person in silent and place.kind == PlaceKind.HOME:
                right = False
            else:
                targets = truth_pos.get((profile.person, place.kind.value))
                if not targets:
                    continue
                right = min(haversine_m(t, place.position) for t in targets) <= place.radius_m
            for i, (low, high) in enumerate(CALIBRATION_BINS):
                if low <= place.confidence < high:
                    bins[i].append(right)
    calibration = [
        {
            "bin": f"{low:.1f}-{min(high, 1.0):.1f}",
            "places": len(hits),
            "share_correct": round(sum(hits) / len(hits), 4) if hits else None,
        }
        for (low, high), hits in zip(CALIBRATION_BINS, bins, strict=True)
    ]
    known = {r.person for r in truth}
    return Evaluation(
        home=_score("home", truth, by_person, HOME_RADII_M),
        base=_score("base", truth, by_person, BASE_RADII_M),
        silent_people=len(silent),
        false_homes=false_homes,
        false_home_people=false_people,
        calibration=calibration,
        people_without_truth=sorted(set(by_person) - known),
    )
