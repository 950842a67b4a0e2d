"""HTTP endpoints of visits (走访): offline sync, one visit, lists, photos, coverage."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.grids.visits import service as visits
from services.grids.visits.access import Analyst, Overseer, Reader, Visitor
from services.grids.visits.schemas import (
    CoverageReport,
    PhotoPublic,
    VisitIn,
    VisitPage,
    VisitPublic,
    VisitStats,
    VisitSync,
    VisitSyncResult,
)
from services.grids.visits.stats import visit_stats
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.middleware import PHOTO_BODY_BYTES, SYNC_BODY_BYTES, body_limit
from shared.pagination import CursorQuery, LimitQuery
from shared.periods import Moment
from shared.photos import MAX_PHOTO_BYTES, PHOTO_CONTENT, PhotoUpload, StorageDep, photo_response
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN, GroupBy

router = APIRouter(prefix="/api/v1/visits", tags=["visits"])

VisitIdPath = Annotated[uuid.UUID, Path(description="the visit's id")]


@router.post(
    "/sync",
    response_model=VisitSyncResult,
    responses=problem_responses(401, 403, 413, 422),
    summary="同步离线走访 (Sync Visits)",
    openapi_extra=body_limit(SYNC_BODY_BYTES),
)
async def sync_visits(body: VisitSync, principal: Visitor, session: SessionDep) -> VisitSyncResult:
    """Up to 200 visits made offline, each with the app's own id; a result per visit (created,
    exists, rejected with the reason). Sending the same batch again creates nothing twice."""
    return VisitSyncResult(results=await visits.sync(session=session, principal=principal, visits=body.visits))


@router.post(
    "",
    status_code=201,
    response_model=VisitPublic,
    responses={
        200: {"model": VisitPublic, "description": "already there"},
        **problem_responses(401, 403, 404, 409, 422),
    },
    summary="登记走访 (Record Visit)",
)
async def record_visit(visit_in: VisitIn, principal: Visitor, session: SessionDep, response: Response) -> VisitPublic:
    """Record one visit (201), or answer the one already recorded with this id (200)."""
    visit, created = await visits.record(session=session, principal=principal, visit_in=visit_in)
    if not created:
        response.status_code = 200
    return visit


@router.get(
    "", response_model=VisitPage, responses=problem_responses(401, 403, 422), summary="走访记录列表 (List Visits)"
)
async def list_visits(
    principal: Reader,
    lane: FastLaneDep,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only visits to households of this grid, 15 digits")
    ] = None,
    member_id: Annotated[uuid.UUID | None, Query(description="only the visits this member recorded")] = None,
    household_id: Annotated[uuid.UUID | None, Query(description="only the visits to this household")] = None,
    since: Annotated[Moment | None, Query(description="visited at or after")] = None,
    until: Annotated[Moment | None, Query(description="visited before")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Visits in the caller's scope, newest first; by grid, member, household, date."""
    filters = {
        "grid_code": grid_code,
        "member_id": member_id,
        "household_id": household_id,
        "since": since,
        "until": until,
    }
    items, next_cursor = await visits.list_visits(
        lane=lane, principal=principal, filters=filters, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/coverage",
    response_model=CoverageReport,
    responses=problem_responses(401, 403, 422),
    summary="走访覆盖率 (Coverage)",
)
async def coverage(
    principal: Overseer,
    session: SessionDep,
    community_code: Annotated[
        str | None, Query(pattern=COMMUNITY_PATTERN, description="only the grids of this community, 12 digits")
    ] = None,
) -> CoverageReport:
    """Per grid in scope: households visited in the last 30 days out of all (走访覆盖率)."""
    return await visits.coverage(session=session, principal=principal, community_code=community_code)


@router.get("/stats", response_model=VisitStats, responses=problem_responses(401, 403, 422), summary="走访统计 (Stats)")
async def stats(
    principal: Analyst,
    session: SessionDep,
    group_by: Annotated[GroupBy, Query(description="count per grid, community or street")] = "grid",
    since: Annotated[Moment | None, Query(description="visited at or after")] = None,
    until: Annotated[Moment | None, Query(description="visited before")] = None,
) -> VisitStats:
    """Visits, must-visits, follow-ups, households reached and visitors per place and month."""
    return await visit_stats(session=session, principal=principal, group_by=group_by, since=since, until=until)


@router.get(
    "/{visit_id}",
    response_model=VisitPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="走访详情 (Get Visit)",
)
async def get_visit(visit_id: VisitIdPath, principal: Reader, lane: FastLaneDep) -> Response:
    """A visit in the caller's scope, with its photos."""
    return json_response(await visits.get(lane=lane, principal=principal, visit_id=visit_id))


@router.post(
    "/{visit_id}/photos",
    status_code=201,
    response_model=PhotoPublic,
    responses={
        200: {"model": PhotoPublic, "description": "the same photo, stored before"},
        **problem_responses(401, 403, 404, 409, 413, 422, 503, 507),
    },
    summary="上传走访照片 (Add Photo)",
    openapi_extra=body_limit(PHOTO_BODY_BYTES),
)
async def add_photo(
    visit_id: VisitIdPath,
    principal: Visitor,
    session: SessionDep,
    storage: StorageDep,
    response: Response,
    file: PhotoUpload,
) -> PhotoPublic:
    """Add a photo to one's own visit."""
    data = await file.read(MAX_PHOTO_BYTES + 1)
    photo, created = await visits.add_photo(
        session=session, principal=principal, storage=storage, visit_id=visit_id, data=data
    )
    if not created:
        response.status_code = 200
    return photo


@router.get(
    "/{visit_id}/photos/{photo_id}",
    response_class=Response,
    responses={
        200: {"content": PHOTO_CONTENT, "description": "the photo"},
        **problem_responses(401, 403, 404, 422, 503),
    },
    summary="查看走访照片 (Get Photo)",
)
async def get_photo(
    visit_id: VisitIdPath,
    photo_id: Annotated[uuid.UUID, Path(description="the photo's id")],
    principal: Reader,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """A visit's photo, for those who may see the visit."""
    data, content_type = await visits.photo_bytes(
        session=session, principal=principal, storage=storage, visit_id=visit_id, photo_id=photo_id
    )
    return photo_response(data, content_type)
