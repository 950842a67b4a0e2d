"""The fault suite's platforms: real processes on loopback behind a real gateway, on databases of their
own, that the tests break on purpose (docs/OPERATIONS.md, "Faults"). A test that stops its database
starts an embedded PostgreSQL of its own (``EmbeddedServer``); the suite's shared server is never stopped."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from deploy.processes import BY_NAME
from shared.embedded import _restart, database_url, start_embedded
from shared.testing import prepare_databases
from tests.conftest import database_prefix
from tests.support.live import GatewayPlatform, demo_platform

# Every fault test is bounded (pytest-timeout, its platform's start included): it fails rather than hangs.
# On a quiet machine each takes well under a minute; the bound leaves room for a busy CI runner.
TEST_SECONDS = 120
# Writes in a loop through the gateway: the per-account and per-address write limits out of the way.
UNLIMITED_WRITES = {
    "GATEWAY_WRITES_PER_ACCOUNT": json.dumps([1_000_000, 60]),
    "GATEWAY_WRITES_PER_IP": json.dumps([1_000_000, 60]),
}


class EmbeddedServer:
    """An embedded PostgreSQL of the test's own, in a temporary directory, that the test may stop and
    start again (same data, same socket)."""

    def __init__(self, pgdata: Path) -> None:
        self.server: Any = start_embedded(pgdata, cleanup="delete")
        self.admin_url = database_url(self.server, "postgres")

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: every connection is closed at once, as a crash or a failover would."""
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def restart(self) -> None:
        _restart(self.server)

    def close(self) -> None:
        self.server.cleanup()


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(tmp_path_factory.mktemp("faults-pg") / "data")
    yield server
    server.close()


async def fresh_databases(admin_url: str, names: tuple[str, ...], purpose: str = "faults") -> dict[str, str]:
    """Migrated databases of the named processes, new for the caller."""
    return await prepare_databases(
        admin_url, {name: BY_NAME[name].migrations for name in names}, prefix=database_prefix(purpose)
    )


# The processes behind the gateway of the platform the tests share (staff sign in with the roster of grids).
SERVICES = ("grids", "orders")


@pytest.fixture(scope="package")
async def fault_platform(admin_url: str) -> AsyncIterator[GatewayPlatform]:
    """The demo community behind a real gateway, on databases of its own on the suite's server, shared by
    the tests that kill and restart its processes (each leaves them running as it found them; the files
    that use it run in one pytest-xdist worker, tests/support/scheduling.py)."""
    urls = await fresh_databases(admin_url, ("gateway", *SERVICES))
    async with demo_platform(urls, SERVICES, UNLIMITED_WRITES) as platform:
        yield platform


async def waited_for(conn: asyncpg.Connection) -> bool:
    """Is another backend waiting for a lock that ``conn`` holds? (A test holds a lock to stop a process
    in the middle of its work, then kills it.)"""
    return bool(
        await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))")
    )
