"""Who may read and keep residents: the role aliases of the registry's routes and the scope conditions
(in the SQL) that every read of residents and households goes through."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import false, or_
from sqlmodel import col

from services.residents.models import Household, Resident
from services.residents.vocab import STANDARD_TAGS
from shared.places import community_of
from shared.scope import any_of
from shared.security import Principal, allow

Registrar = Annotated[Principal, Depends(allow("community_staff", "grid_worker"))]
Reader = Annotated[
    Principal,
    Depends(
        allow("street_admin", "community_staff", "grid_worker", "resident", machine_scopes=("stats:read", "open311"))
    ),
]
Analyst = Annotated[Principal, Depends(allow("community_staff", "street_admin", machine_scopes=("stats:read",)))]
Gateway = Annotated[Principal, Depends(allow(machine_scopes=("internal",)))]

SENSITIVE_TAGS = frozenset(code for code, (_, sensitive) in STANDARD_TAGS.items() if sensitive)
# Roles that need sensitive tags (health, minors, hardship): the community's staff and the grid's worker.
SENSITIVE_READERS = ("community_staff", "grid_worker")


def _place_scope(principal: Principal, *, street: Any, community: Any, grid: Any, household: Any) -> Any:
    """Rows in the caller's street (admins, integration clients), community (staff), grids (grid
    workers), and for a resident their own household."""
    conditions = []
    if principal.machine:
        return street == principal.street_code if principal.street_code else false()
    if streets := principal.places_of("street_admin"):
        conditions.append(any_of(street, streets))
    if communities := principal.places_of("community_staff"):
        conditions.append(any_of(community, communities))
    if grids := principal.places_of("grid_worker"):
        conditions.append(any_of(grid, grids))
    if principal.has_role("resident") and principal.household_id:
        conditions.append(household == uuid.UUID(principal.household_id))
    return or_(*conditions) if conditions else false()


def resident_scope(principal: Principal) -> Any:
    return _place_scope(
        principal,
        street=col(Resident.street_code),
        community=col(Resident.community_code),
        grid=col(Resident.grid_code),
        household=col(Resident.household_id),
    )


def household_scope(principal: Principal) -> Any:
    return _place_scope(
        principal,
        street=col(Household.street_code),
        community=col(Household.community_code),
        grid=col(Household.grid_code),
        household=col(Household.id),
    )


def may_write(principal: Principal, grid_code: str) -> bool:
    """Staff of the community, or the grid's grid worker, keep a resident's record."""
    return community_of(grid_code) in principal.places_of("community_staff") or grid_code in principal.places_of(
        "grid_worker"
    )


def sees_sensitive(principal: Principal) -> bool:
    return not principal.machine and principal.has_role(*SENSITIVE_READERS)


def visible_tags(tags: list[str], principal: Principal) -> list[str]:
    return list(tags) if sees_sensitive(principal) else [t for t in tags if t not in SENSITIVE_TAGS]
