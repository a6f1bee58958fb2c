"""Description chunks in an Amazon S3 Vectors index, through boto3's s3vectors client.

S3 Vectors has no minimum charge (storage, writes and queries are billed per use), so an idle
library costs only its storage. Its limits shape this adapter: at most 500 vectors per PutVectors
or DeleteVectors, 100 per GetVectors, 100 results per query, and 2 KB of filterable metadata per
vector. Every vector carries {image_id, chunk, embedder, owner} as filterable metadata; a search limited to
some images is a metadata filter on image_id ($in), split into several queries when the images are
many (see query).

One index holds every owner's vectors: each query filters on the owner, and an account's vector keys
start with "<owner>/" (the local library's have no folder), so fetch, delete and listing touch only
that owner's keys without reading any metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imgsearch.config import ConfigError
from imgsearch.errors import BackendError
from imgsearch.models import LOCAL_OWNER, VectorMatch, VectorRecord
from imgsearch.pipeline.chunks import MAX_CHUNKS

log = logging.getLogger(__name__)

MAX_PUT_VECTORS = 500  # S3 Vectors: vectors per PutVectors
MAX_DELETE_KEYS = 500  # ... per DeleteVectors
MAX_GET_KEYS = 100  # ... per GetVectors
MAX_TOP_K = 100  # ... results per QueryVectors
MAX_LIST = 1000  # ... keys per ListVectors page
FILTER_IDS = 250  # image ids in one $in filter (~9 KB of filter), so a query stays small
MAX_FILTERED_IDS = 1000  # beyond this many images, query unfiltered and keep the matches (see query)
METRIC = "cosine"


class S3VectorsIndex:
    """VectorIndex over one S3 Vectors index; the client comes from imgsearch.aws."""

    # The search asks each query for at most this many results. Searching whole descriptions first
    # (searches_heads) is left off: its second step would cost many small queries here.
    max_top_k = MAX_TOP_K

    def __init__(
        self, client: Any, bucket: str, index: str, dimension: int | None = None, owner: str = LOCAL_OWNER
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.index = index
        self.dimension = dimension
        self.owner = owner
        self._prefix = "" if owner == LOCAL_OWNER else f"{owner}/"

    def for_owner(self, owner: str) -> S3VectorsIndex:
        """The same index (and client), seen by another owner."""
        return S3VectorsIndex(self.client, self.bucket, self.index, self.dimension, owner)

    @classmethod
    def connect(
        cls, client: Any, bucket: str, index: str, dimension: int, create: bool = True
    ) -> S3VectorsIndex:
        """Open the index, creating its bucket and itself (cosine, float32) when missing and create.

        Raises ConfigError when the index holds vectors of another dimension, and BackendError when
        it is missing and may not be created here (the web function leaves that to ingest) or S3
        Vectors cannot be reached.
        """
        opened = cls(client, bucket, index, dimension)
        found = opened._describe()
        if found is None:
            if not create:
                raise BackendError(
                    f"S3 Vectors index {bucket}/{index} does not exist yet; "
                    "it is created when the first photo is ingested"
                )
            opened._create()
            found = opened._describe()
        existing = (found or {}).get("dimension")
        if existing is not None and int(existing) != dimension:
            raise ConfigError(
                f"S3 Vectors index {bucket}/{index} holds {existing}-dimensional vectors but the embedder "
                f"makes {dimension}: set IMGSEARCH_S3VECTORS_INDEX to another index, or delete this one "
                "and reindex"
            )
        return opened

    # ------------------------------------------------------------------ writes

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        """Write this owner's vectors, 500 per request (a known key is replaced; another owner's
        record is refused)."""
        if any(r.owner != self.owner for r in records):
            raise ValueError("a vector belongs to another owner than this index's")
        vectors = [{**_to_vector(record), "key": self._prefix + record.id} for record in records]
        for start in range(0, len(vectors), MAX_PUT_VECTORS):
            batch = vectors[start : start + MAX_PUT_VECTORS]
            self._call("PutVectors", self.client.put_vectors, vectors=batch)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove this owner's vectors by id; ids it does not hold are ignored."""
        keys = [self._prefix + i for i in dict.fromkeys(ids)]
        for start in range(0, len(keys), MAX_DELETE_KEYS):
            batch = keys[start : start + MAX_DELETE_KEYS]
            self._call("DeleteVectors", self.client.delete_vectors, keys=batch)

    # ------------------------------------------------------------------ reads

    def query(
        self, vector: Sequence[float], top_k: int, within: Collection[str] | None = None
    ) -> list[VectorMatch]:
        """The top_k nearest vectors, best first; within limits them to those images' vectors.

        S3 Vectors returns at most 100 results per query, so an unlimited search sees the 100
        nearest chunks. A limited one is split into queries of at most FILTER_IDS images each, and
        fewer when top_k asks for more than 100 (top_k = images x MAX_CHUNKS, "every chunk of these
        images", gets each group's every chunk); the answers are merged. Past MAX_FILTERED_IDS
        images one unfiltered query is kept to the matching images instead (a broad filter still
        finds its nearest chunks; a narrow one over a huge library may find fewer than top_k).
        """
        if top_k <= 0 or (within is not None and not within):
            return []
        values = [float(x) for x in vector]
        if within is None:
            return self._query(values, min(top_k, MAX_TOP_K), scope_filter(self.owner))
        allowed = sorted(set(within))
        if len(allowed) > MAX_FILTERED_IDS:
            wanted = set(allowed)
            found = self._query(values, MAX_TOP_K, scope_filter(self.owner))
            return [m for m in found if m.image_id in wanted][:top_k]
        per_query = FILTER_IDS
        if top_k > MAX_TOP_K:
            per_query = max(1, min(FILTER_IDS, len(allowed) * MAX_TOP_K // top_k, MAX_TOP_K // MAX_CHUNKS))
        matches: list[VectorMatch] = []
        for start in range(0, len(allowed), per_query):
            group = allowed[start : start + per_query]
            matches += self._query(values, min(top_k, MAX_TOP_K), scope_filter(self.owner, group))
        matches.sort(key=lambda match: (-match.score, match.id))
        return matches[:top_k]

    def fetch(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """This owner's stored vectors of these ids (unknown ids, and other owners', are left out)."""
        keys = [self._prefix + i for i in dict.fromkeys(ids)]
        out: dict[str, list[float]] = {}
        for start in range(0, len(keys), MAX_GET_KEYS):
            response = self._call(
                "GetVectors",
                self.client.get_vectors,
                keys=keys[start : start + MAX_GET_KEYS],
                returnData=True,
            )
            for vector in response.get("vectors", []):
                out[vector["key"][len(self._prefix) :]] = [float(x) for x in vector["data"]["float32"]]
        return out

    def ids(self) -> Iterator[str]:
        """Every vector id of this owner, listed 1,000 keys a page (reconcile walks them)."""
        token = None
        while True:
            options = {"nextToken": token} if token else {}
            response = self._call("ListVectors", self.client.list_vectors, maxResults=MAX_LIST, **options)
            for vector in response.get("vectors", []):
                owner, slash, vector_id = vector["key"].rpartition("/")
                if (owner if slash else LOCAL_OWNER) == self.owner:
                    yield vector_id
            token = response.get("nextToken")
            if not token:
                return

    def count(self) -> int:
        """How many vectors this owner has (S3 Vectors keeps no count: this lists every key)."""
        return sum(1 for _ in self.ids())

    # ------------------------------------------------------------------ plumbing

    def _query(self, values: list[float], top_k: int, where: dict[str, Any]) -> list[VectorMatch]:
        response = self._call(
            "QueryVectors",
            self.client.query_vectors,
            queryVector={"float32": values},
            topK=top_k,
            filter=where,
            returnMetadata=True,
            returnDistance=True,
        )
        return [_to_match(vector) for vector in response.get("vectors", [])]

    def _describe(self) -> dict[str, Any] | None:
        try:
            return self._call("GetIndex", self.client.get_index)["index"]
        except BackendError as exc:
            if _code(exc.__cause__) == "NotFoundException":
                return None
            raise

    def _create(self) -> None:
        log.info(
            "creating S3 Vectors index %s/%s (%d-d, %s)", self.bucket, self.index, self.dimension, METRIC
        )
        steps = (
            ("CreateVectorBucket", self.client.create_vector_bucket, {}),
            ("CreateIndex", self.client.create_index, {"indexName": self.index, **self._index_spec()}),
        )
        for what, call, options in steps:
            try:
                call(vectorBucketName=self.bucket, **options)
            except (ClientError, BotoCoreError) as exc:
                if _code(exc) != "ConflictException":  # another container created it a moment ago
                    raise self._error(what, exc) from exc

    def _index_spec(self) -> dict[str, Any]:
        return {"dataType": "float32", "dimension": self.dimension, "distanceMetric": METRIC}

    def _call(self, what: str, method: Any, **kwargs: Any) -> Any:
        try:
            return method(vectorBucketName=self.bucket, indexName=self.index, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(what, exc) from exc

    def _error(self, what: str, exc: Exception) -> BackendError:
        detail = getattr(exc, "response", {}).get("Error", {}).get("Message") or str(exc)
        code = _code(exc) or type(exc).__name__
        return BackendError(f"S3 Vectors {what} on {self.bucket}/{self.index} failed: {code}: {detail}")


def scope_filter(owner: str, image_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """The metadata filter for one owner's vectors, and of these images only when given."""
    if image_ids is None:
        return {"owner": owner}
    return {"$and": [{"owner": owner}, {"image_id": {"$in": list(image_ids)}}]}


def vector_metadata(record: VectorRecord) -> dict[str, Any]:
    """A vector's filterable metadata (~100 bytes of S3 Vectors' 2 KB)."""
    return {
        "image_id": record.image_id,
        "chunk": record.chunk,
        "embedder": record.embedder,
        "owner": record.owner,
    }


def _to_vector(record: VectorRecord) -> dict[str, Any]:
    return {
        "key": record.id,
        "data": {"float32": [float(x) for x in record.values]},
        "metadata": vector_metadata(record),
    }


def _to_match(vector: dict[str, Any]) -> VectorMatch:
    metadata = vector.get("metadata") or {}
    image_id, _, chunk = vector["key"].rpartition("/")[2].rpartition("#")
    return VectorMatch(
        id=vector["key"].rpartition("/")[2],
        image_id=str(metadata.get("image_id") or image_id),
        chunk=int(metadata.get("chunk", chunk or 0)),
        score=1.0 - float(vector.get("distance", 1.0)),  # cosine distance is 1 - cosine similarity
    )


def _code(exc: BaseException | None) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None
