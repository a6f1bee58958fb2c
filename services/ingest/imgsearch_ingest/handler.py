"""The ingest Lambda: S3 object events in; each record becomes an indexed (or failed) image, or a deletion.

The Library (clients, database engine, index connection) is built on the first invocation and reused
by every later one in the same container. Invalid uploads are recorded as failed images (and
deleted from the bucket, which must not serve them) and not retried; back-end failures are recorded
on the image and then raised, so Lambda retries the event (and, after its retries, sends it to the
dead-letter queue, which `imgsearch redrive` replays). Repeated deliveries are harmless.
"""

from __future__ import annotations

import email.header
import logging
import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from imgsearch.config import load_settings
from imgsearch.errors import BackendError
from imgsearch.events import ObjectEvent, parse_s3_event
from imgsearch.library import Library
from imgsearch.logs import configure as configure_logging
from imgsearch.models import Status

log = logging.getLogger("imgsearch_ingest")

_library: Library | None = None


@dataclass(frozen=True)
class Outcome:
    """What handling one record did, for the log and the invocation's result."""

    key: str
    action: str
    outcome: str
    image_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "action": self.action, "outcome": self.outcome, "image_id": self.image_id}


class IngestFailed(BackendError):
    """Some records of an event failed; raised after every record was tried, so Lambda retries."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point for S3 ObjectCreated / ObjectRemoved notifications."""
    if event.get("Event") == "s3:TestEvent":
        log.info("acknowledged s3:TestEvent for bucket %s", event.get("Bucket"))
        return {"test_event": True, "records": []}
    library = get_library()
    outcomes: list[dict[str, Any]] = []
    failures: list[tuple[str, Exception]] = []
    for record in parse_s3_event(event):
        try:
            outcome = handle_record(library, record)
        except Exception as exc:  # every record is tried; the event is retried as a whole below
            log.exception("%s %s failed", record.name, record.key)
            failures.append((record.key, exc))
            continue
        log.info("%s %s: %s", record.name, record.key, outcome.outcome)
        outcomes.append(outcome.to_dict())
    if failures:
        summary = "; ".join(f"{key}: {exc}" for key, exc in failures)
        raise IngestFailed(f"{len(failures)} of {len(failures) + len(outcomes)} records failed: {summary}")
    return {"records": outcomes}


def get_library() -> Library:
    """The container's Library, built from the environment on first use."""
    global _library
    if _library is None:
        settings = load_settings()
        configure_logging(settings.log_level)
        _library = Library(settings)
    return _library


def handle_record(library: Library, record: ObjectEvent) -> Outcome:
    """Ingest or remove the object one record is about."""
    settings = library.settings
    if record.bucket != settings.s3_bucket:
        log.error("event for bucket %r, but this function serves %r", record.bucket, settings.s3_bucket)
        return Outcome(record.key, record.action, "other bucket")
    if not record.key or record.key.endswith("/") or record.key.startswith(settings.s3_thumbnails_prefix):
        return Outcome(record.key, record.action, "skipped")
    owner = library.owner_of_key(record.key)
    if owner is None:
        log.warning("%s is in the folder of an account that does not exist; left alone", record.key)
        return Outcome(record.key, record.action, "no such account")
    library = library.for_owner(owner)
    if record.action == "created":
        return ingest_object(library, record)
    return remove_object(library, record)


def ingest_object(library: Library, record: ObjectEvent) -> Outcome:
    """Record and process a new upload; raises BackendError if describing or indexing it failed."""
    known = library.repository.by_key(record.key)
    if known and record.etag and known.source_etag == record.etag and known.status == Status.INDEXED:
        return Outcome(record.key, record.action, "already indexed", known.id)
    max_bytes = library.settings.max_upload_bytes
    too_large = record.size is not None and record.size > max_bytes
    try:
        data, info = library.storage.read(record.key, max_bytes=max_bytes if too_large else None)
    except Exception as exc:
        if _is_missing(exc):  # deleted since the event was sent; its ObjectRemoved event follows
            return Outcome(record.key, record.action, "gone")
        raise
    etag = str(info.get("ETag") or record.etag or "").strip('"') or record.version_id
    registered = library.ingest.register_stored(
        record.key, data, original_filename(record.key, info), etag=etag, size=info.get("Size")
    )
    image = registered.image
    if registered.needs_processing:
        image = library.ingest.process(image.id, data=data)  # the bytes just read: no second download
        if image.status == Status.FAILED:
            raise BackendError(f"processing {record.key} failed: {image.error}")
        if image.status != Status.INDEXED:
            # Another invocation holds it (or held it and timed out, until its lease runs out):
            # raise, so Lambda's retry comes back later instead of the event counting as done.
            raise BackendError(f"{record.key} is still {image.status.value} elsewhere; retry later")
    return Outcome(record.key, record.action, registered.outcome, image.id)


def remove_object(library: Library, record: ObjectEvent) -> Outcome:
    """Forget a deleted object: its vectors, thumbnail and row."""
    outcome, image = library.ingest.forget_stored(record.key)
    return Outcome(record.key, record.action, outcome, image.id if image else None)


def original_filename(key: str, info: dict[str, Any]) -> str:
    """The name the file had on the uploader's machine (metadata "filename"), else the key's own."""
    raw = str((info.get("Metadata") or {}).get("filename") or "").strip()
    if raw.startswith("=?"):  # S3 hands back non-ASCII metadata RFC 2047-encoded
        raw = str(email.header.make_header(email.header.decode_header(raw)))
    elif "%" in raw:
        raw = unquote(raw)
    return raw or posixpath.basename(key)


def _is_missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")
