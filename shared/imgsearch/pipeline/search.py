"""Search: hybrid ranking (description vectors fused with keyword matches), a cut-off, filters.

A query is read first (imgsearch.pipeline.query): quoted phrases must appear as written, date words
become a filter, the rest is embedded for meaning and split into keywords. Each image gets one
score from its best-matching description chunk (meaning) and from the share of the query's
keywords its text holds, weighted by how rare each keyword is (IDF), so an exact shop name or error
code wins over look-alikes. The two are fused by a convex combination; reciprocal rank fusion is
kept as the alternative the evaluation (`make eval`) compares against. Results below a cut-off
relative to the best score and an absolute floor are hidden unless asked for, so a query nothing
answers gives no results rather than every photo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from imgsearch.models import ImageRecord, SearchFilters, SearchResult, VectorMatch
from imgsearch.pipeline.chunks import MAX_CHUNKS, description_chunks
from imgsearch.pipeline.keywords import KeywordEvidence, keyword_evidence
from imgsearch.pipeline.query import ParsedQuery, parse_query, tokens
from imgsearch.ports import Embedder, ImageRepository, VectorIndex

MAX_LIMIT = 100
MAX_CANDIDATES = 1000  # chunks asked of the vector index at most (Pinecone's top_k ceiling)
MAX_PAGE = 1000
SORTS = ("relevance", "date")
UNRELATED = 0.20  # all-MiniLM-L6-v2's typical cosine between a query and an unrelated description
# "Similar photos" shows nothing less alike than this (cosine of visual / description vectors).
SIMILAR_VISUAL = 0.35
SIMILAR_DESCRIBED = 0.55


@dataclass(frozen=True)
class Ranking:
    """How scores are made and cut; the defaults were tuned with `make eval` (docs/evaluation.md)."""

    fusion: str = "convex"  # or "rrf"
    keyword_weight: float = 0.3  # convex: share of the keyword score in the fused score
    vector_floor: float = 0.15  # cosine at or below this counts as no likeness at all
    vector_ceiling: float = 0.70  # and at or above this as a perfect match
    rrf_k: int = 60
    # Is anything an answer? Yes when the best result holds this share of the query's keywords
    # (weighted by rarity, less what it lacks that other photos have) ...
    answer_keywords: float = 0.6
    # ... or when the closest description is at least this alike and stands this far above the
    # library's background (the mean likeness of the photos ranked 10th to 30th).
    answer_vector: float = 0.40
    answer_standout: float = 0.15
    # ... or when one description is a clear winner: this alike, and this far above the next.
    # (Short descriptions, such as the local describer's, give lower cosines all round.)
    answer_winner: float = 0.30
    answer_margin: float = 0.10
    # A query sharing no word (nor a synonym of one) with any photo needs at least this likeness.
    answer_novel: float = 0.50
    cutoff_ratio: float = 0.3  # then: results below this share of the best result's score are hidden
    candidates_per_result: int = 8


@dataclass(frozen=True)
class SearchRequest:
    """One search: free text and/or filters, an order and a page."""

    query: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    everything: bool = False  # show results below the cut-off too
    today: date | None = None  # what "last summer" counts from (today's date by default)


@dataclass(frozen=True)
class SearchPage:
    """A page of results and what the search understood."""

    results: list[SearchResult]
    total: int  # results (above the cut-off unless everything was asked for)
    hidden: int  # results below the cut-off, not counted in total
    page: int
    per_page: int
    parsed: ParsedQuery
    filters: SearchFilters  # the filters applied, with the date words' filter in them

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass
class _Candidate:
    image_id: str
    vector: float = 0.0  # best chunk's cosine
    chunk: int | None = None  # that chunk
    keyword: float = 0.0  # IDF-weighted share of the query's keywords the image's text holds
    lacking: float = 0.0  # ... and of those it lacks that other images hold
    matched: set[int] = field(default_factory=set)
    score: float = 0.0


@dataclass(frozen=True)
class Gathered:
    """A query's candidates with their evidence, before fusing and cutting (see SearchService.gather)."""

    found: list[_Candidate]  # searchable photos only
    background: float  # how alike the library's ordinary photos are to the query
    novel: bool = False  # no query word, nor a synonym of one, is in the library


