"""Accounts: people who sign in with a password, API tokens for scripts, and whose library is whose.

The first account created adopts the local library (LOCAL_OWNER): the photos added with accounts
off, and everything stored before accounts existed. Every other account starts empty.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from imgsearch import passwords
from imgsearch.errors import ImgsearchError
from imgsearch.models import LOCAL_OWNER

NAME_RULE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024  # hashing a megabyte would be a cheap way to keep the server busy
TOKEN_PREFIX = "imgs_"


class AccountError(ImgsearchError):
    """An account could not be created or changed (a bad or taken name, a short password...)."""


@dataclass(frozen=True)
class User:
    """An account. Its id owns its photos (and names its folder in storage and its vector namespace)."""

    id: str
    name: str
    session_version: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class Token:
    """An API token's record; the secret itself is only shown once, when it is made."""

    id: str
    user_id: str
    name: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None


class Accounts:
    """Creates and checks accounts and tokens over an account store (imgsearch.db.accounts)."""

    def __init__(self, store) -> None:
        self.store = store

    # ------------------------------------------------------------------ users

    def add_user(self, name: str, password: str) -> User:
        """Create an account; the first one adopts the local library. Raises AccountError."""
        name = check_name(name)
        check_password(password)
        if self.store.user_by_name(name) is not None:
            raise AccountError(f"there is already an account named {name!r}")
        password_hash = passwords.hash_password(password)
        for user_id in (LOCAL_OWNER, uuid.uuid4().hex):
            if user_id == LOCAL_OWNER and self.store.user(LOCAL_OWNER) is not None:
                continue
            user = self.store.add_user(user_id, name, password_hash)
            if user is not None:
                return user
            if self.store.user_by_name(name) is not None:
                raise AccountError(f"there is already an account named {name!r}")
        raise AccountError("the account could not be created; try again")

    def add_first_user(self, name: str, password: str) -> User:
        """Create the first account (it adopts the local library); raises AccountError if there is
        one already, even when two requests race to be first."""
        name = check_name(name)
        check_password(password)
        if self.store.users():
            raise AccountError("there is an account already: sign in, or ask its owner to add yours")
        user = self.store.add_user(LOCAL_OWNER, name, passwords.hash_password(password))
        if user is None:  # another request was first
            raise AccountError("there is an account already: sign in, or ask its owner to add yours")
        return user

    def users(self) -> list[User]:
        return self.store.users()

    def user(self, name: str) -> User | None:
        return self.store.user_by_name(name.strip().lower())

    def user_by_id(self, user_id: str) -> User | None:
        return self.store.user(user_id)

    def require(self, name: str) -> User:
        """The account with this name; raises AccountError naming the accounts there are."""
        user = self.user(name)
        if user is None:
            names = ", ".join(u.name for u in self.users()) or "none yet"
            raise AccountError(f"no account named {name!r} (accounts: {names})")
        return user

    def remove_user(self, name: str) -> User:
        """Delete an account and its tokens (its photos must be deleted first, see Library)."""
        user = self.require(name)
        self.store.delete_user(user.id)
        return user

    def set_password(self, name: str, password: str) -> User:
        """Change a password; every session of the account is signed out."""
        check_password(password)
        user = self.require(name)
        self.store.set_password(user.id, passwords.hash_password(password))
        return self.store.user(user.id)

    def authenticate(self, name: str, password: str) -> User | None:
        """The account if the password is right, else None (taking as long either way)."""
        if len(password) > MAX_PASSWORD_CHARS:
            return None
        name = name.strip().lower()
        found = self.store.credentials(name) if NAME_RULE.match(name) else None
        if found is None:
            passwords.waste_time(password)
            return None
        user, stored = found
        if not passwords.verify_password(password, stored):
            return None
        if passwords.needs_rehash(stored):
            self.store.set_password(user.id, passwords.hash_password(password), sign_out=False)
        return user

    # ------------------------------------------------------------------ tokens

    def create_token(self, user: User, name: str) -> tuple[Token, str]:
        """A new API token for the account: its record and its secret (shown once, stored hashed)."""
        name = name.strip()
        if not name or len(name) > 64 or not name.isprintable():
            raise AccountError("a token's name is 1 to 64 printable characters")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = self.store.add_token(uuid.uuid4().hex, user.id, name, token_digest(secret))
        if token is None:
            raise AccountError(f"{user.name} already has a token named {name!r}")
        return token, secret

    def tokens(self, user: User) -> list[Token]:
        return self.store.tokens(user.id)

    def revoke_token(self, user: User, name: str) -> None:
        """Revoke the account's token of that name; raises AccountError if it has none."""
        if not self.store.delete_token(user.id, name.strip()):
            raise AccountError(f"{user.name} has no token named {name.strip()!r}")

    def user_for_token(self, secret: str) -> User | None:
        """The account a bearer token belongs to, or None for an unknown or revoked one."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
            return None
        return self.store.user_for_token(token_digest(secret))


def check_name(name: str) -> str:
    """The account name, lower-cased; raises AccountError unless it is 1-32 of a-z 0-9 . _ -."""
    name = (name or "").strip().lower()
    if not NAME_RULE.match(name):
        raise AccountError(
            "an account name is 1 to 32 lower-case letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"a password has at most {MAX_PASSWORD_CHARS} characters")


def token_digest(secret: str) -> str:
    """What is stored of a token: its SHA-256 (a token is random, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
