"""The case loop of problems as its people meet it (docs/DOMAIN.md "The case loop"): a grid worker reports
at a point, staff verify and file, a handler handles, the reporter checks (a failed check is rework),
staff close; with refusals, returns, extensions, shelving and voiding, each by the right person from
the right state, and the timeline in working minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.grids.demo import demo_boundary
from shared.demo import GRIDS
from shared.testing import TestKeys
from shared.workcalendar import CHINA
from tests.orders.support import account, grid_worker, jpeg, party_member, resident, staff, street
from tests.support.answers import ok
from tests.support.outbox import outbox

pytestmark = pytest.mark.usefixtures("roster")


def inside(n: int = 1) -> dict[str, float]:
    """A point inside demo grid n."""
    (west, south), _, (east, north), *_ = demo_boundary(n)
    return {"lat": round((south + north) / 2, 6), "lng": round((west + east) / 2, 6)}


async def step(orders: httpx.AsyncClient, order_id: str, action: str, headers: dict[str, str], body: Any = None) -> Any:
    return await orders.post(f"/api/v1/orders/{order_id}/{action}", json=body or {}, headers=headers)


async def class_code(orders: httpx.AsyncClient, keys: TestKeys, name: str) -> str:
    classes = ok(await orders.get("/api/v1/case-classes", params={"q": name}, headers=staff(keys)))
    return str(next(c["code"] for c in classes["items"] if c["name"] == name))


async def report(orders: httpx.AsyncClient, keys: TestKeys, **fields: Any) -> dict[str, Any]:
    body = {"kind": "issue", "title": "路口占道经营", "description": "早高峰有摊贩占用人行道"} | inside() | fields
    return ok(await orders.post("/api/v1/orders", json=body, headers=grid_worker(keys, 1)), 201)


async def filed(orders: httpx.AsyncClient, keys: TestKeys, urgency: str = "normal") -> dict[str, Any]:
    case = await report(orders, keys)
    ok(await step(orders, case["id"], "verify", staff(keys), {"note": "现场核实属实"}))
    code = await class_code(orders, keys, "占道经营")
    return ok(await step(orders, case["id"], "file", staff(keys), {"class_code": code, "urgency": urgency}))


async def test_a_case_goes_round_the_loop_with_a_rework_and_its_timeline_counts_working_minutes(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    case = await report(orders, keys)
    assert case["grid_code"] == GRIDS[0] and case["state"] == "placed" and case["lat"] == inside()["lat"]
    assert case["light"] == "green" and case["due_at"] is not None

    verified = ok(await step(orders, case["id"], "verify", staff(keys), {"note": "现场核实属实"}))
    assert verified["state"] == "verified" and verified["verified_at"] is not None
    code = await class_code(orders, keys, "占道经营")
    filed_case = ok(await step(orders, case["id"], "file", staff(keys), {"class_code": code, "urgency": "normal"}))
    assert (filed_case["state"], filed_case["class_code"], filed_case["urgency"]) == ("filed", code, "normal")

    dispatched = ok(await step(orders, case["id"], "dispatch", staff(keys), {"assignee_id": account("pm1")}))
    assert dispatched["state"] == "dispatched" and dispatched["handle_due_at"] is not None
    deadline = dispatched["handle_due_at"]

    handled = ok(await step(orders, case["id"], "handle", party_member(keys, 1), {"note": "已劝离摊贩"}))
    assert handled["state"] == "handled" and handled["completion_note"] == "已劝离摊贩"
    # the handler never checks their own work
    own = await step(orders, case["id"], "check", party_member(keys, 1), {"passed": True})
    assert own.status_code == 403
    failing = {"passed": False, "note": "摊贩又回来了"}
    failed = ok(await step(orders, case["id"], "check", grid_worker(keys, 1), failing))
    assert failed["state"] == "dispatched" and failed["rework_count"] == 1
    assert failed["handle_due_at"] == deadline  # rework gives no more time

    ok(await step(orders, case["id"], "handle", party_member(keys, 1), {"note": "联合城管再次劝离并设置隔离栏"}))
    checked = ok(await step(orders, case["id"], "check", grid_worker(keys, 1), {"passed": True}))
    assert checked["state"] == "checked" and checked["checked_at"] is not None
    closed = ok(await step(orders, case["id"], "close", staff(keys), {}))
    assert closed["state"] == "closed" and closed["closed_on_time"] is True and closed["light"] == "none"
    assert closed["handling_minutes"] is not None and closed["closed_at"] is not None

    timeline = ok(await orders.get(f"/api/v1/orders/{case['id']}/timeline", headers=grid_worker(keys, 1)))
    assert [(s["action"], s["from_state"], s["to_state"]) for s in timeline["steps"]] == [
        ("place", None, "placed"),
        ("verify", "placed", "verified"),
        ("file", "verified", "filed"),
        ("dispatch", "filed", "dispatched"),
        ("handle", "dispatched", "handled"),
        ("rework", "handled", "dispatched"),
        ("handle", "dispatched", "handled"),
        ("check", "handled", "checked"),
        ("close", "checked", "closed"),
    ]
    assert timeline["steps"][0]["working_minutes"] is None
    assert all(isinstance(s["working_minutes"], int) for s in timeline["steps"][1:])

    types = [e.type for e in await outbox(database_urls["orders"])]
    for expected in ("case.verified", "case.filed", "case.handled", "case.reworked", "case.checked", "case.closed"):
        assert expected in types
    closed_event = next(e for e in await outbox(database_urls["orders"]) if e.type == "case.closed")
    assert closed_event.payload["closed_on_time"] is True and closed_event.payload["class_code"] == code

    mine = ok(await orders.get("/api/v1/points/me", headers=party_member(keys, 1)))
    assert mine["total"] > 0  # the person who handled it earns the order's points


async def test_each_step_needs_its_state_and_its_person(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    case = await report(orders, keys)
    early = await step(orders, case["id"], "file", staff(keys), {"class_code": "x", "urgency": "normal"})
    assert early.status_code == 409 and early.json()["state"] == "placed"
    by_worker = await step(orders, case["id"], "verify", grid_worker(keys, 1))
    assert by_worker.status_code == 403  # grid workers report and check; staff verify
    ok(await step(orders, case["id"], "verify", staff(keys)))
    unknown = await step(orders, case["id"], "file", staff(keys), {"class_code": "NOPE", "urgency": "normal"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "class_code"
    bad_urgency = await step(orders, case["id"], "file", staff(keys), {"class_code": "NOPE", "urgency": "soon"})
    assert bad_urgency.status_code == 422 and "urgency" in bad_urgency.text

    handle_early = await step(orders, case["id"], "handle", party_member(keys, 1), {"note": "x"})
    assert handle_early.status_code in (403, 404)  # not theirs to see or handle
    refused = ok(await step(orders, case["id"], "refuse-filing", staff(keys), {"reason": "不属于城市管理范围"}))
    assert refused["state"] == "refused" and refused["close_reason"] == "不属于城市管理范围"
    assert refused["closed_at"] is not None and refused["light"] == "none"


async def test_a_wrongly_dispatched_case_is_returned_and_dispatched_again(
    orders: httpx.AsyncClient, keys: TestKeys
) -> None:
    case = await filed(orders, keys)
    ok(await step(orders, case["id"], "dispatch", staff(keys), {"assignee_id": account("pm1")}))
    stranger = await step(orders, case["id"], "return", party_member(keys, 2), {"reason": "不是我的"})
    assert stranger.status_code in (403, 404)
    returned = ok(await step(orders, case["id"], "return", party_member(keys, 1), {"reason": "涉及执法，应派城管"}))
    assert returned["state"] == "filed" and returned["return_count"] == 1 and returned["assignee_id"] is None
    again = ok(await step(orders, case["id"], "dispatch", staff(keys), {"assignee_id": account("pm2")}))
    assert again["state"] == "dispatched" and again["return_count"] == 1


async def test_an_approved_extension_moves_the_limit_by_working_hours(
    orders: httpx.AsyncClient, keys: TestKeys
) -> None:
    case = await filed(orders, keys)
    dispatched = ok(await step(orders, case["id"], "dispatch", staff(keys), {"assignee_id": account("pm1")}))
    by_staff = await step(orders, case["id"], "extend", staff(keys), {"hours": 7, "reason": "x"})
    assert by_staff.status_code == 403  # the handler asks
    request = ok(
        await step(orders, case["id"], "extend", party_member(keys, 1), {"hours": 7, "reason": "需协调产权单位"}), 201
    )
    assert request["state"] == "pending"
    second = await step(orders, case["id"], "extend", party_member(keys, 1), {"hours": 7, "reason": "再延"})
    assert second.status_code == 409
    self_approved = await step(orders, case["id"], f"extend/{request['id']}/approve", party_member(keys, 1))
    assert self_approved.status_code == 403
    approved = ok(await step(orders, case["id"], f"extend/{request['id']}/approve", staff(keys)))
    assert approved["state"] == "approved" and approved["decided_by"] == account("staff")

    after = ok(await orders.get(f"/api/v1/orders/{case['id']}", headers=staff(keys)))
    before_due = datetime.fromisoformat(dispatched["handle_due_at"])
    after_due = datetime.fromisoformat(after["handle_due_at"])
    # 7 working hours is one whole working day: the same time on the next workday
    assert after_due > before_due + timedelta(hours=20)
    assert after_due.astimezone(CHINA).time() == before_due.astimezone(CHINA).time()
    timeline = ok(await orders.get(f"/api/v1/orders/{case['id']}/timeline", headers=staff(keys)))
    assert [s["action"] for s in timeline["steps"]][-2:] == ["extend_request", "extend_approve"]
    listed = ok(await orders.get(f"/api/v1/orders/{case['id']}/extensions", headers=party_member(keys, 1)))
    assert [r["state"] for r in listed] == ["approved"]


async def test_shelving_stops_the_clock_and_a_duplicate_is_voided_onto_the_case_kept(
    orders: httpx.AsyncClient, keys: TestKeys
) -> None:
    case = await filed(orders, keys)
    past = await step(orders, case["id"], "shelve", staff(keys), {"reason": "规划未定", "review_on": "2020-01-01"})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "review_on"
    review_on = (date.today() + timedelta(days=90)).isoformat()
    shelved = ok(await step(orders, case["id"], "shelve", staff(keys), {"reason": "规划未定", "review_on": review_on}))
    assert shelved["state"] == "shelved" and shelved["review_on"] == review_on and shelved["light"] == "none"
    taken_up = ok(await step(orders, case["id"], "dispatch", staff(keys), {"assignee_id": account("pm1")}))
    assert taken_up["state"] == "dispatched" and taken_up["light"] == "green"

    duplicate = await report(orders, keys, title="同一处占道经营")
    self_dup = await step(orders, duplicate["id"], "void", staff(keys), {"duplicate_of": duplicate["id"]})
    assert self_dup.status_code == 422
    voided = ok(await step(orders, duplicate["id"], "void", staff(keys), {"duplicate_of": case["id"]}))
    assert voided["state"] == "voided" and voided["duplicate_of"] == case["id"]
    again = await step(orders, duplicate["id"], "verify", staff(keys))
    assert again.status_code == 409 and again.json()["state"] == "voided"


async def test_a_point_outside_every_grid_of_the_caller_is_refused(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    far = await orders.post(
        "/api/v1/orders",
        json={"kind": "issue", "description": "井盖破损", "lat": 31.23, "lng": 121.47},
        headers=grid_worker(keys, 1),
    )
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "lat"
    # a point in grid 2 is not grid worker 1's
    other = await orders.post(
        "/api/v1/orders", json={"kind": "issue", "description": "井盖破损"} | inside(2), headers=grid_worker(keys, 1)
    )
    assert other.status_code == 422
    half = await orders.post(
        "/api/v1/orders", json={"kind": "issue", "description": "井盖破损", "lat": 39.9}, headers=grid_worker(keys, 1)
    )
    assert half.status_code == 422
    service = await orders.post(
        "/api/v1/orders",
        json={"kind": "wish", "description": "想要一台轮椅"} | inside(),
        headers=resident(keys),
    )
    assert service.status_code == 422


async def test_the_reporter_adds_up_to_nine_photos_and_the_handler_names_theirs(
    orders: httpx.AsyncClient, keys: TestKeys
) -> None:
    case = await report(orders, keys)
    photo = ok(
        await orders.post(
            f"/api/v1/orders/{case['id']}/photos",
            files={"file": ("a.jpg", jpeg(seed=1), "image/jpeg")},
            headers=grid_worker(keys, 1),
        ),
        201,
    )
    by_staff_now = await orders.post(
        f"/api/v1/orders/{case['id']}/photos",
        files={"file": ("b.jpg", jpeg(seed=2), "image/jpeg")},
        headers=party_member(keys, 1),
    )
    assert by_staff_now.status_code in (403, 404)
    seen = await orders.get(f"/api/v1/orders/{case['id']}/photos/{photo['id']}", headers=staff(keys))
    assert seen.status_code == 200 and seen.headers["content-type"] == "image/jpeg"
    assert street(keys)  # the street sees its cases too (access tests cover it)


def test_light_turns_at_eighty_percent_and_red_past_the_limit() -> None:
    from shared.workcalendar import light

    start = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    due, yellow = start + timedelta(hours=10), start + timedelta(hours=8)
    assert light(now=start + timedelta(hours=1), started_at=start, due_at=due, yellow_at=yellow) == "green"
    assert light(now=yellow, started_at=start, due_at=due, yellow_at=yellow) == "yellow"
    assert light(now=due + timedelta(seconds=1), started_at=start, due_at=due, yellow_at=yellow) == "red"
    assert light(now=due, started_at=None, due_at=None, yellow_at=None) == "none"


async def test_a_case_open_across_national_day_stops_its_clock_over_the_holiday_and_runs_on_the_make_up_day(
    orders: httpx.AsyncClient, keys: TestKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2026: 1-7 October are holidays, Saturday 10 October a make-up workday (调休). A handling limit of
    21 working hours (3 days of 7) begun on 30 September at 16:00 is due on 10 October at 16:00."""
    from services.orders.orders import service as loop

    def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
        return datetime(2026, month, day, hour, minute, tzinfo=CHINA)

    code = await class_code(orders, keys, "占道经营")
    limits = {"limits": [{"urgency": "normal", "stage": "handle", "minutes": 1260}]}
    ok(await orders.put(f"/api/v1/case-classes/{code}/limits", json=limits, headers=street(keys)))

    def clock_at(moment: datetime) -> None:
        monkeypatch.setattr(loop, "now", lambda: moment.astimezone(UTC))

    clock_at(at(30, 14, month=9))
    case = await report(orders, keys)
    clock_at(at(30, 14, 30, month=9))
    ok(await step(orders, case["id"], "verify", staff(keys)))
    clock_at(at(30, 15, month=9))
    ok(await step(orders, case["id"], "file", staff(keys), {"class_code": code, "urgency": "normal"}))
    clock_at(at(30, 16, month=9))
    dispatched = ok(await step(orders, case["id"], "dispatch", staff(keys), {"assignee_id": account("pm1")}))
    assert datetime.fromisoformat(dispatched["handle_due_at"]) == at(10, 16)
    assert datetime.fromisoformat(dispatched["yellow_at"]) == at(10, 9, 48)  # 80 % of 21 h = 16.8 h
    open_now = ok(await orders.get(f"/api/v1/orders/{case['id']}", headers=staff(keys)))
    assert open_now["light"] == "red"  # still open today, long past 10 October

    clock_at(at(10, 15))
    ok(await step(orders, case["id"], "handle", party_member(keys, 1), {"note": "已清理"}))
    clock_at(at(10, 15, 30))
    ok(await step(orders, case["id"], "check", grid_worker(keys, 1), {"passed": True}))
    clock_at(at(10, 16, 30))
    closed = ok(await step(orders, case["id"], "close", staff(keys)))
    assert closed["closed_on_time"] is True
    # filed 30 Sep 15:00 → closed 10 Oct 16:30: 150 + 420 + 420 + 210 + 150 working minutes
    assert closed["handling_minutes"] == 1350
    timeline = ok(await orders.get(f"/api/v1/orders/{case['id']}/timeline", headers=staff(keys)))
    minutes = {s["action"]: s["working_minutes"] for s in timeline["steps"]}
    # dispatched 30 Sep 16:00 → handled 10 Oct 15:00: 90 + 420 (8 Oct) + 420 (9 Oct) + 270 (the make-up Saturday)
    assert minutes["handle"] == 1200 and minutes["verify"] == 30 and minutes["close"] == 60


