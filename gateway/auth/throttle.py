"""Fixed-window counters in PostgreSQL, shared by every gateway replica.

They run on the process's autocommit pool, outside the request's transaction: a failed login
answers 401 and rolls its transaction back, but its failure must still count.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import asyncpg

from shared.errors import TooManyRequests

_HIT = """
INSERT INTO throttle (key, window_started_at, count) VALUES ($1, $2, 1)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN throttle.window_started_at <= $2 - $3::interval THEN 1 ELSE throttle.count + 1 END,
    window_started_at = CASE WHEN throttle.window_started_at <= $2 - $3::interval
                             THEN $2 ELSE throttle.window_started_at END
RETURNING count, window_started_at
"""


class Throttle:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def hit(self, key: str, limit: tuple[int, int], *, now: datetime | None = None) -> int | None:
        """Count one event; the seconds to wait when it is over the limit, else None."""
        allowed, seconds = limit
        now = now or datetime.now(UTC)
        row = await self.pool.fetchrow(_HIT, key, now, timedelta(seconds=seconds))
        assert row is not None
        if row["count"] > allowed:
            return _retry_after(row["window_started_at"], seconds, now)
        return None

    async def blocked(self, key: str, limit: tuple[int, int], *, now: datetime | None = None) -> int | None:
        """The seconds to wait when the key has used up its window already, else None."""
        allowed, seconds = limit
        now = now or datetime.now(UTC)
        row = await self.pool.fetchrow("SELECT count, window_started_at FROM throttle WHERE key = $1", key)
        if row is None or row["window_started_at"] <= now - timedelta(seconds=seconds):
            return None
        if row["count"] >= allowed:
            return _retry_after(row["window_started_at"], seconds, now)
        return None

    async def reset(self, key: str) -> None:
        await self.pool.execute("DELETE FROM throttle WHERE key = $1", key)

    async def enforce(self, key: str, limit: tuple[int, int], detail: str) -> None:
        retry_after = await self.hit(key, limit)
        if retry_after is not None:
            raise TooManyRequests(detail, retry_after=retry_after)


def _retry_after(window_started_at: datetime, seconds: int, now: datetime) -> int:
    remaining = (window_started_at + timedelta(seconds=seconds) - now).total_seconds()
    return max(1, math.ceil(remaining))
