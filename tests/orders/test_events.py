"""A visit that needs a follow-up becomes an issue order: the grids service's relay delivers the event,
signed, at least once; the orders service applies it once. A receiver that fails gets it again
later; one that keeps failing sets it aside; a forged delivery is refused."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from shared import demo
from shared.demo import GRIDS
from shared.events import EVENTS_PATH, signed_headers, signer
from shared.relay import Relay
from shared.settings import DEVELOPMENT_SECRET
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.orders.support import account, grid_worker, party_member, staff
from tests.support import db
from tests.support.asgi import RoutingTransport


def relay_for(
    producer: FastAPI, consumer: FastAPI | httpx.AsyncBaseTransport, gateway: FastAPI, **options: Any
) -> Relay:
    """The producer's relay, delivering to the orders service (``consumer``) and the gateway."""
    transport = consumer if isinstance(consumer, httpx.AsyncBaseTransport) else httpx.ASGITransport(app=consumer)
    routes = {"orders.test": transport, "gateway.test": httpx.ASGITransport(app=gateway)}
    return Relay(
        pool_getter=lambda: producer.state.db.fastlane.pool,
        service_urls={"orders": "http://orders.test", "gateway": "http://gateway.test"},
        secret=DEVELOPMENT_SECRET,
        transport=RoutingTransport(routes),
        producer="grids",
        **options,
    )


async def follow_up_visit(grids: httpx.AsyncClient, keys: TestKeys) -> dict[str, Any]:
    home = demo.households_of_grid(GRIDS[0])[3]
    visit = {
        "id": str(uuid.uuid4()),
        "household_id": str(home.id),
        "kind": "dispute",
        "visited_at": datetime.now(UTC).isoformat(),
        "notes": "邻里因漏水起了纠纷, 13912345678",
        "follow_up": True,
    }
    answer = await grids.post("/api/v1/visits", json=visit, headers=grid_worker(keys, 1))
    assert answer.status_code == 201, answer.text
    return visit


@pytest.mark.usefixtures("roster")
async def test_a_follow_up_visit_becomes_one_issue_order(
    grids: httpx.AsyncClient,
    orders: httpx.AsyncClient,
    keys: TestKeys,
    start_app: AppFactory,
    database_urls: dict[str, str],
) -> None:
    visit = await follow_up_visit(grids, keys)
    relay = relay_for(await start_app("grids"), await start_app("orders"), await start_app("gateway"))
    assert (await relay.run_once()).delivered == 1
    assert (await relay.run_once()).delivered == 0

    issues = (await orders.get("/api/v1/orders?kind=issue", headers=grid_worker(keys, 1))).json()["items"]
    assert len(issues) == 1 and issues[0]["channel"] == "visit" and issues[0]["grid_code"] == GRIDS[0]
    order = (await orders.get(f"/api/v1/orders/{issues[0]['id']}", headers=staff(keys))).json()
    assert order["visit_id"] == visit["id"] and order["household_id"] == visit["household_id"]
    assert order["placed_by"] == account("gw1")
    assert "13912345678" not in str(order) and "漏水" not in str(order)  # the notes stay in the grids service

    # Delivered again (a relay that died before recording the delivery): still one order.
    await db.rows(database_urls["grids"], "UPDATE outbox_event SET delivered_at = NULL")
    assert (await relay.run_once()).delivered == 1
    again = (await orders.get("/api/v1/orders?kind=issue", headers=staff(keys))).json()["items"]
    assert [o["id"] for o in again] == [order["id"]]

    # The grid worker who found it rates the fix once it is done.
    await orders.post(f"/api/v1/orders/{order['id']}/dispatch", json={"mode": "grab"}, headers=staff(keys))
    await orders.post(f"/api/v1/orders/{order['id']}/accept", headers=party_member(keys, 1))
    await orders.post(f"/api/v1/orders/{order['id']}/complete", json={"note": "已调解"}, headers=party_member(keys, 1))
    rated = await orders.post(f"/api/v1/orders/{order['id']}/rate", json={"stars": 5}, headers=grid_worker(keys, 1))
    assert rated.status_code == 200 and rated.json()["state"] == "rated"


