"""Instagram's "Download your information" export, JSON variant.

Read: posts (`content/posts_*.json` or `your_instagram_activity/content/posts_*.json`, a list
of `{media: [...], title, creation_timestamp}`), stories (`stories.json`,
`{ige_stories: [...]}`), reels (`reels.json`, `{ig_reels_media: [{media: [...]}]}`) and
archived posts. The account name comes from `personal_information.json`. Positions are
the `exif_data` latitude/longitude Instagram kept from the uploaded files.

The HTML variant of the download has no machine-readable metadata; it is refused with a
message asking for the JSON one.
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
from geoleak.ingest.meta import media_item, posts_from_items, text_of
from geoleak.paths import shown_path
from geoleak.types import Post

__all__ = ["InstagramReader", "find_instagram_root"]

_CONTENT_JSON = re.compile(
    r"^(posts_\d+|stories|reels|archived_posts|profile_photos|other_content)\.json$"
)
_CONTENT_HTML = re.compile(r"^(posts_\d+|stories|reels|archived_posts)\.html$")
_LIST_KEYS = {
    "ige_stories",
    "ig_reels_media",
    "ig_archived_post_media",
    "ig_profile_picture",
    "ig_other_media",
}


def _content_dirs(path: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in (
        "content",
        "media",
        "your_instagram_activity/content",
        "your_instagram_activity/media",
        "*/content",
        "*/your_instagram_activity/content",
    ):
        found.extend(p for p in path.glob(pattern) if p.is_dir())
    return found


def find_instagram_root(path: Path) -> tuple[Path, list[Path], list[Path]] | None:
    """(export root, JSON content files, HTML content files) or None when not Instagram."""
    if not path.is_dir():
        return None
    for content in _content_dirs(path):
        names = [p for p in content.iterdir() if p.is_file()]
        json_files = sorted(p for p in names if _CONTENT_JSON.match(p.name))
        html_files = sorted(p for p in names if _CONTENT_HTML.match(p.name))
        if not json_files and not html_files:
            continue
        root = content.parent
        if root.name == "your_instagram_activity":
            root = root.parent
        # Facebook has no posts_1.json: its files are your_posts_1.json.
        return root, json_files, html_files
    return None


def _username(root: Path, diag: Diagnostics) -> str | None:
    for candidate in find_files(root, lambda n: n == "personal_information.json", max_depth=4):
        try:
            data = load_json(candidate)
        except CorpusError as exc:
            diag.warn(str(exc), kind="bad-file")
            continue
        for user in as_list(get_path(data, "profile_user")):
            for key in ("Username", "Benutzername", "Nom d’utilisateur", "Nombre de usuario"):
                value = get_path(user, "string_map_data", key, "value")
                if isinstance(value, str) and value.strip():
                    return text_of(value)
    return None


@register
class InstagramReader(Reader):
    name = "instagram"
    description = "Instagram download (JSON): posts, stories and reels with exif_data positions"
    priority = 20
    reads_media = True

    def sniff(self, path: Path) -> bool:
        return find_instagram_root(path) is not None

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        found = find_instagram_root(path)
        if found is None:
            raise CorpusError(
                f"{shown_path(path)}: not an Instagram download (no content/posts_1.json)"
            )
        root, json_files, html_files = found
        if not json_files:
            raise CorpusError(
                f"{shown_path(path)}: this is the HTML version of the Instagram download, which does not "
                "keep photo metadata; request the download again with Format: JSON "
                "(Accounts Center > Your information and permissions > Download your information)"
            )
        if html_files:
            diag.warn(
                f"{shown_path(path)}: HTML files next to the JSON ones are ignored", kind="note"
            )
        person = author or _username(root, diag) or root.resolve().name or "me"
        for file in json_files:
            rel = file.relative_to(root).as_posix()
            with reported(file, diag), file.open("rb") as handle:
                shown = shown_path(file)
                items = iter_json_items(handle, ["item", *(f"{k}.item" for k in _LIST_KEYS)], shown)
                n = -1
                for n, (_, obj) in enumerate(items):
                    yield from self._entry(
                        obj, root, f"{rel}#{n}", f"{shown}: item {n}", person, diag
                    )
                if n < 0:
                    warn_unknown_layout(handle, shown, _LIST_KEYS, diag)

    @staticmethod
    def _entry(
        obj: Any, root: Path, post_id: str, where: str, person: str, diag: Diagnostics
    ) -> Iterator[Post]:
        try:
            if not isinstance(obj, dict):
                raise RecordError("not an object")
            listed = obj.get("media")
            raw_media: list[Any] = listed if isinstance(listed, list) else [obj]
            media = [media_item(m, root, where, diag) for m in raw_media]
            if not media:
                raise RecordError("post without media")
            text = text_of(obj.get("title")) or media[0].title
            created = None
            if obj.get("creation_timestamp") is not None:
                created = parse_time(obj["creation_timestamp"], "creation_timestamp")
            yield from posts_from_items(
                post_id=post_id,
                person=person,
                created=created,
                text=text,
                place=None,
                media=media,
                origin=where,
                extra={"source": "instagram"},
            )
        except (RecordError, ValueError) as exc:
            diag.warn(f"{where}: {exc}; skipped", kind="bad-record")
