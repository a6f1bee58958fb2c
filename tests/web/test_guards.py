"""The guards in front of every view: other sites, foreign Host names, rates and quotas, bodies too
large or too many, photos with too many pixels, and names and ids that are not what they seem."""

from __future__ import annotations

import io
import json
import re
import socket
import threading

import pytest
from PIL import Image

from photos import photo

from .test_accounts import csrf_of, sign_in, upload

EVIL = "http://evil.example"


@pytest.fixture
def browser(app, client):
    """Alice signed in with the session cookie, as a browser is (client made her account)."""
    browser = app.test_client()
    sign_in(browser)
    return browser


def test_another_site_cannot_make_a_signed_in_browser_change_anything(browser, client, indexed, cat_jpeg):
    cat = indexed(("cat.jpg", cat_jpeg))["cat.jpg"]
    token = csrf_of(browser)

    refused = [
        browser.post(f"/images/{cat}/delete", data={"csrf_token": token}, headers={"Origin": EVIL}),
        browser.post(f"/images/{cat}/delete", data={"csrf_token": token}, headers={"Origin": "null"}),
        browser.post(f"/images/{cat}/delete", data={"csrf_token": token}, headers={"Referer": f"{EVIL}/x"}),
        browser.post(
            f"/images/{cat}/delete", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}
        ),
        browser.post(
            f"/images/{cat}/delete", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "same-site"}
        ),
        browser.post(f"/images/{cat}/delete"),  # no CSRF token
        browser.post(f"/images/{cat}/delete", data={"csrf_token": "guessed"}),
        browser.delete(f"/api/images/{cat}"),  # fetch without the X-CSRF-Token header
        browser.post("/api/images", data={"files": [(io.BytesIO(cat_jpeg), "x.jpg")]}),
        # The issue's own example: a DELETE from another origin, even with a valid token.
        client.delete(f"/api/images/{cat}", headers={"Origin": EVIL}),
    ]

    assert [r.status_code for r in refused] == [403] * len(refused)
    assert client.get(f"/api/images/{cat}").status_code == 200
    same_site = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert (
        browser.delete(f"/api/images/{cat}", headers={"X-CSRF-Token": token, **same_site}).status_code == 204
    )


def test_signing_in_needs_the_forms_token_too(app, client):
    browser = app.test_client()
    browser.get("/login")
    response = browser.post("/login", data={"name": "alice", "password": "correct horse battery staple"})
    assert response.status_code == 403
    assert browser.get("/").status_code == 302


