"""an issue's address, at building level

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 02:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("service_order", sa.Column("address", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("service_order", "address")
