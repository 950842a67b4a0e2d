"""Events the relay set aside after repeated failures (``dead_at``), as every process answers the
gateway about them: listed for the places a member of staff oversees, and put back in line."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from shared.errors import problem_responses
from shared.relay import replay_dead
from shared.security import Principal, allow

router = APIRouter(prefix="/internal/outbox", tags=["internal"])
Gateway = Annotated[Principal, Depends(allow(machine_scopes=("internal",)))]
StreetsQuery = Annotated[list[str], Query(max_length=50, description="street codes whose events to list")]
CommunitiesQuery = Annotated[list[str], Query(max_length=50, description="community codes whose events to list")]


class DeadEvent(BaseModel):
    id: uuid.UUID = Field(description="the event's id")
    type: str = Field(description="the event's type, e.g. order.dispatched")
    aggregate_id: str = Field(description="the id of what the event is about: the order, the household, ...")
    occurred_at: datetime = Field(description="when the change happened, ISO 8601 with time zone")
    attempts: int = Field(description="how many deliveries were tried before it was set aside")
    dead_at: datetime = Field(description="when the relay set it aside, ISO 8601 with time zone")
    last_error: str | None = Field(description="why the last delivery failed; null when not recorded")
    street_code: str | None = Field(description="the street (街道) in the event, 9-digit code; null when it names none")
    community_code: str | None = Field(
        description="the community (社区) in the event, 12-digit code; null when it names none"
    )


class DeadEvents(BaseModel):
    items: list[DeadEvent] = Field(description="the set-aside events of the places asked for, newest first")


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_ids: list[uuid.UUID] = Field(min_length=1, max_length=500, description="the set-aside events to put back")
    streets: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="the gateway caller's street codes: events of these may be replayed",
    )
    communities: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="the gateway caller's community codes: events of these may be replayed",
    )


class Replayed(BaseModel):
    replayed: int = Field(description="how many events were put back in line")


_IN_PLACES = "(payload->>'street_code' = ANY($1::text[]) OR payload->>'community_code' = ANY($2::text[]))"


def _pool(request: Request) -> Any:
    return request.app.state.db.fastlane.pool


@router.get("/dead", response_model=DeadEvents, responses=problem_responses(401, 403, 422))
async def dead_events(
    principal: Gateway,
    request: Request,
    streets: StreetsQuery = [],  # noqa: B006 - FastAPI copies defaults
    communities: CommunitiesQuery = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many events")] = 100,
) -> DeadEvents:
    """Set-aside events of these streets or communities, newest first (for the gateway)."""
    rows = await _pool(request).fetch(
        "SELECT id, type, aggregate_id, occurred_at, attempts, dead_at, last_error,"
        " payload->>'street_code' AS street_code, payload->>'community_code' AS community_code"
        f" FROM outbox_event WHERE dead_at IS NOT NULL AND {_IN_PLACES} ORDER BY dead_at DESC LIMIT $3",
        streets,
        communities,
        limit,
    )
    return DeadEvents(items=[DeadEvent.model_validate(dict(row)) for row in rows])


@router.post("/replay", response_model=Replayed, responses=problem_responses(401, 403, 422))
async def replay(body: ReplayIn, principal: Gateway, request: Request) -> Replayed:
    """Put set-aside events of these places back in line (for the gateway)."""
    pool = _pool(request)
    ids = await pool.fetch(
        f"SELECT id FROM outbox_event WHERE dead_at IS NOT NULL AND id = ANY($3::uuid[]) AND {_IN_PLACES}",
        body.streets,
        body.communities,
        body.event_ids,
    )
    if not ids:
        return Replayed(replayed=0)
    return Replayed(replayed=await replay_dead(pool, event_ids=[str(row["id"]) for row in ids]))
