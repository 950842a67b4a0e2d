"""HTTP endpoints of job fairs (招聘会)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.jobs.access import Manager, Reader, Resident
from services.jobs.fairs import service as fairs
from services.jobs.fairs.schemas import FairCreate, FairDetail, FairPage, FairPublic, FairSignupPublic
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.pagination import CursorQuery, LimitQuery
from shared.places import COMMUNITY_PATTERN, STREET_PATTERN

router = APIRouter(prefix="/api/v1/fairs", tags=["fairs"])

FairId = Annotated[uuid.UUID, Path(description="the fair's id")]
EmployerId = Annotated[uuid.UUID, Path(description="the employer's (用工单位) id: one of the fair's street")]


@router.get("", response_model=FairPage, responses=problem_responses(401, 403, 422), summary="招聘会列表 (List Fairs)")
async def list_fairs(
    principal: Reader,
    session: SessionDep,
    upcoming: Annotated[bool, Query(description="only fairs not over yet (default)")] = True,
    community_code: Annotated[
        str | None, Query(pattern=COMMUNITY_PATTERN, description="only those held by this community, 12 digits")
    ] = None,
    street_code: Annotated[
        str | None,
        Query(pattern=STREET_PATTERN, description="only fairs of this street, its communities' too, 9 digits"),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> FairPage:
    """Job fairs, soonest first."""
    items, next_cursor = await fairs.list_fairs(
        session=session,
        principal=principal,
        upcoming=upcoming,
        community_code=community_code,
        street_code=street_code,
        limit=limit,
        cursor=cursor,
    )
    return FairPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{fair_id}",
    response_model=FairDetail,
    responses=problem_responses(401, 403, 404, 422),
    summary="招聘会详情 (Get Fair)",
)
async def get_fair(fair_id: FairId, principal: Reader, session: SessionDep) -> FairDetail:
    """A fair's page: everything on offer, employer by employer, with their open postings."""
    return await fairs.detail(session=session, principal=principal, fair_id=fair_id)


@router.post(
    "",
    status_code=201,
    response_model=FairPublic,
    responses={200: {"model": FairPublic, "description": "made before"}, **problem_responses(401, 403, 409, 422)},
    summary="发布招聘会 (Create Fair)",
)
async def create_fair(fair_in: FairCreate, principal: Manager, session: SessionDep, response: Response) -> FairPublic:
    """Announce a fair of the caller's community (or street); 200 with a client id sent before."""
    fair, created = await fairs.create(session=session, principal=principal, fair_in=fair_in)
    if not created:
        response.status_code = 200
    return await fairs.get_public(session=session, principal=principal, fair_id=fair.id)


@router.put(
    "/{fair_id}/employers/{employer_id}",
    status_code=201,
    response_class=Response,  # no body: 201 or 204 says it all
    responses={
        201: {"description": "taking part"},
        204: {"description": "taking part already"},
        **problem_responses(401, 403, 404, 422),
    },
    summary="添加参会单位 (Add Employer)",
)
async def add_employer(fair_id: FairId, employer_id: EmployerId, principal: Manager, session: SessionDep) -> Response:
    """An employer of the fair's street takes part (201 new, 204 already)."""
    added = await fairs.add_employer(session=session, principal=principal, fair_id=fair_id, employer_id=employer_id)
    return Response(status_code=201 if added else 204)


@router.delete(
    "/{fair_id}/employers/{employer_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 422),
    summary="移除参会单位 (Remove Employer)",
)
async def remove_employer(
    fair_id: FairId, employer_id: EmployerId, principal: Manager, session: SessionDep
) -> Response:
    """An employer no longer takes part."""
    await fairs.remove_employer(session=session, principal=principal, fair_id=fair_id, employer_id=employer_id)
    return Response(status_code=204)


@router.post(
    "/{fair_id}/signups",
    status_code=201,
    response_model=FairSignupPublic,
    responses={
        200: {"model": FairSignupPublic, "description": "signed up already"},
        **problem_responses(401, 403, 404, 409, 422),
    },
    summary="招聘会报名 (Sign Up)",
)
async def sign_up(fair_id: FairId, principal: Resident, session: SessionDep, response: Response) -> FairSignupPublic:
    """Sign up for a fair (201), or answer the signup already there (200)."""
    signup, created = await fairs.sign_up(session=session, principal=principal, fair_id=fair_id)
    if not created:
        response.status_code = 200
    return signup


@router.delete(
    "/{fair_id}/signups/me",
    status_code=204,
    responses=problem_responses(401, 403, 404, 422),
    summary="取消招聘会报名 (Cancel Signup)",
)
async def cancel_signup(fair_id: FairId, principal: Resident, session: SessionDep) -> Response:
    """Cancel one's signup."""
    await fairs.cancel_signup(session=session, principal=principal, fair_id=fair_id)
    return Response(status_code=204)
