"""Employers as staff and employers meet them: the contact phone never in clear in the database or the
answers, found by its blind index, revealed with an audit; who keeps which employer; employer accounts."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from tests.jobs.helpers import People, make_employer
from tests.support import db
from tests.support.answers import ok
from tests.support.places import COMMUNITY, NEIGHBOUR_COMMUNITY, OTHER_STREET, STREET
from tests.support.problems import assert_problem


async def test_the_contact_phone_is_stored_encrypted_and_answered_masked(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    staff = people.staff()
    created = await make_employer(jobs, staff, name="藤椅编织车间", contact_phone="138 1234 5678")
    assert created["contact_phone"] == "138****5678"
    assert created["contact_name"] == "王经理" and created["street_code"] == STREET
    (row,) = await db.rows(database_urls["jobs"], "SELECT * FROM employer WHERE id = $1", uuid.UUID(created["id"]))
    assert b"13812345678" not in row["contact_phone_encrypted"]
    assert "13812345678" not in str(dict(row))
    assert row["contact_phone_masked"] == "138****5678"

    found = ok(await jobs.get("/api/v1/employers", params={"phone": "13812345678"}, headers=staff))
    assert [e["id"] for e in found["items"]] == [created["id"]]
    assert ok(await jobs.get("/api/v1/employers", params={"phone": "13812345679"}, headers=staff))["items"] == []


async def test_a_bad_phone_answers_422_without_the_value_and_writes_nothing(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    response = await jobs.post(
        "/api/v1/employers",
        json={"name": "某超市", "kind": "supermarket", "community_code": COMMUNITY, "contact_phone": "12345"},
        headers=people.staff(),
    )
    body = assert_problem(response, 422, "contact_phone")
    assert "12345" not in response.text and body["errors"][0]["message"]
    assert await db.rows(database_urls["jobs"], "SELECT id FROM employer") == []


async def test_staff_register_employers_only_in_their_community(jobs: httpx.AsyncClient, people: People) -> None:
    body = {"name": "江南大酒店", "kind": "hotel", "community_code": NEIGHBOUR_COMMUNITY}
    assert_problem(await jobs.post("/api/v1/employers", json=body, headers=people.staff()), 403)
    street = ok(await jobs.post("/api/v1/employers", json=body, headers=people.street_admin()), 201)
    assert street["community_code"] == NEIGHBOUR_COMMUNITY
    assert_problem(await jobs.post("/api/v1/employers", json=body, headers=people.street_admin()), 409)
    assert_problem(await jobs.post("/api/v1/employers", json=body, headers=people.resident()), 403)


async def test_the_same_client_id_answers_the_first_employer(jobs: httpx.AsyncClient, people: People) -> None:
    staff = people.staff()
    body = {"id": str(uuid.uuid4()), "name": "晴岚超市", "kind": "supermarket", "community_code": COMMUNITY}
    first = ok(await jobs.post("/api/v1/employers", json=body, headers=staff), 201)
    again = ok(await jobs.post("/api/v1/employers", json=body, headers=staff), 200)
    assert again["id"] == first["id"] == body["id"]
    listed = ok(await jobs.get("/api/v1/employers", headers=staff))["items"]
    assert [e["id"] for e in listed] == [body["id"]]
    taken = await jobs.post(
        "/api/v1/employers",
        json=body | {"community_code": NEIGHBOUR_COMMUNITY},
        headers=people.staff(NEIGHBOUR_COMMUNITY),
    )
    assert_problem(taken, 409)


async def test_who_sees_the_contact_and_the_list(jobs: httpx.AsyncClient, people: People) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    url = f"/api/v1/employers/{employer['id']}"
    # Residents see an employer (postings name it) with its contact masked.
    shown = ok(await jobs.get(url, headers=people.resident()))
    assert (shown["contact_name"], shown["contact_phone"]) == ("王**", "138****5678")
    # Staff of another community do not keep it: masked, and not in their list.
    other = people.staff(NEIGHBOUR_COMMUNITY)
    assert ok(await jobs.get(url, headers=other))["contact_name"] == "王**"
    assert ok(await jobs.get("/api/v1/employers", headers=other))["items"] == []
    assert_problem(await jobs.patch(url, json={"name": "改名"}, headers=other), 404)
    # An integration client of another street does not see it at all; of its street, it does.
    assert_problem(await jobs.get(url, headers=people.machine(OTHER_STREET)), 404)
    assert ok(await jobs.get(url, headers=people.machine()))["contact_name"] == "王**"
    assert [e["id"] for e in ok(await jobs.get("/api/v1/employers", headers=people.machine()))["items"]] == [
        employer["id"]
    ]


async def test_staff_reveal_the_phone_for_a_purpose_and_it_is_audited(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    sub = str(uuid.uuid4())
    staff = people.staff(sub=sub)
    employer = await make_employer(jobs, staff)
    url = f"/api/v1/employers/{employer['id']}/reveal"
    revealed = ok(await jobs.post(url, json={"purpose": "通知参加招聘会"}, headers=staff))
    assert revealed == {"contact_name": "王经理", "contact_phone": "13812345678"}
    assert_problem(await jobs.post(url, json={"purpose": "看看"}, headers=people.staff(NEIGHBOUR_COMMUNITY)), 404)
    assert_problem(await jobs.post(url, json={"purpose": "看看"}, headers=people.resident()), 403)
    audit = await db.rows(database_urls["jobs"], "SELECT account_id, purpose FROM contact_reveal")
    assert [(r["account_id"], r["purpose"]) for r in audit] == [(sub, "通知参加招聘会")]
    with pytest.raises(asyncpg.InsufficientPrivilegeError):  # the audit is append-only
        await db.rows(database_urls["jobs"], "UPDATE contact_reveal SET purpose = 'x'")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.rows(database_urls["jobs"], "DELETE FROM contact_reveal")


async def test_staff_link_an_account_that_then_acts_for_the_employer(jobs: httpx.AsyncClient, people: People) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    other = await make_employer(jobs, staff, name="电子元件社区工厂", kind="factory")
    account = uuid.uuid4()
    as_employer = people.employer(account)
    assert_problem(await jobs.get("/api/v1/employers/me", headers=as_employer), 404)

    url = f"/api/v1/employers/{employer['id']}/accounts/{account}"
    assert (await jobs.put(url, headers=staff)).status_code == 201
    assert (await jobs.put(url, headers=staff)).status_code == 204
    assert_problem(await jobs.put(f"/api/v1/employers/{other['id']}/accounts/{account}", headers=staff), 409)
    assert_problem(await jobs.put(url, headers=people.staff(NEIGHBOUR_COMMUNITY)), 404)
    listed = ok(await jobs.get(f"/api/v1/employers/{employer['id']}/accounts", headers=staff))
    assert [a["account_id"] for a in listed] == [str(account)]

    mine = ok(await jobs.get("/api/v1/employers/me", headers=as_employer))
    assert mine["id"] == employer["id"] and mine["contact_name"] == "王经理"
    assert [e["id"] for e in ok(await jobs.get("/api/v1/employers", headers=as_employer))["items"]] == [employer["id"]]
    changed = ok(
        await jobs.patch(f"/api/v1/employers/{employer['id']}", json={"address": "江南小区3号楼"}, headers=as_employer)
    )
    assert changed["address"] == "江南小区3号楼"
    assert_problem(
        await jobs.patch(f"/api/v1/employers/{other['id']}", json={"address": "x"}, headers=as_employer), 404
    )

    assert (await jobs.delete(url, headers=staff)).status_code == 204
    assert_problem(await jobs.get("/api/v1/employers/me", headers=as_employer), 404)
    assert_problem(await jobs.delete(url, headers=staff), 404)


async def test_changing_the_phone_reencrypts_and_null_clears_it(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    url = f"/api/v1/employers/{employer['id']}"
    assert (
        ok(await jobs.patch(url, json={"contact_phone": "13900001234"}, headers=staff))["contact_phone"]
        == "139****1234"
    )
    found = ok(await jobs.get("/api/v1/employers", params={"phone": "13900001234"}, headers=staff))["items"]
    assert [e["id"] for e in found] == [employer["id"]]
    assert ok(await jobs.patch(url, json={"contact_phone": None}, headers=staff))["contact_phone"] is None
    (row,) = await db.rows(database_urls["jobs"], "SELECT contact_phone_encrypted, contact_phone_index FROM employer")
    assert row["contact_phone_encrypted"] is None and row["contact_phone_index"] is None
    assert_problem(await jobs.patch(url, json={"name": None}, headers=staff), 422, "name")
