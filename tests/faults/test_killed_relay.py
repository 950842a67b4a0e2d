"""A relay killed while delivering: the orders service's outbox relay is sending a batch of events to the
gateway (whose inbox turns them into notifications) when the service is killed (SIGKILL). The gateway
may or may not have applied that batch; the relay never heard. Once the service runs again, every event
has arrived, and each once: the party member's inbox shows each order's assignment exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from shared.demo import GRIDS
from tests.faults.conftest import TEST_SECONDS, waited_for
from tests.support.answers import ok
from tests.support.db import connected, rows
from tests.support.live import GatewayPlatform
from tests.support.signin import as_user

pytestmark = [pytest.mark.e2e, pytest.mark.keep_tables, pytest.mark.timeout(TEST_SECONDS)]

ORDERS = 12


async def notifications(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """All of the caller's notifications, page after page."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = ok(await client.get("/api/v1/me/notifications", params=params, headers=headers))
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


async def test_every_event_arrives_once_though_its_relay_was_killed_while_delivering(
    fault_platform: GatewayPlatform,
) -> None:
    orders = fault_platform.processes["orders"]
    orders_db, gateway_db = fault_platform.database_urls["orders"], fault_platform.database_urls["gateway"]
    async with httpx.AsyncClient(base_url=fault_platform.url("gateway"), timeout=30) as client:
        staff, pm1 = await as_user(client, "staff"), await as_user(client, "pm1")
        members = await client.get("/api/v1/members", params={"q": "党员1", "grid_code": GRIDS[0]}, headers=staff)
        pm1_account = next(m["account_id"] for m in members.json()["items"] if m["name"] == "党员1")
        mark = f"({uuid.uuid4()})"

        async with connected(gateway_db) as conn:
            # The gateway's inbox waits for this lock: the relay's delivery is in flight until it is released.
            locked = conn.transaction()
            await locked.start()
            await conn.execute("LOCK TABLE inbox_event IN EXCLUSIVE MODE")
            placed = []
            for number in range(ORDERS):
                body = {"kind": "issue", "grid_code": GRIDS[0], "description": f"垃圾桶满了 {number} {mark}"}
                order = (await client.post("/api/v1/orders", json=body, headers=staff)).json()
                dispatched = await client.post(
                    f"/api/v1/orders/{order['id']}/dispatch", json={"assignee_id": pm1_account}, headers=staff
                )
                assert dispatched.status_code == 200, dispatched.text
                placed.append(order["id"])
            for _ in range(200):
                if await waited_for(conn):
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the relay never delivered to the gateway")
            await asyncio.to_thread(orders.kill)
            await locked.rollback()

        await asyncio.to_thread(orders.restart)
        events = [
            str(row["id"])
            for row in await rows(orders_db, "SELECT id FROM outbox_event WHERE aggregate_id = ANY($1::text[])", placed)
        ]
        assert len(events) == 2 * ORDERS  # placed, dispatched
        for _ in range(300):
            arrived = await rows(gateway_db, "SELECT id FROM inbox_event WHERE id = ANY($1::uuid[])", events)
            if len(arrived) == len(events):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"{len(events) - len(arrived)} of {len(events)} events never arrived")

        assigned = Counter(n["subject_id"] for n in await notifications(client, pm1) if n["kind"] == "order_assigned")
        assert {order_id: assigned[order_id] for order_id in placed} == dict.fromkeys(placed, 1)
