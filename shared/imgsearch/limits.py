"""Per-account limits that bound the server's work and the cloud bill.

Rates (searches, photos uploaded, sign-in attempts a minute) are token buckets, kept in the GCRA
form: one number per subject, the time its bucket would be full again. They are kept in this
process locally (one server) and in the database on AWS (many Lambda containers, one count).
The daily upload quota (photos and bytes per UTC day) is always in the database: it survives
restarts, and on AWS it is taken when the presigned POST is handed out, before a byte reaches S3.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from imgsearch.errors import ImgsearchError

MB = 1024 * 1024


class LimitReached(ImgsearchError):
    """Too much, too fast (or too much today): retry_after says in how many seconds to try again."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


class RateStore(Protocol):
    def take(self, subject: str, interval: float, burst: int, cost: int, now: float) -> float:
        """Take cost tokens of the subject's bucket; 0 if granted, else the seconds until they would be."""
        ...


class UsageStore(Protocol):
    def reserve(self, owner: str, day: str, photos: int, size: int, max_photos: int, max_bytes: int) -> bool:
        """Count an upload against the owner's day, unless it would pass either maximum."""
        ...

    def release(self, owner: str, day: str, photos: int, size: int) -> None: ...

    def used(self, owner: str, day: str) -> tuple[int, int]: ...


@dataclass(frozen=True)
class Allowances:
    """How much each account may do (0: no limit). From Settings, read once."""

    searches_per_minute: int = 60
    uploads_per_minute: int = 600
    logins_per_minute: int = 10
    photos_per_day: int = 1000
    bytes_per_day: int = 10 * 1024 * MB


class Limits:
    """Checks each account's rates and daily quota; raises LimitReached with a clear message."""

    def __init__(
        self,
        allowances: Allowances,
        rates: RateStore,
        usage: UsageStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.allowances = allowances
        self.rates = rates
        self.usage = usage
        self.clock = clock

    def search(self, owner: str) -> None:
        """One search (or similar-photos lookup) by this owner."""
        self._rate(f"search:{owner}", self.allowances.searches_per_minute, 1, "searches")

    def upload(self, owner: str, photos: int = 1) -> None:
        """This many photos uploaded (or asked to be) by this owner, now."""
        self._rate(f"upload:{owner}", self.allowances.uploads_per_minute, photos, "photos uploaded")

    def login(self, name: str) -> None:
        """One attempt to sign in as this account name (whoever makes it)."""
        self._rate(
            f"login:{name.strip().lower()[:64]}", self.allowances.logins_per_minute, 1, "sign-in attempts"
        )

    def reserve_upload(self, owner: str, size: int) -> str:
        """Count one photo of size bytes against the owner's quota for today; returns the day to release.

        Raises LimitReached (retry after the next UTC midnight) when the day's quota is used up.
        """
        a = self.allowances
        now = datetime.fromtimestamp(self.clock(), UTC)
        day = now.date().isoformat()
        max_photos = a.photos_per_day or 2**31 - 1
        max_bytes = a.bytes_per_day or 2**62
        if self.usage.reserve(owner, day, 1, size, max_photos, max_bytes):
            return day
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        photos, used = self.usage.used(owner, day)
        if a.photos_per_day and photos + 1 > a.photos_per_day:
            what = f"{a.photos_per_day:,} photos a day"
        else:
            what = f"{a.bytes_per_day / MB:,.0f} MB a day ({used / MB:,.0f} MB used today)"
        raise LimitReached(
            f"the daily upload quota is reached ({what}); it starts again at 00:00 UTC",
            (midnight - now).total_seconds(),
        )

    def release_upload(self, owner: str, day: str, size: int) -> None:
        """Give back a reserved upload that was refused or was already in the library."""
        self.usage.release(owner, day, 1, size)

    def _rate(self, subject: str, per_minute: int, cost: int, what: str) -> None:
        if per_minute <= 0:
            return
        cost = min(cost, per_minute)  # a batch larger than the bucket is let through when it is full
        wait = self.rates.take(subject, 60.0 / per_minute, per_minute, cost, self.clock())
        if wait > 0:
            raise LimitReached(
                f"too many {what}: at most {per_minute} a minute; try again in {math.ceil(wait)} s", wait
            )


class MemoryRates:
    """RateStore in this process (one local server)."""

    MAX_SUBJECTS = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}

    def take(self, subject: str, interval: float, burst: int, cost: int, now: float) -> float:
        with self._lock:
            if len(self._tat) > self.MAX_SUBJECTS:  # forget the buckets that are full again
                self._tat = {s: t for s, t in self._tat.items() if t > now}
            arrival = max(self._tat.get(subject, now), now) + cost * interval
            over = arrival - now - burst * interval
            if over > 1e-9:
                return over
            self._tat[subject] = arrival
            return 0.0
