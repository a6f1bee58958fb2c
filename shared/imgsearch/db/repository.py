"""Image rows through SQLAlchemy: the same code on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from imgsearch.db.schema import FacetRow, ImageRow
from imgsearch.db.search import SearchQueries
from imgsearch.errors import DuplicateImage, LeaseLost, NotFound
from imgsearch.models import LOCAL_OWNER, ImageRecord, Status

DEFAULT_LEASE = timedelta(minutes=5)
FACET_KINDS = {"label": "labels", "colour": "colours"}  # facet kind -> ImageRecord list field


class SqlImageRepository(SearchQueries):
    """ImageRepository over a SQLAlchemy engine (its search queries are in imgsearch.db.search).

    It sees one owner's images: every query carries the owner, so another owner's image is as
    absent as one that does not exist. owner=None sees every owner's, for the ingest worker's
    sweeps only (see waiting and release_abandoned).
    """

    def __init__(
        self,
        engine: Engine,
        lease: timedelta = DEFAULT_LEASE,
        owner: str | None = LOCAL_OWNER,
        worker: str | None = None,
    ) -> None:
        """lease: how long a claim holds before a silent worker's image counts as stuck; worker:
        this process's mark, written on the images it claims (see imgsearch.liveness)."""
        self.engine = engine
        self.lease = lease
        self.owner = owner
        self.worker = worker
        self._session = sessionmaker(engine, expire_on_commit=False)

    def for_owner(self, owner: str) -> SqlImageRepository:
        """The same database, seen by another owner."""
        if owner == self.owner:
            return self
        other = SqlImageRepository.__new__(SqlImageRepository)
        other.__dict__.update(self.__dict__)
        other.owner = owner
        return other

    def _mine(self, led_elsewhere: bool = False) -> list:
        """The condition that keeps a query to this repository's owner.

        led_elsewhere: a list of ids or a full-text match should lead the query. The owner's index
        selects nearly every row of a one-person library, but SQLite, without statistics, takes an
        equality on an indexed column for a narrow one and would walk that index instead (100 ms
        rather than 1 for twenty ids among 100,000 photos); owner_id || '' is the same test out of
        the planner's reach.
        """
        if self.owner is None:
            return []
        owner = ImageRow.owner_id + "" if led_elsewhere else ImageRow.owner_id
        return [owner == self.owner]

    def _own(self, record: ImageRecord) -> None:
        if self.owner is not None:
            record.owner_id = self.owner

    def add(self, record: ImageRecord) -> ImageRecord:
        """Insert a new image; raises DuplicateImage if its hash (for this owner) or key is taken."""
        self._own(record)
        now = _now()
        record.created_at = record.created_at or now
        record.updated_at = now
        try:
            with self._session.begin() as session:
                session.add(_to_row(record))
                session.flush()
                _write_facets(session, record)
        except IntegrityError as exc:
            raise DuplicateImage(str(exc.orig)) from None
        return record

    def get(self, image_id: str) -> ImageRecord | None:
        return self._one(ImageRow.id == image_id)

    def get_many(self, image_ids: Sequence[str]) -> dict[str, ImageRecord]:
        if not image_ids:
            return {}
        with self._session() as session:
            query = select(ImageRow).where(ImageRow.id.in_(list(image_ids)), *self._mine(led_elsewhere=True))
            rows = list(session.scalars(query))
            return {r.id: r for r in _records(session, rows)}

    def by_hash(self, content_hash: str) -> ImageRecord | None:
        return self._one(ImageRow.content_hash == content_hash)

    def by_key(self, storage_key: str) -> ImageRecord | None:
        return self._one(ImageRow.storage_key == storage_key)

    def update(self, record: ImageRecord, lease: int | None = None) -> ImageRecord:
        """Write a record back; never re-creates a deleted row.

        With lease (the attempts number of a claim), the write happens only while that claim holds.
        Raises NotFound (no such row), LeaseLost (the claim ended) or DuplicateImage.
        """
        self._own(record)
        record.updated_at = _now()
        values = _to_row_values(record)
        query = update(ImageRow).where(ImageRow.id == record.id, *self._mine())
        if lease is not None:
            query = query.where(ImageRow.status == Status.PROCESSING.value, ImageRow.attempts == lease)
        try:
            with self._session.begin() as session:
                changed = session.execute(query.values(**values)).rowcount
                if changed == 1:
                    session.execute(delete(FacetRow).where(FacetRow.image_id == record.id))
                    _write_facets(session, record)
        except IntegrityError as exc:
            raise DuplicateImage(str(exc.orig)) from None
        if changed != 1:
            if lease is not None:
                raise LeaseLost(f"image {record.id} is no longer held by this worker")
            raise NotFound(f"no image with id {record.id}")
        return record

    def requeue(self, image_id: str, again: bool = False) -> ImageRecord | None:
        """Mark a failed or stuck (processing past its lease) image pending; None if it is neither.

        With again, an indexed image is marked pending too (to be described again; its vectors stay).
        """
        condition = self._failed_or_stuck()
        if again:
            condition = or_(condition, ImageRow.status == Status.INDEXED.value)
        with self._session.begin() as session:
            changed = session.execute(
                update(ImageRow)
                .where(ImageRow.id == image_id, *self._mine())
                .where(condition)
                .values(status=Status.PENDING.value, error=None, updated_at=_now())
            ).rowcount
            if changed != 1:
                return None
            row = session.get(ImageRow, image_id)
            return _records(session, [row])[0] if row else None

    def record_vectors(self, image_id: str, count: int, embedder: str) -> None:
        """Note an image's fresh vectors (reindex), touching nothing else of the row."""
        with self._session.begin() as session:
            session.execute(
                update(ImageRow)
                .where(ImageRow.id == image_id, *self._mine())
                .values(vector_count=count, embedder=embedder, indexed_at=_now(), updated_at=_now())
            )

    def _failed_or_stuck(self):
        return or_(
            ImageRow.status == Status.FAILED.value,
            (ImageRow.status == Status.PROCESSING.value) & (ImageRow.updated_at < _now() - self.lease),
        )

    def claim(self, image_id: str, again: bool = False) -> ImageRecord | None:
        """Atomically move an image to processing if it is pending, failed, or stuck processing.

        With again, an indexed image is claimed too (to describe it again).
        """
        now = _now()
        claimable = [ImageRow.status == Status.PENDING.value, self._failed_or_stuck()]
        if again:
            claimable.append(ImageRow.status == Status.INDEXED.value)
        with self._session.begin() as session:
            result = session.execute(
                update(ImageRow)
                .where(ImageRow.id == image_id, *self._mine())
                .where(or_(*claimable))
                .values(
                    status=Status.PROCESSING.value,
                    attempts=ImageRow.attempts + 1,
                    updated_at=now,
                    error=None,
                    worker=self.worker,
                )
            )
            if result.rowcount != 1:
                return None
            row = session.get(ImageRow, image_id)
            return _records(session, [row])[0] if row else None

    def delete(self, image_id: str) -> bool:
        with self._session.begin() as session:
            result = session.execute(delete(ImageRow).where(ImageRow.id == image_id, *self._mine()))
            if result.rowcount:
                session.execute(delete(FacetRow).where(FacetRow.image_id == image_id))
            return result.rowcount > 0

    def list(
        self, offset: int = 0, limit: int = 50, status: Status | None = None, by_date_taken: bool = False
    ) -> list[ImageRecord]:
        """Newest first: by when added, or (by_date_taken) by when taken, falling back to when added."""
        newest = shown_at().desc() if by_date_taken else ImageRow.created_at.desc()
        query = select(ImageRow).where(*self._mine()).order_by(newest, ImageRow.id.desc())
        if status is not None:
            query = query.where(ImageRow.status == status.value)
        with self._session() as session:
            return _records(session, list(session.scalars(query.offset(offset).limit(limit))))

    def count(self, status: Status | None = None) -> int:
        query = select(func.count()).select_from(ImageRow).where(*self._mine())
        if status is not None:
            query = query.where(ImageRow.status == status.value)
        with self._session() as session:
            return int(session.scalar(query) or 0)

    def neighbours(self, record: ImageRecord) -> tuple[str | None, str | None]:
        """The ids of the photos just newer and just older than this one in the gallery's order."""
        when, key = shown_at(), record.taken_at or record.created_at
        if key is None:
            return None, None
        newer = or_(when > key, (when == key) & (ImageRow.id > record.id))
        older = or_(when < key, (when == key) & (ImageRow.id < record.id))
        first = select(ImageRow.id).where(*self._mine()).limit(1)
        with self._session() as session:
            first_newer = first.where(newer).order_by(when.asc(), ImageRow.id.asc())
            first_older = first.where(older).order_by(when.desc(), ImageRow.id.desc())
            return session.scalar(first_newer), session.scalar(first_older)

    def count_outdated(self, describer: str) -> int:
        """Indexed images that another describer (or an earlier version of this one) described."""
        described_by = ImageRow.details["describer"].as_string()
        query = (
            select(func.count())
            .select_from(ImageRow)
            .where(ImageRow.status == Status.INDEXED.value, *self._mine())
            .where(or_(described_by.is_(None), described_by != describer))
        )
        with self._session() as session:
            return int(session.scalar(query) or 0)

    def ids_with_status(self, statuses: Iterable[Status]) -> list[str]:
        values = [s.value for s in statuses]
        with self._session() as session:
            query = (
                select(ImageRow.id)
                .where(ImageRow.status.in_(values), *self._mine())
                .order_by(ImageRow.created_at)
            )
            return list(session.scalars(query))

    def waiting(self) -> list[tuple[str, str]]:
        """(owner, image id) of every pending or processing image, oldest first (the worker's sweep)."""
        statuses = [Status.PENDING.value, Status.PROCESSING.value]
        query = (
            select(ImageRow.owner_id, ImageRow.id)
            .where(ImageRow.status.in_(statuses), *self._mine())
            .order_by(ImageRow.created_at)
        )
        with self._session() as session:
            return [(owner, image_id) for owner, image_id in session.execute(query)]

    def release_abandoned(self, alive: Callable[[str], bool]) -> int:
        """Put back to pending the images held by a process that is no longer running; how many.

        alive(worker) says whether the process that wrote that mark still runs. Its claim ends at
        once, rather than when its lease runs out.
        """
        held = select(ImageRow.worker).where(
            ImageRow.status == Status.PROCESSING.value, ImageRow.worker.is_not(None), *self._mine()
        )
        with self._session() as session:
            marks = set(session.scalars(held.distinct()))
        dead = [mark for mark in marks if not alive(mark)]
        if not dead:
            return 0
        with self._session.begin() as session:
            return session.execute(
                update(ImageRow)
                .where(ImageRow.status == Status.PROCESSING.value, ImageRow.worker.in_(dead), *self._mine())
                .values(status=Status.PENDING.value, worker=None, updated_at=_now())
            ).rowcount

    def iter_described(self, batch_size: int = 100) -> Iterator[list[ImageRecord]]:
        """Every image that has a description, in id order, a batch at a time (keyset paging)."""
        return self._batches(batch_size, ImageRow.description.is_not(None))

    def iter_all(self, batch_size: int = 100) -> Iterator[list[ImageRecord]]:
        """Every image, in id order, a batch at a time."""
        return self._batches(batch_size)

    def _batches(self, batch_size: int, *conditions) -> Iterator[list[ImageRecord]]:
        last = ""
        while True:
            with self._session() as session:
                rows = list(
                    session.scalars(
                        select(ImageRow)
                        .where(*conditions, *self._mine(), ImageRow.id > last)
                        .order_by(ImageRow.id)
                        .limit(batch_size)
                    )
                )
                records = _records(session, rows)
            if not rows:
                return
            yield records
            last = rows[-1].id

    def _one(self, condition) -> ImageRecord | None:
        with self._session() as session:
            row = session.scalars(select(ImageRow).where(condition, *self._mine())).first()
            return _records(session, [row])[0] if row else None


