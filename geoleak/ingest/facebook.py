"""Facebook's "Download your information" export, JSON variant.

Read: posts (`your_posts_1.json`, newer `your_posts__check_ins__photos_and_videos_1.json`:
a list of `{timestamp, data: [{post}], attachments: [{data: [{media}|{place}]}], title}`),
check-ins (posts whose attachment is a `place` with a `coordinate`), albums
(`album/*.json`, `{name, photos: [...]}`), videos (`your_videos.json`, `{videos_v2: [...]}`)
and uncategorized photos. Media keep the EXIF position Facebook read at upload in
`media_metadata` even though the files in the download are stripped. Text is repaired from
Meta's `\\u00xx` mojibake. The account name comes from `profile_information.json`.
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
    find_files,
    get_path,
    iter_json_items,
    load_json,
    parse_time,
    reported,
    warn_unknown_layout,
)
from geoleak.ingest.meta import MediaItem, media_item, meta_place, posts_from_items, text_of
from geoleak.paths import shown_path
from geoleak.types import NamedPlace, Post

__all__ = ["FacebookReader", "find_facebook_root"]

_POSTS_FILE = re.compile(
    r"^(your_posts.*|.*check.?ins.*|your_videos|your_uncategorized_photos|"
    r"your_photos|posts_on_other_pages)(_\d+)?\.json$"
)
_LIST_KEYS = ("videos_v2", "other_photos_v2", "photos", "checkins_v2")


def find_facebook_root(path: Path) -> tuple[Path, list[Path]] | None:
    """(export root, JSON files to read) or None when `path` is not a Facebook download."""
    if not path.is_dir():
        return None
    for base in (path, *sorted(p for p in path.iterdir() if p.is_dir() and not p.is_symlink())):
        posts_dirs = [
            d
            for d in (
                base / "posts",
                base / "your_activity_across_facebook" / "posts",
                base / "your_facebook_activity" / "posts",
            )
            if d.is_dir()
        ]
        files: list[Path] = []
        for posts in posts_dirs:
            files.extend(find_files(posts, lambda n: bool(_POSTS_FILE.match(n)), max_depth=1))
            album = posts / "album"
            if album.is_dir():
                files.extend(find_files(album, lambda n: n.endswith(".json"), max_depth=1))
        for places in (
            base / "your_places",
            base / "your_activity_across_facebook" / "your_places",
        ):
            if places.is_dir():
                files.extend(find_files(places, lambda n: n.endswith(".json"), max_depth=1))
        if files:
            return base, sorted(set(files))
    return None


def _profile_name(root: Path, diag: Diagnostics) -> str | None:
    for candidate in find_files(root, lambda n: n == "profile_information.json", max_depth=4):
        try:
            data = load_json(candidate)
        except CorpusError as exc:
            diag.warn(str(exc), kind="bad-file")
            continue
        name = get_path(data, "profile_v2", "name", "full_name") or get_path(
            data, "profile", "name", "full_name"
        )
        if isinstance(name, str) and name.strip():
            return text_of(name)
    return None


@register
class FacebookReader(Reader):
    name = "facebook"
    description = "Facebook download (JSON): posts, check-ins, photos and videos with metadata"
    priority = 21
    reads_media = True

    def sniff(self, path: Path) -> bool:
        return find_facebook_root(path) is not None

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        found = find_facebook_root(path)
        if found is None:
            if any(path.glob("**/your_posts*.html")):
                raise CorpusError(
                    f"{shown_path(path)}: this is the HTML version of the Facebook download, which does not "
                    "keep photo metadata; download your information again with Format: JSON"
                )
            raise CorpusError(
                f"{shown_path(path)}: not a Facebook download (no posts/your_posts_1.json)"
            )
        root, files = found
        person = author or _profile_name(root, diag) or root.resolve().name or "me"
        for file in files:
            rel = file.relative_to(root).as_posix()
            with reported(file, diag), file.open("rb") as handle:
                prefixes = ["item", *(f"{k}.item" for k in _LIST_KEYS)]
                shown = shown_path(file)
                n = -1
                for n, (prefix, obj) in enumerate(iter_json_items(handle, prefixes, shown)):
                    where = f"{shown}: {prefix.removesuffix('item')}[{n}]"
                    yield from self._entry(obj, root, f"{rel}#{n}", where, person, diag)
                if n < 0:
                    warn_unknown_layout(handle, shown, _LIST_KEYS, diag)

    @staticmethod
    def _entry(
        obj: Any, root: Path, post_id: str, where: str, person: str, diag: Diagnostics
    ) -> Iterator[Post]:
        try:
            if not isinstance(obj, dict):
                raise RecordError("not an object")
            media: list[MediaItem] = []
            place: NamedPlace | None = None
            texts: list[str] = []
            if "uri" in obj:  # an album photo or a video: the entry is the media item
                media.append(media_item(obj, root, where, diag))
                texts.extend(t for t in [text_of(obj.get("description"))] if t)
            for attachment in as_list(obj.get("attachments")):
                for data in as_list(get_path(attachment, "data")):
                    if not isinstance(data, dict):
                        continue
                    if isinstance(data.get("media"), dict):
                        media.append(media_item(data["media"], root, where, diag))
                    if isinstance(data.get("place"), dict):
                        place = meta_place(data["place"]) or place
            if isinstance(obj.get("place"), dict):
                place = meta_place(obj["place"]) or place
            for data in as_list(obj.get("data")):
                text = text_of(get_path(data, "post"))
                if text:
                    texts.append(text)
            title = text_of(obj.get("title"))
            created = None
            raw_time = obj.get("timestamp", obj.get("creation_timestamp"))
            if raw_time is not None:
                created = parse_time(raw_time, "timestamp")
            if not media and place is None and not texts:
                return  # status updates without text or location: nothing to read
            text = "\n".join(texts) or title or (media[0].title if media else None)
            yield from posts_from_items(
                post_id=post_id,
                person=person,
                created=created,
                text=text,
                place=place,
                media=media,
                origin=where,
                extra={"source": "facebook", **({"title": title} if title else {})},
            )
        except (RecordError, ValueError) as exc:
            diag.warn(f"{where}: {exc}; skipped", kind="bad-record")
