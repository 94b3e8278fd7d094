"""The core commands: infer, map, demo, evaluate, scenario."""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geoleak import __version__
from geoleak.cli.app import (
    absolute_paths_option,
    basemap_option,
    finish_diagnostics,
    geocoder_options,
    main,
    make_diagnostics,
    progress_counter,
    warn,
)
from geoleak.cli.exports import sensitive_markers, sites_option, sites_summary
from geoleak.errors import OutputError, UsageError
from geoleak.geocode import OFFLINE, Geocoder, build_geocoder
from geoleak.ingest import READERS
from geoleak.outputs import check_output_dir, check_output_file, staged_output_dir
from geoleak.paths import GENERATED_DEMO, path_names, shown_path
from geoleak.profiles import dump_profiles, load_profiles
from geoleak.sites import load_sites
from geoleak.types import PlaceKind, Profile
from geoleak.wording import count

if TYPE_CHECKING:
    from geoleak.evaluate import Evaluation
    from geoleak.infer import InferenceParams
    from geoleak.pipeline import RunResult

INPUT_HELP = "Corpora (*.jsonl), exports or folders of photos/videos."


def input_options(func: Any) -> Any:
    """--source and --author, shared by every command that reads inputs."""
    func = click.option(
        "--author",
        metavar="NAME",
        help="Person to attribute a folder of media to (default: the folder's name).",
    )(func)
    return click.option(
        "--source",
        type=click.Choice(sorted(READERS)),
        help="Force the input format instead of detecting it.",
    )(func)


def _scheduler_address(address: str | None) -> str | None:
    """`--scheduler` as given, once Dask can parse it: a host without a port is refused here,
    before the inputs are read, not as a traceback from inside the engine."""
    if address is None:
        return None
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        return address  # the engine says how to install Dask
    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as exc:
        raise click.BadParameter(f"{address!r} ({exc}); give one such as tcp://HOST:PORT") from None
    return address


def _echo_summary(result_lines: Sequence[str]) -> None:
    for line in result_lines:
        click.echo(line, err=True)


def inference_parameters(params: InferenceParams | None) -> dict[str, Any]:
    """What profiles.json records of the inference parameters (see parameters_to_json)."""
    from geoleak.infer import parameters_to_json

    return parameters_to_json(params)


def _run(inputs: Sequence[str], source: str | None, author: str | None, quiet: bool,
         params: InferenceParams | None = None, workers: int | None = None,
         geocoder: Geocoder | None = OFFLINE, keep_evidence: bool = True) -> RunResult:  # fmt: skip
    from geoleak.pipeline import run

    diag = make_diagnostics(quiet)
    with progress_counter("reading") as progress:
        result = run(inputs, diag=diag, source=source, author=author, params=params, workers=workers,
                     progress=progress, geocoder=geocoder, keep_evidence=keep_evidence)  # fmt: skip
    finish_diagnostics(diag)
    if not quiet:
        _echo_summary(result.stats.summary_lines())
    return result


def _places_line(profiles: Sequence[Profile]) -> str:
    homes = sum(1 for p in profiles if p.place(PlaceKind.HOME))
    bases = sum(1 for p in profiles if p.place(PlaceKind.BASE))
    return _places_counts(homes, bases, len(profiles))


def _places_counts(homes: int, bases: int, people: int) -> str:
    return f"inferred a home for {homes} and a base for {bases} of {count(people, 'person')}"


def _large(inputs: Sequence[str], quiet: bool) -> int | None:
    """The inputs' estimated evidence rows (`store.estimate_rows`) when `infer` should bound
    its memory with a temporary store (past AUTO_STORE_ROWS), else None."""
    from geoleak import store

    rows = store.estimate_rows(inputs)
    if rows <= store.AUTO_STORE_ROWS:
        return None
    if not quiet:
        click.echo(
            f"about {rows:,} evidence rows: inferring through a temporary evidence store so "
            "memory stays bounded (--in-memory to hold them all in memory)",
            err=True,
        )
    return rows


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", default="profiles.json", show_default=True,
              help="Where to write profiles.json ('-' for stdout).")  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@input_options
