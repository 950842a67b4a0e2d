"""The embedded PostgreSQL 16 (the ``pgserver`` package) used when no database URL is configured."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import asyncpg

log = logging.getLogger(__name__)


# The embedded server holds one machine's demo or development data: shared buffers of 32 MB (PostgreSQL's
# default is 128 MB) hold the demo community many times over, the operating system's page cache keeps
# the rest of a larger set (bench/'s millions of orders), and the platform's idle memory stays within
# its budget (bench/README.md). A production server is sized by its operator (docs/OPERATIONS.md).
EMBEDDED_SHARED_BUFFERS = "32MB"


def start_embedded(pgdata: Path, *, cleanup: str | None = "stop", max_connections: int | None = None) -> Any:
    """Start (or join) the server whose data lives in ``pgdata``; it stops when the last user exits.

    With ``max_connections`` (the launcher's and the benchmarks' servers): a server that allows fewer
    (PostgreSQL's default is 100) is set to allow that many, so the processes' pools all fit
    (``deploy.processes.connection_budget``), and its shared buffers are set to
    ``EMBEDDED_SHARED_BUFFERS``; both with ``ALTER SYSTEM`` (kept in its data directory) and one restart
    when either changes."""
    import pgserver  # imported here: only the embedded default needs it

    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=cleanup)
    if max_connections is not None:
        changes = []
        allowed = allowed_connections(server)
        if allowed < max_connections:
            log.info("raising max_connections", extra={"from": allowed, "to": max_connections})
            changes.append(f"ALTER SYSTEM SET max_connections = {int(max_connections)};")
        if _setting(server, "shared_buffers").upper() != EMBEDDED_SHARED_BUFFERS:
            changes.append(f"ALTER SYSTEM SET shared_buffers = '{EMBEDDED_SHARED_BUFFERS}';")
        if changes:
            server.psql("\n".join(changes))
            _restart(server)
    return server


def _restart(server: Any) -> None:
    """Stop the embedded server and start it again as pgserver does (same socket, same log)."""
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # made at import, one per binary

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    server.ensure_postgres_running()


def _setting(server: Any, name: str) -> str:
    lines = server.psql(f"SHOW {name};").splitlines()  # header, rule, value, row count
    return str(lines[2].strip())


def allowed_connections(server: Any) -> int:
    """The server's ``max_connections``."""
    return int(_setting(server, "max_connections"))


def database_url(server: Any, database: str) -> str:
    uri: str = server.get_uri(database)
    return uri


async def ensure_databases(admin_url: str, names: list[str], *, fresh: bool = False) -> None:
    """Create each database that does not exist yet (``fresh``: drop and create it anew)."""
    conn = await asyncpg.connect(admin_url)
    try:
        for name in names:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if exists and fresh:
                await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = None
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
                log.info("created database", extra={"database": name})
    finally:
        await conn.close()


def replace_database(url: str, database: str) -> str:
    """The same server URL naming another database (keeps ``?host=`` for unix sockets)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def ensure_databases_sync(admin_url: str, names: list[str], *, fresh: bool = False) -> None:
    asyncio.run(ensure_databases(admin_url, names, fresh=fresh))
