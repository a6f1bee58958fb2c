"""Search: free text and/or filters in, ranked photos out, each with its score and the part that matched."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from imgsearch_web.actions import run_search

bp = Blueprint("search", __name__)

RESULTS_PER_PAGE = 24


@bp.get("/search")
def results():
    query = " ".join(request.args.get("q", "").split())
    found = run_search(request.args, per_page=RESULTS_PER_PAGE)
    if not query and not found.filters.active:
        return render_template("search/results.html", query="", found=None), 400
    return render_template("search/results.html", query=query, found=found)
