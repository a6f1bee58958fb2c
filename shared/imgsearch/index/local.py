"""Exact cosine top-k over a numpy matrix, persisted in a SQLite file beside the data.

SQLite (WAL) gives durability, one writer at a time and any number of concurrent readers across
processes; each process keeps the matrix in memory and refreshes it when another connection has
committed (PRAGMA data_version). New rows are appended to the cache; a delete triggers a full reload.

Every vector carries its owner. A LocalVectorIndex is one owner's view of the file (for_owner gives
another's, sharing the connections and the matrix); its searches mask out every other owner's rows
before ranking, and its writes and deletes touch only its owner's rows.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

import numpy as np

from imgsearch.models import LOCAL_OWNER, VectorMatch, VectorRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    image_id TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    embedder TEXT NOT NULL,
    embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS vectors_image ON vectors(image_id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO state VALUES ('deletes', 0);
"""
# Files written before accounts: their vectors belong to the local library, which the first account adopts.
ADD_OWNER = f"ALTER TABLE vectors ADD COLUMN owner TEXT NOT NULL DEFAULT '{LOCAL_OWNER}'"


LOAD_BATCH = 20_000  # rows read from disk at a time
SMALL_SCOPE = 8  # a search within fewer than 1/8 of the images scores only their rows


class DimensionMismatch(ValueError):
    """Vectors of another size are already in the index: reindex after changing the embedder."""


class LocalVectorIndex:
    """VectorIndex over a SQLite file, searched exactly with numpy: one owner's view of it."""

    searches_heads = True  # query(heads_only=True) is cheaper than a search of every chunk
    max_top_k = 1 << 30  # no ceiling: scoring a few thousand images' chunks is one call

    def __init__(self, path: Path, dimension: int, owner: str = LOCAL_OWNER) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.dimension = dimension
        self.owner = owner
        self._file = _VectorFile(self.path, dimension)

    def for_owner(self, owner: str) -> LocalVectorIndex:
        """The same file (and in-memory matrix), seen by another owner."""
        other = LocalVectorIndex.__new__(LocalVectorIndex)
        other.__dict__.update(self.__dict__)
        other.owner = owner
        return other

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        """Store this owner's vectors (a record of another owner is refused)."""
        if any(r.owner != self.owner for r in records):
            raise ValueError("a vector belongs to another owner than this index's")
        self._file.upsert(records, self.owner)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove this owner's vectors with these ids (another owner's are left alone)."""
        self._file.delete(ids, self.owner)

    def query(
        self,
        vector: Sequence[float],
        top_k: int,
        within: Collection[str] | None = None,
        heads_only: bool = False,
    ) -> list[VectorMatch]:
        """This owner's top_k nearest vectors, best first; within limits them to those images' vectors.

        heads_only: only each image's first chunk (chunk 0, its whole description).
        """
        return self._file.query(vector, top_k, self.owner, within, heads_only)

    def fetch(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """This owner's stored vectors of these ids (unknown ids, and other owners', are left out)."""
        return self._file.fetch(ids, self.owner)

    def count(self) -> int:
        return self._file.count(self.owner)

    def ids(self) -> Iterator[str]:
        """Every vector id of this owner (reconcile compares them with the rows)."""
        return self._file.ids(self.owner)

    def embedders(self) -> dict[str, int]:
        """How many of this owner's vectors each embedder made (a model switch shows until reindexed)."""
        return self._file.embedders(self.owner)

    def close(self) -> None:
        self._file.close()


