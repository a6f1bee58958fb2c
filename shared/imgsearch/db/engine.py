"""Engines for SQLite (WAL, busy timeout) and PostgreSQL through pg8000 (TLS verified for remote hosts)."""

from __future__ import annotations

import ssl
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}
VERIFYING_MODES = {"require", "verify-ca", "verify-full"}


def normalise_url(url: str, timeout_s: float | None = None) -> tuple[URL, dict]:
    """The SQLAlchemy URL to connect with and the DBAPI connect arguments it needs.

    timeout_s bounds connecting to PostgreSQL and each wait for the server (pg8000 waits for ever
    without it), so a hung database fails a request instead of outliving it.
    """
    parsed = make_url(url)
    connect_args: dict = {}
    if parsed.get_backend_name() in ("postgresql", "postgres"):  # "postgres://" as Heroku-style URLs say
        parsed = parsed.set(drivername="postgresql+pg8000")
        query = dict(parsed.query)
        mode = str(query.pop("sslmode", "")).lower()
        query.pop("channel_binding", None)  # Neon adds it; pg8000 negotiates SCRAM itself
        parsed = parsed.set(query=query)
        remote = (parsed.host or "") not in LOCAL_HOSTS
        # "prefer"/"allow" would let a remote connection fall back to plain text: we never do.
        if mode in VERIFYING_MODES or (mode in ("", "prefer", "allow") and remote):
            # Hosted Postgres (Neon, RDS...): TLS with the system's CA bundle and host name checks.
            # libpq's "require" does not verify; we verify anyway, as a hosted service should pass.
            connect_args["ssl_context"] = ssl.create_default_context()
        elif mode == "disable":
            # False, not None: pg8000 1.31 reads None as "try TLS without verifying it".
            connect_args["ssl_context"] = False
        if timeout_s:
            connect_args["timeout"] = timeout_s
    return parsed, connect_args


def create_engine(url: str, timeout_s: float | None = None) -> Engine:
    """An engine tuned for the back end the URL names (timeout_s: see normalise_url)."""
    from sqlalchemy import create_engine as sa_create_engine

    parsed, connect_args = normalise_url(url, timeout_s)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa_create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Small pool: Lambda runs one request at a time per container; the local server a few threads.
    return sa_create_engine(
        parsed,
        connect_args=connect_args,
        pool_size=2,
        max_overflow=4,
        pool_pre_ping=True,
        pool_recycle=300,
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # PostgreSQL has bit_count(); SQLite gets the same measure as a function of its own, so the
    # near-duplicate search compares hashes in the database instead of reading every one out.
    dbapi_connection.create_function("hamming_hex", 2, hamming_hex, deterministic=True)


def hamming_hex(a: str | None, b: str | None) -> int | None:
    """How many bits two hex strings of the same length differ in (None if either is missing)."""
    if a is None or b is None:
        return None
    return (int(a, 16) ^ int(b, 16)).bit_count()
