"""Postings: drafts seen only by those who keep them, publishing and closing with their events, expiry,
search by Chinese keyword and filters over keyset pages, and bad input refused whole."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.jobs.helpers import People, make_employer, make_posting, make_profile
from tests.support import db
from tests.support.answers import ok
from tests.support.outbox import outbox
from tests.support.places import COMMUNITY, GRIDS, NEIGHBOUR_COMMUNITY, OTHER_STREET, STREET
from tests.support.problems import assert_problem


async def test_a_draft_is_seen_by_those_who_keep_it_until_staff_publish_it(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    draft = await make_posting(jobs, staff, employer["id"], publish=False)
    assert draft["state"] == "draft" and draft["opened_at"] is None
    url = f"/api/v1/postings/{draft['id']}"
    for outsider in (people.resident(), people.staff(NEIGHBOUR_COMMUNITY), people.machine(OTHER_STREET)):
        assert_problem(await jobs.get(url, headers=outsider), 404)
        listed = await jobs.get("/api/v1/postings", params={"state": "draft"}, headers=outsider)
        assert ok(listed)["items"] == []
    assert ok(await jobs.get(url, headers=staff))["state"] == "draft"
    assert await outbox(database_urls["jobs"]) == []

    published = ok(await jobs.post(f"{url}/publish", headers=staff))
    assert published["state"] == "open" and published["opened_at"] is not None
    assert ok(await jobs.get(url, headers=people.resident()))["title"] == "包粽子工"
    assert_problem(await jobs.post(f"{url}/publish", headers=staff), 409)
    events = await outbox(database_urls["jobs"])
    assert [(event.type, event.payload) for event in events] == [
        (
            "posting.opened",
            {
                "posting_id": draft["id"],
                "employer_id": employer["id"],
                "category": "handicraft",
                "community_code": COMMUNITY,
                "street_code": STREET,
            },
        )
    ]


async def test_an_employer_writes_its_own_drafts_and_staff_publish_them(
    jobs: httpx.AsyncClient, people: People
) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    other = await make_employer(jobs, staff, name="晴岚超市", kind="supermarket")
    account = uuid.uuid4()
    assert (await jobs.put(f"/api/v1/employers/{employer['id']}/accounts/{account}", headers=staff)).status_code == 201
    as_employer = people.employer(account)
    body = {
        "title": "藤椅编织工",
        "category": "handicraft",
        "wage_min": 8000,
        "wage_max": 12000,
        "wage_unit": "day",
        "hours_per_day": 8,
        "headcount": 3,
    }
    draft = ok(await jobs.post("/api/v1/postings", json=body, headers=as_employer), 201)
    assert draft["employer_id"] == employer["id"] and draft["employer_name"] == employer["name"]
    for_other = await jobs.post("/api/v1/postings", json=body | {"employer_id": other["id"]}, headers=as_employer)
    assert_problem(for_other, 404)
    assert_problem(await jobs.post(f"/api/v1/postings/{draft['id']}/publish", headers=as_employer), 403)
    mine = ok(await jobs.get("/api/v1/postings", params={"state": "draft"}, headers=as_employer))["items"]
    assert [p["id"] for p in mine] == [draft["id"]]
    others_draft = await make_posting(jobs, staff, other["id"], publish=False)
    assert_problem(await jobs.get(f"/api/v1/postings/{others_draft['id']}", headers=as_employer), 404)
    assert_problem(
        await jobs.patch(f"/api/v1/postings/{others_draft['id']}", json={"title": "x"}, headers=as_employer), 404
    )
    ok(await jobs.post(f"/api/v1/postings/{draft['id']}/publish", headers=staff))
    closed = ok(await jobs.post(f"/api/v1/postings/{draft['id']}/close", headers=as_employer))
    assert (closed["state"], closed["closed_reason"]) == ("closed", "closed")


async def test_staff_of_another_community_see_an_open_posting_but_may_not_change_it(
    jobs: httpx.AsyncClient, people: People
) -> None:
    employer = await make_employer(jobs, people.staff())
    posting = await make_posting(jobs, people.staff(), employer["id"])
    other = people.staff(NEIGHBOUR_COMMUNITY)
    assert ok(await jobs.get(f"/api/v1/postings/{posting['id']}", headers=other))["state"] == "open"
    assert_problem(await jobs.post(f"/api/v1/postings/{posting['id']}/close", headers=other), 403)
    assert_problem(await jobs.patch(f"/api/v1/postings/{posting['id']}", json={"headcount": 5}, headers=other), 403)
    assert ok(await jobs.get(f"/api/v1/postings/{posting['id']}", headers=other))["headcount"] == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"wage_min": 500000, "wage_max": 400000}, "wage_max"),
        ({"grid_code": f"{NEIGHBOUR_COMMUNITY}001"}, "grid_code"),
        ({"headcount": 0}, "headcount"),
        ({"wage_unit": "year"}, "wage_unit"),
        ({"skills": [""]}, "skills.0"),
        ({"expires_at": "2020-01-01T00:00:00+08:00"}, "expires_at"),
        ({"expires_at": 1893456000}, "expires_at"),  # a number is not read as a Unix time
        ({"suits_weak_labour": 1}, "suits_weak_labour"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_input_answers_422_naming_the_field_and_writes_nothing(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str], changes: dict[str, object], field: str
) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    body = {
        "employer_id": employer["id"],
        "title": "保洁员",
        "category": "cleaning",
        "wage_min": 300000,
        "wage_max": 400000,
        "wage_unit": "month",
        "hours_per_day": 8,
        "headcount": 1,
    } | changes
    response = await jobs.post("/api/v1/postings", json=body, headers=staff)
    assert_problem(response, 422, field)
    assert await db.rows(database_urls["jobs"], "SELECT id FROM posting") == []


async def test_search_by_chinese_keyword_and_filters_pages_newest_first(
    jobs: httpx.AsyncClient, people: People
) -> None:
    staff = people.staff()
    workshop = await make_employer(jobs, staff, name="粽叶扶贫车间")
    hotel = await make_employer(jobs, staff, name="江南大酒店", kind="hotel")
    made = [
        await make_posting(jobs, staff, workshop["id"], title="包粽子工", skills=["包粽子"]),
        await make_posting(
            jobs,
            staff,
            hotel["id"],
            title="客房保洁员",
            category="cleaning",
            suits_weak_labour=False,
            wage_min=350000,
            wage_max=450000,
            skills=["保洁"],
            grid_code=GRIDS[1],
        ),
        await make_posting(
            jobs,
            staff,
            hotel["id"],
            title="中餐厨师",
            category="catering",
            suits_weak_labour=False,
            wage_min=600000,
            wage_max=800000,
            skills=["厨师", "Excel"],
        ),
        await make_posting(
            jobs, staff, workshop["id"], title="粽叶分拣", skills=[], wage_unit="piece", wage_min=10, wage_max=20
        ),
    ]
    ids = [p["id"] for p in made]
    resident = people.resident()

    async def search(**params: Any) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            query = {"limit": 2, **params, **({"cursor": cursor} if cursor else {})}
            body = ok(await jobs.get("/api/v1/postings", params=query, headers=resident))
            found += [p["id"] for p in body["items"]]
            if (cursor := body["next_cursor"]) is None:
                return found

    assert await search() == ids[::-1]
    assert await search(q="粽") == [ids[3], ids[0]]  # one character: title 粽叶分拣, 包粽子工
    assert await search(q="粽叶") == [ids[3], ids[0]]  # the employer's name counts
    assert await search(q="保洁") == [ids[1]]
    assert await search(q="酒店") == [ids[2], ids[1]]
    assert await search(q="excel") == [ids[2]]
    assert await search(q="叶粽") == []  # the characters, not in this order
    assert await search(q="100%") == []
    assert await search(category="cleaning") == [ids[1]]
    assert await search(suits_weak_labour="true") == [ids[3], ids[0]]
    assert await search(min_wage=500000, wage_unit="month") == [ids[2]]
    assert await search(wage_unit="piece") == [ids[3]]
    assert await search(skill="厨师") == [ids[2]]
    assert await search(grid_code=GRIDS[1]) == [ids[1]]
    assert await search(employer_id=hotel["id"]) == [ids[2], ids[1]]
    assert_problem(await jobs.get("/api/v1/postings", params={"min_wage": 1}, headers=resident), 422, "wage_unit")
    assert_problem(await jobs.get("/api/v1/postings", params={"cursor": "nonsense"}, headers=resident), 422, "cursor")


async def test_a_posting_past_its_expiry_answers_closed_and_takes_no_applications(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    posting = await make_posting(
        jobs, staff, employer["id"], expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat()
    )
    await db.rows(
        database_urls["jobs"],
        "UPDATE posting SET expires_at = now() - interval '1 minute' WHERE id = $1",
        uuid.UUID(posting["id"]),
    )
    shown = ok(await jobs.get(f"/api/v1/postings/{posting['id']}", headers=people.resident()))
    assert (shown["state"], shown["closed_reason"]) == ("closed", "expired")
    assert ok(await jobs.get("/api/v1/postings", headers=people.resident()))["items"] == []
    closed = ok(await jobs.get("/api/v1/postings", params={"state": "closed"}, headers=people.resident()))
    assert [p["id"] for p in closed["items"]] == [posting["id"]]
    # Moving the expiry on opens it again.
    later = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    assert (
        ok(await jobs.patch(f"/api/v1/postings/{posting['id']}", json={"expires_at": later}, headers=staff))["state"]
        == "open"
    )


async def test_the_same_client_id_answers_the_first_posting(jobs: httpx.AsyncClient, people: People) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    client_id = str(uuid.uuid4())
    first = await make_posting(jobs, staff, employer["id"], publish=False, id=client_id)
    again = await jobs.post(
        "/api/v1/postings",
        json={
            "id": client_id,
            "employer_id": employer["id"],
            "title": "包粽子工",
            "category": "handicraft",
            "wage_min": 1,
            "wage_max": 2,
            "wage_unit": "day",
            "hours_per_day": 6,
            "headcount": 2,
        },
        headers=staff,
    )
    assert again.status_code == 200 and again.json()["id"] == first["id"] == client_id
    assert len(ok(await jobs.get("/api/v1/postings", params={"state": "draft"}, headers=staff))["items"]) == 1


async def test_nul_in_a_search_answers_422(jobs: httpx.AsyncClient, people: People) -> None:
    for name in ("q", "skill"):
        assert_problem(
            await jobs.get("/api/v1/postings", params={name: "保\x00洁"}, headers=people.resident()), 422, name
        )


async def test_lowering_the_headcount_to_those_hired_closes_the_posting(
    jobs: httpx.AsyncClient, people: People
) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    posting = await make_posting(jobs, staff, employer["id"], headcount=3)
    await make_profile(jobs, people.resident())
    application = ok(
        await jobs.post("/api/v1/applications", json={"posting_id": posting["id"]}, headers=people.resident()), 201
    )
    for step in ("shortlist", "hire"):
        ok(await jobs.post(f"/api/v1/applications/{application['id']}/{step}", headers=staff))
    url = f"/api/v1/postings/{posting['id']}"
    assert_problem(await jobs.patch(url, json={"headcount": 0}, headers=staff), 422, "headcount")
    closed = ok(await jobs.patch(url, json={"headcount": 1}, headers=staff))
    assert (closed["state"], closed["closed_reason"], closed["hired"]) == ("closed", "filled", 1)


async def test_one_posting_reads_as_its_writes_answered_it_for_those_who_may_see_it(
    jobs: httpx.AsyncClient, people: People
) -> None:
    """``GET /postings/{id}`` (the fast lane) answers the very JSON the writes answer (the response
    model), and sees a draft only as its community's staff, its street's admins and clients, and its
    employer's accounts do."""
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    account = uuid.uuid4()
    assert (await jobs.put(f"/api/v1/employers/{employer['id']}/accounts/{account}", headers=staff)).status_code == 201
    expires = (datetime.now(UTC) + timedelta(days=3, microseconds=1234)).isoformat()
    draft = await make_posting(jobs, staff, employer["id"], publish=False, expires_at=expires, address="粽叶路 1 号")
    url = f"/api/v1/postings/{draft['id']}"
    for keeper in (staff, people.street_admin(), people.machine(), people.employer(account)):
        assert ok(await jobs.get(url, headers=keeper)) == draft
    for outsider in (people.resident(), people.worker(GRIDS[0]), people.street_admin(OTHER_STREET)):
        assert_problem(await jobs.get(url, headers=outsider), 404)
    published = ok(await jobs.post(f"{url}/publish", headers=staff))
    for reader in (people.resident(), people.staff(NEIGHBOUR_COMMUNITY), people.employer(uuid.uuid4())):
        assert ok(await jobs.get(url, headers=reader)) == published
    assert_problem(await jobs.get(url, headers=people.machine(OTHER_STREET)), 404)
    (listed,) = ok(await jobs.get("/api/v1/postings", params={"employer_id": employer["id"]}, headers=staff))["items"]
    assert listed == {name: published[name] for name in listed}
    closed = ok(await jobs.post(f"{url}/close", headers=staff))
    assert closed["closed_at"] is not None and ok(await jobs.get(url, headers=people.resident())) == closed
