"""Red property (红色物业): companies and their party branches, who manages a compound and the handovers,
committees and their terms (换届), joint meetings with the issue orders they dealt with."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from deploy.demo import run_loader
from services.orders.demo import load as load_orders
from shared import demo
from shared.demo import COMMUNITY, STREET, demo_uuid
from shared.testing import TestKeys
from tests.grids.life_support import OTHER_STREET_COMMUNITY, resident, staff
from tests.support import db
from tests.support.outbox import payloads

JIANGNAN = demo_uuid("compound", "江南小区")


pytestmark = pytest.mark.usefixtures("roster", "registry")  # the demo places and who lives there


async def company(grids: httpx.AsyncClient, keys: TestKeys, **fields: Any) -> dict[str, Any]:
    answer = await grids.post("/api/v1/property/companies", json={"name": "江南物业"} | fields, headers=staff(keys))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_who_manages_a_compound_and_the_handovers(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    old = await company(grids, keys, party_branch="江南物业党支部")
    new = await company(grids, keys, name="新城物业")
    assert (old["has_party_branch"], new["has_party_branch"]) == (True, False)
    assert (
        await grids.post("/api/v1/property/companies", json={"name": "江南物业"}, headers=staff(keys))
    ).status_code == 409

    url = f"/api/v1/property/compounds/{JIANGNAN}/management"
    day = date(2024, 1, 1)
    first = await grids.post(url, json={"mode": "company", "company_id": old["id"], "started_on": str(day)},
                             headers=staff(keys))  # fmt: skip
    assert first.status_code == 201 and first.json()["company_name"] == "江南物业"
    assert first.json()["compound_name"] == "江南小区"
    left = await grids.post(
        url, json={"mode": "self_managed", "started_on": str(day + timedelta(days=400)), "handover_notes": "物业撤场"},
        headers=staff(keys),
    )  # fmt: skip
    assert left.status_code == 201
    handed = await grids.post(
        url,
        json={"mode": "company", "company_id": new["id"], "started_on": str(day + timedelta(days=600)),
              "handover_notes": "新老物业交接: 钥匙、图纸、维修资金账目"},
        headers=staff(keys),
    )  # fmt: skip
    assert handed.status_code == 201
    cases = [
        ({"mode": "company", "company_id": old["id"], "started_on": str(day)}, "started_on"),
        ({"mode": "company", "started_on": "2030-01-01"}, "company_id"),
        ({"mode": "self_managed", "company_id": old["id"], "started_on": "2030-01-01"}, "company_id"),
        ({"mode": "company", "company_id": str(uuid.uuid4()), "started_on": "2030-01-01"}, "company_id"),
        ({"mode": "company", "company_id": old["id"], "started_on": "1900-01-01"}, "started_on"),
    ]
    for body, field in cases:
        answer = await grids.post(url, json=body, headers=staff(keys))
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, (body, answer.text)
    same = {"mode": "company", "company_id": new["id"], "started_on": "2030-01-01"}
    assert (await grids.post(url, json=same, headers=staff(keys))).status_code == 409
    nowhere = await grids.post(f"/api/v1/property/compounds/{uuid.uuid4()}/management", json=same, headers=staff(keys))
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "compound_id"
    assert (await db.rows(database_urls["grids"], "SELECT count(*) AS n FROM compound_management"))[0]["n"] == 3
    changes = await payloads(database_urls["grids"], "property.management_changed")
    assert [(e["mode"], e["previous_company_id"], e["street_code"]) for e in changes] == [
        ("company", None, STREET),
        ("self_managed", old["id"], STREET),
        ("company", None, STREET),
    ]

    record = (await grids.get(f"/api/v1/property/compounds/{JIANGNAN}", headers=resident(keys))).json()
    assert record["management"]["company_name"] == "新城物业" and record["management"]["ended_on"] is None
    assert [(p["mode"], p["company_name"], p["ended_on"]) for p in record["history"]] == [
        ("company", "新城物业", None),
        ("self_managed", None, str(day + timedelta(days=600))),
        ("company", "江南物业", str(day + timedelta(days=400))),
    ]
    assert (await grids.get(f"/api/v1/property/companies/{new['id']}", headers=resident(keys))).json()["compounds"] == [
        "江南小区"
    ]
    assert (await grids.get(f"/api/v1/property/companies/{old['id']}", headers=resident(keys))).json()[
        "compounds"
    ] == []
    other = staff(keys, OTHER_STREET_COMMUNITY)
    assert (await grids.get(f"/api/v1/property/compounds/{JIANGNAN}", headers=other)).status_code == 404
    assert (await grids.post(url, json=same | {"started_on": "2031-01-01"}, headers=other)).status_code == 422
    assert (await grids.patch(f"/api/v1/property/companies/{old['id']}", json={"party_branch": None},
                              headers=other)).status_code == 404  # fmt: skip
    dropped = await grids.patch(f"/api/v1/property/companies/{old['id']}", json={"party_branch": None},
                                headers=staff(keys))  # fmt: skip
    assert dropped.status_code == 200 and dropped.json()["has_party_branch"] is False


async def test_committees_and_their_terms(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    owner, deputy = str(demo_uuid("resident", "13900000001")), str(demo_uuid("resident", "13900000002"))
    body = {
        "kind": "owners_committee",
        "compound_id": str(JIANGNAN),
        "name": "江南小区第一届业主委员会",
        "term_starts_on": "2021-06-01",
        "term_ends_on": "2026-05-31",
        "members": [
            {"member_id": str(demo_uuid("member", "pm1")), "position": "member"},
            {"resident_id": deputy, "position": "deputy_director"},
            {"resident_id": owner, "position": "director"},
        ],
    }
    created = await grids.post("/api/v1/property/committees", json=body, headers=staff(keys))
    assert created.status_code == 201, created.text
    members = created.json()["members"]
    assert [(m["resident_id"], m["name"], m["position"]) for m in members] == [
        (owner, None, "director"),
        (deputy, None, "deputy_director"),
        (None, "党员1", "member"),
    ]
    assert (await grids.post("/api/v1/property/committees", json=body, headers=staff(keys))).status_code == 409
    stranger = body | {"kind": "management_committee", "members": [{"resident_id": str(uuid.uuid4())}]}
    refused = await grids.post("/api/v1/property/committees", json=stranger, headers=staff(keys))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "members.0.resident_id"
    backwards = body | {"kind": "management_committee", "term_ends_on": "2020-01-01", "members": []}
    refused = await grids.post("/api/v1/property/committees", json=backwards, headers=staff(keys))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "term_ends_on"

    url = f"/api/v1/property/committees/{created.json()['id']}/re-elect"
    director = {"resident_id": str(demo_uuid("resident", "13900000005")), "position": "director"}
    election = {"name": "江南小区第二届业主委员会", "term_starts_on": "2026-06-01", "term_ends_on": "2031-05-31",
                "members": [director]}  # fmt: skip
    assert (await grids.post(url, json=election, headers=staff(keys, OTHER_STREET_COMMUNITY))).status_code == 404
    second = await grids.post(url, json=election, headers=staff(keys))
    assert second.status_code == 201 and second.json()["previous_id"] == created.json()["id"]
    assert (await grids.post(url, json=election, headers=staff(keys))).status_code == 409  # that term has ended
    first = (await grids.get(f"/api/v1/property/committees/{created.json()['id']}", headers=resident(keys))).json()
    assert first["ended_on"] == "2026-06-01"
    in_office = await grids.get("/api/v1/property/committees", params={"in_office": "true"}, headers=resident(keys))
    assert [c["name"] for c in in_office.json()["items"]] == ["江南小区第二届业主委员会"]
    every = await grids.get("/api/v1/property/committees", params={"compound_id": str(JIANGNAN)}, headers=staff(keys))
    assert [c["name"] for c in every.json()["items"]] == ["江南小区第二届业主委员会", "江南小区第一届业主委员会"]
    compound = (await grids.get(f"/api/v1/property/compounds/{JIANGNAN}", headers=staff(keys))).json()
    assert [c["name"] for c in compound["committees"]] == ["江南小区第二届业主委员会"]


async def test_a_joint_meeting_lists_the_issue_orders_it_dealt_with(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await run_loader(load_orders, database_urls["orders"])
    issues = [str(order_id) for order_id in demo.issue_order_ids()[:3]]
    service_order = str(demo_uuid("order", "0"))
    body = {
        "compound_id": str(JIANGNAN),
        "title": "江南小区红色物业联席会议",
        "held_at": "2026-03-12T14:00:00+08:00",
        "attendees": ["江南社区党委", "江南物业党支部", "江南小区业主委员会"],
        "decisions": "物业一周内修复漏水; 油烟问题约谈商户",
        "problems": [
            {"order_id": issues[0], "category": "leak", "summary": "3号楼顶层漏水", "solved_on": "2026-03-20"},
            {"order_id": issues[1], "category": "fumes", "summary": "底商油烟扰民"},
        ],
    }
    bad = [
        ([{"order_id": service_order, "category": "leak"}], "problems.0.order_id"),
        ([{"order_id": issues[0], "category": "leak"}, {"order_id": str(uuid.uuid4()), "category": "noise"}],
         "problems.1.order_id"),
        ([{"order_id": issues[0], "category": "gossip"}], "problems.0.category"),
    ]  # fmt: skip
    for problems, field in bad:
        answer = await grids.post("/api/v1/property/meetings", json=body | {"problems": problems}, headers=staff(keys))
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
    assert (await db.rows(database_urls["grids"], "SELECT count(*) AS n FROM joint_meeting"))[0]["n"] == 0

    created = await grids.post("/api/v1/property/meetings", json=body, headers=staff(keys))
    assert created.status_code == 201, created.text
    meeting = created.json()
    assert meeting["compound_name"] == "江南小区" and meeting["community_code"] == COMMUNITY
    assert sorted(p["order_id"] for p in meeting["problems"]) == sorted(issues[:2])
    assert all(p["grid_code"] for p in meeting["problems"])

    url = f"/api/v1/property/meetings/{meeting['id']}"
    added = await grids.post(f"{url}/problems", json={"order_id": issues[2], "category": "noise"}, headers=staff(keys))
    assert added.status_code == 201
    again = await grids.post(f"{url}/problems", json={"order_id": issues[2], "category": "noise"}, headers=staff(keys))
    assert again.status_code == 200
    solved = await grids.patch(f"{url}/problems/{issues[1]}", json={"solved_on": "2027-01-05"}, headers=staff(keys))
    assert solved.status_code == 200 and solved.json()["solved_on"] == "2027-01-05"

    seen = (await grids.get(url, headers=resident(keys))).json()
    assert sorted(p["order_id"] for p in seen["problems"]) == sorted(issues)
    by_order = await grids.get("/api/v1/property/meetings", params={"order_id": issues[2]}, headers=staff(keys))
    assert [m["id"] for m in by_order.json()["items"]] == [meeting["id"]]
    assert (await grids.get(url, headers=staff(keys, OTHER_STREET_COMMUNITY))).status_code == 404
    assert (await grids.post(f"{url}/problems", json={"order_id": issues[3 - 1], "category": "noise"},
                             headers=resident(keys))).status_code == 403  # fmt: skip

    stats = (await grids.get("/api/v1/property/stats", headers=staff(keys))).json()
    assert stats["years"] == [
        {"year": 2026, "meetings": 1, "problems": 3, "solved": 1},
        {"year": 2027, "meetings": 0, "problems": 0, "solved": 1},
    ]
