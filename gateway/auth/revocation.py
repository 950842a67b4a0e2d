"""Disabled accounts, and tokens issued before a password change, stop working at once at the gateway
and within a minute at the services.

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
from shared.security import Principal, revoked

log = logging.getLogger(__name__)

_DISABLED = """
SELECT id::text AS sub FROM account
 WHERE NOT enabled AND (disabled_at IS NULL OR disabled_at > $1)
UNION ALL
SELECT 'client:' || client_id FROM integration_client WHERE NOT enabled OR deleted_at IS NOT NULL
"""

# Accounts whose password changed within the horizon: their tokens of an older generation are revoked.
_GENERATIONS = "SELECT id::text AS sub, token_generation FROM account WHERE generation_changed_at > $1"


COMMIT_GRACE_SECONDS = 10.0


class DisabledSubjects:
    def __init__(self, pool: asyncpg.Pool, *, horizon_seconds: int, interval: float = 1.0) -> None:
        self.pool = pool
        self.horizon = timedelta(seconds=horizon_seconds)
        self.subjects: frozenset[str] = frozenset()
        self.generations: dict[str, int] = {}
        self.generated_at = 0.0
        # Subjects this replica disabled a moment ago: kept even when a reload reads the database
        # before the disabling request has committed (that reload would otherwise drop them).
        self._just_disabled: dict[str, float] = {}
        self._just_raised: dict[str, tuple[int, float]] = {}
        self.poller = Periodic(self.refresh, interval=interval, name="disabled accounts", first_delay=interval)

    async def refresh(self) -> None:
        since = datetime.now(UTC) - self.horizon
        rows = await self.pool.fetch(_DISABLED, since)
        generations = {row["sub"]: row["token_generation"] for row in await self.pool.fetch(_GENERATIONS, since)}
        now = time.monotonic()
        recent = self._just_raised.items()
        self._just_raised = {sub: (g, at) for sub, (g, at) in recent if now - at < COMMIT_GRACE_SECONDS}
        for sub, (generation, _) in self._just_raised.items():
            generations[sub] = max(generation, generations.get(sub, 0))
        self.generations = generations
        self._just_disabled = {sub: at for sub, at in self._just_disabled.items() if now - at < COMMIT_GRACE_SECONDS}
        self.subjects = frozenset(row["sub"] for row in rows) | frozenset(self._just_disabled)
        self.generated_at = time.time()

    def add(self, sub: str) -> None:
        self._just_disabled[sub] = time.monotonic()
        self.subjects = self.subjects | {sub}

    def forget_recent(self) -> None:
        """Drop the just-disabled subjects (the tests reset the database under a running gateway)."""
        self._just_disabled.clear()
        self._just_raised.clear()

    def discard(self, sub: str) -> None:
        self._just_disabled.pop(sub, None)
        self.subjects = self.subjects - {sub}

    def raise_generation(self, sub: str, generation: int) -> None:
        """This replica refuses the account's older tokens at once; the others within a second."""
        self._just_raised[sub] = (generation, time.monotonic())
        self.generations = {**self.generations, sub: max(generation, self.generations.get(sub, 0))}

    async def is_revoked(self, principal: Principal) -> bool:
        return revoked(principal, self.subjects, self.generations)

    def document(self) -> dict[str, Any]:
        return {
            "subjects": sorted(self.subjects),
            "generations": dict(sorted(self.generations.items())),
            "generated_at": int(self.generated_at),
        }

    def start(self) -> None:
        self.poller.start()

    async def stop(self) -> None:
        await self.poller.stop()
