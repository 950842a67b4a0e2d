"""Access tokens (ES256 JWTs, 15 minutes) and refresh tokens (opaque, single use, in families)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.auth.keys import KeyRing
from gateway.models import RefreshToken
from shared.errors import Unauthorized
from shared.pii import PiiCipher
from shared.security import ACCESS_TYPE, MACHINE_AUDIENCE, USER_AUDIENCE

_SUCCESSOR_FIELD = "refresh-successor"


def token_hash(raw: str) -> bytes:
    return hashlib.sha256(raw.encode()).digest()


@dataclass(frozen=True)
class IssuedPair:
    access_token: str
    refresh_token: str
    expires_in: int


class TokenIssuer:
    def __init__(
        self,
        *,
        keyring: KeyRing,
        sealer: PiiCipher,
        issuer: str,
        access_ttl: int,
        refresh_ttl: int,
        retry_grace: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.keyring = keyring
        self.sealer = sealer
        self.issuer = issuer
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.retry_grace = retry_grace
        self.clock = clock

    def access_token(self, sub: str, claims: dict[str, Any], *, audience: str = USER_AUDIENCE) -> str:
        now = int(time.time())
        return self.keyring.sign(
            {
                "iss": self.issuer,
                "aud": audience,
                "sub": sub,
                "iat": now,
                "exp": now + self.access_ttl,
                "jti": uuid.uuid4().hex,
                "typ": ACCESS_TYPE,
                **claims,
            }
        )

    def machine_token(self, client_id: str, street_code: str, scopes: list[str]) -> str:
        claims = {"client_id": client_id, "street_code": street_code, "scope": " ".join(scopes)}
        return self.access_token(f"client:{client_id}", claims, audience=MACHINE_AUDIENCE)

    def _new_refresh(self, account_id: uuid.UUID, family_id: uuid.UUID) -> tuple[str, RefreshToken]:
        raw = secrets.token_urlsafe(32)
        row = RefreshToken(
            token_hash=token_hash(raw),
            family_id=family_id,
            account_id=account_id,
            expires_at=datetime.now(UTC) + timedelta(seconds=self.refresh_ttl),
        )
        return raw, row

    async def start_family(self, session: AsyncSession, account_id: uuid.UUID) -> str:
        raw, row = self._new_refresh(account_id, uuid.uuid4())
        session.add(row)
        await session.flush()
        return raw

    async def rotate(self, session: AsyncSession, pool: asyncpg.Pool, raw: str) -> tuple[uuid.UUID, str]:
        """Spend ``raw`` and return (account id, its successor).

        A retry of the same refresh within the grace window gets the same successor (a flaky
        mobile network lost the first answer); any later reuse of a spent token revokes its whole
        family, committed at once on its own connection, since this request then answers 401.
        """
        now = self.clock()
        row = await session.scalar(
            select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash(raw)).with_for_update()
        )
        if row is None or row.revoked_at is not None or row.expires_at <= now or row.account_id is None:
            raise Unauthorized("the refresh token is not valid")
        if row.used_at is not None:
            within_grace = row.used_at + timedelta(seconds=self.retry_grace) > now
            if within_grace and row.successor_sealed is not None:
                return row.account_id, self.sealer.decrypt(row.successor_sealed, field=_SUCCESSOR_FIELD)
            family_id = row.family_id
            await session.rollback()  # release the row lock before revoking the family elsewhere
            await pool.execute(
                "UPDATE refresh_token SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family_id
            )
            raise Unauthorized("the refresh token was already used; please sign in again")
        successor_raw, successor = self._new_refresh(row.account_id, row.family_id)
        row.used_at = now
        row.successor_sealed = self.sealer.encrypt(successor_raw, field=_SUCCESSOR_FIELD)
        session.add(successor)
        await session.flush()
        return row.account_id, successor_raw

    async def revoke_account(self, session: AsyncSession, account_id: uuid.UUID) -> None:
        """Every live refresh family of the account (a password change or reset)."""
        await session.execute(
            update(RefreshToken)
            .where(col(RefreshToken.account_id) == account_id, col(RefreshToken.revoked_at).is_(None))
            .values(revoked_at=datetime.now(UTC))
        )

    async def revoke_family_of(self, session: AsyncSession, raw: str) -> None:
        row = await session.scalar(select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash(raw)))
        if row is None:
            return
        family = (await session.scalars(select(RefreshToken).where(col(RefreshToken.family_id) == row.family_id))).all()
        for member in family:
            member.revoked_at = member.revoked_at or datetime.now(UTC)
        await session.flush()
