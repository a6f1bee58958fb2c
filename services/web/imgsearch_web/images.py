"""One photo: its description and metadata, its files, and retry and delete."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for

from imgsearch.models import Status
from imgsearch.pipeline.adding import ORIGINAL_DELETED
from imgsearch_web.actions import (
    delete_image,
    delete_images,
    image_or_404,
    library,
    redescribe_image,
    redescribe_images,
    retry_image,
)

bp = Blueprint("images", __name__, url_prefix="/images")

# An id names one photo's bytes for ever, so browsers may keep them.
CACHE_FOREVER = "private, max-age=31536000, immutable"


SIMILAR_ON_PAGE = 8


@bp.get("/<image_id>")
def detail(image_id: str):
    image = image_or_404(image_id)
    lib = library()
    similar = lib.search.similar(image.id, limit=SIMILAR_ON_PAGE) if image.searchable else []
    duplicates = lib.search.duplicates_of(image)
    newer, older = lib.repository.neighbours(image)
    return render_template(
        "images/detail.html",
        image=image,
        similar=similar,
        duplicates=duplicates,
        newer=newer,
        older=older,
    )


@bp.get("/<image_id>/thumbnail")
def thumbnail(image_id: str):
    image = image_or_404(image_id)
    if not image.thumbnail_key:
        abort(404, description="This photo has no thumbnail yet.")
    return _serve(image.thumbnail_key, "image/jpeg", None, etag=f"{image.id}-thumbnail")


@bp.get("/<image_id>/original")
def original(image_id: str):
    image = image_or_404(image_id)
    if image.details.get(ORIGINAL_DELETED):
        abort(
            404, description=f"{image.filename} was not a photo we take, so it was deleted ({image.error})."
        )
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
    """Delete once confirmed; without confirm=yes (a page without its script), ask first."""
    if request.form.get("confirm") != "yes":
        image = image_or_404(image_id)
        action = url_for("images.delete", image_id=image.id)
        return render_template("images/confirm_delete.html", images=[image], action=action)
    image = delete_image(image_id)
    flash(f"Deleted {image.filename}.", "success")
    return redirect(url_for("gallery.index"))


MAX_NAMED = 3  # a flash message names this many photos, then counts the rest


@bp.post("/bulk")
def bulk():
    """Delete, or describe again, the photos selected in the gallery or the results (form field ids)."""
    ids = list(dict.fromkeys(i for i in request.form.getlist("ids") if i.strip()))
    back = _local_path(request.form.get("next")) or url_for("gallery.index")
    action = request.form.get("action")
    if action not in ("delete", "redescribe"):
        abort(400, description="Say what to do with the selected photos: delete or redescribe.")
    if not ids:
        flash("Select some photos first.", "error")
        return redirect(back)
    if action == "delete" and request.form.get("confirm") != "yes":
        found = library().repository.get_many(ids)
        images = [found[i] for i in ids if i in found]
        if not images:
            abort(404, description="None of the selected photos exist any more.")
        return render_template(
            "images/confirm_delete.html", images=images, action=url_for("images.bulk"), back=back
        )
    outcome = delete_images(ids) if action == "delete" else redescribe_images(ids)
    names = [image.filename for image in outcome.done]
    more = f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else ""
    shown = ", ".join(names[:MAX_NAMED]) + more
    if names:
        verb = "Deleted" if action == "delete" else "Describing again:"
        flash(f"{verb} {shown}.", "success")
    for image, why in outcome.refused:
        flash(f"{getattr(image, 'filename', image)}: {why}", "error")
    if outcome.missing:
        flash(f"{len(outcome.missing)} of the selected photos no longer exist.", "error")
    return redirect(back)


def _local_path(path: str | None) -> str | None:
    """A path on this site to go back to (never another site's URL)."""
    if path and path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return None


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
