"""Places a post's text says its author is at, and the check-in evidence they give.

Only a *presence claim* counts: a check-in ("I'm at Café Luna in Fayetteville", "(@ Cafe
Luna in Spring Lake, NC)", "— at Fort Fictional."), a pin ("📍 Tromsø"), a place cue in
the present or recent past ("in Lisbon", "back in Denver", "just landed in Oslo", "Grüße
aus Köln", "je suis à Lyon", "estoy en Sevilla"), or a place hashtag (#Paris). A clause
about the future ("Packing to go to Seattle", "going to NYC", "demain à Lyon"), a
hypothesis ("if we go to Rome"), reported speech or news ("police in Dallas said"), a
memory ("born in Ohio", "two years ago in Paris"), a question or a negation is no claim,
and nor is a reshare (a retweet "RT @...", a quote, a post the ingest marks `reshare`) or
text in quotation marks. Cue words are known for en, de, fr, es, it, pt and nl; the
language of a post is guessed from its function words.

Disambiguation (`resolve_claim`): a name that is a country, a region or a continent
("USA", "California", "Africa") is a region-level claim and gives no point (it says
nothing about a home or a base, whose scale is a few hundred metres); months, seasons,
weekdays, languages and brands ("Jan", "Spring 2009", "Google") are not looked up; among
towns of one name the time zone the post was written in (when the post kept its offset)
decides first (it is this post's own evidence), then the person's other positions, then
population, and a name whose two most populous towns are close in size and far apart is
left unplaced.

A post gives at most one claim: the strongest that resolves (platform place, check-in,
pin, presence cue, hashtag). A post the platform or its photos already located is not
geocoded; a home phrase ("Home sweet home") next to such a position marks it as home.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from geoleak.extract.evidence import observation
from geoleak.extract.localtime import timezone_at
from geoleak.geometry import haversine_m
from geoleak.types import Evidence, EvidenceSource, LatLon, Post

__all__ = [
    "CHECKIN_WEIGHT",
    "MAX_ACCURACY_M",
    "PlaceContext",
    "PlaceLookup",
    "PlaceMention",
    "Resolution",
    "checkin_evidence",
    "find_place_mentions",
    "guess_language",
    "is_reshare",
    "resolve_claim",
    "split_hashtag",
]


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A claimed place in a text. `kind`: checkin, pin, presence, hashtag or home.

    `name` may carry qualifiers after commas ("Café Luna, Fayetteville, NC"); `start` and
    `end` delimit it in the text.
    """

    name: str
    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PlaceContext:
    """What else is known about the person when a name is ambiguous.

    `near`: positions of their other evidence (a few hundred are plenty); `utc_offset_h`:
    the offset the post was written in, when the platform kept it.
    """

    near: Sequence[LatLon] = ()
    utc_offset_h: float | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a claimed name turned out to be: a point (`result`) or why not (`reason`:
    "region", "unknown", "ambiguous", "too-coarse")."""

    name: str
    result: Any = None
    level: str = "town"
    reason: str | None = None


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
NEAR_M = 250_000.0  # a town this close to the person's other evidence is theirs
AMBIGUOUS_RATIO = 0.5  # second town at least this share of the first's size: ambiguous
AMBIGUOUS_APART_M = 100_000.0
HASHTAG_MIN_POPULATION = 100_000  # #Paris yes, #Best no
# A town in a country whose main language is the post's counts this many times its size
# ("Date night in Santa Fe" written in English: New Mexico rivals Argentina, so unplaced).
LANGUAGE_AFFINITY = 3.0

_UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
_WORD = rf"(?:[{_UPPER}]\.(?:[{_UPPER}]\.)+|[{_UPPER}][\w'’&\-]*(?![\w'’&\-])\.?)"
_LINK = (
    r"(?:of|de|du|des|la|le|les|the|on|upon|am|an|del|della|di|da|do|dos|das|"
    r"von|van|der|den|aan|sur|St\.?|Ste\.?|Sankt)"
)
_NAME = rf"(?:(?:the|The|La|Le|Les|El|Los|Las|Den|Het)\s+)?{_WORD}(?:[ \t]+(?:{_WORD}|{_LINK}(?=[ \t]+[{_UPPER}])))*"
# A qualifier's words end at one with a full stop ("Newcastle, NSW. Beach time": the
# sentence ends there), which may still be an abbreviation ("Tampa, Fla.", "D.C.").
_OPEN_WORD = rf"(?:[{_UPPER}][\w'’&\-]*(?![\w'’&\-.]))"
_QUALIFIERS = rf"(?:,[ \t]*(?:{_OPEN_WORD}[ \t]+)*{_WORD}){{0,2}}"
_PLACE = rf"(?P<name>{_NAME})(?P<qual>{_QUALIFIERS})"
# A place name followed by a year or a number is a time ("Spring 2009") or a count.
_NOT_AFTER = r"(?![ \t]*\d)"

_CHECKIN = re.compile(
    rf"(?:(?i:\b(?:checked|checking|checks?)[ \t-]*in[ \t]+(?:at|to|@)|\bI['’]?m[ \t]+at|"
    rf"\bI[ \t]+am[ \t]+at|\bwe['’]?re[ \t]+at)|\(@|[—–][ \t]*(?i:at|in|à|en|em|bei|presso)|"
    rf"(?i:\bich[ \t]+bin[ \t]+(?:im|in[ \t]+der|bei|am|in))|(?i:\bje[ \t]+suis[ \t]+(?:au|à[ \t]+la|à|chez))|"
    rf"(?i:\bestoy[ \t]+en|\bestamos[ \t]+en|\bsono[ \t]+(?:a|in|al)|\bsiamo[ \t]+(?:a|in|al)|"
    rf"\bestou[ \t]+(?:em|no|na)|\bik[ \t]+ben[ \t]+(?:in|bij)))[ \t]+"
    rf"(?P<name>{_NAME}){_NOT_AFTER}(?:[ \t]+(?:in|\(|à|en|em|a)[ \t]*(?P<where>{_NAME}{_QUALIFIERS})|"
    rf"(?P<qual>{_QUALIFIERS}))"
)
_PIN = re.compile(r"(?:📍|\U0001F4CC)\ufe0f?[ \t]*(?P<name>[^\n#@!?|•()]{2,60})")
_HASHTAG = re.compile(r"(?<![\w&])#(?P<tag>[^\W\d_][\w]{2,49})")
_HOME = re.compile(
    r"\b(?:home[ \t]+sweet[ \t]+home|back[ \t]+home|home[ \t]+at[ \t]+last|finally[ \t]+home|"
    r"home[ \t]+again|at[ \t]+home|my[ \t]+(?:house|flat|apartment|place))\b|🏠|🏡",
    re.IGNORECASE,
)

# Presence cues per language: the words before a place name that say "I am / was just there".
_CUES: dict[str, str] = {
    "en": r"(?:(?:back|here|now|currently|still|finally|today|tonight|live|life|day|night|"
    r"weekend|morning|evening|sunset|sunrise|lunch|dinner|brunch|coffee|drinks)[ \t]+in|"
    r"(?:just[ \t]+)?(?:landed|arrived|touched[ \t]+down)[ \t]+(?:in|at)|made[ \t]+it[ \t]+to|"
    r"(?:just[ \t]+)?got[ \t]+to|(?:walking|wandering|exploring|visiting|touring)(?:[ \t]+around)?|"
    r"(?:greetings|hello|hi|love|postcard|cheers|live)[ \t]+from|welcome[ \t]+to|in|at)",
    "de": r"(?:(?:zurück|wieder|endlich|gerade|heute|jetzt|hier|noch)[ \t]+in|"
    r"(?:angekommen|gelandet)[ \t]+in|(?:grüße|gruß|grüsse|liebe[ \t]+grüße)[ \t]+aus|"
    r"in|im|bei)",
    "fr": r"(?:(?:de[ \t]+retour|enfin|aujourd['’]hui|ici|déjà)[ \t]+(?:à|au|en)|"
    r"(?:arrivée?s?|atterrie?s?)[ \t]+(?:à|au)|(?:bisous|salut|bonjour|coucou)[ \t]+de|à|au)",
    "es": r"(?:(?:de[ \t]+vuelta|por[ \t]+fin|hoy|aquí|ya)[ \t]+en|(?:llegu[ée]|llegamos)[ \t]+a|"
    r"(?:saludos|besos)[ \t]+desde|en)",
    "it": r"(?:(?:di[ \t]+nuovo|finalmente|oggi|qui)[ \t]+(?:a|in)|"
    r"(?:arrivat[oaie]|tornat[oaie])[ \t]+(?:a|in)|(?:saluti|baci)[ \t]+da|a|in)",
    "pt": r"(?:(?:de[ \t]+volta|finalmente|hoje|aqui|já)[ \t]+(?:a|em|ao|no|na)|"
    r"(?:cheguei|chegamos)[ \t]+(?:a|em|ao|no|na)|(?:beijos|saudações)[ \t]+de|direto[ \t]+de|em)",
    "nl": r"(?:(?:terug|eindelijk|vandaag|hier|nu)[ \t]+in|(?:aangekomen|geland)[ \t]+in|"
    r"(?:groeten|groetjes)[ \t]+uit|in)",
}


class _PerLanguage(dict[str, re.Pattern[str]]):
    """One regular expression per language, compiled on first use: the larger ones take
    10-35 ms each to compile, and a corpus seldom uses more than one or two languages (a
    process that reads no text compiles none but English's)."""

    def __init__(self, sources: dict[str, str]) -> None:
        super().__init__()
        self.sources = sources
        self["en"]  # every text is read with English's patterns too

    def __missing__(self, lang: str) -> re.Pattern[str]:
        pattern = self[lang] = re.compile(self.sources[lang])
        return pattern


_PRESENCE = _PerLanguage(
    {lang: rf"(?i:(?<![\w'’])(?:{cue}))[ \t]+{_PLACE}{_NOT_AFTER}" for lang, cue in _CUES.items()}
)

# Clauses about the future, a hypothesis, reported speech, the past, a negation: no claim.
_NOT_PRESENT: dict[str, str] = {
    "en": r"going[ \t]+to|gonna|will|['’]ll|shall|tomorrow|next[ \t]+\w+|soon|upcoming|"
    r"can['’]?t[ \t]+wait|cannot[ \t]+wait|counting[ \t]+down|plans?|planning|packing|pack|"
    r"heading|head[ \t]+to|leaving|leave[ \t]+for|flying[ \t]+to|fly[ \t]+to|off[ \t]+to|"
    r"booked|booking|trip[ \t]+to|flight[ \t]+to|drive[ \t]+to|move|moving|moved|"
    r"if|would|wish|hope|hoping|maybe|might|could|someday|one[ \t]+day|dream\w*|bucket[ \t]+list|"
    r"should|imagine|want[ \t]+to|wanna|wanted|says|said|say|saying|reports?|reported|reportedly|"
    r"according[ \t]+to|breaking|news|police|officials?|killed|shooting|election|elections|"
    r"governor|mayor|president|senator|announced?|headline|article|via|ago|last[ \t]+(?:year|"
    r"summer|winter|spring|fall|month|time)|back[ \t]+when|when[ \t]+I[ \t]+was|used[ \t]+to|"
    r"born|grew[ \t]+up|raised|remember\w*|throwback|tbt|miss|missing|"
    r"never[ \t]+(?:been|went|gone|visited|seen|was)|not|n['’]t|no[ \t]+longer|anyone|anybody|"
    r"who['’]?s|recommend\w*|recommendations?|tips|advice|tell[ \t]+me|favou?rite|thoughts|"
    r"prayers|praying|team|fans?|vs|store|stores|shop|shops|sale|job|jobs|hiring|visa|embassy|"
    r"cheap|deals?|tickets?|album|book|novel|film|movie|documentary|podcast|series|episode|about|"
    r"she|he|they|lives|(?:brother|sister|mom|dad|mother|father|parents|friend|cousin|uncle|"
    r"aunt|wife|husband|son|daughter|grandma|grandpa|kids)(?:['’]s)?[ \t]+(?:is|was|are|were|"
    r"lives|moved|got|works|just|has|had)",
    "de": r"(?<!guten[ \t])(?<!gute[ \t])morgen|nächste[nmrs]?|bald|werde|werden|wird|will|möchte|möchten|plane|geplant|"
    r"fahre[ \t]+nach|fliege[ \t]+nach|geht[ \t]+nach|gehts[ \t]+nach|ging|wenn|falls|würde|"
    r"hoffe|hoffentlich|vielleicht|träume?|vermisse|damals|vor[ \t]+\d+|jahren|letztes[ \t]+jahr|"
    r"nicht|nie|kein|keine|laut|berichtet|sagt|sagte|polizei|nachrichten|geboren|aufgewachsen|"
    r"wohnt|lebt",
    "fr": r"demain|prochaine?s?|bientôt|vais|vas|va|allons|allez|vont|irai|irons|partir|partons|"
    r"pars|si|aimerais|voudrais|rêve|espère|peut-être|dernier|dernière|il[ \t]+y[ \t]+a|souvenirs?|"
    r"ne|n['’]|pas|jamais|selon|affirme|déclare|police|né|née|manque|habite|vit",
    "es": r"mañana|próxim[oa]s?|pronto|voy|vamos|van|iré|iremos|si|ojalá|quisiera|quiero|"
    r"sueño|espero|quizás?|tal[ \t]+vez|pasado|hace[ \t]+\w+[ \t]+(?:años|meses|semanas)|"
    r"no[ \t]+(?:estoy|estamos|estuve|fui)|nunca|según|dice|dijo|extraño|policía|noticias|"
    r"nací|nació|vive|viven",
    "it": r"domani|prossim[oaie]|presto|andrò|andremo|andiamo|vado|se|vorrei|sogno|spero|forse|"
    r"scorso|scorsa|anni[ \t]+fa|non|mai|secondo|dice|detto|manca|polizia|nato|nata|abita|"
    r"vive",
    "pt": r"amanhã|próxim[oa]s?|em[ \t]+breve|vou|vamos|irei|iremos|se|queria|quero|sonho|espero|"
    r"talvez|passado|atrás|não|nunca|segundo|diz|disse|saudades?|polícia|nasci|nasceu|mora|"
    r"vive",
    "nl": r"morgen|volgende|binnenkort|ga|gaan|zal|zullen|als|zou|hoop|misschien|droom|vorig|"
    r"geleden|niet|nooit|volgens|zegt|zei|politie|geboren|woont|wonen",
}
_NEGATIVE = _PerLanguage(
    {lang: rf"(?i:(?<![\w'’])(?:{words})(?![\w]))" for lang, words in _NOT_PRESENT.items()}
)
_FUNCTION_WORDS: dict[str, set[str]] = {
    "en": {"the", "and", "is", "at", "in", "with", "my", "to", "of", "we", "i", "i'm", "just",
           "back", "for", "this", "our", "from", "it", "so", "on", "today", "here", "are"},
    "de": {"der", "die", "das", "und", "ist", "mit", "ich", "bin", "wir", "sind", "ein", "eine",
           "zurück", "heute", "endlich", "aus", "auf", "nach", "im", "wieder", "schön", "grüße",
           "war", "es", "gab", "einen", "mein", "meine", "vor", "guten", "wohnt", "am", "bei",
           "geboren", "aufgewachsen", "waren", "habe", "hat", "nicht", "auch", "noch"},
    "fr": {"le", "la", "les", "et", "est", "avec", "je", "suis", "nous", "à", "au", "une", "un",
           "de", "retour", "enfin", "du", "des", "sur", "très", "aujourd'hui", "c'est", "ici"},
    "es": {"el", "los", "las", "y", "es", "con", "estoy", "estamos", "en", "una", "un", "por",
           "vuelta", "hoy", "desde", "muy", "del", "que", "fin", "aquí", "llegamos", "qué", "la",
           "de", "noche", "mi", "hace", "nos"},
    "it": {"il", "lo", "gli", "e", "è", "con", "sono", "siamo", "una", "di", "nuovo", "oggi",
           "finalmente", "che", "della", "del", "da", "qui", "bella", "tornato", "tornata", "la",
           "ci", "mio", "mia", "sulle", "le", "fa", "i", "non"},
    "pt": {"o", "os", "as", "e", "é", "com", "estou", "em", "uma", "um", "de", "volta", "hoje",
           "no", "na", "do", "da", "que", "muito", "aqui", "cheguei", "direto", "beijos", "já",
           "minha", "meu", "para", "nos", "está"},
    "nl": {"de", "het", "en", "is", "met", "ik", "ben", "we", "zijn", "een", "terug", "vandaag",
           "eindelijk", "uit", "op", "naar", "weer", "lekker", "hier", "groeten", "nu", "mijn",
           "waren", "vorig", "jaar", "woont", "niet", "ook", "nog", "zus", "broer"},
}  # fmt: skip

# Names that follow a cue but are no places, or are towns only by accident of the gazetteer.
_NOT_PLACES = {
    # English and local function words, times of day, holidays
    "the", "a", "an", "i", "my", "our", "your", "this", "that", "last", "first", "least", "all",
    "noon", "midnight", "night", "dawn", "dusk", "morning", "afternoon", "evening", "weekend",
    "christmas", "xmas", "easter", "halloween", "thanksgiving", "ramadan", "diwali", "new year",
    "home", "work", "school", "church", "lunch", "dinner", "breakfast", "brunch", "love", "time",
    "times", "once", "today", "tomorrow", "tonight", "yesterday", "god", "jesus", "christ",
    "it", "me", "him", "her", "them", "us", "you", "mom", "dad", "mum", "grandma", "grandpa",
    # weekdays and months, several languages and their abbreviations
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
    "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "januar", "februar", "märz", "mai", "juni", "juli", "oktober",
    "dezember", "janvier", "février", "mars", "avril", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre", "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre", "gennaio", "febbraio",
    "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre", "dicembre", "janeiro",
    "fevereiro", "março", "maio", "junho", "julho", "setembro", "outubro", "dezembro",
    "januari", "februari", "maart", "mei", "augustus",
    # seasons
    "spring", "summer", "fall", "autumn", "winter", "frühling", "sommer", "herbst",
    "printemps", "été", "automne", "hiver", "primavera", "verano", "otoño", "invierno",
    "estate", "autunno", "inverno", "verão", "outono", "lente", "zomer", "herfst",
    # languages, nationalities, common nouns that happen to name towns
    "english", "french", "german", "spanish", "italian", "dutch", "portuguese", "chinese",
    "japanese", "american", "british", "european", "mexican", "canadian", "latin",
    "university", "college", "hospital", "airport", "office", "gym", "beach", "park", "mall",
    "town", "city", "downtown", "uptown", "centre", "center", "hotel", "bar", "pub", "cafe",
    "café", "restaurant", "library", "station", "the office", "class", "practice", "training",
    "bed", "dream", "heaven", "hell", "life", "real life", "person", "public", "general",
    # brands and services that some gazetteer lists as a town's other name
    "google", "apple", "amazon", "facebook", "twitter", "instagram", "youtube", "netflix",
    "microsoft", "starbucks", "walmart", "target", "costco", "ikea", "disney", "nike",
    "tesla", "uber", "spotify", "tiktok", "whatsapp", "linkedin", "reddit", "mcdonald's",
    "mcdonalds", "subway", "chipotle", "wendy's", "panera", "safeway", "kroger", "whole foods",
    "trader joe's", "home depot", "lowe's", "best buy", "cvs", "walgreens", "zara", "h&m",
    "lidl", "aldi", "rewe", "edeka", "carrefour", "mercadona", "primark", "boots", "tesco",
    "vodafone", "samsung", "sony", "nintendo", "xbox", "playstation", "steam", "twitch",
    "discord", "zoom", "slack", "github", "python", "java", "excel",
}  # fmt: skip
# English words that are also towns somewhere: in an English post they are the word.
_COMMON_EN = {
    "nice", "mobile", "reading", "best", "split", "bath", "battle", "hope", "liberty", "union",
    "independence", "progress", "victory", "unity", "paradise", "eden", "why", "what",
    "friendship", "harmony", "enterprise", "commerce", "industry", "opportunity", "justice",
    "essex", "buy", "sale", "come", "goes", "going", "dallas cowboys",
}  # fmt: skip
# The first word of a name that makes it an event or a time, not a place.
_NOT_PLACE_HEADS = {"spring", "summer", "fall", "autumn", "winter", "class", "season", "week",
                    "day", "team", "the office", "room", "gate", "terminal", "chapter", "level",
                    "episode", "part", "page", "game", "round", "stage", "vol"}  # fmt: skip
_HASHTAG_NOISE = {
    "love", "instagood", "photooftheday", "fashion", "beautiful", "happy", "cute", "tbt", "like",
    "follow", "me", "selfie", "summer", "art", "nature", "girl", "fun", "style", "food",
    "travel", "friends", "life", "family", "nofilter", "sunset", "fitness", "gym", "army",
    "military", "workout", "run", "running", "nice", "mobile", "reading", "home", "best",
    "usa", "merica", "america",
}  # fmt: skip
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<![\w(])@\w+")
_QUOTED = re.compile(r"\"[^\"\n]{3,}\"|“[^”\n]{3,}”|«[^»\n]{3,}»|„[^“”\n]{3,}[“”]")
_CLAUSE = re.compile(
    r"(?<!\b[A-Z])(?<!\bSt)(?<!\bMt)(?<!\bFt)(?<!\bDr)[.!?;…]+(?=\s|$)|\n+|\s[|•]\s|"
    r"\s(?:but|aber|mais|pero|ma|mas|maar)\s|[:,]\s(?=(?:but|and[ \t]+then|then)\b)"
)
_RESHARE = re.compile(r"^\s*(?:RT|MT)\s*@\w+|^\s*(?:RT|MT)\s*:", re.IGNORECASE)
_KIND_RANK = {"checkin": 0, "pin": 1, "presence": 2, "hashtag": 3}


def split_hashtag(tag: str) -> str:
    """ "FortBragg" -> "Fort Bragg", "new_york" -> "new york", "NYC" -> "NYC"."""
    spaced = tag.replace("_", " ")
    spaced = re.sub(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])", " ", spaced)
    return " ".join(spaced.split())


