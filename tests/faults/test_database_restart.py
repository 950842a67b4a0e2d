"""The database stopped and started again under load: while community staff keep placing and reading orders
through the gateway, the PostgreSQL server holding every database of the platform stops (``pg_ctl stop
-m fast``, every connection closed at once) and starts again on the same socket. Meanwhile every answer
is 503 problem+json with Retry-After, never 500 and never a hang; after the restart the same processes
answer again within 10 s, without being restarted; and every order that was answered 201 is there
afterwards, once, and no other, though the clients sent each again (with its Idempotency-Key) until it
was placed."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from shared.demo import GRIDS
from tests.faults.conftest import SERVICES, TEST_SECONDS, UNLIMITED_WRITES, EmbeddedServer, fresh_databases
from tests.support.db import rows
from tests.support.live import demo_platform
from tests.support.problems import PROBLEM
from tests.support.signin import as_user

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(TEST_SECONDS)]

CLIENTS = 6
DESCRIPTION = "楼道灯坏了 (停电演练)"
RECOVERY_SECONDS = 10


@dataclass
class Answer:
    phase: str
    kind: str  # "write" or "read"
    status: int
    content_type: str
    retry_after: str | None
    body: str


@dataclass
class Load:
    """Staff placing orders (issues found in a grid) one after the other, each until it is placed, and
    reading them back."""

    client: httpx.AsyncClient
    headers: dict[str, str]
    phase: str = "before"
    answers: list[Answer] = field(default_factory=list)
    placed: list[str] = field(default_factory=list)
    running: bool = True
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    def note(self, kind: str, response: httpx.Response) -> None:
        self.answered.set()
        self.answers.append(
            Answer(
                self.phase,
                kind,
                response.status_code,
                response.headers.get("content-type", ""),
                response.headers.get("retry-after"),
                response.text[:300],
            )
        )

    async def run(self) -> None:
        while self.running:
            await self.place_one()

    async def place_one(self) -> None:
        """One order, sent again with the same Idempotency-Key until it is placed (a client's retry),
        the menu read between attempts; then the order read back."""
        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"kind": "issue", "grid_code": GRIDS[0], "description": DESCRIPTION}
        while True:
            placed = await self.client.post("/api/v1/orders", json=body, headers=self.headers | key)
            self.note("write", placed)
            if placed.status_code == 201:
                break
            self.note("read", await self.client.get("/api/v1/menu", headers=self.headers))
            await asyncio.sleep(0.05)  # a client backs off a little (Retry-After says 2 s; the test is impatient)
        self.placed.append(placed.json()["id"])
        self.note("read", await self.client.get(f"/api/v1/orders/{placed.json()['id']}", headers=self.headers))

    def seen(self, phase: str, *, status: int | None = None, kind: str | None = None) -> int:
        return sum(
            1
            for a in self.answers
            if a.phase == phase and (status is None or a.status == status) and (kind is None or a.kind == kind)
        )

    def summary(self) -> Counter[tuple[str, str, int]]:
        return Counter((a.phase, a.kind, a.status) for a in self.answers)

    async def until(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        try:
            async with asyncio.timeout(seconds):
                while not condition():
                    self.answered.clear()
                    await self.answered.wait()
        except TimeoutError:
            pytest.fail(f"{what}: not within {seconds} s; answers so far: {dict(self.summary())}")


async def test_requests_fail_fast_with_503_and_recover_without_a_restart(own_server: EmbeddedServer) -> None:
    urls = await fresh_databases(own_server.admin_url, ("gateway", *SERVICES))
    async with (
        demo_platform(urls, SERVICES, UNLIMITED_WRITES) as platform,
        httpx.AsyncClient(base_url=platform.url("gateway"), timeout=30) as client,
    ):
        pids = {name: process.proc.pid for name, process in platform.processes.items()}
        load = Load(client, await as_user(client, "staff"))
        clients = [asyncio.create_task(load.run()) for _ in range(CLIENTS)]
        try:
            # every pool has its connections open
            await load.until(lambda: len(load.placed) >= 3 * CLIENTS, 20, "orders placed before")

            load.phase = "outage"
            await asyncio.to_thread(own_server.stop)
            await load.until(lambda: load.seen("outage", kind="write") >= 3 * CLIENTS, 20, "answers during the outage")

            load.phase = "restarted"
            await asyncio.to_thread(own_server.start)
            await load.until(lambda: load.seen("restarted", status=201) >= CLIENTS, RECOVERY_SECONDS, "recovery")

            load.phase = "after"  # and from then on, no failure: no connection left over from before
            await load.until(lambda: load.seen("after", status=201) >= 3 * CLIENTS, 20, "orders placed after")
        finally:
            load.running = False
            await asyncio.gather(*clients, return_exceptions=True)

        outage = [a for a in load.answers if a.phase == "outage" and a.status != 201 and a.status != 200]
        assert outage, "the clients never saw the database down"
        failures = [a for a in load.answers if a.status >= 300]
        assert Counter(a.status for a in failures) == Counter({503: len(failures)}), [
            a for a in failures if a.status != 503
        ][:3]
        assert all(a.content_type == PROBLEM and a.retry_after is not None for a in failures), failures[:5]
        assert all(a.status < 300 for a in load.answers if a.phase == "after"), [
            a for a in load.answers if a.phase == "after" and a.status >= 300
        ][:5]
        # The same processes, never restarted.
        assert {name: process.proc.pid for name, process in platform.processes.items()} == pids
        assert all(process.proc.poll() is None for process in platform.processes.values())

        # Every order answered 201 is there once; none other (no attempt answered 503 left an order behind).
        mine = await rows(
            urls["orders"],
            "SELECT id FROM service_order WHERE description = $1",
            DESCRIPTION,
        )
        assert sorted(str(r["id"]) for r in mine) == sorted(load.placed)
        assert len(set(load.placed)) == len(load.placed)
