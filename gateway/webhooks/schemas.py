"""What goes in and out of the webhook endpoints and their delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPE_PATTERN = r"^(\*|[a-z_]+\.(\*|[a-z_]+))$"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000, description="https; its host must resolve to public addresses")
    event_types: list[Annotated[str, Field(pattern=EVENT_TYPE_PATTERN, max_length=80)]] = Field(
        min_length=1, max_length=50, description="`order.rated`, `order.*` or `*`"
    )
    description: str | None = Field(default=None, max_length=200)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=8, max_length=2000)
    event_types: list[Annotated[str, Field(pattern=EVENT_TYPE_PATTERN, max_length=80)]] | None = Field(
        default=None, min_length=1, max_length=50
    )
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = Field(default=None, description="true re-enables an endpoint that was disabled")


class WebhookPublic(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    failure_streak: int
    previous_secret_expires_at: datetime | None = Field(description="until then the old secret also signs")
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="whsec_...: shown once; verify deliveries with it (Standard Webhooks)")


class WebhookList(BaseModel):
    items: list[WebhookPublic]


class AttemptPublic(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryPublic(BaseModel):
    id: int
    event_id: uuid.UUID
    event_type: str
    aggregate_id: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    dead_at: datetime | None = Field(description="set aside after repeated failures; redeliver to try again")
    last_status: int | None
    last_error: str | None
    created_at: datetime
    log: list[AttemptPublic]


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None = None


class TestSend(BaseModel):
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
