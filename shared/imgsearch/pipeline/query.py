"""Reading a search query: quoted phrases, keywords, and the date words that become a filter.

"beach 2023" searches for "beach" among photos taken in 2023; "photos from May 2021", "last summer",
"christmas 2021", "at night" and "in the early morning" become date or time-of-day filters that the
UI shows as a removable chip. Everything here is plain text handling, with no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from imgsearch.models import ORIENTATIONS, DateFilter, SearchFilters
from imgsearch.pipeline.dates import holiday_words, month_range, take_dates, year_range

MAX_QUERY_CHARS = 500

# Words that carry no meaning for keyword matching (they match almost every description).
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "for",
        "from",
        "had",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "some",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "this",
        "those",
        "to",
        "was",
        "were",
        "which",
        "with",
        "without",
        "me",
        "my",
        "our",
        "us",
        "we",
        "i",
        "you",
        "your",
        "show",
        "find",
        "search",
        "all",
        "photo",
        "photos",
        "picture",
        "pictures",
        "pic",
        "pics",
        "image",
        "images",
        "shot",
        "shots",
        "snap",
        "snaps",
        "one",
        "taken",
        "where",
        "who",
        "what",
        "when",
    ]
)


@dataclass(frozen=True)
class ParsedQuery:
    """What a query asks for."""

    text: str  # the query as typed, tidied
    semantic: str  # what the embedding should see: the text without the date words and quotes
    terms: tuple[tuple[str, ...], ...]  # keyword terms; a term of several tokens must match adjacently
    phrases: tuple[tuple[str, ...], ...] = ()  # quoted phrases, which results must contain
    dates: DateFilter | None = None
    date_words: str = ""  # the words that became the date filter, as typed
    required: tuple[int, ...] = ()  # indices of the terms a result must hold (codes, see is_code)
    date_only: bool = False  # the text left is only a holiday's name: the date filter is the answer

    @property
    def has_text(self) -> bool:
        """Whether anything is left to match once the date words are taken out."""
        return bool(self.terms or self.phrases or self.semantic)

    def without_dates(self) -> ParsedQuery:
        return replace(self, dates=None, date_words="")


def parse_query(text: str, today: date | None = None) -> ParsedQuery:
    """Split a query into phrases, keyword terms and a date filter (relative words count from today)."""
    today = today or date.today()
    text = " ".join((text or "").split())[:MAX_QUERY_CHARS]
    phrases = tuple(p for p in (tokens(m) for m in re.findall(r'"([^"]+)"', text)) if p)
    unquoted = re.sub(r'"[^"]*"', " ", text)
    rest, dates, date_words = take_dates(unquoted, today)
    words = [w for w in rest.split() if w]
    terms: list[tuple[str, ...]] = []
    required: list[int] = []
    for word in words:
        parts = tokens(re.sub(r"['’]s\b", "", word))  # "chemist's" is "chemist"
        if not parts or (len(parts) == 1 and parts[0] in STOPWORDS):
            continue
        if parts not in terms:
            terms.append(parts)
            if is_code(word, parts):
                required.append(len(terms) - 1)
    semantic_words = [w for w in words if tokens(w)]
    semantic = " ".join(semantic_words + [" ".join(p) for p in phrases]).strip()
    if not terms and not phrases:
        semantic = ""  # only stopwords left ("photos from"): a filter-only search
    # "christmas 2021" keeps "christmas" to rank by, but the date is what it asks for.
    date_only = bool(dates) and not phrases and rest.strip().lower() in holiday_words(date_words)
    return ParsedQuery(text, semantic, tuple(terms), phrases, dates, date_words, tuple(required), date_only)


def is_code(word: str, parts: tuple[str, ...]) -> bool:
    """Whether a query word is a code or a name written as one: it has a digit ("0x80070005", "e5",
    "bay 47"'s "47") or joins words with underscores ("err_name_not_resolved"). A photo must hold
    such a word as written to answer the query; nothing else is like it."""
    return any(ch.isdigit() for ch in word) or ("_" in word and len(parts) > 1)


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens the way the full-text index splits them (letters and digits)."""
    return tuple(t.lower() for t in re.findall(r"[^\W_]+", text))


# ---------------------------------------------------------------- filters from a form or the CLI

FILTER_NAMES = ("from", "to", "camera", "text", "people", "orientation", "colour", "label")


class FilterError(ValueError):
    """A filter's value cannot be understood; the message says what would be."""


def parse_filters(params: Mapping[str, str | None]) -> SearchFilters:
    """Filters from request parameters or CLI options (any missing or empty one is no filter).

    from / to: a year, a month (2023-05) or a day (2023-05-14), inclusive; camera: part of the
    camera's name; text: yes or no (visible text); people: 0, 2, 3+ or 2-4; orientation:
    landscape, portrait or square; colour: a basic colour; label: a word the describer gave.
    """
    get = {name: (params.get(name) or "").strip() for name in FILTER_NAMES}
    dates = None
    if get["from"] or get["to"]:
        start = _date_bound(get["from"], "from", end=False) if get["from"] else None
        end = _date_bound(get["to"], "to", end=True) if get["to"] else None
        if start and end and end <= start:
            raise FilterError("the date range ends before it starts")
        label = " – ".join(part for part in (get["from"], get["to"]) if part)
        if not get["to"]:
            label = f"since {get['from']}"
        elif not get["from"]:
            label = f"until {get['to']}"
        dates = DateFilter(label, start, end)
    has_text = None
    if get["text"]:
        lowered = get["text"].lower()
        if lowered not in ("yes", "no", "true", "false", "1", "0", "on", "off"):
            raise FilterError("text must be yes or no")
        has_text = lowered in ("yes", "true", "1", "on")
    people_min = people_max = None
    if get["people"]:
        match = re.fullmatch(r"(\d{1,3})(\+|-(\d{1,3}))?", get["people"].replace(" ", ""))
        if not match:
            raise FilterError("people must be a number (2), at least a number (3+) or a range (2-4)")
        people_min = int(match.group(1))
        people_max = None if match.group(2) == "+" else int(match.group(3) or match.group(1))
        if people_max is not None and people_max < people_min:
            raise FilterError("the people range ends before it starts")
    orientation = get["orientation"].lower() or None
    if orientation and orientation not in ORIENTATIONS:
        raise FilterError(f"orientation must be one of: {', '.join(ORIENTATIONS)}")
    colour = get["colour"].lower() or None
    return SearchFilters(
        dates=dates,
        camera=get["camera"][:128] or None,
        has_text=has_text,
        people_min=people_min,
        people_max=people_max,
        orientation=orientation,
        colour=colour[:32] if colour else None,
        label=get["label"].lower()[:64] or None,
    )


def _date_bound(text: str, name: str, end: bool) -> datetime:
    """The first moment of a year, month or day (end: the first moment after it)."""
    match = re.fullmatch(r"((?:19|20)\d{2})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text)
    if not match:
        raise FilterError(f"{name} must be a year (2023), a month (2023-05) or a day (2023-05-14)")
    year, month, day = int(match.group(1)), match.group(2), match.group(3)
    try:
        if day:
            moment = datetime(year, int(month), int(day))
            return moment + timedelta(days=1) if end else moment
        if month:
            start, stop = month_range(year, int(month))
            return stop if end else start
    except ValueError:
        raise FilterError(f"{name}: {text} is not a date") from None
    start, stop = year_range(year)
    return stop if end else start
