"""Ingest: validate, store, thumbnail, describe, record, embed, index; and delete, retry, reindex."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath

from imgsearch.errors import Conflict, DuplicateImage, InvalidImage, LeaseLost, NotFound
from imgsearch.models import ImageRecord, Status, VectorRecord, vector_id
from imgsearch.pipeline.chunks import MAX_CHUNKS, description_chunks
from imgsearch.ports import Describer, Embedder, ImageRepository, Storage, VectorIndex

log = logging.getLogger(__name__)

# Pillow (imgsearch.photos, imgsearch.metadata) is imported where photos are read, not here: the web
# Lambda deletes and lists images through this service without ever decoding one.

MAX_ERROR = 1000


@dataclass(frozen=True)
class Limits:
    """What an upload may be."""

    max_bytes: int
    max_pixels: int
    allowed_formats: tuple[str, ...]
    thumbnail_px: int


@dataclass(frozen=True)
class Added:
    """The outcome of adding one file: its image, and whether it is new or the same bytes again."""

    image: ImageRecord
    created: bool


@dataclass(frozen=True)
class Registered:
    """The outcome of recording an object that is already in storage (see register_stored).

    outcome is "new" (a row was created), "changed" (the key now holds other bytes), "unchanged"
    (the same bytes were recorded before), "duplicate" (the bytes are another key's, so this
    upload was deleted) or "invalid" (not a photo we take: the row is failed with the reason).
    """

    image: ImageRecord
    outcome: str

    @property
    def needs_processing(self) -> bool:
        """Whether the image still has to be described and indexed."""
        return self.outcome in ("new", "changed", "unchanged") and self.image.status != Status.INDEXED


class IngestService:
    """Everything that changes what the library holds."""

    def __init__(
        self,
        *,
        limits: Limits,
        storage: Storage,
        repository: ImageRepository,
        index: VectorIndex,
        embedder: Embedder,
        describer: Describer,
        originals_prefix: str = "originals/",
        thumbnails_prefix: str = "thumbnails/",
    ) -> None:
        self.limits = limits
        self.storage = storage
        self.repository = repository
        self.index = index
        self.embedder = embedder
        self.describer = describer
        self.originals_prefix = originals_prefix
        self.thumbnails_prefix = thumbnails_prefix

    # ------------------------------------------------------------------ add

    def add(self, data: bytes, filename: str) -> Added:
        """Validate and store a photo and record it as pending.

        Raises InvalidImage (with a message for people) and stores nothing if the file is refused.
        The same bytes added again give back the existing image, with created=False.
        """
        from imgsearch.photos import validate_photo

        info = validate_photo(
            data,
            max_bytes=self.limits.max_bytes,
            max_pixels=self.limits.max_pixels,
            allowed_formats=self.limits.allowed_formats,
        )
        digest = hashlib.sha256(data).hexdigest()
        existing = self.repository.by_hash(digest)
        if existing:
            return Added(existing, created=False)
        image_id = uuid.uuid4().hex
        key = f"{self.originals_prefix}{image_id}.{info.extension}"
        self.storage.put(key, data, info.content_type)
        record = _new_record(image_id, key, data, digest, filename, info)
        try:
            self.repository.add(record)
        except DuplicateImage:
            # Someone else stored the same bytes a moment ago: keep theirs, drop our copy.
            self.storage.delete(key)
            winner = self.repository.by_hash(digest)
            if winner is None:
                raise
            return Added(winner, created=False)
        except BaseException:
            self.storage.delete(key)  # no row points at it: do not leave it behind
            raise
        return Added(record, created=True)

    def register_stored(
        self,
        key: str,
        data: bytes,
        filename: str,
        etag: str | None = None,
        size: int | None = None,
    ) -> Registered:
        """Validate and record a photo that is already stored under key (a browser upload to S3).

        Nothing is stored again. The row keeps key as its storage key and etag as source_etag, so a
        repeated delivery is recognised. Bytes that another key already holds are a duplicate: the
        upload under key is deleted and the existing image returned. Bytes that are not a photo we
        take give a failed row with the reason, never an exception, since retrying cannot help.
        size is the object's full size when data is only its beginning (an object too large to read).
        """
        from imgsearch.photos import validate_photo

        existing = self.repository.by_key(key)
        digest = hashlib.sha256(data).hexdigest()
        try:
            if size is not None and size > len(data) and size > self.limits.max_bytes:
                raise InvalidImage.too_large(size, self.limits.max_bytes)
            info = validate_photo(
                data,
                max_bytes=self.limits.max_bytes,
                max_pixels=self.limits.max_pixels,
                allowed_formats=self.limits.allowed_formats,
            )
        except InvalidImage as exc:
            return self._register_invalid(existing, key, data, digest, filename, etag, size, exc)
        other = self.repository.by_hash(digest)
        if other is not None and other.storage_key != key:
            self.storage.delete(key)
            if existing is not None:  # the key's earlier bytes are gone too
                self.delete(existing.id)
            return Registered(other, "duplicate")
        if existing is not None:
            known = (existing.content_type, existing.width, existing.height, existing.source_etag)
            if existing.content_hash == digest:
                # The same bytes again (a repeated delivery, or a retry after a failure).
                existing.content_type = info.content_type
                existing.width, existing.height = info.width, info.height
                existing.source_etag = etag
                if (existing.content_type, existing.width, existing.height, existing.source_etag) != known:
                    existing = self.repository.update(existing)
                return Registered(existing, "unchanged")
            # Overwritten with other bytes: the same image, described afresh.
            existing.content_hash = digest
            existing.filename = clean_filename(filename, info.extension)
            existing.content_type = info.content_type
            existing.size_bytes = len(data)
            existing.width, existing.height = info.width, info.height
            existing.source_etag = etag
            if existing.thumbnail_key:
                self.storage.delete(existing.thumbnail_key)
            self._remove_vectors(existing.id)
            existing.thumbnail_key = None
            existing.description, existing.details, existing.vector_count = None, {}, 0
            existing.status, existing.error = Status.PENDING, None
            return Registered(self.repository.update(existing), "changed")
        record = _new_record(uuid.uuid4().hex, key, data, digest, filename, info, etag)
        try:
            return Registered(self.repository.add(record), "new")
        except DuplicateImage:
            # A concurrent delivery of the same event, or the same bytes under another key.
            winner = self.repository.by_key(key) or self.repository.by_hash(digest)
            if winner is None:
                raise
            if winner.storage_key == key:
                return Registered(winner, "unchanged")
            self.storage.delete(key)
            return Registered(winner, "duplicate")

    def _register_invalid(
        self,
        existing: ImageRecord | None,
        key: str,
        data: bytes,
        digest: str,
        filename: str,
        etag: str | None,
        size: int | None,
        exc: InvalidImage,
    ) -> Registered:
        record = existing or ImageRecord(
            id=uuid.uuid4().hex,
            content_hash=digest,
            storage_key=key,
            filename=clean_filename(filename, "bin"),
            content_type="application/octet-stream",
            size_bytes=len(data),
            width=0,
            height=0,
        )
        if existing is not None:
            # The key held a photo before: its vectors and thumbnail no longer show what is stored.
            self._remove_vectors(existing.id)
            record.vector_count = 0
            if existing.thumbnail_key:
                self.storage.delete(existing.thumbnail_key)
                record.thumbnail_key = None
        record.content_hash = digest
        record.size_bytes = max(size or 0, len(data))
        record.source_etag = etag
        record.status = Status.FAILED
        record.error = describe_error(exc)
        try:
            saved = self.repository.update(record) if existing else self.repository.add(record)
        except DuplicateImage:  # the same unusable bytes under another key
            self.storage.delete(key)
            winner = self.repository.by_hash(digest)
            if winner is None:
                raise
            return Registered(winner, "duplicate")
        return Registered(saved, "invalid")

    # ------------------------------------------------------------------ process

    def process(self, image_id: str) -> ImageRecord:
        """Thumbnail, describe, embed and index a stored image; a failure is recorded on the image.

        Returns the image as it ends up (indexed, or failed with its error). An image another worker
        holds is returned as it is. Raises NotFound if the image is deleted (even while processing,
        in which case what this call wrote is removed again).
        """
        record = self.repository.claim(image_id)
        if record is None:
            current = self.repository.get(image_id)
            if current is None:
                raise NotFound(f"no image with id {image_id}")
            return current
        lease = record.attempts  # our claim; writes made after losing it change nothing
        try:
            self._process(record, lease)
            return record
        except LeaseLost:
            return self._lost(record)
        except Exception as exc:  # every failure is kept on the image, to be retried
            log.warning("ingest of %s (%s) failed: %s", record.id, record.filename, exc, exc_info=True)
            record.status = Status.FAILED
            record.error = describe_error(exc)
            try:
                return self.repository.update(record, lease=lease)
            except LeaseLost:
                return self._lost(record)

    def _process(self, record: ImageRecord, lease: int) -> None:
        from imgsearch import metadata
        from imgsearch.photos import make_thumbnail

        data = self.storage.get(record.storage_key)
        if record.thumbnail_key is None:
            thumb_key = f"{self.thumbnails_prefix}{record.id}.jpg"
            self.storage.put(thumb_key, make_thumbnail(data, self.limits.thumbnail_px), "image/jpeg")
            record.thumbnail_key = thumb_key
        facts = metadata.extract_facts(data)
        seen = self.describer.describe(data, facts)
        lines = [*metadata.caption_sentences(facts), seen.text, *metadata.fact_sentences(facts)]
        record.description = "\n".join(line for line in lines if line and line.strip())
        record.details = {**facts, **seen.details, "describer": self.describer.name}
        record.taken_at = metadata.taken_at(facts)
        self.repository.update(record, lease=lease)  # the description is kept if embedding fails
        count = self._write_vectors({record.id: record.description or ""})[record.id]
        record.vector_count = count
        record.embedder = self.embedder.name
        record.status = Status.INDEXED
        record.error = None
        record.indexed_at = datetime.now(UTC)
        self.repository.update(record, lease=lease)

    def _lost(self, record: ImageRecord) -> ImageRecord:
        """Our claim ended while we worked: deleted (undo our writes) or taken over (leave it be)."""
        current = self.repository.get(record.id)
        if current is None:
            self._remove_vectors(record.id)
            if record.thumbnail_key:
                self.storage.delete(record.thumbnail_key)
            raise NotFound(f"image {record.id} was deleted while it was being processed")
        return current

    def _write_vectors(self, descriptions: dict[str, str]) -> dict[str, int]:
        """Embed and index each image's description chunks, replacing what it had; chunk counts back."""
        owners: list[tuple[str, int]] = []
        texts: list[str] = []
        for image_id, description in descriptions.items():
            chunks = description_chunks(description, self.embedder.max_chars)
            owners.extend((image_id, n) for n in range(len(chunks)))
            texts.extend(chunks)
        vectors = self.embedder.embed_documents(texts) if texts else []
        records = [
            VectorRecord(vector_id(image_id, n), image_id, n, values, self.embedder.name)
            for (image_id, n), values in zip(owners, vectors, strict=True)
        ]
        self.index.upsert(records)
        counts = dict.fromkeys(descriptions, 0)
        for image_id, _ in owners:
            counts[image_id] += 1
        # Chunks past the new count belong to an older, longer description.
        self.index.delete([vector_id(i, n) for i, count in counts.items() for n in range(count, MAX_CHUNKS)])
        return counts

    def _remove_vectors(self, image_id: str) -> None:
        # Vector ids are the image id and a chunk number below MAX_CHUNKS: this finds them all.
        self.index.delete([vector_id(image_id, n) for n in range(MAX_CHUNKS)])

    # ------------------------------------------------------------------ retry, delete, reindex

    def retry(self, image_id: str) -> ImageRecord:
        """Process a failed, pending or stuck image again, here and now (see process)."""
        return self.process(image_id)

    def requeue(self, image_id: str) -> ImageRecord:
        """Mark a failed or stuck image pending, for a worker (or the ingest Lambda) to take.

        Raises NotFound, or Conflict when the image is indexed or being processed right now.
        """
        record = self.repository.requeue(image_id)
        if record is not None:
            return record
        current = self.repository.get(image_id)
        if current is None:
            raise NotFound(f"no image with id {image_id}")
        if current.status == Status.PENDING:
            return current
        raise Conflict(f"only failed or stuck images can be retried; this one is {current.status.value}")

    def delete(self, image_id: str) -> ImageRecord:
        """Remove an image's vectors, files and row, in that order, so search never shows a ghost."""
        record = self.repository.get(image_id)
        if record is None:
            raise NotFound(f"no image with id {image_id}")
        self._remove_vectors(record.id)
        for key in (record.thumbnail_key, record.storage_key):
            if key:
                self.storage.delete(key)
        self.repository.delete(image_id)
        # A worker that was processing it notices at its next write and removes what it wrote.
        return record

    def reindex(self, progress: Callable[[int], None] | None = None, batch_size: int = 64) -> int:
        """Rebuild the vectors of every indexed image from its stored description; returns the count.

        Idempotent: vector ids derive from image ids, so running it twice gives the same index.
        Failed images are left to retry (their description may not match what is stored).
        """
        done = 0
        for batch in self.repository.iter_described(batch_size):
            indexed = {r.id: r.description or "" for r in batch if r.status == Status.INDEXED}
            counts = self._write_vectors(indexed)
            for image_id, count in counts.items():
                self.repository.record_vectors(image_id, count, self.embedder.name)
            done += len(indexed)
            if progress:
                progress(len(batch))
        return done


def _new_record(
    image_id: str, key: str, data: bytes, digest: str, filename: str, info, etag: str | None = None
) -> ImageRecord:
    """A pending image for validated bytes stored under key (info: imgsearch.photos.PhotoInfo)."""
    return ImageRecord(
        id=image_id,
        content_hash=digest,
        storage_key=key,
        filename=clean_filename(filename, info.extension),
        content_type=info.content_type,
        size_bytes=len(data),
        width=info.width,
        height=info.height,
        source_etag=etag,
    )


def clean_filename(name: str, extension: str) -> str:
    """The original file name without its folders, printable, at most 255 characters."""
    base = PurePath(name.replace("\\", "/")).name if name else ""
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if not base:
        base = f"upload.{extension}"
    return base[-255:]


def describe_error(exc: BaseException) -> str:
    """A one-line account of a failure, for the image's status."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if isinstance(exc, InvalidImage):
        text = message
    return text[:MAX_ERROR]
