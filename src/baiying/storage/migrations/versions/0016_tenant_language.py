"""The tenant's default page language (`tenants.default_language`; NULL: each browser's), for its users
who chose none.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

Written out in full; `tests/storage/test_migrations.py` checks it against the models.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("default_language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("default_language")
