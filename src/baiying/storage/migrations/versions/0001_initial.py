"""The initial schema: tenants, sites, teams, agents and skills, users and roles, queues and routing
policies, contacts, the event log, wrap-up codes and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Written out in full rather than derived from `tables.py` at run time, so this revision never changes
when the models do; `tests/storage/test_migrations.py` checks that the two agree.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(64)
NAME = sa.String(200)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CHANNELS = "'voice', 'chat', 'email', 'sms'"


def _tenant_key(table: str, *rest: str) -> list[sa.Constraint]:
    return [
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", *rest, name=op.f(f"pk_{table}")),
    ]


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=op.f(f"fk_{table}_tenant_id_{column}_{target}"),
        ondelete=ondelete,
    )


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("placement", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "sites",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("opens_minute", sa.Integer(), nullable=True),
        sa.Column("closes_minute", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_changed_at", sa.Double(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("hq", sa.Boolean(), nullable=False),
        _check("sites", "status", "status IN ('open', 'draining', 'evacuated')"),
        _check(
            "sites",
            "hours",
            "(opens_minute IS NULL AND closes_minute IS NULL) OR "
            "(opens_minute BETWEEN 0 AND 1440 AND closes_minute BETWEEN 0 AND 1440)",
        ),
        *_tenant_key("sites", "id"),
    )
    op.create_table(
        "site_holidays",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", NAME, nullable=False),
        _fk("site_holidays", "site_id", "sites", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "site_id", "day", name=op.f("pk_site_holidays")),
    )
    op.create_table(
        "teams",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("site_id", ID, nullable=True),
        _fk("teams", "site_id", "sites"),
        *_tenant_key("teams", "id"),
    )
    op.create_table(
        "agents",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("display_name", NAME, nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _fk("agents", "site_id", "sites"),
        _fk("agents", "team_id", "teams"),
        *_tenant_key("agents", "id"),
    )
    op.create_index(op.f("ix_agents_tenant_id_site_id"), "agents", ["tenant_id", "site_id"])
    op.create_table(
        "agent_skills",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("skill", sa.String(100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        _fk("agent_skills", "agent_id", "agents", ondelete="CASCADE"),
        _check("agent_skills", "level_range", "level BETWEEN 1 AND 10"),
        sa.PrimaryKeyConstraint("tenant_id", "agent_id", "skill", name=op.f("pk_agent_skills")),
    )
    op.create_table(
        "agent_capacity",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        _fk("agent_capacity", "agent_id", "agents", ondelete="CASCADE"),
        _check("agent_capacity", "channel", f"channel IN ({CHANNELS})"),
        _check("agent_capacity", "slots", "slots >= 0"),
        sa.PrimaryKeyConstraint("tenant_id", "agent_id", "channel", name=op.f("pk_agent_capacity")),
    )
    op.create_table(
        "users",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("login", NAME, nullable=False),
        sa.Column("display_name", NAME, nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
        *_tenant_key("users", "id"),
    )
    op.create_table(
        "user_roles",
        sa.Column("id", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("site_id", ID, nullable=True),
        sa.Column("agent_id", ID, nullable=True),
        _fk("user_roles", "user_id", "users", ondelete="CASCADE"),
        _fk("user_roles", "site_id", "sites", ondelete="CASCADE"),
        _fk("user_roles", "agent_id", "agents", ondelete="CASCADE"),
        _check("user_roles", "role", "role IN ('admin', 'supervisor', 'agent')"),
        _check("user_roles", "site_scope", "role = 'supervisor' OR site_id IS NULL"),
        _check("user_roles", "agent_link", "(role = 'agent') = (agent_id IS NOT NULL)"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_roles")),
    )
    op.create_index(op.f("ix_user_roles_tenant_id_user_id"), "user_roles", ["tenant_id", "user_id"])
    op.create_table(
        "routing_policies",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        *_tenant_key("routing_policies", "id"),
    )
    op.create_table(
        "queues",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("policy_id", ID, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("wrap_up_seconds", sa.Double(), nullable=False),
        sa.Column("offer_timeout_seconds", sa.Double(), nullable=False),
        sa.Column("expected_handle_seconds", sa.Double(), nullable=False),
        sa.Column("sl_seconds", sa.Double(), nullable=False),
        sa.Column("sl_target", sa.Double(), nullable=False),
        _fk("queues", "policy_id", "routing_policies"),
        _check("queues", "channel", f"channel IN ({CHANNELS})"),
        _check("queues", "wrap_up_seconds", "wrap_up_seconds >= 0"),
        _check("queues", "offer_timeout_seconds", "offer_timeout_seconds > 0"),
        _check("queues", "expected_handle_seconds", "expected_handle_seconds > 0"),
        _check("queues", "service_level", "sl_seconds > 0 AND sl_target > 0 AND sl_target <= 1"),
        *_tenant_key("queues", "id"),
    )
    op.create_table(
        "contacts",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("queue_id", ID, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("intake_site_id", ID, nullable=True),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("language", sa.String(32), nullable=True),
        sa.Column("intent", sa.String(100), nullable=True),
        sa.Column("tier", sa.String(32), nullable=True),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("arrived_at", sa.Double(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("placement", sa.JSON(), nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        _fk("contacts", "queue_id", "queues"),
        _fk("contacts", "intake_site_id", "sites"),
        _fk("contacts", "agent_id", "agents"),
        _check("contacts", "channel", f"channel IN ({CHANNELS})"),
        *_tenant_key("contacts", "id"),
    )
    op.create_index(op.f("ix_contacts_tenant_id_state"), "contacts", ["tenant_id", "state"])
    op.create_table(
        "events",
        sa.Column("sequence", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("contact_id", ID, nullable=True),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("site_id", ID, nullable=True),
        sa.Column("queue_id", ID, nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_events_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_kind_at"), "events", ["kind", "at"])
    op.create_index(op.f("ix_events_contact_id"), "events", ["contact_id"])
    op.create_index(op.f("ix_events_agent_id_at"), "events", ["agent_id", "at"])
    op.create_index(op.f("ix_events_tenant_id_at"), "events", ["tenant_id", "at"])
    op.create_table(
        "wrap_up_codes",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("code", ID, nullable=False),
        sa.Column("label", NAME, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_tenant_key("wrap_up_codes", "code"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor", NAME, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_audit_log_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_tenant_id_at"), "audit_log", ["tenant_id", "at"])
    op.create_index(
        op.f("ix_audit_log_tenant_id_entity_entity_id"), "audit_log", ["tenant_id", "entity", "entity_id"]
    )


def downgrade() -> None:
    for table in (
        "audit_log",
        "wrap_up_codes",
        "events",
        "contacts",
        "queues",
        "routing_policies",
        "user_roles",
        "users",
        "agent_capacity",
        "agent_skills",
        "agents",
        "teams",
        "site_holidays",
        "sites",
        "tenants",
    ):
        op.drop_table(table)
