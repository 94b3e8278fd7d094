"""bench_accuracy's list of wrong places: what each wrong home or base is (issue 11 names a
home given at the workplace and a base given at the home as the errors to count)."""

from __future__ import annotations

import importlib.util
import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest

from geoleak.evaluate import evaluate, truth_rows
from geoleak.geometry import destination
from geoleak.infer import LeakInference
from geoleak.types import (
    Evidence,
    EvidenceSource,
    LatLon,
    LocalTimeBasis,
    Place,
    PlaceKind,
    Profile,
)

ROOT = Path(__file__).resolve().parents[1]
HOME = LatLon(69.65, 18.96)  # Tromsø: 69 N
WORK = LatLon(69.68, 18.92)  # ~3.5 km away
CAFE = LatLon(-16.5, 179.99)  # next to the antimeridian


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_accuracy", ROOT / "benchmarks" / "bench_accuracy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _place(kind: PlaceKind, where: LatLon, confidence: float) -> Place:
    return Place(kind, where, 50.0, confidence, ("p1",), 5)


def _truth(person: str, persona: str, **kinds: LatLon | None) -> list[dict[str, object]]:
    return [
        {"person": person, "persona": persona, "kind": kind, "detectable": 1,
         "lat": "" if pos is None else pos.lat, "lon": "" if pos is None else pos.lon}
        for kind, pos in kinds.items()
    ]  # fmt: skip


def test_wrong_places_say_what_each_error_is() -> None:
    bench = _bench()
    truth = truth_rows(
        _truth("swapped", "night-shift", home=HOME, base=WORK)
        + _truth("right", "day-worker", home=HOME, base=WORK)
        + _truth("idle", "not-employed", home=HOME, nobase=None)
        + _truth("away", "lunch-poster", home=HOME, nobase=None)
        + _truth("quiet", "silent", none=None)
    )
    profiles = [
        Profile("swapped", (_place(PlaceKind.HOME, WORK, 0.93), _place(PlaceKind.BASE, HOME, 0.9))),
        Profile("right", (_place(PlaceKind.HOME, destination(HOME, 45, 60), 0.99),
                          _place(PlaceKind.BASE, destination(WORK, 90, 400), 0.95))),
        Profile("idle", (_place(PlaceKind.HOME, HOME, 0.99),
                         _place(PlaceKind.BASE, CAFE, 0.6))),
        Profile("away", (_place(PlaceKind.HOME, CAFE, 0.85),)),
        Profile("quiet", (_place(PlaceKind.HOME, HOME, 0.7),)),
    ]  # fmt: skip
    wrong = bench.wrong_places(profiles, truth)
    found = {(w["person"], w["kind"]): w["what"] for w in wrong}
    assert found == {
        ("swapped", "home"): "home at the workplace",
        ("swapped", "base"): "base at the home",
        ("idle", "base"): "base for someone with no workplace",
        ("away", "home"): "home elsewhere",
        ("quiet", "home"): "home of a silent person",
    }
    swapped = next(w for w in wrong if w["person"] == "swapped" and w["kind"] == "home")
    assert swapped["persona"] == "night-shift"
    assert swapped["to_true_base_m"] == 0 and swapped["to_true_home_m"] > 3000
    # Only those at 0.8 or more count as confident errors.
    line = bench.confident_errors(wrong)
    assert "home at the workplace 1" in line and "base at the home 1" in line
    assert "home elsewhere 1" in line and "no workplace" not in line and "silent" not in line
    # The pooled bands give each band's mean confidence, its share with the interval and its
    # homes and bases apart (0.9 and up: homes 0.93 wrong, 0.99 and 0.99 right; bases 0.9
    # wrong, 0.95 right).
    bands = bench.pooled("pooled", [evaluate(profiles, truth)])[1]
    low, high = bench.wilson_interval(3, 5)
    assert (
        f"0.9: 5 places at 0.95 3/5 = 60.0 % ({100 * low:.0f}-{100 * high:.0f}), homes 2/3, "
        "bases 1/2"
    ) in bands


