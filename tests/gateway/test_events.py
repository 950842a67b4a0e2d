"""The gateway takes the services' events: the accounts they concern find lines in their inbox, and
the street's integration clients get signed webhooks, retried, logged, in order, SSRF-safe."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook

from deploy.demo import load_process, run_loader
from deploy.processes import BY_NAME
from gateway.events import service as events
from gateway.webhooks import service as webhooks
from services.grids.demo import load_roster
from services.residents.demo import load as load_registry
from shared.demo import COMMUNITY, STREET, demo_uuid
from shared.events import EventIn
from shared.relay import Relay
from shared.settings import DEVELOPMENT_SECRET
from shared.testing import TestKeys
from tests.conftest import AppFactory, ClientFactory
from tests.orders.support import account, add_menu_item, party_member, place, resident, staff, street
from tests.support.asgi import RoutingTransport
from tests.support.people import department
from tests.support.places import OTHER_STREET
from tests.support.receiver import Receiver


@pytest.fixture
async def platform(start_app: AppFactory, database_urls: dict[str, str]) -> dict[str, FastAPI]:
    await load_process(BY_NAME["gateway"], database_urls["gateway"])
    await run_loader(load_roster, database_urls["grids"])  # who may take the orders of grid 1
    return {"orders": await start_app("orders"), "gateway": await start_app("gateway")}


def relay(platform: dict[str, FastAPI]) -> Relay:
    return Relay(
        pool_getter=lambda: platform["orders"].state.db.fastlane.pool,
        service_urls={"gateway": "http://gateway.test"},
        secret=DEVELOPMENT_SECRET,
        transport=RoutingTransport({"gateway.test": httpx.ASGITransport(app=platform["gateway"])}),
        producer="orders",
    )


def client_token(keys: TestKeys, street: str = STREET, client_id: str = "street-demo") -> dict[str, str]:
    token = keys.machine_token(street_code=street, scopes=["webhooks:write", "stats:read"], client_id=client_id)
    return {"Authorization": f"Bearer {token}"}


async def run_loop(orders: httpx.AsyncClient, keys: TestKeys, *, grab: bool = False) -> str:
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    url = f"/api/v1/orders/{order['id']}"
    body = {"mode": "grab"} if grab else {"assignee_id": account("pm1")}
    assert (await orders.post(f"{url}/dispatch", json=body, headers=staff(keys))).status_code == 200
    assert (await orders.post(f"{url}/accept", headers=party_member(keys, 1))).status_code == 200
    await orders.post(f"{url}/complete", json={"note": "好"}, headers=party_member(keys, 1))
    await orders.post(f"{url}/rate", json={"stars": 5}, headers=resident(keys))
    return str(order["id"])


async def test_the_loop_fills_the_inboxes_of_those_it_concerns(
    platform: dict[str, FastAPI], client_for: ClientFactory, keys: TestKeys
) -> None:
    orders, gateway = await client_for("orders"), await client_for("gateway")
    order_id = await run_loop(orders, keys)
    assert (await relay(platform).run_once()).delivered == 5  # placed, dispatched, accepted, completed, rated
    pm1 = (await gateway.get("/api/v1/me/notifications", headers=party_member(keys, 1))).json()
    assert [(n["kind"], n["subject_id"]) for n in pm1["items"]] == [("order_assigned", order_id)]
    assert pm1["unread_count"] == 1
    mine = (await gateway.get("/api/v1/me/notifications", headers=resident(keys))).json()
    assert [n["kind"] for n in mine["items"]] == ["order_completed", "order_accepted"]
    assert mine["items"][0]["title"] == "您的订单已完成"
    # Delivered again: no second line.
    assert (await relay(platform).run_once()).delivered == 0
    first = (await gateway.get("/api/v1/me/notifications", params={"limit": 1}, headers=resident(keys))).json()
    assert (first["unread_count"], first["items"]) == (2, mine["items"][:1])
    after = {"limit": 1, "cursor": first["next_cursor"]}
    rest = (await gateway.get("/api/v1/me/notifications", params=after, headers=resident(keys))).json()
    assert rest == {"unread_count": 2, "items": mine["items"][1:], "next_cursor": None}
    read = await gateway.post(f"/api/v1/me/notifications/{pm1['items'][0]['id']}/read", headers=party_member(keys, 1))
    assert read.status_code == 200 and read.json()["read_at"] is not None
    # The inbox (the fast lane) answers a line as the response model wrote it.
    again = (await gateway.get("/api/v1/me/notifications", headers=party_member(keys, 1))).json()
    assert again == {"unread_count": 0, "items": [read.json()], "next_cursor": None}
    assert (await gateway.get("/api/v1/me/notifications?unread=true", headers=party_member(keys, 1))).json() == {
        "unread_count": 0,
        "items": [],
        "next_cursor": None,
    }
    others = await gateway.post(
        f"/api/v1/me/notifications/{mine['items'][0]['id']}/read", headers=party_member(keys, 1)
    )
    assert others.status_code == 404  # one's own inbox only


async def test_a_grab_order_tells_the_grids_party_members(
    platform: dict[str, FastAPI], client_for: ClientFactory, keys: TestKeys
) -> None:
    orders, gateway = await client_for("orders"), await client_for("gateway")
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    await orders.post(f"/api/v1/orders/{order['id']}/dispatch", json={"mode": "grab"}, headers=staff(keys))
    await relay(platform).run_once()
    for n in (1, 2, 9):  # pm1, pm2 and pm9 are party members of grid 1
        inbox = (await gateway.get("/api/v1/me/notifications", headers=party_member(keys, n))).json()
        assert [i["kind"] for i in inbox["items"]] == ["order_open"], n
    grid_two = (await gateway.get("/api/v1/me/notifications", headers=party_member(keys, 3))).json()
    assert grid_two["items"] == []
    marked = await gateway.post("/api/v1/me/notifications/read-all", headers=party_member(keys, 1))
    assert marked.json() == {"marked": 1}


async def test_a_whistle_tells_the_accounts_of_the_departments_called(
    platform: dict[str, FastAPI], client_for: ClientFactory, keys: TestKeys
) -> None:
    orders, gateway = await client_for("orders"), await client_for("gateway")
    for name, kind in (("城管执法队", "urban_management"), ("市场监管所", "market_regulation")):
        await orders.post("/api/v1/departments", json={"name": name, "kind": kind}, headers=street(keys))
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    called = await orders.post(
        f"/api/v1/orders/{order['id']}/whistle", json={"department_codes": [f"{STREET}D01"]}, headers=staff(keys)
    )
    assert called.status_code == 200, called.text
    await relay(platform).run_once()
    inbox = (await gateway.get("/api/v1/me/notifications", headers=department(keys, f"{STREET}D01"))).json()
    assert [(i["kind"], i["subject_id"]) for i in inbox["items"]] == [("case_called", order["id"])]
    assert (await gateway.get("/api/v1/me/notifications", headers=department(keys, f"{STREET}D02"))).json()[
        "items"
    ] == []


# -- webhooks -----------------------------------------------------------------------------------


@pytest.fixture
def receiver(platform: dict[str, FastAPI]) -> Iterator[Receiver]:
    """A receiver on loopback, which only the development profile's rules let the gateway call."""
    dispatcher: webhooks.Dispatcher = platform["gateway"].state.webhooks
    dispatcher.allow_private = True
    instance = Receiver()
    try:
        yield instance
    finally:
        dispatcher.allow_private = False
        instance.close()


