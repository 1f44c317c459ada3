"""The in-memory search index ranks exactly as the reference (`ranking.InMemoryIndex`): same keys, same
order (ties by key), same scores, whatever the corpus, the updates, the filters and the exclusions."""

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baiying.knowledge.model import Visibility
from baiying.knowledge.ranking import InMemoryIndex, weighted_frequencies
from baiying.knowledge.search_index import HISTORY, SearchIndex

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "宽带", "光猫"]
CATEGORIES = [None, "c1", "c2"]

documents = st.tuples(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),  # title
    st.lists(st.sampled_from(WORDS), max_size=2),  # tags
    st.lists(st.sampled_from(WORDS), max_size=8),  # body
    st.sampled_from(list(Visibility)),
    st.sampled_from(CATEGORIES),
)
Document = tuple[list[str], list[str], list[str], Visibility, str | None]


class Pair:
    """The reference and the index under test, fed the same documents."""

    def __init__(self) -> None:
        self.reference = InMemoryIndex()
        self.index = SearchIndex(0)
        self.shown: dict[str, tuple[Visibility, str | None]] = {}

    def put(self, key: str, document: Document) -> None:
        title, tags, body, visibility, category = document
        self.reference.add(key, title, tags, body)
        frequencies = weighted_frequencies(title, tags, body)
        self.index.put(key, frequencies, len(title) + len(tags) + len(body), visibility, category)
        self.shown[key] = (visibility, category)

    def remove(self, key: str) -> None:
        self.reference.remove(key)
        self.index.remove(key)
        self.shown.pop(key, None)

    def expected(
        self,
        query: Sequence[str],
        k: int,
        visible: set[Visibility],
        category: str | None,
        exclude: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> list[tuple[str, float]]:
        every = self.reference.search(query, limit=10**9)
        return [
            (key, score)
            for key, score in every
            if self.shown[key][0] in visible
            and (category is None or self.shown[key][1] == category)
            and key not in exclude
        ][:k]

    def check(
        self,
        query: Sequence[str],
        k: int,
        visible: set[Visibility],
        category: str | None,
        exclude: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        stats = self.reference.stats(query)
        found = self.index.top(query, stats, k, visible=visible, category=category, exclude=exclude)
        expected = self.expected(query, k, visible, category, exclude)
        assert [key for key, _ in found] == [key for key, _ in expected]
        assert [score for _, score in found] == [score for _, score in expected]  # bit for bit


queries = st.tuples(
    st.lists(st.sampled_from([*WORDS, "missing"]), min_size=1, max_size=3, unique=True),
    st.integers(1, 12),
    st.sampled_from([{Visibility.PUBLIC}, {Visibility.AGENT, Visibility.PUBLIC}]),
    st.sampled_from([*CATEGORIES, "unknown"]),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(documents, min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(0, 39), st.one_of(st.none(), documents)), max_size=30),
    st.lists(queries, min_size=1, max_size=5),
    st.sets(st.integers(0, 39), max_size=4),
)
def test_top_k_equals_the_exhaustive_reference_after_any_updates(
    corpus: list[Document],
    updates: list[tuple[int, Document | None]],
    asked: list[tuple[list[str], int, set[Visibility], str | None]],
    excluded: set[int],
) -> None:
    pair = Pair()
    for i, document in enumerate(corpus):
        pair.put(f"kb-{i:02d}", document)
    for i, document in updates:  # None archives, a document replaces (or brings back) the article
        if document is None:
            pair.remove(f"kb-{i:02d}")
        else:
            pair.put(f"kb-{i:02d}", document)
    for query, k, visible, category in asked:
        pair.check(query, k, visible, category)
        pair.check(query, k, visible, category, {f"kb-{i:02d}" for i in excluded})


def test_compaction_keeps_the_ranking() -> None:
    pair = Pair()
    for i in range(1500):
        words = [WORDS[i % 5], WORDS[(i * 7) % len(WORDS)]]
        pair.put(
            f"kb-{i:04d}", (words[:1], [], words * (1 + i % 3), list(Visibility)[i % 2], CATEGORIES[i % 3])
        )
    for i in range(0, 1500, 2):
        pair.remove(f"kb-{i:04d}")
    for i in range(1, 1500, 4):  # replaced: a new slot each
        pair.put(f"kb-{i:04d}", (["echo"], [], ["alpha"] * (i % 5 + 1), Visibility.PUBLIC, "c1"))
    assert len(pair.index) == 750
    for query in (["alpha"], ["echo", "宽带"], ["bravo", "charlie", "delta"]):
        pair.check(query, 20, {Visibility.PUBLIC}, None)
        pair.check(query, 1000, {Visibility.AGENT, Visibility.PUBLIC}, "c1")


def test_history_tells_which_keys_changed_since_a_generation() -> None:
    index = SearchIndex(10)
    assert index.changed_since(10) == set()
    assert index.changed_since(9) is None  # before the index was loaded
    index.advance(12, [(11, "a"), (12, "b")])
    index.advance(13, [(13, "a")])
    assert index.generation == 13
    assert index.changed_since(11) == {"a", "b"}
    assert index.changed_since(12) == {"a"}
    index.advance(13 + HISTORY, [(13 + g, f"k{g}") for g in range(1, HISTORY + 1)])
    assert index.changed_since(12) is None  # forgotten
    assert index.changed_since(12 + HISTORY) == {f"k{HISTORY}"}


@pytest.mark.parametrize("k", [0, -1])
def test_nothing_is_asked_nothing_is_found(k: int) -> None:
    pair = Pair()
    pair.put("a", (["alpha"], [], [], Visibility.PUBLIC, None))
    assert pair.index.top(["alpha"], pair.reference.stats(["alpha"]), k) == []
    assert SearchIndex(0).top(["alpha"], pair.reference.stats(["alpha"]), 5) == []


def test_remembered_rows_are_forgotten_when_their_document_changes() -> None:
    index = SearchIndex(0)
    index.put("a", {"alpha": 1.0}, 1, Visibility.PUBLIC, None)
    index.remember_shown("a", ("a", 1, "Alpha"))
    index.remember_shown("missing", ("missing", 1, "?"))  # not indexed: not kept
    assert index.shown("a") == ("a", 1, "Alpha")
    assert index.shown("missing") is None
    index.put("a", {"alpha": 2.0}, 1, Visibility.PUBLIC, None)
    assert index.shown("a") is None
    index.remember_shown("a", ("a", 2, "Alpha 2"))
    index.remove("a")
    assert index.shown("a") is None
