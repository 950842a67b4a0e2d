"""What the employers API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.schemas import ClientId, EmployerKind
from shared.pagination import Page
from shared.places import CommunityCode
from shared.vocabularies import EMPLOYER_KINDS, listed

EMPLOYER_KIND_DOC = "the kind of employer: " + listed(EMPLOYER_KINDS)


class EmployerCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "幸福里服装加工社区工厂",
                    "kind": "factory",
                    "community_code": "110105001001",
                    "address": "幸福里小区3号楼底商",
                    "description": "服装缝制、锁边和包装，就近吸纳社区居民就业",
                    "contact_name": "张秀兰",
                    "contact_phone": "13800000000",
                }
            ]
        },
    )

    id: ClientId = None
    name: str = Field(min_length=1, max_length=100, description="the employer's name, unique in its community")
    kind: EmployerKind = Field(description=EMPLOYER_KIND_DOC)
    community_code: CommunityCode = Field(description="the community the employer operates in")
    address: str | None = Field(default=None, max_length=200, description="where it is, e.g. 幸福里小区3号楼底商")
    description: str = Field(default="", max_length=2000, description="what it makes or does; plain text")
    contact_name: str | None = Field(default=None, min_length=1, max_length=50, description="联系人")
    contact_phone: str | None = Field(default=None, max_length=20, description="mainland mobile: stored encrypted")


class EmployerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, min_length=1, max_length=100, description="the employer's name, unique in its community; not null"
    )
    kind: EmployerKind | None = Field(default=None, description="what kind of employer it is; not null")
    address: str | None = Field(default=None, max_length=200, description="where it is; null clears it")
    description: str | None = Field(
        default=None, max_length=2000, description='what it makes or does; not null ("" empties it)'
    )
    contact_name: str | None = Field(
        default=None, min_length=1, max_length=50, description="the contact person (联系人); null clears it"
    )
    contact_phone: str | None = Field(default=None, max_length=20, description="null clears it")


class EmployerPublic(BaseModel):
    id: uuid.UUID = Field(description="the employer's id")
    name: str = Field(description="the employer's name, e.g. 粽叶扶贫车间")
    kind: EmployerKind = Field(description=EMPLOYER_KIND_DOC)
    community_code: str = Field(description="the community it operates in, 12-digit community code (社区代码)")
    street_code: str = Field(description="the street of that community, 9-digit street code (街道代码)")
    address: str | None = Field(description="where it is; null: not given")
    description: str = Field(description="what it makes or does; may be empty")
    contact_name: str | None = Field(description="in full for the community's staff and the employer, else masked")
    contact_phone: str | None = Field(description="masked: 138****1234")
    created_at: datetime = Field(description="when it was registered")
    updated_at: datetime = Field(description="when it last changed")


EmployerPage = Page[EmployerPublic]


class EmployerAccountPublic(BaseModel):
    account_id: uuid.UUID = Field(description="the gateway account (role employer) acting for the employer")
    employer_id: uuid.UUID = Field(description="the employer it acts for")
    created_at: datetime = Field(description="when the account was linked")


class ContactRevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=2, max_length=200, description="why the clear phone is needed (audited)")


class ContactRevealed(BaseModel):
    contact_name: str | None = Field(description="the contact person (联系人) in full; null: none on record")
    contact_phone: str | None = Field(description="the contact's mobile in clear, 11 digits; null: none on record")
