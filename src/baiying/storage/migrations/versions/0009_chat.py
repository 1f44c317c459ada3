"""Customer web chat: conversations (one per chat contact) and their messages.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

Written out in full; `tests/storage/test_migrations.py` checks it against the models.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(64)
NAME = sa.String(200)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "chat_conversations",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("visitor_name", NAME, nullable=False),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("queue_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'ended')", name=op.f("ck_chat_conversations_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_chat_conversations_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_chat_conversations")),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("author", NAME, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.CheckConstraint("sender IN ('visitor', 'agent', 'system')", name=op.f("ck_chat_messages_sender")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_chat_messages_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    op.create_index(
        op.f("ix_chat_messages_tenant_id_conversation_id_id"),
        "chat_messages",
        ["tenant_id", "conversation_id", "id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_chat_messages_tenant_id_conversation_id_id"), table_name="chat_messages")
    op.drop_table("chat_messages")
    op.drop_table("chat_conversations")
