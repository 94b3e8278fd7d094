"""`geoleak ingest`: read inputs into an evidence store; inference from a store."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from geoleak import timeline
from geoleak.cli.app import (
    finish_diagnostics,
    geocoder_options,
    main,
    make_diagnostics,
    progress_counter,
)
from geoleak.cli.core import input_options
from geoleak.errors import UsageError
from geoleak.geocode import Geocoder, build_geocoder
from geoleak.outputs import atomic_open
from geoleak.wording import count

if TYPE_CHECKING:
    from geoleak.engine import StoreProfiles
    from geoleak.infer import InferenceParams
    from geoleak.pipeline import RunResult
    from geoleak.store import IngestReport

ENGINE_HELP = (
    "local: person partitions over --workers processes; dask: partitions as Dask tasks "
    "(a LocalCluster of --workers processes, or the cluster at --scheduler)."
)


def _ingest(store_path: str, inputs: Sequence[str], source: str | None, author: str | None,
            quiet: bool, workers: int | None, geocoder: Geocoder | None,
            buckets: int | None, scratch: bool = False) -> IngestReport:  # fmt: skip
    from geoleak.store import EvidenceStore

    store = EvidenceStore(store_path, buckets=buckets, scratch=scratch)
    diag = make_diagnostics(quiet)
    with progress_counter("reading") as progress:
        report = store.ingest(inputs, diag=diag, source=source, author=author, workers=workers,
                              progress=progress, geocoder=geocoder)  # fmt: skip
    finish_diagnostics(diag)
    if not quiet:
        if report.inputs_skipped:
            click.echo(
                f"{count(len(report.inputs_skipped), 'input')} already in the store; skipped",
                err=True,
            )
        if report.stats is not None:
            for line in report.stats.summary_lines():
                click.echo(line, err=True)
        click.echo(f"{report.rows} evidence rows written to {store_path}", err=True)
    return report


def run_from_store(inputs: Sequence[str], store_path: str | None, *, source: str | None,
                   author: str | None, quiet: bool, params: InferenceParams, workers: int | None,
                   geocoder: Geocoder | None, engine: str, scheduler: str | None,
                   with_evidence: bool, output: str | None = None,
                   meta: Mapping[str, Any] | None = None,
                   estimated_rows: int | None = None) -> tuple[RunResult, StoreProfiles | None]:  # fmt: skip
    """`infer` through a store: the inputs are ingested into `store_path` (a temporary
    store when None) unless the only input is a store, then inferred partition by partition.
    `estimated_rows`: the inputs' `store.estimate_rows`, when the caller has it (a new store
    is sized from it without walking the inputs again).

    With `output` (a file, or '-' for stdout) profiles.json is written there as partitions
    finish and the result holds no profiles (`StoreProfiles` has their counts and the
    sites); without it the profiles come back in the result."""
    from geoleak.children import available_cpus
    from geoleak.engine import infer_store, local_pool, write_store_profiles
    from geoleak.pipeline import RunResult
    from geoleak.store import EvidenceStore, PeopleCounts, buckets_for, is_store

    if workers is None and scheduler is None:
        # `--workers` defaults to all cores, as without a store: the local engine's
        # processes or a LocalCluster's workers (the engine's own defaults, for the Python
        # API, are one process and two workers).
        workers = available_cpus()
    if any(is_store(i) for i in inputs) and (len(inputs) > 1 or store_path):
        raise UsageError(
            "an evidence store must be the only input (add inputs with geoleak ingest)"
        )
    # The local engine's processes start while the inputs are read (they would otherwise
    # spend their start-up after it, with nothing else to do).
    with (tempfile.TemporaryDirectory(prefix="geoleak-store-") as scratch,
          local_pool(workers if engine == "local" else None) as pool):  # fmt: skip
        temporary = False  # (a store of this command's only: dropped as it is inferred)
        if len(inputs) == 1 and is_store(inputs[0]):
            store_path = inputs[0]
        else:
            temporary = not store_path  # written for speed: it lives for this command only
            store_path = store_path or scratch
            buckets = None if estimated_rows is None else buckets_for(estimated_rows)
            _ingest(store_path, inputs, source, author, quiet, workers, geocoder, buckets,
                    scratch=temporary)  # fmt: skip
        store = EvidenceStore(store_path)
        drop = temporary and not with_evidence and engine == "local"
        written = None
        # The statistics' people, counted by pass 1 as it reads each partition (counting
        # them here after would read every partition again, in this process alone).
        counts = PeopleCounts()
        if output is None:
            profiles, sites = infer_store(store, params=params, engine=engine, workers=workers,
                                          scheduler=scheduler, pool=pool, counts=counts,
                                          drop_partitions=drop)  # fmt: skip
        elif output == "-":
            profiles, sites = [], []
            written = write_store_profiles(store, sys.stdout, meta=meta, ensure_ascii=True,
                                           params=params, engine=engine, workers=workers,
                                           scheduler=scheduler, pool=pool, counts=counts,
                                           drop_partitions=drop)  # fmt: skip
            sys.stdout.write("\n")
        else:
            profiles, sites = [], []
            with atomic_open(output) as handle:
                written = write_store_profiles(store, handle, meta=meta, params=params,
                                               engine=engine, workers=workers,
                                               scheduler=scheduler, pool=pool,
                                               counts=counts, drop_partitions=drop)  # fmt: skip
                handle.write("\n")
        evidence = store.evidence() if with_evidence else {}
        stats = store.stats(counts)
        timeline.instant("closing")  # (the pool's shutdown and the temporary store's removal)
    timeline.instant("closed")
    if not quiet:
        for line in stats.summary_lines():
            click.echo(line, err=True)
    return RunResult(profiles, sites, evidence, {}, stats), written


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--store", "store_path", required=True, type=click.Path(file_okay=False),
              help="Evidence store folder (created when missing).")  # fmt: skip
@input_options
@click.option("--buckets", type=click.IntRange(min=1), default=None,
              help="Person partitions of a new store (default: sized from the inputs, one per "
                   "~16 k evidence rows, 32 to 512; a store keeps the number it was made with).")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes to read media with (default: all cores).")  # fmt: skip
@geocoder_options
@click.option("--json", "as_json", is_flag=True, help="Print what was read as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No warnings or summary on stderr.")
def ingest(inputs: tuple[str, ...], store_path: str, source: str | None, author: str | None,
           buckets: int | None, workers: int | None, places: str | None, geocoder_name: str,
           user_agent: str | None, geocode_cache: str | None, as_json: bool,
           quiet: bool) -> None:  # fmt: skip
    """Read INPUTS into an evidence store (Parquet, partitioned by person).

    Incremental: inputs already read (same path, size and modification time) are skipped.
    `geoleak infer`, `map` and `report` take the store folder as their input; DuckDB and
    pyarrow read it directly (see README).

    \b
    Example:
      geoleak ingest posts.jsonl ~/Pictures/2025 --store evidence-store
      geoleak infer evidence-store -o profiles.json --engine dask
    """
    geocoder = build_geocoder(geocoder_name, places=places, user_agent=user_agent,
                              cache_path=geocode_cache)  # fmt: skip
    report = _ingest(store_path, inputs, source, author, quiet, workers, geocoder, buckets)
    if as_json:
        click.echo(json.dumps({"store": store_path, "run": report.run, "read": report.inputs_read,
                               "skipped": report.inputs_skipped, "rows": report.rows,
                               "stats": report.stats.to_json() if report.stats else None},
                              indent=1))  # fmt: skip
