"""Knowledge-base articles and their search index (issue 5).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Written out in full, like 0001; `tests/storage/test_migrations.py` checks it against
`baiying.storage.knowledge_tables`. The full-text index differs per database (see that module): an FTS5
table kept in step by triggers on SQLite, a generated tsvector column with a GIN index on PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(64)
NAME = sa.String(200)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
VISIBILITY = "visibility IN ('agent', 'public')"

SQLITE_FULL_TEXT = [
    # External content: the FTS5 table reads kb_search_docs' columns; the triggers keep its index in step.
    "CREATE VIRTUAL TABLE kb_search_fts USING fts5(title_terms, tags_terms, body_terms, "
    "content='kb_search_docs', content_rowid='doc_id', tokenize='ascii')",
    "CREATE TRIGGER kb_search_docs_ai AFTER INSERT ON kb_search_docs BEGIN "
    "INSERT INTO kb_search_fts(rowid, title_terms, tags_terms, body_terms) "
    "VALUES (new.doc_id, new.title_terms, new.tags_terms, new.body_terms); END",
    "CREATE TRIGGER kb_search_docs_ad AFTER DELETE ON kb_search_docs BEGIN "
    "INSERT INTO kb_search_fts(kb_search_fts, rowid, title_terms, tags_terms, body_terms) "
    "VALUES ('delete', old.doc_id, old.title_terms, old.tags_terms, old.body_terms); END",
    "CREATE TRIGGER kb_search_docs_au AFTER UPDATE ON kb_search_docs BEGIN "
    "INSERT INTO kb_search_fts(kb_search_fts, rowid, title_terms, tags_terms, body_terms) "
    "VALUES ('delete', old.doc_id, old.title_terms, old.tags_terms, old.body_terms); "
    "INSERT INTO kb_search_fts(rowid, title_terms, tags_terms, body_terms) "
    "VALUES (new.doc_id, new.title_terms, new.tags_terms, new.body_terms); END",
]
POSTGRESQL_FULL_TEXT = [
    "ALTER TABLE kb_search_docs ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple'::regconfig, title_terms || ' ' || tags_terms || ' ' || body_terms)) STORED",
    "CREATE INDEX ix_kb_search_docs_search_vector ON kb_search_docs USING gin (search_vector)",
]


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants"))


def _article_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "article_id"],
        ["kb_articles.tenant_id", "kb_articles.id"],
        name=op.f(f"fk_{table}_tenant_id_article_id_kb_articles"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "kb_categories",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["kb_categories.tenant_id", "kb_categories.id"],
            name=op.f("fk_kb_categories_tenant_id_parent_id_kb_categories"),
        ),
        _tenant_fk("kb_categories"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_kb_categories")),
    )
    op.create_table(
        "kb_tags",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("label", NAME, nullable=False),
        _tenant_fk("kb_tags"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_kb_tags")),
    )
    op.create_table(
        "kb_articles",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.CheckConstraint("state IN ('draft', 'published', 'archived')", name=op.f("ck_kb_articles_state")),
        sa.CheckConstraint(
            "published_version IS NULL OR published_version BETWEEN 1 AND latest_version",
            name=op.f("ck_kb_articles_published_version"),
        ),
        _tenant_fk("kb_articles"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_kb_articles")),
    )
    op.create_index(op.f("ix_kb_articles_tenant_id_state"), "kb_articles", ["tenant_id", "state"])
    op.create_table(
        "kb_article_versions",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", NAME, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category_id", ID, nullable=True),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("author", NAME, nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.CheckConstraint(VISIBILITY, name=op.f("ck_kb_article_versions_visibility")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_kb_article_versions_version")),
        _article_fk("kb_article_versions"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "category_id"],
            ["kb_categories.tenant_id", "kb_categories.id"],
            name=op.f("fk_kb_article_versions_tenant_id_category_id_kb_categories"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "article_id", "version", name=op.f("pk_kb_article_versions")),
    )
    op.create_table(
        "kb_article_version_tags",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tag_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "article_id", "version"],
            [
                "kb_article_versions.tenant_id",
                "kb_article_versions.article_id",
                "kb_article_versions.version",
            ],
            name=op.f("fk_kb_article_version_tags_tenant_id_article_id_version_kb_article_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "tag_id"],
            ["kb_tags.tenant_id", "kb_tags.id"],
            name=op.f("fk_kb_article_version_tags_tenant_id_tag_id_kb_tags"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "article_id", "version", "tag_id", name=op.f("pk_kb_article_version_tags")
        ),
    )
    op.create_index(
        op.f("ix_kb_article_version_tags_tenant_id_tag_id"),
        "kb_article_version_tags",
        ["tenant_id", "tag_id"],
    )
    op.create_table(
        "kb_search_docs",
        sa.Column("doc_id", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("category_id", ID, nullable=True),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("title", NAME, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("tags_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("frequencies", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.CheckConstraint(VISIBILITY, name=op.f("ck_kb_search_docs_visibility")),
        _article_fk("kb_search_docs"),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_kb_search_docs")),
    )
    op.create_index(
        op.f("ix_kb_search_docs_tenant_id_article_id"),
        "kb_search_docs",
        ["tenant_id", "article_id"],
        unique=True,
    )
    op.create_table(
        "kb_terms",
        sa.Column("term", sa.String(160), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_kb_terms")),
    )
    op.create_table(
        "kb_search_stats",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("terms", SEQUENCE, nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_kb_search_stats_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_search_stats")),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FULL_TEXT if dialect == "sqlite" else POSTGRESQL_FULL_TEXT:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("kb_search_docs_au", "kb_search_docs_ad", "kb_search_docs_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS kb_search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_kb_search_docs_search_vector")
    op.drop_table("kb_search_stats")
    op.drop_table("kb_terms")
    op.drop_index(op.f("ix_kb_search_docs_tenant_id_article_id"), table_name="kb_search_docs")
    op.drop_table("kb_search_docs")
    op.drop_index(op.f("ix_kb_article_version_tags_tenant_id_tag_id"), table_name="kb_article_version_tags")
    op.drop_table("kb_article_version_tags")
    op.drop_table("kb_article_versions")
    op.drop_index(op.f("ix_kb_articles_tenant_id_state"), table_name="kb_articles")
    op.drop_table("kb_articles")
    op.drop_table("kb_tags")
    op.drop_table("kb_categories")
