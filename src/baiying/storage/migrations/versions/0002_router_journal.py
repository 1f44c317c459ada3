"""The router journal: the live router's commands, replayed at start-up to rebuild its state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Written out in full, like 0001; `tests/storage/test_migrations.py` checks it against
`baiying.storage.journal.JournalRow`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(64)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "router_journal",
        sa.Column("sequence", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("command", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_router_journal_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_router_journal")),
    )
    op.create_index(op.f("ix_router_journal_tenant_id_sequence"), "router_journal", ["tenant_id", "sequence"])
    op.create_index(
        op.f("ix_router_journal_tenant_id_command_sequence"),
        "router_journal",
        ["tenant_id", "command", "sequence"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_router_journal_tenant_id_command_sequence"), table_name="router_journal")
    op.drop_index(op.f("ix_router_journal_tenant_id_sequence"), table_name="router_journal")
    op.drop_table("router_journal")
