"""Self-contained, offline folium maps of what a corpus gives away.

`write_maps` writes an overview (`index.html`: every person's home and base, shared sites,
the network of lines between them, clustered evidence, a heatmap and a time slider) and
one page per person (`person-<id>.html`: evidence coloured by local time of day, home and
base with uncertainty circles, popups with the post's text, time, source and thumbnail, and
a table whose rows and the map's pins link to each other).

Safe to open anywhere: every script, stylesheet and the basemap are inlined (nothing is
fetched unless the user asks for web tiles), and everything from the corpus (post text,
names, file names, EXIF strings) is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import folium
import pillow_heif
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from PIL import Image, ImageOps

from geoleak.errors import UsageError
from geoleak.infer.roles import NIGHT_END_H, NIGHT_START_H, WORK_END_H, WORK_START_H
from geoleak.mediatypes import is_video
from geoleak.outputs import make_output_dir
from geoleak.paths import path_names, shown_path
from geoleak.report import basemap
from geoleak.report.assets import (
    bundle_script,
    content_security_policy,
    html_text,
    inline_assets,
    script_json,
    write_html,
)
from geoleak.report.tilesets import EmbeddedTiles, TileSet, open_tileset, select_tiles
from geoleak.types import Evidence, EvidenceSource, LatLon, Place, PlaceKind, Profile
from geoleak.wording import count

__all__ = [
    "HOUR_BANDS",
    "SiteMarker",
    "build_overview_map",
    "build_person_map",
    "hour_colour",
    "person_page_name",
    "pin_id",
    "resolve_tiles",
    "write_maps",
]


# Marker clustering on the overview's evidence layers (Leaflet.markercluster options).
_CLUSTER_OPTIONS = {
    "maxClusterRadius": 40,
    "disableClusteringAtZoom": 18,
    "spiderfyOnMaxZoom": True,
    "showCoverageOnHover": False,
    "chunkedLoading": True,
}


def hour_bands() -> tuple[tuple[int, int, str, str], ...]:
    """Local time of day -> colour: (first hour, last hour exclusive, colour, legend).

    The hours are the inference's own parts of the week (`geoleak.infer.roles`), so the
    legend means by "night" and "working hours" what the explanations mean.
    """
    night, morning, work, evening = "#3b3b98", "#0ca678", "#f59f00", "#e8590c"
    n_end, w_start, w_end, n_start = NIGHT_END_H, WORK_START_H, WORK_END_H, NIGHT_START_H
    return (
        (0, n_end, night, f"night {n_start:02d}:00-{n_end:02d}:00"),
        (n_end, w_start, morning, f"morning {n_end:02d}:00-{w_start:02d}:00"),
        (w_start, w_end, work, f"working hours {w_start:02d}:00-{w_end:02d}:00"),
        (w_end, n_start, evening, f"evening {w_end:02d}:00-{n_start:02d}:00"),
        (n_start, 24, night, ""),
    )


HOUR_BANDS = hour_bands()
UNKNOWN_TIME_COLOUR = "#868e96"
PERSON_COLOURS = (
    "#d9480f",
    "#1971c2",
    "#2f9e44",
    "#ae3ec9",
    "#f08c00",
    "#0c8599",
    "#c2255c",
    "#5c940d",
    "#6741d9",
    "#e67700",
    "#364fc7",
    "#a61e4d",
)
SOURCE_LABELS = {
    EvidenceSource.EXIF: "EXIF GPS in the photo",  # (a video's: see `source_label`)
    EvidenceSource.GEOTAG: "platform geotag",
    EvidenceSource.PLACE: "named place (check-in) centre",
    EvidenceSource.CHECKIN: "place named in the text",
    EvidenceSource.TRACK: "location history / track",
}
VIDEO_SOURCE_LABELS = {
    EvidenceSource.EXIF: "GPS in the video's own metadata",  # GoPro GPMF, QuickTime, CAMM
    EvidenceSource.TRACK: "the video's GPS track",
}


def source_label(evidence: Evidence) -> str:
    """Where a piece of evidence came from, for a person: a video's position is no EXIF GPS
    (a GoPro's GPMF telemetry, a phone's QuickTime location), nor is the rest of its track a
    location history."""
    if evidence.media_path is not None and is_video(evidence.media_path):
        label = VIDEO_SOURCE_LABELS.get(evidence.source)
        if label is not None:
            return label
    return SOURCE_LABELS.get(evidence.source, evidence.source.value)


KIND_LETTER = {PlaceKind.HOME: "H", PlaceKind.BASE: "B", PlaceKind.FREQUENT: "F"}
KIND_TITLE = {
    PlaceKind.HOME: "Home",
    PlaceKind.BASE: "Base / work",
    PlaceKind.FREQUENT: "Frequent place",
}

PLACE_COLOURS = {
    PlaceKind.HOME: "#c92a2a",
    PlaceKind.BASE: "#1c5fb8",
    PlaceKind.FREQUENT: "#5f6b75",
}
SINGLE_POINT_M = 250.0  # evidence with no other point of the person this close is drawn unclustered
MAX_THUMBNAILS = 400  # per page, to bound its size
THUMBNAIL_PX = 160
MAX_POPUP_TEXT = 600
FAR_PLACE_M = 50_000.0  # a person page lists places farther than this from home/base
EVIDENCE_ROWS_FIRST = 100  # rows of a person page's evidence table written as HTML
EVIDENCE_ROWS_MORE = 500  # rows its "show more" button adds (the rest wait as JSON)
COMPACT_OVERVIEW_FROM = 2000  # evidence points; above it overview popups are short
# Written once per folder of map pages and loaded by each: Leaflet and its plugins, the map
# runtime and the offline world's countries (about 0.4 MB a page would otherwise repeat).
SHARED_SCRIPT = "geoleak-maps.js"
# Above this many evidence points the overview draws one marker per person and grid cell
# (the cell grows until at most this many remain, or to about 450 km); person pages keep
# every point.
OVERVIEW_MAX_MARKERS = 5000
# Above this many groups the overview draws coarser ones (at most this many) at low zoom and
# the finer ones from the zoom where a coarse cell spans LEVEL_SWITCH_PX pixels (built then)
OVERVIEW_LOW_ZOOM_MARKERS = 500
LEVEL_SWITCH_PX = 32
# Above this many evidence markers on a map (a person page, or the overview's points or
# groups) they are drawn as circles on one canvas, without clustering, instead of one DOM
# marker each: a browser opens thousands of canvas circles in a fraction of the time.
CANVAS_ABOVE = 500
_SCRIPT_BUNDLES = ("leaflet", "markercluster", "heat", "geoleak")

_URL_TEMPLATE = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class SiteMarker:
    """A unit-level site to draw: a place several people are tied to, or a known installation."""

    site_id: str
    name: str
    position: LatLon
    people: tuple[str, ...] = ()
    radius_m: float | None = None
    category: str = ""
    note: str = ""


@dataclass
class _Tiles:
    url: str | None
    attribution: str
    name: str


# --- small helpers --------------------------------------------------------------------


def hour_colour(local_time: datetime | None) -> str:
    """Colour of a piece of evidence by its local hour (grey when the time is unknown)."""
    if local_time is None:
        return UNKNOWN_TIME_COLOUR
    for first, last, colour, _legend in HOUR_BANDS:
        if first <= local_time.hour < last:
            return colour
    return UNKNOWN_TIME_COLOUR


def _digest(*parts: object) -> str:
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    data = text.encode("utf-8", "surrogatepass")  # a name that is not UTF-8 hashes too
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]


def pin_id(evidence: Evidence) -> str:
    """Anchor of an evidence pin; the row of the same evidence is `row-` + the same hash.

    A hash, not the post id: ids come from the corpus and must not become HTML ids.
    """
    return "pin-" + _digest(
        evidence.person,
        evidence.post_id,
        evidence.media_path,
        evidence.source.value,
        f"{evidence.position.lat:.6f}",
        f"{evidence.position.lon:.6f}",
    )


def place_pin_id(person: str, place: Place, index: int) -> str:
    return "pin-" + _digest("place", person, place.kind.value, index)


def person_page_name(person: str) -> str:
    """File name of a person's page: readable and safe on every file system, never clashing."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", person).strip("_")[:40] or "person"
    if safe != person:
        safe = f"{safe}-{_digest(person)[:6]}"
    return f"person-{safe}.html"


