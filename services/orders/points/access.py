"""Who may read points: the role aliases of the routes, and which leaderboards each caller sees."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, false, or_
from sqlmodel import col

from services.orders.models import PointEntry
from shared.places import community_of
from shared.scope import any_of, area_conditions
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


def board_scope(principal: Principal, *, community: Any) -> ColumnElement[bool]:
    """Honour rolls are open within a community: to anyone who lives or serves in it, its staff,
    and the street above it."""
    conditions: list[Any]
    conditions, _ = area_conditions(principal, street=col(PointEntry.street_code), community=community)
    if not principal.machine and (grids := grid_places(principal)):
        conditions.append(any_of(community, sorted({community_of(g) for g in grids})))
    return or_(*conditions) if conditions else false()
