"""The narrow interfaces the pipeline talks to; each back end implements one of them.

Libraries are private. The image repository and the vector indexes are each one owner's view
(`owner`), and `for_owner(owner)` gives another owner's view over the same connection. A view
never reads, returns, changes or deletes what another owner holds: another owner's image or vector
is exactly as absent as one that does not exist. Storage is shared: its keys carry the owner
(`originals/<owner>/<id>.<ext>`), and only keys read from the owner's own rows are ever used.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Protocol

from imgsearch.models import (
    Description,
    ImageRecord,
    KeywordHits,
    SearchFilters,
    Status,
    VectorMatch,
    VectorRecord,
)


class Storage(Protocol):
    """Where original photos and thumbnails live (a directory, an S3 bucket)."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str) -> Iterator[str]:
        """Every stored key that starts with prefix (reconcile compares them with the rows)."""
        ...

    def url(
        self,
        key: str,
        filename: str | None = None,
        *,
        expiry_s: int | None = None,
        content_type: str | None = None,
    ) -> str | None:
        """A URL a browser can fetch the object from, or None when the web app must serve it."""
        ...


class ImageRepository(Protocol):
    """Image metadata rows (SQLite, PostgreSQL), one owner's: every method sees only their images.

    The same bytes are one image per owner (content hashes are unique per owner, keys everywhere).
    """

    owner: str | None

    def for_owner(self, owner: str) -> ImageRepository: ...

    def add(self, record: ImageRecord) -> ImageRecord: ...

    def get(self, image_id: str) -> ImageRecord | None: ...

    def get_many(self, image_ids: Sequence[str]) -> dict[str, ImageRecord]: ...

    def by_hash(self, content_hash: str) -> ImageRecord | None: ...

    def by_key(self, storage_key: str) -> ImageRecord | None: ...

    def update(self, record: ImageRecord, lease: int | None = None) -> ImageRecord:
        """Write back; with lease, only while that claim (attempts number) holds (else LeaseLost)."""
        ...

    def requeue(self, image_id: str, again: bool = False) -> ImageRecord | None:
        """Failed or stuck (processing past its lease) back to pending; None if it is neither.

        With again, an indexed image goes back to pending too (to be described again).
        """
        ...

    def record_vectors(self, image_id: str, count: int, embedder: str) -> None: ...

    def claim(self, image_id: str, again: bool = False) -> ImageRecord | None:
        """Move a pending, failed or stuck image (or, with again, an indexed one) to processing.

        None if another worker holds it or it is in no state to be claimed.
        """
        ...

    def delete(self, image_id: str) -> bool: ...

    def list(
        self, offset: int = 0, limit: int = 50, status: Status | None = None, by_date_taken: bool = False
    ) -> list[ImageRecord]:
        """Newest first: by when added, or (by_date_taken) by when taken, falling back to when added."""
        ...

    def neighbours(self, record: ImageRecord) -> tuple[str | None, str | None]:
        """The ids of the photos just newer and just older than this one in the gallery's order."""
        ...

    def count(self, status: Status | None = None) -> int: ...

    def count_outdated(self, describer: str) -> int:
        """Indexed images described by another describer than the one named."""
        ...

    def ids_with_status(self, statuses: Iterable[Status]) -> list[str]: ...

    def iter_described(self, batch_size: int = 100) -> Iterable[list[ImageRecord]]: ...

    def iter_all(self, batch_size: int = 100) -> Iterable[list[ImageRecord]]: ...

    # Search (imgsearch.db.search): full text, filters, near-duplicate groups.

    def keyword_search(
        self,
        terms: Sequence[Sequence[str]],
        phrases: Sequence[Sequence[str]] = (),
        filters: SearchFilters | None = None,
        within: Sequence[str] | None = None,
        total: int | None = None,
    ) -> KeywordHits: ...

    def searchable_ids(self, filters: SearchFilters | None = None) -> list[str]: ...

    def searchable_among(self, image_ids: Sequence[str]) -> set[str]: ...

    def moments(self, image_ids: Sequence[str]) -> dict[str, float]: ...

    def filtered(
        self, filters: SearchFilters, offset: int = 0, limit: int = 50, newest_first: bool = True
    ) -> tuple[list[ImageRecord], int]: ...

    def near_hashes(self, phash: str, max_bits: int) -> dict[str, str]: ...

    def hashes_of(self, image_ids: Sequence[str]) -> dict[str, str]: ...

    def join_duplicates(self, image_ids: Sequence[str], group: str) -> None: ...

    def duplicate_group(self, group: str) -> list[ImageRecord]: ...

    def duplicate_groups(self) -> list[list[ImageRecord]]: ...


class VectorIndex(Protocol):
    """Embedded description chunks, searched by cosine similarity: one owner's view of an index.

    The contract every adapter keeps, whatever it scopes by (the local index: an owner column and
    a mask before ranking; Pinecone: a namespace per owner; a store with metadata filters, such as
    Amazon S3 Vectors: an `owner` metadata key on every vector and an equality filter on it in
    every query, list and delete):
    - upsert stores each record under record.owner and refuses a record of another owner than the view's;
    - query ranks only this owner's vectors (never another's, even when fewer than top_k are left);
    - fetch and delete see only this owner's vectors (another owner's id is as good as unknown);
    - count counts only this owner's vectors;
    - for_owner(owner) is the same index seen by another owner, sharing the connection.

    An index that can search each image's first chunk (its whole description) on its own, cheaper
    than every chunk, says so with `searches_heads = True` and takes query(..., heads_only=True).
    """

    owner: str

    def for_owner(self, owner: str) -> VectorIndex: ...

    def upsert(self, records: Sequence[VectorRecord]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def query(
        self, vector: Sequence[float], top_k: int, within: Collection[str] | None = None
    ) -> list[VectorMatch]:
        """This owner's top_k nearest vectors, best first; within limits them to those images' vectors."""
        ...

    def fetch(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """This owner's stored vectors of these ids (unknown ids, and other owners', are left out)."""
        ...

    def count(self) -> int: ...

    def ids(self) -> Iterator[str]:
        """Every vector id in the index (reconcile compares them with the rows)."""
        ...


class Embedder(Protocol):
    """Turns text into unit vectors; documents and queries may be embedded differently."""

    name: str
    dimension: int
    max_chars: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class Describer(Protocol):
    """Looks at a photo and says what is in it."""

    name: str  # names the model and its settings: a photo described by another name is out of date

    def describe(self, data: bytes, facts: dict) -> Description: ...
