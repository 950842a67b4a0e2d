"""Applications: apply, one live application per seeker and posting, withdraw, the steps staff or the
employer take, a hire that fills the headcount closing the posting, the events, and who sees what."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.jobs.helpers import People, make_employer, make_posting, make_profile
from tests.support.answers import ok
from tests.support.outbox import outbox
from tests.support.people import resident_id
from tests.support.places import COMMUNITY, NEIGHBOUR_COMMUNITY, OTHER_STREET, OTHER_STREET_COMMUNITY, STREET
from tests.support.problems import assert_problem


async def setup(jobs: httpx.AsyncClient, people: People, **posting: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    employer = await make_employer(jobs, people.staff())
    return employer, await make_posting(jobs, people.staff(), employer["id"], **posting)


async def apply(jobs: httpx.AsyncClient, headers: dict[str, str], posting_id: str) -> httpx.Response:
    return await jobs.post("/api/v1/applications", json={"posting_id": posting_id}, headers=headers)


async def test_a_resident_applies_once_withdraws_and_may_apply_again(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    _, posting = await setup(jobs, people)
    me = people.resident()
    assert_problem(await apply(jobs, me, posting["id"]), 409)  # no profile yet
    await make_profile(jobs, me)
    first = ok(await apply(jobs, me, posting["id"]), 201)
    assert (first["state"], first["applicant"]["resident_id"]) == ("applied", resident_id("13900000002"))
    assert_problem(await apply(jobs, me, posting["id"]), 409)
    withdrawn = ok(await jobs.post(f"/api/v1/applications/{first['id']}/withdraw", headers=me))
    assert withdrawn["state"] == "withdrawn"
    assert_problem(await jobs.post(f"/api/v1/applications/{first['id']}/withdraw", headers=me), 409)
    second = ok(await apply(jobs, me, posting["id"]), 201)
    listed = ok(await jobs.get("/api/v1/applications", headers=me))["items"]
    assert [(a["id"], a["state"]) for a in listed] == [(second["id"], "applied"), (first["id"], "withdrawn")]
    kinds = [event.type for event in await outbox(database_urls["jobs"])]
    assert kinds == ["posting.opened", "application.submitted", "application.status_changed", "application.submitted"]


async def test_two_applications_at_once_make_one(jobs: httpx.AsyncClient, people: People) -> None:
    _, posting = await setup(jobs, people)
    me = people.resident()
    await make_profile(jobs, me)
    answers = await asyncio.gather(*(apply(jobs, me, posting["id"]) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]


async def test_a_draft_or_closed_posting_takes_no_applications(jobs: httpx.AsyncClient, people: People) -> None:
    employer, posting = await setup(jobs, people)
    me = people.resident()
    await make_profile(jobs, me)
    draft = await make_posting(jobs, people.staff(), employer["id"], publish=False)
    assert_problem(await apply(jobs, me, draft["id"]), 404)
    ok(await jobs.post(f"/api/v1/postings/{posting['id']}/close", headers=people.staff()))
    assert_problem(await apply(jobs, me, posting["id"]), 409)


async def test_staff_shortlist_and_hire_until_the_posting_is_full_and_closes(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    _, posting = await setup(jobs, people, headcount=2)
    staff = people.staff()
    applied = {}
    for phone in ("13900000002", "13900000003", "13900000004"):
        await make_profile(jobs, people.resident(phone))
        applied[phone] = ok(await apply(jobs, people.resident(phone), posting["id"]), 201)["id"]

    def step(application: str, action: str) -> Any:
        return jobs.post(f"/api/v1/applications/{application}/{action}", headers=staff)

    # Hiring straight from applied is the wrong state: 409 with the state it is in.
    assert assert_problem(await step(applied["13900000002"], "hire"), 409)["state"] == "applied"
    ok(await step(applied["13900000002"], "shortlist"))
    ok(await step(applied["13900000002"], "interview"))
    hired = ok(await step(applied["13900000002"], "hire"))
    assert hired["state"] == "hired" and hired["hired_at"] is not None
    assert ok(await jobs.get(f"/api/v1/postings/{posting['id']}", headers=staff))["hired"] == 1
    ok(await step(applied["13900000003"], "shortlist"))
    ok(await step(applied["13900000003"], "hire"))

    full = ok(await jobs.get(f"/api/v1/postings/{posting['id']}", headers=staff))
    assert (full["state"], full["closed_reason"], full["hired"]) == ("closed", "filled", 2)
    left = ok(await jobs.get(f"/api/v1/applications/{applied['13900000004']}", headers=people.resident("13900000004")))
    assert left["state"] == "rejected" and left["reason"]
    assert_problem(await step(applied["13900000004"], "shortlist"), 409)

    events = await outbox(database_urls["jobs"])
    hires = [payload for kind, _, payload in events if kind == "application.hired"]
    assert [h["resident_id"] for h in hires] == [resident_id("13900000002"), resident_id("13900000003")]
    closed = [payload for kind, _, payload in events if kind == "posting.closed"]
    assert closed == [
        {
            "posting_id": posting["id"],
            "employer_id": posting["employer_id"],
            "category": "handicraft",
            "community_code": COMMUNITY,
            "street_code": STREET,
            "reason": "filled",
        },
    ]
    changes = [
        (p["resident_id"], p["from_state"], p["to_state"]) for k, _, p in events if k == "application.status_changed"
    ]
    assert changes[-1] == (resident_id("13900000004"), "applied", "rejected")


async def test_two_hires_for_the_last_place_hire_one(jobs: httpx.AsyncClient, people: People) -> None:
    _, posting = await setup(jobs, people, headcount=1)
    staff = people.staff()
    ids = []
    for phone in ("13900000002", "13900000003"):
        await make_profile(jobs, people.resident(phone))
        ids.append(ok(await apply(jobs, people.resident(phone), posting["id"]), 201)["id"])
        ok(await jobs.post(f"/api/v1/applications/{ids[-1]}/shortlist", headers=staff))
    answers = await asyncio.gather(*(jobs.post(f"/api/v1/applications/{i}/hire", headers=staff) for i in ids))
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert ok(await jobs.get(f"/api/v1/postings/{posting['id']}", headers=staff))["hired"] == 1


async def test_a_rejection_needs_its_reason(jobs: httpx.AsyncClient, people: People) -> None:
    _, posting = await setup(jobs, people)
    await make_profile(jobs, people.resident())
    application = ok(await apply(jobs, people.resident(), posting["id"]), 201)
    url = f"/api/v1/applications/{application['id']}/reject"
    assert_problem(await jobs.post(url, json={}, headers=people.staff()), 422, "reason")
    rejected = ok(await jobs.post(url, json={"reason": "需要夜班"}, headers=people.staff()))
    assert (rejected["state"], rejected["reason"]) == ("rejected", "需要夜班")


async def test_the_employer_moves_its_applicants_and_sees_them_masked(jobs: httpx.AsyncClient, people: People) -> None:
    employer, posting = await setup(jobs, people)
    other_employer = await make_employer(jobs, people.staff(), name="晴岚超市", kind="supermarket")
    other_posting = await make_posting(jobs, people.staff(), other_employer["id"])
    account = uuid.uuid4()
    await jobs.put(f"/api/v1/employers/{employer['id']}/accounts/{account}", headers=people.staff())
    as_employer = people.employer(account)
    await make_profile(jobs, people.resident())
    mine = ok(await apply(jobs, people.resident(), posting["id"]), 201)
    theirs = ok(await apply(jobs, people.resident(), other_posting["id"]), 201)

    listed = ok(await jobs.get("/api/v1/applications", headers=as_employer))["items"]
    assert [a["id"] for a in listed] == [mine["id"]]
    assert listed[0]["applicant"]["resident_id"] is None
    assert listed[0]["applicant"]["label"] == mine["applicant"]["label"]
    assert listed[0]["applicant"]["skills"] == ["包粽子", "缝纫"]
    # the resident filter cannot tell an employer who applied: it matches only the ids a caller is shown
    applicant = {"resident_id": mine["applicant"]["resident_id"]}
    assert applicant["resident_id"] is not None
    assert ok(await jobs.get("/api/v1/applications", params=applicant, headers=as_employer))["items"] == []
    by_staff = ok(await jobs.get("/api/v1/applications", params=applicant, headers=people.staff()))["items"]
    assert {a["id"] for a in by_staff} == {mine["id"], theirs["id"]}
    assert (
        ok(await jobs.post(f"/api/v1/applications/{mine['id']}/shortlist", headers=as_employer))["state"]
        == "shortlisted"
    )
    assert_problem(await jobs.get(f"/api/v1/applications/{theirs['id']}", headers=as_employer), 404)
    assert_problem(await jobs.post(f"/api/v1/applications/{theirs['id']}/shortlist", headers=as_employer), 404)


async def test_who_sees_an_application(jobs: httpx.AsyncClient, people: People) -> None:
    _, posting = await setup(jobs, people)
    await make_profile(jobs, people.resident())
    application = ok(await apply(jobs, people.resident(), posting["id"]), 201)
    url = f"/api/v1/applications/{application['id']}"
    assert ok(await jobs.get(url, headers=people.staff()))["applicant"]["resident_id"] == resident_id("13900000002")
    assert ok(await jobs.get(url, headers=people.street_admin()))["state"] == "applied"
    assert ok(await jobs.get(url, headers=people.machine()))["applicant"]["resident_id"] is None
    for outsider in (
        people.resident("13900000003"),
        people.staff(NEIGHBOUR_COMMUNITY),
        people.street_admin(OTHER_STREET),
        people.machine(OTHER_STREET),
    ):
        assert_problem(await jobs.get(url, headers=outsider), 404)
        assert ok(await jobs.get("/api/v1/applications", headers=outsider))["items"] == []
    # Staff of another community may see it (not here) but never move it.
    assert_problem(await jobs.post(f"{url}/shortlist", headers=people.staff(NEIGHBOUR_COMMUNITY)), 404)
    assert_problem(await jobs.post(f"{url}/withdraw", headers=people.resident("13900000003")), 404)


async def test_staff_apply_for_a_seeker_of_theirs(jobs: httpx.AsyncClient, people: People, sign_in_homes: None) -> None:
    _, posting = await setup(jobs, people)
    target = resident_id("13900000005")
    profile = {"skills": [], "hours_per_day": 8, "labour_capacity": "full"}
    assert (await jobs.put(f"/api/v1/seekers/{target}", json=profile, headers=people.staff())).status_code == 201
    body = {"posting_id": posting["id"], "resident_id": target}
    unnamed = await jobs.post("/api/v1/applications", json={"posting_id": posting["id"]}, headers=people.staff())
    assert_problem(unnamed, 422, "resident_id")
    assert_problem(await jobs.post("/api/v1/applications", json=body, headers=people.staff(NEIGHBOUR_COMMUNITY)), 404)
    made = ok(await jobs.post("/api/v1/applications", json=body, headers=people.staff()), 201)
    assert made["applicant"]["resident_id"] == target
    assert [
        a["id"] for a in ok(await jobs.get("/api/v1/applications", headers=people.resident("13900000005")))["items"]
    ] == [made["id"]]


async def test_the_reads_answer_as_the_writes_did_and_mask_the_resident_alike(
    jobs: httpx.AsyncClient, people: People
) -> None:
    """One application and the list (the fast lane) answer the JSON the writes answer (the response
    model): seen by the seeker, the staff and admins of either community (with the resident), the
    posting's employer and its street's clients (masked), by no one else."""
    neighbours = people.staff(NEIGHBOUR_COMMUNITY)
    employer = await make_employer(jobs, neighbours, community=NEIGHBOUR_COMMUNITY)
    posting = await make_posting(jobs, neighbours, employer["id"], headcount=3)
    account = uuid.uuid4()
    await jobs.put(f"/api/v1/employers/{employer['id']}/accounts/{account}", headers=neighbours)
    as_employer = people.employer(account, NEIGHBOUR_COMMUNITY)
    me = people.resident()
    await make_profile(jobs, me)
    made = ok(await apply(jobs, me, posting["id"]), 201)
    url = f"/api/v1/applications/{made['id']}"
    assert ok(await jobs.get(url, headers=me)) == made
    assert ok(await jobs.get("/api/v1/applications", headers=me))["items"] == [made]
    masked = made | {"applicant": made["applicant"] | {"resident_id": None}}
    seers = {
        "seeker's staff": (people.staff(), made),  # the seeker's community, not the posting's
        "posting's staff": (neighbours, made),
        "street admin": (people.street_admin(), made),
        "employer": (as_employer, masked),
        "street's client": (people.machine(), masked),
    }
    for who, (headers, expected) in seers.items():
        assert ok(await jobs.get(url, headers=headers)) == expected, who
        listed = ok(await jobs.get("/api/v1/applications", params={"posting_id": posting["id"]}, headers=headers))
        assert listed["items"] == [expected], who
    for outsider in (
        people.resident("13900000003"),
        people.staff(OTHER_STREET_COMMUNITY),
        people.street_admin(OTHER_STREET),
        people.machine(OTHER_STREET),
        people.employer(uuid.uuid4(), NEIGHBOUR_COMMUNITY),
    ):
        assert_problem(await jobs.get(url, headers=outsider), 404)
        assert ok(await jobs.get("/api/v1/applications", headers=outsider))["items"] == []

    shortlisted = ok(await jobs.post(f"{url}/shortlist", headers=as_employer))
    assert shortlisted["applicant"]["resident_id"] is None
    assert ok(await jobs.get(url, headers=as_employer)) == shortlisted
    hired = ok(await jobs.post(f"{url}/hire", headers=neighbours))
    assert hired["hired_at"] is not None and ok(await jobs.get(url, headers=neighbours)) == hired
    other = people.resident("13900000004")
    await make_profile(jobs, other)
    second = ok(await apply(jobs, other, posting["id"]), 201)
    rejected = ok(
        await jobs.post(f"/api/v1/applications/{second['id']}/reject", json={"reason": "满员"}, headers=neighbours)
    )
    assert ok(await jobs.get(f"/api/v1/applications/{second['id']}", headers=neighbours)) == rejected
    by_state = ok(await jobs.get("/api/v1/applications", params={"state": "rejected"}, headers=neighbours))
    assert by_state["items"] == [rejected]
    first_page = ok(await jobs.get("/api/v1/applications", params={"limit": 1}, headers=neighbours))
    assert first_page["items"] == [rejected]
    rest = ok(await jobs.get("/api/v1/applications", params={"cursor": first_page["next_cursor"]}, headers=neighbours))
    assert rest == {"items": [hired], "next_cursor": None}
    mine = ok(
        await jobs.get("/api/v1/applications", params={"resident_id": resident_id("13900000004")}, headers=neighbours)
    )
    assert mine["items"] == [rejected]