async def test_an_integration_client_gets_every_event_signed_in_order_once(
    platform: dict[str, FastAPI], client_for: ClientFactory, keys: TestKeys, receiver: Receiver
) -> None:
    orders, gateway = await client_for("orders"), await client_for("gateway")
    registered = await gateway.post(
        "/api/v1/webhooks", json={"url": receiver.url, "event_types": ["order.*"]}, headers=client_token(keys)
    )
    assert registered.status_code == 201, registered.text
    endpoint = registered.json()
    assert endpoint["secret"].startswith("whsec_")
    order_id = await run_loop(orders, keys)
    await relay(platform).run_once()
    dispatcher: webhooks.Dispatcher = platform["gateway"].state.webhooks
    receiver.statuses = [503]  # the first delivery fails: the rest of that order's events wait behind it
    first = await dispatcher.run_once()
    assert (first.delivered, first.failed) == (0, 1)
    # An hour later (its back-off is over), the failed one goes first, then the rest in order.
    await _sql(platform["gateway"], "UPDATE webhook_delivery SET next_attempt_at = now() WHERE delivered_at IS NULL")
    assert (await dispatcher.run_once()).delivered == 5
    verifier = Webhook(endpoint["secret"])
    types = []
    for headers, body in receiver.received:
        document = verifier.verify(body, headers)  # a valid signature, a fresh timestamp
        assert headers["webhook-id"] == document["data"]["event_id"]
        assert document["data"]["order_id"] == order_id and "好" not in body.decode()
        types.append(document["type"])
    assert types == ["order.placed", "order.dispatched", "order.accepted", "order.completed", "order.rated"]
    assert len({h["webhook-id"] for h, _ in receiver.received}) == 5

    log = (await gateway.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries", headers=client_token(keys))).json()
    placed = next(d for d in log["items"] if d["event_type"] == "order.placed")
    assert [a["status_code"] for a in placed["log"]] == [503, 204] and placed["delivered_at"] is not None
    another_client = client_token(keys, street=OTHER_STREET, client_id="street-other")
    assert (await gateway.get(f"/api/v1/webhooks/{endpoint['id']}", headers=another_client)).status_code == 404
    user = await gateway.get("/api/v1/webhooks", headers=staff(keys))
    assert user.status_code == 403


async def test_rotation_signs_with_both_secrets_and_410_disables(
    platform: dict[str, FastAPI], client_for: ClientFactory, keys: TestKeys, receiver: Receiver
) -> None:
    gateway = await client_for("gateway")
    endpoint = (
        await gateway.post(
            "/api/v1/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=client_token(keys)
        )
    ).json()
    rotated = (
        await gateway.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=client_token(keys))
    ).json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_expires_at"] is not None
    tested = await gateway.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=client_token(keys))
    assert tested.json()["ok"] is True
    headers, body = receiver.received[-1]
    assert len(headers["webhook-signature"].split()) == 2
    assert Webhook(endpoint["secret"]).verify(body, headers)["type"] == "webhook.test"
    assert Webhook(rotated["secret"]).verify(body, headers)["type"] == "webhook.test"

    orders = await client_for("orders")
    await run_loop(orders, keys)
    await relay(platform).run_once()
    receiver.statuses = [410]
    result = await platform["gateway"].state.webhooks.run_once()
    assert result.disabled == 1
    now = (await gateway.get(f"/api/v1/webhooks/{endpoint['id']}", headers=client_token(keys))).json()
    assert now["enabled"] is False and "410" in now["disabled_reason"]


