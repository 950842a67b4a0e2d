"""A saturated database answers 503 with Retry-After, never 500: every pooled connection busy for the
pool's whole timeout, or the server refusing a new connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from services.grids.app import create_app
from services.grids.config import Settings
from shared.testing import TestKeys
from tests.support import db
from tests.support.people import staff

# A read that takes a session from the ORM pool (the party tree; the hot reads use the fast lane's pool).
SESSION_READ = "/api/v1/party-orgs"
# A hot read, on the fast lane's pool.
FAST_READ = "/api/v1/members"


def _held_session(app: Any) -> Any:
    return app.state.db.engine.connect()


def _held_fast_lane(app: Any) -> Any:
    return app.state.db.fastlane.connection()


# The ORM pool (db_pool_size 1, no overflow) and the hot reads' own pool (fastlane_pool_size 1): the
# pool's only connection held, a read on it waits for the pool timeout and is answered 503.
POOLS: dict[str, tuple[str, dict[str, Any], Callable[[Any], Any]]] = {
    "orm": (SESSION_READ, {"db_pool_size": 1, "db_max_overflow": 0}, _held_session),
    "fast-lane": (FAST_READ, {"fastlane_pool_size": 1}, _held_fast_lane),
}


@pytest.mark.parametrize("pool", sorted(POOLS))
async def test_an_exhausted_pool_answers_503_with_retry_after(
    database_urls: dict[str, str], keys: TestKeys, pool: str
) -> None:
    read, sizes, hold = POOLS[pool]
    settings = Settings(database_url=database_urls["grids"], profile="test", db_pool_timeout_seconds=0.3, **sizes)
    app = create_app(settings, verifier=keys.verifier())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://grids.test") as client:
            assert (await client.get(read, headers=staff(keys))).status_code == 200
            async with hold(app):  # the pool's only connection, held
                busy = await client.get(read, headers=staff(keys))
            assert busy.status_code == 503
            assert busy.headers["content-type"] == "application/problem+json"
            assert int(busy.headers["retry-after"]) >= 1
            assert busy.json()["type"].endswith("/service-unavailable")
            # Free again: served again.
            assert (await client.get(read, headers=staff(keys))).status_code == 200


async def test_a_server_refusing_connections_answers_503(database_urls: dict[str, str], keys: TestKeys) -> None:
    """The server's own limit (too_many_connections; here a role's, which PostgreSQL refuses alike): the
    fast lane holds the role's one connection, so the request's session is refused one."""
    role = "saturation_test_role"
    if await db.value(database_urls["grids"], "SELECT count(*) FROM pg_roles WHERE rolname = $1", role):
        await db.execute(database_urls["grids"], f"DROP OWNED BY {role}")
        await db.execute(database_urls["grids"], f"DROP ROLE {role}")
    await db.execute(database_urls["grids"], f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    await db.execute(database_urls["grids"], f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
    try:
        url = make_url(database_urls["grids"]).set(username=role, password=None)
        settings = Settings(database_url=url.render_as_string(hide_password=False), profile="test")
        app = create_app(settings, verifier=keys.verifier())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://grids.test") as client:
                busy = await client.get(SESSION_READ, headers=staff(keys))
        assert busy.status_code == 503 and int(busy.headers["retry-after"]) >= 1
    finally:
        await db.execute(database_urls["grids"], f"DROP OWNED BY {role}")
        await db.execute(database_urls["grids"], f"DROP ROLE IF EXISTS {role}")
