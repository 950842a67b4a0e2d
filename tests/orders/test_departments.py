"""A street's departments (职能部门) as the street meets them: its admins register and keep them, its people
and systems read them; and what a department's account sees of the orders: only the cases dispatched or
called to it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from shared.demo import STREET
from shared.testing import TestKeys
from tests.orders.support import add_menu_item, grid_worker, party_member, place, resident, staff, street
from tests.support import db
from tests.support.answers import ok
from tests.support.outbox import outbox
from tests.support.people import department, machine
from tests.support.places import OTHER_STREET, OTHER_STREET_COMMUNITY
from tests.support.problems import assert_problem

D01, D02 = f"{STREET}D01", f"{STREET}D02"


def other_street_admin(keys: TestKeys) -> dict[str, str]:
    return keys.headers(sub=str(uuid.uuid4()), roles=["street_admin"], places={"street_admin": [OTHER_STREET]})


async def register(
    orders: httpx.AsyncClient, keys: TestKeys, name: str, kind: str, by: dict[str, str] | None = None, **extra: str
) -> httpx.Response:
    body = {"name": name, "kind": kind, **extra}
    return await orders.post("/api/v1/departments", json=body, headers=by or street(keys))


async def test_a_street_admin_registers_departments_with_the_streets_next_codes(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    chengguan = ok(await register(orders, keys, "城管执法队", "urban_management", phone="010-65001201"), 201)
    assert chengguan["code"] == D01 and chengguan["street_code"] == STREET and chengguan["active"] is True
    assert chengguan["phone"] == "010-65001201"
    market = ok(await register(orders, keys, "市场监管所", "market_regulation"), 201)
    assert market["code"] == D02 and market["phone"] is None

    twice = assert_problem(await register(orders, keys, "城管执法队", "other"), 409, "name")
    assert D01 in twice["detail"]
    assert_problem(await register(orders, keys, "燃气公司", "coal"), 422, "kind")
    assert_problem(await register(orders, keys, "燃气公司", "gas", phone="138 0000 0000"), 422, "phone")
    # Staff and grid workers read the street's departments; only its admins register them.
    assert_problem(await register(orders, keys, "燃气公司", "gas", by=staff(keys)), 403)
    elsewhere = ok(await register(orders, keys, "城管执法队", "urban_management", by=other_street_admin(keys)), 201)
    assert elsewhere["code"] == f"{OTHER_STREET}D01"  # each street counts its own

    events = await outbox(database_urls["orders"], "department.created")
    assert [e.payload["department_code"] for e in events] == [D01, D02, f"{OTHER_STREET}D01"]
    assert events[0].payload == {
        "department_code": D01,
        "street_code": STREET,
        "kind": "urban_management",
        "active": True,
    }


async def test_the_streets_people_and_systems_read_its_departments_only(
    orders: httpx.AsyncClient, keys: TestKeys
) -> None:
    ok(await register(orders, keys, "城管执法队", "urban_management"), 201)
    ok(await register(orders, keys, "市场监管所", "market_regulation"), 201)
    ok(await register(orders, keys, "环卫所", "sanitation", by=other_street_admin(keys)), 201)

    for reader in (
        street(keys),
        staff(keys),
        grid_worker(keys, 1),
        department(keys, D02),
        machine(keys, ("orders:read",)),
        machine(keys, ("hotline",)),
    ):
        listed = ok(await orders.get("/api/v1/departments", headers=reader))
        assert [(d["code"], d["name"], d["kind"]) for d in listed["items"]] == [
            (D01, "城管执法队", "urban_management"),
            (D02, "市场监管所", "market_regulation"),
        ]
        assert ok(await orders.get(f"/api/v1/departments/{D01}", headers=reader))["name"] == "城管执法队"
    assert_problem(await orders.get(f"/api/v1/departments/{OTHER_STREET}D01", headers=staff(keys)), 404)
    assert_problem(await orders.get("/api/v1/departments", headers=party_member(keys, 1)), 403)
    assert_problem(await orders.get("/api/v1/departments", headers=resident(keys)), 403)
    assert_problem(await orders.get("/api/v1/departments", headers=machine(keys, ("stats:read",))), 403)
    other_staff = staff(keys, OTHER_STREET_COMMUNITY)
    assert [d["code"] for d in ok(await orders.get("/api/v1/departments", headers=other_staff))["items"]] == [
        f"{OTHER_STREET}D01"
    ]


async def test_a_street_admin_renames_a_department_and_takes_it_out_of_service(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    ok(await register(orders, keys, "城管执法队", "urban_management"), 201)
    ok(await register(orders, keys, "市场监管所", "market_regulation"), 201)
    changed = ok(
        await orders.patch(
            f"/api/v1/departments/{D01}", json={"name": "城管执法中队", "phone": "010-65001299"}, headers=street(keys)
        )
    )
    assert changed["name"] == "城管执法中队" and changed["phone"] == "010-65001299" and changed["code"] == D01
    taken = await orders.patch(f"/api/v1/departments/{D01}", json={"name": "市场监管所"}, headers=street(keys))
    assert_problem(taken, 409, "name")
    nameless = await orders.patch(f"/api/v1/departments/{D01}", json={"name": None}, headers=street(keys))
    assert_problem(nameless, 422, "name")
    ok(await orders.patch(f"/api/v1/departments/{D02}", json={"active": False}, headers=street(keys)))
    active = ok(await orders.get("/api/v1/departments?active=true", headers=staff(keys)))["items"]
    assert [d["code"] for d in active] == [D01]
    inactive = ok(await orders.get("/api/v1/departments?active=false", headers=staff(keys)))["items"]
    assert [d["code"] for d in inactive] == [D02]

    assert_problem(await orders.patch(f"/api/v1/departments/{D01}", json={"active": False}, headers=staff(keys)), 403)
    refused = await orders.patch(f"/api/v1/departments/{D01}", json={"active": False}, headers=other_street_admin(keys))
    assert_problem(refused, 404)
    events = await outbox(database_urls["orders"], "department.updated")
    assert [(e.aggregate_id, e.payload["changed"], e.payload["active"]) for e in events] == [
        (D01, ["name", "phone"], True),
        (D02, ["active"], False),
    ]


# -- what a department's account sees -------------------------------------------------------------------


@pytest.mark.usefixtures("roster")
async def test_a_department_sees_only_the_cases_dispatched_to_it(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    item = await add_menu_item(orders, keys)
    ours = await place(orders, resident(keys), item["id"])
    neighbours = await place(orders, resident(keys, "13900000002"), item["id"])
    quiet = await place(orders, resident(keys, "13900000003"), item["id"])
    # The loop's dispatch to a department is the case loop's; here the column is set as it would set it.
    await db.execute(
        database_urls["orders"],
        "UPDATE service_order SET department_code = $1 WHERE id = $2",
        D01,
        uuid.UUID(ours["id"]),
    )
    await db.execute(
        database_urls["orders"],
        "UPDATE service_order SET department_code = $1 WHERE id = $2",
        D02,
        uuid.UUID(neighbours["id"]),
    )

    cg = department(keys, D01)
    assert ok(await orders.get(f"/api/v1/orders/{ours['id']}", headers=cg))["id"] == ours["id"]
    assert ok(await orders.get(f"/api/v1/orders/{ours['id']}/timeline", headers=cg))["steps"][0]["action"] == "place"
    assert_problem(await orders.get(f"/api/v1/orders/{neighbours['id']}", headers=cg), 404)
    assert_problem(await orders.get(f"/api/v1/orders/{quiet['id']}", headers=cg), 404)
    assert [o["id"] for o in ok(await orders.get("/api/v1/orders", headers=cg))["items"]] == [ours["id"]]

    scjg = department(keys, D02)
    assert [o["id"] for o in ok(await orders.get("/api/v1/orders", headers=scjg))["items"]] == [neighbours["id"]]
    assert_problem(await orders.get(f"/api/v1/orders/{ours['id']}", headers=scjg), 404)
    # A department of another street with the same number sees nothing of this street's.
    stranger = department(keys, f"{OTHER_STREET}D01")
    assert ok(await orders.get("/api/v1/orders", headers=stranger))["items"] == []
    assert_problem(await orders.get(f"/api/v1/orders/{ours['id']}", headers=stranger), 404)
