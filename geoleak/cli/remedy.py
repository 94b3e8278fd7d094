"""The `audit` and `scrub` commands: what a person's own files give away, and removing it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

import click

from geoleak.cli.app import (
    absolute_paths_option,
    finish_diagnostics,
    geocoder_options,
    main,
    make_diagnostics,
    progress_bar,
    progress_counter,
)
from geoleak.errors import UsageError
from geoleak.outputs import atomic_write_text, check_output_dir, check_output_file
from geoleak.remedy.model import NEAR_M, ScrubOptions
from geoleak.remedy.scrub import iter_input_files, scrub_paths
from geoleak.wording import count as count_of

EXIT_LEAK = 1


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    help="Folder for the cleaned copies (or a file name for one input file).",
)
@click.option(
    "--in-place",
    is_flag=True,
    help="Replace the originals (each only after its cleaned copy was verified).",
)
@click.option("--dry-run", is_flag=True, help="List what would be removed; write nothing.")
@click.option("--force", is_flag=True,
              help="Overwrite existing output files (in the output folder, the -o file, the "
                   "--json file). Without it a run into a folder where any output exists "
                   "writes nothing.")  # fmt: skip
@click.option(
    "--all-identifying",
    is_flag=True,
    help="Also remove serial numbers, owner/creator names and contacts, unique ids and maker notes.",
)
@click.option("--drop-time", is_flag=True, help="Also remove capture and modification times.")
@click.option("--drop-orientation", is_flag=True, help="Also remove the orientation tag.")
@click.option(
    "--coarsen-km",
    type=click.FloatRange(min=0.001),
    default=None,
    metavar="K",
    help="Keep positions (EXIF GPS, QuickTime ISO 6709) rounded to a grid of K km; "
    "other location fields are still removed.",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(),
    help="Write the per-file report as JSON ('-' for stdout).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes, from 24 files on (default: one per idle CPU, i.e. the CPUs "
    "less the load average; 1 on a busy machine).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or per-file lines.")
def scrub(
    inputs: tuple[Path, ...],
    output: str | None,
    in_place: bool,
    dry_run: bool,
    force: bool,
    all_identifying: bool,
    drop_time: bool,
    drop_orientation: bool,
    coarsen_km: float | None,
    json_out: str | None,
    jobs: int | None,
    quiet: bool,
) -> None:
    """Remove location from photos and videos without re-encoding them.

    Removes EXIF GPS, XMP and IPTC location fields, QuickTime location atoms and FLIR GPS
    records; keeps capture time, orientation and file modification time. Image and
    video data are not touched (byte-identical). Each cleaned copy is re-read and
    verified to hold no position before it is written; a file that cannot be cleaned
    is reported and left out of the output (exit status 1).

    \b
    Examples:
      geoleak scrub ~/Pictures/to-post -o ~/Pictures/to-post-clean
      geoleak scrub IMG_0042.HEIC -o clean.heic --all-identifying
      geoleak scrub export/ --dry-run
      geoleak scrub upload/ --in-place --coarsen-km 10
    """
    if in_place and output is not None:
        raise UsageError("give either -o OUT or --in-place, not both")
    if output is None and not in_place and not dry_run:
        raise UsageError("give an output folder with -o OUT (or --in-place, or --dry-run)")
    if json_out is not None and json_out != "-":
        check_output_file(json_out, force=force)
    options = ScrubOptions(
        all_identifying=all_identifying,
        drop_time=drop_time,
        drop_orientation=drop_orientation,
        coarsen_km=coarsen_km,
    )
    diag = make_diagnostics(quiet)
    total = sum(1 for _ in iter_input_files(inputs))
    if quiet or total < 20:
        report = scrub_paths(
            inputs,
            output,
            options,
            in_place=in_place,
            dry_run=dry_run,
            force=force,
            diag=diag,
            workers=jobs,
        )
    else:
        with progress_bar(total, "scrubbing") as advance:
            report = scrub_paths(
                inputs,
                output,
                options,
                in_place=in_place,
                dry_run=dry_run,
                force=force,
                diag=diag,
                progress=advance,
                workers=jobs,
            )
    finish_diagnostics(diag)
    to_stdout = json_out is not None and json_out == "-"
    # `-o /dev/stdout > clean.jpg`: the cleaned bytes are stdout, the words go to stderr
    words_to_stderr = output is not None and _is_stdout(output)
    if not quiet and not to_stdout:
        for outcome in report.outcomes:
            if outcome.status in ("cleaned", "would-clean") and outcome.removed:
                fields = ", ".join(sorted({f.field for f in outcome.removed}))
                verb = "would remove" if dry_run else "removed"
                if coarsen_km is not None:
                    verb += " or coarsened"
                click.echo(f"{outcome.source}: {verb} {fields}", err=words_to_stderr)
            if outcome.status != "failed":
                for note in outcome.notes:
                    click.echo(f"{outcome.source}: note: {note}", err=True)
    if not to_stdout:
        for line in report.summary_lines():
            click.echo(line, err=words_to_stderr)
    if json_out is not None:
        text = json.dumps(report.to_json(), indent=2, ensure_ascii=False)
        if to_stdout:
            click.echo(text)
        else:
            atomic_write_text(json_out, text + "\n")
    if report.failed:
        sys.exit(EXIT_LEAK)


def _is_stdout(path: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, io.UnsupportedOperation):  # (no stdout, or not a file)
        return False


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--source", default=None, help="Input format when it cannot be recognised (as for `infer`)."
)
@click.option(
    "--author", default=None, help="Person name for a folder of media (default: folder name)."
)
@click.option(
    "--near-m",
    type=click.FloatRange(min=1),
    default=NEAR_M,
    show_default=True,
    help="List files within this many metres of an inferred home or base.",
)
@click.option(
    "--html",
    "html_out",
    type=click.Path(),
    help="Write an HTML page (with maps in <name>-maps/ beside it).",
)
@click.option(
    "--tiles", default=None, help="Web tiles for the maps ('osm' or a URL); default offline."
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(),
    help="Write the audit as JSON ('-' for stdout).",
)
@click.option(
    "--fail-on-leak",
    is_flag=True,
    help="Exit with status 1 when any position is found, or a file could not be read (for "
    "pre-commit hooks, upload folders).",
)
@geocoder_options
@click.option("--force", is_flag=True,
              help="Overwrite the --html and --json files if they exist, and write the page's "
                   "maps into its <name>-maps/ folder although geoleak did not write it.")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="Print only the result line.")
@absolute_paths_option
def audit(
    inputs: tuple[Path, ...],
    source: str | None,
    author: str | None,
    near_m: float,
    html_out: str | None,
    tiles: str | None,
    json_out: str | None,
    fail_on_leak: bool,
    places: str | None,
    geocoder_name: str,
    user_agent: str | None,
    geocode_cache: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Show what a folder, a photo or a platform export gives away.

    Prints how many files carry a position, the devices and serial numbers, the time
    span, the home and work places geoleak infers from them (with confidence), the files
    within 200 m of those places, and which metadata fields to remove.

    \b
    Examples:
      geoleak audit ~/Pictures/to-post
      geoleak audit takeout.zip --html audit.html --json audit.json
      geoleak audit upload/ --fail-on-leak -q     # in a pre-commit hook
    """
    if json_out is not None and json_out != "-":
        check_output_file(json_out, force=force)
    from geoleak.geocode import build_geocoder  # (not imported by `geoleak scrub`)
    from geoleak.remedy.audit import audit as run_audit
    from geoleak.remedy.audit import audit_maps_dir, write_audit_html

    if html_out is not None:
        check_output_file(html_out, force=force)
        check_output_dir(audit_maps_dir(Path(html_out)), force=force)
    diag = make_diagnostics(quiet)

    geocoder = build_geocoder(geocoder_name, places=places, user_agent=user_agent,
                              cache_path=geocode_cache)  # fmt: skip
    # A zip's extracted folder lives until the page is written: its photos' thumbnails
    # are read from it, as a folder's are.
    with contextlib.ExitStack() as archives:
        if quiet:
            report = run_audit(
                inputs,
                source=source,
                author=author,
                near_m=near_m,
                diag=diag,
                geocoder=geocoder,
                archives=archives,
            )
        else:
            with progress_counter("reading") as progress:
                report = run_audit(
                    inputs, source=source, author=author, near_m=near_m, diag=diag,
                    progress=progress, geocoder=geocoder, archives=archives,
                )  # fmt: skip
        finish_diagnostics(diag)
        to_stdout = json_out is not None and json_out == "-"
        if not to_stdout:
            if quiet:
                unread = len(report.unread)
                click.echo(
                    f"{len(report.located_files)} of {len(report.files)} files give away a position"
                    + (f"; {report.posts_located} located posts" if report.posts_located else "")
                    + (f"; {unread} could not be read (unknown)" if unread else "")
                )
            else:
                for line in report.summary_lines():
                    click.echo(line)
        if html_out is not None:
            written = write_audit_html(report, Path(html_out), tiles=tiles)
            if not to_stdout:
                click.echo(
                    f"wrote {written[0]}"
                    + (f" and {len(written) - 1} map pages" if len(written) > 1 else "")
                )
    if json_out is not None:
        text = json.dumps(report.to_json(), indent=2, ensure_ascii=False)
        if to_stdout:
            click.echo(text)
        else:
            atomic_write_text(json_out, text + "\n")
    if fail_on_leak and report.unread and not report.leaks:
        # a check that could not read a file does not vouch for it (as scrub fails it)
        names = ", ".join(f.path for f in report.unread[:3])
        more = f" and {len(report.unread) - 3} more" if len(report.unread) > 3 else ""
        click.echo(f"--fail-on-leak: {count_of(len(report.unread), 'file')} could not be read, "
                   f"so may give away a position: {names}{more}", err=True)  # fmt: skip
    if fail_on_leak and (report.leaks or report.unread):
        sys.exit(EXIT_LEAK)
