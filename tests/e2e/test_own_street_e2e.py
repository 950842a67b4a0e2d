"""A real street from day one, as a street office meets it: a platform with no demo data, built up with
``python -m deploy.bootstrap`` and HTTP through the gateway alone (README "Starting your own street")."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from stdnum.cn import ric

from deploy.processes import BY_NAME
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
SERVICES = ("grids", "residents")


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
async def gateway(urls: dict[str, str], sms: FakeOutsideWorld) -> AsyncIterator[httpx.AsyncClient]:
    platform = GatewayPlatform(urls, SERVICES, sms.gateway_env())
    try:
        async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=30) as client:
            yield client
    finally:
        platform.close()


def bootstrap(urls: dict[str, str], *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(GATEWAY_DATABASE_URL=urls["gateway"], GRIDS_DATABASE_URL=urls["grids"])
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
    gateway: httpx.AsyncClient, urls: dict[str, str], sms: FakeOutsideWorld
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

    # The audit lists every act, none of it with a phone or a password.
    audit = await client.get("/api/v1/accounts/audit?limit=100", headers=admin)
    acts = [(e["action"], e["target_id"]) for e in ok(audit)["items"]]
    me_id = me["account_id"]
    for act in (
        ("account.created", me_id),
        ("account.created", staff_account["id"]),
        ("account.created", worker["id"]),
        ("account.created", invited["id"]),
        ("client.created", client_made["client_id"]),
    ):
        assert act in acts, act
    assert "13600000002" not in audit.text and "Given-by-admin-1" not in audit.text
