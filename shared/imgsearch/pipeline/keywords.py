"""Keyword evidence for a search: which photos hold which query words (or their synonyms), weighted.

Each query word weighs its inverse document frequency (BM25's IDF) in the searched library, so a
shop's name or an error code counts for more than "photo". A photo's keyword score is the share of
the query's weight its text holds; a word missing from it that other photos hold counts against
it. Words are also expanded with WordNet (imgsearch.pipeline.wordnet): a photo holding a synonym or
a broader word ("dog" for "pooch") earns part of that word's weight, so queries that share no word
with a description still find it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from imgsearch.models import SearchFilters
from imgsearch.pipeline.query import STOPWORDS, ParsedQuery, tokens
from imgsearch.ports import ImageRepository

EXPANSION_WEIGHT = 0.7  # a synonym's match counts this much of an exact one
MAX_ALTERNATIVES = 12
EXPAND_BELOW = 1000  # photos holding the word itself; at or above this, it is not expanded


@dataclass
class TermMatches:
    """One photo's keyword evidence."""

    keyword: float = 0.0  # share of the query's weight its text holds (synonyms counted in part)
    lacking: float = 0.0  # share of the query's weight it lacks although other photos hold it
    exact: set[int] = field(default_factory=set)  # terms it holds as written
    expanded: set[int] = field(default_factory=set)  # terms it holds only through a synonym


@dataclass
class KeywordEvidence:
    """What the keywords say about every photo they matched."""

    photos: dict[str, TermMatches] = field(default_factory=dict)
    holding_phrases: set[str] = field(default_factory=set)  # photos holding every quoted phrase
    novel: bool = False  # no query word, nor any synonym of one, appears in the library at all
    lacking_none: float = 0.0  # what a photo that matched no keyword lacks: every word the library holds


def keyword_evidence(
    repository: ImageRepository, parsed: ParsedQuery, filters: SearchFilters, expand=None
) -> KeywordEvidence:
    """The keyword evidence for a parsed query within the filters.

    expand(word) gives a word's related words (imgsearch.pipeline.wordnet.related by default).
    """
    if not parsed.terms and not parsed.phrases:
        return KeywordEvidence()
    hits = repository.keyword_search(parsed.terms, parsed.phrases, filters)
    evidence = KeywordEvidence(holding_phrases=set(hits.matched))
    if not parsed.terms:
        return evidence
    # A word many photos hold already gains little from its synonyms, and looking them up costs.
    groups = [
        g if hits.frequencies[i] < EXPAND_BELOW else () for i, g in enumerate(_alternatives(parsed, expand))
    ]
    wide = None
    if any(groups):
        wanted = [i for i, group in enumerate(groups) if group]
        wide = repository.keyword_search([groups[i] for i in wanted], (), filters, total=hits.total)
    total = hits.total
    weights = [_idf(df, total) for df in hits.frequencies]
    whole = sum(weights) or 1.0
    partial = [0.0] * len(parsed.terms)  # what a synonym's match is worth, per term
    known_through = [False] * len(parsed.terms)
    photos = evidence.photos
    for image_id, matched in hits.matched.items():
        photos.setdefault(image_id, TermMatches()).exact |= matched
    if wide is not None:
        for position, index in enumerate(wanted):
            frequency = wide.frequencies[position]
            known_through[index] = frequency > 0
            partial[index] = (
                min(EXPANSION_WEIGHT * _idf(frequency, total), weights[index]) if frequency else 0.0
            )
        for image_id, matched in wide.matched.items():
            match = photos.setdefault(image_id, TermMatches())
            match.expanded |= {wanted[p] for p in matched} - match.exact
    known = [i for i, df in enumerate(hits.frequencies) if df > 0 or known_through[i]]
    # What lacking a term costs: its own weight if photos hold it, else its synonyms' share.
    cost = [weights[i] if hits.frequencies[i] else partial[i] for i in range(len(weights))]
    evidence.novel = not known and not parsed.phrases
    evidence.lacking_none = sum(cost[i] for i in known) / whole
    for match in photos.values():
        held = match.exact | match.expanded
        match.keyword = (
            sum(weights[i] for i in match.exact) + sum(partial[i] for i in match.expanded)
        ) / whole
        # A word other photos hold but this one lacks counts against it ("grey dog on a sofa"
        # against the ginger dog's sofa and the grey cat's window sill).
        match.lacking = sum(cost[i] for i in known if i not in held) / whole
    return evidence


def _alternatives(parsed: ParsedQuery, expand) -> list[tuple[tuple[str, ...], ...]]:
    """For each query term, the token runs of its related words (codes are never expanded)."""
    if expand is None:
        from imgsearch.pipeline.wordnet import related as expand
    groups: list[tuple[tuple[str, ...], ...]] = []
    for index, term in enumerate(parsed.terms):
        if index in parsed.required or len(term) != 1:
            groups.append(())
            continue
        found = expand(term[0])
        runs: list[tuple[str, ...]] = []
        for word in (*found.synonyms, *found.broader):
            run = tokens(word)
            if run and run != term and not all(t in STOPWORDS for t in run) and run not in runs:
                runs.append(run)
        groups.append(tuple(runs[:MAX_ALTERNATIVES]))
    return groups


def _idf(frequency: int, total: int) -> float:
    """BM25's inverse document frequency: rare words count for more (never negative)."""
    return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
