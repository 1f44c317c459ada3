"""Care settings per tenant (the contact-frequency caps); the contact a ticket was recorded in; each
tenant's versions of its ticket configuration files.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Written out in full; `tests/storage/test_migrations.py` checks it against the models.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "care_settings",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("contact_caps", sa.JSON(), nullable=False),
        sa.Column("updated_by", ID, nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_care_settings_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_care_settings")),
    )
    op.add_column("tickets", sa.Column("contact_id", ID, nullable=True))
    op.create_table(
        "ticket_config_files",
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_ticket_config_files_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "name", "version", name=op.f("pk_ticket_config_files")),
    )


def downgrade() -> None:
    op.drop_table("ticket_config_files")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("contact_id")
    op.drop_table("care_settings")
