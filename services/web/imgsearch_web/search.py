"""Search: free text and/or filters in, ranked photos out, each with its score and the part that matched."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for

from imgsearch_web.actions import library, run_search

bp = Blueprint("search", __name__)

RESULTS_PER_PAGE = 24
SUGGESTED_LABELS = 8

# Filter parameters, in the order their chips are shown, and how a chip names each value.
FILTER_CHIPS = {
    "from": lambda v: f"from {v}",
    "to": lambda v: f"until {v}",
    "people": lambda v: "no people" if v == "0" else f"people: {v}",
    "text": lambda v: {"yes": "has text", "no": "no text"}.get(v.lower(), f"text: {v}"),
    "camera": lambda v: f"camera: {v}",
    "orientation": lambda v: v,
    "colour": lambda v: f"colour: {v}",
    "label": lambda v: f"label: {v}",
}


@dataclass(frozen=True)
class Chip:
    """A filter in force, shown as a chip with a link that searches again without it."""

    label: str
    remove_url: str
    kind: str


@bp.get("/search")
def results():
    query = " ".join(request.args.get("q", "").split())
    found = run_search(request.args, per_page=RESULTS_PER_PAGE)
    if not query and not found.filters.active:
        return render_template("search/results.html", query="", found=None), 400
    chips = filter_chips(found)
    suggestions = [] if found.results else library().repository.common_labels(SUGGESTED_LABELS)
    return render_template(
        "search/results.html", query=query, found=found, chips=chips, suggested_labels=suggestions
    )


def filter_chips(found) -> list[Chip]:
    """The chips for the date words read in the query and for each filter given."""
    args = {k: v for k, v in request.args.items() if k != "page" and v.strip()}
    chips = []
    parsed = found.parsed
    if parsed.dates is not None and parsed.date_words:
        rest = " ".join(parsed.text.replace(parsed.date_words, " ").split())
        without = ({"q": rest} if rest else {}) | {k: v for k, v in args.items() if k != "q"}
        chips.append(Chip(f"taken {parsed.dates.label}", _search_url(without), "date"))
    for name, label in FILTER_CHIPS.items():
        if name in args:
            without = {k: v for k, v in args.items() if k != name}
            chips.append(Chip(label(args[name]), _search_url(without), name))
    return chips


def _search_url(args: dict[str, str]) -> str:
    """The search for these arguments, or the gallery when nothing is left to search for."""
    if not any(k in args for k in ("q", *FILTER_CHIPS)):
        return url_for("gallery.index")
    return url_for("search.results", **args)
