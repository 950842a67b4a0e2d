"""Who may add and read compounds, buildings and households."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import false, or_
from sqlmodel import col

from services.residents.models import Building, Compound, Household
from shared.errors import NotFound
from shared.places import community_of
from shared.scope import any_of, place_scope
from shared.security import Principal, allow

Staff = Annotated[Principal, Depends(allow("community_staff"))]
Registrar = Annotated[Principal, Depends(allow("community_staff", "grid_worker"))]
Reader = Annotated[
    Principal,
    Depends(
        allow("street_admin", "community_staff", "grid_worker", "resident", machine_scopes=("stats:read", "open311"))
    ),
]
Gateway = Annotated[Principal, Depends(allow(machine_scopes=("internal",)))]


def compound_scope(principal: Principal) -> Any:
    """Compounds of the caller's street (admins, integration clients), community (staff), or the
    communities of their grids and home: the names of places are no secret to those who live there."""
    if principal.machine:
        return col(Compound.street_code) == principal.street_code if principal.street_code else false()
    conditions = []
    if streets := principal.places_of("street_admin"):
        conditions.append(any_of(col(Compound.street_code), streets))
    communities = set(principal.places_of("community_staff"))
    communities |= {community_of(code) for code in principal.places_of("grid_worker")}
    if principal.has_role("resident") and principal.grid_code:
        communities.add(community_of(principal.grid_code))
    if communities:
        conditions.append(any_of(col(Compound.community_code), sorted(communities)))
    return or_(*conditions) if conditions else false()


def building_scope(principal: Principal) -> Any:
    """Buildings of the caller's street, community or grids (a resident: their grid's)."""
    return place_scope(
        principal,
        street=col(Building.street_code),
        community=col(Building.community_code),
        grid=col(Building.grid_code),
    )


def kept_by_staff(principal: Principal) -> Any:
    """Households of the communities the caller is staff of: those they change and remove."""
    return any_of(col(Household.community_code), principal.places_of("community_staff"))


def check_community_staff(principal: Principal, community_code: str) -> None:
    """Places are added by hand by the community's staff (imports add them too)."""
    if community_code not in principal.places_of("community_staff"):
        raise NotFound(f"no community {community_code} you keep")
