"""Who may read and keep the service menu: the role aliases of the routes and the scope of the menus
they read by default and keep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from services.orders.models import MenuItem
from services.orders.prepared import NONE, arity, fill, match
from shared.places import community_of
from shared.scope import area_conditions, scope_values
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


@dataclass(frozen=True, slots=True)
class MenuScope:
    """The shape of the menus a caller reads: how many communities they live or are bound in, how many
    streets and communities they keep (``prepared.arity``)."""

    readable: int = NONE
    streets: int = NONE
    communities: int = NONE

    @property
    def keeper(self) -> bool:
        return bool(self.streets or self.communities)


def menu_scope_of(principal: Principal) -> tuple[MenuScope, dict[str, Any]]:
    """The caller's ``MenuScope`` and the values of its parameters (``menu_clause``)."""
    readable = readable_communities(principal)
    parts, codes = scope_values(principal)
    streets = codes["scope_streets"] if "street" in parts else []
    communities = codes["scope_communities"] if "community" in parts else []
    values: dict[str, Any] = {}
    fill(values, "m_readable", readable)
    fill(values, "m_streets", streets)
    fill(values, "m_communities", communities)
    return MenuScope(readable=arity(readable), streets=arity(streets), communities=arity(communities)), values


def menu_clause(scope: MenuScope) -> ColumnElement[bool]:
    """The menus a caller of this scope reads: their own community's and those they keep."""
    conditions = [
        match(col(MenuItem.community_code), "m_readable", scope.readable),
        match(col(MenuItem.street_code), "m_streets", scope.streets),
        match(col(MenuItem.community_code), "m_communities", scope.communities),
    ]
    return or_(*conditions)


def managed(principal: Principal) -> list[ColumnElement[bool]]:
    """Menus the caller keeps: their community's (staff), their street's (street admins)."""
    conditions, _ = area_conditions(principal, street=col(MenuItem.street_code), community=col(MenuItem.community_code))
    return conditions
