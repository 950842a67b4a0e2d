"""a deleted webhook endpoint is marked deleted (it was only disabled, and could be enabled again)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook_endpoint", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE webhook_endpoint SET deleted_at = updated_at "
        "WHERE NOT enabled AND disabled_reason = 'deleted by the client' AND url = ''"
    )


def downgrade() -> None:
    op.drop_column("webhook_endpoint", "deleted_at")
