"""grid boundary polygons with a GiST index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE grid ADD COLUMN boundary polygon")
    op.create_index("ix_grid_boundary", "grid", ["boundary"], unique=False, postgresql_using="gist")


def downgrade() -> None:
    op.drop_index("ix_grid_boundary", table_name="grid", postgresql_using="gist")
    op.drop_column("grid", "boundary")
