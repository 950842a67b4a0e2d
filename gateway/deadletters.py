"""Events the services' relays set aside after repeated failures, for staff to see and replay
(``/api/v1/events/dead``): the gateway asks every service with its internal token, for the places
the caller oversees (street admins their streets, community staff their communities)."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from gateway.upstream import InternalClient
from shared.deadletters import DeadEvent
from shared.errors import DomainError, NotFound, problem_responses
from shared.security import Principal, allow

router = APIRouter(prefix="/api/v1/events", tags=["events"])
Staff = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]
SERVICES = ("residents", "grids", "orders", "jobs")


class ServiceDeadEvent(DeadEvent):
    service: str


class DeadEventList(BaseModel):
    items: list[ServiceDeadEvent]
    notes: list[str] = Field(description="services that could not be asked just now")


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern="^(residents|grids|orders|jobs)$")
    event_ids: list[str] = Field(min_length=1, max_length=500)


class ReplayAnswer(BaseModel):
    replayed: int


def _places(principal: Principal) -> dict[str, list[str]]:
    return {
        "streets": list(principal.places_of("street_admin")),
        "communities": list(principal.places_of("community_staff")),
    }


def _clients(request: Request) -> dict[str, InternalClient]:
    clients: dict[str, InternalClient] = request.app.state.internal_clients
    return clients


@router.get("/dead", response_model=DeadEventList, responses=problem_responses(401, 403))
async def dead_events(principal: Staff, request: Request) -> DeadEventList:
    """Events of the caller's places that could not be delivered after repeated tries, per service."""
    query = urlencode(_places(principal), doseq=True)
    clients = _clients(request)

    async def ask(name: str) -> list[ServiceDeadEvent] | str:
        try:
            answer = await clients[name].call("GET", f"/internal/outbox/dead?{query}") or {}
        except DomainError as error:
            return f"{name}: {error.detail}"
        return [ServiceDeadEvent(service=name, **item) for item in answer.get("items", [])]

    answers = await asyncio.gather(*(ask(name) for name in SERVICES if name in clients))
    items = [event for answer in answers if isinstance(answer, list) for event in answer]
    items.sort(key=lambda e: e.dead_at, reverse=True)
    return DeadEventList(items=items, notes=[answer for answer in answers if isinstance(answer, str)])


@router.post("/dead/replay", response_model=ReplayAnswer, responses=problem_responses(401, 403, 404, 422, 503))
async def replay(body: ReplayRequest, principal: Staff, request: Request) -> ReplayAnswer:
    """Put set-aside events of the caller's places back in line; the relay delivers them again."""
    client = _clients(request).get(body.service)
    if client is None:
        raise NotFound(f"no {body.service} service is configured")
    answer = await client.call(
        "POST", "/internal/outbox/replay", json={"event_ids": body.event_ids, **_places(principal)}
    )
    return ReplayAnswer(replayed=int((answer or {}).get("replayed", 0)))