@click.option("--eps-m", type=click.FloatRange(min=1), default=100.0, show_default=True,
              help="Cluster radius for homes and frequent places, in metres.")  # fmt: skip
@click.option("--min-nights", type=click.IntRange(min=1), default=3, show_default=True,
              help="Distinct rest days (nights or weekend days) a home needs.")  # fmt: skip
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to use (default: all cores).",
)
@click.option("--store", "store_path", type=click.Path(file_okay=False),
              help="Read INPUTS into this evidence store first (incremental), then infer from it "
                   "one person partition at a time (memory follows the largest person).")  # fmt: skip
@click.option("--in-memory", is_flag=True,
              help="Keep every person's evidence in memory, however large the inputs (faster; "
                   "memory grows with the corpus). Without it, inputs estimated at over "
                   "1,000,000 evidence rows go through a temporary store.")  # fmt: skip
@click.option("--engine", type=click.Choice(["local", "dask"]), default=None,
              help="Infer through an evidence store (a temporary one without --store): local "
                   "processes, or Dask tasks on a LocalCluster or at --scheduler.")  # fmt: skip
@click.option("--scheduler", metavar="ADDRESS", callback=lambda _c, _p, v: _scheduler_address(v),
              help="Dask scheduler to run on (e.g. tcp://10.0.0.5:8786); with --engine dask.")  # fmt: skip
@geocoder_options
@sites_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No warnings or summary on stderr.")
def infer(inputs: tuple[str, ...], output: str, source: str | None, author: str | None, eps_m: float,
          min_nights: int, workers: int | None, store_path: str | None, in_memory: bool,
          engine: str | None, scheduler: str | None, places: str | None, geocoder_name: str,
          user_agent: str | None, geocode_cache: str | None, sites_file: str | None,
          near_m: float, as_json: bool, quiet: bool, force: bool) -> None:  # fmt: skip
    """Infer each person's home, base and frequent places from INPUTS.

    \b
    Example:
      geoleak infer sample_media/posts.jsonl -o profiles.json
      geoleak infer sample_media -o profiles.json   # a folder of corpora: the same
      geoleak infer ~/Pictures/2025 --author me -o me.json
      geoleak infer posts.jsonl --store evidence-store --engine dask
    """
    if output == "-" and as_json:
        raise UsageError("--json and -o - both write to stdout; choose one")
    if output != "-":
        check_output_file(output, force=force)
    from geoleak.infer import InferenceParams

    params = InferenceParams(eps_m=eps_m, min_home_days=min_nights)
    sensitive = load_sites(sites_file) if sites_file else None
    geocoder = build_geocoder(geocoder_name, places=places, user_agent=user_agent,
                              cache_path=geocode_cache)  # fmt: skip
    from geoleak.store import is_store

    stored = bool(store_path or engine or scheduler or any(is_store(i) for i in inputs))
    if in_memory and stored:
        raise UsageError("--in-memory reads the inputs without a store: drop --store/--engine")
    estimated = None  # the inputs' evidence rows, when a temporary store takes them
    if not (in_memory or stored):
        estimated = _large(inputs, quiet)
        stored = estimated is not None
    meta = {"tool": "geoleak", "version": __version__, "inputs": list(inputs),
            "parameters": inference_parameters(params)}  # fmt: skip
    written = None
    if stored:
        from geoleak.cli.store import run_from_store

        if scheduler and engine != "dask":
            raise UsageError("--scheduler needs --engine dask")
        # Without --sites the profiles go straight to OUTPUT, partition by partition.
        result, written = run_from_store(inputs, store_path, source=source, author=author,
                                         quiet=quiet, params=params, workers=workers,
                                         geocoder=geocoder, engine=engine or "local",
                                         scheduler=scheduler, with_evidence=sensitive is not None,
                                         output=None if sensitive else output, meta=meta,
                                         estimated_rows=estimated)  # fmt: skip
    else:
        # The evidence is read again only to check --sites; without it each person is
        # inferred in the worker that read them.
        result = _run(inputs, source, author, quiet, params, workers, geocoder,
                      keep_evidence=sensitive is not None)  # fmt: skip
    if written is not None:
        sites = [s.to_json() for s in written.sites]
        people = written.people
        places_line = _places_counts(written.homes, written.bases, people)
    else:
        sites = [s.to_json() for s in result.sites]
        people, places_line = len(result.profiles), _places_line(result.profiles)
        if output == "-":
            from geoleak.profiles import profiles_to_json

            doc = profiles_to_json(result.profiles, sites=sites, meta=meta)
            json.dump(doc, sys.stdout, indent=1)
            sys.stdout.write("\n")
        else:
            from geoleak import timeline

            with timeline.span("write"):
                dump_profiles(result.profiles, output, sites=sites, meta=meta)
    if not quiet:
        click.echo(f"{places_line}; {count(len(sites), 'shared site')}", err=True)
        if output != "-":
            click.echo(f"wrote {output}", err=True)
    flagged = (
        sites_summary(sensitive, result.evidence, result.profiles, quiet, near_m)
        if sensitive
        else None
    )
    if as_json:
        click.echo(json.dumps({"output": output, "stats": result.stats.to_json(), "sites": sites,
                               "people": people,
                               **({"sensitive_sites": flagged} if flagged is not None else {})},
                              indent=1))  # fmt: skip


