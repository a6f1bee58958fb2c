"""Tables. Changes here need a migration under db/migrations/versions/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class ImageRow(Base):
    __tablename__ = "images"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(32))  # a user id, or LOCAL_OWNER
    content_hash: Mapped[str] = mapped_column(String(64))  # unique per owner
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(512))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    vector_count: Mapped[int] = mapped_column(Integer, default=0)
    embedder: Mapped[str | None] = mapped_column(String(128))
    source_etag: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    indexed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # What search filters on (from the description's details), and the text keyword search reads.
    camera: Mapped[str | None] = mapped_column(String(128))
    people: Mapped[int | None] = mapped_column(Integer)  # None: not known (no face detector ran)
    has_text: Mapped[bool] = mapped_column(Boolean, default=False)
    phash: Mapped[str | None] = mapped_column(String(16))  # 64-bit perceptual hash, hex
    duplicate_group: Mapped[str | None] = mapped_column(String(32), index=True)
    search_text: Mapped[str | None] = mapped_column(Text)
    # Which process holds the image while it is processing (see imgsearch.liveness).
    worker: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("owner_id", "content_hash", name="uq_images_owner_id_content_hash"),
        Index("ix_images_created_at", "created_at"),
        Index("ix_images_taken_at", "taken_at"),
        Index("ix_images_owner_id_created_at", "owner_id", "created_at"),
    )


class FacetRow(Base):
    """One label or colour of an image, for filters ("label: dog", "colour: blue")."""

    __tablename__ = "image_facets"

    image_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # most certain first

    __table_args__ = (Index("ix_image_facets_kind_value", "kind", "value"),)


class UserRow(Base):
    """An account: a name, a password hash (never the password), and its sessions' generation."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    session_version: Mapped[int] = mapped_column(Integer, default=0)  # raised to sign every session out
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    """An API token: named, stored as the SHA-256 of its secret (shown once), revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_api_tokens_user_id_name"),)


class RateRow(Base):
    """A rate limit's state (GCRA: the theoretical arrival time of the next request), per subject."""

    __tablename__ = "rate_limits"

    subject: Mapped[str] = mapped_column(String(128), primary_key=True)  # "search:<owner>", "login:<name>"
    tat: Mapped[float] = mapped_column(Float)


class UsageRow(Base):
    """What an owner uploaded on one UTC day, for the daily quota."""

    __tablename__ = "upload_usage"

    owner_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    photos: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
