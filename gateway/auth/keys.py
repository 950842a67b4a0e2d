"""ES256 signing keys: kept in the gateway's database (private halves sealed), published as JWKS.

Rotation, as an operator runs it, with the gateway's own environment (GATEWAY_DATABASE_URL,
GATEWAY_PROFILE, GATEWAY_KEY_ENCRYPTION_SECRET; without GATEWAY_DATABASE_URL, make run's embedded server):

    python -m gateway.auth.keys list
    python -m gateway.auth.keys rotate        # a new key signs from now on; the old one stays published
    python -m gateway.auth.keys retire KID    # once tokens of KID have expired (15 min): unpublish it

Every replica reloads the ring once a minute, so a rotation reaches all of them within that time.
``rotate`` first opens the published keys with the configured secret and writes nothing when none
opens (the secret is not the gateway's); it reads the new key back and opens it before committing.
A gateway that meets a key it cannot open logs an ERROR naming it and signs with the newest key it
can open; it refuses to start only when it can open none.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import orjson
from cryptography.exceptions import InvalidTag
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
from shared.settings import to_sqlalchemy_url

log = logging.getLogger(__name__)
_SEAL_FIELD = "signing-key"
COMMAND = "python -m gateway.auth.keys"


class UnopenableKeys(RuntimeError):
    """No published signing key opens with the configured key-encryption secret."""


def _open(sealer: PiiCipher, key: SigningKey) -> Any:
    """The private key, or the reason it cannot be opened (a wrong secret, a damaged row)."""
    pem = sealer.decrypt(key.private_key_encrypted, field=_SEAL_FIELD)
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _why(error: Exception) -> str:
    if isinstance(error, InvalidTag):
        return "sealed with another GATEWAY_KEY_ENCRYPTION_SECRET"
    return f"{type(error).__name__}: unreadable"


def open_published(sealer: PiiCipher, rows: list[SigningKey]) -> tuple[SigningKey, Any, dict[str, str]]:
    """The newest published key that opens, its private half, and why each newer one does not."""
    unopenable: dict[str, str] = {}
    for row in rows:  # newest first
        try:
            return row, _open(sealer, row), unopenable
        except (InvalidTag, ValueError, TypeError) as error:
            unopenable[row.kid] = _why(error)
    listed = ", ".join(f"{kid} ({why})" for kid, why in unopenable.items())
    raise UnopenableKeys(
        f"no published signing key opens with GATEWAY_KEY_ENCRYPTION_SECRET: {listed}. Set the secret they were"
        f" sealed with; if it is lost, `{COMMAND} rotate --force` then `{COMMAND} retire KID` for each of them"
    )


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
            raise RuntimeError(f"no signing key: run `{COMMAND} rotate`")
        signing, private, unopenable = open_published(self._sealer, list(rows))
        for kid, why in unopenable.items():
            log.error(
                "signing key %s cannot be opened (%s): signing with %s; retire it with `%s retire %s`",
                kid, why, signing.kid, COMMAND, kid,
                extra={"event": "signing_key_unopenable", "kid": kid},
            )  # fmt: skip
        self._private = private
        self.signing_kid = signing.kid
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


async def _published(session: AsyncSession) -> list[SigningKey]:
    query = select(SigningKey).where(col(SigningKey.retired_at).is_(None)).order_by(col(SigningKey.created_at).desc())
    return list((await session.scalars(query)).all())


async def rotate(session: AsyncSession, sealer: PiiCipher, *, force: bool = False) -> str:
    """A new signing key, sealed with ``sealer``'s secret. Unless ``force`` (the old secret is lost),
    refused when no published key opens with that secret: it would be another secret than the
    gateway's. The new key is read back and opened before the caller commits."""
    published = await _published(session)
    if published and not force:
        open_published(sealer, published)
    key = new_signing_key(sealer)
    session.add(key)
    await session.flush()
    session.expunge(key)
    stored = await session.scalar(select(SigningKey).where(col(SigningKey.kid) == key.kid))
    assert stored is not None
    _open(sealer, stored)  # raises, and the caller's transaction rolls back, when it does not open
    return key.kid


async def retire(session: AsyncSession, kid: str) -> bool:
    result = await session.execute(
        update(SigningKey)
        .where(col(SigningKey.kid) == kid, col(SigningKey.retired_at).is_(None))
        .values(retired_at=datetime.now(UTC))
    )
    return bool(getattr(result, "rowcount", 0))


async def _cli(args: argparse.Namespace, settings: Settings, database_url: str) -> None:
    engine = create_async_engine(to_sqlalchemy_url(database_url))
    sealer = key_sealer(settings)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            if args.command == "rotate":
                try:
                    kid = await rotate(session, sealer, force=args.force)
                except UnopenableKeys as error:
                    raise SystemExit(f"nothing written: {error}") from None
                print(f"new signing key {kid} (opened after writing); the previous one stays published")
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
    rotate_parser = sub.add_parser("rotate")
    rotate_parser.add_argument(
        "--force", action="store_true", help="write a key even though no published key opens (the old secret is lost)"
    )
    retire_parser = sub.add_parser("retire")
    retire_parser.add_argument("kid")
    args = parser.parse_args(argv)
    from deploy.databases import resolve_urls
    from deploy.local import DEFAULT_PGDATA
    from deploy.processes import BY_NAME

    # A server's database without GATEWAY_PROFILE is refused: never the development placeholder for production.
    urls, _server = resolve_urls(DEFAULT_PGDATA, [BY_NAME["gateway"]], say=lambda message: None)
    try:
        settings = Settings()
    except ValueError as error:  # shared.settings.SettingsError: names the variables, never their values
        raise SystemExit(str(error)) from None
    asyncio.run(_cli(args, settings, urls["gateway"]))


if __name__ == "__main__":
    main()