@main.command(name="map")
@click.argument("profiles_path", metavar="PROFILES", type=click.Path())
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("-o", "--output", default="maps", show_default=True, help="Folder for the HTML maps.")
@input_options
@click.option("--tiles", metavar="NAME|URL",
              help="Web basemap ('osm' or a URL template). Default: the bundled offline world map; "
                   "fetching tiles tells the tile server which area you are looking at.")  # fmt: skip
@basemap_option
@geocoder_options
@sites_option
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty although geoleak did not write it.")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="No warnings or summary on stderr.")
@absolute_paths_option
def map_command(profiles_path: str, inputs: tuple[str, ...], output: str, source: str | None,
                author: str | None, tiles: str | None, basemap_file: str | None,
                places: str | None, geocoder_name: str,
                user_agent: str | None, geocode_cache: str | None, sites_file: str | None,
                near_m: float, force: bool, quiet: bool) -> None:  # fmt: skip
    """Draw maps of PROFILES, with the evidence points read again from INPUTS.

    Writes OUTPUT/index.html (everyone) and one page per person.

    \b
    Example:
      geoleak map profiles.json sample_media/posts.jsonl -o maps/
    """
    from geoleak.pipeline import collect_evidence
    from geoleak.report.maps import write_maps
    from geoleak.report.tilesets import open_tileset

    check_output_dir(output, force=force)
    if basemap_file:
        open_tileset(basemap_file).close()  # a bad --basemap fails before the corpus is read
    profiles, sites = load_profiles(profiles_path)
    # A zip's extracted folder lives until the maps are written: their thumbnails read
    # its photos, as a folder's.
    with ExitStack() as archives:
        evidence: dict[str, list[Any]] = {}
        if inputs:
            diag = make_diagnostics(quiet)
            with progress_counter("reading") as progress:
                geocoder = build_geocoder(geocoder_name, places=places, user_agent=user_agent,
                                          cache_path=geocode_cache)  # fmt: skip
                collected = collect_evidence(
                    inputs, diag=diag, source=source, author=author, progress=progress,
                    geocoder=geocoder, archives=archives,
                )  # fmt: skip
            finish_diagnostics(diag)
            if not quiet:
                _echo_summary(collected.stats.summary_lines())
            evidence = collected.evidence
        elif not quiet:
            click.echo(
                "no INPUTS given: the maps show inferred places only, no evidence points", err=True
            )
        markers = sensitive_markers(sites_file, evidence, profiles, near_m=near_m, quiet=quiet)
        notes: list[str] = []
        with staged_output_dir(output) as staged:  # (Ctrl-C leaves the folder as it was)
            written = write_maps(profiles, evidence, staged.path, tiles=tiles,
                                 sites=[*sites, *markers], basemap_file=basemap_file,
                                 messages=notes)  # fmt: skip
    if not quiet:
        for note in dict.fromkeys(notes):
            warn(note)
    if not quiet:
        click.echo(
            f"wrote {len(written)} map pages to {Path(output)} (open {Path(output) / 'index.html'})",
            err=True,
        )


