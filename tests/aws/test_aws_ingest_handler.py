"""The ingest Lambda handler on recorded S3 events, with a moto bucket and real photos.

Most tests use the local describer, embedder and index (Bedrock is not their point); the last one
runs the whole cloud configuration: Bedrock under Stubber and Pinecone through its SDK.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

import boto3
import pytest
from bedrock_stub import DESCRIBER_MODEL, EMBED_MODEL, BedrockStub
from moto import mock_aws

import imgsearch_ingest.handler as ingest_lambda
from imgsearch.aws import AwsClients
from imgsearch.config import load_settings
from imgsearch.costs import running_cost
from imgsearch.describers.bedrock import BedrockDescriber
from imgsearch.library import Library
from imgsearch.models import Status
from imgsearch_ingest.handler import IngestFailed, handler
from photos import photo

BUCKET = "imgsearch-photos-123456789012"  # the bucket the recorded events name
POSTED_KEY = "originals/Summer Holiday/beach+sea café.jpg"  # what the post event's key decodes to


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def cloud_settings(tmp_path):
    overrides = {"data_dir": str(tmp_path / "data"), "storage": "s3", "s3_bucket": BUCKET, "ocr": False}
    return load_settings(environ={}, env_file=None, overrides=overrides)


@pytest.fixture
def lambda_library(s3, cloud_settings, embedder, monkeypatch):
    """The container's Library: S3 (moto) originals, SQLite rows, the local describer and index."""
    library = Library(cloud_settings, embedder=embedder)
    monkeypatch.setattr(ingest_lambda, "_library", library)
    return library


def upload(s3, key: str, data: bytes, filename: str | None = None) -> None:
    metadata = {"filename": filename} if filename else {}
    s3.put_object(Bucket=BUCKET, Key=key, Body=data, ContentType="image/jpeg", Metadata=metadata)


def delivered(event: dict, s3) -> dict:
    """The event as S3 would send it for the objects now in the bucket (their real ETag and size)."""
    for record in event.get("Records", []):
        obj = record["s3"]["object"]
        if record["eventName"].startswith("ObjectCreated:"):
            head = s3.head_object(Bucket=BUCKET, Key=unquote_plus(obj["key"]))
            obj["eTag"] = head["ETag"].strip('"')
            obj["size"] = head["ContentLength"]
    return event


def bucket_keys(s3) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


# ---------------------------------------------------------------------------- created


def test_an_upload_is_indexed_under_its_own_key(s3, lambda_library, load_event):
    data = photo(colour=(240, 120, 20), caption="Sunset over the harbour at Honfleur")
    upload(s3, POSTED_KEY, data, filename="caf%C3%A9 au lait.jpg")
    downloads = []
    lambda_library.storage.client.meta.events.register(
        "before-call.s3.GetObject", lambda **_: downloads.append(1)
    )

    result = handler(delivered(load_event("s3_object_created_post"), s3), None)

    image = lambda_library.repository.by_key(POSTED_KEY)
    assert result == {
        "records": [{"key": POSTED_KEY, "action": "created", "outcome": "new", "image_id": image.id}]
    }
    assert image.status == Status.INDEXED, image.error
    assert len(downloads) == 1  # read once, then thumbnailed and described from those bytes
    assert image.filename == "café au lait.jpg"
    assert (image.content_type, image.width, image.height) == ("image/jpeg", 640, 480)
    assert image.source_etag == s3.head_object(Bucket=BUCKET, Key=POSTED_KEY)["ETag"].strip('"')
    assert bucket_keys(s3) == {POSTED_KEY, image.thumbnail_key}  # stored once, thumbnail beside it
    assert image.thumbnail_key.startswith("thumbnails/")
    assert lambda_library.index.count() == image.vector_count > 0
    (best, *_) = lambda_library.search.search("harbour sunset")
    assert best.image.id == image.id


