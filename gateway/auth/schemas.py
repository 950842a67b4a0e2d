"""What goes in and out of sign-in, tokens, the caller (me) and account administration."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

USERNAME = Field(min_length=1, max_length=64, description="username, or a mainland mobile number")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"username": "staff", "password": "demo12345"}]}
    )

    username: str = USERNAME
    password: str = Field(min_length=1, max_length=256, description="the account's password")


class SmsCodeRequest(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"phone": "13800000000"}]})

    phone: str = Field(min_length=11, max_length=11, description="mainland mobile number")


class SmsLoginRequest(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"phone": "13800000000", "code": "123456"}]}
    )

    phone: str = Field(min_length=11, max_length=11, description="the mainland mobile number the code was sent to")
    code: str = Field(pattern=r"^\d{6}$", description="the 6-digit code")
    bind_ticket: str | None = Field(default=None, max_length=100, description="from a 404 of wechat-login")


class WechatLoginRequest(Strict):
    code: str = Field(min_length=1, max_length=128, description="the mini-program's wx.login code")


class RefreshRequest(Strict):
    refresh_token: str = Field(
        min_length=10,
        max_length=200,
        description="the refresh token of the latest pair; refresh spends it, logout revokes its family",
    )


class TokenPair(BaseModel):
    access_token: str = Field(description="ES256 JWT to send as `Authorization: Bearer`; valid expires_in seconds")
    refresh_token: str = Field(
        description="opaque and single use: trade it for a new pair at POST /api/v1/auth/refresh"
    )
    token_type: str = Field(default="bearer", description="always bearer")
    expires_in: int = Field(description="seconds until the access token expires")


class ClientToken(BaseModel):
    access_token: str = Field(
        description="ES256 JWT to send as `Authorization: Bearer`; no refresh token: ask for a new one"
    )
    token_type: str = Field(default="bearer", description="always bearer")
    expires_in: int = Field(description="seconds until the access token expires")
    scope: str = Field(description="the scopes granted, space-separated (RFC 6749)")


class Accepted(BaseModel):
    status: str = Field(default="accepted", description="always accepted, whether or not a code was sent")


class MePublic(BaseModel):
    """The caller as the gateway vouches for them."""

    account_id: str = Field(description="the account's id, or client:<client_id> for an integration client")
    kind: str = Field(description="user or integration_client")
    name: str | None = Field(default=None, description="the person's display name; null for an integration client")
    roles: list[str] = Field(description="the caller's roles, e.g. grid_worker, resident; none for a client")
    places: dict[str, list[str]] = Field(
        description="role → codes of the places it is bound to; roles bound to no place are left out"
    )
    resident_id: str | None = Field(
        default=None, description="the resident's (居民) id in the registry; null unless the caller is a resident"
    )
    household_id: str | None = Field(
        default=None, description="the id of the resident's household (户); null unless the caller is a resident"
    )
    grid_code: str | None = Field(
        default=None, description="the resident's grid (网格), 15-digit code; null unless a resident"
    )
    street_code: str | None = Field(
        default=None, description="an integration client's street (街道), 9-digit code; null for a person"
    )
    scopes: list[str] = Field(default_factory=list, description="an integration client's scopes; empty for a person")


class AccountPublic(BaseModel):
    id: uuid.UUID = Field(description="the account's id")
    username: str | None = Field(description="the name to sign in with; null when the account signs in by phone only")
    phone: str | None = Field(description="the mobile number, masked: 138****0000; null when it has none")
    display_name: str = Field(description="the person's name as the apps show it")
    enabled: bool = Field(description="false once disabled: it cannot sign in and its tokens are refused")
    roles: dict[str, list[str]] = Field(
        description="role → codes of the places it is bound to in that role (an empty list for resident)"
    )
    must_change_password: bool = Field(
        default=False, description="true while a password someone else set must be changed first"
    )
    home_place: str | None = Field(
        default=None, description="the community or street it was created in; null for residents' own and demo accounts"
    )
    created_at: datetime | None = Field(
        default=None, description="when the account was created, ISO 8601 with time zone"
    )


PHONE = Field(min_length=11, max_length=11, description="mainland mobile number (answered masked)")
NEW_PASSWORD = Field(min_length=1, max_length=256, description="at least 8 characters, not common (docs: Passwords)")


class AccountCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "zhangxiulan",
                    "display_name": "张秀兰",
                    "phone": "13800000000",
                    "password": "a-first-password",
                    "place_code": "110105001001",
                },
                {"display_name": "李建国", "phone": "13800000001", "place_code": "110105001001"},
            ]
        },
    )

    username: str | None = Field(
        default=None, min_length=3, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", description="to sign in with"
    )
    display_name: str = Field(min_length=1, max_length=100, description="the person's name as the apps show it")
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
    username: str | None = Field(
        default=None,
        min_length=3,
        max_length=64,
        pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$",
        description="a new name to sign in with: a letter, then letters, digits, _ . or -",
    )
    display_name: str | None = Field(
        default=None, min_length=1, max_length=100, description="the person's name as the apps show it"
    )
    phone: str | None = Field(default=None, min_length=11, max_length=11, description="mainland mobile number")


class AccountCreated(AccountPublic):
    invite: str | None = Field(
        description="without a password: 'sent' when the SMS invite went out, 'failed' when it could not be sent"
        " (the account exists; ask for a code again with POST /api/v1/auth/sms-code)"
    )


class AccountPage(BaseModel):
    items: list[AccountPublic] = Field(description="the accounts of this page, by name")
    next_cursor: str | None = Field(
        default=None, description="pass as cursor to get the next page; null on the last page"
    )


class PasswordChange(Strict):
    current_password: str = Field(
        min_length=1, max_length=256, description="the password the account signs in with now"
    )
    new_password: str = NEW_PASSWORD


class PasswordReset(Strict):
    phone: str = Field(min_length=11, max_length=11, description="the account's mainland mobile number")
    code: str = Field(pattern=r"^\d{6}$", description="the 6-digit code from POST /api/v1/auth/sms-code")
    new_password: str = NEW_PASSWORD


class TemporaryPassword(BaseModel):
    temporary_password: str = Field(description="shown once; the person must change it at their next sign-in")


class AuditEntry(BaseModel):
    id: int = Field(description="the audit entry's id; a later entry has a higher one")
    at: datetime = Field(description="when the act was done, ISO 8601 with time zone")
    actor: str = Field(description="the account id, client:<id>, or bootstrap")
    actor_role: str = Field(
        description="the role the act was done in: street_admin, community_staff, integration_client, user, bootstrap"
    )
    action: str = Field(description="what was done: account.created, account.disabled, client.rotated, ...")
    target_type: str = Field(description="what it was done to: account or client")
    target_id: str = Field(description="the account's id or the integration client's id")
    street_code: str = Field(description="the street (街道) the account or client belongs to, 9-digit code")
    community_code: str | None = Field(
        description="its community (社区), 12-digit code; null when it belongs to a whole street"
    )
    request_id: str | None = Field(
        description="the id of the request that did it (X-Request-ID); null outside a request (bootstrap)"
    )
    changed: list[str] = Field(description="the names of the fields changed (never their values)")


class AuditPage(BaseModel):
    items: list[AuditEntry] = Field(description="the audit entries of this page, newest first")
    next_cursor: str | None = Field(
        default=None, description="pass as cursor to get the next page; null on the last page"
    )
