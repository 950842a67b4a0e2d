"""Visits newest first per street and per community: the visits list reads each part of a caller's scope
along its own index (``visits.service._list_query``).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_visit_street_time", "visit", ["street_code", "visited_at", "id"])
    op.create_index("ix_visit_community_time", "visit", ["community_code", "visited_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_visit_community_time", table_name="visit")
    op.drop_index("ix_visit_street_time", table_name="visit")
