"""Counters in PostgreSQL, shared by every gateway replica: fixed windows (a limit, then 429 until the
window ends), and slowdowns (past a number of failures, one attempt per growing delay; docs/services/
gateway.md, "Brute force").

They run on the process's autocommit pool, outside the request's transaction: a failed login
answers 401 and rolls its transaction back, but its failure must still count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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

# A slowdown's count is forgotten once $3 has passed since its latest failure, not at a fixed time: a
# steady trickle of guesses keeps it slowed.
_FAIL = """
INSERT INTO throttle (key, window_started_at, count, last_hit_at) VALUES ($1, $2, 1, $2)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN throttle.last_hit_at <= $2 - $3::interval THEN 1 ELSE throttle.count + 1 END,
    window_started_at = CASE WHEN throttle.last_hit_at <= $2 - $3::interval
                             THEN $2 ELSE throttle.window_started_at END,
    last_hit_at = $2
"""


@dataclass(frozen=True)
class Slowdown:
    """A slowed key: ``retry_after`` seconds to wait (0: an attempt is due now), as of ``last_hit_at``."""

    key: str
    retry_after: int
    last_hit_at: datetime


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

    async def reset(self, *keys: str) -> None:
        await self.pool.execute("DELETE FROM throttle WHERE key = ANY($1::text[])", list(keys))

    async def failed(self, key: str, limit: tuple[int, int], *, now: datetime | None = None) -> None:
        """Count one failure towards a slowdown; ``limit``: (failures before it slows, seconds to forget)."""
        now = now or datetime.now(UTC)
        await self.pool.execute(_FAIL, key, now, timedelta(seconds=limit[1]))

    async def slowdown(
        self, key: str, limit: tuple[int, int], max_delay: int, *, now: datetime | None = None
    ) -> Slowdown | None:
        """None while the key has fewer failures than the limit; else the wait before its next attempt:
        1 second after the limit's failure, doubling with each failure after it, at most ``max_delay``,
        counted from the latest failure (or admitted attempt)."""
        allowed, forget_after = limit
        now = now or datetime.now(UTC)
        row = await self.pool.fetchrow("SELECT count, last_hit_at FROM throttle WHERE key = $1", key)
        if row is None or row["last_hit_at"] is None or row["count"] < allowed:
            return None
        last: datetime = row["last_hit_at"]
        if last <= now - timedelta(seconds=forget_after):
            return None
        delay = min(max_delay, 2 ** min(row["count"] - allowed, 32))
        remaining = (last + timedelta(seconds=delay) - now).total_seconds()
        return Slowdown(key, max(0, math.ceil(remaining)), last)

    async def claim(self, slowdown: Slowdown, *, now: datetime | None = None) -> bool:
        """Take a due attempt of a slowed key: of concurrent attempts, only one gets it."""
        now = now or datetime.now(UTC)
        taken = await self.pool.fetchval(
            "UPDATE throttle SET last_hit_at = $3 WHERE key = $1 AND last_hit_at = $2 RETURNING true",
            slowdown.key,
            slowdown.last_hit_at,
            now,
        )
        return bool(taken)

    async def prune(self, idle: timedelta) -> None:
        """Forget the counters nothing has touched for ``idle`` (at least the longest window): spent, and
        a guesser spread over many addresses leaves one per identifier and address."""
        await self.pool.execute(
            "DELETE FROM throttle WHERE greatest(window_started_at, last_hit_at) < $1", datetime.now(UTC) - idle
        )

    async def enforce(self, key: str, limit: tuple[int, int], detail: str) -> None:
        retry_after = await self.hit(key, limit)
        if retry_after is not None:
            raise TooManyRequests(detail, retry_after=retry_after)


def _retry_after(window_started_at: datetime, seconds: int, now: datetime) -> int:
    remaining = (window_started_at + timedelta(seconds=seconds) - now).total_seconds()
    return max(1, math.ceil(remaining))
