"""What the gateway's handlers share, built once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from gateway.config import Settings
from gateway.keys import KeyRing
from gateway.revocation import DisabledSubjects
from gateway.sms import SmsSender
from gateway.throttle import Throttle
from gateway.tokens import TokenIssuer
from gateway.upstream import Registry, Roster
from gateway.wechat import WechatClient
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
