"""Who may read points: the role aliases of the routes, and which leaderboards each caller sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, false, or_

from services.orders.prepared import NONE, arity, fill, match
from shared.places import community_of
from shared.scope import scope_values
from shared.security import ROLES, Principal, allow

OVERSEERS = ("community_staff", "street_admin", "grid_worker", "party_member", "volunteer")
Anyone = Annotated[Principal, Depends(allow(*ROLES, machine_scopes=("orders:read", "stats:read")))]
Analyst = Annotated[Principal, Depends(allow("community_staff", "street_admin", machine_scopes=("stats:read",)))]
Earner = Annotated[Principal, Depends(allow(*ROLES))]
Overseer = Annotated[Principal, Depends(allow(*OVERSEERS, machine_scopes=("stats:read",)))]


def grid_places(principal: Principal) -> list[str]:
    grids = [code for role in ("grid_worker", "party_member", "volunteer") for code in principal.places_of(role)]
    if principal.has_role("resident") and principal.grid_code:
        grids.append(principal.grid_code)
    return grids


@dataclass(frozen=True, slots=True)
class BoardScope:
    """The shape of the honour rolls a caller sees (``board_clause``): how many streets they run, how
    many communities they staff, and how many they live or serve in (``prepared.arity``)."""

    streets: int = NONE
    communities: int = NONE
    lived: int = NONE


def board_scope_of(principal: Principal) -> tuple[BoardScope, dict[str, Any]]:
    """Honour rolls are open within a community: to anyone who lives or serves in it, its staff,
    and the street above it. The caller's ``BoardScope`` and the values of its parameters."""
    parts, codes = scope_values(principal)
    streets = codes["scope_streets"] if "street" in parts else []
    communities = codes["scope_communities"] if "community" in parts else []
    grids = [] if principal.machine else grid_places(principal)
    lived = sorted({community_of(grid) for grid in grids})
    values: dict[str, Any] = {}
    fill(values, "b_streets", streets)
    fill(values, "b_communities", communities)
    fill(values, "b_lived", lived)
    return BoardScope(streets=arity(streets), communities=arity(communities), lived=arity(lived)), values


def board_clause(scope: BoardScope, *, street: Any, community: Any) -> ColumnElement[bool]:
    """The rows of the communities a caller of this scope sees (with ``board_scope_of``'s values), on
    a table's ``street`` and ``community`` columns."""
    conditions = []
    if scope.streets:
        conditions.append(match(street, "b_streets", scope.streets))
    if scope.communities:
        conditions.append(match(community, "b_communities", scope.communities))
    if scope.lived:
        conditions.append(match(community, "b_lived", scope.lived))
    return or_(*conditions) if conditions else false()
