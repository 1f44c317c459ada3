"""Tickets, workflows and SLA clocks (issue 5): tickets, their append-only events, SLA clocks, the outbox
of notification and callback requests, automation rule firings, and attachments' metadata.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Written out in full, like 0001; `tests/storage/test_migrations.py` checks it against
`baiying.storage.ticket_tables`. The CHECK lists are spelled out so this revision never changes when the
enumerations in the code do.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(64)
NAME = sa.String(200)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _ticket_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "ticket_id"],
        ["tickets.tenant_id", "tickets.id"],
        name=op.f(f"fk_{table}_tenant_id_ticket_id_tickets"),
        ondelete="CASCADE",
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("previous_state", sa.String(64), nullable=True),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("site_id", ID, nullable=True),
        sa.Column("tier", sa.String(32), nullable=True),
        sa.Column("subject", NAME, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("queue_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("created_by", NAME, nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("state_entered_at", sa.Double(), nullable=False),
        sa.Column("responded_at", sa.Double(), nullable=True),
        sa.Column("customer_wrote_at", sa.Double(), nullable=True),
        sa.Column("closed_at", sa.Double(), nullable=True),
        sa.Column("sla_policy", sa.String(64), nullable=True),
        sa.Column("next_due_at", sa.Double(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _check("tickets", "type", "type IN ('consultation', 'complaint', 'repair', 'lead')"),
        _check("tickets", "priority", "priority IN ('low', 'normal', 'high', 'urgent')"),
        _check("tickets", "category", "category IN ('open', 'waiting', 'resolved', 'closed')"),
        _check("tickets", "complaint_level", "(type = 'complaint') = (level IS NOT NULL)"),
        _check("tickets", "level_range", "level IS NULL OR level BETWEEN 1 AND 3"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_tickets_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"],
            ["sites.tenant_id", "sites.id"],
            name=op.f("fk_tickets_tenant_id_site_id_sites"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets")),
    )
    _index("tickets", "tenant_id", "customer_id")
    _index("tickets", "tenant_id", "category", "next_due_at")
    _index("tickets", "tenant_id", "created_at")

    op.create_table(
        "ticket_events",
        sa.Column("sequence", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor", NAME, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        _ticket_fk("ticket_events"),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_ticket_events")),
    )
    _index("ticket_events", "tenant_id", "ticket_id", "sequence")
    _index("ticket_events", "tenant_id", "kind", "at")

    op.create_table(
        "ticket_sla_clocks",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("target_seconds", sa.Double(), nullable=False),
        sa.Column("warn_before_seconds", sa.Double(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("elapsed_seconds", sa.Double(), nullable=False),
        sa.Column("running_since", sa.Double(), nullable=True),
        sa.Column("fulfilled_at", sa.Double(), nullable=True),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("breached_at", sa.Double(), nullable=True),
        sa.Column("due_at", sa.Double(), nullable=True),
        _check("ticket_sla_clocks", "metric", "metric IN ('first_response', 'next_response', 'resolution')"),
        _check("ticket_sla_clocks", "status", "status IN ('running', 'paused', 'fulfilled', 'stopped')"),
        _ticket_fk("ticket_sla_clocks"),
        sa.PrimaryKeyConstraint("tenant_id", "ticket_id", "metric", name=op.f("pk_ticket_sla_clocks")),
    )

    op.create_table(
        "ticket_outbox",
        sa.Column("id", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", NAME, nullable=True),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.Double(), nullable=False),
        sa.Column("cause", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        _check("ticket_outbox", "kind", "kind IN ('notification', 'callback', 'knowledge-candidate')"),
        _check("ticket_outbox", "status", "status IN ('pending', 'done')"),
        _ticket_fk("ticket_outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_outbox")),
    )
    _index("ticket_outbox", "tenant_id", "status", "kind", "due_at")
    _index("ticket_outbox", "tenant_id", "ticket_id")

    op.create_table(
        "ticket_rule_firings",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("cause", sa.String(255), nullable=False),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("due_at", sa.Double(), nullable=False),
        sa.Column("fired_at", sa.Double(), nullable=False),
        _ticket_fk("ticket_rule_firings"),
        sa.PrimaryKeyConstraint("tenant_id", "cause", name=op.f("pk_ticket_rule_firings")),
    )
    _index("ticket_rule_firings", "tenant_id", "ticket_id")

    op.create_table(
        "ticket_attachments",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("filename", NAME, nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("uploaded_by", NAME, nullable=False),
        sa.Column("uploaded_at", sa.Double(), nullable=False),
        _check("ticket_attachments", "size_bytes", "size_bytes > 0"),
        _ticket_fk("ticket_attachments"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_ticket_attachments")),
    )
    _index("ticket_attachments", "tenant_id", "ticket_id")


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_attachments_tenant_id_ticket_id"), table_name="ticket_attachments")
    op.drop_table("ticket_attachments")
    op.drop_index(op.f("ix_ticket_rule_firings_tenant_id_ticket_id"), table_name="ticket_rule_firings")
    op.drop_table("ticket_rule_firings")
    op.drop_index(op.f("ix_ticket_outbox_tenant_id_ticket_id"), table_name="ticket_outbox")
    op.drop_index(op.f("ix_ticket_outbox_tenant_id_status_kind_due_at"), table_name="ticket_outbox")
    op.drop_table("ticket_outbox")
    op.drop_table("ticket_sla_clocks")
    op.drop_index(op.f("ix_ticket_events_tenant_id_kind_at"), table_name="ticket_events")
    op.drop_index(op.f("ix_ticket_events_tenant_id_ticket_id_sequence"), table_name="ticket_events")
    op.drop_table("ticket_events")
    op.drop_index(op.f("ix_tickets_tenant_id_created_at"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_tenant_id_category_next_due_at"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_tenant_id_customer_id"), table_name="tickets")
    op.drop_table("tickets")
