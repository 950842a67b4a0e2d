"""One-time SMS codes: a sign-in, a forgotten password, an invite to set the first one. Kept hashed (keyed
by the phone's blind index), valid for minutes (a day for an invite), five wrong tries spend a code."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.context import GatewayContext
from gateway.models import SmsCode
from shared.errors import Unauthorized

SMS_CODE_TTL = timedelta(minutes=5)
SMS_MAX_ATTEMPTS = 5
WRONG_CODE = "the code is wrong or has expired"


def _digest(context: GatewayContext, phone_index: bytes, code: str) -> bytes:
    return context.pii.blind_index(phone_index.hex() + code, field="sms-code")


async def new_code(
    session: AsyncSession, context: GatewayContext, phone_index: bytes, *, ttl: timedelta = SMS_CODE_TTL
) -> str:
    """A fresh 6-digit code for the number, stored hashed; the caller sends it."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    digest = _digest(context, phone_index, code)
    session.add(SmsCode(phone_index=phone_index, code_hash=digest, expires_at=datetime.now(UTC) + ttl))
    await session.flush()
    return code


async def consume_code(session: AsyncSession, context: GatewayContext, phone_index: bytes, code: str) -> None:
    """Spend the number's latest live code when ``code`` is it; 401 otherwise (a wrong try is counted)."""
    now = datetime.now(UTC)
    pending = await session.scalar(
        select(SmsCode)
        .where(
            col(SmsCode.phone_index) == phone_index, col(SmsCode.consumed_at).is_(None), col(SmsCode.expires_at) > now
        )
        .order_by(col(SmsCode.created_at).desc())
        .limit(1)
        .with_for_update()
    )
    if pending is None:
        raise Unauthorized(WRONG_CODE)
    if not hmac.compare_digest(pending.code_hash, _digest(context, phone_index, code)):
        # Counted on its own connection, since this request answers 401 and rolls back; the row
        # lock is released first, or that connection would wait for this one.
        code_id = pending.id
        await session.rollback()
        await context.pool.execute(
            "UPDATE sms_code SET attempts = attempts + 1,"
            " consumed_at = CASE WHEN attempts + 1 >= $2 THEN now() ELSE consumed_at END WHERE id = $1",
            code_id,
            SMS_MAX_ATTEMPTS,
        )
        raise Unauthorized(WRONG_CODE)
    pending.consumed_at = now
    await session.flush()
