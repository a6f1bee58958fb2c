"""The S3 Vectors index through boto3's s3vectors client, against moto (plus QueryVectors: s3vectors_moto)."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import boto3
import pytest
from moto import mock_aws
from s3vectors_moto import install

from imgsearch.config import ConfigError, load_settings
from imgsearch.errors import BackendError
from imgsearch.index.s3vectors import MAX_TOP_K, S3VectorsIndex
from imgsearch.library import Library
from imgsearch.models import Status, VectorRecord, vector_id
from imgsearch.pipeline.query import parse_filters
from imgsearch.pipeline.search import SearchRequest
from photos import photo

BUCKET = "imgsearch-vectors-123456789012-us-east-1"
INDEX = "descriptions"
DIMENSION = 8


@pytest.fixture
def client():
    install()
    with mock_aws():
        yield boto3.client("s3vectors", region_name="us-east-1")


@pytest.fixture
def calls(client):
    """The S3 Vectors operations the client sent, in order."""
    sent: list[str] = []
    client.meta.events.register("before-call.s3vectors.*", lambda model, **_: sent.append(model.name))
    return sent


def unit(values: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in values))
    return [x / norm for x in values]


def records(images: int, chunks: int = 1, seed: int = 1) -> list[VectorRecord]:
    rng = random.Random(seed)
    return [
        VectorRecord(
            vector_id(f"img{i:05d}", n),
            f"img{i:05d}",
            n,
            unit([rng.gauss(0, 1) for _ in range(DIMENSION)]),
            "e",
        )
        for i in range(images)
        for n in range(chunks)
    ]


def test_the_ingest_side_creates_the_bucket_and_index_the_web_side_does_not(client):
    with pytest.raises(
        BackendError, match="does not exist yet; it is created when the first photo is ingested"
    ):
        S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION, create=False)

    S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION, create=True)
    S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION, create=True)  # a second container: no change

    index = client.get_index(vectorBucketName=BUCKET, indexName=INDEX)["index"]
    assert (index["dimension"], index["distanceMetric"], index["dataType"]) == (
        DIMENSION,
        "cosine",
        "float32",
    )
    assert S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION, create=False).count() == 0


def test_an_index_of_another_dimension_is_refused(client):
    S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION)
    with pytest.raises(ConfigError, match="holds 8-dimensional vectors but the embedder makes 1024"):
        S3VectorsIndex.connect(client, BUCKET, INDEX, 1024)


def test_writes_reads_and_deletes_respect_the_per_request_limits(client, calls):
    index = S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION)
    stored = records(1201)
    calls.clear()

    index.upsert(stored)
    assert calls.count("PutVectors") == 3  # 500 + 500 + 201

    assert sorted(index.ids()) == sorted(r.id for r in stored)  # two pages of ListVectors
    assert index.count() == 1201
    fetched = index.fetch([r.id for r in stored[:250]] + ["missing#0"])
    assert calls.count("GetVectors") == 3  # 100 keys at most per call
    assert set(fetched) == {r.id for r in stored[:250]}
    assert fetched[stored[7].id] == pytest.approx(stored[7].values, rel=1e-6)

    calls.clear()
    index.delete([r.id for r in stored[:1100]])
    assert calls.count("DeleteVectors") == 3
    assert index.count() == 101


def test_query_ranks_by_cosine_and_keeps_to_the_images_asked_for(client):
    index = S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION)
    stored = records(300, chunks=2)
    index.upsert(stored)
    query = stored[10].values

    best = index.query(query, top_k=5)
    assert best[0].id == stored[10].id and best[0].image_id == "img00005" and best[0].chunk == 0
    assert best[0].score == pytest.approx(1.0, abs=1e-5)
    assert [m.score for m in best] == sorted((m.score for m in best), reverse=True)

    within = {"img00100", "img00200", "img00299"}
    limited = index.query(query, top_k=10, within=within)
    assert {m.image_id for m in limited} == within and len(limited) == 6
    assert index.query(query, top_k=10, within=[]) == []


def test_more_than_100_results_are_gathered_across_queries_exactly(client, calls):
    # The search's second pass asks for every chunk of up to 62 images at once (62 x 16 = 992).
    index = S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION)
    stored = records(400, chunks=16, seed=3)
    index.upsert(stored)
    wanted = [f"img{i:05d}" for i in range(0, 400, 6)][:62]
    query = stored[0].values
    calls.clear()

    found = index.query(query, top_k=len(wanted) * 16, within=wanted)

    assert len(found) == len(wanted) * 16  # every chunk, though S3 Vectors answers 100 at most
    assert {m.image_id for m in found} == set(wanted)
    assert calls.count("QueryVectors") > 1
    # Unlimited, the index answers its 100 nearest (and the service refused nothing over 100).
    assert len(index.query(query, top_k=240)) == MAX_TOP_K


def test_a_filter_over_many_images_is_split_and_merged(client):
    index = S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION)
    stored = records(900)
    index.upsert(stored)
    within = [r.image_id for r in stored[::2]]  # 450 images: two filters of 250 at most
    query = stored[1].values

    found = index.query(query, top_k=50, within=within)

    allowed = set(within)
    expected = sorted(
        (r for r in stored if r.image_id in allowed),
        key=lambda r: -sum(a * b for a, b in zip(query, r.values, strict=True)),
    )[:50]
    assert [m.id for m in found] == [r.id for r in expected]


def test_a_search_with_filters_runs_on_s3_vectors(client, tmp_path, embedder):
    # GIVEN a library whose vectors live in S3 Vectors (the local describer and embedder)
    settings = load_settings(
        environ={},
        env_file=None,
        overrides={
            "data_dir": str(tmp_path / "data"),
            "index": "s3vectors",
            "s3vectors_bucket": BUCKET,
            "ocr": False,
        },
    )
    library = Library(settings, embedder=embedder)
    ids = {}
    for caption, colour in (
        ("a red bicycle by a brick wall", (200, 30, 30)),
        ("a blue boat on a lake", (30, 60, 200)),
    ):
        added = library.ingest.add(photo(colour=colour, caption=caption), f"{caption}.jpg")
        image = library.ingest.process(added.image.id)
        assert image.status == Status.INDEXED, image.error
        ids[caption] = image.id

    # WHEN searching, with and without a filter THEN the index's answers (and its filter) are used
    assert library.search.search("bicycle")[0].image.id == ids["a red bicycle by a brick wall"]
    assert library.index.count() == sum(library.repository.get(i).vector_count for i in ids.values())
    request = SearchRequest(query="photo", filters=parse_filters({"colour": "blue"}), everything=True)
    assert [r.image.id for r in library.search.find(request).results] == [ids["a blue boat on a lake"]]


def test_each_owner_sees_only_its_own_vectors(client):
    local = S3VectorsIndex.connect(client, BUCKET, INDEX, DIMENSION)
    bob = local.for_owner("b" * 32)
    mine = records(3, chunks=2)
    theirs = [replace(r, owner=bob.owner) for r in records(3, chunks=2, seed=2)]  # the same ids
    local.upsert(mine)
    bob.upsert(theirs)

    assert sorted(local.ids()) == sorted(bob.ids()) == sorted(r.id for r in mine)
    assert local.count() == bob.count() == 6
    # The same query, the same ids: each owner gets its own vectors back, never the other's.
    assert local.fetch([mine[0].id])[mine[0].id] == pytest.approx(mine[0].values, rel=1e-6)
    assert bob.fetch([mine[0].id])[mine[0].id] == pytest.approx(theirs[0].values, rel=1e-6)
    assert bob.query(theirs[0].values, top_k=1)[0].score == pytest.approx(1.0, abs=1e-5)
    assert local.query(theirs[0].values, top_k=1)[0].score < 0.999
    within = local.query(mine[0].values, top_k=10, within=[mine[0].image_id])
    assert len(within) == 2 and {m.image_id for m in within} == {mine[0].image_id}
    bob.delete([r.id for r in mine])  # bob's own copies of those ids, not the local library's
    assert local.count() == 6 and bob.count() == 0
    with pytest.raises(ValueError, match="another owner"):
        bob.upsert(mine[:1])
