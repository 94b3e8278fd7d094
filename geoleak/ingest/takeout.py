"""Google Takeout, Google Photos: media files with `.json` sidecars.

Each photo or video `IMG_1234.jpg` comes with a sidecar holding Google's metadata:
`geoData` (the location Google shows, possibly estimated or set by hand), `geoDataExif`
(the position from the file's EXIF), `photoTakenTime` and `creationTime` (epoch seconds,
UTC). A latitude/longitude of 0, 0 means "none". One post is made per photo, merging the
file and its sidecar; a sidecar whose file is missing from the export still counts (once).
A photo's position is counted once: from its own EXIF or plainly named sidecar by the media
reader, else from the sidecar matched here (as the post's geotag; EXIF source when it is
`geoDataExif`). Google's `geoData` (possibly edited or estimated) is kept in `extra`.

Sidecar naming quirks handled (all observed in real exports):
- `IMG_1234.jpg.json`, newer `IMG_1234.jpg.supplemental-metadata.json`;
- the sidecar name is cut to 51 characters: `a-very-long-name...jpg.supplemental-me.json`;
- duplicates: `IMG_1234(1).jpg` has `IMG_1234.jpg(1).json`
  (`IMG_1234.jpg.supplemental-metadata(1).json`);
- edited copies `IMG_1234-edited.jpg` share the original's sidecar;
- failing all of these, the sidecar whose `title` is the file's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.ingest.common import (
    RecordError,
    as_list,
    find_dirs,
    get_path,
    latlon,
    load_json,
    parse_time,
)
from geoleak.mediatypes import is_media
from geoleak.paths import shown_path
from geoleak.types import EvidenceSource, LatLon, Post

__all__ = ["TakeoutPhotosReader", "sidecar_candidates"]

PHOTOS_DIRS = ("Google Photos", "Google Fotos", "Google Foto", "Google Photos Library")
SIDECAR_SNIFF_BYTES = 4096
SIDECAR_SNIFF_FILES = 3  # sidecars looked at per folder before it is called a photos folder
_SIDECAR_KEYS = (b'"photoTakenTime"', b'"geoDataExif"', b'"creationTime"')
SIDECAR_MAX_NAME = 51  # characters of a sidecar's file name, ".json" included
EDITED_SUFFIXES = ("-edited", "-bearbeitet", "-modifié", "-editado", "-modificato", "-bewerkt")
_DUPLICATE = re.compile(r"^(?P<stem>.*)\((?P<n>\d+)\)$")
_ALBUM_META = {
    "metadata.json",
    "metadaten.json",
    "métadonnées.json",
    "print-subscriptions.json",
    "shared_album_comments.json",
    "user-generated-memory-titles.json",
}


def _cut(name: str) -> str:
    """A sidecar name cut the way Takeout cuts it: at most 51 characters with `.json`."""
    return name[: SIDECAR_MAX_NAME - len(".json")] + ".json"


def sidecar_candidates(media_name: str) -> list[str]:
    """Possible sidecar file names for a media file, most specific first."""
    stem, dot, ext = media_name.rpartition(".")
    if not dot:
        stem, ext = media_name, ""
    suffix = f".{ext}" if ext else ""
    counter = ""
    match = _DUPLICATE.match(stem)
    if match:
        stem, counter = match["stem"], f"({match['n']})"
    stems = [stem]
    for edited in EDITED_SUFFIXES:
        if stem.lower().endswith(edited):
            stems.append(stem[: -len(edited)])
    names: list[str] = []
    for base_stem in stems:
        base = base_stem + suffix
        for variant in (f"{base}.supplemental-metadata", base, base_stem):
            if counter:
                cut = _cut(variant)[: -len(".json")]
                names.append(f"{cut}{counter}.json")
                names.append(f"{variant}{counter}.json")
            names.append(_cut(variant))
            names.append(f"{variant}.json")
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]  # type: ignore[func-returns-value]


def _original_of_edited(name: str) -> str | None:
    """`IMG_1-edited.jpg` -> `IMG_1.jpg` (None when `name` is not an edited copy)."""
    stem, dot, ext = name.rpartition(".")
    for edited in EDITED_SUFFIXES:
        if dot and stem.lower().endswith(edited):
            return f"{stem[: -len(edited)]}.{ext}"
    return None


def _sidecar_position(data: dict[str, Any], key: str) -> LatLon | None:
    geo = data.get(key)
    if not isinstance(geo, dict) or ("latitude" not in geo and "longitude" not in geo):
        return None
    return latlon(geo.get("latitude"), geo.get("longitude"), key)


def is_sidecar(path: Path) -> bool:
    """A Google Photos sidecar by its content (`photoTakenTime`, `geoDataExif`...), whatever
    the locale calls its folder ("Google Photos", "Google 相册", "Google Fotos")."""
    name = path.name.lower()
    if not name.endswith(".json") or name in _ALBUM_META:
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(SIDECAR_SNIFF_BYTES)
    except OSError:
        return False
    return head.lstrip()[:1] == b"{" and any(key in head for key in _SIDECAR_KEYS)


def _has_sidecars(folder: Path) -> bool:
    try:
        jsons = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".json" and p.is_file())
    except OSError:
        return False
    return any(is_sidecar(p) for p in jsons[:SIDECAR_SNIFF_FILES])


def _structural_roots(path: Path, max_depth: int = 4) -> list[Path]:
    """Folders holding sidecars, found by content; a folder whose sub-folders (years,
    albums) hold them and that holds none itself is the root they share."""
    holders: list[Path] = []
    level = [path]
    for _ in range(max_depth + 1):
        nxt: list[Path] = []
        for folder in level:
            if _has_sidecars(folder):
                holders.append(folder)
                continue  # its sub-folders are read with it
            try:
                nxt.extend(sorted(c for c in folder.iterdir() if c.is_dir() and not c.is_symlink()))
            except OSError:
                continue
        level = nxt
    roots: list[Path] = []
    for folder in holders:
        root = folder if folder == path else folder.parent
        if not any(root.is_relative_to(r) for r in roots):
            roots = [r for r in roots if not r.is_relative_to(root)] + [root]
    return roots


def photos_roots(path: Path) -> list[Path]:
    """The Google Photos folders of a Takeout (or the folder itself when given directly):
    by their usual names, else by the sidecars they hold (any locale)."""
    if not path.is_dir():
        return []
    return find_dirs(path, PHOTOS_DIRS, max_depth=2) or _structural_roots(path)


@register
class TakeoutPhotosReader(Reader):
    name = "takeout-photos"
    description = "Google Takeout, Google Photos: photos and videos with .json sidecars"
    priority = 30
    reads_media = True

    def sniff(self, path: Path) -> bool:
        return bool(photos_roots(path))

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        # Forced with --source on a folder of sidecars not named "Google Photos": read it.
        roots = photos_roots(path) or ([path] if path.is_dir() else [])
        if not roots:
            raise CorpusError(
                f"{shown_path(path)}: no 'Google Photos' folder found (is this a Google Takeout?)"
            )
        person = author or path.resolve().name or "me"
        for root in roots:
            yield from self._read_root(root, person, diag)

    def _read_root(self, root: Path, person: str, diag: Diagnostics) -> Iterator[Post]:
        for folder in [
            root,
            *sorted(p for p in root.rglob("*") if p.is_dir() and not p.is_symlink()),
        ]:
            try:
                entries = sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink())
            except OSError as exc:
                diag.warn(
                    f"{shown_path(folder)}: cannot list folder: {exc.strerror}", kind="unreadable"
                )
                continue
            yield from self._read_folder(root, folder, entries, person, diag)

    def _read_folder(
        self, root: Path, folder: Path, entries: list[Path], person: str, diag: Diagnostics
    ) -> Iterator[Post]:
        sidecars: dict[str, dict[str, Any]] = {}
        by_title: dict[str, str] = {}
        for entry in entries:
            if entry.suffix.lower() != ".json" or entry.name.lower() in _ALBUM_META:
                continue
            try:
                data = load_json(entry)
            except CorpusError as exc:
                diag.warn(f"{exc}; sidecar skipped", kind="bad-record")
                continue
            if not isinstance(data, dict) or not (
                "photoTakenTime" in data or "geoData" in data or "creationTime" in data
            ):
                continue  # an album's metadata.json or another file
            sidecars[entry.name] = data
            title = data.get("title")
            if isinstance(title, str) and title:
                by_title.setdefault(title, entry.name)
        used: set[str] = set()
        names = {e.name for e in entries}
        for media in (e for e in entries if is_media(e.name)):
            original = _original_of_edited(media.name)
            if original is not None and original in names:
                continue  # Google's edited copy of a photo that is here too: counted once

            name = next((c for c in sidecar_candidates(media.name) if c in sidecars), None)
            if name is None and media.name in by_title and by_title[media.name] not in used:
                name = by_title[media.name]
            if name is not None:
                used.add(name)
            post = self._post(root, folder, media, name, sidecars.get(name or ""), person, diag)
            if post is not None:
                yield post
        for name, data in sidecars.items():
            if name in used:
                continue
            # The sidecar of a photo not in this export: its location still leaks.
            post = self._post(root, folder, None, name, data, person, diag)
            if post is not None and post.geotag is not None:
                yield post

    def _post(
        self,
        root: Path,
        folder: Path,
        media: Path | None,
        sidecar_name: str | None,
        data: dict[str, Any] | None,
        person: str,
        diag: Diagnostics,
    ) -> Post | None:
        rel_folder = folder.relative_to(root).as_posix()
        ident = f"{rel_folder}/{media.name if media else sidecar_name}".lstrip("./")
        where = shown_path(folder / (sidecar_name or (media.name if media else "")))
        geotag = created = None
        source = EvidenceSource.GEOTAG
        extra: dict[str, Any] = {"source": "google-takeout"}
        if data is not None:
            try:
                geo = _sidecar_position(data, "geoData")
                geo_exif = _sidecar_position(data, "geoDataExif")
            except RecordError as exc:
                diag.warn(f"{where}: {exc}; position ignored", kind="bad-record")
                geo = geo_exif = None
            # Counted once: the media reader (geoleak.extract.media) already takes a photo's
            # position from its own EXIF, else from a sidecar named the plain way. The post
            # carries the sidecar's position only where that reading cannot find it: a
            # sidecar without its photo, or one named by Takeout's quirks.
            simple = media is not None and sidecar_name in (
                f"{media.name}.json",
                f"{media.name}.supplemental-metadata.json",
            )
            if not simple:
                geotag = geo_exif or geo
                source = EvidenceSource.EXIF if geo_exif else EvidenceSource.GEOTAG
            if geo is not None:
                extra["geo_data"] = [geo.lat, geo.lon]
            if geo_exif is not None:
                extra["geo_exif"] = [geo_exif.lat, geo_exif.lon]
            for key in ("photoTakenTime", "creationTime"):
                raw = get_path(data, key, "timestamp")
                if raw is None:
                    continue
                try:
                    when = parse_time(raw, key)
                except RecordError as exc:
                    diag.warn(f"{where}: {exc}; ignored", kind="bad-record")
                    continue
                extra[key] = when.isoformat()
                created = created or when
            title = data.get("title")
            if isinstance(title, str):
                extra["title"] = title
            people = [p.get("name") for p in as_list(data.get("people")) if isinstance(p, dict)]
            if people:
                extra["people"] = [p for p in people if isinstance(p, str)]
            if sidecar_name:
                extra["sidecar"] = str(folder / sidecar_name)
            text = data.get("description")
        else:
            text = None
        try:
            return Post(
                id=ident,
                author=person,
                created_at=created,
                text=text if isinstance(text, str) and text else None,
                geotag=geotag,
                geotag_source=source,
                media=(str(media.resolve()),) if media else (),
                origin=where,
                extra=extra,
            )
        except ValueError as exc:
            diag.warn(f"{where}: {exc}; skipped", kind="bad-record")
            return None