def test_every_record_of_an_event_is_handled_and_thumbnails_are_skipped(s3, lambda_library, load_event):
    keys = ["originals/2024/IMG_0001.jpg", "originals/2024/IMG_0002 (2).png", "originals/2024/写真.webp"]
    for n, (key, fmt) in enumerate(zip(keys, ["JPEG", "PNG", "WEBP"], strict=True)):
        upload(s3, key, photo(fmt=fmt, seed=n + 1))
    upload(s3, "thumbnails/5f0c6e9e8d0b4d8fa3f4c1e2b7a6d5c4.jpg", photo(size=(120, 90)))

    result = handler(delivered(load_event("s3_object_created_batch"), s3), None)

    assert [(r["key"], r["outcome"]) for r in result["records"]] == [
        (keys[0], "new"),
        (keys[1], "new"),
        (keys[2], "new"),
        ("thumbnails/5f0c6e9e8d0b4d8fa3f4c1e2b7a6d5c4.jpg", "skipped"),
    ]
    images = [lambda_library.repository.by_key(key) for key in keys]
    assert [i.status for i in images] == [Status.INDEXED] * 3
    assert [i.filename for i in images] == ["IMG_0001.jpg", "IMG_0002 (2).png", "写真.webp"]
    assert [i.content_type for i in images] == ["image/jpeg", "image/png", "image/webp"]
    assert lambda_library.repository.count() == 3


def test_a_repeated_delivery_changes_nothing(s3, lambda_library, load_event):
    upload(s3, POSTED_KEY, photo(caption="Harbour"))
    event = delivered(load_event("s3_object_created_post"), s3)
    handler(event, None)
    first = lambda_library.repository.by_key(POSTED_KEY)

    result = handler(event, None)

    assert result["records"][0]["outcome"] == "already indexed"
    again = lambda_library.repository.by_key(POSTED_KEY)
    assert lambda_library.repository.count() == 1
    assert (again.attempts, again.updated_at, again.vector_count) == (1, first.updated_at, first.vector_count)
    assert lambda_library.index.count() == first.vector_count


def test_the_same_photo_under_another_key_is_deleted(s3, lambda_library, load_event):
    data = photo(caption="Phone backup")
    upload(s3, "originals/phone/IMG_2041.jpg", data)
    upload(s3, "originals/laptop/IMG_2041 copy.jpg", data)

    result = handler(delivered(load_event("s3_object_created_same_photo_twice"), s3), None)

    kept = lambda_library.repository.by_key("originals/phone/IMG_2041.jpg")
    assert [r["outcome"] for r in result["records"]] == ["new", "duplicate"]
    assert result["records"][1]["image_id"] == kept.id
    assert lambda_library.repository.count() == 1
    assert "originals/laptop/IMG_2041 copy.jpg" not in bucket_keys(s3)
    assert "originals/phone/IMG_2041.jpg" in bucket_keys(s3)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"%PDF-1.4 quarterly report", "not an image (its contents are not a format we can read)"),
        (b"", "the file is empty"),
        (photo(fmt="BMP"), "BMP images are not accepted (allowed: JPEG, PNG, WebP, GIF)"),
    ],
)
def test_an_invalid_upload_is_a_failed_row_and_is_not_retried(s3, lambda_library, load_event, data, error):
    upload(s3, "originals/notes 2024.jpg", data)
    event = delivered(load_event("s3_object_created_put"), s3)

    handler(event, None)  # no exception: retrying cannot make it a photo
    handler(event, None)

    image = lambda_library.repository.by_key("originals/notes 2024.jpg")
    assert (image.status, image.error) == (Status.FAILED, error)
    assert lambda_library.repository.count() == 1
    assert image.vector_count == 0 and image.thumbnail_key is None
    # The file is deleted (never served), the row stays to tell the uploader why, also once S3
    # reports the deletion.
    assert bucket_keys(s3) == set()
    removed = load_event("s3_object_removed_delete")
    removed["Records"][0]["s3"]["object"]["key"] = "originals/notes+2024.jpg"
    assert handler(removed, None)["records"][0]["outcome"] == "refused upload"
    assert lambda_library.repository.by_key("originals/notes 2024.jpg").error == error


