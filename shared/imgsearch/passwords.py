"""Password hashes: scrypt (memory-hard, in the standard library), with their cost stored in each hash.

The cost follows OWASP's password storage advice for scrypt (N=2^15, r=8, p=3: 32 MiB of memory
and three passes per hash); `make bench` measures what one hash takes. A hash keeps its own
parameters, so raising the cost later still verifies older hashes (and needs_rehash says to redo them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Cost:
    """scrypt's parameters: n (memory and time, a power of 2), r (block size), p (passes)."""

    n: int = 2**15
    r: int = 8
    p: int = 3

    @property
    def memory_bytes(self) -> int:
        return 128 * self.n * self.r


COST = Cost()
SALT_BYTES = 16
KEY_BYTES = 32
SCHEME = "scrypt"


def hash_password(password: str, cost: Cost | None = None) -> str:
    """A self-describing hash of the password: scrypt$n$r$p$salt$key (base64)."""
    cost = cost or COST
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, cost)
    return "$".join([SCHEME, str(cost.n), str(cost.r), str(cost.p), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    """Whether the password is the one the stored hash was made from (in constant time)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        cost = Cost(int(n), int(r), int(p))
        expected = base64.b64decode(key)
        salt_bytes = base64.b64decode(salt)
    except (ValueError, TypeError):
        return False
    if scheme != SCHEME:
        return False
    return hmac.compare_digest(_scrypt(password, salt_bytes, cost), expected)


def needs_rehash(stored: str) -> bool:
    """Whether the hash was made with another cost than today's."""
    parts = stored.split("$")
    return len(parts) != 6 or parts[1:4] != [str(COST.n), str(COST.r), str(COST.p)]


def waste_time(password: str) -> None:
    """Spend what verifying a password costs, so an unknown name answers as slowly as a known one."""
    _scrypt(password, b"\0" * SALT_BYTES, COST)


def _scrypt(password: str, salt: bytes, cost: Cost) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.memory_bytes * 2,
        dklen=KEY_BYTES,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
