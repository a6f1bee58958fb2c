"""Nothing lost on AWS: `imgsearch redrive` replays the dead-letter queue, `imgsearch reconcile` squares
S3, rows and vectors (moto S3 and SQS, SQL rows, the local describer, embedder and index)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

import imgsearch_ingest.handler as ingest_lambda
from imgsearch.cli import main
from imgsearch.config import load_settings
from imgsearch.deadletters import SqsDeadLetters
from imgsearch.library import Library
from imgsearch.models import Status, VectorRecord
from imgsearch_ingest.handler import handler
from photos import photo

BUCKET = "imgsearch-photos-123456789012"  # the bucket the recorded events name
FAILED_KEY = "originals/2024/IMG_0001.jpg"  # the upload the recorded failure is about


@pytest.fixture
def aws():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="imgsearch-ingest-dlq")["QueueUrl"]
        yield s3, sqs, queue


@pytest.fixture
def library(aws, tmp_path, embedder, monkeypatch):
    settings = load_settings(
        environ={},
        env_file=None,
        overrides={"data_dir": str(tmp_path / "data"), "storage": "s3", "s3_bucket": BUCKET, "ocr": False},
    )
    built = Library(settings, embedder=embedder)
    monkeypatch.setattr(ingest_lambda, "_library", built)
    return built


def upload(s3, key: str, data: bytes) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=data, ContentType="image/jpeg")


def created_event(load_event, key: str, name: str = "ObjectCreated:Put") -> dict:
    event = load_event("s3_object_created_put")
    event["Records"][0]["eventName"] = name
    event["Records"][0]["s3"]["object"].update(key=key.replace(" ", "+"), eTag=None, size=None)
    return event


def queue_messages(sqs, queue: str) -> list[dict]:
    return sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
        "Messages", []
    )


def test_redrive_announces_failed_uploads_again_and_applies_removals(aws, library, load_event):
    s3, sqs, queue = aws
    # GIVEN the queue holds: an upload ingest gave up on before any row existed (Postgres was down),
    failure = load_event("lambda_failure_destination")
    upload(s3, FAILED_KEY, photo(caption="a grey cat asleep on a red sofa"))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(failure))
    # ... a removal it gave up on, whose photo is still recorded,
    gone_key = "originals/Summer Holiday/beach+sea café.jpg"
    upload(s3, gone_key, photo(caption="a beach"))
    handler(created_event(load_event, "originals/Summer+Holiday/beach%2Bsea+caf%C3%A9.jpg"), None)
    s3.delete_object(Bucket=BUCKET, Key=gone_key)
    removal = {**failure, "requestPayload": load_event("s3_object_removed_delete")}
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(removal))
    # ... and a message that is not an event at all.
    sqs.send_message(QueueUrl=queue, MessageBody="not json")

    def owner_of(key: str):
        return library.for_owner(library.owner_of_key(key)).ingest

    report = library.ingest.redrive(SqsDeadLetters(sqs, queue), BUCKET, owner_of)

    outcomes = {item.key: item.outcome for item in report.replayed}
    assert outcomes == {FAILED_KEY: "announced again", gone_key: "deleted"}
    assert report.replayed[0].error.endswith("could not connect to the database (timeout)")
    assert report.removed == 2
    (kept,) = queue_messages(sqs, queue)  # the unreadable one stays, visible again at once
    assert kept["Body"] == "not json" and "unreadable" in report.kept[0][1]
    assert library.repository.by_key(gone_key) is None
    # THEN S3 announces the failed upload again (ObjectCreated:Copy) and ingest indexes it.
    assert s3.head_object(Bucket=BUCKET, Key=FAILED_KEY)["Metadata"]["requeued"]
    handler(created_event(load_event, FAILED_KEY, "ObjectCreated:Copy"), None)
    image = library.repository.by_key(FAILED_KEY)
    assert image.status == Status.INDEXED
    assert library.search.search("kitten napping on the couch")[0].image.id == image.id


def test_a_dry_run_changes_nothing(aws, library, load_event, monkeypatch, tmp_path, capsys):
    s3, sqs, queue = aws
    upload(s3, FAILED_KEY, photo())
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(load_event("lambda_failure_destination")))
    for name, value in {
        "IMGSEARCH_STORAGE": "s3",
        "IMGSEARCH_S3_BUCKET": BUCKET,
        "IMGSEARCH_DATA_DIR": str(tmp_path / "cli-data"),
        "IMGSEARCH_INGEST_DLQ_URL": queue,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)

    assert main(["redrive", "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert f"created  {FAILED_KEY}: would announce again" in out
    assert "it had failed: 1 of 1 records failed" in out
    assert len(queue_messages(sqs, queue)) == 1
    assert "requeued" not in s3.head_object(Bucket=BUCKET, Key=FAILED_KEY)["Metadata"]


def test_redrive_without_a_queue_says_where_to_find_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("IMGSEARCH_STORAGE", "s3")
    monkeypatch.setenv("IMGSEARCH_S3_BUCKET", BUCKET)
    monkeypatch.chdir(tmp_path)
    assert main(["redrive"]) == 2
    assert "output -raw ingest_dlq_url" in capsys.readouterr().err


def test_reconcile_reports_then_repairs_what_does_not_square(aws, library, load_event):
    s3, _, _ = aws
    # GIVEN a library in good order ...
    keys = {name: f"originals/{name}.jpg" for name in ("good", "no-vectors", "no-original")}
    for n, (name, key) in enumerate(keys.items()):
        upload(s3, key, photo(caption=f"photo {name}", seed=n + 1))
        handler(created_event(load_event, key), None)
    rows = {name: library.repository.by_key(key) for name, key in keys.items()}
    # ... then an upload no event reached, a photo whose vectors were lost, one whose original was
    # deleted behind the library's back, and vectors of a photo nobody has.
    upload(s3, "originals/unseen.jpg", photo(caption="a lighthouse", seed=9))
    library.index.delete([f"{rows['no-vectors'].id}#{n}" for n in range(16)])
    s3.delete_object(Bucket=BUCKET, Key=keys["no-original"])
    library.index.upsert([VectorRecord("ghost#0", "ghost", 0, [0.1] * library.embedder.dimension, "x")])

    found = library.ingest.reconcile()

    assert found.orphan_originals == ["originals/unseen.jpg"]
    assert [r.id for r in found.missing_originals] == [rows["no-original"].id]
    assert [r.id for r in found.unindexed] == [rows["no-vectors"].id]
    assert found.orphan_vectors == ["ghost#0"] and not found.fixed

    fixed = library.ingest.reconcile(fix=True)

    assert fixed.fixed
    assert library.repository.get(rows["no-original"].id) is None
    assert library.repository.get(rows["good"].id).status == Status.INDEXED
    assert "ghost#0" not in set(library.index.ids())
    assert library.search.search("photo no-vectors")[0].image.id == rows["no-vectors"].id
    assert s3.head_object(Bucket=BUCKET, Key="originals/unseen.jpg")["Metadata"]["requeued"]
    handler(created_event(load_event, "originals/unseen.jpg", "ObjectCreated:Copy"), None)
    assert library.ingest.reconcile().clean


def test_a_refused_upload_is_not_a_missing_original(aws, library, load_event):
    s3, _, _ = aws
    upload(s3, "originals/notes.jpg", b"%PDF-1.4 not a photo")
    handler(created_event(load_event, "originals/notes.jpg"), None)
    assert library.repository.by_key("originals/notes.jpg").status == Status.FAILED
    assert library.ingest.reconcile().clean
