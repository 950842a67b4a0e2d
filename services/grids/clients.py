"""Facts the grids service needs from the processes that own them, asked with the caller's own token
(``shared.peers``), so the owner applies its own scope: a compound and a resident's home (residents
service), an ``issue`` order and the community's menu (orders service), whether an account lies in the
caller's places (gateway). Only ids, codes and the names of places or menu items are kept from the
answers. Routes take them as a FastAPI dependency, ``OtherServicesDep``. (Households are not asked
for: the service keeps a copy of them, ``households.py``.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from shared.errors import Forbidden
from shared.peers import ResidentHome, authorization_of, peers_of, resident_home


@dataclass(frozen=True, slots=True)
class CompoundFact:
    id: uuid.UUID
    name: str
    community_code: str
    street_code: str


@dataclass(frozen=True, slots=True)
class OrderFact:
    id: uuid.UUID
    kind: str
    grid_code: str
    community_code: str


class OtherServices:
    """The residents and orders services and the gateway, asked on behalf of the request's caller."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self._peers, self._authorization = peers_of(request), authorization_of(request)

    async def gateway_account(self, account_id: uuid.UUID) -> bool:
        """Whether the account exists and lies in the caller's places, as the gateway answers the caller
        (``GET /api/v1/accounts/{id}``: 404 or 403 when not); 503 while the gateway cannot answer."""
        try:
            body = await self._peers.get("gateway", f"/api/v1/accounts/{account_id}", authorization=self._authorization)
        except Forbidden:
            return False
        return body is not None

    async def resident_home(self, resident_id: uuid.UUID) -> ResidentHome | None:
        """The resident's household and places, if the caller may see the resident."""
        return await resident_home(self._request, resident_id)

    async def compound(self, compound_id: uuid.UUID) -> CompoundFact | None:
        """The compound, if the caller may see it at the residents service."""
        body = await self._peers.get("residents", f"/api/v1/compounds/{compound_id}", authorization=self._authorization)
        if body is None:
            return None
        return CompoundFact(
            id=uuid.UUID(str(body["id"])),
            name=str(body["name"]),
            community_code=str(body["community_code"]),
            street_code=str(body["street_code"]),
        )

    async def order(self, order_id: uuid.UUID) -> OrderFact | None:
        """The order, if the caller may see it at the orders service."""
        body = await self._peers.get("orders", f"/api/v1/orders/{order_id}", authorization=self._authorization)
        if body is None:
            return None
        return OrderFact(
            id=uuid.UUID(str(body["id"])),
            kind=str(body["kind"]),
            grid_code=str(body["grid_code"]),
            community_code=str(body["community_code"]),
        )

    async def menu(self, community_code: str) -> dict[uuid.UUID, str]:
        """The items a community's residents may order (id → name), as its menu answers the caller."""
        body = await self._peers.get(
            "orders", "/api/v1/menu", authorization=self._authorization, community_code=community_code
        )
        items = (body or {}).get("items", [])
        return {
            uuid.UUID(str(item["id"])): str(item["name"])
            for item in items
            if item.get("allowed", True) and item.get("active", True) and item.get("community_code") == community_code
        }


OtherServicesDep = Annotated[OtherServices, Depends(OtherServices)]
