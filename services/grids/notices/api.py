"""HTTP endpoints of notices (公告): publish, list for one's places, read, change, withdraw."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.grids.clients import OtherServicesDep
from services.grids.notices import service as notices
from services.grids.notices.access import Manager, Person, Reader
from services.grids.notices.schemas import (
    NoticeCategory,
    NoticeCreate,
    NoticeDetail,
    NoticePage,
    NoticePublic,
    NoticeUpdate,
)
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery

router = APIRouter(prefix="/api/v1/notices", tags=["notices"])

NoticeIdPath = Annotated[uuid.UUID, Path(description="the notice's id")]


@router.get(
    "", response_model=NoticePage, responses=problem_responses(401, 403, 422), summary="公告列表 (List Notices)"
)
async def list_notices(
    principal: Reader,
    lane: FastLaneDep,
    category: Annotated[NoticeCategory | None, Query(description="only notices of this category (类别)")] = None,
    unread: Annotated[bool, Query(description="only those the caller has not read")] = False,
    include_expired: Annotated[bool, Query(description="staff: also expired and withdrawn ones")] = False,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Notices for the caller's places (community, grid, compound), newest first, pinned above."""
    items, next_cursor = await notices.list_notices(
        lane=lane,
        principal=principal,
        category=category,
        unread=unread,
        include_expired=include_expired,
        limit=limit,
        cursor=cursor,
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post(
    "",
    status_code=201,
    response_model=NoticePublic,
    responses=problem_responses(401, 403, 404, 422, 503),
    summary="发布公告 (Publish Notice)",
)
async def publish_notice(
    notice_in: NoticeCreate, principal: Manager, session: SessionDep, others: OtherServicesDep
) -> NoticePublic:
    """Publish a notice to a community, one of its grids or one of its compounds."""
    compound = None
    if notice_in.compound_id is not None:
        compound = await others.compound(notice_in.compound_id)
    return await notices.publish(session=session, principal=principal, notice_in=notice_in, compound=compound)


@router.get(
    "/{notice_id}",
    response_model=NoticeDetail,
    responses=problem_responses(401, 403, 404, 422),
    summary="公告详情 (Get Notice)",
)
async def get_notice(notice_id: NoticeIdPath, principal: Reader, lane: FastLaneDep) -> Response:
    """One notice for the caller's places, with their read state (and, for staff, how many read it)."""
    return json_response(await notices.get(lane=lane, principal=principal, notice_id=notice_id))


@router.post(
    "/{notice_id}/read",
    response_model=NoticePublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="公告标记已读 (Mark Read)",
)
async def mark_read(notice_id: NoticeIdPath, principal: Person, session: SessionDep) -> NoticePublic:
    """The caller has read the notice."""
    return await notices.mark_read(
        session=session,
        principal=principal,
        notice_id=notice_id,
    )


@router.patch(
    "/{notice_id}",
    response_model=NoticePublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="修改公告 (Update Notice)",
)
async def update_notice(
    notice_id: NoticeIdPath, changes: NoticeUpdate, principal: Manager, session: SessionDep
) -> NoticePublic:
    """Change a notice's text, pin it or unpin it, or set its expiry."""
    return await notices.update(session=session, principal=principal, notice_id=notice_id, changes=changes)


@router.post(
    "/{notice_id}/withdraw",
    response_model=NoticePublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="撤下公告 (Withdraw Notice)",
)
async def withdraw_notice(notice_id: NoticeIdPath, principal: Manager, session: SessionDep) -> NoticePublic:
    """Take a notice down."""
    return await notices.withdraw(session=session, principal=principal, notice_id=notice_id)
