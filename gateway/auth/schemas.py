"""What goes in and out of sign-in, tokens, the caller (me) and account administration."""

from __future__ import annotations

import uuid

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
