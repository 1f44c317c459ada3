"""Articles and their lifecycle.

An article is a head (`Article`: its state, which version is newest and which one is published) and a
list of immutable versions (`Version`: the full `Content` as one edit left it). Every edit adds a
version; the published version stays what readers see until another one is published, so an editor can
work on a draft of a live article. Publishing an older version rolls back to it.

States: `draft` (never published, or restored from nothing), `published` (one version is live; newer
unpublished versions may exist), `archived` (hidden from every search; publishing again brings it back).
Visibility is per channel: an `agent` article is for agents only, a `public` one also for customers (the
self-service channel). Searches on the agent channel see both.
"""

import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from baiying.clock import Timestamp
from baiying.errors import InvalidTransition
from baiying.knowledge.errors import InvalidArticle, UnknownArticleVersion

MAX_TITLE_CHARS: Final = 200
MAX_BODY_CHARS: Final = 100_000
MAX_TAGS: Final = 20


class ArticleState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Visibility(StrEnum):
    AGENT = "agent"  # agents only
    PUBLIC = "public"  # agents and customers


class Channel(StrEnum):
    """Who is searching: an agent (desktop, ticket) or a customer (self-service, chat bot)."""

    AGENT = "agent"
    PUBLIC = "public"


VISIBLE_IN: Final[dict[Channel, frozenset[Visibility]]] = {
    Channel.AGENT: frozenset({Visibility.AGENT, Visibility.PUBLIC}),
    Channel.PUBLIC: frozenset({Visibility.PUBLIC}),
}


def _has_controls(text: str, allow_newlines: bool) -> bool:
    allowed = {"\n", "\t", "\r"} if allow_newlines else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


@dataclass(frozen=True, slots=True)
class Content:
    """What one version of an article says and where it is shown. `tags` are tag ids, in the order given."""

    title: str
    body: str
    category_id: str | None = None
    tags: tuple[str, ...] = ()
    visibility: Visibility = Visibility.AGENT

    def __post_init__(self) -> None:
        title = self.title.strip()
        if not title:
            raise InvalidArticle("an article needs a title", {"field": "title"})
        if len(title) > MAX_TITLE_CHARS or _has_controls(title, allow_newlines=False):
            raise InvalidArticle(
                f"a title is one line of at most {MAX_TITLE_CHARS} characters", {"field": "title"}
            )
        if len(self.body) > MAX_BODY_CHARS or _has_controls(self.body, allow_newlines=True):
            raise InvalidArticle(
                f"a body is text of at most {MAX_BODY_CHARS:,} characters without control characters",
                {"field": "body"},
            )
        if len(self.tags) > MAX_TAGS:
            raise InvalidArticle(f"at most {MAX_TAGS} tags per article", {"field": "tags"})
        repeated = sorted({tag for tag in self.tags if self.tags.count(tag) > 1})
        if repeated:
            raise InvalidArticle(f"tag {repeated[0]!r} is given twice", {"field": "tags", "tag": repeated[0]})
        object.__setattr__(self, "title", title)


@dataclass(frozen=True, slots=True)
class Version:
    number: int  # 1, 2, ... in the order of edits
    content: Content
    author: str  # the user id who wrote it
    created_at: Timestamp


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    state: ArticleState
    latest_version: int
    published_version: int | None
    created_at: Timestamp
    updated_at: Timestamp

    @property
    def has_unpublished_changes(self) -> bool:
        return self.published_version != self.latest_version


def new_article(article_id: str, content: Content, author: str, at: Timestamp) -> tuple[Article, Version]:
    """A draft with its first version."""
    return Article(article_id, ArticleState.DRAFT, 1, None, at, at), Version(1, content, author, at)


def edit(article: Article, content: Content, author: str, at: Timestamp) -> tuple[Article, Version]:
    """A new version; what is published does not change. Archived articles are not edited."""
    if article.state is ArticleState.ARCHIVED:
        raise InvalidTransition(
            f"article {article.id!r} is archived: publish it again before editing it",
            {"article": article.id, "state": article.state.value},
        )
    number = article.latest_version + 1
    return replace(article, latest_version=number, updated_at=at), Version(number, content, author, at)


def publish(article: Article, at: Timestamp, version: int | None = None) -> Article:
    """Make `version` (the newest when None) what readers see; an archived article comes back."""
    number = article.latest_version if version is None else version
    if not 1 <= number <= article.latest_version:
        raise UnknownArticleVersion(
            f"article {article.id!r} has versions 1 to {article.latest_version}, not {number}",
            {"article": article.id, "version": number},
        )
    if article.state is ArticleState.PUBLISHED and article.published_version == number:
        raise InvalidTransition(
            f"version {number} of article {article.id!r} is already published",
            {"article": article.id, "version": number},
        )
    return replace(article, state=ArticleState.PUBLISHED, published_version=number, updated_at=at)


def archive(article: Article, at: Timestamp) -> Article:
    """Hide the article from every search; its versions are kept."""
    if article.state is ArticleState.ARCHIVED:
        raise InvalidTransition(
            f"article {article.id!r} is already archived", {"article": article.id, "state": "archived"}
        )
    return replace(article, state=ArticleState.ARCHIVED, updated_at=at)
