"""Database URLs: pg8000 always, TLS verified for hosted PostgreSQL, none for a local server."""

from __future__ import annotations

import socket
import ssl
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from imgsearch.db.engine import create_engine, normalise_url

NEON = "ep-cool-darkness-123456.eu-central-1.aws.neon.tech"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://alex:secret@{NEON}/neondb?sslmode=require&channel_binding=require",
        f"postgres://alex:secret@{NEON}/neondb?sslmode=require",
        f"postgresql://alex:secret@{NEON}/neondb",  # remote without sslmode: still verified TLS
        "postgresql+pg8000://alex:secret@db.internal:5432/imgsearch?sslmode=verify-full",
        # libpq would fall back to plain text with these; we never do for a remote host
        f"postgresql://alex:secret@{NEON}/neondb?sslmode=prefer",
        f"postgresql://alex:secret@{NEON}/neondb?sslmode=allow",
    ],
)
def test_remote_postgres_gets_verified_tls(url):
    parsed, connect_args = normalise_url(url)

    assert parsed.drivername == "postgresql+pg8000"
    assert "sslmode" not in parsed.query and "channel_binding" not in parsed.query
    context = connect_args["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@localhost/imgsearch", "postgresql+pg8000://postgres@127.0.0.1:5433/imgsearch"],
)
def test_local_postgres_without_sslmode_has_no_tls(url):
    parsed, connect_args = normalise_url(url)
    assert parsed.drivername == "postgresql+pg8000"
    assert connect_args == {}


def test_sslmode_disable_turns_tls_off():
    # pg8000 1.31 takes None as "try TLS, unverified"; only False means no TLS at all.
    _, connect_args = normalise_url(f"postgresql://alex@{NEON}/neondb?sslmode=disable")
    assert connect_args == {"ssl_context": False}


def test_a_silent_server_fails_the_connection_in_time():
    # GIVEN a server that accepts the connection and never answers (a hung or unreachable database)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        engine = create_engine(f"postgresql://alex:pw@127.0.0.1:{port}/imgsearch?sslmode=disable", 0.5)
        started = time.monotonic()
        # WHEN connecting THEN pg8000 gives up after the timeout instead of waiting for ever
        with pytest.raises((OperationalError, TimeoutError)):
            engine.connect()
        assert time.monotonic() - started < 10
        engine.dispose()


def test_sqlite_is_left_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    parsed, connect_args = normalise_url(url)
    assert (str(parsed), connect_args) == (url, {})


def test_sqlite_engine_uses_wal(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'deep' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


@pytest.mark.postgres
def test_sslmode_disable_connects_in_plain_text(postgres_url):
    url = postgres_url.replace("postgresql+pg8000://", "postgresql://") + "?sslmode=disable"
    engine = create_engine(url, timeout_s=5)
    with engine.connect() as conn:
        ssl_used = text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert conn.execute(ssl_used).scalar() is False
    engine.dispose()


@pytest.mark.postgres
def test_the_local_server_answers_over_pg8000(postgres_url):
    engine = create_engine(postgres_url.replace("postgresql+pg8000://", "postgresql://"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_database()")).scalar() == "imgsearch"
        assert conn.dialect.driver == "pg8000"
    engine.dispose()
