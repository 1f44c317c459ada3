"""Contacts listed newest first: an index on (tenant_id, arrived_at) for `GET /api/contacts`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_contacts_tenant_id_arrived_at"), "contacts", ["tenant_id", "arrived_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_contacts_tenant_id_arrived_at"), table_name="contacts")
