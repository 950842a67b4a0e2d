"""The demo community's life, as a new user finds it: a year of monthly activities (this month's one
full), notices for its places, three volunteer teams on the menu, and red property."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deploy.demo import load_process
from deploy.processes import BY_NAME
from shared import demo
from shared.demo import demo_uuid
from shared.testing import TestKeys
from tests.grids.life_support import resident, staff
from tests.support import db
from tests.support.outbox import outbox


@pytest.fixture(autouse=True)
async def loaded(database_urls: dict[str, str]) -> None:
    await load_process(BY_NAME["grids"], database_urls["grids"])


async def test_a_year_of_monthly_activities_and_this_months_is_full(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    every = (await grids.get("/api/v1/activities", params={"limit": 100}, headers=resident(keys))).json()["items"]
    months = [a["starts_at"][:7] for a in every]
    assert len(every) == 12 and len(set(months)) >= 11  # one a month (this month's may share its month's 15th)
    assert len({a["theme"] for a in every}) == 12
    china_now = datetime.now(UTC) + timedelta(hours=8)
    this_month = (
        await grids.get("/api/v1/activities", params={"month": china_now.strftime("%Y-%m")}, headers=resident(keys))
    ).json()["items"]
    full = [a for a in this_month if a["participants"] == a["capacity"]]
    assert len(full) == 1 and full[0]["volunteers"] == 2 and full[0]["waiting"] == 0
    assert datetime.fromisoformat(full[0]["ends_at"]) > datetime.now(UTC)  # it has not taken place yet
    past = [a for a in every if datetime.fromisoformat(a["ends_at"]) < datetime.now(UTC)]
    assert past and all(a["checked_in"] > 0 for a in past)
    # Past check-ins are history: no points event is written for them.
    assert [e for e in await outbox(database_urls["grids"]) if e.type.startswith("activity.")] == []

    await load_process(BY_NAME["grids"], database_urls["grids"])  # again: nothing twice
    counts = await db.rows(
        database_urls["grids"],
        "SELECT (SELECT count(*) FROM activity) AS a, (SELECT count(*) FROM notice) AS n,"
        " (SELECT count(*) FROM volunteer_team) AS t, (SELECT count(*) FROM joint_meeting) AS m",
    )
    assert dict(counts[0]) == {"a": 12, "n": 6, "t": 3, "m": 8}


async def test_notices_teams_and_red_property(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    grid1 = [n["title"] for n in (await grids.get("/api/v1/notices", headers=resident(keys))).json()["items"]]
    grid2 = [
        n["title"] for n in (await grids.get("/api/v1/notices", headers=resident(keys, "13900000002"))).json()["items"]
    ]
    assert "第一网格3号楼周三停水" in grid1 and "第一网格3号楼周三停水" not in grid2
    assert grid1[0] == "冬季供暖开始"  # pinned
    urgent = [n for n in (await grids.get("/api/v1/notices", headers=staff(keys))).json()["items"] if n["urgent"]]
    assert [n["title"] for n in urgent] == ["紧急: 明日大风降温预警"]

    teams = (await grids.get("/api/v1/teams", headers=staff(keys))).json()["items"]
    assert len(teams) == 3 and all(t["menu_items"] and t["leader_name"] for t in teams)
    haircut = await grids.get(
        "/api/v1/teams", params={"menu_item_id": str(demo_uuid("menu", "义剪"))}, headers=staff(keys)
    )
    assert [t["name"] for t in haircut.json()["items"]] == ["银发义剪队"]

    companies = (await grids.get("/api/v1/property/companies", headers=resident(keys))).json()["items"]
    assert [c["name"] for c in companies if c["has_party_branch"]] == ["江南物业服务有限公司"]
    committees = await grids.get("/api/v1/property/committees", params={"in_office": "true"}, headers=staff(keys))
    assert sorted(c["compound_name"] for c in committees.json()["items"]) == ["晴岚家园", "江南小区"]
    qinglan = (
        await grids.get(f"/api/v1/property/compounds/{demo_uuid('compound', '晴岚家园')}", headers=staff(keys))
    ).json()
    assert qinglan["management"]["mode"] == "self_managed" and len(qinglan["history"]) == 2

    meetings = (await grids.get("/api/v1/property/meetings", params={"limit": 100}, headers=staff(keys))).json()[
        "items"
    ]
    assert len(meetings) == 8 and all(m["problems"] for m in meetings)
    linked = {p["order_id"] for m in meetings for p in m["problems"]}
    assert linked == {str(order_id) for order_id in demo.issue_order_ids()}
    years = (await grids.get("/api/v1/property/stats", headers=staff(keys))).json()["years"]
    assert sum(y["meetings"] for y in years) == 8 and sum(y["problems"] for y in years) == len(linked)
    assert 0 < sum(y["solved"] for y in years) < len(linked)
