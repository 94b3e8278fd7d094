"""Inference accuracy on many generated corpora of four families, against a baseline commit.

    python benchmarks/bench_accuracy.py                        # 26 corpora, ~10 min
    python benchmarks/bench_accuracy.py --quick                # 6 small corpora, ~2 min
    python benchmarks/bench_accuracy.py --families mobility    # one family only
    python benchmarks/bench_accuracy.py --baseline-ref 292cd1e # and the same corpora with
                                                               # that commit's inference
    python benchmarks/bench_accuracy.py --families development --errors wrong.jsonl
                                      # the 12 development corpora, every wrong place listed
    python benchmarks/bench_accuracy.py --families development,mobility-development
                                      # and the 12 mobility development corpora
    python benchmarks/bench_accuracy.py --families pmm-development
                                      # the 4 periodic-mobility development corpora

Corpora: the time-use family (`geoleak.scenario.timeuse`, 90 people, seeds 101-110, each
with another knob changed: shift work, home workers, fewer or more located posts, cabins and
business travel, movers, fewer posts, half a year, living on site), the unit family with
every persona of issue 11 (`--all-personas`, seeds 201-204, 80-100 people, activity 0.5-1.5)
and the mobility family (`geoleak.scenario.mobility`, trips and stays after EPR / TimeGeo,
posts weighted towards leisure places, town-level place tags; seeds 301-306: fewer located
posts, more place tags and fewer posts, more shift work, partners' homes and second homes,
half a year with 120 people) and the periodic-mobility family (`benchmarks/pmm_corpus.py`:
Cho, Myers & Leskovec 2011's home and work states with Gaussians over the time of day,
check-ins at the place itself or at venues around it, every worker with a workplace of their
own, one city a corpus at high latitude or by the antimeridian; seeds 401-406, 80 people;
`--families pmm-development` runs seeds 411-414). Inference was developed on the first two;
the third and fourth are the check that it was not tuned to them.
Evidence is built in memory (`geoleak.scenario.memory`) exactly as from the written files.
Per corpus: homes within 100 m (recall, precision), bases within 500 m (recall, precision),
bases given to people with none, homes given to silent people, and the calibration bands
(places : share right) from 0.5 up; then pooled figures per family (each band's places at
their mean confidence, its share right with the 95 % Wilson interval, `wilson_interval`, and
its homes and bases apart), with a table by persona
(the truth's persona tags: homes and bases recall and precision, false bases). The baseline
runs in a fresh interpreter on the same evidence with `git archive REF geoleak` on its path;
both are scored by this checkout's `geoleak.evaluate`. What it leaves out: real data, and
corpora from behaviour models other than these four.

`--families development` runs twelve other time-use corpora (seeds 301-312 of the time-use
generator: the knobs of 101-110, plus one with 20 % lunch-time and 20 % evening-only posters
and one with half the people employed and 40 % of workers hybrid; not run by default): look
at errors there, case by case, and keep the default families for measuring.
`--families mobility-development` does the same for the mobility family: seeds 351-362,
each with the knobs of one of 301-306 (351 and 357 those of 301, 352 and 358 those of 302,
...). `--errors PATH` writes every wrong home or base given (JSON lines: corpus, method,
person, persona, kind, confidence, what it is: a home at the workplace or elsewhere, a base
at the home, for someone with no workplace, or elsewhere); either way each method's
confidently wrong places (0.8 or more) are counted by what they are, per family.
`--missed PATH` writes every true base not given within 500 m (JSON lines) with why it was
missed, and prints the causes per family and persona (`missed_bases`): no workplace
candidate near it (the person was seen there on no weekday, on one, or on more but the
place is not among their candidates), a candidate whose workplace role is below 0.5 (and
what the person was taken for instead), another candidate taken as the workplace, a
candidate at 0.5 or more whose confidence under other shift-work priors is below it, one
seen on too few weekdays outside any site, or a wrong base given instead; what the profile
gives within 500 m of it instead (a home, a frequent place, nothing); for a candidate, how
many log units the best reading is ahead of the best one with that workplace (`gap`) and
its days with two or more posts there, and how many of those span 2 h or more
(`stay_days`, `long_stay_days`: how long the person stayed, which the model does not read),
and that gap split by the terms of the role model's log score (`by_term`, `term_gap`: the
presence by part of the week, which place within a role, the priors, the workplace's days,
the waking hours, the hour within the part), with each term's median over the candidates
below 0.5. `--missed` also lists every base given to someone with none (`false_bases`,
`"kind": "false base"`): from the person's own reading or the site pass, and for the own
readings the same split of how far the reading with that workplace is ahead of the best with
none. It also lists every true home not given within 100 m (`missed_homes`, `"kind":
"missed home"`; movers' homes left out): no candidate there, the best reading has it but the
confidence given is lower (the shift-work priors, the bag), or the best reading takes the
workplace or another place for the home, with that reading's lead split by the same terms
and the person's posts (all, and at night) at the true home. The candidates and the
posterior are the person's own, before the cross-person site pass. Every missed base and
every wrong base given (`wrong_bases`) also carries, and `--missed` prints, the person's days
by place (`days_by_place`: distinct weekdays, days with working-hours presence, weekend days
and nights at each home and work candidate, at the true base and home, at the base given and
over all places, with the candidates' home and workplace posteriors), and each missed base
one cause group (`cause_group`: living on site, a wrong base given at the home, 0.5-1 km off
or farther, no candidate, a thin workplace read as "no workplace", a candidate read as
another type, and the rest as above), with the share of the person's working-hours days seen
at the thin workplaces and at the bases given to people with none (`work_hours_share`).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

from geoleak.evaluate import (
    BASE_RIGHT_M,
    CALIBRATION_BINS,
    HOME_RIGHT_M,
    POOLED_LABEL,
    Evaluation,
    TruthRow,
    evaluate,
    pooled_band_places,
    right_count_tails,
    truth_rows,
    wilson_interval,
)
from geoleak.geometry import haversine_m
from geoleak.infer import LeakInference
from geoleak.infer.decide_many import person_numbers
from geoleak.infer.places import InferenceParams, analyse_person, role_problem, work_marginals
from geoleak.infer.roles import (
    NIGHT_END_H,
    NIGHT_START_H,
    NO_WORK,
    PERSON_TYPES,
    WEEKEND_DAY,
    WEEKEND_NIGHT,
    WEEKNIGHT,
    WORK_HOURS,
    bin_of,
)
from geoleak.infer.roles_many import TERM_NAMES
from geoleak.profiles import load_profiles
from geoleak.scenario import ScenarioConfig
from geoleak.scenario.memory import scenario_evidence
from geoleak.scenario.mobility import MobilityConfig
from geoleak.scenario.model import PERSONA_SHARES
from geoleak.scenario.timeuse import TimeUseConfig
from geoleak.types import LatLon, PlaceKind, Profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pmm_corpus import PmmConfig, pmm_evidence  # this folder's module

REPO = Path(__file__).resolve().parent.parent
FAMILIES = ("timeuse", "units", "mobility", "pmm")
# Not run by default: where errors are looked at (see the module docstring).
EXTRA_FAMILIES = ("development", "mobility-development", "pmm-development")
# The periodic mobility model (benchmarks/pmm_corpus.py): 80 people a corpus, one city each.
PMM = (401, 402, 403, 404, 405, 406)
PMM_DEVELOPMENT = (411, 412, 413, 414)
TIMEUSE: dict[int, dict[str, Any]] = {
    101: {},
    102: {"shift_share": 0.3},
    103: {"home_worker_share": 0.25, "hybrid_share": 0.3},
    104: {"located_scale": 0.5},
    105: {"located_scale": 2.0},
    106: {"second_home_share": 0.2, "business_traveller_share": 0.25},
    107: {"mover_share": 0.25},
    108: {"posts_per_day": 0.4},
    109: {"days": 180},
    110: {"on_site_share": 0.2, "employed_share": 0.8},
}
UNITS: dict[int, dict[str, Any]] = {
    201: {},
    202: {"activity": 0.5},
    203: {"activity": 1.5},
    204: {"people": 100},
}
MOBILITY: dict[int, dict[str, Any]] = {
    301: {},
    302: {"located_scale": 0.5},
    303: {"place_tag_share": 0.8, "posts_per_day": 0.5},
    304: {"early_share": 0.15, "night_share": 0.2, "panama_share": 0.15},
    305: {"partner_share": 0.25, "second_home_share": 0.15},
    306: {"people": 120, "days": 180},
}
# Development corpora: look at errors here, never at 101-110 (time-use generator; not in the default families).
DEVELOPMENT: dict[int, dict[str, Any]] = {
    301: {},
    302: {"shift_share": 0.3},
    303: {"home_worker_share": 0.25, "hybrid_share": 0.3},
    304: {"located_scale": 0.5},
    305: {"located_scale": 2.0},
    306: {"second_home_share": 0.2, "business_traveller_share": 0.25},
    307: {"mover_share": 0.25},
    308: {"posts_per_day": 0.4},
    309: {"days": 180},
    310: {"on_site_share": 0.2, "employed_share": 0.8},
    311: {"lunch_poster_share": 0.2, "evening_poster_share": 0.2},
    312: {"employed_share": 0.5, "hybrid_share": 0.4},
}
# Development corpora of the mobility family: the knobs of 301-306, each on two other seeds
# (351-362; not in the default families). Look at errors here, never at 301-306.
MOBILITY_DEVELOPMENT: dict[int, dict[str, Any]] = {
    seed: MOBILITY[301 + (seed - 351) % 6] for seed in range(351, 363)
}
QUICK_TIMEUSE: dict[int, dict[str, Any]] = {
    101: {"people": 60, "days": 180},
    104: {"people": 60, "located_scale": 0.5},
}
QUICK_UNITS: dict[int, dict[str, Any]] = {
    201: {"people": 60, "days": 180},
    202: {"people": 60, "activity": 0.5},
}
QUICK_MOBILITY: dict[int, dict[str, Any]] = {
    301: {"people": 60, "days": 180},
}
Config = TimeUseConfig | ScenarioConfig | MobilityConfig | PmmConfig

_BASELINE = """
import pickle, sys
from geoleak.infer import LeakInference
from geoleak.profiles import dump_profiles
evidence = pickle.load(open(sys.argv[1], "rb"))
dump_profiles(LeakInference().fit(evidence).profiles_, sys.argv[2])
"""


def corpora(quick: bool, families: tuple[str, ...] = FAMILIES) -> list[tuple[str, Config]]:
    timeuse = QUICK_TIMEUSE if quick else TIMEUSE
    units = QUICK_UNITS if quick else UNITS
    mobility = QUICK_MOBILITY if quick else MOBILITY
    out: list[tuple[str, Config]] = []
    for seed, knobs in timeuse.items():
        tu: dict[str, Any] = {"people": 90, "seed": seed, **knobs}
        out.append((f"timeuse-{seed}", TimeUseConfig(**tu)))
    for seed, knobs in units.items():
        un: dict[str, Any] = {"people": 80, "seed": seed, **PERSONA_SHARES, **knobs}
        out.append((f"units-{seed}", ScenarioConfig(**un)))
    for seed, knobs in mobility.items():
        mo: dict[str, Any] = {"people": 90, "seed": seed, **knobs}
        out.append((f"mobility-{seed}", MobilityConfig(**mo)))
    if "development" in families:
        for seed, knobs in DEVELOPMENT.items():
            dev: dict[str, Any] = {"people": 90, "seed": seed, **knobs}
            out.append((f"development-{seed}", TimeUseConfig(**dev)))
    if "mobility-development" in families:
        for seed, knobs in MOBILITY_DEVELOPMENT.items():
            md: dict[str, Any] = {"people": 90, "seed": seed, **knobs}
            out.append((f"mobility-development-{seed}", MobilityConfig(**md)))
    out.extend((f"pmm-{seed}", PmmConfig(seed)) for seed in (PMM[:1] if quick else PMM))
    if "pmm-development" in families:
        out.extend((f"pmm-development-{seed}", PmmConfig(seed)) for seed in PMM_DEVELOPMENT)
    return [(name, config) for name, config in out if family_of(name) in families]


def corpus_evidence(config: Config, work: Path) -> tuple[dict[str, Any], list[dict[str, object]]]:
    """A corpus's evidence by person and its truth rows: a periodic-mobility corpus is written
    into `work` and read by geoleak (`pmm_evidence`), the others come from the scenario
    generators in memory."""
    if isinstance(config, PmmConfig):
        evidence, pmm_rows = pmm_evidence(config, work)
        return evidence, list(pmm_rows)
    evidence: dict[str, Any] = {}
    rows: list[dict[str, object]] = []
    for person, found, truth in scenario_evidence(config):
        evidence[person] = found
        rows.extend(truth)
    return evidence, rows


def family_of(corpus: str) -> str:
    """The family a corpus name belongs to ("mobility-development-351" -> its family)."""
    return corpus.rsplit("-", 1)[0]


def baseline_profiles(ref: str, evidence: dict[str, Any], work: Path) -> list[Profile]:
    """The profiles `ref`'s inference gives on the same evidence (in a fresh interpreter)."""
    tree = work / f"ref-{ref}"
    if not tree.exists():
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "geoleak"], capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
    data, out = work / "evidence.pkl", work / "baseline.json"
    data.write_bytes(pickle.dumps(evidence))
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run(
        [sys.executable, "-c", _BASELINE, str(data), str(out)], check=True, env=env, cwd=work
    )
    return load_profiles(out)[0]