def test_an_oversize_upload_is_refused_without_reading_it_all(
    s3, cloud_settings, embedder, load_event, monkeypatch
):
    library = Library(cloud_settings.with_overrides(max_upload_mb=1), embedder=embedder)
    monkeypatch.setattr(ingest_lambda, "_library", library)
    data = photo(size=(1600, 1200), fmt="BMP")  # 5.5 MB, uncompressed
    upload(s3, "originals/notes 2024.jpg", data)

    handler(delivered(load_event("s3_object_created_put"), s3), None)

    image = library.repository.by_key("originals/notes 2024.jpg")
    assert (image.status, image.error) == (
        Status.FAILED,
        "the file is 5.5 MB, over the 1.0 MB limit for one photo",
    )
    assert image.size_bytes == len(data)
    assert bucket_keys(s3) == set()  # refused, so deleted: the bucket serves nothing that is not a photo


def test_a_backend_failure_is_recorded_then_raised_so_lambda_retries(
    s3, cloud_settings, embedder, load_event, monkeypatch
):
    bedrock = BedrockStub(AwsClients(cloud_settings).bedrock_runtime, describer_model=DESCRIBER_MODEL)
    describer = BedrockDescriber(bedrock.client, DESCRIBER_MODEL)
    library = Library(cloud_settings, embedder=embedder, describer=describer)
    monkeypatch.setattr(ingest_lambda, "_library", library)
    upload(s3, POSTED_KEY, photo())
    event = delivered(load_event("s3_object_created_post"), s3)

    bedrock.fail_describe("ThrottlingException")
    with pytest.raises(IngestFailed, match="throttled"):
        handler(event, None)
    failed = library.repository.by_key(POSTED_KEY)
    assert failed.status == Status.FAILED and "throttled" in failed.error

    bedrock.describe_as("An orange harbour at dusk.")
    handler(event, None)  # Lambda's retry of the same event
    image = library.repository.by_key(POSTED_KEY)
    assert (image.status, image.attempts, image.error) == (Status.INDEXED, 2, None)
    assert "An orange harbour at dusk." in image.description


def test_an_object_deleted_before_its_event_arrives_is_skipped(s3, lambda_library, load_event):
    upload(s3, POSTED_KEY, photo())
    event = delivered(load_event("s3_object_created_post"), s3)
    s3.delete_object(Bucket=BUCKET, Key=POSTED_KEY)

    result = handler(event, None)

    assert result["records"][0]["outcome"] == "gone"
    assert lambda_library.repository.count() == 0


# ---------------------------------------------------------------------------- removed


def test_a_deleted_object_loses_its_row_vectors_and_thumbnail(s3, lambda_library, load_event):
    upload(s3, POSTED_KEY, photo(caption="Harbour"))
    handler(delivered(load_event("s3_object_created_post"), s3), None)
    image = lambda_library.repository.by_key(POSTED_KEY)
    s3.delete_object(Bucket=BUCKET, Key=POSTED_KEY)

    result = handler(load_event("s3_object_removed_delete"), None)

    assert result["records"] == [
        {"key": POSTED_KEY, "action": "removed", "outcome": "deleted", "image_id": image.id}
    ]
    assert lambda_library.repository.count() == 0
    assert lambda_library.index.count() == 0
    assert bucket_keys(s3) == set()  # the thumbnail went too


def test_a_removal_for_an_object_uploaded_again_keeps_the_image(s3, lambda_library, load_event):
    upload(s3, POSTED_KEY, photo())
    handler(delivered(load_event("s3_object_created_post"), s3), None)

    result = handler(load_event("s3_object_removed_delete"), None)  # arrives late: the object is back

    assert result["records"][0]["outcome"] == "exists again"
    assert lambda_library.repository.by_key(POSTED_KEY).status == Status.INDEXED


# ---------------------------------------------------------------------------- the container


def test_the_s3_test_event_is_acknowledged(load_event, monkeypatch):
    monkeypatch.setattr(ingest_lambda, "_library", None)
    assert handler(load_event("s3_test_event"), None) == {"test_event": True, "records": []}
    assert ingest_lambda._library is None  # nothing was built for it


def test_the_library_is_built_once_per_container_from_the_environment(s3, tmp_path, monkeypatch, load_event):
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "IMGSEARCH_STORAGE": "s3",
        "IMGSEARCH_S3_BUCKET": BUCKET,
        "IMGSEARCH_DATA_DIR": str(tmp_path / "data"),
        "IMGSEARCH_OCR": "false",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(ingest_lambda, "_library", None)

    handler(load_event("s3_object_removed_delete"), None)
    built = ingest_lambda._library
    handler(load_event("s3_object_removed_delete"), None)

    assert built is not None and ingest_lambda._library is built
    assert built.settings.s3_bucket == BUCKET and built.settings.storage == "s3"


