"""One photo: its description and metadata, its files, and retry and delete."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for

from imgsearch.errors import NotFound
from imgsearch.models import Status
from imgsearch_web.actions import image_or_404, library, no_such_image, redescribe_image, retry_image

bp = Blueprint("images", __name__, url_prefix="/images")

# An id names one photo's bytes for ever, so browsers may keep them.
CACHE_FOREVER = "private, max-age=31536000, immutable"


SIMILAR_ON_PAGE = 8


@bp.get("/<image_id>")
def detail(image_id: str):
    image = image_or_404(image_id)
    search = library().search
    similar = search.similar(image.id, limit=SIMILAR_ON_PAGE) if image.searchable else []
    duplicates = search.duplicates_of(image)
    return render_template("images/detail.html", image=image, similar=similar, duplicates=duplicates)


@bp.get("/<image_id>/thumbnail")
def thumbnail(image_id: str):
    image = image_or_404(image_id)
    if not image.thumbnail_key:
        abort(404, description="This photo has no thumbnail yet.")
    return _serve(image.thumbnail_key, "image/jpeg", None, etag=f"{image.id}-thumbnail")


@bp.get("/<image_id>/original")
def original(image_id: str):
    image = image_or_404(image_id)
    return _serve(image.storage_key, image.content_type, image.filename, etag=f"{image.id}-original")


@bp.post("/<image_id>/retry")
def retry(image_id: str):
    image = retry_image(image_id)
    if image.status == Status.FAILED:
        flash(f"{image.filename} failed again: {image.error}", "error")
    else:
        flash(f"{image.filename}: {'processing again' if image.status == Status.PENDING else 'indexed'}.")
    return redirect(url_for("images.detail", image_id=image.id))


@bp.post("/<image_id>/redescribe")
def redescribe(image_id: str):
    image = redescribe_image(image_id)
    if image.status == Status.PENDING:
        flash(f"Describing {image.filename} again…")
    elif image.error:
        flash(f"{image.filename}: {image.error}", "error")
    else:
        flash(f"{image.filename} was described again.", "success")
    return redirect(url_for("images.detail", image_id=image.id))


@bp.post("/<image_id>/delete")
def delete(image_id: str):
    try:
        image = library().ingest.delete(image_id)
    except NotFound:
        no_such_image(image_id)
    flash(f"Deleted {image.filename}.", "success")
    return redirect(url_for("gallery.index"))


def _serve(key: str, content_type: str, filename: str | None, *, etag: str):
    storage = library().storage
    url = storage.url(key, filename, content_type=content_type)
    if url:  # S3: the browser fetches it with a short-lived presigned URL
        response = redirect(url)
        response.headers["Cache-Control"] = "no-store"
        return response
    try:
        data = storage.get(key)
    except FileNotFoundError:
        abort(404, description="This photo's file is missing from storage.")
    response = send_file(
        io.BytesIO(data), mimetype=content_type, download_name=filename, etag=etag, max_age=31536000
    )
    response.headers["Cache-Control"] = CACHE_FOREVER
    return response
