"""household copy: its building, compound and removal, fed by the residents service's events; the inbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_event")),
    )
    # Null on the rows already there until the copy hears their facts (an event, the resync, the demo).
    op.add_column("household", sa.Column("building_id", sa.Uuid(), nullable=True))
    op.add_column("household", sa.Column("compound_id", sa.Uuid(), nullable=True))
    op.add_column("household", sa.Column("compound_name", sa.String(length=100), nullable=True))
    op.add_column("household", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_household_compound_id"), "household", ["compound_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_household_compound_id"), table_name="household")
    op.drop_column("household", "removed_at")
    op.drop_column("household", "compound_name")
    op.drop_column("household", "compound_id")
    op.drop_column("household", "building_id")
    op.drop_table("inbox_event")
