"""Data scope (ARCHITECTURE.md) as SQL: the WHERE clause that limits rows to the caller's places.

A row outside the caller's scope is simply not found, so it answers 404 like a row that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam, false, or_
from sqlalchemy.dialects.postgresql import ARRAY

from shared.security import Principal


def any_of(column: ColumnElement[Any] | Any, values: tuple[str, ...] | list[str]) -> ColumnElement[bool]:
    """``column = ANY($n)``: one array parameter, so the statement's text (and asyncpg's prepared
    statement) is the same whatever the number of values, unlike ``IN (...)``."""
    result: ColumnElement[bool] = column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return result


def place_scope(
    principal: Principal,
    *,
    street: ColumnElement[Any] | Any,
    community: ColumnElement[Any] | Any,
    grid: ColumnElement[Any] | Any,
) -> ColumnElement[bool]:
    """Rows in the streets, communities or grids the caller is bound to, by role."""
    conditions: list[ColumnElement[bool]] = []
    if principal.machine:
        return street == principal.street_code if principal.street_code else false()
    if codes := principal.places_of("street_admin"):
        conditions.append(any_of(street, codes))
    if codes := principal.places_of("community_staff"):
        conditions.append(any_of(community, codes))
    grid_codes = principal.places_of("grid_worker") + principal.places_of("party_member")
    if grid_codes:
        conditions.append(any_of(grid, grid_codes))
    if principal.has_role("resident") and principal.grid_code:
        conditions.append(grid == principal.grid_code)
    return or_(*conditions) if conditions else false()