def posting_offset_h(post: Post) -> float | None:
    """The UTC offset (hours) the post was written in, when its source kept one (readers
    keep times in UTC and the written offset in `posted_offset_h`). Zero is not taken as
    a zone: many exports write UTC for everyone."""
    if post.posted_offset_h:
        return post.posted_offset_h
    moment = post.created_at.utcoffset() if post.created_at is not None else None
    return moment.total_seconds() / 3600.0 if moment else None


def is_reshare(post: Post) -> bool:
    """A retweet ("RT @..."), a quote post or anything the ingest marked as a reshare:
    its text is someone else's, so it places nobody."""
    extra = post.extra
    if extra.get("reshare") or extra.get("retweeted") or extra.get("is_quote_status"):
        return True
    return bool(post.text and _RESHARE.match(post.text))


def guess_language(text: str, *, confident: bool = False) -> str | None:
    """The language of `text` among en, de, fr, es, it, pt, nl by its function words
    (English when nothing stands out); enough to pick cue words, not a language detector.
    With `confident`, None unless two function words of the language were seen."""
    words = re.findall(r"[\w'’]+", text.casefold())
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}
    best = max(scores, key=lambda lang: (scores[lang], lang != "en"))
    if not scores[best] >= max(1, scores["en"]):
        best = "en"
    if confident and scores[best] < 2:
        return None
    return best


