"""The `geoleak` command group and what every command shares.

Each command parses its arguments, calls the library and prints. Results go to stdout or
files, progress and warnings to stderr. A user error (GeoleakError) is printed as one line
and exits with status 2; no traceback.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any, TypeVar

import click

from geoleak import __version__
from geoleak.diagnostics import Diagnostics
from geoleak.errors import GeoleakError, Terminated
from geoleak.paths import path_names, showing_paths

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM

# The module under geoleak.cli that defines each command. `geoleak scan` imports only the
# scan module (and what it needs), not the whole program: start-up is a large share of a
# short command. A command missing here still works (every module is then loaded); a test
# keeps the map complete.
COMMAND_MODULES = {
    "audit": "remedy", "demo": "core", "evaluate": "core", "export": "report",
    "geocode": "exports", "infer": "core", "ingest": "store", "map": "core",
    "report": "report", "scan": "scan", "scenario": "core", "scrub": "remedy",
    "sites": "exports", "sources": "exports", "workshop": "workshop",
}  # fmt: skip


def load_commands() -> None:
    """Import every command module (each registers its commands on `main`)."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"geoleak.cli.{module}")


class GeoleakGroup(click.Group):
    """A click group that turns GeoleakError and click's usage errors into one line on
    stderr and exit status 2, and imports a command's module only when it is run."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            module = COMMAND_MODULES.get(cmd_name)
            if module is not None:
                importlib.import_module(f"geoleak.cli.{module}")
            if cmd_name not in self.commands:
                load_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        load_commands()
        return super().list_commands(ctx)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        # The program's own process (the `geoleak` script, `python -m geoleak`) reads its
        # arguments from sys.argv; a caller that passes them (click's CliRunner, a script
        # calling `main(args)`) gets exit statuses, never a signal.
        entry = (args[0] if args else kwargs.get("args")) is None
        _STOPPED_BY.clear()
        for stream in (sys.stdout, sys.stderr):
            # a file name that is not UTF-8 (held as surrogate escapes) prints escaped
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="backslashreplace")
        try:
            with terminating_cleanly():
                code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `geoleak`: the help
                exc.show()
                sys.exit(EXIT_USER_ERROR)
            where = exc.ctx.command_path if exc.ctx is not None else "geoleak"
            message = exc.format_message().rstrip(".")
            click.echo(f"geoleak: error: {message} (see '{where} --help')", err=True)
            sys.exit(EXIT_USER_ERROR)
        except click.ClickException as exc:
            click.echo(f"geoleak: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort as exc:  # (click's, for Ctrl-C or SIGTERM before a command runs)
            code = _stopped(exc.__cause__ or exc.__context__)
        if entry and _STOPPED_BY:
            _end_by_signal(_STOPPED_BY[-1])
        # The command is done, its files written and closed. What it leaves (a large run's
        # millions of objects) need not be walked again by the collections the interpreter
        # makes as it exits: ~0.1 CPU s after `infer` on 20,000 posts, all serial.
        atexit.unregister(gc.freeze)  # (once, however many commands a process runs)
        atexit.register(gc.freeze)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with showing_paths():  # each command names the files of its own inputs
                return super().invoke(ctx)
        except GeoleakError as exc:
            click.echo(f"geoleak: error: {exc}", err=True)
            ctx.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (`Terminated`)
            ctx.exit(_stopped(exc))
        except BrokenPipeError:
            ctx.exit(0)


@contextmanager
def terminating_cleanly() -> Iterator[None]:
    """While the block runs (in the main thread), SIGTERM raises `Terminated`: the command
    unwinds as on Ctrl-C (see `geoleak.children`). The handler before it is put back. A
    command started with SIGTERM ignored keeps ignoring it, as Python keeps an ignored
    SIGINT ignored (its workers then ignore it too)."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    ):
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


# The signal that stopped the command (`_stopped`), for `_end_by_signal`.
_STOPPED_BY: list[signal.Signals] = []


def _stopped(stop: BaseException | None) -> int:
    """Say that the command was stopped, and by what; its exit status."""
    if isinstance(stop, Terminated):
        click.echo("geoleak: terminated", err=True)
        _STOPPED_BY.append(signal.SIGTERM)
        return EXIT_TERMINATED
    click.echo("geoleak: interrupted", err=True)
    _STOPPED_BY.append(signal.SIGINT)
    return EXIT_INTERRUPTED