# What a wrong place is: a home at the person's workplace (within BASE_RIGHT_M of a true
# workplace) or elsewhere; a base at the home (within 300 m of a true home, the exclusion
# radius issue 11 names), for someone with no workplace, or elsewhere.
AT_HOME_M = 300
CONFIDENT = 0.8


def wrong_places(profiles: list[Profile], truth: list[TruthRow]) -> list[dict[str, Any]]:
    """Every home or base given that is wrong (by `geoleak.evaluate`'s radii), with what it is."""
    rows_of: dict[str, list[TruthRow]] = {}
    for row in truth:
        rows_of.setdefault(row.person, []).append(row)
    out: list[dict[str, Any]] = []
    for profile in profiles:
        rows = rows_of.get(profile.person)
        if not rows:
            continue

        def positions(kind: str, rows: list[TruthRow] = rows) -> list[LatLon]:
            return [r.position for r in rows if r.kind == kind and r.position is not None]

        homes, bases = positions("home"), positions("base")
        silent = any(r.kind == "none" for r in rows)
        no_base = any(r.kind == "nobase" for r in rows)
        for place in profile.places:
            if place.kind not in (PlaceKind.HOME, PlaceKind.BASE):
                continue

            def nearest(targets: list[LatLon], where: LatLon = place.position) -> float | None:
                return min((haversine_m(where, t) for t in targets), default=None)

            to_home, to_base = nearest(homes), nearest(bases)
            if place.kind == PlaceKind.HOME:
                if not silent and (not homes or (to_home is not None and to_home <= HOME_RIGHT_M)):
                    continue
                what = (
                    "home of a silent person" if silent
                    else "home at the workplace" if to_base is not None and to_base <= BASE_RIGHT_M
                    else "home elsewhere"
                )  # fmt: skip
            else:
                if not (silent or no_base) and (
                    not bases or (to_base is not None and to_base <= BASE_RIGHT_M)
                ):
                    continue
                what = (
                    "base at the home" if to_home is not None and to_home <= AT_HOME_M
                    else "base for someone with no workplace" if silent or no_base
                    else "base elsewhere"
                )  # fmt: skip
            out.append({
                "person": profile.person,
                "persona": next((r.persona for r in rows if r.persona), ""),
                "kind": place.kind.value,
                "confidence": place.confidence,
                "what": what,
                "to_true_home_m": None if to_home is None else round(to_home),
                "to_true_base_m": None if to_base is None else round(to_base),
                "explanation": place.explanation,
            })  # fmt: skip
    return out


