"""Sign-in flows, tokens and accounts at the gateway, as the apps meet them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI

from gateway.auth.schemas import MePublic
from gateway.context import GatewayContext
from shared.demo import GRIDS, demo_uuid
from shared.security import MACHINE_AUDIENCE, USER_AUDIENCE
from tests.support import db
from tests.support.fakes import FakeOutsideWorld
from tests.support.places import STREET
from tests.support.signin import bearer, login

RESIDENT_PHONE = "13900000001"


def decode_with_jwks(token: str, jwks: dict, audience: str = USER_AUDIENCE) -> dict:
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
    claims: dict = jwt.decode(token, key.key, algorithms=["ES256"], audience=audience)
    return claims


async def test_password_login_issues_an_es256_token_with_roles_and_places(gw: httpx.AsyncClient) -> None:
    tokens = await login(gw, "gw1")
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    jwks = (await gw.get("/.well-known/jwks.json")).json()
    claims = decode_with_jwks(tokens["access_token"], jwks)
    assert claims["roles"] == ["grid_worker"]
    assert claims["places"] == {"grid_worker": [GRIDS[0]]}
    assert claims["typ"] == "access" and claims["exp"] - claims["iat"] == 900
    assert {"iss", "aud", "sub", "jti", "kid"} <= set(claims) | set(jwt.get_unverified_header(tokens["access_token"]))


async def test_a_departments_account_gets_its_department_in_the_token(gw: httpx.AsyncClient) -> None:
    """A department's account (职能部门, cg1 of the demo's 城管): the roster binds it at the department's code,
    and the token carries that code as the place of the role ``department``, as for any other role."""
    tokens = await login(gw, "cg1")
    claims = decode_with_jwks(tokens["access_token"], (await gw.get("/.well-known/jwks.json")).json())
    assert claims["roles"] == ["department"] and claims["places"] == {"department": [f"{STREET}D01"]}
    me = (await gw.get("/api/v1/me", headers=bearer(tokens["access_token"]))).json()
    assert me["roles"] == ["department"] and me["places"] == {"department": [f"{STREET}D01"]}
    # The street's admins find the street's departments' accounts; community staff do not.
    street = bearer((await login(gw, "street"))["access_token"])
    found = (await gw.get("/api/v1/accounts?role=department", headers=street)).json()["items"]
    assert sorted((a["username"], a["roles"]["department"][0]) for a in found) == [
        ("cg1", f"{STREET}D01"),
        ("scjg1", f"{STREET}D02"),
    ]
    staff = bearer((await login(gw, "staff"))["access_token"])
    assert (await gw.get("/api/v1/accounts?role=department", headers=staff)).json()["items"] == []


async def test_resident_logs_in_by_phone_and_me_shows_the_household(gw: httpx.AsyncClient) -> None:
    tokens = await login(gw, RESIDENT_PHONE)
    me = (await gw.get("/api/v1/me", headers=bearer(tokens["access_token"]))).json()
    assert me["roles"] == ["resident"]
    assert me["resident_id"] == str(demo_uuid("resident", RESIDENT_PHONE))
    assert me["household_id"] == str(demo_uuid("household", RESIDENT_PHONE))
    assert me["grid_code"] == GRIDS[0]
    assert MePublic.model_validate(me).model_dump(mode="json") == me  # exactly the model's fields


async def test_wrong_password_and_unknown_user_answer_alike(gw: httpx.AsyncClient) -> None:
    wrong = await gw.post("/api/v1/auth/login", json={"username": "gw1", "password": "nope"})
    unknown = await gw.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


@pytest.mark.parametrize("username", ["gw2", "no-such-user"])
async def test_repeated_failures_from_one_address_refuse_it_with_retry_after(
    gw: httpx.AsyncClient, username: str
) -> None:
    """Alike whether or not the account exists (tests/gateway/test_sign_in_failures.py: the other rules)."""
    for _ in range(5):
        assert (await gw.post("/api/v1/auth/login", json={"username": username, "password": "x"})).status_code == 401
    locked = await gw.post("/api/v1/auth/login", json={"username": username, "password": "demo12345"})
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 900
    assert locked.headers["content-type"] == "application/problem+json"


async def test_sms_code_login_and_its_limits(gw: httpx.AsyncClient, outside: FakeOutsideWorld) -> None:
    assert (await gw.post("/api/v1/auth/sms-code", json={"phone": RESIDENT_PHONE})).status_code == 202
    code = outside.sent[RESIDENT_PHONE]
    assert len(code) == 6 and code.isdigit()
    again = await gw.post("/api/v1/auth/sms-code", json={"phone": RESIDENT_PHONE})
    assert again.status_code == 429 and int(again.headers["retry-after"]) >= 1
    ok = await gw.post("/api/v1/auth/sms-login", json={"phone": RESIDENT_PHONE, "code": code})
    assert ok.status_code == 200
    replay = await gw.post("/api/v1/auth/sms-login", json={"phone": RESIDENT_PHONE, "code": code})
    assert replay.status_code == 401  # a code works once


async def test_five_wrong_codes_burn_the_code(
    gw: httpx.AsyncClient, outside: FakeOutsideWorld, database_urls: dict[str, str]
) -> None:
    phone = "13900000002"
    assert (await gw.post("/api/v1/auth/sms-code", json={"phone": phone})).status_code == 202
    code = outside.sent[phone]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert (await gw.post("/api/v1/auth/sms-login", json={"phone": phone, "code": wrong})).status_code == 401
    burnt = await gw.post("/api/v1/auth/sms-login", json={"phone": phone, "code": code})
    assert burnt.status_code == 401
    row = await db.row(database_urls["gateway"], "SELECT attempts, consumed_at, code_hash FROM sms_code")
    stored = await db.value(
        database_urls["gateway"], "SELECT count(*) FROM sms_code WHERE code_hash::text LIKE '%' || $1 || '%'", code
    )
    assert row is not None and row["attempts"] == 5 and row["consumed_at"] is not None
    assert stored == 0  # only a keyed hash of the code is kept


async def test_sms_code_for_an_unknown_number_is_accepted_but_not_sent(
    gw: httpx.AsyncClient, outside: FakeOutsideWorld
) -> None:
    response = await gw.post("/api/v1/auth/sms-code", json={"phone": "13700000000"})
    assert response.status_code == 202
    assert "13700000000" not in outside.sent


async def test_bad_phone_is_422_naming_the_field(gw: httpx.AsyncClient) -> None:
    response = await gw.post("/api/v1/auth/sms-code", json={"phone": "12345678901"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "phone"


async def test_wechat_login_binds_after_an_sms_login(gw: httpx.AsyncClient, outside: FakeOutsideWorld) -> None:
    first = await gw.post("/api/v1/auth/wechat-login", json={"code": "wx-alice"})
    assert first.status_code == 404
    ticket = first.json()["bind_ticket"]
    phone = "13900000003"
    await gw.post("/api/v1/auth/sms-code", json={"phone": phone})
    bound = await gw.post(
        "/api/v1/auth/sms-login", json={"phone": phone, "code": outside.sent[phone], "bind_ticket": ticket}
    )
    assert bound.status_code == 200
    again = await gw.post("/api/v1/auth/wechat-login", json={"code": "wx-alice"})
    assert again.status_code == 200
    me = await gw.get("/api/v1/me", headers=bearer(again.json()["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["resident_id"] == str(demo_uuid("resident", phone))


@pytest.mark.parametrize(("code", "status"), [("not-a-valid-code", 401), ("wx-busy", 503)])
async def test_wechat_errors_map_to_problems(gw: httpx.AsyncClient, code: str, status: int) -> None:
    response = await gw.post("/api/v1/auth/wechat-login", json={"code": code})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_refresh_rotates_and_a_quick_retry_gets_the_same_successor(gw: httpx.AsyncClient) -> None:
    first = await login(gw, "staff")
    rotated = await gw.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    retried = await gw.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == retried.status_code == 200
    assert rotated.json()["refresh_token"] == retried.json()["refresh_token"] != first["refresh_token"]


async def test_reusing_a_spent_refresh_token_revokes_the_family(gw: httpx.AsyncClient, gateway_app: FastAPI) -> None:
    context: GatewayContext = gateway_app.state.gateway
    first = await login(gw, "staff")
    second = (await gw.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    context.issuer.clock = lambda: datetime.now(UTC) + timedelta(seconds=context.issuer.retry_grace + 5)
    try:
        reuse = await gw.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert reuse.status_code == 401
        # The thief's reuse also kills the legitimate holder's newer token: both sign in again.
        stolen = await gw.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
        assert stolen.status_code == 401
    finally:
        context.issuer.clock = lambda: datetime.now(UTC)


async def test_logout_revokes_the_family(gw: httpx.AsyncClient) -> None:
    tokens = await login(gw, "staff")
    assert (await gw.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})).status_code == 204
    after = await gw.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert after.status_code == 401


async def test_refresh_tokens_are_stored_hashed(gw: httpx.AsyncClient, database_urls: dict[str, str]) -> None:
    tokens = await login(gw, "staff")
    hashes = [
        bytes(r["token_hash"]) for r in await db.rows(database_urls["gateway"], "SELECT token_hash FROM refresh_token")
    ]
    assert hashes and all(tokens["refresh_token"].encode() not in h for h in hashes)


async def test_client_credentials_issue_machine_tokens(gw: httpx.AsyncClient) -> None:
    form = {"grant_type": "client_credentials", "client_id": "street-demo", "client_secret": "demo-secret"}
    response = await gw.post("/api/v1/auth/token", data={**form, "scope": "stats:read"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "stats:read"
    jwks = (await gw.get("/.well-known/jwks.json")).json()
    claims = decode_with_jwks(body["access_token"], jwks, audience=MACHINE_AUDIENCE)
    assert claims["street_code"] == STREET and claims["sub"] == "client:street-demo"
    me = (await gw.get("/api/v1/me", headers=bearer(body["access_token"]))).json()
    assert me["kind"] == "integration_client" and me["scopes"] == ["stats:read"]
    assert MePublic.model_validate(me).model_dump(mode="json") == me
    refused = await gw.get(f"/api/v1/accounts/{demo_uuid('account', 'gw1')}", headers=bearer(body["access_token"]))
    assert refused.status_code == 403  # a machine token on a user route
    bad = await gw.post("/api/v1/auth/token", data={**form, "client_secret": "wrong"})
    assert bad.status_code == 401
    too_much = await gw.post("/api/v1/auth/token", data={**form, "scope": "everything"})
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "scope"


async def test_disabling_an_account_stops_its_live_token_at_once(gw: httpx.AsyncClient) -> None:
    worker = await login(gw, "gw1")
    staff = await login(gw, "staff")
    headers = bearer(worker["access_token"])
    assert (await gw.get("/api/v1/me", headers=headers)).status_code == 200
    target = demo_uuid("account", "gw1")
    disabled = await gw.post(f"/api/v1/accounts/{target}/disable", headers=bearer(staff["access_token"]))
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert (await gw.get("/api/v1/me", headers=headers)).status_code == 401
    proxied = await gw.get("/api/v1/grids", headers=headers)  # refused at the door, not forwarded
    assert proxied.status_code == 401
    refreshed = await gw.post("/api/v1/auth/refresh", json={"refresh_token": worker["refresh_token"]})
    assert refreshed.status_code == 401
    listed = (await gw.get("/.well-known/revocations.json")).json()
    assert str(target) in listed["subjects"]


async def test_staff_cannot_disable_accounts_outside_their_community(gw: httpx.AsyncClient) -> None:
    worker = await login(gw, "gw1")
    staff_target = demo_uuid("account", "staff")
    refused = await gw.post(f"/api/v1/accounts/{staff_target}/disable", headers=bearer(worker["access_token"]))
    assert refused.status_code == 403  # grid workers may not manage accounts at all
    street = await login(gw, "street")
    own = await gw.post(
        f"/api/v1/accounts/{demo_uuid('account', 'street')}/disable", headers=bearer(street["access_token"])
    )
    assert own.status_code == 409


async def test_account_phone_is_masked_in_answers_and_encrypted_at_rest(
    gw: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    staff = await login(gw, "staff")
    resident = demo_uuid("account", RESIDENT_PHONE)
    # Residents have no place binding of their own: staff find them through the residents service.
    assert (await gw.get(f"/api/v1/accounts/{resident}", headers=bearer(staff["access_token"]))).status_code == 404
    dump = "".join(str(dict(r)) for r in await db.rows(database_urls["gateway"], "SELECT * FROM account"))
    assert RESIDENT_PHONE not in dump and "13900000" not in dump


async def test_forged_tokens_are_refused_at_the_gateway(gw: httpx.AsyncClient) -> None:
    import base64

    good = (await login(gw, "gw1"))["access_token"]
    header, payload, signature = good.split(".")
    kid = jwt.get_unverified_header(good)["kid"]
    none_header = base64.urlsafe_b64encode(f'{{"alg":"none","kid":"{kid}"}}'.encode()).rstrip(b"=").decode()
    claims = jwt.decode(good, options={"verify_signature": False})
    claims["places"] = {"grid_worker": [GRIDS[1]]}
    tampered = base64.urlsafe_b64encode(__import__("orjson").dumps(claims)).rstrip(b"=").decode()
    for forged in (f"{none_header}.{payload}.", f"{header}.{tampered}.{signature}", good[:-4] + "AAAA"):
        response = await gw.get("/api/v1/me", headers=bearer(forged))
        assert response.status_code == 401, forged


async def test_writes_through_the_gateway_are_rate_limited_per_account(gw: httpx.AsyncClient) -> None:
    headers = bearer((await login(gw, "staff"))["access_token"])
    statuses = [(await gw.post("/api/v1/grids", json={}, headers=headers)).status_code for _ in range(6)]
    assert statuses[:5] == [502] * 5  # forwarded (to a service that is down in this test)
    assert statuses[5] == 429
    reads = await gw.get("/api/v1/grids", headers=headers)
    assert reads.status_code == 503  # not limited: refused by the now open circuit, not by the limit


async def test_cors_answers_only_the_allowed_origins(gw: httpx.AsyncClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = await gw.options("/api/v1/auth/login", headers={"Origin": "https://miniapp.example", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://miniapp.example"
    other = await gw.options("/api/v1/auth/login", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers


async def test_key_rotation_keeps_old_tokens_valid_until_the_key_is_retired(
    gw: httpx.AsyncClient, gateway_app: FastAPI
) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from gateway.app import reload_signing_keys
    from gateway.auth import keys

    context: GatewayContext = gateway_app.state.gateway
    old_token = (await login(gw, "staff"))["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    sessionmaker = async_sessionmaker(gateway_app.state.db.engine, expire_on_commit=False)
    async with sessionmaker() as session, session.begin():
        new_kid = await keys.rotate(session, keys.key_sealer(context.settings))
    await reload_signing_keys(gateway_app)  # what every replica does once a minute
    published = {k["kid"] for k in (await gw.get("/.well-known/jwks.json")).json()["keys"]}
    assert published == {old_kid, new_kid}
    new_token = (await login(gw, "staff"))["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert (await gw.get("/api/v1/me", headers=bearer(old_token))).status_code == 200
    async with sessionmaker() as session, session.begin():
        assert await keys.retire(session, old_kid)
    await reload_signing_keys(gateway_app)
    assert {k["kid"] for k in (await gw.get("/.well-known/jwks.json")).json()["keys"]} == {new_kid}
    assert (await gw.get("/api/v1/me", headers=bearer(old_token))).status_code == 401
    assert (await gw.get("/api/v1/me", headers=bearer(new_token))).status_code == 200


async def test_signing_keys_rest_sealed_in_the_database(gw: httpx.AsyncClient, database_urls: dict[str, str]) -> None:
    stored = await db.rows(database_urls["gateway"], "SELECT private_key_encrypted FROM signing_key")
    sealed = [bytes(r["private_key_encrypted"]) for r in stored]
    assert sealed and all(b"PRIVATE KEY" not in blob for blob in sealed)


async def test_a_reload_before_the_disable_commits_does_not_forget_it(gateway_app: FastAPI) -> None:
    context: GatewayContext = gateway_app.state.gateway
    sub = str(demo_uuid("account", "gw3"))
    context.disabled.add(sub)  # the request disabling gw3 has not committed yet
    await context.disabled.refresh()  # the poller reads the database meanwhile
    assert sub in context.disabled.subjects
    context.disabled.discard(sub)


async def test_a_residents_token_follows_the_registry_at_the_next_refresh(
    gw: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    """The residents service owns where a resident lives: a move there shows in the next token."""
    tokens = await login(gw, RESIDENT_PHONE)
    before = (await gw.get("/api/v1/me", headers=bearer(tokens["access_token"]))).json()
    assert before["household_id"] == str(demo_uuid("household", RESIDENT_PHONE))
    target = demo_uuid("household", "13900000002")  # in grid 2
    url = database_urls["residents"]
    await db.execute(
        url,
        "UPDATE resident SET household_id = $1, grid_code = $2 WHERE id = $3",
        target,
        GRIDS[1],
        demo_uuid("resident", RESIDENT_PHONE),
    )
    refreshed = await gw.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    after = (await gw.get("/api/v1/me", headers=bearer(refreshed.json()["access_token"]))).json()
    assert after["household_id"] == str(target) and after["grid_code"] == GRIDS[1]
    await db.execute(url, "DELETE FROM resident WHERE id = $1", demo_uuid("resident", RESIDENT_PHONE))
    gone = await gw.post("/api/v1/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]})
    claims = jwt.decode(gone.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == [] and "household_id" not in claims  # out of the registry: no longer a resident