def test_mobility_development_corpora_are_their_own_family() -> None:
    bench = _bench()
    chosen = bench.corpora(False, ("mobility-development",))
    names = [name for name, _ in chosen]
    assert names == [f"mobility-development-{seed}" for seed in range(351, 363)]
    assert {bench.family_of(name) for name in names} == {"mobility-development"}
    # The held-out mobility corpora are not among them, and their knobs are reused.
    assert bench.family_of("mobility-301") == "mobility"
    assert all(config.seed not in bench.MOBILITY for _, config in chosen)
    assert chosen[3][1].early_share == bench.MOBILITY[304]["early_share"]
    assert "mobility-development-351" not in [n for n, _ in bench.corpora(False)]


def _seen_at(person: str, where: LatLon, days: range, hours: tuple[int, ...]) -> list[Evidence]:
    """`person` seen at `where` on each of `days` (from a Monday) at each of `hours`."""
    start = datetime(2025, 1, 6)
    out = []
    for d in days:
        for h in hours:
            local = start + timedelta(days=d, hours=h)
            out.append(Evidence(
                post_id=f"{person}-{d}-{h}-{where.lat}", person=person,
                position=destination(where, 40.0 * h, 10.0 + d % 7), source=EvidenceSource.EXIF,
                accuracy_m=10.0, time_utc=local.replace(tzinfo=timezone.utc), local_time=local,
                local_basis=LocalTimeBasis.EXIF_OFFSET,
            ))  # fmt: skip
    return out


def test_missed_bases_say_why_each_true_base_was_not_given() -> None:
    """A worker seen at work on many weekdays is not listed; one never seen at work has no
    candidate there; one seen at work on a single weekday has no candidate from one weekday;
    one given a base at a cafe is listed as a wrong base; one seen at a workplace of their
    own on two weekdays has a candidate there, with its workplace probability and type, how
    far the best reading is ahead and its one day with two posts there hours apart."""
    bench = _bench()
    nights = _seen_at("x", HOME, range(120), (21, 23))
    evidence = {
        person: [replace(ev, person=person, post_id=f"{person}-{ev.post_id}") for ev in nights]
        for person in ("worker", "never", "once", "cafe")
    }
    evidence["worker"] += _seen_at("worker", WORK, range(0, 120, 3), (11,))
    evidence["once"] += _seen_at("once", WORK, range(2, 3), (11, 14))
    evidence["cafe"] += _seen_at("cafe", WORK, range(0, 120, 3), (11,))
    evidence["thin"] = _seen_at("thin", HOME, range(0, 120, 2), (7, 10, 13, 16, 20))
    alone = destination(HOME, 200, 5_000)  # where nobody else works (no site)
    evidence["thin"] += _seen_at("thin", alone, [0], (11,))
    evidence["thin"] += _seen_at("thin", alone, [30], (10, 15))  # one day, 5 h apart
    truth = truth_rows(
        [row for person in evidence for row in _truth(person, f"{person}-persona", home=HOME,
                                                       base=alone if person == "thin" else WORK)]
    )  # fmt: skip
    cafe_base = replace(_place(PlaceKind.BASE, CAFE, 0.9), explanation="a cafe, 40 weekdays")
    at_work = replace(_place(PlaceKind.FREQUENT, WORK, 0.6), explanation="one weekday, twice")
    profiles = [  # the cafe's person is given a base at a cafe instead of their own; the
        # person seen once at work a frequent place there
        Profile(p.person, (*(x for x in p.places if x.kind != PlaceKind.BASE), cafe_base))
        if p.person == "cafe"
        else Profile(p.person, (*p.places, at_work)) if p.person == "once" else p
        for p in LeakInference().fit(evidence).profiles_
    ]  # fmt: skip
    missed = {m["person"]: m for m in bench.missed_bases(profiles, truth, evidence)}
    assert next(p for p in profiles if p.person == "worker").place(PlaceKind.BASE) is not None
    assert "worker" not in missed
    assert missed["never"]["cause"] == "no candidate: seen there on no weekday"
    assert missed["once"]["cause"] == "no candidate: seen there on one weekday"
    assert missed["once"]["weekdays_near"] == 1
    assert missed["cafe"]["cause"] == "a wrong base given"
    thin = missed["thin"]
    assert thin["cause"].startswith("candidate") or thin["cause"].startswith("another")
    assert thin["duty_days"] >= 2 and 0.0 <= thin["workplace"] <= 1.0
    # One day with two posts there, five hours apart; the best reading is ahead by >= 0.
    assert (thin["stay_days"], thin["long_stay_days"]) == (1, 1)
    assert thin["gap"] >= 0.0
    # The gap split by the role model's terms: each term once, adding up to the gap.
    assert tuple(thin["by_term"]) == bench.TERM_NAMES
    assert math.isclose(sum(thin["by_term"].values()), thin["gap"], abs_tol=0.05)
    assert missed["cafe"]["given_there"] is None and missed["never"]["given_there"] is None
    # Geoleak's own words for what it gave: the wrong base, and the place at the true base.
    assert missed["cafe"]["given_explanation"] == "a cafe, 40 weekdays"
    assert "given_there_explanation" not in missed["cafe"]
    assert missed["once"]["given_there"] == "frequent"
    assert missed["once"]["given_there_explanation"] == "one weekday, twice"
    table = bench.missed_table(list(missed.values()), {"never-persona": 1})
    assert "no candidate: seen there on no weekday 1" in table[0]
    assert "a day with two posts at the workplace: 1 (1 of 1 days 2 h or more apart)" in table[1]
    assert any(line.strip().startswith("never-persona 1/1") for line in table)


