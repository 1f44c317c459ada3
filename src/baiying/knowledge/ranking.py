"""BM25 ranking, as SQLite's FTS5 `bm25()` computes it, so that the PostgreSQL search (which computes it
in SQL from the statistics the storage keeps) and FTS5 order results alike.

For a query of terms t and a document d with field-weighted term frequencies f(t, d) (a term in the
title counts `TITLE_WEIGHT` times, in a tag `TAGS_WEIGHT` times, in the body once) and length |d| (its
number of terms, every field):

    score(d) = Σ_t idf(t) · f(t, d) · (k1 + 1) / (f(t, d) + k1 · (1 − b + b · |d| / avgdl))
    idf(t)   = ln((N − n(t) + 0.5) / (n(t) + 0.5)), or 1e-6 where that is not positive

with N the number of indexed documents, n(t) those holding t, avgdl their mean length, k1 = 1.2 and
b = 0.75 (FTS5's constants). Higher is better; FTS5 reports the negation.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

K1: Final = 1.2
B: Final = 0.75
TITLE_WEIGHT: Final = 3.0
TAGS_WEIGHT: Final = 2.0
BODY_WEIGHT: Final = 1.0
MIN_IDF: Final = 1e-6


def idf(documents: int, holding: int) -> float:
    """The inverse document frequency of a term held by `holding` of `documents` documents."""
    value = math.log((documents - holding + 0.5) / (holding + 0.5))
    return value if value > 0.0 else MIN_IDF


def weighted_frequencies(title: Sequence[str], tags: Sequence[str], body: Sequence[str]) -> dict[str, float]:
    """Each term's frequency in a document, a title occurrence counting TITLE_WEIGHT, a tag TAGS_WEIGHT."""
    weights: defaultdict[str, float] = defaultdict(float)
    for terms, weight in ((title, TITLE_WEIGHT), (tags, TAGS_WEIGHT), (body, BODY_WEIGHT)):
        for term in terms:
            weights[term] += weight
    return dict(weights)


@dataclass(frozen=True, slots=True)
class CorpusStats:
    documents: int  # N
    terms: int  # the total length of every document
    holding: Mapping[str, int] = field(default_factory=dict)  # n(t) for the terms asked about

    @property
    def average_length(self) -> float:
        return self.terms / self.documents if self.documents else 0.0

    def idf(self, term: str) -> float:
        return idf(self.documents, self.holding.get(term, 0))


def score(frequencies: Mapping[str, float], length: int, query: Iterable[str], stats: CorpusStats) -> float:
    """The BM25 score of one document for the (distinct) query terms; 0 when it holds none of them."""
    average = stats.average_length or 1.0
    norm = K1 * (1.0 - B + B * length / average)
    total = 0.0
    for term in query:
        f = frequencies.get(term, 0.0)
        if f:
            total += stats.idf(term) * f * (K1 + 1.0) / (f + norm)
    return total


def distinctive_terms(terms: Sequence[str], stats: CorpusStats, limit: int) -> list[str]:
    """The `limit` terms of a text (a ticket, a chat) that best say what it is about: by tf·idf, only
    terms some document holds and at most half of them do (commoner ones say nothing); ties by first
    appearance. Used to suggest articles for the text."""
    counts = Counter(terms)
    order = {term: i for i, term in reversed(list(enumerate(terms)))}
    known = [term for term in counts if stats.holding.get(term, 0) > 0 and stats.idf(term) > MIN_IDF]
    known.sort(key=lambda term: (-counts[term] * stats.idf(term), order[term]))
    return known[:limit]


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    key: str
    frequencies: Mapping[str, float]
    length: int


class InMemoryIndex:
    """A reference BM25 index over documents held in memory: what the database searches must agree with
    (a test compares them), and a search for small collections that need no database."""

    def __init__(self) -> None:
        self._documents: dict[str, IndexedDocument] = {}
        self._holding: Counter[str] = Counter()
        self._terms = 0

    def add(self, key: str, title: Sequence[str], tags: Sequence[str], body: Sequence[str]) -> None:
        self.remove(key)
        document = IndexedDocument(
            key, weighted_frequencies(title, tags, body), len(title) + len(tags) + len(body)
        )
        self._documents[key] = document
        self._holding.update(document.frequencies.keys())
        self._terms += document.length

    def remove(self, key: str) -> None:
        document = self._documents.pop(key, None)
        if document is not None:
            self._holding.subtract(document.frequencies.keys())
            self._terms -= document.length

    def stats(self, query: Iterable[str] = ()) -> CorpusStats:
        return CorpusStats(len(self._documents), self._terms, {t: self._holding[t] for t in query})

    def search(self, query: Sequence[str], limit: int = 10) -> list[tuple[str, float]]:
        """(key, score) of the best documents holding any query term, best first, ties by key."""
        stats = self.stats(query)
        scored = [
            (document.key, score(document.frequencies, document.length, query, stats))
            for document in self._documents.values()
            if any(term in document.frequencies for term in query)
        ]
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored[:limit]
