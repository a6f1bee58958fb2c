"""What the pages and the API do to the library: accept uploads, presign cloud uploads, retry, find.

Views stay thin: they parse the request, call one of these, and render the outcome.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import abort, current_app, g

from imgsearch.errors import Conflict, ImgsearchError, InvalidImage, NotFound
from imgsearch.formats import FORMATS
from imgsearch.limits import LimitReached
from imgsearch.models import ImageRecord, Status
from imgsearch.pipeline.adding import file_name

if TYPE_CHECKING:
    from werkzeug.datastructures import FileStorage

    from imgsearch.config import Settings
    from imgsearch.library import Library
    from imgsearch.pipeline.search import SearchPage
    from imgsearch.worker import IngestWorker

log = logging.getLogger(__name__)

MAX_FILES_PER_PRESIGN = 100
MAX_PRESIGN_EXPIRY_S = 3600
# Kept readable when the ingest side reads the metadata raw; `unquote` restores any other name.
_METADATA_SAFE = " !#$&'()*+,-./:;=?@[]^_`{|}~"
# S3 allows 2 KB of user metadata per object; a percent-encoded name gets at most half of it
# (255 characters of emoji would need 3 KB).
MAX_FILENAME_METADATA = 1024


def library() -> Library:
    """The library of the account making the request (set by imgsearch_web.security)."""
    lib = g.get("library")
    if lib is None:  # only public views run without one, and they never reach a library
        abort(401, description="Sign in first.")
    return lib


def settings() -> Settings:
    return current_app.extensions["imgsearch"].settings


def no_such_image(image_id: str):
    """404 for an id that is unknown, or another account's (the same answer, so ids reveal nothing)."""
    shown = image_id if len(image_id) <= 40 else image_id[:32] + "…"
    abort(404, description=f"No image with id {shown}.")


def worker() -> IngestWorker | None:
    return current_app.extensions.get("imgsearch_worker")


def run_search(args: Mapping[str, str], per_page: int) -> SearchPage:
    """The search a page or API request asks for (q, filters, sort, page, all); 400 if it makes no sense."""
    from imgsearch.pipeline.query import FilterError, parse_filters
    from imgsearch.pipeline.search import SORTS, SearchRequest

    try:
        filters = parse_filters(args)
    except FilterError as exc:
        abort(400, description=_sentence(str(exc)))
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        abort(400, description=f"sort must be one of: {', '.join(SORTS)}")
    page = _whole(args.get("page"), "page", 1, 1, 1000)
    request = SearchRequest(
        query=args.get("q", ""),
        filters=filters,
        sort=sort,
        page=page,
        per_page=per_page,
        everything=(args.get("all") or "").lower() in ("1", "true", "yes", "on"),
    )
    lib = library()
    lib.limits.search(lib.owner)
    return lib.search.find(request)


def search_page_dict(found: SearchPage) -> dict[str, Any]:
    """The JSON shape of a page of results."""
    parsed = found.parsed
    return {
        "query": parsed.text,
        "understood": {
            "text": parsed.semantic,
            "phrases": [" ".join(p) for p in parsed.phrases],
            "dates": parsed.dates.to_dict() if parsed.dates else None,
            "date_words": parsed.date_words or None,
        },
        "total": found.total,
        "hidden": found.hidden,
        "page": found.page,
        "per_page": found.per_page,
        "pages": found.pages,
        "results": [result.to_dict() for result in found.results],
    }