def test_false_bases_say_which_term_of_the_role_model_made_them() -> None:
    """Someone with no workplace (truth `nobase`) seen at home in the evening and at night
    and at one cafe on every third weekday is given a base there by their own reading:
    listed with its workplace probability and how far the reading with it is ahead of the
    best with no workplace, term by term (adding up to that lead); a worker whose truth has
    the base is not listed."""
    bench = _bench()
    evidence = {p: _seen_at(p, HOME, range(120), (21, 23)) + _seen_at(p, WORK, range(0, 120, 3), (11,))
                for p in ("idle", "worker")}  # fmt: skip
    truth = truth_rows(_truth("idle", "home-worker", home=HOME, nobase=None)
                       + _truth("worker", "day-worker", home=HOME, base=WORK))  # fmt: skip
    profiles = LeakInference().fit(evidence).profiles_
    assert next(p for p in profiles if p.person == "idle").place(PlaceKind.BASE) is not None
    found = bench.false_bases(profiles, truth, evidence)
    assert [m["person"] for m in found] == ["idle"]
    idle = found[0]
    assert (idle["kind"], idle["cause"], idle["persona"]) == (
        "false base",
        "own reading",
        "home-worker",
    )
    assert idle["workplace"] >= 0.5
    assert tuple(idle["by_term"]) == bench.TERM_NAMES
    lead = sum(idle["by_term"].values())
    assert lead > 0.0  # the reading with the base is ahead
    table = bench.false_table(found)
    assert table[0] == "  false bases (1): own reading 1"
    assert "1 with a split, median by term: presence by part of the week" in table[1]
    assert bench.false_table([]) == [
        "  false bases (0): none",
        "    own readings, the reading with the base ahead of the best with no workplace: "
        "no term split",
    ]


def test_band_intervals_are_wilson_score_intervals() -> None:
    """A pooled band's share right comes with its 95 % Wilson interval: the figures of
    Wilson's closed form (12 of 15 right: 54.8-93.0 %; none of 10: 0-27.8 %, the upper end
    z^2 / (n + z^2)), symmetric in right and wrong, holding the share, narrowing with
    more places; nonsense counts are refused."""
    wilson = _bench().wilson_interval
    low, high = wilson(12, 15)
    assert abs(low - 0.5481) < 5e-4 and abs(high - 0.9295) < 5e-4
    low, high = wilson(0, 10)
    assert low == 0.0 and abs(high - 1.96**2 / (10 + 1.96**2)) < 1e-12
    for right, places in ((0, 1), (3, 7), (14, 17), (20, 20), (1, 1000)):
        low, high = wilson(right, places)
        mirror_low, mirror_high = wilson(places - right, places)
        assert abs(low - (1 - mirror_high)) < 1e-12 and abs(high - (1 - mirror_low)) < 1e-12
        assert 0.0 <= low <= right / places <= high <= 1.0
        wide_low, wide_high = wilson(right * 10, places * 10)
        assert wide_high - wide_low < high - low
    for right, places in ((1, 0), (-1, 5), (6, 5)):
        with pytest.raises(ValueError, match="must be"):
            wilson(right, places)


