"""Tickets, workflows and SLA clocks (issue 5).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Reserved so the three service-application areas can land independently; its area fills it in.
"""

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
