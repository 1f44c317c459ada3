"""A customer's ticket callbacks found by recipient: an index on ticket_outbox (tenant_id, recipient, kind,
due_at), as the contact-frequency caps count a customer's survey calls in every screen pop and every care
message queued.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from alembic import op

revision = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None

NAME = "ix_ticket_outbox_tenant_id_recipient_kind_due_at"


def upgrade() -> None:
    op.create_index(op.f(NAME), "ticket_outbox", ["tenant_id", "recipient", "kind", "due_at"])


def downgrade() -> None:
    op.drop_index(op.f(NAME), table_name="ticket_outbox")