def _distance_m(a: LatLon, b: LatLon) -> float:
    # haversine; math wants radians
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _fmt_time(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M")


def _fmt_distance(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


def _evidence_sort_key(evidence: Evidence) -> tuple[int, float, str, str]:
    when = evidence.time_utc or evidence.posted_at
    return (0 if when else 1, when.timestamp() if when else 0.0, evidence.person, evidence.post_id)


def resolve_tiles(tiles: str | None) -> _Tiles:
    """The tile layer the user asked for: none (offline basemap), `osm`, or a URL template."""
    if tiles is None or tiles.strip().lower() in {"", "none", "offline"}:
        return _Tiles(None, basemap.ATTRIBUTION, "offline basemap")
    spec = tiles.strip()
    if spec.lower() in {"osm", "openstreetmap"}:
        return _Tiles(
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "&copy; OpenStreetMap contributors",
            "OpenStreetMap (web tiles)",
        )
    if _URL_TEMPLATE.match(spec) and all(part in spec for part in ("{z}", "{x}", "{y}")):
        return _Tiles(spec, "tiles: " + html_text(spec.split("/")[2]), "web tiles")
    raise UsageError(
        f"--tiles {tiles!r}: expected 'osm' or an http(s) URL template with {{z}}, {{x}} and {{y}}"
        " (for example http://localhost:8080/{z}/{x}/{y}.png)"
    )


# --- thumbnails -----------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _thumbnail(path: str) -> str | None:
    """A small JPEG data URI of a photo, re-encoded so none of its metadata is carried over."""
    pillow_heif.register_heif_opener()  # idempotent; HEIC photos get thumbnails too
    buffer = io.BytesIO()
    try:
        with Image.open(path) as opened:
            opened.draft("RGB", (THUMBNAIL_PX * 2, THUMBNAIL_PX * 2))
            upright = ImageOps.exif_transpose(opened)
            upright.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            upright.convert("RGB").save(buffer, format="JPEG", quality=70)
    except Exception:  # a broken or unsupported file: the popup still names it
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _media_file(evidence: Evidence, media_root: Path | None) -> Path | None:
    if not evidence.media_path:
        return None
    path = Path(evidence.media_path)
    if not path.is_absolute() and media_root is not None:
        path = media_root / path
    return path if path.is_file() else None


# --- page context ---------------------------------------------------------------------


@dataclass
class _Page:
    out_dir: Path
    media_root: Path | None
    wrap_lon: bool = False
    thumbnails_left: int = MAX_THUMBNAILS
    report_link: str | None = None  # report.html beside the maps: popups link to its rows
    compact: bool = False  # short popups (a large overview): the person page has the details
    messages: list[str] | None = None  # notes for the user (e.g. basemap tiles capped)
    label: str = "overview"  # which page, in those notes
    shared_script: str | None = None  # SHARED_SCRIPT beside the page, or None: all inline

    def ll(self, position: LatLon) -> list[float]:
        """[lat, lon] for Leaflet; longitudes unwrapped past 180 when data straddles it."""
        lon = position.lon + 360.0 if self.wrap_lon and position.lon < 0 else position.lon
        return [round(position.lat, 6), round(lon, 6)]

    def thumbnail(self, evidence: Evidence) -> str | None:
        if self.thumbnails_left <= 0:
            return None
        path = _media_file(evidence, self.media_root)
        if path is None:
            return None
        uri = _thumbnail(str(path))
        if uri:
            self.thumbnails_left -= 1
        return uri

    def media_href(self, evidence: Evidence) -> str | None:
        path = _media_file(evidence, self.media_root)
        if path is None or path_names().temporary(path):  # gone once the command ends
            return None
        try:
            relative = os.path.relpath(path.resolve(), self.out_dir.resolve())
        except ValueError:  # other drive on Windows
            return None
        # quote() turns any scheme ("javascript:") into a plain relative path; the name's
        # own bytes are quoted, so a name that is not UTF-8 still links to its file
        return quote(os.fsencode(relative.replace(os.sep, "/")), safe="/")


def _needs_wrap(positions: Sequence[LatLon]) -> bool:
    """True when the points sit on both sides of the antimeridian and belong together."""
    if not positions:
        return False
    lons = [p.lon for p in positions]
    span = max(lons) - min(lons)
    wrapped = [lon + 360.0 if lon < 0 else lon for lon in lons]
    return span > 180.0 and (max(wrapped) - min(wrapped)) < span


# --- folium elements ------------------------------------------------------------------


class RawElement(Element):
    """Text placed in the page as is: never compiled as a Jinja template.

    branca wraps each element's rendered output in a new Element, which compiles it as a
    template again; corpus text inside that output could then run as template code. Our
    elements hand over finished text through this class instead.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:  # noqa: ARG002 - branca's signature
        return self.text


class _RawScriptMixin:
    """render() for our MacroElements: their script goes into the page as RawElement."""

    def _script_suffix(self) -> str:
        return ""

    def render(self, **kwargs: Any) -> Any:
        element: Any = self
        figure = element.get_root()
        script = element._template.module.__dict__["script"]
        text = script(element, kwargs) + self._script_suffix()
        figure.script.add_child(RawElement(text), name=element.get_name())


class OfflineMap(folium.Map):
    """A folium Map that loads nothing: its scripts and styles are inlined by `_add_assets`."""

    default_js: list[tuple[str, str]] = []  # noqa: RUF012 - folium's class attribute
    default_css: list[tuple[str, str]] = []  # noqa: RUF012


class _RawLayer(_RawScriptMixin, folium.map.Layer):
    def _script_suffix(self) -> str:
        # what folium's Layer.render does: put the layer on the map when it is shown
        parent: Any = self._parent
        return f"\n{self.get_name()}.addTo({parent.get_name()});\n" if self.show else ""


class SpecLayer(_RawLayer):
    """A layer built in the browser by geoleak-map.js from a JSON spec (escaped strings)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoleak.layer({{ this.spec_json }});
        {% endmacro %}
        """
    )

    def __init__(self, spec: Mapping[str, Any], *, name: str, show: bool = True) -> None:
        super().__init__(name=html_text(name), overlay=True, control=True, show=show)
        self._name = "SpecLayer"
        levels = spec.get("levels", ())
        self.on_canvas = any(
            f.get("k") == "dot"
            for inner in (spec, *(level["spec"] for level in levels))
            for f in inner.get("features", ())
        )
        self.data_blocks: list[tuple[str, str]] = []  # (element id, JSON of the features)
        if levels:
            # a level above the first is built when the map first zooms to it
            spec = {
                **spec,
                "levels": [
                    {**level, "spec": self._deferred(_shared_icons(level["spec"]), index)}
                    if index
                    else {**level, "spec": _shared_icons(level["spec"])}
                    for index, level in enumerate(levels)
                ],
            }
        else:
            spec = _shared_icons(spec)
            if not show:
                spec = self._deferred(spec, 0)
        self.spec_json = script_json(spec)

    def _deferred(self, spec: dict[str, Any], index: int) -> dict[str, Any]:
        """A spec built in the browser when first shown; until then its features are not
        even parsed: they wait as JSON in a block of their own (see geoleak-map.js)."""
        features = spec.get("features")
        if not features:
            return spec
        block = f"{self.get_name()}-data" + (f"-{index}" if index else "")
        self.data_blocks.append((block, script_json(features)))
        rest = {key: value for key, value in spec.items() if key != "features"}
        return {**rest, "lazy": True, "data": block, "count": len(features)}

    def render(self, **kwargs: Any) -> Any:
        super().render(**kwargs)
        figure: Any = self.get_root()  # the page's Figure: its body is `html`
        for block, data_json in self.data_blocks:
            # in the body, before the page's script: there when the layer is first built
            figure.html.add_child(
                RawElement(f'<script type="application/json" id="{block}">{data_json}</script>'),
                name=block.replace("-", "_"),
            )


def _shared_icons(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with each distinct icon stored once (`icons`) and referenced by index (`ic`)."""
    icons: list[Mapping[str, Any]] = []
    index: dict[str, int] = {}
    features = []
    for feature in spec.get("features", ()):
        icon = feature.get("icon")
        if icon is None:
            features.append(feature)
            continue
        key = json.dumps(icon, sort_keys=True)
        if key not in index:
            index[key] = len(icons)
            icons.append(icon)
        features.append({**{k: v for k, v in feature.items() if k != "icon"}, "ic": index[key]})
    out = dict(spec)
    if "features" in spec:
        out["features"] = features
        out["icons"] = icons
    return out


class CountriesLayer(_RawLayer):
    """The offline world's countries: inline, or (`data` None) those of the shared script."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoleak.countries({{ this._parent.get_name() }}, {{ this.data_json }});
        {% endmacro %}
        """
    )

    def __init__(self, data: Mapping[str, Any] | None, *, show: bool = True) -> None:
        super().__init__(name="Countries (offline basemap)", overlay=True, control=True, show=show)
        self._name = "CountriesLayer"
        self.data_json = "geoleak.world" if data is None else script_json(data)


class EmbeddedTilesLayer(_RawLayer):
    """Street tiles from a local MBTiles/PMTiles file, inlined as base64 (see tilesets.py)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoleak.embeddedTiles({{ this.spec_json }});
        {% endmacro %}
        """
    )

    def __init__(self, embedded: EmbeddedTiles) -> None:
        super().__init__(
            name=html_text(f"Street map: {embedded.name}"), overlay=False, control=True, show=True
        )
        self._name = "EmbeddedTilesLayer"
        self.spec_json = script_json(tile_spec(embedded))


def tile_spec(embedded: EmbeddedTiles) -> dict[str, Any]:
    """The JSON geoleak.embeddedTiles() reads: base64 tiles keyed "z/x/y" (XYZ)."""
    attribution = embedded.attribution or f"tiles: {embedded.name}"
    return {
        "mime": embedded.mime,
        "minZoom": embedded.min_zoom,
        "maxZoom": embedded.max_zoom,
        "attribution": html_text(attribution),
        "tiles": {
            key: base64.b64encode(data).decode("ascii") for key, data in embedded.tiles.items()
        },
    }


