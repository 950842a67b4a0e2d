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


class DeadEvent(BaseModel):
    id: uuid.UUID
    type: str
    aggregate_id: str
    occurred_at: datetime
    attempts: int
    dead_at: datetime
    last_error: str | None
    street_code: str | None
    community_code: str | None


class DeadEvents(BaseModel):
    items: list[DeadEvent]


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    streets: list[str] = Field(default_factory=list, max_length=50)
    communities: list[str] = Field(default_factory=list, max_length=50)


class Replayed(BaseModel):
    replayed: int


_IN_PLACES = "(payload->>'street_code' = ANY($1::text[]) OR payload->>'community_code' = ANY($2::text[]))"


def _pool(request: Request) -> Any:
    return request.app.state.db.fastlane.pool


@router.get("/dead", response_model=DeadEvents, responses=problem_responses(401, 403, 422))
async def dead_events(
    principal: Gateway,
    request: Request,
    streets: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006 - FastAPI copies defaults
    communities: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
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
