"""The knowledge base in the database: categories, tags, articles with their versions, and the search.

`KnowledgeBase` carries out the core's lifecycle (`baiying.knowledge.model`) on the rows and keeps the
search documents in step: publishing writes the published version's search document, archiving removes
it, and both update the corpus statistics (`kb_terms`, `kb_search_stats`), bump its generation and log
the change (`kb_search_changes`). Like every repository it takes the caller's session and never commits.

The search ranks the tenant's published documents holding any query term by BM25
(`baiying.knowledge.ranking`), ties by article id, exactly as `ranking.InMemoryIndex` does (tests check
both databases against it), on SQLite and PostgreSQL alike: one statement reads the statistics row (N,
the total length, the generation) and the query terms' n(t); the ranking is a per-process in-memory index
kept current through the generation (`knowledge_search`); the top results' rows come from that index's
memory of what it showed, or from a second statement. Both statements go straight to the driver: the
ORM's and the compiler's overhead per statement cost more than the statements.

Why so, by measurement (benchmarks/bench_kb_search.py): ranking in the database scored every document
holding any query term (FTS5's bm25() on SQLite, BM25 computed over a jsonb column on PostgreSQL), a few
microseconds each; with this corpus's small vocabulary most queries match 5-20% of 100,000 articles, so
p95 was 150-650 ms. Numpy scores the same postings in about a millisecond. The cost moved to the first
search of a process, which loads the tenant's index (seconds per 100,000 documents). The databases'
full-text indexes (FTS5, tsvector + GIN) are still kept, for lookups in SQL.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from baiying.clock import Timestamp
from baiying.errors import UnknownEntity
from baiying.knowledge import model, ranking
from baiying.knowledge.documents import ArticleFile
from baiying.knowledge.errors import InvalidArticle, UnknownArticleVersion
from baiying.knowledge.model import Article, ArticleState, Channel, Content, Version, Visibility
from baiying.knowledge.text import segment
from baiying.storage.knowledge_tables import (
    KbArticleRow,
    KbArticleVersionRow,
    KbArticleVersionTagRow,
    KbCategoryRow,
    KbSearchDocRow,
    KbSearchStatsRow,
    KbTagRow,
    KbTermRow,
)
from baiying.storage.repositories.base import Conflict, InvalidRecord, Repository, savepoint
from baiying.storage.repositories.knowledge_search import (
    PROCESS_INDEXES,
    CorpusVersion,
    SearchIndexes,
    log_changes,
    shown_rows,
    top_documents,
)

STATS_ID: Final = 1
MAX_QUERY_TERMS: Final = 32


def _driver_sql(connection: Connection, sql: str, listed: Sequence[Any], *first: Any) -> Any:
    """Run SQL straight through the driver, `{one}` standing for each of `first` and `{many}` for the
    list `listed`: a search's statements are tiny, and compiling them (or expanding an IN list) would cost
    more than running them."""
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = sql.format(one=marker, many=", ".join([marker] * len(listed)))
    return connection.exec_driver_sql(statement, (*first, *listed))


# The statistics row first, then n(t) of each query term (NULL in the first column tells them apart).
_STATISTICS_SQL: Final = (
    "SELECT NULL, documents, terms, generation, corpus_id FROM kb_search_stats WHERE id = 1 "
    "UNION ALL SELECT term, documents, 0, 0, '' FROM kb_terms WHERE term IN ({many})"
)
_SHOWN_SQL: Final = (
    "SELECT article_id, version, title, body, category_id, visibility FROM kb_search_docs "
    "WHERE tenant_id = {one} AND article_id IN ({many})"
)


class CategoryRepository(Repository[KbCategoryRow]):
    model = KbCategoryRow
    entity = "knowledge category"

    def check(self, row: KbCategoryRow) -> None:
        seen = {row.id}
        parent = row.parent_id
        while parent is not None:
            if parent in seen:
                raise InvalidRecord(
                    f"knowledge category {row.id!r} cannot be inside itself (through {parent!r})",
                    {"field": "parent_id"},
                )
            seen.add(parent)
            found = self.find(parent)
            if found is None:
                raise InvalidRecord(
                    f"no knowledge category {parent!r} to put {row.id!r} in", {"field": "parent_id"}
                )
            parent = found.parent_id


class TagRepository(Repository[KbTagRow]):
    model = KbTagRow
    entity = "knowledge tag"


@dataclass(frozen=True, slots=True)
class SearchHit:
    article_id: str
    version: int
    title: str
    body: str
    category_id: str | None
    visibility: Visibility
    score: float  # BM25, higher is better


def _article(row: KbArticleRow) -> Article:
    return Article(
        row.id,
        ArticleState(row.state),
        row.latest_version,
        row.published_version,
        row.created_at,
        row.updated_at,
    )


class KnowledgeBase:
    """One tenant's articles."""

    def __init__(self, session: Session, tenant_id: str, indexes: SearchIndexes = PROCESS_INDEXES) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.indexes = indexes  # the process's search indexes (a test passes its own to act as another)

    # --- reading -------------------------------------------------------------------------------------

    def find(self, article_id: str) -> Article | None:
        row = self._row(article_id)
        return None if row is None else _article(row)

    def get(self, article_id: str) -> Article:
        return _article(self._get_row(article_id))

    def version(self, article_id: str, number: int) -> Version:
        article = self.get(article_id)
        row = self.session.get(KbArticleVersionRow, (self.tenant_id, article_id, number))
        if row is None:
            raise UnknownArticleVersion(
                f"article {article_id!r} has versions 1 to {article.latest_version}, not {number}",
                {"article": article_id, "version": number},
            )
        return self._versions([row])[0]

    def versions(self, article_id: str) -> list[Version]:
        """Every version, oldest first."""
        self._get_row(article_id)
        rows = self.session.scalars(
            select(KbArticleVersionRow)
            .where(
                KbArticleVersionRow.tenant_id == self.tenant_id, KbArticleVersionRow.article_id == article_id
            )
            .order_by(KbArticleVersionRow.version)
        )
        return self._versions(list(rows))

    def articles(
        self,
        *,
        state: ArticleState | None = None,
        category_id: str | None = None,
        tag_id: str | None = None,
        published: bool = False,
    ) -> list[tuple[Article, Version]]:
        """Articles with their newest version (with `published`: only published articles, with their
        published version), by id; filtered by state, and by that version's category or tag."""
        shown = KbArticleRow.published_version if published else KbArticleRow.latest_version
        query = (
            select(KbArticleRow, KbArticleVersionRow)
            .join(
                KbArticleVersionRow,
                (KbArticleVersionRow.tenant_id == KbArticleRow.tenant_id)
                & (KbArticleVersionRow.article_id == KbArticleRow.id)
                & (KbArticleVersionRow.version == shown),
            )
            .where(KbArticleRow.tenant_id == self.tenant_id)
            .order_by(KbArticleRow.id)
        )
        if published:
            query = query.where(KbArticleRow.state == ArticleState.PUBLISHED.value)
        if state is not None:
            query = query.where(KbArticleRow.state == state.value)
        if category_id is not None:
            query = query.where(KbArticleVersionRow.category_id == category_id)
        if tag_id is not None:
            query = query.where(
                select(KbArticleVersionTagRow.tag_id)
                .where(
                    KbArticleVersionTagRow.tenant_id == KbArticleVersionRow.tenant_id,
                    KbArticleVersionTagRow.article_id == KbArticleVersionRow.article_id,
                    KbArticleVersionTagRow.version == KbArticleVersionRow.version,
                    KbArticleVersionTagRow.tag_id == tag_id,
                )
                .exists()
            )
        pairs = list(self.session.execute(query))
        versions = self._versions([version for _, version in pairs])
        return [(_article(head), version) for (head, _), version in zip(pairs, versions, strict=True)]

    # --- writing -------------------------------------------------------------------------------------

    def create(
        self, article_id: str, content: Content, author: str, at: Timestamp
    ) -> tuple[Article, Version]:
        """A new draft; Conflict if the id is taken, InvalidArticle for an unknown category or tag."""
        if self._row(article_id) is not None:
            raise Conflict(
                f"knowledge article {article_id!r} already exists",
                {"entity": "knowledge article", "id": article_id},
            )
        self._check_references(content)
        article, version = model.new_article(article_id, content, author, at)
        with savepoint(self.session, f"knowledge article {article_id!r}"):
            self.session.add(
                KbArticleRow(
                    tenant_id=self.tenant_id,
                    id=article.id,
                    state=article.state.value,
                    latest_version=article.latest_version,
                    published_version=article.published_version,
                    created_at=at,
                    updated_at=at,
                )
            )
            self.session.flush()
            self._add_version(article_id, version)
        return article, version

    def edit(self, article_id: str, content: Content, author: str, at: Timestamp) -> tuple[Article, Version]:
        """A new version; the published one stays what searches find until the new one is published."""
        row = self._get_row(article_id)
        self._check_references(content)
        article, version = model.edit(_article(row), content, author, at)
        with savepoint(self.session, f"knowledge article {article_id!r}"):
            self._add_version(article_id, version)
            self._store(row, article)
        return article, version

    def publish(self, article_id: str, at: Timestamp, version: int | None = None) -> Article:
        """Publish `version` (the newest when None) and index it for search."""
        row = self._get_row(article_id)
        article = model.publish(_article(row), at, version)
        assert article.published_version is not None
        published = self.version(article_id, article.published_version)
        with savepoint(self.session, f"knowledge article {article_id!r}"):
            self._store(row, article)
            self._unindex(article_id)
            self._index(article_id, published)
        return article

    def archive(self, article_id: str, at: Timestamp) -> Article:
        """Hide the article from searches (its search document goes)."""
        row = self._get_row(article_id)
        article = model.archive(_article(row), at)
        with savepoint(self.session, f"knowledge article {article_id!r}"):
            self._store(row, article)
            self._unindex(article_id)
        return article

    # --- searching -----------------------------------------------------------------------------------

    def corpus_stats(self, terms: Iterable[str] = ()) -> ranking.CorpusStats:
        """N, the total length, and n(t) for the terms given (every tenant's documents, as FTS5 counts)."""
        return self._corpus(terms)[0]

    def _corpus(self, terms: Iterable[str]) -> tuple[ranking.CorpusStats, CorpusVersion | None]:
        self.session.flush()  # the session's own writes count
        wanted = sorted(set(terms))
        holding: dict[str, int] = {}
        found = None
        statement = _STATISTICS_SQL if wanted else _STATISTICS_SQL.partition(" UNION ALL")[0]
        for term, documents, length, generation, corpus_id in _driver_sql(
            self.session.connection(), statement, wanted
        ):
            if term is None:
                found = (int(documents), int(length), int(generation), str(corpus_id))
            else:
                holding[term] = int(documents)
        if found is None:
            return ranking.CorpusStats(0, 0, holding), None
        documents, length, generation, corpus_id = found
        return (
            ranking.CorpusStats(documents, length, holding),
            CorpusVersion(corpus_id, generation),
        )

    def search(
        self,
        terms: Sequence[str],
        channel: Channel,
        *,
        category_id: str | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[SearchHit]:
        """Published articles visible on `channel` holding any of `terms` (distinct, at most
        MAX_QUERY_TERMS), best BM25 score first, ties by article id."""
        distinct = list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]
        if not distinct or limit <= 0:
            return []
        stats, corpus = self._corpus(distinct)
        if corpus is None:
            return []
        ranked = top_documents(
            self.session,
            self.tenant_id,
            distinct,
            stats,
            corpus,
            offset + limit,
            visible=model.VISIBLE_IN[channel],
            category=category_id,
            indexes=self.indexes,
        )
        hits = ranked.hits[offset:]
        rows = shown_rows(ranked, [article for article, _ in hits], self._shown)
        return [
            SearchHit(row[0], row[1], row[2], row[3], row[4], Visibility(row[5]), score)
            for article, score in hits
            if (row := rows.get(article)) is not None
        ]

    def warm_up(self) -> None:
        """Load the tenant's shared search index now, so that the first search after a start does not
        pay for it (seconds at 100,000 articles)."""
        stats, corpus = self._corpus(())
        if corpus is not None:
            top_documents(
                self.session,
                self.tenant_id,
                (),
                stats,
                corpus,
                1,
                visible=model.VISIBLE_IN[Channel.AGENT],
                category=None,
                indexes=self.indexes,
            )

    def _shown(self, articles: list[str]) -> dict[str, tuple[Any, ...]]:
        """(article id, version, title, body, category id, visibility) of these articles' documents."""
        found = _driver_sql(self.session.connection(), _SHOWN_SQL, articles, self.tenant_id)
        return {row[0]: tuple(row) for row in found}

    # --- internals -----------------------------------------------------------------------------------

    def _row(self, article_id: str) -> KbArticleRow | None:
        return self.session.get(KbArticleRow, (self.tenant_id, article_id))

    def _get_row(self, article_id: str) -> KbArticleRow:
        row = self._row(article_id)
        if row is None:
            raise UnknownEntity(
                f"no knowledge article {article_id!r}", {"entity": "knowledge article", "id": article_id}
            )
        return row

    def _store(self, row: KbArticleRow, article: Article) -> None:
        row.state = article.state.value
        row.latest_version = article.latest_version
        row.published_version = article.published_version
        row.updated_at = article.updated_at

    def _check_references(self, content: Content) -> None:
        if (
            content.category_id is not None
            and CategoryRepository(self.session, self.tenant_id).find(content.category_id) is None
        ):
            raise InvalidArticle(
                f"no knowledge category {content.category_id!r}",
                {"field": "category_id", "category_id": content.category_id},
            )
        if content.tags:
            known = set(
                self.session.scalars(
                    select(KbTagRow.id).where(
                        KbTagRow.tenant_id == self.tenant_id, KbTagRow.id.in_(content.tags)
                    )
                )
            )
            missing = [tag for tag in content.tags if tag not in known]
            if missing:
                raise InvalidArticle(f"no knowledge tag {missing[0]!r}", {"field": "tags", "tag": missing[0]})

    def _add_version(self, article_id: str, version: Version) -> None:
        content = version.content
        self.session.add(
            KbArticleVersionRow(
                tenant_id=self.tenant_id,
                article_id=article_id,
                version=version.number,
                title=content.title,
                body=content.body,
                category_id=content.category_id,
                visibility=content.visibility.value,
                author=version.author,
                created_at=version.created_at,
            )
        )
        self.session.add_all(
            KbArticleVersionTagRow(
                tenant_id=self.tenant_id,
                article_id=article_id,
                version=version.number,
                tag_id=tag,
                position=i,
            )
            for i, tag in enumerate(content.tags)
        )
        self.session.flush()

    def _versions(self, rows: list[KbArticleVersionRow]) -> list[Version]:
        tags: dict[tuple[str, int], list[str]] = {}
        if rows:
            keys = {(row.article_id, row.version) for row in rows}
            found = self.session.scalars(
                select(KbArticleVersionTagRow)
                .where(
                    KbArticleVersionTagRow.tenant_id == self.tenant_id,
                    KbArticleVersionTagRow.article_id.in_({article for article, _ in keys}),
                )
                .order_by(KbArticleVersionTagRow.position)
            )
            for tag in found:
                if (tag.article_id, tag.version) in keys:
                    tags.setdefault((tag.article_id, tag.version), []).append(tag.tag_id)
        return [
            Version(
                row.version,
                Content(
                    row.title,
                    row.body,
                    row.category_id,
                    tuple(tags.get((row.article_id, row.version), ())),
                    Visibility(row.visibility),
                ),
                row.author,
                row.created_at,
            )
            for row in rows
        ]

    def _tag_labels(self, tags: Sequence[str]) -> list[str]:
        if not tags:
            return []
        labels = dict(
            self.session.execute(
                select(KbTagRow.id, KbTagRow.label).where(
                    KbTagRow.tenant_id == self.tenant_id, KbTagRow.id.in_(tags)
                )
            ).all()
        )
        return [labels.get(tag, tag) for tag in tags]

    def _index(self, article_id: str, version: Version) -> None:
        content = version.content
        document = search_document(content, self._tag_labels(content.tags))
        self.session.add(
            KbSearchDocRow(
                tenant_id=self.tenant_id, article_id=article_id, version=version.number, **document
            )
        )
        self.session.flush()
        add_to_statistics(self.session, [document], [(self.tenant_id, article_id)])

    def _unindex(self, article_id: str) -> None:
        row = self.session.scalars(
            select(KbSearchDocRow).where(
                KbSearchDocRow.tenant_id == self.tenant_id, KbSearchDocRow.article_id == article_id
            )
        ).one_or_none()
        if row is None:
            return
        terms = sorted(row.frequencies)
        self.session.execute(
            update(KbTermRow).where(KbTermRow.term.in_(terms)).values(documents=KbTermRow.documents - 1)
        )
        self.session.execute(delete(KbTermRow).where(KbTermRow.term.in_(terms), KbTermRow.documents <= 0))
        generation = self.session.execute(
            update(KbSearchStatsRow)
            .where(KbSearchStatsRow.id == STATS_ID)
            .values(
                documents=KbSearchStatsRow.documents - 1,
                terms=KbSearchStatsRow.terms - row.length,
                generation=KbSearchStatsRow.generation + 1,
            )
            .returning(KbSearchStatsRow.generation)
        ).scalar_one()
        log_changes(self.session, generation, [(self.tenant_id, article_id)])
        self.session.delete(row)
        self.session.flush()


