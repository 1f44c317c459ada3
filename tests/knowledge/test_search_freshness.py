"""The database search ranks exactly as the exhaustive reference (`ranking.InMemoryIndex`) on SQLite and
PostgreSQL, and stays exact while articles are published, edited and archived: in the writing session
before it commits, in another "process" (its own session and its own in-memory indexes) after, and never
showing what a rolled-back transaction wrote."""

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from baiying.knowledge.model import VISIBLE_IN, ArticleState, Channel, Content, Visibility
from baiying.knowledge.ranking import InMemoryIndex
from baiying.storage.engine import make_engine
from baiying.storage.knowledge_tables import (
    KbArticleRow,
    KbCategoryRow,
    KbSearchChangeRow,
    KbSearchDocRow,
    KbSearchStatsRow,
    KbTermRow,
)
from baiying.storage.repositories import Tenants, knowledge_search
from baiying.storage.repositories.knowledge import KnowledgeBase, search_document, warm_up_search
from baiying.storage.repositories.knowledge_search import CorpusVersion, SearchIndexes, top_documents
from baiying.storage.tables import TenantRow
from tests.knowledge.conftest import T0

TENANT = "acme"
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "宽带", "光猫"]
CATEGORIES = [None, "c1", "c2"]

contents = st.builds(
    lambda title, body, visibility, category: Content(
        " ".join(title), " ".join(body), category, (), visibility
    ),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    st.lists(st.sampled_from(WORDS), max_size=8),
    st.sampled_from(list(Visibility)),
    st.sampled_from(CATEGORIES),
)
searches = st.tuples(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True),
    st.sampled_from(list(Channel)),
    st.sampled_from(CATEGORIES),
    st.integers(1, 6),
    st.integers(0, 3),
)
Search = tuple[list[str], Channel, str | None, int, int]


@dataclass
class Reference:
    """What is published, as the test knows it, and the exhaustive ranking of it."""

    shown: dict[str, Content] = field(default_factory=dict)

    def publish(self, article_id: str, content: Content) -> None:
        self.shown[article_id] = content

    def archive(self, article_id: str) -> None:
        self.shown.pop(article_id, None)

    def search(self, search: Search) -> list[tuple[str, float]]:
        query, channel, category, limit, offset = search
        index = InMemoryIndex()
        for article_id, content in self.shown.items():
            document = search_document(content, [])
            index.add(
                article_id,
                document["title_terms"].split(),
                document["tags_terms"].split(),
                document["body_terms"].split(),
            )
        ranked = [
            (key, score)
            for key, score in index.search(query, limit=10**9)
            if self.shown[key].visibility in VISIBLE_IN[channel]
            and (category is None or self.shown[key].category_id == category)
        ]
        return ranked[offset : offset + limit]


def check(kb: KnowledgeBase, reference: Reference, search: Search) -> None:
    query, channel, category, limit, offset = search
    hits = kb.search(query, channel, category_id=category, limit=limit, offset=offset)
    expected = reference.search(search)
    assert [(h.article_id, h.score) for h in hits] == expected, search
    for hit in hits:
        assert (hit.title, hit.category_id, hit.visibility) == (
            reference.shown[hit.article_id].title,
            reference.shown[hit.article_id].category_id,
            reference.shown[hit.article_id].visibility,
        )


def _empty(session: Session) -> None:
    for table in (KbSearchChangeRow, KbSearchDocRow, KbTermRow, KbSearchStatsRow, KbArticleRow):
        session.execute(delete(table))
    if session.get(TenantRow, TENANT) is None:
        Tenants(session).add(TENANT, "Acme", at=T0)
        session.flush()
        for category in CATEGORIES[1:]:
            session.add(KbCategoryRow(tenant_id=TENANT, id=category, name=category))
    session.commit()


@pytest.fixture
def other_session(db_url: str) -> Iterator[Session]:
    """A second connection, as another server process would have."""
    engine = make_engine(db_url)
    with Session(engine) as opened:
        yield opened
    engine.dispose()


