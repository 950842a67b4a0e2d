"""Volunteer teams (志愿服务队): a leader and members, the menu items they take on (found by dispatch),
and their hours and points per month from the activities they organised."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deploy.demo import run_loader
from services.residents.demo import load as load_registry
from shared.demo import demo_uuid
from shared.testing import TestKeys
from tests.grids.life_support import OTHER_STREET_COMMUNITY, party_member, publish, resident, staff
from tests.orders.support import add_menu_item
from tests.support import db

pytestmark = pytest.mark.usefixtures("roster")  # the demo roster, for every test here


async def test_a_team_takes_on_menu_items_and_dispatch_finds_it(
    grids: httpx.AsyncClient, orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    haircut = await add_menu_item(orders, keys, name="义剪")
    company = await add_menu_item(orders, keys, name="陪伴", category="companionship")
    body = {
        "name": "银发理发志愿服务队",
        "services": ["义剪", "上门理发"],
        "leader_member_id": str(demo_uuid("member", "pm1")),
        "menu_item_ids": [haircut["id"]],
    }
    bad = await grids.post("/api/v1/teams", json=body | {"menu_item_ids": [haircut["id"], str(uuid.uuid4())]},
                           headers=staff(keys))  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "menu_item_ids.1"
    nobody = await grids.post("/api/v1/teams", json=body | {"leader_member_id": str(uuid.uuid4())}, headers=staff(keys))
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["field"] == "leader_member_id"
    assert (await db.rows(database_urls["grids"], "SELECT count(*) AS n FROM volunteer_team"))[0]["n"] == 0

    created = await grids.post("/api/v1/teams", json=body, headers=staff(keys))
    assert created.status_code == 201, created.text
    team = created.json()
    assert (team["leader_name"], team["members"]) == ("党员1", 1)
    assert team["menu_items"] == [{"menu_item_id": haircut["id"], "name": "义剪"}]
    assert (await grids.post("/api/v1/teams", json=body, headers=staff(keys))).status_code == 409

    found = await grids.get("/api/v1/teams", params={"menu_item_id": haircut["id"]}, headers=staff(keys))
    assert [t["id"] for t in found.json()["items"]] == [team["id"]]
    none = await grids.get("/api/v1/teams", params={"menu_item_id": company["id"]}, headers=staff(keys))
    assert none.json()["items"] == []
    changed = await grids.patch(f"/api/v1/teams/{team['id']}", json={"menu_item_ids": [company["id"]]},
                                headers=staff(keys))  # fmt: skip
    assert changed.status_code == 200 and [m["name"] for m in changed.json()["menu_items"]] == ["陪伴"]

    # Residents of the community see the team; another community's staff do not, nor may they change it.
    assert (await grids.get(f"/api/v1/teams/{team['id']}", headers=resident(keys))).status_code == 200
    other = staff(keys, OTHER_STREET_COMMUNITY)
    assert (await grids.get(f"/api/v1/teams/{team['id']}", headers=other)).status_code == 404
    assert (await grids.patch(f"/api/v1/teams/{team['id']}", json={"name": "x"}, headers=other)).status_code == 404


async def test_members_of_the_roster_and_residents(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await run_loader(load_registry, database_urls["residents"])
    team = (
        await grids.post(
            "/api/v1/teams", json={"name": "红马甲", "leader_member_id": str(demo_uuid("member", "pm1"))},
            headers=staff(keys),
        )
    ).json()  # fmt: skip
    url = f"/api/v1/teams/{team['id']}/members"
    pm3 = await grids.post(url, json={"member_id": str(demo_uuid("member", "pm3"))}, headers=staff(keys))
    assert pm3.status_code == 201 and pm3.json()["name"] == "党员3"
    assert (
        await grids.post(url, json={"member_id": str(demo_uuid("member", "pm3"))}, headers=staff(keys))
    ).status_code == 200
    neighbour = str(demo_uuid("resident", "13900000004"))
    joined = await grids.post(url, json={"resident_id": neighbour}, headers=staff(keys))
    assert joined.status_code == 201 and (joined.json()["resident_id"], joined.json()["name"]) == (neighbour, None)
    stranger = await grids.post(url, json={"resident_id": str(uuid.uuid4())}, headers=staff(keys))
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "resident_id"
    both = await grids.post(url, json={}, headers=staff(keys))
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "member_id"

    members = (await grids.get(url, headers=party_member(keys, 1))).json()["items"]
    assert [m["name"] for m in members] == ["党员1", "党员3", None]
    assert (await grids.get(url, headers=resident(keys))).status_code == 403
    leader = members[0]
    assert (await grids.delete(f"{url}/{leader['id']}", headers=staff(keys))).status_code == 409
    assert (
        await grids.delete(f"{url}/{pm3.json()['id']}", headers=staff(keys, OTHER_STREET_COMMUNITY))
    ).status_code == 404
    assert (await grids.delete(f"{url}/{pm3.json()['id']}", headers=staff(keys))).status_code == 204
    assert (await grids.get(f"/api/v1/teams/{team['id']}", headers=staff(keys))).json()["members"] == 2


async def test_the_teams_hours_and_points_per_month(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    team = (await grids.post("/api/v1/teams", json={"name": "义剪队"}, headers=staff(keys))).json()
    starts = datetime.now(UTC) + timedelta(minutes=30)
    activity = await publish(
        grids, keys, organiser_kind="volunteer_team", organiser_id=team["id"], points=5,
        starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=2)).isoformat(),
    )  # fmt: skip
    assert activity["organiser_name"] == "义剪队"
    await publish(grids, keys)  # the community's own: not the team's
    base = f"/api/v1/activities/{activity['id']}"
    for n in (1, 2, 3):
        signup = (await grids.post(f"{base}/signups", json={"role": "volunteer"}, headers=party_member(keys, n))).json()
        if n < 3:  # pm3 signed up but did not come
            assert (await grids.post(f"{base}/signups/{signup['id']}/check-in", headers=staff(keys))).status_code == 200
    china = starts + timedelta(hours=8)
    report = await grids.get(f"/api/v1/teams/{team['id']}/report", params={"year": china.year}, headers=resident(keys))
    months = report.json()["months"]
    assert len(months) == 12
    figures = {m["month"]: (m["activities"], m["volunteers_served"], m["hours"], m["points"]) for m in months}
    assert figures.pop(china.strftime("%Y-%m")) == (1, 2, 4.0, 10)
    assert set(figures.values()) == {(0, 0, 0.0, 0)}
