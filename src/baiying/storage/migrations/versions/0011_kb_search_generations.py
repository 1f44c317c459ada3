"""Knowledge-base search indexes in memory, kept current: a generation counter and a corpus id on
`kb_search_stats`, and the log of changes to the search documents (`kb_search_changes`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Written out in full; `tests/storage/test_migrations.py` checks it against the models.
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(64)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("kb_search_stats", sa.Column("generation", SEQUENCE, server_default="0", nullable=False))
    op.add_column("kb_search_stats", sa.Column("corpus_id", sa.String(32), server_default="", nullable=False))
    # An existing corpus gets its id now: indexes are loaded from the documents, not from the log.
    op.execute(sa.text("UPDATE kb_search_stats SET corpus_id = :id").bindparams(id=uuid.uuid4().hex))
    op.create_table(
        "kb_search_changes",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("generation", SEQUENCE, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "generation", "article_id", name=op.f("pk_kb_search_changes")),
    )


def downgrade() -> None:
    op.drop_table("kb_search_changes")
    op.drop_column("kb_search_stats", "corpus_id")  # SQLite has DROP COLUMN since 3.35
    op.drop_column("kb_search_stats", "generation")
