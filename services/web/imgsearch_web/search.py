"""Search: free text in, ranked photos out, each with its score and the part that matched."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from imgsearch_web.actions import library

bp = Blueprint("search", __name__)

RESULTS_PER_PAGE = 24


@bp.get("/search")
def results():
    query = " ".join(request.args.get("q", "").split())
    if not query:
        page = render_template("search/results.html", query="", results=None)
        return page, 400
    found = library().search.search(query, limit=RESULTS_PER_PAGE)
    return render_template("search/results.html", query=query, results=found)
