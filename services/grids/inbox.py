"""Events the grids service takes from the others (``shared.events``): the residents service's
``household.created``, ``household.updated``, ``household.moved`` and ``household.removed`` keep the copy
of the households (``households.py``), each once however often it is delivered. A payload that is not a
household's facts answers 422, so the producer's relay retries it and in the end sets it aside as dead.
(What the grids service emits: the ``outbox.emit`` calls of its concepts.)"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.grids import households
from services.grids.models import inbox_event
from shared.errors import ValidationFailed
from shared.events import BulkHandler, EventIn, Handler, inbox_router
from shared.households import HOUSEHOLD_EVENTS, HouseholdFact


def _fact(event: EventIn) -> HouseholdFact:
    try:
        fact = HouseholdFact.model_validate(event.payload)
    except ValidationError as exc:
        raise ValidationFailed.on("payload", f"not a {event.type} payload") from exc
    if fact.removed != (event.type == "household.removed"):
        raise ValidationFailed.on("payload", "removed is true in household.removed, and only there")
    return fact


async def household_fact(session: AsyncSession, event: EventIn) -> None:
    await households.apply_fact(session, _fact(event))


async def household_facts(session: AsyncSession, events: list[EventIn]) -> None:
    """A run of household events from one batch (an import makes tens of thousands), in order."""
    await households.apply_facts(session, [_fact(event) for event in events])


HANDLERS: dict[str, Handler] = dict.fromkeys(HOUSEHOLD_EVENTS, household_fact)
BULK: dict[str, BulkHandler] = dict.fromkeys(HOUSEHOLD_EVENTS, household_facts)


router = inbox_router(inbox_event, lambda request: HANDLERS, lambda request: BULK)