def test_pmm_family_is_held_out_and_its_corpora_are_fixed_by_the_seed(tmp_path: Path) -> None:
    """The periodic-mobility family (benchmarks/pmm_corpus.py) runs by default on its own
    seeds, its development corpora apart; a corpus is the same for a seed, every located post
    is UTC with a position, and the truth gives each person a home or `none` and, with a
    home, a workplace or `nobase` (every one of its workers works alone: no shared site)."""
    bench = _bench()
    names = [name for name, _ in bench.corpora(False)]
    assert [n for n in names if n.startswith("pmm")] == [f"pmm-{s}" for s in bench.PMM]
    dev = [n for n, _ in bench.corpora(False, ("pmm-development",))]
    assert dev == [f"pmm-development-{s}" for s in bench.PMM_DEVELOPMENT]
    assert not set(bench.PMM) & set(bench.PMM_DEVELOPMENT)
    import pmm_corpus

    posts, truth = pmm_corpus.pmm_corpus(402, people=30)
    assert (posts, truth) == pmm_corpus.pmm_corpus(402, people=30)
    assert posts and all(str(p["created_at"]).endswith("Z") for p in posts)
    assert all(-90 <= float(p["lat"]) <= 90 and -180 <= float(p["lon"]) <= 180 for p in posts)  # type: ignore[arg-type]
    kinds: dict[str, set[str]] = {}
    for row in truth:
        kinds.setdefault(row["person"], set()).add(row["kind"])
    assert all(k in ({"none"}, {"home", "base"}, {"home", "nobase"}) for k in kinds.values())
    bases = [(float(r["lat"]), float(r["lon"])) for r in truth if r["kind"] == "base"]
    assert len(set(bases)) == len(bases)
    corpus = pmm_corpus.write_corpus(tmp_path / "c", 402, people=30)
    assert len(corpus.read_text(encoding="utf-8").splitlines()) == len(posts)
    evidence, rows = pmm_corpus.pmm_evidence(pmm_corpus.PmmConfig(402, 30), tmp_path)
    assert rows == truth and sum(len(v) for v in evidence.values()) == len(posts)


def test_pmm_night_at_home_moves_only_the_night_posts_to_the_home() -> None:
    """The periodic corpus's counterfactual (`night_at_home`, error analysis of issue 11):
    the same posts at the same times, only some made between 22:00 and 06:00 local time
    moved, each to within GPS noise of its author's home; the day's posts stay put."""
    import math
    from datetime import datetime
    from zoneinfo import ZoneInfo

    _bench()  # puts benchmarks/ on the path
    import pmm_corpus

    seed = 411
    plain, truth = pmm_corpus.pmm_corpus(seed, people=30)
    moved, truth_moved = pmm_corpus.pmm_corpus(seed, people=30, night_at_home=True)
    assert truth_moved == truth
    assert [(p["id"], p["created_at"]) for p in moved] == [
        (p["id"], p["created_at"]) for p in plain
    ]
    zone = ZoneInfo(pmm_corpus.CITIES[seed % len(pmm_corpus.CITIES)][3])
    homes = {r["person"]: (float(r["lat"]), float(r["lon"])) for r in truth if r["kind"] == "home"}
    changed = 0
    for a, b in zip(plain, moved, strict=True):
        if (a["lat"], a["lon"]) == (b["lat"], b["lon"]):
            continue
        changed += 1
        when = datetime.strptime(str(a["created_at"]), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=ZoneInfo("UTC")
        )
        assert not 6 <= when.astimezone(zone).hour < 22
        lat, lon = homes[str(b["author"])]
        dy = (float(b["lat"]) - lat) * pmm_corpus.EARTH_M_PER_DEG  # type: ignore[arg-type]
        dx = (float(b["lon"]) - lon) * pmm_corpus.EARTH_M_PER_DEG * math.cos(math.radians(lat))  # type: ignore[arg-type]
        assert math.hypot(dx, dy) < 100
    assert changed > 20


