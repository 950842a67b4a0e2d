"""HTTP endpoints of postings: search and one posting (on the fast lane), statistics, writing,
publishing and closing (the seekers matched to a posting: ``matching/api.py``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.jobs import stats
from services.jobs.access import Manager, ManagerOrEmployer, Reader
from services.jobs.postings import service as postings
from services.jobs.postings.access import StatsReader
from services.jobs.postings.schemas import (
    PostingCreate,
    PostingPage,
    PostingPublic,
    PostingState,
    PostingUpdate,
    WageUnit,
)
from services.jobs.schemas import Category, JobStats
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery
from shared.periods import Moment
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN, STREET_PATTERN, GroupBy

router = APIRouter(prefix="/api/v1/postings", tags=["postings"])

PostingId = Annotated[uuid.UUID, Path(description="the posting's id")]


@router.get(
    "", response_model=PostingPage, responses=problem_responses(401, 403, 422), summary="岗位列表 (List Postings)"
)
async def list_postings(
    principal: Reader,
    lane: FastLaneDep,
    q: Annotated[
        str | None, Query(min_length=1, max_length=50, description="words of the title, employer or skills")
    ] = None,
    state: Annotated[PostingState, Query(description="open (default), closed, or draft (those one keeps)")] = "open",
    category: Annotated[Category | None, Query(description="only jobs of this trade (行业)")] = None,
    suits_weak_labour: Annotated[bool | None, Query(description="only those that suit weak or half labour")] = None,
    skill: Annotated[
        str | None, Query(min_length=1, max_length=50, description="only those asking for this skill (exact text)")
    ] = None,
    community_code: Annotated[
        str | None, Query(pattern=COMMUNITY_PATTERN, description="only postings of this community, 12 digits")
    ] = None,
    street_code: Annotated[
        str | None, Query(pattern=STREET_PATTERN, description="only postings of this street, 9 digits")
    ] = None,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only postings in this grid, 15 digits")
    ] = None,
    employer_id: Annotated[uuid.UUID | None, Query(description="only this employer's (用工单位) postings")] = None,
    min_wage: Annotated[int | None, Query(ge=0, le=100_000_000, description="fen: wage_max at least this")] = None,
    wage_unit: Annotated[
        WageUnit | None,
        Query(description="only postings paid per this unit; required with min_wage, the unit it is in"),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Search postings (岗位), newest first: open ones for everyone, drafts for those who keep them."""
    filters = {
        "q": q,
        "category": category,
        "suits_weak_labour": suits_weak_labour,
        "skill": skill,
        "community_code": community_code,
        "street_code": street_code,
        "grid_code": grid_code,
        "employer_id": employer_id,
        "min_wage": min_wage,
        "wage_unit": wage_unit,
    }
    items, next_cursor = await postings.list_postings(
        lane=lane, principal=principal, state=state, filters=filters, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/stats", response_model=JobStats, responses=problem_responses(401, 403, 422), summary="就业统计 (Posting Stats)"
)
async def posting_stats(
    principal: StatsReader,
    session: SessionDep,
    group_by: Annotated[GroupBy, Query(description="a row per grid, community or street, and month")] = "community",
    since: Annotated[Moment | None, Query(description="from (included)")] = None,
    until: Annotated[Moment | None, Query(description="until (excluded)")] = None,
    community_code: Annotated[
        str | None, Query(pattern=COMMUNITY_PATTERN, description="only this community's figures, 12 digits")
    ] = None,
) -> JobStats:
    """Postings opened, applications, hires and trainees per place and month, in the caller's scope."""
    return await stats.report(
        session=session,
        principal=principal,
        group_by=group_by,
        since=since,
        until=until,
        community_code=community_code,
    )


@router.get(
    "/{posting_id}",
    response_model=PostingPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="岗位详情 (Get Posting)",
)
async def get_posting(posting_id: PostingId, principal: Reader, lane: FastLaneDep) -> Response:
    """One posting: published ones for everyone, drafts for those who keep them."""
    return json_response(await postings.public_row(lane=lane, principal=principal, posting_id=posting_id))


@router.post(
    "",
    status_code=201,
    response_model=PostingPublic,
    responses={
        200: {"model": PostingPublic, "description": "made before"},
        **problem_responses(401, 403, 404, 409, 422),
    },
    summary="新建岗位 (Create Posting)",
)
async def create_posting(
    posting_in: PostingCreate, principal: ManagerOrEmployer, session: SessionDep, response: Response
) -> PostingPublic:
    """Write a draft posting (staff for an employer of theirs, an employer for its own); 200: sent before."""
    posting, created = await postings.create(session=session, principal=principal, posting_in=posting_in)
    if not created:
        response.status_code = 200
    return await postings.get(session=session, principal=principal, posting_id=posting.id)


@router.patch(
    "/{posting_id}",
    response_model=PostingPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="修改岗位 (Update Posting)",
)
async def update_posting(
    posting_id: PostingId, changes: PostingUpdate, principal: ManagerOrEmployer, session: SessionDep
) -> PostingPublic:
    """Change a draft or open posting."""
    posting = await postings.update(session=session, principal=principal, posting_id=posting_id, changes=changes)
    return await postings.get(session=session, principal=principal, posting_id=posting.id)


@router.post(
    "/{posting_id}/publish",
    response_model=PostingPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="审核发布岗位 (Publish Posting)",
)
async def publish_posting(posting_id: PostingId, principal: Manager, session: SessionDep) -> PostingPublic:
    """Publish a posting (审核发布, community staff): it takes applications from now."""
    posting = await postings.publish(session=session, principal=principal, posting_id=posting_id)
    return await postings.get(session=session, principal=principal, posting_id=posting.id)


@router.post(
    "/{posting_id}/close",
    response_model=PostingPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="关闭岗位 (Close Posting)",
)
async def close_posting(posting_id: PostingId, principal: ManagerOrEmployer, session: SessionDep) -> PostingPublic:
    """Close a posting; applications still in progress are rejected with the reason."""
    posting = await postings.close(session=session, principal=principal, posting_id=posting_id)
    return await postings.get(session=session, principal=principal, posting_id=posting.id)
