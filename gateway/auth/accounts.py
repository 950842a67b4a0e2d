"""Account administration: staff see and disable the accounts bound to places in their scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.auth.access import manageable
from gateway.auth.schemas import AccountPublic
from gateway.context import GatewayContext
from gateway.models import Account, AccountBinding
from shared.errors import Conflict, NotFound
from shared.pii import mask_phone
from shared.security import Principal

_PHONE_FIELD = "phone"


async def _load(session: AsyncSession, principal: Principal, account_id: uuid.UUID) -> Account:
    account = await session.scalar(select(Account).where(col(Account.id) == account_id, manageable(principal)))
    if account is None:
        raise NotFound("no such account in your scope")
    return account


async def public(session: AsyncSession, context: GatewayContext, account: Account) -> AccountPublic:
    bindings = (await session.scalars(select(AccountBinding).where(col(AccountBinding.account_id) == account.id))).all()
    roles: dict[str, list[str]] = {}
    for binding in bindings:
        roles.setdefault(binding.role, []).append(binding.place_code)
    phone = context.pii.decrypt(account.phone_encrypted, field=_PHONE_FIELD) if account.phone_encrypted else None
    return AccountPublic(
        id=account.id,
        username=account.username,
        phone=mask_phone(phone) if phone else None,
        display_name=account.display_name,
        enabled=account.enabled,
        roles={role: sorted(c for c in codes if c) for role, codes in roles.items()},
    )


async def get(*, session: AsyncSession, principal: Principal, account_id: uuid.UUID) -> Account:
    return await _load(session, principal, account_id)


async def set_enabled(
    *, session: AsyncSession, context: GatewayContext, principal: Principal, account_id: uuid.UUID, enabled: bool
) -> Account:
    account = await _load(session, principal, account_id)
    if account.id == principal.account_id:
        raise Conflict("you cannot disable or enable your own account")
    account.enabled = enabled
    account.disabled_at = None if enabled else datetime.now(UTC)
    await session.flush()
    # This replica stops the account's tokens at once; the others reload within a second.
    if enabled:
        context.disabled.discard(str(account.id))
    else:
        context.disabled.add(str(account.id))
    return account