def _clean(name: str) -> str:
    name = name.strip(" \t,;:-–—()[]\"'’")
    if re.search(r"['’]s$", name.partition(",")[0]):
        return ""  # "at Dave's": someone's place, not a town
    return name.rstrip(".")


def _is_place_like(name: str, lang: str = "en") -> bool:
    key = name.casefold()
    head = key.split(",")[0].strip()
    first = head.split()[0] if head.split() else ""
    bare = re.sub(r"^(?:the|la|le|el)\s+", "", head)
    if bare in _NOT_PLACES or first in _NOT_PLACE_HEADS or (lang == "en" and bare in _COMMON_EN):
        return False
    return len(head) >= 3 and not head.isdigit()


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """`text` with each match replaced by spaces, so positions stay the same."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _CLAUSE.finditer(text):
        spans.append((start, match.end() if "?" in match.group(0) else match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def find_place_mentions(text: str | None) -> list[PlaceMention]:
    """Presence claims in `text`, strongest first (check-in, pin, cue, hashtag), then in
    order of appearance, without repeats; home phrases last."""
    if not text:
        return []
    lang = guess_language(text) or "en"
    # URLs, handles and quoted speech say nothing about the author; keep offsets stable.
    scrubbed = _blank(_blank(_blank(text, _URL), _QUOTED), _HANDLE)
    found: list[PlaceMention] = []
    taken: list[tuple[int, int]] = []
    negative = [_NEGATIVE[lang]] + ([_NEGATIVE["en"]] if lang != "en" else [])
    barred: list[tuple[int, int]] = []
    for start, end in _clauses(scrubbed):
        clause = scrubbed[start:end]
        if clause.rstrip().endswith("?") or any(p.search(clause) for p in negative):
            barred.append((start, end))
    if re.search(r"(?i)#(?:tbt|throwback\w*|fbf|flashback\w*|memories)\b", scrubbed):
        barred.append((0, len(scrubbed)))

    def add(name: str, kind: str, start: int, end: int) -> None:
        name = _clean(name)
        if kind == "checkin" and "," in name and not _is_place_like(name, lang):
            name = name.partition(",")[2].strip()  # "Starbucks, Boise, ID": the town stands
        if kind != "home" and not _is_place_like(name, lang):
            return
        if kind != "home" and any(s <= start < e for s, e in barred):
            return
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(PlaceMention(name, kind, start, end))

    for match in _CHECKIN.finditer(scrubbed):
        name = match["name"]
        where = match["where"] or match["qual"] or ""
        if where.strip():
            name = f"{name}, {where.strip(' ,')}"
        add(name, "checkin", match.start("name"), match.end())
    for match in _PIN.finditer(scrubbed):
        add(match["name"], "pin", match.start("name"), match.end("name"))
    presence = [_PRESENCE[lang]] + ([_PRESENCE["en"]] if lang != "en" else [])
    for pattern in presence:
        for match in pattern.finditer(scrubbed):
            name = match["name"] + (match["qual"] or "")
            add(name, "presence", match.start("name"), match.end("qual"))
    for match in _HASHTAG.finditer(scrubbed):
        tag = match["tag"]
        if tag.casefold() not in _HASHTAG_NOISE:
            add(split_hashtag(tag), "hashtag", match.start(), match.end())
    for match in _HOME.finditer(scrubbed):
        add(match.group(0), "home", match.start(), match.end())
    found.sort(key=lambda m: (_KIND_RANK.get(m.kind, 9), m.start))
    return found


class PlaceLookup(Protocol):
    """Anything with `lookup(name) -> GeocodeResult | None` (a geoleak.geocode.Geocoder);
    a protocol, so this stage does not import the geocoders. `candidates(name)` and
    `region_level(name)` are used when present."""

    def lookup(self, query: str, /) -> Any: ...


def _candidates(
    mention: PlaceMention, names_area: Callable[[str], bool] | None
) -> list[tuple[str, str]]:
    """Names to try for a claim, each with what may answer it ("any", "venue", "area"):
    "Venue, City, ST" tries the whole, the venue, then the city with its qualifiers. In
    "Town, Ontario" (all after the comma an area: `names_area`) the head alone may name a
    venue (the user's places) but not a town, which could be one of that name in another
    country; the area alone is a town of its name inside it ("Café Luna, Berlin") or else a
    region ("Smalltown, Ontario": not Ontario, California)."""
    names = [(mention.name, "any")]
    if "," in mention.name:
        head, _, tail = mention.name.partition(",")
        area = names_area is not None and names_area(tail)
        names += [
            (head.strip(), "venue" if area else "any"),
            (tail.strip(), "area" if area else "any"),
        ]
    if re.match(r"(?i)the\s", mention.name):
        names.append((mention.name[4:], "any"))
    head = mention.name.partition(",")[0]
    short = re.split(rf"\s+{_LINK}\s+", head, maxsplit=1)[0]
    if short != head:  # "Düsseldorf am Rhein" -> "Düsseldorf"
        names.append((short, "any"))
    return [(n, what) for n, what in names if n]


def _offset_h(tz_name: str | None, when: datetime | None) -> float | None:
    if not tz_name or when is None:
        return None
    from geoleak.extract.localtime import zone

    tz = zone(tz_name)
    offset = when.astimezone(tz).utcoffset() if tz is not None else None
    return None if offset is None else offset.total_seconds() / 3600.0


def _size(result: Any, language: str | None) -> float:
    size = float(getattr(result, "prominence", 0.0) or getattr(result, "population", 0) or 0)
    languages = tuple(getattr(result, "languages", ()) or ())
    return size * (LANGUAGE_AFFINITY if language and languages[:1] == (language,) else 1.0)


def _choose(
    results: list[Any], context: PlaceContext, when: datetime | None, language: str | None = None
) -> tuple[Any, str | None]:
    """The town among same-named `results` (best first) the context points to, or why none."""
    towns = [r for r in results if isinstance(getattr(r, "position", None), LatLon)]
    if not towns:
        return None, "unknown"
    if len(towns) == 1:
        return towns[0], None
    # The zone the post was written in is this post's own evidence: it goes first. The
    # person's other positions then pick among the towns left (a Texan's "Back in Paris"
    # written at +02:00 is in France; written at -05:00, or with no offset, in Texas).
    if context.utc_offset_h is not None:
        same = [
            t for t in towns
            if _offset_h(getattr(t, "timezone", None), when) == context.utc_offset_h
        ]  # fmt: skip
        if same:
            towns = same
            if len(towns) == 1:
                return towns[0], None
    if context.near:
        close = [
            t for t in towns if min(haversine_m(t.position, p) for p in context.near) <= NEAR_M
        ]
        if close:
            return close[0], None
    towns = sorted(towns, key=lambda t: -_size(t, language))
    first, second = towns[0], towns[1]
    size1, size2 = _size(first, language), _size(second, language)
    if (
        size1 > 0
        and size2 >= AMBIGUOUS_RATIO * size1
        and haversine_m(first.position, second.position) > AMBIGUOUS_APART_M
    ):
        return None, "ambiguous"
    return first, None


def resolve_claim(
    mention: PlaceMention,
    geocoder: PlaceLookup,
    *,
    context: PlaceContext | None = None,
    when: datetime | None = None,
    language: str | None = None,
    max_accuracy_m: float = MAX_ACCURACY_M,
) -> Resolution:
    """What `mention` names: a town or venue point, or why it gives none.

    `language` (ISO 639-1) is the post's, when known with some confidence: among towns of
    one name, those of a country speaking it count LANGUAGE_AFFINITY times their size.
    """
    context = context or PlaceContext()
    region_level = getattr(geocoder, "region_level", None)
    candidates = getattr(geocoder, "candidates", None)
    names_area = getattr(geocoder, "names_area", None)
    reason = "unknown"
    for name, what in _candidates(mention, names_area if callable(names_area) else None):
        level = region_level(name) if callable(region_level) else None
        if level is not None:
            return Resolution(name, level=level, reason="region")
        if callable(candidates):
            results = list(candidates(name))
        else:
            found = geocoder.lookup(name)
            results = [] if found is None else [found]
        if what == "venue":
            results = [r for r in results if getattr(r, "kind", "city") != "city"]
        if mention.kind == "hashtag":
            results = [
                r for r in results
                if getattr(r, "kind", "") != "city"
                or int(getattr(r, "population", 0) or 0) >= HASHTAG_MIN_POPULATION
            ]  # fmt: skip
        chosen, why = _choose(results, context, when, language)
        if chosen is None:
            if why == "ambiguous":
                reason = why
                break
            if what == "area":  # a province or state, and no town of its name
                return Resolution(name, level="region", reason="region")
            continue
        if what == "area" and callable(candidates):
            # an area alone stands for a town of its name inside it ("Berlin", "Quebec"),
            # not for one elsewhere ("Ontario": Ontario, California is no town of Ontario)
            inside = {r.position for r in candidates(f"{name}, {name}")}
            if chosen.position not in inside:
                return Resolution(name, level="region", reason="region")
        accuracy = float(getattr(chosen, "accuracy_m", 0.0) or 0.0)
        kind = str(getattr(chosen, "kind", "city"))
        if kind in ("admin", "country") or not 0 < accuracy <= max_accuracy_m:
            return Resolution(name, level="region", reason="too-coarse")
        return Resolution(name, result=chosen, level="venue" if kind != "city" else "town")
    return Resolution(mention.name, reason=reason)


def checkin_evidence(
    post: Post,
    geocoder: PlaceLookup,
    *,
    known: Sequence[Evidence] = (),
    context: PlaceContext | None = None,
    tz_lookup: Callable[[LatLon], str | None] = timezone_at,
    max_accuracy_m: float = MAX_ACCURACY_M,
) -> list[Evidence]:
    """CHECKIN evidence of the one place a post claims its author is at (text, or a
    platform place without coordinates); at most one piece.

    `known` is the evidence the post gave already (EXIF of its photos, geotag, place): a
    post located that way is not geocoded, but a home phrase in it ("Home sweet home")
    marks the strongest known position as home, with that observation's time.
    """
    if is_reshare(post):
        return []
    platform_position = post.geotag or (post.place.centre if post.place else None)
    mentions = find_place_mentions(post.text)

    def evidence(position: LatLon, accuracy_m: float, weight: float, label: str) -> Evidence:
        return observation(
            post, position, EvidenceSource.CHECKIN, accuracy_m=accuracy_m, weight=weight,
            text=label, tz_lookup=tz_lookup,
        )  # fmt: skip

    if known or platform_position is not None:
        home = next((m for m in mentions if m.kind == "home"), None)
        if home is None:
            return []
        label = f"[home '{home.name}'] {post.text}"
        if known:
            return [replace(known[0], source=EvidenceSource.CHECKIN, text=label,
                            weight=CHECKIN_WEIGHT["venue"])]  # fmt: skip
        if platform_position is not None and not platform_position.is_null_island:
            accuracy = post.geotag_accuracy_m or 50.0
            return [evidence(platform_position, accuracy, CHECKIN_WEIGHT["venue"], label)]
        return []
    claims = [m for m in mentions if m.kind != "home"]
    if post.place is not None and post.place.name:
        claims.insert(0, PlaceMention(post.place.name, "place", 0, 0))
    offset_h = posting_offset_h(post)
    if offset_h is not None:
        if context is None:
            context = PlaceContext(utc_offset_h=offset_h)
        elif context.utc_offset_h is None:
            context = replace(context, utc_offset_h=offset_h)
    language = guess_language(post.text, confident=True) if post.text else None
    for claim in claims:
        resolved = resolve_claim(
            claim, geocoder, context=context, when=post.created_at, language=language,
            max_accuracy_m=max_accuracy_m,
        )  # fmt: skip
        if resolved.result is None:
            continue  # a region ("Back in California") or an unclear name: a later claim may be a town
        result = resolved.result
        weight = CHECKIN_WEIGHT.get(str(getattr(result, "kind", "")), CHECKIN_WEIGHT["city"])
        label = f"[{claim.kind} '{resolved.name}' -> {getattr(result, 'name', resolved.name)}]"
        text = f"{label} {post.text}" if post.text else label
        return [evidence(result.position, float(result.accuracy_m), weight, text)]
    return []
