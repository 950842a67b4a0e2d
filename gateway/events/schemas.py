"""What the dead-letter routes answer and take."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from shared.deadletters import DeadEvent


class ServiceDeadEvent(DeadEvent):
    service: str


class DeadEventList(BaseModel):
    items: list[ServiceDeadEvent]
    notes: list[str] = Field(description="services that could not be asked just now")


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern="^(residents|grids|orders|jobs)$")
    event_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class ReplayAnswer(BaseModel):
    replayed: int
