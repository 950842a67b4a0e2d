"""HTTP endpoints of places (streets, communities, grids, boundaries, locate): thin, one call into ``service`` each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.grids.places import service
from services.grids.places.access import Locator, Manager, Reader, StreetAdmin
from services.grids.places.schemas import (
    BoundaryUpdate,
    CommunityCreate,
    CommunityPage,
    CommunityPublic,
    CommunityUpdate,
    GridCreate,
    GridPage,
    GridPublic,
    StreetTree,
)
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN, STREET_PATTERN

router = APIRouter(prefix="/api/v1/grids", tags=["grids"])

GridCodePath = Annotated[
    str, Path(min_length=15, max_length=15, pattern=GRID_PATTERN, description="15-digit grid code")
]


@router.get("", response_model=GridPage, responses=problem_responses(401, 403, 422), summary="网格列表 (List Grids)")
async def list_grids(
    principal: Reader,
    lane: FastLaneDep,
    community_code: Annotated[
        str | None, Query(pattern=COMMUNITY_PATTERN, description="only the grids of this community, 12-digit code")
    ] = None,
    street_code: Annotated[
        str | None, Query(pattern=STREET_PATTERN, description="only the grids of this street, 9-digit code")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """List the grids in the caller's scope (网格列表), by code."""
    items, next_cursor = await service.list_grids(
        lane=lane,
        principal=principal,
        community_code=community_code,
        street_code=street_code,
        limit=limit,
        cursor=cursor,
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/locate",
    response_model=GridPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="定位所在网格 (Locate Grid)",
)
async def locate_grid(
    principal: Locator,
    session: SessionDep,
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude (WGS 84)")],
    lng: Annotated[float, Query(ge=-180, le=180, description="longitude (WGS 84)")],
) -> GridPublic:
    """Which of the caller's grids contains this GPS point (404 when none)."""
    return await service.locate(session=session, principal=principal, lng=lng, lat=lat)


@router.get(
    "/{grid_code}",
    response_model=GridPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="网格详情 (Get Grid)",
)
async def get_grid(grid_code: GridCodePath, principal: Reader, lane: FastLaneDep) -> GridPublic:
    """One grid, when it is in the caller's scope."""
    return await service.get(lane=lane, principal=principal, grid_code=grid_code)


@router.post(
    "",
    status_code=201,
    response_model=GridPublic,
    responses=problem_responses(401, 403, 409, 422),
    summary="新建网格 (Create Grid)",
)
async def create_grid(grid_in: GridCreate, principal: Manager, session: SessionDep) -> GridPublic:
    """Create a grid in the caller's community (community staff) or street (street admin)."""
    grid = await service.create(session=session, principal=principal, grid_in=grid_in)
    return service.public_of(grid)


@router.put(
    "/{grid_code}/boundary",
    response_model=GridPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="设置网格边界 (Set Boundary)",
)
async def set_boundary(
    grid_code: GridCodePath, body: BoundaryUpdate, principal: Manager, session: SessionDep
) -> GridPublic:
    """Set (or clear) a grid's boundary, a GeoJSON Polygon."""
    grid = await service.set_boundary(session=session, principal=principal, grid_code=grid_code, boundary=body.boundary)
    return service.public_of(grid)


streets = APIRouter(prefix="/api/v1/streets", tags=["grids"])


@streets.get(
    "/{street_code}/tree",
    response_model=StreetTree,
    responses=problem_responses(401, 403, 404, 422),
    summary="街道社区网格树 (Street Tree)",
)
async def street_tree(
    street_code: Annotated[str, Path(pattern=STREET_PATTERN, description="9-digit street code")],
    principal: Reader,
    session: SessionDep,
) -> StreetTree:
    """The street's communities and grids (街道 → 社区 → 网格), as far as the caller may see."""
    return await service.tree(session=session, principal=principal, street_code=street_code)


communities = APIRouter(prefix="/api/v1/communities", tags=["grids"])

CommunityCodePath = Annotated[
    str, Path(min_length=12, max_length=12, pattern=COMMUNITY_PATTERN, description="12-digit community code")
]


@communities.get(
    "", response_model=CommunityPage, responses=problem_responses(401, 403, 422), summary="社区列表 (List Communities)"
)
async def list_communities(
    principal: Reader,
    session: SessionDep,
    street_code: Annotated[
        str | None, Query(pattern=STREET_PATTERN, description="only the communities of this street, 9-digit code")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> CommunityPage:
    """List the communities in the caller's scope (社区列表), by code."""
    items, next_cursor = await service.list_communities(
        session=session, principal=principal, street_code=street_code, limit=limit, cursor=cursor
    )
    return CommunityPage(items=items, next_cursor=next_cursor)


@communities.get(
    "/{community_code}",
    response_model=CommunityPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="社区详情 (Get Community)",
)
async def get_community(community_code: CommunityCodePath, principal: Reader, session: SessionDep) -> CommunityPublic:
    """One community, when it is in the caller's scope."""
    return await service.get_community(session=session, principal=principal, community_code=community_code)


@communities.post(
    "",
    status_code=201,
    response_model=CommunityPublic,
    responses=problem_responses(401, 403, 409, 422),
    summary="新建社区 (Create Community)",
)
async def create_community(
    community_in: CommunityCreate, principal: StreetAdmin, session: SessionDep
) -> CommunityPublic:
    """Create a community in one of the calling street admin's streets."""
    return await service.create_community(session=session, principal=principal, community_in=community_in)


@communities.patch(
    "/{community_code}",
    response_model=CommunityPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="修改社区名称 (Rename Community)",
)
async def rename_community(
    community_code: CommunityCodePath, changes: CommunityUpdate, principal: StreetAdmin, session: SessionDep
) -> CommunityPublic:
    """Rename a community (its street's admins only)."""
    return await service.rename_community(
        session=session, principal=principal, community_code=community_code, changes=changes
    )
