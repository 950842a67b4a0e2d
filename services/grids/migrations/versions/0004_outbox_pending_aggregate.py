"""outbox: index the undelivered events by aggregate (the relay keeps each aggregate's events in order)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_event_pending_aggregate",
        "outbox_event",
        ["aggregate_id", "seq"],
        unique=False,
        postgresql_where="delivered_at IS NULL AND dead_at IS NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_event_pending_aggregate", table_name="outbox_event")
