"""The gateway's own endpoints: sign-in (docs/API.md: all public, all answering problem+json on failure),
the caller (me), the keys and revocations the services verify with (.well-known), and accounts."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response

from gateway import audit
from gateway.auth import accounts, service
from gateway.auth.access import Anyone, Manager, Myself, StreetAdmin
from gateway.auth.schemas import (
    Accepted,
    AccountCreate,
    AccountCreated,
    AccountPage,
    AccountPublic,
    AccountUpdate,
    AuditPage,
    ClientToken,
    LoginRequest,
    MePublic,
    PasswordChange,
    PasswordReset,
    RefreshRequest,
    SmsCodeRequest,
    SmsLoginRequest,
    TemporaryPassword,
    TokenPair,
    WechatLoginRequest,
)
from gateway.auth.tokens import IssuedPair
from gateway.context import GatewayDep, client_ip
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery
from shared.security import allow_public

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], dependencies=[Depends(allow_public())])
me_router = APIRouter(prefix="/api/v1/me", tags=["me"])
well_known = APIRouter(tags=["keys"], dependencies=[Depends(allow_public())])
accounts_router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])
AccountId = Annotated[uuid.UUID, Path(description="the account's id")]


def _pair(issued: IssuedPair) -> TokenPair:
    return TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token, expires_in=issued.expires_in)


@router.post(
    "/login", response_model=TokenPair, responses=problem_responses(401, 422, 429), summary="密码登录 (Password Login)"
)
async def password_login(body: LoginRequest, request: Request, session: SessionDep, context: GatewayDep) -> TokenPair:
    """Sign in with username (or phone) and password."""
    issued = await service.password_login(
        session=session, context=context, login=body.username, password=body.password, ip=client_ip(request)
    )
    return _pair(issued)


@router.post(
    "/sms-code",
    status_code=202,
    response_model=Accepted,
    responses=problem_responses(422, 429, 503),
    summary="发送短信验证码 (Sms Code)",
)
async def sms_code(body: SmsCodeRequest, request: Request, session: SessionDep, context: GatewayDep) -> Accepted:
    """Send a 6-digit sign-in code by SMS (valid 5 minutes)."""
    await service.send_sms_code(session=session, context=context, phone=body.phone, ip=client_ip(request))
    return Accepted()


@router.post(
    "/sms-login",
    response_model=TokenPair,
    responses=problem_responses(401, 422, 429),
    summary="短信验证码登录 (Sms Login)",
)
async def sms_login(body: SmsLoginRequest, request: Request, session: SessionDep, context: GatewayDep) -> TokenPair:
    """Sign in with the SMS code; with a ``bind_ticket``, also bind that WeChat user to the account."""
    issued = await service.sms_login(
        session=session,
        context=context,
        phone=body.phone,
        code=body.code,
        bind_ticket=body.bind_ticket,
        ip=client_ip(request),
    )
    return _pair(issued)


@router.post(
    "/password-reset",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 422, 429),
    summary="找回密码 (Password Reset)",
)
async def password_reset(body: PasswordReset, request: Request, session: SessionDep, context: GatewayDep) -> Response:
    """Set a forgotten password (or an invited account's first one) with a code from ``POST /sms-code``.
    Every session of the account ends."""
    await service.reset_forgotten_password(
        session=session, context=context, phone=body.phone, code=body.code, new=body.new_password, ip=client_ip(request)
    )
    return Response(status_code=204)


@router.post(
    "/wechat-login",
    response_model=TokenPair,
    responses=problem_responses(401, 404, 422, 429, 503),
    summary="微信小程序登录 (Wechat Login)",
)
async def wechat_login(body: WechatLoginRequest, session: SessionDep, context: GatewayDep) -> TokenPair:
    """Sign in from the mini-program with a ``wx.login`` code; 404 with a bind ticket when unbound."""
    return _pair(await service.wechat_login(session=session, context=context, code=body.code))


@router.post("/refresh", response_model=TokenPair, responses=problem_responses(401, 422), summary="刷新令牌 (Refresh)")
async def refresh(body: RefreshRequest, session: SessionDep, context: GatewayDep) -> TokenPair:
    """Trade a refresh token for a new pair (the old refresh token is spent)."""
    return _pair(await service.refresh(session=session, context=context, refresh_token=body.refresh_token))


@router.post(
    "/logout", status_code=204, response_class=Response, responses=problem_responses(422), summary="退出登录 (Logout)"
)
async def logout(body: RefreshRequest, session: SessionDep, context: GatewayDep) -> Response:
    """Sign out: the refresh token's whole family is revoked."""
    await service.logout(session=session, context=context, refresh_token=body.refresh_token)
    return Response(status_code=204)


@router.post(
    "/token",
    response_model=ClientToken,
    responses=problem_responses(401, 422, 429),
    summary="集成客户端获取令牌 (Client Credentials)",
)
async def client_credentials(
    request: Request,
    session: SessionDep,
    context: GatewayDep,
    grant_type: Annotated[str, Form(pattern="^client_credentials$", description="always client_credentials")],
    client_id: Annotated[
        str, Form(min_length=1, max_length=64, description="the integration client's id, given at its creation")
    ],
    client_secret: Annotated[
        str, Form(min_length=1, max_length=256, description="the client's secret, shown once at creation or rotation")
    ],
    scope: Annotated[
        str | None, Form(max_length=500, description="the scopes wanted, space-separated; default: all of the client's")
    ] = None,
) -> ClientToken:
    """OAuth2 client credentials for integration clients (street-office systems)."""
    token, scopes = await service.client_credentials(
        session=session,
        context=context,
        client_id=client_id,
        client_secret=client_secret,
        scope=scope,
        ip=client_ip(request),
    )
    return ClientToken(access_token=token, expires_in=context.issuer.access_ttl, scope=" ".join(scopes))


@me_router.get("", response_model=MePublic, responses=problem_responses(401, 403), summary="当前用户信息 (Me)")
async def me(principal: Anyone) -> Response:
    """The caller: account, roles, the places each role is bound to, and for a resident their household."""
    return json_response(
        {  # MePublic's fields, from the token alone: nothing to read, nothing to validate
            "account_id": principal.sub,
            "kind": "integration_client" if principal.machine else "user",
            "name": principal.name,
            "roles": sorted(principal.roles),
            "places": {role: list(codes) for role, codes in principal.places.items()},
            "resident_id": principal.resident_id,
            "household_id": principal.household_id,
            "grid_code": principal.grid_code,
            "street_code": principal.street_code,
            "scopes": sorted(principal.scopes),
        }
    )


@me_router.post(
    "/password",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 422, 429),
    summary="修改密码 (Change Password)",
)
async def change_password(
    body: PasswordChange, principal: Myself, request: Request, session: SessionDep, context: GatewayDep
) -> Response:
    """Change one's own password (also the one someone else set, which must be changed first). Every
    session of the account ends: sign in again with the new password."""
    await service.change_password(
        session=session,
        context=context,
        principal=principal,
        current=body.current_password,
        new=body.new_password,
        ip=client_ip(request),
    )
    return Response(status_code=204)


