"""The whole product in headless Chromium: upload through the page, watch it index, search, open, delete."""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from photos import photo

from .samples import BOAT, CAT, KITTEN_QUERY

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots go to a temporary folder unless IMGSEARCH_SCREENSHOTS names one (the README's come from
# `IMGSEARCH_SCREENSHOTS=docs/screenshots make test PYTEST_ARGS="-m browser"`).
SCREENSHOTS = Path(os.environ.get("IMGSEARCH_SCREENSHOTS") or tempfile.mkdtemp(prefix="imgsearch-shots-"))
TIMEOUT_MS = 30_000


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def app(make_app, web_settings):
    return make_app(settings=web_settings.with_overrides(page_size=12))


@contextmanager
def serving(app) -> Iterator[str]:
    """The app served over real HTTP on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


PASSWORD = "correct horse battery staple"


def sign_in(page, url: str, app, name: str = "alice") -> None:
    """Give the page a signed-in session cookie for the account (made if needed), without a request.

    The first test signs in through the form instead, as a person does.
    """
    accounts = app.extensions["imgsearch"].accounts
    user = accounts.user(name) or accounts.add_user(name, PASSWORD)
    session = {"uid": user.id, "v": user.session_version, "csrf": "browser-test-token", "_permanent": True}
    value = app.session_interface.get_signing_serializer(app).dumps(session)
    page.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": url}])


@pytest.fixture
def live_url(app):
    """The app (with its ingest worker running) over real HTTP."""
    with serving(app) as url:
        yield url


@pytest.fixture
def s3_endpoint(monkeypatch):
    """A moto S3 server (it answers browsers with CORS headers) and an empty bucket in it."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="photos")
    yield endpoint
    server.stop()


def test_upload_search_open_and_delete_in_a_browser(browser, live_url, app, ingest_bytes, cat_jpeg, bike_png):
    # Photos already in the library, so the gallery and the results have company.
    ingest_bytes(photo(caption=BOAT, colour=(30, 80, 190), patch=(240, 240, 240)), "harbour.jpg")
    ingest_bytes(
        photo(caption="snowy mountains above a green lake", colour=(40, 120, 80), patch=(235, 235, 245)),
        "alps.jpg",
    )
    ingest_bytes(
        photo(caption="a birthday cake with candles", colour=(250, 210, 120), patch=(200, 40, 120)),
        "cake.jpg",
    )

    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Signing in: the upload page sends a visitor to the sign-in form and back.
    app.extensions["imgsearch"].accounts.add_user("alice", PASSWORD)
    page.goto(f"{live_url}/upload")
    assert page.url.startswith(f"{live_url}/login")
    page.fill("#name", "alice")
    page.fill("#password", PASSWORD)
    page.locator("form.login button").click()
    page.wait_for_url(f"{live_url}/upload")
    page.get_by_label("Choose photos").set_input_files(
        [
            {"name": "cat.jpg", "mimeType": "image/jpeg", "buffer": cat_jpeg},
            {"name": "bike.png", "mimeType": "image/png", "buffer": bike_png},
        ]
    )
    assert page.locator(".file-row").count() == 2
    page.get_by_role("button", name="Upload").click()

    page.wait_for_url(f"{live_url}/")
    assert page.get_by_text("2 photos added.").is_visible()
    page.wait_for_function(
        """() => ['cat.jpg', 'bike.png'].every(name => [...document.querySelectorAll('.card')].some(
               card => card.querySelector('.card-title').textContent === name
                       && card.dataset.status === 'indexed'
                       && card.querySelector('[data-role=status]').textContent === 'indexed'
                       && card.querySelector('img')))"""
    )
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "gallery.png"), full_page=True)

    search = page.get_by_role("searchbox", name="Search photos")
    search.fill(KITTEN_QUERY)
    search.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    titles = page.locator(".result-title a")
    assert titles.first.inner_text() == "cat.jpg"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / "search.png"), full_page=True)

    titles.first.click()
    page.wait_for_url(re.compile(r"/images/[0-9a-f]{32}$"))
    assert page.get_by_role("heading", level=1).inner_text() == "cat.jpg"
    assert CAT in page.locator(".description").inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(f"{live_url}/")
    assert page.get_by_text("Deleted cat.jpg.").is_visible()
    assert page.locator(".card-title", has_text="cat.jpg").count() == 0
    assert errors == []