async def test_a_deleted_endpoint_is_gone_for_good(
    platform: dict[str, FastAPI], client_for: ClientFactory, keys: TestKeys, receiver: Receiver
) -> None:
    gateway = await client_for("gateway")
    made = [
        await gateway.post(
            "/api/v1/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=client_token(keys)
        )
        for _ in range(20)
    ]
    assert [answer.status_code for answer in made] == [201] * 20
    full = await gateway.post(
        "/api/v1/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=client_token(keys)
    )
    assert full.status_code == 409
    gone = made[0].json()["id"]
    assert (await gateway.delete(f"/api/v1/webhooks/{gone}", headers=client_token(keys))).status_code == 204
    url = f"/api/v1/webhooks/{gone}"
    assert (await gateway.get(url, headers=client_token(keys))).status_code == 404
    revived = await gateway.patch(url, json={"enabled": True}, headers=client_token(keys))
    assert revived.status_code == 404
    assert (await gateway.delete(url, headers=client_token(keys))).status_code == 404
    listed = (await gateway.get("/api/v1/webhooks", headers=client_token(keys))).json()
    assert gone not in [endpoint["id"] for endpoint in listed["items"]] and len(listed["items"]) == 19
    again = await gateway.post(
        "/api/v1/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=client_token(keys)
    )
    assert again.status_code == 201  # a deleted endpoint no longer counts among the 20


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://hooks.example.org/x", "https"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://10.1.2.3/x", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::1]/x", "loopback"),
        ("https://[::ffff:192.168.1.1]/x", "private"),
        ("https://224.0.0.1/x", "multicast"),
        ("https://user:pw@hooks.example.org/x", "credentials"),
        ("ftp://hooks.example.org/x", "https"),
    ],
)
async def test_unsafe_webhook_targets_are_refused(
    platform: dict[str, FastAPI], client_for: ClientFactory, keys: TestKeys, url: str, why: str
) -> None:
    gateway = await client_for("gateway")
    answer = await gateway.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=client_token(keys))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "url" and url not in answer.text


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a01:203::",  # 6to4 of 10.1.2.3
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::ffff:7f00:1",  # IPv4-mapped 127.0.0.1
    ],
)
@pytest.mark.no_db
async def test_addresses_that_embed_a_private_ipv4_are_refused(address: str) -> None:
    async def resolves(host: str, port: int) -> list[str]:
        return [address]

    with pytest.raises(webhooks.UnsafeTarget, match="private"):
        await webhooks.vet(f"https://[{address}]/in", allow_private=False)
    with pytest.raises(webhooks.UnsafeTarget, match="private"):
        await webhooks.vet("https://hooks.example.org/in", allow_private=False, resolver=resolves)


