"""PineconeIndex through the real pinecone SDK, against the loopback stand-in."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest

from imgsearch.config import ConfigError, load_settings
from imgsearch.errors import BackendError
from imgsearch.index.pinecone import PineconeIndex
from imgsearch.models import VectorRecord, vector_id


def pinecone_settings(standin, **overrides):
    values = {
        "index": "pinecone",
        "pinecone_control_host": standin.url,
        "pinecone_index": "photos",
        **overrides,
    }
    return load_settings(environ={}, env_file=None, overrides=values)


def random_records(count: int, dimension: int, images: int = 1, seed: int = 7) -> list[VectorRecord]:
    rng = random.Random(seed)
    records = []
    for n in range(count):
        image_id = f"img{n % images:04d}"
        chunk = n // images
        values = [rng.uniform(-1, 1) for _ in range(dimension)]
        records.append(VectorRecord(vector_id(image_id, chunk), image_id, chunk, values, "bedrock:cohere"))
    return records


def test_connect_creates_a_serverless_cosine_index_with_the_embedders_dimension(pinecone_standin):
    settings = pinecone_settings(pinecone_standin, pinecone_cloud="aws", pinecone_region="eu-west-1")

    PineconeIndex.connect(settings, "pc-test-key", 1024)

    (create,) = pinecone_standin.requests("/indexes")
    assert create.method == "POST"
    assert create.body["name"] == "photos"
    assert create.body["schema"]["fields"] == {
        "_values": {"type": "dense_vector", "dimension": 1024, "metric": "cosine"}
    }
    assert create.body["deployment"] == {"deployment_type": "managed", "cloud": "aws", "region": "eu-west-1"}


def test_the_web_function_does_not_create_the_index(pinecone_standin):
    settings = pinecone_settings(pinecone_standin, create_index="false")
    with pytest.raises(BackendError, match="created when the first photo is ingested"):
        PineconeIndex.connect(settings, "key", 1024)
    assert not [r for r in pinecone_standin.requests("/indexes") if r.method == "POST"]


def test_connect_uses_an_existing_index(pinecone_standin):
    settings = pinecone_settings(pinecone_standin)
    PineconeIndex.connect(settings, "key", 1024)
    PineconeIndex.connect(settings, "key", 1024)
    assert len([r for r in pinecone_standin.requests("/indexes") if r.method == "POST"]) == 1


def test_connect_refuses_an_index_of_another_dimension(pinecone_standin):
    PineconeIndex.connect(pinecone_settings(pinecone_standin), "key", 384)
    with pytest.raises(ConfigError, match="holds 384-dimensional vectors but the embedder makes 1024"):
        PineconeIndex.connect(pinecone_settings(pinecone_standin), "key", 1024)


def test_a_known_host_skips_the_control_plane(pinecone_standin):
    settings = load_settings(
        environ={}, env_file=None, overrides={"index": "pinecone", "pinecone_host": pinecone_standin.url}
    )
    index = PineconeIndex.connect(settings, "key", 8)
    index.upsert(random_records(3, 8))
    assert index.count() == 3
    assert not pinecone_standin.requests("/indexes") and not pinecone_standin.requests("/indexes/imgsearch")


def test_upserts_are_batched_by_size_and_count(pinecone_standin):
    index = PineconeIndex.connect(pinecone_settings(pinecone_standin, pinecone_namespace="prod"), "key", 1024)
    wide = random_records(300, 1024, images=30)  # about 6 MB of JSON: split by size

    index.upsert(wide)

    upserts = pinecone_standin.requests("/vectors/upsert")
    assert len(upserts) >= 3
    assert all(r.size <= 2_000_000 and len(r.body["vectors"]) <= 1000 for r in upserts)
    assert sum(len(r.body["vectors"]) for r in upserts) == 300
    assert {r.body["namespace"] for r in upserts} == {"prod"}
    stored = pinecone_standin.vectors("prod")
    assert len(stored) == 300 and index.count() == 300
    assert stored["img0003#2"][1] == {
        "image_id": "img0003",
        "chunk": 2,
        "embedder": "bedrock:cohere",
        "owner": "local",
    }


def test_many_small_vectors_are_batched_by_count(pinecone_standin):
    settings = load_settings(
        environ={}, env_file=None, overrides={"index": "pinecone", "pinecone_host": pinecone_standin.url}
    )
    index = PineconeIndex.connect(settings, "key", 4)

    index.upsert(random_records(2500, 4, images=500))

    sizes = [len(r.body["vectors"]) for r in pinecone_standin.requests("/vectors/upsert")]
    assert sizes == [1000, 1000, 500]
    assert index.count() == 2500


def test_query_returns_image_and_chunk_from_metadata_best_first(pinecone_standin):
    index = PineconeIndex.connect(pinecone_settings(pinecone_standin), "key", 1024)
    records = random_records(40, 1024, images=10)
    index.upsert(records)
    target = records[17]

    matches = index.query([x * 5 for x in target.values], top_k=5)

    assert len(matches) == 5
    assert (matches[0].id, matches[0].image_id, matches[0].chunk) == (
        target.id,
        target.image_id,
        target.chunk,
    )
    assert math.isclose(matches[0].score, 1.0, rel_tol=1e-6)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    (query,) = pinecone_standin.requests("/query")
    assert query.body["includeMetadata"] is True and query.body["topK"] == 5


def test_delete_removes_only_the_given_ids(pinecone_standin):
    index = PineconeIndex.connect(pinecone_settings(pinecone_standin), "key", 1024)
    records = random_records(6, 1024, images=2)
    index.upsert(records)

    index.delete([vector_id("img0000", n) for n in range(3)] + ["never-stored#0"])
    index.delete([])

    assert sorted(pinecone_standin.vectors()) == ["img0001#0", "img0001#1", "img0001#2"]
    assert index.count() == 3
    assert len(pinecone_standin.requests("/vectors/delete")) == 1


def test_a_data_plane_error_is_a_backend_error(pinecone_standin):
    index = PineconeIndex.connect(pinecone_settings(pinecone_standin), "key", 1024)
    wrong = VectorRecord("a#0", "a", 0, [1.0, 0.0], "e")  # the stand-in refuses a 2-d vector
    with pytest.raises(BackendError, match="Pinecone upsert failed"):
        index.upsert([wrong])


def test_no_api_key_is_a_configuration_error(pinecone_standin):
    with pytest.raises(ConfigError, match="PINECONE_API_KEY"):
        PineconeIndex.connect(pinecone_settings(pinecone_standin), "", 1024)


def test_each_owner_has_a_namespace_and_sees_only_its_own_vectors(pinecone_standin):
    alice = PineconeIndex.connect(pinecone_settings(pinecone_standin, pinecone_namespace="prod"), "key", 1024)
    bob = alice.for_owner("b" * 32)
    mine = random_records(4, 1024, images=2)
    theirs = [replace(r, id=f"bob-{r.id}", image_id=f"bob-{r.image_id}", owner=bob.owner) for r in mine]
    alice.upsert(mine)
    bob.upsert(theirs)

    assert set(pinecone_standin.vectors("prod")) == {r.id for r in mine}  # the local library's, as before
    assert set(pinecone_standin.vectors(f"prod-{'b' * 32}")) == {r.id for r in theirs}
    assert {m.image_id for m in bob.query(theirs[0].values, top_k=10)} == {r.image_id for r in theirs}
    assert alice.count() == bob.count() == 4
    bob.delete([mine[0].id])
    assert alice.count() == 4
    with pytest.raises(ValueError, match="another owner"):
        bob.upsert(mine[:1])


def test_every_id_is_listed_across_pages_and_vectors_are_fetched(pinecone_standin):
    index = PineconeIndex.connect(pinecone_settings(pinecone_standin), "key", 8)
    records = random_records(250, 8, images=50)
    index.upsert(records)

    assert sorted(index.ids()) == sorted(r.id for r in records)
    assert len(pinecone_standin.requests("/vectors/list")) == 3  # pages of 100
    fetched = index.fetch([records[3].id, "never-stored#0"])
    assert list(fetched) == [records[3].id]
    assert fetched[records[3].id] == pytest.approx(records[3].values)
