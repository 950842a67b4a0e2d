"""What goes into an account's token: its roles, the places each role is bound to, and for a
resident the resident, household and grid.

Both come from their owners at every issue and refresh, so a change there shows in the next token:
roles and places from the roster of the grids service, a resident's household and grid from the
residents service's registry. The gateway keeps the last answers (``AccountBinding``, the account's
household and grid) as a snapshot that lets staff find and manage the accounts of their places.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.context import GatewayContext
from gateway.models import Account, AccountBinding


async def claims_for(session: AsyncSession, context: GatewayContext, account: Account) -> dict[str, Any]:
    places = await context.roster.bindings(str(account.id))
    home = await context.registry.resident(resident_id=str(account.resident_id)) if account.resident_id else None
    if home is not None:
        places["resident"] = []
        account.household_id = uuid.UUID(home["household_id"])
        account.grid_code = home["grid_code"]
    await session.execute(delete(AccountBinding).where(col(AccountBinding.account_id) == account.id))
    session.add_all(
        AccountBinding(account_id=account.id, role=role, place_code=code)
        for role, codes in places.items()
        for code in codes or [""]
    )
    await session.flush()
    claims: dict[str, Any] = {"roles": sorted(places), "places": {r: sorted(c) for r, c in places.items() if c}}
    if home is not None:
        claims.update(resident_id=home["resident_id"], household_id=home["household_id"], grid_code=home["grid_code"])
    claims["name"] = account.display_name
    claims["gen"] = account.token_generation
    if account.must_change_password:
        claims["pwd_change"] = True
    return claims
