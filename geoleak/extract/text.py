"""Place mentions in post text, and the check-in evidence they give once geocoded.

`find_place_mentions` is pure pattern work: "checked in at Café Luna", "I'm at Fort
Fictional (Fayetteville, NC)", "(@ Cafe Luna in Fayetteville)", "at/in/near <Capitalised
Name>", the pin emoji 📍 followed by a name, hashtags (#FortBragg -> "Fort Bragg"), and
home phrases ("Home sweet home", "back home"). It proposes candidates; only those a
geocoder knows become evidence.

`checkin_evidence` geocodes a post's mentions (and a named place without coordinates).
Text evidence is weaker than a GPS fix: its accuracy is that of what was named (a city is
kilometres, a venue from the user's places file metres) and its weight is below 1. A
post the platform already located is not geocoded again; a home phrase next to such a
position marks that position as home (a CHECKIN observation with text "home: ...").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from geoleak.extract.evidence import observation
from geoleak.extract.localtime import timezone_at
from geoleak.types import Evidence, EvidenceSource, LatLon, Post

__all__ = [
    "CHECKIN_WEIGHT",
    "PlaceLookup",
    "PlaceMention",
    "checkin_evidence",
    "find_place_mentions",
    "split_hashtag",
]


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A candidate place name in a text. `kind`: checkin, at, pin, hashtag, place or home."""

    name: str
    kind: str
    start: int
    end: int


# Weight of text evidence by what the geocoder found (a GPS fix weighs 1).
CHECKIN_WEIGHT: dict[str, float] = {
    "venue": 0.5,
    "address": 0.5,
    "user": 0.5,
    "street": 0.4,
    "neighbourhood": 0.3,
    "city": 0.25,
    "admin": 0.1,
    "country": 0.05,
}
MAX_ACCURACY_M = 50_000.0  # regions and countries say nothing about a home or a base

_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’&.\-]*"
_LINK = r"(?:of|de|du|des|la|le|les|the|on|upon|am|an|and|&|del|di|da|von|van|der|sur|St\.?)"
_NAME = rf"(?:the\s+)?{_WORD}(?:[ \t]+(?:{_WORD}|{_LINK}(?=[ \t]+[A-ZÀ-ÖØ-Þ])))*"
_QUALIFIER = rf"(?:,[ \t]*{_WORD}(?:[ \t]+{_WORD})*)?"
_CHECKIN = re.compile(
    rf"(?i:\b(?:checked|checking|checks?)[ \t-]*in[ \t]+(?:at|to)|\bI['’]?m[ \t]+at|\(@)[ \t]+"
    rf"(?P<name>{_NAME})(?:[ \t]+(?:in|\()[ \t]*(?P<where>{_WORD}(?:[ \t]+{_WORD})*{_QUALIFIER}))?"
)
_AT = re.compile(rf"\b(?:at|in|near|to|from|@)[ \t]+(?P<name>{_NAME}{_QUALIFIER})")
_PIN = re.compile(r"(?:📍|\U0001F4CC|📌)\ufe0f?[ \t]*(?P<name>[^\n#@.!?|•]{2,60})")
_HASHTAG = re.compile(r"(?<![\w&])#(?P<tag>[^\W\d_][\w]{2,49})")
_HOME = re.compile(
    r"\b(?:home[ \t]+sweet[ \t]+home|back[ \t]+home|home[ \t]+at[ \t]+last|finally[ \t]+home|"
    r"home[ \t]+again|at[ \t]+home|my[ \t]+(?:house|flat|apartment|place))\b|🏠|🏡",
    re.IGNORECASE,
)
# Capitalised words that follow "at"/"in" but are no places.
_NOT_PLACES = {
    "the",
    "a",
    "an",
    "i",
    "my",
    "our",
    "your",
    "this",
    "that",
    "last",
    "first",
    "least",
    "all",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "christmas",
    "easter",
    "noon",
    "midnight",
    "night",
    "dawn",
    "dusk",
    "morning",
    "afternoon",
    "evening",
    "weekend",
    "home",
    "work",
    "school",
    "church",
    "lunch",
    "dinner",
    "breakfast",
    "love",
    "time",
    "times",
    "once",
    "times square",
    "today",
    "tomorrow",
    "tonight",
    "yesterday",
    "nice",
    "mobile",
    "reading",
    "best",
    "god",
    "jesus",
    "it",
    "me",
    "him",
    "her",
    "them",
}
_HASHTAG_NOISE = {
    "love",
    "instagood",
    "photooftheday",
    "fashion",
    "beautiful",
    "happy",
    "cute",
    "tbt",
    "like",
    "follow",
    "me",
    "selfie",
    "summer",
    "art",
    "nature",
    "girl",
    "fun",
    "style",
    "food",
    "travel",
    "friends",
    "life",
    "family",
    "nofilter",
    "sunset",
    "fitness",
    "gym",
    "army",
    "military",
    "workout",
    "run",
    "running",
    "nice",
    "mobile",
    "reading",
    "home",
}


def split_hashtag(tag: str) -> str:
    """ "FortBragg" -> "Fort Bragg", "new_york" -> "new york", "NYC" -> "NYC"."""
    spaced = tag.replace("_", " ")
    spaced = re.sub(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])", " ", spaced)
    return " ".join(spaced.split())


