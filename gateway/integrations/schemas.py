"""What goes in and out of the integration clients' routes. A secret is answered once, when it is made
(create, rotate), and never again; its hash is never answered."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.clients import INTERNAL_SCOPE
from gateway.integrations.scopes import GRANTABLE_SCOPES
from shared.pagination import Page
from shared.places import StreetCode

SCOPES_HELP = "one or more of: " + ", ".join(GRANTABLE_SCOPES)


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="对接系统名称: what the system is")
    scopes: list[str] = Field(min_length=1, max_length=len(GRANTABLE_SCOPES), description=SCOPES_HELP)
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
    client_id: str
    name: str
    street_code: str
    scopes: list[str]
    enabled: bool
    created_at: datetime
    rotated_at: datetime | None = None
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="until then the secret before the last rotation also works"
    )
    disabled_at: datetime | None = None


class ClientCreated(ClientPublic):
    client_secret: str = Field(description="shown once, here; only its Argon2id hash is kept")


ClientPage = Page[ClientPublic]
