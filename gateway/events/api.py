"""The internal door where the services' events arrive, and the set-aside events staff see and replay."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.clients import InternalClientsDep
from gateway.context import GatewayContext
from gateway.events import deadletters, service
from gateway.events.access import Staff
from gateway.events.schemas import DeadEventList, ReplayAnswer, ReplayRequest
from gateway.models import inbox_event
from shared.errors import problem_responses
from shared.events import BulkHandler, EventIn, Handler, inbox_router

dead = APIRouter(prefix="/api/v1/events", tags=["events"])


def _handler(request: Request) -> Handler:
    """Every event: the inboxes it concerns, the webhooks that asked for it (``service.handle``)."""
    context: GatewayContext = request.app.state.gateway

    async def handle(session: AsyncSession, event: EventIn) -> None:
        await service.handle(session, event, registry=context.registry)

    return handle


def _bulk(request: Request) -> BulkHandler:
    """A batch's events at once: the same, with one look-up of the webhooks for them all."""
    context: GatewayContext = request.app.state.gateway

    async def handle_many(session: AsyncSession, events: list[EventIn]) -> None:
        await service.handle_many(session, events, registry=context.registry)

    return handle_many


# The door the services' relays deliver to (one event, or a batch).
router = inbox_router(inbox_event, _handler, _bulk)


@dead.get(
    "/dead",
    response_model=DeadEventList,
    responses=problem_responses(401, 403),
    summary="投递失败事件列表 (Dead Events)",
)
async def dead_events(principal: Staff, clients: InternalClientsDep) -> DeadEventList:
    """Events of the caller's places that could not be delivered after repeated tries, per service."""
    return await deadletters.dead_events(clients=clients, principal=principal)


@dead.post(
    "/dead/replay",
    response_model=ReplayAnswer,
    responses=problem_responses(401, 403, 404, 422, 503),
    summary="重新投递失败事件 (Replay)",
)
async def replay(body: ReplayRequest, principal: Staff, clients: InternalClientsDep) -> ReplayAnswer:
    """Put set-aside events of the caller's places back in line; the relay delivers them again."""
    return await deadletters.replay(
        clients=clients, principal=principal, service=body.service, event_ids=[str(i) for i in body.event_ids]
    )
