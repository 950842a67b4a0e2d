"""The case-loop issue's "done when", with real processes on loopback, through the gateway, with the demo
street: gw1 reports 占道经营 at a GPS point with a photo; staff verify, file and dispatch it to 城管; cg1
handles it; gw1's check fails and it comes back as rework; handled again, checked, closed, every step
of its timeline in working minutes. A 12345 ticket comes through a hotline client the street admin
registers, is signed for, returned once (refused by the hotline), handled, and the hotline's webhook
receiver gets the result, signed; the follow-up is recorded. The demo's case open across National Day
shows its clock stopped over the holiday; the month's bulletin counts these cases; scjg1 gets 404 for a
case not dispatched to 市场监管."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image
from standardwebhooks.webhooks import Webhook

from services.grids.demo import demo_boundary
from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid
from shared.workcalendar import CHINA
from tests.support.receiver import Receiver
from tests.support.signin import as_user

pytestmark = [pytest.mark.e2e, pytest.mark.keep_tables]
CHENGGUAN, SHICHANG = f"{STREET}D01", f"{STREET}D02"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


async def step(gateway: httpx.AsyncClient, case_id: str, action: str, who: dict[str, str], body: Any = None) -> Any:
    return ok(await gateway.post(f"/api/v1/orders/{case_id}/{action}", json=body or {}, headers=who))


async def bulletin(gateway: httpx.AsyncClient, who: dict[str, str], month: str) -> dict[str, dict[str, Any]]:
    found = ok(await gateway.get("/api/v1/orders/bulletin", params={"month": month}, headers=who))
    return {row["code"]: row for row in found["communities"] + found["departments"]}


async def test_a_problem_round_the_case_loop_with_a_department_and_a_rework(gateway: httpx.AsyncClient) -> None:
    gw1, staff, cg1, scjg1, street = [await as_user(gateway, n) for n in ("gw1", "staff", "cg1", "scjg1", "street")]
    month = datetime.now(CHINA).strftime("%Y-%m")
    before = await bulletin(gateway, street, month)

    classes = ok(await gateway.get("/api/v1/case-classes", params={"q": "占道经营"}, headers=gw1))["items"]
    code = next(c["code"] for c in classes if c["name"] == "占道经营")
    (west, south), _, (east, north), *_ = demo_boundary(1)
    point = {"lat": round((south + north) / 2, 6), "lng": round((west + east) / 2, 6)}
    body = {"kind": "issue", "title": "光华路口占道经营", "description": "早高峰摊贩占用人行道", "class_code": code}
    case = ok(await gateway.post("/api/v1/orders", json=body | point, headers=gw1), 201)
    case_id = case["id"]
    assert case["grid_code"] == GRIDS[0] and case["lat"] == point["lat"] and case["light"] == "green"
    photo = ok(
        await gateway.post(
            f"/api/v1/orders/{case_id}/photos", files={"file": ("spot.jpg", jpeg(), "image/jpeg")}, headers=gw1
        ),
        201,
    )

    await step(gateway, case_id, "verify", staff, {"note": "现场核实属实"})
    filed = await step(gateway, case_id, "file", staff, {"class_code": code, "urgency": "normal"})
    assert filed["state"] == "filed" and filed["urgency"] == "normal"
    departments = ok(await gateway.get("/api/v1/departments", headers=staff))["items"]
    assert {d["code"]: d["kind"] for d in departments} == {CHENGGUAN: "urban_management", SHICHANG: "market_regulation"}
    dispatched = await step(gateway, case_id, "dispatch", staff, {"department_id": CHENGGUAN})
    assert dispatched["department_code"] == CHENGGUAN and dispatched["dispatch_mode"] == "department"

    # 市场监管 does not see 城管's case; 城管 sees it in its list
    assert (await gateway.get(f"/api/v1/orders/{case_id}", headers=scjg1)).status_code == 404
    assert (
        await gateway.post(f"/api/v1/orders/{case_id}/handle", json={"note": "x"}, headers=scjg1)
    ).status_code == 404
    mine = ok(await gateway.get("/api/v1/orders", params={"state": "dispatched", "limit": 100}, headers=cg1))
    assert case_id in {o["id"] for o in mine["items"]}
    assert all(o["department_code"] == CHENGGUAN for o in mine["items"])

    await step(gateway, case_id, "handle", cg1, {"note": "已劝离摊贩"})
    failed = await step(gateway, case_id, "check", gw1, {"passed": False, "note": "摊贩又回来了"})
    assert failed["state"] == "dispatched" and failed["rework_count"] == 1
    await step(gateway, case_id, "handle", cg1, {"note": "联合执法，设置隔离护栏"})
    await step(gateway, case_id, "check", gw1, {"passed": True})
    closed = await step(gateway, case_id, "close", staff)
    assert closed["state"] == "closed" and closed["closed_on_time"] is not None and closed["light"] == "none"

    timeline = ok(await gateway.get(f"/api/v1/orders/{case_id}/timeline", headers=gw1))["steps"]
    assert [(s["action"], s["actor_role"]) for s in timeline] == [
        ("place", "grid_worker"),
        ("verify", "community_staff"),
        ("file", "community_staff"),
        ("dispatch", "community_staff"),
        ("handle", "department"),
        ("rework", "grid_worker"),
        ("handle", "department"),
        ("check", "grid_worker"),
        ("close", "community_staff"),
    ]
    assert all(isinstance(s["working_minutes"], int) for s in timeline[1:])
    shown = await gateway.get(f"/api/v1/orders/{case_id}/photos/{photo['id']}", headers=cg1)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"

    after = await bulletin(gateway, street, month)
    assert after[COMMUNITY]["reported"] >= before.get(COMMUNITY, {}).get("reported", 0) + 1
    assert after[COMMUNITY]["closed"] >= before.get(COMMUNITY, {}).get("closed", 0) + 1
    assert after[CHENGGUAN]["closed"] == before.get(CHENGGUAN, {}).get("closed", 0) + 1


async def eventually(check: Any, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.3)


async def test_a_hotline_ticket_is_signed_returned_handled_and_its_result_reaches_the_hotline(
    gateway: httpx.AsyncClient,
) -> None:
    street, staff, cg1 = [await as_user(gateway, n) for n in ("street", "staff", "cg1")]
    created = ok(
        await gateway.post(
            "/api/v1/clients",
            json={"name": "12345热线对接", "scopes": ["hotline", "webhooks:write"], "street_code": STREET},
            headers=street,
        ),
        201,
    )
    form = {
        "grant_type": "client_credentials",
        "client_id": created["client_id"],
        "client_secret": created["client_secret"],
    }
    token = ok(await gateway.post("/api/v1/auth/token", data=form))["access_token"]
    hotline = {"Authorization": f"Bearer {token}"}
    receiver = Receiver()
    try:
        hook = ok(
            await gateway.post(
                "/api/v1/webhooks", json={"url": receiver.url, "event_types": ["hotline.*", "case.*"]}, headers=hotline
            ),
            201,
        )
        (west, south), _, (east, north), *_ = demo_boundary(2)
        number = f"GD{uuid.uuid4().hex[:12].upper()}"
        ticket = {
            "number": number,
            "caller_phone": "13712345678",
            "address": "和平里小区东门",
            "lat": round((south + north) / 2, 6),
            "lng": round((west + east) / 2, 6),
            "content": "东门外有人占道卖菜，来电人13712345678",
            "deadline": "2026-12-31T17:30:00+08:00",
        }
        received = ok(await gateway.post("/api/v1/hotline/tickets", json=ticket, headers=hotline), 201)
        assert received["grid_code"] == GRIDS[1] and received["caller_phone_masked"] == "137****5678"
        url, case_id = f"/api/v1/hotline/tickets/{number}", received["order_id"]

        signed = ok(await gateway.post(f"{url}/sign", headers=staff))
        assert signed["signed_at"] is not None
        asked = ok(await gateway.post(f"{url}/return", json={"reason": "该点位属邻街道管辖"}, headers=staff))
        assert asked["return_state"] == "requested"
        answer = {"accepted": False, "note": "经核实属本街道"}
        refused = ok(await gateway.post(f"{url}/return-answer", json=answer, headers=hotline))
        assert refused["return_state"] == "refused"

        classes = ok(await gateway.get("/api/v1/case-classes", params={"q": "占道经营"}, headers=staff))["items"]
        code = next(c["code"] for c in classes if c["name"] == "占道经营")
        await step(gateway, case_id, "verify", staff)
        await step(gateway, case_id, "file", staff, {"class_code": code, "urgency": "urgent"})
        await step(gateway, case_id, "dispatch", staff, {"department_id": CHENGGUAN})
        await step(gateway, case_id, "handle", cg1, {"note": "已清理占道菜摊"})
        await step(gateway, case_id, "check", staff, {"passed": True})
        await step(gateway, case_id, "close", staff)

        verifier = Webhook(hook["secret"])

        def seen() -> list[dict[str, Any]]:
            found: dict[str, dict[str, Any]] = {}
            for headers, body in receiver.received:
                document = verifier.verify(body, headers)  # raises unless signed with the endpoint's secret
                if document["data"].get("order_id") == case_id:
                    found.setdefault(headers["webhook-id"], document)
            return list(found.values())

        async def the_result() -> bool:
            return any(d["type"] == "hotline.result" for d in seen())

        await eventually(the_result)
        result = next(d for d in seen() if d["type"] == "hotline.result")
        assert result["data"]["hotline_number"] == number and result["data"]["result"] == "已清理占道菜摊"
        types = {d["type"] for d in seen()}
        assert {"hotline.signed", "hotline.return_requested", "hotline.return_refused", "case.closed"} <= types
        assert not any("13712345678" in body.decode() for _, body in receiver.received)

        follow_up = {"resolved": True, "satisfaction": "satisfied", "note": "来电人表示满意"}
        followed = ok(await gateway.post(f"{url}/follow-up", json=follow_up, headers=hotline))
        assert followed["resolved"] is True and followed["satisfaction"] == "satisfied"
    finally:
        receiver.close()


async def test_the_case_open_across_national_day_stopped_its_clock_over_the_holiday(gateway: httpx.AsyncClient) -> None:
    staff, street = await as_user(gateway, "staff"), await as_user(gateway, "street")
    due = datetime(2026, 10, 10, 16, 0, tzinfo=CHINA)  # 21 working hours from 30 September 16:00
    closed = ok(await gateway.get(f"/api/v1/orders/{demo_uuid('case', '900001')}", headers=staff))
    still_open = ok(await gateway.get(f"/api/v1/orders/{demo_uuid('case', '900002')}", headers=staff))
    assert datetime.fromisoformat(closed["handle_due_at"]) == due and closed["closed_on_time"] is True
    assert datetime.fromisoformat(still_open["handle_due_at"]) == due and still_open["state"] == "dispatched"
    assert still_open["light"] == ("red" if datetime.now(UTC) > due else "green")
    timeline = ok(await gateway.get(f"/api/v1/orders/{demo_uuid('case', '900001')}/timeline", headers=staff))
    handled = next(s for s in timeline["steps"] if s["action"] == "handle")
    assert handled["working_minutes"] == 1200  # 30 Sep 16:00 → 10 Oct 15:00 over the holiday: 20 working hours

    october = ok(await gateway.get("/api/v1/orders/bulletin", params={"month": "2026-09"}, headers=street))
    assert any(row["code"] == CHENGGUAN and row["reported"] >= 2 for row in october["departments"])
    indicators = ok(
        await gateway.get(
            "/api/v1/orders/indicators",
            params={
                "group_by": "department",
                "since": "2025-12-01T00:00:00+08:00",
                "until": "2026-12-31T00:00:00+08:00",
            },
            headers=street,
        )
    )
    by_code = {row["code"]: row for row in indicators["items"]}
    assert by_code[CHENGGUAN]["closed"] > 0 and by_code[SHICHANG]["closed"] > 0