def _truth_with_given(
    profiles: list[Profile], truth: list[TruthRow], kind: PlaceKind
) -> Iterator[tuple[TruthRow, LatLon, Profile | None, list[Any]]]:
    """Each detectable true place of `kind` (a home or a base) with a position: the row, its
    position, the person's profile (None if none) and the places of that kind given to them,
    in the profile's order."""
    by_person = {p.person: p for p in profiles}
    for row in truth:
        if row.kind != kind.value or row.position is None or not row.detectable:
            continue
        profile = by_person.get(row.person)
        given = [p for p in (profile.places if profile else ()) if p.kind == kind]
        yield row, row.position, profile, given


def missed_bases(
    profiles: list[Profile],
    truth: list[TruthRow],
    evidence: dict[str, Any],
    params: InferenceParams | None = None,
) -> list[dict[str, Any]]:
    """Every true base with no base given within `BASE_RIGHT_M`, with why: the person's own
    analysis (`analyse_person`, before the site pass) read back at the true base. What the
    profile gives within `BASE_RIGHT_M` of it (`given_there`: its kind and explanation) and
    the nearest wrong base given (`given_m`, `given_explanation`) are listed with geoleak's
    own words, so each miss can be read person by person."""
    params = params or LeakInference()._validated()
    out: list[dict[str, Any]] = []
    for row, target, profile, given in _truth_with_given(profiles, truth, PlaceKind.BASE):
        if any(haversine_m(p.position, target) <= BASE_RIGHT_M for p in given):
            continue
        persona = next((r.persona for r in truth if r.person == row.person and r.persona), "")
        analysis = analyse_person(row.person, evidence.get(row.person, []), params)
        weekdays = {
            local.date()
            for i in analysis.usable
            if (local := analysis.evidence[i].local_time) is not None
            and local.weekday() < 5
            and haversine_m(analysis.evidence[i].position, target) <= BASE_RIGHT_M
        }
        item: dict[str, Any] = {"person": row.person, "persona": persona,
                                "weekdays_near": len(weekdays)}  # fmt: skip
        homes = [r.position for r in truth
                 if r.person == row.person and r.kind == "home" and r.position is not None]  # fmt: skip
        at = [k for k, c in enumerate(analysis.work_candidates)
              if haversine_m(c.position, target) <= BASE_RIGHT_M]  # fmt: skip
        fit = analysis.fit
        there = next((p for p in (profile.places if profile else ())
                      if haversine_m(p.position, target) <= BASE_RIGHT_M), None)  # fmt: skip
        item["given_there"] = there.kind.value if there else None
        if there:
            item["given_there_explanation"] = there.explanation
        if given:
            nearest = min(given, key=lambda p: haversine_m(p.position, target))
            item["cause"] = "a wrong base given"
            item["given_m"] = round(haversine_m(nearest.position, target))
            item["given_explanation"] = nearest.explanation
        elif not at or fit is None:
            item["cause"] = (
                "no candidate: seen there on no weekday" if not weekdays
                else "no candidate: seen there on one weekday" if len(weekdays) == 1
                else "no candidate: not among the person's candidates"
            )  # fmt: skip
        else:
            k = at[0]
            marginals = work_marginals(fit)
            work_of = np.array([s.work for s in fit.structures])[fit.structure_index]
            robust = min(
                float(post[work_of == k].sum())
                for post in fit.posteriors(None, fit.robust_shifts(params.priors)[1:])
            )
            post = fit.posterior()
            taken_for = max(range(len(PERSON_TYPES)),
                            key=lambda t: float(post[fit.person_type == t].sum()))  # fmt: skip
            # How far the best reading is ahead of the best one with this workplace (log units).
            with_it = fit.log_score[work_of == k]
            gap = round(float(fit.log_score.max() - with_it.max()), 2) if with_it.size else None
            item.update(workplace=round(marginals[k], 3), robust=round(robust, 3),
                        duty_days=analysis.work_candidates[k].n_duty_dates,
                        taken_for=PERSON_TYPES[taken_for], gap=gap,
                        by_term=term_gap(row.person, evidence.get(row.person, []), params,
                                         fit.log_score > -np.inf, work_of == k),
                        **stay_days(analysis, k))  # fmt: skip
            if int(np.argmax(marginals)) != k and max(marginals) >= params.min_confidence:
                item["cause"] = "another candidate taken as the workplace"
            elif marginals[k] < params.min_confidence:
                item["cause"] = f"candidate, workplace below {params.min_confidence}"
            elif robust < params.min_confidence:
                item["cause"] = "candidate, below it under other shift-work priors"
            elif analysis.work_candidates[k].n_duty_dates < params.min_base_days:
                item["cause"] = "candidate, too few weekdays and no site"
            else:
                item["cause"] = "candidate, changed by the site pass"
        item["group"] = cause_group(item, target, homes, given)
        marks = [("true base", target), *(("true home", h) for h in homes),
                 *(("given base", p.position) for p in given)]  # fmt: skip
        item["days"] = days_by_place(analysis, marks, target, homes)
        out.append(item)
    return out


