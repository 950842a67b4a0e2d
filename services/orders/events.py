"""Events the orders service takes from the others (``shared.events``): a visit that needs a
follow-up becomes an ``issue`` order, once however often it is delivered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.orders import service
from services.orders.config import Settings
from services.orders.models import inbox_event
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.events import EVENTS_PATH, EventAck, EventIn, Handler, SignedEvents, apply_once
from shared.security import Principal

router = APIRouter(tags=["internal"])
Relay = Annotated[Principal, Depends(SignedEvents())]


def handlers(settings: Settings) -> dict[str, Handler]:
    async def follow_up(session: AsyncSession, event: EventIn) -> None:
        await service.from_visit(session, event_id=event.id, payload=event.payload, settings=settings)

    return {"visit.follow_up_needed": follow_up}


@router.post(EVENTS_PATH, response_model=EventAck, responses=problem_responses(401, 422))
async def take_event(event: EventIn, principal: Relay, session: SessionDep, request: Request) -> EventAck:
    """An event from another service's relay (Standard Webhooks signature), applied once."""
    status = await apply_once(session, inbox_event, handlers(request.app.state.settings), event)
    return EventAck(status=status)