async def test_a_delivery_without_a_valid_signature_is_refused(orders: httpx.AsyncClient) -> None:
    event_id = str(uuid.uuid4())
    event = {
        "id": event_id,
        "type": "visit.follow_up_needed",
        "aggregate_id": str(uuid.uuid4()),
        "occurred_at": datetime.now(UTC).isoformat(),
        "payload": {"visit_id": str(uuid.uuid4()), "grid_code": GRIDS[0]},
    }
    body = orjson.dumps(event)
    unsigned = await orders.post(EVENTS_PATH, content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401
    forged = signed_headers(signer("not-the-platform-secret"), event_id, body)
    assert (await orders.post(EVENTS_PATH, content=body, headers=forged)).status_code == 401
    stale = signed_headers(signer(DEVELOPMENT_SECRET), event_id, body, now=datetime.now(UTC).timestamp() - 3600)
    assert (await orders.post(EVENTS_PATH, content=body, headers=stale)).status_code == 401
    good = signed_headers(signer(DEVELOPMENT_SECRET), event_id, body)
    tampered = body.replace(GRIDS[0].encode(), GRIDS[1].encode())
    assert (await orders.post(EVENTS_PATH, content=tampered, headers=good)).status_code == 401
    accepted = await orders.post(EVENTS_PATH, content=body, headers=good)
    assert accepted.status_code == 200 and accepted.json() == {"status": "applied"}
    replayed = await orders.post(EVENTS_PATH, content=body, headers=good)
    assert replayed.json() == {"status": "duplicate"}


class FlakyReceiver(httpx.AsyncBaseTransport):
    """Fails the first ``failures`` deliveries, then passes them to the real consumer."""

    def __init__(self, app: FastAPI, failures: int) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.failures = failures
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.headers["webhook-id"])
        if self.failures > 0:
            self.failures -= 1
            return httpx.Response(503)
        return await self.inner.handle_async_request(request)


@pytest.mark.usefixtures("roster")
async def test_a_failing_receiver_gets_it_later_and_a_dead_one_sets_it_aside(
    grids: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory, database_urls: dict[str, str]
) -> None:
    await follow_up_visit(grids, keys)
    await follow_up_visit(grids, keys)
    receiver = FlakyReceiver(await start_app("orders"), failures=1)
    clock = [datetime.now(UTC)]
    relay = relay_for(
        await start_app("grids"), receiver, await start_app("gateway"), max_attempts=3, clock=lambda: clock[0]
    )
    first = await relay.run_once()  # both in one batch, which the unwell receiver answers 503
    assert (first.delivered, first.failed) == (0, 2)
    waiting = await db.rows(
        database_urls["grids"], "SELECT attempts, next_attempt_at FROM outbox_event WHERE delivered_at IS NULL"
    )
    assert len(waiting) == 2 and all(w["attempts"] == 1 and w["next_attempt_at"] > clock[0] for w in waiting)
    assert (await relay.run_once()).delivered == 0  # not before their back-off is over
    clock[0] += timedelta(hours=2)
    assert (await relay.run_once()).delivered == 2
    issues = await db.rows(database_urls["orders"], "SELECT count(*) AS n FROM service_order WHERE kind = 'issue'")
    assert issues[0]["n"] == 2

    await follow_up_visit(grids, keys)
    receiver.failures = 100
    for _ in range(3):
        clock[0] += timedelta(hours=2)
        await relay.run_once()
    dead = await db.rows(
        database_urls["grids"], "SELECT attempts, dead_at, last_error FROM outbox_event WHERE dead_at IS NOT NULL"
    )
    assert len(dead) == 1 and dead[0]["attempts"] == 3 and dead[0]["last_error"] == "orders: HTTP 503"


