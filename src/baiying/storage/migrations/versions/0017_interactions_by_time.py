"""The timeline in time order: an index on customer_interactions (tenant_id, at), so the FCR report's pass
over a period (read a chunk at a time) reads its range instead of sorting the tenant's whole timeline for
each chunk.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from alembic import op

revision = "0017"
down_revision: str | None = "0016"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_customer_interactions_tenant_id_at"), "customer_interactions", ["tenant_id", "at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_interactions_tenant_id_at"), table_name="customer_interactions")
