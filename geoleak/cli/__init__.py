"""The `geoleak` command line: a thin layer over the Python API.

`app` holds the command group and shared helpers; each other module here adds one command
(or a few related ones) to it. Importing this package registers them all.
"""

# Command modules attach themselves to `main` on import.
from geoleak.cli import core as _core  # noqa: F401  (registration)
from geoleak.cli import exports as _exports  # noqa: F401  (registration)
from geoleak.cli import remedy as _remedy  # noqa: F401  (registration)
from geoleak.cli import report as _report  # noqa: F401  (registration)
from geoleak.cli import scan as _scan  # noqa: F401  (registration)
from geoleak.cli import store as _store  # noqa: F401  (registration)
from geoleak.cli import workshop as _workshop  # noqa: F401  (registration)
from geoleak.cli.app import main

__all__ = ["main"]
