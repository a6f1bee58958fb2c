"""Account rows: users and API tokens, through SQLAlchemy (the same code on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from imgsearch.accounts import Token, User
from imgsearch.db.schema import TokenRow, UserRow

# A token's last use is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=5)


class SqlAccountStore:
    """Users and tokens in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    def add_user(self, user_id: str, name: str, password_hash: str) -> User | None:
        """Insert an account; None if the id or the name is taken."""
        row = UserRow(
            id=user_id, name=name, password_hash=password_hash, session_version=0, created_at=_now()
        )
        return _user(row) if self._insert(row) else None

    def user(self, user_id: str) -> User | None:
        with self._session() as session:
            row = session.get(UserRow, user_id)
            return _user(row) if row else None

    def user_by_name(self, name: str) -> User | None:
        found = self.credentials(name)
        return found[0] if found else None

    def credentials(self, name: str) -> tuple[User, str] | None:
        """The account of that name and its password hash."""
        with self._session() as session:
            row = session.scalars(select(UserRow).where(UserRow.name == name)).first()
            return (_user(row), row.password_hash) if row else None

    def users(self) -> list[User]:
        with self._session() as session:
            return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.created_at))]

    def delete_user(self, user_id: str) -> None:
        with self._session.begin() as session:
            session.execute(delete(TokenRow).where(TokenRow.user_id == user_id))
            session.execute(delete(UserRow).where(UserRow.id == user_id))

    def set_password(self, user_id: str, password_hash: str, sign_out: bool = True) -> None:
        """Store a new hash; with sign_out, every session made before is no longer valid."""
        values: dict = {"password_hash": password_hash}
        if sign_out:
            values["session_version"] = UserRow.session_version + 1
        with self._session.begin() as session:
            session.execute(update(UserRow).where(UserRow.id == user_id).values(**values))

    def add_token(self, token_id: str, user_id: str, name: str, digest: str) -> Token | None:
        """Insert a token; None if the account already has one of that name."""
        row = TokenRow(id=token_id, user_id=user_id, name=name, token_hash=digest, created_at=_now())
        return _token(row) if self._insert(row) else None

    def tokens(self, user_id: str) -> list[Token]:
        query = select(TokenRow).where(TokenRow.user_id == user_id).order_by(TokenRow.created_at)
        with self._session() as session:
            return [_token(r) for r in session.scalars(query)]

    def delete_token(self, user_id: str, name: str) -> bool:
        with self._session.begin() as session:
            result = session.execute(
                delete(TokenRow).where(TokenRow.user_id == user_id, TokenRow.name == name)
            )
            return result.rowcount > 0

    def _insert(self, row) -> bool:
        """Add a row; False if a unique constraint refuses it."""
        try:
            with self._session.begin() as session:
                session.add(row)
        except IntegrityError:
            return False
        return True

    def user_for_token(self, digest: str) -> User | None:
        """The account holding the token with this digest (noting when it was last used)."""
        now = _now()
        with self._session() as session:
            found = session.execute(
                select(UserRow, TokenRow.id, TokenRow.last_used_at)
                .join(TokenRow, TokenRow.user_id == UserRow.id)
                .where(TokenRow.token_hash == digest)
            ).first()
        if found is None:
            return None
        row, token_id, last_used = found
        if last_used is None or _aware(last_used) < now - TOUCH_EVERY:
            with self._session.begin() as session:
                session.execute(update(TokenRow).where(TokenRow.id == token_id).values(last_used_at=now))
        return _user(row)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _user(row: UserRow) -> User:
    created = _aware(row.created_at) if row.created_at else None
    return User(row.id, row.name, row.session_version or 0, created)


def _token(row: TokenRow) -> Token:
    created = _aware(row.created_at) if row.created_at else None
    used = _aware(row.last_used_at) if row.last_used_at else None
    return Token(row.id, row.user_id, row.name, created, used)
