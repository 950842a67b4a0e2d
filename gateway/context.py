"""What the gateway's handlers share, built once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from gateway.auth.keys import KeyRing
from gateway.auth.revocation import DisabledSubjects
from gateway.auth.sms import SmsSender
from gateway.auth.throttle import Throttle
from gateway.auth.tokens import TokenIssuer
from gateway.auth.wechat import WechatClient
from gateway.clients import Registry, Roster
from gateway.config import Settings
from shared.pii import PiiCipher


@dataclass
class GatewayContext:
    settings: Settings
    keyring: KeyRing
    issuer: TokenIssuer
    pii: PiiCipher
    throttle: Throttle
    disabled: DisabledSubjects
    sms: SmsSender | None
    wechat: WechatClient | None
    roster: Roster
    registry: Registry

    @property
    def pool(self) -> asyncpg.Pool:
        return self.throttle.pool


def _context(request: Request) -> GatewayContext:
    context: GatewayContext = request.app.state.gateway
    return context


GatewayDep = Annotated[GatewayContext, Depends(_context)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
