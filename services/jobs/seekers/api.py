"""HTTP endpoints of seeker profiles (the postings matched to a seeker: ``matching/api.py``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.jobs import access
from services.jobs.access import Resident, ResidentOrHelper
from services.jobs.schemas import Capacity
from services.jobs.seekers import service as seekers
from services.jobs.seekers.access import Helper
from services.jobs.seekers.schemas import SeekerIn, SeekerPage, SeekerPublic
from shared.db import SessionDep
from shared.errors import NotFound, problem_responses
from shared.pagination import CursorQuery, LimitQuery
from shared.places import GRID_PATTERN

router = APIRouter(prefix="/api/v1/seekers", tags=["seekers"])

ResidentId = Annotated[uuid.UUID, Path(description="the seeker's resident id (居民)")]

SAVED = {
    201: {"model": SeekerPublic, "description": "a new profile"},
    **problem_responses(401, 403, 404, 422, 503),
}


@router.get(
    "", response_model=SeekerPage, responses=problem_responses(401, 403, 422), summary="求职者列表 (List Seekers)"
)
async def list_seekers(
    principal: Helper,
    session: SessionDep,
    skill: Annotated[
        str | None, Query(min_length=1, max_length=50, description="only those with this skill (exact text)")
    ] = None,
    labour_capacity: Annotated[
        Capacity | None, Query(description="only those of this labour capacity (劳动力)")
    ] = None,
    active: Annotated[bool | None, Query(description="only those looking for work now (true), or not (false)")] = None,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only those living in this grid, 15 digits")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> SeekerPage:
    """Seeker profiles of the caller's communities, street or grids, newest first."""
    items, next_cursor = await seekers.list_seekers(
        session=session,
        principal=principal,
        skill=skill,
        labour_capacity=labour_capacity,
        active=active,
        grid_code=grid_code,
        limit=limit,
        cursor=cursor,
    )
    return SeekerPage(items=items, next_cursor=next_cursor)


@router.get(
    "/me", response_model=SeekerPublic, responses=problem_responses(401, 403, 404), summary="我的求职登记 (My Profile)"
)
async def my_profile(principal: Resident, session: SessionDep) -> SeekerPublic:
    """The calling resident's own seeker profile."""
    me = access.own_resident(principal)
    if me is None:
        raise NotFound("no seeker profile of yours")
    seeker = await seekers.get(session=session, principal=principal, resident_id=me)
    return SeekerPublic.model_validate(seeker, from_attributes=True)


@router.put("/me", response_model=SeekerPublic, responses=SAVED, summary="求职登记 (Put My Profile)")
async def put_my_profile(
    profile: SeekerIn, principal: Resident, session: SessionDep, request: Request, response: Response
) -> SeekerPublic:
    """Fill in or change one's own seeker profile (求职登记): 201 the first time, then 200."""
    home = await seekers.home_of(request, principal, None)
    seeker, created = await seekers.put(session=session, principal=principal, home=home, profile=profile)
    response.status_code = 201 if created else 200
    return SeekerPublic.model_validate(seeker, from_attributes=True)


@router.get(
    "/{resident_id}",
    response_model=SeekerPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="求职者详情 (Get Profile)",
)
async def get_profile(resident_id: ResidentId, principal: ResidentOrHelper, session: SessionDep) -> SeekerPublic:
    """A resident's seeker profile: their own, or one of the caller's community, street or grids."""
    seeker = await seekers.get(session=session, principal=principal, resident_id=resident_id)
    return SeekerPublic.model_validate(seeker, from_attributes=True)


@router.put("/{resident_id}", response_model=SeekerPublic, responses=SAVED, summary="代填求职登记 (Put Profile)")
async def put_profile(
    resident_id: ResidentId,
    profile: SeekerIn,
    principal: ResidentOrHelper,
    session: SessionDep,
    request: Request,
    response: Response,
) -> SeekerPublic:
    """Fill in a resident's profile for them (staff, the grid's worker), or one's own: 201 new, 200 changed."""
    home = await seekers.home_of(request, principal, resident_id)
    seeker, created = await seekers.put(session=session, principal=principal, home=home, profile=profile)
    response.status_code = 201 if created else 200
    return SeekerPublic.model_validate(seeker, from_attributes=True)