def _end_by_signal(number: signal.Signals) -> None:
    """End this process by the signal that stopped it, once its work is unwound (temporary
    folders removed, workers ended) and its exit handlers have run: a shell script running
    geoleak in a loop then stops on Ctrl-C too, as it would for any program killed by it
    (bash's "wait and cooperative exit"; CPython ends the same way on an uncaught
    KeyboardInterrupt). The shell reports the status as 128 + the signal: 130 or 143."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    atexit._run_exitfuncs()
    if hasattr(os, "kill") and number in signal.valid_signals():
        signal.signal(number, signal.SIG_DFL)
        if hasattr(signal, "pthread_sigmask"):  # (a held signal would wait)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
        os.kill(os.getpid(), number)
        time.sleep(1)  # (delivered at once on POSIX; not reached)


def warn(message: str) -> None:
    """Print a warning line on stderr."""
    click.echo(f"warning: {message}", err=True)


def make_diagnostics(quiet: bool = False) -> Diagnostics:
    """Warnings printed as they come (none with `quiet`). They name files as the outputs
    do (`Diagnostics.warn_file`, `shown_path`): the command's inputs as typed, never the
    folder an archive was extracted to."""
    return Diagnostics(None if quiet else warn)


def finish_diagnostics(diag: Diagnostics) -> None:
    """Say how many warnings were not printed, by kind."""
    if diag.suppressed:
        kinds = ", ".join(f"{n} {k}" for k, n in diag.by_kind.most_common())
        click.echo(f"warning: {diag.suppressed} more warnings not shown ({kinds})", err=True)


@contextmanager
def progress_bar(length: int | None, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields a callback taking the number of items just done."""
    bar_context: Any = click.progressbar(
        length=length, label=label, file=sys.stderr, show_pos=True, show_eta=True
    )
    with bar_context as bar:
        yield bar.update


@contextmanager
def progress_counter(label: str, unit: str = "posts") -> Iterator[Callable[[int], None]]:
    """A running count on stderr for work of unknown length (only on a terminal)."""
    done = 0
    show = sys.stderr.isatty()

    def update(n: int) -> None:
        nonlocal done
        done += n
        if show:
            sys.stderr.write(f"\r{label}: {done} {unit}")
            sys.stderr.flush()

    try:
        yield update
    finally:
        if show and done:
            sys.stderr.write("\n")


@click.group(cls=GeoleakGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoleak")
def main() -> None:
    """geoleak: see how much location photos and posts give away, and remove it.

    \b
    Examples:
      geoleak demo                                  # fictional unit, maps in ./maps
      geoleak infer corpus/posts.jsonl -o profiles.json
      geoleak map profiles.json corpus/posts.jsonl -o maps/
      geoleak evaluate profiles.json --truth truth.csv

    geoleak reads local files only; it never contacts a network service unless an
    option asks for it explicitly.
    """


def basemap_option(func: F) -> F:
    """--basemap FILE: street tiles from a local raster MBTiles/PMTiles file, inlined."""
    return click.option(
        "--basemap",
        "basemap_file",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="Street-level basemap from a local raster MBTiles or PMTiles file (tiles around "
        "the evidence are inlined: pages stay offline). See README: 'Street-level maps offline'.",
    )(func)


def absolute_paths_option(func: F) -> F:
    """--absolute-paths: outputs name files by their absolute paths (see geoleak.paths)."""

    def use(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        path_names().absolute = value

    return click.option(
        "--absolute-paths",
        is_flag=True,
        expose_value=False,
        callback=use,
        help="Name files by their absolute paths in the outputs (default: as under the "
        "input you gave, and 'export.zip!/member' inside an archive).",
    )(func)


def geocoder_options(func: Any) -> Any:
    """--places, --geocoder, --user-agent, --geocode-cache: how place names become positions."""
    func = click.option(
        "--geocode-cache",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="SQLite cache of online answers (default: ~/.cache/geoleak/).",
    )(func)
    func = click.option(
        "--user-agent",
        metavar="TEXT",
        help="Identify yourself to an online geocoder (required by Nominatim).",
    )(func)
    func = click.option(
        "--geocoder",
        "geocoder_name",
        default="gazetteer",
        show_default=True,
        metavar="NAME",
        help="gazetteer (offline GeoNames), none, or an online geopy service such as "
        "nominatim (contacts the service; only when you ask).",
    )(func)
    return click.option(
        "--places",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="Your own places (GeoJSON or CSV name,lat,lon[,radius_m]), "
        "looked up before the gazetteer.",
    )(func)
