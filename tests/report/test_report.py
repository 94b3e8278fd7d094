from __future__ import annotations

import html
import re
from pathlib import Path

from report_fixtures import ANA_HOME, HOSTILE_NAME, HOSTILE_TEXT

from geoleak.report.assets import external_references
from geoleak.report.maps import person_page_name, pin_id
from geoleak.report.report import advice_for, exposure_level, write_report
from geoleak.types import Evidence, LatLon, Profile

People = tuple[list[Profile], dict[str, list[Evidence]]]


def test_report_has_a_section_per_person_with_what_leaked(people: People, tmp_path: Path) -> None:
    profiles, evidence = people
    path = write_report(
        profiles,
        evidence,
        tmp_path / "r" / "report.html",
        sites=None,
        stats_lines=["12 posts of 4 people read"],
        maps_linked=True,
        truth_homes={"ana": ANA_HOME},
    )
    page = path.read_text(encoding="utf-8")
    assert external_references(page) == []
    assert page.count('<section class="person"') == len(profiles)
    assert "12 posts of 4 people read" in page
    section = page.split('id="person-ana"', 1)[1].split("</section>", 1)[0]
    assert "high exposure" in section
    assert "EXIF GPS in the photo" in section and "platform geotag" in section
    assert "Fictocam X1 #123" in section  # the device
    assert "2025-03-03" in section  # the time range starts with the first post
    assert "0 m from truth" in section  # truth given: error of the home
    assert "<svg" in section and "home within 100 m from post" in section
    # places and evidence link to their pins on the person's map page
    assert f'href="{person_page_name("ana")}#pin-' in section
    assert f"{person_page_name('ana')}#{pin_id(evidence['ana'][0])}" in section
    # the unit-level sites table lists S1 and who is tied to it
    sites = page.split("Unit-level sites", 1)[1].split("</table>", 1)[0]
    assert "S1" in sites and "ana, ivalo" in sites
    # the overview map is embedded whole, as an escaped srcdoc
    srcdoc = re.search(r'srcdoc="([^"]*)"', page).group(1)  # type: ignore[union-attr]
    assert "geoleak.layer(" in html.unescape(srcdoc)


def test_report_escapes_the_corpus(people: People, tmp_path: Path) -> None:
    profiles, evidence = people
    page = write_report(profiles, evidence, tmp_path / "report.html").read_text(encoding="utf-8")
    outside_srcdoc = re.sub(r'srcdoc="[^"]*"', "", page)
    for raw in (HOSTILE_NAME, HOSTILE_TEXT, "<script>window.__pwned", "<b>cam</b>", "<script>S9"):
        assert raw not in outside_srcdoc
    assert html.escape(HOSTILE_NAME) in outside_srcdoc
    assert (
        "<script>"
        not in html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1)).split(  # type: ignore[union-attr]
            "geoleak.layer(", 1
        )[1]
    )  # inside the embedded map, corpus text is escaped again


def test_exposure_levels_and_advice(people: People) -> None:
    profiles, evidence = people
    by_name = {p.person: p for p in profiles}
    assert exposure_level(by_name["ana"])[0] == "high"
    assert exposure_level(by_name["chukchi"])[0] == "medium"  # 50 % confidence
    assert exposure_level(Profile("nobody"))[0] == "none"
    advice = " ".join(advice_for(by_name["ana"], evidence["ana"]))
    assert "geoleak scrub" in advice  # a photo carried GPS
    assert "geotagged" in advice and "night" in advice and "site S1" in advice
    assert "serial" in advice  # the device had a serial number
    quiet = advice_for(Profile("quiet"), [])
    assert quiet and "Nothing located leaked" in quiet[0]


def test_report_without_maps_or_plots(people: People, tmp_path: Path) -> None:
    profiles, evidence = people
    page = write_report(
        profiles[:1],
        {"ana": evidence["ana"]},
        tmp_path / "r.html",
        maps_linked=False,
        embed_overview=False,
        plots=False,
    ).read_text("utf-8")
    assert "<iframe" not in page and "<svg" not in page and "person-ana.html#" not in page
    assert LatLon(35.2501, -78.7699).lat.__format__(".5f") in page


def test_a_movers_old_home_is_measured_against_the_old_true_home(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The demo table and `report --truth` agree: each home against the nearest true home."""
    from geoleak.report.report import render_report
    from geoleak.types import LatLon as _LatLon
    from geoleak.types import Place as _Place
    from geoleak.types import PlaceKind as _PlaceKind
    from geoleak.types import Profile as _Profile

    old, new = _LatLon(69.6496, 18.956), _LatLon(69.6800, 18.9000)  # ~4 km apart
    places = (
        _Place(_PlaceKind.HOME, new, 50.0, 0.9, (), 30),
        _Place(_PlaceKind.HOME, old, 50.0, 0.8, (), 30),
    )
    page = render_report([_Profile("mover", places)], {}, out_dir=tmp_path, plots=False,
                         truth_homes={"mover": [old, new]})  # fmt: skip
    assert page.count("0 m from truth") == 2
