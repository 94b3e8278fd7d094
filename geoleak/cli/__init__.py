"""The `geoleak` command line: a thin layer over the Python API.

`app` holds the command group and shared helpers; each other module here adds one command
(or a few related ones) to it. The group imports a command's module when the command is
run (or listed), so `geoleak scan` does not pay for importing inference, maps and reports.
`geoleak.cli.app.load_commands()` registers them all at once.
"""

from geoleak.cli.app import main

__all__ = ["main"]
