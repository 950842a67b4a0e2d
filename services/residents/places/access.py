"""Who may add and read compounds, buildings and households."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlmodel import col

from services.residents.models import Building, Compound, Household
from services.residents.registry.access import ScopeShape, scope_clause
from shared.errors import NotFound
from shared.places import community_of
from shared.scope import any_of, scope_values
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


def _shaped(parts: list[tuple[str, list[Any]]]) -> tuple[ScopeShape, dict[str, Any]]:
    """Scope parts and their codes as a shape (one code or several) and the values that fill it."""
    shape = tuple((part, len(codes) > 1) for part, codes in parts)
    return shape, {f"scope_{part}": codes if len(codes) > 1 else codes[0] for part, codes in parts}


def compound_scope(principal: Principal) -> tuple[ScopeShape, dict[str, Any]]:
    """Compounds of the caller's street (admins, integration clients), community (staff), or the
    communities of their grids and home: the names of places are no secret to those who live there."""
    if principal.machine:
        return _shaped([("street", [principal.street_code])] if principal.street_code else [])
    parts: list[tuple[str, list[Any]]] = []
    if streets := principal.places_of("street_admin"):
        parts.append(("street", list(streets)))
    communities = set(principal.places_of("community_staff"))
    communities |= {community_of(code) for code in principal.places_of("grid_worker")}
    if principal.has_role("resident") and principal.grid_code:
        communities.add(community_of(principal.grid_code))
    if communities:
        parts.append(("community", sorted(communities)))
    return _shaped(parts)


def compound_scope_clause(shape: ScopeShape) -> Any:
    return scope_clause(
        shape, {"street": col(Compound.street_code), "community": col(Compound.community_code), "grid": None}
    )


def building_scope(principal: Principal) -> tuple[ScopeShape, dict[str, Any]]:
    """Buildings of the caller's street, community or grids (a resident: their grid's), as
    ``shared.scope.place_scope`` says."""
    parts, values = scope_values(principal)
    return _shaped([(part, values[_SHARED_NAMES[part]]) for part in parts])


_SHARED_NAMES = {"street": "scope_streets", "community": "scope_communities", "grid": "scope_grids"}


def building_scope_clause(shape: ScopeShape) -> Any:
    return scope_clause(
        shape,
        {
            "street": col(Building.street_code),
            "community": col(Building.community_code),
            "grid": col(Building.grid_code),
        },
    )


def kept_by_staff(principal: Principal) -> Any:
    """Households of the communities the caller is staff of: those they change and remove."""
    return any_of(col(Household.community_code), principal.places_of("community_staff"))


def check_community_staff(principal: Principal, community_code: str) -> None:
    """Places are added by hand by the community's staff (imports add them too)."""
    if community_code not in principal.places_of("community_staff"):
        raise NotFound(f"no community {community_code} you keep")
