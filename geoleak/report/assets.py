"""Browser assets inlined into geoleak's HTML, and the checks that keep pages offline.

Every script and stylesheet a page needs is read from `geoleak/data/vendor/` (Leaflet and
two plugins, see the README there) or `geoleak/data/web/` (geoleak's own map code) and
written into the page itself. `external_references` finds anything that would still make
the browser fetch from another host; `write_html` refuses to write such a page unless the
user asked for web tiles from exactly that host.

Corpus text reaches a page only through `html_text` (HTML-escaped) or `script_json`
(JSON safe inside a `<script>` element), never raw.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from geoleak.errors import OutputError
from geoleak.outputs import atomic_write_text

__all__ = [
    "ASSET_BUNDLES",
    "bundle_script",
    "content_security_policy",
    "external_references",
    "html_text",
    "inline_assets",
    "script_json",
    "write_html",
]

# name -> (css files, js files), paths relative to geoleak/data
ASSET_BUNDLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "leaflet": (("vendor/leaflet/leaflet.css",), ("vendor/leaflet/leaflet.js",)),
    "markercluster": (
        (
            "vendor/leaflet.markercluster/MarkerCluster.css",
            "vendor/leaflet.markercluster/MarkerCluster.Default.css",
        ),
        ("vendor/leaflet.markercluster/leaflet.markercluster.js",),
    ),
    "heat": ((), ("vendor/leaflet.heat/leaflet-heat.js",)),
    "geoleak": (("web/geoleak.css",), ("web/geoleak-map.js",)),
}

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=\S+\s*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[A-Za-z0-9_.-]+)\1\)")


def _data_file(relative: str) -> Any:
    return resources.files("geoleak") / "data" / relative


@cache
def _asset_text(relative: str) -> str:
    text = _data_file(relative).read_text(encoding="utf-8")
    text = _SOURCE_MAP.sub("", text)  # a source map is a request when devtools open
    if relative.endswith(".css"):
        folder = relative.rsplit("/", 1)[0]

        def to_data_uri(match: re.Match[str]) -> str:
            image = _data_file(f"{folder}/{match.group(2)}")
            if not image.is_file():
                return "none"  # e.g. Leaflet's default marker image: geoleak draws its own
            encoded = base64.b64encode(image.read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{encoded})"

        text = _CSS_URL.sub(to_data_uri, text)
    if re.search(r"</(script|style)", text, re.IGNORECASE):
        raise OutputError(f"bundled asset {relative} cannot be inlined: it closes its element")
    return text


def inline_assets(bundles: Iterable[str], *, scripts: bool = True) -> str:
    """`<style>` and `<script>` elements holding the named bundles, in the order given
    (the styles only, when `scripts` is False: the page loads them with `bundle_script`'s
    text from a file beside it)."""
    parts: list[str] = []
    for bundle in bundles:
        css_files, js_files = ASSET_BUNDLES[bundle]
        parts.extend(f"<style>/* {name} */\n{_asset_text(name)}</style>" for name in css_files)
        if scripts:
            parts.extend(f"<script>/* {name} */\n{_asset_text(name)}</script>" for name in js_files)
    return "\n".join(parts)


def bundle_script(bundles: Iterable[str]) -> str:
    """The JavaScript of the named bundles as one file's text, in the order given."""
    return "\n".join(
        f"/* {name} */\n{_asset_text(name)}"
        for bundle in bundles
        for name in ASSET_BUNDLES[bundle][1]
    )


_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def html_text(value: object) -> str:
    """Untrusted text as HTML: every markup character escaped, quotes included.

    Braces become character references too, so no template engine downstream (folium
    renders its output through Jinja) can ever read corpus text as template code.
    """
    text = "" if value is None else str(value)
    if not text.isascii():  # a file name's undecodable bytes (surrogates) shown as \udcXX
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return html.escape(text, quote=True).translate(_BRACES)


# Inside <script>, only "</" (end tag) and "<!--" (comment/escape states) can end the
# element early; escaping just those keeps popups' HTML compact. U+2028/9 end JS lines.
_JSON_ESCAPES = {
    "</": "<\\/",
    "<!--": "\\u003c!--",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(value: Any) -> str:
    """JSON that is safe to place inside a `<script>` element (no `</script>` breakout)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    # Jinja delimiters ({{ {% {#) never occur in JSON's own syntax, only inside strings:
    # escape them there so the JSON can pass through a template engine unchanged.
    for opener, escape in (("{{", "{\\u007b"), ("{%", "{\\u0025"), ("{#", "{\\u0023")):
        text = text.replace(opener, escape)
    return text


# What makes a browser fetch on its own: src/srcset/poster/data/action attributes, a <link>'s
# href (stylesheet, icon, preload), CSS url() and @import. A plain <a href> is a link the
# user may click, not a load. JSON-escaped quotes (\") count as quotes.
_LOADING = re.compile(
    r"""(?:\b(?:src|srcset|poster|data|action|background)\s*=\s*\\?["']?"""
    r"""|<link\b[^>]*?\bhref\s*=\s*\\?["']?|url\(\s*\\?["']?|@import\s+(?:url\()?\s*\\?["']?)"""
    r"""\s*((?:[a-z][a-z0-9+.-]*:)?//[^"'\\)\s>]+)""",
    re.IGNORECASE,
)


def content_security_policy(tile_url: str | None = None, *, own_scripts: bool = False) -> str:
    """A `<meta>` Content-Security-Policy that lets the page load nothing from anywhere.

    Scripts and styles may only be the inline ones geoleak wrote (and, with `own_scripts`,
    script files beside the page: the maps' shared file), images only data: URIs
    (thumbnails, icons) plus the tile server the user asked for. Even text that escaped
    escaping could then neither load a script nor send anything off the machine.
    """
    images = "data: blob:"
    if tile_url:
        parts = urlsplit(tile_url)
        host = (parts.netloc or "").replace("{s}", "*")
        images += f" {parts.scheme}://{host}"
    scripts = "'self' " if own_scripts else ""
    policy = (
        f"default-src 'none'; script-src {scripts}'unsafe-inline'; style-src 'unsafe-inline'; "
        f"img-src {images}; font-src data:; connect-src 'none'; frame-src 'self'; "
        "base-uri 'none'; form-action 'none'"
    )
    return f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">'


def external_references(page: str) -> list[str]:
    """URLs a page would fetch by itself from a host (http, https, //...), in order."""
    found = []
    for match in _LOADING.finditer(page):
        url = match.group(1)
        if url.lower().startswith(("data:", "blob:", "about:")):
            continue
        found.append(url)
    return found


def _tile_hosts(tile_url: str | None) -> set[str]:
    if not tile_url:
        return set()
    host = urlsplit(tile_url.replace("{s}", "a")).hostname or ""
    return {host.replace("a.", "{s}.", 1), host} if host else set()


def write_html(
    path: Path, page: str, *, allowed_urls: Sequence[str] = (), tile_url: str | None = None
) -> Path:
    """Write `page` after checking it loads nothing from another host.

    Links the user clicks (`allowed_urls`, e.g. a post's own URL) and the web tiles the
    user asked for are the only exceptions.
    """
    allowed_hosts = _tile_hosts(tile_url)
    leaks = [
        url
        for url in external_references(page)
        if url not in allowed_urls and (urlsplit(url).hostname or "") not in allowed_hosts
    ]
    if leaks:
        raise OutputError(
            f"{path}: refusing to write a page that would load {leaks[0]!r} from the network"
        )
    atomic_write_text(path, page)
    return path
