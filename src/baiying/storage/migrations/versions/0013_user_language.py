"""The page language each user chose (`users.language`; NULL: the browser's).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

Written out in full; `tests/storage/test_migrations.py` checks it against the models.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
