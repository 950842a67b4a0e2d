"""The caller's notification inbox: pages (on the fast lane), marking read, and a server-sent events stream."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.responses import Response, StreamingResponse

from gateway.notifications import service
from gateway.notifications.access import Reader
from gateway.notifications.schemas import MarkedRead, NotificationPage, NotificationPublic
from shared.db import FastLaneDep, SessionDep, get_database
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery

router = APIRouter(prefix="/api/v1/me/notifications", tags=["me"])


@router.get(
    "",
    response_model=NotificationPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="我的通知列表 (My Notifications)",
)
async def my_notifications(
    principal: Reader,
    lane: FastLaneDep,
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """The caller's notifications, newest first, with the unread count."""
    page = await service.list_page(lane=lane, principal=principal, unread=unread, limit=limit, cursor=cursor)
    return json_response(page)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
        **problem_responses(401, 403, 404),
    },
    summary="通知实时推送 (Notification Stream)",
)
async def notification_stream(
    principal: Reader,
    request: Request,
    last_event_id: Annotated[
        str | None,
        Header(
            max_length=64,
            description="the id of the last notification received (EventSource resends it): resume after it",
        ),
    ] = None,
) -> StreamingResponse:
    """Server-sent events: `unread` (the count) at once, then each new `notification` as it comes."""
    db = get_database(request)
    events = service.stream(
        sessionmaker=db.sessionmaker,
        hub=request.app.state.notification_hub,
        principal=principal,
        last_event_id=last_event_id,
        is_disconnected=request.is_disconnected,
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/read-all",
    response_model=MarkedRead,
    responses=problem_responses(401, 403, 404),
    summary="全部通知标为已读 (Read All)",
)
async def read_all(principal: Reader, session: SessionDep) -> MarkedRead:
    """Mark every notification of the caller read."""
    return MarkedRead(marked=await service.mark_all_read(session=session, principal=principal))


@router.post(
    "/{notification_id}/read",
    response_model=NotificationPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="通知标为已读 (Read One)",
)
async def read_one(
    notification_id: Annotated[uuid.UUID, Path(description="the notification's id")],
    principal: Reader,
    session: SessionDep,
) -> NotificationPublic:
    """Mark one notification read."""
    return await service.mark_read(session=session, principal=principal, notification_id=notification_id)
