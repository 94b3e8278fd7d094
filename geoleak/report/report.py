"""One self-contained HTML report of what a corpus gives away, person by person.

Per person: what leaked (counts by source, devices, time range), the inferred places with
their explanations, an exposure summary with concrete advice, and a plot of how fast the
home was found; then the unit-level sites table. The overview map is embedded (its whole
page inside an `<iframe srcdoc>`, so the report stays one file) and each place and piece of
evidence links to its pin on the person's map page when the maps were written beside it.
Everything from the corpus is HTML-escaped; nothing is loaded from the network.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from geoleak.errors import OutputError
from geoleak.geometry import haversine_m
from geoleak.mediatypes import is_video
from geoleak.paths import shown_path
from geoleak.report.assets import (
    content_security_policy,
    external_references,
    html_text,
    inline_assets,
    write_html,
)
from geoleak.report.maps import (
    build_overview_map,
    hour_colour,
    person_page_name,
    pin_id,
    place_pin_id,
    shared_sites,
    source_label,
)
from geoleak.report.plots import FOUND_WITHIN_M, curve_svg, leakage_curve
from geoleak.report.tilesets import TileSet
from geoleak.types import Evidence, EvidenceSource, LatLon, PlaceKind, Profile, SharedSite
from geoleak.wording import count

if TYPE_CHECKING:
    from geoleak.infer import LeakInference

__all__ = ["advice_for", "exposure_level", "render_report", "write_report"]

MAX_EVIDENCE_ROWS = 300  # per person in the report; the person's map page lists them all


# Exposure levels, most severe first (the order every summary lists them in).
_SEVERITY = ("high", "medium", "low", "none")


def exposure_level(profile: Profile) -> tuple[str, str]:
    """(level, sentence): how exposed a person is, from the places inferred."""
    home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
    if home and home.confidence >= 0.7 and home.radius_m <= 150:
        return "high", (
            f"home located to within about {home.radius_m:.0f} m with {home.confidence:.0%} "
            "confidence: anyone with these posts can find the front door"
        )
    if home or base:
        found = " and ".join(k for k, p in (("home", home), ("base", base)) if p)
        return "medium", f"{found} inferred, with some uncertainty; more posts will sharpen it"
    if profile.evidence_count or profile.places:
        return "low", "located posts exist, but no home or base stands out yet"
    return "none", "no location found in these posts"


def advice_for(profile: Profile, evidence: Sequence[Evidence]) -> list[str]:
    """Concrete steps, each tied to what this person's posts actually leaked."""
    by_source = Counter(e.source for e in evidence)
    advice: list[str] = []
    in_files = [e for e in evidence if e.source == EvidenceSource.EXIF]
    videos = sum(1 for e in in_files if e.media_path is not None and is_video(e.media_path))
    photos = len(in_files) - videos
    if photos:
        advice.append(
            f"{photos} photos carry GPS in their own metadata: turn off "
            "location for the camera app, and clean photos before sharing "
            "(`geoleak scrub FILES` removes the location losslessly; `geoleak audit` checks a "
            "folder)."
        )
    if videos:
        advice.append(
            f"{videos} videos carry GPS in their own metadata (a phone's location, an action "
            "camera's GPS track): turn off location or the camera's GPS before recording; "
            "`geoleak scrub` removes a phone video's location but refuses a video with a "
            "timed GPS track (GoPro GPMF, CAMM): share an export made without that track."
        )
    if by_source[EvidenceSource.GEOTAG]:
        advice.append(
            f"{by_source[EvidenceSource.GEOTAG]} posts were geotagged by the platform: switch off "
            "location in the app's settings and remove it from past posts."
        )
    if by_source[EvidenceSource.PLACE] or by_source[EvidenceSource.CHECKIN]:
        advice.append(
            "Check-ins and named places give the area away: avoid them near home and work, or "
            "post them after you have left."
        )
    night = sum(
        1 for e in evidence if e.local_time and (e.local_time.hour >= 22 or e.local_time.hour < 6)
    )
    if profile.place(PlaceKind.HOME) and night:
        advice.append(
            f"{night} located posts were made at night, which is what pins the home: do not post "
            "from home with location on, or delay posting."
        )
    base = profile.place(PlaceKind.BASE)
    if base is not None:
        shared = f" (site {base.site_id}, shared with colleagues)" if base.site_id else ""
        advice.append(
            f"Working-hours posts reveal the duty place{shared}: keep the phone's location off "
            "on duty."
        )
    devices = sorted({e.device for e in evidence if e.device and "#" in e.device})
    if devices:
        advice.append(
            "Camera serial numbers in the photos link them to one device across accounts: "
            "strip all metadata, not just GPS."
        )
    if not advice:
        advice.append(
            "Nothing located leaked from these posts; keep location off to keep it that way."
        )
    return advice


