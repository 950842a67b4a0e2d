"""Events between the platform's services (ARCHITECTURE.md "Events").

A producer writes events to its outbox in the same transaction as the change (``shared.outbox``);
its relay (``shared.relay``) delivers them at least once over HTTP to the ``/internal/events`` of
every service that subscribes to their type, signed per the Standard Webhooks spec with the
platform's internal events secret. A consumer verifies the signature, and applies each event once:
the event's id goes into its ``inbox_event`` table in the same transaction as the effect.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Column, DateTime, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from shared.db import SessionDep
from shared.errors import Unauthorized, problem_responses
from shared.security import AccessPolicy, Principal

log = logging.getLogger(__name__)

# Which service takes which events: a consumer gets every event whose type starts with one of its
# prefixes. The producers' relays read this table; a consumer lists the same types in its handlers.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "orders": ("visit.follow_up_needed", "activity.volunteer_served"),
    # The grids service keeps a copy of the households (visits, 十联户, coverage, compound notices).
    "grids": ("household.",),
    # The gateway takes every event: it feeds the notification inbox and the street offices' webhooks.
    "gateway": ("",),
}

EVENTS_PATH = "/internal/events"
# Many events in one request, in order, applied in one transaction (the relay's usual way).
BATCH_PATH = EVENTS_PATH + "/batch"
MAX_BATCH = 1000
INTERNAL_SENDER = "internal"


def consumers_of(event_type: str, *, producer: str | None = None) -> list[str]:
    """The services that take events of this type (never the producer itself)."""
    return [name for name, prefixes in SUBSCRIPTIONS.items() if event_type.startswith(prefixes) and name != producer]


class EventIn(BaseModel):
    """An event as it travels: ids, codes and states, never personal data."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID = Field(description="the event's id; a consumer applies each id once")
    type: str = Field(max_length=80, description="the event's type, <aggregate>.<what happened>: order.dispatched")
    aggregate_id: str = Field(max_length=64, description="the id of what the event is about: the order, the household")
    occurred_at: AwareDatetime = Field(description="when the change happened, ISO 8601 with time zone")
    payload: dict[str, Any] = Field(description="the event's ids, codes and states by its type; no personal data")


class EventAck(BaseModel):
    status: str = Field(
        description="`applied`, `duplicate` (applied before) or `ignored` (not a type this service takes)"
    )


class EventBatch(BaseModel):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH, description="in the order they happened")


class BatchAck(BaseModel):
    statuses: list[str] = Field(description="per event, in order: as EventAck's status")


def event_body(row: Any) -> bytes:
    """The JSON body of an outbox row as delivered."""
    return orjson.dumps(
        {
            "id": str(row["id"]),
            "type": row["type"],
            "aggregate_id": row["aggregate_id"],
            "occurred_at": row["occurred_at"].isoformat(),
            "payload": row["payload"] if not isinstance(row["payload"], str) else orjson.loads(row["payload"]),
        }
    )


def signer(secret: str) -> Webhook:
    """The Standard Webhooks signer of the internal deliveries: the key is derived from the shared
    secret string (any length), so operators may set any strong random string."""
    return Webhook(hashlib.sha256(f"grid-platform-events:{secret}".encode()).digest())


def signed_headers(webhook: Webhook, event_id: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = datetime.fromtimestamp(now if now is not None else time.time(), tz=UTC)
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": webhook.sign(event_id, timestamp, body.decode()),
    }


class SignedEvents(AccessPolicy):
    """The access rule of ``/internal/events``: a valid Standard Webhooks signature made with the
    platform's internal events secret, instead of a bearer token."""

    def __init__(self) -> None:
        super().__init__(machine_scopes=(INTERNAL_SENDER,))

    async def __call__(self, request: Request) -> Principal | None:
        webhook: Webhook = request.app.state.events_signer
        body = await request.body()
        try:
            webhook.verify(body, dict(request.headers), json_parse=False)
        except Exception as exc:  # noqa: BLE001 - missing, malformed, stale or wrong: all the same answer
            raise Unauthorized("the event's signature is missing or not valid") from exc
        principal = Principal(sub="service:relay", roles=frozenset(), machine=True, scopes=frozenset({INTERNAL_SENDER}))
        request.state.principal = principal
        return principal


# The principal of an event's delivery: the producer's relay, by its signature.
Relay = Annotated[Principal, Depends(SignedEvents())]


