"""Image rows through SQLAlchemy: the same code on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from imgsearch.db.schema import ImageRow
from imgsearch.errors import DuplicateImage
from imgsearch.models import ImageRecord, Status

STALE_AFTER = timedelta(minutes=15)


class SqlImageRepository:
    """ImageRepository over a SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    def add(self, record: ImageRecord) -> ImageRecord:
        """Insert a new image; raises DuplicateImage if its hash or key is taken."""
        now = _now()
        record.created_at = record.created_at or now
        record.updated_at = now
        try:
            with self._session.begin() as session:
                session.add(_to_row(record))
        except IntegrityError as exc:
            raise DuplicateImage(str(exc.orig)) from None
        return record

    def get(self, image_id: str) -> ImageRecord | None:
        with self._session() as session:
            row = session.get(ImageRow, image_id)
            return _to_record(row) if row else None

    def get_many(self, image_ids: Sequence[str]) -> dict[str, ImageRecord]:
        if not image_ids:
            return {}
        with self._session() as session:
            rows = session.scalars(select(ImageRow).where(ImageRow.id.in_(list(image_ids))))
            return {row.id: _to_record(row) for row in rows}

    def by_hash(self, content_hash: str) -> ImageRecord | None:
        return self._one(ImageRow.content_hash == content_hash)

    def by_key(self, storage_key: str) -> ImageRecord | None:
        return self._one(ImageRow.storage_key == storage_key)

    def update(self, record: ImageRecord) -> ImageRecord:
        record.updated_at = _now()
        with self._session.begin() as session:
            session.merge(_to_row(record))
        return record

    def claim(self, image_id: str) -> ImageRecord | None:
        """Atomically move an image to processing if it is pending, failed, or stuck processing."""
        now = _now()
        stale = now - STALE_AFTER
        with self._session.begin() as session:
            result = session.execute(
                update(ImageRow)
                .where(ImageRow.id == image_id)
                .where(
                    or_(
                        ImageRow.status.in_([Status.PENDING.value, Status.FAILED.value]),
                        (ImageRow.status == Status.PROCESSING.value) & (ImageRow.updated_at < stale),
                    )
                )
                .values(
                    status=Status.PROCESSING.value,
                    attempts=ImageRow.attempts + 1,
                    updated_at=now,
                    error=None,
                )
            )
            if result.rowcount != 1:
                return None
            row = session.get(ImageRow, image_id)
            return _to_record(row) if row else None

    def delete(self, image_id: str) -> bool:
        with self._session.begin() as session:
            result = session.execute(delete(ImageRow).where(ImageRow.id == image_id))
            return result.rowcount > 0

    def list(self, offset: int = 0, limit: int = 50, status: Status | None = None) -> list[ImageRecord]:
        query = select(ImageRow).order_by(ImageRow.created_at.desc(), ImageRow.id.desc())
        if status is not None:
            query = query.where(ImageRow.status == status.value)
        with self._session() as session:
            return [_to_record(r) for r in session.scalars(query.offset(offset).limit(limit))]

    def count(self, status: Status | None = None) -> int:
        query = select(func.count()).select_from(ImageRow)
        if status is not None:
            query = query.where(ImageRow.status == status.value)
        with self._session() as session:
            return int(session.scalar(query) or 0)

    def ids_with_status(self, statuses: Iterable[Status]) -> list[str]:
        values = [s.value for s in statuses]
        with self._session() as session:
            query = select(ImageRow.id).where(ImageRow.status.in_(values)).order_by(ImageRow.created_at)
            return list(session.scalars(query))

    def iter_described(self, batch_size: int = 100) -> Iterator[list[ImageRecord]]:
        """Every image that has a description, in id order, a batch at a time (keyset paging)."""
        last = ""
        while True:
            with self._session() as session:
                rows = list(
                    session.scalars(
                        select(ImageRow)
                        .where(ImageRow.description.is_not(None), ImageRow.id > last)
                        .order_by(ImageRow.id)
                        .limit(batch_size)
                    )
                )
            if not rows:
                return
            yield [_to_record(r) for r in rows]
            last = rows[-1].id

    def _one(self, condition) -> ImageRecord | None:
        with self._session() as session:
            row = session.scalars(select(ImageRow).where(condition)).first()
            return _to_record(row) if row else None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


_FIELDS = [
    "id",
    "content_hash",
    "storage_key",
    "thumbnail_key",
    "filename",
    "content_type",
    "size_bytes",
    "width",
    "height",
    "error",
    "description",
    "details",
    "taken_at",
    "vector_count",
    "embedder",
    "source_etag",
    "attempts",
    "created_at",
    "updated_at",
    "indexed_at",
]


def _to_row(record: ImageRecord) -> ImageRow:
    values = {name: getattr(record, name) for name in _FIELDS}
    values["details"] = values["details"] or {}
    return ImageRow(status=record.status.value, **values)


def _to_record(row: ImageRow) -> ImageRecord:
    values = {name: getattr(row, name) for name in _FIELDS}
    for name in ("created_at", "updated_at", "indexed_at"):
        values[name] = _aware(values[name])
    values["details"] = dict(values["details"] or {})
    return ImageRecord(status=Status(row.status), **values)
