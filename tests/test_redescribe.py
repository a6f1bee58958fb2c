"""Describing stored photos again: after an upgrade, after enabling OCR, after switching describer."""

from __future__ import annotations

import pytest

from imgsearch.describers.openai import OpenAIDescriber
from imgsearch.library import Library
from imgsearch.models import Status
from photos import photo

CAT = "a grey cat asleep on a red sofa"
BIKE = "a bicycle leaning on a brick wall"


def described_before(library: Library, image_id: str) -> None:
    """Make an image look as if an earlier version of the describer had described it."""
    record = library.repository.get(image_id)
    record.details["describer"] = "local"
    library.repository.update(record)


@pytest.fixture
def two_photos(ingest_bytes):
    return [ingest_bytes(photo(caption=CAT), "cat.jpg"), ingest_bytes(photo(caption=BIKE, seed=3), "b.jpg")]


def test_only_photos_described_by_another_describer_are_outdated(library, two_photos):
    cat, bike = two_photos
    assert list(library.ingest.outdated()) == []
    assert {r.id for r in library.ingest.outdated(force=True)} == {cat.id, bike.id}
    described_before(library, cat.id)
    assert [r.id for r in library.ingest.outdated()] == [cat.id]
    assert library.repository.count_outdated(library.describer.name) == 1


def test_describing_again_brings_a_photo_up_to_date_and_is_idempotent(library, two_photos):
    cat, _ = two_photos
    described_before(library, cat.id)
    again = library.ingest.redescribe(cat.id)
    assert again.status == Status.INDEXED and again.error is None
    assert again.details["describer"] == library.describer.name
    assert again.attempts == cat.attempts + 1
    assert again.description == cat.description
    assert library.index.count() == sum(r.vector_count for r in library.repository.list())
    twice = library.ingest.redescribe(cat.id)
    assert twice.description == again.description and twice.vector_count == again.vector_count
    assert list(library.ingest.outdated()) == []


def test_a_failed_redescribe_keeps_the_earlier_description_and_stays_found(settings, embedder, two_photos):
    cat, _ = two_photos
    # A vision model that cannot be reached (nothing listens on port 9).
    unreachable = OpenAIDescriber("http://127.0.0.1:9/v1", "llava", max_attempts=1, timeout_s=2)
    broken = Library(settings, embedder=embedder, describer=unreachable)
    kept = broken.ingest.redescribe(cat.id)
    assert kept.status == Status.INDEXED
    assert kept.error.startswith("Describing it again failed: BackendError")
    assert kept.description == cat.description
    assert kept.details["describer"] == cat.details["describer"]
    assert broken.search.search("kitten napping on the couch")[0].image.id == cat.id
    assert [r.id for r in broken.ingest.outdated()] == sorted([cat.id, two_photos[1].id])

    working = Library(settings, embedder=embedder)
    assert working.ingest.redescribe(cat.id).error is None


def test_a_photo_queued_again_is_still_found_until_it_is_described(library, two_photos):
    cat, _ = two_photos
    queued = library.ingest.queue_again(cat.id)
    assert queued.status == Status.PENDING
    assert library.search.search("kitten napping on the couch")[0].image.id == cat.id
    assert library.ingest.redescribe(cat.id).status == Status.INDEXED