@main.command(name="evaluate")
@click.argument("profiles_path", metavar="PROFILES", type=click.Path())
@click.option("--truth", "truth_path", required=True, type=click.Path(), help="Ground-truth CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_command(profiles_path: str, truth_path: str, as_json: bool) -> None:
    """Score PROFILES against a ground-truth CSV (person,kind,lat,lon).

    Recall (truth homes with a home within 100 / 250 / 1000 m, truth bases with a base
    within 500 / 1000 / 2000 m), median errors, precision (homes given that are within
    100 m of a truth home, bases given within 500 m of a truth base), false homes and bases
    for people whose truth is `none`, false bases for people whose truth is `nobase`,
    movers' current and earlier homes, a calibration table (confidence bands of width 0.1
    from 0.5 up against the share right, with each band's mean confidence) and, with a
    `persona` column, figures per persona.

    \b
    Example:
      geoleak evaluate profiles.json --truth sample_media/truth.csv --json
    """
    from geoleak.evaluate import evaluate, load_truth

    profiles, _sites = load_profiles(profiles_path)
    result = evaluate(profiles, load_truth(truth_path))
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=1))
    else:
        for line in result.lines():
            click.echo(line)


@main.command()
@click.option(
    "-o", "--output", required=True, type=click.Path(), help="Folder to write the scenario into."
)
@click.option(
    "--people",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="People, silent ones included.",
)
@click.option(
    "--seed", type=int, default=7, show_default=True, help="Random seed: same seed, same files."
)
@click.option(
    "--days", type=click.IntRange(min=28), default=365, show_default=True, help="Days of posts."
)
@click.option(
    "--formats",
    default="jpeg",
    show_default=True,
    help="Photo formats, comma-separated: jpeg,heic,png,webp.",
)
@click.option("--model", type=click.Choice(["units", "timeuse", "mobility"]), default="units",
              show_default=True,
              help="Behaviour model: 'units' (fictional units around a base, with the personas "
                   "below), 'timeuse' (an independent family: people whose week follows "
                   "published time-use statistics) or 'mobility' (a third: trips and stays "
                   "after the EPR and TimeGeo mobility models, posts weighted towards leisure "
                   "places); for the last two only --people/--seed/--days/--formats/"
                   "--activity apply.")  # fmt: skip
@click.option("--activity", type=click.FloatRange(min=0.01), default=1.0, show_default=True,
              help="Multiplies how often everyone posts.")  # fmt: skip
@click.option("--silent-share", type=click.FloatRange(0, 1), default=0.12, show_default=True,
              help="Share of people who never leak a location (truth 'none').")  # fmt: skip
@click.option("--night-shift-share", type=click.FloatRange(0, 1), default=0.12, show_default=True,
              help="Share of people working nights.")  # fmt: skip
