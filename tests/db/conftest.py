"""The metadata database under test: the same tests on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import pytest
from db.postgres import postgres_server, postgres_url  # noqa: F401  (the session-scoped server, shared)
from sqlalchemy import text

from imgsearch.db.engine import create_engine


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
def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()