def test_missed_homes_say_why_each_true_home_was_not_given() -> None:
    """A person seen at home every night is not listed; one seen only at work has no
    candidate at the true home; when the truth puts the home at a place seen on a few
    weekend afternoons, the best reading (the nightly place) took another place for the
    home, or the workplace when the truth says it is the workplace, with the lead split by
    the role model's terms; a profile whose home was moved to the workplace while the fit
    has the true home is "the best reading has it", and so is one seen at home on two days
    only (too few to be given)."""
    bench = _bench()
    park = destination(HOME, 90, 2_000)

    def week(person: str) -> list[Evidence]:
        return (_seen_at(person, HOME, range(120), (21, 23))
                + _seen_at(person, WORK, range(0, 120, 3), (11,))
                + _seen_at(person, park, range(5, 120, 14), (14,)))  # fmt: skip

    evidence = {p: week(p) for p in ("right", "park", "parkwork", "moved")}
    evidence["never"] = _seen_at("never", WORK, range(0, 120, 2), (10, 14))
    evidence["few"] = _seen_at("few", HOME, range(2), (21, 23))  # two evenings at home
    evidence["few"] += _seen_at("few", WORK, range(0, 30, 3), (11,))
    truth = truth_rows(
        _truth("right", "day-worker", home=HOME, base=WORK)
        + _truth("never", "day-worker", home=HOME, base=WORK)
        + _truth("few", "day-worker", home=HOME, base=WORK)
        + _truth("park", "day-worker", home=park, base=WORK)
        + _truth("parkwork", "night-shift", home=park, base=HOME)
        + _truth("moved", "day-worker", home=HOME, base=WORK)
    )
    profiles = [  # "moved" is given its home at the workplace instead of the fit's
        Profile(p.person, (replace(_place(PlaceKind.HOME, WORK, 0.7), explanation="at work"),
                           *(x for x in p.places if x.kind != PlaceKind.HOME)))
        if p.person == "moved" else p
        for p in LeakInference().fit(evidence).profiles_
    ]  # fmt: skip
    found = {m["person"]: m for m in bench.missed_homes(profiles, truth, evidence)}
    assert set(found) == {"never", "few", "park", "parkwork", "moved"}
    assert found["few"]["cause"] == "the best reading has it, seen on too few days or weeks"
    assert found["few"]["home"] >= 0.5 and found["few"]["given"] is None
    assert found["never"]["cause"] == "no candidate at the true home"
    assert found["never"]["posts_at_home"] == 0 and found["never"]["posts"] > 0
    park_item = found["park"]
    assert park_item["cause"] == "another place taken for the home"
    assert park_item["given"] == "elsewhere" and park_item["given_m"] > 1_900
    assert park_item["gap"] > 0.0 and park_item["home"] < 0.5
    assert tuple(park_item["by_term"]) == bench.TERM_NAMES
    assert math.isclose(sum(park_item["by_term"].values()), park_item["gap"], abs_tol=0.05)
    # Its posts at the true home: the park's afternoons, none of them at night.
    assert park_item["posts_at_home"] == len(range(5, 120, 14))
    assert (park_item["night_posts"], park_item["night_posts_at_home"]) == (120, 0)  # 23:00
    assert found["parkwork"]["cause"] == "the workplace taken for the home"
    assert found["parkwork"]["given"] == "at the workplace"
    moved = found["moved"]
    assert moved["cause"] == "the best reading has it, the confidence given is lower"
    assert moved["given"] == "at the workplace" and moved["home"] >= 0.5 and moved["gap"] == 0.0
    assert moved["given_explanation"] == "at work"  # the home given, in geoleak's words
    assert "given_explanation" not in found["few"]  # no home given
    table = bench.missed_homes_table(list(found.values()))
    assert table[0].startswith("  missed homes by cause (5): ")
    assert "no candidate at the true home 1" in table[0]
    assert "2 with a split, median by term: presence by part of the week" in table[1]
    assert "night posts (22-06) at the true home: " in table[2]
    assert bench.missed_homes_table([])[0] == "  missed homes by cause (0): none"


