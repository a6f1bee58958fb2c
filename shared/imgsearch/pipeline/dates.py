"""Date words in a query: "2023", "May 2021", "last summer", "christmas 2021", "at night".

take_dates() finds them, takes them out of the text and makes one DateFilter of them (relative words
count from the day given). Plain text handling, with no I/O.
"""

from __future__ import annotations

import calendar
import re
import string
from datetime import date, datetime, timedelta

from imgsearch.models import DateFilter

MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 2)}
# Hours are [start, end) on the 24-hour clock; night wraps past midnight.
TIMES_OF_DAY = {
    "early morning": (5, 9),
    "morning": (5, 12),
    "afternoon": (12, 17),
    "evening": (17, 21),
    # Dark for much of the year from 7 pm to 6 am, and people say "at night" of a photo taken after
    # dark, not only of one taken after bedtime: the periods overlap (evening) on purpose.
    "night": (19, 6),
    "nighttime": (19, 6),
}
# Holidays with a year: the days around them people mean ("christmas 2021").
HOLIDAYS = {
    "christmas": ((12, 1), (12, 31)),
    "xmas": ((12, 1), (12, 31)),
    "christmas eve": ((12, 24), (12, 24)),
    "new year's eve": ((12, 31), (1, 1)),  # the night runs into the new year
    "new years eve": ((12, 31), (1, 1)),
    "halloween": ((10, 24), (11, 1)),
    "valentine's day": ((2, 14), (2, 14)),
    "valentines day": ((2, 14), (2, 14)),
}
# A number after one of these words is a number, not a year ("ticket 2019", "room 2023").
NOT_A_YEAR_AFTER = frozenset(
    [
        "no",
        "number",
        "#",
        "ticket",
        "room",
        "bay",
        "gate",
        "flight",
        "error",
        "code",
        "order",
        "platform",
        "seat",
        "row",
        "table",
        "bus",
        "route",
        "pin",
    ]
)

_YEAR = r"(?:19|20)\d{2}"
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_SEASON = "|".join(SEASONS)
_HOLIDAY = "|".join(re.escape(h) for h in sorted(HOLIDAYS, key=len, reverse=True))
_INTRO = r"(?:(?:taken|shot)\s+)?(?:(?:in|from|during|on|of)\s+)?(?:the\s+)?"


def take_dates(text: str, today: date) -> tuple[str, DateFilter | None, str]:
    """The text with its date words removed, the filter they make, and those words."""
    found: list[tuple[str, DateFilter]] = []
    remaining = text
    for matcher in _MATCHERS:
        while True:
            match, made = matcher(remaining, today)
            if match is None:
                break
            found.append((match.group(0).strip(), made))
            # A holiday's name also says what the photo shows ("christmas 2021"): it stays in the text.
            kept = match.group(matcher.keeps) if matcher.keeps else ""
            remaining = f"{remaining[: match.start()]} {kept} {remaining[match.end() :]}".strip()
    if not found:
        return text, None, ""
    combined = found[0][1]
    for _, other in found[1:]:
        combined = _intersect(combined, other)
    words = " ".join(w for w, _ in found)
    return " ".join(remaining.split()), combined, words


def _intersect(a: DateFilter, b: DateFilter) -> DateFilter:
    start = max((d for d in (a.start, b.start) if d), default=None)
    end = min((d for d in (a.end, b.end) if d), default=None)
    months = tuple(m for m in a.months if m in b.months) if a.months and b.months else a.months or b.months
    return DateFilter(f"{a.label}, {b.label}", start, end, months, a.hours or b.hours)


def year_range(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1), datetime(year + 1, 1, 1)


def month_range(year: int, month: int) -> tuple[datetime, datetime]:
    end = datetime(year + 1, 1, 1) if month == 12 else datetime(year, month + 1, 1)
    return datetime(year, month, 1), end


