"""The gallery: every photo, newest taken first, grouped by month, a page at a time; and, for a first
run, the sample photos."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from imgsearch.models import Status
from imgsearch_web.actions import add_samples, library, settings

bp = Blueprint("gallery", __name__)


@bp.get("/")
def index():
    lib = library()
    repo = lib.repository
    per_page = lib.settings.page_size
    total = repo.count()
    pages = max(1, -(-total // per_page))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    images = repo.list(offset=(page - 1) * per_page, limit=per_page, by_date_taken=True)
    counts = {s.value: repo.count(s) for s in (Status.PENDING, Status.PROCESSING, Status.FAILED)}
    first_run = None if total else first_run_facts()
    return render_template(
        "gallery/index.html",
        images=images,
        page=page,
        pages=pages,
        total=total,
        counts=counts,
        first_run=first_run,
    )


@bp.post("/samples")
def samples():
    """Add the installed sample photos to the library (they are described like any upload)."""
    if settings().storage != "local":
        abort(409, description="Sample photos can only be added to a library on this machine.")
    outcomes = add_samples()
    if not outcomes:
        abort(404, description="No sample photos are installed here (they come with scikit-image).")
    added = sum(o.created for o in outcomes)
    again = sum(o.accepted and not o.created for o in outcomes)
    note = f" ({again} already in your library)" if again else ""
    flash(f"{added} sample photo{'' if added == 1 else 's'} added{note}: being described now.", "success")
    return redirect(url_for("gallery.index"))


def first_run_facts() -> dict:
    """What the empty gallery tells a newcomer: how photos are described here, and the sample set."""
    from imgsearch.samples import INSTALL_HINT, sample_photos

    conf = settings()
    # Only the local describer is asked what it can use; a cloud one is not built for a page.
    ocr = getattr(library().describer, "ocr", None) if conf.describer == "local" else None
    return {
        "describer": conf.describer,
        "recognition": conf.recognition and conf.describer == "local",
        "faces": conf.faces and conf.describer == "local",
        "ocr": bool(ocr is not None and ocr.available),
        "model": conf.openai_model or conf.bedrock_describer_model,
        "samples": sample_photos() if conf.storage == "local" else [],
        "install_hint": INSTALL_HINT,
        "cloud": conf.storage != "local",
    }