def search_document(content: Content, tag_labels: Sequence[str]) -> dict[str, Any]:
    """The columns of a search document for a version's content (all but the ids and version)."""
    segmented = segment(content.title, list(tag_labels), content.body)
    title, tags, body = segmented.title.split(), segmented.tags.split(), segmented.body.split()
    return {
        "category_id": content.category_id,
        "visibility": content.visibility.value,
        "title": content.title,
        "body": content.body,
        "title_terms": segmented.title,
        "tags_terms": segmented.tags,
        "body_terms": segmented.body,
        "length": len(title) + len(tags) + len(body),
        "frequencies": ranking.weighted_frequencies(title, tags, body),
    }


def add_to_statistics(
    session: Session, documents: Sequence[Mapping[str, Any]], changed: Sequence[tuple[str, str]]
) -> None:
    """Count new search documents, of the (tenant, article) pairs `changed`, into `kb_terms` and
    `kb_search_stats` (in term order, so concurrent writers lock the rows in the same order), bump the
    corpus's generation and log the change."""
    if not documents:
        return
    counts: dict[str, int] = {}
    for document in documents:
        for term in document["frequencies"]:
            counts[term] = counts.get(term, 0) + 1
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    terms = sorted(counts)
    for start in range(0, len(terms), 1000):
        chunk = [{"term": term, "documents": counts[term]} for term in terms[start : start + 1000]]
        statement = insert(KbTermRow).values(chunk)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["term"],
                set_={"documents": KbTermRow.documents + statement.excluded.documents},
            )
        )
    stats = insert(KbSearchStatsRow).values(
        id=STATS_ID,
        documents=len(documents),
        terms=sum(int(d["length"]) for d in documents),
        generation=1,
        corpus_id=uuid.uuid4().hex,
    )
    generation = session.execute(
        stats.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "documents": KbSearchStatsRow.documents + stats.excluded.documents,
                "terms": KbSearchStatsRow.terms + stats.excluded.terms,
                "generation": KbSearchStatsRow.generation + 1,
            },
        ).returning(KbSearchStatsRow.generation)
    ).scalar_one()
    log_changes(session, generation, changed)


