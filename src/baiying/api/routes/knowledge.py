"""The knowledge base: categories, tags and articles (admins and supervisors edit them; every role reads
published articles), the search (`GET /api/kb/search`) and article suggestions for a ticket's or chat's
text (`POST /api/kb/suggest`).

An edit makes a new version; searches find the published version, until another is published. The
`public` channel (self-service) sees only public articles, the `agent` channel agent-only ones as well.
Every change is written to the audit log.
"""

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Response, status

from baiying.accounts.errors import Forbidden
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import ClockDep, CurrentUser, SessionDep
from baiying.api.schemas import KeyPath
from baiying.api.schemas.knowledge import (
    MAX_QUERY_CHARS,
    MAX_RESULTS,
    ArticleCreate,
    ArticleEdit,
    ArticlePublic,
    CategoryCreate,
    CategoryPublic,
    CategoryUpdate,
    PublishRequest,
    SearchResult,
    SearchResults,
    SuggestRequest,
    TagCreate,
    TagPublic,
    TagUpdate,
    VersionPublic,
)
from baiying.errors import UnknownEntity
from baiying.knowledge.errors import EmptySearchQuery
from baiying.knowledge.highlight import marked_snippet, render_marked, spans
from baiying.knowledge.model import Article, ArticleState, Channel, Version
from baiying.knowledge.ranking import distinctive_terms
from baiying.knowledge.text import query_terms, terms
from baiying.storage.knowledge_tables import KbCategoryRow, KbTagRow
from baiying.storage.repositories import snapshot
from baiying.storage.repositories.knowledge import CategoryRepository, KnowledgeBase, SearchHit, TagRepository
from baiying.storage.tables import Role

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

EDITOR_ROLES: Final = frozenset({Role.ADMIN, Role.SUPERVISOR})
SUGGEST_TERMS: Final = 12  # the most distinctive terms of a text that a suggestion searches for


def _editor(principal: CurrentUser) -> Principal:
    if not principal.roles & EDITOR_ROLES:
        raise Forbidden(
            f"user {principal.login!r} may not change the knowledge base (admins and supervisors do)",
            {"action": "update", "kind": "knowledge-base", "id": None},
        )
    return principal


def _reader(principal: CurrentUser) -> Principal:
    if not principal.grants:
        raise Forbidden(
            f"user {principal.login!r} has no role, so may not read the knowledge base",
            {"action": "read", "kind": "knowledge-base", "id": None},
        )
    return principal


Editor = Annotated[Principal, Depends(_editor)]
Reader = Annotated[Principal, Depends(_reader)]


def _is_editor(principal: Principal) -> bool:
    return bool(principal.roles & EDITOR_ROLES)


# --- categories --------------------------------------------------------------------------------------


@router.get("/categories")
def list_categories(session: SessionDep, principal: Reader) -> list[CategoryPublic]:
    return [CategoryPublic.of(row) for row in CategoryRepository(session, principal.tenant_id).list()]


@router.post("/categories", status_code=status.HTTP_201_CREATED)
def create_category(
    body: CategoryCreate, session: SessionDep, clock: ClockDep, principal: Editor
) -> CategoryPublic:
    row = CategoryRepository(session, principal.tenant_id).add(KbCategoryRow(**body.model_dump()))
    audited.record(session, principal, clock, "create", "knowledge-category", row.id, after=snapshot(row))
    session.commit()
    return CategoryPublic.of(row)


@router.get("/categories/{category_id}")
def get_category(category_id: KeyPath, session: SessionDep, principal: Reader) -> CategoryPublic:
    return CategoryPublic.of(CategoryRepository(session, principal.tenant_id).get(category_id))


@router.patch("/categories/{category_id}")
def update_category(
    category_id: KeyPath, body: CategoryUpdate, session: SessionDep, clock: ClockDep, principal: Editor
) -> CategoryPublic:
    categories = CategoryRepository(session, principal.tenant_id)
    before = snapshot(categories.get(category_id))
    row = categories.update(category_id, **body.changes())
    audited.record(
        session,
        principal,
        clock,
        "update",
        "knowledge-category",
        category_id,
        before=before,
        after=snapshot(row),
    )
    session.commit()
    return CategoryPublic.of(row)


