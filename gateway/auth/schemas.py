"""What goes in and out of sign-in, tokens, the caller (me) and account administration."""

from __future__ import annotations

import uuid
from datetime import datetime

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
    must_change_password: bool = False
    home_place: str | None = Field(default=None, description="the community or street it was created in")
    created_at: datetime | None = None


PHONE = Field(min_length=11, max_length=11, description="mainland mobile number (answered masked)")
NEW_PASSWORD = Field(min_length=1, max_length=256, description="at least 8 characters, not common (docs: Passwords)")


class AccountCreate(Strict):
    username: str | None = Field(
        default=None, min_length=3, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", description="to sign in with"
    )
    display_name: str = Field(min_length=1, max_length=100)
    phone: str = PHONE
    password: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="a first password the person must change at their first sign-in; without it an SMS invite"
        " goes to the phone and they set one with the code (POST /api/v1/auth/password-reset)",
    )
    place_code: str | None = Field(
        default=None, pattern=r"^\d{9}(\d{3})?$", description="the community or street it belongs to (default: yours)"
    )


class AccountUpdate(Strict):
    username: str | None = Field(default=None, min_length=3, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, min_length=11, max_length=11, description="mainland mobile number")


class AccountCreated(AccountPublic):
    invite: str | None = Field(
        description="without a password: 'sent' when the SMS invite went out, 'failed' when it could not be sent"
        " (the account exists; ask for a code again with POST /api/v1/auth/sms-code)"
    )


class AccountPage(BaseModel):
    items: list[AccountPublic]
    next_cursor: str | None = None


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = NEW_PASSWORD


class PasswordReset(Strict):
    phone: str = Field(min_length=11, max_length=11)
    code: str = Field(pattern=r"^\d{6}$", description="the 6-digit code from POST /api/v1/auth/sms-code")
    new_password: str = NEW_PASSWORD


class TemporaryPassword(BaseModel):
    temporary_password: str = Field(description="shown once; the person must change it at their next sign-in")


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="the account id, client:<id>, or bootstrap")
    actor_role: str
    action: str
    target_type: str
    target_id: str
    street_code: str
    community_code: str | None
    request_id: str | None
    changed: list[str] = Field(description="the names of the fields changed (never their values)")


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = None
