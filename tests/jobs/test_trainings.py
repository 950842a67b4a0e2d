"""Trainings: places and the waiting list in order, a freed place to the first waiting (also under
concurrent requests), more places for the waiting, attendance, and completion adding the skill."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx

from tests.jobs.helpers import People, make_profile
from tests.support import db
from tests.support.answers import ok
from tests.support.outbox import payloads
from tests.support.people import resident_id
from tests.support.places import COMMUNITY, NEIGHBOUR_COMMUNITY
from tests.support.problems import assert_problem

PHONES = [f"139000000{n:02d}" for n in range(1, 11)]


async def make_training(jobs: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    start = date.today() + timedelta(days=3)
    body = {
        "title": "育婴员培训",
        "skill": "育婴",
        "venue": "江南社区活动中心",
        "schedule": "每周二、四 14:00-16:30",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=20)).isoformat(),
        "sessions": 6,
        "capacity": 2,
        "community_code": COMMUNITY,
    } | fields
    return ok(await jobs.post("/api/v1/trainings", json=body, headers=headers), 201)


async def enrol(jobs: httpx.AsyncClient, people: People, training: dict[str, Any], phone: str) -> dict[str, Any]:
    response = await jobs.post(
        f"/api/v1/trainings/{training['id']}/enrolments", json={}, headers=people.resident(phone)
    )
    return ok(response, 201)


async def test_a_full_training_puts_residents_on_the_waiting_list_and_a_freed_place_goes_to_the_first(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    training = await make_training(jobs, people.staff())
    made = [await enrol(jobs, people, training, phone) for phone in PHONES[:5]]
    assert [(e["state"], e["position"]) for e in made] == [
        ("enrolled", None),
        ("enrolled", None),
        ("waiting", 1),
        ("waiting", 2),
        ("waiting", 3),
    ]
    shown = ok(await jobs.get(f"/api/v1/trainings/{training['id']}", headers=people.resident(PHONES[3])))
    assert (shown["enrolled"], shown["waiting"]) == (2, 3)
    assert (shown["my_enrolment"]["state"], shown["my_enrolment"]["position"]) == ("waiting", 2)
    assert_problem(
        await jobs.post(f"/api/v1/trainings/{training['id']}/enrolments", json={}, headers=people.resident(PHONES[0])),
        409,
    )

    # The first enrolled leaves: the first waiting gets the place, the others move up.
    url = f"/api/v1/trainings/{training['id']}/enrolments"
    left = ok(await jobs.post(f"{url}/{made[0]['id']}/withdraw", headers=people.resident(PHONES[0])))
    assert left["state"] == "withdrawn"
    after = ok(await jobs.get(url, headers=people.staff()))["items"]
    assert [(e["resident_id"], e["state"], e["position"]) for e in after] == [
        (resident_id(PHONES[0]), "withdrawn", None),
        (resident_id(PHONES[1]), "enrolled", None),
        (resident_id(PHONES[2]), "enrolled", None),
        (resident_id(PHONES[3]), "waiting", 1),
        (resident_id(PHONES[4]), "waiting", 2),
    ]
    promoted = await payloads(database_urls["jobs"], "enrolment.promoted")
    assert [p["resident_id"] for p in promoted] == [resident_id(PHONES[2])]

    # Someone waiting leaves: no place changes hands.
    ok(await jobs.post(f"{url}/{made[3]['id']}/withdraw", headers=people.resident(PHONES[3])))
    mine = ok(await jobs.get(f"/api/v1/trainings/{training['id']}", headers=people.resident(PHONES[4])))["my_enrolment"]
    assert (mine["state"], mine["position"]) == ("waiting", 1)
    assert_problem(await jobs.post(f"{url}/{made[3]['id']}/withdraw", headers=people.resident(PHONES[3])), 409)
    assert_problem(await jobs.post(f"{url}/{made[4]['id']}/withdraw", headers=people.resident(PHONES[3])), 404)


async def test_concurrent_enrolments_never_overfill_and_concurrent_leaves_promote_each_once(
    jobs: httpx.AsyncClient, people: People
) -> None:
    training = await make_training(jobs, people.staff(), capacity=3)
    url = f"/api/v1/trainings/{training['id']}/enrolments"
    answers = await asyncio.gather(*(jobs.post(url, json={}, headers=people.resident(phone)) for phone in PHONES))
    states = sorted(ok(a, 201)["state"] for a in answers)
    assert states == ["enrolled"] * 3 + ["waiting"] * 7
    enrolled = [a.json() for a in answers if a.json()["state"] == "enrolled"]
    owners = {e["id"]: PHONES[i] for i, e in enumerate(a.json() for a in answers)}
    await asyncio.gather(
        *(jobs.post(f"{url}/{e['id']}/withdraw", headers=people.resident(owners[e["id"]])) for e in enrolled)
    )
    rows = ok(await jobs.get(url, params={"limit": 100}, headers=people.staff()))["items"]
    waiting_order = sorted((a.json() for a in answers if a.json()["state"] == "waiting"), key=lambda e: e["position"])
    now_enrolled = [e["id"] for e in rows if e["state"] == "enrolled"]
    assert now_enrolled == [e["id"] for e in waiting_order[:3]]  # the first three waiting, once each
    assert [e["position"] for e in rows if e["state"] == "waiting"] == [1, 2, 3, 4]


async def test_more_places_go_to_the_first_waiting(jobs: httpx.AsyncClient, people: People) -> None:
    training = await make_training(jobs, people.staff(), capacity=1)
    made = [await enrol(jobs, people, training, phone) for phone in PHONES[:4]]
    url = f"/api/v1/trainings/{training['id']}"
    assert_problem(await jobs.patch(url, json={"capacity": 3}, headers=people.staff(NEIGHBOUR_COMMUNITY)), 403)
    changed = ok(await jobs.patch(url, json={"capacity": 3}, headers=people.staff()))
    assert (changed["enrolled"], changed["waiting"]) == (3, 1)
    rows = ok(await jobs.get(f"{url}/enrolments", headers=people.staff()))["items"]
    assert [e["state"] for e in rows] == ["enrolled", "enrolled", "enrolled", "waiting"]
    assert rows[3]["id"] == made[3]["id"]
    assert_problem(await jobs.patch(url, json={"capacity": 2}, headers=people.staff()), 422, "capacity")


async def test_attendance_and_completion_add_the_skill_to_the_profile(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    training = await make_training(jobs, people.staff(), capacity=2)
    first, second, waiting = [await enrol(jobs, people, training, phone) for phone in PHONES[:3]]
    await make_profile(jobs, people.resident(PHONES[0]))  # has a profile; PHONES[1] has none
    url = f"/api/v1/trainings/{training['id']}"
    day = training["starts_on"]
    body = {"session_on": day, "enrolment_ids": [first["id"], second["id"]]}
    assert ok(await jobs.post(f"{url}/attendance", json=body, headers=people.staff())) == {"recorded": 2}
    assert ok(await jobs.post(f"{url}/attendance", json=body, headers=people.staff())) == {"recorded": 0}
    not_placed = {"session_on": day, "enrolment_ids": [waiting["id"]]}
    assert_problem(
        await jobs.post(f"{url}/attendance", json=not_placed, headers=people.staff()), 422, "enrolment_ids.0"
    )
    too_early = {"session_on": "2020-01-01", "enrolment_ids": [first["id"]]}
    assert_problem(await jobs.post(f"{url}/attendance", json=too_early, headers=people.staff()), 422, "session_on")
    assert_problem(await jobs.post(f"{url}/attendance", json=body, headers=people.resident(PHONES[0])), 403)

    for enrolment in (first, second):
        done = ok(await jobs.post(f"{url}/enrolments/{enrolment['id']}/complete", headers=people.staff()))
        assert (done["state"], done["attended"]) == ("completed", 1)
    assert_problem(await jobs.post(f"{url}/enrolments/{waiting['id']}/complete", headers=people.staff()), 409)
    assert ok(await jobs.get("/api/v1/seekers/me", headers=people.resident(PHONES[0])))["skills"] == [
        "包粽子",
        "缝纫",
        "育婴",
    ]
    made = ok(await jobs.get("/api/v1/seekers/me", headers=people.resident(PHONES[1])))
    assert (made["skills"], made["active"]) == (["育婴"], False)
    completed = await payloads(database_urls["jobs"], "training.completed")
    assert [(p["resident_id"], p["skill"]) for p in completed] == [(resident_id(p), "育婴") for p in PHONES[:2]]
    rows = await db.rows(database_urls["jobs"], "SELECT count(*) AS n FROM attendance")
    assert rows[0]["n"] == 2


async def test_who_sees_enrolments(jobs: httpx.AsyncClient, people: People) -> None:
    training = await make_training(jobs, people.staff())
    mine = await enrol(jobs, people, training, PHONES[0])
    await enrol(jobs, people, training, PHONES[1])
    url = f"/api/v1/trainings/{training['id']}/enrolments"
    assert [e["id"] for e in ok(await jobs.get(url, headers=people.resident(PHONES[0])))["items"]] == [mine["id"]]
    assert len(ok(await jobs.get(url, headers=people.staff()))["items"]) == 2
    assert ok(await jobs.get(url, headers=people.staff(NEIGHBOUR_COMMUNITY)))["items"] == []
    assert_problem(await jobs.post(f"{url}/{mine['id']}/withdraw", headers=people.staff(NEIGHBOUR_COMMUNITY)), 404)
    staff_removes = ok(await jobs.post(f"{url}/{mine['id']}/withdraw", headers=people.staff()))
    assert staff_removes["state"] == "withdrawn"


async def test_staff_enrol_a_resident_of_theirs_and_trainings_are_kept_by_their_community(
    jobs: httpx.AsyncClient, people: People, sign_in_homes: None
) -> None:
    assert_problem(
        await jobs.post(
            "/api/v1/trainings",
            json={
                "title": "x",
                "skill": "y",
                "venue": "z",
                "starts_on": "2030-01-02",
                "ends_on": "2030-01-01",
                "sessions": 1,
                "capacity": 1,
                "community_code": COMMUNITY,
            },
            headers=people.staff(),
        ),
        422,
        "ends_on",
    )
    training = await make_training(jobs, people.staff())
    url = f"/api/v1/trainings/{training['id']}/enrolments"
    target = resident_id(PHONES[6])
    assert_problem(await jobs.post(url, json={"resident_id": target}, headers=people.staff(NEIGHBOUR_COMMUNITY)), 404)
    made = ok(await jobs.post(url, json={"resident_id": target}, headers=people.staff()), 201)
    assert made["resident_id"] == target and made["community_code"] == COMMUNITY
    shown = ok(await jobs.get(f"/api/v1/trainings/{training['id']}", headers=people.resident(PHONES[6])))
    assert shown["my_enrolment"]["id"] == made["id"]