# ---------------------------------------------------------------------------- the cloud configuration


def test_cloud_configuration_end_to_end(s3, tmp_path, pinecone_standin, load_event, monkeypatch):
    """GIVEN S3 + Bedrock (Claude, Cohere; under Stubber) + Pinecone (SDK -> stand-in) + SQL rows
    WHEN a batch of uploads arrives THEN each is described, embedded and findable by what it shows."""
    settings = load_settings(
        environ={},
        env_file=None,
        overrides={
            "data_dir": str(tmp_path / "data"),
            "storage": "s3",
            "s3_bucket": BUCKET,
            "index": "pinecone",
            "embedder": "bedrock",
            "describer": "bedrock",
            "bedrock_describer_model": DESCRIBER_MODEL,
            "bedrock_embed_model": EMBED_MODEL,
            "pinecone_api_key": "pc-test",
            "pinecone_control_host": pinecone_standin.url,
            "pinecone_namespace": "photos",
        },
    )
    aws = AwsClients(settings)
    bedrock = BedrockStub(aws.bedrock_runtime, describer_model=DESCRIBER_MODEL, embed_model=EMBED_MODEL)
    library = Library(settings, aws=aws)
    monkeypatch.setattr(ingest_lambda, "_library", library)
    keys = ["originals/2024/IMG_0001.jpg", "originals/2024/IMG_0002 (2).png", "originals/2024/写真.webp"]
    for n, (key, fmt) in enumerate(zip(keys, ["JPEG", "PNG", "WEBP"], strict=True)):
        upload(s3, key, photo(size=(2400, 1800), fmt=fmt, seed=n + 1))
    upload(s3, "thumbnails/5f0c6e9e8d0b4d8fa3f4c1e2b7a6d5c4.jpg", photo(size=(120, 90)))
    bedrock.describe_as(
        "A red lighthouse on a rocky coast.\nNo people.\nNo visible text.",
        "A bowl of green apples on a kitchen table.\nNo people.",
        'A snowy mountain ridge under a blue sky.\nTwo hikers.\nA sign reads "Col du Midi".',
    )

    handler(delivered(load_event("s3_object_created_batch"), s3), None)

    images = [library.repository.by_key(key) for key in keys]
    assert [i.status for i in images] == [Status.INDEXED] * 3, [i.error for i in images]
    assert {i.details["model"] for i in images} == {DESCRIBER_MODEL}
    assert [r["messages"][0]["content"][0]["image"]["format"] for r in bedrock.requests("Converse")] == [
        "jpeg",
        "png",
        "webp",
    ]
    (create,) = [r for r in pinecone_standin.requests("/indexes") if r.method == "POST"]
    assert create.body["schema"]["fields"]["_values"] == {
        "type": "dense_vector",
        "dimension": 1024,
        "metric": "cosine",
    }
    stored = pinecone_standin.vectors("photos")
    assert len(stored) == sum(i.vector_count for i in images)
    assert {meta["embedder"] for _, meta in stored.values()} == {f"bedrock:{EMBED_MODEL}"}

    # Each photo keeps the tokens its description used: `imgsearch cost` adds them up at list prices.
    (usage,) = running_cost(library.repository.iter_all())
    assert (usage.model, usage.photos, usage.input_tokens, usage.output_tokens) == (
        DESCRIBER_MODEL,
        3,
        3600,
        240,
    )
    assert usage.dollars == pytest.approx((3600 * 3.30 + 240 * 16.50) / 1e6)  # Sonnet 4.5, us. profile

    results = library.search.search("sign Col du Midi")
    assert results[0].image.id == images[2].id
    assert results[0].snippet == 'A sign reads "Col du Midi".'
    assert library.search.search("lighthouse on the coast")[0].image.id == images[0].id