def test_cloud_upload_goes_from_the_browser_straight_to_s3(
    browser, s3_endpoint, make_app, web_settings, cat_jpeg
):
    settings = web_settings.with_overrides(storage="s3", s3_bucket="photos", aws_endpoint_url=s3_endpoint)
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    app = make_app(settings=settings)
    with serving(app) as url:
        sign_in(page, url, app)
        page.goto(f"{url}/upload")
        page.get_by_label("Choose photos").set_input_files(
            [
                {"name": "cat.jpg", "mimeType": "image/jpeg", "buffer": cat_jpeg},
                {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"},
            ]
        )
        page.get_by_role("button", name="Upload").click()
        page.get_by_text("1 of 2 uploaded.").wait_for()

    rows = page.locator(".file-row")
    assert rows.nth(0).get_attribute("data-state") == "done"
    assert rows.nth(0).locator(".file-state").inner_text() == "uploaded"
    assert rows.nth(1).get_attribute("data-state") == "error"
    assert "text/plain is not an image we take" in rows.nth(1).inner_text()
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    (stored,) = s3.list_objects_v2(Bucket="photos", Prefix=settings.s3_originals_prefix)["Contents"]
    head = s3.head_object(Bucket="photos", Key=stored["Key"])
    assert head["ContentType"] == "image/jpeg"
    assert head["Metadata"] == {"filename": "cat.jpg"}
    assert s3.get_object(Bucket="photos", Key=stored["Key"])["Body"].read() == cat_jpeg


def record_upload_bodies(app) -> list[bytes]:
    """Keep the body of every POST the app receives (Chromium does not show a File's bytes to Playwright)."""
    bodies: list[bytes] = []
    wsgi_app = app.wsgi_app

    def recording(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            bodies.append(body)
            environ["wsgi.input"] = io.BytesIO(body)
        return wsgi_app(environ, start_response)

    app.wsgi_app = recording
    return bodies


def test_local_upload_goes_in_batches_the_server_accepts(browser, make_app, web_settings):
    # 10 KB per photo and about three small photos per request: seven photos need several requests.
    settings = web_settings.with_overrides(max_upload_mb=0.01)
    app = make_app({"MAX_CONTENT_LENGTH": 12 * 1024}, settings=settings)
    bodies = record_upload_bodies(app)
    good = {
        f"photo-{n}.jpg": photo(size=(320, 240), colour=(30 * n, 90, 160), patch=(230, 230, 230), seed=n + 1)
        for n in range(7)
    }
    files = [{"name": name, "mimeType": "image/jpeg", "buffer": data} for name, data in good.items()]
    files.insert(2, {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": os.urandom(16 * 1024)})
    files.insert(5, {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"})

    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request))
    statuses: list[int] = []
    page.on("response", lambda reply: reply.request.method == "POST" and statuses.append(reply.status))

    with serving(app) as url:
        sign_in(page, url, app)
        page.goto(f"{url}/upload")
        form = page.locator("form[data-upload]")
        assert form.get_attribute("data-max-bytes") == str(12 * 1024)
        assert form.get_attribute("data-max-file-bytes") == str(settings.max_upload_bytes)
        page.get_by_label("Choose photos").set_input_files(files)
        assert page.locator(".file-row").count() == 9
        page.get_by_role("button", name="Upload").click()
        page.get_by_text("7 of 9 photos added, 2 refused.").wait_for()
        assert page.url == f"{url}/upload"  # the outcome is shown here, not after a navigation

    assert len(posts) >= 3
    assert all(post.url == f"{url}/upload" for post in posts)
    assert all(status < 400 for status in statuses), statuses
    assert len(bodies) == len(posts)
    assert all(len(body) <= 12 * 1024 for body in bodies)
    assert not any(b"huge.jpg" in body for body in bodies)  # refused in the page, never sent

    rows = {
        row.locator(".file-name").inner_text(): (
            row.get_attribute("data-state"),
            row.locator(".file-state").inner_text(),
        )
        for row in page.locator(".file-row").all()
    }
    too_big = "the file is 16 KB, over the 10 KB limit for one photo; not sent"
    assert rows.pop("huge.jpg") == ("error", too_big)
    state, reason = rows.pop("notes.txt")
    assert state == "error"
    assert "not an image" in reason
    assert rows == {name: ("done", "added") for name in good}

    assert app.extensions["imgsearch_worker"].join(timeout=60)
    library = app.extensions["imgsearch"]
    stored = library.repository.list(offset=0, limit=100)
    assert sorted(image.filename for image in stored) == sorted(good)
    assert {image.status.value for image in stored} == {"indexed"}
    assert errors == []


def test_photos_dropped_on_the_drop_zone_are_uploaded(browser, live_url, app, cat_jpeg, bike_png):
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_url, app)
    page.goto(f"{live_url}/upload")

    # A real drop: a DataTransfer holding File objects, dispatched on the drop zone like a browser would.
    page.evaluate(
        """files => {
            const transfer = new DataTransfer();
            for (const {name, type, bytes} of files) {
                transfer.items.add(new File([new Uint8Array(bytes)], name, {type}));
            }
            const zone = document.querySelector('[data-dropzone]');
            for (const type of ['dragenter', 'dragover', 'drop']) {
                const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
                zone.dispatchEvent(new DragEvent(type, init));
            }
        }""",
        [
            {"name": "cat.jpg", "type": "image/jpeg", "bytes": list(cat_jpeg)},
            {"name": "bike.png", "type": "image/png", "bytes": list(bike_png)},
        ],
    )
    assert page.locator(".file-name").all_inner_texts() == ["cat.jpg", "bike.png"]
    assert page.get_by_text("2 photos chosen.").is_visible()
    assert page.get_by_label("Choose photos").evaluate("input => input.files.length") == 2
    page.get_by_role("button", name="Upload").click()

    page.wait_for_url(f"{live_url}/")
    assert page.get_by_text("2 photos added.").is_visible()
    assert app.extensions["imgsearch_worker"].join(timeout=60)
    stored = app.extensions["imgsearch"].repository.list(offset=0, limit=10)
    assert sorted(image.filename for image in stored) == ["bike.png", "cat.jpg"]
    assert {image.status.value for image in stored} == {"indexed"}
    assert errors == []


def test_every_file_of_a_batched_upload_gets_its_own_outcome(browser, make_app, web_settings):
    # Thirteen refusals among seventeen files: more than the upload view's answer lists (ten), so
    # the page sends smaller batches and still shows each file's own outcome.
    app = make_app(settings=web_settings.with_overrides(max_upload_mb=0.01))
    bodies = record_upload_bodies(app)
    kinds = ["jpg", "txt", "txt", "jpg"] + ["txt"] * 8 + ["jpg", "txt", "txt", "jpg"]
    files = [{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": os.urandom(20_000)}]
    for n, kind in enumerate(kinds):
        if kind == "jpg":
            data = photo(size=(64, 48), seed=n + 1)
            files.append({"name": f"{n}.jpg", "mimeType": "image/jpeg", "buffer": data})
        else:
            files.append({"name": f"{n}.txt", "mimeType": "text/plain", "buffer": b"text %d" % n})
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    with serving(app) as url:
        sign_in(page, url, app)
        page.goto(f"{url}/upload")
        page.get_by_label("Choose photos").set_input_files(files)
        page.get_by_role("button", name="Upload").click()
        page.get_by_text("4 of 17 photos added, 13 refused.").wait_for()

    assert len(bodies) == 2
    states = page.locator(".file-row").evaluate_all(
        "rows => rows.map(row => [row.dataset.state, row.querySelector('.file-state').textContent])"
    )
    assert states[0] == ["error", "the file is 20 KB, over the 10 KB limit for one photo; not sent"]
    not_an_image = "not an image (its contents are not a format we can read)"
    assert states[1:] == [["done", "added"] if kind == "jpg" else ["error", not_an_image] for kind in kinds]