def _season_range(name: str, year: int) -> tuple[datetime, datetime]:
    first, last = SEASONS[name]
    if first > last:  # winter: December of that year into February of the next
        return datetime(year, first, 1), datetime(year + 1, last + 1, 1)
    return datetime(year, first, 1), month_range(year, last)[1]


def _is_year(text: str, match: re.Match, today: date) -> bool:
    year = int(match.group("year"))
    before = text[: match.start("year")].split()
    return year <= today.year + 1 and not (before and before[-1].lower().strip(".:") in NOT_A_YEAR_AFTER)


def _find(pattern: str, keeps: str | None = None):
    """A date matcher: the first match of pattern that build() makes a filter of.

    keeps names a group whose words stay in the query text after the match is taken out.
    """
    compiled = re.compile(pattern, re.IGNORECASE)

    def decorate(build):
        def matcher(text: str, today: date):
            for match in compiled.finditer(text):
                made = build(match, today, text)
                if made is not None:
                    return match, made
            return None, None

        matcher.keeps = keeps
        return matcher

    return decorate


@_find(rf"\b{_INTRO}(?P<holiday>{_HOLIDAY})\s+(?P<year>{_YEAR})\b", keeps="holiday")
def _holiday_year(match, today, text):
    if not _is_year(text, match, today):
        return None
    year = int(match.group("year"))
    (m1, d1), (m2, d2) = HOLIDAYS[match.group("holiday").lower()]
    start = datetime(year, m1, d1)
    end = datetime(year + (1 if m2 < m1 else 0), m2, d2) + timedelta(days=1)
    return DateFilter(f"{string.capwords(match.group('holiday'))} {year}", start, end)


@_find(rf"\b{_INTRO}(?P<season>{_SEASON})\s+(?:of\s+)?(?P<year>{_YEAR})\b")
def _season_year(match, today, text):
    if not _is_year(text, match, today):
        return None
    season, year = match.group("season").lower(), int(match.group("year"))
    start, end = _season_range(season, year)
    return DateFilter(f"{season} {year}", start, end)


@_find(rf"\b{_INTRO}(?P<which>last|this|past)\s+(?P<season>{_SEASON})\b")
def _relative_season(match, today, text):
    season, which = match.group("season").lower(), match.group("which").lower()
    year = today.year
    start, end = _season_range(season, year)
    if season == "winter" and today.month <= 2:
        start, end = _season_range(season, year - 1)  # January: "this winter" began last December
    if which in ("last", "past") and end.date() > today:
        start, end = _season_range(season, start.year - 1)
    return DateFilter(f"{which} {season}", start, end)


@_find(rf"\b{_INTRO}(?P<month>{_MONTH})\.?\s+(?:of\s+)?(?P<year>{_YEAR})\b")
def _month_year(match, today, text):
    if not _is_year(text, match, today):
        return None
    month, year = MONTHS[match.group("month").lower()], int(match.group("year"))
    start, end = month_range(year, month)
    return DateFilter(f"{calendar.month_name[month]} {year}", start, end)


@_find(rf"\b(?:between\s+|from\s+)?(?P<year>{_YEAR})\s*(?:-|–|to|until|and)\s*(?P<year2>{_YEAR})\b")
def _year_span(match, today, text):
    first, last = sorted((int(match.group("year")), int(match.group("year2"))))
    if not _is_year(text, match, today):
        return None
    return DateFilter(f"{first}–{last}", datetime(first, 1, 1), datetime(last + 1, 1, 1))


@_find(rf"\b(?P<how>since|after|before)\s+(?P<year>{_YEAR})\b")
def _open_year(match, today, text):
    if not _is_year(text, match, today):
        return None
    how, year = match.group("how").lower(), int(match.group("year"))
    if how == "since":
        return DateFilter(f"since {year}", start=datetime(year, 1, 1))
    if how == "after":
        return DateFilter(f"after {year}", start=datetime(year + 1, 1, 1))
    return DateFilter(f"before {year}", end=datetime(year, 1, 1))


