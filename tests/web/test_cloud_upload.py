"""Cloud mode (S3 under moto): presigned POSTs for direct browser uploads, and files served by redirect."""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import unquote, urlsplit

import boto3
import pytest
import requests
from moto import mock_aws

BUCKET = "imgsearch-photos"


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


@pytest.fixture
def cloud_settings(web_settings):
    return web_settings.with_overrides(storage="s3", s3_bucket=BUCKET, max_upload_mb=5)


@pytest.fixture
def cloud_app(aws, make_app, cloud_settings):
    return make_app(settings=cloud_settings)


@pytest.fixture
def cloud(cloud_app, client_for):
    return client_for(cloud_app)


def policy_of(upload: dict) -> dict:
    return json.loads(base64.b64decode(upload["fields"]["policy"]))


def test_each_file_gets_its_own_presigned_post(cloud, cloud_settings):
    response = cloud.post(
        "/api/uploads",
        json={
            "files": [
                {"filename": "cat.jpg", "size": 120_000, "type": "image/jpeg"},
                {"filename": "cat.jpg", "size": 120_000, "type": "image/jpeg"},
                {"filename": "screens/shot.PNG", "size": 5_000, "type": ""},
            ]
        },
    )

    assert response.status_code == 200
    uploads = response.json["uploads"]
    keys = [u["key"] for u in uploads]
    assert len(set(keys)) == 3
    assert all(k.startswith(cloud_settings.s3_originals_prefix) for k in keys)
    assert [k.rsplit(".", 1)[1] for k in keys] == ["jpg", "jpg", "png"]
    assert uploads[2]["filename"] == "shot.PNG"
    for upload in uploads:
        fields = upload["fields"]
        assert upload["url"] == f"https://{BUCKET}.s3.amazonaws.com/"
        assert fields["key"] == upload["key"]
        assert fields["x-amz-meta-filename"] == upload["filename"]
        conditions = policy_of(upload)["conditions"]
        assert ["content-length-range", 1, cloud_settings.max_upload_bytes] in conditions
        assert ["starts-with", "$Content-Type", "image/"] in conditions
        assert {"key": upload["key"]} in conditions
        assert {"bucket": BUCKET} in conditions
        assert {"x-amz-meta-filename": upload["filename"]} in conditions
    assert [u["fields"]["Content-Type"] for u in uploads] == ["image/jpeg", "image/jpeg", "image/png"]


@pytest.mark.parametrize(
    ("file", "error"),
    [
        ({"filename": "notes.txt", "size": 10, "type": "text/plain"}, "text/plain is not an image we take"),
        (
            {"filename": "logo.svg", "size": 10, "type": "image/svg+xml"},
            "image/svg+xml is not an image we take",
        ),
        ({"filename": "notes.txt", "size": 10, "type": ""}, ".txt files is not an image we take"),
        ({"filename": "big.jpg", "size": 6 * 1024 * 1024, "type": "image/jpeg"}, "over the 5.0 MB limit"),
        ({"filename": "empty.jpg", "size": 0, "type": "image/jpeg"}, "the file is empty"),
        ({"filename": "odd.jpg", "type": "image/jpeg"}, "size is missing"),
        ("cat.jpg", "must be an object"),
    ],
)
def test_files_that_cannot_go_are_refused_each_with_a_reason(cloud, file, error):
    good = {"filename": "cat.jpg", "size": 1000, "type": "image/jpeg"}

    mixed = cloud.post("/api/uploads", json={"files": [file, good]})
    alone = cloud.post("/api/uploads", json={"files": [file]})

    assert mixed.status_code == 200
    refused, accepted = mixed.json["uploads"]
    assert error in refused["error"] and "url" not in refused
    assert "url" in accepted
    assert alone.status_code == 400
    assert alone.json["error"] == "None of the files can be uploaded."


@pytest.mark.parametrize("body", [None, {}, {"files": []}, {"files": "cat.jpg"}, {"files": [{}] * 101}])
def test_a_malformed_request_answers_400(cloud, body):
    response = cloud.post("/api/uploads", json=body) if body is not None else cloud.post("/api/uploads")
    assert response.status_code == 400
    assert response.json["error"]


def test_a_name_s3_metadata_cannot_carry_is_percent_encoded(cloud):
    upload = cloud.post(
        "/api/uploads", json={"files": [{"filename": "Été 100%.jpg", "size": 10, "type": "image/jpeg"}]}
    ).json["uploads"][0]

    assert upload["fields"]["x-amz-meta-filename"] == "%C3%89t%C3%A9 100%25.jpg"
    assert unquote(upload["fields"]["x-amz-meta-filename"]) == "Été 100%.jpg"


def test_the_browser_can_post_the_file_straight_to_s3(cloud, aws, cat_jpeg):
    upload = cloud.post(
        "/api/uploads", json={"files": [{"filename": "cat.jpg", "size": len(cat_jpeg), "type": "image/jpeg"}]}
    ).json["uploads"][0]

    sent = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("cat.jpg", cat_jpeg, "image/jpeg")}, timeout=10
    )

    assert int(sent.status_code) == 201  # moto hands back success_action_status as a string
    stored = aws.get_object(Bucket=BUCKET, Key=upload["key"])
    assert stored["Body"].read() == cat_jpeg
    assert stored["ContentType"] == "image/jpeg"
    assert stored["Metadata"] == {"filename": "cat.jpg"}