def shown_at():
    """When a photo was taken, or else when it was added: what the gallery sorts and groups by."""
    return func.coalesce(ImageRow.taken_at, ImageRow.created_at)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


_FIELDS = [
    "id",
    "owner_id",
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
    "camera",
    "people",
    "has_text",
    "phash",
    "duplicate_group",
]


def search_text(record: ImageRecord) -> str:
    """What keyword search reads for an image: its description, file name and labels."""
    from imgsearch.pipeline.chunks import searchable_lines

    parts = [
        "\n".join(searchable_lines(record.description or "")),
        record.filename or "",
        " ".join(record.labels),
    ]
    return "\n".join(p for p in parts if p)


def facet_rows(record: ImageRecord) -> list[dict]:
    """The image_facets rows for a record's labels and colours."""
    rows = []
    for kind, attribute in FACET_KINDS.items():
        values = dict.fromkeys(value[:64] for value in getattr(record, attribute))
        for position, value in enumerate(values):
            rows.append({"image_id": record.id, "kind": kind, "value": value, "position": position})
    return rows


def _write_facets(session: Session, record: ImageRecord) -> None:
    rows = facet_rows(record)
    if rows:
        session.execute(insert(FacetRow), rows)


def _to_row_values(record: ImageRecord) -> dict:
    values = {name: getattr(record, name) for name in _FIELDS}
    values["details"] = values["details"] or {}
    values["status"] = record.status.value
    values["search_text"] = search_text(record)
    return values


def _to_row(record: ImageRecord) -> ImageRow:
    return ImageRow(**_to_row_values(record))


def _records(session: Session, rows: list[ImageRow]) -> list[ImageRecord]:
    """Records for rows, with their facets (one query for all of them)."""
    records = [_to_record(row) for row in rows]
    if not records:
        return records
    by_id = {r.id: r for r in records}
    facets = session.execute(
        select(FacetRow.image_id, FacetRow.kind, FacetRow.value)
        .where(FacetRow.image_id.in_(list(by_id)))
        .order_by(FacetRow.image_id, FacetRow.kind, FacetRow.position)
    )
    for image_id, kind, value in facets:
        getattr(by_id[image_id], FACET_KINDS.get(kind, "labels")).append(value)
    return records


def _to_record(row: ImageRow) -> ImageRecord:
    values = {name: getattr(row, name) for name in _FIELDS}
    for name in ("created_at", "updated_at", "indexed_at"):
        values[name] = _aware(values[name])
    values["details"] = dict(values["details"] or {})
    values["has_text"] = bool(values["has_text"])
    return ImageRecord(status=Status(row.status), **values)
