"""Who may read and keep residents: the role aliases of the registry's routes and the scope conditions
(in the SQL) that every read of residents and households goes through."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import String, Uuid, any_, bindparam, false, or_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine
from sqlmodel import col

from services.residents.models import Household, Resident
from services.residents.vocab import STANDARD_TAGS
from shared.places import community_of
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


ScopeShape = tuple[tuple[str, bool], ...]
"""The parts of the caller's scope (``street``, ``community``, ``grid``, ``household``), each with whether it
holds more than one value: what a statement prepared once per shape needs to know of the caller."""

_SCOPE_TYPES: dict[str, TypeEngine[Any]] = {
    "street": String(),
    "community": String(),
    "grid": String(),
    "household": Uuid(),
}


def scope_of(principal: Principal) -> tuple[ScopeShape, dict[str, Any]]:
    """The caller's scope as parts and the values that fill them (``scope_street`` ...): rows in the
    caller's street (admins, integration clients), community (staff), grids (grid workers), and for a
    resident their own household."""
    if principal.machine:
        return ((("street", False),), {"scope_street": principal.street_code}) if principal.street_code else ((), {})
    shape: list[tuple[str, bool]] = []
    values: dict[str, Any] = {}
    for part, role in (("street", "street_admin"), ("community", "community_staff"), ("grid", "grid_worker")):
        if codes := principal.places_of(role):
            shape.append((part, len(codes) > 1))
            values[f"scope_{part}"] = list(codes) if len(codes) > 1 else codes[0]
    if principal.has_role("resident") and principal.household_id:
        shape.append(("household", False))
        values["scope_household"] = uuid.UUID(principal.household_id)
    return tuple(shape), values


def scope_clause(shape: ScopeShape, columns: dict[str, Any], *, values: dict[str, Any] | None = None) -> Any:
    """The WHERE clause of a scope's shape over ``columns`` (the table's column for each part): with
    named parameters for a prepared statement, or, given the ``values``, bound. One value is plain
    equality, so an index on (column, sort key) also gives the order; several are ``= ANY`` of one array."""
    conditions = []
    for part, many in shape:
        name, element = f"scope_{part}", _SCOPE_TYPES[part]
        if values is None:
            parameter = bindparam(name, type_=ARRAY(element) if many else element)
        else:  # bound: unique, so two scopes may meet in one statement
            parameter = bindparam(name, values[name], type_=ARRAY(element) if many else element, unique=True)
        conditions.append(columns[part] == (any_(parameter) if many else parameter))
    return or_(*conditions) if conditions else false()


# Each table's column for each part of a scope.
RESIDENT_PLACES: dict[str, Any] = {
    "street": col(Resident.street_code),
    "community": col(Resident.community_code),
    "grid": col(Resident.grid_code),
    "household": col(Resident.household_id),
}
HOUSEHOLD_PLACES: dict[str, Any] = {
    "street": col(Household.street_code),
    "community": col(Household.community_code),
    "grid": col(Household.grid_code),
    "household": col(Household.id),
}


def resident_scope_clause(shape: ScopeShape) -> Any:
    """The scope of residents, with named parameters (``scope_of``'s values fill them)."""
    return scope_clause(shape, RESIDENT_PLACES)


def household_scope_clause(shape: ScopeShape) -> Any:
    """The scope of households, with named parameters (``scope_of``'s values fill them)."""
    return scope_clause(shape, HOUSEHOLD_PLACES)


def resident_scope(principal: Principal) -> Any:
    """The caller's scope of residents, its values bound."""
    shape, values = scope_of(principal)
    return scope_clause(shape, RESIDENT_PLACES, values=values)


def household_scope(principal: Principal) -> Any:
    """The caller's scope of households, its values bound."""
    shape, values = scope_of(principal)
    return scope_clause(shape, HOUSEHOLD_PLACES, values=values)


def may_write(principal: Principal, grid_code: str) -> bool:
    """Staff of the community, or the grid's grid worker, keep a resident's record."""
    return community_of(grid_code) in principal.places_of("community_staff") or grid_code in principal.places_of(
        "grid_worker"
    )


def sees_sensitive(principal: Principal) -> bool:
    return not principal.machine and principal.has_role(*SENSITIVE_READERS)


def visible_tags(tags: list[str], principal: Principal) -> list[str]:
    return list(tags) if sees_sensitive(principal) else [t for t in tags if t not in SENSITIVE_TAGS]
