"""The product's records, shared by every entry point and back end."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SQUARE_TOLERANCE = 1.05


class Status(enum.StrEnum):
    """Where an image is on its way to being searchable."""

    PENDING = "pending"
    PROCESSING = "processing"
    INDEXED = "indexed"
    FAILED = "failed"


@dataclass
class ImageRecord:
    """One stored photo and what we know of it."""

    id: str
    content_hash: str
    storage_key: str
    filename: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    status: Status = Status.PENDING
    error: str | None = None
    thumbnail_key: str | None = None
    description: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    taken_at: datetime | None = None
    vector_count: int = 0
    embedder: str | None = None
    source_etag: str | None = None
    attempts: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    indexed_at: datetime | None = None

    @property
    def orientation(self) -> str:
        return orientation(self.width, self.height)

    @property
    def searchable(self) -> bool:
        """Indexed, or being described again (its earlier vectors still stand for it)."""
        if self.status == Status.INDEXED:
            return True
        return self.status in (Status.PENDING, Status.PROCESSING) and self.vector_count > 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by the API and the CLI."""
        return {
            "id": self.id,
            "filename": self.filename,
            "status": self.status.value,
            "error": self.error,
            "content_type": self.content_type,
            "size_bytes": self.size_bytes,
            "width": self.width,
            "height": self.height,
            "orientation": self.orientation,
            "description": self.description,
            "details": self.details,
            "taken_at": _iso(self.taken_at),
            "created_at": _iso(self.created_at),
            "indexed_at": _iso(self.indexed_at),
            **image_links(self.id),
        }


@dataclass(frozen=True)
class VisualEmbedding:
    """What a photo looks like as a unit vector (for similar photos and near-duplicates)."""

    model: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Description:
    """What a describer says of a photo: readable text plus the facts it was built from."""

    text: str
    details: dict[str, Any] = field(default_factory=dict)
    taken_at: datetime | None = None
    visual: VisualEmbedding | None = None


@dataclass(frozen=True)
class VectorRecord:
    """One embedded chunk of one image's description."""

    id: str
    image_id: str
    chunk: int
    values: list[float]
    embedder: str


@dataclass(frozen=True)
class VectorMatch:
    """A vector index hit."""

    id: str
    image_id: str
    chunk: int
    score: float


@dataclass(frozen=True)
class SearchResult:
    """One image that answers a query, best first; the same object for the API and the CLI."""

    image: ImageRecord
    score: float
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        image = self.image
        return {
            "id": image.id,
            "filename": image.filename,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "description": image.description,
            "content_type": image.content_type,
            "width": image.width,
            "height": image.height,
            "taken_at": _iso(image.taken_at),
            "created_at": _iso(image.created_at),
            **image_links(image.id),
        }


def orientation(width: int, height: int) -> str:
    """landscape, portrait or square; within 5% of square counts as square (371 × 370 is square)."""
    if width <= 0 or height <= 0:
        return "square"
    ratio = width / height
    if ratio > SQUARE_TOLERANCE:
        return "landscape"
    if ratio < 1 / SQUARE_TOLERANCE:
        return "portrait"
    return "square"


def image_links(image_id: str) -> dict[str, str]:
    """The web app's stable paths for an image's files (they redirect to S3 on AWS)."""
    return {
        "thumbnail_url": f"/images/{image_id}/thumbnail",
        "original_url": f"/images/{image_id}/original",
    }


def vector_id(image_id: str, chunk: int) -> str:
    """Vector ids derive from the image id, so re-ingest overwrites instead of duplicating."""
    return f"{image_id}#{chunk}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
