"""The administrative audit (docs/services/gateway.md "Audit"): every act on an account or an integration
client writes one append-only row: who, in which role, did what, to which account or client, where, when,
in which request. Only the names of the fields changed are kept, never a password, secret or phone."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import AdminAudit
from shared.context import current_request_id
from shared.places import community_of, street_of
from shared.security import Principal

# The acts written, as the audit names them.
ACTIONS = (
    "account.created",
    "account.changed",
    "account.disabled",
    "account.enabled",
    "account.password_reset",
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
