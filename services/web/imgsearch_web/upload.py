"""The upload page: many photos at once, through the app (local) or straight to S3 (cloud)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from imgsearch_web import FILES_PER_REQUEST
from imgsearch_web.actions import accept_files, settings

bp = Blueprint("upload", __name__)

MAX_FLASHED_ERRORS = 10  # the flash messages travel in the session cookie


@bp.get("/upload")
def form():
    conf = settings()
    return render_template(
        "upload/form.html",
        cloud=conf.storage == "s3",
        per_request=FILES_PER_REQUEST,
        max_mb=conf.max_upload_mb,
    )


@bp.post("/upload")
def submit():
    outcomes = accept_files(request.files.getlist("files"))
    if not outcomes:
        flash("Choose at least one photo to upload.", "error")
        return redirect(url_for("upload.form"))
    accepted = [o for o in outcomes if o.accepted]
    new = sum(o.created for o in accepted)
    again = len(accepted) - new
    if new:
        flash(f"{new} photo{'s' if new != 1 else ''} added.", "success")
    if again:
        flash(f"{again} {'was' if again == 1 else 'were'} already in your library.", "success")
    rejected = [o for o in outcomes if not o.accepted]
    for outcome in rejected[:MAX_FLASHED_ERRORS]:
        flash(f"{outcome.filename}: {outcome.error}", "error")
    if len(rejected) > MAX_FLASHED_ERRORS:
        flash(f"…and {len(rejected) - MAX_FLASHED_ERRORS} more files were refused.", "error")
    return redirect(url_for("gallery.index") if accepted else url_for("upload.form"))
