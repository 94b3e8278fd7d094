"""scipy's `gammaln`, `betaln` and `gammaincinv` for the role model, without importing `scipy.special`.

Importing `scipy.special` costs about a third of a multi-worker run's serial start-up
(~630 M instructions, ~0.3 s): its array-API layer clones numpy's namespace, which loads
`numpy.f2py`, `numpy.testing`, `numpy.ma` and numpy's other lazy submodules. The three
functions the role model uses are ufuncs of one compiled module of scipy
(`scipy.special._special_ufuncs`), which needs only numpy. It is loaded here from
scipy's install by its own file, so they are the very same ufunc objects
`scipy.special` exports (the same floats, bit for bit); should scipy move them, the
functions come from `scipy.special` as before. The module is registered under its own
name, so a later `import scipy.special` finds and reuses it.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from functools import cache
from types import ModuleType
from typing import Any

_MODULE = "scipy.special._special_ufuncs"
_NAMES = ("gammaln", "betaln", "gammaincinv")


@cache
def _ufuncs() -> Any:
    """The module (or `scipy.special` itself) that holds the functions in `_NAMES`."""
    loaded = sys.modules.get(_MODULE) or _load_compiled()
    if loaded is not None and all(hasattr(loaded, name) for name in _NAMES):
        return loaded
    import scipy.special

    return scipy.special


def _load_compiled() -> ModuleType | None:
    """`scipy.special._special_ufuncs` from its file, without running the `scipy` and
    `scipy.special` packages' own imports; None when it cannot be found or loaded."""
    scipy_spec = importlib.util.find_spec("scipy")  # a top-level spec: scipy not imported
    if scipy_spec is None or not scipy_spec.submodule_search_locations:
        return None
    folders = [f"{root}/special" for root in scipy_spec.submodule_search_locations]
    for folder in folders:
        finder = importlib.machinery.FileFinder(
            folder,
            (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
        )
        spec = finder.find_spec(_MODULE)
        if spec is None or spec.loader is None:
            continue
        try:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except ImportError:
            return None
        sys.modules[_MODULE] = module
        return module
    return None


def load() -> None:
    """Load the functions now (before a fork, so the workers inherit them)."""
    _ufuncs()


def gammaln(x: Any) -> Any:
    """`scipy.special.gammaln(x)`: log |Gamma(x)|, element-wise."""
    return _ufuncs().gammaln(x)


def betaln(a: Any, b: Any) -> Any:
    """`scipy.special.betaln(a, b)`: log |Beta(a, b)|, element-wise."""
    return _ufuncs().betaln(a, b)


def gammaincinv(a: Any, y: Any) -> Any:
    """`scipy.special.gammaincinv(a, y)`: the x with regularised lower incomplete gamma
    P(a, x) = y, element-wise."""
    return _ufuncs().gammaincinv(a, y)
