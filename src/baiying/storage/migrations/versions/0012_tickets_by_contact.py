"""Tickets found by the contact they were recorded in: an index on (tenant_id, contact_id), so start-up
finds the routed-out contacts that still lack their ticket without reading every routed-out contact.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from alembic import op

revision = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_tickets_tenant_id_contact_id"), "tickets", ["tenant_id", "contact_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_tenant_id_contact_id"), table_name="tickets")
