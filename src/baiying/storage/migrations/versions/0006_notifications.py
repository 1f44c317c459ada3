"""The notification outbox, webhook subscriptions and the webhook relay's cursor.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

Written out in full; `tests/storage/test_migrations.py` checks it against the models.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(64)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("id", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("cause", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(2000), nullable=False),
        sa.Column("subject", sa.String(400), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("subscription_id", ID, nullable=True),
        sa.Column("event_type", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Double(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("sent_at", sa.Double(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'webhook')", name=op.f("ck_notification_outbox_channel")
        ),
        sa.CheckConstraint(
            "purpose IN ('transactional', 'care', 'marketing')", name=op.f("ck_notification_outbox_purpose")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'suppressed')",
            name=op.f("ck_notification_outbox_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_notification_outbox_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
    )
    op.create_index(
        op.f("ix_notification_outbox_tenant_id_cause"),
        "notification_outbox",
        ["tenant_id", "cause"],
        unique=True,
    )
    op.create_index(
        op.f("ix_notification_outbox_status_next_attempt_at"),
        "notification_outbox",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        op.f("ix_notification_outbox_tenant_id_customer_id_created_at"),
        "notification_outbox",
        ["tenant_id", "customer_id", "created_at"],
    )
    op.create_index(
        op.f("ix_notification_outbox_tenant_id_created_at"),
        "notification_outbox",
        ["tenant_id", "created_at"],
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_webhook_subscriptions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_table(
        "webhook_cursors",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_webhook_cursors_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_webhook_cursors")),
    )


def downgrade() -> None:
    op.drop_table("webhook_cursors")
    op.drop_table("webhook_subscriptions")
    op.drop_index(op.f("ix_notification_outbox_tenant_id_created_at"), table_name="notification_outbox")
    op.drop_index(
        op.f("ix_notification_outbox_tenant_id_customer_id_created_at"), table_name="notification_outbox"
    )
    op.drop_index(op.f("ix_notification_outbox_status_next_attempt_at"), table_name="notification_outbox")
    op.drop_index(op.f("ix_notification_outbox_tenant_id_cause"), table_name="notification_outbox")
    op.drop_table("notification_outbox")
