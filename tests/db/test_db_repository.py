"""SqlImageRepository: the same behaviour on SQLite and on PostgreSQL (pg8000), migrations included."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, update

from imgsearch.db.migrate import HEAD, current_revision, upgrade
from imgsearch.db.repository import SqlImageRepository
from imgsearch.db.schema import ImageRow
from imgsearch.errors import DuplicateImage
from imgsearch.models import ImageRecord, Status

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def repo(engine) -> SqlImageRepository:
    upgrade(engine)
    return SqlImageRepository(engine)


def image(n: int, **changes) -> ImageRecord:
    values = {
        "id": f"{n:032x}",
        "content_hash": hashlib.sha256(str(n).encode()).hexdigest(),
        "storage_key": f"originals/{n:032x}.jpg",
        "filename": f"photo {n}.jpg",
        "content_type": "image/jpeg",
        "size_bytes": 1000 + n,
        "width": 640,
        "height": 480,
        "created_at": T0 + timedelta(minutes=n),
    }
    return ImageRecord(**{**values, **changes})


def test_migrations_build_the_schema_once(engine):
    assert current_revision(engine) is None

    upgrade(engine)
    upgrade(engine)  # a second start is a no-op

    assert current_revision(engine) == HEAD
    inspector = inspect(engine)
    assert {"images", "alembic_version"} <= set(inspector.get_table_names())
    unique = {tuple(c["column_names"]) for c in inspector.get_unique_constraints("images")}
    assert {("owner_id", "content_hash"), ("storage_key",)} <= unique  # the same bytes once per owner
    assert {i["name"] for i in inspector.get_indexes("images")} >= {
        "ix_images_status",
        "ix_images_created_at",
    }


def test_a_record_round_trips_every_field(repo):
    record = image(
        1,
        description="Sunset over the harbour.\nKeywords: sea, boats.",
        details={
            "captions": ["Sunset — Honfleur"],
            "gps": {"latitude": 49.42, "longitude": 0.23},
            "frames": 3,
        },
        taken_at=datetime(2024, 7, 14, 18, 3),
        thumbnail_key="thumbnails/1.jpg",
        vector_count=3,
        embedder="local:all-MiniLM-L6-v2",
        source_etag="b1946ac92492d2347c6235b4d2611184",
    )
    repo.add(record)

    got = repo.get(record.id)

    assert got == record
    assert got.created_at == T0 + timedelta(minutes=1) and got.created_at.tzinfo is not None
    assert got.details["captions"] == ["Sunset — Honfleur"]
    assert repo.get("0" * 32) is None


def test_lookups_by_hash_key_and_many_ids(repo):
    for n in range(3):
        repo.add(image(n))
    assert repo.by_hash(image(1).content_hash).id == image(1).id
    assert repo.by_key(image(2).storage_key).id == image(2).id
    assert repo.by_hash("f" * 64) is None and repo.by_key("originals/none.jpg") is None
    assert set(repo.get_many([image(0).id, image(2).id, "missing"])) == {image(0).id, image(2).id}
    assert repo.get_many([]) == {}


@pytest.mark.parametrize(
    "clash",
    [
        {"id": "f" * 32, "storage_key": "originals/other.jpg"},  # same content hash
        {"id": "f" * 32, "content_hash": "e" * 64},  # same storage key
    ],
)
def test_a_unique_constraint_violation_is_a_duplicate_image(repo, clash):
    repo.add(image(1))
    with pytest.raises(DuplicateImage):
        repo.add(image(1, **clash))
    assert repo.count() == 1
    assert repo.get("f" * 32) is None


def test_update_changes_what_is_stored(repo):
    record = repo.add(image(1))
    record.status = Status.INDEXED
    record.description = "A red door."
    record.details = {"colours": ["red"]}
    record.vector_count = 2
    record.indexed_at = T0

    repo.update(record)

    got = repo.get(record.id)
    assert (got.status, got.description, got.details, got.vector_count) == (
        Status.INDEXED,
        "A red door.",
        {"colours": ["red"]},
        2,
    )
    assert got.indexed_at == T0 and got.updated_at > got.created_at


def test_claim_moves_pending_and_failed_images_to_processing_once(repo):
    pending = repo.add(image(1))
    failed = repo.add(image(2, status=Status.FAILED, error="ThrottlingException"))
    indexed = repo.add(image(3, status=Status.INDEXED))

    claimed = repo.claim(pending.id)
    assert (claimed.status, claimed.attempts) == (Status.PROCESSING, 1)
    assert repo.claim(pending.id) is None  # someone has it
    retried = repo.claim(failed.id)
    assert (retried.status, retried.error, retried.attempts) == (Status.PROCESSING, None, 1)
    assert repo.claim(indexed.id) is None
    assert repo.claim("0" * 32) is None


def test_claim_takes_over_processing_that_went_stale(repo, engine):
    record = repo.add(image(1))
    repo.claim(record.id)
    with engine.begin() as conn:
        conn.execute(update(ImageRow).values(updated_at=datetime.now(UTC) - timedelta(hours=1)))

    again = repo.claim(record.id)

    assert (again.status, again.attempts) == (Status.PROCESSING, 2)


def test_only_one_of_many_concurrent_claims_wins(repo):
    record = repo.add(image(1))
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: repo.claim(record.id), range(6)))
    assert len([r for r in results if r is not None]) == 1
    assert repo.get(record.id).attempts == 1


def test_list_is_newest_first_paged_and_filtered(repo):
    for n in range(5):
        repo.add(image(n, status=Status.INDEXED if n % 2 else Status.PENDING))
    repo.add(image(9, created_at=T0 + timedelta(minutes=4)))  # same time as 4: the id breaks the tie

    assert [r.id for r in repo.list()] == [image(n).id for n in (9, 4, 3, 2, 1, 0)]
    assert [r.id for r in repo.list(offset=1, limit=2)] == [image(4).id, image(3).id]
    assert [r.id for r in repo.list(status=Status.INDEXED)] == [image(3).id, image(1).id]
    assert (repo.count(), repo.count(Status.INDEXED), repo.count(Status.FAILED)) == (6, 2, 0)
    assert repo.ids_with_status([Status.PENDING]) == [image(n).id for n in (0, 2, 4, 9)]


def test_iter_described_pages_through_described_images_in_id_order(repo):
    for n in range(7):
        repo.add(image(n, description=f"photo {n}" if n != 3 else None))

    batches = list(repo.iter_described(batch_size=2))

    assert [len(b) for b in batches] == [2, 2, 2]
    assert [r.id for b in batches for r in b] == [image(n).id for n in (0, 1, 2, 4, 5, 6)]


def test_delete_removes_the_row(repo):
    record = repo.add(image(1))
    assert repo.delete(record.id) is True
    assert repo.delete(record.id) is False
    assert repo.get(record.id) is None and repo.count() == 0