@router.delete("/categories/{category_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_category(
    category_id: KeyPath, session: SessionDep, clock: ClockDep, principal: Editor
) -> Response:
    categories = CategoryRepository(session, principal.tenant_id)
    before = snapshot(categories.get(category_id))
    categories.delete(category_id)
    audited.record(session, principal, clock, "delete", "knowledge-category", category_id, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- tags --------------------------------------------------------------------------------------------


@router.get("/tags")
def list_tags(session: SessionDep, principal: Reader) -> list[TagPublic]:
    return [TagPublic.of(row) for row in TagRepository(session, principal.tenant_id).list()]


@router.post("/tags", status_code=status.HTTP_201_CREATED)
def create_tag(body: TagCreate, session: SessionDep, clock: ClockDep, principal: Editor) -> TagPublic:
    row = TagRepository(session, principal.tenant_id).add(KbTagRow(**body.model_dump()))
    audited.record(session, principal, clock, "create", "knowledge-tag", row.id, after=snapshot(row))
    session.commit()
    return TagPublic.of(row)


@router.patch("/tags/{tag_id}")
def update_tag(
    tag_id: KeyPath, body: TagUpdate, session: SessionDep, clock: ClockDep, principal: Editor
) -> TagPublic:
    tags = TagRepository(session, principal.tenant_id)
    before = snapshot(tags.get(tag_id))
    row = tags.update(tag_id, label=body.label)
    audited.record(
        session, principal, clock, "update", "knowledge-tag", tag_id, before=before, after=snapshot(row)
    )
    session.commit()
    return TagPublic.of(row)


@router.delete("/tags/{tag_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tag(tag_id: KeyPath, session: SessionDep, clock: ClockDep, principal: Editor) -> Response:
    tags = TagRepository(session, principal.tenant_id)
    before = snapshot(tags.get(tag_id))
    tags.delete(tag_id)
    audited.record(session, principal, clock, "delete", "knowledge-tag", tag_id, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- articles ----------------------------------------------------------------------------------------


def _audit_article(
    session: SessionDep, principal: Principal, clock: ClockDep, action: str, article: Article, version: int
) -> None:
    after = {
        "state": article.state.value,
        "latest_version": article.latest_version,
        "published_version": article.published_version,
        "version": version,
    }
    audited.record(session, principal, clock, action, "knowledge-article", article.id, after=after)


@router.get("/articles")
def list_articles(
    session: SessionDep,
    principal: Reader,
    state: ArticleState | None = None,
    category: str | None = None,
    tag: str | None = None,
) -> list[ArticlePublic]:
    """Articles by id with their newest version; for agents, published articles with the published one."""
    editor = _is_editor(principal)
    if not editor and state not in (None, ArticleState.PUBLISHED):
        raise Forbidden(
            f"user {principal.login!r} reads only published articles",
            {"action": "read", "kind": "knowledge-article", "id": None},
        )
    found = KnowledgeBase(session, principal.tenant_id).articles(
        state=state, category_id=category, tag_id=tag, published=not editor
    )
    return [ArticlePublic.of(article, version) for article, version in found]


@router.post("/articles", status_code=status.HTTP_201_CREATED)
def create_article(
    body: ArticleCreate, session: SessionDep, clock: ClockDep, principal: Editor
) -> ArticlePublic:
    """A new draft (version 1); it is searchable once published."""
    article, version = KnowledgeBase(session, principal.tenant_id).create(
        body.id, body.content(), principal.user_id, clock.now()
    )
    _audit_article(session, principal, clock, "create", article, version.number)
    session.commit()
    return ArticlePublic.of(article, version)


def _shown(kb: KnowledgeBase, article_id: str, principal: Principal) -> tuple[Article, Version]:
    article = kb.get(article_id)
    if _is_editor(principal):
        return article, kb.version(article_id, article.latest_version)
    if article.state is not ArticleState.PUBLISHED or article.published_version is None:
        # Readers do not learn that a draft or an archived article exists.
        raise UnknownEntity(
            f"no knowledge article {article_id!r}", {"entity": "knowledge article", "id": article_id}
        )
    return article, kb.version(article_id, article.published_version)


@router.get("/articles/{article_id}")
def get_article(article_id: KeyPath, session: SessionDep, principal: Reader) -> ArticlePublic:
    """The article with its newest version for editors, its published version for agents."""
    return ArticlePublic.of(*_shown(KnowledgeBase(session, principal.tenant_id), article_id, principal))


@router.patch("/articles/{article_id}")
def edit_article(
    article_id: KeyPath, body: ArticleEdit, session: SessionDep, clock: ClockDep, principal: Editor
) -> ArticlePublic:
    """A new version from the newest one and the fields given; what is published does not change."""
    kb = KnowledgeBase(session, principal.tenant_id)
    latest = kb.version(article_id, kb.get(article_id).latest_version)
    article, version = kb.edit(article_id, body.content(latest.content), principal.user_id, clock.now())
    _audit_article(session, principal, clock, "edit", article, version.number)
    session.commit()
    return ArticlePublic.of(article, version)


@router.post("/articles/{article_id}/publish")
def publish_article(
    article_id: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    principal: Editor,
    body: PublishRequest | None = None,
) -> ArticlePublic:
    """Publish the newest version, or the one named (an older one rolls back); archived articles return."""
    kb = KnowledgeBase(session, principal.tenant_id)
    article = kb.publish(article_id, clock.now(), body.version if body is not None else None)
    assert article.published_version is not None
    _audit_article(session, principal, clock, "publish", article, article.published_version)
    session.commit()
    return ArticlePublic.of(article, kb.version(article_id, article.published_version))


@router.post("/articles/{article_id}/archive")
def archive_article(
    article_id: KeyPath, session: SessionDep, clock: ClockDep, principal: Editor
) -> ArticlePublic:
    """Hide the article from every search and from agents; its versions are kept."""
    kb = KnowledgeBase(session, principal.tenant_id)
    article = kb.archive(article_id, clock.now())
    _audit_article(session, principal, clock, "archive", article, article.latest_version)
    session.commit()
    return ArticlePublic.of(article, kb.version(article_id, article.latest_version))


@router.get("/articles/{article_id}/versions")
def list_versions(article_id: KeyPath, session: SessionDep, principal: Editor) -> list[VersionPublic]:
    return [VersionPublic.of(v) for v in KnowledgeBase(session, principal.tenant_id).versions(article_id)]


@router.get("/articles/{article_id}/versions/{version}")
def get_version(article_id: KeyPath, version: int, session: SessionDep, principal: Editor) -> VersionPublic:
    return VersionPublic.of(KnowledgeBase(session, principal.tenant_id).version(article_id, version))


# --- search ------------------------------------------------------------------------------------------


def _results(hits: list[SearchHit], searched: list[str]) -> list[SearchResult]:
    wanted = set(searched)
    results = []
    for hit in hits:
        shown, marks = marked_snippet(hit.body, wanted)
        title_marks = spans(hit.title, wanted)
        results.append(
            SearchResult(
                article_id=hit.article_id,
                version=hit.version,
                title=hit.title,
                title_html=render_marked(hit.title, title_marks),
                snippet_html=render_marked(shown, marks),
                title_marks=title_marks,
                snippet=shown,
                snippet_marks=marks,
                category_id=hit.category_id,
                visibility=hit.visibility,
                score=hit.score,
            )
        )
    return results


@router.get("/search")
def search(
    session: SessionDep,
    principal: Reader,
    q: Annotated[
        str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="Chinese, English or both.")
    ],
    channel: Channel = Channel.AGENT,
    category: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> SearchResults:
    """Published articles visible on the channel holding any of the query's terms, best first (BM25)."""
    searched = query_terms(q)
    if not searched:
        raise EmptySearchQuery(
            f"the query {q!r} has no searchable term (only stop words or punctuation)", {"query": q}
        )
    hits = KnowledgeBase(session, principal.tenant_id).search(
        searched, channel, category_id=category, limit=limit, offset=offset
    )
    return SearchResults(query=q, terms=searched, channel=channel, results=_results(hits, searched))


@router.post("/suggest")
def suggest(body: SuggestRequest, session: SessionDep, principal: Reader) -> SearchResults:
    """Articles for a ticket's or chat's text: a search for its most distinctive terms (tf·idf)."""
    kb = KnowledgeBase(session, principal.tenant_id)
    found = terms(body.text)
    chosen = distinctive_terms(found, kb.corpus_stats(found), SUGGEST_TERMS)
    hits = kb.search(chosen, body.channel, category_id=body.category, limit=body.limit) if chosen else []
    return SearchResults(query=body.text, terms=chosen, channel=body.channel, results=_results(hits, chosen))
