"""Ingest: validate, store, thumbnail, describe, record, embed, index; and delete, retry, reindex."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePath

from imgsearch import metadata
from imgsearch.errors import DuplicateImage, InvalidImage, NotFound
from imgsearch.models import ImageRecord, Status, VectorRecord, vector_id
from imgsearch.photos import make_thumbnail, validate_photo
from imgsearch.pipeline.chunks import description_chunks
from imgsearch.ports import Describer, Embedder, ImageRepository, Storage, VectorIndex

log = logging.getLogger(__name__)

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
        data = self.storage.get(record.storage_key)
        if record.thumbnail_key is None:
            thumb_key = f"{self.thumbnails_prefix}{record.id}.jpg"
            self.storage.put(thumb_key, make_thumbnail(data, self.limits.thumbnail_px), "image/jpeg")
            record.thumbnail_key = thumb_key
        facts = metadata.extract_facts(data)
        seen = self.describer.describe(data, facts)
        lines = metadata.caption_sentences(facts) + [seen.text] + metadata.fact_sentences(facts)
        record.description = "\n".join(line for line in lines if line and line.strip())
        record.details = {**facts, **seen.details, "describer": self.describer.name}
        record.taken_at = metadata.taken_at(facts)
        self.repository.update(record)  # the description is kept even if embedding fails below
        self._index(record)
        record.status = Status.INDEXED
        record.error = None
        record.indexed_at = datetime.now(timezone.utc)
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
            now = datetime.now(timezone.utc)
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