def store_articles(
    session: Session, tenant_id: str, articles: Sequence[ArticleFile], actor: str, at: Timestamp
) -> dict[str, int]:
    """Create or update the articles (categories and tags included) and publish those marked published;
    counts of what was done. An article whose content did not change is left alone."""
    categories, tags = CategoryRepository(session, tenant_id), TagRepository(session, tenant_id)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "published": 0, "categories": 0, "tags": 0}
    for category in sorted({a.content.category_id for a in articles if a.content.category_id is not None}):
        if categories.find(category) is None:
            categories.add(KbCategoryRow(id=category, name=category))
            counts["categories"] += 1
    for tag in sorted({tag for a in articles for tag in a.content.tags}):
        if tags.find(tag) is None:
            tags.add(KbTagRow(id=tag, label=tag))
            counts["tags"] += 1
    kb = KnowledgeBase(session, tenant_id)
    for article_file in articles:
        existing = kb.find(article_file.id)
        if existing is None:
            article, _ = kb.create(article_file.id, article_file.content, actor, at)
            counts["created"] += 1
        elif kb.version(article_file.id, existing.latest_version).content == article_file.content:
            article = existing
            counts["unchanged"] += 1
        else:
            article, _ = kb.edit(article_file.id, article_file.content, actor, at)
            counts["updated"] += 1
        live = article.state is ArticleState.PUBLISHED and article.published_version == article.latest_version
        if article_file.published and not live:
            kb.publish(article_file.id, at)
            counts["published"] += 1
    return counts


def warm_up_search(session: Session, indexes: SearchIndexes = PROCESS_INDEXES) -> list[str]:
    """Load the search index of every tenant that has published articles; the tenants, in order."""
    tenants = sorted(session.scalars(select(KbSearchDocRow.tenant_id).distinct()))
    for tenant in tenants:
        KnowledgeBase(session, tenant, indexes).warm_up()
        session.rollback()  # end the read snapshot before the next tenant's
    return tenants
