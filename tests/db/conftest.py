"""The metadata database under test: the same tests on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import pytest

from imgsearch.db.engine import create_engine

# database_url (SQLite, and the session's PostgreSQL) is in tests/conftest.py: the web tests use it too.


@pytest.fixture
def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()
