"""The gallery: every photo, newest first, a page at a time, each with its status."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from imgsearch_web.actions import library

bp = Blueprint("gallery", __name__)


@bp.get("/")
def index():
    lib = library()
    per_page = lib.settings.page_size
    total = lib.repository.count()
    pages = max(1, -(-total // per_page))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    images = lib.repository.list(offset=(page - 1) * per_page, limit=per_page)
    return render_template("gallery/index.html", images=images, page=page, pages=pages, total=total)
