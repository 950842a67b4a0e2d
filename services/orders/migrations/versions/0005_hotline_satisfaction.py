"""a hotline ticket's satisfaction holds basically_satisfied (19 characters)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("hotline_ticket", "satisfaction", type_=sa.String(length=20), existing_type=sa.String(length=12))


def downgrade() -> None:
    op.alter_column("hotline_ticket", "satisfaction", type_=sa.String(length=12), existing_type=sa.String(length=20))