@well_known.get("/.well-known/jwks.json", response_model=dict[str, Any], summary="令牌验签公钥 (Jwks)")
async def jwks(context: GatewayDep) -> Response:
    """The public keys that verify the gateway's tokens (JWKS; more than one while rotating)."""
    return Response(
        context.keyring.document_bytes, media_type="application/json", headers={"Cache-Control": "max-age=60"}
    )


@well_known.get("/.well-known/revocations.json", response_model=dict[str, Any], summary="令牌吊销名单 (Revocations)")
async def revocations(context: GatewayDep) -> dict[str, Any]:
    """Accounts disabled within the last token lifetime, for the services to refuse their tokens."""
    return context.disabled.document()


@accounts_router.post(
    "",
    status_code=201,
    response_model=AccountCreated,
    responses=problem_responses(401, 403, 409, 422, 429),
    summary="新建账号 (Create Account)",
)
async def create_account(
    body: AccountCreate, principal: Manager, session: SessionDep, context: GatewayDep
) -> AccountCreated:
    """Create an account in the caller's community or street (bind it on the roster to give it roles).
    With a ``password`` the person must change it at first sign-in; without, an SMS invite goes out."""
    return await accounts.create(session=session, context=context, principal=principal, account_in=body)


@accounts_router.get(
    "", response_model=AccountPage, responses=problem_responses(401, 403, 422), summary="账号列表 (List Accounts)"
)
async def list_accounts(
    principal: Manager,
    session: SessionDep,
    context: GatewayDep,
    q: Annotated[str | None, Query(max_length=50, description="part of the name or username")] = None,
    role: Annotated[str | None, Query(max_length=32, description="bound in this role")] = None,
    enabled: Annotated[bool | None, Query(description="true: only enabled accounts; false: only disabled ones")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> AccountPage:
    """The accounts of the caller's places, by name (phones masked)."""
    items, next_cursor = await accounts.list_accounts(
        session=session,
        context=context,
        principal=principal,
        q=q,
        role=role,
        enabled=enabled,
        limit=limit,
        cursor=cursor,
    )
    return AccountPage(items=items, next_cursor=next_cursor)


@accounts_router.get(
    "/audit",
    response_model=AuditPage,
    responses=problem_responses(401, 403, 422),
    summary="管理审计日志 (Account Audit)",
)
async def account_audit(
    principal: StreetAdmin,
    session: SessionDep,
    action: Annotated[str | None, Query(max_length=40, description="e.g. account.created")] = None,
    target_id: Annotated[str | None, Query(max_length=80, description="an account id or client id")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> AuditPage:
    """The administrative acts in the caller's streets, newest first: accounts created, changed,
    disabled, passwords reset, integration clients created, rotated, disabled."""
    items, next_cursor = await audit.entries(
        session=session, principal=principal, action=action, target_id=target_id, limit=limit, cursor=cursor
    )
    return AuditPage(items=items, next_cursor=next_cursor)


@accounts_router.get(
    "/{account_id}",
    response_model=AccountPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="账号详情 (Get Account)",
)
async def get_account(
    account_id: AccountId, principal: Manager, session: SessionDep, context: GatewayDep
) -> AccountPublic:
    """An account bound to a place in the caller's community or street (phone masked)."""
    account = await accounts.get(session=session, principal=principal, account_id=account_id)
    return await accounts.public(session, context, account)


@accounts_router.post(
    "/{account_id}/disable",
    response_model=AccountPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="停用账号 (Disable Account)",
)
async def disable_account(
    account_id: AccountId, principal: Manager, session: SessionDep, context: GatewayDep
) -> AccountPublic:
    """Disable an account: its live tokens stop working at once at the gateway."""
    account = await accounts.set_enabled(
        session=session, context=context, principal=principal, account_id=account_id, enabled=False
    )
    return await accounts.public(session, context, account)


@accounts_router.post(
    "/{account_id}/enable",
    response_model=AccountPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="启用账号 (Enable Account)",
)
async def enable_account(
    account_id: AccountId, principal: Manager, session: SessionDep, context: GatewayDep
) -> AccountPublic:
    """Enable a disabled account again."""
    account = await accounts.set_enabled(
        session=session, context=context, principal=principal, account_id=account_id, enabled=True
    )
    return await accounts.public(session, context, account)


@accounts_router.patch(
    "/{account_id}",
    response_model=AccountPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="修改账号 (Update Account)",
)
async def update_account(
    account_id: AccountId, body: AccountUpdate, principal: Manager, session: SessionDep, context: GatewayDep
) -> AccountPublic:
    """Change an account's name, username or phone."""
    account = await accounts.update(
        session=session, context=context, principal=principal, account_id=account_id, changes=body
    )
    return await accounts.public(session, context, account)


@accounts_router.post(
    "/{account_id}/password-reset",
    response_model=TemporaryPassword,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="重置账号密码 (Reset Account Password)",
)
async def reset_account_password(
    account_id: AccountId, principal: Manager, session: SessionDep, context: GatewayDep
) -> TemporaryPassword:
    """A temporary password, shown once: the person must change it at their next sign-in. Every
    session of the account ends at once."""
    temporary = await accounts.reset_password(
        session=session, context=context, principal=principal, account_id=account_id
    )
    return TemporaryPassword(temporary_password=temporary)


@accounts_router.delete(
    "/{account_id}/sign-in-failures",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
    summary="清除登录失败记录 (Clear Sign In Failures)",
)
async def clear_sign_in_failures(
    account_id: AccountId, principal: Manager, session: SessionDep, context: GatewayDep
) -> Response:
    """Forget the account's failed password sign-ins: its next right password signs in at once, from any
    address (failures of the addresses themselves, across usernames, stay)."""
    await accounts.clear_sign_in_failures(session=session, context=context, principal=principal, account_id=account_id)
    return Response(status_code=204)
