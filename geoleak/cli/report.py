"""The `report` and `export` commands: a thin layer over geoleak.report."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geoleak.cli.app import (
    absolute_paths_option,
    basemap_option,
    finish_diagnostics,
    geocoder_options,
    main,
    make_diagnostics,
    progress_bar,
    progress_counter,
    warn,
)
from geoleak.cli.core import input_options
from geoleak.cli.exports import sensitive_markers, sites_option
from geoleak.errors import UsageError
from geoleak.geocode import build_geocoder
from geoleak.outputs import check_output_dir, staged_output_dir
from geoleak.types import Evidence, LatLon, Profile

if TYPE_CHECKING:
    from geoleak.infer import LeakInference

_Loaded = tuple[
    list[Profile], dict[str, list[Evidence]], list[Any], list[str], "LeakInference | None"
]


def _estimator(path: str, parameters: dict[str, Any] | None, quiet: bool) -> LeakInference | None:
    """The estimator a profiles.json was made with (None: the file does not say; defaults)."""
    if parameters is None:
        return None
    from geoleak.infer import estimator_from_json

    try:
        model, unknown = estimator_from_json(parameters)
    except ValueError as exc:
        raise UsageError(f"{path}: generated_by.parameters: {exc}") from None
    if unknown and not quiet:
        warn(f"{path}: unknown inference parameters left at their defaults: {', '.join(unknown)}")
    return model


def _load(
    inputs: Sequence[str],
    profiles_path: str | None,
    source: str | None,
    author: str | None,
    quiet: bool,
    geocoder: Any = None,
    archives: ExitStack | None = None,
) -> _Loaded:
    """Profiles, evidence, sites, summary lines and the estimator the profiles came from:
    inferred from INPUTS (default parameters, estimator None), or read from a file (with the
    parameters it records); evidence built exactly as `infer` builds it. `archives`: the
    folders zip inputs are extracted to stay until it closes (the pages' thumbnails read
    the photos there)."""
    from geoleak.pipeline import collect_evidence, run
    from geoleak.profiles import load_profiles_with_parameters

    if not inputs and not profiles_path:
        raise UsageError("give at least one INPUT (corpus, export or folder), or --profiles")
    diag = make_diagnostics(quiet)
    if profiles_path:
        profiles, sites, parameters = load_profiles_with_parameters(profiles_path)
        inference = _estimator(profiles_path, parameters, quiet)
        evidence: dict[str, list[Evidence]] = {}
        lines: list[str] = []
        if inputs:
            with progress_counter("reading") as progress:
                collected = collect_evidence(
                    inputs, diag=diag, source=source, author=author, progress=progress,
                    geocoder=geocoder, archives=archives,
                )  # fmt: skip
            evidence, lines = collected.evidence, collected.stats.summary_lines()
        finish_diagnostics(diag)
        return profiles, evidence, list(sites), lines, inference
    with progress_counter("reading") as progress:
        result = run(inputs, diag=diag, source=source, author=author, progress=progress,
                     geocoder=geocoder, archives=archives)  # fmt: skip
    finish_diagnostics(diag)
    summary = result.stats.summary_lines()
    return result.profiles, result.evidence, list(result.sites), summary, None


def _truth_homes(path: str | None) -> dict[str, list[LatLon]]:
    """Every true home of each person, earliest first (a mover has an old and a current one)."""
    if not path:
        return {}
    from datetime import date

    from geoleak.evaluate import load_truth

    homes: dict[str, list[tuple[date, LatLon]]] = {}
    for row in load_truth(path):
        if row.kind == "home" and row.position is not None:
            homes.setdefault(row.person, []).append((row.valid_from or date.min, row.position))
    return {
        person: [p for _, p in sorted(rows, key=lambda r: r[0])] for person, rows in homes.items()
    }


@main.command(name="report")
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option(
    "-o",
    "--output",
    default="report",
    show_default=True,
    help="Folder for report.html and the map pages.",
)
@click.option(
    "--profiles",
    "profiles_path",
    type=click.Path(dir_okay=False),
    help="Use this profiles.json instead of inferring (INPUTS then only add evidence).",
)
@click.option(
    "--truth",
    type=click.Path(dir_okay=False),
    help="truth.csv: the leakage plot measures against the true home.",
)
@click.option(
    "--tiles",
    metavar="NAME|URL",
    help="Web basemap for the map pages ('osm' or a URL template). Default: the bundled "
    "offline world map (fetching tiles tells the server where you "
    "look).",
)
@basemap_option
@click.option("--no-maps", is_flag=True, help="Write report.html only (no per-person map pages).")
@click.option("--no-plots", is_flag=True, help="Skip the leakage-over-time plots (faster).")
@click.option("--json", "as_json", is_flag=True, help="Print the paths written as JSON on stdout.")
@input_options
@geocoder_options
@sites_option
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty although geoleak did not write it.")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="No warnings or summary on stderr.")
@absolute_paths_option
def report_command(
    inputs: tuple[str, ...],
    output: str,
    profiles_path: str | None,
    truth: str | None,
    tiles: str | None,
    basemap_file: str | None,
    no_maps: bool,
    no_plots: bool,
    as_json: bool,
    source: str | None,
    author: str | None,
    places: str | None,
    geocoder_name: str,
    user_agent: str | None,
    geocode_cache: str | None,
    sites_file: str | None,
    near_m: float,
    force: bool,
    quiet: bool,
) -> None:
    """Write one self-contained HTML report of what INPUTS give away.

    Per person: what leaked (by source, devices, time range), the inferred places with
    their explanations, an exposure level with concrete advice, and how many posts it took
    to find the home; then the unit-level sites. The report embeds the overview map and
    links each place and post to its pin on the person's map page (written beside it).
    Works offline; nothing is fetched unless --tiles asks for web tiles.

    \b
    Example:
      geoleak report sample_media/posts.jsonl -o report/ --truth sample_media/truth.csv
      xdg-open report/report.html
    """
    from geoleak.report.maps import resolve_tiles
    from geoleak.report.tilesets import open_tileset

    resolve_tiles(tiles)  # a bad --tiles fails before the corpus is read
    check_output_dir(output, force=force)
    street = open_tileset(basemap_file) if basemap_file else None
    geocoder = build_geocoder(geocoder_name, places=places, user_agent=user_agent,
                              cache_path=geocode_cache)  # fmt: skip
    # (a zip's extracted folder lives until the pages are written: their thumbnails read it)
    with ExitStack() as archives:
        if street is not None:
            archives.callback(street.close)
        _report(inputs, output, profiles_path, truth, tiles, street, no_maps, no_plots, as_json,
                source, author, sites_file, near_m, quiet, geocoder, archives)  # fmt: skip


def _report(inputs: tuple[str, ...], output: str, profiles_path: str | None, truth: str | None,
            tiles: str | None, street: Any, no_maps: bool, no_plots: bool, as_json: bool,
            source: str | None, author: str | None, sites_file: str | None, near_m: float,
            quiet: bool, geocoder: Any = None,
            archives: ExitStack | None = None) -> None:  # fmt: skip
    from geoleak.report.maps import write_maps
    from geoleak.report.report import write_report

    profiles, evidence, sites, lines, inference = _load(
        inputs, profiles_path, source, author, quiet, geocoder, archives
    )
    if not quiet:
        for line in lines:
            click.echo(line, err=True)
    sites += sensitive_markers(sites_file, evidence, profiles, near_m=near_m, quiet=quiet)
    # (written beside the folder and moved in at the end: Ctrl-C leaves the folder as it was)
    with staged_output_dir(output) as staged:
        out = staged.path
        written: list[Path] = []
        notes: list[str] = []
        if not no_maps:
            written += write_maps(
                profiles, evidence, out, tiles=tiles, sites=sites, report_link="report.html",
                basemap_file=street, messages=notes,
            )  # fmt: skip
        people = len({p.person for p in profiles} | set(evidence))
        with ExitStack() as stack:
            step: Callable[[int], None] | None = None
            if not quiet:
                update = stack.enter_context(progress_bar(people, "writing report"))

                def step(_done: int) -> None:
                    update(1)

            report = write_report(
                profiles,
                evidence,
                out / "report.html",
                sites=sites,
                stats_lines=lines,
                truth_homes=_truth_homes(truth),
                inference=inference,
                maps_linked=not no_maps,
                plots=not no_plots,
                progress=step,
                basemap_tiles=street,
            )
        if not quiet:
            for note in dict.fromkeys(notes):
                click.echo(f"warning: {note}", err=True)
        written.insert(0, report)
    written = staged.published(written)
    if as_json:
        click.echo(
            json.dumps({"report": str(written[0]), "files": [str(p) for p in written]}, indent=1)
        )
    elif not quiet:
        click.echo(f"wrote {written[0]} and {len(written) - 1} map pages", err=True)


@main.command(name="export")
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("-o", "--output", default="export", show_default=True, help="Folder for the files.")
@click.option(
    "-f",
    "--format",
    "formats",
    default="geojson,kml,csv",
    show_default=True,
    help="Comma-separated: geojson (RFC 7946), kml (Google Earth), csv.",
)
@click.option(
    "--profiles",
    "profiles_path",
    type=click.Path(dir_okay=False),
    help="Use this profiles.json instead of inferring (INPUTS then only add evidence).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the paths written as JSON on stdout.")
@input_options
@geocoder_options
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty although geoleak did not write it.")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="No warnings or summary on stderr.")
@absolute_paths_option
def export_command(
    inputs: tuple[str, ...],
    output: str,
    formats: str,
    profiles_path: str | None,
    as_json: bool,
    source: str | None,
    author: str | None,
    places: str | None,
    geocoder_name: str,
    user_agent: str | None,
    geocode_cache: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Export inferred places, shared sites and every located post of INPUTS.

    geoleak.geojson holds places, sites and evidence points ([lon, lat] as RFC 7946 says);
    geoleak.kml opens in Google Earth; evidence.csv and places.csv have one row per post /
    place, with post id, source, local time and the media path.

    \b
    Example:
      geoleak export sample_media/posts.jsonl -o export/ --format geojson,csv
    """
    from geoleak.report.exports import EXPORT_FORMATS, write_exports

    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in EXPORT_FORMATS]
    if unknown or not wanted:
        raise UsageError(
            f"unknown export format {(unknown or [formats])[0]!r}; choose from "
            f"{', '.join(EXPORT_FORMATS)}"
        )
    out = check_output_dir(output, force=force)
    geocoder = build_geocoder(geocoder_name, places=places, user_agent=user_agent,
                              cache_path=geocode_cache)  # fmt: skip
    profiles, evidence, sites, lines, _inference = _load(
        inputs, profiles_path, source, author, quiet, geocoder
    )
    if not quiet:
        for line in lines:
            click.echo(line, err=True)
    with staged_output_dir(out) as staged:
        written = staged.published(
            write_exports(profiles, evidence, staged.path, formats=wanted, sites=sites)
        )
    if as_json:
        click.echo(json.dumps({"files": [str(p) for p in written]}, indent=1))
    elif not quiet:
        click.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)
