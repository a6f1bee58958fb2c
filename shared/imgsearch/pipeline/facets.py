"""Facets: what search filters on, read from what the describer and the file said of a photo.

Every describer stores its findings in the image's details in its own shape (the local describer a
face count and classifier labels with scores, a vision model the numbers and lists its JSON reply
held); this module turns either into the same few facts: people, visible text, camera, labels and
basic colour names.
"""

from __future__ import annotations

import re
from typing import Any

from imgsearch.models import ImageRecord

MAX_LABELS = 24
LABEL_MIN_SCORE = 0.15  # the local describer's MIN_CLASS: a class it would name in the caption
MAX_LABEL_CHARS = 64
# Basic colour terms (the 11 of Berlin and Kay): what a colour filter offers.
BASIC_COLOURS = (
    "black",
    "white",
    "grey",
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
)
_COLOUR_WORDS = {
    "gray": "grey",
    "navy": "blue",
    "teal": "blue",
    "turquoise": "blue",
    "cyan": "blue",
    "beige": "brown",
    "tan": "brown",
    "olive": "green",
    "lime": "green",
    "violet": "purple",
    "lavender": "purple",
    "magenta": "pink",
    "maroon": "red",
    "crimson": "red",
    "gold": "yellow",
    "golden": "yellow",
    "silver": "grey",
    "cream": "white",
    "ivory": "white",
}


def apply_facets(record: ImageRecord) -> ImageRecord:
    """Set the record's filterable facts from its details (after it was described); returns it."""
    details = record.details or {}
    record.camera = camera_of(details)
    record.people = people_of(details)
    record.has_text = bool(str(details.get("text") or "").strip())
    record.labels = labels_of(details)
    record.colours = colours_of(details)
    return record


def camera_of(details: dict[str, Any]) -> str | None:
    camera = " ".join(str(p) for p in (details.get("camera_make"), details.get("camera_model")) if p)
    return camera[:128] or None


def people_of(details: dict[str, Any]) -> int | None:
    """How many people the describer saw; None when it could not tell (no detector, no model answer)."""
    people = details.get("people")
    if isinstance(people, dict):
        people = people.get("count")
    if isinstance(people, bool) or people is None:
        return None
    try:
        count = int(people)
    except (TypeError, ValueError):
        return None
    return count if 0 <= count <= 10_000 else None


def labels_of(details: dict[str, Any]) -> list[str]:
    """Everyday words for what the photo shows, most certain first, without repeats."""
    found: list[str] = []
    for item in details.get("terms") or []:  # the local describer's everyday terms, with scores
        found.append(item.get("term") if isinstance(item, dict) else item)
    for item in details.get("labels") or []:
        if isinstance(item, dict):
            # The local describer keeps every candidate class with its score (down to 1%); only
            # those it names in the caption are labels to filter and search by.
            if float(item.get("score") or 0.0) >= LABEL_MIN_SCORE:
                found.append(item.get("name"))
        else:
            found.append(item)
    out: list[str] = []
    for label in found:
        if not isinstance(label, str):
            continue
        clean = re.sub(r"\s+", " ", label).strip().lower()[:MAX_LABEL_CHARS]
        if clean and clean not in out:
            out.append(clean)
    return out[:MAX_LABELS]


def colours_of(details: dict[str, Any]) -> list[str]:
    """The photo's main colours as basic colour terms, largest first."""
    named: list[str] = []
    palette = details.get("palette")
    if isinstance(palette, list) and palette:
        named = [c.get("basic") or c.get("name") for c in palette if isinstance(c, dict)]
    else:
        named = [c for c in details.get("colours") or [] if isinstance(c, str)]
    out: list[str] = []
    for name in named:
        basic = basic_colour(name or "")
        if basic and basic not in out:
            out.append(basic)
    return out


def basic_colour(name: str) -> str | None:
    """The basic colour term a colour name belongs to ("navy blue" -> blue, "golden" -> yellow)."""
    words = re.findall(r"[a-z]+", name.lower())
    for word in reversed(words):  # the head noun is last: "light blue", "olive green"
        if word in BASIC_COLOURS:
            return word
        if word in _COLOUR_WORDS:
            return _COLOUR_WORDS[word]
    return None
