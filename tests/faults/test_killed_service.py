"""A service killed (SIGKILL) in the middle of a write through the gateway: the client is answered 502
or 503 problem+json; once the service runs again, the client's retry with the same ``Idempotency-Key``
is applied once, and asking again answers the same."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from shared.demo import GRIDS
from tests.faults.conftest import TEST_SECONDS, waited_for
from tests.support.db import connected, rows
from tests.support.live import GatewayPlatform
from tests.support.problems import PROBLEM
from tests.support.signin import as_user

pytestmark = [pytest.mark.e2e, pytest.mark.keep_tables, pytest.mark.timeout(TEST_SECONDS)]


async def retried(client: httpx.AsyncClient, body: dict[str, object], headers: dict[str, str]) -> httpx.Response:
    """What a client does: the same request again, with the same key, while it is answered 5xx or 409
    (the first attempt still in flight), up to 30 times."""
    answer = None
    for _ in range(30):
        answer = await client.post("/api/v1/orders", json=body, headers=headers)
        if answer.status_code < 500 and answer.status_code != 409:
            return answer
        await asyncio.sleep(min(1.0, float(answer.headers.get("retry-after", "1"))))
    assert answer is not None
    return answer


async def test_the_retry_of_a_write_cut_off_by_a_killed_service_is_applied_once(
    fault_platform: GatewayPlatform,
) -> None:
    orders = fault_platform.processes["orders"]
    orders_db = fault_platform.database_urls["orders"]
    description = f"井盖松动 ({uuid.uuid4()})"
    body: dict[str, object] = {"kind": "issue", "grid_code": GRIDS[1], "description": description}
    async with httpx.AsyncClient(base_url=fault_platform.url("gateway"), timeout=30) as client:
        headers = await as_user(client, "staff") | {"Idempotency-Key": str(uuid.uuid4())}
        async with connected(orders_db) as conn:
            # The order's insert waits for this lock: the service is killed while it is writing.
            locked = conn.transaction()
            await locked.start()
            await conn.execute("LOCK TABLE service_order IN EXCLUSIVE MODE")
            first = asyncio.create_task(client.post("/api/v1/orders", json=body, headers=headers))
            for _ in range(200):
                if await waited_for(conn):
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the order's insert never reached the database")
            await asyncio.to_thread(orders.kill)
            cut_off = await first
            await locked.rollback()
        assert cut_off.status_code in (502, 503), cut_off.text
        assert cut_off.headers["content-type"] == PROBLEM

        await asyncio.to_thread(orders.restart)
        placed = await retried(client, body, headers)
        assert placed.status_code == 201, placed.text
        again = await client.post("/api/v1/orders", json=body, headers=headers)
        assert again.status_code == 201 and again.json() == placed.json()
        assert again.headers["idempotent-replayed"] == "true"

    kept = await rows(orders_db, "SELECT id FROM service_order WHERE description = $1", description)
    assert [str(row["id"]) for row in kept] == [placed.json()["id"]]