async def test_events_of_one_aggregate_go_out_in_order(start_app: AppFactory, database_urls: dict[str, str]) -> None:
    """A later event waits while an earlier one of the same order is undelivered."""
    aggregate = str(uuid.uuid4())
    for n in range(3):
        await db.execute(
            database_urls["grids"],
            "INSERT INTO outbox_event (id, type, aggregate_id, payload) VALUES ($1, 'visit.follow_up_needed', $2, $3)",
            uuid.uuid4(),
            aggregate,
            orjson.dumps({"n": n}).decode(),
        )
    seen: list[int] = []

    class Recorder(httpx.AsyncBaseTransport):
        fail_next = True

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            body = orjson.loads(request.content)
            numbers = [event["payload"]["n"] for event in body.get("events", [body])]
            if 0 in numbers and self.fail_next:
                self.fail_next = False
                return httpx.Response(500)
            seen.extend(numbers)
            return httpx.Response(200, json={"status": "applied"})

    clock = [datetime.now(UTC)]
    relay = relay_for(await start_app("grids"), Recorder(), await start_app("gateway"), clock=lambda: clock[0])
    assert (await relay.run_once()).failed == 1
    assert seen == []  # 1 and 2 wait behind 0
    clock[0] += timedelta(hours=2)
    assert (await relay.run_once()).delivered == 3
    assert seen == [0, 1, 2]


class DiesAfterApplying(httpx.AsyncBaseTransport):
    """The consumer applies the delivery, then the relay dies before it hears the answer."""

    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.applied = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.applied.set()
        await asyncio.sleep(3600)  # the relay is killed here
        return response


@pytest.mark.usefixtures("roster")
async def test_a_relay_killed_mid_delivery_loses_nothing_and_applies_nothing_twice(
    grids: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory, database_urls: dict[str, str]
) -> None:
    await follow_up_visit(grids, keys)
    dying = DiesAfterApplying(await start_app("orders"))
    relay = relay_for(await start_app("grids"), dying, await start_app("gateway"))
    task = asyncio.create_task(relay.run_once())
    await asyncio.wait_for(dying.applied.wait(), timeout=10)
    task.cancel()  # the process dies: its transaction never commits
    with pytest.raises(asyncio.CancelledError):
        await task
    pending = await db.rows(database_urls["grids"], "SELECT delivered_at FROM outbox_event")
    assert [row["delivered_at"] for row in pending] == [None]  # not lost: still to deliver
    after = relay_for(await start_app("grids"), await start_app("orders"), await start_app("gateway"))
    assert (await after.run_once()).delivered == 1
    issues = await db.rows(database_urls["orders"], "SELECT count(*) AS n FROM service_order")
    inbox = await db.rows(database_urls["orders"], "SELECT count(*) AS n FROM inbox_event")
    assert issues[0]["n"] == 1 and inbox[0]["n"] == 1  # delivered twice, applied once


class CountingReceiver(httpx.AsyncBaseTransport):
    """Passes deliveries to the real consumer and keeps the paths they went to."""

    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


@pytest.mark.usefixtures("roster")
async def test_events_go_in_one_batch_and_a_bad_one_holds_back_only_itself(
    grids: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory, database_urls: dict[str, str]
) -> None:
    for _ in range(3):
        await follow_up_visit(grids, keys)
    receiver = CountingReceiver(await start_app("orders"))
    relay = relay_for(await start_app("grids"), receiver, await start_app("gateway"))
    assert (await relay.run_once()).delivered == 3
    assert receiver.paths == ["/internal/events/batch"]  # three events, one request

    for _ in range(2):
        await follow_up_visit(grids, keys)
    bad = uuid.uuid4()
    await db.execute(
        database_urls["grids"],
        "INSERT INTO outbox_event (id, type, aggregate_id, payload) VALUES ($1, 'visit.follow_up_needed', $2, '{}')",
        bad,
        str(bad),
    )
    receiver.paths.clear()
    result = await relay.run_once()
    assert (result.delivered, result.failed) == (2, 1)
    # The batch was refused (422: a payload that is not a visit's), then each went on its own.
    assert receiver.paths == ["/internal/events/batch", *["/internal/events"] * 3]
    left = await db.rows(database_urls["grids"], "SELECT id, last_error FROM outbox_event WHERE delivered_at IS NULL")
    assert [(r["id"], r["last_error"]) for r in left] == [(bad, "orders: HTTP 422")]
    issues = await db.value(database_urls["orders"], "SELECT count(*) FROM service_order WHERE kind = 'issue'")
    assert issues == 5
