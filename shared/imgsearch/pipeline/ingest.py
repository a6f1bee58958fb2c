"""Ingest: validate, store, thumbnail, describe, record, embed, index; and delete, retry, reindex."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath

from imgsearch.errors import DuplicateImage, InvalidImage, NotFound
from imgsearch.models import ImageRecord, Status, VectorRecord, vector_id
from imgsearch.pipeline.chunks import description_chunks
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
        record = ImageRecord(
            id=image_id,
            content_hash=digest,
            storage_key=key,
            filename=clean_filename(filename, info.extension),
            content_type=info.content_type,
            size_bytes=len(data),
            width=info.width,
            height=info.height,
        )
        try:
            self.repository.add(record)
        except DuplicateImage:
            # Someone else stored the same bytes a moment ago: keep theirs, drop our copy.
            self.storage.delete(key)
            winner = self.repository.by_hash(digest)
            if winner is None:
                raise
            return Added(winner, created=False)
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
                mb = 1024 * 1024
                raise InvalidImage(
                    f"the file is {size / mb:.1f} MB, over the {self.limits.max_bytes / mb:.1f} MB "
                    "limit for one photo"
                )
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
            existing.thumbnail_key = None
            existing.status, existing.error = Status.PENDING, None
            return Registered(self.repository.update(existing), "changed")
        record = ImageRecord(
            id=uuid.uuid4().hex,
            content_hash=digest,
            storage_key=key,
            filename=clean_filename(filename, info.extension),
            content_type=info.content_type,
            size_bytes=len(data),
            width=info.width,
            height=info.height,
            source_etag=etag,
        )
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
            if existing.vector_count:
                self.index.delete([vector_id(existing.id, n) for n in range(existing.vector_count)])
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
        """Thumbnail, describe, embed and index a stored image; a failure is recorded, not lost.

        Returns the image as it ends up (indexed, or failed with its error). An image another
        worker is already processing is returned unchanged.
        """
        record = self.repository.claim(image_id)
        if record is None:
            current = self.repository.get(image_id)
            if current is None:
                raise NotFound(image_id)
            return current
        try:
            self._process(record)
        except Exception as exc:  # every failure is kept on the image, to be retried
            log.warning("ingest of %s (%s) failed: %s", record.id, record.filename, exc, exc_info=True)
            record.status = Status.FAILED
            record.error = describe_error(exc)
            return self.repository.update(record)
        return record

    def _process(self, record: ImageRecord) -> None:
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
        self.repository.update(record)  # the description is kept even if embedding fails below
        self._index(record)
        record.status = Status.INDEXED
        record.error = None
        record.indexed_at = datetime.now(UTC)
        self.repository.update(record)

    def _index(self, record: ImageRecord) -> None:
        chunks = description_chunks(record.description or "", self.embedder.max_chars)
        vectors = self.embedder.embed_documents(chunks) if chunks else []
        records = [
            VectorRecord(vector_id(record.id, n), record.id, n, values, self.embedder.name)
            for n, values in enumerate(vectors)
        ]
        self.index.upsert(records)
        stale = [vector_id(record.id, n) for n in range(len(records), record.vector_count)]
        self.index.delete(stale)
        record.vector_count = len(records)
        record.embedder = self.embedder.name

    # ------------------------------------------------------------------ retry, delete, reindex

    def retry(self, image_id: str) -> ImageRecord:
        """Process a failed (or pending) image again."""
        return self.process(image_id)

    def delete(self, image_id: str) -> ImageRecord:
        """Remove an image's vectors, files and row, in that order, so search never shows a ghost."""
        record = self.repository.get(image_id)
        if record is None:
            raise NotFound(image_id)
        self.index.delete([vector_id(record.id, n) for n in range(max(record.vector_count, 1))])
        for key in (record.thumbnail_key, record.storage_key):
            if key:
                self.storage.delete(key)
        self.repository.delete(image_id)
        return record

    def reindex(self, progress: Callable[[int], None] | None = None, batch_size: int = 64) -> int:
        """Rebuild every vector from the stored descriptions; returns how many images were indexed."""
        done = 0
        for batch in self.repository.iter_described(batch_size):
            texts: list[str] = []
            owners: list[tuple[ImageRecord, int]] = []
            for record in batch:
                chunks = description_chunks(record.description or "", self.embedder.max_chars)
                owners.extend((record, n) for n in range(len(chunks)))
                texts.extend(chunks)
            vectors = self.embedder.embed_documents(texts) if texts else []
            by_image: dict[str, list[VectorRecord]] = {}
            for (record, n), values in zip(owners, vectors, strict=True):
                by_image.setdefault(record.id, []).append(
                    VectorRecord(vector_id(record.id, n), record.id, n, values, self.embedder.name)
                )
            self.index.upsert([v for vs in by_image.values() for v in vs])
            now = datetime.now(UTC)
            for record in batch:
                fresh = len(by_image.get(record.id, []))
                self.index.delete([vector_id(record.id, n) for n in range(fresh, record.vector_count)])
                record.vector_count = fresh
                record.embedder = self.embedder.name
                if record.status in (Status.FAILED, Status.PENDING) and fresh:
                    record.status, record.error = Status.INDEXED, None
                if record.status == Status.INDEXED:
                    record.indexed_at = now
                self.repository.update(record)
            done += len(batch)
            if progress:
                progress(len(batch))
        return done


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
