"""What goes in and out of the webhook endpoints and their delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPE_PATTERN = r"^(\*|[a-z_]+\.(\*|[a-z_]+))$"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://ops.street-office.example/hooks/grid-platform",
                    "event_types": ["order.*", "notice.published"],
                    "description": "街道指挥中心工单系统",
                }
            ]
        },
    )

    url: str = Field(min_length=8, max_length=2000, description="https; its host must resolve to public addresses")
    event_types: list[Annotated[str, Field(pattern=EVENT_TYPE_PATTERN, max_length=80)]] = Field(
        min_length=1, max_length=50, description="`order.rated`, `order.*` or `*`"
    )
    description: str | None = Field(default=None, max_length=200, description="the client's own note on the endpoint")


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        default=None, min_length=8, max_length=2000, description="a new URL: https, resolving to public addresses"
    )
    event_types: list[Annotated[str, Field(pattern=EVENT_TYPE_PATTERN, max_length=80)]] | None = Field(
        default=None, min_length=1, max_length=50, description="the types to receive instead: `order.*`, `*`, ..."
    )
    description: str | None = Field(default=None, max_length=200, description="a new note; null clears it")
    enabled: bool | None = Field(default=None, description="true re-enables an endpoint that was disabled")


class WebhookPublic(BaseModel):
    id: uuid.UUID = Field(description="the webhook endpoint's id")
    url: str = Field(description="where deliveries are POSTed; empty once the endpoint is deleted")
    event_types: list[str] = Field(description="the event types it receives: `order.rated`, `order.*` or `*`")
    description: str | None = Field(description="the client's own note on the endpoint; null when none")
    enabled: bool = Field(description="false while disabled: nothing is delivered to it")
    disabled_reason: str | None = Field(
        description="why it was disabled: 410 Gone, failures in a row, by the client, deleted; null while enabled"
    )
    failure_streak: int = Field(description="failed attempts in a row; at 50 the endpoint is disabled")
    previous_secret_expires_at: datetime | None = Field(description="until then the old secret also signs")
    created_at: datetime = Field(description="when it was registered, ISO 8601 with time zone")
    updated_at: datetime = Field(description="when it was last changed, ISO 8601 with time zone")


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="whsec_...: shown once; verify deliveries with it (Standard Webhooks)")


class WebhookList(BaseModel):
    items: list[WebhookPublic] = Field(description="the client's endpoints, oldest first (deleted ones are gone)")


class AttemptPublic(BaseModel):
    at: datetime = Field(description="when the attempt was made, ISO 8601 with time zone")
    status_code: int | None = Field(description="the HTTP status the endpoint answered; null when none came")
    error: str | None = Field(
        description="why no answer came: `refused: <reason>` or the error's name (ConnectTimeout); null if answered"
    )
    duration_ms: int = Field(description="how long the attempt took, milliseconds")


class DeliveryPublic(BaseModel):
    id: int = Field(description="the delivery's id")
    event_id: uuid.UUID = Field(description="the event's id, sent as the webhook-id header")
    event_type: str = Field(description="the event's type, e.g. order.rated")
    aggregate_id: str = Field(description="the id of what the event is about: the order, the notice, ...")
    attempts: int = Field(description="attempts made so far (a redelivery starts again at 0)")
    next_attempt_at: datetime = Field(
        description="when the next attempt is due, ISO 8601 with time zone; none comes once delivered or set aside"
    )
    delivered_at: datetime | None = Field(description="when the endpoint answered 2xx; null until then")
    dead_at: datetime | None = Field(description="set aside after repeated failures; redeliver to try again")
    last_status: int | None = Field(
        description="the HTTP status of the last attempt; null before any, or when none came"
    )
    last_error: str | None = Field(description="why the last attempt got no answer; null when it got one")
    created_at: datetime = Field(description="when the event was queued for this endpoint, ISO 8601 with time zone")
    log: list[AttemptPublic] = Field(description="its attempts, oldest first (empty in the answer of a redeliver)")


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic] = Field(description="the deliveries of this page, newest first")
    next_cursor: str | None = Field(
        default=None, description="pass as cursor to get the next page; null on the last page"
    )


class TestSend(BaseModel):
    ok: bool = Field(description="true when the endpoint answered 2xx")
    status_code: int | None = Field(description="the HTTP status the endpoint answered; null when none came")
    error: str | None = Field(description="why no answer came (refused, timeout, connection error); null if answered")
    duration_ms: int = Field(description="how long the test took, milliseconds")
