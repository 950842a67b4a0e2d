"""Disabled accounts stop working at once at the gateway and within a minute at the services.

The gateway keeps the set of subjects disabled within the last access-token lifetime (older ones
hold no live token: tokens last 15 minutes and refresh checks the account) in memory, reloads it
every second from its database, and publishes it at ``/.well-known/revocations.json`` for the
services, which poll it (see ``shared.security.RevocationList``).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from shared.periodic import Periodic
from shared.security import Principal

log = logging.getLogger(__name__)

_DISABLED = """
SELECT id::text AS sub FROM account
 WHERE NOT enabled AND (disabled_at IS NULL OR disabled_at > $1)
UNION ALL
SELECT 'client:' || client_id FROM integration_client WHERE NOT enabled
"""


COMMIT_GRACE_SECONDS = 10.0


class DisabledSubjects:
    def __init__(self, pool: asyncpg.Pool, *, horizon_seconds: int, interval: float = 1.0) -> None:
        self.pool = pool
        self.horizon = timedelta(seconds=horizon_seconds)
        self.subjects: frozenset[str] = frozenset()
        self.generated_at = 0.0
        # Subjects this replica disabled a moment ago: kept even when a reload reads the database
        # before the disabling request has committed (that reload would otherwise drop them).
        self._just_disabled: dict[str, float] = {}
        self.poller = Periodic(self.refresh, interval=interval, name="disabled accounts", first_delay=interval)

    async def refresh(self) -> None:
        rows = await self.pool.fetch(_DISABLED, datetime.now(UTC) - self.horizon)
        now = time.monotonic()
        self._just_disabled = {sub: at for sub, at in self._just_disabled.items() if now - at < COMMIT_GRACE_SECONDS}
        self.subjects = frozenset(row["sub"] for row in rows) | frozenset(self._just_disabled)
        self.generated_at = time.time()

    def add(self, sub: str) -> None:
        self._just_disabled[sub] = time.monotonic()
        self.subjects = self.subjects | {sub}

    def forget_recent(self) -> None:
        """Drop the just-disabled subjects (the tests reset the database under a running gateway)."""
        self._just_disabled.clear()

    def discard(self, sub: str) -> None:
        self._just_disabled.pop(sub, None)
        self.subjects = self.subjects - {sub}

    async def is_revoked(self, principal: Principal) -> bool:
        return principal.sub in self.subjects

    def document(self) -> dict[str, Any]:
        return {"subjects": sorted(self.subjects), "generated_at": int(self.generated_at)}

    def start(self) -> None:
        self.poller.start()

    async def stop(self) -> None:
        await self.poller.stop()
