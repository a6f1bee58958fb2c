"""Description chunks in a Pinecone serverless index, through the pinecone SDK (REST, httpx)."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import orjson
from pinecone import Pinecone
from pinecone.errors.exceptions import ConflictError, NotFoundError, PineconeError

from imgsearch.config import ConfigError, Settings
from imgsearch.errors import BackendError
from imgsearch.models import LOCAL_OWNER, VectorMatch, VectorRecord

log = logging.getLogger(__name__)

MAX_UPSERT_VECTORS = 1000  # Pinecone: records per upsert request
MAX_UPSERT_BYTES = 2 * 1000 * 1000  # Pinecone: 2 MB per upsert request
BATCH_BYTES = MAX_UPSERT_BYTES - 64 * 1024  # headroom for the envelope and any encoder difference
MAX_DELETE_IDS = 1000
MAX_TOP_K = 1000  # Pinecone's cap when metadata is included
MAX_FILTER_VALUES = 10_000  # Pinecone: values in one $in filter
MAX_FETCH_IDS = 1000
CREATE_TIMEOUT_S = 300
METRIC = "cosine"


def owner_namespace(base: str, owner: str) -> str:
    """The namespace holding one owner's vectors (namespaces cost nothing on serverless indexes).

    The local library (LOCAL_OWNER, which the first account adopts) keeps the configured namespace,
    so vectors written before accounts existed stay where they are.
    """
    if owner == LOCAL_OWNER:
        return base
    return f"{base}-{owner}" if base else owner


class PineconeIndex:
    """VectorIndex over a Pinecone index: a namespace per owner; metadata image_id, chunk, embedder, owner."""

    def __init__(
        self, index: Any, namespace: str = "", dimension: int | None = None, owner: str = LOCAL_OWNER
    ) -> None:
        """namespace: the configured base namespace; this owner's vectors are in owner_namespace()."""
        self.index = index
        self.base_namespace = namespace
        self.owner = owner
        self.namespace = owner_namespace(namespace, owner)
        self.dimension = dimension

    def for_owner(self, owner: str) -> PineconeIndex:
        """The same index (and connection), seen by another owner: their namespace."""
        return PineconeIndex(self.index, self.base_namespace, self.dimension, owner)

    @classmethod
    def connect(cls, settings: Settings, api_key: str, dimension: int) -> PineconeIndex:
        """Open the configured index, creating it (serverless, cosine) if it does not exist yet.

        With settings.pinecone_host alone the control plane is skipped and that host is used as is
        (a local stand-in, or a known host saving a round trip at cold start). With
        settings.pinecone_control_host the control plane is that URL instead of Pinecone's own.
        Raises ConfigError without an API key or when the index has another dimension, and
        BackendError when Pinecone cannot be reached.
        """
        if not api_key:
            raise ConfigError("the Pinecone index needs IMGSEARCH_PINECONE_API_KEY (or its SSM parameter)")
        try:
            client = Pinecone(api_key=api_key, host=settings.pinecone_control_host or None)
            host = settings.pinecone_host
            if settings.pinecone_control_host or not host:
                described = ensure_index(
                    client,
                    settings.pinecone_index,
                    dimension,
                    cloud=settings.pinecone_cloud,
                    region=settings.pinecone_region,
                    create=settings.create_index,
                )
                host = host or described
            index = client.index(host=host)
        except PineconeError as exc:
            raise BackendError(f"could not open Pinecone index {settings.pinecone_index!r}: {exc}") from exc
        return cls(index, namespace=settings.pinecone_namespace, dimension=dimension)

    # ------------------------------------------------------------------ writes

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        """Write vectors in as few requests as Pinecone's count and size limits allow."""
        if any(r.owner != self.owner for r in records):
            raise ValueError("a vector belongs to another owner than this index's")
        for batch in upsert_batches([_to_vector(r) for r in records]):
            self._call("upsert", self.index.upsert, vectors=batch, namespace=self.namespace)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove vectors by id; ids the index does not hold are ignored."""
        ids = list(ids)
        for start in range(0, len(ids), MAX_DELETE_IDS):
            chunk = ids[start : start + MAX_DELETE_IDS]
            self._call("delete", self.index.delete, ids=chunk, namespace=self.namespace)

    # ------------------------------------------------------------------ reads

    def query(
        self, vector: Sequence[float], top_k: int, within: Collection[str] | None = None
    ) -> list[VectorMatch]:
        """The top_k nearest vectors; within limits them to those images (a metadata filter)."""
        if top_k <= 0 or (within is not None and not within):
            return []
        options: dict[str, Any] = {}
        allowed = None
        if within is not None:
            allowed = set(within)
            if len(allowed) <= MAX_FILTER_VALUES:
                options["filter"] = {"image_id": {"$in": sorted(allowed)}}
        response = self._call(
            "query",
            self.index.query,
            vector=[float(x) for x in vector],
            top_k=min(top_k, MAX_TOP_K),
            namespace=self.namespace,
            include_metadata=True,
            **options,
        )
        matches = [_to_match(m) for m in response.matches]
        if allowed is not None and "filter" not in options:  # too many ids for one filter: check here
            matches = [m for m in matches if m.image_id in allowed]
        return matches

    def fetch(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored vectors of these ids (unknown ids are left out)."""
        out: dict[str, list[float]] = {}
        ids = list(ids)
        for start in range(0, len(ids), MAX_FETCH_IDS):
            response = self._call(
                "fetch", self.index.fetch, ids=ids[start : start + MAX_FETCH_IDS], namespace=self.namespace
            )
            for vector_id, vector in (response.vectors or {}).items():
                out[vector_id] = [float(x) for x in vector.values]
        return out

    def ids(self) -> Iterator[str]:
        """Every vector id in the namespace, a page at a time."""
        pages = self._call("list", self.index.list, namespace=self.namespace)
        try:
            for page in pages:
                yield from (item.id for item in page.vectors or [])
        except PineconeError as exc:
            raise BackendError(f"Pinecone list failed: {type(exc).__name__}: {exc}") from exc

    def count(self) -> int:
        stats = self._call("describe_index_stats", self.index.describe_index_stats)
        summary = stats.namespaces.get(self.namespace or "__default__")
        return int(summary.vector_count) if summary else 0

    def _call(self, what: str, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except PineconeError as exc:
            raise BackendError(f"Pinecone {what} failed: {type(exc).__name__}: {exc}") from exc


def ensure_index(
    client: Pinecone, name: str, dimension: int, *, cloud: str, region: str, create: bool = True
) -> str:
    """The data-plane host of the named index, created (serverless, cosine) if missing and create."""
    try:
        model = client.indexes.describe(name)
    except NotFoundError:
        if not create:
            # The web function must not wait minutes for an index inside a 29 s request.
            raise BackendError(
                f"Pinecone index {name!r} does not exist yet; it is created when the first photo is ingested"
            ) from None
        log.info("creating Pinecone index %s (%d-d, %s) in %s %s", name, dimension, METRIC, cloud, region)
        field = {"type": "dense_vector", "dimension": dimension, "metric": METRIC}
        try:
            model = client.indexes.create(
                name=name,
                schema={"fields": {"_values": field}},  # "_values": the field the vectors API writes
                deployment={"deployment_type": "managed", "cloud": cloud, "region": region},
                timeout=CREATE_TIMEOUT_S,
            )
        except ConflictError:  # another container created it a moment ago
            model = _wait_ready(client, name)
    existing = index_dimension(model)
    if existing is not None and existing != dimension:
        raise ConfigError(
            f"Pinecone index {name!r} holds {existing}-dimensional vectors but the embedder makes "
            f"{dimension}: set IMGSEARCH_PINECONE_INDEX to another index, or delete this one and reindex"
        )
    if not model.status.ready:
        model = _wait_ready(client, name)
    if not model.host:
        raise BackendError(f"Pinecone index {name!r} has no host yet")
    return model.host


def index_dimension(model: Any) -> int | None:
    """The dimension of the index's dense vector field, if it declares one."""
    for field in (model.schema.fields or {}).values():
        dimension = getattr(field, "dimension", None)
        if isinstance(dimension, int):
            return dimension
    return None


def upsert_batches(vectors: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Split vectors into requests of at most 1000 records and under 2 MB of JSON each."""
    batch: list[dict[str, Any]] = []
    size = 0
    for vector in vectors:
        vector_size = len(orjson.dumps(vector)) + 1  # and its comma
        if batch and (len(batch) == MAX_UPSERT_VECTORS or size + vector_size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(vector)
        size += vector_size
    if batch:
        yield batch


def _wait_ready(client: Pinecone, name: str) -> Any:
    deadline = time.monotonic() + CREATE_TIMEOUT_S
    while True:
        model = client.indexes.describe(name)
        if model.status.ready or time.monotonic() > deadline:
            return model
        time.sleep(2)


def _to_vector(record: VectorRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "values": [float(x) for x in record.values],
        "metadata": {
            "image_id": record.image_id,
            "chunk": record.chunk,
            "embedder": record.embedder,
            "owner": record.owner,
        },
    }


def _to_match(match: Any) -> VectorMatch:
    metadata = match.metadata or {}
    image_id, _, chunk = match.id.rpartition("#")
    return VectorMatch(
        id=match.id,
        image_id=str(metadata.get("image_id") or image_id),
        chunk=int(metadata.get("chunk", chunk or 0)),
        score=float(match.score),
    )