@pytest.mark.parametrize(
    "path", ["/", "/login", "/api/images", "/api/openapi.json", "/healthz", "/static/app.js"]
)
def test_a_foreign_host_name_is_refused_everywhere(client, path):
    # A DNS-rebinding page reaches 127.0.0.1 under its own name: no answer but this one.
    response = client.get(path, headers={"Host": "rebind.evil.example:8000"})
    assert response.status_code == 400
    assert "does not answer to that host name" in response.get_data(as_text=True)
    for host in ("localhost", "localhost:8000", "127.0.0.1:5000", "[::1]:8000"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host


def test_the_host_names_answered_are_configurable(make_app, web_settings, client_for):
    app = make_app(settings=web_settings.with_overrides(allowed_hosts="photos.example.org,localhost:8000"))
    client = client_for(app)
    assert client.get("/healthz", headers={"Host": "photos.example.org"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "localhost:9000"}).status_code == 400
    public = make_app(settings=web_settings.with_overrides(public_url="https://photos.example.com"))
    assert public.test_client().get("/healthz", headers={"Host": "photos.example.com"}).status_code == 200
    assert public.test_client().get("/healthz", headers={"Host": "127.0.0.1"}).status_code == 400


def test_searching_too_fast_answers_429_with_retry_after(make_app, web_settings, client_for):
    app = make_app(settings=web_settings.with_overrides(searches_per_minute=2))
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    assert [alice.get("/api/search?q=cat").status_code for _ in range(2)] == [200, 200]

    limited = alice.get("/api/search?q=cat")
    page = alice.get("/search?q=cat")

    assert limited.status_code == 429 and page.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 30
    assert limited.json["error"].startswith("Too many searches: at most 2 a minute")
    assert bob.get("/api/search?q=cat").status_code == 200  # each account has its own


def test_signing_in_too_often_answers_429(make_app, web_settings, client_for):
    app = make_app(settings=web_settings.with_overrides(logins_per_minute=3))
    client_for(app)  # alice
    browser = app.test_client()
    statuses = [sign_in(browser, password="wrong password!").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert "Too many attempts to sign in" in sign_in(browser).text  # even with the right password


def test_the_daily_quota_bounds_uploads_and_says_when_it_starts_again(
    make_app, web_settings, client_for, cat_jpeg
):
    app = make_app(
        settings=web_settings.with_overrides(daily_upload_photos=2), config={"START_WORKER": False}
    )
    client = client_for(app)
    boat = photo(caption="a boat", seed=4)
    upload(client, ("cat.jpg", cat_jpeg))
    upload(client, ("cat again.jpg", cat_jpeg))  # already in the library: not counted
    mixed = client.post(
        "/api/images",
        data={"files": [(io.BytesIO(boat), "boat.jpg"), (io.BytesIO(photo(seed=9)), "more.jpg")]},
        content_type="multipart/form-data",
    )
    assert mixed.status_code == 207
    assert mixed.json["files"][1]["error"].startswith("the daily upload quota is reached (2 photos a day)")

    refused = client.post(
        "/api/images",
        data={"files": [(io.BytesIO(photo(seed=7)), "x.jpg")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    assert "it starts again at 00:00 UTC" in refused.json["error"]
    assert client.get("/api/images").json["total"] == 2


def test_uploading_too_fast_answers_429(make_app, web_settings, client_for, cat_jpeg):
    app = make_app(settings=web_settings.with_overrides(uploads_per_minute=2), config={"START_WORKER": False})
    client = client_for(app)
    files = [(io.BytesIO(photo(seed=n)), f"{n}.jpg") for n in range(2)]
    assert (
        client.post("/api/images", data={"files": files}, content_type="multipart/form-data").status_code
        == 201
    )
    again = client.post("/api/images", data={"files": [(io.BytesIO(cat_jpeg), "c.jpg")]})
    assert again.status_code == 429 and "Too many photos uploaded" in again.json["error"]


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the body was read")

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def tell(self) -> int:
        return 0


def test_a_body_over_the_limit_is_refused_from_its_content_length_unread(client, app):
    size = 600 * 1024 * 1024
    for path in ("/api/images", "/upload"):
        response = client.post(
            path,
            input_stream=Unreadable(),
            content_type="multipart/form-data; boundary=x",
            environ_overrides={"CONTENT_LENGTH": str(size)},
        )
        assert response.status_code == 413, path
        assert "The upload is too large" in response.get_data(as_text=True)
    assert response.headers.get("Retry-After") is None


def test_too_many_tiny_files_get_their_own_message(client):
    files = [(io.BytesIO(b"x"), f"{n}.jpg") for n in range(1100)]
    response = client.post("/api/images", data={"files": files}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.json["error"].startswith("The upload has too many parts: at most 1,000 files and fields")


def test_the_local_server_refuses_a_large_body_before_reading_it(app):
    from imgsearch_web.serving import create_server

    server = create_server(app, "127.0.0.1", 0)
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"POST /api/images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                b"boundary=x\r\nContent-Length: 629145600\r\n\r\n"  # 600 MB announced, none sent
            )
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
    finally:
        server.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["error"].startswith("The upload is too large")


def test_a_small_file_of_too_many_pixels_is_refused_before_it_is_decoded(client, web_settings):
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG", optimize=True)  # 64 megapixels in a few kilobytes
    assert len(out.getvalue()) < 300_000

    response = client.post("/api/images", data={"files": [(io.BytesIO(out.getvalue()), "bomb.png")]})

    assert response.status_code == 400
    limit = web_settings.max_pixels // 1_000_000
    assert (
        response.json["files"][0]["error"]
        == f"the image is 8000x8000 pixels, over the {limit} megapixel limit"
    )


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(web_settings):
    from imgsearch.photos import make_thumbnail, open_upright

    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (200, 40, 40)).save(out, "JPEG", quality=70)
    seen = open_upright(out.getvalue(), 480)
    assert max(seen.size) == 480
    with Image.open(io.BytesIO(make_thumbnail(out.getvalue(), 480))) as thumb:
        assert thumb.size == (480, 360)


def test_names_are_kept_as_sent_and_shown_escaped(client, worker, cat_jpeg):
    boat = photo(caption="a boat", seed=4)
    odd = photo(caption="a dog", seed=6)
    response = client.post(
        "/api/images",
        data={
            "files": [
                (io.BytesIO(cat_jpeg), "<script>x</script>.jpg"),
                (io.BytesIO(boat), ".."),
                (io.BytesIO(odd), "../photos/2024/holiday.jpg"),
            ]
        },
        content_type="multipart/form-data",
    )
    names = [f["filename"] for f in response.json["files"]]
    assert names == ["<script>x</script>.jpg", "upload.jpg", "holiday.jpg"]
    assert worker.join(timeout=30)
    html = client.get(f"/images/{response.json['files'][0]['id']}").text
    assert "&lt;script&gt;x&lt;/script&gt;.jpg" in html and "<script>x</script>" not in html


def test_a_file_name_that_is_not_utf8_keeps_its_file(client, cat_jpeg):
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="files"; filename="caf\xe9.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + cat_jpeg + b"\r\n--b0undary--\r\n"
    )
    response = client.post("/api/images", data=body, content_type="multipart/form-data; boundary=b0undary")
    assert response.status_code == 201
    assert response.json["files"][0]["filename"] == "café.jpg"


def test_a_404_does_not_echo_a_long_id(client):
    response = client.get(f"/api/images/{'a' * 5000}")
    assert response.status_code == 404
    assert len(response.json["error"]) < 60 and response.json["error"].endswith("….")
    assert len(client.get(f"/images/{'b' * 5000}").text) < 10_000


def test_a_cloud_upload_form_is_counted_when_it_is_handed_out(aws_s3, make_app, web_settings, client_for):
    settings = web_settings.with_overrides(storage="s3", s3_bucket="photos", daily_upload_photos=1)
    app = make_app(settings=settings)
    client = client_for(app)
    files = [{"filename": f"{n}.jpg", "size": 1000, "type": "image/jpeg"} for n in range(2)]

    first = client.post("/api/uploads", json={"files": files})
    again = client.post("/api/uploads", json={"files": files[:1]})

    uploads = first.json["uploads"]
    assert "url" in uploads[0] and uploads[0]["key"].startswith(f"originals/{client.user.id}/")
    assert uploads[1]["error"].startswith("the daily upload quota is reached")
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
    assert re.match(r"^The daily upload quota is reached", again.json["error"])


@pytest.fixture
def aws_s3(monkeypatch):
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="photos")
        yield