def test_missed_and_wrong_bases_carry_the_days_by_place_and_a_cause_group() -> None:
    """Each missed base lists the person's days by place: at the true base, the distinct
    weekdays, days with working-hours presence, weekend days and nights it was seen on (as
    the role model counts days); a wrong base given lists them too. `cause_group` puts a
    base within 300 m of the home under living on site, a wrong base by where it was given,
    and a candidate below 0.5 read as "no workplace" under thin workplaces."""
    bench = _bench()
    alone = destination(HOME, 200, 5_000)
    evidence = {"thin": _seen_at("thin", HOME, range(0, 120, 2), (7, 10, 13, 16, 20, 23))}
    evidence["thin"] += _seen_at("thin", alone, [0], (11,))  # a Monday
    evidence["thin"] += _seen_at("thin", alone, [30], (10, 15))  # a Wednesday, twice
    evidence["thin"] += _seen_at("thin", alone, [33], (12, 23))  # a Saturday, day and night
    evidence["idle"] = [replace(ev, person="idle", post_id=f"idle-{ev.post_id}")
                        for ev in evidence["thin"]]  # fmt: skip
    truth = truth_rows(_truth("thin", "part-time", home=HOME, base=alone)
                       + _truth("idle", "not-employed", home=HOME, nobase=None))  # fmt: skip
    profiles = [
        Profile(p.person, (*(x for x in p.places if x.kind != PlaceKind.BASE),
                           _place(PlaceKind.BASE, CAFE, 0.7)))
        if p.person == "idle" else p
        for p in LeakInference().fit(evidence).profiles_
    ]  # fmt: skip
    missed = {m["person"]: m for m in bench.missed_bases(profiles, truth, evidence)}
    rows = {r["place"]: r for r in missed["thin"]["days"]}
    at_base = rows["true base"]
    assert (at_base["posts"], at_base["weekdays"], at_base["work_hours_days"]) == (5, 2, 2)
    assert (at_base["weekend_days"], at_base["nights"], at_base["to_true_base_m"]) == (1, 1, 0)
    assert rows["true home"]["to_true_home_m"] == 0 and rows["true home"]["nights"] == 60
    assert any(r["place"].startswith("home candidate") and r["home_p"] for r in rows.values())
    # The person's working-hours days anywhere: the 43 weekdays among the 60 even days at
    # home, which include both weekdays at the true base (days 0 and 30): 2 of 43 there.
    assert rows["all places"]["posts"] == len(evidence["thin"])
    assert rows["all places"]["work_hours_days"] == 43
    assert bench.work_hours_share(missed["thin"], "true base") == pytest.approx(2 / 43)
    assert bench.work_hours_share(missed["thin"], "no such place") is None
    assert "median 0.05" in bench.share_line("thin", [missed["thin"]], "true base")
    assert missed["thin"]["group"] in {bench.THIN, "no candidate"} or missed["thin"][
        "group"
    ].startswith(("candidate", "another"))
    wrong = {w["person"]: w for w in bench.wrong_bases(profiles, truth, evidence)}
    assert wrong["idle"]["what"] == "base for someone with no workplace"
    given = next(r for r in wrong["idle"]["days"] if r["place"] == "given base")
    assert given["posts"] == 0 and given["to_true_base_m"] is None
    text = "\n".join(bench.days_table({"corpus": "c", **missed["thin"]}))
    assert "c thin (part-time)" in text and "true base" in text

    def group(cause: str, base: LatLon, given: LatLon | None, **extra: object) -> str:
        item = {"cause": cause, **extra}
        places = [] if given is None else [_place(PlaceKind.BASE, given, 0.8)]
        return str(bench.cause_group(item, base, [HOME], places))

    near_home = destination(HOME, 90, 200)
    assert group("candidate, workplace below 0.5", near_home, None) == bench.ON_SITE
    assert group("a wrong base given", WORK, HOME) == "a wrong base given at the home"
    assert group("a wrong base given", WORK, destination(WORK, 0, 700)) == (
        "a wrong base given 0.5-1 km off"
    )
    assert group("a wrong base given", WORK, CAFE) == "a wrong base given over 1 km off"
    assert group("no candidate: seen there on one weekday", WORK, None) == "no candidate"
    below = "candidate, workplace below 0.5"
    assert group(below, WORK, None, taken_for="no workplace away from home") == bench.THIN
    assert group(below, WORK, None, taken_for="night-shift worker") == (
        "candidate below 0.5, read as night-shift worker"
    )
    assert group("another candidate taken as the workplace", WORK, None) == (
        "another candidate taken as the workplace"
    )
