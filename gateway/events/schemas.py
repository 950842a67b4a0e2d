"""What the dead-letter routes answer and take."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from shared.deadletters import DeadEvent


class ServiceDeadEvent(DeadEvent):
    service: str = Field(description="the service that set it aside: residents, grids, orders or jobs")


class DeadEventList(BaseModel):
    items: list[ServiceDeadEvent] = Field(
        description="the set-aside events of every service that answered, newest first"
    )
    notes: list[str] = Field(description="services that could not be asked just now")


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern="^(residents|grids|orders|jobs)$", description="the service that set them aside")
    event_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=500, description="ids of that service's set-aside events, from GET /api/v1/events/dead"
    )


class ReplayAnswer(BaseModel):
    replayed: int = Field(description="how many were put back in line; events not of the caller's places are skipped")
