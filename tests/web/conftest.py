"""Fixtures for the web app: an app over a temporary data dir with the real pipeline, its client, photos."""

from __future__ import annotations

import io
import shutil

import pytest

from imgsearch.library import Library
from imgsearch.models import Status
from imgsearch_web import create_app
from photos import photo

from .samples import BIKE, BOAT, CAT


@pytest.fixture(scope="session")
def cat_jpeg() -> bytes:
    return photo(caption=CAT, colour=(120, 120, 125), patch=(170, 40, 40))


@pytest.fixture(scope="session")
def bike_png() -> bytes:
    return photo(fmt="PNG", xmp_description=BIKE, colour=(150, 70, 50), patch=(40, 40, 40), size=(480, 640))


@pytest.fixture(scope="session")
def boat_jpeg() -> bytes:
    return photo(caption=BOAT, colour=(30, 80, 190), patch=(240, 240, 240))


@pytest.fixture
def web_settings(settings):
    """OCR off (the test photos carry no text and tesseract is slow); two photos per gallery page."""
    return settings.with_overrides(ocr=False, page_size=2)


@pytest.fixture
def make_app(web_settings, embedder):
    """Build apps over the test data dir, sharing the session's MiniLM; their workers stop afterwards."""
    apps = []

    def make(config: dict | None = None, settings=None):
        settings = settings or web_settings
        library = Library(settings, embedder=embedder)
        app = create_app({"TESTING": True, **(config or {})}, settings=settings, library=library)
        apps.append(app)
        return app

    yield make
    for app in apps:
        if app.extensions["imgsearch_worker"] is not None:
            app.extensions["imgsearch_worker"].stop()


@pytest.fixture
def app(make_app):
    return make_app()


PASSWORD = "correct horse battery staple"


@pytest.fixture
def client_for():
    """A test client of an app signed in as an account (made on first use) with an API token.

    The first account of a data dir adopts the local library, so `library` and `ingest_bytes`
    add to alice's photos.
    """

    def make(app, name: str = "alice"):
        accounts = app.extensions["imgsearch"].accounts
        user = accounts.user(name) or accounts.add_user(name, PASSWORD)
        _, secret = accounts.create_token(user, f"tests {len(accounts.tokens(user))}")
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        client.user = user
        return client

    return make


@pytest.fixture
def client(app, client_for):
    """Alice's client: a bearer token, so requests need no CSRF token (as scripts send them)."""
    return client_for(app)


@pytest.fixture
def worker(app):
    return app.extensions["imgsearch_worker"]


@pytest.fixture
def library(app) -> Library:
    """The app's own Library (so the root `ingest_bytes` fixture adds to the app's library)."""
    return app.extensions["imgsearch"]


@pytest.fixture
def post_files(client):
    """POST files (name, bytes) as one multipart request to the JSON API or the upload form."""

    def post(*files: tuple[str, bytes], url: str = "/api/images", **kwargs):
        data = {"files": [(io.BytesIO(content), name) for name, content in files]}
        return client.post(url, data=data, content_type="multipart/form-data", **kwargs)

    return post


@pytest.fixture
def indexed(post_files, worker):
    """Upload photos through the API and wait for the worker; returns {filename: id}."""

    def add(*files: tuple[str, bytes]) -> dict[str, str]:
        response = post_files(*files)
        assert response.status_code == 201, response.json
        assert worker.join(timeout=30)
        return {f["filename"]: f["id"] for f in response.json["files"]}

    return add


@pytest.fixture
def failed_image(library, tmp_path):
    """An image whose processing failed because its original went missing; restore() puts it back."""

    def make(data: bytes, filename: str):
        image = library.ingest.add(data, filename).image
        original = library.storage.path(image.storage_key)
        hidden = tmp_path / "hidden-original"
        shutil.move(original, hidden)
        failed = library.ingest.process(image.id)
        assert failed.status == Status.FAILED

        def restore() -> None:
            shutil.move(hidden, original)

        return failed, restore

    return make
