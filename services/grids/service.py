"""Rules of the places: who sees which grid, and creating grids in one's own community."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids import codes
from services.grids.models import Community, Grid, outbox_event
from services.grids.schemas import GridCreate, GridPublic
from shared import outbox
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.scope import ScopeParts, place_scope, scope_clause, scope_values
from shared.security import Principal

_GRID_COLUMNS = (col(Grid.code), col(Grid.name), col(Grid.community_code), col(Grid.street_code), col(Grid.created_at))


def _grid_scope(principal: Principal) -> Any:
    return place_scope(principal, street=col(Grid.street_code), community=col(Grid.community_code), grid=col(Grid.code))


@functools.lru_cache(maxsize=128)
def _list_query(parts: ScopeParts, by_community: bool, by_street: bool, after: bool) -> PreparedQuery:
    """One prepared statement per shape of the grids list (scope parts and filters given)."""
    statement = select(*_GRID_COLUMNS).where(
        scope_clause(parts, street=col(Grid.street_code), community=col(Grid.community_code), grid=col(Grid.code))
    )
    if by_community:
        statement = statement.where(col(Grid.community_code) == bindparam("community_code"))
    if by_street:
        statement = statement.where(col(Grid.street_code) == bindparam("street_code"))
    if after:
        statement = statement.where(col(Grid.code) > bindparam("after"))
    return PreparedQuery(statement.order_by(col(Grid.code)).limit(bindparam("limit", type_=Integer)))


async def list_grids(
    *,
    lane: FastLane,
    principal: Principal,
    community_code: str | None,
    street_code: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of grids in the caller's scope, as rows of ``GridPublic``'s fields."""
    parts, values = scope_values(principal)
    after = decode_cursor(cursor, (str,)) if cursor else None
    query = _list_query(parts, community_code is not None, street_code is not None, after is not None)
    values.update(community_code=community_code, street_code=street_code, limit=limit + 1)
    if after is not None:
        values["after"] = after[0]
    rows = await lane.fetch_prepared(query, values)
    items, next_cursor = page_of(rows, limit, lambda row: (row["code"],))
    return [dict(row) for row in items], next_cursor


async def get(*, lane: FastLane, principal: Principal, grid_code: str) -> GridPublic:
    row = await lane.fetchrow(select(*_GRID_COLUMNS).where(col(Grid.code) == grid_code, _grid_scope(principal)))
    if row is None:
        raise NotFound(f"no grid {grid_code} in your scope")
    return GridPublic.model_validate(dict(row))


async def create(*, session: AsyncSession, principal: Principal, grid_in: GridCreate) -> Grid:
    codes.check_grid_code(grid_in.code)
    community_code, street_code = codes.community_of(grid_in.code), codes.street_of(grid_in.code)
    allowed = community_code in principal.places_of("community_staff") or street_code in principal.places_of(
        "street_admin"
    )
    if not allowed:
        raise Forbidden("you may create grids only in your own community or street")
    community = await session.get(Community, community_code)
    if community is None:
        raise ValidationFailed.on("code", f"community {community_code} does not exist")
    if await session.get(Grid, grid_in.code) is not None:
        raise Conflict(f"grid {grid_in.code} already exists")
    grid = Grid(code=grid_in.code, name=grid_in.name, community_code=community_code, street_code=street_code)
    session.add(grid)
    await session.flush()
    await outbox.emit(
        session,
        outbox_event,
        type="grid.created",
        aggregate_id=grid.code,
        payload={"grid_code": grid.code, "community_code": community_code, "street_code": street_code},
    )
    return grid