class _VectorFile:
    """The SQLite file and its in-memory matrix, shared by every owner's view in this process."""

    def __init__(self, path: Path, dimension: int) -> None:
        self.dimension = dimension
        self._lock = threading.RLock()
        # data_version only moves for commits made by *other* connections, so reads and writes use
        # separate connections; the lock serialises their use within this process.
        self._writer = _connect(path)
        self._reader = _connect(path)
        self._writer.executescript(SCHEMA)
        if "owner" not in {row[1] for row in self._writer.execute("PRAGMA table_info(vectors)")}:
            self._writer.execute(ADD_OWNER)
        self._clear()
        self._deletes = -1
        self._version: int | None = None

    def _clear(self) -> None:
        """Forget the cached rows (the next read loads them all again)."""
        # Rows live in a buffer that grows by doubling, so appending n rows costs O(n), not a copy
        # of everything held; the matrix searched is the filled part of it.
        self._buffer = np.zeros((0, self.dimension), dtype=np.float32)
        self._size = 0
        self._ids: list[str] = []
        self._images: list[str] = []
        self._chunks: list[int] = []
        self._row_of: dict[str, int] = {}
        self._rows_of_image: dict[str, list[int]] = {}
        # Each row's image as a small integer, so a search limited to many images is one mask;
        # and its owner, so a search sees one owner's rows.
        self._codes = np.zeros(0, dtype=np.int64)
        self._code_of: dict[str, int] = {}
        self._owners = np.zeros(0, dtype=np.int64)
        self._owner_code: dict[str, int] = {}
        # Every image's first chunk (its whole description) again, packed: a search over images
        # rather than chunks reads a quarter of the memory.
        self._heads = np.zeros((0, self.dimension), dtype=np.float32)
        self._head_rows: list[int] = []
        self._max_seq = 0

    @property
    def _matrix(self) -> np.ndarray:
        return self._buffer[: self._size]

    # ------------------------------------------------------------------ writes

    def upsert(self, records: Sequence[VectorRecord], owner: str) -> None:
        if not records:
            return
        rows = []
        for r in records:
            vector = np.asarray(r.values, dtype=np.float32)
            if vector.shape != (self.dimension,):
                raise DimensionMismatch(
                    f"vector {r.id} has {vector.shape[0]} dimensions; the index holds {self.dimension}"
                )
            rows.append((r.id, r.image_id, r.chunk, r.embedder, _unit(vector).tobytes(), owner))
        with self._lock:
            self._write([row[0] for row in rows], rows, owner)

    def delete(self, ids: Sequence[str], owner: str) -> None:
        if ids:
            with self._lock:
                self._write(list(ids), [], owner)

    def _write(self, remove: list[str], insert: list[tuple], owner: str) -> None:
        conn = self._writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            # A replaced id gets a new seq, so readers see it as removed, then added. Only the
            # owner's own row is replaced: another owner's with the same id makes the insert fail.
            removed = conn.executemany(
                "DELETE FROM vectors WHERE id = ? AND owner = ?", [(i, owner) for i in remove]
            ).rowcount
            if removed:
                conn.execute("UPDATE state SET value = value + 1 WHERE key = 'deletes'")
            conn.executemany(
                "INSERT INTO vectors (id, image_id, chunk, embedder, embedding, owner) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                insert,
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # ------------------------------------------------------------------ reads

    def query(
        self,
        vector: Sequence[float],
        top_k: int,
        owner: str,
        within: Collection[str] | None = None,
        heads_only: bool = False,
    ) -> list[VectorMatch]:
        q = _unit(np.asarray(vector, dtype=np.float32))
        if q.shape != (self.dimension,):
            raise DimensionMismatch(f"query has {q.shape[0]} dimensions; the index holds {self.dimension}")
        with self._lock:
            self._refresh()
            matrix, ids, images, chunks = self._matrix, self._ids, self._images, self._chunks
            owned = self._owned(owner)  # None: every row is the owner's
            if owned is not None and not owned.any():
                return []
            rows = keep = None
            if within is not None:
                # A few images: score just their rows; many: one pass with a mask.
                if len(within) * SMALL_SCOPE < len(self._code_of):
                    rows = self._rows(within, heads_only)
                    if owned is not None:
                        rows = rows[owned[rows]]
                else:
                    keep = self._mask(within)
                    if owned is not None:
                        keep &= owned
            elif owned is not None:
                keep = owned
            if heads_only and rows is None:
                matrix = self._heads[: len(self._head_rows)]
                rows = np.asarray(self._head_rows, dtype=np.int64)
                if keep is not None:
                    keep = keep[rows]
                rows_are_all_heads = True
            else:
                rows_are_all_heads = False
        if top_k <= 0 or not ids:
            return []
        if rows_are_all_heads:
            scores = matrix @ q
        elif rows is not None:
            if not len(rows):
                return []
            scores = matrix[rows] @ q
        else:
            scores = matrix @ q
        available = len(scores)
        if not available:
            return []
        if keep is not None:
            available = int(np.count_nonzero(keep))
            if not available:
                return []
            scores = np.where(keep, scores, np.float32(-np.inf))
        k = min(top_k, available)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        if rows is not None:
            return [
                VectorMatch(ids[r], images[r], chunks[r], float(scores[i]))
                for i, r in ((i, rows[i]) for i in top)
            ]
        return [VectorMatch(ids[i], images[i], chunks[i], float(scores[i])) for i in top]

    def fetch(self, ids: Sequence[str], owner: str) -> dict[str, list[float]]:
        with self._lock:
            self._refresh()
            owned = self._owned(owner)
            rows = {i: self._row_of[i] for i in ids if i in self._row_of}
            return {
                vector_id: self._buffer[n].tolist()
                for vector_id, n in rows.items()
                if owned is None or owned[n]
            }

    def _rows(self, within: Collection[str], heads_only: bool = False) -> np.ndarray:
        rows = [row for image_id in within for row in self._rows_of_image.get(image_id, ())]
        if heads_only:
            rows = [row for row in rows if self._chunks[row] == 0]
        return np.asarray(rows, dtype=np.int64)

    def _mask(self, within: Collection[str]) -> np.ndarray:
        codes = [self._code_of[i] for i in within if i in self._code_of]
        allowed = np.zeros(len(self._code_of) + 1, dtype=bool)
        allowed[codes] = True
        return allowed[self._codes]

    def _owned(self, owner: str) -> np.ndarray | None:
        """Which rows are the owner's (call with the lock held, after _refresh); None: all of them."""
        code = self._owner_code.get(owner)
        if code is None:
            return np.zeros(self._size, dtype=bool)
        if len(self._owner_code) == 1:
            return None  # one owner in the file (the usual local case): nothing to mask
        return self._owners == code

    def count(self, owner: str) -> int:
        with self._lock:
            self._refresh()
            owned = self._owned(owner)
            return self._size if owned is None else int(np.count_nonzero(owned))

    def ids(self, owner: str) -> Iterator[str]:
        """Every vector id of this owner, in the order they were written."""
        with self._lock:
            rows = self._reader.execute("SELECT id FROM vectors WHERE owner = ? ORDER BY seq", (owner,))
            found = [row[0] for row in rows]
        yield from found

    def embedders(self, owner: str) -> dict[str, int]:
        with self._lock:
            query = "SELECT embedder, COUNT(*) FROM vectors WHERE owner = ? GROUP BY embedder"
            return dict(self._reader.execute(query, (owner,)))

    # ------------------------------------------------------------------ cache

    def _refresh(self) -> None:
        conn = self._reader
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return  # nobody has committed since we last looked
        conn.execute("BEGIN")
        try:
            deletes = conn.execute("SELECT value FROM state WHERE key = 'deletes'").fetchone()[0]
            if deletes != self._deletes:
                self._clear()
            cursor = conn.execute(
                "SELECT seq, id, image_id, chunk, embedding, owner FROM vectors WHERE seq > ? ORDER BY seq",
                (self._max_seq,),
            )
            # In batches: a large index loads without holding every row twice.
            while rows := cursor.fetchmany(LOAD_BATCH):
                self._append(rows)
        finally:
            conn.execute("COMMIT")
        self._deletes = deletes
        self._version = version

    def _append(self, rows: list[tuple]) -> None:
        start, end = self._size, self._size + len(rows)
        if end > len(self._buffer):
            grown = np.zeros((max(end, 2 * len(self._buffer), 1024), self.dimension), dtype=np.float32)
            grown[:start] = self._buffer[:start]
            self._buffer = grown
        block = np.frombuffer(b"".join(r[4] for r in rows), dtype=np.float32)
        self._buffer[start:end] = block.reshape(len(rows), self.dimension)
        self._size = end
        heads = [row for row, r in enumerate(rows, start) if r[3] == 0]
        if heads:
            first, last = len(self._head_rows), len(self._head_rows) + len(heads)
            if last > len(self._heads):
                grown = np.zeros((max(last, 2 * len(self._heads), 1024), self.dimension), dtype=np.float32)
                grown[:first] = self._heads[:first]
                self._heads = grown
            self._heads[first:last] = self._buffer[heads]
            self._head_rows.extend(heads)
        codes, owners = [], []
        for row, (_, vector_id, image_id, chunk, _, owner) in enumerate(rows, start):
            self._ids.append(vector_id)
            self._images.append(image_id)
            self._chunks.append(chunk)
            self._row_of[vector_id] = row
            self._rows_of_image.setdefault(image_id, []).append(row)
            codes.append(self._code_of.setdefault(image_id, len(self._code_of)))
            owners.append(self._owner_code.setdefault(owner, len(self._owner_code)))
        self._codes = np.concatenate([self._codes, np.asarray(codes, dtype=np.int64)])
        self._owners = np.concatenate([self._owners, np.asarray(owners, dtype=np.int64)])
        self._max_seq = rows[-1][0]

    def close(self) -> None:
        with self._lock:
            self._writer.close()
            self._reader.close()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
