"""The registry as staff and grid workers meet it: personal data never in clear, reveals audited,
scope in the SQL, search by name, pinyin, phone or ID number."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from shared import demo
from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid
from shared.testing import TestKeys
from tests.residents.ids import bad_check_digit, id_number
from tests.support import db
from tests.support.outbox import outbox
from tests.support.places import OTHER_STREET_COMMUNITY

STAFF = {"roles": ["community_staff"], "places": {"community_staff": [COMMUNITY]}}


def staff(keys: TestKeys) -> dict[str, str]:
    return keys.headers(sub=str(uuid.uuid4()), **STAFF)


def worker(keys: TestKeys, grid: str) -> dict[str, str]:
    return keys.headers(sub=str(uuid.uuid4()), roles=["grid_worker"], places={"grid_worker": [grid]})


HOME = demo.households_of_grid(GRIDS[0])[40]


async def register(client: httpx.AsyncClient, keys: TestKeys, **fields: Any) -> httpx.Response:
    body = {
        "household_id": str(HOME.id),
        "name": "张三",
        "id_number": id_number("19800101"),
        "phone": "13812341234",
        "relation": "other",
        "residence_type": "registered",
    } | fields
    return await client.post("/api/v1/residents", json=body, headers=staff(keys))


async def test_personal_data_is_never_stored_or_answered_in_clear(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None, database_urls: dict[str, str]
) -> None:
    number = id_number("19800101")
    created = await register(residents, keys, id_number=number)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id_number"] == number[:6] + "********" + number[-4:] and body["phone"] == "138****1234"
    assert body["gender"] == "M" and body["birth_date"] == "1980-01-01"
    row = await db.row(database_urls["residents"], "SELECT * FROM resident WHERE id = $1", uuid.UUID(body["id"]))
    events = [json.dumps(e.payload, ensure_ascii=False) for e in await outbox(database_urls["residents"])]
    assert row is not None
    stored = " ".join(str(v) + (v.hex() if isinstance(v, bytes) else "") for v in row.values())
    assert number not in stored
    assert "13812341234" not in stored
    assert events and all(number not in e and "1381234" not in e for e in events)


async def test_a_reveal_answers_the_clear_values_and_is_audited_for_good(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None, database_urls: dict[str, str]
) -> None:
    number = id_number("19800101")
    resident = (await register(residents, keys, id_number=number)).json()
    gw1 = worker(keys, GRIDS[0])
    asked = {"fields": ["phone", "id_number"], "purpose": "上门核实低保申请"}
    revealed = await residents.post(f"/api/v1/residents/{resident['id']}/reveal", json=asked, headers=gw1)
    assert revealed.status_code == 200
    assert revealed.json() == {"phone": "13812341234", "id_number": number}
    other_grid = await residents.post(
        f"/api/v1/residents/{resident['id']}/reveal", json=asked, headers=worker(keys, GRIDS[1])
    )
    assert other_grid.status_code == 404
    street = keys.headers(sub="s", roles=["street_admin"], places={"street_admin": [STREET]})
    assert (
        await residents.post(f"/api/v1/residents/{resident['id']}/reveal", json=asked, headers=street)
    ).status_code == 403

    audit = (await residents.get("/api/v1/residents/reveals", headers=staff(keys))).json()["items"]
    assert len(audit) == 1
    assert audit[0]["role"] == "grid_worker" and audit[0]["purpose"] == "上门核实低保申请"
    assert audit[0]["fields"] == ["id_number", "phone"] and audit[0]["request_id"] == revealed.headers["x-request-id"]
    url = database_urls["residents"]
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.execute(url, "UPDATE reveal_audit SET purpose = 'nothing'")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.execute(url, "DELETE FROM reveal_audit")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.execute(url, "TRUNCATE reveal_audit")
    assert await db.value(url, "SELECT count(*) FROM reveal_audit") == 1


async def test_bad_input_names_the_field_without_echoing_it(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None
) -> None:
    wrong = bad_check_digit(id_number("19800101"))
    bad_id = await register(residents, keys, id_number=wrong)
    assert bad_id.status_code == 422 and bad_id.json()["errors"][0]["field"] == "id_number"
    assert wrong not in bad_id.text
    bad_phone = await register(residents, keys, phone="12345678901")
    assert bad_phone.status_code == 422 and bad_phone.json()["errors"][0]["field"] == "phone"
    assert "12345678901" not in bad_phone.text
    for field, value in (("skills", ["电工" * 26]), ("tags", ["x" * 41]), ("skills", [""])):
        too_long = await register(residents, keys, **{field: value})
        assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == f"{field}.0"
    assert (await register(residents, keys)).status_code == 201
    assert (await register(residents, keys, phone=None)).status_code == 409  # the same ID number again
    child = await register(residents, keys, id_number=id_number("20200601", "246"), phone=None, relation="child")
    assert child.status_code == 422 and child.json()["errors"][0]["field"] == "guardian_id"
    relocated = await register(residents, keys, id_number=id_number("19700101", "111"), residence_type="relocated")
    assert relocated.status_code == 422 and relocated.json()["errors"][0]["field"] == "origin_township"


async def test_scope_and_search_through_the_demo_registry(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None
) -> None:
    gw1 = worker(keys, GRIDS[0])
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (
            await residents.get(
                "/api/v1/residents", params={"limit": 100, **({"cursor": cursor} if cursor else {})}, headers=gw1
            )
        ).json()
        seen += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert seen and {r["grid_code"] for r in seen} == {GRIDS[0]}
    assert all("****" in r["id_number"] for r in seen)
    someone_else = demo_uuid("resident", "13900000002")  # lives in grid 2
    assert (await residents.get(f"/api/v1/residents/{someone_else}", headers=gw1)).status_code == 404

    head = demo_uuid("resident", "13900000001")
    me = (await residents.get(f"/api/v1/residents/{head}", headers=gw1)).json()
    by_phone = (await residents.get("/api/v1/residents", params={"q": "13900000001"}, headers=gw1)).json()["items"]
    assert [r["id"] for r in by_phone] == [str(head)]
    from services.residents.people import name_keys

    pinyin, initials = name_keys(me["name"])
    for q in (pinyin, pinyin[:3], initials, me["name"], me["name"][:1]):
        found = (await residents.get("/api/v1/residents", params={"q": q, "limit": 100}, headers=gw1)).json()
        assert str(head) in {r["id"] for r in found["items"]}, q
    elderly = (await residents.get("/api/v1/residents", params={"min_age": 80, "limit": 100}, headers=gw1)).json()
    assert elderly["items"] and all("elderly" in r["tags"] for r in elderly["items"])

    resident = keys.headers(
        sub=str(demo_uuid("account", "13900000001")),
        roles=["resident"],
        resident_id=str(head),
        household_id=str(demo_uuid("household", "13900000001")),
        grid_code=GRIDS[0],
    )
    own = (await residents.get("/api/v1/residents", params={"limit": 100}, headers=resident)).json()["items"]
    assert own and {r["household_id"] for r in own} == {str(demo_uuid("household", "13900000001"))}


async def test_sensitive_tags_only_for_roles_that_need_them(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None
) -> None:
    created = await register(residents, keys, tags=["disabled", "veteran"])
    assert created.json()["tags"] == ["disabled", "veteran"]
    street = keys.headers(sub="s", roles=["street_admin"], places={"street_admin": [STREET]})
    seen = (await residents.get(f"/api/v1/residents/{created.json()['id']}", headers=street)).json()
    assert seen["tags"] == ["veteran"]
    by_tag = await residents.get("/api/v1/residents", params={"tag": "disabled"}, headers=street)
    assert by_tag.json()["items"] == []


async def test_the_gateway_looks_a_resident_up_by_phone(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None
) -> None:
    internal = keys.headers(sub="service:gateway", aud="grid-platform-integrations", scope="internal")
    found = await residents.post("/internal/residents/lookup", json={"phone": "13900000003"}, headers=internal)
    assert found.status_code == 200, found.text
    answer = found.json()
    assert {k: answer[k] for k in ("resident_id", "household_id", "grid_code")} == {
        "resident_id": str(demo_uuid("resident", "13900000003")),
        "household_id": str(demo_uuid("household", "13900000003")),
        "grid_code": GRIDS[2],
    }
    assert answer["name"]  # what the account a resident's first SMS sign-in makes is called
    assert (
        await residents.post("/internal/residents/lookup", json={"phone": "13900000099"}, headers=internal)
    ).status_code == 404
    assert (
        await residents.post("/internal/residents/lookup", json={"phone": "13900000003"}, headers=staff(keys))
    ).status_code == 403


async def test_staff_add_a_compound_a_building_and_a_household_then_a_resident(
    residents: httpx.AsyncClient, keys: TestKeys, demo_grids: None
) -> None:
    headers = staff(keys)
    compound = await residents.post(
        "/api/v1/compounds", json={"name": "新苑小区", "community_code": COMMUNITY}, headers=headers
    )
    assert compound.status_code == 201, compound.text
    again = await residents.post(
        "/api/v1/compounds", json={"name": "新苑小区", "community_code": COMMUNITY}, headers=headers
    )
    assert again.status_code == 409
    elsewhere = await residents.post(
        "/api/v1/compounds", json={"name": "别处小区", "community_code": OTHER_STREET_COMMUNITY}, headers=headers
    )
    assert elsewhere.status_code == 404
    building = await residents.post(
        "/api/v1/buildings",
        json={"compound_id": compound.json()["id"], "name": "1号楼", "grid_code": GRIDS[2], "floors": 6},
        headers=headers,
    )
    assert building.status_code == 201 and building.json()["grid_code"] == GRIDS[2]
    flat = {"building_id": building.json()["id"], "unit": "1单元", "room": "101"}
    gw1 = worker(keys, GRIDS[0])
    assert (await residents.post("/api/v1/households", json=flat, headers=gw1)).status_code == 404  # not gw1's grid
    household = await residents.post("/api/v1/households", json=flat, headers=worker(keys, GRIDS[2]))
    assert household.status_code == 201 and household.json()["address"] == "新苑小区1号楼1单元101"
    assert household.json()["compound_id"] == compound.json()["id"]
    assert (await residents.post("/api/v1/households", json=flat, headers=headers)).status_code == 409
    created = await register(residents, keys, household_id=household.json()["id"])
    assert created.status_code == 201 and created.json()["grid_code"] == GRIDS[2]


async def test_a_household_names_its_compound_and_a_compound_is_seen_within_its_community(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None
) -> None:
    """Other services target notices and committees by compound: a resident's household answers it."""
    home = demo.households_of_grid(GRIDS[2])[0]
    resident = keys.headers(sub=str(uuid.uuid4()), roles=["resident"], household_id=str(home.id), grid_code=GRIDS[2])
    household = await residents.get(f"/api/v1/households/{home.id}", headers=resident)
    assert household.status_code == 200 and household.json()["compound_id"] == str(demo_uuid("compound", "晴岚家园"))
    compound = await residents.get(f"/api/v1/compounds/{household.json()['compound_id']}", headers=resident)
    assert compound.status_code == 200
    assert compound.json() == {
        "id": str(demo_uuid("compound", "晴岚家园")),
        "name": "晴岚家园",
        "community_code": COMMUNITY,
        "street_code": STREET,
    }
    other_community = keys.headers(sub=str(uuid.uuid4()), roles=["community_staff"],
                                   places={"community_staff": [OTHER_STREET_COMMUNITY]})  # fmt: skip
    assert (
        await residents.get(f"/api/v1/compounds/{compound.json()['id']}", headers=other_community)
    ).status_code == 404
    assert (await residents.get(f"/api/v1/compounds/{uuid.uuid4()}", headers=staff(keys))).status_code == 404
