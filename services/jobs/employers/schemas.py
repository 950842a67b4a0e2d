"""What the employers API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.schemas import ClientId, EmployerKind
from shared.pagination import Page
from shared.places import CommunityCode

EMPLOYER_KIND_DOC = "workshop 扶贫车间, factory 社区工厂, hotel 酒店, hospital 医院, supermarket 超市, other 其他"


class EmployerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ClientId = None
    name: str = Field(min_length=1, max_length=100)
    kind: EmployerKind = Field(description=EMPLOYER_KIND_DOC)
    community_code: CommunityCode = Field(description="the community the employer operates in")
    address: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=2000)
    contact_name: str | None = Field(default=None, min_length=1, max_length=50, description="联系人")
    contact_phone: str | None = Field(default=None, max_length=20, description="mainland mobile: stored encrypted")


class EmployerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: EmployerKind | None = None
    address: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    contact_name: str | None = Field(default=None, min_length=1, max_length=50)
    contact_phone: str | None = Field(default=None, max_length=20, description="null clears it")


class EmployerPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: EmployerKind
    community_code: str
    street_code: str
    address: str | None
    description: str
    contact_name: str | None = Field(description="in full for the community's staff and the employer, else masked")
    contact_phone: str | None = Field(description="masked: 138****1234")
    created_at: datetime
    updated_at: datetime


EmployerPage = Page[EmployerPublic]


class EmployerAccountPublic(BaseModel):
    account_id: uuid.UUID
    employer_id: uuid.UUID
    created_at: datetime


class ContactRevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=2, max_length=200, description="why the clear phone is needed (audited)")


class ContactRevealed(BaseModel):
    contact_name: str | None
    contact_phone: str | None
