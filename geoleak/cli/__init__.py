"""The `geoleak` command line: a thin layer over the Python API.

`app` holds the command group and shared helpers; each other module here adds one command
(or a few related ones) to it. Importing this package registers them all.
"""

from geoleak.cli.app import main

# Command modules attach themselves to `main` on import.
from geoleak.cli import core as _core  # noqa: E402,F401  (registration)
from geoleak.cli import exports as _exports  # noqa: E402,F401  (registration)
from geoleak.cli import report as _report  # noqa: E402,F401  (registration)
from geoleak.cli import remedy as _remedy  # noqa: E402,F401  (registration)
from geoleak.cli import scan as _scan  # noqa: E402,F401  (registration)

__all__ = ["main"]
