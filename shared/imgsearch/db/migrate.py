"""Schema migrations (Alembic), shared by SQLite and PostgreSQL; run at start-up when behind."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0003"


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; cheap when it already is."""
    if current_revision(engine) == HEAD:
        return  # skip importing Alembic on every start
    logging.getLogger("alembic").setLevel(logging.WARNING)  # before import: it logs as it loads
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except Exception:
        # Two processes starting on a new database race to create it; the loser finds it done.
        if current_revision(engine) != HEAD:
            raise