# The groups missed bases are tallied in (`cause_group`), largest first as base24 found them.
THIN = "thin workplace read as no workplace"
ON_SITE = "living on site (the base within 300 m of the home)"
NEAR_WRONG_M = 1_000


def cause_group(item: dict[str, Any], target: LatLon, homes: list[LatLon], given: list[Any]) -> str:
    """One cause per missed base, coarser than `missed_bases`' `cause`: a base within
    `AT_HOME_M` of the person's true home (living on site) first; then a wrong base given at
    the home, 0.5-1 km off (another building of a large site, or a work group's centre
    pulled among venues) or farther; no candidate; a candidate below 0.5 read as "no
    workplace" (a thin workplace) or as another type; and the rest of `cause` as it is."""
    cause = str(item["cause"])
    if any(haversine_m(target, h) <= AT_HOME_M for h in homes):
        return ON_SITE
    if given:
        nearest = min(given, key=lambda p: haversine_m(p.position, target))
        if any(haversine_m(nearest.position, h) <= AT_HOME_M for h in homes):
            return "a wrong base given at the home"
        if haversine_m(nearest.position, target) <= NEAR_WRONG_M:
            return f"a wrong base given {BASE_RIGHT_M / 1000:g}-{NEAR_WRONG_M / 1000:g} km off"
        return f"a wrong base given over {NEAR_WRONG_M / 1000:g} km off"
    if cause.startswith("no candidate"):
        return "no candidate"
    if cause.startswith("candidate, workplace below"):
        if item.get("taken_for") == PERSON_TYPES[NO_WORK]:
            return THIN
        return f"candidate below 0.5, read as {item.get('taken_for')}"
    return cause


def days_by_place(
    analysis: Any,
    marks: list[tuple[str, LatLon]],
    target: LatLon | None,
    homes: list[LatLon],
) -> list[dict[str, Any]]:
    """The person's days by place, as the role model counts days (`roles.bin_of`: a night
    with its evening): for each home and work candidate (its own points) and each marked
    position (the true base and home, a base given: points within `BASE_RIGHT_M`, or
    `HOME_RIGHT_M` for a home), the distinct weekdays (06-22 Mon-Fri), days with
    working-hours presence (09-17 Mon-Fri), weekend days (06-22 Sat-Sun) and nights
    (22-06), its posts, how far it is from the true base and home, and for a candidate the
    person's own posterior that it is the home or the workplace (before the site pass); and
    the same counts over all the person's places ("all places")."""
    fit = analysis.fit
    home_p: list[float] = []
    work_p: list[float] = []
    if fit is not None and fit.log_score.size:
        post = fit.posterior()
        home_of = np.array([s.home for s in fit.structures])[fit.structure_index]
        home_p = [float(post[home_of == k].sum()) for k in range(len(analysis.home_candidates))]
        work_p = work_marginals(fit)
    rows: list[tuple[str, LatLon | None, list[int], float | None, float | None]] = []
    for k, c in enumerate(analysis.home_candidates):
        rows.append((f"home candidate {k}", c.position, list(c.indices),
                     home_p[k] if k < len(home_p) else None, None))  # fmt: skip
    for k, c in enumerate(analysis.work_candidates):
        rows.append((f"work candidate {k}", c.position, list(c.indices), None,
                     work_p[k] if k < len(work_p) else None))  # fmt: skip
    rows.append(("all places", None, list(analysis.usable), None, None))
    for label, where in marks:
        radius = HOME_RIGHT_M if label.endswith("home") else BASE_RIGHT_M
        near = [i for i in analysis.usable
                if haversine_m(analysis.evidence[i].position, where) <= radius]  # fmt: skip
        rows.append((label, where, near, None, None))
    out: list[dict[str, Any]] = []
    for label, where, indices, p_home, p_work in rows:
        days: dict[str, set[int]] = {"weekdays": set(), "work_hours_days": set(),
                                     "weekend_days": set(), "nights": set()}  # fmt: skip
        for i in indices:
            local = analysis.evidence[i].local_time
            if local is None:
                continue
            part, day = bin_of(local)
            ordinal = day.toordinal()
            if part in (WEEKNIGHT, WEEKEND_NIGHT):
                days["nights"].add(ordinal)
            elif part == WEEKEND_DAY:
                days["weekend_days"].add(ordinal)
            else:
                days["weekdays"].add(ordinal)
                if part == WORK_HOURS:
                    days["work_hours_days"].add(ordinal)
        out.append({
            "place": label, "posts": len(indices),
            **{name: len(v) for name, v in days.items()},
            "to_true_base_m": None
            if target is None or where is None
            else round(haversine_m(where, target)),
            "to_true_home_m": None
            if where is None
            else min((round(haversine_m(where, h)) for h in homes), default=None),
            "home_p": None if p_home is None else round(p_home, 3),
            "work_p": None if p_work is None else round(p_work, 3),
        })  # fmt: skip
    return out


def work_hours_share(item: dict[str, Any], place: str) -> float | None:
    """Of the days the person is seen in working hours (09-17 Mon-Fri) anywhere, the share
    seen at `place` (a row of `days_by_place`, e.g. "true base"); None if either is missing.
    ATUS's presence rows put a day worker at the workplace ~0.6 of working hours and a
    part-time worker or student ~0.33 (`roles.PRESENCE`)."""
    rows = {r["place"]: r for r in item.get("days", [])}
    if place not in rows or not rows.get("all places", {}).get("work_hours_days"):
        return None
    return float(rows[place]["work_hours_days"] / rows["all places"]["work_hours_days"])


