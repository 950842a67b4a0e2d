"""HTTP endpoints of matching (人岗对接): the seekers ranked for a posting (under ``/postings``) and the
postings ranked for a seeker (under ``/seekers``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from services.jobs.access import Manager, ResidentOrHelper
from services.jobs.matching import service
from services.jobs.matching.schemas import PostingMatchPage, SeekerMatchPage
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.pagination import CursorQuery, LimitQuery

postings_router = APIRouter(prefix="/api/v1/postings", tags=["postings"])
seekers_router = APIRouter(prefix="/api/v1/seekers", tags=["seekers"])

PostingId = Annotated[uuid.UUID, Path(description="the posting's id")]
ResidentId = Annotated[uuid.UUID, Path(description="the seeker's resident id (居民)")]


@postings_router.get(
    "/{posting_id}/matches",
    response_model=SeekerMatchPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="为岗位推荐求职者 (Posting Matches)",
)
async def posting_matches(
    posting_id: PostingId, principal: Manager, session: SessionDep, limit: LimitQuery = 20, cursor: CursorQuery = None
) -> SeekerMatchPage:
    """The seekers of the caller's communities ranked for this posting, each with the reasons (人岗对接)."""
    items, next_cursor = await service.seekers_for(
        session=session, principal=principal, posting_id=posting_id, limit=limit, cursor=cursor
    )
    return SeekerMatchPage(items=items, next_cursor=next_cursor)


@seekers_router.get(
    "/{resident_id}/matches",
    response_model=PostingMatchPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="为求职者推荐岗位 (Seeker Matches)",
)
async def seeker_matches(
    resident_id: ResidentId,
    principal: ResidentOrHelper,
    session: SessionDep,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> PostingMatchPage:
    """Open postings ranked for the seeker, best first, each with the reasons it matched (人岗对接)."""
    items, next_cursor = await service.postings_for(
        session=session, principal=principal, resident_id=resident_id, limit=limit, cursor=cursor
    )
    return PostingMatchPage(items=items, next_cursor=next_cursor)
