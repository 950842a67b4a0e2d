"""The street-office issue's "done when", with real processes on loopback and the demo accounts: the
demo client's webhook gets every event of the loop signed, in order, once; the street's statistics
and their xlsx export show the demo community; an Open311 client lists services and reports a
problem that becomes an order; a party member's app hears of a new order on its event stream."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from xml.etree import ElementTree

import httpx
import pytest
from georeport import GeoReport
from openpyxl import load_workbook
from standardwebhooks.webhooks import Webhook

from shared.demo import COMMUNITY, GRIDS, STREET
from tests.support.live import order_from_the_menu
from tests.support.receiver import Receiver
from tests.support.signin import as_user

# On the shared platform's own databases; under pytest-xdist, in the worker that runs that platform
# (tests/support/scheduling.py).
pytestmark = [pytest.mark.e2e, pytest.mark.keep_tables]
CLIENT = {"grant_type": "client_credentials", "client_id": "street-demo", "client_secret": "demo-secret"}


async def eventually(check: object, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not await check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.3)


async def run_the_loop(gateway: httpx.AsyncClient) -> str:
    resident, staff, pm1 = [await as_user(gateway, name) for name in ("13900000001", "staff", "pm1")]
    order = await order_from_the_menu(gateway, resident, "陪伴")
    url = f"/api/v1/orders/{order['id']}"
    assert (await gateway.post(f"{url}/dispatch", json={"mode": "grab"}, headers=staff)).status_code == 200
    assert (await gateway.post(f"{url}/accept", headers=pm1)).status_code == 200
    assert (await gateway.post(f"{url}/complete", json={"note": "陪老人聊天两小时"}, headers=pm1)).status_code == 200
    assert (await gateway.post(f"{url}/rate", json={"stars": 5}, headers=resident)).status_code == 200
    return str(order["id"])


async def test_the_demo_clients_webhook_gets_the_loop_signed_in_order_once(gateway: httpx.AsyncClient) -> None:
    token = (await gateway.post("/api/v1/auth/token", data=CLIENT)).json()["access_token"]
    client = {"Authorization": f"Bearer {token}"}
    receiver = Receiver()
    try:
        registered = await gateway.post(
            "/api/v1/webhooks", json={"url": receiver.url, "event_types": ["order.*"]}, headers=client
        )
        assert registered.status_code == 201, registered.text
        secret = registered.json()["secret"]
        tested = await gateway.post(f"/api/v1/webhooks/{registered.json()['id']}/test", headers=client)
        assert tested.json()["ok"] is True
        receiver.statuses = [500]  # the street office's system hiccups once: the delivery comes again
        order_id = await run_the_loop(gateway)

        def of_order() -> list[dict[str, object]]:
            verifier = Webhook(secret)
            seen: dict[str, dict[str, object]] = {}
            for headers, body in receiver.received:
                document = verifier.verify(body, headers)  # raises unless signed with the secret
                if document["data"].get("order_id") == order_id:
                    seen.setdefault(headers["webhook-id"], document)  # dedupe on the id, as receivers do
            return list(seen.values())

        async def all_five() -> bool:
            return len(of_order()) >= 5

        await eventually(all_five, seconds=40)
        assert [d["type"] for d in of_order()] == [
            "order.placed",
            "order.dispatched",
            "order.accepted",
            "order.completed",
            "order.rated",
        ]
        assert all("陪老人" not in str(d) for d in of_order())  # ids, codes and states only
    finally:
        receiver.close()


async def test_street_statistics_and_their_export(gateway: httpx.AsyncClient) -> None:
    street = await as_user(gateway, "street")
    stats = await gateway.get("/api/v1/stats", params={"group_by": "community"}, headers=street)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert [(r["place_code"], r["residents"] > 2000) for r in body["residents"]["items"]] == [(COMMUNITY, True)]
    assert {r["place_code"] for r in body["orders"]["items"]} == {COMMUNITY}
    assert sum(r["placed"] for r in body["orders"]["items"]) >= 360
    assert sum(r["visits"] for r in body["visits"]["items"]) > 1000
    assert body["points"]["items"] and {row["grid_code"] for row in body["coverage"]["items"]} == set(GRIDS)
    assert body["jobs"] is None and any(note.startswith("jobs") for note in body["notes"])  # not running here
    exported = await gateway.get("/api/v1/stats", params={"format": "xlsx"}, headers=street)
    assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(exported.content), read_only=True)
    assert {"residents", "orders", "visits", "points", "coverage", "notes"} <= set(book.sheetnames)
    rows = list(book["orders"].iter_rows(values_only=True))
    assert "place_code" in rows[0] and any(COMMUNITY in row for row in rows[1:])
    as_csv = await gateway.get("/api/v1/stats", params={"format": "csv"}, headers=street)
    assert as_csv.text.lstrip("\ufeff").startswith("part,place_code,month,figure,value")
    token = (await gateway.post("/api/v1/auth/token", data=CLIENT)).json()["access_token"]
    by_machine = await gateway.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"})
    assert by_machine.status_code == 200 and by_machine.json()["orders"] is not None
    worker = await as_user(gateway, "gw1")
    assert (await gateway.get("/api/v1/stats", headers=worker)).status_code == 403


async def test_an_open311_client_lists_services_and_reports_a_problem(gateway: httpx.AsyncClient) -> None:
    services = await gateway.get("/open311/v2/services.json", params={"jurisdiction_id": STREET})
    assert services.status_code == 200, services.text
    names = {s["service_name"]: s for s in services.json()}
    assert {"义剪", "家电维修", "问题反映"} <= set(names) and "开具无犯罪记录证明" not in names
    assert names["义剪"]["metadata"] is False and names["义剪"]["type"] == "realtime"
    xml = ElementTree.fromstring(
        (await gateway.get("/open311/v2/services.xml", params={"jurisdiction_id": STREET})).content
    )
    assert xml.tag == "services" and len(xml.findall("service")) == len(services.json())
    definition = await gateway.get(
        f"/open311/v2/services/{names['义剪']['service_code']}.json", params={"jurisdiction_id": STREET}
    )
    assert definition.json() == {"service_code": names["义剪"]["service_code"], "attributes": []}

    api_key = "street-demo:demo-secret"
    report = {
        "api_key": api_key,
        "jurisdiction_id": STREET,
        "service_code": "issue",
        "lat": "39.925",
        "long": "116.475",
        "description": "3号楼楼道有人飞线给电动车充电",
        "address_string": "江南小区3号楼",
    }
    posted = await gateway.post("/open311/v2/requests.json", data=report)
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    staff = await as_user(gateway, "staff")
    order = (await gateway.get(f"/api/v1/orders/{request_id}", headers=staff)).json()
    assert order["kind"] == "issue" and order["channel"] == "open311" and order["grid_code"] == GRIDS[0]
    assert order["address"] == "江南小区3号楼"
    one = await gateway.get(f"/open311/v2/requests/{request_id}.json", params={"api_key": api_key})
    assert one.json()[0]["status"] == "open" and one.json()[0]["service_code"] == "issue"
    assert one.json()[0]["address"] == "江南小区3号楼"
    listed = await gateway.get("/open311/v2/requests.json", params={"api_key": api_key, "status": "open"})
    assert request_id in [r["service_request_id"] for r in listed.json()]
    assert all(r["status"] == "open" for r in listed.json())

    for bad, code in [
        ({**report, "api_key": "street-demo:wrong"}, 403),
        ({**report, "lat": "39.0", "long": "100.0"}, 400),
        ({**report, "service_code": str(uuid.uuid4())}, 404),
        ({k: v for k, v in report.items() if k != "service_code"}, 400),
    ]:
        refused = await gateway.post("/open311/v2/requests.json", data=bad)
        assert refused.status_code == code, refused.text
        assert set(refused.json()[0]) == {"code", "description"} and refused.json()[0]["code"] == code


async def test_anyone_lists_the_streets_public_problem_reports_with_an_open311_client(
    gateway: httpx.AsyncClient,
) -> None:
    """GeoReport v2 makes listing requests public: the `georeport` package, with no api_key, gets the
    street's problem reports (issues), no service order, and no phone or ID number in any of them."""
    worker, resident = await as_user(gateway, "gw1"), await as_user(gateway, "13900000001")
    phone, id_number = "13812345678", "110105199001011234"
    issue = {
        "kind": "issue",
        "grid_code": GRIDS[0],
        "title": "楼道堆物",
        "description": f"5号楼2单元楼道堆满杂物，报告人电话{phone}，身份证{id_number}",
        "address": "江南小区5号楼2单元401室",
    }
    placed = await gateway.post("/api/v1/orders", json=issue, headers=worker)
    assert placed.status_code == 201, placed.text
    issue_id = placed.json()["id"]
    service_order = await order_from_the_menu(gateway, resident, "代办")

    client = GeoReport(str(gateway.base_url.join("/open311/v2")), jurisdiction=STREET)
    listed = await asyncio.to_thread(client.get_service_requests)
    by_id = {request["service_request_id"]: request for request in listed}
    assert issue_id in by_id and service_order["id"] not in by_id
    assert {request["service_code"] for request in listed} == {"issue"}
    assert by_id[issue_id]["description"] == "5号楼2单元楼道堆满杂物，报告人电话***，身份证***"
    assert by_id[issue_id]["address"] == "江南小区5号楼" and by_id[issue_id]["address_id"] == GRIDS[0]
    shown = json.dumps(listed, ensure_ascii=False)
    assert phone not in shown and id_number not in shown and "13900000001" not in shown and "401室" not in shown
    one = await asyncio.to_thread(client.get_service_request, issue_id)  # the answer's first request
    assert one["service_request_id"] == issue_id and phone not in json.dumps(one, ensure_ascii=False)
    hidden = await gateway.get(f"/open311/v2/requests/{service_order['id']}.json", params={"jurisdiction_id": STREET})
    assert hidden.status_code == 404
    assert (await gateway.get("/open311/v2/requests.json")).status_code == 400  # which street: jurisdiction_id


async def test_a_party_members_app_hears_of_a_new_order_on_its_stream(gateway: httpx.AsyncClient) -> None:
    pm1, staff, resident = [await as_user(gateway, name) for name in ("pm1", "staff", "13900000001")]
    order = await order_from_the_menu(gateway, resident, "代办")
    heard: list[str] = []

    async def listen() -> None:
        async with gateway.stream("GET", "/api/v1/me/notifications/stream", headers=pm1) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                heard.append(line)
                if line.startswith("data:") and order["id"] in line:
                    return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(1.0)  # the stream is open and has said the unread count
    assert any(line == "event: unread" for line in heard)
    await gateway.post(f"/api/v1/orders/{order['id']}/dispatch", json={"mode": "grab"}, headers=staff)
    await asyncio.wait_for(listener, timeout=20)
    assert "event: notification" in heard
    inbox = (await gateway.get("/api/v1/me/notifications", headers=pm1)).json()
    assert inbox["items"][0]["kind"] == "order_open" and inbox["items"][0]["subject_id"] == order["id"]
