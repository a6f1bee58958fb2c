"""Tables. Changes here need a migration under db/migrations/versions/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String, Text
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
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
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

    __table_args__ = (
        Index("ix_images_created_at", "created_at"),
        Index("ix_images_taken_at", "taken_at"),
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
