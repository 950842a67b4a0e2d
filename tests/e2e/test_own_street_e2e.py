"""A real street from day one, as a street office meets it: a platform with no demo data, built up with
``python -m deploy.bootstrap`` and HTTP through the gateway alone (README "Starting your own street")."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from stdnum.cn import ric

from deploy.processes import BY_NAME
from services.residents.imports.sheets import write_sheet
from shared.testing import prepare_databases
from tests.conftest import database_prefix
from tests.support.fakes import FakeOutsideWorld
from tests.support.live import GatewayPlatform

pytestmark = [pytest.mark.e2e, pytest.mark.keep_tables]

ROOT = Path(__file__).resolve().parents[2]
STREET = "320583101"
COMMUNITY_A, COMMUNITY_B = STREET + "001", STREET + "002"
GRID = COMMUNITY_A + "001"
ADMIN_PASSWORD = "Jade-mountain-2026"
SERVICES = ("grids", "residents", "orders")


@pytest.fixture(scope="module")
def sms() -> Iterator[FakeOutsideWorld]:
    world = FakeOutsideWorld()
    yield world
    world.close()


@pytest.fixture(scope="module")
async def urls(admin_url: str) -> dict[str, str]:
    names = ("gateway", *SERVICES)
    return await prepare_databases(
        admin_url, {name: BY_NAME[name].migrations for name in names}, prefix=database_prefix("own")
    )


@pytest.fixture(scope="module")
def platform(urls: dict[str, str], sms: FakeOutsideWorld) -> Iterator[GatewayPlatform]:
    started = GatewayPlatform(urls, SERVICES, sms.gateway_env())
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
async def gateway(platform: GatewayPlatform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=60) as client:
        yield client


def bootstrap(urls: dict[str, str], *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(GATEWAY_DATABASE_URL=urls["gateway"], GRIDS_DATABASE_URL=urls["grids"])
    env.update(GATEWAY_PROFILE="development", GRIDS_PROFILE="development")  # as the live platform's
    return subprocess.run(
        [sys.executable, "-m", "deploy.bootstrap", *args, *(["--password-stdin"] if password else [])],
        input=password,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else None


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    tokens = ok(await client.post("/api/v1/auth/login", json={"username": username, "password": password}))
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def change_first_password(client: httpx.AsyncClient, username: str, first: str, new: str) -> dict[str, str]:
    """Sign in with a password someone else set: nothing but /me works until it is changed."""
    token = await sign_in(client, username, first)
    refused = await client.get("/api/v1/grids", headers=token)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/password-change-required")
    assert ok(await client.get("/api/v1/me", headers=token))["roles"]
    body = {"current_password": first, "new_password": new}
    ok(await client.post("/api/v1/me/password", json=body, headers=token), 204)
    return await sign_in(client, username, new)


async def test_a_street_office_starts_its_own_street(
    gateway: httpx.AsyncClient, urls: dict[str, str], sms: FakeOutsideWorld, platform: GatewayPlatform
) -> None:
    client = gateway
    street_args = ("--street-code", STREET, "--street-name", "玉山街道", "--admin-name", "顾主任")
    first = bootstrap(
        urls, *street_args, "--admin-username", "yushan", "--admin-phone", "13600000001", password=ADMIN_PASSWORD
    )
    assert first.returncode == 0, first.stdout + first.stderr
    again = bootstrap(
        urls, *street_args, "--admin-username", "yushan", "--admin-phone", "13600000001", password=ADMIN_PASSWORD
    )
    assert again.returncode == 0 and "nothing" in again.stdout.lower()

    # The street admin signs in and sets up two communities and the first community's party committee.
    admin = await sign_in(client, "yushan", ADMIN_PASSWORD)
    me = ok(await client.get("/api/v1/me", headers=admin))
    assert me["roles"] == ["street_admin"] and me["places"] == {"street_admin": [STREET]}
    for code, name in ((COMMUNITY_A, "玉峰社区"), (COMMUNITY_B, "虹桥社区")):
        ok(await client.post("/api/v1/communities", json={"code": code, "name": name}, headers=admin), 201)
    communities = ok(await client.get("/api/v1/communities", headers=admin))["items"]
    assert [c["code"] for c in communities] == [COMMUNITY_A, COMMUNITY_B]
    (root,) = ok(await client.get("/api/v1/party-orgs", headers=admin))
    assert root["level"] == "street_committee"
    committee = ok(
        await client.post(
            "/api/v1/party-orgs",
            json={"parent_id": root["id"], "name": "玉峰社区党委", "community_code": COMMUNITY_A},
            headers=admin,
        ),
        201,
    )

    # A staff account for community A, bound on the roster; staff must change the password first.
    staff_account = ok(
        await client.post(
            "/api/v1/accounts",
            json={
                "username": "yufeng-staff",
                "display_name": "沈书记",
                "phone": "13600000002",
                "password": "Given-by-admin-1",
                "place_code": COMMUNITY_A,
            },
            headers=admin,
        ),
        201,
    )
    member = {"name": "沈书记", "community_code": COMMUNITY_A, "account_id": staff_account["id"]}
    bindings = [{"role": "community_staff", "place_code": COMMUNITY_A}]
    ok(await client.post("/api/v1/members", json={**member, "bindings": bindings}, headers=admin), 201)
    staff = await change_first_password(client, "yufeng-staff", "Given-by-admin-1", "Staff-own-pass-2026")
    assert ok(await client.get("/api/v1/me", headers=staff))["places"] == {"community_staff": [COMMUNITY_A]}
    ok(await client.post("/api/v1/grids", json={"code": GRID, "name": "第一网格"}, headers=staff), 201)

    # The street admin registers a department of the street (职能部门) and its account, bound on the roster at
    # the department's code; community staff may not. Its person signs in with the department in the token.
    department = ok(
        await client.post(
            "/api/v1/departments", json={"name": "玉山城管中队", "kind": "urban_management"}, headers=admin
        ),
        201,
    )
    assert department["code"] == STREET + "D01"
    officer = ok(
        await client.post(
            "/api/v1/accounts",
            json={
                "username": "ys-chengguan",
                "display_name": "陆队长",
                "phone": "13600000006",
                "password": "Given-by-admin-2",
                "place_code": STREET,
            },
            headers=admin,
        ),
        201,
    )
    officer_member = {
        "name": "陆队长",
        "account_id": officer["id"],
        "bindings": [{"role": "department", "place_code": department["code"]}],
    }
    assert (await client.post("/api/v1/members", json=officer_member, headers=staff)).status_code == 403
    ok(await client.post("/api/v1/members", json=officer_member, headers=admin), 201)
    officer_token = await change_first_password(client, "ys-chengguan", "Given-by-admin-2", "Lu-department-2026")
    officer_me = ok(await client.get("/api/v1/me", headers=officer_token))
    assert officer_me["roles"] == ["department"] and officer_me["places"] == {"department": [department["code"]]}
    seen = ok(await client.get("/api/v1/departments", headers=officer_token))["items"]
    assert [d["code"] for d in seen] == [department["code"]]

    # Staff create a grid worker (with a password) and a party member (by SMS invite), and bind them.
    worker = ok(
        await client.post(
            "/api/v1/accounts",
            json={
                "username": "gw-zhou",
                "display_name": "周网格员",
                "phone": "13600000003",
                "password": "First-pass-wz1",
            },
            headers=staff,
        ),
        201,
    )
    invited = ok(
        await client.post(
            "/api/v1/accounts",
            json={"username": "pm-wu", "display_name": "吴党员", "phone": "13600000004"},
            headers=staff,
        ),
        201,
    )
    assert invited["invite"] == "sent" and invited["phone"] == "136****0004"
    unknown = await client.post(
        "/api/v1/members",
        json={"name": "无账号", "community_code": COMMUNITY_A, "account_id": "00000000-0000-4000-8000-000000000000"},
        headers=staff,
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "account_id"
    for account, role, extra in (
        (worker, "grid_worker", {"full_time": True}),
        (invited, "party_member", {"party_kind": "resident", "party_org_id": committee["id"]}),
    ):
        body = {
            "name": account["display_name"],
            "community_code": COMMUNITY_A,
            "account_id": account["id"],
            "bindings": [{"role": role, "place_code": GRID}],
            **extra,
        }
        ok(await client.post("/api/v1/members", json=body, headers=staff), 201)

    worker_token = await change_first_password(client, "gw-zhou", "First-pass-wz1", "Zhou-grid-2026")
    assert ok(await client.get("/api/v1/me", headers=worker_token))["places"] == {"grid_worker": [GRID]}
    reset = {"phone": "13600000004", "code": sms.sent["13600000004"], "new_password": "Wu-party-2026"}
    ok(await client.post("/api/v1/auth/password-reset", json=reset), 204)
    party = await sign_in(client, "pm-wu", "Wu-party-2026")
    assert ok(await client.get("/api/v1/me", headers=party))["places"] == {"party_member": [GRID]}

    # The party member forgets the password and resets it by SMS.
    ok(await client.post("/api/v1/auth/sms-code", json={"phone": "13600000004"}), 202)
    reset = {"phone": "13600000004", "code": sms.sent["13600000004"], "new_password": "Wu-remembered-2026"}
    ok(await client.post("/api/v1/auth/password-reset", json=reset), 204)
    assert (await client.get("/api/v1/me", headers=party)).status_code == 401
    await sign_in(client, "pm-wu", "Wu-remembered-2026")

    # Staff register a resident with a phone; the resident signs in by SMS on their own.
    compound = ok(
        await client.post("/api/v1/compounds", json={"name": "玉峰花园", "community_code": COMMUNITY_A}, headers=staff),
        201,
    )
    building = ok(
        await client.post(
            "/api/v1/buildings", json={"compound_id": compound["id"], "name": "1号楼", "grid_code": GRID}, headers=staff
        ),
        201,
    )
    household = ok(
        await client.post(
            "/api/v1/households", json={"building_id": building["id"], "unit": "1单元", "room": "101"}, headers=staff
        ),
        201,
    )
    id_body = f"320583{date(1975, 3, 9):%Y%m%d}456"
    resident = ok(
        await client.post(
            "/api/v1/residents",
            json={
                "household_id": household["id"],
                "name": "钱阿姨",
                "id_number": id_body + ric.calc_check_digit(id_body + "0"),
                "phone": "13600000005",
                "relation": "head",
                "residence_type": "registered",
            },
            headers=staff,
        ),
        201,
    )
    ok(await client.post("/api/v1/auth/sms-code", json={"phone": "13600000005"}), 202)
    tokens = ok(
        await client.post("/api/v1/auth/sms-login", json={"phone": "13600000005", "code": sms.sent["13600000005"]})
    )
    mine = ok(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}))
    assert mine["roles"] == ["resident"] and mine["resident_id"] == resident["id"] and mine["grid_code"] == GRID

    # The street admin gives the street office's own system a client, which reads the street's figures.
    client_made = ok(
        await client.post(
            "/api/v1/clients", json={"name": "玉山街道数据平台", "scopes": ["stats:read"]}, headers=admin
        ),
        201,
    )
    form = {
        "grant_type": "client_credentials",
        "client_id": client_made["client_id"],
        "client_secret": client_made["client_secret"],
    }
    machine = ok(await client.post("/api/v1/auth/token", data=form))
    stats = ok(await client.get("/api/v1/stats", headers={"Authorization": f"Bearer {machine['access_token']}"}))
    assert stats["group_by"] == "community"

    # A problem on its own street: staff draw the grid, the grid worker reports at a point in it, staff
    # verify, file and dispatch it to the street's own department, whose officer handles it; the worker's
    # check passes and staff close it. Nothing of it comes from a demo.
    square = [[120.10, 30.20], [120.11, 30.20], [120.11, 30.21], [120.10, 30.21], [120.10, 30.20]]
    boundary = {"boundary": {"type": "Polygon", "coordinates": [square]}}
    ok(await client.put(f"/api/v1/grids/{GRID}/boundary", json=boundary, headers=staff))
    report = {
        "kind": "issue",
        "title": "菜场门口占道经营",
        "description": "早市摊贩占用人行道",
        "lat": 30.205,
        "lng": 120.105,
    }
    case = ok(await client.post("/api/v1/orders", json=report, headers=worker_token), 201)
    assert case["grid_code"] == GRID and case["state"] == "placed"
    classes = ok(await client.get("/api/v1/case-classes", params={"q": "占道经营"}, headers=staff))["items"]
    code = next(c["code"] for c in classes if c["name"] == "占道经营")
    for action, body, who in (
        ("verify", {}, staff),
        ("file", {"class_code": code, "urgency": "normal"}, staff),
        ("dispatch", {"department_id": department["code"]}, staff),
        ("handle", {"note": "已劝离"}, officer_token),
        ("check", {"passed": True}, worker_token),
        ("close", {}, staff),
    ):
        case = ok(await client.post(f"/api/v1/orders/{case['id']}/{action}", json=body, headers=who))
    assert case["state"] == "closed" and case["department_code"] == department["code"]

    # The audit lists every act, none of it with a phone or a password.
    audit = await client.get("/api/v1/accounts/audit?limit=100", headers=admin)
    acts = [(e["action"], e["target_id"]) for e in ok(audit)["items"]]
    me_id = me["account_id"]
    for act in (
        ("account.created", me_id),
        ("account.created", staff_account["id"]),
        ("account.created", worker["id"]),
        ("account.created", invited["id"]),
        ("account.created", officer["id"]),
        ("client.created", client_made["client_id"]),
    ):
        assert act in acts, act
    assert "13600000002" not in audit.text and "Given-by-admin-1" not in audit.text

    # Part 2: the registry reaches the grids service (visits, 十联户, coverage, compound notices).
    party_member_id = ok(await client.get(f"/api/v1/members?account_id={invited['id']}", headers=staff))["items"][0][
        "id"
    ]
    resident_token = {"Authorization": f"Bearer {tokens['access_token']}"}
    await registry_reaches_grids(
        client,
        urls,
        platform,
        staff=staff,
        worker=worker_token,
        party=await sign_in(client, "pm-wu", "Wu-remembered-2026"),
        party_member_id=party_member_id,
        compound_id=compound["id"],
        resident=resident_token,
    )


def register_of(compound: str, buildings: list[str], people: int) -> bytes:
    """An xlsx register as staff keep it: four people a household, heads with a phone."""
    relations = ["户主", "配偶", "子女", "父母"]
    rows = []
    for n in range(people):
        household, member = divmod(n, 4)
        birth = date(1950 + n % 50, 1 + n % 12, 1 + n % 28)
        body = f"320583{birth:%Y%m%d}{n % 1000:03d}"
        rows.append(
            [
                f"居民{n:04d}",
                body + ric.calc_check_digit(body + "0"),
                f"137{n:08d}" if member == 0 else "",
                compound,
                buildings[household % len(buildings)],
                f"{1 + household // 40}单元",
                f"{101 + household % 40}",
                relations[member],
                "常住",
            ]
        )
    headers = ["姓名", "身份证号", "手机号", "小区", "楼栋", "单元", "门牌号", "与户主关系", "居住类型"]
    return write_sheet(headers, rows)


async def registry_reaches_grids(
    client: httpx.AsyncClient,
    urls: dict[str, str],
    platform: GatewayPlatform,
    *,
    staff: dict[str, str],
    worker: dict[str, str],
    party: dict[str, str],
    party_member_id: str,
    compound_id: str,
    resident: dict[str, str],
) -> None:
    unknown_grid = await client.post(
        "/api/v1/buildings",
        json={"compound_id": compound_id, "name": "9号楼", "grid_code": COMMUNITY_A + "099"},
        headers=staff,
    )
    assert unknown_grid.status_code == 422 and unknown_grid.json()["errors"][0]["field"] == "grid_code"

    compound = ok(
        await client.post("/api/v1/compounds", json={"name": "玉峰二村", "community_code": COMMUNITY_A}, headers=staff),
        201,
    )
    buildings = [f"{n}号楼" for n in range(1, 6)]
    for name in buildings:
        body = {"compound_id": compound["id"], "name": name, "grid_code": GRID}
        ok(await client.post("/api/v1/buildings", json=body, headers=staff), 201)
    sheet = register_of("玉峰二村", buildings, 1000)
    files = {"file": ("花名册.xlsx", sheet, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    report = ok(await client.post(f"/api/v1/residents/import?community_code={COMMUNITY_A}", files=files, headers=staff))
    assert report["errors"] == [], report["errors"][:3]

    # Within seconds the grids service knows every household of the grid.
    households: list[str] = []
    cursor = None
    while True:
        page = ok(
            await client.get(
                "/api/v1/households",
                params={"grid_code": GRID, "limit": 100, **({"cursor": cursor} if cursor else {})},
                headers=staff,
            )
        )
        households += [h["id"] for h in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(households) == 251  # 250 imported, and 钱阿姨's
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        coverage = ok(await client.get("/api/v1/visits/coverage", headers=staff))["items"]
        known = next((c["households"] for c in coverage if c["grid_code"] == GRID), 0)
        if known == len(households) or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.5)
    assert known == len(households)

    # A grid worker syncs an offline visit to one of them: created, then exists.
    visit = {
        "id": str(uuid.uuid4()),
        "household_id": households[7],
        "kind": "routine",
        "visited_at": datetime.now(UTC).isoformat(),
        "notes": "入户走访",
    }
    for expected in ("created", "exists"):
        result = ok(await client.post("/api/v1/visits/sync", json={"visits": [visit]}, headers=worker))["results"][0]
        assert result["status"] == expected, result
    coverage = ok(await client.get("/api/v1/visits/coverage", headers=staff))["items"]
    assert next(c for c in coverage if c["grid_code"] == GRID)["visited"] == 1

    # Staff link the party member to ten households (十联户); the party member sees them.
    for household in households[:10]:
        ok(await client.put(f"/api/v1/members/{party_member_id}/households/{household}", headers=staff), 201)
    linked = ok(await client.get("/api/v1/members/me/households?limit=100", headers=party))["items"]
    assert sorted(h["id"] for h in linked) == sorted(households[:10])
    assert all(h["contact_phone"] is None or "****" in h["contact_phone"] for h in linked)

    # The copies agree.
    check = resync_check(urls, platform.url("residents"))
    assert check.returncode == 0, check.stdout + check.stderr

    # A notice for 钱阿姨's compound reaches her with the residents service stopped.
    notice = {"compound_id": compound_id, "category": "outage", "title": "停水通知", "body": "明日9点至12点停水"}
    ok(await client.post("/api/v1/notices", json=notice, headers=staff), 201)
    platform.processes["residents"].stop()
    seen = ok(await client.get("/api/v1/notices", headers=resident))["items"]
    assert "停水通知" in [n["title"] for n in seen]


def resync_check(urls: dict[str, str], residents_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(GATEWAY_DATABASE_URL=urls["gateway"], GRIDS_DATABASE_URL=urls["grids"])
    env.update(GATEWAY_PROFILE="development", GRIDS_PROFILE="development")  # as the live platform's
    command = [sys.executable, "-m", "deploy.resync", "households", "--check", "--residents-url", residents_url]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
