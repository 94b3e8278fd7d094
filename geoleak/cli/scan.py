"""`geoleak scan`: the metadata of every photo and video under some folders, as records."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

from geoleak.cli.app import absolute_paths_option, main, progress_bar
from geoleak.errors import UsageError
from geoleak.extract.scan import (
    SCAN_FIELDS,
    ContentDuplicates,
    ScanSummary,
    csv_row,
    iter_scan_targets,
    jsonl_line,
    scan_converted,
)
from geoleak.outputs import atomic_open, atomic_write_text, check_output_file
from geoleak.paths import path_names


@contextmanager
def _open_output(output: str | None) -> Iterator[IO[str]]:
    if output is None or output == "-":
        yield sys.stdout
        return
    # a temporary file renamed at the end: a scan that fails leaves no half-written output
    with atomic_open(output, newline="") as handle:
        yield handle


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True, help="Record format.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str),
              help="Write records to this file instead of stdout.")  # fmt: skip
@click.option("--force", is_flag=True,
              help="Overwrite the output file (and the --summary-json file) if it exists.")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per CPU).")  # fmt: skip
@click.option("--summary-json", type=click.Path(dir_okay=False, path_type=str),
              help="Also write the summary as JSON to this file ('-' = stderr).")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary on stderr.")
@absolute_paths_option
def scan(
    paths: tuple[str, ...], fmt: str, output: str | None, force: bool, workers: int | None,
    summary_json: str | None, quiet: bool,
) -> None:  # fmt: skip
    """Read the location and device metadata of every photo and video under PATHS.

    Folders are searched recursively. Each file gives one record (docs/formats.md section 4):
    position (lat, lon, alt_m), capture time, GPS time, positioning error, direction,
    make, model, serial, lens, software, where the position came from, warnings and
    error. Formats: JPEG/MPO, TIFF, DNG and TIFF-based raw, RAF, CR3, HEIC/HEIF, AVIF,
    PNG, WebP, JPEG XL, MP4/MOV/3GP (QuickTime, 3GPP, GoPro GPMF, Google CAMM), FLIR
    thermal records, XMP sidecars and Google Takeout JSON sidecars (one whose photo is
    absent is read on its own). Only metadata bytes are read; pixels
    are never decoded. A position of 0, 0 or out of range is not reported (see warnings);
    a missing N/S or E/W reference is read as north/east, with a warning. Hidden files
    and symlinks are not read; their records say "skipped: ..." and why.

    \b
    Examples:
      geoleak scan ~/Pictures -o pictures.jsonl
      geoleak scan trip/ phone/DCIM --format csv -o media.csv --summary-json summary.json
    """
    for path in paths:
        if not os.path.exists(path):
            raise UsageError(f"{path}: no such file or folder")
    if output is not None and output != "-":
        check_output_file(output, force=force)
    if summary_json and summary_json != "-":
        check_output_file(summary_json, force=force)
    summary = ScanSummary()
    show = not quiet and sys.stderr.isatty()
    total = sum(1 for _ in iter_scan_targets(list(paths))) if show else None
    absolute = path_names().absolute
    copies = ContentDuplicates()
    with _open_output(output) as handle, _progress(show, total) as advance:
        # records are serialised in the worker processes; only text crosses back
        if fmt == "csv":
            writer = csv.DictWriter(handle, fieldnames=list(SCAN_FIELDS))
            writer.writeheader()
            targets = iter_scan_targets(list(paths), absolute=absolute)
            for row, digest in scan_converted(
                targets, csv_row, workers=workers, progress=advance, duplicates=copies
            ):
                summary.add_digest(digest)
                writer.writerow(row)
        else:
            write = handle.write
            targets = iter_scan_targets(list(paths), absolute=absolute)
            for line, digest in scan_converted(
                targets, jsonl_line, workers=workers, progress=advance, duplicates=copies
            ):
                summary.add_digest(digest)
                write(line)
    summary.duplicates = copies.duplicates
    if not quiet:
        for line in summary.lines():
            click.echo(line, err=True)
    if summary_json:
        text = json.dumps(summary.to_json(), indent=2, ensure_ascii=False)
        if summary_json == "-":
            click.echo(text, err=True)
        else:
            atomic_write_text(summary_json, text + "\n")


@contextmanager
def _progress(show: bool, total: int | None) -> Iterator[Any]:
    if not show:
        yield None
        return
    with progress_bar(total, "Scanning") as advance:
        yield advance
