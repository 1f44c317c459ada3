"""The knowledge base's tables (issue 5), on the same declarative `Base` as `tables.py`; migration 0005
creates them.

An article is a head row (`kb_articles`: state, newest and published version) and one row per version
(`kb_article_versions`, with its tags in `kb_article_version_tags`). What searches read is
`kb_search_docs`: one row per published, unarchived article, copying the published version's title, body,
category and visibility, with its text segmented by `baiying.knowledge.text` (terms joined by spaces),
its length in terms and its field-weighted term frequencies. `kb_terms` (how many documents hold each
term) and `kb_search_stats` (how many documents, how many terms in all) are the corpus statistics BM25
needs; they cover every tenant's documents, as FTS5's own statistics do.

The full-text index itself is not a model, because it differs per database and the database keeps it:

- SQLite: `kb_search_fts`, an FTS5 table over the three `*_terms` columns (external content, rowid =
  `doc_id`, the `ascii` tokenizer so terms split only at the spaces), kept in step by triggers; FTS5 adds
  its shadow tables `kb_search_fts_*`.
- PostgreSQL: `kb_search_docs.search_vector`, a stored generated `tsvector` (`to_tsvector('simple', ...)`
  of the same terms) with a GIN index.

Searches read neither any more (see `baiying.storage.repositories.knowledge_search`): each process keeps
an in-memory index loaded from `kb_search_docs` and kept current through `kb_search_changes`. The
databases' own indexes stay, as the way to look documents up in SQL.

`FULL_TEXT_NAMES` names those parts, so a comparison of these models with a migrated schema can leave
them out (`is_full_text_part`).
"""

from typing import Any, Final

from sqlalchemy import JSON, CheckConstraint, Double, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from baiying.knowledge.model import ArticleState, Visibility
from baiying.storage.tables import ID, NAME, SEQUENCE, Base, _tenant_fk, one_of

TERM = String(160)  # text.MAX_TERM_CHARS characters, up to 4 bytes each
FREQUENCIES = JSON().with_variant(JSONB(), "postgresql")  # PostgreSQL reads a jsonb key without parsing

FTS_TABLE: Final = "kb_search_fts"
SEARCH_VECTOR: Final = "search_vector"
SEARCH_VECTOR_INDEX: Final = "ix_kb_search_docs_search_vector"
FULL_TEXT_NAMES: Final = frozenset({SEARCH_VECTOR, SEARCH_VECTOR_INDEX})


def is_full_text_part(name: str | None, kind: str, _parents: Any = None) -> bool:
    """Whether a reflected table, column or index is part of a database's own full-text index (FTS5's
    table and shadow tables, PostgreSQL's tsvector column and GIN index) rather than of the models."""
    if name is None:
        return False
    if kind == "table":
        return name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_")
    return kind in {"column", "index"} and name in FULL_TEXT_NAMES


class KbCategoryRow(Base):
    """A category; `parent_id` nests it under another (NULL: a top-level category)."""

    __tablename__ = "kb_categories"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["kb_categories.tenant_id", "kb_categories.id"]),
    )

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    parent_id: Mapped[str | None] = mapped_column(ID)


class KbTagRow(Base):
    __tablename__ = "kb_tags"

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    label: Mapped[str] = mapped_column(NAME)


class KbArticleRow(Base):
    __tablename__ = "kb_articles"
    __table_args__ = (
        CheckConstraint(one_of("state", ArticleState), name="state"),
        CheckConstraint(
            "published_version IS NULL OR published_version BETWEEN 1 AND latest_version",
            name="published_version",
        ),
        Index(None, "tenant_id", "state"),
    )

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    latest_version: Mapped[int] = mapped_column(Integer)
    published_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class KbArticleVersionRow(Base):
    """One edit of an article, complete: nothing in it changes afterwards."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "article_id"], ["kb_articles.tenant_id", "kb_articles.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "category_id"], ["kb_categories.tenant_id", "kb_categories.id"]),
        CheckConstraint(one_of("visibility", Visibility), name="visibility"),
        CheckConstraint("version >= 1", name="version"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    article_id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(NAME)
    body: Mapped[str] = mapped_column(Text)
    category_id: Mapped[str | None] = mapped_column(ID)
    visibility: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(NAME)
    created_at: Mapped[float] = mapped_column(Double)


class KbArticleVersionTagRow(Base):
    """A tag of a version; `position` keeps the order the editor gave. A tag in use cannot be deleted."""

    __tablename__ = "kb_article_version_tags"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "article_id", "version"],
            [
                "kb_article_versions.tenant_id",
                "kb_article_versions.article_id",
                "kb_article_versions.version",
            ],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["tenant_id", "tag_id"], ["kb_tags.tenant_id", "kb_tags.id"]),
        Index(None, "tenant_id", "tag_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    article_id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class KbSearchDocRow(Base):
    """The published version of a visible article as searches read it (see the module's docstring)."""

    __tablename__ = "kb_search_docs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "article_id"], ["kb_articles.tenant_id", "kb_articles.id"], ondelete="CASCADE"
        ),
        CheckConstraint(one_of("visibility", Visibility), name="visibility"),
        Index(None, "tenant_id", "article_id", unique=True),
    )

    doc_id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    article_id: Mapped[str] = mapped_column(ID)
    version: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[str | None] = mapped_column(ID)
    visibility: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(NAME)
    body: Mapped[str] = mapped_column(Text)
    title_terms: Mapped[str] = mapped_column(Text)
    tags_terms: Mapped[str] = mapped_column(Text)
    body_terms: Mapped[str] = mapped_column(Text)
    length: Mapped[int] = mapped_column(Integer)  # terms in all three fields
    frequencies: Mapped[dict[str, float]] = mapped_column(FREQUENCIES)  # field-weighted, per term


class KbTermRow(Base):
    """How many search documents (of every tenant) hold a term: n(t) in BM25's idf."""

    __tablename__ = "kb_terms"

    term: Mapped[str] = mapped_column(TERM, primary_key=True)
    documents: Mapped[int] = mapped_column(Integer)


class KbSearchStatsRow(Base):
    """The search documents' count and total length (every tenant): N and avgdl in BM25. One row, id 1.

    `generation` counts the changes to the search documents (every publish and archive adds one; each is
    logged in `kb_search_changes`), so a process's in-memory search index can tell in one cheap read
    whether it is current. `corpus_id` is random, made with the row: an index loaded from another
    database (or from this one before its tables were emptied) is never mistaken for this one's."""

    __tablename__ = "kb_search_stats"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    documents: Mapped[int] = mapped_column(Integer)
    terms: Mapped[int] = mapped_column(SEQUENCE)
    generation: Mapped[int] = mapped_column(SEQUENCE, server_default="0")
    corpus_id: Mapped[str] = mapped_column(String(32), server_default="")


class KbSearchChangeRow(Base):
    """A change to a tenant's search documents: the article's document was written or removed at this
    generation (migration 0010). Readers fetch the changes after the generation their index is at."""

    __tablename__ = "kb_search_changes"

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    generation: Mapped[int] = mapped_column(SEQUENCE, primary_key=True)
    article_id: Mapped[str] = mapped_column(ID, primary_key=True)
