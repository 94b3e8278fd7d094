"""geoleak: how much location a person gives away through what they publish.

The front door, the same technique as the CLI:

    import geoleak
    result = geoleak.run(["posts.jsonl"])                  # inputs -> evidence -> profiles
    model = geoleak.LeakInference(eps_m=80).fit(result.evidence)   # re-infer, own params
    geoleak.write_maps(model.profiles_, result.evidence, "maps/")
    geoleak.write_report(model.profiles_, result.evidence, "report/index.html")
    geoleak.audit(["photos/"]); geoleak.scrub(["photos/"], ...)

The heavy stages (inference, maps, reports, remedies) are imported on first use, so
`import geoleak` and `geoleak --help` stay fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from geoleak.errors import GeoleakError
from geoleak.types import (
    Evidence,
    LatLon,
    Place,
    PlaceKind,
    Post,
    Profile,
    SensitiveSite,
    SharedSite,
)

if TYPE_CHECKING:
    from geoleak.infer import LeakInference
    from geoleak.pipeline import run
    from geoleak.remedy.audit import audit
    from geoleak.remedy.scrub import scrub_paths as scrub
    from geoleak.report.maps import write_maps
    from geoleak.report.report import write_report

__version__ = "0.1.0"

__all__ = [
    "Evidence",
    "GeoleakError",
    "LatLon",
    "LeakInference",
    "Place",
    "PlaceKind",
    "Post",
    "Profile",
    "SensitiveSite",
    "SharedSite",
    "__version__",
    "audit",
    "run",
    "scrub",
    "write_maps",
    "write_report",
]

# name -> (module, attribute): imported when first asked for.
_LAZY = {
    "run": ("geoleak.pipeline", "run"),
    "LeakInference": ("geoleak.infer", "LeakInference"),
    "write_maps": ("geoleak.report.maps", "write_maps"),
    "write_report": ("geoleak.report.report", "write_report"),
    "audit": ("geoleak.remedy.audit", "audit"),
    "scrub": ("geoleak.remedy.scrub", "scrub_paths"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'geoleak' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
