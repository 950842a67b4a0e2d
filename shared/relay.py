"""The outbox relay: delivers a process's outbox events, at least once, to the services that
subscribe to them (``shared.events.SUBSCRIPTIONS``).

Safe with several replicas: a batch is claimed with ``FOR UPDATE SKIP LOCKED`` inside one
transaction, so two relays never send the same event at the same moment. Per aggregate (an order,
a visit) events go out in the order they were written: an event waits while an earlier one of the
same aggregate is undelivered. A failed delivery is retried with exponential back-off and jitter;
after ``max_attempts`` the event is set aside as dead (``dead_at``) until someone replays it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from shared.events import EVENTS_PATH, consumers_of, event_body, signed_headers, signer
from shared.periodic import Periodic

log = logging.getLogger(__name__)

# Due events in order, skipping those whose aggregate has an earlier one waiting out its back-off;
# ``before_seq`` is the aggregate's latest earlier undelivered event, which must go out first.
_CLAIM = """
SELECT e.seq, e.id, e.type, e.aggregate_id, e.payload, e.occurred_at, e.attempts,
       (SELECT max(p.seq) FROM outbox_event p
         WHERE p.aggregate_id = e.aggregate_id AND p.seq < e.seq
           AND p.delivered_at IS NULL AND p.dead_at IS NULL) AS before_seq
  FROM outbox_event e
 WHERE e.delivered_at IS NULL AND e.dead_at IS NULL AND e.next_attempt_at <= $1
   AND NOT EXISTS (
       SELECT 1 FROM outbox_event p
        WHERE p.aggregate_id = e.aggregate_id AND p.seq < e.seq
          AND p.delivered_at IS NULL AND p.dead_at IS NULL AND p.next_attempt_at > $1)
 ORDER BY e.seq
 LIMIT $2
   FOR UPDATE OF e SKIP LOCKED
"""


@dataclass(frozen=True)
class RelayResult:
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def backoff(
    attempts: int, *, base: float = 2.0, cap: float = 3600.0, rng: Callable[[], float] = random.random
) -> float:
    """Seconds before attempt ``attempts + 1``: exponential with full jitter, capped."""
    return min(cap, base * 2 ** max(0, attempts - 1)) * (0.5 + rng() / 2)


class Relay:
    def __init__(
        self,
        *,
        pool_getter: Callable[[], asyncpg.Pool | None],
        service_urls: dict[str, str],
        secret: str,
        producer: str | None = None,
        batch_size: int = 100,
        max_attempts: int = 12,
        timeout: float = 5.0,
        interval: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool_getter = pool_getter
        self.service_urls = service_urls
        self.producer = producer
        self.webhook = signer(secret)
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.clock = clock
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=False)
        self.poller = Periodic(self._drain, interval=interval, name="outbox relay")

    async def _drain(self) -> None:
        while (result := await self.run_once()).delivered + result.failed + result.dead >= self.batch_size:
            pass

    async def run_once(self) -> RelayResult:
        """Claim one batch of due events and deliver them; what became of them."""
        pool = self._pool_getter()
        if pool is None:
            return RelayResult()
        delivered = failed = dead = 0
        now = self.clock()
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, now, self.batch_size)
            sent: set[int] = set()
            for row in rows:
                if row["before_seq"] is not None and row["before_seq"] not in sent:
                    continue  # an earlier event of its aggregate failed, or another relay holds it
                error = await self._deliver(row)
                if error is None:
                    await conn.execute(
                        "UPDATE outbox_event SET delivered_at = $2, attempts = attempts + 1, last_error = NULL"
                        " WHERE seq = $1",
                        row["seq"],
                        self.clock(),
                    )
                    delivered += 1
                    sent.add(row["seq"])
                    continue
                attempts = row["attempts"] + 1
                if attempts >= self.max_attempts:
                    await conn.execute(
                        "UPDATE outbox_event SET attempts = $2, dead_at = $3, last_error = $4 WHERE seq = $1",
                        row["seq"],
                        attempts,
                        self.clock(),
                        error[:500],
                    )
                    dead += 1
                    log.warning("event %s set aside after %d attempts: %s", row["id"], attempts, error)
                else:
                    await conn.execute(
                        "UPDATE outbox_event SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE seq = $1",
                        row["seq"],
                        attempts,
                        now + timedelta(seconds=backoff(attempts)),
                        error[:500],
                    )
                    failed += 1
        return RelayResult(delivered=delivered, failed=failed, dead=dead)

    async def _deliver(self, row: asyncpg.Record) -> str | None:
        """Send the event to each consumer of its type; None when all took it, else what went wrong.
        A consumer that took it already gets it again on a retry, and deduplicates on the id."""
        body = event_body(row)
        for consumer in consumers_of(row["type"], producer=self.producer):
            base = self.service_urls.get(consumer)
            if base is None:
                return f"no address for {consumer}"
            headers = signed_headers(self.webhook, str(row["id"]), body)
            try:
                response = await self._client.post(base.rstrip("/") + EVENTS_PATH, content=body, headers=headers)
            except httpx.HTTPError as exc:
                return f"{consumer}: {type(exc).__name__}"
            if not 200 <= response.status_code < 300:
                return f"{consumer}: HTTP {response.status_code}"
        return None

    def start(self) -> None:
        self.poller.start()

    async def stop(self) -> None:
        await self.poller.stop()
        await self._client.aclose()


async def replay_dead(pool: asyncpg.Pool, *, event_ids: list[str] | None = None) -> int:
    """Put dead events back in line (all of them, or those named); how many."""
    result: str = await pool.execute(
        "UPDATE outbox_event SET dead_at = NULL, attempts = 0, next_attempt_at = now()"
        " WHERE dead_at IS NOT NULL AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))",
        event_ids,
    )
    return int(result.split()[-1])