def test_the_upload_page_uploads_from_the_browser(cloud, cloud_app):
    html = cloud.get("/upload").text

    assert 'data-mode="cloud"' in html
    assert 'data-presign-url="/api/uploads"' in html
    assert cloud_app.extensions["imgsearch_worker"] is None


def test_photos_in_s3_are_shown_through_presigned_urls(cloud, cloud_app, aws, cat_jpeg):
    image = cloud_app.extensions["imgsearch"].ingest.add(cat_jpeg, "cat.jpg").image

    response = cloud.get(f"/images/{image.id}/original")

    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    location = urlsplit(response.headers["Location"])
    assert location.netloc == f"{BUCKET}.s3.amazonaws.com"
    assert location.path == f"/{image.storage_key}"
    assert "X-Amz-Signature=" in location.query
    assert requests.get(response.headers["Location"], timeout=10).content == cat_jpeg


def test_the_session_key_comes_from_its_ssm_parameter(aws, make_app, cloud_settings):
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/imgsearch/web-secret-key", Value="k" * 48, Type="SecureString")
    app = make_app(settings=cloud_settings.with_overrides(ssm_secret_key_param="/imgsearch/web-secret-key"))
    assert app.secret_key == "k" * 48


def test_the_presigned_post_pins_the_type_it_checked(cloud):
    response = cloud.post(
        "/api/uploads", json={"files": [{"filename": "a.png", "size": 10, "type": "image/png"}]}
    )
    (upload,) = response.json["uploads"]
    conditions = policy_of(upload)["conditions"]
    assert {"Content-Type": "image/png"} in conditions  # not any image/ type, e.g. image/svg+xml
    assert ["starts-with", "$Content-Type", "image/"] in conditions
    assert upload["fields"]["Content-Type"] == "image/png"


def test_uploads_through_the_app_are_refused_in_cloud_mode(cloud, cat_jpeg):
    # On Lambda the web function neither decodes photos nor takes bodies over API Gateway's 6 MB.
    response = cloud.post("/api/images", data={"files": [(io.BytesIO(cat_jpeg), "cat.jpg")]})
    assert response.status_code == 409
    assert "/api/uploads" in response.json["error"]


def test_pages_load_thumbnails_straight_from_s3(cloud, cloud_app, aws, cat_jpeg):
    library = cloud_app.extensions["imgsearch"]
    image = library.ingest.process(library.ingest.add(cat_jpeg, "cat.jpg").image.id)
    html = cloud.get("/").get_data(as_text=True)
    src = next(part for part in html.split('src="')[1:] if image.thumbnail_key in part).split('"')[0]
    url = urlsplit(src.replace("&amp;", "&"))
    assert url.netloc == f"{BUCKET}.s3.amazonaws.com"  # no round trip through the web function
    assert "X-Amz-Expires=3600" in url.query
    assert "response-content-type=image%2Fjpeg" in url.query
    assert requests.get(src.replace("&amp;", "&"), timeout=10).headers["Content-Type"] == "image/jpeg"


def test_upload_forms_are_only_for_pages_of_this_site(aws, make_app, client_for, cloud_settings):
    app = make_app(
        settings=cloud_settings.with_overrides(
            public_url="https://photos.example.com", allowed_hosts="photos.example.com,localhost"
        )
    )
    files = {"files": [{"filename": "a.jpg", "size": 10, "type": "image/jpeg"}]}
    client = client_for(app)
    other = client.post("/api/uploads", json=files, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403
    same = client.post("/api/uploads", json=files, headers={"Origin": "https://photos.example.com"})
    assert same.status_code == 200


def test_an_unfilled_session_key_parameter_is_not_used(aws, make_app, cloud_settings, caplog):
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/imgsearch/web-secret-key", Value="UNSET", Type="SecureString")
    app = make_app(settings=cloud_settings.with_overrides(ssm_secret_key_param="/imgsearch/web-secret-key"))
    assert app.secret_key != "UNSET" and len(app.secret_key) >= 32
    assert "/imgsearch/web-secret-key is not set" in caplog.text


def test_a_refused_upload_is_deleted_and_never_served(cloud, cloud_app, aws):
    # A POSTed "photo" that is not one must not make the bucket a free file host.
    aws.put_object(Bucket=BUCKET, Key="originals/x.jpg", Body=b"%PDF-1.4", ContentType="image/jpeg")
    image = (
        cloud_app.extensions["imgsearch"]
        .ingest.register_stored("originals/x.jpg", b"%PDF-1.4", "x.jpg")
        .image
    )

    response = cloud.get(f"/images/{image.id}/original")

    assert response.status_code == 404
    assert "was not a photo we take, so it was deleted" in response.get_data(as_text=True)
    assert "Contents" not in aws.list_objects_v2(Bucket=BUCKET)


def test_a_long_non_ascii_name_still_fits_s3_metadata(cloud, aws, cat_jpeg):
    name = "🐈 кот " * 40 + ".jpg"  # 255 characters once cut, ~2.9 KB percent-encoded
    upload = cloud.post(
        "/api/uploads", json={"files": [{"filename": name, "size": len(cat_jpeg), "type": "image/jpeg"}]}
    ).json["uploads"][0]

    value = upload["fields"]["x-amz-meta-filename"]
    assert len(value.encode()) <= 1024  # S3 allows 2 KB of user metadata in all
    assert unquote(value).endswith(".jpg") and name[-255:].startswith(unquote(value)[:-4])
    sent = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("x.jpg", cat_jpeg, "image/jpeg")}, timeout=10
    )
    assert int(sent.status_code) == 201
