"""What goes in and out of the integration clients' routes. A secret is answered once, when it is made
(create, rotate), and never again; its hash is never answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from gateway.clients import INTERNAL_SCOPE
from gateway.integrations.scopes import GRANTABLE_SCOPES
from shared.pagination import Page
from shared.places import StreetCode

SCOPES_HELP = "one or more of: " + ", ".join(GRANTABLE_SCOPES)


class ClientCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "示范街道城市运行管理平台",
                    "scopes": ["open311", "orders:read", "stats:read", "webhooks:write"],
                    "street_code": "110105001",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100, description="对接系统名称: what the system is")
    scopes: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        min_length=1, max_length=len(GRANTABLE_SCOPES), description=SCOPES_HELP
    )
    street_code: StreetCode | None = Field(
        default=None, description="one of the caller's streets; may be left out when they administer only one"
    )

    @field_validator("name")
    @classmethod
    def _named(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("must not be blank")
        return name.strip()

    @field_validator("scopes")
    @classmethod
    def _grantable(cls, scopes: list[str]) -> list[str]:
        if INTERNAL_SCOPE in scopes:
            raise ValueError(f"{INTERNAL_SCOPE} is the platform's own and is never granted")
        if not set(scopes) <= set(GRANTABLE_SCOPES):
            raise ValueError(f"a scope that cannot be granted; {SCOPES_HELP}")
        return sorted(set(scopes))


class ClientPublic(BaseModel):
    client_id: str = Field(description="the integration client's id (c_...), its client_id at POST /api/v1/auth/token")
    name: str = Field(description="对接系统名称: what the system is, as its street admin named it")
    street_code: str = Field(description="the street office (街道办) it works for, 9-digit street code")
    scopes: list[str] = Field(description="the scopes it may ask for, e.g. orders:read")
    enabled: bool = Field(description="false while disabled: it gets no token and its live tokens are refused")
    created_at: datetime = Field(description="when it was created, ISO 8601 with time zone")
    rotated_at: datetime | None = Field(default=None, description="when its secret was last rotated; null if never")
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="until then the secret before the last rotation also works"
    )
    disabled_at: datetime | None = Field(
        default=None, description="when it was disabled or deleted; null while enabled"
    )


class ClientCreated(ClientPublic):
    client_secret: str = Field(description="shown once, here; only its Argon2id hash is kept")


ClientPage = Page[ClientPublic]
