"""Events the grids service takes from the others (``shared.events``): the residents service's
``household.created``, ``household.updated``, ``household.moved`` and ``household.removed`` keep the copy
of the households (``households.py``), each once however often it is delivered. A payload that is not a
household's facts answers 422, so the producer's relay retries it and in the end sets it aside as dead.
(What the grids service emits: the ``outbox.emit`` calls of its concepts.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.grids import households
from services.grids.models import inbox_event
from shared.db import SessionDep
from shared.errors import ValidationFailed, problem_responses
from shared.events import EVENTS_PATH, EventAck, EventIn, Handler, SignedEvents, apply_once
from shared.households import HOUSEHOLD_EVENTS, HouseholdFact
from shared.security import Principal

router = APIRouter(tags=["internal"])
Relay = Annotated[Principal, Depends(SignedEvents())]


async def household_fact(session: AsyncSession, event: EventIn) -> None:
    try:
        fact = HouseholdFact.model_validate(event.payload)
    except ValidationError as exc:
        raise ValidationFailed.on("payload", f"not a {event.type} payload") from exc
    if fact.removed != (event.type == "household.removed"):
        raise ValidationFailed.on("payload", "removed is true in household.removed, and only there")
    await households.apply_fact(session, fact)


HANDLERS: dict[str, Handler] = dict.fromkeys(HOUSEHOLD_EVENTS, household_fact)


@router.post(EVENTS_PATH, response_model=EventAck, responses=problem_responses(401, 422))
async def take_event(event: EventIn, principal: Relay, session: SessionDep) -> EventAck:
    """An event from another service's relay (Standard Webhooks signature), applied once."""
    return EventAck(status=await apply_once(session, inbox_event, HANDLERS, event))
