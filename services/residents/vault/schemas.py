"""What goes in and out of the vault: a reveal's request and answer, and the audit's records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.pagination import Page

RevealField = Literal["phone", "id_number"]


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[RevealField] = Field(min_length=1, max_length=2)
    purpose: str = Field(min_length=4, max_length=200, description="why the clear value is needed (audited)")


class Revealed(BaseModel):
    phone: str | None = None
    id_number: str | None = None


class RevealRecord(BaseModel):
    id: int
    at: datetime
    account_id: str
    role: str
    resident_id: uuid.UUID
    fields: list[str]
    purpose: str
    request_id: str | None


RevealPage = Page[RevealRecord]
