"""Place names in post text: precision and recall of the points the extractor emits.

    python benchmarks/bench_place_text.py [--data FILE] [--json OUT] [--errors]

Data: `tests/extract/data/place_sentences.jsonl`, fictional posts written for this purpose
(en, de, fr, es, it, pt, nl), each labelled with the town its author claims to be in
("Lyon, FR", resolved through the gazetteer with its qualifier) or null when the post
makes no presence claim, a claim about a country / region (`level`) or one nobody could
place. Each post goes through `geoleak.extract.text.checkin_evidence` with the offline
gazetteer and no context (no other evidence of the person, no posting time zone), so the
figures are a floor for what the pipeline does with context.

An emitted point is correct when it lies within 30 km of the labelled town (town level).
Precision = correct points / emitted points; recall = correct points / labelled towns.
Left out: venue-level accuracy (no labelled venues: the offline gazetteer has none), the
person and time-zone priors, and online geocoders.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "extract" / "data" / "place_sentences.jsonl"
TOWN_M = 30_000.0


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall of `checkin_evidence` on labelled rows, overall and per language."""
    from geoleak.extract.text import checkin_evidence
    from geoleak.geocode import GeonamesGazetteer
    from geoleak.geometry import haversine_m
    from geoleak.types import Post

    gazetteer = GeonamesGazetteer()
    totals: Counter[str] = Counter()
    by_lang: dict[str, Counter[str]] = {}
    errors: list[str] = []
    for n, row in enumerate(rows):
        post = Post(id=str(n), author="someone", text=row["text"])
        found = checkin_evidence(post, gazetteer, tz_lookup=lambda _p: None)
        expected = gazetteer.lookup(row["expect"]) if row.get("expect") else None
        if row.get("expect") and expected is None:
            raise ValueError(f"label {row['expect']!r} is not in the gazetteer")
        lang = by_lang.setdefault(row.get("lang", "?"), Counter())
        for counter in (totals, lang):
            counter["posts"] += 1
            counter["labelled"] += expected is not None
            counter["emitted"] += len(found)
        correct = 0
        for ev in found:
            ok = expected is not None and haversine_m(ev.position, expected.position) <= TOWN_M
            correct += ok
            if not ok:
                errors.append(f"false point: {row['text']!r} -> {ev.text.split(']')[0]}]"
                              f" (expected {row.get('expect')})")  # fmt: skip
        if expected is not None and not correct:
            errors.append(f"missed: {row['text']!r} (expected {row['expect']})")
        totals["correct"] += correct
        lang["correct"] += correct

    def ratios(c: Counter[str]) -> dict[str, Any]:
        return {
            **c,
            "precision": c["correct"] / c["emitted"] if c["emitted"] else None,
            "recall": c["correct"] / c["labelled"] if c["labelled"] else None,
        }

    return {
        "overall": ratios(totals),
        "by_language": {k: ratios(v) for k, v in sorted(by_lang.items())},
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--errors", action="store_true", help="list every false and missed point")
    args = parser.parse_args()
    result = score(load(args.data))
    overall = result["overall"]
    print(f"{overall['posts']} posts, {overall['labelled']} labelled towns, "
          f"{overall['emitted']} points emitted, {overall['correct']} correct")  # fmt: skip
    print(
        f"precision {overall['precision']:.3f}  recall {overall['recall']:.3f}  (town level, 30 km)"
    )
    for lang, figures in result["by_language"].items():
        precision = figures["precision"]
        print(f"  {lang}: {figures['posts']:3d} posts  precision "
              f"{'-' if precision is None else f'{precision:.2f}'}  recall "
              f"{figures['recall'] or 0:.2f}")  # fmt: skip
    if args.errors:
        print("\n".join(result["errors"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