def test_retry_from_the_web_app_reannounces_the_photo_to_the_ingest_lambda(
    s3, cloud_settings, embedder, monkeypatch, load_event, tmp_path
):
    from imgsearch.embedders.minilm import MiniLMEmbedder
    from imgsearch_web import create_app

    # GIVEN a photo whose ingest failed (the embedding model was missing in that container)
    broken = Library(cloud_settings, embedder=MiniLMEmbedder(model_dir=tmp_path / "missing"))
    monkeypatch.setattr(ingest_lambda, "_library", broken)
    upload(s3, POSTED_KEY, photo(caption="a grey cat asleep on a red sofa"))
    with pytest.raises(IngestFailed):
        handler(delivered(load_event("s3_object_created_post"), s3), None)
    image = broken.repository.by_key(POSTED_KEY)
    assert image.status == Status.FAILED
    before = s3.head_object(Bucket=BUCKET, Key=POSTED_KEY)

    # WHEN someone presses Retry in the web app (on AWS: no worker, no describer in the web Lambda)
    fixed = Library(cloud_settings, embedder=embedder)
    client = create_app({"TESTING": True}, library=fixed).test_client()
    owner = fixed.accounts.add_user("alice", "correct horse battery staple")  # adopts the local library
    _, token = fixed.accounts.create_token(owner, "retry")
    response = client.post(f"/api/images/{image.id}/retry", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 202)
    assert fixed.repository.get(image.id).status == Status.PENDING
    after = s3.head_object(Bucket=BUCKET, Key=POSTED_KEY)
    assert after["Metadata"]["requeued"] and after["LastModified"] >= before["LastModified"]

    # THEN S3's ObjectCreated:Copy notification makes the ingest Lambda index it
    monkeypatch.setattr(ingest_lambda, "_library", fixed)
    event = delivered(load_event("s3_object_created_post"), s3)
    event["Records"][0]["eventName"] = "ObjectCreated:Copy"
    handler(event, None)
    assert fixed.repository.get(image.id).status == Status.INDEXED
    assert fixed.search.search("kitten napping on the couch")[0].image.id == image.id


def test_a_redelivery_while_another_invocation_holds_the_photo_raises_to_retry_later(
    s3, lambda_library, load_event
):
    # GIVEN an invocation that claimed the photo and then timed out (its row stays processing)
    upload(s3, POSTED_KEY, photo(caption="a grey cat asleep on a red sofa"))
    event = delivered(load_event("s3_object_created_post"), s3)
    data, info = lambda_library.storage.read(POSTED_KEY)
    image = lambda_library.ingest.register_stored(
        POSTED_KEY, data, "cat.jpg", etag=info["ETag"].strip('"')
    ).image
    assert lambda_library.repository.claim(image.id) is not None

    # WHEN Lambda retries the event within that claim's lease, it must not count as done
    with pytest.raises(IngestFailed, match="still processing"):
        handler(event, None)
    assert lambda_library.repository.get(image.id).status == Status.PROCESSING


def test_a_key_in_an_accounts_folder_is_that_accounts_photo(s3, lambda_library, load_event):
    bob = lambda_library.accounts.add_user("bob", "correct horse battery staple")  # adopts the local library
    carol = lambda_library.accounts.add_user("carol", "correct horse battery staple")
    data = photo(caption="a lighthouse at dusk")
    keys = {
        "carol": f"originals/{carol.id}/{'c' * 32}.jpg",
        "nobody": f"originals/{'d' * 32}/{'e' * 32}.jpg",  # an account removed meanwhile
        "local": f"originals/local/{'f' * 32}.jpg",
    }
    outcomes = {}
    for who, key in keys.items():
        upload(s3, key, data)
        event = load_event("s3_object_created_put")
        event["Records"][0]["s3"]["object"]["key"] = key
        event = delivered(event, s3)
        outcomes[who] = handler(event, None)["records"][0]["outcome"]

    assert outcomes == {"carol": "new", "nobody": "no such account", "local": "new"}
    carols = lambda_library.for_owner(carol.id)
    assert carols.repository.by_key(keys["carol"]).status == Status.INDEXED
    assert lambda_library.for_owner(bob.id).repository.by_key(keys["carol"]) is None
    assert lambda_library.for_owner(bob.id).repository.by_key(keys["local"]) is not None
    assert carols.repository.count() == 1  # the same bytes are carol's and bob's, two photos
