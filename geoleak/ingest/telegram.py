"""Telegram Desktop export (`result.json`, "Machine-readable JSON").

A full export is `{"personal_information": ..., "chats": {"list": [{"name", "messages":
[...]}]}}`; a single-chat export is `{"name", "type", "id", "messages": [...]}`. Both are
streamed. Each message is a post of its sender (`from` and `from_id`): shared locations
and venues (`location_information`, `place_name`, `address`, live locations), text (for
check-ins), and attached photos and files. An image sent *as a file* keeps its EXIF, so
`file` attachments are media too. Times come from `date_unixtime` (UTC); `date` is the
exporting computer's local time and is used only when that is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from geoleak.diagnostics import Diagnostics
from geoleak.errors import CorpusError
from geoleak.ingest.base import Reader, register
from geoleak.ingest.common import RecordError, get_path, iter_json_items, latlon, parse_time
from geoleak.ingest.jsonl import export_media_path
from geoleak.mediatypes import is_media
from geoleak.paths import shown_path
from geoleak.types import NamedPlace, Post

__all__ = ["TelegramReader", "message_text"]

SHARED_LOCATION_ACCURACY_M = 20.0


def message_text(value: Any) -> str | None:
    """Telegram text: a string, or a list of strings and `{type, text}` entities."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        parts = [
            p if isinstance(p, str) else str(p.get("text", ""))
            for p in value
            if isinstance(p, (str, dict))
        ]
        joined = "".join(parts)
        return joined or None
    return None


def _result_file(path: Path) -> Path | None:
    if path.is_file():
        if path.suffix.lower() != ".json":
            return None
        try:
            with path.open("rb") as handle:
                head = handle.read(2048).decode("utf-8", "replace")
        except OSError:
            return None
        markers = ('"personal_information"', '"chats"', '"messages"')
        return (
            path
            if path.name.lower() == "result.json" or any(m in head for m in markers[:2])
            else None
        )
    if path.is_dir():
        for candidate in (path / "result.json", *sorted(path.glob("*/result.json"))):
            if candidate.is_file():
                return candidate
    return None


@register
class TelegramReader(Reader):
    name = "telegram"
    description = "Telegram Desktop export (result.json): shared locations, venues, photos, text"
    priority = 24
    reads_media = True

    def sniff(self, path: Path) -> bool:
        return _result_file(path) is not None

    def read(self, path: Path, diag: Diagnostics, *, author: str | None = None) -> Iterator[Post]:
        file = _result_file(path)
        if file is None:
            raise CorpusError(f"{shown_path(path)}: not a Telegram Desktop export (no result.json)")
        root = file.parent
        chat_name = ""
        try:
            with file.open("rb") as handle:
                prefixes = [
                    "name",
                    "chats.list.item.name",
                    "messages.item",
                    "chats.list.item.messages.item",
                ]
                n = 0
                shown = shown_path(file)
                for prefix, value in iter_json_items(handle, prefixes, shown, interleaved=True):
                    if prefix.endswith("name"):
                        chat_name = str(value) if value is not None else ""
                        continue
                    n += 1
                    where = f"{shown}: message {n}" + (f" in {chat_name!r}" if chat_name else "")
                    try:
                        post = self._post(value, root, chat_name, where, author, diag)
                    except (RecordError, ValueError) as exc:
                        diag.warn(f"{where}: {exc}; skipped", kind="bad-record")
                        continue
                    if post is not None:
                        yield post
        except OSError as exc:
            raise CorpusError(f"{shown_path(file)}: cannot read ({exc.strerror or exc})") from None
        except CorpusError as exc:
            diag.warn(str(exc), kind="bad-file")

    @staticmethod
    def _post(
        msg: Any, root: Path, chat: str, where: str, author: str | None, diag: Diagnostics
    ) -> Post | None:
        if not isinstance(msg, dict):
            raise RecordError("not an object")
        if msg.get("type", "message") != "message":
            return None  # service messages (joins, pins, calls)
        sender = msg.get("from")
        sender_id = msg.get("from_id")
        if not sender and not sender_id:
            raise RecordError("message without sender")
        person = author or (
            f"{sender} ({sender_id})" if sender and sender_id else str(sender or sender_id)
        )
        raw_time = msg.get("date_unixtime") or msg.get("date")
        created = parse_time(raw_time, "date") if raw_time else None
        geotag = None
        loc = msg.get("location_information")
        if isinstance(loc, dict):
            geotag = latlon(loc.get("latitude"), loc.get("longitude"), "location_information")
        place = None
        venue = msg.get("place_name") or msg.get("address")
        if isinstance(venue, str) and venue:
            place = NamedPlace(venue)  # the position, when shared, is the geotag already
        media: list[str] = []
        for key in ("photo", "file", "thumbnail"):
            entry = msg.get(key)
            if not isinstance(entry, str) or not entry or entry.startswith("(File"):
                continue  # "(File not included...)" placeholders
            if key != "photo" and not is_media(entry):
                continue
            resolved, refused = export_media_path(root, entry)
            if resolved is None:
                diag.warn(f"{where}: {refused}", kind="unsafe-path")
            elif resolved.is_file():
                media.append(str(resolved))
                break
        text = message_text(msg.get("text"))
        if geotag is None and place is None and not media and not text:
            return None
        extra: dict[str, Any] = {"source": "telegram", "chat": chat}
        if msg.get("live_location_period_seconds"):
            extra["live_location_s"] = msg["live_location_period_seconds"]
        if get_path(msg, "forwarded_from"):
            extra["forwarded_from"] = msg["forwarded_from"]
        return Post(
            id=f"telegram:{chat}:{msg.get('id')}",
            author=person,
            created_at=created,
            text=text,
            geotag=geotag,
            place=place,
            media=tuple(media),
            origin=where,
            geotag_accuracy_m=SHARED_LOCATION_ACCURACY_M if geotag else None,
            extra=extra,
        )
