"""The knowledge base in the database: versions, publishing into the search index, archiving out of it,
and searches ranked the same (BM25, as the core computes it) on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from baiying.errors import InvalidTransition, UnknownEntity
from baiying.knowledge.errors import InvalidArticle, UnknownArticleVersion
from baiying.knowledge.model import ArticleState, Channel, Content, Visibility
from baiying.knowledge.ranking import InMemoryIndex
from baiying.knowledge.text import query_terms
from baiying.storage.knowledge_tables import KbCategoryRow, KbTagRow, KbTermRow
from baiying.storage.repositories import Conflict, InvalidRecord, Tenants
from baiying.storage.repositories.knowledge import (
    CategoryRepository,
    KnowledgeBase,
    TagRepository,
    search_document,
)
from tests.knowledge.conftest import CATEGORIES, CORPUS, T0, TAGS, content


def _setup_tenant(session: Session, tenant: str) -> KnowledgeBase:
    Tenants(session).add(tenant, tenant.title(), at=T0)
    for category, name in CATEGORIES:
        CategoryRepository(session, tenant).add(KbCategoryRow(id=category, name=name))
    for tag, label in TAGS:
        TagRepository(session, tenant).add(KbTagRow(id=tag, label=label))
    return KnowledgeBase(session, tenant)


@pytest.fixture
def kb(session: Session) -> KnowledgeBase:
    base = _setup_tenant(session, "acme")
    for i, (article_id, *_rest) in enumerate(CORPUS):
        base.create(article_id, content(i), "wang", T0)
        base.publish(article_id, T0 + 1)
    session.commit()
    return base


def ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [hit.article_id for hit in hits]


def test_chinese_query_finds_the_broadband_article_first(kb: KnowledgeBase) -> None:
    hits = kb.search(query_terms("宽带 故障"), Channel.PUBLIC)
    assert hits[0].article_id == "broadband-down"
    assert "outage-escalation" not in ids(hits)  # agent-only
    assert set(ids(hits)) == {"broadband-down", "fibre-install", "router-reset"}  # 宽带 is router-reset's tag
    assert hits[0].title == "宽带无法上网怎么办"
    assert hits[0].score > hits[1].score > 0


def test_the_agent_channel_also_sees_agent_only_articles(kb: KnowledgeBase) -> None:
    hits = kb.search(query_terms("宽带 故障"), Channel.AGENT)
    assert "outage-escalation" in ids(hits)
    assert kb.search(query_terms("refund"), Channel.PUBLIC) == []
    assert ids(kb.search(query_terms("refunds"), Channel.AGENT)) == ["refund-policy"]


def test_english_queries_match_across_case_and_plurals(kb: KnowledgeBase) -> None:
    assert ids(kb.search(query_terms("Routers RESET"), Channel.PUBLIC)) == ["router-reset"]


def test_category_filter_limit_and_offset(kb: KnowledgeBase) -> None:
    everything = ids(kb.search(query_terms("宽带 套餐"), Channel.PUBLIC))
    assert "plan-change" in everything
    assert ids(kb.search(query_terms("宽带 套餐"), Channel.PUBLIC, category_id="mobile")) == ["plan-change"]
    assert ids(kb.search(query_terms("宽带 套餐"), Channel.PUBLIC, limit=2)) == everything[:2]
    assert ids(kb.search(query_terms("宽带 套餐"), Channel.PUBLIC, limit=2, offset=2)) == everything[2:4]


def test_editing_keeps_the_published_version_searchable_until_published(
    kb: KnowledgeBase, session: Session
) -> None:
    article, version = kb.edit(
        "plan-change",
        Content("手机套餐与流量包变更", "流量包立即生效。", "mobile", (), Visibility.PUBLIC),
        "zhou",
        T0 + 10,
    )
    assert (version.number, article.published_version, article.state) == (2, 1, ArticleState.PUBLISHED)
    assert kb.search(query_terms("流量包"), Channel.PUBLIC) == []
    kb.publish("plan-change", T0 + 11)
    hits = kb.search(query_terms("流量包"), Channel.PUBLIC)
    assert ids(hits) == ["plan-change"]
    assert hits[0].version == 2
    kb.publish("plan-change", T0 + 12, version=1)  # roll back
    assert kb.search(query_terms("流量包"), Channel.PUBLIC) == []
    assert [v.number for v in kb.versions("plan-change")] == [1, 2]
    assert kb.version("plan-change", 2).author == "zhou"
    session.commit()


def test_archiving_removes_the_article_from_search_and_from_the_statistics(
    kb: KnowledgeBase, session: Session
) -> None:
    before = kb.corpus_stats(["光猫"])
    kb.archive("broadband-down", T0 + 5)
    assert "broadband-down" not in ids(kb.search(query_terms("宽带 光猫"), Channel.AGENT))
    after = kb.corpus_stats(["光猫"])
    assert after.documents == before.documents - 1
    assert after.holding == {}  # only the archived article held it: the term's row is gone
    with pytest.raises(InvalidTransition, match="archived: publish it again before editing"):
        kb.edit("broadband-down", content(0), "wang", T0 + 6)
    kb.publish("broadband-down", T0 + 7)
    assert kb.corpus_stats(["光猫"]) == before
    session.commit()


def test_versions_keep_their_tags_in_order_and_articles_list_by_filter(kb: KnowledgeBase) -> None:
    kb.create("draft-one", Content("Draft", "text", "mobile", ("escalation", "broadband")), "wang", T0)
    assert kb.version("draft-one", 1).content.tags == ("escalation", "broadband")
    drafts = kb.articles(state=ArticleState.DRAFT)
    assert [(a.id, v.number) for a, v in drafts] == [("draft-one", 1)]
    assert [a.id for a, _ in kb.articles(tag_id="escalation")] == [
        "draft-one",
        "outage-escalation",
        "refund-policy",
    ]
    assert [a.id for a, _ in kb.articles(category_id="mobile")] == ["draft-one", "plan-change"]


def test_bad_references_and_unknown_records_are_named(kb: KnowledgeBase, session: Session) -> None:
    with pytest.raises(InvalidArticle, match="no knowledge category 'nope'"):
        kb.create("x", Content("X", "", "nope"), "wang", T0)
    with pytest.raises(InvalidArticle, match="no knowledge tag 'nope'"):
        kb.create("x", Content("X", "", None, ("broadband", "nope")), "wang", T0)
    with pytest.raises(Conflict, match="knowledge article 'plan-change' already exists"):
        kb.create("plan-change", content(3), "wang", T0)
    with pytest.raises(UnknownEntity, match="no knowledge article 'missing'"):
        kb.publish("missing", T0)
    with pytest.raises(UnknownArticleVersion, match="has versions 1 to 1, not 9"):
        kb.version("plan-change", 9)
    with pytest.raises(Conflict, match="knowledge tag 'broadband' is still in use"):
        TagRepository(session, "acme").delete("broadband")
    categories = CategoryRepository(session, "acme")
    categories.add(KbCategoryRow(id="fibre", name="Fibre", parent_id="broadband"))
    with pytest.raises(InvalidRecord, match="cannot be inside itself"):
        categories.update("broadband", parent_id="fibre")


def test_tenants_do_not_see_each_others_articles(kb: KnowledgeBase, session: Session) -> None:
    other = _setup_tenant(session, "globex")
    other.create("globex-broadband", Content("宽带测速", "宽带速度测试方法。"), "smith", T0)
    other.publish("globex-broadband", T0)
    assert "globex-broadband" not in ids(kb.search(query_terms("宽带"), Channel.AGENT))
    assert ids(other.search(query_terms("宽带"), Channel.AGENT)) == ["globex-broadband"]


def test_both_databases_rank_as_the_core_computes_bm25(kb: KnowledgeBase, session: Session) -> None:
    other = _setup_tenant(session, "globex")  # statistics span tenants, as FTS5's do
    other.create("g", Content("宽带 宽带 宽带", "故障"), "smith", T0)
    other.publish("g", T0)
    reference = InMemoryIndex()
    for tenant, article_id in [("acme", a[0]) for a in CORPUS] + [("globex", "g")]:
        base = KnowledgeBase(session, tenant)
        version = base.version(article_id, 1)
        labels = [label for tag, label in TAGS if tag in version.content.tags]
        document = search_document(version.content, labels)
        reference.add(
            f"{tenant}/{article_id}",
            document["title_terms"].split(),
            document["tags_terms"].split(),
            document["body_terms"].split(),
        )
    for query in ["宽带 故障", "reset router", "升级 故障 宽带", "光猫"]:
        terms = query_terms(query)
        expected = [(key, s) for key, s in reference.search(terms, limit=20) if key.startswith("acme/")]
        hits = kb.search(terms, Channel.AGENT, limit=20)
        assert [f"acme/{hit.article_id}" for hit in hits] == [key for key, _ in expected], query
        assert [hit.score for hit in hits] == pytest.approx([s for _, s in expected], rel=1e-9), query
    stats = kb.corpus_stats(["宽带", "故障"])
    assert stats == reference.stats(["宽带", "故障"])


def test_the_full_text_index_is_the_databases_own(session: Session) -> None:
    bind = session.get_bind()
    inspector = inspect(bind)
    if bind.dialect.name == "sqlite":
        assert "kb_search_fts" in inspector.get_table_names()
        tokenizer = session.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'kb_search_fts'")
        ).scalar_one()
        assert "tokenize='ascii'" in tokenizer
    else:
        columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("kb_search_docs")}
        assert columns["search_vector"] == "TSVECTOR"
        indexes = {i["name"] for i in inspector.get_indexes("kb_search_docs")}
        assert "ix_kb_search_docs_search_vector" in indexes


def test_terms_table_counts_documents_per_term(kb: KnowledgeBase, session: Session) -> None:
    counts = dict(session.execute(select(KbTermRow.term, KbTermRow.documents)).all())
    assert counts["宽带"] == 3  # two articles say it, router-reset has the tag 宽带
    assert counts["router"] == 1
