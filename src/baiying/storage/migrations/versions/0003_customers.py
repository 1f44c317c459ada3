"""Customers, contact points, products and interactions (issue 5).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Written out in full, like 0001; `tests/storage/test_migrations.py` checks it against
`baiying.storage.customer_tables`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customer_events",
        sa.Column("sequence", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customer_events_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_customer_events")),
    )
    op.create_index(
        op.f("ix_customer_events_tenant_id_customer_id_sequence"),
        "customer_events",
        ["tenant_id", "customer_id", "sequence"],
        unique=False,
    )
    op.create_table(
        "customer_interactions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("wrap_up_code", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("queue_id", sa.String(length=64), nullable=True),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.CheckConstraint(
            "category IN ('complaint', 'consultation', 'service', 'other')",
            name=op.f("ck_customer_interactions_category"),
        ),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('resolved', 'unresolved')",
            name=op.f("ck_customer_interactions_resolution"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customer_interactions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "source", "source_id", name=op.f("pk_customer_interactions")),
    )
    op.create_index(
        op.f("ix_customer_interactions_tenant_id_customer_id_at"),
        "customer_interactions",
        ["tenant_id", "customer_id", "at"],
        unique=False,
    )
    op.create_table(
        "customer_projection_cursor",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("last_sequence", SEQUENCE, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customer_projection_cursor_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_customer_projection_cursor")),
    )
    op.create_table(
        "customer_settings",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("default_country_code", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("fcr_window_hours", sa.Double(), nullable=False),
        sa.Column("agents_see_own_site_only", sa.Boolean(), nullable=False),
        sa.Column("pii_roles", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("resolved_codes", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "default_country_code BETWEEN 1 AND 999", name=op.f("ck_customer_settings_country_code")
        ),
        sa.CheckConstraint("fcr_window_hours > 0", name=op.f("ck_customer_settings_fcr_window")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customer_settings_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_customer_settings")),
    )
    op.create_table(
        "customers",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("dialect", sa.String(length=32), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("segment", sa.String(length=64), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("consent_marketing", sa.Boolean(), nullable=False),
        sa.Column("consent_sms", sa.Boolean(), nullable=False),
        sa.Column("consent_email", sa.Boolean(), nullable=False),
        sa.Column("consent_calls", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"],
            ["sites.tenant_id", "sites.id"],
            name=op.f("fk_customers_tenant_id_site_id_sites"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_customers_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customers")),
    )
    op.create_index(
        op.f("ix_customers_tenant_id_birthday"), "customers", ["tenant_id", "birthday"], unique=False
    )
    op.create_index(
        op.f("ix_customers_tenant_id_merged_into"), "customers", ["tenant_id", "merged_into"], unique=False
    )
    op.create_index(
        op.f("ix_customers_tenant_id_name_key"), "customers", ["tenant_id", "name_key"], unique=False
    )
    op.create_table(
        "customer_contact_points",
        sa.Column("id", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("match_key", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "kind IN ('phone', 'email', 'chat')", name=op.f("ck_customer_contact_points_kind")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_customer_contact_points_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_contact_points")),
        sa.UniqueConstraint(
            "tenant_id", "kind", "value", name=op.f("uq_customer_contact_points_tenant_id_kind_value")
        ),
    )
    op.create_index(
        op.f("ix_customer_contact_points_tenant_id_customer_id"),
        "customer_contact_points",
        ["tenant_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customer_contact_points_tenant_id_match_key"),
        "customer_contact_points",
        ["tenant_id", "match_key"],
        unique=False,
    )
    op.create_table(
        "customer_products",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("plan", sa.String(length=200), nullable=True),
        sa.Column("monthly_fee_cents", sa.Integer(), nullable=True),
        sa.Column("minutes_allowance", sa.Integer(), nullable=True),
        sa.Column("data_allowance_mb", sa.Integer(), nullable=True),
        sa.Column("minutes_used", sa.Integer(), nullable=False),
        sa.Column("data_used_mb", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("product_tier", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'appliance' OR model IS NOT NULL", name=op.f("ck_customer_products_appliance")
        ),
        sa.CheckConstraint(
            "kind <> 'telecom' OR (plan IS NOT NULL AND monthly_fee_cents IS NOT NULL)",
            name=op.f("ck_customer_products_telecom"),
        ),
        sa.CheckConstraint("kind IN ('telecom', 'appliance')", name=op.f("ck_customer_products_kind")),
        sa.CheckConstraint(
            "(monthly_fee_cents IS NULL OR monthly_fee_cents >= 0) "
            "AND minutes_used >= 0 AND data_used_mb >= 0",
            name=op.f("ck_customer_products_amounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_customer_products_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customer_products_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customer_products")),
    )
    op.create_index(
        op.f("ix_customer_products_tenant_id_customer_id"),
        "customer_products",
        ["tenant_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customer_products_tenant_id_serial"),
        "customer_products",
        ["tenant_id", "serial"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_products_tenant_id_serial"), table_name="customer_products")
    op.drop_index(op.f("ix_customer_products_tenant_id_customer_id"), table_name="customer_products")
    op.drop_table("customer_products")
    op.drop_index(
        op.f("ix_customer_contact_points_tenant_id_match_key"), table_name="customer_contact_points"
    )
    op.drop_index(
        op.f("ix_customer_contact_points_tenant_id_customer_id"), table_name="customer_contact_points"
    )
    op.drop_table("customer_contact_points")
    op.drop_index(op.f("ix_customers_tenant_id_name_key"), table_name="customers")
    op.drop_index(op.f("ix_customers_tenant_id_merged_into"), table_name="customers")
    op.drop_index(op.f("ix_customers_tenant_id_birthday"), table_name="customers")
    op.drop_table("customers")
    op.drop_table("customer_settings")
    op.drop_table("customer_projection_cursor")
    op.drop_index(
        op.f("ix_customer_interactions_tenant_id_customer_id_at"), table_name="customer_interactions"
    )
    op.drop_table("customer_interactions")
    op.drop_index(op.f("ix_customer_events_tenant_id_customer_id_sequence"), table_name="customer_events")
    op.drop_table("customer_events")