def _whole(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    raw = (raw or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number, not {raw[:20]!r}")
    if not low <= value <= high:
        abort(400, description=f"{name} must be between {low} and {high}")
    return value


def image_or_404(image_id: str) -> ImageRecord:
    image = library().repository.get(image_id)
    if image is None:
        no_such_image(image_id)
    return image


# ---------------------------------------------------------------------- uploads through the app


@dataclass(frozen=True)
class FileOutcome:
    """What became of one uploaded file."""

    filename: str
    status: str  # the image's status, or "rejected"
    created: bool = False
    id: str | None = None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.id is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"filename": self.filename, "status": self.status, "created": self.created}
        if self.id:
            out["id"] = self.id
        if self.error:
            out["error"] = self.error
        return out


def accept_files(files: Iterable[FileStorage]) -> list[FileOutcome]:
    """Store each file and queue it for processing; a bad file is reported and the rest still go in.

    Raises LimitReached (429) when the account uploads too fast, or when its daily quota refuses
    every file; a file the quota refuses among others is reported like a bad one.
    """
    lib, queue = library(), worker()
    if lib.settings.storage == "s3":
        # On AWS photos go from the browser straight to S3 (POST /api/uploads); the web function
        # neither decodes photos nor takes request bodies over API Gateway's 6 MB.
        abort(409, description="Uploads go straight to S3 here: ask POST /api/uploads for a form per file.")
    files = [f for f in files if f.filename or f.content_length]
    if files:
        lib.limits.upload(lib.owner, len(files))
    outcomes: list[FileOutcome] = []
    quota: LimitReached | None = None
    for upload in files:
        sent_as = file_name(upload.filename)
        # Read one byte past the limit, never a whole oversized part into memory.
        limit = lib.settings.max_upload_bytes
        data = upload.stream.read(limit + 1)
        if not sent_as and not data:
            continue  # the empty part a browser sends when no file was chosen
        name = sent_as or "upload"
        day = None
        try:
            if len(data) > limit:
                raise InvalidImage.too_large(_part_size(upload, len(data)), limit)
            day = lib.limits.reserve_upload(lib.owner, len(data))
            added = lib.ingest.add(data, sent_as)
        except LimitReached as exc:
            quota = exc
            outcomes.append(FileOutcome(name, "rejected", error=str(exc)))
            continue
        except ImgsearchError as exc:
            _give_back(lib, day, len(data))
            outcomes.append(FileOutcome(name, "rejected", error=str(exc)))
            continue
        except Exception:
            _give_back(lib, day, len(data))
            log.exception("could not store upload %r", name)
            outcomes.append(FileOutcome(name, "rejected", error="could not be stored (server error)"))
            continue
        image = added.image
        if not added.created:
            _give_back(lib, day, len(data))  # already in the library: it costs nothing again
        if queue is not None and image.status in (Status.PENDING, Status.FAILED):
            queue.submit(image.id, owner=lib.owner)  # the same bytes again retry a photo that failed
        outcomes.append(FileOutcome(image.filename, image.status.value, added.created, image.id))
    if quota is not None and not any(o.accepted for o in outcomes):
        raise quota
    return outcomes


def _give_back(lib: Library, day: str | None, size: int) -> None:
    if day is not None:
        lib.limits.release_upload(lib.owner, day, size)


def _part_size(upload: FileStorage, read: int) -> int:
    """The whole size of an uploaded part (werkzeug spools large ones to a seekable file)."""
    try:
        return max(upload.stream.seek(0, 2), read)
    except (OSError, AttributeError, ValueError):
        return read


def retry_image(image_id: str) -> ImageRecord:
    """Process a failed or stuck image again: queued for the worker, re-announced to the ingest
    Lambda on AWS, or done here when there is neither.

    Aborts 404 for an unknown id and 409 for an image that is indexed or being processed.
    """
    return _or_abort(process_again, image_id, again=False)


def redescribe_image(image_id: str) -> ImageRecord:
    """Describe an image again with the current describer (as retry_image does, for indexed ones too).

    Aborts 404 for an unknown id and 409 for an image that is being processed.
    """
    return _or_abort(process_again, image_id, again=True)


def delete_image(image_id: str) -> ImageRecord:
    """Delete a photo, its files and its vectors; aborts 404 for an unknown id."""
    return _or_abort(library().ingest.delete, image_id)


def _or_abort(action, image_id: str, **kwargs: Any) -> ImageRecord:
    try:
        return action(image_id, **kwargs)
    except NotFound:
        no_such_image(image_id)
    except Conflict as exc:
        abort(409, description=_sentence(str(exc)))


def process_again(image_id: str, again: bool) -> ImageRecord:
    """Queue an image to be processed again (again: even an indexed one, to describe it afresh).

    Raises NotFound for an unknown id and Conflict for an image in no state for it.
    """
    lib, queue = library(), worker()
    image = lib.ingest.queue_again(image_id) if again else lib.ingest.requeue(image_id)
    if queue is not None:
        queue.submit(image_id, again=again, owner=lib.owner)
    elif lib.settings.storage == "s3":
        lib.storage.touch(image.storage_key)  # S3 tells the ingest Lambda about it again
    else:
        return lib.ingest.redescribe(image_id) if again else lib.ingest.retry(image_id)
    return image


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


# ---------------------------------------------------------------------- several photos at once

MAX_BULK = 200


def bulk_ids(raw: Any) -> list[str]:
    """The image ids a bulk request names, each once, in order; aborts 400 if they are not a list."""
    if not isinstance(raw, list) or not raw or not all(isinstance(i, str) for i in raw):
        abort(400, description='Send {"ids": ["...", ...]}: the ids of the photos.')
    if len(raw) > MAX_BULK:
        abort(400, description=f"At most {MAX_BULK} photos at a time.")
    return list(dict.fromkeys(i.strip() for i in raw if i.strip()))


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk action did: the photos it acted on, those it could not (with why), unknown ids."""

    done: list[ImageRecord]
    refused: list[tuple[ImageRecord | str, str]]
    missing: list[str]

    def to_dict(self, done_name: str) -> dict[str, Any]:
        return {
            done_name: [image.to_dict() for image in self.done],
            "refused": [{"id": getattr(i, "id", i), "error": why} for i, why in self.refused],
            "missing": self.missing,
        }


def delete_images(ids: list[str]) -> BulkOutcome:
    """Delete each photo (its files and vectors); unknown ids are reported, not an error."""
    return _each(ids, library().ingest.delete)


def redescribe_images(ids: list[str]) -> BulkOutcome:
    """Describe each photo again (see redescribe_image); a photo being processed is reported."""
    return _each(ids, lambda image_id: process_again(image_id, again=True))


def _each(ids: list[str], action) -> BulkOutcome:
    done: list[ImageRecord] = []
    refused: list[tuple[ImageRecord | str, str]] = []
    missing: list[str] = []
    for image_id in ids:
        try:
            done.append(action(image_id))
        except NotFound:
            missing.append(image_id)
        except Conflict as exc:
            refused.append((library().repository.get(image_id) or image_id, _sentence(str(exc))))
    return BulkOutcome(done, refused, missing)


def add_samples() -> list[FileOutcome]:
    """Add the sample photos that are installed (see imgsearch.samples), queued like uploads."""
    from werkzeug.datastructures import FileStorage

    from imgsearch.samples import sample_photos

    files = [FileStorage(io.BytesIO(s.path.read_bytes()), s.filename) for s in sample_photos() if s.path]
    return accept_files(files)


# ---------------------------------------------------------------------- uploads straight to S3


def presign_uploads(files: Any) -> list[dict[str, Any]]:
    """A presigned S3 POST per file (a fresh key each), or the reason that file cannot go.

    `files` is the request's list of {filename, size, type}; aborts 400 if it is not one.
    """
    if not isinstance(files, list) or not files:
        abort(400, description='Send {"files": [{"filename": ..., "size": ..., "type": ...}, ...]}.')
    if len(files) > MAX_FILES_PER_PRESIGN:
        abort(400, description=f"At most {MAX_FILES_PER_PRESIGN} files at a time.")
    lib = library()
    lib.limits.upload(lib.owner, len(files))
    # The browser sends a few files at a time: later ones start late, so a big batch gets longer.
    expiry_s = min(settings().presign_expiry_s + 30 * len(files), MAX_PRESIGN_EXPIRY_S)
    uploads = [_presign_one(lib, item, expiry_s) for item in files]
    refused = [u.get("quota") for u in uploads if u.get("quota")]
    if refused and not any("url" in u for u in uploads):
        raise refused[0]
    for upload in uploads:
        upload.pop("quota", None)
    return uploads


def _presign_one(lib: Library, item: Any, expiry_s: int) -> dict[str, Any]:
    conf = settings()
    if not isinstance(item, Mapping):
        return {"filename": "", "error": "each file must be an object with filename, size and type"}
    filename = file_name(str(item.get("filename") or "")) or "upload"
    problem, fmt = _check_cloud_file(item, filename, conf)
    if problem:
        return {"filename": filename, "error": problem}
    try:
        # Counted when the form is handed out: S3 takes the upload without asking us again.
        lib.limits.reserve_upload(lib.owner, int(item["size"]))
    except LimitReached as exc:
        return {"filename": filename, "error": str(exc), "quota": exc}
    content_type, extension, _ = FORMATS[fmt]
    key = lib.ingest.original_key(uuid.uuid4().hex, extension)
    post = lib.storage.presigned_post(
        key,
        conf.max_upload_bytes,
        expiry_s,
        metadata={"filename": metadata_filename(filename)},
        content_type=content_type,  # pinned: S3 stores and serves the type we checked
    )
    return {"filename": filename, "key": key, "url": post["url"], "fields": post["fields"]}


def metadata_filename(filename: str) -> str:
    """The name as an S3 metadata value: percent-encoded, cut (keeping its extension) to fit."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or len(extension) > 10:
        stem, extension = filename, ""
    suffix = f".{extension}" if extension else ""
    while stem and len(quote(stem + suffix, safe=_METADATA_SAFE)) > MAX_FILENAME_METADATA:
        stem = stem[: -max(1, len(stem) // 8)]  # whole characters, so no UTF-8 sequence is split
    return quote((stem or "upload") + suffix, safe=_METADATA_SAFE)[:MAX_FILENAME_METADATA]


def _check_cloud_file(item: Mapping[str, Any], filename: str, conf: Settings) -> tuple[str | None, str]:
    allowed = [f for f in conf.allowed_formats if f in FORMATS]
    allowed_names = ", ".join(f.replace("WEBP", "WebP") for f in allowed)
    kind = str(item.get("type") or "").strip().lower()
    suffix = PurePath(filename).suffix.lower()
    fmt = next((f for f in allowed if FORMATS[f].media_type == kind), None)
    if fmt is None and not kind:
        fmt = next((f for f in allowed if suffix in FORMATS[f].suffixes), None)
    if fmt is None:
        what = kind or (suffix and f"{suffix} files") or "this file"
        return f"{what} is not an image we take (allowed: {allowed_names})", ""
    size = item.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return "the file's size is missing", fmt
    if size == 0:
        return "the file is empty", fmt
    if size > conf.max_upload_bytes:
        return str(InvalidImage.too_large(size, conf.max_upload_bytes)), fmt
    return None, fmt