def share_line(label: str, items: list[dict[str, Any]], place: str) -> str:
    """The median and quartiles of `work_hours_share` over `items`."""
    shares = sorted(s for m in items if (s := work_hours_share(m, place)) is not None)
    if not shares:
        return f"    {label}: none"
    q = statistics.quantiles(shares, n=4) if len(shares) > 1 else [shares[0]] * 3
    return (f"    {label}: {len(shares)}, share of the person's working-hours days seen there: "
            f"median {statistics.median(shares):.2f} (quartiles {q[0]:.2f}-{q[2]:.2f})")  # fmt: skip


def days_table(item: dict[str, Any]) -> list[str]:
    """One missed or wrong base as text: who, the cause and what was given, then the days
    by place (`days_by_place`)."""
    given = item.get("given_explanation") or item.get("explanation") or ""
    head = (f"    {item.get('corpus', '')} {item['person']} ({item.get('persona') or 'no persona'}):"
            f" {item.get('group') or item.get('what')}"
            + (f"; taken for {item['taken_for']}" if item.get("taken_for") else "")
            + (f"; workplace {item['workplace']}" if item.get("workplace") is not None else "")
            + (f"; given: {given}" if given else ""))  # fmt: skip
    lines = [head, f"      {'place':18} {'posts':>5} {'wkdays':>6} {'09-17':>5} {'wkend':>5} "
                   f"{'nights':>6} {'to base':>8} {'to home':>8} {'P home':>6} {'P work':>6}"]  # fmt: skip

    def num(value: Any) -> str:
        return "-" if value is None else str(value)

    for r in item.get("days", []):
        lines.append(f"      {r['place']:18} {r['posts']:5d} {r['weekdays']:6d} "
                     f"{r['work_hours_days']:5d} {r['weekend_days']:5d} {r['nights']:6d} "
                     f"{num(r['to_true_base_m']):>8} {num(r['to_true_home_m']):>8} "
                     f"{num(r['home_p']):>6} {num(r['work_p']):>6}")  # fmt: skip
    return lines


def wrong_bases(
    profiles: list[Profile],
    truth: list[TruthRow],
    evidence: dict[str, Any],
    params: InferenceParams | None = None,
) -> list[dict[str, Any]]:
    """Every base given that is wrong (`wrong_places`: at the home, for someone with no
    workplace, or elsewhere), with the person's days by place (`days_by_place`)."""
    params = params or LeakInference()._validated()
    out: list[dict[str, Any]] = []
    for w in wrong_places(profiles, truth):
        if w["kind"] != PlaceKind.BASE.value:
            continue
        rows = [r for r in truth if r.person == w["person"]]
        bases = [r.position for r in rows if r.kind == "base" and r.position is not None]
        homes = [r.position for r in rows if r.kind == "home" and r.position is not None]
        profile = next(p for p in profiles if p.person == w["person"])
        analysis = analyse_person(w["person"], evidence.get(w["person"], []), params)
        marks = [*(("true base", b) for b in bases), *(("true home", h) for h in homes),
                 *(("given base", p.position) for p in profile.places
                   if p.kind == PlaceKind.BASE)]  # fmt: skip
        out.append({**w, "kind": "wrong base",
                    "days": days_by_place(analysis, marks, bases[0] if bases else None, homes)})  # fmt: skip
    return out


def term_gap(
    person: str,
    evidence: Any,
    params: InferenceParams,
    ahead: Any,
    behind: Any,
) -> dict[str, float] | None:
    """How far the best of the person's role assignments selected by `ahead` (a mask over
    the fit's assignments) is ahead of the best selected by `behind`, term by term of the
    log score (`RoleProblem.terms`, log units; the terms add up to the gap): which part of
    the role model makes one reading win. None when either selects nothing."""
    problem = role_problem(person, evidence, params)
    if problem is None or not (np.any(ahead) and np.any(behind)):
        return None
    terms = problem.terms(params.priors)
    total = sum(terms.values())
    best = int(np.flatnonzero(ahead)[np.argmax(total[ahead])])
    other = int(np.flatnonzero(behind)[np.argmax(total[behind])])
    return {name: round(float(values[best] - values[other]), 2) for name, values in terms.items()}


def false_bases(
    profiles: list[Profile],
    truth: list[TruthRow],
    evidence: dict[str, Any],
    params: InferenceParams | None = None,
) -> list[dict[str, Any]]:
    """Every base given to a person with none (truth `nobase`), with the person's own reading
    of it (`analyse_person`, before the site pass): its workplace probability and, term by
    term (`term_gap`), how far the best reading with that workplace is ahead of the best
    with no workplace among the candidates. A base from the site pass alone is marked."""
    params = params or LeakInference()._validated()
    no_base = {r.person for r in truth if r.kind == "nobase"}
    persona = {r.person: r.persona for r in truth if r.persona}
    out: list[dict[str, Any]] = []
    for profile in profiles:
        if profile.person not in no_base:
            continue
        for place in profile.places:
            if place.kind != PlaceKind.BASE:
                continue
            analysis = analyse_person(profile.person, evidence.get(profile.person, []), params)
            item: dict[str, Any] = {"kind": "false base", "person": profile.person,
                                    "persona": persona.get(profile.person, ""),
                                    "confidence": place.confidence}  # fmt: skip
            near = [(haversine_m(c.position, place.position), k)
                    for k, c in enumerate(analysis.work_candidates)]  # fmt: skip
            fit = analysis.fit
            if fit is None or not near or min(near)[0] > BASE_RIGHT_M:
                item["cause"] = f"site pass, no own candidate within {BASE_RIGHT_M:g} m"
                out.append(item)
                continue
            k = min(near)[1]
            work_of = np.array([s.work for s in fit.structures])[fit.structure_index]
            item["workplace"] = round(work_marginals(fit)[k], 3)
            item["cause"] = ("own reading" if item["workplace"] >= params.min_confidence
                             else "site pass")  # fmt: skip
            item["by_term"] = term_gap(profile.person, evidence.get(profile.person, []), params,
                                       work_of == k, work_of < 0)  # fmt: skip
            out.append(item)
    return out


