"""Customers, contact points, products and interactions (issue 5).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Reserved so the three service-application areas can land independently; its area fills it in.
"""

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
