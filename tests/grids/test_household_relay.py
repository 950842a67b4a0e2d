"""The household copy across a consumer that is down: the residents service's relay delivers
``household.*`` to a real grids process on loopback; while it is stopped the events wait in the
producer's outbox, in order; once it is back the copy converges, and an event delivered twice (a relay
that died before recording the delivery) is applied once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from deploy.processes import BY_NAME
from shared.demo import GRIDS
from shared.relay import Relay
from shared.settings import DEVELOPMENT_SECRET
from tests.conftest import AppFactory
from tests.grids.test_households import fact
from tests.support import db
from tests.support.live import LiveProcess, free_port
from tests.support.loopback import LoopbackServer, QuietHandler

pytestmark = pytest.mark.usefixtures("roster")


class ToLoopbackAndGateway(httpx.AsyncBaseTransport):
    """Deliveries to the gateway go to its in-process app; those to the grids service over real HTTP."""

    def __init__(self, gateway: httpx.AsyncBaseTransport) -> None:
        self.gateway, self.network = gateway, httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "gateway.test":
            return await self.gateway.handle_async_request(request)
        return await self.network.handle_async_request(request)


def live_grids(database_url: str, port: int, nowhere: str) -> LiveProcess:
    """The grids service as a real process; the gateway it would ask or send to is nowhere."""
    env = {"GRIDS_GATEWAY_URL": nowhere, "GRIDS_REVOCATIONS_URL": "", "GRIDS_PHOTO_DIR": "/tmp/bt-hhgrids-photos"}
    process = LiveProcess(BY_NAME["grids"], database_url, f"{nowhere}/jwks.json", env, port=port)
    process.wait_ready()
    return process


async def emit(residents_url: str, type: str, payload: dict[str, object]) -> uuid.UUID:
    """An event in the residents service's outbox, as its change would write it."""
    event_id = uuid.uuid4()
    await db.execute(
        residents_url,
        "INSERT INTO outbox_event (id, type, aggregate_id, payload) VALUES ($1, $2, $3, $4)",
        event_id, type, str(payload["household_id"]), orjson.dumps(payload).decode(),
    )  # fmt: skip
    return event_id


async def test_events_wait_while_the_grids_service_is_down_and_the_copy_converges_once_it_is_back(
    start_app: AppFactory, database_urls: dict[str, str]
) -> None:
    grids_url, residents_url = database_urls["grids"], database_urls["residents"]
    nowhere = LoopbackServer(QuietHandler)
    nowhere.close()
    port = free_port()
    grids = live_grids(grids_url, port, nowhere.base_url)
    producer = await start_app("residents")
    ahead = [timedelta(0)]  # how far the relay's clock runs ahead, to get past its back-off
    relay = Relay(
        pool_getter=lambda: producer.state.db.fastlane.pool,
        service_urls={"grids": f"http://127.0.0.1:{port}", "gateway": "http://gateway.test"},
        secret=DEVELOPMENT_SECRET,
        producer="residents",
        transport=ToLoopbackAndGateway(httpx.ASGITransport(app=await start_app("gateway"))),
        clock=lambda: datetime.now(UTC) + ahead[0],
    )
    try:
        a, b = fact(), fact()
        first = await emit(residents_url, "household.created", a)
        assert (await relay.run_once()).delivered == 1

        grids.stop()  # the consumer goes down; the producer keeps changing households
        await emit(residents_url, "household.moved", a | {"grid_code": GRIDS[3]})
        await emit(residents_url, "household.created", b)
        await emit(residents_url, "household.removed", b | {"removed": True})
        down = await relay.run_once()
        assert (down.delivered, down.failed) == (0, 2)  # b's removal waits behind b's creation
        waiting = await db.rows(
            residents_url, "SELECT attempts, last_error FROM outbox_event WHERE delivered_at IS NULL ORDER BY seq"
        )
        assert [(w["attempts"], w["last_error"]) for w in waiting] == [
            (1, "grids: ConnectError"), (1, "grids: ConnectError"), (0, None),
        ]  # fmt: skip
        b_copies = "SELECT count(*) FROM household WHERE id = $1"
        assert await db.value(grids_url, b_copies, uuid.UUID(b["household_id"])) == 0

        grids = live_grids(grids_url, port, nowhere.base_url)  # back, at the same address
        ahead[0] = timedelta(hours=2)
        assert (await relay.run_once()).delivered == 3
        # The first event again, as from a relay that died before it recorded the delivery.
        await db.execute(residents_url, "UPDATE outbox_event SET delivered_at = NULL WHERE id = $1", first)
        assert (await relay.run_once()).delivered == 1
    finally:
        grids.stop()
        await relay.stop()

    copy = {
        str(r["id"]): r
        for r in await db.rows(
            grids_url,
            "SELECT id, grid_code, removed_at FROM household WHERE id = ANY($1::uuid[])",
            [uuid.UUID(a["household_id"]), uuid.UUID(b["household_id"])],
        )
    }
    assert copy[a["household_id"]]["grid_code"] == GRIDS[3] and copy[a["household_id"]]["removed_at"] is None
    assert copy[b["household_id"]]["removed_at"] is not None
    inbox = await db.rows(grids_url, "SELECT type FROM inbox_event")
    assert sorted(r["type"] for r in inbox) == sorted(
        ["household.created", "household.moved", "household.created", "household.removed"]
    )  # four events, the first delivered twice: each applied once
