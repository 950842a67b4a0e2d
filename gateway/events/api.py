"""The internal door where the services' events arrive, and the set-aside events staff see and replay."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.clients import InternalClientsDep
from gateway.context import GatewayDep
from gateway.events import deadletters, service
from gateway.events.access import Relay, Staff
from gateway.events.schemas import DeadEventList, ReplayAnswer, ReplayRequest
from gateway.models import inbox_event
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.events import EVENTS_PATH, EventAck, EventIn, apply_once

router = APIRouter(tags=["internal"])
dead = APIRouter(prefix="/api/v1/events", tags=["events"])


@router.post(EVENTS_PATH, response_model=EventAck, responses=problem_responses(401, 422))
async def take_event(event: EventIn, principal: Relay, session: SessionDep, context: GatewayDep) -> EventAck:
    """An event from a service's relay (Standard Webhooks signature), applied once."""

    async def handler(session: AsyncSession, event: EventIn) -> None:
        await service.handle(session, event, registry=context.registry)

    return EventAck(status=await apply_once(session, inbox_event, handler, event))


@dead.get("/dead", response_model=DeadEventList, responses=problem_responses(401, 403))
async def dead_events(principal: Staff, clients: InternalClientsDep) -> DeadEventList:
    """Events of the caller's places that could not be delivered after repeated tries, per service."""
    return await deadletters.dead_events(clients=clients, principal=principal)


@dead.post("/dead/replay", response_model=ReplayAnswer, responses=problem_responses(401, 403, 404, 422, 503))
async def replay(body: ReplayRequest, principal: Staff, clients: InternalClientsDep) -> ReplayAnswer:
    """Put set-aside events of the caller's places back in line; the relay delivers them again."""
    return await deadletters.replay(
        clients=clients, principal=principal, service=body.service, event_ids=[str(i) for i in body.event_ids]
    )
