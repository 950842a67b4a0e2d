"""Rules of the places: who sees which community and grid, creating communities in one's own street and
grids in one's own community."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, Integer, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids.models import Community, Grid, Street, outbox_event
from services.grids.places import access
from services.grids.places.geometry import GeoJsonPolygon, point_as_polygon, to_geojson
from services.grids.places.schemas import (
    CommunityCreate,
    CommunityPublic,
    CommunityUpdate,
    GridCreate,
    GridPublic,
    StreetTree,
    TreeCommunity,
    TreeGrid,
)
from shared import outbox, places
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.scope import ScopeParts, scope_clause, scope_values
from shared.security import Principal

_GRID_COLUMNS = (col(Grid.code), col(Grid.name), col(Grid.community_code), col(Grid.street_code), col(Grid.created_at))


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
    row = await lane.fetchrow(
        select(*_GRID_COLUMNS, col(Grid.boundary)).where(col(Grid.code) == grid_code, access.grid_scope(principal))
    )
    if row is None:
        raise NotFound(f"no grid {grid_code} in your scope")
    return public_of(row)


async def locate(*, session: AsyncSession, principal: Principal, lng: float, lat: float) -> GridPublic:
    """The grid in the caller's scope whose boundary contains the point (GiST index on the polygon)."""
    point = point_as_polygon(bindparam("lng", lng, type_=Float), bindparam("lat", lat, type_=Float))
    grid = await session.scalar(
        select(Grid)
        .where(col(Grid.boundary).op("@>")(point), access.grid_scope(principal))
        .order_by(col(Grid.code))
        .limit(1)
    )
    if grid is None:
        raise NotFound("no grid of yours contains this point")
    return public_of(grid)


def public_of(grid: Grid | Mapping[str, Any]) -> GridPublic:
    """A grid as answered, from its ORM row or a fast-lane record (boundary as GeoJSON)."""
    values = grid.model_dump() if isinstance(grid, Grid) else dict(grid)
    values["boundary"] = to_geojson(values.get("boundary"))
    return GridPublic.model_validate(values)


async def set_boundary(
    *, session: AsyncSession, principal: Principal, grid_code: str, boundary: GeoJsonPolygon | None
) -> Grid:
    grid = await session.scalar(
        select(Grid).where(col(Grid.code) == grid_code, access.grid_scope(principal)).with_for_update()
    )
    if grid is None:
        raise NotFound(f"no grid {grid_code} in your scope")
    if not principal.manages(grid_code):
        raise Forbidden("only the community's staff or the street's admins may change a boundary")
    grid.boundary = boundary.coordinates[0] if boundary else None
    await session.flush()
    await outbox.emit(
        session, outbox_event, type="grid.boundary_changed", aggregate_id=grid.code, payload={"grid_code": grid.code}
    )
    return grid


async def tree(*, session: AsyncSession, principal: Principal, street_code: str) -> StreetTree:
    street = await session.get(Street, street_code)
    grids = (
        await session.scalars(
            select(Grid)
            .where(col(Grid.street_code) == street_code, access.grid_scope(principal))
            .order_by(col(Grid.code))
        )
    ).all()
    if street is None or not grids:
        raise NotFound(f"no street {street_code} in your scope")
    communities = {
        c.code: c
        for c in (
            await session.scalars(select(Community).where(col(Community.code).in_({g.community_code for g in grids})))
        ).all()
    }
    by_community: dict[str, list[TreeGrid]] = {}
    for grid in grids:
        by_community.setdefault(grid.community_code, []).append(TreeGrid(code=grid.code, name=grid.name))
    return StreetTree(
        code=street.code,
        name=street.name,
        communities=[
            TreeCommunity(code=code, name=communities[code].name, grids=items)
            for code, items in sorted(by_community.items())
        ],
    )


async def create(*, session: AsyncSession, principal: Principal, grid_in: GridCreate) -> Grid:
    places.check_grid_code(grid_in.code)
    community_code, street_code = places.community_of(grid_in.code), places.street_of(grid_in.code)
    if not principal.manages(grid_in.code):
        raise Forbidden("you may create grids only in your own community or street")
    community = await session.get(Community, community_code)
    if community is None:
        raise ValidationFailed.on("code", f"community {community_code} does not exist")
    if await session.get(Grid, grid_in.code) is not None:
        raise Conflict(f"grid {grid_in.code} already exists")
    grid = Grid(
        code=grid_in.code,
        name=grid_in.name,
        community_code=community_code,
        street_code=street_code,
        boundary=grid_in.boundary.coordinates[0] if grid_in.boundary else None,
    )
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