class SearchService:
    """Answers free-text queries and filters with images, best first."""

    def __init__(
        self,
        *,
        repository: ImageRepository,
        index: VectorIndex,
        embedder: Embedder,
        visual_index: VectorIndex | None = None,
        ranking: Ranking | None = None,
        expand=None,
    ) -> None:
        """expand(word) gives a word's related words for keyword search (WordNet by default)."""
        self.repository = repository
        self.index = index
        self.embedder = embedder
        self.visual_index = visual_index
        self.ranking = ranking or Ranking()
        self.expand = expand

    def search(self, query: str, limit: int = 20) -> list[SearchResult]:
        """Up to limit images for the query, above the cut-off, each with its score and snippet."""
        limit = max(1, min(int(limit), MAX_LIMIT))
        return self.find(SearchRequest(query=query, per_page=limit)).results

    def find(self, request: SearchRequest) -> SearchPage:
        """A page of results for a query and filters (see the module docstring for the ranking)."""
        per_page = max(1, min(int(request.per_page), MAX_LIMIT))
        page = max(1, min(int(request.page), MAX_PAGE))
        parsed = parse_query(request.query, request.today)
        filters = request.filters
        if parsed.dates is not None:
            filters = filters.with_dates(parsed.dates)
        if not parsed.has_text:
            if not filters.active:  # nothing asked for
                return SearchPage([], 0, 0, page, per_page, parsed, filters)
            return self._listing(parsed, filters, page, per_page, request.sort)
        ranked, hidden = self._rank(parsed, filters, request.everything)
        if request.sort == "date":
            moments = self.repository.moments([c.image_id for c in ranked])
            ranked.sort(key=lambda c: (moments.get(c.image_id, 0.0), c.image_id), reverse=True)
        start = (page - 1) * per_page
        shown = ranked[start : start + per_page]
        # Only the page shown is read in full: ranking needs no more than the candidates' scores.
        records = self.repository.get_many([c.image_id for c in shown])
        results = [self._result(c, records[c.image_id], parsed) for c in shown if c.image_id in records]
        return SearchPage(results, len(ranked), hidden, page, per_page, parsed, filters)

    # ------------------------------------------------------------------ more like this

    def similar(self, image_id: str, limit: int = 12) -> list[SearchResult]:
        """Photos that look like this one, most alike first (its near-duplicates included).

        Compared by visual embedding where the local describer made one, else by description
        vector. Raises NotFound for an unknown image.
        """
        from imgsearch.errors import NotFound

        record = self.repository.get(image_id)
        if record is None:
            raise NotFound(f"no image with id {image_id}")
        limit = max(1, min(int(limit), MAX_LIMIT))
        scored = self._visually_similar(image_id, limit) or self._described_alike(image_id, limit)
        records = self.repository.get_many([i for i, _ in scored])
        results = [
            SearchResult(records[i], score, _first_line(records[i]))
            for i, score in scored
            if i in records and records[i].searchable
        ]
        return results[:limit]

    def duplicates_of(self, record: ImageRecord) -> list[ImageRecord]:
        """The other photos in this photo's near-duplicate group."""
        if not record.duplicate_group:
            return []
        group = self.repository.duplicate_group(record.duplicate_group)
        return [member for member in group if member.id != record.id]

    def duplicate_groups(self) -> list[list[ImageRecord]]:
        """Every group of near-duplicates (resized, recompressed or cropped copies), largest first."""
        return self.repository.duplicate_groups()

    def _visually_similar(self, image_id: str, limit: int) -> list[tuple[str, float]]:
        if self.visual_index is None:
            return []
        vector = self.visual_index.fetch([image_id]).get(image_id)
        if vector is None:
            return []
        matches = self.visual_index.query(vector, top_k=limit + 1)
        return [
            (m.image_id, m.score) for m in matches if m.image_id != image_id and m.score >= SIMILAR_VISUAL
        ]

    def _described_alike(self, image_id: str, limit: int) -> list[tuple[str, float]]:
        from imgsearch.models import vector_id

        vector = self.index.fetch([vector_id(image_id, 0)]).get(vector_id(image_id, 0))
        if vector is None:
            return []
        best: dict[str, float] = {}
        for match in self.index.query(vector, top_k=min((limit + 1) * 8, MAX_CANDIDATES)):
            if match.image_id != image_id and match.score > best.get(match.image_id, -1.0):
                best[match.image_id] = match.score
        ranked = sorted(best.items(), key=lambda item: -item[1])
        return [(i, s) for i, s in ranked if s >= SIMILAR_DESCRIBED]

    # ------------------------------------------------------------------ ranking

    def _rank(
        self, parsed: ParsedQuery, filters: SearchFilters, everything: bool
    ) -> tuple[list[_Candidate], int]:
        """Every candidate, scored and best first (cut unless everything), and how many were cut."""
        return self.order(self.gather(parsed, filters), parsed, everything)

    def gather(self, parsed: ParsedQuery, filters: SearchFilters) -> Gathered:
        """The candidates for a query with their vector and keyword evidence (not yet fused), and
        the library's background likeness; the slow part of a search, kept apart for tuning."""
        within = self.repository.searchable_ids(filters) if filters.active else None
        if within is not None and not within:
            return Gathered([], 0.0)
        vector = self.embedder.embed_query(parsed.semantic or parsed.text)
        candidates = self._vector_candidates(vector, within)
        evidence = self._add_keyword_scores(parsed, filters, candidates)
        if parsed.phrases:  # a quoted phrase must be there, as written
            candidates = {i: c for i, c in candidates.items() if i in evidence.holding_phrases}
        if parsed.required:  # so must a code ("0x80070005", "bay 47"): a look-alike is no answer
            candidates = {i: c for i, c in candidates.items() if set(parsed.required) <= c.matched}
        background = _background([c.vector for c in candidates.values()])
        self._fill_vector_scores(vector, candidates)
        # The index may still hold vectors of a photo being deleted, or not yet searchable; what the
        # keyword search found is searchable already.
        unchecked = [i for i in candidates if i not in evidence.photos]
        searchable = self.repository.searchable_among(unchecked) | set(evidence.photos)
        found = [c for i, c in candidates.items() if i in searchable]
        return Gathered(found, background, evidence.novel)

    def order(
        self, gathered: Gathered, parsed: ParsedQuery, everything: bool
    ) -> tuple[list[_Candidate], int]:
        """Fuse the evidence, rank, and cut (unless everything); returns the results and how many were cut."""
        self._fuse(gathered.found)
        ranked = sorted(gathered.found, key=lambda c: (-c.score, c.image_id))
        if everything or not ranked:
            return ranked, 0
        kept = self.cut(ranked, parsed, gathered)
        return kept, len(ranked) - len(kept)

    def cut(self, ranked: list[_Candidate], parsed: ParsedQuery, gathered: Gathered) -> list[_Candidate]:
        """The results worth showing: none if nothing answers the query, else those near the best.

        Something answers when the best result holds most of the query's (rarer) words, or when a
        description is clearly alike and stands out from the rest of the library; a quoted phrase,
        a code or a holiday's date found in a photo answers by itself.
        """
        ranking = self.ranking
        best = ranked[0]
        alike = sorted((c.vector for c in ranked), reverse=True)
        closest, runner_up = alike[0], alike[1] if len(alike) > 1 else UNRELATED
        # A query none of whose words (nor their synonyms) the library holds needs a closer match.
        at_least = ranking.answer_novel if gathered.novel else 0.0
        answered = (
            bool(parsed.phrases or parsed.required or parsed.date_only)
            or best.keyword - best.lacking >= ranking.answer_keywords
            or (
                closest >= max(ranking.answer_vector, at_least)
                and closest - gathered.background >= ranking.answer_standout
            )
            or (
                closest >= max(ranking.answer_winner, at_least)
                and closest - runner_up >= ranking.answer_margin
            )
        )
        if not answered:
            return []
        bar = best.score * ranking.cutoff_ratio
        return [c for c in ranked if c.score >= bar]

    def _vector_candidates(self, vector: list[float], within: list[str] | None) -> dict[str, _Candidate]:
        wanted = min(30 * self.ranking.candidates_per_result, MAX_CANDIDATES)
        candidates: dict[str, _Candidate] = {}
        if getattr(self.index, "searches_heads", False):
            # Two steps where the index allows: the images whose whole descriptions are closest,
            # then all the chunks of just those images (a quarter of the work of every chunk).
            self._take(self.index.query(vector, top_k=wanted, within=within, heads_only=True), candidates)
            self._fill_vector_scores(vector, candidates, every=True)
        else:
            self._take(self.index.query(vector, top_k=wanted, within=within), candidates)
        return candidates

    def _add_keyword_scores(
        self, parsed: ParsedQuery, filters: SearchFilters, candidates: dict[str, _Candidate]
    ) -> KeywordEvidence:
        """Score the keyword matches (adding the photos they found to the candidates)."""
        evidence = keyword_evidence(self.repository, parsed, filters, self.expand)
        for image_id, match in evidence.photos.items():
            candidate = candidates.setdefault(image_id, _Candidate(image_id))
            candidate.matched, candidate.keyword, candidate.lacking = (
                match.exact,
                match.keyword,
                match.lacking,
            )
        for candidate in candidates.values():
            if candidate.image_id not in evidence.photos:
                candidate.lacking = evidence.lacking_none
        return evidence

    def _fill_vector_scores(
        self, vector: list[float], candidates: dict[str, _Candidate], every: bool = False
    ) -> None:
        """Vector scores for candidates only the keywords found (their chunks were not in the top);
        with every, the best chunk of each candidate, whatever it has now."""
        missing = [c.image_id for c in candidates.values() if every or c.chunk is None]
        # As many images per index query as its top_k ceiling allows (Pinecone's is 1000).
        per_query = max(1, getattr(self.index, "max_top_k", MAX_CANDIDATES) // MAX_CHUNKS)
        for start in range(0, len(missing), per_query):
            batch = missing[start : start + per_query]
            matches = self.index.query(vector, top_k=len(batch) * MAX_CHUNKS, within=batch)
            self._take(matches, candidates, only_known=True)

    @staticmethod
    def _take(
        matches: list[VectorMatch], candidates: dict[str, _Candidate], only_known: bool = False
    ) -> None:
        for match in matches:
            candidate = candidates.get(match.image_id)
            if candidate is None:
                if only_known:
                    continue
                candidate = candidates[match.image_id] = _Candidate(match.image_id)
            if candidate.chunk is None or match.score > candidate.vector:
                candidate.vector, candidate.chunk = match.score, match.chunk

    def _fuse(self, candidates: list[_Candidate]) -> None:
        ranking = self.ranking
        if ranking.fusion == "rrf":
            by_vector = sorted(candidates, key=lambda c: -c.vector)
            by_keyword = sorted((c for c in candidates if c.keyword > 0), key=lambda c: -c.keyword)
            scores = {c.image_id: 0.0 for c in candidates}
            for ranked in (by_vector, by_keyword):
                for rank, c in enumerate(ranked, 1):
                    scores[c.image_id] += 1.0 / (ranking.rrf_k + rank)
            for c in candidates:
                c.score = scores[c.image_id]
            return
        for c in candidates:
            c.score = self._evidence(c)

    def _evidence(self, c: _Candidate) -> float:
        """The convex combination of the normalised vector score and the keyword score."""
        ranking = self.ranking
        span = ranking.vector_ceiling - ranking.vector_floor
        vector = min(max((c.vector - ranking.vector_floor) / span, 0.0), 1.0)
        weight = ranking.keyword_weight
        return (1 - weight) * vector + weight * (c.keyword - c.lacking)

    # ------------------------------------------------------------------ results

    def _result(self, c: _Candidate, record: ImageRecord, parsed: ParsedQuery) -> SearchResult:
        return SearchResult(record, c.score, self._snippet(c, record, parsed))

    def _snippet(self, c: _Candidate, record: ImageRecord, parsed: ParsedQuery) -> str:
        """The part of the description that best says why the photo matched."""
        chunks = description_chunks(record.description or "", self.embedder.max_chars)
        if not chunks:
            return ""
        lines = chunks[1:] or chunks
        wanted = {w for term in parsed.terms for w in term} | {w for p in parsed.phrases for w in p}
        if wanted:
            # The line holding most of the query's words (by prefix, so "kitten" finds "kittens").
            def hits(line: str) -> int:
                words = tokens(line)
                return sum(any(w.startswith(q[:5]) for w in words) for q in wanted)

            best = max(lines, key=hits)
            if hits(best) and (c.keyword > 0 or c.chunk in (None, 0)):
                return best
        if c.chunk is not None and 0 < c.chunk < len(chunks):
            return chunks[c.chunk]
        return lines[0]

    def _listing(
        self, parsed: ParsedQuery, filters: SearchFilters, page: int, per_page: int, sort: str
    ) -> SearchPage:
        """Filters alone (or a query of date words only): the photos that pass, newest first."""
        records, total = self.repository.filtered(
            filters, offset=(page - 1) * per_page, limit=per_page, newest_first=True
        )
        results = [SearchResult(record, None, _first_line(record)) for record in records]
        return SearchPage(results, total, 0, page, per_page, parsed, filters)


def _background(scores: list[float]) -> float:
    """How alike the library's ordinary photos are to the query: the mean of the 10th-30th best.

    With fewer than ten photos to compare, the likeness of an unrelated description is assumed.
    """
    ranked = sorted(scores, reverse=True)
    if len(ranked) < 10:
        return UNRELATED
    middle = ranked[9:30]
    return sum(middle) / len(middle)


def _first_line(record: ImageRecord) -> str:
    return next((line for line in (record.description or "").splitlines() if line.strip()), "")
