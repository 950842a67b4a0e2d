from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

USERNAME = Field(min_length=1, max_length=64, description="username, or a mainland mobile number")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    username: str = USERNAME
    password: str = Field(min_length=1, max_length=256)


class SmsCodeRequest(Strict):
    phone: str = Field(min_length=11, max_length=11, description="mainland mobile number")


class SmsLoginRequest(Strict):
    phone: str = Field(min_length=11, max_length=11)
    code: str = Field(pattern=r"^\d{6}$", description="the 6-digit code")
    bind_ticket: str | None = Field(default=None, max_length=100, description="from a 404 of wechat-login")


class WechatLoginRequest(Strict):
    code: str = Field(min_length=1, max_length=128, description="the mini-program's wx.login code")


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=10, max_length=200)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class ClientToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scope: str


class Accepted(BaseModel):
    status: str = "accepted"


class MePublic(BaseModel):
    """The caller as the gateway vouches for them."""

    account_id: str
    kind: str = Field(description="user or integration_client")
    name: str | None = None
    roles: list[str]
    places: dict[str, list[str]]
    resident_id: str | None = None
    household_id: str | None = None
    grid_code: str | None = None
    street_code: str | None = None
    scopes: list[str] = []


class AccountPublic(BaseModel):
    id: uuid.UUID
    username: str | None
    phone: str | None = Field(description="masked")
    display_name: str
    enabled: bool
    roles: dict[str, list[str]]


class NotificationPublic(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="order_assigned, order_open, order_accepted, order_completed, order_overdue, ...")
    title: str
    body: str
    subject_type: str = Field(description="what it is about: order, application, notice")
    subject_id: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    unread_count: int
    items: list[NotificationPublic]
    next_cursor: str | None = None


class MarkedRead(BaseModel):
    marked: int


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
