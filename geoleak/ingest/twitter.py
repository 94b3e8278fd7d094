"""X / Twitter archive (`data/tweets.js`, older `data/tweet.js`, split as `tweets-part1.js`).

Each file is JavaScript: `window.YTD.tweets.part0 = [ {"tweet": {...}}, ... ]`. The
assignment is skipped and the array streamed. Per tweet: `coordinates` (GeoJSON point,
lon/lat order) or the older `geo` (lat/lon order) give a geotag; `place` gives a named
place with the centre of its bounding box. Media downloaded with the archive sit in
`data/tweets_media/<tweet id>-<name>`. The account comes from `data/account.js`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.ingest.common import (
    RecordError,
    as_float,
    get_path,
    iter_json_items,
    latlon,
    parse_time,
    reported,
)
from geoleak.paths import shown_path
from geoleak.types import LatLon, NamedPlace, Post

__all__ = ["TwitterReader", "open_ytd", "place_from_tweet"]

_TWEET_FILES = re.compile(r"^tweets?(-part\d+)?\.js$")
_MAX_PREFIX = 4096


def open_ytd(path: Path) -> IO[bytes]:
    """The file positioned after `window.YTD.<name>.partN =`, ready for a JSON parser."""
    handle = path.open("rb")
    head = handle.read(_MAX_PREFIX)
    eq = head.find(b"=")
    bracket = head.find(b"[")
    if eq < 0 or (0 <= bracket < eq) or not head[:eq].strip().startswith(b"window.YTD."):
        handle.close()
        raise CorpusError(f"{shown_path(path)}: does not start with 'window.YTD.<name>.part0 = ['")
    handle.seek(eq + 1)
    return handle


def _archive_data(path: Path) -> Path | None:
    """The archive's `data/` folder: `path` itself, its `data/`, or the `data/` of one of its
    folders (the archive's extracted folder inside the folder or zip given: an X archive
    unzipped and zipped again, or kept in a downloads folder)."""
    if path.is_file():
        return path.parent if _TWEET_FILES.match(path.name) else None
    if not path.is_dir():
        return None
    inner = sorted(p / "data" for p in path.iterdir() if p.is_dir() and not p.is_symlink())
    for data in (path / "data", path, *inner):
        if data.is_dir() and any(_TWEET_FILES.match(p.name) for p in data.iterdir()):
            return data
    return None


def _bbox_place(place: dict[str, Any]) -> NamedPlace | None:
    name = place.get("full_name") or place.get("name") or ""
    ring = get_path(place, "bounding_box", "coordinates")
    bbox = None
    centre: LatLon | None = None
    if isinstance(ring, list) and ring and isinstance(ring[0], list):
        try:
            # GeoJSON order: [lon, lat] pairs.
            points = [(as_float(p[1], "bbox lat"), as_float(p[0], "bbox lon")) for p in ring[0]]
        except (RecordError, IndexError, TypeError):
            points = []
        if points:
            south, north = min(p[0] for p in points), max(p[0] for p in points)
            lons = [p[1] for p in points]
            west, east = min(lons), max(lons)
            if east - west > 180:  # crosses the antimeridian
                west = min(v for v in lons if v >= 0)
                east = max(v for v in lons if v < 0)
            bbox = (west, south, east, north)
            span = (east - west) % 360.0
            centre_lon = (west + span / 2.0 + 180.0) % 360.0 - 180.0
            centre = latlon((south + north) / 2.0, centre_lon, "place")
    if not name and centre is None:
        return None
    return NamedPlace(str(name), centre, bbox)


def place_from_tweet(tweet: dict[str, Any]) -> tuple[LatLon | None, NamedPlace | None]:
    """(geotag, place) of one tweet object."""
    geotag = None
    coords = get_path(tweet, "coordinates", "coordinates")
    if isinstance(coords, list) and len(coords) == 2:
        geotag = latlon(coords[1], coords[0], "coordinates")  # GeoJSON: lon, lat
    else:
        geo = get_path(tweet, "geo", "coordinates")
        if isinstance(geo, list) and len(geo) == 2:
            geotag = latlon(geo[0], geo[1], "geo")  # the old `geo` field is lat, lon
    place = _bbox_place(tweet["place"]) if isinstance(tweet.get("place"), dict) else None
    return geotag, place


def _account(data: Path) -> str | None:
    path = data / "account.js"
    if not path.is_file():
        return None
    try:
        with open_ytd(path) as handle:
            for _, item in iter_json_items(handle, ["item"], shown_path(path)):
                name = get_path(item, "account", "username")
                if isinstance(name, str) and name:
                    return name
    except (CorpusError, OSError):
        return None
    return None


@register
class TwitterReader(Reader):
    name = "twitter"
    description = "X / Twitter archive: data/tweets.js with coordinates, places and media"
    priority = 22
    reads_media = True

    def sniff(self, path: Path) -> bool:
        return _archive_data(path) is not None

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        data = _archive_data(path)
        if data is None:
            raise CorpusError(f"{shown_path(path)}: not an X/Twitter archive (no data/tweets.js)")
        person = author or _account(data) or data.resolve().parent.name or "me"
        media_dir = data / "tweets_media"
        media_index: dict[str, list[str]] = {}
        if not media_dir.is_dir():
            diag.warn(
                f"{shown_path(data)}: no tweets_media/ folder: this archive holds no photos or videos, so "
                "their metadata cannot be read (ask X for the archive with media)",
                kind="no-media-folder",
            )
        else:
            for file in sorted(media_dir.iterdir()):
                if file.is_file() and not file.is_symlink() and "-" in file.name:
                    media_index.setdefault(file.name.split("-", 1)[0], []).append(
                        str(file.resolve())
                    )
        files = sorted(p for p in data.iterdir() if _TWEET_FILES.match(p.name))
        for file in files:
            with reported(file, diag), open_ytd(file) as handle:
                shown = shown_path(file)
                for n, (_, item) in enumerate(iter_json_items(handle, ["item"], shown)):
                    where = f"{shown}: tweet {n}"
                    try:
                        post = self._post(item, person, media_index, where)
                    except (RecordError, ValueError) as exc:
                        diag.warn(f"{where}: {exc}; skipped", kind="bad-record")
                        continue
                    yield post

    @staticmethod
    def _post(item: Any, person: str, media_index: dict[str, list[str]], where: str) -> Post:
        tweet = item.get("tweet", item) if isinstance(item, dict) else None
        if not isinstance(tweet, dict):
            raise RecordError("not a tweet object")
        tweet_id = tweet.get("id_str") or tweet.get("id")
        if not tweet_id:
            raise RecordError("tweet without id")
        created = parse_time(tweet["created_at"], "created_at") if tweet.get("created_at") else None
        geotag, place = place_from_tweet(tweet)
        text = tweet.get("full_text") or tweet.get("text")
        extra: dict[str, Any] = {"source": "twitter"}
        # A retweet's text is someone else's; a quote tweet carries another's words too.
        if (
            (isinstance(text, str) and text.startswith("RT @"))
            or tweet.get("retweeted_status") or tweet.get("is_quote_status") in (True, "true")
        ):  # fmt: skip
            extra["reshare"] = True
        return Post(
            id=str(tweet_id),
            author=person,
            created_at=created,
            text=text if isinstance(text, str) else None,
            geotag=geotag,
            place=place,
            media=tuple(media_index.get(str(tweet_id), ())),
            origin=where,
            extra=extra,
        )
