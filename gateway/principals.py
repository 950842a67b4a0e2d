"""What goes into an account's token: its roles, the places each role is bound to, and for a
resident the resident, household and grid.

The stand-in tables of the gateway answer for now; the grids service (bindings) and the residents
service (households) take over in their issues, behind this one function.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.models import Account, AccountBinding


async def claims_for(session: AsyncSession, account: Account) -> dict[str, Any]:
    bindings = (await session.scalars(select(AccountBinding).where(col(AccountBinding.account_id) == account.id))).all()
    places: dict[str, list[str]] = {}
    for binding in bindings:
        codes = places.setdefault(binding.role, [])
        if binding.place_code:
            codes.append(binding.place_code)
    claims: dict[str, Any] = {"roles": sorted(places), "places": {r: sorted(c) for r, c in places.items() if c}}
    if "resident" in places:
        claims.update(
            resident_id=str(account.resident_id) if account.resident_id else None,
            household_id=str(account.household_id) if account.household_id else None,
            grid_code=account.grid_code,
        )
    claims["name"] = account.display_name
    return claims