class LabelsLayer(_RawLayer):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoleak.labels({{ this._parent.get_name() }}, {{ this.labels_json }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: Sequence[Sequence[Any]], *, show: bool = True) -> None:
        super().__init__(name="Place names", overlay=True, control=True, show=show)
        self._name = "LabelsLayer"
        self.labels_json = script_json(labels)


class PageScript(_RawScriptMixin, MacroElement):
    """Code that runs after every layer exists: fit bounds, boxes, the time slider."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
          geoleak.init(map, {{ this.bounds_json }});
          {% for box in this.boxes %}
          geoleak.box(map, {{ box[0] }}, {{ box[1] }}, {{ box[2] }});
          {% endfor %}
          {% if this.slider %}geoleak.slider(map, {{ this.slider[0] }}, {{ this.slider[1] }});{% endif %}
          window.geoleakReady = true;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        bounds: list[list[float]] | None,
        boxes: Sequence[tuple[str, str, str]],
        slider: tuple[int, list[str]] | None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "PageScript"
        self.bounds_json = script_json(bounds)
        self.boxes = [tuple(script_json(part) for part in box) for box in boxes]
        self.slider = (
            (script_json(slider[0]), script_json(_label_runs(slider[1]))) if slider else None
        )


class ViewScript(_RawScriptMixin, MacroElement):
    """Fits the map to the page's view before any layer is added, so every layer is drawn
    once at the zoom the page opens on (not at zoom 2 first and again after the fit)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        geoleak.view({{ this._parent.get_name() }}, {{ this.bounds_json }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]] | None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "ViewScript"
        self.bounds_json = script_json(bounds)


def _label_runs(labels: Sequence[str]) -> list[list[Any]]:
    """The slider's date label of every post rank as [first rank, label] where it changes:
    posts are in time order, so 100,000 posts span a few hundred days, not 100,000 labels."""
    runs: list[list[Any]] = []
    for rank, label in enumerate(labels, start=1):
        if not runs or runs[-1][1] != label:
            runs.append([rank, label])
    return runs


def _bounds(points: Sequence[Sequence[float]]) -> list[list[float]] | None:
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _shift_geometry(coordinates: Any) -> Any:
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [coordinates[0] + 360.0, coordinates[1]]
    return [_shift_geometry(c) for c in coordinates]


def _basemap_countries(wrap_lon: bool) -> dict[str, Any]:
    countries = basemap.world_countries()
    if not wrap_lon:
        return countries
    # Data straddles the antimeridian and is drawn at lon > 180: add the western hemisphere's
    # countries again, shifted by 360 degrees, so the coast under the points is there.
    shifted = []
    for feature in countries["features"]:
        geometry = feature["geometry"]
        shifted.append(
            {
                "type": "Feature",
                "properties": feature["properties"],
                "geometry": {
                    "type": geometry["type"],
                    "coordinates": _shift_geometry(geometry["coordinates"]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": countries["features"] + shifted}


def _label_rows(positions: Sequence[LatLon], page: _Page) -> list[list[Any]]:
    rows = []
    for label in basemap.labels_for(positions):
        if label.population >= 5_000_000:
            min_zoom = 3
        elif label.population >= 1_000_000:
            min_zoom = 4
        elif label.population >= 300_000:
            min_zoom = 6
        elif label.population >= 100_000:
            min_zoom = 7
        elif label.population >= 40_000:
            min_zoom = 8
        else:
            min_zoom = 9
        lat, lon = page.ll(label.position)
        rows.append([html_text(label.name), lat, lon, min_zoom])
    return rows


def shared_script_text() -> str:
    """The text of SHARED_SCRIPT: the map scripts, then `geoleak.world` (the countries)."""
    return (
        bundle_script(_SCRIPT_BUNDLES)
        + "\n/* offline basemap: Natural Earth 1:110m countries */\nwindow.geoleak.world = "
        + script_json(basemap.world_countries())
        + ";\n"
    )


def _new_map(
    title: str, tiles: _Tiles, *, height: str, shared_script: str | None = None
) -> tuple[Figure, OfflineMap]:
    figure = Figure(title=html_text(title))
    fmap = OfflineMap(
        location=[0, 0],
        zoom_start=2,
        tiles=None,
        height=height,
        control_scale=True,
        min_zoom=1,
        max_zoom=19,
        prefer_canvas=False,
        attribution_control=True,
        font_size="13px",
    )
    # Without a tile layer Leaflet knows no zoom range; the cluster plugin needs one.
    fmap.options["maxZoom"] = 19
    fmap.options["minZoom"] = 1
    figure.add_child(fmap)
    figure.header.add_child(
        RawElement(
            content_security_policy(tiles.url, own_scripts=shared_script is not None)
            + '<link rel="icon" href="data:,">'
            + inline_assets(_SCRIPT_BUNDLES, scripts=shared_script is None)
            + (f'<script src="{html_text(shared_script)}"></script>' if shared_script else "")
        ),
        name="geoleak_assets",
        index=0,
    )
    if tiles.url:
        folium.TileLayer(
            tiles.url,
            attr=tiles.attribution,
            name=html_text(tiles.name),
            max_zoom=19,
            overlay=False,
            control=True,
        ).add_to(fmap)
    return figure, fmap


def _add_basemap(
    fmap: OfflineMap,
    page: _Page,
    positions: Sequence[LatLon],
    tiles: _Tiles,
    street: TileSet | None = None,
) -> str:
    """Countries, labels and the street tiles of a --basemap file; returns the attribution."""
    embedded = None
    if street is not None and positions:
        embedded = select_tiles(street, positions)
        if embedded.capped and page.messages is not None:
            page.messages.append(f"{street.path}: {page.label} map: {embedded.capped}")
        if embedded.tiles:
            EmbeddedTilesLayer(embedded).add_to(fmap)
        else:
            if page.messages is not None:
                page.messages.append(
                    f"{street.path}: no tile of zoom {street.min_zoom}-{street.max_zoom} covers "
                    f"the evidence of the {page.label} map; it shows the bundled world map"
                )
            embedded = None
    shared = page.shared_script is not None and not page.wrap_lon
    CountriesLayer(
        None if shared else _basemap_countries(page.wrap_lon),
        show=tiles.url is None and embedded is None,
    ).add_to(fmap)
    LabelsLayer(_label_rows(positions, page), show=True).add_to(fmap)
    if embedded is not None:
        return f"Street map: {embedded.attribution or embedded.name}"
    return tiles.attribution if tiles.url else basemap.ATTRIBUTION


# --- popups ---------------------------------------------------------------------------


def _rows(pairs: Iterable[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in pairs if value)


def _evidence_popup(evidence: Evidence, page: _Page, *, person_link: str | None) -> str:
    local = ""
    if evidence.local_time is not None:
        local = html_text(evidence.local_time.strftime("%Y-%m-%d %H:%M (%a)"))
        basis = evidence.local_basis.value if evidence.local_basis else ""
        zone = f", {evidence.tz_name}" if evidence.tz_name else ""
        local += f" <small>{html_text(basis + zone)}</small>"
    text = evidence.text or ""
    limit = 140 if page.compact else MAX_POPUP_TEXT
    if len(text) > limit:
        text = text[:limit] + "…"
    parts = [
        f'<div class="gl-popup"><h3>{html_text(evidence.person)} · post '
        f"{html_text(evidence.post_id)}</h3>"
    ]
    thumb = page.thumbnail(evidence)
    if thumb:
        parts.append(f'<img class="gl-thumb" alt="photo that leaked" src="{thumb}">')
    if text:
        parts.append(f'<div class="gl-text">{html_text(text)}</div>')
    href = None if page.compact else page.media_href(evidence)
    media = "" if page.compact else html_text(shown_path(evidence.media_path))
    if href and media:
        media = f'<a href="{html_text(href)}" target="_blank" rel="noopener noreferrer">{media}</a>'
    parts.append(
        "<table>"
        + _rows(
            [
                ("source", html_text(source_label(evidence))),
                ("local time", local),
                ("time", "" if page.compact else html_text(_fmt_time(evidence.time_utc))),
                (
                    "posted",
                    html_text(_fmt_time(evidence.posted_at))
                    if evidence.posted_at
                    and evidence.posted_at != evidence.time_utc
                    and not page.compact
                    else "",
                ),
                (
                    "position",
                    html_text(f"{evidence.position} ± {_fmt_distance(evidence.accuracy_m)}"),
                ),
                ("device", "" if page.compact else html_text(evidence.device or "")),
                ("file", media),
            ]
        )
        + "</table>"
    )
    row = pin_id(evidence)[4:]
    if person_link:  # overview: the row is on the person's page
        links = [
            f'<a target="_top" href="{html_text(person_link)}#row-{row}">'
            f"{html_text(evidence.person)}'s page</a>"
        ]
    else:
        links = [f'<a href="#row-{row}">row in table</a>']
    if page.report_link:
        links.append(
            f'<a target="_top" href="{html_text(page.report_link)}#r{row}">row in report</a>'
        )
    parts.append("<p>" + " · ".join(links) + "</p></div>")
    return "".join(parts)


def _place_popup(person: str, place: Place, *, person_link: str | None) -> str:
    extra = []
    if place.nights:
        extra.append(f"{place.nights} nights")
    if place.workdays:
        extra.append(f"{place.workdays} working days")
    seen = " – ".join(x for x in (_fmt_time(place.first_seen), _fmt_time(place.last_seen)) if x)
    evidence = ", ".join(place.evidence[:8]) + (" …" if len(place.evidence) > 8 else "")
    parts = [
        f'<div class="gl-popup"><h3>{html_text(KIND_TITLE[place.kind])} of '
        f"{html_text(person)}</h3>",
        f'<p class="gl-why">{html_text(place.explanation)}</p>' if place.explanation else "",
        "<table>",
        _rows(
            [
                ("confidence", html_text(f"{place.confidence:.0%}")),
                ("position", html_text(f"{place.position} ± {_fmt_distance(place.radius_m)}")),
                (
                    "days seen",
                    html_text(f"{place.days}" + (f" ({', '.join(extra)})" if extra else "")),
                ),
                ("seen", html_text(seen)),
                ("evidence", html_text(f"{len(place.evidence)} posts: {evidence}")),
                ("site", html_text(place.site_id or "")),
            ]
        ),
        "</table>",
    ]
    if person_link:
        parts.append(
            f'<p><a target="_top" href="{html_text(person_link)}">{html_text(person)}\'s '
            "page</a></p>"
        )
    parts.append("</div>")
    return "".join(parts)


# --- features -------------------------------------------------------------------------


def _dot(colour: str, size: int, *, single: bool = False) -> dict[str, Any]:
    return {
        "cls": "gl-dot gl-single" if single else "gl-dot",
        "html": f'<span style="background:{colour}"></span>',
        "size": [size, size],
    }


def _canvas_dot(feature: dict[str, Any], colour: str, size: int, *, single: bool) -> dict[str, Any]:
    """A DOM pin's feature as a circle on the page's canvas (same popup, tooltip, id, rank)."""
    dot = {k: v for k, v in feature.items() if k not in ("k", "icon", "z")}
    dot.update({"k": "dot", "c": colour, "r": size // 2 - 1})
    if single:
        dot["s"] = "#222"  # single points keep standing out, as their DOM pins do
    return dot


def _place_icon(kind: PlaceKind, colour: str | None = None) -> dict[str, Any]:
    border = f' style="border-color:{colour}"' if colour else ""
    return {
        "cls": "gl-place-wrap",
        "html": f'<div class="gl-place gl-place-{kind.value}"{border} style="width:26px;height:26px">'
        f"<b>{KIND_LETTER[kind]}</b></div>",
        "size": [26, 26],
    }


def _single_flags(evidence: Sequence[Evidence]) -> list[bool]:
    """Whether each point has no other point of the same person within SINGLE_POINT_M."""
    cell = SINGLE_POINT_M / 111_000.0
    grid: dict[tuple[str, int, int], list[int]] = defaultdict(list)

    def key(e: Evidence) -> tuple[str, int, int]:
        scale = max(0.05, math.cos(math.radians(e.position.lat)))
        return (
            e.person,
            math.floor(e.position.lat / cell),
            math.floor(e.position.lon * scale / cell),
        )

    keys = [key(e) for e in evidence]
    for index, k in enumerate(keys):
        grid[k].append(index)
    flags = []
    for index, (person, row, col) in enumerate(keys):
        alone = True
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                for other in grid.get((person, row + dr, col + dc), ()):
                    if other != index and (
                        evidence[other].post_id == evidence[index].post_id
                        or _distance_m(evidence[other].position, evidence[index].position)
                        <= SINGLE_POINT_M
                    ):
                        alone = False
                        break
                if not alone:
                    break
            if not alone:
                break
        flags.append(alone)
    return flags


def _post_ranks(evidence: Sequence[Evidence]) -> tuple[list[int], list[str]]:
    """Rank of each evidence's post in time order (1-based) and a date label per rank."""
    order = sorted(range(len(evidence)), key=lambda i: _evidence_sort_key(evidence[i]))
    rank_of_post: dict[tuple[str, str], int] = {}
    labels: list[str] = []
    ranks = [0] * len(evidence)
    for index in order:
        item = evidence[index]
        post = (item.person, item.post_id)
        if post not in rank_of_post:
            rank_of_post[post] = len(rank_of_post) + 1
            when = item.time_utc or item.posted_at
            labels.append(when.astimezone(timezone.utc).strftime("%Y-%m-%d") if when else "undated")
        ranks[index] = rank_of_post[post]
    return ranks, labels


def _evidence_layers(
    evidence: Sequence[Evidence],
    page: _Page,
    *,
    colour_of: Mapping[str, str] | None,
    person_links: Mapping[str, str] | None,
) -> tuple[list[SpecLayer], int, list[str]]:
    ranks, labels = _post_ranks(evidence)
    singles = _single_flags(evidence)
    canvas = len(evidence) > CANVAS_ABOVE
    canvas_name = "Evidence (every point)"
    clustered: list[dict[str, Any]] = []
    single: list[dict[str, Any]] = []
    heat: list[list[float]] = []
    for item, rank, alone in zip(evidence, ranks, singles, strict=True):
        colour = colour_of[item.person] if colour_of else hour_colour(item.local_time)
        when = item.local_time.strftime("%Y-%m-%d %H:%M") if item.local_time else "time unknown"
        feature = {
            "k": "pin",
            "ll": page.ll(item.position),
            "icon": _dot(colour, 16 if alone else 14, single=alone),
            "popup": _evidence_popup(
                item, page, person_link=person_links.get(item.person) if person_links else None
            ),
            "tip": html_text(f"{item.person} · {when} · {item.source.value}"),
            "id": pin_id(item),
            "n": rank,
            "z": 200 if alone else 0,
        }
        if canvas:
            single.append(_canvas_dot(feature, colour, 16 if alone else 14, single=alone))
        else:
            (single if alone else clustered).append(feature)
        lat, lon = page.ll(item.position)
        heat.append([lat, lon, round(min(1.0, max(0.1, item.weight)), 2), rank])
    if canvas:
        points = [SpecLayer({"mode": "group", "features": single, "timed": True}, name=canvas_name)]
    else:
        points = [
            SpecLayer(
                {
                    "mode": "cluster",
                    "options": _CLUSTER_OPTIONS,
                    "features": clustered,
                    "timed": True,
                },
                name="Evidence (clustered)",
            ),
            SpecLayer(
                {"mode": "group", "features": single, "timed": True}, name="Evidence: single points"
            ),
        ]
    layers = [
        *points,
        _heat_layer(heat),
    ]
    return layers, len(labels), labels


def _heat_layer(heat: list[list[float]]) -> SpecLayer:
    """The overview's heatmap of all evidence ([lat, lon, weight, rank] rows), off at first."""
    return SpecLayer(
        {
            "mode": "heat",
            "points": heat,
            "options": {"radius": 24, "blur": 18, "maxZoom": 11, "max": 0.5, "minOpacity": 0.3},
        },
        name="Heatmap of all evidence",
        show=False,
    )


def _aggregate(
    evidence: Sequence[Evidence], budget: int, start: float = 0.0005
) -> tuple[list[list[int]], float]:
    """Evidence indexes grouped per person and grid cell, and the cell's size in degrees.

    The cell starts at `start` degrees (0.0005, about 55 m) and doubles until at most
    `budget` groups remain or it passes 4 degrees (people seen on many continents may then
    keep more); longitude cells are scaled by cos(latitude) so a cell stays about square.
    """
    cell = start
    while True:
        groups: dict[tuple[str, int, int], list[int]] = {}
        for index, item in enumerate(evidence):
            scale = max(0.05, math.cos(math.radians(item.position.lat)))
            key = (
                item.person,
                math.floor(item.position.lat / cell),
                math.floor(item.position.lon * scale / cell),
            )
            groups.setdefault(key, []).append(index)
        if len(groups) <= budget or cell >= 4.0:
            return list(groups.values()), cell
        cell *= 2


def _aggregated_layers(
    evidence: Sequence[Evidence],
    page: _Page,
    *,
    colour_of: Mapping[str, str],
    person_links: Mapping[str, str],
) -> tuple[list[SpecLayer], int, list[str], float]:
    """The overview's evidence when it is dense: one marker per person and grid cell, its
    popup saying how many observations it stands for, when, and linking to the person's
    page, where each of them (and every inferred place's evidence) has its own pin."""
    ranks, labels = _post_ranks(evidence)
    groups, cell = _aggregate(evidence, OVERVIEW_MAX_MARKERS)
    name = "Evidence (grouped: open a person's page for each point)"
    coarse_groups: list[list[int]] = []
    coarse_cell = cell
    if len(groups) > OVERVIEW_LOW_ZOOM_MARKERS:
        coarse_groups, coarse_cell = _aggregate(evidence, OVERVIEW_LOW_ZOOM_MARKERS, cell * 2)
    two_levels = 0 < len(coarse_groups) < len(groups)  # else few groups, or none coarser
    canvas = two_levels or len(groups) > CANVAS_ABOVE
    features, heat = _group_features(
        evidence, groups, ranks, page, colour_of=colour_of, person_links=person_links,
        canvas=canvas,
    )  # fmt: skip
    if not two_levels:
        spec: dict[str, Any] = (
            {"mode": "group", "features": features, "timed": True}
            if canvas
            else {
                "mode": "cluster",
                "options": _CLUSTER_OPTIONS,
                "features": features,
                "timed": True,
            }
        )
        return (
            [SpecLayer(spec, name=name), _heat_layer(heat)],
            len(labels),
            labels,
            cell * 111_000.0,
        )
    # at low zoom, where thousands of groups would be drawn on a few pixels, coarser ones
    coarse, _heat = _group_features(
        evidence, coarse_groups, ranks, page, colour_of=colour_of, person_links=person_links,
        canvas=True,
    )  # fmt: skip
    levels = {
        "mode": "levels",
        "levels": [
            {"minZoom": 0, "spec": {"mode": "group", "features": coarse, "timed": True}},
            {
                "minZoom": _detail_zoom(coarse_cell * 111_000.0),
                "spec": {"mode": "group", "features": features, "timed": True},
            },
        ],
    }
    return [SpecLayer(levels, name=name), _heat_layer(heat)], len(labels), labels, cell * 111_000.0


def _detail_zoom(coarse_cell_m: float) -> int:
    """The zoom from which the overview draws its finer groups: where a coarse cell would
    span LEVEL_SWITCH_PX pixels (Web Mercator at the equator: 156,543 m per pixel at zoom 0)."""
    zoom = math.ceil(math.log2(LEVEL_SWITCH_PX * 156_543.03 / max(1.0, coarse_cell_m)))
    return max(1, min(18, zoom))


def _group_features(
    evidence: Sequence[Evidence],
    groups: Sequence[Sequence[int]],
    ranks: Sequence[int],
    page: _Page,
    *,
    colour_of: Mapping[str, str],
    person_links: Mapping[str, str],
    canvas: bool,
) -> tuple[list[dict[str, Any]], list[list[float]]]:
    """One marker per group (see `_aggregated_layers`) and the heatmap's rows."""
    features: list[dict[str, Any]] = []
    heat: list[list[float]] = []
    for members in groups:
        first = evidence[members[0]]
        lls = [page.ll(evidence[i].position) for i in members]
        lat = round(sum(ll[0] for ll in lls) / len(lls), 6)
        lon = round(sum(ll[1] for ll in lls) / len(lls), 6)
        times = sorted(t for i in members if (t := evidence[i].local_time) is not None)
        span = f"{times[0]:%Y-%m-%d} to {times[-1]:%Y-%m-%d}" if times else "at unknown times"
        person = first.person
        link = person_links.get(person)
        count_text = count(len(members), "located observation")
        popup = (
            f'<div class="gl-popup"><h3>{html_text(person)}</h3>'
            f"<p>{html_text(count_text)} here, {html_text(span)}</p>"
            + (
                f'<p><a target="_top" href="{html_text(link)}">{html_text(person)}\'s page'
                "</a> shows each of them</p>"
                if link
                else ""
            )
            + "</div>"
        )
        rank = min(ranks[i] for i in members)
        size = 14 if len(members) == 1 else min(24, 14 + round(2 * math.log2(len(members))))
        feature = {
            "k": "pin",
            "ll": [lat, lon],
            "icon": _dot(colour_of[person], size),
            "popup": popup,
            "tip": html_text(f"{person} · {count_text}"),
            "n": rank,
        }
        if canvas:
            feature = _canvas_dot(feature, colour_of[person], size, single=False)
        features.append(feature)
        weight = sum(min(1.0, max(0.1, evidence[i].weight)) for i in members)
        heat.append([lat, lon, round(min(1.0, weight), 2), rank])
    return features, heat


def _place_layers(
    profiles: Sequence[Profile],
    page: _Page,
    *,
    colour_of: Mapping[str, str] | None,
    person_links: Mapping[str, str] | None,
    canvas: bool,
) -> list[SpecLayer]:
    """Place pins, their uncertainty circles and home → base lines. With `canvas` (see
    `_vector_on_canvas`) circles and lines are drawn on the page's canvas, behind its points:
    as SVG above the canvas they would catch the clicks meant for points under them."""
    by_kind: dict[PlaceKind, list[dict[str, Any]]] = {kind: [] for kind in PlaceKind}
    circles: list[dict[str, Any]] = []
    hidden_circles: list[dict[str, Any]] = []  # those of the places of a layer off at first
    lines: list[dict[str, Any]] = []
    # a kind with more pins than CANVAS_ABOVE (thousands of frequent places on an overview)
    # is drawn as circles on the page's canvas: same popup, tooltip and id, no DOM marker
    per_kind = Counter(place.kind for profile in profiles for place in profile.places)
    # thousands of frequent places on an overview: off at first (and built only when
    # switched on); homes and bases stay, and each person's page shows their places
    hidden = (
        PlaceKind.FREQUENT
        if colour_of is not None and per_kind[PlaceKind.FREQUENT] > CANVAS_ABOVE
        else None
    )
    for profile in profiles:
        colour = colour_of[profile.person] if colour_of else None
        link = person_links.get(profile.person) if person_links else None
        for index, place in enumerate(profile.places):
            ll = page.ll(place.position)
            feature: dict[str, Any] = {
                "ll": ll,
                "popup": _place_popup(profile.person, place, person_link=link),
                "tip": html_text(
                    f"{profile.person}: {place.kind.value} ({place.confidence:.0%}, "
                    f"± {_fmt_distance(place.radius_m)})"
                ),
                "id": place_pin_id(profile.person, place, index),
            }
            if per_kind[place.kind] > CANVAS_ABOVE:
                ring = colour or "#fff"  # the kind's colour, ringed in the person's
                feature.update(
                    {"k": "dot", "c": PLACE_COLOURS[place.kind], "r": 8, "s": ring, "w": 3}
                )
            else:
                feature.update({"k": "pin", "icon": _place_icon(place.kind, colour), "z": 1000})
            by_kind[place.kind].append(feature)
            circle_colour = PLACE_COLOURS[place.kind]
            (hidden_circles if place.kind is hidden else circles).append(
                {
                    "k": "circle",
                    "ll": ll,
                    "r": max(5.0, float(place.radius_m)),
                    "style": {
                        "color": circle_colour,
                        "weight": 2,
                        "fillColor": circle_colour,
                        "fillOpacity": 0.12,
                        "dashArray": "4 4",
                    },
                    "tip": html_text(
                        f"{profile.person}: {place.kind.value} uncertainty ± "
                        f"{_fmt_distance(place.radius_m)}"
                    ),
                }
            )
        home, base = profile.place(PlaceKind.HOME), profile.place(PlaceKind.BASE)
        if home and base:
            lines.append(
                {
                    "k": "line",
                    "lls": [page.ll(home.position), page.ll(base.position)],
                    "style": {"color": colour or "#343a40", "weight": 3, "opacity": 0.8},
                    "tip": html_text(
                        f"{profile.person}: home → base, "
                        f"{_fmt_distance(_distance_m(home.position, base.position))}"
                    ),
                }
            )
    layers = [
        _vector_layer(circles, "Uncertainty circles", canvas=canvas),
        _vector_layer(lines, "Network: home → base lines", canvas=canvas),
    ]
    if hidden_circles:
        layers.append(
            _vector_layer(
                hidden_circles,
                f"Uncertainty circles of other frequent places ({len(hidden_circles)}: off at "
                "first)",
                canvas=canvas,
                show=False,
            )
        )
    names = {
        PlaceKind.HOME: "Homes",
        PlaceKind.BASE: "Bases / work places",
        PlaceKind.FREQUENT: "Other frequent places",
    }
    for kind, features in by_kind.items():
        if not features:
            continue
        if kind is hidden:
            name = f"{names[kind]} ({len(features)}: off at first, each person's page has theirs)"
            layers.append(SpecLayer({"mode": "group", "features": features}, name=name, show=False))
        else:
            layers.append(SpecLayer({"mode": "group", "features": features}, name=names[kind]))
    return layers


def _vector_on_canvas(evidence_layers: Sequence[SpecLayer], profiles: Sequence[Profile]) -> bool:
    """Whether a page's circles and lines go on its canvas: when its evidence is drawn there,
    or it has more than CANVAS_ABOVE places (so also when places are, see `_place_layers`)."""
    places = sum(len(profile.places) for profile in profiles)
    return any(layer.on_canvas for layer in evidence_layers) or places > CANVAS_ABOVE


def _vector_layer(
    features: list[dict[str, Any]], name: str, *, canvas: bool, show: bool = True
) -> SpecLayer:
    """Circles or lines; with `canvas`, on the page's canvas behind its points (`behind`)."""
    if canvas:
        features = [{**feature, "cv": 1} for feature in features]
    return SpecLayer(
        {"mode": "group", "features": features, "behind": canvas}, name=name, show=show
    )


def _site_attr(site: Any, *names: str) -> Any:
    for name in names:
        if isinstance(site, Mapping) and name in site:
            return site[name]
        if hasattr(site, name):
            return getattr(site, name)
    return None


def _coerce_site(site: Any, index: int) -> SiteMarker | None:
    """A SiteMarker from a SiteMarker, a mapping, or any object with name/position fields."""
    if isinstance(site, SiteMarker):
        return site
    inner = _site_attr(site, "site")  # a "hit": {site: <site>, person, ...}; or an id
    base = inner if inner is not None and not isinstance(inner, (str, int)) else site
    position = _site_attr(base, "position", "point", "centre", "center")
    polygons = _site_attr(base, "polygons")
    if not isinstance(position, LatLon) and polygons:
        ring = (
            polygons[0][0]
            if polygons[0] and not isinstance(polygons[0][0], LatLon)
            else polygons[0]
        )
        points = [p for p in ring if isinstance(p, LatLon)]
        if points:  # a site drawn as an area: mark its outer ring's centre
            position = LatLon(
                sum(p.lat for p in points) / len(points), sum(p.lon for p in points) / len(points)
            )
    if not isinstance(position, LatLon):
        lat, lon = _site_attr(base, "lat", "latitude"), _site_attr(base, "lon", "longitude")
        if lat is None or lon is None:
            return None
        try:
            position = LatLon(float(lat), float(lon))
        except (TypeError, ValueError):
            return None
    people = _site_attr(site, "people", "persons", "person") or ()
    if isinstance(people, str):
        people = (people,)
    name = _site_attr(base, "name", "label", "site_id", "site", "id") or f"site {index + 1}"
    radius = _site_attr(base, "radius_m")
    return SiteMarker(
        site_id=str(_site_attr(base, "site_id", "site", "id") or name),
        name=str(name),
        position=position,
        people=tuple(str(p) for p in people),
        radius_m=float(radius) if isinstance(radius, (int, float)) else None,
        category=str(_site_attr(base, "category", "kind") or ""),
        note=str(_site_attr(site, "note", "explanation", "reason") or ""),
    )


def shared_sites(
    profiles: Sequence[Profile], sites: Sequence[Any] | None = None
) -> list[SiteMarker]:
    """Sites to draw: places that inference tied to a site id, plus the sites given."""
    members: dict[str, list[tuple[str, Place]]] = defaultdict(list)
    for profile in profiles:
        for place in profile.places:
            if place.site_id:
                members[place.site_id].append((profile.person, place))
    markers: dict[str, SiteMarker] = {}
    for site_id, tied in members.items():
        lat = sum(p.position.lat for _, p in tied) / len(tied)
        # mean longitude on the circle, so a site at the antimeridian stays there
        sin = sum(math.sin(math.radians(p.position.lon)) for _, p in tied)
        cos = sum(math.cos(math.radians(p.position.lon)) for _, p in tied)
        lon = math.degrees(math.atan2(sin, cos))
        name = next(
            (str(p.extra["site_name"]) for _, p in tied if "site_name" in p.extra),
            None,
        ) or basemap.site_label(site_id, LatLon(lat, lon))
        markers[site_id] = SiteMarker(
            site_id=site_id,
            name=name,
            position=LatLon(lat, lon),
            people=tuple(sorted({person for person, _ in tied})),
        )
    hit_people: dict[str, set[str]] = defaultdict(set)
    for index, raw in enumerate(sites or ()):
        site = _coerce_site(raw, index)
        if site is None:
            # a hit (site id + person, no position) ties a person to a site listed elsewhere
            site_id, person = _site_attr(raw, "site_id"), _site_attr(raw, "person")
            if isinstance(site_id, str) and isinstance(person, str):
                hit_people[site_id].add(person)
            continue
        if site.site_id in markers:
            known = markers[site.site_id]
            markers[site.site_id] = SiteMarker(
                known.site_id,
                site.name,
                site.position,
                tuple(sorted(set(known.people) | set(site.people))),
                site.radius_m,
                site.category,
                site.note,
            )
        else:
            markers[site.site_id] = site
    for site_id, persons in hit_people.items():
        if site_id in markers:
            known = markers[site_id]
            markers[site_id] = SiteMarker(
                known.site_id,
                known.name,
                known.position,
                tuple(sorted(set(known.people) | persons)),
                known.radius_m,
                known.category,
                known.note,
            )
    return list(markers.values())


def _site_layers(
    sites: Sequence[SiteMarker],
    profiles: Sequence[Profile],
    page: _Page,
    person_links: Mapping[str, str] | None,
    *,
    canvas: bool = False,
) -> list[SpecLayer]:
    if not sites:
        return []
    places_at: dict[str, list[tuple[str, Place]]] = defaultdict(list)
    for profile in profiles:
        for place in profile.places:
            if place.site_id:
                places_at[place.site_id].append((profile.person, place))
    pins, lines = [], []
    for site in sites:
        people = sorted(
            set(site.people) | {person for person, _ in places_at.get(site.site_id, [])}
        )
        items = "".join(
            f"<li>{html_text(person)}"
            + (
                f' (<a target="_top" href="{html_text(person_links[person])}">page</a>)'
                if person_links and person in person_links
                else ""
            )
            + "</li>"
            for person in people
        )
        popup = (
            f'<div class="gl-popup"><h3>Site: {html_text(site.name)}</h3>'
            + (f"<p>{html_text(site.category)}</p>" if site.category else "")
            + (f'<p class="gl-why">{html_text(site.note)}</p>' if site.note else "")
            + f"<p>{len(people)} people tied to this site:</p><ul>{items}</ul></div>"
        )
        ll = page.ll(site.position)
        pins.append(
            {
                "k": "pin",
                "ll": ll,
                "popup": popup,
                "z": 900,  # under a B pin at the same spot: the diamond's corners stay visible
                "icon": {
                    "cls": "gl-place-wrap",
                    "html": '<div class="gl-place gl-place-site" style="width:30px;height:30px">'
                    "<b>S</b></div>",
                    "size": [30, 30],
                },
                "tip": html_text(f"site {site.name}: {len(people)} people"),
                "id": "pin-" + _digest("site", site.site_id),
            }
        )
        for person, place in places_at.get(site.site_id, []):
            lines.append(
                {
                    "k": "line",
                    "lls": [ll, page.ll(place.position)],
                    "style": {"color": "#7b2cbf", "weight": 2, "dashArray": "6 5", "opacity": 0.9},
                    "tip": html_text(f"{person} ({place.kind.value}) tied to site {site.name}"),
                }
            )
    return [
        _vector_layer(lines, "Network: people → shared sites", canvas=canvas),
        SpecLayer({"mode": "group", "features": pins}, name="Shared sites"),
    ]


# --- legends and tables ---------------------------------------------------------------


def _hour_legend() -> str:
    rows = [
        f'<div><i style="background:{colour}"></i>{legend}</div>'
        for _first, _last, colour, legend in HOUR_BANDS
        if legend
    ]
    rows.append(f'<div><i style="background:{UNKNOWN_TIME_COLOUR}"></i>local time unknown</div>')
    return (
        "<b>Evidence by local time of day</b>"
        + "".join(rows)
        + '<div><i style="background:#fff;box-shadow:0 0 0 2px #111"></i>single point (not '
        "clustered)</div>" + _symbol_legend() + "</details>"
    )


def _symbol_legend() -> str:
    return (
        '<div style="margin-top:4px"><i style="background:#c92a2a"></i>H home &nbsp; '
        '<i class="sq" style="background:#1c5fb8"></i>B base</div>'
        '<div><i style="background:#5f6b75"></i>F frequent place &nbsp; '
        '<i class="sq" style="background:#7b2cbf"></i>S shared site</div>'
        "<div>dashed circle: uncertainty radius</div>"
    )


def _people_legend(colour_of: Mapping[str, str], links: Mapping[str, str]) -> str:
    rows = [
        f'<div><i style="background:{colour}"></i><a target="_top" '
        f'href="{html_text(links[person])}">'
        f"{html_text(person)}</a></div>"
        for person, colour in colour_of.items()
    ]
    if len(rows) > 14:
        rows = [*rows[:14], f"<div>… and {len(rows) - 14} more (table below)</div>"]
    return (
        "<details open><summary><b>People (evidence colour)</b></summary>"
        + "".join(rows)
        + _symbol_legend()
        + "</details>"
    )


def _plain(value: object) -> str:
    """Untrusted text for JSON that the page shows as text (textContent, never HTML): a
    file name's undecodable bytes (surrogates) shown as \\udcXX, as `html_text` does."""
    text = "" if value is None else str(value)
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def _evidence_cells(item: Evidence) -> list[str]:
    """One evidence row of a person page's table: [anchor hash, post, source, swatch colour,
    local time, lat/lon, file, text], plain text (the page writes it with textContent)."""
    return [
        pin_id(item)[4:],
        _plain(item.post_id),
        item.source.value,
        hour_colour(item.local_time),
        item.local_time.strftime("%Y-%m-%d %H:%M") if item.local_time else "",
        f"{item.position.lat:.5f}, {item.position.lon:.5f}",
        _plain(shown_path(item.media_path)),
        _plain((item.text or "")[:200]),
    ]


def _evidence_row(cells: Sequence[str]) -> str:
    anchor, post, source, colour, when, lat_lon, file, text = cells
    return (
        f'<tr id="row-{anchor}"><td><a href="#pin-{anchor}" data-pin="pin-{anchor}">map</a></td>'
        f"<td>{html_text(post)}</td><td>{html_text(source)}</td>"
        f'<td><span class="gl-swatch" style="background:{colour}"></span>{html_text(when)}</td>'
        f"<td>{html_text(lat_lon)}</td><td>{html_text(file)}</td>"
        f'<td class="text">{html_text(text)}</td></tr>'
    )


def _evidence_table(evidence: Sequence[Evidence]) -> str:
    """The person page's evidence table: its first EVIDENCE_ROWS_FIRST rows as HTML, the
    rest as JSON (one array per row) that the page turns into rows on demand ("show more",
    "show all", or a link to a row not shown yet): a page of thousands of points opens and
    lays out fast and stays small."""
    cells = [_evidence_cells(item) for item in sorted(evidence, key=_evidence_sort_key)]
    first, rest = cells[:EVIDENCE_ROWS_FIRST], cells[EVIDENCE_ROWS_FIRST:]
    table = (
        '<h2 id="evidence">Evidence</h2><table class="gl-table" id="gl-evidence"><thead><tr>'
        "<th></th><th>post</th><th>source</th><th>local time</th><th>lat, lon</th><th>file</th>"
        f"<th>text</th></tr></thead><tbody>{''.join(_evidence_row(c) for c in first)}</tbody>"
        "</table>"
    )
    if not rest:
        return table
    step = min(EVIDENCE_ROWS_MORE, len(rest))
    # "<" as \u003c: corpus text never shows up as markup, not even inside the block
    rows_json = script_json(rest).replace("<", "\\u003c")
    return (
        table + '<p class="gl-more" id="gl-evidence-more" data-table="gl-evidence" '
        f'data-rows="gl-evidence-rows" data-total="{len(cells)}">'
        f'<span role="status">{len(first)} of {len(cells)} rows shown.</span> '
        f'<button type="button" data-more="{EVIDENCE_ROWS_MORE}">Show {step} more</button> '
        f'<button type="button" data-more="all">Show all {len(cells)}</button></p>'
        f'<script type="application/json" id="gl-evidence-rows">{rows_json}</script>'
    )


def _places_table(profile: Profile) -> str:
    if not profile.places:
        return (
            "<h2>Inferred places</h2><p>No place could be inferred: too little located "
            "evidence. geoleak never invents a home.</p>"
        )
    rows = []
    for index, place in enumerate(profile.places):
        anchor = place_pin_id(profile.person, place, index)
        rows.append(
            f'<tr><td><a href="#{anchor}" data-pin="{anchor}">map</a></td>'
            f"<td>{html_text(place.kind.value)}</td>"
            f"<td>{html_text(f'{place.position.lat:.5f}, {place.position.lon:.5f}')}</td>"
            f"<td>{html_text(_fmt_distance(place.radius_m))}</td>"
            f"<td>{html_text(f'{place.confidence:.0%}')}</td><td>{place.days}</td>"
            f'<td class="text">{html_text(place.explanation)}</td></tr>'
        )
    return (
        '<h2>Inferred places</h2><table class="gl-table"><thead><tr><th></th><th>kind</th>'
        "<th>lat, lon</th><th>± radius</th><th>confidence</th><th>days</th><th>why</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


# --- pages ----------------------------------------------------------------------------


_NOSCRIPT = (
    # The tables' "map" links point at pins the script draws: without it they lead nowhere.
    "<noscript><style>.folium-map, a[data-pin] { display: none; }</style>"
    '<p class="gl-noscript" style="margin: 12px; padding: 8px 12px; background: #fff8db; '
    'border: 1px solid #e0c068;">JavaScript is off, so the map is not drawn (it runs in this '
    "page only: nothing is fetched). The tables below list what it shows.</p></noscript>"
)


def _finish(
    figure: Figure,
    fmap: OfflineMap,
    page: _Page,
    *,
    boxes: Sequence[tuple[str, str, str]],
    slider: tuple[int, list[str]] | None,
    below: str,
    view: Sequence[LatLon],
    collapsed_layers: bool = False,
) -> str:
    folium.LayerControl(position="topright", collapsed=collapsed_layers).add_to(fmap)
    bounds = _bounds([page.ll(p) for p in view])
    fmap.add_child(ViewScript(bounds), index=0)  # right after the map is created
    PageScript(bounds, boxes, slider).add_to(fmap)
    rendered = str(figure.render())
    # Without JavaScript there is no map, only a blank box above the tables: say so instead.
    start = rendered.index("<body>") + len("<body>")
    rendered = rendered[:start] + _NOSCRIPT + rendered[start:]
    if below:
        # after the map's <div>: branca renders children of <body> before the map's own div
        start = rendered.index("<body>")
        end = rendered.index("</body>", start)
        rendered = rendered[:end] + f'<main class="gl-below">{below}</main>\n' + rendered[end:]
    return rendered


def build_overview_map(
    profiles: Sequence[Profile],
    evidence: Mapping[str, Sequence[Evidence]],
    out_dir: Path,
    *,
    tiles: str | None = None,
    sites: Sequence[Any] | None = None,
    media_root: Path | None = None,
    report_link: str | None = None,
    basemap_tiles: TileSet | None = None,
    messages: list[str] | None = None,
    shared_script: str | None = None,
) -> str:
    """The HTML of the overview map (see module docstring).

    `basemap_tiles` (an open MBTiles/PMTiles file) adds street tiles around the evidence;
    notes for the user (tiles capped) are appended to `messages`. `shared_script` names
    the file (SHARED_SCRIPT, see `write_maps`) the page loads its scripts and countries
    from; without it the page holds everything itself.
    """
    tile_spec = resolve_tiles(tiles)
    people = sorted({p.person for p in profiles} | set(evidence))
    colour_of = {person: PERSON_COLOURS[i % len(PERSON_COLOURS)] for i, person in enumerate(people)}
    links = {person: person_page_name(person) for person in people}
    all_evidence = [item for person in people for item in evidence.get(person, ())]
    positions = [e.position for e in all_evidence] + [
        place.position for p in profiles for place in p.places
    ]
    site_markers = shared_sites(profiles, sites)
    positions += [s.position for s in site_markers]
    page = _Page(
        out_dir=out_dir,
        media_root=media_root,
        wrap_lon=_needs_wrap(positions),
        report_link=report_link,
        messages=messages,
        shared_script=shared_script,
    )
    page.thumbnails_left = 0  # the overview stays light; person pages carry the thumbnails
    page.compact = len(all_evidence) > COMPACT_OVERVIEW_FROM
    figure, fmap = _new_map(
        "geoleak: overview", tile_spec, height="78vh", shared_script=shared_script
    )
    attribution = _add_basemap(fmap, page, positions, tile_spec, basemap_tiles)
    grouped = ""
    if len(all_evidence) > OVERVIEW_MAX_MARKERS:
        ev_layers, total, labels, cell_m = _aggregated_layers(
            all_evidence, page, colour_of=colour_of, person_links=links
        )
        grouped = (
            f"<p><small>{len(all_evidence)} points drawn as one marker per person and "
            f"{_fmt_distance(cell_m)} cell; each person's page shows every point</small></p>"
        )
    else:
        ev_layers, total, labels = _evidence_layers(
            all_evidence,
            page,
            colour_of=colour_of,
            person_links=links,
        )
    canvas = _vector_on_canvas(ev_layers, profiles)
    for layer in ev_layers:
        layer.add_to(fmap)
    for layer in _place_layers(
        profiles, page, colour_of=colour_of, person_links=links, canvas=canvas
    ):
        layer.add_to(fmap)
    for layer in _site_layers(site_markers, profiles, page, links, canvas=canvas):
        layer.add_to(fmap)
    with_home = sum(1 for p in profiles if p.place(PlaceKind.HOME))
    with_base = sum(1 for p in profiles if p.place(PlaceKind.BASE))
    title = (
        "<h1>geoleak overview</h1>"
        f"<p>{len(people)} people · {len(all_evidence)} located observations · {total} posts</p>"
        f"<p>homes found: {with_home} · bases found: {with_base} · shared sites: "
        f"{len(site_markers)}</p>"
        f"{grouped}"
        f"<p><small>{html_text(attribution)}</small></p>"
    )
    rows = "".join(
        f'<tr><td><a target="_top" href="{html_text(links[person])}"><span class="gl-swatch" '
        f'style="background:{colour_of[person]}"></span>{html_text(person)}</a></td>'
        f"<td>{len(evidence.get(person, ()))}</td>"
        + "".join(
            f"<td>{html_text(_place_cell(profile_of(profiles, person), kind))}</td>"
            for kind in (PlaceKind.HOME, PlaceKind.BASE)
        )
        + "</tr>"
        for person in people
    )
    below = (
        '<h2>People</h2><table class="gl-table"><thead><tr><th>person</th><th>located '
        "observations</th>"
        f"<th>home</th><th>base</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return _finish(
        figure,
        fmap,
        page,
        boxes=[
            ("topleft", title, "gl-title"),
            ("bottomright", _people_legend(colour_of, links), "gl-legend"),
        ],
        slider=(total, labels) if total else None,
        below=below,
        view=_focus(
            [pl.position for p in profiles for pl in p.places] + [s.position for s in site_markers],
            [e.position for e in all_evidence],
        ),
        collapsed_layers=True,
    )


def _focus(
    anchors: Sequence[LatLon], others: Sequence[LatLon], near_m: float = 30_000.0
) -> list[LatLon]:
    """What the map opens on: the inferred places and the evidence near them, else everything.

    A trip abroad should not zoom the map out to a continent when the home is what matters.
    """
    if not anchors:
        return list(others)
    return list(anchors) + [
        o for o, near in zip(others, _near_any(others, anchors, near_m), strict=True) if near
    ]


def _near_any(points: Sequence[LatLon], anchors: Sequence[LatLon], near_m: float) -> list[bool]:
    """Whether each point is within `near_m` (great circle) of any anchor.

    A k-d tree over unit vectors finds each point's nearest anchor (straight-line distance
    through the Earth grows with the great-circle one, so it is the same anchor); haversine
    then decides. Thousands of places against 100k points take a fraction of a second, where
    comparing every pair took minutes.
    """
    if not points or not anchors:
        return [False] * len(points)
    import numpy as np  # here: a page with no places or no evidence never needs them
    from scipy.spatial import cKDTree

    def unit(positions: Sequence[LatLon]) -> Any:
        lat = np.radians([p.lat for p in positions])  # numpy's trigonometry wants radians
        lon = np.radians([p.lon for p in positions])
        return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))

    _chord, nearest = cKDTree(unit(anchors)).query(unit(points))
    return [
        _distance_m(point, anchors[int(index)]) <= near_m
        for point, index in zip(points, nearest, strict=True)
    ]


def profile_of(profiles: Sequence[Profile], person: str) -> Profile | None:
    return next((p for p in profiles if p.person == person), None)


def _place_cell(profile: Profile | None, kind: PlaceKind) -> str:
    place = profile.place(kind) if profile else None
    if place is None:
        return "—"
    return f"{place.position.lat:.4f}, {place.position.lon:.4f} (± {_fmt_distance(place.radius_m)}, {place.confidence:.0%})"


def build_person_map(
    profile: Profile,
    evidence: Sequence[Evidence],
    out_dir: Path,
    *,
    tiles: str | None = None,
    sites: Sequence[Any] | None = None,
    media_root: Path | None = None,
    overview_link: str | None = "index.html",
    report_link: str | None = None,
    basemap_tiles: TileSet | None = None,
    messages: list[str] | None = None,
    shared_script: str | None = None,
) -> str:
    """The HTML of one person's map page (see module docstring and `build_overview_map`
    for `shared_script`)."""
    tile_spec = resolve_tiles(tiles)
    positions = [e.position for e in evidence] + [p.position for p in profile.places]
    site_markers = [
        s
        for s in shared_sites([profile], sites)
        if profile.person in s.people or any(p.site_id == s.site_id for p in profile.places)
    ]
    page = _Page(
        out_dir=out_dir,
        media_root=media_root,
        wrap_lon=_needs_wrap(positions),
        report_link=report_link,
        messages=messages,
        label=f"{profile.person}'s",
        shared_script=shared_script,
    )
    figure, fmap = _new_map(
        f"geoleak: {profile.person}", tile_spec, height="72vh", shared_script=shared_script
    )
    attribution = _add_basemap(fmap, page, positions, tile_spec, basemap_tiles)
    ev_layers, total, labels = _evidence_layers(
        evidence,
        page,
        colour_of=None,
        person_links=None,
    )
    canvas = _vector_on_canvas(ev_layers, [profile])
    for layer in ev_layers:
        layer.add_to(fmap)
    for layer in _place_layers([profile], page, colour_of=None, person_links=None, canvas=canvas):
        layer.add_to(fmap)
    for layer in _site_layers(site_markers, [profile], page, None, canvas=canvas):
        layer.add_to(fmap)
    by_source = ", ".join(
        f"{count} {html_text(source)}" for source, count in sorted(_count_sources(evidence).items())
    )
    back = f'<p><a href="{html_text(overview_link)}">← overview</a></p>' if overview_link else ""
    title = (
        f"<h1>{html_text(profile.person)}</h1>"
        f"<p>{len(evidence)} located observations in {total} posts"
        + (f" ({by_source})" if by_source else "")
        + "</p>"
        + "".join(
            f"<p><b>{KIND_LETTER[place.kind]}</b> {html_text(place.kind.value)}: "
            f"{html_text(f'{place.confidence:.0%}')} confidence, ± "
            f"{html_text(_fmt_distance(place.radius_m))}</p>"
            for place in profile.places
        )
        + ("<p>No home or base inferred.</p>" if not profile.places else "")
        + back
        + f"<p><small>{html_text(attribution)}</small></p>"
    )
    anchors, near, far = _split_far_places(profile)
    title += _far_places_list(profile, anchors, far)
    below = _places_table(profile) + _evidence_table(evidence)
    return _finish(
        figure,
        fmap,
        page,
        boxes=[("topleft", title, "gl-title"), ("bottomright", _hour_legend(), "gl-legend")],
        slider=(total, labels) if total else None,
        below=below,
        view=_focus(
            [p.position for p in anchors],
            [p.position for p in near] + [e.position for e in evidence],
        ),
        collapsed_layers=True,
    )


def _split_far_places(profile: Profile) -> tuple[list[Place], list[Place], list[Place]]:
    """(home and base, other places near them, places farther than FAR_PLACE_M from both).

    A person page opens on home and base; a frequent place 1,500 km away would zoom the map
    out to a continent and stack home and base at its edge, so it is listed instead. Without
    a home or base every place anchors the view.
    """
    anchors = [p for p in profile.places if p.kind in (PlaceKind.HOME, PlaceKind.BASE)]
    others = [p for p in profile.places if p.kind not in (PlaceKind.HOME, PlaceKind.BASE)]
    if not anchors:
        return others, [], []
    near = [
        p
        for p in others
        if min(_distance_m(p.position, a.position) for a in anchors) <= FAR_PLACE_M
    ]
    far = [p for p in others if all(p is not n for n in near)]
    return anchors, near, far


def _far_places_list(profile: Profile, anchors: Sequence[Place], far: Sequence[Place]) -> str:
    """The side list of far-away places: kind, nearest town, distance; each link pans there."""
    if not far:
        return ""
    index_of = {id(place): index for index, place in enumerate(profile.places)}
    items = []
    for place in sorted(
        far, key=lambda p: min(_distance_m(p.position, a.position) for a in anchors)
    ):
        anchor = place_pin_id(profile.person, place, index_of[id(place)])
        nearest = min(anchors, key=lambda a: _distance_m(place.position, a.position))
        town = basemap.nearest_town(place.position)
        where = f" near {town.name}" if town else ""
        items.append(
            f'<li><a href="#{anchor}" data-pin="{anchor}">'
            f"<b>{KIND_LETTER[place.kind]}</b> {html_text(place.kind.value + where)}</a>: "
            f"{html_text(_fmt_distance(_distance_m(place.position, nearest.position)))} from "
            f"{html_text(nearest.kind.value)}</li>"
        )
    return (
        '<div class="gl-far"><b>Far away</b> (more than '
        f"{FAR_PLACE_M / 1000:.0f} km from home and base; a click pans there)"
        f"<ul>{''.join(items)}</ul></div>"
    )


def _count_sources(evidence: Sequence[Evidence]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in evidence:
        counts[item.source.value] += 1
    return dict(counts)


def write_maps(
    profiles: Sequence[Profile],
    evidence: Mapping[str, Sequence[Evidence]],
    out_dir: Path,
    *,
    tiles: str | None = None,
    sites: Sequence[Any] | None = None,
    media_root: Path | None = None,
    report_link: str | None = None,
    basemap_file: str | Path | TileSet | None = None,
    messages: list[str] | None = None,
) -> list[Path]:
    """Write `index.html` (overview) and one `person-<id>.html` per person into `out_dir`.

    People who appear only in `evidence` (no profile) get a page too. `tiles` is None for
    the bundled offline basemap, `"osm"` or an http(s) URL template for web tiles (which
    tell the tile server where you are looking). `sites` adds known sites (objects with a
    name and a position) to the overview. Relative media paths are read under `media_root`
    for thumbnails. `report_link` names a report written beside the maps (`report.html`):
    each evidence popup then links to its row there. `basemap_file` is a local raster MBTiles
    or PMTiles file: each page inlines its tiles around the evidence (see tilesets.py); notes
    for the user (e.g. tiles left out to bound a page's size) are appended to `messages`.
    The scripts and the world's countries every page needs are written once, as
    SHARED_SCRIPT beside the pages (which load it: keep it with them). Returns the pages
    written, overview first.
    """
    out_dir = Path(out_dir)
    tile_spec = resolve_tiles(tiles)
    if isinstance(basemap_file, (str, Path)):
        opened = open_tileset(basemap_file)
        try:
            return write_maps(
                profiles, evidence, out_dir, tiles=tiles, sites=sites, media_root=media_root,
                report_link=report_link, basemap_file=opened, messages=messages,
            )  # fmt: skip
        finally:
            opened.close()
    street = basemap_file
    make_output_dir(out_dir)
    # the scripts and the countries every page needs, written once (not once per page)
    shared = write_html(out_dir / SHARED_SCRIPT, shared_script_text())
    written = [
        write_html(
            out_dir / "index.html",
            build_overview_map(
                profiles,
                evidence,
                out_dir,
                tiles=tiles,
                sites=sites,
                media_root=media_root,
                report_link=report_link,
                basemap_tiles=street,
                messages=messages,
                shared_script=shared.name,
            ),
            tile_url=tile_spec.url,
        )
    ]
    known = {p.person: p for p in profiles}
    for person in sorted(set(known) | set(evidence)):
        profile = known.get(person) or Profile(person=person)
        page = build_person_map(
            profile,
            list(evidence.get(person, ())),
            out_dir,
            tiles=tiles,
            sites=sites,
            media_root=media_root,
            report_link=report_link,
            basemap_tiles=street,
            messages=messages,
            shared_script=shared.name,
        )
        written.append(write_html(out_dir / person_page_name(person), page, tile_url=tile_spec.url))
    return written
