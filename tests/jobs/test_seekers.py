"""Seeker profiles: a resident's own, filled in by staff or the grid worker who keep the resident (asked of
the residents service with their token), and seen only within the caller's scope. No personal data."""

from __future__ import annotations

import uuid

import httpx

from tests.jobs.helpers import PROFILE, People
from tests.support import db
from tests.support.answers import ok
from tests.support.people import resident_id
from tests.support.places import GRIDS, NEIGHBOUR_COMMUNITY
from tests.support.problems import assert_problem


async def test_a_resident_fills_their_profile_then_changes_it(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    me = people.resident("13900000002")
    created = await jobs.put("/api/v1/seekers/me", json=PROFILE, headers=me)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["resident_id"] == resident_id("13900000002")
    assert (body["grid_code"], body["community_code"]) == (GRIDS[1], GRIDS[1][:12])
    changed = await jobs.put("/api/v1/seekers/me", json=PROFILE | {"skills": ["电工", "电工 "]}, headers=me)
    assert changed.status_code == 200 and changed.json()["skills"] == ["电工"]
    assert ok(await jobs.get("/api/v1/seekers/me", headers=me))["skills"] == ["电工"]
    columns = {
        r["column_name"]
        for r in await db.rows(
            database_urls["jobs"], "SELECT column_name FROM information_schema.columns WHERE table_name = 'seeker'"
        )
    }
    assert not columns & {"name", "phone", "id_number"}


async def test_a_resident_sees_only_their_own_profile(jobs: httpx.AsyncClient, people: People) -> None:
    await jobs.put("/api/v1/seekers/me", json=PROFILE, headers=people.resident("13900000002"))
    other = people.resident("13900000006")  # same grid
    assert_problem(await jobs.get(f"/api/v1/seekers/{resident_id('13900000002')}", headers=other), 404)
    assert_problem(await jobs.get("/api/v1/seekers/me", headers=other), 404)
    assert_problem(await jobs.get("/api/v1/seekers", headers=other), 403)


async def test_staff_fill_in_a_profile_for_a_resident_of_their_community(
    jobs: httpx.AsyncClient, people: People, sign_in_homes: None
) -> None:
    target = resident_id("13900000003")
    staff = people.staff()
    saved = await jobs.put(f"/api/v1/seekers/{target}", json=PROFILE | {"labour_capacity": "weak"}, headers=staff)
    assert saved.status_code == 201, saved.text
    assert (saved.json()["resident_id"], saved.json()["grid_code"]) == (target, GRIDS[2])
    assert ok(await jobs.get("/api/v1/seekers/me", headers=people.resident("13900000003")))["labour_capacity"] == "weak"

    # The residents service does not show staff of another community this resident: 404, nothing written.
    other = people.staff(NEIGHBOUR_COMMUNITY)
    assert_problem(await jobs.put(f"/api/v1/seekers/{resident_id('13900000004')}", json=PROFILE, headers=other), 404)
    assert_problem(await jobs.get(f"/api/v1/seekers/{target}", headers=other), 404)
    assert ok(await jobs.get("/api/v1/seekers", headers=other))["items"] == []
    listed = ok(await jobs.get("/api/v1/seekers", headers=staff))["items"]
    assert [s["resident_id"] for s in listed] == [target]


async def test_a_grid_worker_helps_the_residents_of_their_grid_only(
    jobs: httpx.AsyncClient, people: People, sign_in_homes: None
) -> None:
    worker = people.worker(GRIDS[0])
    mine, theirs = resident_id("13900000001"), resident_id("13900000002")  # grids 1 and 2
    assert (await jobs.put(f"/api/v1/seekers/{mine}", json=PROFILE, headers=worker)).status_code == 201
    assert_problem(await jobs.put(f"/api/v1/seekers/{theirs}", json=PROFILE, headers=worker), 404)
    await jobs.put("/api/v1/seekers/me", json=PROFILE, headers=people.resident("13900000002"))
    assert_problem(await jobs.get(f"/api/v1/seekers/{theirs}", headers=worker), 404)
    assert [s["resident_id"] for s in ok(await jobs.get("/api/v1/seekers", headers=worker))["items"]] == [mine]


async def test_employers_and_integration_clients_do_not_read_profiles(jobs: httpx.AsyncClient, people: People) -> None:
    await jobs.put("/api/v1/seekers/me", json=PROFILE, headers=people.resident())
    url = f"/api/v1/seekers/{resident_id('13900000002')}"
    assert_problem(await jobs.get(url, headers=people.employer(uuid.uuid4())), 403)
    assert_problem(await jobs.get(url, headers=people.machine()), 403)


async def test_a_bad_profile_is_refused_whole(jobs: httpx.AsyncClient, people: People) -> None:
    me = people.resident()
    for bad, field in (
        ({"labour_capacity": "strong"}, "labour_capacity"),
        ({"hours_per_day": 25}, "hours_per_day"),
        ({"preferred_places": ["1101"]}, "preferred_places.0"),
        ({"skills": ["x" * 51]}, "skills.0"),
        ({"active": 0}, "active"),  # JSON types as the schema says: no 0 for false, no "6" for 6
        ({"hours_per_day": "6"}, "hours_per_day"),
    ):
        assert_problem(await jobs.put("/api/v1/seekers/me", json=PROFILE | bad, headers=me), 422, field)
    assert_problem(await jobs.get("/api/v1/seekers/me", headers=me), 404)
