"""HTTP endpoints of the registry: thin, one call into ``service`` each."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.residents.pii import PiiDep
from services.residents.registry import queries, service
from services.residents.registry.access import Analyst, Gateway, Reader, Registrar
from services.residents.registry.schemas import (
    ResidentCreate,
    ResidentLookup,
    ResidentPage,
    ResidentPlace,
    ResidentPublic,
    ResidentStats,
    ResidentUpdate,
    TagPublic,
)
from services.residents.vocab import ResidenceType
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery
from shared.places import GRID_PATTERN, GroupBy

statistics = APIRouter(prefix="/api/v1/residents/stats", tags=["residents"])
router = APIRouter(prefix="/api/v1/residents", tags=["residents"])
catalogue = APIRouter(prefix="/api/v1/tags", tags=["residents"])
internal = APIRouter(prefix="/internal", tags=["internal"])
ResidentId = Annotated[uuid.UUID, Path(description="the resident's id")]


@statistics.get(
    "", response_model=ResidentStats, responses=problem_responses(401, 403, 422), summary="居民统计 (Stats)"
)
async def stats(
    principal: Analyst,
    session: SessionDep,
    group_by: Annotated[GroupBy, Query(description="one row per grid, community or street")] = "community",
) -> ResidentStats:
    """Residents per grid, community or street, by residence type and by tag."""
    return await service.resident_stats(session=session, principal=principal, group_by=group_by)


@router.get(
    "", response_model=ResidentPage, responses=problem_responses(401, 403, 422), summary="居民列表 (List Residents)"
)
async def list_residents(
    principal: Reader,
    lane: FastLaneDep,
    pii: PiiDep,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only residents of this grid (15-digit grid code)")
    ] = None,
    compound_id: Annotated[
        uuid.UUID | None, Query(description="only residents of this compound's (小区) buildings")
    ] = None,
    building_id: Annotated[uuid.UUID | None, Query(description="only residents of this building (楼栋)")] = None,
    household_id: Annotated[uuid.UUID | None, Query(description="only residents of this household (户)")] = None,
    tag: Annotated[list[str] | None, Query(max_length=10, description="tag codes; all must match")] = None,
    min_age: Annotated[int | None, Query(ge=0, le=150, description="e.g. 80 for 高龄 visits")] = None,
    max_age: Annotated[int | None, Query(ge=0, le=150, description="aged at most this many full years")] = None,
    residence_type: Annotated[
        ResidenceType | None, Query(description="only residents of this residence type (居住类型)")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1, max_length=40, description="a name or its start, full pinyin or initials, a full phone or ID"
        ),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Residents in the caller's scope, by name; ID numbers and phones masked."""
    filters = queries.Filters(
        grid_code=grid_code,
        compound_id=compound_id,
        building_id=building_id,
        household_id=household_id,
        tags=tuple(tag or ()),
        min_age=min_age,
        max_age=max_age,
        residence_type=residence_type,
        q=q,
    )
    items, next_cursor = await queries.search(
        lane=lane, pii=pii, principal=principal, filters=filters, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/{resident_id}",
    response_model=ResidentPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="居民详情 (Get Resident)",
)
async def get_resident(resident_id: ResidentId, principal: Reader, lane: FastLaneDep) -> Response:
    """A resident of the caller's scope; ID number and phone masked, sensitive tags only for those who need them."""
    return json_response(await queries.get(lane=lane, principal=principal, resident_id=resident_id))


@router.post(
    "",
    status_code=201,
    response_model=ResidentPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="登记居民 (Create Resident)",
)
async def create_resident(
    body: ResidentCreate, principal: Registrar, session: SessionDep, pii: PiiDep
) -> ResidentPublic:
    """Register a resident in a household the caller keeps."""
    resident = await service.create(session=session, pii=pii, principal=principal, body=body)
    return service.public_of(resident, principal)


@router.patch(
    "/{resident_id}",
    response_model=ResidentPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="修改居民信息 (Update Resident)",
)
async def update_resident(
    resident_id: ResidentId, changes: ResidentUpdate, principal: Registrar, session: SessionDep, pii: PiiDep
) -> ResidentPublic:
    """Change a resident's record the caller keeps; a new household_id moves them there."""
    resident = await service.update(
        session=session, pii=pii, principal=principal, resident_id=resident_id, changes=changes
    )
    return service.public_of(resident, principal)


@catalogue.get(
    "", response_model=list[TagPublic], responses=problem_responses(401, 403), summary="居民标签列表 (List Tags)"
)
async def list_tags(principal: Registrar, session: SessionDep) -> list[TagPublic]:
    """The tag catalogue: the nine standard groups (GB/T 31000 "9+X") and the community's own."""
    return await service.tags(session=session, principal=principal)


@internal.post("/residents/lookup", response_model=ResidentPlace, responses=problem_responses(401, 403, 404, 422))
async def lookup(body: ResidentLookup, principal: Gateway, session: SessionDep, pii: PiiDep) -> ResidentPlace:
    """For the gateway: a resident by full phone (blind index) or id, to their household and grid."""
    return await service.lookup(session=session, pii=pii, phone=body.phone, resident_id=body.resident_id)