@_find(rf"\b{_INTRO}(?P<year>{_YEAR})\b")
def _year(match, today, text):
    if not _is_year(text, match, today):
        return None
    year = int(match.group("year"))
    start, end = year_range(year)
    return DateFilter(str(year), start, end)


@_find(r"\b(?P<which>this|last|past)\s+(?P<unit>year|month|week)\b")
def _relative_unit(match, today, text):
    which, unit = match.group("which").lower(), match.group("unit").lower()
    if unit == "year":
        year = today.year - (0 if which == "this" else 1)
        start, end = year_range(year)
    elif unit == "month":
        year, month = today.year, today.month
        if which != "this":
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        start, end = month_range(year, month)
    else:
        monday = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time())
        start = monday if which == "this" else monday - timedelta(days=7)
        end = start + timedelta(days=7)
    return DateFilter(f"{which} {unit}", start, end)


@_find(r"\b(?P<when>today|yesterday)\b")
def _day(match, today, text):
    day = today if match.group("when").lower() == "today" else today - timedelta(days=1)
    start = datetime.combine(day, datetime.min.time())
    return DateFilter(match.group("when").lower(), start, start + timedelta(days=1))


@_find(r"\b(?P<n>\d{1,2}|a|one|two|three|four|five|six|seven|eight|nine|ten)\s+years?\s+ago\b")
def _years_ago(match, today, text):
    words = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
    words.update({"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10})
    raw = match.group("n").lower()
    year = today.year - (int(raw) if raw.isdigit() else words[raw])
    start, end = year_range(year)
    return DateFilter(match.group(0).lower(), start, end)


@_find(rf"\b{_INTRO}(?P<month>{_MONTH})\b(?!\s*\d)")
def _month_any_year(match, today, text):
    # Month names are also words ("may", "march", "august"): only with an intro ("in May", "from
    # March") or as the whole query.
    introduced = re.match(r"(?:taken|shot|in|from|during|of)\b", match.group(0).strip(), re.IGNORECASE)
    if not introduced and text.strip().lower() != match.group("month").lower():
        return None
    month = MONTHS[match.group("month").lower()]
    return DateFilter(f"in {calendar.month_name[month]}", months=(month,))


@_find(rf"\b(?:in|during)\s+(?:the\s+)?(?P<season>{_SEASON})\b|\b(?P<season2>{_SEASON})time\b")
def _season_any_year(match, today, text):
    season = (match.group("season") or match.group("season2")).lower()
    first, last = SEASONS[season]
    months = tuple(range(first, last + 1)) if first < last else (12, 1, 2)
    return DateFilter(f"in {season}", months=months)


@_find(
    r"\b(?:(?:taken|shot)\s+)?(?:at|in the|during the|late at|early in the)\s+"
    r"(?P<part>early morning|morning|afternoon|evening|night|nighttime)\b"
    r"|\b(?P<part2>at night|nighttime|by night)\b"
)
def _time_of_day(match, today, text):
    part = (match.group("part") or match.group("part2") or "").lower().replace("at ", "").replace("by ", "")
    if match.group(0).lower().strip().startswith("early in the"):
        part = "early morning"
    hours = TIMES_OF_DAY.get(part, TIMES_OF_DAY["night"])
    label = "at night" if part in ("night", "nighttime") else f"in the {part}"
    return DateFilter(label, hours=hours)


# Most specific first: "christmas 2021" before "2021", "May 2021" before "May".
_MATCHERS = [
    _holiday_year,
    _season_year,
    _relative_season,
    _month_year,
    _year_span,
    _open_year,
    _year,
    _relative_unit,
    _day,
    _years_ago,
    _month_any_year,
    _season_any_year,
    _time_of_day,
]


def holiday_words(date_words: str) -> set[str]:
    """The holidays named among a query's date words."""
    lowered = date_words.lower()
    return {h for h in HOLIDAYS if h in lowered}
