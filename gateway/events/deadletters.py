"""Events the services' relays set aside after repeated failures, for staff to see and replay
(``/api/v1/events/dead``): the gateway asks every service with its internal token, for the places
the caller oversees (street admins their streets, community staff their communities)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from gateway.clients import InternalClient
from gateway.events.access import places_of
from gateway.events.schemas import DeadEventList, ReplayAnswer, ServiceDeadEvent
from shared.errors import DomainError, NotFound
from shared.security import Principal

SERVICES = ("residents", "grids", "orders", "jobs")


async def dead_events(*, clients: dict[str, InternalClient], principal: Principal) -> DeadEventList:
    query = urlencode(places_of(principal), doseq=True)

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


async def replay(
    *, clients: dict[str, InternalClient], principal: Principal, service: str, event_ids: list[str]
) -> ReplayAnswer:
    client = clients.get(service)
    if client is None:
        raise NotFound(f"no {service} service is configured")
    answer = await client.call("POST", "/internal/outbox/replay", json={"event_ids": event_ids, **places_of(principal)})
    return ReplayAnswer(replayed=int((answer or {}).get("replayed", 0)))
