"""The outbox relay: delivers a process's outbox events, at least once, to the services that
subscribe to them (``shared.events.SUBSCRIPTIONS``).

Safe with several replicas: a batch is claimed with ``FOR UPDATE SKIP LOCKED`` inside one
transaction, so two relays never send the same event at the same moment. Per aggregate (an order,
a visit) events go out in the order they were written: an event waits while an earlier one of the
same aggregate is undelivered. A failed delivery is retried with exponential back-off and jitter;
after ``max_attempts`` the event is set aside as dead (``dead_at``) until someone replays it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from shared.events import BATCH_PATH, EVENTS_PATH, consumers_of, event_body, signed_headers, signer
from shared.periodic import Periodic

log = logging.getLogger(__name__)

# Due events in order. Two plain queries rather than one with a subquery per row: right after a bulk
# write (an import's tens of thousands of events) the planner's statistics still say the table is
# empty, and a per-row subquery then scans the whole table for every row.
_CLAIM = """
SELECT seq, id, type, aggregate_id, payload, occurred_at, attempts
  FROM outbox_event
 WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $1
 ORDER BY seq
 LIMIT $2
   FOR UPDATE SKIP LOCKED
"""
# The undelivered events of those aggregates before the batch's last: what must go out first.
_EARLIER = """
SELECT aggregate_id, seq, next_attempt_at
  FROM outbox_event
 WHERE aggregate_id = ANY($1::text[]) AND seq < $2 AND delivered_at IS NULL AND dead_at IS NULL
 ORDER BY seq
"""


async def _claim(conn: asyncpg.Connection, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Due events in order, each with ``before_seq``, its aggregate's latest earlier undelivered event
    (which must go out first); those whose aggregate has an earlier one waiting out its back-off are
    left for later."""
    rows = [dict(row) for row in await conn.fetch(_CLAIM, now, limit)]
    if not rows:
        return rows
    earlier: dict[str, list[tuple[int, datetime]]] = {}
    for row in await conn.fetch(_EARLIER, list({r["aggregate_id"] for r in rows}), rows[-1]["seq"]):
        earlier.setdefault(row["aggregate_id"], []).append((row["seq"], row["next_attempt_at"]))
    claimed = []
    for row in rows:
        before = [(seq, due) for seq, due in earlier.get(row["aggregate_id"], []) if seq < row["seq"]]
        if any(due > now for _, due in before):
            continue  # an earlier event of its aggregate waits out its back-off
        row["before_seq"] = before[-1][0] if before else None
        claimed.append(row)
    return claimed


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
        batch_size: int = 500,
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
        now = self.clock()
        async with pool.acquire() as conn, conn.transaction():
            claimed = await _claim(conn, now, self.batch_size)
            # An event goes out only after its aggregate's earlier one: in this batch (delivered in
            # order before it), or not at all while another relay holds the earlier one.
            in_batch = {row["seq"] for row in claimed}
            rows = [row for row in claimed if row["before_seq"] is None or row["before_seq"] in in_batch]
            errors = await self._deliver_all(rows)
            delivered = [row["seq"] for row in rows if row["seq"] not in errors]
            if delivered:
                await conn.execute(
                    "UPDATE outbox_event SET delivered_at = $2, attempts = attempts + 1, last_error = NULL"
                    " WHERE seq = ANY($1::bigint[])",
                    delivered,
                    self.clock(),
                )
            failed = dead = 0
            for row in rows:
                error = errors.get(row["seq"])
                if error is None or row["before_seq"] in errors:
                    continue  # delivered, or waiting behind its aggregate's earlier event (no try spent)
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
        return RelayResult(delivered=len(delivered), failed=failed, dead=dead)

    async def _deliver_all(self, rows: list[dict[str, Any]]) -> dict[int, str]:
        """Deliver the rows (in ``seq`` order) to every consumer, each consumer's in one batch request
        and the consumers at once; what went wrong, by ``seq``, for the rows not delivered everywhere."""
        by_consumer: dict[str, list[dict[str, Any]]] = {}
        errors: dict[int, str] = {}
        for row in rows:
            for consumer in consumers_of(row["type"], producer=self.producer):
                if consumer not in self.service_urls:
                    errors[row["seq"]] = f"no address for {consumer}"
                else:
                    by_consumer.setdefault(consumer, []).append(row)
        results = await asyncio.gather(*(self._deliver_to(c, batch) for c, batch in by_consumer.items()))
        for failures in results:
            for seq, error in failures.items():
                errors.setdefault(seq, error)
        return errors

    async def _deliver_to(self, consumer: str, rows: list[dict[str, Any]]) -> dict[int, str]:
        """One consumer's events: as one batch. When the consumer is unwell (unreachable, 5xx) they all wait
        for the back-off; when it refuses the batch (4xx: an event it cannot apply, or no batch door),
        one by one, in order, so that a bad event holds back only itself and its aggregate's later ones."""
        base = self.service_urls[consumer].rstrip("/")
        if len(rows) > 1:
            body = b'{"events":[' + b",".join(event_body(row) for row in rows) + b"]}"
            headers = signed_headers(self.webhook, f"batch_{uuid.uuid4().hex}", body)
            try:
                response = await self._client.post(base + BATCH_PATH, content=body, headers=headers)
            except httpx.HTTPError as exc:
                unreachable = f"{consumer}: {type(exc).__name__}"
                return {row["seq"]: unreachable for row in rows}
            if 200 <= response.status_code < 300:
                return {}
            if response.status_code >= 500:
                unwell = f"{consumer}: HTTP {response.status_code}"
                return {row["seq"]: unwell for row in rows}
        failures: dict[int, str] = {}
        held: set[str] = set()  # aggregates with an event not delivered: their later ones wait
        for row in rows:
            if row["aggregate_id"] in held:
                failures[row["seq"]] = f"{consumer}: an earlier event of its aggregate was not delivered"
                continue
            body = event_body(row)
            headers = signed_headers(self.webhook, str(row["id"]), body)
            error: str | None
            try:
                response = await self._client.post(base + EVENTS_PATH, content=body, headers=headers)
                error = None if 200 <= response.status_code < 300 else f"{consumer}: HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{consumer}: {type(exc).__name__}"
            if error is not None:
                failures[row["seq"]] = error
                held.add(row["aggregate_id"])
        return failures

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