@click.option("--mover-share", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Share of people who move house during the period.")  # fmt: skip
@click.option("--resharer-share", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              help="Share of people who repost strangers' photos (with the strangers' GPS).")  # fmt: skip
@click.option("--sparse-share", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Share of people who leak rarely (often too little to infer anything).")  # fmt: skip
@click.option("--all-personas", is_flag=True,
              help="Add every persona below at a realistic share (a share you give wins).")  # fmt: skip
@click.option("--rotating-shift-share", type=click.FloatRange(0, 1), default=None,
              help="Share on rotating shifts (2 early, 2 late, 2 nights, 4 off).")  # fmt: skip
@click.option("--on-base-share", type=click.FloatRange(0, 1), default=None,
              help="Share living in quarters on the base (home inside the base).")  # fmt: skip
@click.option("--home-office-share", type=click.FloatRange(0, 1), default=None,
              help="Share working from home, with lunch at a cafe (truth: no base).")  # fmt: skip
@click.option("--lunch-poster-share", type=click.FloatRange(0, 1), default=None,
              help="Share posting only around lunchtime.")  # fmt: skip
@click.option("--second-home-share", type=click.FloatRange(0, 1), default=None,
              help="Share with a cabin or parents' house 50-150 km away, on many weekends.")  # fmt: skip
@click.option("--business-traveller-share", type=click.FloatRange(0, 1), default=None,
              help="Share with Monday-Thursday hotel stays in other cities.")  # fmt: skip
@click.option("--evening-poster-share", type=click.FloatRange(0, 1), default=None,
              help="Share posting only in the evening (18:30-24:00).")  # fmt: skip
@click.option("--rare-geotag-share", type=click.FloatRange(0, 1), default=None,
              help="Share of heavy posters with 1-3 %% of posts located.")  # fmt: skip
@click.option("--resort-holiday-share", type=click.FloatRange(0, 1), default=None,
              help="Share whose 1-2 week holidays are spent around one hotel.")  # fmt: skip
@click.option("--evening-peak-share", type=click.FloatRange(0, 1), default=None,
              help="Share posting on an evening-peak curve with a 4-5 h night trough.")  # fmt: skip
@click.option("--photo-share", type=click.FloatRange(0, 1), default=0.25, show_default=True,
              help="Share of posts with a photo.")  # fmt: skip
@click.option("--geotag-share", type=click.FloatRange(0, 1), default=0.25, show_default=True,
              help="Share of posts with a platform geotag (varied per person).")  # fmt: skip
@click.option(
    "--demo",
    "demo_preset",
    is_flag=True,
    help="The committed demo scenario (ignores the other knobs).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a folder that is not empty (an earlier scenario's media/ is replaced).",
)
def scenario(output: str, people: int, seed: int, days: int, formats: str, model: str, activity: float,
             silent_share: float, night_shift_share: float, mover_share: float, resharer_share: float,
             sparse_share: float, all_personas: bool, photo_share: float, geotag_share: float,
             demo_preset: bool, force: bool, **persona_shares: float | None) -> None:  # fmt: skip
    """Generate a fictional unit scenario: corpus, photos with EXIF GPS and truth.csv.

    Everything is fictional and deterministic: the same options give the same files.
    The personas of issue 11 (rotating shifts, living on base, home office, lunch-time and
    evening-only posters, second residences, business travel, rare geotags, resort
    holidays, evening-peak posting) are off unless asked for; truth.csv says `nobase` for
    people with no workplace, `second_home` for a cabin, and each person's persona.

    \b
    Example:
      geoleak scenario --people 60 --seed 7 -o /tmp/scenario
      geoleak scenario --people 80 --seed 3 --all-personas -o /tmp/personas
      geoleak scenario --model timeuse --people 80 --seed 1 -o /tmp/timeuse
      geoleak scenario --model mobility --people 80 --seed 1 -o /tmp/mobility
      geoleak evaluate <(geoleak infer /tmp/scenario/posts.jsonl -o - -q) --truth /tmp/scenario/truth.csv
    """
    from geoleak.scenario import ScenarioConfig, demo_config, describe, generate
    from geoleak.scenario.model import PERSONA_SHARES

    out = Path(output)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file; give a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputError(f"{out}: folder is not empty; use --force to write into it")
    chosen = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = [f for f in chosen if f not in ("jpeg", "heic", "png", "webp")]
    if bad or not chosen:
        raise UsageError(f"--formats takes jpeg, heic, png, webp; got {formats!r}")
    options: dict[str, Any] = {
        name: (value if value is not None else PERSONA_SHARES[name] if all_personas else 0.0)
        for name, value in persona_shares.items()
    }
    options.update(
        people=people, seed=seed, days=days, media_formats=tuple(chosen), activity=activity,
        silent_share=silent_share, night_shift_share=night_shift_share, mover_share=mover_share,
        resharer_share=resharer_share, sparse_share=sparse_share, p_photo=photo_share,
        p_geotag=geotag_share,
    )  # fmt: skip
    if model in ("timeuse", "mobility"):
        if demo_preset or all_personas or any(v is not None for v in persona_shares.values()):
            raise UsageError("--demo, --all-personas and persona shares belong to --model units")
        from geoleak.scenario.mobility import MobilityConfig, generate_mobility
        from geoleak.scenario.timeuse import TimeUseConfig, generate_timeuse

        family: Any = TimeUseConfig if model == "timeuse" else MobilityConfig
        write: Any = generate_timeuse if model == "timeuse" else generate_mobility
        knobs = family(people=people, seed=seed, days=days, media_formats=tuple(chosen),
                       posts_per_day=family().posts_per_day * activity)  # fmt: skip
        if force and (out / "scenario.json").is_file() and (out / "media").is_dir():
            shutil.rmtree(out / "media")
        with progress_counter("generating", "people") as progress:
            summary = write(knobs, out, progress=progress)
        for line in describe(summary):
            click.echo(line, err=True)
        return
    config = demo_config() if demo_preset else ScenarioConfig(**options)
    if force and (out / "scenario.json").is_file() and (out / "media").is_dir():
        # An earlier geoleak scenario: its photos would linger beside the new ones.
        shutil.rmtree(out / "media")
    with progress_counter("generating", "people") as progress:
        summary = generate(config, out, progress=progress)
    for line in describe(summary):
        click.echo(line, err=True)


def _personas(truth_path: Path | None) -> dict[str, str]:
    """The optional `persona` column of a generated truth.csv (what each person does)."""
    if truth_path is None:
        return {}
    with truth_path.open(newline="", encoding="utf-8") as handle:
        return {row["person"]: row.get("persona") or "" for row in csv.DictReader(handle)}


def _demo_table(
    result: RunResult, evaluation: Evaluation | None, truth_path: Path | None
) -> list[str]:
    from geoleak.evaluate import load_truth
    from geoleak.geometry import haversine_m

    truth = load_truth(truth_path) if truth_path else []
    personas = _personas(truth_path)
    lines = [f"{'person':<18} {'behaviour':<20} {'home found':<38} {'base found':<28}"]
    for profile in result.profiles:
        cells = []
        for kind in (PlaceKind.HOME, PlaceKind.BASE):
            found = [p for p in profile.places if p.kind == kind]
            targets = [
                r.position
                for r in truth
                if r.person == profile.person and r.kind == kind.value and r.position
            ]
            silent = any(r.person == profile.person and r.kind == "none" for r in truth)
            if not found:
                cells.append(
                    "none (correct: never leaks)" if silent and kind == PlaceKind.HOME else "-"
                )
                continue
            parts = []
            for place in found:
                part = f"conf {place.confidence:.2f}"
                if targets:
                    err = min(haversine_m(place.position, t) for t in targets)
                    part += f", {err:,.0f} m off"
                parts.append(part)
            cells.append("; ".join(parts))
        behaviour = personas.get(profile.person, "")
        lines.append(f"{profile.person:<18} {behaviour:<20} {cells[0]:<38} {cells[1]:<28}")
    if evaluation is not None:
        lines.append("")
        lines.extend(evaluation.lines())
    return lines


def _default_sample() -> Path | None:
    here = Path("sample_media")
    return here if (here / "posts.jsonl").is_file() else None


@main.command()
@click.option(
    "-o", "--out", "output", default="maps", show_default=True, help="Folder for maps and profiles."
)
@click.option("--sample", type=click.Path(file_okay=False),
              help="Scenario folder to use (default: ./sample_media if present, else it is generated).")  # fmt: skip
@click.option(
    "--tiles", metavar="NAME|URL", help="Web basemap ('osm' or a URL); default: offline world map."
)
@basemap_option
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON on stdout.")
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty although geoleak did not write it.")  # fmt: skip
@absolute_paths_option
def demo(output: str, sample: str | None, tiles: str | None, basemap_file: str | None,
         as_json: bool, force: bool) -> None:  # fmt: skip
    """Run the whole technique on a fictional unit, offline, and show what it finds.

    Uses the committed scenario in ./sample_media (or generates the same one), infers
    every member's home and base, writes profiles.json and maps into OUT, and prints
    what was found next to the truth.

    \b
    Example:
      geoleak demo --out maps && xdg-open maps/index.html
    """
    from geoleak.report.maps import write_maps
    from geoleak.report.tilesets import open_tileset
    from geoleak.scenario import demo_config, generate

    if basemap_file:
        open_tileset(basemap_file).close()
    started = time.monotonic()
    out = check_output_dir(output, force=force)
    tmp: str | None = None
    source = Path(sample) if sample else _default_sample()
    try:
        if source is None:
            tmp = tempfile.mkdtemp(prefix="geoleak-demo-")
            click.echo("generating the demo scenario (no ./sample_media here)...", err=True)
            generate(demo_config(), tmp)
            path_names().add_folder(tmp, GENERATED_DEMO)  # outputs never name the temp folder
            source = Path(tmp)
        corpus = source / "posts.jsonl"
        if not corpus.is_file():
            raise UsageError(f"{source}: no posts.jsonl here; is it a geoleak scenario folder?")
        result = _run([str(corpus)], None, None, quiet=as_json)
        notes: list[str] = []
        with staged_output_dir(out) as staged:  # (Ctrl-C leaves the folder as it was)
            dump_profiles(result.profiles, staged.path / "profiles.json",
                          sites=[s.to_json() for s in result.sites],
                          meta={"tool": "geoleak", "version": __version__,
                                "inputs": [shown_path(corpus)],
                                "parameters": inference_parameters(None)})  # fmt: skip
            write_maps(result.profiles, result.evidence, staged.path, tiles=tiles,
                       sites=result.sites, basemap_file=basemap_file, messages=notes)  # fmt: skip
        for note in dict.fromkeys(notes):
            warn(note)
        from geoleak.evaluate import evaluate, load_truth

        truth_path = source / "truth.csv"
        evaluation = (
            evaluate(result.profiles, load_truth(truth_path)) if truth_path.is_file() else None
        )
        if as_json:
            doc = {"out": str(out), "evaluation": evaluation.to_json() if evaluation else None,
                   "stats": result.stats.to_json(), "sites": [s.to_json() for s in result.sites]}  # fmt: skip
            click.echo(json.dumps(doc, indent=1))
        else:
            click.echo(
                f"{_places_line(result.profiles)}; {count(len(result.sites), 'shared site')}"
            )
            for site in result.sites:
                click.echo(f"site {site.site_id}: {site.position} (+-{site.radius_m:.0f} m), "
                           f"{count(len(site.people), 'person')} tied to it")  # fmt: skip
            click.echo("")
            for line in _demo_table(
                result, evaluation, truth_path if truth_path.is_file() else None
            ):
                click.echo(line)
            click.echo("")
            click.echo(f"maps: {out / 'index.html'}   profiles: {out / 'profiles.json'}   "
                       f"({time.monotonic() - started:.1f} s, offline)")  # fmt: skip
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
