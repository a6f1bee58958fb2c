"""What moto 5.2.5's S3 Vectors lacks, added to it for these tests: QueryVectors and paged ListVectors.

moto stores vector buckets, indexes and vectors (PutVectors, GetVectors, DeleteVectors, ...) but has
no QueryVectors and lists every vector in one page. This adds both to moto's own backend, following
AWS's documentation: cosine distance (1 - cosine similarity), at most 100 results, metadata filters
($eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $and, $or; a plain value means $eq; an array
value matches if any element does), 2 KB of filterable metadata per vector, 1,000 keys per page.
The adapter is exercised through the real boto3 client; only the service side is filled in here.
"""

from __future__ import annotations

import json
import math
from typing import Any

from moto.core.responses import ActionResult
from moto.s3vectors import urls
from moto.s3vectors.exceptions import ValidationError
from moto.s3vectors.responses import S3VectorsResponse

MAX_TOP_K = 100
MAX_FILTERABLE_BYTES = 2048
PAGE = 1000


def install() -> None:
    """Teach moto's S3 Vectors the missing operations (idempotent)."""
    urls.url_paths.setdefault("{0}/QueryVectors$", S3VectorsResponse.dispatch)
    S3VectorsResponse.query_vectors = _query_vectors
    if not getattr(S3VectorsResponse, "_paged", False):
        S3VectorsResponse._unpaged_list_vectors = S3VectorsResponse.list_vectors
        S3VectorsResponse._unchecked_put_vectors = S3VectorsResponse.put_vectors
        S3VectorsResponse.list_vectors = _list_vectors
        S3VectorsResponse.put_vectors = _put_vectors
        S3VectorsResponse._paged = True


def _index(response: S3VectorsResponse):
    return response.s3vectors_backend.get_index(
        response._get_param("vectorBucketName"),
        response._get_param("indexName"),
        response._get_param("indexArn"),
    )


def _query_vectors(self: S3VectorsResponse) -> ActionResult:
    top_k = self._get_param("topK")
    if not 1 <= top_k <= MAX_TOP_K:
        raise ValidationError(f"topK must be between 1 and {MAX_TOP_K}")
    index = _index(self)
    query = self._get_param("queryVector")["float32"]
    where = self._get_param("filter")
    found = []
    for vector in index.vectors.values():
        if where is not None and not matches(vector.metadata or {}, where):
            continue
        found.append((1.0 - _cosine(query, vector.data["float32"]), vector))
    found.sort(key=lambda pair: (pair[0], pair[1].key))
    vectors = []
    for distance, vector in found[:top_k]:
        item: dict[str, Any] = {"key": vector.key}
        if self._get_bool_param("returnDistance", False):
            item["distance"] = distance
        if self._get_bool_param("returnMetadata", False):
            item["metadata"] = vector.metadata
        vectors.append(item)
    return ActionResult({"vectors": vectors, "distanceMetric": index.distance_metric})


def _list_vectors(self: S3VectorsResponse) -> ActionResult:
    index = _index(self)
    keys = sorted(index.vectors)
    start = int(self._get_param("nextToken") or 0)
    size = min(self._get_param("maxResults") or PAGE, PAGE)
    page = keys[start : start + size]
    result: dict[str, Any] = {"vectors": [{"key": key} for key in page]}
    if start + size < len(keys):
        result["nextToken"] = str(start + size)
    return ActionResult(result)


def _put_vectors(self: S3VectorsResponse) -> Any:
    for vector in self._get_param("vectors"):
        size = len(json.dumps(vector.get("metadata") or {}, separators=(",", ":")).encode())
        if size > MAX_FILTERABLE_BYTES:
            raise ValidationError(f"Filterable metadata of {vector['key']} is {size} bytes, over 2 KB")
    return self._unchecked_put_vectors()


def matches(metadata: dict[str, Any], where: dict[str, Any]) -> bool:
    """Whether a vector's metadata satisfies an S3 Vectors filter document."""
    for key, condition in where.items():
        if key == "$and":
            if not all(matches(metadata, part) for part in condition):
                return False
        elif key == "$or":
            if not any(matches(metadata, part) for part in condition):
                return False
        elif not _field(metadata, key, condition):
            return False
    return True


def _field(metadata: dict[str, Any], key: str, condition: Any) -> bool:
    if not isinstance(condition, dict):
        condition = {"$eq": condition}
    present = key in metadata
    value = metadata.get(key)
    values = value if isinstance(value, list) else [value]
    for operator, operand in condition.items():
        if operator == "$exists":
            ok = present == bool(operand)
        elif not present:
            ok = operator in ("$ne", "$nin")
        elif operator == "$eq":
            ok = operand in values
        elif operator == "$ne":
            ok = operand not in values
        elif operator == "$in":
            ok = any(v in operand for v in values)
        elif operator == "$nin":
            ok = not any(v in operand for v in values)
        elif operator in ("$gt", "$gte", "$lt", "$lte"):
            compare = {
                "$gt": lambda a, b: a > b,
                "$gte": lambda a, b: a >= b,
                "$lt": lambda a, b: a < b,
                "$lte": lambda a, b: a <= b,
            }[operator]
            ok = isinstance(value, (int, float)) and compare(value, operand)
        else:
            raise ValidationError(f"Invalid filter operator {operator}")
        if not ok:
            return False
    return True


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
