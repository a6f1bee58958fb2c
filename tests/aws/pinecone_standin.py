"""A loopback stand-in for Pinecone: the control-plane and data-plane endpoints the SDK calls.

One threaded http.server answers both planes (every index it creates is served at its own URL).
Vectors live in memory per namespace and are queried by exact cosine. Every request is logged, so
tests can assert on what the real SDK sent (how many upserts, how big).
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_UPSERT_VECTORS = 1000
MAX_REQUEST_BYTES = 2 * 1000 * 1000


@dataclass
class Request:
    """One request the stand-in received."""

    method: str
    path: str
    size: int
    body: Any


@dataclass
class StandinState:
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)
    vectors: dict[str, dict[str, tuple[list[float], dict[str, Any]]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class PineconeStandin:
    """Start with .start(), stop with .stop(); .url is both the control plane and the index host."""

    def __init__(self) -> None:
        self.state = StandinState()
        state = self.state

        class Handler(_Handler):
            pass

        Handler.state = state
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        Handler.url = self.url
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> PineconeStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests(self, path: str) -> list[Request]:
        """The requests made to one path, oldest first."""
        return [r for r in self.state.requests if r.path == path]

    def vectors(self, namespace: str = "") -> dict[str, tuple[list[float], dict[str, Any]]]:
        return self.state.vectors.get(namespace, {})


class _Handler(BaseHTTPRequestHandler):
    state: StandinState
    url: str
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # ------------------------------------------------------------------ plumbing

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        path, query = urlsplit(self.path).path, parse_qs(urlsplit(self.path).query)
        if method == "GET" and query:  # list and fetch take their arguments in the query string
            body = {name: values if name == "ids" else values[0] for name, values in query.items()}
        with self.state.lock:
            self.state.requests.append(Request(method, path, len(raw), body))
            if not self.headers.get("Api-Key"):
                status, answer = 401, _error("UNAUTHENTICATED", "no Api-Key header")
            elif len(raw) > MAX_REQUEST_BYTES:
                status, answer = 413, _error("PAYLOAD_TOO_LARGE", f"request is {len(raw)} bytes")
            else:
                status, answer = self._route(method, path, body or {})
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        routes = {
            ("GET", "/indexes"): self._list_indexes,
            ("POST", "/indexes"): self._create_index,
            ("POST", "/vectors/upsert"): self._upsert,
            ("POST", "/query"): self._query,
            ("POST", "/vectors/delete"): self._delete,
            ("POST", "/describe_index_stats"): self._stats,
            ("GET", "/vectors/list"): self._list,
            ("GET", "/vectors/fetch"): self._fetch,
        }
        if (method, path) in routes:
            return routes[(method, path)](body)
        if method == "GET" and path.startswith("/indexes/"):
            return self._describe_index(path.removeprefix("/indexes/"))
        return 404, _error("NOT_FOUND", f"no route {method} {path}")

    # ------------------------------------------------------------------ control plane

    def _model(self, name: str) -> dict[str, Any]:
        spec = self.state.indexes[name]
        return {
            "name": name,
            "host": self.url,
            "status": {"ready": True, "state": "Ready"},
            "schema": {"fields": spec["fields"]},
            "deployment": spec["deployment"],
            "deletion_protection": "disabled",
            "tags": None,
        }

    def _list_indexes(self, body: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"indexes": [self._model(name) for name in self.state.indexes]}

    def _describe_index(self, name: str) -> tuple[int, Any]:
        if name not in self.state.indexes:
            return 404, _error("NOT_FOUND", f"Resource {name} not found")
        return 200, self._model(name)

    def _create_index(self, body: dict[str, Any]) -> tuple[int, Any]:
        name = body["name"]
        if name in self.state.indexes:
            return 409, _error("ALREADY_EXISTS", f"Resource {name} already exists")
        self.state.indexes[name] = {"fields": body["schema"]["fields"], "deployment": body["deployment"]}
        return 201, self._model(name)

    # ------------------------------------------------------------------ data plane

    def _dimension(self) -> int | None:
        for spec in self.state.indexes.values():
            for field_spec in spec["fields"].values():
                if field_spec.get("type") == "dense_vector":
                    return field_spec["dimension"]
        return None

    def _upsert(self, body: dict[str, Any]) -> tuple[int, Any]:
        vectors = body.get("vectors", [])
        if len(vectors) > MAX_UPSERT_VECTORS:
            return 400, _error("INVALID_ARGUMENT", f"{len(vectors)} vectors, over {MAX_UPSERT_VECTORS}")
        dimension = self._dimension()
        for vector in vectors:
            if dimension is not None and len(vector["values"]) != dimension:
                return 400, _error(
                    "INVALID_ARGUMENT",
                    f"Vector dimension {len(vector['values'])} does not match the index's {dimension}",
                )
        space = self.state.vectors.setdefault(body.get("namespace", ""), {})
        for vector in vectors:
            space[vector["id"]] = (vector["values"], vector.get("metadata") or {})
        return 200, {"upsertedCount": len(vectors)}

    def _query(self, body: dict[str, Any]) -> tuple[int, Any]:
        query = body["vector"]
        space = self.state.vectors.get(body.get("namespace", ""), {})
        scored = sorted(
            ((_cosine(query, values), vid, meta) for vid, (values, meta) in space.items()),
            key=lambda item: -item[0],
        )[: body["topK"]]
        matches = []
        for score, vid, meta in scored:
            match: dict[str, Any] = {"id": vid, "score": score}
            if body.get("includeMetadata"):
                match["metadata"] = meta
            matches.append(match)
        return 200, {"matches": matches, "namespace": body.get("namespace", ""), "usage": {"readUnits": 1}}

    def _delete(self, body: dict[str, Any]) -> tuple[int, Any]:
        space = self.state.vectors.get(body.get("namespace", ""), {})
        for vid in body.get("ids", []):
            space.pop(vid, None)
        return 200, {}

    def _list(self, body: dict[str, Any]) -> tuple[int, Any]:
        """Ids in id order, `limit` (default 100) per page, the next page's token as its offset."""
        namespace = body.get("namespace", "")
        ids = sorted(i for i in self.state.vectors.get(namespace, {}) if i.startswith(body.get("prefix", "")))
        start, limit = int(body.get("paginationToken") or 0), int(body.get("limit") or 100)
        answer: dict[str, Any] = {
            "vectors": [{"id": i} for i in ids[start : start + limit]],
            "namespace": namespace,
            "usage": {"readUnits": 1},
        }
        if start + limit < len(ids):
            answer["pagination"] = {"next": str(start + limit)}
        return 200, answer

    def _fetch(self, body: dict[str, Any]) -> tuple[int, Any]:
        namespace = body.get("namespace", "")
        space = self.state.vectors.get(namespace, {})
        found = {
            i: {"id": i, "values": space[i][0], "metadata": space[i][1]}
            for i in body.get("ids", [])
            if i in space
        }
        return 200, {"vectors": found, "namespace": namespace, "usage": {"readUnits": 1}}

    def _stats(self, body: dict[str, Any]) -> tuple[int, Any]:
        namespaces = {
            (ns or "__default__"): {"vectorCount": len(space)} for ns, space in self.state.vectors.items()
        }
        return 200, {
            "namespaces": namespaces,
            "dimension": self._dimension(),
            "indexFullness": 0.0,
            "totalVectorCount": sum(len(space) for space in self.state.vectors.values()),
        }


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}, "status": 0}
