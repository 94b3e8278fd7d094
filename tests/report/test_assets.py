from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoleak.errors import OutputError
from geoleak.report.assets import (
    ASSET_BUNDLES,
    external_references,
    html_text,
    inline_assets,
    script_json,
    write_html,
)


@given(st.text())
def test_script_json_round_trips_and_cannot_close_the_script(text: str) -> None:
    encoded = script_json({"t": text})
    assert json.loads(encoded) == {"t": text}
    assert "</" not in encoded
    assert "<!--" not in encoded
    assert "\u2028" not in encoded
    assert "\u2029" not in encoded
    for opener in ("{{", "{%", "{#"):  # never a template delimiter for Jinja
        assert opener not in encoded


def test_script_json_passes_a_template_engine_unchanged() -> None:
    from jinja2 import Template

    value = {"t": "{{ 7*7 }} {% if 1 %}x{% endif %} {# c #} {{{"}
    assert json.loads(Template(script_json(value)).render()) == value


@given(st.text())
def test_html_text_leaves_no_markup(text: str) -> None:
    escaped = html_text(text)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped and "'" not in escaped


@pytest.mark.parametrize(
    "page",
    [
        '<script src="https://cdn.example/leaflet.js"></script>',
        "<link rel='stylesheet' href='//cdn.example/x.css'>",
        "<img src=http://example.org/a.png>",
        "<style>.a{background:url(https://example.org/i.png)}</style>",
        '<style>@import "https://fonts.example/f.css";</style>',
        # inside a JSON string, quotes are escaped
        '<script>var p = "<img src=\\"https://example.org/t.png\\">";</script>',
    ],
)
def test_external_references_found(page: str) -> None:
    assert external_references(page)


@pytest.mark.parametrize(
    "page",
    [
        '<a href="https://leafletjs.com">Leaflet</a>',  # a link the user may click, not a load
        '<img src="data:image/png;base64,AAAA">',
        '<a href="person-ana.html#pin-1">map</a>',
        "<p>see https://example.org in the text</p>",
    ],
)
def test_local_pages_pass(page: str) -> None:
    assert external_references(page) == []


def test_write_html_refuses_a_page_that_loads_from_the_network(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"cdn\.example"):
        write_html(tmp_path / "x.html", '<script src="https://cdn.example/a.js"></script>')
    assert not (tmp_path / "x.html").exists()


def test_write_html_allows_only_the_tile_host_asked_for(tmp_path: Path) -> None:
    page = '<img src="https://tiles.example.org/1/2/3.png">'
    write_html(tmp_path / "ok.html", page, tile_url="https://tiles.example.org/{z}/{x}/{y}.png")
    with pytest.raises(OutputError):
        write_html(tmp_path / "no.html", page, tile_url="https://other.example.org/{z}/{x}/{y}.png")


def test_inlined_assets_are_whole_and_fetch_nothing() -> None:
    page = inline_assets(list(ASSET_BUNDLES))
    assert external_references(page) == []
    assert "sourceMappingURL" not in page
    assert "url(images/" not in page  # Leaflet's control icons became data URIs
    assert "data:image/png;base64," in page
    # each bundled file is inside its own element, none closes it early
    assert (
        page.count("<script>")
        == page.count("</script>")
        == sum(len(js) for _css, js in ASSET_BUNDLES.values())
    )
    assert re.search(r"L\.version\s*=|version:\"1\.9\.4\"|\"1\.9\.4\"", page)
