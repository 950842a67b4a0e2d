"""Running SQL on a service's database from a test, outside the service. Each of ``rows``, ``row``,
``value`` and ``execute`` opens its own connection (autocommit) and closes it; what needs one
connection for longer (a lock held, a session setting) takes it from ``connected``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(url)
    try:
        yield conn
    finally:
        await conn.close()


async def rows(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """The rows ``sql`` answers (none for a statement that answers none)."""
    async with connected(url) as conn:
        return list(await conn.fetch(sql, *args))


async def row(url: str, sql: str, *args: Any) -> asyncpg.Record | None:
    """The first row ``sql`` answers, or None."""
    async with connected(url) as conn:
        return await conn.fetchrow(sql, *args)


async def value(url: str, sql: str, *args: Any) -> Any:
    """The first column of the first row ``sql`` answers (``SELECT count(*) ...``)."""
    async with connected(url) as conn:
        return await conn.fetchval(sql, *args)


async def execute(url: str, sql: str, *args: Any) -> str:
    """Runs a statement; its status (``UPDATE 1``)."""
    async with connected(url) as conn:
        return await conn.execute(sql, *args)
