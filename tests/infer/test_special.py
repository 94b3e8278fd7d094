"""The role model's special functions: scipy's own ufuncs, without importing scipy.special."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.special

from geoleak.infer import special

HERE = Path(__file__).resolve().parent


def _run(code: str) -> str:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env)  # fmt: skip
    return out.stdout.strip()


def test_an_inference_loads_neither_scipy_special_nor_numpy_f2py() -> None:
    """scipy.special's package import (~630 M instructions: its array-API layer loads
    numpy.f2py, numpy.testing, numpy.ma) is a third of a multi-worker run's serial start."""
    code = (
        "import sys; import geoleak\n"
        "from infer_helpers import year_of_life\n"
        "from geoleak.types import LatLon\n"
        "ev = year_of_life('p', LatLon(69.6496, 18.956), LatLon(69.68, 18.92), weeks=12)\n"
        "profiles = geoleak.LeakInference().fit({'p': ev})\n"
        "from geoleak.infer import special\n"
        "assert profiles and special._ufuncs.cache_info().hits > 0, 'no inference'\n"
        "print(sorted(m for m in ('scipy.special', 'numpy.f2py', 'numpy.testing') "
        "if m in sys.modules), 'scipy.special._special_ufuncs' in sys.modules)"
    )
    assert _run(code) == "[] True"


def test_the_functions_are_scipy_specials_own() -> None:
    """Loaded first by geoleak, then scipy.special imported: the very same ufuncs (so the
    same floats bit for bit), and scipy.special still works."""
    code = (
        "from geoleak.infer import special; special.load(); import scipy.special as s\n"
        "u = special._ufuncs()\n"
        "print(u is not s, u.gammaln is s.gammaln, u.betaln is s.betaln, "
        "u.gammaincinv is s.gammaincinv, s.gamma(5.0))"
    )
    assert _run(code) == "True True True True 24.0"
    module = special._ufuncs()
    assert module.gammaln is scipy.special.gammaln
    assert module.betaln is scipy.special.betaln
    assert module.gammaincinv is scipy.special.gammaincinv


def test_values_match_scipy_special() -> None:
    x = np.array([1e-300, 0.3, 1.0, 2.5, 12.9, 13.0, 700.5, 1e9])
    assert np.array_equal(special.gammaln(x), scipy.special.gammaln(x))
    assert np.array_equal(special.betaln(x, x[::-1]), scipy.special.betaln(x, x[::-1]))
    q = np.array([0.01, 0.5, 0.99])
    assert np.array_equal(special.gammaincinv(2.5, q), scipy.special.gammaincinv(2.5, q))


def test_falls_back_to_scipy_special(monkeypatch: pytest.MonkeyPatch) -> None:
    """When scipy's compiled module cannot be found (a scipy that moved it), the functions
    come from scipy.special."""
    monkeypatch.setattr(special, "_load_compiled", lambda: None)
    monkeypatch.delitem(sys.modules, special._MODULE, raising=False)
    special._ufuncs.cache_clear()
    try:
        assert special._ufuncs() is scipy.special
        assert special.gammaln(2.5) == scipy.special.gammaln(2.5)
    finally:
        monkeypatch.undo()
        special._ufuncs.cache_clear()
