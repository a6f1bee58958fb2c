"""Rate-limit buckets and daily upload counts in the metadata database (shared by every Lambda container).

Each check is one atomic UPDATE whose WHERE clause holds the limit, so two containers racing for
the last token cannot both have it (PostgreSQL re-checks the condition on the row it locked).
"""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.engine import Engine

from imgsearch.db.schema import RateRow, UsageRow


class SqlRates:
    """RateStore over the rate_limits table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def take(self, subject: str, interval: float, burst: int, cost: int, now: float) -> float:
        start = case((RateRow.tat > now, RateRow.tat), else_=now)
        arrival = start + cost * interval
        with self.engine.begin() as conn:
            _insert_missing(conn, RateRow, {"subject": subject, "tat": now})
            granted = conn.execute(
                update(RateRow)
                .where(RateRow.subject == subject, arrival - now <= burst * interval + 1e-9)
                .values(tat=arrival)
            ).rowcount
            if granted:
                return 0.0
            tat = conn.execute(select(RateRow.tat).where(RateRow.subject == subject)).scalar() or now
        return max(tat, now) + cost * interval - now - burst * interval


class SqlUsage:
    """UsageStore over the upload_usage table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def reserve(self, owner: str, day: str, photos: int, size: int, max_photos: int, max_bytes: int) -> bool:
        row = (UsageRow.owner_id == owner, UsageRow.day == day)
        with self.engine.begin() as conn:
            _insert_missing(conn, UsageRow, {"owner_id": owner, "day": day, "photos": 0, "bytes": 0})
            return bool(
                conn.execute(
                    update(UsageRow)
                    .where(*row, UsageRow.photos + photos <= max_photos, UsageRow.bytes + size <= max_bytes)
                    .values(photos=UsageRow.photos + photos, bytes=UsageRow.bytes + size)
                ).rowcount
            )

    def release(self, owner: str, day: str, photos: int, size: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(UsageRow)
                .where(UsageRow.owner_id == owner, UsageRow.day == day)
                .values(
                    photos=case((UsageRow.photos > photos, UsageRow.photos - photos), else_=0),
                    bytes=case((UsageRow.bytes > size, UsageRow.bytes - size), else_=0),
                )
            )

    def used(self, owner: str, day: str) -> tuple[int, int]:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(UsageRow.photos, UsageRow.bytes).where(UsageRow.owner_id == owner, UsageRow.day == day)
            ).first()
        return (int(found[0]), int(found[1])) if found else (0, 0)


def _insert_missing(conn, table, values: dict) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(table).values(**values).on_conflict_do_nothing())
