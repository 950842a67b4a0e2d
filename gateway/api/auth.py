"""Sign-in endpoints (API.md): all public, all answering problem+json on failure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from gateway import login
from gateway.context import GatewayDep, client_ip
from gateway.schemas import (
    Accepted,
    ClientToken,
    LoginRequest,
    RefreshRequest,
    SmsCodeRequest,
    SmsLoginRequest,
    TokenPair,
    WechatLoginRequest,
)
from gateway.tokens import IssuedPair
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.security import allow_public

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], dependencies=[Depends(allow_public())])


def _pair(issued: IssuedPair) -> TokenPair:
    return TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token, expires_in=issued.expires_in)


@router.post("/login", response_model=TokenPair, responses=problem_responses(401, 422, 429))
async def password_login(body: LoginRequest, request: Request, session: SessionDep, context: GatewayDep) -> TokenPair:
    """Sign in with username (or phone) and password."""
    issued = await login.password_login(
        session=session, context=context, login=body.username, password=body.password, ip=client_ip(request)
    )
    return _pair(issued)


@router.post("/sms-code", status_code=202, response_model=Accepted, responses=problem_responses(422, 429, 503))
async def sms_code(body: SmsCodeRequest, request: Request, session: SessionDep, context: GatewayDep) -> Accepted:
    """Send a 6-digit sign-in code by SMS (valid 5 minutes)."""
    await login.send_sms_code(session=session, context=context, phone=body.phone, ip=client_ip(request))
    return Accepted()


@router.post("/sms-login", response_model=TokenPair, responses=problem_responses(401, 422, 429))
async def sms_login(body: SmsLoginRequest, session: SessionDep, context: GatewayDep) -> TokenPair:
    """Sign in with the SMS code; with a ``bind_ticket``, also bind that WeChat user to the account."""
    issued = await login.sms_login(
        session=session, context=context, phone=body.phone, code=body.code, bind_ticket=body.bind_ticket
    )
    return _pair(issued)


@router.post("/wechat-login", response_model=TokenPair, responses=problem_responses(401, 404, 422, 429, 503))
async def wechat_login(body: WechatLoginRequest, session: SessionDep, context: GatewayDep) -> TokenPair:
    """Sign in from the mini-program with a ``wx.login`` code; 404 with a bind ticket when unbound."""
    return _pair(await login.wechat_login(session=session, context=context, code=body.code))


@router.post("/refresh", response_model=TokenPair, responses=problem_responses(401, 422))
async def refresh(body: RefreshRequest, session: SessionDep, context: GatewayDep) -> TokenPair:
    """Trade a refresh token for a new pair (the old refresh token is spent)."""
    return _pair(await login.refresh(session=session, context=context, refresh_token=body.refresh_token))


@router.post("/logout", status_code=204, response_class=Response, responses=problem_responses(422))
async def logout(body: RefreshRequest, session: SessionDep, context: GatewayDep) -> Response:
    """Sign out: the refresh token's whole family is revoked."""
    await login.logout(session=session, context=context, refresh_token=body.refresh_token)
    return Response(status_code=204)


@router.post("/token", response_model=ClientToken, responses=problem_responses(401, 422, 429))
async def client_credentials(
    request: Request,
    session: SessionDep,
    context: GatewayDep,
    grant_type: Annotated[str, Form(pattern="^client_credentials$")],
    client_id: Annotated[str, Form(min_length=1, max_length=64)],
    client_secret: Annotated[str, Form(min_length=1, max_length=256)],
    scope: Annotated[str | None, Form(max_length=500)] = None,
) -> ClientToken:
    """OAuth2 client credentials for integration clients (street-office systems)."""
    token, scopes = await login.client_credentials(
        session=session,
        context=context,
        client_id=client_id,
        client_secret=client_secret,
        scope=scope,
        ip=client_ip(request),
    )
    return ClientToken(access_token=token, expires_in=context.issuer.access_ttl, scope=" ".join(scopes))
