"""What goes in and out of the vault: a reveal's request and answer, and the audit's records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.pagination import Page

RevealField = Literal["phone", "id_number"]


class RevealRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"fields": ["phone"], "purpose": "老人独居，连续两天未应门，需联系其本人确认安全"}]
        },
    )

    fields: list[RevealField] = Field(min_length=1, max_length=2, description="which clear values: phone, id_number")
    purpose: str = Field(min_length=4, max_length=200, description="why the clear value is needed (audited)")


class Revealed(BaseModel):
    phone: str | None = Field(
        default=None, description="the clear mobile number, when asked for; null if not asked or none is recorded"
    )
    id_number: str | None = Field(default=None, description="the clear ID number (身份证号), when asked for; else null")


class RevealRecord(BaseModel):
    id: int = Field(description="the audit record's id")
    at: datetime = Field(description="when the data was revealed, ISO 8601 with time zone")
    account_id: str = Field(description="who revealed it: their account id")
    role: str = Field(description="the role they revealed it in: community_staff or grid_worker")
    resident_id: uuid.UUID = Field(description="whose personal data was revealed")
    fields: list[str] = Field(description="what was revealed: phone, id_number")
    purpose: str = Field(description="the purpose they stated")
    request_id: str | None = Field(
        description="the X-Request-ID of the request that revealed it, for tracing; null when unknown"
    )


RevealPage = Page[RevealRecord]
