"""household: index the lists of a grid's and a community's households by address

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_household_grid_address", "household", ["grid_code", "address", "id"], unique=False)
    op.create_index("ix_household_community_address", "household", ["community_code", "address", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_household_community_address", table_name="household")
    op.drop_index("ix_household_grid_address", table_name="household")
