"""Adding photos: validate, hash, store the original, record it as pending (or record an S3 upload)."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from imgsearch.errors import DuplicateImage, InvalidImage, describe_error
from imgsearch.models import ImageRecord, Status

# Pillow (imgsearch.photos) is imported where photos are read, not here: the web Lambda deletes and
# lists images through this service without ever decoding one.

# Set in an image's details when its upload was refused and deleted: the row is all that is left.
ORIGINAL_DELETED = "original_deleted"


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
    upload was deleted) or "invalid" (not a photo we take: the upload was deleted and the row is
    failed with the reason).
    """

    image: ImageRecord
    outcome: str

    @property
    def needs_processing(self) -> bool:
        """Whether the image still has to be described and indexed."""
        return self.outcome in ("new", "changed", "unchanged") and self.image.status != Status.INDEXED


class AddPhotos:
    """The part of IngestService that puts photos into the library (see IngestService for the fields)."""

    def add(self, data: bytes, filename: str) -> Added:
        """Validate and store a photo and record it as pending.

        Raises InvalidImage (with a message for people) and stores nothing if the file is refused.
        The same bytes added again give back the existing image, with created=False.
        """
        info = self._validate(data)
        digest = hashlib.sha256(data).hexdigest()
        existing = self.repository.by_hash(digest)
        if existing:
            return Added(existing, created=False)
        image_id = uuid.uuid4().hex
        key = self.original_key(image_id, info.extension)
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
        take give a failed row with the reason, never an exception, since retrying cannot help; the
        upload itself is deleted, so the bucket never serves a file that is not a photo.
        size is the object's full size when data is only its beginning (an object too large to read).
        """
        existing = self.repository.by_key(key)
        digest = hashlib.sha256(data).hexdigest()
        try:
            if size is not None and size > len(data) and size > self.limits.max_bytes:
                raise InvalidImage.too_large(size, self.limits.max_bytes)
            info = self._validate(data)
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
            self._forget_derived(existing)
            existing.description, existing.details = None, {}
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

    def _validate(self, data: bytes):
        from imgsearch.photos import validate_photo

        return validate_photo(
            data,
            max_bytes=self.limits.max_bytes,
            max_pixels=self.limits.max_pixels,
            allowed_formats=self.limits.allowed_formats,
        )

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
            self._forget_derived(record)
        record.content_hash = digest
        record.size_bytes = max(size or 0, len(data))
        record.source_etag = etag
        record.status = Status.FAILED
        record.error = describe_error(exc)
        # The row stays, to tell the uploader why; the file goes (reconcile knows it went on purpose).
        record.details = {**record.details, ORIGINAL_DELETED: True}
        try:
            saved = self.repository.update(record) if existing else self.repository.add(record)
        except DuplicateImage:  # the same unusable bytes under another key
            self.storage.delete(key)
            winner = self.repository.by_hash(digest)
            if winner is None:
                raise
            return Registered(winner, "duplicate")
        self.storage.delete(key)
        return Registered(saved, "invalid")

    def forget_stored(self, key: str) -> tuple[str, ImageRecord | None]:
        """Forget an object deleted from storage: its vectors, thumbnail and row.

        Returns the outcome ("deleted", "not recorded", "exists again" when the key was uploaded
        again since, or "refused upload" when we deleted it ourselves and keep the row to say why)
        and the image it concerned.
        """
        image = self.repository.by_key(key)
        if image is None:
            return "not recorded", None
        if image.details.get(ORIGINAL_DELETED):
            return "refused upload", image
        if self.storage.exists(key):
            return "exists again", image
        self.delete(image.id)
        return "deleted", image


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
    """The original file name (see file_name), or upload.EXTENSION when it has none."""
    return file_name(name) or f"upload.{extension}"


def file_name(name: str | None) -> str:
    """The name a file was sent with, without its folders, printable, at most 255 characters.

    A path loses its folders ("C:\\photos\\cat.jpg" is cat.jpg), but a slash in a name that is not
    a path stays: "<script>x</script>.jpg" is kept whole (and shown escaped). A name of dots
    alone ("..") is no name: "" is returned for it, as for an empty one.
    """
    text = "".join(ch for ch in (name or "") if ch.isprintable()).strip()
    parts = re.split(r"[\\/]", text)
    if len(parts) > 1 and not any("<" in p or ">" in p for p in parts[:-1]):
        text = parts[-1].strip()
    if not text.strip(". "):
        return ""
    return text[-255:]
