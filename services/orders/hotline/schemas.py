"""What the 12345 hotline integration takes and answers (docs/API.md "12345 hotline tickets")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.orders.orders.schemas import Light, State
from services.orders.schemas import TEXT, Input

NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$"
Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]
ReturnState = Literal["none", "requested", "accepted", "refused"]


class TicketIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "number": "GD20261201000123",
                    "caller_phone": "13700001234",
                    "class_code": "E0501",
                    "address": "朝阳路与东三环交叉口西南角",
                    "lat": 39.915,
                    "lng": 116.475,
                    "content": "路口早晚高峰有商贩占道摆摊，行人只能走机动车道",
                    "deadline": "2026-12-08T17:30:00+08:00",
                }
            ]
        },
    )

    number: str = Field(pattern=NUMBER_PATTERN, description="the hotline's ticket number (工单编号), unique per street")
    caller_phone: str | None = Field(
        default=None,
        pattern=r"^\+?[0-9][0-9-]{4,19}$",
        description="the caller's phone: stored encrypted, shown masked (138****1234), never in events or webhooks",
    )
    class_code: str | None = Field(
        default=None, min_length=1, max_length=12, description="the class the hotline gave (GET /api/v1/case-classes)"
    )
    address: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=TEXT, description="where, as the caller said it"
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="latitude (WGS 84), with lng")
    lng: float | None = Field(default=None, ge=-180, le=180, description="longitude (WGS 84), with lat")
    grid_code: str | None = Field(
        default=None, pattern=r"^\d{15}$", description="the grid, when the hotline knows it and gives no point"
    )
    content: str = Field(min_length=1, max_length=2000, pattern=TEXT, description="what the caller reported (诉求)")
    deadline: datetime = Field(description="the hotline's deadline for the answer (办理时限), ISO 8601 with zone")

    @model_validator(mode="after")
    def _where(self) -> TicketIn:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng go together")
        if self.lat is None and self.grid_code is None:
            raise ValueError("say where: lat and lng, or grid_code")
        return self


class ReasonIn(Input):
    reason: str = Field(min_length=1, max_length=300, pattern=TEXT, description="why the street asks to return it")


class AnswerIn(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"accepted": False, "note": "属地管理"}]})

    accepted: bool = Field(description="the hotline takes the ticket back (true) or refuses the return (false)")
    note: str | None = Field(default=None, max_length=300, pattern=TEXT, description="the hotline's words, if any")


class FollowUpIn(Input):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"resolved": True, "satisfaction": "satisfied"}]}
    )

    resolved: bool = Field(description="the caller says the problem is solved (解决) or not (未解决)")
    satisfaction: Satisfaction = Field(description="满意 satisfied, 基本满意 basically_satisfied, 不满意 dissatisfied")
    note: str | None = Field(default=None, max_length=500, pattern=TEXT, description="the follow-up call's notes")


class TicketPublic(BaseModel):
    order_id: uuid.UUID = Field(description="the case the ticket became (GET /api/v1/orders/{id})")
    number: str = Field(description="the hotline's ticket number")
    street_code: str = Field(description="the street that answers it, 9-digit street code")
    grid_code: str = Field(description="the grid where it is, 15-digit grid code")
    state: State = Field(description="the case's state")
    caller_phone_masked: str | None = Field(description="the caller's phone, masked (138****1234); null when none")
    deadline: datetime = Field(description="the hotline's deadline, ISO 8601")
    received_at: datetime = Field(description="when the ticket arrived, ISO 8601")
    sign_due_at: datetime | None = Field(description="when it must be signed for (签收时限)")
    signed_at: datetime | None = Field(description="when the street signed for it; null before")
    sign_light: Light = Field(description="the sign clock's light: green, yellow, red while unsigned; none once signed")
    return_state: ReturnState = Field(
        description="退单: none, requested (waiting for the hotline), accepted (it went back), refused"
    )
    return_reason: str | None = Field(description="the street's reason for the last return request; null when none")
    return_answer: str | None = Field(description="the hotline's note on its answer; null when none")
    return_count: int = Field(description="how many times the street asked to return it")
    result: str | None = Field(description="the result fed back (办结反馈): the handling note once closed; null before")
    resolved: bool | None = Field(description="the follow-up call (回访): solved or not; null before it")
    satisfaction: Satisfaction | None = Field(description="the follow-up call's satisfaction; null before it")
    followed_up_at: datetime | None = Field(description="when the follow-up was recorded; null before")
