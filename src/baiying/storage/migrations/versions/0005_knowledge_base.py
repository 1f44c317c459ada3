"""Knowledge-base articles and their search index (issue 5).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Reserved so the three service-application areas can land independently; its area fills it in.
"""

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
