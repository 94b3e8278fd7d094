"""Export-reading throughput and memory: streamed readers vs loading the JSON whole.

    python benchmarks/bench_ingest.py                  # 300,000 location records
    python benchmarks/bench_ingest.py --records 1000000

Writes a fictional Google `Records.json` (one fix a minute, a person moving between a
fictional home and base) and a fictional X/Twitter `tweets.js` into a temporary folder,
then times in the same run:

* geoleak's `google-location` reader (ijson streaming, with thinning) against the baseline
  a script would write: `json.load` the file and loop over `locations`;
* geoleak's `twitter` reader against `json.loads` of the file after the JS prefix;
* the same Records.json read from a zip archive (checked and extracted to a temp folder);

and prints records/s, the ratio to the baseline, and the peak Python heap (tracemalloc)
of each, which is what streaming is for: flat in the file size.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geoleak.diagnostics import Diagnostics
from geoleak.ingest import open_inputs


def write_records(path: Path, count: int) -> None:
    home, base = (35.0527, -78.8784), (35.1401, -79.0060)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"locations": [\n')
        for i in range(count):
            minute = i % 1440
            lat, lon = base if 8 * 60 <= minute < 17 * 60 else home
            jitter = math.sin(i) * 2e-4
            rec = {
                "latitudeE7": round((lat + jitter) * 1e7),
                "longitudeE7": round((lon - jitter) * 1e7),
                "accuracy": 10 + i % 30,
                "source": "WIFI",
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1672531200 + 60 * i)),
            }
            out.write(("," if i else "") + json.dumps(rec) + "\n")
        out.write("]}\n")


def write_tweets(path: Path, count: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write("window.YTD.tweets.part0 = [\n")
        for i in range(count):
            tweet = {
                "tweet": {
                    "id_str": str(10**18 + i),
                    "created_at": "Sat Jun 10 08:15:00 +0000 2023",
                    "full_text": f"fictional tweet {i} at Cafe Luna",
                    "coordinates": {"type": "Point", "coordinates": [-78.8784, 35.0527]},
                }
            }
            out.write(("," if i else "") + json.dumps(tweet) + "\n")
        out.write("]\n")


def measure(label: str, func: Callable[[], int], items: int) -> tuple[float, int]:
    """Time one run (no tracing), then take the peak heap in a second, traced run."""
    start = time.perf_counter()
    produced = func()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  {label:<44} {items / elapsed:>12,.0f} records/s  peak heap {peak / 2**20:>8.1f} MiB"
        f"  ({produced:,} posts)"
    )
    return elapsed, peak


def count_posts(paths: list[Path]) -> int:
    return sum(1 for _ in open_inputs(paths, Diagnostics()))


def baseline_records(path: Path) -> int:
    with path.open("rb") as handle:
        data: Any = json.load(handle)
    return sum(1 for rec in data["locations"] if rec.get("latitudeE7") is not None)


def baseline_tweets(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text[text.index("=") + 1 :])
    return sum(1 for item in data if item["tweet"].get("coordinates"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=300_000, help="location records to write")
    parser.add_argument("--tweets", type=int, default=100_000, help="tweets to write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="geoleak-bench-") as tmp:
        root = Path(tmp)
        history = root / "takeout" / "Takeout" / "Location History (Timeline)"
        history.mkdir(parents=True)
        records = history / "Records.json"
        write_records(records, args.records)
        archive = root / "takeout-bench.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(records, "Takeout/Location History (Timeline)/Records.json")
        tweets = root / "twitter" / "data" / "tweets.js"
        write_tweets(tweets, args.tweets)
        print(f"Records.json: {args.records:,} records, {records.stat().st_size / 2**20:.0f} MiB")
        base_t, base_m = measure(
            "baseline: json.load + loop", lambda: baseline_records(records), args.records
        )
        ours_t, ours_m = measure(
            "geoleak google-location (streamed, thinned)",
            lambda: count_posts([root / "takeout"]),
            args.records,
        )
        zip_t, _zip_m = measure(
            "geoleak, same file in a zip", lambda: count_posts([archive]), args.records
        )
        print(
            f"  time ratio geoleak/baseline {ours_t / base_t:.2f}, from zip {zip_t / base_t:.2f}; "
            f"peak heap ratio {ours_m / base_m:.3f}"
        )
        print(f"tweets.js: {args.tweets:,} tweets, {tweets.stat().st_size / 2**20:.0f} MiB")
        base_t, base_m = measure(
            "baseline: json.loads after the JS prefix", lambda: baseline_tweets(tweets), args.tweets
        )
        ours_t, ours_m = measure(
            "geoleak twitter (streamed)", lambda: count_posts([root / "twitter"]), args.tweets
        )
        print(
            f"  time ratio geoleak/baseline {ours_t / base_t:.2f}; peak heap ratio {ours_m / base_m:.3f}"
        )


if __name__ == "__main__":
    main()
