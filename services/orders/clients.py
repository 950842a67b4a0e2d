"""What the orders service asks the other processes, with the caller's token (``shared.peers``): the
grids service's roster (is this account a taker of the order's grid) and the residents service's
registry (is this household in that grid), and which grid holds a point; as a FastAPI dependency,
``OtherServicesDep``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from services.orders.models import ServiceOrder
from shared.peers import authorization_of, peers_of


async def is_taker(request: Request, account_id: uuid.UUID, order: ServiceOrder) -> bool:
    """Whether the roster binds the account, in a role that takes this order, to the order's grid
    (party members, volunteers), its community (staff), or marks it a partner unit (共建单位) of the
    community."""
    peers, authorization = peers_of(request), authorization_of(request)
    found = await peers.get("grids", "/api/v1/members", authorization=authorization, account_id=str(account_id))
    members = (found or {}).get("items") or []
    if not members:
        return False
    member = await peers.get("grids", f"/api/v1/members/{members[0]['id']}", authorization=authorization)
    if member is None:
        return False
    if (
        "partner_unit" in order.takers
        and member.get("is_unit")
        and member.get("community_code") == order.community_code
    ):
        return True
    for binding in member.get("bindings") or []:
        role, place = binding.get("role"), binding.get("place_code")
        if role in ("party_member", "volunteer") and role in order.takers and place == order.grid_code:
            return True
        if role == "community_staff" and "community_staff" in order.takers and place == order.community_code:
            return True
    return False


async def household_in_grid(request: Request, household_id: uuid.UUID, grid_code: str) -> bool:
    household = await peers_of(request).get(
        "residents", f"/api/v1/households/{household_id}", authorization=authorization_of(request)
    )
    return household is not None and household.get("grid_code") == grid_code


async def grid_at(request: Request, lat: float, lng: float) -> str | None:
    """The code of the caller's grid that contains the point (the grids service's polygons), or None."""
    found = await peers_of(request).get(
        "grids", "/api/v1/grids/locate", authorization=authorization_of(request), lat=lat, lng=lng
    )
    return str(found["code"]) if found and found.get("code") else None


class OtherServices:
    """The other processes, asked on behalf of the request's caller."""

    def __init__(self, request: Request) -> None:
        self._request = request

    async def is_taker(self, account_id: uuid.UUID, order: ServiceOrder) -> bool:
        return await is_taker(self._request, account_id, order)

    async def household_in_grid(self, household_id: uuid.UUID, grid_code: str) -> bool:
        return await household_in_grid(self._request, household_id, grid_code)

    async def grid_at(self, lat: float, lng: float) -> str | None:
        return await grid_at(self._request, lat, lng)


OtherServicesDep = Annotated[OtherServices, Depends(OtherServices)]