def _clean(name: str) -> str:
    name = name.strip(" \t,;:-–—()[]\"'’")
    name = re.sub(r"^(?:the)\s+", "", name, flags=re.IGNORECASE)
    return name.rstrip(".")


def _is_place_like(name: str) -> bool:
    key = name.casefold()
    return len(name) >= 3 and key not in _NOT_PLACES and not key.isdigit()


def find_place_mentions(text: str | None) -> list[PlaceMention]:
    """Candidate place names in `text`, in order of appearance, without repeats."""
    if not text:
        return []
    found: list[PlaceMention] = []
    taken: list[tuple[int, int]] = []

    def add(name: str, kind: str, start: int, end: int) -> None:
        name = _clean(name)
        if kind != "home" and not _is_place_like(name):
            return
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(PlaceMention(name, kind, start, end))

    for match in _CHECKIN.finditer(text):
        name = match["name"]
        if match["where"]:
            name = f"{name}, {match['where']}"
        add(name, "checkin", match.start("name"), match.end())
    for match in _PIN.finditer(text):
        add(match["name"], "pin", match.start("name"), match.end("name"))
    for match in _AT.finditer(text):
        add(match["name"], "at", match.start("name"), match.end("name"))
    for match in _HASHTAG.finditer(text):
        tag = match["tag"]
        if tag.casefold() not in _HASHTAG_NOISE:
            add(split_hashtag(tag), "hashtag", match.start(), match.end())
    for match in _HOME.finditer(text):
        add(match.group(0), "home", match.start(), match.end())
    found.sort(key=lambda m: m.start)
    return found


class PlaceLookup(Protocol):
    """Anything with `lookup(name) -> GeocodeResult | None` (a geoleak.geocode.Geocoder);
    a protocol, so this stage does not import the geocoders."""

    def lookup(self, query: str, /) -> Any: ...


def _candidates(mention: PlaceMention) -> list[str]:
    """Names to try for a mention: a check-in "Venue, City" tries the venue, then the city."""
    names = [mention.name]
    if "," in mention.name:
        head, _, tail = mention.name.partition(",")
        names += [head.strip(), tail.strip()]
    return [n for n in names if n]


def checkin_evidence(
    post: Post,
    geocoder: PlaceLookup,
    *,
    known: Sequence[Evidence] = (),
    tz_lookup: Callable[[LatLon], str | None] = timezone_at,
    max_accuracy_m: float = MAX_ACCURACY_M,
) -> list[Evidence]:
    """CHECKIN evidence from the places a post names (text, or a place without coordinates).

    `known` is the evidence the post gave already (EXIF of its photos, geotag, place): a
    post located that way is not geocoded, but a home phrase in it ("Home sweet home")
    marks the strongest known position as home, with that observation's time.
    """
    platform_position = post.geotag or (post.place.centre if post.place else None)
    found: list[Evidence] = []
    mentions = find_place_mentions(post.text)

    def evidence(position: LatLon, accuracy_m: float, weight: float, label: str) -> Evidence:
        return observation(
            post, position, EvidenceSource.CHECKIN, accuracy_m=accuracy_m, weight=weight,
            text=label, tz_lookup=tz_lookup,
        )  # fmt: skip

    if known or platform_position is not None:
        home = next((m for m in mentions if m.kind == "home"), None)
        if home is None:
            return found
        label = f"[home '{home.name}'] {post.text}"
        if known:
            found.append(replace(known[0], source=EvidenceSource.CHECKIN, text=label,
                                 weight=CHECKIN_WEIGHT["venue"]))  # fmt: skip
        elif platform_position is not None and not platform_position.is_null_island:
            accuracy = post.geotag_accuracy_m or 50.0
            found.append(evidence(platform_position, accuracy, CHECKIN_WEIGHT["venue"], label))
        return found
    groups: list[tuple[str, list[str]]] = []
    if post.place is not None and post.place.name:
        groups.append(("place", [post.place.name]))
    groups += [(m.kind, _candidates(m)) for m in mentions if m.kind != "home"]
    seen: set[tuple[float, float]] = set()
    tried: set[str] = set()
    for kind, candidates in groups:
        for name in candidates:
            if name.casefold() in tried:
                continue
            tried.add(name.casefold())
            result = geocoder.lookup(name)
            position = getattr(result, "position", None)
            accuracy = float(getattr(result, "accuracy_m", 0.0) or 0.0)
            if not isinstance(position, LatLon) or not 0 < accuracy <= max_accuracy_m:
                continue
            # The first name of a mention that resolves is its place ("Venue, City" before
            # "Venue" before "City").
            key = (round(position.lat, 4), round(position.lon, 4))
            if key not in seen:
                seen.add(key)
                weight = CHECKIN_WEIGHT.get(
                    str(getattr(result, "kind", "")), CHECKIN_WEIGHT["city"]
                )
                label = f"[{kind} '{name}' -> {getattr(result, 'name', name)}]"
                text = f"{label} {post.text}" if post.text else label
                found.append(evidence(position, accuracy, weight, text))
            break
    return found
