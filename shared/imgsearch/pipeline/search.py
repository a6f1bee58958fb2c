"""Search: embed the query, find the nearest description chunks, rank images by their best chunk."""

from __future__ import annotations

from imgsearch.models import SearchResult, VectorMatch
from imgsearch.pipeline.chunks import description_chunks
from imgsearch.ports import Embedder, ImageRepository, VectorIndex

MAX_LIMIT = 100
MAX_QUERY_CHARS = 500
CANDIDATES_PER_RESULT = 8
MAX_CANDIDATES = 1000  # Pinecone's top_k ceiling


class SearchService:
    """Answers free-text queries with images, best first."""

    def __init__(self, *, repository: ImageRepository, index: VectorIndex, embedder: Embedder) -> None:
        self.repository = repository
        self.index = index
        self.embedder = embedder

    def search(self, query: str, limit: int = 20) -> list[SearchResult]:
        """Up to limit images for the query, each with its score and the part that matched."""
        query = " ".join((query or "").split())[:MAX_QUERY_CHARS]
        limit = max(1, min(int(limit), MAX_LIMIT))
        if not query:
            return []
        vector = self.embedder.embed_query(query)
        top_k = limit * CANDIDATES_PER_RESULT + 20
        while True:
            matches = self.index.query(vector, top_k=top_k)
            results = self._rank(matches, limit)
            if len(results) >= limit or len(matches) < top_k or top_k >= MAX_CANDIDATES:
                return results
            top_k = min(top_k * 4, MAX_CANDIDATES)  # a few images held most of the chunks found

    def _rank(self, matches: list[VectorMatch], limit: int) -> list[SearchResult]:
        best: dict[str, tuple[float, int]] = {}
        best_line: dict[str, tuple[float, int]] = {}
        for match in matches:
            if match.image_id not in best or match.score > best[match.image_id][0]:
                best[match.image_id] = (match.score, match.chunk)
            if match.chunk > 0 and (
                match.image_id not in best_line or match.score > best_line[match.image_id][0]
            ):
                best_line[match.image_id] = (match.score, match.chunk)
        ranked = sorted(best.items(), key=lambda item: item[1][0], reverse=True)
        records = self.repository.get_many([image_id for image_id, _ in ranked])
        results: list[SearchResult] = []
        for image_id, (score, _chunk) in ranked:
            record = records.get(image_id)
            if record is None or not record.searchable:
                continue  # deleted, failed, or not indexed yet
            chunks = description_chunks(record.description or "", self.embedder.max_chars)
            line = best_line.get(image_id, (0.0, 1 if len(chunks) > 1 else 0))[1]
            snippet = chunks[line] if line < len(chunks) else (chunks[0] if chunks else "")
            results.append(SearchResult(record, score, snippet))
            if len(results) == limit:
                break
        return results
