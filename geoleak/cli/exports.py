"""Commands for real inputs: `sources` (what geoleak reads), `geocode` (check place names and
a places file), `sites` (evidence and people tied to sensitive sites)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

from geoleak.cli.app import (
    finish_diagnostics,
    geocoder_options,
    main,
    make_diagnostics,
    progress_counter,
)
from geoleak.errors import UsageError
from geoleak.geocode import build_geocoder
from geoleak.ingest import READERS
from geoleak.outputs import check_output_file
from geoleak.sites import (
    DEFAULT_NEAR_M,
    SensitiveSite,
    load_sites,
    place_hits,
    site_hits,
    site_markers,
    sites_report,
    write_hits_csv,
)
from geoleak.types import Evidence, Profile
from geoleak.wording import count


def sites_summary(
    sites: Sequence[SensitiveSite],
    evidence: Mapping[str, Sequence[Evidence]],
    profiles: Sequence[Profile],
    quiet: bool = False,
    near_m: float = DEFAULT_NEAR_M,
) -> list[dict[str, Any]]:
    """Per-site report of evidence, people, homes and bases (for `infer --sites`); one line
    per site on stderr unless `quiet`."""
    hits = site_hits(evidence, sites, near_m=near_m)
    places = place_hits({p.person: p.places for p in profiles}, sites, near_m=near_m)
    report = sites_report(sites, hits, places)
    if not quiet:
        for line in _site_lines(report):
            click.echo(line, err=True)
    return report


def sites_option(func: Any) -> Any:
    """--sites and --near-m: sensitive sites to flag on maps and in reports."""
    func = click.option(
        "--near-m", type=click.FloatRange(min=0), default=DEFAULT_NEAR_M, show_default=True,
        help="With --sites: flag evidence this close to a site's edge (plus its accuracy), in metres.",
    )(func)  # fmt: skip
    return click.option(
        "--sites", "sites_file", metavar="FILE.geojson", type=click.Path(dir_okay=False),
        help="Sensitive sites (GeoJSON points with radius_m, or polygons): flag the evidence "
             "and the people tied to each.",
    )(func)  # fmt: skip


def sensitive_markers(
    sites_file: str | None,
    evidence: Mapping[str, Sequence[Evidence]],
    profiles: Sequence[Profile],
    *,
    near_m: float = DEFAULT_NEAR_M,
    quiet: bool = False,
) -> list[dict[str, Any]]:
    """Markers of the sensitive sites in `sites_file` (none without one), one line each on stderr."""
    if not sites_file:
        return []
    sites = load_sites(sites_file)
    return site_markers(sites, sites_summary(sites, evidence, profiles, quiet, near_m))


def _site_lines(report: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = []
    for row in report:
        names = ", ".join(f"{p} ({n})" for p, n in row["people"].items()) or "nobody"
        line = (
            f"{row['name']}: {count(row['evidence'], 'piece', 'pieces')} of evidence "
            f"({row['inside']} inside); "
            f"people: {names}"
        )
        if row["places"]:
            line += "; " + ", ".join(
                f"{pl['person']}'s {pl['kind']} {pl['distance_m']:.0f} m away"
                for pl in row["places"]
            )
        lines.append(line)
    return lines


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def sources(as_json: bool) -> None:
    """List the input formats geoleak reads (the names --source takes).

    Zip archives of any of them are checked (zip slip, links, bombs) and read from a
    temporary folder that is removed afterwards.

    \b
    Example:
      geoleak sources
      geoleak infer takeout-20240101T000000Z-001.zip -o me.json
    """
    readers = sorted(READERS.values(), key=lambda r: (r.priority, r.name))
    if as_json:
        click.echo(
            json.dumps([{"name": r.name, "description": r.description} for r in readers], indent=1)
        )
        return
    width = max(len(r.name) for r in readers)
    for reader in readers:
        click.echo(f"{reader.name.ljust(width)}  {reader.description}")


@main.command(name="geocode")
@click.argument("names", nargs=-1, required=True)
@geocoder_options
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def geocode_command(
    names: tuple[str, ...],
    places: str | None,
    geocoder_name: str,
    user_agent: str | None,
    geocode_cache: str | None,
    as_json: bool,
) -> None:
    """Look up place NAMES the way check-ins in posts are geocoded.

    Useful to check a places file, or what a name in a post resolves to, and how precise
    it is (a city is kilometres, a venue metres).

    \b
    Example:
      geoleak geocode "Fayetteville, NC" Tromsø "Kingston, ON"
      geoleak geocode "Range 7" --places bases.csv --geocoder none
    """
    geocoder = build_geocoder(
        geocoder_name, places=places, user_agent=user_agent, cache_path=geocode_cache
    )
    if geocoder is None:
        raise UsageError("--geocoder none without --places: nothing to look names up in")
    from geoleak.extract.text import PlaceMention, resolve_claim

    rows: list[dict[str, Any]] = []
    for name in names:
        # as a post's claim with nothing else known of its author (no other position, no
        # time zone): a name several towns share is then left unplaced, as in a post
        resolution = resolve_claim(PlaceMention(name, "checkin", 0, len(name)), geocoder)
        found = resolution.result
        area = resolution.level if resolution.reason in ("region", "too-coarse") else None
        towns = geocoder.candidates(name) if resolution.reason == "ambiguous" else []
        rows.append(
            {
                "query": name,
                "found": found is not None,
                **({"area": area} if area else {}),
                **({"ambiguous": [t.name for t in towns]} if towns else {}),
                **(
                    {
                        "name": found.name,
                        "lat": found.position.lat,
                        "lon": found.position.lon,
                        "accuracy_m": round(found.accuracy_m, 1),
                        "kind": found.kind,
                        "source": found.source,
                    }
                    if found
                    else {}
                ),
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
    else:
        for row in rows:
            if row["found"]:
                click.echo(
                    f"{row['query']}: {row['name']} at {row['lat']:.5f}, {row['lon']:.5f} "
                    f"(±{row['accuracy_m']:.0f} m, {row['kind']}, {row['source']})"
                )
            elif row.get("area"):
                click.echo(f"{row['query']}: a {row['area']}, too large to stand for a point")
            elif row.get("ambiguous"):
                shown = "; ".join(row["ambiguous"][:5])
                more = f" and {len(row['ambiguous']) - 5} more" if len(row["ambiguous"]) > 5 else ""
                click.echo(
                    f"{row['query']}: ambiguous ({shown}{more}); in a post, the author's other "
                    "positions or the post's time zone choose one, else it is left unplaced"
                )
            else:
                click.echo(f"{row['query']}: not found")
    if not any(row["found"] for row in rows):
        sys.exit(1)


@main.command(name="sites")
@click.argument("sites_file", metavar="SITES.geojson", type=click.Path(dir_okay=False))
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("--source", type=click.Choice(sorted(READERS)), help="Force the input format.")
@click.option("--author", metavar="NAME", help="Person to attribute a folder of media to.")
@click.option(
    "--profiles",
    "profiles_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="profiles.json from `geoleak infer`: also flag homes and bases at the sites.",
)
@click.option(
    "--near-m",
    type=click.FloatRange(min=0),
    default=DEFAULT_NEAR_M,
    show_default=True,
    help="Flag evidence this close to a site's edge (plus its own accuracy), in metres.",
)
@click.option("-o", "--output", metavar="FILE.csv",
              help="Write every evidence hit as CSV ('-': on stdout, the site lines on stderr).")  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@geocoder_options
@click.option("--json", "as_json", is_flag=True, help="Print the hits per site as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No warnings on stderr.")
def sites_command(
    sites_file: str,
    inputs: tuple[str, ...],
    source: str | None,
    author: str | None,
    profiles_path: str | None,
    near_m: float,
    output: str | None,
    places: str | None,
    geocoder_name: str,
    user_agent: str | None,
    geocode_cache: str | None,
    as_json: bool,
    quiet: bool,
    force: bool,
) -> None:
    """Flag the evidence in INPUTS (and the homes and bases in --profiles) inside or near
    the sites in SITES.geojson, and the people tied to each site.

    SITES.geojson holds Points (with an optional radius_m property) and Polygons, with
    `name` (and `id`) properties.

    \b
    Example:
      geoleak sites bases.geojson corpus/posts.jsonl
      geoleak sites bases.geojson exports/*.zip --near-m 1000 -o hits.csv
      geoleak sites bases.geojson --profiles profiles.json --json
    """
    from geoleak.pipeline import collect_evidence

    if not inputs and not profiles_path:
        raise UsageError("give INPUTS to read, --profiles, or both")
    if output == "-" and as_json:
        raise UsageError("--json and -o - both write to stdout; choose one")
    if output and output != "-":
        check_output_file(output, force=force)
    site_list = load_sites(sites_file)
    hits = []
    if inputs:
        geocoder = build_geocoder(geocoder_name, places=places, user_agent=user_agent,
                                  cache_path=geocode_cache)  # fmt: skip
        diag = make_diagnostics(quiet)
        with progress_counter("reading") as progress:
            collected = collect_evidence(
                inputs, diag=diag, source=source, author=author, progress=progress,
                geocoder=geocoder,
            )  # fmt: skip
        finish_diagnostics(diag)
        if not quiet:
            for line in collected.stats.summary_lines():
                click.echo(line, err=True)
        hits = site_hits(collected.evidence, site_list, near_m=near_m)
    near_places = []
    if profiles_path:
        from geoleak.profiles import load_profiles

        profiles, _ = load_profiles(profiles_path)
        by_person = {p.person: p.places for p in profiles}
        near_places = place_hits(by_person, site_list, near_m=near_m)
    if output:
        write_hits_csv(hits, sys.stdout if output == "-" else output)
    report = sites_report(site_list, hits, near_places)
    if as_json:
        click.echo(json.dumps({"near_m": near_m, "sites": report}, indent=1, ensure_ascii=False))
        return
    for line in _site_lines(report):
        click.echo(line, err=output == "-")  # stdout holds the CSV
    if output and output != "-" and not quiet:
        click.echo(f"wrote {output}", err=True)