def inbox_table(metadata: MetaData) -> Table:
    """The ids of the events a consumer has applied (deduplication of at-least-once delivery)."""
    return Table(
        "inbox_event",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("type", String(80), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


Handler = Callable[[AsyncSession, EventIn], Awaitable[None]]
BulkHandler = Callable[[AsyncSession, list[EventIn]], Awaitable[None]]


async def apply_once(
    session: AsyncSession, inbox: Table, handlers: dict[str, Handler] | Handler, event: EventIn
) -> str:
    """Apply the event with its handler (by type, or one for every type) unless it was applied
    before, in the caller's transaction."""
    handler = handlers.get(event.type) if isinstance(handlers, dict) else handlers
    if handler is None:
        return "ignored"
    claimed = await session.scalar(
        insert(inbox).values(id=event.id, type=event.type).on_conflict_do_nothing().returning(inbox.c.id)
    )
    if claimed is None:
        return "duplicate"
    await handler(session, event)
    return "applied"


async def apply_batch(
    session: AsyncSession,
    inbox: Table,
    handlers: dict[str, Handler] | Handler,
    events: list[EventIn],
    bulk: dict[str, BulkHandler] | BulkHandler | None = None,
) -> list[str]:
    """Apply events in order, each unless applied before, in the caller's transaction; their statuses.
    The inbox is claimed for all of them in one statement; a run of consecutive events whose types
    have a ``bulk`` handler goes to it in one call (it must apply them in the order given)."""
    wanted = [e for e in events if (handlers.get(e.type) if isinstance(handlers, dict) else handlers) is not None]
    claimed: set[uuid.UUID] = set()
    if wanted:
        rows = {e.id: {"id": e.id, "type": e.type} for e in wanted}  # an id twice in a batch: once
        claimed = set(
            (
                await session.scalars(
                    insert(inbox).values(list(rows.values())).on_conflict_do_nothing().returning(inbox.c.id)
                )
            ).all()
        )
    statuses: list[str] = []
    run: list[EventIn] = []

    def bulk_for(event_type: str) -> BulkHandler | None:
        return bulk.get(event_type) if isinstance(bulk, dict) else bulk

    async def flush_run() -> None:
        if run:
            handle_run = bulk_for(run[0].type)
            assert handle_run is not None
            await handle_run(session, list(run))
            run.clear()

    for event in events:
        handler = handlers.get(event.type) if isinstance(handlers, dict) else handlers
        if handler is None:
            statuses.append("ignored")
            continue
        if event.id not in claimed:
            statuses.append("duplicate")
            continue
        claimed.discard(event.id)
        statuses.append("applied")
        if (handle_run := bulk_for(event.type)) is not None:
            if run and bulk_for(run[0].type) is not handle_run:
                await flush_run()
            run.append(event)
            continue
        await flush_run()
        await handler(session, event)
    await flush_run()
    return statuses


def inbox_router(
    inbox: Table,
    handlers_of: Callable[[Request], dict[str, Handler] | Handler],
    bulk: Callable[[Request], dict[str, BulkHandler] | BulkHandler] | None = None,
) -> APIRouter:
    """A consumer's door: ``POST /internal/events`` (one event) and ``POST /internal/events/batch`` (many,
    in order, in one transaction: one that cannot be applied fails the whole batch, and the relay then
    sends them one by one). ``handlers_of`` gives the handlers for the request (by type, or one for all);
    ``bulk``, handlers that take a run of consecutive events of their types at once (a register's import
    makes tens of thousands)."""
    router = APIRouter(tags=["internal"])

    @router.post(EVENTS_PATH, response_model=EventAck, responses=problem_responses(401, 422))
    async def take_event(event: EventIn, principal: Relay, session: SessionDep, request: Request) -> EventAck:
        """An event from another service's relay (Standard Webhooks signature), applied once."""
        return EventAck(status=await apply_once(session, inbox, handlers_of(request), event))

    @router.post(BATCH_PATH, response_model=BatchAck, responses=problem_responses(401, 422))
    async def take_events(batch: EventBatch, principal: Relay, session: SessionDep, request: Request) -> BatchAck:
        """Events from another service's relay, in order, each applied once, all or none."""
        bulk_handlers = bulk(request) if bulk is not None else None
        return BatchAck(statuses=await apply_batch(session, inbox, handlers_of(request), batch.events, bulk_handlers))

    return router
