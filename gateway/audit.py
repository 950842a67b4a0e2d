"""The administrative audit (docs/services/gateway.md "Audit"): every act on an account or an integration
client writes one append-only row: who, in which role, did what, to which account or client, where, when,
in which request. Only the names of the fields changed are kept, never a password, secret or phone."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.auth.access import audit_scope
from gateway.auth.schemas import AuditEntry
from gateway.models import AdminAudit
from shared.context import current_request_id
from shared.pagination import decode_cursor, page_of
from shared.places import community_of, street_of
from shared.security import Principal

# The acts written, as the audit names them.
ACTIONS = (
    "account.created",
    "account.changed",
    "account.disabled",
    "account.enabled",
    "account.password_reset",
    "account.sign_in_failures_cleared",
    "client.created",
    "client.rotated",
    "client.disabled",
    "client.enabled",
    "client.deleted",
)


def actor_role(principal: Principal | None) -> str:
    """The role the act was done in: the most senior one the caller holds."""
    if principal is None:
        return "bootstrap"
    for role in ("street_admin", "community_staff"):
        if principal.has_role(role):
            return role
    return "integration_client" if principal.machine else "user"


async def record(
    session: AsyncSession,
    *,
    principal: Principal | None,
    action: str,
    target_type: str,
    target_id: str,
    place_code: str,
    changed: Iterable[str] = (),
) -> None:
    """One row in the caller's transaction: it is written exactly when the act is."""
    assert action in ACTIONS, action
    session.add(
        AdminAudit(
            actor=principal.sub if principal is not None else "bootstrap",
            actor_role=actor_role(principal),
            action=action,
            target_type=target_type,
            target_id=target_id,
            street_code=street_of(place_code),
            community_code=community_of(place_code) if len(place_code) >= 12 else None,
            request_id=current_request_id(),
            changed=sorted(changed),
        )
    )
    await session.flush()


async def entries(
    *,
    session: AsyncSession,
    principal: Principal,
    action: str | None,
    target_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEntry], str | None]:
    """A page of the audit of the caller's streets, newest first."""
    statement = select(AdminAudit).where(audit_scope(principal))
    if action is not None:
        statement = statement.where(col(AdminAudit.action) == action)
    if target_id is not None:
        statement = statement.where(col(AdminAudit.target_id) == target_id)
    if cursor:
        (before,) = decode_cursor(cursor, (int,))
        statement = statement.where(col(AdminAudit.id) < before)
    rows = (await session.scalars(statement.order_by(col(AdminAudit.id).desc()).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda row: (row.id,))
    return [AuditEntry.model_validate(row, from_attributes=True) for row in items], next_cursor
