"""accounts made by staff, password changes, integration clients' rotation, the admin audit

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 16:45:03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=80), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("changed", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
    )
    op.create_index("ix_admin_audit_street", "admin_audit", ["street_code", "id"], unique=False)
    # Append-only: rows are written, never changed or removed.
    op.execute(
        "CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'admin_audit is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON admin_audit"
        " FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only()"
    )
    false, zero = sa.text("false"), sa.text("0")
    op.add_column("account", sa.Column("must_change_password", sa.Boolean(), server_default=false, nullable=False))
    op.add_column("account", sa.Column("token_generation", sa.Integer(), server_default=zero, nullable=False))
    op.alter_column("account", "must_change_password", server_default=None)
    op.alter_column("account", "token_generation", server_default=None)
    op.add_column("account", _at("generation_changed_at"))
    op.add_column("account", _at("password_changed_at"))
    op.add_column("account", sa.Column("home_place", sa.String(length=12), nullable=True))
    op.add_column("account", sa.Column("created_by", sa.String(length=80), nullable=True))
    op.create_index(op.f("ix_account_home_place"), "account", ["home_place"], unique=False)
    op.add_column("integration_client", sa.Column("created_by", sa.String(length=80), nullable=True))
    op.add_column("integration_client", sa.Column("previous_secret_hash", sa.String(length=255), nullable=True))
    for name in ("previous_secret_expires_at", "rotated_at", "disabled_at", "deleted_at"):
        op.add_column("integration_client", _at(name))


def downgrade() -> None:
    for name in (
        "deleted_at",
        "disabled_at",
        "rotated_at",
        "previous_secret_expires_at",
        "previous_secret_hash",
        "created_by",
    ):
        op.drop_column("integration_client", name)
    op.drop_index(op.f("ix_account_home_place"), table_name="account")
    for name in (
        "created_by",
        "home_place",
        "password_changed_at",
        "generation_changed_at",
        "token_generation",
        "must_change_password",
    ):
        op.drop_column("account", name)
    op.execute("DROP TRIGGER admin_audit_append_only ON admin_audit")
    op.execute("DROP FUNCTION admin_audit_append_only()")
    op.drop_index("ix_admin_audit_street", table_name="admin_audit")
    op.drop_table("admin_audit")
