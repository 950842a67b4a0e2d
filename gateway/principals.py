"""What goes into an account's token: its roles, the places each role is bound to, and for a
resident the resident, household and grid.

Roles and places come from the roster of the grids service at every issue and refresh, so a change
there shows in the next token. The gateway keeps the last answer (``AccountBinding``) as a snapshot
that lets staff find and manage the accounts of their places. A resident's household is still the
gateway's own record until the residents service answers for it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.models import Account, AccountBinding
from gateway.roster import RosterClient


async def claims_for(session: AsyncSession, roster: RosterClient, account: Account) -> dict[str, Any]:
    places = await roster.bindings(str(account.id))
    if account.resident_id is not None:
        places["resident"] = []
    await session.execute(delete(AccountBinding).where(col(AccountBinding.account_id) == account.id))
    session.add_all(
        AccountBinding(account_id=account.id, role=role, place_code=code)
        for role, codes in places.items()
        for code in codes or [""]
    )
    await session.flush()
    claims: dict[str, Any] = {"roles": sorted(places), "places": {r: sorted(c) for r, c in places.items() if c}}
    if "resident" in places:
        claims.update(
            resident_id=str(account.resident_id),
            household_id=str(account.household_id) if account.household_id else None,
            grid_code=account.grid_code,
        )
    claims["name"] = account.display_name
    return claims
