"""Scoring profiles against ground truth (formats.md section 2).

Recall: the share of truth homes with a reported home within 100 / 250 / 1000 m, and of
truth bases with a reported base within 500 / 1000 / 2000 m. Precision: the share of the
homes (bases) geoleak gave that are right, i.e. within 100 m (500 m) of a truth home (base)
of that person. Truth rows and reported places of one person are paired one to one, nearest
first, so one reported home cannot be right for both addresses of a person who moved, and a
second reported home cannot ride on the first one's truth.

What the truth can say besides places:

- `none`: the person leaks no place at all; every home or base reported for them is wrong
  (false homes, and bases for silent people).
- `nobase`: the person has no duty or work place (works from home, retired, student...);
  every base reported for them is a false base.
- `second_home`: a cabin or parents' house visited on many weekends. Not scored as a
  place; a home reported within 1 km of it is counted (`homes_at_second_home`).

Rows with `detectable` = 0 are left out of recall (the person's evidence cannot support the
place) but still pair with reported places, so a right answer there is not counted wrong.
Every reported home / base whose person has truth of that kind (or `none` / `nobase`)
enters precision and the calibration table: confidence bands of width 0.1 from 0.5 up
against the share right (within 100 m / 500 m) and the share within the place's own radius,
with the band's mean confidence (what a calibrated model gets right there: a band's share
can be out of range because its places sit at one end of it) and its homes and bases apart
(right / places of each). With each band its statistics (`_band_test`): the share's 95 %
Wilson interval and both tails of the count right if each place were right with its own
confidence (`right_count_tails`), and the same for the bands from 0.5 to 0.9 together: a
band of a handful of places misses "within 0.1" by chance more often than not, the tails
say whether it does so beyond chance.
Optional truth columns `persona` (tags joined by "+"; a person counts under each tag),
`valid_from`, `valid_to` give figures per persona and for movers (the current home is the truth home valid last, the reported home seen last).
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from geoleak.csvinput import csv_errors
from geoleak.errors import TruthError
from geoleak.geometry import haversine_m
from geoleak.types import LatLon, Place, PlaceKind, Profile
from geoleak.wording import count

__all__ = [
    "Evaluation",
    "TruthRow",
    "evaluate",
    "load_truth",
    "pooled_band_places",
    "pooled_counts",
    "right_count_tails",
    "truth_row",
    "truth_rows",
    "wilson_interval",
]

HOME_RADII_M = (100, 250, 1000)
BASE_RADII_M = (500, 1000, 2000)
# A home is right within 100 m, a base within 500 m: the first radius of each.
HOME_RIGHT_M = HOME_RADII_M[0]
BASE_RIGHT_M = BASE_RADII_M[0]
CALIBRATION_BINS = (
    (0.0, 0.5),
    (0.5, 0.6),
    (0.6, 0.7),
    (0.7, 0.8),
    (0.8, 0.9),
    (0.9, 1.0001),
)
# A band is calibrated when its share right is within this of the band (issue 11).
CALIBRATION_TOLERANCE = 0.1
# The bands read together as well as one by one (`Evaluation.calibration_pooled`): those
# below 0.9 hold few places each, where one band's share is mostly noise.
POOLED_BANDS = (0.5, 0.9)
POOLED_LABEL = f"{POOLED_BANDS[0]:.1f}-{POOLED_BANDS[1]:.1f}"
TRUTH_KINDS = ("home", "base", "none", "nobase", "second_home")
_KIND_ALIASES = {
    "work": "base",
    "no-base": "nobase",
    "no_base": "nobase",
    "second-home": "second_home",
}
# A home given within this of a second residence (cabin, parents' house) went there.
SECOND_HOME_M = 1000


@dataclass(frozen=True, slots=True)
class TruthRow:
    person: str
    kind: str  # home, base, none, nobase
    position: LatLon | None
    detectable: bool = True
    persona: str = ""
    valid_from: date | None = None
    valid_to: date | None = None


def _date(text: str | None, where: str, column: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise TruthError(f"{where}: bad {column} {text!r} (expected YYYY-MM-DD)") from None


def load_truth(path: str | Path) -> list[TruthRow]:
    """Rows of truth.csv; a bad row raises TruthError naming file and line."""
    source = Path(path)
    try:
        handle = source.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise TruthError(f"{source}: cannot open: {exc.strerror or exc}") from None
    with handle:
        reader = csv.DictReader(handle)
        with csv_errors(source, reader, TruthError):
            missing = {"person", "kind"} - set(reader.fieldnames or [])
            if missing:
                raise TruthError(f"{source}:1: missing column(s) {', '.join(sorted(missing))}")
            return [truth_row(rec, f"{source}:{line}") for line, rec in enumerate(reader, start=2)]


def truth_rows(records: Iterable[Mapping[str, object]]) -> list[TruthRow]:
    """TruthRows from records shaped like truth.csv rows (a generator's truth in memory)."""
    return [truth_row(rec, f"truth record {i}") for i, rec in enumerate(records, start=1)]


def truth_row(rec: Mapping[str, object], where: str) -> TruthRow:
    """One truth row from a CSV record; a bad one raises TruthError naming `where`."""

    def text(key: str) -> str:
        value = rec.get(key)
        return "" if value is None else str(value).strip()

    person = text("person")
    kind = text("kind").lower()
    kind = _KIND_ALIASES.get(kind, kind)
    if not person or kind not in TRUTH_KINDS:
        raise TruthError(f"{where}: need a person and kind home/base/work/none/nobase/second_home")
    position = None
    if kind in ("home", "base", "second_home"):
        try:
            position = LatLon(float(text("lat") or "nan"), float(text("lon") or "nan"))
        except (TypeError, ValueError) as exc:
            raise TruthError(f"{where}: bad lat/lon ({exc})") from None
    return TruthRow(
        person,
        kind,
        position,
        detectable=(text("detectable") or "1") not in ("0", "false", "False"),
        persona=text("persona"),
        valid_from=_date(text("valid_from"), where, "valid_from"),
        valid_to=_date(text("valid_to"), where, "valid_to"),
    )


def wilson_interval(right: int, places: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of the share right among `places` (95 % at z = 1.96; Wilson
    1927, JASA 22:209). A band holds 10-20 places, where the share's own interval is +-20
    points: 12 of 15 right is 55-93 %, so a band "outside 0.1" can be one place's luck.
    Stays inside [0, 1] and is not degenerate at 0 or `places` right, unlike the normal
    approximation."""
    if places <= 0:
        raise ValueError(f"places must be positive, got {places}")
    if not 0 <= right <= places:
        raise ValueError(f"right must be between 0 and places ({places}), got {right}")
    share = right / places
    scale = 1 + z * z / places
    centre = (share + z * z / (2 * places)) / scale
    half = z * math.sqrt(share * (1 - share) / places + z * z / (4 * places * places)) / scale
    return max(0.0, centre - half), min(1.0, centre + half)


# Up to this many places the tails are exact (the recursion's cost grows with the square of
# the places: ~20 ms at 2,000); past it, the refined normal approximation below.
EXACT_TAILS_MAX = 2000


def right_count_tails(right: int, confidences: Sequence[float]) -> tuple[float, float]:
    """P(X <= right) and P(X >= right) where X, the number of places right, is what the
    confidences promise: a sum of independent Bernoulli(c) (the Poisson binomial
    distribution). A small first tail says the places are right less often than their
    confidences say (overconfident), a small second one more often (cautious). Unlike "the
    band's share within 0.1", it weighs each place at its own confidence and says how
    surprising the count is for the number of places there: a perfectly calibrated model
    misses "within 0.1" on a band of 3 places more often than not.

    Exact (the distribution's recursion over the places) up to `EXACT_TAILS_MAX` places;
    past that the refined normal approximation (Volkova 1996, Theory Probab. Appl. 40:791;
    Hong 2013, Comput. Stat. Data Anal. 59:41, its "RNA": a normal distribution with a
    skewness term and a continuity correction), within ~1e-3 of the exact tails there and
    closer as the places grow."""
    import numpy as np  # here: reading truth (load_truth) does not need it

    n = len(confidences)
    if not 0 <= right <= n:
        raise ValueError(f"right must be between 0 and {n}, got {right}")
    ps = np.clip(np.asarray(confidences, dtype=np.float64), 0.0, 1.0)
    if n <= EXACT_TAILS_MAX:
        dist = np.zeros(n + 1)  # dist[k]: P(k right among the places so far)
        dist[0] = 1.0
        for i, p in enumerate(ps.tolist()):
            head = dist[: i + 1] * p
            dist[: i + 1] *= 1.0 - p
            dist[1 : i + 2] += head
        return (min(1.0, math.fsum(dist[: right + 1].tolist())),
                min(1.0, math.fsum(dist[right:].tolist())))  # fmt: skip
    mean = float(ps.sum())
    variance = float((ps * (1.0 - ps)).sum())
    if variance <= 0.0:  # every place certain: X is the mean
        return float(right >= round(mean)), float(right <= round(mean))
    sd = math.sqrt(variance)
    skew = float((ps * (1.0 - ps) * (1.0 - 2.0 * ps)).sum()) / sd**3

    def cdf(k: float) -> float:
        x = (k + 0.5 - mean) / sd
        phi = math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        value = 0.5 * math.erfc(-x / math.sqrt(2)) + skew * (1 - x * x) * phi / 6
        return min(1.0, max(0.0, value))

    return cdf(right), 1.0 - cdf(right - 1)


def _band_test(right: int, confidences: Sequence[float]) -> dict[str, Any]:
    """A band's statistical reading (formats.md section 9): the share right's 95 % Wilson
    interval, the count its places' confidences lead one to expect, and both tails of the
    count right under those confidences."""
    if not confidences:
        return {"share_right_interval": None, "expected_right": None, "p_at_most": None,
                "p_at_least": None}  # fmt: skip
    low, high = wilson_interval(right, len(confidences))
    at_most, at_least = right_count_tails(right, confidences)
    return {
        "share_right_interval": [round(low, 4), round(high, 4)],
        "expected_right": round(math.fsum(confidences), 3),
        "p_at_most": float(f"{at_most:.4g}"),  # significant digits: tails can be tiny
        "p_at_least": float(f"{at_least:.4g}"),
    }


def pooled_band_places(
    band_places: Sequence[Sequence[tuple[float, bool]]],
) -> list[tuple[float, bool]]:
    """The places (confidence, right) of the bands `POOLED_BANDS` reads together, from
    each band's places (`Evaluation.band_places`, one list per `CALIBRATION_BINS` band)."""
    return [
        place
        for (low, _), places in zip(CALIBRATION_BINS, band_places, strict=True)
        if POOLED_BANDS[0] - 1e-9 <= low < POOLED_BANDS[1] - 1e-9
        for place in places
    ]


def _test_text(row: Mapping[str, Any]) -> str:
    """`_band_test`'s figures as text: the interval, the count expected, and the smaller
    tail when it is below 5 %."""
    if row.get("share_right_interval") is None:
        return ""
    low, high = row["share_right_interval"]
    text = f" (95 % interval {100 * low:.0f}-{100 * high:.0f}%; {row['expected_right']:.1f} expected right"
    if row["p_at_least"] < 0.05:
        text += f"; cautious, P(this many or more) = {row['p_at_least']:.3f}"
    elif row["p_at_most"] < 0.05:
        text += f"; overconfident, P(this few or fewer) = {row['p_at_most']:.3f}"
    return text + ")"


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class KindScore:
    """Recall over truth rows and precision over reported places, for homes or bases."""

    truths: int = 0
    errors_m: list[float] = field(default_factory=list)
    within: dict[int, int] = field(default_factory=dict)
    missing: int = 0
    given: int = 0  # reported places that entered precision
    given_right: int = 0  # of those, within the right-distance of a truth place
    right_m: int = 0

    @property
    def recall(self) -> float | None:
        return _share(self.within.get(self.right_m, 0), self.truths)

    @property
    def precision(self) -> float | None:
        return _share(self.given_right, self.given)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "truths": self.truths,
            "found": len(self.errors_m),
            "missing": self.missing,
        }
        for radius, hits in sorted(self.within.items()):
            out[f"within_{radius}m"] = _share(hits, self.truths)
        out["median_error_m"] = (
            round(statistics.median(self.errors_m), 1) if self.errors_m else None
        )
        out["given"] = self.given
        out["given_right"] = self.given_right
        out[f"precision_{self.right_m}m"] = self.precision
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
    no_base_people: int = 0
    false_bases: int = 0
    false_base_people: list[str] = field(default_factory=list)
    silent_bases: int = 0
    homes_at_second_home: int = 0
    second_home_people: int = 0
    movers: dict[str, Any] = field(default_factory=dict)
    by_persona: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The bands from 0.5 to 0.9 together (few places each): `_band_test` of all their places.
    calibration_pooled: dict[str, Any] = field(default_factory=dict)
    # Each band's places as (confidence, right), for pooling bands over corpora (not JSON).
    band_places: list[list[tuple[float, bool]]] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "home": self.home.to_json(),
            "base": self.base.to_json(),
            "silent_people": self.silent_people,
            "false_homes": self.false_homes,
            "false_home_people": self.false_home_people,
            "silent_bases": self.silent_bases,
            "no_base_people": self.no_base_people,
            "false_bases": self.false_bases,
            "false_base_people": self.false_base_people,
            "second_home_people": self.second_home_people,
            "homes_at_second_home": self.homes_at_second_home,
            "movers": self.movers,
            "calibration": self.calibration,
            "calibration_pooled": self.calibration_pooled,
            "by_persona": self.by_persona,
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
            else:
                cells = "  ".join(
                    f"<={r} m: {score.within.get(r, 0)}/{score.truths} ({100 * score.within.get(r, 0) / score.truths:.0f}%)"
                    for r in radii
                )
                med = f"{statistics.median(score.errors_m):.0f} m" if score.errors_m else "n/a"
                out.append(f"{name}: {cells}  median error {med}  not found {score.missing}")
            if score.given:
                out.append(
                    f"  {name}s given: {score.given}, right within {score.right_m} m: "
                    f"{score.given_right} (precision {100 * score.given_right / score.given:.0f}%)"
                )
        out.append(
            f"silent people (truth none): {self.silent_people}; homes reported for them: {self.false_homes}"
            + (f" ({', '.join(self.false_home_people)})" if self.false_home_people else "")
            + f"; bases: {self.silent_bases}"
        )
        out.append(
            f"people with no base (truth nobase): {self.no_base_people}; bases given to them: {self.false_bases}"
            + (f" ({', '.join(self.false_base_people)})" if self.false_base_people else "")
        )
        if self.second_home_people:
            out.append(
                f"people with a second residence: {self.second_home_people}; homes given there: "
                f"{self.homes_at_second_home}"
            )
        if self.movers.get("people"):
            m = self.movers
            out.append(
                f"movers: {m['people']}; current home right {m['current_right']}/{m['current_truths']}, "
                f"earlier home right {m['earlier_right']}/{m['earlier_truths']}"
            )
        out.append(
            "calibration (confidence band: places, their mean confidence, share right within "
            "100 m / 500 m, share within their own radius):"
        )
        for row in self.calibration:
            right = "n/a" if row["share_right"] is None else f"{100 * row['share_right']:.0f}%"
            own = "n/a" if row["share_correct"] is None else f"{100 * row['share_correct']:.0f}%"
            mean = "" if row["mean_confidence"] is None else f" at {row['mean_confidence']:.2f}"
            kinds = (
                f" (homes {row['home_right']}/{row['home_places']}, "
                f"bases {row['base_right']}/{row['base_places']})"
                if row["places"]
                else ""
            )
            flag = ""
            if row["calibrated"] is not None:
                flag = "  calibrated" if row["calibrated"] else "  NOT calibrated"
            out.append(
                f"  {row['bin']}: {row['places']} places{mean}, {right} right{kinds}, {own} "
                f"within radius{flag}{_test_text(row)}"
            )
        pooled = self.calibration_pooled
        if pooled.get("places"):
            out.append(
                f"  {pooled['bins']} together: {pooled['right']} of {pooled['places']} right"
                f"{_test_text(pooled)}"
            )
        if self.by_persona:
            out.append(
                "by persona (a person with several personas counts under each; people: homes right/truths, "
                "homes right/given, bases right/truths, bases right/given, false bases):"
            )
            for persona, p in self.by_persona.items():
                out.append(
                    f"  {persona}: {count(p['people'], 'person')}; homes {p['home_hits']}/{p['home_truths']}, "
                    f"{p['home_given_right']}/{p['home_given']} given; bases {p['base_hits']}/{p['base_truths']}, "
                    f"{p['base_given_right']}/{p['base_given']} given; false bases {p['false_bases']}"
                )
        return out


@dataclass
class _Pairing:
    """One person's truth rows of one kind paired with their reported places of that kind."""

    truths: list[TruthRow]
    reported: list[Place]
    truth_error_m: dict[int, float]  # truth index -> distance to its paired place
    place_error_m: dict[int, float]  # place index -> distance to its paired truth


def _pair(truths: Sequence[TruthRow], reported: Sequence[Place]) -> _Pairing:
    """Pair truth rows and places one to one, nearest pairs first."""
    pairs = sorted(
        (haversine_m(t.position, p.position), ti, pi)
        for ti, t in enumerate(truths)
        if t.position is not None
        for pi, p in enumerate(reported)
    )
    truth_error: dict[int, float] = {}
    place_error: dict[int, float] = {}
    for distance, ti, pi in pairs:
        if ti in truth_error or pi in place_error:
            continue
        truth_error[ti] = distance
        place_error[pi] = distance
    return _Pairing(list(truths), list(reported), truth_error, place_error)


def _reported(profile: Profile | None, kind: PlaceKind) -> list[Place]:
    return [p for p in (profile.places if profile else ()) if p.kind == kind]


def _band(confidence: float) -> int | None:
    for i, (low, high) in enumerate(CALIBRATION_BINS):
        if low <= confidence < high:
            return i
    return None


def _current_first(rows: Iterable[TruthRow]) -> list[TruthRow]:
    """Truth homes, the one valid last first (rows without dates keep their order)."""
    ordered = list(rows)
    return sorted(
        ordered,
        key=lambda r: (r.valid_to or r.valid_from or date.min, r.valid_from or date.min),
        reverse=True,
    )


_PERSONA_KEYS = ("people", "home_truths", "home_hits", "home_given", "home_given_right",
                 "base_truths", "base_hits", "base_given", "base_given_right", "false_bases")  # fmt: skip


class _Tally:
    """Counts added to every persona tag of a person ("mover+resharer" counts for both)."""

    def __init__(self, counts: list[dict[str, int]]) -> None:
        self.counts = counts

    def add(self, key: str, value: int = 1) -> None:
        for counts in self.counts:
            counts[key] += value


def evaluate(profiles: Sequence[Profile], truth: Sequence[TruthRow]) -> Evaluation:
    by_person = {p.person: p for p in profiles}
    rows_of: dict[str, list[TruthRow]] = {}
    for row in truth:
        rows_of.setdefault(row.person, []).append(row)
    silent = sorted(p for p, rows in rows_of.items() if any(r.kind == "none" for r in rows))
    no_base = sorted(p for p, rows in rows_of.items() if any(r.kind == "nobase" for r in rows))

    home = KindScore(within=dict.fromkeys(HOME_RADII_M, 0), right_m=HOME_RIGHT_M)
    base = KindScore(within=dict.fromkeys(BASE_RADII_M, 0), right_m=BASE_RIGHT_M)
    bands: list[list[tuple[bool, bool, float, bool]]] = [[] for _ in CALIBRATION_BINS]
    false_home_people: list[str] = []
    false_homes = silent_bases = false_bases = 0
    false_base_people: list[str] = []
    movers = {"people": 0, "current_truths": 0, "current_right": 0, "earlier_truths": 0,
              "earlier_right": 0}  # fmt: skip
    personas: dict[str, dict[str, int]] = {}
    second_home_people = homes_at_second_home = 0

    for person, rows in rows_of.items():
        profile = by_person.get(person)
        persona = next((r.persona for r in rows if r.persona), "")
        tally = _Tally([
            personas.setdefault(tag, dict.fromkeys(_PERSONA_KEYS, 0))
            for tag in dict.fromkeys(persona.split("+"))
        ])  # fmt: skip
        tally.add("people")
        seconds = [r.position for r in rows if r.kind == "second_home" and r.position is not None]
        if seconds:
            second_home_people += 1
            homes_at_second_home += sum(
                1
                for p in _reported(profile, PlaceKind.HOME)
                if min(haversine_m(p.position, s) for s in seconds) <= SECOND_HOME_M
            )
        for kind, score, radii in (
            (PlaceKind.HOME, home, HOME_RADII_M),
            (PlaceKind.BASE, base, BASE_RADII_M),
        ):
            truths = [r for r in rows if r.kind == kind.value and r.position is not None]
            if kind == PlaceKind.HOME:
                truths = _current_first(truths)
            reported = _reported(profile, kind)
            pairing = _pair(truths, reported)
            key = kind.value
            for ti, row in enumerate(truths):
                if not row.detectable:
                    continue
                score.truths += 1
                tally.add(f"{key}_truths")
                error = pairing.truth_error_m.get(ti)
                if error is None:
                    score.missing += 1
                    continue
                score.errors_m.append(error)
                for radius in radii:
                    if error <= radius:
                        score.within[radius] += 1
                if error <= score.right_m:
                    tally.add(f"{key}_hits")
            wrong_by_truth = person in silent or (kind == PlaceKind.BASE and person in no_base)
            if not truths and not wrong_by_truth:
                continue  # the truth says nothing about this kind for this person
            for pi, place in enumerate(reported):
                error = pairing.place_error_m.get(pi)
                right = error is not None and error <= score.right_m
                within_radius = error is not None and error <= place.radius_m
                score.given += 1
                score.given_right += right
                tally.add(f"{key}_given")
                tally.add(f"{key}_given_right", right)
                band = _band(place.confidence)
                if band is not None:
                    bands[band].append(
                        (right, within_radius, place.confidence, kind == PlaceKind.HOME)
                    )
            if person in silent and reported:
                if kind == PlaceKind.HOME:
                    false_homes += len(reported)
                    false_home_people.append(person)
                else:
                    silent_bases += len(reported)
            elif kind == PlaceKind.BASE and person in no_base and reported:
                false_bases += len(reported)
                false_base_people.append(person)
                tally.add("false_bases", len(reported))
            if kind == PlaceKind.HOME and len(truths) >= 2:
                _score_mover(movers, truths, reported)

    calibration = []
    for (low, high), hits in zip(CALIBRATION_BINS, bands, strict=True):
        n_right = sum(r for r, _, _, _ in hits)
        share_right = _share(n_right, len(hits))
        calibrated = None
        if share_right is not None and low >= 0.5:
            calibrated = (
                low - CALIBRATION_TOLERANCE - 1e-9
                <= share_right
                <= min(high, 1.0) + CALIBRATION_TOLERANCE + 1e-9
            )
        calibration.append(
            {
                "bin": f"{low:.1f}-{min(high, 1.0):.1f}",
                "places": len(hits),
                "share_right": share_right,
                "share_correct": _share(sum(w for _, w, _, _ in hits), len(hits)),
                "mean_confidence": (
                    round(sum(c for _, _, c, _ in hits) / len(hits), 4) if hits else None
                ),
                "home_places": sum(h for _, _, _, h in hits),
                "home_right": sum(r and h for r, _, _, h in hits),
                "base_places": sum(not h for _, _, _, h in hits),
                "base_right": sum(r and not h for r, _, _, h in hits),
                "calibrated": calibrated,
                **_band_test(n_right, [c for _, _, c, _ in hits]),
            }
        )
    band_places = [[(c, r) for r, _, c, _ in hits] for hits in bands]
    low_bands = pooled_band_places(band_places)
    pooled_right = sum(r for _, r in low_bands)
    calibration_pooled = {
        "bins": POOLED_LABEL,
        "places": len(low_bands),
        "right": pooled_right,
        **_band_test(pooled_right, [c for c, _ in low_bands]),
    }
    return Evaluation(
        home=home,
        base=base,
        silent_people=len(silent),
        false_homes=false_homes,
        false_home_people=sorted(false_home_people),
        calibration=calibration,
        calibration_pooled=calibration_pooled,
        band_places=band_places,
        people_without_truth=sorted(set(by_person) - set(rows_of)),
        no_base_people=len(no_base),
        false_bases=false_bases,
        false_base_people=sorted(false_base_people),
        silent_bases=silent_bases,
        homes_at_second_home=homes_at_second_home,
        second_home_people=second_home_people,
        movers=movers,
        by_persona=(
            {(k or "(no persona)"): personas[k] for k in sorted(personas)} if any(personas) else {}
        ),
    )


def pooled_counts(evaluations: Iterable[Evaluation]) -> dict[str, Any]:
    """The counts of several evaluations (corpora) summed, as if scored as one corpus.

    `home` / `base`: `hits` (truths with a place within the right distance), `truths`,
    `given`, `given_right`; then false homes, silent people, false bases, people with no
    base, and `by_persona` with every persona counter summed. Shares are left to the
    caller, so that pooled figures weigh each person once, not each corpus.
    """
    out: dict[str, Any] = {
        kind: dict.fromkeys(("hits", "truths", "given", "given_right"), 0)
        for kind in ("home", "base")
    }
    out.update(dict.fromkeys(("false_homes", "silent_people", "false_bases", "no_base_people"), 0))
    personas: dict[str, dict[str, int]] = {}
    for ev in evaluations:
        for kind, score in (("home", ev.home), ("base", ev.base)):
            out[kind]["hits"] += score.within.get(score.right_m, 0)
            out[kind]["truths"] += score.truths
            out[kind]["given"] += score.given
            out[kind]["given_right"] += score.given_right
        for key in ("false_homes", "silent_people", "false_bases", "no_base_people"):
            out[key] += getattr(ev, key)
        for tag, counts in ev.by_persona.items():
            mine = personas.setdefault(tag, dict.fromkeys(_PERSONA_KEYS, 0))
            for key, value in counts.items():
                mine[key] = mine.get(key, 0) + value
    out["by_persona"] = {tag: personas[tag] for tag in sorted(personas)}
    return out


def _score_mover(movers: dict[str, int], truths: list[TruthRow], reported: list[Place]) -> None:
    """A person with several truth homes: is the current one given as current, the others found?

    The current truth home is the one valid last; the reported current home is the one seen
    last (the order geoleak writes them in when last_seen is missing).
    """
    movers["people"] += 1
    current, earlier = truths[0], truths[1:]
    assert current.position is not None  # truths without a position are filtered out
    if current.detectable:
        movers["current_truths"] += 1
        if reported:
            newest = max(
                enumerate(reported),
                key=lambda ip: (ip[1].last_seen.timestamp() if ip[1].last_seen else 0.0, -ip[0]),
            )[1]
            if haversine_m(newest.position, current.position) <= HOME_RIGHT_M:
                movers["current_right"] += 1
    for row in earlier:
        if not row.detectable or row.position is None:
            continue
        movers["earlier_truths"] += 1
        others = [p for p in reported if haversine_m(p.position, current.position) > HOME_RIGHT_M]
        if any(haversine_m(p.position, row.position) <= HOME_RIGHT_M for p in others):
            movers["earlier_right"] += 1
