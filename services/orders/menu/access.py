"""Who may read and keep the service menu: the role aliases of the routes and the scope of the menus
they read by default and keep."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement
from sqlmodel import col

from services.orders.models import MenuItem
from shared.places import community_of
from shared.scope import area_conditions
from shared.security import ROLES, Principal, allow

Anyone = Annotated[Principal, Depends(allow(*ROLES, machine_scopes=("orders:read",)))]
Keeper = Annotated[Principal, Depends(allow("community_staff", "street_admin"))]


def readable_communities(principal: Principal) -> list[str]:
    """The communities whose menu the caller reads by default: where they live or are bound."""
    communities = list(principal.places_of("community_staff"))
    for role in ("grid_worker", "party_member", "volunteer", "building_head"):
        communities += [community_of(code) for code in principal.places_of(role)]
    if principal.has_role("resident") and principal.grid_code:
        communities.append(community_of(principal.grid_code))
    return list(dict.fromkeys(communities))


def managed(principal: Principal) -> list[ColumnElement[bool]]:
    """Menus the caller keeps: their community's (staff), their street's (street admins)."""
    conditions, _ = area_conditions(principal, street=col(MenuItem.street_code), community=col(MenuItem.community_code))
    return conditions
