"""Test helpers every process's tests use: a real PostgreSQL with migrated databases, clean tables
between tests, and real ES256 tokens signed by a throwaway key (the services verify them for real)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from shared.embedded import database_url, ensure_databases, replace_database, start_embedded
from shared.migrate import upgrade
from shared.security import (
    ACCESS_TYPE,
    ALGORITHM,
    MACHINE_AUDIENCE,
    USER_AUDIENCE,
    JwksCache,
    TokenVerifier,
    jwks_static,
    low_s,
)

TEST_ISSUER = "grid-platform-test"


class TestKeys:
    """A signing key of our own, published as a JWKS the apps under test trust."""

    __test__ = False  # not a pytest test class

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or f"test-{uuid.uuid4().hex[:8]}"
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        public_jwk: dict[str, Any] = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        public_jwk.update(kid=self.kid, use="sig", alg=ALGORITHM)
        self.jwks = {"keys": [public_jwk]}

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(JwksCache(jwks_static(self.jwks)), issuer=TEST_ISSUER)

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        token = jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid, **(headers or {})})
        return low_s(token)

    def token(
        self,
        *,
        roles: Iterable[str] = (),
        places: dict[str, list[str]] | None = None,
        sub: str | None = None,
        ttl: int = 900,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": TEST_ISSUER,
            "aud": USER_AUDIENCE,
            "sub": sub or str(uuid.uuid4()),
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "typ": ACCESS_TYPE,
            "roles": list(roles),
            "places": places or {},
        }
        claims.update(extra)
        return self.sign(claims)

    def machine_token(self, *, street_code: str, scopes: Iterable[str], client_id: str = "test-client") -> str:
        return self.token(
            aud=MACHINE_AUDIENCE, sub=f"client:{client_id}", client_id=client_id, street_code=street_code,
            scope=" ".join(scopes),
        )  # fmt: skip

    def headers(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}


def test_server_url(root: Path) -> tuple[str, Any]:
    """The admin URL of the PostgreSQL the tests use: ``TEST_DATABASE_URL``, or an embedded one."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url, None
    server = start_embedded(root / "var" / "test-pg")
    url = database_url(server, "postgres")
    with ThreadPoolExecutor(1) as pool:  # a loop of its own, whatever runs in this thread
        pool.submit(asyncio.run, _without_durability(url)).result()
    return url, server


async def _without_durability(admin_url: str) -> None:
    """The embedded test server is thrown away at will: it need not wait for the disk at each commit
    nor survive a crash (the tests' truncations and migrations commit often)."""
    conn = await asyncpg.connect(admin_url)
    try:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            await conn.execute(f"ALTER SYSTEM SET {setting} = off")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


async def prepare_databases(admin_url: str, migrations: dict[str, Path], prefix: str = "test_") -> dict[str, str]:
    """A fresh database per process, built by its Alembic migrations; returns name → URL."""
    import asyncio

    names = {name: f"{prefix}{name}" for name in migrations}
    await ensure_databases(admin_url, list(names.values()), fresh=True)
    urls = {name: replace_database(admin_url, db) for name, db in names.items()}
    for name, directory in migrations.items():
        await asyncio.to_thread(upgrade, directory, urls[name])
    return urls


class Truncator:
    """Empties every table but Alembic's between tests, through one kept connection per database.

    Only the tables that hold a row are truncated (one query finds them): most tests write to a few
    tables of one or two databases, and truncating a table, empty or not, costs a new file for it and
    each of its indexes. The sequences used since are set back to their start, as RESTART IDENTITY
    would."""

    def __init__(self) -> None:
        self._targets: list[tuple[asyncpg.Connection, str]] = []

    async def add(self, url: str) -> None:
        conn = await asyncpg.connect(url)
        # Triggers do not fire for this connection: append-only tables (the reveal audit) empty too.
        await conn.execute("SET session_replication_role = replica")
        tables = await conn.fetch(
            "SELECT quote_ident(tablename) AS t, quote_literal(quote_ident(tablename)) AS l FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version' ORDER BY tablename"
        )
        if tables:
            probe = " UNION ALL ".join(f"SELECT {r['l']} AS t WHERE EXISTS (SELECT FROM {r['t']})" for r in tables)
            self._targets.append((conn, probe))
        else:
            await conn.close()

    async def truncate(self) -> None:
        for conn, probe in self._targets:
            for attempt in range(5):
                try:
                    filled = [row["t"] for row in await conn.fetch(probe)]
                    if filled:
                        await conn.execute("TRUNCATE " + ", ".join(filled) + " CASCADE")
                    await conn.execute(_RESTART_SEQUENCES)
                    break
                except asyncpg.DeadlockDetectedError:
                    # A request of the previous test may still be finishing its transaction.
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))

    async def close(self) -> None:
        for conn, _ in self._targets:
            await conn.close()


_RESTART_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
)
