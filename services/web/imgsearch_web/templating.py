"""Template filters: search-term highlighting (escaped first), sizes and dates for people."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from flask import Flask

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


def register(app: Flask) -> None:
    app.add_template_global(thumbnail_src, "thumbnail_src")
    app.add_template_filter(highlight, "highlight")
    app.add_template_filter(filesize, "filesize")
    app.add_template_filter(when, "when")