def _publish(kb: KnowledgeBase, reference: Reference, article_id: str, content: Content, at: float) -> None:
    article = kb.find(article_id)
    if article is None:
        kb.create(article_id, content, "wang", at)
    else:
        if article.state is ArticleState.ARCHIVED:
            kb.publish(article_id, at)
        kb.edit(article_id, content, "wang", at)
    kb.publish(article_id, at)
    reference.publish(article_id, content)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corpus=st.lists(contents, min_size=1, max_size=12),
    rounds=st.lists(
        st.tuples(
            st.lists(st.tuples(st.integers(0, 14), st.one_of(st.none(), contents)), min_size=1, max_size=4),
            st.lists(searches, min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_search_equals_the_exhaustive_ranking_while_articles_change(
    session: Session,
    other_session: Session,
    corpus: list[Content],
    rounds: list[tuple[list[tuple[int, Content | None]], list[Search]]],
) -> None:
    _empty(session)
    writer = KnowledgeBase(session, TENANT, SearchIndexes())
    reader = KnowledgeBase(other_session, TENANT, SearchIndexes())  # another process
    reference = Reference()
    for i, content in enumerate(corpus):
        _publish(writer, reference, f"kb-{i:02d}", content, T0)
    session.commit()
    for search in rounds[0][1]:
        check(writer, reference, search)
        check(reader, reference, search)
    other_session.rollback()
    for at, (changes, asked) in enumerate(rounds, start=1):
        for i, content in changes:
            article_id = f"kb-{i:02d}"
            if content is not None:
                _publish(writer, reference, article_id, content, T0 + at)
            elif article_id in reference.shown:
                writer.archive(article_id, T0 + at)
                reference.archive(article_id)
        for search in asked:
            check(writer, reference, search)  # before the commit: the session's own changes
        session.commit()
        for search in asked:
            check(reader, reference, search)
            check(writer, reference, search)
        other_session.rollback()


def test_a_rolled_back_publish_never_reaches_the_shared_index(
    session: Session, other_session: Session
) -> None:
    _empty(session)
    shared = SearchIndexes()  # one process: two sessions, one set of indexes
    first, second = KnowledgeBase(session, TENANT, shared), KnowledgeBase(other_session, TENANT, shared)
    reference = Reference()
    _publish(first, reference, "kept", Content("alpha bravo", "charlie", "c1", (), Visibility.PUBLIC), T0)
    session.commit()
    everything: Search = (["alpha", "delta"], Channel.AGENT, None, 10, 0)
    check(second, reference, everything)  # loads the shared index
    other_session.rollback()
    _publish(first, Reference(), "dropped", Content("delta", "alpha", None, (), Visibility.AGENT), T0 + 1)
    first.archive("kept", T0 + 1)
    assert [h.article_id for h in first.search(["alpha", "delta"], Channel.AGENT)] == ["dropped"]
    session.rollback()
    check(second, reference, everything)
    check(first, reference, everything)
    other_session.rollback()
    _publish(first, reference, "later", Content("delta delta", "", None, (), Visibility.PUBLIC), T0 + 2)
    session.commit()
    check(second, reference, everything)


def test_a_session_behind_the_index_ranks_what_it_sees(session: Session) -> None:
    """An index refreshed past a reader's generation (another thread was quicker): the articles changed
    since are scored from the reader's rows, so the ranking is the one the reader's view gives."""
    _empty(session)
    indexes = SearchIndexes()
    kb = KnowledgeBase(session, TENANT, indexes)
    reference = Reference()
    for i, word in enumerate(["alpha", "alpha bravo", "bravo", "charlie alpha"]):
        _publish(kb, reference, f"kb-{i}", Content(word, word, None, (), Visibility.PUBLIC), T0)
    session.commit()
    search: Search = (["alpha", "bravo"], Channel.PUBLIC, None, 10, 0)
    check(kb, reference, search)
    _, corpus = kb._corpus(search[0])
    assert corpus is not None
    _publish(kb, reference, "kb-1", Content("echo", "echo", None, (), Visibility.PUBLIC), T0 + 1)
    session.commit()
    check(kb, reference, search)  # the index is now ahead of `corpus`
    behind = top_documents(
        session, TENANT, search[0], kb.corpus_stats(search[0]), corpus, 10,
        visible=VISIBLE_IN[Channel.PUBLIC], category=None, indexes=indexes,
    )  # fmt: skip
    assert behind.hits == reference.search(search)  # kb-1's current row, scored directly
    forgotten = CorpusVersion(corpus.corpus_id, -1)  # further back than the index remembers
    assert top_documents(
        session, TENANT, search[0], kb.corpus_stats(search[0]), forgotten, 10,
        visible=VISIBLE_IN[Channel.PUBLIC], category=None, indexes=indexes,
    ).hits == behind.hits  # fmt: skip


def test_generations_count_every_change_and_the_log_names_them(session: Session) -> None:
    _empty(session)
    kb = KnowledgeBase(session, TENANT, SearchIndexes())
    _publish(kb, Reference(), "a", Content("alpha", "", None, (), Visibility.PUBLIC), T0)
    kb.archive("a", T0 + 1)
    session.commit()
    stats = session.get(KbSearchStatsRow, 1)
    assert stats is not None
    assert len(stats.corpus_id) == 32
    changes = session.execute(select(KbSearchChangeRow.generation, KbSearchChangeRow.article_id))
    assert sorted(tuple(row) for row in changes) == [(1, "a"), (2, "a")]  # written, then removed
    assert stats.generation == 2


def test_a_warmed_up_process_searches_without_loading_its_index(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server loads every tenant's index as it starts, so the first agent's search does not wait
    for it."""
    _empty(session)
    indexes = SearchIndexes()
    reference = Reference()
    _publish(
        KnowledgeBase(session, TENANT, indexes),
        reference,
        "a",
        Content("alpha", "bravo", None, (), Visibility.PUBLIC),
        T0,
    )
    session.commit()
    assert warm_up_search(session, indexes) == [TENANT]

    def no_loading(*_: object) -> None:
        raise AssertionError("the index was loaded again")

    monkeypatch.setattr(knowledge_search, "_load", no_loading)
    check(KnowledgeBase(session, TENANT, indexes), reference, (["alpha"], Channel.AGENT, None, 10, 0))


def test_the_change_log_is_pruned_and_an_index_beyond_it_is_loaded_anew(
    session: Session, other_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log keeps the last RETAINED_GENERATIONS generations; a process whose index is further behind
    than the log reaches reloads it, and still ranks exactly what its session sees."""
    monkeypatch.setattr(knowledge_search, "RETAINED_GENERATIONS", 3)
    monkeypatch.setattr(knowledge_search, "PRUNE_EVERY", 2)
    _empty(session)
    writer = KnowledgeBase(session, TENANT, SearchIndexes())
    reader = KnowledgeBase(other_session, TENANT, SearchIndexes())  # another process
    reference = Reference()
    everything: Search = (["alpha", "bravo"], Channel.AGENT, None, 10, 0)
    _publish(writer, reference, "a", Content("alpha", "", None, (), Visibility.PUBLIC), T0)
    session.commit()
    check(reader, reference, everything)  # the reader's index is at generation 1
    other_session.rollback()
    for i, word in enumerate(["bravo", "alpha bravo", "bravo bravo", "alpha alpha", "bravo"], start=1):
        _publish(writer, reference, f"kb-{i}", Content(word, word, None, (), Visibility.PUBLIC), T0 + i)
        session.commit()
    logged = sorted(session.scalars(select(KbSearchChangeRow.generation)))
    assert logged == [4, 5, 6]  # pruned at generation 6 through 6 - 3 (and at 4 through 1)
    loads: list[int] = []
    real_load = knowledge_search._load

    def counted(*args: object) -> object:
        loads.append(1)
        return real_load(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(knowledge_search, "_load", counted)
    check(reader, reference, everything)  # 6 - 1 > 3: the log no longer reaches back to it
    assert loads == [1]
    other_session.rollback()
    _publish(writer, reference, "a", Content("bravo alpha", "", None, (), Visibility.PUBLIC), T0 + 9)
    session.commit()
    check(reader, reference, everything)  # one generation behind: brought forward from the log
    assert loads == [1]
