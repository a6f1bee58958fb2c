"""Accounts in the metadata database, on SQLite and PostgreSQL: the migration that adopts existing
photos, owner-scoped image rows, users and tokens, and the rate and quota counters."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from db.test_db_repository import T0, image

from imgsearch.accounts import Accounts
from imgsearch.db.accounts import SqlAccountStore
from imgsearch.db.limits import SqlRates, SqlUsage
from imgsearch.db.migrate import HEAD, MIGRATIONS, upgrade
from imgsearch.db.repository import SqlImageRepository
from imgsearch.errors import DuplicateImage
from imgsearch.limits import Allowances, LimitReached, Limits
from imgsearch.models import LOCAL_OWNER, SearchFilters, Status

PASSWORD = "correct horse battery staple"


def migrate_to(engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_existing_photos_are_adopted_by_the_first_account_with_nothing_lost(engine):
    # GIVEN a single-user library at the previous revision, with photos described and searchable
    migrate_to(engine, "0002")
    rows = [
        {
            "id": f"{n:032x}",
            "content_hash": f"{n:064x}",
            "storage_key": f"originals/{n:032x}.jpg",
            "thumbnail_key": f"thumbnails/{n:032x}.jpg",
            "filename": name,
            "content_type": "image/jpeg",
            "size_bytes": 1000 + n,
            "width": 640,
            "height": 480,
            "status": "indexed",
            "description": description,
            "details": {"describer": "local/2", "labels": [{"name": "boat", "score": 0.9}]},
            "vector_count": 1,
            "attempts": 1,
            "created_at": T0,
            "updated_at": T0,
            "has_text": False,
            "search_text": f"{description}\n{name}",
        }
        for n, name, description in [
            (1, "harbour.jpg", "Fishing boats in the harbour at dawn"),
            (2, "cake.jpg", "A birthday cake with candles"),
        ]
    ]
    images = sa.table("images", *(sa.column(k) for k in rows[0]), sa.column("details", sa.JSON))
    with engine.begin() as conn:
        conn.execute(images.insert(), rows)

    # WHEN the schema is brought up to date, and the first account is created
    upgrade(engine)
    accounts = Accounts(SqlAccountStore(engine))
    alice = accounts.add_user("Alice", PASSWORD)
    bob = accounts.add_user("bob", PASSWORD)

    # THEN every photo is alice's, whole, still found by keyword; bob's library is empty
    assert alice.id == LOCAL_OWNER and alice.name == "alice"
    assert bob.id != LOCAL_OWNER and len(bob.id) == 32
    mine = SqlImageRepository(engine).for_owner(alice.id)
    theirs = mine.for_owner(bob.id)
    assert mine.count() == 2 and theirs.count() == 0
    harbour = mine.get(f"{1:032x}")
    assert (harbour.filename, harbour.storage_key, harbour.status) == (
        "harbour.jpg",
        f"originals/{1:032x}.jpg",
        Status.INDEXED,
    )
    assert harbour.details["describer"] == "local/2" and harbour.owner_id == LOCAL_OWNER
    assert set(mine.keyword_search([("boats",)]).matched) == {f"{1:032x}"}
    assert theirs.keyword_search([("boats",)]).matched == {}
    assert theirs.get(f"{1:032x}") is None


def test_owners_see_only_their_own_rows(engine):
    upgrade(engine)
    alice = SqlImageRepository(engine).for_owner("a" * 32)
    bob = alice.for_owner("b" * 32)
    alice.add(image(1, description="a red kite over the hill", status=Status.INDEXED, vector_count=1))
    alice.add(image(2, status=Status.FAILED, error="broken"))
    bob.add(image(3, content_hash=image(1).content_hash, status=Status.INDEXED, vector_count=1))  # same bytes

    with pytest.raises(DuplicateImage):
        alice.add(image(4, content_hash=image(1).content_hash))
    assert [r.id for r in alice.list()] == [image(2).id, image(1).id]
    assert [r.id for r in bob.list()] == [image(3).id]
    assert alice.count() == 2 and bob.count() == 1 and bob.count(Status.FAILED) == 0
    assert bob.get(image(1).id) is None and bob.get_many([image(1).id, image(3).id]).keys() == {image(3).id}
    assert bob.by_hash(image(1).content_hash).id == image(3).id
    assert bob.by_key(image(1).storage_key) is None
    assert bob.requeue(image(2).id) is None and bob.claim(image(2).id) is None
    assert not bob.delete(image(1).id) and alice.get(image(1).id) is not None
    assert bob.searchable_ids(SearchFilters()) == [image(3).id]
    assert bob.keyword_search([("kite",)]).matched == {}
    assert set(alice.keyword_search([("kite",)]).matched) == {image(1).id}
    assert bob.filtered(SearchFilters(orientation="landscape"))[1] == 1
    assert [i for i, _ in SqlImageRepository(engine, owner=None).waiting()] == []
    stolen = bob.get(image(3).id)
    stolen.id = image(1).id
    from imgsearch.errors import NotFound

    with pytest.raises(NotFound):
        bob.update(stolen)  # another owner's row is never written
    assert alice.get(image(1).id).content_hash == image(1).content_hash


def test_tokens_are_stored_hashed_named_and_revocable(engine):
    upgrade(engine)
    accounts = Accounts(SqlAccountStore(engine))
    alice = accounts.add_user("alice", PASSWORD)
    _, secret = accounts.create_token(alice, "laptop")

    assert accounts.user_for_token(secret).id == alice.id
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM api_tokens")).scalar()
    assert secret not in stored and len(stored) == 64
    assert [t.name for t in accounts.tokens(alice)] == ["laptop"]
    assert accounts.tokens(alice)[0].last_used_at is not None
    accounts.revoke_token(alice, "laptop")
    assert accounts.user_for_token(secret) is None
    assert accounts.user_for_token("imgs_" + "x" * 43) is None and accounts.user_for_token("") is None


def test_a_rate_is_shared_by_every_process_through_the_database(engine):
    upgrade(engine)
    rates = SqlRates(engine)
    now = 1_000_000.0
    # 10 a minute: a burst of 10, then one every 6 s.
    granted = [rates.take("search:alice", 6.0, 10, 1, now) for _ in range(10)]
    refused = rates.take("search:alice", 6.0, 10, 1, now)
    assert granted == [0.0] * 10
    assert refused == pytest.approx(6.0)
    assert rates.take("search:bob", 6.0, 10, 1, now) == 0.0  # each subject its own bucket
    assert rates.take("search:alice", 6.0, 10, 1, now + 6.0) == 0.0

    # Racing containers cannot take more than the bucket holds.
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda _: rates.take("upload:carol", 6.0, 10, 1, now), range(30)))
    assert sum(w == 0.0 for w in waits) == 10


def test_the_daily_quota_counts_photos_and_bytes_and_gives_back(engine):
    upgrade(engine)
    clock = [T0.timestamp()]
    limits = Limits(
        Allowances(photos_per_day=2, bytes_per_day=3000),
        SqlRates(engine),
        SqlUsage(engine),
        clock=lambda: clock[0],
    )
    day = limits.reserve_upload("alice", 1000)
    limits.reserve_upload("alice", 1000)
    with pytest.raises(LimitReached) as photos:
        limits.reserve_upload("alice", 10)
    assert "2 photos a day" in str(photos.value)
    assert photos.value.retry_after == 15 * 3600  # T0 is 09:00 UTC: until midnight
    limits.release_upload("alice", day, 1000)
    with pytest.raises(LimitReached) as size:
        limits.reserve_upload("alice", 2500)
    assert "MB a day" in str(size.value)
    limits.reserve_upload("bob", 2500)  # another account's quota is its own
    clock[0] += 86400
    limits.reserve_upload("alice", 2500)  # a new day


def test_head_is_the_accounts_revision():
    assert HEAD == "0003"
