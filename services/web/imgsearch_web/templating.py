"""Template helpers: search-term highlighting (escaped first), sizes and dates for people, a photo's
shape and words for its alt text and status, the gallery's months."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from collections.abc import Iterable

    from flask import Flask

    from imgsearch.models import ImageRecord

# Words too common to be worth marking in a snippet.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "the",
        "to",
        "was",
        "with",
    ]
)


def highlight(text: str | None, query: str | None) -> Markup:
    """The text, escaped, with each word that starts with a query word (or its singular) in <mark>."""
    text = text or ""
    words = {_stem(w) for w in re.findall(r"\w+", (query or "").lower()) if len(w) > 1 and w not in STOPWORDS}
    if not words:
        return escape(text)
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\w*",
        re.IGNORECASE,
    )
    out: list[Markup] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>{}</mark>").format(match.group(0)))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def filesize(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""  # pragma: no cover


def when(value: datetime | str | None) -> str:
    """A date and time as people write it: 26 Nov 2026, 14:05."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    text = f"{value.day} {value.strftime('%b %Y, %H:%M')}"
    if value.tzinfo is not None:  # our own timestamps are UTC; camera clocks have no zone
        text += " UTC"
    return text


PAGE_URL_EXPIRY_S = 3600


def thumbnail_src(image) -> str:
    """Where a page loads a thumbnail from: a presigned S3 URL (no round trip through the app), or
    the app's own route for local storage."""
    from flask import current_app, url_for

    storage = current_app.extensions["imgsearch"].storage
    url = storage.url(image.thumbnail_key, expiry_s=PAGE_URL_EXPIRY_S, content_type="image/jpeg")
    return url or url_for("images.thumbnail", image_id=image.id)


# The justified grid sizes each photo by its aspect ratio with a class (inline styles are refused by
# the Content-Security-Policy): 33 steps of 2^(1/8) from 1:4 to 4:1, within 4.5% of any ratio
# (object-fit: cover trims the rest). style.css defines .ar0 to .ar32; app.js sets the exact ratio.
ASPECT_STEPS_PER_DOUBLING = 8
ASPECT_STEPS = 16  # either side of square


def aspect_class(image: ImageRecord) -> str:
    """The grid class for a photo's shape: ar16 is square, ar0 is 1:4 (tall), ar32 is 4:1 (wide)."""
    if not image.width or not image.height:
        return f"ar{ASPECT_STEPS}"
    step = round(ASPECT_STEPS_PER_DOUBLING * math.log2(image.width / image.height))
    return f"ar{min(max(step, -ASPECT_STEPS), ASPECT_STEPS) + ASPECT_STEPS}"


ALT_TEXT_CHARS = 160


def alt_text(image: ImageRecord) -> str:
    """What a photo shows, for people who cannot see it: its description's first sentence, else its name."""
    first = next((line.strip() for line in (image.description or "").splitlines() if line.strip()), "")
    if not first:
        return image.filename
    if len(first) > ALT_TEXT_CHARS:
        first = first[: ALT_TEXT_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return first[:1].upper() + first[1:]


STATUS_WORDS = {
    "pending": "waiting to be described",
    "processing": "being described…",
    "indexed": "ready to search",
    "failed": "failed",
}


def status_words(status) -> str:
    """A status as the pages say it."""
    value = getattr(status, "value", status)
    return STATUS_WORDS.get(value, value)


@dataclass
class Month:
    """The gallery's photos taken (or, failing that, added) in one month."""

    key: str  # "2024-03"
    label: str  # "March 2024"
    images: list[ImageRecord] = field(default_factory=list)


def by_month(images: Iterable[ImageRecord]) -> list[Month]:
    """Photos (already newest first) in runs of one month each, by date taken, else date added."""
    months: list[Month] = []
    for image in images:
        when = image.taken_at or image.created_at
        key = f"{when:%Y-%m}" if when else "undated"
        if not months or months[-1].key != key:
            months.append(Month(key, f"{when:%B %Y}" if when else "No date"))
        months[-1].images.append(image)
    return months


def register(app: Flask) -> None:
    app.add_template_global(thumbnail_src, "thumbnail_src")
    app.add_template_global(by_month, "by_month")
    app.add_template_filter(aspect_class, "aspect_class")
    app.add_template_filter(alt_text, "alt_text")
    app.add_template_filter(status_words, "status_words")
    app.add_template_filter(highlight, "highlight")
    app.add_template_filter(filesize, "filesize")
    app.add_template_filter(when, "when")
