"""The catalogue of case classes (案件分类) and a street's own limits: everyone who works cases reads the
classes with their street's limits; a street admin sets and resets them for their street alone; the case loop
takes them from ``limits_for``."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from services.orders.catalogue import service as catalogue
from services.orders.catalogue.classes import CLASSES, STAGES, URGENCIES
from shared.errors import ValidationFailed
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.orders.support import grid_worker, party_member, resident, staff, street
from tests.support.answers import ok
from tests.support.people import machine
from tests.support.places import OTHER_STREET, STREET
from tests.support.problems import assert_problem

ZHANDAO = "20550"  # 事件 / 街面秩序 / 占道经营


def other_street_admin(keys: TestKeys) -> dict[str, str]:
    return keys.headers(sub=str(uuid.uuid4()), roles=["street_admin"], places={"street_admin": [OTHER_STREET]})


def department(keys: TestKeys, code: str = f"{STREET}D01") -> dict[str, str]:
    return keys.headers(sub=str(uuid.uuid4()), roles=["department"], places={"department": [code]}, name="城管中队")


def limit(case_class: dict[str, Any], urgency: str, stage: str) -> dict[str, Any]:
    return next(item for item in case_class["limits"] if item["urgency"] == urgency and item["stage"] == stage)


async def one(orders: httpx.AsyncClient, headers: dict[str, str], code: str = ZHANDAO) -> dict[str, Any]:
    return ok(await orders.get(f"/api/v1/case-classes/{code}", headers=headers))


@pytest.mark.no_db
def test_the_catalogue_is_whole() -> None:
    assert len(CLASSES) >= 50
    names = {case_class.name for case_class in CLASSES.values()}
    for name in ("占道经营", "乱堆物料", "暴露垃圾", "私搭乱建", "飞线充电", "违规广告", "噪音扰民", "道路破损"):
        assert name in names, name
    majors = {(c.type, c.major_name) for c in CLASSES.values()}
    assert {name for kind, name in majors if kind == "component"} == {
        "公用设施", "道路交通", "市容环境", "园林绿化", "房屋土地", "其他设施",
    }  # fmt: skip
    assert {name for kind, name in majors if kind == "event"} == {
        "市容环境", "宣传广告", "施工管理", "突发事件", "街面秩序",
        "市场监管", "房屋管理", "农村管理", "街道管理", "其他事件",
    }  # fmt: skip
    for case_class in CLASSES.values():
        assert len(case_class.code) <= 12 and case_class.code.isdigit()
        assert (
            case_class.code
            == {"component": "1", "event": "2"}[case_class.type] + case_class.major_code + (case_class.code[3:])
        )
        for urgency in URGENCIES:
            assert set(case_class.limits[urgency]) == set(STAGES)
            assert all(1 <= minutes <= 525_600 for minutes in case_class.limits[urgency].values())
            # An urgent case never has longer than a normal one.
            assert all(case_class.limits["urgent"][s] <= case_class.limits["normal"][s] for s in STAGES)
    zhandao = CLASSES[ZHANDAO]
    assert (zhandao.name, zhandao.type, zhandao.major_name) == ("占道经营", "event", "街面秩序")
    assert zhandao.department_kind == "urban_management"


async def test_everyone_who_works_cases_reads_the_catalogue(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    page = ok(await orders.get("/api/v1/case-classes", headers=grid_worker(keys, 1)))
    assert page["street_code"] == STREET and len(page["items"]) == len(CLASSES)
    zhandao = next(item for item in page["items"] if item["code"] == ZHANDAO)
    assert zhandao["name"] == "占道经营" and zhandao["major_code"] == "05" and zhandao["major_name"] == "街面秩序"
    assert zhandao["type"] == "event" and zhandao["department_kind"] == "urban_management"
    assert len(zhandao["limits"]) == 12
    handle = limit(zhandao, "normal", "handle")
    assert handle["minutes"] == handle["national_minutes"] == CLASSES[ZHANDAO].limits["normal"]["handle"]
    assert handle["own"] is False
    for headers in (
        staff(keys),
        street(keys),
        party_member(keys, 1),
        department(keys),
        keys.headers(sub=str(uuid.uuid4()), roles=["volunteer"], places={"volunteer": ["110105001001001"]}),
        machine(keys, ("orders:read",)),
        machine(keys, ("hotline",)),
    ):
        assert ok(await orders.get("/api/v1/case-classes", headers=headers))["street_code"] == STREET
    assert (await orders.get("/api/v1/case-classes", headers=resident(keys))).status_code == 403
    assert (await orders.get("/api/v1/case-classes", headers=machine(keys, ("stats:read",)))).status_code == 403
    assert (await orders.get("/api/v1/case-classes")).status_code == 401


async def test_filters_by_type_and_name(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    events = ok(await orders.get("/api/v1/case-classes?type=event", headers=staff(keys)))["items"]
    assert events and {item["type"] for item in events} == {"event"}
    components = ok(await orders.get("/api/v1/case-classes?type=component", headers=staff(keys)))["items"]
    assert len(events) + len(components) == len(CLASSES)
    found = ok(await orders.get("/api/v1/case-classes", params={"q": "井盖"}, headers=staff(keys)))["items"]
    assert found and all("井盖" in item["name"] for item in found)
    assert {item["type"] for item in found} == {"component"}
    by_major = ok(await orders.get("/api/v1/case-classes", params={"q": "街面秩序"}, headers=staff(keys)))["items"]
    assert ZHANDAO in {item["code"] for item in by_major}
    assert ok(await orders.get("/api/v1/case-classes", params={"q": "没有这种"}, headers=staff(keys)))["items"] == []
    assert_problem(await orders.get("/api/v1/case-classes?type=thing", headers=staff(keys)), 422, "type")


async def test_a_street_sets_its_own_limits_and_another_street_does_not_see_them(
    orders: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory
) -> None:
    body = {
        "limits": [
            {"urgency": "normal", "stage": "handle", "minutes": 180},
            {"urgency": "urgent", "stage": "dispatch", "minutes": 10},
        ]
    }
    changed = ok(await orders.put(f"/api/v1/case-classes/{ZHANDAO}/limits", json=body, headers=street(keys)))
    assert limit(changed, "normal", "handle") == {
        "urgency": "normal",
        "stage": "handle",
        "minutes": 180,
        "national_minutes": CLASSES[ZHANDAO].limits["normal"]["handle"],
        "own": True,
    }
    assert limit(changed, "urgent", "dispatch")["minutes"] == 10
    assert limit(changed, "urgent", "handle")["own"] is False
    # The street's grid workers see them; another street's admin sees the national ones.
    assert limit(await one(orders, grid_worker(keys, 1)), "normal", "handle")["minutes"] == 180
    elsewhere = await one(orders, other_street_admin(keys))
    assert limit(elsewhere, "normal", "handle")["minutes"] == CLASSES[ZHANDAO].limits["normal"]["handle"]
    assert not any(item["own"] for item in elsewhere["limits"])
    # Set again: replaced, not added.
    again = {"limits": [{"urgency": "normal", "stage": "handle", "minutes": 200}]}
    ok(await orders.put(f"/api/v1/case-classes/{ZHANDAO}/limits", json=again, headers=street(keys)))

    # The case loop counts them.
    app = await start_app("orders")
    async with app.state.db.sessionmaker() as session:
        mine = await catalogue.limits_for(session, STREET, ZHANDAO, "normal")
        other = await catalogue.limits_for(session, OTHER_STREET, ZHANDAO, "normal")
        urgent = await catalogue.limits_for(session, STREET, ZHANDAO, "urgent")
        before_filing = await catalogue.limits_for(session, STREET, None, None)
        with pytest.raises(ValidationFailed):
            await catalogue.limits_for(session, STREET, "29999", "normal")
    assert mine == {**CLASSES[ZHANDAO].limits["normal"], "handle": 200}
    assert other == dict(CLASSES[ZHANDAO].limits["normal"])
    assert urgent["dispatch"] == 10 and set(urgent) == set(STAGES)
    assert set(before_filing) == {"verify", "file"}

    # DELETE of one stage, then of the rest: back to the national limits.
    partial = ok(
        await orders.delete(
            f"/api/v1/case-classes/{ZHANDAO}/limits?urgency=urgent&stage=dispatch", headers=street(keys)
        )
    )
    assert limit(partial, "urgent", "dispatch")["own"] is False
    assert limit(partial, "normal", "handle")["minutes"] == 200
    restored = ok(await orders.delete(f"/api/v1/case-classes/{ZHANDAO}/limits", headers=street(keys)))
    assert not any(item["own"] for item in restored["limits"])
    assert limit(await one(orders, staff(keys)), "normal", "handle")["own"] is False


async def test_only_street_admins_set_limits(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    body = {"limits": [{"urgency": "normal", "stage": "handle", "minutes": 100}]}
    for headers in (staff(keys), grid_worker(keys, 1), department(keys), machine(keys, ("orders:read",))):
        answer = await orders.put(f"/api/v1/case-classes/{ZHANDAO}/limits", json=body, headers=headers)
        assert_problem(answer, 403)
        assert_problem(await orders.delete(f"/api/v1/case-classes/{ZHANDAO}/limits", headers=headers), 403)
    assert not any(item["own"] for item in (await one(orders, staff(keys)))["limits"])


async def test_bad_limits_are_refused_naming_the_field(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    url = f"/api/v1/case-classes/{ZHANDAO}/limits"

    async def put(*limits: dict[str, Any]) -> httpx.Response:
        return await orders.put(url, json={"limits": list(limits)}, headers=street(keys))

    assert_problem(await put({"urgency": "normal", "stage": "repair", "minutes": 60}), 422, "limits.0.stage")
    assert_problem(await put({"urgency": "soon", "stage": "handle", "minutes": 60}), 422, "limits.0.urgency")
    assert_problem(await put({"urgency": "normal", "stage": "handle", "minutes": 0}), 422, "limits.0.minutes")
    assert_problem(await put({"urgency": "normal", "stage": "handle", "minutes": 525_601}), 422, "limits.0.minutes")
    twice = {"urgency": "normal", "stage": "handle", "minutes": 60}
    assert_problem(await put(twice, twice), 422, "limits")
    assert_problem(await put(), 422, "limits")
    ok(await put({"urgency": "normal", "stage": "handle", "minutes": 525_600}))
    assert_problem(await orders.delete(f"{url}?stage=repair", headers=street(keys)), 422, "stage")
    # An unknown class is 404, a code of the wrong shape too.
    body = {"limits": [twice]}
    assert_problem(await orders.put("/api/v1/case-classes/29999/limits", json=body, headers=street(keys)), 404)
    assert_problem(await orders.get("/api/v1/case-classes/nothing", headers=street(keys)), 404)
    # A street admin of two streets says which; one not theirs is 404.
    both = keys.headers(sub=str(uuid.uuid4()), roles=["street_admin"], places={"street_admin": [STREET, OTHER_STREET]})
    assert_problem(await orders.put(url, json=body, headers=both), 422, "street_code")
    assert_problem(await orders.get("/api/v1/case-classes", headers=both), 422, "street_code")
    chosen = ok(await orders.put(f"{url}?street_code={OTHER_STREET}", json=body, headers=both))
    assert limit(chosen, "normal", "handle")["own"] is True
    assert_problem(await orders.put(f"{url}?street_code={OTHER_STREET}", json=body, headers=street(keys)), 404)
