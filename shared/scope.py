"""Data scope (ARCHITECTURE.md) as SQL: the WHERE clause that limits rows to the caller's places.

A row outside the caller's scope is simply not found, so it answers 404 like a row that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam, false, or_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

from shared.security import Principal


def any_of(
    column: ColumnElement[Any] | Any, values: Sequence[Any], element_type: TypeEngine[Any] | None = None
) -> ColumnElement[bool]:
    """``column = ANY($n)``: one array parameter, so the statement's text (and asyncpg's prepared
    statement) is the same whatever the number of values, unlike ``IN (...)``; a single value is
    ``column = $n``. Text values unless ``element_type`` says otherwise (``Uuid()`` for ids)."""
    values = list(values)
    if len(values) == 1:
        # One value (the common case: one community, one grid) as plain equality, so an index on
        # (column, sort key) also gives the order and a page is read without sorting the place.
        single: ColumnElement[bool] = column == bindparam(None, values[0], type_=element_type or String())
        return single
    array = ARRAY(element_type if element_type is not None else String())
    result: ColumnElement[bool] = column == any_(bindparam(None, values, type_=array))
    return result


ScopeParts = tuple[str, ...]


def scope_values(principal: Principal) -> tuple[ScopeParts, dict[str, Any]]:
    """Which parts of the place scope apply to the caller, and the codes that fill them."""
    parts: list[str] = []
    values: dict[str, Any] = {}
    if principal.machine:
        if principal.street_code:
            parts.append("street")
            values["scope_streets"] = [principal.street_code]
        return tuple(parts), values
    if codes := principal.places_of("street_admin"):
        parts.append("street")
        values["scope_streets"] = list(codes)
    if codes := principal.places_of("community_staff"):
        parts.append("community")
        values["scope_communities"] = list(codes)
    grid_codes = list(principal.places_of("grid_worker") + principal.places_of("party_member"))
    if principal.has_role("resident") and principal.grid_code:
        grid_codes.append(principal.grid_code)
    if grid_codes:
        parts.append("grid")
        values["scope_grids"] = grid_codes
    return tuple(parts), values


_SCOPE_PARAMS = {"street": "scope_streets", "community": "scope_communities", "grid": "scope_grids"}


def scope_clause(
    parts: ScopeParts,
    *,
    street: ColumnElement[Any] | Any,
    community: ColumnElement[Any] | Any,
    grid: ColumnElement[Any] | Any,
    values: dict[str, Any] | None = None,
) -> ColumnElement[bool]:
    """The WHERE clause for those parts. Without ``values``, with named parameters (``scope_streets``
    ...) so that one prepared statement serves every caller with the same parts; with them, bound."""
    columns = {"street": street, "community": community, "grid": grid}
    conditions = []
    for part in parts:
        name = _SCOPE_PARAMS[part]
        if values is None:
            conditions.append(columns[part] == any_(bindparam(name, type_=ARRAY(String))))
        else:
            conditions.append(any_of(columns[part], values[name]))
    return or_(*conditions) if conditions else false()


def place_scope(
    principal: Principal,
    *,
    street: ColumnElement[Any] | Any,
    community: ColumnElement[Any] | Any,
    grid: ColumnElement[Any] | Any,
) -> ColumnElement[bool]:
    """Rows in the streets, communities or grids the caller is bound to, by role (values bound)."""
    parts, values = scope_values(principal)
    return scope_clause(parts, street=street, community=community, grid=grid, values=values)


def place_column(
    group_by: str,
    *,
    street: ColumnElement[Any] | Any,
    community: ColumnElement[Any] | Any,
    grid: ColumnElement[Any] | Any,
) -> Any:
    """The column that names a row's place when figures are grouped by grid, community or street."""
    return {"grid": grid, "community": community, "street": street}[group_by]


def area_conditions(
    principal: Principal, *, street: ColumnElement[Any] | Any, community: ColumnElement[Any] | Any
) -> tuple[list[ColumnElement[bool]], dict[str, Any]]:
    """The street (street admins) and community (staff) parts of the scope, as conditions to OR with
    a table's own grid-level ones; with the scope's values, for those."""
    parts, values = scope_values(principal)
    conditions = []
    if "street" in parts:
        conditions.append(any_of(street, values["scope_streets"]))
    if "community" in parts:
        conditions.append(any_of(community, values["scope_communities"]))
    return conditions, values