@pytest.mark.no_db
async def test_webhook_ports_are_443_or_8443_unless_the_private_lane_is_open() -> None:
    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    for url in ("https://hooks.example.org:8080/in", "https://hooks.example.org:22/in", "https://[2002:808:808::]:25/"):
        with pytest.raises(webhooks.UnsafeTarget, match="port must be one of 443, 8443"):
            await webhooks.vet(url, allow_private=False, resolver=public)
    with pytest.raises(webhooks.UnsafeTarget, match="port"):
        await webhooks.vet("https://hooks.example.org:99999/in", allow_private=False, resolver=public)
    assert (await webhooks.vet("https://hooks.example.org:8443/in", allow_private=False, resolver=public)).port == 8443
    assert (await webhooks.vet("https://[2002:808:808::]/in", allow_private=False)).address == "2002:808:808::"
    local = await webhooks.vet("http://127.0.0.1:9999/in", allow_private=True)  # a developer's receiver
    assert (local.address, local.port) == ("127.0.0.1", 9999)


async def test_a_name_that_rebinds_to_a_private_address_is_refused_at_delivery() -> None:
    answers = [["93.184.216.34"], ["10.0.0.7"]]

    async def rebinding(host: str, port: int) -> list[str]:
        return answers.pop(0)

    target = await webhooks.vet("https://hooks.example.org/in", allow_private=False, resolver=rebinding)
    assert target.address == "93.184.216.34"
    with pytest.raises(webhooks.UnsafeTarget):
        await webhooks.vet("https://hooks.example.org/in", allow_private=False, resolver=rebinding)
    url, host, extensions = webhooks._pinned(target)
    assert url == "https://93.184.216.34:443/in" and host == {"host": "hooks.example.org"}
    assert extensions == {"sni_hostname": "hooks.example.org"}


async def test_events_reach_the_gateway_from_outside_only_signed(gw: httpx.AsyncClient) -> None:
    unsigned = await gw.post("/internal/events", json={"id": "x"})
    assert unsigned.status_code in (401, 422)
    assert (await gw.get("/internal/events")).status_code == 404
    assert (await gw.post("/internal/anything", json={})).status_code == 404


async def _sql(app: FastAPI, statement: str) -> None:
    async with app.state.db.fastlane.pool.acquire() as conn:
        await conn.execute(statement)


async def test_an_urgent_notice_for_a_compound_reaches_its_households_only(
    gateway_app: FastAPI, demo_accounts: None, database_urls: dict[str, str], client_for: ClientFactory, keys: TestKeys
) -> None:
    await run_loader(load_registry, database_urls["residents"])
    event = EventIn(
        id=uuid.uuid4(),
        type="notice.published",
        aggregate_id=str(uuid.uuid4()),
        occurred_at=datetime.now(UTC),
        payload={
            "urgent": True,
            "community_code": COMMUNITY,
            "street_code": STREET,
            "compound_id": str(demo_uuid("compound", "晴岚家园")),
        },
    )
    context = gateway_app.state.gateway
    async with gateway_app.state.db.sessionmaker() as session, session.begin():
        assert await events.notify(session, event, context.registry) > 0
    inbox = await client_for("gateway")
    in_compound = (await inbox.get("/api/v1/me/notifications", headers=resident(keys, "13900000003"))).json()
    elsewhere = (await inbox.get("/api/v1/me/notifications", headers=resident(keys, "13900000001"))).json()
    assert [n["kind"] for n in in_compound["items"]] == ["notice_urgent"] and elsewhere["items"] == []
