"""What the case loop's steps take (docs/API.md "The case loop")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.orders.orders.schemas import Urgency
from services.orders.schemas import TEXT, Input

NOTE = Field(default=None, max_length=2000, pattern=TEXT, description="what was found or done, if anything to say")


class NoteIn(Input):
    note: str | None = NOTE


class FileIn(Input):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"class_code": "E0501", "urgency": "normal"}]}
    )

    class_code: str = Field(
        min_length=1, max_length=12, description="the small class of the catalogue (GET /api/v1/case-classes)"
    )
    urgency: Urgency = Field(default="normal", description="urgent 紧急 or normal 一般: fixes the stages' limits")
    note: str | None = NOTE


class ReasonIn(Input):
    reason: str = Field(
        min_length=1, max_length=300, pattern=TEXT, description="why (the reporter and the timeline see it)"
    )


class HandleIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "已劝离占道摊贩，现场恢复通行", "photo_ids": []}]},
    )

    note: str = Field(min_length=1, max_length=2000, pattern=TEXT, description="what was done (处置情况)")
    photo_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=9, description="photos of the work, added to the order before"
    )


class CheckIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"passed": False, "note": "摊贩又回来了", "photo_ids": []}]},
    )

    passed: bool = Field(description="true: the problem is solved (核查通过); false: back to the handler (返工)")
    note: str | None = NOTE
    photo_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=9, description="photos of what the check found, added to the order before"
    )


class ExtendIn(Input):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"hours": 14, "reason": "需协调产权单位，两个工作日内完成"}]}
    )

    hours: int = Field(ge=1, le=720, description="working hours to add to the handling limit")
    reason: str = Field(min_length=1, max_length=300, pattern=TEXT, description="why more time is needed")


class ShelveIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "涉及拆迁规划，暂不具备处置条件", "review_on": "2027-03-01"}]},
    )

    reason: str = Field(
        min_length=1, max_length=300, pattern=TEXT, description="why it cannot be solved now (挂账原因)"
    )
    review_on: date = Field(description="the day to look at it again (复核日期), after today")


class VoidIn(Input):
    duplicate_of: uuid.UUID = Field(description="the case kept: this one is its duplicate (作废)")
    note: str | None = NOTE


class ExtensionPublic(BaseModel):
    id: uuid.UUID = Field(description="the request's id, to approve or refuse it")
    order_id: uuid.UUID = Field(description="the case")
    hours: int = Field(description="working hours asked for")
    reason: str = Field(description="why")
    state: Literal["pending", "approved", "refused"] = Field(description="pending, approved or refused")
    requested_by: str = Field(description="the account that asked")
    requested_at: datetime = Field(description="when it was asked, ISO 8601")
    decided_by: str | None = Field(description="who decided; null while pending")
    decided_at: datetime | None = Field(description="when; null while pending")
