"""The JSON API under /api: add, list, show, delete and retry images, one or many at once; search;
presign cloud uploads."""

from __future__ import annotations

from flask import Blueprint, abort, request

from imgsearch.models import Status
from imgsearch.pipeline.search import MAX_LIMIT
from imgsearch_web.actions import (
    accept_files,
    bulk_ids,
    delete_images,
    image_or_404,
    library,
    presign_uploads,
    redescribe_image,
    redescribe_images,
    retry_image,
    run_search,
    search_page_dict,
    settings,
)
from imgsearch_web.actions import delete_image as remove_image

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_PER_PAGE = 100
MAX_IDS = 200


@bp.post("/images")
def add_images():
    """Answers 201 when every file was accepted, 207 when some were, 400 when none were."""
    files = request.files.getlist("files")
    outcomes = accept_files(files)
    if not outcomes:
        abort(400, description='No files: send them as multipart form data in the field "files".')
    body = {"files": [o.to_dict() for o in outcomes]}
    accepted = sum(o.accepted for o in outcomes)
    if not accepted:
        return {"error": "None of the files could be added.", **body}, 400
    return body, 201 if accepted == len(outcomes) else 207


@bp.get("/images")
def list_images():
    repo = library().repository
    if request.args.get("ids") is not None:
        ids = [i for i in request.args["ids"].split(",") if i.strip()][:MAX_IDS]
        found = repo.get_many(ids)
        images = [found[i].to_dict() for i in ids if i in found]
        return {"images": images, "total": len(images), "missing": [i for i in ids if i not in found]}
    if request.args.get("keys") is not None:
        # Cloud uploads: the browser knows the key it uploaded to, and learns the photo's id here
        # once the ingest function has recorded it.
        keys = [k for k in request.args["keys"].split(",") if k.strip()][:MAX_IDS]
        by_key = {k: repo.by_key(k) for k in keys}
        images = [{**image.to_dict(), "key": k} for k, image in by_key.items() if image is not None]
        missing = [k for k, image in by_key.items() if image is None]
        return {"images": images, "total": len(images), "missing": missing}
    status = None
    if request.args.get("status"):
        try:
            status = Status(request.args["status"])
        except ValueError:
            choices = ", ".join(s.value for s in Status)
            abort(400, description=f"status must be one of: {choices}")
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", settings().page_size, 1, MAX_PER_PAGE)
    images = repo.list(offset=(page - 1) * per_page, limit=per_page, status=status)
    return {
        "images": [i.to_dict() for i in images],
        "total": repo.count(status),
        "page": page,
        "per_page": per_page,
    }


@bp.get("/images/<image_id>")
def get_image(image_id: str):
    return image_or_404(image_id).to_dict()


@bp.get("/library")
def library_counts():
    """How many photos there are, and how many of them are waiting, being described, indexed, failed."""
    repo = library().repository
    return {"photos": repo.count(), **{status.value: repo.count(status) for status in Status}}


@bp.delete("/images/<image_id>")
def delete_image(image_id: str):
    remove_image(image_id)
    return "", 204


@bp.post("/images/delete")
def delete_many():
    """Delete several photos: {"ids": [...]} in, the deleted photos and the ids not found out."""
    outcome = delete_images(bulk_ids(_json_field("ids")))
    return outcome.to_dict("deleted")


@bp.post("/images/redescribe")
def redescribe_many():
    """Describe several photos again: {"ids": [...]} in; the photos (pending: queued), those being
    processed already (refused, with why) and the ids not found out."""
    outcome = redescribe_images(bulk_ids(_json_field("ids")))
    queued = any(image.status == Status.PENDING for image in outcome.done)
    return outcome.to_dict("images"), 202 if queued else 200


@bp.post("/images/<image_id>/retry")
def retry(image_id: str):
    """202 with the image queued again; 200 with the outcome where there is no worker to queue it for."""
    image = retry_image(image_id)
    return image.to_dict(), 202 if image.status == Status.PENDING else 200


@bp.get("/images/<image_id>/similar")
def similar(image_id: str):
    """Photos that look like this one (visual embeddings locally, description vectors in the cloud)."""
    image_or_404(image_id)
    limit = _int_arg("limit", 12, 1, MAX_LIMIT)
    lib = library()
    lib.limits.search(lib.owner)
    results = lib.search.similar(image_id, limit=limit)
    return {"id": image_id, "results": [r.to_dict() for r in results]}


@bp.get("/images/<image_id>/duplicates")
def duplicates_of(image_id: str):
    """The photo's near-duplicates (resized, recompressed or cropped copies)."""
    image = image_or_404(image_id)
    return {"id": image_id, "duplicates": [i.to_dict() for i in library().search.duplicates_of(image)]}


@bp.get("/duplicates")
def duplicate_groups():
    """Every group of near-duplicate photos, largest first."""
    groups = library().search.duplicate_groups()
    return {"groups": [[i.to_dict() for i in group] for group in groups]}


@bp.post("/images/<image_id>/redescribe")
def redescribe(image_id: str):
    """202 with the image queued to be described again; 200 with the outcome where it ran at once."""
    image = redescribe_image(image_id)
    return image.to_dict(), 202 if image.status == Status.PENDING else 200


@bp.get("/search")
def search():
    """Results (the objects `imgsearch search --json` prints) with what the search understood."""
    query = " ".join(request.args.get("q", "").split())
    found = run_search(request.args, per_page=_int_arg("limit", 20, 1, MAX_LIMIT))
    if not query and not found.filters.active:
        abort(400, description="The query q is empty: say what the photo shows, or give a filter.")
    return search_page_dict(found)


@bp.post("/uploads")
def presign():
    """Presigned S3 POSTs, one per file, for the browser to upload straight to the bucket (cloud only)."""
    if settings().storage != "s3":
        abort(
            404,
            description="Direct uploads are only for cloud mode (IMGSEARCH_STORAGE=s3); "
            "POST the files to /api/images instead.",
        )
    origin = request.headers.get("Origin")
    site = settings().public_url.rstrip("/")
    if site and origin and origin.rstrip("/") != site:
        abort(403, description="Upload forms are only handed to pages of this site.")
    body = request.get_json(silent=True)
    uploads = presign_uploads(body.get("files") if isinstance(body, dict) else None)
    if not any("url" in u for u in uploads):
        return {"error": "None of the files can be uploaded.", "uploads": uploads}, 400
    return {"uploads": uploads}


@bp.get("/openapi.json")
def openapi():
    """This API in OpenAPI 3.1 (public: it describes, it holds nothing of anyone's)."""
    from imgsearch_web.openapi import describe

    return describe(request.url_root)


def _json_field(name: str):
    body = request.get_json(silent=True)
    return body.get(name) if isinstance(body, dict) else None


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number, not {raw!r}")
    if not low <= value <= high:
        abort(400, description=f"{name} must be between {low} and {high}")
    return value