# -- communities -----------------------------------------------------------------------------

_GRID_COUNT = (
    select(func.count())
    .where(col(Grid.community_code) == col(Community.code))
    .correlate(Community)
    .scalar_subquery()
    .label("grids")
)
_COMMUNITY_COLUMNS = (
    col(Community.code),
    col(Community.name),
    col(Community.street_code),
    col(Community.created_at),
    _GRID_COUNT,
)


def _community_of(row: Any) -> CommunityPublic:
    return CommunityPublic.model_validate(dict(row._mapping))


async def list_communities(
    *, session: AsyncSession, principal: Principal, street_code: str | None, limit: int, cursor: str | None
) -> tuple[list[CommunityPublic], str | None]:
    """A page of the communities in the caller's scope, by code."""
    statement = select(*_COMMUNITY_COLUMNS).where(access.community_scope(principal))
    if street_code is not None:
        statement = statement.where(col(Community.street_code) == street_code)
    if cursor:
        (after,) = decode_cursor(cursor, (str,))
        statement = statement.where(col(Community.code) > after)
    rows = (await session.execute(statement.order_by(col(Community.code)).limit(limit + 1))).all()
    items, next_cursor = page_of([_community_of(row) for row in rows], limit, lambda c: (c.code,))
    return items, next_cursor


async def get_community(*, session: AsyncSession, principal: Principal, community_code: str) -> CommunityPublic:
    row = (
        await session.execute(
            select(*_COMMUNITY_COLUMNS).where(col(Community.code) == community_code, access.community_scope(principal))
        )
    ).first()
    if row is None:
        raise NotFound(f"no community {community_code} in your scope")
    return _community_of(row)


async def create_community(
    *, session: AsyncSession, principal: Principal, community_in: CommunityCreate
) -> CommunityPublic:
    """A community in one of the caller's streets: 403 outside them, 422 on ``code`` when the street is
    not in the grids service, 409 when the code is taken (also by a create running at the same time)."""
    code, street_code = community_in.code, places.street_of(community_in.code)
    if street_code not in principal.places_of("street_admin"):
        raise Forbidden("you may create communities only in your own streets")
    if await session.get(Street, street_code) is None:
        raise ValidationFailed.on("code", f"street {street_code} does not exist")
    created_at = datetime.now(UTC)
    inserted = await session.scalar(
        insert(Community)
        .values(code=code, street_code=street_code, name=community_in.name, created_at=created_at)
        .on_conflict_do_nothing(index_elements=[col(Community.code)])
        .returning(col(Community.code))
    )
    if inserted is None:
        raise Conflict(f"community {code} already exists")
    await outbox.emit(
        session,
        outbox_event,
        type="community.created",
        aggregate_id=code,
        payload={"community_code": code, "street_code": street_code, "name": community_in.name},
    )
    return CommunityPublic(code=code, name=community_in.name, street_code=street_code, created_at=created_at, grids=0)


async def rename_community(
    *, session: AsyncSession, principal: Principal, community_code: str, changes: CommunityUpdate
) -> CommunityPublic:
    """Rename a community: its street's admins only (its staff see it, 403; anyone else, 404)."""
    community = await session.scalar(
        select(Community)
        .where(col(Community.code) == community_code, access.community_scope(principal))
        .with_for_update()
    )
    if community is None:
        raise NotFound(f"no community {community_code} in your scope")
    if community.street_code not in principal.places_of("street_admin"):
        raise Forbidden("only the street's admins may rename a community")
    if community.name != changes.name:
        community.name = changes.name
        await session.flush()
        await outbox.emit(
            session,
            outbox_event,
            type="community.renamed",
            aggregate_id=community.code,
            payload={"community_code": community.code, "street_code": community.street_code, "name": community.name},
        )
    return await get_community(session=session, principal=principal, community_code=community_code)
