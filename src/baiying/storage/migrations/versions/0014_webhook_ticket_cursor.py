"""Webhooks follow ticket events too: each tenant's relay keeps its place in the ticket history
(`webhook_cursors.last_ticket_sequence`). Existing cursors start at the present, so subscribers are not sent
the whole ticket history at once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

Written out in full; `tests/storage/test_migrations.py` checks it against the models.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "webhook_cursors",
        sa.Column("last_ticket_sequence", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE webhook_cursors SET last_ticket_sequence = COALESCE((SELECT MAX(sequence) FROM ticket_events"
        " WHERE ticket_events.tenant_id = webhook_cursors.tenant_id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("webhook_cursors") as batch:
        batch.drop_column("last_ticket_sequence")
