"""sign-in failures slow an identifier down instead of locking it: the latest failure of a counter, and
the addresses each account has signed in from (keyed hashes)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 05:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("throttle", sa.Column("last_hit_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "sign_in_source",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("source_hash", sa.LargeBinary(), nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_sign_in_source_account_id_account")),
        sa.PrimaryKeyConstraint("account_id", "source_hash", name=op.f("pk_sign_in_source")),
    )
    # The old per-identifier lock's counters: their keys are no longer read.
    op.execute("DELETE FROM throttle WHERE key LIKE 'login-id:%' OR key LIKE 'password-reset:%'")


def downgrade() -> None:
    op.drop_table("sign_in_source")
    op.drop_column("throttle", "last_hit_at")
