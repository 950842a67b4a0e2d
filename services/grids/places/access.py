"""Who may see and change places: the role aliases of the endpoints and the communities and grids in the
caller's scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlmodel import col

from services.grids.models import Community, Grid
from shared.places import community_of
from shared.scope import place_scope, scope_clause, scope_values
from shared.security import Principal, allow

ANY_PLACE_ROLE = ("street_admin", "community_staff", "grid_worker", "party_member", "resident")
Reader = Annotated[Principal, Depends(allow(*ANY_PLACE_ROLE, machine_scopes=("stats:read", "grids:read")))]
Manager = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]
# Communities are made and renamed by the admins of their street only (docs/services/grids.md).
StreetAdmin = Annotated[Principal, Depends(allow("street_admin"))]
Locator = Annotated[
    Principal,
    Depends(allow("street_admin", "community_staff", "grid_worker", machine_scopes=("open311", "hotline"))),
]


def grid_scope(principal: Principal) -> Any:
    return place_scope(principal, street=col(Grid.street_code), community=col(Grid.community_code), grid=col(Grid.code))


def community_scope(principal: Principal) -> Any:
    """Communities in the caller's scope: their streets' (street admins, a client's street), their own
    (staff), and those their grids lie in (grid workers, party members, residents)."""
    parts, values = scope_values(principal)
    if "grid" in parts:
        values["scope_grids"] = sorted({community_of(code) for code in values["scope_grids"]})
    return scope_clause(
        parts, street=col(Community.street_code), community=col(Community.code), grid=col(Community.code), values=values
    )
