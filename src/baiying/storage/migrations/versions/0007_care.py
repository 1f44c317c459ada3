"""Care: the plan catalogue, monthly usage per subscription, and offer outcomes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Written out in full; `tests/storage/test_migrations.py` checks it against the models.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(64)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "care_plans",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("monthly_fee_fen", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("data_mb", sa.Integer(), nullable=False),
        sa.Column("extra_minute_fen", sa.Integer(), nullable=False),
        sa.Column("extra_mb_fen", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "monthly_fee_fen >= 0 AND minutes >= 0 AND data_mb >= 0"
            " AND extra_minute_fen >= 0 AND extra_mb_fen >= 0",
            name=op.f("ck_care_plans_not_negative"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_care_plans_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_plans")),
    )
    op.create_table(
        "care_usage",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("data_mb", sa.Integer(), nullable=False),
        sa.CheckConstraint("minutes >= 0 AND data_mb >= 0", name=op.f("ck_care_usage_not_negative")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_care_usage_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "product_id", "month", name=op.f("pk_care_usage")),
    )
    op.create_table(
        "care_offer_outcomes",
        sa.Column("id", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("offer_id", ID, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("contact_id", ID, nullable=True),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('shown', 'accepted', 'declined', 'later')",
            name=op.f("ck_care_offer_outcomes_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_care_offer_outcomes_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_offer_outcomes")),
    )
    op.create_index(
        op.f("ix_care_offer_outcomes_tenant_id_customer_id_offer_id"),
        "care_offer_outcomes",
        ["tenant_id", "customer_id", "offer_id"],
    )
    op.create_index(op.f("ix_care_offer_outcomes_tenant_id_at"), "care_offer_outcomes", ["tenant_id", "at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_care_offer_outcomes_tenant_id_at"), table_name="care_offer_outcomes")
    op.drop_index(
        op.f("ix_care_offer_outcomes_tenant_id_customer_id_offer_id"), table_name="care_offer_outcomes"
    )
    op.drop_table("care_offer_outcomes")
    op.drop_table("care_usage")
    op.drop_table("care_plans")
