"""Scoring against truth.csv."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoleak.errors import TruthError
from geoleak.evaluate import TruthRow, evaluate, load_truth, pooled_counts
from geoleak.geometry import destination
from geoleak.types import LatLon, Place, PlaceKind, Profile

HOME = LatLon(64.25, 24.15)
BASE = LatLon(64.215, 24.087)


def place(kind: PlaceKind, position: LatLon, confidence: float = 0.95, radius: float = 50) -> Place:
    return Place(
        kind=kind,
        position=position,
        radius_m=radius,
        confidence=confidence,
        evidence=("x",),
        days=5,
    )


def write_truth(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "truth.csv"
    path.write_text(text)
    return path


def test_accuracy_false_homes_and_calibration(tmp_path: Path) -> None:
    truth = load_truth(write_truth(tmp_path, (
        "person,kind,lat,lon,detectable\n"
        f"a,home,{HOME.lat},{HOME.lon},1\n"
        f"a,work,{BASE.lat},{BASE.lon},1\n"
        f"b,home,{HOME.lat},{HOME.lon},1\n"
        f"c,home,{HOME.lat},{HOME.lon},0\n"
        "s,none,,,1\n"
    )))  # fmt: skip
    profiles = [
        Profile("a", (place(PlaceKind.HOME, destination(HOME, 90, 80), radius=100), place(PlaceKind.BASE, destination(BASE, 0, 700), radius=300))),
        Profile("b", (place(PlaceKind.HOME, destination(HOME, 90, 5000), 0.6),)),
        Profile("s", (place(PlaceKind.HOME, HOME, 0.95),)),
    ]  # fmt: skip
    result = evaluate(profiles, truth)
    home = result.home.to_json()
    assert home["truths"] == 2
    assert home["within_100m"] == 0.5
    assert home["within_1000m"] == 0.5
    assert result.base.to_json()["within_500m"] == 0.0
    assert result.base.to_json()["within_1000m"] == 1.0
    assert result.false_homes == 1
    assert result.false_home_people == ["s"]
    top = result.calibration[-1]
    assert top["places"] == 3
    assert top["share_correct"] == pytest.approx(1 / 3, abs=1e-3)
    assert any("homes reported for them: 1" in line for line in result.lines())


def test_bad_truth_rows_name_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(TruthError, match=r"truth.csv:3"):
        load_truth(write_truth(tmp_path, "person,kind,lat,lon\na,home,1,2\nb,castle,1,2\n"))
    with pytest.raises(TruthError, match="missing column"):
        load_truth(write_truth(tmp_path, "who,lat\n"))
    with pytest.raises(TruthError, match=r"truth.csv:2: bad lat/lon"):
        load_truth(write_truth(tmp_path, "person,kind,lat,lon\na,home,x,2\n"))


def test_precision_false_bases_and_calibration_bands_by_hand(tmp_path: Path) -> None:
    """Six people, every figure counted by hand."""
    other = destination(HOME, 0, 20_000)
    truth = load_truth(write_truth(tmp_path, (
        "person,kind,lat,lon,detectable,persona\n"
        f"a,home,{HOME.lat},{HOME.lon},1,regular\n"      # home right, base right
        f"a,base,{BASE.lat},{BASE.lon},1,regular\n"
        f"b,home,{HOME.lat},{HOME.lon},1,regular\n"      # two homes given: one right, one wrong
        f"b,base,{BASE.lat},{BASE.lon},1,regular\n"      # base given 800 m off: wrong
        f"w,home,{HOME.lat},{HOME.lon},1,home-office\n"  # works from home: no base
        "w,nobase,,,,home-office\n"
        f"q,home,{BASE.lat},{BASE.lon},1,on-base\n"      # lives on base: home == base site
        f"q,base,{BASE.lat},{BASE.lon},1,on-base\n"
        "s,none,,,1,silent\n"                            # never leaks
        f"u,home,{HOME.lat},{HOME.lon},0,sparse\n"       # undetectable, but answered right
    )))  # fmt: skip
    profiles = [
        Profile("a", (place(PlaceKind.HOME, destination(HOME, 90, 40), 0.95), place(PlaceKind.BASE, destination(BASE, 0, 300), 0.85, 400))),
        Profile("b", (place(PlaceKind.HOME, destination(HOME, 0, 60), 0.55, 80), place(PlaceKind.HOME, other, 0.65),
                      place(PlaceKind.BASE, destination(BASE, 0, 800), 0.75, 1000))),
        Profile("w", (place(PlaceKind.HOME, HOME, 0.95), place(PlaceKind.BASE, other, 0.62))),
        Profile("q", (place(PlaceKind.HOME, BASE, 0.91), place(PlaceKind.BASE, BASE, 0.91))),
        Profile("s", (place(PlaceKind.BASE, BASE, 0.45),)),
        Profile("u", (place(PlaceKind.HOME, HOME, 0.3),)),
        Profile("x", (place(PlaceKind.HOME, HOME, 0.99),)),  # no truth: not scored
    ]  # fmt: skip
    result = evaluate(profiles, truth)
    doc = result.to_json()
    # Recall: a, b, w, q homes right (u undetectable); a and q bases right, b's wrong.
    assert doc["home"]["truths"] == 4
    assert doc["home"]["within_100m"] == 1.0
    assert doc["base"]["truths"] == 3
    assert doc["base"]["within_500m"] == pytest.approx(2 / 3, abs=1e-3)
    # Precision: homes a, b, b', w, q, u given -> 5 right of 6; bases a, b, w, q, s -> 2 right of 5.
    assert (doc["home"]["given"], doc["home"]["given_right"], doc["home"]["precision_100m"]) == (
        6,
        5,
        0.8333,
    )
    assert (doc["base"]["given"], doc["base"]["given_right"], doc["base"]["precision_500m"]) == (
        5,
        2,
        0.4,
    )
    assert (doc["no_base_people"], doc["false_bases"], doc["false_base_people"]) == (1, 1, ["w"])
    assert (doc["silent_people"], doc["false_homes"], doc["silent_bases"]) == (1, 0, 1)
    assert doc["people_without_truth"] == ["x"]
    bands = {row["bin"]: row for row in doc["calibration"]}
    # 0.0-0.5: s base (wrong), u home (right); 0.5-0.6: b home (right); 0.6-0.7: b' home, w base
    # (both wrong); 0.7-0.8: b base (wrong, but within its 1000 m radius); 0.8-0.9: a base
    # (right); 0.9-1.0: a home, w home, q home, q base (all right).
    assert [bands[b]["places"] for b in bands] == [2, 1, 2, 1, 1, 4]
    assert [bands[b]["share_right"] for b in bands] == [0.5, 1.0, 0.0, 0.0, 1.0, 1.0]
    assert bands["0.7-0.8"]["share_correct"] == 1.0
    # Each band's mean confidence: what a calibrated model would get right there.
    assert bands["0.0-0.5"]["mean_confidence"] == pytest.approx((0.45 + 0.3) / 2)
    assert bands["0.6-0.7"]["mean_confidence"] == pytest.approx((0.65 + 0.62) / 2)
    assert bands["0.5-0.6"]["mean_confidence"] == pytest.approx(0.55)
    # Homes and bases apart: 0.6-0.7 holds b' home and w base, both wrong; 0.9-1.0 the homes
    # of a, w and q and q's base, all right.
    by_kind = ("home_right", "home_places", "base_right", "base_places")
    assert [bands["0.6-0.7"][key] for key in by_kind] == [0, 1, 0, 1]
    assert [bands["0.9-1.0"][key] for key in by_kind] == [3, 3, 1, 1]
    assert [bands["0.0-0.5"][key] for key in by_kind] == [1, 1, 0, 1]
    assert [bands[b]["calibrated"] for b in bands] == [None, False, False, False, True, True]
    persona = doc["by_persona"]
    assert persona["home-office"]["false_bases"] == 1
    assert persona["on-base"]["base_hits"] == 1
    assert persona["regular"]["home_given"] == 3
    assert persona["regular"]["home_given_right"] == 2
    text = "\n".join(result.lines())
    assert "precision 83%" in text
    assert "bases given to them: 1 (w)" in text
    assert "NOT calibrated" in text
    assert "  on-base: 1 person; homes" in text  # (was "1 people")
    assert "  regular: 2 people; homes" in text
    assert "0.6-0.7: 2 places at 0.64, 0% right (homes 0/1, bases 0/1)" in text
    # The bands' statistics: 0.6-0.7 holds 0.65 and 0.62, both wrong: P(0 right) =
    # 0.35 x 0.38 = 0.133, P(0 or more) = 1; the 0.5-0.9 bands together hold b's home (0.55,
    # right), b' home (0.65) and w base (0.62), b base (0.75), all wrong, a base (0.85, right).
    band = bands["0.6-0.7"]
    assert band["expected_right"] == pytest.approx(1.27)
    assert (band["p_at_most"], band["p_at_least"]) == (pytest.approx(0.133), 1.0)
    assert band["share_right_interval"][0] == 0.0 and 0.6 < band["share_right_interval"][1] < 0.7
    assert bands["0.0-0.5"]["share_right_interval"] is not None
    pooled = doc["calibration_pooled"]
    assert (pooled["bins"], pooled["places"], pooled["right"]) == ("0.5-0.9", 5, 2)
    assert pooled["expected_right"] == pytest.approx(0.55 + 0.65 + 0.62 + 0.75 + 0.85)
    assert "0.5-0.9 together: 2 of 5 right" in text


def test_a_band_of_places_right_far_more_often_than_said_is_called_cautious() -> None:
    """Twenty places at 0.55, all right: the interval and the tail both say cautious, while
    one place right at 0.55 is no evidence either way."""
    from geoleak.evaluate import _band_test, _test_text

    row = {"bin": "0.5-0.6", **_band_test(20, [0.55] * 20)}
    assert row["p_at_least"] == pytest.approx(0.55**20, rel=1e-3)
    assert row["share_right_interval"][0] > 0.8
    assert "cautious" in _test_text(row)
    assert "cautious" not in _test_text(_band_test(1, [0.55]))
    assert "overconfident" in _test_text(_band_test(0, [0.95] * 5))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=0, max_size=9), st.data())
def test_right_count_tails_are_the_sums_over_every_outcome(
    confidences: list[float], data: st.DataObject
) -> None:
    """Both tails against enumerating every right/wrong outcome of the places."""
    from itertools import product

    from geoleak.evaluate import right_count_tails

    right = data.draw(st.integers(0, len(confidences)))
    at_most = at_least = 0.0
    for outcome in product((0, 1), repeat=len(confidences)):
        p = 1.0
        for hit, c in zip(outcome, confidences, strict=True):
            p *= c if hit else 1 - c
        at_most += p if sum(outcome) <= right else 0.0
        at_least += p if sum(outcome) >= right else 0.0
    got = right_count_tails(right, confidences)
    assert got == (pytest.approx(at_most, abs=1e-12), pytest.approx(at_least, abs=1e-12))
    with pytest.raises(ValueError, match="right must be between"):
        right_count_tails(len(confidences) + 1, confidences)


def test_right_count_tails_match_the_binomial_at_one_confidence() -> None:
    from scipy.stats import binom

    from geoleak.evaluate import right_count_tails

    for n, c, right in ((30, 0.6, 25), (200, 0.95, 185), (12, 0.75, 3)):
        at_most, at_least = right_count_tails(right, [c] * n)
        assert at_most == pytest.approx(binom.cdf(right, n, c), rel=1e-9)
        assert at_least == pytest.approx(binom.sf(right - 1, n, c), rel=1e-9)


def test_movers_current_and_earlier_home(tmp_path: Path) -> None:
    """Truth homes with time ranges: the one valid last is current; each reported home pairs once."""
    old, new = HOME, destination(HOME, 45, 6000)
    rows = (
        "person,kind,lat,lon,valid_from,valid_to\n"
        f"m,home,{old.lat},{old.lon},2025-01-01,2025-06-30\n"
        f"m,home,{new.lat},{new.lon},2025-07-01,2025-12-31\n"
        f"n,home,{old.lat},{old.lon},2025-01-01,2025-06-30\n"
        f"n,home,{new.lat},{new.lon},2025-07-01,2025-12-31\n"
    )
    truth = load_truth(write_truth(tmp_path, rows))
    june, december = (
        datetime(2025, 6, 20, tzinfo=timezone.utc),
        datetime(2025, 12, 20, tzinfo=timezone.utc),
    )
    both = Profile(
        "m",
        (
            replace(place(PlaceKind.HOME, new), last_seen=december),
            replace(place(PlaceKind.HOME, old), last_seen=june),
        ),
    )
    # n: only the old home, given as if current (the mover error of issue 11).
    stale = Profile("n", (replace(place(PlaceKind.HOME, destination(old, 0, 30)), last_seen=june),))
    doc = evaluate([both, stale], truth).to_json()
    assert doc["movers"] == {
        "people": 2,
        "current_truths": 2,
        "current_right": 1,
        "earlier_truths": 2,
        "earlier_right": 2,
    }
    # One reported home cannot be right for both addresses: n's new home is not found.
    assert doc["home"]["truths"] == 4
    assert doc["home"]["within_100m"] == 0.75
    assert doc["home"]["missing"] == 1
    assert doc["home"]["given"] == 3
    assert doc["home"]["precision_100m"] == 1.0
    # Swapped dates: the current home is whichever is valid last, not the row order.
    swapped = (
        "person,kind,lat,lon,valid_from,valid_to\n"
        + "\n".join(reversed(rows.strip().splitlines()[1:3]))
        + "\n"
    )
    doc = evaluate([both], load_truth(write_truth(tmp_path, swapped))).to_json()
    assert doc["movers"]["current_right"] == 1


def test_truth_kinds_and_dates(tmp_path: Path) -> None:
    rows = load_truth(
        write_truth(tmp_path, "person,kind,lat,lon\na,no-base,,\nb,NoBase,,\nc,work,1,2\n")
    )
    assert [r.kind for r in rows] == ["nobase", "nobase", "base"]
    with pytest.raises(TruthError, match=r"truth.csv:2: bad valid_from"):
        load_truth(write_truth(tmp_path, "person,kind,lat,lon,valid_from\na,home,1,2,yesterday\n"))


@settings(deadline=None)  # under load its first example took 385 ms, a rerun 0.75 ms
@given(
    errors=st.lists(st.floats(min_value=0, max_value=5000), min_size=1, max_size=12),
    confidences=st.lists(st.floats(min_value=0, max_value=1), min_size=12, max_size=12),
)
def test_precision_and_recall_agree_for_one_place_each(
    errors: list[float], confidences: list[float]
) -> None:
    """One truth home and one reported home per person: precision == recall == share within 100 m."""
    truth = [TruthRow(f"p{i}", "home", HOME) for i in range(len(errors))]
    profiles = [Profile(f"p{i}", (place(PlaceKind.HOME, destination(HOME, 10 * i, e), confidences[i]),))
                for i, e in enumerate(errors)]  # fmt: skip
    doc = evaluate(profiles, truth).to_json()
    expected = sum(e <= 99.9 for e in errors) / len(errors)
    assert doc["home"]["precision_100m"] == doc["home"]["within_100m"]
    assert (
        abs(doc["home"]["within_100m"] - expected)
        <= 1 / len(errors) * sum(99.9 < e <= 100.1 for e in errors) + 1e-4
    )
    assert sum(row["places"] for row in doc["calibration"]) == len(errors)


def test_truth_extensions_are_documented() -> None:
    from geoleak.evaluate import TRUTH_KINDS
    from geoleak.scenario.generator import TRUTH_FIELDS

    docs = (Path(__file__).resolve().parent.parent / "docs" / "formats.md").read_text(
        encoding="utf-8"
    )
    section = docs[docs.index("## 2.") : docs.index("## 3.")]
    assert "`person,kind,lat,lon`" in section
    columns = [f for f in TRUTH_FIELDS if f not in ("person", "kind", "lat", "lon")]
    missing = [name for name in (*TRUTH_KINDS, *columns) if f"`{name}`" not in section]
    assert missing == []


def test_pooled_counts_equal_scoring_the_corpora_as_one() -> None:
    """Two corpora pooled give the counts of one evaluation over both (people renamed apart)."""

    def corpus(
        tag: str, home_off_m: float, base_off_m: float
    ) -> tuple[list[TruthRow], list[Profile]]:
        truth = [
            TruthRow(f"{tag}a", "home", HOME, persona="shift+mover"),
            TruthRow(f"{tag}a", "base", BASE, persona="shift+mover"),
            TruthRow(f"{tag}b", "home", HOME, persona="homeoffice"),
            TruthRow(f"{tag}b", "nobase", None, persona="homeoffice"),
            TruthRow(f"{tag}s", "none", None, persona="silent"),
        ]
        profiles = [
            Profile(f"{tag}a", (place(PlaceKind.HOME, destination(HOME, 0, home_off_m)),
                                place(PlaceKind.BASE, destination(BASE, 0, base_off_m)))),
            Profile(f"{tag}b", (place(PlaceKind.HOME, HOME), place(PlaceKind.BASE, BASE))),
            Profile(f"{tag}s", (place(PlaceKind.HOME, HOME),)),
        ]  # fmt: skip
        return truth, profiles

    (t1, p1), (t2, p2) = corpus("x", 50, 900), corpus("y", 300, 100)
    pooled = pooled_counts([evaluate(p1, t1), evaluate(p2, t2)])
    whole = evaluate(p1 + p2, t1 + t2)
    assert pooled["home"] == {"hits": whole.home.within[100], "truths": whole.home.truths,
                              "given": whole.home.given, "given_right": whole.home.given_right}  # fmt: skip
    assert pooled["home"] == {"hits": 3, "truths": 4, "given": 6, "given_right": 3}
    assert pooled["base"] == {"hits": 1, "truths": 2, "given": 4, "given_right": 1}
    assert (pooled["false_homes"], pooled["silent_people"]) == (2, 2)
    assert (pooled["false_bases"], pooled["no_base_people"]) == (2, 2)
    assert pooled["by_persona"] == whole.by_persona
    assert pooled["by_persona"]["shift"]["home_hits"] == 1
    assert pooled["by_persona"]["mover"]["base_hits"] == 1
    assert pooled["by_persona"]["homeoffice"]["false_bases"] == 2
    assert pooled_counts([])["home"]["truths"] == 0


def test_right_count_tails_past_the_exact_size_stay_near_the_exact_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past EXACT_TAILS_MAX places the refined normal approximation is used: within 2e-3 of
    the exact tails (the same places through the exact recursion) on bands of the shapes
    evaluate meets: most places near 0.99, a spread of low confidences, a skewed mix."""
    import random

    from geoleak import evaluate as ev

    rng = random.Random(5)
    bands = [
        [rng.uniform(0.97, 1.0) for _ in range(2500)],
        [rng.uniform(0.5, 0.9) for _ in range(2100)],
        [rng.choice((0.55, 0.99)) for _ in range(3000)],
    ]
    for confidences in bands:
        mean = sum(confidences)
        sd = sum(c * (1 - c) for c in confidences) ** 0.5
        rights = sorted(
            {max(0, min(len(confidences), round(mean + z * sd))) for z in (-3, -1.5, 0, 1.5, 3)}
        )
        approximate = [ev.right_count_tails(r, confidences) for r in rights]
        monkeypatch.setattr(ev, "EXACT_TAILS_MAX", len(confidences))
        exact = [ev.right_count_tails(r, confidences) for r in rights]
        monkeypatch.undo()
        for (a_most, a_least), (e_most, e_least) in zip(approximate, exact, strict=True):
            assert abs(a_most - e_most) < 2e-3 and abs(a_least - e_least) < 2e-3
    # every place certain: the count is known
    assert ev.right_count_tails(2500, [1.0] * 2500) == (1.0, 1.0)
    assert ev.right_count_tails(2499, [1.0] * 2500) == (0.0, 1.0)