async def test_a_late_case_escalates_on_working_hours(
    orders: httpx.AsyncClient, keys: TestKeys, start_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case past its limit on a Friday morning climbs to the community at once and to the street after
    1440 working minutes (3 days and 3 hours of work), not after a calendar day: the weekend does not count."""
    from services.orders.orders import service as loop
    from services.orders.orders import sla

    app = await start_app("orders")
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=CHINA)
    monkeypatch.setattr(loop, "now", lambda: friday.astimezone(UTC))
    case = await report(orders, keys)  # verify within 120 working minutes: due Friday 11:00
    assert datetime.fromisoformat(case["due_at"]) == datetime(2026, 11, 27, 11, 0, tzinfo=CHINA)

    async def tick(at: datetime) -> sla.TickResult:
        async with app.state.db.sessionmaker() as session, session.begin():
            return await sla.tick(session, now=at.astimezone(UTC), steps=(0, 1440))

    assert await tick(datetime(2026, 11, 27, 11, 1, tzinfo=CHINA)) == sla.TickResult(overdue=1, escalated=1)
    # a calendar day later (Saturday) and still on Monday: 1440 working minutes have not passed
    assert await tick(datetime(2026, 11, 28, 11, 1, tzinfo=CHINA)) == sla.TickResult()
    assert await tick(datetime(2026, 12, 1, 17, 0, tzinfo=CHINA)) == sla.TickResult()
    # Fri 11:00 + 24 working hours: Fri 4.5 h, Mon 7, Tue 7, Wed 5.5 → Wednesday 2 December 16:00
    assert await tick(datetime(2026, 12, 2, 15, 59, tzinfo=CHINA)) == sla.TickResult()
    assert await tick(datetime(2026, 12, 2, 16, 1, tzinfo=CHINA)) == sla.TickResult(escalated=1)
    seen = ok(await orders.get(f"/api/v1/orders/{case['id']}", headers=staff(keys)))
    assert seen["escalation_level"] == "street" and seen["overdue"] is True


async def test_only_a_case_goes_to_a_department_and_only_one_of_its_street(
    orders: httpx.AsyncClient, keys: TestKeys
) -> None:
    from shared.demo import STREET

    case = await filed(orders, keys)
    missing = await step(orders, case["id"], "dispatch", staff(keys), {"department_id": f"{STREET}D77"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "department_id"
    elsewhere = await step(orders, case["id"], "dispatch", staff(keys), {"department_id": "110105002D01"})
    assert elsewhere.status_code == 422
    both = await step(
        orders, case["id"], "dispatch", staff(keys), {"department_id": f"{STREET}D01", "assignee_id": account("pm1")}
    )
    assert both.status_code == 422
    malformed = await step(orders, case["id"], "dispatch", staff(keys), {"department_id": "D01"})
    assert malformed.status_code == 422 and "department_id" in malformed.text
    department = {"name": "城管执法队", "kind": "urban_management"}
    d01 = ok(await orders.post("/api/v1/departments", json=department, headers=street(keys)), 201)
    sent = ok(await step(orders, case["id"], "dispatch", staff(keys), {"department_id": d01["code"]}))
    assert sent["dispatch_mode"] == "department" and sent["department_code"] == d01["code"]
    assert sent["assignee_id"] is None and sent["light"] == "green"
    wish = ok(
        await orders.post(
            "/api/v1/orders", json={"kind": "wish", "description": "想要一台收音机"}, headers=resident(keys)
        ),
        201,
    )
    not_a_case = await step(orders, wish["id"], "dispatch", staff(keys), {"department_id": d01["code"]})
    assert not_a_case.status_code == 422 and not_a_case.json()["errors"][0]["field"] == "department_id"