def missed_homes(
    profiles: list[Profile],
    truth: list[TruthRow],
    evidence: dict[str, Any],
    params: InferenceParams | None = None,
) -> list[dict[str, Any]]:
    """Every true home (detectable) with no home given within `HOME_RIGHT_M`, with why: the
    person's own analysis (`analyse_person`, before the site pass) read back at the true home.

    The cause: no home candidate within `HOME_RIGHT_M` of it; the best reading has it as the
    home but it was seen on too few days or weeks to be given (`InferenceParams.min_home_days`,
    `min_home_weeks`), or the confidence given is lower (the lowest over the shift-work priors and the
    bagged posterior, `places.decide`) or another home was given; or the best reading makes
    another candidate the home: the person's workplace (within `BASE_RIGHT_M` of a true base)
    or another place. With it: the home given (if any), the true home candidate's posterior
    (plain, lowest over the priors, bagged), the best reading's type and that of the best
    reading with the true home, how far the one is ahead (`gap`) split by the role model's
    terms (`by_term`), and the person's located posts at the true home, all and at night.
    The home given carries its explanation (`given_explanation`)."""
    params = params or LeakInference()._validated()
    out: list[dict[str, Any]] = []
    # The current home comes first (`places.decide`); an older one after it, for a move.
    for row, target, _profile, given in _truth_with_given(profiles, truth, PlaceKind.HOME):
        if given and haversine_m(given[0].position, target) <= HOME_RIGHT_M:
            continue
        rows = [r for r in truth if r.person == row.person]
        if sum(r.kind == "home" for r in rows) > 1:
            continue  # a mover's homes: `evaluate` scores them by period
        persona = next((r.persona for r in rows if r.persona), "")
        bases = [r.position for r in rows if r.kind == "base" and r.position is not None]
        analysis = analyse_person(row.person, evidence.get(row.person, []), params)
        located = [
            (ev.local_time.hour, haversine_m(ev.position, target) <= HOME_RIGHT_M)
            for i in analysis.usable
            if (ev := analysis.evidence[i]).local_time is not None
        ]
        night = [at for hour, at in located if hour >= NIGHT_START_H or hour < NIGHT_END_H]
        item: dict[str, Any] = {
            "kind": "missed home", "person": row.person, "persona": persona,
            "given": None, "posts": len(located), "posts_at_home": sum(at for _, at in located),
            "night_posts": len(night), "night_posts_at_home": sum(night),
        }  # fmt: skip
        if given:
            place = given[0]
            at_work = any(haversine_m(place.position, b) <= BASE_RIGHT_M for b in bases)
            item["given"] = "at the workplace" if at_work else "elsewhere"
            item["given_confidence"] = place.confidence
            item["given_m"] = round(haversine_m(place.position, target))
            item["given_explanation"] = place.explanation
            if any(haversine_m(p.position, target) <= HOME_RIGHT_M for p in given[1:]):
                item["given"] += ", the true home as the older home of a move"
        near = [
            (haversine_m(c.position, target), k) for k, c in enumerate(analysis.home_candidates)
        ]
        fit = analysis.fit
        if fit is None or not near or min(near)[0] > HOME_RIGHT_M:
            item["cause"] = "no candidate at the true home"
            out.append(item)
            continue
        k = min(near)[1]
        home_of = np.array([s.home for s in fit.structures])[fit.structure_index]
        numbers = person_numbers(fit, None, fit.robust_shifts(params.priors),
                                 len(analysis.home_candidates), len(analysis.work_candidates))  # fmt: skip
        bagged = fit.bagged_marginals(home_of, len(analysis.home_candidates), {}, numbers.shifts)
        best = int(np.argmax(fit.log_score))
        best_home = int(home_of[best])
        with_it = np.flatnonzero(home_of == k)
        best_with = int(with_it[np.argmax(fit.log_score[with_it])])
        item.update(
            home=round(numbers.home_m[k], 3), robust=round(numbers.home_low[k], 3),
            bagged=None if bagged is None else round(min(float(b[k]) for b in bagged), 3),
            taken_for=PERSON_TYPES[int(fit.person_type[best])],
            true_reading=PERSON_TYPES[int(fit.person_type[best_with])],
            gap=round(float(fit.log_score[best] - fit.log_score[best_with]), 2),
        )  # fmt: skip
        cand = analysis.home_candidates[k]
        if best_home == k and (
            cand.n_dates < params.min_home_days or cand.n_weeks < params.min_home_weeks
        ):
            item["cause"] = "the best reading has it, seen on too few days or weeks"
        elif best_home == k:
            item["cause"] = "the best reading has it, the confidence given is lower"
        else:
            item["by_term"] = term_gap(row.person, evidence.get(row.person, []), params,
                                       np.arange(home_of.size) == best, home_of == k)  # fmt: skip
            other = analysis.home_candidates[best_home].position if best_home >= 0 else None
            item["cause"] = (
                "no home in the best reading" if other is None
                else "the workplace taken for the home"
                if any(haversine_m(other, b) <= BASE_RIGHT_M for b in bases)
                else "another place taken for the home"
            )  # fmt: skip
        out.append(item)
    return out


def missed_homes_table(found: list[dict[str, Any]]) -> list[str]:
    """The causes of missed homes, the term that leads most often where another reading wins,
    the median term split, and the share of night posts made at the true home."""
    causes = Counter(m["cause"] for m in found)
    split = [m for m in found if m.get("by_term")]
    leads = Counter(max(m["by_term"].items(), key=lambda kv: kv[1])[0] for m in split)
    night = sum(m["night_posts"] for m in found)
    return [
        f"  missed homes by cause ({len(found)}): "
        + ("; ".join(f"{c} {n}" for c, n in causes.most_common()) or "none"),
        "    another reading ahead, its largest term: "
        + ("; ".join(f"{t} {n}" for t, n in leads.most_common()) or "none")
        + "; " + term_medians(split),
        f"    night posts (22-06) at the true home: {sum(m['night_posts_at_home'] for m in found)}"
        f" of {night}; all posts there: {sum(m['posts_at_home'] for m in found)}"
        f" of {sum(m['posts'] for m in found)}",
    ]  # fmt: skip


def term_medians(items: list[dict[str, Any]]) -> str:
    """The median of each term's gap over the items that have one (`term_gap`)."""
    gaps = [m["by_term"] for m in items if m.get("by_term")]
    if not gaps:
        return "no term split"
    return f"{len(gaps)} with a split, median by term: " + ", ".join(
        f"{name} {statistics.median(g[name] for g in gaps):+.1f}" for name in TERM_NAMES
    )


def false_table(found: list[dict[str, Any]]) -> list[str]:
    """The false bases' causes and the median term split of those from the own reading."""
    causes = Counter(m["cause"] for m in found)
    own = [m for m in found if m["cause"] == "own reading"]
    return [
        f"  false bases ({len(found)}): "
        + ("; ".join(f"{c} {n}" for c, n in causes.most_common()) or "none"),
        "    own readings, the reading with the base ahead of the best with no workplace: "
        + term_medians(own),
    ]


LONG_STAY_H = 2.0


