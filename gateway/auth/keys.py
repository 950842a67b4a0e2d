"""ES256 signing keys: kept in the gateway's database (private halves sealed), published as JWKS.

Rotation, as an operator runs it:

    python -m gateway.auth.keys list
    python -m gateway.auth.keys rotate        # a new key signs from now on; the old one stays published
    python -m gateway.auth.keys retire KID    # once tokens of KID have expired (15 min): unpublish it

Every replica reloads the ring once a minute, so a rotation reaches all of them within that time.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlmodel import col

from gateway.config import Settings
from gateway.models import SigningKey
from shared.pii import PiiCipher
from shared.security import ALGORITHM, low_s

_SEAL_FIELD = "signing-key"


def key_sealer(settings: Settings) -> PiiCipher:
    """AES-GCM under a key derived from the key-encryption secret (any string): private keys never
    rest in the database in clear."""
    assert settings.key_encryption_secret is not None
    key = hashlib.sha256(f"signing-key-sealer:{settings.key_encryption_secret}".encode()).digest()
    return PiiCipher({"kek": key}, blind_index_key=key)


def new_signing_key(sealer: PiiCipher) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    kid = f"{datetime.now(UTC):%Y%m%d}-{uuid.uuid4().hex[:8]}"
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk: dict[str, Any] = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwk.update(kid=kid, use="sig", alg=ALGORITHM)
    return SigningKey(kid=kid, private_key_encrypted=sealer.encrypt(pem, field=_SEAL_FIELD), public_jwk=jwk)


class KeyRing:
    """The published keys and the one that signs, as loaded from the database."""

    def __init__(self, sealer: PiiCipher) -> None:
        self._sealer = sealer
        self._private: Any = None
        self.signing_kid: str | None = None
        self.document: dict[str, Any] = {"keys": []}
        self.document_bytes = orjson.dumps(self.document)

    async def load(self, session: AsyncSession) -> None:
        rows = (
            await session.scalars(
                select(SigningKey)
                .where(col(SigningKey.retired_at).is_(None))
                .order_by(col(SigningKey.created_at).desc())
            )
        ).all()
        if not rows:
            raise RuntimeError("no signing key: run `python -m gateway.auth.keys rotate`")
        newest = rows[0]
        pem = self._sealer.decrypt(newest.private_key_encrypted, field=_SEAL_FIELD)
        self._private = serialization.load_pem_private_key(pem.encode(), password=None)
        self.signing_kid = newest.kid
        self.document = {"keys": [row.public_jwk for row in rows]}
        self.document_bytes = orjson.dumps(self.document)

    async def jwks(self) -> dict[str, Any]:
        return self.document

    def sign(self, claims: dict[str, Any]) -> str:
        assert self._private is not None and self.signing_kid is not None, "key ring not loaded"
        return low_s(jwt.encode(claims, self._private, algorithm=ALGORITHM, headers={"kid": self.signing_kid}))


async def ensure_signing_key(session: AsyncSession, sealer: PiiCipher) -> None:
    """A first key when there is none; an advisory lock keeps two replicas from both making one."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('gateway.signing_key'))"))
    exists = await session.scalar(select(col(SigningKey.kid)).where(col(SigningKey.retired_at).is_(None)).limit(1))
    if exists is None:
        session.add(new_signing_key(sealer))
        await session.flush()


async def rotate(session: AsyncSession, sealer: PiiCipher) -> str:
    key = new_signing_key(sealer)
    session.add(key)
    await session.flush()
    return key.kid


async def retire(session: AsyncSession, kid: str) -> bool:
    result = await session.execute(
        update(SigningKey)
        .where(col(SigningKey.kid) == kid, col(SigningKey.retired_at).is_(None))
        .values(retired_at=datetime.now(UTC))
    )
    return bool(getattr(result, "rowcount", 0))


async def _cli(args: argparse.Namespace) -> None:
    settings = Settings()
    engine = create_async_engine(settings.sqlalchemy_url)
    sealer = key_sealer(settings)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            if args.command == "rotate":
                print(f"new signing key {await rotate(session, sealer)}; the previous one stays published")
            elif args.command == "retire":
                if not await retire(session, args.kid):
                    raise SystemExit(f"no published key {args.kid}")
                remaining = await session.scalar(
                    select(col(SigningKey.kid)).where(col(SigningKey.retired_at).is_(None)).limit(1)
                )
                if remaining is None:
                    raise SystemExit("refusing to retire the last published key: rotate first")
                print(f"retired {args.kid}")
            for key in (await session.scalars(select(SigningKey).order_by(col(SigningKey.created_at)))).all():
                state = f"retired {key.retired_at:%Y-%m-%d %H:%M}" if key.retired_at else "published"
                print(f"{key.kid}  created {key.created_at:%Y-%m-%d %H:%M}  {state}")
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    sub.add_parser("rotate")
    retire_parser = sub.add_parser("retire")
    retire_parser.add_argument("kid")
    args = parser.parse_args(argv)
    os.environ.setdefault("GATEWAY_PROFILE", "development")
    asyncio.run(_cli(args))


if __name__ == "__main__":
    main()
