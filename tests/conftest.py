"""Fixtures shared by every test: settings on a temporary data dir, a library, photos."""

from __future__ import annotations

import pytest
from db.postgres import postgres_server, postgres_url  # noqa: F401  (the session-scoped server, shared)
from sqlalchemy import text

from imgsearch.config import Settings, load_settings
from imgsearch.db.engine import create_engine
from imgsearch.library import Library
from imgsearch.models import Status


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """Passwords hash at a low scrypt cost in tests (tests/test_accounts.py checks the real one)."""
    from imgsearch import passwords

    real = passwords.COST
    passwords.COST = passwords.Cost(n=2**10, r=8, p=1)
    yield
    passwords.COST = real


@pytest.fixture(scope="session")
def embedder():
    """One MiniLM per test session: loading the weights is the slow part."""
    from imgsearch.embedders.minilm import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """An empty database: a SQLite file, or the session's PostgreSQL with its schema dropped."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'imgsearch.db'}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings(environ={}, env_file=None, overrides={"data_dir": str(tmp_path / "data")})


@pytest.fixture
def library(settings, embedder) -> Library:
    return Library(settings, embedder=embedder)


@pytest.fixture
def ingest_bytes(library):
    """Add and process one photo through the real pipeline; returns its record."""

    def ingest(data: bytes, filename: str = "photo.jpg"):
        added = library.ingest.add(data, filename)
        image = library.ingest.process(added.image.id)
        assert image.status == Status.INDEXED, image.error
        return image

    return ingest
