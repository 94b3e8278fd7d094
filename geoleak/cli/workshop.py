"""The `workshop` command: the technique as a story for a room, on the demo unit by default."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import click

from geoleak.cli.app import (
    absolute_paths_option,
    basemap_option,
    finish_diagnostics,
    main,
    make_diagnostics,
    warn,
)
from geoleak.cli.core import input_options
from geoleak.errors import UsageError
from geoleak.outputs import check_output_dir, staged_output_dir
from geoleak.paths import GENERATED_DEMO, path_names, shown_path


def _scenario_inputs(inputs: tuple[str, ...]) -> tuple[list[str], Path | None]:
    """A scenario folder stands for its posts.jsonl, and brings its truth.csv."""
    resolved: list[str] = []
    truth: Path | None = None
    for item in inputs:
        path = Path(item)
        if path.is_dir() and (path / "posts.jsonl").is_file():
            resolved.append(str(path / "posts.jsonl"))
            if (path / "truth.csv").is_file():
                truth = path / "truth.csv"
        else:
            if path.name == "posts.jsonl" and (path.parent / "truth.csv").is_file():
                truth = path.parent / "truth.csv"
            resolved.append(item)
    return resolved, truth


@main.command(name="workshop")
@click.argument("inputs", nargs=-1, type=click.Path(exists=True))
@click.option("-o", "--out", "output", required=True, type=click.Path(file_okay=False),
              help="Folder for index.html (the story) and workshop.json.")  # fmt: skip
@click.option("--participant", metavar="FOLDER_OR_EXPORT", type=click.Path(exists=True),
              help="A participant's own photos or export: the story about them, ending with "
                   "the audit and the scrub commands for their files.")  # fmt: skip
@click.option("--truth", type=click.Path(dir_okay=False, exists=True),
              help="truth.csv to score the what-if runs (a scenario folder brings its own).")  # fmt: skip
@basemap_option
@input_options
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes to use for reading and for each what-if run (default: all "
                   "cores).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the what-if results as JSON.")
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty although geoleak did not write it.")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="No warnings or progress on stderr.")
@absolute_paths_option
def workshop_command(inputs: tuple[str, ...], output: str, participant: str | None,
                     truth: str | None, basemap_file: str | None, source: str | None,
                     author: str | None, workers: int | None, as_json: bool, force: bool,
                     quiet: bool) -> None:  # fmt: skip
    """Write a one-page workshop a trainer walks a room through, offline.

    Six steps with speaker notes: one photo and its metadata, a week of posts, the nights
    (a home), the working days (a base), the unit (a shared site), and what each person
    could have done (inference re-run without EXIF GPS, without geotags, without check-ins,
    and with posting times only; the leakage curve). Arrow keys / space / PageUp /
    PageDown move through the steps, N shows the speaker notes. Works on the demo unit
    when no INPUT is given. Nothing is fetched; nothing is written outside --out.

    \b
    Examples:
      geoleak workshop --out workshop/ && xdg-open workshop/index.html
      geoleak workshop --out ws/ --basemap region.mbtiles
      geoleak workshop /tmp/unit --out ws/            # a generated scenario folder
      geoleak workshop --participant ~/Pictures/2025 --out ~/my-workshop
    """
    from geoleak.children import available_cpus
    from geoleak.evaluate import load_truth
    from geoleak.geocode import build_geocoder
    from geoleak.pipeline import collect_evidence
    from geoleak.report.tilesets import open_tileset
    from geoleak.report.workshop import build_workshop, unscored_note, write_workshop

    started = time.monotonic()
    workers = workers if workers is not None else available_cpus()
    if participant and inputs:
        raise UsageError("give either INPUTS (a unit) or --participant (one person's files)")
    check_output_dir(output, force=force)
    street = open_tileset(basemap_file) if basemap_file else None
    tmp: str | None = None
    # A zip's extracted folder lives until the pages are written: they show its photos.
    archives = ExitStack()
    try:

        def say(message: str) -> None:
            if not quiet:
                click.echo(f"workshop: {message}", err=True)

        audit_lines: list[str] = []
        truth_path = Path(truth) if truth else None
        if participant:
            paths = [participant]
        elif inputs:
            paths, found_truth = _scenario_inputs(inputs)
            truth_path = truth_path or found_truth
        else:
            from geoleak.cli.core import _default_sample

            sample = _default_sample()
            if sample is None:
                from geoleak.scenario import demo_config, generate

                tmp = tempfile.mkdtemp(prefix="geoleak-workshop-")
                say("generating the demo unit (no ./sample_media here)")
                generate(demo_config(), tmp)
                path_names().add_folder(tmp, GENERATED_DEMO)
                sample = Path(tmp)
            paths, found_truth = _scenario_inputs((str(sample),))
            truth_path = truth_path or found_truth
        diag = make_diagnostics(quiet)
        say(f"reading {', '.join(shown_path(p) for p in paths)}")
        collected = collect_evidence(
            paths, diag=diag, source=source, author=author, workers=workers,
            geocoder=build_geocoder("gazetteer"), archives=archives,
        )  # fmt: skip
        finish_diagnostics(diag)
        if participant:
            from geoleak.remedy.audit import audit

            say("auditing your files")
            audit_lines = audit(
                paths, source=source, author=author, diag=make_diagnostics(True)
            ).summary_lines()
        workshop = build_workshop(
            collected,
            truth=load_truth(truth_path) if truth_path else None,
            participant_inputs=paths if participant else None,
            audit_lines=audit_lines,
            workers=workers,
            progress=say,
        )
        notes: list[str] = []
        with staged_output_dir(output) as staged:  # (Ctrl-C leaves the folder as it was)
            written = staged.published(
                write_workshop(workshop, staged.path, basemap_tiles=street, messages=notes)
            )
    finally:
        archives.close()
        if street is not None:
            street.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if not quiet:
        for note in notes:
            warn(note)
    if as_json:
        click.echo(json.dumps({"files": [str(p) for p in written],
                               "what_if": [run.to_json() for run in workshop.runs]}, indent=1))  # fmt: skip
    else:
        for run in workshop.runs:
            click.echo(f"{run.label:<52} homes {run.score('home')}  "
                       f"bases {run.score('base')}")  # fmt: skip
        unscored = unscored_note(workshop.runs)
        if unscored is not None:
            click.echo(unscored)
        click.echo(f"workshop: {written[0]}  ({time.monotonic() - started:.1f} s, offline; "
                   "keys: arrows/space, N notes)")  # fmt: skip