def stay_days(analysis: Any, k: int) -> dict[str, int]:
    """Days (as the role model counts them: a night with its evening) with two or more
    located posts at work candidate `k`, and of those the days whose first and last post
    there are `LONG_STAY_H` or more apart: how long the person stayed, which the role model
    does not read."""
    days: dict[int, list[Any]] = {}
    for i in analysis.work_candidates[k].indices:
        ev = analysis.evidence[i]
        if ev.local_time is not None and ev.time_utc is not None:
            days.setdefault(bin_of(ev.local_time)[1].toordinal(), []).append(ev.time_utc)
    spans = [(max(t) - min(t)).total_seconds() / 3600 for t in days.values() if len(t) >= 2]
    return {"stay_days": len(spans), "long_stay_days": sum(s >= LONG_STAY_H for s in spans)}


def missed_table(missed: list[dict[str, Any]], bases_by_persona: dict[str, int]) -> list[str]:
    """The causes of missed bases, in all and per persona tag (missed / true bases)."""
    causes = Counter(m["cause"] for m in missed)
    lines = [f"  missed bases by cause ({len(missed)}): "
             + "; ".join(f"{cause} {n}" for cause, n in causes.most_common())]  # fmt: skip
    given = Counter(m.get("given_there") or "nothing" for m in missed)
    gaps = [m["gap"] for m in missed if m.get("gap") is not None]
    stays = [m for m in missed if m.get("stay_days")]
    lines.append(
        "    given there instead: " + "; ".join(f"{k} {n}" for k, n in given.most_common())
        + (f"; gap to the best reading (log units), median {statistics.median(gaps):.1f}, "
           f"within 2: {sum(g < 2 for g in gaps)} of {len(gaps)}" if gaps else "")
        + f"; a day with two posts at the workplace: {len(stays)} "
        f"({sum(m['long_stay_days'] for m in stays)} of {sum(m['stay_days'] for m in stays)}"
        f" days {LONG_STAY_H:g} h or more apart)"
    )  # fmt: skip
    groups = Counter(m.get("group", m["cause"]) for m in missed)
    lines.append("    by cause group (`cause_group`): "
                 + "; ".join(f"{cause} {n}" for cause, n in groups.most_common()))  # fmt: skip
    tags: dict[str, Counter[str]] = {}
    for m in missed:
        for tag in dict.fromkeys((m["persona"] or "(no persona)").split("+")):
            tags.setdefault(tag, Counter())[m["cause"]] += 1
    lines.append("    candidates below it, the best reading ahead of the best with the workplace: "
                 + term_medians([m for m in missed if m["cause"].startswith("candidate, workplace below")]))  # fmt: skip
    for tag, counts in sorted(tags.items()):
        lines.append(f"    {tag} {sum(counts.values())}/{bases_by_persona.get(tag, 0)}: "
                     + "; ".join(f"{cause} {n}" for cause, n in counts.most_common()))  # fmt: skip
    return lines


