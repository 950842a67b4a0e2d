"""Who may see and change places: the role aliases of the endpoints and the grids in the caller's scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlmodel import col

from services.grids.models import Grid
from shared.scope import place_scope
from shared.security import Principal, allow

ANY_PLACE_ROLE = ("street_admin", "community_staff", "grid_worker", "party_member", "resident")
Reader = Annotated[Principal, Depends(allow(*ANY_PLACE_ROLE, machine_scopes=("stats:read", "grids:read")))]
Manager = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]
Locator = Annotated[
    Principal, Depends(allow("street_admin", "community_staff", "grid_worker", machine_scopes=("open311",)))
]


def grid_scope(principal: Principal) -> Any:
    return place_scope(principal, street=col(Grid.street_code), community=col(Grid.community_code), grid=col(Grid.code))
