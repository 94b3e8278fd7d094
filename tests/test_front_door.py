"""The package's front door: `import geoleak` is light, and the stages load when used."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from infer_helpers import year_of_life

import geoleak
from geoleak.report.plots import leakage_curve
from geoleak.types import LatLon, SharedSite


def test_import_geoleak_does_not_load_the_heavy_stages() -> None:
    code = (
        "import sys, geoleak; "
        "print(sorted(m for m in ('geoleak.infer', 'geoleak.pipeline', 'geoleak.report.maps', "
        "'sklearn', 'folium') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_pipeline_loads_scipy_special_only_to_infer() -> None:
    """scipy.special takes ~0.4 s to import: a command's start-up (and the parent process
    of a multi-worker run, whose workers infer) does without it."""
    code = (
        "import sys, geoleak.cli.core, geoleak.pipeline, geoleak.infer, geoleak.engine; "
        "print('scipy.special' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "name", ["run", "LeakInference", "write_maps", "write_report", "audit", "scrub"]
)
def test_front_door_names_resolve(name: str) -> None:
    assert callable(getattr(geoleak, name))
    assert name in dir(geoleak)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = geoleak.nope  # type: ignore[attr-defined]


def test_inferred_sites_are_frozen() -> None:
    site = SharedSite("S1", LatLon(69.45, 24.5), 120.0, ("a", "b"), 30, 12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.radius_m = 5.0  # type: ignore[misc]
    assert site.to_json()["people_count"] == 2


def test_leakage_curve_uses_the_given_parameters() -> None:
    home = LatLon(69.6496, 18.9560)
    evidence = year_of_life("p", home, None, weeks=12)
    default = leakage_curve("p", evidence)
    strict = leakage_curve("p", evidence, inference=geoleak.LeakInference(min_home_days=400))
    assert default is not None and default.found_at is not None
    assert strict is None  # no home is ever found with a 400-day floor


@pytest.mark.parametrize("inference", [False, True])
def test_shards_are_warmed_with_scipy_special_only_when_they_infer(inference: bool) -> None:
    """Before the shards fork, the parent loads what they will use: the role model's
    special functions (scipy's compiled module, not the scipy.special package) only when
    the shards infer their people (not for ingest into a store, audit or maps)."""
    code = (
        "import sys; from geoleak.pipeline import _warm; "
        f"_warm(None, inference={inference}); "
        "print('scipy.special._special_ufuncs' in sys.modules, 'scipy.special' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"{inference} False"
