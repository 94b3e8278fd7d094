"""The serial start-up of `geoleak infer --workers 2` before the workers fork, in
instructions (valgrind cachegrind), step by step: a count that does not depend on the load
of the machine, unlike CPU seconds.

    python benchmarks/bench_startup.py                       # this checkout
    git archive REF geoleak | tar -x -C /tmp/ref             # the same, at REF:
    cd /tmp/ref && PYTHONPATH=/tmp/ref python CHECKOUT/benchmarks/bench_startup.py

Each step runs in a fresh interpreter under `valgrind --tool=cachegrind --cache-sim=no`
together with every step before it, and its figure is the difference to the run before:
the interpreter alone, numpy, the CLI (`geoleak.cli.core`: click, the types, the readers),
the pipeline's other imports (inference, media, text), the time-zone polygons
(timezonefinder), the offline gazetteer and the role model's special functions (scipy's
`gammaln`...: `geoleak.infer.special`): what `pipeline._warm` loads
before the fork. The last line is the whole start-up as `_warm` runs it. Modules are
compiled into a scratch bytecode cache first (an installed package has them). Leaves out:
reading the first batch of the corpus (a few ms) and what runs after the fork. Needs
valgrind (Linux); one run takes about a minute.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

STEPS = [
    ("interpreter", "pass"),
    ("numpy", "import numpy"),
    ("CLI (click, types, readers)", "import geoleak.cli.core"),
    ("pipeline's other imports", "import geoleak.pipeline"),
    (
        "time-zone polygons",
        "from geoleak.extract.localtime import timezone_at; "
        "from geoleak.types import LatLon; timezone_at(LatLon(0.0, 0.0))",
    ),
    ("offline gazetteer", "from geoleak.geocode import OFFLINE; OFFLINE.warm()"),
    # The role model's special functions, as `_warm` loads them (the tables above are loaded
    # already): scipy.special's compiled module (`geoleak.infer.special`), or on an older
    # checkout `import scipy.special`.
    ("special functions", "from geoleak.pipeline import _warm; _warm(None, inference=True)"),
]
WHOLE = (
    "import geoleak.cli.core; from geoleak.cli import main; main.get_command(None, 'infer'); "
    "from geoleak import pipeline; from geoleak.geocode import OFFLINE; "
    "pipeline._warm(OFFLINE, inference=True)"
)


def instructions(code: str, env: dict[str, str]) -> int:
    out = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                          "--cachegrind-out-file=/dev/null", sys.executable, "-c", code],
                         capture_output=True, text=True, env=env, check=True)  # fmt: skip
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{out.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-c", WHOLE], env=env, check=True)  # compile once
        import geoleak

        print(f"geoleak from {os.path.dirname(geoleak.__file__)}")
        before, code = 0, ""
        for name, step in STEPS:
            code = f"{code}; {step}" if code else step
            count = instructions(code, env)
            print(f"  {name:32s} {(count - before) / 1e6:8.0f} M instructions")
            before = count
        print(f"  {'all of the above':32s} {before / 1e6:8.0f} M")
        print(f"  {'start-up as _warm runs it':32s} {instructions(WHOLE, env) / 1e6:8.0f} M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