def _fmt(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M")


def _time_range(evidence: Sequence[Evidence]) -> str:
    times = [e.time_utc or e.posted_at for e in evidence if e.time_utc or e.posted_at]
    if not times:
        return "no dated evidence"
    return f"{_fmt(min(times))} – {_fmt(max(times))}"  # type: ignore[type-var]


def _person_section(
    profile: Profile,
    evidence: Sequence[Evidence],
    *,
    maps_linked: bool,
    truth_homes: Sequence[LatLon],
    plot: bool,
    plot_points: int = 40,
    inference: LeakInference | None = None,
) -> str:
    person = profile.person
    anchor = "person-" + person_page_name(person)[7:-5]
    page = person_page_name(person)
    level, sentence = exposure_level(profile)
    counts = Counter(source_label(e) for e in evidence)
    devices = sorted({e.device for e in evidence if e.device} | set(profile.devices))
    out = [
        f'<section class="person" id="{html_text(anchor)}"><h2>{html_text(person)} '
        f'<span class="level level-{level}">{level} exposure</span></h2>'
    ]
    if maps_linked:
        out.append(f'<p><a href="{html_text(page)}">open {html_text(person)}\'s map</a></p>')
    out.append(f"<p>{html_text(sentence)}.</p>")
    posts = profile.posts or len({e.post_id for e in evidence})
    by_source = ", ".join(f"{n} {html_text(label)}" for label, n in sorted(counts.items()))
    out.append(
        "<h3>What leaked</h3><ul>"
        f"<li>{len(evidence)} located observations from {posts} posts"
        + (f": {by_source}" if by_source else "")
        + "</li>"
        f"<li>time range: {html_text(_time_range(evidence))}</li>"
        f"<li>devices: {html_text(', '.join(devices) if devices else 'none named in the metadata')}</li>"
        + (f"<li>time zone: {html_text(profile.timezone)}</li>" if profile.timezone else "")
        + "</ul>"
    )
    if profile.places:
        rows = []
        for index, place in enumerate(profile.places):
            link = (
                f'<a href="{html_text(page)}#{place_pin_id(person, place, index)}">map</a>'
                if maps_linked
                else ""
            )
            error = ""
            if truth_homes and place.kind is PlaceKind.HOME:
                # a mover's old home is measured against the old true home (as the demo does)
                nearest = min(haversine_m(place.position, t) for t in truth_homes)
                error = f"{nearest:.0f} m from truth"
            rows.append(
                f"<tr><td>{link}</td><td>{html_text(place.kind.value)}</td>"
                f"<td>{place.position.lat:.5f}, {place.position.lon:.5f}</td>"
                f"<td>± {place.radius_m:.0f} m</td><td>{place.confidence:.0%}</td>"
                f"<td>{place.days}</td><td>{html_text(place.site_id or '')}</td>"
                f'<td class="text">{html_text(place.explanation)}'
                + (f"<br><small>{html_text(error)}</small>" if error else "")
                + "</td></tr>"
            )
        out.append(
            "<h3>Inferred places</h3><table><thead><tr><th></th><th>kind</th><th>lat, lon</th>"
            "<th>uncertainty</th><th>confidence</th><th>days</th><th>site</th><th>why</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>"
        )
    else:
        out.append(
            "<h3>Inferred places</h3><p>None: too little located evidence "
            "(geoleak never invents a home).</p>"
        )
    out.append(
        "<h3>What to do</h3><ul>"
        + "".join(f"<li>{html_text(item)}</li>" for item in advice_for(profile, evidence))
        + "</ul>"
    )
    if plot and profile.place(PlaceKind.HOME) and evidence:
        current = truth_homes[-1] if truth_homes else None
        curve = leakage_curve(
            person, evidence, reference=current, max_points=plot_points, inference=inference
        )
        if curve is not None:
            found = (
                f"after {curve.found_at} of this person's {curve.posts_total} located posts, "
                f"the home estimate was within {FOUND_WITHIN_M:.0f} m of the {curve.reference} "
                "and stayed there"
                if curve.found_at
                else f"the home estimate never settled within {FOUND_WITHIN_M:.0f} m"
            )
            out.append(
                f"<h3>How fast the home leaked</h3><p>{html_text(found)}.</p>"
                f'<figure class="plot">{curve_svg(curve)}</figure>'
            )
    if evidence:
        rows = []
        for item in sorted(
            evidence,
            key=lambda e: e.time_utc or e.posted_at or datetime.max.replace(tzinfo=timezone.utc),
        )[:MAX_EVIDENCE_ROWS]:
            pin = pin_id(item)
            link = f'<a href="{html_text(page)}#{pin}">map</a>' if maps_linked else ""
            rows.append(
                f'<tr id="r{pin[4:]}"><td>{link}</td><td>{html_text(item.post_id)}</td>'
                f"<td>{html_text(item.source.value)}</td>"
                f'<td><span class="sw" style="background:{hour_colour(item.local_time)}"></span>'
                f"{html_text(item.local_time.strftime('%Y-%m-%d %H:%M') if item.local_time else '')}</td>"
                f"<td>{item.position.lat:.5f}, {item.position.lon:.5f}</td>"
                f"<td>{html_text(shown_path(item.media_path))}</td>"
                f'<td class="text">{html_text((item.text or "")[:160])}</td></tr>'
            )
        more = (
            f"<p>first {MAX_EVIDENCE_ROWS} of {len(evidence)} shown; the map page lists all</p>"
            if len(evidence) > MAX_EVIDENCE_ROWS
            else ""
        )
        out.append(
            f"<details><summary>Evidence ({len(evidence)})</summary>{more}<table><thead><tr><th></th>"
            "<th>post</th><th>source</th><th>local time</th><th>lat, lon</th><th>file</th>"
            f"<th>text</th></tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
        )
    out.append("</section>")
    return "".join(out)


_CSS = """
body { margin: 0; color: #222; }
header, main { max-width: 1100px; margin: 0 auto; padding: 0 18px; }
h1 { margin: 18px 0 6px; } h2 { margin-top: 0; }
section.person { border-top: 2px solid #ddd; padding: 14px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 6px; text-align: left; vertical-align: top; }
td.text { overflow-wrap: anywhere; white-space: pre-wrap; max-width: 420px; }
.level { font-size: 13px; padding: 2px 8px; border-radius: 10px; color: #fff; vertical-align: middle; }
.level-high { background: #c92a2a; } .level-medium { background: #e67700; }
.level-low { background: #5c940d; } .level-none { background: #868e96; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; }
iframe.overview { width: 100%; height: 640px; border: 1px solid #ccc; }
figure.plot { margin: 4px 0; }
.summary li { margin: 2px 0; }
"""


def _homes(value: LatLon | Sequence[LatLon] | None) -> list[LatLon]:
    """A person's true homes, earliest first, however the caller gave them."""
    if value is None:
        return []
    return [value] if isinstance(value, LatLon) else list(value)


def render_report(
    profiles: Sequence[Profile],
    evidence: Mapping[str, Sequence[Evidence]],
    *,
    out_dir: Path,
    sites: Sequence[SharedSite] | None = None,
    inference: LeakInference | None = None,
    stats_lines: Sequence[str] = (),
    truth_homes: Mapping[str, LatLon | Sequence[LatLon]] | None = None,
    maps_linked: bool = False,
    embed_overview: bool = True,
    plots: bool = True,
    report_name: str = "report.html",
    progress: Callable[[int], None] | None = None,
    basemap_tiles: TileSet | None = None,
) -> str:
    """The report's HTML (see module docstring)."""
    known = {p.person: p for p in profiles}
    people = sorted(set(known) | set(evidence))
    markers = shared_sites(profiles, sites)
    levels = Counter(exposure_level(known.get(p) or Profile(p))[0] for p in people)
    head = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>geoleak report</title>"
        + content_security_policy()
        + '<link rel="icon" href="data:,">'
        + inline_assets(["geoleak"])
        + f"<style>{_CSS}</style></head><body>"
    )
    summary = "".join(f"<li>{html_text(line)}</li>" for line in stats_lines)
    header = (
        "<header><h1>geoleak report</h1>"
        f"<p>Generated {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} from local "
        "files only. "
        f"{count(len(people), 'person')}: "
        + ", ".join(f"{levels[lvl]} {lvl}" for lvl in _SEVERITY if levels[lvl])
        + " exposure.</p>"
        + (f'<ul class="summary">{summary}</ul>' if summary else "")
        + "</header>"
    )
    body = ["<main>"]
    if embed_overview and (evidence or any(p.places for p in profiles)):
        overview = build_overview_map(
            profiles,
            evidence,
            out_dir,
            sites=sites,
            report_link=report_name,
            basemap_tiles=basemap_tiles,
        )
        leaks = external_references(overview)
        if (
            leaks
        ):  # cannot happen without web tiles; checked because srcdoc hides it from write_html
            raise OutputError(f"overview map would load {leaks[0]!r}; not embedding it")
        body.append(
            "<h2>Overview map</h2>"
            '<iframe class="overview" title="overview map" '
            f'srcdoc="{html_text(overview)}"></iframe>'
        )
    if markers:
        rows = "".join(
            f"<tr><td>{html_text(s.site_id)}</td><td>{html_text(s.name)}</td>"
            f"<td>{s.position.lat:.5f}, {s.position.lon:.5f}</td>"
            f"<td>{f'± {s.radius_m:.0f} m' if s.radius_m else ''}</td><td>{len(s.people)}</td>"
            f'<td class="text">{html_text(", ".join(s.people))}</td></tr>'
            for s in markers
        )
        body.append(
            "<h2>Unit-level sites</h2><p>Places where the duty-time evidence of several people "
            "concentrates: one person's posts say little, together they expose the site and "
            "who works there.</p>"
            "<table><thead><tr><th>site</th><th>name</th><th>lat, lon</th><th>radius</th>"
            f"<th>people</th><th>who</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    body.append("<h2>People</h2>")
    # each plot re-runs the home inference at every checkpoint: fewer of them for big units
    plot_points = 40 if len(people) <= 50 else 20 if len(people) <= 200 else 10
    for done, person in enumerate(people, 1):
        body.append(
            _person_section(
                known.get(person) or Profile(person),
                list(evidence.get(person, ())),
                maps_linked=maps_linked,
                truth_homes=_homes((truth_homes or {}).get(person)),
                plot=plots,
                plot_points=plot_points,
                inference=inference,
            )
        )
        if progress is not None:
            progress(done)
    body.append("</main></body></html>")
    return head + header + "".join(body)


def write_report(
    profiles: Sequence[Profile],
    evidence: Mapping[str, Sequence[Evidence]],
    out_path: Path,
    *,
    sites: Sequence[SharedSite] | None = None,
    inference: LeakInference | None = None,
    stats_lines: Sequence[str] = (),
    truth_homes: Mapping[str, LatLon | Sequence[LatLon]] | None = None,
    maps_linked: bool = False,
    embed_overview: bool = True,
    plots: bool = True,
    progress: Callable[[int], None] | None = None,
    basemap_tiles: TileSet | None = None,
) -> Path:
    """Write the report to `out_path` (its folder is created); returns the path.

    `inference`: the estimator whose parameters the leakage curves re-run with (default: the
    default parameters).
    `basemap_tiles`: street tiles (an open MBTiles/PMTiles file) for the embedded overview.
    """
    out_path = Path(out_path)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{out_path.parent}: cannot create the folder: {exc.strerror or exc}"
        ) from exc
    page = render_report(
        profiles,
        evidence,
        out_dir=out_path.parent,
        sites=sites,
        stats_lines=stats_lines,
        truth_homes=truth_homes,
        maps_linked=maps_linked,
        embed_overview=embed_overview,
        plots=plots,
        report_name=out_path.name,
        progress=progress,
        inference=inference,
        basemap_tiles=basemap_tiles,
    )
    return write_html(out_path, page)
