"""geoleak: how much location a person gives away through what they publish.

The Python API mirrors the CLI: `geoleak.pipeline.run` takes inputs (corpora, exports,
folders of media) and returns per-person profiles with the evidence behind each place.
"""

from geoleak.errors import GeoleakError
from geoleak.types import Evidence, LatLon, Place, PlaceKind, Post, Profile

__version__ = "0.1.0"

__all__ = [
    "Evidence",
    "GeoleakError",
    "LatLon",
    "Place",
    "PlaceKind",
    "Post",
    "Profile",
    "__version__",
]
