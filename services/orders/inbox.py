"""Events the orders service takes from the others (``shared.events``): a visit that needs a
follow-up becomes an ``issue`` order, and a volunteer who served at an activity earns its points in
the one ledger; each once, however often it is delivered. (What it emits: ``events.py``.)"""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.orders.config import Settings
from services.orders.models import inbox_event
from services.orders.orders import service
from services.orders.points import service as points
from shared.errors import ValidationFailed
from shared.events import EventIn, Handler, inbox_router
from shared.places import GRID_PATTERN


class VolunteerServed(BaseModel):
    """The grids service's ``activity.volunteer_served``: an account checked in as having served."""

    model_config = ConfigDict(extra="ignore")

    activity_id: uuid.UUID
    account_id: str = Field(min_length=1, max_length=64)
    account_name: str | None = None
    grid_code: str = Field(pattern=GRID_PATTERN)
    points: int = Field(ge=0, le=1000)
    served_at: AwareDatetime | None = None


class VisitFollowUp(BaseModel):
    """The grids service's ``visit.follow_up_needed``: what ``service.from_visit`` reads of it."""

    model_config = ConfigDict(extra="ignore")

    visit_id: uuid.UUID
    grid_code: str = Field(pattern=GRID_PATTERN)
    household_id: uuid.UUID | None = None


def handlers(settings: Settings) -> dict[str, Handler]:
    async def follow_up(session: AsyncSession, event: EventIn) -> None:
        try:
            VisitFollowUp.model_validate(event.payload)
        except ValidationError as exc:
            raise ValidationFailed.on("payload", "not a visit.follow_up_needed payload") from exc
        await service.from_visit(session, event_id=event.id, payload=event.payload, settings=settings)

    async def volunteer_served(session: AsyncSession, event: EventIn) -> None:
        try:
            served = VolunteerServed.model_validate(event.payload)
        except ValidationError as exc:
            raise ValidationFailed.on("payload", "not an activity.volunteer_served payload") from exc
        await points.credit(
            session,
            account_id=served.account_id,
            source="activity",
            source_id=served.activity_id,
            points=served.points,
            grid_code=served.grid_code,
            at=served.served_at or event.occurred_at,
            account_name=served.account_name[:50] if served.account_name else None,
        )

    return {"visit.follow_up_needed": follow_up, "activity.volunteer_served": volunteer_served}


router = inbox_router(inbox_event, lambda request: handlers(request.app.state.settings))