def confident_errors(wrong: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for w in wrong:
        if w["confidence"] >= CONFIDENT:
            counts[w["what"]] = counts.get(w["what"], 0) + 1
    text = ", ".join(f"{what} {n}" for what, n in sorted(counts.items())) or "none"
    return f"  confidently wrong (>= {CONFIDENT}): {text}"


def row(name: str, people: int, ev: Evaluation) -> str:
    def pct(value: float | None) -> str:
        return "   n/a" if value is None else f"{100 * value:6.1f}"

    bands = " ".join(
        f"{c['places']}:{'-' if c['share_right'] is None else round(100 * c['share_right'])}"
        for c in ev.calibration[1:]
    )
    return (
        f"{name:24} {people:4d} {pct(ev.home.recall)} {pct(ev.home.precision)} "
        f"{pct(ev.base.recall)} {pct(ev.base.precision)} {ev.false_bases:3d}/{ev.no_base_people:<3d}"
        f" {ev.false_homes:3d}   {bands}"
    )


def pooled(label: str, results: list[Evaluation]) -> list[str]:
    def tally(key: str) -> tuple[int, int, int, int]:
        hits = truths = right = given = 0
        for ev in results:
            score = ev.home if key == "home" else ev.base
            hits += score.within.get(score.right_m, 0)
            truths += score.truths
            right += score.given_right
            given += score.given
        return hits, truths, right, given

    def share(a: int, b: int) -> str:
        return f"{a}/{b} = {100 * a / b:.1f} %" if b else "n/a"

    def band_share(a: int, b: int) -> str:
        if not b:
            return "n/a"
        low, high = wilson_interval(a, b)
        return f"{share(a, b)} ({100 * low:.0f}-{100 * high:.0f})"

    h, b = tally("home"), tally("base")
    bands = []
    for k, (low, _high) in enumerate(CALIBRATION_BINS):
        places = sum(ev.calibration[k]["places"] for ev in results)
        right = sum(
            round((ev.calibration[k]["share_right"] or 0) * ev.calibration[k]["places"])
            for ev in results
        )
        confidence = sum(
            (ev.calibration[k]["mean_confidence"] or 0) * ev.calibration[k]["places"]
            for ev in results
        )
        kinds = {
            key: sum(ev.calibration[k][key] for ev in results)
            for key in ("home_right", "home_places", "base_right", "base_places")
        }
        if low >= 0.5:
            mean = f" at {confidence / places:.2f}" if places else ""
            bands.append(
                f"{low:.1f}: {places} places{mean} {band_share(right, places)}, homes "
                f"{kinds['home_right']}/{kinds['home_places']}, bases "
                f"{kinds['base_right']}/{kinds['base_places']}"
            )
    low_bands = [place for ev in results for place in pooled_band_places(ev.band_places)]
    if low_bands:
        right = sum(r for _, r in low_bands)
        at_most, at_least = right_count_tails(right, [c for c, _ in low_bands])
        bands.append(
            f"{POOLED_LABEL} together: {right}/{len(low_bands)} right, "
            f"{sum(c for c, _ in low_bands):.1f} expected, P(this few or fewer) {at_most:.3f}, "
            f"P(this many or more) {at_least:.3f}"
        )
    false_bases = sum(ev.false_bases for ev in results)
    no_base = sum(ev.no_base_people for ev in results)
    personas: dict[str, dict[str, int]] = {}
    for ev in results:
        for tag, counts in ev.by_persona.items():
            mine = personas.setdefault(tag, {})
            for key, value in counts.items():
                mine[key] = mine.get(key, 0) + value

    def pct(a: int, b: int) -> str:
        return f"{100 * a / b:5.1f}" if b else "  n/a"

    table = [
        f"  {'persona':22} {'ppl':>4} {'homeR':>5} {'homeP':>5} {'baseR':>5} {'baseP':>5} {'false':>5}"
    ]
    for tag, c in sorted(personas.items()):
        table.append(
            f"  {tag:22} {c['people']:4d} {pct(c['home_hits'], c['home_truths'])} "
            f"{pct(c['home_given_right'], c['home_given'])} {pct(c['base_hits'], c['base_truths'])} "
            f"{pct(c['base_given_right'], c['base_given'])} {c['false_bases']:5d}"
        )
    return [
        f"{label}: homes recall {share(h[0], h[1])}, precision {share(h[2], h[3])}; "
        f"bases recall {share(b[0], b[1])}, precision {share(b[2], b[3])}; "
        f"false bases {false_bases}/{no_base}; homes for silent people "
        f"{sum(ev.false_homes for ev in results)}",
        "  calibration (band: places at their mean confidence, share right (95 % Wilson "
        "interval), homes and bases right / places): " + "; ".join(bands),
        "  by persona (a person counts under each of their tags; %):",
        *table,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 small corpora (~2 min)")
    parser.add_argument("--baseline-ref", metavar="REF", help="also run this commit's inference")
    parser.add_argument("--json", metavar="PATH", help="write every figure as JSON here")
    parser.add_argument("--families", default=",".join(FAMILIES),
                        help=f"comma-separated families to run (default: {','.join(FAMILIES)}; "
                        f"also: {','.join(EXTRA_FAMILIES)})")  # fmt: skip
    parser.add_argument("--errors", metavar="PATH", help="write every wrong place (JSON lines)")
    parser.add_argument("--missed", metavar="PATH",
                        help="write every missed base and every missed home with why, and every "
                        "false base, (JSON lines) and tally the causes")  # fmt: skip
    args = parser.parse_args()
    families = tuple(f.strip() for f in args.families.split(",") if f.strip())
    if unknown := set(families) - set(FAMILIES + EXTRA_FAMILIES):
        parser.error(f"unknown families: {', '.join(sorted(unknown))}")
    head = (
        f"{'corpus':24} {'ppl':>4} {'homeR':>6} {'homeP':>6} {'baseR':>6} {'baseP':>6} "
        f"{'false':>7} {'fh':>3}   calibration 0.5 0.6 0.7 0.8 0.9 (places:% right)"
    )
    methods = ["this checkout"] + ([f"baseline {args.baseline_ref}"] if args.baseline_ref else [])
    lines: dict[str, list[str]] = {m: [head] for m in methods}
    results: dict[str, dict[str, list[Evaluation]]] = {m: {} for m in methods}
    figures: dict[str, dict[str, Any]] = {m: {} for m in methods}
    wrong: dict[str, dict[str, list[dict[str, Any]]]] = {m: {} for m in methods}
    missed: dict[str, list[dict[str, Any]]] = {}
    falses: dict[str, list[dict[str, Any]]] = {}
    homes_missed: dict[str, list[dict[str, Any]]] = {}
    bases_wrong: dict[str, list[dict[str, Any]]] = {}
    bases_by_persona: dict[str, Counter[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-accuracy-") as tmp:
        for name, config in corpora(args.quick, families):
            print(f"{name}: generating ...", file=sys.stderr, flush=True)
            evidence, rows = corpus_evidence(config, Path(tmp))
            truth_list = truth_rows(rows)
            people = len({r.person for r in truth_list})
            family = family_of(name)
            runs = {"this checkout": LeakInference().fit(evidence).profiles_}
            if args.missed:
                found = missed_bases(runs["this checkout"], truth_list, evidence)
                missed.setdefault(family, []).extend({"corpus": name, **m} for m in found)
                falses.setdefault(family, []).extend(
                    {"corpus": name, **m}
                    for m in false_bases(runs["this checkout"], truth_list, evidence)
                )  # fmt: skip
                homes_missed.setdefault(family, []).extend(
                    {"corpus": name, **m}
                    for m in missed_homes(runs["this checkout"], truth_list, evidence)
                )  # fmt: skip
                bases_wrong.setdefault(family, []).extend(
                    {"corpus": name, **m}
                    for m in wrong_bases(runs["this checkout"], truth_list, evidence)
                )  # fmt: skip
                tally = bases_by_persona.setdefault(family, Counter())
                for r in truth_list:
                    if r.kind == "base" and r.position is not None and r.detectable:
                        tally.update(dict.fromkeys((r.persona or "(no persona)").split("+"), 1))
            if args.baseline_ref:
                runs[methods[1]] = baseline_profiles(args.baseline_ref, evidence, Path(tmp))
            for method, profiles in runs.items():
                ev = evaluate(profiles, truth_list)
                lines[method].append(row(name, people, ev))
                results[method].setdefault(family, []).append(ev)
                figures[method][name] = ev.to_json()
                for w in wrong_places(profiles, truth_list):
                    wrong[method].setdefault(family, []).append({"corpus": name, **w})
    for method in methods:
        print(f"\n== {method}")
        print("\n".join(lines[method]))
        for family, evs in results[method].items():
            print("\n".join(pooled(f"pooled {family} ({len(evs)} corpora)", evs)))
            print(confident_errors(wrong[method].get(family, [])))
            if method == methods[0] and family in missed:
                print("\n".join(missed_table(missed[family], bases_by_persona[family])))
                print("\n".join(false_table(falses.get(family, []))))
                print("\n".join(missed_homes_table(homes_missed.get(family, []))))
                print(share_line("thin workplaces (at the true base)",
                                 [m for m in missed[family] if m.get("group") == THIN],
                                 "true base"))  # fmt: skip
                print(share_line("bases given to people with no workplace (at the base given)",
                                 [m for m in bases_wrong.get(family, [])
                                  if m["what"] == "base for someone with no workplace"],
                                 "given base"))  # fmt: skip
                print(f"  days by place, every missed base ({len(missed[family])}):")
                for m in missed[family]:
                    print("\n".join(days_table(m)))
                wrong_here = bases_wrong.get(family, [])
                print(f"  days by place, every wrong base given ({len(wrong_here)}):")
                for m in wrong_here:
                    print("\n".join(days_table(m)))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    if args.missed:
        with Path(args.missed).open("w", encoding="utf-8") as out:
            for items in (*missed.values(), *falses.values(), *homes_missed.values(),
                          *bases_wrong.values()):  # fmt: skip
                for m in items:
                    out.write(json.dumps(m) + "\n")
    if args.errors:
        with Path(args.errors).open("w", encoding="utf-8") as out:
            for method in methods:
                for items in wrong[method].values():
                    for w in items:
                        out.write(json.dumps({"method": method, **w}) + "\n")


if __name__ == "__main__":
    main()
