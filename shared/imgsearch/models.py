"""The product's records, shared by every entry point and back end."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

SQUARE_TOLERANCE = 1.05
# The owner of the library served with accounts off, and of everything stored before accounts
# existed; the first account created adopts it (see imgsearch.accounts).
LOCAL_OWNER = "local"


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
    # Facets search filters on, taken from the details when the photo is described (see
    # imgsearch.pipeline.facets), and the photo's perceptual hash and near-duplicate group.
    camera: str | None = None
    people: int | None = None
    has_text: bool = False
    labels: list[str] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)
    phash: str | None = None
    duplicate_group: str | None = None
    owner_id: str = LOCAL_OWNER  # never shown: a photo is only ever shown to its owner

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
            "camera": self.camera,
            "people": self.people,
            "has_text": self.has_text,
            "labels": self.labels,
            "colours": self.colours,
            "duplicate_group": self.duplicate_group,
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
class DateFilter:
    """Photos taken in [start, end) (either may be open), optionally only in some months or hours.

    label is how the UI shows it ("May 2021", "last summer", "at night").
    """

    label: str
    start: datetime | None = None
    end: datetime | None = None
    months: tuple[int, ...] = ()
    hours: tuple[int, int] | None = None

    def matches(self, taken: datetime | None) -> bool:
        """Whether a photo taken then passes (a photo with no date never does)."""
        if taken is None:
            return False
        if self.start is not None and taken < self.start:
            return False
        if self.end is not None and taken >= self.end:
            return False
        if self.months and taken.month not in self.months:
            return False
        if self.hours is not None:
            start, end = self.hours
            inside = start <= taken.hour < end if start < end else (taken.hour >= start or taken.hour < end)
            if not inside:
                return False
        return True

    def to_dict(self) -> dict:
        out: dict = {"label": self.label}
        if self.start:
            out["from"] = self.start.date().isoformat()
        if self.end:
            out["until"] = (self.end - timedelta(days=1)).date().isoformat()
        if self.months:
            out["months"] = list(self.months)
        if self.hours:
            out["hours"] = list(self.hours)
        return out


ORIENTATIONS = ("landscape", "portrait", "square")


@dataclass(frozen=True)
class SearchFilters:
    """What a search (or a filtered listing) is limited to; None means no limit on that."""

    dates: DateFilter | None = None
    camera: str | None = None  # part of the camera's make and model, any case
    has_text: bool | None = None
    people_min: int | None = None
    people_max: int | None = None
    orientation: str | None = None
    colour: str | None = None  # a basic colour term: "blue" finds navy blue and light blue
    label: str | None = None  # an everyday word the describer gave ("dog", "beach")

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def with_dates(self, dates: DateFilter | None) -> SearchFilters:
        return replace(self, dates=dates)


@dataclass(frozen=True)
class KeywordHits:
    """Which images hold which query terms, within the search's filters.

    total: images searched; frequencies[i]: how many of them hold term i; matched: for each image
    holding at least one term (and every phrase), the indices of the terms it holds.
    """

    total: int
    frequencies: list[int]
    matched: dict[str, set[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorRecord:
    """One embedded chunk of one image's description, and whose image it is."""

    id: str
    image_id: str
    chunk: int
    values: list[float]
    embedder: str
    owner: str = LOCAL_OWNER


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
    score: float | None  # None when no text was searched (filters alone)
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        image = self.image
        return {
            "id": image.id,
            "filename": image.filename,
            "score": round(self.score, 4) if self.score is not None else None,
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
