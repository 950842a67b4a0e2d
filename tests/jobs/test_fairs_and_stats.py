"""Job fairs (a fair's page lists everything on offer; residents sign up) and the statistics street
offices ask for, per community and month, in the caller's scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.jobs.helpers import People, make_employer, make_posting, make_profile
from tests.support import db
from tests.support.answers import ok
from tests.support.places import COMMUNITY, NEIGHBOUR_COMMUNITY, OTHER_STREET, OTHER_STREET_COMMUNITY, STREET
from tests.support.problems import assert_problem


def fair_body(**fields: Any) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=10)
    return {
        "title": "江南社区春风行动招聘会",
        "venue": "江南社区广场",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=4)).isoformat(),
        "community_code": COMMUNITY,
    } | fields


async def test_a_fairs_page_lists_its_employers_and_their_open_postings(
    jobs: httpx.AsyncClient, people: People
) -> None:
    staff = people.staff()
    workshop = await make_employer(jobs, staff, name="粽叶扶贫车间")
    hotel = await make_employer(jobs, staff, name="江南大酒店", kind="hotel")
    absent = await make_employer(jobs, staff, name="晴岚超市", kind="supermarket")
    open_one = await make_posting(jobs, staff, workshop["id"])
    await make_posting(jobs, staff, workshop["id"], publish=False, title="草稿岗位")
    await make_posting(jobs, staff, absent["id"], title="理货员")
    fair = ok(await jobs.post("/api/v1/fairs", json=fair_body(), headers=staff), 201)
    for employer in (workshop, hotel):
        assert (
            await jobs.put(f"/api/v1/fairs/{fair['id']}/employers/{employer['id']}", headers=staff)
        ).status_code == 201
    assert (await jobs.put(f"/api/v1/fairs/{fair['id']}/employers/{hotel['id']}", headers=staff)).status_code == 204

    page = ok(await jobs.get(f"/api/v1/fairs/{fair['id']}", headers=people.resident()))
    assert page["employers"] == 2 and page["signed_up"] is False
    assert [(o["name"], [p["id"] for p in o["postings"]]) for o in page["offers"]] == [
        ("江南大酒店", []),
        ("粽叶扶贫车间", [open_one["id"]]),
    ]
    assert (await jobs.delete(f"/api/v1/fairs/{fair['id']}/employers/{hotel['id']}", headers=staff)).status_code == 204
    assert [o["name"] for o in ok(await jobs.get(f"/api/v1/fairs/{fair['id']}", headers=staff))["offers"]] == [
        "粽叶扶贫车间"
    ]


async def test_residents_sign_up_once_and_see_upcoming_fairs(jobs: httpx.AsyncClient, people: People) -> None:
    staff = people.staff()
    fair = ok(await jobs.post("/api/v1/fairs", json=fair_body(), headers=staff), 201)
    me = people.resident()
    url = f"/api/v1/fairs/{fair['id']}/signups"
    assert ok(await jobs.post(url, headers=me), 201)["resident_id"]
    assert (await jobs.post(url, headers=me)).status_code == 200
    assert ok(await jobs.post(url, headers=people.resident("13900000003")), 201)
    listed = ok(await jobs.get("/api/v1/fairs", headers=me))["items"]
    assert [(f["id"], f["signups"], f["signed_up"]) for f in listed] == [(fair["id"], 2, True)]
    assert (await jobs.delete(f"{url}/me", headers=me)).status_code == 204
    assert_problem(await jobs.delete(f"{url}/me", headers=me), 404)
    assert_problem(await jobs.post(url, headers=staff), 403)

    past = fair_body(
        starts_at=(datetime.now(UTC) - timedelta(days=3)).isoformat(),
        ends_at=(datetime.now(UTC) - timedelta(days=2)).isoformat(),
    )
    over = ok(await jobs.post("/api/v1/fairs", json=past, headers=staff), 201)
    assert [f["id"] for f in ok(await jobs.get("/api/v1/fairs", headers=me))["items"]] == [fair["id"]]
    every = ok(await jobs.get("/api/v1/fairs", params={"upcoming": "false"}, headers=me))["items"]
    assert [f["id"] for f in every] == [over["id"], fair["id"]]
    assert_problem(await jobs.post(f"/api/v1/fairs/{over['id']}/signups", headers=me), 409)


async def test_who_holds_a_fair(jobs: httpx.AsyncClient, people: People) -> None:
    staff = people.staff()
    assert_problem(
        await jobs.post("/api/v1/fairs", json=fair_body(community_code=NEIGHBOUR_COMMUNITY), headers=staff), 403
    )
    street_fair = fair_body(community_code=None, street_code=STREET)
    assert_problem(await jobs.post("/api/v1/fairs", json=street_fair, headers=staff), 403)
    made = ok(await jobs.post("/api/v1/fairs", json=street_fair, headers=people.street_admin()), 201)
    assert (made["community_code"], made["street_code"]) == (None, STREET)
    employer = await make_employer(jobs, staff)
    assert_problem(await jobs.put(f"/api/v1/fairs/{made['id']}/employers/{employer['id']}", headers=staff), 403)
    far = await make_employer(jobs, people.street_admin(OTHER_STREET), community=OTHER_STREET_COMMUNITY, name="外街")
    admin = people.street_admin()
    assert_problem(
        await jobs.put(f"/api/v1/fairs/{made['id']}/employers/{far['id']}", headers=admin), 422, "employer_id"
    )
    backwards = fair_body(ends_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert_problem(await jobs.post("/api/v1/fairs", json=backwards, headers=staff), 422, "ends_at")
    assert_problem(await jobs.get(f"/api/v1/fairs/{made['id']}", headers=people.machine(OTHER_STREET)), 404)
    assert ok(await jobs.get(f"/api/v1/fairs/{made['id']}", headers=people.machine()))["id"] == made["id"]
    client_id = str(uuid.uuid4())
    first = ok(await jobs.post("/api/v1/fairs", json=fair_body(id=client_id), headers=staff), 201)
    assert ok(await jobs.post("/api/v1/fairs", json=fair_body(id=client_id), headers=staff), 200)["id"] == first["id"]


async def test_statistics_per_community_and_month_in_the_callers_scope(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    posting = await make_posting(jobs, staff, employer["id"], headcount=1)
    elsewhere = await make_employer(jobs, people.street_admin(), community=NEIGHBOUR_COMMUNITY, name="别处")
    await make_posting(jobs, people.street_admin(), elsewhere["id"])
    await make_posting(
        jobs,
        people.street_admin(OTHER_STREET),
        (await make_employer(jobs, people.street_admin(OTHER_STREET), community=OTHER_STREET_COMMUNITY))["id"],
    )
    for phone in ("13900000002", "13900000003"):
        await make_profile(jobs, people.resident(phone))
        await jobs.post("/api/v1/applications", json={"posting_id": posting["id"]}, headers=people.resident(phone))
    (application,) = await db.rows(database_urls["jobs"], "SELECT id FROM application ORDER BY created_at LIMIT 1")
    await jobs.post(f"/api/v1/applications/{application['id']}/shortlist", headers=staff)
    await jobs.post(f"/api/v1/applications/{application['id']}/hire", headers=staff)
    # Last month, a posting opened in the demo community.
    old = await make_posting(jobs, staff, employer["id"], title="旧岗位")
    await db.rows(
        database_urls["jobs"],
        "UPDATE posting SET opened_at = now() - interval '35 days' WHERE id = $1",
        uuid.UUID(old["id"]),
    )
    training = {
        "title": "电工",
        "skill": "电工",
        "venue": "活动中心",
        "starts_on": datetime.now(UTC).date().isoformat(),
        "ends_on": datetime.now(UTC).date().isoformat(),
        "sessions": 1,
        "capacity": 5,
        "community_code": COMMUNITY,
    }
    made = ok(await jobs.post("/api/v1/trainings", json=training, headers=staff), 201)
    await jobs.post(f"/api/v1/trainings/{made['id']}/enrolments", json={}, headers=people.resident())

    month = await db.value(database_urls["jobs"], "SELECT to_char(timezone('Asia/Shanghai', now()), 'YYYY-MM')")
    last = await db.value(
        database_urls["jobs"], "SELECT to_char(timezone('Asia/Shanghai', now() - interval '35 days'), 'YYYY-MM')"
    )
    stats = ok(await jobs.get("/api/v1/postings/stats", headers=staff))
    assert stats["group_by"] == "community"
    mine = stats["items"]
    this_month = {"place_code": COMMUNITY, "month": month, "postings": 1, "applications": 2, "hires": 1, "trainees": 1}
    assert this_month in mine and {r["place_code"] for r in mine} == {COMMUNITY}
    before = {"place_code": COMMUNITY, "month": last, "postings": 1, "applications": 0, "hires": 0, "trainees": 0}
    assert before in mine
    street = ok(await jobs.get("/api/v1/postings/stats", headers=people.machine(scopes=("stats:read",))))["items"]
    assert {r["place_code"] for r in street} == {COMMUNITY, NEIGHBOUR_COMMUNITY}
    whole = ok(await jobs.get("/api/v1/postings/stats", params={"group_by": "street"}, headers=people.street_admin()))[
        "items"
    ]
    assert {
        "place_code": STREET,
        "month": month,
        "postings": 2,
        "applications": 2,
        "hires": 1,
        "trainees": 1,
    } in whole
    by_grid = ok(await jobs.get("/api/v1/postings/stats", params={"group_by": "grid"}, headers=staff))["items"]
    assert {r["place_code"] for r in by_grid} == {COMMUNITY}  # the postings name no grid: their community
    since = datetime.now(UTC) - timedelta(days=20)
    recent = ok(await jobs.get("/api/v1/postings/stats", params={"since": since.isoformat()}, headers=staff))["items"]
    assert before not in recent
    assert sum(r["postings"] for r in recent) == 1
    assert_problem(await jobs.get("/api/v1/postings/stats", params={"since": "2026-13"}, headers=staff), 422, "since")
    assert_problem(
        await jobs.get("/api/v1/postings/stats", params={"group_by": "city"}, headers=staff), 422, "group_by"
    )
    assert_problem(await jobs.get("/api/v1/postings/stats", headers=people.resident()), 403)
