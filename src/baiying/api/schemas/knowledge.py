"""The knowledge base as the API reads and writes it: categories, tags, articles and their versions,
search and suggestion results (titles and snippets as escaped HTML with `<mark>`ed matches)."""

from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, StringConstraints

from baiying.api.schemas import NO_CONTROLS, Id, Name
from baiying.api.schemas.admin import _Input, _Patch
from baiying.knowledge.model import (
    MAX_BODY_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    Article,
    ArticleState,
    Channel,
    Content,
    Version,
    Visibility,
)
from baiying.storage.knowledge_tables import KbCategoryRow, KbTagRow

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_CHARS, pattern=NO_CONTROLS),
]
Body = Annotated[
    str, StringConstraints(max_length=MAX_BODY_CHARS, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
MAX_QUERY_CHARS = 200
MAX_SUGGEST_CHARS = 20_000
MAX_RESULTS = 50


class CategoryCreate(_Input):
    id: Id
    name: Name
    parent_id: str | None = None


class CategoryUpdate(_Patch):
    not_null: ClassVar[frozenset[str]] = frozenset({"name"})

    name: Name | None = None
    parent_id: str | None = None


class CategoryPublic(BaseModel):
    id: str
    name: str
    parent_id: str | None

    @classmethod
    def of(cls, row: KbCategoryRow) -> "CategoryPublic":
        return cls(id=row.id, name=row.name, parent_id=row.parent_id)


class TagCreate(_Input):
    id: Id
    label: Name


class TagUpdate(_Input):
    label: Name


class TagPublic(BaseModel):
    id: str
    label: str

    @classmethod
    def of(cls, row: KbTagRow) -> "TagPublic":
        return cls(id=row.id, label=row.label)


class ArticleCreate(_Input):
    id: Id
    title: Title
    body: Body = ""
    category_id: str | None = None
    tags: list[str] = Field(default=[], max_length=MAX_TAGS)
    visibility: Visibility = Visibility.AGENT

    def content(self) -> Content:
        return Content(self.title, self.body, self.category_id, tuple(self.tags), self.visibility)


class ArticleEdit(_Patch):
    """A new version: the fields given replace the newest version's, the others are kept."""

    not_null: ClassVar[frozenset[str]] = frozenset({"title", "body", "tags", "visibility"})

    title: Title | None = None
    body: Body | None = None
    category_id: str | None = None
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    visibility: Visibility | None = None

    def content(self, latest: Content) -> Content:
        given = self.changes()
        return Content(
            given.get("title", latest.title),
            given.get("body", latest.body),
            given.get("category_id", latest.category_id),
            tuple(given["tags"]) if "tags" in given else latest.tags,
            given.get("visibility", latest.visibility),
        )


class PublishRequest(_Input):
    version: int | None = Field(
        default=None, ge=1, description="The version to publish; the newest if left out."
    )


class VersionPublic(BaseModel):
    version: int
    title: str
    body: str
    category_id: str | None
    tags: list[str]
    visibility: Visibility
    author: str
    created_at: float

    @classmethod
    def of(cls, version: Version) -> "VersionPublic":
        content = version.content
        return cls(
            version=version.number,
            title=content.title,
            body=content.body,
            category_id=content.category_id,
            tags=list(content.tags),
            visibility=content.visibility,
            author=version.author,
            created_at=version.created_at,
        )


class ArticlePublic(BaseModel):
    """An article's head and the content of one version: the newest for editors, the published one for
    readers (`shown_version` says which)."""

    id: str
    state: ArticleState
    latest_version: int
    published_version: int | None
    created_at: float
    updated_at: float
    shown_version: int
    title: str
    body: str
    category_id: str | None
    tags: list[str]
    visibility: Visibility

    @classmethod
    def of(cls, article: Article, version: Version) -> "ArticlePublic":
        content = version.content
        return cls(
            id=article.id,
            state=article.state,
            latest_version=article.latest_version,
            published_version=article.published_version,
            created_at=article.created_at,
            updated_at=article.updated_at,
            shown_version=version.number,
            title=content.title,
            body=content.body,
            category_id=content.category_id,
            tags=list(content.tags),
            visibility=content.visibility,
        )


class SuggestRequest(_Input):
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SUGGEST_CHARS)] = Field(
        description="A ticket's or chat's text."
    )
    channel: Channel = Channel.AGENT
    category: str | None = None
    limit: int = Field(default=5, ge=1, le=MAX_RESULTS)


class SearchResult(BaseModel):
    article_id: str
    version: int
    title: str
    title_html: str = Field(description="The title as escaped HTML, matched terms in <mark>.")
    snippet_html: str = Field(description="Part of the body around the first match, as escaped HTML.")
    title_marks: list[tuple[int, int]] = Field(
        description="The (start, end) character ranges of `title` that match, for clients building nodes."
    )
    snippet: str = Field(description="The snippet as plain text (`…` where the body was cut).")
    snippet_marks: list[tuple[int, int]] = Field(
        description="The (start, end) ranges of `snippet` that match."
    )
    category_id: str | None
    visibility: Visibility
    score: float = Field(description="BM25; higher is better.")


class SearchResults(BaseModel):
    query: str
    terms: list[str] = Field(description="The terms searched for, after segmentation and stop words.")
    channel: Channel
    results: list[SearchResult]
