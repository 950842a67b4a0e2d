"""The community-life issue's "done when" through the gateway, with real processes on loopback and the
demo accounts: a resident sees this month's activity, signs up into a full one and moves up when
someone cancels; staff check people in and the volunteer's points rise (the grids service's relay
delivers to the orders service's ledger); a notice for grid 1 is seen by a grid-1 resident and not by
a grid-2 resident; the joint meeting lists the issue orders it dealt with."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared import demo
from shared.demo import GRIDS, demo_uuid
from tests.support.signin import as_user

# On the shared platform's own databases; under pytest-xdist, in the worker that runs that platform
# (tests/support/scheduling.py).
pytestmark = [pytest.mark.e2e, pytest.mark.keep_tables]


async def test_an_activity_a_waiting_list_check_ins_and_points(gateway: httpx.AsyncClient) -> None:
    me, neighbour = await as_user(gateway, "13900000001"), await as_user(gateway, "13900000005")
    staff, pm1 = await as_user(gateway, "staff"), await as_user(gateway, "pm1")

    month = (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m")
    listed = await gateway.get("/api/v1/activities", params={"month": month, "open": "true"}, headers=me)
    assert listed.status_code == 200, listed.text
    full = [a for a in listed.json()["items"] if a["participants"] == a["capacity"]]
    assert len(full) == 1, listed.json()
    url = f"/api/v1/activities/{full[0]['id']}"

    signed = await gateway.post(f"{url}/signups", json={}, headers=me)
    assert signed.status_code == 201, signed.text
    assert (signed.json()["state"], signed.json()["position"]) == ("waiting", 1)

    theirs = (await gateway.get(url, headers=neighbour)).json()["my_signup"]
    assert theirs["state"] == "confirmed"
    cancelled = await gateway.post(f"{url}/signups/{theirs['id']}/cancel", headers=neighbour)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    mine = (await gateway.get(url, headers=me)).json()
    assert mine["my_signup"]["state"] == "confirmed" and mine["waiting"] == 0

    # Staff check the resident and the volunteer in; the volunteer's points rise.
    before = (await gateway.get("/api/v1/points/me", headers=pm1)).json()["total"]
    attendance = (
        await gateway.get(f"{url}/signups", params={"state": "confirmed", "limit": 100}, headers=staff)
    ).json()
    volunteer = next(s for s in attendance["items"] if s["account_id"] == str(demo_uuid("account", "pm1")))
    for signup_id in (mine["my_signup"]["id"], volunteer["id"]):
        checked = await gateway.post(f"{url}/signups/{signup_id}/check-in", headers=staff)
        assert checked.status_code == 200, checked.text
        assert checked.json()["checked_in_at"] is not None
    deadline = time.monotonic() + 15
    while (after := (await gateway.get("/api/v1/points/me", headers=pm1)).json())["total"] == before:
        assert time.monotonic() < deadline, "the volunteer's points never rose"
        await asyncio.sleep(0.3)
    assert after["total"] == before + full[0]["points"]
    assert after["entries"][0]["source"] == "activity" and after["entries"][0]["source_id"] == full[0]["id"]
    # The resident may not read the venue's code; staff may.
    assert (await gateway.get(f"{url}/check-in-code", headers=me)).status_code == 403
    assert (await gateway.get(f"{url}/check-in-code", headers=staff)).status_code == 200


async def notices_in_inbox(gateway: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    answer = await gateway.get("/api/v1/me/notifications", headers=headers)
    assert answer.status_code == 200, answer.text
    return [n["subject_id"] for n in answer.json()["items"] if n["subject_type"] == "notice"]


async def test_notices_reach_the_residents_of_their_places(gateway: httpx.AsyncClient) -> None:
    staff = await as_user(gateway, "staff")
    grid1, grid2 = await as_user(gateway, "13900000001"), await as_user(gateway, "13900000002")
    published = await gateway.post(
        "/api/v1/notices",
        json={
            "grid_code": GRIDS[0],
            "category": "outage",
            "title": "一网格今晚检修停电",
            "body": "20:00-22:00",
            "urgent": True,
        },
        headers=staff,
    )
    assert published.status_code == 201, published.text
    notice = published.json()

    seen = [n["id"] for n in (await gateway.get("/api/v1/notices", headers=grid1)).json()["items"]]
    assert notice["id"] in seen
    assert notice["id"] not in [n["id"] for n in (await gateway.get("/api/v1/notices", headers=grid2)).json()["items"]]
    assert (await gateway.get(f"/api/v1/notices/{notice['id']}", headers=grid2)).status_code == 404
    read = await gateway.post(f"/api/v1/notices/{notice['id']}/read", headers=grid1)
    assert read.status_code == 200 and read.json()["read_at"] is not None

    # Urgent: the relay takes notice.published to the gateway, into the grid's residents' inboxes.
    deadline = time.monotonic() + 15
    while not (inbox := await notices_in_inbox(gateway, grid1)):
        assert time.monotonic() < deadline, "the urgent notice never reached the inbox"
        await asyncio.sleep(0.3)
    assert inbox == [notice["id"]]
    assert await notices_in_inbox(gateway, grid2) == []

    # The compound's notice: the grids service asks the residents service where 13900000003 lives.
    qinglan = [
        n["title"]
        for n in (await gateway.get("/api/v1/notices", headers=await as_user(gateway, "13900000003"))).json()["items"]
    ]
    assert "晴岚家园电梯年检" in qinglan and "晴岚家园电梯年检" not in [
        n["title"] for n in (await gateway.get("/api/v1/notices", headers=grid1)).json()["items"]
    ]


async def test_the_joint_meeting_lists_the_issue_orders_it_dealt_with(gateway: httpx.AsyncClient) -> None:
    staff, resident = await as_user(gateway, "staff"), await as_user(gateway, "13900000001")
    meetings = (await gateway.get("/api/v1/property/meetings", params={"limit": 100}, headers=resident)).json()["items"]
    assert len(meetings) == 8
    latest = (await gateway.get(f"/api/v1/property/meetings/{meetings[0]['id']}", headers=resident)).json()
    assert latest["problems"]
    for problem in latest["problems"]:
        order = await gateway.get(f"/api/v1/orders/{problem['order_id']}", headers=staff)
        assert order.status_code == 200 and order.json()["kind"] == "issue"

    # Staff record a new meeting: the orders service vouches for each order being an issue.
    issue, service = demo.issue_order_ids()[0], demo_uuid("order", "0")
    body = {
        "title": "临时联席会议",
        "held_at": datetime.now(UTC).isoformat(),
        "attendees": ["江南社区党委", "江南物业党支部"],
        "problems": [{"order_id": str(issue), "category": "leak", "summary": "复查漏水"}],
    }
    created = await gateway.post("/api/v1/property/meetings", json=body, headers=staff)
    assert created.status_code == 201, created.text
    assert [p["order_id"] for p in created.json()["problems"]] == [str(issue)]
    wrong = body | {"problems": [{"order_id": str(service), "category": "leak"}]}
    refused = await gateway.post("/api/v1/property/meetings", json=wrong, headers=staff)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "problems.0.order_id"
