"""Account administration, passwords and residents' own sign-in at the gateway, as staff, street admins
and the people behind the accounts meet them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from stdnum.cn import ric

from gateway.auth.policy import check_password
from shared.demo import GRIDS, demo_uuid
from shared.errors import ValidationFailed
from tests.support import db
from tests.support.fakes import FakeOutsideWorld
from tests.support.signin import as_user, bearer, login

OTHER_COMMUNITY = "110105001002"


def field_of(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["field"])


async def create(gw: httpx.AsyncClient, by: dict[str, str], **body: Any) -> httpx.Response:
    return await gw.post("/api/v1/accounts", json=body, headers=by)


async def test_staff_create_an_account_whose_first_password_must_be_changed(
    gw: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    staff = await as_user(gw, "staff")
    made = await create(
        gw, staff, username="wangwu", display_name="王五", phone="13811112222", password="Jiangnan-2026!"
    )
    assert made.status_code == 201, made.text
    account = made.json()
    assert account["phone"] == "138****2222" and account["must_change_password"] is True
    assert account["home_place"] == "110105001001" and account["roles"] == {}
    row = await db.row(database_urls["gateway"], "SELECT * FROM account WHERE id = $1", uuid.UUID(account["id"]))
    assert row is not None and "13811112222" not in repr(dict(row))

    first = await login(gw, "wangwu", "Jiangnan-2026!")
    mine = bearer(first["access_token"])
    me = await gw.get("/api/v1/me", headers=mine)
    assert me.status_code == 200 and me.json()["name"] == "王五"
    for method, path in (("GET", "/api/v1/accounts"), ("GET", "/api/v1/me/notifications"), ("GET", "/api/v1/grids")):
        refused = await gw.request(method, path, headers=mine)
        assert refused.status_code == 403, path
        assert refused.json()["type"].endswith("/password-change-required"), path

    wrong = await gw.post(
        "/api/v1/me/password", json={"current_password": "nope", "new_password": "Another-2026!"}, headers=mine
    )
    assert wrong.status_code == 422 and field_of(wrong) == "current_password"
    weak = await gw.post(
        "/api/v1/me/password", json={"current_password": "Jiangnan-2026!", "new_password": "password1"}, headers=mine
    )
    assert weak.status_code == 422 and field_of(weak) == "new_password"
    assert "password1" not in weak.text
    changed = await gw.post(
        "/api/v1/me/password",
        json={"current_password": "Jiangnan-2026!", "new_password": "Another-2026!"},
        headers=mine,
    )
    assert changed.status_code == 204
    # Every session ended at once: the old access token and the old refresh token.
    assert (await gw.get("/api/v1/me", headers=mine)).status_code == 401
    assert (await gw.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).status_code == 401
    assert (
        await gw.post("/api/v1/auth/login", json={"username": "wangwu", "password": "Jiangnan-2026!"})
    ).status_code == 401
    fresh = bearer((await login(gw, "wangwu", "Another-2026!"))["access_token"])
    assert (await gw.get("/api/v1/me", headers=fresh)).status_code == 200
    # Still no role: the roster gives it one. Until then the accounts routes refuse it, but not for its password.
    refused = await gw.get("/api/v1/accounts", headers=fresh)
    assert refused.status_code == 403 and not refused.json()["type"].endswith("/password-change-required")


async def test_revocations_publish_the_raised_generation_for_the_services(gw: httpx.AsyncClient) -> None:
    staff = await as_user(gw, "staff")
    account = (
        await create(gw, staff, username="zhaoliu", display_name="赵六", phone="13811113333", password="Temp-pass-2026")
    ).json()
    reset = await gw.post(f"/api/v1/accounts/{account['id']}/password-reset", headers=staff)
    assert reset.status_code == 200
    document = (await gw.get("/.well-known/revocations.json")).json()
    assert document["generations"][account["id"]] == 1


async def test_duplicates_answer_409_naming_the_field_and_write_nothing(
    gw: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    staff = await as_user(gw, "staff")
    assert (await create(gw, staff, username="lisi", display_name="李四", phone="13822223333")).status_code == 201
    before = await db.value(database_urls["gateway"], "SELECT count(*) FROM account")
    taken = await create(gw, staff, username="lisi", display_name="另一个", phone="13822224444")
    assert taken.status_code == 409 and field_of(taken) == "username", taken.text
    same_phone = await create(gw, staff, username="lisi2", display_name="另一个", phone="13822223333")
    assert same_phone.status_code == 409 and field_of(same_phone) == "phone"
    assert "13822223333" not in same_phone.text
    bad_phone = await create(gw, staff, display_name="某人", phone="12345678901")
    assert bad_phone.status_code == 422 and field_of(bad_phone) == "phone"
    weak = await create(gw, staff, username="lisi3", display_name="某人", phone="13822225555", password="lisi3lisi3")
    assert weak.status_code == 422 and field_of(weak) == "password" and "lisi3lisi3" not in weak.text
    assert await db.value(database_urls["gateway"], "SELECT count(*) FROM account") == before


async def test_an_invited_account_sets_its_password_with_the_sms_code(
    gw: httpx.AsyncClient, outside: FakeOutsideWorld
) -> None:
    staff = await as_user(gw, "staff")
    made = await create(gw, staff, username="sunqi", display_name="孙七", phone="13833334444")
    assert made.status_code == 201 and made.json()["invite"] == "sent"
    code = outside.sent["13833334444"]
    weak = {"phone": "13833334444", "code": code, "new_password": "12345678"}
    assert (await gw.post("/api/v1/auth/password-reset", json=weak)).status_code == 422
    wrong = {
        "phone": "13833334444",
        "code": "000000" if code != "000000" else "111111",
        "new_password": "Bamboo-river-2026",
    }
    assert (await gw.post("/api/v1/auth/password-reset", json=wrong)).status_code == 401
    ok = {"phone": "13833334444", "code": code, "new_password": "Bamboo-river-2026"}
    assert (await gw.post("/api/v1/auth/password-reset", json=ok)).status_code == 204
    assert (await gw.post("/api/v1/auth/password-reset", json=ok)).status_code == 401  # the code is spent
    tokens = await login(gw, "sunqi", "Bamboo-river-2026")
    assert (await gw.get("/api/v1/me", headers=bearer(tokens["access_token"]))).status_code == 200


async def test_an_invite_that_cannot_be_sent_still_creates_the_account(
    gw: httpx.AsyncClient, outside: FakeOutsideWorld
) -> None:
    outside.refused.add("13833335555")
    staff = await as_user(gw, "staff")
    made = await create(gw, staff, username="zhouba", display_name="周八", phone="13833335555")
    assert made.status_code == 201 and made.json()["invite"] == "failed"
    assert (await gw.get(f"/api/v1/accounts/{made.json()['id']}", headers=staff)).status_code == 200


async def test_staff_see_only_the_accounts_of_their_community(gw: httpx.AsyncClient) -> None:
    street, staff = await as_user(gw, "street"), await as_user(gw, "staff")
    elsewhere = await create(
        gw, street, username="wujiu", display_name="吴九", phone="13844445555", place_code=OTHER_COMMUNITY
    )
    assert elsewhere.status_code == 201 and elsewhere.json()["home_place"] == OTHER_COMMUNITY
    here = (await create(gw, staff, username="zhengshi", display_name="郑十", phone="13844446666")).json()
    assert (await gw.get(f"/api/v1/accounts/{elsewhere.json()['id']}", headers=staff)).status_code == 404
    for q in ("郑十", "吴九"):
        staff_list = [a["id"] for a in (await gw.get(f"/api/v1/accounts?q={q}", headers=staff)).json()["items"]]
        street_list = [a["id"] for a in (await gw.get(f"/api/v1/accounts?q={q}", headers=street)).json()["items"]]
        assert staff_list == ([here["id"]] if q == "郑十" else [])
        assert street_list == [here["id"] if q == "郑十" else elsewhere.json()["id"]]
    # Staff may not create accounts elsewhere, nor of the street itself.
    assert (
        await create(gw, staff, display_name="x", phone="13844447777", place_code=OTHER_COMMUNITY)
    ).status_code == 403
    assert (await create(gw, staff, display_name="x", phone="13844447777", place_code="110105001")).status_code == 403
    # Grid workers manage no accounts.
    assert (await gw.get("/api/v1/accounts", headers=await as_user(gw, "gw1"))).status_code == 403


async def test_the_list_filters_and_pages(gw: httpx.AsyncClient) -> None:
    staff = await as_user(gw, "staff")
    workers = (await gw.get("/api/v1/accounts?role=grid_worker&limit=100", headers=staff)).json()["items"]
    assert workers and all("grid_worker" in a["roles"] for a in workers)
    assert all(a["phone"] is None or "****" in a["phone"] for a in workers)
    named = (await gw.get("/api/v1/accounts?q=gw1", headers=staff)).json()["items"]
    assert [a["username"] for a in named if a["username"] == "gw1"] == ["gw1"]
    seen, cursor = [], None
    for _ in range(50):
        page = (
            await gw.get(
                "/api/v1/accounts",
                params={"role": "grid_worker", "limit": 7, **({"cursor": cursor} if cursor else {})},
                headers=staff,
            )
        ).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [a["id"] for a in workers] and len(seen) == 28
    await gw.post(f"/api/v1/accounts/{workers[0]['id']}/disable", headers=staff)
    disabled = (await gw.get("/api/v1/accounts?enabled=false&limit=100", headers=staff)).json()["items"]
    assert [a["id"] for a in disabled] == [workers[0]["id"]]


async def test_staff_change_an_account_and_reset_its_password(gw: httpx.AsyncClient) -> None:
    staff = await as_user(gw, "staff")
    account = (
        await create(gw, staff, username="qianyi", display_name="钱一", phone="13855556666", password="Silver-lake-91")
    ).json()
    changed = await gw.patch(
        f"/api/v1/accounts/{account['id']}", json={"display_name": "钱壹", "phone": "13855557777"}, headers=staff
    )
    assert changed.status_code == 200 and changed.json()["display_name"] == "钱壹"
    assert changed.json()["phone"] == "138****7777"
    taken = await gw.patch(f"/api/v1/accounts/{account['id']}", json={"username": "gw1"}, headers=staff)
    assert taken.status_code == 409 and field_of(taken) == "username", taken.text

    worker = await login(gw, "gw1")
    gw1_id = (await gw.get("/api/v1/me", headers=bearer(worker["access_token"]))).json()["account_id"]
    reset = await gw.post(f"/api/v1/accounts/{gw1_id}/password-reset", headers=staff)
    assert reset.status_code == 200
    temporary = reset.json()["temporary_password"]
    assert (await gw.get("/api/v1/me", headers=bearer(worker["access_token"]))).status_code == 401
    again = await login(gw, "gw1", temporary)
    assert (await gw.get("/api/v1/orders", headers=bearer(again["access_token"]))).status_code == 403
    own = await gw.post(
        f"/api/v1/accounts/{(await gw.get('/api/v1/me', headers=staff)).json()['account_id']}/password-reset",
        headers=staff,
    )
    assert own.status_code == 409


async def test_the_audit_lists_every_act_for_street_admins_only(
    gw: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    staff, street = await as_user(gw, "staff"), await as_user(gw, "street")
    account = (
        await create(gw, staff, username="fengsan", display_name="冯三", phone="13866667777", password="Copper-hill-77")
    ).json()
    await gw.patch(f"/api/v1/accounts/{account['id']}", json={"display_name": "冯叁"}, headers=staff)
    await gw.post(f"/api/v1/accounts/{account['id']}/disable", headers=staff)
    await gw.post(f"/api/v1/accounts/{account['id']}/enable", headers=staff)
    await gw.post(f"/api/v1/accounts/{account['id']}/password-reset", headers=staff)
    assert (await gw.get("/api/v1/accounts/audit", headers=staff)).status_code == 403
    answer = await gw.get(f"/api/v1/accounts/audit?target_id={account['id']}", headers=street)
    assert answer.status_code == 200
    entries = answer.json()["items"]
    assert [e["action"] for e in entries] == [
        "account.password_reset",
        "account.enabled",
        "account.disabled",
        "account.changed",
        "account.created",
    ]
    assert all(e["actor_role"] == "community_staff" and e["street_code"] == "110105001" for e in entries)
    assert entries[3]["changed"] == ["display_name"] and all(e["request_id"] for e in entries)
    assert "13866667777" not in answer.text and "Copper-hill-77" not in answer.text
    with pytest.raises(Exception, match="append-only"):
        await db.execute(database_urls["gateway"], "DELETE FROM admin_audit")


async def _register_resident(gateway_app: FastAPI, staff: dict[str, str], phone: str) -> str:
    residents = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway_app.state.residents_app), base_url="http://r"
    )
    body = f"110105{date(1980, 5, 17):%Y%m%d}123"
    async with residents:
        made = await residents.post(
            "/api/v1/residents",
            json={
                "household_id": str(demo_uuid("household", "13900000001")),
                "name": "陈小红",
                "id_number": body + ric.calc_check_digit(body + "0"),
                "phone": phone,
                "relation": "child",
                "residence_type": "registered",
            },
            headers=staff,
        )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def test_a_resident_the_registry_knows_signs_in_by_sms_on_their_own(
    gw: httpx.AsyncClient, gateway_app: FastAPI, outside: FakeOutsideWorld
) -> None:
    resident_id = await _register_resident(gateway_app, await as_user(gw, "staff"), "13977778888")
    assert (await gw.post("/api/v1/auth/sms-code", json={"phone": "13977778888"})).status_code == 202
    code = outside.sent["13977778888"]
    tokens = (await gw.post("/api/v1/auth/sms-login", json={"phone": "13977778888", "code": code})).json()
    me = (await gw.get("/api/v1/me", headers=bearer(tokens["access_token"]))).json()
    assert me["roles"] == ["resident"] and me["resident_id"] == resident_id and me["grid_code"] == GRIDS[0]
    assert me["name"] == "陈小红"


async def test_a_number_nobody_knows_gets_no_code_and_keeps_its_limit(
    gw: httpx.AsyncClient, outside: FakeOutsideWorld
) -> None:
    for _ in range(3):
        assert (await gw.post("/api/v1/auth/sms-code", json={"phone": "13700001111"})).status_code == 202
    assert "13700001111" not in outside.sent
    # A known number is limited to one code a minute.
    assert (await gw.post("/api/v1/auth/sms-code", json={"phone": "13900000002"})).status_code == 202
    assert (await gw.post("/api/v1/auth/sms-code", json={"phone": "13900000002"})).status_code == 429


def test_the_password_policy() -> None:
    for password, username, phone in (
        ("short1!", None, None),
        ("password123", None, None),
        ("zhangsan2026x", "zhangsan", None),
        ("13911112222ab", None, "13911112222"),
        ("aaaaaaaaaaaa", None, None),
    ):
        with pytest.raises(ValidationFailed):
            check_password(password, username=username, phone=phone)
    check_password("Jiangnan-2026!", username="zhangsan", phone="13911112222")
